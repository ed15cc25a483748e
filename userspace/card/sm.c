// SPDX-License-Identifier: GPL-2.0
/*
 * Secure messaging, card side.  Threat model: the terminal-card link is
 * observed and modified by an attacker; the card must never act on a
 * command whose MAC is wrong, never answer in a way that tells a bad MAC
 * from a bad padding apart beyond the documented status words (the MAC is
 * checked first, in constant time, so the padding check is no oracle), and
 * must hold only keys that have not protected anything yet between pairs,
 * so that a memory dump exposes no past traffic (section 3).
 */
#include <string.h>

#include "sm.h"

static const uint8_t LABEL_RATCHET[] = "smchan-ratchet";

const char *vc_mode_name(uint8_t mode)
{
	switch (mode) {
	case VC_XOR:
		return "xor";
	case VC_LIST:
		return "list";
	case VC_OPKEY:
		return "opkey";
	case VC_RATCHET:
		return "ratchet";
	default:
		return "?";
	}
}

void vc_counter_block(uint8_t b[VC_BLOCK], uint8_t d, uint64_t n)
{
	int i;

	memset(b, 0, VC_BLOCK);
	b[0] = d;
	for (i = 0; i < 8; i++)
		b[15 - i] = (uint8_t)(n >> (8 * i));
}

size_t vc_pad(uint8_t *buf, size_t len)
{
	buf[len++] = 0x80;
	while (len % VC_BLOCK)
		buf[len++] = 0x00;
	return len;
}

int vc_unpad(const uint8_t *buf, size_t len, size_t *out_len)
{
	size_t i;

	if (!len || len % VC_BLOCK)
		return -1;
	/* the last non-zero byte must be 80 and lie in the last block */
	for (i = len; i > len - VC_BLOCK; i--) {
		if (buf[i - 1] == 0x80) {
			*out_len = i - 1;
			return 0;
		}
		if (buf[i - 1] != 0x00)
			return -1;
	}
	return -1;
}

void vc_sm_end(struct vc_session *s)
{
	vc_wipe(s, sizeof(*s));
	s->prev_sel = -1;
}

/* K_{n+2} = KDF(K_n, "smchan-ratchet", K_{n+1} || [n+1]_64, |K|) */
static int ratchet(const uint8_t *older, const uint8_t *newer, size_t klen,
		   uint64_t n_newer, uint8_t *out)
{
	uint8_t ctx[VC_MAX_KEY + 8];
	int i, ret;

	memcpy(ctx, newer, klen);
	for (i = 0; i < 8; i++)
		ctx[klen + 7 - i] = (uint8_t)(n_newer >> (8 * i));
	ret = vc_kdf(older, klen, LABEL_RATCHET, sizeof(LABEL_RATCHET) - 1,
		     ctx, klen + 8, out, klen);
	vc_wipe(ctx, sizeof(ctx));
	return ret;
}

static void xor_keys(const uint8_t *a, const uint8_t *b, size_t len,
		     uint8_t *out)
{
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = a[i] ^ b[i];
}

int vc_sm_install(struct vc_session *s, uint8_t mode, size_t klen,
		  const uint8_t *kb, size_t kb_len)
{
	unsigned int N, i;
	const uint8_t *k0, *k1;

	vc_sm_end(s);
	if (!kb_len || (klen != 16 && klen != 32))
		return -1;
	N = kb[0];
	if (mode == VC_XOR || mode == VC_RATCHET) {
		if (N != 2)
			return -1;
	} else if (mode == VC_LIST || mode == VC_OPKEY) {
		if (N < 2 || N > VC_MAX_GROUP)
			return -1;
	} else {
		return -1;
	}
	if (kb_len != 1 + N * klen)
		return -1;
	for (i = 0; i < N; i++)
		if (vc_is_zero(kb + 1 + i * klen, klen))
			return -1;
	k0 = kb + 1;
	k1 = kb + 1 + klen;
	if (mode == VC_XOR && !vc_memneq(k0, k1, klen))
		return -1;	/* K_2 would be all zeros */

	s->mode = mode;
	s->klen = klen;
	s->n = 1;
	s->prev_sel = -1;
	if (mode == VC_XOR || mode == VC_RATCHET) {
		memcpy(s->k_n, k1, klen);
		if (mode == VC_XOR)
			xor_keys(k0, k1, klen, s->k_next);
		else if (ratchet(k0, k1, klen, 1, s->k_next))
			goto fail;
		if (vc_is_zero(s->k_next, klen))
			goto fail;
	} else {
		s->N = N;
		for (i = 0; i < N; i++)
			memcpy(s->group[i], kb + 1 + i * klen, klen);
		memcpy(s->k_n, s->group[0], klen);
	}
	s->active = true;
	return 0;
fail:
	vc_sm_end(s);
	return -1;
}

int vc_sm_select(struct vc_session *s, unsigned int sel)
{
	const uint8_t *e;
	size_t i;

	if (sel >= s->N)
		return -1;
	e = s->group[sel];
	s->sel = (int)sel;

	if (s->mode == VC_LIST) {
		memcpy(s->k_next, e, s->klen);
	} else {
		switch ((s->n - 1) % 3) {
		case 0:
			xor_keys(s->k_n, e, s->klen, s->k_next);
			break;
		case 1:
			for (i = 0; i < s->klen; i++)
				s->k_next[i] = s->k_n[i] & e[i];
			break;
		default:
			xor_keys(s->group[s->prev_sel], e, s->klen, s->k_next);
			break;
		}
	}
	return vc_is_zero(s->k_next, s->klen) ? -1 : 0;
}

int vc_sm_parse_body(const uint8_t *b, size_t len, const uint8_t tags[3],
		     struct vc_do dos[3])
{
	size_t p = 0, vlen, hl;
	int next = 0, t;

	memset(dos, 0, 3 * sizeof(*dos));
	while (p < len) {
		for (t = next; t < 3 && tags[t] != b[p]; t++)
			;
		if (t == 3 || len - p < 2)
			return -1;
		/* len() of section 1: shortest form only */
		if (b[p + 1] < 0x80) {
			vlen = b[p + 1];
			hl = 2;
		} else if (b[p + 1] == 0x81 && len - p >= 3 && b[p + 2] >= 0x80) {
			vlen = b[p + 2];
			hl = 3;
		} else if (b[p + 1] == 0x82 && len - p >= 4 &&
			   (b[p + 2] << 8 | b[p + 3]) >= 0x100) {
			vlen = (size_t)b[p + 2] << 8 | b[p + 3];
			hl = 4;
		} else {
			return -1;
		}
		if (len - p - hl < vlen)
			return -1;
		switch (tags[t]) {
		case 0x87:	/* 01 || a non-zero multiple of 16 bytes */
			if (vlen < 1 + VC_BLOCK || (vlen - 1) % VC_BLOCK ||
			    b[p + hl] != 0x01)
				return -1;
			break;
		case 0x97:
			if (vlen != 1 && vlen != 2)
				return -1;
			break;
		case 0x99:
			if (vlen != 2)
				return -1;
			break;
		default:	/* 8E */
			if (vlen != 8)
				return -1;
			break;
		}
		dos[t].tlv = b + p;
		dos[t].tlv_len = hl + vlen;
		dos[t].v = b + p + hl;
		dos[t].vlen = vlen;
		p += hl + vlen;
		next = t + 1;
	}
	return 0;
}

uint16_t vc_sm_unwrap(struct vc_session *s, const struct vc_apdu *outer,
		      struct vc_apdu *inner, uint8_t *dbuf)
{
	uint8_t enc[VC_MAX_KEY], mac[VC_MAX_KEY], blk[VC_BLOCK], iv[VC_BLOCK];
	uint8_t hdr[4] = { outer->cla, outer->ins, outer->p1, outer->p2 };
	static const uint8_t tags[3] = { 0x87, 0x97, 0x8E };
	uint8_t t[VC_BLOCK];
	struct vc_do d[3], *do87 = &d[0], *do97 = &d[1], *do8e = &d[2];
	size_t dlen = 0, klen = s->klen;
	uint16_t sw = 0x6988;

	if (vc_sm_parse_body(outer->data, outer->lc, tags, d))
		return 0x6988;				/* check 2 */
	if (!do8e->tlv)
		return 0x6987;				/* check 3 */
	if (vc_subkey_enc(s->k_n, klen, enc) || vc_subkey_mac(s->k_n, klen, mac))
		goto out;
	vc_counter_block(blk, 0x01, s->n);
	{
		struct vc_part parts[] = {
			{ blk, VC_BLOCK }, { hdr, 4 },
			{ do87->tlv, do87->tlv_len },
			{ do97->tlv, do97->tlv_len },
		};

		if (vc_cmac(mac, klen, parts, 4, t))
			goto out;
	}
	if (vc_memneq(t, do8e->v, 8))
		goto out;				/* check 4 */
	if (do87->tlv) {
		if (vc_aes(enc, klen, blk, iv) ||
		    vc_cbc_decrypt(enc, klen, iv, do87->v + 1, do87->vlen - 1,
				   dbuf) ||
		    vc_unpad(dbuf, do87->vlen - 1, &dlen))
			goto out;			/* check 5 */
	}
	memset(inner, 0, sizeof(*inner));
	inner->cla = outer->cla & ~0x0C;
	inner->ins = outer->ins;
	inner->p1 = outer->p1;
	inner->p2 = outer->p2;
	inner->data = dbuf;
	inner->lc = dlen;
	s->sel = -1;
	if (s->mode == VC_LIST || s->mode == VC_OPKEY) {	/* check 6 */
		if (!dlen || vc_sm_select(s, dbuf[0]))
			goto out;
		inner->data = dbuf + 1;
		inner->lc = dlen - 1;
	}
	if (!inner->lc)
		inner->data = NULL;
	if (do97->tlv) {	/* 00 means 256, 0000 means 65536 */
		inner->has_le = true;
		if (do97->vlen == 1)
			inner->ne = do97->v[0] ? do97->v[0] : 256;
		else
			inner->ne = (do97->v[0] << 8 | do97->v[1]) ?
				    (size_t)(do97->v[0] << 8 | do97->v[1]) :
				    65536;
	}
	inner->extended = inner->lc > 255 || inner->ne > 256;
	sw = 0;
out:
	vc_wipe(enc, sizeof(enc));
	vc_wipe(mac, sizeof(mac));
	vc_wipe(iv, sizeof(iv));
	if (sw && s->mode != VC_XOR && s->mode != VC_RATCHET)
		vc_wipe(s->k_next, sizeof(s->k_next));
	return sw;
}

size_t vc_put_len(uint8_t *p, size_t len)
{
	if (len < 0x80) {
		p[0] = (uint8_t)len;
		return 1;
	}
	if (len < 0x100) {
		p[0] = 0x81;
		p[1] = (uint8_t)len;
		return 2;
	}
	p[0] = 0x82;
	p[1] = (uint8_t)(len >> 8);
	p[2] = (uint8_t)len;
	return 3;
}

size_t vc_sm_wrap(struct vc_session *s, const uint8_t *r, size_t rlen,
		  uint16_t sw, uint8_t *out)
{
	uint8_t enc[VC_MAX_KEY], mac[VC_MAX_KEY], blk[VC_BLOCK], iv[VC_BLOCK];
	uint8_t t[VC_BLOCK], *p = out, *c;
	size_t klen = s->klen, plen, hl, n = 0;

	if (vc_subkey_enc(s->k_n, klen, enc) || vc_subkey_mac(s->k_n, klen, mac))
		goto out;
	vc_counter_block(blk, 0x02, s->n);
	if (rlen) {
		plen = (rlen / VC_BLOCK + 1) * VC_BLOCK;
		*p++ = 0x87;
		hl = vc_put_len(p, 1 + plen);
		p += hl;
		*p++ = 0x01;
		c = p;
		memmove(c, r, rlen);
		vc_pad(c, rlen);
		if (vc_aes(enc, klen, blk, iv) ||
		    vc_cbc_encrypt(enc, klen, iv, c, plen, c))
			goto out;
		p += plen;
	}
	*p++ = 0x99;
	*p++ = 0x02;
	*p++ = sw >> 8;
	*p++ = sw & 0xFF;
	{
		struct vc_part parts[] = {
			{ blk, VC_BLOCK }, { out, (size_t)(p - out) },
		};

		if (vc_cmac(mac, klen, parts, 2, t))
			goto out;
	}
	*p++ = 0x8E;
	*p++ = 0x08;
	memcpy(p, t, 8);
	p += 8;
	n = (size_t)(p - out);
out:
	vc_wipe(enc, sizeof(enc));
	vc_wipe(mac, sizeof(mac));
	vc_wipe(iv, sizeof(iv));
	vc_wipe(t, sizeof(t));
	return n;
}

int vc_sm_advance(struct vc_session *s)
{
	uint8_t next[VC_MAX_KEY];
	size_t klen = s->klen;
	int ret = 0;

	switch (s->mode) {
	case VC_XOR:
		xor_keys(s->k_n, s->k_next, klen, next);
		break;
	case VC_RATCHET:
		ret = ratchet(s->k_n, s->k_next, klen, s->n + 1, next);
		break;
	default:
		/* list/opkey: the candidate of check 6 becomes K_{n+1} */
		memcpy(s->k_n, s->k_next, klen);
		vc_wipe(s->k_next, sizeof(s->k_next));
		s->prev_sel = s->sel;
		s->n++;
		return 0;
	}
	if (ret || vc_is_zero(next, klen)) {
		vc_wipe(next, sizeof(next));
		vc_sm_end(s);
		return -1;
	}
	memcpy(s->k_n, s->k_next, klen);	/* K_n is wiped by this copy */
	memcpy(s->k_next, next, klen);
	vc_wipe(next, sizeof(next));
	s->n++;
	return 0;
}
