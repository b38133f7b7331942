package ldap_test

import (
	"slices"
	"testing"
	"time"

	"github.com/canaille-go/canaille/internal/testslapd"
	"github.com/canaille-go/canaille/store"
)

// BenchmarkLatency measures Authenticate and GetUser against a local slapd
// and reports the median and p99 latency and the LDAP requests per call:
// with the read cache (the user is cached: Authenticate is the bind alone,
// GetUser no request) and without it (CacheTTL -1: every call goes to
// slapd).
//
//	go test ./store/ldap -run '^$' -bench Latency -benchtime 2000x
func BenchmarkLatency(b *testing.B) {
	s := testslapd.Start(b, slapdOptions()...)
	d, a := seeded(b, s, testConfig(s, store.DefaultPOSIX()))
	cfg := testConfig(s, store.DefaultPOSIX())
	cfg.CacheTTL = -1
	nocache := mustOpen(b, cfg) // every call goes to slapd
	for _, bc := range []struct {
		name string
		op   func() error
	}{
		{"Authenticate", func() error { _, err := d.Authenticate(b.Context(), "alice", "alice password"); return err }},
		{"GetUser", func() error { _, err := d.GetUser(b.Context(), a.ID); return err }},
		{"Authenticate/NoCache", func() error {
			_, err := nocache.Authenticate(b.Context(), "alice", "alice password")
			return err
		}},
		{"GetUser/NoCache", func() error { _, err := nocache.GetUser(b.Context(), a.ID); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if err := bc.op(); err != nil { // warm the pool
				b.Fatal(err)
			}
			lat := make([]time.Duration, 0, b.N)
			rt := d.RoundTrips() + nocache.RoundTrips()
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				if err := bc.op(); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "median-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			b.ReportMetric(float64(d.RoundTrips()+nocache.RoundTrips()-rt)/float64(b.N), "requests/op")
		})
	}
}
