package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// RunAuthenticate tests Directory.Authenticate: results for right, wrong
// and missing passwords, locked accounts, failure recording and, when the
// backend does it, the upgrade of imported hashes.
func RunAuthenticate(t *testing.T, s Suite) {
	s.subtests(t, authTests(s))
}

// mustCreateUserWithPassword creates a user named name and sets its password.
func mustCreateUserWithPassword(t *testing.T, st store.Store, name, password string) store.User {
	t.Helper()
	u := mustCreateUser(t, st, name)
	mustSetPassword(t, st, u.ID, password)
	return u
}

// wantBadCredentials fails unless err is ErrInvalidCredentials and says
// nothing more (neither ErrNotFound nor ErrLocked).
func wantBadCredentials(t *testing.T, err error, what string) {
	t.Helper()
	wantErr(t, err, store.ErrInvalidCredentials, what)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrLocked) {
		t.Errorf("%s: error %v also wraps ErrNotFound or ErrLocked; it must say nothing about the cause", what, err)
	}
}

func authTests(s Suite) []subtest {
	const pw = "correct horse battery staple"
	tests := []subtest{
		{"Authenticate/Success", func(t *testing.T, st store.Store) {
			a := mustCreateUserWithPassword(t, st, "alice", pw)
			mustCreateUserWithPassword(t, st, "bob", "bob's password")
			got, err := st.Authenticate(t.Context(), "alice", pw)
			if err != nil || got.ID != a.ID || got.UserName != "alice" {
				t.Errorf("Authenticate = %q %q, %v; want alice", got.ID, got.UserName, err)
			}
		}},
		{"Authenticate/WrongPassword", func(t *testing.T, st store.Store) {
			mustCreateUserWithPassword(t, st, "alice", pw)
			mustCreateUserWithPassword(t, st, "bob", "bob's password")
			for _, p := range []string{"wrong", pw + " ", strings.ToUpper(pw), "bob's password", ""} {
				_, err := st.Authenticate(t.Context(), "alice", p)
				wantBadCredentials(t, err, "Authenticate(wrong password)")
			}
		}},
		{"Authenticate/UnknownUser", func(t *testing.T, st store.Store) {
			mustCreateUserWithPassword(t, st, "alice", pw)
			for _, name := range []string{"bob", "", "alic", "alice2"} {
				_, err := st.Authenticate(t.Context(), name, pw)
				wantBadCredentials(t, err, "Authenticate(unknown user "+name+")")
			}
		}},
		{"Authenticate/NoPassword", func(t *testing.T, st store.Store) {
			mustCreateUser(t, st, "alice")
			for _, p := range []string{"", "anything"} {
				_, err := st.Authenticate(t.Context(), "alice", p)
				wantBadCredentials(t, err, "Authenticate(user without password)")
			}
		}},
		{"Authenticate/CaseInsensitiveName", func(t *testing.T, st store.Store) {
			a := mustCreateUserWithPassword(t, st, "Alice", pw)
			for _, name := range []string{"alice", "ALICE", "Alice"} {
				if got, err := st.Authenticate(t.Context(), name, pw); err != nil || got.ID != a.ID {
					t.Errorf("Authenticate(%q) = %q, %v; want Alice", name, got.UserName, err)
				}
			}
		}},
		{"Authenticate/LockedRightPassword", func(t *testing.T, st store.Store) {
			a := mustCreateUserWithPassword(t, st, "alice", pw)
			mustUpdateUser(t, st, a.ID, func(u *store.User) error { u.LockDate = time.Now().Add(-time.Hour); return nil })
			_, err := st.Authenticate(t.Context(), "alice", pw)
			wantErr(t, err, store.ErrLocked, "Authenticate(locked, right password)")
			if errors.Is(err, store.ErrInvalidCredentials) {
				t.Errorf("error %v also wraps ErrInvalidCredentials", err)
			}
		}},
		{"Authenticate/LockedAtCreation", func(t *testing.T, st store.Store) {
			u := newUser("alice")
			u.LockDate = time.Now().Add(-time.Minute)
			a := mustCreateUserWith(t, st, u)
			mustSetPassword(t, st, a.ID, pw)
			_, err := st.Authenticate(t.Context(), "alice", pw)
			wantErr(t, err, store.ErrLocked, "Authenticate(locked, right password)")
		}},
		{"Authenticate/LockedWrongPassword", func(t *testing.T, st store.Store) {
			if s.LockedRefusesAnyPassword {
				t.Skip("the backend's server refuses any password of a locked account without checking it")
			}
			a := mustCreateUserWithPassword(t, st, "alice", pw)
			mustUpdateUser(t, st, a.ID, func(u *store.User) error { u.LockDate = time.Now().Add(-time.Hour); return nil })
			_, err := st.Authenticate(t.Context(), "alice", "wrong")
			wantBadCredentials(t, err, "Authenticate(locked, wrong password)")
		}},
		{"Authenticate/LockDateInFuture", func(t *testing.T, st store.Store) {
			a := mustCreateUserWithPassword(t, st, "alice", pw)
			mustUpdateUser(t, st, a.ID, func(u *store.User) error { u.LockDate = time.Now().Add(time.Hour); return nil })
			_, err := st.Authenticate(t.Context(), "alice", pw)
			wantOK(t, err, "Authenticate(lock in the future)")
		}},
		{"Authenticate/Unlocked", func(t *testing.T, st store.Store) {
			a := mustCreateUserWithPassword(t, st, "alice", pw)
			mustUpdateUser(t, st, a.ID, func(u *store.User) error { u.LockDate = time.Now().Add(-time.Hour); return nil })
			mustUpdateUser(t, st, a.ID, func(u *store.User) error { u.LockDate = time.Time{}; return nil })
			_, err := st.Authenticate(t.Context(), "alice", pw)
			wantOK(t, err, "Authenticate(after unlocking)")
		}},
		{"Authenticate/CleartextNeverVerified", func(t *testing.T, st store.Store) {
			// A hash "the backend can verify" is required on creation; a
			// cleartext value may be refused then, but must never let anyone in.
			for i, hash := range []string{"{CLEARTEXT}secret", "secret"} {
				u := newUser(fmt.Sprintf("user%d", i))
				u.PasswordHash = hash
				if _, err := st.CreateUser(t.Context(), u); err != nil {
					t.Logf("CreateUser with PasswordHash %q refused: %v", hash, err)
					continue
				}
				if _, err := st.Authenticate(t.Context(), u.UserName, "secret"); err == nil {
					t.Errorf("Authenticate succeeded against the stored value %q", hash)
				}
			}
		}},
		{"Authenticate/ImportedHash", func(t *testing.T, st store.Store) {
			salt := []byte("s4lt\x00\xff")
			for _, tc := range []struct{ name, password, hash string }{
				{"slappasswd", "secret", slappasswdSSHA},
				{"ssha", "pässwörd ünïcode", sshaHash("pässwörd ünïcode", salt)},
				{"ssha512", pw, ssha512Hash(pw, salt)},
			} {
				u := newUser(tc.name)
				u.PasswordHash = tc.hash
				created := mustCreateUserWith(t, st, u)
				_, err := st.Authenticate(t.Context(), tc.name, tc.password+"x")
				wantBadCredentials(t, err, tc.name+": Authenticate(wrong password)")
				if got := mustGetUser(t, st, created.ID); got.PasswordHash != tc.hash {
					t.Errorf("%s: hash changed to %q by a failed login", tc.name, got.PasswordHash)
				}
				if got, err := st.Authenticate(t.Context(), tc.name, tc.password); err != nil || got.ID != created.ID {
					t.Errorf("%s: Authenticate = %q, %v; want success", tc.name, got.UserName, err)
				}
				_, err = st.Authenticate(t.Context(), tc.name, tc.password+"x")
				wantBadCredentials(t, err, tc.name+": Authenticate(wrong password) after a success")
				if _, err := st.Authenticate(t.Context(), tc.name, tc.password); err != nil {
					t.Errorf("%s: second Authenticate: %v", tc.name, err)
				}
			}
		}},
	}
	if s.UpgradesHashes {
		tests = append(tests, subtest{"Authenticate/UpgradesImportedHash", func(t *testing.T, st store.Store) {
			u := newUser("alice")
			u.PasswordHash = slappasswdSSHA
			a := mustCreateUserWith(t, st, u)
			_, err := st.Authenticate(t.Context(), "alice", "wrong")
			wantBadCredentials(t, err, "Authenticate(wrong password)")
			if got := mustGetUser(t, st, a.ID).PasswordHash; got != slappasswdSSHA {
				t.Errorf("hash = %q after a failed login, want unchanged", got)
			}
			_, err = st.Authenticate(t.Context(), "alice", "secret")
			wantOK(t, err, "Authenticate")
			got := mustGetUser(t, st, a.ID).PasswordHash
			if !strings.HasPrefix(got, "{ARGON2}") {
				t.Errorf("hash = %q after a successful login, want the {ARGON2} scheme", got)
			}
			_, err = st.Authenticate(t.Context(), "alice", "secret")
			wantOK(t, err, "Authenticate with the upgraded hash")
			_, err = st.Authenticate(t.Context(), "alice", "Secret")
			wantBadCredentials(t, err, "Authenticate(wrong password) with the upgraded hash")
		}}, subtest{"Authenticate/KeepsCurrentHash", func(t *testing.T, st store.Store) {
			a := mustCreateUserWithPassword(t, st, "alice", pw)
			before := mustGetUser(t, st, a.ID).PasswordHash
			_, err := st.Authenticate(t.Context(), "alice", pw)
			wantOK(t, err, "Authenticate")
			if after := mustGetUser(t, st, a.ID).PasswordHash; after != before {
				t.Errorf("hash of the current scheme rewritten by a login: %q -> %q", before, after)
			}
		}})
	}
	if s.RecordsFailures {
		tests = append(tests, subtest{"Authenticate/RecordsFailures", func(t *testing.T, st store.Store) {
			a := mustCreateUserWithPassword(t, st, "alice", pw)
			start := time.Now()
			for range 2 {
				_, err := st.Authenticate(t.Context(), "alice", "wrong")
				wantBadCredentials(t, err, "Authenticate(wrong password)")
			}
			end := time.Now()
			fails := mustGetUser(t, st, a.ID).PasswordFailureTimestamps
			if len(fails) != 2 {
				t.Fatalf("PasswordFailureTimestamps = %v, want 2 entries", fails)
			}
			for _, f := range fails {
				wantRecent(t, "failure timestamp", f, start, end)
			}
			_, err := st.Authenticate(t.Context(), "alice", pw)
			wantOK(t, err, "Authenticate")
			if fails := mustGetUser(t, st, a.ID).PasswordFailureTimestamps; len(fails) != 0 {
				t.Errorf("PasswordFailureTimestamps = %v after a success, want none", fails)
			}
		}}, subtest{"SetPassword/ClearsFailures", func(t *testing.T, st store.Store) {
			a := mustCreateUserWithPassword(t, st, "alice", pw)
			_, err := st.Authenticate(t.Context(), "alice", "wrong")
			wantBadCredentials(t, err, "Authenticate(wrong password)")
			if n := len(mustGetUser(t, st, a.ID).PasswordFailureTimestamps); n != 1 {
				t.Fatalf("%d failure timestamps, want 1", n)
			}
			mustSetPassword(t, st, a.ID, "another password")
			if fails := mustGetUser(t, st, a.ID).PasswordFailureTimestamps; len(fails) != 0 {
				t.Errorf("PasswordFailureTimestamps = %v after SetPassword, want none", fails)
			}
		}})
	}
	return tests
}
