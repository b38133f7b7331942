package ldap

import (
	"context"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
)

// DeleteExpired implements store.OIDCStore. Codes, tokens, sessions,
// tickets and JWT IDs carry canailleExpiryDate; the search filters on it
// (canailleExpiryDate<=now), plus, for codes and tokens written by Python
// Canaille without it, on its absence, in which case the expiry is
// computed from the issue date and lifetime here.
func (d *Directory) DeleteExpired(ctx context.Context, now time.Time) (store.CleanReport, error) {
	var r store.CleanReport
	lim := formatTime(now.UTC())
	expired := "(canailleExpiryDate<=" + ldap.EscapeFilter(lim) + ")"
	orLegacy := "(|" + expired + "(!(canailleExpiryDate=*)))"
	dead := func(t time.Time) bool { return !t.After(now) }
	c := &codec{ctx: ctx, d: d}

	es, err := codeKind.find(ctx, d, orLegacy)
	if err != nil {
		return r, err
	}
	for _, e := range es {
		exp, err := parseTime(e.GetAttributeValue("canailleExpiryDate"))
		if err != nil {
			code := codeKind.decode(c, e)
			exp = code.ExpiresAt()
		}
		if dead(exp) && d.delCounted(ctx, e.DN) {
			r.AuthorizationCodes++
		}
	}
	es, err = tokenKind.find(ctx, d, orLegacy)
	if err != nil {
		return r, err
	}
	for _, e := range es {
		exp, err := parseTime(e.GetAttributeValue("canailleExpiryDate"))
		if err != nil {
			t := tokenKind.decode(c, e)
			exp = tokenEnd(&t)
		}
		if dead(exp) && d.delCounted(ctx, e.DN) {
			r.Tokens++
		}
	}
	for _, k := range []struct {
		base string
		n    *int
	}{{sessionKind.base(d), &r.Sessions}, {ticketKind.base(d), &r.Tickets}, {d.jtiBase(), &r.JTIs}} {
		es, err := d.search(ctx, k.base, ldap.ScopeSingleLevel, expired, []string{"canailleExpiryDate"})
		if err != nil {
			return r, err
		}
		for _, e := range es {
			t, err := parseTime(e.GetAttributeValue("canailleExpiryDate"))
			if err == nil && dead(t) && d.delCounted(ctx, e.DN) {
				*k.n++
			}
		}
	}
	return r, nil
}

// delCounted deletes dn and reports whether this call removed it.
func (d *Directory) delCounted(ctx context.Context, dn string) bool {
	return d.del(ctx, dn, dn) == nil
}

func (d *Directory) jtiBase() string { return schemas.JWTIDsBranch + "," + d.cfg.RootDN }

func parseTime(s string) (time.Time, error) { return schemas.ParseTime(s) }
