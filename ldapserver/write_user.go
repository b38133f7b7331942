package ldapserver

import (
	"context"
	"errors"
	"strings"

	"github.com/jimlambrt/gldap"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/store/password"
)

// Writes of user entries. Adding, deleting and renaming users needs the
// manage_users permission; so does modifying another user's entry, while
// users may modify the attributes of their own entry that their WRITE
// list allows. userPassword takes a cleartext password, checked against
// the password policy and hashed by the store, or (with manage_users only,
// since it escapes the policy) a hash of a scheme the store verifies.

// addUser creates the user entry dn.
func (d *directory) addUser(ctx context.Context, who identity, t target, dn string, attrs []gldap.Attribute) *writeError {
	if !who.rights.Can(acl.ManageUsers) {
		return failf(resultInsufficientAccessRights, "adding users needs the manage_users permission")
	}
	w, werr := userRules.newEntry(dn, t.name, attrs)
	if werr != nil {
		return werr
	}
	imp, err := schemas.UserFromEntry(w.entry())
	if err != nil {
		return attributeError(err)
	}
	u := imp.User
	if _, err := d.store.GetUserByName(ctx, u.UserName); err == nil {
		return failf(resultEntryAlreadyExists, "the user %s already exists", u.UserName)
	} else if !errors.Is(err, store.ErrNotFound) {
		return storeWriteError(schemas.UserAttributes, err)
	}
	if werr := validateUser(u); werr != nil {
		return werr
	}
	if imp.Cleartext != "" {
		if werr := d.checkPolicy(imp.Cleartext, &u); werr != nil {
			return werr
		}
	}
	created, err := d.writer.CreateUser(ctx, u)
	if err != nil {
		return storeWriteError(schemas.UserAttributes, err)
	}
	// The photo and the cleartext password are separate writes: undo the
	// creation if one fails, so that the add stays all or nothing.
	undo := func(err error) *writeError {
		d.writer.DeleteUser(ctx, created.ID)
		return storeWriteError(schemas.UserAttributes, err)
	}
	if imp.Photo != nil {
		if err := d.writer.SetUserPhoto(ctx, created.ID, imp.Photo); err != nil {
			return undo(err)
		}
	}
	if imp.Cleartext != "" {
		if err := d.writer.SetPassword(ctx, created.ID, imp.Cleartext); err != nil {
			return undo(err)
		}
	}
	return nil
}

// validateUser checks u as the store will.
func validateUser(u store.User) *writeError {
	u = u.Clone()
	return validateModel(schemas.UserAttributes, func() error { u.Normalize(); return u.Validate() })
}

// checkPolicy checks a new cleartext password (constraintViolation).
func (d *directory) checkPolicy(pw string, u *store.User) *writeError {
	if err := d.cfg.PasswordPolicy.Check(pw, u); err != nil {
		var ve *store.ValidationError
		if errors.As(err, &ve) {
			return failf(resultConstraintViolation, "userPassword: %s", ve.Reason)
		}
		return failf(resultConstraintViolation, "userPassword: refused by the password policy")
	}
	return nil
}

// targetUser reads the user a modify, delete or rename names. allowed says
// whether the requester may change it; a user the requester may neither
// see nor change is reported missing.
func (d *directory) targetUser(ctx context.Context, who identity, t target, allowed func(*store.User) bool, deny string) (store.User, *writeError) {
	a := d.access(who)
	u, err := d.store.GetUserByName(ctx, t.name)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && !a.canSeeUser(u.ID) && !allowed(&u)):
		return store.User{}, &writeError{code: resultNoSuchObject, matched: d.matchedFor(a, t), diag: "no such user"}
	case err != nil:
		return store.User{}, storeWriteError(schemas.UserAttributes, err)
	case !allowed(&u):
		return store.User{}, failf(resultInsufficientAccessRights, "%s", deny)
	}
	return u, nil
}

// manageUsers allows holders of manage_users.
func manageUsers(who identity) func(*store.User) bool {
	return func(*store.User) bool { return who.rights.Can(acl.ManageUsers) }
}

// userFields copies the model field of an LDAP attribute (lower-case
// canonical name) from one user to another; userPassword and jpegPhoto
// are written separately.
var userFields = map[string]func(dst, src *store.User){
	"uid":                  func(d, s *store.User) { d.UserName = s.UserName },
	"cn":                   func(d, s *store.User) { d.FormattedName = s.FormattedName },
	"sn":                   func(d, s *store.User) { d.FamilyName = s.FamilyName },
	"givenname":            func(d, s *store.User) { d.GivenName = s.GivenName },
	"displayname":          func(d, s *store.User) { d.DisplayName = s.DisplayName },
	"mail":                 func(d, s *store.User) { d.Emails = s.Emails },
	"telephonenumber":      func(d, s *store.User) { d.PhoneNumbers = s.PhoneNumbers },
	"postaladdress":        func(d, s *store.User) { d.FormattedAddress = s.FormattedAddress },
	"street":               func(d, s *store.User) { d.Street = s.Street },
	"postalcode":           func(d, s *store.User) { d.PostalCode = s.PostalCode },
	"l":                    func(d, s *store.User) { d.Locality = s.Locality },
	"st":                   func(d, s *store.User) { d.Region = s.Region },
	"labeleduri":           func(d, s *store.User) { d.ProfileURL = s.ProfileURL },
	"title":                func(d, s *store.User) { d.Title = s.Title },
	"o":                    func(d, s *store.User) { d.Organization = s.Organization },
	"departmentnumber":     func(d, s *store.User) { d.Department = s.Department },
	"employeenumber":       func(d, s *store.User) { d.EmployeeNumber = s.EmployeeNumber },
	"preferredlanguage":    func(d, s *store.User) { d.PreferredLanguage = s.PreferredLanguage },
	"uidnumber":            func(d, s *store.User) { d.UIDNumber = s.UIDNumber },
	"gidnumber":            func(d, s *store.User) { d.GIDNumber = s.GIDNumber },
	"homedirectory":        func(d, s *store.User) { d.HomeDirectory = s.HomeDirectory },
	"loginshell":           func(d, s *store.User) { d.LoginShell = s.LoginShell },
	"pwdendtime":           func(d, s *store.User) { d.LockDate = s.LockDate },
	"pwdaccountlockedtime": func(d, s *store.User) { d.LockDate = s.LockDate },
}

// modifyUser applies a ModifyRequest to a user entry.
func (d *directory) modifyUser(ctx context.Context, who identity, t target, changes []change) *writeError {
	manager := who.rights.Can(acl.ManageUsers)
	u, werr := d.targetUser(ctx, who, t, func(u *store.User) bool { return manager || u.ID == who.userID },
		"modifying another user's entry needs the manage_users permission")
	if werr != nil {
		return werr
	}
	withPhoto := false
	for _, c := range changes {
		at, werr := userRules.attribute(c.attr)
		if werr != nil {
			return werr
		}
		if m, ok := userRules.table.Lookup(at.Name()); !manager && (!ok || !who.rights.CanWrite(m.Model)) {
			return failf(resultInsufficientAccessRights, "your permissions do not let you change %s", at.Name())
		}
		withPhoto = withPhoto || strings.EqualFold(at.Name(), "jpegPhoto")
	}
	w, werr := userRules.modifyEntry(d.userEntry(ctx, &u, withPhoto), changes)
	if werr != nil {
		return werr
	}
	for _, lk := range []string{"uidnumber", "gidnumber"} {
		if w.changed(lk) && len(w.values(lk)) == 0 {
			return failf(resultConstraintViolation, "%s cannot be removed: canaille gives every user one", w.attrs[lk].at.Name())
		}
	}
	imp, err := schemas.UserFromEntry(w.entry())
	if err != nil {
		return attributeError(err)
	}
	nu := u.Clone()
	var fields []func(dst, src *store.User)
	for _, lk := range w.touched() {
		if set := userFields[lk]; set != nil && w.changed(lk) {
			set(&nu, &imp.User)
			fields = append(fields, set)
		}
	}
	pw, werr := d.passwordChange(w, imp, &nu, manager)
	if werr != nil {
		return werr
	}
	if werr := validateUser(nu); werr != nil {
		return werr
	}
	return d.writeUser(ctx, u, w, imp, fields, pw)
}

// passwordUpdate is what a modify does to the password.
type passwordUpdate struct {
	hash      *string // a hash to store as is ("" removes the password)
	cleartext string  // a password to set with SetPassword
}

// passwordChange decides what a changed userPassword does, checking the
// new value first.
func (d *directory) passwordChange(w *workEntry, imp schemas.UserImport, nu *store.User, manager bool) (passwordUpdate, *writeError) {
	var pw passwordUpdate
	if !w.changed("userpassword") {
		return pw, nil
	}
	vals := w.values("userpassword")
	switch {
	case len(vals) == 0:
		pw.hash = new(string)
	case password.IsHashed(string(vals[0])):
		if !manager {
			return pw, failf(resultInsufficientAccessRights, "only holders of manage_users may set a hashed password, which escapes the password policy")
		}
		pw.hash = &imp.User.PasswordHash
	default:
		if werr := d.checkPolicy(imp.Cleartext, nu); werr != nil {
			return pw, werr
		}
		pw.cleartext = imp.Cleartext
	}
	return pw, nil
}

// writeUser writes the checked changes of a modify: the photo first (the
// one write the store may refuse for its size), then the fields, undoing
// the photo if they are refused, then a cleartext password.
func (d *directory) writeUser(ctx context.Context, u store.User, w *workEntry, imp schemas.UserImport, fields []func(dst, src *store.User), pw passwordUpdate) *writeError {
	photo := w.changed("jpegphoto")
	if photo {
		if err := d.writer.SetUserPhoto(ctx, u.ID, imp.Photo); err != nil {
			return storeWriteError(schemas.UserAttributes, err)
		}
	}
	if len(fields) > 0 || pw.hash != nil {
		_, err := d.writer.UpdateUser(ctx, u.ID, func(x *store.User) error {
			for _, set := range fields {
				set(x, &imp.User)
			}
			if pw.hash != nil {
				x.PasswordHash = *pw.hash
			}
			return nil
		})
		if err != nil {
			if photo {
				var old []byte
				if before := w.before["jpegphoto"]; len(before) > 0 {
					old = before[0]
				}
				d.writer.SetUserPhoto(ctx, u.ID, old)
			}
			return storeWriteError(schemas.UserAttributes, err)
		}
	}
	if pw.cleartext != "" {
		if err := d.writer.SetPassword(ctx, u.ID, pw.cleartext); err != nil {
			return storeWriteError(schemas.UserAttributes, err)
		}
	}
	return nil
}

// removeUser deletes a user entry.
func (d *directory) removeUser(ctx context.Context, who identity, t target) *writeError {
	u, werr := d.targetUser(ctx, who, t, manageUsers(who), "deleting users needs the manage_users permission")
	if werr != nil {
		return werr
	}
	if err := d.writer.DeleteUser(ctx, u.ID); err != nil {
		return storeWriteError(schemas.UserAttributes, err)
	}
	return nil
}

// renameUser gives a user a new user name.
func (d *directory) renameUser(ctx context.Context, who identity, t target, name string) *writeError {
	u, werr := d.targetUser(ctx, who, t, manageUsers(who), "renaming users needs the manage_users permission")
	if werr != nil {
		return werr
	}
	if name == u.UserName {
		return nil
	}
	if r := store.ValidUserName(name); r != "" {
		return failf(resultInvalidAttributeSyntax, "uid: %s", r)
	}
	if other, err := d.store.GetUserByName(ctx, name); err == nil && other.ID != u.ID {
		return failf(resultEntryAlreadyExists, "the user %s already exists", other.UserName)
	}
	_, err := d.writer.UpdateUser(ctx, u.ID, func(x *store.User) error {
		x.UserName = name
		return nil
	})
	if errors.Is(err, store.ErrExists) {
		return failf(resultEntryAlreadyExists, "the user %s already exists", name)
	}
	if err != nil {
		return storeWriteError(schemas.UserAttributes, err)
	}
	return nil
}
