package store

import (
	"errors"
	"strings"
)

// Sentinel errors. Backends wrap them with context and callers test them
// with errors.Is:
//
//	fmt.Errorf("bolt: get user %q: %w", name, store.ErrNotFound)
var (
	// ErrNotFound: the object does not exist (or has expired).
	ErrNotFound = errors.New("not found")
	// ErrExists: an object with the same identifier, user name, email,
	// uid/gid number or group name already exists.
	ErrExists = errors.New("already exists")
	// ErrInvalidCredentials: unknown user, wrong password, or a user without a
	// password. Deliberately says nothing about which.
	ErrInvalidCredentials = errors.New("invalid credentials")
	// ErrLocked: the password was right but the account is locked
	// (User.LockDate is in the past).
	ErrLocked = errors.New("account locked")
	// ErrReadOnly: the backend cannot perform this write.
	ErrReadOnly = errors.New("read-only backend")
	// ErrExhausted: no free number is left in the configured uid/gid range.
	ErrExhausted = errors.New("number range exhausted")
	// ErrConflict: a concurrent change made this one impossible (for example a
	// token that was rotated between read and write); the caller may retry.
	ErrConflict = errors.New("concurrent modification")
)

// ValidationError names one field whose value is not acceptable.
type ValidationError struct {
	Field  string // model name, e.g. "user_name" or "emails[1]"
	Reason string // what is wrong, lower-case, without the value if it may be secret
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

// ValidationErrors collects every problem of one object so that a person can
// fix them all at once. It unwraps to its *ValidationError elements, so
// errors.As(err, &ve) finds the first one.
type ValidationErrors []*ValidationError

func (es ValidationErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return "invalid " + strings.Join(parts, "; ")
}

// Unwrap gives access to each field error.
func (es ValidationErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// add records a problem.
func (es *ValidationErrors) add(field, reason string) {
	*es = append(*es, &ValidationError{Field: field, Reason: reason})
}

// err returns nil when no problem was recorded.
func (es ValidationErrors) err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}
