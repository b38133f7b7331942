package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/canaille-go/canaille/ui/mail"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/canaille-go/canaille/store"
)

var cmdDemo = &command{
	name: "demo", args: "[--data DIR]",
	summary: "start a throwaway server with demo data, no configuration needed",
	help: `Starts canaille with demo data in a temporary directory (deleted on exit),
or in --data DIR (kept, and reused on the next start). It writes a
configuration file there, creates an administrator "admin", a user "user"
and an OIDC client "demo", prints their credentials (new passwords at each
start) and serves like 'canaille run' until Ctrl+C.

Other commands reach the demo through its configuration file, for example:
  canaille --config DIR/config.toml get user`,
	run: runDemo,
}

const demoConfig = `# Written by 'canaille demo'. Every key is documented in config.sample.toml.
SECRET_KEY = %q
SERVER_NAME = "localhost:5000"
PREFERRED_URL_SCHEME = "http"

[CANAILLE]
NAME = "Canaille demo"
ENABLE_REGISTRATION = true

[CANAILLE_HTTP]
LISTEN = "127.0.0.1:5000"

[CANAILLE_BOLT]
PATH = %q

[CANAILLE_LDAP_SERVER]
LISTEN = "127.0.0.1:3389"
LDAPS_LISTEN = ""
ROOT_DN = "dc=example,dc=org"

[CANAILLE_OIDC.JWT]
PRIVATE_KEY = %q
PUBLIC_KEY = %q
`

func runDemo(e *cmdEnv) error {
	fs := e.flags()
	data := fs.String("data", "", "keep the demo data in this directory (default: a temporary one, deleted on exit)")
	if _, err := e.parse(fs, 0, 0); err != nil {
		return err
	}
	dir := *data
	if dir == "" {
		tmp, err := os.MkdirTemp("", "canaille-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "config.toml")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		text := fmt.Sprintf(demoConfig, store.NewSecret(), filepath.Join(dir, "canaille.db"),
			filepath.Join(dir, "private.pem"), filepath.Join(dir, "public.pem"))
		if err := writeFileAtomic(path, []byte(text), 0o600); err != nil {
			return err
		}
	}
	e.configPath = path
	cfg, err := e.config()
	if err != nil {
		return err
	}
	if err := checkBackend(cfg); err != nil {
		return err
	}
	st, err := e.store(false)
	if err != nil {
		return err
	}
	quiet := &strings.Builder{}
	if err := installKeys(cfg, quiet); err != nil {
		return err
	}
	creds, err := demoData(e, st)
	if err != nil {
		return err
	}
	e.mailer = &consoleMailer{w: e.stdout}
	return serve(e, cfg, func(s *server) error {
		kept := "deleted on exit; use --data DIR to keep it"
		if *data != "" {
			kept = "kept"
		}
		ldapURL := "(disabled)"
		if s.ldap != nil {
			ldapURL = "ldap://" + s.ldap.Addrs()[0]
		}
		webURL := "(disabled)"
		if s.web != nil {
			u, _ := baseURL(cfg)
			webURL = u.String() + "login"
		}
		root := cfg.LDAPServer.RootDN
		issuer := cfg.Issuer()
		fmt.Fprintf(e.stdout, `
Canaille demo is running.

  data directory  %s (%s)
  configuration   %s
  administrator   admin / %s
  user            user / %s
  OIDC client     client_id demo, client_secret %s
                  redirect URI http://localhost:8000/callback
  web interface   %s
  LDAP            %s, base %s

Try the LDAP server with OpenLDAP's tools:
  ldapsearch -x -H %s -D uid=admin,ou=users,%s -w %s -b %s '(uid=user)'
  ldapwhoami -x -H %s -D uid=user,ou=users,%s -w %s

The data commands reach the running demo through its control socket:
  canaille --config %s get user
  canaille --config %s create user --user-name bob --emails bob@example.org --password-file -
  canaille --config %s backup demo-backup.db

Emails (password recovery, registration) are printed here instead of sent.

OpenID Connect: point the relying party at the discovery document
  %s/.well-known/openid-configuration

Press Ctrl+C to stop.
`, dir, kept, path, creds.admin, creds.user, creds.secret, webURL, ldapURL, root,
			ldapURL, root, creds.admin, root, ldapURL, root, creds.user, path, path, path, issuer)
		return nil
	})
}

type demoCredentials struct{ admin, user, secret string }

// demoData creates (or refreshes the passwords of) the demo accounts and
// client.
func demoData(e *cmdEnv, st store.Store) (demoCredentials, error) {
	ctx := e.ctx
	c := demoCredentials{admin: demoPassword(), user: demoPassword(), secret: store.NewSecret()}
	if err := installData(ctx, st, &strings.Builder{}, "admin", c.admin); err != nil {
		return c, err
	}
	u, err := st.GetUserByName(ctx, "user")
	if errors.Is(err, store.ErrNotFound) {
		u, err = st.CreateUser(ctx, store.User{UserName: "user", GivenName: "Demo", FamilyName: "User",
			FormattedName: "Demo User", DisplayName: "Demo", Emails: []string{"user@example.org"}})
	}
	if err != nil {
		return c, err
	}
	if err := st.SetPassword(ctx, u.ID, c.user); err != nil {
		return c, err
	}
	client, err := st.GetClient(ctx, "demo")
	if errors.Is(err, store.ErrNotFound) {
		client = store.Client{ID: "demo", ClientName: "Demo client",
			RedirectURIs:  []string{"http://localhost:8000/callback"},
			GrantTypes:    []string{"authorization_code", "refresh_token"},
			ResponseTypes: []string{"code"}, Scope: []string{"openid", "profile", "email", "groups"},
			TokenEndpointAuthMethod: store.AuthMethodBasic, IDTokenSignedResponseAlg: "RS256"}
		client.SetSecret(c.secret)
		_, err = st.CreateClient(ctx, client)
	} else if err == nil {
		_, err = st.UpdateClient(ctx, "demo", func(cl *store.Client) error { cl.SetSecret(c.secret); return nil })
	}
	return c, err
}

// demoPassword is easy to type and strong enough for a demo on loopback.
func demoPassword() string {
	s := strings.ToLower(store.NewSecret())
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12]
}

// consoleMailer prints emails instead of sending them, so that the demo's
// password recovery and registration work without a mail server.
type consoleMailer struct {
	mu sync.Mutex
	w  io.Writer
}

func (c *consoleMailer) Send(ctx context.Context, m mail.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := fmt.Fprintf(c.w, "\n----- email to %s -----\nSubject: %s\n\n%s\n----- end of email -----\n\n", m.To, m.Subject, strings.TrimSpace(m.Text))
	return err
}
