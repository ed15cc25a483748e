/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A TEST FACILITY: the key log of smchan-vcard (SMCHAN_VCARD_KEYLOG=FILE),
 * in the spirit of SSLKEYLOGFILE.  With it the card writes every key it
 * holds or derives to FILE, so that a test can search everything else
 * (the kernel's log, netlink, /proc, core files, logs, smchanctl's
 * output) for the real key bytes (tests/hygiene/).  The session keys are
 * known only to the card and the kernel; the kernel has no way to export
 * them, and this is the card's side of the same keys.
 *
 * Never on a card that protects anything: the file holds MKEY.  FILE
 * must not exist: it is created with O_EXCL, mode 0600, and refused (and
 * removed) unless it is then a regular file of the caller's with mode
 * 0600 exactly (a umask that takes the owner's bits away, for instance).
 *
 * One line per key, lowercase hex, the label first:
 *
 *   MKEY - HEX           ENC-MKEY - HEX           MAC-MKEY - HEX
 *   KB S.I HEX           key I of session S's key block (K_0 K_1, or G[I])
 *   K S.N HEX            K_N of session S
 *   ENC-KB, MAC-KB, ENC-K, MAC-K S.X HEX   the subkeys of each of them
 *
 * S counts the sessions the card accepted since it started (1, 2, ...).
 * Lines start with '#' for comments.
 */
#ifndef SMCHAN_VCARD_KEYLOG_H
#define SMCHAN_VCARD_KEYLOG_H

#include <stddef.h>
#include <stdint.h>

struct vcard;

#define KEYLOG_ENV "SMCHAN_VCARD_KEYLOG"

struct keylog {
	int fd;
	uint64_t session;	/* S of the current session, 0 before one */
	uint64_t upto;		/* the highest N of session S logged */
};

/*
 * Creates the key log at path (see above) and writes MKEY's lines.
 * Returns 0, or -errno: -EEXIST if path exists (a symbolic link
 * included), -EPERM if the new file is not 0600 or not the caller's,
 * -EINVAL for an empty path or a card without MKEY; the file is then
 * removed if it was created.
 */
int keylog_open(struct keylog *kl, const char *path, const struct vcard *c);

/*
 * After each vcard_process(c, cmd, len) that answered rsp (rlen bytes):
 * the keys of a session INITIALIZE SESSION just started, and every key
 * of the session not logged yet.  Returns 0, or -errno if a write failed.
 */
int keylog_apdu(struct keylog *kl, const struct vcard *c, const uint8_t *cmd,
		size_t len, const uint8_t *rsp, size_t rlen);

void keylog_close(struct keylog *kl);

#endif
