package schemas

import (
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
)

// schemaPair is one schema in its two formats.
type schemaPair struct {
	name          string
	ldif, conf    []byte
	dn            string
	arc           string
	attrs, traits int // attribute types, object classes
}

func schemaPairs() []schemaPair {
	return []schemaPair{
		{"oauth2", OAuthLDIF(), OAuthSchema(), "cn=oauth,cn=schema,cn=config", OAuthArc, 61, 4},
		{"extension", ExtensionLDIF(), ExtensionSchema(), "cn=canaille,cn=schema,cn=config", ExtensionArc, 27, 9},
	}
}

// TestOpenLDAPSchemaFormatsAgree parses both formats of each schema and
// checks that they define exactly the same things, in the same order.
func TestOpenLDAPSchemaFormatsAgree(t *testing.T) {
	for _, p := range schemaPairs() {
		t.Run(p.name, func(t *testing.T) {
			l, err := ParseSchemaLDIF(p.ldif)
			if err != nil {
				t.Fatalf("LDIF: %v", err)
			}
			c, err := ParseSchemaFile(p.conf)
			if err != nil {
				t.Fatalf("slapd.conf file: %v", err)
			}
			if l.DN != p.dn {
				t.Errorf("LDIF DN %q, want %q", l.DN, p.dn)
			}
			if len(l.AttributeTypes) != p.attrs || len(l.ObjectClasses) != p.traits {
				t.Errorf("LDIF: %d attribute types and %d object classes, want %d and %d",
					len(l.AttributeTypes), len(l.ObjectClasses), p.attrs, p.traits)
			}
			defs := func(s *OpenLDAPSchema) (out []string) {
				for _, a := range s.AttributeTypes {
					out = append(out, a.Definition())
				}
				for _, o := range s.ObjectClasses {
					out = append(out, o.Definition())
				}
				return out
			}
			ld, cd := defs(l), defs(c)
			if !slices.Equal(ld, cd) {
				for i := range max(len(ld), len(cd)) {
					var a, b string
					if i < len(ld) {
						a = ld[i]
					}
					if i < len(cd) {
						b = cd[i]
					}
					if a != b {
						t.Errorf("definition %d differs:\nLDIF:   %s\nschema: %s", i, a, b)
					}
				}
			}
		})
	}
}

// TestOpenLDAPSchemaOIDs checks the arcs, the uniqueness of OIDs and names
// across both schemas, and that every attribute a class names is defined
// by one of them or by the standard schemas they need (core, cosine, nis).
func TestOpenLDAPSchemaOIDs(t *testing.T) {
	seen := map[string]string{}
	defined := map[string]bool{"cn": true, "description": true, "mail": true, "gidnumber": true}
	classNames := map[string]bool{"top": true}
	for _, p := range schemaPairs() {
		s, err := ParseSchemaLDIF(p.ldif)
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range s.AttributeTypes {
			if want := p.arc + ".1." + itoa(i+1); a.OID != want {
				t.Errorf("%s: OID %s, want %s (numbered in order)", a.Name(), a.OID, want)
			}
			if len(a.Names) != 1 || a.Usage != UsageUserApplications || a.Equality == "" || a.Syntax == "" {
				t.Errorf("%s: want one name, user usage, an equality rule and a syntax", a.Definition())
			}
			for _, k := range append([]string{a.OID}, strings.ToLower(a.Name())) {
				if prev, ok := seen["attr "+k]; ok {
					t.Errorf("attribute %s: %s already used by %s", a.Name(), k, prev)
				}
				seen["attr "+k] = a.Name()
			}
			defined[strings.ToLower(a.Name())] = true
		}
		for i, o := range s.ObjectClasses {
			if want := p.arc + ".2." + itoa(i+1); o.OID != want {
				t.Errorf("%s: OID %s, want %s", o.Name(), o.OID, want)
			}
			if classNames[strings.ToLower(o.Name())] {
				t.Errorf("object class %s defined twice", o.Name())
			}
			classNames[strings.ToLower(o.Name())] = true
		}
	}
	for _, s := range []*OpenLDAPSchema{OAuthDefinitions(), ExtensionDefinitions()} {
		for _, o := range s.ObjectClasses {
			if !slices.Equal(o.Sup, []string{"top"}) {
				t.Errorf("%s: SUP %v, want top", o.Name(), o.Sup)
			}
			for _, n := range append(slices.Clone(o.Must), o.May...) {
				if !defined[strings.ToLower(n)] {
					t.Errorf("%s names %s, defined nowhere", o.Name(), n)
				}
			}
		}
	}
	for _, o := range ExtensionDefinitions().ObjectClasses {
		if o.Kind == Structural && !slices.Equal(o.Must, []string{"canailleID"}) {
			t.Errorf("%s: MUST %v, want canailleID alone (the RDN)", o.Name(), o.Must)
		}
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// TestOAuthSchemaMatchesPythonCanaille compares the oauth2 schema with
// Python Canaille's (testdata/python-canaille): every name at the same
// OID, with the same syntax, matching rules, SINGLE-VALUE flag and usage,
// and the same classes with the same kind, superclass and attributes.
// Only the descriptions differ.
func TestOAuthSchemaMatchesPythonCanaille(t *testing.T) {
	raw, err := os.ReadFile("testdata/python-canaille/oauth2-openldap.ldif")
	if err != nil {
		t.Fatal(err)
	}
	py, err := ParseSchemaLDIF(raw)
	if err != nil {
		t.Fatalf("Python Canaille's schema: %v", err)
	}
	ours := OAuthDefinitions()
	if len(py.AttributeTypes) != len(ours.AttributeTypes) || len(py.ObjectClasses) != len(ours.ObjectClasses) {
		t.Errorf("Python: %d types, %d classes; ours: %d, %d", len(py.AttributeTypes), len(py.ObjectClasses),
			len(ours.AttributeTypes), len(ours.ObjectClasses))
	}
	for _, p := range py.AttributeTypes {
		o, ok := ours.Attribute(p.OID)
		if !ok {
			t.Errorf("%s (%s) is missing", p.Name(), p.OID)
			continue
		}
		po, oo := *p, *o
		po.Desc, oo.Desc = "", ""
		if po.Definition() != oo.Definition() {
			t.Errorf("attribute type differs (descriptions aside):\nPython: %s\nours:   %s", po.Definition(), oo.Definition())
		}
	}
	lower := func(l []string) []string {
		out := make([]string, len(l))
		for i, s := range l {
			out[i] = strings.ToLower(s)
		}
		slices.Sort(out)
		return out
	}
	for _, p := range py.ObjectClasses {
		o, ok := ours.ObjectClass(p.OID)
		if !ok {
			t.Errorf("class %s (%s) is missing", p.Name(), p.OID)
			continue
		}
		if !slices.Equal(p.Names, o.Names) || p.Kind != o.Kind || !slices.Equal(p.Sup, o.Sup) ||
			!slices.Equal(lower(p.Must), lower(o.Must)) || !slices.Equal(lower(p.May), lower(o.May)) {
			t.Errorf("class differs:\nPython: %s\nours:   %s", p.Definition(), o.Definition())
		}
	}
}

func TestOpenLDAPFiles(t *testing.T) {
	want := []string{ExtensionLDIFFile, ExtensionSchemaFile, OAuthLDIFFile, OAuthSchemaFile}
	got, err := fs.Glob(OpenLDAPFiles(), "*")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	for _, n := range want {
		b, err := fs.ReadFile(OpenLDAPFiles(), n)
		if err != nil || len(b) == 0 {
			t.Errorf("%s: %v (%d bytes)", n, err, len(b))
		}
	}
}

func TestUpstreamBranches(t *testing.T) {
	b := UpstreamBranches("dc=example,dc=org")
	if len(b) != 10 || b[0] != "ou=oauth,dc=example,dc=org" || b[1] != "ou=clients,ou=oauth,dc=example,dc=org" {
		t.Errorf("branches %v", b)
	}
	for i, dn := range b {
		if _, err := NormalizeDN(dn); err != nil {
			t.Errorf("%s: %v", dn, err)
		}
		if i > 0 && !strings.HasSuffix(dn, ","+b[0]) {
			t.Errorf("%s is not under %s", dn, b[0])
		}
	}
}

func TestParseDefinitions(t *testing.T) {
	a, err := ParseAttributeType(`( 2.5.4.41 NAME ( 'name' 'n' ) DESC 'it\27s' EQUALITY caseIgnoreMatch ` +
		`SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15{32768} X-ORIGIN ( 'RFC 4519' 'x' ) )`)
	if err != nil {
		t.Fatal(err)
	}
	if a.OID != "2.5.4.41" || !slices.Equal(a.Names, []string{"name", "n"}) || a.Desc != "it's" ||
		a.Syntax != "1.3.6.1.4.1.1466.115.121.1.15" || a.Substr != "caseIgnoreSubstringsMatch" || a.SingleValue {
		t.Errorf("parsed %+v", a)
	}
	if got, want := a.Definition(), `( 2.5.4.41 NAME ( 'name' 'n' ) DESC 'it\27s' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )`; got != want {
		t.Errorf("Definition %s\nwant %s", got, want)
	}
	o, err := ParseObjectClass(`( 2.5.6.6 NAME 'person' SUP top STRUCTURAL MUST ( sn $ cn ) MAY userPassword )`)
	if err != nil {
		t.Fatal(err)
	}
	if o.Kind != Structural || !slices.Equal(o.Must, []string{"sn", "cn"}) || !slices.Equal(o.May, []string{"userPassword"}) {
		t.Errorf("parsed %+v", o)
	}
	for _, bad := range []string{"", "()", "( 'x' )", "( 1.2 NAME )", "( 1.2 MUST ( a b ) )", "( 1.2 FOO x )", "( 1.2 DESC 'x )"} {
		if _, err := ParseObjectClass(bad); err == nil {
			t.Errorf("ParseObjectClass(%q) accepted", bad)
		}
	}
	if _, err := ParseSchemaFile([]byte("objectidentifier X 1.2\n")); err == nil {
		t.Error("objectidentifier accepted")
	}
}
