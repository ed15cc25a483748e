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

/*
 * No session keys through suspend or hibernation: the card loses power.
 * From the prepare notification on, no operation starts (the workers'
 * workqueue is freezable, and they stop short of the freezer), so no
 * session is established after the keys are wiped; queued commands run
 * after the resume, with a new session. The master keys stay in memory,
 * and so in a hibernation image (Documentation/admin-guide.rst).
 */
static int smchan_pm(struct notifier_block *nb, unsigned long action,
		     void *data)
{
	switch (action) {
	case PM_SUSPEND_PREPARE:
	case PM_HIBERNATION_PREPARE:
	case PM_RESTORE_PREPARE:
		smchan_channel_suspend(true);
		smchan_channel_end_all(SMCHAN_END_LOCAL);
		break;
	case PM_POST_SUSPEND:
	case PM_POST_HIBERNATION:
	case PM_POST_RESTORE:
		smchan_channel_suspend(false);
		break;
	}
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

/*
 * ORDER: the family last, since a netlink request may create a channel
 * at once: everything a channel needs is there before, and on the way
 * out the family goes first, so that no channel is created after
 * smchan_channel_del_all().
 */
static int __init smchan_init(void)
{
	int ret;

	ret = smchan_channels_init(&smchan_nl_ops);
	if (ret)
		return ret;
	ret = smchan_dev_init();
	if (ret)
		goto err_channels;
	ret = register_pm_notifier(&smchan_pm_nb);
	if (ret)
		goto err_dev;
	ret = register_random_vmfork_notifier(&smchan_vmfork_nb);
	if (ret)
		goto err_pm;
	ret = smchan_genl_init();
	if (ret)
		goto err_vmfork;
	return 0;

err_vmfork:
	unregister_random_vmfork_notifier(&smchan_vmfork_nb);
err_pm:
	unregister_pm_notifier(&smchan_pm_nb);
err_dev:
	smchan_dev_exit();
err_channels:
	smchan_channel_del_all();
	smchan_channels_exit();
	return ret;
}

static void __exit smchan_exit(void)
{
	/* ORDER: no netlink requests, no new files, then no channels. */
	smchan_genl_exit();
	unregister_random_vmfork_notifier(&smchan_vmfork_nb);
	unregister_pm_notifier(&smchan_pm_nb);
	smchan_dev_exit();
	smchan_channel_del_all();
	smchan_channels_exit();
}

module_init(smchan_init);
module_exit(smchan_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Secure messaging to IC cards with per-command session keys");
MODULE_AUTHOR("The smchan authors");
MODULE_VERSION("1.0");
