package ldapserver

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/canaille-go/canaille/schemas"
)

// This file implements the matching rules of the schema registry
// (schemas.MatchingRules): the normal form in which each rule compares
// values; sort.go compares normal forms (filter assertions, ordering).
// Normal forms are built by appending to a caller's buffer, so that
// matching an ASCII value allocates nothing.
//
// String rules follow RFC 4518 in its practical form: control and format
// characters are dropped, other white space becomes SPACE, the
// case-insensitive rules fold case (full Unicode case folding), the result
// is put in NFKC, and insignificant spaces are handled (outer ones dropped,
// inner runs counted as one). Invalid UTF-8 makes a value unmatchable (the
// comparison is Undefined); no other character is prohibited. The IA5
// rules accept non-ASCII values too, prepared as their Directory String
// counterparts, since the store does not restrict mail addresses to ASCII.

// fltValue is a three-valued truth value (RFC 4511 section 4.5.1.7).
type fltValue uint8

const (
	fltFalse fltValue = iota
	fltTrue
	fltUndefined
)

func fltBool(b bool) fltValue {
	if b {
		return fltTrue
	}
	return fltFalse
}

// mrRule says how a matching rule compares values; several rules share
// an implementation (caseIgnoreMatch, its ordering and substrings
// variants, and the IA5 ones).
type mrRule uint8

const (
	ruleNone         mrRule = iota
	ruleCaseIgnore          // RFC 4518 with case folding
	ruleCaseExact           // RFC 4518 without case folding
	ruleNumeric             // numericString: spaces are insignificant
	ruleTelephone           // telephoneNumber: case folded, spaces and hyphens insignificant
	ruleList                // caseIgnoreList: a postal address, line by line
	ruleBoolean             // TRUE or FALSE
	ruleInteger             // numeric comparison, leading zeros allowed
	ruleBitString           // '0101'B
	ruleOctet               // bytes as they are
	ruleUniqueMember        // DN with an optional #'bits'B
	ruleTime                // GeneralizedTime instants
	ruleIntFirst            // integer first component of a description
	ruleOIDFirst            // OID first component of a description
	ruleOID                 // names and numeric OIDs are equivalent
	ruleDN                  // distinguishedNameMatch
	ruleUUID                // RFC 4530
	ruleBitAnd              // 1.2.840.113556.1.4.803
	ruleBitOr               // 1.2.840.113556.1.4.804
)

// mrRules maps the name of each implemented matching rule to its
// implementation; it covers schemas.MatchingRules exactly.
var mrRules = map[string]mrRule{
	"caseIgnoreMatch": ruleCaseIgnore, "caseIgnoreOrderingMatch": ruleCaseIgnore, "caseIgnoreSubstringsMatch": ruleCaseIgnore,
	"caseIgnoreIA5Match": ruleCaseIgnore, "caseIgnoreIA5SubstringsMatch": ruleCaseIgnore,
	"caseExactMatch": ruleCaseExact, "caseExactOrderingMatch": ruleCaseExact, "caseExactSubstringsMatch": ruleCaseExact,
	"caseExactIA5Match":  ruleCaseExact,
	"numericStringMatch": ruleNumeric, "numericStringOrderingMatch": ruleNumeric, "numericStringSubstringsMatch": ruleNumeric,
	"telephoneNumberMatch": ruleTelephone, "telephoneNumberSubstringsMatch": ruleTelephone,
	"caseIgnoreListMatch": ruleList, "caseIgnoreListSubstringsMatch": ruleList,
	"booleanMatch": ruleBoolean,
	"integerMatch": ruleInteger, "integerOrderingMatch": ruleInteger,
	"bitStringMatch":   ruleBitString,
	"octetStringMatch": ruleOctet, "octetStringOrderingMatch": ruleOctet,
	"uniqueMemberMatch":    ruleUniqueMember,
	"generalizedTimeMatch": ruleTime, "generalizedTimeOrderingMatch": ruleTime,
	"integerFirstComponentMatch":          ruleIntFirst,
	"objectIdentifierFirstComponentMatch": ruleOIDFirst,
	"objectIdentifierMatch":               ruleOID,
	"distinguishedNameMatch":              ruleDN,
	"UUIDMatch":                           ruleUUID, "UUIDOrderingMatch": ruleUUID,
	"integerBitAndMatch": ruleBitAnd, "integerBitOrMatch": ruleBitOr,
}

// mrType is what matching needs to know of an attribute type.
type mrType struct {
	at    *schemas.AttributeType
	lname string // canonical name, lower case
	eq    mrRule // equality rule, ruleNone when the type has none
}

// mrTypes indexes the registry's attribute types by lower-cased name and
// OID, for allocation-free look-ups from byte slices.
var mrTypes = func() map[string]*mrType {
	m := map[string]*mrType{}
	for _, at := range schemas.AttributeTypes() {
		t := &mrType{at: at, lname: strings.ToLower(at.Name()), eq: mrRules[at.Equality]}
		for _, n := range append([]string{at.OID}, at.Names...) {
			m[strings.ToLower(n)] = t
		}
	}
	return m
}()

// mrDNTypes are the types usual in DNs, which mrLookupType finds without
// hashing.
var mrDNTypes = [...]*mrType{mrTypes["uid"], mrTypes["cn"], mrTypes["ou"], mrTypes["dc"], mrTypes["o"]}

// mrLookupType finds an attribute type by name or OID given as bytes,
// case-insensitively, without allocating.
func mrLookupType(name []byte) *mrType {
	var buf [64]byte
	if len(name) > len(buf) {
		return nil
	}
	b := buf[:len(name)]
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	switch string(b) {
	case "uid":
		return mrDNTypes[0]
	case "cn":
		return mrDNTypes[1]
	case "ou":
		return mrDNTypes[2]
	case "dc":
		return mrDNTypes[3]
	case "o":
		return mrDNTypes[4]
	}
	return mrTypes[string(b)]
}

// Insignificant space handling modes (RFC 4518 section 2.6.1).
const (
	spTrim  = iota // equality and ordering: no outer spaces, inner runs as one
	spValue        // a value for substrings: one space each side, inner runs as two
	spPiece        // a substrings piece: outer runs as one space, inner runs as two
)

// mrPrepare appends the RFC 4518 preparation of v to dst, folding case
// when fold is set. It reports false for invalid UTF-8.
func mrPrepare(dst, v []byte, fold bool, mode int) ([]byte, bool) {
	if mode == spTrim {
		// One pass for ASCII, the common case.
		start, space := len(dst), false
		for _, c := range v {
			switch {
			case c >= utf8.RuneSelf:
				return mrPrepareSlow(dst[:start], v, fold, mode)
			case c == ' ' || '\t' <= c && c <= '\r':
				space = len(dst) > start
				continue
			case c < ' ' || c == 0x7f:
				continue
			}
			if space {
				dst = append(dst, ' ')
				space = false
			}
			if fold && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
		}
		return dst, true
	}
	return mrPrepareSlow(dst, v, fold, mode)
}

func mrPrepareSlow(dst, v []byte, fold bool, mode int) ([]byte, bool) {
	var tmp [256]byte
	mapped := tmp[:0]
	for _, c := range v {
		switch {
		case c >= utf8.RuneSelf:
			var ok bool
			if mapped, ok = mrMapUnicode(v, fold); !ok {
				return dst, false
			}
			return mrSpaces(dst, mapped, mode), true
		case c == ' ' || '\t' <= c && c <= '\r':
			c = ' '
		case c < ' ' || c == 0x7f:
			continue
		case fold && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		mapped = append(mapped, c)
	}
	return mrSpaces(dst, mapped, mode), true
}

// folders pools case folders, which are not safe for concurrent use.
var folders = sync.Pool{New: func() any { c := cases.Fold(); return &c }}

// mrMapUnicode applies the map and normalize steps of RFC 4518 to a
// non-ASCII string.
func mrMapUnicode(v []byte, fold bool) ([]byte, bool) {
	if !utf8.Valid(v) {
		return nil, false
	}
	mapped := make([]byte, 0, len(v))
	for i := 0; i < len(v); {
		r, n := utf8.DecodeRune(v[i:])
		i += n
		switch {
		case r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r' || r == 0x85:
			r = ' '
		case r == 0x034F || r == 0x200B || r == 0x1806 || 0x180B <= r && r <= 0x180E || 0xFE00 <= r && r <= 0xFE0F || r == 0xFFFC,
			unicode.In(r, unicode.Cc, unicode.Cf):
			continue
		case unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp):
			r = ' '
		}
		mapped = utf8.AppendRune(mapped, r)
	}
	mapped = norm.NFKC.Bytes(mapped)
	if fold {
		c := folders.Get().(*cases.Caser)
		mapped = norm.NFKC.Bytes(c.Bytes(mapped))
		folders.Put(c)
	}
	return mapped, true
}

// mrSpaces appends s, whose white space is already SPACE, with its
// insignificant spaces handled as mode says.
func mrSpaces(dst, s []byte, mode int) []byte {
	i := 0
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if mode == spValue || mode == spPiece && i > 0 {
		dst = append(dst, ' ')
	}
	if i == len(s) {
		if mode == spValue {
			dst = append(dst, ' ') // an empty value is two spaces
		}
		return dst
	}
	for i < len(s) {
		if s[i] != ' ' {
			dst = append(dst, s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] == ' ' {
			j++
		}
		switch {
		case j == len(s):
			if mode != spTrim {
				dst = append(dst, ' ')
			}
			return dst
		case mode == spTrim:
			dst = append(dst, ' ')
		default:
			dst = append(dst, ' ', ' ')
		}
		i = j
	}
	if mode == spValue {
		dst = append(dst, ' ')
	}
	return dst
}

// mrIsHyphen reports whether r is a hyphen RFC 4518 section 2.6.3 makes
// insignificant in telephone numbers (after NFKC).
func mrIsHyphen(r rune) bool {
	return r == '-' || r == 0x058A || r == 0x2010 || r == 0x2011 || r == 0x2212 || r == 0xFE63 || r == 0xFF0D
}

// mrPhone appends the telephoneNumberMatch form of v: case folded, without
// spaces and hyphens.
func mrPhone(dst, v []byte) ([]byte, bool) {
	var tmp [128]byte
	p, ok := mrPrepare(tmp[:0], v, true, spTrim)
	if !ok {
		return dst, false
	}
	for i := 0; i < len(p); {
		r, n := rune(p[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(p[i:])
		}
		if r != ' ' && !mrIsHyphen(r) {
			dst = append(dst, p[i:i+n]...)
		}
		i += n
	}
	return dst, true
}

// mrNumericString appends v without its spaces; it reports false unless v
// is digits and spaces.
func mrNumericString(dst, v []byte) ([]byte, bool) {
	for _, c := range v {
		switch {
		case '0' <= c && c <= '9':
			dst = append(dst, c)
		case c != ' ':
			return dst, false
		}
	}
	return dst, true
}

// mrPostal appends the caseIgnoreListMatch form of a Postal Address: each
// line (RFC 4517 section 3.3.28, "$"-separated, \24 and \5C escaped)
// prepared as caseIgnoreMatch prepares strings, lines separated by NUL,
// which prepared strings never contain.
func mrPostal(dst, v []byte, mode int) ([]byte, bool) {
	for i := 0; ; i++ {
		line := v
		end := bytes.IndexByte(v, '$')
		if end >= 0 {
			line = v[:end]
		}
		if i > 0 {
			dst = append(dst, 0)
		}
		var tmp [128]byte
		unescaped := tmp[:0]
		for j := 0; j < len(line); j++ {
			c := line[j]
			if c == '\\' {
				if j+2 >= len(line) {
					return dst, false
				}
				switch string(line[j+1 : j+3]) {
				case "24":
					c = '$'
				case "5C", "5c":
					c = '\\'
				default:
					return dst, false
				}
				j += 2
			}
			unescaped = append(unescaped, c)
		}
		var ok bool
		if dst, ok = mrPrepare(dst, unescaped, true, mode); !ok {
			return dst, false
		}
		if end < 0 {
			return dst, true
		}
		v = v[end+1:]
	}
}

// mrInteger appends the canonical form of an INTEGER: an optional minus
// and digits without leading zeros ("010" is "10", "-0" is "0").
func mrInteger(dst, v []byte) ([]byte, bool) {
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	if len(v) == 0 {
		return dst, false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return dst, false
		}
	}
	for len(v) > 1 && v[0] == '0' {
		v = v[1:]
	}
	if neg && v[0] != '0' {
		dst = append(dst, '-')
	}
	return append(dst, v...), true
}

// mrBits checks a Bit String, '0101'B.
func mrBits(v []byte) bool {
	if len(v) < 3 || v[0] != '\'' || v[len(v)-2] != '\'' || v[len(v)-1] != 'B' {
		return false
	}
	for _, c := range v[1 : len(v)-2] {
		if c != '0' && c != '1' {
			return false
		}
	}
	return true
}

// mrUUID appends the lower-case form of a UUID in its 8-4-4-4-12 form.
func mrUUID(dst, v []byte) ([]byte, bool) {
	if len(v) != 36 {
		return dst, false
	}
	for i, c := range v {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return dst, false
			}
		case '0' <= c && c <= '9' || 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			c += 'a' - 'A'
		default:
			return dst, false
		}
		dst = append(dst, c)
	}
	return dst, true
}

// mrTime appends a GeneralizedTime as a fixed-width UTC instant, which
// sorts as bytes.
func mrTime(dst, v []byte) ([]byte, bool) {
	t, err := schemas.ParseTime(string(v))
	if err != nil {
		return dst, false
	}
	return t.AppendFormat(dst, "20060102150405.000000000Z"), true
}

// mrOIDNorm appends the canonical form of an OID value: the numeric OID of
// a known object class, attribute type or matching rule, or the value
// itself, lower-cased, when it is a valid but unknown descr or numericoid.
func mrOIDNorm(dst, v []byte) ([]byte, bool) {
	s := string(bytes.TrimSpace(v))
	if !mrValidOID(s) {
		return dst, false
	}
	if o, ok := schemas.LookupObjectClass(s); ok {
		return append(dst, o.OID...), true
	}
	if a, ok := schemas.LookupAttribute(s); ok {
		return append(dst, a.OID...), true
	}
	if r, ok := schemas.LookupMatchingRule(s); ok {
		return append(dst, r.OID...), true
	}
	return append(dst, strings.ToLower(s)...), true
}

// mrValidOID reports whether s is a descr or a numericoid (RFC 4512).
func mrValidOID(s string) bool {
	if s == "" {
		return false
	}
	if '0' <= s[0] && s[0] <= '9' {
		for _, part := range strings.Split(s, ".") {
			if part == "" || len(part) > 1 && part[0] == '0' || strings.Trim(part, "0123456789") != "" {
				return false
			}
		}
		return strings.Contains(s, ".")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && ('0' <= c && c <= '9' || c == '-')) {
			return false
		}
	}
	return true
}

// mrFirstComponent returns the first component of an RFC 4512
// description, "( 2.5.4.3 NAME …" giving 2.5.4.3.
func mrFirstComponent(v []byte) ([]byte, bool) {
	v = bytes.TrimLeft(v, " ")
	if len(v) == 0 || v[0] != '(' {
		return nil, false
	}
	v = bytes.TrimLeft(v[1:], " ")
	if i := bytes.IndexAny(v, " )"); i >= 0 {
		v = v[:i]
	}
	return v, len(v) > 0
}

// mrDN appends the canonical form of a DN: attribute types as canonical
// lower-case names, values prepared with their type's equality rule and
// escaped, multi-valued RDNs sorted, no spaces around separators. Simple
// ASCII DNs of known string-valued types take a fast path that does not
// allocate; anything else goes through ldap.ParseDN.
func mrDN(dst, v []byte) ([]byte, bool) {
	return mrDNUntil(dst, v, nil)
}

// mrDNUntil is mrDN, except that on the fast path it stops as soon as the
// form appended so far is not a prefix of want (when want is not nil) and
// the rest of v is known to be valid: a DN compared with many member
// values then costs little more than a first RDN. The output is then
// incomplete, but still differs from want.
func mrDNUntil(dst, v, want []byte) ([]byte, bool) {
	start := len(dst)
	if out, ok := mrDNFast(dst, v, want); ok {
		return out, true
	}
	return mrDNSlow(dst[:start], v)
}

// mrDNFast is the fast path of mrDNUntil; ok is false when v is not a
// simple DN.
func mrDNFast(dst, v, want []byte) ([]byte, bool) {
	if !mrDNSimple(v) {
		return dst, false
	}
	start := len(dst)
	for i := 0; len(v) > 0; i++ {
		rdn := v
		if j := bytes.IndexByte(v, ','); j >= 0 {
			rdn, v = v[:j], v[j+1:]
		} else {
			v = nil
		}
		typ, val, _ := bytes.Cut(rdn, []byte{'='})
		t := mrLookupType(bytes.TrimSpace(typ))
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, t.lname...)
		dst = append(dst, '=')
		dst, _ = mrPrepare(dst, val, t.eq == ruleCaseIgnore, spTrim)
		if want != nil && !bytes.HasPrefix(want, dst[start:]) {
			break
		}
	}
	return dst, true
}

// mrDNSpecial marks the bytes that take a DN off the fast path.
var mrDNSpecial = func() (t [256]bool) {
	for _, c := range []byte("\\\"+;#<>\x00") {
		t[c] = true
	}
	for c := utf8.RuneSelf; c < len(t); c++ {
		t[c] = true
	}
	return t
}()

// mrDNSimple reports whether v is a non-empty sequence of type=value
// RDNs of known types with string equality rules, ASCII values and no
// special characters, in one pass.
func mrDNSimple(v []byte) bool {
	start, eq := 0, -1
	for i := 0; i <= len(v); i++ {
		if i < len(v) && v[i] != ',' {
			switch c := v[i]; {
			case mrDNSpecial[c]:
				return false
			case c == '=':
				if eq >= 0 {
					return false
				}
				eq = i
			}
			continue
		}
		if eq < 0 || i == len(v)-1 { // no "=", or a trailing comma
			return false
		}
		t := mrLookupType(bytes.TrimSpace(v[start:eq]))
		if t == nil || t.eq != ruleCaseIgnore && t.eq != ruleCaseExact {
			return false
		}
		start, eq = i+1, -1
	}
	return true
}

// mrDNSlow is mrDN for any DN, through ldap.ParseDN.
func mrDNSlow(dst, v []byte) ([]byte, bool) {
	dn, err := ldap.ParseDN(string(v))
	if err != nil {
		return dst, false
	}
	for i, rdn := range dn.RDNs {
		avas := make([]string, 0, len(rdn.Attributes))
		for _, a := range rdn.Attributes {
			typ := strings.TrimSpace(a.Type)
			if !mrValidOID(typ) { // ldap.ParseDN lets escaped characters through
				return dst, false
			}
			name, val := strings.ToLower(typ), []byte(a.Value)
			if t := mrLookupType([]byte(typ)); t != nil {
				name = t.lname
				if t.eq != ruleNone && t.eq != ruleDN && t.eq != ruleUniqueMember && t.eq != ruleIntFirst && t.eq != ruleOIDFirst {
					var ok bool
					if val, ok = mrNormalizeValue(nil, t.eq, val); !ok {
						return dst, false
					}
				}
			}
			avas = append(avas, name+"="+mrEscapeDNValue(val))
		}
		slices.Sort(avas)
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, strings.Join(avas, "+")...)
	}
	return dst, true
}

// mrEscapeDNValue escapes the characters that would make a canonical DN
// ambiguous, outer spaces and bytes that are not UTF-8, as \XX.
func mrEscapeDNValue(v []byte) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(v); {
		c, n := v[i], 1
		if c >= utf8.RuneSelf {
			if r, size := utf8.DecodeRune(v[i:]); r != utf8.RuneError || size > 1 {
				b.Write(v[i : i+size])
				i += size
				continue
			}
		}
		if c >= utf8.RuneSelf || strings.IndexByte(",+\"\\<>;=#", c) >= 0 || c < ' ' || c == 0x7f || c == ' ' && (i == 0 || i == len(v)-1) {
			b.WriteByte('\\')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		} else {
			b.WriteByte(c)
		}
		i += n
	}
	return b.String()
}

// mrUniqueMember appends the uniqueMemberMatch form of a Name And Optional
// UID: the canonical DN, then #'bits'B when present.
func mrUniqueMember(dst, v []byte) ([]byte, bool) {
	dn, uid := v, []byte(nil)
	if i := bytes.LastIndexByte(v, '#'); i >= 0 && mrBits(v[i+1:]) {
		dn, uid = v[:i], v[i+1:]
	}
	dst, ok := mrDN(dst, dn)
	if ok && uid != nil {
		dst = append(append(dst, '#'), uid...)
	}
	return dst, ok
}

// mrNormalize appends the form in which rule r compares the attribute
// value v for equality and ordering; ok is false when v is not valid for
// the rule. The first-component rules normalise the first component of a
// description; the assertion side is normalised by mrNormalizeAssertion.
//
// The functions it calls never call it back: a recursive cycle would
// make the compiler move every caller's buffer to the heap.
func mrNormalize(dst []byte, r mrRule, v []byte) ([]byte, bool) {
	switch r {
	case ruleDN:
		return mrDN(dst, v)
	case ruleUniqueMember:
		return mrUniqueMember(dst, v)
	case ruleIntFirst, ruleOIDFirst:
		c, ok := mrFirstComponent(v)
		if !ok {
			return dst, false
		}
		if r == ruleIntFirst {
			return mrInteger(dst, c)
		}
		return mrOIDNorm(dst, c)
	}
	return mrNormalizeValue(dst, r, v)
}

// mrNormalizeValue is mrNormalize for the rules whose values are not
// DNs or descriptions.
func mrNormalizeValue(dst []byte, r mrRule, v []byte) ([]byte, bool) {
	switch r {
	case ruleCaseIgnore, ruleCaseExact:
		return mrPrepare(dst, v, r == ruleCaseIgnore, spTrim)
	case ruleNumeric:
		return mrNumericString(dst, v)
	case ruleTelephone:
		return mrPhone(dst, v)
	case ruleList:
		return mrPostal(dst, v, spTrim)
	case ruleBoolean:
		if string(v) == "TRUE" || string(v) == "FALSE" {
			return append(dst, v...), true
		}
	case ruleInteger, ruleBitAnd, ruleBitOr:
		return mrInteger(dst, v)
	case ruleBitString:
		if mrBits(v) {
			return append(dst, v...), true
		}
	case ruleOctet:
		return append(dst, v...), true
	case ruleTime:
		return mrTime(dst, v)
	case ruleUUID:
		return mrUUID(dst, v)
	case ruleOID:
		return mrOIDNorm(dst, v)
	}
	return dst, false
}

// mrNormalizeAssertion is mrNormalize for an assertion value, which for
// the first-component rules is the component itself.
func mrNormalizeAssertion(dst []byte, r mrRule, v []byte) ([]byte, bool) {
	switch r {
	case ruleIntFirst:
		return mrInteger(dst, v)
	case ruleOIDFirst:
		return mrOIDNorm(dst, v)
	}
	return mrNormalize(dst, r, v)
}

// NormalizeValue returns value in the form in which the equality rule of
// the attribute type attr compares it, the form Equality.Normalized
// holds: RFC 4518 prepared strings (case folded for case-insensitive
// rules), canonical DNs, integers without leading zeros, lower-case UUIDs,
// numeric OIDs for object classes, and so on. An index keyed by
// NormalizeValue of each stored value answers equality filters exactly as
// Match does (except for objectClass: Match also matches an assertion
// against the subclasses of the class named, and for userPassword, which
// normalises to itself but which filters never match). ok is false for
// an unknown type, a type without an equality rule, or a value invalid
// for the rule.
func NormalizeValue(attr string, value []byte) (string, bool) {
	a, ok := schemas.LookupAttribute(attr)
	if !ok {
		return "", false
	}
	r := mrRules[a.Equality]
	if r == ruleNone || r == ruleBitAnd || r == ruleBitOr {
		return "", false
	}
	n, ok := mrNormalize(nil, r, value)
	return string(n), ok
}
