# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by the host-side scripts in tests/uml/. Paths, the build-cache
# layout (see tests/README.md), logging and the results protocol.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
UMLDIR=$TOP/tests/uml
BUILD=${SMCHAN_BUILD:-$TOP/build}
CHECK=$BUILD/check
RESULTS=${SMCHAN_RESULTS:-$CHECK/results}
JOBS=${JOBS:-$(nproc)}
PYTHON=${PYTHON:-python3}

# The kernel line the UML kernels are built from: SMCHAN_KVER=6.1
# (default) or 6.12, each from Debian's linux-source-<line> tarball.
# 6.1 keeps the cache paths it always had (build/uml/FLAVOUR-KEY,
# build/uml/FLAVOUR, build/mod-uml[-debug]); another line puts itself
# into the names: build/uml/FLAVOUR-6.12-KEY, build/uml/FLAVOUR-6.12,
# build/mod-uml-6.12[-debug].
UML_KVERS="6.1 6.12"
KVER_UML=${SMCHAN_KVER:-6.1}
case " $UML_KVERS " in
*" $KVER_UML "*) ;;
*)
	echo "smchan: SMCHAN_KVER=$KVER_UML: not one of $UML_KVERS" >&2
	exit 2
	;;
esac
if [ "$KVER_UML" = 6.1 ]; then
	KVER_SUFFIX=
else
	KVER_SUFFIX=-$KVER_UML
fi

# Debian package that provides the kernel source tarball.
KSRC_PKG=linux-source-$KVER_UML
KSRC_TARBALL=/usr/src/$KSRC_PKG.tar.xz

# Bump to invalidate every cached UML kernel (e.g. when kernel.sh changes
# how it builds).
UML_CACHE_GEN=1

# The make calls in these scripts start afresh: a parent make's jobserver
# (make -jN check) makes them warn "-jN forced in submake", which the
# style stage would take for a compiler warning. Use JOBS=N instead.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

case $TOP in
*[[:space:]]*)
	echo "smchan: the repository path must not contain spaces: $TOP" >&2
	exit 2
	;;
esac

mkdir -p "$CHECK"

# One harness run at a time per build/ (several people may run make
# check-quick in one work tree). Children inherit the lock.
if [ -z "${SMCHAN_LOCKED:-}" ]; then
	exec 9>"$BUILD/.lock"
	if ! flock -n 9; then
		echo "smchan: waiting for another run using $BUILD" >&2
		flock -w 3600 9 || die "$BUILD/.lock still held after an hour"
	fi
	export SMCHAN_LOCKED=1
fi

say() { printf '  %-8s %s\n' "$1" "$2"; }
die() { printf 'smchan: %s\n' "$*" >&2; exit 1; }

# run_logged LOG CMD...: run quietly into LOG, show its tail if it fails.
run_logged() {
	local log=$1 rc=0
	shift
	if [ "${SMCHAN_VERBOSE:-0}" = 1 ]; then
		"$@" 2>&1 | tee "$log" || rc=$?
	else
		"$@" >"$log" 2>&1 || rc=$?
	fi
	if [ "$rc" -ne 0 ]; then
		echo "---- last 40 lines of $log (rc $rc) ----" >&2
		tail -n 40 "$log" >&2
		echo "----" >&2
	fi
	return "$rc"
}

# result NAME PASSED FAILED [SKIPPED]: one line of the results protocol.
result() {
	printf '%s %d %d %d\n' "$1" "$2" "$3" "${4:-0}" >>"$RESULTS"
}

ksrc_version() {
	dpkg-query -W -f='${Version}' "$KSRC_PKG" 2>/dev/null || echo unknown
}

# Extracted kernel source, one per Debian package version.
ksrc_dir() {
	echo "$BUILD/src/$KSRC_PKG-$(ksrc_version)"
}

uml_fragments() {
	case $1 in
	normal) echo "$UMLDIR/kunitconfig" ;;
	debug) echo "$UMLDIR/kunitconfig $UMLDIR/kunitconfig-debug" ;;
	*) die "unknown UML flavour '$1' (normal, debug)" ;;
	esac
}

# Cache key of a UML kernel: its fragments, the source version, the
# compiler and UML_CACHE_GEN.
uml_key() {
	local f
	{
		echo "gen $UML_CACHE_GEN"
		echo "src $(ksrc_version)"
		gcc --version | head -n 1
		for f in $(uml_fragments "$1"); do
			echo "== ${f##*/}"
			cat "$f"
		done
	} | sha256sum | cut -c1-12
}

# uml_dir FLAVOUR: the build directory of FLAVOUR on this kernel line;
# uml_link FLAVOUR: the link to the current one (boot.sh takes its name).
uml_dir() {
	echo "$BUILD/uml/$1$KVER_SUFFIX-$(uml_key "$1")"
}

uml_link() {
	echo "$1$KVER_SUFFIX"
}

# Debian's own headers: the highest installed linux-headers-6.1.*-amd64.
debian_kdir() {
	local d
	d=$(find /usr/src -maxdepth 1 -name 'linux-headers-6.1.*-amd64' \
		-type d 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] || return 1
	echo "$d"
}

# sync_module_tree DEST: copy the sources Kbuild needs to DEST, leaving
# DEST's build products alone (they are .gitignore'd, and rsync does not
# delete excluded files). No -t: a changed file gets a new mtime, so make
# rebuilds it even if the source's mtime went backwards.
# A source directory that went away still holds build products; rsync
# keeps it then ("cannot delete non-empty directory"): start afresh.
sync_module_tree() {
	local err
	mkdir -p "$1"
	err=$(rsync -rlpc --delete --exclude=/build/ --exclude=/.git/ \
		--exclude=/userspace/ --filter=':- .gitignore' "$TOP/" "$1/" 2>&1) ||
		die "rsync to $1 failed: $err"
	if [ -n "$err" ]; then
		rm -rf "$1"
		sync_module_tree "$1"
	fi
}

# kbuild_arch KDIR: "ARCH=um" for a UML build directory.
kbuild_arch() {
	if grep -qs '^CONFIG_UML=y' "$1/.config"; then
		echo ARCH=um
	fi
}
