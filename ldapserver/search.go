package ldapserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
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

// selection is the requested attribute list (RFC 4511 4.5.1.8).
type selection struct {
	allUser, allOper, none bool
	named                  map[string]bool // lower-case canonical names
}

func newSelection(attrs []string) selection {
	s := selection{named: map[string]bool{}}
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

// wants reports whether attribute name is selected.
func (s selection) wants(name string) bool {
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
func (s selection) wantsPhoto() bool { return s.wants("jpegPhoto") }

// readable keeps the attributes of e that who may read (all entries but
// users are public to whoever may see them).
func (d *directory) readable(e *ldif.Entry, userID string, a access) *ldif.Entry {
	if userID == "" {
		return e
	}
	out := &ldif.Entry{DN: e.DN, Attributes: e.Attributes[:0:0]}
	for _, at := range e.Attributes {
		if a.readable(userID, schemas.CanonicalAttribute(at.Name)) {
			out.Attributes = append(out.Attributes, at)
		}
	}
	return out
}

// project keeps the selected attributes.
func project(e *ldif.Entry, sel selection) *ldif.Entry {
	out := &ldif.Entry{DN: e.DN}
	for _, at := range e.Attributes {
		if sel.wants(schemas.CanonicalAttribute(at.Name)) {
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
		sel := newSelection(req.attrs)
		if t.kind == tRootDSE && len(req.attrs) == 0 {
			sel.allOper = true // the root DSE's attributes are operational; show them by default
		}
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
	run := &searchRun{d: d, se: se, req: req, a: a, filter: filter, sel: newSelection(req.attrs)}
	if req.timeLimit > 0 {
		run.deadline = time.Now().Add(time.Duration(req.timeLimit) * time.Second)
	}
	limit := req.sizeLimit
	if paging == nil && d.cfg.SizeLimit > 0 && (limit == 0 || limit > int64(d.cfg.SizeLimit)) {
		limit = int64(d.cfg.SizeLimit)
	}
	if paging != nil || sortKeys != nil {
		return run.collected(ctx, t, paging, sortKeys, sortCritical, limit, send)
	}
	return run.streamed(ctx, t, limit, send)
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

// trim empties the values of a typesOnly search.
func trim(e *ldif.Entry, typesOnly bool) *ldif.Entry {
	if !typesOnly {
		return e
	}
	for i := range e.Attributes {
		e.Attributes[i].Values = nil
	}
	return e
}

// searchRun is one search in progress.
type searchRun struct {
	d        *directory
	se       *session
	req      searchRequest
	a        access
	filter   *Filter
	sel      selection
	deadline time.Time
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
	err := r.candidates(ctx, t, func(e *ldif.Entry) error {
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

// candidates calls fn with every entry in scope that matches the filter
// and that the requester may see, with the attributes it may read.
func (r *searchRun) candidates(ctx context.Context, t target, fn func(*ldif.Entry) error) error {
	d := r.d
	scope := r.req.scope
	emit := func(e *ldif.Entry) error {
		if r.filter.Match(e) {
			return fn(e)
		}
		return nil
	}
	structure := func(k targetKind) error { return emit(d.structureEntry(k)) }
	switch t.kind {
	case tUser, tGroup:
		if scope == gldap.SingleLevel {
			return nil
		}
		e, code, _ := d.readEntry(ctx, r.se.identity(ctx), r.req.base)
		if code != resultSuccess {
			return nil
		}
		return emit(e)
	case tRoot:
		if scope != gldap.SingleLevel {
			if err := structure(tRoot); err != nil || scope == gldap.BaseObject {
				return err
			}
		}
		if err := structure(tUsers); err != nil {
			return err
		}
		if err := structure(tGroups); err != nil {
			return err
		}
		if scope == gldap.SingleLevel {
			return nil
		}
		if err := r.users(ctx, emit); err != nil {
			return err
		}
		return r.groups(ctx, emit)
	case tUsers, tGroups:
		if scope != gldap.SingleLevel {
			if err := structure(t.kind); err != nil || scope == gldap.BaseObject {
				return err
			}
		}
		if t.kind == tUsers {
			return r.users(ctx, emit)
		}
		return r.groups(ctx, emit)
	}
	return nil
}

// classes of entries a filter may select, from its objectClass equality.
var (
	userClasses  = map[string]bool{"inetorgperson": true, "person": true, "organizationalperson": true, "posixaccount": true, "shadowaccount": true, "account": true}
	groupClasses = map[string]bool{"groupofnames": true, "posixgroup": true, "groupofuniquenames": true}
)

// users emits the visible users the filter may match, from an index when
// the filter holds an equality on an indexed attribute.
func (r *searchRun) users(ctx context.Context, emit func(*ldif.Entry) error) error {
	d := r.d
	if !r.a.whole && !r.a.users && !r.a.bound {
		return nil
	}
	one := func(u store.User, err error) error {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return r.emitUser(ctx, &u, emit)
	}
	for _, eq := range r.filter.Equalities() {
		v := string(eq.Value)
		switch strings.ToLower(eq.Attribute) {
		case "objectclass":
			if groupClasses[strings.ToLower(v)] {
				return nil
			}
		case "uid":
			return one(d.store.GetUserByName(ctx, v))
		case "mail":
			return one(d.store.GetUserByEmail(ctx, v))
		case "uidnumber":
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
			if err != nil {
				return nil
			}
			return one(d.store.GetUserByUIDNumber(ctx, uint32(n)))
		case "entryuuid":
			return one(d.store.GetUser(ctx, strings.ToLower(v)))
		case "entrydn":
			t, err := d.resolve(v)
			if err != nil || t.kind != tUser {
				return nil
			}
			return one(d.store.GetUserByName(ctx, t.name))
		}
	}
	if !r.a.whole && !r.a.users {
		// Only the bound user's own entry is visible.
		return one(d.store.GetUser(ctx, r.a.selfID))
	}
	after := ""
	for {
		page, err := d.store.ListUsers(ctx, store.UserQuery{After: after, Limit: 256})
		if err != nil {
			return err
		}
		for i := range page {
			if err := r.emitUser(ctx, &page[i], emit); err != nil {
				return err
			}
		}
		if len(page) < 256 {
			return nil
		}
		after = page[len(page)-1].UserName
	}
}

func (r *searchRun) emitUser(ctx context.Context, u *store.User, emit func(*ldif.Entry) error) error {
	if !r.a.canSeeUser(u.ID) {
		return nil
	}
	e := r.d.userEntry(ctx, u, r.sel.wantsPhoto())
	return emit(r.d.readable(e, u.ID, r.a))
}

// groups emits the visible groups the filter may match.
func (r *searchRun) groups(ctx context.Context, emit func(*ldif.Entry) error) error {
	d := r.d
	if !r.a.canSeeGroup() {
		return nil
	}
	one := func(g store.Group, err error) error {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return emit(d.groupEntry(&g))
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
		return emit(d.privateGroupEntry(&u))
	}
	for _, eq := range r.filter.Equalities() {
		v := string(eq.Value)
		switch strings.ToLower(eq.Attribute) {
		case "objectclass":
			if userClasses[strings.ToLower(v)] {
				return nil
			}
		case "cn":
			g, err := d.store.GetGroupByName(ctx, v)
			if errors.Is(err, store.ErrNotFound) {
				return private(d.store.GetUserByName(ctx, v))
			}
			return one(g, err)
		case "gidnumber":
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
			if err != nil {
				return nil
			}
			g, err := d.store.GetGroupByGIDNumber(ctx, uint32(n))
			if errors.Is(err, store.ErrNotFound) {
				return private(d.store.GetUserByUIDNumber(ctx, uint32(n)))
			}
			return one(g, err)
		case "memberuid":
			return memberOf(d.store.GetUserByName(ctx, v))
		case "member", "uniquemember":
			t, err := d.resolve(v)
			if err != nil || t.kind != tUser {
				return nil
			}
			return memberOf(d.store.GetUserByName(ctx, t.name))
		case "entryuuid":
			return one(d.store.GetGroup(ctx, strings.ToLower(v)))
		}
	}
	names, gids := map[string]bool{}, map[uint32]bool{}
	after := ""
	for {
		page, err := d.store.ListGroups(ctx, store.GroupQuery{After: after, Limit: 256})
		if err != nil {
			return err
		}
		for i := range page {
			names[strings.ToLower(page[i].DisplayName)], gids[page[i].GIDNumber] = true, true
			if err := emit(d.groupEntry(&page[i])); err != nil {
				return err
			}
		}
		if len(page) < 256 {
			break
		}
		after = page[len(page)-1].DisplayName
	}
	after = ""
	for {
		page, err := d.store.ListUsers(ctx, store.UserQuery{After: after, Limit: 256})
		if err != nil {
			return err
		}
		for i := range page {
			u := &page[i]
			if hasPrivateGroup(u) && !names[strings.ToLower(u.UserName)] && !gids[u.GIDNumber] {
				if err := emit(d.privateGroupEntry(u)); err != nil {
					return err
				}
			}
		}
		if len(page) < 256 {
			return nil
		}
		after = page[len(page)-1].UserName
	}
}

// pagedSearch is the server-side state of a paged search (RFC 2696): the
// remaining matching entries, computed on the first page.
type pagedSearch struct {
	filter  string
	base    string
	entries []*ldif.Entry
	created time.Time
}

// maxPagedSearches bounds the paged searches one connection keeps open.
const maxPagedSearches = 16

// collected gathers every match first, for sorting and paging.
func (r *searchRun) collected(ctx context.Context, t target, paging *gldap.ControlPaging, keys []SortKey, critical bool, limit int64, send func(*ldif.Entry) error) searchResult {
	res := searchResult{}
	se := r.se
	var entries []*ldif.Entry
	var cookie string
	if paging != nil && len(paging.Cookie) > 0 {
		cookie = string(paging.Cookie)
		se.pagesMu.Lock()
		ps := se.pages[cookie]
		delete(se.pages, cookie)
		se.pagesMu.Unlock()
		if ps == nil || ps.filter != r.req.filter || ps.base != r.req.base {
			return searchResult{code: resultUnwillingToPerform, diag: "unknown or stale paged results cookie"}
		}
		entries = ps.entries
		if paging.PagingSize == 0 { // the client abandons the paged search
			return searchResult{controls: []gldap.Control{pagingControl(nil)}}
		}
	} else {
		err := r.candidates(ctx, t, func(e *ldif.Entry) error {
			if code, ok := r.check(); !ok {
				res.code = code
				return errStop
			}
			entries = append(entries, trim(project(e, r.sel), r.req.typesOnly))
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			res.code, res.diag = storeCode(err)
			return res
		}
		if res.code != 0 {
			return res
		}
		if keys != nil {
			// RFC 2891 1.2: a sort the server cannot do fails the search
			// when the control is critical, and is skipped otherwise.
			code, diag := resultSuccess, ""
			if err := SortEntries(entries, keys); err != nil {
				code, diag = resultInappropriateMatching, err.Error()
			}
			sortResult := &gldap.ControlString{ControlType: controlSortResult, ControlValue: string(EncodeSortResult(code, ""))}
			if code != resultSuccess && critical {
				return searchResult{code: resultUnavailableCriticalExt, diag: diag, controls: []gldap.Control{sortResult}}
			}
			res.controls = append(res.controls, sortResult)
		}
	}
	n := len(entries)
	if paging != nil && paging.PagingSize > 0 && int(paging.PagingSize) < n {
		n = int(paging.PagingSize)
	}
	for _, e := range entries[:n] {
		if code, ok := r.check(); !ok {
			res.code = code
			return res
		}
		if limit > 0 && int64(res.sent) >= limit {
			res.code = resultSizeLimitExceeded
			return res
		}
		if err := send(e); err != nil {
			res.code = resultOther
			return res
		}
		res.sent++
	}
	if paging != nil {
		var next []byte
		if rest := entries[n:]; len(rest) > 0 {
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
			se.pages[string(next)] = &pagedSearch{filter: r.req.filter, base: r.req.base, entries: rest, created: time.Now()}
			se.pagesMu.Unlock()
		}
		res.controls = append(res.controls, pagingControl(next))
	}
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
