#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/ifd/run.sh [--qemu 6.1|6.12]: the smchan PC/SC reader's tests as
# a `make check` stage: builds libifdsmchan.so, boots UML through
# tests/uml-run (or Debian's kernel through tests/qemu-run), runs
# tests/ifd/e2e.sh there, and appends "ifd-e2e PASSED FAILED" to $SMCHAN_RESULTS
# (tests/README.md). Needs opensc, pcsc-tools and python3-pyscard
# (tests/uml/deps.sh).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/report.sh"
name=ifd-e2e runner=("$top/tests/uml-run" --timeout 300)
if [ "${1:-}" = --qemu ]; then
	name=ifd-e2e-qemu-${2:?--qemu 6.1|6.12}
	runner=("$top/tests/qemu-run" --kernel "$2" --timeout 900)
fi
out=$top/build/check/$name.log
mkdir -p "$(dirname "$out")"
"$top/userspace/tests/deps.sh" >/dev/null 2>&1 || :
make -s -C "$top/userspace" all >/dev/null && make -s -C "$top/userspace/ifd" >/dev/null ||
	{ echo "  $name: build failed" >&2; exit 1; }
"${runner[@]}" --strict -- "$top/tests/ifd/e2e.sh" >"$out" 2>&1
rc=$?
report "$name" e2e.sh "$out" "$rc"
