package ldapserver

import (
	"slices"
	"strings"
	"testing"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store/ldif"
)

// testEntry builds an entry from attribute-value pairs; an attribute
// given several times gets several values.
func testEntry(dn string, pairs ...string) *ldif.Entry {
	e := &ldif.Entry{DN: dn}
	for i := 0; i+1 < len(pairs); i += 2 {
		j := slices.IndexFunc(e.Attributes, func(a ldif.Attribute) bool { return a.Name == pairs[i] })
		if j < 0 {
			e.Attributes = append(e.Attributes, ldif.Attribute{Name: pairs[i]})
			j = len(e.Attributes) - 1
		}
		e.Attributes[j].Values = append(e.Attributes[j].Values, []byte(pairs[i+1]))
	}
	return e
}

// eval compiles filter and evaluates it on e, three-valued.
func eval(t *testing.T, filter string, e *ldif.Entry) fltValue {
	t.Helper()
	f, err := CompileFilter(filter)
	if err != nil {
		t.Fatalf("CompileFilter(%q): %v", filter, err)
	}
	return f.root.eval(e)
}

func (v fltValue) String() string { return [...]string{"FALSE", "TRUE", "Undefined"}[v] }

const (
	F = fltFalse
	T = fltTrue
	U = fltUndefined
)

type matchCase struct {
	filter string
	entry  *ldif.Entry
	want   fltValue
}

func runMatchCases(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		if got := eval(t, tc.filter, tc.entry); got != tc.want {
			t.Errorf("%s on %s: %v, want %v", tc.filter, tc.entry.DN, got, tc.want)
		}
	}
}

func TestStringRules(t *testing.T) {
	alice := testEntry("uid=alice,ou=users,dc=example,dc=org", "objectClass", "inetOrgPerson",
		"uid", "alice", "cn", "Alice  Smith", "mail", "Alice@Example.org", "labeledURI", "https://example.org/Alice",
		"homeDirectory", "/home/alice", "description", "a*b", "title", "(x)")
	elodie := testEntry("uid=elodie", "cn", "Élodie Müller", "sn", "STRASSE", "givenName", "Ali\u00adce",
		"displayName", "Alice\u00a0Smith", "title", "ﬀ", "description", "Ⅻ")
	runMatchCases(t, []matchCase{
		{"(cn=alice smith)", alice, T},
		{"(cn= ALICE   SMITH )", alice, T},
		{"(cn=alice)", alice, F},
		{"(commonName=alice smith)", alice, T},
		{"(2.5.4.3=Alice Smith)", alice, T},
		{"(CN=alice smith)", alice, T},
		{"(name=alice smith)", alice, T},
		{"(uid=ALICE)", alice, T},
		{"(userid=alice)", alice, T},
		{"(mail=alice@EXAMPLE.ORG)", alice, T},
		{"(labeledURI=https://example.org/Alice)", alice, T},
		{"(labeledURI=https://example.org/alice)", alice, F},
		{"(labeledURI=  https://example.org/Alice )", alice, T},
		{"(homeDirectory=/home/Alice)", alice, F},
		{"(homeDirectory=/home/alice)", alice, T},
		{"(description=a\\2ab)", alice, T},
		{"(title=\\28x\\29)", alice, T},
		{"(cn=\\41lice smith)", alice, T},
		// Non-ASCII: folding, NFKC, mapped characters.
		{"(cn=élodie müller)", elodie, T},
		{"(cn=\\c3\\89LODIE M\\c3\\9cLLER)", elodie, T},
		{"(cn=elodie muller)", elodie, F},
		{"(sn=straße)", elodie, T},
		{"(givenName=alice)", elodie, T},
		{"(displayName=alice smith)", elodie, T},
		{"(title=FF)", elodie, T},
		{"(description=xii)", elodie, T},
		{"(cn=\\ff)", elodie, U}, // invalid UTF-8 assertion
		{"(cn=x)", testEntry("x", "cn", "\xff"), U},
		{"(cn=x)", testEntry("x", "cn", "\xff", "cn", "x"), T},
		// Options.
		{"(cn=alice)", testEntry("x", "cn;lang-fr", "Alice"), T},
		{"(cn;lang-fr=alice)", testEntry("x", "cn;lang-fr", "Alice"), T},
		{"(cn;LANG-FR=alice)", testEntry("x", "CN;lang-fr;x-y", "Alice"), T},
		{"(cn;lang-fr=alice)", testEntry("x", "cn", "Alice"), F},
		{"(cn;lang-fr=*)", testEntry("x", "cn", "Alice"), F},
		{"(cn;=alice)", alice, U},
		{"(c n=alice)", alice, U},
		// Approximate is equality.
		{"(cn~=alice smith)", alice, T},
		{"(cn~=alice smyth)", alice, F},
	})
}

func TestSubstrings(t *testing.T) {
	e := testEntry("x", "cn", "Alice  Smith", "mail", "alice@example.org", "description", "a*b",
		"telephoneNumber", "+1 555-1234", "postalAddress", "1 Rue X$75000 PARIS", "x121Address", "123 456",
		"uidNumber", "1000", "homeDirectory", "/home/alice", "memberUid", "alice")
	runMatchCases(t, []matchCase{
		{"(cn=ali*)", e, T},
		{"(cn=*smith)", e, T},
		{"(cn=*LICE*)", e, T},
		{"(cn=*ce s*)", e, T},
		{"(cn=*ce  s*)", e, T},
		{"(cn=alice *)", e, T},
		{"(cn=alice*smith)", e, T},
		{"(cn=* smith)", e, T},
		{"(cn=*smith *)", e, T},
		{"(cn=a*e*h)", e, T},
		{"(cn=al*ic*e smith)", e, T},
		{"(cn=alice smith*smith)", e, F},
		{"(cn=smith*)", e, F},
		{"(cn=*alice)", e, F},
		{"(cn=*e s*i*h)", e, T},
		{"(cn=*h*s*)", e, F},
		{"(mail=*@EXAMPLE.org)", e, T},
		{"(description=a\\2a*)", e, T},
		{"(description=*\\2ab)", e, T},
		{"(description=a\\2ac*)", e, F},
		{"(uidNumber=10*)", e, U},
		{"(homeDirectory=/home/*)", e, U},
		{"(memberUid=al*)", e, U},
		{"(telephoneNumber=*5551*)", e, T},
		{"(telephoneNumber=+1555*)", e, T},
		{"(telephoneNumber=*5-5-5 12*)", e, T},
		{"(postalAddress=1 rue x*)", e, T},
		{"(postalAddress=*paris)", e, T},
		{"(postalAddress=*x$75*)", e, F},
		{"(postalAddress=*75000 p*)", e, T},
		{"(x121Address=1234*)", e, T},
		{"(x121Address=*3 4*)", e, T},
		{"(x121Address=1a*)", e, U},
		{"(cn=*)", e, T},
		{"(cn=**)", e, U},
	})
}

func TestOtherRules(t *testing.T) {
	u := testEntry("uid=alice,ou=users,dc=example,dc=org",
		"objectClass", "top", "objectClass", "person", "objectClass", "organizationalPerson", "objectClass", "inetOrgPerson",
		"objectClass", "posixAccount", "uidNumber", "1000", "gidNumber", "0", "shadowMax", "099",
		"createTimestamp", "20250304050607Z", "modifyTimestamp", "20250304050607.5Z", "hasSubordinates", "FALSE",
		"entryUUID", "7d444840-9dc0-11d1-b245-5ffdce74fad2", "telephoneNumber", "+1 555-1234",
		"structuralObjectClass", "inetOrgPerson", "x121Address", "123456", "dnQualifier", "C",
		"employeeNumber", "42", "x500UniqueIdentifier", "'0101'B", "userPassword", "{SSHA}secret")
	bare := testEntry("cn=x", "objectClass", "inetOrgPerson")
	runMatchCases(t, []matchCase{
		// Integers: numeric, leading zeros ignored.
		{"(uidNumber=1000)", u, T},
		{"(uidNumber=01000)", u, T},
		{"(uidNumber=1000 )", u, U},
		{"(uidNumber=abc)", u, U},
		{"(uidNumber=1e3)", u, U},
		{"(uidNumber>=999)", u, T},
		{"(uidNumber>=1000)", u, T},
		{"(uidNumber>=10000)", u, F},
		{"(uidNumber<=999)", u, F},
		{"(uidNumber<=9)", u, F},
		{"(uidNumber>=-5)", u, T},
		{"(gidNumber=-0)", u, T},
		{"(shadowMax=99)", u, T},
		{"(shadowMax<=100)", u, T},
		{"(employeeNumber>=4)", u, U}, // a string type without ordering
		{"(employeeNumber=042)", u, F},
		// Times.
		{"(createTimestamp=20250304050607Z)", u, T},
		{"(createTimestamp=20250304060607+0100)", u, T},
		{"(createTimestamp=202503040506Z)", u, F},
		{"(createTimestamp>=20250101000000Z)", u, T},
		{"(createTimestamp<=20241231235959Z)", u, F},
		{"(modifyTimestamp>=20250304050607Z)", u, T},
		{"(modifyTimestamp<=20250304050607Z)", u, F},
		{"(createTimestamp=2025)", u, U},
		// Booleans, UUIDs, bits, numeric strings, telephone numbers.
		{"(hasSubordinates=FALSE)", u, T},
		{"(hasSubordinates=TRUE)", u, F},
		{"(hasSubordinates=false)", u, U},
		{"(entryUUID=7D444840-9DC0-11D1-B245-5FFDCE74FAD2)", u, T},
		{"(entryUUID>=7d444840-9dc0-11d1-b245-5ffdce74fad1)", u, T},
		{"(entryUUID<=00000000-0000-0000-0000-000000000000)", u, F},
		{"(entryUUID=7d444840)", u, U},
		{"(x500UniqueIdentifier='0101'B)", u, T},
		{"(x500UniqueIdentifier='101'B)", u, F},
		{"(x500UniqueIdentifier=0101)", u, U},
		{"(x121Address=123 456)", u, T},
		{"(x121Address=12345a)", u, U},
		{"(telephoneNumber=+15551234)", u, T},
		{"(telephoneNumber=+1 \\28555\\29 1234)", u, F},
		{"(telephoneNumber=＋1 555‐1234)", u, T}, // fullwidth plus, Unicode hyphen
		{"(dnQualifier>=b)", u, T},
		{"(dnQualifier<=b)", u, F},
		{"(cn>=a)", u, U},           // cn has no ordering rule
		{"(uidNumber>=1)", bare, F}, // absent attribute with an ordering rule
		// Object classes: names and OIDs, and subclasses.
		{"(objectClass=person)", u, T},
		{"(objectClass=PERSON)", u, T},
		{"(objectClass=2.5.6.6)", u, T},
		{"(objectClass=person)", bare, T},
		{"(objectClass=organizationalPerson)", bare, T},
		{"(objectClass=top)", bare, T},
		{"(objectClass=posixAccount)", bare, F},
		{"(objectClass=2.16.840.1.113730.3.2.2)", bare, T},
		{"(objectClass=inetOrgPerson)", testEntry("x", "objectClass", "person"), F},
		{"(objectClass=foo)", testEntry("x", "objectClass", "FOO"), T},
		{"(objectClass=foo)", bare, F},
		{"(!(objectClass=foo))", bare, T},
		{"(objectClass=1foo)", bare, U},
		{"(objectClass=*)", testEntry("x"), T},
		{"(structuralObjectClass=inetOrgPerson)", u, T},
		{"(structuralObjectClass=2.16.840.1.113730.3.2.2)", u, T},
		{"(structuralObjectClass=person)", u, F},
		// userPassword is never matched.
		{"(userPassword={SSHA}secret)", u, U},
		{"(userPassword=*)", u, U},
		{"(userPassword={SSHA}*)", u, U},
		{"(!(userPassword=x))", u, U},
		{"(2.5.4.35=x)", u, U},
		{"(userPassword:octetStringMatch:={SSHA}secret)", u, U},
		{"(:octetStringMatch:={SSHA}secret)", u, F},
	})
	schema := schemas.SubschemaEntry()
	runMatchCases(t, []matchCase{
		{"(attributeTypes=2.5.4.3)", schema, T},
		{"(attributeTypes=commonName)", schema, T},
		{"(objectClasses=person)", schema, T},
		{"(objectClasses=foo)", schema, F},
		{"(matchingRules=2.5.13.2)", schema, T},
		{"(objectClass=subschema)", schema, T},
	})
}

func TestDNRules(t *testing.T) {
	g := testEntry("cn=admins,ou=groups,dc=example,dc=org",
		"member", "uid=Alice, ou=Users,dc=Example,dc=org", "member", "UID=bob,OU=users,DC=example,DC=org",
		"member", "uid=al\\2Cice,ou=users,dc=example,dc=org", "member", "sn=B+cn=A,dc=x",
		"member", "uid=Élodie,ou=users,dc=example,dc=org", "owner", "uid=alice,ou=users,dc=example,dc=org",
		"uniqueMember", "uid=carol,dc=x", "uniqueMember", "uid=dave,dc=x#'0101'B",
		"entryDN", "cn=admins,ou=groups,dc=example,dc=org", "memberOf", "cn=Staff,ou=groups,dc=example,dc=org")
	runMatchCases(t, []matchCase{
		{"(member=uid=alice,ou=users,dc=example,dc=org)", g, T},
		{"(member=uid=ALICE,ou=users,dc=example,dc=org)", g, T},
		{"(member=userid=alice, ou=users, dc=example, dc=org)", g, T},
		{"(member=0.9.2342.19200300.100.1.1=alice,ou=users,dc=example,dc=org)", g, T},
		{"(member=uid=bob,ou=users,dc=example,dc=org)", g, T},
		{"(member=uid=carol,ou=users,dc=example,dc=org)", g, F},
		{"(member=uid=al\\5c,ice,ou=users,dc=example,dc=org)", g, T},
		{"(member=uid=al\\5c2cice,ou=users,dc=example,dc=org)", g, T},
		{"(member=cn=a+sn=b,dc=x)", g, T},
		{"(member=uid=\\c3\\a9lodie,ou=users,dc=example,dc=org)", g, T},
		{"(member=not a DN)", g, U},
		{"(member=uid=alice,)", g, U},
		{"(owner=uid=Alice,ou=users,dc=example,dc=org)", g, T},
		{"(distinguishedName=uid=alice,ou=users,dc=example,dc=org)", g, T},
		{"(memberOf=cn=staff,ou=groups,dc=example,dc=org)", g, T},
		{"(entryDN=CN=Admins,OU=Groups,DC=Example,DC=Org)", g, T},
		{"(uniqueMember=uid=Carol,dc=x)", g, T},
		{"(uniqueMember=uid=dave,dc=x)", g, F},
		{"(uniqueMember=uid=dave,dc=x#'0101'B)", g, T},
		{"(uniqueMember=uid=dave,dc=x#'0111'B)", g, F},
		{"(member=*)", g, T},
		{"(member=uid=*)", g, U}, // DN syntax has no substrings rule
	})
}

func TestExtensibleMatch(t *testing.T) {
	e := testEntry("uid=alice,ou=users,dc=example,dc=org", "uid", "alice", "cn", "Alice", "sn", "Smith", "uidNumber", "1000")
	g := testEntry("cn=staff,ou=groups,dc=example,dc=org", "gidNumber", "7")
	runMatchCases(t, []matchCase{
		{"(cn:caseExactMatch:=Alice)", e, T},
		{"(cn:caseExactMatch:=alice)", e, F},
		{"(cn:2.5.13.5:=Alice)", e, T},
		{"(cn:=ALICE)", e, T},
		{"(uidNumber:2.5.13.14:=01000)", e, T},
		{"(uidNumber:integerOrderingMatch:=2000)", e, T},
		{"(uidNumber:integerOrderingMatch:=1000)", e, F},
		{"(uidNumber:1.2.840.113556.1.4.803:=8)", e, T},
		{"(uidNumber:1.2.840.113556.1.4.803:=7)", e, F},
		{"(uidNumber:1.2.840.113556.1.4.804:=24)", e, T},
		{"(uidNumber:integerBitOrMatch:=7)", e, F},
		{"(uidNumber:integerBitAndMatch:=x)", e, U},
		{"(cn:integerMatch:=1)", e, U},
		{"(cn:fooMatch:=x)", e, U},
		{"(foo:caseExactMatch:=x)", e, U},
		{"(cn:caseExactSubstringsMatch:=Al*)", e, T},
		{"(cn:caseExactSubstringsMatch:=al*)", e, F},
		{"(cn:caseIgnoreSubstringsMatch:=*L\\5C2Ai*)", testEntry("x", "cn", "xL*Iy"), T},
		{"(cn:caseIgnoreSubstringsMatch:=nostar)", e, U},
		{"(cn:caseIgnoreOrderingMatch:=b)", e, T},
		{"(:caseExactMatch:=Alice)", e, T},
		{"(:caseExactMatch:=alice)", e, T}, // uid
		{"(:caseExactMatch:=ALICE)", e, F},
		{"(:integerMatch:=1000)", e, T},
		{"(:=x)", e, U},
		{"(:dn:caseIgnoreMatch:=users)", e, T},
		{"(:caseIgnoreMatch:=users)", e, F},
		{"(ou:dn:=USERS)", e, T},
		{"(ou:=users)", e, F},
		{"(cn:dn:=staff)", g, T},
		{"(gidNumber:dn:=7)", g, T},
		{"(!(ou:=users))", e, T},
	})
}

func TestThreeValuedLogic(t *testing.T) {
	e := testEntry("uid=alice", "uid", "alice", "cn", "Alice")
	runMatchCases(t, []matchCase{
		{"(foo=bar)", e, U},
		{"(foo=*)", e, U},
		{"(!(foo=bar))", e, U},
		{"(!(!(foo=bar)))", e, U},
		{"(!(mail=x))", e, T},
		{"(mail=x)", e, F},
		{"(mail=*)", e, F},
		{"(!(uidNumber=abc))", e, U},
		{"(!(cn>=a))", e, U},
		{"(&(uid=alice)(foo=bar))", e, U},
		{"(&(uid=bob)(foo=bar))", e, F},
		{"(|(uid=alice)(foo=bar))", e, T},
		{"(|(uid=bob)(foo=bar))", e, U},
		{"(!(|(uid=bob)(foo=bar)))", e, U},
		{"(!(&(uid=bob)(foo=bar)))", e, T},
		{"(&)", e, T},
		{"(|)", e, F},
		{"(!(&))", e, F},
		{"(!(|))", e, T},
		{"(&(|(uid=alice)(uid=bob))(!(cn=bob)))", e, T},
	})
}

// TestRulesImplemented checks that the registry's matching rules and the
// implementations here are the same set, and that every attribute type's
// rules are among them.
func TestRulesImplemented(t *testing.T) {
	reg := map[string]bool{}
	for _, r := range schemas.MatchingRules() {
		reg[r.Name] = true
		if mrRules[r.Name] == ruleNone {
			t.Errorf("registry rule %s is not implemented", r.Name)
		}
	}
	for name := range mrRules {
		if !reg[name] {
			t.Errorf("implemented rule %s is not in the registry", name)
		}
	}
}

func TestNormalizeValue(t *testing.T) {
	for _, tc := range []struct {
		attr, value, want string
		ok                bool
	}{
		{"uid", " Alice ", "alice", true},
		{"cn", "Élodie  MÜLLER", "élodie müller", true},
		{"uidNumber", "01000", "1000", true},
		{"uidNumber", "x", "", false},
		{"member", "UID=Alice, OU=Users,DC=example,DC=org", "uid=alice,ou=users,dc=example,dc=org", true},
		{"member", "cn=a\\,b+sn=x,dc=y", "cn=a\\2Cb+sn=x,dc=y", true},
		{"objectClass", "inetorgperson", "2.16.840.1.113730.3.2.2", true},
		{"entryUUID", "7D444840-9DC0-11D1-B245-5FFDCE74FAD2", "7d444840-9dc0-11d1-b245-5ffdce74fad2", true},
		{"createTimestamp", "20250304060607+0100", "20250304050607.000000000Z", true},
		{"telephoneNumber", "+33 1-23", "+33123", true},
		{"postalAddress", "1 Rue$PARIS", "1 rue\x00paris", true},
		{"jpegPhoto", "x", "", false},
		{"foo", "x", "", false},
	} {
		got, ok := NormalizeValue(tc.attr, []byte(tc.value))
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizeValue(%s, %q) = %q, %v; want %q, %v", tc.attr, tc.value, got, ok, tc.want, tc.ok)
		}
	}
}

// TestDNFastPath checks that the allocation-free path and ldap.ParseDN
// give the same canonical form.
func TestDNFastPath(t *testing.T) {
	for _, dn := range []string{"uid=Alice,ou=Users,dc=example,dc=org", " UID = alice ,  OU=users,dc=x",
		"cn=John   Smith,dc=x", "commonName=x,o=Acme Inc", "2.5.4.3=X", "", "uid=a,", "uid=a=b,dc=x",
		"foo=bar,dc=x", "uidNumber=01,dc=x", "cn=,dc=x"} {
		fast, okFast := mrDNFast(nil, []byte(dn), nil)
		slow, okSlow := mrDNSlow(nil, []byte(dn))
		if okFast && (!okSlow || string(fast) != string(slow)) {
			t.Errorf("%q: fast %q %v, slow %q %v", dn, fast, okFast, slow, okSlow)
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		var buf [128]byte
		mrDN(buf[:0], []byte("uid=Alice,ou=Users,dc=example,dc=org"))
	}); n != 0 {
		t.Errorf("the DN fast path allocates %v times", n)
	}
	if !strings.Contains(string(must(mrDN(nil, []byte("cn=a\\+b,dc=x")))), "\\2B") {
		t.Error("an escaped plus is not escaped in the canonical form")
	}
}

func must(b []byte, ok bool) []byte {
	if !ok {
		panic("not ok")
	}
	return b
}
