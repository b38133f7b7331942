package oidc

// Dynamic client registration (RFC 7591, OpenID Connect Dynamic Client
// Registration 1.0) and management (RFC 7592).
//
// POST /oauth/register creates a client. Unless Config.RegistrationOpen is
// set, it needs an initial access token: a JWT signed by one of the
// provider's published keys (a retired key still verifies) with scope
// "client:register" and iss = aud = the issuer; its optional sub is the
// client_id to create and its optional exp bounds it (see
// InitialAccessToken). The answer carries a registration access token for
// GET, PUT and DELETE at /oauth/register/{client_id}.
//
// Registration access tokens are JWTs with scope "client:manage", sub = the
// client_id and no expiry. The store keeps no per-client token state, so a
// token is bound to the client it was issued for by the claim
// "client_binding": an HMAC (keyed by the global secret) of the client_id,
// the client's creation time and the digest of its current secret. Deleting
// a client and registering the same client_id again, or replacing the
// client's secret (through PUT switching authentication method, or an
// administrator resetting it), therefore invalidates every management token
// issued before. A PUT returns a fresh token; the previous one keeps working
// as long as the binding does not change (revocation needs a secret reset or
// a re-registration). Tokens minted by Python Canaille have no binding claim
// and are refused: such clients must be re-registered to be managed.
//
// Only the SHA-256 digest of a client secret is kept, so a secret is shown
// once, in the registration response (or in a PUT response that issued a
// new one); GET cannot send it back, which RFC 7592 allows.
//
// Software statements are refused (unapproved_software_statement): this
// server trusts no statement issuer, and a statement signed with the
// provider's own keys would prove nothing the initial access token does not.
//
// Metadata outside RFC 7591 and OpenID registration, or reserved to
// administrators (description, audience, allow_password_grant), is ignored
// in requests and kept unchanged by PUT. The grant types password and
// jwt-bearer, and scopes outside the provider's, can only be granted by an
// administrator; a PUT may keep those already granted.

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite/token/jwt"

	"github.com/canaille-go/canaille/store"
)

const (
	// regMaxBody caps a registration request document.
	regMaxBody = 64 << 10
	// regMaxList caps every list of client metadata.
	regMaxList = 50
	// regMaxKeys caps the keys of an inline jwks.
	regMaxKeys = 20
	// regMaxToken caps the length of a bearer token we try to parse.
	regMaxToken = 8 << 10

	scopeClientRegister = "client:register"
	scopeClientManage   = "client:manage"
	regBindingClaim     = "client_binding"
)

// Values accepted for the metadata; the algorithm and response type lists
// are discovery's (endpoints.go).
var (
	// regGrantTypes can be registered by anybody; the other grant types the
	// model knows (password, jwt-bearer) only by an administrator.
	regGrantTypes = []string{"authorization_code", "implicit", "refresh_token", "client_credentials"}
)

// ---- errors

// regFailure is an error answer of the registration endpoints.
type regFailure struct {
	status      int
	code, desc  string
	bearerError bool // a WWW-Authenticate challenge goes with it
	noToken     bool // the request had no token: a bare challenge
	// fields are the problems one by one, for a metadata failure
	// (validate_client.go shows them beside the fields of a form).
	fields []store.ValidationError
}

func (p *Provider) writeRegFailure(w http.ResponseWriter, f *regFailure) {
	if f.noToken {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+p.cfg.Issuer+`"`)
	} else if f.bearerError {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+p.cfg.Issuer+`", error="`+f.code+
			`", error_description="`+f.desc+`"`)
	}
	writeError(w, f.status, f.code, f.desc)
}

func regInvalidToken(desc string) *regFailure {
	return &regFailure{status: http.StatusUnauthorized, code: "invalid_token", desc: desc, bearerError: true}
}

func regInvalidMetadata(field, reason string) *regFailure {
	code := "invalid_client_metadata"
	if regRedirectField(field) {
		code = "invalid_redirect_uri"
	}
	return &regFailure{status: http.StatusBadRequest, code: code, desc: field + ": " + reason,
		fields: []store.ValidationError{{Field: field, Reason: reason}}}
}

func regRedirectField(field string) bool {
	return field == "redirect_uris" || strings.HasPrefix(field, "redirect_uris[")
}

// regErrs collects the problems of a metadata document, one per field.
type regErrs []store.ValidationError

func (es *regErrs) add(field, reason string) {
	if !es.has(field) {
		*es = append(*es, store.ValidationError{Field: field, Reason: reason})
	}
}

func (es regErrs) has(field string) bool {
	return slices.ContainsFunc(es, func(e store.ValidationError) bool { return e.Field == field })
}

// failure turns the problems into one answer: invalid_redirect_uri when a
// redirect URI is at fault, else invalid_client_metadata; the description
// names every field (redirect URIs first), at most ten of them.
func (es regErrs) failure() *regFailure {
	if len(es) == 0 {
		return nil
	}
	sorted := slices.Clone(es)
	slices.SortStableFunc(sorted, func(a, b store.ValidationError) int {
		ra, rb := regRedirectField(a.Field), regRedirectField(b.Field)
		switch {
		case ra && !rb:
			return -1
		case rb && !ra:
			return 1
		}
		return 0
	})
	var parts []string
	for i, e := range sorted {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("and %d more", len(sorted)-10))
			break
		}
		parts = append(parts, e.Field+": "+e.Reason)
	}
	f := regInvalidMetadata(sorted[0].Field, "")
	f.desc = strings.Join(parts, "; ")
	f.fields = sorted
	return f
}

// ---- request documents

// regRequest is a parsed registration or update request.
type regRequest struct {
	c            store.Client
	clientID     string // PUT: must be the client's
	clientSecret string // PUT: if present, must be the current secret
}

// parseRegRequest reads a metadata document. Each member is decoded on its
// own, so that a type error names its field; unknown members are ignored.
func parseRegRequest(body []byte) (*regRequest, *regFailure) {
	if !utf8.Valid(body) {
		// encoding/json would silently replace the bad bytes.
		return nil, &regFailure{status: http.StatusBadRequest, code: "invalid_client_metadata",
			desc: "the body must be UTF-8 encoded JSON"}
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return nil, &regFailure{status: http.StatusBadRequest, code: "invalid_client_metadata",
			desc: "the body must be a JSON object of client metadata"}
	}
	if s, ok := raw["software_statement"]; ok && string(s) != "null" {
		return nil, &regFailure{status: http.StatusBadRequest, code: "unapproved_software_statement",
			desc: "software_statement: this server approves no software statement; send the metadata as plain JSON"}
	}
	d := regDecoder{raw: raw}
	req := &regRequest{}
	c := &req.c
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"client_id", &req.clientID}, {"client_secret", &req.clientSecret},
		{"client_name", &c.ClientName}, {"client_uri", &c.ClientURI}, {"logo_uri", &c.LogoURI},
		{"tos_uri", &c.TOSURI}, {"policy_uri", &c.PolicyURI}, {"jwks_uri", &c.JWKSURI},
		{"sector_identifier_uri", &c.SectorIdentifierURI}, {"subject_type", &c.SubjectType},
		{"software_id", &c.SoftwareID}, {"software_version", &c.SoftwareVersion},
		{"application_type", &c.ApplicationType},
		{"id_token_signed_response_alg", &c.IDTokenSignedResponseAlg},
		{"id_token_encrypted_response_alg", &c.IDTokenEncryptedResponseAlg},
		{"id_token_encrypted_response_enc", &c.IDTokenEncryptedResponseEnc},
		{"userinfo_signed_response_alg", &c.UserinfoSignedResponseAlg},
		{"userinfo_encrypted_response_alg", &c.UserinfoEncryptedResponseAlg},
		{"userinfo_encrypted_response_enc", &c.UserinfoEncryptedResponseEnc},
		{"request_object_signing_alg", &c.RequestObjectSigningAlg},
		{"request_object_encryption_alg", &c.RequestObjectEncryptionAlg},
		{"request_object_encryption_enc", &c.RequestObjectEncryptionEnc},
		{"token_endpoint_auth_method", &c.TokenEndpointAuthMethod},
		{"token_endpoint_auth_signing_alg", &c.TokenEndpointAuthSigningAlg},
		{"initiate_login_uri", &c.InitiateLoginURI},
		{"backchannel_logout_uri", &c.BackchannelLogoutURI},
	} {
		d.str(f.name, f.dst)
	}
	for _, f := range []struct {
		name string
		dst  *[]string
	}{
		{"redirect_uris", &c.RedirectURIs}, {"response_types", &c.ResponseTypes},
		{"grant_types", &c.GrantTypes}, {"contacts", &c.Contacts},
		{"default_acr_values", &c.DefaultACRValues}, {"request_uris", &c.RequestURIs},
		{"post_logout_redirect_uris", &c.PostLogoutRedirectURIs},
	} {
		d.list(f.name, f.dst)
	}
	for _, f := range []struct {
		name string
		dst  *bool
	}{
		{"require_auth_time", &c.RequireAuthTime},
		{"require_signed_request_object", &c.RequireSignedRequestObject},
		{"require_pkce", &c.RequirePKCE},
	} {
		d.decode(f.name, f.dst, "true or false")
	}
	d.decode("default_max_age", &c.DefaultMaxAge, "a non-negative integer (seconds)")
	var scope string
	if d.str("scope", &scope) {
		c.Scope = strings.Fields(scope)
		if len(c.Scope) > regMaxList {
			d.errs.add("scope", fmt.Sprintf("must hold at most %d values", regMaxList))
		}
	}
	if v, ok := raw["jwks"]; ok && string(v) != "null" {
		jwks, reason := regParseJWKS(v)
		if reason != "" {
			d.errs.add("jwks", reason)
		}
		c.JWKS = jwks
	}
	if f := d.errs.failure(); f != nil {
		return nil, f
	}
	for i, rt := range c.ResponseTypes {
		c.ResponseTypes[i] = strings.Join(strings.Fields(rt), " ")
	}
	return req, nil
}

type regDecoder struct {
	raw  map[string]json.RawMessage
	errs regErrs
}

// decode reads member name into dst; it reports whether it was present
// and well typed. A null member counts as absent.
func (d *regDecoder) decode(name string, dst any, want string) bool {
	v, ok := d.raw[name]
	if !ok || string(v) == "null" {
		return false
	}
	if err := json.Unmarshal(v, dst); err != nil {
		d.errs.add(name, "must be "+want)
		return false
	}
	return true
}

func (d *regDecoder) str(name string, dst *string) bool {
	if !d.decode(name, dst, "a string") {
		return false
	}
	if r := regText(*dst); r != "" {
		d.errs.add(name, r)
		return false
	}
	return true
}

func (d *regDecoder) list(name string, dst *[]string) {
	if !d.decode(name, dst, "an array of strings") {
		return
	}
	if len(*dst) > regMaxList {
		d.errs.add(name, fmt.Sprintf("must hold at most %d values", regMaxList))
		return
	}
	for i, v := range *dst {
		if r := regText(v); r != "" {
			d.errs.add(name+"["+strconv.Itoa(i)+"]", r)
		}
	}
}

// regText refuses over-long values, control characters and bidirectional
// overrides in any string of the metadata (the body was checked to be
// UTF-8).
func regText(s string) string {
	if len(s) > store.MaxTextLength {
		return "is too long"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "must not contain control characters"
		}
		if r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 {
			return "must not contain bidirectional override characters"
		}
	}
	return ""
}

// regParseJWKS checks an inline JWK set (public keys only) and returns
// it re-encoded, with the reason it is refused if it is.
func regParseJWKS(raw json.RawMessage) (string, string) {
	var probe map[string]json.RawMessage
	if json.Unmarshal(raw, &probe) != nil {
		return "", "must be a JSON object (a JWK set)"
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		return "", "must be a JWK set of public keys (RSA, EC P-256 or Ed25519)"
	}
	switch {
	case len(set.Keys) == 0:
		return "", "must hold at least one key"
	case len(set.Keys) > regMaxKeys:
		return "", fmt.Sprintf("must hold at most %d keys", regMaxKeys)
	}
	for i, k := range set.Keys {
		field := "keys[" + strconv.Itoa(i) + "]"
		if !k.Valid() || !k.IsPublic() {
			return "", field + " must be a public key: private and symmetric keys are refused"
		}
		if pub, ok := k.Key.(*rsa.PublicKey); ok && pub.N.BitLen() < 2048 {
			return "", field + " is an RSA key of less than 2048 bits"
		}
	}
	b, err := json.Marshal(set)
	if err != nil {
		return "", "cannot be encoded again"
	}
	return string(b), ""
}

// regKeySuits reports whether a client key can verify alg.
func regKeySuits(k jose.JSONWebKey, alg string) bool {
	if k.Algorithm != "" && k.Algorithm != alg || k.Use != "" && k.Use != "sig" {
		return false
	}
	switch pub := k.Key.(type) {
	case *rsa.PublicKey:
		return alg == "RS256"
	case *ecdsa.PublicKey:
		return alg == "ES256" && pub.Curve == elliptic.P256()
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// readRegBody reads a JSON request body of at most regMaxBody bytes.
func readRegBody(w http.ResponseWriter, r *http.Request) ([]byte, *regFailure) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" && !strings.HasSuffix(mt, "+json") {
			return nil, &regFailure{status: http.StatusUnsupportedMediaType, code: "invalid_client_metadata",
				desc: "the body must be JSON (Content-Type: application/json)"}
		}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, regMaxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, &regFailure{status: http.StatusRequestEntityTooLarge, code: "invalid_client_metadata",
				desc: fmt.Sprintf("the body must not exceed %d KiB", regMaxBody>>10)}
		}
		return nil, &regFailure{status: http.StatusBadRequest, code: "invalid_client_metadata",
			desc: "the body could not be read"}
	}
	return b, nil
}

// ---- validation

// regCheckClient completes c with the defaults and checks it against the
// protocol rules and the model's. old is the client before a PUT, nil for
// a registration.
func (p *Provider) regCheckClient(ctx context.Context, c *store.Client, old *store.Client) *regFailure {
	c.Normalize()
	var es regErrs
	if c.ApplicationType == "" {
		c.ApplicationType = "web"
	}
	if c.TokenEndpointAuthMethod == "" {
		c.TokenEndpointAuthMethod = store.AuthMethodBasic
	}
	// Defaults: grant types follow the response types and conversely;
	// with neither, the authorization code flow.
	if len(c.GrantTypes) == 0 {
		if len(c.ResponseTypes) == 0 {
			c.ResponseTypes = []string{"code"}
		}
		for _, rt := range c.ResponseTypes {
			words := strings.Fields(rt)
			if slices.Contains(words, "code") && !slices.Contains(c.GrantTypes, "authorization_code") {
				c.GrantTypes = append(c.GrantTypes, "authorization_code")
			}
			if (slices.Contains(words, "token") || slices.Contains(words, "id_token")) && !slices.Contains(c.GrantTypes, "implicit") {
				c.GrantTypes = append(c.GrantTypes, "implicit")
			}
		}
	} else if len(c.ResponseTypes) == 0 {
		if slices.Contains(c.GrantTypes, "authorization_code") {
			c.ResponseTypes = append(c.ResponseTypes, "code")
		}
		if slices.Contains(c.GrantTypes, "implicit") {
			c.ResponseTypes = append(c.ResponseTypes, "id_token", "id_token token")
		}
	}
	grant := func(g string) bool { return slices.Contains(c.GrantTypes, g) }

	// Redirect URIs.
	if (grant("authorization_code") || grant("implicit")) && len(c.RedirectURIs) == 0 {
		es.add("redirect_uris", "are required for the authorization_code and implicit grants")
	}
	native := c.ApplicationType == "native"
	for i, v := range c.RedirectURIs {
		if r := regRedirectURI(v, native, grant("implicit")); r != "" {
			es.add("redirect_uris["+strconv.Itoa(i)+"]", r)
		}
	}
	for i, v := range c.PostLogoutRedirectURIs {
		if r := regRedirectURI(v, native, false); r != "" {
			es.add("post_logout_redirect_uris["+strconv.Itoa(i)+"]", r)
		}
	}

	// Grant and response types.
	for i, g := range c.GrantTypes {
		admin := old != nil && slices.Contains(old.GrantTypes, g)
		if !slices.Contains(regGrantTypes, g) && !admin {
			es.add("grant_types["+strconv.Itoa(i)+"]", "must be one of "+strings.Join(regGrantTypes, ", "))
		}
	}
	hasResponse := func(pred func(words []string) bool) bool {
		return slices.ContainsFunc(c.ResponseTypes, func(rt string) bool { return pred(strings.Fields(rt)) })
	}
	withCode := func(w []string) bool { return slices.Contains(w, "code") }
	withToken := func(w []string) bool { return slices.Contains(w, "token") || slices.Contains(w, "id_token") }
	for i, rt := range c.ResponseTypes {
		field := "response_types[" + strconv.Itoa(i) + "]"
		words := strings.Fields(rt)
		slices.Sort(words)
		switch {
		case !slices.Contains(responseTypesSupported, strings.Join(words, " ")):
			es.add(field, "must be one of "+strings.Join(responseTypesSupported, ", "))
		case withCode(words) && !grant("authorization_code"):
			es.add(field, "needs the authorization_code grant type")
		case withToken(words) && !grant("implicit"):
			es.add(field, "needs the implicit grant type")
		}
	}
	if grant("authorization_code") && !hasResponse(withCode) {
		es.add("grant_types", "authorization_code needs a response type with code")
	}
	if grant("implicit") && !hasResponse(withToken) {
		es.add("grant_types", "implicit needs a response type with token or id_token")
	}

	// Client authentication.
	method := c.TokenEndpointAuthMethod
	switch method {
	case store.AuthMethodBasic, store.AuthMethodPost, store.AuthMethodPrivateKeyJWT, store.AuthMethodNone:
	case "client_secret_jwt":
		es.add("token_endpoint_auth_method", "client_secret_jwt is not supported: use client_secret_basic, client_secret_post, private_key_jwt or none")
	default:
		es.add("token_endpoint_auth_method", "must be one of client_secret_basic, client_secret_post, private_key_jwt, none")
	}
	if method == store.AuthMethodNone && grant("client_credentials") {
		es.add("grant_types", "client_credentials needs a client that authenticates (not token_endpoint_auth_method none)")
	}
	if c.JWKS != "" && c.JWKSURI != "" {
		es.add("jwks", "must not be given together with jwks_uri")
	}
	if method == store.AuthMethodPrivateKeyJWT && c.JWKS == "" && c.JWKSURI == "" {
		es.add("token_endpoint_auth_method", "private_key_jwt needs jwks or jwks_uri")
	}
	if a := c.TokenEndpointAuthSigningAlg; a != "" && !slices.Contains(clientAssertionAlgs, a) {
		es.add("token_endpoint_auth_signing_alg", "must be one of "+strings.Join(clientAssertionAlgs, ", "))
	}
	if method == store.AuthMethodPrivateKeyJWT && c.JWKS != "" && !es.has("jwks") {
		alg := cmp.Or(c.TokenEndpointAuthSigningAlg, "RS256")
		var set jose.JSONWebKeySet
		if json.Unmarshal([]byte(c.JWKS), &set) != nil ||
			!slices.ContainsFunc(set.Keys, func(k jose.JSONWebKey) bool { return regKeySuits(k, alg) }) {
			es.add("jwks", "has no signing key for "+alg+" (set token_endpoint_auth_signing_alg to the algorithm of your keys)")
		}
	}

	// URLs the provider fetches or posts to must use https.
	for _, f := range []struct{ name, v string }{{"jwks_uri", c.JWKSURI},
		{"sector_identifier_uri", c.SectorIdentifierURI}, {"initiate_login_uri", c.InitiateLoginURI},
		{"backchannel_logout_uri", c.BackchannelLogoutURI}} {
		if f.v != "" {
			if r := regHTTPS(f.v); r != "" {
				es.add(f.name, r)
			}
		}
	}
	for i, v := range c.RequestURIs {
		if r := regHTTPS(v); r != "" {
			es.add("request_uris["+strconv.Itoa(i)+"]", r)
		}
	}

	// Algorithms and features.
	algs := p.cfg.Keys.Algorithms()
	if a := c.IDTokenSignedResponseAlg; a != "" && !slices.Contains(algs, a) {
		es.add("id_token_signed_response_alg", "must be one of "+strings.Join(algs, ", "))
	}
	if a := c.UserinfoSignedResponseAlg; a != "" && a != "none" && !slices.Contains(algs, a) {
		es.add("userinfo_signed_response_alg", "must be none or one of "+strings.Join(algs, ", "))
	}
	if a := c.RequestObjectSigningAlg; a != "" && !slices.Contains(requestObjectAlgs, a) {
		es.add("request_object_signing_alg", "must be one of "+strings.Join(requestObjectAlgs, ", "))
	}
	if c.RequireSignedRequestObject && c.RequestObjectSigningAlg == "none" {
		es.add("request_object_signing_alg", "must not be none when require_signed_request_object is set")
	}
	for _, f := range []struct{ name, v string }{
		{"id_token_encrypted_response_alg", c.IDTokenEncryptedResponseAlg},
		{"id_token_encrypted_response_enc", c.IDTokenEncryptedResponseEnc},
		{"userinfo_encrypted_response_alg", c.UserinfoEncryptedResponseAlg},
		{"userinfo_encrypted_response_enc", c.UserinfoEncryptedResponseEnc},
		{"request_object_encryption_alg", c.RequestObjectEncryptionAlg},
		{"request_object_encryption_enc", c.RequestObjectEncryptionEnc}} {
		if f.v != "" {
			es.add(f.name, "encryption is not supported")
		}
	}
	switch c.SubjectType {
	case "", "public":
	default:
		es.add("subject_type", "must be public (pairwise identifiers are not supported)")
	}
	for _, s := range c.Scope {
		admin := old != nil && slices.Contains(old.Scope, s)
		if !slices.Contains(supportedScopes, s) && !admin {
			es.add("scope", "values must be among "+strings.Join(supportedScopes, " "))
			break
		}
	}

	// The model's own rules (client_id, names, URI syntax, lengths…).
	if err := c.Validate(); err != nil {
		var ves store.ValidationErrors
		if errors.As(err, &ves) {
			for _, e := range ves {
				es.add(e.Field, e.Reason)
			}
		} else {
			es.add("client", err.Error())
		}
	}
	if f := es.failure(); f != nil {
		return f
	}
	if c.SectorIdentifierURI != "" {
		if r := p.regCheckSector(ctx, c); r != "" {
			return regInvalidMetadata("sector_identifier_uri", r)
		}
	}
	return nil
}

// regRedirectURI applies OpenID Connect Registration section 2 to a
// redirect URI (or a post-logout one): web clients use https (http only on
// a loopback host, and never with the implicit grant); native clients use
// custom schemes, http on a loopback host, or https (RFC 8252 claimed URLs).
func regRedirectURI(v string, native, implicit bool) string {
	if r := store.ValidURI(v); r != "" {
		return r
	}
	u, err := url.Parse(v)
	if err != nil {
		return "must be an absolute URI"
	}
	scheme := strings.ToLower(u.Scheme)
	loopback := regIsLoopback(u.Hostname())
	if u.User != nil {
		return "must not contain a user name or password"
	}
	switch {
	case native:
		if scheme == "http" && !loopback {
			return "a native client uses a custom scheme, https, or http on localhost or a loopback address"
		}
	case scheme != "https" && scheme != "http":
		return "a web client must use https (custom schemes are for application_type native)"
	case implicit && (scheme != "https" || loopback):
		return "a web client using the implicit grant must use https and not localhost"
	case scheme == "http" && !loopback:
		return "must use https (http only on localhost or a loopback address)"
	}
	return ""
}

func regIsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func regHTTPS(v string) string {
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Scheme != "https" || u.Host == "":
		return "must be an absolute https:// URL"
	case u.Fragment != "" || strings.Contains(v, "#"):
		return "must not contain a fragment (#)"
	}
	return regText(v)
}

// regCheckSector fetches the sector identifier document (a JSON
// array of URIs) and checks that it lists every redirect URI, as OpenID
// Connect Registration section 5 asks. Only https is fetched, 64 KiB at
// most, within 5 seconds; the reason given never includes what the server
// answered.
func (p *Provider) regCheckSector(ctx context.Context, c *store.Client) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	b, err := fetch(ctx, p.cfg.HTTPClient, c.SectorIdentifierURI)
	if err != nil {
		return "could not be fetched (it must answer 200 with at most 64 KiB)"
	}
	var listed []string
	if json.Unmarshal(b, &listed) != nil {
		return "must hold a JSON array of URIs"
	}
	for i, r := range c.RedirectURIs {
		if !slices.Contains(listed, r) {
			return "does not list redirect_uris[" + strconv.Itoa(i) + "]"
		}
	}
	return ""
}

// ---- tokens

// InitialAccessToken mints a token allowing one registration at
// /oauth/register when registration is not open: with clientID, for that
// client_id only (registration is refused once it exists); without, for
// any number of clients with random identifiers. A positive lifetime sets
// its expiry; zero makes it valid until the signing keys change.
func (p *Provider) InitialAccessToken(clientID string, lifetime time.Duration) (string, error) {
	return InitialAccessToken(p.cfg.Keys, p.cfg.Issuer, clientID, lifetime, p.now())
}

// InitialAccessToken mints, with the signing key of keys, an initial
// access token of issuer for /oauth/register (the command line uses it
// without a running provider). clientID, when not empty, is the client_id
// the registration must create; a zero lifetime never expires.
func InitialAccessToken(keys *KeySet, issuer, clientID string, lifetime time.Duration, now time.Time) (string, error) {
	if lifetime < 0 {
		return "", errors.New("oidc: the lifetime of an initial access token must not be negative")
	}
	if clientID != "" {
		if err := (&store.Client{ID: clientID}).Validate(); err != nil {
			var ves store.ValidationErrors
			if errors.As(err, &ves) {
				for _, e := range ves {
					if e.Field == "client_id" {
						return "", fmt.Errorf("oidc: client_id %s", e.Reason)
					}
				}
			}
		}
	}
	claims := jwt.MapClaims{
		"iss":   issuer,
		"aud":   issuer,
		"scope": scopeClientRegister,
		"iat":   now.Unix(),
		"jti":   regRandom(16),
	}
	if clientID != "" {
		claims["sub"] = clientID
	}
	if lifetime > 0 {
		claims["exp"] = now.Add(lifetime).Unix()
	}
	raw, _, err := (&signer{keys: keys}).Generate(context.Background(), claims, &jwt.Headers{})
	return raw, err
}

// regManagementToken mints the registration access token of c.
func (p *Provider) regManagementToken(ctx context.Context, c *store.Client) (string, error) {
	claims := jwt.MapClaims{
		"iss":           p.cfg.Issuer,
		"aud":           p.cfg.Issuer,
		"sub":           c.ID,
		"scope":         scopeClientManage,
		"iat":           p.now().Unix(),
		"jti":           regRandom(16),
		regBindingClaim: p.regBinding(c),
	}
	raw, _, err := p.idSign.Generate(ctx, claims, &jwt.Headers{})
	return raw, err
}

// regBinding ties management tokens to one incarnation of a client and its
// secret (see the comment at the top of this file). The creation time is
// taken in seconds, which every backend keeps.
func (p *Provider) regBinding(c *store.Client) string {
	m := hmac.New(sha256.New, p.cfg.GlobalSecret)
	fmt.Fprintf(m, "canaille client registration\x00%s\x00%d\x00%s", c.ID, c.Created.Unix(), c.ClientSecretHash)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// regBearer verifies the bearer JWT of r: signed by a published key of the
// provider (alg none refused), iss and aud the issuer, unexpired, with
// scope among its scopes, and not an RFC 9068 access token (signed with the
// same keys). It returns the token and its claims.
func (p *Provider) regBearer(r *http.Request, scope string) (string, jwt.MapClaims, *regFailure) {
	scheme, raw, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	raw = strings.TrimSpace(raw)
	if !strings.EqualFold(scheme, "Bearer") || raw == "" {
		// RFC 6750 3.1: no error code when no token was sent.
		f := regInvalidToken("a bearer token is required")
		f.noToken = true
		return "", nil, f
	}
	if len(raw) > regMaxToken || strings.Count(raw, ".") != 2 {
		return "", nil, regInvalidToken("the token is not a signed JWT")
	}
	t, err := p.idSign.Decode(r.Context(), raw)
	if err != nil || t == nil || !t.Valid() || t.Method == jwt.SigningMethodNone || t.Method == "" {
		return "", nil, regInvalidToken("the token is invalid or expired")
	}
	if typ, _ := t.Header["typ"].(string); strings.EqualFold(typ, "at+jwt") || strings.EqualFold(typ, "application/at+jwt") {
		return "", nil, regInvalidToken("an access token is not a registration token")
	}
	claims := t.Claims
	if iss, _ := claims["iss"].(string); iss != p.cfg.Issuer {
		return "", nil, regInvalidToken("the token was not issued by this server")
	}
	if !slices.Contains(regStrings(claims["aud"]), p.cfg.Issuer) {
		return "", nil, regInvalidToken("the token is not meant for this server")
	}
	now := p.now().Unix()
	if v, ok := claims["exp"]; ok {
		if exp, ok := regNumber(v); !ok || exp <= now {
			return "", nil, regInvalidToken("the token is invalid or expired")
		}
	}
	if v, ok := claims["nbf"]; ok {
		if nbf, ok := regNumber(v); !ok || nbf > now {
			return "", nil, regInvalidToken("the token is not valid yet")
		}
	}
	var scopes []string
	if s, ok := claims["scope"].(string); ok {
		scopes = strings.Fields(s)
	} else {
		scopes = regStrings(claims["scope"])
	}
	if !slices.Contains(scopes, scope) {
		return "", nil, regInvalidToken("the token lacks the " + scope + " scope")
	}
	if v, ok := claims["sub"]; ok {
		if s, ok := v.(string); !ok || s == "" {
			return "", nil, regInvalidToken("the token has an invalid subject")
		}
	}
	return raw, claims, nil
}

// regStrings reads a claim that is a string or an array of strings.
func regStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		var out []string
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil
			}
			out = append(out, s)
		}
		return out
	}
	return nil
}

func regNumber(v any) (int64, bool) {
	switch v := v.(type) {
	case float64:
		return int64(v), true
	case int64:
		return v, true
	case int:
		return int64(v), true
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n, true
		}
		if f, err := v.Float64(); err == nil {
			return int64(f), true
		}
	}
	return 0, false
}

// regRandom returns n random bytes, base64url-encoded.
func regRandom(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// regNeedsSecret reports whether a method authenticates with a secret.
func regNeedsSecret(method string) bool {
	return method == store.AuthMethodBasic || method == store.AuthMethodPost
}

// ---- answers

// regClientInfo is the client information response (RFC 7591 section 3.2.1,
// RFC 7592 section 3).
type regClientInfo struct {
	ClientID                string          `json:"client_id"`
	ClientSecret            string          `json:"client_secret,omitempty"`
	ClientIDIssuedAt        int64           `json:"client_id_issued_at,omitempty"`
	ClientSecretExpiresAt   *int64          `json:"client_secret_expires_at,omitempty"`
	RegistrationAccessToken string          `json:"registration_access_token"`
	RegistrationClientURI   string          `json:"registration_client_uri"`
	ClientName              string          `json:"client_name,omitempty"`
	ClientURI               string          `json:"client_uri,omitempty"`
	LogoURI                 string          `json:"logo_uri,omitempty"`
	TOSURI                  string          `json:"tos_uri,omitempty"`
	PolicyURI               string          `json:"policy_uri,omitempty"`
	Contacts                []string        `json:"contacts,omitempty"`
	RedirectURIs            []string        `json:"redirect_uris,omitempty"`
	PostLogoutRedirectURIs  []string        `json:"post_logout_redirect_uris,omitempty"`
	BackchannelLogoutURI    string          `json:"backchannel_logout_uri,omitempty"`
	GrantTypes              []string        `json:"grant_types,omitempty"`
	ResponseTypes           []string        `json:"response_types,omitempty"`
	Scope                   string          `json:"scope,omitempty"`
	TokenEndpointAuthMethod string          `json:"token_endpoint_auth_method,omitempty"`
	TokenEndpointAuthAlg    string          `json:"token_endpoint_auth_signing_alg,omitempty"`
	JWKSURI                 string          `json:"jwks_uri,omitempty"`
	JWKS                    json.RawMessage `json:"jwks,omitempty"`
	SectorIdentifierURI     string          `json:"sector_identifier_uri,omitempty"`
	SubjectType             string          `json:"subject_type,omitempty"`
	SoftwareID              string          `json:"software_id,omitempty"`
	SoftwareVersion         string          `json:"software_version,omitempty"`
	ApplicationType         string          `json:"application_type,omitempty"`
	IDTokenSignedAlg        string          `json:"id_token_signed_response_alg,omitempty"`
	UserinfoSignedAlg       string          `json:"userinfo_signed_response_alg,omitempty"`
	DefaultMaxAge           int             `json:"default_max_age,omitempty"`
	RequireAuthTime         bool            `json:"require_auth_time,omitempty"`
	DefaultACRValues        []string        `json:"default_acr_values,omitempty"`
	InitiateLoginURI        string          `json:"initiate_login_uri,omitempty"`
	RequestObjectSigningAlg string          `json:"request_object_signing_alg,omitempty"`
	RequestURIs             []string        `json:"request_uris,omitempty"`
	RequireSignedRequestObj bool            `json:"require_signed_request_object,omitempty"`
	RequirePKCE             bool            `json:"require_pkce,omitempty"`
}

func (p *Provider) regInfo(c *store.Client, secret, token string) regClientInfo {
	info := regClientInfo{
		ClientID:                c.ID,
		ClientSecret:            secret,
		RegistrationAccessToken: token,
		RegistrationClientURI:   p.absolute("/oauth/register/" + url.PathEscape(c.ID)),
		ClientName:              c.ClientName,
		ClientURI:               c.ClientURI,
		LogoURI:                 c.LogoURI,
		TOSURI:                  c.TOSURI,
		PolicyURI:               c.PolicyURI,
		Contacts:                c.Contacts,
		RedirectURIs:            c.RedirectURIs,
		PostLogoutRedirectURIs:  c.PostLogoutRedirectURIs,
		BackchannelLogoutURI:    c.BackchannelLogoutURI,
		GrantTypes:              c.GrantTypes,
		ResponseTypes:           c.ResponseTypes,
		Scope:                   strings.Join(c.Scope, " "),
		TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
		TokenEndpointAuthAlg:    c.TokenEndpointAuthSigningAlg,
		JWKSURI:                 c.JWKSURI,
		SectorIdentifierURI:     c.SectorIdentifierURI,
		SubjectType:             c.SubjectType,
		SoftwareID:              c.SoftwareID,
		SoftwareVersion:         c.SoftwareVersion,
		ApplicationType:         c.ApplicationType,
		IDTokenSignedAlg:        c.IDTokenSignedResponseAlg,
		UserinfoSignedAlg:       c.UserinfoSignedResponseAlg,
		DefaultMaxAge:           c.DefaultMaxAge,
		RequireAuthTime:         c.RequireAuthTime,
		DefaultACRValues:        c.DefaultACRValues,
		InitiateLoginURI:        c.InitiateLoginURI,
		RequestObjectSigningAlg: c.RequestObjectSigningAlg,
		RequestURIs:             c.RequestURIs,
		RequireSignedRequestObj: c.RequireSignedRequestObject,
		RequirePKCE:             c.RequirePKCE,
	}
	if !c.Created.IsZero() {
		info.ClientIDIssuedAt = c.Created.Unix()
	}
	if c.ClientSecretHash != "" || secret != "" {
		var exp int64 // 0: never
		if !c.ClientSecretExpiresAt.IsZero() {
			exp = c.ClientSecretExpiresAt.Unix()
		}
		info.ClientSecretExpiresAt = &exp
	}
	if c.JWKS != "" && json.Valid([]byte(c.JWKS)) {
		info.JWKS = json.RawMessage(c.JWKS)
	}
	if info.TokenEndpointAuthMethod == "" {
		info.TokenEndpointAuthMethod = store.AuthMethodBasic
	}
	return info
}

// ---- handlers

// register is POST /oauth/register (RFC 7591).
func (p *Provider) register(w http.ResponseWriter, r *http.Request) {
	if p.cors.preflight(w, r) {
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		writeError(w, http.StatusMethodNotAllowed, "invalid_request", "use POST")
		return
	}
	// With open registration a bearer token is optional; when one is sent
	// it must be valid, and its sub still chooses the client_id.
	var wanted string
	scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	byToken := !p.cfg.RegistrationOpen || strings.EqualFold(scheme, "Bearer")
	if byToken {
		_, claims, f := p.regBearer(r, scopeClientRegister)
		if f != nil {
			p.log.Info("client registration refused", "security", true, "reason", f.desc)
			p.writeRegFailure(w, f)
			return
		}
		wanted, _ = claims["sub"].(string)
	}
	body, f := readRegBody(w, r)
	if f == nil {
		var req *regRequest
		if req, f = parseRegRequest(body); f == nil {
			f = p.regCreate(w, r, &req.c, wanted, byToken)
		}
	}
	if f != nil {
		p.writeRegFailure(w, f)
	}
}

func (p *Provider) regCreate(w http.ResponseWriter, r *http.Request, c *store.Client, wanted string, byToken bool) *regFailure {
	ctx := r.Context()
	c.ID = wanted
	if c.ID == "" {
		c.ID = store.NewID()
	}
	// Administrator-only settings never come from a registration.
	c.Description, c.Audience, c.AllowPasswordGrant = "", nil, false
	c.Created, c.LastModified, c.ClientSecretExpiresAt = time.Time{}, time.Time{}, time.Time{}
	if wanted != "" {
		if _, err := p.st.GetClient(ctx, wanted); err == nil {
			return regInvalidMetadata("client_id", "a client with this identifier already exists")
		} else if !errors.Is(err, store.ErrNotFound) {
			return p.regServerError(r, "look-up", err)
		}
	}
	if f := p.regCheckClient(ctx, c, nil); f != nil {
		return f
	}
	var secret string
	if regNeedsSecret(c.TokenEndpointAuthMethod) {
		secret = regRandom(32)
	}
	c.SetSecret(secret)
	created, err := p.st.CreateClient(ctx, *c)
	switch {
	case errors.Is(err, store.ErrExists):
		return regInvalidMetadata("client_id", "a client with this identifier already exists")
	case err != nil:
		if f := regValidationFailure(err); f != nil {
			return f
		}
		return p.regServerError(r, "creation", err)
	}
	p.cors.invalidate()
	token, err := p.regManagementToken(ctx, &created)
	if err != nil {
		// The client exists but cannot be managed: remove it rather than
		// leave an orphan the caller does not know the secret of.
		_ = p.st.DeleteClient(ctx, created.ID)
		return p.regServerError(r, "token", err)
	}
	p.log.Info("client registered", "security", true, "client", created.ID,
		"initial_access_token", byToken,
		"auth_method", created.TokenEndpointAuthMethod)
	w.Header().Set("Location", p.absolute("/oauth/register/"+url.PathEscape(created.ID)))
	writeJSON(w, http.StatusCreated, p.regInfo(&created, secret, token))
	return nil
}

func regValidationFailure(err error) *regFailure {
	var ves store.ValidationErrors
	if !errors.As(err, &ves) {
		return nil
	}
	var es regErrs
	for _, e := range ves {
		es.add(e.Field, e.Reason)
	}
	return es.failure()
}

func (p *Provider) regServerError(r *http.Request, what string, err error) *regFailure {
	p.log.Error("client registration: "+what+" failed", "error", err, "path", r.URL.Path)
	return &regFailure{status: http.StatusInternalServerError, code: "server_error",
		desc: "the registration could not be completed"}
}

// regPathID returns the client_id, the last segment of the request path.
func regPathID(r *http.Request) string {
	esc := r.URL.EscapedPath()
	seg := esc[strings.LastIndexByte(esc, '/')+1:]
	if id, err := url.PathUnescape(seg); err == nil {
		return id
	}
	return ""
}

// errRegStale aborts an update whose token binding changed meanwhile.
var errRegStale = errors.New("the client changed")

// registration is GET, PUT and DELETE /oauth/register/{client_id}
// (RFC 7592).
func (p *Provider) registration(w http.ResponseWriter, r *http.Request) {
	if p.cors.preflight(w, r) {
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodPut, http.MethodDelete:
	default:
		w.Header().Set("Allow", "GET, PUT, DELETE, OPTIONS")
		writeError(w, http.StatusMethodNotAllowed, "invalid_request", "use GET, PUT or DELETE")
		return
	}
	ctx := r.Context()
	id := regPathID(r)
	token, claims, f := p.regBearer(r, scopeClientManage)
	if f != nil {
		p.log.Info("client management refused", "security", true, "reason", f.desc)
		p.writeRegFailure(w, f)
		return
	}
	if sub, _ := claims["sub"].(string); id == "" || sub != id {
		p.log.Info("client management refused", "security", true, "client", id, "reason", "token of another client")
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+p.cfg.Issuer+`", error="insufficient_scope", error_description="the token does not manage this client"`)
		writeError(w, http.StatusForbidden, "insufficient_scope", "the token does not manage this client")
		return
	}
	c, err := p.st.GetClient(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		p.writeRegFailure(w, regInvalidToken("the client of this token no longer exists"))
		return
	} else if err != nil {
		p.writeRegFailure(w, p.regServerError(r, "look-up", err))
		return
	}
	binding, _ := claims[regBindingClaim].(string)
	if !hmac.Equal([]byte(binding), []byte(p.regBinding(&c))) {
		p.log.Info("client management refused", "security", true, "client", id, "reason", "token of a former incarnation or secret")
		p.writeRegFailure(w, regInvalidToken("the token was revoked"))
		return
	}
	switch r.Method {
	case http.MethodGet:
		// The secret is not sent back: only its digest is kept.
		writeJSON(w, http.StatusOK, p.regInfo(&c, "", token))
	case http.MethodDelete:
		if err := p.st.DeleteClient(ctx, id); errors.Is(err, store.ErrNotFound) {
			p.writeRegFailure(w, regInvalidToken("the client of this token no longer exists"))
			return
		} else if err != nil {
			p.writeRegFailure(w, p.regServerError(r, "deletion", err))
			return
		}
		p.cors.invalidate()
		p.log.Info("client deleted", "security", true, "client", id, "by", "registration access token")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPut:
		if f := p.regUpdate(w, r, &c); f != nil {
			p.writeRegFailure(w, f)
		}
	}
}

// regUpdate replaces the metadata of old (RFC 7592 section 2.2).
func (p *Provider) regUpdate(w http.ResponseWriter, r *http.Request, old *store.Client) *regFailure {
	ctx := r.Context()
	body, f := readRegBody(w, r)
	if f != nil {
		return f
	}
	req, f := parseRegRequest(body)
	if f != nil {
		return f
	}
	if req.clientID != old.ID {
		return regInvalidMetadata("client_id", "is required and must be this client's identifier")
	}
	// An expired secret sent back still identifies the current one (the
	// update then issues a new secret).
	current := *old
	current.ClientSecretExpiresAt = time.Time{}
	if req.clientSecret != "" && !current.CheckSecret(req.clientSecret, p.now()) {
		return regInvalidMetadata("client_secret", "is not the current secret of this client (a client cannot choose its secret)")
	}
	nc := req.c
	nc.ID = old.ID
	if f := p.regCheckClient(ctx, &nc, old); f != nil {
		return f
	}
	oldBinding := p.regBinding(old)
	var secret string
	updated, err := p.st.UpdateClient(ctx, old.ID, func(cur *store.Client) error {
		if p.regBinding(cur) != oldBinding {
			return errRegStale
		}
		next := nc.Clone()
		next.Created, next.LastModified = cur.Created, cur.LastModified
		next.Description, next.Audience, next.AllowPasswordGrant = cur.Description, slices.Clone(cur.Audience), cur.AllowPasswordGrant
		next.ClientSecretHash, next.ClientSecretExpiresAt = cur.ClientSecretHash, cur.ClientSecretExpiresAt
		secret = ""
		switch {
		case !regNeedsSecret(next.TokenEndpointAuthMethod):
			next.SetSecret("")
			next.ClientSecretExpiresAt = time.Time{}
		case next.ClientSecretHash == "" || !next.ClientSecretExpiresAt.IsZero() && !p.now().Before(next.ClientSecretExpiresAt):
			// A client that starts using a secret, or whose secret
			// expired, gets a new one (RFC 7592 allows it).
			secret = regRandom(32)
			next.SetSecret(secret)
			next.ClientSecretExpiresAt = time.Time{}
		}
		*cur = next
		return nil
	})
	switch {
	case errors.Is(err, errRegStale), errors.Is(err, store.ErrNotFound):
		return regInvalidToken("the token was revoked")
	case err != nil:
		if f := regValidationFailure(err); f != nil {
			return f
		}
		return p.regServerError(r, "update", err)
	}
	p.cors.invalidate()
	token, err := p.regManagementToken(ctx, &updated)
	if err != nil {
		return p.regServerError(r, "token", err)
	}
	p.log.Info("client updated", "security", true, "client", updated.ID, "by", "registration access token",
		"new_secret", secret != "")
	writeJSON(w, http.StatusOK, p.regInfo(&updated, secret, token))
	return nil
}
