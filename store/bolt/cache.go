package bolt

import (
	"bytes"
	"hash/maphash"
	"sync"

	bbolt "go.etcd.io/bbolt"

	"github.com/canaille-go/canaille/store"
)

// verifiedCache keeps decoded records by ID. An entry is valid only while
// the stored bytes are those it was decoded from: a hit compares their
// length and two independent seeded 64-bit hashes of them (hash/maphash,
// seeds made at random for each process), so that a write (in this
// process or a migration) is never served stale unless both hashes of
// the changed record match, a chance of 2^-128 that nobody outside the
// process can aim at, and nothing needs invalidating. Keeping the hashes
// instead of a copy of the bytes saves the heap a copy of every cached
// record. Values go in and out as clones, so that no caller shares one.
// When full it starts over.
type verifiedCache[T any] struct {
	mu sync.RWMutex
	// m holds pointers: a map keeps its values in its slots, and a
	// decoded user is 600 bytes, so that a map of them spent most of its
	// size (and the collector's time) on its empty slots.
	m     map[string]*verified[T]
	size  int
	clone func(T) T
	seeds [2]maphash.Seed
}

type verified[T any] struct {
	sum [2]uint64
	n   int
	v   T
}

func newVerifiedCache[T any](size int, clone func(T) T) verifiedCache[T] {
	return verifiedCache[T]{size: size, clone: clone, seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
}

func (c *verifiedCache[T]) sum(raw []byte) [2]uint64 {
	return [2]uint64{maphash.Bytes(c.seeds[0], raw), maphash.Bytes(c.seeds[1], raw)}
}

func (c *verifiedCache[T]) get(id string, raw []byte) (T, bool) {
	c.mu.RLock()
	e, ok := c.m[id]
	c.mu.RUnlock()
	if !ok || e.n != len(raw) || e.sum != c.sum(raw) {
		var zero T
		return zero, false
	}
	return c.clone(e.v), true
}

func (c *verifiedCache[T]) put(id string, raw []byte, v T) {
	e := &verified[T]{sum: c.sum(raw), n: len(raw), v: c.clone(v)}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= c.size {
		c.m = map[string]*verified[T]{}
	}
	c.m[id] = e
	c.mu.Unlock()
}

// decodeCache keeps decoded user records, so that the reads that dominate
// an LDAP server's work (a user looked up at every search and bind) do not
// decode JSON each time. It keeps them packed (packuser.go): pointer-free
// blocks that the collector does not scan.
type decodeCache struct {
	users verifiedCache[[]byte]
	// summaries are the listing keys of every user, for ListUsersPage
	// (userpage.go); validated against the stored bytes in the same way.
	summaries userSummaries
}

// decodeCacheSize bounds the cache of users.
const decodeCacheSize = 16384

func newDecodeCache() *decodeCache {
	// A block is never changed once made, and each hit unpacks a user of
	// its own: the blocks need no copying.
	return &decodeCache{users: newVerifiedCache(decodeCacheSize, func(b []byte) []byte { return b })}
}

// get returns the cached user id if raw is still its stored record.
func (c *decodeCache) get(id string, raw []byte) (store.User, bool) {
	b, ok := c.users.get(id, raw)
	if !ok {
		return store.User{}, false
	}
	return unpackUser(b)
}

// put caches u, decoded from raw.
func (c *decodeCache) put(id string, raw []byte, u store.User) {
	if b, ok := packUser(make([]byte, 0, len(raw)), &u); ok {
		c.users.put(id, raw, bytes.Clone(b)) // no spare capacity kept
	}
}

// reader is the view of a read transaction through the cache.
func (s *Store) reader(tx *bbolt.Tx) *wtx { return &wtx{tx: tx, decoded: s.decoded} }

// clientCache keeps decoded clients: the token endpoint loads its client
// at every request (client authentication, then the token's request).
type clientCache struct{ verifiedCache[store.Client] }

// clientCacheSize bounds the cache of clients.
const clientCacheSize = 1024

func newClientCache() *clientCache {
	return &clientCache{newVerifiedCache(clientCacheSize, store.Client.Clone)}
}

func (c *clientCache) client(tx *bbolt.Tx, id string) (store.Client, error) {
	raw, err := clientBytes(tx, id)
	if err != nil {
		return store.Client{}, err
	}
	if cl, ok := c.get(id, raw); ok {
		return cl, nil
	}
	cl, err := decodeClient(raw)
	if err == nil {
		c.put(id, raw, cl)
	}
	return cl, err
}
