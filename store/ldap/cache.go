package ldap

import (
	"strings"
	"sync"
	"time"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
)

// readCache keeps users (with their groups) and clients for CacheTTL
// (default 5 s), so that the several reads of one user and one client a
// sign-in, a token request or a userinfo request makes cost no LDAP
// request after the first.
//
// Every write this process sends to the directory outside the OIDC state
// branches (users, groups, clients, passwords, imports) empties the whole
// cache, and so do failed binds (ppolicy records pwdFailureTime): this
// process always reads its own writes. A change made by another canaille
// node, by Python Canaille or by an LDAP client is seen here only when the
// cached copy expires, that is up to CacheTTL later: a user's attributes
// and groups (and so administrator rights), a client's redirect URIs,
// secret or deletion. Passwords and locks are never served from the cache:
// Authenticate always binds, and the server refuses a locked account's
// bind; a bind refused for a user whose cached DN is stale (renamed
// elsewhere) is retried after a fresh search. Sessions, codes and tokens
// are never cached: their revocation is immediate everywhere.
type readCache struct {
	ttl time.Duration

	mu      sync.Mutex
	gen     uint64
	users   map[string]cachedUser // "id:"+ID and "name:"+lower(uid)
	clients map[string]cachedClient
	groups  map[string]groupRef // dnKey(group DN) → ref, see groupRefs
}

type cachedUser struct {
	r  userRecord
	at time.Time
}

type cachedClient struct {
	c  store.Client
	at time.Time
}

// groupRef names a group by DN: ok is false for a DN that is no group
// under GROUP_BASE (a memberOf value of another part of the directory).
type groupRef struct {
	ref store.Ref
	ok  bool
	at  time.Time
}

const cacheMaxSize = 10000

// generation returns the current generation, to be given back to the put
// methods: a value read before a write is not stored after it.
func (c *readCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// invalidate forgets everything.
func (c *readCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.users, c.clients, c.groups = nil, nil, nil
}

func (c *readCache) fresh(at time.Time) bool { return c.ttl > 0 && time.Since(at) <= c.ttl }

func userNameKey(name string) string { return "name:" + strings.ToLower(name) }

func userIDKey(id string) string { return "id:" + schemas.CanonicalUUID(id) }

// user returns a copy of a cached user.
func (c *readCache) user(key string) (userRecord, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.users[key]
	if !ok || !c.fresh(e.at) {
		return userRecord{}, false
	}
	r := e.r
	r.user = r.user.Clone()
	return r, true
}

func (c *readCache) putUser(gen uint64, r userRecord) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.users == nil || len(c.users) >= cacheMaxSize {
		c.users = map[string]cachedUser{}
	}
	e := cachedUser{r: r, at: time.Now()}
	e.r.user = r.user.Clone()
	c.users[userIDKey(r.user.ID)] = e
	c.users[userNameKey(r.user.UserName)] = e
}

func (c *readCache) client(id string) (store.Client, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.clients[id]
	if !ok || !c.fresh(e.at) {
		return store.Client{}, false
	}
	return e.c.Clone(), true
}

func (c *readCache) putClient(gen uint64, cl store.Client) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.clients == nil || len(c.clients) >= cacheMaxSize {
		c.clients = map[string]cachedClient{}
	}
	c.clients[cl.ID] = cachedClient{c: cl.Clone(), at: time.Now()}
}

// groupTTL bounds how long a group DN's ID and name are kept: a group's
// DN holds its name (RDN cn), so a rename elsewhere is a new DN, and
// membership itself is always the user's memberOf as read.
const groupTTL = time.Minute

func (c *readCache) group(key string) (groupRef, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.groups[key]
	if !ok || c.ttl <= 0 || time.Since(e.at) > groupTTL {
		return groupRef{}, false
	}
	return e, true
}

func (c *readCache) putGroup(gen uint64, key string, g groupRef) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.groups == nil || len(c.groups) >= cacheMaxSize {
		c.groups = map[string]groupRef{}
	}
	g.at = time.Now()
	c.groups[key] = g
}
