package ldapserver

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/store/ldif"
)

func testDirectory(t *testing.T) *directory {
	t.Helper()
	policy, err := acl.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := newDirectory(Config{RootDN: "dc=example,dc=org"}, nil, policy)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// builderUsers are users with every kind of field the builder handles,
// and some it leaves to the general path.
func builderUsers() []store.User {
	t0 := time.Date(2024, 3, 1, 12, 30, 45, 0, time.UTC)
	full := store.User{ID: "0b0c8c2e-9a1f-4d4e-8a55-2f3c1d9e7a10", Created: t0, LastModified: t0.Add(time.Hour),
		UserName: "alice", FormattedName: "Alice Liddell", DisplayName: "Ally", GivenName: "Alice",
		FamilyName: "Liddell", Emails: []string{"alice@example.org", " ALICE@example.org", "", "a@b.c", "A@B.C "},
		PhoneNumbers: []string{"+33 1 23 45 67 89"}, FormattedAddress: "1 rue X\n75000 Paris$\\",
		Street: "1 rue X", PostalCode: "75000", Locality: "Paris", Region: "IDF", ProfileURL: "https://a.example",
		Title: "Dr", Organization: "Org", EmployeeNumber: "42", Department: "R&D", PreferredLanguage: "fr",
		UIDNumber: 1000, GIDNumber: 1000, HomeDirectory: "/srv/alice", LoginShell: "/bin/zsh",
		Groups:       []store.Ref{{ID: "g1", Name: "staff"}},
		PasswordHash: "{SSHA}abcdef", PasswordLastUpdate: t0, LockDate: t0.Add(48 * time.Hour)}
	users := []store.User{
		full,
		{ID: "u2", UserName: "bob", GivenName: "Bob", FamilyName: "Builder", UIDNumber: 1001, GIDNumber: 5000},
		{ID: "u3", UserName: "carol", GivenName: " ", FamilyName: "", Emails: []string{"carol@example.org"}},
		{ID: "u4", UserName: "dave", DisplayName: "Dave D", UIDNumber: 7},
		{ID: "u5", UserName: "Eve.Smith-2@x", GivenName: "Ève", FamilyName: "Smith\u00a0", UIDNumber: 8, GIDNumber: 0},
		{ID: "u6", UserName: "frank,ou=x", FamilyName: "F+", Groups: []store.Ref{{ID: "g2"}, {ID: "g3", Name: "ops"}}},
		{ID: "u7", UserName: " gina#", PhoneNumbers: []string{"", "1"}},
		// General path: several phones, groups, failures, a photo.
		{ID: "u8", UserName: "hal", PhoneNumbers: []string{"1", "2"}},
		{ID: "u9", UserName: "ivy", Groups: []store.Ref{{ID: "g1", Name: "staff"}, {ID: "g3", Name: "ops"}}},
		{ID: "u10", UserName: "joe", PasswordFailureTimestamps: []time.Time{t0}},
		{ID: "u11", UserName: "kim", HasPhoto: true},
	}
	return users
}

// general is what the general path gives: the user's whole entry, cut
// to what a may read and to mask.
func general(d *directory, u *store.User, a access, mask slotMask) *ldif.Entry {
	e := d.readable(d.userEntry(context.Background(), u, false), u.ID, a)
	out := &ldif.Entry{DN: e.DN}
	for _, at := range e.Attributes {
		if s, ok := slotByLower[lowerASCII(at.Name)]; ok && mask.has(s) {
			out.Attributes = append(out.Attributes, at)
		}
	}
	return out
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func testAccesses(d *directory, self string) map[string]access {
	return map[string]access{
		"anonymous read": {whole: true},
		"ldap_read":      {whole: true, bound: true, selfID: "other"},
		"manage_users":   {users: true, passwords: true, bound: true, selfID: "other"},
		"self": func() access {
			a := access{selfID: self, bound: true, selfAttrs: map[string]bool{"objectclass": true, "uid": true, "cn": true, "mail": true}}
			a.selfMask = a.selfSlots()
			return a
		}(),
		"self with passwords": func() access {
			a := access{selfID: self, bound: true, passwords: true, selfAttrs: map[string]bool{"uid": true}}
			a.selfMask = a.selfSlots()
			return a
		}(),
	}
}

func TestUserBuilderMatchesUserEntry(t *testing.T) {
	d := testDirectory(t)
	masks := []slotMask{allSlots, 0, 1 << uaUID, 1<<uaCN | 1<<uaMail | 1<<uaEntryDN}
	for i := range slotCount {
		masks = append(masks, 1<<i, allSlots&^(1<<i))
	}
	var b userBuilder
	fastUsers := 0
	for _, u := range builderUsers() {
		for name, a := range testAccesses(d, u.ID) {
			for _, mask := range masks {
				m := mask & a.userMask(u.ID)
				if slow(&u, m) {
					continue
				}
				fastUsers++
				want := general(d, &u, a, m)
				if !a.canSeeUser(u.ID) {
					continue
				}
				got := b.build(d, &u, m, d.plainUserDNOf(u.UserName))
				if got.DN != want.DN || !reflect.DeepEqual(got.Attributes, want.Attributes) &&
					!(len(got.Attributes) == 0 && len(want.Attributes) == 0) {
					t.Errorf("user %s, %s, mask %b:\n got %s\nwant %s", u.UserName, name, m, dump(got), dump(want))
				}
			}
		}
	}
	if fastUsers == 0 {
		t.Fatal("no user went through the builder")
	}
}

func dump(e *ldif.Entry) string {
	s := e.DN
	for _, a := range e.Attributes {
		s += fmt.Sprintf("\n  %s: %q", a.Name, a.Values)
	}
	return s
}

// TestUserSlotsCoverUserEntry checks that the slots name every attribute
// a user entry may hold, in the entry's order.
func TestUserSlotsCoverUserEntry(t *testing.T) {
	d := testDirectory(t)
	for _, u := range builderUsers() {
		e := d.userEntry(context.Background(), &u, false)
		last := -1
		for _, at := range e.Attributes {
			s, ok := slotByLower[lowerASCII(at.Name)]
			if !ok || userSlotNames[s] != at.Name {
				t.Fatalf("user %s: attribute %s has no slot", u.UserName, at.Name)
			}
			if int(s) <= last {
				t.Fatalf("user %s: attribute %s out of the slots' order", u.UserName, at.Name)
			}
			last = int(s)
		}
	}
	for name := range userEntryAttributes {
		if _, ok := slotByLower[name]; !ok {
			t.Errorf("userEntryAttributes has %s, the slots do not", name)
		}
	}
}

// TestFilterOnUserSlots checks that a filter gives the same result on the
// slots it reads as on the whole entry.
func TestFilterOnUserSlots(t *testing.T) {
	d := testDirectory(t)
	filters := []string{
		"(objectClass=*)", "(objectClass=posixAccount)", "(objectClass=person)", "(!(objectClass=posixAccount))",
		"(&(objectClass=posixAccount)(uid=alice))", "(|(uid=bob)(mail=carol@example.org))", "(cn=*Lid*)",
		"(name=Alice*)", "(commonName=Bob Builder)", "(sn=Builder)", "(givenName=Ève)", "(mail=A@B.C)",
		"(uidNumber>=1000)", "(gidNumber<=5000)", "(homeDirectory=/home/bob)", "(loginShell=*)", "(memberOf=*)",
		"(memberOf=cn=staff,ou=groups,dc=example,dc=org)", "(entryDN=uid=alice,ou=users,dc=example,dc=org)",
		"(uid:dn:=users)", "(ou:dn:=users)", "(:caseIgnoreMatch:=alice)", "(:dn:caseIgnoreMatch:=users)",
		"(cn;lang-fr=x)", "(userPassword=*)", "(pwdChangedTime=*)", "(entryUUID=*)", "(createTimestamp>=20240101000000Z)",
		"(structuralObjectClass=inetOrgPerson)", "(hasSubordinates=FALSE)", "(subschemaSubentry=cn=Subschema)",
		"(postalAddress=*)", "(telephoneNumber=+33123456789)", "(displayName~=ally)", "(uid=)", "(foo=bar)",
		"(|(telephoneNumber=*)(!(uid=*)))", "(&)", "(|)", "(uidNumber:integerBitAndMatch:=8)",
	}
	var b userBuilder
	for _, fs := range filters {
		f, err := CompileFilter(fs)
		if err != nil {
			t.Fatalf("%s: %v", fs, err)
		}
		fm, fdn := f.userSlots()
		for _, u := range builderUsers() {
			for name, a := range testAccesses(d, u.ID) {
				if !a.canSeeUser(u.ID) {
					continue
				}
				m := fm & a.userMask(u.ID)
				if slow(&u, m) {
					continue
				}
				whole := d.readable(d.userEntry(context.Background(), &u, false), u.ID, a)
				dn := ""
				if fdn || m.has(uaEntryDN) {
					dn = d.plainUserDNOf(u.UserName)
				}
				if got, want := f.Match(b.build(d, &u, m, dn)), f.Match(whole); got != want {
					t.Errorf("%s on %s (%s): %v on the slots, %v on the entry", fs, u.UserName, name, got, want)
				}
			}
		}
	}
}

func TestPlainUserDN(t *testing.T) {
	d := testDirectory(t)
	for _, name := range []string{"alice", "Bob.Smith-2@x_y", "a b", " a", "#a", "a,b", "a+b", "é", "\x00", "a\\b", ""} {
		if got, want := d.plainUserDNOf(name), d.userDN(name); got != want {
			t.Errorf("%q: %q, want %q", name, got, want)
		}
	}
}

// TestSharedSelection checks that the answers a shared selection decides
// in advance are those of a selection that decides each time.
func TestSharedSelection(t *testing.T) {
	var names []string
	for _, at := range schemas.AttributeTypes() {
		for _, n := range at.Names {
			names = append(names, n, strings.ToUpper(n), n+";lang-fr")
		}
		names = append(names, at.OID)
	}
	names = append(names, "unknownAttr", "UNKNOWN", "")
	for _, attrs := range [][]string{nil, {"*"}, {"+"}, {"1.1"}, {"1.1", "cn"}, {"*", "+"}, {"uid", "uidNumber", "CN", "gecos"},
		{"commonName", "2.5.4.4", "memberOf", "entryDN"}, {"+", "mail"}, {"nothing"}} {
		shared, plain := selectionFor(attrs), newSelection(attrs, false)
		if shared.known == nil || plain.known != nil {
			t.Fatalf("%q: shared selection not decided in advance, or plain one decided", attrs)
		}
		for _, n := range names {
			if shared.wants(n) != plain.wants(n) {
				t.Errorf("%q: %s: shared %v, plain %v", attrs, n, shared.wants(n), plain.wants(n))
			}
		}
		for i, n := range userSlotNames {
			if shared.user.has(slot(i)) != plain.wants(n) {
				t.Errorf("%q: slot %s: %v", attrs, n, shared.user.has(slot(i)))
			}
		}
	}
}
