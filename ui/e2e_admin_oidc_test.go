package ui_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/canaille-go/canaille/store"
)

// TestE2EGroupsAndClients drives the group, client and token pages in
// Chromium as an administrator would: create a group and add members with
// the picker, invite a user who accepts in another browser; register an
// OIDC client, sign in to it as a user, then revoke the token in the
// token pages and check with introspection that it is inactive.
func TestE2EGroupsAndClients(t *testing.T) {
	b := startBrowser(t)

	t.Run("Groups", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		tb := b.newTab(t, f)
		tb.signIn("admin", adminPass, "/profile/admin")
		tb.open("/groups")
		tb.sees("Groups", "admins", "staff", "New group")
		tb.screenshot("admin-groups")

		tb.clickLink("New group")
		tb.expectPath("/groups/add")
		tb.screenshot("admin-group-add")
		tb.fill("Name", "devs")
		tb.fill("Description", "Developers")
		tb.clickButton("Create the group")
		devs := f.gaGroup("devs")
		tb.expectPath("/groups/edit/" + devs.ID)
		tb.sees("The group is created", "This group has no member yet.")

		// The picker: search, then add, without any script of ours.
		for _, who := range []string{"ali", "bob"} {
			tb.fill("Search by name, user name or email", who)
			tb.clickButton("Search")
			tb.clickButton("Add")
			tb.sees("The member is added.")
		}
		g := f.gaGroup("devs")
		if !g.HasMember(f.users["alice"].ID) || !g.HasMember(f.users["bob"].ID) || len(g.Members) != 2 {
			t.Fatalf("members %v", g.Members)
		}
		tb.open("/groups/edit/" + devs.ID)
		tb.sees("Members", "alice", "bob", "2 members")
		tb.screenshot("admin-group-edit")

		// Invite the admin's colleague by email; she accepts in her own
		// browser.
		ctx := context.Background()
		carol, err := f.st.CreateUser(ctx, store.User{UserName: "carol", GivenName: "Carol", FamilyName: "Tester", Emails: []string{"carol@example.org"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.st.SetPassword(ctx, carol.ID, "carol's long password"); err != nil {
			t.Fatal(err)
		}
		tb.clickLink("Invite by email")
		tb.screenshot("admin-group-invite")
		tb.fill("User name or email address", "carol")
		tb.clickButton("Send the invitation")
		tb.sees("The invitation is sent.")
		link := f.smtp.Wait(t, 1, 5*time.Second)[0].Link(f.srv.URL + "/group-invitation/")
		other := b.newTab(t, f)
		other.open(strings.TrimPrefix(link, f.srv.URL))
		other.expectPath("/login?next=" + url.QueryEscape(strings.TrimPrefix(link, f.srv.URL)))
		other.fill("User name or email address", "carol")
		other.clickButton("Continue")
		other.fill("Password", "carol's long password")
		other.clickButton("Sign in")
		other.expectPath(strings.TrimPrefix(link, f.srv.URL))
		other.sees("Admin Tester invites you to join the group devs.")
		other.screenshot("group-invitation")
		other.clickButton("Join the group")
		other.sees("You joined the group.", "devs")
		if g := f.gaGroup("devs"); !g.HasMember(carol.ID) {
			t.Fatal("carol did not join")
		}

		// Deletion asks for a confirmation; cancel it.
		tb.open("/groups/edit/" + devs.ID)
		tb.clickButton("Delete this group…")
		tb.sees("Delete the group devs?", "3 members")
		tb.screenshot("admin-group-delete")
		tb.clickLink("Cancel")
		tb.expectPath("/groups/edit/" + devs.ID)
	})

	t.Run("ClientSignInAndRevocation", func(t *testing.T) {
		t.Parallel()
		rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, "<!doctype html><title>Board</title><h1>Board %s</h1><p id=q>%s</p>",
				html.EscapeString(r.URL.Path), html.EscapeString(r.URL.RawQuery))
		}))
		t.Cleanup(rp.Close)
		f := newFixture(t, withOIDC(t, rp.URL, "wiki-secret-"+store.NewSecret()))
		tb := b.newTab(t, f)
		tb.signIn("admin", adminPass, "/profile/admin")
		tb.open("/admin/client")
		tb.sees("Applications", "Wiki", "New application")
		tb.screenshot("admin-clients")

		tb.clickLink("New application")
		tb.expectPath("/admin/client/add")
		if got := tb.value("Scopes"); got != "openid profile email" {
			t.Fatalf("default scopes %q", got)
		}
		tb.screenshot("admin-client-add")
		tb.fill("Client ID", "board")
		tb.fill("Name", "Board")
		tb.fill("Redirect URIs", rp.URL+"/callback")
		tb.clickButton("Create the application")
		tb.sees("The application is created.", "shown only once", "oauth2-proxy", "Nextcloud")
		secret := tb.text("#client-secret")
		if tb.text("#client-id") != "board" || secret == "" {
			t.Fatalf("client id %q secret %q", tb.text("#client-id"), secret)
		}
		tb.screenshot("admin-client-secret")
		tb.clickLink("Go to the application's settings")
		tb.expectPath("/admin/client/edit/board")
		tb.sees("Connect the application", "Renew the secret")
		if strings.Contains(tb.bodyText(), secret) {
			t.Fatal("the settings page shows the secret")
		}
		tb.screenshot("admin-client-edit")

		// bob signs in to the new application.
		user := b.newTab(t, f)
		conf := oauth2.Config{ClientID: "board", ClientSecret: secret, RedirectURL: rp.URL + "/callback",
			Scopes:   []string{"openid", "profile", "email"},
			Endpoint: oauth2.Endpoint{AuthURL: f.srv.URL + "/oauth/authorize", TokenURL: f.srv.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
		verifier := oauth2.GenerateVerifier()
		user.open(conf.AuthCodeURL("state-board-1234", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "nonce-board-1234")))
		user.waitFor("the sign-in page", `location.pathname === "/login"`, 5*time.Second)
		user.fill("User name or email address", "bob")
		user.clickButton("Continue")
		user.fill("Password", bobPass)
		user.clickButton("Sign in")
		user.waitFor("the consent page", `location.pathname === "/oauth/authorize"`, 5*time.Second)
		user.sees("Sign in to Board")
		user.clickButton("Allow")
		user.waitFor("the relying party's callback", `location.pathname === "/callback"`, 10*time.Second)
		q, err := url.ParseQuery(user.text("#q"))
		if err != nil || q.Get("code") == "" || q.Get("state") != "state-board-1234" {
			t.Fatalf("callback query %q", user.text("#q"))
		}
		tok, err := conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		if in := caPostForm(t, f, "/oauth/introspect", "board", secret, url.Values{"token": {tok.AccessToken}}); in["active"] != true {
			t.Fatalf("introspection before revocation: %v", in)
		}

		// The administrator finds the token and revokes it.
		tb.open("/admin/token")
		tb.choose("Application", "Board")
		tb.choose("State", "active")
		tb.clickButton("Filter")
		tb.sees("bob", "Access token", "Refresh token", "openid profile email")
		tb.screenshot("admin-tokens")
		clicked := evalJS[bool](tb, `(() => {
	for (const tr of document.querySelectorAll("tbody tr")) {
		if (tr.innerText.includes("Access token")) { tr.querySelector("a").click(); return true; }
	}
	return false;
})()`)
		if !clicked {
			t.Fatal("no access token in the list")
		}
		tb.waitFor("the token page", `location.pathname.startsWith("/admin/token/")`, 5*time.Second)
		tb.waitFor("the token page to load", `document.readyState === "complete" && document.querySelector("h1") !== null && document.querySelector("h1").innerText === "Access token"`, 5*time.Second)
		tb.sees("Access token", "bob", "Board", "Revoke this token")
		if strings.Contains(tb.bodyText(), tok.AccessToken) {
			t.Fatal("the token page shows the token")
		}
		tb.screenshot("admin-token")
		tb.clickButton("Revoke this token")
		tb.sees("revoked")
		if in := caPostForm(t, f, "/oauth/introspect", "board", secret, url.Values{"token": {tok.AccessToken}}); in["active"] != false {
			t.Fatalf("introspection after revocation: %v", in)
		}
		// The application's userinfo request is refused too.
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/oauth/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("userinfo with a revoked token: %d", resp.StatusCode)
		}

		// On a narrow screen nothing of these pages sticks out sideways
		// (tables scroll in their own box). The header is the layout's.
		tb.viewport(phoneWidth, phoneHeight, false)
		for _, p := range []string{"/admin/client", "/admin/client/add", "/admin/client/edit/board", "/admin/token", "/groups",
			"/groups/edit/" + f.gaGroup("staff").ID + "?q=a"} {
			tb.open(p)
			if o := gaMainOverflow(tb, phoneWidth); o != "" {
				t.Errorf("%s: %s", p, o)
			}
		}
		tb.open("/admin/client/edit/board")
		tb.screenshot("admin-client-edit-narrow")
		tb.viewport(desktopWidth, desktopHeight, false)

		// Deleting the client asks first.
		tb.open("/admin/client/edit/board")
		tb.clickButton("Delete this application…")
		tb.sees("Delete Board?")
		tb.screenshot("admin-client-delete")
		tb.clickButton("Delete the application")
		tb.expectPath("/admin/client")
		tb.sees("The application is deleted")
		if in := caPostForm(t, f, "/oauth/introspect", "app", "x", url.Values{"token": {tok.RefreshToken}}); in["active"] == true {
			t.Fatal("a token of the deleted client is active")
		}
	})
}

// gaMainOverflow lists the elements of <main> that stick out of a screen
// width px wide, unless a scrolling box clips them; "" when none.
func gaMainOverflow(tb *tab, width int) string {
	tb.t.Helper()
	return evalJS[string](tb, fmt.Sprintf(`(() => {
	const vw = %d, out = [];
	for (const el of document.querySelectorAll("main *")) {
		const r = el.getBoundingClientRect();
		if (r.right <= vw + 1 || r.width === 0) continue;
		let clipped = false;
		for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
			const s = getComputedStyle(p);
			if (s.overflowX !== "visible" && p.getBoundingClientRect().right <= vw + 1) { clipped = true; break; }
		}
		if (clipped) continue;
		out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\s+/).join(".") : "") + " right=" + Math.round(r.right));
		if (out.length >= 6) break;
	}
	return out.join(", ");
})()`, width))
}
