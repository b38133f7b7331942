package main

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// The benchmark directory is fully determined by its base DN, its number
// of users and its password scheme: user i is uid=userNNNNNN (i written on
// six digits) under ou=users, with the password "password-NNNNNN" hashed
// with a salt derived from i. So an LDIF written today and the entries
// that populate adds tomorrow are identical, and a load run knows every
// user's DN and password without reading them back.

// directory describes the generated tree.
type directory struct {
	base   string // e.g. dc=example,dc=org
	users  int
	groups int    // groupOfNames entries, each with up to maxGroupMembers members
	scheme string // userPassword scheme: ssha, ssha256, ssha512 or plain
}

// maxGroupMembers bounds the member count of a generated group, so that
// groups stay the size of real teams.
const maxGroupMembers = 100

// attr is one attribute of an entry, in output order.
type attr struct {
	name   string
	values []string
}

// entry is one generated directory entry.
type entry struct {
	dn    string
	attrs []attr
}

// userName is the uid of user i.
func userName(i int) string { return fmt.Sprintf("user%06d", i) }

// userPassword is the cleartext password of user i.
func userPassword(i int) string { return fmt.Sprintf("password-%06d", i) }

// userDN is the DN of user i under base.
func userDN(base string, i int) string {
	return "uid=" + userName(i) + ",ou=users," + base
}

// userSalt is the deterministic 4-byte salt of user i's password hash (4
// bytes, as slappasswd uses).
func userSalt(i int) []byte {
	sum := sha1.Sum(fmt.Appendf(nil, "canaille-bench salt %d", i))
	return sum[:4]
}

// saltedHash returns "{SCHEME}" + base64(H(password + salt) + salt), the
// salted hash format of OpenLDAP's {SSHA} (and of the {SSHA256} and
// {SSHA512} of its pw-sha2 module). scheme "plain" returns the password.
func saltedHash(scheme, password string, salt []byte) (string, error) {
	var h hash.Hash
	var label string
	switch strings.ToLower(scheme) {
	case "ssha":
		h, label = sha1.New(), "{SSHA}"
	case "ssha256":
		h, label = sha256.New(), "{SSHA256}"
	case "ssha512":
		h, label = sha512.New(), "{SSHA512}"
	case "plain", "cleartext":
		return password, nil
	default:
		return "", fmt.Errorf("unknown password hash scheme %q (want ssha, ssha256, ssha512 or plain)", scheme)
	}
	h.Write([]byte(password))
	h.Write(salt)
	sum := h.Sum(nil)
	return label + base64.StdEncoding.EncodeToString(append(sum, salt...)), nil
}

// checkSaltedHash reports whether hashed (as saltedHash writes it) matches
// password; it checks hashes made by other tools, such as slappasswd.
func checkSaltedHash(hashed, password string) bool {
	end := strings.IndexByte(hashed, '}')
	if !strings.HasPrefix(hashed, "{") || end < 0 {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(hashed[end+1:])
	if err != nil {
		return false
	}
	size := map[string]int{"ssha": sha1.Size, "ssha256": sha256.Size, "ssha512": sha512.Size}[strings.ToLower(hashed[1:end])]
	if size == 0 || len(raw) <= size {
		return false
	}
	again, err := saltedHash(hashed[1:end], password, raw[size:])
	return err == nil && again == hashed
}

// check validates the description.
func (d *directory) check() error {
	if d.users < 1 || d.users > 999_999 {
		return usageError{"--users must be between 1 and 999999"}
	}
	if d.groups < 0 {
		return usageError{"--groups must not be negative"}
	}
	if _, err := saltedHash(d.scheme, "", nil); err != nil {
		return usageError{err.Error()}
	}
	if _, err := baseEntry(d.base); err != nil {
		return usageError{err.Error()}
	}
	return nil
}

// mailDomain turns the dc components of base into a domain (example.org),
// or returns example.org when base has none.
func mailDomain(base string) string {
	dn, err := ldap.ParseDN(base)
	if err != nil {
		return "example.org"
	}
	var parts []string
	for _, rdn := range dn.RDNs {
		for _, a := range rdn.Attributes {
			if strings.EqualFold(a.Type, "dc") {
				parts = append(parts, a.Value)
			}
		}
	}
	if len(parts) == 0 {
		return "example.org"
	}
	return strings.Join(parts, ".")
}

// baseEntry returns the entry of the base DN itself, whose object class
// follows its first RDN (dc, o or ou).
func baseEntry(base string) (entry, error) {
	dn, err := ldap.ParseDN(base)
	if err != nil || len(dn.RDNs) == 0 || len(dn.RDNs[0].Attributes) != 1 {
		return entry{}, fmt.Errorf("--base %q is not a DN such as dc=example,dc=org", base)
	}
	a := dn.RDNs[0].Attributes[0]
	switch strings.ToLower(a.Type) {
	case "dc":
		return entry{base, []attr{
			{"objectClass", []string{"top", "dcObject", "organization"}},
			{"dc", []string{a.Value}}, {"o", []string{a.Value}},
		}}, nil
	case "o":
		return entry{base, []attr{{"objectClass", []string{"top", "organization"}}, {"o", []string{a.Value}}}}, nil
	case "ou":
		return entry{base, []attr{{"objectClass", []string{"top", "organizationalUnit"}}, {"ou", []string{a.Value}}}}, nil
	}
	return entry{}, fmt.Errorf("--base %q: the first RDN must be dc=, o= or ou=", base)
}

// userEntry returns user i: inetOrgPerson + posixAccount, loadable by a
// stock slapd with the core, cosine, inetorgperson and nis schemas.
func (d *directory) userEntry(i int, domain string) (entry, error) {
	pw, err := saltedHash(d.scheme, userPassword(i), userSalt(i))
	if err != nil {
		return entry{}, err
	}
	name := userName(i)
	given, family := fmt.Sprintf("Given%06d", i), fmt.Sprintf("Family%06d", i)
	number := fmt.Sprint(100000 + i)
	return entry{userDN(d.base, i), []attr{
		{"objectClass", []string{"top", "person", "organizationalPerson", "inetOrgPerson", "posixAccount"}},
		{"uid", []string{name}},
		{"cn", []string{given + " " + family}},
		{"sn", []string{family}},
		{"givenName", []string{given}},
		{"mail", []string{name + "@" + domain}},
		{"uidNumber", []string{number}},
		{"gidNumber", []string{number}},
		{"homeDirectory", []string{"/home/" + name}},
		{"loginShell", []string{"/bin/bash"}},
		{"gecos", []string{given + " " + family}},
		{"userPassword", []string{pw}},
	}}, nil
}

// groupEntry returns group g: users g, g+groups, g+2*groups… (at most
// maxGroupMembers), or ok false when it would have no member (groupOfNames
// needs one).
func (d *directory) groupEntry(g int) (e entry, ok bool) {
	var members []string
	for i := g; i < d.users && len(members) < maxGroupMembers; i += d.groups {
		members = append(members, userDN(d.base, i))
	}
	if len(members) == 0 {
		return entry{}, false
	}
	name := fmt.Sprintf("group%03d", g)
	return entry{"cn=" + name + ",ou=groups," + d.base, []attr{
		{"objectClass", []string{"top", "groupOfNames"}},
		{"cn", []string{name}},
		{"description", []string{"Benchmark group " + name}},
		{"member", members},
	}}, true
}

// each calls fn for every entry, parents first: the base, ou=users,
// ou=groups, the users, then the groups.
func (d *directory) each(fn func(entry) error) error {
	b, err := baseEntry(d.base)
	if err != nil {
		return err
	}
	head := []entry{b,
		{"ou=users," + d.base, []attr{{"objectClass", []string{"top", "organizationalUnit"}}, {"ou", []string{"users"}}}},
		{"ou=groups," + d.base, []attr{{"objectClass", []string{"top", "organizationalUnit"}}, {"ou", []string{"groups"}}}},
	}
	for _, e := range head {
		if err := fn(e); err != nil {
			return err
		}
	}
	domain := mailDomain(d.base)
	for i := range d.users {
		e, err := d.userEntry(i, domain)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	for g := range d.groups {
		if e, ok := d.groupEntry(g); ok {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// appendLDIF appends e as an LDIF record (values are plain ASCII, so no
// base64 is needed; the check guards against a base DN that is not).
func appendLDIF(buf []byte, e entry) ([]byte, error) {
	line := func(name, value string) error {
		for i := 0; i < len(value); i++ {
			if c := value[i]; c < 0x20 || c > 0x7e || (i == 0 && (c == ' ' || c == ':' || c == '<')) {
				return fmt.Errorf("%s value %q needs base64 in LDIF; use an ASCII base DN", name, value)
			}
		}
		buf = append(buf, name...)
		buf = append(buf, ": "...)
		buf = append(buf, value...)
		buf = append(buf, '\n')
		return nil
	}
	if err := line("dn", e.dn); err != nil {
		return buf, err
	}
	for _, a := range e.attrs {
		for _, v := range a.values {
			if err := line(a.name, v); err != nil {
				return buf, err
			}
		}
	}
	return append(buf, '\n'), nil
}

// addRequest turns e into an LDAP Add request.
func addRequest(e entry) *ldap.AddRequest {
	req := ldap.NewAddRequest(e.dn, nil)
	for _, a := range e.attrs {
		req.Attribute(a.name, a.values)
	}
	return req
}

// seedFor returns a PCG seed pair for worker w, so that runs are
// repeatable (the same users are drawn in the same order).
func seedFor(w int) (uint64, uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(w))
	sum := sha1.Sum(b[:])
	return binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])
}
