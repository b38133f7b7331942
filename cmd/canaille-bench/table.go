package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

var cmdTable = &subcommand{
	name: "table", args: "[--baseline LABEL] [FILE…]",
	summary: "turn 'run --json' lines into a Markdown comparison table",
	help: `Reads the JSON lines that 'canaille-bench run --json' printed (from the
files, or standard input) and prints one Markdown table row per run:
workload, server (--label), ops/s, p50, p99, server CPU µs per operation,
server CPU %, resident memory, errors, and the ratio of the row's ops/s to
the --baseline server's on the same workload. Rows keep the input order,
grouped by workload.`,
	run: runTable,
}

func runTable(_ context.Context, c *subcommand, args []string, stdout, _ io.Writer) error {
	fs := newFlags(c, stdout)
	baseline := fs.String("baseline", "slapd", "label of the server the ratios are relative to")
	if err := parseFlags(fs, args, -1); err != nil {
		return err
	}
	var results []*result
	read := func(name string, r io.Reader) error {
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 1<<20)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			res := &result{}
			if err := json.Unmarshal([]byte(line), res); err != nil {
				return fmt.Errorf("%s:%d: not a 'run --json' line: %w", name, n, err)
			}
			results = append(results, res)
		}
		return sc.Err()
	}
	if fs.NArg() == 0 {
		if err := read("standard input", os.Stdin); err != nil {
			return err
		}
	}
	for _, name := range fs.Args() {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		err = read(name, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	writeTable(stdout, results, *baseline)
	return nil
}

// writeTable prints results as a Markdown table, grouped by workload in
// order of first appearance.
func writeTable(w io.Writer, results []*result, baseline string) {
	var order []string
	for _, r := range results {
		if !slices.Contains(order, r.Workload) {
			order = append(order, r.Workload)
		}
	}
	fmt.Fprintf(w, "| workload | server | ops/s | p50 | p99 | CPU µs/op | CPU %% | RSS MB | errors | ratio to %s |\n", baseline)
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	opt := func(v *float64, format string) string {
		if v == nil {
			return "n/a"
		}
		return fmt.Sprintf(format, *v)
	}
	for _, wl := range order {
		var base *result
		for _, r := range results {
			if r.Workload == wl && r.Label == baseline {
				base = r
			}
		}
		for _, r := range results {
			if r.Workload != wl {
				continue
			}
			ratio := "n/a"
			switch {
			case r == base:
				ratio = "1.00"
			case base != nil && base.OpsPerSec > 0:
				ratio = fmt.Sprintf("%.2f", r.OpsPerSec/base.OpsPerSec)
			}
			fmt.Fprintf(w, "| %s | %s | %.0f | %s | %s | %s | %s | %s | %d | %s |\n",
				r.Workload, r.Label, r.OpsPerSec, fmtUS(r.P50US), fmtUS(r.P99US),
				opt(r.CPUUSPerOp, "%.1f"), opt(r.CPUPercent, "%.0f"), opt(r.RSSMB, "%.1f"), r.Errors, ratio)
		}
	}
}
