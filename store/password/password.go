package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"

	"golang.org/x/crypto/argon2"
	"golang.org/x/sync/semaphore"
)

// ErrUnsupportedScheme reports a stored value whose scheme this package
// cannot verify (including cleartext values).
var ErrUnsupportedScheme = errors.New("password: unsupported hash scheme")

// ErrMalformedHash reports a stored value of a known scheme that cannot be
// decoded, or whose cost parameters are out of the accepted range.
var ErrMalformedHash = errors.New("password: malformed hash")

// Params are argon2id parameters.
type Params struct {
	Time      uint32 // iterations (t)
	MemoryKiB uint32 // memory in KiB (m)
	Threads   uint8  // parallelism (p)
	SaltLen   uint32 // bytes, default 16
	KeyLen    uint32 // bytes, default 32
}

// DefaultParams returns the second recommended profile of RFC 9106: t=3,
// m=64 MiB, p=4, with a 16-byte salt and a 32-byte key.
func DefaultParams() Params {
	return Params{Time: 3, MemoryKiB: 64 * 1024, Threads: 4, SaltLen: 16, KeyLen: 32}
}

// Bounds of argon2 parameters, for our own Params and for imported hashes.
const (
	maxArgon2MemoryKiB = 4 << 20  // 4 GiB
	maxArgon2Time      = 1000     // passes
	maxArgon2Work      = 16 << 20 // MemoryKiB×Time: 16 GiB of memory passes
	minArgon2Salt      = 8        // libargon2's minimum, bytes
	minArgon2Key       = 4        // libargon2's minimum, bytes
	maxArgon2Bytes     = 1024     // salt and key, bytes
)

// Validate reports whether p is usable: Time in 1..1000, Threads ≥ 1,
// MemoryKiB in 8×Threads..4 GiB, MemoryKiB×Time at most 16 GiB, SaltLen in
// 8..1024 and KeyLen in 16..1024. The error names the offending field.
func (p Params) Validate() error {
	switch {
	case p.Time < 1 || p.Time > maxArgon2Time:
		return fmt.Errorf("password: invalid params: Time must be in 1..%d", maxArgon2Time)
	case p.Threads < 1:
		return errors.New("password: invalid params: Threads must be at least 1")
	case uint64(p.MemoryKiB) < 8*uint64(p.Threads):
		return errors.New("password: invalid params: MemoryKiB must be at least 8×Threads")
	case p.MemoryKiB > maxArgon2MemoryKiB:
		return errors.New("password: invalid params: MemoryKiB must be at most 4 GiB")
	case uint64(p.MemoryKiB)*uint64(p.Time) > maxArgon2Work:
		return errors.New("password: invalid params: MemoryKiB×Time must be at most 16 GiB")
	case p.SaltLen < minArgon2Salt || p.SaltLen > maxArgon2Bytes:
		return fmt.Errorf("password: invalid params: SaltLen must be in %d..%d", minArgon2Salt, maxArgon2Bytes)
	case p.KeyLen < 16 || p.KeyLen > maxArgon2Bytes:
		return fmt.Errorf("password: invalid params: KeyLen must be in 16..%d", maxArgon2Bytes)
	}
	return nil
}

// Hasher hashes passwords with argon2id and verifies stored values of any
// supported scheme. It is safe for concurrent use.
type Hasher struct {
	params    Params
	slots     int64
	sem       *semaphore.Weighted
	wasteSalt []byte
	limits    limits

	// testHook, when set by tests, runs inside the semaphore before each
	// argon2 computation.
	testHook func()
}

// NewHasher returns a Hasher for the argon2id parameters p, after validating
// them. maxConcurrent caps how many argon2 computations (hash or verify) run
// at once, as a guard against memory exhaustion (each uses p.MemoryKiB); a
// value ≤ 0 means runtime.GOMAXPROCS(0).
func NewHasher(p Params, maxConcurrent int) (*Hasher, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.GOMAXPROCS(0)
	}
	salt := make([]byte, p.SaltLen)
	rand.Read(salt) // never fails since Go 1.24
	return &Hasher{
		params:    p,
		slots:     int64(maxConcurrent),
		sem:       semaphore.NewWeighted(int64(maxConcurrent)),
		wasteSalt: salt,
		limits:    defaultLimits,
	}, nil
}

// Params returns the argon2id parameters of new hashes.
func (h *Hasher) Params() Params { return h.params }

// Hash returns a new {ARGON2} argon2id hash of password with a random salt.
// It waits for a free slot of the semaphore, and returns ctx.Err() if ctx is
// done first.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	p := h.params
	salt := make([]byte, p.SaltLen)
	rand.Read(salt) // never fails since Go 1.24
	key, err := h.argon2(ctx, true, []byte(password), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	if err != nil {
		return "", err
	}
	return formatArgon2id(p, salt, key), nil
}

// formatArgon2id writes the userPassword value of an argon2id hash, in the
// form of OpenLDAP's argon2 module.
func formatArgon2id(p Params, salt, key []byte) string {
	b := make([]byte, 0, 64+base64.RawStdEncoding.EncodedLen(len(salt))+base64.RawStdEncoding.EncodedLen(len(key)))
	b = append(b, "{ARGON2}$argon2id$v=19$m="...)
	b = strconv.AppendUint(b, uint64(p.MemoryKiB), 10)
	b = append(b, ",t="...)
	b = strconv.AppendUint(b, uint64(p.Time), 10)
	b = append(b, ",p="...)
	b = strconv.AppendUint(b, uint64(p.Threads), 10)
	b = append(b, '$')
	b = base64.RawStdEncoding.AppendEncode(b, salt)
	b = append(b, '$')
	b = base64.RawStdEncoding.AppendEncode(b, key)
	return string(b)
}

// Verify checks password against stored, a userPassword value of any
// supported scheme. ok reports a match. upgrade reports that, after a
// successful check, the stored value should be replaced by h.Hash(password):
// it is true for every scheme other than argon2id, and for argon2id hashes
// whose parameters (or salt or key length) differ from h's or that lack the
// {ARGON2} prefix.
//
// err is non-nil only for a malformed or unsupported stored value
// (errors.Is(err, ErrMalformedHash) or errors.Is(err, ErrUnsupportedScheme))
// or for a done ctx (ctx.Err()); never for a wrong password. Comparisons are
// constant-time.
func (h *Hasher) Verify(ctx context.Context, password, stored string) (ok, upgrade bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, false, err
	}
	v, err := parse(stored, &h.limits)
	if err != nil {
		return false, false, err
	}
	ok, err = v.verify(ctx, h, []byte(password))
	if err != nil || !ok {
		return false, false, err
	}
	return true, v.needsUpgrade(h.params), nil
}

// Waste performs the same work as verifying password against an argon2id
// hash with h's parameters, and discards the result. Call it for unknown
// users so that the response time does not reveal whether an account exists.
func (h *Hasher) Waste(ctx context.Context, password string) {
	p := h.params
	key, err := h.argon2(ctx, true, []byte(password), h.wasteSalt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	if err == nil {
		// Same comparison as Verify, against a value that never matches.
		subtle.ConstantTimeCompare(key, make([]byte, len(key)))
	}
}

// argon2 derives a key with argon2id (id) or argon2i, holding the semaphore
// for the duration of the computation. A computation that needs more memory
// than h's own parameters takes proportionally more slots.
func (h *Hasher) argon2(ctx context.Context, id bool, password, salt []byte, time, memKiB uint32, threads uint8, keyLen uint32) ([]byte, error) {
	weight := int64(1)
	if memKiB > h.params.MemoryKiB {
		weight = int64((uint64(memKiB) + uint64(h.params.MemoryKiB) - 1) / uint64(h.params.MemoryKiB))
	}
	weight = min(weight, h.slots)
	// Acquire may succeed without blocking on a done context; refuse first.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := h.sem.Acquire(ctx, weight); err != nil {
		return nil, err
	}
	defer h.sem.Release(weight)
	if h.testHook != nil {
		h.testHook()
	}
	if id {
		return argon2.IDKey(password, salt, time, memKiB, threads, keyLen), nil
	}
	return argon2.Key(password, salt, time, memKiB, threads, keyLen), nil
}
