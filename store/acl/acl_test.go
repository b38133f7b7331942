package acl_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// decodeSections decodes [CANAILLE.ACL.*] sections written in TOML, so that
// FILTER has the exact dynamic types the configuration decoder produces.
func decodeSections(t *testing.T, text string) map[string]acl.SectionConfig {
	t.Helper()
	var doc struct {
		Canaille struct {
			ACL map[string]acl.SectionConfig `toml:"ACL"`
		} `toml:"CANAILLE"`
	}
	md, err := toml.Decode(text, &doc)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	for _, k := range md.Undecoded() {
		// Keys below FILTER (type any) are reported although decoded.
		if !slices.Contains(k, "FILTER") {
			t.Fatalf("undecoded key %s in the test input", k)
		}
	}
	return doc.Canaille.ACL
}

func mustCompile(t *testing.T, text string) *acl.Policy {
	t.Helper()
	var sections map[string]acl.SectionConfig
	if text != "" {
		sections = decodeSections(t, text)
	}
	p, err := acl.Compile(sections)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

// user builds a user who is a member of the named groups.
func user(name string, groups ...string) *store.User {
	u := &store.User{ID: "id-" + name, UserName: name}
	for _, g := range groups {
		u.Groups = append(u.Groups, store.Ref{ID: "gid-" + g, Name: g})
	}
	return u
}

var (
	alice      = user("alice")
	admin      = user("root", "admins")
	staffAlice = user("alice", "staff")
	bob        = user("bob", "staff")
	superadmin = user("superadmin")
	adminUser  = user("admin")
	singular   = user("carol", "admin")
)

func TestDefaultPolicy(t *testing.T) {
	p := mustCompile(t, "")
	if got := p.Sections(); !reflect.DeepEqual(got, []string{"ADMIN", "DEFAULT"}) {
		t.Errorf("Sections() = %v", got)
	}
	every := map[acl.Permission]bool{}
	for _, perm := range acl.AllPermissions {
		every[perm] = true
	}
	userPerms := map[acl.Permission]bool{acl.EditSelf: true, acl.UseOIDC: true, acl.ManageOwnGroups: true, acl.LDAPRead: true}
	for _, tt := range []struct {
		name     string
		u        *store.User
		sections []string
		perms    map[acl.Permission]bool
	}{
		{"PlainUser", alice, []string{"DEFAULT"}, userPerms},
		{"AdminsMember", admin, []string{"ADMIN", "DEFAULT"}, every},
		{"AdminsCaseInsensitive", user("dave", "ADMINS"), []string{"ADMIN", "DEFAULT"}, every},
		{"NamedAdminIsNotAdmin", adminUser, []string{"DEFAULT"}, userPerms},
		{"NamedAdminsIsNotAdmin", user("admins"), []string{"DEFAULT"}, userPerms},
		{"GroupAdminIsNotAdmins", singular, []string{"DEFAULT"}, userPerms},
		{"OtherGroups", bob, []string{"DEFAULT"}, userPerms},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := p.For(tt.u)
			// Rights are shared by users with the same sections: the
			// second evaluation comes from the policy's memory and must
			// not have been changed by what a caller did with the first.
			_ = append(r.Sections, "APPENDED")
			if again := p.For(tt.u); !reflect.DeepEqual(again, r) {
				t.Errorf("second evaluation %+v, first %+v", again, r)
			}
			if !reflect.DeepEqual(r.Sections, tt.sections) {
				t.Errorf("Sections = %v, want %v", r.Sections, tt.sections)
			}
			for _, perm := range acl.AllPermissions {
				if r.Can(perm) != tt.perms[perm] {
					t.Errorf("Can(%s) = %v, want %v", perm, r.Can(perm), tt.perms[perm])
				}
			}
		})
	}
	// Attributes: users edit their profile; only admins change membership,
	// locks and user names.
	r := p.For(alice)
	for _, a := range []string{"emails", "password", "given_name", "photo", "preferred_language"} {
		if !r.CanWrite(a) || !r.CanRead(a) {
			t.Errorf("a plain user cannot write %s", a)
		}
	}
	for _, a := range []string{"user_name", "groups", "lock_date", "uid_number"} {
		if !r.CanRead(a) || r.CanWrite(a) {
			t.Errorf("a plain user: CanRead(%s) = %v, CanWrite = %v; want read-only", a, r.CanRead(a), r.CanWrite(a))
		}
	}
	r = p.For(admin)
	for _, a := range []string{"user_name", "groups", "lock_date", "uid_number", "emails"} {
		if !r.CanWrite(a) {
			t.Errorf("an admin cannot write %s", a)
		}
	}
}

func TestConfiguredSectionsReplaceDefaults(t *testing.T) {
	p := mustCompile(t, `
[CANAILLE.ACL.EVERYBODY]
PERMISSIONS = ["use_oidc"]
READ = ["user_name"]
`)
	if got := p.Sections(); !reflect.DeepEqual(got, []string{"EVERYBODY"}) {
		t.Errorf("Sections() = %v", got)
	}
	for _, u := range []*store.User{alice, admin} {
		r := p.For(u)
		if !r.Can(acl.UseOIDC) || r.Can(acl.EditSelf) || r.Can(acl.LDAPRead) || r.Can(acl.ManageUsers) {
			t.Errorf("%s: permissions %v, want only use_oidc", u.UserName, r.Permissions)
		}
		if r.CanWrite("emails") {
			t.Errorf("%s may still write emails", u.UserName)
		}
	}
}

func TestUnionOfSections(t *testing.T) {
	p := mustCompile(t, `
[CANAILLE.ACL.DEFAULT]
PERMISSIONS = ["edit_self"]
READ = ["user_name", "groups"]
WRITE = ["emails"]

[CANAILLE.ACL.STAFF]
FILTER = { groups = "staff" }
PERMISSIONS = ["use_oidc", "edit_self"]
READ = ["lock_date"]
WRITE = ["display_name"]

[CANAILLE.ACL.SERVICES]
FILTER = { user_name = ["nslcd", "postfix"] }
PERMISSIONS = ["ldap_read"]
`)
	for _, tt := range []struct {
		name                       string
		u                          *store.User
		sections                   []string
		perms                      []acl.Permission
		readOnly, write, forbidden []string
	}{
		{"OneSection", alice, []string{"DEFAULT"}, []acl.Permission{acl.EditSelf},
			[]string{"user_name", "groups"}, []string{"emails"}, []string{"lock_date", "display_name"}},
		{"TwoSections", bob, []string{"DEFAULT", "STAFF"}, []acl.Permission{acl.EditSelf, acl.UseOIDC},
			[]string{"user_name", "groups", "lock_date"}, []string{"emails", "display_name"}, []string{"photo"}},
		{"ServiceAccount", user("postfix"), []string{"DEFAULT", "SERVICES"}, []acl.Permission{acl.EditSelf, acl.LDAPRead},
			[]string{"user_name"}, []string{"emails"}, []string{"display_name"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := p.For(tt.u)
			// Rights are shared by users with the same sections: the
			// second evaluation comes from the policy's memory and must
			// not have been changed by what a caller did with the first.
			_ = append(r.Sections, "APPENDED")
			if again := p.For(tt.u); !reflect.DeepEqual(again, r) {
				t.Errorf("second evaluation %+v, first %+v", again, r)
			}
			if !reflect.DeepEqual(r.Sections, tt.sections) {
				t.Errorf("Sections = %v, want %v", r.Sections, tt.sections)
			}
			for _, perm := range acl.AllPermissions {
				if want := slices.Contains(tt.perms, perm); r.Can(perm) != want {
					t.Errorf("Can(%s) = %v, want %v", perm, r.Can(perm), want)
				}
			}
			for _, a := range tt.readOnly {
				if !r.CanRead(a) || r.CanWrite(a) {
					t.Errorf("%s: read %v write %v, want read-only", a, r.CanRead(a), r.CanWrite(a))
				}
			}
			for _, a := range tt.write {
				if !r.CanWrite(a) || !r.CanRead(a) {
					t.Errorf("%s: read %v write %v, want both (WRITE implies READ)", a, r.CanRead(a), r.CanWrite(a))
				}
			}
			for _, a := range tt.forbidden {
				if r.CanRead(a) || r.CanWrite(a) {
					t.Errorf("%s: read %v write %v, want neither", a, r.CanRead(a), r.CanWrite(a))
				}
			}
		})
	}
}

func TestFilterForms(t *testing.T) {
	withMail := user("erin")
	withMail.Emails = []string{"erin@example.org", "e.r@example.net"}
	numbered := user("frank")
	numbered.UIDNumber = 10001
	for _, tt := range []struct {
		name    string
		filter  string // the section body (FILTER line or [[…FILTER]] tables)
		match   []*store.User
		noMatch []*store.User
	}{
		{"Absent", ``, []*store.User{alice, admin, bob}, nil},
		{"TableAllPairs", `FILTER = { user_name = "alice", groups = "staff" }`,
			[]*store.User{staffAlice}, []*store.User{alice, bob}},
		{"SubTableAllPairs", "[CANAILLE.ACL.S.FILTER]\nuser_name = \"alice\"\ngroups = \"staff\"",
			[]*store.User{staffAlice}, []*store.User{alice, bob}},
		{"InlineArrayAny", `FILTER = [{ user_name = "alice" }, { groups = "admins" }]`,
			[]*store.User{alice, staffAlice, admin}, []*store.User{bob}},
		{"ArrayOfTablesAny", "[[CANAILLE.ACL.S.FILTER]]\nuser_name = \"bob\"\n[[CANAILLE.ACL.S.FILTER]]\ngroups = \"admins\"",
			[]*store.User{bob, admin}, []*store.User{alice}},
		{"ValueArrayAnyOf", `FILTER = { user_name = ["alice", "bob"] }`,
			[]*store.User{alice, bob, staffAlice}, []*store.User{admin}},
		{"GroupNames", `FILTER = { groups = "staff" }`,
			[]*store.User{bob, staffAlice}, []*store.User{alice, user("gid-staff")}},
		{"GroupNotByID", `FILTER = { groups = "gid-staff" }`, nil, []*store.User{bob}},
		{"ExactUserName", `FILTER = { user_name = "admin" }`,
			[]*store.User{adminUser}, []*store.User{superadmin, user("admin2"), user("adm")}},
		{"ExactGroup", `FILTER = { groups = "admin" }`,
			[]*store.User{singular}, []*store.User{admin, adminUser}},
		{"CaseInsensitive", `FILTER = { user_name = "ALICE", groups = "Staff" }`,
			[]*store.User{staffAlice}, []*store.User{alice}},
		{"MultiValuedAttribute", `FILTER = { emails = "E.R@example.net" }`,
			[]*store.User{withMail}, []*store.User{alice}},
		{"Number", `FILTER = { uid_number = 10001 }`,
			[]*store.User{numbered}, []*store.User{alice}},
		{"NumberArray", `FILTER = { uid_number = [10000, 10001] }`,
			[]*store.User{numbered}, []*store.User{alice}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			text := "[CANAILLE.ACL.S]\nPERMISSIONS = [\"manage_users\"]\n" + tt.filter + "\n"
			if strings.HasPrefix(tt.filter, "[") {
				text = tt.filter + "\n[CANAILLE.ACL.S]\nPERMISSIONS = [\"manage_users\"]\n"
			}
			p := mustCompile(t, text)
			for _, u := range tt.match {
				if !p.For(u).Can(acl.ManageUsers) {
					t.Errorf("%s (groups %v) does not match", u.UserName, store.RefNames(u.Groups))
				}
			}
			for _, u := range tt.noMatch {
				if p.For(u).Can(acl.ManageUsers) {
					t.Errorf("%s (groups %v) matches", u.UserName, store.RefNames(u.Groups))
				}
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		text string
		want []string
	}{
		{"UnknownPermission", "[CANAILLE.ACL.X]\nPERMISSIONS = [\"fly\"]\n",
			[]string{`CANAILLE.ACL.X.PERMISSIONS: unknown permission "fly"`, "known: edit_self"}},
		{"UnknownReadAttribute", "[CANAILLE.ACL.X]\nREAD = [\"shoe_size\"]\n",
			[]string{`CANAILLE.ACL.X.READ: unknown user attribute "shoe_size"`}},
		{"UnknownWriteAttribute", "[CANAILLE.ACL.X]\nWRITE = [\"userPassword\"]\n",
			[]string{`CANAILLE.ACL.X.WRITE: unknown user attribute "userPassword"`}},
		{"FilterScalar", "[CANAILLE.ACL.X]\nFILTER = 5\n",
			[]string{"CANAILLE.ACL.X.FILTER: must be a table of attribute = value, or an array of such tables"}},
		{"FilterString", "[CANAILLE.ACL.X]\nFILTER = \"(uid=admin)\"\n", []string{"CANAILLE.ACL.X.FILTER: must be a table"}},
		{"FilterEmptyTable", "[CANAILLE.ACL.X]\nFILTER = {}\n", []string{"CANAILLE.ACL.X.FILTER: an empty table matches nobody"}},
		{"FilterEmptyArray", "[CANAILLE.ACL.X]\nFILTER = []\n", []string{"CANAILLE.ACL.X.FILTER: an empty array matches nobody"}},
		{"FilterArrayOfScalars", "[CANAILLE.ACL.X]\nFILTER = [{ user_name = \"a\" }, 1]\n",
			[]string{"CANAILLE.ACL.X.FILTER[1]: must be a table of attribute = value"}},
		{"FilterUnknownAttribute", "[CANAILLE.ACL.X]\nFILTER = { shoe_size = \"42\" }\n",
			[]string{`CANAILLE.ACL.X.FILTER: unknown or unusable user attribute "shoe_size"`}},
		{"FilterPassword", "[CANAILLE.ACL.X]\nFILTER = [{ password = \"x\" }]\n",
			[]string{`CANAILLE.ACL.X.FILTER[0]: unknown or unusable user attribute "password"`}},
		{"FilterNestedTable", "[CANAILLE.ACL.X]\nFILTER = { groups = { name = \"a\" } }\n",
			[]string{"CANAILLE.ACL.X.FILTER.groups: must be a string or an array of strings"}},
		{"FilterEmptyValues", "[CANAILLE.ACL.X]\nFILTER = { groups = [] }\n",
			[]string{"CANAILLE.ACL.X.FILTER.groups: must be a string or an array of strings"}},
		{"FilterFloat", "[CANAILLE.ACL.X]\nFILTER = { uid_number = 1.5 }\n",
			[]string{"CANAILLE.ACL.X.FILTER.uid_number: must be a string"}},
		{"Several", "[CANAILLE.ACL.A]\nPERMISSIONS = [\"fly\", \"edit_self\", \"swim\"]\nFILTER = 1\n[CANAILLE.ACL.B]\nWRITE = [\"nope\"]\n",
			[]string{`CANAILLE.ACL.A.PERMISSIONS: unknown permission "fly"`, `CANAILLE.ACL.A.PERMISSIONS: unknown permission "swim"`,
				"CANAILLE.ACL.A.FILTER: must be a table", `CANAILLE.ACL.B.WRITE: unknown user attribute "nope"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := acl.Compile(decodeSections(t, tt.text))
			if err == nil {
				t.Fatalf("no error; sections %v", p.Sections())
			}
			if p != nil {
				t.Error("a policy is returned with the error")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestDefaultsCompile(t *testing.T) {
	// Defaults() hands out a fresh map: changing it does not change the
	// built-in policy.
	d := acl.Defaults()
	delete(d, "ADMIN")
	if _, ok := acl.Defaults()["ADMIN"]; !ok {
		t.Error("Defaults() shares its map")
	}
	if _, err := acl.Compile(acl.Defaults()); err != nil {
		t.Errorf("the defaults do not compile: %v", err)
	}
}

func TestAttributeValues(t *testing.T) {
	u := user("alice", "staff", "admins")
	u.Emails = []string{"a@example.org"}
	u.UIDNumber = 10001
	for _, tt := range []struct {
		attr string
		want []string
	}{
		{"user_name", []string{"alice"}},
		{"groups", []string{"staff", "admins"}},
		{"emails", []string{"a@example.org"}},
		{"uid_number", []string{"10001"}},
		{"gid_number", nil},
		{"display_name", nil},
		{"password", nil},
		{"no_such_attribute", nil},
	} {
		if got := acl.AttributeValues(u, tt.attr); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("AttributeValues(%s) = %q, want %q", tt.attr, got, tt.want)
		}
	}
}

// Policies of more than 64 sections are evaluated without the memory of
// section combinations, with the same result.
func TestManySections(t *testing.T) {
	var b strings.Builder
	for i := range 70 {
		attr := []string{"display_name", "title"}[i%2]
		fmt.Fprintf(&b, "[CANAILLE.ACL.S%02d]\nFILTER = { user_name = \"u%d\" }\nREAD = [%q]\n", i, i, attr)
	}
	p := mustCompile(t, b.String())
	for _, i := range []int{0, 63, 64, 69} {
		r := p.For(user(fmt.Sprintf("u%d", i)))
		if want := []string{fmt.Sprintf("S%02d", i)}; !reflect.DeepEqual(r.Sections, want) {
			t.Errorf("u%d: sections %v, want %v", i, r.Sections, want)
		}
		if !r.CanRead([]string{"display_name", "title"}[i%2]) || r.CanRead([]string{"display_name", "title"}[1-i%2]) {
			t.Errorf("u%d: reads %v", i, r.Read)
		}
	}
}
