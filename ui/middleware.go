package ui

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/canaille-go/canaille/internal/oplog"
)

// Request body limits: forms are small; a photo upload may reach the
// photo limit plus the rest of the form.
const (
	maxFormBytes      = 256 << 10
	maxMultipartBytes = 6 << 20
)

// contentSecurityPolicy allows nothing inline and nothing foreign but
// https images (logos hosted elsewhere); pages cannot be framed.
//
// It has no form-action: browsers apply form-action to every redirect that
// follows a form, and signing in or consenting for an application ends
// with a redirect to that application (any origin a client registered).
// The templates escape everything, so no injected form can exist for
// form-action to stop.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data: https:; style-src 'self'; " +
	"script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// clientInfo is what the middleware learned of the client.
type clientInfo struct {
	ip    string // the client's address, through trusted proxies
	https bool   // the client reached us (or the proxy) with https
}

type clientKey struct{}

func clientFrom(ctx context.Context) clientInfo {
	ci, _ := ctx.Value(clientKey{}).(clientInfo)
	return ci
}

// ClientIP returns the client address of a request served by an App,
// as the trusted-proxy rules give it.
func ClientIP(r *http.Request) string { return clientFrom(r.Context()).ip }

// middleware wraps the router with the protections every route gets.
func (a *App) middleware(h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.serve(w, r, nil, func(*ctx) error { return errBadCSRF })
	}))
	a.cop = cop
	inner := cop.Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		ci := a.clientInfo(r)
		r = r.WithContext(context.WithValue(r.Context(), clientKey{}, ci))
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.log.Error("web handler panicked", "method", r.Method, "path", redactPath(r.URL.Path),
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if !rec.wrote {
					http.Error(rec, "Internal server error", http.StatusInternalServerError)
				}
			}
			oplog.Info(r.Context(), a.log, "http request",
				slog.String("method", r.Method), slog.String("path", redactPath(r.URL.Path)),
				slog.Int("status", rec.status), slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", time.Since(start)), slog.String("client_ip", ci.ip))
		}()
		a.headers(rec)
		if a.cfg.CheckHost && !a.hostAllowed(r) {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				u := *a.cfg.BaseURL
				u.Path, u.RawQuery = r.URL.Path, r.URL.RawQuery
				http.Redirect(rec, r, u.String(), http.StatusPermanentRedirect)
				return
			}
			http.Error(rec, "This server answers as "+a.cfg.BaseURL.Host+" only.", http.StatusMisdirectedRequest)
			return
		}
		limit := int64(maxFormBytes)
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			limit = maxMultipartBytes
		}
		r.Body = http.MaxBytesReader(rec, r.Body, limit)
		inner.ServeHTTP(rec, r)
	})
}

// headers sets the security headers of every response. The values are
// shared, prebuilt slices with canonical keys, assigned without
// Header.Set's allocation and canonicalisation at every response: a
// header's value slice is replaced (Set) or grown into a new array (Add,
// the slices are full), never written in place.
func (a *App) headers(w http.ResponseWriter) {
	h := w.Header()
	for _, kv := range securityHeaders {
		h[kv.key] = kv.value
	}
	if a.secure() {
		h["Strict-Transport-Security"] = hstsValue
	}
}

type headerValue struct {
	key   string
	value []string
}

var (
	securityHeaders = []headerValue{
		{"Content-Security-Policy", []string{contentSecurityPolicy}},
		{"X-Content-Type-Options", []string{"nosniff"}},
		{"X-Frame-Options", []string{"DENY"}},
		{"Referrer-Policy", []string{"same-origin"}},
		{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
		{"Permissions-Policy", []string{"camera=(), microphone=(), geolocation=(), payment=()"}},
	}
	hstsValue = []string{"max-age=31536000"}
)

// secure reports whether the site is served over https (Secure cookies,
// HSTS).
func (a *App) secure() bool { return a.cfg.BaseURL.Scheme == "https" }

// hostAllowed compares the request's Host with the configured one.
func (a *App) hostAllowed(r *http.Request) bool {
	switch r.URL.Path {
	case "/healthz", "/readyz", "/metrics":
		return true
	}
	return strings.EqualFold(r.Host, a.cfg.BaseURL.Host)
}

// clientInfo finds the client address and scheme: the connection's, or,
// when the connection comes from a trusted proxy, what its
// X-Forwarded-For (the right-most address not itself trusted) and
// X-Forwarded-Proto say.
func (a *App) clientInfo(r *http.Request) clientInfo {
	ci := clientInfo{ip: remoteIP(r.RemoteAddr), https: r.TLS != nil}
	if !a.trusted(ci.ip) {
		return ci
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		ci.https = strings.EqualFold(strings.TrimSpace(lastField(p)), "https")
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				hops = append(hops, f)
			}
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		ip, err := netip.ParseAddr(hops[i])
		if err != nil {
			break
		}
		ci.ip = ip.Unmap().String()
		if !a.trusted(ci.ip) {
			break
		}
	}
	return ci
}

func (a *App) trusted(ip string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range a.cfg.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

func lastField(s string) string {
	if i := strings.LastIndexByte(s, ','); i >= 0 {
		return s[i+1:]
	}
	return s
}

// remoteIP is the address part of a RemoteAddr; a unix socket peer (no
// port) gives "unix".
func remoteIP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		if addr == "" || addr == "@" {
			return "unix"
		}
		return addr
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap().String()
	}
	return host
}

// redactPath hides the secrets that some paths carry (reset, registration
// and confirmation links), so that logs hold no usable token.
func redactPath(p string) string {
	for _, prefix := range []string{"/reset/", "/register/", "/email-confirmation/"} {
		if strings.HasPrefix(p, prefix) && len(p) > len(prefix) {
			return prefix + "REDACTED"
		}
	}
	return p
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
