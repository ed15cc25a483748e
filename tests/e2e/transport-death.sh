#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The transport dies in the middle of a command, then a new one binds.
#
#   smchan-dev --/dev/smchan--> smchan.ko --TRANSMIT--> smchan-loopback #1
#                                                        (exits on request 4)
#                                         --TRANSMIT--> smchan-loopback #2
#
# The command in flight fails with EPIPE, the channel shows no transport,
# the next command fails with EPIPE at once; after a new transport binds,
# commands work again (a new session). Also: an explicit TRANSPORT_UNBIND,
# a transport error answer, and a card reported absent.

set -euo pipefail
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

K=$E2E_TMP/key
mkkey "$K"
new_channel d-a key-file "$K"

# Requests: 1 GET CHALLENGE, 2 INITIALIZE SESSION, 3 SELECT, 4 READ.
start_loopback "$E2E_TMP/lb1.log" --exit-after 4 d-a="$K"
dev open attach:d-a "xfer:$SELECT_0101" sw:9000 err:EPIPE "xfer:$(read_apdu 0 16)"
wait_until 5 sh -c "! kill -0 $LOOPBACK_PID"
grep -q 'request 4: exiting' "$E2E_TMP/lb1.log" || fail "the transport did not die on request 4"
expect_field d-a transport 0
[ "$(field d-a state)" != established ] || fail "the session survived its transport"
dev open attach:d-a err:EPIPE "xfer:$SELECT_0101"

start_loopback "$E2E_TMP/lb2.log" d-a="$K"
expect_field d-a transport 1
dev open attach:d-a "xfer:$SELECT_0101" sw:9000 \
	"xfer:$(read_apdu 0 16)" "data:$(pattern_hex 0 16)"
expect_field d-a state established
expect_field d-a sessions 2

# Only the transport's own socket can unbind it (ENOTCONN otherwise).
smchan-nl --expect ENOTCONN unbind d-a >/dev/null
stop_pid "$LOOPBACK_PID"
expect_field d-a transport 0
dev open attach:d-a err:EPIPE "xfer:$SELECT_0101"

# A transport that unbinds itself (after request 3: the first command of
# a new session); the process lives on, the channel has no transport.
start_loopback "$E2E_TMP/lbu.log" --unbind-after 3 d-a="$K"
dev open attach:d-a "xfer:$SELECT_0101" sw:9000
wait_until 5 grep -q 'unbind: ok' "$E2E_TMP/lbu.log"
expect_field d-a transport 0
dev open attach:d-a err:EPIPE "xfer:$SELECT_0101"
stop_pid "$LOOPBACK_PID"

# A transport that answers with an error: the command fails (errno
# reported in the log, EIO expected to come through as EIO or EPIPE).
start_loopback "$E2E_TMP/lb3.log" --error 1:EIO d-a="$K"
out=$(smchan-dev open attach:d-a "xfer:$SELECT_0101" 2>&1) && fail "a transport error did not fail the command"
say "transport error EIO -> ${out##*failed: }"
stop_pid "$LOOPBACK_PID"

# A card reported absent: every request answered ENXIO.
start_loopback "$E2E_TMP/lb4.log" --card-absent d-a="$K"
out=$(smchan-dev open attach:d-a "xfer:$SELECT_0101" 2>&1) && fail "no card, yet the command worked"
say "no card -> ${out##*failed: }"
stop_pid "$LOOPBACK_PID"

# And recovery once more.
start_loopback "$E2E_TMP/lb5.log" d-a="$K"
dev open attach:d-a "xfer:$SELECT_0101" sw:9000
say ok
stop_pid "$LOOPBACK_PID"

# A hostile transport's error values: only the documented set reaches the
# application; kernel-internal codes (ERESTARTSYS 512, which would make a
# read() restart after its answer was consumed), EAGAIN from a blocking
# read, or anything else become EIO. Request 3 is the SELECT.
for e in 512 EAGAIN EINTR ENODEV 4095; do
	start_loopback "$E2E_TMP/lbe.log" --error "3:$e" d-a="$K"
	dev open attach:d-a err:EIO "xfer:$SELECT_0101"
	stop_pid "$LOOPBACK_PID"
done
for e in ENXIO ENOMEDIUM ETIMEDOUT; do
	start_loopback "$E2E_TMP/lbe.log" --error "3:$e" d-a="$K"
	dev open attach:d-a "err:$e" "xfer:$SELECT_0101"
	stop_pid "$LOOPBACK_PID"
done
