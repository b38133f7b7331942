package ui_test

import (
	"bytes"
	"context"
	"errors"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/store/bolt"
	"github.com/canaille-go/canaille/store/bolt/bolttest"
	"github.com/canaille-go/canaille/ui"
	"github.com/canaille-go/canaille/ui/mail"
	"github.com/canaille-go/canaille/ui/mail/mailtest"
)

const (
	adminPass = "admin password 123"
	alicePass = "correct horse battery"
	bobPass   = "bob's secret phrase"
)

// fixture is a running web interface over a bolt store holding admin
// (member of admins), alice and bob (members of staff), with an SMTP
// server capturing mail.
type fixture struct {
	t     *testing.T
	app   *ui.App
	srv   *httptest.Server
	st    *bolt.Store
	smtp  *mailtest.Server
	users map[string]store.User
	clock *clock
	logs  *syncBuffer
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type option func(*ui.Config)

// storeOption is an option that needs the fixture's store.
type storeOption func(*bolt.Store, *ui.Config)

func withoutMail() option { return func(c *ui.Config) { c.Mailer = nil } }

func newFixture(t *testing.T, opts ...any) *fixture {
	t.Helper()
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	st := bolttest.Open(t, clk.now)
	ctx := context.Background()
	f := &fixture{t: t, st: st, users: map[string]store.User{}, clock: clk, logs: &syncBuffer{}}
	for name, pw := range map[string]string{"admin": adminPass, "alice": alicePass, "bob": bobPass} {
		u, err := st.CreateUser(ctx, store.User{UserName: name, GivenName: strings.ToUpper(name[:1]) + name[1:],
			FamilyName: "Tester", Emails: []string{name + "@example.org"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetPassword(ctx, u.ID, pw); err != nil {
			t.Fatal(err)
		}
		f.users[name] = u
	}
	if _, err := st.CreateGroup(ctx, store.Group{DisplayName: "admins", Members: []store.Ref{{ID: f.users["admin"].ID}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateGroup(ctx, store.Group{DisplayName: "staff", Members: []store.Ref{{ID: f.users["alice"].ID}, {ID: f.users["bob"].ID}}}); err != nil {
		t.Fatal(err)
	}
	f.smtp = mailtest.NewServer(t)
	mailer, err := mail.New(mail.Config{Host: f.smtp.Host(), Port: f.smtp.Port(), From: "Canaille <noreply@example.org>", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	policy, err := acl.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + f.srv.Listener.Addr().String())
	lockout := store.DefaultLockout()
	cfg := ui.Config{
		Name: "Example", BaseURL: base, CheckHost: true, SecretKey: []byte(strings.Repeat("k", 32)),
		HideInvalidLogins: true, Lockout: &lockout, EnableRegistration: true, EnablePasswordRecovery: true,
		EmailConfirmation: true, PasswordPolicy: store.PasswordPolicy{MinLength: 8, MaxLength: 100},
		Policy: policy, Mailer: mailer, Now: clk.now, Version: "test",
		Logger: slog.New(slog.NewTextHandler(f.logs, nil)),
	}
	for _, o := range opts {
		switch o := o.(type) {
		case option:
			o(&cfg)
		case func(*ui.Config):
			o(&cfg)
		case storeOption:
			o(st, &cfg)
		default:
			t.Fatalf("unknown fixture option %T", o)
		}
	}
	f.app, err = ui.New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	f.srv.Config.Handler = f.app
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

// browser is a client with a cookie jar that remembers the CSRF token of
// the last page it read.
type browser struct {
	f    *fixture
	c    *http.Client
	csrf string
	// last is the body of the last response.
	last string
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{f: f, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// do sends a request and reads the answer.
func (b *browser) do(req *http.Request) *http.Response {
	b.f.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.f.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b.last = string(body)
	if m := csrfRe.FindStringSubmatch(b.last); m != nil {
		b.csrf = html.UnescapeString(m[1])
	}
	return resp
}

func (b *browser) get(path string) *http.Response {
	b.f.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.f.srv.URL+path, nil)
	return b.do(req)
}

// post sends a form with the current CSRF token (unless one is given).
func (b *browser) post(path string, v url.Values) *http.Response {
	b.f.t.Helper()
	if v == nil {
		v = url.Values{}
	}
	if _, ok := v["csrf_token"]; !ok {
		v.Set("csrf_token", b.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.f.srv.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// postMultipart sends a multipart form with one file.
func (b *browser) postMultipart(path string, v url.Values, field, filename string, data []byte) *http.Response {
	b.f.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("csrf_token", b.csrf)
	for k, vs := range v {
		for _, x := range vs {
			w.WriteField(k, x)
		}
	}
	if field != "" {
		fw, _ := w.CreateFormFile(field, filename)
		fw.Write(data)
	}
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, b.f.srv.URL+path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

// login signs in through both steps and checks it worked.
func (b *browser) login(user, pw string) {
	b.f.t.Helper()
	b.get("/login")
	if r := b.post("/login", url.Values{"login": {user}}); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/auth/password" {
		b.f.t.Fatalf("login step 1: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	b.get("/auth/password")
	if r := b.post("/auth/password", url.Values{"password": {pw}}); r.StatusCode != http.StatusSeeOther {
		b.f.t.Fatalf("login step 2: %d\n%s", r.StatusCode, b.last)
	}
}

func expect(t *testing.T, r *http.Response, status int, location string) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("status %d, want %d", r.StatusCode, status)
	}
	if location != "" && r.Header.Get("Location") != location {
		t.Fatalf("Location %q, want %q", r.Header.Get("Location"), location)
	}
}

func contains(t *testing.T, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Fatalf("page lacks %q:\n%s", p, body)
		}
	}
}

// failingMailer refuses every message, as an unreachable server would.
type failingMailer struct{}

func (failingMailer) Send(ctx context.Context, m mail.Message) error {
	return errors.New("sending mail through smtp.example.org:25: connection refused")
}
