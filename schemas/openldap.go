package schemas

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/canaille-go/canaille/store/ldif"
)

// The OpenLDAP schemas of the upstream LDAP backend ([CANAILLE] DATABASE =
// "ldap"), which keeps canaille's objects in an existing OpenLDAP
// directory. They are not served by the built-in LDAP server (the registry
// of registry.go is for that): they are files for an OpenLDAP server, in
// both of its configuration styles, embedded in the binary so that
// `canaille install` can load them and `canaille install --write-schemas`
// can write them out for a manual installation or a package.
//
//   - oauth2-openldap.ldif and oauth2-openldap.schema: the oauth2 schema,
//     cn=oauth. Same names, OIDs (1.3.6.1.4.1.56207.1.1.* and
//     1.3.6.1.4.1.56207.1.2.*), syntaxes, matching rules and SINGLE-VALUE
//     flags as Python Canaille's, so that one directory serves both: an
//     existing Python Canaille directory already holds it.
//   - canaille-openldap.ldif and canaille-openldap.schema: the extension
//     schema, cn=canaille, for what Python Canaille has no class for
//     (sessions, tickets, JWT IDs, signing keys, audit events, and
//     auxiliary classes for extra client, code, token and group data),
//     under the arc [ExtensionArc].
//
// The .ldif files hold one cn=config entry (dn: cn=NAME,cn=schema,cn=config)
// for ldapadd or slapadd -n0; the .schema files the same definitions for an
// include line of slapd.conf.

//go:embed openldap/*.ldif openldap/*.schema
var openldapFiles embed.FS

// ExtensionArc is the OID arc of the extension schema: the UUID
// 4d5c56a3-703a-4775-b913-00a4eecf5302, generated once for this project,
// as an integer under 2.25 (ITU-T X.667: UUID-based OIDs need no
// registration). Attribute types are ExtensionArc.1.N, object classes
// ExtensionArc.2.N.
const ExtensionArc = "2.25.102830004222572906481315076703240803074"

// OAuthArc is Python Canaille's arc of the oauth2 schema (its IANA
// enterprise number 56207), kept for compatibility: attribute types are
// OAuthArc.1.N, object classes OAuthArc.2.N.
const OAuthArc = "1.3.6.1.4.1.56207.1"

// The file names, as packages install them under /usr/share/canaille/.
const (
	OAuthLDIFFile       = "oauth2-openldap.ldif"
	OAuthSchemaFile     = "oauth2-openldap.schema"
	ExtensionLDIFFile   = "canaille-openldap.ldif"
	ExtensionSchemaFile = "canaille-openldap.schema"
)

func embedded(name string) []byte {
	b, err := openldapFiles.ReadFile("openldap/" + name)
	if err != nil {
		panic("schemas: " + err.Error())
	}
	return b
}

// OAuthLDIF returns the oauth2 schema as a cn=config entry
// (cn=oauth,cn=schema,cn=config).
func OAuthLDIF() []byte { return embedded(OAuthLDIFFile) }

// OAuthSchema returns the oauth2 schema in slapd.conf format.
func OAuthSchema() []byte { return embedded(OAuthSchemaFile) }

// ExtensionLDIF returns the extension schema as a cn=config entry
// (cn=canaille,cn=schema,cn=config).
func ExtensionLDIF() []byte { return embedded(ExtensionLDIFFile) }

// ExtensionSchema returns the extension schema in slapd.conf format.
func ExtensionSchema() []byte { return embedded(ExtensionSchemaFile) }

// OpenLDAPFiles returns the four schema files, by the names above.
func OpenLDAPFiles() fs.FS {
	sub, err := fs.Sub(openldapFiles, "openldap")
	if err != nil {
		panic("schemas: " + err.Error())
	}
	return sub
}

// OpenLDAPSchema is the content of one schema file.
type OpenLDAPSchema struct {
	// DN is the cn=config entry's DN (empty for a slapd.conf file).
	DN             string
	AttributeTypes []*AttributeType
	ObjectClasses  []*ObjectClass
}

// Attribute returns the attribute type named name (any of its names,
// case-insensitively, or its OID).
func (s *OpenLDAPSchema) Attribute(name string) (*AttributeType, bool) {
	for _, a := range s.AttributeTypes {
		if a.OID == name || slices.ContainsFunc(a.Names, func(n string) bool { return strings.EqualFold(n, name) }) {
			return a, true
		}
	}
	return nil, false
}

// ObjectClass returns the object class named name (any name,
// case-insensitively, or its OID).
func (s *OpenLDAPSchema) ObjectClass(name string) (*ObjectClass, bool) {
	for _, o := range s.ObjectClasses {
		if o.OID == name || slices.ContainsFunc(o.Names, func(n string) bool { return strings.EqualFold(n, name) }) {
			return o, true
		}
	}
	return nil, false
}

var (
	oauthDefs = sync.OnceValue(func() *OpenLDAPSchema { return mustParseLDIF(OAuthLDIF()) })
	extDefs   = sync.OnceValue(func() *OpenLDAPSchema { return mustParseLDIF(ExtensionLDIF()) })
)

func mustParseLDIF(b []byte) *OpenLDAPSchema {
	s, err := ParseSchemaLDIF(b)
	if err != nil {
		panic("schemas: embedded schema: " + err.Error())
	}
	return s
}

// OAuthDefinitions returns the definitions of the oauth2 schema: 61
// attribute types and the object classes oauthClient,
// oauthAuthorizationCode, oauthToken and oauthConsent. They are shared and
// must not be modified.
func OAuthDefinitions() *OpenLDAPSchema { return oauthDefs() }

// ExtensionDefinitions returns the definitions of the extension schema.
// They are shared and must not be modified.
func ExtensionDefinitions() *OpenLDAPSchema { return extDefs() }

// ParseSchemaLDIF reads a cn=config schema entry: its olcAttributeTypes
// and olcObjectClasses values (an {N} ordering prefix, as slapd adds when
// it stores them, is dropped). It reads the first entry only.
func ParseSchemaLDIF(data []byte) (*OpenLDAPSchema, error) {
	e, err := ldif.NewReader(bytes.NewReader(data)).Next()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("no entry")
	}
	if err != nil {
		return nil, err
	}
	s := &OpenLDAPSchema{DN: e.DN}
	for _, v := range e.Strings("olcAttributeTypes") {
		a, err := ParseAttributeType(dropOrdering(v))
		if err != nil {
			return nil, err
		}
		s.AttributeTypes = append(s.AttributeTypes, a)
	}
	for _, v := range e.Strings("olcObjectClasses") {
		o, err := ParseObjectClass(dropOrdering(v))
		if err != nil {
			return nil, err
		}
		s.ObjectClasses = append(s.ObjectClasses, o)
	}
	return s, nil
}

// dropOrdering removes the {N} prefix of an ordered cn=config value.
func dropOrdering(v string) string {
	if strings.HasPrefix(v, "{") {
		if i := strings.IndexByte(v, '}'); i > 0 {
			return v[i+1:]
		}
	}
	return v
}

// ParseSchemaFile reads a slapd.conf schema file: attributetype and
// objectclass directives, whose definitions continue on the lines that
// start with white space; comments and blank lines are skipped. Other
// directives (objectidentifier macros among them) are errors.
func ParseSchemaFile(data []byte) (*OpenLDAPSchema, error) {
	s := &OpenLDAPSchema{}
	var directive strings.Builder
	line := 0
	flush := func() error {
		d := strings.TrimSpace(directive.String())
		directive.Reset()
		if d == "" {
			return nil
		}
		kw, def, _ := strings.Cut(d, " ")
		if i := strings.IndexAny(kw, "\t("); i >= 0 {
			kw, def = d[:i], d[i:]
		}
		switch strings.ToLower(kw) {
		case "attributetype", "attributetypes":
			a, err := ParseAttributeType(def)
			if err != nil {
				return err
			}
			s.AttributeTypes = append(s.AttributeTypes, a)
		case "objectclass", "objectclasses":
			o, err := ParseObjectClass(def)
			if err != nil {
				return err
			}
			s.ObjectClasses = append(s.ObjectClasses, o)
		default:
			return fmt.Errorf("unsupported directive %q", kw)
		}
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line++
		t := sc.Text()
		switch {
		case strings.HasPrefix(t, "#"):
		case strings.TrimSpace(t) == "":
			if err := flush(); err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
		case t[0] == ' ' || t[0] == '\t':
			directive.WriteString(" " + strings.TrimSpace(t))
		default:
			if err := flush(); err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			directive.WriteString(t)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, fmt.Errorf("at the end: %w", err)
	}
	return s, nil
}
