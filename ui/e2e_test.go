package ui_test

// End-to-end tests: a real headless Chromium drives the web interface as a
// person would. They are skipped where Chromium is not installed (see
// chromiumPath) and in -short mode. Each flow runs in browser contexts of
// its own over a fresh fixture, and saves full-page screenshots in
// $CANAILLE_ARTIFACTS (default test-artifacts/ui/ at the repository root)
// for a person to review.

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/ui"
)

func TestE2E(t *testing.T) {
	b := startBrowser(t)

	t.Run("SignIn", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		if st := tb.open("/"); st != 200 {
			t.Fatalf("home answered %d", st)
		}
		tb.expectPath("/login")
		if h := tb.heading(); h != "Sign in" {
			t.Fatalf("heading %q", h)
		}
		tb.sees("with your Example account", "Remember me on this device", "Forgot your password?", "Create an account")
		// The identifier field has the focus, and the focus shows.
		tb.waitFor("the autofocus on the identifier field", `document.activeElement.id === "f-login"`, 5*time.Second)
		if focused, blurred := focusLook(tb, "f-login"); focused == blurred {
			t.Errorf("the focused identifier field looks the same as when not focused: %s", focused)
		}
		tb.screenshot("login")

		tb.fill("User name or email address", "alice")
		tb.clickButton("Continue")
		tb.expectPath("/auth/password")
		tb.sees("Enter your password", "Signing in as alice", "Not you?")
		tb.waitFor("the autofocus on the password field", `document.activeElement.id === "f-password"`, 5*time.Second)
		tb.screenshot("login-password")
		tb.fill("Password", alicePass)
		tb.clickButton("Sign in")
		tb.expectPath("/profile/alice")
		if h := tb.heading(); h != "Alice Tester" {
			t.Fatalf("profile heading %q", h)
		}
		tb.sees("My profile", "Sign out", "staff")
		if s, _ := f.st.ListSessions(context.Background(), f.users["alice"].ID); len(s) != 1 {
			t.Fatalf("%d sessions in the store, want 1", len(s))
		}
	})

	t.Run("KeyboardSkipLink", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		tb.open("/about")
		// The first Tab reaches the skip link, which then comes into view.
		tb.do(chromedp.KeyEvent("\t"))
		if got := evalJS[string](tb, "document.activeElement.className"); got != "skip-link" {
			t.Fatalf("the first Tab focuses %q, not the skip link", got)
		}
		if !evalJS[bool](tb, `(() => { const r = document.activeElement.getBoundingClientRect(); return r.left >= 0 && r.top >= 0 && r.width > 0; })()`) {
			t.Error("the focused skip link stays off screen")
		}
		tb.screenshot("about-skip-link-focused")
	})

	t.Run("Phone", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		tb.viewport(phoneWidth, phoneHeight, true)
		tb.open("/login")
		if o := tb.overflowingX(phoneWidth); o != "" {
			t.Errorf("sign-in page on a phone: %s", o)
		}
		tb.screenshot("phone-login")
		tb.signIn("alice", alicePass, "/profile/alice")
		if o := tb.overflowingX(phoneWidth); o != "" {
			t.Errorf("profile on a phone: %s", o)
		}
		if w := tb.wrappedLinks("header nav a"); w != "" {
			t.Errorf("the header links wrap onto two lines on a %dpx phone: %s", phoneWidth, w)
		}
		tb.screenshot("phone-profile")
		tb.open("/profile/alice/sessions")
		tb.screenshot("phone-sessions")
		if o := tb.overflowingX(phoneWidth); o != "" {
			t.Errorf("the sessions page scrolls sideways on a phone: %s", o)
		}
	})

	t.Run("WrongPassword", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		tb.open("/login")
		tb.fill("User name or email address", "alice")
		tb.clickButton("Continue")
		tb.fill("Password", "not the password")
		if st := tb.clickButton("Sign in"); st != 422 {
			t.Errorf("a wrong password answers %d, want 422", st)
		}
		tb.expectPath("/auth/password")
		if got := tb.text("#f-password-error"); got != "The login or the password is wrong." {
			t.Fatalf("error beside the field: %q; visible text:\n%s", got, tb.bodyText())
		}
		// The error belongs to the field, and the identifier is kept.
		if got := evalJS[string](tb, `document.getElementById("f-password").getAttribute("aria-describedby")`); got != "f-password-error" {
			t.Errorf("the password field is described by %q", got)
		}
		if evalJS[string](tb, `document.getElementById("f-password").getAttribute("aria-invalid")`) != "true" {
			t.Error("the password field is not marked invalid")
		}
		tb.sees("Signing in as alice")
		if got := evalJS[string](tb, `document.querySelector("input[name=username]").value`); got != "alice" {
			t.Errorf("the hidden username for password managers is %q", got)
		}
		if got := tb.value("Password"); got != "" {
			t.Errorf("the wrong password is echoed back: %q", got)
		}
		tb.screenshot("login-error")
		// "Not you?" goes back to the first step, which still shows who
		// was signing in.
		tb.clickLink("Not you?")
		tb.expectPath("/login")
		if got := tb.value("User name or email address"); got != "alice" {
			t.Errorf("back on the first step, the identifier field holds %q, want alice", got)
		}
	})

	t.Run("Lockout", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		tb.open("/login")
		tb.fill("User name or email address", "bob")
		tb.clickButton("Continue")
		tb.fill("Password", "wrong")
		tb.clickButton("Sign in")
		tb.sees("The login or the password is wrong.")
		// An immediate retry, even with the right password, is refused.
		tb.fill("Password", bobPass)
		if st := tb.clickButton("Sign in"); st != 429 {
			t.Errorf("an early retry answers %d, want 429", st)
		}
		tb.sees("Too many failed attempts. Try again in 2 seconds.")
		tb.screenshot("login-lockout")
		// Once the delay has passed, the right password works.
		f.clock.advance(3 * time.Second)
		tb.fill("Password", bobPass)
		tb.clickButton("Sign in")
		tb.expectPath("/profile/bob")
	})

	t.Run("SignOut", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		tb.signIn("alice", alicePass, "/profile/alice")
		tb.clickLink("Sign out")
		tb.expectPath("/logout")
		tb.sees("You are signed in as alice.", "Sign out everywhere", "Ends your sessions on every device and browser.")
		tb.screenshot("logout")
		tb.clickButton("Sign out")
		tb.expectPath("/login")
		tb.sees("You are signed out.")
		if s, _ := f.st.ListSessions(context.Background(), f.users["alice"].ID); len(s) != 0 {
			t.Fatalf("%d sessions left after signing out", len(s))
		}
		tb.open("/profile/alice")
		tb.expectPath("/login?next=%2Fprofile%2Falice")
	})

	t.Run("SignOutEverywhere", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		laptop := b.newTab(t, f)
		phone := b.newTab(t, f)
		laptop.signIn("alice", alicePass, "/profile/alice")
		phone.signIn("alice", alicePass, "/profile/alice")
		laptop.clickLink("Sessions and devices")
		laptop.expectPath("/profile/alice/sessions")
		laptop.sees("Your sessions", "this browser", "Sign out of all other sessions")
		if n := evalJS[int](laptop, `document.querySelectorAll("tbody tr").length`); n != 2 {
			t.Errorf("the sessions page lists %d sessions, want 2", n)
		}
		laptop.screenshot("sessions")
		phone.clickLink("Sign out")
		phone.clickButton("Sign out everywhere")
		phone.expectPath("/login")
		phone.sees("You are signed out.")
		laptop.open("/profile/alice")
		laptop.expectPath("/login?next=%2Fprofile%2Falice")
		if s, _ := f.st.ListSessions(context.Background(), f.users["alice"].ID); len(s) != 0 {
			t.Fatalf("%d sessions left after signing out everywhere", len(s))
		}
	})

	t.Run("EditProfile", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		tb.signIn("alice", alicePass, "/profile/alice")
		tb.screenshot("profile")
		tb.fill("Given name", "Alicia")
		tb.fill("Add a phone number", "+33 1 23 45 67 89")
		if st := tb.clickButton("Save"); st != 200 {
			t.Fatalf("saving answered %d", st)
		}
		tb.expectPath("/profile/alice")
		tb.sees("Your changes are saved.")
		if got := tb.value("Given name"); got != "Alicia" {
			t.Errorf("given name %q after saving", got)
		}
		if h := tb.heading(); h != "Alicia Tester" {
			t.Errorf("heading %q after saving", h)
		}
		if !evalJS[bool](tb, `[...document.querySelectorAll("input[name=phone_numbers]")].some(i => i.value === "+33 1 23 45 67 89")`) {
			t.Error("the phone number is not shown after saving")
		}
		u, err := f.st.GetUserByName(context.Background(), "alice")
		if err != nil {
			t.Fatal(err)
		}
		if u.GivenName != "Alicia" || !slices.Equal(u.PhoneNumbers, []string{"+33 1 23 45 67 89"}) {
			t.Fatalf("stored: given name %q, phones %q", u.GivenName, u.PhoneNumbers)
		}

		// An invalid phone number: the error is beside the field, and
		// everything typed is kept.
		tb.fill("Given name", "Ally")
		tb.fill("Add a phone number", "call me maybe")
		if st := tb.clickButton("Save"); st != 422 {
			t.Errorf("an invalid phone answers %d, want 422", st)
		}
		tb.sees("Some fields need your attention.")
		// The invalid value is kept in a field marked invalid and
		// described by its own error message.
		errID := evalJS[string](tb, `(() => {
			const i = [...document.querySelectorAll("input[name=phone_numbers]")].find(i => i.value === "call me maybe");
			return i && i.getAttribute("aria-invalid") === "true" ? i.getAttribute("aria-describedby") || "" : "";
		})()`)
		if errID == "" {
			t.Fatal("the invalid phone number is not kept in a field marked invalid and described by an error")
		}
		if got := tb.text("#" + errID); got != "“call me maybe” is not a valid phone number." {
			t.Fatalf("phone error %q", got)
		}
		if evalJS[bool](tb, `[...document.querySelectorAll("input[name=phone_numbers]")].some(i => i.value === "+33 1 23 45 67 89" && i.getAttribute("aria-invalid") === "true")`) {
			t.Error("profile: the valid phone number +33 1 23 45 67 89 is marked invalid beside the invalid one")
		}
		if got := tb.value("Given name"); got != "Ally" {
			t.Errorf("the given name typed with the error became %q", got)
		}
		// The error message is close to the field: below it, within
		// the same fieldset.
		if !evalJS[bool](tb, `(() => {
			const e = document.getElementById("`+errID+`");
			const i = [...document.querySelectorAll("input[name=phone_numbers]")].find(i => i.value === "call me maybe");
			const a = e.getBoundingClientRect(), b = i.getBoundingClientRect();
			return a.top >= b.bottom - 1 && a.top - b.bottom < 120 && e.closest("details") === i.closest("details");
		})()`) {
			t.Error("the phone error is not right below its field")
		}
		tb.screenshot("profile-errors")
		if u, _ := f.st.GetUserByName(context.Background(), "alice"); u.GivenName != "Alicia" {
			t.Errorf("a refused form changed the given name to %q", u.GivenName)
		}
	})

	t.Run("UploadPhoto", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		pic := filepath.Join(t.TempDir(), "me.png")
		writeTestPNG(t, pic, 320, 240)
		tb.signIn("alice", alicePass, "/profile/alice")
		if evalJS[bool](tb, `document.querySelector("img.avatar") !== null`) {
			t.Fatal("alice has a photo already")
		}
		tb.field("Upload a new photo")
		tb.do(chromedp.SetUploadFiles(chromedp.CSS("input#f-photo"), []string{pic}))
		if st := tb.clickButton("Save"); st != 200 {
			t.Fatalf("saving the photo answered %d; visible text:\n%s", st, tb.bodyText())
		}
		tb.sees("Your changes are saved.")
		tb.waitFor("the avatar to load", `(() => { const i = document.querySelector("img.avatar"); return !!i && i.complete; })()`, 5*time.Second)
		if w := evalJS[int](tb, `document.querySelector("img.avatar").naturalWidth`); w <= 0 {
			t.Fatal("the avatar image does not load")
		}
		if alt := evalJS[string](tb, `document.querySelector("img.avatar").alt`); alt != "Photo of Alice Tester" {
			t.Errorf("avatar alt %q", alt)
		}
		if data, err := f.st.UserPhoto(context.Background(), f.users["alice"].ID); err != nil || len(data) == 0 {
			t.Fatalf("stored photo: %d bytes, %v", len(data), err)
		}
		tb.sees("Remove the photo")
		tb.screenshot("profile-photo")
	})

	t.Run("ChangePassword", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		const newPass = "a brand new passphrase"
		tb.signIn("alice", alicePass, "/profile/alice")
		tb.clickLink("Change password")
		tb.expectPath("/profile/alice/password")
		tb.waitFor("the autofocus on the current password", `document.activeElement.id === "f-old_password"`, 5*time.Second)
		tb.screenshot("change-password")
		// A mismatch first.
		tb.fill("Current password", alicePass)
		tb.fill("New password", newPass)
		tb.fill("Confirm the password", "something else")
		if st := tb.clickButton("Change password"); st != 422 {
			t.Errorf("a mismatch answers %d, want 422", st)
		}
		tb.sees("The two passwords differ.")
		tb.screenshot("change-password-errors")
		tb.fill("Current password", alicePass)
		tb.fill("New password", newPass)
		tb.fill("Confirm the password", newPass)
		tb.clickButton("Change password")
		tb.expectPath("/profile/alice")
		tb.sees("Your password is changed.")
		tb.clickLink("Sign out")
		tb.clickButton("Sign out")
		tb.expectPath("/login")
		// The old password no longer works, the new one does.
		tb.fill("User name or email address", "alice")
		tb.clickButton("Continue")
		tb.fill("Password", alicePass)
		tb.clickButton("Sign in")
		tb.sees("The login or the password is wrong.")
		f.clock.advance(5 * time.Second) // past the lockout delay
		tb.signIn("alice", newPass, "/profile/alice")
	})

	t.Run("RecoverPassword", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		const newPass = "recovered passphrase 42"
		tb.open("/login")
		tb.clickLink("Forgot your password?")
		tb.expectPath("/reset")
		tb.sees("Tell us who you are")
		tb.screenshot("reset-request")
		tb.fill("User name or email address", "alice")
		tb.clickButton("Send the link")
		tb.sees("Check your email", "If an account matches")
		tb.screenshot("reset-sent")
		msgs := f.smtp.Wait(t, 1, 10*time.Second)
		link := msgs[0].Link(f.srv.URL + "/reset/")
		if link == "" {
			t.Fatalf("no reset link in the email:\n%+v", msgs[0])
		}
		tb.open(link)
		tb.sees("Choose a new password", "For the account alice.")
		tb.screenshot("reset-new-password")
		tb.fill("New password", newPass)
		tb.fill("Confirm the password", newPass)
		tb.clickButton("Save the new password")
		tb.expectPath("/login")
		tb.sees("Your password is changed.")
		tb.signIn("alice", newPass, "/profile/alice")
		// The link works once.
		other := b.newTab(t, f)
		if st := other.open(link); st != 410 {
			t.Errorf("a used reset link answers %d, want 410", st)
		}
		other.sees("This link does not work any more")
		other.screenshot("link-invalid")
	})

	t.Run("Register", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		tb.open("/login")
		tb.clickLink("Create an account")
		tb.expectPath("/register")
		tb.sees("Create your account")
		tb.screenshot("register-email")
		tb.fill("Email address", "dave@example.org")
		tb.clickButton("Send the link")
		tb.sees("Check your email", "dave@example.org")
		msgs := f.smtp.Wait(t, 1, 10*time.Second)
		link := msgs[0].Link(f.srv.URL + "/register/")
		if link == "" {
			t.Fatalf("no registration link in the email:\n%+v", msgs[0])
		}
		tb.open(link)
		tb.sees("Create your account")
		if got := tb.value("Email address"); got != "dave@example.org" {
			t.Errorf("the email field holds %q", got)
		}
		tb.screenshot("register-form")
		tb.fill("User name", "dave")
		tb.fill("Given name", "Dave")
		tb.fill("Family name", "Newcomer")
		tb.fill("Password", "dave's long passphrase")
		tb.fill("Confirm the password", "dave's long passphrase")
		tb.clickButton("Create the account")
		tb.expectPath("/profile/dave")
		tb.sees("Welcome! Your account is ready.")
		if h := tb.heading(); h != "Dave Newcomer" {
			t.Errorf("heading %q", h)
		}
		u, err := f.st.GetUserByName(context.Background(), "dave")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(u.Emails, []string{"dave@example.org"}) {
			t.Errorf("stored emails %q", u.Emails)
		}
	})

	t.Run("Invitation", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		ctx := context.Background()
		staff, err := f.st.GetGroupByName(ctx, "staff")
		if err != nil {
			t.Fatal(err)
		}
		link, _, err := f.app.CreateInvitation(ctx, ui.Invitation{UserName: "carol", Email: "carol@example.org", GroupIDs: []string{staff.ID}})
		if err != nil {
			t.Fatal(err)
		}
		tb.open(link)
		tb.sees("Accept your invitation", "You are invited to join Example.")
		if got := tb.value("User name"); got != "carol" {
			t.Errorf("the user name field holds %q", got)
		}
		if !evalJS[bool](tb, `document.getElementById("f-user_name").readOnly`) {
			t.Error("the invited user name can be changed")
		}
		tb.screenshot("invitation")
		tb.fill("Password", "carol's long passphrase")
		tb.fill("Confirm the password", "carol's long passphrase")
		tb.clickButton("Create the account")
		tb.expectPath("/profile/carol")
		tb.sees("Welcome! Your account is ready.", "staff")
		u, err := f.st.GetUserByName(ctx, "carol")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(u.Groups, func(g store.Ref) bool { return g.ID == staff.ID }) {
			t.Fatalf("carol's groups: %+v", u.Groups)
		}
	})

	t.Run("French", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		tb.open("/login")
		tb.choose("Language", "Français")
		tb.clickButton("Change")
		tb.expectPath("/login")
		if h := tb.heading(); h != "Connexion" {
			t.Fatalf("heading %q after choosing French", h)
		}
		if lang := evalJS[string](tb, "document.documentElement.lang"); lang != "fr" {
			t.Errorf("<html lang=%q>", lang)
		}
		tb.sees("Continuer", "Mot de passe oublié ?")
		tb.screenshot("login-fr")
		tb.open("/nowhere")
		tb.screenshot("error-404-fr")

		// A user who prefers French on the profile sees French from
		// then on.
		user := b.newTab(t, f)
		user.signIn("alice", alicePass, "/profile/alice")
		user.choose("Preferred language", "Français")
		user.clickButton("Save")
		user.sees("Vos modifications sont enregistrées.")
		if lang := evalJS[string](user, "document.documentElement.lang"); lang != "fr" {
			t.Errorf("<html lang=%q> after choosing French on the profile", lang)
		}
		if u, _ := f.st.GetUserByName(context.Background(), "alice"); u.PreferredLanguage != "fr" {
			t.Errorf("stored preferred language %q", u.PreferredLanguage)
		}
		user.screenshot("profile-fr")
		user.open("/profile/alice/sessions")
		user.screenshot("sessions-fr")
		assertNoEnglish(t, user, "/profile/alice/sessions")
		user.open("/profile/alice")
		assertNoEnglish(t, user, "/profile/alice")
	})

	t.Run("DarkMode", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		tb.colorScheme("dark")
		tb.open("/login")
		if !evalJS[bool](tb, `matchMedia("(prefers-color-scheme: dark)").matches`) {
			t.Fatal("dark mode emulation is off")
		}
		bg := evalJS[[]float64](tb, rgbJS("body", "backgroundColor"))
		fg := evalJS[[]float64](tb, rgbJS("body", "color"))
		if len(bg) < 3 || len(fg) < 3 {
			t.Fatalf("colours: background %v, text %v", bg, fg)
		}
		if luminance(bg) > 0.2 {
			t.Errorf("dark mode keeps a light background %v", bg)
		}
		if r := contrast(fg, bg); r < 4.5 {
			t.Errorf("dark mode text contrast %.1f:1, want at least 4.5:1", r)
		}
		tb.screenshot("login-dark")
		tb.signIn("alice", alicePass, "/profile/alice")
		tb.screenshot("profile-dark")
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		if st := tb.open("/nowhere"); st != 404 {
			t.Errorf("/nowhere answers %d", st)
		}
		if h := tb.heading(); h != "Error 404" {
			t.Errorf("heading %q", h)
		}
		tb.sees("This page does not exist")
		tb.screenshot("error-404")
		tb.clickLink("Go to the home page")
		tb.expectPath("/login")
	})
}

// focusLook returns how the element of that id draws its outline, box
// shadow and border when focused and when not, to check that the focus
// shows. It leaves the element focused.
func focusLook(tb *tab, id string) (focused, blurred string) {
	tb.t.Helper()
	look := `(() => { const s = getComputedStyle(document.getElementById(` + jsString(id) + `));
		return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.borderColor].join(" | "); })()`
	// Pico animates the focus ring: read it once the transition is over.
	evalJS[chromedp.Void](tb, `document.getElementById(`+jsString(id)+`).focus()`)
	time.Sleep(400 * time.Millisecond)
	focused = evalJS[string](tb, look)
	evalJS[chromedp.Void](tb, `document.getElementById(`+jsString(id)+`).blur()`)
	time.Sleep(400 * time.Millisecond)
	blurred = evalJS[string](tb, look)
	evalJS[chromedp.Void](tb, `document.getElementById(`+jsString(id)+`).focus()`)
	time.Sleep(400 * time.Millisecond)
	return focused, blurred
}

// rgbJS gives the computed colour prop of the first element matching css
// as [r, g, b] (0-255).
func rgbJS(css, prop string) string {
	return `(() => { const c = getComputedStyle(document.querySelector(` + jsString(css) + `)).` + prop +
		`; return (c.match(/[\d.]+/g) || []).slice(0, 3).map(Number); })()`
}

// luminance is the WCAG relative luminance of an sRGB colour.
func luminance(rgb []float64) float64 {
	lin := func(c float64) float64 {
		c /= 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(rgb[0]) + 0.7152*lin(rgb[1]) + 0.0722*lin(rgb[2])
}

// contrast is the WCAG contrast ratio of two colours.
func contrast(a, b []float64) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// assertNoEnglish reports the English interface texts left on a page
// that should be in French.
func assertNoEnglish(t *testing.T, tb *tab, page string) {
	t.Helper()
	body := tb.bodyText()
	for _, en := range []string{"My profile", "Sign out", "Save", "Language", "Change password", "Your sessions"} {
		if containsWord(body, en) {
			t.Errorf("%s in French still shows %q", page, en)
		}
	}
}

func containsWord(body, w string) bool {
	for _, line := range strings.Split(body, "\n") {
		if strings.TrimSpace(line) == w || strings.HasPrefix(strings.TrimSpace(line), w+" ") {
			return true
		}
	}
	return false
}

// writeTestPNG writes a w×h PNG with a gradient, as a profile photo.
func writeTestPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: uint8(255 * x / w), G: uint8(255 * y / h), B: 160, A: 255})
		}
	}
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if err := png.Encode(fh, img); err != nil {
		t.Fatal(err)
	}
}
