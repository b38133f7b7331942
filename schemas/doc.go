// Package schemas is the one place where the store's model meets LDAP
// entries: which attribute holds which field, in which syntax, under which
// DN and with which object classes, and the registry of the attribute
// types, object classes, matching rules and syntaxes the built-in LDAP
// server serves (LookupAttribute, LookupObjectClass, SubschemaEntry). The
// import and export commands and the LDAP server use it; the upstream
// OpenLDAP backend will too, so that all of them agree.
//
// The attribute names are those of Python Canaille's LDAP backend, so that
// an existing Canaille directory reads as it is; they are listed, with the
// model names the ACL sections use, in [UserAttributes] and
// [GroupAttributes].
//
// # Reading
//
// [Classify] tells users from groups by their object classes.
// [UserFromEntry] and [GroupFromEntry] map entries (as package ldif reads
// them from slapcat output) to store.User and store.Group. Problems that
// make an entry unusable are an [*AttributeError] naming the attribute;
// lesser ones are warnings. Neither ever quotes a userPassword value.
// Groups come back with the DNs and user names of their members and owners,
// which the caller resolves once every user is read ([NormalizeDN] helps
// compare DNs).
//
// # Writing
//
// [UserToEntry] and [GroupToEntry] build entries with a stable attribute
// order, and [BaseEntries] the base entry and the ou=users and ou=groups
// units above them. [Options] choose what is written:
//
//   - Groups in rfc2307bis form (groupOfNames plus the auxiliary posixGroup,
//     as the built-in LDAP server serves them), or in NIS form for stock
//     OpenLDAP, whose nis schema makes posixGroup STRUCTURAL: slapadd
//     rejects groupOfNames with posixGroup there ("invalid structural
//     object class chain"). The NIS form has no gidNumber or memberUid, and
//     an empty group gets its own DN as its only member.
//   - Operational attributes (entryUUID, createTimestamp, modifyTimestamp),
//     which slapadd accepts and keeps. Store IDs that are not UUIDs get a
//     stable derived entryUUID ([EntryUUID]).
//   - Password-policy attributes (pwdChangedTime, pwdEndTime for the lock
//     date, pwdFailureTime), which exist only with OpenLDAP's ppolicy
//     overlay loaded, hence their own option.
//
// The syntaxes involved are converted by [ParseTime] and [FormatTime]
// (GeneralizedTime) and [EncodePostalAddress] and [DecodePostalAddress]
// (PostalAddress).
//
// # OpenLDAP schemas of the upstream backend
//
// The files of openldap/ are the schemas an OpenLDAP server needs for the
// upstream LDAP backend ([CANAILLE] DATABASE = "ldap"), embedded in the
// binary: the oauth2 schema, OID-compatible with Python Canaille's
// ([OAuthLDIF], [OAuthSchema], [OAuthDefinitions]), and the extension
// schema for the objects Python Canaille has no class for ([ExtensionLDIF],
// [ExtensionSchema], [ExtensionDefinitions]; OID arc [ExtensionArc]), each
// as a cn=config entry and as a slapd.conf schema file. [ParseSchemaLDIF],
// [ParseSchemaFile], [ParseAttributeType] and [ParseObjectClass] read such
// definitions, also from a server's cn=subschema. [UpstreamBranches] lists
// the organizational units that hold the OAuth and extension objects.
//
// Everything in this package is safe for concurrent use; the tables must not
// be modified.
package schemas
