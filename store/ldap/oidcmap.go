package ldap

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
)

// This file is the machinery shared by the OIDC objects under ou=oauth:
// a table mapping each field of a store type to an attribute, the
// translation of user and client references to DNs (Python Canaille's
// entries hold DNs), and the optimistic concurrency of updates.
//
// Updates read the entry with its entryCSN, run fn, and write the changed
// attributes with the Assertion control (RFC 4528, supported by slapd
// since 2.4) asserting (entryCSN=<what was read>): a concurrent write
// changes the CSN, the server refuses the modify with assertionFailed, and
// the update starts again from a fresh read (fn may run more than once, as
// the contract allows). After maxUpdateTries the update gives
// store.ErrConflict.

// maxUpdateTries bounds the read-modify-write loop of an update.
const maxUpdateTries = 50

// assertionOID is the LDAP Assertion control (RFC 4528).
const assertionOID = "1.3.6.1.1.12"

// assertion returns a critical Assertion control holding filter.
func assertion(filter string) (ldap.Control, error) {
	p, err := ldap.CompileFilter(filter)
	if err != nil {
		return nil, err
	}
	return ldap.NewControlString(assertionOID, true, string(p.Bytes())), nil
}

// codec carries what decoding and encoding need beyond the entry: the
// directory, to translate references, and the first error met.
type codec struct {
	ctx context.Context
	d   *Directory
	err error
}

func (c *codec) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// field maps one field of T to one attribute.
type field[T any] struct {
	attr string
	enc  func(c *codec, t *T) []string
	dec  func(c *codec, t *T, vs []string)
	// equal, when set, tells whether the stored values ov already say
	// what nv says (a Python Canaille clear secret and its digest).
	equal func(nv, ov []string) bool
}

// kind describes one object type under ou=oauth.
type kind[T any] struct {
	name    string   // for errors
	branch  string   // relative to ROOT_DN (schemas.*Branch)
	rdn     string   // RDN attribute
	classes []string // objectClass values written, the structural one first
	fields  []field[T]
	id      func(*T) *string
	// post runs after decoding, with the entry (operational attributes).
	post func(t *T, e *ldap.Entry)
}

// readAttrs are the attributes read for an object.
var readAttrs = []string{"*", "entryCSN", "createTimestamp", "modifyTimestamp"}

func (k *kind[T]) base(d *Directory) string { return k.branch + "," + d.cfg.RootDN }

func (k *kind[T]) dn(d *Directory, id string) string {
	return k.rdn + "=" + ldap.EscapeDN(id) + "," + k.base(d)
}

func (k *kind[T]) filter(extra ...string) string {
	return and(append([]string{eq("objectClass", k.classes[0])}, extra...)...)
}

// decode maps an entry to a T.
func (k *kind[T]) decode(c *codec, e *ldap.Entry) T {
	var t T
	for _, f := range k.fields {
		f.dec(c, &t, e.GetAttributeValues(f.attr))
	}
	if k.post != nil {
		k.post(&t, e)
	}
	return t
}

// encode maps a T to its attributes (without objectClass), in field order.
func (k *kind[T]) encode(c *codec, t *T) []ldap.Attribute {
	out := make([]ldap.Attribute, 0, len(k.fields))
	for _, f := range k.fields {
		if vs := f.enc(c, t); len(vs) > 0 {
			out = append(out, ldap.Attribute{Type: f.attr, Vals: vs})
		}
	}
	return out
}

// find returns the entries of this kind matching filter.
func (k *kind[T]) find(ctx context.Context, d *Directory, filter string) ([]*ldap.Entry, error) {
	return d.search(ctx, k.base(d), ldap.ScopeSingleLevel, k.filter(filter), readAttrs)
}

// list decodes the entries matching filter.
func (k *kind[T]) list(ctx context.Context, d *Directory, filter string) ([]T, error) {
	es, err := k.find(ctx, d, filter)
	if err != nil {
		return nil, err
	}
	c := &codec{ctx: ctx, d: d}
	out := make([]T, 0, len(es))
	for _, e := range es {
		out = append(out, k.decode(c, e))
	}
	return out, c.err
}

// one finds the single entry matching filter.
func (k *kind[T]) one(ctx context.Context, d *Directory, what, filter string) (*ldap.Entry, T, error) {
	var zero T
	es, err := k.find(ctx, d, filter)
	if err != nil {
		return nil, zero, err
	}
	if len(es) == 0 {
		return nil, zero, fmt.Errorf("ldap: %s %s: %w", k.name, what, store.ErrNotFound)
	}
	c := &codec{ctx: ctx, d: d}
	t := k.decode(c, es[0])
	if c.err == nil {
		d.hints.put(k.name, *k.id(&t), es[0])
	}
	return es[0], t, c.err
}

// byID finds an object by its RDN value.
func (k *kind[T]) byID(ctx context.Context, d *Directory, id string) (*ldap.Entry, T, error) {
	return k.one(ctx, d, strconv.Quote(id), eq(k.rdn, id))
}

// add writes a new entry; an existing RDN gives store.ErrExists.
func (k *kind[T]) add(ctx context.Context, d *Directory, t *T) error {
	c := &codec{ctx: ctx, d: d}
	attrs := k.encode(c, t)
	if c.err != nil {
		return c.err
	}
	req := ldap.NewAddRequest(k.dn(d, *k.id(t)), nil)
	req.Attribute("objectClass", k.classes)
	for _, a := range attrs {
		if !strings.EqualFold(a.Type, k.rdn) {
			req.Attribute(a.Type, a.Vals)
		}
	}
	req.Attribute(k.rdn, []string{*k.id(t)})
	err := d.writeAt(ctx, req.DN, func(conn *ldap.Conn) error { return conn.Add(req) })
	if isCode(err, ldap.LDAPResultEntryAlreadyExists) {
		return fmt.Errorf("ldap: %s: %w", k.name, store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("ldap: add %s: %w", k.name, err)
	}
	return nil
}

// changes builds the modify request turning entry e into t: the
// attributes whose values differ are replaced, and objectClass gains the
// auxiliary classes an entry written by Python Canaille lacks.
func (k *kind[T]) changes(c *codec, e *ldap.Entry, t *T) *ldap.ModifyRequest {
	req := ldap.NewModifyRequest(e.DN, nil)
	classes := e.GetAttributeValues("objectClass")
	for _, want := range k.classes {
		if !slices.ContainsFunc(classes, func(v string) bool { return strings.EqualFold(v, want) }) {
			req.Add("objectClass", []string{want})
		}
	}
	for _, f := range k.fields {
		if strings.EqualFold(f.attr, k.rdn) {
			continue
		}
		nv, ov := f.enc(c, t), e.GetAttributeValues(f.attr)
		if slices.Equal(nv, ov) || (len(nv) == 0 && len(ov) == 0) || (f.equal != nil && f.equal(nv, ov)) {
			continue
		}
		req.Replace(f.attr, nv)
	}
	return req
}

// update runs the optimistic read-modify-write loop on the entry matching
// filter: fn gets the decoded object and may change it; the changed
// attributes are written under an assertion on the entryCSN read.
func (k *kind[T]) update(ctx context.Context, d *Directory, what, filter string, fn func(e *ldap.Entry, t *T) error) (T, error) {
	return k.updateHinted(ctx, d, what, filter, "", fn)
}

// updateByID is update on the entry whose RDN value is id. Its first try
// starts from the entry the last read of this object returned (see
// readHints) when there is one: the modify asserts that entry's entryCSN,
// so that it succeeds only if the entry has not changed since, and the
// read before the write is saved; otherwise the loop reads it again.
func (k *kind[T]) updateByID(ctx context.Context, d *Directory, id string, fn func(e *ldap.Entry, t *T) error) (T, error) {
	return k.updateHinted(ctx, d, strconv.Quote(id), eq(k.rdn, id), id, fn)
}

func (k *kind[T]) updateHinted(ctx context.Context, d *Directory, what, filter, hintID string, fn func(e *ldap.Entry, t *T) error) (T, error) {
	var zero T
	hinted := false
	for try := 0; try < maxUpdateTries; try++ {
		if try > 0 && !hinted {
			d.retries.Add(1)
			time.Sleep(time.Duration(rand.IntN(1000*min(try, 10))) * time.Microsecond)
		}
		var e *ldap.Entry
		var t T
		var err error
		if he := d.hints.take(k.name, hintID); try == 0 && he != nil {
			hinted = true
			c := &codec{ctx: ctx, d: d}
			e, t, err = he, k.decode(c, he), c.err
		} else {
			hinted = false
			e, t, err = k.one(ctx, d, what, filter)
		}
		if err != nil {
			return zero, err
		}
		if err := fn(e, &t); err != nil {
			return zero, err
		}
		c := &codec{ctx: ctx, d: d}
		req := k.changes(c, e, &t)
		if c.err != nil {
			return zero, c.err
		}
		if len(req.Changes) == 0 {
			return t, nil
		}
		csn := e.GetAttributeValue("entryCSN")
		if csn == "" {
			return zero, fmt.Errorf("ldap: %s %s: no entryCSN to assert", k.name, what)
		}
		ctl, err := assertion(eq("entryCSN", csn))
		if err != nil {
			return zero, err
		}
		req.Controls = append(req.Controls, ctl)
		err = d.writeAt(ctx, e.DN, func(conn *ldap.Conn) error { return conn.Modify(req) })
		switch {
		case isCode(err, ldap.LDAPResultAssertionFailed):
			continue
		case isCode(err, ldap.LDAPResultNoSuchObject):
			return zero, fmt.Errorf("ldap: %s %s: %w", k.name, what, store.ErrNotFound)
		case err != nil:
			return zero, fmt.Errorf("ldap: modify %s: %w", e.DN, err)
		}
		return t, nil
	}
	return zero, fmt.Errorf("ldap: %s %s: concurrent updates: %w", k.name, what, store.ErrConflict)
}

// readHints keeps, for a few seconds, the last entry read of each object
// under ou=oauth (with its entryCSN), for updateByID. A stale hint costs
// one failed asserted modify and a read, never a lost update.
type readHints struct {
	mu sync.Mutex
	m  map[string]readHint
}

type readHint struct {
	e  *ldap.Entry
	at time.Time
}

const (
	hintTTL     = 10 * time.Second
	hintMaxSize = 10000
)

func (h *readHints) put(kind, id string, e *ldap.Entry) {
	if id == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil || len(h.m) >= hintMaxSize {
		h.m = map[string]readHint{}
	}
	h.m[kind+"\x00"+id] = readHint{e: e, at: time.Now()}
}

// take returns and forgets the hint of an object (nil when none is fresh).
func (h *readHints) take(kind, id string) *ldap.Entry {
	if id == "" {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	r, ok := h.m[kind+"\x00"+id]
	delete(h.m, kind+"\x00"+id)
	if !ok || time.Since(r.at) > hintTTL {
		return nil
	}
	return r.e
}

// del deletes the entry of dn; a missing entry gives store.ErrNotFound.
func (d *Directory) del(ctx context.Context, what, dn string) error {
	err := d.writeAt(ctx, dn, func(c *ldap.Conn) error { return c.Del(ldap.NewDelRequest(dn, nil)) })
	if isCode(err, ldap.LDAPResultNoSuchObject) {
		return fmt.Errorf("ldap: %s: %w", what, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("ldap: delete %s: %w", dn, err)
	}
	return nil
}

// ---- field constructors

func fString[T any](attr string, p func(*T) *string) field[T] {
	return field[T]{attr: attr,
		enc: func(_ *codec, t *T) []string {
			if v := *p(t); v != "" {
				return []string{v}
			}
			return nil
		},
		dec: func(_ *codec, t *T, vs []string) {
			if len(vs) > 0 {
				*p(t) = vs[0]
			}
		}}
}

func fList[T any](attr string, p func(*T) *[]string) field[T] {
	return field[T]{attr: attr,
		enc: func(_ *codec, t *T) []string { return slices.Clone(*p(t)) },
		dec: func(_ *codec, t *T, vs []string) {
			if len(vs) > 0 {
				*p(t) = slices.Clone(vs)
			}
		}}
}

func fBytes[T any](attr string, p func(*T) *[]byte) field[T] {
	return field[T]{attr: attr,
		enc: func(_ *codec, t *T) []string {
			if v := *p(t); len(v) > 0 {
				return []string{string(v)}
			}
			return nil
		},
		dec: func(_ *codec, t *T, vs []string) {
			if len(vs) > 0 {
				*p(t) = []byte(vs[0])
			}
		}}
}

func fTime[T any](attr string, p func(*T) *time.Time) field[T] {
	return field[T]{attr: attr,
		enc: func(_ *codec, t *T) []string {
			if v := formatTime(*p(t)); v != "" {
				return []string{v}
			}
			return nil
		},
		dec: func(_ *codec, t *T, vs []string) {
			if len(vs) > 0 {
				if v, err := schemas.ParseTime(vs[0]); err == nil {
					*p(t) = v
				}
			}
		}}
}

// fComputed is a write-only attribute computed from the object (expiry
// dates for DeleteExpired's filters).
func fComputed[T any](attr string, fn func(*T) string) field[T] {
	return field[T]{attr: attr,
		enc: func(_ *codec, t *T) []string {
			if v := fn(t); v != "" {
				return []string{v}
			}
			return nil
		},
		dec: func(*codec, *T, []string) {}}
}

func fInt[T any](attr string, p func(*T) *int) field[T] {
	return field[T]{attr: attr,
		enc: func(_ *codec, t *T) []string {
			if v := *p(t); v != 0 {
				return []string{strconv.Itoa(v)}
			}
			return nil
		},
		dec: func(_ *codec, t *T, vs []string) {
			if len(vs) > 0 {
				if v, err := strconv.Atoi(vs[0]); err == nil {
					*p(t) = v
				}
			}
		}}
}

// fSeconds keeps a duration as an integer number of seconds, as Python
// Canaille's lifetimes.
func fSeconds[T any](attr string, p func(*T) *time.Duration) field[T] {
	return field[T]{attr: attr,
		enc: func(_ *codec, t *T) []string {
			if v := *p(t); v != 0 {
				return []string{strconv.FormatInt(int64((v+time.Second-1)/time.Second), 10)}
			}
			return nil
		},
		dec: func(_ *codec, t *T, vs []string) {
			if len(vs) > 0 {
				if v, err := strconv.ParseInt(vs[0], 10, 64); err == nil {
					*p(t) = time.Duration(v) * time.Second
				}
			}
		}}
}

func fBool[T any](attr string, p func(*T) *bool) field[T] {
	return field[T]{attr: attr,
		enc: func(_ *codec, t *T) []string {
			if *p(t) {
				return []string{"TRUE"}
			}
			return nil
		},
		dec: func(_ *codec, t *T, vs []string) { *p(t) = len(vs) > 0 && strings.EqualFold(vs[0], "TRUE") }}
}

// fParams keeps a string map as name=value pairs, sorted by name.
func fParams[T any](attr string, p func(*T) *map[string]string) field[T] {
	return field[T]{attr: attr,
		enc: func(_ *codec, t *T) []string {
			m := *p(t)
			out := make([]string, 0, len(m))
			for k, v := range m {
				out = append(out, k+"="+v)
			}
			slices.Sort(out)
			return out
		},
		dec: func(_ *codec, t *T, vs []string) {
			if len(vs) == 0 {
				return
			}
			m := make(map[string]string, len(vs))
			for _, v := range vs {
				k, val, _ := strings.Cut(v, "=")
				m[k] = val
			}
			*p(t) = m
		}}
}

// fUser keeps a user ID as the DN of the user's entry.
func fUser[T any](attr string, p func(*T) *string) field[T] {
	return field[T]{attr: attr,
		enc: func(c *codec, t *T) []string {
			id := *p(t)
			if id == "" {
				return nil
			}
			dn, err := c.d.refs.userDN(c.ctx, c.d, id)
			if err != nil {
				c.fail(err)
				return nil
			}
			return []string{dn}
		},
		dec: func(c *codec, t *T, vs []string) {
			if len(vs) == 0 {
				return
			}
			id, err := c.d.refs.userID(c.ctx, c.d, vs[0])
			if err != nil {
				c.fail(err)
			}
			*p(t) = id
		}}
}

// fClient keeps a client ID as the DN of the client's entry.
func fClient[T any](attr string, p func(*T) *string) field[T] {
	return field[T]{attr: attr,
		enc: func(c *codec, t *T) []string {
			if id := *p(t); id != "" {
				return []string{c.d.clientDN(id)}
			}
			return nil
		},
		dec: func(_ *codec, t *T, vs []string) {
			if len(vs) > 0 {
				*p(t) = clientIDOf(vs[0])
			}
		}}
}

// fClients keeps client IDs as DNs.
func fClients[T any](attr string, p func(*T) *[]string) field[T] {
	return field[T]{attr: attr,
		enc: func(c *codec, t *T) []string {
			var out []string
			for _, id := range *p(t) {
				out = append(out, c.d.clientDN(id))
			}
			return out
		},
		dec: func(_ *codec, t *T, vs []string) {
			var out []string
			for _, v := range vs {
				out = append(out, clientIDOf(v))
			}
			*p(t) = out
		}}
}

// formatTime is a GeneralizedTime in UTC with the fraction of a second
// when there is one (slapd keeps it, and orders by it).
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if t.Nanosecond() == 0 {
		return schemas.FormatTime(t)
	}
	if s := schemas.FormatTime(t); s == "" {
		return ""
	}
	return t.UTC().Format("20060102150405.999999999Z")
}

// clientDN is the DN of a client's entry.
func (d *Directory) clientDN(id string) string {
	return "oauthClientID=" + ldap.EscapeDN(id) + "," + schemas.ClientsBranch + "," + d.cfg.RootDN
}

// clientIDOf returns the oauthClientID of a client DN (its first RDN), or
// the value itself when it is not a DN.
func clientIDOf(dn string) string {
	if v, ok := rdnOf(dn, "oauthClientID"); ok {
		return v
	}
	return dn
}

// ---- user references

// refCache maps user IDs (entryUUID) to DNs and back, so that reading a
// session or a token does not cost one more search to name its user. An
// entry's entryUUID never changes; its DN changes when the user is renamed
// (this process forgets the old DN then; other nodes within refTTL) or
// deleted.
type refCache struct {
	mu   sync.Mutex
	byID map[string]refEntry
	byDN map[string]refEntry
}

type refEntry struct {
	id, dn string
	at     time.Time
}

const (
	refTTL     = time.Minute
	refMaxSize = 100000
)

func (r *refCache) put(id, dn string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID == nil || len(r.byID) >= refMaxSize {
		r.byID, r.byDN = map[string]refEntry{}, map[string]refEntry{}
	}
	e := refEntry{id: id, dn: dn, at: time.Now()}
	r.byID[id], r.byDN[dnKey(dn)] = e, e
}

func (r *refCache) forget(id, dn string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.byID, id)
	delete(r.byDN, dnKey(dn))
}

func (r *refCache) get(m func() map[string]refEntry, key string) (refEntry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := m()[key]
	if !ok || time.Since(e.at) > refTTL {
		return refEntry{}, false
	}
	return e, true
}

// userDN returns the DN of the user with this ID; an unknown user is
// store.ErrNotFound.
func (r *refCache) userDN(ctx context.Context, d *Directory, id string) (string, error) {
	if e, ok := r.get(func() map[string]refEntry { return r.byID }, id); ok {
		return e.dn, nil
	}
	uuid := schemas.CanonicalUUID(id)
	if uuid != "" {
		es, err := d.search(ctx, d.cfg.UserBase, ldap.ScopeWholeSubtree, d.userFilter(eq("entryUUID", uuid)), []string{"entryUUID"})
		if err != nil {
			return "", err
		}
		if len(es) > 0 {
			r.put(id, es[0].DN)
			return es[0].DN, nil
		}
	}
	return "", fmt.Errorf("ldap: user %q: %w", id, store.ErrNotFound)
}

// userID returns the ID of the user whose entry is dn; a DN naming no
// entry (a user removed behind canaille's back) gives "".
func (r *refCache) userID(ctx context.Context, d *Directory, dn string) (string, error) {
	if e, ok := r.get(func() map[string]refEntry { return r.byDN }, dnKey(dn)); ok {
		return e.id, nil
	}
	es, err := d.search(ctx, dn, ldap.ScopeBaseObject, "(objectClass=*)", []string{"entryUUID"})
	if err != nil {
		return "", err
	}
	if len(es) == 0 {
		return "", nil
	}
	id := schemas.CanonicalUUID(es[0].GetAttributeValue("entryUUID"))
	if id != "" {
		r.put(id, es[0].DN)
	}
	return id, nil
}

// errRequired is a validation error of a required field.
func errRequired(field string) error {
	return store.ValidationErrors{{Field: field, Reason: "is required"}}
}

func errPositive(field string) error {
	return store.ValidationErrors{{Field: field, Reason: "must be positive"}}
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
