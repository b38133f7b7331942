// Package bolttest opens throwaway bolt stores for the tests of other
// packages: a file in the test's temporary directory, no fsync, and a
// password hasher cheap enough for tests.
package bolttest

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store/bolt"
	"github.com/canaille-go/canaille/store/password"
)

// Hasher returns an argon2id hasher with the smallest parameters: fast,
// and never to be used outside tests.
func Hasher(t testing.TB) *password.Hasher {
	t.Helper()
	h, err := password.NewHasher(password.Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Open returns a new empty store, closed when the test ends; now, when not
// nil, replaces the clock.
func Open(t testing.TB, now func() time.Time) *bolt.Store {
	t.Helper()
	st, err := bolt.Config{Path: filepath.Join(t.TempDir(), "c.db"), Hasher: Hasher(t), NoSync: true, Now: now}.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
