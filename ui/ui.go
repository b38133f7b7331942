package ui

import (
	"context"
	"errors"
	"fmt"
	"github.com/canaille-go/canaille/oidc"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/ui/mail"
)

// Store is what the web interface needs from a backend: the directory,
// its writer, store.OIDCStore (sessions, tickets, consents, clients,
// tokens) and the audit log.
type Store interface {
	store.Directory
	store.DirectoryWriter
	store.OIDCStore
	store.AuditLog
}

// Config configures an App. The zero values of the durations take the
// defaults noted beside them.
type Config struct {
	// Name is the organisation name shown in pages and emails.
	Name string
	// Logo and Favicon are URLs (absolute, or paths on this server); empty
	// means the built-in images.
	Logo, Favicon string
	// Theme is a directory whose templates/, static/ and locales/
	// subdirectories override the built-in files of the same names.
	Theme string

	// BaseURL is the public address (PREFERRED_URL_SCHEME://SERVER_NAME):
	// links in emails are built on it, and cookies are Secure when its
	// scheme is https.
	BaseURL *url.URL
	// CheckHost refuses requests whose Host is not BaseURL's (GET and HEAD
	// are redirected there), as Python Canaille does with SERVER_NAME.
	CheckHost bool
	// TrustedProxies are the addresses whose X-Forwarded-For and
	// X-Forwarded-Proto headers are believed.
	TrustedProxies []netip.Prefix

	// SecretKey signs the short-lived cookies (sign-in progress, flash
	// messages) and CSRF tokens; at least 32 bytes.
	SecretKey []byte

	// Language forces one interface language; "" follows the user's
	// preference, then the browser.
	Language string

	// LoginAttributes are the user attributes accepted as the sign-in
	// identifier: "user_name" and/or "emails".
	LoginAttributes []string
	// HideInvalidLogins does not reveal whether an identifier exists.
	HideInvalidLogins bool
	// Lockout, when set, delays sign-ins after failures (the failures are
	// shared with LDAP binds through the store).
	Lockout *store.LockoutPolicy

	EnableRegistration     bool
	EnablePasswordRecovery bool // needs Mailer
	// EmailConfirmation makes users confirm an address they add (needs
	// Mailer); users with manage_users set addresses directly.
	EmailConfirmation bool

	PasswordPolicy store.PasswordPolicy
	Policy         *acl.Policy

	// InvitationExpiration bounds invitation, registration and
	// email-confirmation links (48 h).
	InvitationExpiration time.Duration
	// ResetExpiration bounds password-recovery links (1 h).
	ResetExpiration time.Duration
	// SessionLifetime is the lifetime of a "remember me" session (30 days).
	SessionLifetime time.Duration
	// BrowserSessionLifetime is the lifetime of other sessions, whose
	// cookie also ends with the browser (12 h).
	BrowserSessionLifetime time.Duration

	// Mailer sends emails; nil disables every feature that needs mail.
	Mailer mail.Sender

	// LDAPRootDN and LDAPURL describe the built-in LDAP server (ROOT_DN,
	// and ldap://HOST:PORT as clients reach it), for the bind DN and the
	// sample command shown with LDAP service accounts; "" when not served.
	LDAPRootDN, LDAPURL string

	// OIDC is the OpenID Connect provider whose pages (authorization,
	// consent, logout) and endpoints the App serves; nil disables them.
	OIDC *oidc.Provider

	Logger *slog.Logger
	// SignIn, when set, is called after each password check of the web
	// sign-in: "success", "failure" or "locked" (intruder lockout or a
	// locked account). It must be fast and safe for concurrent use.
	SignIn func(outcome string)
	// Version is shown in the footer of the about page.
	Version string
	// Now replaces time.Now in tests.
	Now func() time.Time
}

// App is the web interface. Build it with New; it is an http.Handler.
type App struct {
	cfg     Config
	st      Store
	log     *slog.Logger
	router  *routeTable
	handler http.Handler
	keys    keys
	tpl     *templates
	static  *staticFiles
	i18n    *catalog
	factors []factor

	// failures counts sign-in failures of unknown identifiers, so that
	// lockout looks the same for them (HideInvalidLogins).
	failures *failureTracker
	// sent rate-limits emails per recipient.
	sent *rateLimiter

	cop *http.CrossOriginProtection
}

// New checks cfg and builds the App over st.
func New(cfg Config, st Store) (*App, error) {
	if len(cfg.SecretKey) < 32 {
		return nil, errors.New("ui: the secret key must be at least 32 bytes")
	}
	if cfg.BaseURL == nil || cfg.BaseURL.Host == "" || (cfg.BaseURL.Scheme != "http" && cfg.BaseURL.Scheme != "https") {
		return nil, errors.New("ui: the base URL must be http:// or https:// with a host")
	}
	if cfg.Policy == nil {
		p, err := acl.Compile(nil)
		if err != nil {
			return nil, err
		}
		cfg.Policy = p
	}
	if len(cfg.LoginAttributes) == 0 {
		cfg.LoginAttributes = []string{"user_name", "emails"}
	}
	for _, a := range cfg.LoginAttributes {
		if a != "user_name" && a != "emails" {
			return nil, fmt.Errorf("ui: %q is not a login attribute; use user_name and/or emails", a)
		}
	}
	if cfg.Name == "" {
		cfg.Name = "Canaille"
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.InvitationExpiration, 48*time.Hour)
	def(&cfg.ResetExpiration, time.Hour)
	def(&cfg.SessionLifetime, 30*24*time.Hour)
	def(&cfg.BrowserSessionLifetime, 12*time.Hour)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Mailer == nil {
		cfg.EnablePasswordRecovery = false
		cfg.EmailConfirmation = false
	}
	if cfg.Theme != "" {
		if fi, err := os.Stat(cfg.Theme); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("ui: the theme %s is not a directory", cfg.Theme)
		}
		cfg.Theme = filepath.Clean(cfg.Theme)
	}
	a := &App{
		cfg:      cfg,
		st:       st,
		log:      cfg.Logger,
		keys:     deriveKeys(cfg.SecretKey),
		failures: newFailureTracker(10000),
		sent:     newRateLimiter(10000, time.Minute),
	}
	var err error
	if a.i18n, err = loadCatalog(cfg.Theme); err != nil {
		return nil, err
	}
	if a.static, err = loadStatic(cfg.Theme); err != nil {
		return nil, err
	}
	if a.tpl, err = loadTemplates(cfg.Theme, a.funcs()); err != nil {
		return nil, err
	}
	a.factors = []factor{passwordFactor{}}
	a.router = &routeTable{Router: httprouter.New()}
	a.router.RedirectFixedPath = false
	a.router.HandleMethodNotAllowed = true
	a.router.NotFound = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.serve(w, r, nil, func(c *ctx) error { return errNotFound })
	})
	a.router.MethodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.serve(w, r, nil, func(c *ctx) error {
			return &httpError{status: http.StatusMethodNotAllowed, msg: "error_method"}
		})
	})
	a.routes()
	a.adminRoutes()
	a.handler = a.middleware(a.router)
	if cfg.OIDC != nil {
		cfg.OIDC.SetLocales(a.Languages())
		a.oidcRoutes()
	}
	return a, nil
}

// ServeHTTP serves a request.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

// RouteOptions adjusts the protections of a route added with Handle.
type RouteOptions struct {
	// NoCSRF exempts the route from CSRF checks: for the OAuth 2
	// back-channel endpoints, which clients call from other origins and
	// authenticate themselves.
	NoCSRF bool
}

// Handle adds a route served by h, behind the App's middleware, for the
// other web components (the OIDC provider). Call it before serving.
func (a *App) Handle(method, path string, h http.Handler, o RouteOptions) {
	if o.NoCSRF {
		a.cop.AddInsecureBypassPattern(method + " " + muxPattern(path))
	}
	a.router.Handler(method, path, h)
}

// routes registers the pages of this package.
func (a *App) routes() {
	get, post := http.MethodGet, http.MethodPost
	a.page(get, "/", a.home)
	a.page(get, "/about", a.about)
	a.page(get, "/login", a.loginPage)
	a.page(post, "/login", a.loginSubmit)
	a.page(get, "/auth/password", a.passwordPage)
	a.page(post, "/auth/password", a.passwordSubmit)
	a.page(get, "/logout", a.logoutPage)
	a.page(post, "/logout", a.logoutSubmit)
	a.page(get, "/profile/:user", a.profilePage)
	a.page(post, "/profile/:user", a.profileSubmit)
	a.page(get, "/profile/:user/photo", a.photo)
	a.page(get, "/profile/:user/password", a.changePasswordPage)
	a.page(post, "/profile/:user/password", a.changePasswordSubmit)
	a.page(get, "/profile/:user/sessions", a.sessionsPage)
	a.page(post, "/profile/:user/sessions", a.sessionsSubmit)
	a.page(get, "/reset", a.resetPage)
	a.page(post, "/reset", a.resetSubmit)
	a.page(get, "/reset/:token", a.resetTokenPage)
	a.page(post, "/reset/:token", a.resetTokenSubmit)
	a.page(get, "/register", a.registerPage)
	a.page(post, "/register", a.registerSubmit)
	a.page(get, "/register/:token", a.registerTokenPage)
	a.page(post, "/register/:token", a.registerTokenSubmit)
	a.page(get, "/email-confirmation/:token", a.confirmEmailPage)
	a.page(post, "/email-confirmation/:token", a.confirmEmailSubmit)
	a.page(post, "/language", a.setLanguage)
	a.router.Handler(get, "/static/*file", a.static)
	a.router.Handler(http.MethodHead, "/static/*file", a.static)
	a.router.HandlerFunc(get, "/favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, a.faviconURL(), http.StatusMovedPermanently)
	})
}

// routeTable is the router; every route it registers records its pattern
// for WithRoute.
type routeTable struct {
	*httprouter.Router
}

func (t *routeTable) Handle(method, path string, h httprouter.Handle) {
	t.Router.Handle(method, path, func(w http.ResponseWriter, r *http.Request, p httprouter.Params) {
		if rp, ok := r.Context().Value(routeKey{}).(*string); ok {
			*rp = path
		}
		h(w, r, p)
	})
}

func (t *routeTable) Handler(method, path string, h http.Handler) {
	t.Handle(method, path, func(w http.ResponseWriter, r *http.Request, p httprouter.Params) {
		if len(p) > 0 {
			r = r.WithContext(context.WithValue(r.Context(), httprouter.ParamsKey, p))
		}
		h.ServeHTTP(w, r)
	})
}

func (t *routeTable) HandlerFunc(method, path string, h http.HandlerFunc) {
	t.Handler(method, path, h)
}

type routeKey struct{}

// WithRoute returns a context under which the App writes to *route the
// pattern of the route that serves the request, such as
// "/profile/:user", and leaves it alone when no route matches: a bounded
// label for metrics, where the path itself is not.
func WithRoute(ctx context.Context, route *string) context.Context {
	return context.WithValue(ctx, routeKey{}, route)
}

// muxPattern turns an httprouter path (/a/:b/*c) into a ServeMux
// pattern (/a/{b}/{c...}), the syntax of CrossOriginProtection.
func muxPattern(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, ":"):
			parts[i] = "{" + p[1:] + "}"
		case strings.HasPrefix(p, "*"):
			parts[i] = "{" + p[1:] + "...}"
		}
	}
	return strings.Join(parts, "/")
}

// page registers a handler of this package.
func (a *App) page(method, path string, h func(*ctx) error) {
	a.router.Handle(method, path, func(w http.ResponseWriter, r *http.Request, p httprouter.Params) {
		a.serve(w, r, p, h)
	})
}

// link returns the absolute URL of path on the public base URL, for
// emails.
func (a *App) link(path string) string {
	u := *a.cfg.BaseURL
	u.Path = path
	u.RawQuery = ""
	return u.String()
}

// mailEnabled reports whether emails can be sent.
func (a *App) mailEnabled() bool { return a.cfg.Mailer != nil }

// loginAttribute reports whether attr is a sign-in identifier.
func (a *App) loginAttribute(attr string) bool { return slices.Contains(a.cfg.LoginAttributes, attr) }
