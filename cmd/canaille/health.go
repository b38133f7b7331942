package main

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/canaille-go/canaille/store"
)

// health answers the probes: /healthz (the process runs and the store
// answers) and /readyz (and every component is up: the listeners, the
// OpenID Connect keys; false again as soon as shutdown begins).
type health struct {
	st    store.Directory
	keys  *oidcKeys // nil when OpenID Connect is off
	ready atomic.Bool
}

// storeOK is a cheap read of the store.
func (h *health) storeOK(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := h.st.CountGroups(ctx)
	return err == nil
}

// notReady returns why the server is not ready, "" when it is.
func (h *health) notReady(ctx context.Context) string {
	switch {
	case !h.ready.Load():
		return "starting or shutting down"
	case !h.storeOK(ctx):
		return "store unavailable"
	case h.keys != nil && (h.keys.set == nil || h.keys.set.Current() == nil):
		return "OpenID Connect keys not loaded"
	}
	return ""
}

func plainNoStore(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
}

func (h *health) healthz(w http.ResponseWriter, r *http.Request) {
	plainNoStore(w)
	if !h.storeOK(r.Context()) {
		http.Error(w, "store unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ok\n"))
}

func (h *health) readyz(w http.ResponseWriter, r *http.Request) {
	plainNoStore(w)
	if why := h.notReady(r.Context()); why != "" {
		http.Error(w, "not ready: "+why, http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ready\n"))
}

// webHandler serves /healthz, /readyz and /metrics beside the web
// interface. On this listener /metrics answers only local clients that
// did not come through a reverse proxy (localMetricsClient); m may be nil.
func webHandler(app http.Handler, h *health, m *opsMetrics) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.HandleFunc("GET /readyz", h.readyz)
	if m != nil {
		mh := m.handler()
		mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
			if !localMetricsClient(r) {
				app.ServeHTTP(w, r) // the web interface's own "not found"
				return
			}
			w.Header().Set("Cache-Control", "no-store")
			mh.ServeHTTP(w, r)
		})
	}
	mux.Handle("/", app)
	if m == nil {
		return mux
	}
	return m.instrument(mux)
}

// metricsHandler is what CANAILLE_HTTP.METRICS_LISTEN serves, to anybody
// who reaches it.
func metricsHandler(h *health, m *opsMetrics) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.HandleFunc("GET /readyz", h.readyz)
	mh := m.handler()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		mh.ServeHTTP(w, r)
	})
	return mux
}
