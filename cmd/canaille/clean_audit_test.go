package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/bolt"
	"github.com/canaille-go/canaille/ui"
)

// openStoreNoCleanup opens the database for a test that closes it itself
// (to let a command open it next).
func (te *testEnv) openStoreNoCleanup() *bolt.Store {
	te.t.Helper()
	cfg, _, err := LoadConfig(te.config, nil)
	if err != nil {
		te.t.Fatal(err)
	}
	h, err := newHasher(cfg)
	if err != nil {
		te.t.Fatal(err)
	}
	st, err := boltConfig(cfg, h, nil).Open()
	if err != nil {
		te.t.Fatal(err)
	}
	return st
}

// appendAgedAudit stores events 1, 399 and 401 days old and returns
// their IDs in that order.
func appendAgedAudit(t *testing.T, st *bolt.Store) []string {
	t.Helper()
	var ids []string
	for _, days := range []int{1, 399, 401} {
		e, err := st.AppendAudit(context.Background(), store.AuditEvent{Time: time.Now().AddDate(0, 0, -days),
			Actor: "admin", Action: "user.update", Target: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	return ids
}

func auditIDs(t *testing.T, st *bolt.Store) []string {
	t.Helper()
	evs, err := st.ListAudit(context.Background(), store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	return ids
}

// The periodic cleaner of canaille run drops the audit events older than
// the retention, and keeps the others.
func TestCleanerAuditRetention(t *testing.T) {
	if ui.AuditRetention != 400*24*time.Hour {
		t.Fatalf("retention %v, documented as 400 days", ui.AuditRetention)
	}
	te := newTestEnv(t)
	te.install()
	st := te.openStore()
	ids := appendAgedAudit(t, st)
	var logs syncBuffer
	c := &cleaner{store: st, log: slog.New(slog.NewTextHandler(&logs, nil)), every: time.Minute}
	c.clean()
	if got := auditIDs(t, st); strings.Join(got, " ") != ids[0]+" "+ids[1] {
		t.Errorf("after cleaning: %v, want the events of 1 and 399 days (%v)", got, ids[:2])
	}
	if !strings.Contains(logs.String(), `msg="cleaned the audit log" events=1 retention_days=400`) {
		t.Errorf("cleaner logs:\n%s", logs.String())
	}
	c.clean()
	if got := auditIDs(t, st); len(got) != 2 {
		t.Errorf("a second cleaning left %v", got)
	}
}

// canaille clean does the same now, directly or through a running server.
func TestCleanCommandAuditRetention(t *testing.T) {
	te := newTestEnv(t)
	te.install()
	st := te.openStoreNoCleanup()
	ids := appendAgedAudit(t, st)
	st.Close()
	out := te.ok("", "clean")
	if !strings.Contains(out, "deleted 1 audit events older than 400 days") {
		t.Errorf("clean printed:\n%s", out)
	}
	st = te.openStoreNoCleanup()
	got := auditIDs(t, st)
	// Through the server: run's own cleaner goes first, so the command
	// finds nothing left to delete.
	appendAgedAudit(t, st)
	st.Close()
	if strings.Join(got, " ") != ids[0]+" "+ids[1] {
		t.Errorf("after clean: %v, want %v", got, ids[:2])
	}
	te.startServer()
	out = te.ok("", "clean")
	if !strings.Contains(out, "audit events older than 400 days") {
		t.Errorf("clean through the server printed:\n%s", out)
	}
}
