#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# packaging.sh: build and install smchan as a user and a distribution do,
# on the host, for both installed Debian kernel lines (6.1 and 6.12),
# neither of which is the running kernel (tests/README.md, "Packaging"):
#
#   guide    the "Install" steps of Documentation/admin-guide.rst, read
#            from the guide itself: every package its apt-get line names
#            exists; its make lines run in a copy of the tree with
#            KDIR=<6.1 headers> and a scratch DESTDIR; then DESTDIR holds
#            exactly the expected files, the module's vermagic is 6.1's
#            and modprobe finds it (modprobe -d DESTDIR -S VERSION). For
#            6.12 `make modules_install` alone (the module is compressed).
#   nokdir   plain `make module` for the running kernel without headers
#            fails and names KDIR (only where the running kernel has none)
#   dkms     per version, in the background and in private trees of its
#            own (--dkmstree, --sourcetree, --installtree, --no-depmod, a
#            scratch MOK key): make dkms-src, dkms add, dkms build -k
#            (vermagic, DKMS's signature), dkms install -k (6.12 through
#            `make dkms-install`), dkms remove -k
#   state    nothing left behind: /var/lib/dkms and every *smchan* under
#            /lib/modules and /usr/src are as before
#
# Installs dkms and the headers if missing (apt-get, root). Appends
# "packaging/NAME PASSED FAILED 0" lines to $SMCHAN_RESULTS when set;
# prints PASS/FAIL per check and exits 1 if one failed. Logs and scratch
# trees are in build/check/packaging/ (times: seconds per step).

set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${SMCHAN_BUILD:-$TOP/build}/check/packaging
JOBS=${JOBS:-$(nproc)}
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES KDIR KVER DESTDIR
export LC_ALL=C
mkdir -p "$OUT"
: >"$OUT/times"
: >"$OUT/verdicts"

# (verdicts in a file: the DKMS jobs run in the background)
ok() {
	printf '  PASS     %s\n' "$1"
	echo "packaging/$1 1 0 0" >>"$OUT/verdicts"
	[ -z "${SMCHAN_RESULTS:-}" ] || echo "packaging/$1 1 0 0" >>"$SMCHAN_RESULTS"
}
bad() {
	printf '  FAIL     %s: %s\n' "$1" "$2"
	echo "packaging/$1 0 1 0" >>"$OUT/verdicts"
	[ -z "${SMCHAN_RESULTS:-}" ] || echo "packaging/$1 0 1 0" >>"$SMCHAN_RESULTS"
}
# run LOG CMD...: quietly into LOG; its tail on failure.
run() {
	local log=$1 rc=0 t=$SECONDS
	shift
	"$@" >"$log" 2>&1 || rc=$?
	echo "${log##*/} $((SECONDS - t)) s" >>"$OUT/times"
	if [ "$rc" -ne 0 ]; then
		echo "---- last 25 lines of ${log#"$TOP"/} (rc $rc) ----"
		tail -n 25 "$log"
		echo "----"
	fi
	return "$rc"
}
# A user's copy of the repository: no build/, no .git, no build products.
tree_copy() {
	mkdir -p "$1"
	rsync -rlpc --delete --exclude=/build/ --exclude=/.git/ \
		--filter=':- .gitignore' "$TOP/" "$1/"
}

finish() {
	local pass fail
	pass=$(awk '{ n += $2 } END { print n + 0 }' "$OUT/verdicts")
	fail=$(awk '{ n += $3 } END { print n + 0 }' "$OUT/verdicts")
	printf '  TIME     packaging took %d s\n' "$SECONDS"
	echo "packaging: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

# ---- packages -------------------------------------------------------------

installed() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -qx 'install ok installed'; }
hdr61() { find /usr/src -maxdepth 1 -type d -name 'linux-headers-6.1.*-amd64' | sort -V | tail -n 1; }
hdr612() { find /usr/src -maxdepth 1 -type d -name 'linux-headers-6.12.*+deb12-amd64' | sort -V | tail -n 1; }

missing=()
for p in dkms linux-headers-amd64 rsync kmod xz-utils openssl; do
	installed "$p" || missing+=("$p")
done
# 6.12 comes from bookworm-security (linux-headers-6.12-amd64, the
# meta-package, pulls the image too).
[ -n "$(hdr612)" ] || missing+=(linux-headers-6.12-amd64)
if [ ${#missing[@]} -gt 0 ]; then
	printf '  DEPS     installing %s\n' "${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		bad deps "missing ${missing[*]} (run as root)"
		finish
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt=(apt-get -o DPkg::Lock::Timeout=300 -qq)
	if ! run "$OUT/apt.log" "${apt[@]}" update </dev/null ||
		! run "$OUT/apt-install.log" "${apt[@]}" install -y --no-install-recommends \
			"${missing[@]}" </dev/null; then
		bad deps "apt-get install ${missing[*]} failed"
		finish
	fi
fi
# The userspace build's packages (libnl, libpcsclite, ...).
run "$OUT/userspace-deps.log" "$TOP/userspace/tests/deps.sh" || :

declare -A kdir
for d in "$(hdr61)" "$(hdr612)"; do
	[ -n "$d" ] || continue
	v=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$d/include/generated/utsrelease.h")
	kdir[$v]=$d
done
if [ ${#kdir[@]} -ne 2 ]; then
	bad deps "need the 6.1 and the 6.12 headers, found: ${!kdir[*]}"
	finish
fi
versions=$(printf '%s\n' "${!kdir[@]}" | sort -V)
printf '  KERNELS  %s (running: %s)\n' "$(tr '\n' ' ' <<<"$versions")" "$(uname -r)"

# What must not change: DKMS's own tree, smchan anywhere in the installed
# kernels' module trees or in /usr/src. (Not modules.dep: other runs may
# install kernels meanwhile.)
state() {
	{
		find /var/lib/dkms 2>/dev/null || :
		find /lib/modules /usr/src -maxdepth 4 -name '*smchan*' 2>/dev/null || :
	} | sort
}
state >"$OUT/state.before"

# ---- DKMS, in the background ---------------------------------------------

# dkms_line VERSION: dkms add, build -k, install -k, remove for one
# kernel, in private trees of its own (the two lines build at once).
dkms_line() {
	local v=$1 tag dk built vm signer inst
	local tree=$OUT/tree-6.1
	tag=$(cut -d. -f1,2 <<<"$v")
	dk=$OUT/dkms-$tag
	rm -rf "$dk"
	mkdir -p "$dk/tree" "$dk/inst/$v"
	local dkms=(dkms --dkmstree "$dk/tree" --sourcetree "$dk/src"
		--installtree "$dk/inst" --no-depmod)
	# DKMS signs what it builds with its MOK key, made on first use.
	export mok_signing_key=$dk/mok.key mok_certificate=$dk/mok.pub

	if ! run "$dk/src.log" make -C "$tree" dkms-src DESTDIR="$dk/src" \
		DKMS_SRCDIR=/smchan-"$version" ||
		! run "$dk/add.log" "${dkms[@]}" add "smchan/$version" ||
		! "${dkms[@]}" status 2>/dev/null | grep -q "^smchan/$version: added"; then
		bad "dkms-$tag/add" "make dkms-src, dkms add (${dk#"$TOP"/}/)"
		return
	fi
	ok "dkms-$tag/add"
	if ! run "$dk/build.log" "${dkms[@]}" build "smchan/$version" -k "$v"; then
		bad "dkms-$tag/build" "dkms build -k $v failed"
		return
	fi
	built=$(find "$dk/tree/smchan/$version/$v" -name 'smchan.ko*' | head -n 1)
	vm=$(modinfo -F vermagic "$built" 2>/dev/null || :)
	signer=$(modinfo -F signer "$built" 2>/dev/null || :)
	if [ "${vm%% *}" = "$v" ] && [ "$signer" = "DKMS module signing key" ]; then
		ok "dkms-$tag/build"
	else
		bad "dkms-$tag/build" "vermagic '$vm', signer '$signer' of ${built#"$TOP"/}"
	fi
	# 6.1 with dkms itself, the other with `make dkms-install`.
	if [ "$tag" = 6.1 ]; then
		run "$dk/install.log" "${dkms[@]}" install "smchan/$version" -k "$v" || :
	else
		run "$dk/install.log" make -C "$tree" dkms-install DESTDIR="$dk/src" \
			DKMS_SRCDIR=/smchan-"$version" KVER="$v" DKMS="${dkms[*]}" || :
	fi
	inst=$(find "$dk/inst/$v/updates/dkms" -name 'smchan.ko*' 2>/dev/null | head -n 1)
	if [ -n "$inst" ] && [ "$(modinfo -F vermagic "$inst" | cut -d' ' -f1)" = "$v" ] &&
		"${dkms[@]}" status -k "$v" 2>/dev/null |
		grep -q "^smchan/$version, $v, .*: installed"; then
		ok "dkms-$tag/install"
		# For the qemu stage, which loads it with modprobe on kernel $v.
		rm -rf "$OUT/dkms-installed/$v"
		mkdir -p "$OUT/dkms-installed/$v"
		cp "$inst" "$OUT/dkms-installed/$v/"
	else
		bad "dkms-$tag/install" "not in the private install tree (${dk#"$TOP"/}/install.log)"
	fi
	# Removing the last kernel's build takes the module out of the tree.
	if run "$dk/remove.log" "${dkms[@]}" remove "smchan/$version" -k "$v" &&
		[ -z "$(find "$dk/inst/$v" -name 'smchan.ko*')" ] &&
		[ -z "$(ls -A "$dk/tree")" ]; then
		ok "dkms-$tag/remove"
	else
		bad "dkms-$tag/remove" "dkms remove -k $v left $(ls -A "$dk/tree") $(find "$dk/inst/$v" -name 'smchan.ko*')"
	fi
}

for v in $versions; do
	tree_copy "$OUT/tree-$(cut -d. -f1,2 <<<"$v")"
done
version=$(make -s -C "$OUT/tree-6.1" --no-print-directory version)
pids=()
rm -f "$OUT"/*.out
for v in $versions; do
	dkms_line "$v" >"$OUT/dkms-$(cut -d. -f1,2 <<<"$v").out" 2>&1 &
	pids+=($!)
done

# ---- the guide ------------------------------------------------------------

guide=$TOP/Documentation/admin-guide.rst
"$TOP/tests/guide-commands.sh" Install >"$OUT/guide-commands"
apt_line=$(grep '^apt-get install' "$OUT/guide-commands" || :)
make_lines=$(grep '^make' "$OUT/guide-commands" || :)
if [ -z "$apt_line" ] || [ -z "$make_lines" ]; then
	bad guide-parse "no apt-get install and make lines in the Install section of ${guide#"$TOP"/}"
fi

# The files `make install` puts under DESTDIR, PREFIX=/usr/local.
expected_files() {
	local kver=$1 ko=$2
	cat <<-EOF
		etc/reader.conf.d/smchan
		lib/modules/$kver/extra/kernel/$ko
		lib/systemd/system/smchanctl-relay.service
		lib/udev/rules.d/60-smchan.rules
		usr/lib/modules-load.d/smchan.conf
		usr/lib/pcsc/drivers/serial/libifdsmchan.so
		usr/local/bin/smchan-vcard
		usr/local/sbin/smchanctl
		usr/local/share/man/man1/smchan-vcard.1
		usr/local/share/man/man8/libifdsmchan.8
		usr/local/share/man/man8/smchanctl.8
	EOF
}

# guide_line VERSION FULL: the guide's make lines (FULL=1) or only
# `make modules_install` (FULL=0) for VERSION, and the checks.
guide_line() {
	local v=$1 full=$2 tag name lines tree dest rc=0 line pkgs known nopkg p ko mod vm found unit
	tag=$(cut -d. -f1,2 <<<"$v")
	name=guide-$tag
	lines=$make_lines
	[ "$full" -eq 1 ] || lines="make modules_install"
	# Every package the guide's apt-get line names exists (for this kernel).
	if [ -n "$apt_line" ]; then
		pkgs=$(sed -e 's/^apt-get install//' -e "s/\$(uname -r)/$v/g" <<<"$apt_line")
		# (one apt-cache call: a package it knows has a candidate)
		# shellcheck disable=SC2086 # the guide's words
		known=$(apt-cache policy $pkgs 2>/dev/null | awk '
			/^[^ ]+:$/ { p = substr($1, 1, length($1) - 1) }
			/^  Candidate: / && $2 != "(none)" { print p }')
		nopkg=
		for p in $pkgs; do
			grep -qxF "$p" <<<"$known" || nopkg="$nopkg $p"
		done
		if [ -z "$nopkg" ]; then ok "$name/packages"; else bad "$name/packages" "no such package:$nopkg"; fi
	fi
	[ -n "$make_lines" ] || return 0

	tree=$OUT/tree-$tag dest=$OUT/dest-$tag
	rm -rf "$dest"
	# Under a strict administrator's umask: what make install writes
	# must be readable by all anyway (pcscd's reader.conf.d entry...).
	while read -r line; do
		# shellcheck disable=SC2086 # the guide's words
		(umask 077 && run "$OUT/$name.log" env -C "$tree" $line KDIR="${kdir[$v]}" \
			DESTDIR="$dest" -j"$JOBS") || { rc=$?; break; }
	done <<<"$lines"
	if [ "$rc" -ne 0 ]; then
		bad "$name/make" "'$line' failed for $v (${OUT#"$TOP"/}/$name.log)"
		return
	fi
	ok "$name/make"

	ko=smchan.ko
	grep -qx 'CONFIG_MODULE_COMPRESS_XZ=y' "${kdir[$v]}/.config" && ko=smchan.ko.xz
	if [ "$full" -eq 1 ]; then
		expected_files "$v" "$ko"
	else
		expected_files "$v" "$ko" | grep '^lib/modules/'
	fi >"$OUT/$name.expected"
	(cd "$dest" && find . -type f | sed 's|^\./||' | grep -v "^lib/modules/$v/modules\." |
		sort) >"$OUT/$name.files"
	if diff -u "$OUT/$name.expected" "$OUT/$name.files" >"$OUT/$name.diff"; then
		ok "$name/files"
	else
		bad "$name/files" "DESTDIR differs from the expected list: $(grep '^[-+][^-+]' "$OUT/$name.diff" | tr '\n' ' ')"
	fi
	# kbuild installs the module itself (cp, under the umask): not ours.
	private=$(cd "$dest" && find . -type f ! -perm -444 ! -path "./lib/modules/*" | sed 's|^\./||')
	if [ -z "$private" ]; then
		ok "$name/modes"
	else
		bad "$name/modes" "not readable by all after make install under umask 077: $(tr '\n' ' ' <<<"$private")"
	fi
	mod=$dest/lib/modules/$v/extra/kernel/$ko
	vm=$(modinfo -F vermagic "$mod" 2>/dev/null || :)
	if [ "${vm%% *}" = "$v" ]; then ok "$name/vermagic"; else bad "$name/vermagic" "'$vm', not $v"; fi
	found=$(modprobe -d "$dest" -S "$v" --show-depends smchan 2>&1 || :)
	if [ "$found" = "insmod $mod " ] || [ "$found" = "insmod $mod" ]; then
		ok "$name/modprobe"
	else
		bad "$name/modprobe" "modprobe -d DESTDIR -S $v smchan: $found"
	fi
	[ "$full" -eq 1 ] || return 0
	unit=$dest/lib/systemd/system/smchanctl-relay.service
	if grep -q '^ExecStart=/usr/local/sbin/smchanctl ' "$unit" 2>/dev/null &&
		"$dest/usr/local/sbin/smchanctl" --version >/dev/null 2>&1; then
		ok "$name/userspace"
	else
		bad "$name/userspace" "smchanctl --version or the unit's ExecStart"
	fi
}

# The guide's lines for Debian 12's own kernel (the lowest version); for
# the other line, in the background, only `make modules_install` (the
# module's own path: kbuild compresses it there), as the tools are the same.
full=1
for v in $versions; do
	if [ "$full" -eq 1 ]; then
		guide_line "$v" 1
		full=0
	else
		guide_line "$v" 0 >"$OUT/guide-$(cut -d. -f1,2 <<<"$v").out" 2>&1 &
		pids+=($!)
	fi
done

# ---- no headers for the running kernel -------------------------------------

if [ ! -e "/lib/modules/$(uname -r)/build/Makefile" ]; then
	tree=$OUT/tree-6.1
	rc=0
	make -C "$tree" --no-print-directory module >"$OUT/nokdir.log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ] && grep -q "KDIR=/lib/modules/$(uname -r)/build" "$OUT/nokdir.log" &&
		[ ! -d "$tree/build/uml" ]; then
		ok nokdir
	else
		bad nokdir "make module without headers: exit $rc, $(head -n 1 "$OUT/nokdir.log")"
	fi
fi

for j in "${pids[@]}"; do
	wait "$j" || :
done
cat "$OUT"/guide-*.out "$OUT"/dkms-*.out 2>/dev/null || :

# The version is written once: dkms.conf, and the module says the same if
# it says anything.
mv=$(modinfo -F version "$(find "$OUT"/tree-*/kernel -name smchan.ko | head -n 1)" 2>/dev/null || :)
if [ -n "$version" ] && grep -c '^PACKAGE_VERSION=' "$TOP/dkms.conf" | grep -qx 1 &&
	{ [ -z "$mv" ] || [ "$mv" = "$version" ]; }; then
	ok version
else
	bad version "dkms.conf '$version', modinfo version '$mv'"
fi

state >"$OUT/state.after"
if diff -u "$OUT/state.before" "$OUT/state.after" >"$OUT/state.diff"; then
	ok no-state-left
else
	bad no-state-left "changed: $(grep '^[-+][^-+]' "$OUT/state.diff" | head -n 5 | tr '\n' ' ')"
fi

finish
