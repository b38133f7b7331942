package ldapserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// Config says how the LDAP server listens and what it allows.
type Config struct {
	// Listen and LDAPSListen are host:port addresses; "" disables one.
	Listen, LDAPSListen string
	// TLS serves LDAPS and StartTLS; nil disables both.
	TLS *tls.Config
	// RootDN is the base of the tree, e.g. dc=example,dc=org.
	RootDN string
	// AnonymousRead lets unauthenticated clients read like ldap_read.
	AnonymousRead bool
	// RequireTLSForBind refuses simple binds with a password over a
	// connection without TLS (confidentialityRequired).
	RequireTLSForBind bool
	// SizeLimit caps the entries of one unpaged search; 0: no limit.
	SizeLimit int
	// BindCacheTTL is how long a verified bind is remembered (a keyed
	// hash, never the password); 0 disables the cache.
	BindCacheTTL time.Duration
	// BindLoginAttributes lets clients bind with a bare "user_name" or an
	// address of "emails" instead of the entry DN.
	BindLoginAttributes []string
	// MaxConnections caps simultaneous client connections; 0: 4096.
	MaxConnections int
	// IdleTimeout closes connections without traffic; 0: never.
	IdleTimeout time.Duration
	// MaxMessageSize caps one LDAP message; 0: 8 MiB.
	MaxMessageSize int
	// Lockout, when set, delays binds after failures (shared with web
	// logins through the users' failure times).
	Lockout *store.LockoutPolicy
	// PasswordPolicy applies to Password Modify and userPassword writes.
	PasswordPolicy store.PasswordPolicy
	// Secret keys the bind cache; at least 32 bytes.
	Secret []byte
	// VendorVersion is published in the root DSE.
	VendorVersion string
	// Logger gets one line per operation; nil discards.
	Logger *slog.Logger
	// Observe, when set, is called once per finished operation with its
	// name (bind, search, add, modify, delete, modrdn, compare, refused,
	// extended starttls|whoami|passwd|other), the LDAP result code and
	// the time it took. It must be fast and safe for concurrent use.
	Observe func(op string, code int, d time.Duration)
	// BindOutcome, when set, is called after each bind with a password:
	// "success", "failure" or "locked" (intruder lockout or a locked
	// account).
	BindOutcome func(outcome string)
}

// Server is the LDAP server: a gateway that owns the public listeners and
// answers binds, compares, renames, extended operations and abandons
// itself, in front of gldap, which serves searches and writes on an
// internal loopback listener. It implements the start/shutdown contract
// of canaille's components.
type Server struct {
	cfg    Config
	dir    *directory
	log    *slog.Logger
	binds  *bindCache
	engine *engine // the gldap side

	mu        sync.Mutex
	listeners []net.Listener
	sessions  map[uint64]*session
	nextID    atomic.Uint64
	slots     chan struct{}
	wg        sync.WaitGroup
	closing   atomic.Bool
	ctx       context.Context
	cancel    context.CancelFunc
}

// New checks the configuration and builds a server over dir; writes need
// dir to implement store.DirectoryWriter.
func New(cfg Config, dir store.Directory, policy *acl.Policy) (*Server, error) {
	if cfg.Listen == "" && cfg.LDAPSListen == "" {
		return nil, errors.New("ldapserver: no listen address")
	}
	if cfg.LDAPSListen != "" && cfg.TLS == nil {
		return nil, errors.New("ldapserver: LDAPS needs a TLS certificate")
	}
	if len(cfg.Secret) < 32 {
		return nil, errors.New("ldapserver: the secret must hold at least 32 bytes")
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = 4096
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = defaultMaxMessage
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	d, err := newDirectory(cfg, dir, policy)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, dir: d, log: cfg.Logger, sessions: map[uint64]*session{},
		slots: make(chan struct{}, cfg.MaxConnections)}
	s.binds = newBindCache(cfg.Secret, cfg.BindCacheTTL)
	limitBERPackets(int64(cfg.MaxMessageSize))
	return s, nil
}

// defaultMaxMessage is the default bound of one LDAP message.
const defaultMaxMessage = 8 << 20

// go-asn1-ber's packet bound is a global variable that its decoders read
// at any time, in gldap and in every go-ldap client of the process (the
// upstream LDAP backend's included). It is set here, before main runs and
// before any connection exists, to the default bound; a server configured
// with a smaller MaxMessageSize lowers it once more (limitBERPackets).
func init() {
	if ber.MaxPacketLengthBytes > defaultMaxMessage {
		ber.MaxPacketLengthBytes = defaultMaxMessage
	}
}

var berLimit sync.Mutex

// limitBERPackets lowers the process-wide BER packet bound to max if it is
// higher (LIBRARIES.md 1.5). With the default MaxMessageSize it writes
// nothing, so that servers created while connections are open (tests, the
// upstream backend) do not race with the decoders.
func limitBERPackets(max int64) {
	berLimit.Lock()
	defer berLimit.Unlock()
	if ber.MaxPacketLengthBytes > max {
		ber.MaxPacketLengthBytes = max
	}
}

// Name implements the component contract.
func (s *Server) Name() string { return "LDAP server" }

// Start listens on the configured addresses and starts the internal gldap
// engine; it returns once everything accepts connections.
func (s *Server) Start(ctx context.Context) error {
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	eng, err := startEngine(s)
	if err != nil {
		return err
	}
	s.engine = eng
	listen := func(addr string, tlsCfg *tls.Config) error {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("ldapserver: listen on %s: %w", addr, err)
		}
		s.mu.Lock()
		s.listeners = append(s.listeners, ln)
		s.mu.Unlock()
		s.wg.Go(func() { s.accept(ln, tlsCfg) })
		s.log.Info("LDAP listening", "address", ln.Addr().String(), "ldaps", tlsCfg != nil,
			"starttls", tlsCfg == nil && s.cfg.TLS != nil)
		return nil
	}
	if s.cfg.Listen != "" {
		if err := listen(s.cfg.Listen, nil); err != nil {
			s.Shutdown(context.Background())
			return err
		}
	}
	if s.cfg.LDAPSListen != "" {
		if err := listen(s.cfg.LDAPSListen, s.cfg.TLS); err != nil {
			s.Shutdown(context.Background())
			return err
		}
	}
	return nil
}

// Addrs returns the addresses listened on (plain first), for tests.
func (s *Server) Addrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, ln := range s.listeners {
		out = append(out, ln.Addr().String())
	}
	return out
}

func (s *Server) accept(ln net.Listener, tlsCfg *tls.Config) {
	var lastWarn time.Time
	for {
		conn, err := ln.Accept()
		if err != nil {
			if s.closing.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			// EMFILE and friends: wait and retry rather than stop serving.
			s.log.Error("LDAP accept", "error", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		select {
		case s.slots <- struct{}{}:
		default:
			if time.Since(lastWarn) > time.Minute {
				s.log.Warn("LDAP connection limit reached: refusing connections", "max", s.cfg.MaxConnections)
				lastWarn = time.Now()
			}
			conn.Write(noticeOfDisconnection(resultBusy, "too many connections"))
			conn.Close()
			continue
		}
		s.wg.Go(func() {
			defer func() { <-s.slots }()
			if tlsCfg != nil {
				conn = tls.Server(conn, tlsCfg)
			}
			s.serveConn(conn, tlsCfg != nil)
		})
	}
}

// Shutdown stops listening, tells connected clients the server is going
// away (a Notice of Disconnection), and waits for work in progress until
// ctx ends, then closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.mu.Lock()
	for _, ln := range s.listeners {
		ln.Close()
	}
	sessions := make([]*session, 0, len(s.sessions))
	for _, se := range s.sessions {
		sessions = append(sessions, se)
	}
	s.mu.Unlock()
	for _, se := range sessions {
		se.disconnect(resultUnavailable, "server shutting down")
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	if s.cancel != nil {
		s.cancel()
	}
	if s.engine != nil {
		s.engine.stop(ctx)
	}
	return nil
}

// noticeOfDisconnection is the unsolicited notification of RFC 4511
// section 4.4.1 (message ID 0).
func noticeOfDisconnection(code int, diag string) []byte {
	return extendedResult(0, code, diag, "1.3.6.1.4.1.1466.20036", nil)
}
