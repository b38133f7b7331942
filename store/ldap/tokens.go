package ldap

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
)

// Authorization codes and tokens are Python Canaille's
// oauthAuthorizationCode and oauthToken entries plus the canaille
// extension classes (request ID, opaque data, refresh lifetime, and
// canailleExpiryDate, which DeleteExpired filters on). Client, subject and
// audience values are DNs.
//
// Secret values are stored as "sha256:" + store.Digest(value) in
// oauthCode, oauthAccessToken and oauthRefreshToken; look-ups are
// equality filters on that form (index these attributes: see README.md).
// Python Canaille stores the values in clear: a presented value is also
// matched as is, so that codes and tokens issued before the switch keep
// working, unless it has the digest form itself (a stolen copy of the
// directory must not yield usable values).

const digestPrefix = "sha256:"

func storedSecret(v string) string { return digestPrefix + store.Digest(v) }

// secretFilter matches a secret value presented by a client.
func secretFilter(attr, v string) string {
	if strings.HasPrefix(v, digestPrefix) {
		return eq(attr, storedSecret(v))
	}
	return "(|" + eq(attr, storedSecret(v)) + eq(attr, v) + ")"
}

// fSecret writes the stored form of a write-only value and never reads it
// back.
func fSecret[T any](attr string, p func(*T) *string) field[T] {
	return field[T]{attr: attr,
		enc: func(_ *codec, t *T) []string {
			if v := *p(t); v != "" {
				return []string{storedSecret(v)}
			}
			return nil
		},
		dec: func(*codec, *T, []string) {}}
}

// keepSecret leaves a stored secret unchanged on update (the value is
// write-only: the decoded object never holds it).
func keepSecret[T any](f field[T]) field[T] {
	f.equal = func(nv, ov []string) bool { return len(nv) == 0 }
	return f
}

var codeKind = &kind[store.AuthorizationCode]{
	name:    "authorization code",
	branch:  schemas.AuthorizationsBranch,
	rdn:     "oauthAuthorizationCodeID",
	classes: []string{"oauthAuthorizationCode", "canailleAuthorizationCodeExtension"},
	id:      func(c *store.AuthorizationCode) *string { return &c.ID },
	fields: []field[store.AuthorizationCode]{
		fString("oauthAuthorizationCodeID", func(c *store.AuthorizationCode) *string { return &c.ID }),
		keepSecret(fSecret("oauthCode", func(c *store.AuthorizationCode) *string { return &c.Code })),
		fClient("oauthClient", func(c *store.AuthorizationCode) *string { return &c.ClientID }),
		fUser("oauthSubject", func(c *store.AuthorizationCode) *string { return &c.Subject }),
		fString("oauthRedirectURI", func(c *store.AuthorizationCode) *string { return &c.RedirectURI }),
		fString("oauthResponseType", func(c *store.AuthorizationCode) *string { return &c.ResponseType }),
		fList("oauthScope", func(c *store.AuthorizationCode) *[]string { return &c.Scope }),
		fString("oauthNonce", func(c *store.AuthorizationCode) *string { return &c.Nonce }),
		fTime("oauthAuthorizationDate", func(c *store.AuthorizationCode) *time.Time { return &c.IssueDate }),
		fSeconds("oauthAuthorizationLifetime", func(c *store.AuthorizationCode) *time.Duration { return &c.Lifetime }),
		fString("oauthCodeChallenge", func(c *store.AuthorizationCode) *string { return &c.Challenge }),
		fString("oauthCodeChallengeMethod", func(c *store.AuthorizationCode) *string { return &c.ChallengeMethod }),
		fTime("oauthRevokationDate", func(c *store.AuthorizationCode) *time.Time { return &c.RevocationDate }),
		fTime("oauthAuthTime", func(c *store.AuthorizationCode) *time.Time { return &c.AuthTime }),
		fString("oauthACR", func(c *store.AuthorizationCode) *string { return &c.ACR }),
		fList("oauthAMR", func(c *store.AuthorizationCode) *[]string { return &c.AMR }),
		fString("canailleRequestID", func(c *store.AuthorizationCode) *string { return &c.RequestID }),
		fBytes("canailleData", func(c *store.AuthorizationCode) *[]byte { return &c.Data }),
		fComputed("canailleExpiryDate", func(c *store.AuthorizationCode) string { return formatTime(c.ExpiresAt()) }),
	},
}

// CreateAuthorizationCode implements store.OIDCStore.
func (d *Directory) CreateAuthorizationCode(ctx context.Context, c store.AuthorizationCode) (store.AuthorizationCode, error) {
	c = c.Clone()
	if err := firstErr(req("code", c.Code), req("client", c.ClientID), pos("lifetime", c.Lifetime)); err != nil {
		return store.AuthorizationCode{}, fmt.Errorf("ldap: create authorization code: %w", err)
	}
	if c.IssueDate.IsZero() {
		c.IssueDate = time.Now().UTC()
	}
	if c.ID == "" {
		// The ID is derived from the code: adding the same code twice
		// fails atomically with entryAlreadyExists, with no search first.
		c.ID = derivedID("code", c.Code)
	} else if es, err := codeKind.find(ctx, d, secretFilter("oauthCode", c.Code)); err != nil {
		return store.AuthorizationCode{}, err
	} else if len(es) > 0 {
		return store.AuthorizationCode{}, fmt.Errorf("ldap: authorization code: %w", store.ErrExists)
	}
	if err := codeKind.add(ctx, d, &c); err != nil {
		return store.AuthorizationCode{}, err
	}
	c.Code = ""
	return c, nil
}

// GetAuthorizationCode implements store.OIDCStore.
func (d *Directory) GetAuthorizationCode(ctx context.Context, code string) (store.AuthorizationCode, error) {
	if code == "" {
		return store.AuthorizationCode{}, fmt.Errorf("ldap: authorization code: %w", store.ErrNotFound)
	}
	_, c, err := codeKind.one(ctx, d, "", secretFilter("oauthCode", code))
	return c, err
}

// UpdateAuthorizationCode implements store.OIDCStore; fn may run more than
// once (see oidcmap.go).
func (d *Directory) UpdateAuthorizationCode(ctx context.Context, id string, fn func(*store.AuthorizationCode) error) (store.AuthorizationCode, error) {
	return codeKind.updateByID(ctx, d, id, func(_ *ldap.Entry, c *store.AuthorizationCode) error {
		old := c.Clone()
		if err := fn(c); err != nil {
			return err
		}
		c.ID, c.Code, c.ClientID, c.Subject = old.ID, "", old.ClientID, old.Subject
		return nil
	})
}

// DeleteAuthorizationCode implements store.OIDCStore.
func (d *Directory) DeleteAuthorizationCode(ctx context.Context, id string) error {
	return d.del(ctx, fmt.Sprintf("authorization code %q", id), codeKind.dn(d, id))
}

var tokenKind = &kind[store.Token]{
	name:    "token",
	branch:  schemas.TokensBranch,
	rdn:     "oauthTokenID",
	classes: []string{"oauthToken", "canailleTokenExtension"},
	id:      func(t *store.Token) *string { return &t.ID },
	fields: []field[store.Token]{
		fString("oauthTokenID", func(t *store.Token) *string { return &t.ID }),
		keepSecret(fSecret("oauthAccessToken", func(t *store.Token) *string { return &t.AccessToken })),
		keepSecret(fSecret("oauthRefreshToken", func(t *store.Token) *string { return &t.RefreshToken })),
		fClient("oauthClient", func(t *store.Token) *string { return &t.ClientID }),
		fUser("oauthSubject", func(t *store.Token) *string { return &t.Subject }),
		fString("oauthTokenType", func(t *store.Token) *string { return &t.Type }),
		fList("oauthScope", func(t *store.Token) *[]string { return &t.Scope }),
		fClients("oauthAudience", func(t *store.Token) *[]string { return &t.Audience }),
		fTime("oauthIssueDate", func(t *store.Token) *time.Time { return &t.IssueDate }),
		fSeconds("oauthTokenLifetime", func(t *store.Token) *time.Duration { return &t.Lifetime }),
		fSeconds("canailleRefreshTokenLifetime", func(t *store.Token) *time.Duration { return &t.RefreshLifetime }),
		fTime("oauthRevokationDate", func(t *store.Token) *time.Time { return &t.RevocationDate }),
		fString("canailleRequestID", func(t *store.Token) *string { return &t.RequestID }),
		fBytes("canailleData", func(t *store.Token) *[]byte { return &t.Data }),
		fComputed("canailleExpiryDate", func(t *store.Token) string { return formatTime(tokenEnd(t)) }),
	},
}

// derivedID is the ID of a new session, ticket, code or token whose
// caller gave none: a UUID made from the SHA-256 of its secret value (and
// of its kind), so that a value stored twice is refused by the directory
// itself (entryAlreadyExists on the RDN) without a search before the add.
// The secret cannot be recovered from it, nor its stored digest
// (canailleDigest, oauthCode…) computed, since the input differs. Values
// are random (256 bits): only a replayed value collides. An entry written
// by Python Canaille (random ID, clear value) is not detected this way, a
// collision with it being as unlikely as guessing the value.
func derivedID(kind, value string) string {
	sum := sha256.Sum256([]byte("canaille-ldap-id\x00" + kind + "\x00" + value))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80 // version 8: custom
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// tokenEnd is when a token stops being useful at all.
func tokenEnd(t *store.Token) time.Time {
	a, r := t.ExpiresAt(), t.RefreshExpiresAt()
	if r.After(a) {
		return r
	}
	return a
}

// CreateToken implements store.OIDCStore.
func (d *Directory) CreateToken(ctx context.Context, t store.Token) (store.Token, error) {
	t = t.Clone()
	if t.AccessToken == "" && t.RefreshToken == "" {
		return store.Token{}, fmt.Errorf("ldap: create token: %w", store.ValidationErrors{{Field: "access_token", Reason: "an access or a refresh token is required"}})
	}
	if err := firstErr(req("client", t.ClientID), pos("lifetime", t.Lifetime)); err != nil {
		return store.Token{}, fmt.Errorf("ldap: create token: %w", err)
	}
	if t.IssueDate.IsZero() {
		t.IssueDate = time.Now().UTC()
	}
	// A token without an ID gets one derived from its access token (from
	// its refresh token when it has none): a second token with the same
	// access token is refused by the add itself (entryAlreadyExists), so
	// that an access token alone, the common case, costs no search. The
	// other values are checked by a search first: a refresh token against
	// every token's (the RDN holds one value only), and any value of a
	// token with an explicit ID.
	var fs []string
	switch {
	case t.ID == "" && t.AccessToken != "":
		t.ID = derivedID("access", t.AccessToken)
		if t.RefreshToken != "" {
			fs = append(fs, secretFilter("oauthRefreshToken", t.RefreshToken))
		}
	case t.ID == "":
		t.ID = derivedID("refresh", t.RefreshToken)
		fs = append(fs, secretFilter("oauthRefreshToken", t.RefreshToken))
	default:
		if t.AccessToken != "" {
			fs = append(fs, secretFilter("oauthAccessToken", t.AccessToken))
		}
		if t.RefreshToken != "" {
			fs = append(fs, secretFilter("oauthRefreshToken", t.RefreshToken))
		}
	}
	if len(fs) > 0 {
		if es, err := tokenKind.find(ctx, d, "(|"+strings.Join(fs, "")+")"); err != nil {
			return store.Token{}, err
		} else if len(es) > 0 {
			return store.Token{}, fmt.Errorf("ldap: token: %w", store.ErrExists)
		}
	}
	if err := tokenKind.add(ctx, d, &t); err != nil {
		return store.Token{}, err
	}
	t.AccessToken, t.RefreshToken = "", ""
	return t, nil
}

// GetToken implements store.OIDCStore.
func (d *Directory) GetToken(ctx context.Context, id string) (store.Token, error) {
	_, t, err := tokenKind.byID(ctx, d, id)
	return t, err
}

// GetTokenByAccessToken implements store.OIDCStore.
func (d *Directory) GetTokenByAccessToken(ctx context.Context, v string) (store.Token, error) {
	if v == "" {
		return store.Token{}, fmt.Errorf("ldap: access token: %w", store.ErrNotFound)
	}
	_, t, err := tokenKind.one(ctx, d, "access token", secretFilter("oauthAccessToken", v))
	return t, err
}

// GetTokenByRefreshToken implements store.OIDCStore.
func (d *Directory) GetTokenByRefreshToken(ctx context.Context, v string) (store.Token, error) {
	if v == "" {
		return store.Token{}, fmt.Errorf("ldap: refresh token: %w", store.ErrNotFound)
	}
	_, t, err := tokenKind.one(ctx, d, "refresh token", secretFilter("oauthRefreshToken", v))
	return t, err
}

// tokenFilter is the LDAP filter of a query (without Active, checked on
// the decoded tokens).
func (d *Directory) tokenFilter(ctx context.Context, q store.TokenQuery) (string, bool, error) {
	var fs []string
	if q.ClientID != "" {
		fs = append(fs, eq("oauthClient", d.clientDN(q.ClientID)))
	}
	if q.Subject != "" {
		dn, err := d.refs.userDN(ctx, d, q.Subject)
		if err != nil {
			if errorsIsNotFound(err) {
				return "", false, nil // unknown user: no token
			}
			return "", false, err
		}
		fs = append(fs, eq("oauthSubject", dn))
	}
	if q.RequestID != "" {
		fs = append(fs, eq("canailleRequestID", q.RequestID))
	}
	if q.Active {
		fs = append(fs, "(!(oauthRevokationDate=*))")
	}
	if len(fs) == 0 {
		return "", true, nil
	}
	return and(fs...), true, nil
}

// matchingTokens returns the tokens q selects, most recent first, with
// their entries.
func (d *Directory) matchingTokens(ctx context.Context, q store.TokenQuery) ([]*ldap.Entry, []store.Token, error) {
	filter, ok, err := d.tokenFilter(ctx, q)
	if err != nil || !ok {
		return nil, nil, err
	}
	es, err := tokenKind.find(ctx, d, filter)
	if err != nil {
		return nil, nil, err
	}
	c := &codec{ctx: ctx, d: d}
	type pair struct {
		e *ldap.Entry
		t store.Token
	}
	var ps []pair
	for _, e := range es {
		t := tokenKind.decode(c, e)
		if q.Active && (t.Revoked() || !q.ActiveAt.Before(tokenEnd(&t))) {
			continue
		}
		ps = append(ps, pair{e, t})
	}
	if c.err != nil {
		return nil, nil, c.err
	}
	slices.SortFunc(ps, func(a, b pair) int {
		return cmp.Or(b.t.IssueDate.Compare(a.t.IssueDate), cmp.Compare(a.t.ID, b.t.ID))
	})
	if q.Limit > 0 && len(ps) > q.Limit {
		ps = ps[:q.Limit]
	}
	outE, outT := make([]*ldap.Entry, len(ps)), make([]store.Token, len(ps))
	for i, p := range ps {
		outE[i], outT[i] = p.e, p.t
	}
	return outE, outT, nil
}

// ListTokens implements store.OIDCStore.
func (d *Directory) ListTokens(ctx context.Context, q store.TokenQuery) ([]store.Token, error) {
	_, ts, err := d.matchingTokens(ctx, q)
	return ts, err
}

// UpdateToken implements store.OIDCStore; fn may run more than once.
func (d *Directory) UpdateToken(ctx context.Context, id string, fn func(*store.Token) error) (store.Token, error) {
	return tokenKind.updateByID(ctx, d, id, func(_ *ldap.Entry, t *store.Token) error {
		old := t.Clone()
		if err := fn(t); err != nil {
			return err
		}
		t.ID, t.AccessToken, t.RefreshToken = old.ID, "", ""
		t.ClientID, t.Subject, t.RequestID = old.ClientID, old.Subject, old.RequestID
		return nil
	})
}

// RevokeTokens implements store.OIDCStore. Each token is revoked with an
// assertion that it is not revoked yet, so concurrent revocations count
// each token once.
func (d *Directory) RevokeTokens(ctx context.Context, q store.TokenQuery, at time.Time) (int, error) {
	es, ts, err := d.matchingTokens(ctx, q)
	if err != nil {
		return 0, err
	}
	ctl, err := assertion("(!(oauthRevokationDate=*))")
	if err != nil {
		return 0, err
	}
	n := 0
	for i, e := range es {
		if ts[i].Revoked() {
			continue
		}
		req := ldap.NewModifyRequest(e.DN, []ldap.Control{ctl})
		req.Replace("oauthRevokationDate", []string{formatTime(at.UTC())})
		err := d.writeAt(ctx, e.DN, func(c *ldap.Conn) error { return c.Modify(req) })
		if isCode(err, ldap.LDAPResultAssertionFailed, ldap.LDAPResultNoSuchObject) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("ldap: revoke %s: %w", e.DN, err)
		}
		n++
	}
	return n, nil
}

// DeleteToken implements store.OIDCStore.
func (d *Directory) DeleteToken(ctx context.Context, id string) error {
	return d.del(ctx, fmt.Sprintf("token %q", id), tokenKind.dn(d, id))
}

func req(field, v string) error {
	if v == "" {
		return errRequired(field)
	}
	return nil
}

func pos(field string, v time.Duration) error {
	if v <= 0 {
		return errPositive(field)
	}
	return nil
}
