package bolt

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	bbolt "go.etcd.io/bbolt"

	"github.com/canaille-go/canaille/store"
)

// Groups are stored without their members and owners: those live in the
// membership indexes, both directions, whose values carry the other side's
// name so that listings need no extra reads.

func putGroup(w *wtx, g *store.Group) error {
	rec := *g
	rec.Members, rec.Owners = nil, nil
	raw, err := encode(rec)
	if err != nil {
		return fmt.Errorf("bolt: encode group: %w", err)
	}
	return w.put(bGroups, []byte(g.ID), raw)
}

func loadGroup(tx *bbolt.Tx, id string) (store.Group, error) {
	raw := tx.Bucket(bGroups).Get([]byte(id))
	if raw == nil {
		return store.Group{}, fmt.Errorf("bolt: group %q: %w", id, store.ErrNotFound)
	}
	var g store.Group
	if err := decode(raw, &g); err != nil {
		return store.Group{}, fmt.Errorf("bolt: group %q: %w", id, err)
	}
	return g, nil
}

func getGroup(tx *bbolt.Tx, id string) (store.Group, error) {
	g, err := loadGroup(tx, id)
	if err != nil {
		return g, err
	}
	g.Members = refs(tx.Bucket(bMemberGU), id)
	g.Owners = refs(tx.Bucket(bOwnerGU), id)
	return g, nil
}

func (s *Store) getGroupBy(ctx context.Context, index, key []byte, what string) (store.Group, error) {
	var g store.Group
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		id := tx.Bucket(index).Get(key)
		if id == nil {
			return fmt.Errorf("bolt: group with %s: %w", what, store.ErrNotFound)
		}
		var err error
		g, err = getGroup(tx, string(id))
		return err
	})
	return g, err
}

// GetGroup implements store.Directory.
func (s *Store) GetGroup(ctx context.Context, id string) (store.Group, error) {
	var g store.Group
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		g, err = getGroup(tx, id)
		return err
	})
	return g, err
}

// GetGroupByName implements store.Directory.
func (s *Store) GetGroupByName(ctx context.Context, name string) (store.Group, error) {
	return s.getGroupBy(ctx, bGroupName, []byte(strings.ToLower(name)), fmt.Sprintf("name %q", name))
}

// GetGroupByGIDNumber implements store.Directory.
func (s *Store) GetGroupByGIDNumber(ctx context.Context, gid uint32) (store.Group, error) {
	return s.getGroupBy(ctx, bGroupGID, be32(gid), fmt.Sprintf("gid number %d", gid))
}

// ListGroups implements store.Directory.
func (s *Store) ListGroups(ctx context.Context, q store.GroupQuery) ([]store.Group, error) {
	var out []store.Group
	search := strings.ToLower(q.Search)
	after := strings.ToLower(q.After)
	keep := func(g *store.Group) bool {
		if after != "" && strings.ToLower(g.DisplayName) <= after {
			return false
		}
		if search != "" && !strings.Contains(strings.ToLower(g.DisplayName), search) &&
			!strings.Contains(strings.ToLower(g.Description), search) {
			return false
		}
		return true
	}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if q.MemberID != "" || q.OwnerID != "" {
			// A user's groups: few, read them all then sort.
			var ids []string
			if q.MemberID != "" {
				ids = seconds(tx.Bucket(bMemberUG), q.MemberID)
			}
			if q.OwnerID != "" {
				owned := seconds(tx.Bucket(bOwnerUG), q.OwnerID)
				if q.MemberID != "" {
					ids = slices.DeleteFunc(ids, func(id string) bool { return !slices.Contains(owned, id) })
				} else {
					ids = owned
				}
			}
			for _, id := range ids {
				g, err := getGroup(tx, id)
				if err != nil {
					return err
				}
				if keep(&g) {
					out = append(out, g)
				}
			}
			slices.SortFunc(out, func(a, b store.Group) int {
				return cmp.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName))
			})
			if q.Limit > 0 && len(out) > q.Limit {
				out = out[:q.Limit]
			}
			return nil
		}
		c := tx.Bucket(bGroupName).Cursor()
		k, id := c.First()
		if after != "" {
			k, id = c.Seek([]byte(after))
		}
		for ; k != nil; k, id = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			g, err := getGroup(tx, string(id))
			if err != nil {
				return err
			}
			if !keep(&g) {
				continue
			}
			out = append(out, g)
			if q.Limit > 0 && len(out) >= q.Limit {
				break
			}
		}
		return nil
	})
	return out, err
}

// CountGroups implements store.Directory.
func (s *Store) CountGroups(ctx context.Context) (int, error) {
	return s.count(ctx, bGroupName)
}

func (s *Store) prepareGroup(g *store.Group) error {
	g.Normalize()
	return g.Validate()
}

// CreateGroup implements store.DirectoryWriter.
func (s *Store) CreateGroup(ctx context.Context, g store.Group) (store.Group, error) {
	g = g.Clone()
	now := s.now().UTC()
	if g.ID == "" {
		g.ID = store.NewID()
	}
	if g.Created.IsZero() {
		g.Created = now
	}
	g.LastModified = now
	if err := s.prepareGroup(&g); err != nil {
		return store.Group{}, fmt.Errorf("bolt: create group: %w", err)
	}
	var out store.Group
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if err := s.insertGroup(direct(tx), &g); err != nil {
			return err
		}
		var err error
		out, err = getGroup(tx, g.ID)
		return err
	})
	return out, err
}

func (s *Store) insertGroup(w *wtx, g *store.Group) error {
	if w.get(bGroups, []byte(g.ID)) != nil {
		return fmt.Errorf("bolt: group id %q: %w", g.ID, store.ErrExists)
	}
	name := []byte(strings.ToLower(g.DisplayName))
	if w.get(bGroupName, name) != nil {
		return fmt.Errorf("bolt: group name %q: %w", g.DisplayName, store.ErrExists)
	}
	if err := s.setGID(w, g, 0); err != nil {
		return err
	}
	if err := w.put(bGroupName, name, []byte(g.ID)); err != nil {
		return err
	}
	if err := setRefs(w, bMemberUG, bMemberGU, g.ID, g.DisplayName, g.Members); err != nil {
		return err
	}
	if err := setRefs(w, bOwnerUG, bOwnerGU, g.ID, g.DisplayName, g.Owners); err != nil {
		return err
	}
	return putGroup(w, g)
}

func (s *Store) setGID(w *wtx, g *store.Group, old uint32) error {
	if g.GIDNumber == 0 {
		n, err := s.allocate(w, keyNextGID, s.cfg.POSIX.GIDMin, s.cfg.POSIX.GIDMax)
		if err != nil {
			return err
		}
		g.GIDNumber = n
	} else if g.GIDNumber != old && w.get(bGroupGID, be32(g.GIDNumber)) != nil {
		return fmt.Errorf("bolt: gid number %d: %w", g.GIDNumber, store.ErrExists)
	}
	if old != 0 && old != g.GIDNumber {
		if err := w.del(bGroupGID, be32(old)); err != nil {
			return err
		}
	}
	return w.put(bGroupGID, be32(g.GIDNumber), []byte(g.ID))
}

// setRefs makes the users of want exactly the members (or owners) of the
// group in the two indexes ug and gu.
func setRefs(w *wtx, ug, gu []byte, groupID, groupName string, want []store.Ref) error {
	old := w.seconds(gu, groupID)
	wantIDs := store.RefIDs(want)
	for _, id := range old {
		if !slices.Contains(wantIDs, id) {
			if err := deletePair(w, ug, gu, id, groupID); err != nil {
				return err
			}
		}
	}
	for _, id := range wantIDs {
		if slices.Contains(old, id) {
			continue
		}
		if err := addPair(w, ug, gu, id, groupID, groupName); err != nil {
			return err
		}
	}
	return nil
}

// addPair records a membership (or ownership) in both directions; the user
// must exist.
func addPair(w *wtx, ug, gu []byte, userID, groupID, groupName string) error {
	u, err := loadUserW(w, userID)
	if err != nil {
		return fmt.Errorf("bolt: member %q: %w", userID, store.ErrNotFound)
	}
	if err := w.put(ug, pair(userID, groupID), []byte(groupName)); err != nil {
		return err
	}
	return w.put(gu, pair(groupID, userID), []byte(u.UserName))
}

// UpdateGroup implements store.DirectoryWriter. fn runs inside the write
// transaction and must not call the store.
func (s *Store) UpdateGroup(ctx context.Context, id string, fn func(*store.Group) error) (store.Group, error) {
	var out store.Group
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		old, err := getGroup(tx, id)
		if err != nil {
			return err
		}
		ng := old.Clone()
		if err := fn(&ng); err != nil {
			return err
		}
		ng.ID, ng.Created = old.ID, old.Created
		if err := s.prepareGroup(&ng); err != nil {
			return fmt.Errorf("bolt: update group %q: %w", old.DisplayName, err)
		}
		ng.LastModified = s.now().UTC()
		names := tx.Bucket(bGroupName)
		oldKey, newKey := strings.ToLower(old.DisplayName), strings.ToLower(ng.DisplayName)
		if oldKey != newKey && names.Get([]byte(newKey)) != nil {
			return fmt.Errorf("bolt: group name %q: %w", ng.DisplayName, store.ErrExists)
		}
		if err := s.setGID(direct(tx), &ng, old.GIDNumber); err != nil {
			return err
		}
		if oldKey != newKey {
			if err := names.Delete([]byte(oldKey)); err != nil {
				return err
			}
			if err := names.Put([]byte(newKey), []byte(ng.ID)); err != nil {
				return err
			}
		}
		if err := setRefs(direct(tx), bMemberUG, bMemberGU, ng.ID, ng.DisplayName, ng.Members); err != nil {
			return err
		}
		if err := setRefs(direct(tx), bOwnerUG, bOwnerGU, ng.ID, ng.DisplayName, ng.Owners); err != nil {
			return err
		}
		if old.DisplayName != ng.DisplayName {
			for _, p := range [][2][]byte{{bMemberUG, bMemberGU}, {bOwnerUG, bOwnerGU}} {
				for _, uid := range seconds(tx.Bucket(p[1]), ng.ID) {
					if err := tx.Bucket(p[0]).Put(pair(uid, ng.ID), []byte(ng.DisplayName)); err != nil {
						return err
					}
				}
			}
		}
		if err := putGroup(direct(tx), &ng); err != nil {
			return err
		}
		out, err = getGroup(tx, ng.ID)
		return err
	})
	return out, err
}

// DeleteGroup implements store.DirectoryWriter.
func (s *Store) DeleteGroup(ctx context.Context, id string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		g, err := loadGroup(tx, id)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bGroupName).Delete([]byte(strings.ToLower(g.DisplayName))); err != nil {
			return err
		}
		if err := tx.Bucket(bGroupGID).Delete(be32(g.GIDNumber)); err != nil {
			return err
		}
		if err := setRefs(direct(tx), bMemberUG, bMemberGU, id, g.DisplayName, nil); err != nil {
			return err
		}
		if err := setRefs(direct(tx), bOwnerUG, bOwnerGU, id, g.DisplayName, nil); err != nil {
			return err
		}
		return tx.Bucket(bGroups).Delete([]byte(id))
	})
}

// AddMember implements store.DirectoryWriter.
func (s *Store) AddMember(ctx context.Context, groupID, userID string) error {
	return s.changeMember(ctx, groupID, userID, true)
}

// RemoveMember implements store.DirectoryWriter.
func (s *Store) RemoveMember(ctx context.Context, groupID, userID string) error {
	return s.changeMember(ctx, groupID, userID, false)
}

func (s *Store) changeMember(ctx context.Context, groupID, userID string, add bool) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		g, err := loadGroup(tx, groupID)
		if err != nil {
			return err
		}
		if _, err := loadUser(tx, userID); err != nil {
			return err
		}
		present := tx.Bucket(bMemberGU).Get(pair(groupID, userID)) != nil
		switch {
		case add && !present:
			err = addPair(direct(tx), bMemberUG, bMemberGU, userID, groupID, g.DisplayName)
		case !add && present:
			err = deletePair(direct(tx), bMemberUG, bMemberGU, userID, groupID)
		default:
			return nil
		}
		if err != nil {
			return err
		}
		g.LastModified = s.now().UTC()
		return putGroup(direct(tx), &g)
	})
}
