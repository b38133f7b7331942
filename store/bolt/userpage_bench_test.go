package bolt_test

import (
	"testing"

	"github.com/canaille-go/canaille/store"
)

// BenchmarkListUsersPage lists pages of the shared 100,000-user database
// (bench_test.go) in each order, with and without a search:
//
//	go test -run '^$' -bench ListUsersPage ./store/bolt/
func BenchmarkListUsersPage(b *testing.B) {
	st, _ := benchStore(b)
	for _, tc := range []struct {
		name string
		q    store.UserPageQuery
	}{
		{"FirstPage", store.UserPageQuery{Limit: 50}},
		{"LatePage", store.UserPageQuery{Offset: benchUsers - 50, Limit: 50}},
		{"ByName", store.UserPageQuery{Sort: store.SortName, Limit: 50}},
		{"ByEmailLatePage", store.UserPageQuery{Sort: store.SortEmail, Offset: benchUsers - 50, Limit: 50}},
		{"ByLastModifiedDesc", store.UserPageQuery{Sort: store.SortLastModified, Descending: true, Limit: 50}},
		{"Search", store.UserPageQuery{Search: "user0042", Limit: 50}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			if _, err := st.ListUsersPage(b.Context(), tc.q); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				p, err := st.ListUsersPage(b.Context(), tc.q)
				if err != nil {
					b.Fatal(err)
				}
				if p.Total == 0 || len(p.Users) == 0 {
					b.Fatalf("empty page: %+v", tc.q)
				}
			}
		})
	}
}
