package ui

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/canaille-go/canaille/oidc"
	"github.com/canaille-go/canaille/store"
)

// The OpenID Connect pages: the authorization endpoint (sign-in, consent),
// the consent list of /consent, and RP-initiated logout. The protocol
// endpoints of the provider are mounted as they are, without CSRF tokens
// (clients authenticate themselves).

// reauthParam carries, in the authorization request replayed after a
// forced sign-in (prompt=login, max_age), a sealed timestamp: the sign-in
// must be more recent than it.
const reauthParam = "_canaille_reauth"

// consentLifetime bounds the time a user may take on the consent page.
const consentLifetime = 15 * time.Minute

type reauthMark struct {
	Since int64 `json:"s"`
}

// pendingConsent is the sealed state of the consent form.
type pendingConsent struct {
	Query     string `json:"q"`
	UserID    string `json:"u"`
	SessionID string `json:"s"`
	Since     int64  `json:"t,omitempty"`
}

func (a *App) oidcRoutes() {
	p := a.cfg.OIDC
	for _, rt := range p.Routes() {
		a.Handle(rt.Method, rt.Path, rt.Handler, RouteOptions{NoCSRF: true})
	}
	authorize := func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		a.serveNoCSRF(w, r, ps, a.authorize)
	}
	a.router.Handle(http.MethodGet, "/oauth/authorize", authorize)
	a.router.Handle(http.MethodPost, "/oauth/authorize", authorize)
	a.cop.AddInsecureBypassPattern("POST /oauth/authorize")
	a.page(http.MethodPost, "/oauth/consent", a.consentSubmit)
	a.page(http.MethodGet, "/consent", a.consentsPage)
	a.page(http.MethodPost, "/consent", a.consentsSubmit)
	endSession := func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		a.serveNoCSRF(w, r, ps, a.endSession)
	}
	a.router.Handle(http.MethodGet, "/oauth/end_session", endSession)
	a.router.Handle(http.MethodPost, "/oauth/end_session", endSession)
	a.cop.AddInsecureBypassPattern("POST /oauth/end_session")
	a.page(http.MethodPost, "/oauth/end_session/confirm", a.endSessionConfirm)
}

// serveNoCSRF is serve for the endpoints that relying parties send users
// to with a cross-site POST: they change nothing before the user acts on
// a CSRF-protected page.
func (a *App) serveNoCSRF(w http.ResponseWriter, r *http.Request, p httprouter.Params, h func(*ctx) error) {
	c := &ctx{a: a, w: w, r: r, p: p, now: a.cfg.Now(), client: clientFrom(r.Context())}
	if err := a.loadSession(c); err != nil {
		a.fail(c, err)
		return
	}
	if r.Method == http.MethodPost {
		// Parse the form now so that a too large body is an error page.
		if err := r.ParseForm(); err != nil {
			a.fail(c, &httpError{status: http.StatusBadRequest, msg: "error_bad_request"})
			return
		}
	}
	c.lang = a.language(c)
	if loc := r.FormValue("ui_locales"); loc != "" && (c.user == nil || c.user.PreferredLanguage == "") {
		for _, l := range strings.Fields(loc) {
			if m := a.i18n.supported(l); m != "" {
				c.lang = m
				break
			}
		}
	}
	c.csrf = a.csrfToken(c)
	if err := h(c); err != nil {
		a.fail(c, err)
	}
}

// oidcError shows an authorization error that cannot go back to the
// client (no valid redirect URI): an error page, never a redirect.
func (c *ctx) oidcError(status int, err error) error {
	c.render(status, "error", map[string]any{"Status": status, "Message": "oidc_error",
		"Detail": oidc.ErrorDescription(err)})
	return nil
}

// authorizeFailed reports err to the client when its redirect URI is
// known, else on an error page.
func (a *App) authorizeFailed(c *ctx, req *oidc.AuthorizeRequest, err error) error {
	if req.Redirectable() {
		a.cfg.OIDC.AuthorizeError(c.w, c.r, req, err)
		return nil
	}
	a.log.Info("authorization request refused", "error", oidc.ErrorDescription(err))
	return c.oidcError(http.StatusBadRequest, err)
}

// authorize is /oauth/authorize.
func (a *App) authorize(c *ctx) error {
	p := a.cfg.OIDC
	req, err := p.ParseAuthorize(c.r.Context(), c.r)
	if err != nil {
		return a.authorizeFailed(c, req, err)
	}
	var since time.Time
	var mark reauthMark
	if v := c.r.FormValue(reauthParam); v != "" && open(a.keys.login, v, c.now, &mark) {
		since = time.Unix(mark.Since, 0)
	}
	replay := func() string {
		q, _ := url.ParseQuery(req.Query)
		q.Del(reauthParam)
		s, _ := seal(a.keys.login, reauthMark{Since: c.now.Unix()}, c.now.Add(time.Hour))
		q.Set(reauthParam, s)
		return "/oauth/authorize?" + q.Encode()
	}
	if req.HasPrompt("create") && c.user == nil {
		return c.redirect("/register?next=" + url.QueryEscape(replay()))
	}
	fresh := c.user != nil && !since.IsZero() && !c.session.AuthTime.Before(since)
	needLogin := c.user == nil
	if c.user != nil && !fresh {
		if req.HasPrompt("login") || req.HasPrompt("select_account") ||
			req.MaxAge >= 0 && c.session.AuthTime.Add(time.Duration(req.MaxAge)*time.Second).Before(c.now) {
			needLogin = true
		}
	}
	if needLogin {
		if req.HasPrompt("none") {
			return a.authorizeFailed(c, req, oidc.ErrLoginRequired)
		}
		if c.user != nil {
			// Sign in again: as another account for select_account.
			if err := c.endSession(false); err != nil {
				return err
			}
		}
		next := replay()
		if req.LoginHint != "" {
			return c.redirect(loginURL(next) + "&login_hint=" + url.QueryEscape(req.LoginHint))
		}
		return c.redirect(loginURL(next))
	}
	if !p.MayUseOIDC(c.user) {
		c.security("oidc_denied", "client", req.Client.ID, "reason", "no use_oidc permission")
		return a.authorizeFailed(c, req, oidc.ErrAccessDenied.WithHint("Your account may not sign in to applications."))
	}
	need, err := p.NeedsConsent(c.r.Context(), req, c.user.ID)
	if err != nil {
		return err
	}
	if need {
		if req.HasPrompt("none") {
			return a.authorizeFailed(c, req, oidc.ErrConsentRequired)
		}
		return a.showConsent(c, req, since)
	}
	a.finish(c, c.r, req, since)
	return nil
}

// finish hands the authorization back to the provider, which redirects
// to the client.
func (a *App) finish(c *ctx, r *http.Request, req *oidc.AuthorizeRequest, since time.Time) {
	a.allowFormAction(c, req)
	a.cfg.OIDC.Finish(c.w, r, req, oidc.Grant{User: *c.user, AuthTime: c.session.AuthTime,
		AMR: c.session.AMR, SessionID: c.session.ID, RequestedAt: since})
}

// allowFormAction lets a form_post response submit itself: its own CSP
// allows its inline script and its target.
func (a *App) allowFormAction(c *ctx, req *oidc.AuthorizeRequest) {
	if c.r.FormValue("response_mode") == "form_post" || strings.Contains(req.Query, "response_mode=form_post") {
		c.w.Header().Set("Content-Security-Policy", req.FormPostCSP())
	}
}

// scopeInfo is a scope as the consent page shows it.
type scopeInfo struct {
	Name, Title, Text string
}

func (a *App) showConsent(c *ctx, req *oidc.AuthorizeRequest, since time.Time) error {
	state := pendingConsent{Query: req.Query, UserID: c.user.ID, SessionID: c.session.ID}
	if !since.IsZero() {
		state.Since = since.Unix()
	}
	sealed, err := seal(a.keys.login, state, c.now.Add(consentLifetime))
	if err != nil {
		return err
	}
	var scopes []scopeInfo
	for _, s := range req.Scopes {
		if s == "openid" {
			continue
		}
		id := "scope_" + s
		if !a.hasMessage(c, id+"_title") {
			scopes = append(scopes, scopeInfo{Name: s, Title: s})
			continue
		}
		scopes = append(scopes, scopeInfo{Name: s, Title: a.i18n.text(c.lang, id+"_title"), Text: a.i18n.text(c.lang, id+"_text")})
	}
	cl := req.Client
	name := cl.ClientName
	if name == "" {
		name = cl.ID
	}
	c.render(http.StatusOK, "consent", map[string]any{
		"Client": cl, "ClientName": name, "Scopes": scopes, "State": sealed,
		"Host": hostOf(cmp.Or(cl.ClientURI, firstOf(cl.RedirectURIs))),
	})
	return nil
}

// openState decodes the sealed state of a consent or logout form into v;
// when it is invalid or expired it shows an error page and returns false.
func (c *ctx) openState(v any) bool {
	if open(c.a.keys.login, c.form("state"), c.now, v) {
		return true
	}
	c.render(http.StatusBadRequest, "error", map[string]any{"Status": http.StatusBadRequest, "Message": "consent_expired"})
	return false
}

// consentSubmit is the answer of the consent page.
func (a *App) consentSubmit(c *ctx) error {
	var st pendingConsent
	if !c.openState(&st) {
		return nil
	}
	if c.user == nil || c.user.ID != st.UserID || c.session.ID != st.SessionID {
		return c.redirect(loginURL("/oauth/authorize?" + st.Query))
	}
	r2 := c.r.Clone(c.r.Context())
	r2.Method, r2.Body, r2.Form, r2.PostForm = http.MethodGet, http.NoBody, nil, nil
	r2.URL = &url.URL{Path: "/oauth/authorize", RawQuery: st.Query}
	r2.Header = c.r.Header.Clone()
	r2.Header.Del("Content-Type")
	req, err := a.cfg.OIDC.ParseAuthorize(r2.Context(), r2)
	if err != nil {
		return a.authorizeFailed(c, req, err)
	}
	var since time.Time
	if st.Since != 0 {
		since = time.Unix(st.Since, 0)
	}
	switch c.form("answer") {
	case "accept":
		if err := a.cfg.OIDC.SaveConsent(c.r.Context(), c.user.ID, req.Client.ID, req.Scopes); err != nil {
			return err
		}
		c.security("consent_given", "client", req.Client.ID, "scope", strings.Join(req.Scopes, " "))
		a.finish(c, r2, req, since)
		return nil
	case "switch":
		if err := c.endSession(false); err != nil {
			return err
		}
		return c.redirect(loginURL("/oauth/authorize?" + st.Query))
	default:
		c.security("consent_denied", "client", req.Client.ID)
		a.allowFormAction(c, req)
		a.cfg.OIDC.AuthorizeError(c.w, r2, req, oidc.ErrAccessDenied.WithHint("The user refused."))
		return nil
	}
}

// consentEntry is a line of the consent list.
type consentEntry struct {
	Consent store.Consent
	Client  store.Client
	Name    string
	Scopes  []string
}

// consentsPage lists the applications the user allowed.
func (a *App) consentsPage(c *ctx) error {
	if c.user == nil {
		return c.requireUser()
	}
	ctx := c.r.Context()
	consents, err := a.st.ListConsents(ctx, c.user.ID, "")
	if err != nil {
		return err
	}
	var list []consentEntry
	for _, co := range consents {
		if !co.RevocationDate.IsZero() {
			continue
		}
		cl, err := a.st.GetClient(ctx, co.ClientID)
		if err != nil {
			continue
		}
		e := consentEntry{Consent: co, Client: cl, Name: cmp.Or(cl.ClientName, cl.ID)}
		for _, s := range co.Scope {
			if s == "openid" {
				continue
			}
			if a.hasMessage(c, "scope_"+s+"_title") {
				s = a.i18n.text(c.lang, "scope_"+s+"_title")
			}
			e.Scopes = append(e.Scopes, s)
		}
		list = append(list, e)
	}
	slices.SortFunc(list, func(x, y consentEntry) int { return strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)) })
	c.render(http.StatusOK, "consents", map[string]any{"Consents": list})
	return nil
}

// consentsSubmit revokes a consent and the tokens issued under it.
func (a *App) consentsSubmit(c *ctx) error {
	if c.user == nil {
		return c.requireUser()
	}
	ctx := c.r.Context()
	co, err := a.st.GetConsent(ctx, c.user.ID, c.form("client"))
	if errors.Is(err, store.ErrNotFound) || err == nil && co.Subject != c.user.ID {
		return errNotFound
	}
	if err != nil {
		return err
	}
	if co.RevocationDate.IsZero() {
		co.RevocationDate = c.now
		if _, err := a.st.PutConsent(ctx, co); err != nil {
			return err
		}
	}
	n, err := a.st.RevokeTokens(ctx, store.TokenQuery{ClientID: co.ClientID, Subject: c.user.ID}, c.now)
	if err != nil {
		return err
	}
	c.security("consent_revoked", "client", co.ClientID, "tokens_revoked", n)
	c.flash("success", "consent_revoked")
	return c.redirect("/consent")
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

func firstOf(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}

// hasMessage reports whether the catalogue has message id.
func (a *App) hasMessage(c *ctx, id string) bool { return a.i18n.text(c.lang, id) != id }

// Languages lists the languages of the interface (BCP 47 tags).
func (a *App) Languages() []string {
	var out []string
	for _, t := range a.i18n.tags {
		out = append(out, t.String())
	}
	return out
}

// pendingLogout is the sealed state of the logout confirmation form.
type pendingLogout struct {
	UserID      string `json:"u"`
	RedirectURI string `json:"r,omitempty"`
}

// endSession is /oauth/end_session: RP-initiated logout. A valid
// id_token_hint of the signed-in user signs out at once; otherwise the
// user confirms, so that no other site can sign them out.
func (a *App) endSession(c *ctx) error {
	p := a.cfg.OIDC
	form := c.r.URL.Query()
	if c.r.Method == http.MethodPost {
		form = c.r.PostForm
	}
	lr, err := p.ParseLogout(c.r.Context(), form)
	if err != nil {
		return c.oidcError(http.StatusBadRequest, err)
	}
	if c.user == nil {
		return a.afterLogout(c, lr.RedirectURI)
	}
	sameUser := lr.HintValid && lr.Subject == p.Subject(c.user) &&
		(lr.LogoutHint == "" || strings.EqualFold(lr.LogoutHint, c.user.UserName) || slices.Contains(c.user.Emails, lr.LogoutHint))
	if sameUser {
		if err := a.signOut(c, "rp_logout"); err != nil {
			return err
		}
		return a.afterLogout(c, lr.RedirectURI)
	}
	state, err := seal(a.keys.login, pendingLogout{UserID: c.user.ID, RedirectURI: lr.RedirectURI}, c.now.Add(consentLifetime))
	if err != nil {
		return err
	}
	name := ""
	if lr.Client != nil {
		name = cmp.Or(lr.Client.ClientName, lr.Client.ID)
	}
	c.render(http.StatusOK, "end-session", map[string]any{"State": state, "ClientName": name})
	return nil
}

// endSessionConfirm is the answer of the logout confirmation.
func (a *App) endSessionConfirm(c *ctx) error {
	var st pendingLogout
	if !c.openState(&st) {
		return nil
	}
	if c.user != nil && c.user.ID == st.UserID && c.form("answer") == "logout" {
		if err := a.signOut(c, "rp_logout"); err != nil {
			return err
		}
		return a.afterLogout(c, st.RedirectURI)
	}
	if c.user != nil {
		return c.redirect("/profile/" + url.PathEscape(c.user.UserName))
	}
	return c.redirect("/login")
}

// signOut ends the browser session and notifies the clients that asked
// for back-channel logout.
func (a *App) signOut(c *ctx, event string) error {
	u, sid := *c.user, c.session.ID
	if err := c.endSession(false); err != nil {
		return err
	}
	c.security(event, "user", u.UserName)
	if a.cfg.OIDC != nil {
		a.cfg.OIDC.LoggedOut(c.r.Context(), &u, sid)
	}
	return nil
}

func (a *App) afterLogout(c *ctx, redirect string) error {
	if redirect == "" {
		c.flash("success", "logout_done")
		return c.redirect("/login")
	}
	http.Redirect(c.w, c.r, redirect, http.StatusSeeOther)
	return nil
}
