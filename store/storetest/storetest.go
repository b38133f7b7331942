// Package storetest is the conformance suite of package store: every
// backend (store/bolt, the upstream LDAP adapter) runs it from its own tests
// to prove that it honours the contract written in store's doc comments.
//
// A backend's test file is short:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Suite{
//			New: func(t *testing.T) store.Store { return mustOpenStore(t) },
//			UpgradesHashes:  true,
//			RecordsFailures: true,
//			POSIX:           testPOSIX,
//		})
//	}
//
// Every behaviour is one subtest with a fresh store, named for the
// behaviour ("CreateUser/DuplicateName"), so that `go test -run` can select
// it. The suite observes backends only through package store: it never
// looks at files, buckets or LDAP entries, and asserts errors with
// errors.Is and errors.As, never by message.
package storetest

import (
	"testing"

	"github.com/canaille-go/canaille/store"
)

// Suite describes a backend under test.
type Suite struct {
	// New returns a fresh, empty store for one subtest and registers its
	// cleanup with t.Cleanup.
	New func(t *testing.T) store.Store
	// UpgradesHashes: the backend replaces an imported hash ({SSHA},
	// bcrypt…) by its own scheme ({ARGON2}) after a successful
	// Authenticate, and SetPassword writes that scheme.
	UpgradesHashes bool
	// RecordsFailures: the backend appends to
	// User.PasswordFailureTimestamps on a wrong password and clears them on
	// success.
	RecordsFailures bool
	// POSIX is the allocation range configured in New's stores (to test
	// uid/gid allocation and exhaustion). Exhaustion is tested only when a
	// range holds at most maxExhaustRange numbers.
	POSIX store.POSIXDefaults
	// DirectoryOnly: New's stores implement only the directory
	// interfaces (store.Directory, store.DirectoryWriter and maybe
	// store.Importer), behind a store.Store whose other methods must not be
	// called. The directory parts (RunUsers, RunUserPages, RunGroups,
	// RunAuthenticate, RunImport) then skip the few subtests that also need
	// the OIDC state; Run and the other parts refuse such a suite.
	DirectoryOnly bool
	// ASCIIEmails: the backend keeps emails in an IA5String attribute (LDAP
	// mail, RFC 4524) and refuses internationalised addresses, so the
	// non-ASCII email subtest is skipped.
	ASCIIEmails bool
	// LockedRefusesAnyPassword: the backend's server refuses every
	// password of a locked account without checking it (OpenLDAP's
	// ppolicy), so a locked account gives ErrLocked for a wrong password
	// too, and the subtest expecting ErrInvalidCredentials is skipped.
	LockedRefusesAnyPassword bool
}

// maxExhaustRange is the largest uid or gid range the suite fills to test
// ErrExhausted; larger ranges skip that subtest.
const maxExhaustRange = 200

// Run runs every part of the suite. The backup part runs without a reopen
// function, so it checks only what it can without reading the copy back;
// call RunBackup with one to check the copy too.
func Run(t *testing.T, s Suite) {
	s.check(t)
	if s.DirectoryOnly {
		t.Fatal("storetest: Run needs a complete store; call the directory parts of a DirectoryOnly suite one by one")
	}
	t.Run("Users", func(t *testing.T) { RunUsers(t, s) })
	t.Run("UserPages", func(t *testing.T) { RunUserPages(t, s) })
	t.Run("Groups", func(t *testing.T) { RunGroups(t, s) })
	t.Run("Authenticate", func(t *testing.T) { RunAuthenticate(t, s) })
	t.Run("Import", func(t *testing.T) { RunImport(t, s) })
	t.Run("OIDC", func(t *testing.T) { RunOIDC(t, s) })
	t.Run("Expiry", func(t *testing.T) { RunExpiry(t, s) })
	t.Run("Concurrency", func(t *testing.T) { RunConcurrency(t, s) })
	t.Run("Backup", func(t *testing.T) { RunBackup(t, s, nil) })
	t.Run("Audit", func(t *testing.T) { RunAudit(t, s) })
}

// check stops the test when the suite itself is unusable.
func (s Suite) check(t *testing.T) {
	t.Helper()
	if s.New == nil {
		t.Fatal("storetest: Suite.New is nil")
	}
	if err := s.POSIX.Validate(); err != nil {
		t.Fatalf("storetest: Suite.POSIX must be the range configured in New's stores: %v", err)
	}
}

// subtests runs each function as a subtest with a fresh store.
func (s Suite) subtests(t *testing.T, tests []subtest) {
	t.Helper()
	s.check(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, s.New(t))
		})
	}
}

// withOIDC marks a directory subtest that also needs the OIDC state: it is
// skipped for a DirectoryOnly suite.
func (s Suite) withOIDC(run func(t *testing.T, st store.Store)) func(t *testing.T, st store.Store) {
	if !s.DirectoryOnly {
		return run
	}
	return func(t *testing.T, _ store.Store) {
		t.Skip("needs the OIDC state, which this DirectoryOnly store does not implement")
	}
}

// subtest is one behaviour of the contract.
type subtest struct {
	name string
	run  func(t *testing.T, st store.Store)
}

// requireFull stops a part that needs a complete store.
func (s Suite) requireFull(t *testing.T) {
	t.Helper()
	if s.DirectoryOnly {
		t.Fatal("storetest: this part needs a complete store, not a DirectoryOnly suite")
	}
}
