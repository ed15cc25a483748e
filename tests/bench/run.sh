#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: tests/bench/bench.sh in UML (tests/uml-run), the results in
# build/bench/results-<time>.txt, the summary lines on the terminal.
# Documentation/performance.rst says what is measured and how.
#
# Environment: SMCHAN_BENCH_N (commands per variant and case, default
# 1000; e.g. 50 for a smoke run), SMCHAN_BENCH_REPEAT (runs, each in a
# fresh UML, default 1), and what tests/bench/bench.sh reads
# (SMCHAN_BENCH_MODES, SMCHAN_BENCH_SIZES, SMCHAN_BENCH_CARDS,
# SMCHAN_BENCH_RELAY...).  At the end, tests/bench/summary.sh's table over
# the runs (medians, and the ratios' spread) goes to the terminal and to
# the results file. SMCHAN_BENCH_KERNEL=6.12 (or 6.1) runs it on Debian's
# kernel in qemu (tests/qemu-run) instead of UML.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$top/build/bench"
export SMCHAN_BENCH_OUT=${SMCHAN_BENCH_OUT:-$top/build/bench/results-$(date -u +%Y%m%dT%H%M%SZ).txt}
log=${SMCHAN_BENCH_OUT%.txt}.log
"$top/userspace/tests/deps.sh" >/dev/null 2>&1 || :
if ! make -C "$top/userspace" -s --no-print-directory all build/smchan-bench >"$log" 2>&1; then
	echo "bench: the userspace tools did not build:" >&2
	tail -n 20 "$log" >&2
	exit 1
fi
# What the machine is (UML itself cannot tell).
SMCHAN_BENCH_HOST="host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPU, load $(cut -d' ' -f1-3 /proc/loadavg)"
export SMCHAN_BENCH_HOST
rc=0
# SMCHAN_BENCH_KERNEL=6.1|6.12: Debian's kernel in qemu (tests/qemu-run)
# instead of UML.
if [ -n "${SMCHAN_BENCH_KERNEL:-}" ]; then
	runner=("$top/tests/qemu-run" --kernel "$SMCHAN_BENCH_KERNEL" --timeout 3600)
	tag=qemu-$SMCHAN_BENCH_KERNEL
else
	runner=("$top/tests/uml-run" --timeout 1800)
	tag=uml
fi
for i in $(seq "${SMCHAN_BENCH_REPEAT:-1}"); do
	SMCHAN_BENCH_TAG=${SMCHAN_BENCH_TAG:-$tag}-$i \
		"${runner[@]}" -- "$top/tests/bench/bench.sh" >>"$log" 2>&1 || rc=1
done
grep -E '^# |FAILED' "$SMCHAN_BENCH_OUT" 2>/dev/null | grep -v '^#   '
summary=$("$top/tests/bench/summary.sh" "$SMCHAN_BENCH_OUT" 2>&1)
echo "$summary" | tee -a "$SMCHAN_BENCH_OUT"
[ $rc = 0 ] || { echo "bench: FAILED; log in $log" >&2; tail -n 15 "$log" >&2; }
echo "bench: results in $SMCHAN_BENCH_OUT (log: $log)"
exit $rc
