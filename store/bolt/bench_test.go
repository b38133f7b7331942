package bolt_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/bolt"
	"github.com/canaille-go/canaille/store/password"
)

// The benchmarks run on one database of benchUsers users and benchGroups
// groups (each user in 3 groups), built once per process:
//
//	go test -run '^$' -bench . -benchtime 200000x ./store/bolt/
const (
	benchUsers  = 100_000
	benchGroups = 10_000
)

var bench struct {
	once  sync.Once
	dir   string
	store *bolt.Store
	users []store.User
	err   error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.store != nil {
		bench.store.Close()
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// benchStore returns the shared database, building it on first use.
func benchStore(b *testing.B) (*bolt.Store, []store.User) {
	b.Helper()
	bench.once.Do(func() {
		bench.dir, bench.err = os.MkdirTemp("", "canaille-bench-")
		if bench.err != nil {
			return
		}
		h, err := password.NewHasher(password.DefaultParams(), 0)
		if err != nil {
			bench.err = err
			return
		}
		cfg := bolt.Config{Path: filepath.Join(bench.dir, "bench.db"), Hasher: h, POSIX: store.DefaultPOSIX()}
		cfg.POSIX.UIDMax, cfg.POSIX.GIDMax = 2_000_000, 2_000_000
		if bench.store, bench.err = cfg.Open(); bench.err != nil {
			return
		}
		users := make([]store.User, benchUsers)
		for i := range users {
			users[i] = store.User{ID: store.NewID(), UserName: fmt.Sprintf("user%06d", i),
				GivenName: "Given", FamilyName: fmt.Sprintf("Family%d", i), FormattedName: fmt.Sprintf("Given Family%d", i),
				Emails:       []string{fmt.Sprintf("user%06d@example.org", i)},
				PhoneNumbers: []string{"+33 1 23 45 67 89"}, Title: "Engineer", Organization: "Example",
				// slappasswd -h {SSHA} -s secret
				PasswordHash: "{SSHA}6PhtXSXoZJiFWBlvQg2+SklZ1zHF7dVm",
			}
		}
		groups := make([]store.Group, benchGroups)
		for i := range groups {
			groups[i] = store.Group{ID: store.NewID(), DisplayName: fmt.Sprintf("group%05d", i)}
		}
		for i := range users {
			for k := range 3 {
				g := &groups[(i*7+k*3331)%benchGroups]
				g.Members = append(g.Members, store.Ref{ID: users[i].ID})
			}
		}
		if bench.err = bench.store.Import(context.Background(), users, groups); bench.err != nil {
			return
		}
		for i := range users {
			if users[i], bench.err = bench.store.GetUser(context.Background(), users[i].ID); bench.err != nil {
				return
			}
		}
		bench.users = users
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.store, bench.users
}

// benchRead runs a read in a loop over random users and reports the
// median and p99 latency beside ns/op.
func benchRead(b *testing.B, fn func(s *bolt.Store, u *store.User) error) {
	s, users := benchStore(b)
	lat := make([]time.Duration, 0, b.N)
	r := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	for b.Loop() {
		u := &users[r.IntN(len(users))]
		start := time.Now()
		if err := fn(s, u); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, lat)
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1000, "µs-p50")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1000, "µs-p99")
}

func BenchmarkGetUserByName(b *testing.B) {
	ctx := context.Background()
	benchRead(b, func(s *bolt.Store, u *store.User) error { _, err := s.GetUserByName(ctx, u.UserName); return err })
}

func BenchmarkGetUserByEmail(b *testing.B) {
	ctx := context.Background()
	benchRead(b, func(s *bolt.Store, u *store.User) error { _, err := s.GetUserByEmail(ctx, u.Emails[0]); return err })
}

func BenchmarkGetUserByUIDNumber(b *testing.B) {
	ctx := context.Background()
	benchRead(b, func(s *bolt.Store, u *store.User) error { _, err := s.GetUserByUIDNumber(ctx, u.UIDNumber); return err })
}

// BenchmarkUserGroups reads a user by ID with the names of its groups
// (what LDAP's memberOf and the ACL evaluation need): one prefix scan of
// the membership index beside the record.
func BenchmarkUserGroups(b *testing.B) {
	ctx := context.Background()
	benchRead(b, func(s *bolt.Store, u *store.User) error {
		got, err := s.GetUser(ctx, u.ID)
		if err == nil && len(got.Groups) != 3 {
			err = fmt.Errorf("%d groups", len(got.Groups))
		}
		return err
	})
}

// BenchmarkListUserGroups lists the groups of a user as whole objects, each
// with its ~30 members resolved to names.
func BenchmarkListUserGroups(b *testing.B) {
	ctx := context.Background()
	benchRead(b, func(s *bolt.Store, u *store.User) error {
		gs, err := s.ListGroups(ctx, store.GroupQuery{MemberID: u.ID})
		if err == nil && len(gs) != 3 {
			err = fmt.Errorf("%d groups", len(gs))
		}
		return err
	})
}

// BenchmarkListGroupMembers reads a group with its ~30 members.
func BenchmarkListGroupMembers(b *testing.B) {
	ctx := context.Background()
	benchRead(b, func(s *bolt.Store, u *store.User) error {
		g, err := s.GetGroup(ctx, u.Groups[0].ID)
		if err == nil && len(g.Members) == 0 {
			err = fmt.Errorf("no members")
		}
		return err
	})
}

// BenchmarkAuthenticateArgon2id measures a login at the default argon2id
// parameters (t=3, m=64 MiB, p=4): the hash time bounds logins per second.
func BenchmarkAuthenticateArgon2id(b *testing.B) {
	s, users := benchStore(b)
	ctx := context.Background()
	u := users[0]
	if err := s.SetPassword(ctx, u.ID, "correct horse battery"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Authenticate(ctx, u.UserName, "correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateUser creates users in the 100k database, each in its own
// durable (fsynced) transaction.
func BenchmarkCreateUser(b *testing.B) {
	s, _ := benchStore(b)
	ctx := context.Background()
	var lat []time.Duration
	i := 0
	for b.Loop() {
		i++
		start := time.Now()
		_, err := s.CreateUser(ctx, store.User{UserName: fmt.Sprintf("new%d-%d", time.Now().UnixNano(), i),
			Emails: []string{fmt.Sprintf("new%d-%d@example.org", time.Now().UnixNano(), i)}})
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// BenchmarkBackupUnderLoad copies the 100k database while one goroutine
// writes and another reads. It reports the reads' p99 and worst latency
// during the copies, and in a window of the same length without copies
// before them: readers must not wait for a backup.
func BenchmarkBackupUnderLoad(b *testing.B) {
	s, users := benchStore(b)
	ctx := context.Background()
	var stop atomic.Bool
	var wg sync.WaitGroup
	var writes atomic.Int64
	wg.Go(func() {
		for i := 0; !stop.Load() && os.Getenv("BENCH_NO_WRITER") == ""; i++ {
			_, err := s.CreateUser(ctx, store.User{UserName: fmt.Sprintf("bk%d-%d", time.Now().UnixNano(), i)})
			if err != nil {
				b.Error(err)
				return
			}
			writes.Add(1)
		}
	})
	var mu sync.Mutex
	var lat []time.Duration
	wg.Go(func() {
		r := rand.New(rand.NewPCG(3, 4))
		for !stop.Load() {
			start := time.Now()
			if _, err := s.GetUserByName(ctx, users[r.IntN(len(users))].UserName); err != nil {
				b.Error(err)
				return
			}
			d := time.Since(start)
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
		}
	})
	window := func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		out := lat
		lat = nil
		return out
	}
	// Baseline: the same load without backups, for as long as the backups
	// will take (measured on one copy).
	start := time.Now()
	if _, err := s.Backup(ctx, io.Discard); err != nil {
		b.Fatal(err)
	}
	one := time.Since(start)
	window()
	time.Sleep(one * time.Duration(max(b.N, 1)))
	base := window()
	// The copies are timed by hand: the testing package's timer calls
	// runtime.ReadMemStats, which stops the world and would be counted
	// as read latency.
	var size int64
	b.StopTimer()
	start = time.Now()
	for range b.N {
		n, err := s.Backup(ctx, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		size = n
	}
	elapsed := time.Since(start)
	during := window()
	stop.Store(true)
	wg.Wait()
	q := func(l []time.Duration, p float64) float64 {
		if len(l) == 0 {
			return 0
		}
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		return float64(l[min(len(l)-1, int(float64(len(l))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(size)/(1<<20), "MiB")
	b.ReportMetric(float64(elapsed.Milliseconds())/float64(b.N), "ms/backup")
	b.ReportMetric(q(during, 0.99), "ms-read-p99")
	b.ReportMetric(q(during, 1), "ms-read-max")
	b.ReportMetric(q(base, 0.99), "ms-read-p99-nobackup")
	b.ReportMetric(q(base, 1), "ms-read-max-nobackup")
	b.ReportMetric(float64(writes.Load()), "writes")
}
