// Package ldapserver will serve the store's users and groups over LDAP
// (plain, LDAPS and StartTLS) on top of github.com/jimlambrt/gldap, behind a
// small gateway that answers the operations gldap cannot (Bind, Compare,
// ModifyDN, Abandon, WhoAmI, Password Modify).
//
// It talks to storage only through the interfaces of package store, so the
// bbolt backend and the upstream LDAP backend are served the same way.
//
// The package holds no server yet: the LDAP server arrives with its own issue,
// and `canaille run` starts nothing on the LDAP ports until then.
package ldapserver
