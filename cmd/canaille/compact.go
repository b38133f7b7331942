package main

import (
	"errors"
	"fmt"

	"github.com/canaille-go/canaille/store/bolt"
)

var cmdCompact = &command{
	name:    "compact",
	summary: "rewrite the database file compactly (server stopped)",
	help: `Rewrites CANAILLE_BOLT.PATH into a compact copy and replaces the file
with it atomically, then prints the size before and after. The database
keeps the space freed by deletions (expired tokens, removed users) for
later writes, so the file never shrinks by itself; compacting gives it
back to the disk. The copy is checked (every page, and the same numbers of
users and groups) before it replaces the file, and keeps the file's mode
and owner.

The server must be stopped: compact refuses to run while a server answers
on the control socket or another process holds the file. Take a backup
first ('canaille backup FILE').`,
	run: runCompact,
}

func runCompact(e *cmdEnv) error {
	if _, err := e.parse(e.flags(), 0, 0); err != nil {
		return err
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	if upstreamBackend(cfg) {
		return errors.New(`with CANAILLE.DATABASE = "ldap" the data lives in the directory: there is no file to compact`)
	}
	if conn, _ := dialControl(cfg.Bolt.ControlSocketPath()); conn != nil {
		conn.Close()
		return fmt.Errorf("a canaille server is running (it answers on %s): stop it first (systemctl stop canaille), then compact", cfg.Bolt.ControlSocketPath())
	}
	path := cfg.Bolt.Path
	// Counting first also checks the file, and names the holder of its
	// lock if another process has it.
	users, groups, err := verifyDatabase(cfg, path)
	if err != nil {
		return err
	}
	before, after, err := bolt.Compact(path, cfg.Bolt.Timeout.Duration(), func(tmp string) error {
		u, g, err := verifyDatabase(cfg, tmp)
		if err != nil {
			return err
		}
		if u != users || g != groups {
			return fmt.Errorf("the copy has %d users and %d groups, the database %d and %d", u, g, users, groups)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "compacted %s: %s before, %s after (%d users, %d groups)\n", path, humanBytes(before), humanBytes(after), users, groups)
	return nil
}
