# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by the end-to-end tests (tests/e2e/*.sh). They run as root
# inside UML (tests/uml-run) with smchan.ko loaded and the tools of
# userspace/build/ on PATH:
#   smchan-nl        netlink client (userspace/tests/nl-client.c)
#   smchan-dev       scripted /dev/smchan client (dev-client.c)
#   smchan-loopback  transport with the reference card in process
#
# A test: `set -euo pipefail`, `. lib.sh`, `trap cleanup EXIT` (or its own
# cleanup that calls e2e_cleanup), then steps; any failing command fails
# the test. Every wait is bounded. Channel names are global to the boot:
# each test uses its own prefix.

if [ "${SMCHAN_IN_UML:-}" != 1 ] && [ -z "${E2E_ANYWHERE:-}" ]; then
	echo "$0: runs inside UML: tests/uml-run -- $0" >&2
	exit 2
fi

E2E_TMP=$(mktemp -d /tmp/smchan-e2e.XXXXXX)
E2E_PIDS=()
E2E_CHANNELS=()

say() { printf '%s: %s\n' "${0##*/}" "$*"; }
fail() {
	printf '%s: FAIL: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

e2e_cleanup() {
	local p c
	for p in "${E2E_PIDS[@]}"; do
		kill "$p" 2>/dev/null || :
	done
	for p in "${E2E_PIDS[@]}"; do
		wait "$p" 2>/dev/null || :
	done
	for c in "${E2E_CHANNELS[@]}"; do
		smchan-nl del "$c" >/dev/null 2>&1 || :
	done
	rm -rf "$E2E_TMP"
}
cleanup() { e2e_cleanup; }

# mkkey FILE [16|32]: a random master key as hex, 0600.
mkkey() {
	(umask 077 && head -c "${2:-16}" /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$1")
	echo >>"$1"
}

# new_channel NAME [ATTR VALUE...]: create it and delete it at cleanup.
new_channel() {
	local name=$1
	shift
	smchan-nl new "$name" "$@" >/dev/null
	E2E_CHANNELS+=("$name")
}

# start_loopback LOG [OPTIONS...] CHANNEL[=KEYFILE]...: start a transport,
# wait (5 s at most) until it has bound every channel. Sets LOOPBACK_PID.
start_loopback() {
	local log=$1 ready i
	shift
	ready=$(mktemp -u "$E2E_TMP/ready.XXXXXX")
	smchan-loopback --ready-file "$ready" "$@" >"$log" 2>&1 &
	LOOPBACK_PID=$!
	E2E_PIDS+=("$LOOPBACK_PID")
	for i in $(seq 100); do
		[ -e "$ready" ] && return 0
		kill -0 "$LOOPBACK_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$log" >&2
	fail "smchan-loopback did not bind: $*"
}

# stop_pid PID: SIGTERM, then wait (5 s at most).
stop_pid() {
	local i
	kill "$1" 2>/dev/null || return 0
	for i in $(seq 100); do
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null || :; return 0; }
		sleep 0.05
	done
	kill -9 "$1" 2>/dev/null || :
	wait "$1" 2>/dev/null || :
}

# wait_until SECONDS CMD...: retry CMD every 50 ms until it succeeds.
# dev STEP...: smchan-dev, its output in dev.log; a failure fails the test.
dev() {
	smchan-dev "$@" >>"$E2E_TMP/dev.log" 2>&1 || {
		cat "$E2E_TMP/dev.log"
		fail "smchan-dev $*"
	}
}

wait_until() {
	local t=$1 i
	shift
	for i in $(seq $((t * 20))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	fail "timed out after ${t}s waiting for: $*"
}

# field NAME KEY: the value of KEY=... in `smchan-nl get NAME`.
field() {
	smchan-nl get "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# expect_field NAME KEY VALUE
expect_field() {
	local v
	v=$(field "$1" "$2")
	[ "$v" = "$3" ] || fail "$1: $2 is '$v', expected '$3'"
}

# pattern_hex OFF LEN: the hex of bytes (OFF+i) mod 256.
pattern_hex() {
	local i
	for ((i = $1; i < $1 + $2; i++)); do
		printf '%02X' $((i % 256))
	done
}

# rand_hex LEN: LEN random bytes as hex.
rand_hex() {
	head -c "$1" /dev/urandom | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F
}

# The APDUs of the patent's example on EF 0101 of the reference card.
# shellcheck disable=SC2034 # used by the tests that source this file
SELECT_0101=00A4000C020101
# update_apdu OFF HEXDATA / read_apdu OFF LEN (LEN 256 is Le=00)
update_apdu() {
	printf '00D6%04X%02X%s' "$1" $((${#2} / 2)) "$2"
}
read_apdu() {
	printf '00B0%04X%02X' "$1" $(($2 % 256))
}
