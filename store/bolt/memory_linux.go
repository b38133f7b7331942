package bolt

import (
	"go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// ReleaseMemory drops the pages of the database file from the process's
// resident memory: after a large clean (a million expired tokens) they
// would otherwise stay counted in its RSS until the kernel needs them. The
// pages stay in the kernel's page cache and are read back when used.
//
// bbolt maps the file read-only and shared, so dropping pages loses
// nothing. The read transaction keeps bbolt from remapping the file while
// the advice is given (a remap waits for every read transaction).
func (s *Store) ReleaseMemory() error {
	return s.db.View(func(tx *bbolt.Tx) error {
		size := tx.Size()
		if size <= 0 {
			return nil
		}
		_, _, errno := unix.Syscall(unix.SYS_MADVISE, s.db.Info().Data, uintptr(size), unix.MADV_DONTNEED)
		if errno != 0 {
			return errno
		}
		return nil
	})
}
