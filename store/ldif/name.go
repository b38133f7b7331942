package ldif

import (
	"bytes"
	"fmt"
)

// validDescription reports whether b is an attribute description as RFC 4512
// section 2.5 defines it: an attribute type, either a descr (a letter
// followed by letters, digits and hyphens) or a numericoid (dotted decimal
// without leading zeros), followed by zero or more options, each ";" and one
// or more letters, digits or hyphens (for example "cn;lang-fr" or
// "userCertificate;binary").
func validDescription(b []byte) bool {
	typ, opts, hasOpts := bytes.Cut(b, []byte{';'})
	if !validDescr(typ) && !validNumericOID(typ) {
		return false
	}
	for hasOpts {
		var opt []byte
		opt, opts, hasOpts = bytes.Cut(opts, []byte{';'})
		if len(opt) == 0 {
			return false
		}
		for _, c := range opt {
			if !isKeychar(c) {
				return false
			}
		}
	}
	return true
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isKeychar(c byte) bool { return isAlpha(c) || isDigit(c) || c == '-' }

// validDescr reports whether b is an RFC 4512 keystring.
func validDescr(b []byte) bool {
	if len(b) == 0 || !isAlpha(b[0]) {
		return false
	}
	for _, c := range b[1:] {
		if !isKeychar(c) {
			return false
		}
	}
	return true
}

// validNumericOID reports whether b is an RFC 4512 numericoid: at least two
// numbers separated by dots, no number with a leading zero.
func validNumericOID(b []byte) bool {
	for parts := 1; ; parts++ {
		num, rest, more := bytes.Cut(b, []byte{'.'})
		if len(num) == 0 || (num[0] == '0' && len(num) > 1) {
			return false
		}
		for _, c := range num {
			if !isDigit(c) {
				return false
			}
		}
		if !more {
			return parts >= 2
		}
		b = rest
	}
}

// quoteName formats an attribute name found in the input for an error
// message: quoted, and cut short so that a value pasted where a name belongs
// cannot end up whole in a message.
func quoteName(b []byte) string {
	const maxShown = 40
	if len(b) > maxShown {
		return fmt.Sprintf("%q (cut at %d bytes)", b[:maxShown], maxShown)
	}
	return fmt.Sprintf("%q", b)
}
