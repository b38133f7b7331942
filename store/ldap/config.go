package ldap

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/store"
)

// Config is the [CANAILLE_LDAP] section: where the directory is and how
// canaille's entries are laid out in it. Zero fields take the defaults of
// DefaultConfig when Open fills them.
type Config struct {
	// URI is ldap://host[:port], ldaps://host[:port] or
	// ldapi://%2Fpath%2Fto%2Fsocket.
	URI string
	// RootDN is the base of the directory (ROOT_DN).
	RootDN string
	// BindDN and BindPW are the service account's credentials. Writes of
	// explicit object IDs (entryUUID) need the manage privilege (the
	// rootdn has it): they use the Relax Rules control.
	BindDN, BindPW string
	// Timeout bounds dialing and each request; 0 means 10 s.
	Timeout time.Duration

	UserBase  string   // USER_BASE, e.g. ou=users,dc=example,dc=org
	UserClass []string // USER_CLASS, default [inetOrgPerson]
	UserRDN   string   // USER_RDN, default uid

	GroupBase          string // GROUP_BASE
	GroupClass         string // GROUP_CLASS: only groupOfNames is supported
	GroupRDN           string // GROUP_RDN: only cn is supported
	GroupNameAttribute string // GROUP_NAME_ATTRIBUTE: only cn is supported

	// StartTLS upgrades ldap:// connections before binding.
	StartTLS bool
	// CAFile is a PEM file of the CAs trusted for the server's certificate;
	// empty uses the system's.
	CAFile string
	// InsecureSkipVerify disables certificate verification (tests only).
	InsecureSkipVerify bool
	// TLSConfig, when set, is used as is (and CAFile ignored).
	TLSConfig *tls.Config

	// PoolSize is the number of service-account connections kept open
	// (default 10); as many more are kept for user binds.
	PoolSize int
	// PoolMaxLifetime closes connections older than this (default 600 s).
	PoolMaxLifetime time.Duration
	// RetryMax is how many times an operation is retried on a fresh
	// connection after a network error (default 3), RetryDelay the pause
	// between tries (default 100 ms).
	RetryMax   int
	RetryDelay time.Duration

	// CacheTTL is how long users (with their groups) and clients read from
	// the directory are reused (default 5 s; negative disables the cache).
	// This process's own writes empty the cache; another node's changes
	// are seen up to CacheTTL late (see readCache).
	CacheTTL time.Duration

	// POSIX is the uid/gid allocation range and the defaults of new users.
	POSIX store.POSIXDefaults
}

// DefaultConfig returns the defaults of DESIGN.md's [CANAILLE_LDAP] section.
func DefaultConfig() Config {
	return Config{URI: "ldap://localhost", RootDN: "dc=example,dc=org", BindDN: "cn=admin,dc=example,dc=org",
		Timeout: 10 * time.Second, UserBase: "ou=users,dc=example,dc=org", UserClass: []string{"inetOrgPerson"},
		UserRDN: "uid", GroupBase: "ou=groups,dc=example,dc=org", GroupClass: "groupOfNames", GroupRDN: "cn",
		GroupNameAttribute: "cn", PoolSize: 10, PoolMaxLifetime: 600 * time.Second, RetryMax: 3,
		RetryDelay: 100 * time.Millisecond, CacheTTL: 5 * time.Second, POSIX: store.DefaultPOSIX()}
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Timeout <= 0 {
		c.Timeout = d.Timeout
	}
	if len(c.UserClass) == 0 {
		c.UserClass = d.UserClass
	}
	for _, p := range []struct {
		dst *string
		def string
	}{{&c.UserRDN, d.UserRDN}, {&c.GroupClass, d.GroupClass},
		{&c.GroupRDN, d.GroupRDN}, {&c.GroupNameAttribute, d.GroupNameAttribute}} {
		if *p.dst == "" {
			*p.dst = p.def
		}
	}
	if c.PoolSize <= 0 {
		c.PoolSize = d.PoolSize
	}
	if c.PoolMaxLifetime <= 0 {
		c.PoolMaxLifetime = d.PoolMaxLifetime
	}
	if c.RetryMax <= 0 {
		c.RetryMax = d.RetryMax
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = d.RetryDelay
	}
	if c.CacheTTL == 0 {
		c.CacheTTL = d.CacheTTL
	}
	if c.POSIX == (store.POSIXDefaults{}) {
		c.POSIX = d.POSIX
	}
	return c
}

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	var errs []error
	u, err := url.Parse(strings.Replace(c.URI, "ldapi://", "ldapi://x", 1))
	switch {
	case c.URI == "":
		errs = append(errs, errors.New("URI: required"))
	case err != nil:
		errs = append(errs, fmt.Errorf("URI: %v", err))
	case u.Scheme != "ldap" && u.Scheme != "ldaps" && u.Scheme != "ldapi":
		errs = append(errs, fmt.Errorf("URI: scheme %q: want ldap, ldaps or ldapi", u.Scheme))
	}
	if c.StartTLS && u != nil && u.Scheme != "ldap" {
		errs = append(errs, errors.New("START_TLS: only with an ldap:// URI"))
	}
	for _, dn := range []struct{ name, v string }{{"ROOT_DN", c.RootDN}, {"USER_BASE", c.UserBase}, {"GROUP_BASE", c.GroupBase}} {
		if dn.v == "" {
			errs = append(errs, fmt.Errorf("%s: required", dn.name))
		} else if _, err := ldap.ParseDN(dn.v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", dn.name, err))
		}
	}
	if !strings.EqualFold(c.GroupClass, "groupOfNames") {
		errs = append(errs, fmt.Errorf("GROUP_CLASS: %q is not supported (groupOfNames only)", c.GroupClass))
	}
	if !strings.EqualFold(c.GroupRDN, "cn") || !strings.EqualFold(c.GroupNameAttribute, "cn") {
		errs = append(errs, errors.New("GROUP_RDN and GROUP_NAME_ATTRIBUTE: only cn is supported"))
	}
	switch strings.ToLower(c.UserRDN) {
	case "uid", "cn", "mail":
	default:
		errs = append(errs, fmt.Errorf("USER_RDN: %q is not supported (uid, cn or mail)", c.UserRDN))
	}
	if err := c.POSIX.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.CAFile != "" && c.TLSConfig == nil {
		if _, err := os.Stat(c.CAFile); err != nil {
			errs = append(errs, fmt.Errorf("CA_FILE: %v", err))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("ldap: invalid configuration: %w", errors.Join(errs...))
}

// tlsConfig builds the client TLS configuration.
func (c Config) tlsConfig() (*tls.Config, error) {
	if c.TLSConfig != nil {
		return c.TLSConfig.Clone(), nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // opt-in, for tests
	if u, err := url.Parse(c.URI); err == nil && u.Hostname() != "" {
		cfg.ServerName = u.Hostname()
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ldap: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ldap: CA file %s: no PEM certificate", c.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
