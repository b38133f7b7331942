package oidc_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/canaille-go/canaille/oidc"
)

// rp is a relying party built on go-oidc and x/oauth2 only.
type rp struct {
	p    *gooidc.Provider
	conf oauth2.Config
	ver  *gooidc.IDTokenVerifier
}

func (o *op) rp(t *testing.T, clientID, secret string, scopes ...string) *rp {
	t.Helper()
	ctx := context.Background()
	p, err := gooidc.NewProvider(ctx, o.srv.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	redirect := o.rpURL + "/callback"
	if clientID == "spa" {
		redirect = o.rpURL + "/spa"
	}
	ep := p.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	if secret == "" {
		ep.AuthStyle = oauth2.AuthStyleInParams
	}
	return &rp{p: p, ver: p.Verifier(&gooidc.Config{ClientID: clientID, SupportedSigningAlgs: []string{"ES256"}}),
		conf: oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: ep,
			RedirectURL: redirect, Scopes: append([]string{gooidc.ScopeOpenID}, scopes...)}}
}

// codeFlow runs the authorization code flow with PKCE in b and returns
// the token response.
func (r *rp) codeFlow(t *testing.T, b *browser, consent bool) (*oauth2.Token, string) {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	nonce := "nonce-" + oauth2.GenerateVerifier()[:16]
	state := "state-" + oauth2.GenerateVerifier()[:16]
	cb := b.authorize(r.conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), gooidc.Nonce(nonce)), consent)
	q := cb.Query()
	if q.Get("error") != "" {
		t.Fatalf("authorization error: %s: %s", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != state {
		t.Fatalf("state %q, want %q", q.Get("state"), state)
	}
	if q.Get("iss") != b.o.srv.URL {
		t.Errorf("RFC 9207 iss = %q, want %q", q.Get("iss"), b.o.srv.URL)
	}
	tok, err := r.conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := r.ver.Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if idt.Nonce != nonce {
		t.Errorf("nonce %q, want %q", idt.Nonce, nonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	return tok, raw
}

func oauthError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

func TestCodeFlowWithGoOIDC(t *testing.T) {
	o := newOP(t)
	ctx := context.Background()
	r := o.rp(t, "app", o.secret, "profile", "email", "groups", "phone", "address")
	b := o.browser()
	tok, rawID := r.codeFlow(t, b, true)

	idt, _ := r.ver.Verify(ctx, rawID)
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Subject != "alice" || claims["email"] != "alice@example.org" || claims["name"] != "Alice Liddell" {
		t.Errorf("ID token claims: %v", claims)
	}
	if claims["auth_time"] == nil || claims["sid"] == nil {
		t.Errorf("auth_time and sid expected: %v", claims)
	}

	t.Run("userinfo", func(t *testing.T) {
		ui, err := r.p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatal(err)
		}
		var c map[string]any
		if err := ui.Claims(&c); err != nil {
			t.Fatal(err)
		}
		if ui.Subject != "alice" || ui.Email != "alice@example.org" || c["phone_number"] != "+33 1 23 45 67 89" {
			t.Errorf("userinfo: %v", c)
		}
		if g, _ := c["groups"].([]any); len(g) != 1 || g[0] != "staff" {
			t.Errorf("groups: %v", c["groups"])
		}
	})

	t.Run("jwt access token", func(t *testing.T) {
		// RFC 9068: a JWT of type at+jwt, verifiable with the JWKS.
		ks := gooidc.NewRemoteKeySet(ctx, o.srv.URL+"/oauth/jwks.json")
		payload, err := ks.VerifySignature(ctx, tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		var at map[string]any
		json.Unmarshal(payload, &at)
		if at["sub"] != "alice" || at["client_id"] != "app" || at["iss"] != o.srv.URL || at["jti"] == nil {
			t.Errorf("access token claims: %v", at)
		}
		hdr := strings.Split(tok.AccessToken, ".")[0]
		if h := decodeSegment(t, hdr); h["typ"] != "at+jwt" || h["kid"] == nil {
			t.Errorf("access token header: %v", h)
		}
	})

	t.Run("second authorization skips consent", func(t *testing.T) {
		r.codeFlow(t, b, false)
	})

	t.Run("refresh rotation and reuse", func(t *testing.T) {
		old := tok.RefreshToken
		if old == "" {
			t.Fatal("no refresh token issued")
		}
		nt, err := r.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: old}).Token()
		if err != nil {
			t.Fatal(err)
		}
		if nt.RefreshToken == "" || nt.RefreshToken == old {
			t.Fatalf("refresh token not rotated")
		}
		if active(t, o, "app", o.secret, nt.AccessToken) != true {
			t.Fatal("new access token inactive")
		}
		// Replaying the old refresh token revokes the whole family.
		_, err = r.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: old}).Token()
		if oauthError(err) != "invalid_grant" {
			t.Fatalf("reuse: %v", err)
		}
		if active(t, o, "app", o.secret, nt.AccessToken) {
			t.Error("the family's newest access token survived a replay")
		}
		_, err = r.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: nt.RefreshToken}).Token()
		if oauthError(err) != "invalid_grant" {
			t.Errorf("refresh after the family was revoked: %v", err)
		}
	})

	t.Run("concurrent refreshes of one token", func(t *testing.T) {
		// The rotation, the revocations and the new tokens of a refresh
		// are committed together (one store batch): of refreshes racing
		// with the same token, exactly one gets new tokens.
		tok2, _ := r.codeFlow(t, b, false)
		var mu sync.Mutex
		var won []*oauth2.Token
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				nt, err := r.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok2.RefreshToken}).Token()
				if err == nil {
					mu.Lock()
					won = append(won, nt)
					mu.Unlock()
				} else if e := oauthError(err); e != "invalid_grant" && e != "invalid_request" {
					t.Errorf("a losing refresh: %v", err)
				}
			})
		}
		wg.Wait()
		if len(won) != 1 {
			t.Fatalf("%d of 8 concurrent refreshes of one token succeeded, want 1", len(won))
		}
	})

	t.Run("introspection and revocation", func(t *testing.T) {
		tok2, _ := r.codeFlow(t, b, false)
		if !active(t, o, "app", o.secret, tok2.AccessToken) {
			t.Fatal("inactive before revocation")
		}
		if active(t, o, "other", "other-secret-"+o.secret, tok2.AccessToken) {
			t.Error("another client sees this client's token as active")
		}
		resp := postForm(t, o.srv.URL+"/oauth/revoke", "app", o.secret, url.Values{"token": {tok2.AccessToken}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		if active(t, o, "app", o.secret, tok2.AccessToken) {
			t.Error("active after revocation")
		}
		if _, err := r.p.UserInfo(ctx, oauth2.StaticTokenSource(tok2)); err == nil {
			t.Error("userinfo accepted a revoked token")
		}
	})

	t.Run("logout", func(t *testing.T) {
		v := url.Values{"id_token_hint": {rawID}, "post_logout_redirect_uri": {o.rpURL + "/bye"}, "state": {"st-123456"}}
		resp := b.do(http.MethodGet, o.srv.URL+"/oauth/end_session?"+v.Encode(), nil)
		loc := resp.Header.Get("Location")
		if !strings.HasPrefix(loc, o.rpURL+"/bye?") || !strings.Contains(loc, "state=st-123456") {
			t.Fatalf("logout redirect: %d %q", resp.StatusCode, loc)
		}
		// Signed out: a new authorization asks to sign in again.
		b.do(http.MethodGet, r.conf.AuthCodeURL("state-after-logout", gooidc.Nonce("nonce-after-logout")), nil)
		if !strings.Contains(b.last, `name="login"`) {
			t.Error("still signed in after logout")
		}
	})
}

func decodeSegment(t *testing.T, seg string) map[string]any {
	t.Helper()
	raw, err := base64URL(seg)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(raw, &m)
	return m
}

func postForm(t *testing.T, target, id, secret string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func active(t *testing.T, o *op, id, secret, token string) bool {
	t.Helper()
	resp := postForm(t, o.srv.URL+"/oauth/introspect", id, secret, url.Values{"token": {token}})
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("introspection: %d %v", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("introspection: %d %v", resp.StatusCode, out)
	}
	if out["active"] == true {
		if out["client_id"] == nil || out["exp"] == nil {
			t.Errorf("introspection lacks fields: %v", out)
		}
		return true
	}
	return false
}

// TestOpaqueTokens runs the flows with opaque access tokens, which carry
// their issue time in front ("T~" + fosite's token, see orderedTokens):
// go-oidc's userinfo, introspection, refresh, revocation and client
// credentials work with them, and a token with a changed prefix is not.
func TestOpaqueTokens(t *testing.T) {
	o := newOP(t, func(c *oidc.Config) { c.OpaqueAccessTokens = true })
	ctx := context.Background()
	r := o.rp(t, "app", o.secret, "profile", "email")
	b := o.browser()
	tok, _ := r.codeFlow(t, b, true)
	for name, v := range map[string]string{"access": tok.AccessToken, "refresh": tok.RefreshToken} {
		if i := strings.IndexByte(v, '~'); i != 10 || strings.Count(v, ".") != 1 {
			t.Errorf("%s token %q: want a 10-character time prefix and fosite's token", name, v)
		}
	}
	if _, err := r.p.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err != nil {
		t.Errorf("userinfo: %v", err)
	}
	if !active(t, o, "app", o.secret, tok.AccessToken) || !active(t, o, "app", o.secret, tok.RefreshToken) {
		t.Fatal("tokens inactive at introspection")
	}
	forged := "0000000000" + tok.AccessToken[10:]
	if active(t, o, "app", o.secret, forged) {
		t.Error("a token with another time prefix is active")
	}
	if active(t, o, "app", o.secret, tok.AccessToken[11:]) {
		t.Error("the token without its prefix is active")
	}
	nt, err := r.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if active(t, o, "app", o.secret, tok.AccessToken) || !active(t, o, "app", o.secret, nt.AccessToken) {
		t.Error("after a refresh, the old access token should be inactive and the new one active")
	}
	resp := postForm(t, o.srv.URL+"/oauth/revoke", "app", o.secret, url.Values{"token": {nt.AccessToken}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || active(t, o, "app", o.secret, nt.AccessToken) {
		t.Errorf("revocation: %d, still active: %v", resp.StatusCode, active(t, o, "app", o.secret, nt.AccessToken))
	}
	cc := clientcredentials.Config{ClientID: "app", ClientSecret: o.secret, TokenURL: o.srv.URL + "/oauth/token", Scopes: []string{"profile"}}
	ct, err := cc.Token(ctx)
	if err != nil || !active(t, o, "app", o.secret, ct.AccessToken) {
		t.Errorf("client credentials: %v", err)
	}
}

func TestClientCredentials(t *testing.T) {
	o := newOP(t)
	cc := clientcredentials.Config{ClientID: "app", ClientSecret: o.secret, TokenURL: o.srv.URL + "/oauth/token", Scopes: []string{"profile"}}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !active(t, o, "app", o.secret, tok.AccessToken) {
		t.Error("client credentials token inactive")
	}
	cc.ClientSecret = "wrong"
	_, err = cc.Token(context.Background())
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusUnauthorized || re.ErrorCode != "invalid_client" {
		t.Errorf("wrong secret: %v", err)
	}
}

func TestAuthorizationFailures(t *testing.T) {
	o := newOP(t)
	ctx := context.Background()
	r := o.rp(t, "app", o.secret, "profile")

	t.Run("unregistered redirect URI shows an error page", func(t *testing.T) {
		b := o.browser()
		c := r.conf
		c.RedirectURL = "https://evil.example/cb"
		resp := b.do(http.MethodGet, c.AuthCodeURL("state-12345678", gooidc.Nonce("nonce-12345678")), nil)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(b.last, "redirect") {
			t.Errorf("got %d %q:\n%.300s", resp.StatusCode, resp.Header.Get("Location"), b.last)
		}
	})

	t.Run("prompt=none without a session", func(t *testing.T) {
		b := o.browser()
		resp := b.do(http.MethodGet, r.conf.AuthCodeURL("state-12345678", gooidc.Nonce("nonce-12345678"),
			oauth2.SetAuthURLParam("prompt", "none")), nil)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if loc == nil || loc.Query().Get("error") != "login_required" || loc.Query().Get("state") != "state-12345678" {
			t.Errorf("got %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})

	t.Run("nonce required", func(t *testing.T) {
		b := o.browser()
		resp := b.do(http.MethodGet, r.conf.AuthCodeURL("state-12345678"), nil)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if loc == nil || loc.Query().Get("error") != "invalid_request" {
			t.Errorf("got %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})

	code := func(b *browser, verifier string) string {
		t.Helper()
		cb := b.authorize(r.conf.AuthCodeURL("state-12345678", oauth2.S256ChallengeOption(verifier), gooidc.Nonce("nonce-12345678")), true)
		return cb.Query().Get("code")
	}

	t.Run("PKCE mismatch", func(t *testing.T) {
		b := o.browser()
		c := code(b, oauth2.GenerateVerifier())
		_, err := r.conf.Exchange(ctx, c, oauth2.VerifierOption(oauth2.GenerateVerifier()))
		if oauthError(err) != "invalid_grant" {
			t.Errorf("got %v", err)
		}
	})

	t.Run("code reuse revokes what it issued", func(t *testing.T) {
		b := o.browser()
		v := oauth2.GenerateVerifier()
		c := code(b, v)
		tok, err := r.conf.Exchange(ctx, c, oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.conf.Exchange(ctx, c, oauth2.VerifierOption(v))
		if oauthError(err) != "invalid_grant" {
			t.Errorf("reuse: %v", err)
		}
		if active(t, o, "app", o.secret, tok.AccessToken) {
			t.Error("the token of a replayed code is still active")
		}
	})

	t.Run("tampered ID token", func(t *testing.T) {
		b := o.browser()
		_, raw := r.codeFlow(t, b, true)
		parts := strings.Split(raw, ".")
		claims := decodeSegment(t, parts[1])
		claims["sub"] = "admin"
		forged, _ := json.Marshal(claims)
		parts[1] = base64URLEncode(forged)
		if _, err := r.ver.Verify(ctx, strings.Join(parts, ".")); err == nil {
			t.Error("a forged ID token verified")
		}
	})

	t.Run("tampered access token", func(t *testing.T) {
		b := o.browser()
		tok, _ := r.codeFlow(t, b, false)
		parts := strings.Split(tok.AccessToken, ".")
		claims := decodeSegment(t, parts[1])
		claims["sub"] = "admin"
		forged, _ := json.Marshal(claims)
		parts[1] = base64URLEncode(forged)
		tok.AccessToken = strings.Join(parts, ".")
		if _, err := r.p.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
			t.Error("userinfo accepted a forged access token")
		}
	})
}

func TestExpiredCode(t *testing.T) {
	o := newOP(t, func(c *oidc.Config) { c.CodeLifetime = time.Second })
	r := o.rp(t, "app", o.secret)
	b := o.browser()
	v := oauth2.GenerateVerifier()
	cb := b.authorize(r.conf.AuthCodeURL("state-12345678", oauth2.S256ChallengeOption(v), gooidc.Nonce("nonce-12345678")), true)
	time.Sleep(2100 * time.Millisecond)
	_, err := r.conf.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(v))
	if oauthError(err) != "invalid_grant" {
		t.Errorf("expired code: %v", err)
	}
}

func TestPublicClientNeedsPKCE(t *testing.T) {
	o := newOP(t)
	r := o.rp(t, "spa", "")
	b := o.browser()
	resp := b.do(http.MethodGet, r.conf.AuthCodeURL("state-12345678", gooidc.Nonce("nonce-12345678")), nil)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc == nil || loc.Query().Get("error") != "invalid_request" {
		t.Errorf("without PKCE: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok, _ := r.codeFlow(t, b, true)
	if tok.AccessToken == "" {
		t.Error("no access token for the public client")
	}
}

func base64URL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func base64URLEncode(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// TestJWTAccessTokenKeys: a JWT access token keeps its form, the store
// finds it under its iat's time prefix and the digest of its signature
// (see jwtSignature), and a JWT access token stored before that prefix
// existed (under its signature alone) is still active and revocable.
func TestJWTAccessTokenKeys(t *testing.T) {
	o := newOP(t)
	ctx := context.Background()
	cc := clientcredentials.Config{ClientID: "app", ClientSecret: o.secret, TokenURL: o.srv.URL + "/oauth/token", Scopes: []string{"profile"}}
	tok, err := cc.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok.AccessToken, ".")
	if len(parts) != 3 {
		t.Fatalf("access token %q is not a JWT", tok.AccessToken)
	}
	key := jwtKeyOf(t, tok.AccessToken)
	stored, err := o.st.GetTokenByAccessToken(ctx, key)
	if err != nil {
		t.Fatalf("the store has no token under %q: %v", key, err)
	}
	if _, err := o.st.GetTokenByAccessToken(ctx, parts[2]); err == nil {
		t.Error("the token is also found under its bare signature")
	}

	// Store it again the way earlier versions did: under the bare
	// signature.
	if err := o.st.DeleteToken(ctx, stored.ID); err != nil {
		t.Fatal(err)
	}
	if active(t, o, "app", o.secret, tok.AccessToken) {
		t.Fatal("a deleted token is active")
	}
	old := stored
	old.ID, old.AccessToken = "", parts[2]
	if _, err := o.st.CreateToken(ctx, old); err != nil {
		t.Fatal(err)
	}
	if !active(t, o, "app", o.secret, tok.AccessToken) {
		t.Fatal("a JWT access token stored under its bare signature is inactive")
	}
	resp := postForm(t, o.srv.URL+"/oauth/revoke", "app", o.secret, url.Values{"token": {tok.AccessToken}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || active(t, o, "app", o.secret, tok.AccessToken) {
		t.Errorf("revocation of an older JWT access token: %d", resp.StatusCode)
	}
}

// jwtKeyOf is the store's lookup value of a JWT access token: the time
// code of its iat, ".", its signature.
func jwtKeyOf(t *testing.T, jwt string) string {
	t.Helper()
	parts := strings.Split(jwt, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		IAT int64 `json:"iat"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil || claims.IAT == 0 {
		t.Fatalf("payload %s: %v", raw, err)
	}
	ms := strconv.FormatInt(claims.IAT*1000, 32)
	return strings.Repeat("0", 10-len(ms)) + ms + "." + parts[2]
}
