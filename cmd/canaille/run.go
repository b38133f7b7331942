package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/canaille-go/canaille/oidc"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/canaille-go/canaille/ldapserver"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/ui"
)

var cmdRun = &command{
	name:    "run",
	summary: "serve until SIGTERM or SIGINT",
	help: `Opens the database and serves until it receives SIGTERM or SIGINT, then
shuts down gracefully. While it runs, the data commands (create, get, set,
delete, clean, import, export, backup) reach it through its control socket
(CANAILLE_BOLT.CONTROL_SOCKET). Expired codes, tokens, sessions and tickets
are cleaned every 10 minutes, and so are the audit log's events older than
400 days.

It serves the web interface on CANAILLE_HTTP.LISTEN (sign-in, profiles,
password recovery, registration; /healthz and /readyz for probes; /metrics
in the Prometheus format for local clients, or on
CANAILLE_HTTP.METRICS_LISTEN) and LDAP (CANAILLE_LDAP_SERVER: plain LDAP
with StartTLS, and LDAPS when a certificate is configured). With
CANAILLE_BOLT.BACKUP_DIR set it writes a backup there every
BACKUP_INTERVAL and keeps the newest BACKUP_KEEP.`,
	run: runRun,
}

// component is one long-running part of the server that run supervises.
type component interface {
	Name() string
	// Start begins serving and returns once the component is ready; its
	// goroutines report a later failure on the server's fail channel.
	Start(ctx context.Context) error
	// Shutdown stops serving, waiting for work in progress until ctx ends.
	Shutdown(ctx context.Context) error
}

// server is a running canaille: configuration, store and components.
type server struct {
	cfg        *Config
	store      backend
	log        *slog.Logger
	components []component
	fail       chan error
	ldap       *ldapserver.Server // nil when disabled
	web        *httpServer        // nil when disabled
	metricsWeb *httpServer        // CANAILLE_HTTP.METRICS_LISTEN; nil when unset
	health     *health
	metrics    *opsMetrics
}

// cleanInterval is how often run deletes expired objects.
const cleanInterval = 10 * time.Minute

// shutdownTimeout bounds a graceful shutdown.
const shutdownTimeout = 15 * time.Second

func runRun(e *cmdEnv) error {
	if _, err := e.parse(e.flags(), 0, 0); err != nil {
		return err
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	if err := checkBackend(cfg); err != nil {
		return err
	}
	if err := cfg.RequireSecretKey(); err != nil {
		return err
	}
	tuneGC(e.ctx)
	return serve(e, cfg, nil)
}

// tuneGC bounds the memory of a long-running server, unless GOGC or
// GOMEMLIMIT is set (then the runtime has its way). Most of its garbage is
// short-lived request decoding (gldap), and under LDAP load Go's default
// (GOGC=100) let the resident size pass 100 MB with 10,000 users (see
// bench/). The heap may now grow to five times the live data, within a
// soft limit of gcFloor (56 MiB: with 10,000 users served over LDAP the
// resident size stays about 90 MB, see bench/; since the user cache is
// packed the collector costs little, and 60 MiB saved 1-3 % of the CPU
// for 3-4 MB more); the limit follows twice the live heap when that
// is more, so that a large one is never collected much more often than
// with Go's defaults.
func tuneGC(ctx context.Context) {
	_, gogc := os.LookupEnv("GOGC")
	_, limit := os.LookupEnv("GOMEMLIMIT")
	if gogc || limit {
		return
	}
	const gcFloor = 56 << 20
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(gcFloor)
	go func() {
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			metrics.Read(live)
			debug.SetMemoryLimit(max(gcFloor, 2*int64(live[0].Value.Uint64())))
		}
	}()
}

// serve opens the store, starts the components and waits for a signal
// (ctx) or a component failure. ready, when set, runs once everything is
// up (demo prints its banner there).
func serve(e *cmdEnv, cfg *Config, ready func(*server) error) error {
	// CANAILLE_CPUPROFILE=FILE records a CPU profile of the whole run (go
	// tool pprof reads it), for performance work.
	if path, ok := lookupEnv(e.environ, "CANAILLE_CPUPROFILE"); ok && path != "" && e.srv == nil {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	logs := newLogBuffer(e.stderr)
	defer logs.Close()
	log := newLogger(cfg, logs)
	st, err := e.store(true)
	if err != nil {
		return err
	}
	s := &server{cfg: cfg, store: st, log: log, fail: make(chan error, 4), health: &health{st: st}}
	// CANAILLE_HEAPPROFILE=FILE writes a heap profile (live objects after
	// a collection) when the server stops, before anything is released.
	if path, ok := lookupEnv(e.environ, "CANAILLE_HEAPPROFILE"); ok && path != "" && e.srv == nil {
		defer func() { writeHeapProfile(path); runtime.KeepAlive(s) }()
	}
	backups := !upstreamBackend(cfg) && cfg.Bolt.BackupDir != ""
	dbPath := ""
	if !upstreamBackend(cfg) {
		dbPath = cfg.Bolt.Path
	}
	s.metrics = newMetrics(dbPath, backups)
	s.components = []component{&cleaner{store: st, log: log, every: cleanInterval}}
	if !upstreamBackend(cfg) {
		// With the upstream directory, data commands open it themselves
		// (several processes may), so there is no control socket.
		s.components = append([]component{&controlServer{path: cfg.Bolt.ControlSocketPath(), log: log, exec: s.exec}}, s.components...)
	}
	if backups {
		bst, ok := st.(store.Backupper)
		if !ok {
			return errors.New("CANAILLE_BOLT.BACKUP_DIR: this database cannot be backed up by canaille")
		}
		s.components = append(s.components, &scheduledBackups{st: bst, dir: cfg.Bolt.BackupDir,
			interval: cfg.Bolt.BackupInterval.Duration(), keep: cfg.Bolt.BackupKeep, log: log, metrics: s.metrics})
	}
	if cfg.HTTP.Listen != "" {
		var provider *oidc.Provider
		if cfg.OIDC.EnableOIDC {
			keys, err := newOIDCKeys(e.ctx, cfg, st, log)
			if err != nil {
				return err
			}
			if provider, err = newProvider(cfg, st, keys, log, s.metrics); err != nil {
				return err
			}
			s.components = append(s.components, keys)
			s.health.keys = keys
		}
		app, err := newWebApp(cfg, st, e.mailer, provider, log, s.metrics)
		if err != nil {
			return err
		}
		s.web = &httpServer{listen: cfg.HTTP.Listen, handler: webHandler(app, s.health, s.metrics), log: log, fail: s.fail}
		s.components = append(s.components, s.web)
	}
	if cfg.HTTP.MetricsListen != "" {
		s.metricsWeb = &httpServer{name: "metrics", listen: cfg.HTTP.MetricsListen, handler: metricsHandler(s.health, s.metrics),
			log: log, fail: s.fail}
		s.components = append(s.components, s.metricsWeb)
	}
	if cfg.LDAPServer.Enable {
		ls, err := newLDAPServer(cfg, st, log, s.metrics)
		if err != nil {
			return err
		}
		s.components = append(s.components, ls)
		s.ldap = ls
	}
	ctx := e.ctx
	var started []component
	defer func() {
		s.health.ready.Store(false)
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		for i := len(started) - 1; i >= 0; i-- {
			if err := started[i].Shutdown(sctx); err != nil {
				log.Error("shutdown", "component", started[i].Name(), "error", err)
			}
		}
		log.Info("canaille stopped")
	}()
	for _, c := range s.components {
		if err := c.Start(ctx); err != nil {
			return fmt.Errorf("start %s: %w", c.Name(), err)
		}
		started = append(started, c)
	}
	s.health.ready.Store(true)
	if upstreamBackend(cfg) {
		log.Info("canaille running", "version", versionString(), "database", "ldap", "uri", cfg.LDAP.URI,
			"root_dn", cfg.LDAP.RootDN)
	} else {
		log.Info("canaille running", "version", versionString(), "database", cfg.Bolt.Path,
			"control_socket", cfg.Bolt.ControlSocketPath())
	}
	if ready != nil {
		if err := ready(s); err != nil {
			return err
		}
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down", "reason", "signal")
		return nil
	case err := <-s.fail:
		return fmt.Errorf("a component failed: %w", err)
	}
}

// newLogger builds the structured logger of CANAILLE_LOG.
func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.Log.SlogLevel()}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// exec runs a data command for a control-socket client.
func (s *server) exec(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (status int) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("control command panicked", "command", firstArg(args), "panic", r, "stack", string(debug.Stack()))
			fmt.Fprintln(stderr, "canaille: internal error (see the server log)")
			status = 1
		}
	}()
	if !isDataCommand(args) {
		fmt.Fprintf(stderr, "canaille: the server runs only the data commands through its control socket, not %q\n", firstArg(args))
		return 2
	}
	c := findCommand(args[0])
	e := &cmdEnv{ctx: ctx, cmd: c, args: args[1:], raw: args[1:], stdin: stdin, stdout: stdout, stderr: stderr, srv: s}
	return e.finish(c.run(e))
}

// cleaner deletes expired objects periodically.
type cleaner struct {
	store backend
	log   *slog.Logger
	every time.Duration
	stop  chan struct{}
	done  chan struct{}
}

func (c *cleaner) Name() string { return "cleaner" }

func (c *cleaner) Start(ctx context.Context) error {
	c.stop, c.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(c.done)
		t := time.NewTicker(c.every)
		defer t.Stop()
		for {
			c.clean()
			select {
			case <-t.C:
			case <-c.stop:
				return
			}
		}
	}()
	return nil
}

func (c *cleaner) clean() {
	ctx, cancel := context.WithTimeout(context.Background(), c.every)
	defer cancel()
	rep, err := c.store.DeleteExpired(ctx, time.Now())
	if err != nil {
		c.log.Error("cleaning expired objects", "error", err)
		return
	}
	if rep.Total() > 0 {
		c.log.Info("cleaned expired objects", "codes", rep.AuthorizationCodes, "tokens", rep.Tokens,
			"sessions", rep.Sessions, "tickets", rep.Tickets, "jtis", rep.JTIs)
	}
	releaseMemory(c.store, rep.Total())
	if n, err := c.store.DeleteAuditBefore(ctx, time.Now().Add(-ui.AuditRetention)); err != nil {
		c.log.Error("cleaning the audit log", "error", err)
	} else if n > 0 {
		c.log.Info("cleaned the audit log", "events", n, "retention_days", ui.AuditRetentionDays)
	}
}

func (c *cleaner) Shutdown(ctx context.Context) error {
	close(c.stop)
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return errors.New("cleaner did not stop in time")
	}
}

var cmdVersion = &command{
	name:    "version",
	summary: "print the version, commit and Go version",
	run: func(e *cmdEnv) error {
		if _, err := e.parse(e.flags(), 0, 0); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "canaille "+versionString())
		return nil
	},
}

// version and commit are set at build time:
// go build -ldflags "-X main.version=1.2.3 -X main.commit=abc123".
var version, commit string

func versionString() string {
	v, c := version, commit
	info, ok := debug.ReadBuildInfo()
	if ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && c == "" {
				c = s.Value
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	if len(c) > 12 {
		c = c[:12]
	}
	goVersion := "unknown"
	if ok {
		goVersion = info.GoVersion
	}
	parts := []string{v}
	if c != "" {
		parts = append(parts, "commit "+c)
	}
	parts = append(parts, goVersion)
	return strings.Join(parts, ", ")
}

// writeHeapProfile writes the live heap to path, for performance work;
// failures are only reported, the server is stopping anyway.
func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "canaille: heap profile:", err)
		return
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "canaille: heap profile:", err)
	}
}
