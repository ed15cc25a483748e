// SPDX-License-Identifier: GPL-2.0
/*
 * kernel/crypto.h over OpenSSL (EVP), in place of kernel/crypto.c, plus
 * the few kernel library functions tests/fuzz/shim/kernel.h declares.
 * Behaves like kernel/crypto.c: outputs zeroed on error, -EINVAL for bad
 * lengths. fuzz_fail_crypto: the Nth call from now fails with -EIO (0:
 * none), so that the engine's error paths are fuzzed too.
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include "../../../kernel/crypto.h"

unsigned int fuzz_fail_alloc, fuzz_fail_crypto;
static u64 rng_state = 1;

void fuzz_rng_seed(u64 seed) { rng_state = seed | 1; }

void get_random_bytes(void *buf, size_t n)	/* xorshift64: reproducible */
{
	u8 *p = buf;

	while (n--) {
		rng_state ^= rng_state << 13;
		rng_state ^= rng_state >> 7;
		rng_state ^= rng_state << 17;
		*p++ = rng_state >> 24;
	}
}

u32 get_random_u32_below(u32 ceil)
{
	u32 v;

	get_random_bytes(&v, sizeof(v));
	return ceil ? v % ceil : 0;
}

int crypto_memneq(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) != 0;
}

void *memchr_inv(const void *p, int c, size_t n)
{
	const u8 *b = p;

	for (; n; n--, b++)
		if (*b != (u8)c)
			return (void *)b;
	return NULL;
}

static bool fail_now(void)
{
	return fuzz_fail_crypto && !--fuzz_fail_crypto;
}

static const EVP_CIPHER *cipher(size_t klen, bool cbc)
{
	static EVP_CIPHER *c[2][2];
	static const char *const names[2][2] = {
		{ "AES-128-ECB", "AES-128-CBC" }, { "AES-256-ECB", "AES-256-CBC" } };
	int k = klen == 32;

	if (klen != 16 && klen != 32)
		return NULL;
	if (!c[k][cbc])
		c[k][cbc] = EVP_CIPHER_fetch(NULL, names[k][cbc], NULL);
	return c[k][cbc];
}

int smchan_crypto_init(struct smchan_crypto *c)
{
	memset(c, 0, sizeof(*c));
	c->blk = kzalloc(SMCHAN_BLOCK, GFP_KERNEL);
	return c->blk ? 0 : -ENOMEM;
}

void smchan_crypto_free(struct smchan_crypto *c)
{
	free(c->blk);
	c->blk = NULL;
}

int smchan_crypto_scrub(struct smchan_crypto *c)
{
	(void)c;
	return fail_now() ? -EIO : 0;
}

int smchan_crypto_cmac(struct smchan_crypto *c, const u8 *key, size_t klen,
		       const struct kvec *msg, unsigned int nmsg,
		       u8 mac[SMCHAN_BLOCK])
{
	static EVP_MAC *alg;
	EVP_MAC_CTX *ctx;
	OSSL_PARAM p[2];
	size_t out = 0;
	unsigned int i;
	int ok;

	(void)c;
	if (!alg)
		alg = EVP_MAC_fetch(NULL, "CMAC", NULL);
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
		(char *)(klen == 32 ? "AES-256-CBC" : "AES-128-CBC"), 0);
	p[1] = OSSL_PARAM_construct_end();
	if (!cipher(klen, true) || fail_now()) {
		memzero_explicit(mac, SMCHAN_BLOCK);
		return -EINVAL;
	}
	ctx = EVP_MAC_CTX_new(alg);
	ok = ctx && EVP_MAC_init(ctx, key, klen, p);
	for (i = 0; ok && i < nmsg; i++)
		ok = EVP_MAC_update(ctx, msg[i].iov_base, msg[i].iov_len);
	ok = ok && EVP_MAC_final(ctx, mac, &out, SMCHAN_BLOCK) &&
	     out == SMCHAN_BLOCK;
	EVP_MAC_CTX_free(ctx);
	if (!ok)
		memzero_explicit(mac, SMCHAN_BLOCK);
	return ok ? 0 : -EIO;
}

static int evp(bool cbc, bool encrypt, const u8 *key, size_t klen,
	       const u8 *iv, u8 *buf, size_t len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int ok, n = 0;

	ok = ctx && EVP_CipherInit_ex2(ctx, cipher(klen, cbc), key,
				       cbc ? iv : NULL, encrypt, NULL) &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	     EVP_CipherUpdate(ctx, buf, &n, buf, len) && (size_t)n == len;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int smchan_crypto_cbc(struct smchan_crypto *c, bool encrypt, const u8 *key,
		      size_t klen, const u8 iv[SMCHAN_BLOCK], u8 *buf,
		      size_t len)
{
	int ret;

	(void)c;
	if (!len || len % SMCHAN_BLOCK || len > UINT_MAX)
		return -EINVAL;
	ret = !cipher(klen, true) ? -EINVAL : fail_now() ? -EIO :
	      evp(true, encrypt, key, klen, iv, buf, len);
	if (ret)
		memzero_explicit(buf, len);
	return ret;
}

int smchan_crypto_aes(struct smchan_crypto *c, const u8 *key, size_t klen,
		      const u8 in[SMCHAN_BLOCK], u8 out[SMCHAN_BLOCK])
{
	int ret;

	memcpy(c->blk, in, SMCHAN_BLOCK);
	ret = !cipher(klen, false) ? -EINVAL : fail_now() ? -EIO :
	      evp(false, true, key, klen, NULL, c->blk, SMCHAN_BLOCK);
	memcpy(out, c->blk, SMCHAN_BLOCK);
	memzero_explicit(c->blk, SMCHAN_BLOCK);
	if (ret)
		memzero_explicit(out, SMCHAN_BLOCK);
	return ret;
}

/* SP 800-108 counter mode, PRF AES-CMAC: PROTOCOL.md section 2. */
int smchan_crypto_kdf(struct smchan_crypto *c, const u8 *key, size_t klen,
		      const char *label, const struct kvec *context,
		      unsigned int ncontext, u8 *out, size_t olen)
{
	static const u8 separator;
	u8 block[SMCHAN_BLOCK];
	struct kvec info[6];
	unsigned int i, n = 1;
	__be32 bits, ctr;
	size_t done;
	int ret = 0;

	if (ncontext > 2 || olen >= (1U << 29))
		return -EINVAL;
	bits = cpu_to_be32(olen * 8);
	info[0] = (struct kvec){ &ctr, 4 };
	info[n++] = (struct kvec){ (void *)label, strlen(label) };
	info[n++] = (struct kvec){ (void *)&separator, 1 };
	for (i = 0; i < ncontext; i++)
		info[n++] = context[i];
	info[n++] = (struct kvec){ &bits, 4 };
	for (done = 0, i = 1; !ret && done < olen; i++, done += SMCHAN_BLOCK) {
		ctr = cpu_to_be32(i);
		ret = smchan_crypto_cmac(c, key, klen, info, n, block);
		memcpy(out + done, block, min(olen - done, (size_t)SMCHAN_BLOCK));
	}
	memzero_explicit(block, sizeof(block));
	if (ret)
		memzero_explicit(out, olen);
	return ret;
}
