package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"

	"github.com/canaille-go/canaille/ldapserver"
	"github.com/canaille-go/canaille/store"
)

// newLDAPServer builds the LDAP server component of cfg over st; m, when
// set, gets its operations and binds.
func newLDAPServer(cfg *Config, st store.Directory, log *slog.Logger, m *opsMetrics) (*ldapserver.Server, error) {
	l := cfg.LDAPServer
	policy, err := cfg.ACLPolicy()
	if err != nil {
		return nil, err
	}
	lc := ldapserver.Config{
		Listen:              l.Listen,
		LDAPSListen:         l.LDAPSAddress(),
		RootDN:              l.RootDN,
		AnonymousRead:       l.AnonymousRead,
		RequireTLSForBind:   l.RequireTLSForBind,
		SizeLimit:           l.SizeLimit,
		BindCacheTTL:        l.BindCacheTTL.Duration(),
		BindLoginAttributes: l.BindLoginAttributes,
		MaxConnections:      l.MaxConnections,
		IdleTimeout:         l.IdleTimeout.Duration(),
		PasswordPolicy:      cfg.PasswordPolicy(),
		Secret:              []byte(cfg.SecretKey),
		VendorVersion:       versionString(),
		Logger:              log,
	}
	if m != nil {
		lc.Observe, lc.BindOutcome = m.observeLDAP, m.bindOutcome
	}
	if cfg.Canaille.EnableIntruderLockout {
		lockout := store.DefaultLockout()
		lc.Lockout = &lockout
	}
	if l.TLSEnabled() {
		cert, err := tls.LoadX509KeyPair(l.TLSCert, l.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("CANAILLE_LDAP_SERVER.TLS_CERT/TLS_KEY: %w", err)
		}
		lc.TLS = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	return ldapserver.New(lc, st, policy)
}
