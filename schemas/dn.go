package schemas

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/store/ldif"
)

// UserDN returns the DN of the user named userName under usersBase, such as
// "uid=alice,ou=users,dc=example,dc=org". The name is escaped as RFC 4514
// requires (ldap.EscapeDN); non-ASCII characters are kept as they are. An
// empty usersBase gives the bare RDN.
func UserDN(userName, usersBase string) string {
	return join("uid="+ldap.EscapeDN(userName), usersBase)
}

// GroupDN returns the DN of the group named groupName under groupsBase, such
// as "cn=staff,ou=groups,dc=example,dc=org", escaped as UserDN does.
func GroupDN(groupName, groupsBase string) string {
	return join("cn="+ldap.EscapeDN(groupName), groupsBase)
}

func join(rdn, base string) string {
	if base == "" {
		return rdn
	}
	return rdn + "," + base
}

// Bases returns the DNs of the users' and the groups' organizational units
// under rootDN, as BaseEntries creates them: "ou=users,<rootDN>" and
// "ou=groups,<rootDN>".
func Bases(rootDN string) (usersBase, groupsBase string) {
	return join("ou=users", rootDN), join("ou=groups", rootDN)
}

// Kind is what an entry holds.
type Kind int

const (
	// Other is any entry that is neither a user nor a group: the base
	// entry, organizational units, OIDC objects, …
	Other Kind = iota
	// UserEntry is a person or an account.
	UserEntry
	// GroupEntry is a group of users.
	GroupEntry
)

// String returns "user", "group" or "other".
func (k Kind) String() string {
	switch k {
	case UserEntry:
		return "user"
	case GroupEntry:
		return "group"
	}
	return "other"
}

var (
	userClasses  = []string{"inetorgperson", "person", "organizationalperson", "posixaccount", "account", "shadowaccount"}
	groupClasses = []string{"groupofnames", "groupofuniquenames", "posixgroup", "groupofmembers"}
)

// Classify tells what an entry holds from its objectClass values, compared
// case-insensitively: a user for inetOrgPerson, person,
// organizationalPerson, posixAccount, account or shadowAccount; a group for
// groupOfNames, groupOfUniqueNames, posixGroup or groupOfMembers; otherwise
// Other (organizationalUnit, dcObject, organization, …). An entry with
// classes of both kinds is a user: some directories give users a
// posixGroup class for their user-private group.
func Classify(e *ldif.Entry) Kind {
	group := false
	for _, v := range e.Get("objectClass") {
		c := strings.ToLower(strings.TrimSpace(string(v)))
		if slices.Contains(userClasses, c) {
			return UserEntry
		}
		group = group || slices.Contains(groupClasses, c)
	}
	if group {
		return GroupEntry
	}
	return Other
}

// canonicalTypes maps the lower-cased aliases and OIDs of the attribute
// types found in the DNs of users, groups and their bases to their
// lower-cased primary names, so that NormalizeDN gives the same form for
// "uid=alice" and "userid=alice".
var canonicalTypes = map[string]string{
	"userid": "uid", "0.9.2342.19200300.100.1.1": "uid",
	"commonname": "cn", "2.5.4.3": "cn",
	"organizationalunitname": "ou", "2.5.4.11": "ou",
	"organizationname": "o", "2.5.4.10": "o",
	"domaincomponent": "dc", "0.9.2342.19200300.100.1.25": "dc",
	"countryname": "c", "2.5.4.6": "c",
	"localityname": "l", "2.5.4.7": "l",
}

// NormalizeDN returns a canonical form of a DN for comparisons: parsed with
// ldap.ParseDN, attribute types lower-cased (and the aliases of uid, cn, ou,
// o, dc, c and l replaced by those names), values lower-cased, the
// attribute-value pairs of a multi-valued RDN sorted, and the whole
// re-serialised with RFC 4514 escaping and no spaces around separators. It
// returns an error for a malformed DN. The empty DN gives "".
func NormalizeDN(dn string) (string, error) {
	parsed, err := ldap.ParseDN(dn)
	if err != nil {
		return "", fmt.Errorf("schemas: malformed DN %q: %w", dn, err)
	}
	rdns := make([]string, len(parsed.RDNs))
	for i, rdn := range parsed.RDNs {
		avas := make([]string, len(rdn.Attributes))
		for j, a := range rdn.Attributes {
			typ := strings.ToLower(strings.TrimSpace(a.Type))
			if c, ok := canonicalTypes[typ]; ok {
				typ = c
			}
			if typ == "" {
				return "", fmt.Errorf("schemas: malformed DN %q: empty attribute type", dn)
			}
			avas[j] = typ + "=" + ldap.EscapeDN(strings.ToLower(a.Value))
		}
		slices.Sort(avas)
		rdns[i] = strings.Join(avas, "+")
	}
	return strings.Join(rdns, ","), nil
}

// rdnValue returns the value of the attribute type typ (a primary name,
// compared case-insensitively) in the first RDN of dn, and whether there is
// one.
func rdnValue(dn, typ string) (string, bool) {
	parsed, err := ldap.ParseDN(dn)
	if err != nil || len(parsed.RDNs) == 0 {
		return "", false
	}
	for _, a := range parsed.RDNs[0].Attributes {
		t := strings.ToLower(strings.TrimSpace(a.Type))
		if c, ok := canonicalTypes[t]; ok {
			t = c
		}
		if t == strings.ToLower(typ) {
			return a.Value, true
		}
	}
	return "", false
}

// BaseEntries returns the entries an export (or the LDAP server) needs
// above users and groups: the base entry rootDN, then the organizational
// units ou=users and ou=groups below it (see Bases).
//
// The base entry's classes follow its first RDN: top, dcObject and
// organization with dc and o (o takes the dc value) for dc=…;
// top and organizationalUnit with ou for ou=…; top and organization with o
// for o=…. Any other first RDN, a multi-valued first RDN, an empty or a
// malformed rootDN gives an error.
func BaseEntries(rootDN string) ([]*ldif.Entry, error) {
	parsed, err := ldap.ParseDN(rootDN)
	if err != nil {
		return nil, fmt.Errorf("schemas: malformed root DN %q: %w", rootDN, err)
	}
	if len(parsed.RDNs) == 0 {
		return nil, errors.New("schemas: the root DN is empty")
	}
	first := parsed.RDNs[0].Attributes
	if len(first) != 1 {
		return nil, fmt.Errorf("schemas: root DN %q: a multi-valued first RDN is not supported", rootDN)
	}
	typ := strings.ToLower(strings.TrimSpace(first[0].Type))
	if c, ok := canonicalTypes[typ]; ok {
		typ = c
	}
	val := first[0].Value
	base := &ldif.Entry{DN: rootDN}
	switch typ {
	case "dc":
		base.Attributes = []ldif.Attribute{
			values("objectClass", "top", "dcObject", "organization"),
			values("dc", val), values("o", val)}
	case "ou":
		base.Attributes = []ldif.Attribute{
			values("objectClass", "top", "organizationalUnit"), values("ou", val)}
	case "o":
		base.Attributes = []ldif.Attribute{
			values("objectClass", "top", "organization"), values("o", val)}
	default:
		return nil, fmt.Errorf("schemas: root DN %q: the first RDN must be dc=…, ou=… or o=…, not %s=…", rootDN, first[0].Type)
	}
	users, groups := Bases(rootDN)
	return []*ldif.Entry{base, orgUnit(users, "users"), orgUnit(groups, "groups")}, nil
}

func orgUnit(dn, name string) *ldif.Entry {
	return &ldif.Entry{DN: dn, Attributes: []ldif.Attribute{
		values("objectClass", "top", "organizationalUnit"), values("ou", name)}}
}

// values builds an attribute from strings.
func values(name string, vs ...string) ldif.Attribute {
	a := ldif.Attribute{Name: name, Values: make([][]byte, len(vs))}
	for i, v := range vs {
		a.Values[i] = []byte(v)
	}
	return a
}
