package bolt

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/canaille-go/canaille/store"
)

// ---- consents

// GetConsent implements store.OIDCStore.
func (s *Store) GetConsent(ctx context.Context, subject, clientID string) (store.Consent, error) {
	var c store.Consent
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		id, err := getByIndex(tx, bConsentKey, pair(subject, clientID), "consent")
		if err != nil {
			return err
		}
		return getJSON(tx, bConsents, id, &c)
	})
	return c, err
}

// PutConsent implements store.OIDCStore.
func (s *Store) PutConsent(ctx context.Context, c store.Consent) (store.Consent, error) {
	c.Scope = slices.Clone(c.Scope)
	if err := cmp.Or(required("subject", c.Subject), required("client", c.ClientID)); err != nil {
		return store.Consent{}, fmt.Errorf("bolt: put consent: %w", err)
	}
	if c.IssueDate.IsZero() {
		c.IssueDate = s.now().UTC()
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bClients).Get([]byte(c.ClientID)) == nil {
			return fmt.Errorf("bolt: consent for client %q: %w", c.ClientID, store.ErrNotFound)
		}
		if tx.Bucket(bUsers).Get([]byte(c.Subject)) == nil {
			return fmt.Errorf("bolt: consent of user %q: %w", c.Subject, store.ErrNotFound)
		}
		key := pair(c.Subject, c.ClientID)
		if id := tx.Bucket(bConsentKey).Get(key); id != nil {
			c.ID = string(id)
		} else {
			if c.ID == "" {
				c.ID = store.NewID()
			}
			if err := tx.Bucket(bConsentKey).Put(key, []byte(c.ID)); err != nil {
				return err
			}
			if err := tx.Bucket(bConsentCli).Put(pair(c.ClientID, c.ID), nil); err != nil {
				return err
			}
		}
		return putJSON(tx, bConsents, c.ID, c)
	})
	return c, err
}

// ListConsents implements store.OIDCStore; empty arguments match all.
func (s *Store) ListConsents(ctx context.Context, subject, clientID string) ([]store.Consent, error) {
	var out []store.Consent
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var ids []string
		switch {
		case subject != "":
			scanPrefix(tx.Bucket(bConsentKey), subject, func(_ string, id []byte) error {
				ids = append(ids, string(id))
				return nil
			})
		case clientID != "":
			ids = seconds(tx.Bucket(bConsentCli), clientID)
		default:
			tx.Bucket(bConsents).ForEach(func(k, _ []byte) error { ids = append(ids, string(k)); return nil })
		}
		for _, id := range ids {
			var c store.Consent
			if err := getJSON(tx, bConsents, id, &c); err != nil {
				return err
			}
			if clientID == "" || c.ClientID == clientID {
				out = append(out, c)
			}
		}
		return nil
	})
	return out, err
}

// DeleteConsent implements store.OIDCStore.
func (s *Store) DeleteConsent(ctx context.Context, id string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bConsents).Get([]byte(id)) == nil {
			return fmt.Errorf("bolt: consent %q: %w", id, store.ErrNotFound)
		}
		return deleteConsent(tx, id)
	})
}

func deleteConsent(tx *bbolt.Tx, id string) error {
	var c store.Consent
	if err := getJSON(tx, bConsents, id, &c); err != nil {
		return nil
	}
	if err := tx.Bucket(bConsentKey).Delete(pair(c.Subject, c.ClientID)); err != nil {
		return err
	}
	if err := tx.Bucket(bConsentCli).Delete(pair(c.ClientID, id)); err != nil {
		return err
	}
	return tx.Bucket(bConsents).Delete([]byte(id))
}

// ---- sessions

type sessionRecord struct {
	store.Session
	TokenDigest string `json:"token_digest"`
}

// CreateSession implements store.OIDCStore.
func (s *Store) CreateSession(ctx context.Context, se store.Session) (store.Session, error) {
	se = se.Clone()
	if err := cmp.Or(required("token", se.Token), required("user_id", se.UserID), requiredTime("expires", se.Expires)); err != nil {
		return store.Session{}, fmt.Errorf("bolt: create session: %w", err)
	}
	if se.ID == "" {
		se.ID = store.NewID()
	}
	if se.Created.IsZero() {
		se.Created = s.now().UTC()
	}
	rec := sessionRecord{Session: se, TokenDigest: store.Digest(se.Token)}
	rec.Token, se.Token = "", ""
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bUsers).Get([]byte(se.UserID)) == nil {
			return fmt.Errorf("bolt: session of user %q: %w", se.UserID, store.ErrNotFound)
		}
		if tx.Bucket(bSessions).Get([]byte(se.ID)) != nil || tx.Bucket(bSessionToken).Get([]byte(rec.TokenDigest)) != nil {
			return fmt.Errorf("bolt: session: %w", store.ErrExists)
		}
		if err := tx.Bucket(bSessionToken).Put([]byte(rec.TokenDigest), []byte(se.ID)); err != nil {
			return err
		}
		if err := tx.Bucket(bSessionUser).Put(pair(se.UserID, se.ID), nil); err != nil {
			return err
		}
		if err := moveExpiry(tx, kindSession, se.ID, time.Time{}, se.Expires); err != nil {
			return err
		}
		return putJSON(tx, bSessions, se.ID, rec)
	})
	return se, err
}

// GetSessionByToken implements store.OIDCStore.
func (s *Store) GetSessionByToken(ctx context.Context, token string, now time.Time) (store.Session, error) {
	var rec sessionRecord
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		id, err := getByIndex(tx, bSessionToken, []byte(store.Digest(token)), "session")
		if err != nil {
			return err
		}
		return getJSON(tx, bSessions, id, &rec)
	})
	if err == nil && !now.Before(rec.Expires) {
		err = fmt.Errorf("bolt: session expired: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Session{}, err
	}
	return rec.Session, nil
}

// UpdateSession implements store.OIDCStore. The ID, cookie value and user
// cannot change.
func (s *Store) UpdateSession(ctx context.Context, id string, fn func(*store.Session) error) (store.Session, error) {
	var out store.Session
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		var rec sessionRecord
		if err := getJSON(tx, bSessions, id, &rec); err != nil {
			return err
		}
		old := rec.Session
		se := old.Clone()
		if err := fn(&se); err != nil {
			return err
		}
		se.ID, se.Token, se.UserID = old.ID, "", old.UserID
		if err := moveExpiry(tx, kindSession, id, old.Expires, se.Expires); err != nil {
			return err
		}
		rec.Session = se
		out = se
		return putJSON(tx, bSessions, id, rec)
	})
	return out, err
}

// ListSessions implements store.OIDCStore; sessions are sorted by creation.
func (s *Store) ListSessions(ctx context.Context, userID string) ([]store.Session, error) {
	var out []store.Session
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		for _, id := range seconds(tx.Bucket(bSessionUser), userID) {
			var rec sessionRecord
			if err := getJSON(tx, bSessions, id, &rec); err != nil {
				return err
			}
			out = append(out, rec.Session)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b store.Session) int { return a.Created.Compare(b.Created) })
	return out, err
}

// DeleteSession implements store.OIDCStore.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bSessions).Get([]byte(id)) == nil {
			return fmt.Errorf("bolt: session %q: %w", id, store.ErrNotFound)
		}
		return deleteSession(tx, id)
	})
}

// DeleteUserSessions implements store.OIDCStore.
func (s *Store) DeleteUserSessions(ctx context.Context, userID, exceptID string) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		n = 0
		for _, id := range seconds(tx.Bucket(bSessionUser), userID) {
			if id == exceptID {
				continue
			}
			if err := deleteSession(tx, id); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

func deleteSession(tx *bbolt.Tx, id string) error {
	var rec sessionRecord
	if err := getJSON(tx, bSessions, id, &rec); err != nil {
		return nil
	}
	for _, e := range []indexEntry{{b: bSessionToken, k: []byte(rec.TokenDigest)},
		{b: bSessionUser, k: pair(rec.UserID, id)}, {b: bExpiry, k: expiryKey(rec.Expires, kindSession, id)},
		{b: bSessions, k: []byte(id)}} {
		if err := tx.Bucket(e.b).Delete(e.k); err != nil {
			return err
		}
	}
	return nil
}

// ---- tickets

type ticketRecord struct {
	store.Ticket
	TokenDigest string `json:"token_digest"`
}

// CreateTicket implements store.OIDCStore.
func (s *Store) CreateTicket(ctx context.Context, t store.Ticket) (store.Ticket, error) {
	if err := cmp.Or(required("token", t.Token), required("kind", t.Kind), requiredTime("expires", t.Expires)); err != nil {
		return store.Ticket{}, fmt.Errorf("bolt: create ticket: %w", err)
	}
	if t.ID == "" {
		t.ID = store.NewID()
	}
	if t.Created.IsZero() {
		t.Created = s.now().UTC()
	}
	rec := ticketRecord{Ticket: t, TokenDigest: store.Digest(t.Token)}
	rec.Token, t.Token = "", ""
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		key := pair(t.Kind, rec.TokenDigest)
		if tx.Bucket(bTickets).Get([]byte(t.ID)) != nil || tx.Bucket(bTicketToken).Get(key) != nil {
			return fmt.Errorf("bolt: ticket: %w", store.ErrExists)
		}
		if err := tx.Bucket(bTicketToken).Put(key, []byte(t.ID)); err != nil {
			return err
		}
		if t.UserID != "" {
			if err := tx.Bucket(bTicketUser).Put(pair(t.UserID, t.ID), nil); err != nil {
				return err
			}
		}
		if err := moveExpiry(tx, kindTicket, t.ID, time.Time{}, t.Expires); err != nil {
			return err
		}
		return putJSON(tx, bTickets, t.ID, rec)
	})
	return t, err
}

// GetTicket implements store.OIDCStore.
func (s *Store) GetTicket(ctx context.Context, kind, token string, now time.Time) (store.Ticket, error) {
	var out store.Ticket
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) { out, err = usableTicket(tx, kind, token, now); return })
	return out, err
}

// ConsumeTicket implements store.OIDCStore.
func (s *Store) ConsumeTicket(ctx context.Context, kind, token string, now time.Time) (store.Ticket, error) {
	var out store.Ticket
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		t, err := usableTicket(tx, kind, token, now)
		if err != nil {
			return err
		}
		t.Used = now.UTC()
		out = t
		return putJSON(tx, bTickets, t.ID, ticketRecord{Ticket: t, TokenDigest: store.Digest(token)})
	})
	return out, err
}

func usableTicket(tx *bbolt.Tx, kind, token string, now time.Time) (store.Ticket, error) {
	id, err := getByIndex(tx, bTicketToken, pair(kind, store.Digest(token)), "ticket")
	if err != nil {
		return store.Ticket{}, err
	}
	var rec ticketRecord
	if err := getJSON(tx, bTickets, id, &rec); err != nil {
		return store.Ticket{}, err
	}
	if !rec.Used.IsZero() || !now.Before(rec.Expires) {
		return store.Ticket{}, fmt.Errorf("bolt: ticket used or expired: %w", store.ErrNotFound)
	}
	return rec.Ticket, nil
}

// DeleteTicket implements store.OIDCStore.
func (s *Store) DeleteTicket(ctx context.Context, id string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bTickets).Get([]byte(id)) == nil {
			return fmt.Errorf("bolt: ticket %q: %w", id, store.ErrNotFound)
		}
		return deleteTicket(tx, id)
	})
}

func deleteTicket(tx *bbolt.Tx, id string) error {
	var rec ticketRecord
	if err := getJSON(tx, bTickets, id, &rec); err != nil {
		return nil
	}
	for _, e := range []indexEntry{{b: bTicketToken, k: pair(rec.Kind, rec.TokenDigest)},
		{b: bTicketUser, k: pair(rec.UserID, id)}, {b: bExpiry, k: expiryKey(rec.Expires, kindTicket, id)},
		{b: bTickets, k: []byte(id)}} {
		if err := tx.Bucket(e.b).Delete(e.k); err != nil {
			return err
		}
	}
	return nil
}

// ---- JWT IDs

// MarkJTI implements store.OIDCStore.
func (s *Store) MarkJTI(ctx context.Context, jti string, exp time.Time) error {
	if jti == "" {
		return fmt.Errorf("bolt: mark jti: %w", store.ValidationErrors{{Field: "jti", Reason: "is required"}})
	}
	now := s.now()
	return s.groupUpdate(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bJTIs)
		var old time.Time
		if raw := b.Get([]byte(jti)); len(raw) == 8 {
			old = time.Unix(0, int64(binary.BigEndian.Uint64(raw)))
			if now.Before(old) {
				return fmt.Errorf("bolt: jti: %w", store.ErrExists)
			}
		}
		if err := moveExpiry(tx, kindJTI, jti, old, exp); err != nil {
			return err
		}
		return b.Put([]byte(jti), be64(uint64(max(exp.UnixNano(), 0))))
	})
}

// ---- signing keys

type keyRecord struct {
	store.SigningKey
	PrivateKeyPEM []byte `json:"private_key_pem,omitempty"`
}

// PutSigningKey implements store.OIDCStore.
func (s *Store) PutSigningKey(ctx context.Context, k store.SigningKey) error {
	if err := required("kid", k.ID); err != nil {
		return fmt.Errorf("bolt: put signing key: %w", err)
	}
	if k.Created.IsZero() {
		k.Created = s.now().UTC()
	}
	return s.update(ctx, func(tx *bbolt.Tx) error {
		return putJSON(tx, bKeys, k.ID, keyRecord{SigningKey: k, PrivateKeyPEM: k.PrivateKeyPEM})
	})
}

// ListSigningKeys implements store.OIDCStore; keys are sorted by creation.
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	var out []store.SigningKey
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bKeys).ForEach(func(k, _ []byte) error {
			var rec keyRecord
			if err := getJSON(tx, bKeys, string(k), &rec); err != nil {
				return err
			}
			key := rec.SigningKey
			key.PrivateKeyPEM = rec.PrivateKeyPEM
			out = append(out, key)
			return nil
		})
	})
	slices.SortFunc(out, func(a, b store.SigningKey) int { return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID)) })
	return out, err
}

// DeleteSigningKey implements store.OIDCStore.
func (s *Store) DeleteSigningKey(ctx context.Context, kid string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bKeys).Get([]byte(kid)) == nil {
			return fmt.Errorf("bolt: signing key %q: %w", kid, store.ErrNotFound)
		}
		return tx.Bucket(bKeys).Delete([]byte(kid))
	})
}

// ---- cascades and expiry

// deleteUserState removes what hangs on a user besides memberships.
func deleteUserState(tx *bbolt.Tx, userID string) error {
	for _, id := range seconds(tx.Bucket(bSessionUser), userID) {
		if err := deleteSession(tx, id); err != nil {
			return err
		}
	}
	for _, id := range seconds(tx.Bucket(bTicketUser), userID) {
		if err := deleteTicket(tx, id); err != nil {
			return err
		}
	}
	var consents []string
	scanPrefix(tx.Bucket(bConsentKey), userID, func(_ string, id []byte) error {
		consents = append(consents, string(id))
		return nil
	})
	for _, id := range consents {
		if err := deleteConsent(tx, id); err != nil {
			return err
		}
	}
	for _, id := range seconds(tx.Bucket(bTokenSubject), userID) {
		if err := deleteToken(tx, id); err != nil {
			return err
		}
	}
	for _, id := range seconds(tx.Bucket(bCodeSubject), userID) {
		if err := deleteCode(tx, id); err != nil {
			return err
		}
	}
	return nil
}

// cleanBatch and cleanSlice bound the objects deleted per transaction and
// the time spent deleting them, so that cleaning a million expired tokens
// does not hold the write lock for long: the server's other writes (the
// tokens it keeps issuing) pass between two transactions.
const (
	cleanBatch = 5000
	cleanSlice = 50 * time.Millisecond
)

// DeleteExpired implements store.OIDCStore.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (store.CleanReport, error) {
	var total store.CleanReport
	limit := be64(uint64(max(now.UnixNano(), 0)))
	for {
		var rep store.CleanReport
		done := false
		err := s.update(ctx, func(tx *bbolt.Tx) error {
			rep = store.CleanReport{}
			var keys [][]byte
			c := tx.Bucket(bExpiry).Cursor()
			for k, _ := c.First(); k != nil && len(k) > 9 && string(k[:8]) < string(limit); k, _ = c.Next() {
				keys = append(keys, slices.Clone(k))
				if len(keys) == cleanBatch {
					break
				}
			}
			done = len(keys) < cleanBatch
			start := time.Now()
			for i, k := range keys {
				if err := deleteExpiredKey(tx, k, &rep); err != nil {
					return err
				}
				if i%64 == 63 && time.Since(start) > cleanSlice {
					done = false
					break
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total.AuthorizationCodes += rep.AuthorizationCodes
		total.Tokens += rep.Tokens
		total.Sessions += rep.Sessions
		total.Tickets += rep.Tickets
		total.JTIs += rep.JTIs
		if done {
			return total, nil
		}
	}
}

func deleteExpiredKey(tx *bbolt.Tx, k []byte, rep *store.CleanReport) error {
	kind, id := k[8], string(k[9:])
	var err error
	switch kind {
	case kindCode:
		err, rep.AuthorizationCodes = deleteCode(tx, id), rep.AuthorizationCodes+1
	case kindToken:
		err, rep.Tokens = deleteToken(tx, id), rep.Tokens+1
	case kindSession:
		err, rep.Sessions = deleteSession(tx, id), rep.Sessions+1
	case kindTicket:
		err, rep.Tickets = deleteTicket(tx, id), rep.Tickets+1
	case kindJTI:
		err, rep.JTIs = tx.Bucket(bJTIs).Delete([]byte(id)), rep.JTIs+1
	}
	if err != nil {
		return err
	}
	// The deleters remove the expiry entry themselves; make sure of it for
	// entries whose record had vanished.
	return tx.Bucket(bExpiry).Delete(k)
}
