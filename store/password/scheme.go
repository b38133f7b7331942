package password

import (
	"context"
	"fmt"
	"strings"
)

// maxStoredLen bounds the length of a stored value; real hashes are far
// shorter.
const maxStoredLen = 4096

// maxSchemeLen bounds the scheme name inside braces.
const maxSchemeLen = 32

// limits bounds the cost of verifying an imported hash. Tests lower them to
// keep fuzzing fast.
type limits struct {
	argon2MemoryKiB uint32
	argon2Time      uint32
	argon2Work      uint64 // memory × time
	cryptRounds     int
	bcryptCost      int
}

var defaultLimits = limits{
	argon2MemoryKiB: maxArgon2MemoryKiB,
	argon2Time:      maxArgon2Time,
	argon2Work:      maxArgon2Work,
	cryptRounds:     2_000_000,
	bcryptCost:      16,
}

// hashValue is a parsed stored value.
type hashValue interface {
	// verify reports whether password matches, in constant time with
	// respect to the stored digest.
	verify(ctx context.Context, h *Hasher, password []byte) (bool, error)
	// needsUpgrade reports whether the value should be rehashed with p.
	needsUpgrade(p Params) bool
	// scheme is the name reported by Scheme.
	scheme() string
}

func malformed(scheme, reason string) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformedHash, scheme, reason)
}

func unsupported(scheme string) error {
	return fmt.Errorf("%w: %s", ErrUnsupportedScheme, scheme)
}

// Scheme returns the scheme name of a stored value as used in messages
// ("ARGON2", "SSHA", "SSHA512", "CRYPT", "BCRYPT", …). If the value could
// never be verified, it returns an error wrapping ErrUnsupportedScheme or
// ErrMalformedHash that names the scheme (never the value itself); an import
// uses it to reject such values. A value without a scheme prefix is reported
// as the unsupported scheme "CLEARTEXT".
func Scheme(stored string) (string, error) {
	v, err := parse(stored, &defaultLimits)
	if err != nil {
		return "", err
	}
	return v.scheme(), nil
}

// IsHashed reports whether v carries a {SCHEME} prefix other than
// {CLEARTEXT}, or is a bare bcrypt ($2a$, $2b$, $2y$) or argon2 ($argon2…$)
// string. A value without one is a cleartext password as OpenLDAP would
// store it, to be hashed before it is stored. IsHashed does not check that
// the scheme is supported; Scheme does.
func IsHashed(v string) bool {
	if name, _, ok := splitScheme(v); ok {
		return !strings.EqualFold(name, "CLEARTEXT")
	}
	return isBareBcrypt(v) || isBareArgon2(v)
}

// splitScheme splits "{NAME}rest". ok is false if v does not start with a
// well-formed scheme prefix: 1 to maxSchemeLen characters among letters,
// digits, '-', '_' and '.'.
func splitScheme(v string) (name, rest string, ok bool) {
	if len(v) < 3 || v[0] != '{' {
		return "", "", false
	}
	for i := 1; i < len(v) && i <= maxSchemeLen+1; i++ {
		c := v[i]
		switch {
		case c == '}':
			if i == 1 {
				return "", "", false
			}
			return v[1:i], v[i+1:], true
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return "", "", false
		}
	}
	return "", "", false
}

func isBareBcrypt(v string) bool {
	return strings.HasPrefix(v, "$2a$") || strings.HasPrefix(v, "$2b$") || strings.HasPrefix(v, "$2y$")
}

func isBareArgon2(v string) bool { return strings.HasPrefix(v, "$argon2") }

// parse decodes a stored value and checks it against lim.
func parse(stored string, lim *limits) (hashValue, error) {
	name, rest, ok := splitScheme(stored)
	if !ok {
		switch {
		case isBareBcrypt(stored):
			return parseBcrypt("BCRYPT", stored, lim)
		case isBareArgon2(stored):
			return parseArgon2(stored, lim, true)
		}
		return nil, unsupported("CLEARTEXT")
	}
	name = strings.ToUpper(name)
	d, isDigest := digestSchemes[name]
	if !isDigest && name != "ARGON2" && name != "CRYPT" && name != "BCRYPT" {
		// name is a validated token (letters, digits, "-_."), not the hash.
		return nil, unsupported(name)
	}
	if len(rest) > maxStoredLen {
		return nil, malformed(name, "value too long")
	}
	switch name {
	case "ARGON2":
		return parseArgon2(rest, lim, false)
	case "CRYPT":
		return parseCrypt(rest, lim)
	case "BCRYPT":
		return parseBcrypt(name, rest, lim)
	}
	return parseDigest(name, d, rest)
}
