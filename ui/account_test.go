package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/ui"
)

func TestPasswordRecovery(t *testing.T) {
	f := newFixture(t)
	session := f.browser()
	session.login("alice", alicePass)
	b := f.browser()
	expect(t, b.get("/reset"), http.StatusOK, "")
	expect(t, b.post("/reset", url.Values{"login": {"alice"}}), http.StatusOK, "")
	known := b.last
	contains(t, known, "If an account matches")
	// An unknown login gets the same page, and no mail.
	b.get("/reset")
	b.post("/reset", url.Values{"login": {"nobody@example.org"}})
	if b.last != known {
		t.Error("the answer differs for an unknown account")
	}
	msgs := f.smtp.Wait(t, 1, 5*time.Second)
	m := msgs[0]
	if m.To[0] != "alice@example.org" || !strings.Contains(m.Subject, "Choose a new password") || m.HTML == "" {
		t.Fatalf("mail %+v", m)
	}
	link := m.Link(f.srv.URL + "/reset/")
	if link == "" {
		t.Fatalf("no link in %q", m.Text)
	}
	path := strings.TrimPrefix(link, f.srv.URL)
	expect(t, b.get(path), http.StatusOK, "")
	contains(t, b.last, "Choose a new password", "alice")
	expect(t, b.post(path, url.Values{"password": {"tiny"}, "password_confirm": {"tiny"}}), http.StatusUnprocessableEntity, "")
	contains(t, b.last, "Use at least 8 characters.")
	expect(t, b.post(path, url.Values{"password": {"recovered password"}, "password_confirm": {"recovered password"}}), http.StatusSeeOther, "/login")
	b.get("/login")
	contains(t, b.last, "Your password is changed.")
	// The link is used up; every session ended; the new password works.
	expect(t, b.get(path), http.StatusGone, "")
	expect(t, b.post(path, url.Values{"password": {"another password"}, "password_confirm": {"another password"}}), http.StatusGone, "")
	expect(t, session.get("/profile/alice"), http.StatusSeeOther, "/login?next=%2Fprofile%2Falice")
	b.login("alice", "recovered password")
	// The store keeps only a digest of the token, and the logs hide it.
	token := strings.TrimPrefix(path, "/reset/")
	if strings.Contains(f.logs.String(), token) {
		t.Error("the reset token reached the logs")
	}
	if len(f.smtp.Messages()) != 1 {
		t.Errorf("%d mails sent, want 1", len(f.smtp.Messages()))
	}
}

func TestPasswordRecoveryLimits(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.get("/reset")
	b.post("/reset", url.Values{"login": {"bob@example.org"}})
	b.get("/reset")
	b.post("/reset", url.Values{"login": {"bob"}}) // within a minute: no second mail
	f.smtp.Wait(t, 1, 5*time.Second)
	time.Sleep(200 * time.Millisecond)
	if n := len(f.smtp.Messages()); n != 1 {
		t.Fatalf("%d mails, want 1", n)
	}
	// An expired link does not work.
	link := f.smtp.Messages()[0].Link(f.srv.URL + "/reset/")
	f.clock.advance(2 * time.Hour)
	expect(t, b.get(strings.TrimPrefix(link, f.srv.URL)), http.StatusGone, "")
	contains(t, b.last, "This link does not work any more")
	// A locked account gets no mail.
	ctx := context.Background()
	f.st.UpdateUser(ctx, f.users["alice"].ID, func(u *store.User) error { u.LockDate = f.clock.now(); return nil })
	b.get("/reset")
	b.post("/reset", url.Values{"login": {"alice"}})
	time.Sleep(200 * time.Millisecond)
	if n := len(f.smtp.Messages()); n != 1 {
		t.Fatalf("a locked account got a reset mail")
	}
	expect(t, b.get("/reset/forged-token"), http.StatusGone, "")
}

func TestFeaturesOff(t *testing.T) {
	f := newFixture(t, withoutMail(), func(c *ui.Config) { c.EnableRegistration = false })
	b := f.browser()
	expect(t, b.get("/reset"), http.StatusNotFound, "")
	expect(t, b.get("/register"), http.StatusNotFound, "")
	b.get("/login")
	if strings.Contains(b.last, `href="/reset"`) || strings.Contains(b.last, `href="/register"`) {
		t.Error("the login page links to disabled features")
	}
}

func TestRegistrationWithEmail(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	expect(t, b.get("/register"), http.StatusOK, "")
	expect(t, b.post("/register", url.Values{"email": {"not-an-address"}}), http.StatusUnprocessableEntity, "")
	contains(t, b.last, `value="not-an-address"`, "is not a valid email address")
	expect(t, b.post("/register", url.Values{"email": {"dave@example.org"}}), http.StatusOK, "")
	contains(t, b.last, "dave@example.org")
	// An address already used gets the same answer and no mail.
	b.get("/register")
	b.post("/register", url.Values{"email": {"alice@example.org"}})
	contains(t, b.last, "alice@example.org if it can be used")
	m := f.smtp.Wait(t, 1, 5*time.Second)[0]
	if m.To[0] != "dave@example.org" {
		t.Fatalf("mail to %v", m.To)
	}
	path := strings.TrimPrefix(m.Link(f.srv.URL+"/register/"), f.srv.URL)
	expect(t, b.get(path), http.StatusOK, "")
	contains(t, b.last, `value="dave@example.org"`, "readonly")
	expect(t, b.post(path, url.Values{"user_name": {"alice"}, "given_name": {"Dave"}, "password": {"dave's password"},
		"password_confirm": {"dave's password"}, "email": {"evil@example.org"}}), http.StatusUnprocessableEntity, "")
	contains(t, b.last, "This user name is taken.", `value="Dave"`)
	expect(t, b.post(path, url.Values{"user_name": {"dave"}, "given_name": {"Dave"}, "family_name": {"Doe"},
		"password": {"dave's password"}, "password_confirm": {"dave's password"}, "email": {"evil@example.org"}}),
		http.StatusSeeOther, "/profile/dave")
	u, err := f.st.GetUserByName(context.Background(), "dave")
	if err != nil || !slices.Equal(u.Emails, []string{"dave@example.org"}) || u.GivenName != "Dave" {
		t.Fatalf("created %+v, %v", u, err)
	}
	expect(t, b.get("/profile/dave"), http.StatusOK, "")
	contains(t, b.last, "Welcome!")
	// The link is used up.
	other := f.browser()
	expect(t, other.get(path), http.StatusGone, "")
}

func TestRegistrationWithoutEmail(t *testing.T) {
	f := newFixture(t, withoutMail())
	b := f.browser()
	expect(t, b.get("/register"), http.StatusOK, "")
	contains(t, b.last, `name="user_name"`, `name="password_confirm"`)
	expect(t, b.post("/register", url.Values{"user_name": {"-bad"}, "password": {"x"}, "password_confirm": {"x"}}), http.StatusUnprocessableEntity, "")
	contains(t, b.last, "Use 1 to 64 letters", "Use at least 8 characters.")
	expect(t, b.post("/register", url.Values{"user_name": {"erin"}, "email": {"erin@example.org"},
		"password": {"erin's password"}, "password_confirm": {"erin's password"}}), http.StatusSeeOther, "/profile/erin")
	if _, err := f.st.Authenticate(context.Background(), "erin", "erin's password"); err != nil {
		t.Fatal(err)
	}
}

func TestInvitation(t *testing.T) {
	f := newFixture(t, func(c *ui.Config) { c.EnableRegistration = false })
	ctx := context.Background()
	staff, _ := f.st.GetGroupByName(ctx, "staff")
	link, exp, err := f.app.CreateInvitation(ctx, ui.Invitation{UserName: "carol", Email: "carol@example.org",
		GroupIDs: []string{staff.ID}, InvitedBy: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	if exp.Sub(f.clock.now()) != 48*time.Hour {
		t.Errorf("expires %v", exp)
	}
	if err := f.app.SendInvitation(ctx, ui.Invitation{Email: "carol@example.org"}, link, "en"); err != nil {
		t.Fatal(err)
	}
	m := f.smtp.Wait(t, 1, 5*time.Second)[0]
	if m.Link(f.srv.URL+"/register/") != link || !strings.Contains(m.Subject, "invited") {
		t.Fatalf("invitation mail %q: %s", m.Subject, m.Text)
	}
	path := strings.TrimPrefix(link, f.srv.URL)
	b := f.browser()
	expect(t, b.get(path), http.StatusOK, "")
	contains(t, b.last, "Accept your invitation", `value="carol"`, `value="carol@example.org"`)
	// The imposed user name cannot be changed by the form.
	expect(t, b.post(path, url.Values{"user_name": {"mallory"}, "password": {"carol's password"},
		"password_confirm": {"carol's password"}}), http.StatusSeeOther, "/profile/carol")
	u, err := f.st.GetUserByName(ctx, "carol")
	if err != nil || len(u.Groups) != 1 || u.Groups[0].Name != "staff" {
		t.Fatalf("carol: %+v %v", u, err)
	}
	if _, err := f.st.GetUserByName(ctx, "mallory"); err == nil {
		t.Fatal("the form changed the invited user name")
	}
	expect(t, f.browser().get(path), http.StatusGone, "")
	if _, _, err := f.app.CreateInvitation(ctx, ui.Invitation{UserName: "bad name"}); err == nil {
		t.Error("an invalid user name was accepted")
	}
	if _, _, err := f.app.CreateInvitation(ctx, ui.Invitation{UserName: "x", GroupIDs: []string{"nope"}}); err == nil {
		t.Error("an unknown group was accepted")
	}
}

func TestMailFailureIsReported(t *testing.T) {
	f := newFixture(t, func(c *ui.Config) {
		c.Mailer = failingMailer{}
	})
	b := f.browser()
	b.login("alice", alicePass)
	b.get("/profile/alice")
	expect(t, b.postMultipart("/profile/alice", url.Values{"emails": {"alice@example.org", "new@example.org"}}, "", "", nil),
		http.StatusSeeOther, "/profile/alice")
	b.get("/profile/alice")
	contains(t, b.last, "We could not send the email.")
	if !strings.Contains(f.logs.String(), "sending an email failed") {
		t.Error("the failure is not logged")
	}
}
