package oidc_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/canaille-go/canaille/store"
)

// TestCheckClient: the checks of registration, with an administrator's
// latitude, field by field.
func TestCheckClient(t *testing.T) {
	o := newOP(t)
	ctx := context.Background()
	fields := func(err error) []string {
		var ves store.ValidationErrors
		if err != nil && !errors.As(err, &ves) {
			t.Fatalf("not validation errors: %v", err)
		}
		var out []string
		for _, e := range ves {
			out = append(out, e.Field)
		}
		return out
	}
	// Defaults are completed; the password grant and any scope token are
	// an administrator's choice.
	c := store.Client{ID: "admin-made", RedirectURIs: []string{"https://rp.example.org/cb"},
		GrantTypes: []string{"authorization_code", "refresh_token", "password"}, Scope: []string{"openid", "custom"}}
	if err := o.p.CheckClient(ctx, &c); err != nil {
		t.Fatalf("refused: %v", err)
	}
	if c.ApplicationType != "web" || c.TokenEndpointAuthMethod != store.AuthMethodBasic || !slices.Equal(c.ResponseTypes, []string{"code"}) {
		t.Errorf("defaults %+v", c)
	}
	for _, tc := range []struct {
		name string
		c    store.Client
		want []string
	}{
		{"RedirectLines", store.Client{ID: "x", RedirectURIs: []string{"https://ok.example.org/cb", "http://rp.example.org/cb"}}, []string{"redirect_uris[1]"}},
		{"NoRedirect", store.Client{ID: "x"}, []string{"redirect_uris"}},
		{"ControlCharacters", store.Client{ID: "x", RedirectURIs: []string{"https://ok.example.org/cb"}, SoftwareID: "a\x00b"}, []string{"software_id"}},
		{"BadJWKS", store.Client{ID: "x", RedirectURIs: []string{"https://ok.example.org/cb"}, JWKS: "{"}, []string{"jwks"}},
		{"Algorithm", store.Client{ID: "x", RedirectURIs: []string{"https://ok.example.org/cb"}, IDTokenSignedResponseAlg: "RS256"}, []string{"id_token_signed_response_alg"}},
		{"Several", store.Client{ID: "x", RedirectURIs: []string{"https://ok.example.org/cb"}, TokenEndpointAuthMethod: "none",
			GrantTypes: []string{"client_credentials", "authorization_code"}, SubjectType: "pairwise"}, []string{"grant_types", "subject_type"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fields(o.p.CheckClient(ctx, &tc.c))
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("fields %v lack %s", got, w)
				}
			}
		})
	}
	if o.p.DiscoveryURL() != o.p.Issuer()+"/.well-known/openid-configuration" || o.p.RegistrationClientURI("a b") != o.p.Issuer()+"/oauth/register/a%20b" {
		t.Error("addresses")
	}
}
