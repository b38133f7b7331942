package storetest

import (
	"errors"
	"testing"

	"github.com/canaille-go/canaille/store"
)

// RunImport tests store.Importer: a batch of users and groups loads in one
// step, and a batch with one bad record writes nothing. It is skipped when
// the store does not implement store.Importer.
func RunImport(t *testing.T, s Suite) {
	s.check(t)
	if _, ok := s.New(t).(store.Importer); !ok {
		t.Skip("the store does not implement store.Importer")
	}
	s.subtests(t, append(importTests(), importFailureTests()...))
}

// importer returns st as a store.Importer.
func importer(t *testing.T, st store.Store) store.Importer {
	t.Helper()
	im, ok := st.(store.Importer)
	if !ok {
		t.Fatal("the store does not implement store.Importer")
	}
	return im
}

// importBatch returns three users with IDs (alice with an {SSHA} hash of
// "secret") and two groups referring to them.
func importBatch() ([]store.User, []store.Group) {
	alice, bob, carol := newUser("alice"), newUser("bob"), newUser("carol")
	alice.ID, bob.ID, carol.ID = store.NewID(), store.NewID(), store.NewID()
	alice.PasswordHash = slappasswdSSHA
	bob.UIDNumber, bob.GIDNumber = 5001, 5000
	groups := []store.Group{
		{ID: store.NewID(), DisplayName: "staff", Members: refs(carol.ID, alice.ID, bob.ID), Owners: refs(alice.ID), GIDNumber: 5000},
		{ID: store.NewID(), DisplayName: "admins", Members: refs(alice.ID)},
	}
	return []store.User{alice, bob, carol}, groups
}

func importTests() []subtest {
	return []subtest{
		{"Import/UsersAndGroups", func(t *testing.T, st store.Store) {
			users, groups := importBatch()
			wantOK(t, importer(t, st).Import(t.Context(), users, groups), "Import")
			wantUserCount(t, st, 3)
			wantGroupCount(t, st, 2)
			alice := mustGetUser(t, st, users[0].ID)
			if alice.UserName != "alice" || alice.PasswordHash != slappasswdSSHA {
				t.Errorf("alice = %q with hash %q, want the imported values", alice.UserName, alice.PasswordHash)
			}
			if bob := mustGetUser(t, st, users[1].ID); bob.UIDNumber != 5001 || bob.GIDNumber != 5000 {
				t.Errorf("bob's uid, gid = %d, %d; want 5001, 5000", bob.UIDNumber, bob.GIDNumber)
			}
			staff := mustGetGroup(t, st, groups[0].ID)
			admins := mustGetGroup(t, st, groups[1].ID)
			if staff.GIDNumber != 5000 {
				t.Errorf("staff's gid = %d, want 5000", staff.GIDNumber)
			}
			wantRefs(t, "staff members", staff.Members, alice, mustGetUser(t, st, users[1].ID), mustGetUser(t, st, users[2].ID))
			wantRefs(t, "staff owners", staff.Owners, alice)
			wantGroupRefs(t, "alice's groups", alice.Groups, admins, staff)
			if got, err := st.Authenticate(t.Context(), "alice", "secret"); err != nil || got.ID != alice.ID {
				t.Errorf("Authenticate(imported alice) = %q, %v", got.UserName, err)
			}
			if got, err := st.GetUserByEmail(t.Context(), "CAROL@example.org"); err != nil || got.ID != users[2].ID {
				t.Errorf("GetUserByEmail(imported carol) = %q, %v", got.UserName, err)
			}
		}},
		{"Import/MemberAlreadyStored", func(t *testing.T, st store.Store) {
			existing := mustCreateUser(t, st, "existing")
			users, groups := importBatch()
			groups[1].Members = append(groups[1].Members, store.Ref{ID: existing.ID})
			wantOK(t, importer(t, st).Import(t.Context(), users, groups), "Import")
			wantRefs(t, "admins members", mustGetGroup(t, st, groups[1].ID).Members, mustGetUser(t, st, users[0].ID), existing)
		}},
		{"Import/AllocatesNumbers", func(t *testing.T, st store.Store) {
			// Import is read as applying CreateUser's and CreateGroup's
			// rules to records without POSIX numbers.
			users, groups := importBatch()
			wantOK(t, importer(t, st).Import(t.Context(), users, groups), "Import")
			seen := map[uint32]bool{}
			for _, u := range []store.User{users[0], users[2]} {
				got := mustGetUser(t, st, u.ID)
				if got.UIDNumber == 0 || seen[got.UIDNumber] || got.UIDNumber == 5001 {
					t.Errorf("%s: UIDNumber = %d, want a fresh allocated number", got.UserName, got.UIDNumber)
				}
				seen[got.UIDNumber] = true
				if got.HomeDirectory == "" && got.LoginShell == "" {
					t.Errorf("%s: no POSIX defaults applied", got.UserName)
				}
			}
			if g := mustGetGroup(t, st, groups[1].ID); g.GIDNumber == 0 || g.GIDNumber == 5000 {
				t.Errorf("admins: GIDNumber = %d, want a fresh allocated number", g.GIDNumber)
			}
		}},
		{"Import/Empty", func(t *testing.T, st store.Store) {
			wantOK(t, importer(t, st).Import(t.Context(), nil, nil), "Import(nothing)")
			wantUserCount(t, st, 0)
		}},
	}
}

// importFailureTests are the batches that must be refused as a whole.
func importFailureTests() []subtest {
	var tests []subtest
	isExists := func(err error) bool { return errors.Is(err, store.ErrExists) }
	isMissing := func(err error) bool {
		var ve *store.ValidationError
		return errors.Is(err, store.ErrNotFound) || errors.As(err, &ve)
	}
	isInvalid := func(err error) bool {
		var ve *store.ValidationError
		return errors.As(err, &ve)
	}
	for _, tc := range []struct {
		name  string
		spoil func(users []store.User, groups []store.Group, existing store.User) ([]store.User, []store.Group)
		want  func(error) bool
	}{
		{"DuplicateNameInBatch", func(us []store.User, gs []store.Group, _ store.User) ([]store.User, []store.Group) {
			dup := newUser("ALICE")
			dup.ID, dup.Emails = store.NewID(), []string{"dup@example.org"}
			return append(us, dup), gs
		}, isExists},
		{"DuplicateEmailInBatch", func(us []store.User, gs []store.Group, _ store.User) ([]store.User, []store.Group) {
			us[2].Emails = []string{"Bob@Example.org"}
			return us, gs
		}, isExists},
		{"DuplicateIDInBatch", func(us []store.User, gs []store.Group, _ store.User) ([]store.User, []store.Group) {
			us[2].ID = us[1].ID
			return us, gs
		}, isExists},
		{"NameOfStoredUser", func(us []store.User, gs []store.Group, _ store.User) ([]store.User, []store.Group) {
			us[2].UserName = "Existing"
			return us, gs
		}, isExists},
		{"IDOfStoredUser", func(us []store.User, gs []store.Group, ex store.User) ([]store.User, []store.Group) {
			us[2].ID = ex.ID
			return us, gs
		}, isExists},
		{"NameOfStoredGroup", func(us []store.User, gs []store.Group, _ store.User) ([]store.User, []store.Group) {
			gs[1].DisplayName = "Existing Group"
			return us, gs
		}, isExists},
		{"DuplicateGroupInBatch", func(us []store.User, gs []store.Group, _ store.User) ([]store.User, []store.Group) {
			return us, append(gs, store.Group{ID: store.NewID(), DisplayName: "STAFF"})
		}, isExists},
		{"UnknownMember", func(us []store.User, gs []store.Group, _ store.User) ([]store.User, []store.Group) {
			gs[1].Members = append(gs[1].Members, store.Ref{ID: store.NewID()})
			return us, gs
		}, isMissing},
		{"UnknownOwner", func(us []store.User, gs []store.Group, _ store.User) ([]store.User, []store.Group) {
			gs[1].Owners = refs(store.NewID())
			return us, gs
		}, isMissing},
		{"EmailOfStoredUser", func(us []store.User, gs []store.Group, _ store.User) ([]store.User, []store.Group) {
			us[2].Emails = []string{"EXISTING@example.org"}
			return us, gs
		}, isExists},
		{"UIDOfStoredUser", func(us []store.User, gs []store.Group, ex store.User) ([]store.User, []store.Group) {
			us[2].UIDNumber = ex.UIDNumber
			return us, gs
		}, isExists},
		{"DuplicateUIDInBatch", func(us []store.User, gs []store.Group, _ store.User) ([]store.User, []store.Group) {
			us[2].UIDNumber = us[1].UIDNumber
			return us, gs
		}, isExists},
		{"InvalidUser", func(us []store.User, gs []store.Group, _ store.User) ([]store.User, []store.Group) {
			us[2].Emails = []string{"not an email"}
			return us, gs
		}, isInvalid},
		{"InvalidGroup", func(us []store.User, gs []store.Group, _ store.User) ([]store.User, []store.Group) {
			gs[1].DisplayName = ""
			return us, gs
		}, isInvalid},
	} {
		tests = append(tests, subtest{"Import/AllOrNothing/" + tc.name, func(t *testing.T, st store.Store) {
			existing := mustCreateUser(t, st, "existing")
			mustCreateGroup(t, st, "existing group", existing.ID)
			users, groups := importBatch()
			users, groups = tc.spoil(users, groups, existing)
			err := importer(t, st).Import(t.Context(), users, groups)
			if err == nil || !tc.want(err) {
				t.Fatalf("Import = %v, want the error of a %s", err, tc.name)
			}
			wantUserCount(t, st, 1)
			wantGroupCount(t, st, 1)
			for _, u := range users[:2] {
				if u.ID != existing.ID {
					_, err := st.GetUser(t.Context(), u.ID)
					wantNotFound(t, err, "GetUser(user of a refused batch)")
				}
			}
			_, err = st.GetGroupByName(t.Context(), "staff")
			wantNotFound(t, err, "GetGroupByName(group of a refused batch)")
			g, err := st.GetGroupByName(t.Context(), "existing group")
			wantOK(t, err, "GetGroupByName(existing group)")
			wantGroupRefs(t, "existing's groups", mustGetUser(t, st, existing.ID).Groups, g)
		}})
	}
	return tests
}
