// Package ldif reads and writes LDIF content records (RFC 2849), the format
// slapcat produces and `canaille import` / `canaille export` exchange.
//
// The package is schema-agnostic: an [Entry] is a DN and attributes with raw
// byte values, in file order. Mapping entries to users and groups is done by
// the caller. Change records (changetype:, control:) and URL values (attr:<)
// are rejected with a [*ParseError]; nothing is ever fetched from a file or
// the network.
//
// [Reader] streams: it holds one entry in memory at a time and enforces size
// limits, so a hostile or corrupt file cannot exhaust memory. [Writer] emits
// LDIF that Reader reads back to an equal entry.
package ldif

import (
	"fmt"
	"strings"
)

// Attribute is one attribute description and its values in file order.
//
// Name is kept verbatim, including options and the case first seen, for
// example "userCertificate;binary" or "cn;lang-fr". Values are raw bytes:
// base64 values are decoded, plain values are taken as written.
type Attribute struct {
	Name   string
	Values [][]byte
}

// Entry is one LDIF content record.
//
// Attributes are in file order. When the same attribute description appears
// on non-adjacent lines, the values are merged into one Attribute at the
// position of its first occurrence; descriptions are compared
// case-insensitively, options included ("cn;lang-fr" and "cn" are different
// attributes). Duplicate values are kept as given.
type Entry struct {
	DN         string
	Attributes []Attribute
	Line       int // 1-based line number of the "dn:" line; 0 for entries not read from a file
}

// attr returns the attribute whose description equals name,
// case-insensitively, or nil.
func (e *Entry) attr(name string) *Attribute {
	for i := range e.Attributes {
		if strings.EqualFold(e.Attributes[i].Name, name) {
			return &e.Attributes[i]
		}
	}
	return nil
}

// Get returns the values of the attribute whose description equals name,
// compared case-insensitively and including options ("cn" does not match
// "cn;lang-fr"). It returns nil when the entry has no such attribute. The
// returned slice is the entry's own, not a copy.
func (e *Entry) Get(name string) [][]byte {
	if a := e.attr(name); a != nil {
		return a.Values
	}
	return nil
}

// First returns the first value of the attribute name (matched as by Get) as
// a string, or "" when the attribute is absent.
func (e *Entry) First(name string) string {
	if v := e.Get(name); len(v) > 0 {
		return string(v[0])
	}
	return ""
}

// Strings returns the values of the attribute name (matched as by Get) as
// strings, or nil when the attribute is absent.
func (e *Entry) Strings(name string) []string {
	v := e.Get(name)
	if v == nil {
		return nil
	}
	s := make([]string, len(v))
	for i, b := range v {
		s[i] = string(b)
	}
	return s
}

// Has reports whether the entry has the attribute name (matched as by Get)
// with at least one value.
func (e *Entry) Has(name string) bool {
	return len(e.Get(name)) > 0
}

// ParseError locates a problem in the input. Reader.Next returns it as a
// *ParseError.
type ParseError struct {
	// Line is the 1-based physical line where the problem is. For a folded
	// attribute it is the line where the attribute starts.
	Line int
	// Msg says what is wrong in words a person can act on. It never contains
	// a value from the input (values may be password hashes); it may contain
	// an attribute name.
	Msg string
}

// Error returns "ldif: line N: " followed by Msg.
func (e *ParseError) Error() string {
	return fmt.Sprintf("ldif: line %d: %s", e.Line, e.Msg)
}
