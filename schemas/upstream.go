package schemas

import "strings"

// The layout of the upstream directory ([CANAILLE] DATABASE = "ldap"), as
// `canaille install` creates it and the upstream backend uses it. Users
// and groups live under USER_BASE and GROUP_BASE; the rest under ou=oauth
// below ROOT_DN, as in Python Canaille for the OAuth objects. The objects
// of the extension schema live there too, so that the ACLs an existing
// Python Canaille deployment grants its service account on ou=oauth cover
// them.
//
// Each branch is an organizationalUnit, relative to ROOT_DN.
const (
	OAuthBranch          = "ou=oauth"
	ClientsBranch        = "ou=clients,ou=oauth"        // oauthClient, RDN oauthClientID
	AuthorizationsBranch = "ou=authorizations,ou=oauth" // oauthAuthorizationCode, RDN oauthAuthorizationCodeID
	TokensBranch         = "ou=tokens,ou=oauth"         // oauthToken, RDN oauthTokenID
	ConsentsBranch       = "ou=consents,ou=oauth"       // oauthConsent, RDN cn
	SessionsBranch       = "ou=sessions,ou=oauth"       // canailleSession, RDN canailleID
	TicketsBranch        = "ou=tickets,ou=oauth"        // canailleTicket, RDN canailleID
	JWTIDsBranch         = "ou=jwtids,ou=oauth"         // canailleJWTID, RDN canailleID
	KeysBranch           = "ou=keys,ou=oauth"           // canailleSigningKey, RDN canailleID
	AuditBranch          = "ou=audit,ou=oauth"          // canailleAuditEvent, RDN canailleID
)

// UpstreamBranches returns the DNs of the branches under rootDN, parents
// first: Python Canaille's four and the extension's five.
func UpstreamBranches(rootDN string) []string {
	rel := []string{OAuthBranch, ClientsBranch, AuthorizationsBranch, TokensBranch, ConsentsBranch,
		SessionsBranch, TicketsBranch, JWTIDsBranch, KeysBranch, AuditBranch}
	out := make([]string, len(rel))
	for i, r := range rel {
		if strings.TrimSpace(rootDN) == "" {
			out[i] = r
		} else {
			out[i] = r + "," + rootDN
		}
	}
	return out
}
