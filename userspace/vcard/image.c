// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "secret.h"

int image_read(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	uint8_t *b;
	size_t got = 0;
	ssize_t n;
	int fd, err;

	/* no symlink: rename() would replace it by a file */
	fd = secret_open(path, 1);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) || st.st_size > 16 << 20) {
		err = errno ? -errno : -EFBIG;
		close(fd);
		return err;
	}
	b = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, b + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n ? -errno : -EIO;
			explicit_bzero(b, got);
			free(b);
			close(fd);
			return err;
		}
		got += (size_t)n;
	}
	close(fd);
	*buf = b;
	*len = got;
	return 0;
}

int image_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, ret = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * The temporary file, created, never opened through a symlink or over a
 * file planted there: O_EXCL.  A name already there (left by a crash, or
 * planted) is unlinked once: unlink() removes a symlink, never its
 * target, and fails in a sticky directory for another user's file.
 */
static int create_tmp(const char *tmp)
{
	int fd, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  0600);
		if (fd >= 0 || errno != EEXIST)
			break;
		if (unlink(tmp) && errno != ENOENT)
			return -EEXIST;
	}
	return fd < 0 ? -errno : fd;
}

int image_write(const char *path, const uint8_t *buf, size_t len, int excl)
{
	char tmp[4096];
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = create_tmp(tmp);
	if (fd < 0)
		return fd;
	ret = image_write_all(fd, buf, len);
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (ret)
		goto err_unlink;
	if (excl) {
		/* link() fails if path exists: create without replacing */
		if (link(tmp, path)) {
			ret = -errno;
			goto err_unlink;
		}
		unlink(tmp);
	} else if (rename(tmp, path)) {
		ret = -errno;
		goto err_unlink;
	}
	/*
	 * ORDER: the image now holds the new content, whatever follows.  A
	 * failed directory fsync only means that a crash may still bring
	 * the old one back: say so, but the write has happened, and
	 * reporting a failure would make the card's memory disagree with
	 * its image.
	 */
	ret = fsync_dir(path);
	if (ret)
		fprintf(stderr, "smchan-vcard: warning: Unable to sync the directory of `%s': %s (the write is made, but a crash may undo it)\n",
			path, strerror(-ret));
	return 0;

err_unlink:
	unlink(tmp);
	return ret;
}

int image_commit(void *ctx, const uint8_t *img, size_t len)
{
	return image_write(ctx, img, len, 0);
}
