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
}

// timeCode is the time prefix of the provider's opaque tokens: the
// milliseconds in base 32, 10 characters.
func timeCode(t time.Time) string {
	c := strconv.FormatInt(t.UnixMilli(), 32)
	return strings.Repeat("0", 10-len(c)) + c
}
