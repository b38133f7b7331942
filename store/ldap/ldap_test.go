package ldap_test

import (
	"os"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/internal/testslapd"
	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
	ldapstore "github.com/canaille-go/canaille/store/ldap"
	"github.com/canaille-go/canaille/store/storetest"
)

// slapdOptions is the directory Python Canaille expects: memberof, refint,
// ppolicy (recording failures) and otp, plus the password hash modules, and
// rfc2307bis groups so that groups keep gid numbers.
func slapdOptions(extra ...testslapd.Option) []testslapd.Option {
	opts := []testslapd.Option{testslapd.WithAuxiliaryPosixGroup(), testslapd.WithPolicy("pwdMaxRecordedFailure: 20"),
		testslapd.WithSchema(schemas.OAuthLDIF()), testslapd.WithSchema(schemas.ExtensionLDIF())}
	for _, m := range []string{"otp", "pw-sha2", "argon2"} {
		if _, err := os.Stat(testslapd.ModuleDir + "/" + m + ".so"); err == nil {
			opts = append(opts, testslapd.WithModule(m))
		}
	}
	return append(opts, extra...)
}

func testConfig(s *testslapd.Server, posix store.POSIXDefaults) ldapstore.Config {
	cfg := ldapstore.DefaultConfig()
	cfg.URI, cfg.RootDN, cfg.BindDN, cfg.BindPW = s.URL, s.Suffix, s.AdminDN, s.AdminPassword
	cfg.UserBase, cfg.GroupBase = "ou=users,"+s.Suffix, "ou=groups,"+s.Suffix
	cfg.Timeout, cfg.PoolSize, cfg.POSIX = 5*time.Second, 4, posix
	return cfg
}

// mustOpen opens a Directory on s, closed when the test ends.
func mustOpen(t testing.TB, cfg ldapstore.Config) *ldapstore.Directory {
	t.Helper()
	d, err := ldapstore.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// wipe deletes every entry below ou=users, ou=groups and the branches of
// ou=oauth, creating the branches that are missing (as canaille install
// does).
func wipe(t testing.TB, s *testslapd.Server, c *goldap.Conn) {
	t.Helper()
	for _, dn := range schemas.UpstreamBranches(s.Suffix) {
		req := goldap.NewAddRequest(dn, nil)
		req.Attribute("objectClass", []string{"organizationalUnit"})
		ou, _ := strings.CutPrefix(strings.SplitN(dn, ",", 2)[0], "ou=")
		req.Attribute("ou", []string{ou})
		if err := c.Add(req); err != nil && !goldap.IsErrorWithCode(err, goldap.LDAPResultEntryAlreadyExists) {
			t.Fatalf("wipe: add %s: %v", dn, err)
		}
	}
	bases := []string{"ou=groups," + s.Suffix, "ou=users," + s.Suffix}
	bases = append(bases, schemas.UpstreamBranches(s.Suffix)[1:]...)
	for _, base := range bases {
		res, err := c.Search(goldap.NewSearchRequest(base, goldap.ScopeSingleLevel, 0, 0, 0, false, "(objectClass=*)", []string{"1.1"}, nil))
		if err != nil {
			t.Fatalf("wipe: %v", err)
		}
		for _, e := range res.Entries {
			if err := c.Del(goldap.NewDelRequest(e.DN, nil)); err != nil && !goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
				t.Fatalf("wipe %s: %v", e.DN, err)
			}
		}
	}
}

// suite runs the conformance parts against one slapd, emptied before each
// subtest.
func suite(t *testing.T, posix store.POSIXDefaults, opts ...testslapd.Option) storetest.Suite {
	s := testslapd.Start(t, slapdOptions(opts...)...)
	admin := s.Dial(t)
	return storetest.Suite{
		New: func(st *testing.T) store.Store {
			wipe(st, s, admin)
			return mustOpen(st, testConfig(s, posix))
		},
		// The server hashes passwords with its own scheme
		// (olcPasswordHash) and never rewrites a stored hash.
		UpgradesHashes: false,
		// ppolicy records pwdFailureTime (pwdMaxRecordedFailure > 0).
		RecordsFailures: true,
		POSIX:           posix,
		// inetOrgPerson's mail is an IA5String (RFC 4524): slapd refuses
		// internationalised addresses.
		ASCIIEmails: true,
		// ppolicy refuses every bind of a locked account, right or wrong
		// password, and the password cannot be checked otherwise without
		// reading userPassword (Compare does not verify hashes).
		LockedRefusesAnyPassword: true,
	}
}

func smallRange() store.POSIXDefaults {
	p := store.DefaultPOSIX()
	p.UIDMin, p.UIDMax, p.GIDMin, p.GIDMax = 20000, 20149, 30000, 30149
	return p
}

// TestConformance runs the whole suite, as for bolt.
func TestConformance(t *testing.T) { storetest.Run(t, suite(t, smallRange())) }

func TestConformanceWithoutMemberOf(t *testing.T) {
	s := suite(t, smallRange(), testslapd.WithoutMemberOf(), testslapd.WithoutRefint())
	t.Run("Users", func(t *testing.T) { storetest.RunUsers(t, s) })
	t.Run("Groups", func(t *testing.T) { storetest.RunGroups(t, s) })
}

func TestConformancePrimaryGID(t *testing.T) {
	p := store.DefaultPOSIX()
	p.PrimaryGID, p.HomeDirectory, p.LoginShell = 100, "/srv/home/{user_name}", "/bin/zsh"
	storetest.RunUsers(t, suite(t, p))
}
