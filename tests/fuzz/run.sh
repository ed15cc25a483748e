#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh check|long [TARGET...]: the fuzz passes of tests/fuzz/Makefile
# (targets: sm card ctl nl diff; the binaries must be built).
#
# check: every input under regress/TARGET/ is replayed once (known-*: a
#   bug found by fuzzing and not fixed yet, replayed with SMCHAN_FUZZ_KNOWN=1
#   and expected to crash: it is reported on every run, counts neither as
#   passed nor as failed, and is reported as fixed when it stops crashing),
#   then a short
#   fixed-seed pass (-seed=1 -runs=N from the seeds alone, into an empty
#   corpus, so every run does the same work). One result line per target,
#   "fuzz/TARGET PASSED FAILED 0", appended to $SMCHAN_RESULTS when it is
#   set; the last line is "fuzz N passed, N failed"; exit 1 on a failure.
# long: SMCHAN_FUZZ_RUNS executions per target (default 10,000,000) into
#   the kept corpus build/fuzz/corpus/TARGET, SMCHAN_FUZZ_JOBS processes
#   (default 1; with J > 1, -jobs=J -workers=J, each RUNS/J executions),
#   SMCHAN_FUZZ_SEED (default 0: libFuzzer draws one), SMCHAN_FUZZ_TIME
#   (seconds: stop there even if the executions are not done). Prints the
#   executions, time, exec/s, cov and ft of each target.
#
# A crash leaves its input in build/fuzz/artifacts/TARGET/ and the log in
# build/fuzz/logs/; the log's last lines are printed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
B=$top/build/fuzz
mode=${1:?usage: run.sh check|long [TARGET...]}
shift
targets=${*:-sm card ctl nl diff}

# check: executions per target, chosen for about 10 s each on 2 cores
# (Documentation/reliability.rst has the measured times).
declare -A CHECK_RUNS=([sm]=45000 [card]=8000 [ctl]=100000 [nl]=300000 [diff]=4000)
declare -A MAX_LEN=([sm]=8192 [card]=8192 [ctl]=512 [nl]=4096 [diff]=8192)

mkdir -p "$B/logs"
python3 "$here/gen-seeds.py" "$B/seeds" >/dev/null || exit 1

total_p=0 total_f=0
result() {	# TARGET PASSED FAILED
	total_p=$((total_p + $2))
	total_f=$((total_f + $3))
	if [ -n "${SMCHAN_RESULTS:-}" ]; then
		echo "fuzz/$1 $2 $3 0" >>"$SMCHAN_RESULTS"
	fi
}

show_log() {
	grep -v '^INFO\|^#[0-9]' "$1" | tail -n 25 | sed 's/^/    | /'
	echo "    (log: $1)"
}

# "executions seconds cov ft" from libFuzzer logs (executions summed over
# job logs); a log that ends in a crash has no "Done": its last status line
# counts.
stats() {
	awk 'FNR == 1 { if (last) runs += last; last = 0 }
	     /^#[0-9]+\t/ { last = substr($1, 2) + 0 }
	     /^Done [0-9]+ runs in/ { last = $2; secs = $5 > secs ? $5 : secs }
	     / cov: / { for (i = 1; i <= NF; i++) { if ($i == "cov:") c = $(i + 1); if ($i == "ft:") f = $(i + 1) } }
	     END { runs += last; printf "%d %d %s %s\n", runs, secs, c, f }' "$@"
}

for t in $targets; do
	bin=$B/$t
	art=$B/artifacts/$t/
	mkdir -p "$art"
	if [ ! -x "$bin" ]; then
		echo "  FUZZ   $t: $bin is not built" >&2
		result "$t" 0 1
		continue
	fi
	case $mode in
	check)
		p=0 f=0 start=$SECONDS
		for r in "$here"/regress/"$t"/*; do
			[ -f "$r" ] || continue
			case ${r##*/} in
			known-*)
				if SMCHAN_FUZZ_KNOWN=1 "$bin" -artifact_prefix="$B/known-" "$r" \
					>"$B/logs/known-$t.log" 2>&1; then
					echo "  FUZZ   fuzz/$t: ${r#"$top"/} no longer crashes: fixed? make it a plain regression input"
				else
					echo "  KNOWN  fuzz/$t: unfixed bug, ${r#"$top"/} (Documentation/reliability.rst)"
				fi
				continue
				;;
			esac
			if "$bin" -artifact_prefix="$art" "$r" >"$B/logs/regress-$t.log" 2>&1; then
				p=$((p + 1))
			else
				f=$((f + 1))
				echo "  FAIL   fuzz/$t: regression input ${r#"$top"/}"
				show_log "$B/logs/regress-$t.log"
			fi
		done
		rm -rf "$B/check/$t"
		mkdir -p "$B/check/$t"
		log=$B/logs/check-$t.log
		if "$bin" -seed=1 -runs="${CHECK_RUNS[$t]}" -max_len="${MAX_LEN[$t]}" \
			-timeout=20 -artifact_prefix="$art" "$B/check/$t" "$B/seeds/$t" \
			>"$log" 2>&1; then
			p=$((p + 1))
		else
			f=$((f + 1))
			echo "  FAIL   fuzz/$t: the fixed-seed pass crashed"
			show_log "$log"
		fi
		read -r runs _ cov ft < <(stats "$log")
		printf '  FUZZ   %-5s %d regression inputs, %d executions, cov %s ft %s, %d s\n' \
			"$t" "$((p + f - 1))" "$runs" "$cov" "$ft" "$((SECONDS - start))"
		result "$t" "$p" "$f"
		;;
	long)
		runs=${SMCHAN_FUZZ_RUNS:-10000000}
		jobs=${SMCHAN_FUZZ_JOBS:-1}
		tmax=${SMCHAN_FUZZ_TIME:-0}
		mkdir -p "$B/corpus/$t" "$B/logs/long-$t"
		rm -f "$B/logs/long-$t"/*.log
		start=$SECONDS
		if [ "$jobs" -gt 1 ]; then
			(cd "$B/logs/long-$t" && "$bin" -jobs="$jobs" -workers="$jobs" \
				-runs=$((runs / jobs)) -max_total_time="$tmax" -seed="${SMCHAN_FUZZ_SEED:-0}" \
				-max_len="${MAX_LEN[$t]}" -timeout=20 -artifact_prefix="$art" \
				"$B/corpus/$t" "$B/seeds/$t" >/dev/null 2>&1)
		else
			"$bin" -runs="$runs" -max_total_time="$tmax" -seed="${SMCHAN_FUZZ_SEED:-0}" \
				-max_len="${MAX_LEN[$t]}" -timeout=20 -artifact_prefix="$art" \
				"$B/corpus/$t" "$B/seeds/$t" >"$B/logs/long-$t/fuzz-0.log" 2>&1
		fi
		rc=$?
		secs=$((SECONDS - start))
		read -r n _ cov ft < <(stats "$B/logs/long-$t"/*.log)
		printf '  FUZZ   %-5s %d executions in %d s (%d exec/s), cov %s ft %s, corpus %d files%s\n' \
			"$t" "$n" "$secs" "$((n / (secs ? secs : 1)))" "$cov" "$ft" \
			"$(find "$B/corpus/$t" -type f | wc -l)" "$([ $rc = 0 ] || echo ", CRASH (exit $rc)")"
		if [ $rc = 0 ]; then
			result "$t" 1 0
		else
			result "$t" 0 1
			for l in "$B/logs/long-$t"/*.log; do grep -q 'ERROR\|CHECK(' "$l" && show_log "$l"; done
		fi
		;;
	*)
		echo "usage: run.sh check|long [TARGET...]" >&2
		exit 2
		;;
	esac
done
echo "fuzz $total_p passed, $total_f failed"
[ "$total_f" = 0 ]
