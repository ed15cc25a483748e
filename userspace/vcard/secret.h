/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files that hold MKEY (key files, card images) and the processes that
 * read them; shared by smchan-vcard and smchanctl.
 *
 * Call order in a program that holds MKEY:
 *   secret_process()   first, before any key is read: no core dump, no
 *                      ptrace by the same user, no /proc/PID/mem;
 *   secret_open()      or secret_read_key(), which refuse a file that
 *                      others can read or write, as ssh refuses a
 *                      private key;
 *   secret_failed()    says why one of them failed.
 */
#ifndef SMCHAN_VCARD_SECRET_H
#define SMCHAN_VCARD_SECRET_H

#include <stddef.h>
#include <stdint.h>

/* prctl(PR_SET_DUMPABLE, 0) and RLIMIT_CORE 0.  Returns 0 or -errno. */
int secret_process(void);

/*
 * Opens path read-only; "-" is standard input (not checked: the caller
 * chose it).  Refuses a directory (-EISDIR), a regular file or FIFO with
 * any permission bit for group or others (-EPERM), and with nofollow a
 * symbolic link (-ELOOP).  Returns the fd or -errno.
 */
int secret_open(const char *path, int nofollow);

/*
 * Reads a master key file: 32 or 64 hex digits (AES-128 or AES-256),
 * white space around them ignored, nothing else; "-" reads standard
 * input.  read(2) into a stack buffer that is wiped, no stdio.  Returns
 * 0 with key[0..*len), -EINVAL for a malformed file, or secret_open()'s
 * and read(2)'s -errno; key is wiped on failure.
 */
int secret_read_key(const char *path, uint8_t key[32], size_t *len);

/* "PROG: `PATH' is a directory, not a key file" and so on, for what
 * (e.g. "key file", "card image") and an error of the functions above. */
void secret_failed(const char *prog, const char *what, const char *path,
		   int err);

#endif
