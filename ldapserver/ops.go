package ldapserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// bind answers a BindRequest (RFC 4511 4.2, RFC 4513). Every failure is
// invalidCredentials (49) with the same message, whatever went wrong; the
// reason is logged.
func (s *Server) bind(ctx context.Context, se *session, id int64, frame []byte) ([]byte, int) {
	reply := func(code int, diag string) ([]byte, int) {
		return result(id, appBindResponse, code, "", diag), code
	}
	op, _, err := parseMessage(frame)
	var buf [3]element
	var parts []element
	if err == nil {
		parts, err = elements(op.content, buf[:0])
	}
	if err != nil || len(parts) < 3 {
		return reply(resultProtocolError, "malformed bind request")
	}
	if v := intOf(parts[0].content); v != 3 {
		return reply(resultProtocolError, "only LDAPv3 is supported")
	}
	// A bind, even a failed one, makes the connection anonymous first.
	se.setIdentity("", nil)
	name := string(parts[1].content)
	auth := parts[2]
	if auth.tag != 0x80 { // simple [0], primitive
		return reply(resultAuthMethodNotSupported, "only simple binds are supported")
	}
	password := string(auth.content)
	switch {
	case name == "" && password == "":
		return reply(resultSuccess, "")
	case password == "":
		// RFC 4513 5.1.2: an "unauthenticated bind" is refused.
		s.log.Info("LDAP bind refused", "conn", se.id, "reason", "DN without password")
		s.bindOutcome("failure")
		return reply(resultInvalidCredentials, "invalid credentials")
	case s.cfg.RequireTLSForBind && !se.tls.Load():
		return reply(resultConfidentialityRequired, "binds with a password need TLS (StartTLS or LDAPS)")
	}
	u, reason := s.authenticate(ctx, name, password)
	if reason != "" {
		s.log.Info("LDAP bind refused", "conn", se.id, "remote", se.remote, "bind_dn", name, "reason", reason)
		if strings.HasPrefix(reason, reasonLockout) || reason == reasonLocked {
			s.bindOutcome("locked")
		} else {
			s.bindOutcome("failure")
		}
		return reply(resultInvalidCredentials, "invalid credentials")
	}
	s.bindOutcome("success")
	se.setIdentity(s.dir.userDN(u.UserName), &u)
	return reply(resultSuccess, "")
}

// Reasons of a refused bind that are a lockout rather than a wrong
// password.
const (
	reasonLockout = "intruder lockout"
	reasonLocked  = "account locked"
)

// bindOutcome reports a bind with a password to Config.BindOutcome.
func (s *Server) bindOutcome(outcome string) {
	if s.cfg.BindOutcome != nil {
		s.cfg.BindOutcome(outcome)
	}
}

// authenticate checks a bind name and password; reason is "" on success,
// else what went wrong (for the log only).
func (s *Server) authenticate(ctx context.Context, name, password string) (store.User, string) {
	userName, ok := s.bindUserName(ctx, name)
	if !ok {
		// Spend the time of a password check: no user enumeration.
		s.dir.store.Authenticate(ctx, "\x00unknown", password)
		return store.User{}, "unknown bind name"
	}
	if u, ok := s.binds.lookup(ctx, s.dir.store, userName, password); ok {
		return u, ""
	}
	if s.cfg.Lockout != nil {
		if u, err := s.dir.store.GetUserByName(ctx, userName); err == nil {
			if wait := s.cfg.Lockout.Wait(u.PasswordFailureTimestamps, time.Now()); wait > 0 {
				return store.User{}, fmt.Sprintf("%s: %s to wait", reasonLockout, wait.Round(time.Second))
			}
		}
	}
	u, err := s.dir.store.Authenticate(ctx, userName, password)
	switch {
	case errors.Is(err, store.ErrLocked):
		return store.User{}, reasonLocked
	case err != nil:
		return store.User{}, "wrong password or no password"
	}
	s.binds.remember(userName, password, &u)
	return u, ""
}

// bindUserName turns a bind name (an entry DN, or when configured a bare
// user name or email) into a user name.
func (s *Server) bindUserName(ctx context.Context, name string) (string, bool) {
	if t, err := s.dir.resolve(name); err == nil && t.kind == tUser {
		return t.name, true
	}
	if strings.Contains(name, "=") {
		return "", false
	}
	attrs := s.cfg.BindLoginAttributes
	if slices.Contains(attrs, "emails") && strings.Contains(name, "@") {
		if u, err := s.dir.store.GetUserByEmail(ctx, name); err == nil {
			return u.UserName, true
		}
	}
	if slices.Contains(attrs, "user_name") && store.ValidUserName(name) == "" {
		return name, true
	}
	return "", false
}

// whoAmI answers RFC 4532.
func (s *Server) whoAmI(se *session, id int64) ([]byte, int) {
	who := se.identity(s.ctx)
	authz := ""
	if who.userID != "" {
		authz = "dn:" + who.dn
	}
	return extendedResult(id, resultSuccess, "", "", []byte(authz)), resultSuccess
}

// compare answers a CompareRequest (RFC 4511 4.10).
func (s *Server) compare(ctx context.Context, se *session, id int64, frame []byte) ([]byte, int) {
	reply := func(code int, matched, diag string) ([]byte, int) {
		return result(id, appCompareResponse, code, matched, diag), code
	}
	op, _, err := parseMessage(frame)
	var buf, avaBuf [2]element
	var parts, ava []element
	if err == nil {
		parts, err = elements(op.content, buf[:0])
	}
	if err == nil && len(parts) >= 2 {
		ava, err = elements(parts[1].content, avaBuf[:0])
	}
	if err != nil || len(parts) < 2 || len(ava) < 2 {
		return reply(resultProtocolError, "", "malformed compare request")
	}
	dn := string(parts[0].content)
	attr := string(ava[0].content)
	value := ava[1].content
	who := se.identity(ctx)
	e, code, matched := s.dir.readEntry(ctx, who, dn)
	if code != resultSuccess {
		return reply(code, matched, "")
	}
	if !knownAttribute(attr) {
		return reply(resultUndefinedAttributeType, "", "unknown attribute type "+attr)
	}
	if !e.Has(attr) && !hasAlias(e, attr) {
		return reply(resultNoSuchAttribute, "", "")
	}
	f, err := CompileFilter("(" + attr + "=" + ldap.EscapeFilter(string(value)) + ")")
	if err != nil {
		return reply(resultInappropriateMatching, "", err.Error())
	}
	if f.Match(e) {
		return reply(resultCompareTrue, "", "")
	}
	return reply(resultCompareFalse, "", "")
}

// passwordModify answers RFC 3062: users change their own password with
// the old one; holders of manage_users change anybody's; with no new
// password, one is generated and returned.
func (s *Server) passwordModify(ctx context.Context, se *session, id int64, value []byte) ([]byte, int) {
	reply := func(code int, diag string) ([]byte, int) {
		return extendedResult(id, code, diag, "", nil), code
	}
	who := se.identity(ctx)
	if who.userID == "" {
		return reply(resultInsufficientAccessRights, "bind first")
	}
	if s.dir.writer == nil {
		return reply(resultUnwillingToPerform, "the directory is read-only")
	}
	if s.cfg.RequireTLSForBind && !se.tls.Load() {
		return reply(resultConfidentialityRequired, "password changes need TLS")
	}
	var target, oldPw, newPw string
	var hasOld, hasNew bool
	if len(value) > 0 {
		p, err := ber.DecodePacketErr(value)
		if err != nil {
			return reply(resultProtocolError, "malformed password modify request")
		}
		for _, c := range p.Children {
			switch c.Tag {
			case 0:
				target = string(octets(c))
			case 1:
				oldPw, hasOld = string(octets(c)), true
			case 2:
				newPw, hasNew = string(octets(c)), true
			}
		}
	}
	u, err := s.dir.store.GetUser(ctx, who.userID)
	if err != nil {
		return reply(resultInsufficientAccessRights, "bind first")
	}
	self := target == ""
	if !self {
		name, ok := s.bindUserName(ctx, target)
		if !ok {
			if t, err := s.dir.resolve(target); err == nil && t.kind == tUser {
				name, ok = t.name, true
			}
		}
		if !ok {
			return reply(resultNoSuchObject, "no such user")
		}
		self = strings.EqualFold(name, u.UserName)
		if !self {
			if !who.rights.Can(acl.ManageUsers) {
				return reply(resultInsufficientAccessRights, "changing another user's password needs the manage_users permission")
			}
			if u, err = s.dir.store.GetUserByName(ctx, name); err != nil {
				return reply(resultNoSuchObject, "no such user")
			}
		}
	}
	if self {
		if !who.rights.CanWrite("password") {
			return reply(resultInsufficientAccessRights, "your permissions do not let you change your password")
		}
		if !hasOld {
			return reply(resultUnwillingToPerform, "the old password is required")
		}
		if _, reason := s.authenticate(ctx, s.dir.userDN(u.UserName), oldPw); reason != "" {
			return reply(resultInvalidCredentials, "the old password is not correct")
		}
	}
	generated := !hasNew
	if generated {
		newPw = generatePassword()
	}
	if err := s.cfg.PasswordPolicy.Check(newPw, &u); err != nil {
		return reply(resultConstraintViolation, err.Error())
	}
	if err := s.dir.writer.SetPassword(ctx, u.ID, newPw); err != nil {
		code, msg := storeCode(err)
		return reply(code, msg)
	}
	s.log.Info("LDAP password changed", "conn", se.id, "bind_dn", who.dn, "user", u.UserName, "generated", generated)
	if !generated {
		return extendedResult(id, resultSuccess, "", "", nil), resultSuccess
	}
	resp := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	resp.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, newPw, ""))
	return extendedResult(id, resultSuccess, "", "", resp.Bytes()), resultSuccess
}

// generatePassword returns a random password of 24 characters.
func generatePassword() string {
	return strings.ToLower(store.NewSecret()[:24])
}

// modifyDN answers a ModifyDNRequest (RFC 4511 4.9): renaming a user or a
// group within its organizational unit.
func (s *Server) modifyDN(ctx context.Context, se *session, id int64, frame []byte) ([]byte, int) {
	op, _, err := parseMessage(frame)
	var buf [4]element
	var parts []element
	if err == nil {
		parts, err = elements(op.content, buf[:0])
	}
	if err != nil || len(parts) < 3 {
		return result(id, appModifyDNResponse, resultProtocolError, "", "malformed modify DN request"), resultProtocolError
	}
	dn := string(parts[0].content)
	newRDN := string(parts[1].content)
	deleteOld := len(parts[2].content) > 0 && parts[2].content[0] != 0
	newSuperior := ""
	if len(parts) > 3 {
		newSuperior = string(parts[3].content)
	}
	code, matched, diag := s.dir.rename(ctx, se.identity(ctx), dn, newRDN, deleteOld, newSuperior)
	return result(id, appModifyDNResponse, code, matched, diag), code
}
