package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/ldif"
)

var cmdImport = &command{
	name: "import", args: "[--dry-run] FILE.ldif|-", data: true,
	summary: "import users and groups from LDIF (slapcat output)",
	help: `Reads users (inetOrgPerson, posixAccount…) and groups (groupOfNames,
groupOfUniqueNames, posixGroup) from an LDIF file such as slapcat writes,
and adds them to the database in one step: if any entry is refused, nothing
is imported and the message names the line. Password hashes are kept
({SSHA}, {SSHA256}, {SSHA512}, {CRYPT}, {ARGON2}, bcrypt) and keep working;
they are upgraded to argon2id at each user's next login when
PASSWORD_HASH_UPGRADE is on. Cleartext userPassword values are hashed.
entryUUID values are kept as object IDs. Other entries (organizational
units, the base entry) are skipped. Group members are resolved by DN (or
memberUid) among the imported users and the existing ones.

--dry-run reads and checks everything without writing.`,
	run: runImport,
}

var cmdExport = &command{
	name: "export", args: "[--nis] [--no-ppolicy] [--no-passwords] [FILE|-]", data: true,
	summary: "export users and groups as LDIF",
	help: `Writes the base entry, ou=users, ou=groups, every user and every group as
LDIF (to FILE, or standard output), under CANAILLE_LDAP_SERVER.ROOT_DN, with
password hashes unless --no-passwords. The output loads into OpenLDAP with
slapadd or ldapadd. Groups are groupOfNames + posixGroup (rfc2307bis, as
canaille's LDAP server serves them); --nis writes them as plain
groupOfNames for a stock OpenLDAP whose nis schema makes posixGroup
structural (their gidNumber is then left out). Lock dates and password
change times are written as pwdEndTime and pwdChangedTime, which OpenLDAP
knows only with its ppolicy overlay: --no-ppolicy leaves them out. For a
stock slapd, use --nis --no-ppolicy.`,
	run: runExport,
}

func runImport(e *cmdEnv) error {
	fs := e.flags()
	dry := fs.Bool("dry-run", false, "check the file without importing")
	pos, err := e.parse(fs, 1, 1)
	if err != nil {
		return err
	}
	st, done, err := e.dataStore(remoteFiles{inputArg: true})
	if done || err != nil {
		return err
	}
	cfg, _ := e.config()
	var in io.Reader = e.stdin
	name := "standard input"
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in, name = f, pos[0]
	}
	start := time.Now()
	batch, err := readImport(e, bufio.NewReaderSize(in, 1<<20))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := batch.resolve(e, st); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(batch.cleartext) > 0 {
		h, err := newHasher(cfg)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "hashing %d cleartext passwords with argon2id…\n", len(batch.cleartext))
		for i, pw := range batch.cleartext {
			if batch.users[i].PasswordHash, err = h.Hash(e.ctx, pw); err != nil {
				return err
			}
		}
	}
	for _, w := range batch.warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
	summary := fmt.Sprintf("%d users and %d groups", len(batch.users), len(batch.groups))
	if *dry {
		fmt.Fprintf(e.stdout, "%s: %s would be imported%s (dry run: nothing written)\n", name, summary, batch.skippedText())
		return nil
	}
	if err := st.Import(e.ctx, batch.users, batch.groups); err != nil {
		return fmt.Errorf("%s: nothing imported: %w", name, batch.explain(err))
	}
	for id, photo := range batch.photos {
		if err := st.SetUserPhoto(e.ctx, id, photo); err != nil {
			return fmt.Errorf("%s: users and groups imported, but a photo was not: %w", name, err)
		}
	}
	fmt.Fprintf(e.stdout, "%s: imported %s in %s%s\n", name, summary, roundDuration(time.Since(start)), batch.skippedText())
	return nil
}

// importBatch is what an LDIF file holds, checked and ready to write.
type importBatch struct {
	users     []store.User
	cleartext map[int]string // index in users -> cleartext password to hash
	photos    map[string][]byte
	groups    []store.Group
	refs      []schemas.GroupImport
	lines     map[string]int    // lower-cased user or group name -> line
	byDN      map[string]string // normalised user DN -> ID
	byName    map[string]string // lower-cased user name -> ID
	skipped   map[string]int    // object class -> count
	warnings  []string
}

// readImport parses and maps every entry, checking what can be checked
// without the database.
func readImport(e *cmdEnv, r io.Reader) (*importBatch, error) {
	b := &importBatch{cleartext: map[int]string{}, photos: map[string][]byte{}, lines: map[string]int{},
		byDN: map[string]string{}, byName: map[string]string{}, skipped: map[string]int{}}
	rd := ldif.NewReader(r)
	n := 0
	for {
		entry, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if n++; n%25000 == 0 {
			fmt.Fprintf(e.stderr, "read %d entries…\n", n)
		}
		where := fmt.Sprintf("line %d (%s)", entry.Line, entry.DN)
		switch schemas.Classify(entry) {
		case schemas.UserEntry:
			ui, err := schemas.UserFromEntry(entry)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			u := ui.User
			if u.ID == "" {
				u.ID = store.NewID()
			}
			u.Normalize()
			if err := u.Validate(); err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			key := strings.ToLower(u.UserName)
			if line, dup := b.lines["u:"+key]; dup {
				return nil, fmt.Errorf("%s: user name %q already appears at line %d", where, u.UserName, line)
			}
			b.lines["u:"+key] = entry.Line
			dn, err := schemas.NormalizeDN(entry.DN)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			b.byDN[dn], b.byName[key] = u.ID, u.ID
			if ui.Cleartext != "" {
				b.cleartext[len(b.users)] = ui.Cleartext
			}
			if ui.Photo != nil {
				b.photos[u.ID] = ui.Photo
			}
			for _, w := range ui.Warnings {
				b.warnings = append(b.warnings, where+": "+w)
			}
			b.users = append(b.users, u)
		case schemas.GroupEntry:
			gi, err := schemas.GroupFromEntry(entry)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			key := strings.ToLower(gi.Group.DisplayName)
			if line, dup := b.lines["g:"+key]; dup {
				return nil, fmt.Errorf("%s: group %q already appears at line %d", where, gi.Group.DisplayName, line)
			}
			b.lines["g:"+key] = entry.Line
			for _, w := range gi.Warnings {
				b.warnings = append(b.warnings, where+": "+w)
			}
			b.refs = append(b.refs, gi)
		default:
			b.skipped[structuralClass(entry)]++
		}
	}
	return b, nil
}

// structuralClass names an entry's most specific object class for the
// skipped-entries summary.
func structuralClass(e *ldif.Entry) string {
	classes := e.Strings("objectClass")
	for _, c := range classes {
		if !strings.EqualFold(c, "top") {
			return c
		}
	}
	return "entry without objectClass"
}

// resolve turns group references into user IDs (imported or existing) and
// checks that no user or group exists already.
func (b *importBatch) resolve(e *cmdEnv, st store.Store) error {
	ctx := e.ctx
	for _, u := range b.users {
		if _, err := st.GetUserByName(ctx, u.UserName); err == nil {
			return fmt.Errorf("line %d: user %q already exists in the database", b.lines["u:"+strings.ToLower(u.UserName)], u.UserName)
		}
	}
	unresolved := 0
	var examples []string
	lookup := func(dn string) (string, bool) {
		norm, err := schemas.NormalizeDN(dn)
		if err != nil {
			return "", false
		}
		if id, ok := b.byDN[norm]; ok {
			return id, true
		}
		// An existing user, named by the uid of the DN's first RDN.
		if parsed, err := ldap.ParseDN(dn); err == nil && len(parsed.RDNs) > 0 {
			for _, a := range parsed.RDNs[0].Attributes {
				if strings.EqualFold(a.Type, "uid") {
					if u, err := st.GetUserByName(ctx, a.Value); err == nil {
						return u.ID, true
					}
				}
			}
		}
		return "", false
	}
	for _, gi := range b.refs {
		g := gi.Group
		if _, err := st.GetGroupByName(ctx, g.DisplayName); err == nil {
			return fmt.Errorf("line %d: group %q already exists in the database (rename it in the file, or delete the existing group first)", b.lines["g:"+strings.ToLower(g.DisplayName)], g.DisplayName)
		}
		add := func(list *[]store.Ref, id string, ok bool, what string) {
			if !ok {
				unresolved++
				if len(examples) < 5 {
					examples = append(examples, fmt.Sprintf("%q in group %q", what, g.DisplayName))
				}
				return
			}
			*list = append(*list, store.Ref{ID: id})
		}
		for _, dn := range gi.MemberDNs {
			id, ok := lookup(dn)
			add(&g.Members, id, ok, dn)
		}
		for _, name := range gi.MemberUIDs {
			id, ok := b.byName[strings.ToLower(name)]
			if !ok {
				if u, err := st.GetUserByName(ctx, name); err == nil {
					id, ok = u.ID, true
				}
			}
			add(&g.Members, id, ok, name)
		}
		for _, dn := range gi.OwnerDNs {
			id, ok := lookup(dn)
			add(&g.Owners, id, ok, dn)
		}
		g.Normalize()
		if err := g.Validate(); err != nil {
			return fmt.Errorf("line %d: %w", b.lines["g:"+strings.ToLower(g.DisplayName)], err)
		}
		b.groups = append(b.groups, g)
	}
	if unresolved > 0 {
		b.warnings = append(b.warnings, fmt.Sprintf("%d member or owner values name no imported or existing user and were left out, for example: %s",
			unresolved, strings.Join(examples, "; ")))
	}
	return nil
}

// explain adds the LDIF line to a store error that names a user or group.
func (b *importBatch) explain(err error) error {
	msg := err.Error()
	for key, line := range b.lines {
		name := key[2:]
		if strings.Contains(strings.ToLower(msg), fmt.Sprintf("%q", name)) {
			return fmt.Errorf("line %d: %w", line, err)
		}
	}
	return err
}

func (b *importBatch) skippedText() string {
	if len(b.skipped) == 0 {
		return ""
	}
	var parts []string
	total := 0
	for _, c := range slices.Sorted(maps.Keys(b.skipped)) {
		parts = append(parts, fmt.Sprintf("%s %d", c, b.skipped[c]))
		total += b.skipped[c]
	}
	return fmt.Sprintf("; skipped %d other entries (%s)", total, strings.Join(parts, ", "))
}

func runExport(e *cmdEnv) error {
	fs := e.flags()
	nis := fs.Bool("nis", false, "write groups as plain groupOfNames for a stock OpenLDAP nis schema")
	noPasswords := fs.Bool("no-passwords", false, "leave the password hashes out")
	noPPolicy := fs.Bool("no-ppolicy", false, "leave out pwdEndTime and pwdChangedTime (OpenLDAP's ppolicy attributes)")
	pos, err := e.parse(fs, 0, 1)
	if err != nil {
		return err
	}
	st, done, err := e.dataStore(remoteFiles{outputArg: true})
	if done || err != nil {
		return err
	}
	cfg, _ := e.config()
	out := e.stdout
	if len(pos) == 1 && pos[0] != "-" {
		af, err := createAtomic(pos[0])
		if err != nil {
			return err
		}
		defer af.abort()
		if err := exportLDIF(e, st, af, cfg.LDAPServer.RootDN, exportOptions(cfg, *nis, *noPasswords, *noPPolicy)); err != nil {
			return err
		}
		return af.commit()
	}
	return exportLDIF(e, st, out, cfg.LDAPServer.RootDN, exportOptions(cfg, *nis, *noPasswords, *noPPolicy))
}

func exportOptions(cfg *Config, nis, noPasswords, noPPolicy bool) schemas.Options {
	users, groups := schemas.Bases(cfg.LDAPServer.RootDN)
	return schemas.Options{UsersBase: users, GroupsBase: groups, WithPassword: !noPasswords,
		NIS: nis, Operational: true, PasswordPolicy: !noPPolicy}
}

func exportLDIF(e *cmdEnv, st store.Store, out io.Writer, rootDN string, opts schemas.Options) error {
	ctx := e.ctx
	bw := bufio.NewWriterSize(out, 1<<20)
	w := ldif.NewWriter(bw)
	base, err := schemas.BaseEntries(rootDN)
	if err != nil {
		return err
	}
	w.WriteComment(fmt.Sprintf("canaille export of %s, %s", rootDN, time.Now().UTC().Format(time.RFC3339)))
	if err := w.WriteVersion(); err != nil {
		return err
	}
	for _, entry := range base {
		if err := w.Write(entry); err != nil {
			return err
		}
	}
	users, groups := 0, 0
	after := ""
	for {
		page, err := st.ListUsers(ctx, store.UserQuery{After: after, Limit: 1000})
		if err != nil {
			return err
		}
		for i := range page {
			u := &page[i]
			var photo []byte
			if u.HasPhoto {
				if photo, err = st.UserPhoto(ctx, u.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
			if err := w.Write(schemas.UserToEntry(u, photo, opts)); err != nil {
				return fmt.Errorf("user %q: %w", u.UserName, err)
			}
			users++
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].UserName
	}
	all, err := st.ListGroups(ctx, store.GroupQuery{})
	if err != nil {
		return err
	}
	for i := range all {
		if err := w.Write(schemas.GroupToEntry(&all[i], opts)); err != nil {
			return fmt.Errorf("group %q: %w", all[i].DisplayName, err)
		}
		groups++
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "exported %d users and %d groups\n", users, groups)
	return nil
}
