// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target "diff": the two card-side implementations of PROTOCOL.md
 * section 4 against each other. The kernel engine's card role
 * (kernel/sm.c over tests/fuzz/shim/, as in sm-fuzz.c) and the card
 * library (userspace/card/, vcard_process()) start the same vector
 * session (the card library from GET CHALLENGE with the vector's RC and
 * the vector's INITIALIZE SESSION), then both get every message of the
 * input whose CLA is protected. They must take the same decision on each:
 * accepted by both (the kernel engine answers an empty response to move
 * on; the card library a protected response), or refused by both with the
 * same status word (69 88, 69 87), and the card library's command number
 * must be the engine's n.
 *
 * Input: S, then messages [len_hi len_lo] bytes (clipped); S % NSESS picks
 * the session (the table of sm-fuzz.c). The seeds are sm's card-role ones.
 */
#include <stdio.h>
#include "../../kernel/sm.h"
#include "../../userspace/card/vcard.h"
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
static struct {
	const u8 *mkey, *rc, *init;
	u32 klen, init_len;
	uint8_t *img;
	size_t len;
} tab[NSESS];

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

static int rng(void *ctx, uint8_t *buf, size_t len)
{
	const u8 *rc = ctx;

	CHECK(len == 16);	/* only GET CHALLENGE draws */
	memcpy(buf, rc, 16);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	u32 rclen;

	(void)argc;
	(void)argv;
	for (unsigned int i = 0; i < NSESS; i++) {
		tab[i].mkey = field(sess[i][0], sess[i][1], "mkey", &tab[i].klen);
		tab[i].rc = field(sess[i][0], sess[i][1], "rc", &rclen);
		tab[i].init = field(sess[i][0], sess[i][1], "init_apdu", &tab[i].init_len);
		CHECK(!vcard_create_image(tab[i].mkey, tab[i].klen, &tab[i].img, &tab[i].len));
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static u8 *rsp, *buf, *out;
	struct smchan_apdu prot, plain, init;
	const u8 *p = data + 1;
	size_t left, n, r;
	struct smchan_sm *sm;
	struct vcard *c;
	u8 cc[SMCHAN_BLOCK], *msg;
	unsigned int i;
	int sw, ret;
	u64 num;

	if (!size)
		return 0;
	if (!rsp) {
		rsp = malloc(VCARD_RSP_MAX);
		buf = malloc(65520);
		out = malloc(SMCHAN_PROT_RSP_MAX);
	}
	i = data[0] % NSESS;
	left = size - 1;
	c = vcard_new(tab[i].img, tab[i].len);
	CHECK(c);
	vcard_set_rng(c, rng, (void *)tab[i].rc);
	CHECK(vcard_process(c, (const u8 *)"\x00\x84\x00\x00\x10", 5, rsp) == 18);
	CHECK(vcard_process(c, tab[i].init, tab[i].init_len, rsp) == 18 &&
	      rsp[16] == 0x90 && rsp[17] == 0x00);
	sm = smchan_sm_alloc();
	CHECK((uintptr_t)sm < (uintptr_t)-4095);
	CHECK(!smchan_apdu_parse(&init, tab[i].init, tab[i].init_len));
	CHECK(smchan_card_init_session(sm, tab[i].mkey, tab[i].klen, tab[i].rc, &init, cc) ==
	      SMCHAN_SW_OK && !memcmp(cc, rsp, 16));

	while (left >= 2) {
		n = get_unaligned_be16(p);
		p += 2;
		left -= 2;
		n = min(n, left);
		msg = malloc(n ? n : 1);	/* exact size: overreads show */
		memcpy(msg, p, n);
		p += n;
		left -= n;
		if (smchan_apdu_parse(&prot, msg, n) ||
		    smchan_cla_class(prot.cla) != SMCHAN_CLA_PROTECTED) {
			free(msg);
			continue;	/* protected commands only */
		}
		num = sm->n;
		r = vcard_process(c, msg, n, rsp);
		sw = smchan_sm_unprotect_command(sm, &prot, &plain, buf, 65520);
		if (sw == SMCHAN_SW_OK) {
			ret = smchan_sm_protect_response(sm, NULL, 0, 0x9000, plain.ne, out,
							 SMCHAN_PROT_RSP_MAX);
			CHECK(ret > 0);
			CHECK(r > 2);	/* the card library accepted it too */
			CHECK(vcard_last_event(c)->sm_n == num);
		} else {
			CHECK(sw > 0);
			CHECK(r == 2 && get_unaligned_be16(rsp) == sw);
		}
		free(msg);
	}
	smchan_sm_free(sm);
	vcard_free(c);
	return 0;
}
