package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/canaille-go/canaille/oidc"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/store/bolt/bolttest"
	"github.com/canaille-go/canaille/ui"
)

const (
	testUser     = "alice"
	testPassword = "correct horse battery"
	testSecret   = "bench-test-secret-0123456789abcdef"
)

// testProvider is canaille's provider and web interface in this process,
// over a throwaway store with one user and one client whose redirect URI
// is redirectURI. Clients on 127.0.0.1 are trusted (no consent page);
// others see the consent page once.
func testProvider(t *testing.T, redirectURI string, opaque bool) *httptest.Server {
	t.Helper()
	st := bolttest.Open(t, nil)
	ctx := context.Background()
	u, err := st.CreateUser(ctx, store.User{UserName: testUser, FamilyName: "Liddell", Emails: []string{"alice@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetPassword(ctx, u.ID, testPassword); err != nil {
		t.Fatal(err)
	}
	c := store.Client{ID: "bench", ClientName: "Bench", RedirectURIs: []string{redirectURI},
		GrantTypes:    []string{"authorization_code", "refresh_token", "client_credentials"},
		ResponseTypes: []string{"code"}, Scope: []string{"openid", "profile", "email"},
		TokenEndpointAuthMethod: store.AuthMethodBasic}
	c.SetSecret(testSecret)
	if _, err := st.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	k, err := oidc.ParseKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), "ES256")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := oidc.NewKeySet(k)
	if err != nil {
		t.Fatal(err)
	}
	policy, err := acl.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	log := slog.New(slog.DiscardHandler)
	p, err := oidc.New(oidc.Config{Issuer: issuer, Keys: keys, GlobalSecret: []byte(strings.Repeat("s", 32)),
		RequireNonce: true, Policy: policy, Logger: log, OpaqueAccessTokens: opaque,
		TrustedDomains: []string{"127.0.0.1"}}, st)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(issuer)
	app, err := ui.New(ui.Config{Name: "Bench", BaseURL: base, CheckHost: true,
		SecretKey: []byte(strings.Repeat("k", 32)), Policy: policy, OIDC: p,
		PasswordPolicy: store.PasswordPolicy{MinLength: 8, MaxLength: 100}, Logger: log}, st)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = app
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// benchOIDC runs 'canaille-bench oidc' with args and returns the decoded
// --json result.
func benchOIDC(t *testing.T, args ...string) *result {
	t.Helper()
	var out, errOut bytes.Buffer
	if status := run(context.Background(), append([]string{"oidc", "--json"}, args...), &out, &errOut); status != 0 {
		t.Fatalf("canaille-bench oidc %s: status %d\n%s%s", strings.Join(args, " "), status, out.String(), errOut.String())
	}
	res := &result{}
	if err := json.Unmarshal(out.Bytes(), res); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	if res.Errors != 0 || res.Ops == 0 {
		t.Fatalf("%s: %d operations, %d errors: %v", res.Workload, res.Ops, res.Errors, res.FirstErrors)
	}
	return res
}

// TestOIDCWorkloads runs every workload briefly against canaille's
// provider, with JWT and opaque access tokens.
func TestOIDCWorkloads(t *testing.T) {
	for _, opaque := range []bool{false, true} {
		redirect := "http://127.0.0.1:9/callback" // nothing listens: the tool never follows it
		srv := testProvider(t, redirect, opaque)
		variant := map[bool]string{false: "jwt ES256", true: "opaque ES256"}[opaque]
		var results []*result
		for _, wl := range oidcWorkloads {
			t.Run(variant+"/"+wl.name, func(t *testing.T) {
				res := benchOIDC(t, "--issuer", srv.URL, "--workload", wl.name, "--client-id", "bench",
					"--client-secret", testSecret, "--user", testUser, "--password", testPassword,
					"--redirect-uri", redirect, "--concurrency", "2", "--warmup", "20ms", "--duration", "150ms",
					"--label", "canaille", "--variant", variant)
				if want := wl.name + " (" + variant + ")"; res.Workload != want {
					t.Errorf("workload %q, want %q", res.Workload, want)
				}
				results = append(results, res)
			})
		}
		var table bytes.Buffer
		writeTable(&table, results, "canaille")
		if n := strings.Count(table.String(), "| canaille |"); n != len(oidcWorkloads) {
			t.Errorf("table has %d rows, want %d:\n%s", n, len(oidcWorkloads), table.String())
		}
	}
}

// TestOIDCConsentAndCount signs in with a consent page (the client is not
// trusted) and runs a fixed number of operations.
func TestOIDCConsentAndCount(t *testing.T) {
	redirect := "http://localhost:9/callback"
	srv := testProvider(t, redirect, true)
	res := benchOIDC(t, "--issuer", srv.URL+"/", "--workload", "flow", "--client-id", "bench",
		"--client-secret", testSecret, "--user", testUser, "--password", testPassword,
		"--redirect-uri", redirect, "--concurrency", "3")
	if res.Label != srv.URL {
		t.Errorf("label %q, want the issuer %q", res.Label, srv.URL)
	}
	res = benchOIDC(t, "--issuer", srv.URL, "--workload", "token-cc", "--client-id", "bench",
		"--client-secret", testSecret, "--concurrency", "4", "--count", "50")
	if res.Ops != 50 {
		t.Errorf("--count 50 ran %d operations", res.Ops)
	}
}

func TestOIDCErrors(t *testing.T) {
	redirect := "http://127.0.0.1:9/callback"
	srv := testProvider(t, redirect, true)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--workload", "token-cc"}, "--issuer and --workload are required"},
		{[]string{"--issuer", srv.URL, "--workload", "nope"}, "unknown workload"},
		{[]string{"--issuer", srv.URL, "--workload", "flow", "--client-id", "bench", "--client-secret", testSecret}, "needs --user"},
		{[]string{"--issuer", srv.URL, "--workload", "token-cc", "--client-id", "bench", "--client-secret", "wrong"}, "invalid_client"},
		{[]string{"--issuer", srv.URL, "--workload", "flow", "--client-id", "bench", "--client-secret", testSecret,
			"--user", testUser, "--password", "wrong password", "--redirect-uri", redirect}, "signing in"},
		{[]string{"--issuer", srv.URL + "/elsewhere", "--workload", "jwks"}, "discovery"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		status := run(context.Background(), append([]string{"oidc", "--duration", "50ms", "--warmup", "0s"}, c.args...), &out, &errOut)
		if status == 0 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v: status %d, stderr %q; want an error with %q", c.args, status, errOut.String(), c.want)
		}
	}
}

// TestChooseForm reads sign-in and consent pages as canaille and
// oidc-provider render them.
func TestChooseForm(t *testing.T) {
	cases := []struct {
		name, page       string
		action, button   string
		wantLogin, wantP bool
	}{
		{"canaille login", `<form method="post" action="/login" novalidate>
<input type="hidden" name="csrf_token" value="a&amp;b"><input id="f-login" name="login" type="text" value="" required>
<input id="f-remember" type="checkbox" name="remember"><button type="submit">Continue</button></form>
<form method="post" action="/language"><input type="hidden" name="next" value="/login">
<select name="lang"><option value="en">English</option></select><button type="submit">Change</button></form>`,
			"/login", "", true, false},
		{"canaille password", `<form method="post" action="/auth/password"><input type="hidden" name="csrf_token" value="x">
<input name="password" type="password" required><button type="submit">Sign in</button></form>`, "/auth/password", "", false, true},
		{"canaille consent", `<form method="post" action="/oauth/consent"><input type="hidden" name="state" value="s">
<button type="submit" name="answer" value="accept">Accept</button><button type="submit" name="answer" value="deny">Deny</button>
<button type="submit" name="answer" value="switch">Use another account</button></form>`, "/oauth/consent", "accept", false, false},
		{"oidc-provider login", `<form autocomplete="off" action="/interaction/u1" method="post">
<input type="hidden" name="prompt" value="login"/><input required type="text" name="login" placeholder="Enter any login">
<input required type="password" name="password" placeholder="and password"><button type="submit" class="login login-submit">Sign-in</button></form>`,
			"/interaction/u1", "", true, true},
		{"oidc-provider consent", `<form autocomplete="off" action="/interaction/u2" method="post">
<input type="hidden" name="prompt" value="consent"/><button autofocus type="submit" class="login login-submit">Continue</button></form>
<a href="/interaction/u2/abort">[ Cancel ]</a>`, "/interaction/u2", "", false, false},
	}
	for _, c := range cases {
		f := chooseForm(parseForms(c.page))
		if f == nil {
			t.Errorf("%s: no form chosen", c.name)
			continue
		}
		if f.action != c.action || f.method != "post" {
			t.Errorf("%s: form %s %q, want post %q", c.name, f.method, f.action, c.action)
		}
		if f.button == nil {
			t.Errorf("%s: no button", c.name)
		} else if f.button.value != c.button {
			t.Errorf("%s: button value %q, want %q", c.name, f.button.value, c.button)
		}
		login, password := false, false
		for _, in := range f.inputs {
			login = login || (in.kind != "hidden" && isLoginName(in.name))
			password = password || in.kind == "password"
			if in.name == "csrf_token" && in.value == "a&amp;b" {
				t.Errorf("%s: attribute not unescaped", c.name)
			}
		}
		if login != c.wantLogin || password != c.wantP {
			t.Errorf("%s: login field %v, password field %v", c.name, login, password)
		}
	}
	if f := chooseForm(parseForms(`<form method="post" action="/logout"><button>Sign out</button></form>`)); f != nil {
		t.Errorf("a sign-out form was chosen")
	}
	if got := pageTitle([]byte("<html><title> Sign in &amp; go </title>")); got != "Sign in & go" {
		t.Errorf("pageTitle = %q", got)
	}
}
