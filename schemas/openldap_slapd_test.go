package schemas

// These tests give the OpenLDAP schema files (openldap/) to OpenLDAP's own
// tools, offline (no daemon): slaptest on a slapd.conf that includes the
// .schema files, slapadd -n0 of a cn=config made of the .ldif files, and
// slapadd of entries using every structural class. They are skipped when
// the tools are not installed (Debian: apt-get install slapd).

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const slaptestPath = "/usr/sbin/slaptest"

func needSlapTools(t *testing.T) {
	t.Helper()
	for _, p := range []string{slapaddPath, slaptestPath, schemaDir + "/nis.ldif", schemaDir + "/nis.schema", moduleDir} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("OpenLDAP's tools are not installed (%s is missing); install them with: apt-get install slapd", p)
		}
	}
}

func runTool(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

func writeTemp(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sampleEntries uses every structural class of both schemas and every
// auxiliary class of the extension.
const sampleEntries = `dn: dc=example,dc=org
objectClass: domain
dc: example

dn: ou=oauth,dc=example,dc=org
objectClass: organizationalUnit
ou: oauth

dn: uid=alice,dc=example,dc=org
objectClass: inetOrgPerson
uid: alice
cn: Alice
sn: A

dn: cn=admins,dc=example,dc=org
objectClass: groupOfNames
objectClass: canailleGroupExtension
cn: admins
member: uid=alice,dc=example,dc=org
gidNumber: 20000

dn: oauthClientID=app,ou=oauth,dc=example,dc=org
objectClass: oauthClient
objectClass: canailleClientExtension
oauthClientID: app
oauthClientName: App
oauthRedirectURIs: https://app.example.org/cb
oauthPostLogoutRedirectURI: https://app.example.org/a
oauthPostLogoutRedirectURI: https://app.example.org/b
oauthGrantType: authorization_code
oauthGrantType: refresh_token
oauthRequireAuthTime: TRUE
oauthDefaultMaxAge: 3600
canailleBackchannelLogoutURI: https://app.example.org/logout
canailleRequirePKCE: TRUE
canailleAllowPasswordGrant: FALSE

dn: oauthAuthorizationCodeID=c1,ou=oauth,dc=example,dc=org
objectClass: oauthAuthorizationCode
objectClass: canailleAuthorizationCodeExtension
oauthAuthorizationCodeID: c1
oauthCode: 0123abcd
oauthClient: oauthClientID=app,ou=oauth,dc=example,dc=org
oauthSubject: uid=alice,dc=example,dc=org
oauthAuthorizationDate: 20260101000000Z
oauthAuthorizationLifetime: 300
oauthAMR: pwd
canailleRequestID: r1
canailleData:: AAECAw==

dn: oauthTokenID=t1,ou=oauth,dc=example,dc=org
objectClass: oauthToken
objectClass: canailleTokenExtension
oauthTokenID: t1
oauthAccessToken: 89ab
oauthClient: oauthClientID=app,ou=oauth,dc=example,dc=org
oauthAudience: oauthClientID=app,ou=oauth,dc=example,dc=org
oauthIssueDate: 20260101000000Z
oauthTokenLifetime: 3600
canailleRefreshTokenLifetime: 86400
canailleRequestID: r1

dn: cn=k1,ou=oauth,dc=example,dc=org
objectClass: oauthConsent
cn: k1
oauthSubject: uid=alice,dc=example,dc=org
oauthClient: oauthClientID=app,ou=oauth,dc=example,dc=org
oauthScope: openid

dn: canailleID=s1,ou=oauth,dc=example,dc=org
objectClass: canailleSession
canailleID: s1
canailleDigest: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
oauthSubject: uid=alice,dc=example,dc=org
oauthIssueDate: 20260101000000Z
canailleExpiryDate: 20260201000000Z
canailleLastActivityDate: 20260102000000Z
oauthAuthTime: 20260101000000Z
oauthAMR: pwd
canailleRemember: TRUE
canailleUserAgent: Mozilla/5.0
canailleRemoteAddress: 192.0.2.1
canailleImpersonator: uid=alice,dc=example,dc=org
canailleData:: AAE=

dn: canailleID=i1,ou=oauth,dc=example,dc=org
objectClass: canailleTicket
canailleID: i1
canailleTicketKind: invitation
canailleDigest: 00
mail: bob@example.org
canailleParameter: groups=admins
oauthIssueDate: 20260101000000Z
canailleExpiryDate: 20260103000000Z
canailleUsedDate: 20260102000000Z

dn: canailleID=j1,ou=oauth,dc=example,dc=org
objectClass: canailleJWTID
canailleID: j1
canailleExpiryDate: 20260101000500Z

dn: canailleID=kid1,ou=oauth,dc=example,dc=org
objectClass: canailleSigningKey
canailleID: kid1
canailleAlgorithm: RS256
canaillePrivateKey: -----BEGIN PRIVATE KEY-----
canaillePublicKey: -----BEGIN PUBLIC KEY-----
oauthIssueDate: 20260101000000Z
canailleRetiredDate: 20260201000000Z

dn: canailleID=e1,ou=oauth,dc=example,dc=org
objectClass: canailleAuditEvent
canailleID: e1
oauthIssueDate: 20260101000000Z
canailleAction: user.create
canailleActorID: 7d444840-9dc0-11d1-b245-5ffdce74fad2
canailleActorName: alice
canailleTargetKind: user
canailleTarget: bob
canailleTargetUserID: 1b4e28ba-2fa1-11d2-883f-0016d3cca427
canailleParameter: emails=bob@example.org
canailleRemoteAddress: 2001:db8::1
`

// TestSlapdConfSchemaFiles includes the .schema files in a slapd.conf after
// core, cosine, inetorgperson and nis, checks it with slaptest and loads
// entries of every class with slapadd.
func TestSlapdConfSchemaFiles(t *testing.T) {
	needSlapTools(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	if err := os.Mkdir(db, 0o700); err != nil {
		t.Fatal(err)
	}
	var conf strings.Builder
	for _, s := range []string{"core", "cosine", "inetorgperson", "nis"} {
		fmt.Fprintf(&conf, "include %s/%s.schema\n", schemaDir, s)
	}
	fmt.Fprintf(&conf, "include %s\n", writeTemp(t, dir, OAuthSchemaFile, OAuthSchema()))
	fmt.Fprintf(&conf, "include %s\n", writeTemp(t, dir, ExtensionSchemaFile, ExtensionSchema()))
	fmt.Fprintf(&conf, "modulepath %s\nmoduleload back_mdb\ndatabase mdb\nsuffix \"dc=example,dc=org\"\ndirectory %s\n", moduleDir, db)
	cf := writeTemp(t, dir, "slapd.conf", []byte(conf.String()))
	if out, err := runTool(t, slaptestPath, "-u", "-f", cf); err != nil {
		t.Fatalf("slaptest: %v\n%s", err, out)
	}
	in := writeTemp(t, dir, "entries.ldif", []byte(sampleEntries))
	if out, err := runTool(t, slapaddPath, "-f", cf, "-l", in); err != nil {
		t.Fatalf("slapadd of entries using every class: %v\n%s", err, out)
	}
	// What the schema must refuse: an extension class without its RDN
	// attribute, a second value of a SINGLE-VALUE type.
	for name, bad := range map[string]string{
		"no MUST": "dn: canailleDigest=00,ou=oauth,dc=example,dc=org\nobjectClass: canailleSession\ncanailleDigest: 00\n",
		"two values": "dn: canailleID=y,ou=oauth,dc=example,dc=org\nobjectClass: canailleJWTID\ncanailleID: y\n" +
			"canailleExpiryDate: 20260101000000Z\ncanailleExpiryDate: 20260102000000Z\n",
	} {
		in := writeTemp(t, dir, "bad.ldif", []byte(bad))
		if out, err := runTool(t, slapaddPath, "-u", "-f", cf, "-l", in); err == nil {
			t.Errorf("%s: slapadd accepted\n%s", name, bad)
		} else {
			t.Logf("%s refused, as expected: %s", name, strings.TrimSpace(out))
		}
	}
}

// cnConfig writes a minimal cn=config LDIF with the stock schemas and the
// given schema entries, loads it with slapadd -n0 into a slapd.d directory
// and checks the result with slaptest.
func cnConfig(t *testing.T, schemas ...[]byte) (string, error) {
	t.Helper()
	dir := t.TempDir()
	slapdD := filepath.Join(dir, "slapd.d")
	if err := os.Mkdir(slapdD, 0o700); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "dn: cn=config\nobjectClass: olcGlobal\ncn: config\n\n")
	fmt.Fprintf(&b, "dn: cn=module{0},cn=config\nobjectClass: olcModuleList\ncn: module{0}\nolcModulePath: %s\nolcModuleLoad: back_mdb\n\n", moduleDir)
	fmt.Fprintf(&b, "dn: cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: schema\n\n")
	for _, s := range []string{"core", "cosine", "inetorgperson", "nis"} {
		raw, err := os.ReadFile(filepath.Join(schemaDir, s+".ldif"))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(raw)
		b.WriteString("\n")
	}
	for _, s := range schemas {
		b.Write(s)
		b.WriteString("\n")
	}
	in := writeTemp(t, dir, "config.ldif", []byte(b.String()))
	if out, err := runTool(t, slapaddPath, "-n0", "-F", slapdD, "-l", in); err != nil {
		return out, err
	}
	return runTool(t, slaptestPath, "-u", "-F", slapdD)
}

// TestCnConfigSchemaFiles loads the .ldif files into a cn=config with
// slapadd -n0 (the offline installation of SEED-INSTALL.txt), alone and, as
// for an existing Python Canaille directory, the extension after Python
// Canaille's own oauth2 schema.
func TestCnConfigSchemaFiles(t *testing.T) {
	needSlapTools(t)
	t.Run("ours", func(t *testing.T) {
		if out, err := cnConfig(t, OAuthLDIF(), ExtensionLDIF()); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	})
	t.Run("PythonCanailleAndExtension", func(t *testing.T) {
		py, err := os.ReadFile("testdata/python-canaille/oauth2-openldap.ldif")
		if err != nil {
			t.Fatal(err)
		}
		if out, err := cnConfig(t, py, ExtensionLDIF()); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	})
	t.Run("ExtensionNeedsOAuth", func(t *testing.T) {
		out, err := cnConfig(t, ExtensionLDIF())
		if err == nil {
			t.Fatal("the extension loaded without the oauth2 schema, whose attributes it uses")
		}
		t.Logf("refused, as expected: %s", strings.TrimSpace(out))
	})
}
