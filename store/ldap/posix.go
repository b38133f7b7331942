package ldap

import (
	"context"
	"fmt"
	"strconv"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/store"
)

// fillPOSIX allocates a zero uid number and fills the POSIX defaults.
//
// Allocation reads the numbers in use (one search) and takes the lowest
// free one of the range. The caller holds allocMu, so one canaille process
// never hands out a number twice; two nodes allocating at the same instant
// can, unless the directory enforces uniqueness (slapo-unique on uidNumber
// and gidNumber), in which case the add fails with a constraint violation
// and the caller may retry.
func (d *Directory) fillPOSIX(ctx context.Context, u *store.User) error {
	p := d.cfg.POSIX
	if u.UIDNumber == 0 {
		n, err := d.allocate(ctx, d.cfg.UserBase, d.userFilter("(uidNumber=*)"), "uidNumber", p.UIDMin, p.UIDMax, nil)
		if err != nil {
			return err
		}
		u.UIDNumber = n
	}
	if u.GIDNumber == 0 {
		u.GIDNumber = p.PrimaryGID
		if u.GIDNumber == 0 {
			u.GIDNumber = u.UIDNumber
		}
	}
	if u.HomeDirectory == "" {
		u.HomeDirectory = p.Home(u.UserName)
	}
	if u.LoginShell == "" {
		u.LoginShell = p.LoginShell
	}
	return nil
}

// allocate returns the lowest number of [lo, hi] that no entry under base
// matching filter holds in attr, nor reserved holds.
func (d *Directory) allocate(ctx context.Context, base, filter, attr string, lo, hi uint32, reserved map[uint32]bool) (uint32, error) {
	es, err := d.search(ctx, base, ldap.ScopeWholeSubtree, filter, []string{attr})
	if err != nil {
		return 0, err
	}
	used := make(map[uint32]bool, len(es)+len(reserved))
	for n := range reserved {
		used[n] = true
	}
	for _, e := range es {
		if n, err := strconv.ParseUint(e.GetAttributeValue(attr), 10, 32); err == nil {
			used[uint32(n)] = true
		}
	}
	for n := uint64(lo); n <= uint64(hi); n++ {
		if !used[uint32(n)] {
			return uint32(n), nil
		}
	}
	return 0, fmt.Errorf("ldap: no free %s in [%d, %d]: %w", attr, lo, hi, store.ErrExhausted)
}
