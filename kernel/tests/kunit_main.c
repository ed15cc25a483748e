// SPDX-License-Identifier: GPL-2.0
/*
 * smchan_kunit.ko: the KUnit suites of smchan, one file per concern
 * (apdu_kunit.c, crypto_kunit.c, ...) over the generated vector tables
 * (vectors.c, read through tv.h). Module information lives here only.
 *
 * ORDER: KUnit runs a module's suites as the module comes up, before
 * module_init() and before module parameters are parsed; this module has
 * neither, and no suite may rely on them.
 */

#include <linux/module.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for smchan");
SMCHAN_IMPORT_KUNIT_NS();
