// Package ldap is the upstream OpenLDAP backend (DATABASE = "ldap"): it
// keeps users and groups in an existing directory laid out as Python
// Canaille lays it out (CANAILLE.md 5.3), through the mapping of package
// schemas, on github.com/go-ldap/ldap/v3.
//
// # What is implemented
//
// *Directory implements store.Store (store.Directory,
// store.DirectoryWriter, store.OIDCStore, store.AuditLog) and
// store.Importer, and passes the whole conformance suite. It does not
// implement store.UserPager (listings page through store.PageUsers'
// fallback) nor store.Backupper (a directory is backed up by its own
// tools).
//
// OIDC objects live under ou=oauth (schemas.UpstreamBranches): see
// clients.go, tokens.go, web.go and audit.go for each mapping and
// oidcmap.go for the references (DNs) and the optimistic updates with the
// Assertion control on entryCSN.
//
// # Mapping
//
//   - Object IDs are entryUUID (explicit IDs are written with the Relax
//     Rules control, which needs the manage privilege: the rootdn has it);
//     created and last_modified are createTimestamp and modifyTimestamp
//     (refined by entryCSN's microseconds).
//   - Users: USER_CLASS (plus posixAccount, shadowAccount; oathHOTPToken
//     when the otp overlay exists), RDN USER_RDN. Every user gets a uid
//     number from the configured range (see fillPOSIX for races between
//     nodes).
//   - Groups: groupOfNames, RDN cn; with an rfc2307bis schema (posixGroup
//     AUXILIARY) also posixGroup with gidNumber and memberUid; with the
//     stock nis schema groups have no gid number. Membership is written on
//     the group's member attribute; a user's groups are read from memberOf
//     when the memberof overlay exists, from the groups' member values
//     otherwise. An empty group keeps its own DN as its only member (see
//     groups.go), never reported as a member.
//   - Passwords: Authenticate binds as the user (never reads userPassword)
//     on connections kept for user binds only, with the ppolicy request
//     control; SetPassword uses the Password Modify extended operation.
//     Lock dates are ppolicy's pwdEndTime (slapd 2.5.13+ enforces it);
//     without ppolicy a lock date is refused with a validation error.
//     Failure times are ppolicy's pwdFailureTime.
//   - Every user-provided value is escaped in filters (ldap.EscapeFilter)
//     and DNs (ldap.EscapeDN).
//
// # Connections
//
// A pool of service connections bound as BIND_DN (POOL_SIZE, a lifetime,
// IsClosing health checks) retries an operation on a fresh connection after
// a network error, so that a directory restart is survived without
// restarting canaille. ldap://, ldaps:// and ldapi:// URIs, StartTLS and a
// CA file are supported.
//
// # Requests per call
//
// Users (with their groups) and clients are served from a read cache for
// Config.CacheTTL (cache.go); new sessions, tickets, codes and access
// tokens get IDs derived from their secret (derivedID), so that their adds
// need no duplicate search; updateByID asserts the entryCSN of the last
// read of the object instead of reading it again. A warm sign-in
// (Authenticate, CreateSession, CreateAuthorizationCode after the sign-in
// form's GetUserByName) is three requests: TestRoundTrips.
package ldap
