#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh src             extract Debian's kernel source under build/src/
# kernel.sh build FLAVOUR   build (or reuse) the UML kernel FLAVOUR
#                           (normal, debug) under build/uml/FLAVOUR-KEY/
#
# KEY hashes the Kconfig fragments, the source package version, the
# compiler and UML_CACHE_GEN (lib.sh). A build that finished has a
# .smchan-ok stamp; a later run with the same key reuses it without
# calling make. build/uml/FLAVOUR links to the current one.
#
# SMCHAN_KVER=6.12 does the same from linux-source-6.12, in
# build/uml/FLAVOUR-6.12-KEY/ with the link build/uml/FLAVOUR-6.12.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

extract_src() {
	local dst tmp
	dst=$(ksrc_dir)
	[ -e "$dst/.smchan-extracted" ] && return 0
	[ -r "$KSRC_TARBALL" ] || die "$KSRC_TARBALL missing (make deps)"
	say SRC "extracting $KSRC_TARBALL ($(ksrc_version))"
	mkdir -p "$BUILD/src"
	rm -rf "$BUILD"/src/.extract.*	# left by an interrupted run
	tmp=$(mktemp -d "$BUILD/src/.extract.XXXXXX")
	tar -C "$tmp" -xf "$KSRC_TARBALL"
	rm -rf "$dst"
	mv "$tmp/$KSRC_PKG" "$dst"
	rmdir "$tmp"
	touch "$dst/.smchan-extracted"
	# Older extracted versions are 1.5 GB each.
	find "$BUILD/src" -mindepth 1 -maxdepth 1 -name "$KSRC_PKG-*" \
		! -path "$dst" -exec rm -rf {} +
}

build_uml() {
	local flavour=$1 dir link src log f start
	local -a cfgs=()
	dir=$(uml_dir "$flavour")
	link=$BUILD/uml/$(uml_link "$flavour")
	if [ -e "$dir/.smchan-ok" ] && [ -x "$dir/linux" ]; then
		ln -sfn "${dir##*/}" "$link"
		return 0
	fi
	extract_src
	src=$(ksrc_dir)
	for f in $(uml_fragments "$flavour"); do
		cfgs+=("--kunitconfig=$f")
	done
	mkdir -p "$dir"
	log=$CHECK/uml-$(uml_link "$flavour")-build.log
	say UML "building the $flavour${KVER_SUFFIX:+ $KVER_UML} kernel in ${dir#"$TOP"/} (minutes; log ${log#"$TOP"/})"
	start=$SECONDS
	# kunit.py merges the fragments with arch_uml.config, runs
	# olddefconfig, checks every fragment line made it, then runs make.
	(cd "$src" && run_logged "$log" "$PYTHON" tools/testing/kunit/kunit.py \
		build --arch=um --jobs="$JOBS" --build_dir="$dir" "${cfgs[@]}") ||
		die "building the $flavour UML kernel failed"
	# Options that have no prompt and are only selected; kunit.py has
	# checked them too, this keeps the reason visible.
	for f in CONFIG_CRYPTO_KDF800108_CTR CONFIG_CRYPTO_LIB_AES; do
		grep -qx "$f=y" "$dir/.config" ||
			die "$f is not =y in ${dir#"$TOP"/}/.config"
	done
	[ -s "$dir/Module.symvers" ] || die "no Module.symvers in $dir"
	uml_key "$flavour" >"$dir/.smchan-ok"
	say UML "$flavour${KVER_SUFFIX:+ $KVER_UML} kernel built in $((SECONDS - start)) s"
	ln -sfn "${dir##*/}" "$link"
	# Builds for other keys of this flavour and line are stale (0.1-0.2 GB
	# each); the 12 ?s keep the other line's builds.
	find "$BUILD/uml" -mindepth 1 -maxdepth 1 -type d \
		-name "$(uml_link "$flavour")-????????????" \
		! -path "$dir" -exec rm -rf {} +
}

case ${1:-} in
src) extract_src ;;
build) build_uml "${2:?flavour}" ;;
*) die "usage: [SMCHAN_KVER=6.1|6.12] $0 src | build normal|debug" ;;
esac
