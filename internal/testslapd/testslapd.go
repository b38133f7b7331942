// Package testslapd starts a throwaway OpenLDAP slapd for tests.
//
// Start builds a cn=config directory and an mdb database in t.TempDir()
// with slapadd (no file outside the temporary directory is written), starts
// /usr/sbin/slapd in the foreground on a free 127.0.0.1 port, waits until the
// administrator can bind, and stops it by its PID when the test ends, failed
// or not (t.Cleanup). On Linux the child also gets SIGKILL when the test
// process dies. Tests are skipped when slapd or its schemas are not
// installed (Debian: apt-get install slapd ldap-utils).
//
// The default server has the core, cosine, inetorgperson and nis schemas,
// the ppolicy overlay with a default policy entry, the memberof and refint
// overlays, and the entries ROOT_DN, ou=users, ou=groups and ou=policies.
// Options remove or add parts: WithoutMemberOf, WithoutRefint,
// WithoutPPolicy, WithSchema/WithSchemaFile (extra cn=config schema LDIF),
// WithConfigAccess (what the administrator may do on cn=config), WithData,
// WithTLS, WithLDAPI, WithPolicy, WithoutOUs.
package testslapd

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Paths of the OpenLDAP installation (Debian layout).
const (
	SlapdPath   = "/usr/sbin/slapd"
	SlapaddPath = "/usr/sbin/slapadd"
	SchemaDir   = "/etc/ldap/schema"
	ModuleDir   = "/usr/lib/ldap"
)

// Defaults of the directory.
const (
	DefaultSuffix   = "dc=example,dc=org"
	DefaultPassword = "admin-secret"
)

// ConfigAccess says what the administrator (the rootdn of the data
// database) may do on cn=config.
type ConfigAccess int

const (
	// ConfigNone: cn=config is not readable (a hosted directory).
	ConfigNone ConfigAccess = iota
	// ConfigRead: cn=config is readable, not writable.
	ConfigRead
	// ConfigManage: the administrator may add schemas to cn=schema,cn=config
	// and change overlays.
	ConfigManage
)

type options struct {
	suffix       string
	memberOf     bool
	refint       bool
	ppolicy      bool
	ous          bool
	config       ConfigAccess
	schemas      [][]byte
	data         [][]byte
	policy       []string
	tlsCert      string
	tlsKey       string
	tlsCA        string
	ldapi        bool
	extraModules []string
	auxPosix     bool
}

// Option changes the server built by Start.
type Option func(*options)

// WithSuffix sets ROOT_DN (default dc=example,dc=org); it must begin with a
// dc= RDN.
func WithSuffix(dn string) Option { return func(o *options) { o.suffix = dn } }

// WithoutMemberOf leaves out the memberof overlay: no memberOf attribute.
func WithoutMemberOf() Option { return func(o *options) { o.memberOf = false } }

// WithoutRefint leaves out the refint overlay.
func WithoutRefint() Option { return func(o *options) { o.refint = false } }

// WithoutPPolicy leaves out the ppolicy overlay and its policy entry; the
// pwd* attributes are then unknown to the server.
func WithoutPPolicy() Option { return func(o *options) { o.ppolicy = false } }

// WithoutOUs creates only the ROOT_DN entry (and the policy entry), for
// tests of tools that create ou=users and ou=groups themselves.
func WithoutOUs() Option { return func(o *options) { o.ous = false } }

// WithConfigAccess sets what the administrator may do on cn=config
// (default ConfigNone).
func WithConfigAccess(a ConfigAccess) Option { return func(o *options) { o.config = a } }

// WithSchema adds a schema in cn=config LDIF form (one or more entries
// "dn: cn=NAME,cn=schema,cn=config", objectClass olcSchemaConfig), loaded
// after the stock schemas.
func WithSchema(ldif []byte) Option {
	return func(o *options) { o.schemas = append(o.schemas, ldif) }
}

// WithSchemaFile is WithSchema with the content of a file, read by Start.
func WithSchemaFile(path string) Option {
	return func(o *options) {
		b, err := os.ReadFile(path)
		if err != nil {
			b = []byte("# testslapd: " + err.Error() + "\nunreadable schema file\n")
		}
		o.schemas = append(o.schemas, b)
	}
}

// WithData adds entries (LDIF content records) loaded with slapadd after the
// base entries. Parents must come before children.
func WithData(ldif []byte) Option { return func(o *options) { o.data = append(o.data, ldif) } }

// WithPolicy adds "attribute: value" lines to the default password policy
// entry cn=default,ou=policies,ROOT_DN, for example "pwdLockout: TRUE".
func WithPolicy(lines ...string) Option {
	return func(o *options) { o.policy = append(o.policy, lines...) }
}

// WithTLS gives slapd a certificate and key (PEM files) and a CA file:
// StartTLS is then offered on the ldap:// port and an ldaps:// port is
// opened too (Server.LDAPSURL).
func WithTLS(certFile, keyFile, caFile string) Option {
	return func(o *options) { o.tlsCert, o.tlsKey, o.tlsCA = certFile, keyFile, caFile }
}

// WithAuxiliaryPosixGroup loads the nis schema with posixGroup made
// AUXILIARY, as the rfc2307bis schema has it, so that a group may be
// groupOfNames and posixGroup at once (with a gidNumber).
func WithAuxiliaryPosixGroup() Option { return func(o *options) { o.auxPosix = true } }

// WithLDAPI opens a Unix socket listener too (Server.LDAPIURL).
func WithLDAPI() Option { return func(o *options) { o.ldapi = true } }

// WithModule loads one more module of ModuleDir (for example "otp"); its
// configuration, if any, goes in a WithSchema-like LDIF of the caller.
func WithModule(name string) Option {
	return func(o *options) { o.extraModules = append(o.extraModules, name) }
}

// Server is a running slapd.
type Server struct {
	// URL is ldap://127.0.0.1:PORT.
	URL string
	// LDAPSURL is ldaps://127.0.0.1:PORT2 with WithTLS, else "".
	LDAPSURL string
	// LDAPIURL is ldapi://ESCAPED-SOCKET-PATH with WithLDAPI, else "".
	LDAPIURL string
	// Port and LDAPSPort are the TCP ports.
	Port, LDAPSPort int
	// Suffix is ROOT_DN; AdminDN and AdminPassword the rootdn of its
	// database.
	Suffix, AdminDN, AdminPassword string
	// Dir holds slapd.d (cn=config), the database and the socket.
	Dir string
	// ConfigDir is the cn=config directory (slapd -F).
	ConfigDir string

	opts      options
	listen    string
	mu        sync.Mutex
	cmd       *exec.Cmd
	exited    chan struct{}
	log       *syncBuffer
	stopped   bool
	startedAt time.Time
}

// Start builds and starts a slapd. It calls t.Skip when OpenLDAP is not
// installed and t.Fatal on any other problem. The server is stopped when
// the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := options{suffix: DefaultSuffix, memberOf: true, refint: true, ppolicy: true, ous: true}
	for _, opt := range opts {
		opt(&o)
	}
	need := []string{SlapdPath, SlapaddPath, ModuleDir + "/back_mdb.so"}
	for _, s := range []string{"core", "cosine", "inetorgperson", "nis"} {
		need = append(need, filepath.Join(SchemaDir, s+".ldif"))
	}
	for _, m := range o.modules() {
		need = append(need, filepath.Join(ModuleDir, m+".so"))
	}
	for _, p := range need {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("testslapd: %s is missing, so this test needs OpenLDAP (apt-get install slapd ldap-utils)", p)
		}
	}
	dir := t.TempDir()
	s := &Server{Suffix: o.suffix, AdminDN: "cn=admin," + o.suffix, AdminPassword: DefaultPassword,
		Dir: dir, ConfigDir: filepath.Join(dir, "slapd.d"), opts: o, log: &syncBuffer{}}
	for _, d := range []string{s.ConfigDir, filepath.Join(dir, "db")} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.slapadd("-n", "0", s.configLDIF()); err != nil {
		t.Fatalf("testslapd: slapadd cn=config: %v", err)
	}
	data, err := s.dataLDIF()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.slapadd("-b", o.suffix, data); err != nil {
		t.Fatalf("testslapd: slapadd %s: %v", o.suffix, err)
	}
	if o.ldapi {
		sock := filepath.Join(dir, "ldapi")
		s.LDAPIURL = "ldapi://" + strings.ReplaceAll(url.QueryEscape(sock), "+", "%20")
	}
	t.Cleanup(func() { _ = s.Stop() })
	// A free port may be taken between the probe and slapd's bind: try a
	// few times.
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		s.Port, s.LDAPSPort = freePort(t), 0
		s.URL = fmt.Sprintf("ldap://127.0.0.1:%d", s.Port)
		urls := []string{s.URL + "/"}
		if o.tlsCert != "" {
			s.LDAPSPort = freePort(t)
			s.LDAPSURL = fmt.Sprintf("ldaps://127.0.0.1:%d", s.LDAPSPort)
			urls = append(urls, s.LDAPSURL+"/")
		}
		if s.LDAPIURL != "" {
			urls = append(urls, s.LDAPIURL+"/")
		}
		s.listen = strings.Join(urls, " ")
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("testslapd: %v\n%s", lastErr, s.Log())
	return nil
}

func (o *options) modules() []string {
	var m []string
	if o.ppolicy {
		m = append(m, "ppolicy")
	}
	if o.memberOf {
		m = append(m, "memberof")
	}
	if o.refint {
		m = append(m, "refint")
	}
	return append(m, o.extraModules...)
}

// start runs slapd with the current listeners and waits until it answers.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// -d 0 keeps slapd in the foreground, so that the child is the server.
	cmd := exec.Command(SlapdPath, "-F", s.ConfigDir, "-h", s.listen, "-d", "0")
	cmd.Stdout, cmd.Stderr = s.log, s.log
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start slapd: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.cmd, s.exited, s.stopped, s.startedAt = cmd, exited, false, time.Now()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := s.ping()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			s.stopped = true
			return fmt.Errorf("slapd exited at start: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			s.stopLocked()
			return fmt.Errorf("slapd did not answer on %s: %v", s.URL, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ping binds as the administrator.
func (s *Server) ping() error {
	c, err := ldap.DialURL(s.URL, ldap.DialWithDialer(&net.Dialer{Timeout: time.Second}))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetTimeout(2 * time.Second)
	return c.Bind(s.AdminDN, s.AdminPassword)
}

// PID returns the process ID of the running slapd, or 0 when stopped.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Stop stops slapd by its PID (SIGTERM, then SIGKILL after 10 s) and waits
// for it to exit. Stopping a stopped server does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked()
}

func (s *Server) stopLocked() error {
	if s.stopped || s.cmd == nil {
		return nil
	}
	s.stopped = true
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return nil
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("testslapd: slapd %d did not stop on SIGTERM and was killed", s.cmd.Process.Pid)
	}
}

// Restart stops slapd and starts it again on the same ports with the same
// configuration and data. Established connections are cut.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	var err error
	// The port was ours a moment ago; give the kernel a few tries.
	for i := 0; i < 20; i++ {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("testslapd: restart: %v\n%s", err, s.Log())
}

// Log returns what slapd printed (with -d 0: start-up errors only).
func (s *Server) Log() string { return s.log.String() }

// Dial returns a connection bound as the administrator, closed when the
// test ends.
func (s *Server) Dial(t testing.TB) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL(s.URL, ldap.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}))
	if err != nil {
		t.Fatalf("testslapd: dial %s: %v", s.URL, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetTimeout(10 * time.Second)
	if err := c.Bind(s.AdminDN, s.AdminPassword); err != nil {
		t.Fatalf("testslapd: bind as %s: %v", s.AdminDN, err)
	}
	return c
}

// TLSConfig is a client configuration trusting caPEM for server name
// 127.0.0.1 (a helper for tests of WithTLS servers).
func TLSConfig(caPEM []byte) *tls.Config {
	pool := x509CertPool(caPEM)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

func (s *Server) slapadd(selector, value string, ldif []byte) error {
	in, err := os.CreateTemp(s.Dir, "slapadd-*.ldif")
	if err != nil {
		return err
	}
	defer os.Remove(in.Name())
	if _, err := in.Write(ldif); err != nil {
		in.Close()
		return err
	}
	if err := in.Close(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, SlapaddPath, "-F", s.ConfigDir, selector, value, "-l", in.Name()).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v\n%s\n--- input ---\n%s", err, out, numbered(ldif))
	}
	return nil
}

func numbered(b []byte) string {
	var out strings.Builder
	for i, l := range strings.Split(string(b), "\n") {
		fmt.Fprintf(&out, "%4d %s\n", i+1, l)
	}
	return out.String()
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// syncBuffer is a bytes.Buffer safe for the writers of exec.Cmd and Log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b.Len() > 1<<20 {
		return len(p), nil
	}
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
