// Package ui is canaille's web interface: sign-in and sign-out, server-side
// sessions, the profile pages, password change and recovery, registration,
// invitations and email confirmation. It is built with html/template,
// embedded assets (Pico CSS, templates, message catalogues) and httprouter,
// over the store interfaces only, so that it serves the embedded database
// and the upstream LDAP directory alike.
//
// An App is one http.Handler. It wraps every route with the same chain:
// panic recovery, the structured access log, the Host check against
// SERVER_NAME, the trusted-proxy rules, security headers, request size
// limits and, on every state-changing form, CSRF protection (the browser's
// Sec-Fetch-Site/Origin through http.CrossOriginProtection, and a token
// bound to a cookie). Other packages (the OIDC provider) add their routes
// with App.Handle and read the signed-in user with App.CurrentUser.
//
// The pages work without JavaScript; the look is Pico CSS with a small
// stylesheet of our own. A THEME directory may override any template,
// static file or message catalogue.
package ui
