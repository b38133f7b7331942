package oidc

import (
	"encoding/json"
	"reflect"
	"time"

	"github.com/mohae/deepcopy"
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"
)

// Session is what fosite keeps with every code and token: the claims of
// the ID token and of the JWT access token, expiries, and who signed in.
// Its stored form leaves out what is empty (MarshalJSON).
type Session struct {
	IDClaims  *jwt.IDTokenClaims             `json:"id_token_claims,omitempty"`
	IDHeaders *jwt.Headers                   `json:"id_token_headers,omitempty"`
	ATClaims  *jwt.JWTClaims                 `json:"access_token_claims,omitempty"`
	ATHeaders *jwt.Headers                   `json:"access_token_headers,omitempty"`
	Expires   map[fosite.TokenType]time.Time `json:"expires_at,omitempty"`
	// UserID is the store's ID of the user; empty for client credentials.
	UserID string `json:"user_id,omitempty"`
	// Login is the user's user name (introspection's "username").
	Login string `json:"username,omitempty"`
	// Subject is the sub claim.
	Subject string `json:"subject,omitempty"`
	// BrowserSession is the ID of the web session that authorized the
	// request (the sid claim, for logout).
	BrowserSession string `json:"sid,omitempty"`
}

var (
	_ openid.Session             = (*Session)(nil)
	_ oauth2.JWTSessionContainer = (*Session)(nil)
)

// MarshalJSON writes the session without the claims and headers that are
// still empty (a client credentials token has no ID token; headers are
// rarely set): every token and code stores one, and the zero claims were
// most of its size. Decoding needs no counterpart: a missing member
// leaves the prototype's empty value.
func (s *Session) MarshalJSON() ([]byte, error) {
	type plain Session // without this method
	p := plain(*s)
	p.IDClaims, p.IDHeaders = unlessZero(p.IDClaims), unlessZero(p.IDHeaders)
	p.ATClaims, p.ATHeaders = unlessZero(p.ATClaims), unlessZero(p.ATHeaders)
	return json.Marshal(p)
}

// unlessZero is p, or nil when p points to a zero value.
func unlessZero[T any](p *T) *T {
	if p == nil || reflect.ValueOf(p).Elem().IsZero() {
		return nil
	}
	return p
}

// newSession returns an empty session to decode stored state into.
func newSession() *Session {
	return &Session{IDClaims: &jwt.IDTokenClaims{}, IDHeaders: &jwt.Headers{},
		ATClaims: &jwt.JWTClaims{}, ATHeaders: &jwt.Headers{}}
}

func (s *Session) IDTokenClaims() *jwt.IDTokenClaims {
	if s.IDClaims == nil {
		s.IDClaims = &jwt.IDTokenClaims{}
	}
	return s.IDClaims
}

func (s *Session) IDTokenHeaders() *jwt.Headers {
	if s.IDHeaders == nil {
		s.IDHeaders = &jwt.Headers{}
	}
	return s.IDHeaders
}

func (s *Session) GetJWTClaims() jwt.JWTClaimsContainer {
	if s.ATClaims == nil {
		s.ATClaims = &jwt.JWTClaims{}
	}
	return s.ATClaims
}

func (s *Session) GetJWTHeader() *jwt.Headers {
	if s.ATHeaders == nil {
		s.ATHeaders = &jwt.Headers{}
	}
	return s.ATHeaders
}

func (s *Session) SetExpiresAt(key fosite.TokenType, exp time.Time) {
	if s.Expires == nil {
		s.Expires = make(map[fosite.TokenType]time.Time)
	}
	s.Expires[key] = exp
}

func (s *Session) GetExpiresAt(key fosite.TokenType) time.Time {
	return s.Expires[key]
}

func (s *Session) GetUsername() string {
	if s == nil {
		return ""
	}
	return s.Login
}

func (s *Session) GetSubject() string {
	if s == nil {
		return ""
	}
	return s.Subject
}

func (s *Session) Clone() fosite.Session {
	if s == nil {
		return nil
	}
	return deepcopy.Copy(s).(fosite.Session)
}

// SetSubject records the user the resource owner password grant
// authenticated (fosite calls it with the store ID Authenticate returned).
func (s *Session) SetSubject(userID string) { s.UserID = userID }
