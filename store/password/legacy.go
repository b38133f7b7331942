package password

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"hash"
	"strconv"
	"strings"

	"github.com/GehirnInc/crypt"
	"github.com/GehirnInc/crypt/md5_crypt"
	"github.com/GehirnInc/crypt/sha256_crypt"
	"github.com/GehirnInc/crypt/sha512_crypt"
	"golang.org/x/crypto/bcrypt"
)

// Every scheme in this file is verified, then flagged for an upgrade.

// --- {SHA}, {SSHA}, {SHA256}, …: base64(digest(password || salt) || salt)

type digestScheme struct {
	new    func() hash.Hash
	size   int
	salted bool
}

var digestSchemes = map[string]digestScheme{
	"MD5":     {md5.New, md5.Size, false},
	"SMD5":    {md5.New, md5.Size, true},
	"SHA":     {sha1.New, sha1.Size, false},
	"SSHA":    {sha1.New, sha1.Size, true},
	"SHA256":  {sha256.New, sha256.Size, false},
	"SSHA256": {sha256.New, sha256.Size, true},
	"SHA384":  {sha512.New384, sha512.Size384, false},
	"SSHA384": {sha512.New384, sha512.Size384, true},
	"SHA512":  {sha512.New, sha512.Size, false},
	"SSHA512": {sha512.New, sha512.Size, true},
}

type digestHash struct {
	name   string
	d      digestScheme
	digest []byte
	salt   []byte
}

// parseDigest decodes padded standard base64, as OpenLDAP writes and reads it.
func parseDigest(name string, d digestScheme, s string) (*digestHash, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, malformed(name, "bad base64")
	}
	// Like OpenLDAP, a salted value needs at least one byte of salt.
	if (!d.salted && len(raw) != d.size) || (d.salted && len(raw) <= d.size) {
		return nil, malformed(name, "wrong length")
	}
	return &digestHash{name: name, d: d, digest: raw[:d.size], salt: raw[d.size:]}, nil
}

func (x *digestHash) scheme() string { return x.name }

func (x *digestHash) verify(_ context.Context, _ *Hasher, password []byte) (bool, error) {
	h := x.d.new()
	h.Write(password)
	h.Write(x.salt)
	return subtle.ConstantTimeCompare(h.Sum(nil), x.digest) == 1, nil
}

func (x *digestHash) needsUpgrade(Params) bool { return true }

// --- {CRYPT}: crypt(3) strings

// cryptAlphabet is the alphabet of crypt(3) checksums and of bcrypt.
const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

type cryptHash struct {
	new     func() crypt.Crypter
	setting string // "$6$rounds=N$salt", the input of Generate
	sum     string // the checksum after the last '$'
}

func onlyIn(s, alphabet string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(alphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// unsupportedCrypt names crypt(3) formats we recognise but do not verify.
var unsupportedCrypt = []struct{ prefix, name string }{
	{"$y$", "CRYPT (yescrypt)"},
	{"$gy$", "CRYPT (gost-yescrypt)"},
	{"$7$", "CRYPT (scrypt)"},
	{"$sha1$", "CRYPT (sha1crypt)"},
	{"$md5", "CRYPT (sunmd5)"},
	{"$3$", "CRYPT (NT hash)"},
	{"$2x$", "CRYPT (bcrypt $2x$)"},
	{"$2$", "CRYPT (bcrypt $2$)"},
}

func parseCrypt(s string, lim *limits) (hashValue, error) {
	const name = "CRYPT"
	switch {
	case s == "":
		return nil, malformed(name, "empty value")
	case strings.HasPrefix(s, "$1$"):
		return parseMD5Crypt(s)
	case strings.HasPrefix(s, "$5$"):
		return parseSHACrypt(s, "CRYPT (sha256-crypt)", sha256_crypt.New, 43, lim)
	case strings.HasPrefix(s, "$6$"):
		return parseSHACrypt(s, "CRYPT (sha512-crypt)", sha512_crypt.New, 86, lim)
	case isBareBcrypt(s):
		return parseBcrypt(name, s, lim)
	case s[0] != '$':
		// Traditional, extended (_) and big DES crypt.
		return nil, unsupported("CRYPT (DES)")
	}
	for _, u := range unsupportedCrypt {
		if strings.HasPrefix(s, u.prefix) {
			return nil, unsupported(u.name)
		}
	}
	return nil, unsupported("CRYPT (unknown)")
}

// parseMD5Crypt parses $1$<salt, ≤8>$<22 characters>.
func parseMD5Crypt(s string) (hashValue, error) {
	const name = "CRYPT (md5-crypt)"
	salt, sum, ok := strings.Cut(s[len("$1$"):], "$")
	// A salt starting with "rounds=" would be read as a rounds field.
	if !ok || len(salt) > 8 || strings.HasPrefix(salt, "rounds=") || len(sum) != 22 || !onlyIn(sum, cryptAlphabet) {
		return nil, malformed(name, "bad format")
	}
	return &cryptHash{new: md5_crypt.New, setting: "$1$" + salt, sum: sum}, nil
}

// parseSHACrypt parses $5$ or $6$, then an optional rounds=N$, a salt of at
// most 16 characters, '$' and a checksum of sumLen characters.
func parseSHACrypt(s, name string, newCrypter func() crypt.Crypter, sumLen int, lim *limits) (hashValue, error) {
	magic, rest := s[:3], s[3:]
	setting := magic
	if r, ok := strings.CutPrefix(rest, "rounds="); ok {
		digits, after, ok := strings.Cut(r, "$")
		if !ok {
			return nil, malformed(name, "bad format")
		}
		n, err := strconv.ParseUint(digits, 10, 32)
		if err != nil {
			return nil, malformed(name, "bad rounds")
		}
		// crypt(3) writes the rounds it used, clamped to at least 1000.
		if n < 1000 || n > uint64(lim.cryptRounds) {
			return nil, malformed(name, "rounds out of range")
		}
		setting += "rounds=" + strconv.FormatUint(n, 10) + "$"
		rest = after
	}
	salt, sum, ok := strings.Cut(rest, "$")
	if !ok || len(salt) > 16 || len(sum) != sumLen || !onlyIn(sum, cryptAlphabet) {
		return nil, malformed(name, "bad format")
	}
	// The setting ends at the salt: with "rounds=" and a salt shorter than 16
	// characters, GehirnInc/crypt would read the salt from the whole rest of
	// a complete hash, checksum included.
	return &cryptHash{new: newCrypter, setting: setting + salt, sum: sum}, nil
}

func (c *cryptHash) scheme() string { return "CRYPT" }

// maxCryptPassword is libxcrypt's CRYPT_MAX_PASSPHRASE_SIZE: it refuses
// longer passwords, and sha-crypt's work grows with the square of the length.
const maxCryptPassword = 512

func (c *cryptHash) verify(_ context.Context, _ *Hasher, password []byte) (bool, error) {
	if len(password) > maxCryptPassword {
		return false, nil
	}
	out, err := c.new().Generate(password, []byte(c.setting))
	if err != nil {
		return false, malformed("CRYPT", "bad salt")
	}
	sum := out[strings.LastIndexByte(out, '$')+1:]
	return subtle.ConstantTimeCompare([]byte(sum), []byte(c.sum)) == 1, nil
}

func (c *cryptHash) needsUpgrade(Params) bool { return true }

// --- bcrypt: $2a$, $2b$, $2y$ with {BCRYPT}, {CRYPT} or no prefix

type bcryptHash struct {
	name string
	hash []byte
}

// parseBcrypt parses $2?$NN$<53 characters>: 22 of salt, 31 of checksum.
func parseBcrypt(name, s string, lim *limits) (hashValue, error) {
	switch {
	case strings.HasPrefix(s, "$2x$"):
		return nil, unsupported(name + " ($2x$)")
	case strings.HasPrefix(s, "$2$"):
		return nil, unsupported(name + " ($2$)")
	}
	if len(s) != 60 || !isBareBcrypt(s) || s[6] != '$' || !onlyIn(s[7:], cryptAlphabet) {
		return nil, malformed(name, "bad format")
	}
	if !onlyIn(s[4:6], "0123456789") {
		return nil, malformed(name, "bad format")
	}
	if cost := int(s[4]-'0')*10 + int(s[5]-'0'); cost < bcrypt.MinCost || cost > lim.bcryptCost {
		return nil, malformed(name, "cost out of range")
	}
	return &bcryptHash{name: name, hash: []byte(s)}, nil
}

func (b *bcryptHash) scheme() string { return b.name }

func (b *bcryptHash) verify(_ context.Context, _ *Hasher, password []byte) (bool, error) {
	// bcrypt ignores bytes past the 72nd; such a password never matches, so
	// that two passwords sharing 72 bytes are not interchangeable.
	if len(password) > 72 {
		return false, nil
	}
	err := bcrypt.CompareHashAndPassword(b.hash, password)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	}
	return false, malformed(b.name, "bad format")
}

func (b *bcryptHash) needsUpgrade(Params) bool { return true }
