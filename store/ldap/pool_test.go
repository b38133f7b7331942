package ldap_test

import (
	"errors"
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

// TestRoundTrips counts the LDAP requests of a sign-in with a warm pool.
func TestRoundTrips(t *testing.T) {
	s := testslapd.Start(t, slapdOptions()...)
	d, a := seeded(t, s, testConfig(s, store.DefaultPOSIX()))
	for range 2 { // warm both kinds of connections
		if _, err := d.Authenticate(t.Context(), "alice", "alice password"); err != nil {
			t.Fatal(err)
		}
	}
	before, dials := d.RoundTrips(), d.Dials()
	u, err := d.Authenticate(t.Context(), "alice", "alice password")
	if err != nil || u.ID != a.ID || len(u.Groups) != 1 {
		t.Fatalf("Authenticate = %+v, %v", u, err)
	}
	if n := d.RoundTrips() - before; n > 3 {
		t.Errorf("a sign-in took %d LDAP requests, want at most 3", n)
	}
	if n := d.Dials() - dials; n != 0 {
		t.Errorf("a sign-in with a warm pool opened %d connections", n)
	}
	before = d.RoundTrips()
	if _, err := d.GetUser(t.Context(), a.ID); err != nil {
		t.Fatal(err)
	}
	if n := d.RoundTrips() - before; n != 2 {
		t.Errorf("GetUser took %d LDAP requests, want 2 (user, groups)", n)
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
