package bolt

import (
	"context"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/canaille-go/canaille/store"
)

// Import implements store.Importer: every user and group is checked and
// written in one transaction, so that a single bad record leaves the
// database unchanged. Users must carry their IDs when groups refer to
// them.
func (s *Store) Import(ctx context.Context, users []store.User, groups []store.Group) error {
	now := s.now().UTC()
	us := make([]store.User, len(users))
	for i, u := range users {
		u = u.Clone()
		if u.ID == "" {
			u.ID = store.NewID()
		}
		if u.Created.IsZero() {
			u.Created = now
		}
		if u.LastModified.IsZero() {
			u.LastModified = now
		}
		if u.PasswordHash != "" && u.PasswordLastUpdate.IsZero() {
			u.PasswordLastUpdate = now
		}
		u.Groups, u.HasPhoto = nil, false
		if err := s.prepareUser(&u); err != nil {
			return fmt.Errorf("bolt: import user %q: %w", u.UserName, err)
		}
		us[i] = u
	}
	gs := make([]store.Group, len(groups))
	for i, g := range groups {
		g = g.Clone()
		if g.ID == "" {
			g.ID = store.NewID()
		}
		if g.Created.IsZero() {
			g.Created = now
		}
		if g.LastModified.IsZero() {
			g.LastModified = now
		}
		if err := s.prepareGroup(&g); err != nil {
			return fmt.Errorf("bolt: import group %q: %w", g.DisplayName, err)
		}
		gs[i] = g
	}
	return s.update(ctx, func(tx *bbolt.Tx) error {
		w := buffered(tx)
		for i := range us {
			if i%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := s.insertUser(w, &us[i]); err != nil {
				return fmt.Errorf("bolt: import user %q: %w", us[i].UserName, err)
			}
		}
		for i := range gs {
			if err := s.insertGroup(w, &gs[i]); err != nil {
				return fmt.Errorf("bolt: import group %q: %w", gs[i].DisplayName, err)
			}
		}
		return w.flush()
	})
}
