/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A channel: one card behind one transport, and the SM session with it.
 */
#ifndef _SMCHAN_CHANNEL_H
#define _SMCHAN_CHANNEL_H

#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <uapi/linux/smchan.h>

#include "sm.h"

#define SMCHAN_READER_MAX	128
#define SMCHAN_KEYDESC_MAX	128

/**
 * struct smchan_config - what an administrator sets
 * @mode: key-update mode
 * @suite: cipher suite
 * @group_n: N in list and opkey
 * @rekey_limit: commands per session, 0 for no limit
 * @timeout_ms: per APDU relayed
 * @auto_establish: establish a session when a command needs one
 * @key_source: where @mkey came from
 * @mkey_len: 0 (no key), 16 or 32
 * @mkey: the master key: secret, never reported
 * @keydesc: the description of the logon key, when from the keyring
 * @reader: the PC/SC reader the transport is to use
 */
struct smchan_config {
	enum smchan_mode mode;
	enum smchan_suite suite;
	unsigned int group_n;
	u32 rekey_limit;
	u32 timeout_ms;
	bool auto_establish;
	enum smchan_key_source key_source;
	unsigned int mkey_len;
	u8 mkey[SMCHAN_KEY_MAX];
	char keydesc[SMCHAN_KEYDESC_MAX];
	char reader[SMCHAN_READER_MAX];
};

/**
 * struct smchan_request - one APDU out to the transport and its answer
 * @id: the request id the transport must quote
 * @done: completed once, by the answer, the transport's loss, or timeout
 * @rsp: the answer, a kmalloc'd copy handed over by the transport's reply
 * @len: its length
 * @err: 0, or the negative errno the request failed with
 */
struct smchan_request {
	u64 id;
	struct completion done;
	u8 *rsp;
	size_t len;
	int err;
};

/**
 * struct smchan_channel - a channel
 * @node: in the list of channels, under smchan_channels_lock
 * @ref: references: the list, open files, running operations
 * @name: its name
 * @lock: serialises commands, session changes and @cfg; protects all
 *	members below it except those under @relay_lock
 * @cfg: the configuration
 * @sm: the session
 * @state: idle, establishing, established, failed
 * @dead: deleted; every later operation fails with -ENODEV (set under
 *	both locks)
 * @rekey_due: the session ended at the rekey limit: the next command
 *	starts a new one whatever auto-establish says
 * @session_gen: @transport_gen when the session was established
 * @stats: counters for get and dump
 * @wq: runs the commands of all files of the channel in arrival order
 * @queued: commands queued on @wq, bounded
 * @relay_lock: protects the members below it, and writes to @cfg (so that
 *	get and dump can read the settings without waiting for a command)
 * @portid: the bound transport's netlink port, 0 when none
 * @transport_gen: increases whenever the transport changes or reports the
 *	card removed: a session of another generation is over
 * @lost_reason: why @transport_gen last increased
 * @next_id: the id of the next request
 * @req: the request in flight, or NULL
 * @transmit: test seam: sends a request instead of netlink when set
 */
struct smchan_channel {
	struct list_head node;
	struct kref ref;
	char name[SMCHAN_NAME_SIZE];

	struct mutex lock;	/* commands, sessions, @cfg: see above */
	struct smchan_config cfg;
	struct smchan_sm *sm;
	enum smchan_state state;
	bool dead;
	bool rekey_due;
	u64 session_gen;
	struct {
		u64 commands;
		u64 sm_failures;
		u64 sessions;
		u64 reinits;
	} stats;
	struct workqueue_struct *wq;
	atomic_t queued;

	spinlock_t relay_lock;	/* the relay: see above */
	u32 portid;
	u64 transport_gen;
	enum smchan_end_reason lost_reason;
	u64 next_id;
	struct smchan_request *req;

	int (*transmit)(struct smchan_channel *ch, u32 portid, u64 id,
			const u8 *apdu, size_t len);
};

/**
 * struct smchan_channel_info - what get and dump report: nothing secret
 * @name: channel name
 * @cfg: the settings, with @cfg.mkey zeroed
 * @state: session state
 * @n: number of the next command of the session
 * @transport: a transport is bound
 * @commands: commands answered
 * @sm_failures: responses that failed verification
 * @sessions: sessions established
 * @reinits: re-initialisations at the rekey limit
 */
struct smchan_channel_info {
	char name[SMCHAN_NAME_SIZE];
	struct smchan_config cfg;
	enum smchan_state state;
	u64 n;
	bool transport;
	u64 commands;
	u64 sm_failures;
	u64 sessions;
	u64 reinits;
};

/* Commands queued per channel before write() says -EAGAIN. */
#define SMCHAN_QUEUE_MAX	64

typedef int (*smchan_config_fn)(struct smchan_config *cfg, void *arg);

void smchan_config_default(struct smchan_config *cfg);
int smchan_channel_add(const char *name, smchan_config_fn fn, void *arg,
		       struct smchan_channel **chp);
int smchan_channel_set(struct smchan_channel *ch, smchan_config_fn fn,
		       void *arg);
struct smchan_channel *smchan_channel_get(const char *name);
void smchan_channel_put(struct smchan_channel *ch);
void smchan_channel_del(struct smchan_channel *ch);
void smchan_channel_del_all(void);
void smchan_channel_end_all(enum smchan_end_reason why);
struct smchan_channel *smchan_channel_next(struct smchan_channel *prev);
void smchan_channel_info(struct smchan_channel *ch,
			 struct smchan_channel_info *info);

int smchan_channel_command(struct smchan_channel *ch, const u8 *apdu,
			   size_t len, u8 **rsp);
int smchan_channel_check(struct smchan_channel *ch,
			 const struct smchan_apdu *apdu);
int smchan_session_start(struct smchan_channel *ch);
void smchan_session_stop(struct smchan_channel *ch,
			 enum smchan_end_reason why);

int smchan_transport_bind(struct smchan_channel *ch, u32 portid);
int smchan_transport_unbind(struct smchan_channel *ch, u32 portid);
void smchan_transport_release(u32 portid);
int smchan_transport_done(struct smchan_channel *ch, u32 portid, u64 id,
			  const u8 *rsp, size_t len, int err);
int smchan_card_status(struct smchan_channel *ch, u32 portid, bool present);

#endif /* _SMCHAN_CHANNEL_H */
