#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end through a real pcscd: a private pcscd instance with its own
# socket directory and vpcd ports, in a private mount namespace (the system
# pcscd, if any, is never touched), two smchan-vcard cards behind vpcd
# (AES-128 on slot 0, AES-256 on slot 1) and pcsc-test playing the
# terminal against each.
#
#   host                           mount namespace of pcscd
#   pcsc-test --PC/SC socket-->    pcscd (/run/pcscd = $dir/run)
#                                    vpcd slot 0: 127.0.0.1:$port   <-- smchan-vcard img128
#                                    vpcd slot 1: 127.0.0.1:$port+1 <-- smchan-vcard img256
#
#   pcsc-e2e.sh BUILD_DIR [COUNT]
# Prints "RESULT <passed> <failed>".
set -u
B=$(cd "$1" && pwd)
count=${2:-1000}
here=$(cd "$(dirname "$0")" && pwd)
vectors=$here/../../tests/vectors
driver=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
passed=0
failed=0
pids=()

pretty() { echo "[e2e] $*"; }
ok() { passed=$((passed + 1)); pretty "ok: $*"; }
bad() { failed=$((failed + 1)); pretty "FAIL: $*"; }

if ! command -v pcscd >/dev/null || [ ! -f "$driver" ] || ! command -v unshare >/dev/null; then
	bad "pcscd, vsmartcard-vpcd or unshare missing"
	echo "RESULT $passed $failed"
	exit 1
fi

dir=$(mktemp -d /tmp/smchan-e2e.XXXXXX)
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		timeout 5 tail --pid="$p" -f /dev/null 2>/dev/null
		kill -9 "$p" 2>/dev/null
	done
	if [ "$failed" = 0 ]; then
		rm -rf "$dir"
	else
		pretty "logs kept in $dir"
	fi
}
trap cleanup EXIT

# A port pair nobody listens on (vpcd takes PORT and PORT+1).
listening() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v h=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == h { f = 1 } END { exit !f }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}
pick_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((36000 + (RANDOM % 1400) * 2))
		if ! listening "$p" && ! listening $((p + 1)); then
			port=$p
			return 0
		fi
	done
	return 1
}

start_pcscd() {
	local userns=
	[ "$(id -u)" = 0 ] || userns=-r
	mkdir -p "$dir/run" "$dir/conf"
	cat >"$dir/conf/vpcd" <<CONF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:$port
LIBPATH      $driver
CONF
	: >"$dir/pcscd.log"
	# a tmpfs over /run hides the host's /run/pcscd; ours is bound on it
	# shellcheck disable=SC2016
	unshare $userns --mount --propagation private sh -c \
		'mount -t tmpfs -o mode=0755 smchan-run /run && mkdir /run/pcscd &&
		 mount --bind "$1" /run/pcscd && exec pcscd -f -c "$2"' \
		sh "$dir/run" "$dir/conf/vpcd" >>"$dir/pcscd.log" 2>&1 &
	pcscd_pid=$!
	pids+=("$pcscd_pid")
	for _ in $(seq 1 100); do
		# another instance took the port between pick_port and now
		if grep -q 'already in use\|init failed' "$dir/pcscd.log"; then
			stop_pcscd
			return 1
		fi
		[ -S "$dir/run/pcscd.comm" ] && listening "$port" && return 0
		sleep 0.1
	done
	return 1
}
stop_pcscd() {
	kill "$pcscd_pid" 2>/dev/null
	timeout 10 tail --pid="$pcscd_pid" -f /dev/null
	rm -f "$dir/run/pcscd.comm"
}

started=
for _ in 1 2 3 4 5; do
	pick_port && start_pcscd && { started=1; break; }
done
if [ -n "$started" ]; then
	ok "private pcscd up, vpcd on ports $port and $((port + 1))"
else
	bad "private pcscd did not start"; cat "$dir/pcscd.log"
	echo "RESULT $passed $failed"
	exit 1
fi
export PCSCLITE_CSOCK_NAME=$dir/run/pcscd.comm

for bits in 128 256; do
	n=$((bits / 4))
	od -An -tx1 -N$((n / 2)) /dev/urandom | tr -d ' \n' >"$dir/k$bits"
	if "$B/smchan-vcard" --create --image "$dir/img$bits" --mkey-file - \
		--suite aes$bits <"$dir/k$bits"; then
		ok "image aes$bits created"
	else
		bad "smchan-vcard --create aes$bits"
	fi
done
"$B/smchan-vcard" --image "$dir/img128" --port "$port" --log "$dir/card128.log" \
	2>>"$dir/card128.err" &
pids+=($!)
"$B/smchan-vcard" --image "$dir/img256" --port $((port + 1)) --log "$dir/card256.log" \
	2>>"$dir/card256.err" &
card256=$!
pids+=("$card256")

client() {	# slot bits count; writes "passed failed" to counts-bits
	timeout 600 "$B/pcsc-test" -r "Virtual PCD 00 0$1" -i "$dir/img$2" \
		-k "$dir/k$2" -d "$vectors" -n "$3" >"$dir/client-$2.out" 2>&1
	local rc=$? p f
	read -r p f < <(awk '/^RESULT /{p=$2; f=$3} END{print p+0, f+0}' "$dir/client-$2.out")
	[ "$rc" != 0 ] && [ "$f" = 0 ] && f=1
	echo "$p $f" >"$dir/counts-$2"
	pretty "pcsc-test aes$2: $p passed, $f failed (rc $rc, $(head -1 "$dir/client-$2.out"))"
	[ "$f" = 0 ] || grep -A12 '^FAIL\|^no card' "$dir/client-$2.out" | head -60
}
t0=$(date +%s)
client 0 128 "$count" &
c1=$!
client 1 256 "$count"
wait "$c1"
for bits in 128 256; do
	read -r p f <"$dir/counts-$bits" || { p=0; f=1; }
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "info: two pcsc-test clients (vectors, negative cases, 4 x $count random commands each) took $(($(date +%s) - t0)) s"

# The log: one line per APDU, never a key.
for bits in 128 256; do
	lines=$(wc -l <"$dir/card$bits.log")
	if [ "$lines" -gt "$count" ] && ! grep -qi "$(cat "$dir/k$bits")" "$dir/card$bits.log" &&
		grep -Eq '^[0-9]+ ins=[0-9A-F]{2} sw=[0-9A-F]{4} mode=ratchet n=[0-9]+ inner_sw=[0-9A-F]{4}$' "$dir/card$bits.log"; then
		ok "card aes$bits log: $lines lines, no MKEY"
	else
		bad "card aes$bits log"
	fi
done

# The driver restarts: the card must come back by itself.
stop_pcscd
if start_pcscd; then
	timeout 120 "$B/pcsc-test" -r "Virtual PCD 00 01" -i "$dir/img256" -k "$dir/k256" \
		-d "$vectors" -n 20 -V >"$dir/client-restart.out" 2>&1
	if [ $? = 0 ]; then
		ok "card reconnected after a pcscd restart"
	else
		bad "card did not come back after a pcscd restart"
		tail -20 "$dir/client-restart.out"
	fi
else
	bad "pcscd did not restart"
fi

# SIGTERM ends the card cleanly.
kill "$card256"
if timeout 5 tail --pid="$card256" -f /dev/null && wait "$card256"; then
	ok "card exits 0 on SIGTERM"
else
	bad "card did not exit cleanly on SIGTERM"
fi
echo "RESULT $passed $failed"
[ "$failed" = 0 ]
