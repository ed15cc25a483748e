#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/qemu/suite.sh OUT: the guest side of tests/qemu/check.sh, in ONE
# boot (tests/qemu-run --no-module --usb 2), each part logged to OUT/:
#   e2e          tests/e2e/run.sh --inside with the e2e tests (it loads and
#                unloads smchan.ko itself)                     OUT/e2e/
#   relay        tests/relay/e2e.sh with its two cards behind qemu's USB
#                CCID readers (tests/relay/lib.sh): every mode and suite,
#                card removal, relay, pcscd and module restarts  relay.log
#   usb-faults   tests/qemu/usb-faults.sh: T=0 under SM chaining, the card
#                pulled and the reader unplugged mid-session     usb-faults.log
#   walkthrough  demo/walkthrough.sh, the patent's walk-through in the four
#                modes, with an AES-128 and an AES-256 card (the key
#                lengths in SMCHAN_QEMU_WALK, default "16 32")  walkthrough-*.log
#   dkms-load    tests/qemu/dkms-load.sh: the module DKMS built on the
#                host for this kernel, loaded with modprobe      dkms-load.log
#   module-life  tests/qemu/module-life.sh                       module-life.log
# with smchan.ko loaded for relay, usb-faults and walkthrough. Each part's
# time and exit status go to OUT/times. From the host (qemu-run passes
# SMCHAN_* only): SMCHAN_QEMU_E2E=0 (no e2e part), SMCHAN_QEMU_E2E_SKIP
# (e2e tests to leave out, e.g. "dump"), SMCHAN_RELAY_N, SMCHAN_RELAY_LONG (tests/relay/e2e.sh's RELAY_N,
# RELAY_LONG), SMCHAN_MODULE_LIFE_N.

set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: suite.sh OUT}
mkdir -p "$out/e2e"
: >"$out/times"
part() { # part NAME LOG CMD...: run, log, time
	local name=$1 log=$2 t0=$SECONDS rc=0
	shift 2
	"$@" >"$log" 2>&1 </dev/null || rc=$?
	echo "$name $((SECONDS - t0)) $rc" >>"$out/times"
	echo "qemu-suite: $name: exit $rc in $((SECONDS - t0)) s"
}

tests=()
for t in "$top"/tests/e2e/*.sh; do
	n=${t##*/}
	case " run lib ${SMCHAN_QEMU_E2E_SKIP:-} " in
	*" ${n%.sh} "*) ;;
	*) tests+=("$t") ;;
	esac
done
if [ "${SMCHAN_QEMU_E2E:-1}" != 0 ]; then
	SMCHAN_E2E_OUT=$out/e2e part e2e "$out/e2e.out" "$top/tests/e2e/run.sh" --inside "${tests[@]}"
	grep -E '^(PASS|FAIL) ' "$out/e2e.out" | sed 's/^/  e2e: /'
fi

if insmod "$SMCHAN_KO"; then
	RELAY_N=${SMCHAN_RELAY_N:-1000} RELAY_LONG=${SMCHAN_RELAY_LONG:-1000} \
		part relay "$out/relay.log" "$top/tests/relay/e2e.sh"
	grep -E '^e2e.sh: (ok|FAIL)' "$out/relay.log" | sed 's/^e2e.sh: /  relay: /'
	part usb-faults "$out/usb-faults.log" "$top/tests/qemu/usb-faults.sh"
	grep -E '^usb-faults.sh: (ok|FAIL)' "$out/usb-faults.log" | sed 's/^usb-faults.sh: /  usb-faults: /'
	for k in ${SMCHAN_QEMU_WALK:-16 32}; do
		SMCHAN_DEMO_KEYLEN=$k part "walkthrough-$k" "$out/walkthrough-$k.log" \
			"$top/demo/walkthrough.sh"
		tail -n 2 "$out/walkthrough-$k.log" | sed "s/^/  walkthrough-$k: /"
	done
	grep -q '^smchan ' /proc/modules && rmmod smchan
else
	for f in relay usb-faults walkthrough-16 walkthrough-32; do
		echo "insmod $SMCHAN_KO failed" >"$out/$f.log"
		echo "$f 0 1" >>"$out/times"
	done
fi

part dkms-load "$out/dkms-load.log" "$top/tests/qemu/dkms-load.sh"
grep -E '^dkms-load: (ok|FAIL)' "$out/dkms-load.log" | sed 's/^/  /'
MODULE_LIFE_N=${SMCHAN_MODULE_LIFE_N:-100} part module-life "$out/module-life.log" "$top/tests/qemu/module-life.sh"
grep -E '^module-life: (ok|FAIL)' "$out/module-life.log" | sed 's/^module-life: /  module-life: /'
exit 0
