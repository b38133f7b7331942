package ui_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/ui"
)

func TestProfileShowsWhatTheACLAllows(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.login("alice", alicePass)
	expect(t, b.get("/profile/alice"), http.StatusOK, "")
	contains(t, b.last, `name="given_name"`, `name="emails"`, `name="phone_numbers"`, `name="photo"`,
		`name="preferred_language"`, "<code>alice</code>", "staff", "Change password")
	// user_name is readable, not writable: no field for it.
	if strings.Contains(b.last, `name="user_name"`) {
		t.Error("alice may edit her user name")
	}
	// Another user's profile does not exist for alice, nor does an
	// unknown one: the same 404.
	expect(t, b.get("/profile/bob"), http.StatusNotFound, "")
	notBob := strings.ReplaceAll(b.last, "/profile/bob", "")
	expect(t, b.get("/profile/nobody"), http.StatusNotFound, "")
	if notBob != strings.ReplaceAll(b.last, "/profile/nobody", "") {
		t.Error("the 404 of an existing user differs from an unknown one")
	}
	// A manager sees and edits others.
	a := f.browser()
	a.login("admin", adminPass)
	expect(t, a.get("/profile/bob"), http.StatusOK, "")
	contains(t, a.last, "Bob Tester", `name="given_name"`)
}

func TestProfileEdit(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.login("alice", alicePass)
	b.get("/profile/alice")
	v := url.Values{"given_name": {"Alicia"}, "family_name": {"Liddell"}, "title": {"Engineer"},
		"emails": {"alice@example.org", ""}, "phone_numbers": {"+33 1 23 45 67 89", ""},
		"preferred_language": {"fr"}, "user_name": {"hacker"}, "uid_number": {"0"}}
	expect(t, b.postMultipart("/profile/alice", v, "", "", nil), http.StatusSeeOther, "/profile/alice")
	u, _ := f.st.GetUserByName(context.Background(), "alice")
	if u.GivenName != "Alicia" || u.FamilyName != "Liddell" || u.Title != "Engineer" || u.PreferredLanguage != "fr" ||
		!slices.Equal(u.PhoneNumbers, []string{"+33 1 23 45 67 89"}) {
		t.Fatalf("stored %+v", u)
	}
	if u.UserName != "alice" || u.UIDNumber == 0 {
		t.Fatal("a field outside WRITE was changed")
	}
	// The page is now in French (preferred language) with the message.
	b.get("/profile/alice")
	contains(t, b.last, `lang="fr"`, "Vos modifications sont enregistrées.", `value="Alicia"`)
}

func TestProfileInvalidKeepsInput(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.login("bob", bobPass)
	b.get("/profile/bob")
	v := url.Values{"given_name": {"Robert"}, "emails": {"bob@example.org", "not an email"},
		"phone_numbers": {"call me"}, "profile_url": {"ftp://x"}}
	expect(t, b.postMultipart("/profile/bob", v, "", "", nil), http.StatusUnprocessableEntity, "")
	contains(t, b.last, `value="Robert"`, `value="not an email"`, `value="call me"`,
		"is not a valid email address", "is not a valid phone number", "Enter a web address", `aria-invalid="true"`)
	if u, _ := f.st.GetUserByName(context.Background(), "bob"); u.GivenName != "Bob" {
		t.Fatal("an invalid form changed the profile")
	}
	// Removing every address is refused for oneself.
	b.get("/profile/bob")
	expect(t, b.postMultipart("/profile/bob", url.Values{"emails": {""}}, "", "", nil), http.StatusUnprocessableEntity, "")
	contains(t, b.last, "Keep at least one email address")
	// An address of another account.
	a := f.browser()
	a.login("admin", adminPass)
	a.get("/profile/bob")
	expect(t, a.postMultipart("/profile/bob", url.Values{"emails": {"alice@example.org"}}, "", "", nil), http.StatusUnprocessableEntity, "")
	contains(t, a.last, "already used by another account")
}

func TestEmailConfirmation(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.login("alice", alicePass)
	b.get("/profile/alice")
	v := url.Values{"emails": {"alice@example.org", "alice@work.example"}}
	expect(t, b.postMultipart("/profile/alice", v, "", "", nil), http.StatusSeeOther, "/profile/alice")
	u, _ := f.st.GetUserByName(context.Background(), "alice")
	if len(u.Emails) != 1 {
		t.Fatalf("the new address was added before confirmation: %v", u.Emails)
	}
	msgs := f.smtp.Wait(t, 1, 5*time.Second)
	if msgs[0].To[0] != "alice@work.example" || !strings.Contains(msgs[0].Subject, "Confirm your email address") {
		t.Fatalf("mail: %+v", msgs[0])
	}
	link := msgs[0].Link(f.srv.URL + "/email-confirmation/")
	path := strings.TrimPrefix(link, f.srv.URL)
	// Opening the link changes nothing (mail scanners open links).
	expect(t, b.get(path), http.StatusOK, "")
	contains(t, b.last, "alice@work.example")
	if u, _ := f.st.GetUserByName(context.Background(), "alice"); len(u.Emails) != 1 {
		t.Fatal("a GET confirmed the address")
	}
	expect(t, b.post(path, nil), http.StatusSeeOther, "/profile/alice")
	u, _ = f.st.GetUserByName(context.Background(), "alice")
	if !slices.Equal(u.Emails, []string{"alice@example.org", "alice@work.example"}) {
		t.Fatalf("emails %v", u.Emails)
	}
	// The link works once.
	expect(t, b.get(path), http.StatusGone, "")
	if strings.Contains(f.logs.String(), strings.TrimPrefix(path, "/email-confirmation/")) {
		t.Error("the token reached the logs")
	}
}

func pngImage(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

func TestPhotoUpload(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.login("alice", alicePass)
	b.get("/profile/alice")
	expect(t, b.postMultipart("/profile/alice", url.Values{"emails": {"alice@example.org"}}, "photo", "me.png", pngImage(2000, 1000)),
		http.StatusSeeOther, "/profile/alice")
	photo, err := f.st.UserPhoto(context.Background(), f.users["alice"].ID)
	if err != nil {
		t.Fatal(err)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(photo))
	if err != nil || format != "jpeg" || cfg.Width != 1024 || cfg.Height != 512 {
		t.Fatalf("stored photo: %v %s %dx%d", err, format, cfg.Width, cfg.Height)
	}
	r := b.get("/profile/alice/photo")
	expect(t, r, http.StatusOK, "")
	if r.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("photo served as %q", r.Header.Get("Content-Type"))
	}
	b.get("/profile/alice")
	contains(t, b.last, `class="avatar"`, "Remove the photo")
	// Not an image.
	expect(t, b.postMultipart("/profile/alice", url.Values{"emails": {"alice@example.org"}}, "photo", "x.png", []byte("<svg onload=alert(1)>")),
		http.StatusUnprocessableEntity, "")
	contains(t, b.last, "The file is not a JPEG, PNG or WebP image.")
	// Others do not see it; removing works.
	other := f.browser()
	other.login("bob", bobPass)
	expect(t, other.get("/profile/alice/photo"), http.StatusNotFound, "")
	b.get("/profile/alice")
	expect(t, b.postMultipart("/profile/alice", url.Values{"emails": {"alice@example.org"}, "photo_delete": {"1"}}, "", "", nil),
		http.StatusSeeOther, "/profile/alice")
	if _, err := f.st.UserPhoto(context.Background(), f.users["alice"].ID); err == nil {
		t.Fatal("the photo was not removed")
	}
}

func TestProfileReadOnlyACL(t *testing.T) {
	// A policy where users may read but not edit themselves.
	policy, err := acl.Compile(map[string]acl.SectionConfig{
		"DEFAULT": {Permissions: []string{"use_oidc"}, Read: []string{"user_name", "given_name", "emails"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(c *ui.Config) { c.Policy = policy })
	b := f.browser()
	b.login("alice", alicePass)
	expect(t, b.get("/profile/alice"), http.StatusOK, "")
	contains(t, b.last, `value="Alice"`, "readonly")
	if strings.Contains(b.last, `name="family_name"`) || strings.Contains(b.last, "Change password") {
		t.Error("the page shows what the ACL does not allow")
	}
	expect(t, b.postMultipart("/profile/alice", url.Values{"given_name": {"X"}}, "", "", nil), http.StatusForbidden, "")
	expect(t, b.get("/profile/alice/password"), http.StatusForbidden, "")
}

func TestChangePassword(t *testing.T) {
	f := newFixture(t)
	b, other := f.browser(), f.browser()
	b.login("alice", alicePass)
	other.login("alice", alicePass)
	b.get("/profile/alice/password")
	for _, c := range []struct {
		old, pw, confirm, msg string
	}{
		{"wrong", "a new long password", "a new long password", "The current password is wrong."},
		{alicePass, "short", "short", "Use at least 8 characters."},
		{alicePass, "alice12", "alice12", "Use at least 8 characters."},
		{alicePass, "alice@example.org", "alice@example.org", "Do not build your password"},
		{alicePass, "a new long password", "something else", "The two passwords differ."},
	} {
		f.clock.advance(time.Hour) // beyond any lockout delay
		expect(t, b.post("/profile/alice/password", url.Values{"old_password": {c.old}, "password": {c.pw}, "password_confirm": {c.confirm}}),
			http.StatusUnprocessableEntity, "")
		contains(t, b.last, c.msg)
		if strings.Contains(b.last, c.pw) {
			t.Error("the page repeats the new password")
		}
	}
	f.clock.advance(time.Hour)
	expect(t, b.post("/profile/alice/password", url.Values{"old_password": {alicePass}, "password": {"a new long password"},
		"password_confirm": {"a new long password"}}), http.StatusSeeOther, "/profile/alice")
	if _, err := f.st.Authenticate(context.Background(), "alice", "a new long password"); err != nil {
		t.Fatal(err)
	}
	// The other session ended; this one goes on.
	expect(t, other.get("/profile/alice"), http.StatusSeeOther, "/login?next=%2Fprofile%2Falice")
	expect(t, b.get("/profile/alice"), http.StatusOK, "")
	contains(t, b.last, "Your password is changed.")
}

func TestLanguageMenu(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.get("/login")
	contains(t, b.last, `lang="en"`, "Sign in")
	expect(t, b.post("/language", url.Values{"lang": {"fr"}, "next": {"/login"}}), http.StatusSeeOther, "/login")
	b.get("/login")
	contains(t, b.last, `lang="fr"`, "Connexion", "Nom d&#39;utilisateur ou adresse électronique")
	expect(t, b.post("/language", url.Values{"lang": {"xx"}, "next": {"/login"}}), http.StatusBadRequest, "")
	expect(t, b.post("/language", url.Values{"lang": {"en"}, "next": {"https://evil.example"}}), http.StatusSeeOther, "/")
	// Accept-Language for a fresh browser.
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/login", nil)
	req.Header.Set("Accept-Language", "fr-CA,fr;q=0.9,en;q=0.5")
	other := f.browser()
	other.do(req)
	contains(t, other.last, `lang="fr"`)
}

func TestForcedLanguage(t *testing.T) {
	f := newFixture(t, func(c *ui.Config) { c.Language = "fr" })
	b := f.browser()
	b.get("/login")
	contains(t, b.last, `lang="fr"`)
	ctx := context.Background()
	f.st.UpdateUser(ctx, f.users["alice"].ID, func(u *store.User) error { u.PreferredLanguage = "en"; return nil })
	b.login("alice", alicePass)
	b.get("/profile/alice")
	contains(t, b.last, `lang="en"`)
}
