package ui_test

import (
	"context"
	"html"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

var (
	rightsPermRe    = regexp.MustCompile(`<tr class="granted">\s*<td>[^<]*<br><small><code>([a-z_]+)</code>`)
	rightsAttrRe    = regexp.MustCompile(`<tr class="(writable|readable|hidden)">\s*<td>[^<]*<br><small><code>([a-z_]+)</code>`)
	rightsSectionRe = regexp.MustCompile(`<article class="rights-section applies" id="section-([A-Z_]+)">`)
)

// pageRights reads the evaluation the permissions page shows, in the
// shape of `canaille get user NAME --permissions`: sections, permissions,
// read (WRITE included) and write, sorted.
func pageRights(body string) map[string][]string {
	out := map[string][]string{"sections": {}, "permissions": {}, "read": {}, "write": {}}
	for _, m := range rightsSectionRe.FindAllStringSubmatch(body, -1) {
		out["sections"] = append(out["sections"], m[1])
	}
	for _, m := range rightsPermRe.FindAllStringSubmatch(body, -1) {
		out["permissions"] = append(out["permissions"], m[1])
	}
	for _, m := range rightsAttrRe.FindAllStringSubmatch(body, -1) {
		switch m[1] {
		case "writable":
			out["write"] = append(out["write"], m[2])
			fallthrough
		case "readable":
			out["read"] = append(out["read"], m[2])
		}
	}
	for _, v := range out {
		slices.Sort(v)
	}
	return out
}

// cliRights is what `canaille get user NAME --permissions` prints for u
// (cmd/canaille printRights).
func cliRights(p *acl.Policy, u *store.User) map[string][]string {
	r := p.For(u)
	perms := []string{}
	for k := range r.Permissions {
		perms = append(perms, string(k))
	}
	read := maps.Clone(r.Read)
	maps.Copy(read, r.Write)
	sections := append([]string{}, r.Sections...)
	out := map[string][]string{"sections": sections, "permissions": perms,
		"read": slices.Collect(maps.Keys(read)), "write": slices.Collect(maps.Keys(r.Write))}
	for _, v := range out {
		slices.Sort(v)
	}
	return out
}

func samePolicyView(t *testing.T, who string, got, want map[string][]string) {
	t.Helper()
	for _, k := range []string{"sections", "permissions", "read", "write"} {
		if strings.Join(got[k], ",") != strings.Join(want[k], ",") {
			t.Errorf("%s %s: page %v, command line %v", who, k, got[k], want[k])
		}
	}
}

func TestPermissionsPageDefaults(t *testing.T) {
	f := newFixture(t)
	policy, _ := acl.Compile(nil)
	ctx := context.Background()

	alice := f.browser()
	alice.login("alice", alicePass)
	expect(t, alice.get("/profile/alice/permissions"), http.StatusOK, "")
	contains(t, alice.last, "Permissions of Alice Tester", "What you may do on this server", "DEFAULT", "applies to everybody",
		"Edit their own profile and password", "Read the whole directory over LDAP",
		"canaille get user alice --permissions")
	u, _ := f.st.GetUserByName(ctx, "alice")
	samePolicyView(t, "alice", pageRights(alice.last), cliRights(policy, &u))
	// A user sees the rules that apply to them, not the whole policy.
	if strings.Contains(alice.last, "ADMIN") || strings.Contains(alice.last, "do not apply") || strings.Contains(alice.last, "/admin/audit") {
		t.Error("alice sees the sections that do not apply to her, or the audit log link")
	}
	// Case does not matter in her own name; others are forbidden.
	expect(t, alice.get("/profile/Alice/permissions"), http.StatusOK, "")
	for _, p := range []string{"/profile/admin/permissions", "/profile/bob/permissions", "/profile/nobody/permissions"} {
		expect(t, alice.get(p), http.StatusForbidden, "")
	}

	admin := f.browser()
	admin.login("admin", adminPass)
	for _, name := range []string{"admin", "alice", "bob"} {
		expect(t, admin.get("/profile/"+name+"/permissions"), http.StatusOK, "")
		u, _ := f.st.GetUserByName(ctx, name)
		samePolicyView(t, name, pageRights(admin.last), cliRights(policy, &u))
	}
	// bob, seen by the administrator: ADMIN does not apply, and why.
	contains(t, admin.last, "What bob may do on this server", "1 other section does not apply",
		`<code>groups = &#34;admins&#34;</code> <span class="right-no" title="false for this user">✗</span>`,
		`href="/admin/audit?uid=`+f.users["bob"].ID+`"`)
	admin.get("/profile/admin/permissions")
	contains(t, admin.last, `<article class="rights-section applies" id="section-ADMIN">`,
		`<code>groups = &#34;admins&#34;</code> <span class="right-yes" title="true for this user">✓</span>`, "For this user:",
		"Act as another user", "ADMIN, DEFAULT")
	expect(t, admin.get("/profile/nobody/permissions"), http.StatusNotFound, "")

	// In French.
	alice.getLang("/profile/alice/permissions", "fr")
	contains(t, alice.last, "Droits de Alice Tester", "s&#39;applique à tout le monde", "Modifier son propre profil et son mot de passe",
		"Adresses électroniques", "Lecture", "Écriture")
}

// A configured policy with several kinds of filters: the page shows each
// condition and agrees with the command line for every user.
func TestPermissionsPageConfiguredPolicy(t *testing.T) {
	sections := map[string]acl.SectionConfig{
		"DEFAULT": {Permissions: []string{"edit_self"}, Read: []string{"user_name", "groups"}, Write: []string{"emails"}},
		"STAFF": {Filter: []any{map[string]any{"groups": "staff", "user_name": "alice"}, map[string]any{"user_name": "root"}},
			Permissions: []string{"use_oidc", "ldap_read"}, Write: []string{"display_name"}},
		"MANAGERS": {Filter: map[string]any{"user_name": []any{"admin", "carol"}},
			Permissions: []string{"manage_users"}, Write: []string{"lock_date", "groups"}},
	}
	f := newFixture(t, withPolicy(t, sections))
	policy, err := acl.Compile(sections)
	if err != nil {
		t.Fatal(err)
	}
	admin := f.browser()
	admin.login("admin", adminPass)
	for _, name := range []string{"admin", "alice", "bob"} {
		expect(t, admin.get("/profile/"+name+"/permissions"), http.StatusOK, "")
		u, _ := f.st.GetUserByName(context.Background(), name)
		samePolicyView(t, name, pageRights(admin.last), cliRights(policy, &u))
		if name == "alice" {
			body := html.UnescapeString(admin.last)
			contains(t, body, `(groups = "staff" and user_name = "alice") or user_name = "root"`,
				`<code>groups = "staff"</code> <span class="right-yes" title="true for this user">✓</span> <em>and</em> <code>user_name = "alice"</code> <span class="right-yes"`,
				`<em>or</em> <code>user_name = "root"</code> <span class="right-no"`,
				`<code>user_name in ("admin", "carol")</code> <span class="right-no"`, "1 other section does not apply")
		}
		if name == "bob" {
			contains(t, admin.last, "STAFF", "MANAGERS")
			if got := pageRights(admin.last)["sections"]; strings.Join(got, ",") != "DEFAULT" {
				t.Errorf("bob's sections %v", got)
			}
		}
	}
	// alice has no manage_users here: her own page only.
	alice := f.browser()
	alice.login("alice", alicePass)
	expect(t, alice.get("/profile/alice/permissions"), http.StatusOK, "")
	expect(t, alice.get("/profile/bob/permissions"), http.StatusForbidden, "")
	expect(t, alice.get("/admin/audit"), http.StatusForbidden, "")
}

// With no section matching, the page says so.
func TestPermissionsPageNoSection(t *testing.T) {
	f := newFixture(t, withPolicy(t, map[string]acl.SectionConfig{
		"ADMIN": {Filter: map[string]any{"groups": "admins"}, Permissions: []string{"manage_users"}},
	}))
	b := f.browser()
	b.login("admin", adminPass)
	expect(t, b.get("/profile/bob/permissions"), http.StatusOK, "")
	contains(t, b.last, "No access rule applies")
	if got := pageRights(b.last); len(got["permissions"])+len(got["read"]) != 0 {
		t.Errorf("bob's rights %v", got)
	}
}
