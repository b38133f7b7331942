package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

func TestUserNormalize(t *testing.T) {
	t.Run("TrimsTextFields", func(t *testing.T) {
		u := store.User{
			UserName: "  alice\t", FormattedName: " Alice Liddell ", DisplayName: "\nAlice ",
			GivenName: " Alice", FamilyName: "Liddell ", FormattedAddress: "\n1 Rabbit Hole\nParis\n",
			Street: " 1 Rabbit Hole ", PostalCode: " 75001", Locality: "Paris ", Region: " IDF ",
			ProfileURL: " https://example.org/ ", Title: " Explorer ", Organization: " Wonderland ",
			EmployeeNumber: " 42 ", Department: " Glass ", PreferredLanguage: " fr ",
			HomeDirectory: " /home/alice ", LoginShell: " /bin/sh ",
		}
		u.Normalize()
		want := store.User{
			UserName: "alice", FormattedName: "Alice Liddell", DisplayName: "Alice",
			GivenName: "Alice", FamilyName: "Liddell", FormattedAddress: "1 Rabbit Hole\nParis",
			Street: "1 Rabbit Hole", PostalCode: "75001", Locality: "Paris", Region: "IDF",
			ProfileURL: "https://example.org/", Title: "Explorer", Organization: "Wonderland",
			EmployeeNumber: "42", Department: "Glass", PreferredLanguage: "fr",
			HomeDirectory: "/home/alice", LoginShell: "/bin/sh",
		}
		if !userEqual(u, want) {
			t.Errorf("Normalize() =\n%+v\nwant\n%+v", u, want)
		}
	})
	t.Run("KeepsInnerSpaces", func(t *testing.T) {
		u := store.User{DisplayName: " Alice  P. Liddell "}
		u.Normalize()
		if u.DisplayName != "Alice  P. Liddell" {
			t.Errorf("DisplayName = %q", u.DisplayName)
		}
	})
	t.Run("Emails", func(t *testing.T) {
		tests := []struct {
			name     string
			in, want []string
		}{
			{"TrimsValues", []string{" alice@example.org "}, []string{"alice@example.org"}},
			{"DropsEmpty", []string{"", "alice@example.org", "  "}, []string{"alice@example.org"}},
			{"DropsDuplicateKeepsFirstSpelling", []string{"Alice@Example.org", "alice@example.org", "ALICE@EXAMPLE.ORG"}, []string{"Alice@Example.org"}},
			{"DropsDuplicateAfterTrim", []string{"a@example.org", " A@example.org"}, []string{"a@example.org"}},
			{"KeepsOrder", []string{"b@example.org", "a@example.org", "B@example.org", "c@example.org"}, []string{"b@example.org", "a@example.org", "c@example.org"}},
			{"AllEmpty", []string{"", " "}, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				u := store.User{Emails: tc.in}
				u.Normalize()
				if !slices.Equal(u.Emails, tc.want) {
					t.Errorf("Emails = %q, want %q", u.Emails, tc.want)
				}
			})
		}
	})
	t.Run("PhoneNumbers", func(t *testing.T) {
		tests := []struct {
			name     string
			in, want []string
		}{
			{"TrimsAndDropsEmpty", []string{" 555 0100 ", "", "\t"}, []string{"555 0100"}},
			{"DropsExactDuplicates", []string{"555 0100", "555 0101", " 555 0100"}, []string{"555 0100", "555 0101"}},
			// Phone numbers are compared exactly: differently written
			// numbers are the user's business.
			{"KeepsDifferentSpellings", []string{"5550100", "555 0100", "555-0100"}, []string{"5550100", "555 0100", "555-0100"}},
			{"CaseSensitive", []string{"555 CALL", "555 call"}, []string{"555 CALL", "555 call"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				u := store.User{PhoneNumbers: tc.in}
				u.Normalize()
				if !slices.Equal(u.PhoneNumbers, tc.want) {
					t.Errorf("PhoneNumbers = %q, want %q", u.PhoneNumbers, tc.want)
				}
			})
		}
	})
	t.Run("ThenValidates", func(t *testing.T) {
		u := validUser()
		u.UserName = " alice "
		u.Emails = []string{" alice@example.org", "", "ALICE@example.org"}
		u.Normalize()
		wantFields(t, u.Validate())
	})
}

// userEqual compares the text fields of two users (what Normalize changes).
func userEqual(a, b store.User) bool {
	return a.UserName == b.UserName && a.FormattedName == b.FormattedName &&
		a.DisplayName == b.DisplayName && a.GivenName == b.GivenName &&
		a.FamilyName == b.FamilyName && a.FormattedAddress == b.FormattedAddress &&
		a.Street == b.Street && a.PostalCode == b.PostalCode && a.Locality == b.Locality &&
		a.Region == b.Region && a.ProfileURL == b.ProfileURL && a.Title == b.Title &&
		a.Organization == b.Organization && a.EmployeeNumber == b.EmployeeNumber &&
		a.Department == b.Department && a.PreferredLanguage == b.PreferredLanguage &&
		a.HomeDirectory == b.HomeDirectory && a.LoginShell == b.LoginShell &&
		slices.Equal(a.Emails, b.Emails) && slices.Equal(a.PhoneNumbers, b.PhoneNumbers)
}

func TestUserLocked(t *testing.T) {
	lock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		lockDate time.Time
		now      time.Time
		want     bool
	}{
		{"BeforeLockDate", lock, lock.Add(-time.Nanosecond), false},
		{"AtLockDate", lock, lock, true},
		{"AfterLockDate", lock, lock.Add(time.Hour), true},
		{"ZeroLockDateNeverLocked", time.Time{}, lock, false},
		{"ZeroLockDateAtZeroTime", time.Time{}, time.Time{}, false},
		{"OtherTimeZoneSameInstant", lock, lock.In(time.FixedZone("UTC+2", 2*3600)), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := store.User{LockDate: tc.lockDate}
			if got := u.Locked(tc.now); got != tc.want {
				t.Errorf("Locked(%v) with LockDate %v = %v, want %v", tc.now, tc.lockDate, got, tc.want)
			}
		})
	}
}

func TestUserName(t *testing.T) {
	tests := []struct {
		name string
		u    store.User
		want string
	}{
		{"DisplayNameFirst", store.User{UserName: "alice", DisplayName: "Ali", FormattedName: "Alice Liddell", GivenName: "Alice"}, "Ali"},
		{"FormattedName", store.User{UserName: "alice", FormattedName: "Alice Liddell", GivenName: "A", FamilyName: "L"}, "Alice Liddell"},
		{"GivenAndFamily", store.User{UserName: "alice", GivenName: "Alice", FamilyName: "Liddell"}, "Alice Liddell"},
		{"GivenOnly", store.User{UserName: "alice", GivenName: "Alice"}, "Alice"},
		{"FamilyOnly", store.User{UserName: "alice", FamilyName: "Liddell"}, "Liddell"},
		{"UserName", store.User{UserName: "alice"}, "alice"},
		{"Nothing", store.User{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.u.Name(); got != tc.want {
				t.Errorf("Name() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestUserPreferredEmail(t *testing.T) {
	tests := []struct {
		name   string
		emails []string
		want   string
	}{
		{"First", []string{"alice@example.org", "a@example.com"}, "alice@example.org"},
		{"Single", []string{"a@example.com"}, "a@example.com"},
		{"None", nil, ""},
		{"EmptySlice", []string{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := store.User{Emails: tc.emails}
			if got := u.PreferredEmail(); got != tc.want {
				t.Errorf("PreferredEmail() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestUserHasPassword(t *testing.T) {
	if (&store.User{}).HasPassword() {
		t.Error("HasPassword() = true without a hash")
	}
	if !(&store.User{PasswordHash: "{SSHA}abc"}).HasPassword() {
		t.Error("HasPassword() = false with a hash")
	}
}

func TestUserClone(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	orig := store.User{
		UserName:                  "alice",
		Emails:                    []string{"alice@example.org", "a@example.com"},
		PhoneNumbers:              []string{"555 0100"},
		Groups:                    []store.Ref{{ID: "g1", Name: "staff"}},
		PasswordFailureTimestamps: []time.Time{at},
	}
	c := orig.Clone()
	if !userEqual(c, orig) || !slices.Equal(c.Groups, orig.Groups) ||
		!slices.Equal(c.PasswordFailureTimestamps, orig.PasswordFailureTimestamps) {
		t.Fatalf("Clone() = %+v, want a copy of %+v", c, orig)
	}
	c.Emails[0] = "mallory@example.org"
	c.PhoneNumbers[0] = "000"
	c.Groups[0].Name = "admins"
	c.PasswordFailureTimestamps[0] = time.Time{}
	c.Emails = append(c.Emails[:1], "x@example.org")
	c.UserName = "mallory"

	if orig.Emails[0] != "alice@example.org" || orig.Emails[1] != "a@example.com" {
		t.Errorf("original Emails changed: %q", orig.Emails)
	}
	if orig.PhoneNumbers[0] != "555 0100" {
		t.Errorf("original PhoneNumbers changed: %q", orig.PhoneNumbers)
	}
	if orig.Groups[0].Name != "staff" {
		t.Errorf("original Groups changed: %v", orig.Groups)
	}
	if !orig.PasswordFailureTimestamps[0].Equal(at) {
		t.Errorf("original PasswordFailureTimestamps changed: %v", orig.PasswordFailureTimestamps)
	}
	if orig.UserName != "alice" {
		t.Errorf("original UserName changed: %q", orig.UserName)
	}
}
