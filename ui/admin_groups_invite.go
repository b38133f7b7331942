package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	texttemplate "text/template"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/ui/mail"
)

// Group invitations: an owner of a group (or a manager of every group)
// emails an existing user a link; signed in as that user, the link adds
// them to the group. The link is a store ticket of kind
// TicketGroupInvitation: single use, expiring after InvitationExpiration,
// bound to the invitee's account.

func (a *App) groupInvitePage(c *ctx) error {
	g, err := c.manageableGroup()
	if err != nil {
		return err
	}
	if !a.mailEnabled() {
		return errDisabled
	}
	c.render(http.StatusOK, "group-invite", map[string]any{"Group": g, "URL": groupURL(&g)})
	return nil
}

// findUser finds a user by user name or email address.
func (a *App) findUser(ctx context.Context, login string) (store.User, error) {
	u, err := a.st.GetUserByName(ctx, login)
	if errors.Is(err, store.ErrNotFound) {
		u, err = a.st.GetUserByEmail(ctx, login)
	}
	return u, err
}

func (a *App) groupInviteSubmit(c *ctx) error {
	g, err := c.manageableGroup()
	if err != nil {
		return err
	}
	if !a.mailEnabled() {
		return errDisabled
	}
	ctx := c.r.Context()
	f := newForm()
	login := truncate(c.form("user"), 256)
	f.Values["user"] = login
	var u store.User
	if login == "" {
		c.fieldError(f, "user", "error_required")
	} else if u, err = a.findUser(ctx, login); errors.Is(err, store.ErrNotFound) {
		c.fieldError(f, "user", "group_invite_unknown")
	} else if err != nil {
		return err
	} else if g.HasMember(u.ID) {
		c.fieldError(f, "user", "group_invite_member")
	} else if u.PreferredEmail() == "" {
		c.fieldError(f, "user", "group_invite_no_email")
	}
	if !f.HasErrors() {
		token := store.NewSecret()
		exp := a.cfg.InvitationExpiration
		if _, err := a.st.CreateTicket(ctx, store.Ticket{Kind: store.TicketGroupInvitation, Token: token,
			UserID: u.ID, Email: u.PreferredEmail(), Created: c.now, Expires: c.now.Add(exp),
			Data: map[string]string{"group": g.ID, "inviter": c.user.UserName}}); err != nil {
			return err
		}
		if err := a.sendGroupInvitation(ctx, &u, &g, c.user, a.link("/group-invitation/"+token), c.lang); err != nil {
			c.fieldError(f, "user", "mail_failed")
		} else {
			c.audit(auditEvent{Action: "group.invite", TargetKind: "group", Target: g.DisplayName, TargetUserID: u.ID,
				Details: map[string]string{"user": u.UserName}})
			c.flash("success", "group_invite_sent")
			return c.redirect(groupURL(&g))
		}
	}
	c.renderForm(http.StatusUnprocessableEntity, "group-invite", map[string]any{"Group": g, "URL": groupURL(&g)}, f)
	return nil
}

// groupMailData is what the group invitation email sees: the common data
// and the group.
type groupMailData struct {
	*mailData
	Group   string
	Inviter string
}

// sendGroupInvitation mails the invitation link to u, in their language.
func (a *App) sendGroupInvitation(ctx context.Context, u *store.User, g *store.Group, inviter *store.User, link, lang string) error {
	m, err := a.composeGroupInvitation(u, g, inviter, link, lang)
	if err != nil {
		return err
	}
	if err := a.cfg.Mailer.Send(ctx, m); err != nil {
		a.log.Error("sending an email failed", "kind", "group_invitation", "error", err)
		return err
	}
	a.log.Info("email sent", "kind", "group_invitation")
	return nil
}

// composeGroupInvitation builds the invitation email from the templates
// templates/mail/group_invitation.txt and .html (a theme may override
// them).
func (a *App) composeGroupInvitation(u *store.User, g *store.Group, inviter *store.User, link, lang string) (mail.Message, error) {
	o := overlay{theme: a.cfg.Theme}
	funcs := a.funcs()
	tb, err := fs.ReadFile(o, "templates/mail/group_invitation.txt")
	if err != nil {
		return mail.Message{}, err
	}
	text, err := texttemplate.New("group_invitation").Funcs(texttemplate.FuncMap(funcs)).Parse(string(tb))
	if err != nil {
		return mail.Message{}, fmt.Errorf("ui: template mail/group_invitation.txt: %w", err)
	}
	layout, err := fs.ReadFile(o, "templates/mail/layout.html")
	if err != nil {
		return mail.Message{}, err
	}
	hb, err := fs.ReadFile(o, "templates/mail/group_invitation.html")
	if err != nil {
		return mail.Message{}, err
	}
	html := template.New("mail").Funcs(funcs)
	if _, err := html.Parse(string(layout)); err != nil {
		return mail.Message{}, fmt.Errorf("ui: template mail/layout.html: %w", err)
	}
	if _, err := html.Parse(string(hb)); err != nil {
		return mail.Message{}, fmt.Errorf("ui: template mail/group_invitation.html: %w", err)
	}
	lang = a.userLanguage(u, lang)
	d := groupMailData{mailData: &mailData{a: a, lang: lang, Name: a.cfg.Name, User: u, Link: link,
		Hours: int((a.cfg.InvitationExpiration + time.Hour - 1) / time.Hour), Email: u.PreferredEmail(), BaseURL: a.link("/")},
		Group: g.DisplayName, Inviter: inviter.Name()}
	var tbuf, hbuf bytes.Buffer
	if err := text.Execute(&tbuf, d); err != nil {
		return mail.Message{}, fmt.Errorf("ui: email template group_invitation.txt: %w", err)
	}
	if err := html.ExecuteTemplate(&hbuf, "mail", d); err != nil {
		return mail.Message{}, fmt.Errorf("ui: email template group_invitation.html: %w", err)
	}
	return mail.Message{To: u.PreferredEmail(), Subject: d.T("mail_group_invitation_subject", "Group", g.DisplayName, "Name", a.cfg.Name),
		Text: tbuf.String(), HTML: hbuf.String()}, nil
}

// The mail page previews the group invitation with made-up values.
func init() {
	mailSamples["group_invitation"] = func(a *App, lang string) (mail.Message, error) {
		u := &store.User{UserName: "jdoe", GivenName: "Jane", FamilyName: "Doe", FormattedName: "Jane Doe",
			Emails: []string{"jane.doe@example.org"}}
		inviter := &store.User{UserName: "admin", FormattedName: "Alex Admin"}
		return a.composeGroupInvitation(u, &store.Group{DisplayName: "staff"}, inviter, a.link("/group-invitation/SAMPLE"), lang)
	}
}

// openGroupInvitation checks the invitation of the URL for the signed-in
// user. It renders the page that explains what is wrong and returns false
// when the invitation cannot be used.
func (a *App) openGroupInvitation(c *ctx) (store.Ticket, store.Group, store.User, bool, error) {
	ctx := c.r.Context()
	token := c.p.ByName("token")
	var none store.Group
	var inviter store.User
	t, err := a.st.GetTicket(ctx, store.TicketGroupInvitation, token, c.now)
	if errors.Is(err, store.ErrNotFound) || len(token) > 256 {
		c.render(http.StatusGone, "link-invalid", nil)
		return t, none, inviter, false, nil
	} else if err != nil {
		return t, none, inviter, false, err
	}
	if t.UserID != c.user.ID {
		c.security("group_invitation_refused", "reason", "another account")
		c.render(http.StatusForbidden, "error", map[string]any{"Status": http.StatusForbidden, "Message": "group_invitation_other_account"})
		return t, none, inviter, false, nil
	}
	g, err := a.st.GetGroup(ctx, t.Data["group"])
	if errors.Is(err, store.ErrNotFound) {
		c.render(http.StatusGone, "link-invalid", nil)
		return t, g, inviter, false, nil
	} else if err != nil {
		return t, g, inviter, false, err
	}
	inviter, _ = a.st.GetUserByName(ctx, t.Data["inviter"])
	return t, g, inviter, true, nil
}

func (a *App) groupInvitationPage(c *ctx) error {
	if c.user == nil {
		return c.requireUser()
	}
	_, g, inviter, ok, err := a.openGroupInvitation(c)
	if !ok {
		return err
	}
	c.render(http.StatusOK, "group-invitation", map[string]any{"Group": g, "Inviter": &inviter,
		"Member": g.HasMember(c.user.ID)})
	return nil
}

// groupInvitationSubmit accepts the invitation: the ticket is used once.
func (a *App) groupInvitationSubmit(c *ctx) error {
	if c.user == nil {
		return c.requireUser()
	}
	t, g, _, ok, err := a.openGroupInvitation(c)
	if !ok {
		return err
	}
	ctx := c.r.Context()
	if _, err := a.st.ConsumeTicket(ctx, store.TicketGroupInvitation, c.p.ByName("token"), c.now); errors.Is(err, store.ErrNotFound) {
		c.render(http.StatusGone, "link-invalid", nil)
		return nil
	} else if err != nil {
		return err
	}
	if err := a.st.AddMember(ctx, g.ID, c.user.ID); err != nil {
		return err
	}
	c.audit(auditEvent{Action: "group.join", TargetKind: "group", Target: g.DisplayName, TargetUserID: c.user.ID,
		Details: map[string]string{"user": c.user.UserName, "invited_by": t.Data["inviter"]}})
	c.flash("success", "group_joined")
	if c.rights.Can(acl.ManageAllGroups) || c.rights.Can(acl.ManageOwnGroups) {
		return c.redirect("/groups")
	}
	return c.redirect("/profile/" + pathEscapeSegment(c.user.UserName))
}
