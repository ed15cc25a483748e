#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark inside UML (tests/bench/run.sh boots it): a private pcscd
# with two vpcd readers (the second a copy of the driver, so that it has
# its own slots), three smchan-vcard cards and the relay:
#
#   slot "Virtual PCD 00 00"   card a  <- relay <- /dev/smchan channel a  (A)
#   slot "Virtual PCD 00 01"   card b  <- smchan-bench's own terminal     (B)
#   slot "Virtual PCD C 00 00" card c  <- smchan-bench, plain commands    (C)
#
# B and C need a card each: a plain command ends a card's session.  Then
# userspace/tests/bench.c measures A, B, C interleaved, once per card
# model, mode and data size: the cards instant, then all three with
# smchan-vcard --latency t1 (a T=1 card at 445 kbit/s); the four modes;
# 0, 16, 128, 255 and 1,024 (extended) bytes.  Then, outside the
# measurement and with instant cards, where A's time goes: the relay's
# own clock (SMCHAN_RELAY_STATS) and strace -c of the relay.
#
# Environment: SMCHAN_BENCH_N (default 1000), SMCHAN_BENCH_WARMUP (100),
# SMCHAN_BENCH_MODES ("ratchet xor list opkey"), SMCHAN_BENCH_SIZES ("0 16 128 255
# 1024"), SMCHAN_BENCH_CARDS ("instant t1": instant, or a --latency
# MODEL of smchan-vcard(1)), SMCHAN_BENCH_RELAY (relay options,
# e.g. --shared), SMCHAN_BENCH_RELAY_BIN (the smchanctl that relays, for
# before/after figures), SMCHAN_BENCH_OUT (results file), SMCHAN_BENCH_TAG,
# SMCHAN_BENCH_PROFILE (0: skip the breakdown).
set -uo pipefail
top=${SMCHAN_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/relay/lib.sh"
N=${SMCHAN_BENCH_N:-1000}
W=${SMCHAN_BENCH_WARMUP:-100}
MODES=${SMCHAN_BENCH_MODES:-ratchet xor list opkey}
SIZES=${SMCHAN_BENCH_SIZES:-0 16 128 255 1024}
CARDS=${SMCHAN_BENCH_CARDS:-instant t1}
OUT=${SMCHAN_BENCH_OUT:-$R_TMP/results.txt}
TAG=${SMCHAN_BENCH_TAG:-uml}
trap relay_cleanup EXIT

start_pcscd3() {
	cp "$VPCD_DRIVER" "$R_TMP/libifdvpcd-c.so"
	cat >"$R_TMP/reader.conf" <<CONF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:$VPCD_PORT
LIBPATH      $VPCD_DRIVER

FRIENDLYNAME "Virtual PCD C"
DEVICENAME   /dev/null:$((VPCD_PORT + 2))
LIBPATH      $R_TMP/libifdvpcd-c.so
CONF
	mkdir -p /run/pcscd
	rm -f /run/pcscd/pcscd.comm
	pcscd -f -c "$R_TMP/reader.conf" >>"$R_TMP/pcscd.log" 2>&1 &
	PCSCD_PID=$!
	R_PIDS+=("$PCSCD_PID")
	wait_for 10 test -S /run/pcscd/pcscd.comm || rfail "pcscd did not start ($(tail -3 "$R_TMP/pcscd.log"))"
}

# switches PID...: each process's context switches so far, all threads.
switches() {
	local p
	for p in "$@"; do
		cat /proc/"$p"/task/*/status 2>/dev/null |
			awk '/ctxt_switches/ { n += $2 } END { printf "%d ", n }'
	done
}

# kworkers: the context switches of every kworker so far (the channel
# worker's hop, if a command takes it, is one of them).
kworkers() {
	local d c
	for d in /proc/[0-9]*; do
		read -r c <"$d/comm" 2>/dev/null || continue
		case $c in kworker*) cat "$d/status" 2>/dev/null ;; esac
	done | awk '/ctxt_switches/ { n += $2 } END { printf "%d", n }'
}

# counted CMD...: runs CMD and prints "<its context switches> <its exit
# status> <its wall time in us>", from its rusage and a clock around it.
counted() {
	python3 -c '
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
t = time.monotonic() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(u.ru_nvcsw + u.ru_nivcsw, rc, int(t * 1e6))' "$@"
}

has_card() { smchan-bench -l 2>/dev/null | grep -qx "$1"; }

{
	echo "# $TAG $(date -u +%FT%TZ) N=$N warmup=$W relay=${SMCHAN_BENCH_RELAY:-default} cards=\"$CARDS\" modes=\"$MODES\" sizes=\"$SIZES\""
	echo "# $(uname -r), $(nproc) CPU; ${SMCHAN_BENCH_HOST:-}"
} >>"$OUT"
start_pcscd3
for c in a b c; do new_card "$c" 16; done
start_card a 0
start_card b 1
start_card c 2
CARD_MODEL=instant
# use_cards MODEL: the three cards restarted as instant cards or with
# smchan-vcard --latency MODEL (their images, and so MKEY, unchanged); the
# relay sees card a go and come back, and A's channel starts a new session.
use_cards() {
	local c
	[ "$1" != "$CARD_MODEL" ] || return 0
	for c in a b c; do remove_card "$c"; done
	wait_for 10 grep -q 'a: card removed' "$R_TMP/relay.log" || :
	local opt=()
	[ "$1" = instant ] || opt=(--latency "$1")
	start_card a 0 "${opt[@]}"
	start_card b 1 "${opt[@]}"
	start_card c 2 "${opt[@]}"
	CARD_MODEL=$1
	ready a
}
# bench_relay 0|1: the relay, with its own clock (SMCHAN_RELAY_STATS) or
# without (its clock_gettime calls are system calls in UML: not while
# measuring).
bench_relay() {
	# shellcheck disable=SC2086
	SMCHAN_RELAY_STATS=$1 "${SMCHAN_BENCH_RELAY_BIN:-smchanctl}" relay --foreground \
		${SMCHAN_BENCH_RELAY:-} >>"$R_TMP/relay.log" 2>&1 &
	RELAY_PID=$!
	R_PIDS+=("$RELAY_PID")
}
bench_relay 0
add_channel a 0
ready a
RB="Virtual PCD 00 01" RC="Virtual PCD C 00 00"
wait_for 20 has_card "$RC" || rfail "no reader \`$RC' ($(smchan-bench -l 2>&1 | tr '\n' ';'))"
rc=0
for card in $CARDS; do
	use_cards "$card"
	for mode in $MODES; do
		smchanctl channel set a mode "$mode" || rfail "channel set mode $mode"
		smchanctl apdu a 00A4000C023F00 >/dev/null || rfail "first command in $mode"
		for size in $SIZES; do
			rsay "card $card, mode $mode, $size bytes: A, B, C interleaved, $N each after $W warm-up"
			if ! smchan-bench -a a -b "$RB" -k "$R_TMP/b.key" -c "$RC" -m "$mode" \
				-n "$N" -w "$W" -s "$size" -o "$OUT" \
				-t "run=$TAG card=$card mode=$mode" 2>"$R_TMP/bench.err"; then
				rc=1
				echo "run=$TAG card=$card mode=$mode size=$size FAILED: $(tail -n 1 "$R_TMP/bench.err")" |
					tee -a "$OUT"
				# a failure may leave A's session broken: a fresh one
				smchanctl apdu a 00A4000C023F00 >/dev/null 2>&1 || :
			fi
		done
	done
done

if [ "${SMCHAN_BENCH_PROFILE:-1}" != 0 ]; then
	use_cards instant
	P=$((N < 500 ? N : 500))
	smchanctl channel set a mode ratchet
	stop_relay
	bench_relay 1
	ready a
	cmds=$(for _ in $(seq "$P"); do printf '00B0000010 '; done)
	# The relay's own clock: SMCHAN_RELAY_STATS=1 makes it log its means
	# every 100 commands.
	smchanctl apdu a 00A4000C020101 >/dev/null 2>&1
	cs0=$(switches "$RELAY_PID" "$PCSCD_PID" "${CARD_PID[a]}")
	kw0=$(kworkers)
	# shellcheck disable=SC2086
	read -r app arc us < <(counted smchanctl apdu a $cmds)
	kw1=$(kworkers)
	cs1=$(switches "$RELAY_PID" "$PCSCD_PID" "${CARD_PID[a]}")
	[ "$arc" = 0 ] || rc=1
	sleep 0.3
	{
		echo "# breakdown: $P READ BINARY through /dev/smchan (one smchanctl apdu), ratchet: $((us / P)) us each from outside"
		grep ': a: timing of' "$R_TMP/relay.log" | tail -n 1 | sed 's/^.*relay: a: /# relay: /'
		echo "$cs0 $cs1 $app $kw0 $kw1" | awk -v p="$P" '{ printf "# context switches per command (voluntary+involuntary, all threads): application %.2f, kworkers %.2f, relay %.2f, pcscd %.2f, card %.2f\n", $7 / p, ($9 - $8) / p, ($4 - $1) / p, ($5 - $2) / p, ($6 - $3) / p }'
	} | tee -a "$OUT"
	if command -v strace >/dev/null; then
		strace -c -f -o "$R_TMP/strace-relay.txt" -p "$RELAY_PID" &
		sp=$!
		sleep 1
		# (traced, the relay is slow: a command may time out; counts only)
		# shellcheck disable=SC2086
		smchanctl apdu a $cmds >/dev/null 2>&1 || echo "# (under strace, a command failed)" >>"$OUT"
		sleep 0.5
		kill -INT "$sp"
		wait "$sp"
		wait_for 10 test -s "$R_TMP/strace-relay.txt"
		{
			echo "# strace -c -f of the relay over $P commands (calls / $P = per command):"
			awk -v p="$P" 'NR > 2 && $NF != "total" && $1 !~ /^-/ {
				printf "#   %-16s %6.2f per command\n", $NF, $4 / p }' \
				"$R_TMP/strace-relay.txt"
		} | tee -a "$OUT"
		cp "$R_TMP/strace-relay.txt" "${OUT%.txt}-strace-relay.txt" 2>/dev/null || :
	fi
fi
if [ "${SMCHAN_BENCH_PROFILE:-1}" != 0 ] && command -v perf >/dev/null; then
	if perf stat -e task-clock true >"$R_TMP/perf.txt" 2>&1; then
		echo "# perf works in this kernel" | tee -a "$OUT"
	else
		echo "# perf does not work here: $(grep -v '^$' "$R_TMP/perf.txt" | head -n 1)" | tee -a "$OUT"
	fi
fi
rsay "results in $OUT"
exit $rc
