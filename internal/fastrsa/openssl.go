//go:build cgo && linux

package fastrsa

import (
	"crypto"
	"crypto/rsa"
	"fmt"
	"io"
	"math/big"
	"sync"

	"github.com/golang-fips/openssl/v2"
	"github.com/golang-fips/openssl/v2/bbig"
)

// libraries are the libcrypto sonames tried, newest first.
var libraries = []string{"libcrypto.so.3", "libcrypto.so.1.1"}

var (
	initOnce sync.Once
	initErr  error
)

func available() error {
	if disabled() {
		return fmt.Errorf("%w: CANAILLE_OPENSSL=off", ErrUnavailable)
	}
	initOnce.Do(func() {
		for _, lib := range libraries {
			if ok, _ := openssl.CheckVersion(lib); ok {
				if initErr = openssl.Init(lib); initErr != nil {
					initErr = fmt.Errorf("%w: %s: %v", ErrUnavailable, lib, initErr)
				}
				return
			}
		}
		initErr = fmt.Errorf("%w: no libcrypto.so.3 or libcrypto.so.1.1", ErrUnavailable)
	})
	return initErr
}

func version() string { return openssl.VersionText() }

type signer struct {
	k   *rsa.PrivateKey // for what OpenSSL is not asked to do
	key *openssl.PrivateKeyRSA
}

func newSigner(k *rsa.PrivateKey) (*signer, error) {
	e := bbig.Enc(big.NewInt(int64(k.E)))
	key, err := openssl.NewPrivateKeyRSA(bbig.Enc(k.N), e, bbig.Enc(k.D), bbig.Enc(k.Primes[0]), bbig.Enc(k.Primes[1]),
		bbig.Enc(k.Precomputed.Dp), bbig.Enc(k.Precomputed.Dq), bbig.Enc(k.Precomputed.Qinv))
	if err != nil {
		return nil, err
	}
	return &signer{k: k, key: key}, nil
}

func (s *signer) Public() crypto.PublicKey { return &s.k.PublicKey }

// Sign signs a digest: PKCS #1 v1.5 with SHA-256, -384 or -512 by OpenSSL,
// anything else by crypto/rsa. The random source is not used by PKCS #1
// v1.5 (OpenSSL blinds with its own).
func (s *signer) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if _, pss := opts.(*rsa.PSSOptions); !pss {
		switch h := opts.HashFunc(); h {
		case crypto.SHA256, crypto.SHA384, crypto.SHA512:
			if len(digest) != h.Size() {
				return nil, fmt.Errorf("fastrsa: a %d-byte digest for %v", len(digest), h)
			}
			return openssl.SignRSAPKCS1v15(s.key, h, digest)
		}
	}
	return s.k.Sign(rand, digest, opts)
}
