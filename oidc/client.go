package oidc

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"

	"github.com/canaille-go/canaille/store"
)

// client adapts a store.Client to the client interfaces fosite asks for.
type client struct {
	c    store.Client
	jwks *jose.JSONWebKeySet
}

var (
	_ fosite.Client                   = (*client)(nil)
	_ fosite.OpenIDConnectClient      = (*client)(nil)
	_ fosite.ResponseModeClient       = (*client)(nil)
	_ fosite.ClientWithSecretRotation = (*client)(nil)
)

func newClient(c store.Client) *client {
	cl := &client{c: c}
	if c.JWKS != "" {
		var set jose.JSONWebKeySet
		if json.Unmarshal([]byte(c.JWKS), &set) == nil {
			cl.jwks = &set
		}
	}
	return cl
}

func (c *client) GetID() string { return c.c.ID }

// GetHashedSecret returns the stored digest ("sha256:…"); secretHasher
// compares it. A public client has none.
func (c *client) GetHashedSecret() []byte { return []byte(c.c.ClientSecretHash) }

func (c *client) GetRotatedHashes() [][]byte { return nil }

func (c *client) GetRedirectURIs() []string { return c.c.RedirectURIs }

// GetGrantTypes returns the registered grant types; the resource owner
// password grant only when it was enabled for the client on purpose.
func (c *client) GetGrantTypes() fosite.Arguments {
	if len(c.c.GrantTypes) == 0 {
		return fosite.Arguments{"authorization_code"}
	}
	if !c.c.AllowPasswordGrant && slices.Contains(c.c.GrantTypes, "password") {
		return fosite.Arguments(slices.DeleteFunc(slices.Clone(c.c.GrantTypes), func(g string) bool { return g == "password" }))
	}
	return fosite.Arguments(c.c.GrantTypes)
}

func (c *client) GetResponseTypes() fosite.Arguments {
	if len(c.c.ResponseTypes) == 0 {
		return fosite.Arguments{"code"}
	}
	return fosite.Arguments(c.c.ResponseTypes)
}

// GetScopes returns the scopes the client may ask for. A client registered
// without scope may ask for every scope the provider knows (as in Python
// Canaille).
func (c *client) GetScopes() fosite.Arguments {
	if len(c.c.Scope) == 0 {
		return fosite.Arguments(supportedScopes)
	}
	return fosite.Arguments(c.c.Scope)
}

func (c *client) IsPublic() bool { return c.c.Public() }

// GetAudience is what the client may ask to be in its tokens' aud: itself
// and the audiences registered for it.
func (c *client) GetAudience() fosite.Arguments {
	aud := fosite.Arguments{c.c.ID}
	for _, a := range c.c.Audience {
		if a != c.c.ID {
			aud = append(aud, a)
		}
	}
	return aud
}

func (c *client) GetRequestURIs() []string            { return c.c.RequestURIs }
func (c *client) GetJSONWebKeys() *jose.JSONWebKeySet { return c.jwks }
func (c *client) GetJSONWebKeysURI() string           { return c.c.JWKSURI }
func (c *client) GetRequestObjectSigningAlgorithm() string {
	return c.c.RequestObjectSigningAlg
}

func (c *client) GetTokenEndpointAuthMethod() string {
	if c.c.TokenEndpointAuthMethod == "" {
		return store.AuthMethodBasic
	}
	return c.c.TokenEndpointAuthMethod
}

func (c *client) GetTokenEndpointAuthSigningAlgorithm() string {
	if c.c.TokenEndpointAuthSigningAlg == "" {
		return "RS256"
	}
	return c.c.TokenEndpointAuthSigningAlg
}

func (c *client) GetResponseModes() []fosite.ResponseModeType {
	return []fosite.ResponseModeType{fosite.ResponseModeDefault, fosite.ResponseModeQuery,
		fosite.ResponseModeFragment, fosite.ResponseModeFormPost}
}

// wantsPKCE reports whether the client must send a PKCE challenge.
func (c *client) wantsPKCE(all bool) bool { return all || c.c.Public() || c.c.RequirePKCE }

// hasGrant reports whether the client registered grant g.
func (c *client) hasGrant(g string) bool { return slices.Contains(c.GetGrantTypes(), g) }

// secretHasher compares client secrets with the SHA-256 digests the store
// keeps. Client secrets are long random values, so a slow hash (fosite's
// default is bcrypt, 60 ms a request) protects nothing more.
type secretHasher struct{}

func (secretHasher) Compare(_ context.Context, hash, data []byte) error {
	want, ok := strings.CutPrefix(string(hash), "sha256:")
	if !ok || len(data) == 0 {
		return errors.New("client secret mismatch")
	}
	sum := sha256.Sum256(data)
	got := hex.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errors.New("client secret mismatch")
	}
	return nil
}

func (secretHasher) Hash(_ context.Context, data []byte) ([]byte, error) {
	return []byte(store.DigestSecret(string(data))), nil
}
