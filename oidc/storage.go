package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"
	fositestorage "github.com/ory/fosite/storage"

	"github.com/canaille-go/canaille/store"
)

// Token types of store.Token records written by the provider: an access
// token and its refresh token are separate records of one request ID.
const (
	typeAccess  = "access_token"
	typeRefresh = "refresh_token"
)

// storage is fosite's storage over store.OIDCStore. fosite hands it token
// signatures (the HMAC or JWS signature part, never a whole token); the
// store keeps only their SHA-256, so the database holds nothing usable.
type storage struct {
	st      Store
	lockout *store.LockoutPolicy
	now     func() time.Time
	// codeLifetime and refreshLifetime apply when a session carries no
	// expiry for them.
	codeLifetime, refreshLifetime time.Duration
	// codeSignature turns a whole authorization code into its signature:
	// fosite's OpenID Connect handlers pass whole codes, which are never
	// stored.
	codeSignature func(ctx context.Context, code string) string
	// jwtAccess: access tokens are JWTs, some of which may be stored
	// under their signature without time prefix (see jwtSignature).
	jwtAccess bool
}

var (
	_ fosite.Storage                     = (*storage)(nil)
	_ oauth2.CoreStorage                 = (*storage)(nil)
	_ oauth2.TokenRevocationStorage      = (*storage)(nil)
	_ openid.OpenIDConnectRequestStorage = (*storage)(nil)
	_ pkce.PKCERequestStorage            = (*storage)(nil)

	_ oauth2.ResourceOwnerPasswordCredentialsGrantStorage = (*storage)(nil)
	_ fositestorage.Transactional                         = (*storage)(nil)
)

// BeginTX implements fosite's storage.Transactional: fosite wraps the
// writes of a code exchange (the code used, an access and a refresh
// token) and of a refresh (the old refresh token rotated, the family's
// access tokens revoked, two new tokens) in a transaction. They become one
// store batch: one commit instead of three or four, all or nothing.
func (s *storage) BeginTX(ctx context.Context) (context.Context, error) {
	return store.WithBatch(ctx), nil
}

// Commit implements storage.Transactional. A check made at the commit (a
// refresh token rotated or a code used by a concurrent request) fails it
// with the error fosite expects from the write.
func (s *storage) Commit(ctx context.Context) error {
	return notFound(store.CommitBatch(ctx, s.st))
}

// Rollback implements storage.Transactional: nothing was written.
func (s *storage) Rollback(ctx context.Context) error {
	store.DiscardBatch(ctx)
	return nil
}

// Authenticate checks a user's password for the resource owner password
// grant (only for clients allowed to use it). It honours the intruder
// lockout as the sign-in page does, and returns the user's store ID.
func (s *storage) Authenticate(ctx context.Context, name, secret string) (string, error) {
	if s.lockout != nil {
		if u, err := s.st.GetUserByName(ctx, name); err == nil {
			if s.lockout.Wait(u.PasswordFailureTimestamps, s.now()) > 0 {
				return "", fosite.ErrNotFound
			}
		}
	}
	u, err := s.st.Authenticate(ctx, name, secret)
	if err != nil {
		if errors.Is(err, store.ErrInvalidCredentials) || errors.Is(err, store.ErrLocked) || errors.Is(err, store.ErrNotFound) {
			return "", fosite.ErrNotFound
		}
		return "", err
	}
	return u.ID, nil
}

// storedRequest is a fosite request as kept in a code or token record.
type storedRequest struct {
	requestFields
	Session json.RawMessage `json:"session,omitempty"`
}

// requestFields are a stored request's fields but its session.
type requestFields struct {
	ID              string    `json:"id"`
	RequestedAt     time.Time `json:"requested_at"`
	ClientID        string    `json:"client_id"`
	Scopes          []string  `json:"scopes,omitempty"`
	GrantedScopes   []string  `json:"granted_scopes,omitempty"`
	Audience        []string  `json:"audience,omitempty"`
	GrantedAudience []string  `json:"granted_audience,omitempty"`
	Form            string    `json:"form,omitempty"`
}

// requestOut encodes a storedRequest in one pass: the session is encoded
// in place, not first on its own and then copied (and checked again) as
// raw JSON.
type requestOut struct {
	requestFields
	Session fosite.Session `json:"session,omitempty"`
}

// codeData is the Data of an authorization code record: the request, and
// the OpenID Connect and PKCE state fosite attaches to the same code.
type codeData struct {
	Request storedRequest  `json:"request"`
	OIDC    *storedRequest `json:"oidc,omitempty"`
	PKCE    *storedRequest `json:"pkce,omitempty"`
}

// secretParams are form values never written to the store.
var secretParams = []string{"client_secret", "client_assertion", "code", "code_verifier",
	"refresh_token", "password", "token", "id_token_hint", "request"}

func encodeRequest(r fosite.Requester) (storedRequest, error) {
	sess, err := json.Marshal(r.GetSession())
	if err != nil {
		return storedRequest{}, err
	}
	return storedRequest{requestFields: fieldsOf(r), Session: sess}, nil
}

// marshalRequest is the JSON of encodeRequest's stored request, as
// json.Marshal makes it of a requestOut, byte for byte. Our Session's
// JSON is spliced in as its MarshalJSON makes it (with json.Marshal, so
// valid and compact): json.Marshal would check and compact it again.
func marshalRequest(r fosite.Requester) ([]byte, error) {
	sess, ok := r.GetSession().(*Session)
	if !ok || sess == nil {
		return json.Marshal(requestOut{requestFields: fieldsOf(r), Session: r.GetSession()})
	}
	fields, err := json.Marshal(fieldsOf(r))
	if err != nil {
		return nil, err
	}
	sj, err := sess.MarshalJSON()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(fields)+len(`,"session":`)+len(sj))
	out = append(out, fields[:len(fields)-1]...) // without the closing brace
	out = append(out, `,"session":`...)
	out = append(out, sj...)
	return append(out, '}'), nil
}

func fieldsOf(r fosite.Requester) requestFields {
	form := url.Values{}
	for k, v := range r.GetRequestForm() {
		if !slices.Contains(secretParams, k) {
			form[k] = v
		}
	}
	return requestFields{
		ID: r.GetID(), RequestedAt: r.GetRequestedAt(), ClientID: r.GetClient().GetID(),
		Scopes: r.GetRequestedScopes(), GrantedScopes: r.GetGrantedScopes(),
		Audience: r.GetRequestedAudience(), GrantedAudience: r.GetGrantedAudience(),
		Form: form.Encode(),
	}
}

// decodeRequest rebuilds a request, reloading its client and decoding the
// session into the prototype fosite passed.
func (s *storage) decodeRequest(ctx context.Context, sr storedRequest, session fosite.Session) (*fosite.Request, error) {
	cl, err := s.GetClient(ctx, sr.ClientID)
	if err != nil {
		return nil, err
	}
	if session == nil {
		session = newSession()
	}
	if len(sr.Session) > 0 {
		if err := json.Unmarshal(sr.Session, session); err != nil {
			return nil, fmt.Errorf("oidc: stored session: %w", err)
		}
	}
	form, _ := url.ParseQuery(sr.Form)
	return &fosite.Request{
		ID: sr.ID, RequestedAt: sr.RequestedAt, Client: cl,
		RequestedScope: sr.Scopes, GrantedScope: sr.GrantedScopes,
		RequestedAudience: sr.Audience, GrantedAudience: sr.GrantedAudience,
		Form: form, Session: session,
	}, nil
}

func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fosite.ErrNotFound
	}
	return err
}

// lifetime is the time from now to the expiry the session sets for typ,
// or def; never less than a second.
func (s *storage) lifetime(r fosite.Requester, typ fosite.TokenType, def time.Duration) time.Duration {
	d := def
	if r.GetSession() != nil {
		if exp := r.GetSession().GetExpiresAt(typ); !exp.IsZero() {
			d = exp.Sub(s.now())
		}
	}
	return max(d, time.Second)
}

func sessionOf(r fosite.Requester) *Session {
	s, _ := r.GetSession().(*Session)
	if s == nil {
		return newSession()
	}
	return s
}

// GetClient implements fosite.ClientManager. A client whose secret
// expired keeps its record but can no longer authenticate with it.
func (s *storage) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	c, err := s.st.GetClient(ctx, id)
	if err != nil {
		return nil, notFound(err)
	}
	if !c.ClientSecretExpiresAt.IsZero() && !s.now().Before(c.ClientSecretExpiresAt) {
		c.ClientSecretHash = ""
	}
	return newClient(c), nil
}

// ClientAssertionJWTValid always passes: SetClientAssertionJWT records
// the JTI atomically and refuses a replay.
func (s *storage) ClientAssertionJWTValid(context.Context, string) error { return nil }

func (s *storage) SetClientAssertionJWT(ctx context.Context, jti string, exp time.Time) error {
	err := s.st.MarkJTI(ctx, jti, exp)
	if errors.Is(err, store.ErrExists) {
		return fosite.ErrInvalidClient.WithHint("This client assertion (its jti) was already used.")
	}
	return err
}

// CreateAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage.
// pendingCode holds, during one authorization response, the code fosite
// creates and the OpenID Connect and PKCE state it attaches to it, so that
// they are written in one store operation when the response is ready
// (flushCode) rather than in three.
type pendingCode struct {
	code *store.AuthorizationCode
	data codeData
}

type pendingCodeKey struct{}

// withPendingCode returns a context in which code creations are held
// until flushCode.
func withPendingCode(ctx context.Context) context.Context {
	return context.WithValue(ctx, pendingCodeKey{}, &pendingCode{})
}

func pendingFrom(ctx context.Context) *pendingCode {
	p, _ := ctx.Value(pendingCodeKey{}).(*pendingCode)
	return p
}

// flushCode writes the code held in ctx, if any.
func (s *storage) flushCode(ctx context.Context) error {
	p := pendingFrom(ctx)
	if p == nil || p.code == nil {
		return nil
	}
	data, err := json.Marshal(p.data)
	if err != nil {
		return err
	}
	c := *p.code
	c.Data = data
	p.code = nil
	_, err = s.st.CreateAuthorizationCode(ctx, c)
	return err
}

func (s *storage) CreateAuthorizeCodeSession(ctx context.Context, sig string, r fosite.Requester) error {
	sr, err := encodeRequest(r)
	if err != nil {
		return err
	}
	sess := sessionOf(r)
	form := r.GetRequestForm()
	c := store.AuthorizationCode{
		Code: sig, ClientID: r.GetClient().GetID(), Subject: sess.UserID,
		RedirectURI: form.Get("redirect_uri"), ResponseType: form.Get("response_type"),
		Scope: r.GetGrantedScopes(), Nonce: form.Get("nonce"), IssueDate: s.now(),
		Lifetime:  s.lifetime(r, fosite.AuthorizeCode, s.codeLifetime),
		Challenge: form.Get("code_challenge"), ChallengeMethod: form.Get("code_challenge_method"),
		AuthTime: sess.IDTokenClaims().AuthTime, AMR: sess.IDTokenClaims().AuthenticationMethodsReferences,
		RequestID: r.GetID(),
	}
	if p := pendingFrom(ctx); p != nil && p.code == nil {
		c.Code = sig
		p.code, p.data = &c, codeData{Request: sr}
		return nil
	}
	data, err := json.Marshal(codeData{Request: sr})
	if err != nil {
		return err
	}
	c.Data = data
	_, err = s.st.CreateAuthorizationCode(ctx, c)
	return err
}

// codeMemo remembers, for one token request, the code record fosite reads
// several times (the code, its PKCE and its OpenID Connect state): one
// store read instead of four. It never outlives the request, and every
// change of the code goes to the store. It also remembers the ID of the
// refresh token fosite looked up, which the rotation then needs.
type codeMemo struct {
	mu      sync.Mutex
	m       map[string]memoCode
	refresh map[string]string // refresh token signature -> token ID
}

// refreshID is the ID of the refresh token with signature sig, if this
// request looked it up.
func (m *codeMemo) refreshID(sig string) (string, bool) {
	if m == nil {
		return "", false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.refresh[sig]
	return id, ok
}

func (m *codeMemo) rememberRefresh(sig, id string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refresh[sig] = id
}

type memoCode struct {
	c store.AuthorizationCode
	d codeData
}

type codeMemoKey struct{}

func withCodeMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, codeMemoKey{}, &codeMemo{m: map[string]memoCode{}, refresh: map[string]string{}})
}

func memoFrom(ctx context.Context) *codeMemo {
	m, _ := ctx.Value(codeMemoKey{}).(*codeMemo)
	return m
}

func (s *storage) code(ctx context.Context, sig string) (store.AuthorizationCode, codeData, error) {
	memo := memoFrom(ctx)
	if memo != nil {
		memo.mu.Lock()
		e, ok := memo.m[sig]
		memo.mu.Unlock()
		if ok {
			return e.c.Clone(), e.d, nil
		}
	}
	c, err := s.st.GetAuthorizationCode(ctx, sig)
	if err != nil {
		return c, codeData{}, notFound(err)
	}
	var d codeData
	if err := json.Unmarshal(c.Data, &d); err != nil {
		return c, d, fmt.Errorf("oidc: stored code: %w", err)
	}
	if memo != nil {
		memo.mu.Lock()
		memo.m[sig] = memoCode{c: c.Clone(), d: d}
		memo.mu.Unlock()
	}
	return c, d, nil
}

// GetAuthorizeCodeSession returns the request and, for a used code,
// fosite.ErrInvalidatedAuthorizeCode with it: fosite then revokes what the
// code issued.
func (s *storage) GetAuthorizeCodeSession(ctx context.Context, sig string, session fosite.Session) (fosite.Requester, error) {
	c, d, err := s.code(ctx, sig)
	if err != nil {
		return nil, err
	}
	r, err := s.decodeRequest(ctx, d.Request, session)
	if err != nil {
		return nil, err
	}
	if !c.RevocationDate.IsZero() {
		return r, fosite.ErrInvalidatedAuthorizeCode
	}
	return r, nil
}

// InvalidateAuthorizeCodeSession marks the code used. It fails when the
// code was used meanwhile (checked in the store's transaction), so that
// two concurrent redemptions of one code cannot both get tokens.
func (s *storage) InvalidateAuthorizeCodeSession(ctx context.Context, sig string) error {
	return s.updateCode(ctx, sig, func(c *store.AuthorizationCode, _ *codeData) error {
		if !c.RevocationDate.IsZero() {
			return fosite.ErrInvalidatedAuthorizeCode
		}
		c.RevocationDate = s.now()
		return nil
	})
}

func (s *storage) updateCode(ctx context.Context, sig string, fn func(*store.AuthorizationCode, *codeData) error) error {
	c, _, err := s.code(ctx, sig) // only its ID: the update reads it again
	if err != nil {
		return err
	}
	if memo := memoFrom(ctx); memo != nil {
		memo.mu.Lock()
		delete(memo.m, sig)
		memo.mu.Unlock()
	}
	_, err = s.st.UpdateAuthorizationCode(ctx, c.ID, func(c *store.AuthorizationCode) error {
		var d codeData
		if err := json.Unmarshal(c.Data, &d); err != nil {
			return err
		}
		if err := fn(c, &d); err != nil {
			return err
		}
		data, err := json.Marshal(d)
		c.Data = data
		return err
	})
	return notFound(err)
}

// attach stores a request beside a code (the OpenID Connect or PKCE state).
func (s *storage) attach(ctx context.Context, sig string, r fosite.Requester, slot func(*codeData) **storedRequest) error {
	var sr *storedRequest
	if r != nil {
		enc, err := encodeRequest(r)
		if err != nil {
			return err
		}
		sr = &enc
	}
	if p := pendingFrom(ctx); p != nil && p.code != nil && p.code.Code == sig {
		*slot(&p.data) = sr
		return nil
	}
	return s.updateCode(ctx, sig, func(_ *store.AuthorizationCode, d *codeData) error {
		*slot(d) = sr
		return nil
	})
}

func (s *storage) attached(ctx context.Context, sig string, session fosite.Session, slot func(*codeData) *storedRequest) (fosite.Requester, error) {
	_, d, err := s.code(ctx, sig)
	if err != nil {
		return nil, err
	}
	sr := slot(&d)
	if sr == nil {
		return nil, fosite.ErrNotFound
	}
	return s.decodeRequest(ctx, *sr, session)
}

func oidcSlot(d *codeData) **storedRequest { return &d.OIDC }
func pkceSlot(d *codeData) **storedRequest { return &d.PKCE }

func (s *storage) CreateOpenIDConnectSession(ctx context.Context, code string, r fosite.Requester) error {
	return s.attach(ctx, s.codeSignature(ctx, code), r, oidcSlot)
}

func (s *storage) GetOpenIDConnectSession(ctx context.Context, code string, r fosite.Requester) (fosite.Requester, error) {
	var sess fosite.Session
	if r != nil {
		sess = r.GetSession()
	}
	return s.attached(ctx, s.codeSignature(ctx, code), sess, func(d *codeData) *storedRequest { return d.OIDC })
}

// DeleteOpenIDConnectSession keeps the state: fosite calls it once the
// code has been used, and a used code is dead (it is deleted with its
// state when it expires), so rewriting the record would only cost a
// commit per token request.
func (s *storage) DeleteOpenIDConnectSession(context.Context, string) error { return nil }

func (s *storage) CreatePKCERequestSession(ctx context.Context, sig string, r fosite.Requester) error {
	return s.attach(ctx, sig, r, pkceSlot)
}

func (s *storage) GetPKCERequestSession(ctx context.Context, sig string, session fosite.Session) (fosite.Requester, error) {
	return s.attached(ctx, sig, session, func(d *codeData) *storedRequest { return d.PKCE })
}

// DeletePKCERequestSession keeps the state, as DeleteOpenIDConnectSession
// does: the code it belongs to is invalidated in the same token request.
func (s *storage) DeletePKCERequestSession(context.Context, string) error { return nil }

// createToken stores an access or a refresh token record.
func (s *storage) createToken(ctx context.Context, typ, sig string, r fosite.Requester, lifetime time.Duration) error {
	data, err := marshalRequest(r)
	if err != nil {
		return err
	}
	t := store.Token{Type: typ, ClientID: r.GetClient().GetID(), Subject: sessionOf(r).UserID,
		Scope: r.GetGrantedScopes(), Audience: r.GetGrantedAudience(), IssueDate: s.now(),
		Lifetime: lifetime, RequestID: r.GetID(), Data: data}
	if typ == typeAccess {
		t.AccessToken = sig
	} else {
		t.RefreshToken = sig
	}
	_, err = s.st.CreateToken(ctx, t)
	return err
}

func (s *storage) token(ctx context.Context, typ, sig string, session fosite.Session) (store.Token, fosite.Requester, error) {
	var t store.Token
	var err error
	if typ == typeAccess {
		t, err = s.st.GetTokenByAccessToken(ctx, sig)
		if old, ok := unprefixed(sig); ok && s.jwtAccess && errors.Is(err, store.ErrNotFound) {
			// A JWT access token issued before its signature had the time
			// prefix (orderedTokens).
			t, err = s.st.GetTokenByAccessToken(ctx, old)
		}
	} else {
		t, err = s.st.GetTokenByRefreshToken(ctx, sig)
		if err == nil {
			memoFrom(ctx).rememberRefresh(sig, t.ID)
		}
	}
	if err != nil {
		return t, nil, notFound(err)
	}
	var sr storedRequest
	if err := json.Unmarshal(t.Data, &sr); err != nil {
		return t, nil, fmt.Errorf("oidc: stored token: %w", err)
	}
	r, err := s.decodeRequest(ctx, sr, session)
	if err != nil {
		return t, nil, err
	}
	if t.Revoked() {
		return t, r, fosite.ErrInactiveToken
	}
	return t, r, nil
}

func (s *storage) CreateAccessTokenSession(ctx context.Context, sig string, r fosite.Requester) error {
	return s.createToken(ctx, typeAccess, sig, r, s.lifetime(r, fosite.AccessToken, time.Hour))
}

func (s *storage) GetAccessTokenSession(ctx context.Context, sig string, session fosite.Session) (fosite.Requester, error) {
	_, r, err := s.token(ctx, typeAccess, sig, session)
	if errors.Is(err, fosite.ErrInactiveToken) {
		// A revoked access token is simply unknown to resource servers.
		return nil, fosite.ErrNotFound
	}
	return r, err
}

func (s *storage) DeleteAccessTokenSession(ctx context.Context, sig string) error {
	return s.revokeOne(ctx, typeAccess, sig)
}

func (s *storage) CreateRefreshTokenSession(ctx context.Context, sig, _ string, r fosite.Requester) error {
	return s.createToken(ctx, typeRefresh, sig, r, s.lifetime(r, fosite.RefreshToken, s.refreshLifetime))
}

// GetRefreshTokenSession returns the request and, for a rotated or revoked
// token, fosite.ErrInactiveToken with it: fosite then revokes the family.
func (s *storage) GetRefreshTokenSession(ctx context.Context, sig string, session fosite.Session) (fosite.Requester, error) {
	_, r, err := s.token(ctx, typeRefresh, sig, session)
	return r, err
}

func (s *storage) DeleteRefreshTokenSession(ctx context.Context, sig string) error {
	return s.revokeOne(ctx, typeRefresh, sig)
}

func (s *storage) revokeOne(ctx context.Context, typ, sig string) error {
	t, _, err := s.token(ctx, typ, sig, nil)
	if err != nil && !errors.Is(err, fosite.ErrInactiveToken) {
		return err
	}
	_, err = s.st.UpdateToken(ctx, t.ID, func(t *store.Token) error {
		if t.RevocationDate.IsZero() {
			t.RevocationDate = s.now()
		}
		return nil
	})
	return notFound(err)
}

// RotateRefreshToken retires the presented refresh token and the access
// tokens of its family before fosite issues new ones. It re-checks, in the
// store's transaction, that the token is still active, so that two
// concurrent refreshes with one token cannot both succeed.
func (s *storage) RotateRefreshToken(ctx context.Context, requestID, sig string) error {
	// fosite looked the token up for this request (GetRefreshTokenSession):
	// its ID does not change, and the update below checks it again.
	id, ok := memoFrom(ctx).refreshID(sig)
	if !ok {
		t, err := s.st.GetTokenByRefreshToken(ctx, sig)
		if err != nil {
			return notFound(err)
		}
		id = t.ID
	}
	_, err := s.st.UpdateToken(ctx, id, func(t *store.Token) error {
		if t.Revoked() {
			return fosite.ErrSerializationFailure
		}
		t.RevocationDate = s.now()
		return nil
	})
	if err != nil {
		return notFound(err)
	}
	return s.revokeFamily(ctx, requestID, typeAccess)
}

// RevokeRefreshToken revokes every refresh token of the request.
func (s *storage) RevokeRefreshToken(ctx context.Context, requestID string) error {
	return s.revokeFamily(ctx, requestID, typeRefresh)
}

// RevokeAccessToken revokes every access token of the request.
func (s *storage) RevokeAccessToken(ctx context.Context, requestID string) error {
	return s.revokeFamily(ctx, requestID, typeAccess)
}

func (s *storage) revokeFamily(ctx context.Context, requestID, typ string) error {
	if requestID == "" {
		return nil
	}
	// Only the active tokens: a refresh token family keeps every token it
	// rotated through under one request ID until they expire.
	now := s.now()
	ts, err := s.st.ListTokens(ctx, store.TokenQuery{RequestID: requestID, Active: true, ActiveAt: now})
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.Type != typ || t.Revoked() {
			continue
		}
		_, err := s.st.UpdateToken(ctx, t.ID, func(t *store.Token) error {
			if t.RevocationDate.IsZero() {
				t.RevocationDate = now
			}
			return nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}
