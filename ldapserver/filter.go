package ldapserver

import (
	"errors"
	"slices"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store/ldif"
)

// Limits on the filters CompileFilter accepts.
const (
	MaxFilterSize  = 64 << 10 // bytes of the string form
	MaxFilterDepth = 64       // nested filters, the outermost counting as one
	MaxFilterTerms = 4096     // filters of any kind: and, or, not and items
)

// ErrFilterLimit is wrapped by the errors of CompileFilter for a filter
// over one of the limits, which a server may answer with
// unwillingToPerform or adminLimitExceeded rather than protocolError.
var ErrFilterLimit = errors.New("filter over the server's limits")

// Filter is a compiled RFC 4515 search filter. It is immutable and safe
// for concurrent use.
//
// Filter items are evaluated with the matching rules of the schema
// registry (package schemas) and RFC 4511 three-valued logic. An item is
// Undefined when its attribute type is unknown, when the type has no rule
// for the kind of match (an ordering filter on cn, a substrings filter on
// uidNumber), when an extensible match names an unknown rule or one that
// does not apply to the type, or when the assertion value is invalid for
// the rule ((uidNumber=abc)). An entry that does not hold the attribute
// makes the item FALSE, as RFC 4511 section 4.5.1.7 and OpenLDAP have it,
// so (!(mail=x)) matches entries without mail. NOT of Undefined is
// Undefined, AND is FALSE if any part is FALSE, else Undefined if any is
// Undefined; OR is TRUE if any part is TRUE, else Undefined if any is.
//
// Filters on userPassword, of any kind, are always Undefined, so that a
// client cannot probe password hashes (or whether a user has a password)
// with filters; the type-less extensible match skips it too.
//
// A filter item names an attribute type and matches the values of the
// type and of its subtypes (name matches cn and sn), with any options
// ((cn=x) matches cn;lang-fr values; (cn;lang-fr=x) matches only those).
// Approximate matches use the equality rule. (objectClass=x) also matches
// the entries of x's subclasses, as in OpenLDAP, and (objectClass=*) every
// entry. Extensible matches take the rules of the registry, including
// integerBitAndMatch and integerBitOrMatch, and dnAttributes; substrings
// rules are not accepted there (the item is Undefined, as in OpenLDAP).
type Filter struct {
	root  fltNode
	attrs []string
	mem   fltMem // storage for the nodes and values of small filters
}

// fltNode is a node of a compiled filter.
type fltNode interface {
	eval(e *ldif.Entry) fltValue
	write(b *strings.Builder)
}

type (
	fltAnd []fltNode
	fltOr  []fltNode
	fltNot struct{ kid fltNode }
)

// fltOp is the kind of a filter item.
type fltOp uint8

const (
	opEqual fltOp = iota
	opSubstrings
	opGreater // >=
	opLess    // <=
	opPresent
	opApprox
	opExtensible
)

// fltItem is a filter item (a leaf).
type fltItem struct {
	op      fltOp
	desc    string   // attribute description as written; "" for a type-less extensible match
	rule    string   // extensible match: the matching rule as written
	dnAttrs bool     // extensible match: also match the DN's attribute values
	value   []byte   // the assertion value (for substrings, see pieces)
	pieces  [][]byte // substrings: initial (or nil), any…, final (or nil)

	undefined bool                   // the item is Undefined whatever the entry
	at        *schemas.AttributeType // the type named, if known
	names     []string               // lower-case names and OIDs of the type and its subtypes
	options   []string               // lower-case attribute options the values must carry
	anyRule   *schemas.MatchingRule  // type-less extensible match: every attribute it applies to
	m         mrMatcher
}

// Match reports whether the filter is TRUE for e; FALSE and Undefined
// both give false. It does not modify e and allocates nothing for ASCII
// values of the common rules.
func (f *Filter) Match(e *ldif.Entry) bool {
	return f.root.eval(e) == fltTrue
}

func (n fltAnd) eval(e *ldif.Entry) fltValue {
	r := fltTrue
	for _, k := range n {
		switch k.eval(e) {
		case fltFalse:
			return fltFalse
		case fltUndefined:
			r = fltUndefined
		}
	}
	return r
}

func (n fltOr) eval(e *ldif.Entry) fltValue {
	r := fltFalse
	for _, k := range n {
		switch k.eval(e) {
		case fltTrue:
			return fltTrue
		case fltUndefined:
			r = fltUndefined
		}
	}
	return r
}

func (n fltNot) eval(e *ldif.Entry) fltValue {
	switch n.kid.eval(e) {
	case fltTrue:
		return fltFalse
	case fltFalse:
		return fltTrue
	}
	return fltUndefined
}

func (it *fltItem) eval(e *ldif.Entry) fltValue {
	if it.undefined {
		return fltUndefined
	}
	if it.op == opPresent && it.names[0] == "objectclass" && it.options == nil {
		return fltTrue // every entry has an object class (RFC 4512 section 2.4.1)
	}
	r := fltFalse
	for i := range e.Attributes {
		a := &e.Attributes[i]
		if !it.selects(a.Name) {
			continue
		}
		if it.op == opPresent {
			if len(a.Values) > 0 {
				return fltTrue
			}
			continue
		}
		for _, v := range a.Values {
			switch it.m.match(v) {
			case fltTrue:
				return fltTrue
			case fltUndefined:
				r = fltUndefined
			}
		}
	}
	if it.dnAttrs {
		switch it.evalDN(e) {
		case fltTrue:
			return fltTrue
		case fltUndefined:
			r = fltUndefined
		}
	}
	return r
}

// selects reports whether the item reads the entry attribute named name.
func (it *fltItem) selects(name string) bool {
	base, opts, _ := strings.Cut(name, ";")
	if it.anyRule != nil {
		t, ok := schemas.LookupAttribute(base)
		return ok && t.Name() != "userPassword" && it.anyRule.AppliesTo(t)
	}
	for _, n := range it.names {
		if len(n) == len(base) && fltEqualFold(base, n) {
			return it.options == nil || fltHasOptions(opts, it.options)
		}
	}
	return false
}

// fltEqualFold compares s with the lower-case ASCII string lower, of the
// same length.
func fltEqualFold[S ~string | ~[]byte](s S, lower string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// fltHasOptions reports whether the options of an attribute description
// (after the first ";") include every wanted one.
func fltHasOptions(opts string, want []string) bool {
	for _, w := range want {
		found := false
		for o := range strings.SplitSeq(opts, ";") {
			if len(o) == len(w) && fltEqualFold(o, w) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// evalDN applies an extensible match with dnAttributes to the attribute
// values of the entry's DN.
func (it *fltItem) evalDN(e *ldif.Entry) fltValue {
	dn, err := ldap.ParseDN(e.DN)
	if err != nil {
		return fltUndefined
	}
	r := fltFalse
	for _, rdn := range dn.RDNs {
		for _, a := range rdn.Attributes {
			if !it.selects(a.Type) {
				continue
			}
			switch it.m.match([]byte(a.Value)) {
			case fltTrue:
				return fltTrue
			case fltUndefined:
				r = fltUndefined
			}
		}
	}
	return r
}

// String returns the filter in RFC 4515 form, values escaped with
// ldap.EscapeFilter. CompileFilter reads it back to an equivalent filter.
func (f *Filter) String() string {
	var b strings.Builder
	f.root.write(&b)
	return b.String()
}

func (n fltAnd) write(b *strings.Builder) { fltWriteSet(b, '&', n) }
func (n fltOr) write(b *strings.Builder)  { fltWriteSet(b, '|', n) }

func fltWriteSet(b *strings.Builder, op byte, kids []fltNode) {
	b.WriteByte('(')
	b.WriteByte(op)
	for _, k := range kids {
		k.write(b)
	}
	b.WriteByte(')')
}

func (n fltNot) write(b *strings.Builder) {
	b.WriteString("(!")
	n.kid.write(b)
	b.WriteByte(')')
}

func (it *fltItem) write(b *strings.Builder) {
	b.WriteByte('(')
	b.WriteString(it.desc)
	switch it.op {
	case opPresent:
		b.WriteString("=*")
	case opEqual:
		b.WriteString("=" + ldap.EscapeFilter(string(it.value)))
	case opApprox:
		b.WriteString("~=" + ldap.EscapeFilter(string(it.value)))
	case opGreater:
		b.WriteString(">=" + ldap.EscapeFilter(string(it.value)))
	case opLess:
		b.WriteString("<=" + ldap.EscapeFilter(string(it.value)))
	case opSubstrings:
		b.WriteByte('=')
		for i, p := range it.pieces {
			if i > 0 {
				b.WriteByte('*')
			}
			b.WriteString(ldap.EscapeFilter(string(p)))
		}
		if len(it.pieces) == 2 && it.pieces[0] == nil && it.pieces[1] == nil {
			b.WriteByte('*') // no piece at all: "**", not the presence filter "*"
		}
	case opExtensible:
		if it.dnAttrs {
			b.WriteString(":dn")
		}
		if it.rule != "" {
			b.WriteString(":" + it.rule)
		}
		b.WriteString(":=" + ldap.EscapeFilter(string(it.value)))
	}
	b.WriteByte(')')
}

// Attributes returns the canonical names of the attribute types the
// filter names, in order of appearance, without duplicates; "*" stands
// for a type-less extensible match, which reads every attribute its rule
// applies to. Unknown types are left out: their items are Undefined
// whatever the entry holds. A caller uses it to tell whether it must
// compute operational attributes, such as memberOf or entryDN, before
// calling Match. The slice is the caller's.
func (f *Filter) Attributes() []string {
	return slices.Clone(f.attrs)
}

// Equality is an equality assertion of a filter, for answering a search
// from an index.
type Equality struct {
	// Attribute is the canonical name of the attribute type, such as "uid"
	// for (userid=alice). The assertion also matches the values of the
	// type's subtypes (cn for "name") and of its descriptions with options
	// (cn;lang-fr).
	Attribute string
	// Value is the assertion value as the client sent it, unescaped.
	Value string
	// Normalized is the value as the type's equality rule compares it
	// (see NormalizeValue): "alice" for " Alice ", a canonical DN for
	// member, "1000" for uidNumber 01000, the numeric OID of an object
	// class.
	Normalized string
}

// Equalities returns the equality assertions that every entry the filter
// matches satisfies: the filter itself when it is an equality, or the
// equality items among the conjuncts of a top-level AND (nested ANDs
// included). Each holds under the attribute's equality rule; in
// particular an objectClass assertion also matches the class's
// subclasses (an entry listing its full superclass chain matches it by
// name). Approximate and extensible matches, and items that are
// Undefined, are not included. The slice is the caller's.
func (f *Filter) Equalities() []Equality {
	var out []Equality
	var walk func(n fltNode)
	walk = func(n fltNode) {
		switch n := n.(type) {
		case fltAnd:
			for _, k := range n {
				walk(k)
			}
		case *fltItem:
			if eq, ok := n.equality(); ok {
				out = append(out, eq)
			}
		}
	}
	walk(f.root)
	return out
}

func (it *fltItem) equality() (Equality, bool) {
	if it.op != opEqual || it.undefined {
		return Equality{}, false
	}
	norm, ok := NormalizeValue(it.at.Name(), it.value)
	return Equality{Attribute: it.at.Name(), Value: string(it.value), Normalized: norm}, ok
}

// MaxAlternatives bounds the number of alternatives Alternatives returns.
const MaxAlternatives = 64

// Alternatives returns the filter's equality assertions in disjunctive
// form, so that a search can be answered from an index even through OR:
// every entry the filter matches satisfies all the equalities of at least
// one alternative. For (|(uid=a)(uid=b)) it returns [[uid=a] [uid=b]];
// for (&(objectClass=posixAccount)(|(uid=a)(mail=b))) it returns
// [[objectClass=posixAccount uid=a] [objectClass=posixAccount mail=b]].
//
// ok is false when no such form exists within MaxAlternatives
// alternatives, for example because an OR branch holds no equality: the
// caller must then consider every entry. ok true with no alternative
// means that the filter can match no entry, such as (|) or (uid:=x) with
// an unknown rule. The alternatives are necessary conditions only: the
// caller still calls Match on each candidate.
func (f *Filter) Alternatives() (alts [][]Equality, ok bool) {
	return fltAlternatives(f.root)
}

func fltAlternatives(n fltNode) ([][]Equality, bool) {
	switch n := n.(type) {
	case *fltItem:
		if n.undefined {
			return [][]Equality{}, true // never TRUE
		}
		if eq, ok := n.equality(); ok {
			return [][]Equality{{eq}}, true
		}
	case fltNot:
		if it, ok := n.kid.(*fltItem); ok && it.undefined {
			return [][]Equality{}, true // NOT Undefined is Undefined
		}
	case fltOr:
		out := [][]Equality{}
		for _, k := range n {
			alts, ok := fltAlternatives(k)
			if !ok || len(out)+len(alts) > MaxAlternatives {
				return nil, false
			}
			out = append(out, alts...)
		}
		return out, true
	case fltAnd:
		var out [][]Equality
		for _, k := range n {
			alts, ok := fltAlternatives(k)
			if !ok {
				continue
			}
			if len(alts) == 0 {
				return [][]Equality{}, true // a conjunct that is never TRUE
			}
			if out == nil {
				out = alts
				continue
			}
			if len(out)*len(alts) > MaxAlternatives {
				continue // dropping a conjunct keeps a necessary condition
			}
			product := make([][]Equality, 0, len(out)*len(alts))
			for _, a := range out {
				for _, b := range alts {
					product = append(product, append(slices.Clip(a), b...))
				}
			}
			out = product
		}
		return out, out != nil
	}
	return nil, false
}

// userSlots returns the slots of a user entry that the filter reads (see
// userBuilder), and whether it reads the entry's DN (an extensible match
// with dnAttributes): evaluating it on an entry with only these gives
// the same result as on the whole entry.
func (f *Filter) userSlots() (m slotMask, dn bool) {
	var walk func(n fltNode)
	walk = func(n fltNode) {
		switch n := n.(type) {
		case fltAnd:
			for _, k := range n {
				walk(k)
			}
		case fltOr:
			for _, k := range n {
				walk(k)
			}
		case fltNot:
			walk(n.kid)
		case *fltItem:
			if n.undefined {
				return // Undefined whatever the entry
			}
			dn = dn || n.dnAttrs
			if n.anyRule != nil || n.options != nil {
				for i, name := range userSlotNames {
					if n.selects(name) {
						m |= 1 << i
					}
				}
				return
			}
			// selects compares the entry's attribute names with names.
			for _, name := range n.names {
				if s, ok := slotByLower[name]; ok {
					m |= 1 << s
				}
			}
		}
	}
	walk(f.root)
	return m, dn
}

// fltEquality is an assertion of Equalities, without its normal form.
type fltEquality struct {
	attr  string // canonical name
	value []byte
}

// appendEqualities appends the assertions Equalities returns, without
// allocating when dst has room.
func (f *Filter) appendEqualities(dst []fltEquality) []fltEquality {
	return fltAppendEqualities(dst, f.root)
}

func fltAppendEqualities(dst []fltEquality, n fltNode) []fltEquality {
	switch n := n.(type) {
	case fltAnd:
		for _, k := range n {
			dst = fltAppendEqualities(dst, k)
		}
	case *fltItem:
		if n.op == opEqual && !n.undefined && fltNormalizable(n.at, n.value) {
			dst = append(dst, fltEquality{attr: n.at.Name(), value: n.value})
		}
	}
	return dst
}

// fltNormalizable reports whether NormalizeValue accepts value for at.
func fltNormalizable(at *schemas.AttributeType, value []byte) bool {
	r := mrRules[at.Equality]
	if r == ruleNone || r == ruleBitAnd || r == ruleBitOr {
		return false
	}
	var buf [128]byte
	_, ok := mrNormalize(buf[:0], r, value)
	return ok
}
