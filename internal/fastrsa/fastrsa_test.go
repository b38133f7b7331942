package fastrsa_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha512" // SHA-384 and SHA-512 for crypto.Hash.New
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/canaille-go/canaille/internal/fastrsa"
)

var testKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

// newSigner returns a signer that signs through OpenSSL, or skips the
// test where there is none (no cgo, no libcrypto); .ci/run sets
// CANAILLE_TEST_REQUIRE_OPENSSL so that there it fails instead.
func newSigner(t testing.TB, k *rsa.PrivateKey) *fastrsa.Signer {
	t.Helper()
	s := fastrsa.New(k)
	err := s.Err()
	if errors.Is(err, fastrsa.ErrUnavailable) && os.Getenv("CANAILLE_TEST_REQUIRE_OPENSSL") == "" {
		t.Skipf("%v (CANAILLE_TEST_REQUIRE_OPENSSL makes this a failure)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("signing with %s", s.Engine())
	return s
}

func TestSignMatchesGo(t *testing.T) {
	s := newSigner(t, testKey)
	if pub, ok := s.Public().(*rsa.PublicKey); !ok || !pub.Equal(&testKey.PublicKey) {
		t.Fatalf("Public() = %v, want the key's public key", s.Public())
	}
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		for i := range 20 {
			d := h.New()
			d.Write([]byte{byte(i), 'x'})
			digest := d.Sum(nil)
			got, err := s.Sign(rand.Reader, digest, h)
			if err != nil {
				t.Fatalf("%v: %v", h, err)
			}
			want, err := rsa.SignPKCS1v15(nil, testKey, h, digest)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("%v: OpenSSL's signature differs from Go's", h)
			}
		}
	}
}

func TestSignOthersByGo(t *testing.T) {
	s := newSigner(t, testKey)
	digest := make([]byte, 32)
	sig, err := s.Sign(rand.Reader, digest, &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash})
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPSS(&testKey.PublicKey, crypto.SHA256, digest, sig, nil); err != nil {
		t.Fatalf("PSS signature: %v", err)
	}
	if _, err := s.Sign(rand.Reader, digest[:20], crypto.SHA256); err == nil {
		t.Error("a 20-byte digest for SHA-256 was signed")
	}
	if _, err := s.Sign(rand.Reader, digest[:20], crypto.SHA1); err != nil {
		t.Errorf("SHA-1 (by Go): %v", err)
	}
}

func TestSignConcurrently(t *testing.T) {
	newSigner(t, testKey)     // skips where OpenSSL is missing
	s := fastrsa.New(testKey) // loaded by the first of the signatures below
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				digest := make([]byte, 32)
				digest[0], digest[1] = byte(g), byte(i)
				sig, err := s.Sign(rand.Reader, digest, crypto.SHA256)
				if err == nil {
					err = rsa.VerifyPKCS1v15(&testKey.PublicKey, crypto.SHA256, digest, sig)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestOff(t *testing.T) {
	t.Setenv("CANAILLE_OPENSSL", "off")
	s := fastrsa.New(testKey)
	digest := make([]byte, 32)
	sig, err := s.Sign(rand.Reader, digest, crypto.SHA256)
	if err != nil || rsa.VerifyPKCS1v15(&testKey.PublicKey, crypto.SHA256, digest, sig) != nil {
		t.Fatalf("signature by Go: %v", err)
	}
	if !errors.Is(s.Err(), fastrsa.ErrUnavailable) {
		t.Fatalf("Err() with CANAILLE_OPENSSL=off: %v, want ErrUnavailable", s.Err())
	}
	if e := s.Engine(); e != "Go crypto/rsa (OpenSSL is not available: CANAILLE_OPENSSL=off)" {
		t.Errorf("Engine() = %q", e)
	}
}

// BenchmarkSign compares one RS256 signature (RSA-2048, PKCS #1 v1.5,
// SHA-256) by Go's crypto/rsa and by OpenSSL:
//
//	go test -run '^$' -bench Sign ./internal/fastrsa/
func BenchmarkSign(b *testing.B) {
	digest := make([]byte, 32)
	b.Run("Go", func(b *testing.B) {
		for b.Loop() {
			if _, err := testKey.Sign(rand.Reader, digest, crypto.SHA256); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("OpenSSL", func(b *testing.B) {
		s := newSigner(b, testKey)
		for b.Loop() {
			if _, err := s.Sign(rand.Reader, digest, crypto.SHA256); err != nil {
				b.Fatal(err)
			}
		}
	})
}
