package ui_test

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/ui"
)

const caRP = "http://127.0.0.1:9" // the relying party of the "app" client (never called)

// caFixture is a fixture serving the provider, with its client "app".
func caFixture(t *testing.T) *fixture {
	return newFixture(t, withOIDC(t, caRP, "app-secret-123456"))
}

var caSecretRe = regexp.MustCompile(`id="client-secret">([^<]+)<`)

// caShownSecret returns the secret shown once on the page.
func caShownSecret(t *testing.T, body string) string {
	t.Helper()
	m := caSecretRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no secret on the page:\n%s", body)
	}
	return html.UnescapeString(m[1])
}

func (f *fixture) caClient(id string) store.Client {
	f.t.Helper()
	cl, err := f.st.GetClient(context.Background(), id)
	if err != nil {
		f.t.Fatalf("client %s: %v", id, err)
	}
	return cl
}

// caForm is a valid creation form.
func caForm(v url.Values) url.Values {
	out := url.Values{"client_name": {"Wiki"}, "redirect_uris": {"https://wiki.example.org/callback"},
		"grant_types": {"authorization_code", "refresh_token"}, "response_types": {"code"},
		"scope": {"openid profile email"}, "token_endpoint_auth_method": {"client_secret_basic"},
		"application_type": {"web"}, "id_token_signed_response_alg": {"ES256"}}
	for k, x := range v {
		out[k] = x
	}
	return out
}

func TestClientPermissions(t *testing.T) {
	f := caFixture(t)
	ctx := context.Background()
	tok, err := f.st.CreateToken(ctx, store.Token{AccessToken: "at-1", ClientID: "app", Subject: f.users["alice"].ID,
		Type: "access_token", IssueDate: f.clock.now(), Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	alice := f.browser()
	alice.login("alice", alicePass)
	gets := []string{"/admin/client", "/admin/client/add", "/admin/client/edit/app", "/admin/token", "/admin/token/" + tok.ID}
	for _, p := range gets {
		expect(t, alice.get(p), http.StatusForbidden, "")
	}
	for _, p := range []string{"/admin/client/add", "/admin/client/edit/app", "/admin/token/" + tok.ID} {
		expect(t, alice.post(p, url.Values{"action": {"delete_confirmed"}}), http.StatusForbidden, "")
	}
	expect(t, alice.post("/admin/token/"+tok.ID, url.Values{"action": {"revoke"}}), http.StatusForbidden, "")
	if _, err := f.st.GetClient(ctx, "app"); err != nil {
		t.Fatal("alice deleted the client")
	}
	if tk, _ := f.st.GetToken(ctx, tok.ID); tk.Revoked() {
		t.Fatal("alice revoked a token")
	}
	alice.get("/profile/alice")
	if strings.Contains(alice.last, "/admin/client") || strings.Contains(alice.last, "/admin/token") {
		t.Error("alice sees links to the client pages")
	}
	anon := f.browser()
	expect(t, anon.get("/admin/client"), http.StatusSeeOther, "/login?next=%2Fadmin%2Fclient")

	admin := f.browser()
	admin.login("admin", adminPass)
	for _, p := range gets {
		expect(t, admin.get(p), http.StatusOK, "")
		gaNoMessageIDs(t, admin.last)
	}
	contains(t, admin.last, `href="/admin/client"`, `href="/admin/token"`)
	expect(t, admin.get("/admin/client/edit/nope"), http.StatusNotFound, "")
	expect(t, admin.get("/admin/token/nope"), http.StatusNotFound, "")

	// Without the provider, the pages do not exist.
	f2 := newFixture(t)
	a2 := f2.browser()
	a2.login("admin", adminPass)
	for _, p := range gets {
		expect(t, a2.get(p), http.StatusNotFound, "")
	}
	if strings.Contains(a2.last, `href="/admin/client"`) {
		t.Error("the menu links to the client pages without the provider")
	}
}

func TestClientCreate(t *testing.T) {
	f := caFixture(t)
	admin := f.browser()
	admin.login("admin", adminPass)
	expect(t, admin.get("/admin/client/add"), http.StatusOK, "")
	// The defaults: code flow with refresh tokens, openid profile email,
	// client_secret_basic, the provider's algorithm (ES256 here).
	contains(t, admin.last, `value="authorization_code" checked`, `value="refresh_token" checked`,
		`value="openid profile email"`, `<option value="client_secret_basic" selected>`, `<option value="ES256" selected>`)
	if strings.Contains(admin.last, `value="implicit" checked`) {
		t.Error("implicit is on by default")
	}

	for _, tc := range []struct {
		name string
		v    url.Values
		says string
	}{
		{"NoRedirect", url.Values{"redirect_uris": {""}}, "are required"},
		{"BadLine", url.Values{"redirect_uris": {"https://wiki.example.org/cb\nnot a uri"}}, "Line 2:"},
		{"PlainHTTP", url.Values{"redirect_uris": {"http://wiki.example.org/cb"}}, "must use https"},
		{"Fragment", url.Values{"redirect_uris": {"https://wiki.example.org/cb#x"}}, "fragment"},
		{"CodeWithoutResponse", url.Values{"response_types": {"token"}}, "implicit"},
		{"PublicCredentials", url.Values{"token_endpoint_auth_method": {"none"}, "grant_types": {"client_credentials"}, "response_types": nil}, "client_credentials"},
		{"PrivateKeyWithoutKeys", url.Values{"token_endpoint_auth_method": {"private_key_jwt"}}, "needs jwks"},
		{"BadJWKS", url.Values{"jwks": {"{not json"}}, "jwks"},
		{"UnknownAlg", url.Values{"id_token_signed_response_alg": {"HS256"}}, "Choose one of the proposed values."},
		{"BadMaxAge", url.Values{"default_max_age": {"-3"}}, "whole number"},
		{"TakenID", url.Values{"client_id": {"app"}}, "Another application has this client ID."},
		{"BadID", url.Values{"client_id": {"a b"}}, "client_id"},
		{"Encryption", url.Values{"jwks_uri": {"http://keys.example.org/jwks"}}, "https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			admin.get("/admin/client/add")
			r := admin.post("/admin/client/add", caForm(tc.v))
			expect(t, r, http.StatusUnprocessableEntity, "")
			contains(t, admin.last, tc.says, "Some fields need your attention")
		})
	}
	if cls, _ := f.st.ListClients(context.Background()); len(cls) != 1 {
		t.Fatalf("%d clients after refusals", len(cls))
	}

	admin.get("/admin/client/add")
	r := admin.post("/admin/client/add", caForm(url.Values{"client_id": {"wiki"}, "contacts": {"ops@example.org\n\nadmin@example.org"},
		"post_logout_redirect_uris": {"https://wiki.example.org/bye"}, "require_pkce": {"1"}}))
	expect(t, r, http.StatusOK, "")
	contains(t, admin.last, "The application is created.", "shown only once", "wiki", "/.well-known/openid-configuration",
		"oidc_issuer_url", "user_oidc:provider")
	gaNoMessageIDs(t, admin.last)
	secret := caShownSecret(t, admin.last)
	cl := f.caClient("wiki")
	if !cl.CheckSecret(secret, time.Now()) || strings.Contains(cl.ClientSecretHash, secret) {
		t.Fatal("the shown secret is not the client's")
	}
	if cl.ClientName != "Wiki" || len(cl.Contacts) != 2 || !cl.RequirePKCE || cl.ApplicationType != "web" ||
		strings.Join(cl.Scope, " ") != "openid profile email" || len(cl.PostLogoutRedirectURIs) != 1 {
		t.Fatalf("client %+v", cl)
	}
	e := f.gaExpectAudit("client.create", "admin", "wiki")
	if strings.Contains(strings.Join(mapValues(e.Details), " "), secret) || strings.Contains(f.logs.String(), secret) {
		t.Fatal("the secret reached the audit or the logs")
	}
	// The secret is not shown again.
	admin.get("/admin/client/edit/wiki")
	if strings.Contains(admin.last, secret) {
		t.Fatal("the edit page shows the secret")
	}
	contains(t, admin.last, "set (shown only when it was created)", "CLIENT_SECRET")
	admin.get("/admin/client")
	contains(t, admin.last, "Wiki", "wiki", "https://wiki.example.org/callback")

	// A random client_id when none is given; a public client has no
	// secret.
	admin.get("/admin/client/add")
	expect(t, admin.post("/admin/client/add", caForm(url.Values{"token_endpoint_auth_method": {"none"}, "client_name": {"SPA"}})), http.StatusOK, "")
	if caSecretRe.MatchString(admin.last) {
		t.Error("a public client got a secret")
	}
	cls, _ := f.st.ListClients(context.Background())
	if len(cls) != 3 {
		t.Fatalf("%d clients", len(cls))
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestClientEdit(t *testing.T) {
	f := caFixture(t)
	ctx := context.Background()
	admin := f.browser()
	admin.login("admin", adminPass)
	expect(t, admin.get("/admin/client/edit/app"), http.StatusOK, "")
	contains(t, admin.last, "Wiki", "http://127.0.0.1:9/callback", "/.well-known/openid-configuration", "openid profile email groups")

	// Every field round-trips.
	v := caForm(url.Values{"action": {"save"}, "client_name": {"Wiki 2"}, "description": {"The team wiki"},
		"redirect_uris": {caRP + "/callback\n" + caRP + "/callback2"}, "scope": {"openid email custom_scope"},
		"grant_types": {"authorization_code", "refresh_token", "password"}, "default_max_age": {"600"},
		"require_auth_time": {"1"}, "audience": {"other"}, "client_secret_expires_at": {"2099-01-02T03:04"},
		"userinfo_signed_response_alg": {"ES256"}, "logo_uri": {"https://wiki.example.org/logo.png"}})
	expect(t, admin.post("/admin/client/edit/app", v), http.StatusSeeOther, "/admin/client/edit/app")
	cl := f.caClient("app")
	if cl.ClientName != "Wiki 2" || cl.Description != "The team wiki" || len(cl.RedirectURIs) != 2 ||
		!cl.AllowPasswordGrant || cl.DefaultMaxAge != 600 || !cl.RequireAuthTime || cl.Audience[0] != "other" ||
		cl.ClientSecretExpiresAt.Format(time.RFC3339) != "2099-01-02T03:04:00Z" || cl.UserinfoSignedResponseAlg != "ES256" ||
		!cl.CheckSecret("app-secret-123456", time.Now()) {
		t.Fatalf("saved %+v", cl)
	}
	e := f.gaExpectAudit("client.update", "admin", "app")
	if !strings.Contains(e.Details["fields"], "client_name") || strings.Contains(e.Details["fields"], "jwks ") {
		t.Errorf("audit %v", e.Details)
	}
	admin.get("/admin/client/edit/app")
	contains(t, admin.last, `value="password" checked`, "custom_scope", "2099-01-02T03:04", "The application is saved.")
	// Removing the password grant removes the flag.
	v.Set("grant_types", "authorization_code")
	v.Add("grant_types", "refresh_token")
	expect(t, admin.post("/admin/client/edit/app", v), http.StatusSeeOther, "")
	if cl := f.caClient("app"); cl.AllowPasswordGrant {
		t.Fatal("the password grant stayed allowed")
	}
	// Invalid: kept as typed, with the errors.
	admin.get("/admin/client/edit/app")
	bad := caForm(url.Values{"action": {"save"}, "redirect_uris": {"ftp://x"}, "client_name": {"Broken"}})
	expect(t, admin.post("/admin/client/edit/app", bad), http.StatusUnprocessableEntity, "")
	contains(t, admin.last, "ftp://x", "Broken")
	if f.caClient("app").ClientName == "Broken" {
		t.Fatal("an invalid form was saved")
	}

	// Renewing the secret: the new one works, the old one no longer.
	admin.get("/admin/client/edit/app")
	expect(t, admin.post("/admin/client/edit/app", url.Values{"action": {"renew_secret"}}), http.StatusOK, "")
	secret := caShownSecret(t, admin.last)
	if cl := f.caClient("app"); !cl.CheckSecret(secret, time.Now()) || cl.CheckSecret("app-secret-123456", time.Now()) {
		t.Fatal("the secret was not renewed")
	}
	f.gaExpectAudit("client.secret_renew", "admin", "app")
	// The token endpoint agrees.
	if st := caTokenStatus(t, f, "app", "app-secret-123456"); st != http.StatusUnauthorized {
		t.Errorf("old secret: %d", st)
	}

	// A public client has no secret; going back to a secret makes one.
	admin.get("/admin/client/edit/app")
	pub := caForm(url.Values{"action": {"save"}, "redirect_uris": {caRP + "/callback"}, "token_endpoint_auth_method": {"none"}})
	expect(t, admin.post("/admin/client/edit/app", pub), http.StatusSeeOther, "")
	if cl := f.caClient("app"); cl.ClientSecretHash != "" {
		t.Fatal("a public client kept its secret")
	}
	expect(t, admin.post("/admin/client/edit/app", url.Values{"action": {"renew_secret"}}), http.StatusBadRequest, "")
	admin.get("/admin/client/edit/app")
	pub.Set("token_endpoint_auth_method", "client_secret_post")
	expect(t, admin.post("/admin/client/edit/app", pub), http.StatusOK, "")
	secret = caShownSecret(t, admin.last)
	if cl := f.caClient("app"); !cl.CheckSecret(secret, time.Now()) {
		t.Fatal("no new secret")
	}

	// A registration access token manages the client (RFC 7592).
	admin.get("/admin/client/edit/app")
	expect(t, admin.post("/admin/client/edit/app", url.Values{"action": {"management_token"}}), http.StatusOK, "")
	m := regexp.MustCompile(`id="management-token">([^<]+)<`).FindStringSubmatch(admin.last)
	if m == nil {
		t.Fatal("no management token")
	}
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/oauth/register/app", nil)
	req.Header.Set("Authorization", "Bearer "+m[1])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("management token refused: %d", resp.StatusCode)
	}

	// Deletion asks first, then takes the consents and tokens along.
	alice := f.users["alice"]
	if _, err := f.st.PutConsent(ctx, store.Consent{Subject: alice.ID, ClientID: "app", Scope: []string{"openid"}, IssueDate: f.clock.now()}); err != nil {
		t.Fatal(err)
	}
	tok, err := f.st.CreateToken(ctx, store.Token{AccessToken: "at-x", ClientID: "app", Subject: alice.ID, Type: "access_token",
		IssueDate: f.clock.now(), Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	admin.get("/admin/client/edit/app")
	expect(t, admin.post("/admin/client/edit/app", url.Values{"action": {"delete"}}), http.StatusOK, "")
	contains(t, admin.last, "Delete Wiki?", "Consents deleted with the application: 1. Active tokens deleted with it: 1.")
	if _, err := f.st.GetClient(ctx, "app"); err != nil {
		t.Fatal("deleted before the confirmation")
	}
	expect(t, admin.post("/admin/client/edit/app", url.Values{"action": {"delete_confirmed"}}), http.StatusSeeOther, "/admin/client")
	if _, err := f.st.GetClient(ctx, "app"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("the client remains")
	}
	if _, err := f.st.GetToken(ctx, tok.ID); !errors.Is(err, store.ErrNotFound) {
		t.Error("its token remains")
	}
	if cs, _ := f.st.ListConsents(ctx, alice.ID, "app"); len(cs) != 0 {
		t.Error("its consent remains")
	}
	f.gaExpectAudit("client.delete", "admin", "app")
	admin.get("/admin/client")
	contains(t, admin.last, "The application is deleted", "No application is registered yet.")
}

// caTokenStatus asks for a client_credentials token and returns the
// status of the answer.
func caTokenStatus(t *testing.T, f *fixture, id, secret string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// caPostForm posts a form to the provider with basic authentication and
// decodes the JSON answer.
func caPostForm(t *testing.T, f *fixture, path, id, secret string, v url.Values) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s answered %d: %v", path, resp.StatusCode, err)
	}
	return out
}

func TestTokens(t *testing.T) {
	f := caFixture(t)
	ctx := context.Background()
	admin := f.browser()
	admin.login("admin", adminPass)

	// A client made in the pages gets a real token, which the pages
	// revoke: introspection agrees.
	admin.get("/admin/client/add")
	expect(t, admin.post("/admin/client/add", caForm(url.Values{"client_id": {"batch"}, "client_name": {"Batch"},
		"grant_types": {"client_credentials"}, "response_types": nil, "redirect_uris": {""}, "scope": {"openid"}})), http.StatusOK, "")
	secret := caShownSecret(t, admin.last)
	got := caPostForm(t, f, "/oauth/token", "batch", secret, url.Values{"grant_type": {"client_credentials"}})
	at, _ := got["access_token"].(string)
	if at == "" {
		t.Fatalf("token answer %v", got)
	}
	if in := caPostForm(t, f, "/oauth/introspect", "batch", secret, url.Values{"token": {at}}); in["active"] != true {
		t.Fatalf("introspection %v", in)
	}
	list, err := f.st.ListTokens(ctx, store.TokenQuery{ClientID: "batch"})
	if err != nil || len(list) != 1 {
		t.Fatalf("tokens %v %v", list, err)
	}
	id := list[0].ID

	// Fixtures for the filters: alice's active, expired and revoked tokens.
	alice := f.users["alice"]
	now := f.clock.now()
	mk := func(v string, issued time.Time, revoked bool) store.Token {
		tk := store.Token{AccessToken: v, ClientID: "app", Subject: alice.ID, Type: "access_token", Scope: []string{"openid", "email"},
			IssueDate: issued, Lifetime: time.Hour}
		if revoked {
			tk.RevocationDate = now
		}
		tk, err := f.st.CreateToken(ctx, tk)
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	active := mk("alice-active-token", now, false)
	expired := mk("alice-expired-token", now.Add(-2*time.Hour), false)
	revoked := mk("alice-revoked-token", now, true)

	rows := func(path string) int {
		t.Helper()
		expect(t, admin.get(path), http.StatusOK, "")
		gaNoMessageIDs(t, admin.last)
		return strings.Count(admin.last, `href="/admin/token/`)
	}
	for path, want := range map[string]int{
		"/admin/token":                           4,
		"/admin/token?client=app":                3,
		"/admin/token?client=batch":              1,
		"/admin/token?user=alice":                3,
		"/admin/token?user=alice%40example.org":  3,
		"/admin/token?user=bob":                  0,
		"/admin/token?user=nobody":               0,
		"/admin/token?state=active":              2,
		"/admin/token?state=expired":             1,
		"/admin/token?state=revoked":             1,
		"/admin/token?client=app&state=active":   1,
		"/admin/token?user=alice&state=revoked":  1,
		"/admin/token?state=bogus&client=batch":  1,
		"/admin/token?client=app&page=2":         0,
		"/admin/token?client=app&page=-1&user=a": 0,
	} {
		if got := rows(path); got != want {
			t.Errorf("%s: %d tokens, want %d", path, got, want)
		}
	}
	admin.get("/admin/token?user=nobody")
	contains(t, admin.last, "No account has this user name")
	admin.get("/admin/token?client=app")
	contains(t, admin.last, "alice", "Wiki", "active", "expired", "revoked", "openid email")
	for _, v := range []string{"alice-active-token", store.Digest("alice-active-token"), at} {
		if strings.Contains(admin.last, v) {
			t.Fatal("the list shows a token value or digest")
		}
	}
	_ = expired
	_ = revoked

	// One token's page, and its revocation.
	expect(t, admin.get("/admin/token/"+active.ID), http.StatusOK, "")
	contains(t, admin.last, "Access token", "alice", "Wiki", "openid", "Revoke this token")
	if strings.Contains(admin.last, "alice-active-token") || strings.Contains(admin.last, store.Digest("alice-active-token")) {
		t.Fatal("the page shows the token")
	}
	expect(t, admin.post("/admin/token/"+active.ID, url.Values{"action": {"revoke"}}), http.StatusSeeOther, "/admin/token/"+active.ID)
	if tk, _ := f.st.GetToken(ctx, active.ID); !tk.Revoked() {
		t.Fatal("not revoked")
	}
	e := f.gaExpectAudit("token.revoke", "admin", active.ID)
	if e.TargetUserID != alice.ID || e.Details["client_id"] != "app" {
		t.Errorf("audit %+v", e)
	}
	admin.get("/admin/token/" + active.ID)
	contains(t, admin.last, "revoked", "The token is revoked.")
	if strings.Contains(admin.last, `value="revoke"`) {
		t.Error("a revoked token offers revocation")
	}
	expect(t, admin.post("/admin/token/"+active.ID, url.Values{"action": {"bogus"}}), http.StatusBadRequest, "")

	// The real token: revoked in the pages, inactive for introspection.
	admin.get("/admin/token/" + id)
	contains(t, admin.last, "Batch", "(the application itself)")
	expect(t, admin.post("/admin/token/"+id, url.Values{"action": {"revoke"}}), http.StatusSeeOther, "")
	if in := caPostForm(t, f, "/oauth/introspect", "batch", secret, url.Values{"token": {at}}); in["active"] != false {
		t.Fatalf("introspection after revocation %v", in)
	}
}

func TestClientsFrench(t *testing.T) {
	f := newFixture(t, withOIDC(t, caRP, "app-secret-123456"), func(c *ui.Config) { c.Language = "fr" })
	ctx := context.Background()
	tok, err := f.st.CreateToken(ctx, store.Token{AccessToken: "at-fr", ClientID: "app", Subject: f.users["alice"].ID,
		Type: "refresh_token", IssueDate: f.clock.now(), Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	admin := f.browser()
	admin.login("admin", adminPass)
	for path, want := range map[string]string{
		"/admin/client":          "Nouvelle application",
		"/admin/client/add":      "Créer l’application",
		"/admin/client/edit/app": "Renouveler le secret",
		"/admin/token":           "Toutes les applications",
		"/admin/token/" + tok.ID: "Jeton de rafraîchissement",
	} {
		expect(t, admin.get(path), http.StatusOK, "")
		gaNoMessageIDs(t, admin.last)
		contains(t, admin.last, want)
	}
}
