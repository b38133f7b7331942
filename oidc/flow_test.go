package oidc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/canaille-go/canaille/oidc"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/store/bolt"
	"github.com/canaille-go/canaille/store/bolt/bolttest"
	"github.com/canaille-go/canaille/ui"
)

const alicePass = "correct horse battery"

// op is a running provider with its web interface over a bolt store,
// holding the user alice and two clients: "app" (confidential, code +
// refresh + client credentials) and "spa" (public, PKCE).
type op struct {
	t        testing.TB
	srv      *httptest.Server
	st       *bolt.Store
	p        *oidc.Provider
	alice    store.User
	secret   string
	rpURL    string // the relying party's callback server
	logoutCB string
}

type opOption func(*oidc.Config)

func newOP(t testing.TB, opts ...opOption) *op {
	t.Helper()
	st := bolttest.Open(t, nil)
	ctx := context.Background()
	o := &op{t: t, st: st, secret: "app-secret-" + store.NewSecret()}
	var err error
	o.alice, err = st.CreateUser(ctx, store.User{UserName: "alice", GivenName: "Alice", FamilyName: "Liddell",
		FormattedName: "Alice Liddell", Emails: []string{"alice@example.org"}, PhoneNumbers: []string{"+33 1 23 45 67 89"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetPassword(ctx, o.alice.ID, alicePass); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateGroup(ctx, store.Group{DisplayName: "staff", Members: []store.Ref{{ID: o.alice.ID}}}); err != nil {
		t.Fatal(err)
	}
	o.alice, _ = st.GetUser(ctx, o.alice.ID)
	// The relying party's callback only records what it receives.
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rp.Close)
	o.rpURL = rp.URL
	app := store.Client{ID: "app", ClientName: "The App", RedirectURIs: []string{rp.URL + "/callback"},
		PostLogoutRedirectURIs: []string{rp.URL + "/bye"},
		GrantTypes:             []string{"authorization_code", "refresh_token", "client_credentials"},
		ResponseTypes:          []string{"code"}, Scope: []string{"openid", "profile", "email", "phone", "groups", "address"},
		TokenEndpointAuthMethod: store.AuthMethodBasic}
	app.SetSecret(o.secret)
	if _, err := st.CreateClient(ctx, app); err != nil {
		t.Fatal(err)
	}
	other := store.Client{ID: "other", RedirectURIs: []string{rp.URL + "/other"},
		GrantTypes: []string{"client_credentials"}, Scope: []string{"profile"}, TokenEndpointAuthMethod: store.AuthMethodBasic}
	other.SetSecret("other-secret-" + o.secret)
	if _, err := st.CreateClient(ctx, other); err != nil {
		t.Fatal(err)
	}
	spa := store.Client{ID: "spa", RedirectURIs: []string{rp.URL + "/spa"}, GrantTypes: []string{"authorization_code", "refresh_token"},
		ResponseTypes: []string{"code"}, Scope: []string{"openid", "profile"}, TokenEndpointAuthMethod: store.AuthMethodNone}
	if _, err := st.CreateClient(ctx, spa); err != nil {
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
	o.srv = httptest.NewUnstartedServer(nil)
	issuer := "http://" + o.srv.Listener.Addr().String()
	policy, err := acl.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	cfg := oidc.Config{Issuer: issuer, Keys: keys, GlobalSecret: []byte(strings.Repeat("s", 32)),
		RequireNonce: true, Policy: policy, Logger: log}
	for _, f := range opts {
		f(&cfg)
	}
	o.p, err = oidc.New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(issuer)
	app2, err := ui.New(ui.Config{Name: "Example", BaseURL: base, CheckHost: true,
		SecretKey: []byte(strings.Repeat("k", 32)), Policy: policy, OIDC: o.p, EnableRegistration: cfg.EnableRegistration,
		PasswordPolicy: store.PasswordPolicy{MinLength: 8, MaxLength: 100}, Logger: log}, st)
	if err != nil {
		t.Fatal(err)
	}
	o.srv.Config.Handler = app2
	o.srv.Start()
	t.Cleanup(o.srv.Close)
	return o
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// browser is a user agent with cookies that follows redirects on the
// provider and stops at the first one leaving it.
type browser struct {
	t    testing.TB
	o    *op
	c    *http.Client
	last string // body of the last page
}

func (o *op) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: o.t, o: o, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// hidden returns the hidden fields of the last page.
func (b *browser) hidden() url.Values {
	v := url.Values{}
	page, _, _ := strings.Cut(b.last, "<footer") // not the language menu's form
	for _, m := range hiddenRe.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// do sends a request and follows redirects while they stay on the
// provider; it returns the last response (a page, or a redirect away).
func (b *browser) do(method, target string, form url.Values) *http.Response {
	b.t.Helper()
	for range 20 {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequest(method, target, body)
		if err != nil {
			b.t.Fatal(err)
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", b.o.srv.URL)
		}
		resp, err := b.c.Do(req)
		if err != nil {
			b.t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		b.last = string(raw)
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode >= 400 || loc == "" {
			return resp
		}
		u, err := resp.Request.URL.Parse(loc)
		if err != nil {
			b.t.Fatal(err)
		}
		if u.Host != resp.Request.URL.Host {
			return resp
		}
		method, target, form = http.MethodGet, u.String(), nil
	}
	b.t.Fatal("too many redirects")
	return nil
}

// login signs alice in through the two-step form, starting from the page
// the last response showed.
func (b *browser) login() *http.Response {
	b.t.Helper()
	if !strings.Contains(b.last, `name="login"`) {
		b.t.Fatalf("expected the sign-in page, got:\n%.500s", b.last)
	}
	f := b.hidden()
	f.Set("login", "alice")
	resp := b.do(http.MethodPost, b.o.srv.URL+"/login", f)
	if !strings.Contains(b.last, `name="password"`) {
		b.t.Fatalf("expected the password page (%d), got:\n%.500s", resp.StatusCode, b.last)
	}
	f = b.hidden()
	f.Set("password", alicePass)
	return b.do(http.MethodPost, b.o.srv.URL+"/auth/password", f)
}

// authorize runs the browser part of a code flow and returns the
// callback URL the provider redirected to.
func (b *browser) authorize(authURL string, consent bool) *url.URL {
	b.t.Helper()
	resp := b.do(http.MethodGet, authURL, nil)
	if strings.Contains(b.last, `name="login"`) {
		resp = b.login()
	}
	if strings.Contains(b.last, `action="/oauth/consent"`) {
		if !consent {
			b.t.Fatal("unexpected consent page")
		}
		f := b.hidden()
		f.Set("answer", "accept")
		resp = b.do(http.MethodPost, b.o.srv.URL+"/oauth/consent", f)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode/100 != 3 {
		b.t.Fatalf("no redirect to the client (%d):\n%.800s", resp.StatusCode, b.last)
	}
	return loc
}

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
