package ui

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/ui/mail"
)

// The mail page (/admin/mail) sends a test email and previews every email
// template; the audit page (/admin/audit, admin_audit.go) and the
// permissions page (/profile/:user/permissions, admin_permissions.go)
// complete these administration tools.
func init() { adminSections = append(adminSections, (*App).miscAdminRoutes) }

func (a *App) miscAdminRoutes() {
	get, post := http.MethodGet, http.MethodPost
	a.page(get, "/admin/mail", a.mailAdminPage)
	a.page(post, "/admin/mail", a.mailAdminSubmit)
	a.page(get, "/admin/mail/preview/:file", a.mailPreview)
	a.page(get, "/admin/audit", a.auditPage)
	a.page(get, "/profile/:user/permissions", a.permissionsPage)
}

// mailAdminPerms may use the mail page: Python Canaille gives it to
// manage_oidc, and the users' administrators send the emails too.
var mailAdminPerms = []acl.Permission{acl.ManageUsers, acl.ManageOIDC}

// testMailTimeout bounds the sending of a test email, which the
// administrator waits for.
const testMailTimeout = 30 * time.Second

// mailTemplateInfo is one email template as the mail page lists it.
type mailTemplateInfo struct {
	Kind    string
	Label   string // its description, in the page's language
	Subject string // in the preview language
}

// mailAdminData is the data of the mail page; result, when set, is what
// sending a test email gave.
func (a *App) mailAdminData(c *ctx, result map[string]any) (map[string]any, error) {
	lang := c.lang
	if l := a.i18n.supported(c.r.URL.Query().Get("lang")); l != "" {
		lang = l
	}
	var kinds []mailTemplateInfo
	for _, k := range a.previewKinds() {
		m, err := a.sampleMessage(k, lang)
		if err != nil {
			return nil, err
		}
		kinds = append(kinds, mailTemplateInfo{Kind: k, Label: a.mailKindLabel(c.lang, k), Subject: m.Subject})
	}
	data := map[string]any{
		"MailEnabled": a.mailEnabled(),
		"Kinds":       kinds,
		"PreviewLang": lang,
		"Languages":   a.i18n.options(lang),
	}
	if k := c.r.URL.Query().Get("template"); slices.Contains(a.previewKinds(), k) {
		m, err := a.sampleMessage(k, lang)
		if err != nil {
			return nil, err
		}
		data["Preview"] = map[string]any{"Kind": k, "Label": a.mailKindLabel(c.lang, k), "Subject": m.Subject,
			"Text": m.Text, "HTMLURL": "/admin/mail/preview/" + k + ".html?lang=" + url.QueryEscape(lang),
			"TextURL": "/admin/mail/preview/" + k + ".txt?lang=" + url.QueryEscape(lang)}
	}
	for k, v := range result {
		data[k] = v
	}
	return data, nil
}

// mailKindLabel describes an email template in words; a template added
// without its message shows its name.
func (a *App) mailKindLabel(lang, kind string) string {
	id := "admin_mail_kind_" + kind
	if s := a.i18n.text(lang, id); s != id {
		return s
	}
	return kind
}

// mailAdminPage shows the test form and the list of templates.
func (a *App) mailAdminPage(c *ctx) error {
	if err := c.require(mailAdminPerms...); err != nil {
		return err
	}
	data, err := a.mailAdminData(c, nil)
	if err != nil {
		return err
	}
	f := newForm()
	if c.user != nil {
		f.Values["to"] = c.user.PreferredEmail()
	}
	c.renderForm(http.StatusOK, "admin-mail", data, f)
	return nil
}

// mailAdminSubmit sends the test email and shows how it went: the mail
// server's error, when there is one, is what the administrator needs.
func (a *App) mailAdminSubmit(c *ctx) error {
	if err := c.require(mailAdminPerms...); err != nil {
		return err
	}
	f := newForm()
	to := c.form("to")
	f.Values["to"] = to
	if !a.mailEnabled() {
		data, err := a.mailAdminData(c, map[string]any{"Error": c.a.i18n.text(c.lang, "admin_mail_disabled")})
		if err != nil {
			return err
		}
		c.renderForm(http.StatusServiceUnavailable, "admin-mail", data, f)
		return nil
	}
	if to == "" {
		c.fieldError(f, "to", "error_required")
	} else if !validEmail(to) || strings.ContainsAny(to, "<>,\r\n") {
		c.fieldError(f, "to", "error_email", "Value", to)
	}
	if f.HasErrors() {
		data, err := a.mailAdminData(c, nil)
		if err != nil {
			return err
		}
		c.renderForm(http.StatusUnprocessableEntity, "admin-mail", data, f)
		return nil
	}
	ctx, cancel := context.WithTimeout(c.r.Context(), testMailTimeout)
	defer cancel()
	err := a.SendTestMail(ctx, to, c.lang)
	ev := auditEvent{Action: "mail.test", TargetKind: "email", Target: to, Details: map[string]string{"result": "sent"}}
	status, result := http.StatusOK, map[string]any{"Sent": to}
	if err != nil {
		ev.Details = map[string]string{"result": "failed", "error": err.Error()}
		status, result = http.StatusBadGateway, map[string]any{"Error": err.Error()}
	}
	c.audit(ev)
	data, derr := a.mailAdminData(c, result)
	if derr != nil {
		return derr
	}
	c.renderForm(status, "admin-mail", data, f)
	return nil
}

// mailPreviewCSP lets an email be shown, in a frame of this site only,
// with its inline styles and images, but with no script, no form, no
// plugin and no origin of its own (sandbox).
const mailPreviewCSP = "default-src 'none'; img-src 'self' data: https:; style-src 'unsafe-inline'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"

// mailPreview serves one template rendered with sample data:
// /admin/mail/preview/KIND.html or KIND.txt, in the language of ?lang=
// (else the administrator's).
func (a *App) mailPreview(c *ctx) error {
	if err := c.require(mailAdminPerms...); err != nil {
		return err
	}
	file := c.p.ByName("file")
	kind, ext, _ := strings.Cut(file, ".")
	if !slices.Contains(a.previewKinds(), kind) || (ext != "html" && ext != "txt") {
		return errNotFound
	}
	lang := c.lang
	if l := a.i18n.supported(c.r.URL.Query().Get("lang")); l != "" {
		lang = l
	}
	m, err := a.sampleMessage(kind, lang)
	if err != nil {
		return err
	}
	h := c.w.Header()
	h.Set("Content-Security-Policy", mailPreviewCSP)
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", lang)
	body := m.HTML
	if ext == "txt" {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		body = m.Text
	} else {
		h.Set("Content-Type", "text/html; charset=utf-8")
	}
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write([]byte(body))
	return nil
}

// mailSamples are the emails composed outside mailKinds (each with
// templates/mail/KIND.txt and .html and a message "admin_mail_kind_KIND"
// describing it): the file that sends one registers, from an init
// function, a function composing it with sample values in a language, so
// that the mail page previews it too.
var mailSamples = map[string]func(a *App, lang string) (mail.Message, error){}

// previewKinds lists the emails the mail page previews: mailKinds, then
// the registered samples by name.
func (a *App) previewKinds() []string {
	kinds := slices.Clone(mailKinds)
	for _, k := range slices.Sorted(maps.Keys(mailSamples)) {
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

// sampleMessage composes an email of kind with sample values.
func (a *App) sampleMessage(kind, lang string) (mail.Message, error) {
	if slices.Contains(mailKinds, kind) {
		return a.composeMail(a.sampleMail(kind, lang))
	}
	return mailSamples[kind](a, lang)
}

// sampleMail is an email of kind with made-up values, as a recipient
// speaking lang would get it.
func (a *App) sampleMail(kind, lang string) mailRequest {
	t := func(id string) string { return a.i18n.text(lang, id) }
	email := t("admin_mail_sample_email")
	u := &store.User{UserName: "sample", DisplayName: t("admin_mail_sample_name"), Emails: []string{email}}
	r := mailRequest{kind: kind, to: email, lang: lang, user: u, expires: a.cfg.InvitationExpiration}
	const token = "sample-0123456789abcdef"
	switch kind {
	case "reset":
		r.link, r.expires = a.link("/reset/"+token), a.cfg.ResetExpiration
	case "registration", "invitation":
		r.link, r.user = a.link("/register/"+token), nil
	case "email_confirmation":
		r.link = a.link("/email-confirmation/" + token)
	case "test":
		r.user = nil
	default:
		r.link = a.link("/" + token)
	}
	return r
}
