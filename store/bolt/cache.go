package bolt

import (
	"bytes"
	"fmt"
	"sync"

	bbolt "go.etcd.io/bbolt"

	"github.com/canaille-go/canaille/store"
)

// decodeCache keeps decoded user records, so that the reads that dominate
// an LDAP server's work (a user looked up at every search and bind) do not
// decode JSON each time. An entry is valid only while the stored bytes
// are exactly those it was decoded from: a hit compares them, so a write
// (in this process or a migration) can never be served stale, and nothing
// needs invalidating.
type decodeCache struct {
	mu sync.RWMutex
	m  map[string]cachedUser
	// summaries are the listing keys of every user, for ListUsersPage
	// (userpage.go); validated against the stored bytes in the same way.
	summaries userSummaries
}

type cachedUser struct {
	raw []byte
	u   store.User
}

// decodeCacheSize bounds the cache; when full it starts over.
const decodeCacheSize = 16384

func newDecodeCache() *decodeCache { return &decodeCache{m: map[string]cachedUser{}} }

func (c *decodeCache) get(id string, raw []byte) (store.User, bool) {
	c.mu.RLock()
	e, ok := c.m[id]
	c.mu.RUnlock()
	if !ok || !bytes.Equal(e.raw, raw) {
		return store.User{}, false
	}
	return e.u.Clone(), true
}

func (c *decodeCache) put(id string, raw []byte, u store.User) {
	e := cachedUser{raw: bytes.Clone(raw), u: u.Clone()}
	c.mu.Lock()
	if len(c.m) >= decodeCacheSize {
		clear(c.m)
	}
	c.m[id] = e
	c.mu.Unlock()
}

// reader is the view of a read transaction through the cache.
func (s *Store) reader(tx *bbolt.Tx) *wtx { return &wtx{tx: tx, decoded: s.decoded} }

// clientCache keeps decoded client records, checked against the stored
// bytes like decodeCache: the token endpoint loads its client at every
// request (client authentication, then the token's request).
type clientCache struct {
	mu sync.RWMutex
	m  map[string]cachedClient
}

type cachedClient struct {
	raw []byte
	c   store.Client
}

// clientCacheSize bounds the cache; when full it starts over.
const clientCacheSize = 1024

func (c *clientCache) get(tx *bbolt.Tx, id string) (store.Client, error) {
	raw := tx.Bucket(bClients).Get([]byte(id))
	if raw == nil {
		return store.Client{}, fmt.Errorf("bolt: %s %q: %w", bClients, id, store.ErrNotFound)
	}
	c.mu.RLock()
	e, ok := c.m[id]
	c.mu.RUnlock()
	if ok && bytes.Equal(e.raw, raw) {
		return e.c.Clone(), nil
	}
	cl, err := decodeClient(raw)
	if err != nil {
		return store.Client{}, err
	}
	e = cachedClient{raw: bytes.Clone(raw), c: cl.Clone()}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= clientCacheSize {
		c.m = map[string]cachedClient{}
	}
	c.m[id] = e
	c.mu.Unlock()
	return cl, nil
}
