package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/canaille-go/canaille/store"
)

// Invitation is what an administrator prepares for a new user: the link
// it gives opens the account creation form with these values.
type Invitation struct {
	UserName string
	// Editable lets the invitee change the proposed user name.
	Editable bool
	Email    string
	// GroupIDs are the groups the new account joins.
	GroupIDs []string
	// InvitedBy is the user name of the administrator, for the logs.
	InvitedBy string
}

// CreateInvitation stores an invitation and returns its link: a random,
// single-use token valid for INVITATION_EXPIRATION (the store keeps only
// its digest). The administration pages show the link or email it.
func (a *App) CreateInvitation(ctx context.Context, inv Invitation) (link string, expires time.Time, err error) {
	if inv.UserName != "" {
		if r := store.ValidUserName(inv.UserName); r != "" {
			return "", time.Time{}, &store.ValidationError{Field: "user_name", Reason: r}
		}
	}
	if inv.Email != "" && !validEmail(inv.Email) {
		return "", time.Time{}, &store.ValidationError{Field: "email", Reason: "must be an email address such as alice@example.org"}
	}
	for _, g := range inv.GroupIDs {
		if _, err := a.st.GetGroup(ctx, g); err != nil {
			return "", time.Time{}, fmt.Errorf("invitation group %s: %w", g, err)
		}
	}
	now := a.cfg.Now()
	token := store.NewSecret()
	editable := "false"
	if inv.Editable || inv.UserName == "" {
		editable = "true"
	}
	t, err := a.st.CreateTicket(ctx, store.Ticket{Kind: store.TicketInvitation, Token: token, Email: inv.Email,
		Created: now, Expires: now.Add(a.cfg.InvitationExpiration), Data: map[string]string{
			"user_name": inv.UserName, "editable": editable, "groups": strings.Join(inv.GroupIDs, ","),
			"invited_by": inv.InvitedBy}})
	if err != nil {
		return "", time.Time{}, err
	}
	a.log.Info("security event", "category", "security", "event", "invitation created",
		"actor", inv.InvitedBy, "user_name", inv.UserName)
	return a.link("/register/" + token), t.Expires, nil
}

// SendInvitation emails an invitation link to inv.Email.
func (a *App) SendInvitation(ctx context.Context, inv Invitation, link, lang string) error {
	if a.cfg.Mailer == nil {
		return errors.New("ui: no mail server is configured ([CANAILLE.SMTP])")
	}
	return a.sendMail(ctx, mailRequest{kind: "invitation", to: inv.Email, lang: lang, link: link,
		expires: a.cfg.InvitationExpiration})
}

// registerPage starts a registration: with mail, the visitor first proves
// an address (a link is sent); without, the account form is shown at once.
func (a *App) registerPage(c *ctx) error {
	if !a.cfg.EnableRegistration {
		return errDisabled
	}
	next := safeNext(c.r.URL.Query().Get("next"))
	if c.user != nil {
		return c.redirect(c.afterLogin(next))
	}
	f := newForm()
	f.Values["next"] = next
	if a.mailEnabled() {
		c.renderForm(http.StatusOK, "register-email", nil, f)
		return nil
	}
	c.renderForm(http.StatusOK, "register", a.registerData(nil), f)
	return nil
}

func (a *App) registerSubmit(c *ctx) error {
	if !a.cfg.EnableRegistration {
		return errDisabled
	}
	if !a.mailEnabled() {
		return a.createAccount(c, nil)
	}
	email := c.form("email")
	if !validEmail(email) {
		f := newForm()
		f.Values["email"], f.Values["next"] = email, safeNext(c.form("next"))
		c.fieldError(f, "email", "error_email", "Value", email)
		c.renderForm(http.StatusUnprocessableEntity, "register-email", nil, f)
		return nil
	}
	ctx := c.r.Context()
	_, err := a.st.GetUserByEmail(ctx, email)
	switch {
	case err == nil:
		// Same answer as for a new address: the page must not tell who
		// has an account.
		c.security("registration refused", "reason", "address already used")
	case !errors.Is(err, store.ErrNotFound):
		return err
	case !a.sent.allow("register:"+email, c.now):
		c.security("registration refused", "reason", "too frequent")
	default:
		token := store.NewSecret()
		var data map[string]string
		if next := safeNext(c.form("next")); next != "" {
			// The application the user came from, to go back to after
			// the account is created (prompt=create).
			data = map[string]string{"next": next}
		}
		if _, err := a.st.CreateTicket(ctx, store.Ticket{Kind: store.TicketRegistration, Token: token, Email: email,
			Data: data, Created: c.now, Expires: c.now.Add(a.cfg.InvitationExpiration)}); err != nil {
			return err
		}
		c.security("registration link sent")
		a.sendLater(mailRequest{kind: "registration", to: email, lang: c.lang,
			link: a.link("/register/" + token), expires: a.cfg.InvitationExpiration})
	}
	c.render(http.StatusOK, "register-sent", map[string]any{"Email": email})
	return nil
}

// registrationTicket finds the registration or invitation ticket of the
// URL, nil when it is unknown, used or expired.
func (c *ctx) registrationTicket() (*store.Ticket, error) {
	token := c.p.ByName("token")
	for _, kind := range []string{store.TicketInvitation, store.TicketRegistration} {
		t, err := c.a.st.GetTicket(c.r.Context(), kind, token, c.now)
		if err == nil {
			return &t, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return nil, nil
}

func (a *App) registerData(t *store.Ticket) map[string]any {
	d := map[string]any{"Min": a.cfg.PasswordPolicy.MinLength, "EmailFixed": false, "NameFixed": false, "Invitation": false}
	if t != nil {
		d["EmailFixed"] = t.Email != ""
		d["Invitation"] = t.Kind == store.TicketInvitation
		d["NameFixed"] = t.Kind == store.TicketInvitation && t.Data["editable"] == "false"
	}
	return d
}

func (a *App) registerTokenPage(c *ctx) error {
	t, err := c.registrationTicket()
	if err != nil {
		return err
	}
	if t == nil {
		c.render(http.StatusGone, "link-invalid", a.retryRegistration())
		return nil
	}
	if t.Kind == store.TicketRegistration && !a.cfg.EnableRegistration {
		return errDisabled
	}
	f := newForm()
	f.Values["email"], f.Values["user_name"] = t.Email, t.Data["user_name"]
	c.renderForm(http.StatusOK, "register", a.registerData(t), f)
	return nil
}

func (a *App) registerTokenSubmit(c *ctx) error {
	t, err := c.registrationTicket()
	if err != nil {
		return err
	}
	if t == nil {
		c.render(http.StatusGone, "link-invalid", a.retryRegistration())
		return nil
	}
	if t.Kind == store.TicketRegistration && !a.cfg.EnableRegistration {
		return errDisabled
	}
	return a.createAccount(c, t)
}

// createAccount validates the account form and creates the user: from a
// registration or invitation ticket (whose address and, for invitations,
// user name and groups are imposed), or from open registration without
// mail. The new user is signed in.
func (a *App) createAccount(c *ctx, t *store.Ticket) error {
	ctx := c.r.Context()
	f := newForm()
	for _, k := range []string{"user_name", "given_name", "family_name", "email", "next"} {
		f.Values[k] = c.form(k)
	}
	if t != nil {
		if t.Email != "" {
			f.Values["email"] = t.Email
		}
		if t.Kind == store.TicketInvitation && t.Data["editable"] == "false" {
			f.Values["user_name"] = t.Data["user_name"]
		}
	}
	u := store.User{UserName: f.Values["user_name"], GivenName: f.Values["given_name"],
		FamilyName: f.Values["family_name"], PreferredLanguage: c.lang}
	if e := f.Values["email"]; e != "" {
		u.Emails = []string{e}
	}
	if r := store.ValidUserName(u.UserName); r != "" {
		c.fieldError(f, "user_name", "error_user_name")
	}
	if e := f.Values["email"]; e != "" && !validEmail(e) {
		c.fieldError(f, "email", "error_email", "Value", e)
	}
	pw := c.rawForm("password")
	c.checkNewPassword(f, pw, c.rawForm("password_confirm"), &u)
	if !f.HasErrors() {
		if _, err := a.st.GetUserByName(ctx, u.UserName); err == nil {
			c.fieldError(f, "user_name", "error_user_name_taken")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if e := f.Values["email"]; e != "" {
			if _, err := a.st.GetUserByEmail(ctx, e); err == nil {
				c.fieldError(f, "email", "error_email_taken")
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	if f.HasErrors() {
		c.renderForm(http.StatusUnprocessableEntity, "register", a.registerData(t), f)
		return nil
	}
	created, err := a.st.CreateUser(ctx, u)
	if err != nil {
		if errors.Is(err, store.ErrExists) {
			c.fieldError(f, "user_name", "error_user_name_taken")
			c.renderForm(http.StatusUnprocessableEntity, "register", a.registerData(t), f)
			return nil
		}
		if c.storeErrors(f, err) {
			c.renderForm(http.StatusUnprocessableEntity, "register", a.registerData(t), f)
			return nil
		}
		return err
	}
	if t != nil {
		// Use the link only now that the account exists; if another
		// request used it meanwhile, undo.
		if _, err := a.st.ConsumeTicket(ctx, t.Kind, c.p.ByName("token"), c.now); err != nil {
			if derr := a.st.DeleteUser(ctx, created.ID); derr != nil {
				a.log.Error("undoing an account creation", "user", created.UserName, "error", derr)
			}
			if errors.Is(err, store.ErrNotFound) {
				c.render(http.StatusGone, "link-invalid", a.retryRegistration())
				return nil
			}
			return err
		}
	}
	if err := a.st.SetPassword(ctx, created.ID, pw); err != nil {
		return err
	}
	if t != nil && t.Data["groups"] != "" {
		for _, g := range strings.Split(t.Data["groups"], ",") {
			if err := a.st.AddMember(ctx, g, created.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	how := "registration"
	if t != nil && t.Kind == store.TicketInvitation {
		how = "invitation"
	}
	c.security("account created", "user", created.UserName, "through", how, "invited_by", ticketData(t, "invited_by"))
	fresh, err := a.st.GetUser(ctx, created.ID)
	if err != nil {
		return err
	}
	if err := c.startSession(&fresh, false, c.now, []string{"pwd"}); err != nil {
		return err
	}
	c.flash("success", "register_welcome")
	next := c.form("next")
	if t != nil {
		next = ticketData(t, "next")
	}
	if next = safeNext(next); next != "" {
		return c.redirect(next)
	}
	return c.redirect("/profile/" + pathEscapeSegment(fresh.UserName))
}

func ticketData(t *store.Ticket, k string) string {
	if t == nil {
		return ""
	}
	return t.Data[k]
}

// confirmEmailPage asks to confirm: mail scanners open links, so the
// address is added by the POST of this page, not by opening the link.
func (a *App) confirmEmailPage(c *ctx) error {
	t, u, err := c.emailTicket()
	if err != nil {
		return err
	}
	if t == nil {
		c.render(http.StatusGone, "link-invalid", nil)
		return nil
	}
	c.render(http.StatusOK, "confirm-email", map[string]any{"Email": t.Email, "Target": u})
	return nil
}

func (a *App) confirmEmailSubmit(c *ctx) error {
	t, u, err := c.emailTicket()
	if err != nil {
		return err
	}
	if t == nil {
		c.render(http.StatusGone, "link-invalid", nil)
		return nil
	}
	ctx := c.r.Context()
	if _, err := a.st.ConsumeTicket(ctx, store.TicketEmailConfirmation, c.p.ByName("token"), c.now); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			c.render(http.StatusGone, "link-invalid", nil)
			return nil
		}
		return err
	}
	_, err = a.st.UpdateUser(ctx, u.ID, func(nu *store.User) error {
		if !containsFold(nu.Emails, t.Email) {
			nu.Emails = append(nu.Emails, t.Email)
		}
		return nil
	})
	if errors.Is(err, store.ErrExists) {
		c.render(http.StatusConflict, "error", map[string]any{"Status": http.StatusConflict, "Message": "error_email_taken"})
		return nil
	}
	if err != nil {
		return err
	}
	c.security("email confirmed", "user", u.UserName)
	c.flash("success", "email_confirmed")
	if c.user != nil && c.user.ID == u.ID {
		return c.redirect("/profile/" + pathEscapeSegment(u.UserName))
	}
	return c.redirect("/login")
}

func (c *ctx) emailTicket() (*store.Ticket, *store.User, error) {
	t, err := c.a.st.GetTicket(c.r.Context(), store.TicketEmailConfirmation, c.p.ByName("token"), c.now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	u, err := c.a.st.GetUser(c.r.Context(), t.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return &t, &u, nil
}

// retryRegistration is the data of the invalid-link page of registration
// links: where to ask for a new one, when registration is open.
func (a *App) retryRegistration() map[string]any {
	if a.cfg.EnableRegistration {
		return map[string]any{"Retry": "/register"}
	}
	return nil
}
