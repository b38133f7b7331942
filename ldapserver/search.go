package ldapserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jimlambrt/gldap"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/ldif"
)

// searchRequest is a search as the engine received it.
type searchRequest struct {
	msgID     int64
	base      string
	scope     gldap.Scope
	sizeLimit int64
	timeLimit int64
	typesOnly bool
	filter    string
	attrs     []string
	controls  []gldap.Control
}

// searchResult ends a search.
type searchResult struct {
	code     int
	matched  string
	diag     string
	controls []gldap.Control
	sent     int
}

// errStop ends a search early (size or time limit, abandon); the result
// code is set by whoever returns it.
var errStop = errors.New("stop")

// selection is the requested attribute list (RFC 4511 4.5.1.8). A shared
// one (selectionFor) is immutable, so that the searches sharing it read
// it without locks: its answers for the attribute types of the registry,
// under their canonical names (how the directory names the attributes of
// its entries), are decided in advance.
type selection struct {
	allUser, allOper, none bool
	named                  map[string]bool // lower-case canonical names
	known                  []uint64        // bit i: attribute type i of attrIndex is selected; nil: not decided in advance
	user                   slotMask        // the user entry attributes selected (shared selections)
}

// attrIndex numbers the canonical names of the registry's attribute types.
var attrIndex = sync.OnceValue(func() map[string]int {
	m := map[string]int{}
	for _, at := range schemas.AttributeTypes() {
		if _, ok := m[at.Name()]; !ok {
			m[at.Name()] = len(m)
		}
	}
	return m
})

// selections caches the selections of attribute lists: clients send the
// same few lists again and again (nslcd's, a mail server's). The map is
// replaced, never changed, so that look-ups take no lock.
var selections struct {
	mu sync.Mutex // serialises replacements
	m  atomic.Pointer[map[string]*selection]
}

// maxSelections bounds the cached selections; when full, the cache starts
// over.
const maxSelections = 256

// selectionFor returns the (shared) selection of attrs.
func selectionFor(attrs []string) *selection {
	var buf [256]byte
	key := buf[:0]
	for i, a := range attrs {
		if i > 0 {
			key = append(key, 0)
		}
		key = append(key, a...)
	}
	if m := selections.m.Load(); m != nil {
		if s, ok := (*m)[string(key)]; ok {
			return s
		}
	}
	s := newSelection(attrs, false)
	s.decideAll()
	selections.mu.Lock()
	defer selections.mu.Unlock()
	next := map[string]*selection{}
	if m := selections.m.Load(); m != nil && len(*m) < maxSelections {
		for k, v := range *m {
			next[k] = v
		}
	}
	next[string(key)] = s
	selections.m.Store(&next)
	return s
}

// newSelection builds the selection of attrs; allOper adds every
// operational attribute (the root DSE's default).
func newSelection(attrs []string, allOper bool) *selection {
	s := &selection{named: map[string]bool{}, allOper: allOper}
	if len(attrs) == 0 {
		s.allUser = true
	}
	for _, a := range attrs {
		switch a {
		case "*":
			s.allUser = true
		case "+":
			s.allOper = true
		case "1.1":
			s.none = len(attrs) == 1
		default:
			s.named[strings.ToLower(schemas.CanonicalAttribute(a))] = true
		}
	}
	return s
}

// decideAll decides in advance for the registry's attribute types and the
// user entries' attributes.
func (s *selection) decideAll() {
	index := attrIndex()
	s.known = make([]uint64, (len(index)+63)/64)
	for name, i := range index {
		if s.decide(name) {
			s.known[i/64] |= 1 << (i % 64)
		}
	}
	for i, name := range userSlotNames {
		if s.wants(name) {
			s.user |= 1 << i
		}
	}
}

// wants reports whether attribute name is selected.
func (s *selection) wants(name string) bool {
	if s.known != nil {
		if i, ok := attrIndex()[name]; ok {
			return s.known[i/64]&(1<<(i%64)) != 0
		}
	}
	return s.decide(schemas.CanonicalAttribute(name))
}

func (s *selection) decide(name string) bool {
	if s.none {
		return false
	}
	lower := strings.ToLower(name)
	if s.named[lower] {
		return true
	}
	if isOperational(lower) {
		return s.allOper
	}
	return s.allUser
}

// wantsPhoto reports whether jpegPhoto is needed.
func (s *selection) wantsPhoto() bool { return s.wants("jpegPhoto") }

// readable keeps the attributes of e that who may read (all entries but
// users are public to whoever may see them). Entries built by the
// directory name their attributes canonically.
func (d *directory) readable(e *ldif.Entry, userID string, a access) *ldif.Entry {
	if userID == "" || (a.passwords && (a.whole || a.users)) {
		return e
	}
	out := &ldif.Entry{DN: e.DN, Attributes: make([]ldif.Attribute, 0, len(e.Attributes))}
	for _, at := range e.Attributes {
		if a.readable(userID, at.Name) {
			out.Attributes = append(out.Attributes, at)
		}
	}
	return out
}

// project keeps the selected attributes: e itself when they all are
// (callers do not modify entries).
func project(e *ldif.Entry, sel *selection) *ldif.Entry {
	keep := 0
	for _, at := range e.Attributes {
		if sel.wants(at.Name) {
			keep++
		}
	}
	if keep == len(e.Attributes) {
		return e
	}
	out := &ldif.Entry{DN: e.DN, Attributes: make([]ldif.Attribute, 0, keep)}
	for _, at := range e.Attributes {
		if sel.wants(at.Name) {
			out.Attributes = append(out.Attributes, at)
		}
	}
	return out
}

// readEntry returns the entry at dn with the attributes who may read, or
// a result code (noSuchObject with matchedDN when it is missing or
// invisible).
func (d *directory) readEntry(ctx context.Context, who identity, dn string) (*ldif.Entry, int, string) {
	t, err := d.resolve(dn)
	if err != nil {
		return nil, resultInvalidDNSyntax, ""
	}
	a := d.access(who)
	switch t.kind {
	case tRootDSE:
		return d.rootDSE(), resultSuccess, ""
	case tSubschema:
		return schemas.SubschemaEntry(), resultSuccess, ""
	case tRoot, tUsers, tGroups:
		if !a.canSeeStructure() {
			return nil, resultNoSuchObject, ""
		}
		return d.structureEntry(t.kind), resultSuccess, ""
	case tUser:
		u, err := d.store.GetUserByName(ctx, t.name)
		if err != nil || !a.canSeeUser(u.ID) {
			return nil, resultNoSuchObject, d.matchedFor(a, t)
		}
		return d.readable(d.userEntry(ctx, &u, true), u.ID, a), resultSuccess, ""
	case tGroup:
		if !a.canSeeGroup() {
			return nil, resultNoSuchObject, d.matchedFor(a, t)
		}
		g, err := d.store.GetGroupByName(ctx, t.name)
		if err == nil {
			return d.groupEntry(&g), resultSuccess, ""
		}
		if u, ok := d.privateGroupOwner(ctx, t.name); ok {
			return d.privateGroupEntry(&u), resultSuccess, ""
		}
		return nil, resultNoSuchObject, d.matchedFor(a, t)
	}
	return nil, resultNoSuchObject, d.matchedFor(a, t)
}

// matchedFor gives the matchedDN of a missing entry, when the client may
// see the structure at all.
func (d *directory) matchedFor(a access, t target) string {
	if !a.canSeeStructure() {
		return ""
	}
	return t.matched
}

// search runs a search, calling send for each entry to return.
func (d *directory) search(ctx context.Context, se *session, req searchRequest, send func(*ldif.Entry) error) searchResult {
	who := se.identity(ctx)
	a := d.access(who)
	res := searchResult{}
	filter, err := CompileFilter(req.filter)
	if err != nil {
		return searchResult{code: resultProtocolError, diag: err.Error()}
	}
	var paging *gldap.ControlPaging
	var sortKeys []SortKey
	sortCritical := false
	for _, c := range req.controls {
		switch c := c.(type) {
		case *gldap.ControlPaging:
			paging = c
		case *gldap.ControlString:
			switch c.ControlType {
			case controlSort:
				keys, err := ParseSortControl([]byte(c.ControlValue))
				if err != nil {
					return searchResult{code: resultProtocolError, diag: "malformed sort control"}
				}
				sortKeys, sortCritical = keys, c.Criticality
			case controlManageDsaIT:
			default:
				if c.Criticality {
					return searchResult{code: resultUnavailableCriticalExt, diag: "unsupported critical control " + c.ControlType}
				}
			}
		case *gldap.ControlManageDsaIT:
		}
	}
	t, err := d.resolve(req.base)
	if err != nil {
		return searchResult{code: resultInvalidDNSyntax, diag: "invalid base DN"}
	}
	// The root DSE and the subschema entry answer base searches only.
	if t.kind == tRootDSE || t.kind == tSubschema {
		if req.scope != gldap.BaseObject {
			if t.kind == tRootDSE {
				return searchResult{code: resultNoSuchObject} // no tree above the naming context
			}
			return res
		}
		e := d.rootDSE()
		if t.kind == tSubschema {
			e = schemas.SubschemaEntry()
		}
		// The root DSE's attributes are operational; show them by default.
		sel := newSelection(req.attrs, t.kind == tRootDSE && len(req.attrs) == 0)
		if filter.Match(e) {
			if err := send(trim(project(e, sel), req.typesOnly)); err != nil {
				return searchResult{code: resultOther}
			}
			res.sent = 1
		}
		return res
	}
	if t.kind == tNone {
		return searchResult{code: resultNoSuchObject, matched: d.matchedFor(a, t)}
	}
	if (t.kind == tUser || t.kind == tGroup) && !d.exists(ctx, a, t) {
		return searchResult{code: resultNoSuchObject, matched: d.matchedFor(a, t)}
	}
	if !a.canSeeStructure() && !(t.kind == tUser || t.kind == tGroup) {
		return searchResult{code: resultNoSuchObject}
	}
	run := &searchRun{d: d, se: se, req: req, a: a, filter: filter, sel: selectionFor(req.attrs)}
	if req.timeLimit > 0 {
		run.deadline = time.Now().Add(time.Duration(req.timeLimit) * time.Second)
	}
	run.wantAll = sortKeys != nil // sorting reads the sort keys' attributes
	// Sorting keeps every entry until the end: it cannot use the builder's
	// reused memory.
	if run.fast = sortKeys == nil && run.sel.known != nil; run.fast {
		run.fMask, run.fDN = filter.userSlots()
	}
	limit := req.sizeLimit
	if paging == nil && d.cfg.SizeLimit > 0 && (limit == 0 || limit > int64(d.cfg.SizeLimit)) {
		limit = int64(d.cfg.SizeLimit)
	}
	defer run.release()
	if paging != nil || sortKeys != nil {
		return run.collected(ctx, t, paging, sortKeys, sortCritical, limit, send)
	}
	return run.streamed(ctx, t, limit, send)
}

// release returns the search's user builder, if it took one.
func (r *searchRun) release() {
	if r.ub != nil {
		r.ub.release()
		r.ub = nil
	}
}

// exists reports whether a user or group target exists and is visible.
func (d *directory) exists(ctx context.Context, a access, t target) bool {
	if t.kind == tUser {
		u, err := d.store.GetUserByName(ctx, t.name)
		return err == nil && a.canSeeUser(u.ID)
	}
	if !a.canSeeGroup() {
		return false
	}
	if _, err := d.store.GetGroupByName(ctx, t.name); err == nil {
		return true
	}
	_, ok := d.privateGroupOwner(ctx, t.name)
	return ok
}

// trim returns e with empty values for a typesOnly search (a copy: e
// may be shared).
func trim(e *ldif.Entry, typesOnly bool) *ldif.Entry {
	if !typesOnly {
		return e
	}
	out := &ldif.Entry{DN: e.DN, Attributes: make([]ldif.Attribute, len(e.Attributes))}
	for i, at := range e.Attributes {
		out.Attributes[i] = ldif.Attribute{Name: at.Name}
	}
	return out
}

// searchRun is one search in progress.
type searchRun struct {
	d        *directory
	se       *session
	req      searchRequest
	a        access
	filter   *Filter
	sel      *selection
	deadline time.Time
	want     func(string) bool // see userWant
	wantAll  bool

	eqs    []fltEquality // see equalities
	eqBuf  [4]fltEquality
	eqDone bool

	// fast builds user entries with ub, after evaluating the filter on
	// the slots it reads (fMask, and the DN when fDN is set).
	fast  bool
	fMask slotMask
	fDN   bool
	ub    *userBuilder // from builders, until the search ends
}

// check stops a search that was abandoned or ran out of time.
func (r *searchRun) check() (int, bool) {
	if r.se.isAbandoned(r.req.msgID) {
		return resultOther, false
	}
	if !r.deadline.IsZero() && time.Now().After(r.deadline) {
		return resultTimeLimitExceeded, false
	}
	return 0, true
}

// streamed sends entries as they are found.
func (r *searchRun) streamed(ctx context.Context, t target, limit int64, send func(*ldif.Entry) error) searchResult {
	res := searchResult{}
	err := r.candidates(ctx, t, &position{}, func(e *ldif.Entry) error {
		if code, ok := r.check(); !ok {
			res.code = code
			return errStop
		}
		if limit > 0 && int64(res.sent) >= limit {
			res.code = resultSizeLimitExceeded
			return errStop
		}
		if err := send(trim(project(e, r.sel), r.req.typesOnly)); err != nil {
			return err
		}
		res.sent++
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		res.code, res.diag = storeCode(err)
	}
	return res
}

// position is where a search stands in its candidates, so that a paged
// search resumes there: every stage emits its entries in increasing order
// of their lower-cased name, so (stage, name of the last entry delivered)
// is enough.
type position struct {
	stage int
	after string // lower-cased name of the last entry delivered in stage
}

// stage kinds of a search's candidates, in order.
const (
	stRoot = iota
	stUsersOU
	stGroupsOU
	stBase // a user or group base entry
	stUsers
	stGroups
	stPrivateGroups
)

// emitter delivers the entries of one stage of a search's candidates
// that match the filter, and moves the search's position along.
type emitter struct {
	r     *searchRun
	stage int
	pos   *position
	fn    func(*ldif.Entry) error
}

// skip reports whether the entry named name comes at or before the
// search's position (delivered on an earlier page), and returns the name
// lower-cased.
func (em *emitter) skip(name string) (string, bool) {
	if em.stage < em.pos.stage {
		return "", true
	}
	lower := strings.ToLower(name)
	if em.stage == em.pos.stage && em.pos.after != "" && lower <= em.pos.after {
		return "", true
	}
	return lower, false
}

// emit delivers e, named name, if the filter matches it.
func (em *emitter) emit(name string, e *ldif.Entry) error {
	lower, skip := em.skip(name)
	if skip || !em.r.filter.Match(e) {
		return nil
	}
	return em.deliver(lower, e)
}

// deliver delivers e, whose lower-cased name is lower, which matches.
func (em *emitter) deliver(lower string, e *ldif.Entry) error {
	em.pos.stage, em.pos.after = em.stage, lower
	return em.fn(e)
}

// candidates calls fn with every entry in scope that matches the filter
// and that the requester may see, with the attributes it may read,
// starting after pos and moving pos along. When r.fast is set, user
// entries hold the selected attributes only, and fn must be done with an
// entry when it returns (see userBuilder).
func (r *searchRun) candidates(ctx context.Context, t target, pos *position, fn func(*ldif.Entry) error) error {
	d := r.d
	scope := r.req.scope
	var ems [stPrivateGroups + 1]emitter
	for i := range ems {
		ems[i] = emitter{r: r, stage: i, pos: pos, fn: fn}
	}
	var stages [stPrivateGroups + 1]int
	n := 0
	add := func(st ...int) { n += copy(stages[n:], st) }
	switch t.kind {
	case tUser, tGroup:
		if scope == gldap.SingleLevel {
			return nil
		}
		e, code, _ := d.readEntry(ctx, r.se.identity(ctx), r.req.base)
		if code != resultSuccess {
			return nil
		}
		return ems[stBase].emit("-", e)
	case tRoot:
		if scope != gldap.SingleLevel {
			add(stRoot)
		}
		if scope != gldap.BaseObject {
			add(stUsersOU, stGroupsOU)
		}
		if scope == gldap.WholeSubtree {
			add(stUsers, stGroups)
		}
	case tUsers, tGroups:
		ou, users := stUsersOU, stUsers
		if t.kind == tGroups {
			ou, users = stGroupsOU, stGroups
		}
		if scope != gldap.SingleLevel {
			add(ou)
		}
		if scope != gldap.BaseObject {
			add(users)
		}
	}
	for _, st := range stages[:n] {
		var err error
		switch st {
		case stRoot, stUsersOU, stGroupsOU:
			if st >= pos.stage {
				err = ems[st].emit("-", d.structureEntry(structureKinds[st]))
			}
		case stUsers:
			err = r.users(ctx, pos, &ems[stUsers])
		case stGroups: // and the private groups
			err = r.groups(ctx, pos, &ems[stGroups], &ems[stPrivateGroups])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// structureKinds are the entries of the structure stages.
var structureKinds = [...]targetKind{stRoot: tRoot, stUsersOU: tUsers, stGroupsOU: tGroups}

// classes of entries a filter may select, from its objectClass equality.
var (
	userClasses  = map[string]bool{"inetorgperson": true, "person": true, "organizationalperson": true, "posixaccount": true, "shadowaccount": true, "account": true}
	groupClasses = map[string]bool{"groupofnames": true, "posixgroup": true, "groupofuniquenames": true}
)

// lowerIn reports whether m holds v lower-cased (without allocating for
// short ASCII values).
func lowerIn(m map[string]bool, v string) bool {
	var buf [64]byte
	if len(v) > len(buf) {
		return m[strings.ToLower(v)]
	}
	b := buf[:len(v)]
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 0x80:
			return m[strings.ToLower(v)]
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return m[string(b)]
}

// equalities returns the filter's equality assertions (see
// Filter.Equalities).
func (r *searchRun) equalities() []fltEquality {
	if !r.eqDone {
		r.eqs, r.eqDone = r.filter.appendEqualities(r.eqBuf[:0]), true
	}
	return r.eqs
}

// users emits the visible users the filter may match, from an index when
// the filter holds an equality on an indexed attribute, else by listing
// them from pos.
func (r *searchRun) users(ctx context.Context, pos *position, em *emitter) error {
	d := r.d
	if pos.stage > stUsers || (!r.a.whole && !r.a.users && !r.a.bound) {
		return nil
	}
	var u store.User
	var err error
	for _, eq := range r.equalities() {
		v := strings.TrimSpace(string(eq.value))
		switch eq.attr {
		case "objectClass":
			if lowerIn(groupClasses, v) {
				return nil
			}
			continue
		case "uid":
			u, err = d.store.GetUserByName(ctx, v)
		case "mail":
			u, err = d.store.GetUserByEmail(ctx, v)
		case "uidNumber":
			n, perr := strconv.ParseUint(v, 10, 32)
			if perr != nil {
				return nil
			}
			u, err = d.store.GetUserByUIDNumber(ctx, uint32(n))
		case "entryUUID":
			u, err = d.store.GetUser(ctx, strings.ToLower(v))
		case "entryDN":
			t, rerr := d.resolve(v)
			if rerr != nil || t.kind != tUser {
				return nil
			}
			u, err = d.store.GetUserByName(ctx, t.name)
		default:
			continue
		}
		return r.found(ctx, em, &u, err)
	}
	if !r.a.whole && !r.a.users {
		// Only the bound user's own entry is visible.
		u, err = d.store.GetUser(ctx, r.a.selfID)
		return r.found(ctx, em, &u, err)
	}
	after := ""
	if pos.stage == stUsers {
		after = pos.after
	}
	return eachUser(ctx, d.store, after, func(u *store.User) error { return r.emitUser(ctx, u, em) })
}

// found emits the user a look-up found.
func (r *searchRun) found(ctx context.Context, em *emitter, u *store.User, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return r.emitUser(ctx, u, em)
}

// listPage is how many objects a scan reads per store call.
const listPage = 256

// eachUser calls fn for every user after the given name, in name order.
func eachUser(ctx context.Context, st store.Directory, after string, fn func(*store.User) error) error {
	for {
		page, err := st.ListUsers(ctx, store.UserQuery{After: after, Limit: listPage})
		if err != nil {
			return err
		}
		for i := range page {
			if err := fn(&page[i]); err != nil {
				return err
			}
		}
		if len(page) < listPage {
			return nil
		}
		after = page[len(page)-1].UserName
	}
}

// eachGroup calls fn for every group after the given name, in name order.
func eachGroup(ctx context.Context, st store.Directory, after string, fn func(*store.Group) error) error {
	for {
		page, err := st.ListGroups(ctx, store.GroupQuery{After: after, Limit: listPage})
		if err != nil {
			return err
		}
		for i := range page {
			if err := fn(&page[i]); err != nil {
				return err
			}
		}
		if len(page) < listPage {
			return nil
		}
		after = page[len(page)-1].DisplayName
	}
}

// emitUser emits user u if the requester may see it and the filter
// matches it.
func (r *searchRun) emitUser(ctx context.Context, u *store.User, em *emitter) error {
	if !r.a.canSeeUser(u.ID) {
		return nil
	}
	lower, skip := em.skip(u.UserName)
	if skip {
		return nil
	}
	if r.fast {
		// The filter reads the attributes it names, on the store's record;
		// only the users it matches get the selected ones built.
		readable := r.a.userMask(u.ID)
		fm, sm := r.fMask&readable, r.sel.user&readable
		if !slow(u, fm|sm) {
			dn := ""
			if r.fDN || fm.has(uaEntryDN) {
				dn = r.d.plainUserDNOf(u.UserName)
			}
			if r.ub == nil {
				r.ub = builders.Get().(*userBuilder)
			}
			if !r.filter.Match(r.ub.build(r.d, u, fm, dn)) {
				return nil
			}
			if dn == "" {
				dn = r.d.plainUserDNOf(u.UserName)
			}
			return em.deliver(lower, r.ub.build(r.d, u, sm, dn))
		}
	}
	e := r.d.readable(r.d.userEntryOnly(ctx, u, r.sel.wantsPhoto(), r.userWant()), u.ID, r.a)
	if !r.filter.Match(e) {
		return nil
	}
	return em.deliver(lower, e)
}

// userWant returns what a search needs of user entries: the selected
// attributes and those the filter reads; nil (everything) when the filter
// names a type user entries do not hold as such (a supertype such as
// name, or an extensible match without a type).
func (r *searchRun) userWant() func(string) bool {
	if r.want != nil || r.wantAll {
		return r.want
	}
	need := map[string]bool{}
	for _, a := range r.filter.Attributes() {
		lower := strings.ToLower(a)
		if !userEntryAttributes[lower] {
			r.wantAll = true
			return nil
		}
		need[lower] = true
	}
	r.want = func(name string) bool {
		return r.sel.wants(name) || need[strings.ToLower(name)]
	}
	return r.want
}

// groups emits the visible groups the filter may match, then the users'
// private groups (see hasPrivateGroup).
func (r *searchRun) groups(ctx context.Context, pos *position, em, emPrivate *emitter) error {
	d := r.d
	if pos.stage > stPrivateGroups || !r.a.canSeeGroup() {
		return nil
	}
	one := func(g store.Group, err error) error {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return em.emit(g.DisplayName, d.groupEntry(&g))
	}
	memberOf := func(u store.User, err error) error {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, ref := range u.Groups {
			if err := one(d.store.GetGroup(ctx, ref.ID)); err != nil {
				return err
			}
		}
		return nil
	}
	// A user's private group is served when no real group holds its gid
	// or its name.
	private := func(u store.User, err error) error {
		if err != nil || !hasPrivateGroup(&u) {
			return nil
		}
		if _, err := d.store.GetGroupByName(ctx, u.UserName); err == nil {
			return nil
		}
		return emPrivate.emit(u.UserName, d.privateGroupEntry(&u))
	}
	for _, eq := range r.equalities() {
		v := strings.TrimSpace(string(eq.value))
		switch eq.attr {
		case "objectClass":
			if lowerIn(userClasses, v) {
				return nil
			}
		case "cn":
			g, err := d.store.GetGroupByName(ctx, v)
			if errors.Is(err, store.ErrNotFound) {
				return private(d.store.GetUserByName(ctx, v))
			}
			return one(g, err)
		case "gidNumber":
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return nil
			}
			g, err := d.store.GetGroupByGIDNumber(ctx, uint32(n))
			if errors.Is(err, store.ErrNotFound) {
				return private(d.store.GetUserByUIDNumber(ctx, uint32(n)))
			}
			return one(g, err)
		case "memberUid":
			return memberOf(d.store.GetUserByName(ctx, v))
		case "member", "uniqueMember":
			t, err := d.resolve(v)
			if err != nil || t.kind != tUser {
				return nil
			}
			return memberOf(d.store.GetUserByName(ctx, t.name))
		case "entryUUID":
			return one(d.store.GetGroup(ctx, strings.ToLower(v)))
		}
	}
	// Every group, then every private group: real groups shadow private
	// ones with the same name or gid.
	shadowed := func(u *store.User) bool {
		if _, err := d.store.GetGroupByName(ctx, u.UserName); err == nil {
			return true
		}
		_, err := d.store.GetGroupByGIDNumber(ctx, u.GIDNumber)
		return err == nil
	}
	if pos.stage <= stGroups {
		after := ""
		if pos.stage == stGroups {
			after = pos.after
		}
		err := eachGroup(ctx, d.store, after, func(g *store.Group) error { return em.emit(g.DisplayName, d.groupEntry(g)) })
		if err != nil {
			return err
		}
	}
	after := ""
	if pos.stage == stPrivateGroups {
		after = pos.after
	}
	return eachUser(ctx, d.store, after, func(u *store.User) error {
		if !hasPrivateGroup(u) || shadowed(u) {
			return nil
		}
		return emPrivate.emit(u.UserName, d.privateGroupEntry(u))
	})
}

// pagedSearch is the server-side state of a paged search (RFC 2696):
// where the next page starts, or, for a sorted search, the DNs still to
// send (sorting needs every match first).
type pagedSearch struct {
	filter  string
	base    string
	pos     position
	sorted  []string // DNs, for sorted searches
	created time.Time
}

// maxPagedSearches bounds the paged searches one connection keeps open.
const maxPagedSearches = 16

// collected runs a paged or a sorted search.
func (r *searchRun) collected(ctx context.Context, t target, paging *gldap.ControlPaging, keys []SortKey, critical bool, limit int64, send func(*ldif.Entry) error) searchResult {
	res := searchResult{}
	se := r.se
	size := 0
	if paging != nil {
		size = int(paging.PagingSize)
	}
	state := &pagedSearch{filter: r.req.filter, base: r.req.base, created: time.Now()}
	if paging != nil && len(paging.Cookie) > 0 {
		se.pagesMu.Lock()
		prev := se.pages[string(paging.Cookie)]
		delete(se.pages, string(paging.Cookie))
		se.pagesMu.Unlock()
		if prev == nil || prev.filter != r.req.filter || prev.base != r.req.base {
			return searchResult{code: resultUnwillingToPerform, diag: "unknown or stale paged results cookie"}
		}
		if size == 0 { // the client abandons the paged search
			return searchResult{controls: []gldap.Control{pagingControl(nil)}}
		}
		state = prev
	} else if keys != nil {
		// Sorting needs every match: collect, sort, keep the DNs.
		var entries []*ldif.Entry
		err := r.candidates(ctx, t, &position{}, func(e *ldif.Entry) error {
			if code, ok := r.check(); !ok {
				res.code = code
				return errStop
			}
			entries = append(entries, e)
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			res.code, res.diag = storeCode(err)
			return res
		}
		if res.code != 0 {
			return res
		}
		// RFC 2891 1.2: a sort the server cannot do fails the search when
		// the control is critical, and is skipped otherwise.
		code, diag, attr := resultSuccess, "", ""
		if err := SortEntries(entries, keys); err != nil {
			code, diag = resultInappropriateMatching, err.Error()
			var se *SortError
			if errors.As(err, &se) {
				code, attr = se.Code, se.Attribute
			}
		}
		sortResult := &gldap.ControlString{ControlType: controlSortResult, ControlValue: string(EncodeSortResult(code, attr))}
		if code != resultSuccess && critical {
			return searchResult{code: resultUnavailableCriticalExt, diag: diag, controls: []gldap.Control{sortResult}}
		}
		res.controls = append(res.controls, sortResult)
		state.sorted = make([]string, len(entries))
		for i, e := range entries {
			state.sorted[i] = e.DN
		}
		if paging == nil {
			for _, e := range entries {
				if limit > 0 && int64(res.sent) >= limit {
					res.code = resultSizeLimitExceeded
					return res
				}
				if err := send(trim(project(e, r.sel), r.req.typesOnly)); err != nil {
					res.code = resultOther
					return res
				}
				res.sent++
			}
			return res
		}
	}
	more := false
	deliver := func(e *ldif.Entry) error {
		if code, ok := r.check(); !ok {
			res.code = code
			return errStop
		}
		if limit > 0 && int64(res.sent) >= limit {
			res.code = resultSizeLimitExceeded
			return errStop
		}
		if size > 0 && res.sent >= size {
			more = true
			return errStop
		}
		if err := send(trim(project(e, r.sel), r.req.typesOnly)); err != nil {
			return err
		}
		res.sent++
		return nil
	}
	if state.sorted != nil {
		who := se.identity(ctx)
		for len(state.sorted) > 0 {
			e, code, _ := r.d.readEntry(ctx, who, state.sorted[0])
			if code == resultSuccess && r.filter.Match(e) {
				if err := deliver(e); err != nil {
					break
				}
			}
			state.sorted = state.sorted[1:]
		}
		more = more || len(state.sorted) > 0
	} else {
		// The position moves past an entry before it is delivered: keep
		// the one before, so that the entry refused for a full page comes
		// first on the next one.
		pos := state.pos
		last := pos
		err := r.candidates(ctx, t, &pos, func(e *ldif.Entry) error {
			err := deliver(e)
			if err == nil {
				last = pos
			}
			return err
		})
		if err != nil && !errors.Is(err, errStop) {
			res.code, res.diag = storeCode(err)
			return res
		}
		state.pos = last
	}
	if res.code != 0 && res.code != resultSizeLimitExceeded || paging == nil {
		return res
	}
	var next []byte
	if more {
		var raw [16]byte
		rand.Read(raw[:])
		next = []byte(hex.EncodeToString(raw[:]))
		se.pagesMu.Lock()
		if len(se.pages) >= maxPagedSearches {
			oldest := ""
			for k, ps := range se.pages {
				if oldest == "" || ps.created.Before(se.pages[oldest].created) {
					oldest = k
				}
			}
			delete(se.pages, oldest)
		}
		se.pages[string(next)] = state
		se.pagesMu.Unlock()
	}
	res.controls = append(res.controls, pagingControl(next))
	return res
}

// pagingControl is the response control of a paged search; an empty
// cookie says the search is complete.
func pagingControl(cookie []byte) gldap.Control {
	return &gldap.ControlPaging{PagingSize: 0, Cookie: cookie}
}

// knownAttribute reports whether the registry knows an attribute type.
func knownAttribute(name string) bool {
	_, ok := schemas.LookupAttribute(name)
	return ok
}

// hasAlias reports whether e holds attr under another of its names.
func hasAlias(e *ldif.Entry, attr string) bool {
	want := strings.ToLower(schemas.CanonicalAttribute(attr))
	for _, at := range e.Attributes {
		if strings.ToLower(schemas.CanonicalAttribute(at.Name)) == want {
			return true
		}
	}
	return false
}
