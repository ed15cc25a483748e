// SPDX-License-Identifier: GPL-2.0
/*
 * Files that hold MKEY and the processes that read them.
 *
 * Threat model: another local user (or a process of the same user that
 * should not see the key) reading a key or a card image, or reading a
 * copy of the key that outlived its use: a core dump, /proc/PID/mem, a
 * stdio buffer freed without wiping.  So the process is made
 * non-dumpable before it reads a key, files readable or writable by
 * others are refused with a clear message (ssh's rule for a private
 * key), and keys are read with read(2) into a buffer wiped on return.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

int secret_process(void)
{
	struct rlimit none = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return -errno;
	if (setrlimit(RLIMIT_CORE, &none))
		return -errno;
	return 0;
}

int secret_open(const char *path, int nofollow)
{
	struct stat st;
	int fd, err;

	if (!strcmp(path, "-"))
		return STDIN_FILENO;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto err_close;
	}
	err = -EISDIR;
	if (S_ISDIR(st.st_mode))
		goto err_close;
	err = -EPERM;
	if ((S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode)) && (st.st_mode & 077))
		goto err_close;
	return fd;

err_close:
	close(fd);
	return err;
}

static int parse_key(const char *text, size_t n, uint8_t key[32], size_t *len)
{
	static const char digits[] = "0123456789abcdef";
	size_t a = 0, b = n, i;

	while (a < b && isspace((unsigned char)text[a]))
		a++;
	while (b > a && isspace((unsigned char)text[b - 1]))
		b--;
	if (b - a != 32 && b - a != 64)
		return -EINVAL;
	for (i = 0; a + i < b; i++) {
		if (!isxdigit((unsigned char)text[a + i]))
			return -EINVAL;
		key[i / 2] = (uint8_t)(key[i / 2] << 4 |
			     (strchr(digits, tolower((unsigned char)text[a + i])) - digits));
	}
	*len = (b - a) / 2;
	return 0;
}

int secret_read_key(const char *path, uint8_t key[32], size_t *len)
{
	char buf[256];	/* a key file is 32 or 64 digits and some space */
	size_t n = 0;
	ssize_t r;
	int fd, err = 0;

	fd = secret_open(path, 0);
	if (fd < 0)
		return fd;
	for (;;) {
		r = read(fd, buf + n, sizeof(buf) - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == sizeof(buf)) {
			err = -EINVAL;	/* far too long for a key file */
			break;
		}
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (!err)
		err = parse_key(buf, n, key, len);
	explicit_bzero(buf, sizeof(buf));
	if (err)
		explicit_bzero(key, 32);
	return err;
}

void secret_failed(const char *prog, const char *what, const char *path,
		   int err)
{
	struct stat st;

	switch (-err) {
	case EISDIR:
		fprintf(stderr, "%s: `%s' is a directory, not a %s\n", prog, path, what);
		break;
	case EPERM:
		if (stat(path, &st))
			st.st_mode = 0;
		fprintf(stderr, "%s: The %s `%s' can be read or written by others (mode %04o): refused; chmod 600 it\n",
			prog, what, path, st.st_mode & 07777);
		break;
	case ELOOP:
		fprintf(stderr, "%s: The %s `%s' is a symbolic link: give the file itself\n",
			prog, what, path);
		break;
	case EINVAL:
		fprintf(stderr, "%s: Invalid %s `%s': it must hold 32 or 64 hex digits and nothing else\n",
			prog, what, path);
		break;
	default:
		fprintf(stderr, "%s: Unable to read the %s `%s': %s\n", prog, what,
			path, strerror(-err));
	}
}
