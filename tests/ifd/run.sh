#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The smchan PC/SC reader's tests as a `make check` stage: builds
# libifdsmchan.so, boots UML through tests/uml-run, runs tests/ifd/e2e.sh
# there, and appends "ifd-e2e PASSED FAILED" to $SMCHAN_RESULTS
# (tests/README.md). Needs opensc, pcsc-tools and python3-pyscard
# (tests/uml/deps.sh).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/report.sh"
name=ifd-e2e
out=$top/build/check/$name.log
mkdir -p "$(dirname "$out")"
"$top/userspace/tests/deps.sh" >/dev/null 2>&1 || :
make -s -C "$top/userspace" all >/dev/null && make -s -C "$top/userspace/ifd" >/dev/null ||
	{ echo "  $name: build failed" >&2; exit 1; }
"$top/tests/uml-run" --strict --timeout 300 -- "$top/tests/ifd/e2e.sh" >"$out" 2>&1
rc=$?
report "$name" e2e.sh "$out" "$rc"
