package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// RunOIDC tests store.OIDCStore: clients, authorization codes, tokens,
// consents, sessions, tickets, JWT IDs and signing keys.
func RunOIDC(t *testing.T, s Suite) {
	s.requireFull(t)
	var tests []subtest
	tests = append(tests, clientTests()...)
	tests = append(tests, codeTests()...)
	tests = append(tests, tokenTests()...)
	tests = append(tests, consentTests()...)
	tests = append(tests, sessionTests()...)
	tests = append(tests, ticketTests()...)
	tests = append(tests, jtiAndKeyTests()...)
	s.subtests(t, tests)
}

// newClient returns a valid confidential client whose secret is
// "secret-of-" + id.
func newClient(id string) store.Client {
	c := store.Client{
		ID: id, ClientName: "App " + id, Description: "The " + id + " application",
		ClientURI:               "https://" + id + ".example.org/",
		Contacts:                []string{"admin@" + id + ".example.org"},
		RedirectURIs:            []string{"https://" + id + ".example.org/callback", "com.example." + id + ":/cb"},
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		ResponseTypes:           []string{"code"},
		Scope:                   []string{"openid", "profile", "email"},
		Audience:                []string{id},
		TokenEndpointAuthMethod: store.AuthMethodBasic,
		ApplicationType:         "web",
		DefaultMaxAge:           3600,
		RequirePKCE:             true,
	}
	c.SetSecret("secret-of-" + id)
	return c
}

// mustCreateClient creates newClient(id).
func mustCreateClient(t *testing.T, st store.Store, id string) store.Client {
	t.Helper()
	c, err := st.CreateClient(t.Context(), newClient(id))
	if err != nil {
		t.Fatalf("CreateClient(%q): %v", id, err)
	}
	return c
}

// newCode returns an authorization code of value for the client and user,
// issued at issue and valid 10 minutes.
func newCode(value, clientID, subject string, issue time.Time) store.AuthorizationCode {
	return store.AuthorizationCode{
		Code: value, ClientID: clientID, Subject: subject,
		RedirectURI: "https://" + clientID + ".example.org/callback", ResponseType: "code",
		Scope: []string{"openid", "profile"}, Nonce: "nonce-" + value,
		IssueDate: issue, Lifetime: 10 * time.Minute,
		Challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", ChallengeMethod: "S256",
		AuthTime: issue.Add(-time.Minute), ACR: "urn:acr:pwd", AMR: []string{"pwd"},
		RequestID: "request-" + value, Data: []byte(`{"state":"` + value + `"}`),
	}
}

// mustCreateCode stores c.
func mustCreateCode(t *testing.T, st store.Store, c store.AuthorizationCode) store.AuthorizationCode {
	t.Helper()
	got, err := st.CreateAuthorizationCode(t.Context(), c)
	if err != nil {
		t.Fatalf("CreateAuthorizationCode: %v", err)
	}
	return got
}

// newToken returns an access and refresh token pair issued at issue, valid
// one hour (access) and one day (refresh).
func newToken(access, refresh, clientID, subject string, issue time.Time) store.Token {
	return store.Token{
		AccessToken: access, RefreshToken: refresh, ClientID: clientID, Subject: subject,
		Type: "access_token", Scope: []string{"openid", "email"}, Audience: []string{clientID},
		IssueDate: issue, Lifetime: time.Hour, RefreshLifetime: 24 * time.Hour,
		RequestID: "request-" + access + refresh, Data: []byte("session-data"),
	}
}

// mustCreateToken stores tok.
func mustCreateToken(t *testing.T, st store.Store, tok store.Token) store.Token {
	t.Helper()
	got, err := st.CreateToken(t.Context(), tok)
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	return got
}

// mustPutConsent stores a consent of subject for client.
func mustPutConsent(t *testing.T, st store.Store, subject, clientID string, scope ...string) store.Consent {
	t.Helper()
	c, err := st.PutConsent(t.Context(), store.Consent{Subject: subject, ClientID: clientID, Scope: scope, IssueDate: now()})
	if err != nil {
		t.Fatalf("PutConsent(%q, %q): %v", subject, clientID, err)
	}
	return c
}

func clientTests() []subtest {
	return []subtest{
		{"CreateClient/RoundTrip", func(t *testing.T, st store.Store) {
			want := newClient("app")
			want.JWKS = `{"keys":[]}`
			want.PostLogoutRedirectURIs = []string{"https://app.example.org/bye"}
			want.ClientSecretExpiresAt = now().Add(48 * time.Hour)
			before := time.Now()
			created, err := st.CreateClient(t.Context(), want)
			wantOK(t, err, "CreateClient")
			wantRecent(t, "Created", created.Created, before, time.Now())
			got, err := st.GetClient(t.Context(), "app")
			wantOK(t, err, "GetClient")
			if !got.CheckSecret("secret-of-app", time.Now()) || got.CheckSecret("secret-of-other", time.Now()) {
				t.Error("CheckSecret on the stored client does not match the secret set before CreateClient")
			}
			got.Created, got.LastModified, want.Created, want.LastModified = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			if !got.ClientSecretExpiresAt.Equal(want.ClientSecretExpiresAt) {
				t.Errorf("ClientSecretExpiresAt = %v, want %v", got.ClientSecretExpiresAt, want.ClientSecretExpiresAt)
			}
			got.ClientSecretExpiresAt = want.ClientSecretExpiresAt
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
				t.Errorf("GetClient =\n%+v\nwant\n%+v", got, want)
			}
		}},
		{"CreateClient/Duplicate", func(t *testing.T, st store.Store) {
			mustCreateClient(t, st, "app")
			other := newClient("app")
			other.ClientName = "Impostor"
			_, err := st.CreateClient(t.Context(), other)
			wantErr(t, err, store.ErrExists, "CreateClient(existing ID)")
			if got, _ := st.GetClient(t.Context(), "app"); got.ClientName != "App app" {
				t.Errorf("ClientName = %q, want unchanged", got.ClientName)
			}
		}},
		{"CreateClient/Invalid", func(t *testing.T, st store.Store) {
			_, err := st.CreateClient(t.Context(), store.Client{ID: "bad", RedirectURIs: []string{"https://bad.example.org/cb#frag"},
				GrantTypes: []string{"magic"}, TokenEndpointAuthMethod: "psk"})
			wantValidation(t, err, "redirect_uris[0]", "grant_types[0]", "token_endpoint_auth_method")
			_, err = st.CreateClient(t.Context(), store.Client{ID: "has space/slash"})
			wantValidation(t, err, "client_id")
			if cs, err := st.ListClients(t.Context()); err != nil || len(cs) != 0 {
				t.Errorf("ListClients = %d clients, %v; want none", len(cs), err)
			}
			// store.go does not say whether an empty client_id is generated
			// (as CreateUser does) or refused: accept both, but not an empty ID.
			if c, err := st.CreateClient(t.Context(), store.Client{}); err == nil && c.ID == "" {
				t.Error("CreateClient(empty ID) stored a client without an ID")
			} else if err != nil {
				wantValidation(t, err, "client_id")
			}
		}},
		{"GetClient/NotFound", func(t *testing.T, st store.Store) {
			mustCreateClient(t, st, "app")
			_, err := st.GetClient(t.Context(), "other")
			wantNotFound(t, err, "GetClient(unknown)")
		}},
		{"ListClients", func(t *testing.T, st store.Store) {
			if cs, err := st.ListClients(t.Context()); err != nil || len(cs) != 0 {
				t.Errorf("ListClients(empty store) = %d, %v", len(cs), err)
			}
			for _, id := range []string{"b", "a", "c"} {
				mustCreateClient(t, st, id)
			}
			cs, err := st.ListClients(t.Context())
			wantOK(t, err, "ListClients")
			var ids []string
			for _, c := range cs {
				ids = append(ids, c.ID)
			}
			if !sameSet(ids, []string{"a", "b", "c"}) {
				t.Errorf("ListClients = %q, want a, b, c", ids)
			}
			cs[0].RedirectURIs[0] = "https://mallory.example.org/"
			again, _ := st.GetClient(t.Context(), cs[0].ID)
			if again.RedirectURIs[0] == "https://mallory.example.org/" {
				t.Error("changing a listed client changed the store")
			}
		}},
		{"UpdateClient/Changes", func(t *testing.T, st store.Store) {
			mustCreateClient(t, st, "app")
			got, err := st.UpdateClient(t.Context(), "app", func(c *store.Client) error {
				if c.ClientName != "App app" {
					t.Errorf("fn got %q, want the stored client", c.ClientName)
				}
				c.ClientName = "Renamed"
				c.RedirectURIs = append(c.RedirectURIs, "https://app.example.org/other")
				c.SetSecret("rotated")
				return nil
			})
			wantOK(t, err, "UpdateClient")
			again, err := st.GetClient(t.Context(), "app")
			wantOK(t, err, "GetClient")
			for _, c := range []store.Client{got, again} {
				if c.ClientName != "Renamed" || len(c.RedirectURIs) != 3 {
					t.Errorf("client = %q %v, want the update", c.ClientName, c.RedirectURIs)
				}
				if !c.CheckSecret("rotated", time.Now()) || c.CheckSecret("secret-of-app", time.Now()) {
					t.Error("the rotated secret was not stored")
				}
			}
		}},
		{"UpdateClient/Invalid", func(t *testing.T, st store.Store) {
			mustCreateClient(t, st, "app")
			_, err := st.UpdateClient(t.Context(), "app", func(c *store.Client) error { c.RedirectURIs = nil; return nil })
			wantValidation(t, err, "redirect_uris")
			if got, _ := st.GetClient(t.Context(), "app"); len(got.RedirectURIs) != 2 {
				t.Errorf("RedirectURIs = %v after a refused update, want unchanged", got.RedirectURIs)
			}
		}},
		{"UpdateClient/FnError", func(t *testing.T, st store.Store) {
			mustCreateClient(t, st, "app")
			_, err := st.UpdateClient(t.Context(), "app", func(c *store.Client) error {
				c.ClientName = "changed"
				c.Scope[0] = "changed"
				return errFn
			})
			wantErr(t, err, errFn, "UpdateClient with a failing fn")
			if got, _ := st.GetClient(t.Context(), "app"); got.ClientName != "App app" || got.Scope[0] != "openid" {
				t.Errorf("client = %q %v after an aborted update, want unchanged", got.ClientName, got.Scope)
			}
		}},
		{"UpdateClient/NotFound", func(t *testing.T, st store.Store) {
			_, err := st.UpdateClient(t.Context(), "nope", func(*store.Client) error { return nil })
			wantNotFound(t, err, "UpdateClient(unknown)")
		}},
		{"DeleteClient/RemovesItsState", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			mustCreateClient(t, st, "app")
			mustCreateClient(t, st, "other")
			ts := now()
			for _, id := range []string{"app", "other"} {
				mustPutConsent(t, st, alice.ID, id, "openid")
				mustCreateCode(t, st, newCode("code-"+id, id, alice.ID, ts))
				mustCreateToken(t, st, newToken("at-"+id, "rt-"+id, id, alice.ID, ts))
			}
			wantOK(t, st.DeleteClient(t.Context(), "app"), "DeleteClient")
			_, err := st.GetClient(t.Context(), "app")
			wantNotFound(t, err, "GetClient(deleted)")
			for _, id := range []string{"app", "other"} {
				_, errConsent := st.GetConsent(t.Context(), alice.ID, id)
				_, errCode := st.GetAuthorizationCode(t.Context(), "code-"+id)
				_, errAccess := st.GetTokenByAccessToken(t.Context(), "at-"+id)
				_, errRefresh := st.GetTokenByRefreshToken(t.Context(), "rt-"+id)
				if id == "app" {
					wantNotFound(t, errConsent, "GetConsent(deleted client)")
					wantNotFound(t, errCode, "GetAuthorizationCode(deleted client)")
					wantNotFound(t, errAccess, "GetTokenByAccessToken(deleted client)")
					wantNotFound(t, errRefresh, "GetTokenByRefreshToken(deleted client)")
					continue
				}
				for _, err := range []error{errConsent, errCode, errAccess, errRefresh} {
					wantOK(t, err, "state of another client")
				}
			}
			toks, err := st.ListTokens(t.Context(), store.TokenQuery{ClientID: "app"})
			if err != nil || len(toks) != 0 {
				t.Errorf("ListTokens(deleted client) = %d, %v; want none", len(toks), err)
			}
			mustCreateClient(t, st, "app") // a new client with the same ID inherits nothing
			cs, err := st.ListConsents(t.Context(), alice.ID, "app")
			if err != nil || len(cs) != 0 {
				t.Errorf("ListConsents(re-created client) = %d, %v; want none", len(cs), err)
			}
		}},
		{"DeleteClient/NotFound", func(t *testing.T, st store.Store) {
			wantNotFound(t, st.DeleteClient(t.Context(), "nope"), "DeleteClient(unknown)")
		}},
	}
}

func codeTests() []subtest {
	return []subtest{
		{"CreateAuthorizationCode/RoundTrip", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			mustCreateClient(t, st, "app")
			want := newCode("the-code", "app", alice.ID, now())
			created := mustCreateCode(t, st, want)
			if created.ID == "" {
				t.Error("CreateAuthorizationCode returned no ID")
			}
			got, err := st.GetAuthorizationCode(t.Context(), "the-code")
			wantOK(t, err, "GetAuthorizationCode")
			if got.Code != "" {
				t.Errorf("Code = %q, want it write-only (empty)", got.Code)
			}
			if got.ID != created.ID {
				t.Errorf("ID = %q, want %q", got.ID, created.ID)
			}
			want.ID, want.Code = got.ID, ""
			compareCode(t, got, want)
		}},
		{"CreateAuthorizationCode/CodeRequired", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			mustCreateClient(t, st, "app")
			_, err := st.CreateAuthorizationCode(t.Context(), newCode("", "app", alice.ID, now()))
			wantInvalid(t, err, "CreateAuthorizationCode without a code")
		}},
		{"CreateAuthorizationCode/Duplicate", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			mustCreateClient(t, st, "app")
			mustCreateCode(t, st, newCode("the-code", "app", alice.ID, now()))
			dup := newCode("the-code", "app", alice.ID, now())
			dup.Nonce = "other"
			_, err := st.CreateAuthorizationCode(t.Context(), dup)
			wantErr(t, err, store.ErrExists, "CreateAuthorizationCode(same value)")
			if got, _ := st.GetAuthorizationCode(t.Context(), "the-code"); got.Nonce != "nonce-the-code" {
				t.Errorf("Nonce = %q, want the first code's", got.Nonce)
			}
		}},
		{"GetAuthorizationCode/NotFound", func(t *testing.T, st store.Store) {
			_, err := st.GetAuthorizationCode(t.Context(), "nope")
			wantNotFound(t, err, "GetAuthorizationCode(unknown)")
		}},
		{"GetAuthorizationCode/ExpiredIncluded", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			mustCreateClient(t, st, "app")
			mustCreateCode(t, st, newCode("old", "app", alice.ID, now().Add(-time.Hour)))
			_, err := st.GetAuthorizationCode(t.Context(), "old")
			wantOK(t, err, "GetAuthorizationCode(expired code)")
		}},
		{"UpdateAuthorizationCode/MarkUsedOnce", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			mustCreateClient(t, st, "app")
			c := mustCreateCode(t, st, newCode("the-code", "app", alice.ID, now()))
			used := now()
			markUsed := func(c *store.AuthorizationCode) error {
				if !c.RevocationDate.IsZero() {
					return store.ErrConflict
				}
				c.RevocationDate = used
				return nil
			}
			got, err := st.UpdateAuthorizationCode(t.Context(), c.ID, markUsed)
			wantOK(t, err, "first UpdateAuthorizationCode")
			if !got.RevocationDate.Equal(used) {
				t.Errorf("RevocationDate = %v, want %v", got.RevocationDate, used)
			}
			_, err = st.UpdateAuthorizationCode(t.Context(), c.ID, markUsed)
			wantErr(t, err, store.ErrConflict, "second UpdateAuthorizationCode")
			again, err := st.GetAuthorizationCode(t.Context(), "the-code")
			wantOK(t, err, "GetAuthorizationCode(used code)")
			if !again.RevocationDate.Equal(used) || again.Nonce != "nonce-the-code" {
				t.Errorf("stored code = %v %q, want used and otherwise unchanged", again.RevocationDate, again.Nonce)
			}
		}},
		{"UpdateAuthorizationCode/NotFound", func(t *testing.T, st store.Store) {
			_, err := st.UpdateAuthorizationCode(t.Context(), store.NewID(), func(*store.AuthorizationCode) error { return nil })
			wantNotFound(t, err, "UpdateAuthorizationCode(unknown)")
		}},
		{"DeleteAuthorizationCode", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			mustCreateClient(t, st, "app")
			c := mustCreateCode(t, st, newCode("the-code", "app", alice.ID, now()))
			mustCreateCode(t, st, newCode("other", "app", alice.ID, now()))
			wantOK(t, st.DeleteAuthorizationCode(t.Context(), c.ID), "DeleteAuthorizationCode")
			_, err := st.GetAuthorizationCode(t.Context(), "the-code")
			wantNotFound(t, err, "GetAuthorizationCode(deleted)")
			_, err = st.GetAuthorizationCode(t.Context(), "other")
			wantOK(t, err, "GetAuthorizationCode(other)")
			wantNotFound(t, st.DeleteAuthorizationCode(t.Context(), c.ID), "DeleteAuthorizationCode twice")
		}},
	}
}

// compareCode checks every field of got against want.
func compareCode(t *testing.T, got, want store.AuthorizationCode) {
	t.Helper()
	if !got.IssueDate.Equal(want.IssueDate) || !got.AuthTime.Equal(want.AuthTime) || !got.RevocationDate.Equal(want.RevocationDate) {
		t.Errorf("dates = %v %v %v, want %v %v %v", got.IssueDate, got.AuthTime, got.RevocationDate,
			want.IssueDate, want.AuthTime, want.RevocationDate)
	}
	got.IssueDate, got.AuthTime, got.RevocationDate = want.IssueDate, want.AuthTime, want.RevocationDate
	if !slices.Equal(got.Scope, want.Scope) || !slices.Equal(got.AMR, want.AMR) || !bytes.Equal(got.Data, want.Data) ||
		fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("code =\n%+v\nwant\n%+v", got, want)
	}
}

// wantInvalid fails unless err holds a *store.ValidationError.
func wantInvalid(t *testing.T, err error, what string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want a validation error", what)
		return
	}
	var ve *store.ValidationError
	if !errors.As(err, &ve) {
		t.Errorf("%s: error %v is not a *store.ValidationError", what, err)
	}
}
