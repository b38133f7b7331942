package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// RunGroups tests the group half of store.Directory and
// store.DirectoryWriter: creation, gid allocation, membership in both
// directions, updates, deletion and listings.
func RunGroups(t *testing.T, s Suite) {
	s.subtests(t, append(groupCreateTests(s), groupWriteTests()...))
}

func groupCreateTests(s Suite) []subtest {
	p := s.POSIX
	return []subtest{
		{"CreateGroup/MembersAndOwners", func(t *testing.T, st store.Store) {
			c := mustCreateUser(t, st, "carol")
			a := mustCreateUser(t, st, "alice")
			b := mustCreateUser(t, st, "bob")
			before := time.Now()
			g := mustCreateGroupWith(t, st, store.Group{DisplayName: "staff", Description: "The staff",
				Members: refs(c.ID, a.ID, b.ID), Owners: []store.Ref{{ID: b.ID, Name: "wrong name"}}})
			after := time.Now()
			if !uuidRE.MatchString(g.ID) {
				t.Errorf("ID = %q, want a UUID", g.ID)
			}
			wantRecent(t, "Created", g.Created, before, after)
			wantRecent(t, "LastModified", g.LastModified, before, after)
			for _, got := range []store.Group{g, mustGetGroup(t, st, g.ID)} {
				if got.DisplayName != "staff" || got.Description != "The staff" {
					t.Errorf("group = %q %q, want staff", got.DisplayName, got.Description)
				}
				wantRefs(t, "Members", got.Members, a, b, c)
				wantRefs(t, "Owners", got.Owners, b)
			}
		}},
		{"CreateGroup/MembersSortedCaseInsensitively", func(t *testing.T, st store.Store) {
			// Group.Members says "sort by it" (the user name); like the
			// listings, the suite expects a case-insensitive order.
			var us []store.User
			for _, n := range []string{"carol", "Bob", "alice", "Dave"} {
				us = append(us, mustCreateUser(t, st, n))
			}
			g := mustCreateGroupWith(t, st, store.Group{DisplayName: "staff", Members: refs(us[0].ID, us[1].ID, us[2].ID, us[3].ID)})
			wantNames(t, "Members", store.RefNames(mustGetGroup(t, st, g.ID).Members), []string{"alice", "Bob", "carol", "Dave"})
			for _, n := range []string{"Zeta", "beta", "Alpha"} {
				mustCreateGroup(t, st, n, us[0].ID)
			}
			wantNames(t, "carol's Groups", store.RefNames(mustGetUser(t, st, us[0].ID).Groups), []string{"Alpha", "beta", "staff", "Zeta"})
		}},
		{"CreateGroup/Empty", func(t *testing.T, st store.Store) {
			g := mustCreateGroup(t, st, "nobody")
			if got := mustGetGroup(t, st, g.ID); len(got.Members) != 0 || len(got.Owners) != 0 {
				t.Errorf("members, owners = %v, %v; want none", got.Members, got.Owners)
			}
		}},
		{"CreateGroup/DuplicateMembers", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			g := mustCreateGroup(t, st, "staff", a.ID, a.ID)
			wantRefs(t, "Members", mustGetGroup(t, st, g.ID).Members, a)
		}},
		{"CreateGroup/AllocatesGIDInRange", func(t *testing.T, st store.Store) {
			n := min(rangeSize(p.GIDMin, p.GIDMax), 40)
			seen := map[uint32]string{}
			for i := range n {
				g := mustCreateGroup(t, st, fmt.Sprintf("group %02d", i))
				if g.GIDNumber < p.GIDMin || g.GIDNumber > p.GIDMax {
					t.Errorf("%s: GIDNumber = %d, want in [%d, %d]", g.DisplayName, g.GIDNumber, p.GIDMin, p.GIDMax)
				}
				if prev, ok := seen[g.GIDNumber]; ok {
					t.Errorf("%s and %s share GIDNumber %d", prev, g.DisplayName, g.GIDNumber)
				}
				seen[g.GIDNumber] = g.DisplayName
			}
		}},
		{"CreateGroup/ExplicitGIDKept", func(t *testing.T, st store.Store) {
			g := mustCreateGroupWith(t, st, store.Group{DisplayName: "staff", GIDNumber: p.GIDMin})
			if g.GIDNumber != p.GIDMin {
				t.Errorf("GIDNumber = %d, want %d", g.GIDNumber, p.GIDMin)
			}
			if rangeSize(p.GIDMin, p.GIDMax) > 1 {
				if o := mustCreateGroup(t, st, "other"); o.GIDNumber == p.GIDMin {
					t.Errorf("allocated GIDNumber %d, already held by staff", o.GIDNumber)
				}
			}
		}},
		{"CreateGroup/DuplicateGIDNumber", func(t *testing.T, st store.Store) {
			g := mustCreateGroup(t, st, "staff")
			_, err := st.CreateGroup(t.Context(), store.Group{DisplayName: "other", GIDNumber: g.GIDNumber})
			wantErr(t, err, store.ErrExists, "CreateGroup with staff's gid")
			wantGroupCount(t, st, 1)
		}},
		{"CreateGroup/GIDExhausted", func(t *testing.T, st store.Store) {
			n := rangeSize(p.GIDMin, p.GIDMax)
			if n > maxExhaustRange {
				t.Skipf("gid range holds %d numbers; configure at most %d to test exhaustion", n, maxExhaustRange)
			}
			for i := range n {
				mustCreateGroup(t, st, fmt.Sprintf("group %03d", i))
			}
			_, err := st.CreateGroup(t.Context(), store.Group{DisplayName: "one more"})
			wantErr(t, err, store.ErrExhausted, "CreateGroup with a full gid range")
			wantGroupCount(t, st, n)
		}},
		{"CreateGroup/DuplicateName", func(t *testing.T, st store.Store) {
			mustCreateGroup(t, st, "Staff")
			for _, name := range []string{"Staff", "staff", "STAFF"} {
				_, err := st.CreateGroup(t.Context(), store.Group{DisplayName: name})
				wantErr(t, err, store.ErrExists, fmt.Sprintf("CreateGroup(%q)", name))
			}
			wantGroupCount(t, st, 1)
		}},
		{"CreateGroup/MissingMember", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			_, err := st.CreateGroup(t.Context(), store.Group{DisplayName: "staff", Members: refs(a.ID, store.NewID())})
			wantMissingRef(t, err, "CreateGroup with an unknown member")
			_, err = st.CreateGroup(t.Context(), store.Group{DisplayName: "staff", Members: refs(a.ID), Owners: refs(store.NewID())})
			wantMissingRef(t, err, "CreateGroup with an unknown owner")
			wantGroupCount(t, st, 0)
			if u := mustGetUser(t, st, a.ID); len(u.Groups) != 0 {
				t.Errorf("alice's groups = %v after refused creations, want none", u.Groups)
			}
		}},
		{"CreateGroup/Invalid", func(t *testing.T, st store.Store) {
			_, err := st.CreateGroup(t.Context(), store.Group{})
			wantValidation(t, err, "display_name")
			_, err = st.CreateGroup(t.Context(), store.Group{DisplayName: "tab\there", Description: "bell\a"})
			wantValidation(t, err, "display_name", "description")
			wantGroupCount(t, st, 0)
		}},
		{"GetGroup/NotFound", func(t *testing.T, st store.Store) {
			_, err := st.GetGroup(t.Context(), store.NewID())
			wantNotFound(t, err, "GetGroup(unknown)")
		}},
		{"GetGroupByName/CaseInsensitive", func(t *testing.T, st store.Store) {
			g := mustCreateGroup(t, st, "Staff Members")
			for _, name := range []string{"Staff Members", "staff members", "STAFF MEMBERS"} {
				got, err := st.GetGroupByName(t.Context(), name)
				if err != nil || got.ID != g.ID || got.DisplayName != "Staff Members" {
					t.Errorf("GetGroupByName(%q) = %q %q, %v; want %q", name, got.ID, got.DisplayName, err, g.ID)
				}
			}
		}},
		{"GetGroupByName/NonASCIICase", func(t *testing.T, st store.Store) {
			g := mustCreateGroup(t, st, "Équipe Ärzte")
			if got, err := st.GetGroupByName(t.Context(), "équipe ärzte"); err != nil || got.ID != g.ID {
				t.Errorf("GetGroupByName(lower-case accented name) = %q, %v; want Équipe Ärzte", got.DisplayName, err)
			}
			_, err := st.CreateGroup(t.Context(), store.Group{DisplayName: "ÉQUIPE ÄRZTE"})
			wantErr(t, err, store.ErrExists, "CreateGroup(upper-case accented duplicate)")
		}},
		{"GetGroupByName/NotFound", func(t *testing.T, st store.Store) {
			mustCreateGroup(t, st, "staff")
			for _, name := range []string{"staf", "staff2", ""} {
				_, err := st.GetGroupByName(t.Context(), name)
				wantNotFound(t, err, fmt.Sprintf("GetGroupByName(%q)", name))
			}
		}},
		{"GetGroupByGIDNumber", func(t *testing.T, st store.Store) {
			g := mustCreateGroup(t, st, "staff")
			o := mustCreateGroup(t, st, "other")
			for _, want := range []store.Group{g, o} {
				if got, err := st.GetGroupByGIDNumber(t.Context(), want.GIDNumber); err != nil || got.ID != want.ID {
					t.Errorf("GetGroupByGIDNumber(%d) = %q, %v; want %q", want.GIDNumber, got.DisplayName, err, want.DisplayName)
				}
			}
			unused := uint32(1)
			for unused == g.GIDNumber || unused == o.GIDNumber {
				unused++
			}
			_, err := st.GetGroupByGIDNumber(t.Context(), unused)
			wantNotFound(t, err, "GetGroupByGIDNumber(unused)")
		}},
		{"Membership/BothDirections", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			b := mustCreateUser(t, st, "bob")
			staff := mustCreateGroup(t, st, "staff", a.ID, b.ID)
			admins := mustCreateGroup(t, st, "admins", a.ID)
			mustCreateGroup(t, st, "empty")
			wantGroupRefs(t, "alice's Groups", mustGetUser(t, st, a.ID).Groups, admins, staff)
			wantGroupRefs(t, "bob's Groups", mustGetUser(t, st, b.ID).Groups, staff)
			byName, err := st.GetUserByName(t.Context(), "alice")
			wantOK(t, err, "GetUserByName")
			wantGroupRefs(t, "alice's Groups by name", byName.Groups, admins, staff)
			list, err := st.ListUsers(t.Context(), store.UserQuery{})
			wantOK(t, err, "ListUsers")
			wantGroupRefs(t, "alice's Groups in ListUsers", list[0].Groups, admins, staff)
			auth := mustCreateUser(t, st, "carol")
			mustAddMember(t, st, admins.ID, auth.ID)
			mustSetPassword(t, st, auth.ID, "carol's password")
			got, err := st.Authenticate(t.Context(), "carol", "carol's password")
			wantOK(t, err, "Authenticate")
			wantGroupRefs(t, "Groups returned by Authenticate", got.Groups, admins)
		}},
		{"AddMember/Idempotent", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			b := mustCreateUser(t, st, "bob")
			g := mustCreateGroup(t, st, "staff", b.ID)
			mustAddMember(t, st, g.ID, a.ID)
			mustAddMember(t, st, g.ID, a.ID)
			wantRefs(t, "Members", mustGetGroup(t, st, g.ID).Members, a, b)
			wantGroupRefs(t, "alice's Groups", mustGetUser(t, st, a.ID).Groups, g)
		}},
		{"AddMember/NotFound", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			g := mustCreateGroup(t, st, "staff")
			wantNotFound(t, st.AddMember(t.Context(), store.NewID(), a.ID), "AddMember(unknown group)")
			wantNotFound(t, st.AddMember(t.Context(), g.ID, store.NewID()), "AddMember(unknown user)")
			if got := mustGetGroup(t, st, g.ID); len(got.Members) != 0 {
				t.Errorf("Members = %v, want none", got.Members)
			}
		}},
		{"RemoveMember/Idempotent", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			b := mustCreateUser(t, st, "bob")
			g := mustCreateGroup(t, st, "staff", a.ID, b.ID)
			wantOK(t, st.RemoveMember(t.Context(), g.ID, a.ID), "RemoveMember")
			wantOK(t, st.RemoveMember(t.Context(), g.ID, a.ID), "RemoveMember(non-member)")
			wantRefs(t, "Members", mustGetGroup(t, st, g.ID).Members, b)
			if u := mustGetUser(t, st, a.ID); len(u.Groups) != 0 {
				t.Errorf("alice's Groups = %v, want none", u.Groups)
			}
		}},
		{"RemoveMember/UnknownGroup", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			wantNotFound(t, st.RemoveMember(t.Context(), store.NewID(), a.ID), "RemoveMember(unknown group)")
		}},
		{"Copies/ReturnedGroup", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			g := mustCreateGroupWith(t, st, store.Group{DisplayName: "staff", Members: refs(a.ID), Owners: refs(a.ID)})
			g.Members[0].Name = "mallory"
			got := mustGetGroup(t, st, g.ID)
			got.Members[0].ID = "x"
			got.Owners[0].ID = "x"
			list, err := st.ListGroups(t.Context(), store.GroupQuery{})
			wantOK(t, err, "ListGroups")
			list[0].Members[0].ID = "x"
			again := mustGetGroup(t, st, g.ID)
			wantRefs(t, "Members", again.Members, a)
			wantRefs(t, "Owners", again.Owners, a)
		}},
	}
}

// wantRefs fails unless refs name exactly these users, sorted by name.
func wantRefs(t *testing.T, what string, got []store.Ref, want ...store.User) {
	t.Helper()
	var w []store.Ref
	for _, u := range sortUsers(want) {
		w = append(w, store.Ref{ID: u.ID, Name: u.UserName})
	}
	wantRefList(t, what, got, w)
}

// wantGroupRefs fails unless refs name exactly these groups, sorted by name.
func wantGroupRefs(t *testing.T, what string, got []store.Ref, want ...store.Group) {
	t.Helper()
	var names []string
	byName := map[string]string{}
	for _, g := range want {
		names = append(names, g.DisplayName)
		byName[g.DisplayName] = g.ID
	}
	var w []store.Ref
	for _, n := range sortedFold(names) {
		w = append(w, store.Ref{ID: byName[n], Name: n})
	}
	wantRefList(t, what, got, w)
}

func wantRefList(t *testing.T, what string, got, want []store.Ref) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s = %v, want %v", what, got, want)
			return
		}
	}
}

// sortUsers returns us sorted by user name, case-insensitively.
func sortUsers(us []store.User) []store.User {
	names := userNames(us)
	byName := map[string]store.User{}
	for _, u := range us {
		byName[u.UserName] = u
	}
	var out []store.User
	for _, n := range sortedFold(names) {
		out = append(out, byName[n])
	}
	return out
}

// wantGroupCount fails unless the store holds n groups.
func wantGroupCount(t *testing.T, st store.Store, n int) {
	t.Helper()
	got, err := st.CountGroups(t.Context())
	if err != nil || got != n {
		t.Errorf("CountGroups = %d, %v; want %d", got, err, n)
	}
	list, err := st.ListGroups(t.Context(), store.GroupQuery{})
	if err != nil || len(list) != n {
		t.Errorf("ListGroups holds %d groups (%v), want %d", len(list), err, n)
	}
}
