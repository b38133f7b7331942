package ldap

import (
	"context"
	"fmt"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/store"
)

// Authenticate checks a password by binding as the user, with the
// password policy request control, on a connection that carries nothing
// but user binds; userPassword is never read for this. The user's entry
// (its DN, attributes and, from memberOf, its groups) comes from the read
// cache when the sign-in form has just looked the user up, so that a warm
// sign-in costs one LDAP request, the bind; otherwise one search more (two
// without the memberof overlay, the groups being searched after the bind).
// A refused bind of a cached entry is followed by a fresh search, and by a
// second bind only when the entry's DN has changed meanwhile (renamed by
// another node), so that a wrong password is never counted twice by
// ppolicy.
//
// Locks are the server's: ppolicy refuses every bind of an account whose
// pwdEndTime has passed (or that its lockout locked), whatever the
// password, and says so in the response control. A right password cannot
// be told from a wrong one then (Compare does not verify hashes, and
// userPassword is not read), so a locked account gives ErrLocked for any
// password, as Python Canaille reports it; the server tells any LDAP client
// as much.
//
// Failed attempts are recorded by ppolicy itself in pwdFailureTime when the
// policy records failures (pwdMaxRecordedFailure or pwdMaxFailure above
// 0); without ppolicy nothing is recorded. A failure empties the read
// cache, so that the next read shows them.
func (d *Directory) Authenticate(ctx context.Context, userName, password string) (store.User, error) {
	bad := fmt.Errorf("ldap: authenticate %q: %w", userName, store.ErrInvalidCredentials)
	if userName == "" || password == "" {
		return store.User{}, bad
	}
	gen := d.cache.generation()
	r, cached := d.cache.user(userNameKey(userName))
	if !cached {
		rs, err := d.findUsers(ctx, eq("uid", userName), nil)
		if err != nil {
			return store.User{}, err
		}
		if len(rs) != 1 {
			d.decoyBind(ctx, password)
			return store.User{}, bad
		}
		r = rs[0]
	}
	var controls []ldap.Control
	if d.features.PPolicy {
		controls = append(controls, ldap.NewControlBeheraPasswordPolicy())
	}
	res, err := d.users.bind(ctx, r.dn, password, controls)
	if err != nil {
		d.cache.invalidate() // ppolicy may have recorded a failure
	}
	if cached && isCode(err, ldap.LDAPResultInvalidCredentials) {
		rs, ferr := d.findUsers(ctx, eq("uid", userName), nil)
		if ferr != nil {
			return store.User{}, ferr
		}
		if len(rs) != 1 {
			return store.User{}, bad
		}
		moved := dnKey(rs[0].dn) != dnKey(r.dn)
		r, cached = rs[0], false
		if moved {
			res, err = d.users.bind(ctx, r.dn, password, controls)
		}
	}
	if err == nil {
		u := r.user
		if len(u.PasswordFailureTimestamps) > 0 {
			d.cache.invalidate() // ppolicy cleared them
		}
		u.PasswordFailureTimestamps = nil
		if !cached {
			if u.Groups, err = d.groupsOf(ctx, r); err != nil {
				return store.User{}, err
			}
			r.user.Groups = u.Groups
			d.cache.putUser(gen, r)
		}
		return u, nil
	}
	if !isCode(err, ldap.LDAPResultInvalidCredentials) {
		return store.User{}, fmt.Errorf("ldap: authenticate %q: %w", userName, err)
	}
	locked := r.user.Locked(time.Now())
	if res != nil {
		for _, c := range res.Controls {
			if pp, ok := c.(*ldap.ControlBeheraPasswordPolicy); ok && pp.Error == 1 { // accountLocked
				locked = true
			}
		}
	}
	if locked {
		return store.User{}, fmt.Errorf("ldap: authenticate %q: %w", userName, store.ErrLocked)
	}
	return store.User{}, bad
}

// decoyBind spends on an unknown user name the bind a known one costs, so
// that the time of a refused sign-in does not tell whether the account
// exists: it binds, with the password given, as an entry that cannot exist
// (its RDN value is not a valid user name), and ignores the answer.
func (d *Directory) decoyBind(ctx context.Context, password string) {
	dn := d.cfg.UserRDN + "=" + ldap.EscapeDN("\x00no such user") + "," + d.cfg.UserBase
	_, _ = d.users.bind(ctx, dn, password, nil)
}
