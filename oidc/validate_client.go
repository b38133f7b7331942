package oidc

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"

	"github.com/canaille-go/canaille/store"
)

// What the administration pages of the web interface need: the checks of
// dynamic registration applied to a client an administrator edits, the
// choices those checks accept, and the management of registrations.

// AdminGrantTypes are the grant types an administrator may give a client:
// those of registration and the resource owner password grant (which also
// needs Client.AllowPasswordGrant).
var AdminGrantTypes = []string{"authorization_code", "refresh_token", "implicit", "client_credentials", "password"}

// ResponseTypes lists the response types the provider supports.
func ResponseTypes() []string { return slices.Clone(responseTypesSupported) }

// Scopes lists the scopes the provider knows.
func Scopes() []string { return slices.Clone(supportedScopes) }

// ClientAssertionAlgorithms lists the algorithms accepted for
// token_endpoint_auth_signing_alg (private_key_jwt).
func ClientAssertionAlgorithms() []string { return slices.Clone(clientAssertionAlgs) }

// RequestObjectAlgorithms lists the algorithms accepted for
// request_object_signing_alg.
func RequestObjectAlgorithms() []string { return slices.Clone(requestObjectAlgs) }

// CheckClient completes c with the defaults of dynamic registration
// (application type web, client_secret_basic, grant and response types
// deduced from each other) and checks it with the rules of registration
// (redirect URIs per application type, grant and response types that agree,
// authentication method and keys, algorithms the provider signs with, https
// for the URLs the provider fetches, the model's own rules), with an
// administrator's latitude: every grant type of the model and any scope
// token may be given. A sector identifier URI is fetched and checked.
//
// It returns nil, or a store.ValidationErrors naming each field at fault
// ("redirect_uris[1]", "grant_types", …). c.ID must be set.
func (p *Provider) CheckClient(ctx context.Context, c *store.Client) error {
	var es store.ValidationErrors
	for name, v := range clientTexts(c) {
		if r := regText(v); r != "" {
			es = append(es, &store.ValidationError{Field: name, Reason: r})
		}
	}
	if c.JWKS != "" {
		jwks, reason := regParseJWKS(json.RawMessage(c.JWKS))
		if reason != "" {
			es = append(es, &store.ValidationError{Field: "jwks", Reason: reason})
		} else {
			c.JWKS = jwks
		}
	}
	if len(es) > 0 {
		return es
	}
	admin := &store.Client{GrantTypes: []string{"authorization_code", "refresh_token", "implicit",
		"client_credentials", "password", "urn:ietf:params:oauth:grant-type:jwt-bearer"},
		Scope: slices.Clone(c.Scope)}
	f := p.regCheckClient(ctx, c, admin)
	if f == nil {
		return nil
	}
	for _, e := range f.fields {
		es = append(es, &store.ValidationError{Field: e.Field, Reason: e.Reason})
	}
	if len(es) == 0 {
		es = append(es, &store.ValidationError{Field: "client", Reason: f.desc})
	}
	return es
}

// clientTexts are the text values of c, by field name (list entries as
// "name[i]").
func clientTexts(c *store.Client) map[string]string {
	m := map[string]string{"client_name": c.ClientName, "description": c.Description, "client_uri": c.ClientURI,
		"logo_uri": c.LogoURI, "tos_uri": c.TOSURI, "policy_uri": c.PolicyURI, "jwks_uri": c.JWKSURI,
		"sector_identifier_uri": c.SectorIdentifierURI, "subject_type": c.SubjectType, "software_id": c.SoftwareID,
		"software_version": c.SoftwareVersion, "application_type": c.ApplicationType,
		"initiate_login_uri": c.InitiateLoginURI, "backchannel_logout_uri": c.BackchannelLogoutURI}
	for name, list := range map[string][]string{"redirect_uris": c.RedirectURIs, "post_logout_redirect_uris": c.PostLogoutRedirectURIs,
		"contacts": c.Contacts, "request_uris": c.RequestURIs, "scope": c.Scope, "audience": c.Audience,
		"default_acr_values": c.DefaultACRValues, "grant_types": c.GrantTypes, "response_types": c.ResponseTypes} {
		for i, v := range list {
			m[name+"["+strconv.Itoa(i)+"]"] = v
		}
	}
	return m
}

// ClientChanged tells the provider that a client was created, changed or
// deleted outside its endpoints, so that the CORS origins (built from the
// clients' URIs) are read again.
func (p *Provider) ClientChanged() { p.cors.invalidate() }

// RegistrationClientURI is the RFC 7592 management address of a client.
func (p *Provider) RegistrationClientURI(clientID string) string {
	return p.absolute("/oauth/register/" + url.PathEscape(clientID))
}

// ManagementToken mints a registration access token for c (RFC 7592): it
// lets its bearer read, update and delete the client at
// RegistrationClientURI until the client's secret changes or the client is
// registered again.
func (p *Provider) ManagementToken(ctx context.Context, c *store.Client) (string, error) {
	return p.regManagementToken(ctx, c)
}

// DiscoveryURL is the address of the OpenID Connect discovery document.
func (p *Provider) DiscoveryURL() string {
	return p.absolute("/.well-known/openid-configuration")
}
