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
	k   *rsa.PrivateKey
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

// Sign signs a PKCS #1 v1.5 digest (Signer.Sign checked opts and its
// length). The random source is not used: OpenSSL blinds with its own.
func (s *signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return openssl.SignRSAPKCS1v15(s.key, opts.HashFunc(), digest)
}

func (s *signer) Public() crypto.PublicKey { return &s.k.PublicKey }
