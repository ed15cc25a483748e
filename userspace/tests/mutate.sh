#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Mutation check of the vector test: changes one character of one value in
# a copy of the vector files (a hex digit to another hex digit, a decimal
# digit to another digit) and expects vectors-test to fail, COUNT times,
# going round the files.  It also reports how many mutations the checks
# caught by behaviour alone, without the SHA-256 pin (some values, such as
# a group key no selector picks, cannot be caught that way).
#   mutate.sh VECTORS_TEST VECTOR_DIR SHA256SUMS [COUNT]
# Prints "RESULT <detected> <missed>".
set -u
test_bin=$1
src=$2
pin=$3
count=${4:-40}
behaviour=0
work=$(mktemp -d /tmp/smchan-mutate.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$src"/*.txt "$work"/
files=("$work"/*.txt)
text='^(label|case|mode|suite_name|verdict|reason|session|desc|probe_desc|note|excluded)$'
detected=0
missed=0
for i in $(seq 1 "$count"); do
	f=${files[$(( (i - 1) % ${#files[@]} ))]}
	cp "$f" "$work/orig"
	# candidate lines: "name = value" with a non-empty hex/decimal value
	mapfile -t lines < <(awk -v t="$text" -F' = ' \
		'!/^#/ && NF == 2 && $1 !~ t && $2 ~ /^[0-9a-f]+$/ { print NR }' "$f")
	ln=${lines[$((RANDOM % ${#lines[@]}))]}
	awk -v name="$(basename "$f")" -v ln="$ln" -v r1="$RANDOM" -v r2="$RANDOM" -F' = ' '
		NR == ln {
			v = $2; pos = r1 % length(v) + 1; c = substr(v, pos, 1)
			set = ($1 ~ /^(n|L|N|selector|prev_selector|response_length)$/) ? "0123456789" : "0123456789abcdef"
			do { d = substr(set, r2 % length(set) + 1, 1); r2 = int(r2 / 3) + 7 } while (d == c)
			$0 = $1 " = " substr(v, 1, pos - 1) d substr(v, pos + 1)
			printf "%s:%d %s\n", name, ln, $1 > "/dev/stderr"
		}
		{ print }' "$work/orig" >"$f" 2>>"$work/what"
	if "$test_bin" -p "$pin" "$work" >/dev/null 2>&1; then
		missed=$((missed + 1))
		echo "MISSED: $(tail -1 "$work/what")"
	else
		detected=$((detected + 1))
	fi
	if "$test_bin" "$work" >/dev/null 2>&1; then
		echo "caught by the pin only: $(tail -1 "$work/what")"
	else
		behaviour=$((behaviour + 1))
	fi
	cp "$work/orig" "$f"
done
# and the unmodified copy must still pass
if ! "$test_bin" -p "$pin" "$work" >/dev/null 2>&1; then
	echo "the unmodified copy fails"
	missed=$((missed + 1))
fi
echo "info: $count mutations: $detected detected ($behaviour by behaviour alone)"
echo "RESULT $detected $missed"
[ "$missed" = 0 ]
