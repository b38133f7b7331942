package password

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"
)

// argon2Hash is a parsed argon2 PHC string:
//
//	$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>
type argon2Hash struct {
	id      bool // argon2id, else argon2i
	bare    bool // no {ARGON2} prefix
	time    uint32
	memory  uint32 // KiB
	threads uint8
	salt    []byte
	key     []byte
}

// argon2B64 is libargon2's encoding: standard alphabet, no padding, and
// unused trailing bits must be zero.
var argon2B64 = base64.RawStdEncoding.Strict()

func parseArgon2(s string, lim *limits, bare bool) (*argon2Hash, error) {
	const name = "ARGON2"
	if len(s) > maxStoredLen {
		return nil, malformed(name, "value too long")
	}
	f := strings.SplitN(s, "$", 7)
	if len(f) < 2 || f[0] != "" {
		return nil, malformed(name, "not a PHC string")
	}
	a := &argon2Hash{bare: bare}
	switch f[1] {
	case "argon2id":
		a.id = true
	case "argon2i":
	case "argon2d":
		return nil, unsupported("ARGON2 (argon2d)")
	default:
		return nil, malformed(name, "unknown variant")
	}
	// libargon2 omits the version field for version 16 (0x10).
	if len(f) == 5 && strings.HasPrefix(f[2], "m=") {
		return nil, unsupported("ARGON2 (v=16)")
	}
	if len(f) != 6 {
		return nil, malformed(name, "wrong number of fields")
	}
	switch f[2] {
	case "v=19":
	case "v=16":
		return nil, unsupported("ARGON2 (v=16)")
	default:
		return nil, malformed(name, "bad version")
	}

	m, rest, ok := argon2Param(f[3], "m=")
	if ok {
		a.memory = m
		var t uint32
		t, rest, ok = argon2Param(rest, ",t=")
		a.time = t
	}
	if ok {
		var p uint32
		p, rest, ok = argon2Param(rest, ",p=")
		ok = ok && rest == "" && p >= 1 && p <= 255
		a.threads = uint8(p)
	}
	if !ok {
		return nil, malformed(name, "bad parameters")
	}
	if a.time < 1 || a.time > lim.argon2Time ||
		uint64(a.memory) < 8*uint64(a.threads) || a.memory > lim.argon2MemoryKiB ||
		uint64(a.memory)*uint64(a.time) > lim.argon2Work {
		return nil, malformed(name, "parameters out of range")
	}

	var err error
	if a.salt, err = argon2B64.DecodeString(f[4]); err != nil || len(a.salt) < minArgon2Salt || len(a.salt) > maxArgon2Bytes {
		return nil, malformed(name, "bad salt")
	}
	if a.key, err = argon2B64.DecodeString(f[5]); err != nil || len(a.key) < minArgon2Key || len(a.key) > maxArgon2Bytes {
		return nil, malformed(name, "bad hash")
	}
	return a, nil
}

// argon2Param parses prefix followed by a decimal uint32 at the start of s,
// up to the next ',' or the end, and returns the remainder.
func argon2Param(s, prefix string) (v uint32, rest string, ok bool) {
	s, ok = strings.CutPrefix(s, prefix)
	if !ok {
		return 0, "", false
	}
	end := strings.IndexByte(s, ',')
	if end < 0 {
		end = len(s)
	}
	// ParseUint accepts decimal digits only: no sign, no spaces.
	n, err := strconv.ParseUint(s[:end], 10, 32)
	if err != nil {
		return 0, "", false
	}
	return uint32(n), s[end:], true
}

func (a *argon2Hash) scheme() string { return "ARGON2" }

func (a *argon2Hash) verify(ctx context.Context, h *Hasher, password []byte) (bool, error) {
	key, err := h.argon2(ctx, a.id, password, a.salt, a.time, a.memory, a.threads, uint32(len(a.key)))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(key, a.key) == 1, nil
}

func (a *argon2Hash) needsUpgrade(p Params) bool {
	return !a.id || a.bare ||
		a.time != p.Time || a.memory != p.MemoryKiB || a.threads != p.Threads ||
		len(a.salt) != int(p.SaltLen) || len(a.key) != int(p.KeyLen)
}
