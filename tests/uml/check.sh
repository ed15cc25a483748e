#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh [full|quick]: the stages of `make check` (full) and
# `make check-quick` (quick: KUnit on the normal UML kernel only).
#
# Every stage appends "NAME PASSED FAILED [SKIPPED]" lines to
# build/check/results (path in $SMCHAN_RESULTS); a stage that fails
# without saying what failed counts as "NAME 0 1", one that passes
# without a line as "NAME 1 0". A failing stage does not stop the later
# ones, except deps and src, which everything needs. The last line is
# "N passed, N failed", the sums over all lines; exit 1 if N failed > 0.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=${1:-full}
export SMCHAN_RESULTS=$RESULTS JOBS PYTHON
: >"$RESULTS"
rm -f "$CHECK/results-qemu"

summary() {
	awk '
		{ p += $2; f += $3; s += $4 }
		$3 > 0 { bad = bad " " $1 }
		END {
			if (bad != "") printf "  FAILED  %s\n", bad
			printf "%d passed, %d failed\n", p, f
			exit f > 0
		}' "$RESULTS"
}

# stage [--prep] NAME CMD...: run a stage, make sure it left a result.
# A --prep stage (deps, src) only counts when it fails.
stage() {
	local prep=0 name before after rc=0 start=$SECONDS
	if [ "$1" = --prep ]; then
		prep=1
		shift
	fi
	name=$1
	shift
	before=$(wc -l <"$RESULTS")
	"$@" || rc=$?
	after=$(wc -l <"$RESULTS")
	if [ "$rc" -ne 0 ]; then
		failed_stages+=("$name")
		if ! tail -n +"$((before + 1))" "$RESULTS" | awk '$3 > 0 { f = 1 } END { exit !f }'; then
			result "$name" 0 1
		fi
		say FAIL "$name (exit $rc, $((SECONDS - start)) s)"
	elif [ "$after" -eq "$before" ] && [ "$prep" -eq 0 ]; then
		result "$name" 1 0
	fi
	echo "$name $((SECONDS - start))" >>"$CHECK/stage-times"
	return "$rc"
}

# digest: the failure lines of the whole run once more at the very end,
# where the tail of a CI log shows them (everything printed is also in
# build/check/check.out).
failed_stages=()
digest() {
	[ ${#failed_stages[@]} != 0 ] || return 0
	sleep 0.5	# tee's last lines
	say DIGEST "what failed (${failed_stages[*]}):"
	grep -aE 'FAIL|not ok|error:|Error [0-9]' "$CHECK/check.out" | grep -avE '^  (FAIL|DIGEST) ' |
		head -n 40 | sed 's/^ */    /'
}

exec > >(tee "$CHECK/check.out" 9>&-) 2>&1
teepid=$!
# finish RC: let tee write the last lines (a daemon a test left behind may
# hold the pipe open: do not wait for its EOF), then exit RC.
finish() {
	local i
	exec >&- 2>&-
	for ((i = 0; i < 20; i++)); do
		kill -0 "$teepid" 2>/dev/null || break
		sleep 0.1
	done
	exit "$1"
}
start=$SECONDS
: >"$CHECK/stage-times"
if ! stage --prep deps "$UMLDIR/deps.sh" ||
	! stage --prep src "$UMLDIR/kernel.sh" src; then
	digest
	summary || :
	finish 1
fi

stage kunit-normal "$UMLDIR/kunit.sh" normal || :
if [ "$mode" = full ]; then
	stage style "$UMLDIR/style.sh" || :
	stage kunit-debug "$UMLDIR/kunit.sh" debug || :
	stage kunit-normal-6.12 env SMCHAN_KVER=6.12 "$UMLDIR/kunit.sh" normal || :
	# Is there a check target? (-p prints make's database and runs no
	# recipe, unlike -n, which still runs $(MAKE) lines.)
	db=
	if [ -f "$TOP/userspace/Makefile" ]; then
		db=$(make -C "$TOP/userspace" -pRrq : 2>/dev/null || :)
	fi
	if grep -q '^check:' <<<"$db"; then
		say USER "make -C userspace check"
		# 9>&-: a daemon the tests leave behind must not keep our lock.
		stage userspace make -C "$TOP/userspace" --no-print-directory \
			check 9>&- || :
	fi
	say UAPI "the uapi header against Documentation/netlink/specs/smchan.yaml"
	stage uapi "$PYTHON" "$TOP/tests/check-uapi.py" || :
	stage packaging "$TOP/tests/packaging.sh" || :
	# The qemu stage runs beside the UML e2e and relay stages: UML runs on
	# one core and mostly waits (pcscd, the card, sleeps), while a TCG
	# guest keeps one core busy, so the guests go one after the other
	# (SMCHAN_QEMU_SERIAL) on the other core. Its results go to a file of
	# their own until the UML stages are done (stage counts lines).
	say QEMU "Debian's 6.1 and 6.12 kernels in qemu, beside the UML e2e and relay stages: the relay through qemu's USB CCID readers, USB faults, the walk-through, DKMS, module life"
	# The fuzzers' short pass (tests/fuzz, CPU-bound), the key hygiene
	# test and the short faults run (tests/faults, 2-3 minutes) follow
	# the guests on their core, so that both cores stay busy until the
	# end.
	qstart=$SECONDS
	background() {
		local rc=0
		"$TOP/tests/qemu/stage.sh" >"$CHECK/qemu-stage.out" 2>&1 || rc=1
		echo "qemu $((SECONDS - qstart))" >"$CHECK/background-times"
		make -C "$TOP/tests/fuzz" --no-print-directory check \
			>"$CHECK/fuzz-stage.out" 2>&1 || rc=1
		echo "fuzz $((SECONDS - qstart))" >>"$CHECK/background-times"
		"$TOP/tests/hygiene/run.sh" >"$CHECK/hygiene-stage.out" 2>&1 || rc=1
		echo "hygiene $((SECONDS - qstart))" >>"$CHECK/background-times"
		"$TOP/tests/faults/run.sh" >"$CHECK/faults-stage.out" 2>&1 || rc=1
		echo "faults $((SECONDS - qstart))" >>"$CHECK/background-times"
		return "$rc"
	}
	SMCHAN_RESULTS=$CHECK/results-qemu SMCHAN_QEMU_SERIAL=1 SMCHAN_UML_SLOT=bg \
		background 9>&- &
	qpid=$!
	# The e2e tests run on the debug kernel here (make check-long runs
	# them on Debian's two kernels in qemu); a run on the normal UML
	# kernel would add 220 s and no coverage.
	say E2E "tests/e2e: /dev/smchan and the netlink family in UML (debug kernel)"
	stage e2e-debug "$TOP/tests/e2e/run.sh" --debug 9>&- || :
	say E2E "tests/relay: smchanctl relay + pcscd + vpcd + smchan-vcard in UML"
	stage relay-e2e "$TOP/tests/relay/run.sh" 9>&- || :
	stage relay-sandbox "$TOP/tests/relay/sandbox-run.sh" 9>&- || :
	say LOAD "tests/load: 4 channels x 2 files of random commands at once"
	stage load "$TOP/tests/load/run.sh" 9>&- || :
	say E2E "tests/hostile: a man in the middle between vpcd and the card"
	stage hostile "$TOP/tests/hostile/run.sh" 9>&- || :
	say E2E "tests/ifd: unmodified PC/SC programs through the smchan reader"
	stage ifd "$TOP/tests/ifd/run.sh" 9>&- || :
	say RANDOM "tests/random: 60 s of random, well-typed use of genl, /dev/smchan and transports (debug kernel)"
	stage random "$TOP/tests/random/run.sh" 9>&- || :
	qemu_done() {
		local rc=0
		wait "$qpid" || rc=$?
		sed 's/^/  /' "$CHECK/qemu-stage.out"
		say FUZZ "tests/fuzz: the short, fixed-seed pass of every target"
		grep -E '^(  FUZZ|fuzz )|error:|Error [0-9]' "$CHECK/fuzz-stage.out" | sed 's/^/  /'
		say E2E "tests/hygiene: the real key bytes, looked for wherever a key could leak"
		sed 's/^/  /' "$CHECK/hygiene-stage.out"
		say FAULTS "tests/faults: allocations failing under load, races with deletion and rmmod, the relay killed (debug kernel)"
		sed 's/^/  /' "$CHECK/faults-stage.out"
		cat "$CHECK/results-qemu" >>"$RESULTS" 2>/dev/null
		say QEMU "the qemu stage, the fuzzers, hygiene and faults took $((SECONDS - qstart)) s in all ($(tr '\n' ' ' <"$CHECK/background-times" 2>/dev/null)s from their start)"
		return "$rc"
	}
	stage qemu+fuzz+hygiene+faults qemu_done || :
fi

digest
say TIME "$mode check took $((SECONDS - start)) s ($(awk '{ printf "%s%s %d s", (NR > 1 ? ", " : ""), $1, $2 }' "$CHECK/stage-times"))"
rc=0
summary || rc=$?
finish "$rc"
