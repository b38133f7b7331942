package oidc

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/token/jwt"

	"github.com/canaille-go/canaille/store"
)

// The web interface drives the authorization endpoint: it parses the
// request here, signs the user in, asks for consent, and then hands the
// decision back with Finish.

// AuthorizeRequest is a validated authorization request.
type AuthorizeRequest struct {
	ar     fosite.AuthorizeRequester
	Client store.Client
	// Scopes are the requested scopes (the client's scope when it sent
	// none).
	Scopes []string
	// Prompt lists the prompt values (none, login, consent,
	// select_account, create).
	Prompt []string
	// MaxAge is max_age in seconds, or -1.
	MaxAge    int
	UILocales []string
	LoginHint string
	// badRedirect marks a redirect URI fosite accepted but that is not
	// registered exactly: errors must not go there.
	badRedirect bool
	// Query is the request as a query string (with prompt=login and
	// prompt=select_account removed, so that it can be replayed after the
	// user signed in again).
	Query string
}

// HasPrompt reports whether the request asked for prompt p.
func (a *AuthorizeRequest) HasPrompt(p string) bool { return slices.Contains(a.Prompt, p) }

// Redirectable reports whether errors may be sent to the client's
// redirect URI (otherwise the user must see an error page).
func (a *AuthorizeRequest) Redirectable() bool {
	return a != nil && a.ar != nil && !a.badRedirect && a.ar.IsRedirectURIValid()
}

// ParseAuthorize validates an authorization request (GET or POST). On
// error the request may still be returned, for AuthorizeError.
func (p *Provider) ParseAuthorize(ctx context.Context, r *http.Request) (*AuthorizeRequest, error) {
	ar, err := p.fosite.NewAuthorizeRequest(ctx, r)
	a := &AuthorizeRequest{ar: ar, MaxAge: -1}
	if ar == nil {
		return nil, err
	}
	// The request ID names the grant's family (its code and every token
	// issued from it): time-ordered, the store appends their index entries.
	ar.SetID(store.NewTimeID(p.now()))
	if cl, ok := ar.GetClient().(*client); ok {
		a.Client = cl.c
	}
	if err != nil {
		return a, err
	}
	form := ar.GetRequestForm()
	// fosite lets a loopback redirect URI change its port (RFC 8252, for
	// native apps); other clients must send a registered URI exactly.
	if ru := form.Get("redirect_uri"); ru != "" && !slices.Contains(a.Client.RedirectURIs, ru) && a.Client.ApplicationType != "native" {
		a.badRedirect = true
		return a, fosite.ErrInvalidRequest.WithHint("The redirect_uri is not registered for this client.")
	}
	if len(ar.GetRequestedScopes()) == 0 && len(a.Client.Scope) > 0 {
		ar.SetRequestedScopes(fosite.Arguments(a.Client.Scope))
	}
	a.Scopes = dedupe(ar.GetRequestedScopes())
	a.Prompt = strings.Fields(form.Get("prompt"))
	for _, pr := range a.Prompt {
		if !slices.Contains([]string{"none", "login", "consent", "select_account", "create"}, pr) {
			return a, fosite.ErrInvalidRequest.WithHintf("Unknown prompt value %q.", pr)
		}
	}
	if a.HasPrompt("none") && len(a.Prompt) > 1 {
		return a, fosite.ErrInvalidRequest.WithHint("prompt=none cannot be combined with other values.")
	}
	if a.HasPrompt("create") && !p.cfg.EnableRegistration {
		return a, fosite.ErrInvalidRequest.WithHint("Registration is disabled: prompt=create is not supported.")
	}
	if ma := form.Get("max_age"); ma != "" {
		n, err := strconv.Atoi(ma)
		if err != nil || n < 0 {
			return a, fosite.ErrInvalidRequest.WithHint("max_age must be a non-negative integer.")
		}
		a.MaxAge = n
	} else if a.Client.DefaultMaxAge > 0 {
		a.MaxAge = a.Client.DefaultMaxAge
	}
	if ar.GetResponseTypes().Has("code") {
		cl, _ := ar.GetClient().(*client)
		switch {
		case cl != nil && cl.wantsPKCE(p.cfg.RequirePKCE) && form.Get("code_challenge") == "":
			return a, fosite.ErrInvalidRequest.WithHint("This client must use PKCE: send code_challenge and code_challenge_method=S256.")
		case form.Get("code_challenge") != "" && form.Get("code_challenge_method") != "S256":
			return a, fosite.ErrInvalidRequest.WithHint("Only the S256 code_challenge_method is supported.")
		}
	}
	a.UILocales = strings.Fields(form.Get("ui_locales"))
	a.LoginHint = form.Get("login_hint")
	if slices.Contains(a.Scopes, "openid") && p.cfg.RequireNonce && form.Get("nonce") == "" {
		return a, fosite.ErrInvalidRequest.WithHint("The nonce parameter is required.")
	}
	q := url.Values{}
	for k, v := range form {
		q[k] = v
	}
	if rest := slices.DeleteFunc(slices.Clone(a.Prompt), func(s string) bool {
		return s == "login" || s == "select_account" || s == "create"
	}); len(rest) > 0 {
		q.Set("prompt", strings.Join(rest, " "))
	} else {
		q.Del("prompt")
	}
	a.Query = q.Encode()
	return a, nil
}

// AuthorizeError sends err to the client's redirect URI. It must only be
// called when a.Redirectable().
func (p *Provider) AuthorizeError(w http.ResponseWriter, r *http.Request, a *AuthorizeRequest, err error) {
	p.logError(r, "authorization refused", err)
	p.fosite.WriteAuthorizeError(r.Context(), &issWriter{ResponseWriter: w, iss: p.cfg.Issuer}, a.ar, err)
}

// ErrorDescription is a readable text for an authorization error.
func ErrorDescription(err error) string {
	rfc := fosite.ErrorToRFC6749Error(err)
	if rfc.HintField != "" {
		return rfc.DescriptionField + " " + rfc.HintField
	}
	return rfc.DescriptionField
}

// Errors the web interface sends to clients.
var (
	ErrLoginRequired   = fosite.ErrLoginRequired
	ErrConsentRequired = fosite.ErrConsentRequired
	ErrAccessDenied    = fosite.ErrAccessDenied
)

// MayUseOIDC reports whether the ACL lets u sign in to applications.
func (p *Provider) MayUseOIDC(u *store.User) bool { return p.mayUseOIDC(u) }

// NeedsConsent reports whether the user must be asked: the client is not
// trusted and the user has not granted every requested scope yet (or the
// request says prompt=consent).
func (p *Provider) NeedsConsent(ctx context.Context, a *AuthorizeRequest, userID string) (bool, error) {
	if a.HasPrompt("consent") {
		return true, nil
	}
	if p.Trusted(&a.Client) {
		return false, nil
	}
	c, err := p.st.GetConsent(ctx, userID, a.Client.ID)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if !c.RevocationDate.IsZero() {
		return true, nil
	}
	for _, s := range a.Scopes {
		if !slices.Contains(c.Scope, s) {
			return true, nil
		}
	}
	return false, nil
}

// SaveConsent merges scopes into the user's consent for the client (and
// restores a revoked consent).
func (p *Provider) SaveConsent(ctx context.Context, userID, clientID string, scopes []string) error {
	c, err := p.st.GetConsent(ctx, userID, clientID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err == nil && c.RevocationDate.IsZero() {
		scopes = append(slices.Clone(c.Scope), scopes...)
	}
	_, err = p.st.PutConsent(ctx, store.Consent{Subject: userID, ClientID: clientID,
		Scope: dedupe(scopes), IssueDate: p.now().UTC()})
	return err
}

// Grant is the signed-in user's authorization.
type Grant struct {
	User store.User
	// AuthTime is when the user last authenticated; AMR how (RFC 8176).
	AuthTime time.Time
	AMR      []string
	// SessionID identifies the browser session (the sid claim).
	SessionID string
	// RequestedAt, when set, is when the request first arrived, before the
	// user was sent to sign in again for it (prompt=login, max_age).
	RequestedAt time.Time
}

// Finish issues what the request asked for to the user and redirects back
// to the client.
func (p *Provider) Finish(w http.ResponseWriter, r *http.Request, a *AuthorizeRequest, g Grant) {
	ctx := r.Context()
	ar := a.ar
	for _, s := range a.Scopes {
		ar.GrantScope(s)
	}
	for _, aud := range ar.GetRequestedAudience() {
		ar.GrantAudience(aud)
	}
	if len(ar.GetGrantedAudience()) == 0 {
		ar.GrantAudience(a.Client.ID)
	}
	u := &g.User
	sub := p.subject(u)
	sess := newSession()
	sess.UserID, sess.Login, sess.Subject, sess.BrowserSession = u.ID, u.UserName, sub, g.SessionID
	idc := sess.IDTokenClaims()
	idc.Subject = sub
	idc.Issuer = p.cfg.Issuer
	idc.AuthTime = g.AuthTime.UTC().Truncate(time.Second)
	idc.RequestedAt = ar.GetRequestedAt()
	if !g.RequestedAt.IsZero() {
		idc.RequestedAt = g.RequestedAt.UTC().Truncate(time.Second)
	}
	idc.AuthenticationMethodsReferences = g.AMR
	idc.Extra = map[string]any{}
	for k, v := range p.userClaims(u, a.Scopes) {
		if k != "sub" {
			idc.Extra[k] = v
		}
	}
	if g.SessionID != "" {
		idc.Extra["sid"] = g.SessionID
	}
	at := sess.GetJWTClaims().(*jwt.JWTClaims)
	at.Subject = sub
	setATExtra(sess, "client_id", a.Client.ID)
	setATExtra(sess, "auth_time", idc.AuthTime.Unix())
	ctx = withPendingCode(ctx)
	resp, err := p.fosite.NewAuthorizeResponse(ctx, ar, sess)
	if err == nil {
		err = p.storage.flushCode(ctx)
	}
	if err != nil {
		p.AuthorizeError(w, r, a, err)
		return
	}
	p.log.Info("authorization granted", "security", true, "client", a.Client.ID, "user", u.ID,
		"scope", strings.Join(a.Scopes, " "), "response_type", strings.Join(ar.GetResponseTypes(), " "))
	if ar.GetResponseMode() == fosite.ResponseModeFormPost {
		resp.AddParameter("iss", p.cfg.Issuer)
	}
	p.fosite.WriteAuthorizeResponse(ctx, &issWriter{ResponseWriter: w, iss: p.cfg.Issuer}, ar, resp)
}

// FormActionSources is what a Content-Security-Policy form-action must
// allow for the browser to follow the request's redirect after a form
// (the client's redirect URI origin).
func (a *AuthorizeRequest) FormActionSources() string {
	if a == nil || a.ar == nil || a.ar.GetRedirectURI() == nil {
		return ""
	}
	u := a.ar.GetRedirectURI()
	if u.Scheme == "http" || u.Scheme == "https" {
		return u.Scheme + "://" + u.Host
	}
	return u.Scheme + ":"
}

// issWriter adds the RFC 9207 iss parameter to authorization redirects.
type issWriter struct {
	http.ResponseWriter
	iss string
}

func (w *issWriter) WriteHeader(code int) {
	if code == http.StatusFound || code == http.StatusSeeOther {
		if loc := w.Header().Get("Location"); loc != "" {
			if u, err := url.Parse(loc); err == nil {
				if u.Fragment != "" || strings.HasSuffix(loc, "#") {
					f, _ := url.ParseQuery(u.Fragment)
					if f.Get("iss") == "" {
						f.Set("iss", w.iss)
						u.Fragment = f.Encode()
						u.RawFragment = ""
					}
				} else {
					q := u.Query()
					if q.Get("iss") == "" {
						q.Set("iss", w.iss)
						u.RawQuery = q.Encode()
					}
				}
				w.Header().Set("Location", u.String())
			}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// formPostScript submits the form_post response; its hash goes in the
// page's Content-Security-Policy.
const formPostScript = `document.forms[0].submit()`

var formPostTemplate = template.Must(template.New("form_post").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Signing in…</title></head>
<body><form method="post" action="{{ .RedirURL }}">
{{ range $key, $value := .Parameters }}{{ range $value }}<input type="hidden" name="{{ $key }}" value="{{ . }}">
{{ end }}{{ end }}<noscript><button type="submit">Continue</button></noscript></form>
<script>` + formPostScript + `</script></body></html>`))

// FormPostCSP is the Content-Security-Policy of form_post responses.
func (a *AuthorizeRequest) FormPostCSP() string {
	sum := sha256.Sum256([]byte(formPostScript))
	return "default-src 'none'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; form-action " + a.FormActionSources() + "; base-uri 'none'; frame-ancestors 'none'"
}

func dedupe(list []string) []string {
	var out []string
	for _, s := range list {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
