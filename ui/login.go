package ui

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/canaille-go/canaille/store"
)

// Sign-in is a pipeline of factors, run in order: the identifier page
// (/login) starts it, each factor's page completes one step, and the
// session starts when every factor is done. The progress is kept in a
// short-lived signed cookie, so that an anonymous visitor writes nothing
// to the store. Today the pipeline holds the password; TOTP, WebAuthn or
// emailed codes are further factors with their own pages.

// factor is one step of the sign-in pipeline.
type factor interface {
	// name identifies the factor in the progress cookie and in the
	// session's authentication methods (AMR).
	name() string
	// path is the page of the factor.
	path() string
}

type passwordFactor struct{}

func (passwordFactor) name() string { return "pwd" }
func (passwordFactor) path() string { return "/auth/password" }

// loginTimeout bounds a sign-in in progress.
const loginTimeout = 10 * time.Minute

// loginState is the progress of a sign-in.
type loginState struct {
	Login    string   `json:"l"`           // the identifier as typed
	UserID   string   `json:"u,omitempty"` // set by the first factor that proves who the user is
	Done     []string `json:"f,omitempty"` // names of the completed factors
	Remember bool     `json:"r,omitempty"`
	Next     string   `json:"n,omitempty"` // where to go afterwards
	Started  int64    `json:"s"`
}

func (c *ctx) loginState() (*loginState, bool) {
	v := c.cookie(cookieLogin)
	if v == "" {
		return nil, false
	}
	var st loginState
	if !open(c.a.keys.login, v, c.now, &st) {
		return nil, false
	}
	return &st, true
}

func (c *ctx) saveLoginState(st *loginState) error {
	v, err := seal(c.a.keys.login, st, c.now.Add(loginTimeout))
	if err != nil {
		return err
	}
	c.setCookie(cookieLogin, v, int(loginTimeout/time.Second))
	return nil
}

// afterLogin is where a signed-in user goes: next when it is ours, else
// their profile.
func (c *ctx) afterLogin(next string) string {
	if n := safeNext(next); n != "" {
		return n
	}
	return "/profile/" + url.PathEscape(c.user.UserName)
}

// loginPage is the first step: the identifier and "remember me".
func (a *App) loginPage(c *ctx) error {
	next := safeNext(c.r.URL.Query().Get("next"))
	if c.user != nil {
		return c.redirect(c.afterLogin(next))
	}
	f := newForm()
	f.Values["next"] = next
	if st, ok := c.loginState(); ok {
		f.Values["login"] = st.Login
		if st.Remember {
			f.Values["remember"] = "on"
		}
	}
	c.renderForm(http.StatusOK, "login", a.loginData(), f)
	return nil
}

func (a *App) loginData() map[string]any {
	return map[string]any{
		"Registration": a.cfg.EnableRegistration,
		"Recovery":     a.cfg.EnablePasswordRecovery,
		"Identifier":   a.identifierLabel(),
	}
}

// identifierLabel is the message ID naming what the login field accepts.
func (a *App) identifierLabel() string {
	switch {
	case a.loginAttribute("user_name") && a.loginAttribute("emails"):
		return "login_identifier_both"
	case a.loginAttribute("emails"):
		return "login_identifier_email"
	}
	return "login_identifier_username"
}

func (a *App) loginSubmit(c *ctx) error {
	f := newForm()
	login := c.form("login")
	next := safeNext(c.form("next"))
	f.Values["login"], f.Values["next"] = login, next
	if c.form("remember") != "" {
		f.Values["remember"] = "on"
	}
	switch {
	case login == "":
		c.fieldError(f, "login", "error_required")
	case len(login) > 254:
		c.fieldError(f, "login", "login_unknown")
	}
	if !f.HasErrors() && !a.cfg.HideInvalidLogins {
		if _, found, err := a.findLogin(c.r.Context(), login); err != nil {
			return err
		} else if !found {
			c.fieldError(f, "login", "login_unknown")
		}
	}
	if f.HasErrors() {
		c.renderForm(http.StatusUnprocessableEntity, "login", a.loginData(), f)
		return nil
	}
	st := &loginState{Login: login, Remember: f.Values["remember"] != "", Next: next, Started: c.now.Unix()}
	if err := c.saveLoginState(st); err != nil {
		return err
	}
	return c.redirect(a.nextFactor(st).path())
}

// findLogin finds the user an identifier names, through the configured
// login attributes.
func (a *App) findLogin(ctx context.Context, login string) (store.User, bool, error) {
	if a.loginAttribute("user_name") {
		u, err := a.st.GetUserByName(ctx, login)
		if err == nil {
			return u, true, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return store.User{}, false, err
		}
	}
	if a.loginAttribute("emails") && strings.Contains(login, "@") {
		u, err := a.st.GetUserByEmail(ctx, login)
		if err == nil {
			return u, true, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return store.User{}, false, err
		}
	}
	return store.User{}, false, nil
}

// nextFactor is the first factor not done yet, nil when all are.
func (a *App) nextFactor(st *loginState) factor {
	for _, f := range a.factors {
		if !slices.Contains(st.Done, f.name()) {
			return f
		}
	}
	return nil
}

// completeFactor records a done factor and goes on: to the next factor, or
// into the session.
func (c *ctx) completeFactor(st *loginState, f factor, u *store.User) error {
	if st.UserID != "" && st.UserID != u.ID {
		return errForbidden // a factor proved someone else
	}
	st.UserID = u.ID
	st.Done = append(st.Done, f.name())
	if nf := c.a.nextFactor(st); nf != nil {
		if err := c.saveLoginState(st); err != nil {
			return err
		}
		return c.redirect(nf.path())
	}
	fresh, err := c.a.st.GetUser(c.r.Context(), u.ID)
	if err != nil {
		return err
	}
	if fresh.Locked(c.now) {
		return &httpError{status: http.StatusForbidden, msg: "login_locked"}
	}
	if err := c.startSession(&fresh, st.Remember, c.now, st.Done); err != nil {
		return err
	}
	c.clearCookie(cookieLogin)
	c.security("login", "user", fresh.UserName, "methods", strings.Join(st.Done, ","), "remember", st.Remember)
	return c.redirect(c.afterLogin(st.Next))
}

// passwordPage asks for the password of the identifier typed before.
func (a *App) passwordPage(c *ctx) error {
	st, ok := c.loginState()
	if !ok {
		return c.redirect("/login")
	}
	c.renderForm(http.StatusOK, "password", map[string]any{"Login": st.Login, "Recovery": a.cfg.EnablePasswordRecovery}, nil)
	return nil
}

func (a *App) passwordSubmit(c *ctx) error {
	st, ok := c.loginState()
	if !ok {
		c.flash("error", "login_expired")
		return c.redirect("/login")
	}
	data := map[string]any{"Login": st.Login, "Recovery": a.cfg.EnablePasswordRecovery}
	f := newForm()
	pw := c.rawForm("password")
	if pw == "" {
		c.fieldError(f, "password", "error_required")
		c.renderForm(http.StatusUnprocessableEntity, "password", data, f)
		return nil
	}
	ctx := c.r.Context()
	u, found, err := a.findLogin(ctx, st.Login)
	if err != nil {
		return err
	}
	if a.cfg.Lockout != nil {
		var wait time.Duration
		if found {
			wait = a.cfg.Lockout.Wait(u.PasswordFailureTimestamps, c.now)
		} else {
			wait = a.failures.wait(*a.cfg.Lockout, st.Login, c.now)
		}
		if wait > 0 {
			c.security("login refused", "login", st.Login, "reason", "intruder lockout")
			a.signIn("locked")
			c.fieldError(f, "password", "login_lockout", "Count", int(math.Ceil(wait.Seconds())))
			c.renderForm(http.StatusTooManyRequests, "password", data, f)
			return nil
		}
	}
	name := st.Login
	if found {
		name = u.UserName
	}
	u, err = a.st.Authenticate(ctx, name, pw)
	switch {
	case errors.Is(err, store.ErrInvalidCredentials):
		if !found {
			a.failures.add(st.Login, c.now)
		}
		c.security("login failed", "login", st.Login)
		a.signIn("failure")
		c.fieldError(f, "password", "login_failed")
		c.renderForm(http.StatusUnprocessableEntity, "password", data, f)
		return nil
	case errors.Is(err, store.ErrLocked):
		c.security("login refused", "login", st.Login, "reason", "account locked")
		a.signIn("locked")
		c.fieldError(f, "password", "login_locked")
		c.renderForm(http.StatusForbidden, "password", data, f)
		return nil
	case err != nil:
		return err
	}
	a.signIn("success")
	return c.completeFactor(st, passwordFactor{}, &u)
}

// signIn reports the outcome of a password check to Config.SignIn.
func (a *App) signIn(outcome string) {
	if a.cfg.SignIn != nil {
		a.cfg.SignIn(outcome)
	}
}

// logoutPage asks for confirmation: signing out changes state, so it is
// a form (a GET link could be triggered by any page).
func (a *App) logoutPage(c *ctx) error {
	if c.user == nil {
		return c.redirect("/login")
	}
	c.render(http.StatusOK, "logout", nil)
	return nil
}

func (a *App) logoutSubmit(c *ctx) error {
	if c.user == nil {
		return c.redirect("/login")
	}
	name, u, sid := c.user.UserName, *c.user, c.session.ID
	everywhere := c.form("everywhere") != ""
	if err := c.endSession(everywhere); err != nil {
		return err
	}
	if a.cfg.OIDC != nil {
		if everywhere {
			sid = ""
		}
		a.cfg.OIDC.LoggedOut(c.r.Context(), &u, sid)
	}
	c.security("logout", "user", name, "everywhere", everywhere)
	c.flash("success", "logout_done")
	return c.redirect("/login")
}

// failureTracker counts the sign-in failures of identifiers that match no
// account, so that the lockout delay looks the same for them as for real
// accounts. It forgets the oldest identifiers beyond its capacity.
type failureTracker struct {
	mu  sync.Mutex
	max int
	m   map[string][]time.Time
}

func newFailureTracker(max int) *failureTracker {
	return &failureTracker{max: max, m: map[string][]time.Time{}}
}

func (t *failureTracker) add(login string, now time.Time) {
	k := strings.ToLower(login)
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.m[k]; !ok && len(t.m) >= t.max {
		for old := range t.m { // drop an arbitrary entry: bounded memory matters more
			delete(t.m, old)
			break
		}
	}
	fs := append(t.m[k], now)
	if len(fs) > 32 {
		fs = fs[len(fs)-32:]
	}
	t.m[k] = fs
}

func (t *failureTracker) wait(p store.LockoutPolicy, login string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return p.Wait(t.m[strings.ToLower(login)], now)
}

// rateLimiter allows one event per key and interval (emails per
// recipient), with bounded memory.
type rateLimiter struct {
	mu    sync.Mutex
	max   int
	every time.Duration
	last  map[string]time.Time
}

func newRateLimiter(max int, every time.Duration) *rateLimiter {
	return &rateLimiter{max: max, every: every, last: map[string]time.Time{}}
}

func (l *rateLimiter) allow(key string, now time.Time) bool {
	key = strings.ToLower(key)
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.last[key]; ok && now.Sub(t) < l.every {
		return false
	}
	if len(l.last) >= l.max {
		for k, t := range l.last {
			if now.Sub(t) >= l.every {
				delete(l.last, k)
			}
		}
		if len(l.last) >= l.max {
			return false
		}
	}
	l.last[key] = now
	return true
}
