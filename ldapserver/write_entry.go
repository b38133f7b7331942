package ldapserver

// The entries of writes: the schema rules of users and groups, and the
// RFC 4511 section 4.6 semantics of modifications on attribute values,
// compared with the equality rules search filters use.

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/jimlambrt/gldap"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store/ldif"
)

// kindRules are the schema rules of one kind of entry.
type kindRules struct {
	noun       string                 // "user" or "group"
	table      schemas.AttributeTable // the attributes with a model field
	rdn        string                 // the naming attribute
	structural []string               // accepted structural classes
	classes    []string               // every class canaille serves on it
}

var (
	userRules = &kindRules{noun: "user", table: schemas.UserAttributes, rdn: "uid",
		structural: []string{"inetOrgPerson", "organizationalPerson", "person"},
		classes:    []string{"top", "person", "organizationalPerson", "inetOrgPerson", "posixAccount", "shadowAccount"}}
	groupRules = &kindRules{noun: "group", table: schemas.GroupAttributes, rdn: "cn",
		structural: []string{"groupOfNames", "groupOfUniqueNames"},
		classes:    []string{"top", "groupOfNames", "groupOfUniqueNames", "posixGroup"}}
)

// isLockAttr reports the lock date attributes, the only operational ones
// clients may write (on users).
func isLockAttr(name string) bool {
	return strings.EqualFold(name, "pwdEndTime") || strings.EqualFold(name, "pwdAccountLockedTime")
}

// attribute checks an attribute description of a write, whatever its
// values: a known type (undefinedAttributeType), no option but ;binary
// (unwillingToPerform), not maintained by the server
// (constraintViolation).
func (k *kindRules) attribute(desc string) (*schemas.AttributeType, *writeError) {
	base, opts, _ := strings.Cut(desc, ";")
	at, ok := schemas.LookupAttribute(base)
	if !ok || base == "" {
		return nil, failf(resultUndefinedAttributeType, "unknown attribute type %s", desc)
	}
	if opts != "" {
		for o := range strings.SplitSeq(opts, ";") {
			if !strings.EqualFold(o, "binary") {
				return nil, failf(resultUnwillingToPerform, "attribute options such as %s are not supported", desc)
			}
		}
	}
	if k == userRules && isLockAttr(at.Name()) {
		return at, nil
	}
	if at.NoUserModification || at.Operational() {
		return nil, failf(resultConstraintViolation, "%s is maintained by the server and cannot be written", at.Name())
	}
	return at, nil
}

// model returns the model field of attribute type at on this kind of
// entry, and whether canaille stores it.
func (k *kindRules) model(at *schemas.AttributeType) (schemas.AttributeMap, bool) {
	m, ok := k.table.Lookup(at.Name())
	if !ok || m.ReadOnly || (m.Operational && !isLockAttr(m.LDAP)) {
		return m, false
	}
	return m, true
}

// checkClasses checks objectClass values: known classes
// (objectClassViolation), served on this kind of entry
// (unwillingToPerform), with a structural class of it
// (objectClassViolation). It returns the attributes the classes and their
// superclasses allow, in lower case.
func (k *kindRules) checkClasses(values [][]byte) (map[string]bool, *writeError) {
	allowed := map[string]bool{}
	structural := false
	var walk func(oc *schemas.ObjectClass)
	walk = func(oc *schemas.ObjectClass) {
		for _, a := range slices.Concat(oc.Must, oc.May) {
			allowed[strings.ToLower(a)] = true
		}
		for _, s := range oc.Sup {
			if sup, ok := schemas.LookupObjectClass(s); ok {
				walk(sup)
			}
		}
	}
	for _, v := range values {
		oc, ok := schemas.LookupObjectClass(strings.TrimSpace(string(v)))
		if !ok {
			return nil, failf(resultObjectClassViolation, "unknown object class %s", v)
		}
		if !containsFold(k.classes, oc.Name()) {
			return nil, failf(resultUnwillingToPerform, "canaille does not store the object class %s on %ss", oc.Name(), k.noun)
		}
		structural = structural || containsFold(k.structural, oc.Name())
		walk(oc)
	}
	if !structural {
		return nil, failf(resultObjectClassViolation, "a %s needs the object class %s", k.noun, strings.Join(k.structural, " or "))
	}
	return allowed, nil
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// checkValues checks the attributes names (lower case) of w after a
// write: allowed by the object classes (objectClassViolation), stored by
// canaille (unwillingToPerform), with a single value where the schema or
// the model has one (constraintViolation).
func (k *kindRules) checkValues(w *workEntry, names []string, allowed map[string]bool) *writeError {
	for _, lk := range names {
		a := w.attrs[lk]
		if a == nil || lk == "objectclass" {
			continue
		}
		name := a.at.Name()
		if !a.at.Operational() && !allowed[lk] {
			return failf(resultObjectClassViolation, "the object classes of this %s do not allow %s", k.noun, name)
		}
		m, ok := k.model(a.at)
		if !ok {
			return failf(resultUnwillingToPerform, "canaille does not store the attribute %s on %ss", name, k.noun)
		}
		switch {
		case len(a.values) > 1 && a.at.SingleValue:
			return failf(resultConstraintViolation, "%s takes a single value", name)
		case len(a.values) > 1 && !m.Multi:
			return failf(resultConstraintViolation, "canaille stores a single value of %s", name)
		}
		for _, v := range a.values {
			switch lk {
			case "labeleduri":
				if strings.ContainsAny(strings.TrimSpace(string(v)), " \t") {
					return failf(resultUnwillingToPerform, "canaille stores the URI of labeledURI, not a label")
				}
			case "uniquemember":
				if strings.HasSuffix(string(v), "'B") {
					return failf(resultUnwillingToPerform, "canaille does not store the optional UID of uniqueMember values")
				}
			}
		}
	}
	return nil
}

// checkRDN checks that the naming attribute of a new entry holds the
// value of its RDN (namingViolation).
func (k *kindRules) checkRDN(w *workEntry, rdnValue string) *writeError {
	a := w.attrs[strings.ToLower(k.rdn)]
	if a != nil && len(a.values) == 1 {
		if key, err := valueKey(a.at, []byte(rdnValue)); err == nil && a.keys()[0] == key {
			return nil
		}
	}
	return failf(resultNamingViolation, "the %s of the entry must be %q, the value of its RDN", k.rdn, rdnValue)
}

// workAttr is one attribute of an entry being written.
type workAttr struct {
	at     *schemas.AttributeType
	values [][]byte
	cache  []string // the values as the equality rule compares them
}

// keys returns the values as the equality rule compares them.
func (a *workAttr) keys() []string {
	if len(a.cache) != len(a.values) {
		a.cache = make([]string, len(a.values))
		for i, v := range a.values {
			k, err := valueKey(a.at, v)
			if err != nil {
				k = string(v)
			}
			a.cache[i] = k
		}
	}
	return a.cache
}

// workEntry is an entry while a write is checked: its attributes by
// lower-case canonical name, in order, and the values the changed ones
// had before.
type workEntry struct {
	dn     string
	order  []string
	attrs  map[string]*workAttr
	before map[string][][]byte // values before the first change; nil when absent
}

func newWorkEntry(dn string) *workEntry {
	return &workEntry{dn: dn, attrs: map[string]*workAttr{}, before: map[string][][]byte{}}
}

// workEntryOf copies an entry as the server serves it.
func workEntryOf(e *ldif.Entry) *workEntry {
	w := newWorkEntry(e.DN)
	for _, a := range e.Attributes {
		at, ok := schemas.LookupAttribute(a.Name)
		if !ok || len(a.Values) == 0 {
			continue
		}
		lk := strings.ToLower(at.Name())
		if w.attrs[lk] == nil {
			w.order = append(w.order, lk)
			w.attrs[lk] = &workAttr{at: at}
		}
		w.attrs[lk].values = append(w.attrs[lk].values, a.Values...)
	}
	return w
}

// entry returns the attributes as an ldif.Entry.
func (w *workEntry) entry() *ldif.Entry {
	e := &ldif.Entry{DN: w.dn}
	for _, lk := range w.order {
		if a := w.attrs[lk]; a != nil && len(a.values) > 0 {
			e.Attributes = append(e.Attributes, ldif.Attribute{Name: a.at.Name(), Values: a.values})
		}
	}
	return e
}

// values returns the values of an attribute (lower-case canonical name).
func (w *workEntry) values(lk string) [][]byte {
	if a := w.attrs[lk]; a != nil {
		return a.values
	}
	return nil
}

// touched returns the names of the changed attributes, in entry order.
func (w *workEntry) touched() []string {
	var out []string
	for _, lk := range w.order {
		if _, ok := w.before[lk]; ok {
			out = append(out, lk)
		}
	}
	return out
}

// changed reports whether the values of an attribute differ from those it
// had before the write, byte for byte and in any order.
func (w *workEntry) changed(lk string) bool {
	old, ok := w.before[lk]
	if !ok {
		return false
	}
	sorted := func(vs [][]byte) []string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = string(v)
		}
		slices.Sort(out)
		return out
	}
	return !slices.Equal(sorted(old), sorted(w.values(lk)))
}

// Modification operations (RFC 4511 4.6 and RFC 4525).
const (
	modAdd       = 0
	modDelete    = 1
	modReplace   = 2
	modIncrement = 3
)

// apply performs one modification with the semantics of RFC 4511 4.6,
// comparing values with the attribute's equality rule.
func (w *workEntry) apply(op int, at *schemas.AttributeType, vals [][]byte) *writeError {
	name := at.Name()
	lk := strings.ToLower(name)
	a := w.attrs[lk]
	if _, ok := w.before[lk]; !ok {
		var old [][]byte
		if a != nil {
			old = slices.Clone(a.values)
		}
		w.before[lk] = old
	}
	if a == nil {
		a = &workAttr{at: at}
		w.attrs[lk] = a
		w.order = append(w.order, lk)
	}
	keys, werr := valueKeys(at, vals)
	if werr != nil {
		return werr
	}
	switch op {
	case modAdd, modReplace:
		if op == modAdd && len(vals) == 0 {
			return failf(resultProtocolError, "%s: no value to add", name)
		}
		if i := firstDuplicate(keys); i >= 0 {
			return failf(resultAttributeOrValueExists, "%s: %s given twice", name, shown(at, vals[i]))
		}
		if op == modReplace {
			a.values, a.cache = nil, nil
		}
		old := a.keys()
		present := keySet(old)
		for i, k := range keys {
			if present[k] {
				return failf(resultAttributeOrValueExists, "%s: %s already exists", name, shown(at, vals[i]))
			}
		}
		a.values = append(slices.Clone(a.values), vals...)
		a.cache = append(slices.Clone(old), keys...)
	case modDelete:
		if len(a.values) == 0 {
			return failf(resultNoSuchAttribute, "%s: no such attribute", name)
		}
		if len(vals) == 0 {
			a.values, a.cache = nil, nil
			return nil
		}
		a.values, a.cache = slices.Clone(a.values), slices.Clone(a.keys())
		for i, k := range keys {
			j := slices.Index(a.cache, k)
			if j < 0 {
				return failf(resultNoSuchAttribute, "%s: %s is not present", name, shown(at, vals[i]))
			}
			a.values = slices.Delete(a.values, j, j+1)
			a.cache = slices.Delete(a.cache, j, j+1)
		}
	case modIncrement:
		return a.increment(vals)
	default:
		return failf(resultProtocolError, "unknown modify operation %d", op)
	}
	return nil
}

// increment adds a number to every value of an integer attribute (RFC
// 4525).
func (a *workAttr) increment(vals [][]byte) *writeError {
	name := a.at.Name()
	if !strings.EqualFold(a.at.Equality, "integerMatch") {
		return failf(resultInvalidAttributeSyntax, "%s is not an integer attribute: it cannot be incremented", name)
	}
	if len(vals) != 1 {
		return failf(resultProtocolError, "%s: an increment takes exactly one value", name)
	}
	if len(a.values) == 0 {
		return failf(resultNoSuchAttribute, "%s: no such attribute", name)
	}
	var delta big.Int
	if _, ok := delta.SetString(strings.TrimSpace(string(vals[0])), 10); !ok {
		return failf(resultInvalidAttributeSyntax, "%s: the increment is not an integer", name)
	}
	out := make([][]byte, len(a.values))
	for i, v := range a.values {
		var n big.Int
		if _, ok := n.SetString(strings.TrimSpace(string(v)), 10); !ok {
			return failf(resultInvalidAttributeSyntax, "%s: a value is not an integer", name)
		}
		out[i] = []byte(n.Add(&n, &delta).String())
	}
	a.values, a.cache = out, nil
	return nil
}

// valueKeys returns the keys of the values of a write, refusing empty
// values and values outside the attribute's syntax
// (invalidAttributeSyntax).
func valueKeys(at *schemas.AttributeType, vals [][]byte) ([]string, *writeError) {
	keys := make([]string, len(vals))
	for i, v := range vals {
		if len(v) == 0 {
			return nil, failf(resultInvalidAttributeSyntax, "%s: empty values are not allowed", at.Name())
		}
		k, err := valueKey(at, v)
		if err != nil {
			return nil, failf(resultInvalidAttributeSyntax, "%s: %s is %v", at.Name(), shown(at, v), err)
		}
		keys[i] = k
	}
	return keys, nil
}

// keySet returns the set of keys.
func keySet(keys []string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func firstDuplicate(keys []string) int {
	seen := make(map[string]bool, len(keys))
	for i, k := range keys {
		if seen[k] {
			return i
		}
		seen[k] = true
	}
	return -1
}

// shown quotes a value for a message, except secrets and binary data.
func shown(at *schemas.AttributeType, v []byte) string {
	switch strings.ToLower(at.Name()) {
	case "userpassword", "jpegphoto", "photo", "audio", "usercertificate", "userpkcs12", "usersmimecertificate":
		return "the value"
	}
	s := string(v)
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return fmt.Sprintf("value %q", s)
}

// ruleErrors complete "VALUE is …" for values an equality rule refuses.
var ruleErrors = map[string]string{
	"integerMatch": "not an integer", "distinguishedNameMatch": "not a DN", "uniqueMemberMatch": "not a DN",
	"generalizedTimeMatch": "not a generalized time", "UUIDMatch": "not a UUID",
	"booleanMatch": "not TRUE or FALSE", "objectIdentifierMatch": "not a name or an OID",
	"telephoneNumberMatch": "not a telephone number", "numericStringMatch": "not a numeric string",
}

// valueKey returns v as the equality rule of at compares it, the form
// search filters use (NormalizeValue), or an error for a value the rule
// refuses. Types without an equality rule compare bytes.
func valueKey(at *schemas.AttributeType, v []byte) (string, error) {
	if at.Equality == "" {
		return string(v), nil
	}
	if k, ok := NormalizeValue(at.Name(), v); ok {
		return k, nil
	}
	if msg, ok := ruleErrors[at.Equality]; ok {
		return "", errors.New(msg)
	}
	return "", errors.New("not valid UTF-8 text")
}

// newEntry checks the attributes of an AddRequest for an entry of this
// kind named by rdnValue, and returns the entry.
func (k *kindRules) newEntry(dn, rdnValue string, attrs []gldap.Attribute) (*workEntry, *writeError) {
	w := newWorkEntry(dn)
	for _, a := range attrs {
		at, werr := k.attribute(a.Type)
		if werr != nil {
			return nil, werr
		}
		if len(a.Vals) == 0 {
			return nil, failf(resultProtocolError, "%s: an attribute of an added entry needs a value", a.Type)
		}
		vals := make([][]byte, len(a.Vals))
		for i, v := range a.Vals {
			vals[i] = []byte(v)
		}
		if werr := w.apply(modAdd, at, vals); werr != nil {
			return nil, werr
		}
	}
	allowed, werr := k.checkClasses(w.values("objectclass"))
	if werr != nil {
		return nil, werr
	}
	if werr := k.checkValues(w, w.order, allowed); werr != nil {
		return nil, werr
	}
	return w, k.checkRDN(w, rdnValue)
}

// modifyEntry applies the changes of a ModifyRequest to the entry cur of
// this kind, checks the result, and returns it. The object classes and
// the naming attribute may not change.
func (k *kindRules) modifyEntry(cur *ldif.Entry, changes []change) (*workEntry, *writeError) {
	w := workEntryOf(cur)
	for _, c := range changes {
		at, werr := k.attribute(c.attr)
		if werr != nil {
			return nil, werr
		}
		if werr := w.apply(c.op, at, c.values); werr != nil {
			return nil, werr
		}
	}
	allowed, werr := k.checkClasses(w.values("objectclass"))
	if werr != nil {
		return nil, werr
	}
	if w.changed("objectclass") {
		old, _ := valueKeys(w.attrs["objectclass"].at, w.before["objectclass"])
		now := w.attrs["objectclass"].keys()
		if !sameSet(old, now) {
			return nil, failf(resultUnwillingToPerform, "canaille computes the object classes of a %s from its data: they cannot be changed", k.noun)
		}
	}
	if werr := k.checkValues(w, w.touched(), allowed); werr != nil {
		return nil, werr
	}
	if w.changed(strings.ToLower(k.rdn)) {
		return nil, failf(resultNotAllowedOnRDN, "%s is the RDN of the %s and cannot be modified: rename the entry with a modify DN request", k.rdn, k.noun)
	}
	return w, nil
}

func sameSet(a, b []string) bool {
	return !slices.ContainsFunc(a, func(s string) bool { return !slices.Contains(b, s) }) &&
		!slices.ContainsFunc(b, func(s string) bool { return !slices.Contains(a, s) })
}
