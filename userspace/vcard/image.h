/* SPDX-License-Identifier: GPL-2.0 */
/* Card image files: read whole, written atomically and durably. */
#ifndef SMCHAN_VCARD_IMAGE_H
#define SMCHAN_VCARD_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reads the whole file into a malloc'ed buffer (the caller wipes it before
 * freeing it); returns 0 or -errno: -ELOOP for a symlink, -EPERM for a file
 * others can read or write, -EISDIR (see secret_open()).
 */
int image_read(const char *path, uint8_t **buf, size_t *len);
/*
 * Replaces path with buf: writes path.tmp (mode 0600), fsyncs it, renames
 * it over path and fsyncs the directory, so that a crash leaves either the
 * old or the new content.  path.tmp is created with O_EXCL | O_NOFOLLOW:
 * whatever is there (a leftover, a planted symlink) is unlinked, never
 * written through.  With excl, fails with -EEXIST instead of replacing an
 * existing file.  Returns 0 or -errno; never an error once path holds the
 * new content (a failed directory fsync is only warned about).
 */
int image_write(const char *path, const uint8_t *buf, size_t len, int excl);
/* write(2) of all len bytes, again after EINTR; 0 or -errno. */
int image_write_all(int fd, const void *buf, size_t len);
/* vcard_commit_fn for the card library; ctx is the path. */
int image_commit(void *ctx, const uint8_t *img, size_t len);

#endif
