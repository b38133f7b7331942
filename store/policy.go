package store

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// PasswordPolicy is the one password policy of the web interface, the LDAP
// server and the command line.
type PasswordPolicy struct {
	MinLength int // in characters
	MaxLength int // in characters; 0 means no maximum
}

// Check returns nil when password is acceptable for u, else a
// *ValidationError on field "password" saying why (never quoting the
// password).
func (p PasswordPolicy) Check(password string, u *User) error {
	n := utf8.RuneCountInString(password)
	reason := ""
	switch {
	case !utf8.ValidString(password):
		reason = "must be valid UTF-8"
	case n < p.MinLength:
		reason = fmt.Sprintf("must be at least %d characters long", p.MinLength)
	case p.MaxLength > 0 && n > p.MaxLength:
		reason = fmt.Sprintf("must be at most %d characters long", p.MaxLength)
	case u != nil && containsPersonalData(password, u):
		reason = "must not be your user name or email address"
	}
	if reason == "" {
		return nil
	}
	return &ValidationError{Field: "password", Reason: reason}
}

// containsPersonalData reports whether the password is built around the
// user name, an email address or its local part: what is left once every
// occurrence of one of them is removed is shorter than 6 characters
// ("alice2026!" for alice). Identifiers shorter than 4 characters are not
// checked: they would refuse too many good passwords.
func containsPersonalData(password string, u *User) bool {
	pw := strings.ToLower(password)
	candidates := []string{u.UserName}
	for _, e := range u.Emails {
		candidates = append(candidates, e)
		if at := strings.IndexByte(e, '@'); at > 0 {
			candidates = append(candidates, e[:at])
		}
	}
	for _, c := range candidates {
		c = strings.ToLower(c)
		if utf8.RuneCountInString(c) >= 4 && strings.Contains(pw, c) &&
			utf8.RuneCountInString(strings.ReplaceAll(pw, c, "")) < 6 {
			return true
		}
	}
	return false
}

// NewID returns a random RFC 4122 version 4 UUID, the form of generated
// object IDs (they double as LDAP entryUUID).
func NewID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics on failure since Go 1.24)
	b[6] = b[6]&0x0f | 0x40
	return formatUUID(&b)
}

// NewTimeID returns an RFC 9562 version 7 UUID: the current time in
// milliseconds, then 74 random bits. IDs made later sort after earlier
// ones, so that records created in bulk (tokens, codes) are appended to a
// database's B+tree instead of being spread over its pages.
func NewTimeID(now time.Time) string {
	var b [16]byte
	rand.Read(b[:])
	ms := uint64(max(now.UnixMilli(), 0))
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x70
	return formatUUID(&b)
}

// formatUUID sets the RFC 9562 variant bits of b and formats it.
func formatUUID(b *[16]byte) string {
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0xf])
	}
	return string(out)
}

// NewSecret returns a random URL-safe secret with 256 bits of entropy, for
// tokens, session cookies and client secrets.
func NewSecret() string {
	return rand.Text() + rand.Text()
}

// LockoutPolicy is the intruder lockout (ENABLE_INTRUDER_LOCKOUT) shared
// by web logins and LDAP binds, as Python Canaille does it: after n failed
// attempts within Window, the next attempt is refused until Base×2^(n-1),
// at most Max, has passed since the last failure.
type LockoutPolicy struct {
	Base, Max, Window time.Duration
}

// DefaultLockout is 2 s doubling up to 10 minutes, counting the failures
// of the last 10 minutes.
func DefaultLockout() LockoutPolicy {
	return LockoutPolicy{Base: 2 * time.Second, Max: 10 * time.Minute, Window: 10 * time.Minute}
}

// Wait returns how long an account with these failure times must wait
// before its next attempt at now; zero means it may try now.
func (p LockoutPolicy) Wait(failures []time.Time, now time.Time) time.Duration {
	var n int
	var last time.Time
	for _, f := range failures {
		if now.Sub(f) < p.Window {
			n++
			if f.After(last) {
				last = f
			}
		}
	}
	if n == 0 {
		return 0
	}
	delay := p.Base
	for i := 1; i < n && delay < p.Max; i++ {
		delay *= 2
	}
	delay = min(delay, p.Max)
	if wait := last.Add(delay).Sub(now); wait > 0 {
		return wait
	}
	return 0
}
