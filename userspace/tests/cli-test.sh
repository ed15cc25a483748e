#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The command lines of smchanctl and smchan-vcard, with no kernel module
# and no card:
#   - every --help prints to stdout and exits 0; every usage error prints
#     to stderr (nothing on stdout) and exits 2;
#   - key files and card images that others can read or write, or that
#     are directories, are refused with a clear message;
#   - reader and keyring names longer than the kernel's 127 bytes are
#     refused before anything is sent;
#   - every process that reads MKEY is non-dumpable with RLIMIT_CORE 0
#     before it reads it: the key file is a FIFO, so the program waits in
#     open() or read() while /proc/PID says what it is (the files of a
#     non-dumpable process belong to root; as root the programs run as
#     nobody to see that).
#
#   cli-test.sh BUILD_DIR
# Prints "RESULT <passed> <failed>".
set -u
B=$(cd "$1" && pwd)
ctl=$B/smchanctl
vcard=$B/smchan-vcard
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

dir=$(mktemp -d /tmp/smchan-cli-test.XXXXXX)
chmod 0755 "$dir"
cleanup() {
	[ "$failed" = 0 ] && rm -rf "$dir"
}
trap cleanup EXIT
out=$dir/out
err=$dir/err

# help PROGRAM ARGS...: stdout has "Usage", stderr nothing, exit 0.
help() {
	"$@" >"$out" 2>"$err" </dev/null
	local rc=$?
	if [ "$rc" = 0 ] && grep -q '^Usage' "$out" && [ ! -s "$err" ]; then
		ok "${*#"$B/"}: help on stdout, exit 0"
	else
		bad "${*#"$B/"}: exit $rc, stdout $(wc -c <"$out") bytes, stderr: $(head -c 200 "$err")"
	fi
}

# usage PROGRAM ARGS...: stderr says something, stdout nothing, exit 2.
usage() {
	"$@" >"$out" 2>"$err" </dev/null
	local rc=$?
	if [ "$rc" = 2 ] && [ -s "$err" ] && [ ! -s "$out" ]; then
		ok "${*#"$B/"}: usage error, exit 2"
	else
		bad "${*#"$B/"}: exit $rc (want 2), stdout $(wc -c <"$out") bytes, stderr: $(head -c 200 "$err")"
	fi
}

# refused MESSAGE PROGRAM ARGS...: exit 1 and MESSAGE (a grep -E pattern)
# on stderr.
refused() {
	local want=$1 rc
	shift
	timeout 10 "$@" >"$out" 2>"$err" </dev/null
	rc=$?
	if [ "$rc" = 1 ] && grep -Eq "$want" "$err"; then
		ok "${*#"$B/"}: $(head -1 "$err")"
	else
		bad "${*#"$B/"}: exit $rc, stderr: $(head -c 300 "$err") (want /$want/)"
	fi
}

echo "== --help and usage errors"
help "$ctl" --help
help "$ctl" -h
help "$ctl" help
for sub in show channel session key apdu monitor relay; do
	help "$ctl" "$sub" --help
done
for sub in add set del show; do
	help "$ctl" channel "$sub" --help
done
help "$ctl" session start --help
help "$ctl" session stop --help
help "$ctl" key add --help
help "$ctl" apdu card0 --help
help "$vcard" --help

usage "$ctl" bogus
usage "$ctl" --bogus
usage "$ctl" show a b
usage "$ctl" show --bogus
usage "$ctl" channel
usage "$ctl" channel bogus
usage "$ctl" channel add
usage "$ctl" channel add c0
usage "$ctl" channel add c0 reader
usage "$ctl" channel add c0 reader r bogus value
usage "$ctl" channel add c0 reader r mode bogus
usage "$ctl" channel add c0 reader r timeout -1
usage "$ctl" channel add c0 mode ratchet
usage "$ctl" channel add this-name-is-too-long reader r
usage "$ctl" channel set
usage "$ctl" channel set c0 suite aes512
usage "$ctl" channel del
usage "$ctl" channel del a b
usage "$ctl" channel show a b
usage "$ctl" session
usage "$ctl" session bogus c0
usage "$ctl" session start
usage "$ctl" session start a b
usage "$ctl" key
usage "$ctl" key bogus
usage "$ctl" key add
usage "$ctl" key add nocolon key-file k
usage "$ctl" key add s:c0
usage "$ctl" key add s:c0 key-file
usage "$ctl" key add s:c0 key-file k keyring bogus
usage "$ctl" key add s:c0 bogus value
usage "$ctl" apdu
usage "$ctl" apdu c0
# monitor.c and relay.c are another change's: their usage errors are
# reported, and counted only once they pass.
for sub in monitor relay; do
	"$ctl" "$sub" --bogus >"$out" 2>"$err" </dev/null
	rc=$?
	if [ "$rc" = 2 ] && [ -s "$err" ] && [ ! -s "$out" ]; then
		ok "smchanctl $sub --bogus: usage error, exit 2"
	else
		echo "info: smchanctl $sub --bogus exits $rc, not 2 (${sub}.c)"
	fi
done
usage "$vcard"
usage "$vcard" --bogus
usage "$vcard" --image x extra
usage "$vcard" --image x --port 0
usage "$vcard" --image x --mkey-file k
usage "$vcard" --create --image x
usage "$vcard" --create --image x --mkey-file k --suite aes512
# --vscard: qemu's socket instead of vpcd, so no --port or --host
usage "$vcard" --image x --vscard s --port 35963
usage "$vcard" --image x --port 35963 --vscard s
usage "$vcard" --image x --vscard s --host 127.0.0.1
usage "$vcard" --image x --vscard ""
usage "$vcard" --image x --vscard
usage "$vcard" --image x --control f
usage "$vcard" --image x --port 1 --control f
usage "$vcard" --image x --vscard s --control ""
usage "$vcard" --create --image x --mkey-file k --vscard s
# --latency MODEL: t1, US or US,BPS (tests/latency-test.c times it)
for m in "" bogus T1 -1 10000001 1000, ,445000 1000,445000,1 1000,999 \
	1000,100000001 1e3 0x10 "+5" " 5"; do
	usage "$vcard" --image x --latency "$m"
done
usage "$vcard" --image x --latency
usage "$vcard" --image x --latency t1 extra
usage "$vcard" --create --image x --mkey-file k --latency t1

echo "== key files, card images and names"
long=$(printf 'r%.0s' $(seq 1 128))
ok127=$(printf 'r%.0s' $(seq 1 127))
key=$dir/k
(umask 077 && echo 00112233445566778899aabbccddeeff >"$key")
usage "$ctl" channel add c0 reader "$long"
usage "$ctl" channel set c0 reader "$long"
usage "$ctl" channel add c0 reader r keyring "s:$long"
usage "$ctl" key add "s:$long" key-file "$key"
if grep -q '127' "$err"; then
	ok "the message says the limit: $(head -1 "$err")"
else
	bad "the message does not say the limit: $(head -1 "$err")"
fi
# 127 bytes pass the check: the command gets as far as netlink
"$ctl" channel add c0 reader "$ok127" >"$out" 2>"$err"
if ! grep -q 'Invalid reader' "$err"; then
	ok "a reader name of 127 bytes is accepted"
else
	bad "a reader name of 127 bytes: $(head -1 "$err")"
fi

chmod 0644 "$key"
refused "can be read or written by others \(mode 0644\)" "$ctl" channel add c0 reader r key-file "$key"
refused "can be read or written by others" "$ctl" channel set c0 key-file "$key"
refused "can be read or written by others" "$ctl" key add s:c0 key-file "$key"
refused "can be read or written by others" "$vcard" --create --image "$dir/img" --mkey-file "$key"
chmod 0600 "$key"
refused "is a directory" "$ctl" channel add c0 reader r key-file "$dir"
refused "is a directory" "$ctl" key add s:c0 key-file "$dir"
refused "is a directory" "$vcard" --create --image "$dir/img" --mkey-file "$dir"
if "$vcard" --create --image "$dir/img" --mkey-file "$key" 2>"$err"; then
	ok "an image is created from a key file of mode 0600"
else
	bad "smchan-vcard --create: $(cat "$err")"
fi
chmod 0644 "$dir/img"
refused "card image .* can be read or written by others" "$vcard" --image "$dir/img" --port 1
chmod 0600 "$dir/img"
ln -s "$dir/img" "$dir/link"
refused "symbolic link" "$vcard" --image "$dir/link" --port 1

echo "== processes that hold MKEY are not dumpable"
as=()
if [ "$(id -u)" = 0 ]; then
	as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	chown 65534:65534 "$dir" "$dir/img"
fi
core_limit() {
	awk '/^Max core file size/ { print $5 "/" $6 }' "/proc/$1/limits" 2>/dev/null
}
# dumpable NAME PID: within 5 s, /proc/PID belongs to root and the core
# limit is 0.
dumpable() {
	local name=$1 pid=$2 owner= core=
	for _ in $(seq 1 50); do
		owner=$(stat -c %u "/proc/$pid/status" 2>/dev/null)
		core=$(core_limit "$pid")
		[ "$owner" = 0 ] && [ "$core" = 0/0 ] && break
		sleep 0.1
	done
	if [ "$owner" = 0 ] && [ "$core" = 0/0 ]; then
		ok "$name: not dumpable, core limit 0, before it reads the key"
	else
		bad "$name: /proc/$pid/status belongs to uid ${owner:-?} (want 0: not dumpable), core limit ${core:-?} (want 0/0)"
	fi
}
# with_fifo NAME ARGS...: runs ARGS with $dir/fifo as the key file.
with_fifo() {
	local name=$1 pid
	shift
	rm -f "$dir/fifo"
	mkfifo -m 0600 "$dir/fifo"
	[ ${#as[@]} = 0 ] || chown 65534:65534 "$dir/fifo"
	"${as[@]}" "$@" >/dev/null 2>&1 &
	pid=$!
	dumpable "$name" "$pid"
	# an invalid key lets it go
	timeout 5 sh -c "echo 00 >'$dir/fifo'"
	timeout 5 tail --pid="$pid" -f /dev/null
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
with_fifo "smchanctl channel add" "$ctl" channel add c0 reader r key-file "$dir/fifo"
with_fifo "smchanctl channel set" "$ctl" channel set c0 key-file "$dir/fifo"
with_fifo "smchanctl key add" "$ctl" key add s:c0 key-file "$dir/fifo"
with_fifo "smchan-vcard --create" "$vcard" --create --image "$dir/img2" --mkey-file "$dir/fifo"
"${as[@]}" "$vcard" --image "$dir/img" --port 1 >/dev/null 2>&1 &
pid=$!
dumpable "smchan-vcard --image" "$pid"
kill "$pid"
wait "$pid" 2>/dev/null

echo "RESULT $passed $failed"
[ "$failed" = 0 ]
