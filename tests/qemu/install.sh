#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/qemu/install.sh: Documentation/admin-guide.rst's Install and DKMS
# sections, and with a USB CCID reader its PC/SC sections, followed line by
# line as a user would, inside a qemu guest on Debian's kernel
# (tests/qemu-run --no-module --usb 1), as root on a writable copy of the
# host's root: an overlay (the read-only 9p root below, tmpfs above), so
# `make install`, depmod, DKMS and modprobe write where they would on a
# real machine and nothing reaches the host.
#
#   Install: make (smchan.ko against /lib/modules/$(uname -r)/build),
#            make install, modprobe smchan; then checks that modprobe
#            loaded extra/'s module, /dev/smchan and the installed
#            smchanctl work;
#   PC/SC:   with the module and tools the Install part installed,
#            "Provision a key", "Configure a real USB CCID reader", "Run
#            the relay" and "PC/SC applications: the smchan reader"
#            (pcsc_guide below says how), with qemu's USB CCID reader
#            and smchan-vcard behind it; then rmmod. Without a USB reader
#            (no --usb) this part is skipped, and says so;
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
	pcsc_cleanup
	overlay_down
	echo "install: RESULT $passed $failed"
}
trap cleanup EXIT
kver=$(uname -r)
logs=${SMCHAN_BUILD:-$top/build}/check/qemu-install/$kver
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

# The PC/SC part: the guide's sections "Provision a key", "Configure a
# real USB CCID reader", "Run the relay" and "PC/SC applications: the
# smchan reader", in that order, as a user follows them after the Install
# section, in one shell (the tree's top, root's PATH, the umask the guide
# sets), with the card behind qemu's USB CCID reader (tests/qemu-run
# --usb 1): smchan-vcard --vscard on the host, whose card image the
# card's issuer writes with the key the guide generates. Every command
# comes from the guide (tests/guide-commands.sh); what a guest without
# systemd or network cannot run as written is replaced, and said so, at
# its case below. Then the checks the guide promises: the reader found,
# the channel bound, SELECT MF through smchanctl and through the smchan
# reader (90 00), both readers with a card in opensc-tool --list-readers,
# the same ATR on both, and the card's log: the command arrived protected.
GUIDE_SECTIONS=("Provision a key" "Configure a real USB CCID reader" "Run the relay"
	"PC/SC applications: the smchan reader")
user_umask=
user_pids=()
# The user's shell: root's login environment (not qemu-run's, whose PATH
# puts the tree's build first), in the overlay.
user_env=(chroot "$OV_ROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c)
# user_sh LOG CMD: CMD as the user types it, at the tree's top (the
# Install section's cwd), with the umask the guide set; at most 120 s.
user_sh() {
	"${user_env[@]}" "cd $src && ${user_umask:+umask $user_umask && }exec timeout 120 bash -c $(printf %q "$2")" \
		>"$1" 2>&1 </dev/null
}
# user_bg LOG CMD: the same, in the background (a daemon, another
# terminal); its pid (chroot execs bash execs CMD) in user_pids.
user_bg() {
	"${user_env[@]}" "cd $src && exec $2" >"$1" 2>&1 </dev/null &
	user_pids+=($!)
	LAST_PID=$!
}
stop_user_pid() {
	kill "$1" 2>/dev/null || return 0
	timeout 5 tail --pid="$1" -f /dev/null 2>/dev/null || kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null || :
}
wait_until() { # wait_until SECONDS CMD...
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}
# pcscd as Debian's pcscd.service starts it (--foreground), less
# --auto-exit: nothing here would start it again on demand.
start_pcscd() {
	rm -f "$root/run/pcscd/pcscd.comm"
	user_bg "$logs/pcscd-$SECONDS.log" "pcscd --foreground"
	PCSCD=$LAST_PID
	wait_until 20 test -S "$root/run/pcscd/pcscd.comm"
}
# opensc_nr NAME: opensc-tool's number of reader NAME, from the list in
# $logs/list.log.
opensc_nr() {
	awk -v n="$1" '$1 ~ /^[0-9]+$/ { s = $0; sub(/^[0-9]+ +(Yes|No) +(PIN pad +)?/, "", s)
		if (s == n) { print $1; exit } }' "$logs/list.log"
}
# reader_of CMD: opensc-tool's number of the reader that the command
# "opensc-tool -r READER ..." names (by number or by name).
reader_of() {
	local r
	r=$(sed -n -e 's/^opensc-tool -r "\([^"]*\)" .*/\1/p' \
		-e 's/^opensc-tool -r \([0-9][0-9]*\) .*/\1/p' <<<"$1")
	case $r in
	'' | *[!0-9]*) opensc_nr "$r" ;;
	*) echo "$r" ;;
	esac
}
both_yes() {
	user_sh "$logs/list.log" "opensc-tool --list-readers" &&
		[ "$(grep -cE '^[0-9]+ +Yes ' "$logs/list.log")" = 2 ]
}
is_bound() {
	in_root "/usr/local/sbin/smchanctl channel show card0 --json" 2>/dev/null |
		grep -q '"transport": true'
}
scan_ok() { # scan_ok LOG: pcsc_scan -r names a reader
	user_sh "$1" "pcsc_scan -r" && grep -q '^[0-9][0-9]*: ' "$1"
}

pcsc_guide() {
	local sec cmd log n=0 t0 rc share phys='' sm='' entry='' atr_p atr_s p s lines
	if [ -z "${SMCHAN_USB_READERS:-}" ]; then
		echo "install: skipped: the guide's PC/SC sections need a USB CCID reader (tests/qemu-run --usb 1)"
		return 0
	fi
	share=${SMCHAN_HOSTCTL%/*}/guide
	rm -rf "$share"
	mkdir -p "$share"
	# A new user's /etc/reader.conf.d holds libccid's (commented out)
	# entry only; this machine's has vpcd's, for the UML tests.
	find "$root/etc/reader.conf.d" -type f ! -name libccidtwin -delete 2>/dev/null
	# The guide's apt-get lines are checked (check_apt), not run.
	for sec in "${GUIDE_SECTIONS[@]}"; do
		while IFS= read -r cmd; do
			n=$((n + 1))
			log=$logs/pcsc-$n.log
			t0=$SECONDS
			case $cmd in
			apt-get\ install*)
				check_apt "$cmd"
				continue
				;;
			umask\ *)
				# The shell's state for the commands that follow.
				user_umask=${cmd#umask }
				ok "$sec: '$cmd'"
				continue
				;;
			"smchanctl key add "*)
				# Between generating the key and storing it: the
				# card's issuer writes the card with it (the guide:
				# "smchan-vcard --create --mkey-file" for the virtual
				# card), outside the overlay, and the card goes into
				# qemu's reader (hostctl: the host runs it).
				if [ "$(stat -c %a "$root$src/card0.key" 2>/dev/null)" = 600 ] &&
					grep -qxE '[0-9a-f]{32}' "$root$src/card0.key"; then
					ok "$sec: card0.key holds 32 hex digits, mode 0600"
				else
					bad "$sec: card0.key: $(stat -c %a "$root$src/card0.key" 2>&1), $(wc -c <"$root$src/card0.key" 2>&1) bytes"
					return 1
				fi
				"$top/userspace/build/smchan-vcard" --create --image "$share/card0.img" \
					--mkey-file "$root$src/card0.key" >"$logs/issuer.log" 2>&1 &&
					"$top/tests/qemu/hostctl" card-start 0 "$share/card0.img" "$share/card0.log" \
						>>"$logs/issuer.log" 2>&1 ||
					{ bad "the issuer could not write or start the card: $(tail -n 3 "$logs/issuer.log")"; return 1; }
				;;
			"pcsc_scan -r")
				# pcscd: "with systemd, pcscd starts on demand"; and
				# systemd-udevd, which a Debian system always runs
				# (pcscd follows its USB events). SYSTEMD_IGNORE_CHROOT:
				# udevadm would otherwise do nothing in a chroot.
				chroot "$OV_ROOT" /usr/bin/env SYSTEMD_IGNORE_CHROOT=1 \
					/lib/systemd/systemd-udevd --daemon >"$logs/udevd.log" 2>&1 ||
					{ bad "systemd-udevd did not start"; return 1; }
				start_pcscd || { bad "pcscd did not start: $(tail -n 3 "$logs"/pcscd-*.log)"; return 1; }
				;;
			"smchanctl channel add "*)
				# The guide's reader is an example: the user types the
				# one pcsc_scan -r printed.
				phys=$(sed -n 's/^[0-9][0-9]*: //p' "$logs/scan.log" | head -n 1)
				[ -n "$phys" ] || { bad "$sec: pcsc_scan -r named no reader: $(cat "$logs/scan.log")"; return 1; }
				cmd=$(sed "s/reader \"[^\"]*\"/reader \"$phys\"/" <<<"$cmd")
				;;
			"systemctl enable --now smchanctl-relay")
				# No systemd: the installed unit's ExecStartPre and
				# ExecStart, without its sandbox (tests/relay/sandbox.sh
				# tests that). And "smchanctl monitor" (below), which a
				# user watches in another terminal from now on.
				local unit
				unit=$(ls "$root"/{lib,usr/lib}/systemd/system/smchanctl-relay.service 2>/dev/null | head -n 1)
				[ -n "$unit" ] || { bad "$sec: make install put no smchanctl-relay.service"; return 1; }
				cmd=$(sed -n 's/^ExecStart=//p' "$unit")
				in_root "$(sed -n 's/^ExecStartPre=[-+@!]*//p' "$unit")" >"$log" 2>&1 ||
					bad "$sec: the unit's ExecStartPre failed: $(cat "$log")"
				user_bg "$logs/monitor.log" "smchanctl monitor"
				user_bg "$logs/relay.log" "$cmd"
				if wait_until 60 is_bound; then
					ok "$sec: '$cmd' (the unit's ExecStart) bound card0 ($((SECONDS - t0)) s)"
				else
					bad "$sec: the relay did not bind card0: $(tail -n 3 "$logs/relay.log")"
					return 1
				fi
				continue
				;;
			"smchanctl monitor")
				# Started with the relay: what it printed since.
				if grep -q '^card0: session-up' "$logs/monitor.log"; then
					ok "$sec: '$cmd' showed $(grep -c . "$logs/monitor.log") events, among them card0: session-up"
				else
					bad "$sec: '$cmd' printed no session-up: $(head -c 300 "$logs/monitor.log")"
				fi
				continue
				;;
			"systemctl restart pcscd")
				# No systemd: our pcscd, stopped and started again.
				stop_user_pid "$PCSCD"
				if start_pcscd; then
					ok "$sec: '$cmd' (our pcscd --foreground again)"
				else
					bad "$sec: pcscd did not start again: $(tail -n 3 "$logs"/pcscd-*.log)"
					return 1
				fi
				continue
				;;
			FRIENDLYNAME* | DEVICENAME* | LIBPATH*)
				# Not a command: the reader.conf.d entry the guide shows.
				entry+="$(tr -s ' \t' ' ' <<<"$cmd")"$'\n'
				continue
				;;
			esac
			rc=0
			case $cmd in
			"pcsc_scan -r")
				# The reader may come a moment after pcscd's start.
				wait_until 20 scan_ok "$log" || rc=1
				;;
			"opensc-tool -r "*" --atr")
				# First the physical reader's ATR, which opensc-tool
				# reads while the relay does not hold the card yet (it
				# lost it with pcscd's restart and takes it again with
				# its next command).
				user_sh "$logs/atr-phys.log" "opensc-tool -r $(printf %q "$phys") --atr"
				atr_p=$(cat "$logs/atr-phys.log")
				user_sh "$log" "$cmd" || rc=$?
				;;
			"opensc-tool --list-readers")
				# The smchan reader shows the card once the relay,
				# which pcscd's restart cut off, is back (it reconnects
				# with backoff): a user would look again after a moment.
				wait_until 60 both_yes || rc=1
				cp "$logs/list.log" "$log"
				;;
			*) user_sh "$log" "$cmd" || rc=$? ;;
			esac
			if [ "$rc" != 0 ]; then
				bad "$sec: '$cmd' failed: $(tail -n 5 "$log" | tr '\n' ' ')"
				return 1
			fi
			ok "$sec: '$cmd' ($((SECONDS - t0)) s)"
			# What the command is for.
			case $cmd in
			"pcsc_scan -r")
				cp "$log" "$logs/scan.log"
				;;
			"smchanctl key add "*)
				if in_root "keyctl show @u" 2>&1 | grep -q 'logon: smchan:card0$' &&
					! in_root "keyctl print %logon:smchan:card0" >/dev/null 2>&1; then
					ok "$sec: a logon key smchan:card0 in root's user keyring, not readable back"
				else
					bad "$sec: no unreadable logon key smchan:card0: $(in_root 'keyctl show @u' 2>&1 | tr '\n' ' ')"
				fi
				;;
			"shred -u "*)
				[ ! -e "$root$src/card0.key" ] || bad "$sec: card0.key is still there"
				;;
			"smchanctl apdu card0 00A4000C023F00")
				if [ "$(cat "$log")" = 9000 ]; then
					ok "$sec: SELECT MF through the relay and the USB reader: 9000"
				else
					bad "$sec: SELECT MF: $(cat "$log")"
				fi
				;;
			"opensc-tool --list-readers")
				sm=$(opensc_nr "smchan card0 00 00")
				p=$(opensc_nr "$phys")
				if grep -Eq "^$sm +Yes " "$log" && grep -Eq "^$p +Yes " "$log"; then
					ok "$sec: both readers with a card: smchan card0 (-r $sm), the USB reader (-r $p)"
				else
					bad "$sec: $(tr '\n' ';' <"$log")"
				fi
				;;
			"opensc-tool -r "*" --atr")
				s=$(reader_of "$cmd")
				atr_s=$(cat "$log")
				if [ "$s" != "$sm" ]; then
					bad "$sec: the guide's reader (#$s) is not the smchan reader (#$sm; #$p is the USB reader)"
				elif [ -n "$atr_s" ] && [ "$atr_s" = "$atr_p" ]; then
					ok "$sec: the smchan reader's ATR is the physical reader's: $atr_s"
				else
					bad "$sec: ATR: smchan reader '$atr_s', physical reader '$atr_p'"
				fi
				;;
			"opensc-tool -r "*" -s 00A4000C023F00")
				s=$(reader_of "$cmd")
				[ "$s" = "$sm" ] || bad "$sec: the guide's reader (#$s) is not the smchan reader (#$sm)"
				if grep -q 'SW1=0x90, SW2=0x00' "$log"; then
					ok "$sec: SELECT MF through the smchan reader: 90 00"
				else
					bad "$sec: SELECT MF through the smchan reader: $(tr '\n' ' ' <"$log")"
				fi
				;;
			esac
			case $cmd in
			"opensc-tool -r "*" --atr")
				# The card's log from here on: the next command.
				lines=$(wc -l <"$share/card0.log")
				;;
			"opensc-tool -r "*" -s 00A4000C023F00")
				local new
				new=$(tail -n +"$((lines + 1))" "$share/card0.log")
				if grep -q ' ins=A4 .* n=[0-9]' <<<"$new" &&
					! grep ' mode=plain' <<<"$new" | grep -qEv ' ins=(84|8A|C0) '; then
					ok "$sec: the card's log: SELECT arrived protected ($(grep ' ins=A4 ' <<<"$new" | head -n 1))"
				else
					bad "$sec: the card's log since --atr: $(head -n 5 <<<"$new" | tr '\n' ';')"
				fi
				;;
			esac
		done < <("$top/tests/guide-commands.sh" "$sec")
	done
	# The entry the guide shows is the one make install wrote, and its
	# driver is there.
	p=$(sed -n 's/^LIBPATH //p' <<<"$entry")
	if [ -z "$entry" ] || [ ! -f "$root$p" ]; then
		bad "the guide's reader.conf.d entry: '$entry', no driver at '$p'"
	elif [ "$(grep -v '^#' "$root/etc/reader.conf.d/smchan" 2>/dev/null | tr -s ' \t' ' ' | grep .)" = "${entry%$'\n'}" ]; then
		ok "make -C userspace/ifd install wrote the reader.conf.d entry the guide shows"
	else
		bad "reader.conf.d/smchan is not the guide's entry: $(tr '\n' ';' <"$root/etc/reader.conf.d/smchan" 2>&1)"
	fi
	[ "$n" -gt 10 ] || bad "only $n commands in the guide's PC/SC sections"
}

pcsc_cleanup() {
	local p
	[ -n "${SMCHAN_USB_READERS:-}" ] || return 0
	in_root "/usr/local/sbin/smchanctl channel del card0" >/dev/null 2>&1
	for p in "${user_pids[@]}"; do
		stop_user_pid "$p"
	done
	user_pids=()
	chroot "$OV_ROOT" /usr/bin/env SYSTEMD_IGNORE_CHROOT=1 udevadm control --exit >/dev/null 2>&1
	in_root "keyctl unlink %logon:smchan:card0 @u" >/dev/null 2>&1
	"$top/tests/qemu/hostctl" card-stop 0 >/dev/null 2>&1
	cp "${SMCHAN_HOSTCTL%/*}/guide/card0.log" "$logs/card0.log" 2>/dev/null
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
	pcsc_guide
	pcsc_cleanup
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
