/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The smchan generic netlink family: control, events, and the relay to
 * the transport helper.
 */
#ifndef _SMCHAN_NETLINK_H
#define _SMCHAN_NETLINK_H

#include <linux/types.h>
#include <uapi/linux/smchan.h>

int smchan_genl_init(void);
void smchan_genl_exit(void);

int smchan_nl_transmit(u32 portid, const char *channel, u64 id,
		       const u8 *apdu, size_t len, u32 timeout_ms);
void smchan_nl_event(const char *channel, enum smchan_event event,
		     enum smchan_end_reason why);
void smchan_nl_session_event(const char *channel, enum smchan_event event,
			     u64 id, int err);

#endif /* _SMCHAN_NETLINK_H */
