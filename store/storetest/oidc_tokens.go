package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// tokenFixture creates users alice and bob and clients app and other.
func tokenFixture(t *testing.T, st store.Store) (alice, bob store.User) {
	t.Helper()
	alice, bob = mustCreateUser(t, st, "alice"), mustCreateUser(t, st, "bob")
	mustCreateClient(t, st, "app")
	mustCreateClient(t, st, "other")
	return alice, bob
}

// tokenIDs returns the IDs of toks.
func tokenIDs(toks []store.Token) []string {
	var ids []string
	for _, tok := range toks {
		ids = append(ids, tok.ID)
	}
	return ids
}

func tokenTests() []subtest {
	return []subtest{
		{"CreateToken/RoundTrip", func(t *testing.T, st store.Store) {
			alice, _ := tokenFixture(t, st)
			want := newToken("at", "rt", "app", alice.ID, now())
			created := mustCreateToken(t, st, want)
			if created.ID == "" {
				t.Fatal("CreateToken returned no ID")
			}
			byID, err := st.GetToken(t.Context(), created.ID)
			wantOK(t, err, "GetToken")
			byAccess, err := st.GetTokenByAccessToken(t.Context(), "at")
			wantOK(t, err, "GetTokenByAccessToken")
			byRefresh, err := st.GetTokenByRefreshToken(t.Context(), "rt")
			wantOK(t, err, "GetTokenByRefreshToken")
			want.ID, want.AccessToken, want.RefreshToken = created.ID, "", ""
			for _, got := range []store.Token{byID, byAccess, byRefresh} {
				compareToken(t, got, want)
			}
		}},
		{"CreateToken/OneValueEnough", func(t *testing.T, st store.Store) {
			alice, _ := tokenFixture(t, st)
			a := mustCreateToken(t, st, newToken("access-only", "", "app", alice.ID, now()))
			r := mustCreateToken(t, st, newToken("", "refresh-only", "app", "", now()))
			if got, err := st.GetTokenByAccessToken(t.Context(), "access-only"); err != nil || got.ID != a.ID {
				t.Errorf("GetTokenByAccessToken = %q, %v", got.ID, err)
			}
			if got, err := st.GetTokenByRefreshToken(t.Context(), "refresh-only"); err != nil || got.ID != r.ID {
				t.Errorf("GetTokenByRefreshToken = %q, %v", got.ID, err)
			}
			_, err := st.GetTokenByRefreshToken(t.Context(), "")
			wantNotFound(t, err, `GetTokenByRefreshToken("")`)
			_, err = st.GetTokenByAccessToken(t.Context(), "")
			wantNotFound(t, err, `GetTokenByAccessToken("")`)
		}},
		{"CreateToken/ValueRequired", func(t *testing.T, st store.Store) {
			alice, _ := tokenFixture(t, st)
			_, err := st.CreateToken(t.Context(), newToken("", "", "app", alice.ID, now()))
			wantInvalid(t, err, "CreateToken without access nor refresh token")
		}},
		{"CreateToken/DuplicateValues", func(t *testing.T, st store.Store) {
			alice, _ := tokenFixture(t, st)
			mustCreateToken(t, st, newToken("at", "rt", "app", alice.ID, now()))
			_, err := st.CreateToken(t.Context(), newToken("at", "rt2", "app", alice.ID, now()))
			wantErr(t, err, store.ErrExists, "CreateToken(same access token)")
			_, err = st.CreateToken(t.Context(), newToken("at2", "rt", "app", alice.ID, now()))
			wantErr(t, err, store.ErrExists, "CreateToken(same refresh token)")
			for _, v := range []string{"at2"} {
				_, err := st.GetTokenByAccessToken(t.Context(), v)
				wantNotFound(t, err, "GetTokenByAccessToken(value of a refused token)")
			}
			_, err = st.GetTokenByRefreshToken(t.Context(), "rt2")
			wantNotFound(t, err, "GetTokenByRefreshToken(value of a refused token)")
		}},
		{"GetToken/NotFound", func(t *testing.T, st store.Store) {
			alice, _ := tokenFixture(t, st)
			mustCreateToken(t, st, newToken("at", "rt", "app", alice.ID, now()))
			_, err := st.GetToken(t.Context(), store.NewID())
			wantNotFound(t, err, "GetToken(unknown)")
			_, err = st.GetTokenByAccessToken(t.Context(), "rt")
			wantNotFound(t, err, "GetTokenByAccessToken(a refresh token)")
			_, err = st.GetTokenByRefreshToken(t.Context(), "at")
			wantNotFound(t, err, "GetTokenByRefreshToken(an access token)")
			_, err = st.GetTokenByAccessToken(t.Context(), "nope")
			wantNotFound(t, err, "GetTokenByAccessToken(unknown)")
		}},
		{"ListTokens/Filters", func(t *testing.T, st store.Store) {
			alice, bob := tokenFixture(t, st)
			base := now()
			mk := func(name, client, subject, request string, age time.Duration) store.Token {
				tok := newToken("at-"+name, "rt-"+name, client, subject, base.Add(-age))
				tok.RequestID = request
				return mustCreateToken(t, st, tok)
			}
			t1 := mk("1", "app", alice.ID, "r1", 3*time.Minute)
			t2 := mk("2", "app", alice.ID, "r1", 1*time.Minute)
			t3 := mk("3", "app", bob.ID, "r2", 2*time.Minute)
			t4 := mk("4", "other", alice.ID, "r3", 4*time.Minute)
			t5 := mk("5", "other", "", "r4", 5*time.Minute) // client credentials
			for _, tc := range []struct {
				name string
				q    store.TokenQuery
				want []store.Token
			}{
				{"All", store.TokenQuery{}, []store.Token{t2, t3, t1, t4, t5}},
				{"Client", store.TokenQuery{ClientID: "app"}, []store.Token{t2, t3, t1}},
				{"Subject", store.TokenQuery{Subject: alice.ID}, []store.Token{t2, t1, t4}},
				{"RequestID", store.TokenQuery{RequestID: "r1"}, []store.Token{t2, t1}},
				{"ClientAndSubject", store.TokenQuery{ClientID: "other", Subject: alice.ID}, []store.Token{t4}},
				{"Limit", store.TokenQuery{Subject: alice.ID, Limit: 2}, []store.Token{t2, t1}},
				{"NoMatch", store.TokenQuery{ClientID: "nope"}, nil},
			} {
				got, err := st.ListTokens(t.Context(), tc.q)
				wantOK(t, err, "ListTokens")
				wantNames(t, fmt.Sprintf("%s: ListTokens(%+v)", tc.name, tc.q), tokenIDs(got), tokenIDs(tc.want))
			}
		}},
		{"ListTokens/Active", func(t *testing.T, st store.Store) {
			alice, _ := tokenFixture(t, st)
			base := now()
			mk := func(name string, issue time.Time) store.Token {
				tok := newToken("at-"+name, "", "app", alice.ID, issue)
				tok.Lifetime, tok.RefreshLifetime = time.Hour, 0
				return mustCreateToken(t, st, tok)
			}
			active := mk("active", base.Add(-time.Minute))
			mk("expired", base.Add(-2*time.Hour))
			revoked := mk("revoked", base.Add(-2*time.Minute))
			_, err := st.UpdateToken(t.Context(), revoked.ID, func(tok *store.Token) error { tok.RevocationDate = base; return nil })
			wantOK(t, err, "UpdateToken(revoke)")
			got, err := st.ListTokens(t.Context(), store.TokenQuery{Active: true, ActiveAt: base})
			wantOK(t, err, "ListTokens(Active)")
			wantNames(t, "active tokens", tokenIDs(got), []string{active.ID})
			got, err = st.ListTokens(t.Context(), store.TokenQuery{Active: true, ActiveAt: base.Add(2 * time.Hour)})
			wantOK(t, err, "ListTokens(Active later)")
			wantNames(t, "tokens active two hours later", tokenIDs(got), nil)
			all, err := st.ListTokens(t.Context(), store.TokenQuery{ActiveAt: base})
			if err != nil || len(all) != 3 {
				t.Errorf("ListTokens(ActiveAt without Active) = %d tokens, %v; want 3", len(all), err)
			}
		}},
		{"RevokeTokens/ByRequestID", func(t *testing.T, st store.Store) {
			alice, _ := tokenFixture(t, st)
			mk := func(name, request string) store.Token {
				tok := newToken("at-"+name, "rt-"+name, "app", alice.ID, now())
				tok.RequestID = request
				return mustCreateToken(t, st, tok)
			}
			a, b, other := mk("a", "req"), mk("b", "req"), mk("c", "another")
			at := now().Add(-time.Second)
			n, err := st.RevokeTokens(t.Context(), store.TokenQuery{RequestID: "req"}, at)
			if err != nil || n != 2 {
				t.Errorf("RevokeTokens = %d, %v; want 2", n, err)
			}
			for _, tok := range []store.Token{a, b} {
				got, err := st.GetToken(t.Context(), tok.ID)
				wantOK(t, err, "GetToken(revoked)")
				if !got.RevocationDate.Equal(at) || !got.Revoked() {
					t.Errorf("RevocationDate = %v, want %v", got.RevocationDate, at)
				}
			}
			if got, _ := st.GetToken(t.Context(), other.ID); got.Revoked() {
				t.Error("a token of another request was revoked")
			}
			n, err = st.RevokeTokens(t.Context(), store.TokenQuery{RequestID: "req"}, now())
			if err != nil || n != 0 {
				t.Errorf("second RevokeTokens = %d, %v; want 0 (already revoked)", n, err)
			}
			if got, _ := st.GetToken(t.Context(), a.ID); !got.RevocationDate.Equal(at) {
				t.Errorf("RevocationDate = %v after a second revocation, want the first %v", got.RevocationDate, at)
			}
			n, err = st.RevokeTokens(t.Context(), store.TokenQuery{ClientID: "app", Subject: alice.ID}, now())
			if err != nil || n != 1 {
				t.Errorf("RevokeTokens(client and subject) = %d, %v; want 1", n, err)
			}
		}},
		{"UpdateToken/Changes", func(t *testing.T, st store.Store) {
			alice, _ := tokenFixture(t, st)
			tok := mustCreateToken(t, st, newToken("at", "rt", "app", alice.ID, now()))
			got, err := st.UpdateToken(t.Context(), tok.ID, func(tok *store.Token) error {
				if tok.ClientID != "app" {
					t.Errorf("fn got client %q, want app", tok.ClientID)
				}
				tok.Data = []byte("new data")
				tok.Scope = []string{"openid"}
				return nil
			})
			wantOK(t, err, "UpdateToken")
			again, err := st.GetTokenByRefreshToken(t.Context(), "rt")
			wantOK(t, err, "GetTokenByRefreshToken")
			for _, v := range []store.Token{got, again} {
				if !bytes.Equal(v.Data, []byte("new data")) || !slices.Equal(v.Scope, []string{"openid"}) {
					t.Errorf("token = %q %v, want the update", v.Data, v.Scope)
				}
			}
		}},
		{"UpdateToken/FnError", func(t *testing.T, st store.Store) {
			alice, _ := tokenFixture(t, st)
			tok := mustCreateToken(t, st, newToken("at", "rt", "app", alice.ID, now()))
			_, err := st.UpdateToken(t.Context(), tok.ID, func(tok *store.Token) error {
				tok.Data[0] = 'X'
				tok.RevocationDate = now()
				return fmt.Errorf("rotated meanwhile: %w", store.ErrConflict)
			})
			wantErr(t, err, store.ErrConflict, "UpdateToken with a failing fn")
			got, _ := st.GetToken(t.Context(), tok.ID)
			if got.Revoked() || !bytes.Equal(got.Data, []byte("session-data")) {
				t.Errorf("token = %q revoked %v after an aborted update, want unchanged", got.Data, got.Revoked())
			}
		}},
		{"UpdateToken/NotFound", func(t *testing.T, st store.Store) {
			_, err := st.UpdateToken(t.Context(), store.NewID(), func(*store.Token) error { return nil })
			wantNotFound(t, err, "UpdateToken(unknown)")
		}},
		{"DeleteToken", func(t *testing.T, st store.Store) {
			alice, _ := tokenFixture(t, st)
			tok := mustCreateToken(t, st, newToken("at", "rt", "app", alice.ID, now()))
			keep := mustCreateToken(t, st, newToken("at2", "rt2", "app", alice.ID, now()))
			wantOK(t, st.DeleteToken(t.Context(), tok.ID), "DeleteToken")
			_, err := st.GetToken(t.Context(), tok.ID)
			wantNotFound(t, err, "GetToken(deleted)")
			_, err = st.GetTokenByAccessToken(t.Context(), "at")
			wantNotFound(t, err, "GetTokenByAccessToken(deleted)")
			_, err = st.GetTokenByRefreshToken(t.Context(), "rt")
			wantNotFound(t, err, "GetTokenByRefreshToken(deleted)")
			if got, err := st.GetTokenByAccessToken(t.Context(), "at2"); err != nil || got.ID != keep.ID {
				t.Errorf("GetTokenByAccessToken(other) = %q, %v", got.ID, err)
			}
			wantNotFound(t, st.DeleteToken(t.Context(), tok.ID), "DeleteToken twice")
			mustCreateToken(t, st, newToken("at", "rt", "app", alice.ID, now())) // values are free again
		}},
		{"Copies/ReturnedToken", func(t *testing.T, st store.Store) {
			alice, _ := tokenFixture(t, st)
			in := newToken("at", "rt", "app", alice.ID, now())
			tok := mustCreateToken(t, st, in)
			in.Scope[0], in.Data[0] = "x", 'x'
			got, _ := st.GetToken(t.Context(), tok.ID)
			got.Scope[0], got.Data[0] = "y", 'y'
			list, _ := st.ListTokens(t.Context(), store.TokenQuery{})
			list[0].Audience[0] = "z"
			again, _ := st.GetToken(t.Context(), tok.ID)
			if again.Scope[0] != "openid" || again.Data[0] != 's' || again.Audience[0] != "app" {
				t.Errorf("stored token changed through a copy: %v %q %v", again.Scope, again.Data, again.Audience)
			}
		}},
	}
}

// compareToken checks every field of got against want.
func compareToken(t *testing.T, got, want store.Token) {
	t.Helper()
	if !got.IssueDate.Equal(want.IssueDate) || !got.RevocationDate.Equal(want.RevocationDate) {
		t.Errorf("dates = %v %v, want %v %v", got.IssueDate, got.RevocationDate, want.IssueDate, want.RevocationDate)
	}
	got.IssueDate, got.RevocationDate = want.IssueDate, want.RevocationDate
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("token =\n%+v\nwant\n%+v", got, want)
	}
}
