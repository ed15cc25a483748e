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
name=ifd-e2e
out=$top/build/check/$name.log
mkdir -p "$(dirname "$out")"
"$top/userspace/tests/deps.sh" >/dev/null 2>&1 || :
make -s -C "$top/userspace" all >/dev/null && make -s -C "$top/userspace/ifd" >/dev/null ||
	{ echo "  $name: build failed" >&2; exit 1; }
"$top/tests/uml-run" --strict --timeout 300 -- "$top/tests/ifd/e2e.sh" >"$out" 2>&1
rc=$?
grep -E '^e2e.sh: (ok|FAIL|took)' "$out" | sed "s/^e2e.sh: /  $name: /"
read -r p f < <(awk '/^e2e.sh: RESULT /{p=$3; f=$4} END{print p+0, f+0}' "$out")
[ "$rc" = 0 ] || [ "$f" != 0 ] || f=1
[ -z "${SMCHAN_RESULTS:-}" ] || echo "$name $p $f" >>"$SMCHAN_RESULTS"
[ "$f" = 0 ] || echo "  $name: log in $out"
[ "$f" = 0 ]
