package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEnvOverrides(t *testing.T) {
	for _, tt := range []struct {
		name, env string
		key       string
		want      any
	}{
		{"RootString", "SECRET_KEY=0123456789abcdef0123456789abcdef", "SECRET_KEY", "0123456789abcdef0123456789abcdef"},
		{"RootServerName", "SERVER_NAME=auth.example.org", "SERVER_NAME", "auth.example.org"},
		{"RootScheme", "PREFERRED_URL_SCHEME=http", "PREFERRED_URL_SCHEME", "http"},
		{"String", "CANAILLE__NAME=Example Org", "CANAILLE.NAME", "Example Org"},
		{"StringKeepsSpaces", "CANAILLE__NAME= spaced ", "CANAILLE.NAME", " spaced "},
		{"LowerCaseName", "canaille__name=lower", "CANAILLE.NAME", "lower"},
		{"Int", "CANAILLE__MIN_PASSWORD_LENGTH=12", "CANAILLE.MIN_PASSWORD_LENGTH", 12},
		{"Uint32", "CANAILLE_POSIX__UID_MIN=20000", "CANAILLE_POSIX.UID_MIN", uint32(20000)},
		{"Uint8", "CANAILLE_ARGON2__PARALLELISM=2", "CANAILLE_ARGON2.PARALLELISM", uint8(2)},
		{"BoolTrue", "CANAILLE__ENABLE_REGISTRATION=true", "CANAILLE.ENABLE_REGISTRATION", true},
		{"BoolOne", "CANAILLE__ENABLE_REGISTRATION=1", "CANAILLE.ENABLE_REGISTRATION", true},
		{"BoolFalse", "CANAILLE_LDAP_SERVER__ENABLE=False", "CANAILLE_LDAP_SERVER.ENABLE", false},
		{"BoolOff", "CANAILLE_OIDC__REQUIRE_NONCE=off", "CANAILLE_OIDC.REQUIRE_NONCE", false},
		{"ListJSON", `CANAILLE_HTTP__TRUSTED_PROXIES=["10.0.0.1", "10.1.0.0/16"]`, "CANAILLE_HTTP.TRUSTED_PROXIES", StringList{"10.0.0.1", "10.1.0.0/16"}},
		{"ListTOML", `CANAILLE_HTTP__TRUSTED_PROXIES=['10.0.0.1']`, "CANAILLE_HTTP.TRUSTED_PROXIES", StringList{"10.0.0.1"}},
		{"ListComma", "CANAILLE_OIDC__TRUSTED_DOMAINS=.a.org, .b.org", "CANAILLE_OIDC.TRUSTED_DOMAINS", StringList{".a.org", ".b.org"}},
		{"ListEmpty", "CANAILLE_OIDC__TRUSTED_DOMAINS=", "CANAILLE_OIDC.TRUSTED_DOMAINS", StringList{}},
		{"ListSingle", "CANAILLE_LDAP__USER_CLASS=inetOrgPerson", "CANAILLE_LDAP.USER_CLASS", StringList{"inetOrgPerson"}},
		{"DurationSeconds", "CANAILLE__INVITATION_EXPIRATION=3600", "CANAILLE.INVITATION_EXPIRATION", Duration(time.Hour)},
		{"DurationISO", "CANAILLE_LDAP_SERVER__BIND_CACHE_TTL=PT10M", "CANAILLE_LDAP_SERVER.BIND_CACHE_TTL", Duration(10 * time.Minute)},
		{"DurationDecimal", "CANAILLE_BOLT__TIMEOUT=0.25", "CANAILLE_BOLT.TIMEOUT", Duration(250 * time.Millisecond)},
		{"Nested", "CANAILLE_OIDC__JWT__ALG=ES256", "CANAILLE_OIDC.JWT.ALG", "ES256"},
		{"NestedMapping", "CANAILLE_OIDC__USERINFO_MAPPING__SUB={{ user.id }}", "CANAILLE_OIDC.USERINFO_MAPPING.SUB", "{{ user.id }}"},
		{"SMTP", "CANAILLE__SMTP__HOST=mail.example.org", "CANAILLE.SMTP.HOST", "mail.example.org"},
		{"LDAPServerListen", "CANAILLE_LDAP_SERVER__LISTEN=127.0.0.1:3389", "CANAILLE_LDAP_SERVER.LISTEN", "127.0.0.1:3389"},
		{"Ignored", "CANAILLE_CONFIG=/x.toml", "CANAILLE.NAME", "Canaille"},
		{"IgnoredOther", "HOME__X=1", "CANAILLE.NAME", "Canaille"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, warnings, err := LoadConfig("", []string{"PATH=/bin", tt.env})
			if err != nil || len(warnings) > 0 {
				t.Fatalf("err %v, warnings %q", err, warnings)
			}
			if got := keyValue(t, c, tt.key); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s = %#v, want %#v", tt.key, got, tt.want)
			}
		})
	}
}

func TestEnvEnablesSMTP(t *testing.T) {
	c, _, err := LoadConfig("", []string{"CANAILLE__SMTP__FROM_ADDR=noreply@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.MailEnabled() || c.Canaille.SMTP.Host != "localhost" || c.Canaille.SMTP.Port != 25 {
		t.Errorf("SMTP = %+v", c.Canaille.SMTP)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestEnvBeatsFile(t *testing.T) {
	path := writeConfig(t, "SERVER_NAME = \"file.example.org\"\n[CANAILLE]\nNAME = \"File\"\nMIN_PASSWORD_LENGTH = 10\n"+
		"[CANAILLE_LDAP_SERVER]\nLISTEN = \":10389\"\n")
	c, _, err := LoadConfig(path, []string{"CANAILLE__NAME=Env", "SERVER_NAME=env.example.org",
		"CANAILLE_LDAP_SERVER__LISTEN=:20389", "CANAILLE__NAME=second is ignored, as os.Getenv does"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Canaille.Name != "Env" || c.ServerName != "env.example.org" || c.LDAPServer.Listen != ":20389" {
		t.Errorf("the environment does not win: %q %q %q", c.Canaille.Name, c.ServerName, c.LDAPServer.Listen)
	}
	if c.Canaille.MinPasswordLength != 10 {
		t.Errorf("a key absent from the environment lost its file value: %d", c.Canaille.MinPasswordLength)
	}
	// Problems with keys set by the environment name the variable.
	c.LDAPServer.Listen = "nonsense"
	err = c.Validate()
	if err == nil || !strings.Contains(err.Error(), "CANAILLE_LDAP_SERVER.LISTEN (set by environment variable CANAILLE_LDAP_SERVER__LISTEN)") {
		t.Errorf("Validate = %v, want the variable named", err)
	}
}

func TestEnvErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  []string
		want []string
	}{
		{"UnknownKey", []string{"CANAILLE_LDAP_SERVER__LISEN=:389"},
			[]string{"environment variable CANAILLE_LDAP_SERVER__LISEN names no configuration key", "did you mean CANAILLE_LDAP_SERVER__LISTEN?"}},
		{"UnknownSection", []string{"CANAILLE_LDAP_SEVER__LISTEN=:389"},
			[]string{"environment variable CANAILLE_LDAP_SEVER__LISTEN", "did you mean CANAILLE_LDAP_SERVER__LISTEN?"}},
		{"UnknownNested", []string{"CANAILLE_OIDC__JWT__ALGO=RS256"}, []string{"did you mean CANAILLE_OIDC__JWT__ALG?"}},
		{"NoSuggestion", []string{"CANAILLE__WHATEVER_THIS_IS=1"}, []string{"CANAILLE__WHATEVER_THIS_IS names no configuration key", "SECTION__KEY"}},
		{"BelowAKey", []string{"CANAILLE__NAME__X=1"}, []string{"CANAILLE__NAME__X names no configuration key (CANAILLE.NAME.X is unknown)"}},
		{"BelowAList", []string{"CANAILLE_HTTP__TRUSTED_PROXIES__X=1"}, []string{"CANAILLE_HTTP.TRUSTED_PROXIES.X is unknown"}},
		{"Section", []string{"CANAILLE_OIDC__JWT=x"}, []string{"names the section [CANAILLE_OIDC.JWT], not a key"}},
		{"ACL", []string{"CANAILLE__ACL__ADMIN__PERMISSIONS=manage_users"}, []string{"ACL sections cannot be set from the environment"}},
		{"EmptyPart", []string{"CANAILLE____NAME=x"}, []string{"empty part"}},
		{"BadInt", []string{"CANAILLE__MIN_PASSWORD_LENGTH=eight"},
			[]string{"environment variable CANAILLE__MIN_PASSWORD_LENGTH (CANAILLE.MIN_PASSWORD_LENGTH): \"eight\" is not a whole number"}},
		{"UintRange", []string{"CANAILLE_ARGON2__PARALLELISM=256"}, []string{"\"256\" is not a whole number (0 to 255)"}},
		{"NegativeUint", []string{"CANAILLE_POSIX__UID_MIN=-1"}, []string{"CANAILLE_POSIX__UID_MIN", "0 to 4294967295"}},
		{"BadBool", []string{"CANAILLE__ENABLE_REGISTRATION=maybe"}, []string{"\"maybe\" is not a boolean"}},
		{"BadDuration", []string{"CANAILLE_OIDC__JWT__EXP=1h"}, []string{"CANAILLE_OIDC__JWT__EXP", "ISO 8601"}},
		{"BadList", []string{"CANAILLE_HTTP__TRUSTED_PROXIES=[1, 2]"}, []string{"item 1 is an integer"}},
		{"BrokenList", []string{"CANAILLE_HTTP__TRUSTED_PROXIES=[\"a\""}, []string{"is not a valid array"}},
		{"Several", []string{"CANAILLE__NAEM=x", "CANAILLE__MIN_PASSWORD_LENGTH=x"},
			[]string{"CANAILLE__NAEM names no configuration key", "CANAILLE__MIN_PASSWORD_LENGTH (CANAILLE.MIN_PASSWORD_LENGTH)"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := LoadConfig("", tt.env)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConfigError", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestEnvCanailleOnlyWarns(t *testing.T) {
	_, warnings, err := LoadConfig("", []string{"CANAILLE_SQL__DATABASE_URI=sqlite:///x", "CANAILLE__TIMEZONE=UTC",
		"CANAILLE__SMPP__HOST=localhost"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CANAILLE_SQL__DATABASE_URI: [CANAILLE_SQL] is a Python Canaille section",
		"CANAILLE__TIMEZONE: CANAILLE.TIMEZONE is a Python Canaille setting", "CANAILLE__SMPP__HOST: [CANAILLE.SMPP] is a Python Canaille section"}
	if len(warnings) != len(want) {
		t.Fatalf("warnings = %q", warnings)
	}
	for i, w := range want {
		if !strings.Contains(warnings[i], w) {
			t.Errorf("warning %q does not contain %q", warnings[i], w)
		}
	}
}

func TestSecretsStayOutOfErrors(t *testing.T) {
	const secret = "s3cr3t-value-never-shown"
	for _, env := range [][]string{
		{"SECRET_KEY=" + secret[:10]},
		{"CANAILLE__DATABASE=ldap", "CANAILLE_LDAP__BIND_PW=" + secret, "CANAILLE_LDAP__URI=nope"},
		{"CANAILLE__SMTP__PASSWORD=" + secret, "CANAILLE__SMTP__PORT=0"},
	} {
		c, _, err := LoadConfig("", env)
		if err != nil {
			t.Fatal(err)
		}
		var msgs []string
		if err := c.Validate(); err != nil {
			msgs = append(msgs, err.Error())
		}
		if err := c.RequireSecretKey(); err != nil {
			msgs = append(msgs, err.Error())
		}
		if len(msgs) == 0 {
			t.Errorf("%q: no problem found", env)
		}
		for _, m := range msgs {
			if strings.Contains(m, secret[:10]) {
				t.Errorf("a secret leaks: %s", m)
			}
		}
	}
}
