package oidc

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite/token/jwt"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/bolt"
	"github.com/canaille-go/canaille/store/password"
)

const regIssuer = "https://auth.example.test"

// regFixture is a provider over a bolt store, served by httptest through
// a ServeMux built from Routes.
type regFixture struct {
	t   testing.TB
	p   *Provider
	st  *bolt.Store
	srv *httptest.Server
	log *regLog
}

// regLog collects the log output (to check that no secret ends up there).
type regLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *regLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *regLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// regKey generates a P-256 key loaded as the provider loads its keys.
func regKey(t testing.TB) *Key {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), "ES256")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// regFailingTransport refuses every outgoing request.
type regFailingTransport struct{}

func (regFailingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in tests")
}

func newRegFixture(t testing.TB, open bool, opts ...func(*Config)) *regFixture {
	t.Helper()
	h, err := password.NewHasher(password.Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := bolt.Config{Path: filepath.Join(t.TempDir(), "reg.db"), Hasher: h, NoSync: true}.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := NewKeySet(regKey(t))
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	lg := &regLog{}
	cfg := Config{Issuer: regIssuer, Keys: keys, GlobalSecret: secret, RegistrationOpen: open,
		Logger:     slog.New(slog.NewTextHandler(lg, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HTTPClient: &http.Client{Transport: regFailingTransport{}, Timeout: time.Second}}
	for _, o := range opts {
		o(&cfg)
	}
	p, err := New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	seen := map[string]bool{}
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	for _, r := range p.Routes() {
		pattern := r.Method + " " + param.ReplaceAllString(r.Path, "{$1}")
		if !seen[pattern] {
			seen[pattern] = true
			mux.Handle(pattern, r.Handler)
		}
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &regFixture{t: t, p: p, st: st, srv: srv, log: lg}
}

type regResponse struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (r regResponse) str(name string) string { s, _ := r.body[name].(string); return s }

func (r regResponse) strs(name string) []string {
	var out []string
	list, _ := r.body[name].([]any)
	for _, v := range list {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

// call sends body (a string is sent as is, anything else as JSON) with
// token as the bearer.
func (f *regFixture) call(method, path, token string, body any) regResponse {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := regResponse{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			f.t.Fatalf("%s %s: %d, not JSON: %q", method, path, resp.StatusCode, raw)
		}
	}
	return out
}

// register registers metadata and fails the test unless it gets a 201.
func (f *regFixture) register(token string, metadata any) regResponse {
	f.t.Helper()
	r := f.call(http.MethodPost, "/oauth/register", token, metadata)
	if r.status != http.StatusCreated {
		f.t.Fatalf("registration: %d %s", r.status, r.raw)
	}
	return r
}

func (f *regFixture) path(r regResponse) string {
	return strings.TrimPrefix(r.str("registration_client_uri"), regIssuer)
}

// sign signs claims with the provider's current key.
func (f *regFixture) sign(claims jwt.MapClaims) string {
	f.t.Helper()
	raw, _, err := f.p.idSign.Generate(context.Background(), claims, &jwt.Headers{})
	if err != nil {
		f.t.Fatal(err)
	}
	return raw
}

var regWebClient = map[string]any{
	"redirect_uris": []string{"https://app.example.org/callback"},
	"client_name":   "The App",
	"contacts":      []string{"ops@example.org"},
	"scope":         "openid profile email",
}

func regWith(base map[string]any, kv ...any) map[string]any {
	m := map[string]any{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(m, kv[i].(string))
		} else {
			m[kv[i].(string)] = kv[i+1]
		}
	}
	return m
}

func regWantError(t *testing.T, r regResponse, status int, code, field string) {
	t.Helper()
	if r.status != status || r.str("error") != code || !strings.Contains(r.str("error_description"), field) {
		t.Fatalf("got %d %s, want %d %s naming %q", r.status, r.raw, status, code, field)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
}

func regWantInvalidToken(t *testing.T, r regResponse) {
	t.Helper()
	regWantError(t, r, http.StatusUnauthorized, "invalid_token", "")
	if wa := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(wa, "Bearer ") || !strings.Contains(wa, `error="invalid_token"`) {
		t.Fatalf("WWW-Authenticate %q", wa)
	}
}

// regWantNoToken: a request without a token gets a bare challenge (RFC
// 6750 section 3.1: no error code when no token was sent).
func regWantNoToken(t *testing.T, r regResponse) {
	t.Helper()
	regWantError(t, r, http.StatusUnauthorized, "invalid_token", "")
	if wa := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(wa, "Bearer realm=") || strings.Contains(wa, "error=") {
		t.Fatalf("WWW-Authenticate %q", wa)
	}
}

func TestRegisterOpen(t *testing.T) {
	f := newRegFixture(t, true)
	r := f.register("", regWebClient)
	id, secret := r.str("client_id"), r.str("client_secret")
	if id == "" || len(secret) != 43 {
		t.Fatalf("client_id %q, client_secret of %d characters", id, len(secret))
	}
	if r.str("registration_client_uri") != regIssuer+"/oauth/register/"+id {
		t.Fatalf("registration_client_uri %q", r.str("registration_client_uri"))
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control %q", r.header.Get("Cache-Control"))
	}
	if r.body["client_secret_expires_at"] != float64(0) {
		t.Fatalf("client_secret_expires_at %v", r.body["client_secret_expires_at"])
	}
	if at, _ := r.body["client_id_issued_at"].(float64); at < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Fatalf("client_id_issued_at %v", r.body["client_id_issued_at"])
	}
	for name, want := range map[string]string{"token_endpoint_auth_method": "client_secret_basic",
		"application_type": "web", "scope": "openid profile email", "client_name": "The App"} {
		if got := r.str(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if g, rt := r.strs("grant_types"), r.strs("response_types"); !slices.Equal(g, []string{"authorization_code"}) ||
		!slices.Equal(rt, []string{"code"}) {
		t.Errorf("grant_types %v, response_types %v", g, rt)
	}
	if r.str("registration_access_token") == "" {
		t.Fatal("no registration_access_token")
	}

	// Only the digest of the secret is kept.
	c, err := f.st.GetClient(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if c.ClientSecretHash == secret || c.ClientSecretHash != store.DigestSecret(secret) || !c.CheckSecret(secret, time.Now()) {
		t.Fatalf("stored secret %q", c.ClientSecretHash)
	}
	if !slices.Equal(c.Scope, []string{"openid", "profile", "email"}) || c.ApplicationType != "web" {
		t.Fatalf("stored %+v", c)
	}
	// The logs name the client and never a secret or a token.
	logs := f.log.String()
	if !strings.Contains(logs, "client registered") || !strings.Contains(logs, id) {
		t.Fatalf("logs: %s", logs)
	}
	if strings.Contains(logs, secret) || strings.Contains(logs, r.str("registration_access_token")) {
		t.Fatal("a secret or a token was logged")
	}

	// Random identifiers.
	if r2 := f.register("", regWebClient); r2.str("client_id") == id || r2.str("client_secret") == secret {
		t.Fatal("identifiers or secrets repeat")
	}
}

func TestRegisterWithInitialAccessToken(t *testing.T) {
	f := newRegFixture(t, false)
	regWantNoToken(t, f.call(http.MethodPost, "/oauth/register", "", regWebClient))
	if strings.Contains(f.call(http.MethodPost, "/oauth/register", "garbage", regWebClient).header.Get("WWW-Authenticate"), "error_description=\"\"") {
		t.Fatal("empty description")
	}

	// A token without sub registers any number of random clients.
	multi, err := f.p.InitialAccessToken("", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a, b := f.register(multi, regWebClient), f.register(multi, regWebClient)
	if a.str("client_id") == b.str("client_id") {
		t.Fatal("same client_id twice")
	}

	// A token with sub registers that client, once.
	named, err := f.p.InitialAccessToken("my-app", 0)
	if err != nil {
		t.Fatal(err)
	}
	if r := f.register(named, regWebClient); r.str("client_id") != "my-app" {
		t.Fatalf("client_id %q", r.str("client_id"))
	}
	regWantError(t, f.call(http.MethodPost, "/oauth/register", named, regWebClient), 400, "invalid_client_metadata", "client_id")
	// The token's sub must be an acceptable client_id.
	regWantError(t, f.call(http.MethodPost, "/oauth/register",
		f.sign(jwt.MapClaims{"iss": regIssuer, "aud": regIssuer, "scope": "client:register", "sub": "a/b"}), regWebClient),
		400, "invalid_client_metadata", "client_id")

	if _, err := f.p.InitialAccessToken("a b", 0); err == nil {
		t.Error("InitialAccessToken accepted a client_id with a space")
	}
	if _, err := f.p.InitialAccessToken("", -time.Second); err == nil {
		t.Error("InitialAccessToken accepted a negative lifetime")
	}

	now := time.Now().Unix()
	good := jwt.MapClaims{"iss": regIssuer, "aud": regIssuer, "scope": "openid client:register"}
	if r := f.call(http.MethodPost, "/oauth/register", f.sign(good), regWebClient); r.status != 201 {
		t.Fatalf("a token with several scopes: %d %s", r.status, r.raw)
	}
	if r := f.call(http.MethodPost, "/oauth/register", f.sign(regWith(good, "aud", []string{"x", regIssuer}, "exp", now+60)), regWebClient); r.status != 201 {
		t.Fatalf("an audience list: %d %s", r.status, r.raw)
	}

	// A foreign key, with an unknown kid or pretending to be ours.
	foreign := regKey(t)
	signWith := func(k *Key, kid string, claims jwt.MapClaims) string {
		tok := jwt.NewWithClaims(jose.ES256, claims)
		jk := jose.JSONWebKey{Key: k.Private, KeyID: kid, Algorithm: "ES256"}
		raw, err := tok.SignedString(&jk)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	ourKid := f.p.cfg.Keys.Current().ID
	b64 := func(v any) string { j, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(j) }
	claims, _ := json.Marshal(good)
	hs := jwt.NewWithClaims(jose.HS256, good)
	hs.Header["kid"] = ourKid
	pubDER, _ := x509.MarshalPKIXPublicKey(f.p.cfg.Keys.Current().Public)
	hsRaw, err := hs.SignedString(pubDER)
	if err != nil {
		t.Fatal(err)
	}
	atSigner := &signer{keys: f.p.cfg.Keys, typ: "at+jwt"}
	atRaw, _, err := atSigner.Generate(context.Background(), good, &jwt.Headers{})
	if err != nil {
		t.Fatal(err)
	}
	manage := f.register(multi, regWebClient).str("registration_access_token")
	for name, tok := range map[string]string{
		"garbage":                   "not-a-jwt",
		"expired":                   f.sign(regWith(good, "exp", now-60)),
		"not yet valid":             f.sign(regWith(good, "nbf", now+3600)),
		"wrong issuer":              f.sign(regWith(good, "iss", "https://evil.example")),
		"no issuer":                 f.sign(regWith(good, "iss", nil)),
		"wrong audience":            f.sign(regWith(good, "aud", "my-app")),
		"no audience":               f.sign(regWith(good, "aud", nil)),
		"wrong scope":               f.sign(regWith(good, "scope", "client:manage")),
		"no scope":                  f.sign(regWith(good, "scope", nil)),
		"numeric sub":               f.sign(regWith(good, "sub", 12)),
		"management token":          manage,
		"access token":              atRaw,
		"alg none":                  b64(map[string]string{"alg": "none", "typ": "JWT"}) + "." + base64.RawURLEncoding.EncodeToString(claims) + ".",
		"alg none, our kid":         b64(map[string]string{"alg": "none", "kid": ourKid}) + "." + base64.RawURLEncoding.EncodeToString(claims) + ".",
		"HS256 with our public key": hsRaw,
		"foreign key":               signWith(foreign, foreign.ID, good),
		"foreign key, our kid":      signWith(foreign, ourKid, good),
		"tampered":                  f.sign(good)[:20] + "x" + f.sign(good)[21:],
	} {
		t.Run(name, func(t *testing.T) {
			regWantInvalidToken(t, f.call(http.MethodPost, "/oauth/register", tok, regWebClient))
		})
	}

	// A token signed before a key rotation still works.
	old := f.p.cfg.Keys.Current()
	if err := f.p.cfg.Keys.Replace(regKey(t), old); err != nil {
		t.Fatal(err)
	}
	f.register(multi, regWebClient)
	// Once the old key is removed, it does not.
	if err := f.p.cfg.Keys.Replace(f.p.cfg.Keys.Current()); err != nil {
		t.Fatal(err)
	}
	regWantInvalidToken(t, f.call(http.MethodPost, "/oauth/register", multi, regWebClient))
}

func TestRegisterOpenWithNamedToken(t *testing.T) {
	// With open registration a valid initial access token still picks the
	// client_id, and an invalid one is refused rather than ignored.
	f := newRegFixture(t, true)
	tok, _ := f.p.InitialAccessToken("chosen", time.Minute)
	if r := f.register(tok, regWebClient); r.str("client_id") != "chosen" {
		t.Fatalf("client_id %q", r.str("client_id"))
	}
	regWantInvalidToken(t, f.call(http.MethodPost, "/oauth/register", "nope", regWebClient))
	// Another scheme (a client sending its Basic credentials by habit) is
	// not a registration token and is ignored.
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/oauth/register", strings.NewReader(regJSON(t, regWebClient)))
	req.SetBasicAuth("someone", "something")
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("with Basic credentials: %d", resp.StatusCode)
	}
}

func TestRegisterValidation(t *testing.T) {
	f := newRegFixture(t, true)
	ecJWK := func(private bool) map[string]any {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		var key any = &k.PublicKey
		if private {
			key = k
		}
		j, _ := json.Marshal(jose.JSONWebKey{Key: key, KeyID: "k1", Use: "sig"})
		var m map[string]any
		_ = json.Unmarshal(j, &m)
		return map[string]any{"keys": []any{m}}
	}
	smallRSA, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallJ, _ := json.Marshal(jose.JSONWebKey{Key: &smallRSA.PublicKey})
	var smallM map[string]any
	_ = json.Unmarshal(smallJ, &smallM)
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf("c%d@example.org", i)
	}
	type tc struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}
	redirect := func(name string, body map[string]any, field string) tc {
		return tc{name, body, 400, "invalid_redirect_uri", field}
	}
	meta := func(name string, body any, field string) tc {
		return tc{name, body, 400, "invalid_client_metadata", field}
	}
	for _, c := range []tc{
		redirect("no redirect_uris", regWith(regWebClient, "redirect_uris", nil), "redirect_uris"),
		redirect("implicit without redirect_uris", map[string]any{"grant_types": []string{"implicit"}, "response_types": []string{"id_token"}}, "redirect_uris"),
		redirect("relative", regWith(regWebClient, "redirect_uris", []string{"/callback"}), "redirect_uris[0]"),
		redirect("fragment", regWith(regWebClient, "redirect_uris", []string{"https://a.example/cb", "https://a.example/cb#x"}), "redirect_uris[1]"),
		redirect("http on the internet", regWith(regWebClient, "redirect_uris", []string{"http://app.example.org/cb"}), "redirect_uris[0]"),
		redirect("web with a custom scheme", regWith(regWebClient, "redirect_uris", []string{"com.example.app:/cb"}), "redirect_uris[0]"),
		redirect("javascript", regWith(regWebClient, "redirect_uris", []string{"javascript:alert(1)"}), "redirect_uris[0]"),
		redirect("user info", regWith(regWebClient, "redirect_uris", []string{"https://u:p@app.example.org/cb"}), "redirect_uris[0]"),
		redirect("implicit on localhost", regWith(regWebClient, "grant_types", []string{"implicit"}, "response_types", []string{"id_token"},
			"redirect_uris", []string{"https://localhost/cb"}), "redirect_uris[0]"),
		redirect("implicit over http", regWith(regWebClient, "grant_types", []string{"implicit"}, "response_types", []string{"id_token"},
			"redirect_uris", []string{"http://127.0.0.1/cb"}), "redirect_uris[0]"),
		redirect("native over http on the internet", regWith(regWebClient, "application_type", "native",
			"redirect_uris", []string{"http://app.example.org/cb"}), "redirect_uris[0]"),
		redirect("redirect_uris as a string", regWith(regWebClient, "redirect_uris", "https://app.example.org/cb"), "redirect_uris"),
		redirect("redirect_uris of numbers", regWith(regWebClient, "redirect_uris", []int{1}), "redirect_uris"),
		meta("post-logout over http", regWith(regWebClient, "post_logout_redirect_uris", []string{"http://app.example.org/bye"}), "post_logout_redirect_uris[0]"),
		meta("password grant", regWith(regWebClient, "grant_types", []string{"authorization_code", "password"}), "grant_types[1]"),
		meta("unknown grant", regWith(regWebClient, "grant_types", []string{"authorization_code", "magic"}), "grant_types[1]"),
		meta("code without its grant", regWith(regWebClient, "grant_types", []string{"implicit"}, "response_types", []string{"code", "id_token"}), "response_types[0]"),
		meta("id_token without implicit", regWith(regWebClient, "response_types", []string{"code id_token"}, "grant_types", []string{"authorization_code"}), "response_types[0]"),
		meta("implicit without its response type", regWith(regWebClient, "grant_types", []string{"authorization_code", "implicit"}, "response_types", []string{"code"}), "grant_types"),
		meta("authorization_code without code", regWith(regWebClient, "grant_types", []string{"authorization_code", "implicit"}, "response_types", []string{"id_token"}), "grant_types"),
		meta("unknown response type", regWith(regWebClient, "response_types", []string{"code", "magic"}), "response_types[1]"),
		meta("response type none", regWith(regWebClient, "response_types", []string{"none"}), "response_types[0]"),
		meta("client_secret_jwt", regWith(regWebClient, "token_endpoint_auth_method", "client_secret_jwt"), "token_endpoint_auth_method"),
		meta("unknown auth method", regWith(regWebClient, "token_endpoint_auth_method", "tls_client_auth"), "token_endpoint_auth_method"),
		meta("private_key_jwt without keys", regWith(regWebClient, "token_endpoint_auth_method", "private_key_jwt"), "token_endpoint_auth_method"),
		meta("jwks and jwks_uri", regWith(regWebClient, "jwks", ecJWK(false), "jwks_uri", "https://app.example.org/jwks"), "jwks"),
		meta("private key in jwks", regWith(regWebClient, "jwks", ecJWK(true)), "jwks"),
		meta("symmetric key in jwks", regWith(regWebClient, "jwks", map[string]any{"keys": []any{map[string]string{"kty": "oct", "k": "c2VjcmV0"}}}), "jwks"),
		meta("small RSA key in jwks", regWith(regWebClient, "jwks", map[string]any{"keys": []any{smallM}}), "jwks"),
		meta("jwks as a string", regWith(regWebClient, "jwks", `{"keys":[]}`), "jwks"),
		meta("empty jwks", regWith(regWebClient, "jwks", map[string]any{"keys": []any{}}), "jwks"),
		meta("jwks without an RS256 key", regWith(regWebClient, "token_endpoint_auth_method", "private_key_jwt", "jwks", ecJWK(false)), "jwks"),
		meta("client assertion alg HS256", regWith(regWebClient, "token_endpoint_auth_method", "private_key_jwt", "jwks", ecJWK(false),
			"token_endpoint_auth_signing_alg", "HS256"), "token_endpoint_auth_signing_alg"),
		meta("id_token alg not ours", regWith(regWebClient, "id_token_signed_response_alg", "RS256"), "id_token_signed_response_alg"),
		meta("id_token alg none", regWith(regWebClient, "id_token_signed_response_alg", "none"), "id_token_signed_response_alg"),
		meta("userinfo alg HS256", regWith(regWebClient, "userinfo_signed_response_alg", "HS256"), "userinfo_signed_response_alg"),
		meta("request object alg HS256", regWith(regWebClient, "request_object_signing_alg", "HS256"), "request_object_signing_alg"),
		meta("signed request objects with alg none", regWith(regWebClient, "require_signed_request_object", true, "request_object_signing_alg", "none"), "request_object_signing_alg"),
		meta("id_token encryption", regWith(regWebClient, "id_token_encrypted_response_alg", "RSA-OAEP"), "id_token_encrypted_response_alg"),
		meta("userinfo encryption", regWith(regWebClient, "userinfo_encrypted_response_enc", "A128GCM"), "userinfo_encrypted_response_enc"),
		meta("unknown scope", regWith(regWebClient, "scope", "openid admin"), "scope"),
		meta("scope as a list", regWith(regWebClient, "scope", []string{"openid"}), "scope"),
		meta("pairwise", regWith(regWebClient, "subject_type", "pairwise"), "subject_type"),
		meta("unknown application type", regWith(regWebClient, "application_type", "desktop"), "application_type"),
		meta("negative max age", regWith(regWebClient, "default_max_age", -1), "default_max_age"),
		meta("fractional max age", regWith(regWebClient, "default_max_age", 1.5), "default_max_age"),
		meta("max age as a string", regWith(regWebClient, "default_max_age", "60"), "default_max_age"),
		meta("require_auth_time as a string", regWith(regWebClient, "require_auth_time", "yes"), "require_auth_time"),
		meta("too many contacts", regWith(regWebClient, "contacts", many), "contacts"),
		meta("control character", regWith(regWebClient, "client_name", "The\x00App"), "client_name"),
		meta("bidi override", regWith(regWebClient, "client_name", "ppA\u202eThe"), "client_name"),
		meta("too long", regWith(regWebClient, "software_id", strings.Repeat("x", 5000)), "software_id"),
		meta("logo over ftp", regWith(regWebClient, "logo_uri", "ftp://app.example.org/logo.png"), "logo_uri"),
		meta("jwks_uri over http", regWith(regWebClient, "jwks_uri", "http://app.example.org/jwks"), "jwks_uri"),
		meta("sector identifier over http", regWith(regWebClient, "sector_identifier_uri", "http://app.example.org/s.json"), "sector_identifier_uri"),
		meta("initiate_login_uri over http", regWith(regWebClient, "initiate_login_uri", "http://app.example.org/login"), "initiate_login_uri"),
		meta("back-channel logout over http", regWith(regWebClient, "backchannel_logout_uri", "http://app.example.org/bc"), "backchannel_logout_uri"),
		meta("back-channel logout with a fragment", regWith(regWebClient, "backchannel_logout_uri", "https://app.example.org/bc#x"), "backchannel_logout_uri"),
		meta("request_uris over http", regWith(regWebClient, "request_uris", []string{"http://app.example.org/r"}), "request_uris[0]"),
		meta("public client credentials", regWith(regWebClient, "grant_types", []string{"client_credentials"}, "token_endpoint_auth_method", "none"), "grant_types"),
		{"software statement", regWith(regWebClient, "software_statement", "eyJhbGciOiJub25lIn0.e30."), 400, "unapproved_software_statement", "software_statement"},
		meta("not UTF-8", "{\"redirect_uris\":[\"https://a\xc8pp.example.org/cb\"]}", "UTF-8"),
		meta("an array", `[{"redirect_uris":["https://a.example/cb"]}]`, "JSON object"),
		meta("null", `null`, "JSON object"),
		meta("not JSON", `redirect_uris=https://a.example/cb`, "JSON object"),
		meta("trailing data", `{"redirect_uris":["https://a.example/cb"]} {}`, "JSON object"),
		{"too large", `{"client_name":"` + strings.Repeat("x", 70000) + `"}`, 413, "invalid_client_metadata", "64 KiB"},
	} {
		t.Run(c.name, func(t *testing.T) {
			regWantError(t, f.call(http.MethodPost, "/oauth/register", "", c.body), c.status, c.code, c.field)
		})
	}

	t.Run("several problems", func(t *testing.T) {
		r := f.call(http.MethodPost, "/oauth/register", "", regWith(regWebClient, "scope", "admin",
			"redirect_uris", []string{"http://app.example.org/cb"}, "subject_type", "pairwise"))
		regWantError(t, r, 400, "invalid_redirect_uri", "redirect_uris[0]")
		for _, field := range []string{"scope", "subject_type"} {
			if !strings.Contains(r.str("error_description"), field) {
				t.Errorf("%q does not name %s", r.str("error_description"), field)
			}
		}
	})
	t.Run("content type", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/oauth/register", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := f.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	if clients, _ := f.st.ListClients(context.Background()); len(clients) != 0 {
		t.Fatalf("%d clients were created", len(clients))
	}
}

func TestRegisterAccepts(t *testing.T) {
	f := newRegFixture(t, true)
	ctx := context.Background()

	t.Run("native public client", func(t *testing.T) {
		r := f.register("", map[string]any{"application_type": "native", "token_endpoint_auth_method": "none",
			"redirect_uris": []string{"com.example.app:/oauth", "http://127.0.0.1:8765/cb", "http://localhost/cb", "http://[::1]/cb", "https://app.example.org/native"},
			"grant_types":   []string{"authorization_code", "refresh_token"}})
		if _, ok := r.body["client_secret"]; ok {
			t.Fatal("a public client got a secret")
		}
		if _, ok := r.body["client_secret_expires_at"]; ok {
			t.Fatal("a public client got client_secret_expires_at")
		}
		c, _ := f.st.GetClient(ctx, r.str("client_id"))
		if c.ClientSecretHash != "" || !c.Public() || !slices.Equal(c.ResponseTypes, []string{"code"}) {
			t.Fatalf("stored %+v", c)
		}
	})
	t.Run("web client on localhost", func(t *testing.T) {
		f.register("", regWith(regWebClient, "redirect_uris", []string{"http://localhost:3000/cb"}))
	})
	t.Run("private_key_jwt", func(t *testing.T) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		j, _ := json.Marshal(jose.JSONWebKey{Key: &k.PublicKey, KeyID: "k1", Use: "sig", Algorithm: "ES256"})
		var jm map[string]any
		_ = json.Unmarshal(j, &jm)
		r := f.register("", regWith(regWebClient, "token_endpoint_auth_method", "private_key_jwt",
			"token_endpoint_auth_signing_alg", "ES256", "jwks", map[string]any{"keys": []any{jm}}))
		if _, ok := r.body["client_secret"]; ok {
			t.Fatal("a private_key_jwt client got a secret")
		}
		keys, _ := r.body["jwks"].(map[string]any)["keys"].([]any)
		if len(keys) != 1 {
			t.Fatalf("jwks %v", r.body["jwks"])
		}
		c, _ := f.st.GetClient(ctx, r.str("client_id"))
		cl := newClient(c)
		if cl.GetJSONWebKeys() == nil || len(cl.GetJSONWebKeys().Key("k1")) != 1 {
			t.Fatalf("stored jwks %q", c.JWKS)
		}
	})
	t.Run("implicit and hybrid", func(t *testing.T) {
		r := f.register("", regWith(regWebClient, "response_types", []string{"id_token token", "code  id_token"}))
		if g := r.strs("grant_types"); !slices.Equal(g, []string{"implicit", "authorization_code"}) {
			t.Fatalf("grant_types %v", g)
		}
		if rt := r.strs("response_types"); !slices.Equal(rt, []string{"id_token token", "code id_token"}) {
			t.Fatalf("response_types %v", rt)
		}
		r = f.register("", regWith(regWebClient, "grant_types", []string{"implicit"}))
		if rt := r.strs("response_types"); !slices.Equal(rt, []string{"id_token", "id_token token"}) {
			t.Fatalf("response_types %v", rt)
		}
	})
	t.Run("client credentials only", func(t *testing.T) {
		r := f.register("", map[string]any{"grant_types": []string{"client_credentials"}, "client_name": "Robot"})
		if _, ok := r.body["response_types"]; ok || r.str("client_secret") == "" {
			t.Fatalf("%s", r.raw)
		}
	})
	t.Run("every field", func(t *testing.T) {
		r := f.register("", regWith(regWebClient,
			"logo_uri", "https://app.example.org/logo.png", "client_uri", "https://app.example.org",
			"policy_uri", "https://app.example.org/policy", "tos_uri", "https://app.example.org/tos",
			"jwks_uri", "https://app.example.org/jwks", "subject_type", "public",
			"id_token_signed_response_alg", "ES256", "userinfo_signed_response_alg", "none",
			"request_object_signing_alg", "ES256", "token_endpoint_auth_method", "client_secret_post",
			"default_max_age", 3600, "require_auth_time", true, "default_acr_values", []string{"urn:acr:1"},
			"initiate_login_uri", "https://app.example.org/login", "request_uris", []string{"https://app.example.org/req"},
			"post_logout_redirect_uris", []string{"https://app.example.org/bye"},
			"backchannel_logout_uri", "https://app.example.org/bc", "software_id", "4NRB1-0XZABZI9E6-5SM3R",
			"software_version", "2.1", "require_signed_request_object", true, "require_pkce", true,
			"grant_types", []string{"authorization_code", "refresh_token"},
			// Ignored: unknown, or reserved to administrators.
			"allow_password_grant", true, "audience", []string{"other"}, "description", "x",
			"client_id", "chosen-by-me", "client_secret", "chosen-too", "client_id_issued_at", 1,
			"frobnicate", map[string]any{"a": 1}, "client_name#fr", "L'appli"))
		c, err := f.st.GetClient(ctx, r.str("client_id"))
		if err != nil {
			t.Fatal(err)
		}
		if c.ID == "chosen-by-me" || c.CheckSecret("chosen-too", time.Now()) || c.AllowPasswordGrant ||
			len(c.Audience) != 0 || c.Description != "" {
			t.Fatalf("a reserved field was taken: %+v", c)
		}
		want := store.Client{ID: c.ID, Created: c.Created, LastModified: c.LastModified, ClientSecretHash: c.ClientSecretHash,
			ClientName: "The App", ClientURI: "https://app.example.org", LogoURI: "https://app.example.org/logo.png",
			TOSURI: "https://app.example.org/tos", PolicyURI: "https://app.example.org/policy",
			Contacts: []string{"ops@example.org"}, RedirectURIs: []string{"https://app.example.org/callback"},
			PostLogoutRedirectURIs: []string{"https://app.example.org/bye"}, BackchannelLogoutURI: "https://app.example.org/bc",
			GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
			Scope: []string{"openid", "profile", "email"}, TokenEndpointAuthMethod: "client_secret_post",
			JWKSURI: "https://app.example.org/jwks", SubjectType: "public", SoftwareID: "4NRB1-0XZABZI9E6-5SM3R",
			SoftwareVersion: "2.1", ApplicationType: "web", IDTokenSignedResponseAlg: "ES256",
			UserinfoSignedResponseAlg: "none", DefaultMaxAge: 3600, RequireAuthTime: true,
			DefaultACRValues: []string{"urn:acr:1"}, InitiateLoginURI: "https://app.example.org/login",
			RequestObjectSigningAlg: "ES256", RequestURIs: []string{"https://app.example.org/req"},
			RequireSignedRequestObject: true, RequirePKCE: true}
		gotJ, _ := json.Marshal(c)
		wantJ, _ := json.Marshal(want)
		if !bytes.Equal(gotJ, wantJ) {
			t.Fatalf("stored\n%s\nwant\n%s", gotJ, wantJ)
		}
		for _, name := range []string{"logo_uri", "policy_uri", "tos_uri", "jwks_uri", "software_id",
			"backchannel_logout_uri", "initiate_login_uri", "request_object_signing_alg"} {
			if r.str(name) == "" {
				t.Errorf("%s missing from the response", name)
			}
		}
		if r.body["require_pkce"] != true || r.body["default_max_age"] != float64(3600) {
			t.Errorf("response %s", r.raw)
		}
	})
}

func TestRegisterSectorIdentifier(t *testing.T) {
	var doc string
	sector := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/sector.json" {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, doc)
	}))
	defer sector.Close()
	f := newRegFixture(t, true, func(c *Config) { c.HTTPClient = sector.Client() })
	m := regWith(regWebClient, "sector_identifier_uri", sector.URL+"/sector.json",
		"redirect_uris", []string{"https://app.example.org/a", "https://app.example.org/b"})
	doc = `["https://app.example.org/a","https://app.example.org/b","https://app.example.org/c"]`
	f.register("", m)
	doc = `["https://app.example.org/a"]`
	regWantError(t, f.call(http.MethodPost, "/oauth/register", "", m), 400, "invalid_client_metadata", "sector_identifier_uri")
	doc = `{"redirect_uris":[]}`
	regWantError(t, f.call(http.MethodPost, "/oauth/register", "", m), 400, "invalid_client_metadata", "sector_identifier_uri")
	regWantError(t, f.call(http.MethodPost, "/oauth/register", "", regWith(m, "sector_identifier_uri", sector.URL+"/missing")),
		400, "invalid_client_metadata", "sector_identifier_uri")
}

func TestRegistrationManagement(t *testing.T) {
	f := newRegFixture(t, false)
	ctx := context.Background()
	iat, _ := f.p.InitialAccessToken("", 0)
	reg := f.register(iat, regWebClient)
	other := f.register(iat, regWith(regWebClient, "client_name", "Other"))
	id, path, tok, secret := reg.str("client_id"), f.path(reg), reg.str("registration_access_token"), reg.str("client_secret")
	if path != "/oauth/register/"+id {
		t.Fatalf("path %q", path)
	}

	// GET: the metadata without the secret.
	g := f.call(http.MethodGet, path, tok, nil)
	if g.status != 200 || g.str("client_id") != id || g.str("client_name") != "The App" ||
		g.str("registration_access_token") != tok || g.str("registration_client_uri") != regIssuer+path {
		t.Fatalf("GET: %d %s", g.status, g.raw)
	}
	if _, ok := g.body["client_secret"]; ok {
		t.Fatal("GET sent a secret back")
	}
	if g.body["client_secret_expires_at"] != float64(0) {
		t.Fatalf("client_secret_expires_at %v", g.body["client_secret_expires_at"])
	}

	// Without a token, with a bad one, with another client's.
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		regWantNoToken(t, f.call(m, path, "", nil))
		regWantInvalidToken(t, f.call(m, path, "garbage", nil))
		regWantInvalidToken(t, f.call(m, path, iat, nil))
		r := f.call(m, path, other.str("registration_access_token"), regWith(regWebClient, "client_id", id))
		regWantError(t, r, http.StatusForbidden, "insufficient_scope", "")
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer ") {
			t.Fatalf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
		}
	}
	// A token naming a client that does not exist: invalid.
	ghost := f.sign(jwt.MapClaims{"iss": regIssuer, "aud": regIssuer, "sub": "ghost", "scope": "client:manage",
		regBindingClaim: f.p.regBinding(&store.Client{ID: "ghost"})})
	regWantInvalidToken(t, f.call(http.MethodGet, "/oauth/register/ghost", ghost, nil))
	// A token without the binding claim (as Python Canaille issued them).
	regWantInvalidToken(t, f.call(http.MethodGet, path, f.sign(jwt.MapClaims{"iss": regIssuer, "aud": regIssuer,
		"sub": id, "scope": "client:manage"}), nil))

	// PUT changes the redirect URIs; a fresh GET shows them.
	put := regWith(regWebClient, "client_id", id, "redirect_uris", []string{"https://app.example.org/new"})
	u := f.call(http.MethodPut, path, tok, put)
	if u.status != 200 || !slices.Equal(u.strs("redirect_uris"), []string{"https://app.example.org/new"}) {
		t.Fatalf("PUT: %d %s", u.status, u.raw)
	}
	tok2 := u.str("registration_access_token")
	if tok2 == "" || tok2 == tok {
		t.Fatal("PUT did not issue a new registration access token")
	}
	if _, ok := u.body["client_secret"]; ok {
		t.Fatal("PUT changed the secret")
	}
	if g := f.call(http.MethodGet, path, tok2, nil); !slices.Equal(g.strs("redirect_uris"), []string{"https://app.example.org/new"}) {
		t.Fatalf("GET after PUT: %s", g.raw)
	}
	if c, _ := f.st.GetClient(ctx, id); !c.CheckSecret(secret, time.Now()) {
		t.Fatal("PUT lost the secret")
	}

	// PUT rules.
	regWantError(t, f.call(http.MethodPut, path, tok2, regWebClient), 400, "invalid_client_metadata", "client_id")
	regWantError(t, f.call(http.MethodPut, path, tok2, regWith(put, "client_id", other.str("client_id"))), 400, "invalid_client_metadata", "client_id")
	regWantError(t, f.call(http.MethodPut, path, tok2, regWith(put, "client_secret", "mine")), 400, "invalid_client_metadata", "client_secret")
	regWantError(t, f.call(http.MethodPut, path, tok2, regWith(put, "redirect_uris", []string{"http://evil.example/cb"})), 400, "invalid_redirect_uri", "redirect_uris[0]")
	regWantError(t, f.call(http.MethodPut, path, tok2, regWith(put, "grant_types", []string{"authorization_code", "password"})), 400, "invalid_client_metadata", "grant_types[1]")
	if r := f.call(http.MethodPut, path, tok2, regWith(put, "client_secret", secret)); r.status != 200 {
		t.Fatalf("PUT with the right secret: %d %s", r.status, r.raw)
	}

	// Sending back what GET answered changes nothing.
	before, _ := f.st.GetClient(ctx, id)
	g = f.call(http.MethodGet, path, tok2, nil)
	if r := f.call(http.MethodPut, path, tok2, g.raw); r.status != 200 {
		t.Fatalf("PUT of the GET document: %d %s", r.status, r.raw)
	}
	after, _ := f.st.GetClient(ctx, id)
	after.LastModified = before.LastModified
	if bj, aj := regJSON(t, before), regJSON(t, after); bj != aj {
		t.Fatalf("round trip changed the client:\n%s\n%s", bj, aj)
	}

	// Settings of an administrator survive a PUT and may be kept.
	if _, err := f.st.UpdateClient(ctx, id, func(c *store.Client) error {
		c.AllowPasswordGrant, c.Audience, c.Description = true, []string{other.str("client_id")}, "kept"
		c.GrantTypes = append(c.GrantTypes, "password")
		c.Scope = append(c.Scope, "special")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	g = f.call(http.MethodGet, path, tok2, nil)
	if r := f.call(http.MethodPut, path, tok2, g.raw); r.status != 200 {
		t.Fatalf("PUT keeping an administrator's grant: %d %s", r.status, r.raw)
	}
	if c, _ := f.st.GetClient(ctx, id); !c.AllowPasswordGrant || c.Description != "kept" || len(c.Audience) != 1 ||
		!slices.Contains(c.GrantTypes, "password") || !slices.Contains(c.Scope, "special") {
		t.Fatalf("administrator settings lost: %+v", c)
	}

	// An expired secret is replaced by a PUT, which may send it back.
	if _, err := f.st.UpdateClient(ctx, id, func(c *store.Client) error {
		c.ClientSecretExpiresAt = time.Now().Add(-time.Minute)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if g := f.call(http.MethodGet, path, tok2, nil); g.body["client_secret_expires_at"] == float64(0) {
		t.Fatalf("GET of an expired secret: %s", g.raw)
	}
	renewed := f.call(http.MethodPut, path, tok2, regWith(put, "client_secret", secret))
	if renewed.status != 200 || len(renewed.str("client_secret")) != 43 || renewed.body["client_secret_expires_at"] != float64(0) {
		t.Fatalf("PUT with an expired secret: %d %s", renewed.status, renewed.raw)
	}
	secret = renewed.str("client_secret")
	// The new secret changed the binding: the older tokens are revoked.
	regWantInvalidToken(t, f.call(http.MethodGet, path, tok2, nil))
	tok2 = renewed.str("registration_access_token")

	// Becoming public drops the secret, which revokes the older tokens.
	pub := f.call(http.MethodPut, path, tok2, regWith(put, "token_endpoint_auth_method", "none"))
	if pub.status != 200 || pub.str("client_secret") != "" {
		t.Fatalf("PUT to none: %d %s", pub.status, pub.raw)
	}
	if c, _ := f.st.GetClient(ctx, id); c.ClientSecretHash != "" {
		t.Fatal("a public client kept its secret")
	}
	regWantInvalidToken(t, f.call(http.MethodGet, path, tok2, nil))
	tok3 := pub.str("registration_access_token")
	// And back: a new secret is issued.
	conf := f.call(http.MethodPut, path, tok3, regWith(put, "token_endpoint_auth_method", "client_secret_basic"))
	newSecret := conf.str("client_secret")
	if conf.status != 200 || len(newSecret) != 43 || newSecret == secret {
		t.Fatalf("PUT back to a secret: %d %s", conf.status, conf.raw)
	}
	if c, _ := f.st.GetClient(ctx, id); !c.CheckSecret(newSecret, time.Now()) || c.ClientSecretHash == newSecret {
		t.Fatal("new secret not stored as a digest")
	}
	tok4 := conf.str("registration_access_token")
	if logs := f.log.String(); strings.Contains(logs, newSecret) || strings.Contains(logs, tok4) {
		t.Fatal("a secret or a token was logged")
	}

	// DELETE removes the client with its tokens and consents.
	user, err := f.st.CreateUser(ctx, store.User{UserName: "alice", GivenName: "Alice", FamilyName: "L", Emails: []string{"alice@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CreateToken(ctx, store.Token{AccessToken: "at-1", RefreshToken: "rt-1", ClientID: id, Subject: user.ID,
		IssueDate: time.Now(), Lifetime: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.PutConsent(ctx, store.Consent{Subject: user.ID, ClientID: id, Scope: []string{"openid"}, IssueDate: time.Now()}); err != nil {
		t.Fatal(err)
	}
	d := f.call(http.MethodDelete, path, tok4, nil)
	if d.status != http.StatusNoContent || len(d.raw) != 0 {
		t.Fatalf("DELETE: %d %s", d.status, d.raw)
	}
	if _, err := f.st.GetClient(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("client after DELETE: %v", err)
	}
	if ts, _ := f.st.ListTokens(ctx, store.TokenQuery{ClientID: id}); len(ts) != 0 {
		t.Fatalf("%d tokens left", len(ts))
	}
	if _, err := f.st.GetTokenByAccessToken(ctx, "at-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("token after DELETE: %v", err)
	}
	if _, err := f.st.GetConsent(ctx, user.ID, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("consent after DELETE: %v", err)
	}
	regWantInvalidToken(t, f.call(http.MethodGet, path, tok4, nil))
	regWantInvalidToken(t, f.call(http.MethodDelete, path, tok4, nil))
	// The other client is still there.
	if r := f.call(http.MethodGet, f.path(other), other.str("registration_access_token"), nil); r.status != 200 {
		t.Fatalf("other client: %d", r.status)
	}

	// Re-creating the same client_id does not revive the old tokens.
	named, _ := f.p.InitialAccessToken("reborn", 0)
	first := f.register(named, regWebClient)
	oldTok := first.str("registration_access_token")
	if r := f.call(http.MethodDelete, "/oauth/register/reborn", oldTok, nil); r.status != 204 {
		t.Fatalf("DELETE: %d", r.status)
	}
	// Same second, same (absent) secret: a public client would be the
	// worst case; here the new secret differs anyway.
	second := f.register(named, regWebClient)
	regWantInvalidToken(t, f.call(http.MethodGet, "/oauth/register/reborn", oldTok, nil))
	if r := f.call(http.MethodGet, "/oauth/register/reborn", second.str("registration_access_token"), nil); r.status != 200 {
		t.Fatalf("GET with the new token: %d", r.status)
	}
	logs := f.log.String()
	for _, want := range []string{"client updated", "client deleted", "security=true"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q", want)
		}
	}
}

func TestRegistrationPublicClientReborn(t *testing.T) {
	// A public client has no secret to bind to: its creation time does.
	f := newRegFixture(t, false)
	named, _ := f.p.InitialAccessToken("spa", 0)
	m := regWith(regWebClient, "token_endpoint_auth_method", "none")
	first := f.register(named, m)
	old := first.str("registration_access_token")
	if _, err := f.st.UpdateClient(context.Background(), "spa", func(c *store.Client) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if r := f.call(http.MethodGet, "/oauth/register/spa", old, nil); r.status != 200 {
		t.Fatalf("GET: %d %s", r.status, r.raw)
	}
	if err := f.st.DeleteClient(context.Background(), "spa"); err != nil {
		t.Fatal(err)
	}
	// Wait for the next second so that the new incarnation differs.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	f.register(named, m)
	regWantInvalidToken(t, f.call(http.MethodGet, "/oauth/register/spa", old, nil))
}

func TestRegistrationCORS(t *testing.T) {
	f := newRegFixture(t, true)
	preflight := func() string {
		req, _ := http.NewRequest(http.MethodOptions, f.srv.URL+"/oauth/register", nil)
		req.Header.Set("Origin", "https://spa.example.org")
		resp, err := f.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("Access-Control-Allow-Origin")
	}
	if got := preflight(); got != "" {
		t.Fatalf("origin allowed before any client: %q", got)
	}
	r := f.register("", regWith(regWebClient, "redirect_uris", []string{"https://spa.example.org/cb"}))
	if got := preflight(); got != "https://spa.example.org" {
		t.Fatalf("origin of the new client not allowed: %q", got)
	}
	if d := f.call(http.MethodDelete, f.path(r), r.str("registration_access_token"), nil); d.status != 204 {
		t.Fatalf("DELETE: %d", d.status)
	}
	if got := preflight(); got != "" {
		t.Fatalf("origin still allowed after deletion: %q", got)
	}
}

func regJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzRegistrationMetadata feeds arbitrary documents to the registration
// endpoint: it never panics, answers 201 or a 4xx JSON error (never a 5xx
// for bad input), and what it registers can be sent back by PUT unchanged.
// Its seeds are in testdata/fuzz/FuzzRegistrationMetadata: valid-* ones must
// register (TestRegistrationCorpus checks it), invalid-* ones must not.
func FuzzRegistrationMetadata(f *testing.F) {
	fx := newRegFixture(f, true)
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/oauth/register", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		fx.p.register(rec, req)
		var doc map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("%d, not a JSON object: %q", rec.Code, rec.Body.Bytes())
		}
		switch {
		case rec.Code == http.StatusCreated:
		case rec.Code >= 400 && rec.Code < 500:
			if e, _ := doc["error"].(string); e == "" || doc["error_description"] == "" {
				t.Fatalf("%d without an error code: %s", rec.Code, rec.Body.Bytes())
			}
			return
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
		}
		id, _ := doc["client_id"].(string)
		tok, _ := doc["registration_access_token"].(string)
		path := "/oauth/register/" + url.PathEscape(id)
		manage := func(method string, body []byte) *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			var rd io.Reader
			if body != nil {
				rd = bytes.NewReader(body)
			}
			req := httptest.NewRequest(method, path, rd)
			req.Header.Set("Authorization", "Bearer "+tok)
			fx.p.registration(rec, req)
			return rec
		}
		// The registration response, sent back, is accepted and changes
		// nothing.
		put := manage(http.MethodPut, rec.Body.Bytes())
		if put.Code != http.StatusOK {
			t.Fatalf("PUT of the registration response: %d %s\nregistered: %s", put.Code, put.Body.Bytes(), rec.Body.Bytes())
		}
		var again map[string]any
		_ = json.Unmarshal(put.Body.Bytes(), &again)
		tok, _ = again["registration_access_token"].(string)
		for _, m := range []map[string]any{doc, again} {
			delete(m, "registration_access_token")
			delete(m, "client_secret")
		}
		if a, b := regJSON(t, doc), regJSON(t, again); a != b {
			t.Fatalf("PUT changed the client:\n%s\n%s", a, b)
		}
		if d := manage(http.MethodDelete, nil); d.Code != http.StatusNoContent {
			t.Fatalf("DELETE: %d %s", d.Code, d.Body.Bytes())
		}
	})
}

// TestRegistrationCorpus keeps the committed fuzz seeds meaningful: the
// valid-* documents register, the invalid-* ones are refused.
func TestRegistrationCorpus(t *testing.T) {
	f := newRegFixture(t, true)
	dir := filepath.Join("testdata", "fuzz", "FuzzRegistrationMetadata")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lit, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "go test fuzz v1\n[]byte(")
		lit, ok2 := strings.CutSuffix(lit, ")")
		body, err := strconv.Unquote(lit)
		if !ok || !ok2 || err != nil {
			t.Fatalf("%s: not a fuzz corpus entry", e.Name())
		}
		r := f.call(http.MethodPost, "/oauth/register", "", body)
		switch {
		case strings.HasPrefix(e.Name(), "valid-") && r.status != http.StatusCreated,
			strings.HasPrefix(e.Name(), "invalid-") && (r.status < 400 || r.status >= 500):
			t.Errorf("%s: %d %s", e.Name(), r.status, r.raw)
		}
	}
}
