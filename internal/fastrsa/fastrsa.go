// Package fastrsa signs RS256 with the system's OpenSSL (libcrypto 3 or
// 1.1, loaded at run time) when the binary is built with cgo on Linux, and
// with Go's crypto/rsa otherwise.
//
// An RSA-2048 PKCS #1 v1.5 signature costs Go's constant-time
// implementation about 0.7 ms of CPU and OpenSSL about 0.27 ms on the same
// machine (BenchmarkSign). Every ID token and every JWT access token the
// OpenID Connect provider issues with its default RS256 key is one
// signature, so this is most of the cost of a token.
//
// Setting CANAILLE_OPENSSL=off in the environment keeps Go's
// implementation.
package fastrsa

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// ErrUnavailable means OpenSSL is not used: the binary was built without
// cgo, no libcrypto was found, CANAILLE_OPENSSL=off, or its self-test
// failed.
var ErrUnavailable = errors.New("OpenSSL is not available")

// Signer signs with an RSA key: PKCS #1 v1.5 signatures with SHA-256,
// -384 or -512 by OpenSSL when it can, everything else by crypto/rsa.
// OpenSSL is loaded at the first such signature, not before, so that a
// server that never signs one (an LDAP-only deployment) does not map
// libcrypto. It is then checked once: PKCS #1 v1.5 signatures are
// deterministic, so OpenSSL's must be the bytes Go makes; if OpenSSL
// cannot be loaded or differs, every signature is Go's.
type Signer struct {
	k    *rsa.PrivateKey
	once sync.Once
	fast crypto.Signer // nil: Go's
	err  error         // why not OpenSSL
}

// New returns the signer of k.
func New(k *rsa.PrivateKey) *Signer { return &Signer{k: k} }

// Public implements crypto.Signer.
func (s *Signer) Public() crypto.PublicKey { return &s.k.PublicKey }

// Sign implements crypto.Signer.
func (s *Signer) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if _, pss := opts.(*rsa.PSSOptions); !pss {
		switch h := opts.HashFunc(); h {
		case crypto.SHA256, crypto.SHA384, crypto.SHA512:
			if len(digest) != h.Size() {
				return nil, fmt.Errorf("fastrsa: a %d-byte digest for %v", len(digest), h)
			}
			if f := s.load(); f != nil {
				return f.Sign(rand, digest, opts)
			}
		}
	}
	return s.k.Sign(rand, digest, opts)
}

// Engine names what signs PKCS #1 v1.5 signatures, e.g. "OpenSSL 3.0.17
// 1 Jul 2025", or "Go crypto/rsa (why not OpenSSL)". It loads OpenSSL
// if no signature did yet.
func (s *Signer) Engine() string {
	if s.load() == nil {
		return "Go crypto/rsa (" + s.err.Error() + ")"
	}
	return version()
}

// Err is why the signatures are Go's, nil when they are OpenSSL's. It
// loads OpenSSL if no signature did yet.
func (s *Signer) Err() error {
	s.load()
	return s.err
}

func (s *Signer) load() crypto.Signer {
	s.once.Do(func() { s.fast, s.err = newFast(s.k) })
	return s.fast
}

// newFast returns an OpenSSL signer of k, checked against Go's.
func newFast(k *rsa.PrivateKey) (crypto.Signer, error) {
	if disabled() {
		return nil, fmt.Errorf("%w: CANAILLE_OPENSSL=off", ErrUnavailable)
	}
	if err := available(); err != nil {
		return nil, err
	}
	if len(k.Primes) != 2 {
		return nil, fmt.Errorf("%w: a key of %d primes", ErrUnavailable, len(k.Primes))
	}
	k.Precompute()
	f, err := newSigner(k)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	probe := sha256.Sum256([]byte("canaille fastrsa self-test"))
	got, err := f.Sign(nil, probe[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%w: self-test: %v", ErrUnavailable, err)
	}
	want, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, probe[:])
	if err != nil {
		return nil, fmt.Errorf("%w: self-test: %v", ErrUnavailable, err)
	}
	if string(got) != string(want) {
		return nil, fmt.Errorf("%w: self-test: OpenSSL's signature differs from Go's", ErrUnavailable)
	}
	return f, nil
}

// disabled reports whether the environment turns OpenSSL off.
func disabled() bool {
	switch os.Getenv("CANAILLE_OPENSSL") {
	case "off", "0", "false", "no":
		return true
	}
	return false
}
