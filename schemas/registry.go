package schemas

import (
	"fmt"
	"slices"
	"strings"
)

// The schema registry describes exactly what the built-in LDAP server
// serves: the attribute types, object classes, matching rules and syntaxes
// published in its subschema entry ([SubschemaEntry]) and used to evaluate
// search filters. The definitions come from the RFCs (RFC 4512 operational
// attributes, RFC 4519 core, RFC 4524 cosine, RFC 2798 inetOrgPerson,
// draft-howard-rfc2307bis-02 with posixGroup AUXILIARY, RFC 4530 entryUUID,
// RFC 5020 entryDN, RFC 3045 vendor information, RFC 2079 labeledURI), from
// OpenLDAP for memberOf and the ppolicy attributes (draft-behera), and from
// RFC 4512 section 5.1 for the root DSE.
//
// The tables are in registry_attributes.go, registry_classes.go and
// registry_rules.go; this file holds the types, the index and the
// definition strings. Everything is built once at package initialisation
// and read-only afterwards, so safe for concurrent use; the values returned
// by the look-up functions point into the registry and must not be
// modified.

// Attribute type usages (RFC 4512 section 4.1.2).
const (
	UsageUserApplications     = "userApplications"
	UsageDirectoryOperation   = "directoryOperation"
	UsageDistributedOperation = "distributedOperation"
	UsageDSAOperation         = "dSAOperation"
)

// AttributeType is an RFC 4512 attribute type description.
//
// Equality, Ordering, Substr and Syntax hold the effective values: those a
// type does not declare are inherited from its supertype (Sup), so cn has
// caseIgnoreMatch from name. Definition prints only what the type declares.
type AttributeType struct {
	OID   string
	Names []string // the first is the canonical name, e.g. {"cn", "commonName"}
	Desc  string
	Sup   string // the supertype's canonical name, or ""

	// Matching rule names, "" when none.
	Equality, Ordering, Substr string
	// Syntax is the syntax OID, e.g. 1.3.6.1.4.1.1466.115.121.1.15.
	Syntax string

	SingleValue        bool
	NoUserModification bool
	// Usage is UsageUserApplications (the default), UsageDirectoryOperation,
	// UsageDistributedOperation or UsageDSAOperation.
	Usage string

	declared declaredRules
}

// declaredRules keeps the rules and syntax as the table declares them,
// before inheritance, for Definition.
type declaredRules struct {
	equality, ordering, substr, syntax string
}

// Name returns the canonical name.
func (a *AttributeType) Name() string { return a.Names[0] }

// Operational reports whether the type is operational: any usage other
// than userApplications. Operational attributes are returned only when a
// client asks for them by name or with "+".
func (a *AttributeType) Operational() bool { return a.Usage != UsageUserApplications }

// Definition returns the RFC 4512 AttributeTypeDescription, such as
// ( 2.5.4.3 NAME ( 'cn' 'commonName' ) DESC '…' SUP name ).
func (a *AttributeType) Definition() string {
	var b strings.Builder
	b.WriteString("( " + a.OID)
	writeNames(&b, a.Names)
	writeDesc(&b, a.Desc)
	writeField(&b, "SUP", a.Sup)
	writeField(&b, "EQUALITY", a.declared.equality)
	writeField(&b, "ORDERING", a.declared.ordering)
	writeField(&b, "SUBSTR", a.declared.substr)
	writeField(&b, "SYNTAX", a.declared.syntax)
	if a.SingleValue {
		b.WriteString(" SINGLE-VALUE")
	}
	if a.NoUserModification {
		b.WriteString(" NO-USER-MODIFICATION")
	}
	if a.Usage != UsageUserApplications {
		b.WriteString(" USAGE " + a.Usage)
	}
	b.WriteString(" )")
	return b.String()
}

// Object class kinds (RFC 4512 section 4.1.1).
const (
	Structural = "STRUCTURAL"
	Auxiliary  = "AUXILIARY"
	Abstract   = "ABSTRACT"
)

// ObjectClass is an RFC 4512 object class description.
type ObjectClass struct {
	OID   string
	Names []string
	Desc  string
	Sup   []string // superclasses' canonical names
	Kind  string   // Structural, Auxiliary or Abstract
	Must  []string // canonical attribute names
	May   []string
}

// Name returns the canonical name.
func (o *ObjectClass) Name() string { return o.Names[0] }

// Definition returns the RFC 4512 ObjectClassDescription, such as
// ( 2.5.6.6 NAME 'person' DESC '…' SUP top STRUCTURAL MUST ( sn $ cn ) … ).
func (o *ObjectClass) Definition() string {
	var b strings.Builder
	b.WriteString("( " + o.OID)
	writeNames(&b, o.Names)
	writeDesc(&b, o.Desc)
	writeOIDs(&b, "SUP", o.Sup)
	b.WriteString(" " + o.Kind)
	writeOIDs(&b, "MUST", o.Must)
	writeOIDs(&b, "MAY", o.May)
	b.WriteString(" )")
	return b.String()
}

// RuleKind says what a matching rule is for.
type RuleKind string

// Matching rule kinds.
const (
	EqualityRule   RuleKind = "equality"
	OrderingRule   RuleKind = "ordering"
	SubstringsRule RuleKind = "substrings"
)

// MatchingRule is an RFC 4512 matching rule description. The registry
// lists only the rules the LDAP server implements.
type MatchingRule struct {
	OID    string
	Name   string
	Syntax string // the assertion syntax OID
	// Kind is EqualityRule, OrderingRule or SubstringsRule. An ordering
	// rule used in an extensible match is TRUE when the attribute value is
	// less than the assertion value (RFC 4517 section 4.2).
	Kind RuleKind
}

// Definition returns the RFC 4512 MatchingRuleDescription, such as
// ( 2.5.13.2 NAME 'caseIgnoreMatch' SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 ).
func (m *MatchingRule) Definition() string {
	return "( " + m.OID + " NAME " + qdstring(m.Name) + " SYNTAX " + m.Syntax + " )"
}

// Syntax is an RFC 4512 LDAP syntax description.
type Syntax struct {
	OID  string
	Desc string
	// NotHumanReadable and BinaryTransferRequired add the X-NOT-HUMAN-READABLE
	// and X-BINARY-TRANSFER-REQUIRED extensions (RFC 2252 and OpenLDAP
	// usage), which tell clients such as ldapsearch to print base64.
	NotHumanReadable       bool
	BinaryTransferRequired bool
}

// Definition returns the RFC 4512 SyntaxDescription, such as
// ( 1.3.6.1.4.1.1466.115.121.1.15 DESC 'Directory String' ).
func (s *Syntax) Definition() string {
	var b strings.Builder
	b.WriteString("( " + s.OID)
	writeDesc(&b, s.Desc)
	if s.BinaryTransferRequired {
		b.WriteString(" X-BINARY-TRANSFER-REQUIRED 'TRUE'")
	}
	if s.NotHumanReadable {
		b.WriteString(" X-NOT-HUMAN-READABLE 'TRUE'")
	}
	b.WriteString(" )")
	return b.String()
}

func writeNames(b *strings.Builder, names []string) {
	switch len(names) {
	case 0:
	case 1:
		b.WriteString(" NAME " + qdstring(names[0]))
	default:
		b.WriteString(" NAME (")
		for _, n := range names {
			b.WriteString(" " + qdstring(n))
		}
		b.WriteString(" )")
	}
}

func writeDesc(b *strings.Builder, desc string) {
	if desc != "" {
		b.WriteString(" DESC " + qdstring(desc))
	}
}

func writeField(b *strings.Builder, keyword, value string) {
	if value != "" {
		b.WriteString(" " + keyword + " " + value)
	}
}

// writeOIDs writes an RFC 4512 oids list: one oid alone, several in
// parentheses separated by dollars.
func writeOIDs(b *strings.Builder, keyword string, oids []string) {
	switch len(oids) {
	case 0:
	case 1:
		b.WriteString(" " + keyword + " " + oids[0])
	default:
		b.WriteString(" " + keyword + " ( " + strings.Join(oids, " $ ") + " )")
	}
}

// qdstring quotes s as an RFC 4512 qdstring, escaping quote and backslash.
func qdstring(s string) string {
	s = strings.ReplaceAll(s, `\`, `\5C`)
	s = strings.ReplaceAll(s, `'`, `\27`)
	return "'" + s + "'"
}

// The indexes, keyed by lower-cased name and by OID.
var (
	attrIndex   = map[string]*AttributeType{}
	classIndex  = map[string]*ObjectClass{}
	ruleIndex   = map[string]*MatchingRule{}
	syntaxIndex = map[string]*Syntax{}
)

func init() {
	if errs := buildRegistry(); len(errs) > 0 {
		// The tables are static: a mistake in them is a programming error
		// that every test run reports at once.
		panic("schemas: invalid registry:\n" + strings.Join(errs, "\n"))
	}
}

// buildRegistry indexes the tables, resolves inheritance and checks every
// reference, returning the problems found.
func buildRegistry() []string {
	var errs []string
	add := func(index map[string]bool, key, what string) {
		k := strings.ToLower(key)
		if index[k] {
			errs = append(errs, fmt.Sprintf("%s: duplicate name or OID %q", what, key))
		}
		index[k] = true
	}
	seen := map[string]bool{}
	for i := range syntaxTable {
		s := &syntaxTable[i]
		add(seen, "syntax "+s.OID, s.OID)
		syntaxIndex[s.OID] = s
	}
	seen = map[string]bool{}
	for i := range ruleTable {
		r := &ruleTable[i]
		for _, k := range []string{r.OID, r.Name} {
			add(seen, k, r.Name)
			ruleIndex[strings.ToLower(k)] = r
		}
		if syntaxIndex[r.Syntax] == nil {
			errs = append(errs, fmt.Sprintf("%s: unknown syntax %s", r.Name, r.Syntax))
		}
	}
	seen = map[string]bool{}
	for i := range attributeTable {
		a := &attributeTable[i]
		a.declared = declaredRules{a.Equality, a.Ordering, a.Substr, a.Syntax}
		if a.Usage == "" {
			a.Usage = UsageUserApplications
		}
		for _, k := range append([]string{a.OID}, a.Names...) {
			add(seen, k, "attribute "+a.Names[0])
			attrIndex[strings.ToLower(k)] = a
		}
	}
	for i := range attributeTable {
		errs = append(errs, resolveAttribute(&attributeTable[i])...)
	}
	seen = map[string]bool{}
	for i := range classTable {
		o := &classTable[i]
		for _, k := range append([]string{o.OID}, o.Names...) {
			add(seen, k, "object class "+o.Names[0])
			classIndex[strings.ToLower(k)] = o
		}
	}
	for i := range classTable {
		errs = append(errs, checkClass(&classTable[i])...)
	}
	return errs
}

// resolveAttribute fills the rules and syntax a type inherits from its
// supertypes, and checks its references.
func resolveAttribute(a *AttributeType) []string {
	var errs []string
	depth := 0
	for sup := a.Sup; sup != ""; depth++ {
		s, ok := attrIndex[strings.ToLower(sup)]
		if !ok || depth > 8 {
			errs = append(errs, fmt.Sprintf("%s: unknown or cyclic supertype %s", a.Names[0], sup))
			break
		}
		if s.Names[0] != sup {
			errs = append(errs, fmt.Sprintf("%s: supertype %s is not a canonical name", a.Names[0], sup))
		}
		a.Equality = firstNonEmpty(a.Equality, s.declared.equality)
		a.Ordering = firstNonEmpty(a.Ordering, s.declared.ordering)
		a.Substr = firstNonEmpty(a.Substr, s.declared.substr)
		a.Syntax = firstNonEmpty(a.Syntax, s.declared.syntax)
		sup = s.Sup
	}
	if a.Syntax == "" || syntaxIndex[a.Syntax] == nil {
		errs = append(errs, fmt.Sprintf("%s: unknown syntax %q", a.Names[0], a.Syntax))
	}
	for kind, name := range map[RuleKind]string{EqualityRule: a.Equality, OrderingRule: a.Ordering, SubstringsRule: a.Substr} {
		if name == "" {
			continue
		}
		r, ok := ruleIndex[strings.ToLower(name)]
		if !ok || r.Name != name || r.Kind != kind {
			errs = append(errs, fmt.Sprintf("%s: %s rule %s is not an implemented %s rule", a.Names[0], kind, name, kind))
		}
	}
	switch a.Usage {
	case UsageUserApplications, UsageDirectoryOperation, UsageDistributedOperation, UsageDSAOperation:
	default:
		errs = append(errs, fmt.Sprintf("%s: bad usage %q", a.Names[0], a.Usage))
	}
	return errs
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// checkClass checks that an object class names known superclasses and
// attribute types by their canonical names.
func checkClass(o *ObjectClass) []string {
	var errs []string
	for _, s := range o.Sup {
		if c, ok := classIndex[strings.ToLower(s)]; !ok || c.Names[0] != s {
			errs = append(errs, fmt.Sprintf("%s: superclass %s is not a canonical class name", o.Names[0], s))
		}
	}
	if !slices.Contains([]string{Structural, Auxiliary, Abstract}, o.Kind) {
		errs = append(errs, fmt.Sprintf("%s: bad kind %q", o.Names[0], o.Kind))
	}
	for _, n := range append(slices.Clone(o.Must), o.May...) {
		if a, ok := attrIndex[strings.ToLower(n)]; !ok || a.Names[0] != n {
			errs = append(errs, fmt.Sprintf("%s: attribute %s is not a canonical attribute name", o.Names[0], n))
		}
	}
	return errs
}

// lookupIndex finds a name or OID in an index: attribute options (";lang-fr",
// ";binary") are cut off and the rest compared lower-cased. It does not
// allocate for names up to 64 bytes.
func lookupIndex[T any](index map[string]*T, name string) (*T, bool) {
	if i := strings.IndexByte(name, ';'); i >= 0 {
		name = name[:i]
	}
	if v, ok := index[name]; ok { // already lower case, or an OID
		return v, true
	}
	var buf [64]byte
	if len(name) > len(buf) {
		v, ok := index[strings.ToLower(name)]
		return v, ok
	}
	b := buf[:len(name)]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	v, ok := index[string(b)]
	return v, ok
}

// LookupAttribute returns the attribute type named nameOrOID: any of its
// names, compared case-insensitively, or its OID. Attribute options are
// ignored ("cn;lang-fr" gives cn). It reports false for an unknown type.
func LookupAttribute(nameOrOID string) (*AttributeType, bool) {
	return lookupIndex(attrIndex, nameOrOID)
}

// LookupObjectClass returns the object class named nameOrOID (any name,
// case-insensitively, or its OID).
func LookupObjectClass(nameOrOID string) (*ObjectClass, bool) {
	return lookupIndex(classIndex, nameOrOID)
}

// LookupMatchingRule returns the implemented matching rule named
// nameOrOID (its name, case-insensitively, or its OID).
func LookupMatchingRule(nameOrOID string) (*MatchingRule, bool) {
	return lookupIndex(ruleIndex, nameOrOID)
}

// LookupSyntax returns the syntax whose OID is oid.
func LookupSyntax(oid string) (*Syntax, bool) {
	s, ok := syntaxIndex[oid]
	return s, ok
}

// CanonicalAttribute returns the canonical name of the attribute type
// named name (so "commonName", "CN", "2.5.4.3" and "cn;lang-fr" all give
// "cn"), or name itself, options included, when the type is unknown.
func CanonicalAttribute(name string) string {
	if a, ok := LookupAttribute(name); ok {
		return a.Names[0]
	}
	return name
}

// AttributeTypes returns every attribute type of the registry, in table
// order. The slice is the caller's; the types are shared.
func AttributeTypes() []*AttributeType {
	out := make([]*AttributeType, len(attributeTable))
	for i := range attributeTable {
		out[i] = &attributeTable[i]
	}
	return out
}

// ObjectClasses returns every object class of the registry, in table
// order. The slice is the caller's; the classes are shared.
func ObjectClasses() []*ObjectClass {
	out := make([]*ObjectClass, len(classTable))
	for i := range classTable {
		out[i] = &classTable[i]
	}
	return out
}

// MatchingRules returns the matching rules the LDAP server implements, in
// table order, as a copy.
func MatchingRules() []MatchingRule {
	return slices.Clone(ruleTable)
}

// Syntaxes returns the syntaxes the registry's attribute types and
// matching rules use, as a copy.
func Syntaxes() []Syntax {
	return slices.Clone(syntaxTable)
}
