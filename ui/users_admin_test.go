package ui_test

import (
	"context"
	"fmt"
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

// uaPolicy replaces the ACL of the fixture.
func uaPolicy(t *testing.T, sections map[string]acl.SectionConfig) func(*ui.Config) {
	t.Helper()
	p, err := acl.Compile(sections)
	if err != nil {
		t.Fatal(err)
	}
	return func(c *ui.Config) { c.Policy = p }
}

// uaAdmin returns a browser signed in as admin, on /users.
func uaAdmin(t *testing.T, f *fixture) *browser {
	t.Helper()
	b := f.browser()
	b.login("admin", adminPass)
	expect(t, b.get("/users"), http.StatusOK, "")
	return b
}

// uaAudit returns the audit events of an action, oldest first.
func uaAudit(t *testing.T, f *fixture, action string) []store.AuditEvent {
	t.Helper()
	all, err := f.st.ListAudit(context.Background(), store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var out []store.AuditEvent
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Action == action {
			out = append(out, all[i])
		}
	}
	return out
}

func uaUser(t *testing.T, f *fixture, name string) store.User {
	t.Helper()
	u, err := f.st.GetUserByName(context.Background(), name)
	if err != nil {
		t.Fatalf("user %s: %v", name, err)
	}
	return u
}

func uaGroup(t *testing.T, f *fixture, name string) store.Group {
	t.Helper()
	g, err := f.st.GetGroupByName(context.Background(), name)
	if err != nil {
		t.Fatalf("group %s: %v", name, err)
	}
	return g
}

// TestUserAdminPermissions: every route of the area answers 403 to a
// signed-in user without manage_users, sends anonymous visitors to the
// sign-in page, and the menu shows no link to them.
func TestUserAdminPermissions(t *testing.T) {
	f := newFixture(t)
	alice := f.browser()
	alice.login("alice", alicePass)
	expect(t, alice.get("/profile/alice"), http.StatusOK, "")
	for _, link := range []string{`href="/users"`, `href="/invite"`, `href="/users/service-account"`, `href="/profile"`} {
		if strings.Contains(alice.last, link) {
			t.Errorf("alice's page links to %s", link)
		}
	}
	routes := []struct{ method, path string }{
		{"GET", "/users"}, {"POST", "/users"},
		{"GET", "/users/service-account"}, {"POST", "/users/service-account"},
		{"GET", "/profile"}, {"POST", "/profile"},
		{"GET", "/profile/bob/settings"}, {"POST", "/profile/bob/settings"},
		{"GET", "/profile/nobody/settings"},
		{"POST", "/profile/bob/impersonate"},
		{"GET", "/invite"}, {"POST", "/invite"},
	}
	for _, r := range routes {
		var resp *http.Response
		if r.method == "GET" {
			resp = alice.get(r.path)
		} else {
			resp = alice.post(r.path, url.Values{"action": {"delete"}, "confirm": {"yes"},
				"users": {f.users["bob"].ID}, "user_name": {"mallory"}, "password_mode": {"none"}})
		}
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("alice: %s %s answered %d, want 403", r.method, r.path, resp.StatusCode)
		}
	}
	if _, err := f.st.GetUserByName(context.Background(), "mallory"); err == nil {
		t.Error("alice created a user")
	}
	if u := uaUser(t, f, "bob"); !u.LockDate.IsZero() {
		t.Error("alice locked bob")
	}
	// Her own settings: read only, without lock, password or deletion.
	expect(t, alice.get("/profile/alice/settings"), http.StatusOK, "")
	contains(t, alice.last, "Account settings", "staff")
	for _, s := range []string{`value="lock_now"`, `value="delete"`, `value="password"`, "/impersonate"} {
		if strings.Contains(alice.last, s) {
			t.Errorf("alice's own settings offer %s", s)
		}
	}
	expect(t, alice.post("/profile/alice/settings", url.Values{"action": {"lock_now"}}), http.StatusForbidden, "")
	expect(t, alice.post("/profile/alice/settings", url.Values{"action": {"save"}, "user_name": {"queen"}}), http.StatusForbidden, "")
	expect(t, alice.post("/impersonate/stop", nil), http.StatusBadRequest, "")
	// Anonymous visitors are sent to sign in.
	anon := f.browser()
	expect(t, anon.get("/users?q=x"), http.StatusSeeOther, "/login?next=%2Fusers%3Fq%3Dx")
	expect(t, anon.get("/profile/bob/settings"), http.StatusSeeOther, "/login?next=%2Fprofile%2Fbob%2Fsettings")
	expect(t, anon.get("/invite"), http.StatusSeeOther, "/login?next=%2Finvite")
	// The forbidden attempts are in the security log.
	if n := strings.Count(f.logs.String(), "event=forbidden"); n < len(routes) {
		t.Errorf("%d forbidden events logged, want at least %d", n, len(routes))
	}
	// The administrator sees the links.
	admin := uaAdmin(t, f)
	contains(t, admin.last, `href="/users"`, `href="/invite"`, `href="/profile"`, `href="/users/service-account"`)
}

func TestUserList(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var extra []store.User
	for i := range 60 {
		extra = append(extra, store.User{UserName: fmt.Sprintf("user%02d", i), DisplayName: fmt.Sprintf("Person %02d", 59-i),
			Emails: []string{fmt.Sprintf("u%02d@example.net", i)}})
	}
	if err := f.st.Import(ctx, extra, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.UpdateUser(ctx, f.users["bob"].ID, func(u *store.User) error {
		u.LockDate = f.clock.now().Add(-time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	b := uaAdmin(t, f)
	contains(t, b.last, "63 accounts", ">admin</a>", ">alice</a>", "Alice Tester", "alice@example.org",
		`<span class="chip">staff</span>`, "Locked", "1–50 of 63 (page 1 of 2)", `href="/users?page=2"`)
	if strings.Contains(b.last, ">user49</a>") || !strings.Contains(b.last, ">user46</a>") {
		t.Error("the first page does not hold the first 50 users by user name")
	}
	expect(t, b.get("/users?page=2"), http.StatusOK, "")
	contains(t, b.last, ">user59</a>", "51–63 of 63 (page 2 of 2)", `rel="prev"`)
	// A page beyond the end shows the last one.
	expect(t, b.get("/users?page=99"), http.StatusOK, "")
	contains(t, b.last, "page 2 of 2")
	// Search in user names, names and emails.
	for q, want := range map[string][]string{"ALI": {">alice</a>"}, "person 07": {">user52</a>"}, "u33@": {">user33</a>"}} {
		expect(t, b.get("/users?q="+url.QueryEscape(q)), http.StatusOK, "")
		contains(t, b.last, want...)
		contains(t, b.last, "1 account")
	}
	expect(t, b.get("/users?q=nobody-at-all"), http.StatusOK, "")
	contains(t, b.last, "No user matches this search.")
	// Sorting by name: "Admin Tester" first, "Person 59" (user00) last.
	expect(t, b.get("/users?sort=name"), http.StatusOK, "")
	first := regexp.MustCompile(`<td><a href="/profile/([^"]+)">`).FindStringSubmatch(b.last)
	if first == nil || first[1] != "admin" {
		t.Errorf("by name, the first user is %v, want admin (Admin Tester)", first)
	}
	expect(t, b.get("/users?sort=name&order=desc"), http.StatusOK, "")
	first = regexp.MustCompile(`<td><a href="/profile/([^"]+)">`).FindStringSubmatch(b.last)
	if first == nil || first[1] != "user00" {
		t.Errorf("by name descending, the first user is %v, want user00 (Person 59)", first)
	}
	contains(t, b.last, `aria-sort="descending"`)
	expect(t, b.get("/users?sort=email"), http.StatusOK, "")
	first = regexp.MustCompile(`<td><a href="/profile/([^"]+)">`).FindStringSubmatch(b.last)
	if first == nil || first[1] != "admin" {
		t.Errorf("by email, the first user is %v, want admin", first)
	}
	expect(t, b.get("/users?sort=last_modified&order=desc"), http.StatusOK, "")
	expect(t, b.get("/users?sort=nonsense&page=-4"), http.StatusOK, "")
	contains(t, b.last, "page 1 of 2")
}

func TestUserBulkActions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	alice, bob, admin := f.users["alice"], f.users["bob"], f.users["admin"]
	aliceBrowser := f.browser()
	aliceBrowser.login("alice", alicePass)
	b := uaAdmin(t, f)
	back := "/users?q=e"
	admins := uaGroup(t, f, "admins")

	// Add to a group.
	expect(t, b.post("/users", url.Values{"action": {"add_group"}, "group": {admins.ID}, "back": {back},
		"users": {alice.ID, bob.ID}}), http.StatusSeeOther, back)
	if g := uaGroup(t, f, "admins"); len(g.Members) != 3 {
		t.Errorf("admins has %d members, want 3", len(g.Members))
	}
	if n := len(uaAudit(t, f, "group.member_add")); n != 2 {
		t.Errorf("%d group.member_add events, want 2", n)
	}
	expect(t, b.post("/users", url.Values{"action": {"add_group"}, "users": {alice.ID}}), http.StatusSeeOther, "/users")
	b.get("/users")
	contains(t, b.last, "Choose the group to add the users to.")
	expect(t, b.post("/users", url.Values{"action": {"add_group"}, "group": {"nope"}, "users": {alice.ID}}), http.StatusNotFound, "")

	// Lock: the administrator's own account is left out; alice's session ends.
	expect(t, b.post("/users", url.Values{"action": {"lock"}, "users": {alice.ID, admin.ID}}), http.StatusSeeOther, "/users")
	b.get("/users")
	contains(t, b.last, "except your own account")
	if la, ld := uaUser(t, f, "alice"), uaUser(t, f, "admin"); !la.Locked(f.clock.now()) || ld.Locked(f.clock.now()) {
		t.Fatal("alice is not locked, or admin is")
	}
	if s, _ := f.st.ListSessions(ctx, alice.ID); len(s) != 0 {
		t.Errorf("alice still has %d sessions", len(s))
	}
	expect(t, aliceBrowser.get("/profile/alice"), http.StatusSeeOther, "/login?next=%2Fprofile%2Falice")
	ev := uaAudit(t, f, "user.lock")
	if len(ev) != 1 || ev[0].Target != "alice" || ev[0].Actor != "admin" || ev[0].Details["bulk"] != "yes" || ev[0].Details["sessions_ended"] != "1" {
		t.Errorf("lock events %+v", ev)
	}
	expect(t, b.post("/users", url.Values{"action": {"unlock"}, "users": {alice.ID}}), http.StatusSeeOther, "/users")
	if la := uaUser(t, f, "alice"); la.Locked(f.clock.now()) {
		t.Fatal("alice is still locked")
	}
	// Nothing selected, only oneself, unknown action.
	expect(t, b.post("/users", url.Values{"action": {"lock"}}), http.StatusSeeOther, "/users")
	b.get("/users")
	contains(t, b.last, "No user was selected.")
	expect(t, b.post("/users", url.Values{"action": {"delete"}, "users": {admin.ID}}), http.StatusSeeOther, "/users")
	expect(t, b.post("/users", url.Values{"action": {"explode"}, "users": {alice.ID}}), http.StatusBadRequest, "")
	// The back address must be the list.
	expect(t, b.post("/users", url.Values{"action": {"unlock"}, "users": {alice.ID}, "back": {"https://evil.example/"}}), http.StatusSeeOther, "/users")
	expect(t, b.post("/users", url.Values{"action": {"unlock"}, "users": {alice.ID}, "back": {"/logout"}}), http.StatusSeeOther, "/users")

	// Delete asks first, then deletes.
	expect(t, b.post("/users", url.Values{"action": {"delete"}, "users": {alice.ID, bob.ID, admin.ID}, "back": {back}}), http.StatusOK, "")
	contains(t, b.last, "Delete users", "These 2 accounts will be deleted", "<strong>alice</strong>", "<strong>bob</strong>",
		"Your own account was selected too", "Delete these 2 accounts", `href="`+strings.ReplaceAll(back, "?", "?")+`"`)
	if _, err := f.st.GetUser(ctx, alice.ID); err != nil {
		t.Fatal("alice was deleted before the confirmation")
	}
	expect(t, b.post("/users", url.Values{"action": {"delete"}, "confirm": {"yes"}, "users": {alice.ID, bob.ID}, "back": {back}}),
		http.StatusSeeOther, back)
	for _, id := range []string{alice.ID, bob.ID} {
		if _, err := f.st.GetUser(ctx, id); err == nil {
			t.Error("a user survived the deletion")
		}
	}
	if ev := uaAudit(t, f, "user.delete"); len(ev) != 2 || ev[0].Details["email"] == "" {
		t.Errorf("delete events %+v", ev)
	}
}

func TestUserCreate(t *testing.T) {
	f := newFixture(t)
	b := uaAdmin(t, f)
	expect(t, b.get("/profile"), http.StatusOK, "")
	contains(t, b.last, "Create a user", `name="user_name"`, `name="uid_number"`, `name="login_shell"`,
		`name="groups"`, ">staff</label>", `value="set" checked`)
	staff := uaGroup(t, f, "staff")

	// Errors are shown beside their fields, with the values kept.
	form := url.Values{"user_name": {"bad name"}, "given_name": {"Carol"}, "email": {"nope"}, "phone_number": {"x"},
		"uid_number": {"abc"}, "home_directory": {"relative"}, "groups_mode": {"list"}, "groups": {staff.ID},
		"password_mode": {"set"}, "password": {"carol's password"}, "password_confirm": {"other"},
		"profile_url": {"ftp://x"}}
	expect(t, b.post("/profile", form), http.StatusUnprocessableEntity, "")
	contains(t, b.last, "Some fields need your attention", `value="Carol"`, "Use 1 to 64 letters",
		"is not a valid email address", "is not a valid phone number", "Enter a whole number greater than 0.",
		`value="`+staff.ID+`" checked`, "Enter a web address")
	form.Set("user_name", "alice")
	form.Set("email", "bob@example.org")
	form.Set("phone_number", "")
	form.Set("profile_url", "")
	form.Set("uid_number", fmt.Sprint(f.users["bob"].UIDNumber))
	expect(t, b.post("/profile", form), http.StatusUnprocessableEntity, "")
	contains(t, b.last, "This user name is taken.", "already used by another account", "already used by bob",
		"The two passwords differ.")
	form.Set("user_name", "carol")
	form.Set("email", "carol@example.org")
	form.Set("uid_number", "")
	form.Set("password_confirm", "carol's password")
	expect(t, b.post("/profile", form), http.StatusUnprocessableEntity, "")
	contains(t, b.last, "absolute path")

	// Success, with every attribute.
	form.Set("home_directory", "/srv/home/carol")
	form.Set("login_shell", "/bin/zsh")
	form.Set("uid_number", "4242")
	form.Set("gid_number", "4343")
	form.Set("title", "Engineer")
	form.Set("preferred_language", "fr")
	form.Set("phone_number", "+33 1 02 03 04 05")
	expect(t, b.post("/profile", form), http.StatusSeeOther, "/profile/carol/settings")
	c := uaUser(t, f, "carol")
	if c.GivenName != "Carol" || c.Title != "Engineer" || c.UIDNumber != 4242 || c.GIDNumber != 4343 ||
		c.HomeDirectory != "/srv/home/carol" || c.LoginShell != "/bin/zsh" || c.PreferredLanguage != "fr" ||
		len(c.Groups) != 1 || c.Groups[0].Name != "staff" || len(c.PhoneNumbers) != 1 || !c.HasPassword() {
		t.Fatalf("carol: %+v", c)
	}
	b.get("/profile/carol/settings")
	contains(t, b.last, "The user is created.")
	ev := uaAudit(t, f, "user.create")
	if len(ev) != 1 || ev[0].Target != "carol" || ev[0].Details["groups"] != "staff" || ev[0].Details["password"] != "set" {
		t.Fatalf("create events %+v", ev)
	}
	if strings.Contains(fmt.Sprint(ev), "carol's password") || strings.Contains(f.logs.String(), "carol's password") {
		t.Fatal("the password reached the audit or the logs")
	}
	carol := f.browser()
	carol.login("carol", "carol's password")

	// Without a password, with a first-login email.
	expect(t, b.post("/profile", url.Values{"user_name": {"dave"}, "email": {"dave@example.org"}, "groups_mode": {"list"},
		"password_mode": {"email"}}), http.StatusSeeOther, "/profile/dave/settings")
	m := f.smtp.Wait(t, 1, 5*time.Second)[0]
	link := m.Link(f.srv.URL + "/reset/")
	if link == "" || m.To[0] != "dave@example.org" {
		t.Fatalf("first-login mail to %v: %s", m.To, m.Text)
	}
	if dv := uaUser(t, f, "dave"); dv.HasPassword() {
		t.Fatal("dave has a password")
	}
	d := f.browser()
	path := strings.TrimPrefix(link, f.srv.URL)
	expect(t, d.get(path), http.StatusOK, "")
	expect(t, d.post(path, url.Values{"password": {"dave's new password"}, "password_confirm": {"dave's new password"}}), http.StatusSeeOther, "/login")
	d.login("dave", "dave's new password")
	// The email mode needs an address.
	expect(t, b.post("/profile", url.Values{"user_name": {"erin"}, "groups_mode": {"list"}, "password_mode": {"email"}}), http.StatusUnprocessableEntity, "")
	contains(t, b.last, "Enter an email address to send the link to.")
	// No password at all.
	expect(t, b.post("/profile", url.Values{"user_name": {"erin"}, "groups_mode": {"list"}, "password_mode": {"none"}}), http.StatusSeeOther, "/profile/erin/settings")
	if e := uaUser(t, f, "erin"); e.HasPassword() || e.UIDNumber == 0 || e.HomeDirectory == "" {
		t.Fatalf("erin: %+v", e)
	}
}

func TestUserCreateWithoutMail(t *testing.T) {
	f := newFixture(t, withoutMail())
	b := uaAdmin(t, f)
	expect(t, b.get("/profile"), http.StatusOK, "")
	contains(t, b.last, `value="email" disabled`, "Needs a mail server")
	expect(t, b.post("/profile", url.Values{"user_name": {"dave"}, "email": {"dave@example.org"}, "groups_mode": {"list"},
		"password_mode": {"email"}}), http.StatusUnprocessableEntity, "")
	contains(t, b.last, "No mail server is configured")
}

func TestUserSettings(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	bob := f.browser()
	bob.login("bob", bobPass)
	b := uaAdmin(t, f)
	expect(t, b.get("/profile/bob/settings"), http.StatusOK, "")
	contains(t, b.last, "Bob Tester", `value="bob"`, `value="lock_now"`, `value="password"`, `value="send_reset"`,
		"/profile/bob/impersonate", `value="delete"`, `name="uid_number"`)
	expect(t, b.get("/profile/nobody/settings"), http.StatusNotFound, "")
	admins, staff := uaGroup(t, f, "admins"), uaGroup(t, f, "staff")

	// Rename, change groups and POSIX data.
	save := url.Values{"action": {"save"}, "user_name": {"alice"}, "uid_number": {"x"}, "gid_number": {"7"},
		"home_directory": {"/home/robert"}, "login_shell": {"/bin/sh"}, "groups_mode": {"list"}, "groups": {admins.ID}}
	expect(t, b.post("/profile/bob/settings", save), http.StatusUnprocessableEntity, "")
	contains(t, b.last, "This user name is taken.", "Enter a whole number", `value="`+admins.ID+`" checked`)
	save.Set("user_name", "robert")
	save.Set("uid_number", fmt.Sprint(f.users["alice"].UIDNumber))
	expect(t, b.post("/profile/bob/settings", save), http.StatusUnprocessableEntity, "")
	contains(t, b.last, "already used by alice")
	save.Set("uid_number", "5005")
	expect(t, b.post("/profile/bob/settings", save), http.StatusSeeOther, "/profile/robert/settings")
	r := uaUser(t, f, "robert")
	if r.ID != f.users["bob"].ID || r.UIDNumber != 5005 || r.GIDNumber != 7 || r.HomeDirectory != "/home/robert" ||
		len(r.Groups) != 1 || r.Groups[0].ID != admins.ID {
		t.Fatalf("robert: %+v", r)
	}
	ev := uaAudit(t, f, "user.update")
	if len(ev) != 1 || ev[0].Details["user_name"] != "bob → robert" || ev[0].Details["groups_added"] != "admins" ||
		ev[0].Details["groups_removed"] != "staff" || ev[0].Details["uid_number"] != "5005" {
		t.Fatalf("update events %+v", ev)
	}
	save.Set("user_name", "bob")
	save.Set("groups", staff.ID)
	expect(t, b.post("/profile/robert/settings", save), http.StatusSeeOther, "/profile/bob/settings")
	// bob's session went on through the rename.
	expect(t, bob.get("/profile/bob"), http.StatusOK, "")

	// Lock at a future date: nothing ends yet.
	later := f.clock.now().Add(48 * time.Hour).Local()
	expect(t, b.post("/profile/bob/settings", url.Values{"action": {"lock_at"}, "lock_at": {later.Format("2006-01-02T15:04")}}), http.StatusSeeOther, "/profile/bob/settings")
	if u := uaUser(t, f, "bob"); u.Locked(f.clock.now()) || !u.LockDate.Equal(later.Truncate(time.Minute)) {
		t.Fatalf("bob's lock date %v, want %v", u.LockDate, later)
	}
	expect(t, bob.get("/profile/bob"), http.StatusOK, "")
	b.get("/profile/bob/settings")
	contains(t, b.last, "The account will lock at the chosen date.", "Locks on")
	expect(t, b.post("/profile/bob/settings", url.Values{"action": {"lock_at"}, "lock_at": {"tomorrow"}}), http.StatusUnprocessableEntity, "")
	contains(t, b.last, "Enter a date and a time.")

	// Lock now: bob's session ends, signing in and the password are refused.
	expect(t, b.post("/profile/bob/settings", url.Values{"action": {"lock_now"}}), http.StatusSeeOther, "/profile/bob/settings")
	expect(t, bob.get("/profile/bob"), http.StatusSeeOther, "/login?next=%2Fprofile%2Fbob")
	if _, err := f.st.Authenticate(ctx, "bob", bobPass); err == nil {
		t.Fatal("a locked account authenticates")
	}
	other := f.browser()
	other.get("/login")
	other.post("/login", url.Values{"login": {"bob"}})
	other.get("/auth/password")
	expect(t, other.post("/auth/password", url.Values{"password": {bobPass}}), http.StatusForbidden, "")
	b.get("/profile/bob/settings")
	contains(t, b.last, "The account is locked and its sessions are ended.", "is locked since")
	if strings.Contains(b.last, "/profile/bob/impersonate") {
		t.Error("a locked account can be impersonated")
	}
	expect(t, b.post("/profile/bob/settings", url.Values{"action": {"unlock"}}), http.StatusSeeOther, "/profile/bob/settings")
	bob.login("bob", bobPass)
	if ev := uaAudit(t, f, "user.unlock"); len(ev) != 1 {
		t.Errorf("unlock events %+v", ev)
	}

	// Set a password: bob is signed out, the new one works.
	expect(t, b.post("/profile/bob/settings", url.Values{"action": {"password"}, "password": {"short"}, "password_confirm": {"short"}}),
		http.StatusUnprocessableEntity, "")
	contains(t, b.last, "Use at least 8 characters.")
	expect(t, b.post("/profile/bob/settings", url.Values{"action": {"password"}, "password": {"bob's next secret"},
		"password_confirm": {"bob's next secret"}}), http.StatusSeeOther, "/profile/bob/settings")
	expect(t, bob.get("/profile/bob"), http.StatusSeeOther, "/login?next=%2Fprofile%2Fbob")
	bob.login("bob", "bob's next secret")
	if ev := uaAudit(t, f, "user.password_set"); len(ev) != 1 || strings.Contains(fmt.Sprint(ev), "next secret") {
		t.Errorf("password events %+v", ev)
	}

	// A reset link by email, then not twice in a row.
	expect(t, b.post("/profile/bob/settings", url.Values{"action": {"send_reset"}}), http.StatusSeeOther, "/profile/bob/settings")
	m := f.smtp.Wait(t, 1, 5*time.Second)[0]
	if m.To[0] != "bob@example.org" || m.Link(f.srv.URL+"/reset/") == "" {
		t.Fatalf("reset mail to %v: %s", m.To, m.Text)
	}
	b.get("/profile/bob/settings")
	contains(t, b.last, "The email is sent.")
	expect(t, b.post("/profile/bob/settings", url.Values{"action": {"send_reset"}}), http.StatusSeeOther, "/profile/bob/settings")
	b.get("/profile/bob/settings")
	contains(t, b.last, "Wait a minute")

	// Delete asks first.
	expect(t, b.post("/profile/bob/settings", url.Values{"action": {"delete"}}), http.StatusOK, "")
	contains(t, b.last, "Bob Tester (bob) will be deleted for good", `name="confirm" value="yes"`)
	uaUser(t, f, "bob")
	expect(t, b.post("/profile/bob/settings", url.Values{"action": {"delete"}, "confirm": {"yes"}}), http.StatusSeeOther, "/users")
	if _, err := f.st.GetUserByName(ctx, "bob"); err == nil {
		t.Fatal("bob was not deleted")
	}
	expect(t, bob.get("/profile/bob"), http.StatusSeeOther, "/login?next=%2Fprofile%2Fbob")
	expect(t, b.post("/profile/alice/settings", url.Values{"action": {"nonsense"}}), http.StatusBadRequest, "")
	// The administrator cannot lock themself from the settings either.
	expect(t, b.post("/profile/admin/settings", url.Values{"action": {"lock_now"}}), http.StatusForbidden, "")
}

// TestAdminEditsProfile: the profile page lets managers edit others.
func TestAdminEditsProfile(t *testing.T) {
	f := newFixture(t)
	b := uaAdmin(t, f)
	expect(t, b.get("/profile/alice"), http.StatusOK, "")
	expect(t, b.postMultipart("/profile/alice", url.Values{"given_name": {"Alicia"}, "family_name": {"Tester"},
		"emails": {"alice@example.org", "alicia@example.org"}}, "", "", nil), http.StatusSeeOther, "/profile/alice")
	if u := uaUser(t, f, "alice"); u.GivenName != "Alicia" || len(u.Emails) != 2 {
		t.Fatalf("alice: %+v", u)
	}
}

func TestUserSelfDeletion(t *testing.T) {
	f := newFixture(t, uaPolicy(t, map[string]acl.SectionConfig{
		"DEFAULT": {Permissions: []string{"edit_self", "delete_account"}, Read: []string{"user_name", "groups"}},
		"ADMIN":   acl.Defaults()["ADMIN"],
	}))
	b := f.browser()
	b.login("alice", alicePass)
	expect(t, b.get("/profile/alice/settings"), http.StatusOK, "")
	contains(t, b.last, "Delete my account")
	expect(t, b.post("/profile/alice/settings", url.Values{"action": {"delete"}}), http.StatusOK, "")
	contains(t, b.last, "Your account will be deleted for good")
	expect(t, b.post("/profile/alice/settings", url.Values{"action": {"delete"}, "confirm": {"yes"}}), http.StatusSeeOther, "/login")
	if _, err := f.st.GetUserByName(context.Background(), "alice"); err == nil {
		t.Fatal("alice still exists")
	}
	// Others' settings stay out of reach.
	b2 := f.browser()
	b2.login("bob", bobPass)
	expect(t, b2.get("/profile/admin/settings"), http.StatusForbidden, "")
}
