package bolt

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	bbolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Compact rewrites the database file at path into a compact copy (bbolt
// keeps the pages freed by deletions, so the file never shrinks by
// itself) and replaces the file with it atomically. The file must not be
// in use: Compact holds its lock throughout and fails with ErrInUse,
// naming the holder, when another process has it. check, when set, runs
// on the finished copy before it replaces the file; an error keeps the
// file as it was. The copy gets the file's mode and, when allowed, owner.
func Compact(path string, timeout time.Duration, check func(newPath string) error) (before, after int64, err error) {
	if timeout <= 0 {
		timeout = time.Second
	}
	if err := checkExisting(path); err != nil {
		return 0, 0, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, fmt.Errorf("bolt: compact: %w", err)
	}
	before = fi.Size()
	src, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout, NoFreelistSync: true, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return 0, 0, fmt.Errorf("%w: %s is locked by %s", ErrInUse, path, lockHolder(path))
		}
		return 0, 0, fmt.Errorf("bolt: compact: open %s: %w", path, err)
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".compact-*")
	if err != nil {
		return 0, 0, fmt.Errorf("bolt: compact: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(tmpName)
		}
	}()
	if err := os.Chmod(tmpName, fi.Mode().Perm()); err != nil {
		return 0, 0, fmt.Errorf("bolt: compact: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		// Run as root on a file of the service's user, the copy must stay
		// the user's; other users cannot give files away and need not.
		if err := os.Chown(tmpName, int(st.Uid), int(st.Gid)); err != nil && !errors.Is(err, os.ErrPermission) {
			return 0, 0, fmt.Errorf("bolt: compact: %w", err)
		}
	}
	dst, err := bbolt.Open(tmpName, 0o600, &bbolt.Options{Timeout: timeout, NoFreelistSync: true, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		return 0, 0, fmt.Errorf("bolt: compact: %w", err)
	}
	if err := bbolt.Compact(dst, src, 64<<20); err != nil {
		dst.Close()
		return 0, 0, fmt.Errorf("bolt: compact: %w", err)
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return 0, 0, fmt.Errorf("bolt: compact: %w", err)
	}
	if err := dst.Close(); err != nil {
		return 0, 0, fmt.Errorf("bolt: compact: %w", err)
	}
	if err := syncFile(tmpName); err != nil {
		return 0, 0, fmt.Errorf("bolt: compact: %w", err)
	}
	if check != nil {
		if err := check(tmpName); err != nil {
			return 0, 0, fmt.Errorf("bolt: compact: the copy failed its check, the database is unchanged: %w", err)
		}
	}
	nfi, err := os.Stat(tmpName)
	if err != nil {
		return 0, 0, fmt.Errorf("bolt: compact: %w", err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return 0, 0, fmt.Errorf("bolt: compact: %w", err)
	}
	done = true
	if err := syncFile(filepath.Dir(path)); err != nil {
		return 0, 0, fmt.Errorf("bolt: compact: %w", err)
	}
	return before, nfi.Size(), nil
}

// syncFile flushes a file or directory to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
