package ldapserver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/store/ldif"
)

// compileFilterOld is CompileFilter as it was before filter_parse.go:
// go-ldap's ldap.CompileFilter, then a tree built from its BER packets.
// It is the reference of FuzzParseEquivalence.
func compileFilterOld(s string) (*Filter, error) {
	if err := fltPrecheck(s); err != nil {
		return nil, err
	}
	p, err := ldap.CompileFilter(s)
	if err != nil {
		var le *ldap.Error
		if errors.As(err, &le) && le.Err != nil {
			err = le.Err
		}
		msg := strings.TrimPrefix(err.Error(), "ldap: ")
		if i := strings.Index(msg, " with extra at end"); i >= 0 {
			msg = msg[:i] + " with extra text at the end"
		}
		return nil, fmt.Errorf("invalid filter: %s", msg)
	}
	c := fltCompiler{}
	root, err := c.buildBER(p, 1)
	if err != nil {
		return nil, err
	}
	return &Filter{root: root, attrs: c.attrs}, nil
}

var errFilterShape = errors.New("invalid filter: unexpected structure")

// buildBER builds a filter from go-ldap's BER tree.
func (c *fltCompiler) buildBER(p *ber.Packet, depth int) (fltNode, error) {
	if c.terms++; c.terms > MaxFilterTerms {
		return nil, fmt.Errorf("%w: more than %d filters", ErrFilterLimit, MaxFilterTerms)
	}
	if depth > MaxFilterDepth {
		return nil, fmt.Errorf("%w: filters nested deeper than %d levels", ErrFilterLimit, MaxFilterDepth)
	}
	kids := p.Children
	data := func(i int) []byte { return kids[i].Data.Bytes() }
	switch p.Tag {
	case ldap.FilterAnd, ldap.FilterOr:
		set := make([]fltNode, 0, len(kids))
		for _, k := range kids {
			n, err := c.buildBER(k, depth+1)
			if err != nil {
				return nil, err
			}
			set = append(set, n)
		}
		if p.Tag == ldap.FilterAnd {
			return fltAnd(set), nil
		}
		return fltOr(set), nil
	case ldap.FilterNot:
		if len(kids) != 1 {
			return nil, errFilterShape
		}
		n, err := c.buildBER(kids[0], depth+1)
		return fltNot{n}, err
	case ldap.FilterPresent:
		return c.item(&fltItem{op: opPresent, desc: string(p.Data.Bytes())}), nil
	case ldap.FilterEqualityMatch, ldap.FilterGreaterOrEqual, ldap.FilterLessOrEqual, ldap.FilterApproxMatch:
		if len(kids) != 2 {
			return nil, errFilterShape
		}
		op := opEqual
		switch p.Tag {
		case ldap.FilterGreaterOrEqual:
			op = opGreater
		case ldap.FilterLessOrEqual:
			op = opLess
		case ldap.FilterApproxMatch:
			op = opApprox
		}
		return c.item(&fltItem{op: op, desc: string(data(0)), value: slices.Clone(data(1))}), nil
	case ldap.FilterSubstrings:
		if len(kids) != 2 {
			return nil, errFilterShape
		}
		// pieces: initial (or nil), any…, final (or nil).
		var initial, final []byte
		var anys [][]byte
		parts := kids[1].Children
		for i, k := range parts {
			v := slices.Clone(k.Data.Bytes())
			switch {
			case k.Tag == ldap.FilterSubstringsInitial && i == 0:
				initial = v
			case k.Tag == ldap.FilterSubstringsFinal && i == len(parts)-1:
				final = v
			case k.Tag == ldap.FilterSubstringsAny:
				anys = append(anys, v)
			default:
				return nil, errFilterShape
			}
		}
		it := &fltItem{op: opSubstrings, desc: string(data(0)), pieces: append(append([][]byte{initial}, anys...), final)}
		return c.item(it), nil
	case ldap.FilterExtensibleMatch:
		it := &fltItem{op: opExtensible}
		for _, k := range kids {
			switch k.Tag {
			case ldap.MatchingRuleAssertionMatchingRule:
				it.rule = string(k.Data.Bytes())
			case ldap.MatchingRuleAssertionType:
				it.desc = string(k.Data.Bytes())
			case ldap.MatchingRuleAssertionMatchValue:
				it.value = slices.Clone(k.Data.Bytes())
			case ldap.MatchingRuleAssertionDNAttributes:
				it.dnAttrs, _ = k.Value.(bool)
			}
		}
		return c.item(it), nil
	}
	return nil, errFilterShape
}

// trickyFilters exercise the corners of go-ldap's filter syntax.
var trickyFilters = []string{
	// Structure.
	"(!cn=x)", "(!!cn=x)", "(!(!(cn=x)))", "(!&(cn=x))", "(!|)", "(!(&))", "(((cn=x)))", "((cn=x)", "(&((cn=x)))",
	"(&(cn=x)(!cn=y))", "(&(cn=x) )", "( cn=x)", "(cn=x )", "(&(cn=x)", "(&", "(!", "(", ")", "()", "(&)(", "(cn=x))",
	"(!)", "(!(cn=x)(cn=y))", "(|(&)(|))", "(&(|(!(a=b))))", "(!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!a=b)",
	"(&&(a=b))", "(&!(a=b))", "(a=b)x", "(a=b)(", "x(a=b)", "",
	// Attribute descriptions and operators.
	"(=x)", "(=*)", "(=)", "(cn)", "(cn>x)", "(cn<x)", "(cn~x)", "(cn>=x)", "(cn<=)", "(cn~=)", "(cn=>=x)", "(cn>==x)",
	"(c\\6e=x)", "(cn;lang-fr;x-y=x)", "(cn;=x)", "(cn;LANG-FR=x)", "(2.5.4.3=x)", "(2.5.04.3=x)", "(a(b=c)", "(a&b=c)",
	"(é=x)", "(cn\\=x)", "(CN=X)", "(userPassword=*)", "(userPassword=x)", "(objectClass=*)", "(objectclass=top)",
	// Values.
	"(cn=)", "(cn=*)", "(cn=**)", "(cn=***)", "(cn=a**)", "(cn=**a)", "(cn=*a*)", "(cn=a*b*)", "(cn=*a*b*c*)", "(cn=a*b*c)",
	"(cn=\\2a)", "(cn=\\2A)", "(cn=\\2a*)", "(cn=*\\2a*)", "(cn=\\5c)", "(cn=\\5C2a)", "(cn=\\)", "(cn=\\2)", "(cn=\\2*)",
	"(cn=\\*)", "(cn=\\*2)", "(cn=a\\)", "(cn=\\zz)", "(cn=\\2z)", "(cn=\\z2)", "(cn=\\c3)", "(cn=\\c3\\a9)", "(cn=\\00)",
	"(cn=\\ff)", "(cn=\\é)", "(cn=\\2é)", "(cn=(x)", "(cn=x=y)", "(cn= x )", "(cn=\\20x\\20)", "(cn>=*)", "(cn<=a*)",
	"(cn~=*)", "(cn~=a*b)", "(cn=\\28\\29)", "(cn=&)", "(cn=!)", "(cn=|)", "(cn=\\ef\\bf\\bd)", "(cn=\\EF\\BF\\BD)",
	"(cn=\x00)", "(cn=\t)", "(cn=\n)", "(cn=é)", "(cn=\xff)", "(cn=\xc3)", "(cn=\xc3(\xa9)", "(cn=\xef\xbf\xbd)",
	"(\xef\xbf\xbd=x)", "(\xff", "(&\xff)", "(!\xff)", "(cn=\xed\xa0\x80)", "(cn=\xc0\xaf)", "(cn=\U0010FFFF)",
	"(uidNumber=1000)", "(uidNumber=abc)", "(uidNumber>=01000)", "(createTimestamp>=2025)",
	// Extensible matches.
	"(cn:=x)", "(:=x)", "(:dn:=x)", "(cn:dn:=x)", "(cn:DN:=x)", "(cn:Dn:=x)", "(cn:dn:caseExactMatch:=x)",
	"(cn:caseExactMatch:=x)", "(cn:2.5.13.5:=x)", "(cn:caseExactMatch:dn:=x)", "(cn:dn:dn:=x)", "(cn:dn:)", "(cn:dn)",
	"(cn:)", "(cn:rule)", "(cn::=x)", "(cn:a:b:=x)", "(cn:=)", "(cn:=*)", "(cn:=a*b)", "(cn:=\\2a)", "(cn:=\\zz)",
	"(::=x)", "(:::=x)", "(:dn:dn:=x)", "(:dn::=x)", "(:dn)", "(:)", "(:caseIgnoreMatch:=x)", "(:integerMatch:=1)",
	"(cn:caseIgnoreSubstringsMatch:=a*b)", "(uidNumber:1.2.840.113556.1.4.803:=8)", "(uidNumber:1.2.840.113556.1.4.804:=x)",
	"(cn:dn:=x=y)", "(cn:=x:=y)", "(cn=x:=y)", "(cn:x=y)", "(cn:x>=y:=z)", "(cn:é:=x)", "(cn:\\41:=x)",
	"(ou:dn:=users)", "(:dn:caseIgnoreMatch:=groups)", "(member:dn:distinguishedNameMatch:=uid=alice,ou=users,dc=example,dc=org)",
	"(objectClass:=person)", "(objectClass:objectIdentifierMatch:=2.5.6.6)", "(userPassword:=x)", "(:octetStringMatch:=x)",
	// Limits: chains of "!" without parentheses, items beyond the terms
	// limit, parentheses within values.
	"(" + strings.Repeat("!", MaxFilterDepth-1) + "a=b)", "(" + strings.Repeat("!", MaxFilterDepth) + "a=b)",
	"(" + strings.Repeat("!", MaxFilterDepth) + "a=b)x", "(" + strings.Repeat("!", MaxFilterDepth) + "a=\\zz)",
	"(|" + strings.Repeat("(a=b)", MaxFilterTerms) + ")", "(|" + strings.Repeat("(a=b)", MaxFilterTerms-1) + ")",
	"(|" + strings.Repeat("(a=b)", MaxFilterTerms) + "x)", "(|" + strings.Repeat("(!a=b)", MaxFilterTerms) + ")",
	"(|" + strings.Repeat("(a=b)", MaxFilterTerms) + "(a=\\zz))",
	strings.Repeat("(", MaxFilterDepth) + "a=b" + strings.Repeat(")", MaxFilterDepth),
	strings.Repeat("(", MaxFilterDepth+1) + "a=b" + strings.Repeat(")", MaxFilterDepth+1),
	"(&" + strings.Repeat("(!", MaxFilterDepth/2) + "(a=b)" + strings.Repeat(")", MaxFilterDepth/2) + ")",
	"(cn=" + strings.Repeat("(", MaxFilterDepth) + ")", "(cn=" + strings.Repeat("(", MaxFilterDepth-1) + ")",
	"(|" + strings.Repeat("(a=b)", MaxFilterTerms) + "(" + strings.Repeat("!", MaxFilterDepth) + "a=b))",
	"(|(" + strings.Repeat("!", MaxFilterDepth) + "a=b)" + strings.Repeat("(a=b)", MaxFilterTerms) + ")",
	"(cn=" + strings.Repeat("x", MaxFilterSize-5) + ")", "(cn=" + strings.Repeat("x", MaxFilterSize-4) + ")",
	"(cn=" + strings.Repeat("\\2a", (MaxFilterSize-5)/3) + ")", "(cn=" + strings.Repeat("*\\c3\\a9", (MaxFilterSize-5)/7) + ")",
}

// benchFilters are typical filters of nslcd, sssd and mail servers.
var benchFilters = []struct{ name, filter string }{
	{"nslcd-user", "(&(objectClass=posixAccount)(uid=user000123))"},
	{"nslcd-uidNumber", "(&(objectClass=posixAccount)(uidNumber=10123))"},
	{"nslcd-group-member", "(&(objectClass=posixGroup)(|(memberUid=user000123)(member=uid=user000123,ou=users,dc=example,dc=org)))"},
	{"sssd-user", "(&(uid=user000123)(objectclass=posixAccount)(&(uidNumber=*)(!(uidNumber=0))))"},
	{"mail-address", "(&(objectClass=inetOrgPerson)(mail=user000123@example.org))"},
	{"mail-login", "(&(objectClass=person)(|(uid=user000123)(mail=user000123@example.org)))"},
	{"escaped-substring", "(cn=*user\\20000123*)"},
}

// BenchmarkCompileFilterParsers compares CompileFilter with the former
// path through go-ldap on typical filters of nslcd, sssd and mail servers.
func BenchmarkCompileFilterParsers(b *testing.B) {
	for _, bc := range benchFilters {
		for _, impl := range []struct {
			name    string
			compile func(string) (*Filter, error)
		}{{"old", compileFilterOld}, {"new", CompileFilter}} {
			b.Run(bc.name+"/"+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := impl.compile(bc.filter); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// fuzzSeedsFromSources returns the string literals that look like
// filters in the package's test files, and the filters of the corpora of
// FuzzCompileFilter and FuzzMatch.
func fuzzSeedsFromSources(t testing.TB) []string {
	var seeds []string
	files, _ := filepath.Glob("*_test.go")
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var sc scanner.Scanner
		fset := token.NewFileSet()
		sc.Init(fset.AddFile(name, -1, len(src)), src, nil, 0)
		for {
			_, tok, lit := sc.Scan()
			if tok == token.EOF {
				break
			}
			if tok != token.STRING {
				continue
			}
			if v, err := strconv.Unquote(lit); err == nil && strings.HasPrefix(v, "(") {
				seeds = append(seeds, v)
			}
		}
	}
	for _, dir := range []string{"FuzzCompileFilter", "FuzzMatch"} {
		entries, _ := filepath.Glob(filepath.Join("testdata", "fuzz", dir, "*"))
		for _, name := range entries {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(bytes.NewReader(data))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				line := sc.Text()
				if lit, ok := strings.CutPrefix(line, "string("); ok {
					if v, err := strconv.Unquote(strings.TrimSuffix(lit, ")")); err == nil {
						seeds = append(seeds, v)
					}
					break // the first string is the filter
				}
			}
		}
	}
	return seeds
}

// equivalenceEntries are the entries on which FuzzParseEquivalence
// compares the two parsers' filters.
var equivalenceEntries struct {
	sync.Once
	entries []*ldif.Entry
}

// equivalentEntries returns equivalenceEntries.entries, reading them the
// first time.
func equivalentEntries(t *testing.T) []*ldif.Entry {
	equivalenceEntries.Do(func() {
		es := append(slices.Clone(fuzzEntries), crossEntries(t)...)
		es = append(es, benchUser(123), mkEntry("cn=staff,ou=groups,dc=example,dc=org", "objectClass", "top",
			"objectClass", "groupOfNames", "objectClass", "posixGroup", "cn", "staff", "gidNumber", "10000",
			"memberUid", "user000123", "member", "uid=user000123,ou=users,dc=example,dc=org"))
		equivalenceEntries.entries = es
	})
	return equivalenceEntries.entries
}

// fltDiff describes how two filter trees differ, or returns "".
func fltDiff(a, b fltNode) string {
	if reflect.TypeOf(a) != reflect.TypeOf(b) {
		return fmt.Sprintf("node %T, %T", a, b)
	}
	kids := func(x, y []fltNode) string {
		if len(x) != len(y) {
			return fmt.Sprintf("%d, %d children", len(x), len(y))
		}
		for i := range x {
			if d := fltDiff(x[i], y[i]); d != "" {
				return d
			}
		}
		return ""
	}
	switch a := a.(type) {
	case fltAnd:
		return kids(a, b.(fltAnd))
	case fltOr:
		return kids(a, b.(fltOr))
	case fltNot:
		return fltDiff(a.kid, b.(fltNot).kid)
	case *fltItem:
		b := b.(*fltItem)
		sameBytes := func(x, y []byte) bool { return bytes.Equal(x, y) && (x == nil) == (y == nil) }
		switch {
		case a.op != b.op || a.desc != b.desc || a.rule != b.rule || a.dnAttrs != b.dnAttrs:
			return fmt.Sprintf("item %d %q %q %v, %d %q %q %v", a.op, a.desc, a.rule, a.dnAttrs, b.op, b.desc, b.rule, b.dnAttrs)
		case !sameBytes(a.value, b.value):
			return fmt.Sprintf("value %q (nil %v), %q (nil %v)", a.value, a.value == nil, b.value, b.value == nil)
		case len(a.pieces) != len(b.pieces):
			return fmt.Sprintf("pieces %q, %q", a.pieces, b.pieces)
		case a.undefined != b.undefined || a.at != b.at || a.anyRule != b.anyRule ||
			!slices.Equal(a.names, b.names) || !slices.Equal(a.options, b.options):
			return fmt.Sprintf("item %s: resolved differently", a.desc)
		case !reflect.DeepEqual(a.m, b.m):
			return fmt.Sprintf("item %s: matchers %+v, %+v", a.desc, a.m, b.m)
		}
		for i := range a.pieces {
			if !sameBytes(a.pieces[i], b.pieces[i]) {
				return fmt.Sprintf("pieces %q, %q", a.pieces, b.pieces)
			}
		}
		return ""
	case nil:
		return ""
	}
	return fmt.Sprintf("unknown node %T", a)
}

// checkEquivalence requires CompileFilter and compileFilterOld to agree
// on s: the same error, or filters of the same structure, String form,
// attributes, index helpers and results.
func checkEquivalence(t *testing.T, s string) {
	t.Helper()
	got, gotErr := CompileFilter(s)
	want, wantErr := compileFilterOld(s)
	if gotErr != nil || wantErr != nil {
		switch {
		case gotErr == nil:
			t.Fatalf("%q: compiles to %s; the old path says %v", s, got, wantErr)
		case wantErr == nil:
			t.Fatalf("%q: %v; the old path compiles it to %s", s, gotErr, want)
		case gotErr.Error() != wantErr.Error() || errors.Is(gotErr, ErrFilterLimit) != errors.Is(wantErr, ErrFilterLimit):
			t.Fatalf("%q: error %q, old path %q", s, gotErr, wantErr)
		}
		return
	}
	if d := fltDiff(got.root, want.root); d != "" {
		t.Fatalf("%q: trees differ: %s", s, d)
	}
	if g, w := got.String(), want.String(); g != w {
		t.Fatalf("%q: String() %q, old path %q", s, g, w)
	}
	if g, w := got.Attributes(), want.Attributes(); !slices.Equal(g, w) {
		t.Fatalf("%q: Attributes() %q, old path %q", s, g, w)
	}
	if g, w := got.Equalities(), want.Equalities(); !slices.Equal(g, w) {
		t.Fatalf("%q: Equalities() %q, old path %q", s, g, w)
	}
	ga, gok := got.Alternatives()
	wa, wok := want.Alternatives()
	if gok != wok || !reflect.DeepEqual(ga, wa) {
		t.Fatalf("%q: Alternatives() %v %v, old path %v %v", s, ga, gok, wa, wok)
	}
	for _, e := range equivalentEntries(t) {
		if g, w := got.root.eval(e), want.root.eval(e); g != w {
			t.Fatalf("%q on %s: %v, old path %v", s, e.DN, g, w)
		}
	}
}

// FuzzParseEquivalence checks that CompileFilter accepts exactly the
// filters that go-ldap's parser accepted, with the same errors, and
// compiles them to the same filters.
func FuzzParseEquivalence(f *testing.F) {
	for _, s := range slices.Concat(fuzzFilters, crossFilters, trickyFilters, fuzzSeedsFromSources(f)) {
		if len(s) <= 1024 { // the fuzzer is slow on the long filters of the limit tests
			f.Add(s)
		}
	}
	for _, bc := range benchFilters {
		f.Add(bc.filter)
	}
	f.Fuzz(checkEquivalence)
}

// TestParseEquivalence runs the equivalence check on the tricky filters
// and on every filter of the package's tests and corpora, whether or not
// fuzzing is on.
func TestParseEquivalence(t *testing.T) {
	for _, s := range slices.Concat(fuzzFilters, crossFilters, trickyFilters, fuzzSeedsFromSources(t)) {
		checkEquivalence(t, s)
	}
}

// TestCompileFilterQuirks pins down the peculiarities of go-ldap's syntax
// that CompileFilter keeps, so that a change of either parser shows.
func TestCompileFilterQuirks(t *testing.T) {
	for in, want := range map[string]string{
		"(!cn=x)":                  "(!(cn=x))", // "!" without parentheses
		"(|(!!a=b)(&))":            "(|(!(!(a=b)))(&))",
		"(((cn=x)))":               "(cn=x)",
		"(cn:rule)":                "(cn:rule:=)", // no ":=": the empty value
		"(cn:dn:)":                 "(cn:dn:=)",
		"(cn:DN:=x)":               "(cn:DN:=x)", // the rule "DN", not dnAttributes
		"(cn:a:b:=x)":              "(cn:a:b:=x)",
		"(cn=\\2A)":                "(cn=\\2a)",
		"(cn=a**b)":                "(cn=a*b)",
		"(cn>=*)":                  "(cn>=\\2a)", // "*" is a substring only in equality
		"(cn:=a*b)":                "(cn:=a\\2ab)",
		"(c\\6e=x)":                "(c\\6e=x)", // not unescaped (and Undefined)
		"( cn=x)":                  "( cn=x)",   // nor trimmed
		"(cn=x )":                  "(cn=x )",
		"(cn=\\c3\\a9*)":           "(cn=\\c3\\a9*)",
		"(cn=é)":                   "(cn=\\c3\\a9)",
		"(cn=a=b:=c~=d)":           "(cn=a=b:=c~=d)",
		"(cn=\\00\x00)":            "(cn=\\00\\00)",
		"(a(b&c|d!e=f)":            "(a(b&c|d!e=f)",
		"(cn=\\28(\\29)":           "(cn=\\28\\28\\29)",
		"(:dn:caseIgnoreMatch:=x)": "(:dn:caseIgnoreMatch:=x)",
	} {
		for name, compile := range map[string]func(string) (*Filter, error){"new": CompileFilter, "old": compileFilterOld} {
			f, err := compile(in)
			if err != nil {
				t.Errorf("%s %q: %v", name, in, err)
			} else if got := f.String(); got != want {
				t.Errorf("%s %q: String() = %q, want %q", name, in, got, want)
			}
		}
	}
	for in, want := range map[string]string{
		"(cn=\\2*)":          "missing characters for escape in filter",
		"(cn=\\*)":           "invalid characters for escape in filter: EOF",
		"(cn=\\2g)":          "invalid characters for escape in filter: encoding/hex: invalid byte: U+0067 'g'",
		"(&(cn=x) )":         "expected ')' at position 8",
		"(cn=\xef\xbf\xbd)":  "error reading rune at position 4",
		"(cn=\\ef\\bf\\bd)x": "finished compiling filter with extra text at the end",
		"(cn)":               "error parsing filter",
		"(cn=x":              "unexpected end of filter",
		"cn=x":               "filter does not start with an '('",
		"(!(cn=x)(cn=y))":    "expected ')' at position 8",
		"(!)":                "error parsing filter",
	} {
		for name, compile := range map[string]func(string) (*Filter, error){"new": CompileFilter, "old": compileFilterOld} {
			if _, err := compile(in); err == nil || err.Error() != "invalid filter: "+want {
				t.Errorf("%s %q: error %v, want %q", name, in, err, want)
			}
		}
	}
}

// TestCompileFilterAllocs bounds the allocations of CompileFilter: the
// Filter, one per AND, OR and NOT node, and what preparing assertion
// values takes (none for unknown attribute types).
func TestCompileFilterAllocs(t *testing.T) {
	for s, want := range map[string]float64{
		"(foo=bar)":                         1,
		"(&(foo=bar)(baz=qux))":             2,
		"(&(foo=a\\2ab)(!(baz=*))(|(x=y)))": 5, // Filter, AND, NOT, OR, items beyond the Filter's storage
		"(|(a=1)(b=2)(c=3)(d=4)(e=5)(f=6))": 5, // Filter, OR, items and children beyond it, c (countryName)
		// Preparing the values of known types allocates (mrMatcher.compile).
		"(uid=user000123)": 3,
		"(&(objectClass=posixAccount)(uid=user000123))": 10,
	} {
		if n := testing.AllocsPerRun(100, func() {
			if _, err := CompileFilter(s); err != nil {
				t.Fatal(err)
			}
		}); n > want {
			t.Errorf("%s: %v allocations, want at most %v", s, n, want)
		}
	}
}
