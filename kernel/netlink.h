/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The smchan generic netlink family: control, events, and the relay to
 * the transport helper.
 */
#ifndef _SMCHAN_NETLINK_H
#define _SMCHAN_NETLINK_H

#include <linux/types.h>
#include <uapi/linux/smchan.h>

#include "channel.h"

int smchan_genl_init(void);
void smchan_genl_exit(void);

extern const struct smchan_channel_ops smchan_nl_ops;

#endif /* _SMCHAN_NETLINK_H */
