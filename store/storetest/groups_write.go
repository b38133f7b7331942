package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/canaille-go/canaille/store"
)

func groupWriteTests() []subtest {
	return []subtest{
		{"UpdateGroup/Members", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			b := mustCreateUser(t, st, "bob")
			c := mustCreateUser(t, st, "carol")
			g := mustCreateGroupWith(t, st, store.Group{DisplayName: "staff", Members: refs(a.ID, b.ID), Owners: refs(a.ID)})
			got, err := st.UpdateGroup(t.Context(), g.ID, func(g *store.Group) error {
				if g.DisplayName != "staff" || len(g.Members) != 2 {
					t.Errorf("fn got %q with members %v, want the stored group", g.DisplayName, g.Members)
				}
				g.Members = refs(c.ID, b.ID)
				g.Owners = refs(c.ID)
				g.Description = "changed"
				return nil
			})
			wantOK(t, err, "UpdateGroup")
			for _, v := range []store.Group{got, mustGetGroup(t, st, g.ID)} {
				wantRefs(t, "Members", v.Members, b, c)
				wantRefs(t, "Owners", v.Owners, c)
				if v.Description != "changed" {
					t.Errorf("Description = %q, want changed", v.Description)
				}
			}
			if u := mustGetUser(t, st, a.ID); len(u.Groups) != 0 {
				t.Errorf("alice's Groups = %v, want none", u.Groups)
			}
			wantGroupRefs(t, "carol's Groups", mustGetUser(t, st, c.ID).Groups, g)
			wantGroupRefs(t, "bob's Groups", mustGetUser(t, st, b.ID).Groups, g)
			owned, err := st.ListGroups(t.Context(), store.GroupQuery{OwnerID: a.ID})
			if err != nil || len(owned) != 0 {
				t.Errorf("groups owned by alice = %q, %v; want none", groupNames(owned), err)
			}
		}},
		{"UpdateGroup/Rename", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			g := mustCreateGroup(t, st, "staff", a.ID)
			other := mustCreateGroup(t, st, "middle", a.ID)
			renamed, err := st.UpdateGroup(t.Context(), g.ID, func(g *store.Group) error { g.DisplayName = "employees"; return nil })
			wantOK(t, err, "UpdateGroup")
			_, err = st.GetGroupByName(t.Context(), "staff")
			wantNotFound(t, err, "GetGroupByName(old name)")
			if got, err := st.GetGroupByName(t.Context(), "Employees"); err != nil || got.ID != g.ID {
				t.Errorf("GetGroupByName(new name) = %q, %v; want %q", got.ID, err, g.ID)
			}
			wantGroupRefs(t, "alice's Groups", mustGetUser(t, st, a.ID).Groups, renamed, other)
			mustCreateGroup(t, st, "staff") // the old name is free again
		}},
		{"UpdateGroup/RenameToExisting", func(t *testing.T, st store.Store) {
			mustCreateGroup(t, st, "staff")
			g := mustCreateGroup(t, st, "other")
			_, err := st.UpdateGroup(t.Context(), g.ID, func(g *store.Group) error {
				g.DisplayName, g.Description = "STAFF", "changed"
				return nil
			})
			wantErr(t, err, store.ErrExists, "rename other to STAFF")
			if got := mustGetGroup(t, st, g.ID); got.DisplayName != "other" || got.Description != "" {
				t.Errorf("group = %q %q after a refused rename, want unchanged", got.DisplayName, got.Description)
			}
		}},
		{"UpdateGroup/MissingMember", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			g := mustCreateGroup(t, st, "staff", a.ID)
			_, err := st.UpdateGroup(t.Context(), g.ID, func(g *store.Group) error {
				g.Members = append(g.Members, store.Ref{ID: store.NewID()})
				return nil
			})
			wantMissingRef(t, err, "UpdateGroup adding an unknown member")
			_, err = st.UpdateGroup(t.Context(), g.ID, func(g *store.Group) error {
				g.Owners = refs(store.NewID())
				return nil
			})
			wantMissingRef(t, err, "UpdateGroup adding an unknown owner")
			got := mustGetGroup(t, st, g.ID)
			wantRefs(t, "Members", got.Members, a)
			wantRefs(t, "Owners", got.Owners)
		}},
		{"UpdateGroup/DuplicateGIDNumber", func(t *testing.T, st store.Store) {
			g := mustCreateGroup(t, st, "staff")
			o := mustCreateGroup(t, st, "other")
			_, err := st.UpdateGroup(t.Context(), o.ID, func(x *store.Group) error { x.GIDNumber = g.GIDNumber; return nil })
			wantErr(t, err, store.ErrExists, "give other staff's gid")
			if got, err := st.GetGroupByGIDNumber(t.Context(), g.GIDNumber); err != nil || got.ID != g.ID {
				t.Errorf("GetGroupByGIDNumber(staff's) = %q, %v; want staff", got.DisplayName, err)
			}
		}},
		{"UpdateGroup/ChangeGIDNumber", func(t *testing.T, st store.Store) {
			g := mustCreateGroup(t, st, "staff")
			free := g.GIDNumber + 1
			for {
				if _, err := st.GetGroupByGIDNumber(t.Context(), free); err != nil {
					break
				}
				free++
			}
			_, err := st.UpdateGroup(t.Context(), g.ID, func(x *store.Group) error { x.GIDNumber = free; return nil })
			wantOK(t, err, "UpdateGroup(gid)")
			_, err = st.GetGroupByGIDNumber(t.Context(), g.GIDNumber)
			wantNotFound(t, err, "GetGroupByGIDNumber(old gid)")
			if got, err := st.GetGroupByGIDNumber(t.Context(), free); err != nil || got.ID != g.ID {
				t.Errorf("GetGroupByGIDNumber(new gid) = %q, %v; want staff", got.DisplayName, err)
			}
		}},
		{"UpdateGroup/Invalid", func(t *testing.T, st store.Store) {
			g := mustCreateGroup(t, st, "staff")
			_, err := st.UpdateGroup(t.Context(), g.ID, func(g *store.Group) error { g.DisplayName = ""; return nil })
			wantValidation(t, err, "display_name")
			if got := mustGetGroup(t, st, g.ID); got.DisplayName != "staff" {
				t.Errorf("DisplayName = %q after a refused update, want staff", got.DisplayName)
			}
		}},
		{"UpdateGroup/FnError", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			g := mustCreateGroup(t, st, "staff", a.ID)
			_, err := st.UpdateGroup(t.Context(), g.ID, func(g *store.Group) error {
				g.DisplayName = "changed"
				g.Members[0].ID = store.NewID()
				return errFn
			})
			wantErr(t, err, errFn, "UpdateGroup with a failing fn")
			got := mustGetGroup(t, st, g.ID)
			if got.DisplayName != "staff" {
				t.Errorf("DisplayName = %q after an aborted update, want staff", got.DisplayName)
			}
			wantRefs(t, "Members", got.Members, a)
		}},
		{"UpdateGroup/NotFound", func(t *testing.T, st store.Store) {
			called := false
			_, err := st.UpdateGroup(t.Context(), store.NewID(), func(*store.Group) error { called = true; return nil })
			wantNotFound(t, err, "UpdateGroup(unknown)")
			if called {
				t.Error("fn was called for a missing group")
			}
		}},
		{"UpdateGroup/ChangeIDHarmless", func(t *testing.T, st store.Store) {
			// The contract does not say whether fn may change the ID; either
			// the change is refused or it is ignored, and nothing breaks.
			a := mustCreateUser(t, st, "alice")
			g := mustCreateGroup(t, st, "staff", a.ID)
			newID := store.NewID()
			_, err := st.UpdateGroup(t.Context(), g.ID, func(x *store.Group) error { x.ID = newID; return nil })
			if err == nil {
				got := mustGetGroup(t, st, g.ID)
				wantRefs(t, "Members", got.Members, a)
			}
			_, err = st.GetGroup(t.Context(), newID)
			wantNotFound(t, err, "GetGroup(ID set by fn)")
			wantGroupRefs(t, "alice's Groups", mustGetUser(t, st, a.ID).Groups, g)
			wantGroupCount(t, st, 1)
		}},
		{"UpdateUser/RenameReflectedInGroups", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			b := mustCreateUser(t, st, "bob")
			g := mustCreateGroupWith(t, st, store.Group{DisplayName: "staff", Members: refs(a.ID, b.ID), Owners: refs(a.ID, b.ID)})
			renamed := mustUpdateUser(t, st, a.ID, func(u *store.User) error { u.UserName = "zoe"; return nil })
			got := mustGetGroup(t, st, g.ID)
			wantRefs(t, "Members", got.Members, b, renamed)
			wantRefs(t, "Owners", got.Owners, b, renamed)
			byName, err := st.GetGroupByName(t.Context(), "staff")
			wantOK(t, err, "GetGroupByName")
			wantRefs(t, "Members by name", byName.Members, b, renamed)
		}},
		{"DeleteGroup/RemovesMembership", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			g := mustCreateGroupWith(t, st, store.Group{DisplayName: "staff", Members: refs(a.ID), Owners: refs(a.ID)})
			other := mustCreateGroup(t, st, "other", a.ID)
			wantOK(t, st.DeleteGroup(t.Context(), g.ID), "DeleteGroup")
			_, err := st.GetGroup(t.Context(), g.ID)
			wantNotFound(t, err, "GetGroup(deleted)")
			_, err = st.GetGroupByName(t.Context(), "staff")
			wantNotFound(t, err, "GetGroupByName(deleted)")
			_, err = st.GetGroupByGIDNumber(t.Context(), g.GIDNumber)
			wantNotFound(t, err, "GetGroupByGIDNumber(deleted)")
			wantGroupRefs(t, "alice's Groups", mustGetUser(t, st, a.ID).Groups, other)
			if gs, err := st.ListGroups(t.Context(), store.GroupQuery{OwnerID: a.ID}); err != nil || len(gs) != 0 {
				t.Errorf("groups owned by alice = %q, %v; want none", groupNames(gs), err)
			}
			wantGroupCount(t, st, 1)
			mustCreateGroupWith(t, st, store.Group{DisplayName: "STAFF", GIDNumber: g.GIDNumber}) // name and gid free again
		}},
		{"DeleteGroup/NotFound", func(t *testing.T, st store.Store) {
			wantNotFound(t, st.DeleteGroup(t.Context(), store.NewID()), "DeleteGroup(unknown)")
			g := mustCreateGroup(t, st, "staff")
			wantOK(t, st.DeleteGroup(t.Context(), g.ID), "DeleteGroup")
			wantNotFound(t, st.DeleteGroup(t.Context(), g.ID), "DeleteGroup twice")
		}},
		{"ListGroups/Order", func(t *testing.T, st store.Store) {
			names := []string{"staff", "Admins", "bakers", "Zoo keepers", "123", "Chefs"}
			for _, n := range names {
				mustCreateGroup(t, st, n)
			}
			got, err := st.ListGroups(t.Context(), store.GroupQuery{})
			wantOK(t, err, "ListGroups")
			wantNames(t, "ListGroups", groupNames(got), sortedFold(names))
		}},
		{"ListGroups/LimitAfter", func(t *testing.T, st store.Store) {
			for _, n := range []string{"c", "B", "a", "D"} {
				mustCreateGroup(t, st, n)
			}
			for _, tc := range []struct {
				after string
				limit int
				want  []string
			}{
				{"", 2, []string{"a", "B"}},
				{"", 0, []string{"a", "B", "c", "D"}},
				{"b", 0, []string{"c", "D"}},
				{"A", 1, []string{"B"}},
				{"bb", 0, []string{"c", "D"}},
				{"d", 0, nil},
			} {
				got, err := st.ListGroups(t.Context(), store.GroupQuery{After: tc.after, Limit: tc.limit})
				wantOK(t, err, "ListGroups")
				wantNames(t, fmt.Sprintf("ListGroups(After %q, Limit %d)", tc.after, tc.limit), groupNames(got), tc.want)
			}
		}},
		{"ListGroups/Pagination", func(t *testing.T, st store.Store) {
			var names []string
			for i := range 17 {
				n := fmt.Sprintf("group %02d", i)
				if i%3 == 0 {
					n = strings.ToUpper(n)
				}
				names = append(names, n)
				mustCreateGroup(t, st, n)
			}
			var got []string
			after := ""
			for page := 0; page < 10; page++ {
				gs, err := st.ListGroups(t.Context(), store.GroupQuery{After: after, Limit: 4})
				wantOK(t, err, "ListGroups")
				if len(gs) == 0 {
					break
				}
				got = append(got, groupNames(gs)...)
				after = gs[len(gs)-1].DisplayName
			}
			wantNames(t, "paginated groups", got, sortedFold(names))
		}},
		{"ListGroups/Filters", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			b := mustCreateUser(t, st, "bob")
			mustCreateGroupWith(t, st, store.Group{DisplayName: "Admins", Description: "People who administrate", Members: refs(a.ID), Owners: refs(b.ID)})
			mustCreateGroupWith(t, st, store.Group{DisplayName: "bakers", Description: "Bread", Members: refs(a.ID, b.ID), Owners: refs(a.ID)})
			mustCreateGroupWith(t, st, store.Group{DisplayName: "cooks", Description: "Kitchen people", Members: refs(b.ID)})
			for _, tc := range []struct {
				name string
				q    store.GroupQuery
				want []string
			}{
				{"SearchName", store.GroupQuery{Search: "ADMIN"}, []string{"Admins"}},
				{"SearchDescription", store.GroupQuery{Search: "bread"}, []string{"bakers"}},
				{"SearchBoth", store.GroupQuery{Search: "people"}, []string{"Admins", "cooks"}},
				{"SearchNone", store.GroupQuery{Search: "nothing"}, nil},
				{"MemberID", store.GroupQuery{MemberID: a.ID}, []string{"Admins", "bakers"}},
				{"MemberIDOther", store.GroupQuery{MemberID: b.ID}, []string{"bakers", "cooks"}},
				{"OwnerID", store.GroupQuery{OwnerID: a.ID}, []string{"bakers"}},
				{"OwnerIDOther", store.GroupQuery{OwnerID: b.ID}, []string{"Admins"}},
				{"UnknownMember", store.GroupQuery{MemberID: store.NewID()}, nil},
				{"MemberAndSearch", store.GroupQuery{MemberID: b.ID, Search: "people"}, []string{"cooks"}},
				{"MemberLimit", store.GroupQuery{MemberID: b.ID, Limit: 1}, []string{"bakers"}},
				{"MemberAfter", store.GroupQuery{MemberID: a.ID, After: "admins"}, []string{"bakers"}},
			} {
				got, err := st.ListGroups(t.Context(), tc.q)
				wantOK(t, err, "ListGroups")
				wantNames(t, fmt.Sprintf("%s: ListGroups(%+v)", tc.name, tc.q), groupNames(got), tc.want)
			}
		}},
		{"CountGroups", func(t *testing.T, st store.Store) {
			wantGroupCount(t, st, 0)
			g := mustCreateGroup(t, st, "a")
			mustCreateGroup(t, st, "b")
			wantGroupCount(t, st, 2)
			wantOK(t, st.DeleteGroup(t.Context(), g.ID), "DeleteGroup")
			wantGroupCount(t, st, 1)
		}},
	}
}
