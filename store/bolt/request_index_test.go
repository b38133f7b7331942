package bolt

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/password"
)

// A refresh token family keeps all its tokens under one request ID. The
// listing of its active tokens, which every rotation makes, must visit
// the active ones only (revoked ones are under request\1id), and the
// entries of files written before (revoked tokens under request\0id with
// the value revokedMark) must still list, move and delete right.
func TestRequestIndexFamily(t *testing.T) {
	h, err := password.NewHasher(password.Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Config{Path: filepath.Join(t.TempDir(), "f.db"), Hasher: h, NoSync: true}.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if _, err := st.CreateClient(ctx, store.Client{ID: "app", RedirectURIs: []string{"https://app.example/cb"},
		GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
		Scope: []string{"openid"}, TokenEndpointAuthMethod: store.AuthMethodBasic}); err != nil {
		t.Fatal(err)
	}
	const req = "req-1"
	var ids []string
	for i := range 12 {
		tok := store.Token{ClientID: "app", Type: "access_token", Lifetime: time.Hour, RequestID: req,
			AccessToken: "access-" + store.NewSecret()}
		if i%2 == 1 {
			tok.Type, tok.AccessToken, tok.RefreshToken = "refresh_token", "", "refresh-"+store.NewSecret()
		}
		created, err := st.CreateToken(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, created.ID)
	}
	// Another request whose ID extends this one's: never in its listings.
	if _, err := st.CreateToken(ctx, store.Token{ClientID: "app", Type: "access_token", Lifetime: time.Hour,
		RequestID: req + "x", AccessToken: "access-" + store.NewSecret()}); err != nil {
		t.Fatal(err)
	}

	// Rotations: every token but the last two revoked, one by one or all
	// at once.
	now := time.Now()
	for _, id := range ids[:6] {
		if _, err := st.UpdateToken(ctx, id, func(t *store.Token) error { t.RevocationDate = now; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := st.RevokeTokens(ctx, store.TokenQuery{RequestID: req}, now); err != nil || n != 6 {
		t.Fatalf("RevokeTokens = %d, %v; want 6", n, err)
	}
	for _, id := range ids[10:] {
		if _, err := st.UpdateToken(ctx, id, func(t *store.Token) error { t.RevocationDate = time.Time{}; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	active, revoked := ids[10:], ids[:10]
	checkFamily(t, st, req, active, ids)
	visited := entries(t, st, pair(req, ""))
	if !slices.Equal(visited, slices.Sorted(slices.Values(active))) {
		t.Errorf("entries under request\\0: %v, want only the active %v", visited, active)
	}
	if got := entries(t, st, revokedPair(req, "")); !slices.Equal(got, slices.Sorted(slices.Values(revoked))) {
		t.Errorf("entries under request\\1: %v, want the revoked %v", got, revoked)
	}

	// Entries as files written before keep them: the first four revoked
	// tokens under request\0 with revokedMark.
	legacy := revoked[:4]
	err = st.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bTokenRequest)
		for _, id := range legacy {
			if err := b.Delete(revokedPair(req, id)); err != nil {
				return err
			}
			if err := b.Put(pair(req, id), revokedMark); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkFamily(t, st, req, active, ids)

	// Restoring a token with a legacy entry moves it; deleting one removes
	// its entry, as deleting a new-style revoked one does.
	if _, err := st.UpdateToken(ctx, legacy[0], func(t *store.Token) error { t.RevocationDate = time.Time{}; return nil }); err != nil {
		t.Fatal(err)
	}
	active = append([]string{legacy[0]}, active...)
	checkFamily(t, st, req, active, ids)
	for _, id := range []string{legacy[1], revoked[6], active[1]} {
		if err := st.DeleteToken(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	active = slices.DeleteFunc(active, func(id string) bool { return id == ids[10] })
	all := slices.DeleteFunc(slices.Clone(ids), func(id string) bool {
		return id == legacy[1] || id == revoked[6] || id == ids[10]
	})
	checkFamily(t, st, req, active, all)
	for _, id := range []string{legacy[1], revoked[6], ids[10]} {
		err := st.db.View(func(tx *bbolt.Tx) error {
			b := tx.Bucket(bTokenRequest)
			if b.Get(pair(req, id)) != nil || b.Get(revokedPair(req, id)) != nil {
				t.Errorf("deleted token %s still has a tokens_by_request entry", id)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// checkFamily checks the listings of request req: the active tokens, and
// all of them, each once.
func checkFamily(t *testing.T, st *Store, req string, active, all []string) {
	t.Helper()
	ctx := context.Background()
	list := func(q store.TokenQuery) []string {
		ts, err := st.ListTokens(ctx, q)
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
	want := slices.Sorted(slices.Values(active))
	if got := list(store.TokenQuery{RequestID: req, Active: true, ActiveAt: time.Now()}); !slices.Equal(got, want) {
		t.Errorf("active tokens of %s: %v, want %v", req, got, want)
	}
	want = slices.Sorted(slices.Values(all))
	if got := list(store.TokenQuery{RequestID: req}); !slices.Equal(got, want) {
		t.Errorf("tokens of %s: %v, want %v", req, got, want)
	}
}

// entries lists the token IDs of the tokens_by_request keys that start
// with prefix.
func entries(t *testing.T, st *Store, prefix []byte) []string {
	t.Helper()
	var out []string
	err := st.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bTokenRequest).Cursor()
		for k, _ := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
			out = append(out, string(k[len(prefix):]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
