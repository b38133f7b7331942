package bolt_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/bolt"
	"github.com/canaille-go/canaille/store/bolt/bolttest"
)

// BenchmarkCreateTokenConcurrent16 issues client-credentials-sized tokens
// (a 950-byte request record, as the OpenID Connect provider stores) from
// 16 goroutines, with fsync on: the token endpoint's write path under load.
// Token values and request IDs are time-ordered, as the provider makes
// them. "grow": 50,000 live tokens, and the file grows as the new ones
// come (as in a benchmark run); "reuse": 50,000 live tokens and 100,000
// expired ones cleaned, whose pages the new ones take (as in a server
// that has been running); "small": the 100,000 cleaned and none live, so
// that the indexes are small.
//
//	go test -run '^$' -bench CreateTokenConcurrent -benchtime 20000x ./store/bolt/
func BenchmarkCreateTokenConcurrent16(b *testing.B) {
	for _, mode := range []string{"grow", "reuse", "small"} {
		b.Run(mode, func(b *testing.B) {
			st, err := bolt.Config{Path: filepath.Join(b.TempDir(), "t.db"), Hasher: bolttest.Hasher(b)}.Open()
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			ctx := context.Background()
			if _, err := st.CreateClient(ctx, store.Client{ID: "app", RedirectURIs: []string{"https://app.example/cb"},
				GrantTypes: []string{"client_credentials"}, ResponseTypes: []string{"code"}, Scope: []string{"profile"},
				TokenEndpointAuthMethod: store.AuthMethodBasic}); err != nil {
				b.Fatal(err)
			}
			data := []byte(`{"session":"` + strings.Repeat("x", 900) + `"}`)
			run := func(n int, lifetime time.Duration) {
				var wg sync.WaitGroup
				var once sync.Once
				for w := range 16 {
					wg.Go(func() {
						for i := w; i < n; i += 16 {
							now := time.Now()
							_, err := st.CreateToken(ctx, store.Token{AccessToken: timePrefix(now) + "." + store.NewSecret(),
								ClientID: "app", Type: "access_token", Scope: []string{"profile"}, Audience: []string{"app"},
								Lifetime: lifetime, RequestID: store.NewTimeID(now), Data: data})
							if err != nil {
								once.Do(func() { b.Error(err) })
								return
							}
						}
					})
				}
				wg.Wait()
			}
			if mode == "grow" {
				run(50_000, time.Hour)
			} else {
				if mode == "reuse" {
					run(50_000, time.Hour)
				}
				run(100_000, time.Second)
				if _, err := st.DeleteExpired(ctx, time.Now().Add(2*time.Second)); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			run(b.N, time.Hour)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// timePrefix is the time prefix of the provider's opaque tokens (see
// store.SecretKey): the milliseconds in base 32, 10 characters.
func timePrefix(t time.Time) string {
	c := strconv.FormatInt(t.UnixMilli(), 32)
	return strings.Repeat("0", 10-len(c)) + c
}
