package oidc

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/canaille-go/canaille/store"
)

// corsOrigins allows browsers on the origins of registered clients (their
// client_uri and redirect URIs) to call the protocol endpoints, as
// single-page applications do. The set is rebuilt from the store at most
// every corsTTL.
type corsOrigins struct {
	st interface {
		ListClients(ctx context.Context) ([]store.Client, error)
	}
	mu      sync.Mutex
	origins map[string]bool
	built   time.Time
}

const corsTTL = 30 * time.Second

func (c *corsOrigins) allowed(ctx context.Context, origin string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.origins == nil || time.Since(c.built) > corsTTL {
		clients, err := c.st.ListClients(ctx)
		if err != nil {
			return c.origins[origin]
		}
		m := map[string]bool{}
		for _, cl := range clients {
			for _, raw := range append([]string{cl.ClientURI}, cl.RedirectURIs...) {
				if o := originOf(raw); o != "" {
					m[o] = true
				}
			}
		}
		c.origins, c.built = m, time.Now()
	}
	return c.origins[origin]
}

// invalidate makes the next request rebuild the set (after a client
// changed).
func (c *corsOrigins) invalidate() {
	c.mu.Lock()
	c.origins = nil
	c.mu.Unlock()
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// wrap adds CORS headers for allowed origins.
func (c *corsOrigins) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" {
			w.Header().Add("Vary", "Origin")
			if c.allowed(r.Context(), strings.ToLower(origin)) {
				w.Header().Set("Access-Control-Allow-Origin", origin)
				w.Header().Set("Access-Control-Expose-Headers", "WWW-Authenticate")
			}
		}
		if r.Method == http.MethodOptions {
			c.preflight(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// preflight answers an OPTIONS request; it reports whether it did.
func (c *corsOrigins) preflight(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodOptions {
		return false
	}
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		w.Header().Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		w.Header().Set("Access-Control-Max-Age", "86400")
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}
