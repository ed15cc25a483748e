// SPDX-License-Identifier: GPL-2.0
/*
 * VSCard transport: the card behind qemu's usb-ccid reader.
 *
 * qemu's ccid-card-passthru connects to the socket this program listens
 * on.  Every message is a VSCMsgHeader (type, reader_id, length: three
 * big-endian u32, no padding) and length payload bytes.  The card sends
 * Init ("VSCD", VSCARD_VERSION, one capability word 0); qemu answers Init;
 * the card sends ReaderAdd, qemu answers Error(0) with reader id 0; the
 * card sends its ATR (= inserted or reset), qemu answers Error(0) (or
 * Error(1) if its check_atr() refuses the ATR).  Then APDU in, APDU out;
 * Flush, FlushComplete.  qemu sends an Init of its own when the device is
 * realized (at start, and after device_del/device_add with the socket
 * still connected): an Init after the handshake redoes ReaderAdd and ATR,
 * one while the ReaderAdd is still unanswered is the second of qemu's
 * start-up pair and changes nothing.  An Error to qemu fails the guest's
 * pending command (qemu reads its code without ntohl and only logs it):
 * this card sends one for an APDU that arrives while it is removed.
 *
 * A removal while qemu holds a command for the card: qemu's CardRemove
 * handler (ccid_card_card_removed()) queues an empty answer for it and
 * then resets the reader, which clears that queue, so the guest's
 * transfer never completes and libccid waits out its own timeout (about
 * 100 s).  A card pulled from a real reader fails the command instead.
 * So "remove" first fails whatever command is already in the socket with
 * an Error, as for one that arrives while removed, and gives the guest
 * REMOVE_GRACE_MS to read that failure before the CardRemove.
 * "remove-next" does the same with the next command to arrive: the card
 * pulled while it works on a command, whenever the guest sends one.
 *
 * A message over 64 KiB (qemu's own input limit), a type qemu never sends,
 * an Init without the magic or an Error without its 4-byte code is not
 * qemu: the connection is dropped, the card reset, and the next one
 * accepted.  qemu going away is a power loss too.
 *
 * T=0.  qemu's reader offers T=0 only, and libccid (a TPDU reader for
 * it) sends a case-4 command without Le, as a case-3 TPDU.  A T=0 card
 * cannot tell case 3 from case 4, so this layer does what ISO/IEC 7816-3
 * 10.3 and 7816-4 5.3 give a T=0 card, around the card library, which
 * gets every command as it arrived:
 *   - an answer with data to any command that is not the 5-byte case-2
 *     form (data carried, case 1, extended) is kept whole, data and SW,
 *     and answered 61 xx (xx = its data length, 00 from 256 on);
 *   - GET RESPONSE (CLA on the command's logical channel, as
 *     smchan_get_response_cla() computes it, C0 00 00 Le) then serves
 *     Le bytes of it (Le 00 = 256) and 61 xx while some are left, the
 *     kept SW with the last ones, or 6C La if Le asks for more than is
 *     left (the answer stays kept);
 *   - a case-2 command (CLA INS P1 P2 P3, P3 = Le, 00 = 256) gets data
 *     and SW when the data is exactly Le long; when it is shorter, 6C La
 *     and the answer is kept for the same header with P3 = La (the
 *     command runs once: the card library's own GET RESPONSE could not
 *     run twice);
 *   - any other command drops what is kept and goes to the card library,
 *     so a GET RESPONSE with nothing kept here is the card library's
 *     (its own 61 xx chain of PROTOCOL.md section 5): the two layers
 *     nest, T=0 outside.
 * Every answer is thus at most 256 bytes and SW, which qemu's reader can
 * carry.  The log has one line per card library command, as with vpcd;
 * the T=0 pieces are transport, and lines starting "vscard: " say what
 * happened on the socket.
 */
#define _GNU_SOURCE		/* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cacard/vscard_common.h>

#include "../card/vcard.h"
#include "frontend.h"
#include "vscard.h"

/*
 * 3B: direct convention; 05: no TA1..TD1 (so T=0 only, and no TCK),
 * 5 historical bytes: 80 | 73 30 21 00, card capabilities as the vpcd
 * ATR's (selection by path and by FID; data unit 1 byte, proprietary
 * write behaviour) but without extended Lc and Le, which a T=0 TPDU
 * cannot carry (this card has no ENVELOPE).
 */
const unsigned char vscard_atr[] = { 0x3B, 0x05, 0x80, 0x73, 0x30, 0x21, 0x00 };
const unsigned int vscard_atr_len = sizeof(vscard_atr);

#define HDR_LEN sizeof(VSCMsgHeader)
#define MSG_MAX 65536		/* payload; qemu's input buffer is 64 KiB */
#define OUT_MAX 300		/* the longest we send: 256 + SW, a name */
#define READER_NAME "smchan-vcard"
#define REMOVE_GRACE_MS 200	/* see the top */

enum ack { ACK_READER, ACK_ATR, ACK_REMOVE };
static const char *const ack_name[] = { "reader-add", "atr", "card-remove" };
#define ACK_MAX 8

struct vs {
	struct vcard *c;
	FILE *log;
	uint64_t count;
	int fd;
	uint8_t *in;		/* HDR_LEN + MSG_MAX */
	size_t in_len;
	uint8_t *rsp, *kept;	/* VCARD_RSP_MAX each; swapped */
	size_t kept_len, kept_off;	/* data and SW; 0: nothing kept */
	bool kept_retry;	/* 6C: for hdr with P3 = La, else GET RESPONSE */
	uint8_t kept_hdr[4];	/* its header / its GET RESPONSE's CLA */
	bool present;		/* the card is in the reader */
	bool pull_next;		/* "remove-next": pulled with the next command */
	bool reader_sent, reader_added;
	uint32_t reader;	/* the id qemu gave the reader (0) */
	enum ack acks[ACK_MAX];	/* what qemu's next Errors answer */
	unsigned int ack_n;
	char ctl[128];
	size_t ctl_len;
	bool ctl_skip;		/* in an overlong line */
};

static void vslog(struct vs *v, const char *fmt, ...)
{
	va_list ap;

	if (!v->log)
		return;
	fputs("vscard: ", v->log);
	va_start(ap, fmt);
	vfprintf(v->log, fmt, ap);
	va_end(ap);
	fputc('\n', v->log);
	fflush(v->log);
}

/* As smchan_get_response_cla() (lib/smchan.c): the command's channel. */
static uint8_t get_response_cla(uint8_t cla)
{
	if (cla & 0x40)
		return 0x40 | (cla & 0x0F);
	return cla & 0x03;
}

static int send_msg(struct vs *v, uint32_t type, uint32_t reader,
		    const void *p, size_t len)
{
	uint8_t frame[HDR_LEN + OUT_MAX];
	VSCMsgHeader h = {
		.type = htonl(type),
		.reader_id = htonl(reader),
		.length = htonl((uint32_t)len),
	};
	size_t off = 0;
	ssize_t n;
	int ret = 0;

	if (v->fd < 0 || len > OUT_MAX)
		return -1;
	memcpy(frame, &h, HDR_LEN);
	memcpy(frame + HDR_LEN, p, len);
	len += HDR_LEN;
	while (off < len) {	/* one send() for header and payload */
		n = send(v->fd, frame + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = -1;
			break;
		}
		off += (size_t)n;
	}
	explicit_bzero(frame, len);	/* a response */
	return ret;
}

static int send_expecting(struct vs *v, uint32_t type, uint32_t reader,
			  const void *p, size_t len, enum ack ack)
{
	if (send_msg(v, type, reader, p, len))
		return -1;
	if (v->ack_n < ACK_MAX)
		v->acks[v->ack_n++] = ack;
	return 0;
}

static int send_reader_add(struct vs *v)
{
	v->reader_sent = true;
	v->reader_added = false;
	return send_expecting(v, VSC_ReaderAdd, VSCARD_UNDEFINED_READER_ID,
			      READER_NAME, strlen(READER_NAME), ACK_READER);
}

static int send_atr(struct vs *v)
{
	return send_expecting(v, VSC_ATR, v->reader, vscard_atr,
			      vscard_atr_len, ACK_ATR);
}

static void t0_drop(struct vs *v)
{
	explicit_bzero(v->kept, v->kept_len);
	v->kept_len = v->kept_off = 0;
}

/* Keeps the answer in v->rsp (rlen bytes) for GET RESPONSE or a retry. */
static void t0_keep(struct vs *v, size_t rlen, bool retry, const uint8_t *hdr)
{
	uint8_t *t = v->kept;

	v->kept = v->rsp;
	v->rsp = t;
	v->kept_len = rlen;
	v->kept_off = 0;
	v->kept_retry = retry;
	memcpy(v->kept_hdr, hdr, 4);
	if (!retry)
		v->kept_hdr[0] = get_response_cla(hdr[0]);
}

static bool t0_serves(const struct vs *v, const uint8_t *cmd, size_t len)
{
	if (!v->kept_len || len != 5)
		return false;
	if (v->kept_retry)
		return !memcmp(cmd, v->kept_hdr, 4) &&
		       cmd[4] == v->kept_len - 2 - v->kept_off;
	return cmd[0] == v->kept_hdr[0] && cmd[1] == 0xC0 && !cmd[2] && !cmd[3];
}

static size_t sw(uint8_t *out, uint8_t sw1, size_t xx)
{
	out[0] = sw1;
	out[1] = xx >= 256 ? 0 : (uint8_t)xx;
	return 2;
}

/* Case 2 from what is kept: Le bytes and 61 xx or the SW, or 6C La. */
static size_t t0_serve(struct vs *v, uint8_t p3, uint8_t *out)
{
	size_t left = v->kept_len - 2 - v->kept_off, ne = p3 ? p3 : 256;

	if (ne > left)
		return sw(out, 0x6C, left);	/* left < ne <= 256 */
	memcpy(out, v->kept + v->kept_off, ne);
	v->kept_off += ne;
	left -= ne;
	if (left)
		return ne + sw(out + ne, 0x61, left);
	memcpy(out + ne, v->kept + v->kept_len - 2, 2);
	t0_drop(v);
	return ne + 2;
}

/* One command through the T=0 layer; the answer (<= 258 bytes) in out. */
static size_t t0_command(struct vs *v, const uint8_t *cmd, size_t len,
			 uint8_t *out)
{
	uint8_t hdr[4] = { 0 };
	size_t rlen, n, ne;

	if (t0_serves(v, cmd, len))
		return t0_serve(v, cmd[4], out);
	t0_drop(v);
	rlen = frontend_apdu(v->c, cmd, len, v->rsp, v->log, &v->count);
	n = rlen - 2;
	memcpy(hdr, cmd, len < 4 ? len : 4);
	ne = len == 5 ? (cmd[4] ? cmd[4] : 256) : 0;
	if (n && len == 5 && n < ne) {		/* case 2, Le too long */
		t0_keep(v, rlen, true, hdr);
		return sw(out, 0x6C, n);
	}
	if (n && n != ne) {	/* data carried (or Le too short: never) */
		t0_keep(v, rlen, false, hdr);
		return sw(out, 0x61, n);
	}
	memcpy(out, v->rsp, rlen);	/* no data, or case 2 exactly */
	explicit_bzero(v->rsp, rlen);
	return rlen;
}

static void card_reset(struct vs *v)
{
	vcard_reset(v->c);
	t0_drop(v);
}

static void disconnect(struct vs *v, const char *why)
{
	if (v->fd < 0)
		return;
	close(v->fd);
	v->fd = -1;
	explicit_bzero(v->in, v->in_len);
	v->in_len = 0;
	v->ack_n = 0;
	v->reader_sent = v->reader_added = false;
	card_reset(v);			/* the reader went away: power loss */
	vslog(v, "disconnected (%s)", why);
	fprintf(stderr, "smchan-vcard: qemu disconnected (%s)\n", why);
}

static void on_error(struct vs *v, uint32_t reader, uint32_t code)
{
	const char *what = v->ack_n ? ack_name[v->acks[0]] : "nothing";
	enum ack ack = v->acks[0];

	vslog(v, "error code=%u reader=%u answers=%s", code, reader, what);
	if (!v->ack_n)
		return;
	memmove(v->acks, v->acks + 1, --v->ack_n * sizeof(v->acks[0]));
	if (code) {
		fprintf(stderr, "smchan-vcard: qemu answered %s with error %u\n",
			what, code);
		if (ack == ACK_READER)
			v->reader_sent = false;	/* the next Init tries again */
	}
	if (ack == ACK_READER && !code) {
		v->reader_added = true;
		v->reader = reader;
		if (v->present)
			send_atr(v);
	}
}

/*
 * The card has left (present is false already): reset, and tell qemu
 * REMOVE_GRACE_MS later, so that the guest reads a failed command first.
 */
static void pulled(struct vs *v, bool was)
{
	struct timespec grace = { .tv_nsec = REMOVE_GRACE_MS * 1000000L };

	card_reset(v);
	if (was && v->reader_added) {
		nanosleep(&grace, NULL);
		send_expecting(v, VSC_CardRemove, v->reader, NULL, 0,
			       ACK_REMOVE);
	}
}

/* Returns 0, or a reason to drop the connection. */
static const char *on_message(struct vs *v, uint32_t type, uint32_t reader,
			      uint8_t *p, uint32_t len)
{
	uint8_t out[OUT_MAX];
	struct timespec at;
	VSCMsgInit init;
	VSCMsgError err;
	uint64_t ran;
	bool pull;
	size_t n;

	switch (type) {
	case VSC_Init:
		if (len < offsetof(VSCMsgInit, capabilities))
			return "short Init";
		memcpy(&init, p, offsetof(VSCMsgInit, capabilities));
		if (init.magic != VSCARD_MAGIC)
			return "Init without the VSCD magic";
		vslog(v, "init version=%u", ntohl(init.version));
		/* qemu's start-up pair: the second changes nothing */
		if (v->reader_sent && !v->reader_added)
			return NULL;
		/* the device was realized again: the reader was unplugged */
		if (v->reader_added)
			card_reset(v);
		send_reader_add(v);
		return NULL;
	case VSC_Error:
		if (len != sizeof(err))
			return "Error without a 4-byte code";
		memcpy(&err, p, sizeof(err));
		on_error(v, reader, ntohl(err.code));
		return NULL;
	case VSC_APDU:
		if (!v->present || v->pull_next) {
			pull = v->present;
			v->present = v->pull_next = false;
			err.code = htonl(VSC_GENERAL_ERROR);
			vslog(v, "apdu while removed: error");
			send_msg(v, VSC_Error, reader, &err, sizeof(err));
			if (pull)
				pulled(v, true);
		} else {
			frontend_arrived(&at);
			ran = v->count;
			n = t0_command(v, p, len, out);
			/* --latency: a T=0 piece served from what is kept
			 * costs its transfer only */
			frontend_wait(&at, len, n, v->count != ran);
			send_msg(v, VSC_APDU, reader, out, n);
			explicit_bzero(out, n);
		}
		explicit_bzero(p, len);		/* a command: key blocks too */
		return NULL;
	case VSC_Flush:
		send_msg(v, VSC_FlushComplete, reader, NULL, 0);
		return NULL;
	default:
		return "a message type qemu does not send";
	}
}

/* Reads what is there and handles every whole message; -1: drop. */
static int on_readable(struct vs *v)
{
	const char *why = NULL;
	VSCMsgHeader h;
	size_t len, used;
	ssize_t r;

	r = read(v->fd, v->in + v->in_len, HDR_LEN + MSG_MAX - v->in_len);
	if (r < 0 && errno == EINTR)
		return 0;
	if (r <= 0) {
		disconnect(v, r ? strerror(errno) : "end of stream");
		return -1;
	}
	v->in_len += (size_t)r;
	while (v->in_len >= HDR_LEN && v->fd >= 0) {
		memcpy(&h, v->in, HDR_LEN);
		len = ntohl(h.length);
		if (len > MSG_MAX) {
			why = "a message over 64 KiB";
			break;
		}
		if (v->in_len < HDR_LEN + len)
			return 0;		/* a partial message */
		why = on_message(v, ntohl(h.type), ntohl(h.reader_id),
				 v->in + HDR_LEN, (uint32_t)len);
		if (why)
			break;
		used = HDR_LEN + len;
		memmove(v->in, v->in + used, v->in_len - used);
		explicit_bzero(v->in + v->in_len - used, used);
		v->in_len -= used;
	}
	if (why) {
		fprintf(stderr, "smchan-vcard: dropping the connection: %s\n", why);
		disconnect(v, why);
		return -1;
	}
	return 0;
}

static void on_accept(struct vs *v, int lfd)
{
	VSCMsgInit init = {
		.magic = VSCARD_MAGIC,
		.version = htonl(VSCARD_VERSION),
		.capabilities = { 0 },
	};

	v->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (v->fd < 0)
		return;
	vslog(v, "connected");
	fprintf(stderr, "smchan-vcard: qemu connected\n");
	if (send_msg(v, VSC_Init, VSCARD_UNDEFINED_READER_ID, &init,
		     sizeof(init)))
		disconnect(v, "Init not sent");
}

static int on_readable(struct vs *v);

/* Handles what qemu has already sent, without waiting for more. */
static void drain(struct vs *v)
{
	struct pollfd p = { .fd = v->fd, .events = POLLIN };

	while (v->fd >= 0 && poll(&p, 1, 0) == 1 && !on_readable(v))
		p.fd = v->fd;
}

/*
 * "remove", "remove-next" (with the next command, which fails), "insert"
 * (= reset), "quit"; returns 1 for quit.
 */
static int control_line(struct vs *v, char *line)
{
	bool was = v->present;
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
		line[--n] = 0;
	if (!strcmp(line, "quit"))
		return 1;
	if (!strcmp(line, "remove")) {
		vslog(v, "control remove");
		v->present = v->pull_next = false;
		drain(v);	/* a command in flight fails: see the top */
		pulled(v, was);
	} else if (!strcmp(line, "remove-next")) {
		vslog(v, "control remove-next");
		v->pull_next = v->present;
	} else if (!strcmp(line, "insert")) {
		vslog(v, "control insert");
		card_reset(v);
		v->present = true;
		v->pull_next = false;
		if (v->reader_added)
			send_atr(v);
	} else if (n) {
		fprintf(stderr, "smchan-vcard: control: unknown command `%s'\n",
			line);
	}
	return 0;
}

static int on_control(struct vs *v, int cfd)
{
	char buf[64];
	ssize_t r, i;

	r = read(cfd, buf, sizeof(buf));
	for (i = 0; i < r; i++) {
		if (buf[i] != '\n') {
			if (v->ctl_len + 1 < sizeof(v->ctl))
				v->ctl[v->ctl_len++] = buf[i];
			else
				v->ctl_skip = true;
			continue;
		}
		v->ctl[v->ctl_len] = 0;
		if (!v->ctl_skip && control_line(v, v->ctl))
			return 1;
		v->ctl_len = 0;
		v->ctl_skip = false;
	}
	return 0;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, probe, ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "smchan-vcard: The socket path `%s' is too long\n",
			path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			fprintf(stderr, "smchan-vcard: `%s' exists and is not a socket%s: refused\n",
				path, S_ISLNK(st.st_mode) ? " (a symbolic link)" : "");
			return -1;
		}
		/*
		 * A socket nobody listens on is a stale one of ours.  (An
		 * idle card that does listen sees the probe as a qemu that
		 * came and went: a reset, as for any disconnect.)
		 */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ret = probe < 0 ? -1 :
		      connect(probe, (struct sockaddr *)&sa, sizeof(sa));
		if (probe >= 0)
			close(probe);
		if (!ret) {
			fprintf(stderr, "smchan-vcard: `%s' is in use by another program\n",
				path);
			return -1;
		}
		if (unlink(path) && errno != ENOENT) {
			fprintf(stderr, "smchan-vcard: Unable to remove the stale socket `%s': %s\n",
				path, strerror(errno));
			return -1;
		}
	} else if (errno != ENOENT) {
		fprintf(stderr, "smchan-vcard: `%s': %s\n", path, strerror(errno));
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	old = umask(077);		/* only the owner may connect */
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret || listen(fd, 4))
		goto fail;
	return fd;
fail:
	fprintf(stderr, "smchan-vcard: Unable to listen on `%s': %s\n", path,
		strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The control FIFO, created 0600 if missing; read-write, so never EOF. */
static int open_control(const char *path, bool *created)
{
	struct stat st;
	int fd;

	*created = !mkfifo(path, 0600);
	if (!*created && errno != EEXIST)
		goto fail;
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		goto fail;
	if (fstat(fd, &st) || !S_ISFIFO(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077)) {
		fprintf(stderr, "smchan-vcard: The control file `%s' must be a FIFO of ours that others cannot open (mode 0600)\n",
			path);
		close(fd);
		return -1;
	}
	return fd;
fail:
	fprintf(stderr, "smchan-vcard: Unable to open the control FIFO `%s': %s\n",
		path, errno == ELOOP ? "a symbolic link" : strerror(errno));
	return -1;
}

int vscard_serve(struct vcard *c, const char *path, const char *control,
		 FILE *log, volatile sig_atomic_t *stop)
{
	struct vs v = { .c = c, .log = log, .fd = -1, .present = true };
	struct pollfd pfd[2];
	bool created = false;
	int lfd, cfd = -1, ret = -1;
	nfds_t n;

	v.in = malloc(HDR_LEN + MSG_MAX);
	v.rsp = malloc(VCARD_RSP_MAX);
	v.kept = malloc(VCARD_RSP_MAX);
	lfd = v.in && v.rsp && v.kept ? listen_unix(path) : -1;
	if (lfd < 0)
		goto out;
	if (control) {
		cfd = open_control(control, &created);
		if (cfd < 0)
			goto out_unlink;
	}
	fprintf(stderr, "smchan-vcard: listening for qemu on %s\n", path);
	ret = 0;
	while (!*stop) {
		pfd[0].fd = v.fd >= 0 ? v.fd : lfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = cfd;
		pfd[1].events = POLLIN;
		n = cfd >= 0 ? 2 : 1;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;	/* the caller checks *stop */
			ret = -1;
			break;
		}
		if (n == 2 && pfd[1].revents && on_control(&v, cfd))
			break;
		if (!pfd[0].revents)
			continue;
		if (v.fd < 0)
			on_accept(&v, lfd);
		else
			on_readable(&v);
	}
	disconnect(&v, "stopped");
	if (cfd >= 0)
		close(cfd);
	if (created)
		unlink(control);
out_unlink:
	close(lfd);
	unlink(path);
out:
	if (v.in)
		explicit_bzero(v.in, HDR_LEN + MSG_MAX);
	if (v.rsp)
		explicit_bzero(v.rsp, VCARD_RSP_MAX);
	if (v.kept)
		explicit_bzero(v.kept, VCARD_RSP_MAX);
	free(v.in);
	free(v.rsp);
	free(v.kept);
	return ret;
}
