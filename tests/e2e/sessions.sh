#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A whole session in every mode and suite, through /dev/smchan.
#
#   smchan-dev --/dev/smchan--> smchan.ko --netlink TRANSMIT--> smchan-loopback
#                                          <--TRANSMIT_DONE---  (vcard in process)
#
# For each mode (xor, list, opkey, ratchet) and suite (aes128, aes256):
# SELECT FILE EF 0101, UPDATE BINARY 16 random bytes at offset 0, READ
# BINARY them back and compare, and READ BINARY with Le=00 (256 bytes:
# the protected response is longer than 256 bytes, so the card answers
# 61xx and the kernel fetches the rest with GET RESPONSE). Also with a
# transport that fetches 61xx itself. Then the channel's state and
# counters, and the weak flag of the patent's modes.

set -euo pipefail
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

run_session() {
	local mode=$1 suite=$2 fetch=${3:-} ch klen data long
	ch=s-${mode:0:3}-${suite:3}${fetch:+-f}
	klen=$([ "$suite" = aes128 ] && echo 16 || echo 32)
	mkkey "$E2E_TMP/$ch.key" "$klen"
	new_channel "$ch" mode "$mode" key-file "$E2E_TMP/$ch.key"
	start_loopback "$E2E_TMP/$ch.log" ${fetch:+"$fetch"} "$ch=$E2E_TMP/$ch.key"
	data=$(rand_hex 16)
	long=$data$(pattern_hex 16 240)

	smchan-dev open "attach:$ch" \
		"xfer:$SELECT_0101" sw:9000 \
		"xfer:$(update_apdu 0 "$data")" sw:9000 \
		"xfer:$(read_apdu 0 16)" "data:$data" \
		"xfer:$(read_apdu 0 256)" "data:$long" \
		"xfer:$(read_apdu 0x1F0 32)" sw:6282 \
		>"$E2E_TMP/$ch.dev" || {
		cat "$E2E_TMP/$ch.dev" "$E2E_TMP/$ch.log"
		fail "$mode/$suite${fetch:+ $fetch}: session"
	}

	expect_field "$ch" mode "$mode"
	expect_field "$ch" suite "$suite"
	expect_field "$ch" state established
	expect_field "$ch" transport 1
	expect_field "$ch" key netlink
	expect_field "$ch" sessions 1
	expect_field "$ch" commands 5
	expect_field "$ch" sm_failures 0
	# n: the number of the next command.
	expect_field "$ch" n 6
	case $mode in
	ratchet) expect_field "$ch" weak 0 ;;
	*) expect_field "$ch" weak 1 ;;
	esac
	# The long read went through GET RESPONSE (by the kernel, or by
	# the transport with --fetch-61xx).
	if [ -z "$fetch" ]; then
		grep -q '> 00 C0 00 00' "$E2E_TMP/$ch.log" ||
			fail "$mode/$suite: no GET RESPONSE relayed"
	else
		grep -q 'fetched GET RESPONSE' "$E2E_TMP/$ch.log" ||
			fail "$mode/$suite: the transport fetched nothing"
	fi
	stop_pid "$LOOPBACK_PID"
	smchan-nl del "$ch"
	say "ok $mode $suite${fetch:+ $fetch}"
}

for mode in xor list opkey ratchet; do
	for suite in aes128 aes256; do
		run_session "$mode" "$suite"
	done
done
run_session ratchet aes128 --fetch-61xx
run_session list aes256 --fetch-61xx
