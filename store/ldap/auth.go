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
// but user binds; userPassword is never read for this. With a warm pool a
// sign-in costs three LDAP requests: the search for the user, the bind and
// the search for the user's groups.
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
// 0); without ppolicy nothing is recorded.
func (d *Directory) Authenticate(ctx context.Context, userName, password string) (store.User, error) {
	bad := fmt.Errorf("ldap: authenticate %q: %w", userName, store.ErrInvalidCredentials)
	if userName == "" || password == "" {
		return store.User{}, bad
	}
	rs, err := d.findUsers(ctx, eq("uid", userName), nil)
	if err != nil {
		return store.User{}, err
	}
	if len(rs) != 1 {
		return store.User{}, bad
	}
	r := rs[0]
	var controls []ldap.Control
	if d.features.PPolicy {
		controls = append(controls, ldap.NewControlBeheraPasswordPolicy())
	}
	res, err := d.users.bind(ctx, r.dn, password, controls)
	if err == nil {
		u := r.user
		u.PasswordFailureTimestamps = nil // ppolicy cleared them
		if u.Groups, err = d.userGroups(ctx, r.dn); err != nil {
			return store.User{}, err
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
