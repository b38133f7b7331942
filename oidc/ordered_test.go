package oidc

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
)

// fakeCore is an opaque token strategy whose token "tok-N" has the
// signature "sig-N" and validates only in that form.
type fakeCore struct {
	oauth2.CoreStrategy
	n int
}

func (f *fakeCore) gen() (string, string, error) {
	f.n++
	return "tok-" + string(rune('a'+f.n)), "sig-" + string(rune('a'+f.n)), nil
}
func (f *fakeCore) sig(_ context.Context, token string) string {
	return strings.Replace(token, "tok-", "sig-", 1)
}
func (f *fakeCore) validate(token string) error {
	if !strings.HasPrefix(token, "tok-") {
		return errors.New("malformed")
	}
	return nil
}
func (f *fakeCore) GenerateAccessToken(context.Context, fosite.Requester) (string, string, error) {
	return f.gen()
}
func (f *fakeCore) AccessTokenSignature(ctx context.Context, t string) string { return f.sig(ctx, t) }
func (f *fakeCore) ValidateAccessToken(_ context.Context, _ fosite.Requester, t string) error {
	return f.validate(t)
}
func (f *fakeCore) GenerateRefreshToken(context.Context, fosite.Requester) (string, string, error) {
	return f.gen()
}
func (f *fakeCore) RefreshTokenSignature(ctx context.Context, t string) string { return f.sig(ctx, t) }
func (f *fakeCore) ValidateRefreshToken(_ context.Context, _ fosite.Requester, t string) error {
	return f.validate(t)
}

func TestOrderedTokens(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	now := at
	o := &orderedTokens{CoreStrategy: &fakeCore{}, access: true, now: func() time.Time { return now }}

	tok, sig, err := o.GenerateAccessToken(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	prefix := timeCode(at)
	if len(prefix) != timeCodeLen || tok != prefix+"~tok-b" || sig != prefix+".sig-b" {
		t.Fatalf("GenerateAccessToken = %q, %q; want %q and %q", tok, sig, prefix+"~tok-b", prefix+".sig-b")
	}
	if got := o.AccessTokenSignature(ctx, tok); got != sig {
		t.Errorf("AccessTokenSignature(%q) = %q, want %q", tok, got, sig)
	}
	if err := o.ValidateAccessToken(ctx, nil, tok); err != nil {
		t.Errorf("ValidateAccessToken(%q): %v", tok, err)
	}
	// A token issued before the prefix existed is fosite's own.
	if got := o.AccessTokenSignature(ctx, "tok-z"); got != "sig-z" {
		t.Errorf("signature of an unprefixed token = %q, want sig-z", got)
	}
	if err := o.ValidateAccessToken(ctx, nil, "tok-z"); err != nil {
		t.Errorf("an unprefixed token: %v", err)
	}
	// Something that is not a time prefix goes to fosite whole, which
	// refuses it.
	for _, bad := range []string{"ZZZZZZZZZZ~tok-b", "0123456789x~tok-b", "~tok-b", "0123~tok-b"} {
		if err := o.ValidateAccessToken(ctx, nil, bad); err == nil {
			t.Errorf("ValidateAccessToken(%q) accepted it", bad)
		}
	}

	rt, rsig, _ := o.GenerateRefreshToken(ctx, nil)
	if rt != prefix+"~tok-c" || rsig != prefix+".sig-c" || o.RefreshTokenSignature(ctx, rt) != rsig {
		t.Errorf("refresh token %q, signature %q", rt, rsig)
	}
	if err := o.ValidateRefreshToken(ctx, nil, rt); err != nil {
		t.Error(err)
	}

	// JWT access tokens keep their form; refresh tokens are still ordered.
	j := &orderedTokens{CoreStrategy: &fakeCore{}, access: false, now: o.now}
	if tok, sig, _ := j.GenerateAccessToken(ctx, nil); tok != "tok-b" || sig != "sig-b" || j.AccessTokenSignature(ctx, tok) != sig {
		t.Errorf("with JWT access tokens: %q, %q", tok, sig)
	}
	if rt, _, _ := j.GenerateRefreshToken(ctx, nil); !strings.HasPrefix(rt, prefix+"~") {
		t.Errorf("refresh token with JWT access tokens: %q", rt)
	}

	// Time codes sort as the times do.
	prev := timeCode(time.Unix(0, 0))
	for _, d := range []time.Duration{time.Millisecond, time.Second, time.Hour, 24 * time.Hour * 365 * 60} {
		c := timeCode(at.Add(d))
		if len(c) != timeCodeLen || c <= prev {
			t.Errorf("timeCode(+%v) = %q, after %q", d, c, prev)
		}
		prev = c
	}
}

// TestJWTSignature: a JWT's store key starts with the time code of its
// iat claim; anything else keeps fosite's signature alone.
func TestJWTSignature(t *testing.T) {
	jwt := func(payload string) string {
		return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
	}
	at := time.Unix(1764388000, 0)
	for _, tc := range []struct {
		token, want string
	}{
		{jwt(`{"aud":["app"],"client_id":"app","exp":1764391600,"iat":1764388000,"jti":"x"}`), timeCode(at) + ".sig"},
		{jwt(`{"iat": 1764388000}`), timeCode(at) + ".sig"},
		{jwt(`{"client_id":"a\"iat\":1","iat":1764388000}`), timeCode(at) + ".sig"},
		{jwt(`{"exp":1764391600}`), "sig"},
		{jwt(`{"iat":"soon"}`), "sig"},
		{jwt(`{"iat":-5}`), "sig"},
		{"not a jwt", "sig"},
		{"a.!!!.c", "sig"},
	} {
		if got := jwtSignature(tc.token, "sig"); got != tc.want {
			t.Errorf("jwtSignature(%q) = %q, want %q", tc.token, got, tc.want)
		}
	}
	if got := jwtSignature(jwt(`{"iat":1764388000}`), ""); got != "" {
		t.Errorf("an empty signature became %q", got)
	}
}
