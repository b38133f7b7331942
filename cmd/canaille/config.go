package main

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/store/password"
)

// Config is the whole configuration: one TOML file (config.sample.toml
// documents every key) whose keys follow Python Canaille's names, with new
// sections for what this project adds.
//
// Build one with LoadConfig, which starts from DefaultConfig, decodes the
// file over it (rejecting unknown keys), then applies environment
// overrides; call Validate before use. A Config is not modified by its
// methods and may be read concurrently.
type Config struct {
	// SECRET_KEY signs cookies and links. Required by `canaille run`
	// (RequireSecretKey), at least 32 characters. Never printed.
	SecretKey string `toml:"SECRET_KEY"`
	// SERVER_NAME is the public host name, with an optional port
	// ("auth.example.org", "localhost:5000"). With PREFERRED_URL_SCHEME it
	// gives the OIDC issuer.
	ServerName string `toml:"SERVER_NAME"`
	// PREFERRED_URL_SCHEME is "https" (default) or "http".
	PreferredURLScheme string `toml:"PREFERRED_URL_SCHEME"`
	// PERMANENT_SESSION_LIFETIME is the lifetime of a web session opened
	// with "remember me" (30 days); other sessions end with the browser,
	// and after 12 hours at most.
	PermanentSessionLifetime Duration `toml:"PERMANENT_SESSION_LIFETIME"`

	Canaille   CanailleConfig   `toml:"CANAILLE"`
	HTTP       HTTPConfig       `toml:"CANAILLE_HTTP"`
	Bolt       BoltConfig       `toml:"CANAILLE_BOLT"`
	Accounts   POSIXConfig      `toml:"CANAILLE_POSIX"`
	Hashing    Argon2Config     `toml:"CANAILLE_ARGON2"`
	Log        LogConfig        `toml:"CANAILLE_LOG"`
	LDAPServer LDAPServerConfig `toml:"CANAILLE_LDAP_SERVER"`
	OIDC       OIDCConfig       `toml:"CANAILLE_OIDC"`
	LDAP       LDAPConfig       `toml:"CANAILLE_LDAP"`

	// ConfigPath is the file LoadConfig read, "" when it read none.
	ConfigPath string `toml:"-"`

	// set records the keys given explicitly (dotted TOML form), mapped to
	// the environment variable that set them, or "" for the file.
	set map[string]string
}

// CanailleConfig is the [CANAILLE] section.
type CanailleConfig struct {
	// NAME is the organisation name shown in the UI and emails.
	Name string `toml:"NAME"`
	// DATABASE is the backend: "bolt" (embedded, default) or "ldap" (the
	// upstream directory of [CANAILLE_LDAP]).
	Database string `toml:"DATABASE"`
	// ENABLE_REGISTRATION lets anybody create an account.
	EnableRegistration bool `toml:"ENABLE_REGISTRATION"`
	// ENABLE_PASSWORD_RECOVERY offers the forgotten-password flow (needs mail).
	EnablePasswordRecovery bool `toml:"ENABLE_PASSWORD_RECOVERY"`
	// ENABLE_INTRUDER_LOCKOUT delays logins and binds after failures.
	EnableIntruderLockout bool `toml:"ENABLE_INTRUDER_LOCKOUT"`
	// HIDE_INVALID_LOGINS does not reveal whether a login exists.
	HideInvalidLogins bool `toml:"HIDE_INVALID_LOGINS"`
	// MIN_PASSWORD_LENGTH and MAX_PASSWORD_LENGTH bound passwords, in characters.
	MinPasswordLength int `toml:"MIN_PASSWORD_LENGTH"`
	MaxPasswordLength int `toml:"MAX_PASSWORD_LENGTH"`
	// INVITATION_EXPIRATION is how long invitation, registration and email
	// confirmation links stay valid.
	InvitationExpiration Duration `toml:"INVITATION_EXPIRATION"`
	// LANGUAGE forces one UI language; "" follows Accept-Language.
	Language string `toml:"LANGUAGE"`
	// LOGO and FAVICON are URLs (https://… or a path on this server) of
	// the images shown in the interface; "" means the built-in ones.
	Logo    string `toml:"LOGO"`
	Favicon string `toml:"FAVICON"`
	// THEME is a directory whose templates/, static/ and locales/
	// subdirectories override the built-in files of the same names.
	Theme string `toml:"THEME"`
	// LOGIN_ATTRIBUTES are what the sign-in page accepts as the login:
	// "user_name" and/or "emails".
	LoginAttributes StringList `toml:"LOGIN_ATTRIBUTES"`
	// EMAIL_CONFIRMATION makes users confirm an address they add through
	// an emailed link (when mail is configured); users with manage_users
	// set addresses directly.
	EmailConfirmation bool `toml:"EMAIL_CONFIRMATION"`
	// PASSWORD_HASH_UPGRADE rehashes imported {SSHA}, {CRYPT}, bcrypt…
	// hashes to argon2id at the next successful login or bind.
	PasswordHashUpgrade bool `toml:"PASSWORD_HASH_UPGRADE"`
	// SMTP is [CANAILLE.SMTP]; see SMTPConfig.Enabled.
	SMTP SMTPConfig `toml:"SMTP"`
	// ACL holds the [CANAILLE.ACL.<NAME>] sections. Empty means the
	// built-in acl.Defaults(); any section replaces all of them. FILTER is
	// checked by acl.Compile (Validate and ACLPolicy call it). ACL sections
	// cannot be set from the environment.
	ACL map[string]acl.SectionConfig `toml:"ACL"`
}

// SMTPConfig is [CANAILLE.SMTP], the mail server. Unlike Python Canaille,
// nothing is guessed: without the section (in the file or through a
// CANAILLE__SMTP__* variable) no mail is sent, and the features needing
// mail (password recovery, invitations, email confirmation) are off.
type SMTPConfig struct {
	// Enabled is true when the section was given; it is not a TOML key.
	Enabled bool `toml:"-"`
	// HOST and PORT of the mail server (default localhost:25).
	Host string `toml:"HOST"`
	Port int    `toml:"PORT"`
	// TLS upgrades the connection with STARTTLS; SSL uses implicit TLS
	// (usually port 465). At most one of them.
	TLS bool `toml:"TLS"`
	SSL bool `toml:"SSL"`
	// LOGIN and PASSWORD authenticate to the server when LOGIN is set.
	Login    string `toml:"LOGIN"`
	Password string `toml:"PASSWORD"`
	// FROM_ADDR is the sender, "noreply@example.org" or
	// "Example <noreply@example.org>"; required when mail is enabled.
	FromAddr string `toml:"FROM_ADDR"`
}

// HTTPConfig is [CANAILLE_HTTP].
type HTTPConfig struct {
	// LISTEN is host:port, or "unix:/absolute/path" for a unix socket.
	Listen string `toml:"LISTEN"`
	// TRUSTED_PROXIES lists the IPs and CIDRs whose X-Forwarded-For and
	// X-Forwarded-Proto headers are believed.
	TrustedProxies StringList `toml:"TRUSTED_PROXIES"`
	// METRICS_LISTEN is an optional host:port serving only /metrics,
	// /healthz and /readyz, to anybody who reaches it (for a Prometheus
	// on another machine); "" serves /metrics on LISTEN alone, and there
	// only to local clients that did not come through a proxy.
	MetricsListen string `toml:"METRICS_LISTEN"`
}

// UnixSocket returns the socket path when LISTEN is "unix:/path", else "".
func (h HTTPConfig) UnixSocket() string {
	if p, ok := strings.CutPrefix(h.Listen, "unix:"); ok {
		return p
	}
	return ""
}

// BoltConfig is [CANAILLE_BOLT], the embedded database.
type BoltConfig struct {
	// PATH is the database file.
	Path string `toml:"PATH"`
	// TIMEOUT is how long opening waits for the file lock held by another
	// process before failing.
	Timeout Duration `toml:"TIMEOUT"`
	// CONTROL_SOCKET is the unix socket through which the CLI commands
	// reach a running server; "" means PATH + ".sock".
	ControlSocket string `toml:"CONTROL_SOCKET"`
	// BACKUP_DIR, when set, is where `canaille run` writes a backup every
	// BACKUP_INTERVAL, keeping the newest BACKUP_KEEP.
	BackupDir      string   `toml:"BACKUP_DIR"`
	BackupInterval Duration `toml:"BACKUP_INTERVAL"`
	BackupKeep     int      `toml:"BACKUP_KEEP"`
}

// ControlSocketPath returns the effective control socket path.
func (b BoltConfig) ControlSocketPath() string {
	if b.ControlSocket != "" {
		return b.ControlSocket
	}
	return b.Path + ".sock"
}

// POSIXConfig is [CANAILLE_POSIX]: how new users and groups get the POSIX
// attributes that NSS/PAM clients of the LDAP server need.
type POSIXConfig struct {
	UIDMin uint32 `toml:"UID_MIN"`
	UIDMax uint32 `toml:"UID_MAX"`
	GIDMin uint32 `toml:"GID_MIN"`
	GIDMax uint32 `toml:"GID_MAX"`
	// PRIMARY_GID is the gidNumber of new users; 0 gives each user its own
	// uid number (user private groups).
	PrimaryGID uint32 `toml:"PRIMARY_GID"`
	// HOME_DIRECTORY is a template where {user_name} is replaced.
	HomeDirectory string `toml:"HOME_DIRECTORY"`
	LoginShell    string `toml:"LOGIN_SHELL"`
}

// Defaults returns the section as store.POSIXDefaults.
func (p POSIXConfig) Defaults() store.POSIXDefaults {
	return store.POSIXDefaults{UIDMin: p.UIDMin, UIDMax: p.UIDMax, GIDMin: p.GIDMin, GIDMax: p.GIDMax,
		PrimaryGID: p.PrimaryGID, HomeDirectory: p.HomeDirectory, LoginShell: p.LoginShell}
}

// Argon2Config is [CANAILLE_ARGON2], the cost of new password hashes.
type Argon2Config struct {
	Time        uint32 `toml:"TIME"`        // passes
	Memory      uint32 `toml:"MEMORY"`      // KiB
	Parallelism uint8  `toml:"PARALLELISM"` // threads
	// MAX_CONCURRENT caps simultaneous hash computations (each takes
	// MEMORY); 0 means the number of CPUs.
	MaxConcurrent int `toml:"MAX_CONCURRENT"`
}

// Params returns the section as password.Params, with the default salt and
// key lengths.
func (a Argon2Config) Params() password.Params {
	p := password.DefaultParams()
	p.Time, p.MemoryKiB, p.Threads = a.Time, a.Memory, a.Parallelism
	return p
}

// LogConfig is [CANAILLE_LOG].
type LogConfig struct {
	// LEVEL is debug, info, warn or error.
	Level string `toml:"LEVEL"`
	// FORMAT is text (logfmt-like key=value) or json.
	Format string `toml:"FORMAT"`
}

// SlogLevel returns LEVEL as a slog.Level (info for an unknown value,
// which Validate rejects).
func (l LogConfig) SlogLevel() slog.Level {
	switch strings.ToLower(l.Level) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// LDAPServerConfig is [CANAILLE_LDAP_SERVER], the built-in LDAP server.
type LDAPServerConfig struct {
	// ENABLE starts the LDAP server with `canaille run`.
	Enable bool `toml:"ENABLE"`
	// LISTEN is the plain LDAP (and StartTLS) address; "" disables it.
	Listen string `toml:"LISTEN"`
	// LDAPS_LISTEN is the LDAPS address; "" disables it. LDAPS runs only
	// when TLS_CERT and TLS_KEY are set (see LDAPSAddress); setting
	// LDAPS_LISTEN explicitly without them is an error.
	LDAPSListen string `toml:"LDAPS_LISTEN"`
	// TLS_CERT and TLS_KEY are PEM files; StartTLS is offered when set.
	TLSCert string `toml:"TLS_CERT"`
	TLSKey  string `toml:"TLS_KEY"`
	// ROOT_DN is the naming context of the served tree.
	RootDN string `toml:"ROOT_DN"`
	// ANONYMOUS_READ lets unauthenticated clients search.
	AnonymousRead bool `toml:"ANONYMOUS_READ"`
	// REQUIRE_TLS_FOR_BIND refuses simple binds over plain connections.
	RequireTLSForBind bool `toml:"REQUIRE_TLS_FOR_BIND"`
	// SIZE_LIMIT caps the entries of one search; 0 means no limit.
	SizeLimit int `toml:"SIZE_LIMIT"`
	// BIND_CACHE_TTL is how long a verified simple bind is remembered (a
	// keyed hash, never the password); 0 disables the cache.
	BindCacheTTL Duration `toml:"BIND_CACHE_TTL"`
	// BIND_LOGIN_ATTRIBUTES lets clients bind with a bare "user_name" or
	// an address of "emails" instead of the entry DN.
	BindLoginAttributes StringList `toml:"BIND_LOGIN_ATTRIBUTES"`
	// MAX_CONNECTIONS caps simultaneous client connections.
	MaxConnections int `toml:"MAX_CONNECTIONS"`
	// IDLE_TIMEOUT closes connections without traffic; 0 never does.
	IdleTimeout Duration `toml:"IDLE_TIMEOUT"`
}

// TLSEnabled reports whether both TLS files are set.
func (l LDAPServerConfig) TLSEnabled() bool { return l.TLSCert != "" && l.TLSKey != "" }

// LDAPSAddress returns the address the LDAPS listener should use: "" when
// LDAPS_LISTEN is empty or the TLS files are not set.
func (l LDAPServerConfig) LDAPSAddress() string {
	if !l.TLSEnabled() {
		return ""
	}
	return l.LDAPSListen
}

// OIDCConfig is [CANAILLE_OIDC].
type OIDCConfig struct {
	// ENABLE_OIDC serves the OpenID Connect provider.
	EnableOIDC bool `toml:"ENABLE_OIDC"`
	// DYNAMIC_CLIENT_REGISTRATION_OPEN lets anybody register clients at
	// /oauth/register without an initial access token.
	DynamicClientRegistrationOpen bool `toml:"DYNAMIC_CLIENT_REGISTRATION_OPEN"`
	// REQUIRE_NONCE rejects authentication requests without a nonce.
	RequireNonce bool `toml:"REQUIRE_NONCE"`
	// TRUSTED_DOMAINS: clients whose redirect URIs are in these domains
	// skip the consent page (".example.org" covers its sub-domains).
	TrustedDomains StringList `toml:"TRUSTED_DOMAINS"`
	// REQUIRE_PKCE makes PKCE (S256) mandatory for every client; it
	// always is for public clients.
	RequirePKCE bool `toml:"REQUIRE_PKCE"`
	// ACCESS_TOKEN_FORMAT is "jwt" (RFC 9068, signed with the JWT key) or
	// "opaque" (random strings only the provider can introspect).
	AccessTokenFormat string `toml:"ACCESS_TOKEN_FORMAT"`
	// REFRESH_TOKEN_LIFETIME bounds a refresh token (each use rotates it).
	RefreshTokenLifetime Duration `toml:"REFRESH_TOKEN_LIFETIME"`
	// AUTHORIZATION_CODE_LIFETIME bounds an authorization code.
	AuthorizationCodeLifetime Duration        `toml:"AUTHORIZATION_CODE_LIFETIME"`
	JWT                       JWTConfig       `toml:"JWT"`
	UserinfoMapping           UserinfoMapping `toml:"USERINFO_MAPPING"`
}

// JWTConfig is [CANAILLE_OIDC.JWT], the token signing key.
type JWTConfig struct {
	// PRIVATE_KEY and PUBLIC_KEY are PEM files (`canaille install` creates
	// them when missing).
	PrivateKey string `toml:"PRIVATE_KEY"`
	PublicKey  string `toml:"PUBLIC_KEY"`
	// ALG is RS256, ES256 or EdDSA.
	Alg string `toml:"ALG"`
	// EXP is the lifetime of ID tokens and access tokens.
	Exp Duration `toml:"EXP"`
}

// UserinfoMapping is [CANAILLE_OIDC.USERINFO_MAPPING]: for each claim, a
// Jinja-like template over the user (as in Python Canaille). An empty
// result omits the claim; an empty template disables it.
type UserinfoMapping struct {
	Sub               string `toml:"SUB"`
	Name              string `toml:"NAME"`
	PhoneNumber       string `toml:"PHONE_NUMBER"`
	Email             string `toml:"EMAIL"`
	GivenName         string `toml:"GIVEN_NAME"`
	FamilyName        string `toml:"FAMILY_NAME"`
	PreferredUsername string `toml:"PREFERRED_USERNAME"`
	Locale            string `toml:"LOCALE"`
	Address           string `toml:"ADDRESS"`
	Picture           string `toml:"PICTURE"`
	Website           string `toml:"WEBSITE"`
	UpdatedAt         string `toml:"UPDATED_AT"`
}

// LDAPConfig is [CANAILLE_LDAP], the upstream directory used when
// [CANAILLE] DATABASE = "ldap" (and checked only then).
type LDAPConfig struct {
	// URI is ldap://, ldaps:// or ldapi://.
	URI    string `toml:"URI"`
	RootDN string `toml:"ROOT_DN"`
	// BIND_DN and BIND_PW are the service account. BIND_PW is never printed.
	BindDN string `toml:"BIND_DN"`
	BindPW string `toml:"BIND_PW"`
	// TIMEOUT bounds connecting and each request.
	Timeout  Duration `toml:"TIMEOUT"`
	UserBase string   `toml:"USER_BASE"`
	// USER_CLASS lists the object classes of users (a single string is
	// accepted, as in Python Canaille).
	UserClass          StringList `toml:"USER_CLASS"`
	UserRDN            string     `toml:"USER_RDN"`
	GroupBase          string     `toml:"GROUP_BASE"`
	GroupClass         string     `toml:"GROUP_CLASS"`
	GroupRDN           string     `toml:"GROUP_RDN"`
	GroupNameAttribute string     `toml:"GROUP_NAME_ATTRIBUTE"`
	// START_TLS upgrades an ldap:// connection with StartTLS before
	// binding (certificate verified).
	StartTLS bool `toml:"START_TLS"`
	// CA_FILE is a PEM file of the CAs trusted for the server's
	// certificate (ldaps:// and START_TLS); empty uses the system's.
	CAFile string `toml:"CA_FILE"`
	// POOL_SIZE is the number of service connections kept open by each
	// canaille process (as many again for password checks).
	PoolSize int `toml:"POOL_SIZE"`
}

// StringList is a list of strings that may also be written as one string
// holding comma-separated items: USER_CLASS = "inetOrgPerson" is
// ["inetOrgPerson"], TRUSTED_DOMAINS = ".a.org, .b.org" is a list of two
// (Python Canaille accepts both forms).
type StringList []string

// UnmarshalTOML accepts an array of strings or a comma-separated string.
func (l *StringList) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		*l = splitList(v)
		return nil
	case []any:
		out := make(StringList, 0, len(v))
		for i, item := range v {
			s, ok := item.(string)
			if !ok {
				return fmt.Errorf("item %d is %s; every item must be a string", i+1, tomlTypeName(item))
			}
			out = append(out, s)
		}
		*l = out
		return nil
	}
	return fmt.Errorf(`%s is not a list: write an array of strings such as ["a", "b"]`, tomlTypeName(v))
}

// splitList splits at commas, trims spaces and drops empty items.
func splitList(s string) StringList {
	out := StringList{}
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// DefaultConfig returns the built-in defaults, the values config.sample.toml
// shows. SECRET_KEY and SERVER_NAME are empty: the administrator sets them.
func DefaultConfig() *Config {
	p := store.DefaultPOSIX()
	a := password.DefaultParams()
	return &Config{
		PreferredURLScheme:       "https",
		PermanentSessionLifetime: Duration(30 * 24 * time.Hour),
		Canaille: CanailleConfig{
			Name:                   "Canaille",
			Database:               "bolt",
			EnablePasswordRecovery: true,
			EnableIntruderLockout:  true,
			HideInvalidLogins:      true,
			MinPasswordLength:      8,
			MaxPasswordLength:      1000,
			InvitationExpiration:   Duration(48 * time.Hour),
			PasswordHashUpgrade:    true,
			LoginAttributes:        StringList{"user_name", "emails"},
			EmailConfirmation:      true,
			SMTP:                   SMTPConfig{Host: "localhost", Port: 25},
		},
		HTTP: HTTPConfig{Listen: "127.0.0.1:5000", TrustedProxies: StringList{}},
		Bolt: BoltConfig{Path: "/var/lib/canaille/canaille.db", Timeout: Duration(time.Second),
			BackupInterval: Duration(24 * time.Hour), BackupKeep: 7},
		Accounts: POSIXConfig{UIDMin: p.UIDMin, UIDMax: p.UIDMax, GIDMin: p.GIDMin, GIDMax: p.GIDMax,
			PrimaryGID: p.PrimaryGID, HomeDirectory: p.HomeDirectory, LoginShell: p.LoginShell},
		Hashing: Argon2Config{Time: a.Time, Memory: a.MemoryKiB, Parallelism: a.Threads},
		Log:     LogConfig{Level: "info", Format: "text"},
		LDAPServer: LDAPServerConfig{
			Enable:              true,
			Listen:              ":389",
			LDAPSListen:         ":636",
			RootDN:              "dc=example,dc=org",
			SizeLimit:           1000,
			BindCacheTTL:        Duration(300 * time.Second),
			BindLoginAttributes: StringList{},
			MaxConnections:      4096,
			IdleTimeout:         Duration(30 * time.Minute),
		},
		OIDC: OIDCConfig{
			EnableOIDC:                true,
			RequireNonce:              true,
			TrustedDomains:            StringList{".localhost", "127.0.0.1"},
			AccessTokenFormat:         "jwt",
			RefreshTokenLifetime:      Duration(30 * 24 * time.Hour),
			AuthorizationCodeLifetime: Duration(5 * time.Minute),
			JWT: JWTConfig{
				PrivateKey: "/etc/canaille/private.pem",
				PublicKey:  "/etc/canaille/public.pem",
				Alg:        "RS256",
				Exp:        Duration(time.Hour),
			},
			UserinfoMapping: DefaultUserinfoMapping(),
		},
		LDAP: LDAPConfig{
			URI:                "ldap://localhost",
			RootDN:             "dc=example,dc=org",
			BindDN:             "cn=admin,dc=example,dc=org",
			BindPW:             "admin",
			Timeout:            Duration(10 * time.Second),
			UserBase:           "ou=users,dc=example,dc=org",
			UserClass:          StringList{"inetOrgPerson"},
			UserRDN:            "uid",
			GroupBase:          "ou=groups,dc=example,dc=org",
			GroupClass:         "groupOfNames",
			GroupRDN:           "cn",
			GroupNameAttribute: "cn",
			PoolSize:           10,
		},
	}
}

// DefaultUserinfoMapping returns Python Canaille's claim templates.
func DefaultUserinfoMapping() UserinfoMapping {
	return UserinfoMapping{
		Sub:               "{{ user.user_name }}",
		Name:              "{{ user.formatted_name }}",
		PhoneNumber:       "{{ user.phone_numbers[0] }}",
		Email:             "{{ user.preferred_email }}",
		GivenName:         "{{ user.given_name }}",
		FamilyName:        "{{ user.family_name }}",
		PreferredUsername: "{{ user.display_name }}",
		Locale:            "{{ user.preferred_language }}",
		Address:           "{{ user.formatted_address }}",
		Picture:           "{% if user.photo %}{{ url_for('core.account.photo', user=user, field='photo', _external=True) }}{% endif %}",
		Website:           "{{ user.profile_url }}",
		UpdatedAt:         "{{ user.last_modified|timestamp }}",
	}
}

// ACLPolicy compiles the [CANAILLE.ACL.*] sections (the built-in defaults
// when there are none).
func (c *Config) ACLPolicy() (*acl.Policy, error) { return acl.Compile(c.Canaille.ACL) }

// PasswordPolicy returns the password length bounds of [CANAILLE].
func (c *Config) PasswordPolicy() store.PasswordPolicy {
	return store.PasswordPolicy{MinLength: c.Canaille.MinPasswordLength, MaxLength: c.Canaille.MaxPasswordLength}
}

// POSIX returns [CANAILLE_POSIX] as store.POSIXDefaults.
func (c *Config) POSIX() store.POSIXDefaults { return c.Accounts.Defaults() }

// Argon2 returns [CANAILLE_ARGON2] as password.Params.
func (c *Config) Argon2() password.Params { return c.Hashing.Params() }

// Issuer returns PREFERRED_URL_SCHEME://SERVER_NAME, the OIDC issuer and
// the base of absolute URLs; "" when SERVER_NAME is not set.
func (c *Config) Issuer() string {
	if c.ServerName == "" {
		return ""
	}
	scheme := c.PreferredURLScheme
	if scheme == "" {
		scheme = "https"
	}
	return scheme + "://" + c.ServerName
}

// MailEnabled reports whether [CANAILLE.SMTP] was given.
func (c *Config) MailEnabled() bool { return c.Canaille.SMTP.Enabled }

// RequireSecretKey returns an error unless SECRET_KEY is set and at least
// 32 characters long; `canaille run` calls it (other commands do not need
// the key).
func (c *Config) RequireSecretKey() error {
	where := c.ConfigPath
	if src, ok := c.set["SECRET_KEY"]; ok && src != "" {
		where = "environment variable " + src
	}
	if where == "" {
		where = "the configuration"
	}
	switch n := len([]rune(c.SecretKey)); {
	case n == 0:
		return fmt.Errorf("SECRET_KEY is not set in %s; `canaille run` needs it to sign cookies and links: set it (or the SECRET_KEY environment variable) to a random string of at least %d characters, for example the output of `openssl rand -base64 48`", where, minSecretKeyLength)
	case n < minSecretKeyLength:
		return fmt.Errorf("SECRET_KEY in %s is too short (%d characters); use a random string of at least %d characters, for example the output of `openssl rand -base64 48`", where, n, minSecretKeyLength)
	}
	return nil
}

// minSecretKeyLength is the shortest accepted SECRET_KEY.
const minSecretKeyLength = 32

// IsSet reports whether a key (dotted TOML form, such as
// "CANAILLE_LDAP_SERVER.LDAPS_LISTEN") was given in the file or the
// environment rather than left at its default.
func (c *Config) IsSet(key string) bool {
	_, ok := c.set[key]
	return ok
}

// Templates returns the non-empty claim templates by claim name (sub,
// name, phone_number, …).
func (m UserinfoMapping) Templates() map[string]string {
	all := map[string]string{
		"sub": m.Sub, "name": m.Name, "phone_number": m.PhoneNumber, "email": m.Email,
		"given_name": m.GivenName, "family_name": m.FamilyName,
		"preferred_username": m.PreferredUsername, "locale": m.Locale, "address": m.Address,
		"picture": m.Picture, "website": m.Website, "updated_at": m.UpdatedAt,
	}
	for k, v := range all {
		if strings.TrimSpace(v) == "" {
			delete(all, k)
		}
	}
	return all
}
