package store

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// The records of this file hold OpenID Connect and web state. Secret values
// (codes, tokens, session cookies, ticket values) are write-only: a backend
// stores only their SHA-256 digest (see Digest), finds records by the digest
// of the value a client presents, and returns them with the secret field
// empty. A copy of the database therefore leaks no usable secret.

// Digest returns the hex SHA-256 of a secret value, as backends index it.
func Digest(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}

// maxSecretPrefix bounds the clear prefix SecretKey keeps.
const maxSecretPrefix = 16

// SecretKey is the key under which an ordered index (store/bolt's) files a
// token's secret value: its Digest, after the value's time prefix when it
// has one. The OpenID Connect provider gives token values the form
// "T.rest", T being up to 16 characters of [0-9a-z] that sort in issue
// order (the rest, as fosite's signatures, has no "."): tokens issued
// together then share index pages instead of taking one each, which
// makes a commit of many tokens smaller. The prefix is not secret (the
// record holds its issue date anyway); other values are digested whole.
func SecretKey(value string) string {
	i := strings.IndexByte(value, '.')
	if i <= 0 || i > maxSecretPrefix {
		return Digest(value)
	}
	for _, c := range value[:i] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'z') {
			return Digest(value)
		}
	}
	return value[:i+1] + Digest(value[i+1:])
}

// AuthorizationCode is an OAuth 2 authorization code.
type AuthorizationCode struct {
	ID              string        `json:"authorization_code_id"`
	Code            string        `json:"-"` // write-only
	ClientID        string        `json:"client"`
	Subject         string        `json:"subject"` // user ID
	RedirectURI     string        `json:"redirect_uri,omitempty"`
	ResponseType    string        `json:"response_type,omitempty"`
	Scope           []string      `json:"scope,omitempty"`
	Nonce           string        `json:"nonce,omitempty"`
	IssueDate       time.Time     `json:"issue_date"`
	Lifetime        time.Duration `json:"lifetime"`
	Challenge       string        `json:"challenge,omitempty"`
	ChallengeMethod string        `json:"challenge_method,omitempty"`
	RevocationDate  time.Time     `json:"revokation_date,omitzero"` // used or revoked
	AuthTime        time.Time     `json:"auth_time,omitzero"`
	ACR             string        `json:"acr,omitempty"`
	AMR             []string      `json:"amr,omitempty"`
	// RequestID groups every code and token issued for one authorization,
	// so that they can be revoked together.
	RequestID string `json:"request_id,omitempty"`
	// Data is opaque protocol state kept for the OIDC layer.
	Data []byte `json:"data,omitempty"`
}

// ExpiresAt is IssueDate + Lifetime.
func (c *AuthorizationCode) ExpiresAt() time.Time { return c.IssueDate.Add(c.Lifetime) }

// Token is an access token, a refresh token, or both, issued together.
type Token struct {
	ID           string        `json:"token_id"`
	AccessToken  string        `json:"-"` // write-only
	RefreshToken string        `json:"-"` // write-only
	ClientID     string        `json:"client"`
	Subject      string        `json:"subject,omitempty"` // user ID; empty for client credentials
	Type         string        `json:"type,omitempty"`    // e.g. "access_token"
	Scope        []string      `json:"scope,omitempty"`
	Audience     []string      `json:"audience,omitempty"`
	IssueDate    time.Time     `json:"issue_date"`
	Lifetime     time.Duration `json:"lifetime"` // of the access token
	// RefreshLifetime is the validity of the refresh token; zero means the
	// same as Lifetime.
	RefreshLifetime time.Duration `json:"refresh_lifetime,omitempty"`
	RevocationDate  time.Time     `json:"revokation_date,omitzero"`
	RequestID       string        `json:"request_id,omitempty"`
	Data            []byte        `json:"data,omitempty"`
}

// ExpiresAt is when the access token expires.
func (t *Token) ExpiresAt() time.Time { return t.IssueDate.Add(t.Lifetime) }

// RefreshExpiresAt is when the refresh token expires.
func (t *Token) RefreshExpiresAt() time.Time {
	if t.RefreshLifetime == 0 {
		return t.ExpiresAt()
	}
	return t.IssueDate.Add(t.RefreshLifetime)
}

// Revoked reports whether the token was revoked.
func (t *Token) Revoked() bool { return !t.RevocationDate.IsZero() }

// Consent is what a user agreed to share with a client.
type Consent struct {
	ID             string    `json:"consent_id"`
	Subject        string    `json:"subject"` // user ID
	ClientID       string    `json:"client"`
	Scope          []string  `json:"scope,omitempty"`
	IssueDate      time.Time `json:"issue_date"`
	RevocationDate time.Time `json:"revokation_date,omitzero"`
}

// Session is a signed-in browser session. The cookie holds Token; the
// store keeps its digest.
type Session struct {
	ID         string    `json:"id"`
	Token      string    `json:"-"` // write-only
	UserID     string    `json:"user_id"`
	Created    time.Time `json:"created"`
	LastSeen   time.Time `json:"last_seen,omitzero"`
	Expires    time.Time `json:"expires"`
	AuthTime   time.Time `json:"auth_time,omitzero"`
	AMR        []string  `json:"amr,omitempty"`
	Remember   bool      `json:"remember,omitempty"`
	UserAgent  string    `json:"user_agent,omitempty"`
	RemoteAddr string    `json:"remote_addr,omitempty"`
	// ImpersonatorID is the administrator acting as UserID, if any.
	ImpersonatorID string `json:"impersonator_id,omitempty"`
	// Data is opaque state of the web layer (login pipeline, flash).
	Data []byte `json:"data,omitempty"`
}

// Ticket kinds.
const (
	TicketInvitation        = "invitation"
	TicketPasswordReset     = "password_reset"
	TicketEmailConfirmation = "email_confirmation"
	TicketRegistration      = "registration"
	TicketGroupInvitation   = "group_invitation"
)

// Ticket is a single-use, expiring secret sent by email or shown as a link:
// an invitation, a password reset, an email confirmation.
type Ticket struct {
	ID      string            `json:"id"`
	Kind    string            `json:"kind"`
	Token   string            `json:"-"` // write-only
	UserID  string            `json:"user_id,omitempty"`
	Email   string            `json:"email,omitempty"`
	Data    map[string]string `json:"data,omitempty"`
	Created time.Time         `json:"created"`
	Expires time.Time         `json:"expires"`
	Used    time.Time         `json:"used,omitzero"`
}

// SigningKey is a key pair that signs ID tokens and JWT access tokens.
// A retired key no longer signs but still verifies until it is deleted.
type SigningKey struct {
	ID            string    `json:"kid"`
	Algorithm     string    `json:"alg"` // RS256, ES256, EdDSA
	PrivateKeyPEM []byte    `json:"-"`
	PublicKeyPEM  []byte    `json:"public_key_pem,omitempty"`
	Created       time.Time `json:"created"`
	Retired       time.Time `json:"retired,omitzero"`
}

// CleanReport counts what DeleteExpired removed.
type CleanReport struct {
	AuthorizationCodes int `json:"authorization_codes"`
	Tokens             int `json:"tokens"`
	Sessions           int `json:"sessions"`
	Tickets            int `json:"tickets"`
	JTIs               int `json:"jtis"`
}

// Total is the number of objects removed.
func (r CleanReport) Total() int {
	return r.AuthorizationCodes + r.Tokens + r.Sessions + r.Tickets + r.JTIs
}

// cloneBytes is used by the Clone methods.
func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return slices.Clone(b)
}

// Clone returns a deep copy.
func (t Token) Clone() Token {
	t.Scope, t.Audience, t.Data = slices.Clone(t.Scope), slices.Clone(t.Audience), cloneBytes(t.Data)
	return t
}

// Clone returns a deep copy.
func (c AuthorizationCode) Clone() AuthorizationCode {
	c.Scope, c.AMR, c.Data = slices.Clone(c.Scope), slices.Clone(c.AMR), cloneBytes(c.Data)
	return c
}

// Clone returns a deep copy.
func (s Session) Clone() Session {
	s.AMR, s.Data = slices.Clone(s.AMR), cloneBytes(s.Data)
	return s
}
