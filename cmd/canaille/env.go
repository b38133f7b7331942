package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/canaille-go/canaille/ui/mail"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/bolt"
	ldapstore "github.com/canaille-go/canaille/store/ldap"
	"github.com/canaille-go/canaille/store/password"
)

// cmdEnv is what a command runs with: its arguments, streams,
// configuration and (opened on demand) store.
type cmdEnv struct {
	ctx        context.Context
	cmd        *command
	args       []string
	raw        []string // the command line after the command name, as given
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	environ    []string
	configPath string

	cfg *Config
	st  backend
	// srv is set when a running server executes the command for a
	// control-socket client: the store is the server's.
	srv *server
	// mailer replaces [CANAILLE.SMTP] when set: the demo prints emails.
	mailer mail.Sender
}

func (e *cmdEnv) close() {
	if e.st != nil && e.srv == nil {
		e.st.Close()
	}
}

// config loads the configuration once, printing its warnings.
func (e *cmdEnv) config() (*Config, error) {
	if e.cfg != nil {
		return e.cfg, nil
	}
	if e.srv != nil {
		e.cfg = e.srv.cfg
		return e.cfg, nil
	}
	cfg, warnings, err := LoadConfig(e.configPath, e.environ)
	for _, w := range warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("the configuration %s has problems:\n%w", displayPath(cfg.ConfigPath), err)
	}
	e.cfg = cfg
	return cfg, nil
}

func displayPath(p string) string {
	if p == "" {
		return "(defaults and environment)"
	}
	return p
}

// backend is a complete store: the embedded bbolt file (DATABASE =
// "bolt") or the upstream directory (DATABASE = "ldap"). Commands that
// need more (backup) type-assert it.
type backend interface {
	store.Store
	store.Importer
}

// upstreamBackend reports DATABASE = "ldap".
func upstreamBackend(cfg *Config) bool { return cfg.Canaille.Database == "ldap" }

// checkBackend refuses a backend this version cannot serve. Both are
// served; it stays as the one place to refuse one.
func checkBackend(cfg *Config) error {
	switch cfg.Canaille.Database {
	case "", "bolt", "ldap":
		return nil
	}
	return fmt.Errorf("CANAILLE.DATABASE = %q is not served by this version", cfg.Canaille.Database)
}

// ldapStoreConfig is the upstream backend's configuration of cfg.
func ldapStoreConfig(cfg *Config) ldapstore.Config {
	l := cfg.LDAP
	c := ldapstore.DefaultConfig()
	c.URI, c.RootDN, c.BindDN, c.BindPW = l.URI, l.RootDN, l.BindDN, l.BindPW
	c.Timeout = l.Timeout.Duration()
	c.UserBase, c.UserClass, c.UserRDN = l.UserBase, []string(l.UserClass), l.UserRDN
	c.GroupBase, c.GroupClass, c.GroupRDN, c.GroupNameAttribute = l.GroupBase, l.GroupClass, l.GroupRDN, l.GroupNameAttribute
	c.StartTLS, c.CAFile = l.StartTLS, l.CAFile
	if l.PoolSize > 0 {
		c.PoolSize = l.PoolSize
	}
	c.POSIX = cfg.POSIX()
	return c
}

// openUpstream opens the upstream directory of [CANAILLE_LDAP].
func openUpstream(ctx context.Context, cfg *Config) (backend, error) {
	d, err := ldapstore.Open(ctx, ldapStoreConfig(cfg))
	if err != nil {
		return nil, fmt.Errorf("CANAILLE.DATABASE = \"ldap\": %w (run 'canaille check' for details)", err)
	}
	return d, nil
}

// newHasher builds the password hasher of the configuration.
func newHasher(cfg *Config) (*password.Hasher, error) {
	return password.NewHasher(cfg.Argon2(), cfg.Hashing.MaxConcurrent)
}

// boltConfig is the store configuration of cfg.
func boltConfig(cfg *Config, h *password.Hasher, log *slog.Logger) bolt.Config {
	return bolt.Config{
		Path:          cfg.Bolt.Path,
		Timeout:       cfg.Bolt.Timeout.Duration(),
		POSIX:         cfg.POSIX(),
		Hasher:        h,
		UpgradeHashes: cfg.Canaille.PasswordHashUpgrade,
		Logger:        log,
	}
}

// store opens the database for a command run without a server. With
// mustExist, a missing file is an error that says to run install.
func (e *cmdEnv) store(mustExist bool) (backend, error) {
	if e.st != nil {
		return e.st, nil
	}
	if e.srv != nil {
		e.st = e.srv.store
		return e.st, nil
	}
	cfg, err := e.config()
	if err != nil {
		return nil, err
	}
	if err := checkBackend(cfg); err != nil {
		return nil, err
	}
	if upstreamBackend(cfg) {
		st, err := openUpstream(e.ctx, cfg)
		if err != nil {
			return nil, err
		}
		e.st = st
		return st, nil
	}
	if mustExist {
		if _, err := os.Stat(cfg.Bolt.Path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("the database %s does not exist: run 'canaille install' first (or check CANAILLE_BOLT.PATH)", cfg.Bolt.Path)
		}
	}
	h, err := newHasher(cfg)
	if err != nil {
		return nil, err
	}
	st, err := boltConfig(cfg, h, e.logger()).Open()
	if errors.Is(err, bolt.ErrInUse) {
		if e.cmd.data {
			return nil, fmt.Errorf("%w; a running canaille server would have answered on its control socket %s, so stop the process that holds the file and retry", err, cfg.Bolt.ControlSocketPath())
		}
		return nil, fmt.Errorf("%w; 'canaille %s' needs the database to itself: stop the server first (systemctl stop canaille) and retry", err, e.cmd.name)
	}
	if err != nil {
		return nil, err
	}
	e.st = st
	return st, nil
}

// logger writes warnings of the store to stderr.
func (e *cmdEnv) logger() *slog.Logger {
	if e.srv != nil {
		return e.srv.log
	}
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// dataStore gives a data command its store: done reports that a running
// server already ran the command through its control socket; otherwise
// the database is opened here.
func (e *cmdEnv) dataStore(files remoteFiles) (st backend, done bool, err error) {
	if done, err := e.viaServer(files); done {
		return nil, true, err
	}
	st, err = e.store(true)
	return st, false, err
}

// remoteFiles says which arguments of a command line name local files, so
// that a control-socket client can send their content (inputs) or receive
// it (outputs) instead of the server opening them.
type remoteFiles struct {
	inputFlags []string // flags whose value is an input file
	inputArg   bool     // the positional argument is an input file
	outputArg  bool     // the positional argument is an output file
}

// viaServer runs a data command through the control socket of a running
// server. It reports false when no server answers (the caller then opens
// the database itself). With DATABASE = "ldap" there is no control
// socket: several processes may use a directory at once, so data commands
// always open it themselves.
func (e *cmdEnv) viaServer(files remoteFiles) (bool, error) {
	if e.srv != nil {
		return false, nil
	}
	cfg, err := e.config()
	if err != nil {
		return true, err
	}
	if err := checkBackend(cfg); err != nil {
		return true, err
	}
	if upstreamBackend(cfg) {
		return false, nil
	}
	conn, err := dialControl(cfg.Bolt.ControlSocketPath())
	if err != nil || conn == nil {
		return err != nil, err
	}
	args, in, out, err := rewriteFileArgs(e.raw, files)
	if err != nil {
		conn.Close()
		return true, err
	}
	var stdin io.Reader = strings.NewReader("")
	switch in {
	case "":
	case "-":
		stdin = e.stdin
	default:
		f, err := os.Open(in)
		if err != nil {
			conn.Close()
			return true, err
		}
		defer f.Close()
		stdin = f
	}
	stdout := e.stdout
	var af *atomicFile
	if out != "" && out != "-" {
		if af, err = createAtomic(out); err != nil {
			conn.Close()
			return true, err
		}
		defer af.abort()
		stdout = af
	}
	status, err := runRemote(conn, append([]string{e.cmd.name}, args...), stdin, stdout, e.stderr)
	if err != nil {
		return true, err
	}
	if status != 0 {
		return true, exitError(status)
	}
	if af != nil {
		return true, af.commit()
	}
	return true, nil
}

// rewriteFileArgs replaces local file names by "-" and returns the input
// file to send and the output file to write.
func rewriteFileArgs(args []string, files remoteFiles) (out []string, in, outFile string, err error) {
	setIn := func(path string) error {
		if in != "" {
			return usagef("only one input file may be given with a running server")
		}
		in = path
		return nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && a != "-" && containsStr(files.inputFlags, name) {
			if !hasValue {
				if i+1 >= len(args) {
					return nil, "", "", usagef("flag --%s needs a file", name)
				}
				i++
				value = args[i]
			}
			if err := setIn(value); err != nil {
				return nil, "", "", err
			}
			out = append(out, "--"+name+"=-")
			continue
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			switch {
			case files.inputArg:
				if err := setIn(a); err != nil {
					return nil, "", "", err
				}
				a = "-"
			case files.outputArg:
				outFile, a = a, "-"
			}
		}
		out = append(out, a)
	}
	return out, in, outFile, nil
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// atomicFile is written beside its final name and renamed into place on
// commit, so that a reader never sees half a file.
type atomicFile struct {
	*os.File
	final string
	done  bool
}

func createAtomic(path string) (*atomicFile, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &atomicFile{File: f, final: path}, nil
}

func (a *atomicFile) commit() error {
	if err := a.Sync(); err != nil {
		a.abort()
		return err
	}
	if err := a.Close(); err != nil {
		a.abort()
		return err
	}
	if err := os.Rename(a.Name(), a.final); err != nil {
		a.abort()
		return err
	}
	a.done = true
	if d, err := os.Open(filepath.Dir(a.final)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func (a *atomicFile) abort() {
	if a.done {
		return
	}
	a.done = true
	a.Close()
	os.Remove(a.Name())
}
