package schemas

import "strings"

// AttributeMap maps one LDAP attribute type to one field of the store's
// model.
type AttributeMap struct {
	// LDAP is the attribute's primary name, as entries are written with it
	// (for example "telephoneNumber").
	LDAP string
	// Model is the model field's name: the JSON name of the store type's
	// field, which the command line and the ACL sections use (for example
	// "phone_numbers"). The userPassword attribute maps to "password", as
	// in Python Canaille, since the hash is never serialised to JSON.
	Model string
	// Multi reports whether the model field holds several values.
	Multi bool
	// OID is the attribute type's numeric object identifier.
	OID string
	// Aliases are the other names of the attribute type in the standard
	// schemas (for example "surname" for sn). Entries are read with any of
	// them, and with the OID, but always written with LDAP.
	Aliases []string
	// Operational attributes are maintained by the directory server, not
	// by its clients; they are written only when Options ask for them.
	Operational bool
	// PasswordPolicy attributes belong to the schema of OpenLDAP's ppolicy
	// overlay; a server without that overlay rejects them.
	PasswordPolicy bool
	// ReadOnly attributes are computed from other data and never imported:
	// memberOf is read from the groups' member values.
	ReadOnly bool
	// ImportOnly attributes are read on import but never written, because
	// another attribute carries the same model field: pwdAccountLockedTime
	// (lock_date is written as pwdEndTime) and uniqueMember (members are
	// written as member).
	ImportOnly bool
}

// AttributeTable is a list of attribute maps, in the order entries are
// written.
type AttributeTable []AttributeMap

// UserAttributes maps the attributes of user entries, in the order
// UserToEntry writes them (objectClass, which has no model field, comes
// first in entries and is not listed). The names are those of Python
// Canaille's LDAP backend, so existing Canaille directories read as they
// are.
var UserAttributes = AttributeTable{
	{LDAP: "uid", Model: "user_name", OID: "0.9.2342.19200300.100.1.1", Aliases: []string{"userid"}},
	{LDAP: "cn", Model: "formatted_name", OID: "2.5.4.3", Aliases: []string{"commonName"}},
	{LDAP: "sn", Model: "family_name", OID: "2.5.4.4", Aliases: []string{"surname"}},
	{LDAP: "givenName", Model: "given_name", OID: "2.5.4.42", Aliases: []string{"gn"}},
	{LDAP: "displayName", Model: "display_name", OID: "2.16.840.1.113730.3.1.241"},
	{LDAP: "mail", Model: "emails", Multi: true, OID: "0.9.2342.19200300.100.1.3", Aliases: []string{"rfc822Mailbox"}},
	{LDAP: "telephoneNumber", Model: "phone_numbers", Multi: true, OID: "2.5.4.20"},
	{LDAP: "postalAddress", Model: "formatted_address", OID: "2.5.4.16"},
	{LDAP: "street", Model: "street", OID: "2.5.4.9", Aliases: []string{"streetAddress"}},
	{LDAP: "postalCode", Model: "postal_code", OID: "2.5.4.17"},
	{LDAP: "l", Model: "locality", OID: "2.5.4.7", Aliases: []string{"localityName"}},
	{LDAP: "st", Model: "region", OID: "2.5.4.8", Aliases: []string{"stateOrProvinceName"}},
	{LDAP: "labeledURI", Model: "profile_url", OID: "1.3.6.1.4.1.250.1.57"},
	{LDAP: "title", Model: "title", OID: "2.5.4.12"},
	{LDAP: "o", Model: "organization", OID: "2.5.4.10", Aliases: []string{"organizationName"}},
	{LDAP: "departmentNumber", Model: "department", OID: "2.16.840.1.113730.3.1.2"},
	{LDAP: "employeeNumber", Model: "employee_number", OID: "2.16.840.1.113730.3.1.3"},
	{LDAP: "preferredLanguage", Model: "preferred_language", OID: "2.16.840.1.113730.3.1.39"},
	{LDAP: "jpegPhoto", Model: "photo", OID: "0.9.2342.19200300.100.1.60"},
	{LDAP: "uidNumber", Model: "uid_number", OID: "1.3.6.1.1.1.1.0"},
	{LDAP: "gidNumber", Model: "gid_number", OID: "1.3.6.1.1.1.1.1"},
	{LDAP: "homeDirectory", Model: "home_directory", OID: "1.3.6.1.1.1.1.3"},
	{LDAP: "loginShell", Model: "login_shell", OID: "1.3.6.1.1.1.1.4"},
	{LDAP: "userPassword", Model: "password", OID: "2.5.4.35"},
	{LDAP: "memberOf", Model: "groups", Multi: true, OID: "1.2.840.113556.1.2.102", Operational: true, ReadOnly: true},
	{LDAP: "entryUUID", Model: "id", OID: "1.3.6.1.1.16.4", Operational: true},
	{LDAP: "createTimestamp", Model: "created", OID: "2.5.18.1", Operational: true},
	{LDAP: "modifyTimestamp", Model: "last_modified", OID: "2.5.18.2", Operational: true},
	{LDAP: "pwdChangedTime", Model: "password_last_update", OID: "1.3.6.1.4.1.42.2.27.8.1.16", Operational: true, PasswordPolicy: true},
	{LDAP: "pwdEndTime", Model: "lock_date", OID: "1.3.6.1.4.1.42.2.27.8.1.28", Operational: true, PasswordPolicy: true},
	{LDAP: "pwdFailureTime", Model: "password_failure_timestamps", Multi: true, OID: "1.3.6.1.4.1.42.2.27.8.1.19", Operational: true, PasswordPolicy: true},
	{LDAP: "pwdAccountLockedTime", Model: "lock_date", OID: "1.3.6.1.4.1.42.2.27.8.1.17", Operational: true, PasswordPolicy: true, ImportOnly: true},
}

// GroupAttributes maps the attributes of group entries, in the order
// GroupToEntry writes them. Members and owners are written as member and
// owner DNs, and members also as memberUid names (rfc2307bis form only);
// uniqueMember (groupOfUniqueNames) is read as members too.
var GroupAttributes = AttributeTable{
	{LDAP: "cn", Model: "display_name", OID: "2.5.4.3", Aliases: []string{"commonName"}},
	{LDAP: "description", Model: "description", OID: "2.5.4.13"},
	{LDAP: "gidNumber", Model: "gid_number", OID: "1.3.6.1.1.1.1.1"},
	{LDAP: "member", Model: "members", Multi: true, OID: "2.5.4.31"},
	{LDAP: "memberUid", Model: "members", Multi: true, OID: "1.3.6.1.1.1.1.12"},
	{LDAP: "uniqueMember", Model: "members", Multi: true, OID: "2.5.4.50", ImportOnly: true},
	{LDAP: "owner", Model: "owners", Multi: true, OID: "2.5.4.32"},
	{LDAP: "entryUUID", Model: "id", OID: "1.3.6.1.1.16.4", Operational: true},
	{LDAP: "createTimestamp", Model: "created", OID: "2.5.18.1", Operational: true},
	{LDAP: "modifyTimestamp", Model: "last_modified", OID: "2.5.18.2", Operational: true},
}

// Attributes returns the table of a kind of entry: UserAttributes,
// GroupAttributes, or nil for Other.
func Attributes(k Kind) AttributeTable {
	switch k {
	case UserEntry:
		return UserAttributes
	case GroupEntry:
		return GroupAttributes
	}
	return nil
}

// Lookup returns the map of the attribute named attr: its primary name, an
// alias or its OID, compared case-insensitively. Attribute options are not
// stripped: "cn;lang-fr" is not found. ok is false for an unknown attribute.
func (t AttributeTable) Lookup(attr string) (m AttributeMap, ok bool) {
	for _, m := range t {
		if m.matches(attr) {
			return m, true
		}
	}
	return AttributeMap{}, false
}

// LDAPToModel returns the model field an LDAP attribute maps to (by
// primary name, alias or OID, case-insensitively), or ok false when the
// attribute has no model field.
func (t AttributeTable) LDAPToModel(attr string) (model string, ok bool) {
	m, ok := t.Lookup(attr)
	return m.Model, ok
}

// ModelToLDAP returns the primary names of the LDAP attributes a model
// field (compared case-insensitively) maps to, those written first: for
// example ["pwdEndTime", "pwdAccountLockedTime"] for lock_date and ["member",
// "memberUid", "uniqueMember"] for members. It returns nil for an unknown
// field. The returned slice is the caller's.
func (t AttributeTable) ModelToLDAP(model string) []string {
	var written, read []string
	for _, m := range t {
		if !strings.EqualFold(m.Model, model) {
			continue
		}
		if m.ImportOnly {
			read = append(read, m.LDAP)
		} else {
			written = append(written, m.LDAP)
		}
	}
	return append(written, read...)
}

// matches reports whether name is the attribute's primary name, an alias or
// its OID.
func (m *AttributeMap) matches(name string) bool {
	if strings.EqualFold(name, m.LDAP) || name == m.OID {
		return true
	}
	for _, a := range m.Aliases {
		if strings.EqualFold(name, a) {
			return true
		}
	}
	return false
}
