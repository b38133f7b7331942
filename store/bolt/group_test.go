package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// TestGroupCommitConcurrentCreates runs many concurrent token, code and
// JWT ID writes (with fsync, so that groups form while commits wait),
// some of them conflicting: every write that succeeded is stored, and of
// the conflicting ones exactly one succeeded while the others got
// ErrExists, as when each write had its own transaction.
func TestGroupCommitConcurrentCreates(t *testing.T) {
	cfg := testConfig(t, filepath.Join(t.TempDir(), "g.db"))
	cfg.NoSync = false
	s, err := cfg.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	const workers, each = 32, 15
	var mu sync.Mutex
	created := map[string]bool{}
	dupOK, jtiOK, codeDupOK := 0, 0, 0
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				value := fmt.Sprintf("at-%d-%d", w, i)
				if i == 7 {
					value = "the-same-access-token"
				}
				_, err := s.CreateToken(ctx, store.Token{ClientID: "c", AccessToken: value, Lifetime: time.Hour, Type: "access_token"})
				mu.Lock()
				switch {
				case err == nil && i == 7:
					dupOK++
				case err == nil:
					created[value] = true
				case i == 7 && errors.Is(err, store.ErrExists):
				default:
					t.Errorf("CreateToken(%s): %v", value, err)
				}
				mu.Unlock()
			}
			err := s.MarkJTI(ctx, "one-jti", time.Now().Add(time.Hour))
			_, cerr := s.CreateAuthorizationCode(ctx, store.AuthorizationCode{Code: "one-code", ClientID: "c", Lifetime: time.Minute})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				jtiOK++
			case !errors.Is(err, store.ErrExists):
				t.Errorf("MarkJTI: %v", err)
			}
			switch {
			case cerr == nil:
				codeDupOK++
			case !errors.Is(cerr, store.ErrExists):
				t.Errorf("CreateAuthorizationCode: %v", cerr)
			}
		})
	}
	wg.Wait()
	if dupOK != 1 || jtiOK != 1 || codeDupOK != 1 {
		t.Errorf("conflicting writes that succeeded: token %d, jti %d, code %d; want 1 each", dupOK, jtiOK, codeDupOK)
	}
	if len(created) != workers*(each-1) {
		t.Errorf("%d tokens created, want %d", len(created), workers*(each-1))
	}
	for value := range created {
		if _, err := s.GetTokenByAccessToken(ctx, value); err != nil {
			t.Fatalf("token %s acknowledged but not found: %v", value, err)
		}
	}
	if _, err := s.GetTokenByAccessToken(ctx, "the-same-access-token"); err != nil {
		t.Fatal(err)
	}
}

// TestGroupCommitCanceled refuses a write whose context has ended, as
// the other writes do.
func TestGroupCommitCanceled(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "g.db"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.CreateToken(ctx, store.Token{ClientID: "c", AccessToken: "x", Lifetime: time.Hour}); !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateToken with a canceled context: %v", err)
	}
}
