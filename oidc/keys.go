package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/go-jose/go-jose/v3"
	"github.com/go-jose/go-jose/v3/cryptosigner"
	"github.com/ory/fosite/token/jwt"

	"github.com/canaille-go/canaille/internal/fastrsa"
)

// Key is one signing key pair. A key without Private only verifies: it is
// a retired key kept so that tokens it signed stay valid until they expire.
type Key struct {
	ID        string
	Algorithm string // RS256, ES256, EdDSA
	Private   crypto.Signer
	Public    crypto.PublicKey
	// rsa signs RS256 by OpenSSL when it can (package fastrsa).
	rsa *fastrsa.Signer
}

// Engine names what signs with the key: for an RSA key, OpenSSL when the
// system has it, else Go's crypto/rsa and why (OpenSSL is loaded then, if
// no signature did yet); "Go crypto" for other keys.
func (k *Key) Engine() string {
	if k.rsa != nil {
		return k.rsa.Engine()
	}
	return "Go crypto"
}

// ParseKey reads a PEM private key (PKCS #8, PKCS #1 or SEC 1) or a PEM
// public key (PKIX), checks that it suits alg, and names it by its RFC 7638
// thumbprint.
func ParseKey(pemBytes []byte, alg string) (*Key, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	k := &Key{Algorithm: alg}
	if strings.Contains(block.Type, "PUBLIC") {
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("not a PKIX public key: %w", err)
		}
		k.Public = pub
	} else {
		var priv any
		var err error
		if priv, err = x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
			if priv, err = x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
				if priv, err = x509.ParseECPrivateKey(block.Bytes); err != nil {
					return nil, errors.New("not a PKCS #8, PKCS #1 or SEC 1 private key")
				}
			}
		}
		s, ok := priv.(crypto.Signer)
		if !ok {
			return nil, errors.New("unsupported private key type")
		}
		k.Private, k.Public = s, s.Public()
		if rk, ok := priv.(*rsa.PrivateKey); ok {
			k.rsa = fastrsa.New(rk)
		}
	}
	if err := checkAlg(k.Public, alg); err != nil {
		return nil, err
	}
	id, err := thumbprint(k.Public)
	if err != nil {
		return nil, err
	}
	k.ID = id
	return k, nil
}

func checkAlg(pub crypto.PublicKey, alg string) error {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if alg != "RS256" {
			return fmt.Errorf("an RSA key signs RS256, not %s", alg)
		}
		if p.N.BitLen() < 2048 {
			return fmt.Errorf("the RSA key has %d bits; at least 2048 are required", p.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if alg != "ES256" || p.Curve != elliptic.P256() {
			return fmt.Errorf("an ECDSA key signs ES256 on P-256 only, not %s", alg)
		}
	case ed25519.PublicKey:
		if alg != "EdDSA" {
			return fmt.Errorf("an Ed25519 key signs EdDSA, not %s", alg)
		}
	default:
		return fmt.Errorf("unsupported key type %T", pub)
	}
	return nil
}

func thumbprint(pub crypto.PublicKey) (string, error) {
	sum, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// PublicPEM returns the PKIX PEM encoding of the public key.
func (k *Key) PublicPEM() ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k.Public)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

func (k *Key) jwk(private bool) jose.JSONWebKey {
	j := jose.JSONWebKey{KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig", Key: k.Public}
	if private {
		j.Key = k.Private
		if k.rsa != nil {
			j.Key = cryptosigner.Opaque(k.rsa)
		}
	}
	return j
}

// KeySet is the current signing key and the retired keys that still
// verify. Replace swaps it atomically, so a rotation needs no restart.
type KeySet struct {
	v atomic.Pointer[keys]
}

// Version changes with every Replace (documents derived from the keys
// are cached until it does).
func (ks *KeySet) Version() uint64 { return ks.v.Load().version }

type keys struct {
	version uint64
	current *Key
	all     []*Key // current first
	public  jose.JSONWebKeySet
}

// NewKeySet returns a set signing with current and verifying with it and
// retired.
func NewKeySet(current *Key, retired ...*Key) (*KeySet, error) {
	ks := &KeySet{}
	return ks, ks.Replace(current, retired...)
}

// Replace makes current the signing key; retired keys only verify.
func (ks *KeySet) Replace(current *Key, retired ...*Key) error {
	if current == nil || current.Private == nil {
		return errors.New("the signing key has no private part")
	}
	k := &keys{current: current, all: []*Key{current}}
	if old := ks.v.Load(); old != nil {
		k.version = old.version + 1
	}
	for _, r := range retired {
		if r != nil && r.ID != current.ID {
			k.all = append(k.all, r)
		}
	}
	for _, x := range k.all {
		k.public.Keys = append(k.public.Keys, x.jwk(false))
	}
	ks.v.Store(k)
	return nil
}

// Current returns the signing key.
func (ks *KeySet) Current() *Key { return ks.v.Load().current }

// JWKS returns the public keys, the signing key first.
func (ks *KeySet) JWKS() jose.JSONWebKeySet { return ks.v.Load().public }

// Algorithms lists the algorithms tokens are signed with: the current
// key's (retired keys only verify).
func (ks *KeySet) Algorithms() []string { return []string{ks.Current().Algorithm} }

func (ks *KeySet) find(kid string) *Key {
	all := ks.v.Load().all
	if kid == "" && len(all) == 1 {
		return all[0]
	}
	for _, k := range all {
		if k.ID == kid {
			return k
		}
	}
	return nil
}

// signer implements fosite's jwt.Signer over a KeySet: it signs with the
// current key and verifies with whichever published key the token names,
// so that tokens and id_token_hints signed before a rotation stay valid.
type signer struct {
	keys *KeySet
	typ  string // the typ header, e.g. "at+jwt"; "JWT" when empty
}

var _ jwt.Signer = (*signer)(nil)

func (s *signer) Generate(_ context.Context, claims jwt.MapClaims, header jwt.Mapper) (string, string, error) {
	k := s.keys.Current()
	t := jwt.NewWithClaims(jose.SignatureAlgorithm(k.Algorithm), claims)
	if header != nil {
		for name, v := range header.ToMap() {
			t.Header[name] = v
		}
	}
	if s.typ != "" {
		t.Header["typ"] = s.typ
	}
	jk := k.jwk(true)
	raw, err := t.SignedString(&jk)
	if err != nil {
		return "", "", err
	}
	return raw, raw[strings.LastIndexByte(raw, '.')+1:], nil
}

func (s *signer) Decode(_ context.Context, token string) (*jwt.Token, error) {
	return jwt.ParseWithClaims(token, jwt.MapClaims{}, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k := s.keys.find(kid)
		if k == nil {
			return nil, fmt.Errorf("unknown key %q", kid)
		}
		if string(t.Method) != k.Algorithm {
			return nil, fmt.Errorf("key %q signs %s, not %s", kid, k.Algorithm, t.Method)
		}
		pub := k.jwk(false)
		return &pub, nil
	})
}

func (s *signer) Validate(ctx context.Context, token string) (string, error) {
	if _, err := s.Decode(ctx, token); err != nil {
		return "", err
	}
	return s.GetSignature(ctx, token)
}

func (s *signer) GetSignature(_ context.Context, token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("a JWT has three parts")
	}
	return parts[2], nil
}

func (s *signer) Hash(_ context.Context, in []byte) ([]byte, error) {
	sum := sha256.Sum256(in)
	return sum[:], nil
}

func (s *signer) GetSigningMethodLength(context.Context) int { return sha256.Size }
