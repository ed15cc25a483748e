#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/hostile/run.sh [--long] [--debug]: the hostile wire (hostile.sh)
# in UML through tests/uml-run. Short form: every case once in both suites,
# the mode rotating; --long (or HOSTILE_LONG=1): every case in every mode.
# Prints the per-check lines and "RESULT passed failed"; appends
# "hostile[-long] PASSED FAILED" to $SMCHAN_RESULTS when set.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/report.sh"
name=hostile flags=() limit=300
for a in "$@"; do
	case $a in
	--long) export SMCHAN_HOSTILE_LONG=1 ;;
	--debug) flags+=(--debug) name=$name-debug ;;
	*) echo "usage: tests/hostile/run.sh [--long] [--debug]" >&2; exit 2 ;;
	esac
done
[ -z "${HOSTILE_LONG:-}" ] || export SMCHAN_HOSTILE_LONG=1
[ -z "${SMCHAN_HOSTILE_LONG:-}" ] || { name=$name-long limit=1800; }
[ ${#flags[@]} = 0 ] || limit=$((limit * 3))	# the debug kernel
out=${SMCHAN_BUILD:-$top/build}/check/$name.log
mkdir -p "$(dirname "$out")"
"$top/userspace/tests/deps.sh" >/dev/null 2>&1 || :
"$top/tests/uml-run" "${flags[@]}" --strict --timeout "$limit" -- \
	"$top/tests/hostile/hostile.sh" >"$out" 2>&1
rc=$?
report "$name" hostile.sh "$out" "$rc"
