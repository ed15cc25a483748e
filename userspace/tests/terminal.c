// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "../card/apdu.h"
#include "../card/crypto.h"
#include "../card/sm.h"
#include "terminal.h"

size_t term_init(struct term *t, uint8_t mode, const uint8_t *mkey,
		 size_t klen, const uint8_t *rc, const uint8_t *rt,
		 const uint8_t *keys, unsigned int N, int extended_always,
		 uint8_t *apdu, struct term_trace *tr)
{
	uint8_t enc[32], mac[32], kb[1 + VC_MAX_GROUP * VC_MAX_KEY + 16];
	uint8_t blk[16], ct[sizeof(kb)], tt[16];
	size_t kblen = 1 + N * klen, ctlen, lc, p = 0;
	uint8_t hdr[4] = { 0x80, 0x8A, mode, klen == 16 ? 1 : 2 };

	memset(t, 0, sizeof(*t));
	memcpy(t->mkey, mkey, klen);
	t->klen = klen;
	memcpy(t->rc, rc, 16);
	memcpy(t->rt, rt, 16);
	kb[0] = (uint8_t)N;
	memcpy(kb + 1, keys, N * klen);
	if (tr) {
		memcpy(tr->key_block, kb, kblen);
		tr->key_block_len = kblen;
	}
	ctlen = vc_pad(kb, kblen);
	vc_subkey_enc(mkey, klen, enc);
	vc_subkey_mac(mkey, klen, mac);
	vc_cbc_encrypt(enc, klen, rt, kb, ctlen, ct);
	vc_counter_block(blk, 0x03, 0);
	{
		struct vc_part parts[] = { { blk, 16 }, { hdr, 4 }, { rc, 16 },
					   { rt, 16 }, { ct, ctlen } };

		vc_cmac(mac, klen, parts, 5, tt);
		if (tr) {
			memcpy(tr->ct, ct, ctlen);
			tr->ct_len = ctlen;
			tr->tt_input_len = 0;
			for (size_t i = 0; i < 5; i++) {
				memcpy(tr->tt_input + tr->tt_input_len,
				       parts[i].p, parts[i].len);
				tr->tt_input_len += parts[i].len;
			}
			memcpy(tr->tt, tt, 16);
		}
	}
	lc = 32 + ctlen;
	memcpy(apdu, hdr, 4);
	p = 4;
	if (lc > 255 || extended_always) {
		apdu[p++] = 0;
		apdu[p++] = (uint8_t)(lc >> 8);
		apdu[p++] = (uint8_t)lc;
	} else {
		apdu[p++] = (uint8_t)lc;
	}
	memcpy(apdu + p, rt, 16);
	memcpy(apdu + p + 16, ct, ctlen);
	memcpy(apdu + p + 16 + ctlen, tt, 16);
	p += lc;
	apdu[p++] = 0;
	if (lc > 255 || extended_always)
		apdu[p++] = 0;
	vc_sm_install(&t->s, mode, klen, kb, kblen);
	vc_wipe(kb, sizeof(kb));
	vc_wipe(enc, sizeof(enc));
	vc_wipe(mac, sizeof(mac));
	return p;
}

const char *term_check_cc(struct term *t, const uint8_t *rsp, size_t len)
{
	uint8_t mac[32], blk[16], cc[16];
	struct vc_part parts[] = { { blk, 16 }, { t->rt, 16 }, { t->rc, 16 } };

	if (len == 2)
		return "card-error";
	if (rsp[len - 2] != 0x90 || rsp[len - 1] != 0x00)
		return "trailer";
	if (len != 18)
		return "format";
	vc_subkey_mac(t->s.k_n, t->klen, mac);
	vc_counter_block(blk, 0x03, 1);
	vc_cmac(mac, t->klen, parts, 3, cc);
	vc_wipe(mac, sizeof(mac));
	if (vc_memneq(cc, rsp, 16))
		return "cc";
	return NULL;
}

size_t term_protect(struct term *t, const uint8_t *plain, size_t len, int sel,
		    uint8_t *out, struct term_trace *tr)
{
	static uint8_t d[65536 + 32], body[65600];
	uint8_t enc[32], mac[32], blk[16], iv[16], tag[16], hdr[4];
	size_t klen = t->s.klen, dlen = 0, plen, blen = 0, p = 0, do87 = 0;
	size_t do97 = 0;
	struct vc_apdu a;
	bool sel_mode = t->s.mode == VC_LIST || t->s.mode == VC_OPKEY;

	if (vc_apdu_parse(plain, len, &a) || vc_classify(a.cla) != VC_CLA_PLAIN)
		return 0;
	if (sel_mode) {
		if (sel < 0 || vc_sm_select(&t->s, (unsigned int)sel))
			return 0;
		d[dlen++] = (uint8_t)sel;
	}
	if (a.lc)
		memcpy(d + dlen, a.data, a.lc);
	dlen += a.lc;
	if (dlen > VC_MAX_R)
		return 0;
	hdr[0] = a.cla & 0x80 ? a.cla | 0x04 : a.cla | 0x0C;
	hdr[1] = a.ins;
	hdr[2] = a.p1;
	hdr[3] = a.p2;
	vc_subkey_enc(t->s.k_n, klen, enc);
	vc_subkey_mac(t->s.k_n, klen, mac);
	vc_counter_block(blk, 0x01, t->s.n);
	vc_aes(enc, klen, blk, iv);
	if (tr) {
		memcpy(tr->enc_k, enc, klen);
		memcpy(tr->mac_k, mac, klen);
		memcpy(tr->dprime, d, dlen);
		tr->dprime_len = dlen;
		memcpy(tr->iv, iv, 16);
	}
	if (dlen) {
		plen = vc_pad(d, dlen);
		body[blen++] = 0x87;
		blen += vc_put_len(body + blen, 1 + plen);
		body[blen++] = 0x01;
		vc_cbc_encrypt(enc, klen, iv, d, plen, body + blen);
		blen += plen;
		do87 = blen;
	}
	if (a.has_le) {
		body[blen++] = 0x97;
		if (a.ne <= 256) {
			body[blen++] = 1;
			body[blen++] = (uint8_t)a.ne;
		} else {
			body[blen++] = 2;
			body[blen++] = (uint8_t)(a.ne >> 8);
			body[blen++] = (uint8_t)a.ne;
		}
		do97 = blen - do87;
	}
	{
		struct vc_part parts[] = { { blk, 16 }, { hdr, 4 },
					   { body, do87 + do97 } };

		vc_cmac(mac, klen, parts, 3, tag);
		if (tr) {
			memcpy(tr->mac_input, blk, 16);
			memcpy(tr->mac_input + 16, hdr, 4);
			memcpy(tr->mac_input + 20, body, do87 + do97);
			tr->mac_input_len = 20 + do87 + do97;
			memcpy(tr->mac, tag, 8);
		}
	}
	body[blen++] = 0x8E;
	body[blen++] = 0x08;
	memcpy(body + blen, tag, 8);
	blen += 8;
	memcpy(out, hdr, 4);
	p = 4;
	if (blen <= 255 && a.ne <= 256) {
		out[p++] = (uint8_t)blen;
		memcpy(out + p, body, blen);
		p += blen;
		out[p++] = 0;
	} else {
		out[p++] = 0;
		out[p++] = (uint8_t)(blen >> 8);
		out[p++] = (uint8_t)blen;
		memcpy(out + p, body, blen);
		p += blen;
		out[p++] = 0;
		out[p++] = 0;
	}
	vc_wipe(enc, sizeof(enc));
	vc_wipe(mac, sizeof(mac));
	vc_wipe(d, sizeof(d));
	return p;
}

const char *term_unprotect(struct term *t, const uint8_t *rsp, size_t len,
			   uint8_t *plain, size_t *plain_len,
			   struct term_trace *tr)
{
	uint8_t enc[32], mac[32], blk[16], iv[16], tag[16];
	static const uint8_t tags[3] = { 0x87, 0x99, 0x8E };
	size_t klen = t->s.klen, rlen = 0, end99;
	const char *why = NULL;
	struct vc_do d[3];

	if (len < 2)
		return "format";
	if (len == 2)
		return rsp[0] == 0x90 && rsp[1] == 0 ? "format" : "card-error";
	if (rsp[len - 2] != 0x90 || rsp[len - 1] != 0x00)
		return "trailer";
	if (vc_sm_parse_body(rsp, len - 2, tags, d) || !d[1].tlv || !d[2].tlv)
		return "format";	/* DO99 and DO8E are mandatory here */
	end99 = (size_t)(d[1].v + 2 - rsp);
	vc_subkey_enc(t->s.k_n, klen, enc);
	vc_subkey_mac(t->s.k_n, klen, mac);
	vc_counter_block(blk, 0x02, t->s.n);
	vc_aes(enc, klen, blk, iv);
	{
		struct vc_part parts[] = { { blk, 16 }, { rsp, end99 } };

		vc_cmac(mac, klen, parts, 2, tag);
		if (tr) {
			memcpy(tr->iv, iv, 16);
			memcpy(tr->mac_input, blk, 16);
			memcpy(tr->mac_input + 16, rsp, end99);
			tr->mac_input_len = 16 + end99;
			memcpy(tr->mac, tag, 8);
		}
	}
	if (vc_memneq(tag, d[2].v, 8)) {
		why = "mac";
		goto out;
	}
	if (d[0].tlv) {
		vc_cbc_decrypt(enc, klen, iv, d[0].v + 1, d[0].vlen - 1, plain);
		if (vc_unpad(plain, d[0].vlen - 1, &rlen)) {
			why = "padding";
			goto out;
		}
	}
	plain[rlen] = d[1].v[0];
	plain[rlen + 1] = d[1].v[1];
	*plain_len = rlen + 2;
	if (vc_sm_advance(&t->s))
		why = "zero-key";
out:
	vc_wipe(enc, sizeof(enc));
	vc_wipe(mac, sizeof(mac));
	return why;
}
