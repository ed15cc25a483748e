#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A hostile wire (issue 13, item 1), inside UML (tests/hostile/run.sh boots
# it): the real chain with a man in the middle between vpcd and each card,
#
#   smchanctl apdu -> /dev/smchan -> smchan.ko -> smchanctl relay -> pcscd
#     -> vpcd slot S (127.0.0.1:35963+S) <- mitm.py (:36063+S) <- smchan-vcard
#
# an AES-128 card in slot 0 (channel c128) and an AES-256 card in slot 1
# (c256). For each case (mitm.py's list) and mode: a random session
# (tests/relay/session.py gen) whose K-th command, a write, is attacked.
# Asserted, each as its own check:
#   errno    the application gets the documented errno and K answers;
#   session  the session has ended (state not established), and the next
#            command establishes exactly one new session;
#   replay   every command injected (a replay, or a command delivered after
#            a later one) was answered 69 88 by the card, as the card's
#            log (--log) and the proxy both say;
#   image    the card's EF holds exactly the confirmed writes, plus at most
#            the one whose outcome was unknown (session.py check-cut).
# Prints "ok:"/"FAIL:" per check and "RESULT <passed> <failed>" last.
#
# Environment (each also as SMCHAN_..., which tests/uml-run passes on):
# HOSTILE_LONG=1 every case in every mode (else one mode per case,
# rotating), HOSTILE_CASES (a list to run), HOSTILE_N (commands per
# session, default 12), HOSTILE_SEED.
set -uo pipefail
top=${SMCHAN_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/relay/lib.sh"
MITM=$top/tests/hostile/mitm.py
SESSION="/usr/bin/python3 -S $top/tests/relay/session.py"	# -S: UML execs slowly
PROXY_PORT=36063
N=${SMCHAN_HOSTILE_N:-${HOSTILE_N:-12}}
TIMEOUT=1000			# the channels' timeout-ms
HOLD=$((TIMEOUT + 400))		# a delay past it, short of the next deadline
MODES=(ratchet xor list opkey)
ALL="flip-cmd flip-rsp trunc-cmd trunc-rsp drop-rsp delay-rsp replay-cmd replay-cmd-old
	replay-rsp replay-rsp-old reorder bare-sw chain chain0"
# shellcheck disable=SC2206
CASES=(${SMCHAN_HOSTILE_CASES:-${HOSTILE_CASES:-$ALL}})
seed=${SMCHAN_HOSTILE_SEED:-${HOSTILE_SEED:-$RANDOM}}
# A failed run keeps its logs (the proxies', the cards', the relay's) in
# build/check/hostile-logs/: UML's /tmp goes with it.
hostile_finish() {
	if [ "$failed" != 0 ]; then
		rm -rf "${SMCHAN_BUILD:-$top/build}/check/hostile-logs"
		cp -r "$R_TMP" "${SMCHAN_BUILD:-$top/build}/check/hostile-logs" 2>/dev/null || :
	fi
	relay_finish
}
trap hostile_finish EXIT

# What the application must get (Documentation/userspace-api.rst, Errors):
# EBADMSG when the card's answer fails verification or is a bare status
# word; ETIMEDOUT when no answer came within timeout-ms; EMSGSIZE (the
# relay's own) for an answer too long to relay. A chain that never ends
# gives EMSGSIZE (256-byte pieces), EPROTO (empty pieces: the relay
# gives up after 300) or ETIMEDOUT (when the pieces take longer than the
# timeout: under load in UML, they may).
declare -A ERRNO=(
	[flip-cmd]=EBADMSG [flip-rsp]=EBADMSG [trunc-cmd]=EBADMSG [trunc-rsp]=EBADMSG
	[drop-rsp]=ETIMEDOUT [delay-rsp]=ETIMEDOUT [replay-cmd]=EBADMSG
	[replay-cmd-old]=EBADMSG [replay-rsp]=EBADMSG [replay-rsp-old]=EBADMSG
	[reorder]=EBADMSG [bare-sw]=EBADMSG [chain]='EMSGSIZE|ETIMEDOUT'
	[chain0]='EPROTO|ETIMEDOUT')
# Every attacked command must end within this (seconds) of the answer
# before it: a hostile wire may cost the application a timeout or two, not
# more. (The chains run with a timeout of 5 s: see below.)
LIMIT=$((4 * TIMEOUT / 1000 + 2))

# Everything below avoids a process where bash can do without: in UML a
# fork and exec costs about a tenth of a second.
mkfifo "$R_TMP/nap" && exec 8<>"$R_TMP/nap"	# read -t -u 8: a sleep, no process

# ctl SLOT WORDS...: one control line to mitm.py; its state (JSON) in MSTAT.
ctl() {
	local st=$R_TMP/mitm$1.status tok="$BASHPID.$RANDOM.$SECONDS" i
	echo "${*:2} $tok" >"$R_TMP/mitm$1.ctl"
	MSTAT=
	for ((i = 0; i < 200; i++)); do
		[ ! -f "$st" ] || MSTAT=$(<"$st")
		[[ $MSTAT != *"\"token\": \"$tok\""* ]] || return 0
		read -r -t 0.02 -u 8 || :
	done
	rfail "mitm.py $1 does not answer"
}
# jget VAR JSON KEY: KEY's value in VAR (a word; a list's items without
# brackets, quotes and commas). For mitm.py's state and `show --json`.
jget() {
	local re="\"$3\": (\\[[^]]*\\]|[^,}]*)" v=
	[[ $2 =~ $re ]] && v=${BASH_REMATCH[1]//[][\",]/}
	printf -v "$1" '%s' "$v"
}
now_ms() { printf -v "$1" '%s' $((${EPOCHREALTIME/./} / 1000)); }

start_mitm() {
	local slot=$1
	"$MITM" serve --listen $((PROXY_PORT + slot)) --vpcd $((VPCD_PORT + slot)) \
		--ctl "$R_TMP/mitm$slot.ctl" --status "$R_TMP/mitm$slot.status" --log "$R_TMP/mitm$slot.log" 2>>"$R_TMP/mitm$slot.err" &
	R_PIDS+=($!)
	wait_for 10 test -p "$R_TMP/mitm$slot.ctl" || rfail "mitm.py $slot did not start"
}

start_hostile_card() {
	local name=$1 slot=$2
	smchan-vcard --image "$R_TMP/$name.img" --port $((PROXY_PORT + slot)) \
		--log "$R_TMP/$name.log" 2>>"$R_TMP/$name.err" &
	CARD_PID[$name]=$!
	R_PIDS+=("${CARD_PID[$name]}")
}

# one CHANNEL SLOT MODE CASE: one attacked session, its checks.
one() {
	local ch=$1 slot=$2 mode=$3 case=$4 tag="$1 $3 $4" p k K st s0 s1 l0 err
	local want a_rc= t t1 got js line i why sws inj pieces cmds out log
	p=$R_TMP/$ch-$mode-$case
	smchanctl channel set "$ch" mode "$mode" 2>/dev/null || { bad "$tag: mode"; return; }
	$SESSION gen "$R_TMP/$ch.img" $((seed * 2 + slot)) "$N" "$p" || rfail "session.py gen"
	mapfile -t cmds <"$p.cmds"
	# The attacked command: the first write at index 3 or later.
	k=3
	for ((i = 3; i < ${#cmds[@]}; i++)); do
		[[ ${cmds[i]} != 00D[06]* ]] || { k=$i; break; }
	done
	mapfile -t log <"$R_TMP/$ch.log"
	l0=${#log[@]}
	want=${ERRNO[$case]}
	if [ "$case" = reorder ]; then
		# File A's write is held past its timeout; file B's session then
		# runs, and A's command reaches the card after B's first one.
		# B starts once the relay is free again: what the relay finds
		# queued while it waited counts as queued before, and expires.
		# So: A's timeout, then the proxy lets A go (a bare 6F 00 that
		# nobody waits for), then half a second for the relay.
		ctl "$slot" arm reorder 0 $((TIMEOUT + 1500))
		smchanctl apdu "$ch" 00D6000004A5A5A5A5 >"$p.a.out" 2>"$p.a.err"
		a_rc=$?
		for ((i = 0; i < 100; i++)); do
			ctl "$slot" status
			jget got "$MSTAT" released
			[ "$got" != true ] || break
			read -r -t 0.1 -u 8 || :
		done
		read -r -t 0.5 -u 8 || :
		k=1
	else
		ctl "$slot" arm "$case" "$k" "$HOLD"
	fi
	# Each answer line with the time it came (smchanctl flushes each):
	# the attacked command's time runs from the last answer to the end.
	# (The whole session's time would also count the K commands before
	# it, each slower when the machine is loaded.)
	now_ms t
	timeout 120 smchanctl apdu "$ch" "${cmds[@]}" 2>"$p.err" |
		while IFS= read -r line; do
			echo "${EPOCHREALTIME/./} $line"
		done >"$p.tout"
	now_ms t1
	mapfile -t out <"$p.tout"
	K=${#out[@]}
	[ "$K" = 0 ] || t=$((${out[K - 1]%% *} / 1000))
	t=$((t1 - t))
	printf '%s\n' "${out[@]#* }" >"$p.out"
	[ "$K" != 0 ] || : >"$p.out"
	err=$(<"$p.err")
	ctl "$slot" status
	if [ -n "$a_rc" ]; then
		[ "$a_rc" != 0 ] || bad "$tag: file A's held command succeeded"
		if [[ $(<"$p.a.err") != *'(ETIMEDOUT)'* ]]; then
			bad "$tag: file A got $(<"$p.a.err") instead of ETIMEDOUT"
			return
		fi
	fi
	jget i "$MSTAT" fired
	if [ "$i" != true ]; then
		bad "$tag: the fault never fired ($K answers, $err)"
		return
	fi
	got=
	[[ ! $err =~ \((E[A-Z]+)\) ]] || got=${BASH_REMATCH[1]}
	if [[ $got =~ ^($want)$ ]] && [ "$K" = "$k" ] && [ "$t" -le $((LIMIT * 1000)) ]; then
		ok "$tag: errno $got after $K answers, $t ms after the last${a_rc:+ (file A: ETIMEDOUT)}"
	else
		bad "$tag: wanted $want after $k answers within $LIMIT s of the last, got $K answers, then $t ms: $err;" \
			"the proxy's last words: $(grep -a '\[\|delay\|drop\|chain' "$R_TMP/mitm$slot.log" |
				tail -n 3 | cut -c1-100 | tr '\n' ';')"
	fi

	# The session has ended; the next command makes exactly one new one.
	js=$(smchanctl show "$ch" --json)
	jget st "$js" state
	jget s0 "$js" sessions
	if [ "$st" = established ]; then
		bad "$tag: the session survived (state $st)"
	elif ! wait_for 20 smchanctl apdu "$ch" 00A4000C023F00; then
		bad "$tag: no command went through after the fault: $(smchanctl apdu "$ch" 00A4000C023F00 2>&1)"
	else
		js=$(smchanctl show "$ch" --json)
		jget st "$js" state
		jget s1 "$js" sessions
		if [ "$st" = established ] && [ "$s1" = $((s0 + 1)) ]; then
			ok "$tag: session ended; the next command made a new one (sessions $s0 -> $s1)"
		elif [ "$case" = drop-rsp ] && [ "$st" = established ] && [ "$s1" -gt "$s0" ]; then
			# The cut connection is a card removed and inserted: the
			# commands meanwhile may each have tried a session.
			ok "$tag: session ended; a new one after the card came back (sessions $s0 -> $s1)"
		else
			bad "$tag: after the fault: state $st, sessions $s0 -> $s1"
		fi
	fi

	# Replays, and the command delivered late, are refused with 69 88.
	jget sws "$MSTAT" card_sw
	jget inj "$MSTAT" injected
	if [[ $case == replay-cmd* ]] || [ "$case" = reorder ]; then
		why=
		mapfile -t log <"$R_TMP/$ch.log"
		for i in $inj; do
			line=${log[l0 + i - 1]:-}
			[[ $line == *sw=6988* ]] || why="$why card log line $((l0 + i)): '$line';"
		done
		if [ "$sws" = 6988 ] && [ -n "$inj" ] && [ -z "$why" ]; then
			ok "$tag: the card refused the injected command with 69 88 (its log agrees)"
		else
			bad "$tag: injected command answered $sws;$why"
		fi
	fi

	# A chain that never ends: one layer's bound (the relay's or the
	# kernel's 300 pieces) ends it, not the product of both.
	if [[ $case == chain* ]]; then
		jget pieces "$MSTAT" pieces
		if [ "$pieces" -le 300 ]; then
			ok "$tag: the chain ended after $pieces pieces"
		else
			bad "$tag: the wire carried $pieces pieces of 61 00 for one command (relay and kernel each allow 300)"
		fi
	fi

	# The card image: the confirmed writes, plus at most the unknown one.
	if why=$($SESSION check-cut "$R_TMP/$ch.img" "$p" "$K"); then
		ok "$tag: card image: $why"
	else
		bad "$tag: card image: $why"
	fi
}

# both MODE CASE: the case on both channels at once, each in a subshell
# that hands its counts back.
both() {
	local ch slot pids=() a b
	seed=$((seed + 1))
	for ch in c128 c256; do
		slot=0
		[ "$ch" = c128 ] || slot=1
		(
			passed=0 failed=0
			one "$ch" "$slot" "$1" "$2"
			echo "$passed $failed" >"$R_TMP/count.$ch"
		) &
		pids+=($!)
	done
	wait "${pids[@]}"
	for ch in c128 c256; do
		read -r a b <"$R_TMP/count.$ch" || { a=0 b=1; }
		passed=$((passed + a))
		failed=$((failed + b))
	done
}

start_pcscd
new_card c128 16
new_card c256 32
start_mitm 0
start_mitm 1
start_hostile_card c128 0
start_hostile_card c256 1
start_relay
add_channel c128 0 timeout "$TIMEOUT"
add_channel c256 1 timeout "$TIMEOUT"
ready c128
ready c256
sleep 2.1	# the relay reads the channels' timeout every 2 s
# One earlier session with protected commands on each card, for the
# replays from an earlier session.
for ch in c128 c256; do
	smchanctl apdu "$ch" 00A4080C045F005F02 00B0000010 00B0001010 00B0002010 \
		00B0003010 00B0004010 00B0005010 >/dev/null || rfail "first session on $ch"
done
ok "chain up through two proxies: AES-128 and AES-256 cards, timeout $TIMEOUT ms"

t0=$SECONDS
i=0
for case in "${CASES[@]}"; do
	if [ -n "${SMCHAN_HOSTILE_LONG:-${HOSTILE_LONG:-}}" ]; then
		modes=("${MODES[@]}")
	else
		modes=("${MODES[$((i % 4))]}")
	fi
	i=$((i + 1))
	if [[ $case == chain* ]] && [ "$TIMEOUT" != 5000 ]; then
		# The chains with the default timeout, so that the relay's 300
		# pieces fit within one exchange's time even on a loaded
		# machine: what bounds a chain must be a count, not the clock.
		TIMEOUT=5000
		LIMIT=$((4 * TIMEOUT / 1000 + 2))
		smchanctl channel set c128 timeout $TIMEOUT
		smchanctl channel set c256 timeout $TIMEOUT
		read -r -t 2.1 -u 8 || :	# the relay reads it every 2 s
	fi
	for mode in "${modes[@]}"; do
		both "$mode" "$case"
	done
done
rsay "cases took $((SECONDS - t0)) s"
[ "$failed" = 0 ]
