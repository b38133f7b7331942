// Package ui will be the web interface (sign-in, profile, administration)
// built with html/template, embedded assets and httprouter over the store
// interfaces.
//
// The package holds no handlers yet: they arrive with their own issues.
package ui
