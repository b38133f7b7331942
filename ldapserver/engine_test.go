package ldapserver

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/store/bolt"
	"github.com/canaille-go/canaille/store/password"
)

// TestEngineRefusesUnregisteredConnections connects to the internal gldap
// listener directly, as a local process could: without the gateway's
// one-time registration it gets no data, even after a valid user bind.
func TestEngineRefusesUnregisteredConnections(t *testing.T) {
	h, _ := password.NewHasher(password.Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}, 0)
	st, err := bolt.Config{Path: filepath.Join(t.TempDir(), "c.db"), Hasher: h, NoSync: true}.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	u, _ := st.CreateUser(ctx, store.User{UserName: "alice"})
	st.SetPassword(ctx, u.ID, "alice-password-1")
	policy, _ := acl.Compile(nil)
	s, err := New(Config{Listen: "127.0.0.1:0", RootDN: "dc=example,dc=org", Secret: []byte(strings.Repeat("k", 32)), AnonymousRead: true}, st, policy)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		s.Shutdown(sctx)
	}()
	if !strings.HasPrefix(s.engine.addr, "127.0.0.1:") {
		t.Fatalf("the engine listens on %s, not loopback", s.engine.addr)
	}
	c, err := ldap.DialURL("ldap://" + s.engine.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A user bind, or a registration with a guessed token, is refused.
	if err := c.Bind("uid=alice,ou=users,dc=example,dc=org", "alice-password-1"); err == nil {
		t.Error("the engine accepted a user bind")
	}
	if err := c.Bind(registrationDN, strings.Repeat("0", 64)); err == nil {
		t.Error("the engine accepted a guessed registration token")
	}
	// Searches and writes get nothing, even with anonymous reads allowed.
	res, err := c.Search(ldap.NewSearchRequest("dc=example,dc=org", ldap.ScopeWholeSubtree, 0, 0, 0, false, "(objectClass=*)", nil, nil))
	if err == nil || (res != nil && len(res.Entries) > 0) {
		t.Errorf("an unregistered connection searched: %v, %v", res, err)
	}
	if err := c.Del(ldap.NewDelRequest("uid=alice,ou=users,dc=example,dc=org", nil)); err == nil {
		t.Error("an unregistered connection deleted a user")
	}
	if _, err := st.GetUserByName(ctx, "alice"); err != nil {
		t.Fatal("alice is gone")
	}
}

// The bind cache's keys are HMACs of the name and password under the
// cache's key: pooled hashers give the same key as a fresh one, and any
// change of the name, the password or the separator gives another.
func TestBindCacheSum(t *testing.T) {
	c := newBindCache([]byte("secret"), time.Minute)
	fresh := func(name, password string) [32]byte {
		m := hmac.New(sha256.New, c.key)
		m.Write([]byte(name + "\x00" + password))
		var out [32]byte
		copy(out[:], m.Sum(nil))
		return out
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				name, pw := fmt.Sprintf("user%d", i), fmt.Sprintf("pw%d", j)
				if c.sum(name, pw) != fresh(name, pw) {
					t.Errorf("sum(%s, %s) differs from a fresh HMAC", name, pw)
					return
				}
			}
		})
	}
	wg.Wait()
	if c.sum("a", "bc") == c.sum("ab", "c") || c.sum("a", "b") == c.sum("a", "c") {
		t.Error("different binds share a key")
	}
	if c.sum("a", "b") == newBindCache([]byte("other"), time.Minute).sum("a", "b") {
		t.Error("the key does not depend on the secret")
	}
}
