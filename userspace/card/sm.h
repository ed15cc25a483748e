/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Card side of secure messaging (PROTOCOL.md sections 3 to 5): the session
 * state, the four key-update modes, unwrapping protected commands (checks
 * 2 to 6) and protecting responses.
 *
 * Call order for one protected command:
 *   vc_sm_unwrap()   checks 2-6, gives the plain command and the selector;
 *   (the application executes it)
 *   vc_sm_wrap()     builds the protected response with K_n;
 *   vc_sm_advance()  moves to K_{n+1} and computes the next key ahead.
 * Any failure: vc_sm_end(), which wipes every key.
 */
#ifndef SMCHAN_CARD_SM_H
#define SMCHAN_CARD_SM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apdu.h"
#include "crypto.h"

enum vc_mode { VC_XOR = 1, VC_LIST = 2, VC_OPKEY = 3, VC_RATCHET = 4 };
#define VC_MAX_GROUP 32
#define VC_MAX_R 65503		/* largest D' or R */

/*
 * What a card keeps between pairs.  xor/ratchet: K_n and K_{n+1} (one step
 * ahead; K_{n-1} is already wiped).  list: the group and K_n.  opkey: the
 * group, K_n and s_{n-1}.
 */
struct vc_session {
	bool active;
	uint8_t mode;		/* enum vc_mode */
	size_t klen;		/* 16 or 32 */
	uint64_t n;		/* number of the next SM command */
	uint8_t k_n[VC_MAX_KEY];
	uint8_t k_next[VC_MAX_KEY];	/* xor/ratchet; list/opkey: candidate */
	uint8_t group[VC_MAX_GROUP][VC_MAX_KEY];
	unsigned int N;
	int prev_sel;		/* opkey: s_{n-1}, -1 before command 2 */
	int sel;		/* selector of the command being processed */
};

const char *vc_mode_name(uint8_t mode);

/*
 * Installs the keys of a decrypted, unpadded key block (section 6.3) and
 * sets n = 1.  Returns 0, or -1 for a malformed key block (6A80).
 */
int vc_sm_install(struct vc_session *s, uint8_t mode, size_t klen,
		  const uint8_t *kb, size_t kb_len);
void vc_sm_end(struct vc_session *s);

/*
 * Checks 2 to 6 of section 4 on a protected command (the caller did check 1).
 * On success returns 0, fills *inner (CLA without SM bits, the data without
 * the selector, pointing into dbuf, Ne from DO97) and, in list/opkey, the
 * candidate K_{n+1}.  Otherwise returns the status word to answer.
 */
uint16_t vc_sm_unwrap(struct vc_session *s, const struct vc_apdu *outer,
		      struct vc_apdu *inner, uint8_t *dbuf);

/* list/opkey: computes the candidate K_{n+1} for selector sel (check 6);
 * -1 if sel >= N or the key would be all zeros. */
int vc_sm_select(struct vc_session *s, unsigned int sel);

/*
 * The well-formed body of sections 4 and 5: one-byte tags in the order of
 * tags[] (87 97 8E for a command, 87 99 8E for a response), each at most
 * once, shortest-form lengths, the value sizes of section 4, nothing else.
 * Absent DOs have tlv == NULL.  Returns 0 or -1.
 */
struct vc_do {
	const uint8_t *tlv, *v;	/* the whole DO; its value */
	size_t tlv_len, vlen;
};
int vc_sm_parse_body(const uint8_t *b, size_t len, const uint8_t tags[3],
		     struct vc_do dos[3]);

/* Builds DO87 || DO99 || DO8E for response n into out; returns its length,
 * 0 on an internal error. */
size_t vc_sm_wrap(struct vc_session *s, const uint8_t *r, size_t rlen,
		  uint16_t sw, uint8_t *out);

/* After response n is built: K_{n+1} becomes current.  Returns -1 (and ends
 * the session) if a computed key is all zeros or the KDF failed. */
int vc_sm_advance(struct vc_session *s);

/* ISO/IEC 9797-1 method 2; pad() returns the padded length. */
size_t vc_pad(uint8_t *buf, size_t len);
/* BER length in its shortest form at p; returns its size (1 to 3). */
size_t vc_put_len(uint8_t *p, size_t len);
int vc_unpad(const uint8_t *buf, size_t len, size_t *out_len);
/* B(d, n) */
void vc_counter_block(uint8_t b[VC_BLOCK], uint8_t d, uint64_t n);

#endif
