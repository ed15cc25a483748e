// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target "sm": kernel/sm.c and kernel/apdu.c, built for userspace over
 * tests/fuzz/shim/ (kernel.h + an OpenSSL crypto.c), driven with sessions
 * of the test vectors (tests/vectors/, as C tables from tests/gen-vectors.py).
 *
 * Input: S F X then messages, each [len_hi len_lo] bytes (clipped to what
 * is left).
 *   S  session: S % NSESS of the table below (8 session files, 3 of negative.txt)
 *   F  bit 0: role terminal (else card); bit 1: the session is initialised
 *      from the input (card: message 1 is INITIALIZE SESSION; terminal:
 *      message 1 the GET CHALLENGE answer, message 2 the INITIALIZE SESSION
 *      answer) instead of from the vector; bit 2: the Xth crypto call fails;
 *      bit 3: the Xth allocation fails; bit 4: small output buffers
 *   card:     each message is protected command n (apdu parse, class,
 *             smchan_sm_unprotect_command()); the card answers with the
 *             vector's plain response of pair n (or echoes the data) through
 *             smchan_sm_protect_response()
 *   terminal: for pair n the terminal protects the vector's plain command n
 *             (smchan_sm_protect_command()); the messages are the pieces of
 *             the response (smchan_chain_feed(), 61 xx chaining), then
 *             smchan_sm_unprotect_response()
 *   bit 5 (loopback): both roles at once, a terminal and a card engine in
 *   the vector's session; each message is OP POS_hi POS_lo XOR, then a plain
 *   command (CLA & 0x93, INS, P1, P2, Ne_hi Ne_lo (FFFF: 65536), data) that
 *   the terminal protects, the card checks and answers (its data back, SW =
 *   P1 P2), and the terminal verifies; OP % 4: 1 flips bits of the
 *   protected command (byte POS, XOR), 2 of the protected response, 3 sends
 *   the card the previous protected command again (a replay); bit 6: the
 *   terminal's rekey limit is X
 * Oracles besides the sanitizers: parse/encode of an APDU round-trips; a
 * command or response the engine accepts in pair n is the vector's (no
 * forgery gets through); a failure ends the session and wipes every key;
 * without faults, protected bytes equal the vector's; in loopback, every
 * untouched pair goes through with the same command and answer on both
 * sides and the same next key, a touched one is either refused (and both
 * sessions end) or is exactly the untouched one, and a replay is refused.
 */
#include <stdio.h>
#include "../../kernel/sm.h"
#include "shim/tv.h"

extern unsigned int fuzz_fail_alloc, fuzz_fail_crypto;
void fuzz_rng_seed(u64 seed);

#define MAXPAIRS 16
#define DATA_SIZE 65520
struct bytes { const u8 *p; u32 len; };
struct pairv { struct bytes plain_apdu, prot_apdu, plain_rsp, prot_rsp; int sel; };
struct sessv {
	const char *file, *sec, *pairsec[2];
	enum smchan_mode mode;
	unsigned int klen, n_keys, npairs;
	struct bytes mkey, rc, rt, init_apdu, init_rsp;
	u8 keys[SMCHAN_GROUP_MAX * SMCHAN_KEY_MAX], chal[SMCHAN_CHALLENGE_LEN + 2];
	struct pairv pair[MAXPAIRS];
};
static struct sessv sess[] = {
	{ "session-xor-aes128", "session", { "pair" } },
	{ "session-xor-aes256", "session", { "pair" } },
	{ "session-list-aes128", "session", { "pair" } },
	{ "session-list-aes256", "session", { "pair" } },
	{ "session-opkey-aes128", "session", { "pair" } },
	{ "session-opkey-aes256", "session", { "pair" } },
	{ "session-ratchet-aes128", "session", { "pair" } },
	{ "session-ratchet-aes256", "session", { "pair" } },
	{ "negative", "session", { "prefix", "state" } },
	{ "negative", "opkey-session", { "opkey-prefix", "opkey-state" } },
	{ "negative", "opkey-zero-session", { "opkey-zero-prefix" } },
};
#define NSESS (sizeof(sess) / sizeof(sess[0]))

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

static const struct smchan_tv_section *section(const char *file, const char *sec)
{
	for (unsigned int i = 0; i < smchan_tv_nsections; i++)
		if (!strcmp(smchan_tv_sections[i].file, file) &&
		    !strcmp(smchan_tv_sections[i].section, sec))
			return &smchan_tv_sections[i];
	fprintf(stderr, "vectors: no [%s] in %s\n", sec, file);
	abort();
}

static const struct smchan_tv_field *field(const struct smchan_tv_record *r,
					   const char *name)
{
	for (unsigned int i = 0; i < r->nfields; i++)
		if (!strcmp(r->fields[i].name, name))
			return &r->fields[i];
	return NULL;
}

static struct bytes hex(const struct smchan_tv_record *r, const char *name)
{
	const struct smchan_tv_field *f = field(r, name);

	if (!f || !f->bytes) {
		fprintf(stderr, "vectors: %s:%u: no hex field %s\n", r->file, r->line, name);
		abort();
	}
	return (struct bytes){ f->bytes, f->len };
}

static void load(struct sessv *s)
{
	const struct smchan_tv_record *r = &section(s->file, s->sec)->records[0];
	const struct smchan_tv_field *f;
	char name[8];

	s->mode = hex(r, "p1").p[0];
	s->mkey = hex(r, "mkey");
	s->klen = s->mkey.len;
	s->rc = hex(r, "rc");
	s->rt = hex(r, "rt");
	s->init_apdu = hex(r, "init_apdu");
	s->init_rsp = hex(r, "init_response");
	memcpy(s->chal, s->rc.p, SMCHAN_CHALLENGE_LEN);
	s->chal[16] = 0x90;
	f = field(r, "N");
	s->n_keys = f ? atoi(f->text) : 2;
	for (unsigned int i = 0; i < s->n_keys; i++) {
		snprintf(name, sizeof(name), field(r, "k0") ? "k%u" : "g%02u", i);
		memcpy(s->keys + i * s->klen, hex(r, name).p, s->klen);
	}
	for (int k = 0; k < 2 && s->pairsec[k]; k++) {
		const struct smchan_tv_section *sec = section(s->file, s->pairsec[k]);

		for (unsigned int i = 0; i < sec->nrecords && s->npairs < MAXPAIRS; i++) {
			struct pairv *p = &s->pair[s->npairs++];

			r = &sec->records[i];
			p->plain_apdu = hex(r, "plain_apdu");
			p->prot_apdu = hex(r, "protected_apdu");
			p->plain_rsp = hex(r, "plain_response");
			p->prot_rsp = hex(r, "protected_response");
			f = field(r, "selector");
			p->sel = f ? atoi(f->text) : -1;
		}
	}
}

static bool faulty;	/* a fault was armed for this input */
static size_t out_size(size_t want, bool small) { return small ? 300 : want; }

/* A failure ends the session and wipes its keys. */
static void check_ended(const struct smchan_sm *sm)
{
	CHECK(!sm->established && !sm->pending);
	CHECK(!memchr_inv(sm->k, 0, sizeof(sm->k)) &&
	      !memchr_inv(sm->k_next, 0, sizeof(sm->k_next)) &&
	      !memchr_inv(sm->enc, 0, sizeof(sm->enc)) &&
	      !memchr_inv(sm->mac, 0, sizeof(sm->mac)) &&
	      !sm->group);
}

/* Parse, and check that encoding gives the same bytes back. */
static int parse(struct smchan_apdu *a, const u8 *buf, size_t len)
{
	u8 *again;

	if (smchan_apdu_parse(a, buf, len))
		return -1;
	CHECK(smchan_apdu_encoded_len(a) == len);
	again = malloc(len);
	CHECK(smchan_apdu_encode(a, again, len) == len && !memcmp(again, buf, len));
	free(again);
	return 0;
}

static bool same_apdu(const struct smchan_apdu *a, const struct smchan_apdu *b)
{
	return a->cla == b->cla && a->ins == b->ins && a->p1 == b->p1 &&
	       a->p2 == b->p2 && a->nc == b->nc && a->ne == b->ne &&
	       (!a->nc || !memcmp(a->data, b->data, a->nc));
}

struct input { const u8 *p; size_t left; };

/* The next message, in a buffer of its exact size; NULL at the end. */
static u8 *next_msg(struct input *in, size_t *len)
{
	size_t n;
	u8 *m;

	if (in->left < 2)
		return NULL;
	n = get_unaligned_be16(in->p);
	in->p += 2;
	in->left -= 2;
	n = min(n, in->left);
	m = malloc(n ? n : 1);
	memcpy(m, in->p, n);
	in->p += n;
	in->left -= n;
	*len = n;
	return m;
}

static struct smchan_sm *alloc_sm(void)
{
	struct smchan_sm *sm = smchan_sm_alloc();

	return (uintptr_t)sm >= (uintptr_t)-4095 ? NULL : sm;
}

static bool card_init(struct smchan_sm *sm, const struct sessv *s, const u8 *apdu,
		      size_t len)
{
	struct smchan_apdu cmd;
	u8 cc[SMCHAN_BLOCK];
	int sw;

	if (parse(&cmd, apdu, len) || cmd.cla != 0x80 || cmd.ins != 0x8a)
		return false;
	sw = smchan_card_init_session(sm, s->mkey.p, s->mkey.len, s->rc.p, &cmd, cc);
	if (sw != SMCHAN_SW_OK) {
		check_ended(sm);
		return false;
	}
	CHECK(sm->established && sm->n == 1);
	if (!faulty && len == s->init_apdu.len && !memcmp(apdu, s->init_apdu.p, len))
		CHECK(!memcmp(cc, s->init_rsp.p, SMCHAN_BLOCK));
	return true;
}

/* Card: protected command n from @msg; false when the session ended. */
static bool card_step(struct smchan_sm *sm, const struct sessv *s, bool small,
		      const u8 *msg, size_t len)
{
	unsigned int i = sm->n - 1;
	const struct pairv *v = i < s->npairs ? &s->pair[i] : NULL;
	struct smchan_apdu prot, plain, want;
	size_t dsize = out_size(DATA_SIZE, small), rlen;
	u8 *data, *out;
	const u8 *r;
	u16 sw;
	int ret;

	if (parse(&prot, msg, len) || smchan_cla_class(prot.cla) != SMCHAN_CLA_PROTECTED) {
		smchan_sm_end(sm, SMCHAN_END_LOCAL);	/* what the card does */
		return false;
	}
	data = malloc(dsize);
	ret = smchan_sm_unprotect_command(sm, &prot, &plain, data, dsize);
	if (ret != SMCHAN_SW_OK) {
		CHECK(ret == SMCHAN_SW_SM_INCORRECT || ret == SMCHAN_SW_SM_MISSING ||
		      ret == -EMSGSIZE || (faulty && ret < 0));
		check_ended(sm);
		free(data);
		return false;
	}
	CHECK(sm->pending && smchan_cla_class(plain.cla) == SMCHAN_CLA_PLAIN);
	CHECK(plain.nc <= dsize && (!plain.nc || (plain.data >= data &&
	      plain.data + plain.nc <= data + dsize)));
	if (v) {	/* only the vector's command can pass the MAC */
		CHECK(!smchan_apdu_parse(&want, v->plain_apdu.p, v->plain_apdu.len));
		CHECK(same_apdu(&plain, &want));
		r = v->plain_rsp.p;
		rlen = v->plain_rsp.len - 2;
		sw = get_unaligned_be16(r + rlen);
	} else {
		r = plain.data;
		rlen = plain.nc;
		sw = 0x9000;
	}
	out = malloc(out_size(SMCHAN_PROT_RSP_MAX, small));
	ret = smchan_sm_protect_response(sm, r, rlen, sw, plain.ne, out,
					 out_size(SMCHAN_PROT_RSP_MAX, small));
	if (ret == -EMSGSIZE) {
		CHECK(small && sm->pending);
		smchan_sm_end(sm, SMCHAN_END_LOCAL);
	} else if (ret < 0) {
		CHECK(faulty);
		check_ended(sm);
	} else if (v && !faulty) {
		CHECK((size_t)ret == v->prot_rsp.len && !memcmp(out, v->prot_rsp.p, ret));
	}
	free(out);
	free(data);
	return sm->established;
}

static bool term_init(struct smchan_sm *sm, const struct sessv *s, struct input *in,
		      bool from_input)
{
	struct smchan_init ini;
	u8 *out = malloc(SMCHAN_INIT_APDU_MAX), *m1 = NULL, *m2 = NULL;
	size_t l1 = sizeof(s->chal), l2 = s->init_rsp.len;
	const u8 *chal = s->chal, *rsp = s->init_rsp.p;
	bool ok = false;
	int ret;

	CHECK(!smchan_init_load(&ini, s->mode, s->klen, s->n_keys, s->rt.p, s->keys));
	if (from_input) {
		chal = m1 = next_msg(in, &l1);
		if (!m1)
			goto out;
	}
	ret = smchan_init_command(sm, &ini, s->mkey.p, s->mkey.len, chal, l1, out,
				  SMCHAN_INIT_APDU_MAX);
	if (ret < 0) {
		CHECK(from_input || faulty);
		goto out;
	}
	if (!faulty && l1 == sizeof(s->chal) && !memcmp(chal, s->chal, l1))
		CHECK((size_t)ret == s->init_apdu.len && !memcmp(out, s->init_apdu.p, ret));
	if (from_input) {
		rsp = m2 = next_msg(in, &l2);
		if (!m2)
			goto out;
	}
	ret = smchan_init_complete(sm, &ini, rsp, l2);
	CHECK(!ret || from_input || faulty);
	ok = !ret;
	if (!ok)
		check_ended(sm);
out:
	smchan_init_wipe(&ini);
	free(out);
	free(m1);
	free(m2);
	return ok;
}

/* Terminal: pair n; false when the session ended or the input did. */
static bool term_step(struct smchan_sm *sm, const struct sessv *s, bool small,
		      struct input *in)
{
	unsigned int i = sm->n - 1;
	const struct pairv *v = &s->pair[i % s->npairs];
	struct smchan_chain ch = { .size = SMCHAN_PROT_RSP_MAX };
	struct smchan_apdu plain;
	u8 sel = 0, gr[5], *out, *msg, *rsp;
	size_t len, osize;
	int ret;

	CHECK(!smchan_apdu_parse(&plain, v->plain_apdu.p, v->plain_apdu.len));
	if (i < s->npairs && v->sel >= 0)
		sel = v->sel;
	else if (smchan_sm_draw_selector(sm, &sel))
		return check_ended(sm), false;
	osize = out_size(SMCHAN_PROT_APDU_MAX, small);
	out = malloc(osize);
	ret = smchan_sm_protect_command(sm, &plain, sel, out, osize);
	if (ret < 0) {
		CHECK(faulty || (small && ret == -EMSGSIZE));
		free(out);
		smchan_sm_end(sm, SMCHAN_END_LOCAL);
		return false;
	}
	if (i < s->npairs && !faulty)
		CHECK((size_t)ret == v->prot_apdu.len && !memcmp(out, v->prot_apdu.p, ret));
	free(out);

	ch.buf = malloc(ch.size);
	do {
		msg = next_msg(in, &len);
		if (!msg) {
			free(ch.buf);
			return false;
		}
		ret = smchan_chain_feed(&ch, msg, len, gr);
		free(msg);
		if (ret == 1)
			CHECK(!memcmp(gr, "\x00\xc0\x00\x00", 4));
	} while (ret == 1);
	if (ret < 0) {
		CHECK(ret == -EPROTO || ret == -EMSGSIZE);
		free(ch.buf);
		smchan_sm_end(sm, SMCHAN_END_VERIFY);
		return false;
	}
	rsp = malloc(ch.len ? ch.len : 1);	/* exact size: overreads show */
	memcpy(rsp, ch.buf, ch.len);
	free(ch.buf);
	osize = out_size(SMCHAN_RESPONSE_MAX, small);
	out = malloc(osize);
	ret = smchan_sm_unprotect_response(sm, rsp, ch.len, out, osize);
	if (ret < 0) {
		CHECK(ret == -ECONNRESET || ret == -EREMOTEIO || ret == -EPROTO ||
		      ret == -EBADMSG || ret == -EILSEQ || ret == -EMSGSIZE || faulty);
		check_ended(sm);
	} else {
		CHECK(ret >= 2 && (size_t)ret <= osize);
		if (i < s->npairs)	/* only the card's answer passes the MAC */
			CHECK((size_t)ret == v->plain_rsp.len &&
			      !memcmp(out, v->plain_rsp.p, ret));
	}
	free(rsp);
	free(out);
	return sm->established;
}

/* Loopback: terminal @t and card @c in the same session (see the top). */
static void loopback(struct smchan_sm *t, struct smchan_sm *c, struct input *in)
{
	struct smchan_apdu plain, prot, got;
	u8 *msg, *cmd, *rsp, *out, *data, *prev = NULL, sel, x;
	size_t len, plen = 0, want;
	int n, m, r, op;
	unsigned int pos;
	bool replay;

	while (t->established && (msg = next_msg(in, &len))) {
		if (len < 10) {
			free(msg);
			break;
		}
		op = msg[0] % 4;
		pos = get_unaligned_be16(msg + 1);
		x = msg[3] ? msg[3] : 1;
		plain = (struct smchan_apdu){ .cla = msg[4] & 0x93, .ins = msg[5],
			.p1 = msg[6], .p2 = msg[7], .ne = get_unaligned_be16(msg + 8),
			.data = len > 10 ? msg + 10 : NULL, .nc = len - 10 };
		if (plain.ne == 0xffff)
			plain.ne = 65536;
		if (smchan_sm_draw_selector(t, &sel)) {
			check_ended(t);
			free(msg);
			break;
		}
		cmd = malloc(SMCHAN_PROT_APDU_MAX);
		n = smchan_sm_protect_command(t, &plain, sel, cmd, SMCHAN_PROT_APDU_MAX);
		if (n < 0) {	/* refused before sending: the session goes on */
			CHECK(n == -EMSGSIZE && plain.nc + 1 > SMCHAN_DPRIME_MAX && t->established);
			free(cmd);
			free(msg);
			continue;
		}
		if (op == 1)
			cmd[pos % n] ^= x;
		replay = op == 3 && prev;
		if (replay) {
			free(cmd);
			cmd = prev;
			n = plen;
			prev = NULL;
		}
		data = malloc(DATA_SIZE);
		r = parse(&prot, cmd, n) ? -1 :
		    smchan_cla_class(prot.cla) != SMCHAN_CLA_PROTECTED ? -2 :
		    smchan_sm_unprotect_command(c, &prot, &got, data, DATA_SIZE);
		if (r != SMCHAN_SW_OK) {
			/* Only a touched command or a replay is refused; the
			 * card answers a bare status word, which ends both. */
			CHECK(op == 1 || replay);
			if (r >= 0)
				check_ended(c);
			out = malloc(SMCHAN_RESPONSE_MAX);
			CHECK(smchan_sm_unprotect_response(t, (const u8 *)"\x69\x88", 2, out,
							   SMCHAN_RESPONSE_MAX) == -ECONNRESET);
			check_ended(t);
			free(out);
			free(data);
			free(cmd);
			free(msg);
			break;
		}
		CHECK(!replay);		/* a replay never passes */
		CHECK(same_apdu(&got, &plain));
		rsp = malloc(SMCHAN_PROT_RSP_MAX);
		m = smchan_sm_protect_response(c, got.data, got.nc, plain.p1 << 8 | plain.p2,
					       got.ne, rsp, SMCHAN_PROT_RSP_MAX);
		CHECK(m > 0);
		if (op == 2)
			rsp[pos % m] ^= x;
		out = malloc(SMCHAN_RESPONSE_MAX);
		r = smchan_sm_unprotect_response(t, rsp, m, out, SMCHAN_RESPONSE_MAX);
		want = min(min((size_t)plain.nc, (size_t)plain.ne), (size_t)SMCHAN_RDATA_MAX);
		if (r < 0) {
			CHECK(op == 2);
			check_ended(t);
		} else {	/* the card's answer, untouched */
			CHECK((size_t)r == want + 2 && (!want || !memcmp(out, plain.data, want)) &&
			      out[want] == plain.p1 && out[want + 1] == plain.p2);
			CHECK(!t->established || !c->established ||
			      (t->n == c->n && !memcmp(t->k, c->k, t->klen)));
		}
		free(prev);
		prev = cmd;
		plen = n;
		free(out);
		free(rsp);
		free(data);
		free(msg);
	}
	free(prev);
}

static void run(const u8 *data, size_t size)
{
	const struct sessv *s;
	struct smchan_sm *sm;
	struct input in;
	bool term, from_input, small;
	u8 flags, x;
	size_t len;
	u8 *msg;

	if (size < 3)
		return;
	s = &sess[data[0] % NSESS];
	flags = data[1];
	x = data[2];
	in = (struct input){ data + 3, size - 3 };
	term = flags & 1;
	from_input = flags & 2;
	small = flags & 16;
	fuzz_rng_seed(0x5eed0000 + data[0]);
	fuzz_fail_alloc = fuzz_fail_crypto = 0;
	faulty = false;

	sm = alloc_sm();
	CHECK(sm);
	if (flags & 32) {	/* loopback: no faults, the vector's session */
		struct smchan_sm *card = alloc_sm();

		CHECK(card);
		CHECK(term_init(sm, s, &in, false));
		CHECK(card_init(card, s, s->init_apdu.p, s->init_apdu.len));
		if (flags & 64)
			sm->rekey_limit = x;
		loopback(sm, card, &in);
		smchan_sm_free(card);
		goto out;
	}
	if (!from_input) {	/* the vector's session, checked byte for byte */
		if (term)
			CHECK(term_init(sm, s, &in, false));
		else
			CHECK(card_init(sm, s, s->init_apdu.p, s->init_apdu.len));
	}
	if (x && (flags & 12)) {
		faulty = true;
		if (flags & 4)
			fuzz_fail_crypto = x;
		else
			fuzz_fail_alloc = x;
	}
	if (from_input) {
		if (term) {
			if (!term_init(sm, s, &in, true))
				goto out;
		} else {
			msg = next_msg(&in, &len);
			if (!msg)
				goto out;
			bool ok = card_init(sm, s, msg, len);

			free(msg);
			if (!ok)
				goto out;
		}
	}
	if (term) {
		while (term_step(sm, s, small, &in))
			;
	} else {
		while ((msg = next_msg(&in, &len))) {
			bool ok = card_step(sm, s, small, msg, len);

			free(msg);
			if (!ok)
				break;
		}
	}
out:
	fuzz_fail_alloc = fuzz_fail_crypto = 0;
	smchan_sm_free(sm);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (unsigned int i = 0; i < NSESS; i++)
		load(&sess[i]);
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	run(data, size);
	return 0;
}
