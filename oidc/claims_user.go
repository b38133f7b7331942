package oidc

import (
	"cmp"
	"strconv"
	"strings"

	"github.com/canaille-go/canaille/store"
)

// DefaultClaims returns the claim templates of Python Canaille's
// USERINFO_MAPPING defaults.
func DefaultClaims() map[string]*Template {
	m := map[string]string{
		"sub": "{{ user.user_name }}", "name": "{{ user.formatted_name }}",
		"phone_number": "{{ user.phone_numbers[0] }}", "email": "{{ user.preferred_email }}",
		"given_name": "{{ user.given_name }}", "family_name": "{{ user.family_name }}",
		"preferred_username": "{{ user.display_name }}", "locale": "{{ user.preferred_language }}",
		"address":    "{{ user.formatted_address }}",
		"picture":    "{% if user.photo %}{{ url_for('core.account.photo', user=user, field='photo', _external=True) }}{% endif %}",
		"website":    "{{ user.profile_url }}",
		"updated_at": "{{ user.last_modified|timestamp }}",
	}
	out := make(map[string]*Template, len(m))
	for k, v := range m {
		t, err := ParseTemplate(v)
		if err != nil {
			panic("oidc: default claim " + k + ": " + err.Error())
		}
		out[k] = t
	}
	return out
}

// scopeClaims are the claims each scope releases.
var scopeClaims = map[string][]string{
	"profile": {"name", "given_name", "family_name", "middle_name", "nickname", "preferred_username",
		"profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"},
	"email":   {"email", "email_verified"},
	"phone":   {"phone_number", "phone_number_verified"},
	"address": {"address"},
	"groups":  {"groups"},
}

// supportedClaims is what discovery advertises: what the mapping can
// produce.
func (p *Provider) supportedClaims() []string {
	claims := []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid"}
	for _, scope := range []string{"profile", "email", "phone", "address"} {
		for _, c := range scopeClaims[scope] {
			if p.cfg.Claims[c] != nil {
				claims = append(claims, c)
			}
		}
	}
	return append(claims, "groups")
}

// subject is the sub claim of u.
func (p *Provider) subject(u *store.User) string {
	if t := p.cfg.Claims["sub"]; t != nil {
		if s := t.Execute(u, p.cfg.PhotoURL); s != "" {
			return s
		}
	}
	return u.UserName
}

// userClaims returns the claims of u released by scopes (sub included).
func (p *Provider) userClaims(u *store.User, scopes []string) map[string]any {
	out := map[string]any{"sub": p.subject(u)}
	for _, scope := range scopes {
		for _, c := range scopeClaims[scope] {
			switch c {
			case "groups":
				var names []string
				for _, g := range u.Groups {
					names = append(names, cmp.Or(g.Name, g.ID))
				}
				if names == nil {
					names = []string{}
				}
				out["groups"] = names
			case "address":
				if a := p.address(u); len(a) > 0 {
					out["address"] = a
				}
			default:
				t := p.cfg.Claims[c]
				if t == nil {
					continue
				}
				v := t.Execute(u, p.cfg.PhotoURL)
				if v == "" {
					continue
				}
				if c == "updated_at" {
					if n, err := strconv.ParseInt(v, 10, 64); err == nil {
						out[c] = n
						continue
					}
				}
				out[c] = v
			}
		}
	}
	return out
}

// address builds the address claim object (OIDC Core 5.1.1).
func (p *Provider) address(u *store.User) map[string]any {
	a := map[string]any{}
	formatted := u.FormattedAddress
	if t := p.cfg.Claims["address"]; t != nil {
		formatted = t.Execute(u, p.cfg.PhotoURL)
	}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			a[k] = v
		}
	}
	set("formatted", formatted)
	set("street_address", u.Street)
	set("locality", u.Locality)
	set("region", u.Region)
	set("postal_code", u.PostalCode)
	return a
}
