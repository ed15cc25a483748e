#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/random/run.sh [--long] [--normal]: the interfaces under random use
# (random.sh, smchan-random) on the debug UML kernel (KASAN, UBSAN,
# kmemleak, lockdep), strict: a kernel problem in the log fails it.
# Short form (make check): 60 s of random operations; --long (make
# check-long): 600 s. --normal: the normal UML kernel instead (faster,
# fewer checks). RANDOM_SEED=N replays a seed (printed by every run);
# RANDOM_TIME=S sets the time. Appends "random[-long][-normal] P F" to
# $SMCHAN_RESULTS when it is set.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/report.sh"
name=random time=60 flags=(--debug)
for a in "$@"; do
	case $a in
	--long) name=$name-long time=600 ;;
	--normal) flags=() ;;
	*) echo "usage: tests/random/run.sh [--long] [--normal]" >&2; exit 2 ;;
	esac
done
[ ${#flags[@]} != 0 ] || name=$name-normal
time=${RANDOM_TIME:-$time}
seed=${RANDOM_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
out=${SMCHAN_BUILD:-$top/build}/check/$name.log
mkdir -p "$(dirname "$out")"
"$top/userspace/tests/deps.sh" >/dev/null 2>&1 || :
echo "  $name: RANDOM_SEED=$seed, $time s (log: $out)"
if ! make -C "$top/tests/random" -s --no-print-directory >"$out" 2>&1; then
	echo "  $name: smchan-random did not build:"
	tail -n 20 "$out" | sed 's/^/    /'
	[ -z "${SMCHAN_RESULTS:-}" ] || echo "$name 0 1" >>"$SMCHAN_RESULTS"
	exit 1
fi
SMCHAN_RANDOM_SEED=$seed SMCHAN_RANDOM_TIME=$time \
	"$top/tests/uml-run" "${flags[@]}" --strict --timeout $((time * 3 + 600)) -- \
	"$top/tests/random/random.sh" >>"$out" 2>&1
rc=$?
report "$name" random.sh "$out" "$rc" || { echo "  $name: replay with RANDOM_SEED=$seed"; exit 1; }
