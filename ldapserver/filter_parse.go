package ldapserver

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/canaille-go/canaille/schemas"
)

// This file parses the string form of filters (RFC 4515) straight into
// the node tree of filter.go, in one pass and with few allocations:
// attribute descriptions and matching rule names are substrings of the
// input, assertion values are unescaped into storage shared by the whole
// filter, and a small filter fits in the Filter's own storage. Attribute
// types are interned through schemas.LookupAttribute.
//
// The language is exactly the one of go-ldap's ldap.CompileFilter, which
// parsed filters before (FuzzParseEquivalence compares the two), with the
// same error messages and the same quirks:
//
//   - a filter may be wrapped in extra parentheses, "((cn=x))";
//   - the operand of "!" need not be parenthesised, "(!cn=x)";
//   - attribute descriptions and matching rules are taken as written,
//     escapes, spaces and all, up to the first operator (the item is then
//     Undefined unless they are valid);
//   - ":dn" is recognised in lower case only, and an extensible match may
//     end before ":=", "(cn:rule)" asserting the empty value;
//   - a value is whatever precedes the next ")"; "\XX" escapes take two
//     hex digits of either case, in the value or in each substring piece;
//     "*" makes a substrings filter in equality filters only, and a value
//     of "*" alone a presence filter;
//   - no part of the filter may hold invalid UTF-8 or U+FFFD.

// fltMem is storage for small filters, allocated with the Filter: most
// search filters then need no other allocations than the Filter, an
// interface value for each AND, OR and NOT, and what preparing their
// assertion values takes.
type fltMem struct {
	items [2]fltItem
	kids  [4]fltNode
	attrs [4]string
	vals  [64]byte
}

// CompileFilter parses an RFC 4515 filter string, as gldap hands it over
// (already decompiled by ldap.DecompileFilter, so values are escaped),
// and prepares its assertion values. It returns an error for a malformed
// filter, and an error wrapping ErrFilterLimit for one longer than
// MaxFilterSize, nested deeper than MaxFilterDepth or with more than
// MaxFilterTerms filters. Unknown attribute types and matching rules are
// not errors: those items are Undefined. Error messages never quote the
// filter (beyond the offending byte of an invalid escape).
func CompileFilter(s string) (*Filter, error) {
	if err := fltPrecheck(s); err != nil {
		return nil, err
	}
	if len(s) == 0 || s[0] != '(' {
		return nil, fltSyntax("filter does not start with an '('")
	}
	f := &Filter{}
	p := fltParser{s: s, items: f.mem.items[:0], kids: f.mem.kids[:0], vals: f.mem.vals[:0]}
	p.attrs = f.mem.attrs[:0]
	root, pos, err := p.body(1, 1)
	switch {
	case err != nil:
		return nil, err
	case pos < len(s):
		return nil, fltSyntax("finished compiling filter with extra text at the end")
	case p.limit != nil:
		return nil, p.limit
	}
	f.root, f.attrs = root, p.attrs
	return f, nil
}

// fltPrecheck enforces MaxFilterSize, and MaxFilterDepth on the nesting of
// parentheses, before any parsing; this bounds the recursion of the
// parser, which chains of "!" without parentheses do not deepen. As it
// always did, it counts the parentheses within attribute descriptions and
// values too.
func fltPrecheck(s string) error {
	if len(s) > MaxFilterSize {
		return fmt.Errorf("%w: the filter is longer than %d bytes", ErrFilterLimit, MaxFilterSize)
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			if depth++; depth > MaxFilterDepth {
				return errFilterDepth
			}
		case ')':
			depth--
		}
	}
	return nil
}

var (
	errFilterDepth = fmt.Errorf("%w: filters nested deeper than %d levels", ErrFilterLimit, MaxFilterDepth)
	errFilterTerms = fmt.Errorf("%w: more than %d filters", ErrFilterLimit, MaxFilterTerms)
)

// fltSyntax returns the error for a malformed filter.
func fltSyntax(msg string) error {
	return errors.New("invalid filter: " + msg)
}

// fltParser is the state of CompileFilter.
type fltParser struct {
	fltCompiler
	s     string
	limit error // the first limit exceeded: the result, if the syntax is valid

	// Free storage for items, the children of AND and OR, and values.
	items []fltItem
	kids  []fltNode
	vals  []byte
}

// node counts a filter at the given depth, as the limits count them (the
// outermost at depth 1), and reports whether the tree is still being
// built: once a limit is exceeded, the parser only checks the syntax.
func (p *fltParser) node(depth int) bool {
	if p.limit == nil {
		if p.terms++; p.terms > MaxFilterTerms {
			p.limit = errFilterTerms
		} else if depth > MaxFilterDepth {
			p.limit = errFilterDepth
		}
	}
	return p.limit == nil
}

// body parses a filter from pos, just after its "(", to just after its
// ")". It returns the node (nil once a limit is exceeded) and the
// position after the filter.
func (p *fltParser) body(pos, depth int) (fltNode, int, error) {
	s := p.s
	nots := 0
	for pos < len(s) && s[pos] == '!' { // NOT of the filter that follows
		p.node(depth + nots)
		nots++
		pos++
	}
	depth += nots
	if pos == len(s) || s[pos] >= utf8.RuneSelf && fltBadRune(s[pos:]) {
		return nil, pos, fltSyntax(fmt.Sprintf("error reading rune at position %d", pos))
	}
	var n fltNode
	var err error
	switch c := s[pos]; c {
	case '(': // extra parentheses
		if n, pos, err = p.body(pos+1, depth); err != nil {
			return nil, pos, err
		}
		if pos >= len(s) {
			return nil, pos, fltSyntax("unexpected end of filter")
		}
		if s[pos] != ')' {
			return nil, pos, fltSyntax(fmt.Sprintf("expected ')' at position %d", pos))
		}
		pos++
	case '&', '|':
		n, pos, err = p.set(pos+1, depth, c == '|')
	default:
		n, pos, err = p.item(pos, depth)
	}
	if err != nil {
		return nil, pos, err
	}
	if p.limit != nil {
		return nil, pos, nil
	}
	for ; nots > 0; nots-- {
		n = fltNot{n}
	}
	return n, pos, nil
}

// fltBadRune reports whether s starts with invalid UTF-8 or U+FFFD.
func fltBadRune(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r == utf8.RuneError
}

// set parses the filters of an AND or OR, from pos just after "&" or "|".
func (p *fltParser) set(pos, depth int, or bool) (fltNode, int, error) {
	s := p.s
	p.node(depth)
	var buf [8]fltNode
	kids := buf[:0]
	for pos < len(s) && s[pos] == '(' {
		kid, next, err := p.body(pos+1, depth+1)
		if err != nil {
			return nil, next, err
		}
		pos = next
		if p.limit == nil {
			kids = append(kids, kid)
		}
	}
	if pos >= len(s) {
		return nil, pos, fltSyntax("unexpected end of filter")
	}
	if s[pos] != ')' {
		return nil, pos, fltSyntax(fmt.Sprintf("expected ')' at position %d", pos))
	}
	if p.limit != nil {
		return nil, pos + 1, nil
	}
	set := p.newKids(len(kids))
	copy(set, kids)
	if or {
		return fltOr(set), pos + 1, nil
	}
	return fltAnd(set), pos + 1, nil
}

// newKids returns room for n children of a set.
func (p *fltParser) newKids(n int) []fltNode {
	if cap(p.kids)-len(p.kids) < n {
		p.kids = make([]fltNode, 0, max(n, 2*cap(p.kids)))
	}
	k := p.kids[len(p.kids) : len(p.kids)+n : len(p.kids)+n]
	p.kids = p.kids[:len(p.kids)+n]
	return k
}

// newItem returns a zero item.
func (p *fltParser) newItem() *fltItem {
	if len(p.items) == cap(p.items) {
		p.items = make([]fltItem, 0, min(2*cap(p.items), 64))
	}
	p.items = p.items[:len(p.items)+1]
	return &p.items[len(p.items)-1]
}

// value returns the unescaped assertion value v, which starts at offset
// off of the filter; the empty value is nil.
func (p *fltParser) value(v string, off int) ([]byte, error) {
	if v == "" {
		return nil, nil
	}
	if cap(p.vals)-len(p.vals) < len(v) {
		// The rest of the filter bounds the values still to come.
		p.vals = make([]byte, 0, len(p.s)-off)
	}
	start := len(p.vals)
	vals, err := fltUnescape(p.vals, v)
	if err != nil {
		return nil, err
	}
	p.vals = vals
	return vals[start:len(vals):len(vals)], nil
}

// fltUnescape appends v to dst with its \XX escapes decoded.
func fltUnescape(dst []byte, v string) ([]byte, error) {
	for {
		i := strings.IndexByte(v, '\\')
		if i < 0 {
			return append(dst, v...), nil
		}
		dst = append(dst, v[:i]...)
		v = v[i+1:]
		switch {
		case len(v) == 0:
			return dst, fltSyntax("invalid characters for escape in filter: EOF")
		case len(v) == 1:
			return dst, fltSyntax("missing characters for escape in filter")
		}
		hi, lo := fltHexDigit(v[0]), fltHexDigit(v[1])
		switch {
		case hi > 15:
			return dst, fltSyntax("invalid characters for escape in filter: " + hex.InvalidByteError(v[0]).Error())
		case lo > 15:
			return dst, fltSyntax("invalid characters for escape in filter: " + hex.InvalidByteError(v[1]).Error())
		}
		dst = append(dst, hi<<4|lo)
		v = v[2:]
	}
}

// fltHexDigit returns the value of a hex digit, or 255.
func fltHexDigit(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 255
}

// fltNoOp marks an item whose operator is not read yet.
const fltNoOp fltOp = 255

// item parses a filter item from pos, its first character, to just
// after its ")".
func (p *fltParser) item(pos, depth int) (fltNode, int, error) {
	const (
		readingAttr = iota
		readingRule
		readingValue
	)
	s := p.s
	state, op, dn, rule := readingAttr, fltNoOp, false, ""
	attrEnd, ruleStart, valueStart := pos, pos, pos
	i := pos
	for i < len(s) && s[i] != ')' {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError {
				return nil, i, fltSyntax(fmt.Sprintf("error reading rune at position %d", i))
			}
			i += size
			continue
		}
		if state == readingValue {
			i++
			continue
		}
		next := byte(0)
		if i+1 < len(s) {
			next = s[i+1]
		}
		if state == readingRule {
			if c == ':' && next == '=' {
				rule, state = s[ruleStart:i], readingValue
				i += 2
				valueStart = i
				continue
			}
			i++
			continue
		}
		attrEnd = i
		switch {
		case c == ':':
			op = opExtensible
			switch rest := s[i:]; {
			case strings.HasPrefix(rest, ":dn:="):
				dn, state, i = true, readingValue, i+5
			case strings.HasPrefix(rest, ":dn:"):
				dn, state, i = true, readingRule, i+4
			case next == '=':
				state, i = readingValue, i+2
			default:
				state, i = readingRule, i+1
			}
			ruleStart, valueStart = i, i
			continue
		case c == '=':
			op, i = opEqual, i+1
		case c == '>' && next == '=':
			op, i = opGreater, i+2
		case c == '<' && next == '=':
			op, i = opLess, i+2
		case c == '~' && next == '=':
			op, i = opApprox, i+2
		default:
			i++
			continue
		}
		state, valueStart = readingValue, i
	}
	if i == len(s) {
		return nil, i, fltSyntax("unexpected end of filter")
	}
	if op == fltNoOp {
		return nil, i, fltSyntax("error parsing filter")
	}
	if state == readingRule { // no ":=": the value is empty
		rule, valueStart = s[ruleStart:i], i
	}
	raw := s[valueStart:i]
	var value []byte
	var pieces [][]byte
	var err error
	switch {
	case op == opEqual && raw == "*":
		op = opPresent
	case op == opEqual && strings.IndexByte(raw, '*') >= 0:
		op = opSubstrings
		pieces, err = p.pieces(raw, valueStart)
	default:
		value, err = p.value(raw, valueStart)
	}
	if err != nil {
		return nil, i, err
	}
	if !p.node(depth) {
		return nil, i + 1, nil
	}
	it := p.newItem()
	it.op, it.desc, it.rule, it.dnAttrs, it.value, it.pieces = op, s[pos:attrEnd], rule, dn, value, pieces
	return p.fltCompiler.item(it), i + 1, nil
}

// pieces splits the value of a substrings filter, which starts at offset
// off of the filter, into the initial (or nil), any… and final (or nil)
// pieces, unescaped.
func (p *fltParser) pieces(raw string, off int) ([][]byte, error) {
	n := strings.Count(raw, "*") + 1
	pieces := make([][]byte, 0, n)
	for i := range n {
		part := raw
		if j := strings.IndexByte(raw, '*'); j >= 0 {
			part, raw = raw[:j], raw[j+1:]
		}
		v, err := p.value(part, off)
		if err != nil {
			return nil, err
		}
		off += len(part) + 1
		if i == 0 || i == n-1 || v != nil {
			pieces = append(pieces, v)
		}
	}
	return pieces, nil
}

// fltCompiler prepares the items of a filter and counts its terms.
type fltCompiler struct {
	terms int
	attrs []string
}

// item resolves an item's attribute type and prepares its assertion.
func (c *fltCompiler) item(it *fltItem) fltNode {
	if it.desc == "" && it.op != opExtensible {
		it.undefined = true
		return it
	}
	if it.desc != "" {
		typ, opts, _ := strings.Cut(it.desc, ";")
		at, ok := schemas.LookupAttribute(typ)
		if !ok || !fltValidDescription(it.desc) || at.Name() == "userPassword" {
			it.undefined = true
			return it
		}
		it.at = at
		it.names = fltTypeNames(at)
		if opts != "" {
			it.options = strings.Split(strings.ToLower(opts), ";")
		}
		if !slices.Contains(c.attrs, at.Name()) {
			c.attrs = append(c.attrs, at.Name())
		}
	} else if !slices.Contains(c.attrs, "*") {
		c.attrs = append(c.attrs, "*")
	}
	var ok bool
	switch it.op {
	case opPresent:
		ok = it.at != nil
	case opEqual, opApprox:
		ok = it.m.compile(it.at.Equality, schemas.EqualityRule, it.at, it.value)
	case opGreater, opLess:
		ok = it.m.compile(it.at.Ordering, schemas.OrderingRule, it.at, it.value)
		if it.m.how = howLess; it.op == opGreater {
			it.m.how = howGreater
		}
	case opSubstrings:
		// RFC 4511 requires at least one piece.
		ok = it.at.Substr != "" && slices.ContainsFunc(it.pieces, func(p []byte) bool { return p != nil }) &&
			it.m.compileSubstrings(it.at.Substr, it.pieces)
	case opExtensible:
		ok = c.extensible(it)
	}
	it.undefined = !ok
	return it
}

// extensible prepares an extensible match (RFC 4511 section 4.5.1.7.7).
func (c *fltCompiler) extensible(it *fltItem) bool {
	var rule *schemas.MatchingRule
	if it.rule != "" {
		var ok bool
		if rule, ok = schemas.LookupMatchingRule(it.rule); !ok {
			return false
		}
	}
	switch {
	case it.at == nil && rule == nil:
		return false
	case it.at == nil:
		it.anyRule = rule
	case rule == nil:
		var ok bool
		if rule, ok = schemas.LookupMatchingRule(it.at.Equality); !ok {
			return false
		}
	case !rule.AppliesTo(it.at):
		return false
	}
	switch rule.Kind {
	case schemas.SubstringsRule:
		return false // as in OpenLDAP: a Substring Assertion is not an AssertionValue here
	case schemas.OrderingRule:
		ok := it.m.compile(rule.Name, schemas.OrderingRule, it.at, it.value)
		it.m.how = howBelow
		return ok
	}
	return it.m.compile(rule.Name, schemas.EqualityRule, it.at, it.value)
}

// fltTypeNames returns the lower-case names and OIDs of a type and of its
// subtypes, the canonical name first. The slice is shared: read only.
func fltTypeNames(at *schemas.AttributeType) []string {
	return fltTypeNamesIndex()[at]
}

var fltTypeNamesIndex = sync.OnceValue(func() map[*schemas.AttributeType][]string {
	own := map[*schemas.AttributeType][]string{}
	for _, t := range schemas.AttributeTypes() {
		for _, n := range t.Names {
			own[t] = append(own[t], strings.ToLower(n))
		}
		own[t] = append(own[t], t.OID)
	}
	index := map[*schemas.AttributeType][]string{}
	for t, names := range own {
		index[t] = append(index[t][:0:0], names...)
	}
	for _, t := range schemas.AttributeTypes() {
		for depth, s := 0, fltSupertype(t); s != nil && depth < 16; depth, s = depth+1, fltSupertype(s) {
			index[s] = append(index[s], own[t]...)
		}
	}
	return index
})

// fltSupertype returns t's supertype, or nil.
func fltSupertype(t *schemas.AttributeType) *schemas.AttributeType {
	s, _ := schemas.LookupAttribute(t.Sup)
	return s
}

// fltValidDescription reports whether s is an RFC 4512 attribute
// description: a descr or numericoid, then options of letters, digits
// and hyphens.
func fltValidDescription(s string) bool {
	typ, opts, found := strings.Cut(s, ";")
	if !mrValidOID(typ) {
		return false
	}
	for o := range strings.SplitSeq(opts, ";") {
		if !found {
			break
		}
		if o == "" || strings.Trim(o, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
			return false
		}
	}
	return true
}
