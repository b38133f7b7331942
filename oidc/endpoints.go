package oidc

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ory/fosite"
	"github.com/ory/fosite/token/jwt"

	"github.com/canaille-go/canaille/internal/oplog"
	"github.com/canaille-go/canaille/store"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes an OAuth error document.
func writeError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// What discovery advertises, and registration accepts.
var (
	responseTypesSupported = []string{"code", "id_token", "token", "id_token token", "code id_token",
		"code token", "code id_token token"}
	requestObjectAlgs   = []string{"RS256", "ES256", "none"}
	clientAssertionAlgs = []string{"RS256", "ES256", "EdDSA"}
)

// metadata is the RFC 8414 document; discovery adds the OpenID fields.
func (p *Provider) metadata() map[string]any {
	authMethods := []string{store.AuthMethodBasic, store.AuthMethodPost, store.AuthMethodPrivateKeyJWT, store.AuthMethodNone}
	m := map[string]any{
		"issuer":                                p.cfg.Issuer,
		"authorization_endpoint":                p.absolute("/oauth/authorize"),
		"token_endpoint":                        p.absolute("/oauth/token"),
		"jwks_uri":                              p.absolute("/oauth/jwks.json"),
		"registration_endpoint":                 p.absolute("/oauth/register"),
		"revocation_endpoint":                   p.absolute("/oauth/revoke"),
		"introspection_endpoint":                p.absolute("/oauth/introspect"),
		"userinfo_endpoint":                     p.absolute("/oauth/userinfo"),
		"end_session_endpoint":                  p.absolute("/oauth/end_session"),
		"scopes_supported":                      supportedScopes,
		"response_types_supported":              responseTypesSupported,
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"grant_types_supported":                 []string{"authorization_code", "implicit", "refresh_token", "client_credentials", "password"},
		"token_endpoint_auth_methods_supported": authMethods,
		"token_endpoint_auth_signing_alg_values_supported": clientAssertionAlgs,
		"revocation_endpoint_auth_methods_supported":       authMethods,
		"introspection_endpoint_auth_methods_supported":    []string{store.AuthMethodBasic, store.AuthMethodPost, store.AuthMethodPrivateKeyJWT},
		"code_challenge_methods_supported":                 []string{"S256"},
		"authorization_response_iss_parameter_supported":   true,
		"ui_locales_supported":                             p.cfg.Locales,
		"service_documentation":                            "https://canaille.readthedocs.io/",
	}
	return m
}

// docs are the JSON documents that only change with the keys, encoded
// once per key version.
type docs struct {
	version                uint64
	discovery, oauth, jwks []byte
}

func (p *Provider) documents() *docs {
	v := p.cfg.Keys.Version()
	if d := p.docs.Load(); d != nil && d.version == v {
		return d
	}
	d := &docs{version: v}
	d.discovery, _ = json.Marshal(p.discoveryDoc())
	d.oauth, _ = json.Marshal(p.metadata())
	d.jwks, _ = json.Marshal(p.cfg.Keys.JWKS())
	p.docs.Store(d)
	return d
}

func writeCached(w http.ResponseWriter, contentType string, body []byte) {
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	if p.cors.preflight(w, r) {
		return
	}
	writeCached(w, "application/json", p.documents().discovery)
}

// discoveryDoc is the OpenID Connect discovery document.
func (p *Provider) discoveryDoc() map[string]any {
	m := p.metadata()
	algs := p.cfg.Keys.Algorithms()
	prompts := []string{"none", "login", "consent", "select_account"}
	if p.cfg.EnableRegistration {
		prompts = append(prompts, "create")
	}
	m["subject_types_supported"] = []string{"public"}
	m["id_token_signing_alg_values_supported"] = algs
	m["userinfo_signing_alg_values_supported"] = algs
	m["request_object_signing_alg_values_supported"] = requestObjectAlgs
	m["request_parameter_supported"] = true
	m["request_uri_parameter_supported"] = true
	m["require_request_uri_registration"] = true
	m["claims_parameter_supported"] = false
	m["claim_types_supported"] = []string{"normal"}
	m["claims_supported"] = p.supportedClaims()
	m["prompt_values_supported"] = prompts
	m["backchannel_logout_supported"] = true
	m["backchannel_logout_session_supported"] = true
	return m
}

func (p *Provider) oauthMetadata(w http.ResponseWriter, r *http.Request) {
	if p.cors.preflight(w, r) {
		return
	}
	writeCached(w, "application/json", p.documents().oauth)
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	if p.cors.preflight(w, r) {
		return
	}
	writeCached(w, "application/jwk-set+json", p.documents().jwks)
}

// webfinger answers RFC 7033 queries for the accounts of this provider
// (acct:NAME@HOST or acct:EMAIL), with the OpenID issuer link.
func (p *Provider) webfinger(w http.ResponseWriter, r *http.Request) {
	if p.cors.preflight(w, r) {
		return
	}
	q := r.URL.Query()
	resource := q.Get("resource")
	if resource == "" {
		writeError(w, http.StatusBadRequest, "invalid_request", "the resource parameter is required")
		return
	}
	const issuerRel = "http://openid.net/specs/connect/1.0/issuer"
	if rels := q["rel"]; len(rels) > 0 && !slices.Contains(rels, issuerRel) {
		writeWebfinger(w, resource, nil)
		return
	}
	if !p.knownResource(r.Context(), resource) {
		http.Error(w, "no such account", http.StatusNotFound)
		return
	}
	writeWebfinger(w, resource, []map[string]string{{"rel": issuerRel, "href": p.cfg.Issuer}})
}

func writeWebfinger(w http.ResponseWriter, subject string, links []map[string]string) {
	if links == nil {
		links = []map[string]string{}
	}
	w.Header().Set("Content-Type", "application/jrd+json")
	_ = json.NewEncoder(w).Encode(map[string]any{"subject": subject, "links": links})
}

// knownResource reports whether resource names an account: acct:EMAIL, or
// acct:NAME@HOST with our host, or an https URL of this issuer.
func (p *Provider) knownResource(ctx context.Context, resource string) bool {
	if strings.HasPrefix(resource, "https://") || strings.HasPrefix(resource, "http://") {
		return resource == p.cfg.Issuer || strings.HasPrefix(resource, p.cfg.Issuer+"/")
	}
	acct, ok := strings.CutPrefix(resource, "acct:")
	if !ok || acct == "" {
		return false
	}
	if _, err := p.st.GetUserByEmail(ctx, acct); err == nil {
		return true
	}
	name, host, ok := strings.Cut(acct, "@")
	if !ok || name == "" {
		return false
	}
	if iu, err := url.Parse(p.cfg.Issuer); err != nil || !strings.EqualFold(iu.Host, host) && !strings.EqualFold(iu.Hostname(), host) {
		return false
	}
	_, err := p.st.GetUserByName(ctx, name)
	return err == nil
}

// token is the token endpoint.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if p.cors.preflight(w, r) {
		return
	}
	ctx := withCodeMemo(r.Context())
	sess := newSession()
	ar, err := p.fosite.NewAccessRequest(ctx, r, sess)
	if err != nil {
		p.logError(r, "token request refused", err)
		p.fosite.WriteAccessError(ctx, w, ar, err)
		return
	}
	cid := ar.GetClient().GetID()
	if gt := ar.GetGrantTypes(); gt.ExactOne("client_credentials") || gt.ExactOne("password") {
		// A new grant (the code and refresh grants keep the ID of the
		// grant they continue): time-ordered, see ParseAuthorize.
		ar.SetID(store.NewTimeID(p.now()))
	}
	switch {
	case ar.GetGrantTypes().ExactOne("client_credentials"):
		for _, s := range ar.GetRequestedScopes() {
			if s != "openid" && s != "offline_access" {
				ar.GrantScope(s)
			}
		}
		for _, a := range ar.GetRequestedAudience() {
			ar.GrantAudience(a)
		}
		sess.Subject = cid
		sess.GetJWTClaims().(*jwt.JWTClaims).Subject = cid
		setATExtra(sess, "client_id", cid)
	case ar.GetGrantTypes().ExactOne("password"):
		cl, _ := ar.GetClient().(*client)
		if cl == nil || !cl.c.AllowPasswordGrant {
			err := fosite.ErrUnauthorizedClient.WithHint("The resource owner password grant is not enabled for this client.")
			p.logError(r, "token request refused", err)
			p.fosite.WriteAccessError(ctx, w, ar, err)
			return
		}
		u, err := p.st.GetUser(ctx, sess.UserID)
		if err != nil || !p.mayUseOIDC(&u) {
			err := fosite.ErrInvalidGrant.WithHint("The account may not sign in to applications.")
			p.logError(r, "token request refused", err)
			p.fosite.WriteAccessError(ctx, w, ar, err)
			return
		}
		for _, s := range ar.GetRequestedScopes() {
			ar.GrantScope(s)
		}
		sub := p.subject(&u)
		sess.Login, sess.Subject = u.UserName, sub
		sess.GetJWTClaims().(*jwt.JWTClaims).Subject = sub
		setATExtra(sess, "client_id", cid)
	case ar.GetGrantTypes().ExactOne("refresh_token"):
		// The user may have been locked, deleted or lost use_oidc since.
		if u, err := p.st.GetUser(ctx, sess.UserID); err != nil || u.Locked(p.now()) || !p.mayUseOIDC(&u) {
			err := fosite.ErrInvalidGrant.WithHint("The account is no longer allowed to sign in.")
			p.logError(r, "refresh refused", err)
			p.fosite.WriteAccessError(ctx, w, ar, err)
			return
		}
	}
	if len(ar.GetGrantedAudience()) == 0 {
		ar.GrantAudience(cid)
	}
	resp, err := p.fosite.NewAccessResponse(ctx, ar)
	if err != nil {
		p.logError(r, "token request failed", err)
		p.fosite.WriteAccessError(ctx, w, ar, err)
		return
	}
	oplog.Info(ctx, p.log, "token issued", slog.Bool("security", true), slog.String("client", cid),
		slog.String("user", sess.UserID), slog.String("grant", strings.Join(ar.GetGrantTypes(), " ")),
		slog.String("scope", strings.Join(ar.GetGrantedScopes(), " ")))
	if p.cfg.TokenIssued != nil {
		p.cfg.TokenIssued(grantLabel(ar.GetGrantTypes()))
	}
	p.fosite.WriteAccessResponse(ctx, w, ar, resp)
}

func setATExtra(s *Session, k string, v any) {
	c := s.GetJWTClaims().(*jwt.JWTClaims)
	if c.Extra == nil {
		c.Extra = map[string]any{}
	}
	c.Extra[k] = v
}

// callerID is the client ID a token-endpoint style request claims to be
// (fosite has authenticated it by then).
func callerID(r *http.Request) string {
	if id, _, ok := r.BasicAuth(); ok {
		if u, err := url.QueryUnescape(id); err == nil {
			return u
		}
		return id
	}
	if id := r.PostForm.Get("client_id"); id != "" {
		return id
	}
	if a := r.PostForm.Get("client_assertion"); a != "" {
		if t, err := jwt.Parse(a, nil); t != nil && (err == nil || t.Claims != nil) {
			if iss, ok := t.Claims["iss"].(string); ok {
				return iss
			}
		}
	}
	return ""
}

// introspect is RFC 7662. A client sees only the tokens issued to it or
// naming it in their audience; others are reported inactive.
func (p *Provider) introspect(w http.ResponseWriter, r *http.Request) {
	if p.cors.preflight(w, r) {
		return
	}
	ctx := r.Context()
	ir, err := p.fosite.NewIntrospectionRequest(ctx, r, newSession())
	if err != nil {
		p.logError(r, "introspection refused", err)
		p.fosite.WriteIntrospectionError(ctx, w, err)
		return
	}
	req := ir.GetAccessRequester()
	caller := callerID(r)
	if caller == "" || caller != req.GetClient().GetID() && !slices.Contains(req.GetGrantedAudience(), caller) {
		writeJSON(w, http.StatusOK, map[string]bool{"active": false})
		return
	}
	out := map[string]any{
		"active":     true,
		"client_id":  req.GetClient().GetID(),
		"scope":      strings.Join(req.GetGrantedScopes(), " "),
		"iss":        p.cfg.Issuer,
		"iat":        req.GetRequestedAt().Unix(),
		"token_type": "Bearer",
	}
	if ir.GetTokenUse() == fosite.RefreshToken {
		out["token_type"] = "refresh_token"
	}
	sess, _ := req.GetSession().(*Session)
	if sess != nil {
		if exp := sess.GetExpiresAt(ir.GetTokenUse()); !exp.IsZero() {
			out["exp"] = exp.Unix()
		}
		if sess.Subject != "" {
			out["sub"] = sess.Subject
		}
		if sess.Login != "" {
			out["username"] = sess.Login
		}
	}
	if aud := req.GetGrantedAudience(); len(aud) > 0 {
		out["aud"] = []string(aud)
	}
	writeJSON(w, http.StatusOK, out)
}

func (p *Provider) revoke(w http.ResponseWriter, r *http.Request) {
	if p.cors.preflight(w, r) {
		return
	}
	ctx := r.Context()
	err := p.fosite.NewRevocationRequest(ctx, r)
	if err != nil {
		p.logError(r, "revocation refused", err)
	} else {
		p.log.Info("token revoked", "security", true, "client", callerID(r))
	}
	p.fosite.WriteRevocationResponse(ctx, w, err)
}

// userinfo returns the claims of the access token's user.
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	if p.cors.preflight(w, r) {
		return
	}
	ctx := r.Context()
	bearerError := func(status int, code, desc string) {
		w.Header().Set("WWW-Authenticate", `Bearer error="`+code+`", error_description="`+desc+`"`)
		writeError(w, status, code, desc)
	}
	tok := fosite.AccessTokenFromRequest(r)
	if tok == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+p.cfg.Issuer+`"`)
		writeError(w, http.StatusUnauthorized, "invalid_request", "an access token is required")
		return
	}
	sess := newSession()
	_, ar, err := p.fosite.IntrospectToken(ctx, tok, fosite.AccessToken, sess)
	if err != nil {
		bearerError(http.StatusUnauthorized, "invalid_token", "the access token is invalid, expired or revoked")
		return
	}
	if !ar.GetGrantedScopes().Has("openid") {
		bearerError(http.StatusForbidden, "insufficient_scope", "the access token lacks the openid scope")
		return
	}
	u, err := p.st.GetUser(ctx, sess.UserID)
	if err != nil || u.Locked(p.now()) {
		bearerError(http.StatusUnauthorized, "invalid_token", "the account of this token cannot sign in")
		return
	}
	claims := p.userClaims(&u, ar.GetGrantedScopes())
	cl, _ := ar.GetClient().(*client)
	if cl != nil && cl.c.UserinfoSignedResponseAlg != "" && cl.c.UserinfoSignedResponseAlg != "none" {
		claims["iss"] = p.cfg.Issuer
		claims["aud"] = cl.c.ID
		raw, _, err := p.idSign.Generate(ctx, jwt.MapClaims(claims), &jwt.Headers{})
		if err != nil {
			writeError(w, http.StatusInternalServerError, "server_error", "could not sign the response")
			return
		}
		w.Header().Set("Content-Type", "application/jwt")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(raw))
		return
	}
	writeJSON(w, http.StatusOK, claims)
}

// grantLabel names the grant of a token request for Config.TokenIssued,
// from a fixed set.
func grantLabel(grants fosite.Arguments) string {
	for _, g := range []string{"authorization_code", "refresh_token", "client_credentials", "password"} {
		if grants.ExactOne(g) {
			return g
		}
	}
	return "other"
}
