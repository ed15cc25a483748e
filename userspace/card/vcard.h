/* SPDX-License-Identifier: GPL-2.0 */
/*
 * smchan reference card: the card side of PROTOCOL.md and a small ISO/IEC
 * 7816-4 file system, with no I/O.  A front-end (vpcd, a test) feeds it
 * command APDUs and sends back what it answers.
 *
 * Call order:
 *   vcard_new()        from an image (see smchan-vcard(1), IMAGE FORMAT);
 *   vcard_set_commit() so that writes reach the disk before they are
 *                      answered (without it they stay in memory);
 *   vcard_process()    for every command APDU;
 *   vcard_reset()      on power off, power on and warm reset;
 *   vcard_free()       wipes every key.
 */
#ifndef SMCHAN_CARD_VCARD_H
#define SMCHAN_CARD_VCARD_H

#include <stddef.h>
#include <stdint.h>

/* The largest response vcard_process() writes (65503 bytes of R under SM). */
#define VCARD_RSP_MAX 65540

struct vcard;

/* Fills buf with len random bytes; returns 0 on success. */
typedef int (*vcard_rng_fn)(void *ctx, uint8_t *buf, size_t len);
/* Makes the serialized image durable (atomically); returns 0 on success. */
typedef int (*vcard_commit_fn)(void *ctx, const uint8_t *img, size_t len);

struct vcard *vcard_new(const uint8_t *img, size_t len);
void vcard_free(struct vcard *c);
void vcard_set_commit(struct vcard *c, vcard_commit_fn fn, void *ctx);
/* Default: OpenSSL RAND_bytes.  Tests inject RC with this. */
void vcard_set_rng(struct vcard *c, vcard_rng_fn fn, void *ctx);

/* Processes one command APDU, writes the response (data || SW1 SW2) to rsp
 * (VCARD_RSP_MAX bytes) and returns its length (at least 2). */
size_t vcard_process(struct vcard *c, const uint8_t *apdu, size_t len,
		     uint8_t *rsp);

/* Card reset or power loss: ends the session, forgets RC and any pending
 * response, selects the MF. */
void vcard_reset(struct vcard *c);

/* What the last vcard_process() did, for the log (never a key). */
struct vcard_event {
	uint8_t ins;
	uint16_t sw;		/* outer status word */
	uint16_t inner_sw;	/* the protected status word, 0 if none */
	const char *mode;	/* "plain"; under SM the session's mode, or
				 * "none" without a session */
	uint64_t sm_n;		/* under SM in a session: the command's n */
	/* Demonstrations only (vcard_set_demo): the first 4 bytes of
	 * SHA-256(K_n), to show that the key changed; has_key_fp says it
	 * is there. */
	uint8_t key_fp[4];
	int has_key_fp;
};
const struct vcard_event *vcard_last_event(const struct vcard *c);
/* For demonstrations only, off by default: fill in key_fp.  A fingerprint
 * of a session key must not leave a real card. */
void vcard_set_demo(struct vcard *c, int on);

/* Creates an image with the default file layout and this MKEY (16 or 32
 * bytes); the caller frees *img after wiping it. */
int vcard_create_image(const uint8_t *mkey, size_t klen, uint8_t **img,
		       size_t *len);

/* Test seams: the session state, read-only. */
struct vc_session;
const struct vc_session *vcard_session(const struct vcard *c);
struct vc_fs;
const struct vc_fs *vcard_fs(const struct vcard *c);

#endif
