#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs the userspace tests of smchan-vcard and sums their results.
#   run-check.sh BUILD_DIR
# Each test prints "RESULT <passed> <failed>" as its last line.  Appends
# "vcard <passed> <failed>" to $SMCHAN_RESULTS if set; standalone, ends
# with "N passed, N failed".  Exits non-zero on any failure.
set -u
B=$1
here=$(cd "$(dirname "$0")" && pwd)
vectors=$here/../../tests/vectors
total_pass=0
total_fail=0
log_dir=$(mktemp -d /tmp/smchan-vcard-check.XXXXXX)

run() {
	local name=$1 t0 t1 out rc p f
	shift
	t0=$(date +%s.%N)
	out=$log_dir/$name.log
	"$@" >"$out" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	read -r p f < <(awk '/^RESULT /{p=$2; f=$3} END{print p+0, f+0}' "$out")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1	# crashed or failed before counting
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	printf '  %-18s %5d passed %4d failed  %6.1fs\n' "$name" "$p" "$f" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
	grep '^info: ' "$out" | sed 's/^info: /      /'
	if [ "$f" != 0 ]; then
		sed -n '1,60p' "$out" | sed 's/^/    | /'
	fi
}

echo "smchan-vcard tests (logs in $log_dir)"
run vectors "$B/vectors-test" -p "$here/vectors.sha256" "$vectors"
run vectors-asan "$B/asan/vectors-test" "$vectors"
run vectors-mutation "$here/mutate.sh" "$B/vectors-test" "$vectors" "$here/vectors.sha256" 40
[ -x "$here/pcsc-e2e.sh" ] && run pcsc-e2e "$here/pcsc-e2e.sh" "$B"
[ -x "$B/crash-test" ] && run crash "$B/crash-test" "$B/smchan-vcard"
[ -x "$B/keylog-test" ] && run keylog "$B/keylog-test" "$B/smchan-vcard"
[ -x "$B/image-test" ] && run image "$B/image-test" "$here/../man/smchan-vcard.1"
[ -x "$B/smchanctl" ] && run cli "$here/cli-test.sh" "$B"
[ -x "$B/lib-test" ] && run libsmchan "$B/lib-test"

if [ -n "${SMCHAN_RESULTS:-}" ]; then
	echo "vcard $total_pass $total_fail" >>"$SMCHAN_RESULTS"
else
	echo "$total_pass passed, $total_fail failed"
fi
[ "$total_fail" = 0 ] && rm -rf "$log_dir"
[ "$total_fail" = 0 ]
