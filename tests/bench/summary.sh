#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The summary of a results file of tests/bench/bench.sh (one or more
# runs): per card model, mode and data size, over the runs, the median of
# each variant's median and p99 latency (us) and throughput (commands/s,
# payload bytes/s), and the ratios A/C, A/B and B/C as "median [min-max]"
# of the runs' ratios (each run's ratio is of A, B and C measured
# interleaved, side by side).  Documentation/performance.rst says what
# the figures mean.
#
#   summary.sh RESULTS_FILE
set -u
awk '
function field(k,   i) {
	for (i = 1; i <= NF; i++)
		if (index($i, k "=") == 1)
			return substr($i, length(k) + 2)
	return ""
}
# sorts v[1..n] (numbers)
function sort(v, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
}
function med(list,   v, n) {
	n = split(list, v, " ")
	if (!n)
		return ""
	sort(v, n)
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function spread(list,   v, n) {
	n = split(list, v, " ")
	if (!n)
		return "-"
	sort(v, n)
	return sprintf("%.2f [%.2f-%.2f]", med(list), v[1], v[n])
}
function add(k, x) { L[k] = (k in L ? L[k] " " : "") x }
$1 ~ /^run=/ {
	key = field("card") " " field("mode") " " field("size")
	if (!(key in seen)) { seen[key] = 1; order[++nkeys] = key }
	if ($0 ~ / FAILED: /) { failed[key]++; next }
	if ($5 == "ratio") {
		add(key " A/C", field("A/C")); add(key " A/B", field("A/B"))
		add(key " B/C", field("B/C")); runs[key]++
		next
	}
	v = $5
	add(key " " v " med", field("median")); add(key " " v " p99", field("p99"))
	add(key " " v " cmd", field("cmd/s")); add(key " " v " bps", field("B/s"))
}
END {
	printf "summary: per case, the median over its runs; ratios median [min-max] over the runs\n"
	printf "summary: %-8s %-7s %5s %4s | %-17s | %-17s | %-17s | %-16s | %-16s | %-16s\n",
		"card", "mode", "size", "runs", "A us med/p99 cmd/s", "B us med/p99 cmd/s",
		"C us med/p99 cmd/s", "A/C", "A/B", "B/C"
	for (i = 1; i <= nkeys; i++) {
		k = order[i]
		split(k, p, " ")
		line = sprintf("summary: %-8s %-7s %5s %4d", p[1], p[2], p[3], runs[k])
		for (j = 1; j <= 3; j++) {
			v = substr("ABC", j, 1)
			line = line sprintf(" | %5s/%5s %5s", med(L[k " " v " med"]),
				med(L[k " " v " p99"]), med(L[k " " v " cmd"]))
		}
		line = line sprintf(" | %-16s | %-16s | %-16s", spread(L[k " A/C"]),
			spread(L[k " A/B"]), spread(L[k " B/C"]))
		if (k in failed)
			line = line sprintf("  (%d runs FAILED)", failed[k])
		print line
		if (p[3] + 0 > 0 && (k " A bps") in L)
			bytes = bytes sprintf("summary: payload %-8s %-7s %5s: A %s B/s, B %s B/s, C %s B/s\n",
				p[1], p[2], p[3], med(L[k " A bps"]), med(L[k " B bps"]), med(L[k " C bps"]))
	}
	printf "%s", bytes
}' "$1"
