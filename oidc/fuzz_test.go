package oidc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/go-jose/go-jose/v3"
	josejwt "github.com/go-jose/go-jose/v3/jwt"

	"github.com/canaille-go/canaille/oidc"
	"github.com/canaille-go/canaille/store"
)

// FuzzAuthorizeRequest feeds arbitrary authorization requests, signed
// request objects (RFC 9101) among them, to the parser: it must never
// panic, and an error must either be redirectable or leave the request
// without a redirect URI.
func FuzzAuthorizeRequest(f *testing.F) {
	o := newOP(f)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "jar", Algorithm: "ES256", Use: "sig"}}})
	if _, err := o.st.CreateClient(context.Background(), store.Client{ID: "jar", RedirectURIs: []string{o.rpURL + "/jar"},
		GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"}, Scope: []string{"openid", "profile"},
		RequestObjectSigningAlg: "ES256", JWKS: string(set), TokenEndpointAuthMethod: store.AuthMethodNone}); err != nil {
		f.Fatal(err)
	}
	sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "jar"}}, nil)
	signed, _ := josejwt.Signed(sig).Claims(map[string]any{"iss": "jar", "aud": o.srv.URL, "client_id": "jar",
		"response_type": "code", "scope": "openid profile", "redirect_uri": o.rpURL + "/jar", "nonce": "nonce-12345678",
		"state": "state-12345678", "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"}).CompactSerialize()
	f.Add("jar", "code", "openid", signed, "")
	f.Add("jar", "code", "openid", "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqYXIifQ.", "")
	f.Add("app", "code", "openid profile", "", "prompt=none&max_age=10")
	f.Add("app", "code id_token", "openid", "", "response_mode=form_post&ui_locales=fr")
	f.Add("app", "token", "openid", "", "prompt=bogus")
	f.Add("", "", "", "", "redirect_uri=javascript:alert(1)")
	f.Fuzz(func(t *testing.T, clientID, responseType, scope, request, extra string) {
		q := url.Values{"client_id": {clientID}, "response_type": {responseType}, "scope": {scope},
			"redirect_uri": {o.rpURL + "/callback"}, "state": {"state-12345678"}, "nonce": {"nonce-12345678"}}
		if request != "" {
			q.Set("request", request)
		}
		if ev, err := url.ParseQuery(extra); err == nil {
			for k, v := range ev {
				q[k] = v
			}
		}
		r := httptest.NewRequest(http.MethodGet, "/oauth/authorize?"+q.Encode(), nil)
		a, err := o.p.ParseAuthorize(context.Background(), r)
		if err == nil {
			if a == nil || a.Client.ID == "" {
				t.Fatalf("accepted without a client: %v", q)
			}
			return
		}
		_ = oidc.ErrorDescription(err)
		if a.Redirectable() {
			w := httptest.NewRecorder()
			o.p.AuthorizeError(w, r, a, err)
			if w.Code >= 500 {
				t.Fatalf("authorization error answered %d for %v", w.Code, q)
			}
		}
	})
}
