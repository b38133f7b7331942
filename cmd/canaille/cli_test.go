package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/bolt"
)

// testEnv is a configuration in a temporary directory with cheap argon2id
// parameters, and helpers to run commands against it in-process.
type testEnv struct {
	t      testing.TB
	dir    string
	config string
}

const testConfigText = `SERVER_NAME = "auth.example.org"
SECRET_KEY = "0123456789abcdefghijklmnopqrstuvwxyz"
[CANAILLE_BOLT]
PATH = %q
[CANAILLE_ARGON2]
TIME = 1
MEMORY = 64
PARALLELISM = 1
[CANAILLE_OIDC.JWT]
PRIVATE_KEY = %q
PUBLIC_KEY = %q
[CANAILLE_LDAP_SERVER]
LISTEN = "127.0.0.1:0"
[CANAILLE_HTTP]
LISTEN = "127.0.0.1:0"
`

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	// Unix socket paths are limited to 108 bytes: keep the directory short.
	dir, err := os.MkdirTemp("", "cnl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg := filepath.Join(dir, "config.toml")
	text := fmt.Sprintf(testConfigText, filepath.Join(dir, "data", "c.db"),
		filepath.Join(dir, "private.pem"), filepath.Join(dir, "public.pem"))
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return &testEnv{t: t, dir: dir, config: cfg}
}

// syncBuffer is a bytes.Buffer safe for a server goroutine and a reader.
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

type result struct {
	stdout, stderr string
	status         int
}

// run runs one command line with the given standard input.
func (te *testEnv) run(stdin string, args ...string) result {
	te.t.Helper()
	var out, errOut syncBuffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Environ: []string{"CONFIG=" + te.config}}
	status := m.Run(context.Background(), args)
	return result{out.String(), errOut.String(), status}
}

// ok runs a command that must succeed and returns its standard output.
func (te *testEnv) ok(stdin string, args ...string) string {
	te.t.Helper()
	r := te.run(stdin, args...)
	if r.status != 0 {
		te.t.Fatalf("canaille %s: status %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.status, r.stdout, r.stderr)
	}
	return r.stdout
}

// fails runs a command that must fail with status and mention every want
// in its standard error.
func (te *testEnv) fails(status int, wants []string, args ...string) result {
	te.t.Helper()
	r := te.run("", args...)
	if r.status != status {
		te.t.Fatalf("canaille %s: status %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.status, status, r.stdout, r.stderr)
	}
	for _, w := range wants {
		if !strings.Contains(r.stderr, w) {
			te.t.Errorf("canaille %s: stderr %q does not mention %q", strings.Join(args, " "), r.stderr, w)
		}
	}
	return r
}

func (te *testEnv) install() {
	te.t.Helper()
	te.ok("admin-password-1\n", "install", "--admin-user", "admin", "--admin-password-file", "-")
}

// openStore opens the database directly (no server running).
func (te *testEnv) openStore() *bolt.Store {
	te.t.Helper()
	cfg, _, err := LoadConfig(te.config, nil)
	if err != nil {
		te.t.Fatal(err)
	}
	h, err := newHasher(cfg)
	if err != nil {
		te.t.Fatal(err)
	}
	st, err := boltConfig(cfg, h, nil).Open()
	if err != nil {
		te.t.Fatal(err)
	}
	te.t.Cleanup(func() { st.Close() })
	return st
}

func decodeJSON[T any](t testing.TB, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, s)
	}
	return v
}

func TestInstall(t *testing.T) {
	te := newTestEnv(t)
	// Without SECRET_KEY, install writes one at the top of the file.
	text, _ := os.ReadFile(te.config)
	os.WriteFile(te.config, bytes.Replace(text, []byte(`SECRET_KEY = "0123456789abcdefghijklmnopqrstuvwxyz"`), nil, 1), 0o600)
	out := te.ok("admin-password-1\n", "install", "--admin-user", "admin", "--admin-password-file", "-")
	for _, want := range []string{"database", "signing key pair written", "SECRET_KEY generated", `group "admins" created`, `user "admin" created`} {
		if !strings.Contains(out, want) {
			t.Errorf("install output lacks %q:\n%s", want, out)
		}
	}
	st, err := os.Stat(filepath.Join(te.dir, "private.pem"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("private key: %v, mode %v", err, st.Mode())
	}
	cfg, _, err := LoadConfig(te.config, nil)
	if err != nil || cfg.RequireSecretKey() != nil {
		t.Fatalf("config after install: %v %v", err, cfg.RequireSecretKey())
	}
	// Idempotent.
	out = te.ok("", "install")
	if !strings.Contains(out, "present") || strings.Contains(out, "created") {
		t.Errorf("second install: %s", out)
	}
	if out := te.ok("", "check"); !strings.Contains(out, "no problem found") {
		t.Errorf("check after install: %s", out)
	}
	s := te.openStore()
	u, err := s.Authenticate(context.Background(), "admin", "admin-password-1")
	if err != nil || len(u.Groups) != 1 || u.Groups[0].Name != "admins" {
		t.Fatalf("admin: %+v %v", u, err)
	}
}

func TestInstallRefusesWeakAdminPassword(t *testing.T) {
	te := newTestEnv(t)
	r := te.run("admin\n", "install", "--admin-user", "admin", "--admin-password-file", "-")
	if r.status != 1 || !strings.Contains(r.stderr, "password") {
		t.Fatalf("status %d stderr %q", r.status, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(te.dir, "data", "c.db")); err == nil {
		t.Error("install wrote the database before refusing the password")
	}
}

func TestObjectCommands(t *testing.T) {
	te := newTestEnv(t)
	te.install()
	te.ok("", "create", "group", "--display-name", "staff", "--description", "Everybody")
	out := te.ok("wonderland-42\n", "create", "user", "--user-name", "alice", "--emails", "alice@example.org",
		"--emails", "a.liddell@example.org", "--given-name", "Alice", "--family-name", "Liddell",
		"--groups", "staff", "--password-file", "-", "--uid-number", "5000")
	u := decodeJSON[map[string]any](t, out)
	if u["user_name"] != "alice" || u["uid_number"] != 5000.0 || fmt.Sprint(u["groups"]) != "[staff]" {
		t.Errorf("created user: %v", u)
	}
	if strings.Contains(out, "ARGON2") || strings.Contains(out, "password_hash") {
		t.Error("a password hash was printed")
	}
	// get by name and by filter
	if got := decodeJSON[map[string]any](t, te.ok("", "get", "user", "ALICE")); got["id"] != u["id"] {
		t.Errorf("get user ALICE: %v", got)
	}
	list := decodeJSON[[]map[string]any](t, te.ok("", "get", "user", "--groups", "staff"))
	if len(list) != 1 || list[0]["user_name"] != "alice" {
		t.Errorf("get user --groups staff: %v", list)
	}
	if list := decodeJSON[[]map[string]any](t, te.ok("", "get", "user", "--emails", "nobody@example.org")); len(list) != 0 {
		t.Errorf("filter matched %v", list)
	}
	// set: rename, replace emails, move groups, lock
	te.ok("", "create", "group", "--display-name", "ops")
	out = te.ok("", "set", "user", "alice", "--user-name", "alice2", "--emails", "alice@example.com", "--groups", "ops", "--lock-date", "now")
	u = decodeJSON[map[string]any](t, out)
	if u["user_name"] != "alice2" || fmt.Sprint(u["emails"]) != "[alice@example.com]" || fmt.Sprint(u["groups"]) != "[ops]" || u["lock_date"] == nil {
		t.Errorf("set user: %v", u)
	}
	if g := decodeJSON[map[string]any](t, te.ok("", "get", "group", "staff")); g["members"] != nil {
		t.Errorf("staff still has members: %v", g)
	}
	te.ok("", "set", "user", "alice2", "--lock-date", "")
	// password policy
	te.fails(1, []string{"password", "at least 8"}, "set", "user", "alice2", "--password", "short")
	te.fails(1, []string{"password", "user name"}, "set", "user", "alice2", "--password", "alice2alice2")
	// group members and owners by name
	out = te.ok("", "set", "group", "staff", "--members", "alice2", "--members", "admin", "--owners", "admin")
	g := decodeJSON[map[string]any](t, out)
	if fmt.Sprint(g["members"]) != "[admin alice2]" || fmt.Sprint(g["owners"]) != "[admin]" {
		t.Errorf("group: %v", g)
	}
	// clients: the secret is printed once
	out = te.ok("", "create", "client", "--client-id", "app", "--client-name", "App", "--redirect-uris", "https://app.example.org/cb")
	c := decodeJSON[map[string]any](t, out)
	secret, _ := c["client_secret"].(string)
	if len(secret) < 40 || fmt.Sprint(c["grant_types"]) != "[authorization_code refresh_token]" || c["token_endpoint_auth_method"] != "client_secret_basic" {
		t.Errorf("client: %v", c)
	}
	if out := te.ok("", "get", "client", "app"); strings.Contains(out, secret) || strings.Contains(out, "client_secret\"") {
		t.Errorf("get client shows the secret: %s", out)
	}
	out = te.ok("", "set", "client", "app", "--renew-secret")
	if renewed := decodeJSON[map[string]any](t, out)["client_secret"]; renewed == nil || renewed == secret {
		t.Errorf("renewed secret: %v", renewed)
	}
	// permissions: admin is in admins (built-in ADMIN), alice2 is not
	rights := decodeJSON[map[string]any](t, te.ok("", "get", "user", "admin", "--permissions"))
	if fmt.Sprint(rights["sections"]) != "[ADMIN DEFAULT]" || !strings.Contains(fmt.Sprint(rights["permissions"]), "manage_users") {
		t.Errorf("admin's rights: %v", rights)
	}
	rights = decodeJSON[map[string]any](t, te.ok("", "get", "user", "alice2", "--permissions"))
	if fmt.Sprint(rights["sections"]) != "[DEFAULT]" || strings.Contains(fmt.Sprint(rights["permissions"]), "manage_users") ||
		!strings.Contains(fmt.Sprint(rights["write"]), "emails") {
		t.Errorf("alice2's rights: %v", rights)
	}
	// deletes
	te.ok("", "delete", "client", "app")
	te.ok("", "delete", "user", "alice2")
	te.ok("", "delete", "group", "ops")
	te.fails(1, []string{`no user named "alice2"`}, "get", "user", "alice2")
}

func TestCommandErrors(t *testing.T) {
	te := newTestEnv(t)
	te.fails(1, []string{"does not exist", "canaille install"}, "get", "user")
	te.install()
	te.fails(2, []string{"unknown command"}, "frobnicate")
	te.fails(2, []string{"unknown kind of object", "user, group or client"}, "get", "users")
	te.fails(2, []string{"flag provided but not defined", "-colour"}, "create", "user", "--user-name", "x", "--colour", "red")
	te.fails(2, []string{"--title", "given 2 times"}, "create", "user", "--user-name", "x", "--title", "a", "--title", "b")
	te.fails(1, []string{"emails[0]", "email address"}, "create", "user", "--user-name", "bob", "--emails", "not-an-email")
	te.fails(1, []string{"user_name"}, "create", "user", "--user-name", "bad name")
	te.ok("", "create", "user", "--user-name", "bob")
	te.fails(1, []string{"already exists"}, "create", "user", "--user-name", "BOB")
	te.fails(2, []string{"--uid-number", `"x" is not a number`}, "create", "user", "--user-name", "carol", "--uid-number", "x")
	te.fails(2, []string{"missing argument"}, "set", "user")
	// A typo in the configuration names the key, the file and a suggestion.
	text, _ := os.ReadFile(te.config)
	os.WriteFile(te.config, append(text, []byte("[CANAILLE]\nNAMEE = \"x\"\n")...), 0o600)
	te.fails(1, []string{"NAMEE", te.config, "NAME"}, "get", "user")
}

func TestHelp(t *testing.T) {
	te := newTestEnv(t)
	if out := te.ok("", "help"); !strings.Contains(out, "Commands:") {
		t.Errorf("help: %s", out)
	}
	for _, c := range commands {
		out := te.ok("", c.name, "--help")
		if !strings.Contains(out, "Usage: canaille "+c.name) {
			t.Errorf("%s --help: %s", c.name, out)
		}
		if out2 := te.ok("", "help", c.name); out2 != out {
			t.Errorf("help %s differs from %s --help", c.name, c.name)
		}
	}
	if out := te.ok("", "create", "user", "--help"); !strings.Contains(out, "-given-name") || !strings.Contains(out, "-password-file") {
		t.Errorf("create user --help lacks attribute flags: %s", out)
	}
	if r := te.run(""); r.status != 2 {
		t.Errorf("no command: status %d", r.status)
	}
}

// startServer runs `canaille run` in the background until the test ends.
func (te *testEnv) startServer() *syncBuffer {
	te.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan int)
	go func() {
		m := &Main{Stdin: strings.NewReader(""), Stdout: logs, Stderr: logs, Environ: []string{"CONFIG=" + te.config}}
		done <- m.Run(ctx, []string{"run"})
	}()
	te.t.Cleanup(func() {
		cancel()
		select {
		case status := <-done:
			if status != 0 {
				te.t.Errorf("run exited with %d:\n%s", status, logs.String())
			}
		case <-time.After(20 * time.Second):
			te.t.Error("run did not stop after its context was cancelled")
		}
	})
	sock := filepath.Join(te.dir, "data", "c.db.sock")
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		if conn, err := net.Dial("unix", sock); err == nil {
			conn.Close()
			return logs
		}
	}
	te.t.Fatalf("the server did not open its control socket:\n%s", logs.String())
	return nil
}

func TestCommandsThroughRunningServer(t *testing.T) {
	te := newTestEnv(t)
	te.install()
	logs := te.startServer()
	sock := filepath.Join(te.dir, "data", "c.db.sock")
	if st, err := os.Stat(sock); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("control socket: %v %v", err, st.Mode())
	}
	// The server holds the file: these go through the control socket.
	te.ok("bob-password-1\n", "create", "user", "--user-name", "bob", "--emails", "bob@example.org", "--password-file", "-")
	if u := decodeJSON[map[string]any](t, te.ok("", "get", "user", "bob")); u["user_name"] != "bob" {
		t.Errorf("get through the server: %v", u)
	}
	pwFile := filepath.Join(te.dir, "pw")
	os.WriteFile(pwFile, []byte("carol-password-1\n"), 0o600)
	te.ok("", "create", "user", "--user-name", "carol", "--password-file", pwFile)
	backup := filepath.Join(te.dir, "backup.db")
	te.ok("", "backup", backup)
	export := filepath.Join(te.dir, "export.ldif")
	te.ok("", "export", export)
	if data, _ := os.ReadFile(export); !bytes.Contains(data, []byte("uid=carol,ou=users,dc=example,dc=org")) {
		t.Errorf("export through the server lacks carol:\n%s", data)
	}
	te.ok("", "clean")
	te.ok("", "delete", "user", "carol")
	te.fails(1, []string{"server is running", "stop it first"}, "restore", backup)
	te.fails(1, []string{"in use", "stop the server first"}, "install")
	if !strings.Contains(logs.String(), `msg="control command" command=create`) {
		t.Errorf("the server did not log the commands:\n%s", logs.String())
	}
	// The backup taken while serving is a complete database.
	cfg, _, _ := LoadConfig(te.config, nil)
	users, _, err := verifyDatabase(cfg, backup)
	if err != nil || users != 3 {
		t.Errorf("backup: %d users, %v", users, err)
	}
	// The passwords set through the socket work.
	if _, err := os.Stat(sock); err != nil {
		t.Fatal(err)
	}
}

// emptyInstall installs without the admins group, so that a directory
// with its own "admins" group can be imported.
func (te *testEnv) emptyInstall() {
	te.t.Helper()
	te.ok("", "install")
	te.ok("", "delete", "group", "admins")
}

func TestImportExportRoundTrip(t *testing.T) {
	te := newTestEnv(t)
	te.install()
	// The installation's own admins group makes the sample's conflict.
	te.fails(1, []string{"line 110", `group "admins" already exists`}, "import", "../../store/ldif/testdata/slapcat-sample.ldif")
	te.ok("", "delete", "user", "admin")
	te.ok("", "delete", "group", "admins")
	sample := "../../store/ldif/testdata/slapcat-sample.ldif"
	out := te.ok("", "import", sample)
	if !strings.Contains(out, "imported 3 users and 3 groups") || !strings.Contains(out, "skipped 3 other entries") {
		t.Errorf("import: %s", out)
	}
	// The imported hashes ({SSHA}, {CRYPT}$6$) work, and are upgraded.
	func() {
		s := te.openStore()
		defer s.Close()
		ctx := context.Background()
		for name, pw := range map[string]string{"alice": "alice-secret", "bob": "bob-secret", "elodie": "élodie-secret"} {
			u, err := s.Authenticate(ctx, name, pw)
			if err != nil {
				t.Errorf("authenticate %s: %v", name, err)
				continue
			}
			if !strings.HasPrefix(u.PasswordHash, "{ARGON2}") {
				t.Errorf("%s's hash was not upgraded", name)
			}
		}
	}()
	export := filepath.Join(te.dir, "export.ldif")
	te.ok("", "export", export)
	// A second installation imports the export and holds the same objects.
	te2 := newTestEnv(t)
	te2.emptyInstall()
	out = te2.ok("", "import", export)
	if !strings.Contains(out, "imported 3 users and 3 groups") {
		t.Errorf("re-import: %s", out)
	}
	for _, name := range []string{"alice", "bob", "elodie"} {
		a := decodeJSON[map[string]any](t, te.ok("", "get", "user", name))
		b := decodeJSON[map[string]any](t, te2.ok("", "get", "user", name))
		for _, k := range []string{"id", "user_name", "emails", "uid_number", "gid_number", "formatted_name", "groups"} {
			if fmt.Sprint(a[k]) != fmt.Sprint(b[k]) {
				t.Errorf("%s.%s: %v before export, %v after import", name, k, a[k], b[k])
			}
		}
	}
}

func TestImportAllOrNothing(t *testing.T) {
	te := newTestEnv(t)
	te.install()
	good := `dn: uid=u1,ou=users,dc=example,dc=org
objectClass: inetOrgPerson
uid: u1
cn: U One
sn: One

`
	cases := map[string]struct {
		ldif  string
		wants []string
	}{
		"duplicate in file": {good + strings.ReplaceAll(good, "cn: U One", "cn: Again"), []string{"line 7", `"u1" already appears at line 1`}},
		"existing user":     {strings.ReplaceAll(good, "u1", "admin"), []string{"line 1", `"admin" already exists`}},
		"unknown scheme":    {good + strings.ReplaceAll(strings.ReplaceAll(good, "u1", "u2"), "sn: One", "sn: One\nuserPassword: {FOO}abc"), []string{"line 7", "userPassword"}},
		"broken line":       {good + "dn: uid=u3,ou=users,dc=example,dc=org\nobjectClass inetOrgPerson\n", []string{"line 8"}},
		"bad email":         {strings.ReplaceAll(good, "sn: One", "sn: One\nmail: not-an-address"), []string{"line 1", "emails[0]"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(te.dir, "bad.ldif")
			os.WriteFile(path, []byte(c.ldif), 0o600)
			r := te.fails(1, c.wants, "import", path)
			if strings.Contains(r.stderr, "abc") {
				t.Errorf("the error quotes the password value: %s", r.stderr)
			}
			if list := decodeJSON[[]map[string]any](t, te.ok("", "get", "user")); len(list) != 1 {
				t.Errorf("after a refused import: %d users", len(list))
			}
		})
	}
}

func TestBackupRestore(t *testing.T) {
	te := newTestEnv(t)
	te.install()
	te.ok("", "create", "user", "--user-name", "before")
	backup := filepath.Join(te.dir, "b.db")
	te.ok("", "backup", backup)
	te.ok("", "create", "user", "--user-name", "after")
	// Garbage and truncated files are refused and change nothing.
	garbage := filepath.Join(te.dir, "garbage.db")
	os.WriteFile(garbage, bytes.Repeat([]byte("not a database "), 2000), 0o600)
	te.fails(1, []string{"cannot be restored", "not a canaille database"}, "restore", garbage)
	data, _ := os.ReadFile(backup)
	truncated := filepath.Join(te.dir, "truncated.db")
	os.WriteFile(truncated, data[:len(data)/2], 0o600)
	te.fails(1, []string{"cannot be restored"}, "restore", truncated)
	if list := decodeJSON[[]map[string]any](t, te.ok("", "get", "user")); len(list) != 3 {
		t.Fatalf("refused restores changed the database: %d users", len(list))
	}
	out := te.ok("", "restore", backup)
	if !strings.Contains(out, "2 users") || !strings.Contains(out, "before-restore") {
		t.Errorf("restore: %s", out)
	}
	te.fails(1, []string{`no user named "after"`}, "get", "user", "after")
	te.ok("", "get", "user", "before")
	matches, _ := filepath.Glob(filepath.Join(te.dir, "data", "c.db.before-restore-*"))
	if len(matches) != 1 {
		t.Errorf("previous database kept as %v", matches)
	}
}

func TestDemo(t *testing.T) {
	dir, err := os.MkdirTemp("", "cnd")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan int)
	env := []string{"CANAILLE_ARGON2__MEMORY=64", "CANAILLE_ARGON2__TIME=1", "CANAILLE_ARGON2__PARALLELISM=1", "CANAILLE_LDAP_SERVER__LISTEN=127.0.0.1:0", "CANAILLE_HTTP__LISTEN=127.0.0.1:0"}
	go func() {
		m := &Main{Stdin: strings.NewReader(""), Stdout: out, Stderr: io.Discard, Environ: env}
		done <- m.Run(ctx, []string{"demo", "--data", dir})
	}()
	for start := time.Now(); !strings.Contains(out.String(), "Press Ctrl+C"); time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 20*time.Second {
			t.Fatalf("demo did not start:\n%s", out.String())
		}
	}
	banner := out.String()
	for _, want := range []string{"administrator   admin / ", "client_id demo", filepath.Join(dir, "config.toml")} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	te := &testEnv{t: t, dir: dir, config: filepath.Join(dir, "config.toml")}
	list := decodeJSON[[]map[string]any](t, te.ok("", "get", "user"))
	if len(list) != 2 {
		t.Errorf("demo users: %v", list)
	}
	cancel()
	if status := <-done; status != 0 {
		t.Errorf("demo exited with %d", status)
	}
	// The demo's passwords work.
	pw := strings.Fields(banner[strings.Index(banner, "admin / ")+len("admin / "):])[0]
	s := te.openStore()
	if _, err := s.Authenticate(context.Background(), "admin", pw); err != nil {
		t.Errorf("demo admin password: %v", err)
	}
	var _ store.Directory = s
}

func TestControlSocketRefusesBadInput(t *testing.T) {
	te := newTestEnv(t)
	te.install()
	te.startServer()
	sock := filepath.Join(te.dir, "data", "c.db.sock")
	for name, payload := range map[string][]byte{
		"garbage":     []byte("GET / HTTP/1.1\r\n\r\n"),
		"huge frame":  {frameRequest, 0xff, 0xff, 0xff, 0xff},
		"bad json":    append([]byte{frameRequest, 0, 0, 0, 3}, "{x}"...),
		"wrong frame": {frameStdout, 0, 0, 0, 0},
	} {
		conn, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write(payload)
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := conn.Read(make([]byte, 64)); err == nil {
			t.Errorf("%s: the server answered %d bytes instead of closing", name, n)
		}
		conn.Close()
	}
	// Only data commands run in the server.
	conn, err := dialControl(sock)
	if err != nil || conn == nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	status, err := runRemote(conn, []string{"install"}, nil, io.Discard, &stderr)
	if err != nil || status != 2 || !strings.Contains(stderr.String(), "only the data commands") {
		t.Errorf("install through the socket: status %d, %v, %q", status, err, stderr.String())
	}
	// The server still serves.
	te.ok("", "get", "user", "admin")
}
