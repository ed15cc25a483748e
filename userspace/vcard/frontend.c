// SPDX-License-Identifier: GPL-2.0
/*
 * The log lines of every front-end: tests/e2e, tests/relay and make demo
 * read them, whichever transport the card is behind.
 */
#include <inttypes.h>

#include "../card/vcard.h"
#include "frontend.h"

FILE *vcard_demo_log;

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
	return rlen;
}
