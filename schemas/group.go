package schemas

import (
	"regexp"
	"strings"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/ldif"
)

// GroupImport is a group read from an entry by GroupFromEntry, with the
// references to its members and owners still to resolve.
type GroupImport struct {
	// Group holds the model fields. Members and Owners are empty: the
	// caller resolves the references below to user IDs.
	Group store.Group
	// MemberDNs are the member and uniqueMember values, as written (with
	// the optional "#'…'B" UID suffix of uniqueMember removed), without
	// empty values and without the group's own DN, which GroupToEntry
	// writes as the only member of an empty group in NIS form.
	MemberDNs []string
	// MemberUIDs are the memberUid values: user names.
	MemberUIDs []string
	// OwnerDNs are the owner values.
	OwnerDNs []string
	// Warnings describe values that were left out or chosen among several.
	Warnings []string
}

// uniqueMemberUID matches the optional UID that ends a uniqueMember value
// (RFC 4517 NameAndOptionalUID: "#" and a BitString such as '0101'B).
var uniqueMemberUID = regexp.MustCompile(`#'[01]*'B$`)

// GroupFromEntry maps a group entry (see Classify) to the store's model,
// following GroupAttributes: display_name from cn (the RDN value when cn has
// several values and the RDN is one of them; otherwise the first value,
// with a warning), description, gid number, ID (entryUUID, as for users) and
// timestamps, and the raw references the caller resolves (see
// GroupImport).
//
// It returns an *AttributeError when the entry has no cn, a gidNumber that
// is not a 32-bit number or an unparsable timestamp.
func GroupFromEntry(e *ldif.Entry) (GroupImport, error) {
	r := newReader(e, GroupAttributes)
	var imp GroupImport
	g := &imp.Group

	cns := r.all("cn")
	switch {
	case len(cns) == 0:
		return GroupImport{}, &AttributeError{Attribute: "cn", Reason: "missing: a group needs a name"}
	case len(cns) == 1:
		g.DisplayName = cns[0]
	default:
		g.DisplayName = cns[0]
		rdn, ok := rdnValue(e.DN, "cn")
		found := false
		for _, cn := range cns {
			if ok && strings.EqualFold(strings.TrimSpace(cn), strings.TrimSpace(rdn)) {
				g.DisplayName, found = cn, true
				break
			}
		}
		if !found {
			r.warnf("several cn values and none is the RDN's: kept the first")
		}
	}
	g.ID = r.id()
	g.Description = r.one("description")
	var err error
	if g.GIDNumber, err = r.number("gidNumber"); err != nil {
		return GroupImport{}, err
	}
	for _, t := range []struct {
		attr string
		dst  *time.Time
	}{{"createTimestamp", &g.Created}, {"modifyTimestamp", &g.LastModified}} {
		if *t.dst, err = r.time(t.attr); err != nil {
			return GroupImport{}, err
		}
	}

	self := dnKey(e.DN)
	for _, dn := range r.all("member") {
		if dnKey(dn) != self {
			imp.MemberDNs = append(imp.MemberDNs, dn)
		}
	}
	for _, dn := range r.all("uniqueMember") {
		dn = uniqueMemberUID.ReplaceAllString(dn, "")
		if dn != "" && dnKey(dn) != self {
			imp.MemberDNs = append(imp.MemberDNs, dn)
		}
	}
	for _, name := range r.all("memberUid") {
		if name = strings.TrimSpace(name); name != "" {
			imp.MemberUIDs = append(imp.MemberUIDs, name)
		}
	}
	imp.OwnerDNs = r.all("owner")
	imp.Warnings = r.warnings
	return imp, nil
}

// GroupToEntry builds the entry of a group, under o.GroupsBase, with the
// attributes of GroupAttributes in that order after objectClass. Members
// and owners are written from the user names their Refs carry in Name
// (Refs without a name are left out), as user DNs under o.UsersBase.
//
// Without o.NIS (rfc2307bis form, the built-in LDAP server's): objectClass
// top, groupOfNames, and posixGroup with gidNumber and memberUid when the
// group has a gid number; an empty group has no member value.
//
// With o.NIS (stock OpenLDAP's nis schema, where posixGroup cannot be
// combined with groupOfNames): objectClass top and groupOfNames, no
// gidNumber or memberUid; an empty group gets its own DN as its only member,
// since groupOfNames requires one. slapadd accepts that value (a DN need
// not name an existing entry), and GroupFromEntry drops it again, so that an
// empty group stays empty through an export and an import.
func GroupToEntry(g *store.Group, o Options) *ldif.Entry {
	dn := GroupDN(g.DisplayName, o.GroupsBase)
	posix := !o.NIS && g.GIDNumber != 0
	var b builder
	if posix {
		b.add("objectClass", "top", "groupOfNames", "posixGroup")
	} else {
		b.add("objectClass", "top", "groupOfNames")
	}
	b.add("cn", g.DisplayName)
	b.add("description", g.Description)
	if posix {
		b.addNumber("gidNumber", g.GIDNumber)
	}
	members := refDNs(g.Members, o.UsersBase)
	if len(members) == 0 && o.NIS {
		members = []string{dn}
	}
	b.add("member", members...)
	if posix {
		b.add("memberUid", distinct(store.RefNames(g.Members), foldKey)...)
	}
	b.add("owner", refDNs(g.Owners, o.UsersBase)...)
	if o.Operational {
		b.add("entryUUID", EntryUUID(g.ID))
		b.add("createTimestamp", FormatTime(g.Created))
		b.add("modifyTimestamp", FormatTime(g.LastModified))
	}
	return &ldif.Entry{DN: dn, Attributes: b.attrs}
}

// refDNs returns the user DNs of the named refs, without duplicates.
func refDNs(refs []store.Ref, usersBase string) []string {
	var dns []string
	for _, r := range refs {
		if r.Name != "" {
			dns = append(dns, UserDN(r.Name, usersBase))
		}
	}
	return distinct(dns, dnKey)
}
