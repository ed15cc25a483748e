#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Key hygiene (issue 13, item 6): boots UML through tests/uml-run, runs
# tests/hygiene/hygiene.sh there (the relay chain with cards that log
# their keys; every place a key could leak searched for the real bytes;
# nobody refused every admin request), and appends "hygiene PASSED FAILED"
# to $SMCHAN_RESULTS if set (tests/README.md). Prints the checks and
# "RESULT <passed> <failed>" last; the whole log is build/check/hygiene.log
# (SMCHAN_BUILD: another build directory, as for tests/uml-run).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/report.sh"
out=${SMCHAN_BUILD:-$top/build}/check/hygiene.log
mkdir -p "$(dirname "$out")"
"$top/userspace/tests/deps.sh" >/dev/null 2>&1 || :
"$top/tests/uml-run" --strict --timeout 600 -- "$top/tests/hygiene/hygiene.sh" >"$out" 2>&1
rc=$?
report hygiene hygiene.sh "$out" "$rc"
