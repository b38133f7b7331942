#!/usr/bin/env bash
# oidc-vs-reference.sh: load canaille's OpenID Connect provider and panva's
# oidc-provider (an OpenID Certified Node.js provider, from the npm
# registry) with the same client, user, signing key and token lifetimes, on
# loopback, side by side, with canaille-bench oidc, and print a Markdown
# table. See bench/README.md.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: bench/oidc-vs-reference.sh [OPTIONS]

Builds canaille and canaille-bench, installs oidc-provider from the npm
registry into a temporary directory, and for each configuration (access
token format and signing algorithm) starts a throwaway canaille and a
throwaway oidc-provider on 127.0.0.1 with the same client, user, key and
lifetimes, runs every workload against oidc-provider then canaille, and
prints one Markdown table:
workload (configuration) | server | ops/s | p50 | p99 | CPU µs/op | CPU % | RSS MB | errors | ratio.

Options:
  --duration D       measured time per run, Go syntax (default 10s)
  --warmup D         unmeasured warm-up per run (default 2s)
  --concurrency N    workers (default 16)
  --http-client C    canaille-bench's client for the plain requests: "lean"
                     (default: one HTTP/1.1 connection per worker, read and
                     written in the worker) or "std" (Go's net/http client,
                     which costs the shared cores about as much CPU per
                     request as the servers spend on discovery and JWKS)
  --configs LIST     space-separated FORMAT:ALG configurations, FORMAT
                     "opaque" or "jwt", ALG RS256, ES256 or EdDSA
                     (default "opaque:RS256 jwt:RS256 jwt:ES256")
  --workloads LIST   space-separated subset of
                     "token-cc token-refresh flow userinfo discovery jwks"
  --only SERVER      run only "reference" or only "canaille" (default: both)
  --oidc-provider V  version of oidc-provider to install (default 9.13.3)
  --memory N         afterwards, the memory test: N client-credentials
                     tokens living 2 s (EXP = 2) issued to a fresh canaille,
                     then 'canaille clean' through the control socket, then
                     its RSS against the RSS before (0: skip; default 0)
  --wait SECONDS     how long to wait for each server's port (default 20)
  --out DIR          also save results.jsonl, table.md and the server logs there
  --keep             keep the temporary directory
  -h, --help         this help

Needs: go, node (20 or later) and npm with access to the npm registry, and
standard Linux tools. Everything runs as the calling user under a temporary
directory; the servers are stopped by PID.
EOF
}

duration=10s
warmup=2s
concurrency=16
http_client=lean
configs="opaque:RS256 jwt:RS256 jwt:ES256"
workloads="token-cc token-refresh flow userinfo discovery jwks"
only=both
op_version=9.13.3
memory=0
wait_seconds=20
out=""
keep=0
while (($#)); do
	case "$1" in
	--duration) duration=$2; shift 2 ;;
	--warmup) warmup=$2; shift 2 ;;
	--concurrency) concurrency=$2; shift 2 ;;
	--http-client) http_client=$2; shift 2 ;;
	--configs) configs=$2; shift 2 ;;
	--workloads) workloads=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--oidc-provider) op_version=$2; shift 2 ;;
	--memory) memory=$2; shift 2 ;;
	--wait) wait_seconds=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "oidc-vs-reference.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done
case "$only" in both | reference | canaille) ;; *) echo "--only wants reference or canaille" >&2; exit 2 ;; esac

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/canaille-oidc-bench.XXXXXX")
canaille_pid=""
ref_pid=""

# log, stop, port_open, free_port, wait_port
source "$repo/bench/lib.sh"


cleanup() {
	local status=$?
	stop "$canaille_pid" canaille
	stop "$ref_pid" oidc-provider
	if ((keep)); then
		log "kept $tmp"
	else
		rm -rf "$tmp"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM


# The same settings for both servers.
client_id=bench-client
client_secret="bench-secret-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
user=benchuser
user_password="bench-password-$RANDOM$RANDOM"
access_ttl=3600    # access and ID tokens (canaille: CANAILLE_OIDC.JWT.EXP)
refresh_ttl=2592000
code_ttl=300
scope="openid profile email"

# --- 1. build and install ---------------------------------------------------
log "building canaille-bench and canaille in $tmp"
(cd "$repo" && go build -o "$tmp/canaille-bench" ./cmd/canaille-bench)
(cd "$repo" && build_canaille "$tmp/canaille")
bench="$tmp/canaille-bench"
if [[ "$only" != canaille ]]; then
	command -v node >/dev/null && command -v npm >/dev/null || {
		log "node and npm are needed for the reference (or use --only canaille)"
		exit 1
	}
	log "installing oidc-provider@$op_version from the npm registry"
	mkdir -p "$tmp/ref"
	(cd "$tmp/ref" && npm init -y >/dev/null &&
		npm install --no-audit --no-fund --loglevel=error "oidc-provider@$op_version" >"$tmp/ref/npm.log" 2>&1) || {
		log "npm install oidc-provider@$op_version failed:"
		tail -20 "$tmp/ref/npm.log" >&2
		exit 1
	}
fi

# The reference: oidc-provider with the client, the user, the key (the PEM
# file canaille made, as a JWK) and the lifetimes given in a JSON file.
mkdir -p "$tmp/ref"
cat >"$tmp/ref/server.mjs" <<'EOF'
// Written by bench/oidc-vs-reference.sh: a throwaway oidc-provider.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const c = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const jwk = createPrivateKey(readFileSync(c.keyFile)).export({ format: 'jwk' });
Object.assign(jwk, { alg: c.alg, use: 'sig', kid: 'bench' });
// Access tokens of client credentials are issued for this resource
// server, in the format of the configuration; opaque ones are kept in
// the provider's default (in-memory) adapter.
const resource = 'urn:canaille-bench:api';

const account = {
  accountId: c.user,
  async claims() {
    return { sub: c.user, name: 'Bench User', family_name: 'User', given_name: 'Bench',
      email: `${c.user}@example.org`, email_verified: true };
  },
};

const provider = new Provider(c.issuer, {
  clients: [{
    client_id: c.clientId,
    client_secret: c.clientSecret,
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    redirect_uris: [c.redirectUri],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: c.alg,
  }],
  jwks: { keys: [jwk] },
  findAccount: async (ctx, sub) => (sub === c.user ? account : undefined),
  claims: { openid: ['sub'], profile: ['name', 'family_name', 'given_name'], email: ['email', 'email_verified'] },
  cookies: { keys: [c.cookieKey] },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (ctx) => (ctx.oidc.params?.grant_type === 'client_credentials' ? resource : undefined),
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api',
        audience: resource,
        accessTokenTTL: c.accessTTL,
        accessTokenFormat: c.format,
        jwt: { sign: { alg: c.alg } },
      }),
    },
  },
  ttl: {
    AccessToken: c.accessTTL,
    ClientCredentials: c.accessTTL,
    IdToken: c.accessTTL,
    AuthorizationCode: c.codeTTL,
    RefreshToken: c.refreshTTL,
    Grant: c.refreshTTL,
    Session: c.refreshTTL,
    Interaction: 3600,
  },
  // As canaille: a refresh token with every code flow of a client allowed
  // the grant, rotated at each use.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  pkce: { required: () => false },
  enabledJWA: {
    idTokenSigningAlgValues: [c.alg],
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

const server = createServer(provider.callback());
server.keepAliveTimeout = 60000;
server.listen(c.port, '127.0.0.1', () => console.log(`oidc-provider listening on ${c.issuer}`));
EOF

# --- 2. the runs --------------------------------------------------------------
results="$tmp/results.jsonl"
: >"$results"
cb_port=$(free_port)
redirect_uri="http://127.0.0.1:$cb_port/callback" # nothing needs to listen there

# start_canaille FORMAT ALG DIR [EXP]: a fresh canaille in DIR.
start_canaille() {
	local format=$1 alg=$2 c=$3 exp=${4:-$access_ttl}
	mkdir -p "$c"
	canaille_port=$(free_port)
	local ldap_port
	ldap_port=$(free_port)
	cat >"$c/config.toml" <<EOF
# Written by bench/oidc-vs-reference.sh for a throwaway benchmark server.
SERVER_NAME = "127.0.0.1:$canaille_port"
PREFERRED_URL_SCHEME = "http"

[CANAILLE]
NAME = "canaille-bench"

[CANAILLE_HTTP]
LISTEN = "127.0.0.1:$canaille_port"

[CANAILLE_BOLT]
PATH = "$c/canaille.db"

[CANAILLE_LDAP_SERVER]
LISTEN = "127.0.0.1:$ldap_port"
LDAPS_LISTEN = ""

[CANAILLE_OIDC]
ACCESS_TOKEN_FORMAT = "$format"
REFRESH_TOKEN_LIFETIME = $refresh_ttl
AUTHORIZATION_CODE_LIFETIME = $code_ttl
# The redirect URI is on 127.0.0.1: the client skips the consent page.
TRUSTED_DOMAINS = ["127.0.0.1"]

[CANAILLE_OIDC.JWT]
PRIVATE_KEY = "$c/private.pem"
PUBLIC_KEY = "$c/public.pem"
ALG = "$alg"
EXP = $exp
EOF
	canaille=("$tmp/canaille" --config "$c/config.toml")
	printf '%s\n' "$user_password" >"$c/user.password"
	{
		"${canaille[@]}" install
		"${canaille[@]}" create user --user-name "$user" --given-name Bench --family-name User \
			--formatted-name "Bench User" --emails "$user@example.org" --password-file "$c/user.password"
		"${canaille[@]}" create client --client-id "$client_id" --client-secret "$client_secret" \
			--client-name "canaille-bench" --redirect-uris "$redirect_uri" \
			--grant-types authorization_code --grant-types refresh_token --grant-types client_credentials \
			--response-types code --scope openid --scope profile --scope email --scope offline_access \
			--token-endpoint-auth-method client_secret_basic --id-token-signed-response-alg "$alg"
	} >"$c/setup.log" 2>&1 || {
		log "canaille setup failed:"
		tail -20 "$c/setup.log" >&2
		exit 1
	}
	"${canaille[@]}" run >"$c/canaille.log" 2>&1 &
	canaille_pid=$!
	if ! wait_port "$canaille_port" "$canaille_pid"; then
		log "canaille did not answer on port $canaille_port:"
		tail -20 "$c/canaille.log" >&2
		exit 1
	fi
	canaille_issuer="http://127.0.0.1:$canaille_port"
}

# start_reference FORMAT ALG KEYFILE DIR
start_reference() {
	local format=$1 alg=$2 key=$3 d=$4
	mkdir -p "$d"
	ref_port=$(free_port)
	ref_issuer="http://127.0.0.1:$ref_port"
	cat >"$d/config.json" <<EOF
{"issuer": "$ref_issuer", "port": $ref_port, "format": "$format", "alg": "$alg", "keyFile": "$key",
 "clientId": "$client_id", "clientSecret": "$client_secret", "redirectUri": "$redirect_uri",
 "user": "$user", "cookieKey": "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')",
 "accessTTL": $access_ttl, "refreshTTL": $refresh_ttl, "codeTTL": $code_ttl}
EOF
	(cd "$tmp/ref" && exec node server.mjs "$d/config.json") >"$d/oidc-provider.log" 2>&1 &
	ref_pid=$!
	if ! wait_port "$ref_port" "$ref_pid"; then
		log "oidc-provider did not answer on port $ref_port:"
		tail -20 "$d/oidc-provider.log" >&2
		exit 1
	fi
}

# run_one LABEL ISSUER PID VARIANT WORKLOAD
run_one() {
	local label=$1 issuer=$2 pid=$3 variant=$4 wl=$5 line
	log "$wl ($variant) on $label: $duration at concurrency $concurrency..."
	if line=$("$bench" oidc --issuer "$issuer" --workload "$wl" \
		--client-id "$client_id" --client-secret "$client_secret" \
		--user "$user" --password "$user_password" --redirect-uri "$redirect_uri" --scope "$scope" \
		--concurrency "$concurrency" --duration "$duration" --warmup "$warmup" --http-client "$http_client" \
		--pid "$pid" --label "$label" --variant "$variant" --json 2>"$tmp/run.err"); then
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

for conf in $configs; do
	format=${conf%%:*}
	alg=${conf#*:}
	variant="$format $alg"
	case "$format" in opaque | jwt) ;; *) log "unknown format in $conf"; exit 2 ;; esac
	dir="$tmp/$format-$alg"
	start_canaille "$format" "$alg" "$dir/canaille"
	if [[ "$only" == reference ]]; then
		stop "$canaille_pid" canaille
		canaille_pid=""
	else
		log "canaille (pid $canaille_pid) serves $canaille_issuer ($variant)"
	fi
	if [[ "$only" != canaille ]]; then
		start_reference "$format" "$alg" "$dir/canaille/private.pem" "$dir/reference"
		log "oidc-provider (pid $ref_pid) serves $ref_issuer ($variant)"
	fi
	for wl in $workloads; do
		if [[ -n "$ref_pid" ]]; then
			run_one oidc-provider "$ref_issuer" "$ref_pid" "$variant" "$wl"
		fi
		if [[ -n "$canaille_pid" ]]; then
			run_one canaille "$canaille_issuer" "$canaille_pid" "$variant" "$wl"
		fi
	done
	stop "$canaille_pid" canaille
	stop "$ref_pid" oidc-provider
	canaille_pid="" ref_pid=""
done

# --- 3. memory ----------------------------------------------------------------
memory_report=""
if ((memory > 0)); then
	# rss_kb PID [FIELD]: VmRSS, or RssAnon (the heap) or RssFile (mostly
	# the database file, which bbolt maps into memory), in kB.
	rss_kb() { awk -v f="${2:-VmRSS}:" '$1 == f { print $2 }' "/proc/$1/status"; }
	mem_line() { echo "VmRSS $(($(rss_kb "$1") / 1024)) MB (anonymous $(($(rss_kb "$1" RssAnon) / 1024)) MB, file-backed $(($(rss_kb "$1" RssFile) / 1024)) MB)"; }
	dir="$tmp/memory"
	start_canaille opaque ES256 "$dir" 2
	log "memory: canaille (pid $canaille_pid), $memory tokens of 2 s"
	# Warm the server up (connections, first allocations) before the baseline.
	"$bench" oidc --issuer "$canaille_issuer" --workload token-cc --client-id "$client_id" \
		--client-secret "$client_secret" --concurrency "$concurrency" --count 2000 >/dev/null
	sleep 3
	"${canaille[@]}" clean >/dev/null
	sleep 2
	rss0=$(rss_kb "$canaille_pid")
	anon0=$(rss_kb "$canaille_pid" RssAnon)
	mem0=$(mem_line "$canaille_pid")
	"$bench" oidc --issuer "$canaille_issuer" --workload token-cc --client-id "$client_id" \
		--client-secret "$client_secret" --concurrency "$concurrency" --count "$memory" \
		--pid "$canaille_pid" >"$dir/issue.txt"
	rss1=$(rss_kb "$canaille_pid")
	mem1=$(mem_line "$canaille_pid")
	sleep 3 # every token has expired
	clean_start=$(date +%s.%N)
	"${canaille[@]}" clean >"$dir/clean.txt" 2>&1
	clean_end=$(date +%s.%N)
	sleep 5
	rss2=$(rss_kb "$canaille_pid")
	anon2=$(rss_kb "$canaille_pid" RssAnon)
	mem2=$(mem_line "$canaille_pid")
	db_size=$(stat -c %s "$dir/canaille.db")
	memory_report=$(
		echo "Memory: $memory client-credentials tokens issued (2 s lifetime), then 'canaille clean' through the control socket:"
		sed 's/^/    /' "$dir/issue.txt"
		echo "    clean: $(tr '\n' ' ' <"$dir/clean.txt")($(awk -v a="$clean_start" -v b="$clean_end" 'BEGIN { printf "%.1f s", b - a }'))"
		echo "    before:         $mem0"
		echo "    after issuing:  $mem1"
		echo "    after cleaning: $mem2"
		awk -v a="$rss0" -v c="$rss2" -v x="$anon0" -v y="$anon2" -v d="$db_size" 'BEGIN {
			printf "    after cleaning against before: VmRSS %+.1f %%, anonymous %+.1f %% (target: within 20 %%); database file %.1f MB\n",
				100 * (c - a) / a, 100 * (y - x) / x, d / 1e6 }'
	)
	stop "$canaille_pid" canaille
	canaille_pid=""
fi

echo
echo "concurrency $concurrency, $duration per run after $warmup of warm-up, $(nproc) CPUs, Linux $(uname -r)," \
	"$(go version | awk '{ print $3 }'), node $(node --version 2>/dev/null || echo none), oidc-provider $op_version"
echo
"$bench" table --baseline oidc-provider "$results" | tee "$tmp/table.md"
if [[ -n "$memory_report" ]]; then
	echo
	printf '%s\n' "$memory_report" | tee "$tmp/memory.txt"
fi
if [[ -n "$out" ]]; then
	mkdir -p "$out"
	cp "$results" "$tmp/table.md" "$out/"
	[[ -f "$tmp/memory.txt" ]] && cp "$tmp/memory.txt" "$out/"
	for f in "$tmp"/*/canaille/canaille.log "$tmp"/*/reference/oidc-provider.log; do
		[[ -f "$f" ]] && cp "$f" "$out/$(basename "$(dirname "$(dirname "$f")")")-$(basename "$f")"
	done
	log "results saved in $out"
fi
