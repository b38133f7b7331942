package ldap

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/ldif"
)

// Compile-time guards.
var (
	_ store.Store    = (*Directory)(nil)
	_ store.Importer = (*Directory)(nil)
)

// Features are what Open found in the directory's schema (cn=Subschema).
type Features struct {
	// MemberOf: the memberOf attribute exists (memberof overlay).
	MemberOf bool
	// PPolicy: the password policy attributes exist (ppolicy overlay):
	// lock dates (pwdEndTime), failure times and the bind response control.
	PPolicy bool
	// OTP: the oathHOTPToken class exists (otp overlay): the OTP fields of
	// users are kept.
	OTP bool
	// PosixGroupAux: posixGroup is an AUXILIARY class (rfc2307bis), so
	// groups are groupOfNames plus posixGroup and keep a gidNumber. With
	// the nis schema (posixGroup STRUCTURAL) groups have no gid number.
	PosixGroupAux bool
}

// Directory is the upstream OpenLDAP backend's users and groups. It is
// safe for concurrent use.
type Directory struct {
	cfg      Config
	pool     *pool
	users    *userConns
	features Features
	// allocMu serialises uid/gid allocation within this process.
	allocMu sync.Mutex
	// refs maps user IDs to DNs and back (oidcmap.go).
	refs refCache
	// retries counts the updates retried after an assertion failed.
	retries atomic.Int64
	// cache keeps users and clients briefly (cache.go).
	cache readCache
	// hints are the last entries read under ou=oauth (oidcmap.go).
	hints readHints
	// oauthKey and clientsKey are the dnKey of ou=oauth and of its clients.
	oauthKey, clientsKey string
}

// Open connects to the directory, binds as the service account and reads
// the schema to learn its features.
func Open(ctx context.Context, cfg Config) (*Directory, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p, err := newPool(cfg)
	if err != nil {
		return nil, err
	}
	d := &Directory{cfg: cfg, pool: p, users: &userConns{p: p}}
	d.cache.ttl = cfg.CacheTTL
	d.oauthKey = dnKey(schemas.OAuthBranch + "," + cfg.RootDN)
	d.clientsKey = dnKey(schemas.ClientsBranch + "," + cfg.RootDN)
	if err := d.detect(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("ldap: %s: %w", cfg.URI, err)
	}
	return d, nil
}

// Close closes the connections.
func (d *Directory) Close() error {
	d.pool.close()
	d.users.close()
	return nil
}

// Features returns what Open found in the directory.
func (d *Directory) Features() Features { return d.features }

// RoundTrips returns the number of LDAP requests sent so far (binds
// included), for tests and benchmarks.
func (d *Directory) RoundTrips() int64 { return d.pool.roundTrips.Load() }

// UpdateRetries returns how many optimistic updates were retried because the
// entry changed between their read and their write.
func (d *Directory) UpdateRetries() int64 { return d.retries.Load() }

// Dials returns the number of connections opened so far.
func (d *Directory) Dials() int64 { return d.pool.dials.Load() }

// detect reads cn=Subschema.
func (d *Directory) detect(ctx context.Context) error {
	var e *ldap.Entry
	err := d.pool.do(ctx, func(c *ldap.Conn) error {
		d.pool.countTrip()
		res, err := c.Search(ldap.NewSearchRequest("cn=Subschema", ldap.ScopeBaseObject, ldap.NeverDerefAliases,
			0, 0, false, "(objectClass=subschema)", []string{"objectClasses", "attributeTypes"}, nil))
		if err == nil && len(res.Entries) == 1 {
			e = res.Entries[0]
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("read the schema: %w", err)
	}
	if e == nil {
		return errors.New("read the schema: no cn=Subschema entry")
	}
	has := func(list []string, name string) (string, bool) {
		needle := "name '" + strings.ToLower(name) + "'"
		needle2 := "'" + strings.ToLower(name) + "'"
		for _, def := range list {
			l := strings.ToLower(def)
			if strings.Contains(l, needle) || (strings.Contains(l, "name (") && strings.Contains(l, needle2)) {
				return def, true
			}
		}
		return "", false
	}
	attrs, classes := e.GetAttributeValues("attributeTypes"), e.GetAttributeValues("objectClasses")
	_, d.features.MemberOf = has(attrs, "memberOf")
	_, d.features.PPolicy = has(attrs, "pwdEndTime")
	_, d.features.OTP = has(classes, schemas.OTPClass)
	if def, ok := has(classes, "posixGroup"); ok {
		d.features.PosixGroupAux = strings.Contains(def, " AUXILIARY")
	}
	return nil
}

// search runs one search on a service connection.
func (d *Directory) search(ctx context.Context, base string, scope int, filter string, attrs []string, controls ...ldap.Control) ([]*ldap.Entry, error) {
	var out []*ldap.Entry
	err := d.pool.do(ctx, func(c *ldap.Conn) error {
		d.pool.countTrip()
		res, err := c.Search(ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, 0, 0, false, filter, attrs, controls))
		if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			out = nil
			return nil
		}
		if err != nil {
			return err
		}
		out = res.Entries
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ldap: search %s: %w", base, err)
	}
	return out, nil
}

// write runs one write operation on a service connection. It empties the
// read cache (before and after the write, so that no read running
// meanwhile stores what the write changes).
func (d *Directory) write(ctx context.Context, fn func(c *ldap.Conn) error) error {
	d.cache.invalidate()
	defer d.cache.invalidate()
	return d.pool.do(ctx, func(c *ldap.Conn) error {
		d.pool.countTrip()
		return fn(c)
	})
}

// writeAt runs one write operation on the entry dn: a write under
// ou=oauth outside the clients (sessions, tickets, codes, tokens,
// consents, JWT IDs, keys, audit events) leaves the read cache alone,
// which never holds those.
func (d *Directory) writeAt(ctx context.Context, dn string, fn func(c *ldap.Conn) error) error {
	if !d.isOAuthState(dn) {
		return d.write(ctx, fn)
	}
	return d.pool.do(ctx, func(c *ldap.Conn) error {
		d.pool.countTrip()
		return fn(c)
	})
}

// isOAuthState reports a DN under ou=oauth but not under its clients.
func (d *Directory) isOAuthState(dn string) bool {
	k := dnKey(dn)
	return strings.HasSuffix(k, ","+d.oauthKey) && !strings.HasSuffix(k, ","+d.clientsKey)
}

// toLDIF converts a go-ldap entry to the form package schemas reads.
func toLDIF(e *ldap.Entry) *ldif.Entry {
	out := &ldif.Entry{DN: e.DN, Attributes: make([]ldif.Attribute, 0, len(e.Attributes))}
	for _, a := range e.Attributes {
		out.Attributes = append(out.Attributes, ldif.Attribute{Name: a.Name, Values: a.ByteValues})
	}
	return out
}

// dnKey is the comparison key of a DN.
func dnKey(dn string) string {
	k, err := schemas.NormalizeDN(dn)
	if err != nil {
		return strings.ToLower(dn)
	}
	return k
}

// and builds (&(f1)(f2)…).
func and(filters ...string) string {
	if len(filters) == 1 {
		return filters[0]
	}
	return "(&" + strings.Join(filters, "") + ")"
}

// eq builds an equality filter with the value escaped.
func eq(attr, value string) string { return "(" + attr + "=" + ldap.EscapeFilter(value) + ")" }

// relax is the Relax Rules control, which lets the bind DN (with the manage
// privilege) write entryUUID and the other NO-USER-MODIFICATION attributes.
var relax = ldap.NewControlString("1.3.6.1.4.1.4203.666.5.12", true, "")

// result codes of interest.
func isCode(err error, codes ...uint16) bool { return ldap.IsErrorAnyOf(err, codes...) }

func errorsIsNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func errorsIsExists(err error) bool { return errors.Is(err, store.ErrExists) }
