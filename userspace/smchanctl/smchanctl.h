/* SPDX-License-Identifier: GPL-2.0 */
/*
 * smchanctl: configures smchan channels and relays their APDUs to PC/SC
 * readers.  One file per concern: smchanctl.c (the subcommand table),
 * channel.c (channels, sessions, keys), apdu.c (/dev/smchan), monitor.c
 * (events), relay.c (the PC/SC transport).
 */
#ifndef SMCHANCTL_H
#define SMCHANCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/smchan.h"

#define SMCHANCTL_VERSION "1.0"

extern const char *prog;

/* Exit status of a usage error (GNU and ip(8)); --help exits 0. */
#define EXIT_USAGE 2

/* Whether the arguments ask for help: --help or -h anywhere. */
bool wants_help(int argc, char **argv);
/* What an errno of the kernel or of /dev/smchan means for the user
 * (apdu.c), or NULL. */
const char *errno_hint(int err);
/* Makes the process non-dumpable, then reads a key file (or "-") with
 * read(2); says why not on stderr.  Returns 0 or -errno. */
int read_key(const char *path, uint8_t key[32], size_t *len);

int cmd_show(int argc, char **argv);
int cmd_channel(int argc, char **argv);
int cmd_session(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_apdu(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_relay(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* Opens the netlink socket or says why not; NULL then. */
struct smchan_nl *open_nl(bool events);
/* "smchanctl: Unable to WHAT: strerror" + "kernel reports: extack". */
void nl_failed(struct smchan_nl *h, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Parses a hex string (white space and ':' ignored) into buf. Returns the
 * length, or -1. */
long parse_hex(const char *s, uint8_t *buf, size_t size);

#endif
