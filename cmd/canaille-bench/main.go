// Command canaille-bench is a load tool for any LDAP server: it writes or
// adds a deterministic directory of N users, then runs one workload (binds,
// uid look-ups, substring searches, login sequences or full listings) for a
// fixed duration at a chosen concurrency and prints ops/s, latency
// percentiles and, given the server's process IDs, its CPU time per
// operation and resident memory.
//
// The same tool drives canaille's built-in LDAP server and OpenLDAP slapd,
// so that bench/ldap-vs-slapd.sh can compare them side by side.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	status := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(status)
}

// subcommand is one verb of the tool.
type subcommand struct {
	name    string
	args    string
	summary string
	help    string
	run     func(ctx context.Context, c *subcommand, args []string, stdout, stderr io.Writer) error
}

// usageError is printed with the subcommand's usage and exits with status 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// errInterrupted marks a run stopped by a signal after printing partial
// results; the exit status is then 130, as a shell reports for Ctrl+C.
var errInterrupted = errors.New("interrupted")

var subcommands []*subcommand

func init() {
	subcommands = []*subcommand{cmdLDIF, cmdPopulate, cmdRun, cmdTable}
}

const globalUsage = `canaille-bench: load an LDAP server (canaille, OpenLDAP slapd, any other)
with a deterministic directory and measure its throughput and latency.

Usage:
  canaille-bench COMMAND [OPTIONS]
  canaille-bench help COMMAND

Commands:
`

func printGlobalUsage(w io.Writer) {
	fmt.Fprint(w, globalUsage)
	for _, c := range subcommands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'canaille-bench COMMAND --help' for the options of a command.\n")
}

// run executes one command line and returns the process exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printGlobalUsage(stderr)
		return 2
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "--help", "-help":
		printGlobalUsage(stdout)
		return 0
	case "help":
		if len(rest) == 0 {
			printGlobalUsage(stdout)
			return 0
		}
		name, rest = rest[0], []string{"--help"}
	}
	var cmd *subcommand
	for _, c := range subcommands {
		if c.name == name {
			cmd = c
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "canaille-bench: unknown command %q\n\n", name)
		printGlobalUsage(stderr)
		return 2
	}
	err := cmd.run(ctx, cmd, rest, stdout, stderr)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errInterrupted):
		fmt.Fprintln(stderr, "canaille-bench: interrupted")
		return 130
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "canaille-bench %s: %s\nUsage: canaille-bench %s %s\nRun 'canaille-bench %s --help' for details.\n",
			cmd.name, ue.msg, cmd.name, cmd.args, cmd.name)
		return 2
	default:
		fmt.Fprintf(stderr, "canaille-bench %s: %v\n", cmd.name, err)
		return 1
	}
}

// newFlags returns a flag set whose --help prints the subcommand's usage,
// description and options to stdout.
func newFlags(c *subcommand, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: canaille-bench %s %s\n\n%s\n", c.name, c.args, c.summary)
		if c.help != "" {
			fmt.Fprintf(stdout, "\n%s\n", strings.TrimSpace(c.help))
		}
		fmt.Fprint(stdout, "\nOptions:\n")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseFlags parses args, turning flag errors into usage errors and
// refusing more than maxArgs positional arguments (-1: any number).
func parseFlags(fs *flag.FlagSet, args []string, maxArgs int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return err
		}
		return usageError{err.Error()}
	}
	if maxArgs >= 0 && fs.NArg() > maxArgs {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(maxArgs))}
	}
	return nil
}

// pidList is a repeatable --pid flag.
type pidList []int

func (p *pidList) String() string {
	s := make([]string, len(*p))
	for i, v := range *p {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ",")
}

func (p *pidList) Set(v string) error {
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("not a process ID: %q", f)
		}
		*p = append(*p, n)
	}
	return nil
}
