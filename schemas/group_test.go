package schemas

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

func fullGroup() store.Group {
	return store.Group{
		ID:           "0b6f3c52-8d1e-4f7a-a9c0-5e2d4b1f7a38",
		Created:      time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC),
		LastModified: time.Date(2026, 11, 28, 20, 46, 55, 0, time.UTC),
		DisplayName:  "Équipe, R&D",
		Description:  "Research\nand development",
		Members:      []store.Ref{{ID: "1", Name: "alice"}, {ID: "2", Name: "bob+x"}, {ID: "3"}},
		Owners:       []store.Ref{{ID: "1", Name: "alice"}},
		GIDNumber:    10010,
	}
}

func TestGroupRoundTrip(t *testing.T) {
	g := fullGroup()
	for _, nis := range []bool{false, true} {
		o := Options{UsersBase: testUsers, GroupsBase: testGroups, NIS: nis, Operational: true}
		e := GroupToEntry(&g, o)
		if e.DN != `cn=Équipe\, R&D,ou=groups,dc=example,dc=org` {
			t.Errorf("DN %q", e.DN)
		}
		imp, err := GroupFromEntry(throughLDIF(t, e))
		if err != nil {
			t.Fatal(err)
		}
		want := g
		want.Members, want.Owners = nil, nil
		wantUIDs := []string{"alice", "bob+x"}
		if nis {
			want.GIDNumber = 0
			wantUIDs = nil
		}
		if !reflect.DeepEqual(imp.Group, want) {
			t.Errorf("NIS %v:\n got %+v\nwant %+v", nis, imp.Group, want)
		}
		// Member DNs name the users UserToEntry writes.
		alice := UserDN("alice", testUsers)
		bob := UserDN("bob+x", testUsers)
		if !slices.Equal(imp.MemberDNs, []string{alice, bob}) || !slices.Equal(imp.OwnerDNs, []string{alice}) ||
			!slices.Equal(imp.MemberUIDs, wantUIDs) || len(imp.Warnings) != 0 {
			t.Errorf("NIS %v: members %q uids %q owners %q warnings %q", nis, imp.MemberDNs, imp.MemberUIDs, imp.OwnerDNs, imp.Warnings)
		}
		u := store.User{UserName: "bob+x"}
		bobEntry := mustNormalize(t, UserToEntry(&u, nil, o).DN)
		if !slices.ContainsFunc(imp.MemberDNs, func(dn string) bool { return mustNormalize(t, dn) == bobEntry }) {
			t.Errorf("NIS %v: no member DN matches bob's entry %q", nis, bobEntry)
		}
	}
}

func mustNormalize(t *testing.T, dn string) string {
	t.Helper()
	n, err := NormalizeDN(dn)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGroupToEntryForms(t *testing.T) {
	g := fullGroup()
	o := Options{UsersBase: testUsers, GroupsBase: testGroups}
	e := GroupToEntry(&g, o)
	if got, want := attrNames(e), []string{"objectClass", "cn", "description", "gidNumber", "member", "memberUid", "owner"}; !slices.Equal(got, want) {
		t.Errorf("rfc2307bis attributes %v, want %v", got, want)
	}
	if got := e.Strings("objectClass"); !slices.Equal(got, []string{"top", "groupOfNames", "posixGroup"}) {
		t.Errorf("rfc2307bis objectClass %v", got)
	}
	o.NIS = true
	e = GroupToEntry(&g, o)
	if got, want := attrNames(e), []string{"objectClass", "cn", "description", "member", "owner"}; !slices.Equal(got, want) {
		t.Errorf("NIS attributes %v, want %v", got, want)
	}
	if got := e.Strings("objectClass"); !slices.Equal(got, []string{"top", "groupOfNames"}) {
		t.Errorf("NIS objectClass %v", got)
	}
}

func TestEmptyGroup(t *testing.T) {
	g := store.Group{DisplayName: "nobody", GIDNumber: 7}
	o := Options{UsersBase: testUsers, GroupsBase: testGroups}
	e := GroupToEntry(&g, o)
	if e.Has("member") || e.Has("memberUid") {
		t.Errorf("rfc2307bis empty group has members: %v", e.Attributes)
	}
	o.NIS = true
	e = GroupToEntry(&g, o)
	if got := e.Strings("member"); !slices.Equal(got, []string{e.DN}) {
		t.Errorf("NIS empty group members %q, want its own DN", got)
	}
	imp, err := GroupFromEntry(throughLDIF(t, e))
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.MemberDNs) != 0 {
		t.Errorf("own DN read back as a member: %q", imp.MemberDNs)
	}
	// Without a gid number there is no posixGroup even in rfc2307bis form.
	g.GIDNumber = 0
	o.NIS = false
	if oc := GroupToEntry(&g, o).Strings("objectClass"); slices.Contains(oc, "posixGroup") {
		t.Errorf("posixGroup without gidNumber: %v", oc)
	}
}

func TestGroupFromEntryReading(t *testing.T) {
	e := parseEntry(t, "cn=staff,ou=groups,dc=example,dc=org",
		"objectClass: groupOfUniqueNames",
		"cn: Staff members",
		"commonName: STAFF",
		"uniqueMember: uid=alice,ou=users,dc=example,dc=org#'0101'B",
		"uniqueMember: uid=bob,ou=users,dc=example,dc=org",
		"uniqueMember: CN=Staff, OU=Groups,DC=example,DC=org",
		"member:",
		"memberUid:  carol ",
		"owner: uid=dave,ou=users,dc=example,dc=org",
		"description: one",
		"description: two",
	)
	imp, err := GroupFromEntry(e)
	if err != nil {
		t.Fatal(err)
	}
	if imp.Group.DisplayName != "STAFF" {
		t.Errorf("display name %q, want the RDN's value", imp.Group.DisplayName)
	}
	if want := []string{"uid=alice,ou=users,dc=example,dc=org", "uid=bob,ou=users,dc=example,dc=org"}; !slices.Equal(imp.MemberDNs, want) {
		t.Errorf("member DNs %q, want %q", imp.MemberDNs, want)
	}
	if !slices.Equal(imp.MemberUIDs, []string{"carol"}) || !slices.Equal(imp.OwnerDNs, []string{"uid=dave,ou=users,dc=example,dc=org"}) {
		t.Errorf("uids %q owners %q", imp.MemberUIDs, imp.OwnerDNs)
	}
	if imp.Group.Description != "one" || !slices.Equal(imp.Warnings, []string{"several description values: kept the first"}) {
		t.Errorf("description %q warnings %q", imp.Group.Description, imp.Warnings)
	}

	imp, err = GroupFromEntry(parseEntry(t, "cn=x,dc=org", "cn: a", "cn: b"))
	if err != nil || imp.Group.DisplayName != "a" || len(imp.Warnings) != 1 {
		t.Errorf("cn without RDN match: %+v %v", imp, err)
	}
}

func TestGroupFromEntryErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []string
		attr  string
	}{
		{"NoCN", []string{"objectClass: groupOfNames"}, "cn"},
		{"BadGIDNumber", []string{"cn: g", "gidNumber: ten"}, "gidNumber"},
		{"BadTimestamp", []string{"cn: g", "modifyTimestamp: 2026-11-28"}, "modifyTimestamp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := GroupFromEntry(parseEntry(t, "cn=g,"+testGroups, tc.lines...))
			var ae *AttributeError
			if !errors.As(err, &ae) || ae.Attribute != tc.attr {
				t.Errorf("error %v, want an *AttributeError for %s", err, tc.attr)
			}
		})
	}
}
