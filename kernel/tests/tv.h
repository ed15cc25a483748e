/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test vectors (tests/vectors/NAME.txt) as C tables, and the helpers
 * the KUnit suites use to read them.
 *
 * tests/gen-vectors.py turns every record of every section of every vector
 * file into a struct smchan_tv_record at build time (kernel/tests/vectors.c);
 * the files are the reference, so nothing here knows what a field means.
 * A field is either hex (@bytes set, possibly zero bytes) or text (@bytes
 * NULL: the plain-text, decimal and decimal-list fields the file headers
 * name).
 *
 * A parameterised suite runs one case per record of a section:
 *
 *	SMCHAN_TV_PARAMS(kdf, "kdf", "kdf");
 *
 *	static void kdf_test(struct kunit *test)
 *	{
 *		const struct smchan_tv_record *r = tv_param(test);
 *		u32 klen;
 *		const u8 *key = tv_bytes(test, r, "key", &klen);
 *		...
 *		TV_EXPECT_FIELD(test, r, "output", out, olen);
 *		tv_expect_all_used(test, r);
 *	}
 *	...
 *	KUNIT_CASE_PARAM(kdf_test, kdf_gen_params),
 *
 * The tv_*() helpers fail *and abort* the test case, like KUNIT_ASSERT_*(),
 * when a field is missing or has the wrong type, naming file:line and the
 * field; they never return such a value to the caller. Since 6.1 has no
 * kunit_add_action(), a test that holds resources frees them in its suite's
 * .exit, which runs after an abort too. The tv_*() names are only visible
 * inside the test module.
 */
#ifndef _SMCHAN_TESTS_TV_H
#define _SMCHAN_TESTS_TV_H

#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/types.h>

/**
 * struct smchan_tv_field - one 'name = value' line
 * @name: field name
 * @text: the value as written in the file
 * @bytes: the decoded value of a hex field, NULL for a text field
 * @len: number of bytes at @bytes
 */
struct smchan_tv_field {
	const char *name;
	const char *text;
	const u8 *bytes;
	u32 len;
};

/**
 * struct smchan_tv_record - one record: a run of fields ended by a blank line
 * @file: vector file, base name without .txt ("session-xor-aes128")
 * @section: section name without brackets ("pair")
 * @line: line of the record's first field in @file; 0 only for the marker
 *	SMCHAN_TV_PARAMS() yields when its section is missing
 * @nfields: number of fields
 * @fields: the fields in file order
 */
struct smchan_tv_record {
	const char *file;
	const char *section;
	unsigned int line;
	unsigned int nfields;
	const struct smchan_tv_field *fields;
};

/**
 * struct smchan_tv_section - the records of one [section] of one file
 * @file: vector file, base name without .txt
 * @section: section name without brackets
 * @nrecords: number of records, at least 1
 * @records: the records in file order
 */
struct smchan_tv_section {
	const char *file;
	const char *section;
	unsigned int nrecords;
	const struct smchan_tv_record *records;
};

/* Generated: kernel/tests/vectors.c */
extern const struct smchan_tv_section smchan_tv_sections[];
extern const unsigned int smchan_tv_nsections;

const struct smchan_tv_section *smchan_tv_section(const char *file,
						  const char *section);
const struct smchan_tv_field *smchan_tv_find(const struct smchan_tv_record *r,
					     const char *name);
const void *smchan_tv_next_param(const struct smchan_tv_record *missing,
				 const void *prev, char *desc);

/**
 * SMCHAN_TV_PARAMS() - define a KUnit parameter generator over a section
 * @name: prefix: defines name##_gen_params() for KUNIT_CASE_PARAM()
 * @file: vector file, base name without .txt
 * @section: section name without brackets
 *
 * The generator yields the section's records (const struct smchan_tv_record
 * *) in file order, each described as "file:line" followed by its "case" or
 * "desc" field when it has one. If the section does not exist it yields a
 * single marker record, on which tv_param() fails the test: a renamed or
 * lost section cannot pass by running zero cases.
 */
#define SMCHAN_TV_PARAMS(name, file, section)				\
	static const struct smchan_tv_record name##_tv_missing = {	\
		file, section, 0, 0, NULL				\
	};								\
	static const void *name##_gen_params(const void *prev, char *desc) \
	{								\
		return smchan_tv_next_param(&name##_tv_missing, prev, desc); \
	}

const struct smchan_tv_record *tv_param(struct kunit *test);
const struct smchan_tv_section *tv_section(struct kunit *test,
					   const char *file,
					   const char *section);
void tv_track(struct kunit *test, const struct smchan_tv_record *r);
bool tv_has(const struct smchan_tv_record *r, const char *name);
const u8 *tv_bytes(struct kunit *test, const struct smchan_tv_record *r,
		   const char *name, u32 *len);
const u8 *tv_bytes_len(struct kunit *test, const struct smchan_tv_record *r,
		       const char *name, u32 len);
u32 tv_u32(struct kunit *test, const struct smchan_tv_record *r,
	   const char *name);
u64 tv_u64(struct kunit *test, const struct smchan_tv_record *r,
	   const char *name);
u16 tv_sw(struct kunit *test, const struct smchan_tv_record *r,
	  const char *name);
const char *tv_text(struct kunit *test, const struct smchan_tv_record *r,
		    const char *name);
unsigned int tv_u32_list(struct kunit *test, const struct smchan_tv_record *r,
			 const char *name, u32 *vals, unsigned int max);
void tv_expect_all_used(struct kunit *test, const struct smchan_tv_record *r);
void tv_dump_diff(struct kunit *test, const void *got, const void *want,
		  size_t len);

/**
 * TV_EXPECT_MEMEQ_MSG() - expect @len bytes at @got to equal those at @want
 * @test: the test
 * @got: bytes computed by the test
 * @want: expected bytes
 * @len: number of bytes
 * @fmt: printf format of the failure message, then its arguments
 *
 * On a mismatch, fails the test with the message at the caller's line and
 * prints the differing 32-byte chunks of both buffers. 6.1 has no
 * KUNIT_EXPECT_MEMEQ().
 */
#define TV_EXPECT_MEMEQ_MSG(test, got, want, len, fmt, ...) do {	\
	struct kunit *__tv_mtest = (test);				\
	const void *__tv_got = (got);					\
	const void *__tv_want = (want);					\
	size_t __tv_len = (len);					\
									\
	if (memcmp(__tv_got, __tv_want, __tv_len)) {			\
		KUNIT_FAIL(__tv_mtest, fmt, ##__VA_ARGS__);		\
		tv_dump_diff(__tv_mtest, __tv_got, __tv_want, __tv_len); \
	}								\
} while (0)

/**
 * TV_EXPECT_MEMEQ() - expect @len bytes at @got to equal those at @want
 * @test: the test
 * @got: bytes computed by the test
 * @want: expected bytes
 * @len: number of bytes
 */
#define TV_EXPECT_MEMEQ(test, got, want, len)				\
	TV_EXPECT_MEMEQ_MSG(test, got, want, len, "%s differs from %s",	\
			    #got, #want)

/**
 * TV_EXPECT_FIELD() - expect @len bytes at @got to equal a hex field
 * @test: the test
 * @r: the record
 * @name: name of a hex field of @r
 * @got: bytes computed by the test
 * @len: their number, which must be the field's length too
 *
 * Fails and aborts the test like tv_bytes() when the field is missing or not
 * hex; fails it, naming file:line and the field, when the length or a byte
 * differs.
 */
#define TV_EXPECT_FIELD(test, r, name, got, len) do {			\
	struct kunit *__tv_ftest = (test);				\
	const struct smchan_tv_record *__tv_r = (r);			\
	const char *__tv_name = (name);					\
	size_t __tv_glen = (len);					\
	u32 __tv_wlen;							\
	const u8 *__tv_w = tv_bytes(__tv_ftest, __tv_r, __tv_name,	\
				    &__tv_wlen);			\
									\
	KUNIT_EXPECT_EQ_MSG(__tv_ftest, __tv_glen, (size_t)__tv_wlen,	\
			    "%s.txt:%u [%s] %s: length of %s",		\
			    __tv_r->file, __tv_r->line, __tv_r->section, \
			    __tv_name, #got);				\
	if (__tv_glen == __tv_wlen)					\
		TV_EXPECT_MEMEQ_MSG(__tv_ftest, got, __tv_w, __tv_glen, \
				    "%s.txt:%u [%s] %s: %s differs",	\
				    __tv_r->file, __tv_r->line,		\
				    __tv_r->section, __tv_name, #got);	\
} while (0)

#endif /* _SMCHAN_TESTS_TV_H */
