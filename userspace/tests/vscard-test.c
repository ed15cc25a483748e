// SPDX-License-Identifier: GPL-2.0
/*
 * qemu's side of the VSCard socket (ccid-card-passthru) against the real
 * smchan-vcard --vscard, with the terminal model of terminal.c for a
 * protected session and an in-process card library as the reference of
 * what the library answers to plain commands:
 *   - the socket and control FIFO are the owner's only; a live socket, a
 *     symbolic link or a file at the socket path is refused;
 *   - the handshake with qemu's start-up pair of Inits: one ReaderAdd,
 *     one ATR, which is T=0 only and passes a port of qemu's check_atr();
 *   - Flush -> FlushComplete; a plain command; case 2 exact;
 *   - T=0: a command with data and an answer with data gives 61 xx, GET
 *     RESPONSE (whole, in pieces) gives exactly what the library gave;
 *     6C La on a wrong Le (GET RESPONSE and case 2, the command executed
 *     once); a kept answer dropped by another command or a GET RESPONSE
 *     on another channel;
 *   - a protected session established with the T=0 forms libccid sends
 *     (Le stripped), and a 291-byte protected response to a short
 *     command: 61 00 (T=0) -> 256 bytes + 61 23 (SM layer) -> 35 bytes +
 *     90 00, which the terminal model accepts;
 *   - control FIFO: remove -> CardRemove, an APDU then -> Error, insert ->
 *     ATR, and the session is gone; a command already sent when the card
 *     is pulled -> Error, then CardRemove after a grace; remove-next: the
 *     same with the next command; an Init after the handshake -> ReaderAdd
 *     and ATR again, card reset; a card removed while nobody is connected
 *     sends no ATR; a refused ReaderAdd is retried at the next Init;
 *   - partial and coalesced messages; a 64 KiB APDU is served, anything
 *     longer, an unknown type, a bad magic or a bad Error drops the
 *     connection and the next one is served; qemu going away too;
 *   - quit and SIGTERM stop it cleanly; the log lines keep vpcd's format.
 *
 *   vscard-test SMCHAN_VCARD
 * Prints "RESULT <passed> <failed>".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cacard/vscard_common.h>

#include "../card/sm.h"
#include "../card/vcard.h"
#include "../vcard/image.h"
#include "terminal.h"
#include "check.h"

#define HDR_LEN sizeof(VSCMsgHeader)
static const uint8_t want_atr[] = { 0x3B, 0x05, 0x80, 0x73, 0x30, 0x21, 0x00 };
static const char key_hex[] = "00112233445566778899aabbccddeeff";

static const char *vcard_bin;
static char dir[64], sock_path[128], fifo_path[128], img_path[128];
static char log_path[128], err_path[128];
static struct vcard *ref;	/* the reference card library */
static pid_t card_pid;

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

static char *hexs(const uint8_t *p, size_t n)
{
	static char buf[4][160];
	static int k;
	char *s = buf[k++ & 3];
	size_t i;

	for (i = 0; i < n && i < 70; i++)
		sprintf(s + 2 * i, "%02X", p[i]);
	if (n > 70)
		strcpy(s + 140, "..");
	if (!n)
		s[0] = 0;
	return s;
}

/* --- The card process ------------------------------------------------- */

static pid_t spawn(char *const argv[], const char *err)
{
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	fd = open(err, O_WRONLY | O_CREAT | O_APPEND, 0600);
	dup2(fd, 1);
	dup2(fd, 2);
	fd = open("/dev/null", O_RDONLY);
	dup2(fd, 0);
	execv(argv[0], argv);
	_exit(127);
}

/* Waits up to ms for pid; returns its exit status, -1 if still running. */
static int reap(pid_t pid, int ms)
{
	int st, i;

	for (i = 0; i < ms / 10; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		sleep_ms(10);
	}
	return -1;
}

static int start_card(void)
{
	char *argv[] = { (char *)vcard_bin, "--image", img_path, "--vscard",
			 sock_path, "--control", fifo_path, "--log", log_path,
			 NULL };
	struct stat st;
	int i;

	card_pid = spawn(argv, err_path);
	for (i = 0; i < 500; i++) {
		if (!stat(sock_path, &st) && !stat(fifo_path, &st))
			return 0;
		if (reap(card_pid, 10) >= 0)
			break;
	}
	return -1;
}

static void control(const char *line)
{
	int fd = open(fifo_path, O_WRONLY | O_NONBLOCK);

	if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		check(0, "control `%s': %s", line, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* --- qemu's side of the socket ----------------------------------------- */

static int peer_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, i;

	strcpy(sa.sun_path, sock_path);
	for (i = 0; i < 200; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		close(fd);
		sleep_ms(10);
	}
	return -1;
}

static int send_raw(int fd, const void *p, size_t len)
{
	return send(fd, p, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static int send_msg(int fd, uint32_t type, uint32_t reader, const void *p,
		    size_t len)
{
	static uint8_t buf[HDR_LEN + 70000];
	VSCMsgHeader h = { htonl(type), htonl(reader), htonl((uint32_t)len) };

	memcpy(buf, &h, HDR_LEN);
	if (len)
		memcpy(buf + HDR_LEN, p, len);
	return send_raw(fd, buf, HDR_LEN + len);
}

static void send_error(int fd, uint32_t reader, uint32_t code)
{
	VSCMsgError e = { htonl(code) };

	send_msg(fd, VSC_Error, reader, &e, sizeof(e));
}

/* Reads exactly len bytes within ms: 0, -1 timeout, -2 end of stream. */
static int read_exact(int fd, uint8_t *p, size_t len, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	while (len) {
		if (poll(&pfd, 1, ms) <= 0)
			return -1;
		n = read(fd, p, len);
		if (n <= 0)
			return -2;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

struct msg {
	uint32_t type, reader, len;
	uint8_t data[65536];
};

static struct msg m;

/* 0, -1 timeout, -2 end of stream. */
static int recv_msg(int fd, int ms)
{
	VSCMsgHeader h;
	int r = read_exact(fd, (uint8_t *)&h, HDR_LEN, ms);

	if (r)
		return r;
	m.type = ntohl(h.type);
	m.reader = ntohl(h.reader_id);
	m.len = ntohl(h.length);
	if (m.len > sizeof(m.data))
		return -2;
	return read_exact(fd, m.data, m.len, ms);
}

static int expect(int fd, uint32_t type, const char *what)
{
	int r = recv_msg(fd, 3000);

	if (r || m.type != type) {
		check(0, "%s: want message type %u, got %s %u", what, type,
		      r == -1 ? "timeout" : r == -2 ? "end of stream" : "type",
		      r ? 0 : m.type);
		return -1;
	}
	return 0;
}

/* qemu's check_atr() (hw/usb/ccid-card-passthru.c), ported as it is. */
static int qemu_check_atr(const uint8_t *data, int len)
{
	int historical_length, opt_bytes = 0, td_count = 0, td;

	if (len < 2)
		return 0;
	historical_length = data[1] & 0xf;
	if (data[0] != 0x3b && data[0] != 0x3f)
		return 0;
	td = data[1] >> 4;
	while (td && td_count < 2 && opt_bytes + historical_length + 2 < len) {
		td_count++;
		if (td & 0x1)
			opt_bytes++;
		if (td & 0x2)
			opt_bytes++;
		if (td & 0x4)
			opt_bytes++;
		if (td & 0x8) {
			opt_bytes++;
			td = data[opt_bytes + 2] >> 4;
		}
	}
	return len >= 2 + historical_length + opt_bytes;
}

/* qemu's Init, then ReaderAdd -> Error(0), ATR -> Error(0). */
static int readd(int fd, const char *what)
{
	VSCMsgInit init = { VSCARD_MAGIC, htonl(VSCARD_VERSION), { 0 } };

	send_msg(fd, VSC_Init, VSCARD_UNDEFINED_READER_ID, &init, sizeof(init));
	if (expect(fd, VSC_ReaderAdd, what))
		return -1;
	if (!m.len || m.reader != VSCARD_UNDEFINED_READER_ID) {
		check(0, "%s: ReaderAdd without a name or with reader %08X",
		      what, m.reader);
		return -1;
	}
	send_error(fd, 0, VSC_SUCCESS);
	if (expect(fd, VSC_ATR, what))
		return -1;
	if (m.len != sizeof(want_atr) || memcmp(m.data, want_atr, m.len) ||
	    !qemu_check_atr(m.data, (int)m.len) || (m.data[1] & 0x80) ||
	    m.reader != 0) {
		check(0, "%s: ATR %s", what, hexs(m.data, m.len));
		return -1;
	}
	send_error(fd, 0, VSC_SUCCESS);
	return 0;
}

/*
 * The handshake as qemu does it.  realize_first: qemu's own Init (device
 * realized with the socket connected) goes out before the card's is read,
 * as at qemu's start.  Returns 0 when the card is in.
 */
static int handshake(int fd, int realize_first, const char *what)
{
	VSCMsgInit init = { VSCARD_MAGIC, htonl(VSCARD_VERSION), { 0 } };
	VSCMsgInit got;

	if (realize_first)
		send_msg(fd, VSC_Init, VSCARD_UNDEFINED_READER_ID, &init,
			 sizeof(init));
	if (expect(fd, VSC_Init, what))
		return -1;
	memcpy(&got, m.data, m.len < sizeof(got) ? m.len : sizeof(got));
	if (m.reader != VSCARD_UNDEFINED_READER_ID || m.len != sizeof(got) ||
	    memcmp(m.data, "VSCD", 4) || ntohl(got.version) != VSCARD_VERSION ||
	    got.capabilities[0]) {
		check(0, "%s: the card's Init: reader %08X, %s", what, m.reader,
		      hexs(m.data, m.len));
		return -1;
	}
	return readd(fd, what);
}

/* One APDU; the answer in r (rlen).  Returns 0 or -1 (reported). */
static uint8_t r[65536];
static size_t rlen;

static int apdu(int fd, const uint8_t *cmd, size_t len)
{
	send_msg(fd, VSC_APDU, 0, cmd, len);
	if (expect(fd, VSC_APDU, hexs(cmd, len)))
		return -1;
	memcpy(r, m.data, m.len);
	rlen = m.len;
	return 0;
}

static uint16_t sw_of(void)
{
	return rlen >= 2 ? (uint16_t)(r[rlen - 2] << 8 | r[rlen - 1]) : 0;
}

/* apdu() and checks that the answer is exactly want (wlen bytes). */
static void apdu_is(int fd, const uint8_t *cmd, size_t len,
		    const uint8_t *want, size_t wlen, const char *what)
{
	if (apdu(fd, cmd, len))
		return;
	check(rlen == wlen && !memcmp(r, want, wlen), "%s: %s -> %s (want %s)",
	      what, hexs(cmd, len), hexs(r, rlen), hexs(want, wlen));
}

static void apdu_sw(int fd, const uint8_t *cmd, size_t len, uint16_t sw,
		    const char *what)
{
	uint8_t want[2] = { sw >> 8, sw & 0xFF };

	apdu_is(fd, cmd, len, want, 2, what);
}

/* What the reference library answers. */
static uint8_t refr[VCARD_RSP_MAX];
static size_t reflen;

static void ref_do(const uint8_t *cmd, size_t len)
{
	reflen = vcard_process(ref, cmd, len, refr);
}

static int log_lines(void)
{
	char line[512];
	FILE *f = fopen(log_path, "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += line[0] >= '0' && line[0] <= '9';
	fclose(f);
	return n;
}

static int log_has(const char *s)
{
	char line[512];
	FILE *f = fopen(log_path, "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, s) != NULL;
	fclose(f);
	return found;
}

/* Is fd closed by the card within 3 s (nothing but end of stream)? */
static int dropped(int fd)
{
	int r;

	while ((r = recv_msg(fd, 3000)) == 0)
		;
	return r == -2;
}

/* --- The tests --------------------------------------------------------- */

static void files(void)
{
	struct stat st = { 0 };
	int r;

	r = lstat(sock_path, &st);
	check(!r && S_ISSOCK(st.st_mode) && !(st.st_mode & 077),
	      "the socket is the owner's only (mode %04o)", st.st_mode & 07777);
	r = lstat(fifo_path, &st);
	check(!r && S_ISFIFO(st.st_mode) && !(st.st_mode & 077),
	      "the control FIFO is created 0600 (mode %04o)", st.st_mode & 07777);
}

static void plain_and_t0(int fd)
{
	static const uint8_t sel0101[] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x01, 0x01 };
	static const uint8_t sel0102[] = { 0x00, 0xA4, 0x00, 0x00, 0x02, 0x01, 0x02, 0x00 };
	static const uint8_t rb16[] = { 0x00, 0xB0, 0x00, 0x00, 0x10 };
	static const uint8_t rb_end[] = { 0x00, 0xB0, 0x01, 0xF8, 0x00 };
	static const uint8_t rb2[] = { 0x00, 0xB0, 0x00, 0x00, 0x02 };
	uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, 0x00 }, want[300], whole[300];
	size_t n, got;
	int lines;

	send_msg(fd, VSC_Flush, 0, NULL, 0);
	if (!expect(fd, VSC_FlushComplete, "Flush"))
		check(m.len == 0, "Flush -> FlushComplete");

	/* case 3, no data back: straight through */
	ref_do(sel0101, sizeof(sel0101));
	apdu_is(fd, sel0101, sizeof(sel0101), refr, reflen, "plain SELECT (case 3)");
	check(reflen == 2 && refr[0] == 0x90, "... which the library answers 90 00");
	/* case 2, exactly Le */
	ref_do(rb16, sizeof(rb16));
	apdu_is(fd, rb16, sizeof(rb16), refr, reflen, "READ BINARY, Le = 16 (case 2)");

	/* case 4 with Le: 61 xx, then GET RESPONSE xx: the library's answer */
	ref_do(sel0102, sizeof(sel0102));
	n = reflen - 2;
	want[0] = 0x61;
	want[1] = (uint8_t)n;
	check(n > 4 && n < 256, "the library answers SELECT with %zu bytes of FCP", n);
	apdu_is(fd, sel0102, sizeof(sel0102), want, 2, "SELECT with data -> 61 xx");
	gr[4] = (uint8_t)n;
	apdu_is(fd, gr, 5, refr, reflen, "GET RESPONSE xx -> the library's data and SW");
	apdu_sw(fd, gr, 5, 0x6985, "a second GET RESPONSE: nothing kept, the library's 69 85");

	/* in pieces, a wrong Le, and a Le 00 */
	apdu_is(fd, sel0102, sizeof(sel0102), want, 2, "SELECT again -> 61 xx");
	gr[4] = (uint8_t)(n + 1);
	want[1] = (uint8_t)n;
	want[0] = 0x6C;
	apdu_is(fd, gr, 5, want, 2, "GET RESPONSE with Le one too long -> 6C xx");
	gr[4] = 0;
	apdu_is(fd, gr, 5, want, 2, "GET RESPONSE with Le 00 (256) -> 6C xx");
	gr[4] = 4;
	if (!apdu(fd, gr, 5))
		check(rlen == 6 && !memcmp(r, refr, 4) && r[4] == 0x61 &&
		      r[5] == n - 4, "GET RESPONSE 04 -> 4 bytes and 61 %02zX: %s",
		      n - 4, hexs(r, rlen));
	memcpy(whole, r, 4);
	got = 4;
	gr[4] = (uint8_t)(n - 4);
	if (!apdu(fd, gr, 5)) {
		memcpy(whole + got, r, rlen);
		got += rlen;
	}
	check(got == reflen && !memcmp(whole, refr, reflen),
	      "the pieces make the library's answer: %s", hexs(whole, got));

	/* a kept answer is dropped by another command */
	want[0] = 0x61;
	apdu_is(fd, sel0102, sizeof(sel0102), want, 2, "SELECT -> 61 xx");
	ref_do(rb2, sizeof(rb2));
	apdu_is(fd, rb2, sizeof(rb2), refr, reflen, "READ BINARY in between: the library's answer");
	gr[4] = (uint8_t)n;
	apdu_sw(fd, gr, 5, 0x6985, "then GET RESPONSE: the kept answer was dropped");
	/* ... and by a GET RESPONSE on another logical channel */
	apdu_is(fd, sel0102, sizeof(sel0102), want, 2, "SELECT -> 61 xx");
	gr[0] = 0x01;
	if (!apdu(fd, gr, 5))
		check(rlen == 2 && r[0] != 0x90 && r[0] != 0x61,
		      "GET RESPONSE on channel 1 is not served from channel 0's answer: %s",
		      hexs(r, rlen));
	gr[0] = 0x00;
	apdu_sw(fd, gr, 5, 0x6985, "then GET RESPONSE on channel 0: dropped");

	/* case 2, Le too long: 6C La, the same command with La; run once */
	ref_do(sel0101, sizeof(sel0101));
	apdu_is(fd, sel0101, sizeof(sel0101), refr, reflen, "SELECT EF 0101 (512 bytes)");
	lines = log_lines();
	want[0] = 0x6C;
	want[1] = 8;
	apdu_is(fd, rb_end, sizeof(rb_end), want, 2, "READ BINARY of the last 8 bytes, Le 00 -> 6C 08");
	gr[0] = rb_end[0];
	memcpy(gr, rb_end, 4);
	gr[4] = 8;
	for (n = 0; n < 8; n++)
		want[n] = (uint8_t)(0xF8 + n);
	want[8] = 0x90;
	want[9] = 0x00;
	apdu_is(fd, gr, 5, want, 10, "the same with Le 08 -> the 8 bytes and 90 00");
	check(log_lines() == lines + 1,
	      "the card library ran that READ BINARY once (log lines +%d)",
	      log_lines() - lines);
	want[0] = 0x6C;
	want[1] = 8;
	apdu_is(fd, rb_end, sizeof(rb_end), want, 2, "READ BINARY, Le 00 -> 6C 08 again");
	gr[0] = 0x00;
	gr[1] = 0xC0;
	gr[2] = gr[3] = 0;
	apdu_sw(fd, gr, 5, 0x6985, "GET RESPONSE 08 after 6C: not a retry, the library's 69 85");
}

/* A short case-4 APDU as libccid sends it under T=0: without Le. */
static size_t strip_le(const uint8_t *a, size_t len)
{
	return len > 5 && a[4] && len == 6u + a[4] ? len - 1 : len;
}

/*
 * Sends cmd; follows 61 xx with GET RESPONSE and collects the pieces in
 * whole; *sw1s records the SW1 of every piece, *pieces their count.
 */
static uint8_t whole[70000];

static size_t chain(int fd, const uint8_t *cmd, size_t len, char *trail,
		    size_t tsize)
{
	uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, 0x00 };
	size_t total = 0;
	int i;

	trail[0] = 0;
	if (apdu(fd, cmd, len))
		return 0;
	for (i = 0; i < 10; i++) {
		snprintf(trail + strlen(trail), tsize - strlen(trail), "%s%zu+%02X%02X",
			 i ? " " : "", rlen - 2, r[rlen - 2], r[rlen - 1]);
		memcpy(whole + total, r, rlen - 2);
		total += rlen - 2;
		if (r[rlen - 2] != 0x61)
			break;
		gr[4] = r[rlen - 1];
		if (apdu(fd, gr, 5))
			return 0;
	}
	memcpy(whole + total, r + rlen - 2, 2);
	return total + 2;
}

static int session(int fd, struct term *tm)
{
	static const uint8_t gc[] = { 0x00, 0x84, 0x00, 0x00, 0x10 };
	uint8_t key[16], rc[16], rt[16], keys[32], a[600];
	char trail[200];
	const char *why;
	size_t alen, n, i;

	for (i = 0; i < 16; i++) {
		key[i] = (uint8_t)(i * 0x11);
		rt[i] = (uint8_t)(0xA0 + i);
		keys[i] = (uint8_t)(0x10 + i);
		keys[16 + i] = (uint8_t)(0x40 + 3 * i);
	}
	if (apdu(fd, gc, sizeof(gc)) || rlen != 18 || sw_of() != 0x9000) {
		check(0, "GET CHALLENGE: %s", hexs(r, rlen));
		return -1;
	}
	memcpy(rc, r, 16);
	alen = term_init(tm, VC_RATCHET, key, 16, rc, rt, keys, 2, 0, a, NULL);
	n = chain(fd, a, strip_le(a, alen), trail, sizeof(trail));
	why = n ? term_check_cc(tm, whole, n) : "no answer";
	check(!why && !strcmp(trail, "0+6110 16+9000"),
	      "INITIALIZE SESSION without Le: 61 10, GET RESPONSE 10 -> CC (%s; %s)",
	      trail, why ? why : "CC good");
	return why ? -1 : 0;
}

/* A protected command as libccid sends it; plain answer in out. */
static size_t sm_cmd(int fd, struct term *tm, const uint8_t *plain, size_t len,
		     uint8_t *out, char *trail, size_t tsize)
{
	static uint8_t a[70000];
	const char *why;
	size_t alen, n, olen = 0;

	alen = term_protect(tm, plain, len, -1, a, NULL);
	n = chain(fd, a, strip_le(a, alen), trail, tsize);
	why = n ? term_unprotect(tm, whole, n, out, &olen, NULL) : "no answer";
	if (why) {
		check(0, "protected %s: %s (%s)", hexs(plain, len), why, trail);
		return 0;
	}
	return olen;
}

static void protected_chain(int fd, struct term *tm)
{
	static const uint8_t sel[] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x01, 0x03 };
	static const uint8_t rb[] = { 0x00, 0xB0, 0x00, 0x00, 0x00 };
	uint8_t out[600];
	char trail[200];
	size_t n, i;
	int ok;

	n = sm_cmd(fd, tm, sel, sizeof(sel), out, trail, sizeof(trail));
	check(n == 2 && out[0] == 0x90 && out[1] == 0x00 &&
	      !strncmp(trail, "0+61", 4),
	      "protected SELECT EF 0103 (case 3 form): 61 xx, GET RESPONSE -> body -> 90 00 (%s)",
	      trail);
	n = sm_cmd(fd, tm, rb, sizeof(rb), out, trail, sizeof(trail));
	ok = n == 258 && out[256] == 0x90 && out[257] == 0x00;
	for (i = 0; ok && i < 256; i++)
		ok = out[i] == i % 251;
	check(ok && !strcmp(trail, "0+6100 256+6123 35+9000"),
	      "protected READ BINARY of 256 bytes, 291-byte answer: 61 00 (T=0) -> 256 + 61 23 (SM) -> 35 + 90 00 (%s), R checked",
	      trail);
}

static void remove_insert(int fd, struct term *tm)
{
	static const uint8_t rb[] = { 0x00, 0xB0, 0x00, 0x00, 0x04 };
	static const uint8_t plain[] = { 0x00, 0xB0, 0x00, 0x00, 0x01 };
	uint8_t a[300];
	size_t alen;

	control("remove\n");
	if (!expect(fd, VSC_CardRemove, "control remove"))
		check(m.len == 0, "control remove -> CardRemove");
	send_error(fd, 0, VSC_SUCCESS);
	send_msg(fd, VSC_APDU, 0, plain, sizeof(plain));
	if (!expect(fd, VSC_Error, "an APDU with the card removed"))
		check(m.len == 4 && m.data[3] == VSC_GENERAL_ERROR,
		      "an APDU with the card removed -> Error %s", hexs(m.data, m.len));
	control("insert\n");
	if (!expect(fd, VSC_ATR, "control insert"))
		check(m.len == sizeof(want_atr) && !memcmp(m.data, want_atr, m.len),
		      "control insert -> ATR %s", hexs(m.data, m.len));
	send_error(fd, 0, VSC_SUCCESS);
	/* the session did not survive the removal */
	alen = term_protect(tm, rb, sizeof(rb), -1, a, NULL);
	apdu_sw(fd, a, strip_le(a, alen), 0x6988, "after remove and insert a protected command: no session");
	check(log_has("vscard: control remove") && log_has("vscard: control insert"),
	      "the log says remove and insert");
}

/*
 * The card pulled while qemu holds a command for it: the command fails
 * (Error) before the CardRemove, and far enough ahead of it for the guest
 * to read the failure, as qemu's CardRemove clears its reader's queue.
 * The card is stopped while both arrive, so it finds both waiting.
 */
static void remove_in_flight(int fd)
{
	static const uint8_t plain[] = { 0x00, 0xB0, 0x00, 0x00, 0x01 };
	struct timespec t0, t1;
	long ms;

	kill(card_pid, SIGSTOP);
	send_msg(fd, VSC_APDU, 0, plain, sizeof(plain));
	control("remove\n");
	kill(card_pid, SIGCONT);
	if (!expect(fd, VSC_Error, "a command in flight when the card is pulled"))
		check(m.len == 4 && m.data[3] == VSC_GENERAL_ERROR,
		      "a command in flight when the card is pulled -> Error %s first",
		      hexs(m.data, m.len));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!expect(fd, VSC_CardRemove, "the pulled card's CardRemove")) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 +
		     (t1.tv_nsec - t0.tv_nsec) / 1000000;
		check(ms >= 150, "then CardRemove, %ld ms later (the guest reads the failure first)",
		      ms);
	}
	send_error(fd, 0, VSC_SUCCESS);
	control("insert\n");
	if (!expect(fd, VSC_ATR, "insert after a pull in flight"))
		check(m.len == sizeof(want_atr), "insert after a pull in flight -> ATR");
	send_error(fd, 0, VSC_SUCCESS);
	check(log_has("vscard: apdu while removed: error"),
	      "the log says the command in flight failed");

	/* "remove-next": pulled with the next command, whenever it comes */
	control("remove-next\n");
	check(recv_msg(fd, 300) == -1, "remove-next: nothing before a command");
	send_msg(fd, VSC_APDU, 0, plain, sizeof(plain));
	if (!expect(fd, VSC_Error, "the command after remove-next"))
		check(m.len == 4 && m.data[3] == VSC_GENERAL_ERROR,
		      "the command after remove-next -> Error %s", hexs(m.data, m.len));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!expect(fd, VSC_CardRemove, "remove-next's CardRemove")) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 +
		     (t1.tv_nsec - t0.tv_nsec) / 1000000;
		check(ms >= 150, "remove-next: then CardRemove, %ld ms later", ms);
	}
	send_error(fd, 0, VSC_SUCCESS);
	control("insert\n");
	if (!expect(fd, VSC_ATR, "insert after remove-next"))
		check(m.len == sizeof(want_atr), "insert after remove-next -> ATR");
	send_error(fd, 0, VSC_SUCCESS);
}

static void reinit(int fd, struct term *tm)
{
	static const uint8_t rb[] = { 0x00, 0xB0, 0x00, 0x00, 0x04 };
	uint8_t a[300];
	size_t alen;

	if (session(fd, tm))
		return;
	/* qemu re-realized the device: its Init, unasked */
	check(!readd(fd, "Init after the handshake"),
	      "an Init from qemu after the handshake -> ReaderAdd and ATR again");
	alen = term_protect(tm, rb, sizeof(rb), -1, a, NULL);
	apdu_sw(fd, a, strip_le(a, alen), 0x6988, "after the new ATR: no session (card reset)");
}

static void partial(int fd)
{
	static const uint8_t sel[] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x01, 0x01 };
	static const uint8_t rb[] = { 0x00, 0xB0, 0x00, 0x00, 0x03 };
	uint8_t buf[2 * HDR_LEN + sizeof(rb)];
	VSCMsgHeader h = { htonl(VSC_APDU), 0, htonl(sizeof(rb)) };
	VSCMsgHeader f = { htonl(VSC_Flush), 0, 0 };
	size_t i;
	int ok;

	apdu_sw(fd, sel, sizeof(sel), 0x9000, "SELECT EF 0101");
	memcpy(buf, &h, HDR_LEN);
	memcpy(buf + HDR_LEN, rb, sizeof(rb));
	for (i = 0; i < HDR_LEN + sizeof(rb); i++) {
		send_raw(fd, buf + i, 1);
		sleep_ms(3);
	}
	ok = !expect(fd, VSC_APDU, "byte by byte");
	check(ok && m.len == 5 && !memcmp(m.data, "\x00\x01\x02\x90\x00", 5),
	      "an APDU sent byte by byte is answered: %s", hexs(m.data, m.len));
	/* two messages in one write */
	memcpy(buf, &f, HDR_LEN);
	memcpy(buf + HDR_LEN, &h, HDR_LEN);
	memcpy(buf + 2 * HDR_LEN, rb, sizeof(rb));
	send_raw(fd, buf, sizeof(buf));
	ok = !expect(fd, VSC_FlushComplete, "coalesced") &&
	     !expect(fd, VSC_APDU, "coalesced") && m.len == 5;
	check(ok, "Flush and an APDU in one write: FlushComplete, then the answer");
}

static void big_apdu(int fd)
{
	static uint8_t big[65536];

	memset(big, 0, sizeof(big));
	apdu_sw(fd, big, sizeof(big), 0x6700, "a 64 KiB APDU (the limit) is served: 67 00");
}

/* A connection that sends bad and must be dropped; then the next works. */
static void garbage(const char *what, const void *bad, size_t len)
{
	int fd = peer_connect(), fd2;

	if (fd < 0 || handshake(fd, 0, what)) {
		check(0, "%s: no handshake", what);
		if (fd >= 0)
			close(fd);
		return;
	}
	send_raw(fd, bad, len);
	check(dropped(fd), "%s: the card drops the connection", what);
	close(fd);
	fd2 = peer_connect();
	check(fd2 >= 0 && !handshake(fd2, 1, what),
	      "%s: the next connection is served", what);
	if (fd2 >= 0)
		close(fd2);
}

static void garbages(void)
{
	VSCMsgHeader h;
	uint8_t buf[HDR_LEN + 12];
	VSCMsgInit bad = { 0x12345678, htonl(VSCARD_VERSION), { 0 } };

	h = (VSCMsgHeader){ htonl(VSC_APDU), 0, htonl(65537) };
	garbage("a message of 65537 bytes", &h, HDR_LEN);
	h = (VSCMsgHeader){ htonl(VSC_APDU), 0, htonl(0xFFFFFFF0) };
	garbage("a length of 4 GiB", &h, HDR_LEN);
	h = (VSCMsgHeader){ htonl(0x42), 0, 0 };
	garbage("message type 0x42", &h, HDR_LEN);
	h = (VSCMsgHeader){ htonl(VSC_ATR), 0, 0 };
	garbage("an ATR from qemu's side", &h, HDR_LEN);
	h = (VSCMsgHeader){ htonl(VSC_Init), 0, htonl(12) };
	memcpy(buf, &h, HDR_LEN);
	memcpy(buf + HDR_LEN, &bad, 12);
	garbage("an Init without the magic", buf, sizeof(buf));
	h = (VSCMsgHeader){ htonl(VSC_Error), 0, htonl(2) };
	memcpy(buf, &h, HDR_LEN);
	memset(buf + HDR_LEN, 0, 2);
	garbage("an Error of 2 bytes", buf, HDR_LEN + 2);
}

/*
 * The card's presence across connections, a refused ReaderAdd, and
 * control lines that are not commands.
 */
static void states(void)
{
	static const uint8_t gc[] = { 0x00, 0x84, 0x00, 0x00, 0x10 };
	VSCMsgInit init = { VSCARD_MAGIC, htonl(VSCARD_VERSION), { 0 } };
	char longline[300];
	int fd;

	control("remove\n");		/* nobody connected: nothing to send */
	sleep_ms(100);
	fd = peer_connect();
	if (fd < 0 || expect(fd, VSC_Init, "removed card: Init"))
		return;
	send_msg(fd, VSC_Init, VSCARD_UNDEFINED_READER_ID, &init, sizeof(init));
	if (expect(fd, VSC_ReaderAdd, "removed card: ReaderAdd"))
		goto out;
	send_error(fd, VSCARD_UNDEFINED_READER_ID, VSC_CANNOT_ADD_MORE_READERS);
	check(recv_msg(fd, 300) == -1, "ReaderAdd refused (error 2): the card waits");
	send_msg(fd, VSC_Init, VSCARD_UNDEFINED_READER_ID, &init, sizeof(init));
	if (expect(fd, VSC_ReaderAdd, "the next Init"))
		goto out;
	check(1, "the next Init: ReaderAdd again");
	send_error(fd, 0, VSC_SUCCESS);
	check(recv_msg(fd, 300) == -1,
	      "card removed before qemu connected: no ATR after the ReaderAdd");
	control("bogus\n");
	memset(longline, 'i', sizeof(longline) - 2);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = 0;
	control(longline);
	check(recv_msg(fd, 300) == -1, "an unknown and an overlong control line do nothing");
	control("insert\n");
	if (!expect(fd, VSC_ATR, "insert"))
		check(m.len == sizeof(want_atr), "control insert: the ATR");
	send_error(fd, 0, VSC_SUCCESS);
	if (!apdu(fd, gc, sizeof(gc)))
		check(rlen == 18 && sw_of() == 0x9000, "the inserted card answers GET CHALLENGE");
	control(" insert\n");		/* not a command: leading space */
	control("insert\r\n");
	if (!expect(fd, VSC_ATR, "insert while inserted"))
		check(m.len == sizeof(want_atr) && recv_msg(fd, 300) == -1,
		      "insert while inserted: one ATR (a reset), ` insert' ignored");
	send_error(fd, 0, VSC_SUCCESS);
out:
	close(fd);
}

static void reconnect(struct term *tm)
{
	static const uint8_t rb[] = { 0x00, 0xB0, 0x00, 0x00, 0x04 };
	uint8_t a[300];
	size_t alen;
	int fd = peer_connect();

	if (fd < 0 || handshake(fd, 1, "first connection") || session(fd, tm)) {
		check(0, "reconnect: no first connection");
		return;
	}
	close(fd);		/* qemu went away */
	fd = peer_connect();
	check(fd >= 0 && !handshake(fd, 1, "after a disconnect"),
	      "qemu gone and back: the next connection is served");
	alen = term_protect(tm, rb, sizeof(rb), -1, a, NULL);
	apdu_sw(fd, a, strip_le(a, alen), 0x6988, "the session did not survive the disconnect");
	close(fd);
}

static char run_err[140];

static int run_rc(char *const argv[], int ms)
{
	pid_t pid = spawn(argv, run_err);
	int rc = reap(pid, ms);

	if (rc < 0) {
		kill(pid, SIGKILL);
		reap(pid, 1000);
	}
	return rc;
}

static void refusals(void)
{
	char other[160], errs[4096], *msg;
	char *argv[] = { (char *)vcard_bin, "--image", img_path, "--vscard",
			 other, NULL };
	int fd, rc;
	ssize_t n;

	strcpy(other, sock_path);	/* the live one */
	rc = run_rc(argv, 5000);
	fd = open(run_err, O_RDONLY);
	n = fd >= 0 ? read(fd, errs, sizeof(errs) - 1) : 0;
	errs[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
	msg = strstr(errs, "smchan-vcard: `");
	if (msg && strchr(msg, '\n'))
		*strchr(msg, '\n') = 0;
	check(rc == 1 && msg && strstr(msg, "in use"),
	      "a second card on a live socket: exit %d, %s", rc, msg ? msg : errs);
	snprintf(other, sizeof(other), "%s/link", dir);
	if (symlink(img_path, other))
		check(0, "symlink: %s", strerror(errno));
	rc = run_rc(argv, 5000);
	check(rc == 1 && !access(img_path, F_OK), "a symbolic link at the socket path: refused (exit %d), its target kept", rc);
	snprintf(other, sizeof(other), "%s/file", dir);
	close(open(other, O_WRONLY | O_CREAT, 0600));
	rc = run_rc(argv, 5000);
	check(rc == 1 && !access(other, F_OK), "a regular file at the socket path: refused (exit %d), kept", rc);
}

static void stops(void)
{
	struct stat st = { 0 };
	int rc, fd;

	/* a stale socket (card killed) is replaced */
	kill(card_pid, SIGKILL);
	reap(card_pid, 3000);
	unlink(fifo_path);
	check(!lstat(sock_path, &st) && S_ISSOCK(st.st_mode), "a killed card leaves its socket");
	check(!start_card(), "a new card replaces the stale socket");
	fd = peer_connect();
	check(fd >= 0 && !handshake(fd, 1, "after a stale socket"), "... and serves");
	control("quit\n");
	rc = reap(card_pid, 5000);
	check(rc == 0, "quit on the control FIFO: exit %d", rc);
	check(lstat(sock_path, &st) && lstat(fifo_path, &st),
	      "the socket and the FIFO it created are gone");
	if (fd >= 0)
		close(fd);
	check(!start_card(), "started again");
	fd = peer_connect();
	check(fd >= 0 && !handshake(fd, 1, "before SIGTERM"), "served");
	kill(card_pid, SIGTERM);
	rc = reap(card_pid, 5000);
	check(rc == 0, "SIGTERM while connected: exit %d", rc);
	check(fd >= 0 && dropped(fd), "... and the connection is closed");
	if (fd >= 0)
		close(fd);
}

static void log_format(void)
{
	char line[512];
	FILE *f = fopen(log_path, "r");
	int apdus = 0, bad = 0, atr_ok = 0;
	unsigned int ins, sw;
	unsigned long n;
	char mode[32];

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "vscard: ", 8)) {
			atr_ok |= !strcmp(line, "vscard: error code=0 reader=0 answers=atr\n");
			continue;
		}
		apdus++;
		if (sscanf(line, "%lu ins=%2X sw=%4X mode=%31s", &n, &ins, &sw,
			   mode) != 4) {
			if (!bad++)
				printf("info: bad log line: %s", line);
		}
	}
	if (f)
		fclose(f);
	check(apdus > 20 && !bad, "%d log lines in vpcd's format (%d not)", apdus, bad);
	check(atr_ok, "the log says qemu accepted the ATR (error code=0 answers=atr)");
}

int main(int argc, char **argv)
{
	char *create[] = { NULL, "--create", "--image", img_path, "--mkey-file",
			   NULL, NULL };
	char key_path[128];
	struct term tm;
	uint8_t *img;
	size_t len;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "Usage: vscard-test SMCHAN_VCARD\n");
		return 2;
	}
	vcard_bin = argv[1];
	signal(SIGPIPE, SIG_IGN);
	strcpy(dir, "/tmp/smchan-vscard-test.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/card.sock", dir);
	snprintf(fifo_path, sizeof(fifo_path), "%s/card.ctl", dir);
	snprintf(img_path, sizeof(img_path), "%s/card.img", dir);
	snprintf(log_path, sizeof(log_path), "%s/card.log", dir);
	snprintf(err_path, sizeof(err_path), "%s/card.err", dir);
	snprintf(key_path, sizeof(key_path), "%s/key", dir);
	snprintf(run_err, sizeof(run_err), "%s/run.err", dir);
	fd = open(key_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, key_hex, strlen(key_hex)) < 0)
		return 1;
	close(fd);
	create[0] = (char *)vcard_bin;
	create[5] = key_path;
	if (run_rc(create, 10000) || image_read(img_path, &img, &len) ||
	    !(ref = vcard_new(img, len))) {
		fprintf(stderr, "cannot create the card image\n");
		return 1;
	}
	free(img);

	check(!start_card(), "smchan-vcard --vscard starts");
	files();
	fd = peer_connect();
	check(fd >= 0 && !handshake(fd, 1, "start-up"),
	      "handshake with qemu's start-up pair of Inits: ReaderAdd, ATR %s (T=0 only, passes check_atr)",
	      hexs(want_atr, sizeof(want_atr)));
	check(recv_msg(fd, 300) == -1, "no second ReaderAdd or ATR for the second Init");
	if (fd >= 0) {
		plain_and_t0(fd);
		if (!session(fd, &tm))
			protected_chain(fd, &tm);
		if (!session(fd, &tm))
			remove_insert(fd, &tm);
		remove_in_flight(fd);
		reinit(fd, &tm);
		partial(fd);
		big_apdu(fd);
		close(fd);
	}
	reconnect(&tm);
	states();
	garbages();
	refusals();
	log_format();
	stops();
	vcard_free(ref);
	if (!failed) {
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			printf("info: %s left\n", dir);
	} else {
		printf("info: files in %s\n", dir);
	}
	printf("RESULT %d %d\n", passed, failed);
	return failed ? 1 : 0;
}
