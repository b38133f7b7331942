package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// concurrency is the number of goroutines racing in each subtest.
const concurrency = 8

// RunConcurrency tests that a store is safe for concurrent use: readers see
// consistent objects while a writer changes them, and racing writes of a
// unique value or of a read-modify-write closure lose nothing. Run it with
// -race. Each subtest lasts at most about a second.
func RunConcurrency(t *testing.T, s Suite) {
	s.requireFull(t)
	s.subtests(t, []subtest{
		{"ReadersDuringWrites", func(t *testing.T, st store.Store) {
			// Keep at most half of each number range, so that a small range does not run out.
			keep := int64(min(rangeSize(s.POSIX.UIDMin, s.POSIX.UIDMax), rangeSize(s.POSIX.GIDMin, s.POSIX.GIDMax)) / 2)
			testReadersDuringWrites(t, st, keep)
		}},
		{"CreateUser/SameNameRace", func(t *testing.T, st store.Store) {
			ok := race(t, func(i int) error {
				u := newUser("alice")
				u.Emails = []string{fmt.Sprintf("alice%d@example.org", i)}
				_, err := st.CreateUser(t.Context(), u)
				return err
			}, store.ErrExists)
			if ok != 1 {
				t.Errorf("%d creations of alice succeeded, want 1", ok)
			}
			wantUserCount(t, st, 1)
		}},
		{"CreateUser/SameEmailRace", func(t *testing.T, st store.Store) {
			ok := race(t, func(i int) error {
				u := newUser(fmt.Sprintf("user%d", i))
				u.Emails = []string{"shared@example.org"}
				_, err := st.CreateUser(t.Context(), u)
				return err
			}, store.ErrExists)
			if ok != 1 {
				t.Errorf("%d users got the same email, want 1", ok)
			}
		}},
		{"CreateUser/AllocationRace", func(t *testing.T, st store.Store) {
			per := max(1, min(5, rangeSize(s.POSIX.UIDMin, s.POSIX.UIDMax)/concurrency))
			var mu sync.Mutex
			var uids []uint32
			race(t, func(i int) error {
				for j := range per {
					u, err := st.CreateUser(t.Context(), newUser(fmt.Sprintf("user%d-%d", i, j)))
					if err != nil {
						return err
					}
					mu.Lock()
					uids = append(uids, u.UIDNumber)
					mu.Unlock()
				}
				return nil
			})
			slices.Sort(uids)
			if len(slices.Compact(slices.Clone(uids))) != len(uids) {
				t.Errorf("racing creations shared uid numbers: %v", uids)
			}
		}},
		{"CreateGroup/AllocationRace", func(t *testing.T, st store.Store) {
			var mu sync.Mutex
			var gids []uint32
			race(t, func(i int) error {
				g, err := st.CreateGroup(t.Context(), store.Group{DisplayName: fmt.Sprintf("group %d", i)})
				if err == nil {
					mu.Lock()
					gids = append(gids, g.GIDNumber)
					mu.Unlock()
				}
				return err
			})
			slices.Sort(gids)
			if len(slices.Compact(slices.Clone(gids))) != len(gids) {
				t.Errorf("racing creations shared gid numbers: %v", gids)
			}
		}},
		{"UpdateUser/NoLostUpdates", func(t *testing.T, st store.Store) {
			a := mustCreateUser(t, st, "alice")
			race(t, func(int) error {
				for range 10 {
					if _, err := st.UpdateUser(t.Context(), a.ID, func(u *store.User) error { u.HOTPCounter++; return nil }); err != nil {
						return err
					}
				}
				return nil
			})
			if got := mustGetUser(t, st, a.ID).HOTPCounter; got != concurrency*10 {
				t.Errorf("HOTPCounter = %d after %d increments, want no lost update", got, concurrency*10)
			}
		}},
		{"AddMember/Concurrent", func(t *testing.T, st store.Store) {
			g := mustCreateGroup(t, st, "staff")
			var users []store.User
			for i := range concurrency {
				users = append(users, mustCreateUser(t, st, fmt.Sprintf("user%d", i)))
			}
			race(t, func(i int) error { return st.AddMember(t.Context(), g.ID, users[i].ID) })
			wantRefs(t, "Members", mustGetGroup(t, st, g.ID).Members, users...)
		}},
		{"ConsumeTicket/Race", func(t *testing.T, st store.Store) {
			mustCreateTicket(t, st, newTicket(store.TicketPasswordReset, "tk", "", now().Add(time.Hour)))
			ok := race(t, func(int) error {
				_, err := st.ConsumeTicket(t.Context(), store.TicketPasswordReset, "tk", time.Now())
				return err
			}, store.ErrNotFound)
			if ok != 1 {
				t.Errorf("ticket consumed %d times, want once", ok)
			}
		}},
		{"UpdateAuthorizationCode/Race", func(t *testing.T, st store.Store) {
			alice := mustCreateUser(t, st, "alice")
			mustCreateClient(t, st, "app")
			c := mustCreateCode(t, st, newCode("the-code", "app", alice.ID, now()))
			ok := race(t, func(int) error {
				_, err := st.UpdateAuthorizationCode(t.Context(), c.ID, func(c *store.AuthorizationCode) error {
					if !c.RevocationDate.IsZero() {
						return store.ErrConflict
					}
					c.RevocationDate = time.Now()
					return nil
				})
				return err
			}, store.ErrConflict)
			if ok != 1 {
				t.Errorf("code marked used %d times, want once", ok)
			}
		}},
		{"MarkJTI/Race", func(t *testing.T, st store.Store) {
			ok := race(t, func(int) error { return st.MarkJTI(t.Context(), "jti", time.Now().Add(time.Hour)) }, store.ErrExists)
			if ok != 1 {
				t.Errorf("JTI accepted %d times, want once", ok)
			}
		}},
	})
}

// race runs fn in concurrency goroutines at once and returns how many
// succeeded. Errors wrapping one of allowed are expected failures; others
// fail the test.
func race(t *testing.T, fn func(i int) error, allowed ...error) int {
	t.Helper()
	var wg sync.WaitGroup
	var ok atomic.Int32
	start := make(chan struct{})
	errs := make(chan error, concurrency)
	for i := range concurrency {
		wg.Go(func() {
			<-start
			err := fn(i)
			if err == nil {
				ok.Add(1)
				return
			}
			if !slices.ContainsFunc(allowed, func(a error) bool { return errors.Is(err, a) }) {
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("unexpected error in a racing call: %v", err)
	}
	return int(ok.Load())
}

// testReadersDuringWrites runs one writer creating, changing and deleting
// users and groups while readers check that whatever they see is whole.
func testReadersDuringWrites(t *testing.T, st store.Store, keep int64) {
	anchor := mustCreateUser(t, st, "anchor")
	stable := mustCreateGroup(t, st, "stable", anchor.ID)
	deadline := time.Now().Add(time.Second)
	var latest atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup

	wg.Go(func() {
		defer close(done)
		for i := int64(1); time.Now().Before(deadline); i++ {
			if err := writeRound(t, st, i, i%2 == 1 && i/2 < keep, anchor.ID, stable.ID); err != nil {
				t.Errorf("writer round %d: %v", i, err)
				return
			}
			latest.Store(i)
		}
	})
	for r := range 4 {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-done:
					return
				default:
				}
				if err := readRound(t, st, r+n, latest.Load(), stable.ID); err != nil {
					t.Errorf("reader %d: %v", r, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if latest.Load() == 0 {
		t.Error("the writer completed no round")
	}
}

// writeRound creates user cu-i and group cg-i, changes both, and deletes
// them unless keep.
func writeRound(t *testing.T, st store.Store, i int64, keep bool, anchorID, stableID string) error {
	ctx := t.Context()
	name := fmt.Sprintf("cu-%d", i)
	u := newUser(name)
	u.DisplayName = "Display " + name
	u, err := st.CreateUser(ctx, u)
	if err != nil {
		return err
	}
	if err := st.AddMember(ctx, stableID, u.ID); err != nil {
		return err
	}
	g, err := st.CreateGroup(ctx, store.Group{DisplayName: fmt.Sprintf("cg-%d", i), Members: refs(u.ID, anchorID)})
	if err != nil {
		return err
	}
	if _, err := st.UpdateUser(ctx, u.ID, func(u *store.User) error { u.Title = "round"; return nil }); err != nil {
		return err
	}
	if _, err := st.UpdateGroup(ctx, g.ID, func(g *store.Group) error { g.DisplayName += "-renamed"; return nil }); err != nil {
		return err
	}
	if !keep {
		if err := st.DeleteGroup(ctx, g.ID); err != nil {
			return err
		}
		return st.DeleteUser(ctx, u.ID)
	}
	return nil
}

// readRound reads in several ways and checks each object it sees.
func readRound(t *testing.T, st store.Store, n int, latest int64, stableID string) error {
	ctx := t.Context()
	checkUser := func(u store.User) error {
		if strings.HasPrefix(u.UserName, "cu-") && u.DisplayName != "Display "+u.UserName {
			return fmt.Errorf("user %q has display name %q", u.UserName, u.DisplayName)
		}
		for _, r := range u.Groups {
			if r.ID == "" || r.Name == "" {
				return fmt.Errorf("user %q has a group ref %+v", u.UserName, r)
			}
		}
		return nil
	}
	checkGroup := func(g store.Group) error {
		names := store.RefNames(g.Members)
		if !slices.Equal(names, sortedFold(names)) {
			return fmt.Errorf("group %q members not sorted: %q", g.DisplayName, names)
		}
		for _, r := range g.Members {
			if r.ID == "" || r.Name == "" {
				return fmt.Errorf("group %q has a member ref %+v", g.DisplayName, r)
			}
		}
		if strings.HasPrefix(g.DisplayName, "cg-") && !slices.Contains(names, "anchor") {
			return fmt.Errorf("group %q lost its member anchor: %q", g.DisplayName, names)
		}
		return nil
	}
	switch n % 4 {
	case 0:
		a, err := st.GetUserByName(ctx, "anchor")
		if err != nil || a.UserName != "anchor" {
			return fmt.Errorf("GetUserByName(anchor) = %q, %v", a.UserName, err)
		}
		if err := checkUser(a); err != nil {
			return err
		}
		g, err := st.GetGroup(ctx, stableID)
		if err != nil || !slices.Contains(store.RefNames(g.Members), "anchor") {
			return fmt.Errorf("GetGroup(stable) = %q, %v", store.RefNames(g.Members), err)
		}
		return checkGroup(g)
	case 1:
		us, err := st.ListUsers(ctx, store.UserQuery{Limit: 50})
		if err != nil {
			return err
		}
		if names := userNames(us); !slices.Equal(names, sortedFold(names)) {
			return fmt.Errorf("ListUsers not sorted: %q", names)
		}
		for _, u := range us {
			if err := checkUser(u); err != nil {
				return err
			}
		}
	case 2:
		gs, err := st.ListGroups(ctx, store.GroupQuery{Limit: 50})
		if err != nil {
			return err
		}
		for _, g := range gs {
			if err := checkGroup(g); err != nil {
				return err
			}
		}
	case 3:
		name := fmt.Sprintf("cu-%d", max(1, latest-int64(n%3)))
		u, err := st.GetUserByName(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil || u.UserName != name {
			return fmt.Errorf("GetUserByName(%q) = %q, %v", name, u.UserName, err)
		}
		if err := checkUser(u); err != nil {
			return err
		}
		if _, err := st.GetUser(ctx, u.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if c, err := st.CountUsers(ctx); err != nil || c < 1 {
			return fmt.Errorf("CountUsers = %d, %v", c, err)
		}
	}
	return nil
}
