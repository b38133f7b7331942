#!/bin/sh
# Regenerates slapcat-sample.ldif with the real OpenLDAP tools, offline:
# slapadd and slapcat work on a database directory, no slapd daemon runs.
#
#   DEBIAN_FRONTEND=noninteractive apt-get install -y slapd ldap-utils   # as root
#   sh store/ldif/testdata/make-slapcat-sample.sh
#
# Generated with OpenLDAP slapd 2.5.13+dfsg-5 (Debian 12). The output differs
# from run to run (entryUUID, timestamps, entryCSN, password salts), so the
# tests check structure and the values fixed here, not those.
#
# The sample has an organization, ou=users and ou=groups, three
# inetOrgPerson+posixAccount users (one with a non-ASCII cn, a binary
# jpegPhoto and a folded base64 description; one with a folded plain
# description), two groupOfNames (one with a non-ASCII DN) and a posixGroup.
#
# Passwords of the sample users: alice "alice-secret" ({SSHA}),
# bob "bob-secret" ({CRYPT} SHA-512), elodie "élodie-secret" ({SSHA}).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/db"

cat >"$tmp/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "dc=example,dc=org"
rootdn "cn=admin,dc=example,dc=org"
directory $tmp/db
EOF

alice=$(slappasswd -h '{SSHA}' -s alice-secret)
bob=$(slappasswd -h '{CRYPT}' -c '$6$%.16s' -s bob-secret)
elodie=$(slappasswd -h '{SSHA}' -s 'élodie-secret')
elodie_cn=$(printf 'Élodie Müller' | base64 -w0)
elodie_sn=$(printf 'Müller' | base64 -w0)
# A JPEG-looking binary value: SOI/APP0 markers, NUL, CR, LF, 0x80-0xFF, EOI.
photo=$(printf '\377\330\377\340\000\020JFIF\000\001\001\000\000\001\000\001\000\000\r\n\200\201\376\377 test image \000\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017\377\331' | base64 -w0)
long="Élodie joined the infrastructure team in 2019 and looks after the directory, the mail relays and the backups; this description is long enough that slapcat has to fold it over several lines."
long64=$(printf '%s' "$long" | base64 -w0)

cat >"$tmp/input.ldif" <<EOF
dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
dc: example
o: Example Organization

dn: ou=users,dc=example,dc=org
objectClass: organizationalUnit
ou: users

dn: ou=groups,dc=example,dc=org
objectClass: organizationalUnit
ou: groups

dn: uid=alice,ou=users,dc=example,dc=org
objectClass: inetOrgPerson
objectClass: posixAccount
uid: alice
cn: Alice Liddell
sn: Liddell
givenName: Alice
mail: alice@example.org
telephoneNumber: +33 1 23 45 67 89
uidNumber: 10001
gidNumber: 10000
homeDirectory: /home/alice
loginShell: /bin/bash
userPassword: $alice
description: Alice looks after the OIDC clients and the web interface. This plain ASCII description is long enough for slapcat to fold it.

dn: uid=bob,ou=users,dc=example,dc=org
objectClass: inetOrgPerson
objectClass: posixAccount
uid: bob
cn: Bob Marley
sn: Marley
mail: bob@example.org
mail: bob.marley@example.org
uidNumber: 10002
gidNumber: 10000
homeDirectory: /home/bob
userPassword: $bob
description: Short description.

dn: uid=elodie,ou=users,dc=example,dc=org
objectClass: inetOrgPerson
objectClass: posixAccount
uid: elodie
cn:: $elodie_cn
sn:: $elodie_sn
givenName:: $(printf 'Élodie' | base64 -w0)
displayName;lang-fr:: $elodie_cn
mail: elodie@example.org
uidNumber: 10003
gidNumber: 10000
homeDirectory: /home/elodie
userPassword: $elodie
jpegPhoto:: $photo
description:: $long64

dn: cn=admins,ou=groups,dc=example,dc=org
objectClass: groupOfNames
cn: admins
description: Directory administrators
member: uid=alice,ou=users,dc=example,dc=org
member: uid=elodie,ou=users,dc=example,dc=org

dn: cn=staff,ou=groups,dc=example,dc=org
objectClass: posixGroup
cn: staff
gidNumber: 10000
memberUid: alice
memberUid: bob
memberUid: elodie

dn:: $(printf 'cn=Équipe,ou=groups,dc=example,dc=org' | base64 -w0)
objectClass: groupOfNames
cn:: $(printf 'Équipe' | base64 -w0)
member: uid=bob,ou=users,dc=example,dc=org
EOF

slapadd -f "$tmp/slapd.conf" -l "$tmp/input.ldif"
slapcat -f "$tmp/slapd.conf" -l "$here/slapcat-sample.ldif"
