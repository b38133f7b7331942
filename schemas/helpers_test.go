package schemas

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/ldif"
	"github.com/canaille-go/canaille/store/password"
)

const (
	testRoot   = "dc=example,dc=org"
	testUsers  = "ou=users,dc=example,dc=org"
	testGroups = "ou=groups,dc=example,dc=org"
)

// sshaHash returns an OpenLDAP {SSHA} hash of pw with a fixed salt.
func sshaHash(pw string) string {
	salt := []byte("saltsalt")
	sum := sha1.Sum(append([]byte(pw), salt...))
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(sum[:], salt...))
}

// argon2Hash returns an {ARGON2} argon2id hash of pw with cheap parameters.
func argon2Hash(t testing.TB, pw string) string {
	t.Helper()
	h := testHasher(t)
	s, err := h.Hash(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testHasher(t testing.TB) *password.Hasher {
	t.Helper()
	h, err := password.NewHasher(password.Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}, 2)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// fullUser has every field UserAttributes maps.
func fullUser() store.User {
	at := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	return store.User{
		ID:                 "3f2c1a9e-5b7d-4c1e-9a2b-6d8e0f1a2b3c",
		Created:            at("2024-01-02T03:04:05.678Z"),
		LastModified:       at("2026-11-28T20:46:55+01:00"),
		UserName:           "alice",
		FormattedName:      "Alice Liddell",
		DisplayName:        "Alice L.",
		GivenName:          "Alice",
		FamilyName:         "Liddell",
		Emails:             []string{"alice@example.org", "a.liddell@example.org"},
		PhoneNumbers:       []string{"+33 1 23 45 67 89", "555-0100"},
		FormattedAddress:   "Résidence \"Les $ Pins\"\nBâtiment C\\D\n75002 Paris",
		Street:             "12 rue de la Paix",
		PostalCode:         "75002",
		Locality:           "Paris",
		Region:             "Île-de-France",
		ProfileURL:         "https://example.org/~alice",
		Title:              "Engineer",
		Organization:       "Example Org",
		EmployeeNumber:     "E-1234",
		Department:         "R&D",
		PreferredLanguage:  "fr",
		HasPhoto:           true,
		UIDNumber:          10001,
		GIDNumber:          10000,
		HomeDirectory:      "/home/alice",
		LoginShell:         "/bin/zsh",
		Groups:             []store.Ref{{ID: "g1", Name: "admins"}, {ID: "g2", Name: "staff"}},
		PasswordHash:       sshaHash("alice-secret"),
		PasswordLastUpdate: at("2025-06-07T08:09:10Z"),
		PasswordFailureTimestamps: []time.Time{
			at("2026-11-28T10:00:00.123456Z"), at("2026-11-28T10:00:00.654321Z")},
		LockDate: at("2027-01-01T00:00:00Z"),
		// Not mapped to LDAP: lost on a round trip.
		LastOTPLogin: at("2026-01-01T00:00:00Z"),
		SecretToken:  "otp-secret",
		HOTPCounter:  7,
	}
}

// photoBytes looks like a JPEG and holds every awkward byte.
var photoBytes = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\r\n\x80\xfe \xff\xd9")

// writeLDIF writes entries as LDIF.
func writeLDIF(t testing.TB, entries ...*ldif.Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := ldif.NewWriter(&buf)
	for _, e := range entries {
		if err := w.Write(e); err != nil {
			t.Fatalf("write %s: %v", e.DN, err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readLDIF reads every entry of an LDIF text.
func readLDIF(t testing.TB, data []byte) []*ldif.Entry {
	t.Helper()
	r := ldif.NewReader(bytes.NewReader(data))
	var out []*ldif.Entry
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read LDIF: %v", err)
		}
		out = append(out, e)
	}
}

// parseEntry reads one entry written as LDIF lines (without the dn line).
func parseEntry(t testing.TB, dn string, lines ...string) *ldif.Entry {
	t.Helper()
	text := "dn: " + dn + "\n" + strings.Join(lines, "\n") + "\n"
	es := readLDIF(t, []byte(text))
	if len(es) != 1 {
		t.Fatalf("parseEntry: %d entries", len(es))
	}
	return es[0]
}

// throughLDIF writes e and reads it back.
func throughLDIF(t testing.TB, e *ldif.Entry) *ldif.Entry {
	t.Helper()
	es := readLDIF(t, writeLDIF(t, e))
	if len(es) != 1 {
		t.Fatalf("throughLDIF: %d entries", len(es))
	}
	return es[0]
}

// attrNames lists the attribute names of e in order.
func attrNames(e *ldif.Entry) []string {
	var out []string
	for _, a := range e.Attributes {
		out = append(out, a.Name)
	}
	return out
}
