package main

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/canaille-go/canaille/internal/fastrsa"
)

var cmdCheck = &command{
	name:    "check",
	summary: "check the configuration and every resource it names",
	help: `Validates the configuration file and checks what it names: the database
file (format and page consistency, unless a running server holds it) or,
with DATABASE = "ldap", the upstream directory (reachability and TLS mode,
the bind of BIND_DN, the oauth2 and extension schemas in its subschema,
the base entries, and the memberof, refint and ppolicy overlays, read
from cn=config when the bind DN may, else probed), the
signing key files, the TLS files, that the listen addresses can be bound
(unless the server runs), and that the SMTP server answers. Prints one
line per check and every problem found; exits with status 1 if there is
any.`,
	run: runCheck,
}

// checker collects check results.
type checker struct {
	e        *cmdEnv
	problems int
}

func (c *checker) ok(format string, a ...any) { fmt.Fprintf(c.e.stdout, "ok       "+format+"\n", a...) }

func (c *checker) warn(format string, a ...any) {
	fmt.Fprintf(c.e.stdout, "warning  "+format+"\n", a...)
}

func (c *checker) problem(format string, a ...any) {
	c.problems++
	fmt.Fprintf(c.e.stdout, "PROBLEM  "+format+"\n", a...)
}

func runCheck(e *cmdEnv) error {
	if _, err := e.parse(e.flags(), 0, 0); err != nil {
		return err
	}
	c := &checker{e: e}
	cfg, warnings, err := LoadConfig(e.configPath, e.environ)
	for _, w := range warnings {
		fmt.Fprintf(e.stdout, "warning  %s\n", w)
	}
	if err != nil {
		c.problem("%v", err)
		return exitError(1)
	}
	if err := cfg.Validate(); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			c.problem("%s", line)
		}
	} else {
		c.ok("configuration %s", displayPath(cfg.ConfigPath))
	}
	if err := cfg.RequireSecretKey(); err != nil {
		c.problem("%v", err)
	}
	running := c.database(cfg)
	c.keys(cfg)
	c.tls(cfg)
	if !running {
		c.listen("CANAILLE_HTTP.LISTEN", cfg.HTTP.Listen)
		if cfg.LDAPServer.Enable {
			c.listen("CANAILLE_LDAP_SERVER.LISTEN", cfg.LDAPServer.Listen)
			c.listen("CANAILLE_LDAP_SERVER.LDAPS_LISTEN", cfg.LDAPServer.LDAPSAddress())
		}
	}
	c.smtp(cfg)
	if c.problems > 0 {
		fmt.Fprintf(e.stdout, "%d problem(s) found\n", c.problems)
		return exitError(1)
	}
	fmt.Fprintln(e.stdout, "no problem found")
	return nil
}

// database checks the store; it reports whether a server is running.
func (c *checker) database(cfg *Config) bool {
	if cfg.Canaille.Database == "ldap" {
		c.upstream(cfg)
		return false
	}
	if err := checkBackend(cfg); err != nil {
		c.problem("%v", err)
		return false
	}
	if conn, _ := dialControl(cfg.Bolt.ControlSocketPath()); conn != nil {
		conn.Close()
		c.ok("database %s is served by a running canaille (control socket %s)", cfg.Bolt.Path, cfg.Bolt.ControlSocketPath())
		return true
	}
	if _, err := os.Stat(cfg.Bolt.Path); errors.Is(err, os.ErrNotExist) {
		c.problem("the database %s does not exist: run 'canaille install'", cfg.Bolt.Path)
		return false
	}
	users, groups, err := verifyDatabase(cfg, cfg.Bolt.Path)
	if err != nil {
		c.problem("database %s: %v", cfg.Bolt.Path, err)
		return false
	}
	c.ok("database %s: %d users, %d groups, pages consistent", cfg.Bolt.Path, users, groups)
	return false
}

func (c *checker) keys(cfg *Config) {
	jwt := cfg.OIDC.JWT
	key, err := loadPrivateKey(jwt.PrivateKey)
	if err != nil {
		c.problem("CANAILLE_OIDC.JWT.PRIVATE_KEY: %v (run 'canaille install' to generate a key pair)", err)
		return
	}
	if err := keyMatchesAlg(key, jwt.Alg); err != nil {
		c.problem("CANAILLE_OIDC.JWT.PRIVATE_KEY %s: %v", jwt.PrivateKey, err)
		return
	}
	raw, err := os.ReadFile(jwt.PublicKey)
	if err != nil {
		c.problem("CANAILLE_OIDC.JWT.PUBLIC_KEY: %v", err)
		return
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		c.problem("CANAILLE_OIDC.JWT.PUBLIC_KEY %s holds no PEM block", jwt.PublicKey)
		return
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		c.problem("CANAILLE_OIDC.JWT.PUBLIC_KEY %s: %v", jwt.PublicKey, err)
		return
	}
	if eq, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(pub) {
		c.problem("CANAILLE_OIDC.JWT.PUBLIC_KEY %s is not the public half of %s", jwt.PublicKey, jwt.PrivateKey)
		return
	}
	// A test signature says whether the server's will go through OpenSSL.
	signer := "Go crypto"
	if rk, ok := key.(*rsa.PrivateKey); ok {
		signer = fastrsa.New(rk).Engine()
	}
	c.ok("signing key pair %s (%s, signed by %s)", jwt.PrivateKey, jwt.Alg, signer)
}

func (c *checker) tls(cfg *Config) {
	l := cfg.LDAPServer
	if !l.Enable || (l.TLSCert == "" && l.TLSKey == "") {
		return
	}
	cert, err := tls.LoadX509KeyPair(l.TLSCert, l.TLSKey)
	if err != nil {
		c.problem("CANAILLE_LDAP_SERVER.TLS_CERT/TLS_KEY: %v", err)
		return
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err == nil && time.Now().After(leaf.NotAfter) {
		c.problem("CANAILLE_LDAP_SERVER.TLS_CERT %s expired on %s", l.TLSCert, leaf.NotAfter.Format(time.DateOnly))
		return
	}
	c.ok("TLS certificate %s", l.TLSCert)
}

func (c *checker) listen(key, addr string) {
	if addr == "" {
		return
	}
	network, address := "tcp", addr
	if p, ok := strings.CutPrefix(addr, "unix:"); ok {
		network, address = "unix", p
		if _, err := os.Stat(p); err == nil {
			c.ok("%s %s (socket file exists; it is replaced at start)", key, addr)
			return
		}
	}
	ln, err := net.Listen(network, address)
	if err != nil {
		hint := ""
		if errors.Is(err, os.ErrPermission) {
			hint = " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
		}
		c.problem("%s %s cannot be bound: %v%s", key, addr, err, hint)
		return
	}
	ln.Close()
	if network == "unix" {
		os.Remove(address)
	}
	c.ok("%s %s can be bound", key, addr)
}

func (c *checker) smtp(cfg *Config) {
	if !cfg.MailEnabled() {
		return
	}
	m, err := newMailer(cfg)
	if err != nil {
		c.problem("%v", err)
		return
	}
	ctx, cancel := context.WithTimeout(c.e.ctx, 15*time.Second)
	defer cancel()
	// Check connects, greets, upgrades to TLS and logs in as configured,
	// without sending anything; its errors name the step that failed.
	if err := m.Check(ctx); err != nil {
		c.problem("CANAILLE.SMTP: %v", err)
		return
	}
	login := ""
	if cfg.Canaille.SMTP.Login != "" {
		login = ", login accepted"
	}
	c.ok("SMTP server %s answers%s", m.Addr(), login)
}
