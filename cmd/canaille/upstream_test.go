package main

// Tests of `canaille install` and `canaille check` with DATABASE = "ldap",
// against a throwaway slapd (internal/testslapd; skipped when OpenLDAP is
// not installed).

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/internal/testslapd"
	"github.com/canaille-go/canaille/schemas"
)

// ldapEnv is a test configuration with DATABASE = "ldap" and
// [CANAILLE_LDAP] naming srv.
func ldapEnv(t *testing.T, srv *testslapd.Server, extra string) *testEnv {
	t.Helper()
	te := newTestEnv(t)
	text, err := os.ReadFile(te.config)
	if err != nil {
		t.Fatal(err)
	}
	text = append(text, fmt.Sprintf(`[CANAILLE]
DATABASE = "ldap"
[CANAILLE_LDAP]
URI = %q
ROOT_DN = %q
BIND_DN = %q
BIND_PW = %q
TIMEOUT = 5
USER_BASE = "ou=users,%[2]s"
GROUP_BASE = "ou=groups,%[2]s"
%[5]s`, srv.URL, srv.Suffix, srv.AdminDN, srv.AdminPassword, extra)...)
	if err := os.WriteFile(te.config, text, 0o600); err != nil {
		t.Fatal(err)
	}
	return te
}

func adminConn(t *testing.T, srv *testslapd.Server) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetTimeout(5 * time.Second)
	if err := c.Bind(srv.AdminDN, srv.AdminPassword); err != nil {
		t.Fatal(err)
	}
	return c
}

func entryExists(t *testing.T, c *ldap.Conn, dn string) bool {
	t.Helper()
	_, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"1.1"}, nil))
	if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
		t.Fatalf("search %s: %v", dn, err)
	}
	return err == nil
}

// serverClasses returns the names of the object classes of the server's
// subschema.
func serverClasses(t *testing.T, c *ldap.Conn) []string {
	t.Helper()
	res, err := c.Search(ldap.NewSearchRequest("cn=Subschema", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"objectClasses"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range res.Entries[0].GetAttributeValues("objectClasses") {
		if o, err := schemas.ParseObjectClass(v); err == nil {
			names = append(names, o.Names...)
		}
	}
	return names
}

func wantLines(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("output does not mention %q:\n%s", w, out)
		}
	}
}

// TestInstallLDAPLoadsSchemas: the bind DN may manage cn=config, the server
// has no OU: install loads both schemas and creates every entry; a second
// run changes nothing; check is then happy.
func TestInstallLDAPLoadsSchemas(t *testing.T) {
	srv := testslapd.Start(t, testslapd.WithConfigAccess(testslapd.ConfigManage), testslapd.WithoutOUs())
	te := ldapEnv(t, srv, "")
	r := te.run("", "install")
	if r.status != 0 {
		t.Fatalf("install: status %d\n%s\n%s", r.status, r.stdout, r.stderr)
	}
	wantLines(t, r.stdout, "connected to "+srv.URL+", no TLS (ldap://), bound as "+srv.AdminDN,
		"schema oauth2 added: cn=oauth,cn=schema,cn=config", "schema extension added: cn=canaille,cn=schema,cn=config",
		"entries created: ou=users,"+srv.Suffix, "signing key pair written")
	c := adminConn(t, srv)
	classes := serverClasses(t, c)
	for _, n := range []string{"oauthClient", "oauthConsent", "canailleSession", "canailleAuditEvent", "canailleTokenExtension"} {
		if !slices.Contains(classes, n) {
			t.Errorf("the server does not know %s after install", n)
		}
	}
	for _, dn := range append(schemas.UpstreamBranches(srv.Suffix), "ou=users,"+srv.Suffix, "ou=groups,"+srv.Suffix) {
		if !entryExists(t, c, dn) {
			t.Errorf("%s was not created", dn)
		}
	}
	// The classes are usable at once.
	add := ldap.NewAddRequest("canailleID=s1,"+schemas.SessionsBranch+","+srv.Suffix, nil)
	add.Attribute("objectClass", []string{"canailleSession"})
	add.Attribute("canailleID", []string{"s1"})
	add.Attribute("canailleExpiryDate", []string{"20300101000000Z"})
	if err := c.Add(add); err != nil {
		t.Errorf("add a session after install: %v", err)
	}

	r = te.run("", "install")
	if r.status != 0 {
		t.Fatalf("second install: status %d\n%s\n%s", r.status, r.stdout, r.stderr)
	}
	wantLines(t, r.stdout, "schema oauth2 present (61 attribute types, 4 object classes)", "schema extension present",
		"present", "signing key "+filepath.Join(te.dir, "private.pem")+" present")
	if strings.Contains(r.stdout, "added") || strings.Contains(r.stdout, "created") {
		t.Errorf("second install changed something:\n%s", r.stdout)
	}

	out := te.ok("", "check")
	wantLines(t, out, "ok       upstream LDAP server "+srv.URL+" reachable, no TLS (ldap://)",
		"ok       bound as "+srv.AdminDN, "ok       schema oauth2: 61 attribute types and 4 object classes",
		"ok       schema extension", "ok       entries ou=users,"+srv.Suffix,
		"ok       overlay memberof on olcDatabase={1}mdb,cn=config", "ok       overlay refint on", "ok       overlay ppolicy on",
		"no problem found")
}

// TestInstallLDAPPrintsManualCommands: the bind DN may not write cn=config:
// install prints the commands for both configuration styles, still creates
// the entries, and fails; check reports the missing schemas.
func TestInstallLDAPPrintsManualCommands(t *testing.T) {
	srv := testslapd.Start(t) // ConfigNone
	te := ldapEnv(t, srv, "")
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	r := te.run("", "install")
	if r.status != 1 {
		t.Fatalf("install: status %d, want 1\n%s\n%s", r.status, r.stdout, r.stderr)
	}
	wantLines(t, r.stdout,
		"CANAILLE_LDAP.BIND_DN "+srv.AdminDN+" may not add the oauth2 and extension schemas to cn=schema,cn=config",
		"canaille install --write-schemas "+cwd+"/canaille-schemas\n",
		"ldapadd -Y EXTERNAL -H ldapi:/// -f "+cwd+"/canaille-schemas/oauth2-openldap.ldif\n",
		"ldapadd -Y EXTERNAL -H ldapi:/// -f "+cwd+"/canaille-schemas/canaille-openldap.ldif\n",
		"sudo -u openldap slapadd -n0 -F /etc/ldap/slapd.d -l "+cwd+"/canaille-schemas/oauth2-openldap.ldif\n",
		"include "+cwd+"/canaille-schemas/oauth2-openldap.schema\n",
		"include "+cwd+"/canaille-schemas/canaille-openldap.schema\n",
		"restart slapd",
		"entries created: ou=oauth,"+srv.Suffix)
	wantLines(t, r.stderr, "the oauth2 and extension schemas are not installed: install by hand")
	c := adminConn(t, srv)
	if !entryExists(t, c, "ou=audit,ou=oauth,"+srv.Suffix) {
		t.Error("the branches were not created")
	}

	// The packaged files are named when they are current.
	dir := t.TempDir()
	old := packagedSchemaDir
	packagedSchemaDir = dir
	t.Cleanup(func() { packagedSchemaDir = old })
	if out := te.ok("", "install", "--write-schemas", dir); !strings.Contains(out, filepath.Join(dir, schemas.OAuthLDIFFile)) {
		t.Errorf("--write-schemas printed %q", out)
	}
	for _, f := range []string{schemas.OAuthLDIFFile, schemas.OAuthSchemaFile, schemas.ExtensionLDIFFile, schemas.ExtensionSchemaFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	r = te.run("", "install")
	wantLines(t, r.stdout, "ldapadd -Y EXTERNAL -H ldapi:/// -f "+dir+"/oauth2-openldap.ldif", "include "+dir+"/canaille-openldap.schema")
	if strings.Contains(r.stdout, "--write-schemas") {
		t.Errorf("the packaged files are there, yet install says to write them:\n%s", r.stdout)
	}

	r = te.run("", "check")
	if r.status != 1 {
		t.Fatalf("check: status %d, want 1\n%s", r.status, r.stdout)
	}
	wantLines(t, r.stdout, "PROBLEM  schema oauth2 is not loaded: run 'canaille install'",
		"PROBLEM  schema extension is not loaded", "ok       entries ou=users,",
		// cn=config is not readable: probed.
		"warning  overlay memberof: the module is loaded", "warning  overlay refint: cannot be seen without read access to cn=config",
		"ok       overlay ppolicy: the module is loaded")
}

// TestInstallLDAPOverPythonCanailleSchema: a directory of Python Canaille
// already holds its own oauth2 schema: install counts it as present and
// adds only the extension.
func TestInstallLDAPOverPythonCanailleSchema(t *testing.T) {
	srv := testslapd.Start(t, testslapd.WithConfigAccess(testslapd.ConfigManage),
		testslapd.WithSchemaFile("../../schemas/testdata/python-canaille/oauth2-openldap.ldif"))
	te := ldapEnv(t, srv, "")
	out := te.ok("", "install")
	wantLines(t, out, "schema oauth2 present (61 attribute types, 4 object classes)",
		"schema extension added: cn=canaille,cn=schema,cn=config")
}

// TestCheckLDAPMissingOverlays: cn=config is readable and the memberof and
// refint overlays are not there: check names them and what to do.
func TestCheckLDAPMissingOverlays(t *testing.T) {
	srv := testslapd.Start(t, testslapd.WithConfigAccess(testslapd.ConfigRead), testslapd.WithoutMemberOf(),
		testslapd.WithoutRefint(), testslapd.WithoutPPolicy(),
		testslapd.WithSchema(schemas.OAuthLDIF()), testslapd.WithSchema(schemas.ExtensionLDIF()))
	te := ldapEnv(t, srv, "")
	r := te.run("", "install")
	if r.status != 0 {
		t.Fatalf("install: status %d\n%s\n%s", r.status, r.stdout, r.stderr)
	}
	r = te.run("", "check")
	if r.status != 1 {
		t.Fatalf("check: status %d, want 1\n%s", r.status, r.stdout)
	}
	wantLines(t, r.stdout, "ok       schema oauth2", "ok       schema extension",
		"PROBLEM  overlay memberof is not configured on olcDatabase={1}mdb,cn=config: add it",
		"PROBLEM  overlay refint is not configured on olcDatabase={1}mdb,cn=config",
		"warning  overlay ppolicy is not configured", "2 problem(s) found")
}

// TestCheckLDAPProbesMemberOf: without cn=config access, a group with a
// member shows whether memberOf is maintained: by the overlay for a group
// added over LDAP, not for one loaded with slapadd (which runs no
// overlay); without the module, memberOf is unknown.
func TestCheckLDAPProbesMemberOf(t *testing.T) {
	data := []byte(`dn: uid=alice,ou=users,dc=example,dc=org
objectClass: inetOrgPerson
uid: alice
cn: Alice
sn: A
`)
	group := []byte(`
dn: cn=staff,ou=groups,dc=example,dc=org
objectClass: groupOfNames
cn: staff
member: uid=alice,ou=users,dc=example,dc=org
`)
	for _, tc := range []struct {
		name     string
		memberOf bool
		slapadd  bool
		want     string
	}{
		{"overlay", true, false, "ok       overlay memberof maintains memberOf"},
		{"slapadd", true, true, "PROBLEM  overlay memberof: a member of a group under ou=groups,dc=example,dc=org has no memberOf for it"},
		{"no module", false, true, "PROBLEM  overlay memberof: the server does not know the memberOf attribute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := []testslapd.Option{testslapd.WithData(data), testslapd.WithSchema(schemas.OAuthLDIF()), testslapd.WithSchema(schemas.ExtensionLDIF())}
			if !tc.memberOf {
				opts = append(opts, testslapd.WithoutMemberOf())
			}
			if tc.slapadd {
				opts = append(opts, testslapd.WithData(group))
			}
			srv := testslapd.Start(t, opts...)
			if !tc.slapadd {
				add := ldap.NewAddRequest("cn=staff,ou=groups,"+srv.Suffix, nil)
				add.Attribute("objectClass", []string{"groupOfNames"})
				add.Attribute("cn", []string{"staff"})
				add.Attribute("member", []string{"uid=alice,ou=users," + srv.Suffix})
				if err := adminConn(t, srv).Add(add); err != nil {
					t.Fatal(err)
				}
			}
			te := ldapEnv(t, srv, "")
			te.ok("", "install")
			wantLines(t, te.run("", "check").stdout, tc.want)
		})
	}
}

// TestLDAPErrors: wrong password, unreachable server, refusal by run.
func TestLDAPErrors(t *testing.T) {
	srv := testslapd.Start(t)
	te := ldapEnv(t, srv, "")
	text, _ := os.ReadFile(te.config)
	bad := strings.Replace(string(text), fmt.Sprintf("BIND_PW = %q", srv.AdminPassword), `BIND_PW = "wrong"`, 1)
	if err := os.WriteFile(te.config, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	te.fails(1, []string{"CANAILLE_LDAP.BIND_DN " + srv.AdminDN + ": the server refused the bind: invalid credentials"}, "install")
	r := te.run("", "check")
	wantLines(t, r.stdout, "ok       upstream LDAP server", "PROBLEM  CANAILLE_LDAP.BIND_DN "+srv.AdminDN+": the server refused the bind")
	if strings.Contains(r.stdout+r.stderr, "wrong") {
		t.Error("the password was printed")
	}

	srv.Stop()
	r = te.run("", "check")
	wantLines(t, r.stdout, "PROBLEM  CANAILLE_LDAP.URI "+srv.URL+" is not reachable")
	te.fails(1, []string{`CANAILLE.DATABASE = "ldap"`, "connection refused"}, "run")
	te.fails(2, []string{"--admin-user is not available"}, "install", "--admin-user", "x")
}
