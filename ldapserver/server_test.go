package ldapserver_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/ldapserver"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/store/bolt"
	"github.com/canaille-go/canaille/store/password"
)

const (
	root      = "dc=example,dc=org"
	adminDN   = "uid=admin,ou=users,dc=example,dc=org"
	aliceDN   = "uid=alice,ou=users,dc=example,dc=org"
	bobDN     = "uid=bob,ou=users,dc=example,dc=org"
	adminPass = "admin-password-1"
	alicePass = "alice-password-1"
	bobPass   = "bob-password-12"
)

// fixture is a running server over a bolt store holding admin (member of
// admins), alice and bob (members of staff).
type fixture struct {
	t     *testing.T
	srv   *ldapserver.Server
	st    *bolt.Store
	addr  string
	ldaps string
	users map[string]store.User
}

type option func(*ldapserver.Config, *map[string]acl.SectionConfig)

func newFixture(t *testing.T, opts ...option) *fixture {
	t.Helper()
	h, err := password.NewHasher(password.Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := bolt.Config{Path: filepath.Join(t.TempDir(), "c.db"), Hasher: h, NoSync: true}.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	f := &fixture{t: t, st: st, users: map[string]store.User{}}
	for name, pw := range map[string]string{"admin": adminPass, "alice": alicePass, "bob": bobPass} {
		u, err := st.CreateUser(ctx, store.User{UserName: name, GivenName: strings.ToUpper(name[:1]) + name[1:],
			FamilyName: "Tester", Emails: []string{name + "@example.org"}, PhoneNumbers: []string{"+33 1 23 45 67 89"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetPassword(ctx, u.ID, pw); err != nil {
			t.Fatal(err)
		}
		f.users[name] = u
	}
	if _, err := st.CreateGroup(ctx, store.Group{DisplayName: "admins", Members: []store.Ref{{ID: f.users["admin"].ID}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateGroup(ctx, store.Group{DisplayName: "staff", Description: "Everybody",
		Members: []store.Ref{{ID: f.users["alice"].ID}, {ID: f.users["bob"].ID}}}); err != nil {
		t.Fatal(err)
	}
	cfg := ldapserver.Config{Listen: "127.0.0.1:0", RootDN: root, SizeLimit: 1000,
		BindCacheTTL: time.Minute, Secret: []byte(strings.Repeat("s", 32)),
		PasswordPolicy: store.PasswordPolicy{MinLength: 8, MaxLength: 100}, VendorVersion: "test"}
	var sections map[string]acl.SectionConfig
	for _, o := range opts {
		o(&cfg, &sections)
	}
	policy, err := acl.Compile(sections)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ldapserver.New(cfg, st, policy)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	f.srv = srv
	addrs := srv.Addrs()
	f.addr = addrs[0]
	if len(addrs) > 1 {
		f.ldaps = addrs[1]
	}
	return f
}

func (f *fixture) dial() *ldap.Conn {
	f.t.Helper()
	c, err := ldap.DialURL("ldap://" + f.addr)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { c.Close() })
	return c
}

func (f *fixture) bound(dn, pw string) *ldap.Conn {
	f.t.Helper()
	c := f.dial()
	if err := c.Bind(dn, pw); err != nil {
		f.t.Fatalf("bind %s: %v", dn, err)
	}
	return c
}

func search(t *testing.T, c *ldap.Conn, base string, scope int, filter string, attrs ...string) []*ldap.Entry {
	t.Helper()
	res, err := c.Search(ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, 0, 0, false, filter, attrs, nil))
	if err != nil {
		t.Fatalf("search %s %s: %v", base, filter, err)
	}
	return res.Entries
}

func dns(entries []*ldap.Entry) string {
	var out []string
	for _, e := range entries {
		out = append(out, e.DN)
	}
	return strings.Join(out, ";")
}

func wantCode(t *testing.T, err error, code uint16) {
	t.Helper()
	if !ldap.IsErrorWithCode(err, code) {
		t.Fatalf("error %v, want LDAP result %d", err, code)
	}
}

func TestRootDSEAndSubschema(t *testing.T) {
	f := newFixture(t)
	c := f.dial()
	e := search(t, c, "", ldap.ScopeBaseObject, "(objectClass=*)")
	if len(e) != 1 || e[0].GetAttributeValue("namingContexts") != root ||
		!strings.Contains(strings.Join(e[0].GetAttributeValues("supportedExtension"), " "), "1.3.6.1.4.1.4203.1.11.1") ||
		!strings.Contains(strings.Join(e[0].GetAttributeValues("supportedControl"), " "), "1.2.840.113556.1.4.319") {
		t.Fatalf("root DSE: %+v", e)
	}
	sub := search(t, c, "cn=subschema", ldap.ScopeBaseObject, "(objectClass=subschema)", "attributeTypes", "objectClasses")
	if len(sub) != 1 || len(sub[0].GetAttributeValues("attributeTypes")) < 30 || len(sub[0].GetAttributeValues("objectClasses")) < 10 {
		t.Fatalf("subschema: %d entries", len(sub))
	}
}

func TestBind(t *testing.T) {
	f := newFixture(t)
	c := f.dial()
	if err := c.Bind(aliceDN, alicePass); err != nil {
		t.Fatal(err)
	}
	who, err := c.WhoAmI(nil)
	if err != nil || who.AuthzID != "dn:"+aliceDN {
		t.Fatalf("whoami = %+v, %v", who, err)
	}
	for name, creds := range map[string][2]string{
		"wrong password": {aliceDN, "nope-nope-nope"},
		"unknown user":   {"uid=nobody,ou=users," + root, "whatever-123"},
		"not a user DN":  {"cn=admin," + root, "whatever-123"},
		"bare name":      {"alice", alicePass},
		"no password":    {aliceDN, ""},
	} {
		err := c.Bind(creds[0], creds[1])
		if name == "no password" {
			err = c.UnauthenticatedBind(creds[0])
		}
		if !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			t.Errorf("%s: %v, want 49", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "password") {
			t.Errorf("%s: the error tells too much: %v", name, err)
		}
	}
	// A failed bind leaves the connection anonymous.
	who, err = c.WhoAmI(nil)
	if err != nil || who.AuthzID != "" {
		t.Errorf("whoami after failed bind = %+v, %v", who, err)
	}
	// SASL is not supported, and says so without dropping the connection.
	err = c.ExternalBind()
	wantCode(t, err, ldap.LDAPResultAuthMethodNotSupported)
	if err := c.Bind(bobDN, bobPass); err != nil {
		t.Fatalf("the connection did not survive a SASL bind: %v", err)
	}
}

func TestBindLockedAndLoginNames(t *testing.T) {
	f := newFixture(t, func(c *ldapserver.Config, _ *map[string]acl.SectionConfig) {
		c.BindLoginAttributes = []string{"user_name", "emails"}
	})
	c := f.dial()
	if err := c.Bind("alice", alicePass); err != nil {
		t.Errorf("bind with a bare user name: %v", err)
	}
	if err := c.Bind("bob@example.org", bobPass); err != nil {
		t.Errorf("bind with an email: %v", err)
	}
	ctx := context.Background()
	if _, err := f.st.UpdateUser(ctx, f.users["alice"].ID, func(u *store.User) error { u.LockDate = time.Now().Add(-time.Minute); return nil }); err != nil {
		t.Fatal(err)
	}
	// The bind cache must not let a locked account in.
	wantCode(t, c.Bind(aliceDN, alicePass), ldap.LDAPResultInvalidCredentials)
}

func TestSearch(t *testing.T) {
	f := newFixture(t)
	c := f.bound(aliceDN, alicePass)
	e := search(t, c, "ou=users,"+root, ldap.ScopeWholeSubtree, "(&(objectClass=posixAccount)(uid=bob))", "uid", "uidNumber", "memberOf", "userPassword")
	if len(e) != 1 || e[0].DN != bobDN || e[0].GetAttributeValue("uidNumber") == "" {
		t.Fatalf("search uid=bob: %v", dns(e))
	}
	if e[0].GetAttributeValue("userPassword") != "" {
		t.Error("userPassword was returned to a plain user")
	}
	if got := e[0].GetAttributeValue("memberOf"); !strings.EqualFold(got, "cn=staff,ou=groups,"+root) {
		t.Errorf("memberOf = %q", got)
	}
	// Operational attributes only on request.
	e = search(t, c, bobDN, ldap.ScopeBaseObject, "(objectClass=*)")
	if e[0].GetAttributeValue("entryUUID") != "" || e[0].GetAttributeValue("cn") == "" {
		t.Errorf("default attributes: %v", e[0].Attributes)
	}
	e = search(t, c, bobDN, ldap.ScopeBaseObject, "(objectClass=*)", "+")
	if e[0].GetAttributeValue("entryUUID") == "" || e[0].GetAttributeValue("cn") != "" || e[0].GetAttributeValue("hasSubordinates") != "FALSE" {
		t.Errorf("'+' attributes: %v", e[0].Attributes)
	}
	e = search(t, c, bobDN, ldap.ScopeBaseObject, "(objectClass=*)", "1.1")
	if len(e[0].Attributes) != 0 {
		t.Errorf("'1.1' returned attributes: %v", e[0].Attributes)
	}
	// Scopes.
	if got := dns(search(t, c, root, ldap.ScopeSingleLevel, "(objectClass=*)", "1.1")); got != "ou=users,"+root+";ou=groups,"+root {
		t.Errorf("one-level under the root: %s", got)
	}
	// root, 2 OUs, 3 users, 2 groups, 3 private groups
	if n := len(search(t, c, root, ldap.ScopeWholeSubtree, "(objectClass=*)", "1.1")); n != 1+2+3+2+3 {
		t.Errorf("subtree: %d entries", n)
	}
	// The private group of a user, by gid and by name.
	gid := search(t, c, bobDN, ldap.ScopeBaseObject, "(objectClass=*)", "gidNumber")[0].GetAttributeValue("gidNumber")
	if got := dns(search(t, c, "ou=groups,"+root, ldap.ScopeWholeSubtree, "(&(objectClass=posixGroup)(gidNumber="+gid+"))", "cn")); got != "cn=bob,ou=groups,"+root {
		t.Errorf("bob's private group: %q", got)
	}
	// Groups by member and memberUid, as nslcd asks.
	if got := dns(search(t, c, "ou=groups,"+root, ldap.ScopeWholeSubtree, "(&(objectClass=posixGroup)(memberUid=bob))", "cn")); got != "cn=staff,ou=groups,"+root {
		t.Errorf("groups of bob: %s", got)
	}
	if got := dns(search(t, c, root, ldap.ScopeWholeSubtree, "(member="+strings.ToUpper(aliceDN)+")", "cn")); got != "cn=staff,ou=groups,"+root {
		t.Errorf("groups with member alice: %s", got)
	}
	// Missing base.
	_, err := c.Search(ldap.NewSearchRequest("uid=nobody,ou=users,"+root, ldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", nil, nil))
	wantCode(t, err, ldap.LDAPResultNoSuchObject)
	if e, ok := err.(*ldap.Error); !ok || !strings.EqualFold(e.MatchedDN, "ou=users,"+root) {
		t.Errorf("matchedDN of a missing user: %+v", err)
	}
}

func TestSearchLimitsPagingSort(t *testing.T) {
	f := newFixture(t, func(c *ldapserver.Config, _ *map[string]acl.SectionConfig) { c.SizeLimit = 2 })
	ctx := context.Background()
	for i := range 20 {
		if _, err := f.st.CreateUser(ctx, store.User{UserName: fmt.Sprintf("u%02d", i), FamilyName: fmt.Sprintf("Zz%02d", 19-i)}); err != nil {
			t.Fatal(err)
		}
	}
	c := f.bound(adminDN, adminPass)
	res, err := c.Search(ldap.NewSearchRequest("ou=users,"+root, ldap.ScopeSingleLevel, 0, 0, 0, false, "(objectClass=person)", []string{"uid"}, nil))
	wantCode(t, err, ldap.LDAPResultSizeLimitExceeded)
	if res == nil || len(res.Entries) != 2 {
		t.Fatalf("size-limited search returned %v", res)
	}
	// Paging lifts the server's size limit, page by page.
	all, err := c.SearchWithPaging(ldap.NewSearchRequest("ou=users,"+root, ldap.ScopeSingleLevel, 0, 0, 0, false, "(objectClass=person)", []string{"uid"}, nil), 7)
	if err != nil || len(all.Entries) != 23 {
		t.Fatalf("paged search: %d entries, %v", len(all.Entries), err)
	}
	// Server-side sort (sn has no ordering rule: name the rule).
	sortCtl := ldap.NewControlServerSideSortingWithSortKeys([]*ldap.SortKey{{AttributeType: "sn", MatchingRule: "caseIgnoreOrderingMatch"}})
	res, err = c.SearchWithPaging(ldap.NewSearchRequest("ou=users,"+root, ldap.ScopeSingleLevel, 0, 0, 0, false, "(uid=u*)", []string{"uid", "sn"}, []ldap.Control{sortCtl}), 5)
	if err != nil || len(res.Entries) != 20 || res.Entries[0].GetAttributeValue("uid") != "u19" {
		t.Fatalf("sorted search: %v, first %v", err, dns(res.Entries[:1]))
	}
}

func TestCompareAndACL(t *testing.T) {
	f := newFixture(t, func(_ *ldapserver.Config, s *map[string]acl.SectionConfig) {
		// Plain users see only themselves; the service group reads all.
		*s = map[string]acl.SectionConfig{
			"DEFAULT": {Permissions: []string{"edit_self"}, Read: []string{"user_name", "emails"}, Write: []string{"password"}},
			"ADMIN":   {Filter: map[string]any{"groups": "admins"}, Permissions: []string{"manage_users", "ldap_read", "manage_all_groups"}},
		}
	})
	c := f.bound(aliceDN, alicePass)
	if got := dns(search(t, c, "ou=users,"+root, ldap.ScopeWholeSubtree, "(objectClass=person)", "uid")); got != aliceDN {
		t.Errorf("alice sees %s", got)
	}
	e := search(t, c, aliceDN, ldap.ScopeBaseObject, "(objectClass=*)")
	if e[0].GetAttributeValue("mail") == "" || e[0].GetAttributeValue("telephoneNumber") != "" {
		t.Errorf("alice's own attributes: %v", e[0].Attributes)
	}
	if len(search(t, c, "ou=groups,"+root, ldap.ScopeWholeSubtree, "(objectClass=*)", "1.1")) != 1 { // the OU only
		t.Error("alice sees groups")
	}
	ok, err := c.Compare(aliceDN, "mail", "ALICE@example.org")
	if err != nil || !ok {
		t.Errorf("compare own mail: %v %v", ok, err)
	}
	_, err = c.Compare(bobDN, "mail", "bob@example.org")
	wantCode(t, err, ldap.LDAPResultNoSuchObject)
	admin := f.bound(adminDN, adminPass)
	ok, err = admin.Compare("cn=staff,ou=groups,"+root, "member", bobDN)
	if err != nil || !ok {
		t.Errorf("compare group member (Apache's check): %v %v", ok, err)
	}
	ok, err = admin.Compare("cn=staff,ou=groups,"+root, "member", adminDN)
	if err != nil || ok {
		t.Errorf("compare non-member: %v %v", ok, err)
	}
	_, err = admin.Compare(bobDN, "description", "x")
	wantCode(t, err, ldap.LDAPResultNoSuchAttribute)
	if e := search(t, admin, bobDN, ldap.ScopeBaseObject, "(objectClass=*)", "userPassword"); !strings.HasPrefix(e[0].GetAttributeValue("userPassword"), "{ARGON2}") {
		t.Errorf("manage_users reads userPassword: %v", e[0].Attributes)
	}
}

func TestPasswordModify(t *testing.T) {
	f := newFixture(t)
	c := f.bound(aliceDN, alicePass)
	_, err := c.PasswordModify(ldap.NewPasswordModifyRequest("", "wrong-old-password", "new-alice-pass"))
	wantCode(t, err, ldap.LDAPResultInvalidCredentials)
	_, err = c.PasswordModify(ldap.NewPasswordModifyRequest("", alicePass, "short"))
	wantCode(t, err, ldap.LDAPResultConstraintViolation)
	if _, err := c.PasswordModify(ldap.NewPasswordModifyRequest("", alicePass, "new-alice-pass")); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.dial().Bind(aliceDN, alicePass), ldap.LDAPResultInvalidCredentials)
	f.bound(aliceDN, "new-alice-pass")
	// Others' passwords need manage_users.
	_, err = c.PasswordModify(ldap.NewPasswordModifyRequest(bobDN, "", "stolen-password"))
	wantCode(t, err, ldap.LDAPResultInsufficientAccessRights)
	admin := f.bound(adminDN, adminPass)
	res, err := admin.PasswordModify(ldap.NewPasswordModifyRequest(bobDN, "", ""))
	if err != nil || len(res.GeneratedPassword) < 16 {
		t.Fatalf("generated password: %+v %v", res, err)
	}
	f.bound(bobDN, res.GeneratedPassword)
}

func TestProtocolRobustness(t *testing.T) {
	f := newFixture(t)
	for name, payload := range map[string][]byte{
		"garbage":        []byte("GET / HTTP/1.0\r\n\r\n"),
		"huge length":    {0x30, 0x84, 0x7f, 0xff, 0xff, 0xff},
		"bad message id": {0x30, 0x05, 0x02, 0x00, 0x42, 0x00, 0x00},
		"unknown op":     {0x30, 0x05, 0x02, 0x01, 0x01, 0x7f, 0x00},
		"truncated":      {0x30, 0x10, 0x02, 0x01, 0x01},
	} {
		conn, err := net.Dial("tcp", f.addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write(payload)
		if name == "truncated" {
			conn.(*net.TCPConn).CloseWrite()
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 512)
		for {
			if _, err := conn.Read(buf); err != nil {
				if errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "timeout") {
					t.Errorf("%s: the server did not close the connection", name)
				}
				break
			}
		}
		conn.Close()
	}
	// Still serving.
	f.bound(aliceDN, alicePass)
}

func selfSigned(t *testing.T) *tls.Config {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

func TestTLS(t *testing.T) {
	cfg := selfSigned(t)
	f := newFixture(t, func(c *ldapserver.Config, _ *map[string]acl.SectionConfig) {
		c.TLS, c.LDAPSListen, c.RequireTLSForBind = cfg, "127.0.0.1:0", true
	})
	client := &tls.Config{InsecureSkipVerify: true}
	c := f.dial()
	wantCode(t, c.Bind(aliceDN, alicePass), ldap.LDAPResultConfidentialityRequired)
	if err := c.StartTLS(client); err != nil {
		t.Fatal(err)
	}
	if err := c.Bind(aliceDN, alicePass); err != nil {
		t.Fatalf("bind after StartTLS: %v", err)
	}
	if len(search(t, c, aliceDN, ldap.ScopeBaseObject, "(objectClass=*)", "uid")) != 1 {
		t.Error("search over StartTLS")
	}
	s, err := ldap.DialURL("ldaps://"+f.ldaps, ldap.DialWithTLSConfig(client))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Bind(bobDN, bobPass); err != nil {
		t.Fatalf("bind over LDAPS: %v", err)
	}
}

func TestLimits(t *testing.T) {
	f := newFixture(t, func(c *ldapserver.Config, _ *map[string]acl.SectionConfig) {
		c.MaxConnections, c.IdleTimeout = 2, 300*time.Millisecond
	})
	a, b := f.dial(), f.dial()
	a.Bind(aliceDN, alicePass)
	b.Bind(bobDN, bobPass)
	// The third connection is refused.
	if c, err := ldap.DialURL("ldap://" + f.addr); err == nil {
		err = c.Bind(aliceDN, alicePass)
		c.Close()
		if err == nil {
			t.Error("a connection over the limit was served")
		}
	}
	// Idle connections are closed, which frees the slots.
	time.Sleep(time.Second)
	if err := a.Bind(aliceDN, alicePass); err == nil {
		t.Error("an idle connection was not closed")
	}
	f.bound(aliceDN, alicePass)
}

func TestShutdownWithIdleClients(t *testing.T) {
	f := newFixture(t)
	for range 3 {
		f.bound(aliceDN, alicePass)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	f.srv.Shutdown(ctx)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %s with idle clients", d)
	}
}

// TestSlowClientDoesNotStallOthers sends a large search on one connection
// and never reads the answer: other clients must still be served.
func TestSlowClientDoesNotStallOthers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	users := make([]store.User, 3000)
	for i := range users {
		users[i] = store.User{ID: store.NewID(), UserName: fmt.Sprintf("slow%04d", i),
			FormattedAddress: strings.Repeat("A long address line\n", 20)}
	}
	if err := f.st.Import(ctx, users, nil); err != nil {
		t.Fatal(err)
	}
	slow, err := net.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	// A raw bind as admin, then subtree searches for everything; the
	// answers (several MB) are never read.
	msg := func(id int64, op *ber.Packet) []byte {
		p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
		p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
		p.AppendChild(op)
		return p.Bytes()
	}
	bind := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 0, nil, "")
	bind.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(3), ""))
	bind.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, adminDN, ""))
	bind.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, adminPass, ""))
	slow.Write(msg(1, bind))
	for id := range int64(5) {
		req := ldap.NewSearchRequest(root, ldap.ScopeWholeSubtree, 0, 0, 0, false, "(objectClass=*)", nil, nil)
		op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 3, nil, "")
		op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, req.BaseDN, ""))
		op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(req.Scope), ""))
		op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(0), ""))
		op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(0), ""))
		op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(0), ""))
		op.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, false, ""))
		op.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 7, "objectClass", ""))
		op.AppendChild(ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, ""))
		slow.Write(msg(id+2, op))
	}
	// The server fills the slow client's socket buffers and blocks there.
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	other := f.bound(bobDN, bobPass)
	if len(search(t, other, bobDN, ldap.ScopeBaseObject, "(objectClass=*)", "uid")) != 1 {
		t.Fatal("the other client got no answer")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the other client waited %s", d)
	}
}
