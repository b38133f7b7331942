package bolt_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// TestActiveTokensOfRequest: the active tokens of a request are found
// through the request index, which keeps revoked tokens apart
// (UpdateToken and RevokeTokens move their entries); all tokens are still
// listed without Active.
func TestActiveTokensOfRequest(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "f.db"))
	ctx := context.Background()
	now := time.Now()
	var ids []string
	for i := range 6 {
		tok, err := s.CreateToken(ctx, store.Token{ClientID: "c", AccessToken: fmt.Sprint("at-", i),
			Lifetime: time.Hour, RequestID: "family", Type: "access_token"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tok.ID)
	}
	other, err := s.CreateToken(ctx, store.Token{ClientID: "c", AccessToken: "other", Lifetime: time.Hour, RequestID: "family-2"})
	if err != nil {
		t.Fatal(err)
	}
	revoke := func(t *store.Token) error { t.RevocationDate = now; return nil }
	for _, id := range ids[:3] {
		if _, err := s.UpdateToken(ctx, id, revoke); err != nil {
			t.Fatal(err)
		}
	}
	active := func() []string {
		t.Helper()
		ts, err := s.ListTokens(ctx, store.TokenQuery{RequestID: "family", Active: true, ActiveAt: now})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tok := range ts {
			out = append(out, tok.ID)
		}
		slices.Sort(out)
		return out
	}
	want := slices.Sorted(slices.Values(ids[3:]))
	if got := active(); !slices.Equal(got, want) {
		t.Errorf("active tokens %v, want %v", got, want)
	}
	// Un-revoking (no caller does, but the store allows it) moves the entry back.
	if _, err := s.UpdateToken(ctx, ids[0], func(t *store.Token) error { t.RevocationDate = time.Time{}; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := active(); len(got) != 4 || !slices.Contains(got, ids[0]) {
		t.Errorf("after un-revoking: %v", got)
	}
	if n, err := s.RevokeTokens(ctx, store.TokenQuery{RequestID: "family"}, now); err != nil || n != 4 {
		t.Fatalf("RevokeTokens = %d, %v; want 4", n, err)
	}
	if got := active(); len(got) != 0 {
		t.Errorf("after RevokeTokens: %v still active", got)
	}
	all, err := s.ListTokens(ctx, store.TokenQuery{RequestID: "family"})
	if err != nil || len(all) != 6 {
		t.Errorf("all tokens of the request: %d, %v; want 6", len(all), err)
	}
	if ts, _ := s.ListTokens(ctx, store.TokenQuery{RequestID: "family-2", Active: true, ActiveAt: now}); len(ts) != 1 || ts[0].ID != other.ID {
		t.Errorf("the other request: %v", ts)
	}
	// Deleting a revoked token removes its index entry.
	if err := s.DeleteToken(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.ListTokens(ctx, store.TokenQuery{RequestID: "family"}); len(all) != 5 {
		t.Errorf("after a deletion: %d tokens, want 5", len(all))
	}
}
