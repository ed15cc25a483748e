// SPDX-License-Identifier: GPL-2.0
/*
 * smchanctl bench NAME [-n N] [--apdu HEX]: the cost of smchan on a real
 * reader. N commands through /dev/smchan (each under secure messaging,
 * a new key each), then, when the reader can be shared, the same plain
 * command N times straight to the channel's reader over PC/SC: latency
 * percentiles of both and their ratio. Documentation/performance.rst has
 * the method of `make bench', of which this is the part a user can run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <winscard.h>

#include "smchanctl.h"

#define APDU_MAX 261
#define RSP_MAX (65536 + 2)

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of n sorted values (nearest rank). */
static double quantile(const double *v, long n, double q)
{
	double r = q * (double)n;
	long i = (long)r;

	if ((double)i < r)
		i++;
	return v[i < 1 ? 0 : i - 1];
}

/* Prints one line of figures for n latencies (sorted here); returns the
 * median. */
static double report(const char *what, double *v, long n, double total)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%-7s %ld commands in %.2f s: %.1f/s; latency ms: median %.3f, p90 %.3f, p99 %.3f, max %.3f\n",
	       what, n, total / 1e3, n / (total / 1e3), quantile(v, n, 0.5),
	       quantile(v, n, 0.9), quantile(v, n, 0.99), v[n - 1]);
	return quantile(v, n, 0.5);
}

static void progress(const char *what, long i, long n)
{
	if (isatty(STDERR_FILENO) && (i == n || i % (n / 100 + 1) == 0))
		fprintf(stderr, "\r%s: %ld/%ld%s", what, i, n, i == n ? "\n" : "");
}

/* N commands through /dev/smchan into lat[]; 0, or 1 with a message. */
static int through_smchan(const char *name, const uint8_t *apdu, long len,
			  long n, double *lat, double *total)
{
	const char *dev = getenv("SMCHAN_DEVICE");
	struct smchan_attach at = {};
	uint8_t *rsp = malloc(RSP_MAX);
	int fd, rc = 1;
	double t0, t;
	ssize_t r;
	long i;

	if (!rsp)
		return 1;
	fd = open(dev ? dev : "/dev/smchan", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: Unable to open %s: %s\n", prog,
			dev ? dev : "/dev/smchan", strerror(errno));
		goto out;
	}
	strcpy(at.name, name);
	if (ioctl(fd, SMCHAN_IOC_ATTACH, &at)) {
		fprintf(stderr, "%s: Unable to attach to channel `%s': %s (%s)\n",
			prog, name, strerror(errno), smchan_errname(-errno));
		goto out_close;
	}
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		t = now_ms();
		if (write(fd, apdu, (size_t)len) != len ||
		    (r = read(fd, rsp, RSP_MAX)) < 2) {
			fprintf(stderr, "\n%s: command %ld of %ld through channel `%s' failed: %s (%s)\n",
				prog, i + 1, n, name, strerror(errno), smchan_errname(-errno));
			goto out_close;
		}
		lat[i] = now_ms() - t;
		progress("smchan", i + 1, n);
	}
	*total = now_ms() - t0;
	rc = 0;
out_close:
	close(fd);
out:
	smchan_wipe(rsp, RSP_MAX);
	free(rsp);
	return rc;
}

/*
 * The same command, plain, N times to @want (the channel's reader: its
 * name or the only one containing it). Returns 0, 1 on an error, or 2 when
 * the reader cannot be shared (the relay holds the card).
 */
static int plain(const char *want, const uint8_t *apdu, long len, long n,
		 double *lat, double *total)
{
	SCARDCONTEXT ctx;
	SCARDHANDLE card;
	DWORD proto, rlen, size = SCARD_AUTOALLOCATE;
	LPSTR list = NULL;
	const char *p, *reader = NULL;
	uint8_t rsp[258];
	int matches = 0, rc = 1;
	double t0, t;
	LONG rv;
	long i;

	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "%s: plain: no PC/SC: %s\n", prog, pcsc_stringify_error(rv));
		return 1;
	}
	rv = SCardListReaders(ctx, NULL, (LPSTR)&list, &size);
	for (p = rv == SCARD_S_SUCCESS ? list : ""; *p; p += strlen(p) + 1) {
		if (!strcmp(p, want)) {
			reader = p;
			matches = 1;
			break;
		}
		if (strstr(p, want)) {
			reader = p;
			matches++;
		}
	}
	if (matches != 1) {
		fprintf(stderr, "%s: plain: %s reader `%s'\n", prog,
			matches ? "more than one" : "no", want);
		goto out;
	}
	rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED,
			  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &proto);
	if (rv == SCARD_E_SHARING_VIOLATION) {
		rc = 2;
		goto out;
	}
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "%s: plain: Unable to connect to `%s': %s\n", prog,
			reader, pcsc_stringify_error(rv));
		goto out;
	}
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		rlen = sizeof(rsp);
		t = now_ms();
		rv = SCardTransmit(card, proto == SCARD_PROTOCOL_T1 ?
				   SCARD_PCI_T1 : SCARD_PCI_T0,
				   apdu, (DWORD)len, NULL, rsp, &rlen);
		if (rv != SCARD_S_SUCCESS) {
			fprintf(stderr, "\n%s: plain: command %ld of %ld failed: %s\n",
				prog, i + 1, n, pcsc_stringify_error(rv));
			break;
		}
		lat[i] = now_ms() - t;
		progress("plain", i + 1, n);
	}
	*total = now_ms() - t0;
	if (i == n)
		rc = 0;
	SCardDisconnect(card, SCARD_LEAVE_CARD);
out:
	if (list)
		SCardFreeMemory(ctx, list);
	SCardReleaseContext(ctx);
	return rc;
}

int cmd_bench(int argc, char **argv)
{
	static const char usage[] =
		"Usage: smchanctl bench NAME [-n N] [--apdu HEX]\n"
		"Sends N (default 1000) commands (default SELECT MF, 00A4000C023F00)\n"
		"through /dev/smchan, then the same plain command N times straight to\n"
		"the channel's reader when the relay shares it (smchanctl relay --shared),\n"
		"and prints latency percentiles and their ratio. The plain commands end\n"
		"the card's SM session.\n";
	uint8_t apdu[APDU_MAX] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00 };
	struct smchan_channel_info info;
	const char *name = NULL;
	double *a = NULL, *c = NULL, ta = 0, tc = 0, ma, mc;
	struct smchan_nl *h;
	long n = 1000, len = 7;
	int i, rc = 1, err;
	char *end;

	if (wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			errno = 0;
			n = strtol(argv[++i], &end, 10);
			if (errno || *end || n < 1 || n > 10000000)
				goto bad;
		} else if (!strcmp(argv[i], "--apdu") && i + 1 < argc) {
			len = parse_hex(argv[++i], apdu, sizeof(apdu));
			if (len < 4)
				goto bad;
		} else if (!name && argv[i][0] != '-' && *argv[i] &&
			   strlen(argv[i]) < SMCHAN_NAME_SIZE) {
			name = argv[i];
		} else {
			goto bad;
		}
	}
	if (!name)
		goto bad;

	h = open_nl(false);
	if (!h)
		return 1;
	err = smchan_channel_get(h, name, &info);
	if (err) {
		nl_failed(h, err, "show channel `%s'", name);
		smchan_nl_close(h);
		return 1;
	}
	smchan_nl_close(h);
	a = calloc((size_t)n, sizeof(*a));
	c = calloc((size_t)n, sizeof(*c));
	if (!a || !c) {
		perror("smchanctl: calloc");
		goto out;
	}
	printf("bench: channel %s (%s), reader `%s', %ld x %ld-byte command\n",
	       name, smchan_mode_name(info.mode), info.reader, n, len);
	if (through_smchan(name, apdu, len, n, a, &ta))
		goto out;
	ma = report("smchan", a, n, ta);
	switch (plain(info.reader, apdu, len, n, c, &tc)) {
	case 0:
		mc = report("plain", c, n, tc);
		printf("ratio   smchan/plain throughput %.2f (median latency %.2fx)\n",
		       (n / ta) / (n / tc), ma / mc);
		rc = 0;
		break;
	case 2:
		printf("plain   not measured: the relay holds `%s' exclusively (run `smchanctl relay --shared' to measure it beside)\n",
		       info.reader);
		rc = 0;
		break;
	}
out:
	free(a);
	free(c);
	return rc;
bad:
	fputs(usage, stderr);
	return EXIT_USAGE;
}
