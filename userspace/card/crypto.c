// SPDX-License-Identifier: GPL-2.0
/*
 * Crypto primitives of the reference card, on OpenSSL 3 libcrypto
 * (EVP for AES-ECB/CBC, EVP_MAC for CMAC).  The KDF is written over CMAC
 * here rather than taken from OpenSSL's KBKDF, so that a port to a card
 * that only has AES and CMAC can copy it; the vector tests check it against
 * shared/vectors/kdf.txt.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto.h"

static const EVP_CIPHER *cipher(const char *mode, size_t klen)
{
	if (klen == 16)
		return strcmp(mode, "ecb") ? EVP_aes_128_cbc() : EVP_aes_128_ecb();
	if (klen == 32)
		return strcmp(mode, "ecb") ? EVP_aes_256_cbc() : EVP_aes_256_ecb();
	return NULL;
}

static int run_cipher(const EVP_CIPHER *c, int enc, const uint8_t *key,
		      const uint8_t *iv, const uint8_t *in, size_t len,
		      uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	int outl = 0, finl = 0, ok;

	if (!c || len % VC_BLOCK || len > (size_t)(1 << 30))
		goto fail;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		goto fail;
	ok = EVP_CipherInit_ex(ctx, c, NULL, key, iv, enc) &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	     EVP_CipherUpdate(ctx, out, &outl, in, (int)len) &&
	     EVP_CipherFinal_ex(ctx, out + outl, &finl);
	EVP_CIPHER_CTX_free(ctx);	/* cleanses the key schedule */
	if (ok && (size_t)(outl + finl) == len)
		return 0;
fail:
	vc_wipe(out, len);
	return -1;
}

int vc_aes(const uint8_t *key, size_t klen, const uint8_t in[VC_BLOCK],
	   uint8_t out[VC_BLOCK])
{
	return run_cipher(cipher("ecb", klen), 1, key, NULL, in, VC_BLOCK, out);
}

int vc_cbc_encrypt(const uint8_t *key, size_t klen, const uint8_t iv[VC_BLOCK],
		   const uint8_t *in, size_t len, uint8_t *out)
{
	return run_cipher(cipher("cbc", klen), 1, key, iv, in, len, out);
}

int vc_cbc_decrypt(const uint8_t *key, size_t klen, const uint8_t iv[VC_BLOCK],
		   const uint8_t *in, size_t len, uint8_t *out)
{
	return run_cipher(cipher("cbc", klen), 0, key, iv, in, len, out);
}

int vc_cmac(const uint8_t *key, size_t klen, const struct vc_part *parts,
	    size_t nparts, uint8_t mac[VC_BLOCK])
{
	EVP_MAC *m = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t i, outl = 0;
	int ok = 0;

	if (klen != 16 && klen != 32)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
		klen == 16 ? "AES-128-CBC" : "AES-256-CBC", 0);
	params[1] = OSSL_PARAM_construct_end();
	m = EVP_MAC_fetch(NULL, "CMAC", NULL);
	if (!m)
		goto out;
	ctx = EVP_MAC_CTX_new(m);
	if (!ctx || !EVP_MAC_init(ctx, key, klen, params))
		goto out;
	for (i = 0; i < nparts; i++)
		if (parts[i].len && !EVP_MAC_update(ctx, parts[i].p, parts[i].len))
			goto out;
	ok = EVP_MAC_final(ctx, mac, &outl, VC_BLOCK) && outl == VC_BLOCK;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
	if (!ok)
		vc_wipe(mac, VC_BLOCK);
	return ok ? 0 : -1;
}

int vc_kdf(const uint8_t *key, size_t klen, const uint8_t *label,
	   size_t label_len, const uint8_t *ctx, size_t ctx_len,
	   uint8_t *out, size_t L)
{
	uint8_t ctr[4], bits[4], zero = 0, block[VC_BLOCK];
	struct vc_part parts[5] = {
		{ ctr, 4 }, { label, label_len }, { &zero, 1 },
		{ ctx, ctx_len }, { bits, 4 },
	};
	uint32_t i, lbits = (uint32_t)L * 8;
	size_t done = 0, n;

	if (L > 255 * VC_BLOCK)
		goto fail;
	bits[0] = lbits >> 24;
	bits[1] = lbits >> 16;
	bits[2] = lbits >> 8;
	bits[3] = lbits;
	for (i = 1; done < L; i++) {
		ctr[0] = i >> 24;
		ctr[1] = i >> 16;
		ctr[2] = i >> 8;
		ctr[3] = i;
		if (vc_cmac(key, klen, parts, 5, block))
			goto fail;
		n = L - done < VC_BLOCK ? L - done : VC_BLOCK;
		memcpy(out + done, block, n);
		done += n;
	}
	vc_wipe(block, sizeof(block));
	return 0;
fail:
	vc_wipe(block, sizeof(block));
	vc_wipe(out, L);
	return -1;
}

int vc_subkey_enc(const uint8_t *x, size_t klen, uint8_t *out)
{
	return vc_kdf(x, klen, (const uint8_t *)"smchan-enc", 10, NULL, 0,
		      out, klen);
}

int vc_subkey_mac(const uint8_t *x, size_t klen, uint8_t *out)
{
	return vc_kdf(x, klen, (const uint8_t *)"smchan-mac", 10, NULL, 0,
		      out, klen);
}

int vc_memneq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) != 0;
}

void vc_wipe(void *p, size_t len)
{
	if (p && len)
		OPENSSL_cleanse(p, len);
}

int vc_is_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}
