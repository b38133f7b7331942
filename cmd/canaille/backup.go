package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/canaille-go/canaille/store"
)

// backupPrefix and backupSuffix frame the UTC timestamp in the names of
// scheduled backups: canaille-20260131T020000Z.db. The timestamps sort as
// the names do.
const (
	backupPrefix     = "canaille-"
	backupSuffix     = ".db"
	backupTimeLayout = "20060102T150405Z"
)

// scheduledBackups writes a consistent copy of the database into dir
// every interval, keeping the newest keep (CANAILLE_BOLT.BACKUP_DIR,
// BACKUP_INTERVAL, BACKUP_KEEP).
type scheduledBackups struct {
	st       store.Backupper
	dir      string
	interval time.Duration
	keep     int
	log      *slog.Logger
	metrics  *opsMetrics // may be nil
	now      func() time.Time
	stop     chan struct{}
	done     chan struct{}
}

func (b *scheduledBackups) Name() string { return "backups" }

func (b *scheduledBackups) Start(ctx context.Context) error {
	if err := os.MkdirAll(b.dir, 0o700); err != nil {
		return fmt.Errorf("CANAILLE_BOLT.BACKUP_DIR: %w", err)
	}
	if b.now == nil {
		b.now = time.Now
	}
	b.stop, b.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(b.done)
		t := time.NewTicker(b.interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
			case <-b.stop:
				return
			}
			b.run()
		}
	}()
	b.log.Info("scheduled backups", "dir", b.dir, "interval", b.interval.String(), "keep", b.keep)
	return nil
}

// run takes one backup and rotates, logging the outcome.
func (b *scheduledBackups) run() {
	start := b.now()
	path, n, err := b.backup(start)
	b.metrics.backupDone(start, err)
	if err != nil {
		b.log.Error("scheduled backup failed", "dir", b.dir, "error", err)
		return
	}
	b.log.Info("scheduled backup written", "file", path, "bytes", n, "duration", roundDuration(time.Since(start)))
	removed, err := b.rotate()
	if err != nil {
		b.log.Error("removing old backups", "dir", b.dir, "error", err)
	}
	for _, r := range removed {
		b.log.Info("old backup removed", "file", r)
	}
}

// backup writes one backup named after at, atomically: a temporary file
// beside it, synced, then renamed.
func (b *scheduledBackups) backup(at time.Time) (string, int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), max(b.interval, time.Minute))
	defer cancel()
	path := filepath.Join(b.dir, backupPrefix+at.UTC().Format(backupTimeLayout)+backupSuffix)
	if _, err := os.Lstat(path); err == nil {
		return "", 0, fmt.Errorf("%s already exists", path)
	}
	af, err := createAtomic(path)
	if err != nil {
		return "", 0, err
	}
	defer af.abort()
	n, err := b.st.Backup(ctx, af)
	if err != nil {
		return "", 0, err
	}
	if err := af.commit(); err != nil {
		return "", 0, err
	}
	return path, n, nil
}

// rotate removes all but the newest keep backups of dir, and temporary
// files a crash left behind; it touches no other file.
func (b *scheduledBackups) rotate() ([]string, error) {
	entries, err := os.ReadDir(b.dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if _, ok := backupTime(e.Name()); ok {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	var removed []string
	var errs []error
	for len(names) > b.keep {
		p := filepath.Join(b.dir, names[0])
		names = names[1:]
		if err := os.Remove(p); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, p)
	}
	return removed, errors.Join(errs...)
}

// backupTime parses the name of a scheduled backup.
func backupTime(name string) (time.Time, bool) {
	s, ok := strings.CutPrefix(name, backupPrefix)
	if !ok {
		return time.Time{}, false
	}
	if s, ok = strings.CutSuffix(s, backupSuffix); !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(backupTimeLayout, s)
	return t, err == nil
}

func (b *scheduledBackups) Shutdown(ctx context.Context) error {
	close(b.stop)
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		return errors.New("backups did not stop in time")
	}
}
