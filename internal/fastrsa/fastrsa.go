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
	"os"
)

// ErrUnavailable means OpenSSL cannot be used: the binary was built
// without cgo, no libcrypto was found, or CANAILLE_OPENSSL=off.
var ErrUnavailable = errors.New("OpenSSL is not available")

// Engine names what New's signers use, e.g. "OpenSSL 3.0.17 1 Jul 2025",
// or the reason it is Go's crypto/rsa.
func Engine() string {
	if err := available(); err != nil {
		return "Go crypto/rsa (" + err.Error() + ")"
	}
	return version()
}

// New returns a signer of k's PKCS #1 v1.5 signatures by OpenSSL; other
// signatures (PSS) are Go's. It checks one signature against Go's before
// it is used: PKCS #1 v1.5 signatures are deterministic, so both must be
// the same bytes.
func New(k *rsa.PrivateKey) (crypto.Signer, error) {
	if err := available(); err != nil {
		return nil, err
	}
	if len(k.Primes) != 2 {
		return nil, fmt.Errorf("fastrsa: a key of %d primes", len(k.Primes))
	}
	k.Precompute()
	s, err := newSigner(k)
	if err != nil {
		return nil, fmt.Errorf("fastrsa: %w", err)
	}
	probe := sha256.Sum256([]byte("canaille fastrsa self-test"))
	got, err := s.Sign(nil, probe[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("fastrsa: self-test: %w", err)
	}
	want, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, probe[:])
	if err != nil {
		return nil, fmt.Errorf("fastrsa: self-test: %w", err)
	}
	if string(got) != string(want) {
		return nil, errors.New("fastrsa: self-test: OpenSSL's signature differs from Go's")
	}
	return s, nil
}

// disabled reports whether the environment turns OpenSSL off.
func disabled() bool {
	switch os.Getenv("CANAILLE_OPENSSL") {
	case "off", "0", "false", "no":
		return true
	}
	return false
}
