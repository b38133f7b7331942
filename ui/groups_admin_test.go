package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/ldapserver"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/ui"
)

// gaPolicy replaces the ACL with sections.
func gaPolicy(t *testing.T, sections map[string]acl.SectionConfig) option {
	p, err := acl.Compile(sections)
	if err != nil {
		t.Fatal(err)
	}
	return func(c *ui.Config) { c.Policy = p }
}

// gaNoGroupsPolicy gives members of admins every permission and everybody
// else none of the group permissions.
func gaNoGroupsPolicy(t *testing.T) option {
	d := acl.Defaults()
	def := d["DEFAULT"]
	def.Permissions = []string{"edit_self", "use_oidc"}
	d["DEFAULT"] = def
	return gaPolicy(t, d)
}

func (f *fixture) gaGroup(name string) store.Group {
	f.t.Helper()
	g, err := f.st.GetGroupByName(context.Background(), name)
	if err != nil {
		f.t.Fatalf("group %s: %v", name, err)
	}
	return g
}

// gaAudited returns the audit events of an action, newest first.
func (f *fixture) gaAudited(action string) []store.AuditEvent {
	f.t.Helper()
	evs, err := f.st.ListAudit(context.Background(), store.AuditQuery{})
	if err != nil {
		f.t.Fatal(err)
	}
	return slices.DeleteFunc(evs, func(e store.AuditEvent) bool { return e.Action != action })
}

func (f *fixture) gaExpectAudit(action, actor, target string) store.AuditEvent {
	f.t.Helper()
	evs := f.gaAudited(action)
	if len(evs) == 0 {
		f.t.Fatalf("no audit event %s", action)
	}
	e := evs[0]
	if e.Actor != actor || e.Target != target {
		f.t.Fatalf("audit %s: actor %q target %q, want %q %q", action, e.Actor, e.Target, actor, target)
	}
	return e
}

// gaNoMessageIDs checks that a page shows no untranslated message ID of
// these pages.
var gaMessageIDRe = regexp.MustCompile(`\b(groups?|clients?|tokens?|mail_group)_[a-z_]+\b`)

func gaNoMessageIDs(t *testing.T, body string) {
	t.Helper()
	// Form field names and values are not messages.
	text := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(body, " ")
	for _, m := range gaMessageIDRe.FindAllString(text, -1) {
		switch m {
		case "client_secret_basic", "client_secret_post", "grant_types", "response_types", "client_id",
			"client_secret", "redirect_uri", "client_secret_expires_at", "oidc_issuer_url", "redirect_url",
			"email_domains", "code_challenge_method", "token_endpoint_auth_method", "discovery_url", "refresh_token",
			"client_credentials":
			continue
		}
		t.Errorf("the page shows the message ID %q", m)
	}
}

func TestGroupPermissions(t *testing.T) {
	f := newFixture(t)
	staff := f.gaGroup("staff")
	admins := f.gaGroup("admins")

	anon := f.browser()
	expect(t, anon.get("/groups"), http.StatusSeeOther, "/login?next=%2Fgroups")

	// alice has manage_own_groups (DEFAULT): she sees her groups, not
	// the others, and manages none she does not own.
	alice := f.browser()
	alice.login("alice", alicePass)
	expect(t, alice.get("/groups"), http.StatusOK, "")
	contains(t, alice.last, "staff", `href="/groups"`, "Leave")
	if strings.Contains(alice.last, "admins") {
		t.Error("alice sees the admins group")
	}
	if strings.Contains(alice.last, "/groups/edit/"+staff.ID+`"`) {
		t.Error("alice gets a link to manage staff")
	}
	for _, g := range []store.Group{staff, admins} {
		expect(t, alice.get("/groups/edit/"+g.ID), http.StatusForbidden, "")
		expect(t, alice.get("/groups/edit/"+g.ID+"/invite"), http.StatusForbidden, "")
		expect(t, alice.post("/groups/edit/"+g.ID, url.Values{"action": {"add_member"}, "user": {f.users["alice"].ID}}), http.StatusForbidden, "")
		expect(t, alice.post("/groups/edit/"+g.ID, url.Values{"action": {"delete_confirmed"}}), http.StatusForbidden, "")
		expect(t, alice.post("/groups/edit/"+g.ID+"/invite", url.Values{"user": {"bob"}}), http.StatusForbidden, "")
	}
	if g := f.gaGroup("admins"); g.HasMember(f.users["alice"].ID) {
		t.Fatal("alice joined admins")
	}
	expect(t, alice.get("/groups/edit/no-such-group"), http.StatusNotFound, "")
	if !strings.Contains(f.logs.String(), "event=forbidden") {
		t.Error("the refusals are not in the security log")
	}

	// Without manage_own_groups: 403 everywhere and no link.
	f2 := newFixture(t, gaNoGroupsPolicy(t))
	bob := f2.browser()
	bob.login("bob", bobPass)
	staff2 := f2.gaGroup("staff")
	for _, p := range []string{"/groups", "/groups/add", "/groups/edit/" + staff2.ID, "/groups/edit/" + staff2.ID + "/invite"} {
		expect(t, bob.get(p), http.StatusForbidden, "")
	}
	for _, p := range []string{"/groups/add", "/groups/edit/" + staff2.ID, "/groups/edit/" + staff2.ID + "/leave", "/groups/edit/" + staff2.ID + "/invite"} {
		expect(t, bob.post(p, url.Values{"display_name": {"x"}, "action": {"save"}}), http.StatusForbidden, "")
	}
	bob.get("/profile/bob")
	if strings.Contains(bob.last, `href="/groups"`) {
		t.Error("bob sees a link to /groups")
	}
	if g := f2.gaGroup("staff"); !g.HasMember(f2.users["bob"].ID) {
		t.Error("bob left staff without the permission")
	}
}

func TestGroupCreateEditDelete(t *testing.T) {
	f := newFixture(t)
	admin := f.browser()
	admin.login("admin", adminPass)
	expect(t, admin.get("/groups"), http.StatusOK, "")
	contains(t, admin.last, "admins", "staff", "New group", "2 members")
	gaNoMessageIDs(t, admin.last)

	expect(t, admin.get("/groups/add"), http.StatusOK, "")
	gaNoMessageIDs(t, admin.last)
	// Validation.
	expect(t, admin.post("/groups/add", url.Values{"display_name": {""}}), http.StatusUnprocessableEntity, "")
	contains(t, admin.last, "This field is required.")
	expect(t, admin.post("/groups/add", url.Values{"display_name": {"Staff"}}), http.StatusUnprocessableEntity, "")
	contains(t, admin.last, "Another group has this name.")
	expect(t, admin.post("/groups/add", url.Values{"display_name": {"devs"}, "gid_number": {"abc"}}), http.StatusUnprocessableEntity, "")
	contains(t, admin.last, "Enter a positive whole number")
	expect(t, admin.post("/groups/add", url.Values{"display_name": {"devs"}, "gid_number": {"bad\x01"}}), http.StatusUnprocessableEntity, "")

	// An empty group, owned by its creator.
	r := admin.post("/groups/add", url.Values{"display_name": {"devs"}, "description": {"Developers"}})
	devs := f.gaGroup("devs")
	expect(t, r, http.StatusSeeOther, "/groups/edit/"+devs.ID)
	if len(devs.Members) != 0 || !devs.IsOwner(f.users["admin"].ID) || devs.Description != "Developers" || devs.GIDNumber == 0 {
		t.Fatalf("created %+v", devs)
	}
	f.gaExpectAudit("group.create", "admin", "devs")
	expect(t, admin.get("/groups/edit/"+devs.ID), http.StatusOK, "")
	contains(t, admin.last, "The group is created", "This group has no member yet.", "Developers")
	gaNoMessageIDs(t, admin.last)

	// The picker searches users, without JavaScript.
	expect(t, admin.get("/groups/edit/"+devs.ID+"?q=ali"), http.StatusOK, "")
	contains(t, admin.last, "alice", `name="action" value="add_member"`)
	if strings.Contains(admin.last, ">bob<") {
		t.Error("the picker shows bob for ali")
	}
	expect(t, admin.get("/groups/edit/"+devs.ID+"?q=zzz"), http.StatusOK, "")
	contains(t, admin.last, "Nobody matches this search.")
	for _, u := range []string{"alice", "bob"} {
		r := admin.post("/groups/edit/"+devs.ID, url.Values{"action": {"add_member"}, "user": {f.users[u].ID}, "q": {"a"}})
		expect(t, r, http.StatusSeeOther, "/groups/edit/"+devs.ID+"?q=a#picker")
	}
	if g := f.gaGroup("devs"); len(g.Members) != 2 {
		t.Fatalf("members %v", g.Members)
	}
	f.gaExpectAudit("group.add_member", "admin", "devs")
	if !slices.ContainsFunc(f.gaAudited("group.add_member"), func(e store.AuditEvent) bool {
		return e.TargetUserID == f.users["bob"].ID && e.Details["user"] == "bob"
	}) {
		t.Errorf("no audit of bob's addition: %+v", f.gaAudited("group.add_member"))
	}
	expect(t, admin.post("/groups/edit/"+devs.ID, url.Values{"action": {"remove_member"}, "user": {f.users["bob"].ID}}), http.StatusSeeOther, "/groups/edit/"+devs.ID)
	expect(t, admin.post("/groups/edit/"+devs.ID, url.Values{"action": {"add_owner"}, "user": {f.users["alice"].ID}}), http.StatusSeeOther, "")
	g := f.gaGroup("devs")
	if g.HasMember(f.users["bob"].ID) || !g.HasMember(f.users["alice"].ID) || !g.IsOwner(f.users["alice"].ID) {
		t.Fatalf("group %+v", g)
	}
	f.gaExpectAudit("group.remove_member", "admin", "devs")
	f.gaExpectAudit("group.add_owner", "admin", "devs")
	expect(t, admin.post("/groups/edit/"+devs.ID, url.Values{"action": {"add_member"}, "user": {"nobody"}}), http.StatusBadRequest, "")
	expect(t, admin.post("/groups/edit/"+devs.ID, url.Values{"action": {"frobnicate"}}), http.StatusBadRequest, "")

	// Settings: rename, gid number, conflicts.
	expect(t, admin.post("/groups/edit/"+devs.ID, url.Values{"action": {"save"}, "display_name": {"staff"}, "gid_number": {""}}), http.StatusUnprocessableEntity, "")
	contains(t, admin.last, "Another group has this name.")
	staff := f.gaGroup("staff")
	expect(t, admin.post("/groups/edit/"+devs.ID, url.Values{"action": {"save"}, "display_name": {"devs"}, "gid_number": {gaItoa(staff.GIDNumber)}}), http.StatusUnprocessableEntity, "")
	contains(t, admin.last, "Another group has this number.")
	expect(t, admin.post("/groups/edit/"+devs.ID, url.Values{"action": {"save"}, "display_name": {"developers"}, "description": {"Dev team"}, "gid_number": {"5555"}}), http.StatusSeeOther, "/groups/edit/"+devs.ID)
	g = f.gaGroup("developers")
	if g.GIDNumber != 5555 || g.Description != "Dev team" || g.ID != devs.ID {
		t.Fatalf("saved %+v", g)
	}
	e := f.gaExpectAudit("group.update", "admin", "developers")
	if e.Details["renamed_from"] != "devs" || e.Details["gid_number"] != "5555" {
		t.Errorf("audit details %v", e.Details)
	}

	// Deletion asks first.
	expect(t, admin.post("/groups/edit/"+devs.ID, url.Values{"action": {"delete"}}), http.StatusOK, "")
	contains(t, admin.last, "Delete the group developers?", "1 member", `value="delete_confirmed"`)
	if _, err := f.st.GetGroup(context.Background(), devs.ID); err != nil {
		t.Fatal("deleted before the confirmation")
	}
	expect(t, admin.post("/groups/edit/"+devs.ID, url.Values{"action": {"delete_confirmed"}}), http.StatusSeeOther, "/groups")
	if _, err := f.st.GetGroup(context.Background(), devs.ID); err == nil {
		t.Fatal("not deleted")
	}
	if u, _ := f.st.GetUser(context.Background(), f.users["alice"].ID); slices.ContainsFunc(u.Groups, func(r store.Ref) bool { return r.ID == devs.ID }) {
		t.Error("alice still belongs to the deleted group")
	}
	f.gaExpectAudit("group.delete", "admin", "developers")

	// Without a CSRF token nothing happens.
	expect(t, admin.post("/groups/add", url.Values{"display_name": {"x"}, "csrf_token": {"forged"}}), http.StatusForbidden, "")
}

func gaItoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

func TestGroupOwner(t *testing.T) {
	f := newFixture(t)
	alice := f.browser()
	alice.login("alice", alicePass)
	// alice creates a group: she owns it and may manage it, not its gid.
	expect(t, alice.get("/groups/add"), http.StatusOK, "")
	if strings.Contains(alice.last, "gid_number") {
		t.Error("alice is offered the gid number")
	}
	r := alice.post("/groups/add", url.Values{"display_name": {"book club"}, "gid_number": {"4242"}})
	club := f.gaGroup("book club")
	expect(t, r, http.StatusSeeOther, "/groups/edit/"+club.ID)
	if club.GIDNumber == 4242 || !club.IsOwner(f.users["alice"].ID) {
		t.Fatalf("club %+v", club)
	}
	// Names of the ACL filters are reserved to managers of all groups.
	expect(t, alice.post("/groups/add", url.Values{"display_name": {"ADMINS"}}), http.StatusUnprocessableEntity, "")
	contains(t, alice.last, "only administrators may use it")
	expect(t, alice.post("/groups/edit/"+club.ID, url.Values{"action": {"save"}, "display_name": {"Admins"}}), http.StatusUnprocessableEntity, "")
	contains(t, alice.last, "only administrators may use it")

	expect(t, alice.post("/groups/edit/"+club.ID, url.Values{"action": {"add_member"}, "user": {f.users["bob"].ID}}), http.StatusSeeOther, "")
	expect(t, alice.post("/groups/edit/"+club.ID, url.Values{"action": {"save"}, "display_name": {"Book club"}, "description": {"Reading"}, "gid_number": {"4242"}}), http.StatusSeeOther, "")
	club = f.gaGroup("Book club")
	if club.GIDNumber == 4242 || club.Description != "Reading" || !club.HasMember(f.users["bob"].ID) {
		t.Fatalf("club %+v", club)
	}
	expect(t, alice.get("/groups"), http.StatusOK, "")
	contains(t, alice.last, "Book club", "/groups/edit/"+club.ID, "staff")

	// bob belongs to it but does not own it: he may leave, not manage.
	bob := f.browser()
	bob.login("bob", bobPass)
	expect(t, bob.get("/groups"), http.StatusOK, "")
	contains(t, bob.last, "Book club", "/groups/edit/"+club.ID+"/leave")
	expect(t, bob.get("/groups/edit/"+club.ID), http.StatusForbidden, "")
	expect(t, bob.post("/groups/edit/"+club.ID, url.Values{"action": {"add_owner"}, "user": {f.users["bob"].ID}}), http.StatusForbidden, "")
	bob.get("/groups")
	expect(t, bob.post("/groups/edit/"+club.ID+"/leave", nil), http.StatusSeeOther, "/groups")
	if g := f.gaGroup("Book club"); g.HasMember(f.users["bob"].ID) {
		t.Fatal("bob did not leave")
	}
	f.gaExpectAudit("group.leave", "bob", "Book club")
	expect(t, bob.post("/groups/edit/"+club.ID+"/leave", nil), http.StatusNotFound, "")

	// alice gives up her ownership: the group is no longer hers.
	alice.get("/groups/edit/" + club.ID)
	expect(t, alice.post("/groups/edit/"+club.ID, url.Values{"action": {"remove_owner"}, "user": {f.users["alice"].ID}}), http.StatusSeeOther, "/groups")
	expect(t, alice.get("/groups/edit/"+club.ID), http.StatusForbidden, "")
}

func TestGroupInvitation(t *testing.T) {
	f := newFixture(t)
	admin := f.browser()
	admin.login("admin", adminPass)
	admin.get("/groups/add")
	admin.post("/groups/add", url.Values{"display_name": {"devs"}})
	devs := f.gaGroup("devs")
	expect(t, admin.get("/groups/edit/"+devs.ID+"/invite"), http.StatusOK, "")
	gaNoMessageIDs(t, admin.last)
	expect(t, admin.post("/groups/edit/"+devs.ID+"/invite", url.Values{"user": {"nobody"}}), http.StatusUnprocessableEntity, "")
	contains(t, admin.last, "No account has this user name or email address.")
	expect(t, admin.post("/groups/edit/"+devs.ID+"/invite", url.Values{"user": {"bob@example.org"}}), http.StatusSeeOther, "/groups/edit/"+devs.ID)
	f.gaExpectAudit("group.invite", "admin", "devs")
	m := f.smtp.Wait(t, 1, 5*time.Second)[0]
	if m.To[0] != "bob@example.org" || !strings.Contains(m.Subject, "devs") || !strings.Contains(m.Text, "invites you to join the group devs") {
		t.Fatalf("mail %+v", m)
	}
	link := m.Link(f.srv.URL + "/group-invitation/")
	if link == "" || !strings.Contains(m.HTML, link) {
		t.Fatalf("no link in %s", m.Text)
	}
	path := strings.TrimPrefix(link, f.srv.URL)

	// Signed out: sign in first. As another user: refused.
	bob := f.browser()
	expect(t, bob.get(path), http.StatusSeeOther, "/login?next="+url.QueryEscape(path))
	alice := f.browser()
	alice.login("alice", alicePass)
	expect(t, alice.get(path), http.StatusForbidden, "")
	contains(t, alice.last, "This invitation is for another account.")
	expect(t, alice.post(path, nil), http.StatusForbidden, "")

	bob.login("bob", bobPass)
	expect(t, bob.get(path), http.StatusOK, "")
	contains(t, bob.last, "Admin Tester invites you to join the group devs.", "Join the group")
	gaNoMessageIDs(t, bob.last)
	expect(t, bob.post(path, nil), http.StatusSeeOther, "/groups")
	if g := f.gaGroup("devs"); !g.HasMember(f.users["bob"].ID) {
		t.Fatal("bob did not join")
	}
	e := f.gaExpectAudit("group.join", "bob", "devs")
	if e.Details["invited_by"] != "admin" {
		t.Errorf("audit %+v", e)
	}
	// Used once; an expired one is refused too.
	expect(t, bob.get(path), http.StatusGone, "")
	expect(t, admin.post("/groups/edit/"+devs.ID+"/invite", url.Values{"user": {"bob"}}), http.StatusUnprocessableEntity, "")
	contains(t, admin.last, "already a member")
	admin.post("/groups/edit/"+devs.ID+"/invite", url.Values{"user": {"alice"}})
	m = f.smtp.Wait(t, 2, 5*time.Second)[1]
	path = strings.TrimPrefix(m.Link(f.srv.URL+"/group-invitation/"), f.srv.URL)
	f.clock.advance(49 * time.Hour)
	alice2 := f.browser()
	alice2.login("alice", alicePass)
	expect(t, alice2.get(path), http.StatusGone, "")

	// Without mail, no invitations.
	f2 := newFixture(t, withoutMail())
	a2 := f2.browser()
	a2.login("admin", adminPass)
	expect(t, a2.get("/groups/edit/"+f2.gaGroup("staff").ID+"/invite"), http.StatusNotFound, "")
	a2.get("/groups/edit/" + f2.gaGroup("staff").ID)
	if strings.Contains(a2.last, "/groups/edit/"+f2.gaGroup("staff").ID+"/invite") {
		t.Error("the group page offers invitations without mail")
	}
}

func TestGroupsFrench(t *testing.T) {
	f := newFixture(t, func(c *ui.Config) { c.Language = "fr" })
	admin := f.browser()
	admin.login("admin", adminPass)
	staff := f.gaGroup("staff")
	for _, p := range []string{"/groups", "/groups/add", "/groups/edit/" + staff.ID + "?q=a", "/groups/edit/" + staff.ID + "/invite"} {
		expect(t, admin.get(p), http.StatusOK, "")
		gaNoMessageIDs(t, admin.last)
	}
	contains(t, admin.last, "Inviter quelqu’un dans staff")
}

func TestGroupsPaging(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := 0; i < 60; i++ {
		name := "team-" + string(rune('a'+i/26)) + string(rune('a'+i%26))
		if _, err := f.st.CreateGroup(ctx, store.Group{DisplayName: name}); err != nil {
			t.Fatal(err)
		}
	}
	admin := f.browser()
	admin.login("admin", adminPass)
	admin.get("/groups")
	contains(t, admin.last, "team-aa", "Next page")
	next := regexp.MustCompile(`href="(/groups\?after=[^"]+)"`).FindStringSubmatch(admin.last)
	if next == nil {
		t.Fatal("no next link")
	}
	expect(t, admin.get(strings.ReplaceAll(next[1], "&amp;", "&")), http.StatusOK, "")
	contains(t, admin.last, "team-ch", "First page")
	if strings.Contains(admin.last, ">team-aa<") {
		t.Error("the second page repeats the first")
	}
	admin.get("/groups?q=team-b")
	contains(t, admin.last, "team-ba")
	if strings.Contains(admin.last, ">staff<") {
		t.Error("search ignored")
	}
}

// TestGroupEmptyServedByLDAP: a group created empty in the pages is an
// entry of the LDAP server, without member until one is added.
func TestGroupEmptyServedByLDAP(t *testing.T) {
	f := newFixture(t)
	admin := f.browser()
	admin.login("admin", adminPass)
	admin.get("/groups/add")
	expect(t, admin.post("/groups/add", url.Values{"display_name": {"empty"}, "description": {"Nobody yet"}}), http.StatusSeeOther, "")
	g := f.gaGroup("empty")

	const root = "dc=example,dc=org"
	policy, err := acl.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ldapserver.New(ldapserver.Config{Listen: "127.0.0.1:0", RootDN: root, SizeLimit: 100,
		Secret: []byte(strings.Repeat("s", 32)), PasswordPolicy: store.PasswordPolicy{MinLength: 8, MaxLength: 100}}, f.st, policy)
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
	c, err := ldap.DialURL("ldap://" + srv.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind("uid=admin,ou=users,"+root, adminPass); err != nil {
		t.Fatal(err)
	}
	read := func() *ldap.Entry {
		t.Helper()
		res, err := c.Search(ldap.NewSearchRequest("cn=empty,ou=groups,"+root, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
			0, 0, false, "(objectClass=groupOfNames)", []string{"*"}, nil))
		if err != nil || len(res.Entries) != 1 {
			t.Fatalf("search: %v %v", res, err)
		}
		return res.Entries[0]
	}
	e := read()
	if len(e.GetAttributeValues("member")) != 0 || e.GetAttributeValue("description") != "Nobody yet" ||
		e.GetAttributeValue("owner") != "uid=admin,ou=users,"+root || e.GetAttributeValue("gidNumber") != gaItoa(g.GIDNumber) {
		t.Fatalf("entry %v", e.Attributes)
	}
	admin.get("/groups/edit/" + g.ID)
	admin.post("/groups/edit/"+g.ID, url.Values{"action": {"add_member"}, "user": {f.users["alice"].ID}})
	if got := read().GetAttributeValues("member"); len(got) != 1 || got[0] != "uid=alice,ou=users,"+root {
		t.Fatalf("members %v", got)
	}
}
