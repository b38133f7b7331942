package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store/bolt/bolttest"
)

// TestSigningKeyRotation: replacing the key file makes the new key sign;
// the old one is recorded as retired and still published, then removed
// once retiredKeyLifetime has passed.
func TestSigningKeyRotation(t *testing.T) {
	dir := t.TempDir()
	st := bolttest.Open(t, nil)
	cfg := DefaultConfig()
	cfg.OIDC.JWT.PrivateKey = filepath.Join(dir, "private.pem")
	write := func(alg string) {
		priv, _, err := generateKeyPair(alg)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cfg.OIDC.JWT.PrivateKey, priv, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.OIDC.JWT.Alg = "ES256"
	write("ES256")
	k, err := newOIDCKeys(ctx, cfg, st, log)
	if err != nil {
		t.Fatal(err)
	}
	first := k.set.Current().ID

	// A key file replaced with a different mtime is noticed.
	write("ES256")
	later := time.Now().Add(time.Minute)
	os.Chtimes(cfg.OIDC.JWT.PrivateKey, later, later)
	if !k.changed() {
		t.Fatal("the new key file went unnoticed")
	}
	if err := k.load(ctx); err != nil {
		t.Fatal(err)
	}
	if cur := k.set.Current().ID; cur == first {
		t.Fatal("the new key does not sign")
	}
	if n := len(k.set.JWKS().Keys); n != 2 {
		t.Fatalf("%d published keys, want the new and the retired one", n)
	}
	keys, _ := st.ListSigningKeys(ctx)
	retired := 0
	for _, sk := range keys {
		if sk.ID == first && !sk.Retired.IsZero() {
			retired++
			// Pretend it retired long ago: the next load removes it.
			sk.Retired = time.Now().Add(-retiredKeyLifetime - time.Hour)
			if err := st.PutSigningKey(ctx, sk); err != nil {
				t.Fatal(err)
			}
		}
	}
	if retired != 1 {
		t.Fatalf("the old key is not recorded as retired: %+v", keys)
	}
	if err := k.load(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(k.set.JWKS().Keys); n != 1 {
		t.Errorf("%d published keys after the retired one expired, want 1", n)
	}

	// A key that does not match ALG is refused, naming the setting.
	write("EdDSA")
	if err := k.load(ctx); err == nil {
		t.Error("an EdDSA key was accepted for ES256")
	}
}

// TestRegistrationTokenCommand: a token printed by the command lets an
// application register itself at the running server.
func TestRegistrationTokenCommand(t *testing.T) {
	te := newTestEnv(t)
	te.install()
	tok := strings.TrimSpace(te.ok("", "registration-token", "--client-id", "wiki", "--lifetime", "PT1H"))
	te.fails(2, []string{"--lifetime"}, "registration-token", "--lifetime", "soon")
	logs := te.startServer()
	addr := webAddr(t, logs)
	register := func(token string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/oauth/register",
			strings.NewReader(`{"redirect_uris":["https://wiki.example.org/cb"],"client_name":"Wiki"}`))
		req.Host = "auth.example.org"
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := register(tok + "x"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("a tampered token: %d", r.StatusCode)
	}
	if r := register(tok); r.StatusCode != http.StatusCreated {
		t.Fatalf("registration with the token: %d", r.StatusCode)
	}
	if out := te.ok("", "get", "client", "wiki"); !strings.Contains(out, `"client_name": "Wiki"`) && !strings.Contains(out, `"client_name":"Wiki"`) {
		t.Errorf("registered client: %s", out)
	}
}
