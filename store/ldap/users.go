package ldap

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/ldif"
	"github.com/canaille-go/canaille/store/password"
)

// userAttrs are the attributes read for a user: every user attribute and
// the operational ones of the mapping.
var userAttrs = []string{"*", "entryUUID", "createTimestamp", "modifyTimestamp", "pwdChangedTime", "pwdEndTime",
	"pwdAccountLockedTime", "pwdFailureTime", "memberOf", "entryCSN"}

// userRecord is a user read from the directory with its DN and entry.
type userRecord struct {
	dn    string
	entry *ldif.Entry
	user  store.User
}

// userFilter selects user entries (every USER_CLASS) and the extra filters.
func (d *Directory) userFilter(extra ...string) string {
	var fs []string
	for _, c := range d.cfg.UserClass {
		fs = append(fs, eq("objectClass", c))
	}
	return and(append(fs, extra...)...)
}

// userFromEntry maps an entry through package schemas.
func (d *Directory) userFromEntry(e *ldap.Entry) (userRecord, error) {
	le := toLDIF(e)
	imp, err := schemas.UserFromEntry(le)
	if err != nil {
		return userRecord{}, fmt.Errorf("ldap: user %s: %w", e.DN, err)
	}
	u := imp.User
	if u.ID == "" {
		return userRecord{}, fmt.Errorf("ldap: user %s: no entryUUID", e.DN)
	}
	if imp.Cleartext != "" {
		// A cleartext userPassword: the server can still bind with it,
		// but it is no hash and is not handed out.
		u.PasswordHash = "{CLEARTEXT}"
	}
	if d.features.OTP {
		schemas.OTPFromEntry(le, &u)
	}
	// modifyTimestamp has whole seconds; OpenLDAP's entryCSN starts with
	// the same instant in microseconds, which keeps "most recently
	// modified" orders exact.
	if csn, _, ok := strings.Cut(le.First("entryCSN"), "#"); ok {
		if t, err := schemas.ParseTime(csn); err == nil && t.Truncate(time.Second).Equal(u.LastModified) {
			u.LastModified = t
		}
	}
	return userRecord{dn: e.DN, entry: le, user: u}, nil
}

// findUsers returns the users matching filter (ANDed with the user
// classes), without their groups.
func (d *Directory) findUsers(ctx context.Context, filter string, attrs []string) ([]userRecord, error) {
	if attrs == nil {
		attrs = userAttrs
	}
	entries, err := d.search(ctx, d.cfg.UserBase, ldap.ScopeWholeSubtree, d.userFilter(filter), attrs)
	if err != nil {
		return nil, err
	}
	out := make([]userRecord, 0, len(entries))
	for _, e := range entries {
		r, err := d.userFromEntry(e)
		if err != nil {
			continue // not a usable user: skipped, as listings of a foreign directory must go on
		}
		out = append(out, r)
	}
	return out, nil
}

// findUser returns the one user matching filter, with its groups, and
// keeps it in the read cache.
func (d *Directory) findUser(ctx context.Context, what, filter string) (userRecord, error) {
	gen := d.cache.generation()
	rs, err := d.findUsers(ctx, filter, nil)
	if err != nil {
		return userRecord{}, err
	}
	if len(rs) == 0 {
		return userRecord{}, fmt.Errorf("ldap: user %s: %w", what, store.ErrNotFound)
	}
	r := rs[0]
	if r.user.Groups, err = d.groupsOf(ctx, r); err != nil {
		return userRecord{}, err
	}
	d.cache.putUser(gen, r)
	return r, nil
}

// cachedUser returns the user of the read cache under key, or finds it
// with filter.
func (d *Directory) cachedUser(ctx context.Context, key, what, filter string) (store.User, error) {
	if r, ok := d.cache.user(key); ok {
		return r.user, nil
	}
	r, err := d.findUser(ctx, what, filter)
	return r.user, err
}

// userByID finds a user by its ID (entryUUID).
func (d *Directory) userByID(ctx context.Context, id string) (userRecord, error) {
	uuid := schemas.CanonicalUUID(id)
	if uuid == "" {
		return userRecord{}, fmt.Errorf("ldap: user %q: %w", id, store.ErrNotFound)
	}
	return d.findUser(ctx, strconv.Quote(id), eq("entryUUID", uuid))
}

// GetUser finds a user by ID, through the read cache (cache.go).
func (d *Directory) GetUser(ctx context.Context, id string) (store.User, error) {
	uuid := schemas.CanonicalUUID(id)
	if uuid == "" {
		return store.User{}, fmt.Errorf("ldap: user %q: %w", id, store.ErrNotFound)
	}
	return d.cachedUser(ctx, userIDKey(uuid), strconv.Quote(id), eq("entryUUID", uuid))
}

// GetUserByName finds a user by user_name (uid, case-insensitively),
// through the read cache.
func (d *Directory) GetUserByName(ctx context.Context, userName string) (store.User, error) {
	if userName == "" {
		return store.User{}, fmt.Errorf("ldap: user %q: %w", userName, store.ErrNotFound)
	}
	return d.cachedUser(ctx, userNameKey(userName), strconv.Quote(userName), eq("uid", userName))
}

// GetUserByEmail finds the user holding this address.
func (d *Directory) GetUserByEmail(ctx context.Context, email string) (store.User, error) {
	if email == "" {
		return store.User{}, fmt.Errorf("ldap: user with email %q: %w", email, store.ErrNotFound)
	}
	r, err := d.findUser(ctx, "with email "+strconv.Quote(email), eq("mail", email))
	return r.user, err
}

// GetUserByUIDNumber finds a user by uid number.
func (d *Directory) GetUserByUIDNumber(ctx context.Context, uid uint32) (store.User, error) {
	r, err := d.findUser(ctx, fmt.Sprintf("with uid number %d", uid), eq("uidNumber", strconv.FormatUint(uint64(uid), 10)))
	return r.user, err
}

// searchFilter is the substring filter of UserQuery.Search.
func searchFilter(s string, attrs ...string) string {
	if s == "" {
		return ""
	}
	v := ldap.EscapeFilter(s)
	var b strings.Builder
	b.WriteString("(|")
	for _, a := range attrs {
		b.WriteString("(" + a + "=*" + v + "*)")
	}
	b.WriteString(")")
	return b.String()
}

// ListUsers returns users sorted by user_name, case-insensitively. The
// search, sort and paging are done here: one search for the users and one
// for the groups.
func (d *Directory) ListUsers(ctx context.Context, q store.UserQuery) ([]store.User, error) {
	var filter []string
	if f := searchFilter(q.Search, "uid", "cn", "sn", "givenName", "displayName", "mail"); f != "" {
		filter = append(filter, f)
	}
	rs, err := d.findUsers(ctx, strings.Join(filter, ""), nil)
	if err != nil {
		return nil, err
	}
	if q.Search != "" && strings.ContainsRune(q.Search, 0) {
		return nil, nil
	}
	slices.SortFunc(rs, func(a, b userRecord) int { return compareFold(a.user.UserName, b.user.UserName) })
	if q.After != "" {
		i := 0
		for i < len(rs) && compareFold(rs[i].user.UserName, q.After) <= 0 {
			i++
		}
		rs = rs[i:]
	}
	if q.Limit > 0 && len(rs) > q.Limit {
		rs = rs[:q.Limit]
	}
	if err := d.fillGroups(ctx, rs); err != nil {
		return nil, err
	}
	out := make([]store.User, len(rs))
	for i := range rs {
		out[i] = rs[i].user
	}
	return out, nil
}

func compareFold(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }

// CountUsers counts the user entries.
func (d *Directory) CountUsers(ctx context.Context) (int, error) {
	es, err := d.search(ctx, d.cfg.UserBase, ldap.ScopeWholeSubtree, d.userFilter("(uid=*)"), []string{"1.1"})
	return len(es), err
}

// UserPhoto returns the jpegPhoto of a user.
func (d *Directory) UserPhoto(ctx context.Context, userID string) ([]byte, error) {
	r, err := d.userByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	p := r.entry.Get("jpegPhoto")
	if len(p) == 0 || len(p[0]) == 0 {
		return nil, fmt.Errorf("ldap: photo of user %q: %w", userID, store.ErrNotFound)
	}
	return bytes.Clone(p[0]), nil
}

// userEntry builds the DN and attributes of u (without jpegPhoto).
func (d *Directory) userEntry(u *store.User) (string, []ldif.Attribute) {
	le := schemas.UserToEntry(u, nil, schemas.Options{UsersBase: d.cfg.UserBase, GroupsBase: d.cfg.GroupBase,
		WithPassword: u.PasswordHash != ""})
	attrs := le.Attributes
	classes := attrs[0].Values
	add := func(c string) {
		if !slices.ContainsFunc(classes, func(v []byte) bool { return strings.EqualFold(string(v), c) }) {
			classes = append(classes, []byte(c))
		}
	}
	for _, c := range d.cfg.UserClass {
		add(c)
	}
	if d.features.OTP {
		if otp, ok := schemas.OTPAttributes(u); ok {
			add(schemas.OTPClass)
			attrs = append(attrs, otp...)
		}
	}
	attrs[0].Values = classes
	if !u.LockDate.IsZero() && d.features.PPolicy {
		attrs = append(attrs, ldif.Attribute{Name: "pwdEndTime", Values: [][]byte{[]byte(schemas.FormatTime(u.LockDate))}})
	}
	dn := le.DN
	if !strings.EqualFold(d.cfg.UserRDN, "uid") {
		v := (&ldif.Entry{Attributes: attrs}).First(d.cfg.UserRDN)
		dn = d.cfg.UserRDN + "=" + ldap.EscapeDN(v) + "," + d.cfg.UserBase
	}
	return dn, attrs
}

// checkUser normalises and validates u for a write.
func (d *Directory) checkUser(u *store.User) error {
	u.Normalize()
	var es store.ValidationErrors
	if err := u.Validate(); err != nil {
		es, _ = err.(store.ValidationErrors)
	}
	if u.PasswordHash != "" {
		if _, err := password.Scheme(u.PasswordHash); err != nil || !password.IsHashed(u.PasswordHash) {
			es = append(es, &store.ValidationError{Field: "password", Reason: "must be a password hash the directory can verify"})
		}
	}
	if !u.LockDate.IsZero() && !d.features.PPolicy {
		es = append(es, &store.ValidationError{Field: "lock_date",
			Reason: "the directory has no ppolicy overlay (pwdEndTime), so accounts cannot be locked"})
	}
	if u.ID != "" && schemas.CanonicalUUID(u.ID) == "" {
		es = append(es, &store.ValidationError{Field: "id", Reason: "must be a UUID (it is the entryUUID)"})
	}
	if u.UserName != "" && strings.EqualFold(d.cfg.UserRDN, "mail") && len(u.Emails) == 0 {
		es = append(es, &store.ValidationError{Field: "emails", Reason: "required: USER_RDN is mail"})
	}
	if len(es) > 0 {
		return es
	}
	return nil
}

// conflicts looks for other users sharing u's unique values; exceptID is
// the user being updated.
func (d *Directory) conflicts(ctx context.Context, u *store.User, exceptID string) error {
	fs := []string{eq("uid", u.UserName)}
	for _, e := range u.Emails {
		fs = append(fs, eq("mail", e))
	}
	if u.UIDNumber != 0 {
		fs = append(fs, eq("uidNumber", strconv.FormatUint(uint64(u.UIDNumber), 10)))
	}
	if u.ID != "" && exceptID == "" {
		fs = append(fs, eq("entryUUID", schemas.CanonicalUUID(u.ID)))
	}
	holder, err := d.holder(ctx, d.cfg.UserBase, "(|"+strings.Join(fs, "")+")", exceptID)
	if err != nil || holder == "" {
		return err
	}
	return fmt.Errorf("ldap: user %q: name, email, uid number or ID held by %s: %w", u.UserName, holder, store.ErrExists)
}

// holder returns the DN of an entry under base matching filter other than
// the one whose entryUUID is exceptID, or "" when there is none: the
// uniqueness check of users and groups.
func (d *Directory) holder(ctx context.Context, base, filter, exceptID string) (string, error) {
	es, err := d.search(ctx, base, ldap.ScopeWholeSubtree, filter, []string{"entryUUID"})
	if err != nil {
		return "", err
	}
	for _, e := range es {
		if exceptID == "" || schemas.CanonicalUUID(e.GetAttributeValue("entryUUID")) != exceptID {
			return e.DN, nil
		}
	}
	return "", nil
}

// CreateUser adds a user entry. An empty ID lets the server make the
// entryUUID; an explicit one is written with the Relax Rules control.
// Uniqueness of names, emails and uid numbers is checked by a search before
// the add: two canaille nodes creating the same values at the same instant
// can both succeed unless the directory enforces uniqueness (slapo-unique
// on uid, mail and uidNumber is recommended for several nodes).
func (d *Directory) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	u = u.Clone()
	u.Groups, u.HasPhoto, u.PasswordFailureTimestamps, u.PasswordLastUpdate = nil, false, nil, time.Time{}
	if err := d.checkUser(&u); err != nil {
		return store.User{}, err
	}
	if u.ID != "" {
		u.ID = schemas.CanonicalUUID(u.ID)
	}
	d.allocMu.Lock()
	defer d.allocMu.Unlock()
	if err := d.conflicts(ctx, &u, ""); err != nil {
		return store.User{}, err
	}
	if err := d.fillPOSIX(ctx, &u); err != nil {
		return store.User{}, err
	}
	dn, err := d.addUser(ctx, &u)
	if err != nil {
		return store.User{}, err
	}
	r, err := d.findUser(ctx, dn, d.dnFilter(dn))
	return r.user, err
}

// dnFilter matches the entry with this DN (OpenLDAP's entryDN).
func (d *Directory) dnFilter(dn string) string { return eq("entryDN", dn) }

// addUser sends the add request of u.
func (d *Directory) addUser(ctx context.Context, u *store.User) (string, error) {
	dn, attrs := d.userEntry(u)
	var controls []ldap.Control
	if u.ID != "" {
		attrs = append(attrs, ldif.Attribute{Name: "entryUUID", Values: [][]byte{[]byte(u.ID)}})
		controls = append(controls, relax)
	} else if !u.LockDate.IsZero() {
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

func strs(vs [][]byte) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// managedUserAttrs are the attributes UpdateUser rewrites (jpegPhoto,
// memberOf, the server's pwd* attributes and userPassword are not).
func (d *Directory) managedUserAttrs() []string {
	names := []string{"objectClass"}
	for _, m := range schemas.UserAttributes {
		if m.Operational || m.ReadOnly || m.LDAP == "jpegPhoto" || m.LDAP == "userPassword" {
			continue
		}
		names = append(names, m.LDAP)
	}
	if d.features.PPolicy {
		names = append(names, "pwdEndTime")
	}
	if d.features.OTP {
		names = append(names, schemas.OTPAttributeNames...)
	}
	return names
}

// UpdateUser runs fn on the user and writes the attributes that changed
// (renaming the entry when its RDN value changes, and the member and owner
// values of its groups with it). LDAP has no transactions: a concurrent
// update of the same user between the read and the write is overwritten
// attribute by attribute (last writer wins).
func (d *Directory) UpdateUser(ctx context.Context, id string, fn func(*store.User) error) (store.User, error) {
	d.allocMu.Lock()
	defer d.allocMu.Unlock()
	old, err := d.userByID(ctx, id)
	if err != nil {
		return store.User{}, err
	}
	u := old.user.Clone()
	if err := fn(&u); err != nil {
		return store.User{}, err
	}
	u.ID, u.Created, u.Groups, u.HasPhoto = old.user.ID, old.user.Created, old.user.Groups, old.user.HasPhoto
	u.PasswordFailureTimestamps, u.PasswordLastUpdate = old.user.PasswordFailureTimestamps, old.user.PasswordLastUpdate
	passwordChanged := u.PasswordHash != old.user.PasswordHash
	if !passwordChanged {
		u.PasswordHash = "" // not rewritten, not checked
	}
	if err := d.checkUser(&u); err != nil {
		return store.User{}, err
	}
	if err := d.conflicts(ctx, &u, old.user.ID); err != nil {
		return store.User{}, err
	}
	if u.UIDNumber == 0 {
		u.UIDNumber = old.user.UIDNumber
	}
	if err := d.fillPOSIX(ctx, &u); err != nil {
		return store.User{}, err
	}
	newDN, attrs := d.userEntry(&u)
	dn := old.dn
	if newDN != old.dn {
		rdn := firstRDN(newDN)
		err := d.write(ctx, func(c *ldap.Conn) error {
			return c.ModifyDN(ldap.NewModifyDNRequest(old.dn, rdn, true, ""))
		})
		if isCode(err, ldap.LDAPResultEntryAlreadyExists) {
			return store.User{}, fmt.Errorf("ldap: rename %s: %w", old.dn, store.ErrExists)
		}
		if err != nil {
			return store.User{}, fmt.Errorf("ldap: rename %s: %w", old.dn, err)
		}
		dn = newDN
		d.refs.forget(old.user.ID, old.dn)
		if err := d.renameReferences(ctx, old.dn, newDN); err != nil {
			return store.User{}, err
		}
		if err := d.renameOAuthReferences(ctx, old.dn, newDN); err != nil {
			return store.User{}, err
		}
	}
	newEntry := &ldif.Entry{Attributes: attrs}
	req := ldap.NewModifyRequest(dn, nil)
	for _, name := range d.managedUserAttrs() {
		nv, ov := newEntry.Get(name), old.entry.Get(name)
		if equalValues(nv, ov, name == "objectClass") {
			continue
		}
		if len(nv) == 0 && len(ov) == 0 {
			continue
		}
		if name == "pwdEndTime" && len(req.Controls) == 0 {
			req.Controls = append(req.Controls, relax)
		}
		req.Replace(name, strs(nv))
	}
	if passwordChanged {
		req.Replace("userPassword", []string{u.PasswordHash})
	}
	if len(req.Changes) > 0 {
		if err := d.write(ctx, func(c *ldap.Conn) error { return c.Modify(req) }); err != nil {
			return store.User{}, fmt.Errorf("ldap: modify %s: %w", dn, err)
		}
	}
	r, err := d.findUser(ctx, dn, d.dnFilter(dn))
	return r.user, err
}

// firstRDN returns the first RDN of a DN built with escaped values.
func firstRDN(dn string) string {
	for i := 0; i < len(dn); i++ {
		switch dn[i] {
		case '\\':
			i++
		case ',':
			return dn[:i]
		}
	}
	return dn
}

// equalValues compares value lists: in order, or as sets for objectClass
// (case-insensitively).
func equalValues(a, b [][]byte, set bool) bool {
	if len(a) != len(b) {
		return false
	}
	if set {
		for _, v := range a {
			if !slices.ContainsFunc(b, func(w []byte) bool { return bytes.EqualFold(v, w) }) {
				return false
			}
		}
		return true
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// DeleteUser removes the user from its groups (as member and owner),
// deletes its sessions, tickets, consents, codes and tokens (the entries
// under ou=oauth whose oauthSubject names it), then deletes its entry.
func (d *Directory) DeleteUser(ctx context.Context, id string) error {
	r, err := d.userByID(ctx, id)
	if err != nil {
		return err
	}
	if err := d.dropReferences(ctx, r.dn); err != nil {
		return err
	}
	if err := d.deleteReferencing(ctx, eq("oauthSubject", r.dn)); err != nil {
		return err
	}
	defer d.refs.forget(r.user.ID, r.dn)
	err = d.write(ctx, func(c *ldap.Conn) error { return c.Del(ldap.NewDelRequest(r.dn, nil)) })
	if isCode(err, ldap.LDAPResultNoSuchObject) {
		return fmt.Errorf("ldap: delete user %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("ldap: delete %s: %w", r.dn, err)
	}
	return nil
}

// SetPassword changes the password with the Password Modify extended
// operation (RFC 3062), so that the server hashes it with its own scheme
// and its password policy applies (ppolicy clears pwdFailureTime and sets
// pwdChangedTime).
func (d *Directory) SetPassword(ctx context.Context, userID, pw string) error {
	r, err := d.userByID(ctx, userID)
	if err != nil {
		return err
	}
	err = d.write(ctx, func(c *ldap.Conn) error {
		_, err := c.PasswordModify(ldap.NewPasswordModifyRequest(r.dn, "", pw))
		return err
	})
	if err != nil {
		return fmt.Errorf("ldap: set the password of %s: %w", r.dn, err)
	}
	return nil
}

// SetUserPhoto replaces jpegPhoto; nil removes it.
func (d *Directory) SetUserPhoto(ctx context.Context, userID string, photo []byte) error {
	r, err := d.userByID(ctx, userID)
	if err != nil {
		return err
	}
	req := ldap.NewModifyRequest(r.dn, nil)
	if len(photo) == 0 {
		if len(r.entry.Get("jpegPhoto")) == 0 {
			return nil
		}
		req.Replace("jpegPhoto", nil)
	} else {
		req.Replace("jpegPhoto", []string{string(photo)})
	}
	if err := d.write(ctx, func(c *ldap.Conn) error { return c.Modify(req) }); err != nil {
		return fmt.Errorf("ldap: set the photo of %s: %w", r.dn, err)
	}
	return nil
}

// renameOAuthReferences rewrites the oauthSubject and canailleImpersonator
// values naming a renamed user under ou=oauth.
func (d *Directory) renameOAuthReferences(ctx context.Context, oldDN, newDN string) error {
	attrs := []string{"oauthSubject", "canailleImpersonator"}
	es, err := d.search(ctx, schemas.OAuthBranch+","+d.cfg.RootDN, ldap.ScopeWholeSubtree,
		"(|"+eq(attrs[0], oldDN)+eq(attrs[1], oldDN)+")", attrs)
	if err != nil {
		return err
	}
	for _, e := range es {
		req := ldap.NewModifyRequest(e.DN, nil)
		for _, a := range attrs {
			if hasDN(e.GetAttributeValues(a), oldDN) {
				req.Replace(a, []string{newDN})
			}
		}
		if len(req.Changes) == 0 {
			continue
		}
		err := d.write(ctx, func(c *ldap.Conn) error { return c.Modify(req) })
		if err != nil && !isCode(err, ldap.LDAPResultNoSuchObject) {
			return fmt.Errorf("ldap: rename references in %s: %w", e.DN, err)
		}
	}
	return nil
}
