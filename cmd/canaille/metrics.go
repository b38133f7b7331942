package main

// Prometheus metrics of `canaille run`. The packages that do the work
// (ldapserver, ui, oidc) report through small hooks of their Config; this
// file turns those reports into metrics and serves /metrics.
//
// Every label takes its values from a fixed set (route patterns, not
// paths; operation names; result codes; outcomes; grant types): nothing a
// client types, and never a user name, DN or secret.

import (
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/canaille-go/canaille/ui"
)

// metrics holds the collectors of one server.
type opsMetrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	ldapOps      *prometheus.CounterVec
	ldapDuration *prometheus.HistogramVec
	signIns      *prometheus.CounterVec
	binds        *prometheus.CounterVec
	tokens       *prometheus.CounterVec
	backups      *prometheus.CounterVec

	started    time.Time
	lastBackup atomic.Int64 // unix nanoseconds of the last successful backup; 0: none
}

// latencyBuckets cover a cached LDAP search (tens of microseconds) to a
// slow password hash or a large backup-bound request (seconds).
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// newMetrics registers the collectors. dbPath, when not "", is the bbolt
// file whose size is exported; backups adds the backup metrics.
func newMetrics(dbPath string, backups bool) *opsMetrics {
	m := &opsMetrics{reg: prometheus.NewRegistry(), started: time.Now()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "canaille_http_requests_total",
		Help: "HTTP requests answered, by route pattern, method and status class.",
	}, []string{"route", "method", "status"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "canaille_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route pattern.",
		Buckets: latencyBuckets,
	}, []string{"route"})
	m.ldapOps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "canaille_ldap_operations_total",
		Help: "LDAP operations answered, by operation and LDAP result code (0 is success, 49 invalid credentials).",
	}, []string{"operation", "result"})
	m.ldapDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "canaille_ldap_operation_duration_seconds",
		Help:    "Time to answer an LDAP operation, by operation.",
		Buckets: latencyBuckets,
	}, []string{"operation"})
	m.signIns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "canaille_web_sign_ins_total",
		Help: "Password checks of the web sign-in, by outcome (success, failure, locked).",
	}, []string{"outcome"})
	m.binds = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "canaille_ldap_binds_total",
		Help: "LDAP binds with a password, by outcome (success, failure, locked).",
	}, []string{"outcome"})
	m.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "canaille_oidc_tokens_issued_total",
		Help: "Successful requests to the OpenID Connect token endpoint, by grant type.",
	}, []string{"grant_type"})
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.ldapOps, m.ldapDuration, m.signIns, m.binds, m.tokens)
	for _, o := range []string{"success", "failure", "locked"} {
		m.signIns.WithLabelValues(o)
		m.binds.WithLabelValues(o)
	}
	if dbPath != "" {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "canaille_store_size_bytes",
			Help: "Size of the database file (CANAILLE_BOLT.PATH) in bytes.",
		}, func() float64 {
			fi, err := os.Stat(dbPath)
			if err != nil {
				return 0
			}
			return float64(fi.Size())
		}))
	}
	if backups {
		m.backups = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "canaille_backups_total",
			Help: "Scheduled backups (CANAILLE_BOLT.BACKUP_DIR), by result (success, failure).",
		}, []string{"result"})
		m.backups.WithLabelValues("success")
		m.backups.WithLabelValues("failure")
		m.reg.MustRegister(m.backups,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "canaille_backup_last_success_timestamp_seconds",
				Help: "Unix time of the last successful scheduled backup; 0 before the first.",
			}, func() float64 {
				if t := m.lastBackup.Load(); t != 0 {
					return float64(t) / 1e9
				}
				return 0
			}),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "canaille_backup_age_seconds",
				Help: "Seconds since the last successful scheduled backup, or since the server started when there has been none.",
			}, func() float64 {
				since := m.started
				if t := m.lastBackup.Load(); t != 0 {
					since = time.Unix(0, t)
				}
				return time.Since(since).Seconds()
			}))
	}
	return m
}

// backupDone records the result of a scheduled backup.
func (m *opsMetrics) backupDone(at time.Time, err error) {
	if m == nil || m.backups == nil {
		return
	}
	if err != nil {
		m.backups.WithLabelValues("failure").Inc()
		return
	}
	m.backups.WithLabelValues("success").Inc()
	m.lastBackup.Store(at.UnixNano())
}

// observeLDAP is ldapserver.Config.Observe.
func (m *opsMetrics) observeLDAP(op string, code int, d time.Duration) {
	m.ldapOps.WithLabelValues(op, strconv.Itoa(code)).Inc()
	m.ldapDuration.WithLabelValues(op).Observe(d.Seconds())
}

func (m *opsMetrics) bindOutcome(outcome string) { m.binds.WithLabelValues(outcome).Inc() }

func (m *opsMetrics) signIn(outcome string) { m.signIns.WithLabelValues(outcome).Inc() }

func (m *opsMetrics) tokenIssued(grant string) { m.tokens.WithLabelValues(grant).Inc() }

// handler serves the metrics in the Prometheus text format.
func (m *opsMetrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: nil, Timeout: 10 * time.Second})
}

// instrument counts and times the requests of h. The route label is the
// pattern of the outer mux (/healthz, /readyz, /metrics), else the web
// interface's route pattern (ui.WithRoute), else "unmatched".
func (m *opsMetrics) instrument(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var route string
		r = r.WithContext(ui.WithRoute(r.Context(), &route))
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if p := r.Pattern; p != "" && p != "/" {
			if _, path, ok := strings.Cut(p, " "); ok {
				p = path
			}
			route = p
		}
		if route == "" {
			route = "unmatched"
		}
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		m.httpRequests.WithLabelValues(route, methodLabel(r.Method), strconv.Itoa(status/100)+"xx").Inc()
		m.httpDuration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// methodLabel bounds the method label.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// statusWriter records the status code of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 && code >= 200 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (flush,
// deadlines).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush keeps streaming responses streaming.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// localMetricsClient reports whether a request on CANAILLE_HTTP.LISTEN
// may read /metrics: it comes straight from this machine (a loopback
// address, or the unix socket) and not through a reverse proxy, which
// adds a forwarding header. Anything else gets a 404, as if there were no
// such page.
func localMetricsClient(r *http.Request) bool {
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		// A unix socket: the peer is on this machine ("@" or "").
		return r.RemoteAddr == "" || r.RemoteAddr == "@"
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
