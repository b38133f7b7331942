package oidc

import (
	"bytes"
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
)

// orderedTokens puts the issue time in front of opaque access and refresh
// tokens, "T~" + fosite's token, T being timeCode's ten characters, and
// gives the store the signature "T." + fosite's signature. The store keys
// its token index by that time prefix and the digest of the rest
// (store.SecretKey), so that tokens issued together sit together in the
// index: a group commit of tokens writes a few index pages instead of one
// per token.
//
// The prefix is not a secret and is not authenticated: fosite still
// checks the HMAC of its own token after it, and a changed prefix only
// makes the store look elsewhere and find nothing. Tokens without a
// prefix (issued before) are passed to fosite whole, as before.
//
// JWT access tokens keep their form; their signature for the store gets
// the prefix of their own iat claim (jwtSignature), read from the token
// each time, so that they too sit together in the index.
type orderedTokens struct {
	oauth2.CoreStrategy
	access bool // the access tokens are opaque (not JWTs, which keep their form)
	now    func() time.Time
}

// timeCodeLen is the length of a time prefix: milliseconds since 1970 in
// base 32 (0-9a-v), zero-padded, which sort as the times do.
const timeCodeLen = 10

func timeCode(t time.Time) string {
	s := strconv.FormatInt(max(t.UnixMilli(), 0), 32)
	return strings.Repeat("0", max(timeCodeLen-len(s), 0)) + s
}

// splitOrdered returns a token's time prefix and fosite's token.
func splitOrdered(token string) (prefix, rest string, ok bool) {
	if len(token) <= timeCodeLen || token[timeCodeLen] != '~' {
		return "", token, false
	}
	for _, c := range token[:timeCodeLen] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'v') {
			return "", token, false
		}
	}
	return token[:timeCodeLen], token[timeCodeLen+1:], true
}

func (o *orderedTokens) order(token, sig string, err error) (string, string, error) {
	if err != nil {
		return token, sig, err
	}
	t := timeCode(o.now())
	return t + "~" + token, t + "." + sig, nil
}

func (o *orderedTokens) signature(ctx context.Context, token string, inner func(context.Context, string) string) string {
	if prefix, rest, ok := splitOrdered(token); ok {
		return prefix + "." + inner(ctx, rest)
	}
	return inner(ctx, token)
}

func (o *orderedTokens) GenerateAccessToken(ctx context.Context, r fosite.Requester) (string, string, error) {
	if !o.access {
		token, sig, err := o.CoreStrategy.GenerateAccessToken(ctx, r)
		if err != nil {
			return token, sig, err
		}
		return token, jwtSignature(token, sig), nil
	}
	return o.order(o.CoreStrategy.GenerateAccessToken(ctx, r))
}

func (o *orderedTokens) AccessTokenSignature(ctx context.Context, token string) string {
	if !o.access {
		return jwtSignature(token, o.CoreStrategy.AccessTokenSignature(ctx, token))
	}
	return o.signature(ctx, token, o.CoreStrategy.AccessTokenSignature)
}

// jwtSignature is "T." + sig for a JWT whose payload has an iat claim, T
// being the timeCode of that time; sig alone otherwise. The claim is read
// without checking the JWT (fosite checks it; a changed claim only makes
// the store look elsewhere), and without decoding the payload as JSON:
// the first "iat": key of valid JSON is a key (a quote inside a string is
// escaped), and any reading that gives a token the same key each time
// serves. JWT access tokens issued before were stored under sig alone:
// storage.token looks there too (unprefixed).
func jwtSignature(token, sig string) string {
	if sig == "" {
		return sig
	}
	_, rest, ok := strings.Cut(token, ".")
	payload, _, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || len(payload) > 8192 {
		return sig
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return sig
	}
	i := bytes.Index(raw, []byte(`"iat":`))
	if i < 0 {
		return sig
	}
	digits := bytes.TrimLeft(raw[i+len(`"iat":`):], " ")
	n := 0
	for n < len(digits) && n < 12 && digits[n] >= '0' && digits[n] <= '9' {
		n++
	}
	iat, err := strconv.ParseInt(string(digits[:n]), 10, 64)
	if err != nil || iat <= 0 {
		return sig
	}
	return timeCode(time.Unix(iat, 0)) + "." + sig
}

// unprefixed is the signature a token had before it was given a time
// prefix, and whether it had one.
func unprefixed(sig string) (string, bool) {
	if len(sig) <= timeCodeLen || sig[timeCodeLen] != '.' {
		return sig, false
	}
	return sig[timeCodeLen+1:], true
}

func (o *orderedTokens) ValidateAccessToken(ctx context.Context, r fosite.Requester, token string) error {
	if o.access {
		_, token, _ = splitOrdered(token)
	}
	return o.CoreStrategy.ValidateAccessToken(ctx, r, token)
}

func (o *orderedTokens) GenerateRefreshToken(ctx context.Context, r fosite.Requester) (string, string, error) {
	return o.order(o.CoreStrategy.GenerateRefreshToken(ctx, r))
}

func (o *orderedTokens) RefreshTokenSignature(ctx context.Context, token string) string {
	return o.signature(ctx, token, o.CoreStrategy.RefreshTokenSignature)
}

func (o *orderedTokens) ValidateRefreshToken(ctx context.Context, r fosite.Requester, token string) error {
	_, token, _ = splitOrdered(token)
	return o.CoreStrategy.ValidateRefreshToken(ctx, r, token)
}
