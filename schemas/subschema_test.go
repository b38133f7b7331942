package schemas

import (
	"slices"
	"strings"
	"testing"
)

func TestSubschemaEntry(t *testing.T) {
	e := SubschemaEntry()
	if e.DN != SubschemaDN {
		t.Errorf("DN %q", e.DN)
	}
	if got := e.Strings("objectClass"); !slices.Equal(got, []string{"top", "subentry", "subschema", "extensibleObject"}) {
		t.Errorf("objectClass %v", got)
	}
	for attr, want := range map[string]string{"cn": "subschema", "structuralObjectClass": "subentry",
		"entryDN": SubschemaDN, "subschemaSubentry": SubschemaDN, "createTimestamp": schemaTimestamp, "modifyTimestamp": schemaTimestamp} {
		if got := e.Strings(attr); len(got) != 1 || got[0] != want {
			t.Errorf("%s: %v, want %s", attr, got, want)
		}
	}
	for _, at := range e.Attributes {
		if _, ok := LookupAttribute(at.Name); !ok {
			t.Errorf("attribute %s is not in the registry", at.Name)
		}
	}
	kinds := map[string]string{"attributeTypes": "attributeType", "objectClasses": "objectClass",
		"matchingRules": "matchingRule", "matchingRuleUse": "matchingRuleUse", "ldapSyntaxes": "ldapSyntax"}
	counts := map[string]int{"attributeTypes": len(AttributeTypes()), "objectClasses": len(ObjectClasses()),
		"matchingRules": len(MatchingRules()), "ldapSyntaxes": len(Syntaxes())}
	for attr, kind := range kinds {
		vals := e.Strings(attr)
		if want, ok := counts[attr]; ok && len(vals) != want {
			t.Errorf("%s: %d values, want %d", attr, len(vals), want)
		}
		oids := map[string]bool{}
		for _, v := range vals {
			d, err := parseDescription(kind, v)
			if err != nil {
				t.Errorf("%s: %v in %s", attr, err, v)
				continue
			}
			if oids[d.oid] {
				t.Errorf("%s: OID %s twice", attr, d.oid)
			}
			oids[d.oid] = true
			if kind == "matchingRuleUse" {
				checkRuleUse(t, d)
			}
		}
	}
	if n := len(e.Get("matchingRuleUse")); n < 20 {
		t.Errorf("only %d matchingRuleUse values", n)
	}

	// Every call gives an independent entry.
	e.Attributes[0].Values[0][0] = 'X'
	e.Attributes = e.Attributes[:1]
	again := SubschemaEntry()
	if again.First("objectClass") != "top" || len(again.Get("attributeTypes")) == 0 {
		t.Error("modifying one subschema entry changed the next")
	}
}

// checkRuleUse checks one matchingRuleUse value: a known rule that
// applies to every attribute type listed.
func checkRuleUse(t *testing.T, d *schemaDesc) {
	t.Helper()
	r, ok := LookupMatchingRule(d.oid)
	if !ok || d.fields["NAME"][0] != r.Name {
		t.Errorf("matchingRuleUse %s: unknown rule", d.oid)
		return
	}
	for _, n := range d.fields["APPLIES"] {
		a, ok := LookupAttribute(n)
		if !ok || !r.AppliesTo(a) {
			t.Errorf("matchingRuleUse %s applies to %s", r.Name, n)
		}
	}
}

func TestAppliesTo(t *testing.T) {
	for _, tc := range []struct {
		rule, attr string
		want       bool
	}{
		{"caseIgnoreMatch", "cn", true},
		{"caseExactMatch", "cn", true},
		{"caseExactMatch", "mail", true},
		{"caseExactSubstringsMatch", "uid", true},
		{"integerMatch", "uidNumber", true},
		{"integerBitAndMatch", "gidNumber", true},
		{"integerMatch", "cn", false},
		{"caseIgnoreMatch", "uidNumber", false},
		{"distinguishedNameMatch", "member", true},
		{"distinguishedNameMatch", "cn", false},
		{"generalizedTimeOrderingMatch", "modifyTimestamp", true},
		{"octetStringMatch", "userPassword", true},
		{"objectIdentifierFirstComponentMatch", "attributeTypes", true},
		{"objectIdentifierFirstComponentMatch", "objectClass", false},
		{"telephoneNumberSubstringsMatch", "mobile", true},
		{"UUIDOrderingMatch", "entryUUID", true},
		{"caseIgnoreListMatch", "homePostalAddress", true},
	} {
		r, _ := LookupMatchingRule(tc.rule)
		a, _ := LookupAttribute(tc.attr)
		if got := r.AppliesTo(a); got != tc.want {
			t.Errorf("%s applies to %s: %v", tc.rule, tc.attr, got)
		}
	}
}

func TestSubschemaPublishesRegistry(t *testing.T) {
	e := SubschemaEntry()
	defs := strings.Join(e.Strings("attributeTypes"), "\n")
	for _, want := range []string{
		"( 2.5.4.3 NAME ( 'cn' 'commonName' ) DESC 'RFC4519: common name(s) of the entity' SUP name )",
		"( 1.2.840.113556.1.2.102 NAME 'memberOf' DESC 'Group that the entry belongs to' EQUALITY distinguishedNameMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 NO-USER-MODIFICATION USAGE dSAOperation )",
		"( 1.3.6.1.1.16.4 NAME 'entryUUID' DESC 'RFC4530: UUID of the entry' EQUALITY UUIDMatch ORDERING UUIDOrderingMatch SYNTAX 1.3.6.1.1.16.1 SINGLE-VALUE NO-USER-MODIFICATION USAGE directoryOperation )",
	} {
		if !strings.Contains(defs, want) {
			t.Errorf("missing %s", want)
		}
	}
	classes := strings.Join(e.Strings("objectClasses"), "\n")
	want := "( 1.3.6.1.1.1.2.2 NAME 'posixGroup' DESC 'Abstraction of a group of accounts' SUP top AUXILIARY MUST gidNumber MAY ( userPassword $ memberUid $ description ) )"
	if !strings.Contains(classes, want) {
		t.Errorf("missing %s", want)
	}
	if !slices.Contains(e.Strings("ldapSyntaxes"), "( 1.3.6.1.4.1.1466.115.121.1.28 DESC 'JPEG' X-NOT-HUMAN-READABLE 'TRUE' )") {
		t.Error("JPEG syntax missing or not marked binary")
	}
}
