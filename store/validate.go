package store

import (
	"net/mail"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTextLength bounds every free-text field (in bytes).
const MaxTextLength = 4096

// ValidUserName returns "" when name is an acceptable user_name, else the
// reason. A user name is what people type at login and what POSIX systems
// see (uid): 1 to 64 characters among ASCII letters, digits and . _ - @,
// starting with a letter, a digit or an underscore.
func ValidUserName(name string) string {
	switch {
	case name == "":
		return "is required"
	case len(name) > 64:
		return "must be at most 64 characters"
	}
	for i, r := range name {
		ok := r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' ||
			r >= '0' && r <= '9' || r == '_' || (i > 0 && strings.ContainsRune(".-@", r)))
		if !ok {
			return "may contain only letters, digits, '.', '_', '-' and '@', and must start with a letter, a digit or '_'"
		}
	}
	return ""
}

// ValidGroupName returns "" when name is an acceptable group display_name,
// else the reason: 1 to 128 printable characters, no leading or trailing
// space.
func ValidGroupName(name string) string {
	switch {
	case name == "":
		return "is required"
	case utf8.RuneCountInString(name) > 128:
		return "must be at most 128 characters"
	case strings.TrimSpace(name) != name:
		return "must not start or end with a space"
	}
	return validText(name, false)
}

func validEmail(e string) string {
	if len(e) > 254 {
		return "must be at most 254 characters"
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return "must be an email address such as alice@example.org"
	}
	at := strings.LastIndexByte(e, '@')
	if at <= 0 || at == len(e)-1 || strings.ContainsAny(e, " \t\r\n") {
		return "must be an email address such as alice@example.org"
	}
	return ""
}

func validPhone(p string) string {
	digits := 0
	for i, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case strings.ContainsRune(" ()./-", r):
		default:
			return "may contain only digits, spaces and + ( ) . / -"
		}
	}
	if digits < 3 || len(p) > 32 {
		return "must hold 3 to 32 characters with at least 3 digits"
	}
	return ""
}

// validHTTPURL accepts absolute http and https URLs.
func validHTTPURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an absolute http:// or https:// URL"
	}
	// url.Parse lets invalid UTF-8 and non-ASCII control characters
	// through, and bounds nothing.
	return validText(s, false)
}

// ValidURI returns "" when s is an absolute URI (any scheme, as redirect
// URIs of native applications may use custom schemes) without a fragment,
// in valid UTF-8 without control characters and at most MaxTextLength
// bytes long.
func ValidURI(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Scheme == "":
		return "must be an absolute URI"
	case u.Fragment != "" || strings.Contains(s, "#"):
		return "must not contain a fragment (#)"
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host == "":
		return "must name a host"
	case scriptSchemes[strings.ToLower(u.Scheme)]:
		return "must not use the " + strings.ToLower(u.Scheme) + ": scheme"
	}
	return validText(s, false)
}

// scriptSchemes run code or read local files in a browser: never valid
// where a browser is sent.
var scriptSchemes = map[string]bool{"javascript": true, "vbscript": true, "data": true, "file": true, "blob": true}

func validLanguageTag(t string) bool {
	parts := strings.Split(t, "-")
	if len(parts[0]) < 2 || len(parts[0]) > 3 || !isAlpha(parts[0]) {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) < 1 || len(p) > 8 || !isAlnum(p) {
			return false
		}
	}
	return true
}

func isAlpha(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func isAlnum(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// validText refuses invalid UTF-8, control characters (newlines only when
// multiline) and over-long values.
func validText(s string, multiline bool) string {
	if len(s) > MaxTextLength {
		return "is too long"
	}
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return "must not contain control characters"
		}
		if isBidiOverride(r) {
			return "must not contain bidirectional override characters"
		}
	}
	return ""
}

// isBidiOverride reports the explicit embedding, override and isolate
// characters, which can make a displayed name read differently from what
// it is (U+202A to U+202E, U+2066 to U+2069).
func isBidiOverride(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}
