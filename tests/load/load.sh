#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/load/load.sh: sustained load through the whole chain, as root in
# UML or a qemu guest with smchan.ko loaded (tests/load/run.sh boots it):
# C channels (default 4), each on its own card behind its own vpcd slot,
# P processes per channel (default 4), each with its own /dev/smchan file
# (one `smchanctl apdu` run) sending N random commands (default 10,000)
# at the same time as all the others: writes and reads of 1 to 255 bytes
# in the process's own stripe of EF 5F02 (tests/relay/session.py gen with
# a region), the channels in different modes and suites. Checks:
#   - every command answered exactly once, in its file's order, with the
#     answer the model gives (each process's output against its .expect);
#   - each channel's command counter grew by what its clients sent;
#   - each card image is the model: every stripe as its process left it;
#   - no command failed, no kernel warning (run.sh: --strict); on the
#     debug kernel, nothing in kmemleak once everything is gone.
# Environment: LOAD_C, LOAD_P, LOAD_N. Prints "ok:"/"FAIL:" per check and
# "RESULT <passed> <failed>" last.
set -uo pipefail
top=${SMCHAN_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/relay/lib.sh"
. "$top/tests/uml/kmemleak.sh"
C=${LOAD_C:-4} P=${LOAD_P:-4} N=${LOAD_N:-10000}
[ "$C" -ge 1 ] && [ "$C" -le 4 ] || rfail "LOAD_C must be 1 to 4"
[ $((8192 / P)) -ge 256 ] || rfail "LOAD_P must be at most 32"
trap relay_finish EXIT

modes=(ratchet xor list opkey) keys=(16 32 32 16)
VPCD_READERS=$(((C + 1) / 2)) start_pcscd
for ((c = 0; c < C; c++)); do
	new_card "l$c" "${keys[$c]}"
	start_card "l$c" "$c"
done
start_relay
for ((c = 0; c < C; c++)); do
	add_channel "l$c" "$c" mode "${modes[$c]}"
done
for ((c = 0; c < C; c++)); do
	ready "l$c"
done
ok "$C channels bound ($(for ((c = 0; c < C; c++)); do printf '%s/AES-%d ' "${modes[$c]}" $((keys[c] * 8)); done))"

count() { smchanctl show "$1" --json | sed -n 's/.*"commands": \([0-9]*\).*/\1/p'; }

stripe=$((8192 / P)) seed=$RANDOM pids=() t0=$SECONDS
declare -A before
for ((c = 0; c < C; c++)); do
	before[$c]=$(count "l$c")
	for ((p = 0; p < P; p++)); do
		f=$R_TMP/l$c-$p
		"$top/tests/relay/session.py" gen "$R_TMP/l$c.img" $((seed + c * P + p)) "$N" "$f" \
			$((p * stripe)) "$stripe" || rfail "session.py gen"
	done
done
for ((c = 0; c < C; c++)); do
	for ((p = 0; p < P; p++)); do
		f=$R_TMP/l$c-$p
		# shellcheck disable=SC2046
		smchanctl apdu "l$c" $(cat "$f.cmds") >"$f.out" 2>"$f.err" &
		pids+=($!)
	done
done
failed_runs=0
for pid in "${pids[@]}"; do
	wait "$pid" || failed_runs=$((failed_runs + 1))
done
t=$((SECONDS - t0))
total=$((C * P * N))
if [ "$failed_runs" = 0 ]; then
	ok "$total commands ($C channels x $P processes x $N) in $t s, $((total / (t ? t : 1))) per second: no command failed"
else
	bad "$failed_runs of $((C * P)) processes failed: $(cat "$R_TMP"/l*-*.err | sort | uniq -c | head -n 3 | tr '\n' ';')"
fi

wrong=()
for ((c = 0; c < C; c++)); do
	for ((p = 0; p < P; p++)); do
		f=$R_TMP/l$c-$p
		cmp -s "$f.out" "$f.expect" ||
			wrong+=("l$c-$p: $(wc -l <"$f.out") answers, first difference at line $(cmp "$f.out" "$f.expect" 2>&1 | awk '{ print $NF }')")
	done
done
if [ ${#wrong[@]} = 0 ]; then
	ok "every command answered once, in its file's order, as the model says"
else
	bad "answers differ from the model: ${wrong[*]:0:3}"
fi

for ((c = 0; c < C; c++)); do
	n=$(($(count "l$c") - before[$c]))
	if [ "$n" = $((P * N)) ]; then
		ok "l$c's command counter grew by $n, what its $P clients sent"
	else
		bad "l$c's command counter grew by $n, its clients sent $((P * N))"
	fi
	prefixes=()
	for ((p = 0; p < P; p++)); do
		prefixes+=("$R_TMP/l$c-$p")
	done
	if out=$("$top/tests/relay/session.py" check-all "$R_TMP/l$c.img" "${prefixes[@]}"); then
		ok "l$c's card image is the model (${modes[$c]}, $P stripes)"
	else
		bad "l$c's card image differs from the model: $out"
	fi
done

# The debug kernel: what the load leaked, once the channels, the relay and
# the module are gone (kmemleak reports objects older than 5 s; the first
# scan holds back objects whose checksum changed).
if [ -w /sys/kernel/debug/kmemleak ]; then
	for ((c = 0; c < C; c++)); do
		smchanctl channel del "l$c" || bad "channel del l$c"
	done
	stop_relay
	rmmod smchan || bad "rmmod smchan after the load"
	kmemleak_check
fi
[ "$failed" = 0 ]
