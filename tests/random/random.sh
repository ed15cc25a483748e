#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The interfaces under random use (issue 13, item 5), as root in UML with
# smchan.ko loaded (tests/random/run.sh boots it): smchan-random for
# RANDOM_TIME seconds from RANDOM_SEED (both also as SMCHAN_RANDOM_...,
# which tests/uml-run passes on), then, with every file and socket closed:
# rmmod smchan must succeed, and on the debug kernel kmemleak must be
# empty. Prints "random.sh: ok: ..."/"random.sh: FAIL: ..." per check and
# "random.sh: RESULT <passed> <failed>" last.
set -uo pipefail
top=${SMCHAN_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${SMCHAN_BUILD:-$top/build}/random/smchan-random
seed=${SMCHAN_RANDOM_SEED:-${RANDOM_SEED:-}}
time=${SMCHAN_RANDOM_TIME:-${RANDOM_TIME:-60}}
passed=0 failed=0
say() { printf 'random.sh: %s\n' "$*"; }
ok() { passed=$((passed + 1)); say "ok: $*"; }
bad() { failed=$((failed + 1)); say "FAIL: $*"; }
finish() {
	echo "random.sh: $SECONDS s in UML after the boot"
	say "RESULT $passed $failed"
}
trap finish EXIT

[ -x "$bin" ] || { bad "no $bin (make -C tests/random)"; exit 1; }
args=(--time "$time")
[ -z "$seed" ] || args+=(--seed "$seed")
# The program's own checks become ours; the rest of its output is shown.
# The bound on the whole: its time, the end (files, deletions) and slack.
# (UML has no /dev/fd for a process substitution: a pipe, whose last part
# runs in this shell.)
shopt -s lastpipe
last=
{ timeout -k 5 $((time + 120)) "$bin" "${args[@]}" 2>&1; echo "exit $?"; } |
	while IFS= read -r line; do
		case $line in
		"ok: "*) ok "${line#ok: }" ;;
		"FAIL: "*) bad "${line#FAIL: }" ;;
		*) printf '%s\n' "$line" ;;
		esac
		last=$line
	done
# (the last line, "exit N", is the program's status)
case $last in
"exit 0") ;;
"exit 124") bad "smchan-random did not finish within $((time + 120)) s" ;;
*) [ "$failed" != 0 ] || bad "smchan-random: ${last:-no output}" ;;
esac

# Nothing holds the module: it must go, and leave nothing behind.
if out=$(rmmod smchan 2>&1); then
	ok "rmmod smchan after the run"
else
	bad "rmmod smchan: $out (refcnt $(cat /sys/module/smchan/refcnt 2>/dev/null))"
fi
# The debug kernel: nothing leaked (the normal kernel has no kmemleak).
. "$top/tests/uml/kmemleak.sh"
kmemleak_check || :
[ "$failed" = 0 ]
