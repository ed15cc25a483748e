/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels smchan builds for (Debian's 6.1 and
 * 6.12) lives here. Force-included by Kbuild; the probes that set the
 * SMCHAN_HAVE_* macros are in kernel/Kbuild, so nothing tests
 * LINUX_VERSION_CODE.
 */
#ifndef _SMCHAN_COMPAT_H
#define _SMCHAN_COMPAT_H

/*
 * MODULE_IMPORT_NS() takes a bare token up to 6.12 and a string literal
 * from 6.13 on.
 */
#ifdef SMCHAN_HAVE_NS_STRING
#define SMCHAN_IMPORT_KUNIT_NS() MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING")
#else
#define SMCHAN_IMPORT_KUNIT_NS() MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING)
#endif

/* The unaligned accessors moved from <asm/unaligned.h> in 6.12. */
#ifdef SMCHAN_HAVE_LINUX_UNALIGNED
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/*
 * KUNIT_ASSERT_FAILURE() of 6.1 is KUNIT_FAIL_AND_ABORT() in 6.12. The
 * tests use the old name; <kunit/test.h> defines the new one after this.
 */
#ifdef SMCHAN_HAVE_KUNIT_FAIL_AND_ABORT
#define KUNIT_ASSERT_FAILURE(test, fmt, ...) \
	KUNIT_FAIL_AND_ABORT(test, fmt, ##__VA_ARGS__)
#endif

#endif /* _SMCHAN_COMPAT_H */
