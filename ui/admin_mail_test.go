package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/ui"
)

// withPolicy replaces the fixture's ACL with sections.
func withPolicy(t *testing.T, sections map[string]acl.SectionConfig) func(*ui.Config) {
	return func(c *ui.Config) {
		p, err := acl.Compile(sections)
		if err != nil {
			t.Fatal(err)
		}
		c.Policy = p
	}
}

// oidcOnlyPolicy is the default policy plus bob as an administrator of
// OIDC clients only.
func oidcOnlyPolicy(t *testing.T) func(*ui.Config) {
	s := acl.Defaults()
	s["OIDC"] = acl.SectionConfig{Filter: map[string]any{"user_name": "bob"}, Permissions: []string{"manage_oidc"}}
	return withPolicy(t, s)
}

// getLang sends a GET with an Accept-Language header.
func (b *browser) getLang(path, lang string) *http.Response {
	b.f.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.f.srv.URL+path, nil)
	req.Header.Set("Accept-Language", lang)
	return b.do(req)
}

// auditEvents lists the whole audit log, newest first.
func (f *fixture) auditEvents() []store.AuditEvent {
	f.t.Helper()
	ev, err := f.st.ListAudit(context.Background(), store.AuditQuery{})
	if err != nil {
		f.t.Fatal(err)
	}
	return ev
}

// The administration pages of this area answer 403 to a user without the
// permission, send anonymous visitors to the sign-in page, and show their
// links only to those who may open them.
func TestAdminMiscPermissionBoundaries(t *testing.T) {
	f := newFixture(t, oidcOnlyPolicy(t))
	routes := []string{"/admin/mail", "/admin/mail/preview/reset.html", "/admin/mail/preview/test.txt",
		"/admin/audit", "/admin/audit?user=alice", "/profile/admin/permissions", "/profile/bob/permissions"}

	anon := f.browser()
	for _, p := range routes {
		r := anon.get(p)
		if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Errorf("anonymous GET %s: %d %s, want a redirect to the sign-in page", p, r.StatusCode, r.Header.Get("Location"))
		}
	}

	alice := f.browser()
	alice.login("alice", alicePass)
	for _, p := range routes {
		if r := alice.get(p); r.StatusCode != http.StatusForbidden {
			t.Errorf("alice GET %s: %d, want 403", p, r.StatusCode)
		}
	}
	alice.get("/profile/alice")
	if r := alice.post("/admin/mail", url.Values{"to": {"x@example.org"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("alice POST /admin/mail: %d, want 403", r.StatusCode)
	}
	if n := len(f.smtp.Messages()); n != 0 {
		t.Errorf("%d emails sent for a refused request", n)
	}
	// Her own permissions are hers to see.
	if r := alice.get("/profile/alice/permissions"); r.StatusCode != http.StatusOK {
		t.Errorf("alice GET her permissions: %d", r.StatusCode)
	}
	alice.get("/profile/alice")
	for _, link := range []string{`href="/admin/mail"`, `href="/admin/audit"`, `/profile/admin/permissions`} {
		if strings.Contains(alice.last, link) {
			t.Errorf("alice's page links to %s", link)
		}
	}
	if !strings.Contains(f.logs.String(), "event=forbidden") {
		t.Error("the refusals are not in the security log")
	}

	// bob manages OIDC clients only: the mail page (as in Python Canaille)
	// but not the audit log nor others' permissions.
	bob := f.browser()
	bob.login("bob", bobPass)
	for p, want := range map[string]int{"/admin/mail": 200, "/admin/mail/preview/reset.html": 200,
		"/admin/audit": 403, "/profile/alice/permissions": 403, "/profile/bob/permissions": 200} {
		if r := bob.get(p); r.StatusCode != want {
			t.Errorf("bob (manage_oidc) GET %s: %d, want %d", p, r.StatusCode, want)
		}
	}
	bob.get("/profile/bob")
	if !strings.Contains(bob.last, `href="/admin/mail"`) || strings.Contains(bob.last, `href="/admin/audit"`) {
		t.Error("bob's menu: want the mail page and not the audit log")
	}

	admin := f.browser()
	admin.login("admin", adminPass)
	for _, p := range routes {
		if r := admin.get(p); r.StatusCode != http.StatusOK {
			t.Errorf("admin GET %s: %d", p, r.StatusCode)
		}
	}
	admin.get("/profile/admin")
	contains(t, admin.last, `href="/admin/mail"`, `href="/admin/audit"`)
}

func TestAdminMailSendTest(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.login("admin", adminPass)
	expect(t, b.get("/admin/mail"), http.StatusOK, "")
	// The form proposes the administrator's own address.
	contains(t, b.last, "Send a test email", `name="to"`, `value="admin@example.org"`, "Email templates")

	r := b.post("/admin/mail", url.Values{"to": {"postmaster@example.net"}})
	expect(t, r, http.StatusOK, "")
	contains(t, b.last, "The test email was accepted by the mail server for postmaster@example.net")
	msgs := f.smtp.Wait(t, 1, 5*time.Second)
	m := msgs[0]
	if !slices.Equal(m.To, []string{"postmaster@example.net"}) || m.Subject != "Test email from Example" {
		t.Fatalf("test email to %v, subject %q", m.To, m.Subject)
	}
	if !strings.Contains(m.Text, "mail settings work") || !strings.Contains(m.HTML, "mail settings work") {
		t.Errorf("test email body:\n%s\n%s", m.Text, m.HTML)
	}
	// In the administrator's language.
	b.getLang("/admin/mail", "fr")
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/admin/mail",
		strings.NewReader(url.Values{"to": {"postmaster@example.net"}, "csrf_token": {b.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", "fr")
	expect(t, b.do(req), http.StatusOK, "")
	contains(t, b.last, "Le serveur de messagerie a accepté le courriel de test")
	if m := f.smtp.Wait(t, 2, 5*time.Second)[1]; m.Subject != "Courriel de test de Example" {
		t.Errorf("French test email subject %q", m.Subject)
	}

	// Both are in the audit log, the administrator as the actor.
	ev := f.auditEvents()
	if len(ev) != 2 {
		t.Fatalf("%d audit events, want 2", len(ev))
	}
	e := ev[0]
	if e.Action != "mail.test" || e.ActorID != f.users["admin"].ID || e.Actor != "admin" ||
		e.Target != "postmaster@example.net" || e.Details["result"] != "sent" {
		t.Errorf("audit event %+v", e)
	}

	// Bad addresses are refused before anything is sent.
	for _, bad := range []string{"", "not an address", "a@b.org, c@d.org", "Eve <eve@example.org>"} {
		r := b.post("/admin/mail", url.Values{"to": {bad}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(b.last, `aria-invalid="true"`) {
			t.Errorf("address %q: %d", bad, r.StatusCode)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(f.smtp.Messages()); n != 2 {
		t.Errorf("%d emails, want 2", n)
	}
	if n := len(f.auditEvents()); n != 2 {
		t.Errorf("%d audit events after refused addresses, want 2", n)
	}
}

func TestAdminMailFailureAndNoServer(t *testing.T) {
	t.Run("Failure", func(t *testing.T) {
		f := newFixture(t, func(c *ui.Config) { c.Mailer = failingMailer{} })
		b := f.browser()
		b.login("admin", adminPass)
		b.get("/admin/mail")
		r := b.post("/admin/mail", url.Values{"to": {"admin@example.org"}})
		expect(t, r, http.StatusBadGateway, "")
		// The mail server's error, as it is: what the administrator needs.
		contains(t, b.last, "The test email could not be sent", "smtp.example.org:25: connection refused", `role="alert"`)
		ev := f.auditEvents()
		if len(ev) != 1 || ev[0].Details["result"] != "failed" || !strings.Contains(ev[0].Details["error"], "connection refused") {
			t.Errorf("audit %+v", ev)
		}
	})
	t.Run("NoServer", func(t *testing.T) {
		f := newFixture(t, withoutMail())
		b := f.browser()
		b.login("admin", adminPass)
		expect(t, b.get("/admin/mail"), http.StatusOK, "")
		contains(t, b.last, "No mail server is configured")
		if strings.Contains(b.last, `name="to"`) {
			t.Error("the test form is offered without a mail server")
		}
		// The previews still work: the templates exist.
		expect(t, b.get("/admin/mail/preview/reset.html"), http.StatusOK, "")
		b.get("/admin/mail")
		expect(t, b.post("/admin/mail", url.Values{"to": {"admin@example.org"}}), http.StatusServiceUnavailable, "")
		contains(t, b.last, "No mail server is configured")
	})
}

var previewLinkRe = regexp.MustCompile(`href="/admin/mail/preview/([a-z_]+)\.html\?lang=`)

// Every email template can be previewed, in HTML and text, in every
// language, served so that nothing in it can run.
func TestAdminMailPreviews(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.login("admin", adminPass)
	b.get("/admin/mail")
	var kinds []string
	for _, m := range previewLinkRe.FindAllStringSubmatch(b.last, -1) {
		kinds = append(kinds, m[1])
	}
	for _, k := range []string{"reset", "registration", "invitation", "email_confirmation", "test"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("the mail page offers no preview of %s (it offers %v)", k, kinds)
		}
	}
	hello := map[string]string{"en": "Hello", "fr": "Bonjour"}
	subjects := map[string]string{"en": "Choose a new password for your Example account",
		"fr": "Choisissez un nouveau mot de passe pour votre compte Example"}
	for _, lang := range []string{"en", "fr"} {
		b.get("/admin/mail?lang=" + lang)
		contains(t, b.last, subjects[lang])
		for _, k := range kinds {
			// By ?lang=, and by the administrator's own language.
			for _, path := range []string{"/admin/mail/preview/" + k + ".html?lang=" + lang, "/admin/mail/preview/" + k + ".html"} {
				r := b.getLang(path, lang)
				expect(t, r, http.StatusOK, "")
				h := r.Header
				if h.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(b.last, "<html") ||
					!strings.Contains(b.last, hello[lang]) || !strings.Contains(b.last, "Example") {
					t.Errorf("%s (%s): %s\n%s", path, lang, h.Get("Content-Type"), b.last)
				}
				csp := h.Get("Content-Security-Policy")
				for _, d := range []string{"default-src 'none'", "sandbox", "frame-ancestors 'self'", "form-action 'none'"} {
					if !strings.Contains(csp, d) {
						t.Errorf("%s: CSP %q lacks %s", path, csp, d)
					}
				}
				if strings.Contains(csp, "script-src") || h.Get("X-Frame-Options") != "SAMEORIGIN" || h.Get("Cache-Control") != "no-store" {
					t.Errorf("%s: headers %v", path, h)
				}
				if h.Get("Content-Language") != lang {
					t.Errorf("%s: Content-Language %q, want %s", path, h.Get("Content-Language"), lang)
				}
			}
			r := b.getLang("/admin/mail/preview/"+k+".txt", lang)
			expect(t, r, http.StatusOK, "")
			if r.Header.Get("Content-Type") != "text/plain; charset=utf-8" || !strings.HasPrefix(b.last, hello[lang]) ||
				strings.Contains(b.last, "<p>") || !strings.Contains(r.Header.Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("%s.txt (%s): %s\n%s", k, lang, r.Header.Get("Content-Type"), b.last)
			}
			// Sample values, never a working link.
			if k == "reset" && !strings.Contains(b.last, f.srv.URL+"/reset/sample-") {
				t.Errorf("reset preview link:\n%s", b.last)
			}
			if k == "reset" && lang == "fr" && !strings.Contains(b.last, "Camille Martin") {
				t.Errorf("the French preview does not use the French sample name:\n%s", b.last)
			}
		}
	}
	// Shown in the page: the HTML in a sandboxed frame, the text as text.
	expect(t, b.get("/admin/mail?template=invitation&lang=fr"), http.StatusOK, "")
	contains(t, b.last, `id="preview"`, `<iframe class="mail-frame" src="/admin/mail/preview/invitation.html?lang=fr" sandbox`,
		"Vous êtes invité à rejoindre Example", `<pre class="mail-text">Bonjour`)
	// Nothing is sent, nothing stored.
	if len(f.smtp.Messages()) != 0 {
		t.Error("a preview sent an email")
	}
	for _, p := range []string{"/admin/mail/preview/nothing.html", "/admin/mail/preview/reset.pdf",
		"/admin/mail/preview/reset", "/admin/mail/preview/layout.html", "/admin/mail/preview/..%2Fpages%2Flogin.html"} {
		if r := b.get(p); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, r.StatusCode)
		}
	}
}
