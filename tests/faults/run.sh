#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/faults/run.sh [--long]: injected faults and races (faults.sh) in
# the debug UML kernel through tests/uml-run --debug --strict: a kernel
# problem in the log (oops, WARNING, KASAN, UBSAN, lockdep) fails it, and
# faults.sh checks kmemleak itself. --long (or FAULTS_LONG=1): more load
# rounds and longer race loops (make check-long). Prints the per-check
# lines and appends "faults[-long] PASSED FAILED" to $SMCHAN_RESULTS when
# it is set.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/report.sh"
name=faults limit=900
for a in "$@"; do
	case $a in
	--long) export SMCHAN_FAULTS_LONG=1 ;;
	*) echo "usage: tests/faults/run.sh [--long]" >&2; exit 2 ;;
	esac
done
[ -z "${FAULTS_LONG:-}" ] || export SMCHAN_FAULTS_LONG=1
[ -z "${SMCHAN_FAULTS_LONG:-}" ] || { name=faults-long limit=3600; }
build=${SMCHAN_BUILD:-$top/build}
out=$build/check/$name.log
mkdir -p "$(dirname "$out")" "$build/faults"
"$top/userspace/tests/deps.sh" >/dev/null 2>&1 || :
# The driver, against libsmchan (tests/uml-run builds userspace first; so
# does this, for the library).
# shellcheck disable=SC2046 # the libraries are words
make -C "$top/userspace" -s --no-print-directory all >"$build/faults/build.log" 2>&1 &&
	${CC:-cc} -O2 -g -std=gnu99 -Wall -Wextra -Werror -I"$top/kernel/include/uapi" \
		-o "$build/faults/smchan-faults" "$top/tests/faults/faults-client.c" \
		"$top/userspace/build/libsmchan.a" \
		$(pkg-config --libs libnl-genl-3.0 2>/dev/null || echo -lnl-genl-3 -lnl-3) \
		>>"$build/faults/build.log" 2>&1 || {
	echo "  $name: smchan-faults did not build ($build/faults/build.log)"
	[ -z "${SMCHAN_RESULTS:-}" ] || echo "$name 0 1 0" >>"$SMCHAN_RESULTS"
	exit 1
}
SMCHAN_FAULTS_BIN=$build/faults/smchan-faults \
	"$top/tests/uml-run" --debug --strict --timeout "$limit" -- \
	"$top/tests/faults/faults.sh" >"$out" 2>&1
rc=$?
report "$name" faults.sh "$out" "$rc"
