/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * smchan: secure messaging to IC cards with a new session key per command.
 *
 * The generic netlink family "smchan" (Documentation/netlink/specs/smchan.yaml
 * describes it; tests/check-uapi.py checks this header against the spec)
 * and the /dev/smchan ioctl (Documentation/userspace-api.rst).
 */
#ifndef _UAPI_LINUX_SMCHAN_H
#define _UAPI_LINUX_SMCHAN_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define SMCHAN_FAMILY_NAME	"smchan"
#define SMCHAN_FAMILY_VERSION	1
#define SMCHAN_MCGRP_EVENTS	"events"

/* A channel name: like an interface name, 1..15 bytes and a NUL. */
#define SMCHAN_NAME_SIZE	16

/*
 * The most bytes of SMCHAN_A_APDU or SMCHAN_A_RESPONSE: what a netlink
 * attribute holds (a 16-bit length that counts its 4-byte header).
 */
#define SMCHAN_NL_DATA_MAX	65531

/* Reader and keyring names: at most 127 bytes and a NUL, everywhere. */
#define SMCHAN_READER_SIZE	128
#define SMCHAN_KEYDESC_SIZE	128

/* The most bytes of an answer to reset (ISO/IEC 7816-3): SMCHAN_A_ATR. */
#define SMCHAN_ATR_MAX		33

/* Key-update modes (P1 of INITIALIZE SESSION). Only ratchet is not weak. */
enum smchan_mode {
	SMCHAN_MODE_XOR = 1,
	SMCHAN_MODE_LIST,
	SMCHAN_MODE_OPKEY,
	SMCHAN_MODE_RATCHET,
};

/* Suites (P2 of INITIALIZE SESSION). */
enum smchan_suite {
	SMCHAN_SUITE_AES128 = 1,
	SMCHAN_SUITE_AES256,
};

/* Channel state, as get and dump report it. */
enum smchan_state {
	SMCHAN_STATE_IDLE = 1,		/* no session */
	SMCHAN_STATE_ESTABLISHING,	/* running GET CHALLENGE, INITIALIZE */
	SMCHAN_STATE_ESTABLISHED,	/* commands are protected */
	SMCHAN_STATE_FAILED,		/* the last session ended on a failure */
};

/* Why a session ended (SMCHAN_A_END_REASON). */
enum smchan_end_reason {
	SMCHAN_END_NONE = 0,
	SMCHAN_END_LOCAL,	/* administrator, channel change or deletion */
	SMCHAN_END_VERIFY,	/* a response failed verification */
	SMCHAN_END_CARD,	/* the card answered a bare status word */
	SMCHAN_END_LIMIT,	/* n reached the rekey limit */
	SMCHAN_END_KEYS,	/* no usable next key */
	SMCHAN_END_CRYPTO,	/* the crypto API failed */
	SMCHAN_END_TRANSPORT,	/* transport lost, timed out or failed */
	SMCHAN_END_CARD_REMOVED, /* the transport reported the card gone */
};

/* Event types (SMCHAN_A_EVENT) of SMCHAN_CMD_EVENT on "events". */
enum smchan_event {
	SMCHAN_EVENT_SESSION_UP = 1,	/* session established */
	SMCHAN_EVENT_SESSION_DOWN,	/* session ended: SMCHAN_A_END_REASON */
	SMCHAN_EVENT_REKEY,		/* re-initialised at the rekey limit */
	SMCHAN_EVENT_TRANSPORT_UP,	/* a transport bound the channel */
	SMCHAN_EVENT_TRANSPORT_DOWN,	/* the transport unbound or died */
	SMCHAN_EVENT_SM_FAILURE,	/* a response failed verification */
	SMCHAN_EVENT_CHANNEL_NEW,
	SMCHAN_EVENT_CHANNEL_DEL,
	SMCHAN_EVENT_SESSION_FAILED,	/* establishment failed: SMCHAN_A_ERROR */
};

/* Where the channel's master key came from (SMCHAN_A_KEY_SOURCE). */
enum smchan_key_source {
	SMCHAN_KEY_NONE = 0,
	SMCHAN_KEY_NETLINK,	/* SMCHAN_A_MKEY */
	SMCHAN_KEY_KEYRING,	/* a "logon" key named by SMCHAN_A_KEYRING */
};

enum smchan_cmd {
	SMCHAN_CMD_CHANNEL_NEW = 1,	/* admin: create a channel */
	SMCHAN_CMD_CHANNEL_SET,		/* admin: change it (ends a session) */
	SMCHAN_CMD_CHANNEL_DEL,		/* admin: delete it */
	SMCHAN_CMD_CHANNEL_GET,		/* admin: one channel, or dump all */
	SMCHAN_CMD_SESSION_START,	/* admin: establish a session now */
	SMCHAN_CMD_SESSION_STOP,	/* admin: end the session */
	SMCHAN_CMD_TRANSPORT_BIND,	/* admin: this socket relays the channel */
	SMCHAN_CMD_TRANSPORT_UNBIND,	/* admin: stop relaying it */
	SMCHAN_CMD_TRANSMIT,		/* kernel to transport: send an APDU */
	SMCHAN_CMD_TRANSMIT_DONE,	/* transport: the card's answer or error */
	SMCHAN_CMD_CARD_STATUS,		/* transport: card inserted or removed */
	SMCHAN_CMD_EVENT,		/* multicast on "events" */

	__SMCHAN_CMD_MAX,
	SMCHAN_CMD_MAX = __SMCHAN_CMD_MAX - 1
};

enum smchan_attr {
	SMCHAN_A_CHANNEL = 1,	/* string: the channel name */
	SMCHAN_A_MODE,		/* u8: enum smchan_mode */
	SMCHAN_A_SUITE,		/* u8: enum smchan_suite */
	SMCHAN_A_GROUP_SIZE,	/* u8: N for list and opkey, 2..32 */
	SMCHAN_A_REKEY_LIMIT,	/* u32: commands per session, 0: none */
	SMCHAN_A_TIMEOUT_MS,	/* u32: per transmitted APDU; in TRANSMIT, how
				 * long the kernel waits for this answer
				 */
	SMCHAN_A_AUTO_ESTABLISH, /* u8: 0 or 1 */
	SMCHAN_A_MKEY,		/* binary, 16 or 32 bytes: never returned */
	SMCHAN_A_KEYRING,	/* string: description of a "logon" key */
	SMCHAN_A_KEY_SOURCE,	/* u8: enum smchan_key_source */
	SMCHAN_A_READER,	/* string: the PC/SC reader for the transport */
	SMCHAN_A_WEAK,		/* flag: the mode is one of the patent's */
	SMCHAN_A_STATE,		/* u8: enum smchan_state */
	SMCHAN_A_N,		/* u64: number of the next command */
	SMCHAN_A_TRANSPORT,	/* u8: 1 when a transport is bound */
	SMCHAN_A_STATS,		/* nest: SMCHAN_STAT_* */
	SMCHAN_A_REQUEST_ID,	/* u64: matches TRANSMIT and TRANSMIT_DONE; a
				 * SESSION_START reply and the SESSION_UP or
				 * SESSION_FAILED event of that start
				 */
	SMCHAN_A_APDU,		/* binary: a protected or plain APDU */
	SMCHAN_A_RESPONSE,	/* binary: the card's answer */
	SMCHAN_A_ERROR,		/* u32: errno (positive): the transport's in
				 * TRANSMIT_DONE; why a session start failed
				 * in SESSION_FAILED and in get and dump
				 */
	SMCHAN_A_EVENT,		/* u8: enum smchan_event */
	SMCHAN_A_END_REASON,	/* u8: enum smchan_end_reason */
	SMCHAN_A_CARD_PRESENT,	/* u8: 0 or 1; in get and dump, what the
				 * bound transport last reported
				 */
	SMCHAN_A_PAD,
	SMCHAN_A_ATR,		/* binary, 2..SMCHAN_ATR_MAX bytes: the card's
				 * ATR, from CARD_STATUS; in get and dump
				 * while the card is present
				 */

	__SMCHAN_A_MAX,
	SMCHAN_A_MAX = __SMCHAN_A_MAX - 1
};

enum smchan_stat {
	SMCHAN_STAT_COMMANDS = 1,	/* u64: commands answered */
	SMCHAN_STAT_SM_FAILURES,	/* u64: responses that failed checks */
	SMCHAN_STAT_SESSIONS,		/* u64: sessions established */
	SMCHAN_STAT_REINITS,		/* u64: re-initialisations at the limit */
	SMCHAN_STAT_PAD,

	__SMCHAN_STAT_MAX,
	SMCHAN_STAT_MAX = __SMCHAN_STAT_MAX - 1
};

/* /dev/smchan: attach this file to a channel before write() and read(). */
struct smchan_attach {
	char name[SMCHAN_NAME_SIZE];
};

#define SMCHAN_IOC_MAGIC	0xd5
#define SMCHAN_IOC_ATTACH	_IOW(SMCHAN_IOC_MAGIC, 0x01, struct smchan_attach)

/*
 * /dev/smchan: hold the channel for this file, as SCardBeginTransaction
 * holds a reader: until SMCHAN_IOC_RELEASE, close(), or @ms milliseconds
 * (1..SMCHAN_HOLD_MAX_MS) pass, only this file's commands reach the card.
 * Waits while another file holds the channel (-EAGAIN with O_NONBLOCK).
 */
#define SMCHAN_HOLD_MAX_MS	60000
#define SMCHAN_IOC_HOLD		_IOW(SMCHAN_IOC_MAGIC, 0x02, __u32)
#define SMCHAN_IOC_RELEASE	_IO(SMCHAN_IOC_MAGIC, 0x03)

#endif /* _UAPI_LINUX_SMCHAN_H */
