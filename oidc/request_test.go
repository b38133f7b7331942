package oidc

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/ory/fosite"
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
}
