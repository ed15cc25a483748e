/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * libsmchan: the netlink side of smchan in one place.
 *
 * A small C library over libnl-genl-3 for the generic netlink family
 * "smchan" (kernel/include/uapi/linux/smchan.h, Documentation/
 * userspace-api.rst): channel administration, sessions, the transport
 * relay and the "events" multicast group, plus the hex key-file reader
 * every tool shares.  Static only (build/libsmchan.a); link with
 * `pkg-config --libs libnl-genl-3.0`.
 *
 * Errors.  Every function returning int returns 0 (or a count) on success
 * and a negative number on failure:
 *   -errno                     the kernel's answer (its extack message, if
 *                              any, is in smchan_nl_last_error()), or a
 *                              system call's failure;
 *   -(SMCHAN_ELIBNL + NLE_x)   libnl itself failed (e.g. out of memory,
 *                              a message it could not parse).
 * smchan_strerror() names both.  The two ranges never overlap.
 *
 * Handles.  One struct smchan_nl is one netlink socket; it is not
 * thread-safe.  A socket that is bound as a transport must not also send
 * SESSION_START (or anything that waits for the card) for a channel it
 * relays: the kernel would wait for an answer the same process cannot
 * give.  Use a second handle.
 *
 * Keys and libnl's debugging.  NLCB=debug makes libnl's nl_send() print
 * every message it sends.  A message holding a master key (CHANNEL_NEW or
 * CHANNEL_SET with SMCHAN_CFG_MKEY) never goes through it: the library
 * completes it and writes it with nl_sendto(), which prints nothing, and
 * wipes it once sent.
 */
#ifndef SMCHAN_LIB_SMCHAN_H
#define SMCHAN_LIB_SMCHAN_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <linux/smchan.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libnl's error NLE_x comes back as -(SMCHAN_ELIBNL + NLE_x). */
#define SMCHAN_ELIBNL 10000

struct smchan_nl;

/* --- Sockets ----------------------------------------------------------- */

/* Opens a generic netlink socket, connects it, turns on extended ACKs and
 * capped ACKs, and resolves the "smchan" family.  Returns NULL with errno
 * set (ENOENT: the family is not registered, i.e. the module is not
 * loaded). */
struct smchan_nl *smchan_nl_open(void);
/* The same, and joins the "events" multicast group. */
struct smchan_nl *smchan_events_open(void);
void smchan_nl_close(struct smchan_nl *h);
/* Resolves the family (and for an events handle its "events" group, which
 * it joins) again, after the module was reloaded.  0, -ENOENT (not
 * registered), or another negative error. */
int smchan_nl_reresolve(struct smchan_nl *h);

/* The socket's file descriptor, for poll(). */
int smchan_nl_fd(const struct smchan_nl *h);
/* The extack message of the last failed request ("" if the kernel gave
 * none; for a missing attribute "missing attribute N" is synthesised). */
const char *smchan_nl_last_error(const struct smchan_nl *h);
/* Describes a return value of this library ("Operation not permitted",
 * or libnl's text). */
const char *smchan_strerror(int err);
/* "EPERM" for -EPERM, "ELIBNL(n)" for libnl errors; a static buffer for
 * unknown numbers. */
const char *smchan_errname(int err);
/* The reverse: 13 for "EACCES", 0 for a name it does not know. */
int smchan_errno_parse(const char *name);

/* Calls fn with the raw bytes of every netlink message this handle
 * receives (replies, dumps, TRANSMIT requests, events), before parsing.
 * For tests that look at what really came over the wire. */
typedef void (*smchan_trace_fn)(const void *msg, size_t len, void *arg);
void smchan_nl_set_trace(struct smchan_nl *h, smchan_trace_fn fn, void *arg);

/* --- Channels ---------------------------------------------------------- */

/* Which optional fields of struct smchan_channel_cfg are set. */
enum {
	SMCHAN_CFG_MODE		= 1 << 0,
	SMCHAN_CFG_SUITE	= 1 << 1,
	SMCHAN_CFG_GROUP_SIZE	= 1 << 2,
	SMCHAN_CFG_REKEY_LIMIT	= 1 << 3,
	SMCHAN_CFG_TIMEOUT_MS	= 1 << 4,
	SMCHAN_CFG_AUTO_ESTABLISH = 1 << 5,
	SMCHAN_CFG_MKEY		= 1 << 6,	/* mkey, mkey_len */
	SMCHAN_CFG_KEYRING	= 1 << 7,	/* keyring */
	SMCHAN_CFG_READER	= 1 << 8,	/* reader */
};

/* Reader and keyring names: at most 127 bytes and a NUL, as in the kernel.
 * The library refuses a longer (unterminated) name with -ENAMETOOLONG. */
#define SMCHAN_KEYRING_MAX SMCHAN_KEYDESC_SIZE
#define SMCHAN_READER_MAX SMCHAN_READER_SIZE

/* The attributes of CHANNEL_NEW and CHANNEL_SET.  Zero it, fill in name
 * and what you set, and or the flags into present.  The caller wipes mkey
 * (smchan_wipe) when done. */
struct smchan_channel_cfg {
	char name[SMCHAN_NAME_SIZE];
	unsigned int present;		/* SMCHAN_CFG_* */
	uint8_t mode;			/* enum smchan_mode */
	uint8_t suite;			/* enum smchan_suite */
	uint8_t group_size;		/* 2..32 */
	uint8_t auto_establish;		/* 0 or 1 */
	uint32_t rekey_limit;		/* 0: none */
	uint32_t timeout_ms;
	uint8_t mkey[32];
	size_t mkey_len;		/* 16 or 32 */
	char keyring[SMCHAN_KEYRING_MAX]; /* "smchan:card0" */
	char reader[SMCHAN_READER_MAX];
};

/* Which fields of struct smchan_channel_info the kernel sent. */
enum {
	SMCHAN_INFO_MODE	= 1 << 0,
	SMCHAN_INFO_SUITE	= 1 << 1,
	SMCHAN_INFO_GROUP_SIZE	= 1 << 2,
	SMCHAN_INFO_REKEY_LIMIT	= 1 << 3,
	SMCHAN_INFO_TIMEOUT_MS	= 1 << 4,
	SMCHAN_INFO_AUTO_ESTABLISH = 1 << 5,
	SMCHAN_INFO_KEY_SOURCE	= 1 << 6,
	SMCHAN_INFO_KEYRING	= 1 << 7,
	SMCHAN_INFO_READER	= 1 << 8,
	SMCHAN_INFO_STATE	= 1 << 9,
	SMCHAN_INFO_N		= 1 << 10,
	SMCHAN_INFO_TRANSPORT	= 1 << 11,
	SMCHAN_INFO_STATS	= 1 << 12,
	SMCHAN_INFO_MKEY	= 1 << 13,	/* must never happen */
	SMCHAN_INFO_ERROR	= 1 << 14,	/* error */
	SMCHAN_INFO_CARD_PRESENT = 1 << 15,	/* card_present */
	SMCHAN_INFO_ATR		= 1 << 16,	/* atr, atr_len */
};

struct smchan_stats {
	uint64_t commands, sm_failures, sessions, reinits;
};

/* A channel as CHANNEL_GET and the dump describe it. */
struct smchan_channel_info {
	char name[SMCHAN_NAME_SIZE];
	unsigned int present;		/* SMCHAN_INFO_* */
	uint8_t mode, suite, group_size, auto_establish;
	uint32_t rekey_limit, timeout_ms;
	uint8_t key_source;		/* enum smchan_key_source */
	char keyring[SMCHAN_KEYRING_MAX];
	char reader[SMCHAN_READER_MAX];
	bool weak;			/* SMCHAN_A_WEAK was there */
	uint8_t state;			/* enum smchan_state */
	uint64_t n;
	uint8_t transport;		/* 1: a transport is bound */
	struct smchan_stats stats;
	uint32_t error;			/* state failed: why the last session
					 * start failed (positive errno) */
	uint8_t card_present;		/* 1: the transport reports a card */
	uint8_t atr[SMCHAN_ATR_MAX];	/* its ATR, as the transport saw it */
	size_t atr_len;			/* 2..SMCHAN_ATR_MAX with _INFO_ATR */
};

/* info may be NULL; otherwise it receives the kernel's reply. */
int smchan_channel_new(struct smchan_nl *h, const struct smchan_channel_cfg *cfg,
		       struct smchan_channel_info *info);
int smchan_channel_set(struct smchan_nl *h, const struct smchan_channel_cfg *cfg,
		       struct smchan_channel_info *info);
int smchan_channel_del(struct smchan_nl *h, const char *name);
int smchan_channel_get(struct smchan_nl *h, const char *name,
		       struct smchan_channel_info *info);
/* Calls fn for every channel of a consistent dump; a non-zero return
 * from fn stops the walk and is returned.  The whole dump is read before
 * fn sees any of it: one the kernel flags as interrupted (channels were
 * added or deleted meanwhile, NLM_F_DUMP_INTR) is taken again, up to 8
 * times, then -EINTR. */
typedef int (*smchan_channel_fn)(const struct smchan_channel_info *info, void *arg);
int smchan_channel_dump(struct smchan_nl *h, smchan_channel_fn fn, void *arg);

/* --- Sessions ---------------------------------------------------------- */

/*
 * Establishes a session and waits for the outcome: 0 once it is up, or the
 * negative errno of the failure (-ENOENT, -ENODEV, -EPIPE, -ENOKEY at once;
 * later, from SESSION_FAILED, e.g. -ETIMEDOUT, -EKEYREJECTED).  The kernel
 * starts a session asynchronously: its reply carries a request id and the
 * outcome comes as a SESSION_UP or SESSION_FAILED event with that id; this
 * function joins the "events" group on a socket of its own before it
 * sends, so it cannot miss the event, and waits at most the channel's
 * timeout_ms * 4 + 2 s (-ETIMEDOUT after that; the start may still
 * complete).  A kernel that answers with a bare ACK (the synchronous one)
 * gets the ACK's result.
 */
int smchan_session_start(struct smchan_nl *h, const char *name);
int smchan_session_stop(struct smchan_nl *h, const char *name);

/* --- Transport relay --------------------------------------------------- */

int smchan_transport_bind(struct smchan_nl *h, const char *name);
int smchan_transport_unbind(struct smchan_nl *h, const char *name);
int smchan_card_status(struct smchan_nl *h, const char *name, bool present);
/* The same with the present card's ATR (atr_len 2..SMCHAN_ATR_MAX; or
 * NULL, 0), which get and dump then report: -EINVAL for another length or
 * an ATR with present false, and nothing is sent. */
int smchan_card_status_atr(struct smchan_nl *h, const char *name, bool present,
			   const uint8_t *atr, size_t atr_len);

/* One SMCHAN_CMD_TRANSMIT from the kernel.  apdu is valid during the
 * handler call only. */
struct smchan_transmit {
	char channel[SMCHAN_NAME_SIZE];
	uint64_t request_id;
	const uint8_t *apdu;
	size_t apdu_len;
	/* SMCHAN_A_TIMEOUT_MS: how long the kernel waits for this answer
	 * from when it sent it; 0 if the kernel did not say. */
	uint32_t timeout_ms;
	/* CLOCK_MONOTONIC milliseconds no later than the kernel's sending:
	 * the last time this handle saw its socket empty before it read the
	 * request.  The request's deadline is at the earliest
	 * queued_ms + timeout_ms: the deadline_ms below (0: no timeout_ms). */
	int64_t queued_ms;
	int64_t deadline_ms;
};

/* The largest answer TRANSMIT_DONE can carry: SMCHAN_NL_DATA_MAX.  Longer
 * ones are refused with -EMSGSIZE (nothing is sent: answer the request
 * with smchan_transport_error(EMSGSIZE) then). */

/* Answers a TRANSMIT (from the handle that is bound, as the kernel
 * requires): rsp is the card's whole answer including SW1 SW2. */
int smchan_transport_reply(struct smchan_nl *h, const char *channel,
			   uint64_t request_id, const uint8_t *rsp, size_t len);
/* Answers it with a positive errno (ETIMEDOUT, ENXIO...). */
int smchan_transport_error(struct smchan_nl *h, const char *channel,
			   uint64_t request_id, uint32_t err);

/*
 * A TRANSMIT that cannot be parsed is never handed to the callback.  If
 * its channel and request id can be read, the library answers it with
 * EMSGSIZE (an attribute runs past the end of the message) or EPROTO
 * (anything else); otherwise it can only be dropped (the kernel times it
 * out).  This counts the requests dropped or answered so, since the
 * handle was opened.
 */
struct smchan_bad_requests {
	unsigned long answered;		/* with EPROTO or EMSGSIZE */
	unsigned long dropped;		/* no channel or id; or no memory */
};
void smchan_transport_bad_requests(const struct smchan_nl *h,
				   struct smchan_bad_requests *out);

/* Waits up to timeout_ms (-1: forever, 0: don't wait) for TRANSMIT
 * requests and calls fn for each; fn answers them (now or later) with
 * smchan_transport_reply/error.  A non-zero return from fn stops and is
 * returned.  Returns the number of requests handled (0 on timeout), or a
 * negative error.  Requests that arrive while a reply waits for its ACK
 * are kept and handed out by the next call. */
typedef int (*smchan_transmit_fn)(struct smchan_nl *h,
				  const struct smchan_transmit *req, void *arg);
int smchan_transport_poll(struct smchan_nl *h, int timeout_ms,
			  smchan_transmit_fn fn, void *arg);

/* --- Events ------------------------------------------------------------ */

/* The family's life, as nlctrl's "notify" group tells it. */
enum {
	SMCHAN_FAMILY_SAME = 0,		/* an event of the family */
	SMCHAN_FAMILY_GONE,		/* unregistered: the module unloaded */
	SMCHAN_FAMILY_BACK,		/* registered again: the handle follows
					 * its new id and "events" group */
};

struct smchan_event_msg {
	char channel[SMCHAN_NAME_SIZE];
	uint8_t event;			/* enum smchan_event; 0 with family */
	bool has_end_reason;
	uint8_t end_reason;		/* enum smchan_end_reason */
	bool has_request_id;
	uint64_t request_id;		/* SESSION_UP/FAILED of a start */
	bool has_error;
	uint32_t error;			/* SESSION_FAILED: positive errno */
	uint8_t family;			/* SMCHAN_FAMILY_* */
};

/* On a handle from smchan_events_open(): waits up to timeout_ms (-1:
 * forever) and calls fn for every event received.  Returns the number of
 * events (0 on timeout) or a negative error (-ENOBUFS: events were lost
 * because the socket overflowed: list the channels again).
 * smchan_events_open() also joins nlctrl's "notify" group: when the module
 * is unloaded fn sees family SMCHAN_FAMILY_GONE, and when it is loaded
 * again the handle re-resolves the family, joins its new "events" group
 * and fn sees SMCHAN_FAMILY_BACK (other handles: smchan_nl_reresolve). */
typedef int (*smchan_event_fn)(const struct smchan_event_msg *ev, void *arg);
int smchan_events_recv(struct smchan_nl *h, int timeout_ms,
		       smchan_event_fn fn, void *arg);

/* --- APDUs ------------------------------------------------------------- */

/* The CLA of a GET RESPONSE that fetches the rest of an answer to a
 * command of class cla (ISO/IEC 7816-4 5.4.1): plain, interindustry, on
 * the command's logical channel (0..3: 0x00..0x03, 4..19: 0x40..0x4F). */
uint8_t smchan_get_response_cla(uint8_t cla);

/* --- Names ------------------------------------------------------------- */

/* "ratchet", "aes256", "established", "session-down", "card-removed",
 * "keyring"...; "?" for an unknown value. */
const char *smchan_mode_name(unsigned int v);
const char *smchan_suite_name(unsigned int v);
const char *smchan_state_name(unsigned int v);
const char *smchan_event_name(unsigned int v);
const char *smchan_end_reason_name(unsigned int v);
const char *smchan_key_source_name(unsigned int v);
/* The reverse for modes and suites: 0 if unknown. */
unsigned int smchan_mode_parse(const char *s);
unsigned int smchan_suite_parse(const char *s);

/* --- Keys -------------------------------------------------------------- */

/* Reads a master key file: 32 or 64 hex digits (AES-128 or AES-256),
 * white space around them ignored, nothing else.  "-" reads standard
 * input.  On success key[0..*len) holds the key; every intermediate
 * buffer is wiped.  Returns 0, -EINVAL for a malformed file, or -errno. */
int smchan_read_key_file(const char *path, uint8_t key[32], size_t *len);
/* The same over a buffer. */
int smchan_parse_key_hex(const char *text, size_t text_len, uint8_t key[32],
			 size_t *len);
/* explicit_bzero. */
void smchan_wipe(void *p, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SMCHAN_LIB_SMCHAN_H */
