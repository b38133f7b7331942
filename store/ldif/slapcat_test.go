package ldif

import (
	"bytes"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// The sample is real slapcat output; testdata/make-slapcat-sample.sh holds
// the commands that produced it and testdata/README.md explains how to run
// them again.
const slapcatSample = "testdata/slapcat-sample.ldif"

func readSample(t *testing.T) (string, []*Entry) {
	t.Helper()
	data, err := os.ReadFile(slapcatSample)
	if err != nil {
		t.Fatal(err)
	}
	return string(data), mustReadAll(t, string(data))
}

func TestSlapcatSample(t *testing.T) {
	data, entries := readSample(t)
	byDN := map[string]*Entry{}
	var dns []string
	for _, e := range entries {
		byDN[e.DN] = e
		dns = append(dns, e.DN)
	}
	wantDNs := []string{
		"dc=example,dc=org",
		"ou=users,dc=example,dc=org",
		"ou=groups,dc=example,dc=org",
		"uid=alice,ou=users,dc=example,dc=org",
		"uid=bob,ou=users,dc=example,dc=org",
		"uid=elodie,ou=users,dc=example,dc=org",
		"cn=admins,ou=groups,dc=example,dc=org",
		"cn=staff,ou=groups,dc=example,dc=org",
		"cn=Équipe,ou=groups,dc=example,dc=org", // written as dn:: by slapcat
	}
	if !reflect.DeepEqual(dns, wantDNs) {
		t.Fatalf("DNs:\n%q\nwant\n%q", dns, wantDNs)
	}

	lines := strings.Split(data, "\n")
	for _, e := range entries {
		if !strings.HasPrefix(lines[e.Line-1], "dn:") {
			t.Errorf("%s: Line %d is %q", e.DN, e.Line, lines[e.Line-1])
		}
	}

	t.Run("OperationalAttributes", func(t *testing.T) {
		uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
		generalized := regexp.MustCompile(`^[0-9]{14}Z$`)
		for _, e := range entries {
			if !uuid.MatchString(e.First("entryUUID")) {
				t.Errorf("%s: entryUUID %q", e.DN, e.First("entryUUID"))
			}
			for _, a := range []string{"createTimestamp", "modifyTimestamp"} {
				if !generalized.MatchString(e.First(a)) {
					t.Errorf("%s: %s %q", e.DN, a, e.First(a))
				}
			}
			for _, a := range []string{"structuralObjectClass", "entryCSN", "creatorsName", "modifiersName"} {
				if !e.Has(a) {
					t.Errorf("%s: no %s", e.DN, a)
				}
			}
		}
	})

	t.Run("FoldedPlainDescription", func(t *testing.T) {
		want := "Alice looks after the OIDC clients and the web interface. This plain ASCII description is long enough for slapcat to fold it."
		if !strings.Contains(data, "\n ain ASCII") {
			t.Fatal("the sample no longer has the folded description")
		}
		if got := byDN["uid=alice,ou=users,dc=example,dc=org"].First("description"); got != want {
			t.Errorf("description = %q", got)
		}
	})

	t.Run("NonASCIIAndBinary", func(t *testing.T) {
		e := byDN["uid=elodie,ou=users,dc=example,dc=org"]
		if got := e.First("cn"); got != "Élodie Müller" {
			t.Errorf("cn = %q", got)
		}
		if got := e.First("displayName;lang-fr"); got != "Élodie Müller" || e.Has("displayName") {
			t.Errorf("displayName;lang-fr = %q", got)
		}
		photo := "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\r\n\x80\x81\xfe\xff test image " +
			"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\xff\xd9"
		if got := e.Get("jpegPhoto"); len(got) != 1 || string(got[0]) != photo {
			t.Errorf("jpegPhoto = %q", got)
		}
		desc := "Élodie joined the infrastructure team in 2019 and looks after the directory, the mail relays and " +
			"the backups; this description is long enough that slapcat has to fold it over several lines."
		if got := e.First("description"); got != desc {
			t.Errorf("description = %q", got)
		}
		if got := byDN["cn=Équipe,ou=groups,dc=example,dc=org"].First("cn"); got != "Équipe" {
			t.Errorf("Équipe cn = %q", got)
		}
	})

	t.Run("UsersAndGroups", func(t *testing.T) {
		alice := byDN["uid=alice,ou=users,dc=example,dc=org"]
		if got := alice.Strings("objectclass"); !reflect.DeepEqual(got, []string{"inetOrgPerson", "posixAccount"}) {
			t.Errorf("alice objectClass = %q", got)
		}
		if alice.First("uidNumber") != "10001" || alice.First("loginShell") != "/bin/bash" {
			t.Errorf("alice posixAccount attributes: %s", dump([]*Entry{alice}))
		}
		if !strings.HasPrefix(alice.First("userPassword"), "{SSHA}") {
			t.Errorf("alice userPassword does not look like {SSHA}")
		}
		bob := byDN["uid=bob,ou=users,dc=example,dc=org"]
		if !strings.HasPrefix(bob.First("userPassword"), "{CRYPT}$6$") {
			t.Errorf("bob userPassword (folded base64) does not look like {CRYPT}$6$")
		}
		if got := bob.Strings("mail"); !reflect.DeepEqual(got, []string{"bob@example.org", "bob.marley@example.org"}) {
			t.Errorf("bob mail = %q", got)
		}
		admins := byDN["cn=admins,ou=groups,dc=example,dc=org"]
		wantMembers := []string{"uid=alice,ou=users,dc=example,dc=org", "uid=elodie,ou=users,dc=example,dc=org"}
		if got := admins.Strings("member"); !reflect.DeepEqual(got, wantMembers) {
			t.Errorf("admins member = %q", got)
		}
		staff := byDN["cn=staff,ou=groups,dc=example,dc=org"]
		if got := staff.Strings("memberUid"); !reflect.DeepEqual(got, []string{"alice", "bob", "elodie"}) {
			t.Errorf("staff memberUid = %q", got)
		}
	})

	t.Run("RoundTrip", func(t *testing.T) {
		out := writeAll(t, entries...)
		if back := mustReadAll(t, out); !sameEntries(back, entries, false) {
			t.Errorf("round trip changed the entries:%s", dump(back))
		}
		// slapcat folds at 78 columns where we fold at 76, and always
		// base64-encodes userPassword where we do so only when needed;
		// otherwise the output is the same.
		normalize := func(s string) string {
			s = strings.ReplaceAll(s, "\n ", "")
			return regexp.MustCompile(`(?m)^userPassword:.*$`).ReplaceAllString(s, "userPassword: ...")
		}
		if normalize(out) != normalize(data) {
			t.Errorf("output differs from the slapcat output beyond folding and userPassword encoding")
		}
	})

	t.Run("CRLF", func(t *testing.T) {
		crlf := strings.ReplaceAll(data, "\n", "\r\n")
		if back := mustReadAll(t, crlf); !sameEntries(back, entries, true) {
			t.Errorf("CRLF input read differently")
		}
	})

	t.Run("ByteAtATime", func(t *testing.T) {
		r := NewReader(&oneByteReader{r: bytes.NewReader([]byte(data))})
		back, err := readAll(t, r)
		if err != nil || !sameEntries(back, entries, true) {
			t.Errorf("one-byte reads: %v", err)
		}
	})
}

// oneByteReader returns at most one byte per Read, to exercise buffering.
type oneByteReader struct{ r *bytes.Reader }

func (o *oneByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}
