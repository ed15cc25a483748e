// SPDX-License-Identifier: GPL-2.0
/*
 * smchan's cryptographic primitives over the kernel crypto API:
 * "cmac(aes)" (also the PRF of crypto_kdf108_ctr_generate()) and
 * "cbc(aes)" (also one AES block, as CBC of one block under a zero IV).
 *
 * The transforms are keyed on every call, so they hold the schedule of the
 * last key used until smchan_crypto_scrub() replaces it with a schedule of
 * the all-zero key; crypto_free_*() frees their contexts with
 * kfree_sensitive(). Every stack copy of a key, an IV or a hash state is
 * wiped before return, and outputs are wiped on error.
 */

#include <crypto/hash.h>
#include <crypto/kdf_sp800108.h>
#include <crypto/skcipher.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "crypto.h"

static const u8 zero_block[SMCHAN_BLOCK];
static const u8 zero_key[SMCHAN_KEY_MAX];

/**
 * smchan_crypto_init() - allocate the transforms of one session
 * @c: zeroed on entry
 *
 * Context: process context, may sleep.
 * Return: 0, -ENOMEM, or the crypto API's error when an algorithm is missing
 * (-ENOENT); on error nothing is left allocated.
 */
int smchan_crypto_init(struct smchan_crypto *c)
{
	int ret;

	c->cmac = crypto_alloc_shash("cmac(aes)", 0, 0);
	if (IS_ERR(c->cmac)) {
		ret = PTR_ERR(c->cmac);
		c->cmac = NULL;
		return ret;
	}
	c->cbc = crypto_alloc_sync_skcipher("cbc(aes)", 0, 0);
	if (IS_ERR(c->cbc)) {
		ret = PTR_ERR(c->cbc);
		c->cbc = NULL;
		goto err_free_cmac;
	}
	c->blk = kzalloc(SMCHAN_BLOCK, GFP_KERNEL);
	if (!c->blk) {
		ret = -ENOMEM;
		goto err_free_cbc;
	}
	return 0;

err_free_cbc:
	crypto_free_sync_skcipher(c->cbc);
	c->cbc = NULL;
err_free_cmac:
	crypto_free_shash(c->cmac);
	c->cmac = NULL;
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_crypto_init);

/**
 * smchan_crypto_free() - free the transforms; their key schedules are wiped
 * @c: initialised, or zeroed
 */
void smchan_crypto_free(struct smchan_crypto *c)
{
	crypto_free_shash(c->cmac);
	crypto_free_sync_skcipher(c->cbc);
	kfree_sensitive(c->blk);
	c->cmac = NULL;
	c->cbc = NULL;
	c->blk = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_crypto_free);

/**
 * smchan_crypto_scrub() - overwrite the key schedules held by the transforms
 * @c: initialised
 *
 * Called when a pair completes and a session ends, so that no schedule of a
 * key that protected traffic stays in memory.
 *
 * Return: 0 or the crypto API's error.
 */
int smchan_crypto_scrub(struct smchan_crypto *c)
{
	int ret;

	ret = crypto_shash_setkey(c->cmac, zero_key, 16);
	if (ret)
		return ret;
	return crypto_sync_skcipher_setkey(c->cbc, zero_key, 16);
}
EXPORT_SYMBOL_IF_KUNIT(smchan_crypto_scrub);

/**
 * smchan_crypto_cmac() - AES-CMAC (RFC 4493) of a message in pieces
 * @c: transforms
 * @key: AES key
 * @klen: 16 or 32
 * @msg: the pieces of the message
 * @nmsg: how many
 * @mac: the 16-byte MAC; zeroed on error
 *
 * Return: 0 or the crypto API's error (-EINVAL for a bad key length).
 */
int smchan_crypto_cmac(struct smchan_crypto *c, const u8 *key, size_t klen,
		       const struct kvec *msg, unsigned int nmsg,
		       u8 mac[SMCHAN_BLOCK])
{
	SHASH_DESC_ON_STACK(desc, c->cmac);
	unsigned int i;
	int ret;

	desc->tfm = c->cmac;
	ret = crypto_shash_setkey(c->cmac, key, klen);
	if (ret)
		goto out;
	ret = crypto_shash_init(desc);
	for (i = 0; !ret && i < nmsg; i++)
		ret = crypto_shash_update(desc, msg[i].iov_base,
					  msg[i].iov_len);
	if (!ret)
		ret = crypto_shash_final(desc, mac);
out:
	shash_desc_zero(desc);
	if (ret)
		memzero_explicit(mac, SMCHAN_BLOCK);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_crypto_cmac);

/**
 * smchan_crypto_cbc() - AES-CBC without padding, in place
 * @c: transforms
 * @encrypt: encrypt, else decrypt
 * @key: AES key
 * @klen: 16 or 32
 * @iv: initial value (not modified)
 * @buf: data; must be in the kernel's linear map (kmalloc), not on the stack
 *	or in vmalloc space, as it goes into a scatterlist
 * @len: a multiple of 16
 *
 * Return: 0, -EINVAL for a bad length (@buf untouched), or the crypto API's
 * error (@buf zeroed).
 */
int smchan_crypto_cbc(struct smchan_crypto *c, bool encrypt, const u8 *key,
		      size_t klen, const u8 iv[SMCHAN_BLOCK], u8 *buf,
		      size_t len)
{
	SYNC_SKCIPHER_REQUEST_ON_STACK(req, c->cbc);
	u8 ivbuf[SMCHAN_BLOCK];
	struct scatterlist sg;
	int ret;

	if (!len || len % SMCHAN_BLOCK || len > UINT_MAX)
		return -EINVAL;
	ret = crypto_sync_skcipher_setkey(c->cbc, key, klen);
	if (ret)
		goto out;

	memcpy(ivbuf, iv, SMCHAN_BLOCK);
	sg_init_one(&sg, buf, len);
	skcipher_request_set_sync_tfm(req, c->cbc);
	skcipher_request_set_callback(req, 0, NULL, NULL);
	skcipher_request_set_crypt(req, &sg, &sg, len, ivbuf);
	if (encrypt)
		ret = crypto_skcipher_encrypt(req);
	else
		ret = crypto_skcipher_decrypt(req);
	skcipher_request_zero(req);
	memzero_explicit(ivbuf, sizeof(ivbuf));
out:
	if (ret)
		memzero_explicit(buf, len);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_crypto_cbc);

/**
 * smchan_crypto_aes() - one AES block encryption, AES(K, in)
 * @c: transforms
 * @key: AES key
 * @klen: 16 or 32
 * @in: plaintext block
 * @out: ciphertext block; may be @in; zeroed on error
 *
 * Computed as CBC of one block under a zero IV, in the transforms' own
 * scatterlist-safe block.
 *
 * Return: 0 or the crypto API's error.
 */
int smchan_crypto_aes(struct smchan_crypto *c, const u8 *key, size_t klen,
		      const u8 in[SMCHAN_BLOCK], u8 out[SMCHAN_BLOCK])
{
	int ret;

	memcpy(c->blk, in, SMCHAN_BLOCK);
	ret = smchan_crypto_cbc(c, true, key, klen, zero_block, c->blk,
				SMCHAN_BLOCK);
	memcpy(out, c->blk, SMCHAN_BLOCK);
	memzero_explicit(c->blk, SMCHAN_BLOCK);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_crypto_aes);

/**
 * smchan_crypto_kdf() - KDF(K, label, context, L) of PROTOCOL.md section 2
 * @c: transforms
 * @key: K, 16 or 32 bytes
 * @klen: its length
 * @label: ASCII label, without its NUL
 * @context: the context in at most two pieces (K_n and [n]_64 in ratchet)
 * @ncontext: how many pieces, 0 to 2
 * @out: L bytes of output; zeroed on error
 * @olen: L, at most 2^29 - 1 bytes so that [8L]_32 fits
 *
 * SP 800-108 counter mode with AES-CMAC as the PRF, a 32-bit counter from 1
 * and the fixed input label || 00 || context || [8L]_32.
 *
 * Return: 0, -EINVAL for bad arguments (@out untouched), or the crypto
 * API's error.
 */
int smchan_crypto_kdf(struct smchan_crypto *c, const u8 *key, size_t klen,
		      const char *label, const struct kvec *context,
		      unsigned int ncontext, u8 *out, size_t olen)
{
	static const u8 separator;
	struct kvec info[5];
	unsigned int i, n = 0;
	__be32 bits;
	int ret;

	if (ncontext > 2 || olen >= (1U << 29))
		return -EINVAL;
	bits = cpu_to_be32(olen * 8);
	info[n].iov_base = (void *)label;
	info[n++].iov_len = strlen(label);
	info[n].iov_base = (void *)&separator;
	info[n++].iov_len = 1;
	for (i = 0; i < ncontext; i++)
		info[n++] = context[i];
	info[n].iov_base = &bits;
	info[n++].iov_len = sizeof(bits);

	ret = crypto_kdf108_setkey(c->cmac, key, klen, NULL, 0);
	if (!ret)
		ret = crypto_kdf108_ctr_generate(c->cmac, info, n, out, olen);
	if (ret)
		memzero_explicit(out, olen);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_crypto_kdf);
