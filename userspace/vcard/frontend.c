// SPDX-License-Identifier: GPL-2.0
/*
 * The log lines of every front-end: tests/e2e, tests/relay and make demo
 * read them, whichever transport the card is behind.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "../card/vcard.h"
#include "frontend.h"
#include "keylog.h"

FILE *vcard_demo_log;
struct keylog *vcard_keylog;
struct frontend_timing vcard_timing;

/* "N ins=XX sw=XXXX mode=M [n=N] [inner_sw=XXXX]", without the newline */
static void event(FILE *f, uint64_t count, const struct vcard_event *e)
{
	fprintf(f, "%" PRIu64 " ins=%02X sw=%04X mode=%s", count, e->ins,
		e->sw, e->mode);
	if (e->sm_n)
		fprintf(f, " n=%" PRIu64, e->sm_n);
	if (e->inner_sw)
		fprintf(f, " inner_sw=%04X", e->inner_sw);
}

static void log_apdu(FILE *log, uint64_t count, const struct vcard_event *e)
{
	if (!log)
		return;
	event(log, count, e);
	fputc('\n', log);
	fflush(log);
}

static void hex(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02X", p[i]);
}

/*
 * The demonstration log: what the log says, the protected bytes as the
 * card library saw them, and "key-fp=" the first 4 bytes of SHA-256(K_n),
 * so that a demonstration can show the key changing.  Never for real use.
 */
static void demo_apdu(uint64_t count, const struct vcard_event *e,
		      const uint8_t *cmd, size_t len, const uint8_t *rsp,
		      size_t rlen)
{
	FILE *f = vcard_demo_log;

	event(f, count, e);
	if (e->has_key_fp)
		fprintf(f, " key-fp=%02x%02x%02x%02x", e->key_fp[0],
			e->key_fp[1], e->key_fp[2], e->key_fp[3]);
	fputs(" cmd=", f);
	hex(f, cmd, len);
	fputs(" rsp=", f);
	hex(f, rsp, rlen);
	fputc('\n', f);
	fflush(f);
}

size_t frontend_apdu(struct vcard *c, const uint8_t *cmd, size_t len,
		     uint8_t *rsp, FILE *log, uint64_t *count)
{
	size_t rlen = vcard_process(c, cmd, len, rsp);

	log_apdu(log, ++*count, vcard_last_event(c));
	if (vcard_demo_log)
		demo_apdu(*count, vcard_last_event(c), cmd, len, rsp, rlen);
	if (vcard_keylog) {
		int err = keylog_apdu(vcard_keylog, c, cmd, len, rsp, rlen);

		/* keys missing from the log would let a test pass for nothing */
		if (err) {
			fprintf(stderr, "smchan-vcard: %s: write failed: %s; stopping\n",
				KEYLOG_ENV, strerror(-err));
			exit(1);
		}
	}
	return rlen;
}

/* ---- --latency: the timing of a real card ---- */

#define T1_IFS		254	/* bytes of INF per block */
#define T1_FRAME	4	/* NAD PCB LEN + LRC */
#define T1_ETU_CHAR	12	/* etu per character: CGT with N = 0 */
#define T1_BGT		22	/* etu at every change of direction */

/* A decimal number in [min, max] that is all of s. */
static int number(const char *s, size_t len, unsigned long min,
		  unsigned long max, uint32_t *out)
{
	char buf[16], *end;
	unsigned long v;

	if (!len || len >= sizeof(buf) || s[0] < '0' || s[0] > '9')
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int frontend_timing_parse(const char *model, struct frontend_timing *t)
{
	const char *comma = strchr(model, ',');
	struct frontend_timing n = { 0, 0 };

	if (!strcmp(model, "t1")) {
		t->fixed_us = 1000;
		t->bps = 445000;
		return 0;
	}
	if (number(model, comma ? (size_t)(comma - model) : strlen(model), 0,
		   10000000, &n.fixed_us))
		return -1;
	if (comma && number(comma + 1, strlen(comma + 1), 0, 100000000,
			    &n.bps))
		return -1;
	if (n.bps && n.bps < 1000)
		return -1;
	*t = n;
	return 0;
}

static size_t blocks(size_t len)
{
	return len ? (len + T1_IFS - 1) / T1_IFS : 1;
}

uint64_t frontend_timing_ns(const struct frontend_timing *t, size_t cmd_len,
			    size_t rsp_len, int ran)
{
	uint64_t ns = ran ? (uint64_t)t->fixed_us * 1000 : 0;
	size_t bc = blocks(cmd_len), br = blocks(rsp_len);
	uint64_t chars, etu;

	if (!t->bps)
		return ns;
	/* the blocks both ways, an R-block for each chained one */
	chars = cmd_len + rsp_len + T1_FRAME * (bc + br) +
		T1_FRAME * (bc - 1 + br - 1);
	etu = chars * T1_ETU_CHAR + T1_BGT * (1 + 2 * (bc - 1) + 2 * (br - 1));
	return ns + (etu * 1000000000ULL + t->bps - 1) / t->bps;
}

void frontend_arrived(struct timespec *at)
{
	clock_gettime(CLOCK_MONOTONIC, at);
}

static int64_t ns_of(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/*
 * The kernel's timer granularity: 1 ns with high-resolution timers; a
 * whole tick without them (10 ms in the UML kernel that make bench boots,
 * CONFIG_HZ=100), where every sleep ends on a tick.
 */
static int64_t timer_res(void)
{
	static int64_t res = -1;
	struct timespec r;

	if (res < 0)
		res = clock_getres(CLOCK_MONOTONIC, &r) ? 0 : ns_of(&r);
	return res;
}

void frontend_wait(const struct timespec *at, size_t cmd_len, size_t rsp_len,
		   int ran)
{
	uint64_t ns = frontend_timing_ns(&vcard_timing, cmd_len, rsp_len, ran);
	int64_t until, left, res = timer_res();
	struct timespec t;

	if (!ns)
		return;
	until = ns_of(at) + (int64_t)ns;
	if (res <= 1000) {
		t.tv_sec = (time_t)(until / 1000000000LL);
		t.tv_nsec = (long)(until % 1000000000LL);
		/* EINTR: SIGTERM or SIGINT, the card is stopping: answer now */
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
		return;
	}
	/*
	 * Coarse timers: sleeping would end on a tick, up to a tick late.
	 * Sleep while more than two ticks are left, then give the processor
	 * to whoever wants it until the time has come: everyone else waits
	 * for this answer, so the loop only takes time nobody uses.
	 */
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = until - ns_of(&t);
		if (left <= 0)
			return;
		if (left > 2 * res) {
			left -= 2 * res;
			t.tv_sec = (time_t)(left / 1000000000LL);
			t.tv_nsec = (long)(left % 1000000000LL);
			if (nanosleep(&t, NULL) && errno == EINTR)
				return;		/* stopping */
			continue;
		}
		sched_yield();
	}
}
