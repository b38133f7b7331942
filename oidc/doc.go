// Package oidc will be the OpenID Connect provider, built on
// github.com/ory/fosite over the store's OIDC-state interface
// (store.OIDCStore). The endpoint paths are fixed by DESIGN.md.
//
// The package holds no provider yet: it arrives with its own issue.
package oidc
