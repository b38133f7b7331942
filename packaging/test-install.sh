#!/bin/sh
# Installs the .deb on this machine and proves it works, then purges it:
#
#   packaging/test-install.sh [dist/canaille_VERSION_ARCH.deb]
#
# Needs root, a Debian system without canaille installed, ports 389 and 5000
# free, and curl, jq, ldap-utils (ldapwhoami, ldapsearch) and systemd's
# systemd-analyze. No init system is needed: the installed binary is started
# directly, as the canaille user with the capability the systemd unit grants
# (CAP_NET_BIND_SERVICE, for port 389), and the installed configuration.
#
# Checks: files, owners and modes; systemd-analyze verify on the unit; LDAP
# bind and search with the first administrator; HTTP and /healthz; an online
# backup taken while a writer loop creates users, restored into a fresh
# directory and counted; a reinstallation that keeps keys and data; remove
# (data kept) and purge (data gone). Prints package sizes, the installed
# binary's size, the cold start time and the idle memory.
set -eu
cd "$(dirname "$0")/.."

deb=${1:-$(ls dist/canaille_*.deb 2>/dev/null | head -n1)}
[ -n "$deb" ] && [ -f "$deb" ] || { echo "test-install: no .deb: run packaging/build.sh first" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "test-install: run as root" >&2; exit 2; }
if dpkg -s canaille >/dev/null 2>&1; then
	echo "test-install: canaille is already installed here; purge it first (dpkg --purge canaille)" >&2
	exit 2
fi
for tool in curl jq ldapwhoami ldapsearch systemd-analyze setpriv; do
	command -v "$tool" >/dev/null || { echo "test-install: $tool is missing" >&2; exit 2; }
done

CONF=/etc/canaille/config.toml
DB=/var/lib/canaille/canaille.db
HTTP=http://127.0.0.1:5000
ROOT_DN=dc=example,dc=org
work=$(mktemp -d /tmp/canaille-test-install.XXXXXX)
chmod 0755 "$work"
pid=
writer=
fail() {
	echo "test-install: FAIL: $*" >&2
	[ -f "$work/server.log" ] && { echo "--- server log (last 30 lines)" >&2; tail -n 30 "$work/server.log" >&2; }
	exit 1
}
cleanup() {
	[ -n "$writer" ] && kill "$writer" 2>/dev/null || true
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	[ -n "$pid" ] && wait "$pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
step() { echo "--- $*"; }
as_canaille() { runuser -u canaille -- "$@"; }
# as_service: the canaille user with the unit's AmbientCapabilities.
as_service() {
	setpriv --reuid canaille --regid canaille --init-groups \
		--inh-caps +net_bind_service --ambient-caps +net_bind_service "$@"
}
# count_json: number of objects printed by 'canaille get' (an array, or
# objects one after the other).
count_json() { jq -s 'if length == 1 and (.[0] | type) == "array" then .[0] | length else length end'; }
mode_owner() { stat -c '%a %U:%G' "$1"; }
expect_mode() {
	got=$(mode_owner "$1")
	[ "$got" = "$2" ] || fail "$1 is $got, want $2"
	echo "ok   $1 $got"
}

step "dpkg -i $deb"
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
cat "$work/dpkg.log"

step "files, owners, modes"
getent passwd canaille >/dev/null || fail "no canaille user"
getent group canaille >/dev/null || fail "no canaille group"
expect_mode /etc/canaille "750 root:canaille"
expect_mode "$CONF" "640 root:canaille"
expect_mode /etc/canaille/private.pem "600 canaille:canaille"
expect_mode /etc/canaille/public.pem "644 canaille:canaille"
expect_mode /var/lib/canaille "750 canaille:canaille"
expect_mode "$DB" "600 canaille:canaille"
grep -Eq '^SECRET_KEY = "[0-9a-f]{72}"$' "$CONF" || fail "no generated SECRET_KEY in $CONF"
for f in /usr/bin/canaille /lib/systemd/system/canaille.service /usr/share/canaille/nginx.conf \
	/usr/share/canaille/apache.conf /usr/share/canaille/webfinger-nginx.conf \
	/usr/share/canaille/webfinger-apache.conf /usr/share/canaille/schemas/oauth2-openldap.ldif \
	/usr/share/canaille/schemas/canaille-openldap.schema /usr/share/doc/canaille/copyright; do
	[ -f "$f" ] || fail "$f missing"
done
ls /var/lib/canaille/.install.* >/dev/null 2>&1 && fail "the postinst left its staging directory"
/usr/bin/canaille version
secret_before=$(grep '^SECRET_KEY' "$CONF" | sha256sum)
key_before=$(sha256sum </etc/canaille/private.pem)

step "systemd-analyze verify"
out=$(systemd-analyze verify /lib/systemd/system/canaille.service 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify is not clean: $out"
echo "ok   canaille.service"

step "configure as an administrator would: SERVER_NAME"
sed -i 's|^# SERVER_NAME = "auth.example.org"$|SERVER_NAME = "auth.example.test"|' "$CONF"
grep -q '^SERVER_NAME = "auth.example.test"$' "$CONF" || fail "could not set SERVER_NAME"
as_service env CONFIG="$CONF" /usr/bin/canaille check >"$work/check.out" || { cat "$work/check.out"; fail "canaille check on the packaged configuration"; }
cat "$work/check.out"
# The package recommends libssl3: with it, RS256 tokens are signed by
# OpenSSL (internal/fastrsa); check's test signature says which.
if ldconfig -p | grep -q 'libcrypto\.so\.3 '; then
	grep -q 'signed by OpenSSL' "$work/check.out" || fail "libcrypto.so.3 is installed but 'canaille check' reports another signer"
	echo "ok   RS256 signatures through OpenSSL"
fi

step "start 'canaille run' as canaille (CAP_NET_BIND_SERVICE, as the unit does)"
start=$(date +%s%N)
# Not through as_service: $! must be the server's own PID (setpriv and env
# exec it), so that it can be signalled and measured.
setpriv --reuid canaille --regid canaille --init-groups \
	--inh-caps +net_bind_service --ambient-caps +net_bind_service \
	env CONFIG="$CONF" /usr/bin/canaille run >"$work/server.log" 2>&1 &
pid=$!
i=0
until [ "$(curl -s "$HTTP/healthz" 2>/dev/null)" = ok ]; do
	kill -0 "$pid" 2>/dev/null || fail "canaille run exited"
	i=$((i + 1))
	[ $i -lt 1000 ] || fail "/healthz not ok after 10 s"
	sleep 0.01
done
ready=$(date +%s%N)
cold_ms=$(((ready - start) / 1000000))
echo "ok   /healthz after $cold_ms ms"
sleep 2
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")

step "first administrator (README's command)"
printf 'admin-password-1\n' | as_canaille canaille create user --user-name admin --emails admin@example.org \
	--groups admins --password-file - >/dev/null || fail "create the administrator"

step "LDAP on :389"
who=$(ldapwhoami -x -H ldap://127.0.0.1:389 -D "uid=admin,ou=users,$ROOT_DN" -w admin-password-1) || fail "ldapwhoami"
echo "ok   ldapwhoami: $who"
[ "$who" = "dn:uid=admin,ou=users,$ROOT_DN" ] || fail "ldapwhoami said $who"
n=$(ldapsearch -x -LLL -H ldap://127.0.0.1:389 -D "uid=admin,ou=users,$ROOT_DN" -w admin-password-1 \
	-b "ou=groups,$ROOT_DN" "(cn=admins)" member | grep -c '^member: uid=admin,') || true
[ "$n" = 1 ] || fail "ldapsearch: admin is not a member of admins"
echo "ok   ldapsearch: admin is in cn=admins"
ldapwhoami -x -H ldap://127.0.0.1:389 -D "uid=admin,ou=users,$ROOT_DN" -w wrong >/dev/null 2>&1 &&
	fail "a wrong password was accepted"

step "HTTP"
# As the reverse proxy of /usr/share/canaille/nginx.conf asks, from
# 127.0.0.1 (TRUSTED_PROXIES): a request that is not for SERVER_NAME is redirected
# to it, and the proxy's Host and X-Forwarded-Proto are believed.
code=$(curl -s -o /dev/null -w '%{http_code}' "$HTTP/login")
[ "$code" = 308 ] || [ "$code" = 301 ] || fail "GET /login over plain http: $code, want a redirect to SERVER_NAME"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: auth.example.test' -H 'X-Forwarded-Proto: https' \
	-H 'X-Forwarded-For: 203.0.113.7' "$HTTP/login")
[ "$code" = 200 ] || fail "GET /login through the proxy: $code"
echo "ok   GET /login: redirect to https://SERVER_NAME without the proxy headers, 200 through it"
issuer=$(curl -s -H 'Host: auth.example.test' -H 'X-Forwarded-Proto: https' "$HTTP/.well-known/openid-configuration" | jq -r .issuer)
[ "$issuer" = "https://auth.example.test" ] || fail "issuer is '$issuer'"
echo "ok   discovery: issuer $issuer"

step "online backup while a writer loop runs"
(
	i=0
	while [ $i -lt 400 ]; do
		as_canaille canaille create user --user-name "w$i" --emails "w$i@example.org" >/dev/null 2>&1 || exit 1
		i=$((i + 1))
	done
) &
writer=$!
sleep 1
before=$(as_canaille canaille get user | count_json)
as_canaille canaille backup /var/lib/canaille/online.db || fail "canaille backup during writes"
after=$(as_canaille canaille get user | count_json)
wait "$writer" || fail "the writer loop failed"
writer=
live=$(as_canaille canaille get user | count_json)
echo "ok   backup taken with $before..$after users present; $live after the writer"
as_canaille canaille backup /var/lib/canaille/quiet.db || fail "canaille backup after the writes"

step "restore into a fresh directory (the running server is untouched)"
restore() {
	dir="$work/restore-$1"
	install -d -o canaille -g canaille -m 0750 "$dir"
	as_canaille env CONFIG="$CONF" CANAILLE_BOLT__PATH="$dir/canaille.db" canaille restore "/var/lib/canaille/$1.db" >&2 ||
		fail "restore $1"
	as_canaille env CONFIG="$CONF" CANAILLE_BOLT__PATH="$dir/canaille.db" canaille get user | count_json
}
restored=$(restore online)
[ "$restored" -ge "$before" ] && [ "$restored" -le "$after" ] ||
	fail "the online backup has $restored users; $before..$after existed while it was taken"
echo "ok   online backup: $restored users (between $before and $after)"
restored=$(restore quiet)
[ "$restored" = "$live" ] || fail "the quiet backup has $restored users, the server $live"
echo "ok   quiet backup: $restored users = $live on the server"

step "stop (SIGTERM)"
kill -TERM "$pid"
wait "$pid" || fail "canaille run exited with status $?"
pid=
echo "ok   graceful stop"

step "reinstall (the upgrade path): keys, SECRET_KEY, data kept"
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i again"; }
[ "$(grep '^SECRET_KEY' "$CONF" | sha256sum)" = "$secret_before" ] || fail "SECRET_KEY changed"
[ "$(sha256sum </etc/canaille/private.pem)" = "$key_before" ] || fail "the signing key changed"
grep -q '^SERVER_NAME = "auth.example.test"$' "$CONF" || fail "the edited configuration was replaced"
n=$(as_canaille canaille get user | count_json)
[ "$n" = "$live" ] || fail "$n users after reinstalling, $live before"
echo "ok   $n users, same keys and SECRET_KEY, edited configuration kept"
bin_size=$(stat -c %s /usr/bin/canaille)

step "dpkg -r: data kept"
dpkg -r canaille >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -r"; }
cat "$work/dpkg.log"
[ ! -e /usr/bin/canaille ] || fail "/usr/bin/canaille still there"
[ -f "$DB" ] && [ -f /etc/canaille/private.pem ] && [ -f "$CONF" ] || fail "remove deleted data or configuration"
echo "ok   $DB, $CONF and the keys are kept"

step "dpkg --purge: data gone"
dpkg --purge canaille >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg --purge"; }
cat "$work/dpkg.log"
for p in /etc/canaille /var/lib/canaille /usr/share/canaille /usr/share/doc/canaille /lib/systemd/system/canaille.service; do
	[ ! -e "$p" ] || fail "$p is left after purge"
done
left=$(dpkg -L canaille 2>/dev/null || true)
[ -z "$left" ] || fail "dpkg still lists files: $left"
getent passwd canaille >/dev/null && echo "ok   purged; the canaille system user is kept (Debian practice: its uid may own files elsewhere)"

step "figures"
for f in dist/canaille_*.deb dist/canaille-*.rpm; do
	[ -f "$f" ] && printf '%-44s %6.1f MiB\n' "$(basename "$f")" "$(echo "$(stat -c %s "$f") / 1048576" | bc -l)"
done
printf '%-44s %6.1f MiB\n' "installed /usr/bin/canaille" "$(echo "$bin_size / 1048576" | bc -l)"
printf '%-44s %6d ms\n' "cold start (exec to /healthz ok)" "$cold_ms"
printf '%-44s %6.1f MiB\n' "idle memory (RSS 2 s after start)" "$(echo "$rss_kb / 1024" | bc -l)"
echo "test-install: all checks passed"
