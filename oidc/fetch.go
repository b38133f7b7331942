package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v3"
)

// maxFetch bounds documents downloaded on a client's behalf.
const maxFetch = 64 << 10

// fetch downloads a small https document on behalf of a client (its
// jwks_uri). Only https is followed, the size is capped and the time
// bounded.
func fetch(ctx context.Context, hc *http.Client, raw string) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, errors.New("only https URLs are fetched")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s", u.Host, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxFetch+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFetch {
		return nil, fmt.Errorf("the document is larger than %d bytes", maxFetch)
	}
	return b, nil
}

// jwksFetcher resolves client jwks_uri documents, cached for a minute.
type jwksFetcher struct {
	hc    *http.Client
	mu    sync.Mutex
	cache map[string]jwksEntry
}

type jwksEntry struct {
	set *jose.JSONWebKeySet
	at  time.Time
}

func newJWKSFetcher(hc *http.Client) *jwksFetcher {
	return &jwksFetcher{hc: hc, cache: map[string]jwksEntry{}}
}

func (f *jwksFetcher) Resolve(ctx context.Context, location string, ignoreCache bool) (*jose.JSONWebKeySet, error) {
	f.mu.Lock()
	e, ok := f.cache[location]
	f.mu.Unlock()
	if ok && !ignoreCache && time.Since(e.at) < time.Minute {
		return e.set, nil
	}
	b, err := fetch(ctx, f.hc, location)
	if err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("not a JWK set: %w", err)
	}
	f.mu.Lock()
	if len(f.cache) > 1000 {
		clear(f.cache)
	}
	f.cache[location] = jwksEntry{set: &set, at: time.Now()}
	f.mu.Unlock()
	return &set, nil
}
