package store

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// User is a person or a service account. Field names follow SCIM as Python
// Canaille does (CANAILLE.md section 5); the JSON names are the model names
// used on the command line and in the ACL sections.
//
// Groups is derived: backends fill it from the membership of groups (see
// Group.Members) and ignore it on writes. PasswordHash is never serialised
// to JSON by this type: it is for backends and for imports only.
type User struct {
	ID           string    `json:"id"`
	Created      time.Time `json:"created,omitzero"`
	LastModified time.Time `json:"last_modified,omitzero"`

	UserName         string   `json:"user_name"`
	FormattedName    string   `json:"formatted_name,omitempty"` // cn
	DisplayName      string   `json:"display_name,omitempty"`
	GivenName        string   `json:"given_name,omitempty"`
	FamilyName       string   `json:"family_name,omitempty"` // sn
	Emails           []string `json:"emails,omitempty"`      // the first one is the preferred address
	PhoneNumbers     []string `json:"phone_numbers,omitempty"`
	FormattedAddress string   `json:"formatted_address,omitempty"`
	Street           string   `json:"street,omitempty"`
	PostalCode       string   `json:"postal_code,omitempty"`
	Locality         string   `json:"locality,omitempty"`
	Region           string   `json:"region,omitempty"`
	ProfileURL       string   `json:"profile_url,omitempty"`
	Title            string   `json:"title,omitempty"`
	Organization     string   `json:"organization,omitempty"`
	EmployeeNumber   string   `json:"employee_number,omitempty"`
	Department       string   `json:"department,omitempty"`
	// PreferredLanguage is a BCP 47 tag such as "fr" or "pt-BR".
	PreferredLanguage string `json:"preferred_language,omitempty"`
	// HasPhoto reports whether a photo is stored; the bytes are read with
	// Directory.UserPhoto so that listings stay small. Ignored on writes.
	HasPhoto bool `json:"has_photo,omitempty"`

	// POSIX account data for legacy LDAP clients (nslcd, sssd). Zero
	// numbers are allocated by the backend from its configured range on
	// creation; empty HomeDirectory and LoginShell get configured defaults.
	UIDNumber     uint32 `json:"uid_number,omitempty"`
	GIDNumber     uint32 `json:"gid_number,omitempty"`
	HomeDirectory string `json:"home_directory,omitempty"`
	LoginShell    string `json:"login_shell,omitempty"`

	// Groups are the groups the user is a member of, sorted by name
	// (derived from Group.Members; ignored on writes).
	Groups []Ref `json:"groups,omitempty"`

	// Password metadata.
	PasswordHash                string      `json:"-"` // userPassword syntax, e.g. {ARGON2}$argon2id$…
	PasswordLastUpdate          time.Time   `json:"password_last_update,omitzero"`
	PasswordFailureTimestamps   []time.Time `json:"password_failure_timestamps,omitempty"`
	LockDate                    time.Time   `json:"lock_date,omitzero"` // locked from this instant on; zero = never
	LastOTPLogin                time.Time   `json:"last_otp_login,omitzero"`
	SecretToken                 string      `json:"-"` // OTP secret
	HOTPCounter                 uint64      `json:"hotp_counter,omitempty"`
	OneTimePassword             string      `json:"-"` // digest of an emailed/SMS code
	OneTimePasswordEmissionDate time.Time   `json:"one_time_password_emission_date,omitzero"`
}

// Locked reports whether the account is locked at instant now.
func (u *User) Locked(now time.Time) bool {
	return !u.LockDate.IsZero() && !now.Before(u.LockDate)
}

// HasPassword reports whether a password hash is stored.
func (u *User) HasPassword() bool { return u.PasswordHash != "" }

// PreferredEmail is the first email, or "".
func (u *User) PreferredEmail() string {
	if len(u.Emails) == 0 {
		return ""
	}
	return u.Emails[0]
}

// Name is the best human-readable name: display name, formatted name, given
// and family names, or the user name.
func (u *User) Name() string {
	switch {
	case u.DisplayName != "":
		return u.DisplayName
	case u.FormattedName != "":
		return u.FormattedName
	case u.GivenName != "" || u.FamilyName != "":
		return strings.TrimSpace(u.GivenName + " " + u.FamilyName)
	}
	return u.UserName
}

// Clone returns a deep copy, so that callers may change slices freely.
func (u User) Clone() User {
	u.Emails = slices.Clone(u.Emails)
	u.PhoneNumbers = slices.Clone(u.PhoneNumbers)
	u.Groups = slices.Clone(u.Groups)
	u.PasswordFailureTimestamps = slices.Clone(u.PasswordFailureTimestamps)
	return u
}

// Normalize trims surrounding white space of every text field, drops empty
// list values and duplicate emails (case-insensitively). Backends call it
// before Validate on every write.
func (u *User) Normalize() {
	for _, p := range u.textFields() {
		*p = strings.TrimSpace(*p)
	}
	u.Emails = compact(u.Emails, true)
	u.PhoneNumbers = compact(u.PhoneNumbers, false)
}

func (u *User) textFields() []*string {
	return []*string{&u.UserName, &u.FormattedName, &u.DisplayName, &u.GivenName,
		&u.FamilyName, &u.FormattedAddress, &u.Street, &u.PostalCode, &u.Locality,
		&u.Region, &u.ProfileURL, &u.Title, &u.Organization, &u.EmployeeNumber,
		&u.Department, &u.PreferredLanguage, &u.HomeDirectory, &u.LoginShell}
}

// compact trims values, drops empty ones and duplicates.
func compact(vs []string, fold bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range vs {
		v = strings.TrimSpace(v)
		k := v
		if fold {
			k = strings.ToLower(v)
		}
		if v == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, v)
	}
	return out
}

// Validate reports every field whose value is not acceptable. It expects a
// normalised user (see Normalize).
func (u *User) Validate() error {
	var es ValidationErrors
	if err := ValidUserName(u.UserName); err != "" {
		es.add("user_name", err)
	}
	for i, e := range u.Emails {
		if r := validEmail(e); r != "" {
			es.add("emails["+strconv.Itoa(i)+"]", r)
		}
	}
	for i, p := range u.PhoneNumbers {
		if r := validPhone(p); r != "" {
			es.add("phone_numbers["+strconv.Itoa(i)+"]", r)
		}
	}
	if u.ProfileURL != "" {
		if r := validHTTPURL(u.ProfileURL); r != "" {
			es.add("profile_url", r)
		}
	}
	if u.PreferredLanguage != "" && !validLanguageTag(u.PreferredLanguage) {
		es.add("preferred_language", "must be a language tag such as en, fr or pt-BR")
	}
	if u.HomeDirectory != "" && !strings.HasPrefix(u.HomeDirectory, "/") {
		es.add("home_directory", "must be an absolute path")
	}
	if u.LoginShell != "" && !strings.HasPrefix(u.LoginShell, "/") {
		es.add("login_shell", "must be an absolute path")
	}
	for _, f := range []struct {
		name, v string
	}{{"formatted_name", u.FormattedName}, {"display_name", u.DisplayName},
		{"given_name", u.GivenName}, {"family_name", u.FamilyName},
		{"formatted_address", u.FormattedAddress}, {"street", u.Street},
		{"postal_code", u.PostalCode}, {"locality", u.Locality}, {"region", u.Region},
		{"title", u.Title}, {"organization", u.Organization},
		{"employee_number", u.EmployeeNumber}, {"department", u.Department},
		{"home_directory", u.HomeDirectory}, {"login_shell", u.LoginShell}} {
		if r := validText(f.v, f.name == "formatted_address"); r != "" {
			es.add(f.name, r)
		}
	}
	return es.err()
}
