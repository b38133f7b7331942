package main

import (
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/ui/mail/mailtest"
)

// webAddr finds the address of the web interface in the server's log.
func webAddr(t *testing.T, logs *syncBuffer) string {
	t.Helper()
	re := regexp.MustCompile(`web interface listening" address=(\S+)`)
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no web address in the log:\n%s", logs.String())
	return ""
}

func TestRunServesWeb(t *testing.T) {
	te := newTestEnv(t)
	te.install()
	logs := te.startServer()
	addr := webAddr(t, logs)
	get := func(path, host string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		req.Host = host
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if r, body := get("/healthz", addr); r.StatusCode != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", r.StatusCode, body)
	}
	// SERVER_NAME is auth.example.org: other hosts are sent there.
	if r, _ := get("/login", addr); r.StatusCode != http.StatusPermanentRedirect || r.Header.Get("Location") != "https://auth.example.org/login" {
		t.Errorf("/login on another host: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	r, body := get("/login", "auth.example.org")
	if r.StatusCode != 200 || !strings.Contains(body, "Sign in") || r.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("/login: %d\n%s", r.StatusCode, body)
	}
	// The OpenID Connect provider is served with the installed key.
	r, body = get("/.well-known/openid-configuration", "auth.example.org")
	if r.StatusCode != 200 || !strings.Contains(body, `"issuer":"https://auth.example.org"`) || !strings.Contains(body, `"RS256"`) {
		t.Errorf("discovery: %d\n%s", r.StatusCode, body)
	}
	if r, body = get("/oauth/jwks.json", "auth.example.org"); r.StatusCode != 200 || !strings.Contains(body, `"kty":"RSA"`) {
		t.Errorf("jwks: %d\n%s", r.StatusCode, body)
	}
}

func TestCheckSMTP(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.WithAuth("canaille", "smtp-pass"))
	te := newTestEnv(t)
	te.install()
	base, _ := os.ReadFile(te.config)
	write := func(pw string) {
		text := string(base) + "[CANAILLE.SMTP]\nHOST = \"" + srv.Host() + "\"\nPORT = " + strconv.Itoa(srv.Port()) +
			"\nLOGIN = \"canaille\"\nPASSWORD = \"" + pw + "\"\nFROM_ADDR = \"noreply@example.org\"\n"
		if err := os.WriteFile(te.config, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("smtp-pass")
	if out := te.ok("", "check"); !strings.Contains(out, "SMTP server "+srv.Addr()+" answers, login accepted") {
		t.Errorf("check:\n%s", out)
	}
	write("wrong-secret")
	r := te.run("", "check")
	if r.status != 1 || !strings.Contains(r.stdout+r.stderr, "refused the login") || strings.Contains(r.stdout+r.stderr, "wrong-secret") {
		t.Errorf("check with a wrong SMTP password: %d\n%s%s", r.status, r.stdout, r.stderr)
	}
}
