// SPDX-License-Identifier: GPL-2.0
/*
 * smchanctl: the command-line tool of smchan, in the style of wg(8).
 *
 *   smchanctl [show]             every channel
 *   smchanctl channel|session|key|apdu|monitor|relay ...
 *   smchanctl --help | --version
 *
 * A static table of subcommands, matched exactly (no prefixes).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../vcard/secret.h"
#include "smchanctl.h"

const char *prog = "smchanctl";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *description;
} subcommands[] = {
	{ "show", cmd_show, "Shows every channel, or one" },
	{ "channel", cmd_channel, "Adds, changes, deletes and shows channels" },
	{ "session", cmd_session, "Starts or stops a channel's session" },
	{ "key", cmd_key, "Stores a master key in the kernel keyring" },
	{ "apdu", cmd_apdu, "Sends APDUs through /dev/smchan" },
	{ "monitor", cmd_monitor, "Prints smchan events as they arrive" },
	{ "relay", cmd_relay, "Relays channels to their PC/SC readers" },
	{ "bench", cmd_bench, "Times commands through /dev/smchan against plain PC/SC" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s <cmd> [<args>]\n\n"
		"Available subcommands:\n", prog);
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-9s %s\n", subcommands[i].name,
			subcommands[i].description);
	fprintf(f, "\nWithout a subcommand, shows every channel. Each subcommand takes\n"
		"--help. Usage errors exit 2. See smchanctl(8).\n");
}

struct smchan_nl *open_nl(bool events)
{
	struct smchan_nl *h = events ? smchan_events_open() : smchan_nl_open();

	if (!h) {
		if (errno == ENOENT)
			fprintf(stderr, "%s: Unable to find the smchan netlink family: is the smchan module loaded?\n",
				prog);
		else
			fprintf(stderr, "%s: Unable to open a netlink socket: %s\n",
				prog, strerror(errno));
	}
	return h;
}

void nl_failed(struct smchan_nl *h, int err, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: Unable to ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", smchan_strerror(err));
	if (h && smchan_nl_last_error(h)[0])
		fprintf(stderr, "kernel reports: %s\n", smchan_nl_last_error(h));
	if (err == -EPERM)
		fprintf(stderr, "(this needs CAP_NET_ADMIN: run it as root)\n");
}

bool wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

int read_key(const char *path, uint8_t key[32], size_t *len)
{
	int err;

	/* ORDER: no core dump, ptrace or /proc/PID/mem before the key is in */
	err = secret_process();
	if (err) {
		fprintf(stderr, "%s: Unable to make the process non-dumpable: %s\n",
			prog, strerror(-err));
		return err;
	}
	err = secret_read_key(path, key, len);
	if (err)
		secret_failed(prog, "key file", path, err);
	return err;
}

long parse_hex(const char *s, uint8_t *buf, size_t size)
{
	size_t n = 0;
	int hi = -1, v;

	for (; *s; s++) {
		if (*s == ' ' || *s == ':' || *s == '\t' || *s == '\n')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == size)
			return -1;
		buf[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (long)n : -1;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
			  !strcmp(argv[1], "help"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v"))) {
		printf("smchanctl %s (smchan netlink family version %d)\n",
		       SMCHANCTL_VERSION, SMCHAN_FAMILY_VERSION);
		return 0;
	}
	if (argc == 1)
		return cmd_show(argc, argv);
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "%s: Invalid subcommand: `%s'\n", prog, argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
