package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/canaille-go/canaille/store"
)

func TestPasswordPolicyCheck(t *testing.T) {
	alice := &store.User{UserName: "alice", Emails: []string{"a.liddell@example.org", "wonder@looking.glass"}}
	short := &store.User{UserName: "bob", Emails: []string{"al@example.org"}}
	tests := []struct {
		name     string
		policy   store.PasswordPolicy
		password string
		user     *store.User
		reason   string // empty: accepted
	}{
		{"LongEnough", store.PasswordPolicy{MinLength: 8}, "correct horse", nil, ""},
		{"ExactlyMin", store.PasswordPolicy{MinLength: 8}, "12345678", nil, ""},
		{"TooShort", store.PasswordPolicy{MinLength: 8}, "1234567", nil, "at least 8"},
		{"EmptyWithMin", store.PasswordPolicy{MinLength: 1}, "", nil, "at least 1"},
		{"NoPolicy", store.PasswordPolicy{}, "", nil, ""},
		// "éàüö" is 4 characters but 8 bytes: length counts characters.
		{"MinCountsCharactersNotBytes", store.PasswordPolicy{MinLength: 8}, "éàüö", nil, "at least 8"},
		{"MultiByteLongEnough", store.PasswordPolicy{MinLength: 4}, "éàüö", nil, ""},
		{"ExactlyMax", store.PasswordPolicy{MaxLength: 10}, "0123456789", nil, ""},
		{"TooLong", store.PasswordPolicy{MaxLength: 10}, "0123456789a", nil, "at most 10"},
		// 10 characters, 30 bytes.
		{"MaxCountsCharactersNotBytes", store.PasswordPolicy{MaxLength: 10}, strings.Repeat("€", 10), nil, ""},
		{"ZeroMaxMeansNone", store.PasswordPolicy{MinLength: 1}, strings.Repeat("x", 10000), nil, ""},
		{"InvalidUTF8", store.PasswordPolicy{MinLength: 1}, "passw\xffrd-long", nil, "UTF-8"},
		{"InvalidUTF8EvenIfShort", store.PasswordPolicy{MinLength: 8}, "\xff", nil, "UTF-8"},

		{"UserName", store.PasswordPolicy{}, "alice", alice, "user name"},
		{"UserNameOtherCase", store.PasswordPolicy{}, "ALICE", alice, "user name"},
		{"UserNameShortSuffix", store.PasswordPolicy{MinLength: 8}, "alice2026!", alice, "user name"},
		{"UserNameShortPrefix", store.PasswordPolicy{MinLength: 8}, "!!!Alice1", alice, "user name"},
		{"UserNameRepeated", store.PasswordPolicy{MinLength: 8}, "alicealice", alice, "user name"},
		{"UserNameWithFiveLeft", store.PasswordPolicy{}, "alice12345", alice, "user name"},
		{"UserNameWithSixLeft", store.PasswordPolicy{}, "alice123456", alice, ""},
		{"UserNameTwiceWithFiveLeft", store.PasswordPolicy{}, "alice12alice345", alice, "user name"},
		{"Email", store.PasswordPolicy{}, "a.liddell@example.org", alice, "email"},
		{"EmailOtherCase", store.PasswordPolicy{}, "A.Liddell@Example.ORG", alice, "email"},
		{"EmailLocalPart", store.PasswordPolicy{}, "a.liddell", alice, "email"},
		{"EmailLocalPartWithSuffix", store.PasswordPolicy{}, "a.liddell42", alice, "email"},
		{"SecondEmailLocalPart", store.PasswordPolicy{}, "Wonder1!", alice, "email"},
		{"ShortUserNameNotEnforced", store.PasswordPolicy{}, "bob", short, ""},
		{"ShortUserNameWithSuffixNotEnforced", store.PasswordPolicy{}, "bob12345", short, ""},
		{"ShortLocalPartNotEnforced", store.PasswordPolicy{}, "al", short, ""},
		// Identifier lengths count characters: "éla" is 3 (4 bytes), "éléa" 4.
		{"ShortNonASCIILocalPartNotEnforced", store.PasswordPolicy{}, "éla1", &store.User{Emails: []string{"éla@example.org"}}, ""},
		{"NonASCIILocalPart", store.PasswordPolicy{}, "ÉLÉA1", &store.User{Emails: []string{"éléa@example.org"}}, "email"},
		{"UnrelatedPassword", store.PasswordPolicy{MinLength: 8}, "correct horse battery staple", alice, ""},
		{"NameInsideLongPassphrase", store.PasswordPolicy{MinLength: 8}, "alice-likes-tea-in-wonderland", alice, ""},
		{"NilUser", store.PasswordPolicy{}, "alice", nil, ""},
		{"UserWithoutData", store.PasswordPolicy{}, "alice", &store.User{}, ""},
		{"LengthCheckedFirst", store.PasswordPolicy{MinLength: 8}, "alice", alice, "at least 8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.policy.Check(tc.password, tc.user)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want accepted", tc.password, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Check(%q) accepted it, want %q", tc.password, tc.reason)
			}
			var ve *store.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Check(%q) = %v (%T), want a *ValidationError", tc.password, err, err)
			}
			if ve.Field != "password" {
				t.Errorf("Field = %q, want password", ve.Field)
			}
			if !strings.Contains(ve.Reason, tc.reason) {
				t.Errorf("Reason = %q, want it to contain %q", ve.Reason, tc.reason)
			}
			if tc.password != "" && (strings.Contains(err.Error(), tc.password) ||
				strings.Contains(fmt.Sprintf("%+v", err), tc.password)) {
				t.Errorf("error %q quotes the password", err)
			}
		})
	}
}

func TestNewID(t *testing.T) {
	at := time.Date(2026, 11, 29, 2, 30, 0, 123_000_000, time.UTC)
	for _, g := range []struct {
		name    string
		version byte
		id      func() string
	}{
		{"NewID", '4', store.NewID},
		{"NewTimeID", '7', func() string { return store.NewTimeID(at) }},
	} {
		t.Run(g.name+"/Layout", func(t *testing.T) {
			for range 100 {
				id := g.id()
				if len(id) != 36 {
					t.Fatalf("%s() = %q: %d characters, want 36", g.name, id, len(id))
				}
				for i, c := range id {
					switch i {
					case 8, 13, 18, 23:
						if c != '-' {
							t.Fatalf("%s() = %q: want '-' at %d", g.name, id, i)
						}
					default:
						if !strings.ContainsRune("0123456789abcdef", c) {
							t.Fatalf("%s() = %q: %q at %d is not lower-case hex", g.name, id, c, i)
						}
					}
				}
				if id[14] != g.version {
					t.Fatalf("%s() = %q: version nibble %q, want %q", g.name, id, id[14], g.version)
				}
				if !strings.ContainsRune("89ab", rune(id[19])) {
					t.Fatalf("%s() = %q: variant nibble %q, want one of 8 9 a b", g.name, id, id[19])
				}
			}
		})
		t.Run(g.name+"/Unique", func(t *testing.T) {
			const n = 10000
			seen := make(map[string]bool, n)
			for range n {
				id := g.id()
				if seen[id] {
					t.Fatalf("%s() repeated %q", g.name, id)
				}
				seen[id] = true
			}
		})
	}
	t.Run("NewTimeID/Time", func(t *testing.T) {
		// RFC 9562: the first 48 bits are the Unix time in milliseconds.
		id := store.NewTimeID(at)
		if want := fmt.Sprintf("%08x-%04x", at.UnixMilli()>>16, at.UnixMilli()&0xffff); id[:13] != want {
			t.Errorf("NewTimeID(%v) = %q, want the prefix %q", at, id, want)
		}
		// Later IDs sort after earlier ones, a millisecond apart or more.
		prev := store.NewTimeID(at)
		for i := range 1000 {
			next := store.NewTimeID(at.Add(time.Duration(i+1) * time.Millisecond))
			if next <= prev {
				t.Fatalf("NewTimeID: %q made later sorts before %q", next, prev)
			}
			prev = next
		}
		if id := store.NewTimeID(time.Unix(-5, 0)); id[:13] != "00000000-0000" {
			t.Errorf("NewTimeID(before 1970) = %q, want a zero time part", id)
		}
	})
}

func TestNewSecret(t *testing.T) {
	// URL-safe without escaping: the base32 alphabet of crypto/rand.Text,
	// 52 characters of 5 bits (260 bits, at least the 256 promised).
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	t.Run("LengthAndAlphabet", func(t *testing.T) {
		for range 100 {
			s := store.NewSecret()
			if n := utf8.RuneCountInString(s); n*5 < 256 {
				t.Fatalf("NewSecret() = %q: %d characters hold less than 256 bits", s, n)
			}
			if len(s) != 52 {
				t.Fatalf("NewSecret() = %q: %d characters, want 52", s, len(s))
			}
			for _, c := range s {
				if !strings.ContainsRune(alphabet, c) {
					t.Fatalf("NewSecret() = %q: %q is not in the URL-safe alphabet", s, c)
				}
			}
		}
	})
	t.Run("Unique", func(t *testing.T) {
		const n = 10000
		seen := make(map[string]bool, n)
		for range n {
			s := store.NewSecret()
			if seen[s] {
				t.Fatalf("NewSecret() repeated %q", s)
			}
			seen[s] = true
		}
	})
}

func TestDigest(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"Empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"ABC", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"TwoBlocks", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := store.Digest(tc.in); got != tc.want {
				t.Errorf("Digest(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestPOSIXDefaults(t *testing.T) {
	t.Run("DefaultsAreValid", func(t *testing.T) {
		wantFields(t, store.DefaultPOSIX().Validate())
	})
	tests := []struct {
		name   string
		mutate func(*store.POSIXDefaults)
		fields []string
	}{
		{"SingleNumberRange", func(p *store.POSIXDefaults) { p.UIDMin, p.UIDMax, p.GIDMin, p.GIDMax = 5, 5, 7, 7 }, nil},
		{"UIDMinZero", func(p *store.POSIXDefaults) { p.UIDMin = 0 }, []string{"UID_MIN"}},
		{"UIDRangeInverted", func(p *store.POSIXDefaults) { p.UIDMin, p.UIDMax = 2000, 1000 }, []string{"UID_MIN"}},
		{"GIDMinZero", func(p *store.POSIXDefaults) { p.GIDMin = 0 }, []string{"GID_MIN"}},
		{"GIDRangeInverted", func(p *store.POSIXDefaults) { p.GIDMin, p.GIDMax = 2, 1 }, []string{"GID_MIN"}},
		{"HomeRelative", func(p *store.POSIXDefaults) { p.HomeDirectory = "home/{user_name}" }, []string{"HOME_DIRECTORY"}},
		{"HomeEmpty", func(p *store.POSIXDefaults) { p.HomeDirectory = "" }, []string{"HOME_DIRECTORY"}},
		{"ShellRelative", func(p *store.POSIXDefaults) { p.LoginShell = "bash" }, []string{"LOGIN_SHELL"}},
		{"Everything", func(p *store.POSIXDefaults) { *p = store.POSIXDefaults{} },
			[]string{"UID_MIN", "GID_MIN", "HOME_DIRECTORY", "LOGIN_SHELL"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := store.DefaultPOSIX()
			tc.mutate(&p)
			wantFields(t, p.Validate(), tc.fields...)
		})
	}
	t.Run("ReasonNamesMax", func(t *testing.T) {
		p := store.DefaultPOSIX()
		p.UIDMin, p.UIDMax = 2000, 1000
		if r := reasonOf(t, p.Validate(), "UID_MIN"); !strings.Contains(r, "1000") {
			t.Errorf("reason %q does not give UID_MAX", r)
		}
	})
	t.Run("DefaultValues", func(t *testing.T) {
		p := store.DefaultPOSIX()
		if p.UIDMin != 10000 || p.UIDMax != 59999 || p.GIDMin != 10000 || p.GIDMax != 59999 ||
			p.PrimaryGID != 0 || p.LoginShell != "/bin/bash" {
			t.Errorf("DefaultPOSIX() = %+v", p)
		}
	})

	homes := []struct {
		name, template, user, want string
	}{
		{"Default", "/home/{user_name}", "alice", "/home/alice"},
		{"Nested", "/srv/{user_name}/home", "bob", "/srv/bob/home"},
		{"Twice", "/home/{user_name}/{user_name}", "c", "/home/c/c"},
		{"NoPlaceholder", "/var/empty", "alice", "/var/empty"},
		{"OtherBracesKept", "/home/{uid}/{user_name}", "alice", "/home/{uid}/alice"},
	}
	for _, tc := range homes {
		t.Run("Home"+tc.name, func(t *testing.T) {
			p := store.POSIXDefaults{HomeDirectory: tc.template}
			if got := p.Home(tc.user); got != tc.want {
				t.Errorf("Home(%q) with %q = %q, want %q", tc.user, tc.template, got, tc.want)
			}
		})
	}
}
