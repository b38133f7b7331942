package ldap

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/ldif"
)

// Empty groups. groupOfNames requires at least one member, and Python
// Canaille's directories use groupOfNames, so an empty group keeps its own
// DN as its only member value: the placeholder package schemas writes for
// exports and drops on reads. It is never reported as a member, and is
// removed as soon as a real member is added. (With the memberof overlay the
// group entry then carries its own DN in memberOf, which nothing reads.)

var groupAttrs = []string{"objectClass", "cn", "description", "gidNumber", "member", "memberUid", "uniqueMember",
	"owner", "entryUUID", "createTimestamp", "modifyTimestamp"}

type groupRecord struct {
	dn    string
	entry *ldif.Entry
	imp   schemas.GroupImport
}

// groupFilter selects group entries (GROUP_CLASS) and the extra filters.
func (d *Directory) groupFilter(extra ...string) string {
	return and(append([]string{eq("objectClass", d.cfg.GroupClass)}, extra...)...)
}

// findGroups returns the groups matching filter, members unresolved.
func (d *Directory) findGroups(ctx context.Context, filter string, attrs []string) ([]groupRecord, error) {
	if attrs == nil {
		attrs = groupAttrs
	}
	es, err := d.search(ctx, d.cfg.GroupBase, ldap.ScopeWholeSubtree, d.groupFilter(filter), attrs)
	if err != nil {
		return nil, err
	}
	out := make([]groupRecord, 0, len(es))
	for _, e := range es {
		le := toLDIF(e)
		imp, err := schemas.GroupFromEntry(le)
		if err != nil || imp.Group.ID == "" {
			continue
		}
		if !d.features.PosixGroupAux {
			imp.Group.GIDNumber = 0
		}
		out = append(out, groupRecord{dn: e.DN, entry: le, imp: imp})
	}
	return out, nil
}

// resolve fills the members and owners of groups from their DNs: one
// search for the users they name.
func (d *Directory) resolve(ctx context.Context, gs []groupRecord) error {
	want := map[string]bool{}
	for _, g := range gs {
		for _, dn := range append(slices.Clone(g.imp.MemberDNs), g.imp.OwnerDNs...) {
			want[dnKey(dn)] = true
		}
	}
	if len(want) == 0 {
		return nil
	}
	filter := ""
	if len(want) <= 100 {
		var b strings.Builder
		b.WriteString("(|")
		for _, g := range gs {
			for _, dn := range append(slices.Clone(g.imp.MemberDNs), g.imp.OwnerDNs...) {
				b.WriteString(d.dnFilter(dn))
			}
		}
		b.WriteString(")")
		filter = b.String()
	}
	es, err := d.search(ctx, d.cfg.UserBase, ldap.ScopeWholeSubtree, d.userFilter(filter), []string{"uid", "entryUUID"})
	if err != nil {
		return err
	}
	refs := make(map[string]store.Ref, len(es))
	for _, e := range es {
		if id := schemas.CanonicalUUID(e.GetAttributeValue("entryUUID")); id != "" {
			refs[dnKey(e.DN)] = store.Ref{ID: id, Name: e.GetAttributeValue("uid")}
		}
	}
	pick := func(dns []string) []store.Ref {
		var out []store.Ref
		for _, dn := range dns {
			if r, ok := refs[dnKey(dn)]; ok && !store.HasRef(out, r.ID) {
				out = append(out, r)
			}
		}
		sortRefs(out)
		return out
	}
	for i := range gs {
		gs[i].imp.Group.Members = pick(gs[i].imp.MemberDNs)
		gs[i].imp.Group.Owners = pick(gs[i].imp.OwnerDNs)
	}
	return nil
}

func sortRefs(rs []store.Ref) {
	slices.SortFunc(rs, func(a, b store.Ref) int {
		if c := compareFold(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// findGroup returns the one group matching filter, resolved.
func (d *Directory) findGroup(ctx context.Context, what, filter string) (groupRecord, error) {
	gs, err := d.findGroups(ctx, filter, nil)
	if err != nil {
		return groupRecord{}, err
	}
	if len(gs) == 0 {
		return groupRecord{}, fmt.Errorf("ldap: group %s: %w", what, store.ErrNotFound)
	}
	gs = gs[:1]
	if err := d.resolve(ctx, gs); err != nil {
		return groupRecord{}, err
	}
	return gs[0], nil
}

func (d *Directory) groupByID(ctx context.Context, id string) (groupRecord, error) {
	uuid := schemas.CanonicalUUID(id)
	if uuid == "" {
		return groupRecord{}, fmt.Errorf("ldap: group %q: %w", id, store.ErrNotFound)
	}
	return d.findGroup(ctx, strconv.Quote(id), eq("entryUUID", uuid))
}

// GetGroup finds a group by ID.
func (d *Directory) GetGroup(ctx context.Context, id string) (store.Group, error) {
	g, err := d.groupByID(ctx, id)
	return g.imp.Group, err
}

// GetGroupByName finds a group by display_name (cn, case-insensitively).
func (d *Directory) GetGroupByName(ctx context.Context, name string) (store.Group, error) {
	if name == "" {
		return store.Group{}, fmt.Errorf("ldap: group %q: %w", name, store.ErrNotFound)
	}
	g, err := d.findGroup(ctx, strconv.Quote(name), eq("cn", name))
	return g.imp.Group, err
}

// GetGroupByGIDNumber finds a group by gid number; without rfc2307bis
// groups have none.
func (d *Directory) GetGroupByGIDNumber(ctx context.Context, gid uint32) (store.Group, error) {
	what := fmt.Sprintf("with gid number %d", gid)
	if !d.features.PosixGroupAux {
		return store.Group{}, fmt.Errorf("ldap: group %s: %w", what, store.ErrNotFound)
	}
	g, err := d.findGroup(ctx, what, eq("gidNumber", strconv.FormatUint(uint64(gid), 10)))
	return g.imp.Group, err
}

// ListGroups returns groups sorted by display_name.
func (d *Directory) ListGroups(ctx context.Context, q store.GroupQuery) ([]store.Group, error) {
	var fs []string
	if f := searchFilter(q.Search, "cn", "description"); f != "" {
		fs = append(fs, f)
	}
	for _, ref := range []struct{ attr, id string }{{"member", q.MemberID}, {"owner", q.OwnerID}} {
		if ref.id == "" {
			continue
		}
		u, err := d.userByIDNoGroups(ctx, ref.id)
		if err != nil {
			return nil, nil // an unknown user belongs to no group
		}
		fs = append(fs, eq(ref.attr, u.dn))
	}
	gs, err := d.findGroups(ctx, strings.Join(fs, ""), nil)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(gs, func(a, b groupRecord) int { return compareFold(a.imp.Group.DisplayName, b.imp.Group.DisplayName) })
	if q.After != "" {
		i := 0
		for i < len(gs) && compareFold(gs[i].imp.Group.DisplayName, q.After) <= 0 {
			i++
		}
		gs = gs[i:]
	}
	if q.Limit > 0 && len(gs) > q.Limit {
		gs = gs[:q.Limit]
	}
	if err := d.resolve(ctx, gs); err != nil {
		return nil, err
	}
	out := make([]store.Group, len(gs))
	for i := range gs {
		out[i] = gs[i].imp.Group
	}
	return out, nil
}

// CountGroups counts the group entries.
func (d *Directory) CountGroups(ctx context.Context) (int, error) {
	es, err := d.search(ctx, d.cfg.GroupBase, ldap.ScopeWholeSubtree, d.groupFilter(), []string{"1.1"})
	return len(es), err
}

// userByIDNoGroups finds a user's entry without reading its groups.
func (d *Directory) userByIDNoGroups(ctx context.Context, id string) (userRecord, error) {
	uuid := schemas.CanonicalUUID(id)
	if uuid != "" {
		rs, err := d.findUsers(ctx, eq("entryUUID", uuid), nil)
		if err != nil {
			return userRecord{}, err
		}
		if len(rs) > 0 {
			return rs[0], nil
		}
	}
	return userRecord{}, fmt.Errorf("ldap: user %q: %w", id, store.ErrNotFound)
}

// userGroups returns the groups whose member values hold userDN.
func (d *Directory) userGroups(ctx context.Context, userDN string) ([]store.Ref, error) {
	es, err := d.search(ctx, d.cfg.GroupBase, ldap.ScopeWholeSubtree, d.groupFilter(eq("member", userDN)),
		[]string{"cn", "entryUUID"})
	if err != nil {
		return nil, err
	}
	var refs []store.Ref
	for _, e := range es {
		if id := schemas.CanonicalUUID(e.GetAttributeValue("entryUUID")); id != "" {
			refs = append(refs, store.Ref{ID: id, Name: e.GetAttributeValue("cn")})
		}
	}
	sortRefs(refs)
	return refs, nil
}

// groupsOf returns the groups of a user read with userAttrs: with the
// memberof overlay from its memberOf values, each group's ID and name
// coming from the read cache or, for the DNs it does not know, from one
// search; without the overlay from a search of the groups' member values.
func (d *Directory) groupsOf(ctx context.Context, r userRecord) ([]store.Ref, error) {
	if !d.features.MemberOf {
		return d.userGroups(ctx, r.dn)
	}
	var refs []store.Ref
	var missing []string
	for _, m := range r.entry.Strings("memberOf") {
		if g, ok := d.cache.group(dnKey(m)); !ok {
			missing = append(missing, m)
		} else if g.ok && !store.HasRef(refs, g.ref.ID) {
			refs = append(refs, g.ref)
		}
	}
	if len(missing) > 0 {
		gen := d.cache.generation()
		fs := make([]string, len(missing))
		for i, m := range missing {
			fs[i] = d.dnFilter(m)
		}
		es, err := d.search(ctx, d.cfg.GroupBase, ldap.ScopeWholeSubtree, d.groupFilter("(|"+strings.Join(fs, "")+")"),
			[]string{"cn", "entryUUID"})
		if err != nil {
			return nil, err
		}
		found := map[string]bool{}
		for _, e := range es {
			id := schemas.CanonicalUUID(e.GetAttributeValue("entryUUID"))
			if id == "" {
				continue
			}
			ref := store.Ref{ID: id, Name: e.GetAttributeValue("cn")}
			found[dnKey(e.DN)] = true
			d.cache.putGroup(gen, dnKey(e.DN), groupRef{ref: ref, ok: true})
			if !store.HasRef(refs, id) {
				refs = append(refs, ref)
			}
		}
		for _, m := range missing {
			if k := dnKey(m); !found[k] {
				d.cache.putGroup(gen, k, groupRef{}) // not a group under GROUP_BASE
			}
		}
	}
	sortRefs(refs)
	return refs, nil
}

// fillGroups sets the groups of many users with one search: with the
// memberof overlay from each user's memberOf values and the groups' names
// and IDs, without it from the groups' member values.
func (d *Directory) fillGroups(ctx context.Context, rs []userRecord) error {
	if len(rs) == 0 {
		return nil
	}
	attrs := []string{"cn", "entryUUID"}
	if !d.features.MemberOf {
		attrs = append(attrs, "member")
	}
	es, err := d.search(ctx, d.cfg.GroupBase, ldap.ScopeWholeSubtree, d.groupFilter(), attrs)
	if err != nil {
		return err
	}
	byGroup := map[string]store.Ref{}
	byUser := map[string][]store.Ref{}
	for _, e := range es {
		id := schemas.CanonicalUUID(e.GetAttributeValue("entryUUID"))
		if id == "" {
			continue
		}
		ref := store.Ref{ID: id, Name: e.GetAttributeValue("cn")}
		byGroup[dnKey(e.DN)] = ref
		for _, m := range e.GetAttributeValues("member") {
			k := dnKey(m)
			byUser[k] = append(byUser[k], ref)
		}
	}
	for i := range rs {
		var refs []store.Ref
		if d.features.MemberOf {
			for _, g := range rs[i].entry.Strings("memberOf") {
				if ref, ok := byGroup[dnKey(g)]; ok && !store.HasRef(refs, ref.ID) {
					refs = append(refs, ref)
				}
			}
		} else {
			refs = slices.Clone(byUser[dnKey(rs[i].dn)])
		}
		sortRefs(refs)
		rs[i].user.Groups = refs
	}
	return nil
}

// resolveUsers maps user IDs to their DNs and names; a missing user is
// ErrNotFound.
func (d *Directory) resolveUsers(ctx context.Context, refs ...[]store.Ref) (map[string]userRecord, error) {
	ids := map[string]bool{}
	var b strings.Builder
	b.WriteString("(|")
	for _, rs := range refs {
		for _, r := range rs {
			uuid := schemas.CanonicalUUID(r.ID)
			if uuid == "" {
				return nil, fmt.Errorf("ldap: user %q: %w", r.ID, store.ErrNotFound)
			}
			if !ids[uuid] {
				ids[uuid] = true
				b.WriteString(eq("entryUUID", uuid))
			}
		}
	}
	b.WriteString(")")
	out := map[string]userRecord{}
	if len(ids) == 0 {
		return out, nil
	}
	es, err := d.search(ctx, d.cfg.UserBase, ldap.ScopeWholeSubtree, d.userFilter(b.String()), []string{"uid", "entryUUID"})
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		id := schemas.CanonicalUUID(e.GetAttributeValue("entryUUID"))
		out[id] = userRecord{dn: e.DN, user: store.User{ID: id, UserName: e.GetAttributeValue("uid")}}
	}
	for id := range ids {
		if _, ok := out[id]; !ok {
			return nil, fmt.Errorf("ldap: user %q: %w", id, store.ErrNotFound)
		}
	}
	return out, nil
}

// groupEntry builds the DN and attributes of g, with members and owners
// resolved by users.
func (d *Directory) groupEntry(g *store.Group, users map[string]userRecord) (string, []ldif.Attribute) {
	named := func(refs []store.Ref) ([]store.Ref, []string) {
		var out []store.Ref
		var dns []string
		for _, r := range refs {
			u := users[schemas.CanonicalUUID(r.ID)]
			out = append(out, store.Ref{ID: u.user.ID, Name: u.user.UserName})
			dns = append(dns, u.dn)
		}
		return out, dns
	}
	c := g.Clone()
	var members, owners []string
	c.Members, members = named(g.Members)
	c.Owners, owners = named(g.Owners)
	le := schemas.GroupToEntry(&c, schemas.Options{UsersBase: d.cfg.UserBase, GroupsBase: d.cfg.GroupBase,
		NIS: !d.features.PosixGroupAux})
	if len(members) == 0 {
		members = []string{le.DN} // the placeholder of an empty group
	}
	var attrs []ldif.Attribute
	for _, a := range le.Attributes {
		if !strings.EqualFold(a.Name, "member") && !strings.EqualFold(a.Name, "owner") {
			attrs = append(attrs, a)
		}
	}
	attrs = append(attrs, ldif.Attribute{Name: "member", Values: bytesOf(members)})
	if len(owners) > 0 {
		attrs = append(attrs, ldif.Attribute{Name: "owner", Values: bytesOf(owners)})
	}
	return le.DN, attrs
}

func bytesOf(vs []string) [][]byte {
	out := make([][]byte, len(vs))
	for i, v := range vs {
		out[i] = []byte(v)
	}
	return out
}

// checkGroup normalises and validates g.
func (d *Directory) checkGroup(g *store.Group) error {
	g.Normalize()
	var es store.ValidationErrors
	if err := g.Validate(); err != nil {
		es, _ = err.(store.ValidationErrors)
	}
	if g.GIDNumber != 0 && !d.features.PosixGroupAux {
		es = append(es, &store.ValidationError{Field: "gid_number",
			Reason: "the directory's posixGroup class is structural (nis schema): groups cannot have a gid number"})
	}
	if g.ID != "" && schemas.CanonicalUUID(g.ID) == "" {
		es = append(es, &store.ValidationError{Field: "id", Reason: "must be a UUID (it is the entryUUID)"})
	}
	if len(es) > 0 {
		return es
	}
	return nil
}

// groupConflicts looks for other groups with g's name, gid number or ID.
func (d *Directory) groupConflicts(ctx context.Context, g *store.Group, exceptID string) error {
	fs := []string{eq("cn", g.DisplayName)}
	if g.GIDNumber != 0 {
		fs = append(fs, eq("gidNumber", strconv.FormatUint(uint64(g.GIDNumber), 10)))
	}
	if g.ID != "" && exceptID == "" {
		fs = append(fs, eq("entryUUID", schemas.CanonicalUUID(g.ID)))
	}
	holder, err := d.holder(ctx, d.cfg.GroupBase, d.groupFilter("(|"+strings.Join(fs, "")+")"), exceptID)
	if err != nil || holder == "" {
		return err
	}
	return fmt.Errorf("ldap: group %q: name, gid number or ID held by %s: %w", g.DisplayName, holder, store.ErrExists)
}

// CreateGroup adds a group entry; members and owners must exist. The same
// remarks as CreateUser's apply to uniqueness and gid allocation across
// several canaille nodes.
func (d *Directory) CreateGroup(ctx context.Context, g store.Group) (store.Group, error) {
	g = g.Clone()
	if err := d.checkGroup(&g); err != nil {
		return store.Group{}, err
	}
	if g.ID != "" {
		g.ID = schemas.CanonicalUUID(g.ID)
	}
	users, err := d.resolveUsers(ctx, g.Members, g.Owners)
	if err != nil {
		return store.Group{}, err
	}
	d.allocMu.Lock()
	defer d.allocMu.Unlock()
	if err := d.groupConflicts(ctx, &g, ""); err != nil {
		return store.Group{}, err
	}
	if g.GIDNumber == 0 && d.features.PosixGroupAux {
		p := d.cfg.POSIX
		if g.GIDNumber, err = d.allocate(ctx, d.cfg.GroupBase, d.groupFilter("(gidNumber=*)"), "gidNumber", p.GIDMin, p.GIDMax, nil); err != nil {
			return store.Group{}, err
		}
	}
	dn, err := d.addGroup(ctx, &g, users)
	if err != nil {
		return store.Group{}, err
	}
	r, err := d.findGroup(ctx, dn, d.dnFilter(dn))
	return r.imp.Group, err
}

func (d *Directory) addGroup(ctx context.Context, g *store.Group, users map[string]userRecord) (string, error) {
	dn, attrs := d.groupEntry(g, users)
	var controls []ldap.Control
	if g.ID != "" {
		attrs = append(attrs, ldif.Attribute{Name: "entryUUID", Values: [][]byte{[]byte(g.ID)}})
		controls = append(controls, relax)
	}
	req := ldap.NewAddRequest(dn, controls)
	for _, a := range attrs {
		req.Attribute(a.Name, strs(a.Values))
	}
	err := d.write(ctx, func(c *ldap.Conn) error { return c.Add(req) })
	if isCode(err, ldap.LDAPResultEntryAlreadyExists) {
		return "", fmt.Errorf("ldap: add %s: %w", dn, store.ErrExists)
	}
	if err != nil {
		return "", fmt.Errorf("ldap: add %s: %w", dn, err)
	}
	return dn, nil
}

// UpdateGroup runs fn on the group and writes what changed (renaming the
// entry when its name changes). As for UpdateUser, the last writer wins.
func (d *Directory) UpdateGroup(ctx context.Context, id string, fn func(*store.Group) error) (store.Group, error) {
	d.allocMu.Lock()
	defer d.allocMu.Unlock()
	old, err := d.groupByID(ctx, id)
	if err != nil {
		return store.Group{}, err
	}
	g := old.imp.Group.Clone()
	if err := fn(&g); err != nil {
		return store.Group{}, err
	}
	g.ID, g.Created = old.imp.Group.ID, old.imp.Group.Created
	if err := d.checkGroup(&g); err != nil {
		return store.Group{}, err
	}
	if g.GIDNumber == 0 {
		g.GIDNumber = old.imp.Group.GIDNumber
	}
	users, err := d.resolveUsers(ctx, g.Members, g.Owners)
	if err != nil {
		return store.Group{}, err
	}
	if err := d.groupConflicts(ctx, &g, old.imp.Group.ID); err != nil {
		return store.Group{}, err
	}
	newDN, attrs := d.groupEntry(&g, users)
	dn := old.dn
	if newDN != old.dn {
		err := d.write(ctx, func(c *ldap.Conn) error {
			return c.ModifyDN(ldap.NewModifyDNRequest(old.dn, firstRDN(newDN), true, ""))
		})
		if isCode(err, ldap.LDAPResultEntryAlreadyExists) {
			return store.Group{}, fmt.Errorf("ldap: rename %s: %w", old.dn, store.ErrExists)
		}
		if err != nil {
			return store.Group{}, fmt.Errorf("ldap: rename %s: %w", old.dn, err)
		}
		dn = newDN
		// Re-read: the rename changed cn and, for an empty group, refint
		// may have rewritten the placeholder.
		if old, err = d.findGroup(ctx, dn, d.dnFilter(dn)); err != nil {
			return store.Group{}, err
		}
	}
	newEntry := &ldif.Entry{Attributes: attrs}
	req := ldap.NewModifyRequest(dn, nil)
	for _, name := range []string{"objectClass", "cn", "description", "gidNumber", "member", "memberUid", "owner"} {
		nv, ov := newEntry.Get(name), old.entry.Get(name)
		set := name != "description"
		if len(nv) == 0 && len(ov) == 0 || equalValues(nv, ov, set) {
			continue
		}
		req.Replace(name, strs(nv))
	}
	if len(req.Changes) > 0 {
		if err := d.write(ctx, func(c *ldap.Conn) error { return c.Modify(req) }); err != nil {
			return store.Group{}, fmt.Errorf("ldap: modify %s: %w", dn, err)
		}
	}
	r, err := d.findGroup(ctx, dn, d.dnFilter(dn))
	return r.imp.Group, err
}

// DeleteGroup deletes the group entry.
func (d *Directory) DeleteGroup(ctx context.Context, id string) error {
	g, err := d.groupByID(ctx, id)
	if err != nil {
		return err
	}
	err = d.write(ctx, func(c *ldap.Conn) error { return c.Del(ldap.NewDelRequest(g.dn, nil)) })
	if isCode(err, ldap.LDAPResultNoSuchObject) {
		return fmt.Errorf("ldap: delete group %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("ldap: delete %s: %w", g.dn, err)
	}
	return nil
}

// hasDN reports whether vals holds dn.
func hasDN(vals []string, dn string) bool {
	k := dnKey(dn)
	return slices.ContainsFunc(vals, func(v string) bool { return dnKey(v) == k })
}

// AddMember adds one member value (and memberUid in rfc2307bis form),
// dropping the empty-group placeholder. A concurrent AddMember may drop the
// placeholder (or add the memberUid) first, which makes the server refuse
// the whole modify: it is then built again from a fresh read.
func (d *Directory) AddMember(ctx context.Context, groupID, userID string) error {
	u, err := d.userByIDNoGroups(ctx, userID)
	if err != nil {
		return err
	}
	for try := 0; ; try++ {
		g, err := d.groupByID(ctx, groupID)
		if err != nil {
			return err
		}
		members := g.entry.Strings("member")
		if hasDN(members, u.dn) {
			return nil
		}
		req := ldap.NewModifyRequest(g.dn, nil)
		req.Add("member", []string{u.dn})
		if hasDN(members, g.dn) {
			req.Delete("member", []string{g.dn})
		}
		if d.features.PosixGroupAux && g.imp.Group.GIDNumber != 0 && !slices.Contains(g.entry.Strings("memberUid"), u.user.UserName) {
			req.Add("memberUid", []string{u.user.UserName})
		}
		err = d.write(ctx, func(c *ldap.Conn) error { return c.Modify(req) })
		if isCode(err, ldap.LDAPResultNoSuchAttribute, ldap.LDAPResultAttributeOrValueExists) && try < maxUpdateTries {
			continue
		}
		if err != nil {
			return fmt.Errorf("ldap: add a member to %s: %w", g.dn, err)
		}
		return nil
	}
}

// RemoveMember removes one member value; the last one is replaced by the
// empty-group placeholder.
func (d *Directory) RemoveMember(ctx context.Context, groupID, userID string) error {
	g, err := d.groupByID(ctx, groupID)
	if err != nil {
		return err
	}
	u, err := d.userByIDNoGroups(ctx, userID)
	if err != nil {
		if errorsIsNotFound(err) {
			return nil
		}
		return err
	}
	return d.removeFrom(ctx, g.dn, g.entry, u.dn, u.user.UserName, "member")
}

// removeFrom removes userDN from attr (member or owner) of a group entry.
func (d *Directory) removeFrom(ctx context.Context, groupDN string, e *ldif.Entry, userDN, userName, attr string) error {
	vals := e.Strings(attr)
	var drop []string
	for _, v := range vals {
		if dnKey(v) == dnKey(userDN) {
			drop = append(drop, v)
		}
	}
	if len(drop) == 0 {
		return nil
	}
	req := ldap.NewModifyRequest(groupDN, nil)
	if attr == "member" && len(drop) == len(vals) {
		req.Add("member", []string{groupDN})
	}
	req.Delete(attr, drop)
	if attr == "member" && slices.Contains(e.Strings("memberUid"), userName) {
		req.Delete("memberUid", []string{userName})
	}
	err := d.write(ctx, func(c *ldap.Conn) error { return c.Modify(req) })
	if err != nil && !isCode(err, ldap.LDAPResultNoSuchAttribute, ldap.LDAPResultAttributeOrValueExists) {
		return fmt.Errorf("ldap: remove %s from %s: %w", attr, groupDN, err)
	}
	return nil
}

// groupsReferencing returns the groups with userDN as member or owner.
func (d *Directory) groupsReferencing(ctx context.Context, userDN string) ([]*ldap.Entry, error) {
	return d.search(ctx, d.cfg.GroupBase, ldap.ScopeWholeSubtree,
		d.groupFilter("(|"+eq("member", userDN)+eq("owner", userDN)+")"), []string{"member", "owner", "memberUid"})
}

// dropReferences removes a user about to be deleted from every group.
func (d *Directory) dropReferences(ctx context.Context, userDN string) error {
	es, err := d.groupsReferencing(ctx, userDN)
	if err != nil {
		return err
	}
	name := ""
	if v, ok := rdnOf(userDN, "uid"); ok {
		name = v
	}
	for _, e := range es {
		le := toLDIF(e)
		if err := d.removeFrom(ctx, e.DN, le, userDN, name, "member"); err != nil {
			return err
		}
		if err := d.removeFrom(ctx, e.DN, le, userDN, name, "owner"); err != nil {
			return err
		}
	}
	return nil
}

// renameReferences rewrites the member and owner values naming a renamed
// user. The memberof and refint overlays may do the same concurrently:
// every step tolerates a value already added or already removed.
func (d *Directory) renameReferences(ctx context.Context, oldDN, newDN string) error {
	es, err := d.groupsReferencing(ctx, oldDN)
	if err != nil {
		return err
	}
	oldName, _ := rdnOf(oldDN, "uid")
	newName, _ := rdnOf(newDN, "uid")
	for _, e := range es {
		for _, attr := range []string{"member", "owner"} {
			if !hasDN(e.GetAttributeValues(attr), oldDN) {
				continue
			}
			for _, step := range []func(*ldap.ModifyRequest){
				func(r *ldap.ModifyRequest) { r.Add(attr, []string{newDN}) },
				func(r *ldap.ModifyRequest) { r.Delete(attr, []string{oldDN}) },
			} {
				req := ldap.NewModifyRequest(e.DN, nil)
				step(req)
				err := d.write(ctx, func(c *ldap.Conn) error { return c.Modify(req) })
				if err != nil && !isCode(err, ldap.LDAPResultNoSuchAttribute, ldap.LDAPResultAttributeOrValueExists) {
					return fmt.Errorf("ldap: rename %s in %s: %w", attr, e.DN, err)
				}
			}
		}
		if oldName != "" && newName != "" && slices.Contains(e.GetAttributeValues("memberUid"), oldName) {
			req := ldap.NewModifyRequest(e.DN, nil)
			req.Delete("memberUid", []string{oldName})
			req.Add("memberUid", []string{newName})
			err := d.write(ctx, func(c *ldap.Conn) error { return c.Modify(req) })
			if err != nil && !isCode(err, ldap.LDAPResultNoSuchAttribute, ldap.LDAPResultAttributeOrValueExists) {
				return fmt.Errorf("ldap: rename memberUid in %s: %w", e.DN, err)
			}
		}
	}
	return nil
}

// rdnOf returns the value of typ in the first RDN of dn.
func rdnOf(dn, typ string) (string, bool) {
	p, err := ldap.ParseDN(dn)
	if err != nil || len(p.RDNs) == 0 {
		return "", false
	}
	for _, a := range p.RDNs[0].Attributes {
		if strings.EqualFold(a.Type, typ) {
			return a.Value, true
		}
	}
	return "", false
}
