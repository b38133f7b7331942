// Command canaille is an identity server: users and groups in one bbolt file,
// served over LDAP and OpenID Connect. See README.md.
package main

func main() {}
