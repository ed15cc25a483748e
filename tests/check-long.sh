#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-long: the tests too slow for `make check` (tests/README.md).
# Today: tests/qemu/install.sh, the admin guide followed line by line in
# qemu on Debian's 6.1 and 6.12 kernels: Install, DKMS, then Provision a
# key, Configure a real USB CCID reader, Run the relay and the smchan
# PC/SC reader, with our card behind qemu's USB CCID reader
# (side by side, one vCPU each; 9 minutes on 6.1, more on 6.12: the module
# is built three times under TCG, and depmod decompresses 6.12's xz
# modules); then tests/qemu/module-life.sh with 100 load/unload rounds on
# each kernel (2.5 min each); then tests/load/run.sh --long (16 processes
# x 10,000 commands on 4 channels, in UML), the load on the debug kernel,
# the e2e suite on both Debian kernels in qemu, tests/hostile/run.sh
# --long (15 min), tests/random/run.sh --long (11 min) and
# tests/faults/run.sh --long (make check runs the short form); last, the
# fuzzers' long form, make -C tests/fuzz long: 10 million executions per
# target, 2 processes each (SMCHAN_FUZZ_JOBS), which alone takes hours:
# card and diff run at 300 to 1,000 executions per second per process
# (Documentation/reliability.rst has the rates; SMCHAN_FUZZ_RUNS or
# SMCHAN_FUZZ_TIME shorten it). Ends with "N passed, N failed"
# like make check.
set -uo pipefail
. "$(dirname "$0")/qemu/lib.sh"
"$UMLDIR/deps.sh" || exit 1
"$QEMUDIR/deps.sh" 6.1 6.12 || exit 1
make -C "$TOP/userspace" -s --no-print-directory all >/dev/null || die "userspace did not build"
RESULTS=$CHECK/results-long
: >"$RESULTS"
pids=()
for l in 6.1 6.12; do
	"$TOP/tests/qemu-run" --kernel "$l" --no-module --usb 1 --strict --timeout 2400 \
		-- "$QEMUDIR/install.sh" >"$CHECK/install-$l.log" 2>&1 &
	pids+=($!)
done
i=0
for l in 6.1 6.12; do
	wait "${pids[$i]}"
	rc=$?
	i=$((i + 1))
	grep -E '^install: (ok|FAIL)' "$CHECK/install-$l.log" | sed "s/^install: /  install-$l: /"
	read -r p f < <(awk '/^install: RESULT /{p=$3; f=$4} END{print p+0, f+0}' "$CHECK/install-$l.log")
	[ "$rc" = 0 ] || [ "$f" != 0 ] || f=1
	result "qemu-$l/install" "$p" "$f"
done
# Module life with 100 load/unload rounds (make check runs 20).
for l in 6.1 6.12; do
	"$TOP/tests/qemu-run" --kernel "$l" --no-module --strict --timeout 1200 \
		-- env MODULE_LIFE_N=100 "$QEMUDIR/module-life.sh" >"$CHECK/module-life-$l.log" 2>&1
	rc=$?
	grep -E '^module-life: (ok|FAIL)' "$CHECK/module-life-$l.log" | sed "s/^module-life: /  module-life-$l: /"
	read -r p f < <(awk '/^module-life: RESULT /{p=$3; f=$4} END{print p+0, f+0}' "$CHECK/module-life-$l.log")
	[ "$rc" = 0 ] || [ "$f" != 0 ] || f=1
	result "qemu-$l/module-life-100" "$p" "$f"
done
# Load: 16 processes on 4 channels, 10,000 commands each (UML).
SMCHAN_RESULTS=$RESULTS "$TOP/tests/load/run.sh" --long
# The load on the debug kernel (UML), and the e2e suite on Debian's
# kernels (qemu), which make check leaves out for time.
SMCHAN_RESULTS=$RESULTS "$TOP/tests/load/run.sh" --debug
for l in 6.1 6.12; do
	SMCHAN_RESULTS=$RESULTS "$TOP/tests/e2e/run.sh" --qemu "$l"
done
# The smchan PC/SC reader on Debian's 6.12 (13/13 in 4 min).
SMCHAN_RESULTS=$RESULTS "$TOP/tests/ifd/run.sh" --qemu 6.12
# The hostile wire: every case in every mode, both suites (UML).
SMCHAN_RESULTS=$RESULTS "$TOP/tests/hostile/run.sh" --long
# Random use of the interfaces for 10 minutes, and injected faults with
# their race loops, long forms (debug UML kernel).
SMCHAN_RESULTS=$RESULTS "$TOP/tests/random/run.sh" --long
SMCHAN_RESULTS=$RESULTS "$TOP/tests/faults/run.sh" --long
# Coverage-guided fuzzing, 10 million executions per target.
SMCHAN_RESULTS=$RESULTS SMCHAN_FUZZ_JOBS=${SMCHAN_FUZZ_JOBS:-2} \
	make -C "$TOP/tests/fuzz" --no-print-directory long
awk '{ p += $2; f += $3 } $3 > 0 { bad = bad " " $1 }
	END { if (bad != "") printf "  FAILED  %s\n", bad; printf "%d passed, %d failed\n", p, f; exit f > 0 }' "$RESULTS"
