#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Every errno of /dev/smchan, provoked and checked.
#
#   smchan-dev --/dev/smchan--> smchan.ko --netlink--> smchan-loopback (vcard)
#                                   (some steps with no transport at all,
#                                    or one that drops/corrupts on purpose)
#
# EBADFD write/read before attach     ENOENT attach to an unknown channel
# EINVAL malformed APDU, non-plain CLA, over-long name in attach
# EMSGSIZE data over the mode's limit; read buffer too small (then the
#          answer is still there for a larger read)
# EBUSY  second write before the read; attach with a command in flight
# EAGAIN O_NONBLOCK read before the answer; poll POLLIN/POLLOUT
# ENODATA read with nothing written  ENOTTY unknown ioctl (via attach of
#          nothing: not reachable from the client, skipped)
# ESPIPE lseek                        ENOTCONN no session, auto-establish off
# EPIPE  no transport bound           ETIMEDOUT the transport never answers
# EBADMSG a corrupted response, and the session is over afterwards
# ENODEV the channel deleted under an open, attached file

set -euo pipefail
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

K=$E2E_TMP/key
mkkey "$K"

# --- before and around attach ----------------------------------------------
new_channel e-basic key-file "$K"
dev open err:EBADFD "write:$SELECT_0101" err:EBADFD read
dev open err:ENOENT attach:e-nosuch
dev open err:EINVAL attach:0123456789abcdef	# 16 bytes: no room for NUL
dev open attach:e-basic err:ENODATA read
dev open err:ESPIPE seek

# --- refused at write: no transport yet -------------------------------------
dev open attach:e-basic err:EPIPE "write:$SELECT_0101"
dev open attach:e-basic err:EINVAL write:00A4 err:EINVAL write: \
	err:EINVAL write:00A4000C0201 err:EINVAL "write:0CA4000C020101" \
	err:EINVAL "write:20A4000C020101" err:EINVAL "write:E0A4000C020101"
# 65503 bytes of data is the most in ratchet; 65504 is too many.
dev open attach:e-basic err:EMSGSIZE write-gen:00D60000:65504
new_channel e-list mode list key-file "$K"
dev open attach:e-list err:EMSGSIZE write-gen:00D60000:65503

start_loopback "$E2E_TMP/basic.log" e-basic="$K" e-list="$K"
# ... and the largest command that fits goes through (the card says the
# write runs past the end of EF 0101).
dev open attach:e-basic "xfer:$SELECT_0101" sw:9000 \
	write-gen:00D60000:65503 read sw:6A84
dev open attach:e-list "xfer:$SELECT_0101" sw:9000 \
	write-gen:00D60000:65502 read sw:6A84

# With Le > 256 the protected command needs 16 bytes more than the
# TRANSMIT attribute holds at those sizes: the most is 65487 bytes
# (xor, ratchet) or 65486 (list, opkey: a selector byte more). The
# largest goes through whole in every mode; one byte more is EMSGSIZE.
for m in xor list opkey ratchet; do
	new_channel "e-big-$m" mode "$m" key-file "$K"
done
stop_pid "$LOOPBACK_PID"
start_loopback "$E2E_TMP/big.log" e-basic="$K" e-list="$K" \
	e-big-xor="$K" e-big-list="$K" e-big-opkey="$K" e-big-ratchet="$K"
for m in xor list opkey ratchet; do
	max=65487
	[ "$m" = list ] || [ "$m" = opkey ] && max=65486
	dev open "attach:e-big-$m" "xfer:$SELECT_0101" sw:9000 \
		"write-gen:00D60000:$max:257" read sw:6A84 \
		err:EMSGSIZE "write-gen:00D60000:$((max + 1)):257" \
		err:EMSGSIZE write-gen:00D60000:65503:65536 \
		"write-gen:00D60000:$((max + 16)):256" read sw:6A84
done
expect_field e-big-ratchet state established

# --- one command per file --------------------------------------------------
dev open attach:e-basic "write:$SELECT_0101" err:EBUSY "write:$SELECT_0101" \
	err:EBUSY attach:e-basic read sw:9000
# A read buffer too small keeps the answer for a larger read.
dev open attach:e-basic "xfer:$SELECT_0101" "write:$(read_apdu 0 256)" \
	err:EMSGSIZE read:10 err:EMSGSIZE read:257 read:258 len:258
stop_pid "$LOOPBACK_PID"

# --- O_NONBLOCK and poll, with a slow transport ------------------------------
# POLLOUT only when a write is possible: not while a command is queued,
# nor while its answer waits to be read.
start_loopback "$E2E_TMP/slow.log" --delay 400 e-basic="$K"
dev open-nb attach:e-basic pollout:0 nopollin:0 "write:$SELECT_0101" \
	nopollout:0 err:EAGAIN read nopollin:100 pollin:5000 nopollout:0 \
	err:EBUSY "write:$SELECT_0101" read sw:9000 pollout:0 nopollin:0
stop_pid "$LOOPBACK_PID"

# --- ENOTCONN: no session and auto-establish off -----------------------------
new_channel e-manual auto 0 key-file "$K"
start_loopback "$E2E_TMP/manual.log" e-manual="$K"
dev open attach:e-manual err:ENOTCONN "xfer:$SELECT_0101"
smchan-nl start e-manual
expect_field e-manual state established
dev open attach:e-manual "xfer:$SELECT_0101" sw:9000
smchan-nl stop e-manual
expect_field e-manual state idle
dev open attach:e-manual err:ENOTCONN "xfer:$SELECT_0101"
stop_pid "$LOOPBACK_PID"

# --- ETIMEDOUT: the transport never answers ---------------------------------
# (1.5 s: the answered requests around the dropped one must not time out
# on a loaded machine with the debug kernel.)
smchan-nl set e-basic timeout 1500 >/dev/null
# Requests 1-2 establish the session, 3 is the SELECT: dropped.
start_loopback "$E2E_TMP/drop.log" --drop 3 e-basic="$K"
dev open attach:e-basic err:ETIMEDOUT "xfer:$SELECT_0101"
expect_field e-basic state failed
# The next command starts a new session.
dev open attach:e-basic "xfer:$SELECT_0101" sw:9000
expect_field e-basic state established
stop_pid "$LOOPBACK_PID"
smchan-nl set e-basic timeout 5000 >/dev/null

# --- EBADMSG: a response that fails verification -----------------------------
smchan-nl stop e-basic
start_loopback "$E2E_TMP/corrupt.log" --corrupt 4 e-basic="$K"
dev open attach:e-basic "xfer:$SELECT_0101" sw:9000 \
	err:EBADMSG "xfer:$(read_apdu 0 16)"
expect_field e-basic state failed
expect_field e-basic sm_failures 1
dev open attach:e-basic "xfer:$SELECT_0101" sw:9000 \
	"xfer:$(read_apdu 0 16)" "data:$(pattern_hex 0 16)"
stop_pid "$LOOPBACK_PID"

# --- ENODEV: the channel deleted under an open file -------------------------
new_channel e-gone key-file "$K"
start_loopback "$E2E_TMP/gone.log" e-gone="$K"
smchan-dev open attach:e-gone "xfer:$SELECT_0101" sw:9000 \
	"touch:$E2E_TMP/attached" "wait:$E2E_TMP/deleted:10000" \
	err:ENODEV "write:$SELECT_0101" err:ENODEV read \
	>"$E2E_TMP/gone.dev" 2>&1 &
client=$!
E2E_PIDS+=("$client")
wait_until 10 test -e "$E2E_TMP/attached"
smchan-nl del e-gone
touch "$E2E_TMP/deleted"
wait "$client" || { cat "$E2E_TMP/gone.dev"; fail "ENODEV after deletion"; }
smchan-nl --expect ENOENT get e-gone >/dev/null
say ok
