package ui_test

// End-to-end tests of the user administration pages in headless Chromium
// (see e2e_test.go): creating a user, inviting one who accepts in another
// browser, locking a user out of the web and of LDAP, impersonation, bulk
// deletion and LDAP service accounts. Screenshots: users-*.png.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/ldapserver"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/store/bolt"
	"github.com/canaille-go/canaille/ui"
)

const uaRootDN = "dc=example,dc=org"

// uaStartLDAP serves the store over LDAP on a loopback port, as `canaille
// run` does, and returns its address.
func uaStartLDAP(t *testing.T, st store.Directory) string {
	t.Helper()
	policy, err := acl.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ldapserver.New(ldapserver.Config{Listen: "127.0.0.1:0", RootDN: uaRootDN, SizeLimit: 1000,
		BindCacheTTL: time.Minute, Secret: []byte(strings.Repeat("s", 32)),
		PasswordPolicy: store.PasswordPolicy{MinLength: 8, MaxLength: 100}}, st, policy)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv.Addrs()[0]
}

// withLDAPServer starts an LDAP server over the fixture's store and tells
// the web interface about it; the address goes to *addr.
func withLDAPServer(t *testing.T, addr *string) storeOption {
	return func(st *bolt.Store, c *ui.Config) {
		*addr = uaStartLDAP(t, st)
		c.LDAPRootDN, c.LDAPURL = uaRootDN, "ldap://"+*addr
	}
}

// ldapBind binds to the LDAP server at addr, returning the connection
// (closed with the test) or the bind error.
func ldapBind(t *testing.T, addr, dn, password string) (*ldap.Conn, error) {
	t.Helper()
	c, err := ldap.DialURL("ldap://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, c.Bind(dn, password)
}

// check ticks the checkbox labelled label.
func (tb *tab) check(label string) {
	tb.t.Helper()
	tb.field(label)
	evalJS[chromedp.Void](tb, fieldJS(label)+`.checked = true`)
}

func TestE2EUsers(t *testing.T) {
	b := startBrowser(t)

	t.Run("CreateUser", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		var more []store.User
		for i, n := range []string{"Dana Scully", "Fox Mulder", "Walter Skinner", "Monica Reyes", "John Doggett"} {
			given, family, _ := strings.Cut(n, " ")
			more = append(more, store.User{UserName: strings.ToLower(family), GivenName: given, FamilyName: family,
				Emails: []string{fmt.Sprintf("%s@fbi.example", strings.ToLower(family))}})
			if i == 3 {
				more[i].LockDate = f.clock.now().Add(-time.Hour)
			}
		}
		if err := f.st.Import(context.Background(), more, nil); err != nil {
			t.Fatal(err)
		}
		tb := b.newTab(t, f)
		tb.signIn("admin", adminPass, "/profile/admin")
		// The Administration menu leads to the list.
		tb.do(chromedp.Click(`details.admin-menu summary`))
		tb.clickLink("Users")
		tb.expectPath("/users")
		tb.sees("Users", "8 accounts", "Dana Scully", "Locked", "With the selected users")
		tb.screenshot("users-list")
		tb.fill("Search by user name, name or email", "fbi")
		tb.clickButton("Search")
		tb.expectPath("/users?q=fbi")
		tb.sees("5 accounts", "Fox Mulder")
		tb.doesNotSee("Alice Tester")
		tb.clickLink("Name")
		tb.expectPath("/users?q=fbi&sort=name")
		if first := tb.text("tbody tr td:nth-child(3)"); first != "Dana Scully" {
			t.Errorf("sorted by name, the first row is %q", first)
		}
		tb.screenshot("users-search")

		tb.open("/users")
		tb.clickLink("Create a user")
		tb.expectPath("/profile")
		tb.fill("User name", "carol")
		tb.fill("Given name", "Carol")
		tb.fill("Family name", "Danvers")
		tb.fill("Email address", "carol@example.org")
		tb.fill("Login shell", "/bin/zsh")
		tb.check("staff")
		tb.fill("Password", "carol's long passphrase")
		tb.fill("Confirm the password", "carol's other passphrase")
		if st := tb.clickButton("Create the user"); st != 422 {
			t.Fatalf("mismatched passwords answered %d", st)
		}
		tb.sees("The two passwords differ.")
		if got := tb.value("Given name"); got != "Carol" {
			t.Errorf("the form lost the given name: %q", got)
		}
		tb.screenshot("users-create-error")
		tb.fill("Password", "carol's long passphrase")
		tb.fill("Confirm the password", "carol's long passphrase")
		tb.clickButton("Create the user")
		tb.expectPath("/profile/carol/settings")
		tb.sees("The user is created.", "Carol Danvers", "Set this password", "Lock now")
		tb.screenshot("users-settings")
		u, err := f.st.GetUserByName(context.Background(), "carol")
		if err != nil || u.LoginShell != "/bin/zsh" || len(u.Groups) != 1 || u.Groups[0].Name != "staff" {
			t.Fatalf("carol: %+v %v", u, err)
		}
		// carol signs in with her password.
		other := b.newTab(t, f)
		other.signIn("carol", "carol's long passphrase", "/profile/carol")
		other.sees("Carol Danvers", "staff")
	})

	t.Run("CreateUserPage", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		tb.signIn("admin", adminPass, "/profile/admin")
		tb.open("/profile")
		tb.sees("Create a user", "System account", "Email a link to choose a password")
		tb.screenshot("users-create")
	})

	t.Run("InviteAndAccept", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, func(c *ui.Config) { c.EnableRegistration = false })
		tb := b.newTab(t, f)
		tb.signIn("admin", adminPass, "/profile/admin")
		tb.open("/invite")
		tb.sees("Invite a user", "for 48 hours")
		tb.fill("User name", "dave")
		tb.fill("Email address", "dave@example.org")
		tb.check("staff")
		tb.screenshot("users-invite")
		tb.clickButton("Create the link")
		tb.sees("The invitation is ready", "Copy it now")
		link := evalJS[string](tb, `document.getElementById("f-invite-link").value`)
		if !strings.HasPrefix(link, f.srv.URL+"/register/") {
			t.Fatalf("invitation link %q", link)
		}
		tb.screenshot("users-invite-link")
		// The invitee, in another browser.
		guest := b.newTab(t, f)
		guest.open(link)
		guest.sees("Accept your invitation")
		if got := guest.value("User name"); got != "dave" {
			t.Errorf("the invitation form proposes %q", got)
		}
		guest.fill("Password", "dave's long passphrase")
		guest.fill("Confirm the password", "dave's long passphrase")
		guest.screenshot("users-invite-accept")
		guest.clickButton("Create the account")
		guest.expectPath("/profile/dave")
		guest.sees("Welcome! Your account is ready.", "staff")
		// The link is used up.
		third := b.newTab(t, f)
		if st := third.open(link); st != 410 {
			t.Errorf("a used invitation answers %d, want 410", st)
		}
		// It is in the administrator's list.
		tb.open("/users?q=dave")
		tb.sees("dave@example.org", "1 account")
	})

	t.Run("LockUser", func(t *testing.T) {
		t.Parallel()
		var ldapAddr string
		f := newFixture(t, withLDAPServer(t, &ldapAddr))
		bobDN := "uid=bob,ou=users," + uaRootDN
		// Before the lock, bob binds over LDAP and is signed in.
		if _, err := ldapBind(t, ldapAddr, bobDN, bobPass); err != nil {
			t.Fatalf("bob's bind before the lock: %v", err)
		}
		bob := b.newTab(t, f)
		bob.signIn("bob", bobPass, "/profile/bob")

		admin := b.newTab(t, f)
		admin.signIn("admin", adminPass, "/profile/admin")
		admin.open("/profile/bob/settings")
		admin.sees("Lock", "The account is active.")
		admin.clickButton("Lock now")
		admin.expectPath("/profile/bob/settings")
		admin.sees("The account is locked and its sessions are ended.", "Locked")
		admin.screenshot("users-settings-locked")

		// bob's open session ended…
		bob.open("/profile/bob")
		bob.expectPath("/login?next=%2Fprofile%2Fbob")
		// …signing in again is refused…
		bob.fill("User name or email address", "bob")
		bob.clickButton("Continue")
		bob.fill("Password", bobPass)
		if st := bob.clickButton("Sign in"); st != 403 {
			t.Errorf("a locked account's sign-in answers %d, want 403", st)
		}
		bob.sees("This account is locked.")
		bob.screenshot("users-locked-sign-in")
		// …and so is an LDAP bind, even one the server remembered.
		_, err := ldapBind(t, ldapAddr, bobDN, bobPass)
		if !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			t.Fatalf("bob's bind after the lock: %v, want invalid credentials", err)
		}
		// Unlocking lets bob in again.
		admin.clickButton("Unlock")
		admin.sees("The account is unlocked.")
		if _, err := ldapBind(t, ldapAddr, bobDN, bobPass); err != nil {
			t.Errorf("bob's bind after unlocking: %v", err)
		}
		bob.open("/login")
		bob.signIn("bob", bobPass, "/profile/bob")
	})

	t.Run("Impersonate", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		tb.signIn("admin", adminPass, "/profile/admin")
		tb.open("/profile/alice/settings")
		tb.clickButton("Act as this user…")
		tb.sees("Act as another user", "You are about to act as Alice Tester (alice)")
		tb.screenshot("users-impersonate-confirm")
		tb.clickButton("Act as alice")
		tb.expectPath("/profile/alice")
		tb.sees("admin, you are acting as alice.", "Alice Tester")
		if evalJS[bool](tb, `document.querySelector('a[href="/users"]') !== null`) {
			t.Error("acting as alice, the page links to the user list")
		}
		tb.screenshot("users-impersonating")
		// The banner follows on every page.
		tb.open("/profile/alice/sessions")
		tb.sees("admin, you are acting as alice.")
		tb.clickButton("Back to admin")
		tb.expectPath("/profile/alice/settings")
		tb.sees("You are back in your own account.", "Act as this user…")
		tb.doesNotSee("you are acting as")
		ev := uaAudit(t, f, "user.impersonate_stop")
		if len(ev) != 1 || ev[0].Actor != "admin" || ev[0].Target != "alice" {
			t.Fatalf("stop events %+v", ev)
		}
	})

	t.Run("BulkDelete", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		tb.signIn("admin", adminPass, "/profile/admin")
		tb.open("/users")
		tb.check("Select alice")
		tb.check("Select bob")
		tb.choose("Action", "Delete…")
		tb.clickButton("Apply")
		tb.expectPath("/users")
		tb.sees("Delete users", "These 2 accounts will be deleted for good")
		tb.screenshot("users-delete-confirm")
		tb.clickButton("Delete these 2 accounts")
		tb.expectPath("/users")
		tb.sees("The selected users are deleted.", "1 account")
		tb.doesNotSee("Alice Tester", "Bob Tester")
	})

	t.Run("ServiceAccount", func(t *testing.T) {
		t.Parallel()
		var ldapAddr string
		f := newFixture(t, withLDAPServer(t, &ldapAddr))
		tb := b.newTab(t, f)
		tb.signIn("admin", adminPass, "/profile/admin")
		tb.open("/users")
		tb.clickLink("LDAP service account")
		tb.expectPath("/users/service-account")
		tb.sees("LDAP read access (ldap_read)", "[CANAILLE.ACL.DEFAULT]")
		tb.fill("Account name", "mail-server")
		tb.fill("Description", "Postfix and Dovecot")
		tb.screenshot("users-service-account")
		tb.clickButton("Create the account")
		tb.sees("Service account created", "mail-server is a member of ldap-services",
			"uid=mail-server,ou=users,"+uaRootDN, "ldapsearch -x -H ldap://"+ldapAddr)
		tb.screenshot("users-service-account-created")
		pw := tb.text("#service-password")
		bind := tb.text("#bind-dn")
		c, err := ldapBind(t, ldapAddr, bind, pw)
		if err != nil {
			t.Fatalf("the service account's bind: %v", err)
		}
		res, err := c.Search(ldap.NewSearchRequest(tb.text("#base-dn"), ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
			0, 0, false, "(objectClass=inetOrgPerson)", []string{"uid"}, nil))
		if err != nil || len(res.Entries) != 4 {
			t.Fatalf("the service account's search: %v, %d entries", err, len(res.Entries))
		}
	})

	t.Run("Phone", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		tb.viewport(phoneWidth, phoneHeight, true)
		tb.signIn("admin", adminPass, "/profile/admin")
		tb.open("/users")
		if o := tb.overflowingX(phoneWidth); o != "" {
			t.Errorf("the user list on a phone: %s", o)
		}
		tb.screenshot("users-phone-list")
		tb.open("/profile/bob/settings")
		if o := tb.overflowingX(phoneWidth); o != "" {
			t.Errorf("the settings on a phone: %s", o)
		}
		tb.screenshot("users-phone-settings")
	})
}
