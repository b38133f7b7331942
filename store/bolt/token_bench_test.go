package bolt_test

import (
	"context"
	"path/filepath"
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
// 16 goroutines into a database that already holds 50,000 tokens, with
// fsync on: the token endpoint's write path under load. Request IDs are
// time-ordered, as the provider makes them.
//
//	go test -run '^$' -bench CreateTokenConcurrent -benchtime 20000x ./store/bolt/
func BenchmarkCreateTokenConcurrent16(b *testing.B) {
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
	issue := func() error {
		_, err := st.CreateToken(ctx, store.Token{AccessToken: store.NewSecret(), ClientID: "app", Subject: "",
			Type: "access_token", Scope: []string{"profile"}, Audience: []string{"app"}, Lifetime: time.Hour,
			RequestID: store.NewTimeID(time.Now()), Data: data})
		return err
	}
	const workers = 16
	run := func(n int) {
		var wg sync.WaitGroup
		var once sync.Once
		for w := range workers {
			wg.Go(func() {
				for i := w; i < n; i += workers {
					if err := issue(); err != nil {
						once.Do(func() { b.Error(err) })
						return
					}
				}
			})
		}
		wg.Wait()
	}
	run(50_000)
	b.ResetTimer()
	run(b.N)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}
