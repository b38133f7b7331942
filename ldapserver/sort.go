package ldapserver

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	ber "github.com/go-asn1-ber/asn1-ber"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store/ldif"
)

// This file compares normalised values (see match.go): with the
// assertion of a filter item (equal, greater, less, substrings), and with
// each other for server-side sorting of search results (RFC 2891).

// SortKey is one key of a server-side sort request.
type SortKey struct {
	// Attribute is the attribute description to sort on, as requested.
	Attribute string
	// OrderingRule is the matching rule to order with, by name or OID;
	// "" stands for the attribute type's ORDERING rule.
	OrderingRule string
	// Reverse sorts in descending order.
	Reverse bool
}

// MaxSortKeys is the number of keys SortEntries accepts; RFC 2891 only
// requires one.
const MaxSortKeys = 8

// The sortResult codes of RFC 2891 section 1.2 that SortEntries returns.
const (
	SortAdminLimitExceeded    = 11 // more than MaxSortKeys keys
	SortNoSuchAttribute       = 16 // unknown attribute type
	SortInappropriateMatching = 18 // no ordering rule, or one that is unknown or does not apply
	SortUnwillingToPerform    = 53 // an attribute twice, or userPassword
)

// SortError says why SortEntries cannot sort: Code is the sortResult code
// to return in the response control, with Attribute (as requested) as its
// attributeType.
type SortError struct {
	Code      int
	Attribute string
	Reason    string
}

// Error returns "cannot sort on <attribute>: <reason>".
func (e *SortError) Error() string {
	return fmt.Sprintf("cannot sort on %s: %s", e.Attribute, e.Reason)
}

var errSortControl = errors.New("malformed server-side sort control value")

// ParseSortControl decodes the value of a sort request control
// (1.2.840.113556.1.4.473), the raw BER bytes gldap gives in
// ControlString.ControlValue:
//
//	SortKeyList ::= SEQUENCE OF SEQUENCE {
//	        attributeType   AttributeDescription,
//	        orderingRule    [0] MatchingRuleId OPTIONAL,
//	        reverseOrder    [1] BOOLEAN DEFAULT FALSE }
//
// It returns an error for a value that does not decode as that, or that
// holds no key; the server answers protocolError. Whether the keys can be
// used is for SortEntries to say.
func ParseSortControl(value []byte) ([]SortKey, error) {
	p, err := ber.ReadPacket(bytes.NewReader(value))
	if err != nil || p.Data == nil || len(value) != len(p.Bytes()) {
		return nil, errSortControl
	}
	if p.ClassType != ber.ClassUniversal || p.TagType != ber.TypeConstructed || p.Tag != ber.TagSequence || len(p.Children) == 0 {
		return nil, errSortControl
	}
	keys := make([]SortKey, 0, len(p.Children))
	for _, seq := range p.Children {
		if seq.ClassType != ber.ClassUniversal || seq.TagType != ber.TypeConstructed || seq.Tag != ber.TagSequence || len(seq.Children) == 0 {
			return nil, errSortControl
		}
		attr := seq.Children[0]
		if attr.ClassType != ber.ClassUniversal || attr.TagType != ber.TypePrimitive || attr.Tag != ber.TagOctetString || attr.Data.Len() == 0 {
			return nil, errSortControl
		}
		k := SortKey{Attribute: attr.Data.String()}
		next := 0
		for _, f := range seq.Children[1:] {
			if f.ClassType != ber.ClassContext || f.TagType != ber.TypePrimitive || int(f.Tag) < next || f.Tag > 1 {
				return nil, errSortControl
			}
			next = int(f.Tag) + 1
			switch f.Tag {
			case 0:
				k.OrderingRule = f.Data.String()
			case 1:
				if f.Data.Len() != 1 {
					return nil, errSortControl
				}
				k.Reverse = f.Data.Bytes()[0] != 0
			}
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// EncodeSortResult builds the value of a sort response control
// (1.2.840.113556.1.4.474): the sortResult code and, when attr is not "",
// the attributeType that caused the failure.
func EncodeSortResult(code int, attr string) []byte {
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "SortResult")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(code), "sortResult"))
	if attr != "" {
		p.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, attr, "attributeType"))
	}
	return p.Bytes()
}

// sortKeyPlan is a sort key resolved against the registry.
type sortKeyPlan struct {
	sel     fltItem // selects the attribute's values (type, subtypes, options)
	rule    mrRule
	reverse bool
}

// SortEntries sorts entries in place by keys, the first key the most
// significant, as RFC 2891 and OpenLDAP do: each key compares with its
// ordering rule (SortKey.OrderingRule, else the attribute type's ORDERING
// rule) the least value an entry holds of the attribute (its subtypes
// included); values invalid for the rule are ignored. An entry without a
// value sorts after those with one, so first in reverse order, since
// Reverse reverses the whole order of the key. Entries that compare equal
// keep their order.
//
// It returns a *SortError, and leaves entries as they were, for more than
// MaxSortKeys keys, an unknown attribute type, a type without an ordering
// rule (cn, uid and most strings have none, as in OpenLDAP), an unknown
// ordering rule or one that does not apply to the type, an attribute named
// twice, or userPassword (whose order would reveal something of the
// hashes).
func SortEntries(entries []*ldif.Entry, keys []SortKey) error {
	plans, err := sortPlans(keys)
	if err != nil {
		return err
	}
	type row struct {
		e    *ldif.Entry
		keys [][]byte // normal forms of the least values; nil when absent
	}
	rows := make([]row, len(entries))
	for i, e := range entries {
		rows[i] = row{e: e, keys: make([][]byte, len(plans))}
		for j := range plans {
			rows[i].keys[j] = plans[j].least(e)
		}
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		for j, p := range plans {
			ka, kb := a.keys[j], b.keys[j]
			c := 0
			switch {
			case ka == nil && kb == nil:
			case ka == nil:
				c = 1
			case kb == nil:
				c = -1
			default:
				c = mrCompare(p.rule, ka, kb)
			}
			if p.reverse {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	for i := range rows {
		entries[i] = rows[i].e
	}
	return nil
}

// sortPlans resolves the keys.
func sortPlans(keys []SortKey) ([]sortKeyPlan, error) {
	if len(keys) > MaxSortKeys {
		return nil, &SortError{Code: SortAdminLimitExceeded, Attribute: keys[MaxSortKeys].Attribute,
			Reason: fmt.Sprintf("more than %d sort keys", MaxSortKeys)}
	}
	plans := make([]sortKeyPlan, 0, len(keys))
	var seen []*schemas.AttributeType
	for _, k := range keys {
		fail := func(code int, reason string) error {
			return &SortError{Code: code, Attribute: k.Attribute, Reason: reason}
		}
		typ, opts, _ := strings.Cut(k.Attribute, ";")
		at, ok := schemas.LookupAttribute(typ)
		if !ok || !fltValidDescription(k.Attribute) {
			return nil, fail(SortNoSuchAttribute, "unknown attribute type")
		}
		if at.Name() == "userPassword" {
			return nil, fail(SortUnwillingToPerform, "userPassword cannot be sorted on")
		}
		if slices.Contains(seen, at) {
			return nil, fail(SortUnwillingToPerform, "the attribute is given twice")
		}
		seen = append(seen, at)
		name := at.Ordering
		if k.OrderingRule != "" {
			r, ok := schemas.LookupMatchingRule(k.OrderingRule)
			if !ok || r.Kind != schemas.OrderingRule || !r.AppliesTo(at) {
				return nil, fail(SortInappropriateMatching, "unknown ordering rule, or one that does not apply to the attribute")
			}
			name = r.Name
		}
		if name == "" {
			return nil, fail(SortInappropriateMatching, "the attribute has no ordering rule")
		}
		p := sortKeyPlan{rule: mrRules[name], reverse: k.Reverse}
		p.sel.names = fltTypeNames(at)
		if opts != "" {
			p.sel.options = strings.Split(strings.ToLower(opts), ";")
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// least returns the normal form of the least value of e the key sorts on,
// or nil when e has none that is valid for the rule.
func (p *sortKeyPlan) least(e *ldif.Entry) []byte {
	var best []byte
	for i := range e.Attributes {
		a := &e.Attributes[i]
		if !p.sel.selects(a.Name) {
			continue
		}
		for _, v := range a.Values {
			n, ok := mrNormalize(make([]byte, 0, len(v)+8), p.rule, v)
			if ok && (best == nil || mrCompare(p.rule, n, best) < 0) {
				best = n
			}
		}
	}
	return best
}

// mrCompare orders two normal forms of rule r.
func mrCompare(r mrRule, a, b []byte) int {
	if r == ruleInteger {
		return mrIntCompare(a, b)
	}
	return bytes.Compare(a, b)
}

// mrIntCompare compares two canonical integers numerically.
func mrIntCompare(a, b []byte) int {
	an, bn := len(a) > 0 && a[0] == '-', len(b) > 0 && b[0] == '-'
	switch {
	case an && !bn:
		return -1
	case bn && !an:
		return 1
	}
	c := len(a) - len(b)
	if c == 0 {
		c = bytes.Compare(a, b)
	}
	if an {
		c = -c
	}
	return max(-1, min(c, 1))
}

// mrHow is how a matcher compares a value with its assertion.
type mrHow uint8

const (
	howEqual   mrHow = iota // the normal forms are equal
	howGreater              // value >= assertion
	howLess                 // value <= assertion
	howBelow                // value < assertion: an ordering rule in an extensible match
	howNames                // objectIdentifierMatch: the value is one of names
	howBitAnd               // every bit of the assertion is set in the value
	howBitOr                // some bit of the assertion is set in the value
	howSubstrings
)

// mrMatcher is an assertion prepared for one matching rule.
type mrMatcher struct {
	rule  mrRule
	how   mrHow
	norm  []byte   // the assertion's normal form
	raw   []byte   // the assertion as given, for a quick DN comparison
	names []string // howNames: the accepted names and OIDs, lower case
	bits  int64
	// howSubstrings: the prepared initial (nil when absent), any and final
	// pieces.
	initial, final []byte
	any            [][]byte
}

// compile prepares value as an assertion of the rule named ruleName, a
// rule of the given kind, for the attribute type at (nil for a type-less
// extensible match). It reports false when the rule is not implemented or
// the value is invalid for it, which makes the filter item Undefined.
func (m *mrMatcher) compile(ruleName string, kind schemas.RuleKind, at *schemas.AttributeType, value []byte) bool {
	r, ok := schemas.LookupMatchingRule(ruleName)
	if !ok || r.Kind != kind {
		return false
	}
	m.rule, m.raw = mrRules[r.Name], value
	switch m.rule {
	case ruleCaseIgnore, ruleCaseExact, ruleTelephone, ruleNumeric, ruleList:
		// Directory, Printable, Numeric and Postal Address strings are never
		// empty (RFC 4517); IA5 strings may be.
		if len(value) == 0 && r.Syntax != "1.3.6.1.4.1.1466.115.121.1.26" {
			return false
		}
	case ruleOID, ruleOIDFirst:
		m.how = howNames
		m.names, ok = mrOIDNames(value, at != nil && at.Name() == "objectClass")
		return ok
	case ruleBitAnd, ruleBitOr:
		if m.how = howBitAnd; m.rule == ruleBitOr {
			m.how = howBitOr
		}
		m.bits, ok = mrInt64(value)
		return ok
	}
	m.norm, ok = mrNormalizeAssertion(nil, m.rule, value)
	return ok
}

// compileSubstrings prepares the pieces of a substrings assertion
// (initial or nil, any…, final or nil) for the substrings rule named
// ruleName, applying RFC 4518's insignificant space handling for
// substrings to string rules.
func (m *mrMatcher) compileSubstrings(ruleName string, pieces [][]byte) bool {
	r, ok := schemas.LookupMatchingRule(ruleName)
	if !ok || r.Kind != schemas.SubstringsRule || len(pieces) < 2 {
		return false
	}
	m.rule, m.how = mrRules[r.Name], howSubstrings
	for i, p := range pieces {
		if p == nil {
			continue
		}
		var n []byte
		switch m.rule {
		case ruleCaseIgnore, ruleCaseExact, ruleList:
			n, ok = mrPrepare(nil, p, m.rule != ruleCaseExact, spPiece)
			if i == 0 && (len(n) == 0 || n[0] != ' ') {
				n = append([]byte{' '}, n...)
			}
			if i == len(pieces)-1 && (len(n) == 0 || n[len(n)-1] != ' ') {
				n = append(n, ' ')
			}
		case ruleNumeric:
			n, ok = mrNumericString(nil, p)
		case ruleTelephone:
			n, ok = mrPhone(nil, p)
		default:
			return false
		}
		if !ok {
			return false
		}
		switch {
		case i == 0:
			m.initial = n
		case i == len(pieces)-1:
			m.final = n
		default:
			m.any = append(m.any, n)
		}
	}
	return true
}

// match compares the attribute value v with the assertion.
func (m *mrMatcher) match(v []byte) fltValue {
	var buf [256]byte
	switch m.how {
	case howNames:
		if m.rule == ruleOIDFirst {
			var ok bool
			if v, ok = mrFirstComponent(v); !ok {
				return fltUndefined
			}
		}
		v = bytes.TrimSpace(v)
		for _, n := range m.names {
			if len(n) == len(v) && fltEqualFold(v, n) {
				return fltTrue
			}
		}
		return fltFalse
	case howBitAnd, howBitOr:
		n, ok := mrInt64(v)
		if !ok {
			return fltUndefined
		}
		if m.how == howBitAnd {
			return fltBool(n&m.bits == m.bits)
		}
		return fltBool(n&m.bits != 0)
	case howSubstrings:
		var p []byte
		var ok bool
		switch m.rule {
		case ruleCaseIgnore, ruleCaseExact:
			p, ok = mrPrepare(buf[:0], v, m.rule == ruleCaseIgnore, spValue)
		case ruleList:
			p, ok = mrPostal(buf[:0], v, spValue)
		case ruleNumeric:
			p, ok = mrNumericString(buf[:0], v)
		case ruleTelephone:
			p, ok = mrPhone(buf[:0], v)
		}
		if !ok {
			return fltUndefined
		}
		return fltBool(m.substrings(p))
	case howEqual:
		if m.rule == ruleDN {
			if bytes.Equal(v, m.raw) {
				return fltTrue
			}
			n, ok := mrDNUntil(buf[:0], v, m.norm)
			if !ok {
				return fltUndefined
			}
			return fltBool(bytes.Equal(n, m.norm))
		}
	}
	n, ok := mrNormalize(buf[:0], m.rule, v)
	if !ok {
		return fltUndefined
	}
	switch m.how {
	case howGreater:
		return fltBool(mrCompare(m.rule, n, m.norm) >= 0)
	case howLess:
		return fltBool(mrCompare(m.rule, n, m.norm) <= 0)
	case howBelow:
		return fltBool(mrCompare(m.rule, n, m.norm) < 0)
	}
	return fltBool(bytes.Equal(n, m.norm))
}

// substrings matches a prepared value against the pieces: initial at the
// start, final at the end, the any pieces in order in between, none
// overlapping.
func (m *mrMatcher) substrings(s []byte) bool {
	if m.initial != nil {
		if !bytes.HasPrefix(s, m.initial) {
			return false
		}
		s = s[len(m.initial):]
	}
	if m.final != nil {
		if !bytes.HasSuffix(s, m.final) {
			return false
		}
		s = s[:len(s)-len(m.final)]
	}
	for _, a := range m.any {
		i := bytes.Index(s, a)
		if i < 0 {
			return false
		}
		s = s[i+len(a):]
	}
	return true
}

// mrOIDNames returns the names and OIDs, lower case, that an
// objectIdentifierMatch assertion accepts: those of the class, attribute
// type or matching rule named, and, for objectClass assertions
// (subclasses), those of its subclasses, so that (objectClass=person)
// matches an inetOrgPerson entry. ok is false for an invalid assertion.
func mrOIDNames(v []byte, subclasses bool) (names []string, ok bool) {
	s := string(bytes.TrimSpace(v))
	if !mrValidOID(s) {
		return nil, false
	}
	// The names of a registry object class never change: remember them
	// (every nslcd filter holds an objectClass assertion).
	type key struct {
		name       string
		subclasses bool
	}
	k := key{strings.ToLower(s), subclasses}
	if cached, hit := mrOIDNamesCache.Load(k); hit {
		return cached.([]string), true
	}
	defer func() {
		if ok && len(names) > 0 {
			if _, isClass := schemas.LookupObjectClass(s); isClass {
				mrOIDNamesCache.Store(k, names)
			}
		}
	}()
	add := func(oid string, ns []string) {
		for _, n := range append([]string{oid}, ns...) {
			names = append(names, strings.ToLower(n))
		}
	}
	if o, found := schemas.LookupObjectClass(s); found {
		for _, c := range schemas.ObjectClasses() {
			if c == o || subclasses && mrSubclassOf(c, o, 0) {
				add(c.OID, c.Names)
			}
		}
		return names, true
	}
	if a, found := schemas.LookupAttribute(s); found {
		add(a.OID, a.Names)
	} else if r, found := schemas.LookupMatchingRule(s); found {
		add(r.OID, []string{r.Name})
	} else {
		names = []string{strings.ToLower(s)}
	}
	return names, true
}

// mrOIDNamesCache holds mrOIDNames's answers for object classes of the
// registry (a bounded set); callers do not modify the slices.
var mrOIDNamesCache sync.Map

// mrSubclassOf reports whether c derives from o.
func mrSubclassOf(c, o *schemas.ObjectClass, depth int) bool {
	for _, s := range c.Sup {
		sc, ok := schemas.LookupObjectClass(s)
		if ok && depth < 16 && (sc == o || mrSubclassOf(sc, o, depth+1)) {
			return true
		}
	}
	return false
}

// mrInt64 parses a canonical integer for the bitwise rules.
func mrInt64(v []byte) (int64, bool) {
	var tmp [24]byte
	n, ok := mrInteger(tmp[:0], v)
	if !ok || len(n) > 20 {
		return 0, false
	}
	neg := n[0] == '-'
	if neg {
		n = n[1:]
	}
	var u uint64
	for _, c := range n {
		d := uint64(c - '0')
		if u > (1<<63-d)/10 {
			return 0, false
		}
		u = u*10 + d
	}
	if neg {
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}
