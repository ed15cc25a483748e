#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Several processes and channels at once.
#
#   smchan-dev A1 (offset 0)   \
#   smchan-dev A2 (offset 256)  >--/dev/smchan--> smchan.ko --> smchan-loopback
#   smchan-dev B1 (offset 0)   /     c-a (ratchet), c-b (list/aes256)   (both)
#
# Each client loops UPDATE BINARY / READ BINARY of its own 16 bytes and
# checks what it reads back; the kernel serialises the files of a channel
# and runs the two channels independently.

set -euo pipefail
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

N=${E2E_LOOPS:-40}
mkkey "$E2E_TMP/ka" 16
mkkey "$E2E_TMP/kb" 32
new_channel c-a key-file "$E2E_TMP/ka"
new_channel c-b mode list key-file "$E2E_TMP/kb"
start_loopback "$E2E_TMP/lb.log" -q c-a="$E2E_TMP/ka" c-b="$E2E_TMP/kb"

client() {
	local ch=$1 off=$2 d
	d=$(rand_hex 16)
	smchan-dev open "attach:$ch" "xfer:$SELECT_0101" sw:9000 \
		loop:"$N" "xfer:$(update_apdu "$off" "$d")" sw:9000 \
		"xfer:$(read_apdu "$off" 16)" "data:$d" end \
		>"$E2E_TMP/$ch-$off.log" 2>&1
}
pids=()
client c-a 0 & pids+=("$!")
client c-a 256 & pids+=("$!")
client c-b 0 & pids+=("$!")
E2E_PIDS+=("${pids[@]}")
bad=0
for p in "${pids[@]}"; do
	wait "$p" || bad=1
done
[ "$bad" = 0 ] || { tail -n 5 "$E2E_TMP"/c-*.log; fail "a client failed"; }
# 2N+1 commands per client.
expect_field c-a commands $((2 * (2 * N + 1)))
expect_field c-b commands $((2 * N + 1))
expect_field c-a sm_failures 0
expect_field c-b sm_failures 0
say ok
