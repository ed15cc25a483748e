#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/qemu/check.sh LINE: the `make check` stage qemu-LINE (6.1, 6.12).
# ONE boot of Debian's LINE kernel with two USB CCID readers
# (tests/qemu-run --strict --usb 2) runs tests/qemu/suite.sh: the e2e
# tests, the relay's end-to-end test and the USB faults through qemu's
# USB CCID readers (guest pcscd + libccid, smchan-vcard --vscard on the
# host), the walk-through with both suites and the module's life.
# Appends to $SMCHAN_RESULTS (tests/README.md):
#   qemu-LINE/e2e P F          e2e tests + load, unload, kernel log
#   qemu-LINE/relay P F        tests/relay/e2e.sh's checks
#   qemu-LINE/usb-faults P F   tests/qemu/usb-faults.sh's checks
#   qemu-LINE/walkthrough P F  demo/walkthrough.sh, AES-128 and AES-256
#   qemu-LINE/dkms-load P F    tests/qemu/dkms-load.sh's checks
#   qemu-LINE/module-life P F  tests/qemu/module-life.sh's checks
#   qemu-LINE/boot 1|0 0|1     qemu-run's status (timeout, panic, --strict)
# Logs in build/check/qemu-LINE/. Environment (tests/qemu/suite.sh):
# SMCHAN_QEMU_E2E_SKIP, SMCHAN_RELAY_N, SMCHAN_RELAY_LONG,
# SMCHAN_MODULE_LIFE_N.

set -uo pipefail
. "$(dirname "$0")/lib.sh"
line=${1:?usage: check.sh 6.1|6.12}
out=$CHECK/qemu-$line
rm -rf "$out"
mkdir -p "$out"
"$TOP/userspace/tests/deps.sh" >/dev/null 2>&1 || :
"$QEMUDIR/deps.sh" "$line" || { result "qemu-$line/deps" 0 1; exit 1; }

t0=$SECONDS rc=0
"$TOP/tests/qemu-run" --kernel "$line" --no-module --strict --usb 2 --timeout "${QEMU_TIMEOUT:-1200}" \
	--log "$out/console.log" -- "$QEMUDIR/suite.sh" "$out" >"$out/run.log" 2>&1 || rc=$?
grep -E '^  |^qemu-suite:|^qemu-run:' "$out/run.log" | grep -v ': ok: \|^  e2e: PASS' | sed 's/^/  /'
awk -v k="$line" '{ printf "  qemu-%s: %s %s s (exit %s)\n", k, $1, $2, $3 }' "$out/times" 2>/dev/null

fail=0
if [ "${SMCHAN_QEMU_E2E:-1}" != 0 ]; then
	if [ -s "$out/e2e/counts" ]; then
		read -r p f <"$out/e2e/counts"
	else
		p=0 f=1
	fi
	result "qemu-$line/e2e" "$p" "$f"
	[ "$f" = 0 ] || fail=1
fi
parts="relay:e2e.sh usb-faults:usb-faults.sh dkms-load:dkms-load module-life:module-life"
for part in $parts; do
	name=${part%%:*} tag=${part#*:}
	read -r p f < <(awk -v t="$tag: RESULT" 'index($0, t) == 1 { p = $3; f = $4 } END { print p + 0, (p + f == 0) ? 1 : f + 0 }' \
		"$out/$name.log" 2>/dev/null || echo 0 1)
	result "qemu-$line/$name" "$p" "$f"
	[ "$f" = 0 ] || { fail=1; echo "  qemu-$line: $name failed, log $out/$name.log"; }
done
read -r p f < <(awk '$1 ~ /^walkthrough-/ { if ($3 == 0) p++; else f++ } END { print p + 0, (p + f == 0) ? 2 : f + 0 }' \
	"$out/times" 2>/dev/null || echo 0 2)
result "qemu-$line/walkthrough" "$p" "$f"
[ "$f" = 0 ] || { fail=1; echo "  qemu-$line: walkthrough failed, logs $out/walkthrough-*.log"; }
if [ "$rc" = 0 ]; then
	result "qemu-$line/boot" 1 0
else
	result "qemu-$line/boot" 0 1
	fail=1
	echo "  qemu-$line: qemu-run exit $rc ($out/run.log, $out/console.log)"
fi
say QEMU "$line: $((SECONDS - t0)) s (boot + all parts; qemu $(cat "$CHECK/qemu-run/$line/seconds" 2>/dev/null) s)"
exit "$fail"
