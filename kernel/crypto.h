/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few cryptographic primitives smchan needs, behind one small interface
 * so that switching from the crypto API to lib/crypto later stays local:
 * AES-CBC without padding, AES-CMAC, one AES block, and the SP 800-108
 * counter-mode KDF over AES-CMAC (PROTOCOL.md section 2).
 *
 * Every function takes the key it uses; the transforms keep a key schedule
 * only until smchan_crypto_scrub() overwrites it.
 */
#ifndef _SMCHAN_CRYPTO_H
#define _SMCHAN_CRYPTO_H

#include <linux/types.h>
#include <linux/uio.h>

#define SMCHAN_BLOCK		16
#define SMCHAN_KEY_MAX		32

struct crypto_shash;
struct crypto_sync_skcipher;

/**
 * struct smchan_crypto - transforms of one session, used by one thread at a time
 * @cmac: "cmac(aes)"
 * @cbc: "cbc(aes)"
 * @blk: one block of scratch that can sit in a scatterlist
 */
struct smchan_crypto {
	struct crypto_shash *cmac;
	struct crypto_sync_skcipher *cbc;
	u8 *blk;
};

int smchan_crypto_init(struct smchan_crypto *c);
void smchan_crypto_free(struct smchan_crypto *c);
int smchan_crypto_scrub(struct smchan_crypto *c);

int __must_check smchan_crypto_cmac(struct smchan_crypto *c, const u8 *key,
				    size_t klen, const struct kvec *msg,
				    unsigned int nmsg, u8 mac[SMCHAN_BLOCK]);
int __must_check smchan_crypto_aes(struct smchan_crypto *c, const u8 *key,
				   size_t klen, const u8 in[SMCHAN_BLOCK],
				   u8 out[SMCHAN_BLOCK]);
int __must_check smchan_crypto_cbc(struct smchan_crypto *c, bool encrypt,
				   const u8 *key, size_t klen,
				   const u8 iv[SMCHAN_BLOCK], u8 *buf,
				   size_t len);
int __must_check smchan_crypto_kdf(struct smchan_crypto *c, const u8 *key,
				   size_t klen, const char *label,
				   const struct kvec *context,
				   unsigned int ncontext, u8 *out, size_t olen);

#endif /* _SMCHAN_CRYPTO_H */
