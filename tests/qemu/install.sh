#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/qemu/install.sh: Documentation/admin-guide.rst's Install and DKMS
# sections, followed line by line as a user would, inside a qemu guest on
# Debian's kernel (tests/qemu-run --no-module), as root on a writable copy
# of the host's root: an overlay (the read-only 9p root below, tmpfs
# above), so `make install`, depmod, DKMS and modprobe write where they
# would on a real machine and nothing reaches the host.
#
#   Install: make (smchan.ko against /lib/modules/$(uname -r)/build),
#            make install, modprobe smchan; then checks that modprobe
#            loaded extra/'s module, /dev/smchan and the installed
#            smchanctl work, and rmmod;
#   DKMS:    make uninstall (the Install part's module and tools go),
#            make dkms-install (DKMS builds and installs for the running
#            kernel), modprobe smchan loads updates/dkms/'s module, dkms
#            status, dkms remove --all leaves no module behind. The line
#            for another kernel (dkms install -k) is left to
#            tests/packaging.sh on the host, where that kernel's headers
#            are (building it here would only cost time).
# The guide's apt-get lines are checked, not run: every package they name
# must be installed (the guest has no network).
# Prints "ok:"/"FAIL:" per check and "RESULT <passed> <failed>" last; each
# step's output is in build/check/qemu-install/<release>/ (the build/
# share).
set -uo pipefail
top=${SMCHAN_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/qemu/overlay.sh"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "install: ok: $*"; }
bad() { failed=$((failed + 1)); echo "install: FAIL: $*"; }
cleanup() {
	overlay_down
	echo "install: RESULT $passed $failed"
}
trap cleanup EXIT
kver=$(uname -r)
logs=$top/build/check/qemu-install/$kver
rm -rf "$logs"
mkdir -p "$logs"
overlay_up || { bad "no overlay over the 9p root"; exit 1; }
root=$OV_ROOT
# The tree as a user has it: the committed files, and the tools already
# built (the guide is about the module; compiling userspace under TCG would
# only cost minutes).
src=/root/smchan
mkdir -p "$root$src"
(cd "$top" && { git ls-files; find userspace/build -type f; } | tar -cf - -T -) |
	tar -C "$root$src" -xf - || bad "cannot copy the tree"
OV_CWD=$src

# check_apt LINE: every package an apt-get install line names is installed.
check_apt() {
	local p missing=
	for p in $(sed -e 's/^apt-get install//' -e "s/\$(uname -r)/$kver/g" <<<"$1"); do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
	done
	if [ -z "$missing" ]; then
		ok "the guide's '${1:0:40}...' names installed packages"
	else
		bad "packages of the guide not installed here:$missing"
	fi
}

# run_guide SECTION [GLOB]: each command of the section (only those
# matching GLOB), in order, in the copy. Returns non-zero at the first
# that fails.
run_guide() {
	local cmd t0 n=0 log
	while IFS= read -r cmd; do
		n=$((n + 1))
		# shellcheck disable=SC2254 # GLOB is a pattern
		case $cmd in
		${2:-*}) ;;
		*) continue ;;
		esac
		case $cmd in
		apt-get\ install*) check_apt "$cmd"; continue ;;
		*"-k "*) continue ;;	# another kernel: tests/packaging.sh
		esac
		cmd=${cmd//<version>/$version}
		t0=$SECONDS
		log=$logs/$1-$n.log
		if in_root "$cmd" >"$log" 2>&1; then
			ok "$1: '$cmd' ($((SECONDS - t0)) s)"
		else
			bad "$1: '$cmd' failed: $(tail -n 5 "$log" | tr '\n' ' ')"
			return 1
		fi
	done < <("$top/tests/guide-commands.sh" "$1")
	[ "$n" -gt 0 ] || { bad "no commands in the guide's $1 section"; return 1; }
}

version=$(in_root "make -s --no-print-directory version")
if run_guide Install; then
	path=$(in_root "modinfo -n smchan")
	case $path in
	/lib/modules/$kver/extra/*) ok "modprobe loaded $path" ;;
	*) bad "modprobe smchan: modinfo -n says '$path'" ;;
	esac
	grep -q '^smchan ' /proc/modules || bad "smchan is not loaded after modprobe"
	if [ -c "$root/dev/smchan" ] && in_root "/usr/local/sbin/smchanctl show" >/dev/null 2>&1; then
		ok "/dev/smchan is there and the installed smchanctl talks to the module"
	else
		bad "/dev/smchan or the installed smchanctl: $(in_root '/usr/local/sbin/smchanctl show' 2>&1)"
	fi
	in_root "modprobe -r smchan" || bad "modprobe -r smchan"
fi

# DKMS: every line but the removal (make uninstall first: DKMS does not
# replace the Install part's module), then what modprobe loads, then the
# removal.
if run_guide DKMS '[!d]*' && run_guide DKMS 'dkms status*'; then
	if ls "$root/lib/modules/$kver/extra/kernel/"smchan.ko* >/dev/null 2>&1; then
		bad "make uninstall left extra/'s module"
	fi
	path=$(in_root "modinfo -n smchan")
	case $path in
	/lib/modules/$kver/updates/dkms/*) ok "after make dkms-install, modprobe finds DKMS's $path" ;;
	*) bad "after make dkms-install, modinfo -n smchan says '$path'" ;;
	esac
	if in_root "modprobe smchan" && grep -q '^smchan ' /proc/modules; then
		ok "DKMS's module loads with modprobe"
	else
		bad "modprobe smchan (DKMS's)"
	fi
	in_root "modprobe -r smchan" || bad "modprobe -r smchan (DKMS's)"
	if run_guide DKMS 'dkms remove*'; then
		if ls "$root/lib/modules/$kver/updates/dkms/"smchan.ko* >/dev/null 2>&1; then
			bad "dkms remove --all left the module"
		elif [ -n "$(in_root 'dkms status')" ]; then
			bad "dkms status after dkms remove --all: $(in_root 'dkms status')"
		else
			ok "dkms remove --all: no module, no DKMS state left"
		fi
	fi
fi
[ "$failed" = 0 ]
