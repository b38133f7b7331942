package oidc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/bolt/bolttest"
)

// TestMarshalRequest: the one-pass encoding of a token's request decodes
// to what encodeRequest stores, secrets left out.
func TestMarshalRequest(t *testing.T) {
	sess := newSession()
	sess.UserID, sess.Login, sess.Subject = "u1", "alice", "alice"
	sess.SetExpiresAt(fosite.AccessToken, time.Date(2026, 11, 29, 4, 0, 0, 0, time.UTC))
	r := &fosite.Request{ID: "req-1", RequestedAt: time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC),
		Client: &fosite.DefaultClient{ID: "app"}, RequestedScope: fosite.Arguments{"openid", "profile"},
		GrantedScope: fosite.Arguments{"openid"}, GrantedAudience: fosite.Arguments{"app"},
		Form:    url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"secret"}, "scope": {"openid"}},
		Session: sess}

	raw, err := marshalRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	var got storedRequest
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want, err := encodeRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.requestFields, want.requestFields) {
		t.Errorf("fields = %+v, want %+v", got.requestFields, want.requestFields)
	}
	var a, b bytes.Buffer
	json.Compact(&a, got.Session)
	json.Compact(&b, want.Session)
	if a.String() != b.String() {
		t.Errorf("session = %s, want %s", a.String(), b.String())
	}
	if bytes.Contains(raw, []byte("secret")) {
		t.Errorf("the refresh token reached the stored request: %s", raw)
	}

	// Byte for byte what json.Marshal makes of the whole, HTML-escaped
	// strings and empty claims included, for our session and any other.
	sess.Login = `<a href="x">&amp;</a>` + "\u2028"
	sess.ATClaims.Extra = map[string]any{"z": 1, "a": []string{"<b>"}}
	for _, session := range []fosite.Session{sess, newSession(), &openid.DefaultSession{Subject: "<s>"}, nil} {
		r.Session = session
		got, err := marshalRequest(r)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(requestOut{requestFields: fieldsOf(r), Session: r.GetSession()})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("session %T:\n got %s\nwant %s", session, got, want)
		}
	}
}

// TestSessionJSON: the stored session leaves out the empty claims and
// headers, decodes back to an equal session, and sessions stored in full
// (before that) still decode.
func TestSessionJSON(t *testing.T) {
	sess := newSession()
	sess.Subject, sess.UserID = "alice", "u1"
	sess.ATClaims.Subject = "alice"
	sess.ATClaims.Extra = map[string]any{"client_id": "app"}
	sess.SetExpiresAt(fosite.AccessToken, time.Date(2026, 11, 29, 4, 0, 0, 0, time.UTC))
	raw, err := json.Marshal(sess)
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"id_token_claims", "id_token_headers", "access_token_headers", "sid"} {
		if bytes.Contains(raw, []byte(absent)) {
			t.Errorf("%s stored although empty: %s", absent, raw)
		}
	}
	got := newSession()
	if err := json.Unmarshal(raw, got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sess) {
		t.Errorf("decoded %+v, want %+v", got, sess)
	}

	// The full form written by earlier versions.
	type full Session
	old, err := json.Marshal((*full)(sess))
	if err != nil {
		t.Fatal(err)
	}
	if len(old) <= len(raw) {
		t.Errorf("compact form (%d bytes) is not smaller than the full one (%d)", len(raw), len(old))
	}
	got = newSession()
	if err := json.Unmarshal(old, got); err != nil {
		t.Fatal(err)
	}
	if got.Subject != "alice" || got.ATClaims.Subject != "alice" || got.ATClaims.Extra["client_id"] != "app" ||
		!got.GetExpiresAt(fosite.AccessToken).Equal(sess.GetExpiresAt(fosite.AccessToken)) {
		t.Errorf("full form decoded to %+v", got)
	}
}

// countingStore counts the refresh token look-ups that reach the store.
type countingStore struct {
	Store
	refreshLookups int
}

func (c *countingStore) GetTokenByRefreshToken(ctx context.Context, v string) (store.Token, error) {
	c.refreshLookups++
	return c.Store.GetTokenByRefreshToken(ctx, v)
}

// The rotation of a refresh token uses the ID of the token fosite looked
// up in the same request instead of looking it up again, and still
// refuses a token revoked in between.
func TestRotateUsesTheLookUp(t *testing.T) {
	ctx := context.Background()
	bst := bolttest.Open(t, nil)
	if _, err := bst.CreateClient(ctx, store.Client{ID: "app", RedirectURIs: []string{"https://app.example/cb"},
		GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
		Scope: []string{"openid"}, TokenEndpointAuthMethod: store.AuthMethodBasic}); err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: bst}
	s := &storage{st: cs, now: func() time.Time { return time.Now().UTC() }, refreshLifetime: time.Hour}
	r := &fosite.Request{ID: "req-1", RequestedAt: time.Now(), Client: &fosite.DefaultClient{ID: "app"}, Session: newSession()}
	for _, sig := range []string{"sig-1", "sig-2"} {
		if err := s.CreateRefreshTokenSession(ctx, sig, "", r); err != nil {
			t.Fatal(err)
		}
	}

	rctx := withCodeMemo(ctx)
	if _, err := s.GetRefreshTokenSession(rctx, "sig-1", newSession()); err != nil {
		t.Fatal(err)
	}
	if err := s.RotateRefreshToken(rctx, "req-1", "sig-1"); err != nil {
		t.Fatal(err)
	}
	if cs.refreshLookups != 1 {
		t.Errorf("%d refresh token look-ups, want 1 (the rotation reuses the first)", cs.refreshLookups)
	}
	if _, err := s.GetRefreshTokenSession(ctx, "sig-1", newSession()); !errors.Is(err, fosite.ErrInactiveToken) {
		t.Errorf("rotated token: %v, want inactive", err)
	}

	// Revoked between the look-up and the rotation: the rotation fails.
	rctx = withCodeMemo(ctx)
	if _, err := s.GetRefreshTokenSession(rctx, "sig-2", newSession()); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeRefreshToken(ctx, "req-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.RotateRefreshToken(rctx, "req-1", "sig-2"); err == nil {
		t.Error("rotating a token revoked since its look-up succeeded")
	}
	// Without the memo (another request), the store is asked.
	n := cs.refreshLookups
	if err := s.RotateRefreshToken(ctx, "req-1", "sig-missing"); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("unknown token: %v, want not found", err)
	}
	if cs.refreshLookups != n+1 {
		t.Errorf("rotation without a look-up in its request did not ask the store")
	}
}
