#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/bench/engine.sh: the engine's cost per command (issue 12, item 4),
# in the kernel and over OpenSSL, in one run on this machine:
#
#   1. userspace: kernel/sm.c + kernel/apdu.c over the fuzz shim's OpenSSL
#      (build/fuzz/engine-bench), without AES-NI (OPENSSL_ia32cap=
#      ~0x200000200000000) and with it;
#   2. kernel: smchan_bench.ko (kernel/tests/engine_bench_kunit.c) loaded
#      in UML (tests/uml-run), its lines from the kernel log;
#   3. userspace again, both ways, so that the kernel run sits between two
#      userspace runs;
#
# then one line per mode and size: the terminal's time per command
# (protect, verify, key update) in each, and the ratio kernel / OpenSSL
# without AES-NI (the median of that case's batches; of the two userspace
# runs, the lower). Results in build/bench/engine-<time>.txt.
#
# Environment: SMCHAN_ENGINE_N (commands per batch in userspace, default
# 1000; the kernel's is fixed at 200, 7 batches), SMCHAN_ENGINE_KERNEL=6.12
# (also run the kernel side in qemu on Debian's kernel: needs CONFIG_KUNIT,
# which Debian's kernels do not have, so it reports that and goes on).
#
# Inside UML (called by itself through tests/uml-run): --in-uml.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)

if [ "${1:-}" = --in-uml ]; then
	ko=${SMCHAN_KO%/*}/smchan_bench.ko
	dmesg -C
	insmod "$ko" || exit 1
	rmmod smchan_bench
	# The KTAP and the kunit_info() lines, without the printk prefix.
	dmesg | sed -e 's/^\[[^]]*\] *//' -e 's/^ *# [a-z_]*: //' |
		grep -E '^(engine|mem|prim) |not ok|^ *ok [0-9]+ smchan_engine_bench'
	exit 0
fi

out=$top/build/bench/engine-$(date -u +%Y%m%dT%H%M%SZ).txt
mkdir -p "$top/build/bench"
n=${SMCHAN_ENGINE_N:-1000}
noaesni='~0x200000200000000'
make -C "$top/tests/fuzz" -s --no-print-directory bench || exit 1
bin=$top/build/fuzz/engine-bench

{
	echo "# engine: $(date -u +%FT%TZ), host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPU, load $(cut -d' ' -f1-3 /proc/loadavg), $(openssl version 2>/dev/null)"
	echo "# aes in host cpuinfo: $(grep -qw aes /proc/cpuinfo && echo yes || echo no); userspace N=$n per batch"
} >"$out"
user_run() {
	OPENSSL_ia32cap=$noaesni "$bin" "$n" | sed "s/^engine /engine run=$1 /" >>"$out"
	"$bin" "$n" | sed "s/^engine /engine run=$1 /" >>"$out"
}
user_run 1
"$top/tests/uml-run" -- "$0" --in-uml >>"$out" 2>&1 || echo "# the kernel side (UML) failed" >>"$out"
user_run 2
if [ -n "${SMCHAN_ENGINE_KERNEL:-}" ]; then
	if "$top/tests/qemu-run" --kernel "$SMCHAN_ENGINE_KERNEL" -- \
		sh -c 'grep -w CONFIG_KUNIT /boot/config-$(uname -r) || echo "CONFIG_KUNIT not set"' >>"$out" 2>&1; then :; fi
fi
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out"

# The table: terminal ns per command, median of the batches.
awk '
function field(k,   i, a) {
	for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) return a[2] }
	return ""
}
/^engine / {
	side = field("side"); key = field("mode") " " field("size")
	v = field("term_ns") + 0
	if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
	if (!((side, key) in t) || v < t[side, key]) t[side, key] = v
	if (side == "kernel") kc[key] = field("card_ns")
}
/^mem / { mem = mem "# " $0 "\n" }
/^prim / {
	side = field("side"); w = field("what"); v = field("ns") + 0
	if (!(w in pseen)) { pseen[w] = 1; porder[++np] = w }
	if (!((side, w) in p) || v < p[side, w]) p[side, w] = v
}
END {
	printf "%-8s %5s %12s %12s %12s %8s %8s\n", "mode", "size", "kernel_ns", "ossl_noni_ns", "ossl_ni_ns", "k/noni", "k/ni"
	for (i = 1; i <= nk; i++) {
		k = order[i]; split(k, a, " ")
		kn = t["kernel", k]; no = t["openssl-noaesni", k]; ni = t["openssl", k]
		printf "%-8s %5s %12s %12s %12s %8s %8s\n", a[1], a[2], kn, no, ni,
			(kn && no) ? sprintf("%.2f", kn / no) : "-",
			(kn && ni) ? sprintf("%.2f", kn / ni) : "-"
	}
	printf "%-8s %12s %12s %12s  (ns per call, each call keyed anew)\n", "prim", "kernel_ns", "ossl_noni_ns", "ossl_ni_ns"
	for (i = 1; i <= np; i++)
		printf "%-8s %12s %12s %12s\n", porder[i], p["kernel", porder[i]], p["openssl-noaesni", porder[i]], p["openssl", porder[i]]
	printf "%s", mem
}' "$out" | tee -a "$out"
echo "engine: results in $out"
