package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/canaille-go/canaille/store"
)

func TestValidUserName(t *testing.T) {
	accepted := []struct{ name, userName string }{
		{"Simple", "alice"},
		{"Punctuation", "a.b-c_d"},
		{"EmailLike", "bob@corp"},
		{"LeadingUnderscore", "_svc"},
		{"LeadingDigit", "1password"},
		{"MixedCase", "Alice.Liddell"},
		{"SingleCharacter", "a"},
		{"Max64", strings.Repeat("a", 64)},
	}
	for _, tc := range accepted {
		t.Run("Accepts"+tc.name, func(t *testing.T) {
			if r := store.ValidUserName(tc.userName); r != "" {
				t.Errorf("ValidUserName(%q) = %q, want accepted", tc.userName, r)
			}
		})
	}
	refused := []struct{ name, userName, reason string }{
		{"Empty", "", "required"},
		{"Over64", strings.Repeat("a", 65), "at most 64"},
		{"LeadingDot", ".alice", "must start with"},
		{"LeadingDash", "-alice", "must start with"},
		{"LeadingAt", "@alice", "must start with"},
		{"InnerSpace", "alice liddell", "may contain only"},
		{"LeadingSpace", " alice", "may contain only"},
		{"TrailingSpace", "alice ", "may contain only"},
		{"Tab", "alice\tb", "may contain only"},
		{"NonASCIILetter", "élise", "may contain only"},
		{"NonASCIIInside", "zoë", "may contain only"},
		{"Slash", "a/b", "may contain only"},
		{"Comma", "a,b", "may contain only"}, // would split a DN
		{"Equals", "uid=a", "may contain only"},
		{"Plus", "a+b", "may contain only"},
		{"Backslash", `a\b`, "may contain only"},
		{"Star", "a*", "may contain only"}, // LDAP filter wildcard
		{"NUL", "a\x00b", "may contain only"},
		{"InvalidUTF8", "a\xffb", "may contain only"},
	}
	for _, tc := range refused {
		t.Run("Refuses"+tc.name, func(t *testing.T) {
			r := store.ValidUserName(tc.userName)
			if r == "" {
				t.Fatalf("ValidUserName(%q) accepted it", tc.userName)
			}
			if !strings.Contains(r, tc.reason) {
				t.Errorf("ValidUserName(%q) = %q, want a reason containing %q", tc.userName, r, tc.reason)
			}
		})
	}
}

func TestValidGroupName(t *testing.T) {
	tests := []struct {
		name, group string
		ok          bool
	}{
		{"Simple", "staff", true},
		{"WithInnerSpaces", "Project Alpha team", true},
		{"NonASCII", "Équipe Île-de-France", true},
		{"Max128", strings.Repeat("g", 128), true},
		{"Max128Characters", strings.Repeat("é", 128), true}, // 256 bytes
		{"Empty", "", false},
		{"Over128", strings.Repeat("g", 129), false},
		{"Over128Characters", strings.Repeat("é", 129), false},
		{"LeadingSpace", " staff", false},
		{"TrailingSpace", "staff ", false},
		{"TrailingNewline", "staff\n", false},
		{"ControlCharacter", "sta\x07ff", false},
		{"Newline", "staff\nadmins", false},
		{"DEL", "staff\x7f", false},
		{"C1Control", "staff\u0085x", false},
		{"InvalidUTF8", "st\xffaff", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := store.ValidGroupName(tc.group)
			if tc.ok && r != "" {
				t.Errorf("ValidGroupName(%q) = %q, want accepted", tc.group, r)
			}
			if !tc.ok && r == "" {
				t.Errorf("ValidGroupName(%q) accepted it", tc.group)
			}
		})
	}
}

func TestValidURI(t *testing.T) {
	tests := []struct {
		name, uri, reason string // empty reason: accepted
	}{
		{"HTTPS", "https://app.example.org/callback", ""},
		{"HTTPWithPortAndQuery", "http://localhost:8080/cb?x=1", ""},
		{"Loopback", "http://127.0.0.1:5000/cb", ""},
		{"CustomScheme", "com.example.app:/cb", ""},
		{"CustomSchemeOpaque", "com.example.app:cb", ""},
		{"URN", "urn:ietf:wg:oauth:2.0:oob", ""},
		{"UpperCaseScheme", "HTTPS://example.org/cb", ""},
		{"Empty", "", "absolute"},
		{"Relative", "/callback", "absolute"},
		{"SchemeRelative", "//example.org/cb", "absolute"},
		{"Unparsable", "https://exa mple.org/cb", "absolute"},
		{"ControlCharacter", "https://example.org/\x01", "absolute"},
		{"Fragment", "https://example.org/cb#frag", "fragment"},
		{"EmptyFragment", "https://example.org/cb#", "fragment"},
		{"CustomSchemeFragment", "com.example.app:/cb#x", "fragment"},
		{"HTTPWithoutHost", "http:///cb", "host"},
		{"HTTPSOpaque", "https:example.org", "host"},
		{"InvalidUTF8", "https://example.org/\xff", "UTF-8"},
		{"C1Control", "com.example.app:/cb\u0085", "control"},
		{"OverLong", "https://example.org/" + strings.Repeat("a", store.MaxTextLength), "too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := store.ValidURI(tc.uri)
			switch {
			case tc.reason == "" && r != "":
				t.Errorf("ValidURI(%q) = %q, want accepted", tc.uri, r)
			case tc.reason != "" && !strings.Contains(r, tc.reason):
				t.Errorf("ValidURI(%q) = %q, want a reason containing %q", tc.uri, r, tc.reason)
			}
		})
	}
}

// validUser returns a user with every field set to an acceptable value.
func validUser() store.User {
	return store.User{
		UserName:          "alice",
		FormattedName:     "Alice Liddell",
		DisplayName:       "Alice",
		GivenName:         "Alice",
		FamilyName:        "Liddell",
		Emails:            []string{"alice@example.org", "a.liddell@example.com"},
		PhoneNumbers:      []string{"+33 1 23 45 67 89", "(555) 010-0199"},
		FormattedAddress:  "1 Rabbit Hole\n75001 Paris\r\nFrance\t(FR)",
		Street:            "1 Rabbit Hole",
		PostalCode:        "75001",
		Locality:          "Paris",
		Region:            "Île-de-France",
		ProfileURL:        "https://example.org/~alice",
		Title:             "Explorer",
		Organization:      "Wonderland",
		EmployeeNumber:    "42",
		Department:        "Looking Glass",
		PreferredLanguage: "fr",
		HomeDirectory:     "/home/alice",
		LoginShell:        "/bin/zsh",
	}
}

func TestUserValidate(t *testing.T) {
	long := strings.Repeat("x", store.MaxTextLength+1)
	tests := []struct {
		name   string
		mutate func(*store.User)
		field  string // empty: valid
	}{
		{"Valid", func(*store.User) {}, ""},
		{"MinimalUser", func(u *store.User) { *u = store.User{UserName: "bob"} }, ""},
		{"MaxTextLength", func(u *store.User) { u.Title = strings.Repeat("x", store.MaxTextLength) }, ""},

		{"UserNameMissing", func(u *store.User) { u.UserName = "" }, "user_name"},
		{"UserNameWithSpace", func(u *store.User) { u.UserName = "alice liddell" }, "user_name"},

		{"EmailWithoutAt", func(u *store.User) { u.Emails = []string{"alice.example.org"} }, "emails[0]"},
		{"EmailWithDisplayName", func(u *store.User) { u.Emails = []string{"Alice <alice@example.org>"} }, "emails[0]"},
		{"EmailWithoutLocalPart", func(u *store.User) { u.Emails = []string{"@example.org"} }, "emails[0]"},
		{"EmailWithoutDomain", func(u *store.User) { u.Emails = []string{"alice@"} }, "emails[0]"},
		{"EmailWithSpace", func(u *store.User) { u.Emails = []string{"alice smith@example.org"} }, "emails[0]"},
		{"EmailQuotedLocalPart", func(u *store.User) { u.Emails = []string{`"a b"@example.org`} }, "emails[0]"},
		{"EmailInvalidUTF8", func(u *store.User) { u.Emails = []string{"al\xffice@example.org"} }, "emails[0]"},
		{"EmailOver254", func(u *store.User) {
			u.Emails = []string{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 190) + ".org"}
		}, "emails[0]"},
		{"EmailInternationalised", func(u *store.User) { u.Emails = []string{"élise@example.org"} }, ""},
		{"SecondEmailIndexed", func(u *store.User) { u.Emails = []string{"alice@example.org", "nope"} }, "emails[1]"},

		{"PhoneWithLetters", func(u *store.User) { u.PhoneNumbers = []string{"555-CALL-NOW"} }, "phone_numbers[0]"},
		{"PhoneTooFewDigits", func(u *store.User) { u.PhoneNumbers = []string{"+1 2"} }, "phone_numbers[0]"},
		{"PhonePlusInside", func(u *store.User) { u.PhoneNumbers = []string{"33+123456"} }, "phone_numbers[0]"},
		{"PhoneOver32", func(u *store.User) { u.PhoneNumbers = []string{strings.Repeat("1", 33)} }, "phone_numbers[0]"},
		{"PhoneDotsAndSlashes", func(u *store.User) { u.PhoneNumbers = []string{"01.23/45-67"} }, ""},
		{"SecondPhoneIndexed", func(u *store.User) { u.PhoneNumbers = []string{"123", "abc"} }, "phone_numbers[1]"},

		{"ProfileURLHTTP", func(u *store.User) { u.ProfileURL = "http://example.org/alice" }, ""},
		{"ProfileURLFTP", func(u *store.User) { u.ProfileURL = "ftp://example.org/alice" }, "profile_url"},
		{"ProfileURLJavaScript", func(u *store.User) { u.ProfileURL = "javascript:alert(1)" }, "profile_url"},
		{"ProfileURLRelative", func(u *store.User) { u.ProfileURL = "/~alice" }, "profile_url"},
		{"ProfileURLWithoutHost", func(u *store.User) { u.ProfileURL = "https:///alice" }, "profile_url"},
		{"ProfileURLInvalidUTF8", func(u *store.User) { u.ProfileURL = "https://example.org/\xff" }, "profile_url"},
		{"ProfileURLOverLong", func(u *store.User) { u.ProfileURL = "https://example.org/" + long }, "profile_url"},

		{"LanguageEn", func(u *store.User) { u.PreferredLanguage = "en" }, ""},
		{"LanguagePtBR", func(u *store.User) { u.PreferredLanguage = "pt-BR" }, ""},
		{"LanguageZhHantTW", func(u *store.User) { u.PreferredLanguage = "zh-Hant-TW" }, ""},
		{"LanguageThreeLetters", func(u *store.User) { u.PreferredLanguage = "ast" }, ""},
		{"LanguageWord", func(u *store.User) { u.PreferredLanguage = "english" }, "preferred_language"},
		{"LanguageOneLetter", func(u *store.User) { u.PreferredLanguage = "e" }, "preferred_language"},
		{"LanguageUnderscore", func(u *store.User) { u.PreferredLanguage = "fr_FR" }, "preferred_language"},
		{"LanguageTrailingDash", func(u *store.User) { u.PreferredLanguage = "fr-" }, "preferred_language"},
		{"LanguageLongSubtag", func(u *store.User) { u.PreferredLanguage = "de-abcdefghi" }, "preferred_language"},
		{"LanguageDigitsFirst", func(u *store.User) { u.PreferredLanguage = "12" }, "preferred_language"},

		{"HomeRelative", func(u *store.User) { u.HomeDirectory = "home/alice" }, "home_directory"},
		{"HomeTilde", func(u *store.User) { u.HomeDirectory = "~alice" }, "home_directory"},
		{"ShellRelative", func(u *store.User) { u.LoginShell = "bash" }, "login_shell"},
		{"HomeControlCharacter", func(u *store.User) { u.HomeDirectory = "/home/al\nice" }, "home_directory"},

		{"DisplayNameNewline", func(u *store.User) { u.DisplayName = "Alice\nLiddell" }, "display_name"},
		{"GivenNameTab", func(u *store.User) { u.GivenName = "Al\tice" }, "given_name"},
		{"FamilyNameNUL", func(u *store.User) { u.FamilyName = "Lid\x00dell" }, "family_name"},
		{"FormattedNameEscape", func(u *store.User) { u.FormattedName = "\x1b[31mAlice" }, "formatted_name"},
		{"StreetNewline", func(u *store.User) { u.Street = "1 Rabbit Hole\nFlat 2" }, "street"},
		{"FormattedAddressControl", func(u *store.User) { u.FormattedAddress = "1 Rabbit Hole\x00" }, "formatted_address"},
		{"TitleDEL", func(u *store.User) { u.Title = "Boss\x7f" }, "title"},
		{"OrganizationInvalidUTF8", func(u *store.User) { u.Organization = "Wonder\xc3land" }, "organization"},
		{"DepartmentOverLong", func(u *store.User) { u.Department = long }, "department"},
		{"FormattedAddressOverLong", func(u *store.User) { u.FormattedAddress = long }, "formatted_address"},
		{"EmployeeNumberControl", func(u *store.User) { u.EmployeeNumber = "4\r2" }, "employee_number"},
		{"PostalCodeControl", func(u *store.User) { u.PostalCode = "75\v001" }, "postal_code"},
		{"LocalityInvalidUTF8", func(u *store.User) { u.Locality = "\xfe" }, "locality"},
		{"RegionOverLong", func(u *store.User) { u.Region = long }, "region"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := validUser()
			tc.mutate(&u)
			err := u.Validate()
			if tc.field == "" {
				wantFields(t, err)
				return
			}
			wantFields(t, err, tc.field)
		})
	}

	t.Run("ReportsEveryProblemAtOnce", func(t *testing.T) {
		u := validUser()
		u.UserName = "-alice"
		u.Emails = []string{"alice@example.org", "not-an-address", "bob@"}
		u.PhoneNumbers = []string{"call me"}
		u.ProfileURL = "ftp://example.org"
		u.PreferredLanguage = "english"
		u.HomeDirectory = "alice"
		u.DisplayName = "A\x00"
		err := u.Validate()
		wantFields(t, err, "user_name", "emails[1]", "emails[2]", "phone_numbers[0]",
			"profile_url", "preferred_language", "home_directory", "display_name")
		if r := reasonOf(t, err, "preferred_language"); !strings.Contains(r, "language tag") {
			t.Errorf("preferred_language reason = %q", r)
		}
		if r := reasonOf(t, err, "home_directory"); !strings.Contains(r, "absolute") {
			t.Errorf("home_directory reason = %q", r)
		}
		if r := reasonOf(t, err, "display_name"); !strings.Contains(r, "control") {
			t.Errorf("display_name reason = %q", r)
		}
	})

	t.Run("ErrorsAsThroughWrapping", func(t *testing.T) {
		u := validUser()
		u.Emails = []string{"alice@example.org", "oops"}
		err := fmt.Errorf("bolt: create user %q: %w", u.UserName, u.Validate())
		var ves store.ValidationErrors
		if !errors.As(err, &ves) {
			t.Fatalf("errors.As(%v, *ValidationErrors) = false", err)
		}
		if len(ves) != 1 || ves[0].Field != "emails[1]" {
			t.Errorf("ValidationErrors = %v, want one on emails[1]", ves)
		}
		var ve *store.ValidationError
		if !errors.As(err, &ve) || ve.Field != "emails[1]" {
			t.Errorf("errors.As(*ValidationError) = %v", ve)
		}
	})
}

func TestValidationErrors(t *testing.T) {
	first := &store.ValidationError{Field: "user_name", Reason: "is required"}
	second := &store.ValidationError{Field: "emails[1]", Reason: "must be an email address"}
	es := store.ValidationErrors{first, second}

	t.Run("ErrorListsEveryField", func(t *testing.T) {
		want := "invalid user_name: is required; emails[1]: must be an email address"
		if got := es.Error(); got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	})
	t.Run("SingleErrorText", func(t *testing.T) {
		if got, want := first.Error(), "user_name: is required"; got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	})
	t.Run("UnwrapGivesEachElement", func(t *testing.T) {
		got := es.Unwrap()
		if len(got) != 2 || got[0] != error(first) || got[1] != error(second) {
			t.Errorf("Unwrap() = %v, want [%v %v]", got, first, second)
		}
	})
	t.Run("ErrorsIsFindsEachElement", func(t *testing.T) {
		err := fmt.Errorf("ui: save: %w", es)
		for _, e := range es {
			if !errors.Is(err, e) {
				t.Errorf("errors.Is(err, %v) = false", e)
			}
		}
	})
	t.Run("ErrorsAsFindsFirstElement", func(t *testing.T) {
		err := fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", es))
		var ve *store.ValidationError
		if !errors.As(err, &ve) {
			t.Fatal("errors.As(*ValidationError) = false")
		}
		if ve != first {
			t.Errorf("errors.As found %v, want %v", ve, first)
		}
		var all store.ValidationErrors
		if !errors.As(err, &all) || len(all) != 2 {
			t.Errorf("errors.As(ValidationErrors) = %v", all)
		}
	})
	t.Run("NotASentinel", func(t *testing.T) {
		for _, sentinel := range []error{store.ErrNotFound, store.ErrExists, store.ErrInvalidCredentials} {
			if errors.Is(es, sentinel) {
				t.Errorf("errors.Is(ValidationErrors, %v) = true", sentinel)
			}
		}
	})
}
