package main

// The upstream LDAP backend's part of `canaille install` and `canaille
// check` ([CANAILLE] DATABASE = "ldap"): connecting with [CANAILLE_LDAP],
// reading the server's subschema, loading the schemas of package schemas
// into cn=schema,cn=config when the bind DN may, otherwise printing how to
// load them by hand, creating the base entries, and finding the memberof,
// refint and ppolicy overlays.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store/ldif"
)

// packagedSchemaDir is where packages install the schema files (the .deb
// and .rpm); the manual instructions name its files when they are there.
var packagedSchemaDir = "/usr/share/canaille"

// upstreamConn is a bound connection to the upstream directory.
type upstreamConn struct {
	*ldap.Conn
	cfg LDAPConfig
	// tlsMode describes the transport, for messages.
	tlsMode string
	// startTLS reports that the server offers StartTLS on ldap://.
	startTLS bool
}

// dialUpstream connects to CANAILLE_LDAP.URI with CANAILLE_LDAP.TIMEOUT.
// Errors name the key and the server's answer.
func dialUpstream(ctx context.Context, l LDAPConfig) (*upstreamConn, error) {
	u, err := url.Parse(l.URI)
	if err != nil {
		return nil, fmt.Errorf("CANAILLE_LDAP.URI %s: %v", quoteShort(l.URI), err)
	}
	timeout := l.Timeout.Duration()
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	host := u.Hostname()
	mode := "no TLS (ldap://)"
	switch u.Scheme {
	case "ldaps":
		mode = "TLS (ldaps://, certificate verified)"
	case "ldapi":
		mode = "local socket (ldapi://)"
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tlsCfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if l.CAFile != "" {
		pem, err := os.ReadFile(l.CAFile)
		if err != nil {
			return nil, fmt.Errorf("CANAILLE_LDAP.CA_FILE: %v", err)
		}
		tlsCfg.RootCAs = x509.NewCertPool()
		if !tlsCfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CANAILLE_LDAP.CA_FILE %s holds no PEM certificate", l.CAFile)
		}
	}
	conn, err := ldap.DialURL(l.URI, ldap.DialWithDialer(&net.Dialer{Timeout: timeout}),
		ldap.DialWithTLSConfig(tlsCfg))
	if err != nil {
		return nil, fmt.Errorf("CANAILLE_LDAP.URI %s is not reachable: %v", l.URI, unwrapLDAP(err))
	}
	conn.SetTimeout(timeout)
	if l.StartTLS && u.Scheme == "ldap" {
		if err := conn.StartTLS(tlsCfg); err != nil {
			conn.Close()
			return nil, fmt.Errorf("CANAILLE_LDAP.START_TLS: StartTLS with %s failed: %v", l.URI, unwrapLDAP(err))
		}
		mode = "StartTLS (certificate verified)"
	}
	uc := &upstreamConn{Conn: conn, cfg: l, tlsMode: mode}
	return uc, nil
}

// bind binds with BIND_DN and BIND_PW (anonymously when BIND_DN is empty).
func (c *upstreamConn) bind() error {
	l := c.cfg
	var err error
	if l.BindDN == "" {
		err = c.UnauthenticatedBind("")
	} else {
		err = c.Bind(l.BindDN, l.BindPW)
	}
	if err == nil {
		return nil
	}
	if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
		return fmt.Errorf("CANAILLE_LDAP.BIND_DN %s: the server refused the bind: invalid credentials (check BIND_DN and BIND_PW)", l.BindDN)
	}
	if ldap.IsErrorWithCode(err, ldap.LDAPResultConfidentialityRequired) {
		return fmt.Errorf("CANAILLE_LDAP.BIND_DN %s: the server requires TLS for this bind (use an ldaps:// URI): %v", l.BindDN, unwrapLDAP(err))
	}
	return fmt.Errorf("CANAILLE_LDAP.BIND_DN %s: bind failed: %v", l.BindDN, unwrapLDAP(err))
}

// unwrapLDAP shortens go-ldap's error texts ("LDAP Result Code 49 \"Invalid
// Credentials\": ...") to the server's words.
func unwrapLDAP(err error) string {
	var le *ldap.Error
	if errors.As(err, &le) {
		name := ldap.LDAPResultCodeMap[le.ResultCode]
		msg := ""
		if le.Err != nil {
			msg = strings.TrimSpace(le.Err.Error())
		}
		switch {
		case le.ResultCode == ldap.ErrorNetwork && msg != "":
			return msg
		case msg != "" && name != "":
			return fmt.Sprintf("%s (%d): %s", name, le.ResultCode, msg)
		case name != "":
			return fmt.Sprintf("%s (%d)", name, le.ResultCode)
		}
	}
	return err.Error()
}

// rootDSE is what the server says of itself.
type rootDSE struct {
	subschemaDN         string
	namingContexts      []string
	supportedControls   []string
	supportedExtensions []string
}

func (c *upstreamConn) rootDSE() (rootDSE, error) {
	res, err := c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"subschemaSubentry", "namingContexts", "supportedControl", "supportedExtension"}, nil))
	if err != nil {
		return rootDSE{}, err
	}
	var r rootDSE
	if len(res.Entries) == 1 {
		e := res.Entries[0]
		r.subschemaDN = e.GetAttributeValue("subschemaSubentry")
		r.namingContexts = e.GetAttributeValues("namingContexts")
		r.supportedControls = e.GetAttributeValues("supportedControl")
		r.supportedExtensions = e.GetAttributeValues("supportedExtension")
	}
	if r.subschemaDN == "" {
		r.subschemaDN = "cn=Subschema"
	}
	return r, nil
}

// serverSchema is the part of the server's subschema that matters here:
// attribute types and object classes by OID and by lower-cased name.
type serverSchema struct {
	attrs   map[string]*schemas.AttributeType
	classes map[string]*schemas.ObjectClass
}

func (c *upstreamConn) subschema(dn string) (*serverSchema, error) {
	res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=subschema)", []string{"attributeTypes", "objectClasses"}, nil))
	if err != nil {
		return nil, fmt.Errorf("read the subschema entry %s: %v", dn, unwrapLDAP(err))
	}
	if len(res.Entries) != 1 {
		return nil, fmt.Errorf("the subschema entry %s is not readable", dn)
	}
	s := &serverSchema{attrs: map[string]*schemas.AttributeType{}, classes: map[string]*schemas.ObjectClass{}}
	for _, v := range res.Entries[0].GetAttributeValues("attributeTypes") {
		if a, err := schemas.ParseAttributeType(v); err == nil {
			s.attrs[a.OID] = a
			for _, n := range a.Names {
				s.attrs[strings.ToLower(n)] = a
			}
		}
	}
	for _, v := range res.Entries[0].GetAttributeValues("objectClasses") {
		if o, err := schemas.ParseObjectClass(v); err == nil {
			s.classes[o.OID] = o
			for _, n := range o.Names {
				s.classes[strings.ToLower(n)] = o
			}
		}
	}
	return s, nil
}

func (s *serverSchema) hasAttr(name string) bool { _, ok := s.attrs[strings.ToLower(name)]; return ok }

// schemaState says how much of one of our schemas a server has.
type schemaState struct {
	name    string // "oauth2" or "extension"
	file    string // the .ldif file name
	conf    string // the .schema file name
	defs    *schemas.OpenLDAPSchema
	ldif    []byte
	missing []string // names of the missing types and classes
	// conflicts are definitions whose OID the server gives another name.
	conflicts []string
}

func (st *schemaState) absent() bool {
	return len(st.missing) == len(st.defs.AttributeTypes)+len(st.defs.ObjectClasses)
}

func (st *schemaState) present() bool { return len(st.missing) == 0 && len(st.conflicts) == 0 }

func ourSchemas() []*schemaState {
	return []*schemaState{
		{name: "oauth2", file: schemas.OAuthLDIFFile, conf: schemas.OAuthSchemaFile, defs: schemas.OAuthDefinitions(), ldif: schemas.OAuthLDIF()},
		{name: "extension", file: schemas.ExtensionLDIFFile, conf: schemas.ExtensionSchemaFile, defs: schemas.ExtensionDefinitions(), ldif: schemas.ExtensionLDIF()},
	}
}

// compare fills missing and conflicts from the server's schema. A type or
// class counts as present when the server knows its OID under its name:
// Python Canaille's own copy of the oauth2 schema is therefore present.
func (st *schemaState) compare(s *serverSchema) {
	st.missing, st.conflicts = nil, nil
	for _, a := range st.defs.AttributeTypes {
		got, ok := s.attrs[a.OID]
		switch {
		case !ok:
			st.missing = append(st.missing, a.Name())
		case !slices.ContainsFunc(got.Names, func(n string) bool { return strings.EqualFold(n, a.Name()) }):
			st.conflicts = append(st.conflicts, fmt.Sprintf("%s is %s on the server", a.OID, strings.Join(got.Names, "/")))
		}
	}
	for _, o := range st.defs.ObjectClasses {
		got, ok := s.classes[o.OID]
		switch {
		case !ok:
			st.missing = append(st.missing, o.Name())
		case !slices.ContainsFunc(got.Names, func(n string) bool { return strings.EqualFold(n, o.Name()) }):
			st.conflicts = append(st.conflicts, fmt.Sprintf("%s is %s on the server", o.OID, strings.Join(got.Names, "/")))
		}
	}
}

// describe says what is wrong with a schema that is not present.
func (st *schemaState) describe() string {
	var parts []string
	if st.absent() {
		parts = append(parts, "not loaded")
	} else if len(st.missing) > 0 {
		parts = append(parts, fmt.Sprintf("incomplete (an older version?): %d definitions missing: %s", len(st.missing), shortList(st.missing, 8)))
	}
	if len(st.conflicts) > 0 {
		parts = append(parts, "conflicting OIDs: "+shortList(st.conflicts, 4))
	}
	return strings.Join(parts, "; ")
}

func shortList(l []string, n int) string {
	if len(l) <= n {
		return strings.Join(l, ", ")
	}
	return strings.Join(l[:n], ", ") + fmt.Sprintf(" and %d more", len(l)-n)
}

// addSchema adds a cn=config schema entry. It returns the LDAP error as
// is, so that the caller can tell a refusal from another failure.
func (c *upstreamConn) addSchema(data []byte) (string, error) {
	e, err := ldif.NewReader(bytes.NewReader(data)).Next()
	if err != nil {
		return "", err
	}
	req := ldap.NewAddRequest(e.DN, nil)
	for _, a := range e.Attributes {
		vs := make([]string, len(a.Values))
		for i, v := range a.Values {
			vs[i] = string(v)
		}
		req.Attribute(a.Name, vs)
	}
	return e.DN, c.Add(req)
}

// refused reports whether err means that the bind DN may not write
// cn=schema,cn=config, or that the server has no cn=config to write (a
// slapd.conf configuration, or another server).
func refused(err error) bool {
	return ldap.IsErrorAnyOf(err, ldap.LDAPResultInsufficientAccessRights, ldap.LDAPResultNoSuchObject,
		ldap.LDAPResultUnwillingToPerform, ldap.LDAPResultStrongAuthRequired, ldap.LDAPResultConfidentialityRequired,
		ldap.LDAPResultReferral)
}

// schemaDir returns the directory the manual instructions name: the
// packaged files when they are there and current, else a directory that
// `canaille install --write-schemas` fills.
func schemaDir(sts []*schemaState) (dir string, packaged bool) {
	for _, st := range sts {
		for _, name := range []string{st.file, st.conf} {
			got, err := os.ReadFile(filepath.Join(packagedSchemaDir, name))
			want, _ := fs.ReadFile(schemas.OpenLDAPFiles(), name)
			if err != nil || !bytes.Equal(got, want) {
				// Absolute, as include lines and ldapadd -f need.
				if abs, err := filepath.Abs("canaille-schemas"); err == nil {
					return abs, false
				}
				return "canaille-schemas", false
			}
		}
	}
	return packagedSchemaDir, true
}

// manualSchemaInstructions explains how to load the schemas sts by hand
// in both OpenLDAP configuration styles.
func manualSchemaInstructions(w io.Writer, sts []*schemaState) {
	dir, packaged := schemaDir(sts)
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("")
	p("Install the schemas by hand, as root on the LDAP server:")
	if !packaged {
		p("")
		p("  1. Write the schema files (packages install them in %s), and copy", packagedSchemaDir)
		p("     the directory to the LDAP server if it is another machine:")
		p("")
		p("       canaille install --write-schemas %s", dir)
		p("")
		p("  2. Load them.")
	}
	p("")
	p("  With a cn=config configuration (/etc/ldap/slapd.d), while slapd runs:")
	p("")
	for _, st := range sts {
		p("       ldapadd -Y EXTERNAL -H ldapi:/// -f %s/%s", dir, st.file)
	}
	p("")
	p("  or with slapd stopped:")
	p("")
	p("       systemctl stop slapd")
	for _, st := range sts {
		p("       sudo -u openldap slapadd -n0 -F /etc/ldap/slapd.d -l %s/%s", dir, st.file)
	}
	p("       systemctl start slapd")
	p("")
	p("  With a slapd.conf configuration: add these lines after the includes of")
	p("  the core, cosine, inetorgperson and nis schemas, then restart slapd")
	p("  (systemctl restart slapd):")
	p("")
	for _, st := range sts {
		p("       include %s/%s", dir, st.conf)
	}
	p("")
	p("Then run 'canaille install' again to check them.")
	p("")
}

// ensureEntry creates dn, and its missing parents, when it does not exist.
// It reports whether it created it. Entries are created by the attribute
// of their RDN: ou (organizationalUnit), o (organization) or dc (domain).
func (c *upstreamConn) ensureEntry(dn string, depth int) (bool, error) {
	parsed, err := ldap.ParseDN(dn)
	if err != nil || len(parsed.RDNs) == 0 {
		return false, fmt.Errorf("%s is not a valid DN", dn)
	}
	_, err = c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"1.1"}, nil))
	if err == nil {
		return false, nil
	}
	if !ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
		return false, fmt.Errorf("read %s: %v", dn, unwrapLDAP(err))
	}
	if len(parsed.RDNs) > 1 && depth < 16 {
		parent := &ldap.DN{RDNs: parsed.RDNs[1:]}
		if _, err := c.ensureEntry(parent.String(), depth+1); err != nil {
			return false, err
		}
	}
	rdn := parsed.RDNs[0].Attributes[0]
	req := ldap.NewAddRequest(dn, nil)
	switch strings.ToLower(rdn.Type) {
	case "ou":
		req.Attribute("objectClass", []string{"top", "organizationalUnit"})
	case "o":
		req.Attribute("objectClass", []string{"top", "organization"})
	case "dc":
		req.Attribute("objectClass", []string{"top", "domain"})
	default:
		return false, fmt.Errorf("%s does not exist, and canaille creates only ou=, o= and dc= entries: create it by hand", dn)
	}
	req.Attribute(rdn.Type, []string{rdn.Value})
	if err := c.Add(req); err != nil {
		switch {
		case ldap.IsErrorWithCode(err, ldap.LDAPResultEntryAlreadyExists):
			return false, nil
		case ldap.IsErrorWithCode(err, ldap.LDAPResultInsufficientAccessRights):
			return false, fmt.Errorf("create %s: CANAILLE_LDAP.BIND_DN %s may not: grant it write access there, or create the entry by hand", dn, c.cfg.BindDN)
		case ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) && len(parsed.RDNs) == 1,
			ldap.IsErrorWithCode(err, ldap.LDAPResultUnwillingToPerform):
			return false, fmt.Errorf("create %s: %v: is CANAILLE_LDAP.ROOT_DN the suffix of a database of this server?", dn, unwrapLDAP(err))
		}
		return false, fmt.Errorf("create %s: %v", dn, unwrapLDAP(err))
	}
	return true, nil
}

// upstreamEntries returns the entries canaille needs: USER_BASE,
// GROUP_BASE and the branches under ROOT_DN, each with its key.
func upstreamEntries(l LDAPConfig) [][2]string {
	out := [][2]string{{"CANAILLE_LDAP.USER_BASE", l.UserBase}, {"CANAILLE_LDAP.GROUP_BASE", l.GroupBase}}
	for _, dn := range schemas.UpstreamBranches(l.RootDN) {
		out = append(out, [2]string{"CANAILLE_LDAP.ROOT_DN", dn})
	}
	return out
}

// installUpstream prepares the upstream directory: schemas, then base
// entries. It returns an error when something is left to do by hand.
func installUpstream(ctx context.Context, cfg *Config, out io.Writer) error {
	l := cfg.LDAP
	c, err := dialUpstream(ctx, l)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.bind(); err != nil {
		return err
	}
	who := "anonymously"
	if l.BindDN != "" {
		who = "as " + l.BindDN
	}
	fmt.Fprintf(out, "connected to %s, %s, bound %s\n", l.URI, c.tlsMode, who)
	dse, err := c.rootDSE()
	if err != nil {
		return fmt.Errorf("read the root DSE of %s: %v", l.URI, unwrapLDAP(err))
	}
	sts := ourSchemas()
	ss, err := c.subschema(dse.subschemaDN)
	if err != nil {
		return err
	}
	var manual []*schemaState
	var incomplete []string
	var refusal error
	for _, st := range sts {
		st.compare(ss)
		switch {
		case st.present():
			fmt.Fprintf(out, "schema %s present (%d attribute types, %d object classes)\n", st.name,
				len(st.defs.AttributeTypes), len(st.defs.ObjectClasses))
		case !st.absent() || len(st.conflicts) > 0:
			incomplete = append(incomplete, fmt.Sprintf("schema %s is %s", st.name, st.describe()))
		case refusal != nil:
			manual = append(manual, st)
		default:
			dn, err := c.addSchema(st.ldif)
			switch {
			case err == nil:
				fmt.Fprintf(out, "schema %s added: %s\n", st.name, dn)
			case refused(err):
				refusal = fmt.Errorf("%s: %v", dn, unwrapLDAP(err))
				manual = append(manual, st)
			default:
				return fmt.Errorf("add the %s schema %s: %v", st.name, dn, unwrapLDAP(err))
			}
		}
	}
	if len(manual) > 0 {
		fmt.Fprintf(out, "CANAILLE_LDAP.BIND_DN %s may not add the %s to cn=schema,cn=config (%v).\n",
			orAnonymous(l.BindDN), schemaNames(manual), refusal)
		manualSchemaInstructions(out, manual)
	} else if refusal == nil && len(incomplete) == 0 {
		// Check that the server now knows every definition.
		if ss, err = c.subschema(dse.subschemaDN); err == nil {
			for _, st := range sts {
				if st.compare(ss); !st.present() {
					incomplete = append(incomplete, fmt.Sprintf("schema %s is %s after loading it", st.name, st.describe()))
				}
			}
		}
	}
	var created []string
	for _, k := range upstreamEntries(l) {
		made, err := c.ensureEntry(k[1], 0)
		if err != nil {
			return fmt.Errorf("%s: %v", k[0], err)
		}
		if made {
			created = append(created, k[1])
		}
	}
	if len(created) > 0 {
		fmt.Fprintf(out, "entries created: %s\n", strings.Join(created, "; "))
	} else {
		fmt.Fprintf(out, "entries %s, %s and %s with its branches present\n", l.UserBase, l.GroupBase, schemas.OAuthBranch+","+l.RootDN)
	}
	switch {
	case len(incomplete) > 0:
		return fmt.Errorf("%s: upgrade it by hand (remove the old schema with slapmodify -n0 while slapd is stopped, then run 'canaille install' again)", strings.Join(incomplete, "; "))
	case len(manual) > 0:
		verb := "is"
		if len(manual) > 1 {
			verb = "are"
		}
		return fmt.Errorf("the %s %s not installed: install by hand as shown above, then run 'canaille install' again", schemaNames(manual), verb)
	}
	return nil
}

func orAnonymous(dn string) string {
	if dn == "" {
		return "(anonymous)"
	}
	return dn
}

// schemaNames names the schemas: "oauth2 schema", "oauth2 and extension
// schemas".
func schemaNames(sts []*schemaState) string {
	var n []string
	for _, st := range sts {
		n = append(n, st.name)
	}
	if len(n) > 1 {
		return strings.Join(n, " and ") + " schemas"
	}
	return strings.Join(n, " and ") + " schema"
}

// writeSchemas writes the schema files into dir (`canaille install
// --write-schemas DIR`).
func writeSchemas(dir string, out io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	names, err := fs.Glob(schemas.OpenLDAPFiles(), "*")
	if err != nil {
		return err
	}
	for _, n := range names {
		data, err := fs.ReadFile(schemas.OpenLDAPFiles(), n)
		if err != nil {
			return err
		}
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		fmt.Fprintln(out, p)
	}
	return nil
}

// Overlays of OpenLDAP that the upstream backend relies on.
type overlay struct {
	name, class string // olcOverlay name and cn=config object class
	required    bool
	why         string
}

var upstreamOverlays = []overlay{
	{"memberof", "olcMemberOf", true, "users' groups are read from memberOf"},
	{"refint", "olcRefintConfig", true, "without it, deleting or renaming a user leaves it in groups (configure olcRefintAttribute: member owner)"},
	{"ppolicy", "olcPPolicyConfig", false, "account locks (pwdEndTime, pwdAccountLockedTime) and intruder lockout need it, with a default policy"},
}

// configOverlays reads the overlays of the database whose suffix is
// rootDN from cn=config. It reports false when cn=config is not readable.
func (c *upstreamConn) configOverlays(rootDN string) (map[string]bool, string, bool) {
	res, err := c.Search(ldap.NewSearchRequest("cn=config", ldap.ScopeSingleLevel, ldap.NeverDerefAliases, 0, 0, false,
		"(olcSuffix=*)", []string{"olcSuffix"}, nil))
	if err != nil || len(res.Entries) == 0 {
		return nil, "", false
	}
	want, err := ldap.ParseDN(rootDN)
	if err != nil {
		return nil, "", false
	}
	var dbDN string
	for _, e := range res.Entries {
		for _, s := range e.GetAttributeValues("olcSuffix") {
			if d, err := ldap.ParseDN(s); err == nil && (d.EqualFold(want) || d.AncestorOfFold(want)) {
				dbDN = e.DN
			}
		}
	}
	if dbDN == "" {
		return nil, "", false
	}
	res, err = c.Search(ldap.NewSearchRequest(dbDN, ldap.ScopeSingleLevel, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=olcOverlayConfig)", []string{"objectClass", "olcOverlay", "olcDisabled"}, nil))
	if err != nil {
		return nil, "", false
	}
	found := map[string]bool{}
	for _, e := range res.Entries {
		if strings.EqualFold(e.GetAttributeValue("olcDisabled"), "TRUE") {
			continue
		}
		name := strings.ToLower(dropIndex(e.GetAttributeValue("olcOverlay")))
		for _, o := range upstreamOverlays {
			if name == o.name || slices.ContainsFunc(e.GetAttributeValues("objectClass"), func(s string) bool { return strings.EqualFold(s, o.class) }) {
				found[o.name] = true
			}
		}
	}
	return found, dbDN, true
}

func dropIndex(v string) string {
	if strings.HasPrefix(v, "{") {
		if i := strings.IndexByte(v, '}'); i > 0 {
			return v[i+1:]
		}
	}
	return v
}

// probeMemberOf tells whether the memberof overlay maintains memberOf, by
// reading the memberOf of a member of a group: "yes", "no" or "" when no
// group with members was found.
func (c *upstreamConn) probeMemberOf(l LDAPConfig) string {
	res, err := c.Search(ldap.NewSearchRequest(l.GroupBase, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 5, 0, false,
		fmt.Sprintf("(&(objectClass=%s)(member=*))", ldap.EscapeFilter(l.GroupClass)), []string{"member"}, nil))
	if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) || res == nil {
		return ""
	}
	for _, g := range res.Entries {
		for _, m := range g.GetAttributeValues("member") {
			if strings.EqualFold(m, g.DN) {
				continue
			}
			r, err := c.Search(ldap.NewSearchRequest(m, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
				"(objectClass=*)", []string{"memberOf"}, nil))
			if err != nil || len(r.Entries) != 1 {
				continue
			}
			gdn, _ := ldap.ParseDN(g.DN)
			for _, v := range r.Entries[0].GetAttributeValues("memberOf") {
				if d, err := ldap.ParseDN(v); err == nil && gdn != nil && d.EqualFold(gdn) {
					return "yes"
				}
			}
			return "no"
		}
	}
	return ""
}

// ppolicyControl is the OID of the password policy request control, which
// the root DSE lists when the ppolicy module is loaded.
const ppolicyControl = "1.3.6.1.4.1.42.2.27.8.5.1"

// upstream checks the upstream directory for `canaille check`.
func (c *checker) upstream(cfg *Config) {
	l := cfg.LDAP
	ctx, cancel := context.WithTimeout(c.e.ctx, 2*l.Timeout.Duration()+5*time.Second)
	defer cancel()
	conn, err := dialUpstream(ctx, l)
	if err != nil {
		c.problem("%v", err)
		return
	}
	defer conn.Close()
	dse, dseErr := conn.rootDSE()
	if dseErr == nil && slices.Contains(dse.supportedExtensions, "1.3.6.1.4.1.1466.20037") && strings.HasPrefix(conn.tlsMode, "no TLS") {
		conn.tlsMode += "; the server offers StartTLS"
	}
	c.ok("upstream LDAP server %s reachable, %s", l.URI, conn.tlsMode)
	if err := conn.bind(); err != nil {
		c.problem("%v", err)
		return
	}
	c.ok("bound as %s", orAnonymous(l.BindDN))
	if dseErr != nil {
		c.problem("read the root DSE of %s: %v", l.URI, unwrapLDAP(dseErr))
		return
	}
	if len(dse.namingContexts) > 0 {
		root, _ := ldap.ParseDN(l.RootDN)
		served := false
		for _, nc := range dse.namingContexts {
			if d, err := ldap.ParseDN(nc); err == nil && root != nil && (d.EqualFold(root) || d.AncestorOfFold(root)) {
				served = true
			}
		}
		if !served {
			c.problem("CANAILLE_LDAP.ROOT_DN %s is not under a naming context of the server (%s)", l.RootDN, strings.Join(dse.namingContexts, "; "))
		}
	}
	ss, err := conn.subschema(dse.subschemaDN)
	if err != nil {
		c.problem("%v", err)
	} else {
		for _, st := range ourSchemas() {
			st.compare(ss)
			switch {
			case st.present():
				c.ok("schema %s: %d attribute types and %d object classes (%s)", st.name,
					len(st.defs.AttributeTypes), len(st.defs.ObjectClasses), classList(st.defs))
			case st.absent() && len(st.conflicts) == 0:
				c.problem("schema %s is not loaded: run 'canaille install' (it loads it, or prints how to when the bind DN may not)", st.name)
			default:
				c.problem("schema %s is %s: upgrade it by hand", st.name, st.describe())
			}
		}
	}
	var missing []string
	for _, k := range upstreamEntries(l) {
		_, err := conn.Search(ldap.NewSearchRequest(k[1], ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
			"(objectClass=*)", []string{"1.1"}, nil))
		if err != nil {
			missing = append(missing, k[1])
		}
	}
	if len(missing) > 0 {
		c.problem("entries missing or not readable by the bind DN: %s: run 'canaille install'", shortList(missing, 4))
	} else {
		c.ok("entries %s, %s and %s with its branches present", l.UserBase, l.GroupBase, schemas.OAuthBranch+","+l.RootDN)
	}
	c.overlays(conn, dse, ss)
}

func classList(s *schemas.OpenLDAPSchema) string {
	var n []string
	for _, o := range s.ObjectClasses {
		n = append(n, o.Name())
	}
	return shortList(n, 5)
}

// overlays reports the memberof, refint and ppolicy overlays: from
// cn=config when the bind DN may read it, else by probing.
func (c *checker) overlays(conn *upstreamConn, dse rootDSE, ss *serverSchema) {
	l := conn.cfg
	found, dbDN, ok := conn.configOverlays(l.RootDN)
	if ok {
		for _, o := range upstreamOverlays {
			switch {
			case found[o.name]:
				c.ok("overlay %s on %s", o.name, dbDN)
			case o.required:
				c.problem("overlay %s is not configured on %s: add it (olcOverlay=%s): %s", o.name, dbDN, o.name, o.why)
			default:
				c.warn("overlay %s is not configured on %s: %s", o.name, dbDN, o.why)
			}
		}
		return
	}
	hint := "cn=config is not readable by the bind DN, so this is probed"
	// memberof
	switch {
	case ss != nil && !ss.hasAttr("memberOf"):
		c.problem("overlay memberof: the server does not know the memberOf attribute (%s): load the memberof module and add the overlay: %s", hint, upstreamOverlays[0].why)
	default:
		switch conn.probeMemberOf(l) {
		case "yes":
			c.ok("overlay memberof maintains memberOf (%s: a group member has it)", hint)
		case "no":
			c.problem("overlay memberof: a member of a group under %s has no memberOf for it (%s): add the memberof overlay to the database of %s (%s), or, if it is there, the groups were loaded before it was (slapadd does not run overlays): reload them with ldapadd", l.GroupBase, hint, l.RootDN, upstreamOverlays[0].why)
		default:
			c.warn("overlay memberof: the module is loaded (memberOf is known) but no group with members under %s shows that the overlay is on the database of %s (%s)", l.GroupBase, l.RootDN, hint)
		}
	}
	c.warn("overlay refint: cannot be seen without read access to cn=config; make sure it is on the database of %s: %s", l.RootDN, upstreamOverlays[1].why)
	switch {
	case ss != nil && ss.hasAttr("pwdPolicySubentry") && slices.Contains(dse.supportedControls, ppolicyControl):
		c.ok("overlay ppolicy: the module is loaded (password policy control and pwd* attributes known; %s)", hint)
	default:
		c.warn("overlay ppolicy is not loaded (no password policy control in the root DSE): %s", upstreamOverlays[2].why)
	}
}
