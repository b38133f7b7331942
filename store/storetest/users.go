package storetest

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// RunUsers tests the user half of store.Directory and store.DirectoryWriter:
// creation, allocation of POSIX numbers, look-ups, updates, deletion,
// listings, photos and passwords.
func RunUsers(t *testing.T, s Suite) {
	s.subtests(t, append(userCreateTests(s), userWriteTests(s)...))
}

func userCreateTests(s Suite) []subtest {
	p := s.POSIX
	return []subtest{
		{"CreateUser/GeneratedID", func(t *testing.T, st store.Store) {
			before := time.Now()
			u := mustCreateUser(t, st, "alice")
			after := time.Now()
			if !uuidRE.MatchString(u.ID) {
				t.Errorf("ID = %q, want a UUID", u.ID)
			}
			wantRecent(t, "Created", u.Created, before, after)
			wantRecent(t, "LastModified", u.LastModified, before, after)
			if got := mustGetUser(t, st, u.ID); got.UserName != "alice" || !got.Created.Equal(u.Created) {
				t.Errorf("GetUser = %q created %v, want alice created %v", got.UserName, got.Created, u.Created)
			}
			other := mustCreateUser(t, st, "bob")
			if other.ID == u.ID {
				t.Errorf("two users got the same ID %q", u.ID)
			}
		}},
		{"CreateUser/ExplicitID", func(t *testing.T, st store.Store) {
			id := store.NewID()
			u := newUser("alice")
			u.ID = id
			if got := mustCreateUserWith(t, st, u); got.ID != id {
				t.Errorf("ID = %q, want %q", got.ID, id)
			}
			mustGetUser(t, st, id)
			dup := newUser("bob")
			dup.ID = id
			_, err := st.CreateUser(t.Context(), dup)
			wantErr(t, err, store.ErrExists, "CreateUser with an existing ID")
			_, err = st.GetUserByName(t.Context(), "bob")
			wantNotFound(t, err, "GetUserByName(bob) after refused creation")
		}},
		{"CreateUser/AllFields", func(t *testing.T, st store.Store) {
			u := fullUser("alice")
			got := mustCreateUserWith(t, st, u)
			for _, v := range []store.User{got, mustGetUser(t, st, got.ID)} {
				compareUser(t, v, u)
			}
		}},
		{"CreateUser/Normalized", func(t *testing.T, st store.Store) {
			u := newUser("  alice ")
			u.Emails = []string{" alice@example.org ", "", "ALICE@example.org", "a2@example.org"}
			u.PhoneNumbers = []string{" +33 1 23 45 67 89", ""}
			u.DisplayName = " Alice "
			got := mustCreateUserWith(t, st, u)
			got = mustGetUser(t, st, got.ID)
			if got.UserName != "alice" || got.DisplayName != "Alice" {
				t.Errorf("UserName, DisplayName = %q, %q, want trimmed", got.UserName, got.DisplayName)
			}
			wantNames(t, "Emails", got.Emails, []string{"alice@example.org", "a2@example.org"})
			wantNames(t, "PhoneNumbers", got.PhoneNumbers, []string{"+33 1 23 45 67 89"})
		}},
		{"CreateUser/AllocatesUIDInRange", func(t *testing.T, st store.Store) {
			n := min(rangeSize(p.UIDMin, p.UIDMax), 40)
			seen := map[uint32]string{}
			for i := range n {
				u := mustCreateUser(t, st, fmt.Sprintf("user%02d", i))
				if u.UIDNumber < p.UIDMin || u.UIDNumber > p.UIDMax {
					t.Errorf("%s: UIDNumber = %d, want in [%d, %d]", u.UserName, u.UIDNumber, p.UIDMin, p.UIDMax)
				}
				if prev, ok := seen[u.UIDNumber]; ok {
					t.Errorf("%s and %s share UIDNumber %d", prev, u.UserName, u.UIDNumber)
				}
				seen[u.UIDNumber] = u.UserName
				if got, err := st.GetUserByUIDNumber(t.Context(), u.UIDNumber); err != nil || got.ID != u.ID {
					t.Errorf("GetUserByUIDNumber(%d) = %q, %v; want %q", u.UIDNumber, got.ID, err, u.ID)
				}
			}
		}},
		{"CreateUser/ExplicitUIDKept", func(t *testing.T, st store.Store) {
			u := newUser("alice")
			u.UIDNumber = p.UIDMin
			if got := mustCreateUserWith(t, st, u); got.UIDNumber != p.UIDMin {
				t.Errorf("UIDNumber = %d, want %d", got.UIDNumber, p.UIDMin)
			}
			if rangeSize(p.UIDMin, p.UIDMax) > 1 {
				if b := mustCreateUser(t, st, "bob"); b.UIDNumber == p.UIDMin {
					t.Errorf("allocated UIDNumber %d, already held by alice", b.UIDNumber)
				}
			}
		}},
		{"CreateUser/DuplicateUIDNumber", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			b := newUser("bob")
			b.UIDNumber = a.UIDNumber
			_, err := st.CreateUser(t.Context(), b)
			wantErr(t, err, store.ErrExists, "CreateUser with alice's uid number")
			wantUserCount(t, st, 1)
		}},
		{"CreateUser/PrimaryGID", func(t *testing.T, st store.Store) {
			u := mustCreateUser(t, st, "alice")
			want := p.PrimaryGID
			if want == 0 {
				want = u.UIDNumber
			}
			if u.GIDNumber != want {
				t.Errorf("GIDNumber = %d, want %d (UIDNumber %d, PrimaryGID %d)", u.GIDNumber, want, u.UIDNumber, p.PrimaryGID)
			}
			explicit := newUser("bob")
			explicit.GIDNumber = 4242
			if got := mustCreateUserWith(t, st, explicit); got.GIDNumber != 4242 {
				t.Errorf("explicit GIDNumber = %d, want 4242", got.GIDNumber)
			}
		}},
		{"CreateUser/POSIXDefaults", func(t *testing.T, st store.Store) {
			u := mustGetUser(t, st, mustCreateUser(t, st, "alice").ID)
			if want := p.Home("alice"); u.HomeDirectory != want {
				t.Errorf("HomeDirectory = %q, want %q", u.HomeDirectory, want)
			}
			if u.LoginShell != p.LoginShell {
				t.Errorf("LoginShell = %q, want %q", u.LoginShell, p.LoginShell)
			}
			explicit := newUser("bob")
			explicit.HomeDirectory, explicit.LoginShell = "/srv/bob", "/bin/zsh"
			got := mustGetUser(t, st, mustCreateUserWith(t, st, explicit).ID)
			if got.HomeDirectory != "/srv/bob" || got.LoginShell != "/bin/zsh" {
				t.Errorf("explicit home, shell = %q, %q; want /srv/bob, /bin/zsh", got.HomeDirectory, got.LoginShell)
			}
		}},
		{"CreateUser/UIDExhausted", func(t *testing.T, st store.Store) {
			n := rangeSize(p.UIDMin, p.UIDMax)
			if n > maxExhaustRange {
				t.Skipf("uid range holds %d numbers; configure at most %d to test exhaustion", n, maxExhaustRange)
			}
			for i := range n {
				mustCreateUser(t, st, fmt.Sprintf("user%03d", i))
			}
			_, err := st.CreateUser(t.Context(), newUser("onemore"))
			wantErr(t, err, store.ErrExhausted, "CreateUser with a full uid range")
			wantUserCount(t, st, n)
			explicit := newUser("explicit")
			explicit.UIDNumber = p.UIDMin - 1
			if p.UIDMin > 1 {
				_, err = st.CreateUser(t.Context(), explicit)
				wantOK(t, err, "CreateUser with an explicit uid outside the full range")
			}
		}},
		{"CreateUser/DuplicateName", func(t *testing.T, st store.Store) {
			mustCreateUser(t, st, "alice")
			for _, name := range []string{"alice", "ALICE", "Alice"} {
				u := newUser(name)
				u.Emails = []string{"other-" + name + "@example.net"}
				_, err := st.CreateUser(t.Context(), u)
				wantErr(t, err, store.ErrExists, "CreateUser("+name+")")
			}
			wantUserCount(t, st, 1)
		}},
		{"CreateUser/DuplicateEmail", func(t *testing.T, st store.Store) {
			a := newUser("alice")
			a.Emails = []string{"alice@example.org", "shared@example.org"}
			mustCreateUserWith(t, st, a)
			for _, email := range []string{"shared@example.org", "SHARED@Example.ORG", "Alice@example.org"} {
				b := newUser("bob")
				b.Emails = []string{"bob@example.org", email}
				_, err := st.CreateUser(t.Context(), b)
				wantErr(t, err, store.ErrExists, "CreateUser with email "+email)
			}
			wantUserCount(t, st, 1)
			_, err := st.GetUserByEmail(t.Context(), "bob@example.org")
			wantNotFound(t, err, "GetUserByEmail(bob@) after refused creations")
		}},
		{"CreateUser/Invalid", func(t *testing.T, st store.Store) {
			u := store.User{
				UserName:          "-bad name",
				Emails:            []string{"ok@example.org", "not an email"},
				PhoneNumbers:      []string{"call me"},
				ProfileURL:        "ftp://example.org/alice",
				PreferredLanguage: "french!",
				HomeDirectory:     "home/alice",
				LoginShell:        "bash",
				DisplayName:       "line\nbreak",
			}
			_, err := st.CreateUser(t.Context(), u)
			wantValidation(t, err, "user_name", "emails[1]", "phone_numbers[0]", "profile_url",
				"preferred_language", "home_directory", "login_shell", "display_name")
			_, err = st.CreateUser(t.Context(), store.User{})
			wantValidation(t, err, "user_name")
			wantUserCount(t, st, 0)
		}},
		{"CreateUser/IgnoresDerivedFields", func(t *testing.T, st store.Store) {
			g := mustCreateGroup(t, st, "staff")
			u := newUser("alice")
			u.Groups = []store.Ref{{ID: g.ID, Name: g.DisplayName}}
			u.HasPhoto = true
			got := mustGetUser(t, st, mustCreateUserWith(t, st, u).ID)
			if len(got.Groups) != 0 || got.HasPhoto {
				t.Errorf("Groups, HasPhoto = %v, %v; want none, false (derived fields are ignored on writes)", got.Groups, got.HasPhoto)
			}
			if g := mustGetGroup(t, st, g.ID); len(g.Members) != 0 {
				t.Errorf("group members = %v, want none", g.Members)
			}
		}},
		{"CreateUser/KeepsPasswordHash", func(t *testing.T, st store.Store) {
			u := newUser("alice")
			u.PasswordHash = slappasswdSSHA
			if got := mustGetUser(t, st, mustCreateUserWith(t, st, u).ID); got.PasswordHash != slappasswdSSHA {
				t.Errorf("PasswordHash = %q, want the imported hash kept as is", got.PasswordHash)
			}
		}},
		{"CreateUser/InputNotRetained", func(t *testing.T, st store.Store) {
			u := newUser("alice")
			u.Emails = []string{"alice@example.org", "a2@example.org"}
			created := mustCreateUserWith(t, st, u)
			u.Emails[0] = "mallory@example.org"
			created.Emails[1] = "mallory2@example.org"
			wantNames(t, "Emails", mustGetUser(t, st, created.ID).Emails, []string{"alice@example.org", "a2@example.org"})
		}},
		{"GetUser/NotFound", func(t *testing.T, st store.Store) {
			_, err := st.GetUser(t.Context(), store.NewID())
			wantNotFound(t, err, "GetUser(unknown)")
			_, err = st.GetUser(t.Context(), "")
			wantNotFound(t, err, `GetUser("")`)
		}},
		{"GetUserByName/CaseInsensitive", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "Alice")
			for _, name := range []string{"Alice", "alice", "ALICE"} {
				got, err := st.GetUserByName(t.Context(), name)
				if err != nil || got.ID != a.ID || got.UserName != "Alice" {
					t.Errorf("GetUserByName(%q) = %q %q, %v; want %q Alice", name, got.ID, got.UserName, err, a.ID)
				}
			}
		}},
		{"GetUserByName/NotFound", func(t *testing.T, st store.Store) {
			mustCreateUser(t, st, "alice")
			for _, name := range []string{"bob", "alic", "alice2", ""} {
				_, err := st.GetUserByName(t.Context(), name)
				wantNotFound(t, err, "GetUserByName("+name+")")
			}
		}},
		{"GetUserByEmail/CaseInsensitive", func(t *testing.T, st store.Store) {
			u := newUser("alice")
			u.Emails = []string{"alice@example.org", "Alice.Second@Example.net"}
			a := mustCreateUserWith(t, st, u)
			mustCreateUser(t, st, "bob")
			for _, email := range []string{"alice@example.org", "ALICE@EXAMPLE.ORG", "alice.second@example.net", "Alice.Second@Example.net"} {
				got, err := st.GetUserByEmail(t.Context(), email)
				if err != nil || got.ID != a.ID {
					t.Errorf("GetUserByEmail(%q) = %q, %v; want %q", email, got.UserName, err, a.ID)
				}
			}
		}},
		{"GetUserByEmail/NonASCIICase", func(t *testing.T, st store.Store) {
			if s.ASCIIEmails {
				t.Skip("the backend keeps emails in an IA5String attribute")
			}
			u := newUser("elodie")
			u.Emails = []string{"Élodie.Ünal@example.org"}
			a := mustCreateUserWith(t, st, u)
			if got, err := st.GetUserByEmail(t.Context(), "élodie.ünal@EXAMPLE.org"); err != nil || got.ID != a.ID {
				t.Errorf("GetUserByEmail(lower-case accented address) = %q, %v; want elodie", got.UserName, err)
			}
		}},
		{"GetUserByEmail/NotFound", func(t *testing.T, st store.Store) {
			mustCreateUser(t, st, "alice")
			for _, email := range []string{"bob@example.org", "alice@example.net", "alice", ""} {
				_, err := st.GetUserByEmail(t.Context(), email)
				wantNotFound(t, err, "GetUserByEmail("+email+")")
			}
		}},
		{"GetUserByUIDNumber/NotFound", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			_, err := st.GetUserByUIDNumber(t.Context(), a.UIDNumber+1)
			wantNotFound(t, err, "GetUserByUIDNumber(unused)")
			_, err = st.GetUserByUIDNumber(t.Context(), 0)
			wantNotFound(t, err, "GetUserByUIDNumber(0)")
		}},
		{"JSON/NoPasswordHash", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			mustSetPassword(t, st, a.ID, "correct horse battery staple")
			u := mustGetUser(t, st, a.ID)
			if u.PasswordHash == "" {
				t.Fatal("PasswordHash is empty after SetPassword")
			}
			b, err := json.Marshal(u)
			wantOK(t, err, "json.Marshal")
			if strings.Contains(string(b), u.PasswordHash) || strings.Contains(string(b), "correct horse") {
				t.Errorf("json.Marshal(user) holds the password hash: %s", b)
			}
		}},
		{"Copies/ReturnedUser", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			g := mustCreateGroup(t, st, "staff", a.ID)
			got := mustGetUser(t, st, a.ID)
			if len(got.Groups) != 1 {
				t.Fatalf("Groups = %v, want [staff]", got.Groups)
			}
			got.Emails[0] = "mallory@example.org"
			got.Groups[0].Name = "mallory"
			byName, err := st.GetUserByName(t.Context(), "alice")
			wantOK(t, err, "GetUserByName")
			byName.Emails[0] = "mallory@example.org"
			list, err := st.ListUsers(t.Context(), store.UserQuery{})
			wantOK(t, err, "ListUsers")
			list[0].Emails[0] = "mallory@example.org"
			again := mustGetUser(t, st, a.ID)
			wantNames(t, "Emails", again.Emails, []string{"alice@example.org"})
			if len(again.Groups) != 1 || again.Groups[0] != (store.Ref{ID: g.ID, Name: "staff"}) {
				t.Errorf("Groups = %v, want [staff]", again.Groups)
			}
		}},
	}
}

// fullUser returns a valid user with every stored field set.
func fullUser(name string) store.User {
	ts := now()
	return store.User{
		UserName: name, FormattedName: "Alice Liddell", DisplayName: "Alice L.",
		GivenName: "Alice", FamilyName: "Liddell",
		Emails:           []string{name + "@example.org", name + ".other@example.net"},
		PhoneNumbers:     []string{"+33 1 23 45 67 89", "555-1234"},
		FormattedAddress: "1 Rabbit Hole\nWonderland", Street: "1 Rabbit Hole", PostalCode: "12345",
		Locality: "Oxford", Region: "Oxfordshire", ProfileURL: "https://example.org/~" + name,
		Title: "Explorer", Organization: "Wonderland Ltd", EmployeeNumber: "42", Department: "Tea",
		PreferredLanguage: "en-GB", UIDNumber: 0, HomeDirectory: "/home/" + name, LoginShell: "/bin/sh",
		LockDate: ts.Add(24 * time.Hour), LastOTPLogin: ts.Add(-time.Hour), HOTPCounter: 7,
		OneTimePasswordEmissionDate: ts.Add(-time.Minute),
		SecretToken:                 "JBSWY3DPEHPK3PXP", OneTimePassword: store.Digest("123456"),
	}
}

// compareUser checks the stored fields of got against want.
func compareUser(t *testing.T, got, want store.User) {
	t.Helper()
	str := func(field, g, w string) {
		if g != w {
			t.Errorf("%s = %q, want %q", field, g, w)
		}
	}
	str("UserName", got.UserName, want.UserName)
	str("FormattedName", got.FormattedName, want.FormattedName)
	str("DisplayName", got.DisplayName, want.DisplayName)
	str("GivenName", got.GivenName, want.GivenName)
	str("FamilyName", got.FamilyName, want.FamilyName)
	str("FormattedAddress", got.FormattedAddress, want.FormattedAddress)
	str("Street", got.Street, want.Street)
	str("PostalCode", got.PostalCode, want.PostalCode)
	str("Locality", got.Locality, want.Locality)
	str("Region", got.Region, want.Region)
	str("ProfileURL", got.ProfileURL, want.ProfileURL)
	str("Title", got.Title, want.Title)
	str("Organization", got.Organization, want.Organization)
	str("EmployeeNumber", got.EmployeeNumber, want.EmployeeNumber)
	str("Department", got.Department, want.Department)
	str("PreferredLanguage", got.PreferredLanguage, want.PreferredLanguage)
	str("HomeDirectory", got.HomeDirectory, want.HomeDirectory)
	str("LoginShell", got.LoginShell, want.LoginShell)
	str("SecretToken", got.SecretToken, want.SecretToken)
	str("OneTimePassword", got.OneTimePassword, want.OneTimePassword)
	wantNames(t, "Emails", got.Emails, want.Emails)
	wantNames(t, "PhoneNumbers", got.PhoneNumbers, want.PhoneNumbers)
	for _, f := range []struct {
		name      string
		got, want time.Time
	}{{"LockDate", got.LockDate, want.LockDate}, {"LastOTPLogin", got.LastOTPLogin, want.LastOTPLogin},
		{"OneTimePasswordEmissionDate", got.OneTimePasswordEmissionDate, want.OneTimePasswordEmissionDate}} {
		if !f.got.Equal(f.want) {
			t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
	if got.HOTPCounter != want.HOTPCounter {
		t.Errorf("HOTPCounter = %d, want %d", got.HOTPCounter, want.HOTPCounter)
	}
}

// rangeSize is the number of values in [lo, hi], capped to fit an int.
func rangeSize(lo, hi uint32) int {
	if hi < lo {
		return 0
	}
	return int(min(uint64(hi-lo)+1, math.MaxInt32))
}

// wantUserCount fails unless the store holds n users.
func wantUserCount(t *testing.T, st store.Store, n int) {
	t.Helper()
	got, err := st.CountUsers(t.Context())
	if err != nil || got != n {
		t.Errorf("CountUsers = %d, %v; want %d", got, err, n)
	}
	list, err := st.ListUsers(t.Context(), store.UserQuery{})
	if err != nil || len(list) != n {
		t.Errorf("ListUsers holds %d users (%v), want %d", len(list), err, n)
	}
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
