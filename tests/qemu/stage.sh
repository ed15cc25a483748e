#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/qemu/stage.sh: the `make check` stage qemu. Installs what is
# missing (tests/qemu/deps.sh), prepares both kernels (vmlinux, initramfs,
# smchan.ko against each one's headers), then runs tests/qemu/check.sh
# for 6.1 and 6.12 side by side, one vCPU each (TCG: one host thread per
# vCPU, and the guests' tests are mostly serial, so two one-vCPU guests
# finish sooner than two two-vCPU guests in turn). Each guest has two of
# qemu's USB CCID readers. Results: qemu-6.1/... and qemu-6.12/... lines
# (check.sh). To stay within the CI budget (TCG runs the tests 2-5x slower
# than UML) the stage leaves out three e2e tests that UML runs and whose
# logic does not depend on the kernel line: e2e/dump.sh (95 s under TCG),
# e2e/sessions.sh (the engine's sessions over a loopback transport; the
# relay test runs sessions in every mode through the USB reader) and
# e2e/genl-stall.sh (its 1 s limits are for UML: under TCG with one vCPU,
# two process starts alone took 1.4 s once); it runs 300-command relay
# sessions per mode, 1,000-command long sessions and 20 module reloads.
# SMCHAN_QEMU_E2E_SKIP, SMCHAN_RELAY_N, SMCHAN_RELAY_LONG,
# SMCHAN_MODULE_LIFE_N override that. SMCHAN_QEMU_SERIAL=1 runs the two
# guests one after the other (make check does, beside its UML stages).

set -uo pipefail
. "$(dirname "$0")/lib.sh"
t0=$SECONDS
"$QEMUDIR/deps.sh" 6.1 6.12 || { result qemu/deps 0 1; exit 1; }
say QEMU "packages ready in $((SECONDS - t0)) s"
for l in 6.1 6.12; do
	"$QEMUDIR/prepare.sh" "$l" >/dev/null || { result "qemu-$l/boot" 0 1; exit 1; }
done
# The guests load the module DKMS built for their kernel (dkms-load.sh):
# tests/packaging.sh, the stage before this one in make check, keeps it.
for l in 6.1 6.12; do
	abi=$(qemu_abi "$l")
	if ! ls "$CHECK/packaging/dkms-installed/$abi/"smchan.ko* >/dev/null 2>&1; then
		say QEMU "no DKMS-built module for $abi yet: tests/packaging.sh"
		SMCHAN_RESULTS=/dev/null "$TOP/tests/packaging.sh" >"$CHECK/qemu-packaging.log" 2>&1 || :
		break
	fi
done
for l in 6.1 6.12; do
	"$QEMUDIR/dkms-prep.sh" "$(qemu_abi "$l")" >>"$CHECK/qemu-dkms-prep.log" 2>&1 ||
		say QEMU "tests/qemu/dkms-prep.sh $l failed ($CHECK/qemu-dkms-prep.log)"
done
run_logged "$CHECK/qemu-userspace.log" make -C "$TOP/userspace" -s --no-print-directory all ||
	{ result qemu/userspace 0 1; exit 1; }
say QEMU "kernels and modules ready in $((SECONDS - t0)) s"
export SMCHAN_QEMU_SMP=${SMCHAN_QEMU_SMP:-1} SMCHAN_MODULE_LIFE_N=${SMCHAN_MODULE_LIFE_N:-20}
export SMCHAN_QEMU_E2E_SKIP=${SMCHAN_QEMU_E2E_SKIP-dump genl-stall sessions}
# The e2e suite on Debian's kernels is make check-long's (tests/e2e/run.sh
# --qemu LINE): 140 s per guest that the 45-minute budget of make check
# cannot hold; the debug UML kernel runs every e2e test in make check.
export SMCHAN_QEMU_E2E=${SMCHAN_QEMU_E2E:-0}
export SMCHAN_RELAY_N=${SMCHAN_RELAY_N:-300} SMCHAN_RELAY_LONG=${SMCHAN_RELAY_LONG:-1000}
rc=0 pids=()
for l in 6.1 6.12; do
	# One walk-through per kernel: AES-128 on 6.1, AES-256 on 6.12 (the
	# relay part runs every mode with both suites on each).
	walk=16
	[ "$l" = 6.1 ] || walk=32
	if [ -n "${SMCHAN_QEMU_SERIAL:-}" ]; then
		SMCHAN_QEMU_WALK=${SMCHAN_QEMU_WALK:-$walk} "$QEMUDIR/check.sh" "$l" \
			>"$CHECK/qemu-$l.out" 2>&1 || rc=1
		continue
	fi
	SMCHAN_QEMU_WALK=${SMCHAN_QEMU_WALK:-$walk} "$QEMUDIR/check.sh" "$l" \
		>"$CHECK/qemu-$l.out" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || rc=1
done
cat "$CHECK/qemu-6.1.out" "$CHECK/qemu-6.12.out"
say QEMU "stage took $((SECONDS - t0)) s"
exit "$rc"
