package ui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/canaille-go/canaille/store"
)

// openAdminMenu unfolds the Administration menu of the header, as a click
// on it does.
func (tb *tab) openAdminMenu() {
	tb.t.Helper()
	if !evalJS[bool](tb, `(() => { const d = document.querySelector("details.admin-menu"); if (!d) return false; d.open = true; return true; })()`) {
		tb.fatalf("no Administration menu; visible text:\n%s", tb.bodyText())
	}
}

// checkPhone checks that the page fits a phone's width, and screenshots
// it there.
func (tb *tab) checkPhone(name string) {
	tb.t.Helper()
	tb.viewport(phoneWidth, phoneHeight, true)
	defer tb.viewport(desktopWidth, desktopHeight, false)
	tb.do(reloadAction())
	// The page's load event waits for the frames (the mail preview).
	tb.waitFor("the page to load", `document.readyState === "complete"`, 5*time.Second)
	if evalJS[bool](tb, `!!document.querySelector("iframe.mail-frame")`) {
		tb.waitFor("the preview frame", `performance.getEntriesByType("resource").some(e => e.name.includes("/admin/mail/preview/") && e.responseEnd > 0)`, 5*time.Second)
		// A sandboxed frame is painted by a process of its own, only
		// once it has been in view.
		tb.do(scrollTo("iframe.mail-frame"))
		time.Sleep(300 * time.Millisecond)
	}
	if o := tb.overflowingX(phoneWidth); o != "" {
		tb.t.Errorf("%s on a phone: %s", name, o)
	}
	tb.screenshot(name + "-phone")
}

// TestE2EAdminMisc drives the mail page, the audit log and the
// permissions page in Chromium: an administrator sends a test email,
// previews a template, finds a user's events in the log and reads their
// permissions; a user sees only their own permissions.
func TestE2EAdminMisc(t *testing.T) {
	b := startBrowser(t)

	t.Run("Administrator", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		admin, alice, bob := f.users["admin"], f.users["alice"], f.users["bob"]
		now := f.clock.now()
		for _, e := range []store.AuditEvent{
			{Time: now.Add(-50 * time.Hour), ActorID: admin.ID, Actor: "admin", Action: "user.create", TargetKind: "user",
				Target: "alice", TargetUserID: alice.ID, Details: map[string]string{"groups": "staff"}, RemoteAddr: "192.0.2.10"},
			{Time: now.Add(-30 * time.Hour), ActorID: admin.ID, Actor: "admin", Action: "group.member_add", TargetKind: "group",
				Target: "staff", TargetUserID: bob.ID, Details: map[string]string{"member": "bob"}, RemoteAddr: "192.0.2.10"},
			{Time: now.Add(-2 * time.Hour), ActorID: alice.ID, Actor: "alice", Action: "user.password_set", TargetKind: "user",
				Target: "alice", TargetUserID: alice.ID, RemoteAddr: "198.51.100.4"},
		} {
			if _, err := f.st.AppendAudit(context.Background(), e); err != nil {
				t.Fatal(err)
			}
		}
		tb := b.newTab(t, f)
		tb.signIn("admin", adminPass, "/profile/admin")

		// Mail: a test email, through the menu.
		tb.openAdminMenu()
		tb.clickLink("Mail")
		tb.expectPath("/admin/mail")
		if h := tb.heading(); h != "Mail" {
			t.Fatalf("heading %q", h)
		}
		tb.sees("Send a test email", "Email templates", "Password reset", "Invitation", "Choose a new password for your Example account")
		if v := tb.value("Recipient"); v != "admin@example.org" {
			t.Errorf("the recipient proposed is %q", v)
		}
		tb.screenshot("admin-mail")
		tb.fill("Recipient", "ops@example.org")
		if st := tb.clickButton("Send the test email"); st != http.StatusOK {
			t.Fatalf("sending answered %d", st)
		}
		tb.sees("The test email was accepted by the mail server for ops@example.org")
		m := f.smtp.Wait(t, 1, 5*time.Second)[0]
		if m.Subject != "Test email from Example" || m.To[0] != "ops@example.org" {
			t.Errorf("test email %q to %v", m.Subject, m.To)
		}
		tb.screenshot("admin-mail-sent")

		// A preview, shown in the page: the HTML in a sandboxed frame,
		// the text below it.
		tb.clickLink("Show here")
		if p := tb.path(); !strings.HasPrefix(p, "/admin/mail?template=reset") {
			t.Fatalf("on %s", p)
		}
		tb.sees("Preview: Password reset", "Text version", "Choose a new password:")
		tb.waitFor("the preview frame", `(() => { const f = document.querySelector("iframe.mail-frame"); return f && f.hasAttribute("sandbox") && f.getBoundingClientRect().height > 300; })()`, 5*time.Second)
		// The frame's page loaded (its document is closed to the page:
		// it has an origin of its own).
		tb.waitFor("the preview to load", `performance.getEntriesByType("resource").some(e => e.name.includes("/admin/mail/preview/reset.html"))`, 5*time.Second)
		tb.do(scrollTo("#preview"))
		tb.screenshot("admin-mail-preview")

		// In French, then a template on its own.
		tb.choose("Language of the previews", "Français")
		tb.clickButton("Show")
		tb.sees("Preview: Password reset", "Choisissez un nouveau mot de passe pour votre compte Example", "Bonjour Camille Martin,")
		if st := tb.open("/admin/mail/preview/invitation.html?lang=fr"); st != http.StatusOK {
			t.Fatalf("the HTML preview answered %d", st)
		}
		tb.sees("Vous êtes invité à créer un compte sur Example.", "Accepter l'invitation")
		// Scripts cannot run in it, even injected by a template.
		if evalJS[bool](tb, `(() => { try { return window.origin !== "null"; } catch (e) { return true; } })()`) {
			t.Error("the preview has the site's origin: it is not sandboxed")
		}
		tb.screenshot("admin-mail-preview-html")
		if st := tb.open("/admin/mail/preview/invitation.txt"); st != http.StatusOK {
			t.Fatalf("the text preview answered %d", st)
		}
		tb.sees("Hello,", "Accept the invitation:")

		// The audit log: everything, then alice's events since a date.
		tb.open("/profile/admin")
		tb.openAdminMenu()
		tb.clickLink("Audit log")
		tb.expectPath("/admin/audit")
		tb.sees("Audit log", "Created the user", "Added a member to the group", "Set the password", "Sent a test email", "from 192.0.2.10")
		tb.screenshot("admin-audit")
		tb.fill("User", "alice")
		evalJS[string](tb, fieldJS("From")+`.value = `+jsString(now.Add(-72*time.Hour).Local().Format("2006-01-02")))
		tb.clickButton("Filter")
		if p := tb.path(); !strings.Contains(p, "user=alice") || !strings.Contains(p, "from=") {
			t.Fatalf("filtered on %s", p)
		}
		tb.sees("Events done by or to Alice Tester (alice).", "Created the user", "Set the password")
		tb.doesNotSee("Added a member to the group", "Sent a test email")
		if n := evalJS[int](tb, `document.querySelectorAll("table.audit-log tbody tr").length`); n != 2 {
			t.Errorf("%d lines for alice, want 2", n)
		}
		tb.screenshot("admin-audit-filtered")
		tb.checkPhone("admin-audit-filtered")

		// From there, her permissions.
		tb.clickLink("See their permissions")
		tb.expectPath("/profile/alice/permissions")
		if h := tb.heading(); h != "Permissions of Alice Tester" {
			t.Fatalf("heading %q", h)
		}
		tb.sees("Access rules that apply", "DEFAULT", "applies to everybody", "1 other section does not apply",
			"Edit their own profile and password", "canaille get user alice --permissions")
		tb.screenshot("admin-permissions")
		tb.checkPhone("admin-permissions")
		// The rule that does not apply, and why.
		tb.do(clickSelector("details.rights-others > summary"))
		tb.sees("ADMIN", `groups = "admins"`)
		tb.screenshot("admin-permissions-others")

		// The mail page fits a phone too.
		tb.open("/admin/mail?template=test")
		tb.checkPhone("admin-mail")
	})

	t.Run("User", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		tb.signIn("alice", alicePass, "/profile/alice")
		tb.doesNotSee("Audit log", "Mail")
		if st := tb.open("/profile/alice/permissions"); st != http.StatusOK {
			t.Fatalf("her permissions answered %d", st)
		}
		tb.sees("Permissions of Alice Tester", "What you may do on this server", "DEFAULT")
		tb.doesNotSee("ADMIN", "do not apply", "Events in the audit log")
		tb.screenshot("user-permissions")
		for _, p := range []string{"/admin/mail", "/admin/audit", "/profile/admin/permissions"} {
			if st := tb.open(p); st != http.StatusForbidden {
				t.Errorf("alice opening %s: %d, want 403", p, st)
			}
		}
		tb.sees("You are not allowed to do this.")
	})
}

// reloadAction reloads the page.
func reloadAction() chromedp.Action[chromedp.Void] { return chromedp.Reload() }

// scrollTo brings the element matching css into view.
func scrollTo(css string) chromedp.Action[chromedp.Void] {
	return chromedp.ScrollIntoView(chromedp.CSS(css))
}

// clickSelector clicks the element matching css (no page load follows).
func clickSelector(css string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.CSS(css))
}
