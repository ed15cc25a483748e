// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target "card": the card library's command path (userspace/card/:
 * vcard_process() and everything under it: framing, GET CHALLENGE,
 * INITIALIZE SESSION, the SM checks, GET RESPONSE chaining, the file
 * system), on a fresh default image whose MKEY is that of a vector session,
 * with the card's random numbers starting with that session's RC, so that
 * the vectors' commands (GET CHALLENGE, INITIALIZE SESSION, the protected
 * pairs) are accepted and the fuzzer starts inside a session.
 *
 * Input: S F, then messages [len_hi len_lo] bytes (clipped): each is one
 * command APDU; an empty one is vcard_reset(). S % NSESS picks the
 * session (the table of sm-fuzz.c); F bit 0: the first message patches the
 * default image (triples OFF_hi OFF_lo XOR; a pair left over is the new
 * length, if shorter), F bit 1: it is the card image itself. Either way
 * vc_fs_parse() is fuzzed too; nothing happens if the image is refused.
 * Oracles: every answer is 2..VCARD_RSP_MAX bytes; every image the card
 * commits after a write loads again with vcard_new().
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../userspace/card/vcard.h"

typedef uint8_t u8;
typedef uint32_t u32;
#include "shim/tv.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

static const char *const sess[][2] = {
	{ "session-xor-aes128", "session" }, { "session-xor-aes256", "session" },
	{ "session-list-aes128", "session" }, { "session-list-aes256", "session" },
	{ "session-opkey-aes128", "session" }, { "session-opkey-aes256", "session" },
	{ "session-ratchet-aes128", "session" }, { "session-ratchet-aes256", "session" },
	{ "negative", "session" }, { "negative", "opkey-session" },
	{ "negative", "opkey-zero-session" },
};
#define NSESS (sizeof(sess) / sizeof(sess[0]))
static struct { const u8 *mkey, *rc; u32 klen; uint8_t *img; size_t len; } tab[NSESS];

static const u8 *field(const char *file, const char *sec, const char *name, u32 *len)
{
	for (unsigned int i = 0; i < smchan_tv_nsections; i++) {
		const struct smchan_tv_section *s = &smchan_tv_sections[i];

		if (strcmp(s->file, file) || strcmp(s->section, sec))
			continue;
		for (unsigned int f = 0; f < s->records[0].nfields; f++)
			if (!strcmp(s->records[0].fields[f].name, name)) {
				*len = s->records[0].fields[f].len;
				return s->records[0].fields[f].bytes;
			}
	}
	fprintf(stderr, "vectors: no %s in [%s] of %s\n", name, sec, file);
	abort();
}

struct rng { const u8 *rc; unsigned int calls; uint64_t x; };

static int rng(void *ctx, uint8_t *buf, size_t len)
{
	struct rng *r = ctx;

	if (!r->calls++ && len == 16) {		/* the vector's RC first */
		memcpy(buf, r->rc, 16);
		return 0;
	}
	while (len--) {
		r->x ^= r->x << 13;
		r->x ^= r->x >> 7;
		r->x ^= r->x << 17;
		*buf++ = (uint8_t)(r->x >> 24);
	}
	return 0;
}

static bool debug;
static uint8_t *committed;
static size_t committed_len;

static int commit(void *ctx, const uint8_t *img, size_t len)
{
	(void)ctx;
	free(committed);
	committed = malloc(len ? len : 1);
	memcpy(committed, img, len);
	committed_len = len;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	u32 rclen;

	(void)argc;
	(void)argv;
	debug = getenv("SMCHAN_FUZZ_DEBUG");
	for (unsigned int i = 0; i < NSESS; i++) {
		tab[i].mkey = field(sess[i][0], sess[i][1], "mkey", &tab[i].klen);
		tab[i].rc = field(sess[i][0], sess[i][1], "rc", &rclen);
		CHECK(rclen == 16);
		CHECK(!vcard_create_image(tab[i].mkey, tab[i].klen, &tab[i].img, &tab[i].len));
	}
	return 0;
}

/* The next message, in a buffer of its exact size (overreads show). */
static uint8_t *next(const uint8_t **p, size_t *left, size_t *len)
{
	size_t n;
	uint8_t *m;

	if (*left < 2)
		return NULL;
	n = (size_t)(*p)[0] << 8 | (*p)[1];
	*p += 2;
	*left -= 2;
	if (n > *left)
		n = *left;
	m = malloc(n ? n : 1);
	memcpy(m, *p, n);
	*p += n;
	*left -= n;
	*len = n;
	return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *rsp;
	const uint8_t *p = data + 2;
	size_t left = size - 2, len, out;
	struct vcard *c;
	uint8_t *msg;
	struct rng r;

	if (size < 2)
		return 0;
	if (!rsp)
		rsp = malloc(VCARD_RSP_MAX);
	r = (struct rng){ tab[data[0] % NSESS].rc, 0, 0x5eed + data[0] };
	if (data[1] & 3) {
		size_t ilen = tab[data[0] % NSESS].len, i, off;
		uint8_t *img;

		msg = next(&p, &left, &len);
		if (!msg)
			return 0;
		if (data[1] & 2) {
			img = msg;
			ilen = len;
			msg = NULL;
		} else {
			img = malloc(ilen);
			memcpy(img, tab[data[0] % NSESS].img, ilen);
			for (i = 0; i + 3 <= len; i += 3) {
				off = ((size_t)msg[i] << 8 | msg[i + 1]) % ilen;
				img[off] ^= msg[i + 2];
			}
			if (len - i == 2 && ((size_t)msg[i] << 8 | msg[i + 1]) < ilen)
				ilen = (size_t)msg[i] << 8 | msg[i + 1];
		}
		c = vcard_new(img, ilen);
		free(img);
		free(msg);
		if (!c)
			return 0;
	} else {
		c = vcard_new(tab[data[0] % NSESS].img, tab[data[0] % NSESS].len);
		CHECK(c);
	}
	vcard_set_rng(c, rng, &r);
	vcard_set_commit(c, commit, NULL);
	while ((msg = next(&p, &left, &len))) {
		if (!len) {
			vcard_reset(c);
		} else {
			out = vcard_process(c, msg, len, rsp);
			CHECK(out >= 2 && out <= VCARD_RSP_MAX);
			if (debug)	/* SMCHAN_FUZZ_DEBUG=1: each answer's SW */
				fprintf(stderr, "%02x%02x.. -> %zu bytes, %02x%02x\n",
					msg[0], len > 1 ? msg[1] : 0, out,
					rsp[out - 2], rsp[out - 1]);
		}
		free(msg);
	}
	vcard_free(c);
	if (committed) {	/* what the card wrote to disk loads again */
		c = vcard_new(committed, committed_len);
		CHECK(c);
		vcard_free(c);
		free(committed);
		committed = NULL;
	}
	return 0;
}
