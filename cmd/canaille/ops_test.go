package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/store"
)

func TestValidateOperations(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(c *Config)
		want   string
	}{
		{"MetricsListen", func(c *Config) { c.HTTP.MetricsListen = "10.0.0.5:9189" }, ""},
		{"MetricsListenBad", func(c *Config) { c.HTTP.MetricsListen = "9189" }, "CANAILLE_HTTP.METRICS_LISTEN: \"9189\" is not host:port"},
		{"MetricsListenSame", func(c *Config) { c.HTTP.MetricsListen = c.HTTP.Listen }, "CANAILLE_HTTP.METRICS_LISTEN: is LISTEN itself"},
		{"Backups", func(c *Config) { c.Bolt.BackupDir = "/var/backups/canaille" }, ""},
		{"BackupsRelative", func(c *Config) { c.Bolt.BackupDir = "backups" }, "CANAILLE_BOLT.BACKUP_DIR: \"backups\" is not an absolute path"},
		{"BackupsInterval", func(c *Config) { c.Bolt.BackupDir, c.Bolt.BackupInterval = "/b", 0 }, "CANAILLE_BOLT.BACKUP_INTERVAL: must be at least 1 second"},
		{"BackupsKeep", func(c *Config) { c.Bolt.BackupDir, c.Bolt.BackupKeep = "/b", 0 }, "CANAILLE_BOLT.BACKUP_KEEP: must be at least 1"},
		{"BackupsLDAP", func(c *Config) { c.Bolt.BackupDir, c.Canaille.Database = "/b", "ldap" }, "CANAILLE_BOLT.BACKUP_DIR: is for the embedded database"},
		{"BackupsOffKeepIgnored", func(c *Config) { c.Bolt.BackupKeep = 0 }, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.set = map[string]string{}
			tt.change(c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestLocalMetricsClient(t *testing.T) {
	for _, tt := range []struct {
		remote string
		header string
		want   bool
	}{
		{"127.0.0.1:5555", "", true},
		{"[::1]:5555", "", true},
		{"@", "", true}, // a unix socket
		{"10.0.0.8:5555", "", false},
		{"127.0.0.1:5555", "X-Forwarded-For", false},
		{"127.0.0.1:5555", "Forwarded", false},
		{"127.0.0.1:5555", "X-Real-Ip", false},
		{"@", "X-Forwarded-For", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		r.RemoteAddr = tt.remote
		if tt.header != "" {
			r.Header.Set(tt.header, "203.0.113.7")
		}
		if got := localMetricsClient(r); got != tt.want {
			t.Errorf("%s %s: %v, want %v", tt.remote, tt.header, got, tt.want)
		}
	}
}

// countingGroups is a store.Directory stand-in for the probes.
type probeStore struct {
	store.Directory
	err error
}

func (p probeStore) CountGroups(context.Context) (int, error) { return 1, p.err }

func TestReadyz(t *testing.T) {
	h := &health{st: probeStore{}}
	get := func(f http.HandlerFunc) (int, string) {
		w := httptest.NewRecorder()
		f(w, httptest.NewRequest(http.MethodGet, "/", nil))
		return w.Code, w.Body.String()
	}
	if code, body := get(h.readyz); code != 503 || !strings.Contains(body, "starting or shutting down") {
		t.Errorf("before start: %d %q", code, body)
	}
	if code, _ := get(h.healthz); code != 200 {
		t.Errorf("healthz before start: %d", code)
	}
	h.ready.Store(true)
	if code, body := get(h.readyz); code != 200 || body != "ready\n" {
		t.Errorf("ready: %d %q", code, body)
	}
	h.keys = &oidcKeys{}
	if code, body := get(h.readyz); code != 503 || !strings.Contains(body, "keys not loaded") {
		t.Errorf("without keys: %d %q", code, body)
	}
	h.keys = nil
	h.st = probeStore{err: errors.New("boom")}
	if code, body := get(h.readyz); code != 503 || !strings.Contains(body, "store unavailable") {
		t.Errorf("store down: %d %q", code, body)
	}
	if code, _ := get(h.healthz); code != 503 {
		t.Errorf("healthz with the store down: %d", code)
	}
}

// fakeBackupper writes a fixed payload, or fails.
type fakeBackupper struct{ fail bool }

func (f *fakeBackupper) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if f.fail {
		return 0, errors.New("disk on fire")
	}
	n, err := w.Write([]byte("database bytes"))
	return int64(n), err
}

func TestScheduledBackupsRotate(t *testing.T) {
	dir := t.TempDir()
	// Files that are not scheduled backups are never touched.
	for _, name := range []string{"notes.txt", "canaille-manual.db", "canaille-20200101T000000Z.db.keep"} {
		os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600)
	}
	now := time.Date(2026, 1, 31, 2, 0, 0, 0, time.UTC)
	fb := &fakeBackupper{}
	m := newMetrics("", true)
	var logs bytes.Buffer
	b := &scheduledBackups{st: fb, dir: dir, interval: time.Hour, keep: 3, metrics: m,
		log: slog.New(slog.NewTextHandler(&logs, nil)), now: func() time.Time { return now }}
	for range 5 {
		b.run()
		now = now.Add(time.Hour)
	}
	got, _ := filepath.Glob(filepath.Join(dir, "*"))
	var names []string
	for _, g := range got {
		names = append(names, filepath.Base(g))
	}
	want := []string{"canaille-20200101T000000Z.db.keep", "canaille-20260131T040000Z.db", "canaille-20260131T050000Z.db",
		"canaille-20260131T060000Z.db", "canaille-manual.db", "notes.txt"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("files:\n%s\nwant\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	fi, err := os.Stat(filepath.Join(dir, "canaille-20260131T060000Z.db"))
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != int64(len("database bytes")) {
		t.Errorf("backup file: %v %v", fi, err)
	}
	if !strings.Contains(logs.String(), "scheduled backup written") || !strings.Contains(logs.String(), "old backup removed") {
		t.Errorf("log:\n%s", logs.String())
	}
	if last := time.Unix(0, m.lastBackup.Load()).UTC(); !last.Equal(time.Date(2026, 1, 31, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("last success %s", last)
	}
	// A failure is logged and counted, leaves no file and keeps the last
	// success time.
	fb.fail = true
	b.run()
	if !strings.Contains(logs.String(), "scheduled backup failed") {
		t.Errorf("no failure logged:\n%s", logs.String())
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".*")); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	body := scrape(t, m)
	for _, want := range []string{`canaille_backups_total{result="success"} 5`, `canaille_backups_total{result="failure"} 1`,
		"canaille_backup_last_success_timestamp_seconds " + strconv.FormatFloat(float64(time.Date(2026, 1, 31, 6, 0, 0, 0, time.UTC).Unix()), 'g', -1, 64) + "\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// scrape reads the metrics of m in the text format.
func scrape(t *testing.T, m *opsMetrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return w.Body.String()
}

// logAddr finds an address logged as `MSG" address=ADDR`.
func logAddr(t *testing.T, logs *syncBuffer, msg string) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(msg) + `" address=(\S+)`)
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no %q in the log:\n%s", msg, logs.String())
	return ""
}

func TestRunOperations(t *testing.T) {
	te := newTestEnv(t)
	backups := filepath.Join(te.dir, "backups")
	text, _ := os.ReadFile(te.config)
	conf := strings.Replace(string(text), "[CANAILLE_ARGON2]",
		fmt.Sprintf("BACKUP_DIR = %q\nBACKUP_INTERVAL = 1\nBACKUP_KEEP = 2\n[CANAILLE_ARGON2]", backups), 1)
	conf += "METRICS_LISTEN = \"127.0.0.1:0\"\n"
	if err := os.WriteFile(te.config, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	te.install()
	logs := te.startServer()
	web, metricsAddr := webAddr(t, logs), logAddr(t, logs, "metrics listening")
	get := func(addr, path string, header ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		req.Host = "auth.example.org"
		if len(header) == 2 {
			req.Header.Set(header[0], header[1])
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(web, "/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz: %d %q", code, body)
	}
	get(web, "/login")
	get(web, "/profile/admin")
	get(web, "/no/such/page/4e7a1c")
	// LDAP: a good bind, a bad one, a search.
	c, err := ldap.DialURL("ldap://" + logAddr(t, logs, "LDAP listening"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind("uid=admin,ou=users,dc=example,dc=org", "admin-password-1"); err != nil {
		t.Fatal(err)
	}
	c.Search(ldap.NewSearchRequest("dc=example,dc=org", ldap.ScopeWholeSubtree, 0, 0, 0, false, "(uid=admin)", nil, nil))
	c.Bind("uid=admin,ou=users,dc=example,dc=org", "wrong-secret-value")

	// On the main listener, /metrics is for local clients that did not
	// come through the proxy.
	// The server counts an operation just after answering it.
	var code int
	var body string
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(20 * time.Millisecond) {
		code, body = get(web, "/metrics")
		if code != 200 || strings.Contains(body, `canaille_ldap_operations_total{operation="bind",result="49"} 1`) {
			break
		}
	}
	if code != 200 {
		t.Fatalf("/metrics: %d\n%s", code, body)
	}
	for _, want := range []string{
		`canaille_http_requests_total{method="GET",route="/readyz",status="2xx"} 1`,
		`canaille_http_requests_total{method="GET",route="/login",status="2xx"} 1`,
		`canaille_http_requests_total{method="GET",route="/profile/:user",status="3xx"} 1`,
		`canaille_http_requests_total{method="GET",route="unmatched",status="4xx"} 1`,
		`canaille_http_request_duration_seconds_bucket{route="/login",le="+Inf"} 1`,
		`canaille_ldap_operations_total{operation="bind",result="0"} 1`,
		`canaille_ldap_operations_total{operation="bind",result="49"} 1`,
		`canaille_ldap_operations_total{operation="search",result="0"} 1`,
		`canaille_ldap_operation_duration_seconds_count{operation="search"} 1`,
		`canaille_ldap_binds_total{outcome="success"} 1`,
		`canaille_ldap_binds_total{outcome="failure"} 1`,
		`canaille_web_sign_ins_total{outcome="success"} 0`,
		"canaille_store_size_bytes ",
		"canaille_backup_age_seconds ",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, secret := range []string{"admin-password-1", "wrong-secret-value", "4e7a1c", "uid=admin"} {
		if strings.Contains(body, secret) {
			t.Errorf("/metrics shows %q", secret)
		}
	}
	if code, body := get(web, "/metrics", "X-Forwarded-For", "203.0.113.7"); code != 404 || strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics through a proxy: %d", code)
	}
	// METRICS_LISTEN serves the metrics and probes to anybody, and nothing else.
	if code, body := get(metricsAddr, "/metrics", "X-Forwarded-For", "203.0.113.7"); code != 200 || !strings.Contains(body, "canaille_store_size_bytes") {
		t.Errorf("METRICS_LISTEN /metrics: %d", code)
	}
	if code, _ := get(metricsAddr, "/readyz"); code != 200 {
		t.Errorf("METRICS_LISTEN /readyz: %d", code)
	}
	if code, _ := get(metricsAddr, "/login"); code != 404 {
		t.Errorf("METRICS_LISTEN /login: %d", code)
	}

	// Scheduled backups: every second, two kept, each a database.
	var files []string
	for start := time.Now(); time.Since(start) < 15*time.Second; time.Sleep(100 * time.Millisecond) {
		if strings.Count(logs.String(), "scheduled backup written") >= 3 {
			files, _ = filepath.Glob(filepath.Join(backups, "canaille-*Z.db"))
			break
		}
	}
	if len(files) != 2 {
		t.Fatalf("backups: %v\n%s", files, logs.String())
	}
	cfg, _, err := LoadConfig(te.config, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if users, _, err := verifyDatabase(cfg, f); err != nil || users != 1 {
			t.Errorf("%s: %d users, %v", f, users, err)
		}
	}
	_, body = get(web, "/metrics")
	if m := regexp.MustCompile(`(?m)^canaille_backup_age_seconds (\S+)$`).FindStringSubmatch(body); m == nil || strings.HasPrefix(m[1], "-") {
		t.Errorf("backup age: %v", m)
	} else if age, err := strconv.ParseFloat(m[1], 64); err != nil || age > 5 {
		t.Errorf("backup age %q: the last backup should be at most a few seconds old", m[1])
	}
	if !regexp.MustCompile(`canaille_backups_total\{result="success"\} [3-9]`).MatchString(body) {
		t.Errorf("backup count:\n%s", grepLines(body, "canaille_backup"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestCompact(t *testing.T) {
	te := newTestEnv(t)
	te.install()
	st := te.openStore()
	ctx := context.Background()
	var ids []string
	for i := range 2000 {
		u, err := st.CreateUser(ctx, store.User{UserName: fmt.Sprintf("user%04d", i), FamilyName: "Tester",
			FormattedAddress: strings.Repeat("some words to take room ", 20)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	for _, id := range ids[:1990] {
		if err := st.DeleteUser(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	// While another process (here: this one) holds the file, compact
	// refuses and says who holds it.
	r := te.run("", "compact")
	if r.status != 1 || !strings.Contains(r.stderr, "locked by") {
		t.Errorf("compact on a locked file: %d\n%s", r.status, r.stderr)
	}
	st.Close()
	path := filepath.Join(te.dir, "data", "c.db")
	before, _ := os.Stat(path)
	out := te.ok("", "compact")
	after, _ := os.Stat(path)
	if !strings.Contains(out, "compacted "+path) || !strings.Contains(out, "11 users") {
		t.Errorf("compact: %s", out)
	}
	if after.Size()*2 > before.Size() {
		t.Errorf("the file went from %d to %d bytes", before.Size(), after.Size())
	}
	if after.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", after.Mode())
	}
	if tmp, _ := filepath.Glob(filepath.Join(te.dir, "data", ".*")); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	// The compacted database serves: users, passwords.
	te.ok("", "get", "user", "user1995")
	te.ok("", "get", "user", "admin")
	// With the server running, compact refuses.
	te.startServer()
	te.fails(1, []string{"a canaille server is running"}, "compact")
}
