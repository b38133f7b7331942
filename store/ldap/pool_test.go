package ldap_test

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/canaille-go/canaille/internal/testslapd"
	"github.com/canaille-go/canaille/store"
	ldapstore "github.com/canaille-go/canaille/store/ldap"
)

// seeded opens a directory with alice (password pw) in group staff.
func seeded(t testing.TB, s *testslapd.Server, cfg ldapstore.Config) (*ldapstore.Directory, store.User) {
	t.Helper()
	d := mustOpen(t, cfg)
	a, err := d.CreateUser(t.Context(), store.User{UserName: "alice", FamilyName: "A", Emails: []string{"alice@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetPassword(t.Context(), a.ID, "alice password"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateGroup(t.Context(), store.Group{DisplayName: "staff", Members: []store.Ref{{ID: a.ID}}}); err != nil {
		t.Fatal(err)
	}
	return d, a
}

func TestRestartRecovered(t *testing.T) {
	s := testslapd.Start(t, slapdOptions()...)
	d, a := seeded(t, s, testConfig(s, store.DefaultPOSIX()))
	if _, err := d.Authenticate(t.Context(), "alice", "alice password"); err != nil {
		t.Fatal(err)
	}
	s.Restart(t)
	// Every pooled connection is dead now: the next operations must
	// reconnect by themselves.
	got, err := d.GetUser(t.Context(), a.ID)
	if err != nil || got.UserName != "alice" || len(got.Groups) != 1 {
		t.Fatalf("GetUser after restart = %+v, %v", got, err)
	}
	if _, err := d.Authenticate(t.Context(), "alice", "alice password"); err != nil {
		t.Fatalf("Authenticate after restart: %v", err)
	}
	if _, err := d.Authenticate(t.Context(), "alice", "wrong"); !errors.Is(err, store.ErrInvalidCredentials) {
		t.Fatalf("wrong password after restart: %v", err)
	}
	// Stopped: a clear error, not a hang; started again: recovered.
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := d.GetUser(t.Context(), a.ID); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUser with slapd stopped = %v, want a connection error", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("GetUser with slapd stopped took %v", time.Since(start))
	}
	s.Restart(t)
	if _, err := d.GetUser(t.Context(), a.ID); err != nil {
		t.Fatalf("GetUser after a second start: %v", err)
	}
}

// TestRoundTrips counts the LDAP requests of a warm web sign-in: the
// sign-in form's user lookup, then Authenticate, CreateSession, the
// client's read and the authorization code, and the reads a request makes of the user and the
// client (ui's loadSession, the OIDC provider).
func TestRoundTrips(t *testing.T) {
	s := testslapd.Start(t, slapdOptions()...)
	wipeAll(t, s) // creates the branches of ou=oauth
	d, a := seeded(t, s, testConfig(s, store.DefaultPOSIX()))
	ctx := t.Context()
	c := store.Client{ID: "rp", ClientName: "RP", RedirectURIs: []string{"https://rp.example.org/cb"},
		GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"}, Scope: []string{"openid"},
		TokenEndpointAuthMethod: store.AuthMethodNone}
	if _, err := d.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	signIn := func(i int) {
		t.Helper()
		if _, err := d.GetUserByName(ctx, "alice"); err != nil { // the sign-in form
			t.Fatal(err)
		}
		u, err := d.Authenticate(ctx, "alice", "alice password")
		if err != nil || u.ID != a.ID || len(u.Groups) != 1 {
			t.Fatalf("Authenticate = %+v, %v", u, err)
		}
		now := time.Now().UTC()
		if _, err := d.CreateSession(ctx, store.Session{Token: fmt.Sprintf("session-%d-%d", i, now.UnixNano()),
			UserID: u.ID, Created: now, LastSeen: now, Expires: now.Add(time.Hour), AuthTime: now}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.GetClient(ctx, "rp"); err != nil { // the authorize endpoint
			t.Fatal(err)
		}
		if _, err := d.CreateAuthorizationCode(ctx, store.AuthorizationCode{Code: fmt.Sprintf("code-%d-%d", i, now.UnixNano()),
			ClientID: "rp", Subject: u.ID, RedirectURI: c.RedirectURIs[0], ResponseType: "code", Scope: []string{"openid"},
			IssueDate: now, Lifetime: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 { // warm both kinds of connections
		signIn(i)
	}
	before, dials := d.RoundTrips(), d.Dials()
	signIn(2)
	// The bind, the session's add and the code's add: the user was read
	// by the sign-in form and the client by the previous sign-in (both are
	// in the read cache), the adds need no search before them.
	if n := d.RoundTrips() - before; n > 3 {
		t.Errorf("a warm sign-in took %d LDAP requests, want at most 3", n)
	}
	if n := d.Dials() - dials; n != 0 {
		t.Errorf("a sign-in with a warm pool opened %d connections", n)
	}
	before = d.RoundTrips()
	if u, err := d.GetUser(ctx, a.ID); err != nil || len(u.Groups) != 1 {
		t.Fatalf("GetUser = %+v, %v", u, err)
	}
	if _, err := d.GetClient(ctx, "rp"); err != nil {
		t.Fatal(err)
	}
	if n := d.RoundTrips() - before; n != 0 {
		t.Errorf("GetUser and GetClient after a sign-in took %d LDAP requests, want 0 (read cache)", n)
	}

	// Once the cached user has expired, a user read is one search: the
	// groups come from memberOf and the known group DNs.
	cfg := testConfig(s, store.DefaultPOSIX())
	cfg.CacheTTL = 20 * time.Millisecond
	d2 := mustOpen(t, cfg)
	if _, err := d2.GetUser(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	before = d2.RoundTrips()
	if u, err := d2.GetUser(ctx, a.ID); err != nil || len(u.Groups) != 1 {
		t.Fatalf("GetUser = %+v, %v", u, err)
	}
	if n := d2.RoundTrips() - before; n != 1 {
		t.Errorf("GetUser with an expired cache took %d LDAP requests, want 1", n)
	}
	time.Sleep(30 * time.Millisecond)
	before = d2.RoundTrips()
	if _, err := d2.Authenticate(ctx, "alice", "alice password"); err != nil {
		t.Fatal(err)
	}
	if n := d2.RoundTrips() - before; n != 2 {
		t.Errorf("Authenticate with an expired cache took %d LDAP requests, want 2 (search, bind)", n)
	}
}

// TestCacheSeesOwnWrites checks that the read cache never hides this
// process's writes, and that another node's are seen once it expires.
func TestCacheSeesOwnWrites(t *testing.T) {
	s := testslapd.Start(t, slapdOptions()...)
	cfg := testConfig(s, store.DefaultPOSIX())
	cfg.CacheTTL = 300 * time.Millisecond
	d, a := seeded(t, s, cfg)
	ctx := t.Context()
	other := mustOpen(t, cfg) // another canaille node
	if _, err := d.GetUser(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.UpdateUser(ctx, a.ID, func(u *store.User) error { u.GivenName = "Alice"; return nil }); err != nil {
		t.Fatal(err)
	}
	if u, _ := d.GetUser(ctx, a.ID); u.GivenName != "Alice" {
		t.Errorf("own update not seen: given name %q", u.GivenName)
	}
	g, err := d.CreateGroup(ctx, store.Group{DisplayName: "readers", Members: []store.Ref{{ID: a.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := d.GetUserByName(ctx, "alice"); !store.HasRef(u.Groups, g.ID) {
		t.Errorf("own group not seen: %v", u.Groups)
	}
	if _, err := d.Authenticate(ctx, "alice", "wrong"); !errors.Is(err, store.ErrInvalidCredentials) {
		t.Fatal(err)
	}
	if u, _ := d.GetUser(ctx, a.ID); len(u.PasswordFailureTimestamps) != 1 {
		t.Errorf("failure not seen after a failed bind: %v", u.PasswordFailureTimestamps)
	}
	if _, err := other.UpdateUser(ctx, a.ID, func(u *store.User) error { u.GivenName = "Al"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := other.SetPassword(ctx, a.ID, "new password"); err != nil {
		t.Fatal(err)
	}
	// The password is the server's at once; the attributes after CacheTTL.
	if _, err := d.Authenticate(ctx, "alice", "new password"); err != nil {
		t.Errorf("another node's new password: %v", err)
	}
	time.Sleep(cfg.CacheTTL + 50*time.Millisecond)
	if u, _ := d.GetUser(ctx, a.ID); u.GivenName != "Al" {
		t.Errorf("another node's update not seen after CacheTTL: given name %q", u.GivenName)
	}
}

func TestDialTimeout(t *testing.T) {
	// A listener that accepts and never answers: Open must give up after
	// TIMEOUT instead of hanging.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conns := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c // kept open, never answered
		}
	}()
	cfg := ldapstore.DefaultConfig()
	cfg.URI, cfg.Timeout, cfg.RetryMax = "ldap://"+ln.Addr().String(), 300*time.Millisecond, 1
	start := time.Now()
	_, err = ldapstore.Open(t.Context(), cfg)
	if err == nil {
		t.Fatal("Open succeeded against a silent server")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Open took %v with a 300 ms timeout", took)
	}
}

func TestTLS(t *testing.T) {
	files := testslapd.NewTLSFiles(t)
	s := testslapd.Start(t, slapdOptions(files.Option())...)
	for _, tc := range []struct {
		name string
		edit func(*ldapstore.Config)
	}{
		{"ldaps", func(c *ldapstore.Config) { c.URI = s.LDAPSURL }},
		{"StartTLS", func(c *ldapstore.Config) { c.StartTLS = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(s, store.DefaultPOSIX())
			tc.edit(&cfg)
			cfg.CAFile = files.CAFile
			d, _ := seeded(t, s, cfg)
			if _, err := d.Authenticate(t.Context(), "alice", "alice password"); err != nil {
				t.Fatal(err)
			}
			// Without the CA the server is not trusted.
			cfg.CAFile = ""
			if _, err := ldapstore.Open(t.Context(), cfg); err == nil {
				t.Error("Open trusted the server without its CA")
			}
			d.Close()
			wipeAll(t, s)
		})
	}
}

func wipeAll(t *testing.T, s *testslapd.Server) { wipe(t, s, s.Dial(t)) }

// TestUnknownUserCostsABind: a sign-in with an unknown user name makes the
// same requests as a wrong password (a search and a bind), so that its
// time does not tell whether the account exists.
func TestUnknownUserCostsABind(t *testing.T) {
	s := testslapd.Start(t, slapdOptions()...)
	wipeAll(t, s)
	cfg := testConfig(s, store.DefaultPOSIX())
	cfg.CacheTTL = -1 // no read cache: each call looks the user up
	d, _ := seeded(t, s, cfg)
	ctx := t.Context()
	cost := func(name string) int64 {
		t.Helper()
		before := d.RoundTrips()
		if _, err := d.Authenticate(ctx, name, "not the password"); !errors.Is(err, store.ErrInvalidCredentials) {
			t.Fatalf("Authenticate(%s) = %v", name, err)
		}
		return d.RoundTrips() - before
	}
	known, unknown := cost("alice"), cost("nobody-here")
	if known != unknown {
		t.Errorf("a wrong password costs %d requests, an unknown user %d", known, unknown)
	}
}
