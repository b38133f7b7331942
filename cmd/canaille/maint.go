package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/bolt"
	"github.com/canaille-go/canaille/ui"
)

var cmdClean = &command{
	name: "clean", data: true,
	summary: "delete expired tokens, codes, sessions and invitations",
	help: `Deletes the authorization codes, tokens, sessions, tickets (invitations,
password resets, email confirmations) and JWT IDs that have expired, and
the audit log's events older than 400 days. A running server does this
every 10 minutes; this command does it now.`,
	run: func(e *cmdEnv) error {
		if _, err := e.parse(e.flags(), 0, 0); err != nil {
			return err
		}
		st, done, err := e.dataStore(remoteFiles{})
		if done || err != nil {
			return err
		}
		rep, err := st.DeleteExpired(e.ctx, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "deleted %d expired objects: %d authorization codes, %d tokens, %d sessions, %d tickets, %d JWT IDs\n",
			rep.Total(), rep.AuthorizationCodes, rep.Tokens, rep.Sessions, rep.Tickets, rep.JTIs)
		releaseMemory(st, rep.Total())
		n, err := st.DeleteAuditBefore(e.ctx, time.Now().Add(-ui.AuditRetention))
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "deleted %d audit events older than %d days\n", n, ui.AuditRetentionDays)
		return nil
	},
}

var cmdBackup = &command{
	name: "backup", args: "FILE|-", data: true,
	summary: "write a consistent copy of the database while it serves",
	help: `Writes a consistent copy of the whole database to FILE (written beside it
and renamed into place when complete, mode 0600), or to standard output
with "-". While 'canaille run' serves, the copy is taken through its
control socket without stopping reads or writes. Restore it with
'canaille restore FILE'.`,
	run: runBackup,
}

func runBackup(e *cmdEnv) error {
	pos, err := e.parse(e.flags(), 1, 1)
	if err != nil {
		return err
	}
	if done, err := e.viaServer(remoteFiles{outputArg: true}); done {
		if err == nil && pos[0] != "-" {
			fmt.Fprintf(e.stderr, "backup written to %s\n", pos[0])
		}
		return err
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	if upstreamBackend(cfg) {
		return errors.New(`backup: with CANAILLE.DATABASE = "ldap" the data lives in the directory: back it up there (slapcat -n 1 -l backup.ldif, or your directory's backup)`)
	}
	bst, err := e.store(true)
	if err != nil {
		return err
	}
	st, ok := bst.(store.Backupper)
	if !ok {
		return errors.New("backup: this database cannot be backed up by canaille")
	}
	start := time.Now()
	var n int64
	if pos[0] == "-" {
		n, err = st.Backup(e.ctx, e.stdout)
		if err != nil {
			return err
		}
	} else {
		af, err := createAtomic(pos[0])
		if err != nil {
			return err
		}
		defer af.abort()
		if n, err = st.Backup(e.ctx, af); err != nil {
			return err
		}
		if err := af.commit(); err != nil {
			return err
		}
	}
	if pos[0] != "-" || e.srv != nil {
		fmt.Fprintf(e.stderr, "backup: %s copied in %s\n", humanBytes(n), roundDuration(time.Since(start)))
	}
	return nil
}

// roundDuration keeps three significant digits or so.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

var cmdRestore = &command{
	name: "restore", args: "FILE|-",
	summary: "check a backup, then replace the database with it (server stopped)",
	help: `Checks that FILE (or standard input with "-") is a complete canaille
database of a format this version reads, then replaces CANAILLE_BOLT.PATH
with it. The previous database is kept beside it as
PATH.before-restore-TIMESTAMP. The server must be stopped: restore refuses
to run while a server answers on the control socket or holds the file.`,
	run: runRestore,
}

func runRestore(e *cmdEnv) error {
	pos, err := e.parse(e.flags(), 1, 1)
	if err != nil {
		return err
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	if err := checkBackend(cfg); err != nil {
		return err
	}
	if conn, _ := dialControl(cfg.Bolt.ControlSocketPath()); conn != nil {
		conn.Close()
		return fmt.Errorf("a canaille server is running (it answers on %s): stop it first (systemctl stop canaille), then restore", cfg.Bolt.ControlSocketPath())
	}
	target := cfg.Bolt.Path
	if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
		return err
	}
	// Copy the backup beside the target first: the check then runs on the
	// very bytes that will be renamed into place.
	af, err := createAtomic(target + ".restore")
	if err != nil {
		return err
	}
	defer af.abort()
	var src io.Reader = e.stdin
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		src = f
	}
	if _, err := io.Copy(af, src); err != nil {
		return fmt.Errorf("copy %s: %w", pos[0], err)
	}
	if err := af.Sync(); err != nil {
		return err
	}
	users, groups, err := verifyDatabase(cfg, af.Name())
	if err != nil {
		return fmt.Errorf("%s cannot be restored: %w", pos[0], err)
	}
	// Make sure nothing else holds the current database.
	if _, err := os.Stat(target); err == nil {
		h, err := newHasher(cfg)
		if err != nil {
			return err
		}
		bc := boltConfig(cfg, h, e.logger())
		bc.ReadOnly = true
		cur, err := bc.Open()
		if errors.Is(err, bolt.ErrInUse) {
			return err
		}
		if cur != nil {
			cur.Close()
		}
		aside := fmt.Sprintf("%s.before-restore-%s", target, time.Now().UTC().Format("20060102T150405Z"))
		if err := os.Rename(target, aside); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "the previous database is kept as %s\n", aside)
	}
	af.final = target
	if err := af.commit(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "restored %s into %s: %d users, %d groups\n", pos[0], target, users, groups)
	return nil
}

// verifyDatabase opens a database file read-only, checks its format and
// every page, and counts its users and groups.
func verifyDatabase(cfg *Config, path string) (users, groups int, err error) {
	h, err := newHasher(cfg)
	if err != nil {
		return 0, 0, err
	}
	bc := boltConfig(cfg, h, nil)
	bc.Path, bc.ReadOnly = path, true
	st, err := bc.Open()
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		return 0, 0, fmt.Errorf("the file is damaged: %w", err)
	}
	if users, err = st.CountUsers(context.Background()); err != nil {
		return 0, 0, err
	}
	groups, err = st.CountGroups(context.Background())
	return users, groups, err
}

// releaseMemory gives the memory freed by a large clean back to the
// system at once: the Go heap (the runtime would keep it for a while) and
// the database file's pages (counted in the resident size until the kernel
// needs them), so that a server's resident size falls back after a burst
// of expired tokens.
func releaseMemory(st any, deleted int) {
	if deleted < 10000 {
		return
	}
	if r, ok := st.(interface{ ReleaseMemory() error }); ok {
		_ = r.ReleaseMemory()
	}
	debug.FreeOSMemory()
}
