package ldif

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// slapcatLike returns n user entries (plus the suffix and two ou entries)
// shaped like slapcat output: inetOrgPerson+posixAccount users with a
// base64 {SSHA} userPassword, operational attributes, some folded
// descriptions, lines folded at 78 columns as slapcat does.
func slapcatLike(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	line := func(name, value string, b64 bool) {
		s := name + ": " + value
		if b64 {
			s = name + ":: " + base64.StdEncoding.EncodeToString([]byte(value))
		}
		for width := 78; len(s) > width; width = 77 {
			b.WriteString(s[:width])
			b.WriteString("\n ")
			s = s[width:]
		}
		b.WriteString(s)
		b.WriteByte('\n')
	}
	operational := func(i int, class string) {
		ts := fmt.Sprintf("2024%02d%02d%02d%02d%02dZ", 1+i%12, 1+i%28, i%24, i%60, (i/60)%60)
		line("structuralObjectClass", class, false)
		line("entryUUID", fmt.Sprintf("%08x-%04x-1041-%04x-%012x", rng.Uint32(), i%0xffff, rng.Uint32()&0xffff, rng.Uint64()&(1<<48-1)), false)
		line("creatorsName", "cn=admin,dc=example,dc=org", false)
		line("createTimestamp", ts, false)
		line("entryCSN", ts[:14]+".123456Z#000000#000#000000", false)
		line("modifiersName", "cn=admin,dc=example,dc=org", false)
		line("modifyTimestamp", ts, false)
		b.WriteByte('\n')
	}
	line("dn", "dc=example,dc=org", false)
	line("objectClass", "dcObject", false)
	line("objectClass", "organization", false)
	line("dc", "example", false)
	line("o", "Example", false)
	operational(0, "organization")
	for _, ou := range []string{"users", "groups"} {
		line("dn", "ou="+ou+",dc=example,dc=org", false)
		line("objectClass", "organizationalUnit", false)
		line("ou", ou, false)
		operational(0, "organizationalUnit")
	}
	salt := make([]byte, 24)
	for i := 0; i < n; i++ {
		uid := fmt.Sprintf("user%06d", i)
		line("dn", "uid="+uid+",ou=users,dc=example,dc=org", false)
		line("objectClass", "inetOrgPerson", false)
		line("objectClass", "posixAccount", false)
		line("uid", uid, false)
		if i%7 == 0 {
			line("cn", fmt.Sprintf("Élodie Müller %d", i), true)
		} else {
			line("cn", fmt.Sprintf("User Number %d", i), false)
		}
		line("sn", fmt.Sprintf("Number %d", i), false)
		line("givenName", "User", false)
		line("mail", uid+"@example.org", false)
		line("telephoneNumber", fmt.Sprintf("+33 1 23 45 %02d %02d", i%100, (i/100)%100), false)
		line("uidNumber", fmt.Sprint(10000+i), false)
		line("gidNumber", "10000", false)
		line("homeDirectory", "/home/"+uid, false)
		line("loginShell", "/bin/bash", false)
		for j := range salt {
			salt[j] = byte(rng.Uint32())
		}
		line("userPassword", "{SSHA}"+base64.StdEncoding.EncodeToString(salt), true)
		if i%10 == 0 {
			line("description", "A longer description of this user, long enough that slapcat folds it over two or three lines of output.", false)
		}
		operational(i, "inetOrgPerson")
	}
	return b.Bytes()
}

func TestSlapcatLikeGenerator(t *testing.T) {
	entries := mustReadAll(t, string(slapcatLike(50)))
	if len(entries) != 53 {
		t.Fatalf("got %d entries", len(entries))
	}
	e := entries[3]
	if e.First("cn") != "Élodie Müller 0" || len(e.Attributes) != 20 || !bytes.HasPrefix(e.Get("userPassword")[0], []byte("{SSHA}")) {
		t.Errorf("unexpected entry:%s", dump([]*Entry{e}))
	}
}

// BenchmarkReader reads a generated 10,000-user slapcat-like file.
func BenchmarkReader(b *testing.B) {
	const users = 10000
	data := slapcatLike(users)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(data))
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != users+3 {
			b.Fatalf("read %d entries", n)
		}
	}
}

// BenchmarkWriter writes the entries of the same file.
func BenchmarkWriter(b *testing.B) {
	data := slapcatLike(10000)
	var entries []*Entry
	r := NewReader(bytes.NewReader(data))
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		entries = append(entries, e)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		w := NewWriter(io.Discard)
		for _, e := range entries {
			if err := w.Write(e); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}
