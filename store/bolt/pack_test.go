package bolt

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/password"
)

// TestAppendedIndexesPacked: the buckets whose keys grow with time (token
// records, their expiry, their client and time-prefixed secret indexes)
// keep packed pages, not bbolt's half-full ones.
func TestAppendedIndexesPacked(t *testing.T) {
	h, err := password.NewHasher(password.Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Config{Path: filepath.Join(t.TempDir(), "c.db"), Hasher: h, NoSync: true}.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if _, err := st.CreateClient(ctx, store.Client{ID: "app", RedirectURIs: []string{"https://app.example/cb"},
		GrantTypes: []string{"client_credentials"}, ResponseTypes: []string{"code"},
		TokenEndpointAuthMethod: store.AuthMethodBasic}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range 4000 {
		now := start.Add(time.Duration(i) * time.Millisecond)
		if _, err := st.CreateToken(ctx, store.Token{AccessToken: timeCode(now) + "." + store.NewSecret(),
			ClientID: "app", Type: "access_token", Lifetime: time.Hour, IssueDate: now,
			RequestID: store.NewTimeID(now), Data: []byte(`{"id":"x"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	st.db.View(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bTokens, bExpiry, bTokenClient, bTokenAccess} {
			s := tx.Bucket(b).Stats()
			if fill := float64(s.LeafInuse) / float64(s.LeafAlloc); fill < 0.7 { // bbolt alone leaves them half full
				t.Errorf("%s: leaf pages %.0f%% full (%d pages)", b, 100*fill, s.LeafPageN)
			}
		}
		return nil
	})

	// Records of the size of a real token's (about 900 bytes), committed
	// eight at a time as the group commit does under load, fill their
	// pages four to a page, not three. (A commit of a single record splits
	// a full page two and three: bbolt leaves at least two keys in the
	// second half.)
	big, err := Config{Path: filepath.Join(t.TempDir(), "big.db"), Hasher: h, NoSync: true}.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	if _, err := big.CreateClient(ctx, store.Client{ID: "app", RedirectURIs: []string{"https://app.example/cb"},
		GrantTypes: []string{"client_credentials"}, ResponseTypes: []string{"code"},
		TokenEndpointAuthMethod: store.AuthMethodBasic}); err != nil {
		t.Fatal(err)
	}
	data := []byte(`{"session":"` + strings.Repeat("x", 560) + `"}`)
	var bctx context.Context
	for i := range 2000 {
		if i%8 == 0 {
			bctx = store.WithBatch(ctx)
		}
		now := start.Add(time.Duration(i) * time.Millisecond)
		if _, err := big.CreateToken(bctx, store.Token{AccessToken: timeCode(now) + "." + store.NewSecret(),
			ClientID: "app", Type: "access_token", Lifetime: time.Hour, IssueDate: now,
			RequestID: store.NewTimeID(now), Data: data}); err != nil {
			t.Fatal(err)
		}
		if i%8 == 7 {
			if err := store.CommitBatch(bctx, big); err != nil {
				t.Fatal(err)
			}
		}
	}
	big.db.View(func(tx *bbolt.Tx) error {
		k, v := tx.Bucket(bTokens).Cursor().Last()
		s := tx.Bucket(bTokens).Stats()
		if fill := float64(s.LeafInuse) / float64(s.LeafAlloc); fill < 0.85 {
			t.Errorf("tokens of %d bytes: leaf pages %.0f%% full (%d pages for %d)", len(k)+len(v), 100*fill, s.LeafPageN, s.KeyN)
		}
		return nil
	})
}

// timeCode is the time prefix of the provider's opaque tokens: the
// milliseconds in base 32, 10 characters.
func timeCode(t time.Time) string {
	c := strconv.FormatInt(t.UnixMilli(), 32)
	return strings.Repeat("0", 10-len(c)) + c
}
