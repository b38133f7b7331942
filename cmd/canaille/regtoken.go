package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/canaille-go/canaille/oidc"
)

var cmdRegistrationToken = &command{
	name: "registration-token", args: "[--client-id ID] [--lifetime DURATION]",
	summary: "print an initial access token for OIDC dynamic client registration",
	help: `Prints an initial access token: a JWT signed with the OIDC key of
[CANAILLE_OIDC.JWT] that lets an application register itself once at
/oauth/register (RFC 7591) when DYNAMIC_CLIENT_REGISTRATION_OPEN is false.
Give it to the application's administrator, who sends it as
"Authorization: Bearer TOKEN".

  --client-id ID      the client_id the registration creates (default: a
                      random one chosen at registration)
  --lifetime DURATION how long the token is valid: seconds or ISO 8601
                      (default 86400, one day; 0 never expires)

It reads only the configuration and the key file: it works whether or not
the server is running.`,
	run: func(e *cmdEnv) error {
		fs := e.flags()
		clientID := fs.String("client-id", "", "client_id the registration creates")
		lifetime := fs.String("lifetime", "86400", "validity: seconds or ISO 8601")
		if _, err := e.parse(fs, 0, 0); err != nil {
			return err
		}
		d, err := ParseDuration(*lifetime)
		if err != nil || d < 0 {
			return usagef("--lifetime %q: give seconds (86400) or an ISO 8601 duration (P1D)", *lifetime)
		}
		cfg, err := e.config()
		if err != nil {
			return err
		}
		if !cfg.OIDC.EnableOIDC {
			return fmt.Errorf("CANAILLE_OIDC.ENABLE_OIDC is false: there is no registration endpoint")
		}
		raw, err := os.ReadFile(cfg.OIDC.JWT.PrivateKey)
		if err != nil {
			return fmt.Errorf("CANAILLE_OIDC.JWT.PRIVATE_KEY: %w", err)
		}
		key, err := oidc.ParseKey(raw, cfg.OIDC.JWT.Alg)
		if err != nil {
			return fmt.Errorf("CANAILLE_OIDC.JWT.PRIVATE_KEY %s: %w", cfg.OIDC.JWT.PrivateKey, err)
		}
		keys, err := oidc.NewKeySet(key)
		if err != nil {
			return fmt.Errorf("CANAILLE_OIDC.JWT.PRIVATE_KEY %s: %w", cfg.OIDC.JWT.PrivateKey, err)
		}
		issuer := cfg.Issuer()
		if issuer == "" {
			u, _ := baseURL(cfg)
			issuer = strings.TrimSuffix(u.String(), "/")
		}
		tok, err := oidc.InitialAccessToken(keys, issuer, *clientID, d.Duration(), time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, tok)
		return nil
	},
}
