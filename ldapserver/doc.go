// Package ldapserver serves the store's users and groups over LDAP (plain
// LDAP with StartTLS, and LDAPS) to legacy applications: NSS/PAM through
// nslcd or sssd, mail servers, web applications, Apache mod_authnz_ldap.
//
// The LDAP engine is github.com/jimlambrt/gldap, behind a small gateway.
// The gateway (gateway.go) owns the public listeners, TLS, connection and
// idle limits, the client addresses and each connection's bind state; it
// frames each LDAPMessage reading only its envelope and answers Bind,
// Compare, ModifyDN, Abandon, SASL binds (authMethodNotSupported), WhoAmI,
// Password Modify and StartTLS itself (ops.go), which gldap cannot do. It
// forwards Search, Add, Modify and Delete unchanged to gldap (engine.go) on
// an internal loopback listener, one internal connection per client
// connection, registered with a one-time random token: an internal
// connection without a registration gets no data. Search responses are
// written by the engine straight to the client connection (encode.go).
//
// Both sides share the directory code (dir.go, search.go, write*.go): the
// tree (root, ou=users, ou=groups, users' private groups), entries built
// with package schemas, the permission rules of package acl, RFC 4515
// filters evaluated with each attribute's matching rule (filter*.go,
// match.go), RFC 2891 sorting and RFC 2696 paging. The server talks to
// storage only through the interfaces of package store, so any backend is
// served the same way.
package ldapserver
