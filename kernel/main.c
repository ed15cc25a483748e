// SPDX-License-Identifier: GPL-2.0
/*
 * smchan: secure messaging to an IC card with a new session key for every
 * command (the scheme of patent JP7206869B2, as PROTOCOL.md fixes it).
 *
 *	sm.c		the engine: both roles, the four key-update modes
 *	crypto.c	its primitives, over the kernel crypto API
 *	apdu.c		ISO/IEC 7816-3 framing
 *	channel.c	channels, their sessions, the relay to the transport
 *	netlink.c	the "smchan" generic netlink family
 *	dev.c		/dev/smchan
 */

#include <linux/module.h>

#include "channel.h"
#include "dev.h"
#include "netlink.h"

static int __init smchan_init(void)
{
	int ret;

	ret = smchan_genl_init();
	if (ret)
		return ret;
	ret = smchan_dev_init();
	if (ret)
		goto err_genl;
	return 0;

err_genl:
	smchan_genl_exit();
	return ret;
}

static void __exit smchan_exit(void)
{
	/* ORDER: no new files, no netlink requests, then no channels. */
	smchan_dev_exit();
	smchan_genl_exit();
	smchan_channel_del_all();
}

module_init(smchan_init);
module_exit(smchan_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Secure messaging to IC cards with per-command session keys");
MODULE_AUTHOR("The smchan authors");
