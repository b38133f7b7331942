package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

var cmdRun = &subcommand{
	name: "run", args: "--url URL --users N --workload NAME [--concurrency 16] [--duration 10s] [--pid PID]…",
	summary: "run one workload for a fixed duration and print throughput and latency",
	help: `Opens --concurrency persistent connections (one per worker, as NSS and
mail servers keep theirs), checks every connection with one operation,
runs the workload for --warmup without measuring, then for --duration,
recording the latency of every operation. Prints ops/s, latency
percentiles (p50, p90, p99, max) and errors: any result other than success
is an error, and the first distinct messages are printed.

The directory must be the one 'canaille-bench ldif' or 'populate' made
with the same --users and --base: users are uid=userNNNNNN,ou=users,BASE
with password "password-NNNNNN", drawn at random.

Workloads:
  bind         simple bind as a random user on the worker's connection
  search-eq    (&(objectClass=posixAccount)(uid=userNNNNNN)) with the
               attributes nslcd asks for (not userPassword)
  search-sub   (&(objectClass=posixAccount)(cn=*FamilyKKKK*)), 100 entries
  bind-search  bind as the service account, search the user by uid, bind
               as the user: one operation per sequence, as a web login
  search-all   every user under ou=users, paged 500 at a time; one
               operation per full listing

Searches run bound as --service-dn (slapd's rootdn, a canaille user), or as
user000000 when it is not given.

With --pid (repeatable, or comma-separated), /proc/PID/stat is read before
and after the measured window: the CPU time those processes spent per
operation and as a percentage of one core, and their resident memory
(VmRSS, and its peak VmHWM) at the end. The tool's own CPU time per
operation is printed too: on a small machine the load generator shares the
cores with the server.

Ctrl+C stops the run; what was measured so far is printed.`,
	run: runRun,
}

// runConfig is everything a run needs.
type runConfig struct {
	url, base       string
	users           int
	workload        *workload
	concurrency     int
	duration        time.Duration
	warmup          time.Duration
	serviceDN       string
	servicePassword string
	pids            []int
	label           string
}

// result is what one run measured; its JSON form is one line of --json.
type result struct {
	Label       string   `json:"label"`
	URL         string   `json:"url"`
	Workload    string   `json:"workload"`
	Users       int      `json:"users"`
	Concurrency int      `json:"concurrency"`
	Seconds     float64  `json:"seconds"`
	Ops         uint64   `json:"ops"`
	Errors      int64    `json:"errors"`
	OpsPerSec   float64  `json:"ops_per_s"`
	MeanUS      float64  `json:"mean_us"`
	P50US       float64  `json:"p50_us"`
	P90US       float64  `json:"p90_us"`
	P99US       float64  `json:"p99_us"`
	MaxUS       float64  `json:"max_us"`
	PIDs        []int    `json:"pids,omitempty"`
	CPUUSPerOp  *float64 `json:"cpu_us_per_op,omitempty"`
	CPUPercent  *float64 `json:"cpu_percent,omitempty"`
	RSSMB       *float64 `json:"rss_mb,omitempty"`
	PeakRSSMB   *float64 `json:"peak_rss_mb,omitempty"`
	ClientUSOp  float64  `json:"client_cpu_us_per_op"`
	// Requests are the LDAP requests of the successful operations, with
	// the percentiles of their round trips: the same as the operations'
	// for single-request workloads.
	Requests    uint64   `json:"requests,omitempty"`
	ReqP50US    float64  `json:"request_p50_us,omitempty"`
	ReqP99US    float64  `json:"request_p99_us,omitempty"`
	FirstErrors []string `json:"first_errors,omitempty"`
	Interrupted bool     `json:"interrupted,omitempty"`
}

func runRun(ctx context.Context, c *subcommand, args []string, stdout, stderr io.Writer) error {
	fs := newFlags(c, stdout)
	cfg := &runConfig{}
	var name string
	var pids pidList
	var asJSON bool
	fs.StringVar(&cfg.url, "url", "", "server URL, such as ldap://127.0.0.1:3389 (required)")
	fs.StringVar(&cfg.base, "base", "dc=example,dc=org", "base DN of the tree")
	fs.IntVar(&cfg.users, "users", 0, "number of users in the directory (required)")
	fs.StringVar(&name, "workload", "", "workload: "+workloadNames()+" (required)")
	fs.IntVar(&cfg.concurrency, "concurrency", 16, "workers, each with its own connection")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "measured duration")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "unmeasured warm-up before the measured duration")
	fs.StringVar(&cfg.serviceDN, "service-dn", "", "service account for searches and bind-search (default: user000000)")
	fs.StringVar(&cfg.servicePassword, "service-password", "", "password of --service-dn")
	fs.Var(&pids, "pid", "server process ID to sample in /proc (repeatable)")
	fs.StringVar(&cfg.label, "label", "", "server name in the output (default: the URL)")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object instead of text")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	switch {
	case cfg.url == "" || cfg.users == 0 || name == "":
		return usageError{"--url, --users and --workload are required"}
	case findWorkload(name) == nil:
		return usageError{fmt.Sprintf("unknown workload %q (want %s)", name, workloadNames())}
	case cfg.users < 1 || cfg.concurrency < 1 || cfg.duration <= 0 || cfg.warmup < 0:
		return usageError{"--users and --concurrency must be positive, --duration too, --warmup not negative"}
	}
	cfg.workload, cfg.pids = findWorkload(name), pids
	if cfg.serviceDN == "" {
		cfg.serviceDN, cfg.servicePassword = userDN(cfg.base, 0), userPassword(0)
	}
	if cfg.label == "" {
		cfg.label = cfg.url
	}
	for _, pid := range cfg.pids {
		if _, err := procCPU(pid); err != nil {
			return fmt.Errorf("--pid %d: cannot read its /proc entry: %w", pid, err)
		}
	}
	res, err := measure(ctx, cfg, stderr)
	if res != nil {
		if asJSON {
			line, _ := json.Marshal(res)
			fmt.Fprintf(stdout, "%s\n", line)
		} else {
			printResult(stdout, res)
		}
	}
	return err
}

// phases of a run, read by every worker before each operation.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

// phases is the state the workers of a run share: the current phase and
// the errors of the warm-up (the first one kept to explain a refusal).
type phases struct {
	phase     atomic.Int32
	warmErrs  atomic.Int64
	warmMu    sync.Mutex
	warmFirst error
}

// outcome accounts one operation begun in phase p: its latency or error
// when measuring, its error during the warm-up.
func (ph *phases) outcome(p int32, err error, elapsed time.Duration, h *histogram, fail func(error)) {
	switch {
	case err == nil && p == phaseMeasure:
		h.record(elapsed)
	case err != nil && p == phaseMeasure:
		fail(err)
	case err != nil:
		if ph.warmErrs.Add(1) == 1 {
			ph.warmMu.Lock()
			ph.warmFirst = err
			ph.warmMu.Unlock()
		}
	}
}

// warmAndMeasure waits out the warm-up, refuses a run whose warm-up had
// errors, then samples the servers' CPU around the measured window; stop
// ends the workers. completed is false when ctx ended the window early.
func (ph *phases) warmAndMeasure(ctx context.Context, warmup, duration time.Duration, pids []int, stop func()) (before, after cpuSample, completed bool, err error) {
	if !sleepCtx(ctx, warmup) {
		stop()
		return before, after, false, errInterrupted
	}
	if n := ph.warmErrs.Load(); n > 0 {
		stop()
		ph.warmMu.Lock()
		defer ph.warmMu.Unlock()
		return before, after, false, fmt.Errorf("%d operations failed during the warm-up, the first with: %w", n, ph.warmFirst)
	}
	if before, err = sampleCPU(pids); err != nil {
		stop()
		return before, after, false, err
	}
	ph.phase.Store(phaseMeasure)
	completed = sleepCtx(ctx, duration)
	after, err = sampleCPU(pids)
	stop()
	return before, after, completed, err
}

// cpuSample is the CPU time of the --pid processes and of this process.
type cpuSample struct {
	at     time.Time
	server time.Duration
	self   time.Duration
}

func sampleCPU(pids []int) (cpuSample, error) {
	s := cpuSample{at: time.Now()}
	for _, pid := range pids {
		d, err := procCPU(pid)
		if err != nil {
			return s, fmt.Errorf("--pid %d: %w (did the server exit?)", pid, err)
		}
		s.server += d
	}
	s.self, _ = procCPU(os.Getpid())
	return s, nil
}

// measure runs cfg's workload: preflight, warm-up, measured window. It
// returns the result (nil if interrupted before measuring) and
// errInterrupted when ctx ended early.
func measure(ctx context.Context, cfg *runConfig, stderr io.Writer) (*result, error) {
	workers := make([]*worker, cfg.concurrency)
	defer func() {
		for _, w := range workers {
			if w != nil {
				w.close()
			}
		}
	}()
	// Preflight: every connection opens and performs one operation, so that
	// an unreachable server or a refused bind is a clear error at once.
	for i := range workers {
		s1, s2 := seedFor(i)
		w := &worker{cfg: cfg, id: i, rng: rand.New(rand.NewPCG(s1, s2)), errSamples: map[string]int64{}}
		workers[i] = w
		if err := w.connect(); err != nil {
			return nil, fmt.Errorf("connection %d: %w", i+1, err)
		}
		if err := cfg.workload.op(w); err != nil {
			return nil, fmt.Errorf("first %s operation failed: %w", cfg.workload.name, err)
		}
		w.requests(false) // the first operation's requests are not measured
		if ctx.Err() != nil {
			return nil, errInterrupted
		}
	}

	var ph phases
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			for {
				p := ph.phase.Load()
				if p == phaseStop {
					return
				}
				start := time.Now()
				err := w.attempt()
				ph.outcome(p, err, time.Since(start), &w.hist, w.fail)
				w.requests(err == nil && p == phaseMeasure)
			}
		})
	}
	stop := func() { ph.phase.Store(phaseStop); wg.Wait() }
	before, after, completed, err := ph.warmAndMeasure(ctx, cfg.warmup, cfg.duration, cfg.pids, stop)
	if err != nil {
		return nil, err
	}
	res := summarize(cfg, workers, before, after)
	res.Interrupted = !completed
	if !completed {
		fmt.Fprintln(stderr, "canaille-bench: interrupted, the figures cover the part measured")
		return res, errInterrupted
	}
	return res, nil
}

// sleepCtx waits d, or less if ctx ends first; it reports whether the
// whole duration passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// summarize merges the workers' measurements into a result.
func summarize(cfg *runConfig, workers []*worker, before, after cpuSample) *result {
	var h, rh histogram
	var errs int64
	samples := map[string]int64{}
	for _, w := range workers {
		h.merge(&w.hist)
		rh.merge(&w.reqHist)
		errs += w.errors
		for m, n := range w.errSamples {
			samples[m] += n
		}
	}
	secs := after.at.Sub(before.at).Seconds()
	res := &result{
		Label: cfg.label, URL: cfg.url, Workload: cfg.workload.name, Users: cfg.users,
		Concurrency: cfg.concurrency, Seconds: secs, Ops: h.total, Errors: errs,
		OpsPerSec: float64(h.total) / secs, MeanUS: us(h.mean()),
		P50US: us(h.quantile(0.50)), P90US: us(h.quantile(0.90)), P99US: us(h.quantile(0.99)),
		MaxUS: us(time.Duration(h.max)), PIDs: cfg.pids,
		Requests: rh.total, ReqP50US: us(rh.quantile(0.50)), ReqP99US: us(rh.quantile(0.99)),
	}
	if h.total > 0 {
		res.ClientUSOp = us(after.self-before.self) / float64(h.total)
	}
	res.addServer(cfg.pids, before, after, secs, h.total)
	res.addErrors(samples)
	return res
}

// fmtUS formats microseconds as µs below a millisecond, else ms.
func fmtUS(us float64) string {
	if us < 1000 {
		return fmt.Sprintf("%.0f µs", us)
	}
	return fmt.Sprintf("%.2f ms", us/1000)
}

// printResult writes the human-readable report of r.
func printResult(w io.Writer, r *result) {
	fmt.Fprintf(w, "%s on %s: %d users, concurrency %d, %.1f s measured\n",
		r.Workload, r.Label, r.Users, r.Concurrency, r.Seconds)
	fmt.Fprintf(w, "  throughput  %.0f ops/s (%d operations, %d errors)\n", r.OpsPerSec, r.Ops, r.Errors)
	fmt.Fprintf(w, "  latency     p50 %s  p90 %s  p99 %s  max %s  mean %s\n",
		fmtUS(r.P50US), fmtUS(r.P90US), fmtUS(r.P99US), fmtUS(r.MaxUS), fmtUS(r.MeanUS))
	if r.Ops > 0 && r.Requests > 0 && r.Requests != r.Ops {
		fmt.Fprintf(w, "  requests    %.1f per operation, each p50 %s  p99 %s\n",
			float64(r.Requests)/float64(r.Ops), fmtUS(r.ReqP50US), fmtUS(r.ReqP99US))
	}
	if r.CPUPercent != nil {
		perOp := "n/a"
		if r.CPUUSPerOp != nil {
			perOp = fmt.Sprintf("%.1f µs/op", *r.CPUUSPerOp)
		}
		fmt.Fprintf(w, "  server CPU  %s (%.0f %% of one core), RSS %.1f MB (peak %.1f MB), pid %v\n",
			perOp, *r.CPUPercent, *r.RSSMB, *r.PeakRSSMB, r.PIDs)
	}
	fmt.Fprintf(w, "  client CPU  %.1f µs/op (this tool)\n", r.ClientUSOp)
	for _, e := range r.FirstErrors {
		fmt.Fprintf(w, "  error       %s\n", e)
	}
}

// addServer adds the figures of the --pid servers over the window: their
// CPU (in all and per successful operation) and memory.
func (res *result) addServer(pids []int, before, after cpuSample, secs float64, ok uint64) {
	if len(pids) == 0 {
		return
	}
	cpu := after.server - before.server
	pct := 100 * cpu.Seconds() / secs
	res.CPUPercent = &pct
	if ok > 0 {
		perOp := us(cpu) / float64(ok)
		res.CPUUSPerOp = &perOp
	}
	var rss, peak int64
	for _, pid := range pids {
		if r, p, err := procMemory(pid); err == nil {
			rss, peak = rss+r, peak+p
		}
	}
	rssMB, peakMB := float64(rss)/1e6, float64(peak)/1e6
	res.RSSMB, res.PeakRSSMB = &rssMB, &peakMB
}

// addErrors keeps the most frequent error messages, with their counts.
func (res *result) addErrors(samples map[string]int64) {
	msgs := make([]string, 0, len(samples))
	for m := range samples {
		msgs = append(msgs, m)
	}
	sort.Slice(msgs, func(i, j int) bool { return samples[msgs[i]] > samples[msgs[j]] })
	for i, m := range msgs {
		if i == maxErrSamples {
			break
		}
		res.FirstErrors = append(res.FirstErrors, fmt.Sprintf("%d× %s", samples[m], m))
	}
}

// us is d in microseconds.
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
