/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The card's cryptographic primitives: AES, AES-CBC without padding,
 * AES-CMAC (RFC 4493) and the NIST SP 800-108 counter-mode KDF over CMAC
 * (PROTOCOL.md section 2).  Everything else in the card library goes through
 * these few functions, so a port to a card's crypto coprocessor changes this
 * file only.  Keys are 16 (AES-128) or 32 (AES-256) bytes.
 *
 * All functions return 0 on success and -1 on an internal error; on error
 * the output is zeroed, so the caller never uses a half-computed value.
 */
#ifndef SMCHAN_CARD_CRYPTO_H
#define SMCHAN_CARD_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define VC_BLOCK 16
#define VC_MAX_KEY 32

int vc_aes(const uint8_t *key, size_t klen, const uint8_t in[VC_BLOCK],
	   uint8_t out[VC_BLOCK]);
/* len must be a multiple of 16; in and out may be the same buffer. */
int vc_cbc_encrypt(const uint8_t *key, size_t klen, const uint8_t iv[VC_BLOCK],
		   const uint8_t *in, size_t len, uint8_t *out);
int vc_cbc_decrypt(const uint8_t *key, size_t klen, const uint8_t iv[VC_BLOCK],
		   const uint8_t *in, size_t len, uint8_t *out);

/* CMAC over the concatenation of up to 8 (pointer, length) parts. */
struct vc_part {
	const uint8_t *p;
	size_t len;
};
int vc_cmac(const uint8_t *key, size_t klen, const struct vc_part *parts,
	    size_t nparts, uint8_t mac[VC_BLOCK]);

/* KDF(K, label, context, L) of PROTOCOL.md section 2; L <= 255 * 16. */
int vc_kdf(const uint8_t *key, size_t klen, const uint8_t *label,
	   size_t label_len, const uint8_t *ctx, size_t ctx_len,
	   uint8_t *out, size_t L);

/* ENC(X) and MAC(X): |X|-byte subkeys. */
int vc_subkey_enc(const uint8_t *x, size_t klen, uint8_t *out);
int vc_subkey_mac(const uint8_t *x, size_t klen, uint8_t *out);

/* Constant-time comparison: 0 when equal. */
int vc_memneq(const void *a, const void *b, size_t len);
/* Wipe a secret so that the compiler cannot drop the store. */
void vc_wipe(void *p, size_t len);
/* 1 if every byte is zero (constant time in len). */
int vc_is_zero(const uint8_t *p, size_t len);

#endif
