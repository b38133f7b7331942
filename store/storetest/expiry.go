package storetest

import (
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// RunExpiry tests OIDCStore.DeleteExpired: it removes exactly the
// authorization codes, tokens, sessions, tickets and JWT IDs that expired
// before the given instant, and counts them.
func RunExpiry(t *testing.T, s Suite) {
	s.requireFull(t)
	s.subtests(t, []subtest{
		{"DeleteExpired/Empty", func(t *testing.T, st store.Store) {
			r, err := st.DeleteExpired(t.Context(), time.Now())
			if err != nil || r != (store.CleanReport{}) {
				t.Errorf("DeleteExpired(empty store) = %+v, %v; want nothing", r, err)
			}
		}},
		{"DeleteExpired/ExactlyExpired", testDeleteExpired},
	})
}

func testDeleteExpired(t *testing.T, st store.Store) {
	T := now()
	alice := mustCreateUser(t, st, "alice")
	mustCreateClient(t, st, "app")

	mustCreateCode(t, st, newCode("old-code", "app", alice.ID, T.Add(-2*time.Hour)))
	mustCreateCode(t, st, newCode("fresh-code", "app", alice.ID, T))

	mk := func(name string, issue time.Time, lifetime, refresh time.Duration) store.Token {
		refreshValue := "rt-" + name
		if refresh == 0 {
			refreshValue = ""
		}
		tok := newToken("at-"+name, refreshValue, "app", alice.ID, issue)
		tok.Lifetime, tok.RefreshLifetime = lifetime, refresh
		return mustCreateToken(t, st, tok)
	}
	dead := mk("dead", T.Add(-72*time.Hour), time.Hour, 24*time.Hour)              // both lifetimes over
	deadAccessOnly := mk("dead-access", T.Add(-2*time.Hour), time.Hour, 0)         // access token over
	refreshable := mk("refreshable", T.Add(-2*time.Hour), time.Hour, 24*time.Hour) // refresh still valid
	live := mk("live", T, time.Hour, 24*time.Hour)
	revoked := mk("revoked", T, time.Hour, 24*time.Hour) // revoked but not expired: kept
	_, err := st.UpdateToken(t.Context(), revoked.ID, func(tok *store.Token) error { tok.RevocationDate = T; return nil })
	wantOK(t, err, "UpdateToken(revoke)")

	mustCreateSession(t, st, newSession(alice.ID, "old-session", T.Add(-time.Minute)))
	mustCreateSession(t, st, newSession(alice.ID, "live-session", T.Add(time.Hour)))
	mustCreateTicket(t, st, newTicket(store.TicketInvitation, "old-ticket", "", T.Add(-time.Minute)))
	mustCreateTicket(t, st, newTicket(store.TicketInvitation, "live-ticket", "", T.Add(time.Hour)))
	wantOK(t, st.MarkJTI(t.Context(), "old-jti", T.Add(-time.Minute)), "MarkJTI(old)")
	wantOK(t, st.MarkJTI(t.Context(), "live-jti", T.Add(time.Hour)), "MarkJTI(live)")

	r, err := st.DeleteExpired(t.Context(), T)
	wantOK(t, err, "DeleteExpired")
	want := store.CleanReport{AuthorizationCodes: 1, Tokens: 2, Sessions: 1, Tickets: 1, JTIs: 1}
	if r != want {
		t.Errorf("DeleteExpired = %+v, want %+v", r, want)
	}

	_, err = st.GetAuthorizationCode(t.Context(), "old-code")
	wantNotFound(t, err, "GetAuthorizationCode(expired)")
	_, err = st.GetAuthorizationCode(t.Context(), "fresh-code")
	wantOK(t, err, "GetAuthorizationCode(unexpired)")
	for _, tok := range []store.Token{dead, deadAccessOnly} {
		_, err := st.GetToken(t.Context(), tok.ID)
		wantNotFound(t, err, "GetToken(expired)")
	}
	for _, tok := range []store.Token{refreshable, live, revoked} {
		_, err := st.GetToken(t.Context(), tok.ID)
		wantOK(t, err, "GetToken(not fully expired)")
	}
	_, err = st.GetTokenByRefreshToken(t.Context(), "rt-refreshable")
	wantOK(t, err, "GetTokenByRefreshToken(refresh still valid)")
	// Ask as of a time when the removed objects were still valid.
	past := T.Add(-2 * time.Minute)
	_, err = st.GetSessionByToken(t.Context(), "old-session", past)
	wantNotFound(t, err, "GetSessionByToken(removed)")
	_, err = st.GetSessionByToken(t.Context(), "live-session", T)
	wantOK(t, err, "GetSessionByToken(unexpired)")
	_, err = st.GetTicket(t.Context(), store.TicketInvitation, "old-ticket", past)
	wantNotFound(t, err, "GetTicket(removed)")
	_, err = st.GetTicket(t.Context(), store.TicketInvitation, "live-ticket", T)
	wantOK(t, err, "GetTicket(unexpired)")
	wantErr(t, st.MarkJTI(t.Context(), "live-jti", T.Add(time.Hour)), store.ErrExists, "MarkJTI(unexpired, kept)")

	r, err = st.DeleteExpired(t.Context(), T)
	if err != nil || r != (store.CleanReport{}) {
		t.Errorf("second DeleteExpired = %+v, %v; want nothing", r, err)
	}

	r, err = st.DeleteExpired(t.Context(), T.Add(30*24*time.Hour))
	wantOK(t, err, "DeleteExpired(a month later)")
	want = store.CleanReport{AuthorizationCodes: 1, Tokens: 3, Sessions: 1, Tickets: 1, JTIs: 1}
	if r != want || r.Total() != 7 {
		t.Errorf("DeleteExpired(a month later) = %+v, want %+v", r, want)
	}
	if toks, err := st.ListTokens(t.Context(), store.TokenQuery{}); err != nil || len(toks) != 0 {
		t.Errorf("ListTokens after removing everything = %d, %v", len(toks), err)
	}
	if ss, err := st.ListSessions(t.Context(), alice.ID); err != nil || len(ss) != 0 {
		t.Errorf("ListSessions after removing everything = %d, %v", len(ss), err)
	}
	// Users, clients and consents do not expire.
	mustGetUser(t, st, alice.ID)
	_, err = st.GetClient(t.Context(), "app")
	wantOK(t, err, "GetClient after DeleteExpired")
}
