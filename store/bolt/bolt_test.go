package bolt_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/bolt"
	"github.com/canaille-go/canaille/store/password"
	"github.com/canaille-go/canaille/store/storetest"
)

// testHasher uses cheap argon2id parameters so that tests stay fast.
func testHasher(t testing.TB) *password.Hasher {
	t.Helper()
	h, err := password.NewHasher(password.Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func testConfig(t testing.TB, path string) bolt.Config {
	return bolt.Config{Path: path, Hasher: testHasher(t), POSIX: store.DefaultPOSIX(), UpgradeHashes: true, NoSync: true}
}

func mustOpen(t testing.TB, path string) *bolt.Store {
	t.Helper()
	s, err := testConfig(t, path).Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	cases := map[string][]byte{
		"truncated": make([]byte, 100),
		"text":      []byte(strings.Repeat("this is not a database\n", 1000)),
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			os.WriteFile(path, content, 0o600)
			_, err := testConfig(t, path).Open()
			if !errors.Is(err, bolt.ErrNotDatabase) {
				t.Fatalf("Open(%s) = %v, want ErrNotDatabase", name, err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			after, _ := os.ReadFile(path)
			if string(after) != string(content) {
				t.Error("the file was modified")
			}
		})
	}
	t.Run("foreign bbolt file", func(t *testing.T) {
		path := filepath.Join(dir, "foreign.db")
		db, err := bbolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("other")); return err })
		db.Close()
		if _, err := testConfig(t, path).Open(); !errors.Is(err, bolt.ErrNotDatabase) {
			t.Fatalf("Open = %v, want ErrNotDatabase", err)
		}
	})
}

func TestOpenRefusesNewerFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	s := mustOpen(t, path)
	s.Close()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("format_version"), []byte{0, 0, 0, bolt.FormatVersion + 1})
	})
	db.Close()
	_, err = testConfig(t, path).Open()
	if !errors.Is(err, bolt.ErrNewerFormat) || !strings.Contains(err.Error(), "upgrade canaille") {
		t.Fatalf("Open = %v, want ErrNewerFormat asking for an upgrade", err)
	}
}

func TestOpenLockedSaysByWhom(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	mustOpen(t, path)
	cfg := testConfig(t, path)
	cfg.Timeout = 50 * time.Millisecond
	start := time.Now()
	_, err := cfg.Open()
	if !errors.Is(err, bolt.ErrInUse) {
		t.Fatalf("second Open = %v, want ErrInUse", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("second Open did not fail fast")
	}
	if !strings.Contains(err.Error(), "process ") || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q should name the file and the process holding it", err)
	}
}

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, filepath.Join(t.TempDir(), "c.db"))
	u, err := s.CreateUser(ctx, store.User{UserName: "alice", Emails: []string{"Alice@Example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	if u.UIDNumber != 10000 || u.GIDNumber != 10000 || u.HomeDirectory != "/home/alice" {
		t.Errorf("posix = %d %d %q", u.UIDNumber, u.GIDNumber, u.HomeDirectory)
	}
	g, err := s.CreateGroup(ctx, store.Group{DisplayName: "staff", Members: []store.Ref{{ID: u.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	if g.GIDNumber == u.UIDNumber {
		t.Error("group gid collides with the user's private group")
	}
	got, err := s.GetUserByEmail(ctx, "alice@EXAMPLE.org")
	if err != nil || len(got.Groups) != 1 || got.Groups[0].Name != "staff" {
		t.Fatalf("GetUserByEmail = %+v, %v", got, err)
	}
	if err := s.SetPassword(ctx, u.ID, "correct horse"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "ALICE", "correct horse"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "alice", "wrong"); !errors.Is(err, store.ErrInvalidCredentials) {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

// conformance is the suite's view of bolt stores in temporary directories
// with the given POSIX defaults.
func conformance(posix store.POSIXDefaults) storetest.Suite {
	return storetest.Suite{
		New: func(t *testing.T) store.Store {
			cfg := testConfig(t, filepath.Join(t.TempDir(), "c.db"))
			cfg.POSIX = posix
			s, err := cfg.Open()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		UpgradesHashes:  true,
		RecordsFailures: true,
		POSIX:           posix,
	}
}

// smallRange makes number exhaustion testable.
func smallRange() store.POSIXDefaults {
	p := store.DefaultPOSIX()
	p.UIDMin, p.UIDMax, p.GIDMin, p.GIDMax = 20000, 20149, 30000, 30149
	return p
}

func TestConformance(t *testing.T) {
	storetest.Run(t, conformance(smallRange()))
}

func TestConformanceBackup(t *testing.T) {
	storetest.RunBackup(t, conformance(smallRange()), func(t *testing.T, data []byte) store.Store {
		path := filepath.Join(t.TempDir(), "restored.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return mustOpen(t, path)
	})
}

func TestConformancePrimaryGID(t *testing.T) {
	p := store.DefaultPOSIX()
	p.PrimaryGID, p.HomeDirectory, p.LoginShell = 100, "/srv/home/{user_name}", "/bin/zsh"
	storetest.RunUsers(t, conformance(p))
}

// TestClientCache checks that the cache of decoded clients never serves
// a stale client, nor one a caller modified.
func TestClientCache(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, filepath.Join(t.TempDir(), "c.db"))
	c, err := s.CreateClient(ctx, store.Client{ID: "app", RedirectURIs: []string{"https://app.example/cb"},
		GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"}, Scope: []string{"openid"}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the first read fills the cache, the second is served from it
		got, err := s.GetClient(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		got.RedirectURIs[0] = "https://evil.example/cb"
		got.Scope = append(got.Scope[:0], "admin")
	}
	if again, _ := s.GetClient(ctx, c.ID); again.RedirectURIs[0] != "https://app.example/cb" || again.Scope[0] != "openid" {
		t.Fatalf("a caller's change reached the cache: %+v", again)
	}
	if _, err := s.UpdateClient(ctx, c.ID, func(c *store.Client) error {
		c.RedirectURIs = []string{"https://app.example/new"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.GetClient(ctx, c.ID); again.RedirectURIs[0] != "https://app.example/new" {
		t.Fatalf("after an update, GetClient = %v, want the new redirect URI", again.RedirectURIs)
	}
	if err := s.DeleteClient(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetClient(ctx, c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetClient after delete: %v, want not found", err)
	}
}

// TestBatch: writes made with a batch context are committed together by
// CommitBatch, all or none, and not before.
func TestBatch(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, filepath.Join(t.TempDir(), "c.db"))
	if _, err := s.CreateClient(ctx, store.Client{ID: "app", RedirectURIs: []string{"https://app.example/cb"},
		GrantTypes: []string{"client_credentials"}, ResponseTypes: []string{"code"}, Scope: []string{"profile"}}); err != nil {
		t.Fatal(err)
	}
	tok := func(access string) store.Token {
		return store.Token{AccessToken: access, ClientID: "app", Type: "access_token", Lifetime: time.Hour}
	}
	count := func() int {
		ts, err := s.ListTokens(ctx, store.TokenQuery{})
		if err != nil {
			t.Fatal(err)
		}
		return len(ts)
	}

	bctx := store.WithBatch(ctx)
	for _, a := range []string{"a1", "a2"} {
		if _, err := s.CreateToken(bctx, tok(a)); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n != 0 {
		t.Fatalf("%d tokens before CommitBatch, want 0", n)
	}
	if err := store.CommitBatch(bctx, s); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d tokens after CommitBatch, want 2", n)
	}
	// The batch is spent: a later write with its context is made at once.
	if _, err := s.CreateToken(bctx, tok("a3")); err != nil || count() != 3 {
		t.Fatalf("write after the commit: %v, %d tokens, want 3", err, count())
	}

	// All or none: the second write fails (the access token exists), so
	// the first is not kept either.
	bctx = store.WithBatch(ctx)
	s.CreateToken(bctx, tok("b1"))
	s.CreateToken(bctx, tok("a1"))
	if err := store.CommitBatch(bctx, s); !errors.Is(err, store.ErrExists) {
		t.Fatalf("CommitBatch with a duplicate: %v, want ErrExists", err)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d tokens after a failed batch, want 3", n)
	}
	if _, err := s.GetTokenByAccessToken(ctx, "b1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the failed batch's first token: %v, want not found", err)
	}

	// Discarded: nothing is written.
	bctx = store.WithBatch(ctx)
	s.CreateToken(bctx, tok("c1"))
	store.DiscardBatch(bctx)
	if err := store.CommitBatch(bctx, s); err != nil || count() != 3 {
		t.Fatalf("after DiscardBatch: %v, %d tokens, want 3", err, count())
	}
}
