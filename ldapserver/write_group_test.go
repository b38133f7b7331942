package ldapserver_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/ldapserver"
	"github.com/canaille-go/canaille/store/acl"
)

// lowered returns values lower-cased and sorted, for comparisons of DNs.
func lowered(vs []string) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.ToLower(v)
	}
	slices.Sort(out)
	return strings.Join(out, ";")
}

func members(dns ...string) string { return lowered(dns) }

func TestAddGroup(t *testing.T) {
	f := newFixture(t)
	admin := f.bound(adminDN, adminPass)
	devsDN := "cn=devs," + groupsDN
	err := addEntry(admin, devsDN, attrs{"objectClass": {"top", "groupOfNames", "posixGroup"}, "cn": {"devs"},
		"description": {"Developers"}, "member": {aliceDN}, "memberUid": {"bob"}, "owner": {aliceDN}})
	if err != nil {
		t.Fatal(err)
	}
	if got := lowered(read(t, admin, devsDN, "member")); got != members(aliceDN, bobDN) {
		t.Errorf("members %s", got)
	}
	if got := lowered(read(t, admin, devsDN, "owner")); got != members(aliceDN) {
		t.Errorf("owners %s", got)
	}
	if !slices.Contains(read(t, admin, bobDN, "memberOf"), devsDN) {
		t.Error("bob's memberOf lacks devs")
	}
	if gid := read(t, admin, devsDN, "gidNumber"); len(gid) != 1 {
		t.Errorf("gidNumber %v", gid)
	}
	// An empty group, and groupOfUniqueNames (stored as members).
	if err := addEntry(admin, "cn=empty,"+groupsDN, attrs{"objectClass": {"groupOfNames"}, "cn": {"empty"}}); err != nil {
		t.Fatal(err)
	}
	if err := addEntry(admin, "cn=unique,"+groupsDN, attrs{"objectClass": {"groupOfUniqueNames"}, "cn": {"unique"}, "uniqueMember": {bobDN}}); err != nil {
		t.Fatal(err)
	}
	if got := lowered(read(t, admin, "cn=unique,"+groupsDN, "member")); got != members(bobDN) {
		t.Errorf("uniqueMember gave members %s", got)
	}
	wantCode(t, addEntry(admin, devsDN, attrs{"objectClass": {"groupOfNames"}, "cn": {"devs"}}), ldap.LDAPResultEntryAlreadyExists)

	x := "cn=x," + groupsDN
	group := func(extra attrs) attrs {
		a := attrs{"objectClass": {"groupOfNames"}, "cn": {"x"}}
		for k, v := range extra {
			a[k] = v
		}
		return a
	}
	for _, tc := range []struct {
		name string
		a    attrs
		code uint16
		says string
	}{
		{"MissingMember", group(attrs{"member": {"uid=nobody," + usersDN}}), ldap.LDAPResultConstraintViolation, "uid=nobody"},
		{"MemberOutside", group(attrs{"member": {"uid=alice,ou=people,dc=other,dc=org"}}), ldap.LDAPResultConstraintViolation, "not a user"},
		{"NestedGroup", group(attrs{"member": {staffDN}}), ldap.LDAPResultConstraintViolation, "users only"},
		{"MalformedMember", group(attrs{"member": {"not a DN"}}), ldap.LDAPResultInvalidAttributeSyntax, "member"},
		{"MissingMemberUid", group(attrs{"objectClass": {"groupOfNames", "posixGroup"}, "memberUid": {"nobody"}}), ldap.LDAPResultConstraintViolation, "nobody"},
		{"MemberUidNeedsPosixGroup", group(attrs{"memberUid": {"bob"}}), ldap.LDAPResultObjectClassViolation, "memberUid"},
		{"MissingOwner", group(attrs{"owner": {"uid=nobody," + usersDN}}), ldap.LDAPResultConstraintViolation, "owner"},
		{"Unstored", group(attrs{"businessCategory": {"IT"}}), ldap.LDAPResultUnwillingToPerform, "businessCategory"},
		{"UserAttribute", group(attrs{"mail": {"x@example.org"}}), ldap.LDAPResultObjectClassViolation, "mail"},
		{"NoGroupClass", group(attrs{"objectClass": {"posixGroup"}, "gidNumber": {"30000"}}), ldap.LDAPResultObjectClassViolation, "groupOfNames"},
		{"RDNMismatch", group(attrs{"cn": {"y"}}), ldap.LDAPResultNamingViolation, "cn"},
		{"TwoNames", group(attrs{"cn": {"x", "ex"}}), ldap.LDAPResultConstraintViolation, "cn"},
		{"BadGID", group(attrs{"objectClass": {"groupOfNames", "posixGroup"}, "gidNumber": {"-1"}}), ldap.LDAPResultInvalidAttributeSyntax, "gidNumber"},
		{"Operational", group(attrs{"createTimestamp": {"20200101000000Z"}}), ldap.LDAPResultConstraintViolation, "createTimestamp"},
		{"GroupsUnit", attrs{"objectClass": {"organizationalUnit"}, "ou": {"groups"}}, ldap.LDAPResultEntryAlreadyExists, groupsDN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dn := x
			if tc.name == "GroupsUnit" {
				dn = groupsDN
			}
			wantMessage(t, addEntry(admin, dn, tc.a), tc.code, tc.says)
		})
	}

	// manage_own_groups (every user by default): the creator becomes an
	// owner, and may then manage the group.
	alice := f.bound(aliceDN, alicePass)
	mine := "cn=alices," + groupsDN
	if err := addEntry(alice, mine, attrs{"objectClass": {"groupOfNames"}, "cn": {"alices"}, "member": {bobDN}}); err != nil {
		t.Fatal(err)
	}
	if got := lowered(read(t, admin, mine, "owner")); got != members(aliceDN) {
		t.Errorf("owners of alice's group: %s", got)
	}
	if err := modify(alice, mine, func(m *ldap.ModifyRequest) { m.Add("member", []string{aliceDN}) }); err != nil {
		t.Fatal(err)
	}
	wantCode(t, modify(alice, staffDN, func(m *ldap.ModifyRequest) { m.Add("member", []string{aliceDN}) }), ldap.LDAPResultInsufficientAccessRights)
	bob := f.bound(bobDN, bobPass)
	wantCode(t, modify(bob, mine, func(m *ldap.ModifyRequest) { m.Delete("member", []string{aliceDN}) }), ldap.LDAPResultInsufficientAccessRights)
	wantCode(t, bob.Del(ldap.NewDelRequest(mine, nil)), ldap.LDAPResultInsufficientAccessRights)
	wantCode(t, alice.Del(ldap.NewDelRequest(staffDN, nil)), ldap.LDAPResultInsufficientAccessRights)
	if err := alice.Del(ldap.NewDelRequest(mine, nil)); err != nil {
		t.Fatal(err)
	}
	// Without any group permission, adds are refused.
	g := newFixture(t, func(_ *ldapserver.Config, s *map[string]acl.SectionConfig) {
		*s = map[string]acl.SectionConfig{"DEFAULT": {Permissions: []string{"ldap_read"}}}
	})
	wantCode(t, addEntry(g.bound(aliceDN, alicePass), mine, attrs{"objectClass": {"groupOfNames"}, "cn": {"alices"}}), ldap.LDAPResultInsufficientAccessRights)
}

func TestModifyGroup(t *testing.T) {
	f := newFixture(t)
	admin := f.bound(adminDN, adminPass)
	// Members change through member or memberUid alike.
	if err := modify(admin, staffDN, func(m *ldap.ModifyRequest) {
		m.Add("member", []string{adminDN})
		m.Delete("memberUid", []string{"alice"})
		m.Replace("description", []string{"Staff"})
		m.Add("owner", []string{bobDN})
	}); err != nil {
		t.Fatal(err)
	}
	if got := lowered(read(t, admin, staffDN, "member")); got != members(adminDN, bobDN) {
		t.Errorf("members %s", got)
	}
	if got := lowered(read(t, admin, staffDN, "memberUid")); got != "admin;bob" {
		t.Errorf("memberUid %s", got)
	}
	if got := read(t, admin, staffDN, "description"); len(got) != 1 || got[0] != "Staff" {
		t.Errorf("description %v", got)
	}
	if slices.Contains(read(t, admin, aliceDN, "memberOf"), staffDN) {
		t.Error("alice is still a member")
	}
	// bob owns staff now: manage_own_groups lets him change it.
	bob := f.bound(bobDN, bobPass)
	if err := modify(bob, staffDN, func(m *ldap.ModifyRequest) { m.Replace("member", []string{aliceDN, bobDN}) }); err != nil {
		t.Fatal(err)
	}
	if got := lowered(read(t, admin, staffDN, "member")); got != members(aliceDN, bobDN) {
		t.Errorf("members after a replace: %s", got)
	}

	for _, tc := range []struct {
		name string
		fn   func(*ldap.ModifyRequest)
		code uint16
		says string
	}{
		{"RDN", func(m *ldap.ModifyRequest) { m.Replace("cn", []string{"team"}) }, ldap.LDAPResultNotAllowedOnRDN, "cn"},
		{"MissingUser", func(m *ldap.ModifyRequest) { m.Add("member", []string{"uid=nobody," + usersDN}) }, ldap.LDAPResultConstraintViolation, "uid=nobody"},
		{"MissingMemberUid", func(m *ldap.ModifyRequest) { m.Add("memberUid", []string{"nobody"}) }, ldap.LDAPResultConstraintViolation, "nobody"},
		{"DuplicateMember", func(m *ldap.ModifyRequest) { m.Add("member", []string{strings.ToUpper(aliceDN)}) }, ldap.LDAPResultAttributeOrValueExists, "member"},
		{"NotAMember", func(m *ldap.ModifyRequest) { m.Delete("member", []string{adminDN}) }, ldap.LDAPResultNoSuchAttribute, "member"},
		{"RemoveGID", func(m *ldap.ModifyRequest) { m.Delete("gidNumber", nil) }, ldap.LDAPResultConstraintViolation, "gidNumber"},
		{"UniqueMember", func(m *ldap.ModifyRequest) { m.Add("uniqueMember", []string{adminDN}) }, ldap.LDAPResultObjectClassViolation, "uniqueMember"},
		{"Unstored", func(m *ldap.ModifyRequest) { m.Add("seeAlso", []string{adminDN}) }, ldap.LDAPResultUnwillingToPerform, "seeAlso"},
		{"UserPassword", func(m *ldap.ModifyRequest) { m.Add("userPassword", []string{"group-password"}) }, ldap.LDAPResultUnwillingToPerform, "userPassword"},
		{"ObjectClasses", func(m *ldap.ModifyRequest) { m.Add("objectClass", []string{"groupOfUniqueNames"}) }, ldap.LDAPResultUnwillingToPerform, "object classes"},
		{"IncrementDescription", func(m *ldap.ModifyRequest) { m.Increment("description", "1") }, ldap.LDAPResultInvalidAttributeSyntax, "description"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantMessage(t, modify(admin, staffDN, tc.fn), tc.code, tc.says)
		})
	}
	gid, _ := strconv.Atoi(read(t, admin, staffDN, "gidNumber")[0])
	if err := modify(admin, staffDN, func(m *ldap.ModifyRequest) { m.Increment("gidNumber", "1000") }); err != nil {
		t.Fatal(err)
	}
	if got, _ := strconv.Atoi(read(t, admin, staffDN, "gidNumber")[0]); got != gid+1000 {
		t.Errorf("gidNumber %d after an increment of %d", got, gid)
	}
	// Another group's gid number is a unique constraint.
	admins := read(t, admin, "cn=admins,"+groupsDN, "gidNumber")
	wantMessage(t, modify(admin, staffDN, func(m *ldap.ModifyRequest) { m.Replace("gidNumber", admins) }),
		ldap.LDAPResultConstraintViolation, "already exists")
}

func TestDeleteAndRename(t *testing.T) {
	f := newFixture(t)
	admin := f.bound(adminDN, adminPass)
	alice := f.bound(aliceDN, alicePass)

	// The structure stays.
	wantCode(t, admin.Del(ldap.NewDelRequest(usersDN, nil)), ldap.LDAPResultNotAllowedOnNonLeaf)
	wantCode(t, admin.Del(ldap.NewDelRequest(groupsDN, nil)), ldap.LDAPResultNotAllowedOnNonLeaf)
	wantCode(t, admin.Del(ldap.NewDelRequest(root, nil)), ldap.LDAPResultNotAllowedOnNonLeaf)
	wantCode(t, admin.ModifyDN(ldap.NewModifyDNRequest(usersDN, "ou=people", true, "")), ldap.LDAPResultUnwillingToPerform)
	wantMatched(t, admin.Del(ldap.NewDelRequest("uid=nobody,"+usersDN, nil)), ldap.LDAPResultNoSuchObject, usersDN)
	wantMatched(t, admin.Del(ldap.NewDelRequest("cn=nobody,"+groupsDN, nil)), ldap.LDAPResultNoSuchObject, groupsDN)
	wantMatched(t, admin.Del(ldap.NewDelRequest("uid=bob,dc=other,dc=org", nil)), ldap.LDAPResultNoSuchObject, "")
	wantCode(t, admin.Del(ldap.NewDelRequest("uid=bob,,", nil)), ldap.LDAPResultInvalidDNSyntax)

	// Renaming a user: the old DN is gone, the groups follow.
	wantCode(t, alice.ModifyDN(ldap.NewModifyDNRequest(bobDN, "uid=robert", true, "")), ldap.LDAPResultInsufficientAccessRights)
	wantCode(t, alice.ModifyDN(ldap.NewModifyDNRequest(aliceDN, "uid=alicia", true, "")), ldap.LDAPResultInsufficientAccessRights)
	wantCode(t, admin.ModifyDN(ldap.NewModifyDNRequest(bobDN, "uid=alice", true, "")), ldap.LDAPResultEntryAlreadyExists)
	wantCode(t, admin.ModifyDN(ldap.NewModifyDNRequest(bobDN, "cn=robert", true, "")), ldap.LDAPResultNamingViolation)
	wantCode(t, admin.ModifyDN(ldap.NewModifyDNRequest(bobDN, "uid=robert+cn=x", true, "")), ldap.LDAPResultNamingViolation)
	wantCode(t, admin.ModifyDN(ldap.NewModifyDNRequest(bobDN, "uid=bad name", true, "")), ldap.LDAPResultInvalidAttributeSyntax)
	wantCode(t, admin.ModifyDN(ldap.NewModifyDNRequest(bobDN, "uid=robert", true, groupsDN)), ldap.LDAPResultUnwillingToPerform)
	wantMatched(t, admin.ModifyDN(ldap.NewModifyDNRequest("uid=nobody,"+usersDN, "uid=robert", true, "")), ldap.LDAPResultNoSuchObject, usersDN)
	robertDN := "uid=robert," + usersDN
	if err := admin.ModifyDN(ldap.NewModifyDNRequest(bobDN, "uid=robert", false, usersDN)); err != nil {
		t.Fatal(err)
	}
	_, err := admin.Search(ldap.NewSearchRequest(bobDN, ldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", nil, nil))
	wantCode(t, err, ldap.LDAPResultNoSuchObject)
	if got := read(t, admin, robertDN, "uid"); len(got) != 1 || got[0] != "robert" {
		t.Errorf("uid after the rename: %v", got)
	}
	if got := lowered(read(t, admin, staffDN, "member")); got != members(aliceDN, robertDN) {
		t.Errorf("staff after the rename: %s", got)
	}
	f.bound(robertDN, bobPass)

	// Renaming a group.
	teamDN := "cn=team," + groupsDN
	wantCode(t, alice.ModifyDN(ldap.NewModifyDNRequest(staffDN, "cn=team", true, "")), ldap.LDAPResultInsufficientAccessRights)
	wantCode(t, admin.ModifyDN(ldap.NewModifyDNRequest(staffDN, "cn=admins", true, "")), ldap.LDAPResultEntryAlreadyExists)
	wantCode(t, admin.ModifyDN(ldap.NewModifyDNRequest(staffDN, "uid=team", true, "")), ldap.LDAPResultNamingViolation)
	if err := admin.ModifyDN(ldap.NewModifyDNRequest(staffDN, "cn=team", true, "")); err != nil {
		t.Fatal(err)
	}
	if got := lowered(read(t, admin, teamDN, "member")); got != members(aliceDN, robertDN) {
		t.Errorf("members of the renamed group: %s", got)
	}
	if got := read(t, admin, aliceDN, "memberOf"); !slices.Contains(got, teamDN) {
		t.Errorf("alice's memberOf after the rename: %v", got)
	}

	// Deleting.
	wantCode(t, alice.Del(ldap.NewDelRequest(robertDN, nil)), ldap.LDAPResultInsufficientAccessRights)
	wantCode(t, alice.Del(ldap.NewDelRequest(aliceDN, nil)), ldap.LDAPResultInsufficientAccessRights)
	if err := admin.Del(ldap.NewDelRequest(robertDN, nil)); err != nil {
		t.Fatal(err)
	}
	wantMatched(t, admin.Del(ldap.NewDelRequest(robertDN, nil)), ldap.LDAPResultNoSuchObject, usersDN)
	if got := lowered(read(t, admin, teamDN, "member")); got != members(aliceDN) {
		t.Errorf("team after the deletion: %s", got)
	}
	if err := admin.Del(ldap.NewDelRequest(teamDN, nil)); err != nil {
		t.Fatal(err)
	}
	wantMatched(t, admin.Del(ldap.NewDelRequest(teamDN, nil)), ldap.LDAPResultNoSuchObject, groupsDN)
}

// TestWriteHidden checks that entries the requester may not see are
// reported missing, not forbidden.
func TestWriteHidden(t *testing.T) {
	f := newFixture(t, func(_ *ldapserver.Config, s *map[string]acl.SectionConfig) {
		*s = map[string]acl.SectionConfig{
			"DEFAULT": {Permissions: []string{"edit_self", "manage_own_groups"}, Read: []string{"user_name"}, Write: []string{"given_name"}},
			"ADMIN":   {Filter: map[string]any{"groups": "admins"}, Permissions: []string{"manage_users", "ldap_read", "manage_all_groups"}},
		}
	})
	alice := f.bound(aliceDN, alicePass)
	title := func(m *ldap.ModifyRequest) { m.Replace("givenName", []string{"X"}) }
	wantMatched(t, modify(alice, bobDN, title), ldap.LDAPResultNoSuchObject, usersDN)
	wantMatched(t, alice.Del(ldap.NewDelRequest(bobDN, nil)), ldap.LDAPResultNoSuchObject, usersDN)
	wantMatched(t, alice.ModifyDN(ldap.NewModifyDNRequest(bobDN, "uid=x", true, "")), ldap.LDAPResultNoSuchObject, usersDN)
	wantMatched(t, alice.Del(ldap.NewDelRequest(staffDN, nil)), ldap.LDAPResultNoSuchObject, groupsDN)
	if err := modify(alice, aliceDN, title); err != nil {
		t.Fatal(err)
	}
	// Groups alice owns are hers to change, though she cannot read groups.
	mine := "cn=alices," + groupsDN
	if err := addEntry(alice, mine, attrs{"objectClass": {"groupOfNames"}, "cn": {"alices"}}); err != nil {
		t.Fatal(err)
	}
	if err := modify(alice, mine, func(m *ldap.ModifyRequest) { m.Add("member", []string{bobDN}) }); err != nil {
		t.Fatal(err)
	}
	// Anonymous clients see nothing, not even matchedDN.
	anon := f.dial()
	wantMatched(t, modify(anon, bobDN, title), ldap.LDAPResultNoSuchObject, "")
	wantMatched(t, anon.Del(ldap.NewDelRequest(staffDN, nil)), ldap.LDAPResultNoSuchObject, "")
	wantCode(t, addEntry(anon, "uid=eve,"+usersDN, person("eve", nil)), ldap.LDAPResultInsufficientAccessRights)
	// With anonymous read, they see and are refused.
	g := newFixture(t, func(c *ldapserver.Config, _ *map[string]acl.SectionConfig) { c.AnonymousRead = true })
	wantCode(t, modify(g.dial(), bobDN, title), ldap.LDAPResultInsufficientAccessRights)
}
