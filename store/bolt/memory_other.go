//go:build !linux

package bolt

// ReleaseMemory does nothing outside Linux.
func (s *Store) ReleaseMemory() error { return nil }
