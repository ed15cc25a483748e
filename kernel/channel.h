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
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/sock.h>
#include <uapi/linux/smchan.h>

#include "sm.h"

#define SMCHAN_READER_MAX	SMCHAN_READER_SIZE
#define SMCHAN_KEYDESC_MAX	SMCHAN_KEYDESC_SIZE

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
 * @buf: where an answer of up to @size bytes is copied, or NULL
 * @size: the size of @buf
 * @rsp: the answer: @buf, or a kmalloc'd copy when it did not fit @buf
 * @len: its length
 * @err: 0, or the negative errno the request failed with
 */
struct smchan_request {
	u64 id;
	struct completion done;
	u8 *buf;
	size_t size;
	u8 *rsp;
	size_t len;
	int err;
};

/**
 * struct smchan_command - a plain command queued on a channel
 * @node: in its user's queue, under the channel's queue_lock
 * @uid: the user it counts against (fairness and the queue limit)
 * @owner: who sent it (a file): what SMCHAN_IOC_HOLD holds the channel for
 * @apdu: the plain command APDU; it stays valid until @done
 * @len: its length
 * @done: called exactly once, from the channel's worker or from
 *	smchan_channel_run(), unless smchan_channel_cancel() took the
 *	command back: with the length of
 *	@rsp (R || SW1 SW2, the callee's to wipe and free) or a negative
 *	errno (@rsp NULL)
 */
struct smchan_command {
	struct list_head node;
	kuid_t uid;
	const void *owner;
	const u8 *apdu;
	size_t len;
	void (*done)(struct smchan_command *cmd, int ret, u8 *rsp);
};

struct smchan_channel;

/**
 * struct smchan_channel_ops - how a channel reaches its transport and
 * tells the world: netlink's (smchan_nl_ops) in the module, a test's own
 * in a channel's @ops
 * @transmit: send request @id, @apdu of @len bytes, to the transport bound
 *	at @portid, which answers with smchan_transport_done() within
 *	@timeout_ms; 0 once sent, -EAGAIN, -ENOBUFS or -ENOMEM when it could
 *	not be queued, another negative errno when the transport is gone
 * @event: announce @event on the channel @name (@why for session ends and
 *	SM failures, else %SMCHAN_END_NONE); best effort
 * @session_event: announce the outcome of session start @id (0: started
 *	by a command), with @err for a failure; best effort
 */
struct smchan_channel_ops {
	int (*transmit)(struct smchan_channel *ch, u32 portid, u64 id,
			const u8 *apdu, size_t len, u32 timeout_ms);
	void (*event)(const char *name, enum smchan_event event,
		      enum smchan_end_reason why);
	void (*session_event)(const char *name, enum smchan_event event,
			      u64 id, int err);
};

/**
 * struct smchan_channel - a channel
 * @node: in the list of channels, under smchan_channels_lock
 * @id: its place in that list: channels are listed by increasing @id,
 *	and a walk resumes after the last @id it saw
 * @ref: references: the list, open files, a queued worker, operations
 * @name: its name
 * @run: the worker: runs starts and commands one at a time (queued with
 *	a reference it drops)
 * @lock: held by the worker while it runs a start or a command, by
 *	smchan_channel_run() while it runs one on an idle channel, and by
 *	deletion and suspend to end the session: protects @sm, @state,
 *	@rekey_due, @session_gen, @stats. Nothing that holds it waits for
 *	userspace except relay(), and every relay fails at once when the
 *	session is lost (@gen) or the channel deleted
 * @cfg_lock: serialises changes of @cfg (add and set); never held by the
 *	worker
 * @sm: the session
 * @state: idle, establishing, established, failed
 * @rekey_due: the session ended at the rekey limit: the next command
 *	starts a new one whatever auto-establish says
 * @session_gen: @gen when the session was established
 * @stats: counters for get and dump
 * @queue_lock: protects the members down to @start_id (a spinlock)
 * @users: users with queued commands, in round-robin order
 * @holder: the file holding the channel (SMCHAN_IOC_HOLD), or NULL
 * @hold_until: when the hold ends (jiffies)
 * @hold_wait: files waiting for a hold
 * @start_id: the id of the session start to run next, or 0
 * @relay_lock: protects the members below it, and writes to @cfg (so that
 *	get and dump read the settings without waiting for a command)
 * @cfg: the configuration
 * @dead: deleted: every later operation fails with -ENODEV
 * @want_session: an administrator started a session and has not stopped
 *	it: a session that fails is started again, as if auto-establish
 * @last_err: why the last session start failed (negative), or 0
 * @card: the bound transport reported the card present (cleared with
 *	the card's removal and when the transport goes)
 * @atr_len: the length of @atr, 0 when the transport gave none
 * @atr: the card's ATR as the transport reported it with the card
 * @tsk: the bound transport's socket, held, or NULL
 * @portid: its netlink port, where TRANSMITs go
 * @gen: increases whenever the session is to end from outside (transport
 *	gone, card removed, settings changed, stop, suspend): a session of
 *	another generation is over, and relays of the running operation fail
 * @lost_reason: why @gen last increased
 * @abort_gen: increases with @gen when the operation in progress must
 *	fail at once too
 * @op_gen: @abort_gen when the worker's operation began: its relays fail
 *	with @lost_err once they differ
 * @lost_err: what they fail with
 * @next_id: the id of the next request (and of the next session start)
 * @req: the request in flight, or NULL
 * @ops: its transport and events (smchan_channels_init()'s)
 */
struct smchan_channel {
	struct list_head node;
	u64 id;
	struct kref ref;
	char name[SMCHAN_NAME_SIZE];
	struct delayed_work run;

	struct mutex lock;	/* the session: see above */
	struct mutex cfg_lock;	/* changes of @cfg */
	struct smchan_sm *sm;
	enum smchan_state state;
	bool rekey_due;
	u64 session_gen;
	struct {
		u64 commands;
		u64 sm_failures;
		u64 sessions;
		u64 reinits;
	} stats;

	spinlock_t queue_lock;	/* the queue: see above */
	struct list_head users;
	const void *holder;
	unsigned long hold_until;
	wait_queue_head_t hold_wait;
	u64 start_id;

	spinlock_t relay_lock;	/* the relay: see above */
	struct smchan_config cfg;
	bool dead;
	bool want_session;
	int last_err;
	bool card;
	u8 atr_len;
	u8 atr[SMCHAN_ATR_MAX];
	struct sock *tsk;
	u32 portid;
	u64 gen;
	enum smchan_end_reason lost_reason;
	u64 abort_gen;
	u64 op_gen;
	int lost_err;
	u64 next_id;
	struct smchan_request *req;
	const struct smchan_channel_ops *ops;
};

/**
 * struct smchan_channel_info - what get and dump report: nothing secret
 * @id: the channel's place in the list
 * @name: channel name
 * @cfg: the settings, with @cfg.mkey zeroed
 * @state: session state
 * @last_err: why the last session start failed (negative), or 0
 * @n: number of the next command of the session
 * @transport: a transport is bound
 * @card: its card is present
 * @atr_len: length of @atr (0: none)
 * @atr: the card's ATR
 * @commands: commands answered
 * @sm_failures: responses that failed verification
 * @sessions: sessions established
 * @reinits: re-initialisations at the rekey limit
 */
struct smchan_channel_info {
	u64 id;
	char name[SMCHAN_NAME_SIZE];
	struct smchan_config cfg;
	enum smchan_state state;
	int last_err;
	u64 n;
	bool transport;
	bool card;
	u8 atr_len;
	u8 atr[SMCHAN_ATR_MAX];
	u64 commands;
	u64 sm_failures;
	u64 sessions;
	u64 reinits;
};

/* Commands one user may have queued on a channel before -EAGAIN. */
#define SMCHAN_QUEUE_MAX	64

typedef int (*smchan_config_fn)(struct smchan_config *cfg, void *arg);

int smchan_channels_init(const struct smchan_channel_ops *ops);
void smchan_channels_exit(void);
void smchan_config_default(struct smchan_config *cfg);
bool smchan_channel_name_valid(const char *name);
int smchan_channel_add(const char *name, smchan_config_fn fn, void *arg,
		       struct smchan_channel **chp);
int smchan_channel_set(struct smchan_channel *ch, smchan_config_fn fn,
		       void *arg);
struct smchan_channel *smchan_channel_get(const char *name);
void smchan_channel_put(struct smchan_channel *ch);
int smchan_channel_del(struct smchan_channel *ch);
void smchan_channel_del_all(void);
void smchan_channel_suspend(bool suspend);
void smchan_channel_end_all(enum smchan_end_reason why);
struct smchan_channel *smchan_channel_next(u64 *pos);
unsigned long smchan_channels_seq(void);
void smchan_channel_info(struct smchan_channel *ch,
			 struct smchan_channel_info *info);
void smchan_channel_flush(struct smchan_channel *ch);

int smchan_channel_check(struct smchan_channel *ch,
			 const struct smchan_apdu *apdu);
int smchan_channel_submit(struct smchan_channel *ch, struct smchan_command *cmd);
int smchan_channel_run(struct smchan_channel *ch, struct smchan_command *cmd);
bool smchan_channel_cancel(struct smchan_channel *ch, struct smchan_command *cmd);
int smchan_channel_hold(struct smchan_channel *ch, const void *owner,
			unsigned int ms, bool nonblock);
int smchan_channel_unhold(struct smchan_channel *ch, const void *owner);
int smchan_session_start(struct smchan_channel *ch, u64 *id);
void smchan_session_stop(struct smchan_channel *ch,
			 enum smchan_end_reason why);

int smchan_transport_bind(struct smchan_channel *ch, struct sock *sk,
			  u32 portid);
int smchan_transport_unbind(struct smchan_channel *ch, struct sock *sk);
void smchan_transport_release(u32 portid);
int smchan_transport_done(struct smchan_channel *ch, struct sock *sk, u64 id,
			  const u8 *rsp, size_t len, int err);
int smchan_card_status(struct smchan_channel *ch, struct sock *sk,
		       bool present, const u8 *atr, size_t atr_len);

#endif /* _SMCHAN_CHANNEL_H */
