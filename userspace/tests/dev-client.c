// SPDX-License-Identifier: GPL-2.0
/*
 * smchan-dev: a scripted client of /dev/smchan for the end-to-end tests.
 *
 *   smchan-dev [-d DEVICE] [-v] STEP...
 *
 * Runs the steps in order and stops at the first one that does not do
 * what it expects (exit 1; exit 2 for a usage error).  Every step
 * succeeds unless "err:ERRNO" stands before it; then it must fail with
 * exactly that errno.  Steps:
 *
 *   open | open-nb        open DEVICE (default /dev/smchan), O_NONBLOCK
 *   close
 *   close-within:MS       close, which must return within MS ms
 *   hold:MS               ioctl(SMCHAN_IOC_HOLD, MS)
 *   release               ioctl(SMCHAN_IOC_RELEASE)
 *   attach:NAME           ioctl(SMCHAN_IOC_ATTACH)
 *   write:HEX             write() one APDU; must return its length
 *   write-gen:HDR:LC[:LE] write() a generated APDU: 4 header bytes HDR,
 *                         LC bytes of 0x5A, Le LE (extended encoding when
 *                         LC > 255 or LE > 256; LE 256 short is "00")
 *   read[:SIZE]           read() with a SIZE-byte buffer (default 65600)
 *   xfer:HEX              write then read; with err:, either may fail
 *   sw:XXXX               the last response ends with status word XXXX
 *   rsp:HEX               the last response is exactly HEX
 *   len:N                 the last response is N bytes (SW included)
 *   data-pattern:OFF:LEN  the last response is LEN bytes (OFF+i) mod 256,
 *                         then 90 00 (what EF 0101 holds after reset)
 *   data:HEX              the last response is HEX then 90 00
 *   pollin:MS | pollout:MS      poll() reports POLLIN/POLLOUT within MS
 *   nopollin:MS | nopollout:MS  ... does not report it within MS
 *   seek                  lseek(fd, 0, SEEK_SET)
 *   sleep:MS
 *   touch:PATH            create PATH (tell a test script we got here)
 *   wait:PATH[:MS]        wait until PATH exists (default 20000 ms)
 *   loop:N ... end        repeat the steps between N times
 *
 * Prints one line per write and read ("> 00A4..." / "< 9000"; long data
 * shortened), and "ok err:EBUSY write" for expected failures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/smchan.h"

#define BUF_MAX 70000

static const char *dev = "/dev/smchan";
static int fd = -1, verbose;
static uint8_t last[BUF_MAX];
static size_t last_len;
static uint8_t out[BUF_MAX];
static int step_no;
static const char *step_tok;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "smchan-dev: step %d (%s): ", step_no, step_tok);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(const char *why)
{
	fprintf(stderr, "smchan-dev: %s\nusage: smchan-dev [-d DEVICE] [-v] STEP...\n", why);
	exit(2);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t unhex(const char *s, uint8_t *buf, size_t max)
{
	size_t n = 0;

	while (*s) {
		int hi, lo;

		if (*s == ' ' || *s == '_' || *s == '.') {
			s++;
			continue;
		}
		hi = hexval(s[0]);
		lo = s[1] ? hexval(s[1]) : -1;
		if (hi < 0 || lo < 0 || n >= max)
			usage("bad hex");
		buf[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return n;
}

static void show(const char *dir, const uint8_t *p, size_t n)
{
	size_t i, shown = n > 40 && !verbose ? 32 : n;

	printf("%s ", dir);
	for (i = 0; i < shown; i++)
		printf("%02X", p[i]);
	if (shown < n)
		printf("...%02X%02X (%zu bytes)", p[n - 2], p[n - 1], n);
	putchar('\n');
	fflush(stdout);
}

static long num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 0);

	if (!*s || (*end && *end != ':'))
		usage("bad number");
	return v;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Checks a system call's outcome against the expected errno (0: success). */
static int outcome(const char *what, int ok, int expect)
{
	int e = ok ? 0 : errno;

	if (expect && e == expect) {
		printf("ok err:%s %s\n", smchan_errname(expect), what);
		fflush(stdout);
		return 1;
	}
	if (expect && !e)
		fail("%s succeeded, expected %s", what, smchan_errname(expect));
	if (expect)
		fail("%s failed with %s (%s), expected %s", what, smchan_errname(e),
		     strerror(e), smchan_errname(expect));
	if (e)
		fail("%s failed: %s (%s)", what, smchan_errname(e), strerror(e));
	return 0;
}

static void need_fd(void)
{
	if (fd < 0)
		fail("not open");
}

static void do_write(const uint8_t *p, size_t n, int expect)
{
	ssize_t r;

	need_fd();
	show(">", p, n);
	r = write(fd, p, n);
	if (outcome("write", r >= 0, expect))
		return;
	if ((size_t)r != n)
		fail("write returned %zd, expected %zu", r, n);
}

/* 0 if it read, 1 if it failed as expected. */
static int do_read(size_t size, int expect)
{
	ssize_t r;

	need_fd();
	if (size > sizeof(last))
		size = sizeof(last);
	r = read(fd, last, size);
	if (outcome("read", r >= 0, expect)) {
		last_len = 0;
		return 1;
	}
	last_len = (size_t)r;
	show("<", last, last_len);
	return 0;
}

static size_t gen(const char *spec, uint8_t *buf)
{
	uint8_t hdr[4];
	const char *p = strchr(spec, ':');
	char h[9];
	long lc, le = -1;
	size_t n = 0;

	if (!p || p - spec != 8)
		usage("write-gen:HDR(8 hex):LC[:LE]");
	memcpy(h, spec, 8);
	h[8] = '\0';
	unhex(h, hdr, 4);
	lc = num(p + 1);
	p = strchr(p + 1, ':');
	if (p)
		le = num(p + 1);
	if (lc < 0 || lc > 65535 || le > 65536)
		usage("write-gen: LC 0..65535, LE 0..65536");
	memcpy(buf, hdr, 4);
	n = 4;
	if (lc > 255 || le > 256) {
		buf[n++] = 0;
		if (lc) {
			buf[n++] = (uint8_t)(lc >> 8);
			buf[n++] = (uint8_t)lc;
		}
		memset(buf + n, 0x5A, (size_t)lc);
		n += (size_t)lc;
		if (le >= 0) {
			buf[n++] = (uint8_t)((le == 65536 ? 0 : le) >> 8);
			buf[n++] = (uint8_t)le;
		}
	} else {
		if (lc) {
			buf[n++] = (uint8_t)lc;
			memset(buf + n, 0x5A, (size_t)lc);
			n += (size_t)lc;
		}
		if (le >= 0)
			buf[n++] = (uint8_t)le;
	}
	return n;
}

static void do_poll(short ev, long ms, int want)
{
	struct pollfd pfd = { .fd = fd, .events = ev };
	int r;

	need_fd();
	r = poll(&pfd, 1, (int)ms);
	if (r < 0)
		fail("poll: %s", strerror(errno));
	if (want && !(pfd.revents & ev))
		fail("no %s within %ld ms (revents %#x)", ev == POLLIN ? "POLLIN" : "POLLOUT",
		     ms, pfd.revents);
	if (!want && (pfd.revents & ev))
		fail("%s within %ld ms, expected none (revents %#x)",
		     ev == POLLIN ? "POLLIN" : "POLLOUT", ms, pfd.revents);
	printf("ok %s%s\n", want ? "" : "no ", ev == POLLIN ? "POLLIN" : "POLLOUT");
	fflush(stdout);
}

static void expect_data(const uint8_t *want, size_t n)
{
	if (last_len != n + 2 || memcmp(last, want, n) ||
	    last[n] != 0x90 || last[n + 1] != 0x00)
		fail("response is not the expected %zu bytes + 9000 (got %zu bytes)",
		     n, last_len);
}

static int run(char **tok, int ntok)
{
	int i, expect = 0;

	for (i = 0; i < ntok; i++) {
		char *t = tok[i], *arg = strchr(t, ':');
		size_t cmdlen = arg ? (size_t)(arg - t) : strlen(t);
		int e = expect;

#define IS(s) (cmdlen == strlen(s) && !strncmp(t, s, cmdlen))
		if (arg)
			arg++;
		step_no = i + 1;
		step_tok = t;
		expect = 0;
		if (IS("err")) {
			if (!arg || !(expect = smchan_errno_parse(arg)))
				usage("err:ERRNO needs a known errno name");
		} else if (IS("open") || IS("open-nb")) {
			fd = open(dev, O_RDWR | O_CLOEXEC | (IS("open-nb") ? O_NONBLOCK : 0));
			outcome("open", fd >= 0, e);
		} else if (IS("close")) {
			need_fd();
			outcome("close", close(fd) == 0, e);
			fd = -1;
		} else if (IS("close-within")) {
			struct timespec t0, t1;
			long ms;

			need_fd();
			clock_gettime(CLOCK_MONOTONIC, &t0);
			outcome("close", close(fd) == 0, e);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			fd = -1;
			ms = (t1.tv_sec - t0.tv_sec) * 1000 +
			     (t1.tv_nsec - t0.tv_nsec) / 1000000;
			if (ms > num(arg ? arg : "0"))
				fail("close took %ld ms", ms);
		} else if (IS("hold")) {
			uint32_t ms = arg ? (uint32_t)num(arg) : 0;

			need_fd();
			outcome("hold", ioctl(fd, SMCHAN_IOC_HOLD, &ms) == 0, e);
		} else if (IS("release")) {
			need_fd();
			outcome("release", ioctl(fd, SMCHAN_IOC_RELEASE) == 0, e);
		} else if (IS("attach")) {
			struct smchan_attach a;

			need_fd();
			memset(&a, 0, sizeof(a));
			/* 16 bytes (no room for the NUL) is allowed, to
			 * check that the kernel refuses it. */
			if (!arg || strlen(arg) > sizeof(a.name))
				usage("attach:NAME (at most 16 bytes)");
			memcpy(a.name, arg, strlen(arg));
			outcome("attach", ioctl(fd, SMCHAN_IOC_ATTACH, &a) == 0, e);
		} else if (IS("write")) {
			do_write(out, unhex(arg ? arg : "", out, sizeof(out)), e);
		} else if (IS("write-gen")) {
			do_write(out, gen(arg ? arg : "", out), e);
		} else if (IS("read")) {
			do_read(arg ? (size_t)num(arg) : sizeof(last), e);
		} else if (IS("xfer")) {
			size_t n = unhex(arg ? arg : "", out, sizeof(out));
			ssize_t r;

			need_fd();
			show(">", out, n);
			r = write(fd, out, n);
			if (r < 0 && e && errno == e) {
				printf("ok err:%s write\n", smchan_errname(e));
				continue;
			}
			outcome("write", r >= 0, 0);
			do_read(sizeof(last), e);
		} else if (IS("sw")) {
			uint8_t sw[2];

			if (!arg || unhex(arg, sw, 2) != 2)
				usage("sw:XXXX");
			if (last_len < 2 || last[last_len - 2] != sw[0] ||
			    last[last_len - 1] != sw[1])
				fail("status word is not %s", arg);
		} else if (IS("rsp")) {
			size_t n = unhex(arg ? arg : "", out, sizeof(out));

			if (n != last_len || memcmp(out, last, n))
				fail("response differs");
		} else if (IS("data")) {
			size_t n = unhex(arg ? arg : "", out, sizeof(out));

			expect_data(out, n);
		} else if (IS("len")) {
			if (!arg || (size_t)num(arg) != last_len)
				fail("length %zu", last_len);
		} else if (IS("data-pattern")) {
			long off = arg ? num(arg) : 0, len;
			char *p = arg ? strchr(arg, ':') : NULL;
			long j;

			if (!p)
				usage("data-pattern:OFF:LEN");
			len = num(p + 1);
			for (j = 0; j < len && j < (long)sizeof(out); j++)
				out[j] = (uint8_t)((off + j) % 256);
			expect_data(out, (size_t)len);
		} else if (IS("pollin") || IS("nopollin")) {
			do_poll(POLLIN, arg ? num(arg) : 0, IS("pollin"));
		} else if (IS("pollout") || IS("nopollout")) {
			do_poll(POLLOUT, arg ? num(arg) : 0, IS("pollout"));
		} else if (IS("seek")) {
			need_fd();
			outcome("lseek", lseek(fd, 0, SEEK_SET) >= 0, e);
		} else if (IS("sleep")) {
			usleep((useconds_t)(arg ? num(arg) : 0) * 1000);
		} else if (IS("touch")) {
			int f = open(arg ? arg : "", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

			if (f < 0)
				fail("touch: %s", strerror(errno));
			close(f);
		} else if (IS("wait")) {
			char path[512];
			char *p;
			long ms = 20000;
			long long until;
			struct stat st;

			if (!arg || strlen(arg) >= sizeof(path))
				usage("wait:PATH[:MS]");
			strcpy(path, arg);
			p = strrchr(path, ':');
			if (p) {
				*p = '\0';
				ms = num(p + 1);
			}
			until = now_ms() + ms;
			while (stat(path, &st)) {
				if (now_ms() > until)
					fail("%s did not appear within %ld ms", path, ms);
				usleep(10000);
			}
		} else if (IS("loop")) {
			int depth = 0, j, k;
			long n = arg ? num(arg) : 0;

			for (j = i + 1; j < ntok; j++) {
				if (!strncmp(tok[j], "loop:", 5))
					depth++;
				else if (!strcmp(tok[j], "end") && depth-- == 0)
					break;
			}
			if (j >= ntok)
				usage("loop without end");
			for (k = 0; k < n; k++)
				run(tok + i + 1, j - i - 1);
			i = j;
		} else {
			usage("unknown step");
		}
		if (e && !(IS("open") || IS("open-nb") || IS("close") ||
			   IS("hold") || IS("release") ||
			   IS("attach") || IS("write") || IS("write-gen") ||
			   IS("read") || IS("xfer") || IS("seek")))
			usage("err: must stand before a step that can fail");
#undef IS
	}
	return 0;
}

int main(int argc, char **argv)
{
	int o;

	while ((o = getopt(argc, argv, "d:v")) != -1) {
		switch (o) {
		case 'd': dev = optarg; break;
		case 'v': verbose = 1; break;
		default: usage("bad option");
		}
	}
	if (optind >= argc)
		usage("no steps");
	run(argv + optind, argc - optind);
	if (fd >= 0)
		close(fd);
	return 0;
}
