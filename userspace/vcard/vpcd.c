// SPDX-License-Identifier: GPL-2.0
/*
 * vpcd transport.  vpcd (Debian 12, vsmartcard 0.8) listens; the card
 * connects.  vpcd sends the length and the payload in two send() calls
 * without TCP_NODELAY, so unless the card ACKs at once, Nagle holds the
 * payload for the card's delayed ACK (~44 ms per APDU): TCP_QUICKACK is
 * re-armed after every read (the kernel clears it again by itself).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../card/vcard.h"
#include "frontend.h"
#include "vpcd.h"

/*
 * 3B: direct convention; 85: TD1 follows, 5 historical bytes;
 * 81: TD2 follows, T=1; 11: TA3 follows, T=1; FE: IFSC 254;
 * historical bytes 80 | 73 30 21 40: card capabilities (selection by
 * path and by FID; data unit 1 byte, proprietary write behaviour; no
 * command chaining, extended Lc and Le); then TCK.
 */
const unsigned char vcard_atr[] = {
	0x3B, 0x85, 0x81, 0x11, 0xFE, 0x80, 0x73, 0x30, 0x21, 0x40, 0x49,
};
const unsigned int vcard_atr_len = sizeof(vcard_atr);

static void quickack(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

/* Returns 1 when len bytes were read, 0 on EOF or error. */
static int read_full(int fd, uint8_t *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		quickack(fd);
		if (n <= 0)
			return 0;	/* EINTR too: the caller checks *stop */
		p += n;
		len -= (size_t)n;
	}
	return 1;
}

static int send_frame(int fd, const uint8_t *p, size_t len, uint8_t *buf)
{
	size_t off = 0;
	ssize_t n;

	buf[0] = (uint8_t)(len >> 8);
	buf[1] = (uint8_t)len;
	memcpy(buf + 2, p, len);
	len += 2;
	while (off < len) {	/* one send() for header and payload */
		n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

static int connect_vpcd(const char *host, int port)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM }, *res, *ai;
	char service[16];
	int fd = -1, one = 1;

	snprintf(service, sizeof(service), "%d", port);
	if (getaddrinfo(host, service, &hints, &res))
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		quickack(fd);
	}
	return fd;
}

static void serve_connection(struct vcard *c, int fd, FILE *log,
			     volatile sig_atomic_t *stop, uint64_t *count,
			     uint8_t *cmd, uint8_t *rsp, uint8_t *frame)
{
	struct timespec at;
	uint8_t hdr[2];
	size_t len, rlen;

	while (!*stop && read_full(fd, hdr, 2)) {
		len = (size_t)hdr[0] << 8 | hdr[1];
		if (len && !read_full(fd, cmd, len))
			break;
		frontend_arrived(&at);
		if (len == 1) {
			switch (cmd[0]) {
			case 0x00:	/* power off */
			case 0x01:	/* power on */
			case 0x02:	/* warm reset */
				vcard_reset(c);
				break;
			case 0x04:	/* get ATR */
				if (send_frame(fd, vcard_atr, vcard_atr_len,
					       frame))
					return;
				break;
			default:
				break;
			}
			continue;
		}
		rlen = frontend_apdu(c, cmd, len, rsp, log, count);
		frontend_wait(&at, len, rlen, 1);	/* --latency */
		if (send_frame(fd, rsp, rlen, frame))
			return;
	}
}

int vpcd_serve(struct vcard *c, const char *host, int port, FILE *log,
	       volatile sig_atomic_t *stop)
{
	struct timespec pause = { 0, 200 * 1000 * 1000 };
	uint8_t *cmd = malloc(65536), *rsp = malloc(VCARD_RSP_MAX);
	uint8_t *frame = malloc(VCARD_RSP_MAX + 2);
	uint64_t count = 0;
	int fd, said = 0;

	if (!cmd || !rsp || !frame) {
		free(cmd);
		free(rsp);
		free(frame);
		return -1;
	}
	while (!*stop) {
		fd = connect_vpcd(host, port);
		if (fd < 0) {
			if (!said++)
				fprintf(stderr, "smchan-vcard: waiting for vpcd at %s:%d\n",
					host, port);
			nanosleep(&pause, NULL);
			continue;
		}
		fprintf(stderr, "smchan-vcard: connected to vpcd at %s:%d\n",
			host, port);
		said = 0;
		serve_connection(c, fd, log, stop, &count, cmd, rsp, frame);
		close(fd);
		vcard_reset(c);		/* the reader went away: power loss */
	}
	/* plaintext commands and responses */
	explicit_bzero(cmd, 65536);
	explicit_bzero(rsp, VCARD_RSP_MAX);
	explicit_bzero(frame, VCARD_RSP_MAX + 2);
	free(cmd);
	free(rsp);
	free(frame);
	return 0;
}
