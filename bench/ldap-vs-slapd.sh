#!/usr/bin/env bash
# ldap-vs-slapd.sh: load canaille's built-in LDAP server and a throwaway
# OpenLDAP slapd with the same directory (the same users, the same {SSHA}
# password hashes) on loopback, side by side, with canaille-bench, and
# print a Markdown table. See bench/README.md.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: bench/ldap-vs-slapd.sh [OPTIONS]

Builds canaille and canaille-bench, writes an LDIF of N users, loads it into
a throwaway slapd (mdb, equality indexes on uid, mail, cn and objectClass)
and into a throwaway canaille, starts both on 127.0.0.1 and runs every
workload against slapd, then canaille, printing a Markdown table:
workload | server | ops/s | p50 | p99 | CPU µs/op | CPU % | RSS MB | errors | ratio.

Options:
  --users N          users in the directory (default 10000)
  --duration D       measured time per run, Go syntax (default 10s)
  --warmup D         unmeasured warm-up per run (default 2s)
  --concurrency N    workers, one connection each (default 16)
  --workloads LIST   space-separated subset of
                     "bind search-eq search-sub bind-search search-all"
  --only SERVER      run only "slapd" or only "canaille" (default: both)
  --slapd-loglevel L slapd's loglevel (default: slapd's own default, which
                     formats a "stats" line per operation; "none" makes
                     slapd cheaper, the strictest baseline)
  --wait SECONDS     how long to wait for each server's port (default 20)
  --out DIR          also save results.jsonl, table.md and the server logs there
  --keep             keep the temporary directory (databases, logs)
  -h, --help         this help

Needs: go, slapd and ldap-utils (apt-get install slapd ldap-utils), and
standard Linux tools. Everything runs as the calling user under a temporary
directory; both servers are stopped by PID on exit.
EOF
}

users=10000
duration=10s
warmup=2s
concurrency=16
workloads="bind search-eq search-sub bind-search search-all"
only=both
slapd_loglevel=""
wait_seconds=20
out=""
keep=0
while (($#)); do
	case "$1" in
	--users) users=$2; shift 2 ;;
	--duration) duration=$2; shift 2 ;;
	--warmup) warmup=$2; shift 2 ;;
	--concurrency) concurrency=$2; shift 2 ;;
	--workloads) workloads=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--slapd-loglevel) slapd_loglevel=$2; shift 2 ;;
	--wait) wait_seconds=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "ldap-vs-slapd.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done
case "$only" in both | slapd | canaille) ;; *) echo "--only wants slapd or canaille" >&2; exit 2 ;; esac

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/canaille-bench.XXXXXX")
base="dc=example,dc=org"
slapd_pid=""
canaille_pid=""

# log, stop, port_open, free_port, wait_port
source "$repo/bench/lib.sh"


cleanup() {
	local status=$?
	stop "$canaille_pid" canaille
	stop "$slapd_pid" slapd
	if ((keep)); then
		log "kept $tmp"
	else
		rm -rf "$tmp"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# port_open PORT: whether something accepts TCP connections on 127.0.0.1:PORT.

find_tool() {
	command -v "$1" 2>/dev/null || { [[ -x "/usr/sbin/$1" ]] && echo "/usr/sbin/$1"; } || true
}

# --- 1. build ---------------------------------------------------------------
log "building canaille-bench and canaille in $tmp"
(cd "$repo" && go build -o "$tmp/canaille-bench" ./cmd/canaille-bench)
bench="$tmp/canaille-bench"
canaille_ok=0
if [[ "$only" != slapd ]]; then
	if (cd "$repo" && build_canaille "$tmp/canaille") >"$tmp/canaille-build.log" 2>&1; then
		canaille_ok=1
	else
		log "canaille did not build, so only slapd is measured:"
		sed 's/^/  /' "$tmp/canaille-build.log" | head -20 >&2
	fi
fi

# --- 2. the directory -------------------------------------------------------
"$bench" ldif --users "$users" --base "$base" >"$tmp/users.ldif"
log "wrote $users users to users.ldif ($(wc -c <"$tmp/users.ldif") bytes)"
svc_password="service-$RANDOM$RANDOM"

# --- 3. slapd ---------------------------------------------------------------
slapd_url=""
slapd_version=""
if [[ "$only" != canaille ]]; then
	slapd=$(find_tool slapd)
	slapadd=$(find_tool slapadd)
	slappasswd=$(find_tool slappasswd)
	schema=""
	for d in /etc/ldap/schema /etc/openldap/schema; do
		[[ -f "$d/nis.schema" ]] && schema=$d
	done
	if [[ -z "$slapd" || -z "$slapadd" || -z "$slappasswd" || -z "$schema" ]]; then
		log "slapd, slapadd, slappasswd or the OpenLDAP schemas are missing: apt-get install slapd ldap-utils"
		exit 1
	fi
	mkdir -p "$tmp/slapd/db"
	{
		for s in core cosine inetorgperson nis; do echo "include $schema/$s.schema"; done
		echo "pidfile $tmp/slapd/slapd.pid"
		echo "argsfile $tmp/slapd/slapd.args"
		if [[ -n "$slapd_loglevel" ]]; then echo "loglevel $slapd_loglevel"; fi
		if [[ -f /usr/lib/ldap/back_mdb.so ]]; then
			echo "modulepath /usr/lib/ldap"
			echo "moduleload back_mdb"
		fi
		echo "sizelimit unlimited"
		echo "database mdb"
		echo "maxsize 1073741824"
		echo "suffix \"$base\""
		echo "rootdn \"cn=admin,$base\""
		echo "rootpw $("$slappasswd" -h '{SSHA}' -s "$svc_password")"
		echo "directory $tmp/slapd/db"
		echo "index objectClass,uid,mail,cn eq"
		echo "access to attrs=userPassword by anonymous auth by * none"
		echo "access to * by users read"
	} >"$tmp/slapd/slapd.conf"
	"$slapadd" -q -f "$tmp/slapd/slapd.conf" -l "$tmp/users.ldif"
	slapd_port=$(free_port)
	slapd_url="ldap://127.0.0.1:$slapd_port"
	# -d 0 keeps slapd in the foreground: $! is the server itself.
	"$slapd" -f "$tmp/slapd/slapd.conf" -h "$slapd_url/" -d 0 >"$tmp/slapd/slapd.log" 2>&1 &
	slapd_pid=$!
	if ! wait_port "$slapd_port" "$slapd_pid"; then
		log "slapd did not answer on port $slapd_port:"
		tail -20 "$tmp/slapd/slapd.log" >&2
		exit 1
	fi
	slapd_version=$("$slapd" -VV 2>&1 | grep -o 'slapd [0-9][0-9.]*' | head -1 || true)
	log "slapd (pid $slapd_pid) listens on $slapd_url"
fi

# --- 4. canaille ------------------------------------------------------------
canaille_url=""
if ((canaille_ok)); then
	c="$tmp/canaille-data"
	mkdir -p "$c"
	canaille_port=$(free_port)
	http_port=$(free_port)
	cat >"$c/config.toml" <<EOF
# Written by bench/ldap-vs-slapd.sh for a throwaway benchmark server.
SERVER_NAME = "127.0.0.1:$http_port"
PREFERRED_URL_SCHEME = "http"

[CANAILLE]
NAME = "canaille-bench"
# Keep the imported {SSHA} hashes, as slapd does.
PASSWORD_HASH_UPGRADE = false

[CANAILLE_HTTP]
LISTEN = "127.0.0.1:$http_port"

[CANAILLE_BOLT]
PATH = "$c/canaille.db"

[CANAILLE_LDAP_SERVER]
LISTEN = "127.0.0.1:$canaille_port"
LDAPS_LISTEN = ""
ROOT_DN = "$base"
# As slapd's "sizelimit unlimited" above.
SIZE_LIMIT = 0

[CANAILLE_OIDC.JWT]
PRIVATE_KEY = "$c/private.pem"
PUBLIC_KEY = "$c/public.pem"
EOF
	canaille=("$tmp/canaille" --config "$c/config.toml")
	printf '%s\n' "$svc_password" >"$c/svc.password"
	{
		"${canaille[@]}" install
		"${canaille[@]}" delete group admins
		"${canaille[@]}" import "$tmp/users.ldif"
		# The built-in DEFAULT permissions give every user ldap_read: svc may search.
		"${canaille[@]}" create user --user-name svc --family-name Service \
			--password-file "$c/svc.password"
	} >"$c/setup.log" 2>&1 || {
		log "canaille setup failed:"
		tail -20 "$c/setup.log" >&2
		exit 1
	}
	"${canaille[@]}" run >"$c/canaille.log" 2>&1 &
	canaille_pid=$!
	if wait_port "$canaille_port" "$canaille_pid"; then
		canaille_url="ldap://127.0.0.1:$canaille_port"
		log "canaille (pid $canaille_pid) listens on $canaille_url"
	elif kill -0 "$canaille_pid" 2>/dev/null; then
		log "canaille LDAP server not available (port $canaille_port did not answer within $wait_seconds s;" \
			"canaille run is up but serves no LDAP yet): only slapd is measured"
	else
		log "canaille LDAP server not available (canaille run exited; port $canaille_port did not answer):"
		tail -20 "$c/canaille.log" >&2
		canaille_pid=""
	fi
fi

# --- 5. the runs ------------------------------------------------------------
results="$tmp/results.jsonl"
: >"$results"
# run_one LABEL URL PID SERVICE_DN WORKLOAD
run_one() {
	local label=$1 url=$2 pid=$3 dn=$4 wl=$5 line
	log "$wl on $label: $duration at concurrency $concurrency..."
	if line=$("$bench" run --url "$url" --base "$base" --users "$users" --workload "$wl" \
		--concurrency "$concurrency" --duration "$duration" --warmup "$warmup" \
		--service-dn "$dn" --service-password "$svc_password" \
		--pid "$pid" --label "$label" --json 2>"$tmp/run.err"); then
		printf '%s\n' "$line" >>"$results"
		printf '%s\n' "$line" | awk -F'[,:]' '{
			for (i = 1; i < NF; i++) {
				if ($i == "\"ops_per_s\"") ops = $(i + 1)
				if ($i == "\"p99_us\"") p99 = $(i + 1)
				if ($i == "\"errors\"") errs = $(i + 1)
			}
			printf "  %.0f ops/s, p99 %.0f µs, %d errors\n", ops, p99, errs
		}' >&2
	else
		log "  failed: $(cat "$tmp/run.err")"
	fi
}
for wl in $workloads; do
	if [[ -n "$slapd_url" ]]; then
		run_one slapd "$slapd_url" "$slapd_pid" "cn=admin,$base" "$wl"
	fi
	if [[ -n "$canaille_url" ]]; then
		run_one canaille "$canaille_url" "$canaille_pid" "uid=svc,ou=users,$base" "$wl"
	fi
done

echo
echo "$users users, concurrency $concurrency, $duration per run after $warmup of warm-up," \
	"$(nproc) CPUs, Linux $(uname -r)${slapd_version:+, $slapd_version}"
echo
"$bench" table --baseline slapd "$results" | tee "$tmp/table.md"
if [[ "$only" != slapd && -z "$canaille_url" ]]; then
	echo
	echo "canaille: not measured (its LDAP server was not available, see above)."
fi
if [[ -n "$out" ]]; then
	mkdir -p "$out"
	cp "$results" "$tmp/table.md" "$out/"
	[[ -f "$tmp/slapd/slapd.log" ]] && cp "$tmp/slapd/slapd.log" "$out/"
	[[ -f "$tmp/canaille-data/canaille.log" ]] && cp "$tmp/canaille-data/canaille.log" "$out/"
	log "results saved in $out"
fi
