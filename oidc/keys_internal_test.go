package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite/token/jwt"
)

func parsedKey(t *testing.T, k crypto.Signer, alg string) *Key {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParseKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), alg)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func segment(t *testing.T, raw string, i int) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// The signer encodes JWTs itself: its tokens must carry the header and
// claims that fosite's jwt.Token with go-jose gave (the encoder it
// replaces, used here as the reference), verify with go-jose against the
// published key for each algorithm, and come back through Decode.
func TestSignerMatchesJOSE(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, dk, _ := ed25519.GenerateKey(rand.Reader)
	claims := jwt.MapClaims{"iss": "https://auth.example.org", "sub": "alice", "aud": []string{"app"},
		"exp": time.Now().Unix() + 3600, "iat": time.Now().Unix(), "scp": []string{"openid", "email"},
		"ext": map[string]any{"groups": []string{"a<b", "c&d"}}, "name": "Zoë \"Z\" <z@example.org>"}
	headers := []jwt.Mapper{nil, &jwt.Headers{}, &jwt.Headers{Extra: map[string]any{"alg": "none", "x": "y"}},
		&jwt.Headers{Extra: map[string]any{"typ": "logout+jwt"}}}
	for _, tc := range []struct {
		alg string
		key crypto.Signer
	}{{"RS256", rk}, {"ES256", ek}, {"EdDSA", dk}} {
		k := parsedKey(t, tc.key, tc.alg)
		ks, err := NewKeySet(k)
		if err != nil {
			t.Fatal(err)
		}
		for _, typ := range []string{"", "at+jwt"} {
			s := &signer{keys: ks, typ: typ}
			for _, h := range headers {
				raw, sig, err := s.Generate(context.Background(), claims, h)
				if err != nil {
					t.Fatalf("%s: %v", tc.alg, err)
				}
				if !strings.HasSuffix(raw, "."+sig) || sig == "" {
					t.Errorf("%s: signature %q is not the last segment of %q", tc.alg, sig, raw)
				}
				// The reference: fosite's token signed by go-jose.
				ref := jwt.NewWithClaims(jose.SignatureAlgorithm(tc.alg), claims)
				if h != nil {
					for n, v := range h.ToMap() {
						ref.Header[n] = v
					}
				}
				if typ != "" {
					ref.Header["typ"] = typ
				}
				want, err := ref.SignedString(&jose.JSONWebKey{KeyID: k.ID, Algorithm: tc.alg, Key: tc.key})
				if err != nil {
					t.Fatal(err)
				}
				for i, part := range []string{"header", "claims"} {
					if got, exp := segment(t, raw, i), segment(t, want, i); !reflect.DeepEqual(got, exp) {
						t.Errorf("%s typ %q headers %v: %s\n got %v\nwant %v", tc.alg, typ, h, part, got, exp)
					}
				}
				jws, err := jose.ParseSigned(raw)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := jws.Verify(k.Public); err != nil {
					t.Errorf("%s: go-jose does not verify the signature: %v", tc.alg, err)
				}
				if _, err := s.Decode(context.Background(), raw); err != nil {
					t.Errorf("%s: Decode: %v", tc.alg, err)
				}
				tampered := raw[:len(raw)-len(sig)] + strings.Repeat("A", len(sig))
				if _, err := s.Decode(context.Background(), tampered); err == nil {
					t.Errorf("%s: a tampered signature decodes", tc.alg)
				}
			}
		}
	}
	// A retired key (public only) as the current one cannot sign.
	pub := &Key{ID: "old", Algorithm: "RS256", Public: rk.Public()}
	ks, err := NewKeySet(pub)
	if err == nil {
		if _, _, err := (&signer{keys: ks}).Generate(context.Background(), claims, nil); err == nil {
			t.Error("a key without its private half signed")
		}
	}
}
