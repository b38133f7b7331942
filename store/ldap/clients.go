package ldap

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
)

// Clients are oauthClient entries (Python Canaille's class and attribute
// names) under ou=clients,ou=oauth with RDN oauthClientID, plus the
// canailleClientExtension auxiliary class for the fields Python Canaille
// has no attribute for. Audience values are client DNs.
//
// Secrets: Python Canaille keeps oauthClientSecret in clear; this backend
// writes store.DigestSecret's "sha256:<hex>" form. A clear value read
// from an existing entry is digested on the fly, so CheckSecret accepts
// it, and it is left as it is until the secret changes.
var clientKind = &kind[store.Client]{
	name:    "client",
	branch:  schemas.ClientsBranch,
	rdn:     "oauthClientID",
	classes: []string{"oauthClient", "canailleClientExtension"},
	id:      func(c *store.Client) *string { return &c.ID },
	fields: []field[store.Client]{
		fString("oauthClientID", func(c *store.Client) *string { return &c.ID }),
		fTime("oauthIssueDate", func(c *store.Client) *time.Time { return &c.Created }),
		secretField(),
		fTime("oauthClientSecretExpDate", func(c *store.Client) *time.Time { return &c.ClientSecretExpiresAt }),
		fString("oauthClientName", func(c *store.Client) *string { return &c.ClientName }),
		fString("description", func(c *store.Client) *string { return &c.Description }),
		fString("oauthClientURI", func(c *store.Client) *string { return &c.ClientURI }),
		fString("oauthLogoURI", func(c *store.Client) *string { return &c.LogoURI }),
		fString("oauthTermsOfServiceURI", func(c *store.Client) *string { return &c.TOSURI }),
		fString("oauthPolicyURI", func(c *store.Client) *string { return &c.PolicyURI }),
		fList("oauthClientContact", func(c *store.Client) *[]string { return &c.Contacts }),
		fList("oauthRedirectURIs", func(c *store.Client) *[]string { return &c.RedirectURIs }),
		fList("oauthPostLogoutRedirectURI", func(c *store.Client) *[]string { return &c.PostLogoutRedirectURIs }),
		fString("canailleBackchannelLogoutURI", func(c *store.Client) *string { return &c.BackchannelLogoutURI }),
		fList("oauthGrantType", func(c *store.Client) *[]string { return &c.GrantTypes }),
		fList("oauthResponseType", func(c *store.Client) *[]string { return &c.ResponseTypes }),
		fList("oauthScope", func(c *store.Client) *[]string { return &c.Scope }),
		fClients("oauthAudience", func(c *store.Client) *[]string { return &c.Audience }),
		fString("oauthTokenEndpointAuthMethod", func(c *store.Client) *string { return &c.TokenEndpointAuthMethod }),
		fString("oauthTokenEndpointAuthSigningAlg", func(c *store.Client) *string { return &c.TokenEndpointAuthSigningAlg }),
		fString("oauthJWKURI", func(c *store.Client) *string { return &c.JWKSURI }),
		fString("oauthJWK", func(c *store.Client) *string { return &c.JWKS }),
		fString("oauthSectorIdentifierURI", func(c *store.Client) *string { return &c.SectorIdentifierURI }),
		fString("oauthSubjectType", func(c *store.Client) *string { return &c.SubjectType }),
		fString("oauthSoftwareID", func(c *store.Client) *string { return &c.SoftwareID }),
		fString("oauthSoftwareVersion", func(c *store.Client) *string { return &c.SoftwareVersion }),
		fString("oauthApplicationType", func(c *store.Client) *string { return &c.ApplicationType }),
		fString("oauthIdTokenSignedResponseAlg", func(c *store.Client) *string { return &c.IDTokenSignedResponseAlg }),
		fString("oauthIdTokenEncryptedResponseAlg", func(c *store.Client) *string { return &c.IDTokenEncryptedResponseAlg }),
		fString("oauthIdTokenEncryptedResponseEnc", func(c *store.Client) *string { return &c.IDTokenEncryptedResponseEnc }),
		fString("oauthUserinfoSignedResponseAlg", func(c *store.Client) *string { return &c.UserinfoSignedResponseAlg }),
		fString("oauthUserinfoEncryptedResponseAlg", func(c *store.Client) *string { return &c.UserinfoEncryptedResponseAlg }),
		fString("oauthUserinfoEncryptedResponseEnc", func(c *store.Client) *string { return &c.UserinfoEncryptedResponseEnc }),
		fInt("oauthDefaultMaxAge", func(c *store.Client) *int { return &c.DefaultMaxAge }),
		fBool("oauthRequireAuthTime", func(c *store.Client) *bool { return &c.RequireAuthTime }),
		fList("oauthDefaultAcrValue", func(c *store.Client) *[]string { return &c.DefaultACRValues }),
		fString("oauthInitiateLoginURI", func(c *store.Client) *string { return &c.InitiateLoginURI }),
		fString("oauthRequestObjectSigningAlg", func(c *store.Client) *string { return &c.RequestObjectSigningAlg }),
		fString("oauthRequestObjectEncryptionAlg", func(c *store.Client) *string { return &c.RequestObjectEncryptionAlg }),
		fString("oauthRequestObjectEncryptionEnc", func(c *store.Client) *string { return &c.RequestObjectEncryptionEnc }),
		fList("oauthRequestURI", func(c *store.Client) *[]string { return &c.RequestURIs }),
		fBool("oauthRequireSignedRequestObject", func(c *store.Client) *bool { return &c.RequireSignedRequestObject }),
		fBool("canailleRequirePKCE", func(c *store.Client) *bool { return &c.RequirePKCE }),
		fBool("canailleAllowPasswordGrant", func(c *store.Client) *bool { return &c.AllowPasswordGrant }),
	},
	post: func(c *store.Client, e *ldap.Entry) {
		c.LastModified = entryModified(e)
		if c.Created.IsZero() {
			c.Created, _ = schemas.ParseTime(e.GetAttributeValue("createTimestamp"))
		}
	},
}

// isDigestSecret reports a value in store.DigestSecret's form.
func isDigestSecret(v string) bool {
	return strings.HasPrefix(v, "sha256:") && len(v) == len("sha256:")+64
}

func secretField() field[store.Client] {
	return field[store.Client]{attr: "oauthClientSecret",
		enc: func(_ *codec, c *store.Client) []string {
			if c.ClientSecretHash == "" {
				return nil
			}
			return []string{c.ClientSecretHash}
		},
		dec: func(_ *codec, c *store.Client, vs []string) {
			switch {
			case len(vs) == 0 || vs[0] == "":
			case isDigestSecret(vs[0]):
				c.ClientSecretHash = vs[0]
			default: // Python Canaille's clear secret
				c.ClientSecretHash = store.DigestSecret(vs[0])
			}
		},
		equal: func(nv, ov []string) bool {
			return len(nv) == 1 && len(ov) == 1 && !isDigestSecret(ov[0]) && store.DigestSecret(ov[0]) == nv[0]
		}}
}

// entryModified is modifyTimestamp refined by entryCSN's microseconds.
func entryModified(e *ldap.Entry) time.Time {
	t, _ := schemas.ParseTime(e.GetAttributeValue("modifyTimestamp"))
	if csn, _, ok := strings.Cut(e.GetAttributeValue("entryCSN"), "#"); ok {
		if c, err := schemas.ParseTime(csn); err == nil && c.Truncate(time.Second).Equal(t) {
			return c
		}
	}
	return t
}

// CreateClient implements store.OIDCStore. An empty client_id is generated.
func (d *Directory) CreateClient(ctx context.Context, c store.Client) (store.Client, error) {
	c = c.Clone()
	if c.ID == "" {
		c.ID = store.NewID()
	}
	c.Normalize()
	if err := c.Validate(); err != nil {
		return store.Client{}, fmt.Errorf("ldap: create client: %w", err)
	}
	now := time.Now().UTC()
	if c.Created.IsZero() {
		c.Created = now
	}
	if err := clientKind.add(ctx, d, &c); err != nil {
		return store.Client{}, err
	}
	c.LastModified = now
	return c, nil
}

// GetClient implements store.OIDCStore.
// Clients are read through the read cache (cache.go).
func (d *Directory) GetClient(ctx context.Context, id string) (store.Client, error) {
	if c, ok := d.cache.client(id); ok {
		return c, nil
	}
	gen := d.cache.generation()
	_, c, err := clientKind.byID(ctx, d, id)
	if err == nil {
		d.cache.putClient(gen, c)
	}
	return c, err
}

// ListClients implements store.OIDCStore.
func (d *Directory) ListClients(ctx context.Context) ([]store.Client, error) {
	return clientKind.list(ctx, d, "")
}

// UpdateClient implements store.OIDCStore.
func (d *Directory) UpdateClient(ctx context.Context, id string, fn func(*store.Client) error) (store.Client, error) {
	c, err := clientKind.update(ctx, d, fmt.Sprintf("%q", id), eq("oauthClientID", id), func(_ *ldap.Entry, c *store.Client) error {
		old := c.Clone()
		if err := fn(c); err != nil {
			return err
		}
		c.ID, c.Created = old.ID, old.Created
		c.Normalize()
		if err := c.Validate(); err != nil {
			return fmt.Errorf("ldap: update client %q: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return store.Client{}, err
	}
	c.LastModified = time.Now().UTC()
	return c, nil
}

// DeleteClient implements store.OIDCStore: the client's consents, codes
// and tokens (every entry under ou=oauth whose oauthClient names it) go
// first.
func (d *Directory) DeleteClient(ctx context.Context, id string) error {
	e, _, err := clientKind.byID(ctx, d, id)
	if err != nil {
		return err
	}
	if err := d.deleteReferencing(ctx, eq("oauthClient", e.DN)); err != nil {
		return err
	}
	return d.del(ctx, fmt.Sprintf("client %q", id), e.DN)
}

// deleteReferencing deletes every entry under ou=oauth matching filter.
func (d *Directory) deleteReferencing(ctx context.Context, filter string) error {
	es, err := d.search(ctx, schemas.OAuthBranch+","+d.cfg.RootDN, ldap.ScopeWholeSubtree, filter, []string{"1.1"})
	if err != nil {
		return err
	}
	for _, e := range es {
		if err := d.del(ctx, e.DN, e.DN); err != nil && !errorsIsNotFound(err) {
			return err
		}
	}
	return nil
}
