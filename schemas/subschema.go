package schemas

import (
	"slices"
	"sync"

	"github.com/canaille-go/canaille/store/ldif"
)

// SubschemaDN is the DN of the subschema entry, which every entry names in
// subschemaSubentry.
const SubschemaDN = "cn=subschema"

// schemaTimestamp is the createTimestamp and modifyTimestamp of the
// subschema entry: the date the registry last changed. Update it with the
// tables, so that clients caching the schema reload it.
const schemaTimestamp = "20260101000000Z"

// stringSyntaxes are the syntaxes whose values are character strings that
// the generic string rules (caseIgnoreMatch, caseExactMatch, their IA5,
// ordering and substrings variants) can compare.
var stringSyntaxes = []string{synDirectoryString, synIA5String, synPrintableString,
	synCountryString, synNumericString, synTelephoneNumber}

// AppliesTo reports whether the rule may be used with values of the
// attribute type a in an extensible match, as the subschema entry's
// matchingRuleUse values publish it: when a names the rule, and otherwise
// when the rule compares values of a's syntax (the string rules compare
// any character-string syntax; the first-component rules apply only to the
// types that name them).
func (m *MatchingRule) AppliesTo(a *AttributeType) bool {
	if a.Equality == m.Name || a.Ordering == m.Name || a.Substr == m.Name {
		return true
	}
	switch m.Name {
	case "caseIgnoreMatch", "caseIgnoreOrderingMatch", "caseIgnoreSubstringsMatch",
		"caseExactMatch", "caseExactOrderingMatch", "caseExactSubstringsMatch",
		"caseIgnoreIA5Match", "caseExactIA5Match", "caseIgnoreIA5SubstringsMatch":
		return slices.Contains(stringSyntaxes, a.Syntax)
	case "numericStringSubstringsMatch":
		return a.Syntax == synNumericString
	case "telephoneNumberSubstringsMatch":
		return a.Syntax == synTelephoneNumber
	case "caseIgnoreListSubstringsMatch":
		return a.Syntax == synPostalAddress
	case "objectIdentifierFirstComponentMatch", "integerFirstComponentMatch":
		return false
	}
	return a.Syntax == m.Syntax
}

// ruleUseDefinition returns the RFC 4512 MatchingRuleUseDescription of m,
// or "" when no attribute type can use it.
func ruleUseDefinition(m *MatchingRule) string {
	var applies []string
	for _, a := range AttributeTypes() {
		if m.AppliesTo(a) {
			applies = append(applies, a.Names[0])
		}
	}
	if len(applies) == 0 {
		return ""
	}
	var b []byte
	b = append(b, "( "+m.OID+" NAME "+qdstring(m.Name)...)
	if len(applies) == 1 {
		b = append(b, " APPLIES "+applies[0]...)
	} else {
		b = append(b, " APPLIES ( "...)
		for i, n := range applies {
			if i > 0 {
				b = append(b, " $ "...)
			}
			b = append(b, n...)
		}
		b = append(b, " )"...)
	}
	return string(append(b, " )"...))
}

// subschemaValues holds the definition strings, built once.
var subschemaValues = sync.OnceValue(func() []ldif.Attribute {
	var types, classes, rules, uses, syntaxes []string
	for _, a := range AttributeTypes() {
		types = append(types, a.Definition())
	}
	for _, o := range ObjectClasses() {
		classes = append(classes, o.Definition())
	}
	for i := range ruleTable {
		rules = append(rules, ruleTable[i].Definition())
		if u := ruleUseDefinition(&ruleTable[i]); u != "" {
			uses = append(uses, u)
		}
	}
	for i := range syntaxTable {
		syntaxes = append(syntaxes, syntaxTable[i].Definition())
	}
	return []ldif.Attribute{
		values("objectClass", "top", "subentry", "subschema", "extensibleObject"),
		values("cn", "subschema"),
		values("structuralObjectClass", "subentry"),
		values("createTimestamp", schemaTimestamp),
		values("modifyTimestamp", schemaTimestamp),
		values("entryDN", SubschemaDN),
		values("subschemaSubentry", SubschemaDN),
		values("ldapSyntaxes", syntaxes...),
		values("matchingRules", rules...),
		values("matchingRuleUse", uses...),
		values("attributeTypes", types...),
		values("objectClasses", classes...),
	}
})

// SubschemaEntry returns the subschema entry (RFC 4512 section 4.2),
// SubschemaDN, which publishes the registry: objectClass top, subentry,
// subschema and extensibleObject; cn; the attributeTypes, objectClasses,
// matchingRules, matchingRuleUse and ldapSyntaxes definitions; and the
// operational attributes structuralObjectClass, createTimestamp and
// modifyTimestamp (the date the registry last changed), entryDN and
// subschemaSubentry.
//
// Each call returns a new entry the caller may modify: its attribute and
// value slices are its own, and the value bytes are fresh copies.
func SubschemaEntry() *ldif.Entry {
	shared := subschemaValues()
	e := &ldif.Entry{DN: SubschemaDN, Attributes: make([]ldif.Attribute, len(shared))}
	for i, a := range shared {
		vs := make([][]byte, len(a.Values))
		for j, v := range a.Values {
			vs[j] = slices.Clone(v)
		}
		e.Attributes[i] = ldif.Attribute{Name: a.Name, Values: vs}
	}
	return e
}
