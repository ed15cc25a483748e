// SPDX-License-Identifier: GPL-2.0
/*
 * The card library against tests/vectors/: every record of every file,
 * in process.  The vector files are parsed at run time; a record passes
 * only if every check on it passed and every non-text field of it was
 * checked (vf_unused), so that changing any value byte fails the run.
 *
 *   vectors-test [-v] [-p SHA256SUMS] VECTOR_DIR
 *
 * With -p, the files must also match the pinned SHA-256 sums (sha256sum
 * format): a few values (keys of a group that no selector picks, commands
 * that are refused whatever their bytes) cannot be caught by behaviour.
 * Prints one line per failed case and "RESULT <passed> <failed>".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../card/crypto.h"
#include "../card/fs.h"
#include "../card/sm.h"
#include "../card/vcard.h"
#include "terminal.h"
#include "vecfile.h"

static int passed, failed, verbose;
static int case_bad;
static struct vf_record *case_rec;
static const char *case_name;

static void begin(struct vf_record *r, const char *name)
{
	case_rec = r;
	case_name = name;
	case_bad = 0;
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	if (!case_bad)
		fprintf(stderr, "FAIL %s:%d [%s] %s\n", case_rec->file,
			case_rec->line, case_rec->section, case_name ? case_name : "");
	case_bad = 1;
	fprintf(stderr, "    ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* Ends the case of record r (and of the extra records that must all have
 * been read completely). */
static void end(struct vf_record **recs, size_t n)
{
	const char *u;
	size_t i;

	for (i = 0; i < n; i++) {
		vf_use_text(recs[i]);
		u = vf_unused(recs[i]);
		if (u)
			fail("field `%s' (record line %d) was not checked", u,
			     recs[i]->line);
	}
	if (case_bad)
		failed++;
	else
		passed++;
	if (verbose)
		fprintf(stderr, "%s %s:%d %s\n", case_bad ? "FAIL" : "ok",
			case_rec->file, case_rec->line, case_name ? case_name : "");
}

static void end1(struct vf_record *r)
{
	end(&r, 1);
}

static int eq(const char *what, const uint8_t *got, size_t glen,
	      const uint8_t *want, size_t wlen)
{
	if (glen == wlen && !memcmp(got, want, glen))
		return 1;
	fail("%s differs (%zu bytes, expected %zu)", what, glen, wlen);
	hex_print("got     ", got, glen);
	hex_print("expected", want, wlen);
	return 0;
}

/* Compares with the hex field name of r. */
static int eqf(struct vf_record *r, const char *name, const uint8_t *got,
	       size_t glen)
{
	size_t wlen;
	uint8_t *want = vf_hex(r, name, &wlen);
	int ok = eq(name, got, glen, want, wlen);

	free(want);
	return ok;
}

static uint16_t swf(struct vf_record *r, const char *name)
{
	uint8_t b[2];

	vf_hexn(r, name, b, 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* ---- a card in process, with RC injected ---- */

struct tcard {
	struct vcard *c;
	uint8_t rc[16];
};

static int inject_rc(void *ctx, uint8_t *buf, size_t len)
{
	struct tcard *t = ctx;

	memcpy(buf, t->rc, len < 16 ? len : 16);
	return 0;
}

static void card_open(struct tcard *t, const uint8_t *mkey, size_t klen,
		      const uint8_t *rc)
{
	uint8_t *img;
	size_t len;

	if (vcard_create_image(mkey, klen, &img, &len)) {
		fprintf(stderr, "cannot create an image\n");
		exit(2);
	}
	t->c = vcard_new(img, len);
	free(img);
	if (!t->c) {
		fprintf(stderr, "cannot open the image\n");
		exit(2);
	}
	memset(t->rc, 0, 16);
	if (rc)
		memcpy(t->rc, rc, 16);
	vcard_set_rng(t->c, inject_rc, t);
}

static void card_close(struct tcard *t)
{
	vcard_free(t->c);
	t->c = NULL;
}

static uint8_t rsp[VCARD_RSP_MAX], whole[VCARD_RSP_MAX * 2];

static size_t xmit(struct tcard *t, const uint8_t *apdu, size_t len)
{
	return vcard_process(t->c, apdu, len, rsp);
}

/* Sends apdu and fetches a 61xx-chained answer: the whole response goes to
 * `whole'; *pieces counts the exchanges. */
static size_t xmit_chain(struct tcard *t, const uint8_t *apdu, size_t len,
			 int *pieces)
{
	uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, 0x00 };
	size_t n, total = 0;

	n = xmit(t, apdu, len);
	*pieces = 1;
	while (n >= 2 && rsp[n - 2] == 0x61 && *pieces < 300) {
		memcpy(whole + total, rsp, n - 2);
		total += n - 2;
		gr[4] = rsp[n - 1];
		n = xmit(t, gr, 5);
		++*pieces;
	}
	memcpy(whole + total, rsp, n);
	return total + n;
}

static int session_active(struct tcard *t)
{
	return vcard_session(t->c)->active;
}

/* ---- helpers on records ---- */

static uint8_t mode_of(const char *name)
{
	static const char *names[] = { "", "xor", "list", "opkey", "ratchet" };
	uint8_t i;

	for (i = 1; i <= 4; i++)
		if (name && !strcmp(name, names[i]))
			return i;
	return 0;
}

/* Reads the mode, suite and keys of a [session]-like record. */
struct sess {
	uint8_t mode;
	size_t klen;
	uint8_t mkey[32], rc[16], rt[16];
	uint8_t keys[VC_MAX_GROUP * VC_MAX_KEY];
	unsigned int N;
};

static void read_keys(struct vf_record *r, struct sess *s)
{
	char name[8];
	unsigned int i;

	if (s->mode == VC_XOR || s->mode == VC_RATCHET) {
		s->N = 2;
		if (vf_has(r, "N") && vf_int(r, "N") != 2)
			fail("N is not 2");
		vf_hexn(r, "k0", s->keys, s->klen);
		vf_hexn(r, "k1", s->keys + s->klen, s->klen);
		return;
	}
	s->N = (unsigned int)vf_int(r, "N");
	for (i = 0; i < s->N && i < VC_MAX_GROUP; i++) {
		snprintf(name, sizeof(name), "g%02u", i);
		vf_hexn(r, name, s->keys + i * s->klen, s->klen);
	}
}

static void read_session(struct vf_record *r, struct sess *s, const char *mkey)
{
	uint8_t p[1];
	size_t n;
	uint8_t *b;

	memset(s, 0, sizeof(*s));
	s->mode = mode_of(vf_get(r, "mode"));
	if (vf_has(r, "p1")) {
		vf_hexn(r, "p1", p, 1);
		if (p[0] != s->mode)
			fail("p1 %02x does not match mode", p[0]);
	}
	b = vf_hex(r, mkey, &n);
	s->klen = n;
	memcpy(s->mkey, b, n < 32 ? n : 32);
	free(b);
	if (vf_has(r, "p2")) {
		vf_hexn(r, "p2", p, 1);
		if (p[0] != (s->klen == 16 ? 1 : 2))
			fail("p2 %02x does not match |MKEY|", p[0]);
	}
	if (vf_has(r, "suite_name") &&
	    strcmp(vf_get(r, "suite_name"), s->klen == 16 ? "aes128" : "aes256"))
		fail("suite_name does not match |MKEY|");
	vf_hexn(r, "rc", s->rc, 16);
	vf_hexn(r, "rt", s->rt, 16);
	read_keys(r, s);
}

/*
 * Opens a card with the session's MKEY, runs GET CHALLENGE (RC injected)
 * and INITIALIZE SESSION, checking what the record holds, and sets up the
 * terminal model.
 */
static void start_session(struct vf_record *r, struct sess *s,
			  struct tcard *t, struct term *tm)
{
	static struct term_trace tr;
	static uint8_t apdu[2048];
	uint8_t gc[5] = { 0x00, 0x84, 0x00, 0x00, 0x10 }, k[32];
	size_t n, alen;

	card_open(t, s->mkey, s->klen, s->rc);
	if (vf_has(r, "enc_mkey")) {
		vc_subkey_enc(s->mkey, s->klen, k);
		eqf(r, "enc_mkey", k, s->klen);
		vc_subkey_mac(s->mkey, s->klen, k);
		eqf(r, "mac_mkey", k, s->klen);
	}
	if (vf_has(r, "get_challenge"))
		eqf(r, "get_challenge", gc, 5);
	n = xmit(t, gc, 5);
	if (vf_has(r, "get_challenge_response"))
		eqf(r, "get_challenge_response", rsp, n);
	if (n != 18 || memcmp(rsp, s->rc, 16))
		fail("GET CHALLENGE did not answer RC");
	alen = term_init(tm, s->mode, s->mkey, s->klen, s->rc, s->rt, s->keys,
			 s->N, 0, apdu, &tr);
	if (vf_has(r, "key_block")) {
		eqf(r, "key_block", tr.key_block, tr.key_block_len);
		eqf(r, "ct", tr.ct, tr.ct_len);
		eqf(r, "tt_input", tr.tt_input, tr.tt_input_len);
		eqf(r, "tt", tr.tt, 16);
	}
	eqf(r, "init_apdu", apdu, alen);
	n = xmit(t, apdu, alen);
	eqf(r, "init_response", rsp, n);
	if (vf_has(r, "cc"))
		eqf(r, "cc", rsp, n >= 16 ? 16 : n);
	if (term_check_cc(tm, rsp, n))
		fail("the terminal model rejects CC: %s", term_check_cc(tm, rsp, n));
	if (!session_active(t))
		fail("no session after INITIALIZE SESSION");
}

/*
 * Runs one [pair]-like record through terminal model and card: the
 * protected command, the (fetched) protected response, the keys on both
 * sides before and after.  Returns 1 if the pair went through.
 */
static int run_pair(struct vf_record *r, struct tcard *t, struct term *tm)
{
	static struct term_trace tr;
	static uint8_t papdu[70000], plain[70000];
	const struct vc_session *cs = vcard_session(t->c);
	uint8_t k[32], *pa;
	size_t klen = tm->s.klen, plen, alen, n, rlen;
	int sel = -1, pieces, ok = 1;
	const char *why;

	if ((uint64_t)vf_int(r, "n") != tm->s.n || cs->n != tm->s.n)
		fail("n: vector %s, terminal %llu, card %llu", vf_get(r, "n"),
		     (unsigned long long)tm->s.n, (unsigned long long)cs->n);
	if (vf_has(r, "selector"))
		sel = (int)vf_int(r, "selector");
	if (vf_has(r, "prev_selector") &&
	    vf_int(r, "prev_selector") != tm->s.prev_sel)
		fail("prev_selector differs from s_{n-1}");
	eqf(r, "k_n", cs->k_n, klen);
	eqf(r, "k_n", tm->s.k_n, klen);
	if (vf_has(r, "k_prev")) {
		uint8_t prev[32], ctx[40];
		int i;

		vf_hexn(r, "k_prev", prev, klen);
		/* the formula of section 3 gives k_next from k_prev and k_n */
		if (tm->s.mode == VC_XOR) {
			for (i = 0; i < (int)klen; i++)
				k[i] = prev[i] ^ tm->s.k_n[i];
		} else {
			memcpy(ctx, tm->s.k_n, klen);
			for (i = 0; i < 8; i++)
				ctx[klen + 7 - i] = (uint8_t)(tm->s.n >> (8 * i));
			vc_kdf(prev, klen, (const uint8_t *)"smchan-ratchet", 14,
			       ctx, klen + 8, k, klen);
		}
		eqf(r, "k_next", k, klen);
		/* one step ahead: the card holds K_n and K_{n+1} only */
		if (!memcmp(cs->k_n, prev, klen) || !memcmp(cs->k_next, prev, klen))
			fail("the card still holds K_{n-1}");
	}
	if (tm->s.mode == VC_XOR || tm->s.mode == VC_RATCHET)
		eqf(r, "k_next", cs->k_next, klen);
	pa = vf_hex(r, "plain_apdu", &plen);
	alen = term_protect(tm, pa, plen, sel, papdu, &tr);
	free(pa);
	if (!alen) {
		fail("the terminal model refuses the command");
		return 0;
	}
	if (vf_has(r, "enc_k")) {
		eqf(r, "enc_k", tr.enc_k, klen);
		eqf(r, "mac_k", tr.mac_k, klen);
		vc_subkey_enc(cs->k_n, klen, k);
		eqf(r, "enc_k", k, klen);
	}
	if (vf_has(r, "cmd_dprime"))
		eqf(r, "cmd_dprime", tr.dprime, tr.dprime_len);
	if (vf_has(r, "cmd_iv")) {
		eqf(r, "cmd_iv", tr.iv, 16);
		eqf(r, "cmd_mac_input", tr.mac_input, tr.mac_input_len);
		eqf(r, "cmd_mac", tr.mac, 8);
	}
	ok &= eqf(r, "protected_apdu", papdu, alen);
	n = xmit_chain(t, papdu, alen, &pieces);
	ok &= eqf(r, "protected_response", whole, n);
	/* section 5: short command, body over 256 bytes -> 256 + 61xx */
	if (papdu[4] != 0 && n - 2 > 256 && pieces != (int)((n - 2 + 255) / 256))
		fail("a %zu-byte protected response to a short command came in %d pieces",
		     n - 2, pieces);
	if ((papdu[4] == 0 || n - 2 <= 256) && pieces != 1)
		fail("response chained although it fits");
	why = term_unprotect(tm, whole, n, plain, &rlen, &tr);
	if (why) {
		fail("the terminal model rejects the response: %s", why);
		return 0;
	}
	if (vf_has(r, "rsp_iv")) {
		eqf(r, "rsp_iv", tr.iv, 16);
		eqf(r, "rsp_mac_input", tr.mac_input, tr.mac_input_len);
		eqf(r, "rsp_mac", tr.mac, 8);
	}
	ok &= eqf(r, "plain_response", plain, rlen);
	eqf(r, "k_next", cs->k_n, klen);
	eqf(r, "k_next", tm->s.k_n, klen);
	return ok && !case_bad;
}

/* ---- kdf.txt ---- */

static void test_kdf(const char *dir)
{
	struct vf_file vf;
	struct vf_record *r;
	char path[4096];
	uint8_t out[512], fi[512], *key, *ctx;
	size_t i, klen, clen, L, n;

	snprintf(path, sizeof(path), "%s/kdf.txt", dir);
	if (vf_load(path, &vf)) {
		fprintf(stderr, "cannot read %s\n", path);
		failed++;
		return;
	}
	for (i = 0; i < vf.nr; i++) {
		r = &vf.r[i];
		begin(r, NULL);
		if (!strcmp(r->section, "kdf")) {
			const char *label = vf_get(r, "label");

			key = vf_hex(r, "key", &klen);
			ctx = vf_hex(r, "context", &clen);
			L = (size_t)vf_int(r, "L");
			eqf(r, "label_hex", (const uint8_t *)label, strlen(label));
			n = 0;
			memcpy(fi, label, strlen(label));
			n += strlen(label);
			fi[n++] = 0;
			memcpy(fi + n, ctx, clen);
			n += clen;
			fi[n++] = (uint8_t)(L * 8 >> 24);
			fi[n++] = (uint8_t)(L * 8 >> 16);
			fi[n++] = (uint8_t)(L * 8 >> 8);
			fi[n++] = (uint8_t)(L * 8);
			eqf(r, "fixed_input", fi, n);
			if (L > sizeof(out) ||
			    vc_kdf(key, klen, (const uint8_t *)label,
				   strlen(label), ctx, clen, out, L))
				fail("KDF failed");
			else
				eqf(r, "output", out, L);
			free(key);
			free(ctx);
		} else if (!strcmp(r->section, "subkeys")) {
			key = vf_hex(r, "key", &klen);
			vc_subkey_enc(key, klen, out);
			eqf(r, "enc", out, klen);
			vc_subkey_mac(key, klen, out);
			eqf(r, "mac", out, klen);
			free(key);
		} else if (!strcmp(r->section, "ratchet")) {
			/* through the card's own key schedule */
			struct vc_session s;
			uint8_t kb[65];
			long long nn = vf_int(r, "n");

			key = vf_hex(r, "k_prev", &klen);
			kb[0] = 2;
			memcpy(kb + 1, key, klen);
			vf_hexn(r, "k_n", kb + 1 + klen, klen);
			if (vc_sm_install(&s, VC_RATCHET, klen, kb, 1 + 2 * klen)) {
				fail("install failed");
			} else {
				/* the key one step ahead of K_1 is K_2: use n */
				uint8_t c2[40];
				int j;

				memcpy(c2, kb + 1 + klen, klen);
				for (j = 0; j < 8; j++)
					c2[klen + 7 - j] = (uint8_t)((uint64_t)nn >> (8 * j));
				vc_kdf(key, klen, (const uint8_t *)"smchan-ratchet",
				       14, c2, klen + 8, out, klen);
				eqf(r, "k_next", out, klen);
				if (nn == 1)
					eqf(r, "k_next", s.k_next, klen);
			}
			vc_sm_end(&s);
			free(key);
		} else {
			fail("unknown section");
		}
		end1(r);
	}
	vf_free(&vf);
}

/* ---- patent.txt ---- */

static void test_patent(const char *dir)
{
	struct vf_file vf;
	struct vf_record *r;
	struct vc_session s;
	char path[4096], name[8];
	uint8_t kb[1 + 32 * 32];
	size_t i, klen;
	unsigned int N, j;

	snprintf(path, sizeof(path), "%s/patent.txt", dir);
	if (vf_load(path, &vf)) {
		fprintf(stderr, "cannot read %s\n", path);
		failed++;
		return;
	}
	for (i = 0; i < vf.nr; i++) {
		r = &vf.r[i];
		begin(r, r->section);
		klen = strcmp(vf_get(r, "suite_name"), "aes256") ? 16 : 32;
		if (!strcmp(r->section, "embodiment1")) {
			kb[0] = 2;
			vf_hexn(r, "k0", kb + 1, klen);
			vf_hexn(r, "k1", kb + 1 + klen, klen);
			if (vc_sm_install(&s, VC_XOR, klen, kb, 1 + 2 * klen))
				fail("install");
			for (j = 1; j <= 6; j++) {
				snprintf(name, sizeof(name), "k%u", j);
				eqf(r, name, s.k_n, klen);
				vc_sm_advance(&s);
			}
		} else {
			const char *g = strcmp(r->section, "embodiment2") ? "e" : "g";
			uint8_t mode = *g == 'g' ? VC_LIST : VC_OPKEY;

			N = (unsigned int)vf_int(r, "N");
			kb[0] = (uint8_t)N;
			for (j = 0; j < N && j < 32; j++) {
				snprintf(name, sizeof(name), "%s%02u", g, j);
				vf_hexn(r, name, kb + 1 + j * klen, klen);
			}
			if (vc_sm_install(&s, mode, klen, kb, 1 + N * klen))
				fail("install");
			eqf(r, "k1", s.k_n, klen);
			for (j = 1; j <= 3; j++) {
				snprintf(name, sizeof(name), "s%u", j);
				if (vc_sm_select(&s, (unsigned int)vf_int(r, name)))
					fail("selector %u refused", j);
				vc_sm_advance(&s);
				snprintf(name, sizeof(name), "k%u", j + 1);
				eqf(r, name, s.k_n, klen);
			}
		}
		vc_sm_end(&s);
		end1(r);
	}
	vf_free(&vf);
}

/* ---- session-*.txt ---- */

static void test_session_file(const char *dir, const char *file)
{
	struct vf_record *sr[1], *pr[32], *all[33];
	struct vf_file vf;
	struct tcard t;
	struct term tm;
	struct sess s;
	char path[4096];
	size_t np, i;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (vf_load(path, &vf)) {
		fprintf(stderr, "cannot read %s\n", path);
		failed++;
		return;
	}
	if (vf_section(&vf, "session", sr, 1) != 1) {
		fprintf(stderr, "%s: no [session]\n", path);
		failed++;
		return;
	}
	np = vf_section(&vf, "pair", pr, 32);
	/* the session setup is a case; each pair is a case */
	begin(sr[0], "session");
	read_session(sr[0], &s, "mkey");
	start_session(sr[0], &s, &t, &tm);
	end(sr, 1);
	for (i = 0; i < np; i++) {
		begin(pr[i], vf_get(pr[i], "desc"));
		run_pair(pr[i], &t, &tm);
		end1(pr[i]);
	}
	if (np != 13) {
		begin(sr[0], "pair count");
		fail("%zu pairs, expected 13", np);
		end(all, 0);
	}
	card_close(&t);
	vc_sm_end(&tm.s);
	vf_free(&vf);
}

/* ---- negative.txt ---- */

/* A card in the [state] of a session: [session] + every [prefix] pair. */
static void to_state(struct vf_record *sess, struct vf_record **pre, size_t np,
		     const char *mkey, struct tcard *t, struct term *tm)
{
	struct sess s;
	size_t i;

	read_session(sess, &s, mkey);
	start_session(sess, &s, t, tm);
	for (i = 0; i < np; i++)
		run_pair(pre[i], t, tm);
}

static void send_expect_sw(struct tcard *t, struct vf_record *r,
			   const char *apdu, const char *swname)
{
	uint8_t *a;
	size_t n, len;
	uint16_t want = swf(r, swname), got;

	a = vf_hex(r, apdu, &len);
	n = xmit(t, a, len);
	free(a);
	got = (uint16_t)(rsp[n - 2] << 8 | rsp[n - 1]);
	if (got != want || n != 2)
		fail("%s: answered %zu bytes, SW %04X; expected a bare %04X",
		     apdu, n, got, want);
}

static void check_session(struct tcard *t, struct vf_record *r)
{
	const char *want = vf_get(r, "session");

	if (!want)
		return;
	if (strcmp(want, session_active(t) ? "active" : "ended"))
		fail("session %s, expected %s",
		     session_active(t) ? "active" : "ended", want);
}

/* [card]-like cases: from a fresh [state], apdu -> sw, then then_apdu. */
static void card_cases(struct vf_file *vf, const char *ssec, const char *psec,
		       const char *stsec, const char *csec)
{
	struct vf_record *sess[1], *pre[16], *cases[128], *st[1];
	size_t np, nc, i;
	struct tcard t;
	struct term tm;

	if (vf_section(vf, ssec, sess, 1) != 1) {
		fprintf(stderr, "no [%s]\n", ssec);
		failed++;
		return;
	}
	np = vf_section(vf, psec, pre, 16);
	if (stsec && vf_section(vf, stsec, st, 1) == 1)
		pre[np++] = st[0];
	nc = vf_section(vf, csec, cases, 128);
	for (i = 0; i < nc; i++) {
		struct vf_record *r = cases[i];
		size_t stop = np;

		begin(r, vf_get(r, "case"));
		if (vf_has(r, "n"))	/* sent as command n */
			stop = (size_t)vf_int(r, "n") - 1;
		to_state(sess[0], pre, stop, "mkey", &t, &tm);
		if (vf_has(r, "selector")) {
			/* the case's D' starts with this selector: check it
			 * is one the terminal must not draw */
			struct vc_session copy = tm.s;

			if (!vc_sm_select(&copy, (unsigned int)vf_int(r, "selector")))
				fail("selector gives a valid key");
			vc_sm_end(&copy);
		}
		send_expect_sw(&t, r, "apdu", "sw");
		check_session(&t, r);
		send_expect_sw(&t, r, "then_apdu", "then_sw");
		card_close(&t);
		vc_sm_end(&tm.s);
		end1(r);
	}
	/* the session, prefix and state records were read by every case */
	if (nc) {
		begin(sess[0], "setup records");
		end(sess, 1);
		for (i = 0; i < np; i++) {
			begin(pre[i], "setup record");
			end1(pre[i]);
		}
	}
}

static void terminal_cases(struct vf_file *vf)
{
	struct vf_record *sess[1], *pre[4], *st[1], *cases[64];
	size_t np, nc, i, rlen, len;
	static uint8_t plain[70000], papdu[70000];
	struct tcard t;
	struct term tm;

	vf_section(vf, "session", sess, 1);
	np = vf_section(vf, "prefix", pre, 4);
	vf_section(vf, "state", st, 1);
	nc = vf_section(vf, "terminal", cases, 64);
	for (i = 0; i < nc; i++) {
		struct vf_record *r = cases[i];
		const char *why, *want;
		uint8_t *resp, *pa;

		begin(r, vf_get(r, "case"));
		to_state(sess[0], pre, np, "mkey", &t, &tm);
		/* the terminal sent [state] protected_apdu ... */
		pa = vf_hex(st[0], "plain_apdu", &len);
		term_protect(&tm, pa, len, -1, papdu, NULL);
		free(pa);
		resp = vf_hex(r, "response", &len);
		why = term_unprotect(&tm, resp, len, plain, &rlen, NULL);
		free(resp);
		want = vf_get(r, "reason");
		if (strcmp(vf_get(r, "verdict"), "reject"))
			fail("unexpected verdict");
		if (!why || strcmp(why, want))
			fail("terminal model: %s, expected reject (%s)",
			     why ? why : "accepted", want);
		card_close(&t);
		vc_sm_end(&tm.s);
		end1(r);
	}
}

static void init_cases(struct vf_file *vf)
{
	struct vf_record *fx = NULL, *cases[64], *it[16];
	size_t nc, i, n, len, alen;
	uint8_t mkey[32], rc[16], keys[64], rt[16], gc[5] = { 0, 0x84, 0, 0, 0x10 };
	static uint8_t apdu[2048];
	struct tcard t;
	struct term tm;
	size_t klen;
	uint8_t *b;

	nc = vf_section(vf, "init", cases, 64);
	for (i = 0; i < nc; i++)
		if (!strcmp(vf_get(cases[i], "case"), "fixture"))
			fx = cases[i];
	if (!fx) {
		fprintf(stderr, "no [init] fixture\n");
		failed++;
		return;
	}
	begin(fx, "fixture");
	b = vf_hex(fx, "init_mkey", &klen);
	memcpy(mkey, b, klen);
	free(b);
	vf_hexn(fx, "rc", rc, 16);
	vf_hexn(fx, "rt", rt, 16);
	vf_hexn(fx, "k0", keys, klen);
	vf_hexn(fx, "k1", keys + klen, klen);
	alen = term_init(&tm, VC_RATCHET, mkey, klen, rc, rt, keys, 2, 0, apdu,
			 NULL);
	end1(fx);

	for (i = 0; i < nc; i++) {
		struct vf_record *r = cases[i];
		uint8_t crc[16];

		if (r == fx)
			continue;
		begin(r, vf_get(r, "case"));
		b = vf_hex(r, "rc", &len);
		memcpy(crc, b, len == 16 ? 16 : 0);
		card_open(&t, mkey, klen, len == 16 ? crc : NULL);
		if (len == 16) {
			n = xmit(&t, gc, 5);
			if (n != 18 || memcmp(rsp, crc, 16))
				fail("GET CHALLENGE");
		}
		free(b);
		if (vf_has(r, "before")) {
			b = vf_hex(r, "before", &len);
			xmit(&t, b, len);
			free(b);
		}
		if (!strcmp(vf_get(r, "case"), "valid"))
			eqf(r, "apdu", apdu, alen);	/* the terminal model agrees */
		b = vf_hex(r, "apdu", &len);
		n = xmit(&t, b, len);
		free(b);
		if (vf_has(r, "response"))
			eqf(r, "response", rsp, n);
		else if (n != 2)
			fail("%zu bytes answered, expected a bare SW", n);
		if ((rsp[n - 2] << 8 | rsp[n - 1]) != swf(r, "sw"))
			fail("SW %02X%02X", rsp[n - 2], rsp[n - 1]);
		if (session_active(&t) != (swf(r, "sw") == 0x9000))
			fail("session state after the answer");
		card_close(&t);
		end1(r);
	}
	/* [init-terminal]: the terminal model checks CC */
	nc = vf_section(vf, "init-terminal", it, 16);
	for (i = 0; i < nc; i++) {
		struct vf_record *r = it[i];
		const char *why, *want;

		begin(r, vf_get(r, "case"));
		eqf(r, "init_apdu", apdu, alen);
		b = vf_hex(r, "response", &len);
		why = term_check_cc(&tm, b, len);
		free(b);
		want = vf_has(r, "reason") ? vf_get(r, "reason") : NULL;
		if (!strcmp(vf_get(r, "verdict"), "accept") ? why != NULL :
		    (!why || !want || strcmp(why, want)))
			fail("terminal model: %s, expected %s", why ? why : "accept",
			     want ? want : "accept");
		end1(r);
	}
	vc_sm_end(&tm.s);
}

static void plain_cases(struct vf_file *vf)
{
	struct vf_record *sess[1], *cases[64];
	size_t nc, i, n, len;
	struct tcard t;
	struct sess s;
	uint8_t *a;

	vf_section(vf, "session", sess, 1);
	nc = vf_section(vf, "plain", cases, 64);
	for (i = 0; i < nc; i++) {
		struct vf_record *r = cases[i];
		uint16_t want;

		begin(r, vf_get(r, "case"));
		vf_hexn(sess[0], "mkey", s.mkey, 16);
		card_open(&t, s.mkey, 16, NULL);
		vcard_reset(t.c);
		a = vf_hex(r, "apdu", &len);
		n = xmit(&t, a, len);
		free(a);
		want = swf(r, "sw");
		if ((rsp[n - 2] << 8 | rsp[n - 1]) != want)
			fail("SW %02X%02X, expected %04X", rsp[n - 2], rsp[n - 1], want);
		if (vf_has(r, "response_length")) {
			if ((long long)n != vf_int(r, "response_length"))
				fail("%zu bytes", n);
		} else if (n != 2) {
			fail("%zu bytes, expected a bare SW", n);
		}
		card_close(&t);
		end1(r);
	}
}

static void fetch_cases(struct vf_file *vf)
{
	struct vf_record *sess[1], *pre[4], *fs[1], *cases[32];
	static uint8_t plain[70000];
	size_t np, nc, i, n, len, rlen;
	struct tcard t;
	struct term tm;
	uint8_t *a, *pr;

	vf_section(vf, "session", sess, 1);
	np = vf_section(vf, "prefix", pre, 4);
	if (vf_section(vf, "fetch-state", fs, 1) != 1) {
		fprintf(stderr, "no [fetch-state]\n");
		failed++;
		return;
	}
	nc = vf_section(vf, "fetch", cases, 32);
	for (i = 0; i < nc; i++) {
		struct vf_record *r = cases[i], *st = fs[0];
		int active;

		begin(r, vf_get(r, "case"));
		to_state(sess[0], pre, np, "mkey", &t, &tm);
		if ((uint64_t)vf_int(st, "n") != tm.s.n)
			fail("fetch-state n");
		eqf(st, "k_n", vcard_session(t.c)->k_n, 16);
		a = vf_hex(st, "plain_apdu", &len);
		n = term_protect(&tm, a, len, -1, plain, NULL);
		free(a);
		eqf(st, "protected_apdu", plain, n);
		a = vf_hex(st, "protected_apdu", &len);
		n = xmit(&t, a, len);
		free(a);
		eqf(st, "first_response", rsp, n);
		/* protected_response holds the trailer 90 00 */
		pr = vf_hex(st, "protected_response", &len);
		if (n != 258 || len < 258 || memcmp(pr, rsp, 256) ||
		    rsp[256] != 0x61 ||
		    rsp[257] != (len - 258 >= 256 ? 0 : len - 258))
			fail("first piece is not 256 bytes of the response and 61xx");
		if (term_unprotect(&tm, pr, len, plain, &rlen, NULL))
			fail("terminal rejects the fetch-state response");
		else
			eqf(st, "plain_response", plain, rlen);
		free(pr);
		a = vf_hex(r, "apdu", &len);
		n = xmit(&t, a, len);
		free(a);
		eqf(r, "response", rsp, n);
		check_session(&t, r);
		active = !strcmp(vf_get(r, "session"), "active");
		a = vf_hex(r, "then_apdu", &len);
		n = xmit(&t, a, len);
		eqf(r, "then_response", rsp, n);
		{
			size_t plen;
			uint8_t *p = vf_hex(st, "probe_apdu", &plen);

			if (plen != len || memcmp(p, a, len)) {
				/* the probe, command 4 */
				int on = session_active(&t);

				n = xmit(&t, p, plen);
				if (on && active)
					eqf(st, "probe_response", rsp, n);
				else if (n != 2 || rsp[0] != 0x69 || rsp[1] != 0x88)
					fail("probe after the session ended: not 6988");
			} else if (active) {
				eqf(st, "probe_response", rsp, n);
			}
			free(p);
		}
		free(a);
		card_close(&t);
		vc_sm_end(&tm.s);
		end1(r);
	}
	if (nc) {
		begin(fs[0], "fetch-state");
		end1(fs[0]);
	}
}

static void opkey_zero_prefix(struct vf_file *vf)
{
	struct vf_record *sess[1], *pre[8];
	size_t np, i;
	struct tcard t;
	struct term tm;
	struct sess s;

	vf_section(vf, "opkey-zero-session", sess, 1);
	np = vf_section(vf, "opkey-zero-prefix", pre, 8);
	begin(sess[0], "opkey-zero excluded selectors");
	read_session(sess[0], &s, "mkey");
	start_session(sess[0], &s, &t, &tm);
	for (i = 0; i < np; i++) {
		/* excluded = the selectors whose update gives a zero key */
		char want[128] = "", got[256] = "", num[16];
		unsigned int j;

		snprintf(want, sizeof(want), "%s", vf_get(pre[i], "excluded"));
		for (j = 0; j < tm.s.N; j++) {
			struct vc_session copy = tm.s;

			if (vc_sm_select(&copy, j)) {
				snprintf(num, sizeof(num), "%s%u", *got ? " " : "", j);
				strcat(got, num);
			}
			vc_sm_end(&copy);
		}
		if (strcmp(want, got))
			fail("pair %zu: excluded `%s', computed `%s'", i + 1, want, got);
		run_pair(pre[i], &t, &tm);
	}
	card_close(&t);
	vc_sm_end(&tm.s);
	end(sess, 1);
	for (i = 0; i < np; i++) {
		begin(pre[i], "opkey-zero prefix");
		end1(pre[i]);
	}
}

static void test_negative(const char *dir)
{
	struct vf_file vf;
	char path[4096];

	snprintf(path, sizeof(path), "%s/negative.txt", dir);
	if (vf_load(path, &vf)) {
		fprintf(stderr, "cannot read %s\n", path);
		failed++;
		return;
	}
	card_cases(&vf, "session", "prefix", "state", "card");
	terminal_cases(&vf);
	init_cases(&vf);
	plain_cases(&vf);
	card_cases(&vf, "opkey-session", "opkey-prefix", "opkey-state",
		   "opkey-card");
	fetch_cases(&vf);
	opkey_zero_prefix(&vf);
	card_cases(&vf, "opkey-zero-session", "opkey-zero-prefix", NULL,
		   "opkey-zero-card");
	/* every record of the file was checked by some case */
	for (size_t i = 0; i < vf.nr; i++) {
		vf_use_text(&vf.r[i]);
		if (vf_unused(&vf.r[i])) {
			begin(&vf.r[i], "coverage");
			fail("field `%s' never checked", vf_unused(&vf.r[i]));
			end(NULL, 0);
		}
	}
	vf_free(&vf);
}

/* Every vector file named in the manifest has the pinned SHA-256. */
static void test_pin(const char *manifest, const char *dir)
{
	char line[512], path[4096], hex[65], name[256];
	uint8_t md[32], *buf;
	unsigned int mdlen, i;
	struct vf_record r = { .file = manifest, .section = "pin" };
	FILE *m = fopen(manifest, "r"), *f;
	size_t len;

	if (!m) {
		fprintf(stderr, "cannot read %s\n", manifest);
		failed++;
		return;
	}
	while (fgets(line, sizeof(line), m)) {
		r.line++;
		if (sscanf(line, "%64s %255s", hex, name) != 2)
			continue;
		begin(&r, name);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		f = fopen(path, "rb");
		buf = malloc(1 << 20);
		len = f ? fread(buf, 1, 1 << 20, f) : 0;
		if (f)
			fclose(f);
		EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
		free(buf);
		for (i = 0; i < 32; i++)
			snprintf(line + 2 * i, 3, "%02x", md[i]);
		if (!f || strcmp(line, hex))
			fail("%s does not match the pinned SHA-256 (if the vectors were regenerated on purpose, update %s)",
			     path, manifest);
		end(NULL, 0);
	}
	fclose(m);
}

int main(int argc, char **argv)
{
	static const char *sessions[] = {
		"session-xor-aes128.txt", "session-xor-aes256.txt",
		"session-list-aes128.txt", "session-list-aes256.txt",
		"session-opkey-aes128.txt", "session-opkey-aes256.txt",
		"session-ratchet-aes128.txt", "session-ratchet-aes256.txt",
	};
	const char *dir, *pin = NULL;
	size_t i;

	while (argc > 1 && argv[1][0] == '-') {
		if (!strcmp(argv[1], "-v")) {
			verbose = 1;
		} else if (!strcmp(argv[1], "-p") && argc > 2) {
			pin = argv[2];
			argv++;
			argc--;
		} else {
			break;
		}
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: vectors-test [-v] [-p SHA256SUMS] VECTOR_DIR\n");
		return 2;
	}
	dir = argv[1];
	if (pin)
		test_pin(pin, dir);
	test_kdf(dir);
	test_patent(dir);
	for (i = 0; i < sizeof(sessions) / sizeof(sessions[0]); i++)
		test_session_file(dir, sessions[i]);
	test_negative(dir);
	printf("RESULT %d %d\n", passed, failed);
	return failed ? 1 : 0;
}
