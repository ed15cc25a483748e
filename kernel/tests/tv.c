// SPDX-License-Identifier: GPL-2.0
/*
 * Lookups over the generated vector tables (vectors.c) and the helpers the
 * KUnit suites read them with: see tv.h.
 *
 * Every tv_*() helper that takes a struct kunit fails and aborts the test
 * case on a missing or mistyped field (KUNIT_ASSERT_FAILURE() ends the test's
 * thread from any depth), so suites never check their results. The return
 * after each failure only keeps the compiler content: it is never reached.
 *
 * Fields read through these helpers are marked as used in a per-test
 * resource when the record is tracked (tv_param() tracks its record, and
 * tv_track() any other), so that tv_expect_all_used() can tell a test that
 * silently ignores a field.
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "tv.h"

/* Bytes per line of a mismatch dump, and dumped chunks per mismatch. */
#define TV_DUMP_CHUNK		32
#define TV_DUMP_MAX_CHUNKS	8

/**
 * smchan_tv_section() - find a section of a vector file
 * @file: base name without .txt
 * @section: section name without brackets
 *
 * Return: the section, or NULL if there is none.
 */
const struct smchan_tv_section *smchan_tv_section(const char *file,
						  const char *section)
{
	unsigned int i;

	for (i = 0; i < smchan_tv_nsections; i++) {
		const struct smchan_tv_section *s = &smchan_tv_sections[i];

		if (!strcmp(s->file, file) && !strcmp(s->section, section))
			return s;
	}
	return NULL;
}

/**
 * smchan_tv_find() - find a field of a record by name
 * @r: the record
 * @name: field name
 *
 * Return: the field, or NULL if @r has none of that name.
 */
const struct smchan_tv_field *smchan_tv_find(const struct smchan_tv_record *r,
					     const char *name)
{
	unsigned int i;

	for (i = 0; i < r->nfields; i++)
		if (!strcmp(r->fields[i].name, name))
			return &r->fields[i];
	return NULL;
}

static void param_desc(const struct smchan_tv_record *r, char *desc)
{
	const struct smchan_tv_field *f = smchan_tv_find(r, "case");
	char *p;

	if (!f)
		f = smchan_tv_find(r, "desc");
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s:%u%s%s", r->file, r->line,
		 f ? " " : "", f ? f->text : "");
	/* '#' would start a KTAP directive. */
	for (p = desc; *p; p++)
		if (*p == '#')
			*p = '_';
}

/**
 * smchan_tv_next_param() - the generator behind SMCHAN_TV_PARAMS()
 * @missing: marker naming the file and section, with @line 0
 * @prev: previous record, or NULL for the first
 * @desc: KUNIT_PARAM_DESC_SIZE bytes for the case's description
 *
 * Return: the next record of the section; @missing if the section does not
 * exist (a single case that tv_param() fails); NULL after the last record.
 */
const void *smchan_tv_next_param(const struct smchan_tv_record *missing,
				 const void *prev, char *desc)
{
	const struct smchan_tv_record *r = prev;
	const struct smchan_tv_section *s;

	if (r == missing)
		return NULL;
	s = smchan_tv_section(missing->file, missing->section);
	if (!s || !s->nrecords) {
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s.txt [%s] missing",
			 missing->file, missing->section);
		return missing;
	}
	if (!r)
		r = s->records;
	else if (r + 1 < s->records + s->nrecords)
		r++;
	else
		return NULL;
	param_desc(r, desc);
	return r;
}

/* Per-test record of which fields of one record the test has read. */
struct tv_use {
	const struct smchan_tv_record *r;
	unsigned long used[];
};

static int tv_use_init(struct kunit_resource *res, void *context)
{
	const struct smchan_tv_record *r = context;
	struct tv_use *u;

	u = kzalloc(struct_size(u, used, BITS_TO_LONGS(r->nfields)),
		    GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	u->r = r;
	res->data = u;
	return 0;
}

static void tv_use_free(struct kunit_resource *res)
{
	kfree(res->data);
}

static bool tv_use_match(struct kunit *test, struct kunit_resource *res,
			 void *match_data)
{
	return res->free == tv_use_free &&
	       ((struct tv_use *)res->data)->r == match_data;
}

static void mark_used(struct kunit *test, const struct smchan_tv_record *r,
		      const struct smchan_tv_field *f)
{
	struct kunit_resource *res;

	res = kunit_find_resource(test, tv_use_match, (void *)r);
	if (!res)
		return;
	set_bit(f - r->fields, ((struct tv_use *)res->data)->used);
	kunit_put_resource(res);
}

/**
 * tv_track() - start recording which fields of @r the test reads
 * @test: the test
 * @r: a record; tracking it twice is harmless
 *
 * tv_param() does this for the test's own record; call it for any other
 * record a test checks with tv_expect_all_used(). Aborts the test if the
 * tracking state cannot be allocated.
 */
void tv_track(struct kunit *test, const struct smchan_tv_record *r)
{
	struct kunit_resource *res;

	res = kunit_find_resource(test, tv_use_match, (void *)r);
	if (res) {
		kunit_put_resource(res);
		return;
	}
	if (!kunit_alloc_resource(test, tv_use_init, tv_use_free, GFP_KERNEL,
				  (void *)r))
		KUNIT_ASSERT_FAILURE(test, "%s.txt:%u: cannot track fields",
				     r->file, r->line);
}

/**
 * tv_param() - the record of a case generated by SMCHAN_TV_PARAMS()
 * @test: the test
 *
 * Fails and aborts the test when its section was missing from the vectors.
 * Starts tracking the record's fields (tv_track()).
 *
 * Return: the record.
 */
const struct smchan_tv_record *tv_param(struct kunit *test)
{
	const struct smchan_tv_record *r = test->param_value;

	if (!r) {
		KUNIT_ASSERT_FAILURE(test, "not a vector-parameterised case");
		return NULL;
	}
	if (!r->line) {
		KUNIT_ASSERT_FAILURE(test,
				     "%s.txt [%s]: no such section in the vectors",
				     r->file, r->section);
		return NULL;
	}
	tv_track(test, r);
	return r;
}

/**
 * tv_section() - find a section, failing the test if it is missing
 * @test: the test
 * @file: base name without .txt
 * @section: section name without brackets
 *
 * Return: the section, which has at least one record.
 */
const struct smchan_tv_section *tv_section(struct kunit *test,
					   const char *file,
					   const char *section)
{
	const struct smchan_tv_section *s = smchan_tv_section(file, section);

	if (!s || !s->nrecords) {
		KUNIT_ASSERT_FAILURE(test,
				     "%s.txt [%s]: no such section in the vectors",
				     file, section);
		return NULL;
	}
	return s;
}

/**
 * tv_has() - whether a record has a field
 * @r: the record
 * @name: field name
 *
 * Does not mark the field as used.
 *
 * Return: true if @r has a field @name.
 */
bool tv_has(const struct smchan_tv_record *r, const char *name)
{
	return smchan_tv_find(r, name);
}

/* The field, marked as used; aborts the test if it is missing. */
static const struct smchan_tv_field *need(struct kunit *test,
					  const struct smchan_tv_record *r,
					  const char *name)
{
	const struct smchan_tv_field *f = smchan_tv_find(r, name);

	if (!f) {
		KUNIT_ASSERT_FAILURE(test, "%s.txt:%u [%s]: no field '%s'",
				     r->file, r->line, r->section, name);
		return NULL;
	}
	mark_used(test, r, f);
	return f;
}

/**
 * tv_bytes() - the bytes of a hex field
 * @test: the test
 * @r: the record
 * @name: field name
 * @len: set to the number of bytes
 *
 * Fails and aborts the test if the field is missing or is a text field.
 *
 * Return: the bytes (not NULL, even for zero bytes).
 */
const u8 *tv_bytes(struct kunit *test, const struct smchan_tv_record *r,
		   const char *name, u32 *len)
{
	const struct smchan_tv_field *f = need(test, r, name);

	if (!f)
		return NULL;
	if (!f->bytes) {
		KUNIT_ASSERT_FAILURE(test,
				     "%s.txt:%u [%s]: field '%s' is not hex: '%s'",
				     r->file, r->line, r->section, name,
				     f->text);
		return NULL;
	}
	*len = f->len;
	return f->bytes;
}

/**
 * tv_bytes_len() - the bytes of a hex field of a known length
 * @test: the test
 * @r: the record
 * @name: field name
 * @len: the length the field must have
 *
 * Fails and aborts the test if the field is missing, is a text field, or
 * does not have @len bytes.
 *
 * Return: the @len bytes.
 */
const u8 *tv_bytes_len(struct kunit *test, const struct smchan_tv_record *r,
		       const char *name, u32 len)
{
	const u8 *b;
	u32 n;

	b = tv_bytes(test, r, name, &n);
	if (n != len) {
		KUNIT_ASSERT_FAILURE(test,
				     "%s.txt:%u [%s]: field '%s' has %u bytes, not %u",
				     r->file, r->line, r->section, name, n, len);
		return NULL;
	}
	return b;
}

/**
 * tv_u64() - the value of a decimal field
 * @test: the test
 * @r: the record
 * @name: field name
 *
 * Fails and aborts the test if the field is missing, is hex, or is not a
 * decimal number that fits 64 bits.
 *
 * Return: the value.
 */
u64 tv_u64(struct kunit *test, const struct smchan_tv_record *r,
	   const char *name)
{
	const struct smchan_tv_field *f = need(test, r, name);
	u64 v;

	if (!f)
		return 0;
	if (f->bytes || kstrtou64(f->text, 10, &v)) {
		KUNIT_ASSERT_FAILURE(test,
				     "%s.txt:%u [%s]: field '%s' is not decimal: '%s'",
				     r->file, r->line, r->section, name,
				     f->text);
		return 0;
	}
	return v;
}

/**
 * tv_u32() - the value of a decimal field that fits 32 bits
 * @test: the test
 * @r: the record
 * @name: field name
 *
 * Fails and aborts the test as tv_u64() does, and if the value exceeds
 * U32_MAX.
 *
 * Return: the value.
 */
u32 tv_u32(struct kunit *test, const struct smchan_tv_record *r,
	   const char *name)
{
	u64 v = tv_u64(test, r, name);

	if (v > U32_MAX) {
		KUNIT_ASSERT_FAILURE(test,
				     "%s.txt:%u [%s]: field '%s' exceeds 32 bits: %llu",
				     r->file, r->line, r->section, name, v);
		return 0;
	}
	return v;
}

/**
 * tv_sw() - a status word: a hex field of exactly 2 bytes
 * @test: the test
 * @r: the record
 * @name: field name
 *
 * Fails and aborts the test if the field is missing, not hex, or not 2
 * bytes.
 *
 * Return: SW1 SW2 as one big-endian number.
 */
u16 tv_sw(struct kunit *test, const struct smchan_tv_record *r,
	  const char *name)
{
	const u8 *b = tv_bytes_len(test, r, name, 2);

	return b ? get_unaligned_be16(b) : 0;
}

/**
 * tv_text() - the value of a text field
 * @test: the test
 * @r: the record
 * @name: field name
 *
 * Fails and aborts the test if the field is missing or is hex.
 *
 * Return: the text, possibly empty.
 */
const char *tv_text(struct kunit *test, const struct smchan_tv_record *r,
		    const char *name)
{
	const struct smchan_tv_field *f = need(test, r, name);

	if (!f)
		return NULL;
	if (f->bytes) {
		KUNIT_ASSERT_FAILURE(test,
				     "%s.txt:%u [%s]: field '%s' is hex, not text",
				     r->file, r->line, r->section, name);
		return NULL;
	}
	return f->text;
}

/**
 * tv_u32_list() - the values of a space-separated decimal list field
 * @test: the test
 * @r: the record
 * @name: field name
 * @vals: receives the values
 * @max: room in @vals
 *
 * Fails and aborts the test if the field is missing, is hex, holds anything
 * but decimal numbers of 32 bits separated by single spaces, or holds more
 * than @max of them.
 *
 * Return: the number of values, 0 for an empty list.
 */
unsigned int tv_u32_list(struct kunit *test, const struct smchan_tv_record *r,
			 const char *name, u32 *vals, unsigned int max)
{
	const char *p = tv_text(test, r, name);
	unsigned int n = 0;
	char num[12];

	while (p && *p) {
		size_t len = strcspn(p, " ");

		if (n == max || !len || len >= sizeof(num))
			goto bad;
		memcpy(num, p, len);
		num[len] = '\0';
		if (kstrtou32(num, 10, &vals[n++]))
			goto bad;
		p += len;
		if (*p == ' ' && !*++p)
			goto bad;
	}
	return n;

bad:
	KUNIT_ASSERT_FAILURE(test,
			     "%s.txt:%u [%s]: field '%s' is not a list of at most %u decimals: '%s'",
			     r->file, r->line, r->section, name, max,
			     tv_text(test, r, name));
	return 0;
}

/**
 * tv_expect_all_used() - expect the test to have read every field of @r
 * @test: the test
 * @r: a record tracked since before its fields were read (tv_param() or
 *	tv_track())
 *
 * Fails the test, listing them, if some fields of @r were never read through
 * the tv_*() helpers or TV_EXPECT_FIELD(): a vector field that no assertion
 * looks at tests nothing.
 */
void tv_expect_all_used(struct kunit *test, const struct smchan_tv_record *r)
{
	struct kunit_resource *res;
	const unsigned long *used;
	char names[160] = "";
	unsigned int i, missed = 0;

	res = kunit_find_resource(test, tv_use_match, (void *)r);
	if (!res) {
		KUNIT_FAIL(test, "%s.txt:%u [%s]: record not tracked",
			   r->file, r->line, r->section);
		return;
	}
	used = ((struct tv_use *)res->data)->used;
	for (i = 0; i < r->nfields; i++) {
		if (test_bit(i, used))
			continue;
		missed++;
		if (strlen(names) + strlen(r->fields[i].name) + 2 < sizeof(names)) {
			strcat(names, " ");
			strcat(names, r->fields[i].name);
		}
	}
	kunit_put_resource(res);
	if (missed)
		KUNIT_FAIL(test, "%s.txt:%u [%s]: %u field(s) not checked:%s",
			   r->file, r->line, r->section, missed, names);
}

/**
 * tv_dump_diff() - print where two buffers differ
 * @test: the test
 * @got: bytes computed by the test
 * @want: expected bytes
 * @len: their length
 *
 * Prints the first differing offset, then both buffers' 32-byte chunks that
 * differ (at most 8 of them) as hex, as test diagnostics.
 */
void tv_dump_diff(struct kunit *test, const void *got, const void *want,
		  size_t len)
{
	const u8 *g = got, *w = want;
	unsigned int shown = 0;
	size_t off, n;

	for (off = 0; off < len && g[off] == w[off]; off++)
		;
	kunit_err(test, "%zu bytes, first difference at offset %zu\n", len,
		  off);
	for (off -= off % TV_DUMP_CHUNK; off < len; off += TV_DUMP_CHUNK) {
		n = min_t(size_t, TV_DUMP_CHUNK, len - off);
		if (!memcmp(g + off, w + off, n))
			continue;
		if (shown++ == TV_DUMP_MAX_CHUNKS) {
			kunit_err(test, "...\n");
			break;
		}
		kunit_err(test, "got  @%04zx: %*phN\n", off, (int)n, g + off);
		kunit_err(test, "want @%04zx: %*phN\n", off, (int)n, w + off);
	}
}
