package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/oidc"
	"github.com/canaille-go/canaille/store"
)

// maxUnixSocketPath is the longest unix socket path Linux accepts
// (sun_path holds 108 bytes including the terminating NUL).
const maxUnixSocketPath = 107

// Validate checks every value and returns a *ConfigError listing every
// problem, one per line, each naming its key in dotted TOML form (and the
// file, or the environment variable that set it). It checks values only:
// files, addresses and servers are not touched (`canaille check` does
// that). SECRET_KEY is checked only when set; RequireSecretKey insists on
// it. [CANAILLE_LDAP] is checked only when DATABASE is "ldap".
func (c *Config) Validate() error {
	v := &validator{c: c}
	v.root()
	v.canaille()
	v.smtp()
	v.http()
	v.bolt()
	v.posix()
	v.argon2()
	v.log()
	v.ldapServer()
	v.oidc()
	if c.Canaille.Database == "ldap" {
		v.upstream()
	}
	v.acl()
	if len(v.problems) > 0 {
		return &ConfigError{Problems: v.problems}
	}
	return nil
}

type validator struct {
	c        *Config
	problems []string
}

// add records a problem with key (dotted TOML form).
func (v *validator) add(key, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if src := v.c.set[key]; src != "" {
		v.problems = append(v.problems, fmt.Sprintf("%s (set by environment variable %s): %s", key, src, msg))
		return
	}
	if v.c.ConfigPath != "" {
		v.problems = append(v.problems, fmt.Sprintf("%s: %s: %s", v.c.ConfigPath, key, msg))
		return
	}
	v.problems = append(v.problems, key+": "+msg)
}

func (v *validator) root() {
	c := v.c
	if c.PreferredURLScheme != "https" && c.PreferredURLScheme != "http" {
		v.add("PREFERRED_URL_SCHEME", "%s is not supported; use \"https\" or \"http\"", quoteShort(c.PreferredURLScheme))
	}
	if c.ServerName != "" {
		if reason := checkServerName(c.ServerName); reason != "" {
			v.add("SERVER_NAME", "%s %s; write the public host name and optional port only, such as \"auth.example.org\" or \"auth.example.org:8443\"", quoteShort(c.ServerName), reason)
		}
	}
	if n := len([]rune(c.SecretKey)); n > 0 && n < minSecretKeyLength {
		v.add("SECRET_KEY", "is too short (%d characters); use a random string of at least %d characters, such as the output of `openssl rand -base64 48`", n, minSecretKeyLength)
	}
}

var languageTag = regexp.MustCompile(`^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$`)

func (v *validator) canaille() {
	if v.c.PermanentSessionLifetime <= 0 {
		v.add("PERMANENT_SESSION_LIFETIME", "must be longer than 0 seconds, such as 2592000 or \"P30D\"")
	}
	c := v.c.Canaille
	if strings.TrimSpace(c.Name) == "" {
		v.add("CANAILLE.NAME", "must not be empty; it is the organisation name shown in the interface and emails")
	}
	switch c.Database {
	case "bolt", "ldap":
	case "sql", "memory":
		v.add("CANAILLE.DATABASE", "%q is a Python Canaille backend that this version does not provide; use \"bolt\" (embedded, the default) or \"ldap\" (an upstream directory)", c.Database)
	default:
		v.add("CANAILLE.DATABASE", "%s is not supported; use \"bolt\" (embedded, the default) or \"ldap\" (an upstream directory)", quoteShort(c.Database))
	}
	const maxPassword = 4096
	if c.MinPasswordLength < 1 {
		v.add("CANAILLE.MIN_PASSWORD_LENGTH", "is %d; it must be at least 1", c.MinPasswordLength)
	}
	if c.MaxPasswordLength > maxPassword {
		v.add("CANAILLE.MAX_PASSWORD_LENGTH", "is %d; it must be at most %d", c.MaxPasswordLength, maxPassword)
	}
	if c.MaxPasswordLength < c.MinPasswordLength {
		v.add("CANAILLE.MAX_PASSWORD_LENGTH", "is %d, less than MIN_PASSWORD_LENGTH (%d)", c.MaxPasswordLength, c.MinPasswordLength)
	}
	if c.InvitationExpiration <= 0 {
		v.add("CANAILLE.INVITATION_EXPIRATION", "must be longer than 0 seconds, such as 172800 or \"P2D\"")
	}
	for _, a := range c.LoginAttributes {
		if a != "user_name" && a != "emails" {
			v.add("CANAILLE.LOGIN_ATTRIBUTES", "%s is not a login attribute; use \"user_name\" and/or \"emails\"", quoteShort(a))
		}
	}
	if len(c.LoginAttributes) == 0 {
		v.add("CANAILLE.LOGIN_ATTRIBUTES", "is empty: nobody could sign in; use [\"user_name\", \"emails\"] or one of them")
	}
	for key, u := range map[string]string{"CANAILLE.LOGO": c.Logo, "CANAILLE.FAVICON": c.Favicon} {
		if u != "" && !strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			v.add(key, "%s is not a URL; write an https:// address or a path on this server such as \"/static/img/logo.png\" (a theme's static/img/logo.png)", quoteShort(u))
		}
	}
	if c.Language != "" && !languageTag.MatchString(c.Language) {
		v.add("CANAILLE.LANGUAGE", "%s is not a language tag; write one such as \"fr\" or \"pt-BR\", or \"\" to follow the browser", quoteShort(c.Language))
	}
}

func (v *validator) smtp() {
	s := v.c.Canaille.SMTP
	if !s.Enabled {
		return
	}
	if s.Host == "" {
		v.add("CANAILLE.SMTP.HOST", "must not be empty when [CANAILLE.SMTP] is present; remove the section to send no mail")
	} else if reason := checkHost(s.Host); reason != "" {
		v.add("CANAILLE.SMTP.HOST", "%s %s", quoteShort(s.Host), reason)
	}
	if s.Port < 1 || s.Port > 65535 {
		v.add("CANAILLE.SMTP.PORT", "is %d; use a port between 1 and 65535 (usually 25, 587 with TLS or 465 with SSL)", s.Port)
	}
	if s.TLS && s.SSL {
		v.add("CANAILLE.SMTP.SSL", "TLS (STARTTLS) and SSL (implicit TLS) are both true; keep one")
	}
	if s.FromAddr == "" {
		v.add("CANAILLE.SMTP.FROM_ADDR", "must be set when [CANAILLE.SMTP] is present: the sender of emails, such as \"noreply@example.org\" or \"Example <noreply@example.org>\"")
	} else if _, err := mail.ParseAddress(s.FromAddr); err != nil {
		v.add("CANAILLE.SMTP.FROM_ADDR", "%s is not an email address; write one such as \"noreply@example.org\" or \"Example <noreply@example.org>\"", quoteShort(s.FromAddr))
	}
}

func (v *validator) http() {
	h := v.c.HTTP
	if p, ok := strings.CutPrefix(h.Listen, "unix:"); ok {
		switch {
		case !strings.HasPrefix(p, "/"):
			v.add("CANAILLE_HTTP.LISTEN", "%s: a unix socket needs an absolute path, such as \"unix:/run/canaille/http.sock\"", quoteShort(h.Listen))
		case len(p) > maxUnixSocketPath:
			v.add("CANAILLE_HTTP.LISTEN", "the socket path is %d bytes long; unix sockets allow at most %d", len(p), maxUnixSocketPath)
		}
	} else if reason := checkListen(h.Listen); reason != "" {
		v.add("CANAILLE_HTTP.LISTEN", "%s %s; write host:port such as \"127.0.0.1:5000\", or \"unix:/run/canaille/http.sock\"", quoteShort(h.Listen), reason)
	}
	for i, p := range h.TrustedProxies {
		if _, err := netip.ParseAddr(p); err == nil {
			continue
		}
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		v.add("CANAILLE_HTTP.TRUSTED_PROXIES", "item %d, %s, is not an IP address or CIDR range such as \"10.0.0.1\" or \"10.0.0.0/8\"", i+1, quoteShort(p))
	}
	if h.MetricsListen != "" {
		if reason := checkListen(h.MetricsListen); reason != "" {
			v.add("CANAILLE_HTTP.METRICS_LISTEN", "%s %s; write host:port such as \"10.0.0.5:9189\", or \"\" to serve /metrics on LISTEN to local clients only", quoteShort(h.MetricsListen), reason)
		} else if h.MetricsListen == h.Listen && !strings.HasSuffix(h.Listen, ":0") {
			v.add("CANAILLE_HTTP.METRICS_LISTEN", "is LISTEN itself; give another port, or \"\"")
		}
	}
}

func (v *validator) bolt() {
	b := v.c.Bolt
	if strings.TrimSpace(b.Path) == "" {
		v.add("CANAILLE_BOLT.PATH", "must not be empty; it is the database file, such as \"/var/lib/canaille/canaille.db\"")
	}
	if b.Timeout <= 0 {
		v.add("CANAILLE_BOLT.TIMEOUT", "must be longer than 0 seconds (how long to wait for the database lock)")
	}
	if n := len(b.ControlSocketPath()); n > maxUnixSocketPath {
		v.add("CANAILLE_BOLT.CONTROL_SOCKET", "the control socket path %s is %d bytes long; unix sockets allow at most %d: set CONTROL_SOCKET to a shorter path, such as \"/run/canaille/control.sock\"",
			quoteShort(b.ControlSocketPath()), n, maxUnixSocketPath)
	}
	if b.BackupDir != "" && v.c.Canaille.Database == "ldap" {
		v.add("CANAILLE_BOLT.BACKUP_DIR", "is for the embedded database; with DATABASE = \"ldap\" back up the directory instead (slapcat)")
	}
	if b.BackupDir != "" {
		if !filepath.IsAbs(b.BackupDir) {
			v.add("CANAILLE_BOLT.BACKUP_DIR", "%s is not an absolute path; write one such as \"/var/backups/canaille\"", quoteShort(b.BackupDir))
		}
		if b.BackupInterval < Duration(time.Second) {
			v.add("CANAILLE_BOLT.BACKUP_INTERVAL", "must be at least 1 second (86400 is a day)")
		}
		if b.BackupKeep < 1 {
			v.add("CANAILLE_BOLT.BACKUP_KEEP", "must be at least 1: the number of backups kept in BACKUP_DIR")
		}
	}
}

func (v *validator) posix() {
	err := v.c.POSIX().Validate()
	var ves store.ValidationErrors
	var ve *store.ValidationError
	switch {
	case err == nil:
	case errors.As(err, &ves):
		for _, e := range ves {
			v.add("CANAILLE_POSIX."+e.Field, "%s", e.Reason)
		}
	case errors.As(err, &ve):
		v.add("CANAILLE_POSIX."+ve.Field, "%s", ve.Reason)
	default:
		v.add("CANAILLE_POSIX", "%v", err)
	}
}

// argon2Keys maps password.Params field names to CANAILLE_ARGON2 keys.
var argon2Keys = strings.NewReplacer("MemoryKiB", "MEMORY", "Time", "TIME", "Threads", "PARALLELISM")

func (v *validator) argon2() {
	a := v.c.Hashing
	if err := a.Params().Validate(); err != nil {
		msg := strings.TrimPrefix(err.Error(), "password: ")
		msg = strings.TrimPrefix(msg, "invalid params: ")
		key := "CANAILLE_ARGON2"
		for _, f := range []string{"MemoryKiB", "Time", "Threads"} {
			if strings.HasPrefix(msg, f) {
				key += "." + argon2Keys.Replace(f)
				msg = strings.TrimSpace(strings.TrimPrefix(msg, f))
				break
			}
		}
		v.add(key, "%s", argon2Keys.Replace(msg))
	}
	if a.MaxConcurrent < 0 {
		v.add("CANAILLE_ARGON2.MAX_CONCURRENT", "is %d; use 0 (the number of CPUs) or more", a.MaxConcurrent)
	}
}

func (v *validator) log() {
	l := v.c.Log
	switch strings.ToLower(l.Level) {
	case "debug", "info", "warn", "warning", "error":
	default:
		v.add("CANAILLE_LOG.LEVEL", "%s is not a level; use \"debug\", \"info\", \"warn\" or \"error\"", quoteShort(l.Level))
	}
	switch strings.ToLower(l.Format) {
	case "text", "json":
	default:
		v.add("CANAILLE_LOG.FORMAT", "%s is not a format; use \"text\" or \"json\"", quoteShort(l.Format))
	}
}

func (v *validator) ldapServer() {
	l := v.c.LDAPServer
	const sec = "CANAILLE_LDAP_SERVER."
	if l.Listen != "" {
		if reason := checkListen(l.Listen); reason != "" {
			v.add(sec+"LISTEN", "%s %s; write host:port such as \":389\" or \"127.0.0.1:3389\", or \"\" to disable plain LDAP", quoteShort(l.Listen), reason)
		}
	}
	if l.LDAPSListen != "" {
		if reason := checkListen(l.LDAPSListen); reason != "" {
			v.add(sec+"LDAPS_LISTEN", "%s %s; write host:port such as \":636\", or \"\" to disable LDAPS", quoteShort(l.LDAPSListen), reason)
		}
	}
	if (l.TLSCert == "") != (l.TLSKey == "") {
		missing := "TLS_KEY"
		if l.TLSCert == "" {
			missing = "TLS_CERT"
		}
		v.add(sec+missing, "is empty, but TLS_CERT and TLS_KEY go together: set both (PEM files) or neither")
	} else if !l.TLSEnabled() {
		if l.LDAPSListen != "" && v.c.IsSet(sec+"LDAPS_LISTEN") {
			v.add(sec+"LDAPS_LISTEN", "LDAPS needs TLS_CERT and TLS_KEY; set them, or set LDAPS_LISTEN = \"\" to disable LDAPS")
		}
		if l.RequireTLSForBind {
			v.add(sec+"REQUIRE_TLS_FOR_BIND", "is true but no TLS is possible without TLS_CERT and TLS_KEY; set them, or set REQUIRE_TLS_FOR_BIND = false")
		}
	}
	if l.Enable && l.Listen == "" && l.LDAPSAddress() == "" {
		v.add(sec+"ENABLE", "is true but no listener would start: set LISTEN, or LDAPS_LISTEN with TLS_CERT and TLS_KEY, or set ENABLE = false")
	}
	if reason := checkDN(l.RootDN, true); reason != "" {
		v.add(sec+"ROOT_DN", "%s", reason)
	}
	if l.SizeLimit < 0 {
		v.add(sec+"SIZE_LIMIT", "is %d; use 0 (no limit) or more", l.SizeLimit)
	}
	if l.BindCacheTTL < 0 {
		v.add(sec+"BIND_CACHE_TTL", "must not be negative; 0 disables the cache")
	}
	for _, a := range l.BindLoginAttributes {
		if a != "user_name" && a != "emails" {
			v.add(sec+"BIND_LOGIN_ATTRIBUTES", "%s is not a login attribute; use \"user_name\" and/or \"emails\"", quoteShort(a))
		}
	}
	if l.MaxConnections < 1 {
		v.add(sec+"MAX_CONNECTIONS", "is %d; use 1 or more", l.MaxConnections)
	}
	if l.IdleTimeout < 0 {
		v.add(sec+"IDLE_TIMEOUT", "must not be negative; 0 keeps idle connections open")
	}
}

func (v *validator) oidc() {
	o := v.c.OIDC
	switch o.JWT.Alg {
	case "RS256", "ES256", "EdDSA":
	default:
		v.add("CANAILLE_OIDC.JWT.ALG", "%s is not supported; use \"RS256\", \"ES256\" or \"EdDSA\"", quoteShort(o.JWT.Alg))
	}
	if o.JWT.Exp <= 0 {
		v.add("CANAILLE_OIDC.JWT.EXP", "must be longer than 0 seconds, such as 3600")
	}
	switch o.AccessTokenFormat {
	case "jwt", "opaque":
	default:
		v.add("CANAILLE_OIDC.ACCESS_TOKEN_FORMAT", "%s is not supported; use \"jwt\" or \"opaque\"", quoteShort(o.AccessTokenFormat))
	}
	if o.RefreshTokenLifetime <= 0 {
		v.add("CANAILLE_OIDC.REFRESH_TOKEN_LIFETIME", "must be longer than 0 seconds, such as 2592000 (30 days)")
	}
	if o.AuthorizationCodeLifetime <= 0 || o.AuthorizationCodeLifetime.Duration() > 10*time.Minute {
		v.add("CANAILLE_OIDC.AUTHORIZATION_CODE_LIFETIME", "must be between 1 and 600 seconds, such as 300")
	}
	for claim, src := range o.UserinfoMapping.Templates() {
		if _, err := oidc.ParseTemplate(src); err != nil {
			v.add("CANAILLE_OIDC.USERINFO_MAPPING."+strings.ToUpper(claim), "%v", err)
		}
	}
	if o.EnableOIDC {
		if o.JWT.PrivateKey == "" {
			v.add("CANAILLE_OIDC.JWT.PRIVATE_KEY", "must name the PEM file of the signing key when ENABLE_OIDC is true")
		}
		if o.JWT.PublicKey == "" {
			v.add("CANAILLE_OIDC.JWT.PUBLIC_KEY", "must name the PEM file of the public key when ENABLE_OIDC is true")
		}
		if strings.TrimSpace(o.UserinfoMapping.Sub) == "" {
			v.add("CANAILLE_OIDC.USERINFO_MAPPING.SUB", "must not be empty: every token needs a subject")
		}
	}
	for i, d := range o.TrustedDomains {
		if strings.TrimSpace(d) == "" {
			v.add("CANAILLE_OIDC.TRUSTED_DOMAINS", "item %d is empty; remove it", i+1)
		}
	}
}

func (v *validator) upstream() {
	l := v.c.LDAP
	const sec = "CANAILLE_LDAP."
	if u, err := url.Parse(l.URI); err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps" && u.Scheme != "ldapi") {
		v.add(sec+"URI", "%s is not an LDAP URI; write one such as \"ldap://localhost\", \"ldaps://ldap.example.org\" or \"ldapi:///\"", quoteShort(l.URI))
	}
	for _, k := range []struct {
		key, dn  string
		required bool
	}{{"ROOT_DN", l.RootDN, false}, {"BIND_DN", l.BindDN, false}, {"USER_BASE", l.UserBase, true}, {"GROUP_BASE", l.GroupBase, true}} {
		if reason := checkDN(k.dn, k.required); reason != "" {
			v.add(sec+k.key, "%s", reason)
		}
	}
	if l.Timeout <= 0 {
		v.add(sec+"TIMEOUT", "must be longer than 0 seconds, such as 10")
	}
	if len(l.UserClass) == 0 {
		v.add(sec+"USER_CLASS", "must list at least one object class, such as [\"inetOrgPerson\"]")
	}
	for _, k := range []struct{ key, val string }{{"USER_RDN", l.UserRDN}, {"GROUP_CLASS", l.GroupClass}, {"GROUP_RDN", l.GroupRDN}, {"GROUP_NAME_ATTRIBUTE", l.GroupNameAttribute}} {
		if strings.TrimSpace(k.val) == "" {
			v.add(sec+k.key, "must not be empty")
		}
	}
	if u, err := url.Parse(l.URI); l.StartTLS && err == nil && u.Scheme != "ldap" {
		v.add(sec+"START_TLS", "works only with an ldap:// URI (ldaps:// is TLS already, ldapi:// a local socket); set it to false or change URI")
	}
	if l.CAFile != "" {
		if data, err := os.ReadFile(l.CAFile); err != nil {
			v.add(sec+"CA_FILE", "cannot be read: %v", err)
		} else if !x509.NewCertPool().AppendCertsFromPEM(data) {
			v.add(sec+"CA_FILE", "%s holds no PEM certificate", quoteShort(l.CAFile))
		}
	}
	if l.PoolSize < 0 || l.PoolSize > 1000 {
		v.add(sec+"POOL_SIZE", "must be between 1 and 1000 (0 means the default, 10)")
	}
}

func (v *validator) acl() {
	if _, err := v.c.ACLPolicy(); err != nil {
		msg := strings.TrimPrefix(err.Error(), "acl: ")
		for i, p := range strings.Split(msg, "; CANAILLE.ACL.") {
			if i > 0 {
				p = "CANAILLE.ACL." + p
			}
			key, reason, ok := strings.Cut(p, ": ")
			if !ok {
				key, reason = "CANAILLE.ACL", p
			}
			v.add(key, "%s", reason)
		}
	}
}

// checkDN returns "" when s is a valid DN (or empty and not required), else
// the reason.
func checkDN(s string, required bool) string {
	if strings.TrimSpace(s) == "" {
		if required {
			return "must not be empty; write a DN such as \"dc=example,dc=org\""
		}
		return ""
	}
	if _, err := ldap.ParseDN(s); err != nil {
		return fmt.Sprintf("%s is not a valid DN (%v); write one such as \"dc=example,dc=org\"", quoteShort(s), err)
	}
	return ""
}

// checkListen returns "" when s is host:port with a numeric port (host
// may be empty for every interface), else the reason.
func checkListen(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "is not host:port"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "has no valid port (0 to 65535)"
	}
	if host != "" {
		if reason := checkHost(host); reason != "" {
			return reason
		}
	}
	return ""
}

// checkServerName returns "" when s is host[:port] without scheme, path
// or user, else the reason.
func checkServerName(s string) string {
	if strings.Contains(s, "://") {
		return "must not contain a scheme (PREFERRED_URL_SCHEME gives it)"
	}
	u, err := url.Parse("//" + s)
	if err != nil || u.Host != s || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return "is not a host name with an optional port"
	}
	if strings.HasSuffix(s, ":") {
		return "has an empty port"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "has no valid port (1 to 65535)"
		}
	}
	return checkHost(u.Hostname())
}

// checkHost returns "" when s is an IP address or a host name.
func checkHost(s string) string {
	if _, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return ""
	}
	if s == "" || len(s) > 253 {
		return "is not a host name"
	}
	for label := range strings.SplitSeq(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "is not a host name"
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return "is not a host name"
			}
		}
	}
	return ""
}
