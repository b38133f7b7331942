package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeBenchLDIF writes users inetOrgPerson+posixAccount entries with
// {SSHA} hashes, as slapcat writes them, and groups of ~30 members each.
func writeBenchLDIF(t testing.TB, path string, users, groups int) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprint(w, "dn: dc=example,dc=org\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n")
	for i := range users {
		fmt.Fprintf(w, `dn: uid=user%06[1]d,ou=users,dc=example,dc=org
objectClass: top
objectClass: person
objectClass: organizationalPerson
objectClass: inetOrgPerson
objectClass: posixAccount
uid: user%06[1]d
cn: Given Family%[1]d
sn: Family%[1]d
givenName: Given
mail: user%06[1]d@example.org
telephoneNumber: +33 1 23 45 67 89
uidNumber: %[2]d
gidNumber: %[2]d
homeDirectory: /home/user%06[1]d
loginShell: /bin/bash
userPassword: {SSHA}6PhtXSXoZJiFWBlvQg2+SklZ1zHF7dVm
entryUUID: %08[1]x-0000-4000-8000-000000000000
createTimestamp: 20261128120000Z
modifyTimestamp: 20261128120000Z

`, i, 100000+i)
	}
	for g := range groups {
		fmt.Fprintf(w, "dn: cn=group%05d,ou=groups,dc=example,dc=org\nobjectClass: top\nobjectClass: groupOfNames\ncn: group%05d\n", g, g)
		for m := g; m < users; m += groups {
			fmt.Fprintf(w, "member: uid=user%06d,ou=users,dc=example,dc=org\n", m)
			if m/groups >= 30 {
				break
			}
		}
		fmt.Fprint(w, "\n")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// BenchmarkImport100k runs `canaille import` of a 100,000-user,
// 10,000-group LDIF into a fresh database, and reports the LDIF and
// database sizes:
//
//	go test -run '^$' -bench Import100k -benchtime 1x ./cmd/canaille/
func BenchmarkImport100k(b *testing.B) {
	ldif := filepath.Join(b.TempDir(), "bench.ldif")
	writeBenchLDIF(b, ldif, 100_000, 10_000)
	st, _ := os.Stat(ldif)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		te := newTestEnv(b)
		te.ok("", "install")
		te.ok("", "delete", "group", "admins")
		b.StartTimer()
		start := time.Now()
		out := te.ok("", "import", ldif)
		elapsed := time.Since(start)
		b.StopTimer()
		if !strings.Contains(out, "imported 100000 users and 10000 groups") {
			b.Fatalf("import: %s", out)
		}
		db, _ := os.Stat(filepath.Join(te.dir, "data", "c.db"))
		b.ReportMetric(elapsed.Seconds(), "s/import")
		b.ReportMetric(float64(st.Size())/(1<<20), "MiB-ldif")
		b.ReportMetric(float64(db.Size())/(1<<20), "MiB-db")
	}
}
