package ui_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/canaille-go/canaille/oidc"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/bolt"
	"github.com/canaille-go/canaille/ui"
)

// withOIDC serves an OpenID Connect provider with a client "app" whose
// redirect URIs point at rpURL (an untrusted host: consent is asked).
func withOIDC(t *testing.T, rpURL, secret string) storeOption {
	return func(st *bolt.Store, c *ui.Config) {
		cl := store.Client{ID: "app", ClientName: "Wiki", ClientURI: rpURL,
			RedirectURIs: []string{rpURL + "/callback"}, PostLogoutRedirectURIs: []string{rpURL + "/bye"},
			GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
			Scope: []string{"openid", "profile", "email", "groups"}, TokenEndpointAuthMethod: store.AuthMethodBasic}
		cl.SetSecret(secret)
		if _, err := st.CreateClient(context.Background(), cl); err != nil {
			t.Fatal(err)
		}
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		der, _ := x509.MarshalPKCS8PrivateKey(key)
		k, err := oidc.ParseKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), "ES256")
		if err != nil {
			t.Fatal(err)
		}
		keys, _ := oidc.NewKeySet(k)
		p, err := oidc.New(oidc.Config{Issuer: strings.TrimSuffix(c.BaseURL.String(), "/"), Keys: keys,
			GlobalSecret: []byte(strings.Repeat("g", 32)), RequireNonce: true, Policy: c.Policy, Logger: c.Logger}, st)
		if err != nil {
			t.Fatal(err)
		}
		c.OIDC = p
	}
}

// TestE2EOIDC signs in to a relying party through the consent page and
// signs out from it, in Chromium: the redirects that follow our forms must
// get through the page's Content-Security-Policy.
func TestE2EOIDC(t *testing.T) {
	b := startBrowser(t)
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>Wiki</title><h1>Wiki %s</h1><p id=q>%s</p>",
			html.EscapeString(r.URL.Path), html.EscapeString(r.URL.RawQuery))
	}))
	t.Cleanup(rp.Close)
	secret := "wiki-secret-" + store.NewSecret()
	f := newFixture(t, withOIDC(t, rp.URL, secret))
	tb := b.newTab(t, f)
	conf := oauth2.Config{ClientID: "app", ClientSecret: secret, RedirectURL: rp.URL + "/callback",
		Scopes:   []string{"openid", "profile", "email"},
		Endpoint: oauth2.Endpoint{AuthURL: f.srv.URL + "/oauth/authorize", TokenURL: f.srv.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
	verifier := oauth2.GenerateVerifier()
	tb.open(conf.AuthCodeURL("state-e2e-1234", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "nonce-e2e-1234")))
	tb.waitFor("the sign-in page", `location.pathname === "/login"`, 5*time.Second)
	tb.fill("User name or email address", "alice")
	tb.clickButton("Continue")
	tb.fill("Password", alicePass)
	tb.clickButton("Sign in")
	tb.waitFor("the consent page", `location.pathname === "/oauth/authorize"`, 5*time.Second)
	tb.sees("Sign in to Wiki", "Your profile", "Your email address", "Allow", "Deny", "Use another account")
	tb.screenshot("oidc-consent")
	tb.clickButton("Allow")
	tb.waitFor("the relying party's callback", `location.pathname === "/callback"`, 10*time.Second)
	q, err := url.ParseQuery(tb.text("#q"))
	if err != nil || q.Get("code") == "" || q.Get("state") != "state-e2e-1234" || q.Get("iss") != f.srv.URL {
		t.Fatalf("callback query %q", tb.text("#q"))
	}
	tok, err := conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	idToken, _ := tok.Extra("id_token").(string)

	tb.open("/consent")
	tb.sees("Applications", "Wiki", "Your profile", "Revoke")
	tb.screenshot("oidc-consents")

	// Logout without a hint asks for confirmation, then goes back to the
	// client; with the hint it signs out at once.
	tb.open("/oauth/end_session?client_id=app&post_logout_redirect_uri=" + url.QueryEscape(rp.URL+"/bye") + "&state=bye-state")
	tb.sees("Sign out?", "Wiki asks to sign you out")
	tb.screenshot("oidc-logout")
	tb.clickButton("Stay signed in")
	tb.expectPath("/profile/alice")
	tb.open("/oauth/end_session?id_token_hint=" + url.QueryEscape(idToken) + "&post_logout_redirect_uri=" + url.QueryEscape(rp.URL+"/bye") + "&state=bye-state")
	tb.waitFor("the relying party's logout page", `location.pathname === "/bye"`, 10*time.Second)
	if q := tb.text("#q"); q != "state=bye-state" {
		t.Errorf("post-logout query %q", q)
	}
	tb.open("/profile/alice")
	tb.waitFor("the sign-in page after logout", `location.pathname === "/login"`, 5*time.Second)
}
