#!/bin/sh
# Manual interoperability check, not run by go test: starts a throw-away
# OpenLDAP slapd (Debian packages slapd and ldap-utils) with the argon2
# module, stores the {ARGON2} value given as $1 in an entry, and binds with
# the password given as $2. Usage:
#   sh testdata/openldap_interop.sh '{ARGON2}$argon2id$v=19$...' 'password'
set -eu
hash=$1 password=$2
dir=$(mktemp -d)
trap 'kill "$(cat "$dir/slapd.pid")" 2>/dev/null || true; rm -rf "$dir"' EXIT
mkdir "$dir/db"
cat >"$dir/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload argon2
pidfile $dir/slapd.pid
database mdb
suffix "dc=example,dc=com"
rootdn "cn=admin,dc=example,dc=com"
rootpw secret
directory $dir/db
CONF
slapd -f "$dir/slapd.conf" -h ldap://127.0.0.1:3899/
sleep 1
ldapadd -x -H ldap://127.0.0.1:3899/ -D cn=admin,dc=example,dc=com -w secret <<LDIF
dn: dc=example,dc=com
objectClass: dcObject
objectClass: organization
o: example
dc: example

dn: uid=test,dc=example,dc=com
objectClass: inetOrgPerson
uid: test
cn: test
sn: test
userPassword: $hash
LDIF
ldapwhoami -x -H ldap://127.0.0.1:3899/ -D uid=test,dc=example,dc=com -w "$password"
