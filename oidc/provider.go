package oidc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// Store is what the provider needs from a backend.
type Store interface {
	store.OIDCStore
	Authenticate(ctx context.Context, userName, password string) (store.User, error)
	GetUser(ctx context.Context, id string) (store.User, error)
	GetUserByName(ctx context.Context, userName string) (store.User, error)
	GetUserByEmail(ctx context.Context, email string) (store.User, error)
}

// Config configures a Provider.
type Config struct {
	// Issuer is scheme://host[:port], without a trailing slash.
	Issuer string
	// Keys sign ID tokens and JWT access tokens.
	Keys *KeySet
	// GlobalSecret keys the HMAC of opaque codes and tokens; at least 32
	// bytes (derive it from SECRET_KEY).
	GlobalSecret []byte
	// Lifetimes; zero gives the defaults (access and ID tokens 1 hour,
	// refresh tokens 30 days, codes 5 minutes).
	AccessTokenLifetime, IDTokenLifetime, RefreshTokenLifetime, CodeLifetime time.Duration
	// OpaqueAccessTokens issues random opaque access tokens instead of
	// RFC 9068 JWTs.
	OpaqueAccessTokens bool
	// RequireNonce refuses OpenID requests without a nonce.
	RequireNonce bool
	// RequirePKCE makes PKCE mandatory for every client (it always is for
	// public clients).
	RequirePKCE bool
	// TrustedDomains: a client whose client_uri and redirect URIs are all
	// in these domains skips the consent page (".example.org" covers the
	// sub-domains).
	TrustedDomains []string
	// Claims maps claim names (sub, name, email, …) to templates; a claim
	// absent from the map is not produced.
	Claims map[string]*Template
	// PhotoURL returns the absolute URL of a user's photo.
	PhotoURL func(*store.User) string
	// RegistrationOpen lets anybody register clients at /oauth/register.
	RegistrationOpen bool
	// EnableRegistration advertises prompt=create (the sign-up page).
	EnableRegistration bool
	// Locales are the languages of the interface (ui_locales_supported).
	Locales []string
	// Policy decides who may use OpenID Connect (the use_oidc permission).
	Policy *acl.Policy
	// Lockout is the intruder lockout shared with the other sign-ins,
	// applied to the resource owner password grant; nil disables it.
	Lockout *store.LockoutPolicy
	// HTTPClient sends back-channel logout notifications.
	HTTPClient *http.Client
	// TokenIssued, when set, is called after each successful token
	// request with its grant type (authorization_code, refresh_token,
	// client_credentials, password; "other" for anything else). It must
	// be fast and safe for concurrent use.
	TokenIssued func(grant string)
	Logger      *slog.Logger
	Now         func() time.Time
}

// Provider is the OpenID Connect provider.
type Provider struct {
	cfg     Config
	st      Store
	storage *storage
	fosite  fosite.OAuth2Provider
	fcfg    *fosite.Config
	idSign  *signer
	log     *slog.Logger
	now     func() time.Time
	cors    *corsOrigins
	docs    atomic.Pointer[docs]
}

// Scopes the provider knows.
var supportedScopes = []string{"openid", "profile", "email", "address", "phone", "groups", "offline_access"}

// New builds a provider over st.
func New(cfg Config, st Store) (*Provider, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("oidc: an issuer is required (set SERVER_NAME)")
	}
	cfg.Issuer = strings.TrimSuffix(cfg.Issuer, "/")
	if cfg.Keys == nil {
		return nil, errors.New("oidc: no signing key")
	}
	if len(cfg.GlobalSecret) < 32 {
		return nil, errors.New("oidc: the global secret must be at least 32 bytes")
	}
	if cfg.AccessTokenLifetime <= 0 {
		cfg.AccessTokenLifetime = time.Hour
	}
	if cfg.IDTokenLifetime <= 0 {
		cfg.IDTokenLifetime = time.Hour
	}
	if cfg.RefreshTokenLifetime <= 0 {
		cfg.RefreshTokenLifetime = 30 * 24 * time.Hour
	}
	if cfg.CodeLifetime <= 0 {
		cfg.CodeLifetime = 5 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if cfg.Claims == nil {
		cfg.Claims = DefaultClaims()
	}
	p := &Provider{cfg: cfg, st: st, log: cfg.Logger, now: cfg.Now}
	p.storage = &storage{st: st, lockout: cfg.Lockout, now: func() time.Time { return cfg.Now().UTC() },
		codeLifetime: cfg.CodeLifetime, refreshLifetime: cfg.RefreshTokenLifetime, jwtAccess: !cfg.OpaqueAccessTokens}
	p.cors = &corsOrigins{st: st}
	p.fcfg = &fosite.Config{
		AccessTokenLifespan:         cfg.AccessTokenLifetime,
		RefreshTokenLifespan:        cfg.RefreshTokenLifetime,
		AuthorizeCodeLifespan:       cfg.CodeLifetime,
		IDTokenLifespan:             cfg.IDTokenLifetime,
		IDTokenIssuer:               cfg.Issuer,
		AccessTokenIssuer:           cfg.Issuer,
		TokenURL:                    cfg.Issuer + "/oauth/token",
		ScopeStrategy:               fosite.ExactScopeStrategy,
		AudienceMatchingStrategy:    fosite.ExactAudienceMatchingStrategy,
		EnforcePKCE:                 cfg.RequirePKCE,
		EnforcePKCEForPublicClients: true,
		AllowedPromptValues:         []string{"none", "login", "consent", "select_account"},
		RefreshTokenScopes:          []string{},
		JWTScopeClaimKey:            jwt.JWTScopeFieldString,
		ClientSecretsHasher:         secretHasher{},
		GlobalSecret:                cfg.GlobalSecret[:32],
		SendDebugMessagesToClients:  false,
		JWKSFetcherStrategy:         newJWKSFetcher(cfg.HTTPClient),
		RedirectSecureChecker:       fosite.IsRedirectURISecure,
		OmitRedirectScopeParam:      true,
		FormPostHTMLTemplate:        formPostTemplate,
	}
	if cfg.EnableRegistration {
		p.fcfg.AllowedPromptValues = append(p.fcfg.AllowedPromptValues, "create")
	}
	p.idSign = &signer{keys: cfg.Keys}
	hmacStrategy := compose.NewOAuth2HMACStrategy(p.fcfg)
	p.storage.codeSignature = hmacStrategy.AuthorizeCodeSignature
	var core oauth2.CoreStrategy = hmacStrategy
	if !cfg.OpaqueAccessTokens {
		core = &oauth2.DefaultJWTStrategy{Signer: &signer{keys: cfg.Keys, typ: "at+jwt"},
			HMACSHAStrategy: hmacStrategy, Config: p.fcfg}
	}
	core = &orderedTokens{CoreStrategy: core, access: cfg.OpaqueAccessTokens, now: p.now}
	strategy := &compose.CommonStrategy{
		CoreStrategy:               core,
		OpenIDConnectTokenStrategy: &openid.DefaultStrategy{Signer: p.idSign, Config: p.fcfg},
		Signer:                     p.idSign,
	}
	p.fosite = compose.Compose(p.fcfg, p.storage, strategy,
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2AuthorizeImplicitFactory,
		compose.OAuth2ClientCredentialsGrantFactory,
		compose.OAuth2ResourceOwnerPasswordCredentialsFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OpenIDConnectExplicitFactory,
		compose.OpenIDConnectImplicitFactory,
		compose.OpenIDConnectHybridFactory,
		compose.OpenIDConnectRefreshFactory,
		compose.OAuth2TokenIntrospectionFactory,
		compose.OAuth2TokenRevocationFactory,
		compose.OAuth2PKCEFactory,
	)
	for i, h := range p.fcfg.TokenEndpointHandlers {
		p.fcfg.TokenEndpointHandlers[i] = grantHandler{h}
	}
	return p, nil
}

// grantHandler skips a token endpoint handler for the grants it does not
// handle. fosite asks every handler to complete every token response, and
// each handler of another grant answers with an error that records its
// call stack: a few microseconds each, five handlers a token.
type grantHandler struct{ fosite.TokenEndpointHandler }

func (h grantHandler) PopulateTokenEndpointResponse(ctx context.Context, r fosite.AccessRequester, w fosite.AccessResponder) error {
	if !h.CanHandleTokenEndpointRequest(ctx, r) {
		return fosite.ErrUnknownRequest
	}
	return h.TokenEndpointHandler.PopulateTokenEndpointResponse(ctx, r, w)
}

// Issuer returns the issuer identifier.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

// Keys returns the signing keys.
func (p *Provider) Keys() *KeySet { return p.cfg.Keys }

// Route is an endpoint the web server mounts.
type Route struct {
	Method, Path string
	Handler      http.Handler
}

// Routes lists the protocol endpoints (everything but the pages a user
// sees: authorization, consent and logout are the web interface's).
func (p *Provider) Routes() []Route {
	h := func(f func(http.ResponseWriter, *http.Request)) http.Handler { return p.cors.wrap(http.HandlerFunc(f)) }
	var rs []Route
	add := func(path string, f func(http.ResponseWriter, *http.Request), methods ...string) {
		for _, m := range methods {
			rs = append(rs, Route{m, path, h(f)})
		}
		rs = append(rs, Route{http.MethodOptions, path, h(f)})
	}
	add("/.well-known/openid-configuration", p.discovery, http.MethodGet)
	add("/.well-known/oauth-authorization-server", p.oauthMetadata, http.MethodGet)
	add("/.well-known/webfinger", p.webfinger, http.MethodGet)
	add("/oauth/jwks.json", p.jwks, http.MethodGet)
	add("/oauth/token", p.token, http.MethodPost)
	add("/oauth/introspect", p.introspect, http.MethodPost)
	add("/oauth/revoke", p.revoke, http.MethodPost)
	add("/oauth/userinfo", p.userinfo, http.MethodGet, http.MethodPost)
	add("/oauth/register", p.register, http.MethodPost)
	add("/oauth/register/:client_id", p.registration, http.MethodGet, http.MethodPut, http.MethodDelete)
	return rs
}

// Clean deletes expired codes, tokens, sessions, tickets and JWT IDs.
func (p *Provider) Clean(ctx context.Context) (store.CleanReport, error) {
	return p.st.DeleteExpired(ctx, p.now())
}

// mayUseOIDC reports whether the ACL grants use_oidc to u.
func (p *Provider) mayUseOIDC(u *store.User) bool {
	if p.cfg.Policy == nil {
		return true
	}
	return p.cfg.Policy.For(u).Can(acl.UseOIDC)
}

func (p *Provider) logError(r *http.Request, what string, err error) {
	rfc := fosite.ErrorToRFC6749Error(err)
	p.log.Info(what, "error", rfc.ErrorField, "hint", rfc.HintField, "debug", rfc.DebugField,
		"path", r.URL.Path)
}

// absolute returns the issuer-based URL of path.
func (p *Provider) absolute(path string) string { return p.cfg.Issuer + path }

// isTrustedHost reports whether host matches TRUSTED_DOMAINS.
func (p *Provider) isTrustedHost(host string) bool {
	host = strings.ToLower(host)
	for _, d := range p.cfg.TrustedDomains {
		d = strings.ToLower(d)
		if strings.HasPrefix(d, ".") {
			if strings.HasSuffix(host, d) || host == d[1:] {
				return true
			}
		} else if host == d {
			return true
		}
	}
	return false
}

// Trusted reports whether a client skips the consent page: its client_uri
// and all its redirect URIs are in TRUSTED_DOMAINS.
func (p *Provider) Trusted(c *store.Client) bool {
	if len(c.RedirectURIs) == 0 {
		return false
	}
	uris := append([]string{}, c.RedirectURIs...)
	if c.ClientURI != "" {
		uris = append(uris, c.ClientURI)
	}
	for _, raw := range uris {
		u, err := url.Parse(raw)
		if err != nil || !p.isTrustedHost(u.Hostname()) {
			return false
		}
	}
	return true
}

func errorf(e *fosite.RFC6749Error, format string, args ...any) error {
	return e.WithHint(fmt.Sprintf(format, args...))
}

// SetLocales sets the languages discovery advertises (ui_locales).
func (p *Provider) SetLocales(tags []string) {
	p.cfg.Locales = tags
	p.docs.Store(nil)
}
