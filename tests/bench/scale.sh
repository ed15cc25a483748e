#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/bench/scale.sh: aggregate throughput with 1, 4, 16 and 64 channels
# driven at once, and the memory of a channel (issue 12, item 5).
#
# In UML (tests/uml-run), for each count C: C channels (ratchet, AES-128,
# the default), one smchan-loopback bound to all of them (the reference
# card in process, one card per channel: no PC/SC, so that what is
# measured is the kernel's side), and C scale-client processes, one per
# channel, each writing and reading /dev/smchan for SECONDS seconds from
# one common start. The aggregate is the sum over the clients of their
# commands / their time.
#
# Memory: /proc/slabinfo (active objects x object size, per cache) and
# /proc/meminfo's Slab before the channels are made, after (a channel
# with its session object and transforms, no file open), and once every
# client has its session and is waiting to start (adds the open files
# and the sessions' state); the deltas divided by C.
#
# Environment: SMCHAN_SCALE_COUNTS (default "1 4 16 64"),
# SMCHAN_SCALE_SECONDS (default 10), SMCHAN_SCALE_SIZE (READ BINARY
# size, default 16). Results in build/bench/scale-<time>.txt.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
counts=${SMCHAN_SCALE_COUNTS:-1 4 16 64}
secs=${SMCHAN_SCALE_SECONDS:-10}
size=${SMCHAN_SCALE_SIZE:-16}

# slab FILE: "cache bytes" for every cache with objects, and the Slab line.
slab() {
	awk 'NR > 2 { print $1, $2 * $4 }' /proc/slabinfo >"$1"
	awk '/^Slab:/ { print "meminfo-Slab", $2 * 1024 }' /proc/meminfo >>"$1"
}
# slabdelta A B C: the caches that changed, per channel (C channels).
slabdelta() {
	awk -v c="$3" 'NR == FNR { a[$1] = $2; next }
		{ d = $2 - a[$1]; if ($1 == "meminfo-Slab") slab = d; else if (d) { printf "  %-24s %+9d bytes, %+8.1f per channel\n", $1, d, d / c; t += d } }
		END { printf "  %-24s %+9d bytes, %+8.1f per channel\n", "sum of caches", t, t / c
		      printf "  %-24s %+9d bytes, %+8.1f per channel\n", "meminfo Slab", slab, slab / c }' "$1" "$2"
}

if [ "${1:-}" = --in-uml ]; then
	[ -z "${SMCHAN_SCALE_TRACE:-}" ] || set -x
	client=$2
	tmp=$(mktemp -d /tmp/scale.XXXXXX)
	(umask 077 && head -c 16 /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$tmp/key" && echo >>"$tmp/key")
	echo "# uml: $(uname -r), $(nproc) CPU; seconds=$secs size=$size"
	for c in $counts; do
		names=()
		for i in $(seq "$c"); do names+=("sc$i"); done
		slab "$tmp/s0"
		for n in "${names[@]}"; do
			smchan-nl new "$n" key-file "$tmp/key" >/dev/null || { echo "scale: cannot create $n"; exit 1; }
		done
		slab "$tmp/s1"
		rm -f "$tmp"/ready.* "$tmp/go" "$tmp/bound"
		mkfifo "$tmp/go"
		smchan-loopback -q --ready-file "$tmp/bound" "${names[@]/%/=$tmp/key}" >"$tmp/lb.log" 2>&1 &
		lb=$!
		for i in $(seq 200); do [ -e "$tmp/bound" ] && break; sleep 0.05; done
		[ -e "$tmp/bound" ] || { cat "$tmp/lb.log"; echo "scale: loopback did not bind"; exit 1; }
		pids=()
		for n in "${names[@]}"; do
			"$client" "$n" "$tmp/ready.$n" "$tmp/go" "$secs" "$size" >"$tmp/out.$n" 2>&1 &
			pids+=("$!")
		done
		for i in $(seq 600); do
			ready=$(ls "$tmp" | grep -c '^ready\.')
			[ "$ready" -ge "$c" ] && break
			# A client that died never opens the FIFO: stop here
			# (the running jobs: the loopback and the clients).
			[ "$(jobs -rp | wc -l)" -gt $((ready + 1)) ] || break
			sleep 0.1
		done
		if [ "$ready" -lt "$c" ]; then
			echo "scale channels=$c FAILED: $ready of $c clients ready"
			cat "$tmp"/out.* | head -n 5
			tail -n 5 "$tmp/lb.log"
			kill "${pids[@]}" "$lb" 2>/dev/null
			exit 1
		fi
		slab "$tmp/s2"
		exec 3>"$tmp/go"
		exec 3>&-
		bad=0
		for p in "${pids[@]}"; do wait "$p" || bad=1; done
		kill "$lb" 2>/dev/null
		wait "$lb" 2>/dev/null
		cat "$tmp"/out.* >"$tmp/all"
		awk -v c="$c" -v bad="$bad" '
			/^client / { split($3, a, "="); split($4, b, "="); split($5, e, "=")
				n++; cmds += a[2]; rate += a[2] / (b[2] / 1e6); err += e[2]
				r = a[2] / (b[2] / 1e6); if (!min || r < min) min = r; if (r > max) max = r }
			END { printf "scale channels=%d clients=%d commands=%d aggregate_cmd_s=%.1f per_channel_min=%.1f per_channel_max=%.1f errors=%d%s\n",
				c, n, cmds, rate, min, max, err, (bad || n != c) ? " FAILED" : "" }' "$tmp/all"
		[ "$bad" = 0 ] || head -n 5 "$tmp/all"
		echo "mem channels=$c: after creating them (channel + session object + transforms):"
		slabdelta "$tmp/s0" "$tmp/s1" "$c"
		echo "mem channels=$c: with every client attached and its session established (from before creation):"
		slabdelta "$tmp/s0" "$tmp/s2" "$c"
		for n in "${names[@]}"; do smchan-nl del "$n" >/dev/null 2>&1; done
		rm -f "$tmp/go"
	done
	rm -rf "$tmp"
	exit 0
fi

out=$top/build/bench/scale-$(date -u +%Y%m%dT%H%M%SZ).txt
mkdir -p "$top/build/bench"
gcc -O2 -Wall -Wextra -Werror -I"$top/kernel/include/uapi" \
	-o "$top/build/bench/scale-client" "$top/tests/bench/scale-client.c" || exit 1
make -C "$top/userspace" -s --no-print-directory all >/dev/null || exit 1
{
	echo "# scale: $(date -u +%FT%TZ), host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPU, load $(cut -d' ' -f1-3 /proc/loadavg)"
	"$top/tests/uml-run" --timeout 1200 -- "$0" --in-uml "$top/build/bench/scale-client"
	echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} 2>&1 | tee "$out"
echo "scale: results in $out"
