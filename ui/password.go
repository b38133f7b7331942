package ui

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"unicode/utf8"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// checkNewPassword applies the password policy and the confirmation to
// the "password" and "password_confirm" fields.
func (c *ctx) checkNewPassword(f *form, pw, confirm string, u *store.User) {
	pol := c.a.cfg.PasswordPolicy
	n := utf8.RuneCountInString(pw)
	switch {
	case pw == "":
		c.fieldError(f, "password", "error_required")
	case n < pol.MinLength:
		c.fieldError(f, "password", "password_too_short", "Count", pol.MinLength)
	case pol.MaxLength > 0 && n > pol.MaxLength:
		c.fieldError(f, "password", "password_too_long", "Count", pol.MaxLength)
	case pol.Check(pw, u) != nil:
		c.fieldError(f, "password", "password_personal")
	case subtle.ConstantTimeCompare([]byte(pw), []byte(confirm)) != 1:
		c.fieldError(f, "password_confirm", "password_mismatch")
	}
}

// passwordData is the data of the change-password page.
func (a *App) passwordData(u *store.User, self bool) map[string]any {
	return map[string]any{"Target": u, "Self": self, "Min": a.cfg.PasswordPolicy.MinLength,
		"Max": a.cfg.PasswordPolicy.MaxLength}
}

func (a *App) changePasswordPage(c *ctx) error {
	u, acc, err := c.profileTarget()
	if u == nil {
		return err
	}
	if !acc.canWrite("password") {
		return errForbidden
	}
	c.render(http.StatusOK, "change-password", a.passwordData(u, acc.self))
	return nil
}

// changePasswordSubmit changes a password: users give their current one;
// managers (manage_users) set another user's without it. Every other
// session of the user ends.
func (a *App) changePasswordSubmit(c *ctx) error {
	u, acc, err := c.profileTarget()
	if u == nil {
		return err
	}
	if !acc.canWrite("password") {
		return errForbidden
	}
	ctx := c.r.Context()
	f := newForm()
	data := a.passwordData(u, acc.self)
	if acc.self {
		old := c.rawForm("old_password")
		if a.cfg.Lockout != nil {
			if wait := a.cfg.Lockout.Wait(u.PasswordFailureTimestamps, c.now); wait > 0 {
				c.fieldError(f, "old_password", "login_lockout", "Count", int(wait.Seconds())+1)
				c.renderForm(http.StatusTooManyRequests, "change-password", data, f)
				return nil
			}
		}
		if old == "" {
			c.fieldError(f, "old_password", "error_required")
		} else if _, err := a.st.Authenticate(ctx, u.UserName, old); errors.Is(err, store.ErrInvalidCredentials) {
			c.security("password change refused", "user", u.UserName, "reason", "wrong current password")
			c.fieldError(f, "old_password", "password_wrong_current")
		} else if err != nil {
			return err
		}
	}
	pw := c.rawForm("password")
	c.checkNewPassword(f, pw, c.rawForm("password_confirm"), u)
	if f.HasErrors() {
		c.renderForm(http.StatusUnprocessableEntity, "change-password", data, f)
		return nil
	}
	if err := a.st.SetPassword(ctx, u.ID, pw); err != nil {
		return err
	}
	keep := ""
	if acc.self {
		// This session goes on: it saw the new password.
		keep = c.session.ID
		if _, err := a.st.UpdateSession(ctx, keep, func(s *store.Session) error {
			s.AuthTime = a.cfg.Now()
			return nil
		}); err != nil {
			return err
		}
	}
	n, err := a.st.DeleteUserSessions(ctx, u.ID, keep)
	if err != nil {
		return err
	}
	c.security("password changed", "user", u.UserName, "sessions_ended", n)
	c.flash("success", "password_changed")
	return c.redirect("/profile/" + pathEscapeSegment(u.UserName))
}

// resetPage asks for the identifier of the account to recover.
func (a *App) resetPage(c *ctx) error {
	if !a.cfg.EnablePasswordRecovery {
		return errDisabled
	}
	c.render(http.StatusOK, "reset", map[string]any{"Identifier": a.identifierLabel()})
	return nil
}

// resetSubmit sends a single-use link to the account's address. The
// answer is the same whether the account exists or not, and the mail
// leaves in the background, so that neither the page nor its timing
// reveals accounts.
func (a *App) resetSubmit(c *ctx) error {
	if !a.cfg.EnablePasswordRecovery {
		return errDisabled
	}
	login := c.form("login")
	if login == "" || len(login) > 254 {
		f := newForm()
		c.fieldError(f, "login", "error_required")
		c.renderForm(http.StatusUnprocessableEntity, "reset", map[string]any{"Identifier": a.identifierLabel()}, f)
		return nil
	}
	ctx := c.r.Context()
	u, found, err := a.findLogin(ctx, login)
	if err != nil {
		return err
	}
	if !found && validEmail(login) {
		u, err = a.st.GetUserByEmail(ctx, login)
		found = err == nil
	}
	switch {
	case !found:
		c.security("password reset requested", "login", login, "result", "no such account")
	case u.Locked(c.now) || len(u.Emails) == 0 || !a.cfg.Policy.For(&u).Can(acl.EditSelf):
		c.security("password reset refused", "user", u.UserName, "reason", "locked, no email or no edit_self")
	case !a.sent.allow("reset:"+u.ID, c.now):
		c.security("password reset refused", "user", u.UserName, "reason", "too frequent")
	default:
		to := u.PreferredEmail()
		if containsFold(u.Emails, login) {
			to = login
		}
		token := store.NewSecret()
		if _, err := a.st.CreateTicket(ctx, store.Ticket{Kind: store.TicketPasswordReset, Token: token,
			UserID: u.ID, Email: to, Created: c.now, Expires: c.now.Add(a.cfg.ResetExpiration)}); err != nil {
			return err
		}
		c.security("password reset requested", "user", u.UserName)
		a.sendLater(mailRequest{kind: "reset", to: to, lang: a.userLanguage(&u, c.lang), user: &u,
			link: a.link("/reset/" + token), expires: a.cfg.ResetExpiration})
	}
	c.render(http.StatusOK, "reset-sent", nil)
	return nil
}

// resetTicket finds the unexpired, unused reset ticket of the URL.
func (c *ctx) resetTicket() (*store.Ticket, *store.User, error) {
	t, err := c.a.st.GetTicket(c.r.Context(), store.TicketPasswordReset, c.p.ByName("token"), c.now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	u, err := c.a.st.GetUser(c.r.Context(), t.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Locked(c.now)) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return &t, &u, nil
}

func (a *App) resetTokenPage(c *ctx) error {
	if !a.cfg.EnablePasswordRecovery {
		return errDisabled
	}
	t, u, err := c.resetTicket()
	if err != nil {
		return err
	}
	if t == nil {
		c.render(http.StatusGone, "link-invalid", map[string]any{"Retry": "/reset"})
		return nil
	}
	c.render(http.StatusOK, "reset-password", a.passwordData(u, true))
	return nil
}

// resetTokenSubmit sets the new password, uses the link up and ends every
// session of the account.
func (a *App) resetTokenSubmit(c *ctx) error {
	if !a.cfg.EnablePasswordRecovery {
		return errDisabled
	}
	t, u, err := c.resetTicket()
	if err != nil {
		return err
	}
	if t == nil {
		c.render(http.StatusGone, "link-invalid", map[string]any{"Retry": "/reset"})
		return nil
	}
	f := newForm()
	pw := c.rawForm("password")
	c.checkNewPassword(f, pw, c.rawForm("password_confirm"), u)
	if f.HasErrors() {
		c.renderForm(http.StatusUnprocessableEntity, "reset-password", a.passwordData(u, true), f)
		return nil
	}
	ctx := c.r.Context()
	if _, err := a.st.ConsumeTicket(ctx, store.TicketPasswordReset, c.p.ByName("token"), c.now); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			c.render(http.StatusGone, "link-invalid", map[string]any{"Retry": "/reset"})
			return nil
		}
		return err
	}
	if err := a.st.SetPassword(ctx, u.ID, pw); err != nil {
		return err
	}
	n, err := a.st.DeleteUserSessions(ctx, u.ID, "")
	if err != nil {
		return err
	}
	if c.session != nil && c.session.UserID == u.ID {
		c.clearCookie(cookieSession)
	}
	c.security("password reset", "user", u.UserName, "sessions_ended", n)
	c.flash("success", "password_reset_done")
	return c.redirect("/login")
}
