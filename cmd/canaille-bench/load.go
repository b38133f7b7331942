package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-ldap/ldap/v3"
)

const directoryHelp = `The directory: the base entry, ou=users and ou=groups under --base; users
uid=user000000 … under ou=users (inetOrgPerson + posixAccount: cn
"GivenNNNNNN FamilyNNNNNN", sn, givenName, mail userNNNNNN@DOMAIN from the
base's dc parts, uidNumber and gidNumber 100000+N, homeDirectory,
loginShell, gecos) whose password is "password-NNNNNN", stored as a salted
hash with a salt derived from N, so that the output is the same at every
run; and --groups groupOfNames groups of up to 100 members each.`

var cmdLDIF = &subcommand{
	name: "ldif", args: "--users N [--base DN] [--groups N] [--password-hash SCHEME]",
	summary: "write the benchmark directory as LDIF to standard output",
	help: directoryHelp + `

The file loads into OpenLDAP with slapadd (core, cosine, inetorgperson and
nis schemas) and into canaille with 'canaille import'. --password-hash is
ssha (OpenLDAP's {SSHA}, the default), ssha256 or ssha512 (slapd needs its
pw-sha2 module for these) or plain (cleartext).`,
	run: runLDIF,
}

var cmdPopulate = &subcommand{
	name: "populate", args: "--url URL --bind-dn DN --password PW --users N [--base DN]",
	summary: "add the benchmark directory to a running server over LDAP",
	help: directoryHelp + `

Adds the same entries as 'canaille-bench ldif' with LDAP Add operations,
for servers that have no offline loader. Entries that already exist are
skipped, so an interrupted run may be started again. The bind DN must be
allowed to add entries (slapd's rootdn, a canaille administrator).`,
	run: runPopulate,
}

// directoryFlags declares the flags that describe the directory.
func directoryFlags(fs *flag.FlagSet) *directory {
	d := &directory{}
	fs.StringVar(&d.base, "base", "dc=example,dc=org", "base DN of the tree")
	fs.IntVar(&d.users, "users", 0, "number of users (required)")
	fs.IntVar(&d.groups, "groups", 10, "number of groupOfNames groups")
	fs.StringVar(&d.scheme, "password-hash", "ssha", "userPassword scheme: ssha, ssha256, ssha512 or plain")
	return d
}

func runLDIF(_ context.Context, c *subcommand, args []string, stdout, _ io.Writer) error {
	fs := newFlags(c, stdout)
	d := directoryFlags(fs)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if err := d.check(); err != nil {
		return err
	}
	return writeLDIF(stdout, d)
}

// writeLDIF writes every entry of d to w.
func writeLDIF(w io.Writer, d *directory) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var buf []byte
	err := d.each(func(e entry) error {
		var err error
		if buf, err = appendLDIF(buf[:0], e); err != nil {
			return err
		}
		_, err = bw.Write(buf)
		return err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

func runPopulate(ctx context.Context, c *subcommand, args []string, stdout, stderr io.Writer) error {
	fs := newFlags(c, stdout)
	d := directoryFlags(fs)
	url := fs.String("url", "", "server URL, such as ldap://127.0.0.1:3389 (required)")
	bindDN := fs.String("bind-dn", "", "DN allowed to add entries (required)")
	password := fs.String("password", "", "password of --bind-dn")
	workers := fs.Int("concurrency", 4, "connections adding entries in parallel")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *url == "" || *bindDN == "" {
		return usageError{"--url and --bind-dn are required"}
	}
	if *workers < 1 {
		return usageError{"--concurrency must be at least 1"}
	}
	if err := d.check(); err != nil {
		return err
	}
	start := time.Now()
	added, skipped, err := populate(ctx, d, *url, *bindDN, *password, *workers)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "added %d entries (%d already there) in %.1fs\n", added, skipped, time.Since(start).Seconds())
	return nil
}

// populate adds d's entries to the server at url. The base and the two
// organizational units go first, on one connection; users and groups are
// then spread over workers connections (groups after all users, since they
// name them).
func populate(ctx context.Context, d *directory, url, bindDN, password string, workers int) (added, skipped int64, err error) {
	conns := make([]*ldap.Conn, workers)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	for i := range conns {
		if conns[i], err = dial(url); err != nil {
			return 0, 0, err
		}
		if err = conns[i].Bind(bindDN, password); err != nil {
			return 0, 0, fmt.Errorf("bind as %s: %w", bindDN, err)
		}
	}
	var nAdded, nSkipped atomic.Int64
	add := func(c *ldap.Conn, e entry) error {
		err := c.Add(addRequest(e))
		switch {
		case err == nil:
			nAdded.Add(1)
		case ldap.IsErrorWithCode(err, ldap.LDAPResultEntryAlreadyExists):
			nSkipped.Add(1)
		default:
			return fmt.Errorf("add %s: %w", e.dn, err)
		}
		return nil
	}
	// Collect the entries by phase; 10,000 users take a few megabytes.
	var head, users, groups []entry
	err = d.each(func(e entry) error {
		switch n := len(head) + len(users); {
		case n < 3:
			head = append(head, e)
		case n < 3+d.users:
			users = append(users, e)
		default:
			groups = append(groups, e)
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	for _, e := range head {
		if err := add(conns[0], e); err != nil {
			return 0, 0, err
		}
	}
	for _, phase := range [][]entry{users, groups} {
		if err := addParallel(ctx, conns, phase, add); err != nil {
			return nAdded.Load(), nSkipped.Load(), err
		}
	}
	return nAdded.Load(), nSkipped.Load(), nil
}

// addParallel adds entries over conns, one goroutine per connection, and
// returns the first error.
func addParallel(ctx context.Context, conns []*ldap.Conn, entries []entry, add func(*ldap.Conn, entry) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, len(conns))
	for w, c := range conns {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(entries) || ctx.Err() != nil {
					return
				}
				if err := add(c, entries[i]); err != nil {
					errs[w] = err
					next.Store(int64(len(entries)))
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return errInterrupted
	}
	return nil
}

// dialTimeout bounds connecting to the server.
const dialTimeout = 5 * time.Second

// dial connects to url with a clear error when nothing answers.
func dial(url string) (*ldap.Conn, error) {
	c, err := ldap.DialURL(url, ldap.DialWithDialer(newDialer()))
	if err != nil {
		return nil, fmt.Errorf("cannot connect to %s (is the server running and listening there?): %w", url, err)
	}
	return c, nil
}
