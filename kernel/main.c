// SPDX-License-Identifier: GPL-2.0
/*
 * smchan: secure messaging to an IC card with a new session key for every
 * command (the scheme of patent JP7206869B2, as PROTOCOL.md fixes it).
 *
 * This file only registers the module; the engine is in sm.c.
 */

#include <linux/module.h>

static int __init smchan_init(void)
{
	return 0;
}

static void __exit smchan_exit(void)
{
}

module_init(smchan_init);
module_exit(smchan_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Secure messaging to IC cards with per-command session keys");
MODULE_AUTHOR("The smchan authors");
