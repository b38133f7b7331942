package main

import (
	"net"
	"net/netip"
)

// ldapClientURL is how clients reach the built-in LDAP server, for the
// sample commands of the web interface: ldap://HOST:PORT (ldaps:// when
// only LDAPS listens), HOST being the listen address or, when that is a
// wildcard, the public host name of the web interface. "" when the server
// is not enabled.
func ldapClientURL(cfg *Config) string {
	l := cfg.LDAPServer
	if !l.Enable {
		return ""
	}
	scheme, addr := "ldap", l.Listen
	if addr == "" {
		scheme, addr = "ldaps", l.LDAPSAddress()
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		base, _ := baseURL(cfg)
		host = base.Hostname()
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}
