#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Key hygiene with the real key bytes, inside UML (tests/hygiene/run.sh
# boots it): the relay chain of tests/relay/ (smchan.ko, smchanctl relay
# --debug, pcscd + vpcd, an AES-128 and an AES-256 smchan-vcard), the
# cards writing every key they hold or derive to a key log
# (SMCHAN_VCARD_KEYLOG, smchan-vcard(1): MKEY, the key blocks, every K_n,
# ENC/MAC of each). Then every place a key could leak is searched for
# those bytes, raw and as hex (tests/hygiene/scan.py):
#
#   1. sessions in every mode (xor, list, opkey, ratchet) on both
#      suites at once, re-established by the rekey limit, by session
#      stop/start, after the card was pulled and put back and after the
#      relay restarted; one channel keyed from a file, one from the
#      kernel keyring (smchanctl key add);
#   2. the places: dmesg; every netlink reply and event (smchan-nl --raw
#      on get, dump, new, set, del, their errors, and the events group;
#      smchanctl monitor; show --json); the readable files of /proc/PID
#      of every process involved and /proc's own files (not kcore, kmsg,
#      mem); the relay's memory (the kernel's
#      core dumps of two aborts); the cards' logs and stderr; the relay's
#      --debug log; everything every smchanctl subcommand printed,
#      including its errors on bad key files and as nobody;
#   3. every admin request refused to nobody with EPERM (smchanctl and
#      each genl command through smchan-nl), the channels untouched;
#      /dev/smchan is 0600 root as documented without the udev rule, and
#      the rule says what the documentation says; one user cannot read
#      another's answer.
# Prints "ok:"/"FAIL:" per check and "RESULT <passed> <failed>" last.
#
# Environment: HYGIENE_N (commands per mode and channel, default 48).
set -uo pipefail
top=${SMCHAN_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/relay/lib.sh"
N=${HYGIENE_N:-48}
SCAN=$top/tests/hygiene/scan.py
OUT=$R_TMP/out
mkdir -p "$OUT" "$R_TMP/proc"
seed=$RANDOM
trap relay_finish EXIT
KEEP_LOGS=${KEEP_LOGS:-}
export RELAY_DEBUG=1
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all)
T0=$SECONDS
TP=$SECONDS
phase() {
	rsay "time: $1 $((SECONDS - TP)) s"
	TP=$SECONDS
}

# Everything smchanctl prints goes to a file in $OUT, scanned at the end.
nout=0
ctl() {
	nout=$((nout + 1))
	smchanctl "$@" >"$OUT/ctl.$nout.out" 2>"$OUT/ctl.$nout.err"
}

# keylog NAME: a new key log file for a card start (the old one stays).
declare -A KEYLOG_N
start_card_logged() {
	local name=$1 slot=$2
	KEYLOG_N[$name]=$((${KEYLOG_N[$name]:-0} + 1))
	SMCHAN_VCARD_KEYLOG=$R_TMP/$name.keylog.${KEYLOG_N[$name]} start_card "$name" "$slot"
}

stat_of() { smchanctl show "$1" --json | sed -n "s/.*\"$2\": \"\{0,1\}\([a-z0-9]*\).*/\1/p" | head -1; }

# /proc's readable files of every process involved (a snapshot, scanned
# at the end; scan.py snap leaves out mem, pagemap and the like).
snap_all() {
	local c specs=("relay=$RELAY_PID" "pcscd=$PCSCD_PID" "monitor=$MON_PID" "nl-events=$NLEV_PID" "self=$$")
	for c in "${!CARD_PID[@]}"; do specs+=("card-$c=${CARD_PID[$c]}"); done
	"$SCAN" snap "$R_TMP/proc" "${specs[@]}" "$@" >>"$OUT/snap.out" 2>&1
}

# ---- the chain ------------------------------------------------------------
# the relay's core dumps go to the host's disk (UML's /tmp is small)
CORES=${SMCHAN_BUILD:-$top/build}/check/hygiene-cores
rm -rf "$CORES"
mkdir -p "$CORES"
ulimit -c unlimited
echo "$CORES/core.%e.%p" >/proc/sys/kernel/core_pattern
abort_relay() {
	local pid=$RELAY_PID
	kill -ABRT "$pid"
	wait "$pid" 2>/dev/null
	RELAY_PID=
}
start_pcscd
new_card c128 16
new_card c256 32
start_card_logged c128 0
start_card_logged c256 1
start_relay

smchanctl monitor --timestamp >"$OUT/monitor.out" 2>&1 &
MON_PID=$!
R_PIDS+=("$MON_PID")
smchan-nl --raw "$OUT/nl-events.raw" events timeout 600000 ready-file "$R_TMP/nl-listening" \
	>"$OUT/nl-events.out" 2>&1 &
NLEV_PID=$!
R_PIDS+=("$NLEV_PID")
wait_for 10 test -e "$R_TMP/nl-listening" || bad "smchan-nl events did not start"

add_channel c128 0
# c256's key from the kernel keyring ("logon": not readable back)
ctl key add smchan:hyg256 key-file "$R_TMP/c256.key" || bad "key add: $(cat "$OUT/ctl.$nout.err")"
ctl channel add c256 reader "$(reader_name 1)" keyring smchan:hyg256 ||
	rfail "channel add c256 keyring: $(cat "$OUT/ctl.$nout.err")"
R_CHANNELS+=(c256)
ready c128
ready c256
phase "the chain"
ok "the chain is up: c128 (key file), c256 (logon key smchan:hyg256), cards with key logs"

# ---- 1. sessions in every mode and suite --------------------------------
half=$((N / 2))
for mode in xor list opkey ratchet; do
	ctl channel set c128 mode "$mode" rekey-limit 16 group 12
	ctl channel set c256 mode "$mode" rekey-limit 16 group 6
	s0=$(stat_of c128 sessions)
	t0=$SECONDS
	r=0
	both "$mode-a" "$half" || r=1
	ctl session stop c128
	ctl session stop c256
	ctl session start c128 || r=1
	ctl session start c256 || r=1
	both "$mode-b" "$half" || r=1
	s1=$(stat_of c128 sessions)
	for c in c128 c256; do
		ctl show "$c"
		ctl show "$c" --json
		ctl channel show "$c" --json
	done
	if [ $r = 0 ] && [ $((s1 - s0)) -ge 3 ]; then
		ok "mode $mode: 2 x $N commands on AES-128 and AES-256, $((s1 - s0)) sessions on c128 (rekey limit 16, stop/start), answers and images match ($((SECONDS - t0)) s)"
	else
		bad "mode $mode: sessions $s0 -> $s1"
	fi
	snap_all
done

# the card pulled and put back (a new key log), the relay restarted
remove_card c128
ctl apdu c128 00A4000C023F00
start_card_logged c128 0
if wait_for 20 smchanctl apdu c128 00A4000C023F00 && session c128 24 reinsert; then
	ok "card reinserted: a new session, 24 commands"
else
	bad "after the card came back: $(cat "$R_TMP/c128-reinsert.why" 2>/dev/null)"
fi
abort_relay	# its core: the memory of a relay that served every mode
start_relay
ready c128
ready c256
if both relay 24; then
	ok "relay restarted: both channels, 24 commands each"
else
	bad "after the relay restart"
fi

phase "sessions, card and relay restarts"
# ---- every smchanctl subcommand, and netlink raw --------------------------
ctl show
ctl show --json
ctl channel show
ctl channel show --json
ctl session start c256
ctl session stop c128
ctl --help
for sub in show channel session key apdu monitor relay; do ctl "$sub" --help; done
ctl apdu c128 00A4000C023F00 00B0000010
# errors about key files: they must not echo the file's content
(umask 077 && { tr -d '\n' <"$R_TMP/c128.key"; echo zz; } >"$R_TMP/bad-junk.key")
(umask 077 && { cat "$R_TMP/c128.key"; echo; cat "$R_TMP/c128.key"; echo; } >"$R_TMP/bad-twice.key")
(umask 077 && head -c 24 "$R_TMP/c256.key" >"$R_TMP/bad-short.key")
cp "$R_TMP/c128.key" "$R_TMP/bad-mode.key" && chmod 0644 "$R_TMP/bad-mode.key"
for k in junk twice short mode; do
	ctl channel add "hb-$k" reader x key-file "$R_TMP/bad-$k.key" &&
		{ bad "channel add took bad-$k.key"; R_CHANNELS+=("hb-$k"); }
	ctl channel set c128 key-file "$R_TMP/bad-$k.key" && bad "channel set took bad-$k.key"
	ctl key add "smchan:bad-$k" key-file "$R_TMP/bad-$k.key" && bad "key add took bad-$k.key"
	smchan-vcard --create --image "$R_TMP/bad-$k.img.key" --mkey-file "$R_TMP/bad-$k.key" \
		>"$OUT/vcard-create-$k.out" 2>&1 && bad "smchan-vcard --create took bad-$k.key"
done
ctl channel add hb-suite reader x suite aes256 key-file "$R_TMP/c128.key" &&
	{ bad "a 16-byte key for aes256"; R_CHANNELS+=(hb-suite); }
ctl channel add hb-stdin reader x key-file - <"$R_TMP/c256.key" && R_CHANNELS+=(hb-stdin)
ctl channel set hb-stdin key-file - <"$R_TMP/c128.key"
ctl channel del hb-stdin
ok "smchanctl: every subcommand run, bad key files refused ($nout invocations, scanned below)"

RAW=$OUT/nl-replies.raw
for a in "get c128" "get c256" "dump" "new hn key-file $R_TMP/c128.key" \
	"set hn key-file $R_TMP/c256.key" "set hn key-file $R_TMP/c128.key mode xor" \
	"new hn2 suite aes256 key-file $R_TMP/c128.key" "get hn" "dump" "del hn"; do
	# shellcheck disable=SC2086
	smchan-nl --raw "$RAW" $a >>"$OUT/nl-replies.out" 2>&1
done
[ -s "$RAW" ] && [ -s "$OUT/nl-events.raw" ] && [ -s "$OUT/monitor.out" ] &&
	ok "netlink recorded: $(wc -c <"$RAW") bytes of replies, $(wc -c <"$OUT/nl-events.raw") of events, $(wc -l <"$OUT/monitor.out") monitor lines" ||
	bad "nothing recorded from netlink"

phase "smchanctl subcommands and netlink"
# ---- 3. nobody --------------------------------------------------------------
cp "$R_TMP/c128.key" "$R_TMP/nobody.key" && chown nobody "$R_TMP/nobody.key"
: >"$OUT/nl-nobody.raw" && chown nobody "$OUT/nl-nobody.raw"
chmod 0711 "$R_TMP"
before=$(smchanctl show --json | sed 's/"commands": [0-9]*//; s/"n": [0-9]*//')
mode0=$(stat_of c128 mode)
np=0 nf=0 why=
as_nobody_ctl() {
	local what=$1
	shift
	nout=$((nout + 1))
	if timeout 20 "${NOBODY[@]}" smchanctl "$@" >"$OUT/ctl.$nout.out" 2>"$OUT/ctl.$nout.err"; then
		nf=$((nf + 1)) why="$why; smchanctl $what succeeded"
	elif ! grep -qi 'EPERM\|not permitted\|CAP_NET_ADMIN\|permission denied' "$OUT/ctl.$nout.err"; then
		nf=$((nf + 1)) why="$why; smchanctl $what: $(head -c 200 "$OUT/ctl.$nout.err")"
	else
		np=$((np + 1))
	fi
}
as_nobody_ctl "channel add" channel add hz reader "$(reader_name 0)" key-file "$R_TMP/nobody.key"
as_nobody_ctl "channel set" channel set c128 mode xor
as_nobody_ctl "channel set key" channel set c128 key-file "$R_TMP/nobody.key"
as_nobody_ctl "channel del" channel del c128
as_nobody_ctl "session start" session start c128
as_nobody_ctl "session stop" session stop c128
as_nobody_ctl "relay" relay --foreground
as_nobody_ctl "apdu" apdu c128 00A4000C023F00
for op in "new hz" "new hz key-file $R_TMP/nobody.key" "set c128 timeout 1" "set c128 key-file $R_TMP/nobody.key" \
	"del c128" "start c128" "stop c128" "bind c128" "unbind c128" "card c128 0" "done c128 1 9000" \
	"done c128 1 error:EIO"; do
	# shellcheck disable=SC2086
	if "${NOBODY[@]}" smchan-nl --raw "$OUT/nl-nobody.raw" --expect EPERM $op >>"$OUT/nl-nobody.out" 2>&1; then
		np=$((np + 1))
	else
		nf=$((nf + 1)) why="$why; genl $op: $(tail -1 "$OUT/nl-nobody.out")"
	fi
done
"${NOBODY[@]}" smchan-nl --raw "$OUT/nl-nobody.raw" dump >"$OUT/nl-nobody-dump.out" 2>&1 ||
	{ nf=$((nf + 1)); why="$why; nobody could not dump"; }
nout=$((nout + 1))
"${NOBODY[@]}" smchanctl show --json >"$OUT/ctl.$nout.out" 2>&1 || { nf=$((nf + 1)); why="$why; nobody: show"; }
after=$(smchanctl show --json | sed 's/"commands": [0-9]*//; s/"n": [0-9]*//')
if [ "$nf" = 0 ] && [ "$before" = "$after" ] && [ "$(stat_of c128 mode)" = "$mode0" ] &&
	smchanctl apdu c128 00A4000C023F00 >/dev/null; then
	ok "nobody: $np admin requests refused (smchanctl and every genl command but get: EPERM), channels untouched"
else
	bad "nobody: $nf not refused$why; channels changed: $([ "$before" = "$after" ] && echo no || echo yes)"
fi
# a logon key that nobody adds is nobody's: root's channel does not find it
nout=$((nout + 1))
if "${NOBODY[@]}" smchanctl key add smchan:hyg-nobody key-file "$R_TMP/nobody.key" keyring user \
	>"$OUT/ctl.$nout.out" 2>&1; then
	nk="nobody added it"
else
	nk="nobody could not add it: $(head -c 100 "$OUT/ctl.$nout.out")"
fi
if ctl channel add hz reader x keyring smchan:hyg-nobody; then
	R_CHANNELS+=(hz)
	bad "root's channel took the logon key nobody put in nobody's own keyring"
else
	ok "a key nobody adds to its own keyring ($nk) is not found for root's channel: $(head -c 120 "$OUT/ctl.$nout.err")"
fi

# /dev/smchan: as documented without the udev rule; the rule as documented
dev=$(stat -c '%a %U %G' /dev/smchan)
rule=$(grep -v '^#' "$top/userspace/udev/60-smchan.rules")
if [ "$dev" = "600 root root" ] &&
	grep -qF "$rule" "$top/Documentation/userspace-api.rst" &&
	grep -q 'GROUP="smchan", MODE="0660"' <<<"$rule" &&
	grep -q 'mode 0600 root by default' "$top/Documentation/userspace-api.rst" &&
	grep -q '(mode 0660' "$top/Documentation/admin-guide.rst" &&
	grep -q 'root.s only (0600)' "$top/Documentation/admin-guide.rst"; then
	ok "/dev/smchan is $dev without the udev rule, and the rule ($rule) is what both guides say"
else
	bad "/dev/smchan is $dev; rule: $rule"
fi
if out=$("${NOBODY[@]}" smchan-dev err:EACCES open 2>&1); then
	ok "nobody cannot open /dev/smchan (EACCES)"
else
	bad "nobody and /dev/smchan: $out"
fi

# one user cannot read another's answer: the device opened to a group
# both are in (the rule's setting, with nogroup for smchan)
chgrp nogroup /dev/smchan && chmod 0660 /dev/smchan
A=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all)
B=(setpriv --reuid=65533 --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all)
SYNC=$R_TMP/sync
mkdir -m 1777 "$SYNC"
"${A[@]}" smchan-dev open attach:c128 xfer:00A4080C045F005F02 sw:9000 write:00B0000010 \
	touch:"$SYNC/a-wrote" wait:"$SYNC/b-done" read len:18 sw:9000 >"$OUT/dev-a.out" 2>&1 &
apid=$!
wait_for 20 test -e "$SYNC/a-wrote"
bres=0
"${B[@]}" smchan-dev open attach:c128 err:ENODATA read err:ENODATA read xfer:00A4000C023F00 sw:9000 \
	>"$OUT/dev-b.out" 2>&1 || bres=1
# the other user's open file, through /proc: not for B (setpriv execs,
# so $apid is smchan-dev)
afd=$(ls -l "/proc/$apid/fd" 2>/dev/null | awk '/smchan$/ {print $9; exit}')
[ -n "$afd" ] || { bres=1; echo "no /dev/smchan among A's files" >>"$OUT/dev-b.out"; }
"${B[@]}" smchan-dev -d "/proc/$apid/fd/${afd:-3}" err:EACCES open >>"$OUT/dev-b.out" 2>&1 || bres=1
touch "$SYNC/b-done"
wait "$apid"
ares=$?
chmod 0600 /dev/smchan && chgrp root /dev/smchan
if [ "$bres" = 0 ] && [ "$ares" = 0 ]; then
	ok "another user on the same channel gets ENODATA, not the first user's answer, nor its file through /proc; the first user reads its own"
else
	bad "answer isolation: A $ares ($(tail -2 "$OUT/dev-a.out" | tr '\n' ' ')), B $bres ($(tail -3 "$OUT/dev-b.out" | tr '\n' ' '))"
fi

phase "nobody, the device"
# ---- 2. the places ----------------------------------------------------------
snap_all top=-
dmesg >"$OUT/dmesg.out" 2>&1
abort_relay
cores=("$CORES"/core.smchanctl.*)
if [ "${#cores[@]}" = 2 ] && [ -s "${cores[0]}" ] && [ -s "${cores[1]}" ]; then
	ok "the relay's memory: two core dumps (SIGABRT), after every mode and at the end ($(du -ck "${cores[@]}" | tail -1 | cut -f1) KiB)"
else
	bad "relay cores: ${cores[*]}"
fi
stop_pid "$NLEV_PID"
stop_pid "$MON_PID"
for c in c128 c256; do stop_pid "${CARD_PID[$c]}"; done

phase "snapshots, dmesg, cores"
T1=$SECONDS
logs=("$R_TMP"/*.keylog.*)
nkeys=$("$SCAN" keys "${logs[@]}")
sessions=$(for l in "${logs[@]}"; do awk '$1 == "KB" {split($2, a, "."); print a[1]}' "$l" | sort -u | wc -l; done |
	awk '{s += $1} END {print s}')
ks=$(cat "${logs[@]}" | grep -c '^K ')
if [ "$sessions" -ge 40 ] && [ "$ks" -ge $((4 * N * 2)) ]; then
	ok "the key logs: ${#logs[@]} files, $sessions sessions, $ks session keys, $nkeys distinct 16-byte key blocks with MKEYs and subkeys"
else
	bad "too few keys logged: $sessions sessions, $ks session keys"
fi
# the scanner finds what is there: the key files and the images hold MKEY
if ! "$SCAN" scan "${logs[@]}" -- "$R_TMP/c128.key" "$R_TMP/c256.img" >"$OUT/../control.scan" 2>&1 &&
	grep -q 'hex MKEY' "$OUT/../control.scan" && grep -q 'raw MKEY' "$OUT/../control.scan"; then
	ok "control: the scanner finds MKEY in a key file (hex) and a card image (raw)"
else
	bad "control: the scanner missed MKEY: $(cat "$OUT/../control.scan")"
fi
# every file but the ones that hold keys on purpose
{
	find "$R_TMP" -type f ! -name '*.key' ! -name '*.img' ! -name '*.keylog.*' \
		! -name control.scan ! -name '*.img.tmp'
	ls "$CORES"/core.*
} | sort >"$R_TMP/files"
if "$SCAN" scan "${logs[@]}" -- - <"$R_TMP/files" >"$R_TMP/scan.out" 2>&1; then
	ok "no key anywhere: $(tail -1 "$R_TMP/scan.out") (dmesg, netlink, /proc, relay cores, card logs, smchanctl)"
else
	bad "key bytes found:"
	grep -v '^UNREADABLE' "$R_TMP/scan.out" | sed 's/^/    /' | head -40
fi
for what in dmesg.out nl-replies.raw nl-events.raw monitor.out relay.log c128.log c256.log c128.err core.smchanctl proc/relay proc/card-c128 proc/top.-/keys; do
	grep -q "$what" "$R_TMP/files" || bad "not scanned: $what"
done
[ "$failed" != 0 ] || rm -rf "$CORES"
rsay "time in UML: $((SECONDS - T0)) s (scan $((SECONDS - T1)) s)"
