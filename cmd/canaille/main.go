// Command canaille is an identity server: users and groups in one bbolt
// file, served over LDAP and OpenID Connect, with a web interface. See
// README.md and `canaille help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Environ: os.Environ()}
	status := m.Run(ctx, os.Args[1:])
	stop()
	os.Exit(status)
}

// Main is the program: its streams and environment, so that tests run it
// in-process.
type Main struct {
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Environ []string
}

// command is one subcommand.
type command struct {
	name    string
	args    string // usage after the name
	summary string
	help    string // longer description
	// data commands reach a running server through its control socket.
	data bool
	run  func(e *cmdEnv) error
}

// usageError is printed with the command's usage line.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// exitError carries a specific exit status without a message (the
// command already printed what went wrong).
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

var commands []*command

func init() {
	commands = []*command{
		cmdDemo, cmdRun, cmdInstall, cmdCheck, cmdClean,
		cmdCreate, cmdGet, cmdSet, cmdDelete,
		cmdBackup, cmdRestore, cmdCompact, cmdImport, cmdExport, cmdRegistrationToken, cmdVersion,
	}
}

func findCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

const globalUsage = `canaille: an identity server (LDAP, OpenID Connect, web) on one bbolt file.

Usage:
  canaille [--config FILE] COMMAND [ARGUMENTS]
  canaille help [COMMAND]

The configuration is read from --config FILE, else from the CONFIG
environment variable, else from /etc/canaille/config.toml.

Commands:
`

func (m *Main) printUsage(w io.Writer) {
	fmt.Fprint(w, globalUsage)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'canaille help COMMAND' for the arguments of a command.\n")
}

func printCommandHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: canaille %s %s\n\n%s\n", c.name, c.args, c.summary)
	if c.help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.help))
	}
	if fs != nil && hasFlags(fs) {
		fmt.Fprint(w, "\nOptions:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// Run runs one command line and returns the exit status.
func (m *Main) Run(ctx context.Context, args []string) int {
	global := flag.NewFlagSet("canaille", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	configFlag := global.String("config", "", "configuration file")
	help := global.Bool("help", false, "")
	global.BoolVar(help, "h", false, "")
	if err := global.Parse(args); err != nil {
		fmt.Fprintf(m.Stderr, "canaille: %v\n\n", err)
		m.printUsage(m.Stderr)
		return 2
	}
	args = global.Args()
	if *help || len(args) == 0 {
		m.printUsage(m.Stdout)
		if len(args) == 0 && !*help {
			return 2
		}
		return 0
	}
	name, rest := args[0], args[1:]
	if name == "help" {
		if len(rest) == 0 {
			m.printUsage(m.Stdout)
			return 0
		}
		c := findCommand(rest[0])
		if c == nil {
			fmt.Fprintf(m.Stderr, "canaille: unknown command %q; run 'canaille help'\n", rest[0])
			return 2
		}
		name, rest = rest[0], []string{"--help"}
	}
	c := findCommand(name)
	if c == nil {
		fmt.Fprintf(m.Stderr, "canaille: unknown command %q; run 'canaille help' for the list\n", name)
		return 2
	}
	e := &cmdEnv{
		ctx: ctx, cmd: c, args: rest, raw: rest, stdin: m.Stdin, stdout: m.Stdout, stderr: m.Stderr,
		environ: m.Environ, configPath: ConfigPath(*configFlag, m.Environ),
	}
	defer e.close()
	return e.finish(c.run(e))
}

// finish turns a command's error into a message and an exit status.
func (e *cmdEnv) finish(err error) int {
	var ue usageError
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ee):
		return int(ee)
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "canaille %s: %s\nUsage: canaille %s %s (see 'canaille help %s')\n",
			e.cmd.name, ue.msg, e.cmd.name, e.cmd.args, e.cmd.name)
		return 2
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(e.stderr, "canaille %s: interrupted\n", e.cmd.name)
		return 130
	}
	fmt.Fprintf(e.stderr, "canaille %s: %s\n", e.cmd.name, err)
	return 1
}

// flags creates the flag set of the command e runs, which prints the
// command's help on --help.
func (e *cmdEnv) flags() *flag.FlagSet {
	fs := flag.NewFlagSet(e.cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses e.args with fs; positional arguments must number between
// lo and hi (hi < 0: any).
func (e *cmdEnv) parse(fs *flag.FlagSet, lo, hi int) ([]string, error) {
	// Allow flags after positional arguments, as people type them.
	var pos []string
	args := e.args
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printCommandHelp(e.stdout, e.cmd, fs)
				return nil, flag.ErrHelp
			}
			return nil, usagef("%v", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if rest[0] == "--" {
			pos = append(pos, rest[1:]...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) < lo || (hi >= 0 && len(pos) > hi) {
		switch {
		case hi == 0:
			return nil, usagef("unexpected argument %q", pos[0])
		case len(pos) < lo:
			return nil, usagef("missing argument")
		default:
			return nil, usagef("too many arguments: %s", strings.Join(pos[hi:], " "))
		}
	}
	return pos, nil
}

// isDataCommand reports whether the server runs this command line for a
// control-socket client.
func isDataCommand(args []string) bool {
	if len(args) == 0 {
		return false
	}
	c := findCommand(args[0])
	return c != nil && c.data && !slices.Contains([]string{"restore"}, c.name)
}
