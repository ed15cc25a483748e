/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reader for the vector files of tests/vectors/ (NIST .rsp style:
 * '# comment', '[section]', records of 'name = value' ended by a blank
 * line).  Every value a test reads is marked; vf_unused() names the fields
 * of a record that no check looked at, so that a test can insist that every
 * byte of the vectors is checked.
 */
#ifndef SMCHAN_TESTS_VECFILE_H
#define SMCHAN_TESTS_VECFILE_H

#include <stddef.h>
#include <stdint.h>

struct vf_field {
	char *name, *value;
	int used;
};

struct vf_record {
	const char *file;
	char *section;
	int line;
	struct vf_field *f;
	size_t nf;
};

struct vf_file {
	char *path;
	struct vf_record *r;
	size_t nr;
	char **sections;	/* shared by the records of each section */
	size_t nsec;
};

int vf_load(const char *path, struct vf_file *vf);
void vf_free(struct vf_file *vf);

/* NULL when absent.  Marks the field used. */
const char *vf_get(struct vf_record *r, const char *name);
int vf_has(const struct vf_record *r, const char *name);
/* Hex value into a malloc'ed buffer (*len bytes); exits on a missing field
 * or bad hex, since a broken vector file is a failed test run. */
uint8_t *vf_hex(struct vf_record *r, const char *name, size_t *len);
/* Hex value that must be exactly len bytes. */
void vf_hexn(struct vf_record *r, const char *name, uint8_t *out, size_t len);
long long vf_int(struct vf_record *r, const char *name);
/* Marks the plain-text fields (desc, case, ...) as read. */
void vf_use_text(struct vf_record *r);
/* The first field no check read, or NULL. */
const char *vf_unused(const struct vf_record *r);

/* Records of a section, in file order. */
size_t vf_section(struct vf_file *vf, const char *section,
		  struct vf_record **out, size_t max);

int hex_decode(const char *s, uint8_t *out, size_t max, size_t *len);
void hex_print(const char *label, const uint8_t *p, size_t len);

#endif
