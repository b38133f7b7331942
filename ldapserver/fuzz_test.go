package ldapserver

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store/ldif"
)

// fuzzFilters seed the filter fuzzers.
var fuzzFilters = []string{
	"(&(objectClass=posixAccount)(uid=user000123))", "(|(cn=a*b*c)(!(mail=*)))", "(cn=a\\2a*)", "(cn=\\28x\\29)",
	"(member=uid=Alice, ou=users,dc=example,dc=org)", "(uidNumber>=1000)", "(createTimestamp<=20250101000000Z)",
	"(cn:caseExactMatch:=Alice)", "(uidNumber:1.2.840.113556.1.4.803:=8)", "(:dn:caseIgnoreMatch:=users)",
	"(cn;lang-fr~=x)", "(telephoneNumber=*555*)", "(postalAddress=1 rue*paris)", "(entryUUID=7d444840-9dc0-11d1-b245-5ffdce74fad2)",
	"(&)", "(|)", "(!(foo=bar))", "(cn=\\c3\\a9lodie)", "(objectClass=2.5.6.6)", "(cn:caseIgnoreSubstringsMatch:=a*\\5c2a*)",
	"(uniqueMember=uid=a,dc=x#'01'B)", "(attributeTypes=2.5.4.3)", "(x121Address=1 2*)", "(cn=**)", "((cn=x))",
}

// fuzzEntries are the entries FuzzCompileFilter evaluates filters on.
var fuzzEntries = []*ldif.Entry{
	mkEntry("uid=alice,ou=users,dc=example,dc=org", "objectClass", "inetOrgPerson", "objectClass", "posixAccount",
		"uid", "alice", "cn", "Alice Smith", "cn;lang-fr", "Alice", "mail", "alice@example.org", "uidNumber", "1000",
		"telephoneNumber", "+1 555-1234", "postalAddress", "1 Rue X$75000 Paris", "createTimestamp", "20250304050607Z",
		"entryUUID", "7d444840-9dc0-11d1-b245-5ffdce74fad2", "memberOf", "cn=staff,ou=groups,dc=example,dc=org"),
	mkEntry("cn=staff,ou=groups,dc=example,dc=org", "objectClass", "groupOfNames", "cn", "staff",
		"member", "uid=alice,ou=users,dc=example,dc=org", "member", "uid=b\\2Cc,dc=x", "uniqueMember", "uid=a,dc=x#'01'B"),
	mkEntry("cn=subschema", "attributeTypes", "( 2.5.4.3 NAME 'cn' SUP name )", "cn", "Élodie"),
}

// FuzzCompileFilter checks that any string compiles or fails cleanly,
// that a compiled filter's String form compiles to a filter with the same
// String form and the same results, and that the index helpers cope.
func FuzzCompileFilter(f *testing.F) {
	for _, s := range fuzzFilters {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := CompileFilter(s)
		if err != nil {
			return
		}
		out := flt.String()
		again, err := CompileFilter(out)
		if err != nil {
			if errors.Is(err, ErrFilterLimit) && len(out) > MaxFilterSize {
				return // escaping non-ASCII values made the string form longer
			}
			t.Fatalf("%q: String() %q does not compile: %v", s, out, err)
		}
		if out2 := again.String(); out2 != out {
			t.Fatalf("%q: String() %q recompiles to %q", s, out, out2)
		}
		for _, e := range fuzzEntries {
			if a, b := flt.root.eval(e), again.root.eval(e); a != b {
				t.Fatalf("%q on %s: %v, but %v after String() %q", s, e.DN, a, b, out)
			}
		}
		flt.Attributes()
		for _, eq := range flt.Equalities() {
			if _, ok := schemas.LookupAttribute(eq.Attribute); !ok {
				t.Fatalf("%q: equality on unknown attribute %s", s, eq.Attribute)
			}
		}
		if alts, ok := flt.Alternatives(); ok && len(alts) > MaxAlternatives {
			t.Fatalf("%q: %d alternatives", s, len(alts))
		}
	})
}

// fuzzEntry builds an entry from fuzz input: one "name:value" line per
// value.
func fuzzEntry(dn string, data []byte) *ldif.Entry {
	var pairs []string
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		if name, value, ok := bytes.Cut(line, []byte(":")); ok {
			pairs = append(pairs, string(name), string(value))
		}
	}
	return mkEntry(dn, pairs...)
}

// FuzzMatch evaluates any filter on any small entry, checking that Match
// agrees with the three-valued evaluation and is stable through String,
// and that every value normalises without panicking.
func FuzzMatch(f *testing.F) {
	f.Add("(&(objectClass=posixAccount)(uid=alice))", "uid=alice,dc=x", []byte("objectClass:posixAccount\nuid:alice"))
	f.Add("(member=uid=a,dc=x)", "cn=g,dc=x", []byte("member:UID=A, DC=X\nmember:cn=b+sn=c,dc=x"))
	f.Add("(|(cn=*li*)(sn>=a))", "cn=x", []byte("cn:Alice\ncn;lang-fr:Élodie\nsn:\xff"))
	f.Add("(uidNumber<=01000)", "uid=x", []byte("uidNumber:-0010\nuidNumber:1e3"))
	f.Add("(postalAddress=*x$y*)", "uid=x", []byte("postalAddress:a\\24b$c\\5Cd$"))
	f.Add("(:dn:=x)", "cn=x+sn=y,dc=z", []byte(""))
	f.Fuzz(func(t *testing.T, filter, dn string, data []byte) {
		flt, err := CompileFilter(filter)
		e := fuzzEntry(dn, data)
		for _, a := range e.Attributes {
			for _, v := range a.Values {
				NormalizeValue(a.Name, v)
			}
		}
		if err != nil {
			return
		}
		got := flt.Match(e)
		if v := flt.root.eval(e); got != (v == fltTrue) {
			t.Fatalf("Match %v, eval %v", got, v)
		}
		if again, err := CompileFilter(flt.String()); err == nil && again.Match(e) != got {
			t.Fatalf("%q: Match %v, %v after String() %q", filter, got, !got, flt.String())
		}
		for _, eq := range flt.Equalities() {
			if got {
				// An entry the filter matches satisfies each equality.
				single, err := CompileFilter("(" + eq.Attribute + "=" + ldap.EscapeFilter(eq.Value) + ")")
				if err != nil || !single.Match(e) {
					t.Fatalf("%q matches, but not its equality %s=%q", filter, eq.Attribute, eq.Value)
				}
			}
		}
		if alts, ok := flt.Alternatives(); ok && got && !slices.ContainsFunc(alts, func(conj []Equality) bool {
			for _, eq := range conj {
				single, err := CompileFilter("(" + eq.Attribute + "=" + ldap.EscapeFilter(eq.Value) + ")")
				if err != nil || !single.Match(e) {
					return false
				}
			}
			return true
		}) {
			t.Fatalf("%q matches, but no alternative of %v does", filter, alts)
		}
	})
}

// FuzzParseSortControl decodes any bytes as a sort control; what decodes
// re-encodes (as go-ldap's client does) to the same keys, and sorting
// with them never panics.
func FuzzParseSortControl(f *testing.F) {
	f.Add(sortValue(&ldap.SortKey{AttributeType: "uidNumber"}))
	f.Add(sortValue(&ldap.SortKey{AttributeType: "cn", MatchingRule: "caseIgnoreOrderingMatch", Reverse: true},
		&ldap.SortKey{AttributeType: "sn;x", MatchingRule: "2.5.13.3"}))
	f.Add([]byte{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x30})
	f.Add([]byte{0x30, 0x05, 0x30, 0x03, 0x04, 0x01, 0x61})
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := ParseSortControl(b)
		if err != nil {
			return
		}
		if len(keys) == 0 {
			t.Fatal("no key and no error")
		}
		var lk []*ldap.SortKey
		for _, k := range keys {
			lk = append(lk, &ldap.SortKey{AttributeType: k.Attribute, MatchingRule: k.OrderingRule, Reverse: k.Reverse})
		}
		again, err := ParseSortControl(sortValue(lk...))
		if err != nil || !slices.Equal(again, keys) {
			t.Fatalf("%+v re-encodes to %+v, %v", keys, again, err)
		}
		es := slices.Clone(fuzzEntries)
		if err := SortEntries(es, keys); err != nil {
			var se *SortError
			if !errors.As(err, &se) || se.Code == 0 {
				t.Fatalf("SortEntries: %v", err)
			}
		}
	})
}

// FuzzNormalizeDN checks schemas.NormalizeDN, and the DN matching rule,
// on any string: no panic, and an idempotent canonical form that parses.
func FuzzNormalizeDN(f *testing.F) {
	for _, s := range []string{"uid=alice,ou=users,dc=example,dc=org", "UID=Alice, OU=Users,DC=example,DC=org",
		"cn=a\\,b+sn=c,dc=x", "cn=#04024869,dc=x", "cn=\\c3\\a9lodie", "", "cn=a;ou=b", "cn= x \\ ", "2.5.4.3=x",
		"userid=a\\+b\\=c", "cn=\"quoted\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dn string) {
		// schemas.NormalizeDN keeps attribute types as ldap.ParseDN gives
		// them, and ParseDN unescapes types such as \" that no RFC 4512
		// type looks like; the result then does not parse again. Only DNs
		// with valid types are checked here.
		validTypes := true
		if parsed, err := ldap.ParseDN(dn); err == nil {
			for _, rdn := range parsed.RDNs {
				for _, a := range rdn.Attributes {
					validTypes = validTypes && mrValidOID(strings.TrimSpace(a.Type))
				}
			}
		}
		if n, err := schemas.NormalizeDN(dn); err == nil && validTypes {
			if _, err := ldap.ParseDN(n); err != nil {
				t.Fatalf("NormalizeDN(%q) = %q, which does not parse: %v", dn, n, err)
			}
			if again, err := schemas.NormalizeDN(n); err != nil || again != n {
				t.Fatalf("NormalizeDN(%q) = %q, then %q, %v", dn, n, again, err)
			}
		}
		n, ok := mrDN(nil, []byte(dn))
		if !ok {
			return
		}
		if _, err := ldap.ParseDN(string(n)); err != nil {
			t.Fatalf("mrDN(%q) = %q, which does not parse: %v", dn, n, err)
		}
		if again, ok := mrDN(nil, n); !ok || !bytes.Equal(again, n) {
			t.Fatalf("mrDN(%q) = %q, then %q, %v", dn, n, again, ok)
		}
		if fast, ok := mrDNFast(nil, []byte(dn), nil); ok && !bytes.Equal(fast, n) {
			t.Fatalf("%q: fast path %q, slow path %q", dn, fast, n)
		}
		if strings.Contains(string(n), ", ") {
			t.Fatalf("mrDN(%q) = %q keeps a space after a comma", dn, n)
		}
	})
}
