/* SPDX-License-Identifier: GPL-2.0 */
/* kernel/tests/tv.h's tables only, for the vectors.c tests/gen-vectors.py writes. */
#ifndef SMCHAN_FUZZ_TV_H
#define SMCHAN_FUZZ_TV_H
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
struct smchan_tv_field { const char *name, *text; const u8 *bytes; u32 len; };
struct smchan_tv_record {
	const char *file, *section;
	unsigned int line, nfields;
	const struct smchan_tv_field *fields;
};
struct smchan_tv_section {
	const char *file, *section;
	unsigned int nrecords;
	const struct smchan_tv_record *records;
};
extern const struct smchan_tv_section smchan_tv_sections[];
extern const unsigned int smchan_tv_nsections;
#endif
