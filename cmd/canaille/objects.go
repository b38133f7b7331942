package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/canaille-go/canaille/store"
)

const objectsHelp = `Objects are users, groups and clients, named by their natural
identifier: users by user name, groups by display name, clients by
client_id (the object's id works too).

Attribute flags use the model names in kebab case (--user-name,
--emails, --given-name, --display-name, --members, --redirect-uris, …); run
'canaille create user --help' for the whole list. A flag given several
times makes a list, and "" empties one. Users' --groups and groups'
--members and --owners take names. Output is JSON; password hashes and
client secrets are never printed (except a new client's secret, once).`

var cmdCreate = &command{
	name: "create", args: "user|group|client --ATTR VALUE…", data: true,
	summary: "create a user, group or client and print it as JSON",
	help: objectsHelp + `

Passwords: --password VALUE, or --password-file FILE ("-" for standard
input) to keep it out of the process list. Clients get generated
client_id and client_secret unless given; the defaults are the
authorization code and refresh token grants, scopes openid profile email,
client_secret_basic and RS256.`,
	run: runCreate,
}

var cmdGet = &command{
	name: "get", args: "user|group|client [ID] [--ATTR VALUE…]", data: true,
	summary: "print objects as JSON",
	help: objectsHelp + `

With an ID, prints that object. Otherwise prints the list of objects whose
attributes have the given values (case-insensitively; several values of one
flag mean any of them). 'get user ID --permissions' prints what the
[CANAILLE.ACL.*] sections let that user do.`,
	run: runGet,
}

var cmdSet = &command{
	name: "set", args: "user|group|client ID --ATTR VALUE…", data: true,
	summary: "change an object and print it",
	help: objectsHelp + `

List attributes are replaced by the values given. --password or
--password-file sets a user's password; --lock-date now locks an account
and ends its sessions, --lock-date "" unlocks it. --renew-secret gives a
client a new secret and prints it once.`,
	run: runSet,
}

var cmdDelete = &command{
	name: "delete", args: "user|group|client ID", data: true,
	summary: "delete an object (and what hangs on it)",
	help: `Deletes a user (with its memberships, sessions, consents and tokens), a
group, or a client (with its consents, codes and tokens).`,
	run: runDelete,
}

// objectFiles are the file arguments of object commands.
var objectFiles = remoteFiles{inputFlags: []string{"password-file"}}

// objectArgs splits "KIND [ID] flags…" and returns the kind.
func (e *cmdEnv) objectKind() (string, error) {
	if len(e.args) == 0 || e.args[0] == "--help" || e.args[0] == "-h" || e.args[0] == "-help" {
		printCommandHelp(e.stdout, e.cmd, nil)
		if len(e.args) == 0 {
			return "", usagef("missing the kind of object: user, group or client")
		}
		return "", flag.ErrHelp
	}
	kind := e.args[0]
	switch kind {
	case "user", "group", "client":
		e.args = e.args[1:]
		return kind, nil
	}
	return "", usagef("unknown kind of object %q: user, group or client", kind)
}

func attrsOf(kind string) []attr {
	switch kind {
	case "user":
		return userAttrs
	case "group":
		return groupAttrs
	}
	return clientAttrs
}

// resolver turns user or group names into Refs. It remembers what it
// resolved, so that the same flags can be applied again inside an update
// transaction (where reading the store would deadlock) through cached.
type resolver struct {
	ctx   context.Context
	st    store.Store
	cache map[string][]store.Ref
}

func newResolver(ctx context.Context, st store.Store) *resolver {
	return &resolver{ctx: ctx, st: st, cache: map[string][]store.Ref{}}
}

// cached resolves only what resolve already resolved.
func (r *resolver) cached(field string, _ []string) ([]store.Ref, error) { return r.cache[field], nil }

func (r *resolver) resolve(field string, names []string) ([]store.Ref, error) {
	refs, err := r.lookup(field, names)
	if err == nil {
		r.cache[field] = refs
	}
	return refs, err
}

func (r *resolver) lookup(field string, names []string) ([]store.Ref, error) {
	var refs []store.Ref
	for _, n := range names {
		var id string
		if field == "groups" {
			g, err := findGroup(r.ctx, r.st, n)
			if err != nil {
				return nil, err
			}
			id = g.ID
		} else {
			u, err := findUser(r.ctx, r.st, n)
			if err != nil {
				return nil, err
			}
			id = u.ID
		}
		refs = append(refs, store.Ref{ID: id, Name: n})
	}
	return refs, nil
}

// findBy looks an object up by its natural identifier, then by ID.
func findBy[T any](ctx context.Context, what, name string, byName, byID func(context.Context, string) (T, error)) (T, error) {
	v, err := byName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		if v, err = byID(ctx, name); errors.Is(err, store.ErrNotFound) {
			return v, fmt.Errorf("no %s named %q", what, name)
		}
	}
	return v, err
}

func findUser(ctx context.Context, st store.Store, name string) (store.User, error) {
	return findBy(ctx, "user", name, st.GetUserByName, st.GetUser)
}

func findGroup(ctx context.Context, st store.Store, name string) (store.Group, error) {
	return findBy(ctx, "group", name, st.GetGroupByName, st.GetGroup)
}

func findClient(ctx context.Context, st store.Store, id string) (store.Client, error) {
	c, err := st.GetClient(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return c, fmt.Errorf("no client %q", id)
	}
	return c, err
}

// passwordFlags adds --password and --password-file to a user command.
type passwordFlags struct{ value, file *string }

func addPasswordFlags(fs *flag.FlagSet) passwordFlags {
	return passwordFlags{
		value: fs.String("password", "", "the user's password (visible in the process list: prefer --password-file)"),
		file:  fs.String("password-file", "", "read the password from this file (- for standard input)"),
	}
}

// get returns the password given, "" if none.
func (p passwordFlags) get(e *cmdEnv) (string, error) {
	if *p.value != "" && *p.file != "" {
		return "", usagef("give --password or --password-file, not both")
	}
	if *p.file != "" {
		return e.readPassword(*p.file, "the user")
	}
	return *p.value, nil
}

func runCreate(e *cmdEnv) error {
	kind, err := e.objectKind()
	if err != nil {
		return err
	}
	fs := e.flags()
	values := attrFlags(fs, attrsOf(kind), false)
	var pw passwordFlags
	var secret *string
	switch kind {
	case "user":
		pw = addPasswordFlags(fs)
	case "client":
		secret = fs.String("client-secret", "", "the client secret (default: generated)")
	}
	if _, err := e.parse(fs, 0, 0); err != nil {
		return err
	}
	st, done, err := e.dataStore(objectFiles)
	if done || err != nil {
		return err
	}
	cfg, _ := e.config()
	ctx, res := e.ctx, newResolver(e.ctx, st)
	switch kind {
	case "user":
		var u store.User
		if err := setAttrs(&u, userAttrs, values, res.resolve); err != nil {
			return err
		}
		password, err := pw.get(e)
		if err != nil {
			return err
		}
		if password != "" {
			if err := cfg.PasswordPolicy().Check(password, &u); err != nil {
				return err
			}
		}
		groups := u.Groups
		created, err := st.CreateUser(ctx, u)
		if err != nil {
			return err
		}
		if password != "" {
			if err := st.SetPassword(ctx, created.ID, password); err != nil {
				return err
			}
		}
		for _, g := range groups {
			if err := st.AddMember(ctx, g.ID, created.ID); err != nil {
				return err
			}
		}
		if created, err = st.GetUser(ctx, created.ID); err != nil {
			return err
		}
		return printJSON(e.stdout, created)
	case "group":
		var g store.Group
		if err := setAttrs(&g, groupAttrs, values, res.resolve); err != nil {
			return err
		}
		created, err := st.CreateGroup(ctx, g)
		if err != nil {
			return err
		}
		return printJSON(e.stdout, created)
	}
	c := store.Client{
		GrantTypes:               []string{"authorization_code", "refresh_token"},
		ResponseTypes:            []string{"code"},
		Scope:                    []string{"openid", "profile", "email"},
		TokenEndpointAuthMethod:  store.AuthMethodBasic,
		IDTokenSignedResponseAlg: "RS256",
		ApplicationType:          "web",
	}
	if err := setAttrs(&c, clientAttrs, values, res.resolve); err != nil {
		return err
	}
	plain := *secret
	if c.TokenEndpointAuthMethod != store.AuthMethodNone && c.TokenEndpointAuthMethod != store.AuthMethodPrivateKeyJWT {
		if plain == "" {
			plain = store.NewSecret()
		}
		c.SetSecret(plain)
	} else if plain != "" {
		return usagef("a client with token_endpoint_auth_method %q has no secret", c.TokenEndpointAuthMethod)
	}
	created, err := st.CreateClient(ctx, c)
	if err != nil {
		return err
	}
	return printJSON(e.stdout, clientWithSecret{created, plain})
}

// clientWithSecret prints a client with its plain secret, only right after
// the secret was made.
type clientWithSecret struct {
	store.Client
	ClientSecret string `json:"client_secret,omitempty"`
}

func runGet(e *cmdEnv) error {
	kind, err := e.objectKind()
	if err != nil {
		return err
	}
	fs := e.flags()
	attrs := attrsOf(kind)
	values := attrFlags(fs, attrs, true)
	var permissions *bool
	if kind == "user" {
		permissions = fs.Bool("permissions", false, "with a user ID: print what the ACL sections let this user do instead of the user")
	}
	pos, err := e.parse(fs, 0, 1)
	if err != nil {
		return err
	}
	if permissions != nil && *permissions && len(pos) == 0 {
		return usagef("--permissions needs a user")
	}
	st, done, err := e.dataStore(objectFiles)
	if done || err != nil {
		return err
	}
	ctx := e.ctx
	if len(pos) == 1 {
		obj, err := getObject(ctx, st, kind, pos[0])
		if err != nil {
			return err
		}
		if permissions != nil && *permissions {
			return e.printRights(obj.(store.User))
		}
		return printJSON(e.stdout, obj)
	}
	var out []any
	var err2 error
	switch kind {
	case "user":
		out, err2 = matching(st.ListUsers(ctx, store.UserQuery{}))(attrs, values)
	case "group":
		out, err2 = matching(st.ListGroups(ctx, store.GroupQuery{}))(attrs, values)
	case "client":
		out, err2 = matching(st.ListClients(ctx))(attrs, values)
	}
	if err2 != nil {
		return err2
	}
	if out == nil {
		out = []any{}
	}
	return printJSON(e.stdout, out)
}

// printRights prints the ACL evaluation for u: the matching sections, the
// permissions and the readable and writable attributes.
func (e *cmdEnv) printRights(u store.User) error {
	cfg, err := e.config()
	if err != nil {
		return err
	}
	policy, err := cfg.ACLPolicy()
	if err != nil {
		return err
	}
	r := policy.For(&u)
	sorted := func(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }
	perms := make([]string, 0, len(r.Permissions))
	for p := range r.Permissions {
		perms = append(perms, string(p))
	}
	slices.Sort(perms)
	read := maps.Clone(r.Read)
	maps.Copy(read, r.Write)
	return printJSON(e.stdout, map[string]any{
		"user_name": u.UserName, "sections": r.Sections, "permissions": perms,
		"read": sorted(read), "write": sorted(r.Write),
	})
}

// matching keeps the listed objects whose attributes have the values
// given on the command line.
func matching[T any](list []T, err error) func([]attr, map[string]*multiFlag) ([]any, error) {
	return func(attrs []attr, values map[string]*multiFlag) ([]any, error) {
		var out []any
		for i := range list {
			if matchesFilters(&list[i], attrs, values) {
				out = append(out, list[i])
			}
		}
		return out, err
	}
}

func getObject(ctx context.Context, st store.Store, kind, id string) (any, error) {
	switch kind {
	case "user":
		return findUser(ctx, st, id)
	case "group":
		return findGroup(ctx, st, id)
	}
	return findClient(ctx, st, id)
}

func runSet(e *cmdEnv) error {
	kind, err := e.objectKind()
	if err != nil {
		return err
	}
	fs := e.flags()
	values := attrFlags(fs, attrsOf(kind), false)
	var pw passwordFlags
	var renew *bool
	switch kind {
	case "user":
		pw = addPasswordFlags(fs)
	case "client":
		renew = fs.Bool("renew-secret", false, "give the client a new secret, printed once")
	}
	pos, err := e.parse(fs, 1, 1)
	if err != nil {
		return err
	}
	st, done, err := e.dataStore(objectFiles)
	if done || err != nil {
		return err
	}
	cfg, _ := e.config()
	ctx, res := e.ctx, newResolver(e.ctx, st)
	switch kind {
	case "user":
		u, err := findUser(ctx, st, pos[0])
		if err != nil {
			return err
		}
		password, err := pw.get(e)
		if err != nil {
			return err
		}
		wasLocked := u.Locked(time.Now())
		scratch := u.Clone()
		if err := setAttrs(&scratch, userAttrs, values, res.resolve); err != nil {
			return err
		}
		var wantGroups []store.Ref
		u, err = st.UpdateUser(ctx, u.ID, func(nu *store.User) error {
			if err := setAttrs(nu, userAttrs, values, res.cached); err != nil {
				return err
			}
			wantGroups = nu.Groups
			if password != "" {
				return cfg.PasswordPolicy().Check(password, nu)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if password != "" {
			if err := st.SetPassword(ctx, u.ID, password); err != nil {
				return err
			}
		}
		if values["groups"] != nil && len(values["groups"].vals) > 0 {
			if err := setUserGroups(ctx, st, u, wantGroups); err != nil {
				return err
			}
		}
		if (password != "" || u.Locked(time.Now())) && !wasLocked {
			if n, err := st.DeleteUserSessions(ctx, u.ID, ""); err == nil && n > 0 {
				fmt.Fprintf(e.stderr, "ended %d session(s) of %s\n", n, u.UserName)
			}
		}
		if u, err = st.GetUser(ctx, u.ID); err != nil {
			return err
		}
		return printJSON(e.stdout, u)
	case "group":
		g, err := findGroup(ctx, st, pos[0])
		if err != nil {
			return err
		}
		scratch := g.Clone()
		if err := setAttrs(&scratch, groupAttrs, values, res.resolve); err != nil {
			return err
		}
		g, err = st.UpdateGroup(ctx, g.ID, func(ng *store.Group) error { return setAttrs(ng, groupAttrs, values, res.cached) })
		if err != nil {
			return err
		}
		return printJSON(e.stdout, g)
	}
	c, err := findClient(ctx, st, pos[0])
	if err != nil {
		return err
	}
	var plain string
	if *renew {
		plain = store.NewSecret()
	}
	c, err = st.UpdateClient(ctx, c.ID, func(nc *store.Client) error {
		if err := setAttrs(nc, clientAttrs, values, res.cached); err != nil {
			return err
		}
		if plain != "" {
			nc.SetSecret(plain)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return printJSON(e.stdout, clientWithSecret{c, plain})
}

// setUserGroups makes want exactly the groups of u.
func setUserGroups(ctx context.Context, st store.Store, u store.User, want []store.Ref) error {
	have := store.RefIDs(u.Groups)
	wantIDs := store.RefIDs(want)
	for _, id := range have {
		if !slices.Contains(wantIDs, id) {
			if err := st.RemoveMember(ctx, id, u.ID); err != nil {
				return err
			}
		}
	}
	for _, id := range wantIDs {
		if !slices.Contains(have, id) {
			if err := st.AddMember(ctx, id, u.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

func runDelete(e *cmdEnv) error {
	kind, err := e.objectKind()
	if err != nil {
		return err
	}
	pos, err := e.parse(e.flags(), 1, 1)
	if err != nil {
		return err
	}
	st, done, err := e.dataStore(objectFiles)
	if done || err != nil {
		return err
	}
	ctx := e.ctx
	switch kind {
	case "user":
		u, err := findUser(ctx, st, pos[0])
		if err != nil {
			return err
		}
		err = st.DeleteUser(ctx, u.ID)
		if err == nil {
			fmt.Fprintf(e.stdout, "user %s deleted\n", u.UserName)
		}
		return err
	case "group":
		g, err := findGroup(ctx, st, pos[0])
		if err != nil {
			return err
		}
		err = st.DeleteGroup(ctx, g.ID)
		if err == nil {
			fmt.Fprintf(e.stdout, "group %s deleted\n", g.DisplayName)
		}
		return err
	}
	c, err := findClient(ctx, st, pos[0])
	if err != nil {
		return err
	}
	if err = st.DeleteClient(ctx, c.ID); err == nil {
		fmt.Fprintf(e.stdout, "client %s deleted (with its consents, codes and tokens)\n", c.ID)
	}
	return err
}
