#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end through the real chain, inside UML (tests/relay/run.sh boots
# it): smchan.ko, smchanctl relay, pcscd with the vpcd driver, two
# smchan-vcard cards (AES-128 in slot 0, AES-256 in slot 1), and
# `smchanctl apdu` as the application.
#
#   1. every mode and suite: random sessions on both channels at once,
#      answers and the card image checked against a model;
#   2. 1,000-command sessions, one with a rekey limit;
#   3. the card removed and reinserted: a clean error, then it works;
#   4. the relay restarted;  5. pcscd restarted;
#   6. the C example of Documentation/admin-guide.rst;
#   7. a channel whose reader does not exist is not bound, and said so once;
#   8. without CAP_NET_ADMIN the relay says so once and exits non-zero;
#   9. events lost (a tiny socket buffer): the relay lists and binds anyway;
#  10. a command whose time is up never reaches the card;
#  11. the module reloaded under the running relay: new channels served,
#      also when the relay reads of the family's return only after it
#      has gone again (the relay stopped while the module came and went).
# Prints "ok:"/"FAIL:" per check and "RESULT <passed> <failed>" last.
#
# Environment: RELAY_N (commands per mode session, default 1000), RELAY_LONG
# (the long sessions, default 1000).
set -uo pipefail
top=${SMCHAN_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/relay/lib.sh"
N=${RELAY_N:-1000}
LONG=${RELAY_LONG:-1000}
seed=$RANDOM
trap relay_finish EXIT

start_pcscd
new_card c128 16
new_card c256 32
start_card c128 0
start_card c256 1
start_relay
add_channel c128 0
add_channel c256 1
ready c128
ready c256
ok "relay bound two channels on two readers; first commands went through"
# The card's ATR as the relay reported it: smchan-vcard's T=1 ATR behind
# vpcd (userspace/vcard/vpcd.c), its T=0 one behind qemu's USB reader.
ATR=3B858111FE807330214049
[ -z "$USB" ] || ATR=3B058073302100
if [[ $(smchanctl show c128) == *"card: present, ATR $ATR"* ]] &&
	[[ $(smchanctl show c256 --json) == *'"card-present": true, "atr": "'$ATR'"'* ]]; then
	ok "smchanctl show: the card present, with the ATR its reader read ($ATR)"
else
	bad "smchanctl show: no card or a wrong ATR: $(smchanctl show c128 | grep card:)"
fi

# 1. every mode and suite, two channels at once
for mode in ratchet xor list opkey; do
	smchanctl channel set c128 mode "$mode" 2>/dev/null
	smchanctl channel set c256 mode "$mode" 2>/dev/null
	t0=$SECONDS
	if both "$mode" "$N"; then
		ok "mode $mode, aes128 and aes256 at once: 2 x $N commands, answers and images match ($((SECONDS - t0)) s)"
	else
		bad "mode $mode"
	fi
done

# 2. long sessions; c256 re-initialises every 100 commands
smchanctl channel set c128 mode ratchet
smchanctl channel set c256 mode ratchet rekey-limit 100
reinits0=$(smchanctl show c256 --json | sed -n 's/.*"reinits": \([0-9]*\).*/\1/p')
t0=$SECONDS
if both long "$LONG"; then
	ok "2 x $LONG-command ratchet sessions, answers and images match ($((SECONDS - t0)) s)"
else
	bad "$LONG-command sessions"
fi
reinits=$(smchanctl show c256 --json | sed -n 's/.*"reinits": \([0-9]*\).*/\1/p')
if [ $((reinits - reinits0)) -ge $(((LONG - 1) / 100)) ] && [ "$reinits" -gt "$reinits0" ]; then
	ok "rekey limit 100: $((reinits - reinits0)) re-initialisations through the relay"
else
	bad "rekey limit: $reinits0 -> $reinits re-initialisations"
fi
smchanctl channel set c256 rekey-limit 4096

# 3. the card removed mid-run and reinserted
smchanctl apdu c128 00A4000C023F00 >/dev/null
remove_card c128
wait_for 10 grep -q 'c128: card removed' "$R_TMP/relay.log" ||
	bad "the relay did not see the card go"
err=$(smchanctl apdu c128 00A4000C023F00 2>&1) && bad "a command worked without the card: $err"
case $err in
*ENOMEDIUM* | *ENXIO* | *ENODEV*) ok "card removed: the application got a clean error (${err#*: })" ;;
*) bad "card removed: unexpected answer: $err" ;;
esac
show=$(smchanctl show c128)
if [[ $show == *'state: established'* ]]; then
	bad "the session survived the card's removal"
else
	ok "the session ended with the card's removal"
fi
if [[ $show == *$'\n  card: absent\n'* ]]; then
	ok "smchanctl show: the card absent"
else
	bad "smchanctl show: the card not absent: $(grep card: <<<"$show")"
fi
start_card c128 0
if wait_for 20 smchanctl apdu c128 00A4000C023F00 && session c128 100 reinsert; then
	ok "card reinserted: a new session, 100 commands, image matches"
else
	bad "after reinsertion: $(cat "$R_TMP/c128-reinsert.why" 2>/dev/null)"
fi

# 4. the relay restarted
stop_relay
err=$(smchanctl apdu c256 00A4000C023F00 2>&1) && bad "a command worked without the relay"
case $err in
*EPIPE*) ok "relay stopped: the application got EPIPE" ;;
*) bad "relay stopped: unexpected answer: $err" ;;
esac
start_relay
ready c128
ready c256
if both relay 100; then
	ok "relay restarted: both channels work again"
else
	bad "after the relay restart"
fi

# 5. pcscd restarted
stop_pcscd
err=$(timeout 30 smchanctl apdu c128 00A4000C023F00 2>&1) && bad "a command worked without pcscd"
[ -n "$err" ] && ok "pcscd stopped: the application got an error (${err#*: })"
start_pcscd
if wait_for 30 smchanctl apdu c128 00A4000C023F00 && wait_for 30 smchanctl apdu c256 00A4000C023F00 &&
	both pcscd 100; then
	ok "pcscd restarted: the relay re-established its contexts, both channels work"
else
	bad "after the pcscd restart"
fi

# 6. the application example
if out=$(smchan-example c256 2>&1) && [ "$out" = "read back: example: it work" ]; then
	ok "the C example of the admin guide: $out"
else
	bad "smchan-example: $out"
fi

# 6b. smchanctl bench: through /dev/smchan, then plain PC/SC beside it,
# which an exclusive relay refuses and a --shared one allows.
out=$(smchanctl bench c256 -n 30 2>&1)
if [[ $out == *$'\nsmchan  30 commands in '*'p99 '* ]] &&
	[[ $out == *$'\nplain   not measured: the relay holds'* ]]; then
	ok "smchanctl bench: 30 commands through /dev/smchan; plain PC/SC refused while the relay holds the reader"
else
	bad "smchanctl bench (exclusive relay): $out"
fi
stop_relay
smchanctl relay --foreground --shared >>"$R_TMP/relay.log" 2>&1 &
RELAY_PID=$!
R_PIDS+=("$RELAY_PID")
wait_for 20 is_bound c256 || bad "the --shared relay did not bind c256"
out=$(smchanctl bench c256 -n 30 2>&1)
if [[ $out == *$'\nsmchan  30 commands in '* ]] && [[ $out == *$'\nplain   30 commands in '* ]] &&
	[[ $out == *$'\nratio   smchan/plain throughput '* ]]; then
	ok "smchanctl bench beside a --shared relay: $(grep ^ratio <<<"$out")"
else
	bad "smchanctl bench (--shared relay): $out"
fi
err=$(smchanctl bench nosuch -n 3 2>&1) && bad "smchanctl bench on no channel succeeded"
[[ $err == *"nosuch"* ]] || bad "smchanctl bench on no channel: $err"
stop_relay
start_relay
ready c128
ready c256

# 7. a reader that does not exist: not bound, said once
smchanctl channel add nordr reader "No Such Reader" key-file "$R_TMP/c128.key" ||
	rfail "channel add nordr"
R_CHANNELS+=(nordr)
sleep 4
said=$(grep -c "nordr: reader \`No Such Reader' is not present" "$R_TMP/relay.log")
if is_bound nordr; then
	bad "the relay bound a channel whose reader does not exist"
elif [ "$said" != 1 ]; then
	bad "the missing reader was said $said times"
else
	ok "a channel whose reader does not exist stays unbound; said once"
fi
smchanctl channel del nordr

# 8. no CAP_NET_ADMIN
out=$(timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	--bounding-set=-all smchanctl relay --foreground 2>&1)
rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ "$(grep -c CAP_NET_ADMIN <<<"$out")" = 1 ] &&
	[ "$(wc -l <<<"$out")" = 1 ]; then
	ok "without CAP_NET_ADMIN: exit $rc, one line: $out"
else
	bad "without CAP_NET_ADMIN: exit $rc, $(wc -l <<<"$out") lines: $(head -c 300 <<<"$out")"
fi

# 9. events lost: the relay's event socket gets a tiny buffer, misses
# CHANNEL_NEW and must find the channel by listing.
rmem=$(cat /proc/sys/net/core/rmem_max)
stop_relay
echo 4096 >/proc/sys/net/core/rmem_max
start_relay
wait_for 20 is_bound c128 && wait_for 20 is_bound c256 || bad "the relay did not come back"
echo "$rmem" >/proc/sys/net/core/rmem_max
kill -STOP "$RELAY_PID"
for i in $(seq 1 12); do
	smchanctl channel add "ev$i" reader "$(reader_name 0)" key-file "$R_TMP/c128.key" >/dev/null ||
		rfail "channel add ev$i"
	R_CHANNELS+=("ev$i")
done
for i in $(seq 1 11); do
	smchanctl channel del "ev$i"
done
kill -CONT "$RELAY_PID"
if wait_for 20 grep -q 'events lost' "$R_TMP/relay.log" && wait_for 20 is_bound ev12; then
	ok "events lost (ENOBUFS): the relay listed the channels and bound the new one"
else
	bad "after lost events: $(grep -c 'events lost' "$R_TMP/relay.log") ENOBUFS seen; ev12 bound: $(is_bound ev12 && echo yes || echo no)"
fi
smchanctl channel del ev12
stop_relay
start_relay
ready c128
ready c256

# 10. a command whose deadline passed while the relay waited for the card
# (stopped) is answered ETIMEDOUT and never sent to it.
to=$(smchanctl show c128 --json | sed -n 's/.*"timeout": \([0-9]*\).*/\1/p')
smchanctl channel set c128 timeout 1000
sleep 2.5	# the relay reads the channel's timeout every 2 s
smchanctl apdu c128 00A4000C023F00 >/dev/null || bad "c128 before the deadline test"
pause_card c128
lines=$(wc -l <"$R_TMP/c128.log")
e1=$(timeout 20 smchanctl apdu c128 00A4000C023F00 2>&1)
e2=$(timeout 20 smchanctl apdu c128 00A4000C023F00 2>&1)
sleep 1
resume_card c128
sleep 3
late=$(tail -n +"$((lines + 1))" "$R_TMP/c128.log")
if [[ $e1 != *ETIMEDOUT* ]] || [[ $e2 != *ETIMEDOUT* ]]; then
	bad "card stopped: the application did not get ETIMEDOUT: $e1 / $e2"
elif [ "$(grep -c . <<<"$late")" -gt 1 ] || grep -q 'ins=84' <<<"$late"; then
	bad "commands reached the card after their deadline: $(tr '\n' ';' <<<"$late")"
elif ! grep -q 'expired before it reached the card' "$R_TMP/relay.log"; then
	bad "the relay did not say it refused an expired command"
else
	ok "a command whose time was up was answered ETIMEDOUT and never reached the card (card saw: $(tr '\n' ';' <<<"$late"))"
fi
smchanctl channel set c128 timeout "${to:-5000}"
wait_for 20 smchanctl apdu c128 00A4000C023F00 || bad "c128 after the deadline test"

# 11. the module reloaded under the running relay
if [ -n "${SMCHAN_KO:-}" ]; then
	pid=$RELAY_PID
	kill -STOP "$pid"
	rmmod smchan || bad "rmmod smchan"
	insmod "$SMCHAN_KO" || rfail "insmod $SMCHAN_KO"
	rmmod smchan || bad "rmmod smchan (again)"
	kill -CONT "$pid"
	# It reads of the family's return only now, when it has gone again.
	if wait_for 10 grep -q 'is back, but: No such file or directory; trying again' "$R_TMP/relay.log"; then
		ok "the family's return read after it had gone again: the relay went on"
	else
		bad "the relay did not see the family come back after it had gone: $(grep -i module "$R_TMP/relay.log" | tail -4 | tr '\n' ';')"
	fi
	insmod "$SMCHAN_KO" || rfail "insmod $SMCHAN_KO"
	add_channel c128 0
	add_channel c256 1
	if wait_for 20 is_bound c128 && wait_for 20 is_bound c256 &&
		wait_for 20 smchanctl apdu c128 00A4000C023F00 && kill -0 "$pid" 2>/dev/null &&
		both reload 50; then
		ok "module reloaded: the same relay serves the new channels"
	else
		bad "after the module reload: bound c128 $(is_bound c128 && echo yes || echo no); relay $(kill -0 "$pid" 2>/dev/null && echo running || echo gone)"
	fi
fi

# The relay never logged plaintext: no written data appears in its log.
data=$(grep -m1 '^00D[06]' "$R_TMP/c128-long.cmds" | cut -c11-42)
if [ -z "$data" ] || grep -qi "$data" "$R_TMP/relay.log"; then
	bad "the relay log holds command data"
else
	ok "the relay log holds no command data"
fi
[ "$failed" = 0 ]
