package schemas

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/canaille-go/canaille/store/ldif"
)

// Options choose what UserToEntry and GroupToEntry write.
type Options struct {
	// UsersBase and GroupsBase are the DNs under which users and groups
	// are written, such as "ou=users,dc=example,dc=org" (see Bases).
	UsersBase, GroupsBase string
	// WithPassword writes userPassword (the stored hash, verbatim). The
	// caller decides who may read it.
	WithPassword bool
	// NIS writes groups in the form stock OpenLDAP accepts with its nis
	// schema, where posixGroup is a STRUCTURAL class that cannot be
	// combined with groupOfNames: objectClass top and groupOfNames only,
	// without gidNumber and memberUid, and an empty group gets its own DN
	// as its only member (groupOfNames requires one). Without NIS, groups
	// are written in rfc2307bis form, as the built-in LDAP server serves
	// them: groupOfNames plus the auxiliary posixGroup (when the group has
	// a gid number) with gidNumber and memberUid, and no member at all for
	// an empty group.
	NIS bool
	// Operational writes entryUUID (see EntryUUID), createTimestamp and
	// modifyTimestamp. slapadd accepts them and keeps their values.
	Operational bool
	// PasswordPolicy writes pwdChangedTime, pwdEndTime (the lock date) and
	// pwdFailureTime for users. Those attribute types are defined by
	// OpenLDAP's ppolicy overlay: a server without it (moduleload ppolicy
	// and overlay ppolicy in the database) rejects the entries with
	// "attribute type undefined".
	PasswordPolicy bool
	// MemberOf writes memberOf on users, the DNs of User.Groups (by
	// Ref.Name), as the built-in LDAP server serves it. Exports leave it
	// out: OpenLDAP knows memberOf only with its memberof overlay, which
	// computes it from the groups.
	MemberOf bool
	// Want, when set, limits the entry to the attributes it accepts (by
	// the names entries are written with), so that a server building an
	// entry for a search computes only what the search needs.
	Want func(attr string) bool
}

// AttributeError reports an attribute whose values make an entry unusable.
// It never holds a userPassword value.
type AttributeError struct {
	Attribute string // the attribute's primary name, such as "uidNumber"
	Reason    string // what is wrong, without the value
	Err       error  // the underlying error, if any
}

// Error returns "schemas: <attribute>: <reason>[: <underlying error>]".
func (e *AttributeError) Error() string {
	s := "schemas: " + e.Attribute + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *AttributeError) Unwrap() error { return e.Err }

// reader gives the values of an entry's attributes by their primary names
// in a table, whichever name, alias or OID the entry uses. Attributes with
// options ("cn;lang-fr") and attributes outside the table are ignored.
type reader struct {
	vals     map[string][][]byte
	warnings []string
}

func newReader(e *ldif.Entry, t AttributeTable) *reader {
	r := &reader{vals: make(map[string][][]byte)}
	for _, a := range e.Attributes {
		if m, ok := t.Lookup(a.Name); ok {
			r.vals[m.LDAP] = append(r.vals[m.LDAP], a.Values...)
		}
	}
	return r
}

func (r *reader) warnf(format string, args ...any) {
	r.warnings = append(r.warnings, fmt.Sprintf(format, args...))
}

// all returns the non-empty values of attr as strings.
func (r *reader) all(attr string) []string {
	var out []string
	for _, v := range r.vals[attr] {
		if len(v) > 0 {
			out = append(out, string(v))
		}
	}
	return out
}

// one returns the first non-empty value of attr, and warns when there are
// several.
func (r *reader) one(attr string) string {
	vs := r.all(attr)
	if len(vs) == 0 {
		return ""
	}
	if len(vs) > 1 {
		r.warnf("several %s values: kept the first", attr)
	}
	return vs[0]
}

// number reads a uidNumber or gidNumber.
func (r *reader) number(attr string) (uint32, error) {
	v := strings.TrimSpace(r.one(attr))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, &AttributeError{Attribute: attr, Reason: "not a number between 0 and 4294967295"}
	}
	return uint32(n), nil
}

// time reads a single GeneralizedTime.
func (r *reader) time(attr string) (time.Time, error) {
	v := strings.TrimSpace(r.one(attr))
	if v == "" {
		return time.Time{}, nil
	}
	t, err := ParseTime(v)
	if err != nil {
		return time.Time{}, &AttributeError{Attribute: attr, Reason: "unparsable timestamp", Err: err}
	}
	return t, nil
}

// id reads entryUUID.
func (r *reader) id() string {
	v := strings.TrimSpace(r.one("entryUUID"))
	if v == "" {
		return ""
	}
	id := CanonicalUUID(v)
	if id == "" {
		r.warnf("entryUUID is not a UUID: ignored, a new ID is given")
	}
	return id
}

// builder assembles the attributes of an entry, skipping empty values.
type builder struct {
	attrs []ldif.Attribute
	want  func(string) bool
}

// wants reports whether the entry being built takes attribute name.
func (b *builder) wants(name string) bool { return b.want == nil || b.want(name) }

func (b *builder) add(name string, vs ...string) {
	if !b.wants(name) {
		return
	}
	var a ldif.Attribute
	if len(vs) > 1 {
		a.Values = make([][]byte, 0, len(vs))
	}
	for _, v := range vs {
		if v != "" {
			a.Values = append(a.Values, []byte(v))
		}
	}
	if len(a.Values) > 0 {
		a.Name = name
		b.attrs = append(b.attrs, a)
	}
}

func (b *builder) addNumber(name string, n uint32) {
	b.add(name, strconv.FormatUint(uint64(n), 10))
}

// distinct drops empty values and values equal to an earlier one under
// key, as LDAP refuses duplicate values in one attribute.
func distinct(vs []string, key func(string) string) []string {
	var out []string
	seen := make(map[string]bool, len(vs))
	for _, v := range vs {
		k := key(v)
		if v == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, v)
	}
	return out
}

// foldKey is the key of caseIgnoreMatch and caseIgnoreIA5Match.
func foldKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// phoneKey is the key of telephoneNumberMatch: case, spaces and hyphens are
// insignificant.
func phoneKey(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.ToLower(s))
}

// dnKey is the key of distinguishedNameMatch (NormalizeDN, or the value
// lower-cased when it does not parse).
func dnKey(dn string) string {
	if n, err := NormalizeDN(dn); err == nil {
		return n
	}
	return strings.ToLower(dn)
}
