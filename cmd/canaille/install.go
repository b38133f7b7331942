package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/term"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/store/bolt"
)

var cmdInstall = &command{
	name:    "install",
	args:    "[--admin-user NAME [--admin-password-file FILE]] | --write-schemas DIR",
	summary: "create the database, the signing keys and the admins group",
	help: `Prepares everything canaille needs, and may be run again safely:

  - creates the database file CANAILLE_BOLT.PATH (and its directory) with its
    buckets, or migrates an existing one to this version's format;
  - generates the signing key pair CANAILLE_OIDC.JWT.PRIVATE_KEY/PUBLIC_KEY
    for CANAILLE_OIDC.JWT.ALG when the private key file does not exist;
  - writes a random SECRET_KEY at the top of the configuration file when the
    file does not define one;
  - creates the "admins" group, whose members the built-in ADMIN permissions
    section empowers;
  - with --admin-user, creates that administrator (or adds an existing user
    to "admins"); the password comes from --admin-password-file (a file, or
    "-" for standard input) or is asked twice on the terminal.

With DATABASE = "ldap" (the upstream OpenLDAP directory of [CANAILLE_LDAP]),
install does not create a database file; after the keys and SECRET_KEY it
connects with URI, BIND_DN and BIND_PW and:

  - loads the oauth2 schema (OID-compatible with Python Canaille's, which
    counts as present) and canaille's extension schema into
    cn=schema,cn=config when they are missing and the bind DN may write
    there; otherwise prints the commands that load them by hand, for a
    cn=config and for a slapd.conf configuration, and exits with status 1
    after the next step;
  - creates USER_BASE, GROUP_BASE, ou=oauth under ROOT_DN and its branches
    (clients, authorizations, tokens, consents, sessions, tickets, jwtids,
    keys, audit) when missing.

--admin-user is not available with DATABASE = "ldap" yet.

--write-schemas DIR writes the schema files (oauth2-openldap.ldif and
.schema, canaille-openldap.ldif and .schema) into DIR and does nothing else;
packages install them in /usr/share/canaille.`,
	run: runInstall,
}

func runInstall(e *cmdEnv) error {
	fs := e.flags()
	adminUser := fs.String("admin-user", "", "create this administrator (member of the admins group)")
	pwFile := fs.String("admin-password-file", "", "read the administrator's password from this file (- for standard input)")
	schemaDir := fs.String("write-schemas", "", "write the OpenLDAP schema files into this directory, and do nothing else")
	if _, err := e.parse(fs, 0, 0); err != nil {
		return err
	}
	if *schemaDir != "" {
		if *adminUser != "" || *pwFile != "" {
			return usagef("--write-schemas takes no other option")
		}
		return writeSchemas(*schemaDir, e.stdout)
	}
	if *pwFile != "" && *adminUser == "" {
		return usagef("--admin-password-file needs --admin-user")
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	if cfg.Canaille.Database == "ldap" {
		return installLDAP(e, cfg, *adminUser != "")
	}
	if err := checkBackend(cfg); err != nil {
		return err
	}
	var adminPassword string
	if *adminUser != "" {
		if adminPassword, err = e.readPassword(*pwFile, "administrator "+*adminUser); err != nil {
			return err
		}
		if err := cfg.PasswordPolicy().Check(adminPassword, &store.User{UserName: *adminUser}); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Bolt.Path), 0o750); err != nil {
		return fmt.Errorf("create the data directory: %w", err)
	}
	st, err := e.store(false)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "database %s ready (format %d)\n", cfg.Bolt.Path, bolt.FormatVersion)
	if err := installKeys(cfg, e.stdout); err != nil {
		return err
	}
	if err := installSecretKey(cfg, e.stdout); err != nil {
		return err
	}
	return installData(e.ctx, st, e.stdout, *adminUser, adminPassword)
}

// installLDAP is install with DATABASE = "ldap": keys, SECRET_KEY, then the
// upstream directory.
func installLDAP(e *cmdEnv, cfg *Config, admin bool) error {
	if admin {
		return usagef(`--admin-user is not available with CANAILLE.DATABASE = "ldap" yet: create the administrator in the directory and add it to a group the ACL sections empower`)
	}
	if err := installKeys(cfg, e.stdout); err != nil {
		return err
	}
	if err := installSecretKey(cfg, e.stdout); err != nil {
		return err
	}
	return installUpstream(e.ctx, cfg, e.stdout)
}

func installKeys(cfg *Config, out io.Writer) error {
	jwt := cfg.OIDC.JWT
	created, err := ensureKeyPair(jwt.PrivateKey, jwt.PublicKey, jwt.Alg)
	if err != nil {
		return fmt.Errorf("signing keys (CANAILLE_OIDC.JWT): %w", err)
	}
	if created {
		fmt.Fprintf(out, "signing key pair written: %s (private, mode 0600) and %s (%s)\n", jwt.PrivateKey, jwt.PublicKey, jwt.Alg)
	} else {
		fmt.Fprintf(out, "signing key %s present (%s)\n", jwt.PrivateKey, jwt.Alg)
	}
	return nil
}

var secretKeyDefined = regexp.MustCompile(`(?m)^\s*SECRET_KEY\s*=`)

// installSecretKey writes a random SECRET_KEY at the top of the
// configuration file (where root keys belong in TOML) when none is set.
func installSecretKey(cfg *Config, out io.Writer) error {
	if cfg.SecretKey != "" {
		return nil
	}
	if cfg.ConfigPath == "" {
		fmt.Fprintln(out, "SECRET_KEY is not set; set it in the configuration file or the SECRET_KEY environment variable")
		return nil
	}
	text, err := os.ReadFile(cfg.ConfigPath)
	if err != nil {
		return err
	}
	if secretKeyDefined.Match(text) {
		fmt.Fprintf(out, "SECRET_KEY is empty in %s: set it to a random string of at least 32 characters\n", cfg.ConfigPath)
		return nil
	}
	st, err := os.Stat(cfg.ConfigPath)
	if err != nil {
		return err
	}
	line := fmt.Sprintf("# Generated by `canaille install`: signs cookies and links. Keep it secret.\nSECRET_KEY = %q\n\n", store.NewSecret())
	if err := writeFileAtomic(cfg.ConfigPath, append([]byte(line), text...), st.Mode().Perm()); err != nil {
		return fmt.Errorf("write SECRET_KEY into %s: %w", cfg.ConfigPath, err)
	}
	fmt.Fprintf(out, "SECRET_KEY generated and written into %s\n", cfg.ConfigPath)
	return nil
}

// installData creates the admins group and, when name is set, the
// administrator.
func installData(ctx context.Context, st store.Store, out io.Writer, name, pw string) error {
	admins, err := st.GetGroupByName(ctx, acl.AdminGroup)
	if errors.Is(err, store.ErrNotFound) {
		admins, err = st.CreateGroup(ctx, store.Group{DisplayName: acl.AdminGroup,
			Description: "Administrators: every permission of the built-in ADMIN section"})
		if err == nil {
			fmt.Fprintf(out, "group %q created\n", acl.AdminGroup)
		}
	}
	if err != nil {
		return err
	}
	if name == "" {
		return nil
	}
	u, err := st.GetUserByName(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		u, err = st.CreateUser(ctx, store.User{UserName: name, FormattedName: name})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "user %q created\n", name)
	case err != nil:
		return err
	default:
		fmt.Fprintf(out, "user %q exists\n", name)
	}
	if err := st.SetPassword(ctx, u.ID, pw); err != nil {
		return err
	}
	if err := st.AddMember(ctx, admins.ID, u.ID); err != nil {
		return err
	}
	fmt.Fprintf(out, "user %q has its password set and is a member of %q\n", name, acl.AdminGroup)
	return nil
}

// readPassword reads a password from a file, standard input ("-"), or the
// terminal (asked twice).
func (e *cmdEnv) readPassword(file, whose string) (string, error) {
	if file != "" {
		var data []byte
		var err error
		if file == "-" {
			data, err = io.ReadAll(io.LimitReader(e.stdin, 64<<10))
		} else {
			data, err = os.ReadFile(file)
		}
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		pw := strings.TrimRight(string(data), "\r\n")
		if pw == "" {
			return "", fmt.Errorf("the password file %s is empty", file)
		}
		return pw, nil
	}
	f, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", usagef("no terminal to ask the password of %s: give a password file (- for standard input)", whose)
	}
	ask := func(prompt string) (string, error) {
		fmt.Fprint(e.stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		return string(b), err
	}
	pw, err := ask("Password for " + whose + ": ")
	if err != nil {
		return "", err
	}
	again, err := ask("Again: ")
	if err != nil {
		return "", err
	}
	if pw != again {
		return "", errors.New("the two passwords differ")
	}
	return pw, nil
}

// readLine reads one line of standard input (for confirmations).
func readLine(r io.Reader) string {
	line, _ := bufio.NewReader(r).ReadString('\n')
	return strings.TrimSpace(line)
}
