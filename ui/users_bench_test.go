package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/bolt/bolttest"
	"github.com/canaille-go/canaille/ui"
)

// BenchmarkUserList100k measures the server time of the user list over
// 100,000 users (each in one of 100 groups, some locked), signed in as an
// administrator, for the first page, a search, other orders and late
// pages:
//
//	go test -run '^$' -bench UserList100k -benchtime 20x ./ui/
func BenchmarkUserList100k(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	st := bolttest.Open(b, nil)
	given := []string{"Alice", "Bruno", "Chloé", "David", "Emma", "Farid", "Gaëlle", "Hugo", "Inès", "Jules"}
	family := []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"}
	users := make([]store.User, 0, n+1)
	admin := store.User{ID: store.NewID(), UserName: "admin", GivenName: "Admin", Emails: []string{"admin@example.org"}}
	users = append(users, admin)
	groups := make([]store.Group, 100)
	for i := range groups {
		groups[i] = store.Group{ID: store.NewID(), DisplayName: fmt.Sprintf("team%02d", i)}
	}
	groups = append(groups, store.Group{ID: store.NewID(), DisplayName: "admins", Members: []store.Ref{{ID: admin.ID}}})
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		u := store.User{ID: store.NewID(), UserName: fmt.Sprintf("user%06d", i),
			GivenName: given[i*7%len(given)], FamilyName: family[i*13%len(family)],
			Emails:       []string{fmt.Sprintf("u%06d@example.org", (i*7919)%n)},
			LastModified: base.Add(time.Duration((i*104729)%n) * time.Minute),
			// Beyond the default allocation range (10000-59999).
			UIDNumber: uint32(100_000 + i)}
		if i%10 == 0 {
			u.DisplayName = fmt.Sprintf("%s %s #%d", u.GivenName, u.FamilyName, i)
		}
		if i%97 == 0 {
			u.LockDate = base
		}
		users = append(users, u)
		g := &groups[i%100]
		g.Members = append(g.Members, store.Ref{ID: u.ID})
	}
	start := time.Now()
	if err := st.Import(ctx, users, groups); err != nil {
		b.Fatal(err)
	}
	b.Logf("imported %d users and %d groups in %v", n+1, len(groups), time.Since(start).Round(time.Millisecond))
	app, err := ui.New(ui.Config{BaseURL: &url.URL{Scheme: "http", Host: "example.org"},
		SecretKey: []byte(strings.Repeat("k", 32))}, st)
	if err != nil {
		b.Fatal(err)
	}
	token := store.NewSecret()
	now := time.Now()
	if _, err := st.CreateSession(ctx, store.Session{Token: token, UserID: admin.ID, Created: now, LastSeen: now,
		AuthTime: now, Expires: now.Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	get := func(b *testing.B, path string) {
		req := httptest.NewRequest(http.MethodGet, "http://example.org"+path, nil)
		req.AddCookie(&http.Cookie{Name: "canaille_session", Value: token})
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "ua-table") {
			b.Fatalf("GET %s: %d\n%.2000s", path, rec.Code, rec.Body.String())
		}
	}
	for _, tc := range []struct{ name, path string }{
		{"FirstPage", "/users"},
		{"Search", "/users?q=u00042"},
		{"SearchName", "/users?q=moreau&sort=name&page=20"},
		{"SortByName", "/users?sort=name"},
		{"SortByEmailDesc", "/users?sort=email&order=desc"},
		{"LastModifiedLatePage", "/users?sort=last_modified&order=desc&page=1500"},
		{"LatePage", "/users?page=2000"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			t0 := time.Now()
			get(b, tc.path)
			b.Logf("%s: first request %v", tc.path, time.Since(t0).Round(time.Millisecond))
			for b.Loop() {
				get(b, tc.path)
			}
		})
	}
}
