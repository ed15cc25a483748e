#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# boot.sh FLAVOUR CONSOLE_LOG JOB [KEY=VALUE...]
#
# Boot the cached UML kernel FLAVOUR (normal, debug; kernel.sh builds it)
# with the host's / as root over hostfs and tests/uml/init as PID 1, which
# runs JOB inside UML and powers off with JOB's exit code. KEY=VALUE pairs
# (SMCHAN_*; no spaces) reach init and JOB as environment variables. The
# console (kernel log and the job's output) goes to CONSOLE_LOG.
#
# Exits with UML's exit code: the job's; 124 timeout (SMCHAN_TIMEOUT,
# default 300 s, 900 s for debug); 134 kernel panic; 125 no job.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 3 ] || die "usage: $0 FLAVOUR CONSOLE_LOG JOB [KEY=VALUE...]"
flavour=$1 log=$2 job=$3
shift 3

kernel=$BUILD/uml/$flavour/linux
[ -x "$kernel" ] || die "no UML kernel at $kernel (tests/uml/kernel.sh build $flavour)"

case $flavour in
debug) timeout=${SMCHAN_TIMEOUT:-900} mem=${SMCHAN_MEM:-1G} ;;
*) timeout=${SMCHAN_TIMEOUT:-300} mem=${SMCHAN_MEM:-512M} ;;
esac

for kv in "$@"; do
	case $kv in
	*[[:space:]]*) die "kernel parameter with whitespace: '$kv'" ;;
	esac
done

# UML keeps its pid file and sockets in uml_dir/umid; a panic leaves them
# behind, so each boot gets its own and removes it.
mkdir -p "$CHECK"
umldir=$(mktemp -d "$CHECK/.uml.XXXXXX")
trap 'rm -rf "$umldir"' EXIT

rc=0
# (The braces keep bash's "Aborted" report of a panicked UML off stderr.)
{ timeout --kill-after=10 "$timeout" "$kernel" \
	mem="$mem" uml_dir="$umldir" umid=smchan \
	rootfstype=hostfs rootflags=/ rw \
	con0=fd:0,fd:1 printk.devkmsg=on \
	init="$UMLDIR/init" SMCHAN_TOP="$TOP" SMCHAN_JOB="$job" "$@" \
	</dev/null >"$log" 2>&1; } 2>/dev/null || rc=$?
# A kill after the timeout shows as 128+9.
[ "$rc" -ne 137 ] || rc=124
exit "$rc"
