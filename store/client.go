package store

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Client is an OAuth 2 / OpenID Connect relying party, with the metadata of
// RFC 7591 and OpenID Connect Dynamic Client Registration.
//
// The secret is never stored: ClientSecretHash holds "sha256:" and the hex
// SHA-256 of it (client secrets are long random values, so a fast digest is
// enough and bcrypt's cost would only slow the token endpoint). Use
// SetSecret and CheckSecret.
type Client struct {
	ID                    string    `json:"client_id"` // the identifier
	Created               time.Time `json:"client_id_issued_at,omitzero"`
	LastModified          time.Time `json:"last_modified,omitzero"`
	ClientSecretHash      string    `json:"-"`
	ClientSecretExpiresAt time.Time `json:"client_secret_expires_at,omitzero"` // zero: never

	ClientName                   string   `json:"client_name,omitempty"`
	Description                  string   `json:"description,omitempty"`
	ClientURI                    string   `json:"client_uri,omitempty"`
	LogoURI                      string   `json:"logo_uri,omitempty"`
	TOSURI                       string   `json:"tos_uri,omitempty"`
	PolicyURI                    string   `json:"policy_uri,omitempty"`
	Contacts                     []string `json:"contacts,omitempty"`
	RedirectURIs                 []string `json:"redirect_uris,omitempty"`
	PostLogoutRedirectURIs       []string `json:"post_logout_redirect_uris,omitempty"`
	BackchannelLogoutURI         string   `json:"backchannel_logout_uri,omitempty"`
	GrantTypes                   []string `json:"grant_types,omitempty"`
	ResponseTypes                []string `json:"response_types,omitempty"`
	Scope                        []string `json:"scope,omitempty"`
	Audience                     []string `json:"audience,omitempty"` // client IDs
	TokenEndpointAuthMethod      string   `json:"token_endpoint_auth_method,omitempty"`
	TokenEndpointAuthSigningAlg  string   `json:"token_endpoint_auth_signing_alg,omitempty"`
	JWKSURI                      string   `json:"jwks_uri,omitempty"`
	JWKS                         string   `json:"jwks,omitempty"` // JSON document
	SectorIdentifierURI          string   `json:"sector_identifier_uri,omitempty"`
	SubjectType                  string   `json:"subject_type,omitempty"`
	SoftwareID                   string   `json:"software_id,omitempty"`
	SoftwareVersion              string   `json:"software_version,omitempty"`
	ApplicationType              string   `json:"application_type,omitempty"` // web or native
	IDTokenSignedResponseAlg     string   `json:"id_token_signed_response_alg,omitempty"`
	IDTokenEncryptedResponseAlg  string   `json:"id_token_encrypted_response_alg,omitempty"`
	IDTokenEncryptedResponseEnc  string   `json:"id_token_encrypted_response_enc,omitempty"`
	UserinfoSignedResponseAlg    string   `json:"userinfo_signed_response_alg,omitempty"`
	UserinfoEncryptedResponseAlg string   `json:"userinfo_encrypted_response_alg,omitempty"`
	UserinfoEncryptedResponseEnc string   `json:"userinfo_encrypted_response_enc,omitempty"`
	DefaultMaxAge                int      `json:"default_max_age,omitempty"` // seconds
	RequireAuthTime              bool     `json:"require_auth_time,omitempty"`
	DefaultACRValues             []string `json:"default_acr_values,omitempty"`
	InitiateLoginURI             string   `json:"initiate_login_uri,omitempty"`
	RequestObjectSigningAlg      string   `json:"request_object_signing_alg,omitempty"`
	RequestObjectEncryptionAlg   string   `json:"request_object_encryption_alg,omitempty"`
	RequestObjectEncryptionEnc   string   `json:"request_object_encryption_enc,omitempty"`
	RequestURIs                  []string `json:"request_uris,omitempty"`
	RequireSignedRequestObject   bool     `json:"require_signed_request_object,omitempty"`
	// RequirePKCE forces PKCE for this client even if it is confidential.
	RequirePKCE bool `json:"require_pkce,omitempty"`
	// AllowPasswordGrant enables the resource owner password grant for this
	// client (off by default).
	AllowPasswordGrant bool `json:"allow_password_grant,omitempty"`
}

// Token endpoint authentication methods.
const (
	AuthMethodBasic         = "client_secret_basic"
	AuthMethodPost          = "client_secret_post"
	AuthMethodPrivateKeyJWT = "private_key_jwt"
	AuthMethodNone          = "none"
)

// Grant types known to the model.
var knownGrantTypes = []string{"authorization_code", "refresh_token", "implicit",
	"client_credentials", "password", "urn:ietf:params:oauth:grant-type:jwt-bearer"}

// knownResponseTypes are compared as sets of words (OpenID Connect: the
// order does not matter), in sorted form.
var knownResponseTypes = []string{"code", "token", "id_token", "code token",
	"code id_token", "id_token token", "code id_token token", "none"}

// responseTypeKey sorts the words of a response type.
func responseTypeKey(rt string) string {
	words := strings.Fields(rt)
	slices.Sort(words)
	return strings.Join(words, " ")
}

// DigestSecret returns the stored form of a client secret.
func DigestSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// SetSecret stores the digest of secret (an empty secret clears it: a
// public client).
func (c *Client) SetSecret(secret string) {
	if secret == "" {
		c.ClientSecretHash = ""
		return
	}
	c.ClientSecretHash = DigestSecret(secret)
}

// CheckSecret compares secret with the stored digest in constant time. A
// client without a secret, or whose secret expired at now, never matches.
func (c *Client) CheckSecret(secret string, now time.Time) bool {
	if c.ClientSecretHash == "" || secret == "" {
		return false
	}
	if !c.ClientSecretExpiresAt.IsZero() && !now.Before(c.ClientSecretExpiresAt) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(DigestSecret(secret)), []byte(c.ClientSecretHash)) == 1
}

// Public reports whether the client authenticates with no secret.
func (c *Client) Public() bool { return c.TokenEndpointAuthMethod == AuthMethodNone }

// Clone returns a deep copy.
func (c Client) Clone() Client {
	for _, p := range c.lists() {
		*p = slices.Clone(*p)
	}
	return c
}

func (c *Client) lists() []*[]string {
	return []*[]string{&c.Contacts, &c.RedirectURIs, &c.PostLogoutRedirectURIs,
		&c.GrantTypes, &c.ResponseTypes, &c.Scope, &c.Audience, &c.DefaultACRValues,
		&c.RequestURIs}
}

// Normalize trims values and drops empty and duplicate list entries.
func (c *Client) Normalize() {
	c.ID = strings.TrimSpace(c.ID)
	c.ClientName = strings.TrimSpace(c.ClientName)
	for _, p := range c.lists() {
		*p = compact(*p, false)
	}
}

// Validate reports every field whose value is not acceptable.
func (c *Client) Validate() error {
	var es ValidationErrors
	switch {
	case c.ID == "":
		es.add("client_id", "is required")
	case len(c.ID) > 255 || strings.ContainsAny(c.ID, " \t\r\n/\\?#,") || validText(c.ID, false) != "":
		es.add("client_id", "must be at most 255 printable characters without spaces, commas, '/', '\\', '?' or '#'")
	}
	uris := func(field string, vs []string) {
		for i, v := range vs {
			if r := ValidURI(v); r != "" {
				es.add(field+"["+strconv.Itoa(i)+"]", r)
			}
		}
	}
	uris("redirect_uris", c.RedirectURIs)
	uris("post_logout_redirect_uris", c.PostLogoutRedirectURIs)
	uris("request_uris", c.RequestURIs)
	for _, f := range []struct{ name, v string }{{"client_uri", c.ClientURI},
		{"logo_uri", c.LogoURI}, {"tos_uri", c.TOSURI}, {"policy_uri", c.PolicyURI},
		{"jwks_uri", c.JWKSURI}, {"sector_identifier_uri", c.SectorIdentifierURI},
		{"initiate_login_uri", c.InitiateLoginURI}, {"backchannel_logout_uri", c.BackchannelLogoutURI}} {
		if f.v != "" {
			if r := validHTTPURL(f.v); r != "" {
				es.add(f.name, r)
			}
		}
	}
	for i, g := range c.GrantTypes {
		if !slices.Contains(knownGrantTypes, g) {
			es.add("grant_types["+strconv.Itoa(i)+"]", "must be one of "+strings.Join(knownGrantTypes, ", "))
		}
	}
	for i, rt := range c.ResponseTypes {
		if !slices.Contains(knownResponseTypes, responseTypeKey(rt)) {
			es.add("response_types["+strconv.Itoa(i)+"]", "is not a known response type")
		}
	}
	switch c.TokenEndpointAuthMethod {
	case "", AuthMethodBasic, AuthMethodPost, AuthMethodPrivateKeyJWT, AuthMethodNone:
	default:
		es.add("token_endpoint_auth_method", "must be one of client_secret_basic, client_secret_post, private_key_jwt, none")
	}
	switch c.ApplicationType {
	case "", "web", "native":
	default:
		es.add("application_type", "must be web or native")
	}
	if c.DefaultMaxAge < 0 {
		es.add("default_max_age", "must not be negative")
	}
	if slices.Contains(c.GrantTypes, "authorization_code") && len(c.RedirectURIs) == 0 {
		es.add("redirect_uris", "are required for the authorization_code grant")
	}
	for i, s := range c.Scope {
		if !validScopeToken(s) {
			es.add("scope["+strconv.Itoa(i)+"]", "must be a single scope token")
		}
	}
	for _, f := range []struct{ name, v string }{{"client_name", c.ClientName}, {"description", c.Description}} {
		if r := validText(f.v, f.name == "description"); r != "" {
			es.add(f.name, r)
		}
	}
	return es.err()
}

// validScopeToken follows RFC 6749 section 3.3: one or more printable ASCII
// characters other than space, '"' and '\'.
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x21 || b > 0x7e || b == '"' || b == '\\' {
			return false
		}
	}
	return true
}
