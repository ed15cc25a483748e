// SPDX-License-Identifier: GPL-2.0
/*
 * smchanctl apdu NAME HEX...: plain APDUs through /dev/smchan, as an
 * application sends them, for scripts and tests.  Each response is printed
 * on its own line as hex: the data, a space, then SW1 SW2.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "smchanctl.h"

#define APDU_MAX (4 + 3 + 65535 + 2)
#define RSP_MAX (65536 + 2)

/* What the errnos of /dev/smchan and of session start mean
 * (Documentation/userspace-api.rst has the full list). */
const char *errno_hint(int err)
{
	switch (err) {
	case EPIPE: return "no transport relays the channel: is `smchanctl relay' running?";
	case ENOTCONN: return "no session, and auto-establish is off: smchanctl session start";
	case ENOKEY: return "the channel has no master key, or its logon key is not in the keyrings";
	case EKEYREJECTED: return "the card refused the session: do the channel and the card share the master key and suite?";
	case EBADMSG: return "the response failed verification or the card refused the command; the session has ended and the command's outcome is unknown";
	case ETIMEDOUT: return "the card did not answer within the channel's timeout";
	/* the relay's answer when there is no card; the kernel's when the
	 * relay reported it removed during the command */
	case ENOMEDIUM: return "no card in the reader; the session has ended";
	case ENXIO: return "the card was removed during the command; the session has ended";
	case ENODEV: return "the channel was deleted, or its reader is gone";
	case ECONNRESET: return "the card was reset; the session has ended";
	case EMSGSIZE: return "the command is too large";
	case EINVAL: return "not a valid plain APDU (CLA must be a plain class)";
	case ENOENT: return "no such channel";
	default: return NULL;
	}
}

static void failed(const char *what, const char *arg, const char *name, int err)
{
	const char *h = errno_hint(err);

	fprintf(stderr, "%s: Unable to %s `%s' on channel `%s': %s (%s)%s%s\n",
		prog, what, arg, name, strerror(err), smchan_errname(-err),
		h ? ": " : "", h ? h : "");
}

int cmd_apdu(int argc, char **argv)
{
	const char *dev = getenv("SMCHAN_DEVICE");
	bool help = wants_help(argc, argv);
	struct smchan_attach at;
	uint8_t *cmd, *rsp;
	int fd, i, rc = 1;
	ssize_t n;
	long len;

	if (argc < 3 || help) {
		fprintf(help ? stdout : stderr,
			"Usage: smchanctl apdu NAME HEX [HEX...]\n"
			"Sends each plain APDU through /dev/smchan and prints each answer\n"
			"as hex: data, a space, SW1 SW2.\n");
		return help ? 0 : EXIT_USAGE;
	}
	if (!dev)
		dev = "/dev/smchan";
	if (!*argv[1] || strlen(argv[1]) >= sizeof(at.name)) {
		fprintf(stderr, "%s: Invalid channel name: `%s'\n", prog, argv[1]);
		return EXIT_USAGE;
	}
	cmd = malloc(APDU_MAX);
	rsp = malloc(RSP_MAX);
	if (!cmd || !rsp) {
		perror("smchanctl: malloc");
		goto out_free;
	}
	/* every APDU checked before the first is sent */
	for (i = 2; i < argc; i++) {
		if (parse_hex(argv[i], cmd, APDU_MAX) < 4) {
			fprintf(stderr, "%s: Invalid APDU: `%s' (hex, at least CLA INS P1 P2)\n",
				prog, argv[i]);
			rc = EXIT_USAGE;
			goto out_free;
		}
	}
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: Unable to open `%s': %s%s\n", prog, dev,
			strerror(errno), errno == ENOENT ? " (is the smchan module loaded?)" : "");
		goto out_free;
	}
	memset(&at, 0, sizeof(at));
	strcpy(at.name, argv[1]);
	if (ioctl(fd, SMCHAN_IOC_ATTACH, &at)) {
		failed("attach to", dev, argv[1], errno);
		goto out_close;
	}
	for (i = 2; i < argc; i++) {
		len = parse_hex(argv[i], cmd, APDU_MAX);
		if (write(fd, cmd, (size_t)len) != len) {
			failed("send", argv[i], argv[1], errno);
			goto out_close;
		}
		n = read(fd, rsp, RSP_MAX);
		if (n < 0) {
			failed("run", argv[i], argv[1], errno);
			goto out_close;
		}
		if (n < 2) {
			fprintf(stderr, "%s: short answer (%zd bytes) to `%s'\n", prog, n, argv[i]);
			goto out_close;
		}
		for (len = 0; len < n - 2; len++)
			printf("%02X", rsp[len]);
		printf("%s%02X%02X\n", n > 2 ? " " : "", rsp[n - 2], rsp[n - 1]);
		fflush(stdout);
		smchan_wipe(rsp, (size_t)n);
	}
	rc = 0;
out_close:
	close(fd);
out_free:
	if (cmd)
		smchan_wipe(cmd, APDU_MAX);
	free(cmd);
	free(rsp);
	return rc;
}
