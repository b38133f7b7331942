package ui

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/ui/mail"
)

// mailKinds are the email templates: templates/mail/KIND.txt and
// KIND.html, with the subject "mail_KIND_subject" of the catalogue.
var mailKinds = []string{"reset", "registration", "invitation", "email_confirmation", "test"}

// mailTimeout bounds the sending of one email in the background.
const mailTimeout = time.Minute

// mailRequest is one email to send.
type mailRequest struct {
	kind    string
	to      string
	lang    string
	user    *store.User // the recipient's account, if any
	link    string
	expires time.Duration
}

// mailData is what the email templates see.
type mailData struct {
	a       *App
	lang    string
	Name    string // organisation name
	User    *store.User
	Link    string
	Hours   int
	Email   string
	BaseURL string
}

// T translates a message ID into the recipient's language.
func (d *mailData) T(id string, args ...any) string { return d.a.i18n.text(d.lang, id, args...) }

// composeMail renders the subject and both parts of an email.
func (a *App) composeMail(r mailRequest) (mail.Message, error) {
	t := a.tpl.mails[r.kind]
	if t == nil {
		return mail.Message{}, fmt.Errorf("ui: no email template %q", r.kind)
	}
	d := &mailData{a: a, lang: r.lang, Name: a.cfg.Name, User: r.user, Link: r.link,
		Hours: int((r.expires + time.Hour - 1) / time.Hour), Email: r.to, BaseURL: a.link("/")}
	var text, html bytes.Buffer
	if err := t.text.Execute(&text, d); err != nil {
		return mail.Message{}, fmt.Errorf("ui: email template %s.txt: %w", r.kind, err)
	}
	if err := t.html.ExecuteTemplate(&html, "mail", d); err != nil {
		return mail.Message{}, fmt.Errorf("ui: email template %s.html: %w", r.kind, err)
	}
	return mail.Message{To: r.to, Subject: d.T(t.subject, "Name", a.cfg.Name), Text: text.String(), HTML: html.String()}, nil
}

// sendMail composes and sends an email now.
func (a *App) sendMail(ctx context.Context, r mailRequest) error {
	m, err := a.composeMail(r)
	if err != nil {
		return err
	}
	if err := a.cfg.Mailer.Send(ctx, m); err != nil {
		a.log.Error("sending an email failed", "kind", r.kind, "error", err)
		return err
	}
	a.log.Info("email sent", "kind", r.kind)
	return nil
}

// sendLater sends an email in the background, so that the answer does not
// depend on whether (or how slowly) a mail leaves; failures are logged.
func (a *App) sendLater(r mailRequest) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), mailTimeout)
		defer cancel()
		_ = a.sendMail(ctx, r)
	}()
}

// userLanguage is the language of emails to u: their preference when
// available, else the language of the page that triggered the email.
func (a *App) userLanguage(u *store.User, fallback string) string {
	if u != nil && u.PreferredLanguage != "" {
		if l := a.i18n.supported(u.PreferredLanguage); l != "" {
			return l
		}
	}
	return fallback
}

// sendEmailConfirmation mails a link that adds address to u's emails.
func (a *App) sendEmailConfirmation(c *ctx, u *store.User, address string) error {
	if !a.sent.allow("confirm:"+address, c.now) {
		return nil // one link per minute and address is enough
	}
	token := store.NewSecret()
	if _, err := a.st.CreateTicket(c.r.Context(), store.Ticket{Kind: store.TicketEmailConfirmation, Token: token,
		UserID: u.ID, Email: address, Created: c.now, Expires: c.now.Add(a.cfg.InvitationExpiration)}); err != nil {
		return err
	}
	c.security("email confirmation sent", "user", u.UserName)
	return a.sendMail(c.r.Context(), mailRequest{kind: "email_confirmation", to: address,
		lang: a.userLanguage(u, c.lang), user: u, link: a.link("/email-confirmation/" + token),
		expires: a.cfg.InvitationExpiration})
}

// SendTestMail sends the test email to address, for the administration
// pages and `canaille check`.
func (a *App) SendTestMail(ctx context.Context, address, lang string) error {
	if a.cfg.Mailer == nil {
		return fmt.Errorf("ui: no mail server is configured ([CANAILLE.SMTP])")
	}
	if lang == "" {
		lang = defaultLanguage.String()
	}
	return a.sendMail(ctx, mailRequest{kind: "test", to: address, lang: lang})
}
