#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The relay's end-to-end tests as a `make check` stage: boots UML through
# tests/uml-run, runs tests/relay/e2e.sh there, and appends
# "relay-e2e PASSED FAILED" to $SMCHAN_RESULTS (tests/README.md).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/check/relay-e2e.log
mkdir -p "$(dirname "$out")"
"$top/userspace/tests/deps.sh" >/dev/null 2>&1 || :
"$top/tests/uml-run" --strict --timeout 900 -- "$top/tests/relay/e2e.sh" >"$out" 2>&1
rc=$?
grep -E '^e2e.sh: (ok|FAIL)' "$out" | sed 's/^e2e.sh: /  relay-e2e: /'
read -r p f < <(awk '/^e2e.sh: RESULT /{p=$3; f=$4} END{print p+0, f+0}' "$out")
[ "$rc" = 0 ] || [ "$f" != 0 ] || f=1
[ -z "${SMCHAN_RESULTS:-}" ] || echo "relay-e2e $p $f" >>"$SMCHAN_RESULTS"
[ "$f" = 0 ] || echo "  relay-e2e: log in $out"
[ "$f" = 0 ]
