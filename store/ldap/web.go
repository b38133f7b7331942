package ldap

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
)

// Consents are Python Canaille's oauthConsent entries (RDN cn, subject
// and client as DNs). The class requires at least one oauthScope value:
// a consent without scopes is refused with a validation error.
var consentKind = &kind[store.Consent]{
	name:    "consent",
	branch:  schemas.ConsentsBranch,
	rdn:     "cn",
	classes: []string{"oauthConsent"},
	id:      func(c *store.Consent) *string { return &c.ID },
	fields: []field[store.Consent]{
		fString("cn", func(c *store.Consent) *string { return &c.ID }),
		fUser("oauthSubject", func(c *store.Consent) *string { return &c.Subject }),
		fClient("oauthClient", func(c *store.Consent) *string { return &c.ClientID }),
		fList("oauthScope", func(c *store.Consent) *[]string { return &c.Scope }),
		fTime("oauthIssueDate", func(c *store.Consent) *time.Time { return &c.IssueDate }),
		fTime("oauthRevokationDate", func(c *store.Consent) *time.Time { return &c.RevocationDate }),
	},
}

// consentFilter selects the consents of a user and/or a client; ok is
// false when the user is unknown (no consent can match).
func (d *Directory) consentFilter(ctx context.Context, subject, clientID string) (string, bool, error) {
	var fs []string
	if subject != "" {
		dn, err := d.refs.userDN(ctx, d, subject)
		if errorsIsNotFound(err) {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		fs = append(fs, eq("oauthSubject", dn))
	}
	if clientID != "" {
		fs = append(fs, eq("oauthClient", d.clientDN(clientID)))
	}
	if len(fs) == 0 {
		return "", true, nil
	}
	return and(fs...), true, nil
}

// GetConsent implements store.OIDCStore.
func (d *Directory) GetConsent(ctx context.Context, subject, clientID string) (store.Consent, error) {
	if subject == "" || clientID == "" {
		return store.Consent{}, fmt.Errorf("ldap: consent: %w", store.ErrNotFound)
	}
	f, ok, err := d.consentFilter(ctx, subject, clientID)
	if err != nil {
		return store.Consent{}, err
	}
	if !ok {
		return store.Consent{}, fmt.Errorf("ldap: consent: %w", store.ErrNotFound)
	}
	_, c, err := consentKind.one(ctx, d, "", f)
	return c, err
}

// PutConsent implements store.OIDCStore.
func (d *Directory) PutConsent(ctx context.Context, c store.Consent) (store.Consent, error) {
	c.Scope = slices.Clone(c.Scope)
	if err := firstErr(req("subject", c.Subject), req("client", c.ClientID)); err != nil {
		return store.Consent{}, fmt.Errorf("ldap: put consent: %w", err)
	}
	if len(c.Scope) == 0 {
		return store.Consent{}, fmt.Errorf("ldap: put consent: %w",
			store.ValidationErrors{{Field: "scope", Reason: "is required (the oauthConsent class needs a scope)"}})
	}
	if c.IssueDate.IsZero() {
		c.IssueDate = time.Now().UTC()
	}
	if _, _, err := clientKind.byID(ctx, d, c.ClientID); err != nil {
		return store.Consent{}, err
	}
	f, ok, err := d.consentFilter(ctx, c.Subject, c.ClientID)
	if err != nil {
		return store.Consent{}, err
	}
	if !ok {
		return store.Consent{}, fmt.Errorf("ldap: consent of user %q: %w", c.Subject, store.ErrNotFound)
	}
	es, err := consentKind.find(ctx, d, f)
	if err != nil {
		return store.Consent{}, err
	}
	if len(es) > 0 {
		want := c
		return consentKind.update(ctx, d, "", f, func(_ *ldap.Entry, cur *store.Consent) error {
			id := cur.ID
			*cur = want
			cur.ID = id
			return nil
		})
	}
	if c.ID == "" {
		c.ID = store.NewID()
	}
	return c, consentKind.add(ctx, d, &c)
}

// ListConsents implements store.OIDCStore; empty arguments match all.
func (d *Directory) ListConsents(ctx context.Context, subject, clientID string) ([]store.Consent, error) {
	f, ok, err := d.consentFilter(ctx, subject, clientID)
	if err != nil || !ok {
		return nil, err
	}
	out, err := consentKind.list(ctx, d, f)
	slices.SortFunc(out, func(a, b store.Consent) int { return cmp.Or(a.IssueDate.Compare(b.IssueDate), cmp.Compare(a.ID, b.ID)) })
	return out, err
}

// DeleteConsent implements store.OIDCStore.
func (d *Directory) DeleteConsent(ctx context.Context, id string) error {
	e, _, err := consentKind.byID(ctx, d, id)
	if err != nil {
		return err
	}
	return d.del(ctx, fmt.Sprintf("consent %q", id), e.DN)
}

// ---- sessions

var sessionKind = &kind[store.Session]{
	name:    "session",
	branch:  schemas.SessionsBranch,
	rdn:     "canailleID",
	classes: []string{"canailleSession"},
	id:      func(s *store.Session) *string { return &s.ID },
	fields: []field[store.Session]{
		fString("canailleID", func(s *store.Session) *string { return &s.ID }),
		keepSecret(fSecret("canailleDigest", func(s *store.Session) *string { return &s.Token })),
		fUser("oauthSubject", func(s *store.Session) *string { return &s.UserID }),
		fTime("oauthIssueDate", func(s *store.Session) *time.Time { return &s.Created }),
		fTime("canailleLastActivityDate", func(s *store.Session) *time.Time { return &s.LastSeen }),
		fTime("canailleExpiryDate", func(s *store.Session) *time.Time { return &s.Expires }),
		fTime("oauthAuthTime", func(s *store.Session) *time.Time { return &s.AuthTime }),
		fList("oauthAMR", func(s *store.Session) *[]string { return &s.AMR }),
		fBool("canailleRemember", func(s *store.Session) *bool { return &s.Remember }),
		fString("canailleUserAgent", func(s *store.Session) *string { return &s.UserAgent }),
		fString("canailleRemoteAddress", func(s *store.Session) *string { return &s.RemoteAddr }),
		fUser("canailleImpersonator", func(s *store.Session) *string { return &s.ImpersonatorID }),
		fBytes("canailleData", func(s *store.Session) *[]byte { return &s.Data }),
	},
}

// CreateSession implements store.OIDCStore.
func (d *Directory) CreateSession(ctx context.Context, se store.Session) (store.Session, error) {
	se = se.Clone()
	if err := firstErr(req("token", se.Token), req("user_id", se.UserID), reqTime("expires", se.Expires)); err != nil {
		return store.Session{}, fmt.Errorf("ldap: create session: %w", err)
	}
	if se.Created.IsZero() {
		se.Created = time.Now().UTC()
	}
	if se.ID == "" {
		se.ID = derivedID("session", se.Token) // a repeated token fails the add
	} else if es, err := sessionKind.find(ctx, d, eq("canailleDigest", storedSecret(se.Token))); err != nil {
		return store.Session{}, err
	} else if len(es) > 0 {
		return store.Session{}, fmt.Errorf("ldap: session: %w", store.ErrExists)
	}
	if err := sessionKind.add(ctx, d, &se); err != nil {
		return store.Session{}, err
	}
	se.Token = ""
	return se, nil
}

// GetSessionByToken implements store.OIDCStore.
func (d *Directory) GetSessionByToken(ctx context.Context, token string, now time.Time) (store.Session, error) {
	if token == "" {
		return store.Session{}, fmt.Errorf("ldap: session: %w", store.ErrNotFound)
	}
	_, s, err := sessionKind.one(ctx, d, "", eq("canailleDigest", storedSecret(token)))
	if err == nil && !now.Before(s.Expires) {
		err = fmt.Errorf("ldap: session expired: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Session{}, err
	}
	return s, nil
}

// UpdateSession implements store.OIDCStore.
func (d *Directory) UpdateSession(ctx context.Context, id string, fn func(*store.Session) error) (store.Session, error) {
	return sessionKind.updateByID(ctx, d, id, func(_ *ldap.Entry, s *store.Session) error {
		old := s.Clone()
		if err := fn(s); err != nil {
			return err
		}
		s.ID, s.Token, s.UserID = old.ID, "", old.UserID
		return nil
	})
}

// ListSessions implements store.OIDCStore.
func (d *Directory) ListSessions(ctx context.Context, userID string) ([]store.Session, error) {
	dn, err := d.refs.userDN(ctx, d, userID)
	if errorsIsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out, err := sessionKind.list(ctx, d, eq("oauthSubject", dn))
	slices.SortFunc(out, func(a, b store.Session) int { return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID)) })
	return out, err
}

// DeleteSession implements store.OIDCStore.
func (d *Directory) DeleteSession(ctx context.Context, id string) error {
	return d.del(ctx, fmt.Sprintf("session %q", id), sessionKind.dn(d, id))
}

// DeleteUserSessions implements store.OIDCStore.
func (d *Directory) DeleteUserSessions(ctx context.Context, userID, exceptID string) (int, error) {
	ss, err := d.ListSessions(ctx, userID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range ss {
		if s.ID == exceptID {
			continue
		}
		err := d.DeleteSession(ctx, s.ID)
		if errorsIsNotFound(err) {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// ---- tickets

var ticketKind = &kind[store.Ticket]{
	name:    "ticket",
	branch:  schemas.TicketsBranch,
	rdn:     "canailleID",
	classes: []string{"canailleTicket"},
	id:      func(t *store.Ticket) *string { return &t.ID },
	fields: []field[store.Ticket]{
		fString("canailleID", func(t *store.Ticket) *string { return &t.ID }),
		fString("canailleTicketKind", func(t *store.Ticket) *string { return &t.Kind }),
		keepSecret(fSecret("canailleDigest", func(t *store.Ticket) *string { return &t.Token })),
		fUser("oauthSubject", func(t *store.Ticket) *string { return &t.UserID }),
		fString("mail", func(t *store.Ticket) *string { return &t.Email }),
		fParams("canailleParameter", func(t *store.Ticket) *map[string]string { return &t.Data }),
		fTime("oauthIssueDate", func(t *store.Ticket) *time.Time { return &t.Created }),
		fTime("canailleExpiryDate", func(t *store.Ticket) *time.Time { return &t.Expires }),
		fTime("canailleUsedDate", func(t *store.Ticket) *time.Time { return &t.Used }),
	},
}

// CreateTicket implements store.OIDCStore.
func (d *Directory) CreateTicket(ctx context.Context, t store.Ticket) (store.Ticket, error) {
	t.Data = cloneMap(t.Data)
	if err := firstErr(req("token", t.Token), req("kind", t.Kind), reqTime("expires", t.Expires)); err != nil {
		return store.Ticket{}, fmt.Errorf("ldap: create ticket: %w", err)
	}
	if t.Created.IsZero() {
		t.Created = time.Now().UTC()
	}
	if t.ID == "" {
		t.ID = derivedID("ticket\x00"+t.Kind, t.Token) // a repeated token fails the add
	} else if es, err := ticketKind.find(ctx, d, and(eq("canailleTicketKind", t.Kind), eq("canailleDigest", storedSecret(t.Token)))); err != nil {
		return store.Ticket{}, err
	} else if len(es) > 0 {
		return store.Ticket{}, fmt.Errorf("ldap: ticket: %w", store.ErrExists)
	}
	if err := ticketKind.add(ctx, d, &t); err != nil {
		return store.Ticket{}, err
	}
	t.Token = ""
	return t, nil
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (d *Directory) usableTicket(ctx context.Context, kind, token string, now time.Time) (*ldap.Entry, store.Ticket, error) {
	if token == "" || kind == "" {
		return nil, store.Ticket{}, fmt.Errorf("ldap: ticket: %w", store.ErrNotFound)
	}
	e, t, err := ticketKind.one(ctx, d, "", and(eq("canailleTicketKind", kind), eq("canailleDigest", storedSecret(token))))
	if err != nil {
		return nil, store.Ticket{}, err
	}
	if !t.Used.IsZero() || !now.Before(t.Expires) {
		return nil, store.Ticket{}, fmt.Errorf("ldap: ticket used or expired: %w", store.ErrNotFound)
	}
	return e, t, nil
}

// GetTicket implements store.OIDCStore.
func (d *Directory) GetTicket(ctx context.Context, kind, token string, now time.Time) (store.Ticket, error) {
	_, t, err := d.usableTicket(ctx, kind, token, now)
	return t, err
}

// ConsumeTicket implements store.OIDCStore: the used date is written with
// an assertion that there is none yet, so that of racing consumers one
// wins and the others get store.ErrNotFound.
func (d *Directory) ConsumeTicket(ctx context.Context, kind, token string, now time.Time) (store.Ticket, error) {
	e, t, err := d.usableTicket(ctx, kind, token, now)
	if err != nil {
		return store.Ticket{}, err
	}
	ctl, err := assertion("(!(canailleUsedDate=*))")
	if err != nil {
		return store.Ticket{}, err
	}
	t.Used = now.UTC()
	req := ldap.NewModifyRequest(e.DN, []ldap.Control{ctl})
	req.Replace("canailleUsedDate", []string{formatTime(t.Used)})
	err = d.writeAt(ctx, e.DN, func(c *ldap.Conn) error { return c.Modify(req) })
	if isCode(err, ldap.LDAPResultAssertionFailed, ldap.LDAPResultNoSuchObject) {
		return store.Ticket{}, fmt.Errorf("ldap: ticket used: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Ticket{}, fmt.Errorf("ldap: consume ticket: %w", err)
	}
	return t, nil
}

// DeleteTicket implements store.OIDCStore.
func (d *Directory) DeleteTicket(ctx context.Context, id string) error {
	return d.del(ctx, fmt.Sprintf("ticket %q", id), ticketKind.dn(d, id))
}

// ---- JWT IDs

// A JWT ID is a canailleJWTID entry whose canailleID is store.Digest(jti)
// (JWT IDs come from clients: the digest bounds the RDN's length and
// character set), so that adding it twice fails atomically.
func (d *Directory) jtiDN(jti string) string {
	return "canailleID=" + store.Digest(jti) + "," + schemas.JWTIDsBranch + "," + d.cfg.RootDN
}

// MarkJTI implements store.OIDCStore. An expired record is replaced under
// an assertion that it is still expired.
func (d *Directory) MarkJTI(ctx context.Context, jti string, exp time.Time) error {
	if jti == "" {
		return fmt.Errorf("ldap: mark jti: %w", errRequired("jti"))
	}
	dn := d.jtiDN(jti)
	add := ldap.NewAddRequest(dn, nil)
	add.Attribute("objectClass", []string{"canailleJWTID"})
	add.Attribute("canailleID", []string{store.Digest(jti)})
	add.Attribute("canailleExpiryDate", []string{formatTime(exp.UTC())})
	err := d.writeAt(ctx, dn, func(c *ldap.Conn) error { return c.Add(add) })
	if !isCode(err, ldap.LDAPResultEntryAlreadyExists) {
		if err != nil {
			return fmt.Errorf("ldap: mark jti: %w", err)
		}
		return nil
	}
	now := time.Now().UTC()
	ctl, err := assertion("(!(canailleExpiryDate>=" + formatTime(now) + "))")
	if err != nil {
		return err
	}
	mod := ldap.NewModifyRequest(dn, []ldap.Control{ctl})
	mod.Replace("canailleExpiryDate", []string{formatTime(exp.UTC())})
	err = d.writeAt(ctx, dn, func(c *ldap.Conn) error { return c.Modify(mod) })
	if isCode(err, ldap.LDAPResultAssertionFailed) {
		return fmt.Errorf("ldap: jti: %w", store.ErrExists)
	}
	if isCode(err, ldap.LDAPResultNoSuchObject) { // removed meanwhile: try once more
		return d.MarkJTI(ctx, jti, exp)
	}
	if err != nil {
		return fmt.Errorf("ldap: mark jti: %w", err)
	}
	return nil
}

// ---- signing keys

var keyKind = &kind[store.SigningKey]{
	name:    "signing key",
	branch:  schemas.KeysBranch,
	rdn:     "canailleID",
	classes: []string{"canailleSigningKey"},
	id:      func(k *store.SigningKey) *string { return &k.ID },
	fields: []field[store.SigningKey]{
		fString("canailleID", func(k *store.SigningKey) *string { return &k.ID }),
		fString("canailleAlgorithm", func(k *store.SigningKey) *string { return &k.Algorithm }),
		fBytes("canaillePrivateKey", func(k *store.SigningKey) *[]byte { return &k.PrivateKeyPEM }),
		fBytes("canaillePublicKey", func(k *store.SigningKey) *[]byte { return &k.PublicKeyPEM }),
		fTime("oauthIssueDate", func(k *store.SigningKey) *time.Time { return &k.Created }),
		fTime("canailleRetiredDate", func(k *store.SigningKey) *time.Time { return &k.Retired }),
	},
}

// PutSigningKey implements store.OIDCStore: it creates or replaces the key.
func (d *Directory) PutSigningKey(ctx context.Context, k store.SigningKey) error {
	if err := req("kid", k.ID); err != nil {
		return fmt.Errorf("ldap: put signing key: %w", err)
	}
	if k.Created.IsZero() {
		k.Created = time.Now().UTC()
	}
	for range maxUpdateTries {
		err := keyKind.add(ctx, d, &k)
		if !errorsIsExists(err) {
			return err
		}
		want := k
		_, err = keyKind.update(ctx, d, fmt.Sprintf("%q", k.ID), eq("canailleID", k.ID), func(_ *ldap.Entry, cur *store.SigningKey) error {
			*cur = want
			return nil
		})
		if !errorsIsNotFound(err) {
			return err
		}
	}
	return fmt.Errorf("ldap: signing key %q: %w", k.ID, store.ErrConflict)
}

// ListSigningKeys implements store.OIDCStore; keys are sorted by creation.
func (d *Directory) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	out, err := keyKind.list(ctx, d, "")
	slices.SortFunc(out, func(a, b store.SigningKey) int { return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID)) })
	return out, err
}

// DeleteSigningKey implements store.OIDCStore.
func (d *Directory) DeleteSigningKey(ctx context.Context, kid string) error {
	return d.del(ctx, fmt.Sprintf("signing key %q", kid), keyKind.dn(d, kid))
}

func reqTime(field string, t time.Time) error {
	if t.IsZero() {
		return errRequired(field)
	}
	return nil
}
