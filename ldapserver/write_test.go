package ldapserver_test

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/ldapserver"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// The write tests drive the server with the go-ldap client over a bolt
// store holding admin (member of admins), alice and bob (see newFixture).

const (
	usersDN  = "ou=users," + root
	groupsDN = "ou=groups," + root
	staffDN  = "cn=staff," + groupsDN
)

// attrs is the attribute list of an AddRequest.
type attrs map[string][]string

// person returns the attributes of a typical new user.
func person(name string, extra attrs) attrs {
	a := attrs{"objectClass": {"top", "inetOrgPerson"}, "uid": {name}, "cn": {name + " Tester"}, "sn": {"Tester"}}
	for k, v := range extra {
		if v == nil {
			delete(a, k)
		} else {
			a[k] = v
		}
	}
	return a
}

func addEntry(c *ldap.Conn, dn string, a attrs) error {
	req := ldap.NewAddRequest(dn, nil)
	for k, v := range a {
		req.Attribute(k, v)
	}
	return c.Add(req)
}

// modify sends one ModifyRequest built by fn.
func modify(c *ldap.Conn, dn string, fn func(*ldap.ModifyRequest)) error {
	req := ldap.NewModifyRequest(dn, nil)
	fn(req)
	return c.Modify(req)
}

// wantMatched checks the result code and the matchedDN of an error.
func wantMatched(t *testing.T, err error, code uint16, matched string) {
	t.Helper()
	wantCode(t, err, code)
	var le *ldap.Error
	if !errors.As(err, &le) || !strings.EqualFold(le.MatchedDN, matched) {
		t.Fatalf("error %v: matchedDN %q, want %q", err, le.MatchedDN, matched)
	}
}

// wantMessage checks the result code and that the diagnostic message
// holds some text.
func wantMessage(t *testing.T, err error, code uint16, text string) {
	t.Helper()
	wantCode(t, err, code)
	if !strings.Contains(err.Error(), text) {
		t.Fatalf("error %q does not say %q", err, text)
	}
}

// read returns one attribute's values of an entry, as admin sees it.
func read(t *testing.T, c *ldap.Conn, dn, attr string) []string {
	t.Helper()
	e := search(t, c, dn, ldap.ScopeBaseObject, "(objectClass=*)", attr)
	if len(e) != 1 {
		t.Fatalf("read %s: %d entries", dn, len(e))
	}
	return e[0].GetAttributeValues(attr)
}

func ssha(pw string) string {
	salt := []byte("NaCl1234")
	sum := sha1.Sum(append([]byte(pw), salt...))
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(sum[:], salt...))
}

func TestAddUser(t *testing.T) {
	f := newFixture(t)
	admin := f.bound(adminDN, adminPass)
	daveDN := "uid=dave," + usersDN
	photo := "\xff\xd8\xff\xe0 not quite a jpeg"
	err := addEntry(admin, daveDN, person("dave", attrs{
		"objectClass": {"top", "person", "organizationalPerson", "inetOrgPerson", "posixAccount"},
		"mail":        {"dave@example.org"}, "telephoneNumber": {"+33 1 98 76 54 32"},
		"userPassword": {"dave-password-1"}, "jpegPhoto": {photo}, "homeDirectory": {"/srv/dave"},
		"uidNumber": {"20000"}, "gidNumber": {"20000"}}))
	if err != nil {
		t.Fatal(err)
	}
	f.bound(daveDN, "dave-password-1")
	if pw := read(t, admin, daveDN, "userPassword"); len(pw) != 1 || !strings.HasPrefix(pw[0], "{ARGON2}") {
		t.Errorf("the password is stored as %.10q", pw)
	}
	if p := read(t, admin, daveDN, "jpegPhoto"); len(p) != 1 || p[0] != photo {
		t.Error("the photo was not stored")
	}
	if n := read(t, admin, daveDN, "uidNumber"); len(n) != 1 || n[0] != "20000" {
		t.Errorf("uidNumber %v", n)
	}
	wantCode(t, addEntry(admin, daveDN, person("dave", nil)), ldap.LDAPResultEntryAlreadyExists)

	// A user without POSIX attributes gets them allocated.
	if err := addEntry(admin, "uid=erin,"+usersDN, person("erin", attrs{"userPassword": {ssha("erin-password-1")}})); err != nil {
		t.Fatal(err)
	}
	f.bound("uid=erin,"+usersDN, "erin-password-1")
	if n, _ := strconv.Atoi(read(t, admin, "uid=erin,"+usersDN, "uidNumber")[0]); n < 10000 {
		t.Errorf("allocated uidNumber %d", n)
	}

	// Adds need manage_users, whatever the password form.
	alice := f.bound(aliceDN, alicePass)
	wantCode(t, addEntry(alice, "uid=frank,"+usersDN, person("frank", attrs{"userPassword": {ssha("frank-password-1")}})), ldap.LDAPResultInsufficientAccessRights)
	wantCode(t, addEntry(alice, "uid=frank,"+usersDN, person("frank", nil)), ldap.LDAPResultInsufficientAccessRights)
	wantCode(t, addEntry(f.dial(), "uid=frank,"+usersDN, person("frank", nil)), ldap.LDAPResultInsufficientAccessRights)
	wantCode(t, addEntry(alice, daveDN, person("dave", nil)), ldap.LDAPResultInsufficientAccessRights)

	frank := "uid=frank," + usersDN
	for _, tc := range []struct {
		name string
		dn   string
		a    attrs
		code uint16
		says string
	}{
		{"WeakPassword", frank, person("frank", attrs{"userPassword": {"short"}}), ldap.LDAPResultConstraintViolation, "at least 8"},
		{"UnsupportedScheme", frank, person("frank", attrs{"userPassword": {"{FOO}abcdef"}}), ldap.LDAPResultInvalidAttributeSyntax, "userPassword"},
		{"UnknownAttribute", frank, person("frank", attrs{"fooBar": {"x"}}), ldap.LDAPResultUndefinedAttributeType, "fooBar"},
		{"Unstored", frank, person("frank", attrs{"seeAlso": {aliceDN}}), ldap.LDAPResultUnwillingToPerform, "does not store the attribute seeAlso"},
		{"UnstoredPosix", frank, person("frank", attrs{"objectClass": {"inetOrgPerson", "posixAccount"}, "gecos": {"Frank"}}), ldap.LDAPResultUnwillingToPerform, "gecos"},
		{"NotAllowedByClasses", frank, person("frank", attrs{"member": {aliceDN}}), ldap.LDAPResultObjectClassViolation, "member"},
		{"PosixNeedsItsClass", frank, person("frank", attrs{"uidNumber": {"30000"}}), ldap.LDAPResultObjectClassViolation, "uidNumber"},
		{"Operational", frank, person("frank", attrs{"entryUUID": {"0b5c6b8e-7a9a-4a36-9d5c-2f0e6a2f6a11"}}), ldap.LDAPResultConstraintViolation, "entryUUID"},
		{"MemberOf", frank, person("frank", attrs{"memberOf": {staffDN}}), ldap.LDAPResultConstraintViolation, "memberOf"},
		{"NoStructuralClass", frank, person("frank", attrs{"objectClass": {"top", "posixAccount"}}), ldap.LDAPResultObjectClassViolation, "inetOrgPerson"},
		{"NoObjectClass", frank, person("frank", attrs{"objectClass": nil}), ldap.LDAPResultObjectClassViolation, "object class"},
		{"UnknownClass", frank, person("frank", attrs{"objectClass": {"inetOrgPerson", "fooClass"}}), ldap.LDAPResultObjectClassViolation, "fooClass"},
		{"UnstoredClass", frank, person("frank", attrs{"objectClass": {"inetOrgPerson", "labeledURIObject"}}), ldap.LDAPResultUnwillingToPerform, "labeledURIObject"},
		{"RDNMismatch", frank, person("franck", nil), ldap.LDAPResultNamingViolation, "uid"},
		{"NoUID", frank, person("frank", attrs{"uid": nil}), ldap.LDAPResultNamingViolation, "uid"},
		{"BadEmail", frank, person("frank", attrs{"mail": {"not an email"}}), ldap.LDAPResultInvalidAttributeSyntax, "mail"},
		{"BadNumber", frank, person("frank", attrs{"objectClass": {"inetOrgPerson", "posixAccount"}, "uidNumber": {"twelve"}}), ldap.LDAPResultInvalidAttributeSyntax, "uidNumber"},
		{"SingleValued", frank, person("frank", attrs{"displayName": {"F", "Frankie"}}), ldap.LDAPResultConstraintViolation, "displayName"},
		{"ModelSingleValued", frank, person("frank", attrs{"cn": {"Frank", "Franky"}}), ldap.LDAPResultConstraintViolation, "cn"},
		{"DuplicateValues", frank, person("frank", attrs{"mail": {"f@example.org", "F@example.org"}}), ldap.LDAPResultAttributeOrValueExists, "mail"},
		{"DuplicateEmail", frank, person("frank", attrs{"mail": {"alice@example.org"}}), ldap.LDAPResultConstraintViolation, "already exists"},
		{"Label", frank, person("frank", attrs{"labeledURI": {"https://example.org My page"}}), ldap.LDAPResultUnwillingToPerform, "labeledURI"},
		{"Options", frank, person("frank", attrs{"cn;lang-fr": {"François"}}), ldap.LDAPResultUnwillingToPerform, "options"},
		{"NotAUserDN", "cn=frank," + usersDN, person("frank", nil), ldap.LDAPResultUnwillingToPerform, "uid=NAME"},
		{"UnderTheRoot", "ou=people," + root, attrs{"objectClass": {"organizationalUnit"}, "ou": {"people"}}, ldap.LDAPResultUnwillingToPerform, "uid=NAME"},
		{"MalformedDN", "uid=frank,,dc=x", person("frank", nil), ldap.LDAPResultInvalidDNSyntax, "DN"},
		{"Root", root, attrs{"objectClass": {"organization"}, "o": {"example"}}, ldap.LDAPResultEntryAlreadyExists, root},
		{"UsersUnit", usersDN, attrs{"objectClass": {"organizationalUnit"}, "ou": {"users"}}, ldap.LDAPResultEntryAlreadyExists, usersDN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantMessage(t, addEntry(admin, tc.dn, tc.a), tc.code, tc.says)
		})
	}
	wantCode(t, f.dial().Bind(frank, "frank-password-1"), ldap.LDAPResultInvalidCredentials) // nothing was created

	// Missing parents and DNs outside the tree: noSuchObject.
	wantMatched(t, addEntry(admin, "uid=frank,ou=nowhere,"+root, person("frank", nil)), ldap.LDAPResultNoSuchObject, root)
	wantMatched(t, addEntry(admin, "uid=frank,ou=users,dc=other,dc=org", person("frank", nil)), ldap.LDAPResultNoSuchObject, "")
}

func TestModifyUser(t *testing.T) {
	f := newFixture(t)
	admin := f.bound(adminDN, adminPass)
	alice := f.bound(aliceDN, alicePass)

	// Add, delete, replace and increment, applied in order.
	uid, _ := strconv.Atoi(read(t, admin, bobDN, "uidNumber")[0])
	err := modify(admin, bobDN, func(m *ldap.ModifyRequest) {
		m.Add("mail", []string{"robert@example.org"})
		m.Delete("telephoneNumber", []string{"+33 1 23 45 67 89"})
		m.Replace("title", []string{"Engineer"})
		m.Increment("uidNumber", "5")
		m.Add("givenName", []string{"Robert"})
		m.Delete("givenName", []string{"BOB"}) // caseIgnoreMatch
	})
	if err != nil {
		t.Fatal(err)
	}
	e := search(t, admin, bobDN, ldap.ScopeBaseObject, "(objectClass=*)")[0]
	if got := strings.Join(e.GetAttributeValues("mail"), " "); got != "bob@example.org robert@example.org" ||
		e.GetAttributeValue("telephoneNumber") != "" || e.GetAttributeValue("title") != "Engineer" ||
		e.GetAttributeValue("uidNumber") != strconv.Itoa(uid+5) || e.GetAttributeValue("givenName") != "Robert" {
		t.Errorf("bob after the changes: %v", e.Attributes)
	}
	if err := modify(admin, bobDN, func(m *ldap.ModifyRequest) { m.Replace("title", nil); m.Delete("mail", []string{"ROBERT@example.org"}) }); err != nil {
		t.Fatal(err)
	}
	if got := read(t, admin, bobDN, "title"); len(got) != 0 {
		t.Errorf("title after an empty replace: %v", got)
	}

	// Users change the attributes of their WRITE list on their own entry.
	if err := modify(alice, aliceDN, func(m *ldap.ModifyRequest) {
		m.Replace("givenName", []string{"Alicia"})
		m.Add("telephoneNumber", []string{"+33 6 00 00 00 00"})
		m.Replace("jpegPhoto", []string{"\xff\xd8 photo"})
	}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, admin, aliceDN, "givenName"); len(got) != 1 || got[0] != "Alicia" {
		t.Errorf("givenName %v", got)
	}
	if got := read(t, admin, aliceDN, "jpegPhoto"); len(got) != 1 || got[0] != "\xff\xd8 photo" {
		t.Errorf("jpegPhoto %q", got)
	}
	// A new cleartext password works at once; a hashed one escapes the
	// policy and needs manage_users.
	if err := modify(alice, aliceDN, func(m *ldap.ModifyRequest) { m.Replace("userPassword", []string{"alice-password-2"}) }); err != nil {
		t.Fatal(err)
	}
	f.bound(aliceDN, "alice-password-2")
	wantCode(t, f.dial().Bind(aliceDN, alicePass), ldap.LDAPResultInvalidCredentials)
	wantCode(t, modify(alice, aliceDN, func(m *ldap.ModifyRequest) { m.Replace("userPassword", []string{ssha("x")}) }), ldap.LDAPResultInsufficientAccessRights)
	if err := modify(admin, bobDN, func(m *ldap.ModifyRequest) { m.Replace("userPassword", []string{ssha("bob-hashed-1")}) }); err != nil {
		t.Fatal(err)
	}
	f.bound(bobDN, "bob-hashed-1")

	for _, tc := range []struct {
		name string
		c    *ldap.Conn
		dn   string
		fn   func(*ldap.ModifyRequest)
		code uint16
		says string
	}{
		{"NotInWriteList", alice, aliceDN, func(m *ldap.ModifyRequest) { m.Replace("uidNumber", []string{"1"}) }, ldap.LDAPResultInsufficientAccessRights, "uidNumber"},
		{"ObjectClassSelf", alice, aliceDN, func(m *ldap.ModifyRequest) { m.Add("objectClass", []string{"labeledURIObject"}) }, ldap.LDAPResultInsufficientAccessRights, "objectClass"},
		{"OtherUser", alice, bobDN, func(m *ldap.ModifyRequest) { m.Replace("title", []string{"Boss"}) }, ldap.LDAPResultInsufficientAccessRights, "manage_users"},
		{"MemberOf", admin, bobDN, func(m *ldap.ModifyRequest) { m.Add("memberOf", []string{"cn=admins," + groupsDN}) }, ldap.LDAPResultConstraintViolation, "memberOf"},
		{"MemberOfSelf", alice, aliceDN, func(m *ldap.ModifyRequest) { m.Add("memberOf", []string{"cn=admins," + groupsDN}) }, ldap.LDAPResultConstraintViolation, "memberOf"},
		{"RDN", admin, bobDN, func(m *ldap.ModifyRequest) { m.Replace("uid", []string{"robert"}) }, ldap.LDAPResultNotAllowedOnRDN, "uid"},
		{"UnknownAttribute", admin, bobDN, func(m *ldap.ModifyRequest) { m.Add("fooBar", []string{"x"}) }, ldap.LDAPResultUndefinedAttributeType, "fooBar"},
		{"Unstored", admin, bobDN, func(m *ldap.ModifyRequest) { m.Add("gecos", []string{"Bob"}) }, ldap.LDAPResultUnwillingToPerform, "gecos"},
		{"NotAllowedByClasses", admin, bobDN, func(m *ldap.ModifyRequest) { m.Add("member", []string{aliceDN}) }, ldap.LDAPResultObjectClassViolation, "member"},
		{"BadEmail", alice, aliceDN, func(m *ldap.ModifyRequest) { m.Replace("mail", []string{"alice at example"}) }, ldap.LDAPResultInvalidAttributeSyntax, "mail"},
		{"EmailOfAnother", admin, bobDN, func(m *ldap.ModifyRequest) { m.Add("mail", []string{"alice@example.org"}) }, ldap.LDAPResultConstraintViolation, "already exists"},
		{"WeakPassword", alice, aliceDN, func(m *ldap.ModifyRequest) { m.Replace("userPassword", []string{"short"}) }, ldap.LDAPResultConstraintViolation, "at least 8"},
		{"DuplicateValue", admin, bobDN, func(m *ldap.ModifyRequest) { m.Add("mail", []string{"BOB@example.org"}) }, ldap.LDAPResultAttributeOrValueExists, "mail"},
		{"MissingValue", admin, bobDN, func(m *ldap.ModifyRequest) { m.Delete("mail", []string{"nobody@example.org"}) }, ldap.LDAPResultNoSuchAttribute, "mail"},
		{"MissingAttribute", admin, bobDN, func(m *ldap.ModifyRequest) { m.Delete("title", nil) }, ldap.LDAPResultNoSuchAttribute, "title"},
		{"IncrementText", admin, bobDN, func(m *ldap.ModifyRequest) { m.Increment("sn", "1") }, ldap.LDAPResultInvalidAttributeSyntax, "sn"},
		{"SingleValued", admin, bobDN, func(m *ldap.ModifyRequest) { m.Add("displayName", []string{"B", "Bobby"}) }, ldap.LDAPResultConstraintViolation, "displayName"},
		{"RemoveUIDNumber", admin, bobDN, func(m *ldap.ModifyRequest) { m.Delete("uidNumber", nil) }, ldap.LDAPResultConstraintViolation, "uidNumber"},
		{"ObjectClasses", admin, bobDN, func(m *ldap.ModifyRequest) { m.Delete("objectClass", []string{"shadowAccount"}) }, ldap.LDAPResultUnwillingToPerform, "object classes"},
		{"Computed", admin, bobDN, func(m *ldap.ModifyRequest) { m.Replace("modifyTimestamp", []string{"20200101000000Z"}) }, ldap.LDAPResultConstraintViolation, "modifyTimestamp"},
		{"Root", admin, root, func(m *ldap.ModifyRequest) { m.Replace("o", []string{"x"}) }, ldap.LDAPResultUnwillingToPerform, root},
		{"Subschema", admin, "cn=subschema", func(m *ldap.ModifyRequest) { m.Add("attributeTypes", []string{"( 1.2.3 )"}) }, ldap.LDAPResultUnwillingToPerform, "subschema"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantMessage(t, modify(tc.c, tc.dn, tc.fn), tc.code, tc.says)
		})
	}
	// The password is never echoed.
	if err := modify(admin, bobDN, func(m *ldap.ModifyRequest) { m.Delete("userPassword", []string{"secret-guess-1"}) }); err == nil ||
		strings.Contains(err.Error(), "secret-guess-1") {
		t.Errorf("delete of a wrong password value: %v", err)
	}

	// A refused change leaves the whole entry unchanged.
	wantCode(t, modify(admin, bobDN, func(m *ldap.ModifyRequest) {
		m.Replace("title", []string{"Changed"})
		m.Replace("jpegPhoto", []string{"photo"})
		m.Add("mail", []string{"bad address"})
	}), ldap.LDAPResultInvalidAttributeSyntax)
	if got := read(t, admin, bobDN, "title"); len(got) != 0 {
		t.Errorf("a refused modify changed title: %v", got)
	}
	if got := read(t, admin, bobDN, "jpegPhoto"); len(got) != 0 {
		t.Errorf("a refused modify stored a photo")
	}

	// Missing entries: noSuchObject with the matchedDN.
	wantMatched(t, modify(admin, "uid=nobody,"+usersDN, func(m *ldap.ModifyRequest) { m.Replace("title", []string{"x"}) }),
		ldap.LDAPResultNoSuchObject, usersDN)
	wantMatched(t, modify(admin, "uid=x,ou=nowhere,"+root, func(m *ldap.ModifyRequest) { m.Replace("title", []string{"x"}) }),
		ldap.LDAPResultNoSuchObject, root)
}

func TestLockThroughPasswordPolicyAttributes(t *testing.T) {
	f := newFixture(t)
	admin := f.bound(adminDN, adminPass)
	f.bound(bobDN, bobPass)
	// pwdAccountLockedTime 000001010000Z is OpenLDAP's permanent lock.
	if err := modify(admin, bobDN, func(m *ldap.ModifyRequest) { m.Add("pwdAccountLockedTime", []string{"000001010000Z"}) }); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.dial().Bind(bobDN, bobPass), ldap.LDAPResultInvalidCredentials)
	if err := modify(admin, bobDN, func(m *ldap.ModifyRequest) { m.Delete("pwdEndTime", nil) }); err != nil {
		t.Fatal(err)
	}
	f.bound(bobDN, bobPass)
	until := time.Now().Add(time.Hour).UTC().Format("20060102150405Z")
	if err := modify(admin, bobDN, func(m *ldap.ModifyRequest) { m.Replace("pwdEndTime", []string{until}) }); err != nil {
		t.Fatal(err)
	}
	f.bound(bobDN, bobPass) // locked from a future instant only
	alice := f.bound(aliceDN, alicePass)
	wantCode(t, modify(alice, aliceDN, func(m *ldap.ModifyRequest) { m.Replace("pwdEndTime", []string{until}) }), ldap.LDAPResultInsufficientAccessRights)
	wantCode(t, modify(admin, bobDN, func(m *ldap.ModifyRequest) { m.Replace("pwdChangedTime", []string{until}) }), ldap.LDAPResultConstraintViolation)
}

// directoryOnly hides the writer of a store: a read-only backend.
type directoryOnly struct{ store.Directory }

func TestReadOnlyStore(t *testing.T) {
	f := newFixture(t)
	policy, err := acl.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ldapserver.New(ldapserver.Config{Listen: "127.0.0.1:0", RootDN: root, Secret: []byte(strings.Repeat("r", 32))},
		directoryOnly{f.st}, policy)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	c, err := ldap.DialURL("ldap://" + srv.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind(adminDN, adminPass); err != nil {
		t.Fatal(err)
	}
	wantMessage(t, addEntry(c, "uid=dave,"+usersDN, person("dave", nil)), ldap.LDAPResultUnwillingToPerform, "read-only")
	wantCode(t, modify(c, bobDN, func(m *ldap.ModifyRequest) { m.Replace("title", []string{"x"}) }), ldap.LDAPResultUnwillingToPerform)
	wantCode(t, c.Del(ldap.NewDelRequest(bobDN, nil)), ldap.LDAPResultUnwillingToPerform)
	wantCode(t, c.ModifyDN(ldap.NewModifyDNRequest(bobDN, "uid=robert", true, "")), ldap.LDAPResultUnwillingToPerform)
	if len(search(t, c, bobDN, ldap.ScopeBaseObject, "(objectClass=*)")) != 1 {
		t.Error("bob is gone")
	}
}
