package schemas

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/ldif"
	"github.com/canaille-go/canaille/store/password"
)

// UserImport is a user read from an entry by UserFromEntry.
type UserImport struct {
	// User holds the model fields. ID is the entry's entryUUID (lower-cased)
	// or "" when absent or not a UUID; Groups is empty (memberOf is never
	// imported: memberships come from the groups' member values).
	User store.User
	// Photo is the first jpegPhoto value, or nil. User.HasPhoto reports it.
	Photo []byte
	// Cleartext is a userPassword value without a hash scheme (or with the
	// {CLEARTEXT} scheme, removed here), as OpenLDAP stores passwords when
	// no hash is configured: the caller hashes it. User.PasswordHash is
	// then empty.
	Cleartext string
	// Warnings describe values that were left out or chosen among several,
	// such as "several userPassword values: kept the first". They never
	// quote a userPassword value.
	Warnings []string
}

// lockedForever is the pwdAccountLockedTime value with which OpenLDAP's
// ppolicy marks an account locked by an administrator until unlocked.
const lockedForever = "000001010000Z"

// UserFromEntry maps a user entry (see Classify) to the store's model,
// following UserAttributes; attributes are found by any of their names,
// aliases or OID, and other attributes are ignored.
//
// Single-valued model fields take the first value of their attribute (with
// a warning when there are several); emails and phone numbers take every
// value. postalAddress is decoded (DecodePostalAddress), labeledURI gives
// the URI before its label, pwdEndTime and pwdAccountLockedTime give the
// lock date (the earlier of both; the pwdAccountLockedTime "000001010000Z"
// of a permanent lock gives time.Unix(0, 0)).
//
// userPassword: the first value is kept (a warning tells when there are
// several). A hashed value must have a scheme that password.Scheme accepts
// and goes to User.PasswordHash verbatim; a value without a scheme goes to
// Cleartext.
//
// It returns an *AttributeError naming the attribute, and never quoting a
// password, when the entry cannot make a user: no uid, several uid values,
// a uidNumber or gidNumber that is not a 32-bit number, an unparsable
// timestamp, or a userPassword hash password.Scheme rejects (the error then
// wraps password.ErrUnsupportedScheme or password.ErrMalformedHash). The
// user is not validated (see store.User.Validate).
func UserFromEntry(e *ldif.Entry) (UserImport, error) {
	r := newReader(e, UserAttributes)
	var imp UserImport
	u := &imp.User

	uids := r.all("uid")
	switch {
	case len(uids) == 0:
		return UserImport{}, &AttributeError{Attribute: "uid", Reason: "missing: a user needs a user name"}
	case len(uids) > 1:
		return UserImport{}, &AttributeError{Attribute: "uid", Reason: "several values: a user has one user name"}
	}
	u.UserName = uids[0]
	u.ID = r.id()
	u.FormattedName = r.one("cn")
	u.FamilyName = r.one("sn")
	u.GivenName = r.one("givenName")
	u.DisplayName = r.one("displayName")
	u.Emails = r.all("mail")
	u.PhoneNumbers = r.all("telephoneNumber")
	u.FormattedAddress = DecodePostalAddress(r.one("postalAddress"))
	u.Street = r.one("street")
	u.PostalCode = r.one("postalCode")
	u.Locality = r.one("l")
	u.Region = r.one("st")
	u.ProfileURL = labeledURI(r.one("labeledURI"))
	u.Title = r.one("title")
	u.Organization = r.one("o")
	u.Department = r.one("departmentNumber")
	u.EmployeeNumber = r.one("employeeNumber")
	u.PreferredLanguage = r.one("preferredLanguage")
	if p := r.one("jpegPhoto"); p != "" {
		imp.Photo = []byte(p)
		u.HasPhoto = true
	}
	u.HomeDirectory = r.one("homeDirectory")
	u.LoginShell = r.one("loginShell")

	var err error
	if u.UIDNumber, err = r.number("uidNumber"); err != nil {
		return UserImport{}, err
	}
	if u.GIDNumber, err = r.number("gidNumber"); err != nil {
		return UserImport{}, err
	}
	for _, t := range []struct {
		attr string
		dst  *time.Time
	}{{"createTimestamp", &u.Created}, {"modifyTimestamp", &u.LastModified},
		{"pwdChangedTime", &u.PasswordLastUpdate}, {"pwdEndTime", &u.LockDate}} {
		if *t.dst, err = r.time(t.attr); err != nil {
			return UserImport{}, err
		}
	}
	if err := r.lockedTime(u); err != nil {
		return UserImport{}, err
	}
	for _, v := range r.all("pwdFailureTime") {
		t, err := ParseTime(strings.TrimSpace(v))
		if err != nil {
			return UserImport{}, &AttributeError{Attribute: "pwdFailureTime", Reason: "unparsable timestamp", Err: err}
		}
		u.PasswordFailureTimestamps = append(u.PasswordFailureTimestamps, t)
	}
	if err := r.password(&imp); err != nil {
		return UserImport{}, err
	}
	imp.Warnings = r.warnings
	return imp, nil
}

// lockedTime merges pwdAccountLockedTime into the lock date: the earlier
// of it and pwdEndTime.
func (r *reader) lockedTime(u *store.User) error {
	v := strings.TrimSpace(r.one("pwdAccountLockedTime"))
	if v == "" {
		return nil
	}
	t := time.Unix(0, 0).UTC()
	if v != lockedForever {
		var err error
		if t, err = ParseTime(v); err != nil {
			return &AttributeError{Attribute: "pwdAccountLockedTime", Reason: "unparsable timestamp", Err: err}
		}
	}
	if u.LockDate.IsZero() || t.Before(u.LockDate) {
		u.LockDate = t
	}
	return nil
}

// password reads userPassword. Neither errors nor warnings quote it.
func (r *reader) password(imp *UserImport) error {
	vs := r.vals["userPassword"]
	if len(vs) == 0 {
		return nil
	}
	if len(vs) > 1 {
		r.warnf("several userPassword values: kept the first")
	}
	v := string(vs[0])
	if v == "" {
		r.warnf("empty userPassword: the user has no password")
		return nil
	}
	if !password.IsHashed(v) {
		if len(v) >= len("{CLEARTEXT}") && strings.EqualFold(v[:len("{CLEARTEXT}")], "{CLEARTEXT}") {
			v = v[len("{CLEARTEXT}"):]
		}
		imp.Cleartext = v
		return nil
	}
	if _, err := password.Scheme(v); err != nil {
		if errors.Is(err, password.ErrUnsupportedScheme) && !knownScheme(v) {
			// password.Scheme names the scheme, but an unknown "scheme" may
			// be the start of a cleartext password such as "{secret}…".
			return &AttributeError{Attribute: "userPassword",
				Reason: "unusable hash: the {SCHEME} prefix is not a known password scheme",
				Err:    password.ErrUnsupportedScheme}
		}
		return &AttributeError{Attribute: "userPassword", Reason: "unusable hash", Err: err}
	}
	imp.User.PasswordHash = v
	return nil
}

// knownSchemes are the userPassword schemes found in real directories, in
// upper case; errors may name them.
var knownSchemes = []string{"ARGON2", "BCRYPT", "CLEARTEXT", "CRYPT", "KERBEROS", "MD5", "NS-MTA-MD5",
	"PBKDF2", "PBKDF2-SHA1", "PBKDF2-SHA256", "PBKDF2-SHA512", "PKCS5S2", "SASL", "SCRYPT", "SHA", "SHA256",
	"SHA384", "SHA512", "SMD5", "SSHA", "SSHA256", "SSHA384", "SSHA512", "TOTP1", "TOTP256", "TOTP512", "UNIX"}

// knownScheme reports whether v starts with the {SCHEME} prefix of a known
// scheme, or has no such prefix (a bare bcrypt or argon2 string).
func knownScheme(v string) bool {
	if !strings.HasPrefix(v, "{") {
		return true
	}
	name, _, ok := strings.Cut(v[1:], "}")
	return ok && slices.Contains(knownSchemes, strings.ToUpper(name))
}

// UserToEntry builds the entry of a user, under o.UsersBase, with the
// attributes of UserAttributes in that order after objectClass. Empty model
// fields give no attribute; duplicate emails and phone numbers (as LDAP
// matching rules compare them) are written once.
//
// objectClass is top, person, organizationalPerson and inetOrgPerson, plus
// posixAccount and shadowAccount when the user has a uid number. person
// requires cn and sn: cn is formatted_name, else the display name, else the
// given and family names, else user_name; sn is family_name, else
// user_name. posixAccount requires gidNumber and homeDirectory: they are
// written even when zero, and an empty home directory is written as
// /home/<user_name>. The store's users always have them.
//
// photo, when not empty, is written as jpegPhoto; userPassword only with
// o.WithPassword; operational, password-policy and memberOf attributes as
// Options say. The entry's values are the caller's.
func UserToEntry(u *store.User, photo []byte, o Options) *ldif.Entry {
	b := builder{attrs: make([]ldif.Attribute, 0, 32), want: o.Want}
	posix := u.UIDNumber != 0
	if posix {
		b.add("objectClass", "top", "person", "organizationalPerson", "inetOrgPerson", "posixAccount", "shadowAccount")
	} else {
		b.add("objectClass", "top", "person", "organizationalPerson", "inetOrgPerson")
	}
	b.add("uid", u.UserName)
	if b.wants("cn") {
		b.add("cn", commonName(u))
	}
	b.add("sn", firstOf(u.FamilyName, u.UserName))
	b.add("givenName", u.GivenName)
	b.add("displayName", u.DisplayName)
	if b.wants("mail") {
		b.add("mail", distinct(u.Emails, foldKey)...)
	}
	if b.wants("telephoneNumber") {
		b.add("telephoneNumber", distinct(u.PhoneNumbers, phoneKey)...)
	}
	if b.wants("postalAddress") {
		b.add("postalAddress", EncodePostalAddress(u.FormattedAddress))
	}
	b.add("street", u.Street)
	b.add("postalCode", u.PostalCode)
	b.add("l", u.Locality)
	b.add("st", u.Region)
	b.add("labeledURI", u.ProfileURL)
	b.add("title", u.Title)
	b.add("o", u.Organization)
	b.add("departmentNumber", u.Department)
	b.add("employeeNumber", u.EmployeeNumber)
	b.add("preferredLanguage", u.PreferredLanguage)
	if len(photo) > 0 && b.wants("jpegPhoto") {
		b.attrs = append(b.attrs, ldif.Attribute{Name: "jpegPhoto", Values: [][]byte{bytes.Clone(photo)}})
	}
	if posix {
		b.addNumber("uidNumber", u.UIDNumber)
		b.addNumber("gidNumber", u.GIDNumber)
		b.add("homeDirectory", firstOf(u.HomeDirectory, "/home/"+u.UserName))
		b.add("loginShell", u.LoginShell)
	}
	if o.WithPassword {
		b.add("userPassword", u.PasswordHash)
	}
	if o.MemberOf && b.wants("memberOf") {
		var dns []string
		for _, g := range u.Groups {
			if g.Name != "" {
				dns = append(dns, GroupDN(g.Name, o.GroupsBase))
			}
		}
		b.add("memberOf", distinct(dns, dnKey)...)
	}
	if o.Operational {
		if b.wants("entryUUID") {
			b.add("entryUUID", EntryUUID(u.ID))
		}
		if b.wants("createTimestamp") {
			b.add("createTimestamp", FormatTime(u.Created))
		}
		if b.wants("modifyTimestamp") {
			b.add("modifyTimestamp", FormatTime(u.LastModified))
		}
	}
	if o.PasswordPolicy {
		if b.wants("pwdChangedTime") {
			b.add("pwdChangedTime", FormatTime(u.PasswordLastUpdate))
		}
		if b.wants("pwdEndTime") {
			b.add("pwdEndTime", FormatTime(u.LockDate))
		}
		var fails []string
		for _, t := range u.PasswordFailureTimestamps {
			fails = append(fails, formatTimeMicro(t))
		}
		b.add("pwdFailureTime", distinct(fails, func(s string) string { return s })...)
	}
	return &ldif.Entry{DN: UserDN(u.UserName, o.UsersBase), Attributes: b.attrs}
}

// commonName is the cn written for u.
func commonName(u *store.User) string {
	given := strings.TrimSpace(u.GivenName + " " + u.FamilyName)
	return firstOf(u.FormattedName, u.DisplayName, given, u.UserName)
}

// firstOf returns the first non-empty string.
func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
