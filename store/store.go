// Package store is the storage contract of canaille: the domain types
// (users, groups, OIDC clients, codes, tokens, consents, sessions, tickets,
// signing keys), the interfaces every backend implements, and the sentinel
// errors callers test with errors.Is.
//
// Two backends implement it: store/bolt (one bbolt file) and, later, the
// upstream LDAP adapter. Protocol packages (ldapserver, oidc, ui) accept the
// smallest interface they need and never import a backend; only cmd/canaille
// chooses one. The conformance suite in store/storetest runs against every
// backend.
//
// Conventions for every interface of this package:
//   - Methods are safe for concurrent use.
//   - Returned values are copies owned by the caller.
//   - Missing objects give an error wrapping ErrNotFound; duplicates of a
//     unique identifier give ErrExists; invalid objects give a
//     ValidationErrors naming each field.
//   - Look-ups by user name, email and group name are case-insensitive.
//   - Secrets never appear in errors.
package store

import (
	"context"
	"io"
	"time"
)

// Directory reads users and groups and checks passwords. It is what the LDAP
// server, the OIDC provider and the sign-in pages need.
type Directory interface {
	GetUser(ctx context.Context, id string) (User, error)
	// GetUserByName finds a user by user_name.
	GetUserByName(ctx context.Context, userName string) (User, error)
	// GetUserByEmail finds the user holding this address among its emails.
	GetUserByEmail(ctx context.Context, email string) (User, error)
	GetUserByUIDNumber(ctx context.Context, uid uint32) (User, error)
	// ListUsers returns users sorted by user_name (case-insensitively).
	ListUsers(ctx context.Context, q UserQuery) ([]User, error)
	CountUsers(ctx context.Context) (int, error)
	// UserPhoto returns the stored photo, or ErrNotFound.
	UserPhoto(ctx context.Context, userID string) ([]byte, error)

	GetGroup(ctx context.Context, id string) (Group, error)
	// GetGroupByName finds a group by display_name.
	GetGroupByName(ctx context.Context, name string) (Group, error)
	GetGroupByGIDNumber(ctx context.Context, gid uint32) (Group, error)
	// ListGroups returns groups sorted by display_name (case-insensitively).
	ListGroups(ctx context.Context, q GroupQuery) ([]Group, error)
	CountGroups(ctx context.Context) (int, error)

	// Authenticate checks the password of the user with this user_name.
	// It returns the user on success; ErrInvalidCredentials for an unknown
	// user, a user without a password or a wrong password (taking the same
	// time in each case); ErrLocked when the password is right but the
	// account is locked. A backend may record the failure time of a wrong
	// password (User.PasswordFailureTimestamps), and may replace a hash of
	// an older scheme by its current one after a success.
	Authenticate(ctx context.Context, userName, password string) (User, error)
}

// DirectoryWriter changes users and groups. It is optional: callers
// type-assert a Directory to it, and treat its absence as read-only.
type DirectoryWriter interface {
	// CreateUser stores a new user and returns it as stored. An empty ID is
	// generated; zero uid/gid numbers are allocated; PasswordHash, when set,
	// must be a hash the backend can verify (imports) and is kept as is.
	CreateUser(ctx context.Context, u User) (User, error)
	// UpdateUser runs fn on a copy of the user inside the backend's
	// transaction and stores the result, keeping ID, Created and Groups.
	// An error from fn aborts the update and is returned as is.
	UpdateUser(ctx context.Context, id string, fn func(*User) error) (User, error)
	// DeleteUser removes the user, its memberships, photo, sessions,
	// tickets, consents, authorization codes and tokens.
	DeleteUser(ctx context.Context, id string) error
	// SetPassword hashes password with the backend's current scheme and
	// stores it, clearing failure timestamps. Policy checks (length, …) are
	// the caller's (see PasswordPolicy).
	SetPassword(ctx context.Context, userID, password string) error
	// SetUserPhoto stores a photo; nil removes it.
	SetUserPhoto(ctx context.Context, userID string, photo []byte) error

	// CreateGroup stores a new group; members and owners must exist.
	CreateGroup(ctx context.Context, g Group) (Group, error)
	// UpdateGroup runs fn on a copy of the group inside the transaction.
	UpdateGroup(ctx context.Context, id string, fn func(*Group) error) (Group, error)
	DeleteGroup(ctx context.Context, id string) error
	// AddMember and RemoveMember change one membership without rewriting
	// the group; adding an existing member or removing a non-member is not
	// an error.
	AddMember(ctx context.Context, groupID, userID string) error
	RemoveMember(ctx context.Context, groupID, userID string) error
}

// Importer loads many users and groups in one all-or-nothing step. Group
// members and owners refer to users by ID, which must be set on the users.
type Importer interface {
	Import(ctx context.Context, users []User, groups []Group) error
}

// UserQuery selects users for ListUsers.
type UserQuery struct {
	// Search keeps users whose user_name, names or emails contain this
	// text, case-insensitively. Empty keeps all.
	Search string
	// After continues a listing: only users whose user_name sorts after
	// this one (case-insensitively).
	After string
	// Limit caps the number of users returned; 0 means no limit.
	Limit int
}

// GroupQuery selects groups for ListGroups.
type GroupQuery struct {
	Search string // in display_name and description
	After  string // display_name to continue after
	Limit  int
	// MemberID keeps only the groups this user belongs to.
	MemberID string
	// OwnerID keeps only the groups this user owns.
	OwnerID string
}

// OIDCStore keeps the operational state of the OIDC provider and the web
// interface. Every backend implements it.
type OIDCStore interface {
	CreateClient(ctx context.Context, c Client) (Client, error)
	GetClient(ctx context.Context, clientID string) (Client, error)
	ListClients(ctx context.Context) ([]Client, error)
	UpdateClient(ctx context.Context, clientID string, fn func(*Client) error) (Client, error)
	// DeleteClient also deletes the client's consents, codes and tokens.
	DeleteClient(ctx context.Context, clientID string) error

	// CreateAuthorizationCode stores c; c.Code is required and unique, and
	// c.Lifetime must be positive.
	CreateAuthorizationCode(ctx context.Context, c AuthorizationCode) (AuthorizationCode, error)
	// GetAuthorizationCode finds a code by its value, expired or revoked
	// ones included (the caller decides what a replay means).
	GetAuthorizationCode(ctx context.Context, code string) (AuthorizationCode, error)
	// UpdateAuthorizationCode runs fn on the code inside the transaction,
	// e.g. to mark it used only if it was not used yet. fn may run more
	// than once (a backend may retry the transaction): it must change
	// nothing but the code it is given.
	UpdateAuthorizationCode(ctx context.Context, id string, fn func(*AuthorizationCode) error) (AuthorizationCode, error)
	DeleteAuthorizationCode(ctx context.Context, id string) error

	// CreateToken stores t; at least one of AccessToken and RefreshToken
	// is required, each unique, and t.Lifetime must be positive.
	CreateToken(ctx context.Context, t Token) (Token, error)
	GetToken(ctx context.Context, id string) (Token, error)
	GetTokenByAccessToken(ctx context.Context, accessToken string) (Token, error)
	GetTokenByRefreshToken(ctx context.Context, refreshToken string) (Token, error)
	// ListTokens returns matching tokens, most recent first.
	ListTokens(ctx context.Context, q TokenQuery) ([]Token, error)
	// UpdateToken runs fn on the token inside the transaction; as for
	// UpdateAuthorizationCode, fn may run more than once.
	UpdateToken(ctx context.Context, id string, fn func(*Token) error) (Token, error)
	// RevokeTokens sets RevocationDate on every matching token not yet
	// revoked and returns how many it changed.
	RevokeTokens(ctx context.Context, q TokenQuery, at time.Time) (int, error)
	DeleteToken(ctx context.Context, id string) error

	// GetConsent finds the consent of a user for a client.
	GetConsent(ctx context.Context, subject, clientID string) (Consent, error)
	// PutConsent creates or replaces the consent of c.Subject for
	// c.ClientID (keeping its ID if one exists).
	PutConsent(ctx context.Context, c Consent) (Consent, error)
	ListConsents(ctx context.Context, subject, clientID string) ([]Consent, error)
	DeleteConsent(ctx context.Context, id string) error

	// CreateSession stores s; s.Token, s.UserID (an existing user) and
	// s.Expires are required.
	CreateSession(ctx context.Context, s Session) (Session, error)
	// GetSessionByToken finds an unexpired session by its cookie value.
	GetSessionByToken(ctx context.Context, token string, now time.Time) (Session, error)
	UpdateSession(ctx context.Context, id string, fn func(*Session) error) (Session, error)
	ListSessions(ctx context.Context, userID string) ([]Session, error)
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions ends every session of the user except exceptID,
	// and returns how many it ended.
	DeleteUserSessions(ctx context.Context, userID, exceptID string) (int, error)

	// CreateTicket stores t; t.Token, t.Kind and t.Expires are required.
	CreateTicket(ctx context.Context, t Ticket) (Ticket, error)
	// GetTicket finds an unused, unexpired ticket without using it.
	GetTicket(ctx context.Context, kind, token string, now time.Time) (Ticket, error)
	// ConsumeTicket marks an unused, unexpired ticket used and returns it;
	// a second call for the same ticket gives ErrNotFound.
	ConsumeTicket(ctx context.Context, kind, token string, now time.Time) (Ticket, error)
	DeleteTicket(ctx context.Context, id string) error

	// MarkJTI records a JWT ID until exp (replay protection for client
	// assertions); ErrExists if it is already recorded and unexpired.
	MarkJTI(ctx context.Context, jti string, exp time.Time) error

	PutSigningKey(ctx context.Context, k SigningKey) error
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	DeleteSigningKey(ctx context.Context, kid string) error

	// DeleteExpired removes authorization codes, tokens, sessions, tickets
	// and JWT IDs that expired before now.
	DeleteExpired(ctx context.Context, now time.Time) (CleanReport, error)
}

// TokenQuery selects tokens; empty fields match everything.
type TokenQuery struct {
	ClientID  string
	Subject   string
	RequestID string
	// Active keeps only tokens neither revoked nor expired at ActiveAt.
	Active   bool
	ActiveAt time.Time
	Limit    int
}

// Backupper writes a consistent copy of the whole database while the
// backend keeps serving.
type Backupper interface {
	Backup(ctx context.Context, w io.Writer) (int64, error)
}

// Store is everything a complete backend offers.
type Store interface {
	Directory
	DirectoryWriter
	OIDCStore
	AuditLog
	Close() error
}
