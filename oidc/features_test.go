package oidc_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v3"
	josejwt "github.com/go-jose/go-jose/v3/jwt"
	"golang.org/x/oauth2"

	"github.com/canaille-go/canaille/oidc"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

func getJSON(t *testing.T, target string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func TestDiscoveryAndWebFinger(t *testing.T) {
	o := newOP(t)
	status, d := getJSON(t, o.srv.URL+"/.well-known/openid-configuration")
	if status != http.StatusOK || d["issuer"] != o.srv.URL || d["jwks_uri"] != o.srv.URL+"/oauth/jwks.json" {
		t.Fatalf("discovery: %d %v", status, d)
	}
	methods, _ := json.Marshal(d["token_endpoint_auth_methods_supported"])
	if strings.Contains(string(methods), "client_secret_jwt") || !strings.Contains(string(methods), "private_key_jwt") {
		t.Errorf("auth methods: %s", methods)
	}
	if algs, _ := json.Marshal(d["id_token_signing_alg_values_supported"]); string(algs) != `["ES256"]` {
		t.Errorf("signing algs: %s", algs)
	}
	if d["authorization_response_iss_parameter_supported"] != true || d["end_session_endpoint"] == nil {
		t.Errorf("discovery: %v", d)
	}
	if s, m := getJSON(t, o.srv.URL+"/.well-known/oauth-authorization-server"); s != http.StatusOK || m["issuer"] != o.srv.URL {
		t.Errorf("RFC 8414: %d %v", s, m)
	}
	status, jwks := getJSON(t, o.srv.URL+"/oauth/jwks.json")
	if keys, _ := jwks["keys"].([]any); status != http.StatusOK || len(keys) != 1 {
		t.Errorf("jwks: %d %v", status, jwks)
	} else if k := keys[0].(map[string]any); k["d"] != nil || k["kid"] == nil || k["use"] != "sig" {
		t.Errorf("published key: %v", k)
	}

	host := strings.TrimPrefix(o.srv.URL, "http://")
	for _, tc := range []struct {
		resource string
		status   int
	}{
		{"acct:alice@" + host, http.StatusOK},
		{"acct:alice@example.org", http.StatusOK}, // her email
		{"acct:nobody@" + host, http.StatusNotFound},
		{"acct:alice@elsewhere.example", http.StatusNotFound},
	} {
		s, m := getJSON(t, o.srv.URL+"/.well-known/webfinger?resource="+url.QueryEscape(tc.resource))
		if s != tc.status {
			t.Errorf("webfinger %s: %d, want %d", tc.resource, s, tc.status)
		}
		if s == http.StatusOK {
			links, _ := m["links"].([]any)
			if len(links) != 1 || links[0].(map[string]any)["href"] != o.srv.URL || m["subject"] != tc.resource {
				t.Errorf("webfinger %s: %v", tc.resource, m)
			}
		}
	}
	if s, _ := getJSON(t, o.srv.URL+"/.well-known/webfinger"); s != http.StatusBadRequest {
		t.Errorf("webfinger without resource: %d", s)
	}
}

func TestCORS(t *testing.T) {
	o := newOP(t)
	for _, tc := range []struct {
		origin string
		ok     bool
	}{{o.rpURL, true}, {"https://evil.example", false}} {
		req, _ := http.NewRequest(http.MethodOptions, o.srv.URL+"/oauth/token", nil)
		req.Header.Set("Origin", tc.origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("Access-Control-Allow-Origin")
		if (got == tc.origin) != tc.ok || resp.StatusCode != http.StatusNoContent {
			t.Errorf("preflight from %s: %d, allow-origin %q", tc.origin, resp.StatusCode, got)
		}

		// The request itself, as a browser sends it from another site: the
		// protocol endpoints are not behind the web pages' cross-origin
		// protection, and only a client's origin may read the answer.
		req, _ = http.NewRequest(http.MethodPost, o.srv.URL+"/oauth/token",
			strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("app", o.secret)
		req.Header.Set("Origin", tc.origin)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Sec-Fetch-Mode", "cors")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			AccessToken string `json:"access_token"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		got = resp.Header.Get("Access-Control-Allow-Origin")
		if resp.StatusCode != http.StatusOK || err != nil || body.AccessToken == "" {
			t.Errorf("cross-site token request from %s: %d, %v", tc.origin, resp.StatusCode, err)
		}
		if (got == tc.origin) != tc.ok || (!tc.ok && got != "") {
			t.Errorf("cross-site token request from %s: allow-origin %q", tc.origin, got)
		}
		if !strings.Contains(resp.Header.Get("Vary"), "Origin") {
			t.Errorf("cross-site token request from %s: Vary %q, want Origin", tc.origin, resp.Header.Get("Vary"))
		}
	}
}

func TestPasswordGrantOnlyWhenEnabled(t *testing.T) {
	o := newOP(t)
	ctx := context.Background()
	tokenURL := o.srv.URL + "/oauth/token"
	conf := oauth2.Config{ClientID: "app", ClientSecret: o.secret,
		Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInHeader}, Scopes: []string{"openid", "profile"}}
	if _, err := conf.PasswordCredentialsToken(ctx, "alice", alicePass); oauthError(err) != "unauthorized_client" {
		t.Fatalf("password grant not enabled: %v", err)
	}
	if _, err := o.st.UpdateClient(ctx, "app", func(c *store.Client) error {
		c.GrantTypes = append(c.GrantTypes, "password")
		c.AllowPasswordGrant = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tok, err := conf.PasswordCredentialsToken(ctx, "alice", alicePass)
	if err != nil {
		t.Fatal(err)
	}
	if !active(t, o, "app", o.secret, tok.AccessToken) {
		t.Error("password grant token inactive")
	}
	if _, err := conf.PasswordCredentialsToken(ctx, "alice", "wrong password"); oauthError(err) != "invalid_grant" {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := conf.PasswordCredentialsToken(ctx, "nobody", "wrong password"); oauthError(err) != "invalid_grant" {
		t.Errorf("unknown user: %v", err)
	}
}

func TestHybridImplicitAndFormPost(t *testing.T) {
	o := newOP(t)
	ctx := context.Background()
	if _, err := o.st.UpdateClient(ctx, "app", func(c *store.Client) error {
		c.GrantTypes = append(c.GrantTypes, "implicit")
		c.ResponseTypes = []string{"code", "code id_token", "id_token", "id_token token"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r := o.rp(t, "app", o.secret, "profile")
	b := o.browser()
	v := oauth2.GenerateVerifier()
	cb := b.authorize(r.conf.AuthCodeURL("state-12345678", gooidc.Nonce("nonce-12345678"), oauth2.S256ChallengeOption(v),
		oauth2.SetAuthURLParam("response_type", "code id_token")), true)
	frag, _ := url.ParseQuery(cb.Fragment)
	if frag.Get("code") == "" || frag.Get("id_token") == "" || frag.Get("iss") != o.srv.URL || frag.Get("state") != "state-12345678" {
		t.Fatalf("hybrid response: %q", cb.String())
	}
	idt, err := r.ver.Verify(ctx, frag.Get("id_token"))
	if err != nil || idt.Nonce != "nonce-12345678" {
		t.Fatalf("hybrid ID token: %v", err)
	}
	if _, err := r.conf.Exchange(ctx, frag.Get("code"), oauth2.VerifierOption(v)); err != nil {
		t.Errorf("hybrid code exchange: %v", err)
	}

	cb = b.authorize(r.conf.AuthCodeURL("state-12345678", gooidc.Nonce("nonce-12345678"),
		oauth2.SetAuthURLParam("response_type", "id_token token")), false)
	frag, _ = url.ParseQuery(cb.Fragment)
	if frag.Get("access_token") == "" || frag.Get("id_token") == "" {
		t.Fatalf("implicit response: %q", cb.String())
	}

	// form_post: an auto-submitting form whose script the CSP allows.
	resp := b.do(http.MethodGet, r.conf.AuthCodeURL("state-12345678", gooidc.Nonce("nonce-12345678"), oauth2.S256ChallengeOption(v),
		oauth2.SetAuthURLParam("response_mode", "form_post")), nil)
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != http.StatusOK || !strings.Contains(b.last, `action="`+o.rpURL+`/callback"`) ||
		!strings.Contains(b.last, `name="code"`) || !strings.Contains(b.last, `name="iss"`) ||
		!strings.Contains(csp, "script-src 'sha256-") || !strings.Contains(csp, "form-action "+o.rpURL) {
		t.Errorf("form_post: %d CSP %q\n%.600s", resp.StatusCode, csp, b.last)
	}
}

func TestPromptLoginMaxAgeAndConsentDenied(t *testing.T) {
	o := newOP(t)
	r := o.rp(t, "app", o.secret)
	b := o.browser()
	r.codeFlow(t, b, true)

	// prompt=login asks for the password again, then completes.
	resp := b.do(http.MethodGet, r.conf.AuthCodeURL("state-12345678", gooidc.Nonce("nonce-12345678"),
		oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("prompt", "login")), nil)
	if !strings.Contains(b.last, `name="login"`) {
		t.Fatalf("prompt=login did not ask to sign in (%d)", resp.StatusCode)
	}
	resp = b.login()
	if loc, _ := url.Parse(resp.Header.Get("Location")); loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("after re-authentication: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// max_age=0 also forces a new sign-in, and the ID token's auth_time
	// satisfies it.
	verifier := oauth2.GenerateVerifier()
	b.do(http.MethodGet, r.conf.AuthCodeURL("state-12345678", gooidc.Nonce("nonce-12345678"),
		oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("max_age", "0")), nil)
	if !strings.Contains(b.last, `name="login"`) {
		t.Fatal("max_age=0 did not ask to sign in")
	}
	resp = b.login()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("max_age: %q", resp.Header.Get("Location"))
	}
	if _, err := r.conf.Exchange(context.Background(), loc.Query().Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Errorf("max_age exchange: %v", err)
	}

	// prompt=consent asks again; deny sends access_denied.
	b.do(http.MethodGet, r.conf.AuthCodeURL("state-12345678", gooidc.Nonce("nonce-12345678"),
		oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "consent")), nil)
	if !strings.Contains(b.last, `action="/oauth/consent"`) {
		t.Fatal("prompt=consent did not show the consent page")
	}
	f := b.hidden()
	f.Set("answer", "deny")
	resp = b.do(http.MethodPost, o.srv.URL+"/oauth/consent", f)
	if loc, _ := url.Parse(resp.Header.Get("Location")); loc == nil || loc.Query().Get("error") != "access_denied" {
		t.Errorf("deny: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A tampered consent state is refused.
	f.Set("answer", "accept")
	f.Set("state", f.Get("state")+"x")
	if resp = b.do(http.MethodPost, o.srv.URL+"/oauth/consent", f); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("tampered consent state: %d", resp.StatusCode)
	}
}

func TestConsentListRevokesTokens(t *testing.T) {
	o := newOP(t)
	r := o.rp(t, "app", o.secret, "profile")
	b := o.browser()
	tok, _ := r.codeFlow(t, b, true)
	b.do(http.MethodGet, o.srv.URL+"/consent", nil)
	if !strings.Contains(b.last, "The App") {
		t.Fatalf("consent list:\n%.800s", b.last)
	}
	f := b.hidden()
	f.Set("client", "app")
	b.do(http.MethodPost, o.srv.URL+"/consent", f)
	if active(t, o, "app", o.secret, tok.AccessToken) {
		t.Error("token still active after the consent was revoked")
	}
	b.do(http.MethodGet, r.conf.AuthCodeURL("state-12345678", gooidc.Nonce("nonce-12345678"), oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), nil)
	if !strings.Contains(b.last, `action="/oauth/consent"`) {
		t.Error("the application did not ask again after revocation")
	}
}

func TestUseOIDCPermission(t *testing.T) {
	policy, err := acl.Compile(map[string]acl.SectionConfig{"DEFAULT": {Permissions: []string{"edit_self"}}})
	if err != nil {
		t.Fatal(err)
	}
	o := newOP(t, func(c *oidc.Config) { c.Policy = policy })
	r := o.rp(t, "app", o.secret)
	b := o.browser()
	resp := b.do(http.MethodGet, r.conf.AuthCodeURL("state-12345678", gooidc.Nonce("nonce-12345678"), oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), nil)
	if strings.Contains(b.last, `name="login"`) {
		resp = b.login()
	}
	if loc, _ := url.Parse(resp.Header.Get("Location")); loc == nil || loc.Query().Get("error") != "access_denied" {
		t.Errorf("without use_oidc: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestLogoutNeedsConfirmationWithoutHint(t *testing.T) {
	o := newOP(t)
	r := o.rp(t, "app", o.secret)
	b := o.browser()
	r.codeFlow(t, b, true)
	// An unregistered post-logout redirect is an error page.
	resp := b.do(http.MethodGet, o.srv.URL+"/oauth/end_session?client_id=app&post_logout_redirect_uri="+url.QueryEscape("https://evil.example/"), nil)
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Errorf("unregistered redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// No hint: the user confirms.
	b.do(http.MethodGet, o.srv.URL+"/oauth/end_session?client_id=app&post_logout_redirect_uri="+url.QueryEscape(o.rpURL+"/bye"), nil)
	if !strings.Contains(b.last, `action="/oauth/end_session/confirm"`) {
		t.Fatalf("no confirmation:\n%.500s", b.last)
	}
	f := b.hidden()
	f.Set("answer", "logout")
	resp = b.do(http.MethodPost, o.srv.URL+"/oauth/end_session/confirm", f)
	if resp.Header.Get("Location") != o.rpURL+"/bye" {
		t.Errorf("after confirmation: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestBackchannelLogout(t *testing.T) {
	got := make(chan string, 1)
	rpLogout := http.NewServeMux()
	rpLogout.HandleFunc("POST /backchannel", func(w http.ResponseWriter, r *http.Request) {
		got <- r.PostFormValue("logout_token")
	})
	srv := newHTTPServer(t, rpLogout)
	o := newOP(t)
	if _, err := o.st.UpdateClient(context.Background(), "app", func(c *store.Client) error {
		c.BackchannelLogoutURI = srv + "/backchannel"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r := o.rp(t, "app", o.secret)
	b := o.browser()
	_, raw := r.codeFlow(t, b, true)
	b.do(http.MethodGet, o.srv.URL+"/oauth/end_session?id_token_hint="+url.QueryEscape(raw), nil)
	select {
	case lt := <-got:
		ks := gooidc.NewRemoteKeySet(context.Background(), o.srv.URL+"/oauth/jwks.json")
		payload, err := ks.VerifySignature(context.Background(), lt)
		if err != nil {
			t.Fatal(err)
		}
		var c map[string]any
		json.Unmarshal(payload, &c)
		ev, _ := c["events"].(map[string]any)
		if c["sub"] != "alice" || c["aud"] != "app" || c["sid"] == nil || ev["http://schemas.openid.net/event/backchannel-logout"] == nil || c["nonce"] != nil {
			t.Errorf("logout token: %v", c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no back-channel logout notification")
	}
}

func TestPrivateKeyJWT(t *testing.T) {
	o := newOP(t)
	ctx := context.Background()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub := jose.JSONWebKey{Key: key.Public(), KeyID: "rp-key", Algorithm: "ES256", Use: "sig"}
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}})
	if _, err := o.st.CreateClient(ctx, store.Client{ID: "jwtapp", GrantTypes: []string{"client_credentials"},
		Scope: []string{"profile"}, TokenEndpointAuthMethod: store.AuthMethodPrivateKeyJWT,
		TokenEndpointAuthSigningAlg: "ES256", JWKS: string(set)}); err != nil {
		t.Fatal(err)
	}
	assertion := func(k any, jti string) string {
		sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k, KeyID: "rp-key"}}, nil)
		raw, _ := josejwt.Signed(sig).Claims(josejwt.Claims{Issuer: "jwtapp", Subject: "jwtapp", ID: jti,
			Audience: josejwt.Audience{o.srv.URL + "/oauth/token"}, Expiry: josejwt.NewNumericDate(time.Now().Add(time.Minute)),
			IssuedAt: josejwt.NewNumericDate(time.Now())}).CompactSerialize()
		return raw
	}
	post := func(a string) int {
		resp := postForm(t, o.srv.URL+"/oauth/token", "", "", url.Values{"grant_type": {"client_credentials"},
			"client_id": {"jwtapp"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion": {a}})
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	a := assertion(key, "jti-1")
	if s := post(a); s != http.StatusOK {
		t.Fatalf("private_key_jwt: %d", s)
	}
	if s := post(a); s != http.StatusUnauthorized {
		t.Errorf("replayed assertion: %d", s)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if s := post(assertion(other, "jti-2")); s != http.StatusUnauthorized {
		t.Errorf("assertion signed by another key: %d", s)
	}
}

// TestKeyRotation: tokens signed by a retired key still verify through
// the JWKS, and new ones are signed by the new key; RS256 and EdDSA keys
// work as ES256 does.
func TestKeyRotation(t *testing.T) {
	o := newOP(t)
	r := o.rp(t, "app", o.secret)
	b := o.browser()
	_, oldID := r.codeFlow(t, b, true)
	oldKey := o.p.Keys().Current()

	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	newKey := mustKey(t, rk, "RS256")
	// .ci/run requires that RS256 goes through OpenSSL there, so that the
	// go-oidc verification below checks OpenSSL's signatures.
	t.Logf("RS256 signer: %s", newKey.Engine())
	if os.Getenv("CANAILLE_TEST_REQUIRE_OPENSSL") != "" && !strings.HasPrefix(newKey.Engine(), "OpenSSL") {
		t.Errorf("RS256 signer = %s, want OpenSSL", newKey.Engine())
	}
	if err := o.p.Keys().Replace(newKey, oldKey); err != nil {
		t.Fatal(err)
	}
	ver := r.p.Verifier(&gooidc.Config{ClientID: "app", SupportedSigningAlgs: []string{"ES256", "RS256"}})
	if _, err := ver.Verify(context.Background(), oldID); err != nil {
		t.Errorf("token of the retired key: %v", err)
	}
	tok, _, err := b.exchangeRaw(r)
	if err != nil {
		t.Fatal(err)
	}
	idt, err := ver.Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("token of the new key: %v", err)
	}
	_ = idt
	if h := decodeSegment(t, strings.Split(tok, ".")[0]); h["alg"] != "RS256" || h["kid"] != newKey.ID {
		t.Errorf("new token header: %v", h)
	}
	_, jwks := getJSON(t, o.srv.URL+"/oauth/jwks.json")
	if keys, _ := jwks["keys"].([]any); len(keys) != 2 {
		t.Errorf("JWKS during rotation: %v", jwks)
	}

	_, ek, _ := ed25519.GenerateKey(rand.Reader)
	edKey := mustKey(t, ek, "EdDSA")
	if err := o.p.Keys().Replace(edKey); err != nil {
		t.Fatal(err)
	}
	tok, _, err = b.exchangeRaw(r)
	if err != nil {
		t.Fatal(err)
	}
	ver = r.p.Verifier(&gooidc.Config{ClientID: "app", SupportedSigningAlgs: []string{"EdDSA"}})
	if _, err := ver.Verify(context.Background(), tok); err != nil {
		t.Errorf("EdDSA ID token: %v", err)
	}
}

func mustKey(t *testing.T, k crypto.Signer, alg string) *oidc.Key {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	key, err := oidc.ParseKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), alg)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// exchangeRaw runs a code flow without verifying and returns the raw ID
// token.
func (b *browser) exchangeRaw(r *rp) (string, *oauth2.Token, error) {
	v := oauth2.GenerateVerifier()
	cb := b.authorize(r.conf.AuthCodeURL("state-12345678", oauth2.S256ChallengeOption(v), gooidc.Nonce("nonce-12345678")), true)
	tok, err := r.conf.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		return "", nil, err
	}
	raw, _ := tok.Extra("id_token").(string)
	return raw, tok, nil
}

func newHTTPServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := &http.Server{Handler: h}
	ln, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func TestUILocales(t *testing.T) {
	o := newOP(t)
	r := o.rp(t, "app", o.secret)
	b := o.browser()
	b.do(http.MethodGet, r.conf.AuthCodeURL("state-12345678", gooidc.Nonce("nonce-12345678"),
		oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("ui_locales", "de fr-CA")), nil)
	if !strings.Contains(b.last, `<html lang="fr">`) {
		t.Fatalf("sign-in page not in French:\n%.300s", b.last)
	}
	f := b.hidden()
	f.Set("login", "alice")
	b.do(http.MethodPost, o.srv.URL+"/login", f)
	if !strings.Contains(b.last, `<html lang="fr">`) {
		t.Errorf("password page not in French:\n%.300s", b.last)
	}
	f = b.hidden()
	f.Set("password", alicePass)
	b.do(http.MethodPost, o.srv.URL+"/auth/password", f)
	if !strings.Contains(b.last, `<html lang="fr">`) || !strings.Contains(b.last, "Autoriser") {
		t.Errorf("consent page not in French:\n%.300s", b.last)
	}
}

func TestSignedRequestObject(t *testing.T) {
	o := newOP(t)
	ctx := context.Background()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "jar", Algorithm: "ES256", Use: "sig"}}})
	if _, err := o.st.CreateClient(ctx, store.Client{ID: "jar", RedirectURIs: []string{o.rpURL + "/jar"},
		GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"}, Scope: []string{"openid", "profile"},
		RequestObjectSigningAlg: "ES256", JWKS: string(set), TokenEndpointAuthMethod: store.AuthMethodNone}); err != nil {
		t.Fatal(err)
	}
	sign := func(k any, claims map[string]any) string {
		sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k, KeyID: "jar"}}, nil)
		raw, _ := josejwt.Signed(sig).Claims(claims).CompactSerialize()
		return raw
	}
	claims := map[string]any{"iss": "jar", "aud": o.srv.URL, "client_id": "jar", "response_type": "code",
		"scope": "openid profile", "redirect_uri": o.rpURL + "/jar", "nonce": "nonce-from-jar",
		"state": "state-from-jar", "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"}
	b := o.browser()
	q := url.Values{"client_id": {"jar"}, "response_type": {"code"}, "scope": {"openid"}, "request": {sign(key, claims)}}
	b.do(http.MethodGet, o.srv.URL+"/oauth/authorize?"+q.Encode(), nil)
	if !strings.Contains(b.last, `name="login"`) {
		t.Fatalf("a valid request object was refused:\n%.500s", b.last)
	}
	resp := b.login()
	if loc, _ := url.Parse(resp.Header.Get("Location")); loc == nil && !strings.Contains(b.last, "/oauth/consent") {
		t.Fatalf("after sign-in: %d", resp.StatusCode)
	}
	if !strings.Contains(b.last, "/oauth/consent") {
		t.Fatalf("no consent page for the request object's scopes:\n%.500s", b.last)
	}
	f := b.hidden()
	f.Set("answer", "accept")
	resp = b.do(http.MethodPost, o.srv.URL+"/oauth/consent", f)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc == nil || loc.Query().Get("state") != "state-from-jar" || loc.Query().Get("code") == "" {
		t.Fatalf("the request object's parameters were not used: %q", resp.Header.Get("Location"))
	}

	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	q.Set("request", sign(other, claims))
	resp = o.browser().do(http.MethodGet, o.srv.URL+"/oauth/authorize?"+q.Encode(), nil)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusBadRequest && !strings.Contains(loc, "error=invalid_request_object") {
		t.Errorf("request object signed by another key: %d %q", resp.StatusCode, loc)
	}
}

// TestPromptCreate: prompt=create leads to the sign-up page, and the new
// account comes back to the application.
func TestPromptCreate(t *testing.T) {
	o := newOP(t, func(c *oidc.Config) { c.EnableRegistration = true })
	r := o.rp(t, "app", o.secret)
	b := o.browser()
	v := oauth2.GenerateVerifier()
	b.do(http.MethodGet, r.conf.AuthCodeURL("state-12345678", gooidc.Nonce("nonce-12345678"),
		oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "create")), nil)
	if !strings.Contains(b.last, `name="password_confirm"`) {
		t.Fatalf("prompt=create did not show the sign-up page:\n%.500s", b.last)
	}
	f := b.hidden()
	f.Set("user_name", "carol")
	f.Set("email", "carol@example.org")
	f.Set("password", "a long enough password")
	f.Set("password_confirm", "a long enough password")
	resp := b.do(http.MethodPost, o.srv.URL+"/register", f)
	if strings.Contains(b.last, `action="/oauth/consent"`) {
		f = b.hidden()
		f.Set("answer", "accept")
		resp = b.do(http.MethodPost, o.srv.URL+"/oauth/consent", f)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("after sign-up: %d %q\n%.500s", resp.StatusCode, resp.Header.Get("Location"), b.last)
	}
	tok, err := r.conf.Exchange(context.Background(), loc.Query().Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	idt, err := r.ver.Verify(context.Background(), tok.Extra("id_token").(string))
	if err != nil || idt.Subject != "carol" {
		t.Errorf("new account's ID token: %v %v", idt, err)
	}
}

// TestRedirectURIExact: a loopback redirect URI with another port is
// refused for a web client (fosite would accept it, as RFC 8252 allows
// for native applications).
func TestRedirectURIExact(t *testing.T) {
	o := newOP(t)
	r := o.rp(t, "app", o.secret)
	u, _ := url.Parse(o.rpURL)
	c := r.conf
	c.RedirectURL = "http://127.0.0.1:1/callback"
	if u.Port() == "1" {
		c.RedirectURL = "http://127.0.0.1:2/callback"
	}
	b := o.browser()
	resp := b.do(http.MethodGet, c.AuthCodeURL("state-12345678", gooidc.Nonce("nonce-12345678"), oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), nil)
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Errorf("another port: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestConcurrentCodeRedemption: of two token requests racing with the
// same code, one at most gets tokens.
func TestConcurrentCodeRedemption(t *testing.T) {
	o := newOP(t)
	r := o.rp(t, "app", o.secret)
	for round := range 5 {
		b := o.browser()
		v := oauth2.GenerateVerifier()
		cb := b.authorize(r.conf.AuthCodeURL("state-12345678", oauth2.S256ChallengeOption(v), gooidc.Nonce("nonce-12345678")), round == 0)
		code := cb.Query().Get("code")
		results := make(chan error, 2)
		for range 2 {
			go func() {
				_, err := r.conf.Exchange(context.Background(), code, oauth2.VerifierOption(v))
				results <- err
			}()
		}
		ok := 0
		for range 2 {
			if err := <-results; err == nil {
				ok++
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d of 2 concurrent redemptions of one code got tokens", round, ok)
		}
	}
}
