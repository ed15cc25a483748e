#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/qemu/module-life.sh: smchan.ko's life on a real kernel, run as
# root in a guest with the module NOT loaded:
#   tests/qemu-run --kernel 6.12 --no-module --strict -- tests/qemu/module-life.sh
#
#   1. modinfo: license, description, author, version, vermagic of the
#      running kernel;
#   2. rmmod refused ("in use", EBUSY) while a /dev/smchan file is open,
#      and while a command waits at a slow transport (smchan-loopback
#      --delay); clean once the file is closed;
#   3. a file closed while its command is still at the transport: rmmod
#      then (refused or done) leaves no kernel problem, and the module
#      loads again;
#   4. load, unload, reload 100 times (MODULE_LIFE_N) with channels
#      present, every tenth time with a bound transport and a session.
# Prints "ok:"/"FAIL:" per check and "RESULT <passed> <failed>" last;
# exits 1 on a failure. Autoload on first open of /dev/smchan is not
# offered: the misc device has a dynamic minor, and a devname alias
# needs a fixed one (tests/README.md).

set -uo pipefail
ko=${SMCHAN_KO:?SMCHAN_KO: the smchan.ko to load}
N=${MODULE_LIFE_N:-100}
T=$(mktemp -d /tmp/module-life.XXXXXX)
passed=0 failed=0 pids=()
ok() { passed=$((passed + 1)); echo "module-life: ok: $*"; }
bad() { failed=$((failed + 1)); echo "module-life: FAIL: $*"; }
finish() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || :; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || :; done
	echo "module-life: RESULT $passed $failed"
	rm -rf "$T"
}
trap finish EXIT
loaded() { grep -q '^smchan ' /proc/modules; }
wait_for() { # wait_for SECONDS CMD...
	local i
	for i in $(seq $(($1 * 20))); do
		"${@:2}" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}
(umask 077 && head -c 16 /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$T/key")
SELECT=00A4000C020101

# start_lb LOG [OPTIONS...] CHANNEL=KEY...: a loopback transport, bound.
start_lb() {
	local log=$1
	shift
	rm -f "$T/ready"
	smchan-loopback --ready-file "$T/ready" "$@" >"$log" 2>&1 &
	LB=$!
	pids+=("$LB")
	wait_for 5 test -e "$T/ready"
}

# rmmod_refused WHAT: rmmod must fail with "in use".
rmmod_refused() {
	if rmmod smchan 2>"$T/rmmod.err"; then
		bad "rmmod succeeded $1"
		insmod "$ko"
	elif grep -qi 'in use\|busy' "$T/rmmod.err" && loaded; then
		ok "rmmod refused $1 ($(tr -d '\n' <"$T/rmmod.err"))"
	else
		bad "rmmod failed $1, but not as busy: $(cat "$T/rmmod.err")"
	fi
}

loaded && rmmod smchan
# --- 1. modinfo -------------------------------------------------------------------
for f in license description author version; do
	v=$(modinfo -F "$f" "$ko")
	if [ -n "$v" ]; then ok "modinfo $f: $v"; else bad "modinfo $f is empty"; fi
done
v=$(modinfo -F vermagic "$ko")
case "$v " in
"$(uname -r) "*) ok "vermagic $v" ;;
*) bad "vermagic '$v' is not for $(uname -r)" ;;
esac

# --- 2. busy while a file is open or a command is at the card --------------------
insmod "$ko" || { bad "insmod $ko"; exit 1; }
exec 3<>/dev/smchan
rmmod_refused "while /dev/smchan is open"
exec 3>&-
smchan-nl new ml-a key-file "$T/key" >/dev/null || bad "channel ml-a"
start_lb "$T/lb.log" --delay 3000 ml-a="$T/key" || bad "the transport did not bind"
smchan-dev open attach:ml-a "touch:$T/sent" "xfer:$SELECT" sw:9000 close \
	>"$T/dev.log" 2>&1 &
dev=$!
pids+=("$dev")
wait_for 5 test -e "$T/sent"
sleep 1
if kill -0 "$dev" 2>/dev/null; then
	rmmod_refused "while a command is at a slow transport"
else
	bad "the command did not wait for the transport ($(cat "$T/dev.log"))"
fi
if wait "$dev"; then ok "the slow command completed"; else bad "the slow command: $(cat "$T/dev.log")"; fi
if rmmod smchan 2>"$T/rmmod.err" && ! loaded; then
	ok "rmmod once the file is closed (a bound transport and a session stay)"
else
	bad "rmmod after the command: $(cat "$T/rmmod.err")"
fi
kill "$LB" 2>/dev/null; wait "$LB" 2>/dev/null

# --- 3. the file closes while its command is at the transport ----------------------
insmod "$ko" || { bad "insmod $ko again"; exit 1; }
smchan-nl new ml-b key-file "$T/key" >/dev/null || bad "channel ml-b"
start_lb "$T/lb2.log" --delay 3000 ml-b="$T/key" || bad "the transport did not bind"
smchan-dev open attach:ml-b "write:$SELECT" sleep:500 close >"$T/dev2.log" 2>&1 ||
	bad "write then close: $(cat "$T/dev2.log")"
if rmmod smchan 2>"$T/rmmod.err"; then
	how="done"
else
	how="refused: $(tr -d '\n' <"$T/rmmod.err")"
	wait_for 10 rmmod smchan || :
fi
if loaded; then
	bad "rmmod with a closed file's command at the transport: still loaded ($how)"
else
	ok "rmmod with a closed file's command at the transport ($how), then unloaded"
fi
kill "$LB" 2>/dev/null; wait "$LB" 2>/dev/null

# --- 4. load, unload, reload with channels ----------------------------------------
fails=0
start=$SECONDS
for i in $(seq "$N"); do
	if ! insmod "$ko" 2>"$T/insmod.err"; then
		fails=$((fails + 1)); echo "  round $i: insmod: $(cat "$T/insmod.err")"; continue
	fi
	for c in ml-x ml-y ml-z; do
		smchan-nl new "$c" key-file "$T/key" >/dev/null || {
			fails=$((fails + 1)); echo "  round $i: channel $c"
		}
	done
	LB=
	if [ $((i % 10)) = 0 ]; then
		if start_lb "$T/lb-$i.log" ml-x="$T/key" && smchan-nl start ml-x >/dev/null &&
			smchan-dev open attach:ml-x "xfer:$SELECT" sw:9000 close >"$T/dev-$i.log" 2>&1; then
			:
		else
			fails=$((fails + 1)); echo "  round $i: session: $(cat "$T/dev-$i.log" 2>/dev/null)"
		fi
	fi
	if ! rmmod smchan 2>"$T/rmmod.err"; then
		fails=$((fails + 1)); echo "  round $i: rmmod: $(cat "$T/rmmod.err")"
		wait_for 5 rmmod smchan || :
	fi
	if [ -n "$LB" ]; then
		kill "$LB" 2>/dev/null; wait "$LB" 2>/dev/null
	fi
	[ ! -e /dev/smchan ] || { fails=$((fails + 1)); echo "  round $i: /dev/smchan left behind"; }
done
if [ "$fails" = 0 ]; then
	ok "$N rounds of insmod, 3 channels, rmmod ($((N / 10)) with a session) in $((SECONDS - start)) s"
else
	bad "$fails problems in $N load/unload rounds"
fi
[ "$failed" = 0 ]
