// SPDX-License-Identifier: GPL-2.0
/*
 * smchan_genl_probe: a test module that registers a generic netlink
 * family when it is loaded and unregisters it when it is removed, as
 * wireguard, team or l2tp do. genl_register_family() takes genl's cb_lock
 * for writing: tests/e2e/genl-stall.sh loads this module while a smchan
 * request is pending, to show that no smchan doit holds cb_lock while it
 * waits for a card.
 */

#include <linux/module.h>
#include <net/genetlink.h>

static int probe_doit(struct sk_buff *skb, struct genl_info *info)
{
	return -EOPNOTSUPP;
}

static const struct genl_small_ops probe_ops[] = {
	{
		.cmd = 1,
		.doit = probe_doit,
	},
};

static struct genl_family probe_family __ro_after_init = {
	.name = "smchan_probe",
	.version = 1,
	.module = THIS_MODULE,
	.small_ops = probe_ops,
	.n_small_ops = ARRAY_SIZE(probe_ops),
};

static int __init probe_init(void)
{
	return genl_register_family(&probe_family);
}

static void __exit probe_exit(void)
{
	genl_unregister_family(&probe_family);
}

module_init(probe_init);
module_exit(probe_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("smchan test: registers a generic netlink family");
MODULE_AUTHOR("The smchan authors");
