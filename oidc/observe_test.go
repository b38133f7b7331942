package oidc_test

import (
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/canaille-go/canaille/oidc"
)

func TestTokenIssuedHook(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{}
	o := newOP(t, func(c *oidc.Config) {
		c.TokenIssued = func(grant string) {
			mu.Lock()
			got[grant]++
			mu.Unlock()
		}
	})
	for _, secret := range []string{o.secret, "wrong"} {
		resp := postForm(t, o.srv.URL+"/oauth/token", "app", secret, url.Values{"grant_type": {"client_credentials"}, "scope": {"profile"}})
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if secret == o.secret && resp.StatusCode != http.StatusOK {
			t.Fatalf("client_credentials: %d", resp.StatusCode)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got["client_credentials"] != 1 {
		t.Errorf("tokens issued = %v, want one client_credentials (a refused request is not counted)", got)
	}
}
