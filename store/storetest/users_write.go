package storetest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// photoJPEG and otherJPEG are small byte strings starting like JPEG files.
var (
	photoJPEG = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00first photo\xff\xd9")
	otherJPEG = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00second photo\xff\xd9")
)

func userWriteTests(s Suite) []subtest {
	return []subtest{
		{"UpdateUser/ChangesFields", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			got := mustUpdateUser(t, st, a.ID, func(u *store.User) error {
				if u.UserName != "alice" || u.ID != a.ID {
					t.Errorf("fn got user %q %q, want the stored alice", u.ID, u.UserName)
				}
				u.DisplayName = "Queen Alice"
				u.Emails = append(u.Emails, "queen@example.org")
				u.PhoneNumbers = []string{"555-0000"}
				return nil
			})
			for _, u := range []store.User{got, mustGetUser(t, st, a.ID)} {
				if u.DisplayName != "Queen Alice" || len(u.PhoneNumbers) != 1 {
					t.Errorf("DisplayName, PhoneNumbers = %q, %q; want the update", u.DisplayName, u.PhoneNumbers)
				}
				wantNames(t, "Emails", u.Emails, []string{"alice@example.org", "queen@example.org"})
			}
			if byMail, err := st.GetUserByEmail(t.Context(), "QUEEN@example.org"); err != nil || byMail.ID != a.ID {
				t.Errorf("GetUserByEmail(added address) = %q, %v; want alice", byMail.ID, err)
			}
		}},
		{"UpdateUser/Rename", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			mustUpdateUser(t, st, a.ID, func(u *store.User) error { u.UserName = "alicia"; return nil })
			_, err := st.GetUserByName(t.Context(), "alice")
			wantNotFound(t, err, "GetUserByName(old name)")
			if got, err := st.GetUserByName(t.Context(), "ALICIA"); err != nil || got.ID != a.ID {
				t.Errorf("GetUserByName(new name) = %q, %v; want %q", got.ID, err, a.ID)
			}
			again := newUser("alice")
			again.Emails = []string{"another@example.org"}
			mustCreateUserWith(t, st, again) // the old name is free again
		}},
		{"UpdateUser/RenameCaseOnly", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			if got := mustUpdateUser(t, st, a.ID, func(u *store.User) error { u.UserName = "Alice"; return nil }); got.UserName != "Alice" {
				t.Errorf("UserName = %q, want Alice", got.UserName)
			}
			if got, err := st.GetUserByName(t.Context(), "alice"); err != nil || got.UserName != "Alice" {
				t.Errorf("GetUserByName(alice) = %q, %v; want Alice", got.UserName, err)
			}
		}},
		{"UpdateUser/ChangeEmail", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			mustUpdateUser(t, st, a.ID, func(u *store.User) error { u.Emails = []string{"new@example.org"}; return nil })
			_, err := st.GetUserByEmail(t.Context(), "alice@example.org")
			wantNotFound(t, err, "GetUserByEmail(old address)")
			if got, err := st.GetUserByEmail(t.Context(), "new@example.org"); err != nil || got.ID != a.ID {
				t.Errorf("GetUserByEmail(new address) = %q, %v; want %q", got.ID, err, a.ID)
			}
			b := newUser("bob")
			b.Emails = []string{"ALICE@example.org"}
			mustCreateUserWith(t, st, b) // the old address is free again
		}},
		{"UpdateUser/RenameToExisting", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			b := mustCreateUser(t, st, "bob")
			_, err := st.UpdateUser(t.Context(), b.ID, func(u *store.User) error {
				u.UserName, u.DisplayName = "ALICE", "changed"
				return nil
			})
			wantErr(t, err, store.ErrExists, "rename bob to ALICE")
			if got := mustGetUser(t, st, b.ID); got.UserName != "bob" || got.DisplayName != "" {
				t.Errorf("bob = %q %q after the refused rename, want unchanged", got.UserName, got.DisplayName)
			}
			if got, err := st.GetUserByName(t.Context(), "alice"); err != nil || got.ID != a.ID {
				t.Errorf("GetUserByName(alice) = %q, %v; want %q", got.ID, err, a.ID)
			}
		}},
		{"UpdateUser/EmailOfAnother", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			b := mustCreateUser(t, st, "bob")
			_, err := st.UpdateUser(t.Context(), b.ID, func(u *store.User) error {
				u.Emails = append(u.Emails, "Alice@Example.org")
				return nil
			})
			wantErr(t, err, store.ErrExists, "give bob alice's address")
			wantNames(t, "bob's Emails", mustGetUser(t, st, b.ID).Emails, []string{"bob@example.org"})
			if got, err := st.GetUserByEmail(t.Context(), "alice@example.org"); err != nil || got.ID != a.ID {
				t.Errorf("GetUserByEmail(alice@) = %q, %v; want alice", got.UserName, err)
			}
		}},
		{"UpdateUser/DuplicateUIDNumber", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			b := mustCreateUser(t, st, "bob")
			_, err := st.UpdateUser(t.Context(), b.ID, func(u *store.User) error { u.UIDNumber = a.UIDNumber; return nil })
			wantErr(t, err, store.ErrExists, "give bob alice's uid number")
			if got, err := st.GetUserByUIDNumber(t.Context(), a.UIDNumber); err != nil || got.ID != a.ID {
				t.Errorf("GetUserByUIDNumber(alice's) = %q, %v; want alice", got.UserName, err)
			}
			if got := mustGetUser(t, st, b.ID); got.UIDNumber != b.UIDNumber {
				t.Errorf("bob's UIDNumber = %d, want %d", got.UIDNumber, b.UIDNumber)
			}
		}},
		{"UpdateUser/ChangeUIDNumber", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			free := a.UIDNumber + 1
			for {
				if _, err := st.GetUserByUIDNumber(t.Context(), free); err != nil {
					break
				}
				free++
			}
			mustUpdateUser(t, st, a.ID, func(u *store.User) error { u.UIDNumber = free; return nil })
			_, err := st.GetUserByUIDNumber(t.Context(), a.UIDNumber)
			wantNotFound(t, err, "GetUserByUIDNumber(old uid)")
			if got, err := st.GetUserByUIDNumber(t.Context(), free); err != nil || got.ID != a.ID {
				t.Errorf("GetUserByUIDNumber(new uid) = %q, %v; want alice", got.UserName, err)
			}
		}},
		{"UpdateUser/Invalid", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			_, err := st.UpdateUser(t.Context(), a.ID, func(u *store.User) error {
				u.UserName, u.ProfileURL, u.Emails = "", "not a url", []string{"x"}
				return nil
			})
			wantValidation(t, err, "user_name", "profile_url", "emails[0]")
			if got := mustGetUser(t, st, a.ID); got.UserName != "alice" || got.ProfileURL != "" {
				t.Errorf("alice = %q %q after a refused update, want unchanged", got.UserName, got.ProfileURL)
			}
		}},
		{"UpdateUser/FnError", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			_, err := st.UpdateUser(t.Context(), a.ID, func(u *store.User) error {
				u.DisplayName = "changed"
				u.Emails[0] = "changed@example.org"
				return fmt.Errorf("wrapped: %w", errFn)
			})
			wantErr(t, err, errFn, "UpdateUser with a failing fn")
			got := mustGetUser(t, st, a.ID)
			if got.DisplayName != "" {
				t.Errorf("DisplayName = %q after an aborted update, want unchanged", got.DisplayName)
			}
			wantNames(t, "Emails", got.Emails, []string{"alice@example.org"})
		}},
		{"UpdateUser/NotFound", func(t *testing.T, st store.Store) {
			called := false
			_, err := st.UpdateUser(t.Context(), store.NewID(), func(u *store.User) error { called = true; return nil })
			wantNotFound(t, err, "UpdateUser(unknown)")
			if called {
				t.Error("fn was called for a missing user")
			}
		}},
		{"UpdateUser/LastModifiedAdvances", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			// Cross a second boundary so that backends with coarse timestamps can show progress.
			time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
			got := mustUpdateUser(t, st, a.ID, func(u *store.User) error { u.Title = "Dr"; return nil })
			if !got.LastModified.After(a.LastModified) {
				t.Errorf("LastModified = %v after an update, want after %v", got.LastModified, a.LastModified)
			}
			if !got.Created.Equal(a.Created) {
				t.Errorf("Created = %v, want unchanged %v", got.Created, a.Created)
			}
			if again := mustGetUser(t, st, a.ID); !again.LastModified.Equal(got.LastModified) {
				t.Errorf("stored LastModified = %v, returned %v", again.LastModified, got.LastModified)
			}
		}},
		{"UpdateUser/KeepsIDCreatedGroups", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			staff := mustCreateGroup(t, st, "staff", a.ID)
			admins := mustCreateGroup(t, st, "admins")
			newID := store.NewID()
			got := mustUpdateUser(t, st, a.ID, func(u *store.User) error {
				u.ID = newID
				u.Created = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
				u.Groups = []store.Ref{{ID: admins.ID, Name: "admins"}}
				u.DisplayName = "Alice"
				return nil
			})
			for _, u := range []store.User{got, mustGetUser(t, st, a.ID)} {
				if u.ID != a.ID || !u.Created.Equal(a.Created) || u.DisplayName != "Alice" {
					t.Errorf("user = %q created %v named %q; want ID and Created kept, the rest updated", u.ID, u.Created, u.DisplayName)
				}
				if len(u.Groups) != 1 || u.Groups[0].ID != staff.ID {
					t.Errorf("Groups = %v, want only staff", u.Groups)
				}
			}
			_, err := st.GetUser(t.Context(), newID)
			wantNotFound(t, err, "GetUser(ID set by fn)")
			if g := mustGetGroup(t, st, admins.ID); len(g.Members) != 0 {
				t.Errorf("admins members = %v, want none", g.Members)
			}
		}},
		{"UpdateUser/IgnoresHasPhoto", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			b := mustCreateUser(t, st, "bob")
			wantOK(t, st.SetUserPhoto(t.Context(), a.ID, photoJPEG), "SetUserPhoto")
			mustUpdateUser(t, st, a.ID, func(u *store.User) error { u.HasPhoto = false; return nil })
			mustUpdateUser(t, st, b.ID, func(u *store.User) error { u.HasPhoto = true; return nil })
			if p, err := st.UserPhoto(t.Context(), a.ID); err != nil || !bytes.Equal(p, photoJPEG) {
				t.Errorf("alice's photo = %d bytes, %v; want kept", len(p), err)
			}
			_, err := st.UserPhoto(t.Context(), b.ID)
			wantNotFound(t, err, "UserPhoto(bob)")
			if !mustGetUser(t, st, a.ID).HasPhoto || mustGetUser(t, st, b.ID).HasPhoto {
				t.Error("HasPhoto changed by UpdateUser, want it derived from the stored photo")
			}
		}},
		{"DeleteUser/Removes", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			b := mustCreateUser(t, st, "bob")
			wantOK(t, st.DeleteUser(t.Context(), a.ID), "DeleteUser")
			_, err := st.GetUser(t.Context(), a.ID)
			wantNotFound(t, err, "GetUser(deleted)")
			_, err = st.GetUserByName(t.Context(), "alice")
			wantNotFound(t, err, "GetUserByName(deleted)")
			_, err = st.GetUserByEmail(t.Context(), "alice@example.org")
			wantNotFound(t, err, "GetUserByEmail(deleted)")
			_, err = st.GetUserByUIDNumber(t.Context(), a.UIDNumber)
			wantNotFound(t, err, "GetUserByUIDNumber(deleted)")
			wantUserCount(t, st, 1)
			mustGetUser(t, st, b.ID)
			again := newUser("alice")
			again.UIDNumber = a.UIDNumber
			mustCreateUserWith(t, st, again) // name, email and uid are free again
		}},
		{"DeleteUser/RemovesMemberships", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			b := mustCreateUser(t, st, "bob")
			g := mustCreateGroupWith(t, st, store.Group{DisplayName: "staff", Members: refs(a.ID, b.ID), Owners: refs(a.ID)})
			wantOK(t, st.DeleteUser(t.Context(), a.ID), "DeleteUser")
			got := mustGetGroup(t, st, g.ID)
			wantNames(t, "Members", store.RefNames(got.Members), []string{"bob"})
			if len(got.Owners) != 0 {
				t.Errorf("Owners = %v, want none", got.Owners)
			}
			for _, q := range []store.GroupQuery{{MemberID: a.ID}, {OwnerID: a.ID}} {
				if gs, err := st.ListGroups(t.Context(), q); err != nil || len(gs) != 0 {
					t.Errorf("ListGroups(%+v) = %q, %v; want none", q, groupNames(gs), err)
				}
			}
			// A new user with the same ID inherits nothing.
			again := newUser("alice")
			again.ID = a.ID
			if u := mustCreateUserWith(t, st, again); len(mustGetUser(t, st, u.ID).Groups) != 0 {
				t.Errorf("re-created alice has groups %v, want none", mustGetUser(t, st, u.ID).Groups)
			}
		}},
		{"DeleteUser/RemovesPhoto", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			wantOK(t, st.SetUserPhoto(t.Context(), a.ID, photoJPEG), "SetUserPhoto")
			wantOK(t, st.DeleteUser(t.Context(), a.ID), "DeleteUser")
			_, err := st.UserPhoto(t.Context(), a.ID)
			wantNotFound(t, err, "UserPhoto(deleted user)")
			again := newUser("alice")
			again.ID = a.ID
			mustCreateUserWith(t, st, again)
			_, err = st.UserPhoto(t.Context(), a.ID)
			wantNotFound(t, err, "UserPhoto(re-created user)")
			if mustGetUser(t, st, a.ID).HasPhoto {
				t.Error("re-created user HasPhoto, want false")
			}
		}},
		{"DeleteUser/RemovesOIDCState", s.withOIDC(testDeleteUserOIDCState)},
		{"DeleteUser/NotFound", func(t *testing.T, st store.Store) {
			wantNotFound(t, st.DeleteUser(t.Context(), store.NewID()), "DeleteUser(unknown)")
			a := mustCreateUser(t, st, "alice")
			wantOK(t, st.DeleteUser(t.Context(), a.ID), "DeleteUser")
			wantNotFound(t, st.DeleteUser(t.Context(), a.ID), "DeleteUser twice")
		}},
		{"ListUsers/Order", func(t *testing.T, st store.Store) {
			names := []string{"carol", "Bob", "alice", "Dave", "eve", "_svc", "zed", "Aaron"}
			for _, n := range names {
				mustCreateUser(t, st, n)
			}
			got, err := st.ListUsers(t.Context(), store.UserQuery{})
			wantOK(t, err, "ListUsers")
			wantNames(t, "ListUsers", userNames(got), sortedFold(names))
		}},
		{"ListUsers/Limit", func(t *testing.T, st store.Store) {
			for _, n := range []string{"carol", "Bob", "alice"} {
				mustCreateUser(t, st, n)
			}
			for _, tc := range []struct {
				limit int
				want  []string
			}{{1, []string{"alice"}}, {2, []string{"alice", "Bob"}}, {0, []string{"alice", "Bob", "carol"}}, {10, []string{"alice", "Bob", "carol"}}} {
				got, err := st.ListUsers(t.Context(), store.UserQuery{Limit: tc.limit})
				wantOK(t, err, "ListUsers")
				wantNames(t, fmt.Sprintf("ListUsers(Limit %d)", tc.limit), userNames(got), tc.want)
			}
		}},
		{"ListUsers/After", func(t *testing.T, st store.Store) {
			for _, n := range []string{"carol", "Bob", "alice", "Dave"} {
				mustCreateUser(t, st, n)
			}
			for _, tc := range []struct {
				after string
				limit int
				want  []string
			}{
				{"alice", 0, []string{"Bob", "carol", "Dave"}},
				{"BOB", 0, []string{"carol", "Dave"}},
				{"bob", 1, []string{"carol"}},
				{"c", 0, []string{"carol", "Dave"}}, // need not be an existing name
				{"Dave", 0, nil},
				{"zzz", 0, nil},
			} {
				got, err := st.ListUsers(t.Context(), store.UserQuery{After: tc.after, Limit: tc.limit})
				wantOK(t, err, "ListUsers")
				wantNames(t, fmt.Sprintf("ListUsers(After %q, Limit %d)", tc.after, tc.limit), userNames(got), tc.want)
			}
		}},
		{"ListUsers/Pagination", func(t *testing.T, st store.Store) {
			var names []string
			for i := range 23 {
				n := fmt.Sprintf("user%02d", i)
				if i%2 == 1 {
					n = strings.ToUpper(n)
				}
				names = append(names, n)
				mustCreateUser(t, st, n)
			}
			var got []string
			after := ""
			for page := 0; page < 10; page++ {
				us, err := st.ListUsers(t.Context(), store.UserQuery{After: after, Limit: 5})
				wantOK(t, err, "ListUsers")
				if len(us) > 5 {
					t.Fatalf("page of %d users with Limit 5", len(us))
				}
				if len(us) == 0 {
					break
				}
				got = append(got, userNames(us)...)
				after = us[len(us)-1].UserName
			}
			wantNames(t, "paginated users", got, sortedFold(names))
		}},
		{"ListUsers/Search", func(t *testing.T, st store.Store) {
			mustCreateUserWith(t, st, store.User{UserName: "alice", GivenName: "Alice", FamilyName: "Liddell",
				FormattedName: "Alice Pleasance Liddell", DisplayName: "Wonder", Emails: []string{"alice@example.org"}})
			mustCreateUserWith(t, st, store.User{UserName: "bob", GivenName: "Robert", FamilyName: "Builder",
				Emails: []string{"bob@builders.example.net"}})
			mustCreateUserWith(t, st, store.User{UserName: "carol", DisplayName: "Caroline", Emails: []string{"carol@example.org"}})
			for _, tc := range []struct {
				search string
				limit  int
				want   []string
			}{
				{"ALI", 0, []string{"alice"}},            // user_name
				{"liddell", 0, []string{"alice"}},        // family_name
				{"pleasance", 0, []string{"alice"}},      // formatted_name
				{"WONDER", 0, []string{"alice"}},         // display_name
				{"rober", 0, []string{"bob"}},            // given_name
				{"Builders.Example", 0, []string{"bob"}}, // emails
				{"line", 0, []string{"carol"}},
				{"example.org", 0, []string{"alice", "carol"}},
				{"example", 2, []string{"alice", "bob"}},
				{"nobody", 0, nil},
				{"", 0, []string{"alice", "bob", "carol"}},
			} {
				got, err := st.ListUsers(t.Context(), store.UserQuery{Search: tc.search, Limit: tc.limit})
				wantOK(t, err, "ListUsers")
				wantNames(t, fmt.Sprintf("ListUsers(Search %q, Limit %d)", tc.search, tc.limit), userNames(got), tc.want)
			}
			got, err := st.ListUsers(t.Context(), store.UserQuery{Search: "example", After: "alice"})
			wantOK(t, err, "ListUsers")
			wantNames(t, `ListUsers(Search "example", After "alice")`, userNames(got), []string{"bob", "carol"})
		}},
		{"ListUsers/Empty", func(t *testing.T, st store.Store) {
			wantUserCount(t, st, 0)
		}},
		{"CountUsers", func(t *testing.T, st store.Store) {
			wantUserCount(t, st, 0)
			a := mustCreateUser(t, st, "alice")
			mustCreateUser(t, st, "bob")
			mustCreateUser(t, st, "carol")
			wantUserCount(t, st, 3)
			wantOK(t, st.DeleteUser(t.Context(), a.ID), "DeleteUser")
			wantUserCount(t, st, 2)
		}},
		{"UserPhoto/SetGetRemove", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			in := bytes.Clone(photoJPEG)
			wantOK(t, st.SetUserPhoto(t.Context(), a.ID, in), "SetUserPhoto")
			in[len(in)-3] = 'X' // the store must have copied it
			p, err := st.UserPhoto(t.Context(), a.ID)
			if err != nil || !bytes.Equal(p, photoJPEG) {
				t.Fatalf("UserPhoto = %q, %v; want the photo", p, err)
			}
			p[0] = 0 // the caller owns the returned bytes
			if p, _ := st.UserPhoto(t.Context(), a.ID); !bytes.Equal(p, photoJPEG) {
				t.Errorf("UserPhoto after changing a returned copy = %q", p)
			}
			if !mustGetUser(t, st, a.ID).HasPhoto {
				t.Error("HasPhoto = false with a photo")
			}
			if us, _ := st.ListUsers(t.Context(), store.UserQuery{}); len(us) != 1 || !us[0].HasPhoto {
				t.Error("ListUsers: HasPhoto = false with a photo")
			}
			wantOK(t, st.SetUserPhoto(t.Context(), a.ID, otherJPEG), "SetUserPhoto(replace)")
			if p, err := st.UserPhoto(t.Context(), a.ID); err != nil || !bytes.Equal(p, otherJPEG) {
				t.Errorf("UserPhoto after replacing = %q, %v", p, err)
			}
			wantOK(t, st.SetUserPhoto(t.Context(), a.ID, nil), "SetUserPhoto(nil)")
			_, err = st.UserPhoto(t.Context(), a.ID)
			wantNotFound(t, err, "UserPhoto after removal")
			if mustGetUser(t, st, a.ID).HasPhoto {
				t.Error("HasPhoto = true after removal")
			}
		}},
		{"UserPhoto/NotFound", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			_, err := st.UserPhoto(t.Context(), a.ID)
			wantNotFound(t, err, "UserPhoto(user without photo)")
			_, err = st.UserPhoto(t.Context(), store.NewID())
			wantNotFound(t, err, "UserPhoto(unknown user)")
		}},
		{"SetUserPhoto/UnknownUser", func(t *testing.T, st store.Store) {
			wantNotFound(t, st.SetUserPhoto(t.Context(), store.NewID(), photoJPEG), "SetUserPhoto(unknown user)")
		}},
		{"SetPassword/ThenAuthenticate", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			if fresh := mustGetUser(t, st, a.ID); fresh.HasPassword() {
				t.Error("HasPassword = true for a user created without one")
			}
			before := time.Now()
			mustSetPassword(t, st, a.ID, "correct horse battery staple")
			after := time.Now()
			u := mustGetUser(t, st, a.ID)
			wantRecent(t, "PasswordLastUpdate", u.PasswordLastUpdate, before, after)
			if !u.HasPassword() || strings.Contains(u.PasswordHash, "correct horse") {
				t.Errorf("PasswordHash = %q, want a hash", u.PasswordHash)
			}
			if s.UpgradesHashes && !strings.HasPrefix(u.PasswordHash, "{ARGON2}") {
				t.Errorf("PasswordHash = %q, want the {ARGON2} scheme", u.PasswordHash)
			}
			if got, err := st.Authenticate(t.Context(), "alice", "correct horse battery staple"); err != nil || got.ID != a.ID {
				t.Errorf("Authenticate = %q, %v; want alice", got.ID, err)
			}
		}},
		{"SetPassword/ReplacesPrevious", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			mustSetPassword(t, st, a.ID, "first password")
			mustSetPassword(t, st, a.ID, "second password")
			_, err := st.Authenticate(t.Context(), "alice", "first password")
			wantErr(t, err, store.ErrInvalidCredentials, "Authenticate(old password)")
			_, err = st.Authenticate(t.Context(), "alice", "second password")
			wantOK(t, err, "Authenticate(new password)")
		}},
		{"SetPassword/UnknownUser", func(t *testing.T, st store.Store) {
			wantNotFound(t, st.SetPassword(t.Context(), store.NewID(), "whatever pass"), "SetPassword(unknown user)")
		}},
	}
}
