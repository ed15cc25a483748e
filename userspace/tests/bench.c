// SPDX-License-Identifier: GPL-2.0
/*
 * smchan-bench: the cost of /dev/smchan beside the same protocol done in
 * the application and beside plain PC/SC (tests/bench/run.sh runs it in
 * UML; Documentation/performance.rst says what the figures mean).
 *
 *   smchan-bench -a CHANNEL -b READER -k KEYFILE -c READER [-m MODE]
 *                [-n N] [-w WARMUP] [-s SIZE] [-o FILE] [-t TAG]
 *   smchan-bench -l
 *
 * Three variants of one command, READ BINARY of SIZE bytes (default 16;
 * 1 to 256 short, 257 to 4096 extended) at offset 0 of EF 0102 (4,096
 * bytes of free access, so that the plain variant may read it too), or
 * for SIZE 0 the command without data back, SELECT FILE 0102 with P2 0C,
 * measured interleaved: A, B, C, A, B, C...
 *   A  through /dev/smchan on CHANNEL (the kernel protects it, the relay
 *      carries it to the card);
 *   B  the same protocol in this process: the terminal of terminal.c over
 *      SCardTransmit to READER (its card's master key in KEYFILE), session
 *      mode MODE (ratchet, xor, list or opkey, the last two with a group of
 *      18 keys, smchanctl's default, and a selector drawn at random as the
 *      kernel draws it; the channel's mode should match);
 *   C  the plain command over SCardTransmit to a third card in READER
 *      (-c): the floor of this stack.  A plain command ends a card's
 *      session, so B and C cannot share a card.
 * Each variant first selects the file (A and B protected) and runs WARMUP
 * commands (default 100) that are not counted.  Every answer is checked
 * (SW 9000 and SIZE data bytes, and for SIZE > 0 the file's content).
 * Latency is CLOCK_MONOTONIC around the whole call.  Prints, and appends
 * to FILE, one line per variant:
 *   TAG size=SIZE VARIANT n=N median= p90= p99= mean= min= max=
 *       cmd/s= B/s=
 * (latencies in microseconds; cmd/s is the throughput of commands sent
 * one after the other, N over their total time; B/s is SIZE times that),
 * then the rate ratios:
 *   TAG size=SIZE ratio A/C= B/C= A/B=
 * (median of C over median of A, and so on: 1.0 is "as fast as the
 * other", 0.5 "half its rate").
 * -l lists the PC/SC readers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <winscard.h>
#include <linux/smchan.h>

#include "../card/sm.h"
#include "../vcard/secret.h"
#include "terminal.h"

struct pcsc {
	SCARDHANDLE card;
	DWORD proto;
};

static SCARDCONTEXT ctx;
static uint8_t rsp[MAX_BUFFER_SIZE_EXTENDED], whole[2 * 65600];

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "smchan-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void pcsc_open(struct pcsc *p, const char *reader)
{
	LONG rv;
	int tries = 100;

	/* The card may not be in its reader yet: up to 10 s. */
	while ((rv = SCardConnect(ctx, reader, SCARD_SHARE_EXCLUSIVE,
				  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &p->card,
				  &p->proto)) == SCARD_E_NO_SMARTCARD && --tries)
		usleep(100000);
	if (rv != SCARD_S_SUCCESS)
		die("SCardConnect `%s': %s (0x%lX)", reader, pcsc_stringify_error(rv),
		    (unsigned long)rv);
}

static size_t xmit(struct pcsc *p, const uint8_t *apdu, size_t len)
{
	const SCARD_IO_REQUEST *pci = p->proto == SCARD_PROTOCOL_T0 ?
				      SCARD_PCI_T0 : SCARD_PCI_T1;
	DWORD rlen = sizeof(rsp);
	LONG rv;

	rv = SCardTransmit(p->card, pci, apdu, (DWORD)len, NULL, rsp, &rlen);
	if (rv != SCARD_S_SUCCESS || rlen < 2)
		die("SCardTransmit: %s (0x%lX)", pcsc_stringify_error(rv), (unsigned long)rv);
	return rlen;
}

/* The whole answer in whole[], 61 xx pieces fetched. */
static size_t xmit_chain(struct pcsc *p, const uint8_t *apdu, size_t len)
{
	uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, 0x00 };
	size_t n, total = 0;
	int pieces = 1;

	n = xmit(p, apdu, len);
	while (rsp[n - 2] == 0x61 && pieces++ < 300) {
		memcpy(whole + total, rsp, n - 2);
		total += n - 2;
		gr[4] = rsp[n - 1];
		n = xmit(p, gr, 5);
	}
	memcpy(whole + total, rsp, n);
	return total + n;
}

/* ---- B: the terminal in this process ---- */

static struct term tm;
static struct pcsc pb;
static unsigned int group_n = 2;	/* keys sent: 2, or list/opkey's group */
static int sel_mode;

static void b_init(const char *reader, const char *keyfile, uint8_t mode)
{
	static uint8_t apdu[2048];
	uint8_t gc[5] = { 0x00, 0x84, 0x00, 0x00, 0x10 }, rc[16], rt[16];
	uint8_t mkey[32], keys[VC_MAX_GROUP * VC_MAX_KEY];
	const char *why;
	size_t klen, n, i;
	int err;

	err = secret_read_key(keyfile, mkey, &klen);
	if (err)
		die("Unable to read the key `%s': %s", keyfile, strerror(-err));
	pcsc_open(&pb, reader);
	n = xmit(&pb, gc, 5);
	if (n != 18)
		die("GET CHALLENGE: %zu bytes", n);
	memcpy(rc, rsp, 16);
	srand((unsigned int)time(NULL) ^ (unsigned int)getpid());
	for (i = 0; i < 16; i++)
		rt[i] = (uint8_t)rand();
	sel_mode = mode == VC_LIST || mode == VC_OPKEY;
	group_n = sel_mode ? 18 : 2;
	for (i = 0; i < group_n * klen; i++)
		keys[i] = (uint8_t)rand();
	for (i = 0; i < group_n; i++)		/* none all zero */
		keys[i * klen] |= (uint8_t)(1 + i);
	n = term_init(&tm, mode, mkey, klen, rc, rt, keys, group_n, 0, apdu, NULL);
	n = xmit(&pb, apdu, n);
	why = term_check_cc(&tm, rsp, n);
	if (why)
		die("INITIALIZE SESSION: %s", why);
	memset(mkey, 0, sizeof(mkey));
	memset(keys, 0, sizeof(keys));
}

static size_t b_command(const uint8_t *plain, size_t len, uint8_t *out)
{
	static uint8_t papdu[70000];
	const char *why;
	size_t alen, n, olen;
	unsigned int sel;

	if (sel_mode) {
		/* uniform over the group; in opkey a selector that would give
		 * an all-zero key is refused: then the first acceptable one */
		alen = term_protect(&tm, plain, len, rand() % (int)group_n, papdu, NULL);
		for (sel = 0; !alen && sel < group_n; sel++)
			alen = term_protect(&tm, plain, len, (int)sel, papdu, NULL);
	} else {
		alen = term_protect(&tm, plain, len, -1, papdu, NULL);
	}
	if (!alen)
		die("the terminal refused the command");
	n = xmit_chain(&pb, papdu, alen);
	why = term_unprotect(&tm, whole, n, out, &olen, NULL);
	if (why)
		die("B: the protected answer was rejected: %s", why);
	return olen;
}

/* ---- A: /dev/smchan ---- */

static int fa = -1;

static size_t a_command(const uint8_t *cmd, size_t len, uint8_t *out, size_t size)
{
	ssize_t n;

	if (write(fa, cmd, len) != (ssize_t)len)
		die("A: write /dev/smchan: %s", strerror(errno));
	n = read(fa, out, size);
	if (n < 0)
		die("A: read /dev/smchan: %s", strerror(errno));
	return (size_t)n;
}

/* ---- C: plain ---- */

static struct pcsc pc;

static size_t c_command(const uint8_t *cmd, size_t len, uint8_t *out)
{
	size_t n = xmit_chain(&pc, cmd, len);

	memcpy(out, whole, n);
	return n;
}

/* ---- measurement ---- */

enum { VA, VB, VC, NV };
static const char *const vname[NV] = { "A", "B", "C" };

static size_t run(int v, const uint8_t *cmd, size_t len, uint8_t *out)
{
	switch (v) {
	case VA:
		return a_command(cmd, len, out, 65538);
	case VB:
		return b_command(cmd, len, out);
	default:
		return c_command(cmd, len, out);
	}
}

static void check(int v, size_t n, const uint8_t *out, size_t want)
{
	if (n != want + 2 || out[n - 2] != 0x90 || out[n - 1] != 0x00)
		die("%s: answer of %zu bytes, SW %02X%02X (wanted %zu bytes and 9000)",
		    vname[v], n, n >= 2 ? out[n - 2] : 0, n >= 2 ? out[n - 1] : 0, want + 2);
	/* EF 0102: byte i is i mod 256; the first and the last */
	if (want && (out[0] != 0 || out[want - 1] != (uint8_t)(want - 1)))
		die("%s: wrong data (%02X ... %02X)", vname[v], out[0], out[want - 1]);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *s, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return s[i < n ? i : n - 1];
}

static void list_readers(void)
{
	char buf[4096];
	DWORD len = sizeof(buf);
	const char *p;
	LONG rv = SCardListReaders(ctx, NULL, buf, &len);

	if (rv != SCARD_S_SUCCESS)
		die("SCardListReaders: %s", pcsc_stringify_error(rv));
	for (p = buf; *p; p += strlen(p) + 1)
		printf("%s\n", p);
}

int main(int argc, char **argv)
{
	static uint8_t out[70000];
	const char *chan = NULL, *rb = NULL, *keyfile = NULL, *rc = NULL;
	const char *file = NULL, *tag = "bench", *mname = "ratchet";
	long n = 1000, warm = 100, size = 16;
	uint8_t sel[7] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x01, 0x02 };
	uint8_t rb16[7] = { 0x00, 0xB0, 0x00, 0x00 };
	const uint8_t *cmd;
	size_t rlen, got;
	double *s[NV], t0, med[NV];
	struct smchan_attach at;
	int opt, list = 0, v;
	uint8_t mode;
	FILE *f;
	long i;
	LONG rv;

	while ((opt = getopt(argc, argv, "a:b:k:c:m:n:w:s:o:t:l")) != -1) {
		switch (opt) {
		case 'a': chan = optarg; break;
		case 'b': rb = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'c': rc = optarg; break;
		case 'm': mname = optarg; break;
		case 'n': n = strtol(optarg, NULL, 0); break;
		case 'w': warm = strtol(optarg, NULL, 0); break;
		case 's': size = strtol(optarg, NULL, 0); break;
		case 'o': file = optarg; break;
		case 't': tag = optarg; break;
		case 'l': list = 1; break;
		default: return 2;
		}
	}
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS)
		die("SCardEstablishContext: %s", pcsc_stringify_error(rv));
	if (list) {
		list_readers();
		return 0;
	}
	if (!chan || !rb || !keyfile || !rc || n < 1 || warm < 0 || size < 0 || size > 4096 ||
	    strlen(chan) >= sizeof(at.name)) {
		fprintf(stderr, "usage: smchan-bench -a CHANNEL -b READER -k KEYFILE -c READER [-m ratchet|xor|list|opkey] [-n N] [-w WARMUP] [-s 0..4096] [-o FILE] [-t TAG]\n");
		return 2;
	}
	mode = !strcmp(mname, "xor") ? VC_XOR : !strcmp(mname, "list") ? VC_LIST :
	       !strcmp(mname, "opkey") ? VC_OPKEY : VC_RATCHET;
	if (mode == VC_RATCHET && strcmp(mname, "ratchet")) {
		fprintf(stderr, "smchan-bench: Invalid mode: `%s' (ratchet, xor, list or opkey)\n", mname);
		return 2;
	}
	if (!size) {			/* no data back: SELECT again */
		cmd = sel;
		rlen = sizeof(sel);
	} else if (size <= 256) {	/* short Le (00: 256) */
		rb16[4] = (uint8_t)size;
		cmd = rb16;
		rlen = 5;
	} else {			/* extended Le: 00 Le1 Le2 */
		rb16[4] = 0;
		rb16[5] = (uint8_t)(size >> 8);
		rb16[6] = (uint8_t)size;
		cmd = rb16;
		rlen = 7;
	}

	fa = open(getenv("SMCHAN_DEVICE") ? getenv("SMCHAN_DEVICE") : "/dev/smchan",
		  O_RDWR | O_CLOEXEC);
	if (fa < 0)
		die("Unable to open /dev/smchan: %s", strerror(errno));
	memset(&at, 0, sizeof(at));
	strcpy(at.name, chan);
	if (ioctl(fa, SMCHAN_IOC_ATTACH, &at))
		die("Unable to attach to `%s': %s", chan, strerror(errno));
	b_init(rb, keyfile, mode);
	pcsc_open(&pc, rc);

	for (v = 0; v < NV; v++) {
		s[v] = calloc((size_t)n, sizeof(double));
		if (!s[v])
			die("out of memory");
		got = run(v, sel, sizeof(sel), out);
		if (got != 2 || out[0] != 0x90)
			die("%s: SELECT FILE 0102 failed", vname[v]);
	}
	for (i = 0; i < warm; i++)
		for (v = 0; v < NV; v++)
			check(v, run(v, cmd, rlen, out), out, (size_t)size);
	for (i = 0; i < n; i++)
		for (v = 0; v < NV; v++) {
			t0 = now_us();
			got = run(v, cmd, rlen, out);
			s[v][i] = now_us() - t0;
			check(v, got, out, (size_t)size);
		}

	f = file ? fopen(file, "a") : NULL;
	if (file && !f)
		die("Unable to open `%s': %s", file, strerror(errno));
	for (v = 0; v < NV; v++) {
		double sum = 0;
		char line[512];

		for (i = 0; i < n; i++)
			sum += s[v][i];
		qsort(s[v], (size_t)n, sizeof(double), cmp_d);
		med[v] = pct(s[v], (size_t)n, 0.5);
		snprintf(line, sizeof(line),
			 "%s size=%ld %s n=%ld median=%.0f p90=%.0f p99=%.0f mean=%.0f min=%.0f max=%.0f cmd/s=%.0f B/s=%.0f\n",
			 tag, size, vname[v], n, med[v], pct(s[v], (size_t)n, 0.9),
			 pct(s[v], (size_t)n, 0.99), sum / (double)n, s[v][0], s[v][n - 1],
			 1e6 * (double)n / sum, 1e6 * (double)n * (double)size / sum);
		fputs(line, stdout);
		if (f)
			fputs(line, f);
	}
	{
		char line[256];

		snprintf(line, sizeof(line), "%s size=%ld ratio A/C=%.3f B/C=%.3f A/B=%.3f\n",
			 tag, size, med[VC] / med[VA], med[VC] / med[VB], med[VB] / med[VA]);
		fputs(line, stdout);
		if (f)
			fputs(line, f);
	}
	if (f)
		fclose(f);
	close(fa);
	SCardDisconnect(pb.card, SCARD_RESET_CARD);
	SCardDisconnect(pc.card, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
	return 0;
}
