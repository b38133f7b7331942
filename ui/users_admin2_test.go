package ui_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/ui"
)

func TestImpersonation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admins := uaGroup(t, f, "admins")
	// carol is a second administrator, to act as one.
	carol, err := f.st.CreateUser(ctx, store.User{UserName: "carol", GivenName: "Carol", FamilyName: "Tester"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.AddMember(ctx, admins.ID, carol.ID); err != nil {
		t.Fatal(err)
	}
	b := uaAdmin(t, f)
	adminSessions, _ := f.st.ListSessions(ctx, f.users["admin"].ID)

	// The button asks for a confirmation first.
	expect(t, b.post("/profile/alice/impersonate", nil), http.StatusOK, "")
	contains(t, b.last, "Act as another user", "You are about to act as Alice Tester (alice)", "Act as alice")
	if s, _ := f.st.ListSessions(ctx, f.users["alice"].ID); len(s) != 0 {
		t.Fatal("impersonation started without a confirmation")
	}
	expect(t, b.post("/profile/alice/impersonate", url.Values{"confirm": {"yes"}}), http.StatusSeeOther, "/profile/alice")
	expect(t, b.get("/profile/alice"), http.StatusOK, "")
	contains(t, b.last, "admin, you are acting as alice.", `action="/impersonate/stop"`, "Back to admin", "Alice Tester")
	if strings.Contains(b.last, `href="/users"`) {
		t.Error("acting as alice, the menu shows the administration")
	}
	expect(t, b.get("/users"), http.StatusForbidden, "")
	s, _ := f.st.ListSessions(ctx, f.users["alice"].ID)
	if len(s) != 1 || s[0].ImpersonatorID != f.users["admin"].ID {
		t.Fatalf("alice's sessions %+v", s)
	}
	if now, _ := f.st.ListSessions(ctx, f.users["admin"].ID); len(now) != 0 {
		t.Errorf("the administrator keeps %d sessions while acting as alice", len(now))
	}
	// Back to the administrator.
	expect(t, b.post("/impersonate/stop", nil), http.StatusSeeOther, "/profile/alice/settings")
	expect(t, b.get("/profile/alice/settings"), http.StatusOK, "")
	contains(t, b.last, "You are back in your own account.", `href="/users"`)
	if strings.Contains(b.last, "you are acting as") {
		t.Error("the banner stays after stopping")
	}
	if s, _ := f.st.ListSessions(ctx, f.users["alice"].ID); len(s) != 0 {
		t.Error("the impersonation session survived")
	}
	back, _ := f.st.ListSessions(ctx, f.users["admin"].ID)
	if len(back) != 1 || !back[0].AuthTime.Equal(adminSessions[0].AuthTime) || back[0].ImpersonatorID != "" {
		t.Fatalf("the administrator's session after stopping: %+v (before: %+v)", back, adminSessions)
	}
	ev := uaAudit(t, f, "user.impersonate")
	stop := uaAudit(t, f, "user.impersonate_stop")
	if len(ev) != 1 || ev[0].Actor != "admin" || ev[0].Target != "alice" ||
		len(stop) != 1 || stop[0].Actor != "admin" || stop[0].Details["impersonating"] != "alice" {
		t.Fatalf("impersonation events %+v %+v", ev, stop)
	}

	// Acting as another administrator: what is done is recorded in the
	// real administrator's name.
	expect(t, b.post("/profile/carol/impersonate", url.Values{"confirm": {"yes"}}), http.StatusSeeOther, "/profile/carol")
	expect(t, b.get("/users"), http.StatusOK, "")
	contains(t, b.last, "admin, you are acting as carol.")
	// No impersonation inside an impersonation.
	expect(t, b.post("/profile/bob/impersonate", url.Values{"confirm": {"yes"}}), http.StatusBadRequest, "")
	expect(t, b.post("/profile/bob/settings", url.Values{"action": {"lock_now"}}), http.StatusSeeOther, "/profile/bob/settings")
	lock := uaAudit(t, f, "user.lock")
	if len(lock) != 1 || lock[0].Actor != "admin" || lock[0].ActorID != f.users["admin"].ID || lock[0].Details["impersonating"] != "carol" {
		t.Fatalf("lock under impersonation recorded as %+v", lock)
	}
	expect(t, b.post("/impersonate/stop", nil), http.StatusSeeOther, "/profile/carol/settings")
	b.get("/profile/carol/settings")

	// Refusals: oneself, a locked account, users without the permission.
	expect(t, b.post("/profile/admin/impersonate", url.Values{"confirm": {"yes"}}), http.StatusBadRequest, "")
	expect(t, b.post("/profile/bob/impersonate", url.Values{"confirm": {"yes"}}), http.StatusBadRequest, "")
	expect(t, b.post("/profile/nobody/impersonate", url.Values{"confirm": {"yes"}}), http.StatusNotFound, "")
	a := f.browser()
	a.login("alice", alicePass)
	expect(t, a.post("/profile/bob/impersonate", url.Values{"confirm": {"yes"}}), http.StatusForbidden, "")

	// When the administrator's own session would have ended meanwhile,
	// stopping leads to the sign-in page.
	expect(t, b.post("/profile/alice/impersonate", url.Values{"confirm": {"yes"}}), http.StatusSeeOther, "/profile/alice")
	b.get("/profile/alice")
	if _, err := f.st.UpdateUser(ctx, f.users["admin"].ID, func(u *store.User) error {
		u.LockDate = f.clock.now()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	expect(t, b.post("/impersonate/stop", nil), http.StatusSeeOther, "/login")
	expect(t, b.get("/profile/alice"), http.StatusSeeOther, "/login?next=%2Fprofile%2Falice")
}

var linkRe = regexp.MustCompile(`id="f-invite-link" type="text" value="([^"]+)"`)

func TestInvitePage(t *testing.T) {
	f := newFixture(t, func(c *ui.Config) { c.EnableRegistration = false })
	ctx := context.Background()
	staff := uaGroup(t, f, "staff")
	b := uaAdmin(t, f)
	expect(t, b.get("/invite"), http.StatusOK, "")
	contains(t, b.last, "Invite a user", "for 48 hours", "Create and send by email", ">staff</label>")

	// Validation.
	expect(t, b.post("/invite", url.Values{"user_name": {"alice"}, "email": {"nope"}, "groups_mode": {"list"}, "action": {"link"}}),
		http.StatusUnprocessableEntity, "")
	contains(t, b.last, "This user name is taken.", "is not a valid email address")
	expect(t, b.post("/invite", url.Values{"user_name": {"carol"}, "email": {"bob@example.org"}, "groups_mode": {"list"}, "action": {"link"}}),
		http.StatusUnprocessableEntity, "")
	contains(t, b.last, "already used by another account")
	expect(t, b.post("/invite", url.Values{"user_name": {"carol"}, "groups_mode": {"list"}, "action": {"send"}}),
		http.StatusUnprocessableEntity, "")
	contains(t, b.last, "Enter an email address to send the link to.")
	expect(t, b.post("/invite", url.Values{"user_name": {"carol"}, "groups_mode": {"list"}, "groups": {"nope"}, "action": {"link"}}),
		http.StatusUnprocessableEntity, "")
	contains(t, b.last, "There is no group “nope”.")

	// A link to copy.
	expect(t, b.post("/invite", url.Values{"user_name": {"carol"}, "email": {"carol@example.org"}, "groups_mode": {"list"},
		"groups": {staff.ID}, "action": {"link"}}), http.StatusOK, "")
	contains(t, b.last, "The invitation is ready", "Copy it now")
	m := linkRe.FindStringSubmatch(b.last)
	if m == nil {
		t.Fatalf("no link on the page:\n%s", b.last)
	}
	link := html.UnescapeString(m[1])
	if !strings.HasPrefix(link, f.srv.URL+"/register/") {
		t.Fatalf("link %s", link)
	}
	ev := uaAudit(t, f, "invitation.create")
	token := strings.TrimPrefix(link, f.srv.URL+"/register/")
	if len(ev) != 1 || ev[0].Target != "carol" || ev[0].Details["groups"] != "staff" || ev[0].Details["sent"] != "no" {
		t.Fatalf("invitation events %+v", ev)
	}
	if strings.Contains(f.logs.String(), token) || strings.Contains(ev[0].Details["user_name"]+ev[0].Details["email"], token) {
		t.Fatal("the invitation token reached the logs")
	}
	// Accepted in another browser, while registration is closed.
	other := f.browser()
	path := strings.TrimPrefix(link, f.srv.URL)
	expect(t, other.get(path), http.StatusOK, "")
	contains(t, other.last, `value="carol"`, `value="carol@example.org"`)
	expect(t, other.post(path, url.Values{"user_name": {"mallory"}, "password": {"carol's password"},
		"password_confirm": {"carol's password"}}), http.StatusSeeOther, "/profile/carol")
	if c := uaUser(t, f, "carol"); len(c.Groups) != 1 || c.Groups[0].ID != staff.ID {
		t.Fatalf("carol: %+v", c)
	}

	// By email, with an editable user name left empty.
	expect(t, b.post("/invite", url.Values{"email": {"dave@example.org"}, "editable": {"yes"}, "groups_mode": {"list"},
		"action": {"send"}}), http.StatusOK, "")
	contains(t, b.last, "The link is sent to dave@example.org.")
	mail := f.smtp.Wait(t, 1, 5*time.Second)[0]
	dl := mail.Link(f.srv.URL + "/register/")
	if dl == "" || mail.To[0] != "dave@example.org" {
		t.Fatalf("invitation mail to %v: %s", mail.To, mail.Text)
	}
	d := f.browser()
	dpath := strings.TrimPrefix(dl, f.srv.URL)
	expect(t, d.get(dpath), http.StatusOK, "")
	expect(t, d.post(dpath, url.Values{"user_name": {"david"}, "password": {"dave's password"},
		"password_confirm": {"dave's password"}}), http.StatusSeeOther, "/profile/david")
	if _, err := f.st.GetUserByEmail(ctx, "dave@example.org"); err != nil {
		t.Fatal(err)
	}
}

func TestInvitePageWithoutMail(t *testing.T) {
	f := newFixture(t, withoutMail())
	b := uaAdmin(t, f)
	expect(t, b.get("/invite"), http.StatusOK, "")
	contains(t, b.last, "copy the link and send it yourself")
	if strings.Contains(b.last, `value="send"`) {
		t.Error("the page offers to send without a mail server")
	}
	expect(t, b.post("/invite", url.Values{"user_name": {"carol"}, "groups_mode": {"list"}, "action": {"link"}}), http.StatusOK, "")
	contains(t, b.last, "The invitation is ready")
}

var codeRe = func(id string) *regexp.Regexp { return regexp.MustCompile(`<code id="` + id + `">([^<]+)</code>`) }

func TestServiceAccount(t *testing.T) {
	withLDAP := func(c *ui.Config) {
		c.LDAPRootDN = "dc=example,dc=org"
		c.LDAPURL = "ldap://ldap.example.org:389"
	}
	t.Run("DefaultPolicy", func(t *testing.T) {
		f := newFixture(t, withLDAP)
		b := uaAdmin(t, f)
		expect(t, b.get("/users/service-account"), http.StatusOK, "")
		contains(t, b.last, "[CANAILLE.ACL.DEFAULT]", "every account", "grants ldap_read to every account",
			`value="ldap-services"`, `value="new" checked`)
		expect(t, b.post("/users/service-account", url.Values{"user_name": {"alice"}, "group_mode": {"new"}, "new_group": {""}}),
			http.StatusUnprocessableEntity, "")
		contains(t, b.last, "This user name is taken.", "This field is required.")
		expect(t, b.post("/users/service-account", url.Values{"user_name": {"mail-server"}, "description": {"Postfix"},
			"group_mode": {"new"}, "new_group": {"ldap-services"}}), http.StatusOK, "")
		contains(t, b.last, "Service account created", "mail-server is a member of ldap-services",
			"uid=mail-server,ou=users,dc=example,dc=org", "ldapsearch -x -H ldap://ldap.example.org:389 -D uid=mail-server,ou=users,dc=example,dc=org -W -b dc=example,dc=org",
			"The account may read the directory over LDAP", "DEFAULT (everybody)")
		pw := html.UnescapeString(codeRe("service-password").FindStringSubmatch(b.last)[1])
		if len(pw) < 20 {
			t.Fatalf("password %q", pw)
		}
		u, err := f.st.Authenticate(context.Background(), "mail-server", pw)
		if err != nil || u.DisplayName != "Postfix" || len(u.Groups) != 1 || u.Groups[0].Name != "ldap-services" {
			t.Fatalf("service account %+v %v", u, err)
		}
		if strings.Contains(f.logs.String(), pw) || strings.Contains(fmt.Sprint(uaAudit(t, f, "user.create")), pw) {
			t.Fatal("the generated password reached the logs")
		}
		if len(uaAudit(t, f, "group.create")) != 1 || len(uaAudit(t, f, "user.create")) != 1 {
			t.Error("the creations are not audited")
		}
		// A second account reuses the group.
		expect(t, b.post("/users/service-account", url.Values{"user_name": {"wiki"}, "group_mode": {"new"}, "new_group": {"LDAP-Services"}}),
			http.StatusOK, "")
		if g := uaGroup(t, f, "ldap-services"); len(g.Members) != 2 {
			t.Errorf("ldap-services has %d members", len(g.Members))
		}
	})
	t.Run("GroupPolicy", func(t *testing.T) {
		sections := acl.Defaults()
		def := sections["DEFAULT"]
		def.Permissions = []string{"edit_self", "use_oidc"}
		sections["DEFAULT"] = def
		sections["LDAP"] = acl.SectionConfig{Filter: map[string]any{"groups": "readers"}, Permissions: []string{"ldap_read"}}
		f := newFixture(t, withLDAP, uaPolicy(t, sections))
		ctx := context.Background()
		readers, err := f.st.CreateGroup(ctx, store.Group{DisplayName: "readers"})
		if err != nil {
			t.Fatal(err)
		}
		b := uaAdmin(t, f)
		expect(t, b.get("/users/service-account"), http.StatusOK, "")
		contains(t, b.last, "[CANAILLE.ACL.LDAP]", `groups = &#34;readers&#34;`, "readers — grants ldap_read (LDAP)",
			`value="existing" checked`, `name="new_group" type="text" value="readers"`)
		expect(t, b.post("/users/service-account", url.Values{"user_name": {"gitea"}, "group_mode": {"existing"}, "group": {readers.ID}}),
			http.StatusOK, "")
		contains(t, b.last, "The account may read the directory over LDAP", `LDAP (groups = &#34;readers&#34;)`)
		// A group that grants nothing gets the section to add.
		staff := uaGroup(t, f, "staff")
		expect(t, b.post("/users/service-account", url.Values{"user_name": {"jenkins"}, "group_mode": {"existing"}, "group": {staff.ID}}),
			http.StatusOK, "")
		contains(t, b.last, "No ACL section grants ldap_read to the members of staff yet")
		snippet := html.UnescapeString(codeRe("acl-snippet").FindStringSubmatch(b.last)[1])
		want := "[CANAILLE.ACL.STAFF]\nFILTER = { groups = \"staff\" }\nPERMISSIONS = [\"ldap_read\"]\n"
		if snippet != want {
			t.Errorf("snippet %q, want %q", snippet, want)
		}
		expect(t, b.post("/users/service-account", url.Values{"user_name": {"x1"}, "group_mode": {"existing"}, "group": {"nope"}}),
			http.StatusUnprocessableEntity, "")
		contains(t, b.last, "There is no group")
	})
	t.Run("NoLDAPServer", func(t *testing.T) {
		f := newFixture(t)
		b := uaAdmin(t, f)
		expect(t, b.post("/users/service-account", url.Values{"user_name": {"svc"}, "group_mode": {"new"}, "new_group": {"ldap-services"}}),
			http.StatusOK, "")
		contains(t, b.last, "The built-in LDAP server is not enabled")
	})
}

// TestUserGroupNamesMode: with more groups than a list of boxes can hold,
// the forms take group names, one per line.
func TestUserGroupNamesMode(t *testing.T) {
	f := newFixture(t)
	var groups []store.Group
	for i := range 205 {
		groups = append(groups, store.Group{DisplayName: fmt.Sprintf("g%03d", i)})
	}
	if err := f.st.Import(context.Background(), nil, groups); err != nil {
		t.Fatal(err)
	}
	b := uaAdmin(t, f)
	contains(t, b.last, `name="group_name"`)
	expect(t, b.get("/profile/alice/settings"), http.StatusOK, "")
	contains(t, b.last, `name="groups_mode" value="names"`, ">staff</textarea>")
	save := url.Values{"action": {"save"}, "user_name": {"alice"}, "groups_mode": {"names"}, "group_names": {"staff\ng007\nnope"}}
	expect(t, b.post("/profile/alice/settings", save), http.StatusUnprocessableEntity, "")
	contains(t, b.last, "There is no group “nope”.", "staff\ng007\nnope</textarea>")
	save.Set("group_names", "g007, G010\n")
	expect(t, b.post("/profile/alice/settings", save), http.StatusSeeOther, "/profile/alice/settings")
	if u := uaUser(t, f, "alice"); len(u.Groups) != 2 || u.Groups[0].Name != "g007" || u.Groups[1].Name != "g010" {
		t.Fatalf("alice's groups %+v", u.Groups)
	}
	bob := f.users["bob"]
	expect(t, b.post("/users", url.Values{"action": {"add_group"}, "group_name": {"g100"}, "users": {bob.ID}}), http.StatusSeeOther, "/users")
	if u := uaUser(t, f, "bob"); len(u.Groups) != 2 {
		t.Fatalf("bob's groups %+v", u.Groups)
	}
}
