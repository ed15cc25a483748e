# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by the PC/SC relay tests and the demo. They run as root inside
# UML (tests/uml-run), where /run and /tmp are private tmpfs and the
# network is UML's own, so pcscd and vpcd's ports are ours alone:
#
#   /dev/smchan <- app (smchanctl apdu)
#   smchan.ko  --netlink-->  smchanctl relay  --PC/SC-->  pcscd
#                                 vpcd slot 0: 127.0.0.1:35963  <-- smchan-vcard
#                                 vpcd slot 1: 127.0.0.1:35964  <-- smchan-vcard
#
# Every process started here is stopped by relay_cleanup (trap it), and
# every wait is bounded.
#
# In a qemu guest with USB CCID readers (tests/qemu-run --usb N sets
# SMCHAN_USB_READERS), the same functions put the cards behind qemu's USB
# CCID readers instead: slot S is the reader on xHCI port S+1, driven by
# the guest's own xhci_hcd, libusb and libccid in pcscd (no vpcd), and the
# card is smchan-vcard --vscard on the host, started and controlled
# through tests/qemu/hostctl. R_TMP is then on the build/ share, where the
# host-side card finds its image.

# UML's devtmpfs has no /dev/fd; bash's <(...) needs it.
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd 2>/dev/null || :
USB=${SMCHAN_USB_READERS:-}
if [ -n "$USB" ]; then
	mkdir -p "${SMCHAN_HOSTCTL%/*}/tmp"
	R_TMP=$(mktemp -d "${SMCHAN_HOSTCTL%/*}/tmp/smchan-relay.XXXXXX")
else
	R_TMP=$(mktemp -d /tmp/smchan-relay.XXXXXX)
fi
declare -A CARD_SLOT
R_PIDS=()
R_CHANNELS=()
VPCD_DRIVER=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
VPCD_PORT=35963
PCSCD_PID=
RELAY_PID=
declare -A CARD_PID

rsay() { printf '%s: %s\n' "${0##*/}" "$*"; }
rfail() {
	printf '%s: FAIL: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

# The checks of a test script: ok/bad count and say; relay_finish (trap it
# on EXIT) prints "RESULT <passed> <failed> [<skipped>]", the relay log's
# last lines if anything failed, and cleans up.
passed=0
failed=0
skipped=
ok() { passed=$((passed + 1)); rsay "ok: $*"; }
bad() {
	failed=$((failed + 1))
	rsay "FAIL: $*"
	KEEP_LOGS=1
}
relay_finish() {
	rsay "RESULT $passed $failed${skipped:+ $skipped}"
	if [ "$failed" != 0 ] && [ -f "$R_TMP/relay.log" ]; then
		rsay "relay log (last lines):"
		tail -n 30 "$R_TMP/relay.log" | sed 's/^/    /'
	fi
	relay_cleanup
}

# stop_pid PID: SIGTERM, then SIGKILL after 5 s.
stop_pid() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || return 0
	timeout 5 tail --pid="$1" -f /dev/null 2>/dev/null || kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null || :
}

relay_cleanup() {
	local c p
	for c in "${R_CHANNELS[@]}"; do
		smchanctl channel del "$c" >/dev/null 2>&1 || :
	done
	for p in "${R_PIDS[@]}"; do
		stop_pid "$p"
	done
	if [ -n "$USB" ]; then
		for c in "${!CARD_SLOT[@]}"; do
			"$top/tests/qemu/hostctl" card-stop "${CARD_SLOT[$c]}" >/dev/null 2>&1 || :
		done
		udevadm control --exit 2>/dev/null || :
	fi
	if [ -n "${KEEP_LOGS:-}" ]; then
		rsay "logs kept in $R_TMP"
	else
		rm -rf "$R_TMP"
	fi
}

# wait_for SECONDS CMD...: retry CMD every 0.1 s until it succeeds.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

start_pcscd() {
	if [ -n "$USB" ]; then
		# USB readers only (libccid), and udevd for their hotplug
		# events (pcscd follows udev's, not the kernel's). The guest
		# runs us chrooted into the host's root: without
		# SYSTEMD_IGNORE_CHROOT udevadm would only say "Running in
		# chroot, ignoring request" (and exit 0).
		export SYSTEMD_IGNORE_CHROOT=1
		: >"$R_TMP/reader.conf"
		if ! udevadm control --ping >/dev/null 2>&1; then
			/lib/systemd/systemd-udevd --daemon >>"$R_TMP/udevd.log" 2>&1 ||
				rfail "systemd-udevd did not start"
			wait_for 10 udevadm control --ping || rfail "udevd does not answer"
		fi
	else
		[ -f "$VPCD_DRIVER" ] || rfail "no vpcd driver ($VPCD_DRIVER): apt-get install vsmartcard-vpcd"
		cat >"$R_TMP/reader.conf" <<CONF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:$VPCD_PORT
LIBPATH      $VPCD_DRIVER
CONF
		# VPCD_READERS=N: N vpcd readers of two slots each (slot S
		# on port VPCD_PORT + S); pcscd loads a driver file once.
		local i
		for ((i = 1; i < ${VPCD_READERS:-1}; i++)); do
			cp "$VPCD_DRIVER" "$R_TMP/libifdvpcd-$i.so"
			printf '\nFRIENDLYNAME "Virtual PCD %d"\nDEVICENAME   /dev/null:%d\nLIBPATH      %s\n' \
				"$i" $((VPCD_PORT + 2 * i)) "$R_TMP/libifdvpcd-$i.so" >>"$R_TMP/reader.conf"
		done
	fi
	# More readers (tests/ifd, the demo's closing act: the smchan reader).
	[ -z "${PCSCD_EXTRA_CONF:-}" ] || cat "$PCSCD_EXTRA_CONF" >>"$R_TMP/reader.conf"
	mkdir -p /run/pcscd
	rm -f /run/pcscd/pcscd.comm
	pcscd -f -c "$R_TMP/reader.conf" >>"$R_TMP/pcscd.log" 2>&1 &
	PCSCD_PID=$!
	R_PIDS+=("$PCSCD_PID")
	wait_for 10 test -S /run/pcscd/pcscd.comm || rfail "pcscd did not start ($(tail -3 "$R_TMP/pcscd.log"))"
}

stop_pcscd() {
	stop_pid "$PCSCD_PID"
	PCSCD_PID=
}

# new_card NAME [16|32]: a key file $R_TMP/NAME.key and a card image
# $R_TMP/NAME.img made with it.
new_card() {
	(umask 077 && head -c "${2:-16}" /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$R_TMP/$1.key")
	smchan-vcard --create --image "$R_TMP/$1.img" --mkey-file "$R_TMP/$1.key" ||
		rfail "smchan-vcard --create $1"
}

# start_card NAME SLOT [--demo-log FILE]: insert card NAME into vpcd slot
# SLOT (0 or 1), or into USB reader SLOT.
start_card() {
	local name=$1 slot=$2
	shift 2
	if [ -n "$USB" ]; then
		CARD_SLOT[$name]=$slot
		"$top/tests/qemu/hostctl" card-start "$slot" "$R_TMP/$name.img" \
			"$R_TMP/$name.log" ${2:+"$2"} >/dev/null || rfail "card-start $name"
		return
	fi
	smchan-vcard --image "$R_TMP/$name.img" --port $((VPCD_PORT + slot)) \
		--log "$R_TMP/$name.log" "$@" 2>>"$R_TMP/$name.err" &
	CARD_PID[$name]=$!
	R_PIDS+=("${CARD_PID[$name]}")
}

# remove_card NAME: the card leaves the reader (vpcd sees it gone; on USB,
# the card says VSC_CardRemove and stops).
remove_card() {
	if [ -n "$USB" ]; then
		"$top/tests/qemu/hostctl" card-remove "${CARD_SLOT[$1]}" >/dev/null &&
			"$top/tests/qemu/hostctl" card-stop "${CARD_SLOT[$1]}" >/dev/null ||
			rfail "card-remove $1"
		return
	fi
	stop_pid "${CARD_PID[$1]}"
	CARD_PID[$1]=
}

# pause_card NAME, resume_card NAME: the card stops answering, and resumes.
pause_card() {
	if [ -n "$USB" ]; then
		"$top/tests/qemu/hostctl" card-pause "${CARD_SLOT[$1]}" >/dev/null
	else
		kill -STOP "${CARD_PID[$1]}"
	fi
}
resume_card() {
	if [ -n "$USB" ]; then
		"$top/tests/qemu/hostctl" card-resume "${CARD_SLOT[$1]}" >/dev/null
	else
		kill -CONT "${CARD_PID[$1]}"
	fi
}

# reader_name SLOT: what a channel names as its reader. USB: the tail of
# libccid's name that holds the port ("... (1-0000:00:04.0-1) 00 00").
reader_name() {
	if [ -n "$USB" ]; then
		echo ".0-$(($1 + 1)))"
	else
		if [ "$1" -lt 2 ]; then
			echo "Virtual PCD 00 0$1"
		else
			echo "Virtual PCD $(($1 / 2)) 00 0$(($1 % 2))"
		fi
	fi
}

start_relay() {
	smchanctl relay --foreground ${RELAY_DEBUG:+--debug} >>"$R_TMP/relay.log" 2>&1 &
	RELAY_PID=$!
	R_PIDS+=("$RELAY_PID")
}

stop_relay() {
	stop_pid "$RELAY_PID"
	RELAY_PID=
}

# add_channel NAME SLOT [OPTION VALUE...]: a channel on vpcd slot SLOT
# with card NAME's key, deleted at cleanup.
add_channel() {
	local name=$1 slot=$2
	shift 2
	smchanctl channel add "$name" reader "$(reader_name "$slot")" \
		key-file "$R_TMP/$name.key" "$@" || rfail "channel add $name"
	R_CHANNELS+=("$name")
}

is_bound() {
	smchanctl channel show "$1" --json | grep -q '"transport": true'
}

# ready NAME: the relay has bound the channel and a command goes through.
ready() {
	wait_for 20 is_bound "$1" || rfail "the relay did not bind $1 ($(tail -5 "$R_TMP/relay.log"))"
	wait_for 20 smchanctl apdu "$1" 00A4000C023F00 ||
		rfail "no command went through on $1: $(smchanctl apdu "$1" 00A4000C023F00 2>&1) ($(tail -5 "$R_TMP/relay.log"))"
}

: "${seed:=$RANDOM}"
# session CHANNEL COUNT TAG: a random session of COUNT commands (seeds
# from $seed on); checks every answer and then the card image. Returns 0
# if all is well, else says why in $R_TMP/CHANNEL-TAG.why.
session() {
	local ch=$1 n=$2 tag=$3 p=$R_TMP/$1-$3
	seed=$((seed + 1))
	"$top/tests/relay/session.py" gen "$R_TMP/$ch.img" "$seed" "$n" "$p" || return 1
	# shellcheck disable=SC2046
	if ! timeout 600 smchanctl apdu "$ch" $(cat "$p.cmds") >"$p.out" 2>"$p.err"; then
		echo "$ch $tag: $(cat "$p.err") after $(wc -l <"$p.out") answers" >"$p.why"
		return 1
	fi
	if ! cmp -s "$p.out" "$p.expect"; then
		echo "$ch $tag: answer $(cmp "$p.out" "$p.expect" | awk '{print $NF}') differs from the model" >"$p.why"
		return 1
	fi
	if ! "$top/tests/relay/session.py" check "$R_TMP/$ch.img" "$p"; then
		echo "$ch $tag: the card image differs from the model" >"$p.why"
		return 1
	fi
}

# both TAG COUNT: a session on channels c128 and c256, at the same time.
both() {
	local tag=$1 n=$2 r1=0 r2=0 pid
	session c128 "$n" "$tag" &
	pid=$!
	session c256 "$n" "$tag" || r2=$?
	wait "$pid" || r1=$?
	[ $r1 = 0 ] || echo "    $(cat "$R_TMP/c128-$tag.why" 2>/dev/null)"
	[ $r2 = 0 ] || echo "    $(cat "$R_TMP/c256-$tag.why" 2>/dev/null)"
	[ $r1 = 0 ] && [ $r2 = 0 ]
}
