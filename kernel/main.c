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
#include <linux/notifier.h>
#include <linux/random.h>
#include <linux/suspend.h>

#include "channel.h"
#include "dev.h"
#include "netlink.h"

/* No keys in memory through suspend or hibernation: the card loses power. */
static int smchan_pm(struct notifier_block *nb, unsigned long action,
		     void *data)
{
	if (action == PM_SUSPEND_PREPARE || action == PM_HIBERNATION_PREPARE)
		smchan_channel_end_all(SMCHAN_END_LOCAL);
	return NOTIFY_DONE;
}

/* After a VM fork two copies hold the keys: neither may go on using them. */
static int smchan_vmfork(struct notifier_block *nb, unsigned long action,
			 void *data)
{
	smchan_channel_end_all(SMCHAN_END_LOCAL);
	return NOTIFY_DONE;
}

static struct notifier_block smchan_pm_nb = {
	.notifier_call = smchan_pm,
};

static struct notifier_block smchan_vmfork_nb = {
	.notifier_call = smchan_vmfork,
};

static int __init smchan_init(void)
{
	int ret;

	ret = smchan_genl_init();
	if (ret)
		return ret;
	ret = smchan_dev_init();
	if (ret)
		goto err_genl;
	ret = register_pm_notifier(&smchan_pm_nb);
	if (ret)
		goto err_dev;
	ret = register_random_vmfork_notifier(&smchan_vmfork_nb);
	if (ret)
		goto err_pm;
	return 0;

err_pm:
	unregister_pm_notifier(&smchan_pm_nb);
err_dev:
	smchan_dev_exit();
err_genl:
	smchan_genl_exit();
	return ret;
}

static void __exit smchan_exit(void)
{
	/* ORDER: no new files, no netlink requests, then no channels. */
	unregister_random_vmfork_notifier(&smchan_vmfork_nb);
	unregister_pm_notifier(&smchan_pm_nb);
	smchan_dev_exit();
	smchan_genl_exit();
	smchan_channel_del_all();
}

module_init(smchan_init);
module_exit(smchan_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Secure messaging to IC cards with per-command session keys");
MODULE_AUTHOR("The smchan authors");
