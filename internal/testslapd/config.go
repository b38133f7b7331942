package testslapd

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// configLDIF is the cn=config tree loaded with slapadd -n 0.
func (s *Server) configLDIF() []byte {
	o := &s.opts
	var b strings.Builder
	fmt.Fprintf(&b, "dn: cn=config\nobjectClass: olcGlobal\ncn: config\nolcPidFile: %s\nolcArgsFile: %s\n",
		filepath.Join(s.Dir, "slapd.pid"), filepath.Join(s.Dir, "slapd.args"))
	if o.tlsCert != "" {
		fmt.Fprintf(&b, "olcTLSCertificateFile: %s\nolcTLSCertificateKeyFile: %s\n", o.tlsCert, o.tlsKey)
		if o.tlsCA != "" {
			fmt.Fprintf(&b, "olcTLSCACertificateFile: %s\n", o.tlsCA)
		}
	}
	fmt.Fprintf(&b, "\ndn: cn=module{0},cn=config\nobjectClass: olcModuleList\ncn: module{0}\nolcModulePath: %s\nolcModuleLoad: back_mdb\n", ModuleDir)
	for _, m := range o.modules() {
		fmt.Fprintf(&b, "olcModuleLoad: %s\n", m)
	}
	b.WriteString("\ndn: cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: schema\n")
	for _, name := range []string{"core", "cosine", "inetorgperson", "nis"} {
		// Read at Start, after the existence check.
		data, _ := os.ReadFile(filepath.Join(SchemaDir, name+".ldif"))
		if name == "nis" && o.auxPosix {
			unfolded := strings.ReplaceAll(string(data), "\n ", "")
			data = []byte(strings.Replace(unfolded, "'Abstraction of a group of accounts' SUP top STRUCTURAL",
				"'Abstraction of a group of accounts' SUP top AUXILIARY", 1))
		}
		b.WriteString("\n")
		b.Write(trimLDIF(data))
	}
	for _, data := range o.schemas {
		b.WriteString("\n")
		b.Write(trimLDIF(data))
	}
	b.WriteString("\ndn: olcDatabase={-1}frontend,cn=config\nobjectClass: olcDatabaseConfig\nobjectClass: olcFrontendConfig\nolcDatabase: {-1}frontend\nolcSizeLimit: unlimited\n")
	b.WriteString("\ndn: olcDatabase={0}config,cn=config\nobjectClass: olcDatabaseConfig\nolcDatabase: {0}config\n")
	switch o.config {
	case ConfigManage:
		fmt.Fprintf(&b, "olcAccess: {0}to * by dn.exact=\"%s\" manage by * none\n", s.AdminDN)
	case ConfigRead:
		fmt.Fprintf(&b, "olcAccess: {0}to * by dn.exact=\"%s\" read by * none\n", s.AdminDN)
	default:
		b.WriteString("olcAccess: {0}to * by * none\n")
	}
	memberOfIndex := ""
	if o.memberOf {
		memberOfIndex = "olcDbIndex: memberOf eq\n"
	}
	fmt.Fprintf(&b, "\ndn: olcDatabase={1}mdb,cn=config\nobjectClass: olcDatabaseConfig\nobjectClass: olcMdbConfig\n"+
		"olcDatabase: {1}mdb\nolcDbDirectory: %s\nolcSuffix: %s\nolcRootDN: %s\nolcRootPW: %s\nolcDbMaxSize: 268435456\n"+
		"olcDbIndex: objectClass eq\nolcDbIndex: entryUUID eq\nolcDbIndex: uid,mail,cn eq,sub\nolcDbIndex: member eq\n"+
		"olcDbIndex: uidNumber,gidNumber eq\n%s"+
		"olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none\n"+
		"olcAccess: {1}to * by self read by users read by * none\n",
		filepath.Join(s.Dir, "db"), o.suffix, s.AdminDN, s.AdminPassword, memberOfIndex)
	n := 0
	if o.ppolicy {
		fmt.Fprintf(&b, "\ndn: olcOverlay={%d}ppolicy,olcDatabase={1}mdb,cn=config\nobjectClass: olcOverlayConfig\nobjectClass: olcPPolicyConfig\n"+
			"olcOverlay: {%d}ppolicy\nolcPPolicyDefault: %s\nolcPPolicyHashCleartext: TRUE\nolcPPolicyUseLockout: TRUE\n",
			n, n, s.PolicyDN())
		n++
	}
	if o.memberOf {
		fmt.Fprintf(&b, "\ndn: olcOverlay={%d}memberof,olcDatabase={1}mdb,cn=config\nobjectClass: olcOverlayConfig\nobjectClass: olcMemberOf\n"+
			"olcOverlay: {%d}memberof\nolcMemberOfDangling: ignore\nolcMemberOfRefInt: TRUE\nolcMemberOfGroupOC: groupOfNames\n"+
			"olcMemberOfMemberAD: member\nolcMemberOfMemberOfAD: memberOf\n", n, n)
		n++
	}
	if o.refint {
		fmt.Fprintf(&b, "\ndn: olcOverlay={%d}refint,olcDatabase={1}mdb,cn=config\nobjectClass: olcOverlayConfig\nobjectClass: olcRefintConfig\n"+
			"olcOverlay: {%d}refint\nolcRefintAttribute: member\nolcRefintAttribute: owner\n", n, n)
	}
	return []byte(b.String())
}

// PolicyDN is the DN of the default password policy entry.
func (s *Server) PolicyDN() string { return "cn=default,ou=policies," + s.Suffix }

// dataLDIF is the content of the database: ROOT_DN, the OUs, the policy and
// the WithData entries.
func (s *Server) dataLDIF() ([]byte, error) {
	o := &s.opts
	first, _, ok := strings.Cut(o.suffix, ",")
	attr, value, _ := strings.Cut(first, "=")
	if !ok && first == o.suffix {
		ok = true
	}
	if !strings.EqualFold(strings.TrimSpace(attr), "dc") {
		return nil, fmt.Errorf("testslapd: suffix %q must begin with dc=", o.suffix)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "dn: %s\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\ndc: %s\no: %s\n",
		o.suffix, value, value)
	if o.ous {
		for _, ou := range []string{"users", "groups"} {
			fmt.Fprintf(&b, "\ndn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n", ou, o.suffix, ou)
		}
	}
	if o.ppolicy {
		fmt.Fprintf(&b, "\ndn: ou=policies,%s\nobjectClass: organizationalUnit\nou: policies\n", o.suffix)
		fmt.Fprintf(&b, "\ndn: %s\nobjectClass: top\nobjectClass: device\nobjectClass: pwdPolicy\ncn: default\npwdAttribute: userPassword\n",
			s.PolicyDN())
		for _, l := range o.policy {
			b.WriteString(l + "\n")
		}
	}
	for _, d := range o.data {
		b.WriteString("\n")
		b.Write(trimLDIF(d))
	}
	return []byte(b.String()), nil
}

// trimLDIF drops leading blank lines and makes the data end with one
// newline, so that concatenated files keep one blank line between records.
func trimLDIF(b []byte) []byte {
	s := strings.TrimLeft(string(b), "\n")
	s = strings.TrimRight(s, "\n") + "\n"
	return []byte(s)
}

func x509CertPool(caPEM []byte) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return pool
}
