#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/qemu/usb-faults.sh: what a user of a USB CCID reader meets, in a
# qemu guest on Debian's kernel (tests/qemu-run --usb 1, smchan.ko loaded):
# the guest's xhci_hcd, pcscd + libccid, smchanctl relay, and smchan-vcard
# --vscard behind qemu's usb-ccid reader (T=0 only).
#
#   1. T=0 and the SM layer's own chaining together: a 256-byte READ
#      BINARY, whose 291-byte protected answer comes as 61 00 (T=0: the
#      card cannot send data to a case-4 command) + GET RESPONSE, then
#      256 bytes + 61 23 (SM chaining) + GET RESPONSE; 255 bytes too;
#   2. the card pulled with a command in flight (VSC_CardRemove), and put
#      back (VSC_ATR);
#   3. the reader unplugged in the middle of a session (QMP device_del),
#      and plugged back (device_add).
# For 2 and 3: the application gets a documented errno (ENOMEDIUM, ENXIO,
# EIO), the relay says what happened, the session ends, the first
# command after the reinsertion establishes a new one, and the card image
# holds exactly the confirmed writes, plus at most the one whose outcome
# was unknown (tests/relay/session.py check-cut).
# Prints "ok:"/"FAIL:" per check and "RESULT <passed> <failed>" last.
set -uo pipefail
top=${SMCHAN_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/relay/lib.sh"
[ -n "$USB" ] || rfail "needs USB readers: tests/qemu-run --usb 1 -- $0"
trap relay_finish EXIT
hostctl() { "$top/tests/qemu/hostctl" "$@" >/dev/null; }
json() { smchanctl show "$1" --json | sed -n "s/.*\"$2\": \"*\([a-z0-9-]*\).*/\1/p"; }

start_pcscd
new_card u 16
start_card u 0
start_relay
add_channel u 0
ready u
ok "a channel on qemu's USB CCID reader: bound, a command went through"

# 1. T=0 under SM chaining
expect() { # expect OFF LEN: the EF 5F02 bytes of a new card, i mod 251
	local i s=
	for ((i = $1; i < $1 + $2; i++)); do
		s+=$(printf '%02X' $((i % 251)))
	done
	echo "$s 9000"
}
lines=$(wc -l <"$R_TMP/u.log")
out=$(smchanctl apdu u 00A4080C045F005F02 00B0000000 00B00100FF 2>&1)
want=$(printf '9000\n%s\n%s' "$(expect 0 256)" "$(expect 256 255)")
gr=$(tail -n +"$((lines + 1))" "$R_TMP/u.log" | grep -c 'ins=C0')
if [ "$out" != "$want" ]; then
	bad "256 and 255 bytes read under T=0 + SM chaining: $(head -c 200 <<<"$out")"
elif [ "$gr" -lt 2 ]; then
	bad "the protected answers were not chained (the card saw $gr GET RESPONSE)"
else
	ok "256 + 255 bytes read: T=0's 61 xx and the SM layer's chain nest ($gr SM GET RESPONSEs at the card)"
fi

answered() { [ "$(wc -l <"$1")" -ge "$2" ]; }

# cut TAG FAULT RESTORE WHAT: a session of 400 commands; FAULT after 30
# answers; checks the error, the end of the session, the new session
# after RESTORE, and the card image.
cut() {
	local fault=$2 restore=$3 what=$4 p=$R_TMP/u-$1 pid k err s0 s1 i
	"$top/tests/relay/session.py" gen "$R_TMP/u.img" "$RANDOM" 400 "$p" || rfail "session.py gen"
	s0=$(json u sessions)
	# shellcheck disable=SC2046
	smchanctl apdu u $(cat "$p.cmds") >"$p.out" 2>"$p.err" &
	pid=$!
	wait_for 60 answered "$p.out" 30 ||
		bad "$what: the session did not get going ($(cat "$p.err"))"
	$fault || bad "$what: the fault was not injected"
	if timeout 60 tail --pid="$pid" -f /dev/null; then
		wait "$pid"
		i=$?
	else
		kill "$pid"
		i=124
	fi
	k=$(wc -l <"$p.out")
	err=$(cat "$p.err")
	case $i:$err in
	0:*) bad "$what: all 400 commands went through" ;;
	*ENOMEDIUM* | *ENXIO* | *EIO*) ok "$what after $k answers: the application got $(grep -o '(E[A-Z]*)' <<<"$err" | head -n 1) ${err##*: }" ;;
	*) bad "$what: exit $i after $k answers: $err" ;;
	esac
	if [ "$(json u state)" = established ]; then
		bad "$what: the session survived"
	fi
	$restore || bad "$what: could not undo the fault"
	if wait_for 30 smchanctl apdu u 00A4000C023F00; then
		s1=$(json u sessions)
		if [ "$s1" -gt "$s0" ]; then
			ok "$what, then undone: a new session ($s0 -> $s1 sessions), commands go through"
		else
			bad "$what: no new session ($s0 -> $s1)"
		fi
	else
		bad "$what, then undone: no command went through ($(smchanctl apdu u 00A4000C023F00 2>&1))"
	fi
	if out=$("$top/tests/relay/session.py" check-cut "$R_TMP/u.img" "$p" "$k"); then
		ok "$what: the card image holds $out"
	else
		bad "$what: data lost or torn: $out"
	fi
}

# The card pulled while it works on a command: it leaves with the next
# command it gets ("remove-next"), which it fails. qemu's reader would
# swallow that command's answer at the removal; the card fails it first
# (userspace/vcard/vscard.c).
card_out() { hostctl card-remove-in-flight 0; }
card_in() { hostctl card-insert 0; }
cut card card_out card_in "the card pulled with a command in flight"
if grep -q 'vscard: apdu while removed: error' "$R_TMP/u.log"; then
	ok "the command in flight failed at the card, before the removal"
else
	bad "no command was in flight when the card was pulled"
fi
wait_for 180 grep -q 'u: card removed' "$R_TMP/relay.log" && ok "the relay said the card was removed" ||
	bad "the relay did not say the card was removed"

reader_out() { hostctl reader-unplug 0; }
reader_in() { hostctl reader-plug 0; }
n0=$(grep -c "is gone" "$R_TMP/relay.log")
cut reader reader_out reader_in "the reader unplugged mid-session"
if [ "$(grep -c "is gone" "$R_TMP/relay.log")" -gt "$n0" ]; then
	ok "the relay said the reader was gone"
else
	bad "the relay did not notice the reader going ($(tail -3 "$R_TMP/relay.log" | tr '\n' ';'))"
fi
[ "$failed" = 0 ]
