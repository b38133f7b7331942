package main

import "testing"

func TestLDAPClientURL(t *testing.T) {
	for _, tc := range []struct {
		enable             bool
		listen, serverName string
		want               string
	}{
		{true, ":389", "auth.example.org", "ldap://auth.example.org:389"},
		{true, "0.0.0.0:3389", "auth.example.org", "ldap://auth.example.org:3389"},
		{true, "127.0.0.1:3389", "auth.example.org", "ldap://127.0.0.1:3389"},
		{true, "[::1]:389", "", "ldap://[::1]:389"},
		{true, ":389", "", "ldap://127.0.0.1:389"}, // the host of CANAILLE_HTTP.LISTEN
		{false, ":389", "auth.example.org", ""},
	} {
		cfg := DefaultConfig()
		cfg.LDAPServer.Enable, cfg.LDAPServer.Listen, cfg.ServerName = tc.enable, tc.listen, tc.serverName
		if got := ldapClientURL(cfg); got != tc.want {
			t.Errorf("enable %v listen %q server %q: %q, want %q", tc.enable, tc.listen, tc.serverName, got, tc.want)
		}
	}
}
