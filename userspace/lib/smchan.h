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

#define SMCHAN_KEYRING_MAX 256
#define SMCHAN_READER_MAX 256

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
};

/* info may be NULL; otherwise it receives the kernel's reply. */
int smchan_channel_new(struct smchan_nl *h, const struct smchan_channel_cfg *cfg,
		       struct smchan_channel_info *info);
int smchan_channel_set(struct smchan_nl *h, const struct smchan_channel_cfg *cfg,
		       struct smchan_channel_info *info);
int smchan_channel_del(struct smchan_nl *h, const char *name);
int smchan_channel_get(struct smchan_nl *h, const char *name,
		       struct smchan_channel_info *info);
/* Calls fn for every channel; a non-zero return from fn stops the walk
 * (the rest of the dump is read and dropped) and is returned. */
typedef int (*smchan_channel_fn)(const struct smchan_channel_info *info, void *arg);
int smchan_channel_dump(struct smchan_nl *h, smchan_channel_fn fn, void *arg);

/* --- Sessions ---------------------------------------------------------- */

int smchan_session_start(struct smchan_nl *h, const char *name);
int smchan_session_stop(struct smchan_nl *h, const char *name);

/* --- Transport relay --------------------------------------------------- */

int smchan_transport_bind(struct smchan_nl *h, const char *name);
int smchan_transport_unbind(struct smchan_nl *h, const char *name);
int smchan_card_status(struct smchan_nl *h, const char *name, bool present);

/* One SMCHAN_CMD_TRANSMIT from the kernel.  apdu is valid during the
 * handler call only. */
struct smchan_transmit {
	char channel[SMCHAN_NAME_SIZE];
	uint64_t request_id;
	const uint8_t *apdu;
	size_t apdu_len;
};

/* Answers a TRANSMIT (from the handle that is bound, as the kernel
 * requires): rsp is the card's whole answer including SW1 SW2. */
int smchan_transport_reply(struct smchan_nl *h, const char *channel,
			   uint64_t request_id, const uint8_t *rsp, size_t len);
/* Answers it with a positive errno (ETIMEDOUT, ENXIO...). */
int smchan_transport_error(struct smchan_nl *h, const char *channel,
			   uint64_t request_id, uint32_t err);

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

struct smchan_event_msg {
	char channel[SMCHAN_NAME_SIZE];
	uint8_t event;			/* enum smchan_event */
	bool has_end_reason;
	uint8_t end_reason;		/* enum smchan_end_reason */
};

/* On a handle from smchan_events_open(): waits up to timeout_ms (-1:
 * forever) and calls fn for every event received.  Returns the number of
 * events (0 on timeout) or a negative error (-ENOBUFS: events were lost
 * because the socket overflowed). */
typedef int (*smchan_event_fn)(const struct smchan_event_msg *ev, void *arg);
int smchan_events_recv(struct smchan_nl *h, int timeout_ms,
		       smchan_event_fn fn, void *arg);

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
