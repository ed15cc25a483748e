#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Several files on one channel: what they share and what they do not.
#
#   smchan-dev A (hold) --\
#   smchan-dev B ---------+--/dev/smchan--> smchan.ko --> smchan-loopback
#   smchan-dev C (close) -/
#
# 1. SMCHAN_IOC_HOLD: while A holds the channel, B's command waits; A's
#    SELECT + READ pair sees the file as it was (B's UPDATE has not run);
#    A's release lets B's command run.
# 2. close() never waits for the card: a file whose command is stuck at a
#    silent transport closes at once; the next file's command runs when
#    the stuck one has timed out, in a new session.
# 3. With auto-establish off, one file's timeout does not leave the other
#    files with ENOTCONN: the administrator's session comes back.

set -euo pipefail
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

K=$E2E_TMP/key
mkkey "$K"
T=$E2E_TMP
new_channel s-a key-file "$K"

# --- 1. hold ------------------------------------------------------------------
start_loopback "$T/lb1.log" s-a="$K"
smchan-dev open attach:s-a hold:10000 "xfer:$SELECT_0101" sw:9000 \
	"touch:$T/held" "wait:$T/go" \
	"xfer:$(read_apdu 0 16)" "data:$(pattern_hex 0 16)" \
	release "touch:$T/a-done" >"$T/a.log" 2>&1 &
a_pid=$!
E2E_PIDS+=("$a_pid")
wait_until 10 test -e "$T/held"
smchan-dev open-nb attach:s-a err:EAGAIN hold:1000 \
	"write:$SELECT_0101" nopollin:500 "touch:$T/b-waiting" \
	pollin:10000 read sw:9000 \
	"write:$(update_apdu 0 "$(rand_hex 16)")" pollin:10000 read sw:9000 \
	>"$T/b.log" 2>&1 &
b_pid=$!
E2E_PIDS+=("$b_pid")
wait_until 10 test -e "$T/b-waiting"
[ ! -e "$T/a-done" ] || fail "A finished early"
touch "$T/go"
wait "$a_pid" || { cat "$T/a.log"; fail "the holder A"; }
wait "$b_pid" || { cat "$T/b.log"; fail "the waiting B"; }
say "a held channel kept B's command back until A's release"

# Closing releases a hold too: C holds and exits, D gets in at once.
dev open attach:s-a hold:30000 "xfer:$SELECT_0101" sw:9000 close
dev open-nb attach:s-a hold:1000 release
stop_pid "$LOOPBACK_PID"

# --- 2. close does not wait ---------------------------------------------------
new_channel s-b key-file "$K" timeout 3000
# Requests: 1 GET CHALLENGE, 2 INITIALIZE SESSION, 3 C's SELECT (dropped).
start_loopback "$T/lb2.log" --drop 3 s-b="$K"
dev open attach:s-b "write:$SELECT_0101" sleep:300 close-within:200
dev open attach:s-b "xfer:$SELECT_0101" sw:9000 \
	"xfer:$(read_apdu 0 16)" "data:$(pattern_hex 0 16)"
expect_field s-b sessions 2
stop_pid "$LOOPBACK_PID"

# --- 3. an administrator's session survives one user's timeout -----------------
new_channel s-c key-file "$K" auto 0 timeout 1000
start_loopback "$T/lb3.log" --drop 4 s-c="$K"
smchan-nl start s-c >/dev/null
dev open attach:s-c "xfer:$SELECT_0101" sw:9000 \
	err:ETIMEDOUT "xfer:$(read_apdu 0 16)"
dev open attach:s-c "xfer:$SELECT_0101" sw:9000
expect_field s-c sessions 2
smchan-nl stop s-c >/dev/null
dev open attach:s-c err:ENOTCONN "xfer:$SELECT_0101"
