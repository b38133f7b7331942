package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// RunUserPages tests store.PageUsers over the backend: through its
// store.UserPager when it has one, and through the ListUsers fallback
// (the backend seen as a plain Directory), which must agree.
func RunUserPages(t *testing.T, s Suite) {
	t.Run("Pager", func(t *testing.T) {
		if _, ok := s.New(t).(store.UserPager); !ok {
			t.Skip("the backend has no UserPager")
		}
		s.subtests(t, userPageTests(func(st store.Store) store.Directory { return st }))
	})
	t.Run("Fallback", func(t *testing.T) {
		s.subtests(t, userPageTests(func(st store.Store) store.Directory { return plainDirectory{st} }))
	})
}

// plainDirectory hides every method but those of store.Directory.
type plainDirectory struct{ store.Directory }

// pageFixture creates users whose orders differ by each key, with
// distinct modification times.
func pageFixture(t *testing.T, st store.Store) {
	t.Helper()
	for _, u := range []store.User{
		{UserName: "dave", DisplayName: "Zorro", Emails: []string{"b@example.org"}},
		{UserName: "Alice", GivenName: "Mary", FamilyName: "Smith", Emails: []string{"D@example.org", "a@example.net"}},
		{UserName: "carol", FormattedName: "Anne Carol"},
		{UserName: "bob", DisplayName: "bobby", Emails: []string{"c@example.org"}},
		{UserName: "eve", GivenName: "Eve", Emails: []string{"a@example.org"}},
	} {
		mustCreateUserWith(t, st, u)
		time.Sleep(2 * time.Millisecond)
	}
}

func userPageTests(dir func(store.Store) store.Directory) []subtest {
	page := func(t *testing.T, d store.Directory, q store.UserPageQuery) ([]string, int) {
		t.Helper()
		p, err := store.PageUsers(t.Context(), d, q)
		wantOK(t, err, fmt.Sprintf("PageUsers(%+v)", q))
		if q.Limit > 0 && len(p.Users) > q.Limit {
			t.Fatalf("PageUsers(%+v): %d users, limit %d", q, len(p.Users), q.Limit)
		}
		return userNames(p.Users), p.Total
	}
	return []subtest{
		{"UserPages/Orders", func(t *testing.T, st store.Store) {
			pageFixture(t, st)
			d := dir(st)
			for _, tc := range []struct {
				sort store.UserSort
				want []string
			}{
				{"", []string{"Alice", "bob", "carol", "dave", "eve"}},
				{store.SortUserName, []string{"Alice", "bob", "carol", "dave", "eve"}},
				// Anne Carol, bobby, Eve, Mary Smith, Zorro
				{store.SortName, []string{"carol", "bob", "eve", "Alice", "dave"}},
				// a@, b@, c@, d@ (case-insensitive), then carol without one
				{store.SortEmail, []string{"eve", "dave", "bob", "Alice", "carol"}},
				{store.SortLastModified, []string{"dave", "Alice", "carol", "bob", "eve"}},
			} {
				got, total := page(t, d, store.UserPageQuery{Sort: tc.sort})
				wantNames(t, fmt.Sprintf("sort %q", tc.sort), got, tc.want)
				if total != 5 {
					t.Errorf("sort %q: total %d, want 5", tc.sort, total)
				}
				got, _ = page(t, d, store.UserPageQuery{Sort: tc.sort, Descending: true})
				rev := make([]string, len(tc.want))
				for i, n := range tc.want {
					rev[len(rev)-1-i] = n
				}
				wantNames(t, fmt.Sprintf("sort %q descending", tc.sort), got, rev)
			}
		}},
		{"UserPages/OffsetLimit", func(t *testing.T, st store.Store) {
			pageFixture(t, st)
			d := dir(st)
			for _, tc := range []struct {
				q     store.UserPageQuery
				want  []string
				total int
			}{
				{store.UserPageQuery{Limit: 2}, []string{"Alice", "bob"}, 5},
				{store.UserPageQuery{Offset: 2, Limit: 2}, []string{"carol", "dave"}, 5},
				{store.UserPageQuery{Offset: 4, Limit: 2}, []string{"eve"}, 5},
				{store.UserPageQuery{Offset: 9, Limit: 2}, nil, 5},
				{store.UserPageQuery{Offset: -3, Limit: 1}, []string{"Alice"}, 5},
				{store.UserPageQuery{Offset: 1, Limit: 2, Descending: true}, []string{"dave", "carol"}, 5},
				{store.UserPageQuery{Offset: 1, Limit: 2, Sort: store.SortName}, []string{"bob", "eve"}, 5},
				{store.UserPageQuery{Offset: 3, Sort: store.SortEmail}, []string{"Alice", "carol"}, 5},
				{store.UserPageQuery{Search: "example.org", Limit: 1, Offset: 1, Sort: store.SortEmail}, []string{"dave"}, 4},
			} {
				got, total := page(t, d, tc.q)
				wantNames(t, fmt.Sprintf("%+v", tc.q), got, tc.want)
				if total != tc.total {
					t.Errorf("%+v: total %d, want %d", tc.q, total, tc.total)
				}
			}
		}},
		{"UserPages/Search", func(t *testing.T, st store.Store) {
			pageFixture(t, st)
			d := dir(st)
			for _, tc := range []struct {
				search string
				want   []string
			}{
				{"ZOR", []string{"dave"}},          // display name
				{"smith", []string{"Alice"}},       // family name
				{"anne", []string{"carol"}},        // formatted name
				{"ALI", []string{"Alice"}},         // user name
				{"example.net", []string{"Alice"}}, // second email
				{"b", []string{"bob", "dave"}},
				{"nobody", nil},
				{"a\x00b", nil},
			} {
				for _, sort := range store.UserSorts {
					got, total := page(t, d, store.UserPageQuery{Search: tc.search, Sort: sort, Limit: 10})
					if sort == store.SortUserName {
						wantNames(t, fmt.Sprintf("search %q", tc.search), got, tc.want)
					}
					if total != len(tc.want) || len(got) != len(tc.want) {
						t.Errorf("search %q sort %q: %v (total %d), want %v", tc.search, sort, got, total, tc.want)
					}
				}
			}
		}},
		{"UserPages/SeesChanges", func(t *testing.T, st store.Store) {
			pageFixture(t, st)
			d := dir(st)
			// A first listing, then changes, then the same listing.
			page(t, d, store.UserPageQuery{Sort: store.SortName})
			page(t, d, store.UserPageQuery{Search: "a"})
			eve, err := st.GetUserByName(t.Context(), "eve")
			wantOK(t, err, "GetUserByName")
			mustUpdateUser(t, st, eve.ID, func(u *store.User) error {
				u.DisplayName = "Aaron"
				u.Emails = nil
				return nil
			})
			bob, err := st.GetUserByName(t.Context(), "bob")
			wantOK(t, err, "GetUserByName")
			wantOK(t, st.DeleteUser(t.Context(), bob.ID), "DeleteUser")
			mustCreateUserWith(t, st, store.User{UserName: "frank", DisplayName: "Ada"})
			got, total := page(t, d, store.UserPageQuery{Sort: store.SortName})
			wantNames(t, "after changes, by name", got, []string{"eve", "frank", "carol", "Alice", "dave"})
			if total != 5 {
				t.Errorf("total %d after changes, want 5", total)
			}
			got, _ = page(t, d, store.UserPageQuery{Sort: store.SortEmail})
			wantNames(t, "after changes, by email", got, []string{"dave", "Alice", "carol", "eve", "frank"})
			got, _ = page(t, d, store.UserPageQuery{Search: "aaron"})
			wantNames(t, "search of the new name", got, []string{"eve"})
			got, _ = page(t, d, store.UserPageQuery{Search: "bobby"})
			wantNames(t, "search of a deleted user", got, nil)
			got, _ = page(t, d, store.UserPageQuery{Sort: store.SortLastModified, Descending: true, Limit: 2})
			wantNames(t, "most recently modified", got, []string{"frank", "eve"})
		}},
		{"UserPages/FullUsers", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			g := mustCreateGroup(t, st, "staff", a.ID)
			mustUpdateUser(t, st, a.ID, func(u *store.User) error {
				u.LockDate = now()
				return nil
			})
			for _, sort := range store.UserSorts {
				p, err := store.PageUsers(t.Context(), dir(st), store.UserPageQuery{Sort: sort})
				wantOK(t, err, "PageUsers")
				if len(p.Users) != 1 {
					t.Fatalf("sort %q: %d users", sort, len(p.Users))
				}
				u := p.Users[0]
				if u.ID != a.ID || len(u.Groups) != 1 || u.Groups[0].ID != g.ID || u.LockDate.IsZero() || u.UIDNumber == 0 {
					t.Errorf("sort %q: listed user %+v lacks its groups, lock date or numbers", sort, u)
				}
			}
		}},
		{"UserPages/Empty", func(t *testing.T, st store.Store) {
			for _, sort := range store.UserSorts {
				for _, search := range []string{"", "x"} {
					got, total := page(t, dir(st), store.UserPageQuery{Sort: sort, Search: search})
					if len(got) != 0 || total != 0 {
						t.Errorf("empty store, sort %q, search %q: %v, total %d", sort, search, got, total)
					}
				}
			}
		}},
	}
}
