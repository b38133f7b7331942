package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/go-jose/go-jose/v3"
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

// jwk is the public JSON Web Key of k.
func (k *Key) jwk() jose.JSONWebKey {
	return jose.JSONWebKey{KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig", Key: k.Public}
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
		k.public.Keys = append(k.public.Keys, x.jwk())
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

// Generate encodes and signs a JWT. It builds the compact form itself
// (JSON of the header and claims, base64url, one signature of the key)
// instead of going through fosite's jwt.Token and go-jose, which turned
// the header and claims into maps of their own and marshalled them by
// reflection: about 20 µs per token beside the signature. The header is
// what they made: alg and kid of the current key, typ "JWT" unless the
// caller's headers or the signer set another, and the caller's headers
// (alg excepted, which is the key's).
func (s *signer) Generate(_ context.Context, claims jwt.MapClaims, header jwt.Mapper) (string, string, error) {
	k := s.keys.Current()
	if k.Private == nil {
		return "", "", errors.New("the current key cannot sign")
	}
	h := map[string]any{"typ": "JWT"}
	if k.ID != "" {
		h["kid"] = k.ID
	}
	if header != nil {
		for name, v := range header.ToMap() {
			h[name] = v
		}
	}
	if s.typ != "" {
		h["typ"] = s.typ
	}
	h["alg"] = k.Algorithm
	hb, err := json.Marshal(h)
	if err != nil {
		return "", "", fmt.Errorf("JWT header: %w", err)
	}
	cb, err := json.Marshal(map[string]any(claims))
	if err != nil {
		return "", "", fmt.Errorf("JWT claims: %w", err)
	}
	enc := base64.RawURLEncoding
	b := make([]byte, 0, enc.EncodedLen(len(hb))+enc.EncodedLen(len(cb))+enc.EncodedLen(512)+2)
	b = enc.AppendEncode(b, hb)
	b = append(b, '.')
	b = enc.AppendEncode(b, cb)
	sig, err := k.signJWS(b)
	if err != nil {
		return "", "", fmt.Errorf("signing a JWT: %w", err)
	}
	b = append(b, '.')
	at := len(b)
	b = enc.AppendEncode(b, sig)
	raw := string(b)
	return raw, raw[at:], nil
}

// signJWS signs a JWS signing input with the key, in the form RFC 7518
// gives for its algorithm: PKCS #1 v1.5 over SHA-256 for RS256, R and S of
// 32 bytes each for ES256, Ed25519 over the input itself for EdDSA.
func (k *Key) signJWS(input []byte) ([]byte, error) {
	switch priv := k.Private.(type) {
	case ed25519.PrivateKey:
		return ed25519.Sign(priv, input), nil
	case *ecdsa.PrivateKey:
		digest := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(rand.Reader, priv, digest[:])
		if err != nil {
			return nil, err
		}
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out, nil
	}
	digest := sha256.Sum256(input)
	var rs crypto.Signer = k.Private
	if k.rsa != nil {
		rs = k.rsa
	}
	return rs.Sign(rand.Reader, digest[:], crypto.SHA256)
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
		pub := k.jwk()
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
