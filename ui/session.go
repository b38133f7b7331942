package ui

import (
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// Cookie names. Under https they take the __Host- prefix, which browsers
// accept only when Secure, for path / and without Domain, so that no
// sibling host can set them.
const (
	cookieSession = "canaille_session"
	cookieCSRF    = "canaille_csrf"
	cookieLogin   = "canaille_login"
	cookieFlash   = "canaille_flash"
	cookieLang    = "canaille_lang"
)

// sessionTouchEvery is how often LastSeen is written, so that a busy user
// does not write to the store on every page.
const sessionTouchEvery = 5 * time.Minute

func (a *App) cookieName(name string) string {
	if a.secure() {
		return "__Host-" + name
	}
	return name
}

// setCookie sets an HttpOnly, SameSite=Lax cookie for the whole site;
// maxAge 0 makes a browser-session cookie, a negative one deletes it.
func (c *ctx) setCookie(name, value string, maxAge int) {
	http.SetCookie(c.w, &http.Cookie{
		Name: c.a.cookieName(name), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: c.a.secure(), SameSite: http.SameSiteLaxMode,
	})
}

func (c *ctx) cookie(name string) string {
	ck, err := c.r.Cookie(c.a.cookieName(name))
	if err != nil {
		return ""
	}
	return ck.Value
}

func (c *ctx) clearCookie(name string) {
	if c.cookie(name) != "" {
		c.setCookie(name, "", -1)
	}
}

// loadSession finds the signed-in user of the request, if any. A
// session whose user is gone or locked is ended.
func (a *App) loadSession(c *ctx) error {
	token := c.cookie(cookieSession)
	if token == "" {
		return nil
	}
	if len(token) > 256 {
		c.clearCookie(cookieSession)
		return nil
	}
	ctx := c.r.Context()
	s, err := a.st.GetSessionByToken(ctx, token, c.now)
	if errors.Is(err, store.ErrNotFound) {
		c.clearCookie(cookieSession)
		return nil
	}
	if err != nil {
		return err
	}
	u, err := a.st.GetUser(ctx, s.UserID)
	// A session ends with its user, a lock, and a password change made
	// after it began (through LDAP, the command line or another session).
	if errors.Is(err, store.ErrNotFound) || (err == nil && (u.Locked(c.now) || u.PasswordLastUpdate.After(s.AuthTime))) {
		if derr := a.st.DeleteSession(ctx, s.ID); derr != nil && !errors.Is(derr, store.ErrNotFound) {
			return derr
		}
		c.clearCookie(cookieSession)
		return nil
	}
	if err != nil {
		return err
	}
	if s.ImpersonatorID != "" && !a.impersonatorValid(c, &s) {
		if derr := a.st.DeleteSession(ctx, s.ID); derr != nil && !errors.Is(derr, store.ErrNotFound) {
			return derr
		}
		c.clearCookie(cookieSession)
		return nil
	}
	if c.now.Sub(s.LastSeen) > sessionTouchEvery {
		if ns, err := a.st.UpdateSession(ctx, s.ID, func(s *store.Session) error {
			s.LastSeen = c.now
			return nil
		}); err == nil {
			s = ns
		}
	}
	c.user, c.session = &u, &s
	c.rights = a.cfg.Policy.For(&u)
	return nil
}

// impersonatorValid reports whether the administrator behind an
// impersonation session may still act: not deleted, not locked, no
// password change since, still allowed to impersonate.
func (a *App) impersonatorValid(c *ctx, s *store.Session) bool {
	admin, err := a.st.GetUser(c.r.Context(), s.ImpersonatorID)
	if err != nil || admin.Locked(c.now) || admin.PasswordLastUpdate.After(s.AuthTime) {
		return false
	}
	return a.cfg.Policy.For(&admin).Can(acl.ImpersonateUsers)
}

// startSession signs u in: a new session with a new random cookie (never
// one the browser had before), and a new CSRF cookie.
func (c *ctx) startSession(u *store.User, remember bool, authTime time.Time, amr []string) error {
	a := c.a
	if old := c.session; old != nil {
		if err := a.st.DeleteSession(c.r.Context(), old.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	life := a.cfg.BrowserSessionLifetime
	if remember {
		life = a.cfg.SessionLifetime
	}
	token := store.NewSecret()
	if now := a.cfg.Now(); now.After(authTime) {
		authTime = now // after any password set during this request
	}
	s, err := a.st.CreateSession(c.r.Context(), store.Session{
		Token: token, UserID: u.ID, Created: c.now, LastSeen: c.now, Expires: c.now.Add(life),
		AuthTime: authTime, AMR: amr, Remember: remember,
		UserAgent: truncate(c.r.UserAgent(), 200), RemoteAddr: c.client.ip,
	})
	if err != nil {
		return err
	}
	maxAge := 0
	if remember {
		maxAge = int(life / time.Second)
	}
	c.setCookie(cookieSession, token, maxAge)
	c.newCSRF()
	c.user, c.session = u, &s
	c.rights = a.cfg.Policy.For(u)
	return nil
}

// endSession signs the browser out; everywhere also ends the user's other
// sessions.
func (c *ctx) endSession(everywhere bool) error {
	if c.session == nil {
		return nil
	}
	ctx := c.r.Context()
	if everywhere {
		if _, err := c.a.st.DeleteUserSessions(ctx, c.user.ID, ""); err != nil {
			return err
		}
	} else if err := c.a.st.DeleteSession(ctx, c.session.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	c.clearCookie(cookieSession)
	c.newCSRF()
	c.user, c.session = nil, nil
	return nil
}

// csrfToken returns the form token of the request, bound to the CSRF
// cookie (set now when the browser has none).
func (a *App) csrfToken(c *ctx) string {
	v := c.cookie(cookieCSRF)
	if len(v) < 20 || len(v) > 100 {
		if c.r.Method == http.MethodPost {
			return "" // a POST without the cookie cannot carry a valid token
		}
		return c.newCSRF()
	}
	return b64.EncodeToString(mac(a.keys.csrf, v))
}

// newCSRF sets a new CSRF cookie and returns its token.
func (c *ctx) newCSRF() string {
	v := rand.Text()
	c.setCookie(cookieCSRF, v, 0)
	c.csrf = b64.EncodeToString(mac(c.a.keys.csrf, v))
	return c.csrf
}

// csrfValid parses the form of a POST and checks its csrf_token.
func (a *App) csrfValid(c *ctx) bool {
	var err error
	if strings.HasPrefix(c.r.Header.Get("Content-Type"), "multipart/form-data") {
		err = c.r.ParseMultipartForm(1 << 20)
	} else {
		err = c.r.ParseForm()
	}
	if err != nil || c.csrf == "" {
		return false
	}
	return hmac.Equal([]byte(c.r.PostFormValue("csrf_token")), []byte(c.csrf))
}

// flash is a one-time message shown on the next page.
type flash struct {
	Kind string `json:"k"` // success, error, info
	Msg  string `json:"m"` // message ID
}

func (c *ctx) flash(kind, msg string) {
	v, err := seal(c.a.keys.flash, flash{Kind: kind, Msg: msg}, c.now.Add(5*time.Minute))
	if err == nil {
		c.setCookie(cookieFlash, v, 300)
	}
}

// takeFlash returns and clears the pending flash message.
func (c *ctx) takeFlash() *flash {
	v := c.cookie(cookieFlash)
	if v == "" {
		return nil
	}
	c.clearCookie(cookieFlash)
	var f flash
	if !open(c.a.keys.flash, v, c.now, &f) {
		return nil
	}
	return &f
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
