package main

import (
	"bytes"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// samplePath is the shipped sample configuration, relative to this package.
const samplePath = "../../config.sample.toml"

// writeConfig writes text to a config.toml in a temporary directory and
// returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// mustLoad loads text (with environ) and fails the test on error.
func mustLoad(t *testing.T, text string, environ ...string) (*Config, []string) {
	t.Helper()
	c, warnings, err := LoadConfig(writeConfig(t, text), environ)
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	return c, warnings
}

// keyValue returns the value of a dotted TOML key of c.
func keyValue(t *testing.T, c *Config, key string) any {
	t.Helper()
	v := reflect.ValueOf(c).Elem()
	for _, part := range strings.Split(key, ".") {
		f, ok := tomlField(v.Type(), part)
		if !ok {
			t.Fatalf("no key %s", key)
		}
		v = v.FieldByIndex(f.Index)
	}
	return v.Interface()
}

// leafKeys lists every key of the Config type in dotted form, walking the
// toml tags; maps (ACL sections) are listed by their own key.
func leafKeys(t reflect.Type, prefix string) []string {
	var out []string
	for _, name := range tomlNames(t) {
		f, _ := tomlField(t, name)
		key := prefix + name
		if f.Type.Kind() == reflect.Struct {
			out = append(out, leafKeys(f.Type, key+".")...)
		} else {
			out = append(out, key)
		}
	}
	return out
}

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	for _, tt := range []struct {
		key  string
		want any
	}{
		{"PREFERRED_URL_SCHEME", "https"},
		{"SECRET_KEY", ""},
		{"CANAILLE.NAME", "Canaille"},
		{"CANAILLE.DATABASE", "bolt"},
		{"CANAILLE.ENABLE_REGISTRATION", false},
		{"CANAILLE.ENABLE_PASSWORD_RECOVERY", true},
		{"CANAILLE.ENABLE_INTRUDER_LOCKOUT", true},
		{"CANAILLE.HIDE_INVALID_LOGINS", true},
		{"CANAILLE.MIN_PASSWORD_LENGTH", 8},
		{"CANAILLE.MAX_PASSWORD_LENGTH", 1000},
		{"CANAILLE.INVITATION_EXPIRATION", Duration(172800 * time.Second)},
		{"CANAILLE.LANGUAGE", ""},
		{"CANAILLE.PASSWORD_HASH_UPGRADE", true},
		{"CANAILLE.SMTP.HOST", "localhost"},
		{"CANAILLE.SMTP.PORT", 25},
		{"CANAILLE_HTTP.LISTEN", "127.0.0.1:5000"},
		{"CANAILLE_HTTP.TRUSTED_PROXIES", StringList{}},
		{"CANAILLE_HTTP.METRICS_LISTEN", ""},
		{"CANAILLE_BOLT.PATH", "/var/lib/canaille/canaille.db"},
		{"CANAILLE_BOLT.TIMEOUT", Duration(time.Second)},
		{"CANAILLE_BOLT.CONTROL_SOCKET", ""},
		{"CANAILLE_BOLT.BACKUP_DIR", ""},
		{"CANAILLE_BOLT.BACKUP_INTERVAL", Duration(24 * time.Hour)},
		{"CANAILLE_BOLT.BACKUP_KEEP", 7},
		{"CANAILLE_POSIX.UID_MIN", uint32(10000)},
		{"CANAILLE_POSIX.GID_MAX", uint32(59999)},
		{"CANAILLE_POSIX.PRIMARY_GID", uint32(0)},
		{"CANAILLE_POSIX.HOME_DIRECTORY", "/home/{user_name}"},
		{"CANAILLE_POSIX.LOGIN_SHELL", "/bin/bash"},
		{"CANAILLE_ARGON2.TIME", uint32(3)},
		{"CANAILLE_ARGON2.MEMORY", uint32(65536)},
		{"CANAILLE_ARGON2.PARALLELISM", uint8(4)},
		{"CANAILLE_ARGON2.MAX_CONCURRENT", 0},
		{"CANAILLE_LOG.LEVEL", "info"},
		{"CANAILLE_LOG.FORMAT", "text"},
		{"CANAILLE_LDAP_SERVER.ENABLE", true},
		{"CANAILLE_LDAP_SERVER.LISTEN", ":389"},
		{"CANAILLE_LDAP_SERVER.LDAPS_LISTEN", ":636"},
		{"CANAILLE_LDAP_SERVER.ROOT_DN", "dc=example,dc=org"},
		{"CANAILLE_LDAP_SERVER.SIZE_LIMIT", 1000},
		{"CANAILLE_LDAP_SERVER.BIND_CACHE_TTL", Duration(300 * time.Second)},
		{"CANAILLE_OIDC.ENABLE_OIDC", true},
		{"CANAILLE_OIDC.REQUIRE_NONCE", true},
		{"CANAILLE_OIDC.TRUSTED_DOMAINS", StringList{".localhost", "127.0.0.1"}},
		{"CANAILLE_OIDC.JWT.PRIVATE_KEY", "/etc/canaille/private.pem"},
		{"CANAILLE_OIDC.JWT.ALG", "RS256"},
		{"CANAILLE_OIDC.JWT.EXP", Duration(time.Hour)},
		{"CANAILLE_OIDC.USERINFO_MAPPING.SUB", "{{ user.user_name }}"},
		{"CANAILLE_OIDC.USERINFO_MAPPING.UPDATED_AT", "{{ user.last_modified|timestamp }}"},
		{"CANAILLE_LDAP.URI", "ldap://localhost"},
		{"CANAILLE_LDAP.TIMEOUT", Duration(10 * time.Second)},
		{"CANAILLE_LDAP.USER_CLASS", StringList{"inetOrgPerson"}},
		{"CANAILLE_LDAP.GROUP_CLASS", "groupOfNames"},
		{"CANAILLE_LDAP.GROUP_NAME_ATTRIBUTE", "cn"},
	} {
		if got := keyValue(t, c, tt.key); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s = %#v, want %#v", tt.key, got, tt.want)
		}
	}
	if c.Canaille.SMTP.Enabled || c.MailEnabled() {
		t.Error("mail is enabled by default")
	}
	if err := c.Validate(); err != nil {
		t.Errorf("the defaults do not validate:\n%v", err)
	}
	if err := c.RequireSecretKey(); err == nil {
		t.Error("RequireSecretKey accepts the default (empty) key")
	}
	if got := c.Issuer(); got != "" {
		t.Errorf("Issuer() = %q without SERVER_NAME", got)
	}
	if got := c.Bolt.ControlSocketPath(); got != "/var/lib/canaille/canaille.db.sock" {
		t.Errorf("ControlSocketPath() = %q", got)
	}
	if got := c.LDAPServer.LDAPSAddress(); got != "" {
		t.Errorf("LDAPSAddress() = %q without TLS files", got)
	}
	if got, want := c.PasswordPolicy(), (struct{ Min, Max int }{8, 1000}); got.MinLength != want.Min || got.MaxLength != want.Max {
		t.Errorf("PasswordPolicy() = %+v", got)
	}
	if p := c.Argon2(); p.Time != 3 || p.MemoryKiB != 65536 || p.Threads != 4 || p.Validate() != nil {
		t.Errorf("Argon2() = %+v", p)
	}
	if p := c.POSIX(); p.UIDMin != 10000 || p.Home("alice") != "/home/alice" || p.Validate() != nil {
		t.Errorf("POSIX() = %+v", p)
	}
	pol, err := c.ACLPolicy()
	if err != nil {
		t.Fatal(err)
	}
	if got := pol.Sections(); !reflect.DeepEqual(got, []string{"ADMIN", "DEFAULT"}) {
		t.Errorf("default ACL sections = %v", got)
	}
}

func TestLoadConfigEverySection(t *testing.T) {
	c, warnings := mustLoad(t, readFile(t, "testdata/config/full.toml"))
	if len(warnings) > 0 {
		t.Errorf("warnings: %q", warnings)
	}
	for _, tt := range []struct {
		key  string
		want any
	}{
		{"SECRET_KEY", "0123456789abcdef0123456789abcdef-full"},
		{"SERVER_NAME", "auth.example.net:8443"},
		{"PREFERRED_URL_SCHEME", "http"},
		{"CANAILLE.NAME", "Example"},
		{"CANAILLE.DATABASE", "ldap"},
		{"CANAILLE.ENABLE_REGISTRATION", true},
		{"CANAILLE.ENABLE_PASSWORD_RECOVERY", false},
		{"CANAILLE.ENABLE_INTRUDER_LOCKOUT", false},
		{"CANAILLE.HIDE_INVALID_LOGINS", false},
		{"CANAILLE.MIN_PASSWORD_LENGTH", 12},
		{"CANAILLE.MAX_PASSWORD_LENGTH", 128},
		{"CANAILLE.INVITATION_EXPIRATION", Duration(26 * time.Hour)},
		{"CANAILLE.LANGUAGE", "fr"},
		{"CANAILLE.PASSWORD_HASH_UPGRADE", false},
		{"CANAILLE.SMTP", SMTPConfig{Enabled: true, Host: "smtp.example.net", Port: 465, SSL: true,
			Login: "canaille", Password: "smtp-secret", FromAddr: "Example <noreply@example.net>"}},
		{"CANAILLE_HTTP.LISTEN", "unix:/run/canaille/http.sock"},
		{"CANAILLE_HTTP.TRUSTED_PROXIES", StringList{"127.0.0.1", "10.0.0.0/8", "::1"}},
		{"CANAILLE_BOLT", BoltConfig{Path: "/srv/canaille/data.db", Timeout: Duration(500 * time.Millisecond), ControlSocket: "/run/canaille/control.sock",
			BackupInterval: Duration(24 * time.Hour), BackupKeep: 7}},
		{"CANAILLE_POSIX", POSIXConfig{UIDMin: 20000, UIDMax: 29999, GIDMin: 30000, GIDMax: 39999, PrimaryGID: 100,
			HomeDirectory: "/srv/home/{user_name}", LoginShell: "/bin/zsh"}},
		{"CANAILLE_ARGON2", Argon2Config{Time: 2, Memory: 19456, Parallelism: 1, MaxConcurrent: 8}},
		{"CANAILLE_LOG", LogConfig{Level: "debug", Format: "json"}},
		{"CANAILLE_LDAP_SERVER", LDAPServerConfig{Listen: "127.0.0.1:3389", LDAPSListen: "127.0.0.1:3636",
			TLSCert: "/etc/canaille/ldap.crt", TLSKey: "/etc/canaille/ldap.key", RootDN: "dc=example,dc=net",
			AnonymousRead: true, RequireTLSForBind: true, SizeLimit: 50, BindCacheTTL: Duration(10 * time.Minute),
			BindLoginAttributes: StringList{"user_name", "emails"}, MaxConnections: 100, IdleTimeout: Duration(5 * time.Minute)}},
		{"CANAILLE_OIDC.ENABLE_OIDC", false},
		{"CANAILLE_OIDC.DYNAMIC_CLIENT_REGISTRATION_OPEN", true},
		{"CANAILLE_OIDC.REQUIRE_NONCE", false},
		{"CANAILLE_OIDC.TRUSTED_DOMAINS", StringList{".example.net"}},
		{"CANAILLE_OIDC.JWT", JWTConfig{PrivateKey: "/srv/keys/private.pem", PublicKey: "/srv/keys/public.pem", Alg: "EdDSA", Exp: Duration(30 * time.Minute)}},
		{"CANAILLE_OIDC.USERINFO_MAPPING", UserinfoMapping{Sub: "{{ user.id }}", Name: "n", PhoneNumber: "p", Email: "e",
			GivenName: "g", FamilyName: "f", PreferredUsername: "u", Locale: "l", Address: "a", Picture: "pic", Website: "w"}},
		{"CANAILLE_LDAP", LDAPConfig{URI: "ldaps://ldap.example.net", RootDN: "dc=example,dc=net",
			BindDN: "cn=canaille,ou=services,dc=example,dc=net", BindPW: "ldap-secret", Timeout: Duration(5 * time.Second),
			UserBase: "ou=people,dc=example,dc=net", UserClass: StringList{"inetOrgPerson", "posixAccount"}, UserRDN: "cn",
			GroupBase: "ou=teams,dc=example,dc=net", GroupClass: "groupOfUniqueNames", GroupRDN: "ou", GroupNameAttribute: "description", PoolSize: 10}},
	} {
		if got := keyValue(t, c, tt.key); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s = %#v, want %#v", tt.key, got, tt.want)
		}
	}
	readers, ok := c.Canaille.ACL["READERS"]
	if !ok || !reflect.DeepEqual(readers.Permissions, []string{"ldap_read"}) {
		t.Errorf("ACL = %#v", c.Canaille.ACL)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate:\n%v", err)
	}
	if err := c.RequireSecretKey(); err != nil {
		t.Error(err)
	}
	if got := c.Issuer(); got != "http://auth.example.net:8443" {
		t.Errorf("Issuer() = %q", got)
	}
	if got := c.HTTP.UnixSocket(); got != "/run/canaille/http.sock" {
		t.Errorf("UnixSocket() = %q", got)
	}
	if got := c.LDAPServer.LDAPSAddress(); got != "127.0.0.1:3636" {
		t.Errorf("LDAPSAddress() = %q", got)
	}
	if !c.IsSet("CANAILLE_LDAP.BIND_PW") || c.IsSet("CANAILLE_LDAP.NOPE") {
		t.Error("IsSet is wrong")
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoadConfigLowerCaseKeys(t *testing.T) {
	// The decoder matches keys case-insensitively; so do unknown-key
	// detection and SMTP detection.
	c, _ := mustLoad(t, "[canaille]\nname = \"x\"\n[canaille.smtp]\nfrom_addr = \"a@b.c\"\n")
	if c.Canaille.Name != "x" || !c.Canaille.SMTP.Enabled || c.Canaille.SMTP.FromAddr != "a@b.c" {
		t.Errorf("got %+v", c.Canaille)
	}
}

func TestLoadConfigSMTPSection(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		enabled    bool
	}{
		{"Absent", "[CANAILLE]\nNAME = \"x\"\n", false},
		{"Empty", "[CANAILLE.SMTP]\n", true},
		{"Dotted", "[CANAILLE]\nSMTP.HOST = \"mail\"\n", true},
		{"Inline", "[CANAILLE]\nSMTP = { HOST = \"mail\" }\n", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := mustLoad(t, tt.text)
			if c.Canaille.SMTP.Enabled != tt.enabled {
				t.Errorf("Enabled = %v, want %v", c.Canaille.SMTP.Enabled, tt.enabled)
			}
			if c.Canaille.SMTP.Port != 25 {
				t.Errorf("PORT = %d, want the default 25", c.Canaille.SMTP.Port)
			}
		})
	}
}

func TestLoadConfigUnknownKeys(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		want       []string // one per reported problem, in order
	}{
		{"Typo", "[CANAILLE_LDAP_SERVER]\nLISEN = \":389\"\n",
			[]string{"unknown key CANAILLE_LDAP_SERVER.LISEN (did you mean LISTEN?)"}},
		{"RootTypo", "SECRET_KY = \"x\"\n", []string{"unknown key SECRET_KY (did you mean SECRET_KEY?)"}},
		{"SectionTypo", "[CANAILLE_LDAP_SEVER]\nLISTEN = \":389\"\n",
			[]string{"unknown section [CANAILLE_LDAP_SEVER] (did you mean CANAILLE_LDAP_SERVER?)"}},
		{"NestedTypo", "[CANAILLE_OIDC.JWT]\nALGO = \"RS256\"\n", []string{"unknown key CANAILLE_OIDC.JWT.ALGO (did you mean ALG?)"}},
		{"MappingTypo", "[CANAILLE_OIDC.USERINFO_MAPPING]\nEMAILS = \"x\"\n",
			[]string{"unknown key CANAILLE_OIDC.USERINFO_MAPPING.EMAILS (did you mean EMAIL?)"}},
		{"SMTPTypo", "[CANAILLE.SMTP]\nFROM = \"x\"\n", []string{"unknown key CANAILLE.SMTP.FROM;"}},
		{"ACLTypo", "[CANAILLE.ACL.X]\nPERMISSION = [\"edit_self\"]\n",
			[]string{"unknown key CANAILLE.ACL.X.PERMISSION (did you mean PERMISSIONS?)"}},
		{"NoSuggestion", "[CANAILLE]\nCOMPLETELY_DIFFERENT = 1\n",
			[]string{"unknown key CANAILLE.COMPLETELY_DIFFERENT; config.sample.toml lists every key"}},
		{"DottedKey", "[CANAILLE]\nFOO.BAR = 1\n", []string{"unknown section [CANAILLE.FOO];"}},
		{"SubTable", "[CANAILLE.NAME_X]\nA = 1\n[CANAILLE_HTTP.EXTRA.DEEP]\nB = 2\n",
			[]string{"unknown section [CANAILLE.NAME_X]", "unknown section [CANAILLE_HTTP.EXTRA]"}},
		{"Several", "FOO = 1\n[CANAILLE]\nNAEM = \"x\"\nDATABSE = \"bolt\"\n[CANAILLE_LOG]\nLEVL = \"info\"\n",
			[]string{"unknown key FOO;", "unknown key CANAILLE.NAEM (did you mean NAME?)",
				"unknown key CANAILLE.DATABSE (did you mean DATABASE?)", "unknown key CANAILLE_LOG.LEVL (did you mean LEVEL?)"}},
		{"ArrayOfTables", "[[CANAILLE_OIDC.CLIENTS]]\nID = 1\n", []string{"unknown section [CANAILLE_OIDC.CLIENTS]"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.text)
			_, _, err := LoadConfig(path, nil)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConfigError", err)
			}
			if len(ce.Problems) != len(tt.want) {
				t.Fatalf("problems:\n%s\nwant %d", err, len(tt.want))
			}
			for i, want := range tt.want {
				if got := ce.Problems[i]; !strings.HasPrefix(got, path+": ") || !strings.Contains(got, want) {
					t.Errorf("problem %d = %q, want the file and %q", i, got, want)
				}
			}
		})
	}
}

func TestLoadConfigFilterIsFreeForm(t *testing.T) {
	// FILTER decodes into any: its keys are not "unknown"; acl.Compile
	// checks them.
	c, warnings := mustLoad(t, "[CANAILLE.ACL.A]\nFILTER = { groups = \"x\", user_name = [\"a\", \"b\"] }\n"+
		"[CANAILLE.ACL.B]\nFILTER = [{ groups = \"y\" }]\n[[CANAILLE.ACL.C.FILTER]]\nuser_name = \"z\"\n")
	if len(warnings) > 0 || len(c.Canaille.ACL) != 3 {
		t.Errorf("warnings %q, ACL %#v", warnings, c.Canaille.ACL)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	c, _ = mustLoad(t, "[CANAILLE.ACL.A]\nFILTER = { shoe_size = 42 }\nPERMISSIONS = [\"fly\"]\n")
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "CANAILLE.ACL.A.FILTER") || !strings.Contains(err.Error(), "CANAILLE.ACL.A.PERMISSIONS") {
		t.Errorf("Validate = %v, want both ACL problems", err)
	}
}

func TestLoadConfigCanailleOnlyKeys(t *testing.T) {
	path := writeConfig(t, readFile(t, "testdata/config/python-canaille.toml"))
	c, warnings, err := LoadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"DEBUG", "CACHE_TYPE", "TRUSTED_HOSTS", "CANAILLE.TIMEZONE",
		"CANAILLE.OTP_LIFETIME", "CANAILLE.LOGGING", "[CANAILLE.SMPP]", "[CANAILLE_SQL]",
		"CANAILLE_OIDC.ACTIVE_JWKS"}
	if len(warnings) != len(want) {
		t.Errorf("got %d warnings, want %d (one per key, one per section):\n%s", len(warnings), len(want), strings.Join(warnings, "\n"))
	}
	for _, w := range want {
		found := false
		for _, got := range warnings {
			if strings.HasPrefix(got, path+": "+w+" is a Python Canaille ") && strings.HasSuffix(got, "that this version does not implement yet; it is ignored") {
				found = true
			}
		}
		if !found {
			t.Errorf("no warning for %s in:\n%s", w, strings.Join(warnings, "\n"))
		}
	}
	if got := c.OIDC.TrustedDomains; !reflect.DeepEqual(got, StringList{".mydomain.example", ".localhost"}) {
		t.Errorf("TRUSTED_DOMAINS from a comma-separated string = %q", got)
	}
	if got := c.LDAP.UserClass; !reflect.DeepEqual(got, StringList{"inetOrgPerson"}) {
		t.Errorf("USER_CLASS from a string = %q", got)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate:\n%v", err)
	}
}

func TestLoadConfigTypeErrors(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		want       []string
	}{
		{"StringForInt", "[CANAILLE]\nMIN_PASSWORD_LENGTH = \"8\"\n",
			[]string{":2: CANAILLE.MIN_PASSWORD_LENGTH: expected an integer, found a string"}},
		{"IntForString", "SERVER_NAME = 5\n", []string{":1: SERVER_NAME: expected a string (in double quotes), found an integer"}},
		{"StringForBool", "[CANAILLE_LDAP_SERVER]\nENABLE = \"yes\"\n",
			[]string{":2: CANAILLE_LDAP_SERVER.ENABLE: expected true or false, found a string"}},
		{"ValueForSection", "CANAILLE_HTTP = \"x\"\n", []string{":1: CANAILLE_HTTP: this is a section"}},
		{"ArrayForString", "[CANAILLE]\nNAME = [\"a\"]\n", []string{":2: CANAILLE.NAME: expected a string (in double quotes), found an array"}},
		{"OutOfRange", "[CANAILLE_ARGON2]\nPARALLELISM = 300\n", []string{":2: CANAILLE_ARGON2.PARALLELISM: 300 is out of range (0 to 255)"}},
		{"Negative", "[CANAILLE_POSIX]\nUID_MIN = -1\n", []string{":2: CANAILLE_POSIX.UID_MIN: -1 is out of range (0 to 4294967295)"}},
		{"BadDuration", "[CANAILLE]\nINVITATION_EXPIRATION = \"2 days\"\n",
			[]string{":2: CANAILLE.INVITATION_EXPIRATION: \"2 days\" is not a duration", "ISO 8601"}},
		{"NegativeDuration", "[CANAILLE_OIDC.JWT]\nEXP = -5\n", []string{":2: CANAILLE_OIDC.JWT.EXP: -5 is negative"}},
		{"BadList", "[CANAILLE_HTTP]\nTRUSTED_PROXIES = [1, 2]\n", []string{":2: CANAILLE_HTTP.TRUSTED_PROXIES: item 1 is an integer"}},
		{"TableForList", "[CANAILLE_HTTP]\nTRUSTED_PROXIES = { a = 1 }\n", []string{"CANAILLE_HTTP.TRUSTED_PROXIES: a table is not a list"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.text)
			_, _, err := LoadConfig(path, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), path+":") {
				t.Errorf("error %q does not start with the file name", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestLoadConfigSyntaxError(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		want       []string
		notWant    string
	}{
		{"UnclosedString", "[CANAILLE]\nNAME = \"Example\n", []string{":2:", "syntax error", "2 | NAME = \"Example"}, ""},
		{"MissingValue", "[CANAILLE]\n\nNAME =\n", []string{":3:", "syntax error"}, ""},
		{"BadHeader", "[CANAILLE\nNAME = \"x\"\n", []string{":1:", "syntax error"}, ""},
		{"Duplicate", "[CANAILLE]\nNAME = \"a\"\nNAME = \"b\"\n", []string{":3:", "syntax error"}, ""},
		{"SecretHidden", "SECRET_KEY = \"hunter2-super-secret\\q\"\n", []string{":1:", "SECRET_KEY", "not shown"}, "hunter2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.text)
			_, _, err := LoadConfig(path, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), path+":") {
				t.Errorf("error %q does not start with the file name", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if tt.notWant != "" && strings.Contains(err.Error(), tt.notWant) {
				t.Errorf("error %q shows a secret", err)
			}
		})
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.toml")
	_, _, err := LoadConfig(path, nil)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "config.sample.toml") {
		t.Errorf("err = %v, want the path and how to get a file", err)
	}
}

func TestLoadConfigNoFile(t *testing.T) {
	c, warnings, err := LoadConfig("", []string{"CANAILLE__NAME=Demo"})
	if err != nil || len(warnings) > 0 {
		t.Fatal(err, warnings)
	}
	if c.ConfigPath != "" || c.Canaille.Name != "Demo" || c.Canaille.Database != "bolt" {
		t.Errorf("got %+v", c)
	}
}

func TestConfigPath(t *testing.T) {
	for _, tt := range []struct {
		flag    string
		environ []string
		want    string
	}{
		{"", nil, "/etc/canaille/config.toml"},
		{"", []string{"CONFIG=/srv/c.toml"}, "/srv/c.toml"},
		{"", []string{"CONFIG="}, "/etc/canaille/config.toml"},
		{"", []string{"CANAILLE_CONFIG=/x.toml"}, "/etc/canaille/config.toml"},
		{"./mine.toml", []string{"CONFIG=/srv/c.toml"}, "./mine.toml"},
	} {
		if got := ConfigPath(tt.flag, tt.environ); got != tt.want {
			t.Errorf("ConfigPath(%q, %q) = %q, want %q", tt.flag, tt.environ, got, tt.want)
		}
	}
}

func TestConfigEncodesBack(t *testing.T) {
	for _, path := range []string{"testdata/config/full.toml", ""} {
		c := DefaultConfig()
		if path != "" {
			c, _ = mustLoad(t, readFile(t, path))
		}
		var buf bytes.Buffer
		if err := toml.NewEncoder(&buf).Encode(c); err != nil {
			t.Fatal(err)
		}
		back, warnings := mustLoad(t, buf.String())
		if len(warnings) > 0 {
			t.Error(warnings)
		}
		back.ConfigPath, back.set, back.Canaille.SMTP.Enabled = c.ConfigPath, c.set, c.Canaille.SMTP.Enabled
		// An inline array of tables comes back as an array of tables, a
		// different Go type for FILTER: compare the ACL sections by name.
		if !reflect.DeepEqual(slices.Sorted(maps.Keys(back.Canaille.ACL)), slices.Sorted(maps.Keys(c.Canaille.ACL))) {
			t.Errorf("%s: ACL sections differ: %v", path, back.Canaille.ACL)
		}
		back.Canaille.ACL = c.Canaille.ACL
		if !reflect.DeepEqual(back, c) {
			t.Errorf("%s: encoding and decoding back changes the configuration:\n%s", path, buf.String())
		}
	}
}

func TestACLPolicyFromConfig(t *testing.T) {
	c, _ := mustLoad(t, "[CANAILLE.ACL.ALL]\nPERMISSIONS = [\"use_oidc\"]\n")
	p, err := c.ACLPolicy()
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Sections(); !reflect.DeepEqual(got, []string{"ALL"}) {
		t.Errorf("sections = %v: a configured section must replace the defaults", got)
	}
	if !p.For(&store.User{UserName: "alice"}).Can(acl.UseOIDC) {
		t.Error("ALL does not grant use_oidc")
	}
}
