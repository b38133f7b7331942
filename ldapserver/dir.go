package ldapserver

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/store/ldif"
)

// directory is the tree the server serves and the rules of who sees and
// changes what. The gateway and the engine both call it.
type directory struct {
	store  store.Directory
	writer store.DirectoryWriter // nil: the backend is read-only
	policy *acl.Policy
	cfg    Config

	root, users, groups    string // DNs as configured
	rootN, usersN, groupsN string // normalised
	base                   []*ldif.Entry
	started                time.Time
	structureOnce          sync.Once
	structure              [tGroup + 1]*ldif.Entry

	// accesses caches what bound users may read by the sections of the
	// policy that matched them (the policy never changes): it is the
	// same for every user with the same sections, and computing it cost
	// more than the search that follows a bind.
	accesses     sync.Map // sections joined by "\x00" -> *access
	accessesSize atomic.Int64
}

// maxAccesses bounds the cached accesses; when full, the cache starts over.
const maxAccesses = 256

func newDirectory(cfg Config, st store.Directory, policy *acl.Policy) (*directory, error) {
	if policy == nil {
		return nil, errors.New("ldapserver: no permission policy")
	}
	d := &directory{store: st, policy: policy, cfg: cfg, root: cfg.RootDN, started: time.Now().UTC()}
	d.writer, _ = st.(store.DirectoryWriter)
	d.users, d.groups = schemas.Bases(cfg.RootDN)
	var err error
	if d.rootN, err = schemas.NormalizeDN(d.root); err != nil || d.root == "" {
		return nil, fmt.Errorf("ldapserver: root DN %q: %v", cfg.RootDN, err)
	}
	d.usersN, _ = schemas.NormalizeDN(d.users)
	d.groupsN, _ = schemas.NormalizeDN(d.groups)
	if d.base, err = schemas.BaseEntries(d.root); err != nil {
		return nil, fmt.Errorf("ldapserver: %w", err)
	}
	return d, nil
}

// targetKind is what a DN names.
type targetKind int

const (
	tNone targetKind = iota // outside the tree, or missing
	tRootDSE
	tSubschema
	tRoot
	tUsers
	tGroups
	tUser
	tGroup
)

// target is a resolved DN.
type target struct {
	kind targetKind
	name string // user or group name for tUser/tGroup
	// matched is the DN of the deepest existing ancestor of a missing
	// entry (for noSuchObject's matchedDN).
	matched string
}

// errInvalidDN reports a DN that does not parse (invalidDNSyntax).
var errInvalidDN = errors.New("invalid DN syntax")

// resolve says what dn names, without reading the store.
func (d *directory) resolve(dn string) (target, error) {
	if strings.TrimSpace(dn) == "" {
		return target{kind: tRootDSE}, nil
	}
	// The bases as configured, the common case, without parsing.
	switch {
	case strings.EqualFold(dn, d.users):
		return target{kind: tUsers}, nil
	case strings.EqualFold(dn, d.groups):
		return target{kind: tGroups}, nil
	case strings.EqualFold(dn, d.root):
		return target{kind: tRoot}, nil
	}
	if name, ok := d.plainUserDN(dn); ok {
		return target{kind: tUser, name: name, matched: d.users}, nil
	}
	norm, err := schemas.NormalizeDN(dn)
	if err != nil {
		return target{}, errInvalidDN
	}
	switch norm {
	case "cn=subschema":
		return target{kind: tSubschema}, nil
	case d.rootN:
		return target{kind: tRoot}, nil
	case d.usersN:
		return target{kind: tUsers}, nil
	case d.groupsN:
		return target{kind: tGroups}, nil
	}
	parsed, err := ldap.ParseDN(dn)
	if err != nil || len(parsed.RDNs) == 0 {
		return target{}, errInvalidDN
	}
	parent := &ldap.DN{RDNs: parsed.RDNs[1:]}
	parentN, _ := schemas.NormalizeDN(parent.String())
	rdn := parsed.RDNs[0]
	single := func(typ string) (string, bool) {
		if len(rdn.Attributes) != 1 || schemas.CanonicalAttribute(rdn.Attributes[0].Type) != typ {
			return "", false
		}
		return rdn.Attributes[0].Value, true
	}
	switch parentN {
	case d.usersN:
		if name, ok := single("uid"); ok {
			return target{kind: tUser, name: name, matched: d.users}, nil
		}
		return target{matched: d.users}, nil
	case d.groupsN:
		if name, ok := single("cn"); ok {
			return target{kind: tGroup, name: name, matched: d.groups}, nil
		}
		return target{matched: d.groups}, nil
	}
	if strings.HasSuffix(norm, ","+d.rootN) {
		return target{matched: d.closest(norm)}, nil
	}
	return target{}, nil
}

// plainUserDN recognises "uid=NAME,<users base>" without escapes or
// spaces, as clients almost always write it, without parsing the DN.
func (d *directory) plainUserDN(dn string) (string, bool) {
	if len(dn) <= len(d.users)+5 || !strings.EqualFold(dn[:4], "uid=") {
		return "", false
	}
	rest := dn[4:]
	comma := strings.IndexByte(rest, ',')
	if comma <= 0 || !strings.EqualFold(rest[comma+1:], d.users) {
		return "", false
	}
	name := rest[:comma]
	if strings.ContainsAny(name, "\\+=\"<>;# ") || store.ValidUserName(name) != "" {
		return "", false
	}
	return name, true
}

// closest returns the deepest existing structural ancestor of a DN under
// the root.
func (d *directory) closest(norm string) string {
	switch {
	case strings.HasSuffix(norm, ","+d.usersN):
		return d.users
	case strings.HasSuffix(norm, ","+d.groupsN):
		return d.groups
	}
	return d.root
}

// userDN and groupDN name entries.
func (d *directory) userDN(name string) string  { return schemas.UserDN(name, d.users) }
func (d *directory) groupDN(name string) string { return schemas.GroupDN(name, d.groups) }

// access is what an identity may read.
type access struct {
	whole     bool            // every entry (ldap_read, or anonymous reading)
	users     bool            // every user (manage_users)
	groups    bool            // every group (manage_all_groups)
	selfID    string          // the bound user's own entry
	selfAttrs map[string]bool // LDAP attributes readable on it (lower-case canonical)
	passwords bool            // userPassword and failure times
	bound     bool
	selfMask  slotMask // the slots of its own entry the bound user may read (see userMask)
}

func (d *directory) access(who identity) access {
	if who.acc != nil {
		return *who.acc
	}
	a := access{selfID: who.userID, bound: who.userID != ""}
	if !a.bound {
		a.whole = d.cfg.AnonymousRead
		return a
	}
	key := strings.Join(who.rights.Sections, "\x00")
	if t, ok := d.accesses.Load(key); ok {
		a = *t.(*access) // selfAttrs is shared, and never written
		a.selfID, a.bound = who.userID, true
		return a
	}
	r := who.rights
	a.whole = r.Can(acl.LDAPRead)
	a.users = r.Can(acl.ManageUsers)
	a.groups = r.Can(acl.ManageAllGroups)
	a.passwords = r.Can(acl.ManageUsers)
	a.selfAttrs = map[string]bool{"objectclass": true, "uid": true}
	for _, model := range acl.Attributes {
		if r.CanRead(model) {
			for _, name := range schemas.UserAttributes.ModelToLDAP(model) {
				a.selfAttrs[strings.ToLower(schemas.CanonicalAttribute(name))] = true
			}
		}
	}
	a.selfMask = a.selfSlots()
	if d.accessesSize.Add(1) > maxAccesses {
		d.accesses.Clear()
		d.accessesSize.Store(1)
	}
	t := a
	t.selfID = ""
	d.accesses.Store(key, &t)
	return a
}

// canSeeUser and canSeeGroup decide whether an entry is visible at all.
func (a access) canSeeUser(id string) bool { return a.whole || a.users || (a.bound && id == a.selfID) }
func (a access) canSeeGroup() bool         { return a.whole || a.groups }
func (a access) canSeeStructure() bool     { return a.whole || a.bound }

// privateAttrs are readable only with passwords (manage_users).
var privateAttrs = map[string]bool{"userpassword": true, "pwdfailuretime": true}

// readable reports whether attribute attr (canonical name) of a user
// entry may be read.
func (a access) readable(userID, attr string) bool {
	attr = strings.ToLower(attr)
	if privateAttrs[attr] {
		return a.passwords
	}
	if a.whole || a.users {
		return true
	}
	if userID == a.selfID {
		return a.selfAttrs[attr] || isOperational(attr)
	}
	return false
}

// isOperational reports the operational attributes, returned only for
// "+" or by name. memberOf is operational in OpenLDAP's schema but served
// as a user attribute, as DESIGN.md lists it and applications expect.
func isOperational(attr string) bool {
	if strings.EqualFold(attr, "memberOf") {
		return false
	}
	at, ok := schemas.LookupAttribute(attr)
	return ok && at.Operational()
}

// userEntry builds the full entry of a user, as a reader allowed to see
// everything would get it (callers filter attributes). withPhoto reads
// the photo.
func (d *directory) userEntry(ctx context.Context, u *store.User, withPhoto bool) *ldif.Entry {
	return d.userEntryOnly(ctx, u, withPhoto, nil)
}

// userEntryOnly is userEntry limited to the attributes want accepts (nil:
// all).
func (d *directory) userEntryOnly(ctx context.Context, u *store.User, withPhoto bool, want func(string) bool) *ldif.Entry {
	var photo []byte
	if withPhoto && u.HasPhoto {
		photo, _ = d.store.UserPhoto(ctx, u.ID)
	}
	e := schemas.UserToEntry(u, photo, schemas.Options{UsersBase: d.users, GroupsBase: d.groups,
		WithPassword: true, Operational: true, PasswordPolicy: true, MemberOf: true, Want: want})
	return d.addOperational(e, "inetOrgPerson", false)
}

// userEntryAttributes are the attributes userEntry may write, lower-case.
var userEntryAttributes = map[string]bool{}

func init() {
	for _, a := range []string{"objectClass", "uid", "cn", "sn", "givenName", "displayName", "mail",
		"telephoneNumber", "postalAddress", "street", "postalCode", "l", "st", "jpegPhoto",
		"labeledURI", "title", "o", "departmentNumber", "employeeNumber", "preferredLanguage",
		"uidNumber", "gidNumber", "homeDirectory", "loginShell", "userPassword", "memberOf",
		"entryUUID", "createTimestamp", "modifyTimestamp", "pwdChangedTime", "pwdEndTime",
		"pwdFailureTime"} {
		userEntryAttributes[strings.ToLower(a)] = true
	}
}

func (d *directory) groupEntry(g *store.Group) *ldif.Entry {
	e := schemas.GroupToEntry(g, schemas.Options{UsersBase: d.users, GroupsBase: d.groups, Operational: true})
	return d.addOperational(e, "groupOfNames", false)
}

// addOperational appends entryDN, hasSubordinates, subschemaSubentry and
// structuralObjectClass.
func (d *directory) addOperational(e *ldif.Entry, structural string, children bool) *ldif.Entry {
	sub := "FALSE"
	if children {
		sub = "TRUE"
	}
	e.Attributes = append(e.Attributes,
		ldif.Attribute{Name: "structuralObjectClass", Values: [][]byte{[]byte(structural)}},
		ldif.Attribute{Name: "entryDN", Values: [][]byte{[]byte(e.DN)}},
		ldif.Attribute{Name: "hasSubordinates", Values: [][]byte{[]byte(sub)}},
		ldif.Attribute{Name: "subschemaSubentry", Values: [][]byte{[]byte(schemas.SubschemaDN)}})
	return e
}

// structureEntry returns the root or one of the two organizational units.
// They never change: they are built once and shared (callers do not
// modify entries).
func (d *directory) structureEntry(k targetKind) *ldif.Entry {
	d.structureOnce.Do(func() {
		for _, k := range []targetKind{tRoot, tUsers, tGroups} {
			d.structure[k] = d.buildStructureEntry(k)
		}
	})
	return d.structure[k]
}

func (d *directory) buildStructureEntry(k targetKind) *ldif.Entry {
	var e ldif.Entry
	switch k {
	case tRoot:
		e = *d.base[0]
	case tUsers:
		e = *d.base[1]
	default:
		e = *d.base[2]
	}
	e.Attributes = append([]ldif.Attribute(nil), e.Attributes...)
	structural := "organizationalUnit"
	if k == tRoot {
		structural = "organization"
	}
	stamp := []byte(schemas.FormatTime(d.started))
	e.Attributes = append(e.Attributes,
		ldif.Attribute{Name: "createTimestamp", Values: [][]byte{stamp}},
		ldif.Attribute{Name: "modifyTimestamp", Values: [][]byte{stamp}})
	return d.addOperational(&e, structural, true)
}

// rootDSE describes the server (RFC 4512 5.1).
func (d *directory) rootDSE() *ldif.Entry {
	vals := func(vs ...string) [][]byte {
		out := make([][]byte, len(vs))
		for i, v := range vs {
			out[i] = []byte(v)
		}
		return out
	}
	ext := []string{oidWhoAmI, oidPasswordModify}
	if d.cfg.TLS != nil {
		ext = append([]string{oidStartTLS}, ext...)
	}
	return &ldif.Entry{DN: "", Attributes: []ldif.Attribute{
		{Name: "objectClass", Values: vals("top", "extensibleObject")},
		{Name: "namingContexts", Values: vals(d.root)},
		{Name: "supportedLDAPVersion", Values: vals("3")},
		{Name: "supportedExtension", Values: vals(ext...)},
		{Name: "supportedControl", Values: vals(controlPaging, controlSort, controlManageDsaIT)},
		{Name: "supportedFeatures", Values: vals("1.3.6.1.4.1.4203.1.5.1", "1.3.6.1.4.1.4203.1.5.2",
			"1.3.6.1.4.1.4203.1.5.3", "1.3.6.1.1.14")},
		{Name: "supportedSASLMechanisms"},
		{Name: "vendorName", Values: vals("Canaille")},
		{Name: "vendorVersion", Values: vals("canaille " + d.cfg.VendorVersion)},
		{Name: "subschemaSubentry", Values: vals(schemas.SubschemaDN)},
		{Name: "entryDN", Values: vals("")},
	}}
}

// Control OIDs.
const (
	controlPaging      = "1.2.840.113556.1.4.319"
	controlSort        = "1.2.840.113556.1.4.473"
	controlSortResult  = "1.2.840.113556.1.4.474"
	controlManageDsaIT = "2.16.840.1.113730.3.4.2"
)

func valuesOf(vs [][]byte) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// storeCode maps a store error to an LDAP result code and a message for
// the client (the one place where this translation happens).
func storeCode(err error) (int, string) {
	var ve *store.ValidationError
	switch {
	case err == nil:
		return resultSuccess, ""
	case errors.Is(err, store.ErrNotFound):
		return resultNoSuchObject, "no such object"
	case errors.Is(err, store.ErrExists):
		return resultEntryAlreadyExists, clientMessage(err)
	case errors.Is(err, store.ErrReadOnly):
		return resultUnwillingToPerform, "the directory is read-only"
	case errors.Is(err, store.ErrExhausted):
		return resultUnwillingToPerform, "no free uid or gid number is left"
	case errors.Is(err, store.ErrConflict):
		return resultBusy, "concurrent modification, retry"
	case errors.As(err, &ve):
		return resultConstraintViolation, clientMessage(err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return resultUnavailable, "cancelled"
	}
	return resultOther, "internal error"
}

// clientMessage drops the package prefixes of a store error.
func clientMessage(err error) string {
	msg := err.Error()
	for _, p := range []string{"bolt: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}

// User private groups. By default each user's gidNumber is its own uid
// number (store.POSIXDefaults.PrimaryGID = 0), as Kanidm and FreeIPA do;
// NSS clients then look that gid up as a group. The server answers with a
// computed posixGroup named after the user, which exists as long as the
// user does, holds no members (the user belongs to it through its
// gidNumber) and cannot be written. A real group with the same gid or name
// takes precedence.

// hasPrivateGroup reports whether u's gid is its own uid.
func hasPrivateGroup(u *store.User) bool { return u.UIDNumber != 0 && u.GIDNumber == u.UIDNumber }

// privateGroupOwner returns the user whose private group is named name,
// when no real group shadows it.
func (d *directory) privateGroupOwner(ctx context.Context, name string) (store.User, bool) {
	u, err := d.store.GetUserByName(ctx, name)
	if err != nil || !hasPrivateGroup(&u) {
		return store.User{}, false
	}
	if _, err := d.store.GetGroupByGIDNumber(ctx, u.GIDNumber); err == nil {
		return store.User{}, false
	}
	return u, true
}

// privateGroupEntry is the computed group entry of a user.
func (d *directory) privateGroupEntry(u *store.User) *ldif.Entry {
	vals := func(v string) [][]byte { return [][]byte{[]byte(v)} }
	e := &ldif.Entry{DN: d.groupDN(u.UserName), Attributes: []ldif.Attribute{
		{Name: "objectClass", Values: [][]byte{[]byte("top"), []byte("posixGroup")}},
		{Name: "cn", Values: vals(u.UserName)},
		{Name: "gidNumber", Values: vals(strconv.FormatUint(uint64(u.GIDNumber), 10))},
		{Name: "description", Values: vals("Private group of user " + u.UserName)},
		{Name: "createTimestamp", Values: vals(schemas.FormatTime(u.Created))},
		{Name: "modifyTimestamp", Values: vals(schemas.FormatTime(u.Created))},
	}}
	return d.addOperational(e, "posixGroup", false)
}

// plainUserDNOf is userDN(name), without escaping names that need none.
func (d *directory) plainUserDNOf(name string) string {
	if name == "" || d.users == "" {
		return d.userDN(name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '@') {
			return d.userDN(name)
		}
	}
	return "uid=" + name + "," + d.users
}
