package store

import (
	"fmt"
	"strings"
)

// POSIXDefaults say how a backend fills the POSIX attributes that legacy
// LDAP clients need when a user or group is created without them.
type POSIXDefaults struct {
	UIDMin, UIDMax uint32 // range of allocated uid numbers, inclusive
	GIDMin, GIDMax uint32 // range of allocated group gid numbers, inclusive
	// PrimaryGID is the gid number given to new users; 0 gives each user
	// its own uid number (user private groups, as Kanidm and FreeIPA do).
	PrimaryGID uint32
	// HomeDirectory is a template where {user_name} is replaced.
	HomeDirectory string
	LoginShell    string
}

// DefaultPOSIX returns the built-in defaults: numbers from 10000 to 59999
// (clear of system accounts and of nobody's 65534), /home/{user_name},
// /bin/bash.
func DefaultPOSIX() POSIXDefaults {
	return POSIXDefaults{UIDMin: 10000, UIDMax: 59999, GIDMin: 10000, GIDMax: 59999,
		HomeDirectory: "/home/{user_name}", LoginShell: "/bin/bash"}
}

// Validate reports inconsistent ranges and paths.
func (p POSIXDefaults) Validate() error {
	var es ValidationErrors
	if p.UIDMin == 0 || p.UIDMin > p.UIDMax {
		es.add("UID_MIN", fmt.Sprintf("must be at least 1 and at most UID_MAX (%d)", p.UIDMax))
	}
	if p.GIDMin == 0 || p.GIDMin > p.GIDMax {
		es.add("GID_MIN", fmt.Sprintf("must be at least 1 and at most GID_MAX (%d)", p.GIDMax))
	}
	if !strings.HasPrefix(p.HomeDirectory, "/") {
		es.add("HOME_DIRECTORY", "must be an absolute path")
	}
	if !strings.HasPrefix(p.LoginShell, "/") {
		es.add("LOGIN_SHELL", "must be an absolute path")
	}
	return es.err()
}

// Home returns the home directory of a user with this name.
func (p POSIXDefaults) Home(userName string) string {
	return strings.ReplaceAll(p.HomeDirectory, "{user_name}", userName)
}
