// SPDX-License-Identifier: GPL-2.0
/*
 * The card's command dispatcher.  For every APDU, in this order:
 *   1. RC (GET CHALLENGE's answer) is consumed: it is valid for the next
 *      command only, whatever that is (section 6.1).
 *   2. The class: neither plain nor protected -> 6E00 (section 4).
 *   3. The framing: invalid -> 6700 (plain CLA) or 6988 (protected CLA).
 *      Both failures end a session and drop a pending response.
 *   4. A response being fetched: exactly 00 C0 00 00 Le serves the next
 *      piece; anything else drops it.
 *   5. A protected CLA goes through the SM checks; a plain one ends a
 *      session (section 7) and is executed: GET RESPONSE, GET CHALLENGE,
 *      INITIALIZE SESSION, or the file system.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "apdu.h"
#include "crypto.h"
#include "fs.h"
#include "sm.h"
#include "vcard.h"

struct vcard {
	struct vc_fs fs;
	struct vc_session s;
	uint8_t rc[VC_BLOCK];
	int rc_valid;
	/* the rest of a response being fetched with GET RESPONSE */
	uint8_t *pending;
	size_t pending_len, pending_off;
	uint16_t pending_sw;
	vcard_rng_fn rng;
	void *rng_ctx;
	struct vcard_event ev;
	int demo;			/* vcard_set_demo */
	uint8_t r[VCARD_RSP_MAX];	/* plain response data */
	uint8_t d[VCARD_RSP_MAX];	/* decrypted D' */
};

static int default_rng(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

struct vcard *vcard_new(const uint8_t *img, size_t len)
{
	struct vcard *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (vc_fs_parse(&c->fs, img, len)) {
		free(c);
		return NULL;
	}
	c->rng = default_rng;
	vc_sm_end(&c->s);
	return c;
}

static void drop_pending(struct vcard *c)
{
	if (c->pending) {
		vc_wipe(c->pending, c->pending_len);
		free(c->pending);
	}
	c->pending = NULL;
	c->pending_len = c->pending_off = 0;
}

void vcard_free(struct vcard *c)
{
	if (!c)
		return;
	drop_pending(c);
	vc_fs_free(&c->fs);
	vc_wipe(c, sizeof(*c));
	free(c);
}

void vcard_set_commit(struct vcard *c, vcard_commit_fn fn, void *ctx)
{
	c->fs.commit = fn;
	c->fs.commit_ctx = ctx;
}

void vcard_set_rng(struct vcard *c, vcard_rng_fn fn, void *ctx)
{
	c->rng = fn ? fn : default_rng;
	c->rng_ctx = ctx;
}

void vcard_reset(struct vcard *c)
{
	vc_sm_end(&c->s);
	vc_wipe(c->rc, sizeof(c->rc));
	c->rc_valid = 0;
	drop_pending(c);
	vc_fs_reset(&c->fs);
}

void vcard_set_demo(struct vcard *c, int on)
{
	c->demo = on;
}

const struct vcard_event *vcard_last_event(const struct vcard *c)
{
	return &c->ev;
}

const struct vc_session *vcard_session(const struct vcard *c)
{
	return &c->s;
}

const struct vc_fs *vcard_fs(const struct vcard *c)
{
	return &c->fs;
}

int vcard_create_image(const uint8_t *mkey, size_t klen, uint8_t **img,
		       size_t *len)
{
	struct vc_fs fs;
	int ret;

	if (vc_fs_default(&fs, mkey, klen))
		return -1;
	ret = vc_fs_serialize(&fs, img, len);
	vc_fs_free(&fs);
	return ret;
}

static size_t sw_only(uint8_t *rsp, uint16_t sw)
{
	rsp[0] = sw >> 8;
	rsp[1] = sw & 0xFF;
	return 2;
}

/*
 * Sends data || sw, or, when it is longer than max, its first max bytes
 * and 61 xx, keeping the rest for GET RESPONSE (xx = bytes left, 00 from
 * 256 on).
 */
static size_t deliver(struct vcard *c, const uint8_t *data, size_t len,
		      uint16_t sw, size_t max, uint8_t *rsp)
{
	size_t left;

	if (len > max) {
		c->pending = malloc(len - max);
		if (!c->pending)
			return sw_only(rsp, 0x6581);
		memcpy(c->pending, data + max, len - max);
		c->pending_len = len - max;
		c->pending_off = 0;
		c->pending_sw = sw;
		left = len - max;
		sw = 0x6100 | (left >= 256 ? 0 : left);
		len = max;
	}
	memmove(rsp, data, len);
	return len + sw_only(rsp + len, sw);
}

static size_t get_response(struct vcard *c, size_t ne, uint8_t *rsp)
{
	size_t left = c->pending_len - c->pending_off, n = ne < left ? ne : left;
	uint16_t sw;

	memcpy(rsp, c->pending + c->pending_off, n);
	c->pending_off += n;
	left -= n;
	if (left)
		sw = 0x6100 | (left >= 256 ? 0 : left);
	else
		sw = c->pending_sw;
	if (!left)
		drop_pending(c);
	return n + sw_only(rsp + n, sw);
}

static bool is_get_response(const struct vc_apdu *a)
{
	return a->cla == 0x00 && a->ins == 0xC0 && a->p1 == 0 && a->p2 == 0 &&
	       !a->extended && !a->lc && a->has_le;
}

/* Section 6.1: 00 84 00 00 10. */
static size_t get_challenge(struct vcard *c, const struct vc_apdu *a,
			    uint8_t *rsp)
{
	if (a->p1 || a->p2)
		return sw_only(rsp, 0x6A86);
	if (a->lc || a->ne != VC_BLOCK)
		return sw_only(rsp, 0x6700);
	if (c->rng(c->rng_ctx, c->rc, VC_BLOCK))
		return sw_only(rsp, 0x6581);
	c->rc_valid = 1;
	memcpy(rsp, c->rc, VC_BLOCK);
	return VC_BLOCK + sw_only(rsp + VC_BLOCK, 0x9000);
}

/* Section 6.3, with RC already taken out of the card (rc, had_rc). */
static uint16_t initialize_session(struct vcard *c, const struct vc_apdu *a,
				   const uint8_t *rc, int had_rc, uint8_t *rsp)
{
	const struct vc_file *mk = vc_fs_lookup(&c->fs, VC_FID_MKEY);
	uint8_t enc[VC_MAX_KEY], mac[VC_MAX_KEY], blk[VC_BLOCK], t[VC_BLOCK];
	uint8_t hdr[4] = { a->cla, a->ins, a->p1, a->p2 }, *kb = NULL;
	const uint8_t *rt, *ct, *tt;
	size_t klen = mk->size, ctlen, kblen;
	uint16_t sw;

	if (!had_rc)
		return 0x6985;
	if (a->p1 < VC_XOR || a->p1 > VC_RATCHET || a->p2 < 1 || a->p2 > 2 ||
	    (a->p2 == 1 ? 16u : 32u) != klen)
		return 0x6A86;
	if (a->lc < 48 || (a->lc - 32) % VC_BLOCK)
		return 0x6700;
	rt = a->data;
	ct = a->data + VC_BLOCK;
	ctlen = a->lc - 2 * VC_BLOCK;
	tt = ct + ctlen;
	sw = 0x6988;
	if (vc_subkey_enc(mk->data, klen, enc) ||
	    vc_subkey_mac(mk->data, klen, mac))
		goto out;
	vc_counter_block(blk, 0x03, 0);
	{
		struct vc_part parts[] = {
			{ blk, VC_BLOCK }, { hdr, 4 }, { rc, VC_BLOCK },
			{ rt, VC_BLOCK }, { ct, ctlen },
		};

		if (vc_cmac(mac, klen, parts, 5, t) || vc_memneq(t, tt, VC_BLOCK))
			goto out;
	}
	sw = 0x6A80;
	kb = malloc(ctlen);
	if (!kb || vc_cbc_decrypt(enc, klen, rt, ct, ctlen, kb) ||
	    vc_unpad(kb, ctlen, &kblen) ||
	    vc_sm_install(&c->s, a->p1, klen, kb, kblen))
		goto out;
	/* CC = CMAC(MAC(K_1), B(3,1) || RT || RC) */
	vc_wipe(mac, sizeof(mac));
	sw = 0x6581;
	vc_counter_block(blk, 0x03, 1);
	{
		struct vc_part parts[] = {
			{ blk, VC_BLOCK }, { rt, VC_BLOCK }, { rc, VC_BLOCK },
		};

		if (vc_subkey_mac(c->s.k_n, klen, mac) ||
		    vc_cmac(mac, klen, parts, 3, rsp)) {
			vc_sm_end(&c->s);
			goto out;
		}
	}
	sw = 0x9000;
out:
	if (kb) {
		vc_wipe(kb, ctlen);
		free(kb);
	}
	vc_wipe(enc, sizeof(enc));
	vc_wipe(mac, sizeof(mac));
	vc_wipe(t, sizeof(t));
	return sw;
}

static size_t plain_command(struct vcard *c, const struct vc_apdu *a,
			    const uint8_t *rc, int had_rc, uint8_t *rsp)
{
	size_t rlen = 0;
	uint16_t sw;

	if (c->s.active)
		vc_sm_end(&c->s);	/* section 7: an unprotected command */
	if (is_get_response(a))
		return sw_only(rsp, 0x6985);	/* nothing pending */
	if (a->cla == 0x00 && a->ins == 0x84)
		return get_challenge(c, a, rsp);
	if (a->ins == 0x8A) {
		if (a->cla != 0x80)
			return sw_only(rsp, 0x6D00);
		sw = initialize_session(c, a, rc, had_rc, rsp);
		return sw == 0x9000 ? VC_BLOCK + sw_only(rsp + VC_BLOCK, sw) :
				      sw_only(rsp, sw);
	}
	sw = vc_fs_command(&c->fs, a, false, c->r, &rlen);
	/* An answer longer than Ne is fetched with GET RESPONSE. */
	return deliver(c, c->r, rlen, sw, a->ne && a->ne < rlen ? a->ne : rlen,
		       rsp);
}

static size_t protected_command(struct vcard *c, const struct vc_apdu *a,
				uint8_t *rsp)
{
	struct vc_apdu in;
	size_t rlen = 0, blen, max;
	uint16_t sw;

	if (!c->s.active) {
		c->ev.mode = "none";
		return sw_only(rsp, 0x6988);		/* check 1 */
	}
	c->ev.mode = vc_mode_name(c->s.mode);
	c->ev.sm_n = c->s.n;
	if (c->demo) {
		uint8_t md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;

		if (EVP_Digest(c->s.k_n, c->s.klen, md, &mdlen, EVP_sha256(),
			       NULL) == 1 && mdlen >= 4) {
			memcpy(c->ev.key_fp, md, 4);
			c->ev.has_key_fp = 1;
		}
		vc_wipe(md, sizeof(md));
	}
	sw = vc_sm_unwrap(&c->s, a, &in, c->d);
	if (sw) {
		vc_wipe(c->d, a->lc);
		vc_sm_end(&c->s);
		return sw_only(rsp, sw);
	}
	sw = vc_fs_command(&c->fs, &in, true, c->r, &rlen);
	vc_wipe(c->d, a->lc);	/* D' is never longer than the body */
	max = in.ne < VC_MAX_R ? in.ne : VC_MAX_R;
	if (rlen > max)
		rlen = max;
	c->ev.inner_sw = sw;
	blen = vc_sm_wrap(&c->s, c->r, rlen, sw, rsp);
	vc_wipe(c->r, rlen);
	if (!blen) {
		vc_sm_end(&c->s);
		return sw_only(rsp, 0x6581);
	}
	vc_sm_advance(&c->s);	/* ends the session on an all-zero key */
	/* Section 5: over 256 bytes to a short command goes in pieces. */
	return deliver(c, rsp, blen, 0x9000, a->extended ? blen : 256, rsp);
}

size_t vcard_process(struct vcard *c, const uint8_t *apdu, size_t len,
		     uint8_t *rsp)
{
	uint8_t rc[VC_BLOCK];
	int had_rc = c->rc_valid;
	enum vc_class cls;
	struct vc_apdu a;
	size_t n;

	memcpy(rc, c->rc, sizeof(rc));
	vc_wipe(c->rc, sizeof(c->rc));
	c->rc_valid = 0;
	memset(&c->ev, 0, sizeof(c->ev));
	c->ev.mode = "plain";
	c->ev.ins = len > 1 ? apdu[1] : 0;

	cls = len ? vc_classify(apdu[0]) : VC_CLA_PLAIN;
	if (cls == VC_CLA_UNSUPPORTED || vc_apdu_parse(apdu, len, &a)) {
		vc_sm_end(&c->s);
		drop_pending(c);
		n = sw_only(rsp, cls == VC_CLA_UNSUPPORTED ? 0x6E00 :
				 cls == VC_CLA_PLAIN ? 0x6700 : 0x6988);
		goto out;
	}
	if (c->pending) {
		if (is_get_response(&a)) {
			n = get_response(c, a.ne, rsp);
			goto out;
		}
		drop_pending(c);
	}
	if (cls == VC_CLA_PROTECTED)
		n = protected_command(c, &a, rsp);
	else
		n = plain_command(c, &a, rc, had_rc, rsp);
out:
	vc_wipe(rc, sizeof(rc));
	c->ev.sw = (uint16_t)(rsp[n - 2] << 8 | rsp[n - 1]);
	return n;
}
