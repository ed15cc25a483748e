#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The "events" multicast group, seen by a listener.
#
#   smchan-nl events (listener) <--multicast "events"-- smchan.ko
#   smchan-nl / smchan-dev / smchan-loopback drive the channel
#
# channel-new, transport-up, session-up, session-down reason=local (stop),
# rekey (at the rekey limit), sm-failure + session-down reason=verify (a
# corrupted response), session-down reason=card-removed (CARD_STATUS 0),
# transport-down (the transport exits), channel-del; session-failed with
# the start's id and its error (a card with another master key).

set -euo pipefail
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

K=$E2E_TMP/key
mkkey "$K"
EV=$E2E_TMP/events
expect_event() {
	local i
	for i in $(seq 100); do
		# (An event may carry a reason the test does not name.)
		grep -Eqx "event $1( reason=[a-z-]+)?( id=[0-9]+)?( error=E[A-Z]+)?" "$EV" && return 0
		sleep 0.05
	done
	cat "$EV"
	fail "no event '$1' within 5 s"
}

smchan-nl events timeout 60000 ready-file "$E2E_TMP/listening" >"$EV" 2>&1 &
E2E_PIDS+=("$!")
wait_until 5 test -e "$E2E_TMP/listening"

new_channel v-a key-file "$K" rekey 3
expect_event "v-a channel-new"
start_loopback "$E2E_TMP/lb1.log" v-a="$K"
expect_event "v-a transport-up"
smchan-nl start v-a
expect_event "v-a session-up"
smchan-nl stop v-a
expect_event "v-a session-down reason=local"

# Rekey limit 3: the fourth command re-initialises the session.
dev open attach:v-a loop:5 "xfer:$SELECT_0101" sw:9000 end
expect_event "v-a rekey"
expect_field v-a reinits 1

# A response that fails verification.
stop_pid "$LOOPBACK_PID"
expect_event "v-a transport-down"
smchan-nl stop v-a || :
start_loopback "$E2E_TMP/lb2.log" --corrupt 3 --remove-after 6 v-a="$K"
dev open attach:v-a err:EBADMSG "xfer:$SELECT_0101"
expect_event "v-a sm-failure"
expect_event "v-a session-down reason=verify"
# Requests 4, 5 establish again, 6 is the SELECT; then the card "leaves"
# while that command is still finishing: the session ends when it is
# over, at the latest before the next command runs, which starts a new
# one.
dev open attach:v-a "xfer:$SELECT_0101" sw:9000
wait_until 5 grep -q 'card present' "$E2E_TMP/lb2.log"
grep -q 'card removed: ok' "$E2E_TMP/lb2.log" || { cat "$E2E_TMP/lb2.log"; fail "CARD_STATUS 0 refused"; }
dev open attach:v-a "xfer:$SELECT_0101" sw:9000
expect_event "v-a session-down reason=card-removed"
[ "$(grep -c 'session-down reason=card-removed' "$EV")" = 1 ] || fail "card-removed twice"
# The card leaves between commands: the session ends at once.
expect_field v-a state established
kill -USR1 "$LOOPBACK_PID"
# (a function, so that the count is taken anew on each try)
removals_are() { [ "$(grep -c 'session-down reason=card-removed' "$EV")" = "$1" ]; }
wait_until 5 removals_are 2
[ "$(field v-a state)" != established ] || fail "established after the card left"
dev open attach:v-a "xfer:$SELECT_0101" sw:9000

smchan-nl del v-a
expect_event "v-a channel-del"

# A start the card refuses: SESSION_START's reply and its session-failed
# event carry the same id, the event and the channel the error.
K2=$E2E_TMP/key2
mkkey "$K2"
new_channel v-b key-file "$K"
start_loopback "$E2E_TMP/lb3.log" v-b="$K2"
smchan-nl --expect EKEYREJECTED start v-b >/dev/null
expect_event "v-b session-failed id=[0-9]+ error=EKEYREJECTED"
expect_field v-b state failed
smchan-nl get v-b | grep -q ' error=EKEYREJECTED' || {
	smchan-nl get v-b
	fail "get does not say why the start failed"
}
say "$(wc -l <"$EV") events"
say ok
