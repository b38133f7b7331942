// Package schemas will embed the declarative LDAP data of the project: the
// oauth2 schema (OpenLDAP cn=config LDIF and slapd.conf formats,
// OID-compatible with Python Canaille's) and the attribute maps between the
// store's model and LDAP entries.
//
// The schemas arrive with the upstream LDAP backend's issue.
package schemas
