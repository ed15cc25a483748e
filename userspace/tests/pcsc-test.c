// SPDX-License-Identifier: GPL-2.0
/*
 * End-to-end test client: plays the terminal against smchan-vcard through
 * a real pcscd and vpcd (PC/SC, SCardTransmit), with the terminal model of
 * terminal.c.
 *
 *   pcsc-test -r READER -i IMAGE -k MKEY_FILE -d VECTOR_DIR [-n COUNT] [-s SEED] [-V]
 *
 * The image must be fresh (as created) unless -V skips 2 and 3.
 * 1. the ATR announces T=1 and extended Lc/Le;
 * 2. negative.txt's card-side cases of that suite ([card], [opkey-card],
 *    [opkey-zero-card], [fetch], [plain]);
 * 3. the vectors' sessions of the card's suite, pair by pair: the session
 *    keys and RT of the vector, INITIALIZE SESSION under the card's MKEY
 *    and its real RC, so every protected command and response must equal
 *    the vector byte for byte (61xx chaining fetched with GET RESPONSE);
 * 4. a COUNT-command random session in each mode, checked against a model
 *    file system, then the image file against the model;
 * 5. the patent's walk-through (SELECT FILE, WRITE BINARY, READ BINARY)
 *    with the data checked in the image file; a reset ends the session.
 * Prints "RESULT <passed> <failed>".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <winscard.h>

#include "../card/fs.h"
#include "../card/sm.h"
#include "terminal.h"
#include "vecfile.h"

static SCARDCONTEXT ctx;
static SCARDHANDLE card;
static DWORD proto;
static const char *image_path;
static uint8_t mkey[32];
static size_t klen;
static int passed, failed, bad;
static const char *cur;

static uint8_t rsp[MAX_BUFFER_SIZE_EXTENDED], whole[2 * 65600];

static void begin(const char *name)
{
	cur = name;
	bad = 0;
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	if (!bad)
		fprintf(stderr, "FAIL %s\n", cur);
	bad = 1;
	fprintf(stderr, "    ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

static void end(void)
{
	if (bad)
		failed++;
	else
		passed++;
}

static int eq(const char *what, const uint8_t *a, size_t alen,
	      const uint8_t *b, size_t blen)
{
	if (alen == blen && !memcmp(a, b, alen))
		return 1;
	fail("%s differs (%zu bytes, expected %zu)", what, alen, blen);
	hex_print("got     ", a, alen);
	hex_print("expected", b, blen);
	return 0;
}

static int eqf(struct vf_record *r, const char *name, const uint8_t *a,
	       size_t alen)
{
	size_t n;
	uint8_t *b = vf_hex(r, name, &n);
	int ok = eq(name, a, alen, b, n);

	free(b);
	return ok;
}

/* ---- PC/SC ---- */

static size_t xmit(const uint8_t *apdu, size_t len)
{
	const SCARD_IO_REQUEST *pci = proto == SCARD_PROTOCOL_T0 ?
				      SCARD_PCI_T0 : SCARD_PCI_T1;
	DWORD rlen = sizeof(rsp);
	LONG rv;

	rv = SCardTransmit(card, pci, apdu, (DWORD)len, NULL, rsp, &rlen);
	if (rv != SCARD_S_SUCCESS || rlen < 2) {
		fail("SCardTransmit: %s (0x%lX)", pcsc_stringify_error(rv),
		     (unsigned long)rv);
		rsp[0] = 0x6F;
		rsp[1] = 0x00;
		return 2;
	}
	return rlen;
}

static size_t xmit_chain(const uint8_t *apdu, size_t len, int *pieces)
{
	uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, 0x00 };
	size_t n, total = 0;

	n = xmit(apdu, len);
	*pieces = 1;
	while (rsp[n - 2] == 0x61 && *pieces < 300) {
		memcpy(whole + total, rsp, n - 2);
		total += n - 2;
		gr[4] = rsp[n - 1];
		n = xmit(gr, 5);
		++*pieces;
	}
	memcpy(whole + total, rsp, n);
	return total + n;
}

static uint16_t sw_of(size_t n)
{
	return (uint16_t)(rsp[n - 2] << 8 | rsp[n - 1]);
}

static int reset_card(void)
{
	LONG rv = SCardReconnect(card, SCARD_SHARE_SHARED,
				 SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
				 SCARD_RESET_CARD, &proto);

	if (rv != SCARD_S_SUCCESS)
		fail("SCardReconnect: %s (0x%lX)", pcsc_stringify_error(rv),
		     (unsigned long)rv);
	return rv == SCARD_S_SUCCESS ? 0 : -1;
}

static int connect_reader(const char *want)
{
	char readers[4096], *r;
	DWORD len;
	LONG rv;
	int tries;

	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "SCardEstablishContext: %s (0x%lX)\n",
			pcsc_stringify_error(rv), (unsigned long)rv);
		return -1;
	}
	/* the card may take a poll period (400 ms) to show up */
	for (tries = 0; tries < 100; tries++) {
		len = sizeof(readers);
		rv = SCardListReaders(ctx, NULL, readers, &len);
		if (rv == SCARD_S_SUCCESS) {
			for (r = readers; *r; r += strlen(r) + 1) {
				if (!strstr(r, want))
					continue;
				rv = SCardConnect(ctx, r, SCARD_SHARE_SHARED,
						  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
						  &card, &proto);
				if (rv == SCARD_S_SUCCESS)
					return 0;
			}
		}
		usleep(100000);
	}
	fprintf(stderr, "no card in a reader matching `%s': %s (0x%lX)\n",
		want, pcsc_stringify_error(rv), (unsigned long)rv);
	return -1;
}

static void test_atr(void)
{
	uint8_t atr[MAX_ATR_SIZE];
	DWORD atrlen = sizeof(atr), state, rproto, rlen = 0;
	LONG rv;
	size_t i, hist;

	begin("ATR: T=1 and extended Lc/Le");
	rv = SCardStatus(card, NULL, &rlen, &state, &rproto, atr, &atrlen);
	if (rv != SCARD_S_SUCCESS) {
		fail("SCardStatus: %s", pcsc_stringify_error(rv));
	} else {
		/* TD1 says T=1; the historical bytes hold 73 xx xx yy
		 * with yy & 40 (extended Lc and Le) */
		if (atrlen < 4 || !(atr[1] & 0x80) || (atr[2] & 0x0F) != 1)
			fail("TD1 does not announce T=1");
		hist = atr[1] & 0x0F;
		for (i = atrlen - 1 - hist; i + 3 < atrlen; i++)
			if (atr[i] == 0x73)
				break;
		if (i + 3 >= atrlen || !(atr[i + 3] & 0x40))
			fail("no extended Lc/Le in the card capabilities");
		if (rproto != SCARD_PROTOCOL_T1)
			fail("active protocol is not T=1");
	}
	end();
}

/* ---- sessions ---- */

static uint8_t mode_of(const char *name)
{
	static const char *names[] = { "", "xor", "list", "opkey", "ratchet" };
	uint8_t i;

	for (i = 1; i <= 4; i++)
		if (name && !strcmp(name, names[i]))
			return i;
	return 0;
}

/* GET CHALLENGE + INITIALIZE SESSION under the card's MKEY. */
static int init_session(struct term *tm, uint8_t mode, const uint8_t *rt,
			const uint8_t *keys, unsigned int N)
{
	static uint8_t apdu[2048];
	uint8_t gc[5] = { 0x00, 0x84, 0x00, 0x00, 0x10 }, rc[16];
	const char *why;
	size_t n, alen;

	n = xmit(gc, 5);
	if (n != 18 || sw_of(n) != 0x9000) {
		fail("GET CHALLENGE answered %04X", sw_of(n));
		return -1;
	}
	memcpy(rc, rsp, 16);
	alen = term_init(tm, mode, mkey, klen, rc, rt, keys, N, 0, apdu, NULL);
	n = xmit(apdu, alen);
	why = term_check_cc(tm, rsp, n);
	if (why) {
		fail("INITIALIZE SESSION: %s (SW %04X)", why, sw_of(n));
		return -1;
	}
	return 0;
}

static void random_keys(uint8_t mode, uint8_t *keys, unsigned int *N)
{
	size_t i;

	*N = mode == VC_XOR || mode == VC_RATCHET ? 2 : 18;
	for (i = 0; i < *N * klen; i++)
		keys[i] = (uint8_t)rand();
	for (i = 0; i < *N; i++)
		keys[i * klen] |= 1;	/* never all zeros, K_0 != K_1 */
	keys[0] = 0x10;
	keys[klen] = 0x21;
}

/* One protected command: returns the plain response length, or 0. */
static size_t sm_command(struct term *tm, const uint8_t *plain, size_t len,
			 int sel, uint8_t *out)
{
	static uint8_t papdu[70000];
	const char *why;
	size_t alen, n, olen;
	int pieces;

	alen = term_protect(tm, plain, len, sel, papdu, NULL);
	if (!alen) {
		fail("terminal model refused the command");
		return 0;
	}
	n = xmit_chain(papdu, alen, &pieces);
	why = term_unprotect(tm, whole, n, out, &olen, NULL);
	if (why) {
		fail("protected response rejected: %s (%zu bytes, SW %02X%02X)",
		     why, n, whole[n - 2], whole[n - 1]);
		return 0;
	}
	return olen;
}

struct sess {
	uint8_t mode;
	size_t klen;
	uint8_t rt[16];
	uint8_t keys[VC_MAX_GROUP * VC_MAX_KEY];
	unsigned int N;
};

static int read_session(struct vf_record *r, struct sess *s)
{
	char name[8];
	unsigned int i;
	size_t n;
	uint8_t *b;

	memset(s, 0, sizeof(*s));
	s->mode = mode_of(vf_get(r, "mode"));
	b = vf_hex(r, "mkey", &n);
	free(b);
	s->klen = n;
	vf_hexn(r, "rt", s->rt, 16);
	if (s->mode == VC_XOR || s->mode == VC_RATCHET) {
		s->N = 2;
		vf_hexn(r, "k0", s->keys, n);
		vf_hexn(r, "k1", s->keys + n, n);
	} else {
		s->N = (unsigned int)vf_int(r, "N");
		for (i = 0; i < s->N && i < VC_MAX_GROUP; i++) {
			snprintf(name, sizeof(name), "g%02u", i);
			vf_hexn(r, name, s->keys + i * n, n);
		}
	}
	return s->klen == klen ? 0 : -1;
}

/* A [pair]-like record: protected command and response as in the vector. */
static int replay_pair(struct vf_record *r, struct term *tm)
{
	static uint8_t papdu[70000], plain[70000];
	size_t plen, alen, n, rlen;
	int sel = vf_has(r, "selector") ? (int)vf_int(r, "selector") : -1;
	int pieces, ok = 1;
	uint8_t *pa;
	const char *why;

	pa = vf_hex(r, "plain_apdu", &plen);
	alen = term_protect(tm, pa, plen, sel, papdu, NULL);
	free(pa);
	if (!eqf(r, "protected_apdu", papdu, alen))
		return 0;
	n = xmit_chain(papdu, alen, &pieces);
	ok &= eqf(r, "protected_response", whole, n);
	if (papdu[4] != 0 && n - 2 > 256 && pieces < 2)
		fail("a long response to a short command was not chained");
	why = term_unprotect(tm, whole, n, plain, &rlen, NULL);
	if (why) {
		fail("terminal model rejects the response: %s", why);
		return 0;
	}
	ok &= eqf(r, "plain_response", plain, rlen);
	return ok;
}

/* Brings the card to the state after [session] and the records pre[]. */
static int to_state(struct vf_record *sess, struct vf_record **pre, size_t np,
		    struct term *tm)
{
	struct sess s;
	size_t i;

	if (read_session(sess, &s) || reset_card() ||
	    init_session(tm, s.mode, s.rt, s.keys, s.N))
		return -1;
	for (i = 0; i < np; i++)
		if (!replay_pair(pre[i], tm))
			return -1;
	return 0;
}

static void replay_session_file(const char *dir, const char *file)
{
	struct vf_record *sr[1], *pr[32];
	struct vf_file vf;
	char path[4096], name[256];
	struct term tm;
	struct sess s;
	size_t np, i;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (vf_load(path, &vf) || vf_section(&vf, "session", sr, 1) != 1) {
		begin(file);
		fail("cannot read %s", path);
		end();
		return;
	}
	if (read_session(sr[0], &s)) {
		vf_free(&vf);
		return;		/* the other suite's card plays this one */
	}
	snprintf(name, sizeof(name), "%s: INITIALIZE SESSION", file);
	begin(name);
	if (reset_card() == 0)
		init_session(&tm, s.mode, s.rt, s.keys, s.N);
	end();
	np = vf_section(&vf, "pair", pr, 32);
	for (i = 0; i < np; i++) {
		snprintf(name, sizeof(name), "%s: pair %zu", file, i + 1);
		begin(name);
		if (!replay_pair(pr[i], &tm)) {
			end();
			break;
		}
		end();
	}
	vc_sm_end(&tm.s);
	vf_free(&vf);
}

static void expect(struct vf_record *r, const char *apdu, const char *swname,
		   const char *full)
{
	uint8_t *a, sw[2];
	size_t len, n;

	a = vf_hex(r, apdu, &len);
	n = xmit(a, len);
	free(a);
	if (full) {
		eqf(r, full, rsp, n);
		return;
	}
	vf_hexn(r, swname, sw, 2);
	if (n != 2 || rsp[0] != sw[0] || rsp[1] != sw[1])
		fail("%s: %zu bytes, SW %04X; expected a bare %02X%02X", apdu,
		     n, sw_of(n), sw[0], sw[1]);
}

static void negative_cases(struct vf_file *vf, const char *ssec,
			   const char *psec, const char *stsec,
			   const char *csec)
{
	struct vf_record *sess[1], *pre[16], *cases[128], *st[1];
	char name[256];
	size_t np, nc, i, stop;
	struct term tm;

	if (vf_section(vf, ssec, sess, 1) != 1)
		return;
	np = vf_section(vf, psec, pre, 16);
	if (stsec && vf_section(vf, stsec, st, 1) == 1)
		pre[np++] = st[0];
	nc = vf_section(vf, csec, cases, 128);
	for (i = 0; i < nc; i++) {
		struct sess s;

		if (read_session(sess[0], &s))
			return;
		snprintf(name, sizeof(name), "negative [%s] %s", csec,
			 vf_get(cases[i], "case"));
		begin(name);
		stop = vf_has(cases[i], "n") ? (size_t)vf_int(cases[i], "n") - 1 : np;
		if (!to_state(sess[0], pre, stop, &tm)) {
			expect(cases[i], "apdu", "sw", NULL);
			expect(cases[i], "then_apdu", "then_sw", NULL);
		}
		vc_sm_end(&tm.s);
		end();
	}
}

static void fetch_cases(struct vf_file *vf)
{
	struct vf_record *sess[1], *pre[4], *fs[1], *cases[32];
	char name[256];
	size_t np, nc, i, len, n;
	struct term tm;
	struct sess s;
	uint8_t *a;

	if (vf_section(vf, "session", sess, 1) != 1 ||
	    vf_section(vf, "fetch-state", fs, 1) != 1 ||
	    read_session(sess[0], &s))
		return;
	np = vf_section(vf, "prefix", pre, 4);
	nc = vf_section(vf, "fetch", cases, 32);
	for (i = 0; i < nc; i++) {
		snprintf(name, sizeof(name), "negative [fetch] %s",
			 vf_get(cases[i], "case"));
		begin(name);
		if (!to_state(sess[0], pre, np, &tm)) {
			a = vf_hex(fs[0], "protected_apdu", &len);
			n = xmit(a, len);
			free(a);
			eqf(fs[0], "first_response", rsp, n);
			expect(cases[i], "apdu", NULL, "response");
			expect(cases[i], "then_apdu", NULL, "then_response");
		}
		vc_sm_end(&tm.s);
		end();
	}
}

static void plain_cases(struct vf_file *vf)
{
	struct vf_record *cases[64];
	char name[256];
	size_t nc, i, len, n;
	uint8_t *a, sw[2];

	nc = vf_section(vf, "plain", cases, 64);
	for (i = 0; i < nc; i++) {
		snprintf(name, sizeof(name), "negative [plain] %s",
			 vf_get(cases[i], "case"));
		begin(name);
		if (!reset_card()) {
			a = vf_hex(cases[i], "apdu", &len);
			n = xmit(a, len);
			free(a);
			vf_hexn(cases[i], "sw", sw, 2);
			if (rsp[n - 2] != sw[0] || rsp[n - 1] != sw[1])
				fail("SW %04X, expected %02X%02X", sw_of(n), sw[0], sw[1]);
			if (vf_has(cases[i], "response_length") &&
			    (long long)n != vf_int(cases[i], "response_length"))
				fail("%zu bytes", n);
		}
		end();
	}
}

static void test_negative(const char *dir)
{
	struct vf_file vf;
	char path[4096];

	snprintf(path, sizeof(path), "%s/negative.txt", dir);
	if (vf_load(path, &vf)) {
		begin("negative.txt");
		fail("cannot read %s", path);
		end();
		return;
	}
	negative_cases(&vf, "session", "prefix", "state", "card");
	negative_cases(&vf, "opkey-session", "opkey-prefix", "opkey-state",
		       "opkey-card");
	negative_cases(&vf, "opkey-zero-session", "opkey-zero-prefix", NULL,
		       "opkey-zero-card");
	fetch_cases(&vf);
	plain_cases(&vf);
	vf_free(&vf);
}

/* ---- random sessions against a model file system ---- */

static int load_model(struct vc_fs *fs)
{
	uint8_t *img;
	size_t len;
	FILE *f = fopen(image_path, "rb");
	int ret;

	if (!f)
		return -1;
	img = malloc(1 << 20);
	len = fread(img, 1, 1 << 20, f);
	fclose(f);
	ret = vc_fs_parse(fs, img, len);
	free(img);
	return ret;
}

static int image_matches(const struct vc_fs *fs)
{
	uint8_t *img, *want;
	size_t len, wlen;
	FILE *f = fopen(image_path, "rb");
	int ok;

	if (!f)
		return 0;
	img = malloc(1 << 20);
	len = fread(img, 1, 1 << 20, f);
	fclose(f);
	vc_fs_serialize(fs, &want, &wlen);
	ok = eq("image file", img, len, want, wlen);
	free(img);
	free(want);
	return ok;
}

/* Appends Lc/data/Le in short or extended form. */
static size_t build(uint8_t *a, uint8_t cla, uint8_t ins, uint8_t p1,
		    uint8_t p2, const uint8_t *data, size_t lc, size_t ne)
{
	size_t n = 4;
	int ext = lc > 255 || ne > 256 || (rand() % 8 == 0 && (lc || ne));

	a[0] = cla;
	a[1] = ins;
	a[2] = p1;
	a[3] = p2;
	if (ext)
		a[n++] = 0;
	if (lc) {
		if (ext)
			a[n++] = (uint8_t)(lc >> 8);
		a[n++] = (uint8_t)lc;
		memcpy(a + n, data, lc);
		n += lc;
	}
	if (ne) {
		if (ext)	/* case 2E reuses the 00 above */
			a[n++] = (uint8_t)(ne >> 8);
		a[n++] = (uint8_t)ne;
	}
	return n;
}

static size_t random_command(const struct vc_fs *fs, uint8_t *a)
{
	static uint8_t data[2048];
	const struct vc_file *f;
	int k = rand() % 100;
	size_t off, len, ne, i, size;
	uint16_t fid;

	f = &fs->files[rand() % fs->nfiles];
	size = fs->cur_ef >= 0 ? fs->files[fs->cur_ef].size : 512;
	if (k < 20) {		/* SELECT by FID, or a missing one */
		fid = rand() % 8 ? f->fid : 0x1234;
		data[0] = fid >> 8;
		data[1] = fid & 0xFF;
		return build(a, 0x00, 0xA4, 0x00, rand() % 2 ? 0x0C : 0x00,
			     data, 2, rand() % 2 ? 256 : 0);
	}
	if (k < 30) {		/* SELECT by path from the MF */
		len = 0;
		if (rand() % 2) {
			data[len++] = 0x3F;
			data[len++] = 0x00;
		}
		if (f->parent != VC_FID_MF) {
			data[len++] = f->parent >> 8;
			data[len++] = f->parent & 0xFF;
		}
		if (f->fid != VC_FID_MF) {
			data[len++] = f->fid >> 8;
			data[len++] = f->fid & 0xFF;
		}
		if (!len) {
			data[len++] = 0x3F;
			data[len++] = 0x00;
		}
		return build(a, 0x00, 0xA4, 0x08, 0x00, data, len, 256);
	}
	if (k < 60) {		/* READ BINARY */
		off = (size_t)rand() % (size + 8);
		switch (rand() % 4) {
		case 0:
			ne = 1 + rand() % 255;
			break;
		case 1:
			ne = 256;
			break;
		case 2:
			ne = 1 + rand() % 9000;
			break;
		default:
			ne = 65536;
			break;
		}
		return build(a, 0x00, 0xB0, (uint8_t)(off >> 8), (uint8_t)off,
			     NULL, 0, ne);
	}
	if (k < 92) {		/* UPDATE / WRITE BINARY */
		off = (size_t)rand() % (size + 4);
		len = 1 + (size_t)rand() % (rand() % 4 ? 200 : 1500);
		for (i = 0; i < len; i++)
			data[i] = (uint8_t)rand();
		return build(a, 0x00, rand() % 4 ? 0xD6 : 0xD0,
			     (uint8_t)(off >> 8), (uint8_t)off, data, len,
			     0);
	}
	if (k < 95)		/* proprietary class: 6D00 */
		return build(a, 0x80, 0xCA, 0x9F, 0x7F, NULL, 0, 256);
	if (k < 98)		/* unknown INS: 6D00 */
		return build(a, 0x00, 0x20, 0x00, 0x81, NULL, 0, 0);
	return build(a, 0x10, 0xB0, 0x00, 0x00, NULL, 0, 16);	/* 6884 */
}

/* The terminal's draw: uniformly among the selectors that qualify. */
static int draw_selector(struct term *tm)
{
	int ok[VC_MAX_GROUP], n = 0;
	unsigned int s;

	if (tm->s.mode != VC_LIST && tm->s.mode != VC_OPKEY)
		return -1;
	for (s = 0; s < tm->s.N; s++) {
		struct vc_session copy = tm->s;

		if (!vc_sm_select(&copy, s))
			ok[n++] = (int)s;
		vc_sm_end(&copy);
	}
	return n ? ok[rand() % n] : -2;
}

static void random_session(uint8_t mode, int count)
{
	static uint8_t a[70000], got[70000], want[70000];
	uint8_t keys[VC_MAX_GROUP * VC_MAX_KEY], rt[16];
	char name[128];
	struct vc_fs fs;
	struct vc_apdu pa;
	struct term tm;
	unsigned int N;
	size_t len, n, wlen;
	int i, sel;
	uint16_t sw;

	snprintf(name, sizeof(name), "random %s session, %d commands",
		 vc_mode_name(mode), count);
	begin(name);
	if (reset_card() || load_model(&fs)) {
		fail("cannot load the image as a model");
		end();
		return;
	}
	random_keys(mode, keys, &N);
	for (i = 0; i < 16; i++)
		rt[i] = (uint8_t)rand();
	if (init_session(&tm, mode, rt, keys, N))
		goto out;
	for (i = 0; i < count && !bad; i++) {
		len = random_command(&fs, a);
		sel = draw_selector(&tm);
		if (sel == -2) {	/* no selector qualifies: new session */
			init_session(&tm, mode, rt, keys, N);
			continue;
		}
		n = sm_command(&tm, a, len, sel, got);
		if (!n)
			break;
		vc_apdu_parse(a, len, &pa);
		sw = vc_fs_command(&fs, &pa, true, want, &wlen);
		want[wlen] = sw >> 8;
		want[wlen + 1] = sw & 0xFF;
		if (!eq("plain response", got, n, want, wlen + 2)) {
			hex_print("command ", a, len);
			break;
		}
	}
	if (!bad)
		image_matches(&fs);
out:
	vc_sm_end(&tm.s);
	vc_fs_free(&fs);
	end();
}

/* The patent's walk-through, under SM (ratchet), then the image. */
static void walk_through(void)
{
	static const uint8_t text[] = "JP7206869B2 walk-through: written under SM";
	uint8_t a[512], out[512], keys[64], rt[16] = { 1, 2, 3 };
	uint8_t sel[] = { 0x00, 0xA4, 0x08, 0x0C, 0x04, 0x5F, 0x00, 0x5F, 0x01 };
	size_t n, len;
	unsigned int N;
	struct term tm;
	struct vc_fs fs;
	const struct vc_file *f;

	begin("walk-through: SELECT FILE, WRITE BINARY, READ BINARY, image");
	random_keys(VC_RATCHET, keys, &N);
	if (reset_card() || init_session(&tm, VC_RATCHET, rt, keys, N))
		goto out;
	n = sm_command(&tm, sel, sizeof(sel), -1, out);
	if (n != 2 || out[0] != 0x90)
		fail("SELECT 5F00/5F01: %02X%02X", out[n - 2], out[n - 1]);
	len = build(a, 0x00, 0xD0, 0x00, 0x20, text, sizeof(text), 0);
	n = sm_command(&tm, a, len, -1, out);
	if (n != 2 || out[0] != 0x90)
		fail("WRITE BINARY: %02X%02X", out[n - 2], out[n - 1]);
	len = build(a, 0x00, 0xB0, 0x00, 0x20, NULL, 0, sizeof(text));
	n = sm_command(&tm, a, len, -1, out);
	if (n != sizeof(text) + 2 || memcmp(out, text, sizeof(text)))
		fail("READ BINARY does not give the data back");
	if (load_model(&fs)) {
		fail("cannot read the image");
	} else {
		f = vc_fs_lookup(&fs, 0x5F01);
		if (!f || f->size < 0x20 + sizeof(text) ||
		    memcmp(f->data + 0x20, text, sizeof(text)))
			fail("the image does not hold the written data");
		vc_fs_free(&fs);
	}
	/* a reset ends the session: the next protected command gets 6988 */
	if (reset_card() == 0) {
		uint8_t papdu[600];

		len = build(a, 0x00, 0xB0, 0x00, 0x20, NULL, 0, 4);
		len = term_protect(&tm, a, len, -1, papdu, NULL);
		n = xmit(papdu, len);
		if (n != 2 || sw_of(n) != 0x6988)
			fail("after a reset: %04X, expected 6988", sw_of(n));
	}
out:
	vc_sm_end(&tm.s);
	end();
}

static int read_mkey(const char *path)
{
	char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f || !fgets(buf, sizeof(buf), f))
		return -1;
	fclose(f);
	n = strcspn(buf, " \t\r\n");
	buf[n] = 0;
	if (hex_decode(buf, mkey, sizeof(mkey), &klen) ||
	    (klen != 16 && klen != 32))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static const char *files[] = {
		"session-xor-aes128.txt", "session-xor-aes256.txt",
		"session-list-aes128.txt", "session-list-aes256.txt",
		"session-opkey-aes128.txt", "session-opkey-aes256.txt",
		"session-ratchet-aes128.txt", "session-ratchet-aes256.txt",
	};
	const char *reader = NULL, *dir = NULL, *keyfile = NULL;
	unsigned int seed = (unsigned int)time(NULL);
	int opt, count = 1000, vectors = 1;
	size_t i;
	uint8_t m;

	while ((opt = getopt(argc, argv, "r:i:k:d:n:s:V")) != -1) {
		switch (opt) {
		case 'r':
			reader = optarg;
			break;
		case 'i':
			image_path = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'n':
			count = atoi(optarg);
			break;
		case 'V':
			vectors = 0;
			break;
		case 's':
			seed = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		default:
			return 2;
		}
	}
	if (!reader || !image_path || !keyfile || !dir || read_mkey(keyfile)) {
		fprintf(stderr, "usage: pcsc-test -r READER -i IMAGE -k MKEY_FILE -d VECTOR_DIR [-n COUNT] [-s SEED]\n");
		return 2;
	}
	printf("seed %u\n", seed);
	srand(seed);
	if (connect_reader(reader)) {
		printf("RESULT 0 1\n");
		return 1;
	}
	SCardBeginTransaction(card);
	test_atr();
	/* negative.txt reads EF 0101 as created; the sessions write it */
	if (vectors) {
		test_negative(dir);
		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
			replay_session_file(dir, files[i]);
	}
	for (m = VC_XOR; m <= VC_RATCHET; m++)
		random_session(m, count);
	walk_through();
	SCardEndTransaction(card, SCARD_LEAVE_CARD);
	SCardDisconnect(card, SCARD_UNPOWER_CARD);
	SCardReleaseContext(ctx);
	printf("RESULT %d %d\n", passed, failed);
	return failed ? 1 : 0;
}
