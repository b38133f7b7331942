package testslapd

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

func search(t *testing.T, c *ldap.Conn, base, filter string, attrs ...string) []*ldap.Entry {
	t.Helper()
	res, err := c.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		filter, attrs, nil))
	if err != nil {
		t.Fatalf("search %s %s: %v", base, filter, err)
	}
	return res.Entries
}

const testSchema = `dn: cn=testschema,cn=schema,cn=config
objectClass: olcSchemaConfig
cn: testschema
olcAttributeTypes: ( 1.3.6.1.4.1.99999.1.1 NAME 'testThing' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
olcObjectClasses: ( 1.3.6.1.4.1.99999.1.2 NAME 'testObject' SUP top STRUCTURAL MUST ( cn ) MAY ( testThing ) )
`

func TestDefaults(t *testing.T) {
	s := Start(t, WithSchema([]byte(testSchema)), WithData([]byte(
		"dn: uid=alice,ou=users,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: alice\ncn: Alice\nsn: A\nuserPassword: alice-secret\n\n"+
			"dn: cn=admins,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\ncn: admins\nmember: uid=alice,ou=users,dc=example,dc=org\n\n"+
			"dn: cn=thing,dc=example,dc=org\nobjectClass: testObject\ncn: thing\ntestThing: x\n")))
	if s.PID() == 0 || !strings.HasPrefix(s.URL, "ldap://127.0.0.1:") {
		t.Fatalf("not running: %+v", s)
	}
	c := s.Dial(t)
	if n := len(search(t, c, s.Suffix, "(|(ou=users)(ou=groups)(ou=policies)(cn=default))")); n != 4 {
		t.Errorf("base entries: %d, want 4", n)
	}
	if e := search(t, c, s.Suffix, "(testThing=x)"); len(e) != 1 {
		t.Errorf("extra schema not loaded: %d entries", len(e))
	}
	// slapadd data: the user binds with its (cleartext, loaded by slapadd) password.
	u, err := ldap.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if err := u.Bind("uid=alice,ou=users,dc=example,dc=org", "alice-secret"); err != nil {
		t.Fatalf("user bind: %v", err)
	}
	// memberof works on entries added over the protocol.
	add := ldap.NewAddRequest("cn=devs,ou=groups,dc=example,dc=org", nil)
	add.Attribute("objectClass", []string{"groupOfNames"})
	add.Attribute("member", []string{"uid=alice,ou=users,dc=example,dc=org"})
	if err := c.Add(add); err != nil {
		t.Fatal(err)
	}
	e := search(t, c, "ou=users,dc=example,dc=org", "(uid=alice)", "memberOf", "entryUUID")
	if len(e) != 1 || len(e[0].GetAttributeValues("memberOf")) == 0 || e[0].GetAttributeValue("entryUUID") == "" {
		t.Errorf("memberOf/entryUUID: %v", e)
	}
	// ppolicy: a policy control comes back on a bind.
	req := ldap.NewSimpleBindRequest("uid=alice,ou=users,dc=example,dc=org", "alice-secret",
		[]ldap.Control{ldap.NewControlBeheraPasswordPolicy()})
	if _, err := u.SimpleBind(req); err != nil {
		t.Fatal(err)
	}
	// cn=config is closed by default.
	if res, err := c.Search(ldap.NewSearchRequest("cn=config", ldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", nil, nil)); err == nil && len(res.Entries) > 0 {
		t.Errorf("cn=config readable by default")
	}
}

func TestWithoutOverlays(t *testing.T) {
	s := Start(t, WithoutMemberOf(), WithoutRefint(), WithoutPPolicy(), WithoutOUs(), WithConfigAccess(ConfigManage))
	c := s.Dial(t)
	if n := len(search(t, c, s.Suffix, "(objectClass=organizationalUnit)")); n != 0 {
		t.Errorf("OUs: %d", n)
	}
	if n := len(search(t, c, "cn=config", "(objectClass=olcOverlayConfig)")); n != 0 {
		t.Errorf("overlays: %d", n)
	}
	// ConfigManage: the administrator may add a schema.
	add := ldap.NewAddRequest("cn=testschema,cn=schema,cn=config", nil)
	add.Attribute("objectClass", []string{"olcSchemaConfig"})
	add.Attribute("cn", []string{"testschema"})
	add.Attribute("olcAttributeTypes", []string{"( 1.3.6.1.4.1.99999.1.1 NAME 'testThing' SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )"})
	if err := c.Add(add); err != nil {
		t.Fatalf("add schema: %v", err)
	}
}

func TestConfigRead(t *testing.T) {
	s := Start(t, WithConfigAccess(ConfigRead), WithoutRefint())
	c := s.Dial(t)
	if n := len(search(t, c, "cn=config", "(objectClass=olcOverlayConfig)", "olcOverlay")); n != 2 {
		t.Errorf("overlays: %d, want ppolicy and memberof", n)
	}
	add := ldap.NewAddRequest("cn=testschema,cn=schema,cn=config", nil)
	add.Attribute("objectClass", []string{"olcSchemaConfig"})
	add.Attribute("cn", []string{"testschema"})
	if err := c.Add(add); !ldap.IsErrorWithCode(err, ldap.LDAPResultInsufficientAccessRights) {
		t.Errorf("add schema with read access: %v", err)
	}
}

func TestRestartAndStop(t *testing.T) {
	s := Start(t, WithLDAPI())
	c := s.Dial(t)
	pid, url := s.PID(), s.URL
	s.Restart(t)
	if s.PID() == pid || s.URL != url {
		t.Errorf("restart: pid %d -> %d, url %s -> %s", pid, s.PID(), url, s.URL)
	}
	// The old connection was cut.
	if _, err := c.Search(ldap.NewSearchRequest(s.Suffix, ldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", nil, nil)); err == nil {
		t.Error("connection survived a restart")
	}
	s.Dial(t)
	u, err := ldap.DialURL(s.LDAPIURL)
	if err != nil {
		t.Fatalf("ldapi %s: %v", s.LDAPIURL, err)
	}
	u.Close()
	pid = s.PID()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if s.PID() != 0 {
		t.Error("PID after Stop")
	}
	if p, _ := os.FindProcess(pid); p != nil {
		if err := p.Signal(syscall.Signal(0)); !errors.Is(err, os.ErrProcessDone) && err == nil {
			t.Errorf("slapd %d still running after Stop", pid)
		}
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// TestCleanupOnFailure checks that a failing test still stops its slapd: a
// subtest that fails is run in a separate testing.T we cannot observe, so
// the cleanup is exercised through t.Run and the PID checked after it.
func TestCleanupOnFailure(t *testing.T) {
	var pid int
	t.Run("inner", func(t *testing.T) {
		s := Start(t)
		pid = s.PID()
		t.Skip("a skipped (or failed) test runs its cleanups the same way")
	})
	if pid == 0 {
		t.Skip("slapd not started")
	}
	p, _ := os.FindProcess(pid)
	if err := p.Signal(syscall.Signal(0)); err == nil {
		t.Errorf("slapd %d still running after its test ended", pid)
	}
}

func TestTLS(t *testing.T) {
	files := NewTLSFiles(t)
	s := Start(t, files.Option())
	if s.LDAPSURL == "" {
		t.Fatal("no LDAPS URL")
	}
	c, err := ldap.DialURL(s.LDAPSURL, ldap.DialWithTLSConfig(TLSConfig(files.CAPEM)))
	if err != nil {
		t.Fatalf("ldaps: %v", err)
	}
	if err := c.Bind(s.AdminDN, s.AdminPassword); err != nil {
		t.Fatalf("bind over ldaps: %v", err)
	}
	c.Close()
	c, err = ldap.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(TLSConfig(files.CAPEM)); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	if err := c.Bind(s.AdminDN, s.AdminPassword); err != nil {
		t.Fatalf("bind after StartTLS: %v", err)
	}
	// A client that does not trust the CA is refused.
	if _, err := ldap.DialURL(s.LDAPSURL, ldap.DialWithTLSConfig(TLSConfig(nil))); err == nil {
		t.Error("ldaps accepted without the CA")
	}
}

func TestAuxiliaryPosixGroup(t *testing.T) {
	s := Start(t, WithAuxiliaryPosixGroup())
	c := s.Dial(t)
	add := ldap.NewAddRequest("cn=staff,ou=groups,dc=example,dc=org", nil)
	add.Attribute("objectClass", []string{"groupOfNames", "posixGroup"})
	add.Attribute("gidNumber", []string{"1000"})
	add.Attribute("member", []string{"cn=staff,ou=groups,dc=example,dc=org"})
	if err := c.Add(add); err != nil {
		t.Fatalf("groupOfNames + posixGroup: %v", err)
	}
}
