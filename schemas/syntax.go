package schemas

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"strings"
	"time"
)

// FormatTime formats t as an LDAP GeneralizedTime in UTC at second
// precision, such as "20261128204655Z". The zero time, and instants outside
// the years 0000 to 9999 which the syntax cannot hold, give "".
func FormatTime(t time.Time) string {
	if t.IsZero() || !representable(t) {
		return ""
	}
	return t.UTC().Format("20060102150405Z")
}

// formatTimeMicro is FormatTime with microseconds when t has a fraction of
// a second, as OpenLDAP writes pwdFailureTime (several failures may fall in
// the same second, and LDAP attribute values must be distinct).
func formatTimeMicro(t time.Time) string {
	if t.Nanosecond()/1000 == 0 || !representable(t) {
		return FormatTime(t)
	}
	return t.UTC().Format("20060102150405.000000Z")
}

var errTime = errors.New("not a GeneralizedTime (expected YYYYMMDDHHMMSSZ)")

// ParseTime parses an LDAP GeneralizedTime (RFC 4517 section 3.3.13):
// YYYYMMDDHH, optional minutes, optional seconds, an optional fraction
// (after "." or ",") of the last unit given, then "Z" or an offset "+HH",
// "-HHMM", …. It returns the instant in UTC, and an error for an instant
// outside the years 0000 to 9999 in UTC. Errors do not quote the value.
func ParseTime(s string) (time.Time, error) {
	p := timeParser{s: s}
	year := p.digits(4)
	month := p.digits(2)
	day := p.digits(2)
	hour := p.digits(2)
	if p.err != nil || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 {
		return time.Time{}, errTime
	}
	unit := time.Hour
	var minute, sec int
	if p.isDigit() {
		minute, unit = p.digits(2), time.Minute
		if p.isDigit() {
			sec, unit = p.digits(2), time.Second
		}
	}
	if p.err != nil || minute > 59 || sec > 60 { // 60: leap second
		return time.Time{}, errTime
	}
	var frac time.Duration
	if p.peek('.') || p.peek(',') {
		p.i++
		frac = p.fraction(unit)
	}
	loc := time.UTC
	switch {
	case p.peek('Z'):
		p.i++
	case p.peek('+') || p.peek('-'):
		sign := 1
		if p.s[p.i] == '-' {
			sign = -1
		}
		p.i++
		offH, offM := p.digits(2), 0
		if p.isDigit() {
			offM = p.digits(2)
		}
		if p.err != nil || offH > 23 || offM > 59 {
			return time.Time{}, errTime
		}
		loc = time.FixedZone("", sign*(offH*3600+offM*60))
	default:
		return time.Time{}, errTime
	}
	if p.err != nil || p.i != len(p.s) {
		return time.Time{}, errTime
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, loc)
	if t.Day() != day { // 31 February and the like
		return time.Time{}, errTime
	}
	t = t.Add(frac).UTC()
	if !representable(t) {
		return time.Time{}, errTime
	}
	return t, nil
}

// representable reports whether t falls in the years GeneralizedTime can
// hold, in UTC.
func representable(t time.Time) bool {
	y := t.UTC().Year()
	return 0 <= y && y <= 9999
}

type timeParser struct {
	s   string
	i   int
	err error
}

func (p *timeParser) isDigit() bool {
	return p.i < len(p.s) && '0' <= p.s[p.i] && p.s[p.i] <= '9'
}

func (p *timeParser) peek(c byte) bool { return p.i < len(p.s) && p.s[p.i] == c }

// digits reads a number of exactly n digits.
func (p *timeParser) digits(n int) int {
	v := 0
	for range n {
		if !p.isDigit() {
			p.err = errTime
			return 0
		}
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
	}
	return v
}

// fraction reads one or more digits as a fraction of unit, to the
// nanosecond.
func (p *timeParser) fraction(unit time.Duration) time.Duration {
	if !p.isDigit() {
		p.err = errTime
		return 0
	}
	var d time.Duration
	scale := unit / 10
	for p.isDigit() {
		d += time.Duration(p.s[p.i]-'0') * scale
		scale /= 10
		p.i++
	}
	return d
}

// EncodePostalAddress converts a multi-line address to the LDAP
// PostalAddress syntax (RFC 4517 section 3.3.28): "\" becomes "\5C", "$"
// becomes "\24", and line breaks (LF or CRLF) become "$".
func EncodePostalAddress(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\5C`)
		case '$':
			b.WriteString(`\24`)
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				continue
			}
			b.WriteByte(c)
		case '\n':
			b.WriteByte('$')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// DecodePostalAddress converts an LDAP PostalAddress value back to lines
// separated by "\n": "$" separates lines and "\24" and "\5C" (in either
// case) stand for "$" and "\". Any other backslash is kept as it is.
func DecodePostalAddress(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '$':
			b.WriteByte('\n')
		case c == '\\' && i+2 < len(s) && s[i+1] == '2' && s[i+2] == '4':
			b.WriteByte('$')
			i += 2
		case c == '\\' && i+2 < len(s) && s[i+1] == '5' && (s[i+2] == 'C' || s[i+2] == 'c'):
			b.WriteByte('\\')
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// labeledURI returns the URI of a labeledURI value, "URI label" (RFC 2079):
// what comes before the first space.
func labeledURI(v string) string {
	v = strings.TrimLeft(v, " ")
	uri, _, _ := strings.Cut(v, " ")
	return uri
}

// CanonicalUUID returns s as a lower-case UUID "xxxxxxxx-xxxx-xxxx-xxxx-
// xxxxxxxxxxxx", or "" when s is not a UUID in that form (in any case).
func CanonicalUUID(s string) string {
	if len(s) != 36 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return ""
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return ""
		}
	}
	return strings.ToLower(s)
}

// idNamespace is the namespace of the name-based UUIDs EntryUUID derives
// from store IDs that are not UUIDs (a random UUID chosen for this purpose).
var idNamespace = [16]byte{0x8f, 0x5b, 0x23, 0xc1, 0x6a, 0x0e, 0x4d, 0x92, 0xb4, 0x71, 0x1c, 0x3e, 0x57, 0xa8, 0x09, 0xd6}

// EntryUUID returns the entryUUID of an object whose store ID is id: the ID
// itself, lower-cased, when it is a UUID (objects imported from LDAP keep
// their entryUUID as ID); otherwise a name-based version 5 UUID (RFC 9562)
// derived from the ID, so that the same object always gets the same
// entryUUID and different objects different ones. An empty ID gives "".
func EntryUUID(id string) string {
	if id == "" {
		return ""
	}
	if u := CanonicalUUID(id); u != "" {
		return u
	}
	h := sha1.New()
	h.Write(idNamespace[:])
	h.Write([]byte(id))
	sum := h.Sum(nil)
	sum[6] = sum[6]&0x0f | 0x50 // version 5
	sum[8] = sum[8]&0x3f | 0x80 // RFC 9562 variant
	x := hex.EncodeToString(sum[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
