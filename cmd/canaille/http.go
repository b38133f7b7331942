package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/canaille-go/canaille/oidc"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/ui"
	"github.com/canaille-go/canaille/ui/mail"
)

// webStore is what the HTTP side needs from the backend.
type webStore interface {
	ui.Store
	store.Directory
}

// newMailer returns the mail sender of [CANAILLE.SMTP], nil when the
// section is absent.
func newMailer(cfg *Config) (*mail.SMTP, error) {
	s := cfg.Canaille.SMTP
	if !s.Enabled {
		return nil, nil
	}
	m, err := mail.New(mail.Config{Host: s.Host, Port: s.Port, TLS: s.TLS, SSL: s.SSL,
		Login: s.Login, Password: s.Password, From: s.FromAddr})
	if err != nil {
		return nil, fmt.Errorf("CANAILLE.SMTP: %w", err)
	}
	return m, nil
}

// baseURL is the public address of the web interface: PREFERRED_URL_SCHEME
// and SERVER_NAME. Without SERVER_NAME it is derived from
// CANAILLE_HTTP.LISTEN, and the Host header is not checked (explicit is
// false).
func baseURL(cfg *Config) (u *url.URL, explicit bool) {
	if cfg.ServerName != "" {
		return &url.URL{Scheme: cfg.PreferredURLScheme, Host: cfg.ServerName, Path: "/"}, true
	}
	host := "localhost"
	if cfg.HTTP.UnixSocket() == "" {
		if h, port, err := net.SplitHostPort(cfg.HTTP.Listen); err == nil {
			if ip, err := netip.ParseAddr(h); h != "" && (err != nil || !ip.IsUnspecified()) {
				host = net.JoinHostPort(h, port)
			} else {
				host = net.JoinHostPort("localhost", port)
			}
		}
	}
	return &url.URL{Scheme: cfg.PreferredURLScheme, Host: host, Path: "/"}, false
}

// newWebApp builds the web interface of cfg over st; om, when set, counts
// its sign-ins.
func newWebApp(cfg *Config, st webStore, mailer mail.Sender, provider *oidc.Provider, log *slog.Logger, om *opsMetrics) (*ui.App, error) {
	policy, err := cfg.ACLPolicy()
	if err != nil {
		return nil, err
	}
	base, explicit := baseURL(cfg)
	if !explicit {
		log.Warn("SERVER_NAME is not set: links in emails point to "+base.String()+" and the Host header is not checked; set SERVER_NAME to the public host name",
			"base_url", base.String())
	}
	var proxies []netip.Prefix
	for _, p := range cfg.HTTP.TrustedProxies {
		if a, err := netip.ParseAddr(p); err == nil {
			proxies = append(proxies, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		} else if pr, err := netip.ParsePrefix(p); err == nil {
			proxies = append(proxies, pr.Masked())
		}
	}
	uc := ui.Config{
		Name: cfg.Canaille.Name, Logo: cfg.Canaille.Logo, Favicon: cfg.Canaille.Favicon, Theme: cfg.Canaille.Theme,
		BaseURL: base, CheckHost: explicit, TrustedProxies: proxies, SecretKey: []byte(cfg.SecretKey),
		Language: cfg.Canaille.Language, LoginAttributes: cfg.Canaille.LoginAttributes,
		HideInvalidLogins:      cfg.Canaille.HideInvalidLogins,
		EnableRegistration:     cfg.Canaille.EnableRegistration,
		EnablePasswordRecovery: cfg.Canaille.EnablePasswordRecovery,
		EmailConfirmation:      cfg.Canaille.EmailConfirmation,
		PasswordPolicy:         cfg.PasswordPolicy(), Policy: policy,
		InvitationExpiration: cfg.Canaille.InvitationExpiration.Duration(),
		SessionLifetime:      cfg.PermanentSessionLifetime.Duration(),
		Logger:               log, Version: versionString(), OIDC: provider,
		LDAPRootDN: cfg.LDAPServer.RootDN, LDAPURL: ldapClientURL(cfg),
	}
	if cfg.Canaille.EnableIntruderLockout {
		l := store.DefaultLockout()
		uc.Lockout = &l
	}
	if om != nil {
		uc.SignIn = om.signIn
	}
	m, err := newMailer(cfg)
	if err != nil {
		return nil, err
	}
	switch {
	case m != nil:
		uc.Mailer = m
	case mailer != nil:
		uc.Mailer = mailer
	case cfg.Canaille.EnablePasswordRecovery || cfg.Canaille.EnableRegistration:
		log.Info("no mail server is configured ([CANAILLE.SMTP]): password recovery and email confirmation are off")
	}
	app, err := ui.New(uc, st)
	if err != nil {
		return nil, err
	}
	go warmUserList(st, log)
	return app, nil
}

// warmUserList reads the user listing once in the background, so that the
// backend builds what makes the administrators' user list fast (with
// 100,000 users the first listing reads them all, about a second) before
// anybody asks for it.
func warmUserList(st webStore, log *slog.Logger) {
	start := time.Now()
	page, err := store.PageUsers(context.Background(), st, store.UserPageQuery{Limit: 1})
	if err != nil {
		log.Debug("warming the user list", "error", err)
		return
	}
	log.Debug("user list ready", "users", page.Total, "duration", time.Since(start).Round(time.Millisecond))
}

// httpServer serves the web interface (and, later, OpenID Connect) on
// CANAILLE_HTTP.LISTEN.
type httpServer struct {
	name    string // "" is "http"; the log says "web interface"
	listen  string
	handler http.Handler
	log     *slog.Logger
	fail    chan<- error
	srv     *http.Server
	ln      net.Listener
}

func (h *httpServer) Name() string {
	if h.name != "" {
		return h.name
	}
	return "http"
}

// Addr is the address the server listens on.
func (h *httpServer) Addr() string { return h.ln.Addr().String() }

func (h *httpServer) Start(ctx context.Context) error {
	ln, err := listenHTTP(h.listen)
	if err != nil {
		return err
	}
	h.ln = ln
	h.srv = &http.Server{
		Handler:           h.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(h.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	go func() {
		if err := h.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			h.fail <- fmt.Errorf("http: %w", err)
		}
	}()
	if h.name != "" {
		h.log.Info(h.name+" listening", "address", h.Addr())
	} else {
		h.log.Info("web interface listening", "address", h.Addr())
	}
	return nil
}

func (h *httpServer) Shutdown(ctx context.Context) error {
	if h.srv == nil {
		return nil
	}
	err := h.srv.Shutdown(ctx)
	if p, ok := strings.CutPrefix(h.listen, "unix:"); ok {
		os.Remove(p)
	}
	return err
}

// listenHTTP listens on host:port or on "unix:/path" (replacing a stale
// socket, group-accessible so that a reverse proxy in the group can
// connect).
func listenHTTP(addr string) (net.Listener, error) {
	p, ok := strings.CutPrefix(addr, "unix:")
	if !ok {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("CANAILLE_HTTP.LISTEN %s: %w", addr, err)
		}
		return ln, nil
	}
	if fi, err := os.Lstat(p); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("CANAILLE_HTTP.LISTEN %s: the path exists and is not a socket", addr)
		}
		if c, err := net.Dial("unix", p); err == nil {
			c.Close()
			return nil, fmt.Errorf("CANAILLE_HTTP.LISTEN %s: another process is serving on this socket", addr)
		}
		os.Remove(p)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("CANAILLE_HTTP.LISTEN %s: %w", addr, err)
	}
	ln, err := net.Listen("unix", p)
	if err != nil {
		return nil, fmt.Errorf("CANAILLE_HTTP.LISTEN %s: %w", addr, err)
	}
	if err := os.Chmod(p, 0o660); err != nil {
		ln.Close()
		return nil, fmt.Errorf("CANAILLE_HTTP.LISTEN %s: %w", addr, err)
	}
	return ln, nil
}
