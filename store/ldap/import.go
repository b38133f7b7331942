package ldap

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
)

// Import adds users then groups. LDAP has no multi-entry transaction that
// go-ldap speaks, so all-or-nothing is obtained by checking the whole batch
// first (validity, duplicates inside the batch and against the directory,
// references) and, if an add still fails, deleting the entries added so far.
// Users need IDs (they become entryUUIDs, written with the Relax Rules
// control); imported password hashes are written as they are and must be of
// a scheme slapd verifies ({SSHA}, {CRYPT}…, {SSHA512} with pw-sha2,
// {ARGON2} with the argon2 module).
func (d *Directory) Import(ctx context.Context, users []store.User, groups []store.Group) error {
	d.allocMu.Lock()
	defer d.allocMu.Unlock()
	us := make([]store.User, len(users))
	seen := map[string]bool{}
	batch := map[string]userRecord{}
	for i := range users {
		u := users[i].Clone()
		u.Groups, u.HasPhoto = nil, false
		if err := d.checkUser(&u); err != nil {
			return fmt.Errorf("ldap: import user %q: %w", u.UserName, err)
		}
		if u.ID == "" {
			return fmt.Errorf("ldap: import user %q: %w", u.UserName,
				store.ValidationErrors{{Field: "id", Reason: "required in an import"}})
		}
		u.ID = schemas.CanonicalUUID(u.ID)
		keys := []string{"id:" + u.ID, "name:" + strings.ToLower(u.UserName)}
		for _, e := range u.Emails {
			keys = append(keys, "mail:"+strings.ToLower(e))
		}
		if u.UIDNumber != 0 {
			keys = append(keys, fmt.Sprintf("uid:%d", u.UIDNumber))
		}
		for _, k := range keys {
			if seen[k] {
				return fmt.Errorf("ldap: import user %q: %s twice in the batch: %w", u.UserName, k, store.ErrExists)
			}
			seen[k] = true
		}
		if err := d.conflicts(ctx, &u, ""); err != nil {
			return err
		}
		us[i] = u
	}
	// Allocate numbers for the batch without reusing one of it.
	reserved := map[uint32]bool{}
	for _, u := range us {
		if u.UIDNumber != 0 {
			reserved[u.UIDNumber] = true
		}
	}
	for i := range us {
		if us[i].UIDNumber == 0 {
			p := d.cfg.POSIX
			n, err := d.allocate(ctx, d.cfg.UserBase, d.userFilter("(uidNumber=*)"), "uidNumber", p.UIDMin, p.UIDMax, reserved)
			if err != nil {
				return err
			}
			us[i].UIDNumber, reserved[n] = n, true
		}
		if err := d.fillPOSIX(ctx, &us[i]); err != nil {
			return err
		}
		dn, _ := d.userEntry(&us[i])
		batch[us[i].ID] = userRecord{dn: dn, user: store.User{ID: us[i].ID, UserName: us[i].UserName}}
	}
	gs := make([]store.Group, len(groups))
	gseen := map[string]bool{}
	greserved := map[uint32]bool{}
	for i := range groups {
		g := groups[i].Clone()
		if err := d.checkGroup(&g); err != nil {
			return fmt.Errorf("ldap: import group %q: %w", g.DisplayName, err)
		}
		if g.ID != "" {
			g.ID = schemas.CanonicalUUID(g.ID)
		}
		for _, k := range []string{"id:" + g.ID, "name:" + strings.ToLower(g.DisplayName), fmt.Sprintf("gid:%d", g.GIDNumber)} {
			if k == "id:" || k == "gid:0" {
				continue
			}
			if gseen[k] {
				return fmt.Errorf("ldap: import group %q: %s twice in the batch: %w", g.DisplayName, k, store.ErrExists)
			}
			gseen[k] = true
		}
		if err := d.groupConflicts(ctx, &g, ""); err != nil {
			return err
		}
		if g.GIDNumber != 0 {
			greserved[g.GIDNumber] = true
		}
		gs[i] = g
	}
	// Resolve members: the batch's users, then stored ones.
	var stored []store.Ref
	for _, g := range gs {
		for _, r := range append(append([]store.Ref{}, g.Members...), g.Owners...) {
			if _, ok := batch[schemas.CanonicalUUID(r.ID)]; !ok {
				stored = append(stored, r)
			}
		}
	}
	known, err := d.resolveUsers(ctx, stored)
	if err != nil {
		return fmt.Errorf("ldap: import: %w", err)
	}
	for id, r := range batch {
		known[id] = r
	}
	for i := range gs {
		if gs[i].GIDNumber == 0 && d.features.PosixGroupAux {
			p := d.cfg.POSIX
			n, err := d.allocate(ctx, d.cfg.GroupBase, d.groupFilter("(gidNumber=*)"), "gidNumber", p.GIDMin, p.GIDMax, greserved)
			if err != nil {
				return err
			}
			gs[i].GIDNumber, greserved[n] = n, true
		}
	}
	// Write, undoing on failure.
	var added []string
	undo := func(cause error) error {
		for i := len(added) - 1; i >= 0; i-- {
			dn := added[i]
			if err := d.write(context.WithoutCancel(ctx), func(c *ldap.Conn) error { return c.Del(ldap.NewDelRequest(dn, nil)) }); err != nil {
				cause = errors.Join(cause, fmt.Errorf("ldap: import: undo %s: %w", dn, err))
			}
		}
		return cause
	}
	for i := range us {
		dn, err := d.addUser(ctx, &us[i])
		if err != nil {
			return undo(err)
		}
		added = append(added, dn)
	}
	for i := range gs {
		dn, err := d.addGroup(ctx, &gs[i], known)
		if err != nil {
			return undo(err)
		}
		added = append(added, dn)
	}
	return nil
}
