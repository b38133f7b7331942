package ui_test

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/ui"
)

func TestTheme(t *testing.T) {
	theme := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(theme, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("static/css/canaille.css", "body { color: rebeccapurple }")
	write("static/img/brand.png", "PNG")
	write("locales/en.toml", `login_title = "Welcome back"`)
	write("templates/pages/about.html", `{{define "title"}}About us{{end}}{{define "content"}}<p id="themed">Themed about page of {{.Name}}</p>{{end}}`)
	write("templates/mail/reset.txt", "THEMED {{.Link}}")
	f := newFixture(t, func(c *ui.Config) { c.Theme = theme; c.Logo = "/static/img/brand.png" })
	b := f.browser()
	b.get("/login")
	contains(t, b.last, "Welcome back", `src="/static/img/brand.png"`)
	b.get("/about")
	contains(t, b.last, `id="themed"`, "Themed about page of Example")
	expect(t, b.get("/static/css/canaille.css"), http.StatusOK, "")
	contains(t, b.last, "rebeccapurple")
	expect(t, b.get("/static/vendor/pico/pico.min.css"), http.StatusOK, "")
	b.get("/reset")
	b.post("/reset", url.Values{"login": {"bob"}})
	m := f.smtp.Wait(t, 1, 5*time.Second)[0]
	if !strings.HasPrefix(m.Text, "THEMED http://") || m.HTML == "" {
		t.Fatalf("themed mail: %q", m.Text)
	}
	// A broken theme template is an error at start, naming the file.
	write("templates/pages/about.html", `{{define "content"}}{{.Nope`)
	_, err := ui.New(ui.Config{SecretKey: []byte(strings.Repeat("k", 32)), BaseURL: &url.URL{Scheme: "http", Host: "x"}, Theme: theme}, f.st)
	if err == nil || !strings.Contains(err.Error(), "about.html") {
		t.Fatalf("broken theme: %v", err)
	}
}

func TestHTTPSCookiesAndProxies(t *testing.T) {
	f := newFixture(t, func(c *ui.Config) {
		c.BaseURL = &url.URL{Scheme: "https", Host: c.BaseURL.Host}
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	b := f.browser()
	r := b.get("/login")
	if r.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS under https")
	}
	var csrf *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == "__Host-canaille_csrf" {
			csrf = c
		}
	}
	if csrf == nil || !csrf.Secure || !csrf.HttpOnly || csrf.Path != "/" {
		t.Fatalf("CSRF cookie under https: %+v", r.Cookies())
	}
	// The Go client does not send Secure cookies over http: log in by
	// hand, through a proxy that says the client is 203.0.113.9.
	tok := b.csrf
	post := func(path string, v url.Values, cookies ...*http.Cookie) *http.Response {
		v.Set("csrf_token", tok)
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+path, strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.9")
		req.Header.Set("X-Forwarded-Proto", "https")
		req.AddCookie(csrf)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	r = post("/login", url.Values{"login": {"alice"}})
	expect(t, r, http.StatusSeeOther, "/auth/password")
	var login *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == "__Host-canaille_login" {
			login = c
		}
	}
	r = post("/auth/password", url.Values{"password": {alicePass}}, login)
	expect(t, r, http.StatusSeeOther, "/profile/alice")
	sessions, _ := f.st.ListSessions(context.Background(), f.users["alice"].ID)
	if len(sessions) != 1 || sessions[0].RemoteAddr != "203.0.113.9" {
		t.Fatalf("session address: %+v", sessions)
	}
	if !strings.Contains(f.logs.String(), "client_ip=203.0.113.9") {
		t.Error("the log does not show the client address")
	}
}

func TestUntrustedProxyHeadersIgnored(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.get("/login")
	b.post("/login", url.Values{"login": {"alice"}})
	b.get("/auth/password")
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/auth/password", strings.NewReader(url.Values{"password": {alicePass}, "csrf_token": {b.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	b.do(req)
	sessions, _ := f.st.ListSessions(context.Background(), f.users["alice"].ID)
	if len(sessions) != 1 || sessions[0].RemoteAddr != "127.0.0.1" {
		t.Fatalf("session address: %+v", sessions)
	}
}

func TestRequestSizeLimit(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.get("/login")
	big := url.Values{"login": {strings.Repeat("a", 300<<10)}}
	r := b.post("/login", big)
	if r.StatusCode < 400 || r.StatusCode >= 500 {
		t.Fatalf("a 300 KiB form got %d", r.StatusCode)
	}
}
