#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/faults/faults.sh: injected faults and races, as root in the debug
# UML kernel with smchan.ko loaded (tests/faults/run.sh boots it; the
# kernel has CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC and
# CONFIG_FAULT_INJECTION_USERCOPY, tests/uml/kunitconfig-debug).
#
# The stacktrace filter (require-start/-end) does not exist on UML x86_64
# (FAULT_INJECTION_STACKTRACE_FILTER depends on !X86_64), so the faults are
# filtered by task (task-filter=Y): smchan-faults marks itself make-it-fail
# only around its /dev/smchan and genl system calls, and every unbound
# kworker (the channels' worker runs on the unbound smchan workqueue) is
# marked while the load runs. Other kernel work on unbound kworkers in
# that window can be hit too; the transport (smchan-loopback) is not.
#
#   nth      fail-nth: every fault point of CHANNEL_NEW, CHANNEL_SET and
#            SESSION_START, one at a time: what the kernel refused with
#            ENOMEM changed nothing
#   faults   2 files on channel fa, 1 on fb (smchan-loopback's cards), each
#            FAULTS_N rounds of open/attach/SELECT/UPDATE/READ/close plus
#            CHANNEL_GET/SET/NEW/DEL, with failslab, fail_page_alloc
#            (order >= 1) and fail_usercopy on: every failure an allowed
#            errno, data as confirmed, nothing half-made; then, faults
#            off, the transport alive and every channel working
#   attach   open/attach/command/close in 2 processes against CHANNEL_NEW,
#            bind, CHANNEL_DEL in a loop (commands in flight deleted)
#   rmmod    rmmod refused while a file is open and while commands are in
#            flight; rmmod with a transport bound and channels left; rmmod
#            + insmod in a loop against open/attach/close
#   relay    the relay (smchanctl relay, pcscd, vpcd, smchan-vcard)
#            SIGKILLed during session establishment: the command gets an
#            errno or its answer, and once the relay is back and bound the
#            next command works at once
#   end      every channel deleted, the module unloaded, kmemleak empty
#            (run.sh's --strict: no oops, WARNING, KASAN, UBSAN or lockdep
#            report in the log)
#
# Environment: SMCHAN_FAULTS_LONG=1 (the long form: more rounds, longer
# loops), SMCHAN_FAULTS_N (load rounds per file), SMCHAN_FAULTS_KWORKERS=0
# (faults in the tools' system calls only, no kworker marked). Prints "ok:"/"FAIL:"
# per check and "RESULT <passed> <failed>" last.
set -uo pipefail
top=${SMCHAN_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/relay/lib.sh"
. "$top/tests/uml/kmemleak.sh"
trap relay_finish EXIT

F=${SMCHAN_FAULTS_BIN:-$top/build/faults/smchan-faults}
DBG=/sys/kernel/debug
if [ -n "${SMCHAN_FAULTS_LONG:-}" ]; then
	N=${SMCHAN_FAULTS_N:-1500} RACE_S=30 RMMOD_LOOPS=200 KILLS=60
else
	N=${SMCHAN_FAULTS_N:-80} RACE_S=5 RMMOD_LOOPS=20 KILLS=8
fi
[ -x "$F" ] || rfail "no $F (tests/faults/run.sh builds it)"
[ -d "$DBG/failslab" ] || rfail "no $DBG/failslab: a kernel without CONFIG_FAILSLAB (the debug kernel has it)"
[ -n "${SMCHAN_KO:-}" ] || rfail "SMCHAN_KO is not set (tests/uml-run sets it)"
SELECT=00A4000C020101
ATTRS=(failslab fail_page_alloc fail_usercopy)
T0=$SECONDS

# fault_setup ATTR: task-filtered, off (probability 0), counting down from
# a million (what fired is the difference), one line per fault in the log
# (rate-limited; no stack: the log scan must not take them for warnings).
fault_setup() {
	local d=$DBG/$1
	echo Y >"$d/task-filter"
	echo 0 >"$d/probability"
	echo 1 >"$d/interval"
	echo 0 >"$d/space"
	echo 1000000 >"$d/times"
	echo 1 >"$d/verbose"
	[ ! -e "$d/ignore-gfp-wait" ] || echo N >"$d/ignore-gfp-wait"
	[ ! -e "$d/ignore-gfp-highmem" ] || echo N >"$d/ignore-gfp-highmem"
	# Order 0 is every page fault of a marked task: only larger pages
	# (kmalloc beyond 8 KiB: the 64 KiB buffers of the command path).
	[ ! -e "$d/min-order" ] || echo 1 >"$d/min-order"
}
fired() { echo $((1000000 - $(cat "$DBG/$1/times"))); }

# --- faults: the load with allocations failing ---------------------------
for a in "${ATTRS[@]}"; do
	fault_setup "$a"
done
mkdir -p "$R_TMP/k"
for c in fa fb; do
	(umask 077 && head -c 16 /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$R_TMP/k/$c")
	smchan-nl new "$c" key-file "$R_TMP/k/$c" timeout 1000 >/dev/null || rfail "channel $c"
	R_CHANNELS+=("$c")
done
start_loopback() {
	rm -f "$R_TMP/lb.ready"
	smchan-loopback -q --ready-file "$R_TMP/lb.ready" fa="$R_TMP/k/fa" fb="$R_TMP/k/fb" \
		>>"$R_TMP/lb.log" 2>&1 &
	LB=$!
	R_PIDS+=("$LB")
	wait_for 10 test -e "$R_TMP/lb.ready" || rfail "smchan-loopback did not bind"
}
start_loopback
for c in fa fb; do
	smchan-dev open "attach:$c" "xfer:$SELECT" sw:9000 close >/dev/null ||
		rfail "no command went through on $c before the faults"
done

# The loads read what the cards hold, then the faults go on (the
# kworkers too), and off again before they check the cards.
gate=$R_TMP/gate
pids=()
"$F" load fa "$N" $RANDOM 0 "$gate" >"$R_TMP/load-fa0.out" 2>&1 & pids+=($!)
"$F" load fa "$N" $RANDOM 64 "$gate" >"$R_TMP/load-fa64.out" 2>&1 & pids+=($!)
"$F" load fb "$N" $RANDOM 0 "$gate" >"$R_TMP/load-fb0.out" 2>&1 & pids+=($!)
at_gate() {	# at_gate on|off: every load there (or gone)
	local p
	for p in "${pids[@]}"; do
		[ -e "$gate.$1.$p" ] || ! kill -0 "$p" 2>/dev/null || return 1
	done
}
wait_for 120 at_gate on || bad "faults: the loads did not read their files in 120 s"
echo "${FAULTS_SLAB:-4}" >"$DBG/failslab/probability"
echo "${FAULTS_PAGE:-10}" >"$DBG/fail_page_alloc/probability"
echo "${FAULTS_USERCOPY:-1}" >"$DBG/fail_usercopy/probability"
t=$SECONDS
kw=
if [ "${SMCHAN_FAULTS_KWORKERS:-1}" = 1 ]; then
	"$F" kworkers 3600 >"$R_TMP/kw.out" 2>&1 &
	kw=$!
	R_PIDS+=("$kw")
else
	echo "kworkers: not marked (SMCHAN_FAULTS_KWORKERS=0)" >"$R_TMP/kw.out"
fi
touch "$gate.on"
wait_for 3000 at_gate off || bad "faults: the load rounds did not end in 3000 s"
stop_pid "$kw"
"$F" kworkers 0 >/dev/null 2>&1 || :	# unmarked, even if it was SIGKILLed
for a in "${ATTRS[@]}"; do
	echo 0 >"$DBG/$a/probability"
done
t=$((SECONDS - t))
touch "$gate.off"
lrc=0
for p in "${pids[@]}"; do
	wait "$p" || lrc=1
done
n_slab=$(fired failslab) n_page=$(fired fail_page_alloc) n_uc=$(fired fail_usercopy)
sed 's/^/    /' "$R_TMP"/load-*.out "$R_TMP/kw.out"
if [ "$lrc" = 0 ]; then
	ok "faults: 3 files x $N rounds in $t s, every failure an allowed errno, data as confirmed, nothing half-made"
else
	bad "faults: a load process broke a rule (above)"
fi
total=$((n_slab + n_page + n_uc))
if [ "$total" -ge $((N / 2)) ]; then
	ok "faults: $total fired (failslab $n_slab, fail_page_alloc $n_page, fail_usercopy $n_uc)"
else
	bad "faults: only $total fired (failslab $n_slab, fail_page_alloc $n_page, fail_usercopy $n_uc): the test tested little"
fi
if kill -0 "$LB" 2>/dev/null; then
	ok "faults: the transport is still running"
else
	bad "faults: smchan-loopback died ($(tail -n 3 "$R_TMP/lb.log" | tr '\n' ';'))"
	start_loopback
fi
for c in fa fb; do
	if smchan-dev open "attach:$c" "xfer:$SELECT" sw:9000 close >"$R_TMP/after-$c" 2>&1; then
		ok "faults: faults off, the first command on $c works ($(smchan-nl get "$c" | grep -o 'sessions=[0-9]*') sessions)"
	else
		bad "faults: faults off, a command on $c fails: $(tail -n 1 "$R_TMP/after-$c")"
	fi
done

rsay "at $((SECONDS - T0)) s: nth"
# --- nth: every fault point of CHANNEL_NEW, CHANNEL_SET, SESSION_START -----
if "$F" nth fa >"$R_TMP/nth.out" 2>&1; then
	ok "nth: $(sed -n 's/^nth: fault points //p' "$R_TMP/nth.out"): what the kernel refused changed nothing"
else
	bad "nth: a request that failed changed something (below)"
fi
sed 's/^/    /' "$R_TMP/nth.out"

rsay "at $((SECONDS - T0)) s: attach"
# --- attach: open/attach/close against deletion ---------------------------
(umask 077 && head -c 16 /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$R_TMP/k/rd")
"$F" churn rd "$RACE_S" "$R_TMP/k/rd" >"$R_TMP/churn.out" 2>&1 &
pids=($!)
"$F" attach-loop rd "$RACE_S" >"$R_TMP/att1.out" 2>&1 & pids+=($!)
"$F" attach-loop rd "$RACE_S" >"$R_TMP/att2.out" 2>&1 & pids+=($!)
lrc=0
for p in "${pids[@]}"; do
	wait "$p" || lrc=1
done
sed 's/^/    /' "$R_TMP/churn.out" "$R_TMP"/att?.out
smchan-nl del rd >/dev/null 2>&1 || :
if [ "$lrc" = 0 ]; then
	ok "attach: $RACE_S s of open/attach/command/close against CHANNEL_NEW/bind/DEL: only allowed errnos"
else
	bad "attach: a rule broken (above)"
fi
# The race must really have happened: commands ended by the deletion.
if grep -q 'ENODEV:[1-9]' "$R_TMP"/att?.out; then
	ok "attach: commands in flight were ended by the deletion (ENODEV)"
else
	bad "attach: no command was ever ended by a deletion: the race was not exercised"
fi

rsay "at $((SECONDS - T0)) s: rmmod"
# --- rmmod: while files are open, while commands are in flight ------------
rmmod_refused() {	# rmmod_refused N: N attempts, each refused as in use
	local i out
	for ((i = 0; i < $1; i++)); do
		if out=$(rmmod smchan 2>&1); then
			echo "rmmod succeeded"
			return 1
		fi
		case $out in
		*"in use"* | *busy* | *Busy*) ;;
		*) echo "rmmod: $out"; return 1 ;;
		esac
	done
}
# (The wait outlasts the refusals: 200 of them take over a minute in
# the long form.)
smchan-dev open attach:fa touch:"$R_TMP/held" wait:"$R_TMP/go":900000 "xfer:$SELECT" sw:9000 close \
	>"$R_TMP/held.out" 2>&1 &
held=$!
wait_for 10 test -e "$R_TMP/held" || rfail "smchan-dev did not attach"
if why=$(rmmod_refused "$RMMOD_LOOPS"); then
	ok "rmmod: refused $RMMOD_LOOPS times while a file is open"
else
	bad "rmmod: with a file open: $why"
fi
touch "$R_TMP/go"
if wait "$held"; then
	ok "rmmod: the open file's command works after the refusals"
else
	bad "rmmod: the open file's command failed: $(tail -n 1 "$R_TMP/held.out")"
fi
smchan-dev open attach:fa loop:100000 "xfer:$SELECT" sw:9000 end close >"$R_TMP/busy.out" 2>&1 &
busy=$!
sleep 0.3
if why=$(rmmod_refused "$RMMOD_LOOPS"); then
	ok "rmmod: refused $RMMOD_LOOPS times while commands are in flight"
else
	bad "rmmod: with commands in flight: $why"
fi
kill "$busy" 2>/dev/null
wait "$busy" 2>/dev/null
if grep -q '^< 9000' "$R_TMP/busy.out" && ! grep -q 'step' "$R_TMP/busy.out"; then
	ok "rmmod: the commands in flight were answered ($(grep -c '^< 9000' "$R_TMP/busy.out"))"
else
	bad "rmmod: the commands in flight: $(tail -n 1 "$R_TMP/busy.out")"
fi
# No file open, a transport bound and channels left: rmmod goes through.
if out=$(rmmod smchan 2>&1); then
	ok "rmmod: with a transport bound and 2 channels left, no file open: unloaded"
else
	bad "rmmod: with no file open: $out"
fi
R_CHANNELS=()
stop_pid "$LB"
# rmmod + insmod in a loop against open/attach/command/close, for
# RACE_S s and until one unload went through (it needs a moment with no
# file open: on a busy machine that can take longer), at most 3 x RACE_S.
"$F" attach-loop fa $((3 * RACE_S)) >"$R_TMP/att3.out" 2>&1 &
att=$!
loaded=0 unloaded=0 end=$((SECONDS + RACE_S))
while kill -0 "$att" 2>/dev/null &&
	{ [ $SECONDS -lt $end ] || [ "$unloaded" = 0 ]; }; do
	if ! grep -q '^smchan ' /proc/modules; then
		insmod "$SMCHAN_KO" || { bad "rmmod: insmod failed in the loop"; break; }
		loaded=$((loaded + 1))
		smchan-nl new fa key-file "$R_TMP/k/fa" >/dev/null 2>&1 || :
	fi
	sleep 0.0$((RANDOM % 10))
	if rmmod smchan 2>/dev/null; then
		unloaded=$((unloaded + 1))
	fi
done
wait "$att"
lrc=$?
sed 's/^/    /' "$R_TMP/att3.out"
grep -q '^smchan ' /proc/modules || insmod "$SMCHAN_KO" || rfail "insmod after the rmmod loop"
if [ "$lrc" = 0 ] && [ "$unloaded" -gt 0 ]; then
	ok "rmmod: $unloaded unloads and $loaded loads against open/attach/close: only allowed errnos"
else
	bad "rmmod: loop against open/attach/close: status $lrc, $unloaded unloads"
fi
smchan-nl del fa >/dev/null 2>&1 || :

rsay "at $((SECONDS - T0)) s: relay"
# --- relay: killed during session establishment ---------------------------
start_pcscd
new_card c0 16
start_card c0 0
start_relay
add_channel c0 0
ready c0
state_of() { smchanctl channel show "$1" --json | sed -n 's/.*"state": "\([a-z]*\)".*/\1/p'; }
errs=0 answered=0 bad_restart=0 landed=0
for ((i = 0; i < KILLS; i++)); do
	smchanctl session stop c0 >/dev/null 2>&1 || :
	# Every other round the card is stopped first, so that the kill
	# lands while the session is being established; the others kill at
	# a random moment.
	[ $((i % 2)) = 1 ] || pause_card c0
	smchanctl apdu c0 00A4000C023F00 >"$R_TMP/k.out" 2>"$R_TMP/k.err" &
	app=$!
	if [ $((i % 2)) = 0 ]; then
		wait_for 10 test "$(state_of c0)" = establishing && landed=$((landed + 1))
	else
		sleep "0.$(printf '%03d' $((RANDOM % 250)))"
	fi
	kill -9 "$RELAY_PID" 2>/dev/null
	wait "$RELAY_PID" 2>/dev/null
	[ $((i % 2)) = 1 ] || resume_card c0
	if timeout 30 tail --pid="$app" -f /dev/null; then
		if wait "$app"; then
			answered=$((answered + 1))
		elif grep -qE '\((E[A-Z0-9]+)\)' "$R_TMP/k.err"; then
			errs=$((errs + 1))
			grep -oE '\((E[A-Z0-9]+)\)' "$R_TMP/k.err" >>"$R_TMP/kill-errnos"
		else
			bad "relay: the command failed without an errno: $(cat "$R_TMP/k.err")"
		fi
	else
		bad "relay: the command still waits 30 s after the relay's death"
		kill -9 "$app" 2>/dev/null
	fi
	start_relay
	wait_for 20 is_bound c0 || { bad "relay: the restarted relay did not bind c0"; break; }
	if ! out=$(smchanctl apdu c0 00A4000C023F00 2>&1); then
		bad_restart=$((bad_restart + 1))
		echo "    after kill $i: $out"
		wait_for 20 smchanctl apdu c0 00A4000C023F00 || break
	fi
done
echo "    errnos: $(sort "$R_TMP/kill-errnos" 2>/dev/null | uniq -c | tr -s ' \n' ' ')"
if [ "$bad_restart" = 0 ] && [ "$landed" -gt 0 ] && [ "$errs" -ge "$landed" ]; then
	ok "relay: $KILLS kills ($landed during establishment for sure): $errs commands got an errno, $answered their answer; the next command worked each time"
else
	bad "relay: $KILLS kills ($landed during establishment): $errs errnos, $answered answers, $bad_restart times the next command failed at once"
fi

rsay "at $((SECONDS - T0)) s: end"
# --- end: nothing left behind --------------------------------------------
for c in "${R_CHANNELS[@]}"; do
	smchanctl channel del "$c" || bad "channel del $c"
done
R_CHANNELS=()
stop_relay
if rmmod smchan; then
	ok "end: the module unloads"
else
	bad "end: rmmod smchan: $(lsmod | grep '^smchan')"
fi
kmemleak_check || bad "kmemleak: $DBG/kmemleak is not there (not the debug kernel?)"
rsay "runtime $((SECONDS - T0)) s"
[ "$failed" = 0 ]
