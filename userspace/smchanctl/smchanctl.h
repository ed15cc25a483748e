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

int cmd_show(int argc, char **argv);
int cmd_channel(int argc, char **argv);
int cmd_session(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_apdu(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_relay(int argc, char **argv);

/* Opens the netlink socket or says why not; NULL then. */
struct smchan_nl *open_nl(bool events);
/* "smchanctl: Unable to WHAT: strerror" + "kernel reports: extack". */
void nl_failed(struct smchan_nl *h, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Parses a hex string (white space and ':' ignored) into buf. Returns the
 * length, or -1. */
long parse_hex(const char *s, uint8_t *buf, size_t size);

#endif
