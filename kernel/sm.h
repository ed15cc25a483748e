/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The smchan secure-messaging engine: PROTOCOL.md sections 2 to 7.
 *
 * One struct smchan_sm is one SM session (established or not) between a
 * terminal and a card. The engine is role-symmetric: the terminal calls
 *
 *	smchan_init_prepare()             fresh RT and session keys
 *	smchan_init_command()             GET CHALLENGE answer -> INITIALIZE SESSION
 *	smchan_init_complete()            check CC, install the keys: n = 1
 *	then, per command n:
 *	smchan_sm_draw_selector()         (list, opkey) s_n
 *	smchan_sm_protect_command()       plain APDU -> protected APDU
 *	smchan_sm_unprotect_response()    protected response -> R || SW, K_{n+1}
 *
 * and a card calls smchan_card_init_session(), smchan_sm_unprotect_command()
 * and smchan_sm_protect_response(). Both sides share the code that builds and
 * parses the data objects and the key update, so the KUnit card model talks
 * to the terminal with exactly the rules a real card must follow.
 *
 * Threat model: the card reader, the transport helper and everything on the
 * wire are untrusted; keys exist only in the kernel. Every function that
 * fails a check ends the session and wipes its keys (fail closed), except
 * where its kernel-doc says the session goes on (the terminal's refusals of
 * a command it never sent). Keys are computed one step ahead so that between
 * pairs only keys that have protected nothing yet are held.
 *
 * Locking: none inside. A struct smchan_sm is used by one thread at a time;
 * its owner (the channel) serialises calls.
 */
#ifndef _SMCHAN_SM_H
#define _SMCHAN_SM_H

#include <linux/types.h>
#include <uapi/linux/smchan.h>

#include "apdu.h"
#include "crypto.h"

#define SMCHAN_CHALLENGE_LEN	16
#define SMCHAN_GROUP_MIN	2
#define SMCHAN_GROUP_MAX	32
#define SMCHAN_DPRIME_MAX	65503
/* Largest protected APDU: DO87 over 65504 bytes, DO97 02, DO8E, extended. */
#define SMCHAN_PROT_APDU_MAX	(4 + 3 + (4 + 1 + 65504) + 4 + 10 + 2)
/* Largest protected response: DO87 over 65504 bytes, DO99, DO8E, 90 00. */
#define SMCHAN_PROT_RSP_MAX	((4 + 1 + 65504) + 4 + 10 + 2)
/* Largest INITIALIZE SESSION: RT || pad(1 + 32 * 32) || TT, extended. */
#define SMCHAN_INIT_APDU_MAX	(4 + 3 + 16 + 1040 + 16 + 2)

/* Status words the protocol itself uses (ISO/IEC 7816-4). */
#define SMCHAN_SW_OK			0x9000
#define SMCHAN_SW_WRONG_LENGTH		0x6700
#define SMCHAN_SW_NO_CHALLENGE		0x6985
#define SMCHAN_SW_SM_MISSING		0x6987
#define SMCHAN_SW_SM_INCORRECT		0x6988
#define SMCHAN_SW_WRONG_DATA		0x6a80
#define SMCHAN_SW_WRONG_P1P2		0x6a86
#define SMCHAN_SW_INS_UNSUPPORTED	0x6d00
#define SMCHAN_SW_CLA_UNSUPPORTED	0x6e00

/**
 * struct smchan_sm - one secure-messaging session, either role
 * @crypto: transforms, keyed per call
 * @established: keys are installed and commands may be protected
 * @pending: (terminal) command n was protected, its response is awaited;
 *	(card) command n was accepted, its response is to be built
 * @mode: key-update mode
 * @klen: key length in bytes, 16 or 32
 * @group_n: N, the group size (list, opkey); 2 in xor and ratchet
 * @n: number of the current command, 1 after initialisation
 * @rekey_limit: the session ends after pair @rekey_limit; 0: no limit
 * @s_cur: selector of command n (list, opkey)
 * @s_prev: selector of command n - 1 (opkey)
 * @end_reason: why the last session ended
 * @k: K_n
 * @k_next: K_{n+1}, computed one step ahead (xor, ratchet)
 * @enc: ENC(K_n), derived for pair n and wiped after it
 * @mac: MAC(K_n), likewise
 * @group: the key group G or E (list, opkey): @group_n keys of @klen bytes,
 *	allocated when such a session is installed and freed with
 *	kfree_sensitive() when it ends; NULL in xor and ratchet and without
 *	a session
 * @fail_group_alloc: (KUnit only) the next allocation of @group fails
 */
struct smchan_sm {
	struct smchan_crypto crypto;
	bool established;
	bool pending;
	enum smchan_mode mode;
	unsigned int klen;
	unsigned int group_n;
	u64 n;
	u64 rekey_limit;
	u8 s_cur;
	u8 s_prev;
	enum smchan_end_reason end_reason;
	u8 k[SMCHAN_KEY_MAX];
	u8 k_next[SMCHAN_KEY_MAX];
	u8 enc[SMCHAN_KEY_MAX];
	u8 mac[SMCHAN_KEY_MAX];
	u8 *group;
#if IS_ENABLED(CONFIG_KUNIT)
	bool fail_group_alloc;
#endif
};

/**
 * struct smchan_init - a terminal's session initialisation in progress
 * @mode: key-update mode (P1)
 * @klen: key length, 16 or 32 (P2 = 1 or 2)
 * @group_n: N, the number of keys in the key block
 * @rc: the card's challenge
 * @rt: the terminal's random
 * @kb: the key block [N]_8 || key_1 || ... || key_N, padded
 * @kb_len: length of the padded key block
 *
 * Secret: wiped by smchan_init_complete() and smchan_init_wipe().
 */
struct smchan_init {
	enum smchan_mode mode;
	unsigned int klen;
	unsigned int group_n;
	u8 rc[SMCHAN_CHALLENGE_LEN];
	u8 rt[SMCHAN_CHALLENGE_LEN];
	u8 kb[1 + SMCHAN_GROUP_MAX * SMCHAN_KEY_MAX + SMCHAN_BLOCK];
	size_t kb_len;
};

extern const u8 smchan_get_challenge[5];

const char *smchan_mode_name(enum smchan_mode mode);
bool smchan_mode_weak(enum smchan_mode mode);

struct smchan_sm *smchan_sm_alloc(void);
void smchan_sm_free(struct smchan_sm *sm);
void smchan_sm_end(struct smchan_sm *sm, enum smchan_end_reason why);

/* Terminal: session initialisation (section 6). */
int smchan_init_prepare(struct smchan_init *ini, enum smchan_mode mode,
			unsigned int klen, unsigned int group_n);
int smchan_init_load(struct smchan_init *ini, enum smchan_mode mode,
		     unsigned int klen, unsigned int group_n,
		     const u8 rt[SMCHAN_CHALLENGE_LEN], const u8 *keys);
int smchan_init_command(struct smchan_sm *sm, struct smchan_init *ini,
			const u8 *mkey, size_t mkey_len, const u8 *challenge,
			size_t challenge_len, u8 *out, size_t size);
int smchan_init_complete(struct smchan_sm *sm, struct smchan_init *ini,
			 const u8 *rsp, size_t len);
void smchan_init_wipe(struct smchan_init *ini);

/* Terminal: one command/response pair (sections 4 and 5). */
int smchan_sm_draw_selector(struct smchan_sm *sm, u8 *selector);
int smchan_sm_protect_command(struct smchan_sm *sm,
			      const struct smchan_apdu *plain, u8 selector,
			      u8 *out, size_t size);
int smchan_sm_unprotect_response(struct smchan_sm *sm, const u8 *rsp,
				 size_t len, u8 *out, size_t size);

/* Card: the same, seen from the other side. */
int smchan_card_init_session(struct smchan_sm *sm, const u8 *mkey,
			     size_t mkey_len, const u8 *rc,
			     const struct smchan_apdu *cmd,
			     u8 cc[SMCHAN_BLOCK]);
int smchan_sm_unprotect_command(struct smchan_sm *sm,
				const struct smchan_apdu *prot,
				struct smchan_apdu *plain, u8 *data,
				size_t size);
int smchan_sm_protect_response(struct smchan_sm *sm, const u8 *r,
			       size_t rlen, u16 sw, u32 ne, u8 *out,
			       size_t size);

/* Either side: the key update and the all-zero-key rule (section 3). */
bool smchan_sm_selector_ok(struct smchan_sm *sm, unsigned int selector);

/* Transport: reassembly of a response chained with 61 xx (section 5). */
struct smchan_chain {
	u8 *buf;
	size_t len;
	size_t size;
};

int smchan_chain_feed(struct smchan_chain *ch, const u8 *piece, size_t len,
		      u8 get_response[5]);

#endif /* _SMCHAN_SM_H */
