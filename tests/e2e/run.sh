#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/e2e/run.sh [--debug | --qemu 6.1|6.12] [TEST...]
#
# Runs the end-to-end tests (tests/e2e/*.sh, or the ones named) inside ONE
# UML boot (tests/uml-run): loads smchan.ko, runs each test with a time
# limit, unloads the module; then, on the host, scans the kernel log for
# problems (BUG, WARNING, KASAN, leaks...). Prints "PASS name" / "FAIL
# name" per test and ends with "N passed, N failed"; appends
# "e2e PASSED FAILED" ("e2e-debug ..." with --debug) to $SMCHAN_RESULTS
# when it is set. Exits 1 if any test failed.
#
# The tests' output is in build/check/e2e/NAME.log.
# --debug uses the debug kernel (KASAN, UBSAN, lockdep), and adds a
# kmemleak scan after the module is unloaded as one more test.
# --qemu LINE boots Debian's LINE kernel in qemu instead (tests/qemu-run);
# the result line is then "e2e-qemu-LINE ...".
# E2E_TIMEOUT: seconds per test (default 180); SMCHAN_TIMEOUT: for the
# whole boot (default 60 s per test + 300 in UML, 200 + 120 in qemu).
# The unload, and the kmemleak scan, are bounded too: one that hangs
# prints its stack and every blocked task's (sysrq w) and fails.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${SMCHAN_E2E_OUT:-$top/build/check/e2e}

# --- inside UML -----------------------------------------------------------------
if [ "${1:-}" = --inside ]; then
	shift
	pass=0 failn=0
	line() {
		printf '%-4s %s%s\n' "$1" "$2" "${3:+ ($3)}"
		echo "$1 $2" >>"$out/summary"
		if [ "$1" = PASS ]; then pass=$((pass + 1)); else failn=$((failn + 1)); fi
	}
	# Run "$@" for at most $1 s. A command that hangs (in the kernel,
	# where no signal reaches it) must not hang the run: say where it
	# waits, and every blocked task's stack (sysrq w, to the console).
	bounded() {
		local secs=$1 pid _
		shift
		"$@" &
		pid=$!
		for _ in $(seq $((secs * 10))); do
			kill -0 "$pid" 2>/dev/null || { wait "$pid"; return; }
			sleep 0.1
		done
		{
			echo "e2e: \`$*' still running after $secs s; its stack:"
			sed 's/^/    | /' "/proc/$pid/stack" 2>&1
		} | tee -a "$out/hung.txt" >&2
		echo w >/proc/sysrq-trigger 2>/dev/null || :
		kill -9 "$pid" 2>/dev/null || :
		return 124
	}
	if insmod "$SMCHAN_KO" 2>"$out/insmod.log" && [ -c /dev/smchan ]; then
		line PASS module-load
	else
		line FAIL module-load "$(head -c 200 "$out/insmod.log")"
		exit 1
	fi
	for t in "$@"; do
		name=${t##*/}
		name=${name%.sh}
		start=$SECONDS
		rc=0
		timeout -k 5 "${E2E_TIMEOUT:-180}" bash "$t" >"$out/$name.log" 2>&1 </dev/null || rc=$?
		if [ "$rc" = 0 ]; then
			line PASS "$name" "$((SECONDS - start)) s"
		else
			[ "$rc" != 124 ] || echo "(timed out after ${E2E_TIMEOUT:-180} s)" >>"$out/$name.log"
			line FAIL "$name" "exit $rc, $((SECONDS - start)) s"
			tail -n 25 "$out/$name.log" | sed 's/^/    | /'
		fi
	done
	# Leftovers would keep the module busy: none may be there.
	left=$(for p in smchan-loopback smchan-dev smchan-nl; do pgrep -x "$p"; done || :)
	if [ -n "$left" ]; then
		line FAIL leftovers "$(echo "$left" | tr '\n' ' ')"
		# shellcheck disable=SC2086 # one pid per word
		kill $left 2>/dev/null || :
		sleep 0.5
	fi
	# Unloading with a channel that has a bound transport and a session.
	mkdir -p /tmp/unload
	head -c 16 /dev/urandom | od -An -v -tx1 | tr -d ' \n' >/tmp/unload/key
	lb=
	if bounded 60 smchan-nl new u-last key-file /tmp/unload/key >/dev/null; then
		smchan-loopback -q --ready-file /tmp/unload/ready u-last=/tmp/unload/key \
			>/tmp/unload/lb.log 2>&1 &
		lb=$!
		for _ in $(seq 100); do
			[ -e /tmp/unload/ready ] && break
			sleep 0.05
		done
	fi
	if [ -n "$lb" ] && bounded 60 smchan-nl start u-last &&
		bounded 60 rmmod smchan; then
		line PASS module-unload
	else
		line FAIL module-unload "$(lsmod | grep '^smchan' || :)"
	fi
	[ -z "$lb" ] || kill "$lb" 2>/dev/null || :
	# The debug kernel: whatever the tests and the unload leaked.
	# kmemleak reports objects older than 5 s; scan twice (the first
	# scan holds back objects whose checksum changed).
	if [ -w /sys/kernel/debug/kmemleak ]; then
		sleep 6
		bounded 300 sh -c 'echo scan >/sys/kernel/debug/kmemleak &&
			echo scan >/sys/kernel/debug/kmemleak' ||
			line FAIL kmemleak-scan "did not finish in 300 s"
		cat /sys/kernel/debug/kmemleak >"$out/kmemleak.txt"
		if [ -s "$out/kmemleak.txt" ]; then
			line FAIL kmemleak "$out/kmemleak.txt"
			head -n 20 "$out/kmemleak.txt" | sed 's/^/    | /'
		else
			line PASS kmemleak
		fi
	fi
	echo "$pass $failn" >"$out/counts"
	exit 0
fi

# --- on the host ------------------------------------------------------------------
# Debian packages the tests need: libnl for the tools, keyutils (keyctl)
# for keys.sh, util-linux (setpriv) and procps (pgrep). Installed only if
# one is missing, and only as root.
deps() {
	local p missing=()
	for p in libnl-3-dev libnl-genl-3-dev keyutils util-linux procps python3; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	if [ "$(id -u)" != 0 ]; then
		echo "e2e: missing Debian packages: ${missing[*]} (run as root to install)" >&2
		return 0
	fi
	echo "e2e: apt-get install ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq \
		</dev/null >/dev/null || :
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
		--no-install-recommends "${missing[@]}" </dev/null >/dev/null
}
deps
flavour=()
runner=("$top/tests/uml-run")
name=e2e
if [ "${1:-}" = --debug ]; then
	flavour=(--debug)
	name=e2e-debug
	shift
elif [ "${1:-}" = --qemu ]; then
	runner=("$top/tests/qemu-run" --kernel "${2:?--qemu 6.1|6.12}")
	name=e2e-qemu-$2
	shift 2
fi
tests=()
if [ $# -gt 0 ]; then
	for t in "$@"; do
		case $t in
		*/*) tests+=("$(cd "$(dirname "$t")" && pwd)/${t##*/}") ;;
		*) tests+=("$here/${t%.sh}.sh") ;;
		esac
	done
else
	for t in "$here"/*.sh; do
		case ${t##*/} in
		run.sh | lib.sh) ;;
		*) tests+=("$t") ;;
		esac
	done
fi
for t in "${tests[@]}"; do
	[ -f "$t" ] || { echo "e2e: no test $t" >&2; exit 2; }
done

rm -rf "$out"
mkdir -p "$out"
rc=0
# A run takes 4 to 7 minutes on the debug UML kernel; a hang must not
# take the rest of make check's time with it. TCG guests are slower.
limit=$((${#tests[@]} * 60 + 300))
[ "$name" = "${name#e2e-qemu}" ] || limit=$((${#tests[@]} * 200 + 120))
limit=${SMCHAN_TIMEOUT:-$limit}
[ "$name" = "${name#e2e-qemu}" ] || runner+=(--timeout "$limit")
SMCHAN_E2E_OUT=$out SMCHAN_TIMEOUT=$limit \
	"${runner[@]}" "${flavour[@]}" --no-module --log "$out/console.log" -- \
	"$here/run.sh" --inside "${tests[@]}" || rc=$?

pass=0 failn=0
if [ -s "$out/counts" ]; then
	read -r pass failn <"$out/counts"
else
	echo "FAIL boot (${runner[0]##*/} exit $rc; see $out/console.log)"
	failn=$((failn + 1))
fi
# A kernel problem fails the run even if every test passed.
if [ -s "$out/console.log" ] &&
	python3 "$top/tests/uml/scan-log.py" "$out/console.log" >"$out/problems.txt" 2>&1; then
	echo "PASS kernel-log"
	pass=$((pass + 1))
else
	echo "FAIL kernel-log ($out/problems.txt)"
	grep -v '^scan-log: ignored' "$out/problems.txt" 2>/dev/null | head -n 15 | sed 's/^/    | /'
	failn=$((failn + 1))
fi
if [ -n "${SMCHAN_RESULTS:-}" ]; then
	echo "$name $pass $failn" >>"$SMCHAN_RESULTS"
fi
echo "$pass passed, $failn failed"
[ "$failn" = 0 ]
