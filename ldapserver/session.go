package ldapserver

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/store/ldif"
)

// session is one client connection: its socket, its bound identity and
// its state (abandoned requests, paged searches, the internal connection
// to the gldap engine). Requests of one connection run concurrently, so
// every field is guarded.
type session struct {
	id     uint64
	remote string
	srv    *Server

	wmu  sync.Mutex // serialises writes to the client
	conn net.Conn
	w    *bufio.Writer
	tls  atomic.Bool

	idmu sync.Mutex
	who  identity

	innerMu sync.Mutex
	inner   net.Conn // to the engine; nil until the first forwarded request
	// inflight bounds the requests forwarded and not yet answered: gldap
	// runs each in its own goroutine, with no limit of its own.
	inflight chan struct{}

	abandoned    sync.Map // message ID (int64) -> struct{}
	abandonCount atomic.Int64
	pagesMu      sync.Mutex
	pages        map[string]*pagedSearch

	lastActivity atomic.Int64 // unix nanoseconds
	closed       atomic.Bool
}

// identity is who a connection is bound as.
type identity struct {
	dn     string // "" when anonymous
	userID string
	name   string // user_name
	rights acl.Rights
	at     time.Time   // when rights were evaluated
	acc    *access     // what the rights let read, computed with them
	bound  *store.User // the user as bound, until its rights are needed
}

// rightsTTL bounds how long a connection keeps the rights it had: group
// changes reach open connections within this time.
const rightsTTL = 2 * time.Second

func (se *session) touch() { se.lastActivity.Store(time.Now().UnixNano()) }

// write sends one encoded message to the client.
func (se *session) write(msg []byte) error { return se.relayWrite(msg, true) }

// relayWrite queues a message, and sends what is queued when flush is set.
func (se *session) relayWrite(msg []byte, flush bool) error {
	se.wmu.Lock()
	defer se.wmu.Unlock()
	return se.writeLocked(msg, flush)
}

// writeEntry queues a SearchResultEntry, encoded straight into the free
// space of the write buffer when it fits there.
func (se *session) writeEntry(id int64, e *ldif.Entry) error {
	se.wmu.Lock()
	defer se.wmu.Unlock()
	return se.writeLocked(appendEntry(se.w.AvailableBuffer(), id, e, false), false)
}

// writeDone queues a SearchResultDone as writeEntry does, and sends what
// is queued.
func (se *session) writeDone(id int64, res searchResult) error {
	se.wmu.Lock()
	defer se.wmu.Unlock()
	return se.writeLocked(appendSearchDone(se.w.AvailableBuffer(), id, res), true)
}

// writeLocked queues msg and sends what is queued when flush is set; the
// caller holds wmu. The write deadline is set, and the activity recorded,
// only when something may reach the connection.
func (se *session) writeLocked(msg []byte, flush bool) error {
	sends := flush || len(msg) > se.w.Available()
	if sends {
		se.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	}
	if _, err := se.w.Write(msg); err != nil {
		return err
	}
	if !sends {
		return nil
	}
	se.touch() // the client got something: the connection is not idle
	if !flush {
		return nil
	}
	return se.w.Flush()
}

// flush sends what relayWrite queued.
func (se *session) flush() error {
	se.wmu.Lock()
	defer se.wmu.Unlock()
	se.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return se.w.Flush()
}

// writeTimeout bounds how long a client that does not read may hold a
// write.
const writeTimeout = 60 * time.Second

// identity returns who the connection is bound as, re-evaluating the
// rights of a user when they are older than rightsTTL (a user deleted
// meanwhile becomes anonymous).
func (se *session) identity(ctx context.Context) identity {
	se.idmu.Lock()
	if se.who.bound != nil {
		// Rights are evaluated at the first operation after a bind, not
		// at the bind: clients that only bind (mail servers checking a
		// password) never need them.
		se.who.rights = se.srv.dir.policy.For(se.who.bound)
		se.who.bound = nil
		acc := se.srv.dir.access(se.who)
		se.who.acc = &acc
	}
	who := se.who
	se.idmu.Unlock()
	if who.userID == "" || time.Since(who.at) < rightsTTL {
		return who
	}
	u, err := se.srv.dir.store.GetUser(ctx, who.userID)
	se.idmu.Lock()
	defer se.idmu.Unlock()
	if se.who.userID != who.userID { // rebound meanwhile
		return se.who
	}
	if err != nil || u.Locked(time.Now()) {
		se.who = identity{}
	} else {
		se.who.rights = se.srv.dir.policy.For(&u)
		se.who.at = time.Now()
		se.who.acc = nil
		acc := se.srv.dir.access(se.who)
		se.who.acc = &acc
	}
	return se.who
}

// setIdentity records a successful bind (or anonymity with a zero user).
func (se *session) setIdentity(dn string, u *store.User) {
	se.idmu.Lock()
	defer se.idmu.Unlock()
	if u == nil {
		se.who = identity{}
		return
	}
	se.who = identity{dn: dn, userID: u.ID, name: u.UserName, at: time.Now(), bound: u}
}

// disconnect sends a Notice of Disconnection and closes the connection.
func (se *session) disconnect(code int, diag string) {
	if se.closed.Swap(true) {
		return
	}
	se.write(noticeOfDisconnection(code, diag))
	se.conn.Close()
}

// bindCache remembers verified simple binds for a while, so that a mail
// server binding at every login does not pay for argon2id each time. It
// keeps an HMAC of the name and password, never the password, and the
// hash the password was verified against: a password change, a lock or a
// deletion invalidates the entry at once, since a hit re-reads the user.
type bindCache struct {
	key []byte
	ttl time.Duration
	mu  sync.Mutex
	m   map[[32]byte]bindEntry
	// macs are keyed HMACs ready for use.
	macs sync.Pool
}

type bindEntry struct {
	userID  string
	hash    string
	expires time.Time
}

// maxBindCache bounds the cache; when full, expired entries go, then all.
const maxBindCache = 100_000

func newBindCache(secret []byte, ttl time.Duration) *bindCache {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("canaille ldap bind cache"))
	return &bindCache{key: mac.Sum(nil), ttl: ttl, m: map[[32]byte]bindEntry{}}
}

func (c *bindCache) sum(name, password string) [32]byte {
	// A pooled HMAC restarts from its keyed state (Reset) instead of
	// hashing the key again at every bind.
	mac, _ := c.macs.Get().(hash.Hash)
	if mac == nil {
		mac = hmac.New(sha256.New, c.key)
	}
	io.WriteString(mac, name)
	mac.Write([]byte{0})
	io.WriteString(mac, password)
	var out [32]byte
	mac.Sum(out[:0])
	mac.Reset()
	c.macs.Put(mac)
	return out
}

// lookup returns the user of a remembered bind, checking that its password
// hash and lock state did not change.
func (c *bindCache) lookup(ctx context.Context, st store.Directory, name, password string) (store.User, bool) {
	if c.ttl <= 0 {
		return store.User{}, false
	}
	k := c.sum(name, password)
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if !ok || time.Now().After(e.expires) {
		return store.User{}, false
	}
	u, err := st.GetUser(ctx, e.userID)
	if err != nil || u.PasswordHash != e.hash || u.Locked(time.Now()) || !strings.EqualFold(u.UserName, name) {
		c.mu.Lock()
		delete(c.m, k)
		c.mu.Unlock()
		return store.User{}, false
	}
	return u, true
}

func (c *bindCache) remember(name, password string, u *store.User) {
	if c.ttl <= 0 || u.PasswordHash == "" {
		return
	}
	k := c.sum(name, password)
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxBindCache {
		for key, e := range c.m {
			if now.After(e.expires) {
				delete(c.m, key)
			}
		}
		if len(c.m) >= maxBindCache {
			clear(c.m)
		}
	}
	c.m[k] = bindEntry{userID: u.ID, hash: u.PasswordHash, expires: now.Add(c.ttl)}
}
