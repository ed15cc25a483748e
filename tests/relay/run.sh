#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The relay's end-to-end tests as a `make check` stage: boots UML through
# tests/uml-run, runs tests/relay/e2e.sh there, and appends
# "relay-e2e PASSED FAILED" to $SMCHAN_RESULTS (tests/README.md).
# --qemu 6.1|6.12: Debian's kernel in qemu (tests/qemu-run) instead;
# "relay-e2e-qemu-LINE ..." then.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/report.sh"
name=relay-e2e runner=("$top/tests/uml-run")
if [ "${1:-}" = --qemu ]; then
	name=relay-e2e-qemu-${2:?--qemu 6.1|6.12}
	runner=("$top/tests/qemu-run" --kernel "$2")
fi
out=$top/build/check/$name.log
mkdir -p "$(dirname "$out")"
"$top/userspace/tests/deps.sh" >/dev/null 2>&1 || :
"${runner[@]}" --strict --timeout 900 -- "$top/tests/relay/e2e.sh" >"$out" 2>&1
rc=$?
report "$name" e2e.sh "$out" "$rc"
