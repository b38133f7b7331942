package storetest

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// newSession returns a session of the user, with this cookie value,
// expiring at expires.
func newSession(userID, token string, expires time.Time) store.Session {
	ts := now()
	return store.Session{
		Token: token, UserID: userID, Created: ts, LastSeen: ts, Expires: expires, AuthTime: ts,
		AMR: []string{"pwd"}, Remember: true, UserAgent: "storetest/1.0", RemoteAddr: "192.0.2.1",
		Data: []byte("flash"),
	}
}

// mustCreateSession stores s.
func mustCreateSession(t *testing.T, st store.Store, s store.Session) store.Session {
	t.Helper()
	got, err := st.CreateSession(t.Context(), s)
	if err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return got
}

// newTicket returns a ticket of this kind and value, expiring at expires.
func newTicket(kind, token, userID string, expires time.Time) store.Ticket {
	return store.Ticket{Kind: kind, Token: token, UserID: userID, Email: "someone@example.org",
		Data: map[string]string{"group": "staff"}, Created: now(), Expires: expires}
}

// mustCreateTicket stores tk.
func mustCreateTicket(t *testing.T, st store.Store, tk store.Ticket) store.Ticket {
	t.Helper()
	got, err := st.CreateTicket(t.Context(), tk)
	if err != nil {
		t.Fatalf("CreateTicket: %v", err)
	}
	return got
}

// sessionIDs returns the IDs of ss, sorted.
func sessionIDs(ss []store.Session) []string {
	var ids []string
	for _, s := range ss {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	return ids
}

// sortedIDs returns ids sorted.
func sortedIDs(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

func consentTests() []subtest {
	return []subtest{
		{"PutConsent/CreateThenReplace", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			mustCreateClient(t, st, "app")
			first := mustPutConsent(t, st, alice.ID, "app", "openid")
			if first.ID == "" {
				t.Fatal("PutConsent returned no ID")
			}
			got, err := st.GetConsent(t.Context(), alice.ID, "app")
			wantOK(t, err, "GetConsent")
			if got.ID != first.ID || !slices.Equal(got.Scope, []string{"openid"}) || !got.IssueDate.Equal(first.IssueDate) {
				t.Errorf("GetConsent = %+v, want %+v", got, first)
			}
			revoked := now()
			second, err := st.PutConsent(t.Context(), store.Consent{Subject: alice.ID, ClientID: "app",
				Scope: []string{"openid", "email"}, IssueDate: now(), RevocationDate: revoked})
			wantOK(t, err, "PutConsent(replace)")
			if second.ID != first.ID {
				t.Errorf("replacing consent got ID %q, want the existing %q", second.ID, first.ID)
			}
			got, _ = st.GetConsent(t.Context(), alice.ID, "app")
			if got.ID != first.ID || !slices.Equal(got.Scope, []string{"openid", "email"}) || !got.RevocationDate.Equal(revoked) {
				t.Errorf("GetConsent after replacing = %+v", got)
			}
			if cs, err := st.ListConsents(t.Context(), alice.ID, "app"); err != nil || len(cs) != 1 {
				t.Errorf("ListConsents = %d, %v; want 1", len(cs), err)
			}
		}},
		{"GetConsent/NotFound", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			bob := mustCreateUser(t, st, "bob")
			mustCreateClient(t, st, "app")
			mustCreateClient(t, st, "other")
			mustPutConsent(t, st, alice.ID, "app", "openid")
			_, err := st.GetConsent(t.Context(), bob.ID, "app")
			wantNotFound(t, err, "GetConsent(other user)")
			_, err = st.GetConsent(t.Context(), alice.ID, "other")
			wantNotFound(t, err, "GetConsent(other client)")
		}},
		{"ListConsents/Filters", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			bob := mustCreateUser(t, st, "bob")
			mustCreateClient(t, st, "app")
			mustCreateClient(t, st, "other")
			aa := mustPutConsent(t, st, alice.ID, "app", "openid")
			ao := mustPutConsent(t, st, alice.ID, "other", "openid")
			ba := mustPutConsent(t, st, bob.ID, "app", "openid")
			ids := func(cs []store.Consent) []string {
				var out []string
				for _, c := range cs {
					out = append(out, c.ID)
				}
				slices.Sort(out)
				return out
			}
			for _, tc := range []struct {
				subject, client string
				want            []string
			}{
				{alice.ID, "", sortedIDs(aa.ID, ao.ID)},
				{"", "app", sortedIDs(aa.ID, ba.ID)},
				{bob.ID, "app", []string{ba.ID}},
				{bob.ID, "other", nil},
			} {
				got, err := st.ListConsents(t.Context(), tc.subject, tc.client)
				wantOK(t, err, "ListConsents")
				wantNames(t, "ListConsents("+tc.subject+", "+tc.client+")", ids(got), tc.want)
			}
		}},
		{"DeleteConsent", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			mustCreateClient(t, st, "app")
			c := mustPutConsent(t, st, alice.ID, "app", "openid")
			wantOK(t, st.DeleteConsent(t.Context(), c.ID), "DeleteConsent")
			_, err := st.GetConsent(t.Context(), alice.ID, "app")
			wantNotFound(t, err, "GetConsent(deleted)")
			wantNotFound(t, st.DeleteConsent(t.Context(), c.ID), "DeleteConsent twice")
		}},
	}
}

func sessionTests() []subtest {
	return []subtest{
		{"CreateSession/RoundTrip", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			want := newSession(alice.ID, "cookie", now().Add(time.Hour))
			want.ImpersonatorID = mustCreateUser(t, st, "admin").ID
			created := mustCreateSession(t, st, want)
			if created.ID == "" {
				t.Fatal("CreateSession returned no ID")
			}
			got, err := st.GetSessionByToken(t.Context(), "cookie", time.Now())
			wantOK(t, err, "GetSessionByToken")
			if got.Token != "" {
				t.Errorf("Token = %q, want it write-only (empty)", got.Token)
			}
			if got.ID != created.ID || got.UserID != alice.ID || got.ImpersonatorID != want.ImpersonatorID ||
				!got.Expires.Equal(want.Expires) || !got.Created.Equal(want.Created) || !got.LastSeen.Equal(want.LastSeen) ||
				!got.AuthTime.Equal(want.AuthTime) || !slices.Equal(got.AMR, want.AMR) || !got.Remember ||
				got.UserAgent != want.UserAgent || got.RemoteAddr != want.RemoteAddr || !bytes.Equal(got.Data, want.Data) {
				t.Errorf("GetSessionByToken =\n%+v\nwant\n%+v", got, want)
			}
		}},
		{"CreateSession/TokenRequired", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			_, err := st.CreateSession(t.Context(), newSession(alice.ID, "", now().Add(time.Hour)))
			wantInvalid(t, err, "CreateSession without a token")
		}},
		{"GetSessionByToken/Expired", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			exp := now().Add(time.Hour)
			mustCreateSession(t, st, newSession(alice.ID, "cookie", exp))
			_, err := st.GetSessionByToken(t.Context(), "cookie", exp.Add(-time.Second))
			wantOK(t, err, "GetSessionByToken before expiry")
			_, err = st.GetSessionByToken(t.Context(), "cookie", exp.Add(time.Second))
			wantNotFound(t, err, "GetSessionByToken after expiry")
		}},
		{"GetSessionByToken/NotFound", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			mustCreateSession(t, st, newSession(alice.ID, "cookie", now().Add(time.Hour)))
			for _, v := range []string{"other", "COOKIE", ""} {
				_, err := st.GetSessionByToken(t.Context(), v, time.Now())
				wantNotFound(t, err, "GetSessionByToken("+v+")")
			}
		}},
		{"UpdateSession", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			exp := now().Add(time.Hour)
			s := mustCreateSession(t, st, newSession(alice.ID, "cookie", exp))
			seen := now().Add(time.Minute)
			_, err := st.UpdateSession(t.Context(), s.ID, func(s *store.Session) error {
				s.LastSeen, s.Expires, s.Data = seen, exp.Add(time.Hour), []byte("next step")
				return nil
			})
			wantOK(t, err, "UpdateSession")
			got, err := st.GetSessionByToken(t.Context(), "cookie", exp.Add(time.Minute))
			wantOK(t, err, "GetSessionByToken after extending")
			if !got.LastSeen.Equal(seen) || string(got.Data) != "next step" {
				t.Errorf("session = %v %q, want the update", got.LastSeen, got.Data)
			}
			_, err = st.UpdateSession(t.Context(), s.ID, func(s *store.Session) error { s.Data = nil; return errFn })
			wantErr(t, err, errFn, "UpdateSession with a failing fn")
			if got, _ := st.GetSessionByToken(t.Context(), "cookie", time.Now()); string(got.Data) != "next step" {
				t.Errorf("Data = %q after an aborted update", got.Data)
			}
			_, err = st.UpdateSession(t.Context(), store.NewID(), func(*store.Session) error { return nil })
			wantNotFound(t, err, "UpdateSession(unknown)")
		}},
		{"ListSessions", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			bob := mustCreateUser(t, st, "bob")
			exp := now().Add(time.Hour)
			a1 := mustCreateSession(t, st, newSession(alice.ID, "a1", exp))
			a2 := mustCreateSession(t, st, newSession(alice.ID, "a2", exp))
			b1 := mustCreateSession(t, st, newSession(bob.ID, "b1", exp))
			for _, tc := range []struct {
				user string
				want []string
			}{{alice.ID, sortedIDs(a1.ID, a2.ID)}, {bob.ID, []string{b1.ID}}, {store.NewID(), nil}} {
				got, err := st.ListSessions(t.Context(), tc.user)
				wantOK(t, err, "ListSessions")
				wantNames(t, "ListSessions", sessionIDs(got), tc.want)
				for _, s := range got {
					if s.Token != "" || s.UserID != tc.user {
						t.Errorf("listed session %q of %q with token %q", s.ID, s.UserID, s.Token)
					}
				}
			}
		}},
		{"DeleteSession", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			s := mustCreateSession(t, st, newSession(alice.ID, "cookie", now().Add(time.Hour)))
			wantOK(t, st.DeleteSession(t.Context(), s.ID), "DeleteSession")
			_, err := st.GetSessionByToken(t.Context(), "cookie", time.Now())
			wantNotFound(t, err, "GetSessionByToken(deleted)")
			wantNotFound(t, st.DeleteSession(t.Context(), s.ID), "DeleteSession twice")
		}},
		{"DeleteUserSessions", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			bob := mustCreateUser(t, st, "bob")
			exp := now().Add(time.Hour)
			keep := mustCreateSession(t, st, newSession(alice.ID, "a1", exp))
			mustCreateSession(t, st, newSession(alice.ID, "a2", exp))
			mustCreateSession(t, st, newSession(alice.ID, "a3", exp))
			b1 := mustCreateSession(t, st, newSession(bob.ID, "b1", exp))
			n, err := st.DeleteUserSessions(t.Context(), alice.ID, keep.ID)
			if err != nil || n != 2 {
				t.Errorf("DeleteUserSessions(except one) = %d, %v; want 2", n, err)
			}
			got, _ := st.ListSessions(t.Context(), alice.ID)
			wantNames(t, "alice's sessions", sessionIDs(got), []string{keep.ID})
			n, err = st.DeleteUserSessions(t.Context(), alice.ID, "")
			if err != nil || n != 1 {
				t.Errorf("DeleteUserSessions(all) = %d, %v; want 1", n, err)
			}
			_, err = st.GetSessionByToken(t.Context(), "a1", time.Now())
			wantNotFound(t, err, "GetSessionByToken(ended)")
			got, _ = st.ListSessions(t.Context(), bob.ID)
			wantNames(t, "bob's sessions", sessionIDs(got), []string{b1.ID})
			n, err = st.DeleteUserSessions(t.Context(), store.NewID(), "")
			if err != nil || n != 0 {
				t.Errorf("DeleteUserSessions(unknown user) = %d, %v; want 0", n, err)
			}
		}},
	}
}

func ticketTests() []subtest {
	const kind = store.TicketPasswordReset
	return []subtest{
		{"CreateTicket/RoundTrip", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			want := newTicket(kind, "tk", alice.ID, now().Add(time.Hour))
			created := mustCreateTicket(t, st, want)
			if created.ID == "" {
				t.Fatal("CreateTicket returned no ID")
			}
			got, err := st.GetTicket(t.Context(), kind, "tk", time.Now())
			wantOK(t, err, "GetTicket")
			if got.Token != "" {
				t.Errorf("Token = %q, want it write-only (empty)", got.Token)
			}
			if got.ID != created.ID || got.Kind != kind || got.UserID != alice.ID || got.Email != want.Email ||
				!maps.Equal(got.Data, want.Data) || !got.Created.Equal(want.Created) || !got.Expires.Equal(want.Expires) || !got.Used.IsZero() {
				t.Errorf("GetTicket =\n%+v\nwant\n%+v", got, want)
			}
		}},
		{"CreateTicket/Required", func(t *testing.T, st store.Store) {
			_, err := st.CreateTicket(t.Context(), newTicket(kind, "", "", now().Add(time.Hour)))
			wantInvalid(t, err, "CreateTicket without a token")
			_, err = st.CreateTicket(t.Context(), newTicket("", "tk", "", now().Add(time.Hour)))
			wantInvalid(t, err, "CreateTicket without a kind")
		}},
		{"GetTicket/DoesNotConsume", func(t *testing.T, st store.Store) {
			mustCreateTicket(t, st, newTicket(store.TicketInvitation, "tk", "", now().Add(time.Hour)))
			for range 2 {
				_, err := st.GetTicket(t.Context(), store.TicketInvitation, "tk", time.Now())
				wantOK(t, err, "GetTicket")
			}
			_, err := st.ConsumeTicket(t.Context(), store.TicketInvitation, "tk", time.Now())
			wantOK(t, err, "ConsumeTicket after GetTicket")
		}},
		{"ConsumeTicket/Once", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			tk := mustCreateTicket(t, st, newTicket(kind, "tk", alice.ID, now().Add(time.Hour)))
			before := time.Now()
			got, err := st.ConsumeTicket(t.Context(), kind, "tk", before)
			wantOK(t, err, "ConsumeTicket")
			if got.ID != tk.ID || got.UserID != alice.ID || got.Used.IsZero() {
				t.Errorf("ConsumeTicket = %+v, want the ticket marked used", got)
			}
			_, err = st.ConsumeTicket(t.Context(), kind, "tk", time.Now())
			wantNotFound(t, err, "second ConsumeTicket")
			_, err = st.GetTicket(t.Context(), kind, "tk", time.Now())
			wantNotFound(t, err, "GetTicket(used)")
		}},
		{"ConsumeTicket/Expired", func(t *testing.T, st store.Store) {
			exp := now().Add(time.Hour)
			mustCreateTicket(t, st, newTicket(kind, "tk", "", exp))
			_, err := st.GetTicket(t.Context(), kind, "tk", exp.Add(time.Second))
			wantNotFound(t, err, "GetTicket(expired)")
			_, err = st.ConsumeTicket(t.Context(), kind, "tk", exp.Add(time.Second))
			wantNotFound(t, err, "ConsumeTicket(expired)")
			_, err = st.ConsumeTicket(t.Context(), kind, "tk", exp.Add(-time.Second))
			wantOK(t, err, "ConsumeTicket before expiry")
		}},
		{"ConsumeTicket/WrongKind", func(t *testing.T, st store.Store) {
			mustCreateTicket(t, st, newTicket(kind, "tk", "", now().Add(time.Hour)))
			_, err := st.GetTicket(t.Context(), store.TicketInvitation, "tk", time.Now())
			wantNotFound(t, err, "GetTicket(wrong kind)")
			_, err = st.ConsumeTicket(t.Context(), store.TicketEmailConfirmation, "tk", time.Now())
			wantNotFound(t, err, "ConsumeTicket(wrong kind)")
			_, err = st.ConsumeTicket(t.Context(), kind, "other", time.Now())
			wantNotFound(t, err, "ConsumeTicket(unknown value)")
			_, err = st.ConsumeTicket(t.Context(), kind, "tk", time.Now())
			wantOK(t, err, "ConsumeTicket(right kind) after wrong attempts")
		}},
		{"DeleteTicket", func(t *testing.T, st store.Store) {
			tk := mustCreateTicket(t, st, newTicket(kind, "tk", "", now().Add(time.Hour)))
			wantOK(t, st.DeleteTicket(t.Context(), tk.ID), "DeleteTicket")
			_, err := st.GetTicket(t.Context(), kind, "tk", time.Now())
			wantNotFound(t, err, "GetTicket(deleted)")
			wantNotFound(t, st.DeleteTicket(t.Context(), tk.ID), "DeleteTicket twice")
		}},
	}
}

func jtiAndKeyTests() []subtest {
	return []subtest{
		{"MarkJTI/Replay", func(t *testing.T, st store.Store) {
			exp := time.Now().Add(time.Hour)
			wantOK(t, st.MarkJTI(t.Context(), "jti-1", exp), "MarkJTI")
			wantErr(t, st.MarkJTI(t.Context(), "jti-1", exp), store.ErrExists, "MarkJTI twice")
			wantOK(t, st.MarkJTI(t.Context(), "jti-2", exp), "MarkJTI(other)")
		}},
		{"MarkJTI/AfterExpiry", func(t *testing.T, st store.Store) {
			wantOK(t, st.MarkJTI(t.Context(), "old", time.Now().Add(-time.Minute)), "MarkJTI(already expired)")
			wantOK(t, st.MarkJTI(t.Context(), "old", time.Now().Add(time.Hour)), "MarkJTI(after expiry)")
			wantErr(t, st.MarkJTI(t.Context(), "old", time.Now().Add(time.Hour)), store.ErrExists, "MarkJTI(renewed)")
			wantOK(t, st.MarkJTI(t.Context(), "short", time.Now().Add(300*time.Millisecond)), "MarkJTI(short)")
			time.Sleep(400 * time.Millisecond)
			wantOK(t, st.MarkJTI(t.Context(), "short", time.Now().Add(time.Hour)), "MarkJTI(short, after it expired)")
		}},
		{"Errors/NoSecrets", testErrorsHoldNoSecret},
		{"SigningKeys", func(t *testing.T, st store.Store) {
			if ks, err := st.ListSigningKeys(t.Context()); err != nil || len(ks) != 0 {
				t.Errorf("ListSigningKeys(empty store) = %d, %v", len(ks), err)
			}
			k1 := store.SigningKey{ID: "k1", Algorithm: "RS256", PrivateKeyPEM: []byte("-----BEGIN PRIVATE KEY-----\nk1\n"),
				PublicKeyPEM: []byte("-----BEGIN PUBLIC KEY-----\nk1\n"), Created: now().Add(-time.Hour)}
			k2 := store.SigningKey{ID: "k2", Algorithm: "EdDSA", PrivateKeyPEM: []byte("private k2"),
				PublicKeyPEM: []byte("public k2"), Created: now()}
			wantOK(t, st.PutSigningKey(t.Context(), k1), "PutSigningKey(k1)")
			wantOK(t, st.PutSigningKey(t.Context(), k2), "PutSigningKey(k2)")
			k1.Retired = now()
			wantOK(t, st.PutSigningKey(t.Context(), k1), "PutSigningKey(k1 retired)")
			ks, err := st.ListSigningKeys(t.Context())
			wantOK(t, err, "ListSigningKeys")
			slices.SortFunc(ks, func(a, b store.SigningKey) int { return strings.Compare(a.ID, b.ID) })
			if len(ks) != 2 {
				t.Fatalf("ListSigningKeys = %d keys, want 2", len(ks))
			}
			for i, want := range []store.SigningKey{k1, k2} {
				got := ks[i]
				if got.ID != want.ID || got.Algorithm != want.Algorithm || !bytes.Equal(got.PrivateKeyPEM, want.PrivateKeyPEM) ||
					!bytes.Equal(got.PublicKeyPEM, want.PublicKeyPEM) || !got.Created.Equal(want.Created) || !got.Retired.Equal(want.Retired) {
					t.Errorf("key %d =\n%+v\nwant\n%+v", i, got, want)
				}
			}
			ks[0].PrivateKeyPEM[0] = 'X'
			wantOK(t, st.DeleteSigningKey(t.Context(), "k2"), "DeleteSigningKey")
			ks, _ = st.ListSigningKeys(t.Context())
			if len(ks) != 1 || ks[0].ID != "k1" || ks[0].PrivateKeyPEM[0] != '-' {
				t.Errorf("ListSigningKeys after deleting k2 = %+v, want k1 intact", ks)
			}
			wantNotFound(t, st.DeleteSigningKey(t.Context(), "k2"), "DeleteSigningKey twice")
		}},
	}
}

// testDeleteUserOIDCState checks that DeleteUser removes the sessions,
// tickets, consents, codes and tokens of the user, and only those.
func testDeleteUserOIDCState(t *testing.T, st store.Store) {
	alice := mustCreateUser(t, st, "alice")
	bob := mustCreateUser(t, st, "bob")
	mustCreateClient(t, st, "app")
	exp := now().Add(time.Hour)
	for _, u := range []store.User{alice, bob} {
		n := u.UserName
		mustCreateSession(t, st, newSession(u.ID, "session-"+n, exp))
		mustCreateTicket(t, st, newTicket(store.TicketPasswordReset, "ticket-"+n, u.ID, exp))
		mustPutConsent(t, st, u.ID, "app", "openid")
		mustCreateCode(t, st, newCode("code-"+n, "app", u.ID, now()))
		mustCreateToken(t, st, newToken("at-"+n, "rt-"+n, "app", u.ID, now()))
	}
	wantOK(t, st.DeleteUser(t.Context(), alice.ID), "DeleteUser")
	// A new user with the same ID must inherit nothing.
	again := newUser("alice")
	again.ID = alice.ID
	mustCreateUserWith(t, st, again)
	for _, u := range []store.User{alice, bob} {
		n := u.UserName
		_, errSession := st.GetSessionByToken(t.Context(), "session-"+n, time.Now())
		_, errTicket := st.GetTicket(t.Context(), store.TicketPasswordReset, "ticket-"+n, time.Now())
		_, errConsent := st.GetConsent(t.Context(), u.ID, "app")
		_, errCode := st.GetAuthorizationCode(t.Context(), "code-"+n)
		_, errAccess := st.GetTokenByAccessToken(t.Context(), "at-"+n)
		_, errRefresh := st.GetTokenByRefreshToken(t.Context(), "rt-"+n)
		sessions, err := st.ListSessions(t.Context(), u.ID)
		wantOK(t, err, "ListSessions")
		tokens, err := st.ListTokens(t.Context(), store.TokenQuery{Subject: u.ID})
		wantOK(t, err, "ListTokens")
		consents, err := st.ListConsents(t.Context(), u.ID, "")
		wantOK(t, err, "ListConsents")
		if u.ID == bob.ID {
			for _, err := range []error{errSession, errTicket, errConsent, errCode, errAccess, errRefresh} {
				wantOK(t, err, "state of another user")
			}
			if len(sessions) != 1 || len(tokens) != 1 || len(consents) != 1 {
				t.Errorf("bob has %d sessions, %d tokens, %d consents; want 1 each", len(sessions), len(tokens), len(consents))
			}
			continue
		}
		wantNotFound(t, errSession, "GetSessionByToken(deleted user)")
		wantNotFound(t, errTicket, "GetTicket(deleted user)")
		wantNotFound(t, errConsent, "GetConsent(deleted user)")
		wantNotFound(t, errCode, "GetAuthorizationCode(deleted user)")
		wantNotFound(t, errAccess, "GetTokenByAccessToken(deleted user)")
		wantNotFound(t, errRefresh, "GetTokenByRefreshToken(deleted user)")
		if len(sessions)+len(tokens)+len(consents) != 0 {
			t.Errorf("deleted user still has %d sessions, %d tokens, %d consents", len(sessions), len(tokens), len(consents))
		}
	}
}

// testErrorsHoldNoSecret checks the convention "secrets never appear in
// errors" on the calls that receive one.
func testErrorsHoldNoSecret(t *testing.T, st store.Store) {
	alice := mustCreateUserWithPassword(t, st, "alice", "the-right-password")
	mustCreateClient(t, st, "app")
	mustCreateToken(t, st, newToken("dup-access-secret", "dup-refresh-secret", "app", alice.ID, now()))
	mustCreateCode(t, st, newCode("dup-code-secret", "app", alice.ID, now()))
	mustCreateSession(t, st, newSession(alice.ID, "dup-session-secret", now().Add(time.Hour)))
	ctx := t.Context()
	check := func(what, secret string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", what)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error %q holds the secret", what, err)
		}
	}
	_, err := st.Authenticate(ctx, "alice", "wrong-password-secret")
	check("Authenticate(wrong password)", "wrong-password-secret", err)
	_, err = st.Authenticate(ctx, "nobody", "unknown-user-secret")
	check("Authenticate(unknown user)", "unknown-user-secret", err)
	check("SetPassword(unknown user)", "set-password-secret", st.SetPassword(ctx, store.NewID(), "set-password-secret"))
	_, err = st.CreateToken(ctx, newToken("dup-access-secret", "", "app", alice.ID, now()))
	check("CreateToken(duplicate access token)", "dup-access-secret", err)
	_, err = st.CreateToken(ctx, newToken("", "dup-refresh-secret", "app", alice.ID, now()))
	check("CreateToken(duplicate refresh token)", "dup-refresh-secret", err)
	_, err = st.GetTokenByAccessToken(ctx, "missing-access-secret")
	check("GetTokenByAccessToken(unknown)", "missing-access-secret", err)
	_, err = st.GetTokenByRefreshToken(ctx, "missing-refresh-secret")
	check("GetTokenByRefreshToken(unknown)", "missing-refresh-secret", err)
	dup := newCode("dup-code-secret", "app", alice.ID, now())
	dup.RequestID, dup.Nonce, dup.Data = "r", "n", nil
	_, err = st.CreateAuthorizationCode(ctx, dup)
	check("CreateAuthorizationCode(duplicate)", "dup-code-secret", err)
	_, err = st.GetAuthorizationCode(ctx, "missing-code-secret")
	check("GetAuthorizationCode(unknown)", "missing-code-secret", err)
	_, err = st.CreateSession(ctx, newSession(alice.ID, "dup-session-secret", now().Add(time.Hour)))
	if err != nil {
		check("CreateSession(duplicate)", "dup-session-secret", err)
	}
	_, err = st.GetSessionByToken(ctx, "missing-session-secret", time.Now())
	check("GetSessionByToken(unknown)", "missing-session-secret", err)
	_, err = st.GetTicket(ctx, store.TicketInvitation, "missing-ticket-secret", time.Now())
	check("GetTicket(unknown)", "missing-ticket-secret", err)
	_, err = st.ConsumeTicket(ctx, store.TicketInvitation, "missing-ticket-secret", time.Now())
	check("ConsumeTicket(unknown)", "missing-ticket-secret", err)
}
