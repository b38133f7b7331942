package bolt

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/canaille-go/canaille/store"
)

// Expiry index kinds.
const (
	kindCode    byte = 'c'
	kindToken   byte = 't'
	kindSession byte = 's'
	kindTicket  byte = 'k'
	kindJTI     byte = 'j'
)

func expiryKey(t time.Time, kind byte, id string) []byte {
	k := be64(uint64(max(t.UnixNano(), 0)))
	k = append(k, kind)
	return append(k, id...)
}

// moveExpiry replaces the expiry entry of an object (old zero: none yet).
func moveExpiry(tx *bbolt.Tx, kind byte, id string, old, nu time.Time) error {
	b := tx.Bucket(bExpiry)
	if !old.IsZero() {
		if old.Equal(nu) {
			return nil
		}
		if err := b.Delete(expiryKey(old, kind, id)); err != nil {
			return err
		}
	}
	if nu.IsZero() {
		return nil
	}
	return b.Put(expiryKey(nu, kind, id), nil)
}

func putJSON(tx *bbolt.Tx, bucket []byte, id string, v any) error {
	raw, err := encode(v)
	if err != nil {
		return fmt.Errorf("bolt: encode %s: %w", bucket, err)
	}
	return tx.Bucket(bucket).Put([]byte(id), raw)
}

func getJSON(tx *bbolt.Tx, bucket []byte, id string, v any) error {
	raw := tx.Bucket(bucket).Get([]byte(id))
	if raw == nil {
		return fmt.Errorf("bolt: %s %q: %w", bucket, id, store.ErrNotFound)
	}
	return decode(raw, v)
}

// getByIndex resolves a key of an index bucket to an ID.
func getByIndex(tx *bbolt.Tx, index, key []byte, what string) (string, error) {
	id := tx.Bucket(index).Get(key)
	if id == nil {
		return "", fmt.Errorf("bolt: %s: %w", what, store.ErrNotFound)
	}
	return string(id), nil
}

func required(field, v string) error {
	if v == "" {
		return store.ValidationErrors{{Field: field, Reason: "is required"}}
	}
	return nil
}

// positive refuses a zero or negative lifetime: the object would be dead
// on arrival.
func positive(field string, d time.Duration) error {
	if d <= 0 {
		return store.ValidationErrors{{Field: field, Reason: "must be positive"}}
	}
	return nil
}

// requiredTime refuses a zero instant.
func requiredTime(field string, t time.Time) error {
	if t.IsZero() {
		return store.ValidationErrors{{Field: field, Reason: "is required"}}
	}
	return nil
}

// ---- clients

type clientRecord struct {
	store.Client
	ClientSecretHash string `json:"client_secret_hash,omitempty"`
}

func getClient(tx *bbolt.Tx, id string) (store.Client, error) {
	raw, err := clientBytes(tx, id)
	if err != nil {
		return store.Client{}, err
	}
	return decodeClient(raw)
}

// clientBytes is the stored record of a client.
func clientBytes(tx *bbolt.Tx, id string) ([]byte, error) {
	raw := tx.Bucket(bClients).Get([]byte(id))
	if raw == nil {
		return nil, fmt.Errorf("bolt: %s %q: %w", bClients, id, store.ErrNotFound)
	}
	return raw, nil
}

func decodeClient(raw []byte) (store.Client, error) {
	var rec clientRecord
	if err := decode(raw, &rec); err != nil {
		return store.Client{}, err
	}
	c := rec.Client
	c.ClientSecretHash = rec.ClientSecretHash
	return c, nil
}

func putClient(tx *bbolt.Tx, c *store.Client) error {
	return putJSON(tx, bClients, c.ID, clientRecord{Client: *c, ClientSecretHash: c.ClientSecretHash})
}

// CreateClient implements store.OIDCStore. An empty client_id is generated.
func (s *Store) CreateClient(ctx context.Context, c store.Client) (store.Client, error) {
	c = c.Clone()
	if c.ID == "" {
		c.ID = store.NewID()
	}
	c.Normalize()
	if err := c.Validate(); err != nil {
		return store.Client{}, fmt.Errorf("bolt: create client: %w", err)
	}
	now := s.now().UTC()
	if c.Created.IsZero() {
		c.Created = now
	}
	c.LastModified = now
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bClients).Get([]byte(c.ID)) != nil {
			return fmt.Errorf("bolt: client %q: %w", c.ID, store.ErrExists)
		}
		return putClient(tx, &c)
	})
	return c, err
}

// GetClient implements store.OIDCStore.
func (s *Store) GetClient(ctx context.Context, id string) (store.Client, error) {
	var c store.Client
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) { c, err = s.clients.client(tx, id); return })
	return c, err
}

// ListClients implements store.OIDCStore; clients are sorted by client_id.
func (s *Store) ListClients(ctx context.Context) ([]store.Client, error) {
	var out []store.Client
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bClients).ForEach(func(k, _ []byte) error {
			c, err := getClient(tx, string(k))
			out = append(out, c)
			return err
		})
	})
	return out, err
}

// UpdateClient implements store.OIDCStore.
func (s *Store) UpdateClient(ctx context.Context, id string, fn func(*store.Client) error) (store.Client, error) {
	var out store.Client
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		old, err := getClient(tx, id)
		if err != nil {
			return err
		}
		c := old.Clone()
		if err := fn(&c); err != nil {
			return err
		}
		c.ID, c.Created = old.ID, old.Created
		c.Normalize()
		if err := c.Validate(); err != nil {
			return fmt.Errorf("bolt: update client %q: %w", id, err)
		}
		c.LastModified = s.now().UTC()
		out = c
		return putClient(tx, &c)
	})
	return out, err
}

// DeleteClient implements store.OIDCStore.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bClients).Get([]byte(id)) == nil {
			return fmt.Errorf("bolt: client %q: %w", id, store.ErrNotFound)
		}
		for _, tid := range seconds(tx.Bucket(bTokenClient), id) {
			if err := deleteToken(tx, tid); err != nil {
				return err
			}
		}
		for _, cid := range seconds(tx.Bucket(bCodeClient), id) {
			if err := deleteCode(tx, cid); err != nil {
				return err
			}
		}
		for _, cid := range seconds(tx.Bucket(bConsentCli), id) {
			if err := deleteConsent(tx, cid); err != nil {
				return err
			}
		}
		return tx.Bucket(bClients).Delete([]byte(id))
	})
}

// ---- authorization codes

type codeRecord struct {
	store.AuthorizationCode
	CodeDigest string `json:"code_digest"`
}

func getCode(tx *bbolt.Tx, id string) (codeRecord, error) {
	var rec codeRecord
	err := getJSON(tx, bCodes, id, &rec)
	return rec, err
}

// CreateAuthorizationCode implements store.OIDCStore.
func (s *Store) CreateAuthorizationCode(ctx context.Context, c store.AuthorizationCode) (store.AuthorizationCode, error) {
	c = c.Clone()
	if err := cmp.Or(required("code", c.Code), required("client", c.ClientID), positive("lifetime", c.Lifetime)); err != nil {
		return store.AuthorizationCode{}, fmt.Errorf("bolt: create authorization code: %w", err)
	}
	if c.IssueDate.IsZero() {
		c.IssueDate = s.now().UTC()
	}
	if c.ID == "" {
		c.ID = store.NewTimeID(c.IssueDate)
	}
	rec := codeRecord{AuthorizationCode: c, CodeDigest: store.Digest(c.Code)}
	rec.Code = ""
	err := s.groupUpdate(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bCodes).Get([]byte(c.ID)) != nil || tx.Bucket(bCodeValue).Get([]byte(rec.CodeDigest)) != nil {
			return fmt.Errorf("bolt: authorization code: %w", store.ErrExists)
		}
		for _, e := range codeIndexes(&rec) {
			if err := e.put(tx); err != nil {
				return err
			}
		}
		if err := moveExpiry(tx, kindCode, c.ID, time.Time{}, c.ExpiresAt()); err != nil {
			return err
		}
		return putJSON(tx, bCodes, c.ID, rec)
	})
	c.Code = ""
	return c, err
}

// GetAuthorizationCode implements store.OIDCStore.
func (s *Store) GetAuthorizationCode(ctx context.Context, code string) (store.AuthorizationCode, error) {
	var out store.AuthorizationCode
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		id, err := getByIndex(tx, bCodeValue, []byte(store.Digest(code)), "authorization code")
		if err != nil {
			return err
		}
		rec, err := getCode(tx, id)
		out = rec.AuthorizationCode
		return err
	})
	return out, err
}

// UpdateAuthorizationCode implements store.OIDCStore. The ID, value,
// client and subject cannot change. The write may share its commit with
// others (group.go): fn may be called more than once, and must only
// change the code it is given.
func (s *Store) UpdateAuthorizationCode(ctx context.Context, id string, fn func(*store.AuthorizationCode) error) (store.AuthorizationCode, error) {
	var out store.AuthorizationCode
	err := s.groupUpdate(ctx, func(tx *bbolt.Tx) error {
		rec, err := getCode(tx, id)
		if err != nil {
			return err
		}
		c := rec.AuthorizationCode.Clone()
		if err := fn(&c); err != nil {
			return err
		}
		old := rec.AuthorizationCode
		c.ID, c.Code, c.ClientID, c.Subject = old.ID, "", old.ClientID, old.Subject
		if err := moveExpiry(tx, kindCode, id, old.ExpiresAt(), c.ExpiresAt()); err != nil {
			return err
		}
		rec.AuthorizationCode = c
		out = c
		return putJSON(tx, bCodes, id, rec)
	})
	return out, err
}

// DeleteAuthorizationCode implements store.OIDCStore.
func (s *Store) DeleteAuthorizationCode(ctx context.Context, id string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bCodes).Get([]byte(id)) == nil {
			return fmt.Errorf("bolt: authorization code %q: %w", id, store.ErrNotFound)
		}
		return deleteCode(tx, id)
	})
}

// deleteCode removes a code and its index entries; a missing code is not
// an error.
func deleteCode(tx *bbolt.Tx, id string) error {
	rec, err := getCode(tx, id)
	if err != nil {
		return nil
	}
	for _, e := range codeIndexes(&rec) {
		if err := tx.Bucket(e.b).Delete(e.k); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bExpiry).Delete(expiryKey(rec.ExpiresAt(), kindCode, id)); err != nil {
		return err
	}
	return tx.Bucket(bCodes).Delete([]byte(id))
}

func codeIndexes(rec *codeRecord) []indexEntry {
	out := []indexEntry{{b: bCodeValue, k: []byte(rec.CodeDigest), v: []byte(rec.ID)},
		{b: bCodeClient, k: pair(rec.ClientID, rec.ID), ordered: true}}
	if rec.Subject != "" {
		out = append(out, indexEntry{b: bCodeSubject, k: pair(rec.Subject, rec.ID)})
	}
	return out
}

// ---- tokens

type tokenRecord struct {
	store.Token
	// The index keys of the secret values (store.SecretKey).
	AccessDigest  string `json:"access_digest,omitempty"`
	RefreshDigest string `json:"refresh_digest,omitempty"`
}

func getTokenRec(tx *bbolt.Tx, id string) (tokenRecord, error) {
	var rec tokenRecord
	err := getJSON(tx, bTokens, id, &rec)
	return rec, err
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
func (s *Store) CreateToken(ctx context.Context, t store.Token) (store.Token, error) {
	t = t.Clone()
	if t.AccessToken == "" && t.RefreshToken == "" {
		return store.Token{}, fmt.Errorf("bolt: create token: %w", store.ValidationErrors{{Field: "access_token", Reason: "an access or a refresh token is required"}})
	}
	if err := cmp.Or(required("client", t.ClientID), positive("lifetime", t.Lifetime)); err != nil {
		return store.Token{}, fmt.Errorf("bolt: create token: %w", err)
	}
	if t.IssueDate.IsZero() {
		t.IssueDate = s.now().UTC()
	}
	if t.ID == "" {
		t.ID = store.NewTimeID(t.IssueDate)
	}
	rec := tokenRecord{Token: t}
	if t.AccessToken != "" {
		rec.AccessDigest = store.SecretKey(t.AccessToken)
	}
	if t.RefreshToken != "" {
		rec.RefreshDigest = store.SecretKey(t.RefreshToken)
	}
	rec.AccessToken, rec.RefreshToken = "", ""
	t.AccessToken, t.RefreshToken = "", ""
	// Everything but the writes is prepared before the transaction: the
	// token endpoint's commits are serialised, so the less each write does
	// in one, the more tokens a second.
	raw, err := encode(rec)
	if err != nil {
		return store.Token{}, fmt.Errorf("bolt: encode token: %w", err)
	}
	indexes := tokenIndexes(&rec)
	expiry := expiryKey(tokenEnd(&t), kindToken, t.ID)
	err = s.groupUpdate(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bTokens).Get([]byte(t.ID)) != nil ||
			(rec.AccessDigest != "" && tx.Bucket(bTokenAccess).Get([]byte(rec.AccessDigest)) != nil) ||
			(rec.RefreshDigest != "" && tx.Bucket(bTokenRefresh).Get([]byte(rec.RefreshDigest)) != nil) {
			return fmt.Errorf("bolt: token: %w", store.ErrExists)
		}
		for _, e := range indexes {
			if err := e.put(tx); err != nil {
				return err
			}
		}
		if err := appending(tx, bExpiry).Put(expiry, nil); err != nil {
			return err
		}
		return appendingRecords(tx, bTokens).Put([]byte(t.ID), raw)
	})
	return t, err
}

// indexEntry is a key to put in bucket b. ordered marks keys that come
// after the bucket's others (see appending).
type indexEntry struct {
	b, k, v []byte
	ordered bool
}

func tokenIndexes(rec *tokenRecord) []indexEntry {
	id := rec.ID
	var out []indexEntry
	// Secret keys start with the issue time when the token does (see
	// store.SecretKey); plain digests are random.
	if rec.AccessDigest != "" {
		out = append(out, indexEntry{bTokenAccess, []byte(rec.AccessDigest), []byte(id), strings.Contains(rec.AccessDigest, ".")})
	}
	if rec.RefreshDigest != "" {
		out = append(out, indexEntry{bTokenRefresh, []byte(rec.RefreshDigest), []byte(id), strings.Contains(rec.RefreshDigest, ".")})
	}
	// Token IDs are time-ordered: a client's tokens come after its others.
	// Subjects are many, and a request gains tokens long after it was
	// made (refresh rotations): those go anywhere in their index.
	out = append(out, indexEntry{bTokenClient, pair(rec.ClientID, id), nil, true})
	if rec.Subject != "" {
		out = append(out, indexEntry{bTokenSubject, pair(rec.Subject, id), nil, false})
	}
	if rec.RequestID != "" {
		out = append(out, indexEntry{bTokenRequest, requestIndexKey(&rec.Token), nil, false})
	}
	return out
}

// put writes e in tx.
func (e indexEntry) put(tx *bbolt.Tx) error {
	if e.ordered {
		return appending(tx, e.b).Put(e.k, e.v)
	}
	return tx.Bucket(e.b).Put(e.k, e.v)
}

// The tokens_by_request index keeps the tokens of a request that are not
// revoked under request\0id and the revoked ones under request\1id
// (revokedPair). A refresh token family gains two tokens at each rotation,
// all under one request ID, and every rotation revokes the family's
// active tokens: the active ones, which each rotation lists, are then a
// prefix of their own, as long as the family lives (thirty days of
// rotations are thousands of revoked tokens).
//
// Files written before kept every token under request\0id, the revoked
// ones with the value revokedMark; those entries are still read (and
// skipped by the listing of the active tokens) until their tokens expire
// and are deleted, or are revoked or restored again, which moves them.
var revokedMark = []byte{'r'}

// revokedSep separates the request ID from the token ID in the
// tokens_by_request key of a revoked token.
const revokedSep = 1

// revokedPair is the tokens_by_request key of a revoked token.
func revokedPair(requestID, id string) []byte {
	k := pair(requestID, id)
	k[len(requestID)] = revokedSep
	return k
}

// requestIndexKey is t's tokens_by_request key.
func requestIndexKey(t *store.Token) []byte {
	if t.Revoked() {
		return revokedPair(t.RequestID, t.ID)
	}
	return pair(t.RequestID, t.ID)
}

// markRevocation moves the tokens_by_request entry of t when its
// revocation changed.
func markRevocation(tx *bbolt.Tx, old, nu *store.Token) error {
	if nu.RequestID == "" || old.Revoked() == nu.Revoked() {
		return nil
	}
	return moveRequestEntry(tx.Bucket(bTokenRequest), nu)
}

// moveRequestEntry puts t's tokens_by_request entry in the form of its
// present state.
func moveRequestEntry(b *bbolt.Bucket, t *store.Token) error {
	if err := deleteRequestEntry(b, t.RequestID, t.ID); err != nil {
		return err
	}
	return b.Put(requestIndexKey(t), nil)
}

// deleteRequestEntry deletes both forms of a token's tokens_by_request
// entry: a revoked token of a file written before revokedPair has its
// entry under pair.
func deleteRequestEntry(b *bbolt.Bucket, requestID, id string) error {
	if err := b.Delete(pair(requestID, id)); err != nil {
		return err
	}
	return b.Delete(revokedPair(requestID, id))
}

func deleteToken(tx *bbolt.Tx, id string) error {
	rec, err := getTokenRec(tx, id)
	if err != nil {
		return nil
	}
	for _, e := range tokenIndexes(&rec) {
		if err := tx.Bucket(e.b).Delete(e.k); err != nil {
			return err
		}
	}
	if rec.RequestID != "" {
		if err := deleteRequestEntry(tx.Bucket(bTokenRequest), rec.RequestID, id); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bExpiry).Delete(expiryKey(tokenEnd(&rec.Token), kindToken, id)); err != nil {
		return err
	}
	return tx.Bucket(bTokens).Delete([]byte(id))
}

func (s *Store) getToken(ctx context.Context, index []byte, key, what string) (store.Token, error) {
	var out store.Token
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		id := key
		if index != nil {
			var err error
			if id, err = getByIndex(tx, index, []byte(key), what); err != nil {
				return err
			}
		}
		rec, err := getTokenRec(tx, id)
		out = rec.Token
		return err
	})
	return out, err
}

// GetToken implements store.OIDCStore.
func (s *Store) GetToken(ctx context.Context, id string) (store.Token, error) {
	return s.getToken(ctx, nil, id, "")
}

// GetTokenByAccessToken implements store.OIDCStore.
func (s *Store) GetTokenByAccessToken(ctx context.Context, v string) (store.Token, error) {
	return s.getToken(ctx, bTokenAccess, store.SecretKey(v), "access token")
}

// GetTokenByRefreshToken implements store.OIDCStore.
func (s *Store) GetTokenByRefreshToken(ctx context.Context, v string) (store.Token, error) {
	return s.getToken(ctx, bTokenRefresh, store.SecretKey(v), "refresh token")
}

// matchingTokens returns the IDs of the tokens q selects, using the most
// selective index available.
func matchingTokens(tx *bbolt.Tx, q store.TokenQuery) ([]tokenRecord, error) {
	var ids []string
	switch {
	case q.RequestID != "" && q.Active:
		scanPrefix(tx.Bucket(bTokenRequest), q.RequestID, func(id string, v []byte) error {
			if !bytes.Equal(v, revokedMark) {
				ids = append(ids, id)
			}
			return nil
		})
	case q.RequestID != "":
		b := tx.Bucket(bTokenRequest)
		ids = seconds(b, q.RequestID)
		scanKeys(b.Cursor(), revokedPair(q.RequestID, ""), func(id string, _ []byte) error {
			ids = append(ids, id)
			return nil
		})
	case q.ClientID != "":
		ids = seconds(tx.Bucket(bTokenClient), q.ClientID)
	case q.Subject != "":
		ids = seconds(tx.Bucket(bTokenSubject), q.Subject)
	default:
		tx.Bucket(bTokens).ForEach(func(k, _ []byte) error { ids = append(ids, string(k)); return nil })
	}
	var out []tokenRecord
	for _, id := range ids {
		rec, err := getTokenRec(tx, id)
		if err != nil {
			return nil, err
		}
		t := &rec.Token
		if (q.ClientID != "" && t.ClientID != q.ClientID) || (q.Subject != "" && t.Subject != q.Subject) ||
			(q.RequestID != "" && t.RequestID != q.RequestID) ||
			(q.Active && (t.Revoked() || !q.ActiveAt.Before(tokenEnd(t)))) {
			continue
		}
		out = append(out, rec)
	}
	slices.SortFunc(out, func(a, b tokenRecord) int {
		return cmp.Or(b.IssueDate.Compare(a.IssueDate), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// ListTokens implements store.OIDCStore.
func (s *Store) ListTokens(ctx context.Context, q store.TokenQuery) ([]store.Token, error) {
	var out []store.Token
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		recs, err := matchingTokens(tx, q)
		for _, r := range recs {
			out = append(out, r.Token)
			if q.Limit > 0 && len(out) >= q.Limit {
				break
			}
		}
		return err
	})
	return out, err
}

// UpdateToken implements store.OIDCStore. The ID, values, client, subject
// and request ID cannot change. The write may share its commit with
// others (group.go): fn may be called more than once, and must only
// change the token it is given.
func (s *Store) UpdateToken(ctx context.Context, id string, fn func(*store.Token) error) (store.Token, error) {
	var out store.Token
	err := s.groupUpdate(ctx, func(tx *bbolt.Tx) error {
		rec, err := getTokenRec(tx, id)
		if err != nil {
			return err
		}
		old := rec.Token
		t := old.Clone()
		if err := fn(&t); err != nil {
			return err
		}
		t.ID, t.AccessToken, t.RefreshToken = old.ID, "", ""
		t.ClientID, t.Subject, t.RequestID = old.ClientID, old.Subject, old.RequestID
		if err := moveExpiry(tx, kindToken, id, tokenEnd(&old), tokenEnd(&t)); err != nil {
			return err
		}
		if err := markRevocation(tx, &old, &t); err != nil {
			return err
		}
		rec.Token = t
		out = t
		return putJSON(tx, bTokens, id, rec)
	})
	return out, err
}

// RevokeTokens implements store.OIDCStore.
func (s *Store) RevokeTokens(ctx context.Context, q store.TokenQuery, at time.Time) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		n = 0
		recs, err := matchingTokens(tx, q)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if rec.Revoked() {
				continue
			}
			old := rec.Token
			rec.RevocationDate = at.UTC()
			if err := markRevocation(tx, &old, &rec.Token); err != nil {
				return err
			}
			if err := putJSON(tx, bTokens, rec.ID, rec); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// DeleteToken implements store.OIDCStore.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bTokens).Get([]byte(id)) == nil {
			return fmt.Errorf("bolt: token %q: %w", id, store.ErrNotFound)
		}
		return deleteToken(tx, id)
	})
}
