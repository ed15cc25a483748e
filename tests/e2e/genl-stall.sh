#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# No genl request of smchan waits for the card, so a generic netlink
# family registered meanwhile (any module that has one, or rmmod of
# smchan itself) does not stall every genl user behind it.
#
#   smchan-nl start --SESSION_START--> smchan.ko --TRANSMIT--> smchan-loopback
#                                                  (answers after 2 s)
#   insmod smchan_genl_probe.ko (genl_register_family) while it is pending
#
# Before: the start's doit held genl's cb_lock for reading while it waited
# for the transport, the registration queued for writing, the transport's
# TRANSMIT_DONE queued behind it: the start timed out (6 s) and insmod
# took as long. The limits below (2.5 s) leave room for a loaded machine
# and the debug kernel, and are still well short of the start's 4 s. Now the start is queued and answered at once, insmod
# returns at once, and the start succeeds.

set -euo pipefail
. "$(dirname "$0")/lib.sh"
probe=${SMCHAN_KO%/*}/smchan_genl_probe.ko
cleanup() {
	rmmod smchan_genl_probe 2>/dev/null || :
	e2e_cleanup
}
trap cleanup EXIT
[ -f "$probe" ] || fail "no $probe"

ms() { echo $(($(date +%s%N) / 1000000)); }

K=$E2E_TMP/key
mkkey "$K"
new_channel g-a key-file "$K" timeout 6000
start_loopback "$E2E_TMP/lb.log" --delay 2000 g-a="$K"

t0=$(ms)
smchan-nl start g-a >"$E2E_TMP/start.out" 2>&1 &
start_pid=$!
E2E_PIDS+=("$start_pid")
sleep 0.3
t1=$(ms)
insmod "$probe"
t2=$(ms)
say "insmod took $((t2 - t1)) ms while a start was pending"
[ $((t2 - t1)) -lt 2500 ] || fail "registering a family waited $((t2 - t1)) ms for the card"
rmmod smchan_genl_probe
rc=0
wait "$start_pid" || rc=$?
t3=$(ms)
cat "$E2E_TMP/start.out"
[ "$rc" = 0 ] || fail "the session start failed (exit $rc)"
say "the start succeeded after $((t3 - t0)) ms"
expect_field g-a state established

# Meanwhile other requests are answered at once, e.g. a get and a stop.
smchan-nl start g-a >/dev/null 2>&1 &
start_pid=$!
E2E_PIDS+=("$start_pid")
sleep 0.3
t1=$(ms)
smchan-nl get g-a >/dev/null
smchan-nl stop g-a >/dev/null
t2=$(ms)
[ $((t2 - t1)) -lt 2500 ] || fail "get + stop waited $((t2 - t1)) ms behind a start"
wait "$start_pid" || :
