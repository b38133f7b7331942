package ldapserver

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/canaille-go/canaille/store/ldif"
)

func TestCompileFilterErrors(t *testing.T) {
	for _, s := range []string{"", "cn=x", "(cn=x", "(cn=x))", "((cn=x)", "(&(cn=x)", "(cn=\\zz)",
		"(cn=\\2)", "(cn=x)(cn=y)", "(!(cn=x)(cn=y))", "(=x)x", "(\xff=x)", "(cn=\xff)"} {
		f, err := CompileFilter(s)
		if err == nil {
			t.Errorf("CompileFilter(%q) = %s, want an error", s, f)
			continue
		}
		if errors.Is(err, ErrFilterLimit) || !strings.HasPrefix(err.Error(), "invalid filter: ") {
			t.Errorf("CompileFilter(%q): unexpected error %v", s, err)
		}
	}
	// The error never quotes the filter.
	_, err := CompileFilter("(uid=alice)secret-remainder")
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("error %v", err)
	}
}

func TestCompileFilterLimits(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("(!", n-1) + "(cn=x)" + strings.Repeat(")", n-1) }
	if _, err := CompileFilter(nest(MaxFilterDepth)); err != nil {
		t.Errorf("depth %d: %v", MaxFilterDepth, err)
	}
	terms := func(n int) string { return "(|" + strings.Repeat("(cn=x)", n-1) + ")" }
	if _, err := CompileFilter(terms(MaxFilterTerms)); err != nil {
		t.Errorf("%d terms: %v", MaxFilterTerms, err)
	}
	for name, s := range map[string]string{
		"deep":      nest(MaxFilterDepth + 1),
		"very deep": strings.Repeat("(", 100000),
		"terms":     terms(MaxFilterTerms + 1),
		"long":      "(cn=" + strings.Repeat("x", MaxFilterSize) + ")",
	} {
		_, err := CompileFilter(s)
		if !errors.Is(err, ErrFilterLimit) {
			t.Errorf("%s: %v, want ErrFilterLimit", name, err)
		}
	}
}

func TestFilterString(t *testing.T) {
	for in, want := range map[string]string{
		"(cn=x)":                           "(cn=x)",
		"((cn=x))":                         "(cn=x)",
		"(CommonName=\\41b)":               "(CommonName=Ab)",
		"(cn=a\\2a*)":                      "(cn=a\\2a*)",
		"(cn=\\28x\\29)":                   "(cn=\\28x\\29)",
		"(cn=*a**b*)":                      "(cn=*a*b*)",
		"(cn=a*)":                          "(cn=a*)",
		"(cn=*a)":                          "(cn=*a)",
		"(cn=**)":                          "(cn=**)",
		"(cn=*)":                           "(cn=*)",
		"(cn=)":                            "(cn=)",
		"(cn=\\c3\\a9)":                    "(cn=\\c3\\a9)",
		"(cn=é)":                           "(cn=\\c3\\a9)",
		"(&(a=b)(|(c>=d)(e<=f))(!(g~=h)))": "(&(a=b)(|(c>=d)(e<=f))(!(g~=h)))",
		"(&)":                              "(&)",
		"(|)":                              "(|)",
		"(cn:dn:caseExactMatch:=x)":        "(cn:dn:caseExactMatch:=x)",
		"(:dn:2.5.13.5:=x)":                "(:dn:2.5.13.5:=x)",
		"(cn:=x)":                          "(cn:=x)",
		"(cn;lang-fr=x)":                   "(cn;lang-fr=x)",
	} {
		f, err := CompileFilter(in)
		if err != nil {
			t.Errorf("CompileFilter(%q): %v", in, err)
			continue
		}
		if got := f.String(); got != want {
			t.Errorf("CompileFilter(%q).String() = %q, want %q", in, got, want)
		}
		g, err := CompileFilter(f.String())
		if err != nil || g.String() != f.String() {
			t.Errorf("%q does not recompile to itself: %v %v", f, g, err)
		}
	}
}

func TestEqualities(t *testing.T) {
	eqs := func(s string) string {
		f, err := CompileFilter(s)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, e := range f.Equalities() {
			parts = append(parts, e.Attribute+"="+e.Value+"→"+e.Normalized)
		}
		return strings.Join(parts, " ")
	}
	for in, want := range map[string]string{
		"(&(objectClass=posixAccount)(uid=user000123))": "objectClass=posixAccount→1.3.6.1.1.1.2.0 uid=user000123→user000123",
		"(userid= Alice )":                        "uid= Alice →alice",
		"(&(uid=a)(&(mail=B@x)(cn=*)))":           "uid=a→a mail=B@x→b@x",
		"(member=UID=Alice, OU=users,dc=x)":       "member=UID=Alice, OU=users,dc=x→uid=alice,ou=users,dc=x",
		"(uidNumber=01000)":                       "uidNumber=01000→1000",
		"(|(uid=a)(uid=b))":                       "",
		"(!(uid=a))":                              "",
		"(uid~=a)":                                "",
		"(uid:=a)":                                "",
		"(&(userPassword=x)(foo=y)(uidNumber=z))": "",
		"(uid=*)":                                 "",
	} {
		if got := eqs(in); got != want {
			t.Errorf("Equalities(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestAlternatives(t *testing.T) {
	alts := func(s string) string {
		f, err := CompileFilter(s)
		if err != nil {
			t.Fatal(err)
		}
		a, ok := f.Alternatives()
		if !ok {
			return "scan"
		}
		var out []string
		for _, conj := range a {
			var parts []string
			for _, e := range conj {
				parts = append(parts, e.Attribute+"="+e.Value)
			}
			out = append(out, "["+strings.Join(parts, " ")+"]")
		}
		return strings.Join(out, "")
	}
	many := "(&" + strings.Repeat("(|(uid=a)(uid=b))", 7) + ")"
	for in, want := range map[string]string{
		"(uid=a)":           "[uid=a]",
		"(|(uid=a)(uid=b))": "[uid=a][uid=b]",
		"(&(objectClass=posixAccount)(|(uid=a)(mail=b)))": "[objectClass=posixAccount uid=a][objectClass=posixAccount mail=b]",
		"(&(|(uid=a)(uid=b))(|(cn=c)(cn=d)))":             "[uid=a cn=c][uid=a cn=d][uid=b cn=c][uid=b cn=d]",
		"(&(uid=a)(cn=*))":                                "[uid=a]",
		"(|(uid=a)(cn=*))":                                "scan",
		"(cn=*)":                                          "scan",
		"(&)":                                             "scan",
		"(|)":                                             "",
		"(&(uid=a)(|))":                                   "",
		"(|(uid=a)(foo=b))":                               "[uid=a]",
		"(!(foo=b))":                                      "",
		"(!(uid=a))":                                      "scan",
		"(|(uid=a)(!(foo=b)))":                            "[uid=a]",
	} {
		if got := alts(in); got != want {
			t.Errorf("Alternatives(%s) = %s, want %s", in, got, want)
		}
	}
	if got := alts(many); strings.Count(got, "[") > MaxAlternatives || got == "scan" {
		t.Errorf("Alternatives of 7 two-way ORs: %d alternatives", strings.Count(got, "["))
	}
}

func TestAttributes(t *testing.T) {
	f, err := CompileFilter("(&(objectClass=posixAccount)(|(memberOf=x)(CN=y)(foo=z)(commonName=w)(entryuuid>=1)))")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Attributes(); !slices.Equal(got, []string{"objectClass", "memberOf", "cn", "entryUUID"}) {
		t.Errorf("Attributes() = %v", got)
	}
	f, _ = CompileFilter("(|(:caseExactMatch:=x)(uid:dn:=y))")
	if got := f.Attributes(); !slices.Equal(got, []string{"*", "uid"}) {
		t.Errorf("Attributes() = %v", got)
	}
}

// benchUser is a typical user entry with 20 attributes.
func benchUser(i int) *ldif.Entry {
	uid := fmt.Sprintf("user%06d", i)
	return testEntry("uid="+uid+",ou=users,dc=example,dc=org",
		"objectClass", "top", "objectClass", "person", "objectClass", "organizationalPerson",
		"objectClass", "inetOrgPerson", "objectClass", "posixAccount", "objectClass", "shadowAccount",
		"uid", uid, "cn", "User "+uid, "sn", "Number "+uid, "givenName", "User", "displayName", "User "+uid,
		"mail", uid+"@example.org", "telephoneNumber", "+33 1 23 45 67 89", "uidNumber", fmt.Sprint(10000+i),
		"gidNumber", "10000", "homeDirectory", "/home/"+uid, "loginShell", "/bin/bash",
		"preferredLanguage", "fr", "title", "Engineer", "employeeNumber", fmt.Sprint(i),
		"entryUUID", "7d444840-9dc0-11d1-b245-5ffdce74fad2", "createTimestamp", "20250304050607Z",
		"modifyTimestamp", "20250304050607Z")
}

func BenchmarkMatch(b *testing.B) {
	hit, miss := benchUser(123), benchUser(124)
	group := testEntry("cn=staff,ou=groups,dc=example,dc=org", "objectClass", "top", "objectClass", "groupOfNames",
		"objectClass", "posixGroup", "cn", "staff", "gidNumber", "10000")
	members := ldif.Attribute{Name: "member"}
	for i := range 1000 {
		members.Values = append(members.Values, []byte(fmt.Sprintf("uid=user%06d,ou=users,dc=example,dc=org", i)))
	}
	group.Attributes = append(group.Attributes, members)
	for _, bc := range []struct {
		name, filter string
		e            *ldif.Entry
		want         bool
	}{
		{"nslcd-hit", "(&(objectClass=posixAccount)(uid=user000123))", hit, true},
		{"nslcd-miss", "(&(objectClass=posixAccount)(uid=user000123))", miss, false},
		{"substring", "(|(cn=*ser user0001*)(mail=nobody*))", hit, true},
		{"uidNumber-range", "(&(uidNumber>=10000)(uidNumber<=10200))", hit, true},
		{"group-member-1000", "(&(objectClass=posixGroup)(member=uid=user000999,ou=users,dc=example,dc=org))", group, true},
		{"group-member-spaced", "(member=UID=user000999, ou=users, dc=example, dc=org)", group, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f, err := CompileFilter(bc.filter)
			if err != nil {
				b.Fatal(err)
			}
			if f.Match(bc.e) != bc.want {
				b.Fatalf("Match = %v", !bc.want)
			}
			b.ReportAllocs()
			for b.Loop() {
				f.Match(bc.e)
			}
		})
	}
}

func BenchmarkCompileFilter(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CompileFilter("(&(objectClass=posixAccount)(uid=user000123))"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	e := benchUser(123)
	for _, s := range []string{"(&(objectClass=posixAccount)(uid=user000123))", "(cn=*ser*)",
		"(&(uidNumber>=10000)(!(mail=x@y)))", "(member=uid=a,dc=x)", "(telephoneNumber=+33123456789)"} {
		f, err := CompileFilter(s)
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { f.Match(e) }); n != 0 {
			t.Errorf("%s: %v allocations per Match", s, n)
		}
	}
}
