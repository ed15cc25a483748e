#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/load/run.sh [--debug] [--long]: tests/load/load.sh in UML, strict
# (a kernel warning fails it). The short form, in make check: 4 channels x
# 2 processes x 300 commands; with --debug the same on the debug kernel
# (KASAN, UBSAN, kmemleak scanned after the run, lockdep), 4 x 2 x 100.
# --long (make check-long): 4 channels x 4 processes x 10,000 commands
# (16 processes, 160,000 commands). LOAD_C, LOAD_P and LOAD_N override.
# Appends "load[-debug|-long] P F" to $SMCHAN_RESULTS when it is set.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/report.sh"
name=load runner=("$top/tests/uml-run" --strict) c=4 p=2 n=300
for a in "$@"; do
	case $a in
	--debug) name=load-debug runner+=(--debug) n=100 ;;
	--long) name=load-long p=4 n=10000 ;;
	*) echo "usage: tests/load/run.sh [--debug] [--long]" >&2; exit 2 ;;
	esac
done
[ "$*" = "--debug --long" ] || [ "$*" = "--long --debug" ] && name=load-debug-long
out=$top/build/check/$name.log
mkdir -p "$(dirname "$out")"
"$top/userspace/tests/deps.sh" >/dev/null 2>&1 || :
"${runner[@]}" --timeout 3600 -- env LOAD_C="${LOAD_C:-$c}" LOAD_P="${LOAD_P:-$p}" \
	LOAD_N="${LOAD_N:-$n}" "$top/tests/load/load.sh" >"$out" 2>&1
rc=$?
report "$name" load.sh "$out" "$rc"
