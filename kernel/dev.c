// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/smchan: applications write a plain APDU and read the plain response
 * (Documentation/userspace-api.rst).
 *
 * A file attaches to a channel with SMCHAN_IOC_ATTACH. write() checks one
 * command and, on a blocking file, runs it itself when the channel is
 * idle (smchan_channel_run(), as the TPM device runs its commands in
 * write()); otherwise it queues it for the channel's worker, which runs
 * the commands of all files, round robin by user. read() waits for the
 * answer (or, with O_NONBLOCK, says -EAGAIN until poll() reports it).
 * One command per file is in flight at a time, and its answer stays until
 * read. SMCHAN_IOC_HOLD keeps the channel for one file's commands for a
 * while, as a PC/SC transaction does.
 *
 * The queued command holds a reference to its file: close() takes back a
 * command that has not started and never waits for one that has; the
 * worker drops the last reference when it is done.
 */

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "channel.h"
#include "dev.h"

enum file_state {
	FILE_IDLE,	/* nothing in flight: write() may queue a command */
	FILE_QUEUED,	/* the command is queued or running */
	FILE_DONE,	/* its answer (or error) waits for read() */
};

/**
 * struct smchan_file - one open file
 * @ref: the open file's, and its queued command's
 * @lock: protects all members below
 * @ch: the attached channel, with a reference, or NULL
 * @state: where the file's command is (read with READ_ONCE by poll)
 * @cmd: the command as queued (@cmd.apdu is ours, kmalloc'd)
 * @rsp: its answer, R || SW1 SW2, to be wiped once read
 * @rsp_len: its length
 * @err: the command's error, if it failed
 * @wait: woken when the command is done
 */
struct smchan_file {
	struct kref ref;
	struct mutex lock;	/* protects the members below */
	struct smchan_channel *ch;
	enum file_state state;
	struct smchan_command cmd;
	u8 *rsp;
	size_t rsp_len;
	int err;
	wait_queue_head_t wait;
};

static void file_free(struct kref *ref)
{
	struct smchan_file *f = container_of(ref, struct smchan_file, ref);

	kfree_sensitive(f->cmd.apdu);
	kfree_sensitive(f->rsp);
	smchan_channel_put(f->ch);
	mutex_destroy(&f->lock);
	kfree(f);
}

/* smchan_cmd.done: the worker ran the file's command. */
static void file_done(struct smchan_command *cmd, int ret, u8 *rsp)
{
	struct smchan_file *f = container_of(cmd, struct smchan_file, cmd);

	mutex_lock(&f->lock);
	kfree_sensitive(f->cmd.apdu);
	f->cmd.apdu = NULL;
	if (ret < 0) {
		f->err = ret;
	} else {
		f->rsp = rsp;
		f->rsp_len = ret;
	}
	WRITE_ONCE(f->state, FILE_DONE);
	mutex_unlock(&f->lock);
	wake_up_interruptible_poll(&f->wait, EPOLLIN | EPOLLRDNORM);
	kref_put(&f->ref, file_free);	/* the command's */
}

static int smchan_open(struct inode *inode, struct file *file)
{
	struct smchan_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	kref_init(&f->ref);
	mutex_init(&f->lock);
	INIT_LIST_HEAD(&f->cmd.node);
	f->cmd.owner = f;
	f->cmd.uid = file->f_cred->euid;
	f->cmd.done = file_done;
	init_waitqueue_head(&f->wait);
	file->private_data = f;
	return stream_open(inode, file);
}

/* Never waits for the card: a running command finishes without us. */
static int smchan_release(struct inode *inode, struct file *file)
{
	struct smchan_file *f = file->private_data;

	mutex_lock(&f->lock);
	if (f->ch) {
		smchan_channel_unhold(f->ch, f);
		if (f->state == FILE_QUEUED &&
		    smchan_channel_cancel(f->ch, &f->cmd))
			kref_put(&f->ref, file_free);	/* the command's */
	}
	mutex_unlock(&f->lock);
	kref_put(&f->ref, file_free);
	return 0;
}

static long attach(struct smchan_file *f, void __user *argp)
{
	struct smchan_attach a;
	struct smchan_channel *ch;
	long ret = 0;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (strnlen(a.name, sizeof(a.name)) == sizeof(a.name))
		return -EINVAL;
	ch = smchan_channel_get(a.name);
	if (!ch)
		return -ENOENT;

	mutex_lock(&f->lock);
	if (f->state != FILE_IDLE) {
		ret = -EBUSY;
	} else {
		if (f->ch)
			smchan_channel_unhold(f->ch, f);
		swap(f->ch, ch);
	}
	mutex_unlock(&f->lock);
	smchan_channel_put(ch);
	return ret;
}

/* The attached channel, with a reference, or NULL. */
static struct smchan_channel *attached(struct smchan_file *f)
{
	struct smchan_channel *ch;

	mutex_lock(&f->lock);
	ch = f->ch;
	if (ch)
		kref_get(&ch->ref);
	mutex_unlock(&f->lock);
	return ch;
}

static long hold(struct smchan_file *f, struct file *file, u32 __user *argp)
{
	struct smchan_channel *ch;
	u32 ms;
	long ret;

	if (get_user(ms, argp))
		return -EFAULT;
	ch = attached(f);
	if (!ch)
		return -EBADFD;
	ret = smchan_channel_hold(ch, f, ms, file->f_flags & O_NONBLOCK);
	smchan_channel_put(ch);
	return ret;
}

static long unhold(struct smchan_file *f)
{
	struct smchan_channel *ch = attached(f);
	long ret;

	if (!ch)
		return -EBADFD;
	ret = smchan_channel_unhold(ch, f);
	smchan_channel_put(ch);
	return ret;
}

static long smchan_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct smchan_file *f = file->private_data;

	switch (cmd) {
	case SMCHAN_IOC_ATTACH:
		return attach(f, (void __user *)arg);
	case SMCHAN_IOC_HOLD:
		return hold(f, file, (u32 __user *)arg);
	case SMCHAN_IOC_RELEASE:
		return unhold(f);
	default:
		return -ENOTTY;
	}
}

static ssize_t smchan_write(struct file *file, const char __user *buf,
			    size_t count, loff_t *off)
{
	struct smchan_file *f = file->private_data;
	struct smchan_apdu apdu;
	ssize_t ret;
	u8 *cmd;

	if (count > SMCHAN_APDU_MAX)
		return -EMSGSIZE;
	cmd = memdup_user(buf, count);
	if (IS_ERR(cmd))
		return PTR_ERR(cmd);

	mutex_lock(&f->lock);
	if (!f->ch)
		ret = -EBADFD;
	else if (f->state != FILE_IDLE)
		ret = -EBUSY;
	else
		ret = smchan_apdu_parse(&apdu, cmd, count);
	if (!ret)
		ret = smchan_channel_check(f->ch, &apdu);
	if (ret)
		goto out_unlock;
	f->cmd.apdu = cmd;
	f->cmd.len = count;
	kref_get(&f->ref);		/* the command's */
	WRITE_ONCE(f->state, FILE_QUEUED);
	/*
	 * f->ch stays while the command is in flight (attach refuses), and
	 * file_done() takes f->lock: run it without.
	 */
	mutex_unlock(&f->lock);
	if (file->f_flags & O_NONBLOCK)
		ret = smchan_channel_submit(f->ch, &f->cmd);
	else
		ret = smchan_channel_run(f->ch, &f->cmd);
	if (!ret)
		return count;
	mutex_lock(&f->lock);
	f->cmd.apdu = NULL;
	WRITE_ONCE(f->state, FILE_IDLE);
	kref_put(&f->ref, file_free);	/* not the last: ours */

out_unlock:
	mutex_unlock(&f->lock);
	kfree_sensitive(cmd);
	return ret;
}

static ssize_t smchan_read(struct file *file, char __user *buf, size_t count,
			   loff_t *off)
{
	struct smchan_file *f = file->private_data;
	ssize_t ret;

	mutex_lock(&f->lock);
	while (f->state == FILE_QUEUED) {
		mutex_unlock(&f->lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(f->wait,
					     READ_ONCE(f->state) != FILE_QUEUED))
			return -ERESTARTSYS;
		mutex_lock(&f->lock);
	}

	if (!f->ch) {
		ret = -EBADFD;
	} else if (f->state == FILE_IDLE) {
		ret = READ_ONCE(f->ch->dead) ? -ENODEV : -ENODATA;
	} else if (f->err) {
		ret = f->err;
		f->err = 0;
		WRITE_ONCE(f->state, FILE_IDLE);
	} else if (count < f->rsp_len) {
		ret = -EMSGSIZE;	/* the answer stays for a larger read */
	} else if (copy_to_user(buf, f->rsp, f->rsp_len)) {
		ret = -EFAULT;
	} else {
		ret = f->rsp_len;
		kfree_sensitive(f->rsp);
		f->rsp = NULL;
		f->rsp_len = 0;
		WRITE_ONCE(f->state, FILE_IDLE);
	}
	mutex_unlock(&f->lock);
	return ret;
}

static __poll_t smchan_poll(struct file *file, poll_table *wait)
{
	struct smchan_file *f = file->private_data;

	poll_wait(file, &f->wait, wait);
	switch (READ_ONCE(f->state)) {
	case FILE_DONE:
		return EPOLLIN | EPOLLRDNORM;
	case FILE_IDLE:
		return EPOLLOUT | EPOLLWRNORM;
	default:
		return 0;
	}
}

static const struct file_operations smchan_fops = {
	.owner = THIS_MODULE,
	.open = smchan_open,
	.release = smchan_release,
	.read = smchan_read,
	.write = smchan_write,
	.poll = smchan_poll,
	.unlocked_ioctl = smchan_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice smchan_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "smchan",
	.fops = &smchan_fops,
	.mode = 0600,
};

/**
 * smchan_dev_init() - register /dev/smchan
 *
 * Return: 0 or misc_register()'s error.
 */
int smchan_dev_init(void)
{
	return misc_register(&smchan_misc);
}

/**
 * smchan_dev_exit() - unregister it
 */
void smchan_dev_exit(void)
{
	misc_deregister(&smchan_misc);
}
