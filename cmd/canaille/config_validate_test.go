package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(c *Config)
		want   string // "" means valid
	}{
		{"Defaults", func(c *Config) {}, ""},
		{"SchemeHTTP", func(c *Config) { c.PreferredURLScheme = "http" }, ""},
		{"SchemeFTP", func(c *Config) { c.PreferredURLScheme = "ftp" }, `PREFERRED_URL_SCHEME: "ftp" is not supported`},
		{"ServerName", func(c *Config) { c.ServerName = "auth.example.org" }, ""},
		{"ServerNamePort", func(c *Config) { c.ServerName = "localhost:5000" }, ""},
		{"ServerNameIPv6", func(c *Config) { c.ServerName = "[::1]:5000" }, ""},
		{"ServerNameScheme", func(c *Config) { c.ServerName = "https://auth.example.org" }, "SERVER_NAME: \"https://auth.example.org\" must not contain a scheme"},
		{"ServerNamePath", func(c *Config) { c.ServerName = "auth.example.org/sso" }, "SERVER_NAME: \"auth.example.org/sso\" is not a host name"},
		{"ServerNameBadPort", func(c *Config) { c.ServerName = "auth.example.org:99999" }, "SERVER_NAME"},
		{"ServerNameSpace", func(c *Config) { c.ServerName = "auth example" }, "SERVER_NAME"},
		{"SecretShort", func(c *Config) { c.SecretKey = "short-secret" }, "SECRET_KEY: is too short (12 characters)"},
		{"SecretLong", func(c *Config) { c.SecretKey = strings.Repeat("x", 32) }, ""},
		{"DatabaseLDAP", func(c *Config) { c.Canaille.Database = "ldap" }, ""},
		{"DatabaseSQL", func(c *Config) { c.Canaille.Database = "sql" }, `CANAILLE.DATABASE: "sql" is a Python Canaille backend`},
		{"DatabaseOther", func(c *Config) { c.Canaille.Database = "postgres" }, `CANAILLE.DATABASE: "postgres" is not supported`},
		{"NameEmpty", func(c *Config) { c.Canaille.Name = " " }, "CANAILLE.NAME: must not be empty"},
		{"MinZero", func(c *Config) { c.Canaille.MinPasswordLength = 0 }, "CANAILLE.MIN_PASSWORD_LENGTH: is 0"},
		{"MaxHuge", func(c *Config) { c.Canaille.MaxPasswordLength = 5000 }, "CANAILLE.MAX_PASSWORD_LENGTH: is 5000; it must be at most 4096"},
		{"MaxBelowMin", func(c *Config) { c.Canaille.MinPasswordLength, c.Canaille.MaxPasswordLength = 20, 10 }, "less than MIN_PASSWORD_LENGTH (20)"},
		{"InvitationZero", func(c *Config) { c.Canaille.InvitationExpiration = 0 }, "CANAILLE.INVITATION_EXPIRATION: must be longer than 0"},
		{"Language", func(c *Config) { c.Canaille.Language = "pt-BR" }, ""},
		{"LanguageBad", func(c *Config) { c.Canaille.Language = "french!" }, "CANAILLE.LANGUAGE"},
		{"SMTPDisabledIgnored", func(c *Config) { c.Canaille.SMTP.Port = 0 }, ""},
		{"SMTPGood", func(c *Config) { enableSMTP(c) }, ""},
		{"SMTPPort", func(c *Config) { enableSMTP(c); c.Canaille.SMTP.Port = 70000 }, "CANAILLE.SMTP.PORT: is 70000"},
		{"SMTPTLSAndSSL", func(c *Config) { enableSMTP(c); c.Canaille.SMTP.TLS, c.Canaille.SMTP.SSL = true, true }, "CANAILLE.SMTP.SSL: TLS (STARTTLS) and SSL"},
		{"SMTPNoFrom", func(c *Config) { enableSMTP(c); c.Canaille.SMTP.FromAddr = "" }, "CANAILLE.SMTP.FROM_ADDR: must be set"},
		{"SMTPBadFrom", func(c *Config) { enableSMTP(c); c.Canaille.SMTP.FromAddr = "not an address" }, "CANAILLE.SMTP.FROM_ADDR: \"not an address\" is not an email address"},
		{"SMTPNoHost", func(c *Config) { enableSMTP(c); c.Canaille.SMTP.Host = "" }, "CANAILLE.SMTP.HOST: must not be empty"},
		{"HTTPUnix", func(c *Config) { c.HTTP.Listen = "unix:/run/canaille/http.sock" }, ""},
		{"HTTPUnixRelative", func(c *Config) { c.HTTP.Listen = "unix:http.sock" }, "CANAILLE_HTTP.LISTEN: \"unix:http.sock\": a unix socket needs an absolute path"},
		{"HTTPUnixLong", func(c *Config) { c.HTTP.Listen = "unix:/" + strings.Repeat("x", 120) }, "unix sockets allow at most 107"},
		{"HTTPAllInterfaces", func(c *Config) { c.HTTP.Listen = ":8080" }, ""},
		{"HTTPIPv6", func(c *Config) { c.HTTP.Listen = "[::1]:8080" }, ""},
		{"HTTPNoPort", func(c *Config) { c.HTTP.Listen = "localhost" }, `CANAILLE_HTTP.LISTEN: "localhost" is not host:port`},
		{"HTTPBadPort", func(c *Config) { c.HTTP.Listen = "localhost:http" }, "has no valid port"},
		{"Proxies", func(c *Config) { c.HTTP.TrustedProxies = StringList{"10.0.0.1", "fd00::/8", "192.168.0.0/16"} }, ""},
		{"ProxyBad", func(c *Config) { c.HTTP.TrustedProxies = StringList{"10.0.0.1", "proxy.local"} }, "CANAILLE_HTTP.TRUSTED_PROXIES: item 2, \"proxy.local\", is not an IP address or CIDR"},
		{"BoltRelative", func(c *Config) { c.Bolt.Path = "canaille.db" }, ""},
		{"BoltEmpty", func(c *Config) { c.Bolt.Path = "" }, "CANAILLE_BOLT.PATH: must not be empty"},
		{"BoltTimeout", func(c *Config) { c.Bolt.Timeout = 0 }, "CANAILLE_BOLT.TIMEOUT: must be longer than 0"},
		{"BoltSocketLong", func(c *Config) { c.Bolt.Path = "/" + strings.Repeat("d", 110) }, "CANAILLE_BOLT.CONTROL_SOCKET"},
		{"POSIXRange", func(c *Config) { c.Accounts.UIDMin = 70000 }, "CANAILLE_POSIX.UID_MIN: must be at least 1 and at most UID_MAX"},
		{"POSIXGIDZero", func(c *Config) { c.Accounts.GIDMin = 0 }, "CANAILLE_POSIX.GID_MIN"},
		{"POSIXHome", func(c *Config) { c.Accounts.HomeDirectory = "home/{user_name}" }, "CANAILLE_POSIX.HOME_DIRECTORY: must be an absolute path"},
		{"POSIXShell", func(c *Config) { c.Accounts.LoginShell = "bash" }, "CANAILLE_POSIX.LOGIN_SHELL: must be an absolute path"},
		{"Argon2Time", func(c *Config) { c.Hashing.Time = 0 }, "CANAILLE_ARGON2.TIME: must be in 1..1000"},
		{"Argon2Threads", func(c *Config) { c.Hashing.Parallelism = 0 }, "CANAILLE_ARGON2.PARALLELISM: must be at least 1"},
		{"Argon2Memory", func(c *Config) { c.Hashing.Memory = 16 }, "CANAILLE_ARGON2.MEMORY: must be at least 8×PARALLELISM"},
		{"Argon2Concurrency", func(c *Config) { c.Hashing.MaxConcurrent = -1 }, "CANAILLE_ARGON2.MAX_CONCURRENT: is -1"},
		{"LogLevel", func(c *Config) { c.Log.Level = "trace" }, `CANAILLE_LOG.LEVEL: "trace" is not a level`},
		{"LogLevelUpper", func(c *Config) { c.Log.Level = "DEBUG" }, ""},
		{"LogFormat", func(c *Config) { c.Log.Format = "xml" }, `CANAILLE_LOG.FORMAT: "xml" is not a format`},
		{"LDAPListen", func(c *Config) { c.LDAPServer.Listen = "abc" }, `CANAILLE_LDAP_SERVER.LISTEN: "abc" is not host:port`},
		{"LDAPSListen", func(c *Config) { setTLS(c); c.LDAPServer.LDAPSListen = "636" }, `CANAILLE_LDAP_SERVER.LDAPS_LISTEN: "636" is not host:port`},
		{"LDAPOnlyLDAPS", func(c *Config) { setTLS(c); c.LDAPServer.Listen = "" }, ""},
		{"LDAPNoListener", func(c *Config) { c.LDAPServer.Listen = "" }, "CANAILLE_LDAP_SERVER.ENABLE: is true but no listener would start"},
		{"LDAPDisabledNoListener", func(c *Config) { c.LDAPServer.Enable, c.LDAPServer.Listen, c.LDAPServer.LDAPSListen = false, "", "" }, ""},
		{"LDAPCertOnly", func(c *Config) { c.LDAPServer.TLSCert = "/etc/canaille/ldap.crt" }, "CANAILLE_LDAP_SERVER.TLS_KEY: is empty, but TLS_CERT and TLS_KEY go together"},
		{"LDAPKeyOnly", func(c *Config) { c.LDAPServer.TLSKey = "/etc/canaille/ldap.key" }, "CANAILLE_LDAP_SERVER.TLS_CERT: is empty"},
		{"LDAPRequireTLS", func(c *Config) { c.LDAPServer.RequireTLSForBind = true }, "CANAILLE_LDAP_SERVER.REQUIRE_TLS_FOR_BIND: is true but no TLS is possible"},
		{"LDAPRequireTLSWithFiles", func(c *Config) { setTLS(c); c.LDAPServer.RequireTLSForBind = true }, ""},
		{"LDAPSExplicitWithoutTLS", func(c *Config) { c.set["CANAILLE_LDAP_SERVER.LDAPS_LISTEN"] = "" }, "CANAILLE_LDAP_SERVER.LDAPS_LISTEN: LDAPS needs TLS_CERT and TLS_KEY"},
		{"LDAPRootDNEmpty", func(c *Config) { c.LDAPServer.RootDN = "" }, "CANAILLE_LDAP_SERVER.ROOT_DN: must not be empty"},
		{"LDAPRootDNBad", func(c *Config) { c.LDAPServer.RootDN = "example.org" }, `CANAILLE_LDAP_SERVER.ROOT_DN: "example.org" is not a valid DN`},
		{"LDAPSizeLimit", func(c *Config) { c.LDAPServer.SizeLimit = -1 }, "CANAILLE_LDAP_SERVER.SIZE_LIMIT: is -1"},
		{"LDAPBindCacheOff", func(c *Config) { c.LDAPServer.BindCacheTTL = 0 }, ""},
		{"OIDCAlg", func(c *Config) { c.OIDC.JWT.Alg = "HS256" }, `CANAILLE_OIDC.JWT.ALG: "HS256" is not supported`},
		{"OIDCAlgES256", func(c *Config) { c.OIDC.JWT.Alg = "ES256" }, ""},
		{"OIDCExp", func(c *Config) { c.OIDC.JWT.Exp = 0 }, "CANAILLE_OIDC.JWT.EXP: must be longer than 0"},
		{"OIDCNoKey", func(c *Config) { c.OIDC.JWT.PrivateKey = "" }, "CANAILLE_OIDC.JWT.PRIVATE_KEY"},
		{"OIDCNoKeyDisabled", func(c *Config) { c.OIDC.EnableOIDC, c.OIDC.JWT.PrivateKey, c.OIDC.JWT.PublicKey = false, "", "" }, ""},
		{"OIDCNoSub", func(c *Config) { c.OIDC.UserinfoMapping.Sub = "" }, "CANAILLE_OIDC.USERINFO_MAPPING.SUB"},
		{"OIDCEmptyDomain", func(c *Config) { c.OIDC.TrustedDomains = StringList{".a.org", " "} }, "CANAILLE_OIDC.TRUSTED_DOMAINS: item 2 is empty"},
		{"UpstreamIgnoredWithBolt", func(c *Config) { c.LDAP.URI = "http://x" }, ""},
		{"UpstreamURI", func(c *Config) { c.Canaille.Database = "ldap"; c.LDAP.URI = "http://x" }, `CANAILLE_LDAP.URI: "http://x" is not an LDAP URI`},
		{"UpstreamLDAPS", func(c *Config) { c.Canaille.Database = "ldap"; c.LDAP.URI = "ldaps://ldap.example.org:636" }, ""},
		{"UpstreamLDAPI", func(c *Config) { c.Canaille.Database = "ldap"; c.LDAP.URI = "ldapi:///" }, ""},
		{"UpstreamBindDN", func(c *Config) { c.Canaille.Database = "ldap"; c.LDAP.BindDN = "admin" }, `CANAILLE_LDAP.BIND_DN: "admin" is not a valid DN`},
		{"UpstreamAnonymous", func(c *Config) { c.Canaille.Database = "ldap"; c.LDAP.BindDN = "" }, ""},
		{"UpstreamUserBase", func(c *Config) { c.Canaille.Database = "ldap"; c.LDAP.UserBase = "" }, "CANAILLE_LDAP.USER_BASE: must not be empty"},
		{"UpstreamGroupBase", func(c *Config) { c.Canaille.Database = "ldap"; c.LDAP.GroupBase = "groups" }, "CANAILLE_LDAP.GROUP_BASE"},
		{"UpstreamTimeout", func(c *Config) { c.Canaille.Database = "ldap"; c.LDAP.Timeout = 0 }, "CANAILLE_LDAP.TIMEOUT"},
		{"UpstreamClass", func(c *Config) { c.Canaille.Database = "ldap"; c.LDAP.UserClass = nil }, "CANAILLE_LDAP.USER_CLASS"},
		{"UpstreamRDN", func(c *Config) { c.Canaille.Database = "ldap"; c.LDAP.GroupRDN = "" }, "CANAILLE_LDAP.GROUP_RDN: must not be empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.set = map[string]string{}
			tt.change(c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected problems:\n%v", err)
			case tt.want != "" && err == nil:
				t.Errorf("no problem, want %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("problems:\n%v\nwant %q", err, tt.want)
			}
		})
	}
}

func enableSMTP(c *Config) {
	c.Canaille.SMTP.Enabled = true
	c.Canaille.SMTP.FromAddr = "Example <noreply@example.org>"
}

func setTLS(c *Config) {
	c.LDAPServer.TLSCert, c.LDAPServer.TLSKey = "/etc/canaille/ldap.crt", "/etc/canaille/ldap.key"
}

func TestValidateReportsEveryProblem(t *testing.T) {
	path := writeConfig(t, `
PREFERRED_URL_SCHEME = "ftp"
[CANAILLE]
DATABASE = "sql"
MIN_PASSWORD_LENGTH = 0
[CANAILLE_HTTP]
LISTEN = "abc"
[CANAILLE_LOG]
LEVEL = "loud"
[CANAILLE_LDAP_SERVER]
LDAPS_LISTEN = ":636"
ROOT_DN = "not a dn"
[CANAILLE.ACL.X]
PERMISSIONS = ["fly"]
READ = ["shoe_size"]
`)
	c, _, err := LoadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("Validate = %v, want a *ConfigError", err)
	}
	want := []string{"PREFERRED_URL_SCHEME", "CANAILLE.DATABASE", "CANAILLE.MIN_PASSWORD_LENGTH", "CANAILLE_HTTP.LISTEN",
		"CANAILLE_LOG.LEVEL", "CANAILLE_LDAP_SERVER.LDAPS_LISTEN", "CANAILLE_LDAP_SERVER.ROOT_DN",
		"CANAILLE.ACL.X.PERMISSIONS", "CANAILLE.ACL.X.READ"}
	if len(ce.Problems) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(ce.Problems), len(want), err)
	}
	for i, key := range want {
		if !strings.HasPrefix(ce.Problems[i], path+": "+key+": ") {
			t.Errorf("problem %d = %q, want the file and %s", i, ce.Problems[i], key)
		}
	}
	if got := strings.Count(err.Error(), "\n"); got != len(want)-1 {
		t.Errorf("the error has %d lines, want one per problem", got+1)
	}
}

func TestRequireSecretKey(t *testing.T) {
	for _, tt := range []struct {
		name, file string
		env        []string
		want       string
	}{
		{"Missing", "", nil, "SECRET_KEY is not set in "},
		{"Short", "SECRET_KEY = \"too-short\"\n", nil, "is too short (9 characters)"},
		{"ShortFromEnv", "", []string{"SECRET_KEY=abc"}, "environment variable SECRET_KEY is too short"},
		{"Good", "SECRET_KEY = \"" + strings.Repeat("k", 32) + "\"\n", nil, ""},
		{"GoodFromEnv", "", []string{"SECRET_KEY=" + strings.Repeat("é", 32)}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.toml")
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			c, _, err := LoadConfig(path, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			err = c.RequireSecretKey()
			switch {
			case tt.want == "" && err != nil:
				t.Error(err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("RequireSecretKey = %v, want %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "too-short") {
				t.Errorf("the key leaks: %v", err)
			}
		})
	}
}
