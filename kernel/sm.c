// SPDX-License-Identifier: GPL-2.0
/*
 * The smchan secure-messaging engine (PROTOCOL.md sections 2 to 7).
 *
 * Purpose: protect each command APDU and verify each response with a
 * session key K_n that changes after every pair, the next key computed from
 * the current and the previous one (patent JP7206869B2), in the four modes
 * of section 3.
 *
 * Threat model: whoever carries the APDUs (reader, helper process, USB) may
 * read, drop, replay, reorder or forge them. They must learn nothing of the
 * data, and any change must end the session before a forged response
 * reaches an application. Keys exist only here; they never appear in a log
 * line or leave the module, and every copy is wiped when it stops being
 * needed: K_n and its subkeys when pair n completes, everything on session
 * end, the key block once installed.
 *
 * Call order (terminal): smchan_init_prepare(), smchan_init_command(),
 * smchan_init_complete(), then for each command smchan_sm_draw_selector()
 * (list, opkey), smchan_sm_protect_command(), smchan_sm_unprotect_response().
 * A card: smchan_card_init_session(), then smchan_sm_unprotect_command() and
 * smchan_sm_protect_response() per command. See sm.h.
 *
 * Buffers that the engine encrypts or decrypts in place (the @out of the
 * protect functions and of smchan_init_command(), the @out of
 * smchan_sm_unprotect_response(), the @data of smchan_sm_unprotect_command())
 * go into a scatterlist: they must come from kmalloc(), not the stack or
 * vmalloc().
 */

#include <linux/errno.h>
#include <linux/export.h>
#include <linux/minmax.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <crypto/algapi.h>
#include <kunit/visibility.h>

#include "sm.h"

#define DIR_COMMAND	0x01
#define DIR_RESPONSE	0x02
#define DIR_INIT	0x03

#define TAG_DATA	0x87
#define TAG_LE		0x97
#define TAG_SW		0x99
#define TAG_MAC		0x8e
#define MAC_LEN		8
#define PAD_INDICATOR	0x01

static const char label_enc[] = "smchan-enc";
static const char label_mac[] = "smchan-mac";
static const char label_ratchet[] = "smchan-ratchet";

const u8 smchan_get_challenge[5] = { 0x00, 0x84, 0x00, 0x00, 0x10 };
EXPORT_SYMBOL_IF_KUNIT(smchan_get_challenge);

/**
 * smchan_mode_name() - the name of a key-update mode
 * @mode: the mode
 *
 * Return: "xor", "list", "opkey", "ratchet", or "?" for anything else.
 */
const char *smchan_mode_name(enum smchan_mode mode)
{
	switch (mode) {
	case SMCHAN_MODE_XOR:
		return "xor";
	case SMCHAN_MODE_LIST:
		return "list";
	case SMCHAN_MODE_OPKEY:
		return "opkey";
	case SMCHAN_MODE_RATCHET:
		return "ratchet";
	}
	return "?";
}
EXPORT_SYMBOL_IF_KUNIT(smchan_mode_name);

/**
 * smchan_mode_weak() - is @mode one of the patent's weak modes?
 * @mode: the mode
 *
 * xor repeats every third key, list repeats keys from a fixed group, and
 * opkey's AND clears key bits: only ratchet is one-way.
 *
 * Return: false for ratchet only.
 */
bool smchan_mode_weak(enum smchan_mode mode)
{
	return mode != SMCHAN_MODE_RATCHET;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_mode_weak);

static bool mode_has_selector(enum smchan_mode mode)
{
	return mode == SMCHAN_MODE_LIST || mode == SMCHAN_MODE_OPKEY;
}

static bool has_selector(const struct smchan_sm *sm)
{
	return mode_has_selector(sm->mode);
}

static bool key_is_zero(const u8 *key, size_t len)
{
	return !memchr_inv(key, 0, len);
}

/* B(d, n) = [d]_8 || [0]_56 || [n]_64 */
static void counter_block(u8 b[SMCHAN_BLOCK], u8 dir, u64 n)
{
	memset(b, 0, SMCHAN_BLOCK);
	b[0] = dir;
	put_unaligned_be64(n, b + 8);
}

/* Length of pad(x) for |x| = len: at least one byte is always added. */
static size_t padded_len(size_t len)
{
	return (len / SMCHAN_BLOCK + 1) * SMCHAN_BLOCK;
}

static void pad(u8 *buf, size_t len)
{
	buf[len] = 0x80;
	memset(buf + len + 1, 0, padded_len(len) - len - 1);
}

/*
 * The padding is checked only on data whose MAC has been verified, so
 * this need not run in constant time.
 */
static int unpad(const u8 *buf, size_t len, size_t *out_len)
{
	size_t i = len;

	while (i && !buf[i - 1])
		i--;
	if (!i || buf[i - 1] != 0x80 || len - i >= SMCHAN_BLOCK)
		return -EILSEQ;
	*out_len = i - 1;
	return 0;
}

/* BER length, shortest form only (section 1). */
static size_t ber_size(size_t len)
{
	return len < 0x80 ? 1 : len < 0x100 ? 2 : 3;
}

static u8 *put_ber(u8 *p, size_t len)
{
	if (len >= 0x100) {
		*p++ = 0x82;
		*p++ = len >> 8;
	} else if (len >= 0x80) {
		*p++ = 0x81;
	}
	*p++ = len;
	return p;
}

static int get_ber(const u8 *buf, size_t len, size_t *pos, size_t *val)
{
	size_t p = *pos;

	if (p >= len)
		return -EPROTO;
	if (buf[p] < 0x80) {
		*val = buf[p];
		*pos = p + 1;
		return 0;
	}
	if (buf[p] == 0x81 && len - p >= 2 && buf[p + 1] >= 0x80) {
		*val = buf[p + 1];
		*pos = p + 2;
		return 0;
	}
	if (buf[p] == 0x82 && len - p >= 3 && buf[p + 1]) {
		*val = get_unaligned_be16(buf + p + 1);
		*pos = p + 3;
		return 0;
	}
	return -EPROTO;
}

/* Size of DO87 over a plaintext of @len bytes (0: no DO87). */
static size_t do87_size(size_t len)
{
	size_t clen = padded_len(len);

	return len ? 1 + ber_size(1 + clen) + 1 + clen : 0;
}

static size_t do87_header(size_t len)
{
	return do87_size(len) - padded_len(len);
}

/**
 * struct sm_dos - the data objects of a well-formed SM body
 * @c: DO87 cryptogram (after the padding indicator), or NULL
 * @clen: its length, a non-zero multiple of 16
 * @mid: DO97 (command) or DO99 (response) value, or NULL
 * @mid_len: its length
 * @mac: DO8E value (8 bytes), or NULL
 * @maced: length of the body that the MAC covers (all before DO8E)
 */
struct sm_dos {
	const u8 *c;
	size_t clen;
	const u8 *mid;
	size_t mid_len;
	const u8 *mac;
	size_t maced;
};

/*
 * Split a body into its data objects: one-byte tags 87, @mid_tag, 8E, each
 * at most once and in that order, shortest-form lengths, nothing else. A
 * missing DO is left NULL for the caller to judge.
 */
static int parse_dos(const u8 *body, size_t len, u8 mid_tag,
		     struct sm_dos *d)
{
	size_t pos = 0, start, vlen;
	int rank = 0, r;
	const u8 *v;

	memset(d, 0, sizeof(*d));
	d->maced = len;
	while (pos < len) {
		start = pos;
		r = body[pos] == TAG_DATA ? 1 : body[pos] == mid_tag ? 2 :
		    body[pos] == TAG_MAC ? 3 : 0;
		pos++;
		if (r <= rank || get_ber(body, len, &pos, &vlen) ||
		    vlen > len - pos)
			return -EPROTO;
		rank = r;
		v = body + pos;
		pos += vlen;
		switch (r) {
		case 1:
			if (vlen < 1 + SMCHAN_BLOCK || (vlen - 1) % SMCHAN_BLOCK ||
			    v[0] != PAD_INDICATOR)
				return -EPROTO;
			d->c = v + 1;
			d->clen = vlen - 1;
			break;
		case 2:
			if (vlen < (mid_tag == TAG_LE ? 1 : 2) || vlen > 2)
				return -EPROTO;
			d->mid = v;
			d->mid_len = vlen;
			break;
		case 3:
			if (vlen != MAC_LEN)
				return -EPROTO;
			d->mac = v;
			d->maced = start;
			break;
		}
	}
	return 0;
}

/* ENC(K_n) and MAC(K_n) for the pair in progress. */
static int derive_subkeys(struct smchan_sm *sm)
{
	int ret;

	ret = smchan_crypto_kdf(&sm->crypto, sm->k, sm->klen, label_enc,
				NULL, 0, sm->enc, sm->klen);
	if (ret)
		return ret;
	return smchan_crypto_kdf(&sm->crypto, sm->k, sm->klen, label_mac,
				 NULL, 0, sm->mac, sm->klen);
}

/* trunc8(CMAC(MAC(K_n), B(dir, n) || hdr || dos)) */
static int sm_mac(struct smchan_sm *sm, u8 dir, const u8 *hdr, size_t hlen,
		  const u8 *dos, size_t len, u8 mac[MAC_LEN])
{
	u8 b[SMCHAN_BLOCK], full[SMCHAN_BLOCK];
	struct kvec msg[3] = {
		{ .iov_base = b, .iov_len = sizeof(b) },
		{ .iov_base = (void *)hdr, .iov_len = hlen },
		{ .iov_base = (void *)dos, .iov_len = len },
	};
	int ret;

	counter_block(b, dir, sm->n);
	ret = smchan_crypto_cmac(&sm->crypto, sm->mac, sm->klen, msg, 3, full);
	memcpy(mac, full, MAC_LEN);
	memzero_explicit(full, sizeof(full));
	return ret;
}

/* CBC(ENC(K_n), AES(ENC(K_n), B(dir, n)), buf) in place */
static int sm_cbc(struct smchan_sm *sm, bool encrypt, u8 dir, u8 *buf,
		  size_t len)
{
	u8 iv[SMCHAN_BLOCK];
	int ret;

	counter_block(iv, dir, sm->n);
	ret = smchan_crypto_aes(&sm->crypto, sm->enc, sm->klen, iv, iv);
	if (!ret)
		ret = smchan_crypto_cbc(&sm->crypto, encrypt, sm->enc,
					sm->klen, iv, buf, len);
	memzero_explicit(iv, sizeof(iv));
	return ret;
}

/*
 * Write DO87 at @p over the @len bytes of plaintext the caller has already
 * put at p + do87_header(len), padding and encrypting them in place.
 */
static int put_do87(struct smchan_sm *sm, u8 dir, u8 *p, size_t len)
{
	size_t clen = padded_len(len);
	u8 *c = p + do87_header(len);

	pad(c, len);
	*p++ = TAG_DATA;
	p = put_ber(p, 1 + clen);
	*p = PAD_INDICATOR;
	return sm_cbc(sm, true, dir, c, clen);
}

/*
 * K_{n+1} in list and opkey for selector @s, into @out. The caller has
 * checked s < N.
 */
static void group_next(const struct smchan_sm *sm, unsigned int s, u8 *out)
{
	const u8 *e = sm->group + s * sm->klen, *k = sm->k;
	const u8 *prev = sm->group + sm->s_prev * sm->klen;
	unsigned int i;

	if (sm->mode == SMCHAN_MODE_LIST) {
		memcpy(out, e, sm->klen);
		return;
	}
	for (i = 0; i < sm->klen; i++) {
		switch ((sm->n - 1) % 3) {
		case 0:
			out[i] = k[i] ^ e[i];
			break;
		case 1:
			out[i] = k[i] & e[i];
			break;
		default:
			out[i] = prev[i] ^ e[i];
			break;
		}
	}
}

/**
 * smchan_sm_selector_ok() - may command n carry selector @s?
 * @sm: an established list or opkey session
 * @s: the selector
 *
 * Both sides apply the same rule: @s < N, and in opkey the update with @s
 * must not give an all-zero key (section 3, section 4 check 6).
 *
 * Return: true if @s is acceptable.
 */
bool smchan_sm_selector_ok(struct smchan_sm *sm, unsigned int s)
{
	u8 next[SMCHAN_KEY_MAX];
	bool ok;

	if (!sm->established || !has_selector(sm) || s >= sm->group_n)
		return false;
	group_next(sm, s, next);
	ok = !key_is_zero(next, sm->klen);
	memzero_explicit(next, sizeof(next));
	return ok;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_sm_selector_ok);

/**
 * smchan_sm_draw_selector() - draw s_n for the next command (terminal)
 * @sm: an established session
 * @selector: the selector: uniform over 0..N-1 in list, uniform over the
 *	selectors smchan_sm_selector_ok() accepts in opkey; 0 in xor and
 *	ratchet, which carry none
 *
 * Return: 0; -ENOTCONN without a session; -EKEYREJECTED when no selector
 * qualifies (the session has then been ended, reason %SMCHAN_END_KEYS).
 */
int smchan_sm_draw_selector(struct smchan_sm *sm, u8 *selector)
{
	u8 ok[SMCHAN_GROUP_MAX];
	unsigned int s, count = 0;

	*selector = 0;
	if (!sm->established)
		return -ENOTCONN;
	if (!has_selector(sm))
		return 0;
	for (s = 0; s < sm->group_n; s++)
		if (smchan_sm_selector_ok(sm, s))
			ok[count++] = s;
	if (!count) {
		smchan_sm_end(sm, SMCHAN_END_KEYS);
		return -EKEYREJECTED;
	}
	*selector = ok[get_random_u32_below(count)];
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_sm_draw_selector);

/*
 * Move from K_n to K_{n+1} once pair n has completed, and in xor and
 * ratchet compute K_{n+2} at once so that K_n can be wiped. Ends the
 * session if a key comes out all zero, the crypto API fails, or the rekey
 * limit is reached.
 */
static void advance(struct smchan_sm *sm)
{
	u8 next[SMCHAN_KEY_MAX];
	struct kvec ctx[2];
	__be64 nbe;
	unsigned int i;
	int ret = 0;

	memzero_explicit(sm->enc, sizeof(sm->enc));
	memzero_explicit(sm->mac, sizeof(sm->mac));
	sm->pending = false;

	switch (sm->mode) {
	case SMCHAN_MODE_XOR:
		/* K_{n+2} = K_n XOR K_{n+1} */
		for (i = 0; i < sm->klen; i++)
			next[i] = sm->k[i] ^ sm->k_next[i];
		break;
	case SMCHAN_MODE_RATCHET:
		/* K_{n+2} = KDF(K_n, "smchan-ratchet", K_{n+1} || [n+1]_64) */
		nbe = cpu_to_be64(sm->n + 1);
		ctx[0].iov_base = sm->k_next;
		ctx[0].iov_len = sm->klen;
		ctx[1].iov_base = &nbe;
		ctx[1].iov_len = sizeof(nbe);
		ret = smchan_crypto_kdf(&sm->crypto, sm->k, sm->klen,
					label_ratchet, ctx, 2, next, sm->klen);
		break;
	case SMCHAN_MODE_LIST:
	case SMCHAN_MODE_OPKEY:
		group_next(sm, sm->s_cur, next);
		break;
	}

	if (has_selector(sm)) {
		memcpy(sm->k, next, sm->klen);
		sm->s_prev = sm->s_cur;
	} else {
		memcpy(sm->k, sm->k_next, sm->klen);
		memcpy(sm->k_next, next, sm->klen);
	}
	memzero_explicit(next, sizeof(next));
	WRITE_ONCE(sm->n, sm->n + 1);	/* read locklessly by get and dump */

	if (ret)
		smchan_sm_end(sm, SMCHAN_END_CRYPTO);
	else if (key_is_zero(sm->k, sm->klen) ||
		 (!has_selector(sm) && key_is_zero(sm->k_next, sm->klen)))
		smchan_sm_end(sm, SMCHAN_END_KEYS);
	else if (sm->rekey_limit && sm->n > sm->rekey_limit)
		smchan_sm_end(sm, SMCHAN_END_LIMIT);
	else if (smchan_crypto_scrub(&sm->crypto))
		smchan_sm_end(sm, SMCHAN_END_CRYPTO);
}

/*
 * The key group of a list or opkey session, at its size: only those modes
 * hold one, so that a channel in xor or ratchet carries no 1 KiB of unused
 * key slots (Documentation/performance.rst, "Scale").
 */
static u8 *group_alloc(struct smchan_sm *sm, size_t size)
{
#if IS_ENABLED(CONFIG_KUNIT)
	if (sm->fail_group_alloc) {
		sm->fail_group_alloc = false;
		return NULL;
	}
#endif
	return kmalloc(size, GFP_KERNEL);
}

/*
 * Install the keys of a new session: K_0 || K_1 in xor and ratchet (then
 * K_2 is computed and K_0 dropped), the group in list and opkey (-ENOMEM
 * when it cannot be allocated: no session then). The key block has been
 * checked by the caller.
 */
static int install_keys(struct smchan_sm *sm, enum smchan_mode mode,
			unsigned int klen, unsigned int group_n,
			const u8 *keys)
{
	u8 k0[SMCHAN_KEY_MAX];

	smchan_sm_end(sm, SMCHAN_END_NONE);
	if (mode_has_selector(mode)) {
		sm->group = group_alloc(sm, group_n * klen);
		if (!sm->group)
			return -ENOMEM;
	}
	sm->mode = mode;
	sm->klen = klen;
	sm->group_n = group_n;
	WRITE_ONCE(sm->n, 0);
	sm->established = true;
	if (has_selector(sm)) {
		memcpy(sm->group, keys, group_n * klen);
		memcpy(sm->k, sm->group, klen);
		WRITE_ONCE(sm->n, 1);
		return 0;
	}

	/* Pretend pair 0 (K_0) has just completed: K_1 and K_2 remain. */
	memcpy(k0, keys, klen);
	memcpy(sm->k, k0, klen);
	memcpy(sm->k_next, keys + klen, klen);
	advance(sm);
	memzero_explicit(k0, sizeof(k0));
	if (!sm->established)
		return sm->end_reason == SMCHAN_END_CRYPTO ? -EIO :
		       -EKEYREJECTED;
	return 0;
}

/**
 * smchan_sm_alloc() - allocate a session object, with no session
 *
 * Context: process context, may sleep.
 * Return: the object, or an ERR_PTR(): -ENOMEM, or the crypto API's error
 * when cbc(aes) or cmac(aes) cannot be had.
 */
struct smchan_sm *smchan_sm_alloc(void)
{
	struct smchan_sm *sm;
	int ret;

	sm = kzalloc(sizeof(*sm), GFP_KERNEL);
	if (!sm)
		return ERR_PTR(-ENOMEM);
	ret = smchan_crypto_init(&sm->crypto);
	if (ret) {
		kfree(sm);
		return ERR_PTR(ret);
	}
	sm->mode = SMCHAN_MODE_RATCHET;
	return sm;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_sm_alloc);

/**
 * smchan_sm_free() - end any session, wipe and free the object
 * @sm: the object, or NULL
 */
void smchan_sm_free(struct smchan_sm *sm)
{
	if (!sm)
		return;
	smchan_crypto_free(&sm->crypto);
	kfree_sensitive(sm->group);
	kfree_sensitive(sm);
}
EXPORT_SYMBOL_IF_KUNIT(smchan_sm_free);

/**
 * smchan_sm_end() - end the session and wipe every key it held
 * @sm: the object
 * @why: recorded in @sm->end_reason if a session was established;
 *	%SMCHAN_END_NONE only wipes
 *
 * Nothing lets a session resume: a new initialisation is needed. The
 * settings (@rekey_limit) are kept; the key group is wiped and freed.
 */
void smchan_sm_end(struct smchan_sm *sm, enum smchan_end_reason why)
{
	if (sm->established && why != SMCHAN_END_NONE)
		sm->end_reason = why;
	sm->established = false;
	sm->pending = false;
	WRITE_ONCE(sm->n, 0);
	sm->s_cur = 0;
	sm->s_prev = 0;
	memzero_explicit(sm->k, sizeof(sm->k));
	memzero_explicit(sm->k_next, sizeof(sm->k_next));
	memzero_explicit(sm->enc, sizeof(sm->enc));
	memzero_explicit(sm->mac, sizeof(sm->mac));
	kfree_sensitive(sm->group);
	sm->group = NULL;
	/* A failure only leaves the schedule of a key already wiped above. */
	smchan_crypto_scrub(&sm->crypto);
}
EXPORT_SYMBOL_IF_KUNIT(smchan_sm_end);

/**
 * smchan_sm_protect_command() - protect plain command n (terminal)
 * @sm: an established session with no command pending
 * @plain: the plain command; its class must be plain
 * @selector: s_n in list and opkey (from smchan_sm_draw_selector()),
 *	ignored in xor and ratchet
 * @out: the protected APDU (kmalloc'd; SMCHAN_PROT_APDU_MAX always suffices)
 * @size: size of @out
 *
 * Return: the length of the protected APDU, or a negative errno:
 * -ENOTCONN no session; -EBUSY a command is already pending; -EINVAL the
 * class is not plain or Ne > 65536; -EMSGSIZE D' is over 65503 bytes or
 * @out too small; -ERANGE @selector is not acceptable. The session goes on
 * after these. Any other error is the crypto API's and ends the session.
 */
int smchan_sm_protect_command(struct smchan_sm *sm,
			      const struct smchan_apdu *plain, u8 selector,
			      u8 *out, size_t size)
{
	bool sel = has_selector(sm), ext;
	size_t dlen, body, total, pos;
	u8 *p;
	int ret;

	if (!sm->established)
		return -ENOTCONN;
	if (sm->pending)
		return -EBUSY;
	if (smchan_cla_class(plain->cla) != SMCHAN_CLA_PLAIN ||
	    plain->ne > 65536)
		return -EINVAL;
	dlen = plain->nc + sel;
	if (dlen > SMCHAN_DPRIME_MAX)
		return -EMSGSIZE;
	if (sel && !smchan_sm_selector_ok(sm, selector))
		return -ERANGE;

	body = do87_size(dlen) + MAC_LEN + 2;
	if (plain->ne)
		body += plain->ne <= 256 ? 3 : 4;
	ext = body > 255 || plain->ne > 256;
	total = 4 + (ext ? 3 : 1) + body + (ext ? 2 : 1);
	if (total > size)
		return -EMSGSIZE;

	ret = derive_subkeys(sm);
	if (ret)
		goto err_end;

	p = out;
	*p++ = plain->cla | (smchan_cla_proprietary(plain->cla) ? 0x04 : 0x0c);
	*p++ = plain->ins;
	*p++ = plain->p1;
	*p++ = plain->p2;
	if (ext) {
		*p++ = 0;
		*p++ = body >> 8;
	}
	*p++ = body;
	pos = p - out;

	if (dlen) {
		u8 *d = p + do87_header(dlen);

		if (sel)
			*d++ = selector;
		if (plain->nc)
			memcpy(d, plain->data, plain->nc);
		ret = put_do87(sm, DIR_COMMAND, p, dlen);
		if (ret)
			goto err_end;
		p += do87_size(dlen);
	}
	if (plain->ne) {
		*p++ = TAG_LE;
		if (plain->ne <= 256) {
			*p++ = 1;
			*p++ = plain->ne;
		} else {
			*p++ = 2;
			put_unaligned_be16(plain->ne, p);
			p += 2;
		}
	}
	*p++ = TAG_MAC;
	*p++ = MAC_LEN;
	ret = sm_mac(sm, DIR_COMMAND, out, 4, out + pos, p - 2 - out - pos, p);
	if (ret)
		goto err_end;
	p += MAC_LEN;
	*p++ = 0;
	if (ext)
		*p++ = 0;

	sm->s_cur = selector;
	sm->pending = true;
	return p - out;

err_end:
	memzero_explicit(out, total);
	smchan_sm_end(sm, SMCHAN_END_CRYPTO);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_sm_protect_command);

/**
 * smchan_sm_unprotect_response() - verify response n, move to K_{n+1}
 * @sm: the session, with command n pending
 * @rsp: the whole protected response, trailer included (reassembled if it
 *	came in 61 xx pieces)
 * @len: its length
 * @out: R || SW1 SW2 (kmalloc'd; SMCHAN_RESPONSE_MAX always suffices for
 *	a response that follows section 5); may be @rsp itself, which is then
 *	decrypted in place (R || SW1 SW2 is never longer than the response)
 * @size: size of @out
 *
 * The checks, in order: a bare status word other than 90 00 (the card
 * ended the session); the trailer 90 00; the body well formed with DO99
 * and DO8E; the MAC, compared in constant time; the padding. Any failure
 * ends the session: the command's outcome on the card is unknown.
 *
 * Return: the length of R || SW1 SW2, or a negative errno:
 * -ENOTCONN no session or no command pending; -ECONNRESET the card
 * answered a bare status word; -EREMOTEIO the trailer is not 90 00;
 * -EPROTO the body is malformed; -EBADMSG the MAC is wrong; -EILSEQ the
 * padding is wrong; -EMSGSIZE @out is too small; or the crypto API's error.
 * After a successful return the session may still have ended (rekey limit,
 * all-zero key): see @sm->established.
 */
int smchan_sm_unprotect_response(struct smchan_sm *sm, const u8 *rsp,
				 size_t len, u8 *out, size_t size)
{
	enum smchan_end_reason why = SMCHAN_END_VERIFY;
	struct sm_dos d = {};
	u8 mac[MAC_LEN];
	size_t rlen = 0;
	int ret;

	if (!sm->established || !sm->pending)
		return -ENOTCONN;
	if (len < 2) {
		ret = -EPROTO;
		goto err_end;
	}
	if (get_unaligned_be16(rsp + len - 2) != SMCHAN_SW_OK) {
		ret = len == 2 ? -ECONNRESET : -EREMOTEIO;
		why = len == 2 ? SMCHAN_END_CARD : SMCHAN_END_VERIFY;
		goto err_end;
	}
	ret = parse_dos(rsp, len - 2, TAG_SW, &d);
	if (!ret && (!d.mid || !d.mac))
		ret = -EPROTO;
	if (ret)
		goto err_end;
	if (d.clen + 2 > size) {
		ret = -EMSGSIZE;
		goto err_end;
	}

	ret = sm_mac(sm, DIR_RESPONSE, NULL, 0, rsp, d.maced, mac);
	if (!ret && crypto_memneq(mac, d.mac, MAC_LEN))
		ret = -EBADMSG;
	memzero_explicit(mac, sizeof(mac));
	if (ret)
		goto err_end;

	if (d.c) {
		memmove(out, d.c, d.clen);	/* @out may be @rsp */
		ret = sm_cbc(sm, false, DIR_RESPONSE, out, d.clen);
		if (!ret)
			ret = unpad(out, d.clen, &rlen);
		if (ret)
			goto err_end;
		memzero_explicit(out + rlen, d.clen - rlen);
	}
	out[rlen] = d.mid[0];
	out[rlen + 1] = d.mid[1];
	advance(sm);
	return rlen + 2;

err_end:
	memzero_explicit(out, min(size, d.clen + 2));
	smchan_sm_end(sm, why);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_sm_unprotect_response);

/**
 * smchan_sm_unprotect_command() - check protected command n (card)
 * @sm: the card's session
 * @prot: the protected command, class protected
 * @plain: the plain command (CLA with the SM bits cleared, D' without the
 *	selector, Ne from DO97); @plain->data points into @data
 * @data: buffer for the decrypted D' (kmalloc'd; 65520 bytes suffice)
 * @size: size of @data
 *
 * Checks 1 to 6 of section 4, in order; check 1 also fails while the
 * response to the command accepted last is still to be built. A failure
 * ends the session and wipes its keys.
 *
 * Return: the status word: %SMCHAN_SW_OK when @plain is to be executed,
 * %SMCHAN_SW_SM_MISSING (no DO8E), %SMCHAN_SW_SM_INCORRECT (anything else);
 * or a negative errno (-EMSGSIZE: @data too small; the crypto API's error),
 * after which the session has ended too.
 */
int smchan_sm_unprotect_command(struct smchan_sm *sm,
				const struct smchan_apdu *prot,
				struct smchan_apdu *plain, u8 *data,
				size_t size)
{
	enum smchan_end_reason why = SMCHAN_END_VERIFY;
	u8 hdr[4] = { prot->cla, prot->ins, prot->p1, prot->p2 };
	struct sm_dos d = {};
	u8 mac[MAC_LEN];
	size_t dlen = 0;
	int ret = SMCHAN_SW_SM_INCORRECT;

	memset(plain, 0, sizeof(*plain));
	/*
	 * Check 1. A command that comes while the response to command n is
	 * still unbuilt (smchan_sm_protect_response() not called, or out of
	 * room) fails it too, and ends the session like any other failure.
	 */
	if (!sm->established || sm->pending)
		goto err_end;
	if (parse_dos(prot->data, prot->nc, TAG_LE, &d))	/* check 2 */
		goto err_end;
	if (!d.mac) {					/* check 3 */
		ret = SMCHAN_SW_SM_MISSING;
		goto err_end;
	}
	if (d.clen > size) {
		ret = -EMSGSIZE;
		goto err_end;
	}

	ret = derive_subkeys(sm);			/* check 4 */
	if (!ret)
		ret = sm_mac(sm, DIR_COMMAND, hdr, 4, prot->data, d.maced, mac);
	if (ret) {
		why = SMCHAN_END_CRYPTO;
		goto err_end;
	}
	ret = SMCHAN_SW_SM_INCORRECT;
	if (crypto_memneq(mac, d.mac, MAC_LEN))
		goto err_end;

	if (d.c) {					/* check 5 */
		memcpy(data, d.c, d.clen);
		ret = sm_cbc(sm, false, DIR_COMMAND, data, d.clen);
		if (ret) {
			why = SMCHAN_END_CRYPTO;
			goto err_end;
		}
		ret = SMCHAN_SW_SM_INCORRECT;
		if (unpad(data, d.clen, &dlen))
			goto err_end;
	}

	if (has_selector(sm)) {				/* check 6 */
		if (!d.c || !dlen || !smchan_sm_selector_ok(sm, data[0]))
			goto err_end;
		sm->s_cur = data[0];
		plain->data = data + 1;
		plain->nc = dlen - 1;
	} else {
		plain->data = data;
		plain->nc = dlen;
	}
	if (!plain->nc)
		plain->data = NULL;

	plain->cla = prot->cla & ~(smchan_cla_proprietary(prot->cla) ?
				   0x04 : 0x0c);
	plain->ins = prot->ins;
	plain->p1 = prot->p1;
	plain->p2 = prot->p2;
	if (d.mid_len == 1)
		plain->ne = d.mid[0] ? d.mid[0] : 256;
	else if (d.mid_len == 2)
		plain->ne = get_unaligned_be16(d.mid) ? : 65536;
	plain->extended = plain->nc > 255 || plain->ne > 256;
	memzero_explicit(mac, sizeof(mac));
	sm->pending = true;
	return SMCHAN_SW_OK;

err_end:
	memzero_explicit(mac, sizeof(mac));
	if (d.clen && d.clen <= size)
		memzero_explicit(data, d.clen);
	memset(plain, 0, sizeof(*plain));
	smchan_sm_end(sm, why);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_sm_unprotect_command);

/**
 * smchan_sm_protect_response() - protect response n (card), then K_{n+1}
 * @sm: the session, with command n accepted
 * @r: the response data R
 * @rlen: its length; R is cut to min(@ne, 65503) bytes
 * @sw: the inner status word
 * @ne: Ne of the plain command
 * @out: the protected response, 90 00 included (kmalloc'd;
 *	SMCHAN_PROT_RSP_MAX always suffices)
 * @size: size of @out
 *
 * Return: the length of the protected response; -ENOTCONN when no command
 * is pending; -EMSGSIZE when @out is too small (the session goes on: call
 * again with room for the response, or a protected command received
 * instead ends the session at check 1); or the crypto API's error, which
 * ends the session.
 */
int smchan_sm_protect_response(struct smchan_sm *sm, const u8 *r,
			       size_t rlen, u16 sw, u32 ne, u8 *out,
			       size_t size)
{
	size_t total;
	u8 *p = out;
	int ret;

	if (!sm->established || !sm->pending)
		return -ENOTCONN;
	rlen = min3(rlen, (size_t)ne, (size_t)SMCHAN_RDATA_MAX);
	total = do87_size(rlen) + 4 + 2 + MAC_LEN + 2;
	if (total > size)
		return -EMSGSIZE;

	if (rlen) {
		memcpy(p + do87_header(rlen), r, rlen);
		ret = put_do87(sm, DIR_RESPONSE, p, rlen);
		if (ret)
			goto err_end;
		p += do87_size(rlen);
	}
	*p++ = TAG_SW;
	*p++ = 2;
	put_unaligned_be16(sw, p);
	p += 2;
	*p++ = TAG_MAC;
	*p++ = MAC_LEN;
	ret = sm_mac(sm, DIR_RESPONSE, NULL, 0, out, p - 2 - out, p);
	if (ret)
		goto err_end;
	p += MAC_LEN;
	put_unaligned_be16(SMCHAN_SW_OK, p);
	advance(sm);
	return total;

err_end:
	memzero_explicit(out, total);
	smchan_sm_end(sm, SMCHAN_END_CRYPTO);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_sm_protect_response);

/*
 * Check a decrypted key block: [N]_8 || N keys of @klen bytes, N in range
 * for @mode, no all-zero key, and K_0 != K_1 in xor (section 6.3).
 */
static bool key_block_ok(enum smchan_mode mode, unsigned int klen,
			 const u8 *kb, size_t len)
{
	unsigned int n, i;

	if (!len)
		return false;
	n = kb[0];
	if (mode == SMCHAN_MODE_XOR || mode == SMCHAN_MODE_RATCHET) {
		if (n != 2)
			return false;
	} else if (n < SMCHAN_GROUP_MIN || n > SMCHAN_GROUP_MAX) {
		return false;
	}
	if (len != 1 + n * klen)
		return false;
	for (i = 0; i < n; i++)
		if (key_is_zero(kb + 1 + i * klen, klen))
			return false;
	return mode != SMCHAN_MODE_XOR || memcmp(kb + 1, kb + 1 + klen, klen);
}

static bool mode_valid(unsigned int mode)
{
	return mode >= SMCHAN_MODE_XOR && mode <= SMCHAN_MODE_RATCHET;
}

/* ENC(MKEY) and MAC(MKEY) into @enc and @mac. */
static int mkey_subkeys(struct smchan_sm *sm, const u8 *mkey, size_t klen,
			u8 *enc, u8 *mac)
{
	int ret;

	ret = smchan_crypto_kdf(&sm->crypto, mkey, klen, label_enc, NULL, 0,
				enc, klen);
	if (!ret)
		ret = smchan_crypto_kdf(&sm->crypto, mkey, klen, label_mac,
					NULL, 0, mac, klen);
	return ret;
}

/* TT = CMAC(MAC(MKEY), B(3,0) || 80 8A P1 P2 || RC || RT || CT) */
static int init_tt(struct smchan_sm *sm, const u8 *mac_mkey, size_t klen,
		   const u8 hdr[4], const u8 *rc, const u8 *rt, const u8 *ct,
		   size_t ctlen, u8 tt[SMCHAN_BLOCK])
{
	u8 b[SMCHAN_BLOCK];
	struct kvec msg[5] = {
		{ .iov_base = b, .iov_len = sizeof(b) },
		{ .iov_base = (void *)hdr, .iov_len = 4 },
		{ .iov_base = (void *)rc, .iov_len = SMCHAN_CHALLENGE_LEN },
		{ .iov_base = (void *)rt, .iov_len = SMCHAN_CHALLENGE_LEN },
		{ .iov_base = (void *)ct, .iov_len = ctlen },
	};

	counter_block(b, DIR_INIT, 0);
	return smchan_crypto_cmac(&sm->crypto, mac_mkey, klen, msg, 5, tt);
}

/* CC = CMAC(MAC(K_1), B(3,1) || RT || RC), with K_1 = @k1 */
static int init_cc(struct smchan_sm *sm, const u8 *k1, size_t klen,
		   const u8 *rt, const u8 *rc, u8 cc[SMCHAN_BLOCK])
{
	u8 mac_k1[SMCHAN_KEY_MAX], b[SMCHAN_BLOCK];
	struct kvec msg[3] = {
		{ .iov_base = b, .iov_len = sizeof(b) },
		{ .iov_base = (void *)rt, .iov_len = SMCHAN_CHALLENGE_LEN },
		{ .iov_base = (void *)rc, .iov_len = SMCHAN_CHALLENGE_LEN },
	};
	int ret;

	counter_block(b, DIR_INIT, 1);
	ret = smchan_crypto_kdf(&sm->crypto, k1, klen, label_mac, NULL, 0,
				mac_k1, klen);
	if (!ret)
		ret = smchan_crypto_cmac(&sm->crypto, mac_k1, klen, msg, 3, cc);
	memzero_explicit(mac_k1, sizeof(mac_k1));
	return ret;
}

/* K_1: the second key of the block in xor and ratchet, the first else. */
static const u8 *key_block_k1(enum smchan_mode mode, unsigned int klen,
			      const u8 *kb)
{
	bool pair = mode == SMCHAN_MODE_XOR || mode == SMCHAN_MODE_RATCHET;

	return kb + 1 + (pair ? klen : 0);
}

/**
 * smchan_init_load() - set up an initialisation from given RT and keys
 * @ini: filled in
 * @mode: key-update mode
 * @klen: 16 or 32
 * @group_n: N: 2 in xor and ratchet, 2..32 in list and opkey
 * @rt: the terminal's random RT
 * @keys: K_0 || K_1, or the group G[0..N-1] / E[0..N-1]
 *
 * smchan_init_prepare() draws the inputs; this takes them, for tests and
 * known-answer checks.
 *
 * Return: 0, or -EINVAL for a bad mode, length, group size, an all-zero
 * key or (xor) K_0 = K_1.
 */
int smchan_init_load(struct smchan_init *ini, enum smchan_mode mode,
		     unsigned int klen, unsigned int group_n,
		     const u8 rt[SMCHAN_CHALLENGE_LEN], const u8 *keys)
{
	size_t len = 1 + group_n * klen;

	memzero_explicit(ini, sizeof(*ini));
	if (!mode_valid(mode) || (klen != 16 && klen != 32) ||
	    group_n > SMCHAN_GROUP_MAX)
		return -EINVAL;
	ini->kb[0] = group_n;
	memcpy(ini->kb + 1, keys, group_n * klen);
	if (!key_block_ok(mode, klen, ini->kb, len)) {
		memzero_explicit(ini, sizeof(*ini));
		return -EINVAL;
	}
	ini->mode = mode;
	ini->klen = klen;
	ini->group_n = group_n;
	memcpy(ini->rt, rt, SMCHAN_CHALLENGE_LEN);
	pad(ini->kb, len);
	ini->kb_len = padded_len(len);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_init_load);

/**
 * smchan_init_prepare() - draw RT and fresh session keys
 * @ini: filled in
 * @mode: key-update mode
 * @klen: 16 or 32
 * @group_n: N for list and opkey (2..32; the patent uses 18); ignored in
 *	xor and ratchet, which send K_0 and K_1
 *
 * Keys come from get_random_bytes(); an all-zero key, or K_0 = K_1 in xor,
 * is drawn again.
 *
 * Return: 0, or -EINVAL for a bad mode, key length or group size.
 */
int smchan_init_prepare(struct smchan_init *ini, enum smchan_mode mode,
			unsigned int klen, unsigned int group_n)
{
	u8 *keys, rt[SMCHAN_CHALLENGE_LEN];
	int ret;

	if (mode == SMCHAN_MODE_XOR || mode == SMCHAN_MODE_RATCHET)
		group_n = 2;
	if (!mode_valid(mode) || (klen != 16 && klen != 32) ||
	    group_n < SMCHAN_GROUP_MIN || group_n > SMCHAN_GROUP_MAX)
		return -EINVAL;

	keys = kmalloc(SMCHAN_GROUP_MAX * SMCHAN_KEY_MAX, GFP_KERNEL);
	if (!keys)
		return -ENOMEM;
	get_random_bytes(rt, sizeof(rt));
	do {
		get_random_bytes(keys, group_n * klen);
		ret = smchan_init_load(ini, mode, klen, group_n, rt, keys);
	} while (ret == -EINVAL);
	kfree_sensitive(keys);
	memzero_explicit(rt, sizeof(rt));
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_init_prepare);

/**
 * smchan_init_wipe() - forget an initialisation
 * @ini: wiped
 */
void smchan_init_wipe(struct smchan_init *ini)
{
	memzero_explicit(ini, sizeof(*ini));
}
EXPORT_SYMBOL_IF_KUNIT(smchan_init_wipe);

/**
 * smchan_init_command() - build INITIALIZE SESSION from the card's challenge
 * @sm: the session object (its transforms are used; any session ends)
 * @ini: from smchan_init_prepare() or smchan_init_load(); RC is stored
 * @mkey: the master key
 * @mkey_len: its length, which must match the suite of @ini
 * @challenge: the card's answer to GET CHALLENGE (smchan_get_challenge)
 * @challenge_len: its length
 * @out: the APDU (kmalloc'd; SMCHAN_INIT_APDU_MAX always suffices)
 * @size: size of @out
 *
 * Return: the length of the APDU, or a negative errno: -EINVAL @mkey_len
 * does not match; -ECONNRESET the card refused GET CHALLENGE (bare status
 * word); -EREMOTEIO a trailer other than 90 00; -EPROTO RC is not 16 bytes;
 * -EMSGSIZE @out is too small; or the crypto API's error. On error @ini is
 * wiped.
 */
int smchan_init_command(struct smchan_sm *sm, struct smchan_init *ini,
			const u8 *mkey, size_t mkey_len, const u8 *challenge,
			size_t challenge_len, u8 *out, size_t size)
{
	u8 enc[SMCHAN_KEY_MAX], mac[SMCHAN_KEY_MAX];
	size_t lc = 2 * SMCHAN_CHALLENGE_LEN + ini->kb_len;
	bool ext = lc > 255;
	size_t total = 4 + (ext ? 3 : 1) + lc + (ext ? 2 : 1);
	u8 *p = out, *ct;
	int ret;

	smchan_sm_end(sm, SMCHAN_END_LOCAL);
	if (mkey_len != ini->klen || !ini->kb_len) {
		ret = -EINVAL;
		goto out;
	}
	if (challenge_len < 2 ||
	    get_unaligned_be16(challenge + challenge_len - 2) != SMCHAN_SW_OK) {
		ret = challenge_len == 2 ? -ECONNRESET : -EREMOTEIO;
		goto out;
	}
	if (challenge_len != SMCHAN_CHALLENGE_LEN + 2) {
		ret = -EPROTO;
		goto out;
	}
	if (total > size) {
		ret = -EMSGSIZE;
		goto out;
	}
	memcpy(ini->rc, challenge, SMCHAN_CHALLENGE_LEN);

	*p++ = 0x80;
	*p++ = 0x8a;
	*p++ = ini->mode;
	*p++ = ini->klen == 16 ? SMCHAN_SUITE_AES128 : SMCHAN_SUITE_AES256;
	if (ext) {
		*p++ = 0;
		*p++ = lc >> 8;
	}
	*p++ = lc;
	memcpy(p, ini->rt, SMCHAN_CHALLENGE_LEN);
	ct = p + SMCHAN_CHALLENGE_LEN;
	memcpy(ct, ini->kb, ini->kb_len);

	ret = mkey_subkeys(sm, mkey, mkey_len, enc, mac);
	if (!ret)
		ret = smchan_crypto_cbc(&sm->crypto, true, enc, mkey_len,
					ini->rt, ct, ini->kb_len);
	if (!ret)
		ret = init_tt(sm, mac, mkey_len, out, ini->rc, ini->rt, ct,
			      ini->kb_len, ct + ini->kb_len);
	p = ct + ini->kb_len + SMCHAN_BLOCK;
	*p++ = 0;
	if (ext)
		*p++ = 0;
out:
	memzero_explicit(enc, sizeof(enc));
	memzero_explicit(mac, sizeof(mac));
	smchan_crypto_scrub(&sm->crypto);
	if (ret) {
		smchan_init_wipe(ini);
		if (ret != -EMSGSIZE && ret != -EINVAL)
			memzero_explicit(out, min(size, total));
		return ret;
	}
	return total;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_init_command);

/**
 * smchan_init_complete() - check the card cryptogram CC and start the session
 * @sm: the session object
 * @ini: the initialisation smchan_init_command() used; always wiped
 * @rsp: the card's answer to INITIALIZE SESSION
 * @len: its length
 *
 * The checks, in order: a bare status word other than 90 00; the trailer
 * 90 00; CC is 16 bytes; CC, compared in constant time.
 *
 * Return: 0 when the session is established (n = 1), or a negative errno:
 * -ECONNRESET the card refused (bare status word); -EREMOTEIO a trailer
 * other than 90 00; -EPROTO a CC of the wrong length; -EBADMSG CC is wrong;
 * -EKEYREJECTED the first ratchet key came out all zero; -ENOMEM no memory
 * for the key group (list, opkey); or the crypto API's error.
 */
int smchan_init_complete(struct smchan_sm *sm, struct smchan_init *ini,
			 const u8 *rsp, size_t len)
{
	u8 cc[SMCHAN_BLOCK];
	size_t kb_len;
	int ret;

	smchan_sm_end(sm, SMCHAN_END_LOCAL);
	if (!ini->kb_len) {
		ret = -EINVAL;
		goto out;
	}
	if (len < 2 || get_unaligned_be16(rsp + len - 2) != SMCHAN_SW_OK) {
		ret = len == 2 ? -ECONNRESET : -EREMOTEIO;
		goto out;
	}
	if (len != SMCHAN_BLOCK + 2) {
		ret = -EPROTO;
		goto out;
	}
	ret = init_cc(sm, key_block_k1(ini->mode, ini->klen, ini->kb),
		      ini->klen, ini->rt, ini->rc, cc);
	if (!ret && crypto_memneq(cc, rsp, SMCHAN_BLOCK))
		ret = -EBADMSG;
	if (!ret)
		ret = unpad(ini->kb, ini->kb_len, &kb_len);
	if (!ret)
		ret = install_keys(sm, ini->mode, ini->klen, ini->group_n,
				   ini->kb + 1);
out:
	memzero_explicit(cc, sizeof(cc));
	smchan_init_wipe(ini);
	smchan_crypto_scrub(&sm->crypto);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_init_complete);

/**
 * smchan_card_init_session() - a card's INITIALIZE SESSION (section 6.3)
 * @sm: the card's session object; any session in progress ends
 * @mkey: the card's master key
 * @mkey_len: its length
 * @rc: the outstanding challenge, or NULL when none is
 * @cmd: the command, CLA 80 INS 8A (the caller checks the class)
 * @cc: the card cryptogram, on success
 *
 * Checks, in order: a fresh RC (else 69 85); P1 and P2 supported and P2
 * matching @mkey_len (6A 86); the data at least 48 bytes and its length
 * minus 32 a multiple of 16 (67 00); TT in constant time (69 88); the key
 * block (6A 80).
 *
 * Return: the status word (%SMCHAN_SW_OK: the session is established and
 * @cc is to be sent with 90 00), or a negative errno: -ENOMEM, or the
 * crypto API's error.
 */
int smchan_card_init_session(struct smchan_sm *sm, const u8 *mkey,
			     size_t mkey_len, const u8 *rc,
			     const struct smchan_apdu *cmd,
			     u8 cc[SMCHAN_BLOCK])
{
	u8 enc[SMCHAN_KEY_MAX], mac[SMCHAN_KEY_MAX], tt[SMCHAN_BLOCK];
	u8 hdr[4] = { cmd->cla, cmd->ins, cmd->p1, cmd->p2 };
	unsigned int klen = cmd->p2 == SMCHAN_SUITE_AES128 ? 16 : 32;
	const u8 *rt, *ct;
	size_t ctlen, kb_len;
	u8 *kb = NULL;
	int ret;

	smchan_sm_end(sm, SMCHAN_END_LOCAL);
	memset(enc, 0, sizeof(enc));
	memset(mac, 0, sizeof(mac));
	if (!rc)
		return SMCHAN_SW_NO_CHALLENGE;
	if (!mode_valid(cmd->p1) || (cmd->p2 != SMCHAN_SUITE_AES128 &&
				     cmd->p2 != SMCHAN_SUITE_AES256) ||
	    klen != mkey_len)
		return SMCHAN_SW_WRONG_P1P2;
	if (cmd->nc < 48 || (cmd->nc - 32) % SMCHAN_BLOCK)
		return SMCHAN_SW_WRONG_LENGTH;

	rt = cmd->data;
	ct = rt + SMCHAN_CHALLENGE_LEN;
	ctlen = cmd->nc - 2 * SMCHAN_CHALLENGE_LEN;
	ret = mkey_subkeys(sm, mkey, klen, enc, mac);
	if (!ret)
		ret = init_tt(sm, mac, klen, hdr, rc, rt, ct, ctlen, tt);
	if (ret)
		goto out;
	ret = SMCHAN_SW_SM_INCORRECT;
	if (crypto_memneq(tt, ct + ctlen, SMCHAN_BLOCK))
		goto out;

	kb = kmemdup(ct, ctlen, GFP_KERNEL);
	if (!kb) {
		ret = -ENOMEM;
		goto out;
	}
	ret = smchan_crypto_cbc(&sm->crypto, false, enc, klen, rt, kb, ctlen);
	if (ret)
		goto out;
	ret = SMCHAN_SW_WRONG_DATA;
	if (unpad(kb, ctlen, &kb_len) ||
	    !key_block_ok(cmd->p1, klen, kb, kb_len))
		goto out;
	ret = init_cc(sm, key_block_k1(cmd->p1, klen, kb), klen, rt, rc, cc);
	if (!ret)
		ret = install_keys(sm, cmd->p1, klen, kb[0], kb + 1);
	if (ret == -EKEYREJECTED)
		ret = SMCHAN_SW_WRONG_DATA;
	else if (!ret)
		ret = SMCHAN_SW_OK;
out:
	if (kb)
		kfree_sensitive(kb);
	memzero_explicit(enc, sizeof(enc));
	memzero_explicit(mac, sizeof(mac));
	memzero_explicit(tt, sizeof(tt));
	smchan_crypto_scrub(&sm->crypto);
	if (ret != SMCHAN_SW_OK)
		memzero_explicit(cc, SMCHAN_BLOCK);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_card_init_session);

/**
 * smchan_chain_feed() - add one piece of a response chained with 61 xx
 * @ch: the response so far (@ch->len 0 before the first piece) in
 *	@ch->buf of @ch->size bytes (SMCHAN_PROT_RSP_MAX suffices)
 * @piece: the card's answer to the command, or to the last GET RESPONSE
 * @len: its length
 * @get_response: on return 1, the GET RESPONSE to send next:
 *	00 C0 00 00 xx with xx from the piece's 61 xx
 *
 * Return: 1 when another piece must be fetched; 0 when @ch->buf holds the
 * whole response, ending with the last piece's status word; -EPROTO for a
 * piece shorter than its status word; -EMSGSIZE when the response would
 * not fit @ch->buf.
 */
int smchan_chain_feed(struct smchan_chain *ch, const u8 *piece, size_t len,
		      u8 get_response[5])
{
	bool more;
	size_t add;

	if (len < 2)
		return -EPROTO;
	more = piece[len - 2] == 0x61;
	add = more ? len - 2 : len;
	if (add > ch->size - ch->len)
		return -EMSGSIZE;
	memcpy(ch->buf + ch->len, piece, add);
	ch->len += add;
	if (!more)
		return 0;
	get_response[0] = 0x00;
	get_response[1] = 0xc0;
	get_response[2] = 0x00;
	get_response[3] = 0x00;
	get_response[4] = piece[len - 1];
	return 1;
}
EXPORT_SYMBOL_IF_KUNIT(smchan_chain_feed);
