package ui

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// Impersonation (impersonate_users): an administrator acts as another
// user in a session of that user which carries the administrator's ID
// (store.Session.ImpersonatorID), so that every page shows a banner and
// every audited action names the administrator. The administrator's own
// session is set aside: its sign-in data travel in the impersonation
// session and come back as a new session when they stop.

// impersonationState is the Data of an impersonation session.
type impersonationState struct {
	Admin    string    `json:"admin"` // user name, for the banner
	Created  time.Time `json:"created"`
	AuthTime time.Time `json:"auth_time"`
	AMR      []string  `json:"amr,omitempty"`
	Remember bool      `json:"remember,omitempty"`
	Expires  time.Time `json:"expires"`
}

// impersonation returns the state of an impersonation session, nil for
// another session.
func (c *ctx) impersonation() *impersonationState {
	if c.session == nil || c.session.ImpersonatorID == "" {
		return nil
	}
	var st impersonationState
	if json.Unmarshal(c.session.Data, &st) != nil {
		return &impersonationState{}
	}
	return &st
}

// Impersonator is the user name of the administrator acting as the
// signed-in user, "" outside impersonation (the banner of the layout).
func (p *page) Impersonator() string {
	if st := p.c.impersonation(); st != nil {
		if st.Admin == "" {
			return "?"
		}
		return st.Admin
	}
	return ""
}

var errImpersonation = &httpError{status: http.StatusBadRequest, msg: "users_impersonate_refused"}

// impersonateStart asks for a confirmation, then signs the browser in as
// the user of the URL.
func (a *App) impersonateStart(c *ctx) error {
	if err := c.require(acl.ImpersonateUsers); err != nil {
		return err
	}
	u, err := a.st.GetUserByName(c.r.Context(), c.p.ByName("user"))
	if err != nil {
		return err
	}
	if u.ID == c.user.ID || u.Locked(c.now) || c.session.ImpersonatorID != "" {
		// Oneself, a locked account, or already acting as someone.
		return errImpersonation
	}
	base := "/profile/" + pathEscapeSegment(u.UserName)
	if c.form("confirm") != "yes" {
		c.render(http.StatusOK, "user-confirm", map[string]any{"Target": &u, "Kind": "impersonate",
			"Action": base + "/impersonate", "Back": base + "/settings"})
		return nil
	}
	ctx := c.r.Context()
	old := *c.session
	data, err := json.Marshal(impersonationState{Admin: c.user.UserName, Created: old.Created, AuthTime: old.AuthTime,
		AMR: old.AMR, Remember: old.Remember, Expires: old.Expires})
	if err != nil {
		return err
	}
	token := store.NewSecret()
	expires := c.now.Add(a.cfg.BrowserSessionLifetime)
	if old.Expires.Before(expires) {
		expires = old.Expires
	}
	if _, err := a.st.CreateSession(ctx, store.Session{Token: token, UserID: u.ID, Created: c.now, LastSeen: c.now,
		Expires: expires, AuthTime: a.cfg.Now(), AMR: old.AMR, UserAgent: truncate(c.r.UserAgent(), 200),
		RemoteAddr: c.client.ip, ImpersonatorID: c.user.ID, Data: data}); err != nil {
		return err
	}
	c.audit(auditEvent{Action: "user.impersonate", TargetKind: "user", Target: u.UserName, TargetUserID: u.ID})
	if err := a.st.DeleteSession(ctx, old.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	c.setCookie(cookieSession, token, 0)
	c.newCSRF()
	return c.redirect(base)
}

// impersonateStop ends the impersonation and gives the administrator
// their own session back (or the sign-in page, when it has expired, or
// the administrator was locked or changed password meanwhile).
func (a *App) impersonateStop(c *ctx) error {
	if c.user == nil {
		if err := c.requireUser(); err != nil {
			return err
		}
		return errRedirected
	}
	st := c.impersonation()
	if st == nil {
		return &httpError{status: http.StatusBadRequest, msg: "users_not_impersonating"}
	}
	ctx := c.r.Context()
	target, adminID := *c.user, c.session.ImpersonatorID
	c.audit(auditEvent{Action: "user.impersonate_stop", TargetKind: "user", Target: target.UserName, TargetUserID: target.ID})
	if err := a.st.DeleteSession(ctx, c.session.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	c.user, c.session = nil, nil
	admin, err := a.st.GetUser(ctx, adminID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err != nil || admin.Locked(c.now) || !c.now.Before(st.Expires) || admin.PasswordLastUpdate.After(st.AuthTime) {
		c.clearCookie(cookieSession)
		c.newCSRF()
		c.flash("info", "users_impersonation_ended_login")
		return c.redirect("/login")
	}
	token := store.NewSecret()
	if _, err := a.st.CreateSession(ctx, store.Session{Token: token, UserID: admin.ID, Created: st.Created,
		LastSeen: c.now, Expires: st.Expires, AuthTime: st.AuthTime, AMR: st.AMR, Remember: st.Remember,
		UserAgent: truncate(c.r.UserAgent(), 200), RemoteAddr: c.client.ip}); err != nil {
		return err
	}
	maxAge := 0
	if st.Remember {
		maxAge = int(st.Expires.Sub(c.now) / time.Second)
	}
	c.setCookie(cookieSession, token, maxAge)
	c.newCSRF()
	c.flash("success", "users_impersonation_ended")
	return c.redirect("/profile/" + pathEscapeSegment(target.UserName) + "/settings")
}
