# Helpers shared by the benchmark scripts (sourced, not run): logging,
# building canaille, stopping a server by PID, and finding or waiting for a
# loopback port. The sourcing script sets wait_seconds before calling
# wait_port.

log() { printf '%s\n' "$*" >&2; }

# build_canaille OUT: builds canaille as packaging/build.sh does for the
# packages (cgo when a C compiler is there, so that RS256 goes through
# OpenSSL; internal linking, PIE), so that what is measured is what is
# shipped. Run from the repository.
build_canaille() {
	if command -v "$(go env CC)" >/dev/null 2>&1; then
		CGO_ENABLED=1 go build -trimpath -buildmode=pie -ldflags "-linkmode=internal -bindnow" -o "$1" ./cmd/canaille
	else
		CGO_ENABLED=0 go build -trimpath -o "$1" ./cmd/canaille
	fi
}

# stop PID NAME: SIGTERM, then SIGKILL after 10 s.
stop() {
	local pid=$1 name=$2 i
	[[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "$name (pid $pid) did not stop on SIGTERM; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port: a TCP port of 127.0.0.1 that nothing listens on.
free_port() {
	local port i
	for ((i = 0; i < 100; i++)); do
		port=$((20000 + RANDOM % 40000))
		if ! port_open "$port"; then
			echo "$port"
			return 0
		fi
	done
	log "no free port found"
	return 1
}

# wait_port PORT PID: wait until PORT answers while PID lives; false on
# timeout or exit.
wait_port() {
	local port=$1 pid=$2 i
	for ((i = 0; i < wait_seconds * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		port_open "$port" && return 0
		sleep 0.1
	done
	return 1
}
