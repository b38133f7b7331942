package ldapserver

// Writes: add, modify, delete and modify DN (RFC 4511 sections 4.6 to
// 4.9) of the two kinds of entries canaille stores, users
// (uid=NAME,ou=users,ROOT) and groups (cn=NAME,ou=groups,ROOT). The entry
// a client writes is checked against the schema registry, converted to
// the store's model with package schemas, and written with the store's
// DirectoryWriter. This file holds what users and groups share:
// resolving the target, the schema checks and the RFC 4511 semantics of
// modifications on attribute values; write_user.go and write_group.go
// hold the rest.
//
// Result codes where the RFCs leave room:
//   - An entry the requester may neither see nor change is reported as
//     noSuchObject, as slapd does for entries without disclose access; a
//     visible entry the requester may not change gives
//     insufficientAccessRights. Adds check the permission first, so a
//     refused add reveals nothing; an allowed one may report
//     entryAlreadyExists for a group the requester cannot read.
//   - An add under the root, the users or the groups unit that is not a
//     user or a group gives unwillingToPerform; one under a missing parent
//     gives noSuchObject with the matchedDN of the closest existing entry.
//   - Attributes canaille has no model field for (gecos, seeAlso, …) give
//     unwillingToPerform rather than being dropped; attributes the object
//     classes do not allow give objectClassViolation; object classes
//     canaille does not serve give unwillingToPerform, since they would
//     not survive. The object classes of an existing entry are computed
//     from its data and cannot be changed (unwillingToPerform).
//   - MUST attributes are not enforced beyond the naming attribute: the
//     server supplies cn, sn, uidNumber, gidNumber and homeDirectory, and
//     groups may be empty.
//   - Values the store refuses (an email, a phone number, a number, a
//     time) give invalidAttributeSyntax; several values for a field the
//     model holds once, a removed uidNumber or gidNumber, a password the
//     policy refuses and members that are not users give
//     constraintViolation; a duplicate of another entry's unique value
//     (email, uid number) gives constraintViolation, as slapd's unique
//     overlay does, while a duplicate name gives entryAlreadyExists.
//   - An add whose naming attribute does not hold the RDN value gives
//     namingViolation (as slapd); a modify changing it gives
//     notAllowedOnRDN.
//   - Modify increment (RFC 4525) applies to integer attributes only;
//     others give invalidAttributeSyntax.
//   - pwdEndTime and pwdAccountLockedTime (the lock date, whose ppolicy
//     definitions allow user modification) may be written by holders of
//     manage_users and by whoever may write lock_date; the other
//     operational attributes give constraintViolation.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-ldap/ldap/v3"
	"github.com/jimlambrt/gldap"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
)

// writeError is a refused or failed write: a result code, the matchedDN of
// a noSuchObject, and a message a person can act on (never quoting a
// password).
type writeError struct {
	code    int
	matched string
	diag    string
}

func (e *writeError) Error() string { return e.diag }

func failf(code int, format string, args ...any) *writeError {
	return &writeError{code: code, diag: fmt.Sprintf(format, args...)}
}

// outcome gives the handlers' results of a write.
func outcome(err *writeError) (int, string, string) {
	if err == nil {
		return resultSuccess, "", ""
	}
	return err.code, err.matched, err.diag
}

// writeOp is the kind of write, for the messages about fixed entries.
type writeOp int

const (
	opAdd writeOp = iota
	opModify
	opDelete
	opRename
)

// add answers an AddRequest (RFC 4511 4.7).
func (d *directory) add(ctx context.Context, who identity, dn string, attrs []gldap.Attribute) (int, string, string) {
	t, werr := d.writeTarget(who, dn, opAdd)
	switch {
	case werr != nil:
		return outcome(werr)
	case t.kind == tUser:
		return outcome(d.addUser(ctx, who, t, dn, attrs))
	}
	return outcome(d.addGroup(ctx, who, t, dn, attrs))
}

// modify answers a ModifyRequest (RFC 4511 4.6): every change is checked
// and applied to a copy of the entry before anything is written.
func (d *directory) modify(ctx context.Context, who identity, dn string, changes []change) (int, string, string) {
	t, werr := d.writeTarget(who, dn, opModify)
	switch {
	case werr != nil:
		return outcome(werr)
	case t.kind == tUser:
		return outcome(d.modifyUser(ctx, who, t, changes))
	}
	return outcome(d.modifyGroup(ctx, who, t, changes))
}

// remove answers a DelRequest (RFC 4511 4.8).
func (d *directory) remove(ctx context.Context, who identity, dn string) (int, string, string) {
	t, werr := d.writeTarget(who, dn, opDelete)
	switch {
	case werr != nil:
		return outcome(werr)
	case t.kind == tUser:
		return outcome(d.removeUser(ctx, who, t))
	}
	return outcome(d.removeGroup(ctx, who, t))
}

// rename answers a ModifyDNRequest (RFC 4511 4.9): a user or a group gets
// a new name in its organizational unit. deleteOld makes no difference:
// uid and cn hold a single value in canaille's model, so the old RDN value
// never remains.
func (d *directory) rename(ctx context.Context, who identity, dn, newRDN string, deleteOld bool, newSuperior string) (int, string, string) {
	t, werr := d.writeTarget(who, dn, opRename)
	if werr != nil {
		return outcome(werr)
	}
	name, werr := d.newName(t, newRDN, newSuperior)
	switch {
	case werr != nil:
		return outcome(werr)
	case t.kind == tUser:
		return outcome(d.renameUser(ctx, who, t, name))
	}
	return outcome(d.renameGroup(ctx, who, t, name))
}

// writeTarget resolves the DN of a write to a user or a group, or says why
// it cannot be written.
func (d *directory) writeTarget(who identity, dn string, op writeOp) (target, *writeError) {
	t, err := d.resolve(dn)
	if err != nil {
		return t, failf(resultInvalidDNSyntax, "invalid DN %q", dn)
	}
	if d.writer == nil {
		return t, failf(resultUnwillingToPerform, "the directory is read-only")
	}
	var what string
	switch t.kind {
	case tUser, tGroup:
		return t, nil
	case tRootDSE:
		what = "the root DSE"
	case tSubschema:
		what = "the subschema entry"
	case tRoot:
		what = d.root
	case tUsers:
		what = d.users
	case tGroups:
		what = d.groups
	default:
		if op == opAdd && t.matched != "" && d.parentExists(dn) {
			return t, failf(resultUnwillingToPerform, "canaille stores only users, as uid=NAME,%s, and groups, as cn=NAME,%s", d.users, d.groups)
		}
		return t, &writeError{code: resultNoSuchObject, matched: d.matchedFor(d.access(who), t), diag: "no such entry"}
	}
	switch {
	case op == opAdd:
		return t, failf(resultEntryAlreadyExists, "%s already exists", what)
	case op == opDelete && t.kind != tRootDSE && t.kind != tSubschema:
		return t, failf(resultNotAllowedOnNonLeaf, "%s holds entries and cannot be deleted", what)
	}
	return t, failf(resultUnwillingToPerform, "%s is maintained by canaille and cannot be changed", what)
}

// parentExists reports whether the parent of dn is the root or one of the
// two organizational units.
func (d *directory) parentExists(dn string) bool {
	parsed, err := ldap.ParseDN(dn)
	if err != nil || len(parsed.RDNs) < 2 {
		return false
	}
	parent, _ := schemas.NormalizeDN((&ldap.DN{RDNs: parsed.RDNs[1:]}).String())
	return parent == d.rootN || parent == d.usersN || parent == d.groupsN
}

// newName checks the new RDN and superior of a modify DN request on t and
// returns the new user or group name.
func (d *directory) newName(t target, newRDN, newSuperior string) (string, *writeError) {
	rules, parent := userRules, d.users
	if t.kind == tGroup {
		rules, parent = groupRules, d.groups
	}
	parsed, err := ldap.ParseDN(newRDN)
	if err != nil || len(parsed.RDNs) != 1 {
		return "", failf(resultInvalidDNSyntax, "invalid new RDN %q", newRDN)
	}
	avas := parsed.RDNs[0].Attributes
	if len(avas) != 1 || !strings.EqualFold(schemas.CanonicalAttribute(avas[0].Type), rules.rdn) {
		return "", failf(resultNamingViolation, "the RDN of a %s must be %s=NAME", rules.noun, rules.rdn)
	}
	if newSuperior != "" {
		norm, err := schemas.NormalizeDN(newSuperior)
		if err != nil {
			return "", failf(resultInvalidDNSyntax, "invalid new superior %q", newSuperior)
		}
		if want, _ := schemas.NormalizeDN(parent); norm != want {
			return "", failf(resultUnwillingToPerform, "moving entries is not supported: %ss stay under %s", rules.noun, parent)
		}
	}
	return avas[0].Value, nil
}

// storeWriteError maps the error of a store write: problems with values
// give invalidAttributeSyntax (constraintViolation for a photo that is too
// large), a duplicate of a unique value constraintViolation (the callers
// check duplicate names first), anything else what storeCode says.
func storeWriteError(table schemas.AttributeTable, err error) *writeError {
	var es store.ValidationErrors
	if errors.As(err, &es) {
		code := resultInvalidAttributeSyntax
		for _, e := range es {
			if e.Field == "photo" {
				code = resultConstraintViolation
			}
		}
		return &writeError{code: code, diag: validationMessage(table, es)}
	}
	if errors.Is(err, store.ErrExists) {
		return failf(resultConstraintViolation, "%s", clientMessage(err))
	}
	code, msg := storeCode(err)
	return &writeError{code: code, diag: msg}
}

// validationMessage names the LDAP attributes of the fields of es.
func validationMessage(table schemas.AttributeTable, es store.ValidationErrors) string {
	parts := make([]string, len(es))
	for i, e := range es {
		field, _, _ := strings.Cut(e.Field, "[")
		if names := table.ModelToLDAP(field); len(names) > 0 {
			field = names[0]
		}
		parts[i] = field + ": " + e.Reason
	}
	return strings.Join(parts, "; ")
}

// validateModel checks a model object as the store will (Normalize then
// Validate on a copy), so that a refused value is reported before anything
// is written.
func validateModel(table schemas.AttributeTable, validate func() error) *writeError {
	err := validate()
	var es store.ValidationErrors
	if errors.As(err, &es) {
		return &writeError{code: resultInvalidAttributeSyntax, diag: validationMessage(table, es)}
	}
	return nil
}

// attributeError maps an error of schemas.UserFromEntry or GroupFromEntry.
func attributeError(err error) *writeError {
	var ae *schemas.AttributeError
	if errors.As(err, &ae) {
		return failf(resultInvalidAttributeSyntax, "%s: %s", ae.Attribute, ae.Reason)
	}
	return failf(resultInvalidAttributeSyntax, "%v", err)
}
