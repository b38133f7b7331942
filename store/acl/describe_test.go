package acl_test

import (
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

func TestDescribe(t *testing.T) {
	p := mustCompile(t, `
[CANAILLE.ACL.DEFAULT]
PERMISSIONS = ["use_oidc", "edit_self"]
READ = ["user_name", "groups"]
WRITE = ["emails", "display_name"]

[CANAILLE.ACL.STAFF]
FILTER = { groups = "staff" }
PERMISSIONS = ["ldap_read"]

[CANAILLE.ACL.SERVICES]
FILTER = { user_name = ["nslcd", "postfix"] }

[CANAILLE.ACL.MIXED]
FILTER = [{ groups = "staff", title = "Boss" }, { user_name = "root" }]
PERMISSIONS = ["manage_users", "edit_self"]
WRITE = ["lock_date"]
`)
	got := p.Describe()
	names := make([]string, len(got))
	for i, s := range got {
		names[i] = s.Name
	}
	if !reflect.DeepEqual(names, p.Sections()) {
		t.Fatalf("Describe names %v, Sections %v", names, p.Sections())
	}
	byName := map[string]acl.SectionInfo{}
	for _, s := range got {
		byName[s.Name] = s
	}
	def := byName["DEFAULT"]
	if !def.Everybody() || def.FilterString() != "everybody" {
		t.Errorf("DEFAULT: everybody %v, filter %q", def.Everybody(), def.FilterString())
	}
	// Permissions come in the order of AllPermissions, attributes sorted.
	if !reflect.DeepEqual(def.Permissions, []acl.Permission{acl.EditSelf, acl.UseOIDC}) {
		t.Errorf("DEFAULT permissions %v", def.Permissions)
	}
	if !reflect.DeepEqual(def.Read, []string{"groups", "user_name"}) || !reflect.DeepEqual(def.Write, []string{"display_name", "emails"}) {
		t.Errorf("DEFAULT read %v write %v", def.Read, def.Write)
	}
	for name, want := range map[string]string{
		"STAFF":    `groups = "staff"`,
		"SERVICES": `user_name in ("nslcd", "postfix")`,
		"MIXED":    `(groups = "staff" and title = "Boss") or user_name = "root"`,
	} {
		if s := byName[name]; s.Everybody() || s.FilterString() != want {
			t.Errorf("%s: filter %q, want %q", name, s.FilterString(), want)
		}
	}
	if s := byName["SERVICES"]; len(s.Permissions)+len(s.Read)+len(s.Write) != 0 {
		t.Errorf("SERVICES: %+v", s)
	}

	boss := user("carol", "staff")
	boss.Title = "boss"
	users := []*store.User{alice, bob, boss, user("root"), user("postfix"), user("superpostfix")}
	for _, u := range users {
		r := p.For(u)
		var matching []string
		for _, s := range p.Matching(u) {
			matching = append(matching, s.Name)
		}
		if !reflect.DeepEqual(matching, r.Sections) {
			t.Errorf("%s: Matching %v, For.Sections %v", u.UserName, matching, r.Sections)
		}
		// The union of the matching sections is For's evaluation.
		perms, read, write := map[acl.Permission]bool{}, map[string]bool{}, map[string]bool{}
		for _, s := range got {
			if !s.Matches(u) {
				if slices.Contains(r.Sections, s.Name) {
					t.Errorf("%s: %s does not match but For uses it", u.UserName, s.Name)
				}
				continue
			}
			for _, p := range s.Permissions {
				perms[p] = true
			}
			for _, a := range s.Read {
				read[a] = true
			}
			for _, a := range s.Write {
				write[a] = true
			}
		}
		if !maps.Equal(perms, r.Permissions) || !maps.Equal(read, r.Read) || !maps.Equal(write, r.Write) {
			t.Errorf("%s: union %v %v %v, For %v %v %v", u.UserName, perms, read, write, r.Permissions, r.Read, r.Write)
		}
	}
	if m := p.Matching(boss); len(m) != 3 || m[1].Name != "MIXED" {
		t.Errorf("carol (staff, Boss) matches %v", m)
	}
	// Conditions can be tested one by one, to show which one holds.
	mixed := byName["MIXED"]
	if !mixed.Filter[0][0].Matches(bob) || mixed.Filter[0][1].Matches(bob) || mixed.Filter[1][0].Matches(bob) {
		t.Errorf("bob against the MIXED conditions")
	}
	// Describe returns copies: changing them changes nothing.
	mixed.Filter[1][0].Values[0] = "bob"
	if p.Describe()[1].Filter[1][0].Values[0] != "root" || len(p.Matching(bob)) != 2 {
		t.Error("changing a description changed the policy")
	}
}

func TestDescribeDefaults(t *testing.T) {
	p := mustCompile(t, "")
	d := p.Describe()
	if len(d) != 2 || d[0].Name != "ADMIN" || d[0].FilterString() != `groups = "admins"` || !reflect.DeepEqual(d[0].Permissions, acl.AllPermissions) {
		t.Errorf("defaults described as %+v", d)
	}
	if m := p.Matching(alice); len(m) != 1 || m[0].Name != "DEFAULT" {
		t.Errorf("alice matches %+v", m)
	}
}
