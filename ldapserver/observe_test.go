package ldapserver_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/ldapserver"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// observed records what the server reports to its hooks.
type observed struct {
	mu    sync.Mutex
	ops   map[string]int // "op code" -> count
	binds map[string]int
}

func (o *observed) get(m map[string]int, k string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return m[k]
}

func TestObserveHooks(t *testing.T) {
	o := &observed{ops: map[string]int{}, binds: map[string]int{}}
	f := newFixture(t, func(c *ldapserver.Config, _ *map[string]acl.SectionConfig) {
		c.Observe = func(op string, code int, d time.Duration) {
			if d < 0 {
				t.Errorf("%s: negative duration %s", op, d)
			}
			o.mu.Lock()
			o.ops[fmt.Sprintf("%s %d", op, code)]++
			o.mu.Unlock()
		}
		c.BindOutcome = func(outcome string) {
			o.mu.Lock()
			o.binds[outcome]++
			o.mu.Unlock()
		}
		l := store.DefaultLockout()
		c.Lockout = &l
	})
	c := f.dial()
	if err := c.Bind(aliceDN, alicePass); err != nil {
		t.Fatal(err)
	}
	search(t, c, root, ldap.ScopeWholeSubtree, "(uid=bob)")
	if _, err := c.WhoAmI(nil); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.Bind(aliceDN, "wrong-password-1"), ldap.LDAPResultInvalidCredentials)
	// The failure just recorded makes the next attempt wait: "locked".
	wantCode(t, c.Bind(aliceDN, "wrong-password-2"), ldap.LDAPResultInvalidCredentials)
	// An extended operation of an unknown OID is not a label of its own.
	c.Extended(ldap.NewExtendedRequest("1.2.3.4.5.6.7", nil))
	// Anonymous binds are not sign-ins.
	if err := c.UnauthenticatedBind(""); err != nil {
		t.Fatal(err)
	}
	// Operations are observed just after their answer is sent.
	want := []string{"bind 0", "search 0", "extended whoami 0", "bind 49"}
	seen := func() bool {
		for _, k := range want {
			if o.get(o.ops, k) == 0 {
				return false
			}
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		for k := range o.ops {
			if strings.HasPrefix(k, "extended other ") {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(5 * time.Second); !seen() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	for _, k := range want {
		if o.get(o.ops, k) == 0 {
			t.Errorf("no %q observed; got %v", k, o.ops)
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for k := range o.ops {
		if strings.Contains(k, "1.2.3") {
			t.Errorf("an unknown OID became an operation name: %q", k)
		}
	}
	if o.binds["success"] != 1 || o.binds["failure"] != 1 || o.binds["locked"] != 1 {
		t.Errorf("bind outcomes = %v, want one success, one failure, one locked", o.binds)
	}
}
