package ldapserver

import "testing"

var benchFilters = []struct{ name, filter string }{
	{"nslcd-user", "(&(objectClass=posixAccount)(uid=user000123))"},
	{"nslcd-uidNumber", "(&(objectClass=posixAccount)(uidNumber=10123))"},
	{"nslcd-group-member", "(&(objectClass=posixGroup)(|(memberUid=user000123)(member=uid=user000123,ou=users,dc=example,dc=org)))"},
	{"sssd-user", "(&(uid=user000123)(objectclass=posixAccount)(&(uidNumber=*)(!(uidNumber=0))))"},
	{"mail-address", "(&(objectClass=inetOrgPerson)(mail=user000123@example.org))"},
	{"mail-login", "(&(objectClass=person)(|(uid=user000123)(mail=user000123@example.org)))"},
	{"escaped-substring", "(cn=*user\\20000123*)"},
}

func BenchmarkCompileFilterBaseline(b *testing.B) {
	for _, bc := range benchFilters {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := CompileFilter(bc.filter); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
