package ldapserver

import (
	"slices"
	"strings"
	"testing"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store/ldif"
)

// mkEntry builds an entry from attribute-value pairs; an attribute
// given several times gets several values.
func mkEntry(dn string, pairs ...string) *ldif.Entry {
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

// fltEval compiles filter and evaluates it on e, three-valued.
func fltEval(t *testing.T, filter string, e *ldif.Entry) fltValue {
	t.Helper()
	f, err := CompileFilter(filter)
	if err != nil {
		t.Fatalf("CompileFilter(%q): %v", filter, err)
	}
	return f.root.eval(e)
}

func (v fltValue) String() string { return [...]string{"FALSE", "TRUE", "Undefined"}[v] }

const (
	tF = fltFalse
	tT = fltTrue
	tU = fltUndefined
)

type matchCase struct {
	filter string
	entry  *ldif.Entry
	want   fltValue
}

func runMatchCases(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		if got := fltEval(t, tc.filter, tc.entry); got != tc.want {
			t.Errorf("%s on %s: %v, want %v", tc.filter, tc.entry.DN, got, tc.want)
		}
	}
}

func TestStringRules(t *testing.T) {
	alice := mkEntry("uid=alice,ou=users,dc=example,dc=org", "objectClass", "inetOrgPerson",
		"uid", "alice", "cn", "Alice  Smith", "mail", "Alice@Example.org", "labeledURI", "https://example.org/Alice",
		"homeDirectory", "/home/alice", "description", "a*b", "title", "(x)")
	elodie := mkEntry("uid=elodie", "cn", "Élodie Müller", "sn", "STRASSE", "givenName", "Ali\u00adce",
		"displayName", "Alice\u00a0Smith", "title", "ﬀ", "description", "Ⅻ")
	runMatchCases(t, []matchCase{
		{"(cn=alice smith)", alice, tT},
		{"(cn= ALICE   SMITH )", alice, tT},
		{"(cn=alice)", alice, tF},
		{"(commonName=alice smith)", alice, tT},
		{"(2.5.4.3=Alice Smith)", alice, tT},
		{"(CN=alice smith)", alice, tT},
		{"(name=alice smith)", alice, tT},
		{"(uid=ALICE)", alice, tT},
		{"(userid=alice)", alice, tT},
		{"(mail=alice@EXAMPLE.ORG)", alice, tT},
		{"(labeledURI=https://example.org/Alice)", alice, tT},
		{"(labeledURI=https://example.org/alice)", alice, tF},
		{"(labeledURI=  https://example.org/Alice )", alice, tT},
		{"(homeDirectory=/home/Alice)", alice, tF},
		{"(homeDirectory=/home/alice)", alice, tT},
		{"(description=a\\2ab)", alice, tT},
		{"(title=\\28x\\29)", alice, tT},
		{"(cn=\\41lice smith)", alice, tT},
		// Non-ASCII: folding, NFKC, mapped characters.
		{"(cn=élodie müller)", elodie, tT},
		{"(cn=\\c3\\89LODIE M\\c3\\9cLLER)", elodie, tT},
		{"(cn=elodie muller)", elodie, tF},
		{"(sn=straße)", elodie, tT},
		{"(givenName=alice)", elodie, tT},
		{"(displayName=alice smith)", elodie, tT},
		{"(title=FF)", elodie, tT},
		{"(description=xii)", elodie, tT},
		{"(cn=\\ff)", elodie, tU}, // invalid UTF-8 assertion
		{"(cn=x)", mkEntry("x", "cn", "\xff"), tU},
		{"(cn=x)", mkEntry("x", "cn", "\xff", "cn", "x"), tT},
		// Options.
		{"(cn=alice)", mkEntry("x", "cn;lang-fr", "Alice"), tT},
		{"(cn;lang-fr=alice)", mkEntry("x", "cn;lang-fr", "Alice"), tT},
		{"(cn;LANG-FR=alice)", mkEntry("x", "CN;lang-fr;x-y", "Alice"), tT},
		{"(cn;lang-fr=alice)", mkEntry("x", "cn", "Alice"), tF},
		{"(cn;lang-fr=*)", mkEntry("x", "cn", "Alice"), tF},
		{"(cn;=alice)", alice, tU},
		{"(c n=alice)", alice, tU},
		// Approximate is equality.
		{"(cn~=alice smith)", alice, tT},
		{"(cn~=alice smyth)", alice, tF},
	})
}

func TestSubstrings(t *testing.T) {
	e := mkEntry("x", "cn", "Alice  Smith", "mail", "alice@example.org", "description", "a*b",
		"telephoneNumber", "+1 555-1234", "postalAddress", "1 Rue X$75000 PARIS", "x121Address", "123 456",
		"uidNumber", "1000", "homeDirectory", "/home/alice", "memberUid", "alice")
	runMatchCases(t, []matchCase{
		{"(cn=ali*)", e, tT},
		{"(cn=*smith)", e, tT},
		{"(cn=*LICE*)", e, tT},
		{"(cn=*ce s*)", e, tT},
		{"(cn=*ce  s*)", e, tT},
		{"(cn=alice *)", e, tT},
		{"(cn=alice*smith)", e, tT},
		{"(cn=* smith)", e, tT},
		{"(cn=*smith *)", e, tT},
		{"(cn=a*e*h)", e, tT},
		{"(cn=al*ic*e smith)", e, tT},
		{"(cn=alice smith*smith)", e, tF},
		{"(cn=smith*)", e, tF},
		{"(cn=*alice)", e, tF},
		{"(cn=*e s*i*h)", e, tT},
		{"(cn=*h*s*)", e, tF},
		{"(mail=*@EXAMPLE.org)", e, tT},
		{"(description=a\\2a*)", e, tT},
		{"(description=*\\2ab)", e, tT},
		{"(description=a\\2ac*)", e, tF},
		{"(uidNumber=10*)", e, tU},
		{"(homeDirectory=/home/*)", e, tU},
		{"(memberUid=al*)", e, tU},
		{"(telephoneNumber=*5551*)", e, tT},
		{"(telephoneNumber=+1555*)", e, tT},
		{"(telephoneNumber=*5-5-5 12*)", e, tT},
		{"(postalAddress=1 rue x*)", e, tT},
		{"(postalAddress=*paris)", e, tT},
		{"(postalAddress=*x$75*)", e, tF},
		{"(postalAddress=*75000 p*)", e, tT},
		{"(x121Address=1234*)", e, tT},
		{"(x121Address=*3 4*)", e, tT},
		{"(x121Address=1a*)", e, tU},
		{"(cn=*)", e, tT},
		{"(cn=**)", e, tU},
	})
}

func TestOtherRules(t *testing.T) {
	u := mkEntry("uid=alice,ou=users,dc=example,dc=org",
		"objectClass", "top", "objectClass", "person", "objectClass", "organizationalPerson", "objectClass", "inetOrgPerson",
		"objectClass", "posixAccount", "uidNumber", "1000", "gidNumber", "0", "shadowMax", "099",
		"createTimestamp", "20250304050607Z", "modifyTimestamp", "20250304050607.5Z", "hasSubordinates", "FALSE",
		"entryUUID", "7d444840-9dc0-11d1-b245-5ffdce74fad2", "telephoneNumber", "+1 555-1234",
		"structuralObjectClass", "inetOrgPerson", "x121Address", "123456", "dnQualifier", "C",
		"employeeNumber", "42", "x500UniqueIdentifier", "'0101'B", "userPassword", "{SSHA}secret")
	bare := mkEntry("cn=x", "objectClass", "inetOrgPerson")
	runMatchCases(t, []matchCase{
		// Integers: numeric, leading zeros ignored.
		{"(uidNumber=1000)", u, tT},
		{"(uidNumber=01000)", u, tT},
		{"(uidNumber=1000 )", u, tU},
		{"(uidNumber=abc)", u, tU},
		{"(uidNumber=1e3)", u, tU},
		{"(uidNumber>=999)", u, tT},
		{"(uidNumber>=1000)", u, tT},
		{"(uidNumber>=10000)", u, tF},
		{"(uidNumber<=999)", u, tF},
		{"(uidNumber<=9)", u, tF},
		{"(uidNumber>=-5)", u, tT},
		{"(gidNumber=-0)", u, tT},
		{"(shadowMax=99)", u, tT},
		{"(shadowMax<=100)", u, tT},
		{"(employeeNumber>=4)", u, tU}, // a string type without ordering
		{"(employeeNumber=042)", u, tF},
		// Times.
		{"(createTimestamp=20250304050607Z)", u, tT},
		{"(createTimestamp=20250304060607+0100)", u, tT},
		{"(createTimestamp=202503040506Z)", u, tF},
		{"(createTimestamp>=20250101000000Z)", u, tT},
		{"(createTimestamp<=20241231235959Z)", u, tF},
		{"(modifyTimestamp>=20250304050607Z)", u, tT},
		{"(modifyTimestamp<=20250304050607Z)", u, tF},
		{"(createTimestamp=2025)", u, tU},
		// Booleans, UUIDs, bits, numeric strings, telephone numbers.
		{"(hasSubordinates=FALSE)", u, tT},
		{"(hasSubordinates=TRUE)", u, tF},
		{"(hasSubordinates=false)", u, tU},
		{"(entryUUID=7D444840-9DC0-11D1-B245-5FFDCE74FAD2)", u, tT},
		{"(entryUUID>=7d444840-9dc0-11d1-b245-5ffdce74fad1)", u, tT},
		{"(entryUUID<=00000000-0000-0000-0000-000000000000)", u, tF},
		{"(entryUUID=7d444840)", u, tU},
		{"(x500UniqueIdentifier='0101'B)", u, tT},
		{"(x500UniqueIdentifier='101'B)", u, tF},
		{"(x500UniqueIdentifier=0101)", u, tU},
		{"(x121Address=123 456)", u, tT},
		{"(x121Address=12345a)", u, tU},
		{"(telephoneNumber=+15551234)", u, tT},
		{"(telephoneNumber=+1 \\28555\\29 1234)", u, tF},
		{"(telephoneNumber=＋1 555‐1234)", u, tT}, // fullwidth plus, Unicode hyphen
		{"(dnQualifier>=b)", u, tT},
		{"(dnQualifier<=b)", u, tF},
		{"(cn>=a)", u, tU},           // cn has no ordering rule
		{"(uidNumber>=1)", bare, tF}, // absent attribute with an ordering rule
		// Object classes: names and OIDs, and subclasses.
		{"(objectClass=person)", u, tT},
		{"(objectClass=PERSON)", u, tT},
		{"(objectClass=2.5.6.6)", u, tT},
		{"(objectClass=person)", bare, tT},
		{"(objectClass=organizationalPerson)", bare, tT},
		{"(objectClass=top)", bare, tT},
		{"(objectClass=posixAccount)", bare, tF},
		{"(objectClass=2.16.840.1.113730.3.2.2)", bare, tT},
		{"(objectClass=inetOrgPerson)", mkEntry("x", "objectClass", "person"), tF},
		{"(objectClass=foo)", mkEntry("x", "objectClass", "FOO"), tT},
		{"(objectClass=foo)", bare, tF},
		{"(!(objectClass=foo))", bare, tT},
		{"(objectClass=1foo)", bare, tU},
		{"(objectClass=*)", mkEntry("x"), tT},
		{"(structuralObjectClass=inetOrgPerson)", u, tT},
		{"(structuralObjectClass=2.16.840.1.113730.3.2.2)", u, tT},
		{"(structuralObjectClass=person)", u, tF},
		// userPassword is never matched.
		{"(userPassword={SSHA}secret)", u, tU},
		{"(userPassword=*)", u, tU},
		{"(userPassword={SSHA}*)", u, tU},
		{"(!(userPassword=x))", u, tU},
		{"(2.5.4.35=x)", u, tU},
		{"(userPassword:octetStringMatch:={SSHA}secret)", u, tU},
		{"(:octetStringMatch:={SSHA}secret)", u, tF},
	})
	schema := schemas.SubschemaEntry()
	runMatchCases(t, []matchCase{
		{"(attributeTypes=2.5.4.3)", schema, tT},
		{"(attributeTypes=commonName)", schema, tT},
		{"(objectClasses=person)", schema, tT},
		{"(objectClasses=foo)", schema, tF},
		{"(matchingRules=2.5.13.2)", schema, tT},
		{"(objectClass=subschema)", schema, tT},
	})
}

func TestDNRules(t *testing.T) {
	g := mkEntry("cn=admins,ou=groups,dc=example,dc=org",
		"member", "uid=Alice, ou=Users,dc=Example,dc=org", "member", "UID=bob,OU=users,DC=example,DC=org",
		"member", "uid=al\\2Cice,ou=users,dc=example,dc=org", "member", "sn=B+cn=A,dc=x",
		"member", "uid=Élodie,ou=users,dc=example,dc=org", "owner", "uid=alice,ou=users,dc=example,dc=org",
		"uniqueMember", "uid=carol,dc=x", "uniqueMember", "uid=dave,dc=x#'0101'B",
		"entryDN", "cn=admins,ou=groups,dc=example,dc=org", "memberOf", "cn=Staff,ou=groups,dc=example,dc=org")
	runMatchCases(t, []matchCase{
		{"(member=uid=alice,ou=users,dc=example,dc=org)", g, tT},
		{"(member=uid=ALICE,ou=users,dc=example,dc=org)", g, tT},
		{"(member=userid=alice, ou=users, dc=example, dc=org)", g, tT},
		{"(member=0.9.2342.19200300.100.1.1=alice,ou=users,dc=example,dc=org)", g, tT},
		{"(member=uid=bob,ou=users,dc=example,dc=org)", g, tT},
		{"(member=uid=carol,ou=users,dc=example,dc=org)", g, tF},
		{"(member=uid=al\\5c,ice,ou=users,dc=example,dc=org)", g, tT},
		{"(member=uid=al\\5c2cice,ou=users,dc=example,dc=org)", g, tT},
		{"(member=cn=a+sn=b,dc=x)", g, tT},
		{"(member=uid=\\c3\\a9lodie,ou=users,dc=example,dc=org)", g, tT},
		{"(member=not a DN)", g, tU},
		{"(member=uid=alice,)", g, tU},
		{"(owner=uid=Alice,ou=users,dc=example,dc=org)", g, tT},
		{"(distinguishedName=uid=alice,ou=users,dc=example,dc=org)", g, tT},
		{"(memberOf=cn=staff,ou=groups,dc=example,dc=org)", g, tT},
		{"(entryDN=CN=Admins,OU=Groups,DC=Example,DC=Org)", g, tT},
		{"(uniqueMember=uid=Carol,dc=x)", g, tT},
		{"(uniqueMember=uid=dave,dc=x)", g, tF},
		{"(uniqueMember=uid=dave,dc=x#'0101'B)", g, tT},
		{"(uniqueMember=uid=dave,dc=x#'0111'B)", g, tF},
		{"(member=*)", g, tT},
		{"(member=uid=*)", g, tU}, // DN syntax has no substrings rule
	})
}

func TestExtensibleMatch(t *testing.T) {
	e := mkEntry("uid=alice,ou=users,dc=example,dc=org", "uid", "alice", "cn", "Alice", "sn", "Smith", "uidNumber", "1000")
	g := mkEntry("cn=staff,ou=groups,dc=example,dc=org", "gidNumber", "7")
	runMatchCases(t, []matchCase{
		{"(cn:caseExactMatch:=Alice)", e, tT},
		{"(cn:caseExactMatch:=alice)", e, tF},
		{"(cn:2.5.13.5:=Alice)", e, tT},
		{"(cn:=ALICE)", e, tT},
		{"(uidNumber:2.5.13.14:=01000)", e, tT},
		{"(uidNumber:integerOrderingMatch:=2000)", e, tT},
		{"(uidNumber:integerOrderingMatch:=1000)", e, tF},
		{"(uidNumber:1.2.840.113556.1.4.803:=8)", e, tT},
		{"(uidNumber:1.2.840.113556.1.4.803:=7)", e, tF},
		{"(uidNumber:1.2.840.113556.1.4.804:=24)", e, tT},
		{"(uidNumber:integerBitOrMatch:=7)", e, tF},
		{"(uidNumber:integerBitAndMatch:=x)", e, tU},
		{"(cn:integerMatch:=1)", e, tU},
		{"(cn:fooMatch:=x)", e, tU},
		{"(foo:caseExactMatch:=x)", e, tU},
		{"(cn:caseExactSubstringsMatch:=Al*)", e, tU}, // substrings rules: as in OpenLDAP
		{"(cn:caseIgnoreOrderingMatch:=b)", e, tT},
		{"(:caseExactMatch:=Alice)", e, tT},
		{"(:caseExactMatch:=alice)", e, tT}, // uid
		{"(:caseExactMatch:=ALICE)", e, tF},
		{"(:integerMatch:=1000)", e, tT},
		{"(:=x)", e, tU},
		{"(:dn:caseIgnoreMatch:=users)", e, tT},
		{"(:caseIgnoreMatch:=users)", e, tF},
		{"(ou:dn:=USERS)", e, tT},
		{"(ou:=users)", e, tF},
		{"(cn:dn:=staff)", g, tT},
		{"(gidNumber:dn:=7)", g, tT},
		{"(!(ou:=users))", e, tT},
	})
}

func TestThreeValuedLogic(t *testing.T) {
	e := mkEntry("uid=alice", "uid", "alice", "cn", "Alice")
	runMatchCases(t, []matchCase{
		{"(foo=bar)", e, tU},
		{"(foo=*)", e, tU},
		{"(!(foo=bar))", e, tU},
		{"(!(!(foo=bar)))", e, tU},
		{"(!(mail=x))", e, tT},
		{"(mail=x)", e, tF},
		{"(mail=*)", e, tF},
		{"(!(uidNumber=abc))", e, tU},
		{"(!(cn>=a))", e, tU},
		{"(&(uid=alice)(foo=bar))", e, tU},
		{"(&(uid=bob)(foo=bar))", e, tF},
		{"(|(uid=alice)(foo=bar))", e, tT},
		{"(|(uid=bob)(foo=bar))", e, tU},
		{"(!(|(uid=bob)(foo=bar)))", e, tU},
		{"(!(&(uid=bob)(foo=bar)))", e, tT},
		{"(&)", e, tT},
		{"(|)", e, tF},
		{"(!(&))", e, tF},
		{"(!(|))", e, tT},
		{"(&(|(uid=alice)(uid=bob))(!(cn=bob)))", e, tT},
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
	if !strings.Contains(string(mustOK(mrDN(nil, []byte("cn=a\\+b,dc=x")))), "\\2B") {
		t.Error("an escaped plus is not escaped in the canonical form")
	}
}

func mustOK(b []byte, ok bool) []byte {
	if !ok {
		panic("not ok")
	}
	return b
}
