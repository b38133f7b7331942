package ui

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// ctx is one request as the page handlers see it.
type ctx struct {
	a *App
	w http.ResponseWriter
	r *http.Request
	p httprouter.Params

	// user and session are the signed-in user, nil when anonymous.
	user    *store.User
	session *store.Session
	rights  acl.Rights

	lang   string
	csrf   string // the form token of this request
	now    time.Time
	client clientInfo
}

// httpError is an error shown to the user with an HTTP status; msg is a
// message ID of the catalogue.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return http.StatusText(e.status) + ": " + e.msg }

var (
	errNotFound  = &httpError{status: http.StatusNotFound, msg: "error_not_found"}
	errForbidden = &httpError{status: http.StatusForbidden, msg: "error_forbidden"}
	errBadCSRF   = &httpError{status: http.StatusForbidden, msg: "error_csrf"}
	errDisabled  = &httpError{status: http.StatusNotFound, msg: "error_disabled"}
)

// serve runs a page handler: it loads the session, the language and the
// CSRF token, checks the token on state-changing requests, and renders an
// error page for a returned error.
func (a *App) serve(w http.ResponseWriter, r *http.Request, p httprouter.Params, h func(*ctx) error) {
	c := &ctx{a: a, w: w, r: r, p: p, now: a.cfg.Now(), client: clientFrom(r.Context())}
	if err := a.loadSession(c); err != nil {
		a.fail(c, err)
		return
	}
	c.lang = a.language(c)
	c.csrf = a.csrfToken(c)
	if r.Method == http.MethodPost && !a.csrfValid(c) {
		a.fail(c, errBadCSRF)
		return
	}
	if err := h(c); err != nil {
		a.fail(c, err)
	}
}

// fail renders err as an error page.
func (a *App) fail(c *ctx, err error) {
	if err == errRedirected {
		return
	}
	var he *httpError
	switch {
	case errors.As(err, &he):
	case errors.Is(err, store.ErrNotFound):
		he = errNotFound
	case errors.Is(err, context.Canceled):
		return
	default:
		a.log.Error("web request failed", "method", c.r.Method, "path", c.r.URL.Path, "error", err)
		he = &httpError{status: http.StatusInternalServerError, msg: "error_internal"}
	}
	c.render(he.status, "error", map[string]any{"Status": he.status, "Message": he.msg})
}

// redirect answers with a 303 to a local path.
func (c *ctx) redirect(path string) error {
	http.Redirect(c.w, c.r, path, http.StatusSeeOther)
	return nil
}

// form returns a trimmed form value (the form is parsed by csrfValid).
func (c *ctx) form(name string) string { return strings.TrimSpace(c.r.PostFormValue(name)) }

// rawForm returns a form value as typed (passwords).
func (c *ctx) rawForm(name string) string { return c.r.PostFormValue(name) }

// security logs a security event: sign-ins, password changes, account
// creations.
func (c *ctx) security(event string, args ...any) {
	args = append([]any{"category", "security", "event", event, "client_ip", c.client.ip}, args...)
	if c.user != nil {
		args = append(args, "actor", c.user.UserName)
	}
	c.a.log.LogAttrs(c.r.Context(), slog.LevelInfo, "security event", argsToAttrs(args)...)
}

func argsToAttrs(args []any) []slog.Attr {
	var out []slog.Attr
	for i := 0; i+1 < len(args); i += 2 {
		k, _ := args[i].(string)
		out = append(out, slog.Any(k, args[i+1]))
	}
	return out
}

// requireUser returns a redirect to the sign-in page when anonymous.
func (c *ctx) requireUser() error {
	if c.user != nil {
		return nil
	}
	next := c.r.URL.Path
	if c.r.URL.RawQuery != "" {
		next += "?" + c.r.URL.RawQuery
	}
	if c.r.Method != http.MethodGet {
		next = ""
	}
	return c.redirect(loginURL(next))
}

// errRedirected tells a handler that requireUser answered.
func loginURL(next string) string {
	if next == "" || next == "/" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(next)
}

// safeNext returns next when it is a path of this site (no scheme, no
// host, no protocol-relative or backslash tricks), else "".
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || next[0] != '/' {
		return ""
	}
	if strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\\\r\n\t\x00") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	return next
}

// home sends a signed-in user to their profile, others to the sign-in page.
func (a *App) home(c *ctx) error {
	if c.user == nil {
		return c.redirect("/login")
	}
	return c.redirect("/profile/" + url.PathEscape(c.user.UserName))
}

// about shows the product and its version.
func (a *App) about(c *ctx) error {
	c.render(http.StatusOK, "about", map[string]any{"Version": a.cfg.Version})
	return nil
}
