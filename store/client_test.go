package store_test

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// validClient returns a confidential web client with acceptable metadata.
func validClient() store.Client {
	return store.Client{
		ID:                      "my-app_1.0",
		ClientName:              "My App",
		Description:             "Line one\nline two",
		ClientURI:               "https://app.example.org",
		LogoURI:                 "https://app.example.org/logo.png",
		TOSURI:                  "https://app.example.org/tos",
		PolicyURI:               "http://app.example.org/policy",
		RedirectURIs:            []string{"https://app.example.org/cb", "com.example.app:/cb"},
		PostLogoutRedirectURIs:  []string{"https://app.example.org/bye"},
		BackchannelLogoutURI:    "https://app.example.org/bcl",
		JWKSURI:                 "https://app.example.org/jwks.json",
		SectorIdentifierURI:     "https://app.example.org/sector.json",
		InitiateLoginURI:        "https://app.example.org/login",
		RequestURIs:             []string{"https://app.example.org/req"},
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		ResponseTypes:           []string{"code"},
		Scope:                   []string{"openid", "profile", "email", "urn:example:read"},
		TokenEndpointAuthMethod: store.AuthMethodBasic,
		ApplicationType:         "web",
		DefaultMaxAge:           3600,
	}
}

func TestClientValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*store.Client)
		fields []string
	}{
		{"Valid", func(*store.Client) {}, nil},
		{"Minimal", func(c *store.Client) { *c = store.Client{ID: "c"} }, nil},

		{"IDMissing", func(c *store.Client) { c.ID = "" }, []string{"client_id"}},
		{"IDMax255", func(c *store.Client) { c.ID = strings.Repeat("c", 255) }, nil},
		{"IDOver255", func(c *store.Client) { c.ID = strings.Repeat("c", 256) }, []string{"client_id"}},
		{"IDSpace", func(c *store.Client) { c.ID = "my app" }, []string{"client_id"}},
		{"IDSlash", func(c *store.Client) { c.ID = "my/app" }, []string{"client_id"}},
		{"IDBackslash", func(c *store.Client) { c.ID = `my\app` }, []string{"client_id"}},
		{"IDQuestionMark", func(c *store.Client) { c.ID = "app?" }, []string{"client_id"}},
		{"IDHash", func(c *store.Client) { c.ID = "app#1" }, []string{"client_id"}},
		{"IDComma", func(c *store.Client) { c.ID = "a,b" }, []string{"client_id"}},
		{"IDNewline", func(c *store.Client) { c.ID = "app\n" }, []string{"client_id"}},
		{"IDControl", func(c *store.Client) { c.ID = "app\x00" }, []string{"client_id"}},
		{"IDInvalidUTF8", func(c *store.Client) { c.ID = "app\xff" }, []string{"client_id"}},

		{"RedirectCustomScheme", func(c *store.Client) { c.RedirectURIs = []string{"com.example.app:/oauth2redirect"} }, nil},
		{"RedirectLoopback", func(c *store.Client) { c.RedirectURIs = []string{"http://127.0.0.1:8080/cb"} }, nil},
		{"RedirectRelative", func(c *store.Client) { c.RedirectURIs = []string{"/cb"} }, []string{"redirect_uris[0]"}},
		{"RedirectFragment", func(c *store.Client) {
			c.RedirectURIs = []string{"https://app.example.org/cb", "https://app.example.org/cb#x"}
		}, []string{"redirect_uris[1]"}},
		{"RedirectHTTPWithoutHost", func(c *store.Client) { c.RedirectURIs = []string{"https:/cb"} }, []string{"redirect_uris[0]"}},
		{"PostLogoutRedirectRelative", func(c *store.Client) { c.PostLogoutRedirectURIs = []string{"bye"} }, []string{"post_logout_redirect_uris[0]"}},
		{"RequestURIFragment", func(c *store.Client) { c.RequestURIs = []string{"https://app.example.org/r#1"} }, []string{"request_uris[0]"}},

		{"ClientURIFTP", func(c *store.Client) { c.ClientURI = "ftp://app.example.org" }, []string{"client_uri"}},
		{"LogoURIData", func(c *store.Client) { c.LogoURI = "data:image/png;base64,AAAA" }, []string{"logo_uri"}},
		{"TOSURIRelative", func(c *store.Client) { c.TOSURI = "/tos" }, []string{"tos_uri"}},
		{"PolicyURIJavaScript", func(c *store.Client) { c.PolicyURI = "javascript:alert(1)" }, []string{"policy_uri"}},
		{"JWKSURINoHost", func(c *store.Client) { c.JWKSURI = "https:///jwks" }, []string{"jwks_uri"}},
		{"SectorIdentifierURICustom", func(c *store.Client) { c.SectorIdentifierURI = "com.example:/s" }, []string{"sector_identifier_uri"}},
		{"InitiateLoginURIRelative", func(c *store.Client) { c.InitiateLoginURI = "login" }, []string{"initiate_login_uri"}},
		{"BackchannelLogoutURICustom", func(c *store.Client) { c.BackchannelLogoutURI = "app:/bcl" }, []string{"backchannel_logout_uri"}},

		{"EveryGrantType", func(c *store.Client) {
			c.GrantTypes = []string{"authorization_code", "refresh_token", "implicit", "client_credentials",
				"password", "urn:ietf:params:oauth:grant-type:jwt-bearer"}
		}, nil},
		{"UnknownGrantType", func(c *store.Client) { c.GrantTypes = []string{"refresh_token", "device_code"} }, []string{"grant_types[1]"}},
		{"GrantTypeCase", func(c *store.Client) { c.GrantTypes = []string{"Client_Credentials"} }, []string{"grant_types[0]"}},
		{"HybridResponseTypes", func(c *store.Client) { c.ResponseTypes = []string{"code", "code id_token", "id_token token", "none"} }, nil},
		{"UnknownResponseType", func(c *store.Client) { c.ResponseTypes = []string{"code", "device"} }, []string{"response_types[1]"}},

		{"AuthMethodPost", func(c *store.Client) { c.TokenEndpointAuthMethod = store.AuthMethodPost }, nil},
		{"AuthMethodPrivateKeyJWT", func(c *store.Client) { c.TokenEndpointAuthMethod = store.AuthMethodPrivateKeyJWT }, nil},
		{"AuthMethodNone", func(c *store.Client) { c.TokenEndpointAuthMethod = store.AuthMethodNone }, nil},
		{"AuthMethodDefault", func(c *store.Client) { c.TokenEndpointAuthMethod = "" }, nil},
		{"AuthMethodUnknown", func(c *store.Client) { c.TokenEndpointAuthMethod = "client_secret_jwt" }, []string{"token_endpoint_auth_method"}},

		{"ApplicationTypeNative", func(c *store.Client) { c.ApplicationType = "native" }, nil},
		{"ApplicationTypeEmpty", func(c *store.Client) { c.ApplicationType = "" }, nil},
		{"ApplicationTypeUnknown", func(c *store.Client) { c.ApplicationType = "mobile" }, []string{"application_type"}},

		{"NegativeMaxAge", func(c *store.Client) { c.DefaultMaxAge = -1 }, []string{"default_max_age"}},

		{"AuthorizationCodeWithoutRedirect", func(c *store.Client) { c.RedirectURIs = nil }, []string{"redirect_uris"}},
		{"ClientCredentialsWithoutRedirect", func(c *store.Client) {
			c.GrantTypes, c.ResponseTypes, c.RedirectURIs = []string{"client_credentials"}, nil, nil
		}, nil},

		{"ScopeURN", func(c *store.Client) { c.Scope = []string{"urn:example:scope/read!"} }, nil},
		{"ScopeWithSpace", func(c *store.Client) { c.Scope = []string{"openid", "profile email"} }, []string{"scope[1]"}},
		{"ScopeWithQuote", func(c *store.Client) { c.Scope = []string{`"openid"`} }, []string{"scope[0]"}},
		{"ScopeWithBackslash", func(c *store.Client) { c.Scope = []string{`a\b`} }, []string{"scope[0]"}},
		{"ScopeWithTab", func(c *store.Client) { c.Scope = []string{"a\tb"} }, []string{"scope[0]"}},
		{"ScopeEmpty", func(c *store.Client) { c.Scope = []string{""} }, []string{"scope[0]"}},
		{"ScopeControl", func(c *store.Client) { c.Scope = []string{"open\x00id"} }, []string{"scope[0]"}},
		{"ScopeNonASCII", func(c *store.Client) { c.Scope = []string{"profil_été"} }, []string{"scope[0]"}},

		{"ClientNameNewline", func(c *store.Client) { c.ClientName = "My\nApp" }, []string{"client_name"}},
		{"DescriptionControl", func(c *store.Client) { c.Description = "a\x00" }, []string{"description"}},
		{"DescriptionOverLong", func(c *store.Client) { c.Description = strings.Repeat("d", store.MaxTextLength+1) }, []string{"description"}},

		{"Several", func(c *store.Client) {
			c.ID = ""
			c.RedirectURIs = []string{"/relative"}
			c.GrantTypes = []string{"authorization_code", "magic"}
			c.TokenEndpointAuthMethod = "secret"
			c.ApplicationType = "desktop"
			c.LogoURI = "logo.png"
		}, []string{"client_id", "redirect_uris[0]", "logo_uri", "grant_types[1]", "token_endpoint_auth_method", "application_type"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := validClient()
			tc.mutate(&c)
			wantFields(t, c.Validate(), tc.fields...)
		})
	}
}

func TestClientNormalize(t *testing.T) {
	c := store.Client{
		ID:           " my-app ",
		ClientName:   " My App ",
		RedirectURIs: []string{" https://a.example/cb", "", "https://a.example/cb", "https://A.example/cb"},
		Scope:        []string{"openid", " openid ", "", "OpenID"},
		GrantTypes:   []string{"", "authorization_code"},
	}
	c.Normalize()
	if c.ID != "my-app" || c.ClientName != "My App" {
		t.Errorf("ID %q, ClientName %q not trimmed", c.ID, c.ClientName)
	}
	// URIs and scopes are compared exactly (case matters in both).
	if want := []string{"https://a.example/cb", "https://A.example/cb"}; !slices.Equal(c.RedirectURIs, want) {
		t.Errorf("RedirectURIs = %q, want %q", c.RedirectURIs, want)
	}
	if want := []string{"openid", "OpenID"}; !slices.Equal(c.Scope, want) {
		t.Errorf("Scope = %q, want %q", c.Scope, want)
	}
	if want := []string{"authorization_code"}; !slices.Equal(c.GrantTypes, want) {
		t.Errorf("GrantTypes = %q, want %q", c.GrantTypes, want)
	}
}

func TestClientSecret(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	const secret = "s3cr3t-value-0123456789"

	t.Run("StoredFormIsDigest", func(t *testing.T) {
		var c store.Client
		c.SetSecret(secret)
		sum := sha256.Sum256([]byte(secret))
		if want := "sha256:" + hex.EncodeToString(sum[:]); c.ClientSecretHash != want {
			t.Errorf("ClientSecretHash = %q, want %q", c.ClientSecretHash, want)
		}
		if strings.Contains(c.ClientSecretHash, secret) {
			t.Error("ClientSecretHash holds the secret")
		}
		if c.ClientSecretHash != store.DigestSecret(secret) {
			t.Errorf("ClientSecretHash = %q, DigestSecret = %q", c.ClientSecretHash, store.DigestSecret(secret))
		}
	})
	t.Run("DigestSecretVector", func(t *testing.T) {
		want := "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
		if got := store.DigestSecret("abc"); got != want {
			t.Errorf("DigestSecret(abc) = %q, want %q", got, want)
		}
	})
	t.Run("EmptySecretClears", func(t *testing.T) {
		var c store.Client
		c.SetSecret(secret)
		c.SetSecret("")
		if c.ClientSecretHash != "" {
			t.Errorf("ClientSecretHash = %q after SetSecret(\"\")", c.ClientSecretHash)
		}
		if c.CheckSecret("", now) || c.CheckSecret(secret, now) {
			t.Error("a cleared secret still matches")
		}
	})

	tests := []struct {
		name      string
		expiresAt time.Time
		presented string
		at        time.Time
		want      bool
	}{
		{"RightSecret", time.Time{}, secret, now, true},
		{"WrongSecret", time.Time{}, secret + "x", now, false},
		{"CaseMatters", time.Time{}, strings.ToUpper(secret), now, false},
		{"Prefix", time.Time{}, secret[:10], now, false},
		{"EmptyPresented", time.Time{}, "", now, false},
		{"TheStoredDigest", time.Time{}, store.DigestSecret(secret), now, false},
		{"BeforeExpiry", now.Add(time.Second), secret, now, true},
		{"AtExpiry", now, secret, now, false},
		{"AfterExpiry", now.Add(-time.Second), secret, now, false},
		{"ZeroExpiryNeverExpires", time.Time{}, secret, now.AddDate(100, 0, 0), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := store.Client{ClientSecretExpiresAt: tc.expiresAt}
			c.SetSecret(secret)
			if got := c.CheckSecret(tc.presented, tc.at); got != tc.want {
				t.Errorf("CheckSecret = %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("NoSecretNeverMatches", func(t *testing.T) {
		var c store.Client
		for _, s := range []string{"", "anything", store.DigestSecret("")} {
			if c.CheckSecret(s, now) {
				t.Errorf("CheckSecret(%q) = true without a stored secret", s)
			}
		}
	})
	t.Run("StoredEmptyDigestDoesNotMatchEmpty", func(t *testing.T) {
		c := store.Client{ClientSecretHash: store.DigestSecret("")}
		if c.CheckSecret("", now) {
			t.Error("an empty secret matched")
		}
	})
}

func TestClientPublic(t *testing.T) {
	tests := []struct {
		method string
		want   bool
	}{
		{store.AuthMethodNone, true},
		{store.AuthMethodBasic, false},
		{store.AuthMethodPost, false},
		{store.AuthMethodPrivateKeyJWT, false},
		{"", false}, // RFC 7591 default: client_secret_basic
	}
	for _, tc := range tests {
		name := tc.method
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			c := store.Client{TokenEndpointAuthMethod: tc.method}
			if got := c.Public(); got != tc.want {
				t.Errorf("Public() with %q = %v, want %v", tc.method, got, tc.want)
			}
		})
	}
}

func TestClientClone(t *testing.T) {
	orig := validClient()
	orig.Contacts = []string{"ops@example.org"}
	orig.Audience = []string{"api"}
	orig.DefaultACRValues = []string{"urn:acr:1"}
	c := orig.Clone()

	lists := func(c *store.Client) map[string][]string {
		return map[string][]string{
			"Contacts": c.Contacts, "RedirectURIs": c.RedirectURIs,
			"PostLogoutRedirectURIs": c.PostLogoutRedirectURIs, "GrantTypes": c.GrantTypes,
			"ResponseTypes": c.ResponseTypes, "Scope": c.Scope, "Audience": c.Audience,
			"DefaultACRValues": c.DefaultACRValues, "RequestURIs": c.RequestURIs,
		}
	}
	before := map[string][]string{}
	for name, l := range lists(&orig) {
		if len(l) == 0 {
			t.Fatalf("test client has no %s", name)
		}
		before[name] = slices.Clone(l)
	}
	for name, l := range lists(&c) {
		if !slices.Equal(l, before[name]) {
			t.Fatalf("clone %s = %q, want %q", name, l, before[name])
		}
		l[0] = "changed"
	}
	for name, l := range lists(&orig) {
		if !slices.Equal(l, before[name]) {
			t.Errorf("original %s changed through the clone: %q", name, l)
		}
	}
}
