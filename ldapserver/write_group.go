package ldapserver

import (
	"context"
	"errors"
	"slices"

	"github.com/jimlambrt/gldap"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// Writes of group entries. Adding a group needs manage_all_groups or
// manage_own_groups (with the latter only, the creator becomes an owner of
// the new group); changing, deleting or renaming one needs
// manage_all_groups, or manage_own_groups and being one of its owners.
// Members are users, named by member or uniqueMember DNs or by memberUid
// user names; owners are users named by owner DNs. A value that names no
// user (a missing user, a group, a DN outside ou=users) gives
// constraintViolation; a value that is not a DN gives
// invalidAttributeSyntax.

// addGroup creates the group entry dn.
func (d *directory) addGroup(ctx context.Context, who identity, t target, dn string, attrs []gldap.Attribute) *writeError {
	all := who.rights.Can(acl.ManageAllGroups)
	if !all && !who.rights.Can(acl.ManageOwnGroups) {
		return failf(resultInsufficientAccessRights, "adding groups needs the manage_all_groups or manage_own_groups permission")
	}
	w, werr := groupRules.newEntry(dn, t.name, attrs)
	if werr != nil {
		return werr
	}
	imp, err := schemas.GroupFromEntry(w.entry())
	if err != nil {
		return attributeError(err)
	}
	g := imp.Group
	if _, err := d.store.GetGroupByName(ctx, g.DisplayName); err == nil {
		return failf(resultEntryAlreadyExists, "the group %s already exists", g.DisplayName)
	} else if !errors.Is(err, store.ErrNotFound) {
		return storeWriteError(schemas.GroupAttributes, err)
	}
	for _, ref := range []struct {
		attr string
		vals []string
		dst  *[]store.Ref
	}{{"member", imp.MemberDNs, &g.Members}, {"memberUid", imp.MemberUIDs, &g.Members}, {"owner", imp.OwnerDNs, &g.Owners}} {
		for _, v := range ref.vals {
			id, werr := d.userRef(ctx, ref.attr, v)
			if werr != nil {
				return werr
			}
			if !store.HasRef(*ref.dst, id) {
				*ref.dst = append(*ref.dst, store.Ref{ID: id})
			}
		}
	}
	if !all && !g.IsOwner(who.userID) {
		g.Owners = append(g.Owners, store.Ref{ID: who.userID})
	}
	if werr := validateGroup(g); werr != nil {
		return werr
	}
	if _, err := d.writer.CreateGroup(ctx, g); err != nil {
		return groupWriteError(err)
	}
	return nil
}

// validateGroup checks g as the store will.
func validateGroup(g store.Group) *writeError {
	g = g.Clone()
	return validateModel(schemas.GroupAttributes, func() error { g.Normalize(); return g.Validate() })
}

// groupWriteError maps the error of a group write: a member or owner that
// is gone meanwhile is a constraintViolation, not a missing group.
func groupWriteError(err error) *writeError {
	if errors.Is(err, store.ErrNotFound) {
		return failf(resultConstraintViolation, "a member or owner is not a user of this directory any more")
	}
	return storeWriteError(schemas.GroupAttributes, err)
}

// userRef resolves a member, uniqueMember or owner DN, or a memberUid
// user name, to the ID of an existing user.
func (d *directory) userRef(ctx context.Context, attr, v string) (string, *writeError) {
	name := v
	if attr != "memberUid" {
		t, err := d.resolve(v)
		switch {
		case err != nil:
			return "", failf(resultInvalidAttributeSyntax, "%s: value %q is not a DN", attr, v)
		case t.kind == tGroup:
			return "", failf(resultConstraintViolation, "%s: %s is a group: canaille groups hold users only", attr, v)
		case t.kind != tUser:
			return "", failf(resultConstraintViolation, "%s: %s is not a user of this directory", attr, v)
		}
		name = t.name
	}
	u, err := d.store.GetUserByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return "", failf(resultConstraintViolation, "%s: %s is not a user of this directory", attr, v)
	}
	if err != nil {
		return "", storeWriteError(schemas.GroupAttributes, err)
	}
	return u.ID, nil
}

// targetGroup reads the group a modify, delete or rename names, and checks
// that the requester may change it; a group the requester may neither see
// nor change is reported missing.
func (d *directory) targetGroup(ctx context.Context, who identity, t target, verb string) (store.Group, *writeError) {
	a := d.access(who)
	g, err := d.store.GetGroupByName(ctx, t.name)
	allowed := err == nil && (who.rights.Can(acl.ManageAllGroups) ||
		(who.rights.Can(acl.ManageOwnGroups) && g.IsOwner(who.userID)))
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && !a.canSeeGroup() && !allowed):
		return store.Group{}, &writeError{code: resultNoSuchObject, matched: d.matchedFor(a, t), diag: "no such group"}
	case err != nil:
		return store.Group{}, storeWriteError(schemas.GroupAttributes, err)
	case !allowed:
		return store.Group{}, failf(resultInsufficientAccessRights,
			"%s a group needs the manage_all_groups permission, or manage_own_groups and being one of its owners", verb)
	}
	return g, nil
}

// refChange is a change of the members or the owners of a group, by user
// ID: removals first, then additions.
type refChange struct {
	removed, added []string
}

// apply changes refs, keeping their order.
func (c refChange) apply(refs []store.Ref) []store.Ref {
	removed, added := keySet(c.removed), keySet(c.added)
	out := slices.DeleteFunc(slices.Clone(refs), func(r store.Ref) bool {
		return removed[r.ID] && !added[r.ID]
	})
	for _, id := range c.added {
		if !store.HasRef(out, id) {
			out = append(out, store.Ref{ID: id})
		}
	}
	return out
}

// refChanges resolves the values removed from and added to the attributes
// attrs (lower-case names) of w. Added values must name users; removed
// values that name nobody are ignored.
func (d *directory) refChanges(ctx context.Context, w *workEntry, attrs ...string) (refChange, *writeError) {
	var c refChange
	for _, lk := range attrs {
		a := w.attrs[lk]
		if !w.changed(lk) || a == nil {
			continue
		}
		name := a.at.Name()
		before := &workAttr{at: a.at, values: w.before[lk]}
		was, is := keySet(before.keys()), keySet(a.keys())
		for i, k := range before.keys() {
			if !is[k] {
				if id, werr := d.userRef(ctx, name, string(before.values[i])); werr == nil {
					c.removed = append(c.removed, id)
				}
			}
		}
		for i, k := range a.keys() {
			if !was[k] {
				id, werr := d.userRef(ctx, name, string(a.values[i]))
				if werr != nil {
					return c, werr
				}
				c.added = append(c.added, id)
			}
		}
	}
	return c, nil
}

// modifyGroup applies a ModifyRequest to a group entry. Members change by
// the values removed from and added to member, uniqueMember and
// memberUid, whichever the client writes.
func (d *directory) modifyGroup(ctx context.Context, who identity, t target, changes []change) *writeError {
	g, werr := d.targetGroup(ctx, who, t, "changing")
	if werr != nil {
		return werr
	}
	w, werr := groupRules.modifyEntry(d.groupEntry(&g), changes)
	if werr != nil {
		return werr
	}
	if w.changed("gidnumber") && len(w.values("gidnumber")) == 0 {
		return failf(resultConstraintViolation, "gidNumber cannot be removed: canaille gives every group one")
	}
	imp, err := schemas.GroupFromEntry(w.entry())
	if err != nil {
		return attributeError(err)
	}
	members, werr := d.refChanges(ctx, w, "member", "uniquemember", "memberuid")
	if werr != nil {
		return werr
	}
	owners, werr := d.refChanges(ctx, w, "owner")
	if werr != nil {
		return werr
	}
	description, gid := w.changed("description"), w.changed("gidnumber")
	update := func(x *store.Group) {
		if description {
			x.Description = imp.Group.Description
		}
		if gid {
			x.GIDNumber = imp.Group.GIDNumber
		}
		x.Members = members.apply(x.Members)
		x.Owners = owners.apply(x.Owners)
	}
	ng := g.Clone()
	update(&ng)
	if werr := validateGroup(ng); werr != nil {
		return werr
	}
	if !description && !gid && len(members.removed)+len(members.added)+len(owners.removed)+len(owners.added) == 0 {
		return nil
	}
	if _, err := d.writer.UpdateGroup(ctx, g.ID, func(x *store.Group) error { update(x); return nil }); err != nil {
		return groupWriteError(err)
	}
	return nil
}

// removeGroup deletes a group entry.
func (d *directory) removeGroup(ctx context.Context, who identity, t target) *writeError {
	g, werr := d.targetGroup(ctx, who, t, "deleting")
	if werr != nil {
		return werr
	}
	if err := d.writer.DeleteGroup(ctx, g.ID); err != nil {
		return storeWriteError(schemas.GroupAttributes, err)
	}
	return nil
}

// renameGroup gives a group a new name.
func (d *directory) renameGroup(ctx context.Context, who identity, t target, name string) *writeError {
	g, werr := d.targetGroup(ctx, who, t, "renaming")
	if werr != nil {
		return werr
	}
	if name == g.DisplayName {
		return nil
	}
	if r := store.ValidGroupName(name); r != "" {
		return failf(resultInvalidAttributeSyntax, "cn: %s", r)
	}
	if other, err := d.store.GetGroupByName(ctx, name); err == nil && other.ID != g.ID {
		return failf(resultEntryAlreadyExists, "the group %s already exists", other.DisplayName)
	}
	_, err := d.writer.UpdateGroup(ctx, g.ID, func(x *store.Group) error {
		x.DisplayName = name
		return nil
	})
	if errors.Is(err, store.ErrExists) {
		return failf(resultEntryAlreadyExists, "the group %s already exists", name)
	}
	if err != nil {
		return storeWriteError(schemas.GroupAttributes, err)
	}
	return nil
}
