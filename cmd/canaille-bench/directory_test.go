package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"os/exec"
	"strings"
	"testing"
)

// Hashes printed by `slappasswd -h {SSHA} -s PASSWORD` (OpenLDAP 2.5), with
// slappasswd's random 4-byte salts: our check must accept them, and
// re-hashing with their salt must give them back byte for byte.
var slappasswdVectors = []struct{ password, hash string }{
	{"password-000000", "{SSHA}xkzB+DcJ1p5Y35z1W34zXz/bOFHufkDr"},
	{"secret", "{SSHA}1pPV5vJu3HaTw/5hcF4eu7KobscxQF75"},
	{"pässwörd", "{SSHA}quGSz4sgr6oBFRewQFUj+ITVaeogeoe4"},
}

func TestSaltedHashMatchesSlappasswd(t *testing.T) {
	for _, v := range slappasswdVectors {
		if !checkSaltedHash(v.hash, v.password) {
			t.Errorf("slappasswd's hash of %q not accepted", v.password)
		}
		if checkSaltedHash(v.hash, v.password+"x") {
			t.Errorf("hash of %q accepts a wrong password", v.password)
		}
		raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(v.hash, "{SSHA}"))
		got, err := saltedHash("ssha", v.password, raw[sha1.Size:])
		if err != nil || got != v.hash {
			t.Errorf("saltedHash(%q, slappasswd's salt) = %q, %v; want %q", v.password, got, err, v.hash)
		}
	}
}

// TestSaltedHashByHand recomputes one {SSHA} from its definition:
// base64(sha1(password + salt) + salt).
func TestSaltedHashByHand(t *testing.T) {
	salt := []byte{0xde, 0xad, 0xbe, 0xef}
	sum := sha1.Sum([]byte("password-000042\xde\xad\xbe\xef"))
	want := "{SSHA}" + base64.StdEncoding.EncodeToString(append(sum[:], salt...))
	if got, _ := saltedHash("ssha", "password-000042", salt); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	for _, scheme := range []string{"ssha256", "ssha512"} {
		h, err := saltedHash(scheme, "pw", salt)
		if err != nil || !checkSaltedHash(h, "pw") || checkSaltedHash(h, "pw2") {
			t.Errorf("%s: %q %v does not round-trip", scheme, h, err)
		}
	}
	if h, _ := saltedHash("plain", "pw", salt); h != "pw" {
		t.Errorf("plain: got %q", h)
	}
	if _, err := saltedHash("md5", "pw", salt); err == nil {
		t.Error("unknown scheme accepted")
	}
}

// TestSlappasswdAgrees asks the installed slappasswd, when there is one, for
// fresh hashes of the benchmark passwords.
func TestSlappasswdAgrees(t *testing.T) {
	if _, err := exec.LookPath("slappasswd"); err != nil {
		t.Skip("slappasswd not installed (apt-get install slapd)")
	}
	for _, i := range []int{0, 1, 9999} {
		out, err := exec.Command("slappasswd", "-h", "{SSHA}", "-s", userPassword(i)).Output()
		if err != nil {
			t.Fatal(err)
		}
		if h := strings.TrimSpace(string(out)); !checkSaltedHash(h, userPassword(i)) {
			t.Errorf("slappasswd's %q for %q not accepted", h, userPassword(i))
		}
	}
}

// parseLDIF splits LDIF into records of attribute -> values (dn included).
func parseLDIF(t *testing.T, text string) []map[string][]string {
	var records []map[string][]string
	for _, block := range strings.Split(strings.TrimSpace(text), "\n\n") {
		rec := map[string][]string{}
		for _, line := range strings.Split(block, "\n") {
			name, value, ok := strings.Cut(line, ": ")
			if !ok {
				t.Fatalf("bad LDIF line %q", line)
			}
			rec[name] = append(rec[name], value)
		}
		records = append(records, rec)
	}
	return records
}

func TestLDIF(t *testing.T) {
	d := &directory{base: "dc=example,dc=org", users: 25, groups: 30, scheme: "ssha"}
	if err := d.check(); err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := writeLDIF(&a, d); err != nil {
		t.Fatal(err)
	}
	_ = writeLDIF(&b, d)
	if a.String() != b.String() {
		t.Fatal("LDIF differs between two runs")
	}
	recs := parseLDIF(t, a.String())
	// base, two OUs, 25 users, 25 groups (5 would be empty).
	if len(recs) != 3+25+25 {
		t.Fatalf("%d records", len(recs))
	}
	if recs[0]["dn"][0] != "dc=example,dc=org" || recs[1]["dn"][0] != "ou=users,dc=example,dc=org" {
		t.Fatalf("head: %v %v", recs[0], recs[1])
	}
	seen := map[string]bool{}
	for i, rec := range recs[3 : 3+25] {
		if rec["dn"][0] != userDN(d.base, i) || rec["uid"][0] != userName(i) {
			t.Fatalf("user %d: %v", i, rec)
		}
		pw := rec["userPassword"][0]
		if !strings.HasPrefix(pw, "{SSHA}") || len(pw) != 6+32 || !checkSaltedHash(pw, userPassword(i)) {
			t.Errorf("user %d: userPassword %q does not verify", i, pw)
		}
		if seen[pw] {
			t.Errorf("user %d: hash %q repeated", i, pw)
		}
		seen[pw] = true
		for _, name := range []string{"cn", "sn", "givenName", "mail", "uidNumber", "gidNumber", "homeDirectory", "loginShell"} {
			if len(rec[name]) != 1 {
				t.Errorf("user %d: %s = %v", i, name, rec[name])
			}
		}
		if !strings.Contains(rec["cn"][0], "Family0000") || rec["mail"][0] != userName(i)+"@example.org" {
			t.Errorf("user %d: cn %v mail %v", i, rec["cn"], rec["mail"])
		}
	}
	g := recs[3+25]
	if g["dn"][0] != "cn=group000,ou=groups,dc=example,dc=org" || len(g["member"]) != 1 {
		t.Errorf("group 0: %v", g)
	}
}

func TestGroupsAreBounded(t *testing.T) {
	d := &directory{base: "dc=example,dc=org", users: 10_000, groups: 3, scheme: "plain"}
	e, ok := d.groupEntry(2)
	if !ok || len(e.attrs[3].values) != maxGroupMembers || e.attrs[3].values[1] != userDN(d.base, 5) {
		t.Fatalf("group 2: %v", e.attrs[3].values[:2])
	}
}

func TestDirectoryCheck(t *testing.T) {
	for _, d := range []directory{
		{base: "dc=example,dc=org", users: 0, scheme: "ssha"},
		{base: "dc=example,dc=org", users: 1_000_000, scheme: "ssha"},
		{base: "dc=example,dc=org", users: 5, scheme: "md5"},
		{base: "not a dn", users: 5, scheme: "ssha"},
		{base: "cn=x,dc=org", users: 5, scheme: "ssha"},
	} {
		if err := d.check(); err == nil {
			t.Errorf("%+v accepted", d)
		}
	}
	for base, want := range map[string]string{"o=Acme": "organization", "ou=people,o=Acme": "organizationalUnit", "dc=a,dc=b": "dcObject"} {
		e, err := baseEntry(base)
		if err != nil || !strings.Contains(strings.Join(e.attrs[0].values, " "), want) {
			t.Errorf("baseEntry(%q) = %v, %v", base, e, err)
		}
	}
	if got := mailDomain("ou=x,dc=corp,dc=example,dc=net"); got != "corp.example.net" {
		t.Errorf("mailDomain: %q", got)
	}
	if _, err := appendLDIF(nil, entry{dn: "o=Société"}); err == nil {
		t.Error("non-ASCII value written without base64")
	}
}
