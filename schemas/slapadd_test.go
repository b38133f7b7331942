package schemas

// These tests load exports into a real OpenLDAP database with slapadd, the
// tool an administrator would use, and read them back with slapcat. They
// work offline on a database directory in a temporary directory: no slapd
// daemon is started. They are skipped when slapd's tools are not installed
// (Debian: apt-get install slapd).

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/ldif"
)

const (
	slapaddPath = "/usr/sbin/slapadd"
	slapcatPath = "/usr/sbin/slapcat"
	schemaDir   = "/etc/ldap/schema"
	moduleDir   = "/usr/lib/ldap"
)

// openLDAP is a throwaway slapd configuration and database.
type openLDAP struct {
	dir, conf string
}

// newOpenLDAP writes a slapd.conf with the core, cosine, inetorgperson and
// nis schemas (stock OpenLDAP, nis schema as Debian ships it) and, with
// ppolicy, the ppolicy overlay, whose module defines the pwd* attributes
// since OpenLDAP 2.5.
func newOpenLDAP(t *testing.T, ppolicy bool) *openLDAP {
	t.Helper()
	for _, p := range []string{slapaddPath, slapcatPath, schemaDir + "/nis.schema", moduleDir} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("OpenLDAP's tools are not installed (%s is missing); "+
				"install them with: apt-get install slapd", p)
		}
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	if err := os.Mkdir(db, 0o700); err != nil {
		t.Fatal(err)
	}
	var conf strings.Builder
	for _, s := range []string{"core", "cosine", "inetorgperson", "nis"} {
		fmt.Fprintf(&conf, "include %s/%s.schema\n", schemaDir, s)
	}
	fmt.Fprintf(&conf, "modulepath %s\nmoduleload back_mdb\n", moduleDir)
	if ppolicy {
		conf.WriteString("moduleload ppolicy\n")
	}
	fmt.Fprintf(&conf, "database mdb\nsuffix %q\nrootdn %q\ndirectory %s\n", testRoot, "cn=admin,"+testRoot, db)
	if ppolicy {
		conf.WriteString("overlay ppolicy\n")
	}
	o := &openLDAP{dir: dir, conf: filepath.Join(dir, "slapd.conf")}
	if err := os.WriteFile(o.conf, []byte(conf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return o
}

// slapadd loads entries; it returns slapadd's combined output and error.
func (o *openLDAP) slapadd(t *testing.T, entries []*ldif.Entry) (string, error) {
	t.Helper()
	in := filepath.Join(o.dir, "input.ldif")
	if err := os.WriteFile(in, writeLDIF(t, entries...), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, slapaddPath, "-v", "-f", o.conf, "-l", in).CombinedOutput()
	return string(out), err
}

// slapcat dumps the database.
func (o *openLDAP) slapcat(t *testing.T) []*ldif.Entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, slapcatPath, "-f", o.conf).Output()
	if err != nil {
		t.Fatalf("slapcat: %v", err)
	}
	return readLDIF(t, out)
}

// exportUsers are varied users for an export: every field, an argon2 hash
// and a store ID that is not a UUID, non-ASCII names, a user name that
// needs escaping in a DN and a user without POSIX data.
func exportUsers(t *testing.T) []store.User {
	created := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	alice := fullUser()
	return []store.User{alice,
		{ID: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", Created: created, LastModified: created,
			UserName: "bob", GivenName: "Bob", FamilyName: "O'Brien", Emails: []string{"bob@example.org"},
			UIDNumber: 10002, GIDNumber: 10000, HomeDirectory: "/home/bob", PasswordHash: argon2Hash(t, "bob-secret"),
			PasswordLastUpdate: created},
		{ID: "7d444840-9dc0-11d1-b245-5ffdce74fad2", Created: created, LastModified: created,
			UserName: "elodie", FormattedName: "Élodie Müller", FamilyName: "Müller", DisplayName: "Élodie",
			FormattedAddress: "Straße 1\n$ 2", UIDNumber: 10003, GIDNumber: 10000, HomeDirectory: "/home/elodie",
			PasswordHash: sshaHash("élodie-secret"), LockDate: time.Unix(0, 0).UTC()},
		{ID: "9e107d9d-372b-4f5b-8e2b-2b5a3e1c9f00", Created: created, LastModified: created,
			UserName: "svc+backup, daily", PasswordHash: sshaHash("svc-secret")},
	}
}

func exportGroups() []store.Group {
	created := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	return []store.Group{
		{ID: "1b4e28ba-2fa1-11d2-883f-0016d3cca427", Created: created, LastModified: created, DisplayName: "admins",
			Description: "Directory administrators", GIDNumber: 20000,
			Members: []store.Ref{{ID: "a", Name: "alice"}, {ID: "e", Name: "elodie"}, {ID: "s", Name: "svc+backup, daily"}},
			Owners:  []store.Ref{{ID: "a", Name: "alice"}}},
		{ID: "GROUPIDNOTAUUID", Created: created, LastModified: created, DisplayName: "Équipe, R&D",
			Members: []store.Ref{{ID: "b", Name: "bob"}}},
		{ID: "2c5ea4c0-4067-11e9-8bad-9b1deb4d3b7d", Created: created, LastModified: created, DisplayName: "empty", GIDNumber: 20001},
	}
}

func exportEntries(t *testing.T, o Options) []*ldif.Entry {
	entries, err := BaseEntries(testRoot)
	if err != nil {
		t.Fatal(err)
	}
	users := exportUsers(t)
	for i := range users {
		var photo []byte
		if users[i].HasPhoto {
			photo = photoBytes
		}
		entries = append(entries, UserToEntry(&users[i], photo, o))
	}
	groups := exportGroups()
	for i := range groups {
		entries = append(entries, GroupToEntry(&groups[i], o))
	}
	return entries
}

// TestSlapaddExport loads an export in NIS form into stock OpenLDAP, reads
// it back with slapcat and checks that importing slapcat's output gives
// what importing the export itself gives.
func TestSlapaddExport(t *testing.T) {
	for _, ppolicy := range []bool{false, true} {
		t.Run(fmt.Sprintf("ppolicy=%v", ppolicy), func(t *testing.T) {
			ol := newOpenLDAP(t, ppolicy)
			o := Options{UsersBase: testUsers, GroupsBase: testGroups, WithPassword: true, NIS: true,
				Operational: true, PasswordPolicy: ppolicy}
			entries := exportEntries(t, o)
			if out, err := ol.slapadd(t, entries); err != nil {
				t.Fatalf("slapadd rejected the export: %v\n%s\nLDIF:\n%s", err, out, writeLDIF(t, entries...))
			}
			got := ol.slapcat(t)
			if len(got) != len(entries) {
				t.Fatalf("slapcat gave %d entries, want %d", len(got), len(entries))
			}
			for i, e := range entries {
				compareImports(t, e, got[i])
			}
		})
	}
}

// compareImports checks that want (as exported) and got (as slapcat
// returned it) import the same way.
func compareImports(t *testing.T, want, got *ldif.Entry) {
	t.Helper()
	if mustNormalize(t, want.DN) != mustNormalize(t, got.DN) {
		t.Errorf("slapcat DN %q, want %q", got.DN, want.DN)
		return
	}
	if Classify(want) != Classify(got) {
		t.Errorf("%s: kind %v after slapcat, want %v", want.DN, Classify(got), Classify(want))
	}
	switch Classify(want) {
	case UserEntry:
		w, err1 := UserFromEntry(want)
		g, err2 := UserFromEntry(got)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v / %v", want.DN, err1, err2)
		}
		if !reflect.DeepEqual(w, g) {
			t.Errorf("%s: import after slapcat differs:\n got %+v\nwant %+v", want.DN, g, w)
		}
		if g.User.ID == "" {
			t.Errorf("%s: no entryUUID", want.DN)
		}
	case GroupEntry:
		w, err1 := GroupFromEntry(want)
		g, err2 := GroupFromEntry(got)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v / %v", want.DN, err1, err2)
		}
		for _, imp := range []*GroupImport{&w, &g} {
			for i, dn := range imp.MemberDNs {
				imp.MemberDNs[i] = mustNormalize(t, dn)
			}
			for i, dn := range imp.OwnerDNs {
				imp.OwnerDNs[i] = mustNormalize(t, dn)
			}
		}
		if !reflect.DeepEqual(w, g) {
			t.Errorf("%s: import after slapcat differs:\n got %+v\nwant %+v", want.DN, g, w)
		}
	}
}

// TestSlapaddRejects records what stock OpenLDAP refuses, and so why
// Options has NIS and PasswordPolicy.
func TestSlapaddRejects(t *testing.T) {
	t.Run("RFC2307bisGroups", func(t *testing.T) {
		ol := newOpenLDAP(t, false)
		entries := exportEntries(t, Options{UsersBase: testUsers, GroupsBase: testGroups, Operational: true})
		out, err := ol.slapadd(t, entries)
		if err == nil {
			t.Fatalf("stock nis schema accepted groupOfNames+posixGroup (an rfc2307bis schema?); output:\n%s", out)
		}
		if !strings.Contains(out, "invalid structural object class chain (groupOfNames/posixGroup)") {
			t.Errorf("unexpected slapadd error %v:\n%s", err, out)
		}
		t.Logf("slapadd, as expected: %s", strings.TrimSpace(out))
	})
	t.Run("PasswordPolicyWithoutOverlay", func(t *testing.T) {
		ol := newOpenLDAP(t, false)
		entries := exportEntries(t, Options{UsersBase: testUsers, GroupsBase: testGroups, NIS: true, PasswordPolicy: true})
		out, err := ol.slapadd(t, entries)
		if err == nil {
			t.Fatalf("slapadd accepted pwd* attributes without the ppolicy overlay; output:\n%s", out)
		}
		if !strings.Contains(out, "attribute type undefined") {
			t.Errorf("unexpected slapadd error %v:\n%s", err, out)
		}
		t.Logf("slapadd, as expected: %s", strings.TrimSpace(out))
	})
}
