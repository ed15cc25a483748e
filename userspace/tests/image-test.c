// SPDX-License-Identifier: GPL-2.0
/*
 * image-test: the card image on disk and in the card's memory
 * (vcard/image.c behind the card library), as smchan-vcard stores it.
 *
 * Linked with -Wl,--wrap=fsync,--wrap=free, so that it can
 *   - make fsync() fail on the directory (after rename(), the write has
 *     happened: the card must answer 90 00 and keep the new content) or
 *     on the temporary file (before rename(): 65 81, old content on disk
 *     and in memory);
 *   - see every buffer the card code and image.c free, and count those
 *     that still hold MKEY.
 * It also plants a symlink at IMAGE.tmp before a write: the file it
 * points to must stay empty (or absent) and the image must stay a
 * regular file.  And it reads key files (vcard/secret.c, which smchanctl
 * uses too): after secret_read_key(), neither the key's hex text nor its
 * bytes may be left anywhere in the heap (a stdio buffer would be).
 *
 * With the path of smchan-vcard.1, it also checks that the CLA ranges the
 * page gives for plain and protected commands are the card's classes.
 *
 *   image-test [SMCHAN_VCARD_1]
 * Prints "RESULT <passed> <failed>".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../card/apdu.h"
#include "../card/fs.h"
#include "../card/vcard.h"
#include "../vcard/image.h"
#include "../vcard/secret.h"

static const uint8_t mkey[16] = {
	0x5a, 0xc3, 0x17, 0x9e, 0x42, 0x08, 0xd1, 0x6b,
	0xe4, 0x73, 0x2f, 0xa0, 0x95, 0x3c, 0xb8, 0x01,
};

static enum { FAIL_NONE, FAIL_DIR, FAIL_FILE } fail_fsync;
static int watch_free;		/* count frees of buffers holding MKEY */
static int mkey_frees;
static int passed, failed;

int __real_fsync(int fd);
int __wrap_fsync(int fd);
void __real_free(void *p);
void __wrap_free(void *p);

int __wrap_fsync(int fd)
{
	struct stat st;

	if (fail_fsync != FAIL_NONE && !fstat(fd, &st) &&
	    (fail_fsync == FAIL_DIR ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode))) {
		errno = EIO;
		return -1;
	}
	return __real_fsync(fd);
}

void __wrap_free(void *p)
{
	if (p && watch_free && memmem(p, malloc_usable_size(p), mkey, sizeof(mkey)))
		mkey_frees++;
	__real_free(p);
}

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (ok)
		passed++;
	else
		failed++;
}

static char dir[] = "/tmp/smchan-image-test.XXXXXX";
static char img_path[256], tmp_path[300], victim[256];

/* EF 0102's first 4 bytes as the image on disk holds them, or -1. */
static long disk_word(void)
{
	const struct vc_file *f;
	struct vc_fs fs;
	uint8_t *img;
	size_t len;
	long v = -1;

	if (image_read(img_path, &img, &len))
		return -1;
	if (!vc_fs_parse(&fs, img, len)) {
		f = vc_fs_lookup(&fs, 0x0102);
		if (f)
			v = (long)((uint32_t)f->data[0] << 24 | f->data[1] << 16 |
				   f->data[2] << 8 | f->data[3]);
		vc_fs_free(&fs);
	}
	explicit_bzero(img, len);
	free(img);
	return v;
}

/* The same in the card's memory. */
static long mem_word(const struct vcard *c)
{
	const struct vc_file *f = vc_fs_lookup(vcard_fs(c), 0x0102);

	return f ? (long)((uint32_t)f->data[0] << 24 | f->data[1] << 16 |
			  f->data[2] << 8 | f->data[3]) : -1;
}

/* SELECT EF 0102, then UPDATE BINARY of its first 4 bytes with v. */
static unsigned int update(struct vcard *c, uint32_t v)
{
	static uint8_t rsp[VCARD_RSP_MAX];
	const uint8_t sel[] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x01, 0x02 };
	uint8_t upd[] = { 0x00, 0xD6, 0x00, 0x00, 0x04,
			  (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			  (uint8_t)(v >> 8), (uint8_t)v };
	size_t n;

	n = vcard_process(c, sel, sizeof(sel), rsp);
	if (n != 2 || rsp[0] != 0x90)
		return 0;
	n = vcard_process(c, upd, sizeof(upd), rsp);
	return n < 2 ? 0 : (unsigned int)(rsp[n - 2] << 8 | rsp[n - 1]);
}

static struct vcard *load(void)
{
	struct vcard *c;
	uint8_t *img;
	size_t len;

	if (image_read(img_path, &img, &len))
		return NULL;
	c = vcard_new(img, len);
	explicit_bzero(img, len);
	free(img);
	if (c)
		vcard_set_commit(c, image_commit, img_path);
	return c;
}

/* image_read()'s result; the image itself is wiped and dropped. */
static int try_read(const char *path)
{
	uint8_t *img;
	size_t len;
	int ret = image_read(path, &img, &len);

	if (!ret) {
		explicit_bzero(img, len);
		free(img);
	}
	return ret;
}

static int is_regular(const char *path)
{
	struct stat st;

	return !lstat(path, &st) && S_ISREG(st.st_mode);
}

static long file_size(const char *path)
{
	struct stat st;

	return lstat(path, &st) ? -1 : (long)st.st_size;
}

/* Whether the heap holds these bytes anywhere (freed memory included). */
static int in_heap(const void *needle, size_t len)
{
	unsigned long a, b;
	char line[512];
	int found = 0;
	FILE *maps = fopen("/proc/self/maps", "re");

	if (!maps)
		return -1;
	while (fgets(line, sizeof(line), maps))
		if (strstr(line, "[heap]") && sscanf(line, "%lx-%lx", &a, &b) == 2 &&
		    memmem((void *)a, b - a, needle, len))
			found = 1;
	fclose(maps);
	return found;
}

static void key_files(void)
{
	/* static: not on the heap; the hex of mkey below */
	static const char hex[] = "  5ac3179e4208d16be4732fa0953cb801\n";
	char path[300];
	uint8_t key[32];
	size_t klen = 0;
	int fd, ret, stdin_copy;

	snprintf(path, sizeof(path), "%s/mkey", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, hex, sizeof(hex) - 1) != sizeof(hex) - 1)
		perror("key file");
	close(fd);
	ret = secret_read_key(path, key, &klen);
	check(!ret && klen == 16 && !memcmp(key, mkey, 16), "key file read (%s)",
	      strerror(-ret));
	explicit_bzero(key, sizeof(key));
	check(in_heap(hex + 12, 20) == 0 && in_heap(mkey + 4, 12) == 0,
	      "no copy of the key left in the heap after reading a key file");

	/* "-": standard input */
	stdin_copy = dup(0);
	fd = open(path, O_RDONLY);
	dup2(fd, 0);
	close(fd);
	ret = secret_read_key("-", key, &klen);
	dup2(stdin_copy, 0);
	close(stdin_copy);
	check(!ret && klen == 16 && !memcmp(key, mkey, 16), "key read from stdin (%s)",
	      strerror(-ret));
	explicit_bzero(key, sizeof(key));
	check(in_heap(hex + 12, 20) == 0 && in_heap(mkey + 4, 12) == 0,
	      "no copy of the key left in the heap after reading stdin");

	chmod(path, 0640);
	ret = secret_read_key(path, key, &klen);
	check(ret == -EPERM, "a key file of mode 0640 is refused (%s)", strerror(-ret));
	chmod(path, 0602);
	ret = secret_read_key(path, key, &klen);
	check(ret == -EPERM, "a key file of mode 0602 is refused (%s)", strerror(-ret));
	unlink(path);
	ret = secret_read_key(dir, key, &klen);
	check(ret == -EISDIR, "a key file that is a directory: %s", strerror(-ret));
}

/*
 * The COMMANDS paragraph of smchan-vcard.1: "Plain commands (... CLA 00
 * to 03, ...) and protected ones (... CLA 0C to 0F, ...)": every "XX to
 * YY" before "protected ones" is plain, after it protected.  Every CLA
 * must be in the ranges of its class and nowhere else.
 */
static void man_classes(const char *man)
{
	char text[1024] = "", line[256], *p, *prot;
	enum vc_class want[256] = { 0 };
	unsigned int lo, hi, c, wrong = 0, first = 0;
	FILE *f = fopen(man, "re");
	int in = 0;

	if (!f) {
		check(0, "Unable to open `%s'", man);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Plain commands (", 16))
			in = 1;
		if (in && line[0] == '.')
			break;
		line[strcspn(line, "\n")] = ' ';	/* one line of text */
		if (in && strlen(text) + strlen(line) < sizeof(text))
			strcat(text, line);
	}
	fclose(f);
	prot = strstr(text, "protected ones");
	for (p = text; prot && (p = strstr(p, " to ")); p += 4) {
		if (sscanf(p - 2, "%2x to %2x", &lo, &hi) != 2 || lo > hi)
			continue;
		for (c = lo; c <= hi; c++)
			want[c] = p < prot ? VC_CLA_PLAIN : VC_CLA_PROTECTED;
	}
	for (c = 0; c < 256; c++)
		if (vc_classify((uint8_t)c) != want[c] && !wrong++)
			first = c;
	check(prot && !wrong, "smchan-vcard.1 gives the card's plain and protected CLAs (%u wrong, the first %02X)",
	      wrong, first);
}

int main(int argc, char **argv)
{
	struct vcard *c;
	uint8_t *img;
	size_t len;
	unsigned int sw;
	int ret;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(img_path, sizeof(img_path), "%s/card.img", dir);
	snprintf(tmp_path, sizeof(tmp_path), "%s.tmp", img_path);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	if (vcard_create_image(mkey, sizeof(mkey), &img, &len))
		return 2;
	ret = image_write(img_path, img, len, 1);
	explicit_bzero(img, len);
	free(img);
	check(!ret, "image created (%s)", strerror(-ret));
	c = load();
	check(c != NULL, "image loads");
	if (!c)
		goto out;

	/* A plain write: disk and memory agree, no buffer keeps MKEY. */
	watch_free = 1;
	sw = update(c, 0x11111111);
	watch_free = 0;
	check(sw == 0x9000, "write answered %04X, want 9000", sw);
	check(disk_word() == 0x11111111 && mem_word(c) == 0x11111111,
	      "after a write, disk %08lX and memory %08lX hold 11111111",
	      disk_word(), mem_word(c));
	check(mkey_frees == 0, "%d freed buffers still held MKEY", mkey_frees);
	check(!is_regular(tmp_path), "no IMAGE.tmp left behind");

	/* fsync of the directory fails after rename(): the write happened. */
	fail_fsync = FAIL_DIR;
	sw = update(c, 0x22222222);
	fail_fsync = FAIL_NONE;
	check(sw == 0x9000, "write whose directory fsync failed after rename answered %04X, want 9000",
	      sw);
	check(disk_word() == mem_word(c),
	      "after a failed directory fsync, disk %08lX and memory %08lX agree",
	      disk_word(), mem_word(c));

	/* fsync of the temporary file fails: nothing happened. */
	fail_fsync = FAIL_FILE;
	sw = update(c, 0x33333333);
	fail_fsync = FAIL_NONE;
	check(sw == 0x6581, "write whose file fsync failed answered %04X, want 6581", sw);
	check(disk_word() == 0x22222222 && mem_word(c) == 0x22222222,
	      "after a failed file fsync, disk %08lX and memory %08lX keep 22222222",
	      disk_word(), mem_word(c));
	check(!is_regular(tmp_path), "no IMAGE.tmp left behind after a failed write");

	/* A symlink planted at IMAGE.tmp, to an empty file of the attacker. */
	close(open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0666));
	if (symlink(victim, tmp_path))
		perror("symlink");
	watch_free = 1;
	sw = update(c, 0x44444444);
	watch_free = 0;
	check(file_size(victim) == 0, "the symlink's target stays empty (%ld bytes)",
	      file_size(victim));
	check(is_regular(img_path), "the image is still a regular file, not a symlink");
	check(disk_word() == mem_word(c) && (sw == 0x9000 ? mem_word(c) == 0x44444444 :
					      mem_word(c) == 0x22222222),
	      "with a planted symlink: answered %04X, disk %08lX, memory %08lX",
	      sw, disk_word(), mem_word(c));
	check(mkey_frees == 0, "%d freed buffers still held MKEY", mkey_frees);

	/* A dangling symlink: its target must not be created. */
	unlink(tmp_path);
	unlink(victim);
	if (symlink(victim, tmp_path))
		perror("symlink");
	sw = update(c, 0x55555555);
	check(file_size(victim) < 0, "a dangling symlink's target is not created");
	check(is_regular(img_path) && disk_word() == mem_word(c),
	      "with a dangling symlink: answered %04X, disk %08lX, memory %08lX",
	      sw, disk_word(), mem_word(c));
	unlink(tmp_path);
	vcard_free(c);

	/* ssh's rule: an image others can read or write is refused. */
	chmod(img_path, 0644);
	ret = try_read(img_path);
	check(ret == -EPERM, "an image of mode 0644 is refused (%s)", strerror(-ret));
	chmod(img_path, 0620);
	ret = try_read(img_path);
	check(ret == -EPERM, "an image of mode 0620 is refused (%s)", strerror(-ret));
	chmod(img_path, 0600);
	check(disk_word() == 0x55555555 || disk_word() == 0x44444444,
	      "an image of mode 0600 is read");
	/* an image that is a symlink is refused: rename() would replace it */
	if (symlink(img_path, victim))
		perror("symlink");
	ret = try_read(victim);
	check(ret == -ELOOP, "an image that is a symlink is refused (%s)", strerror(-ret));
	key_files();
	if (argc > 1)
		man_classes(argv[1]);
out:
	if (!failed) {
		unlink(victim);
		unlink(tmp_path);
		unlink(img_path);
		rmdir(dir);
	} else {
		printf("files kept in %s\n", dir);
	}
	printf("RESULT %d %d\n", passed, failed);
	return failed ? 1 : 0;
}
