// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libifdsmchan: a pcsc-lite IFD handler that shows an smchan channel to
 * PC/SC applications as a reader (Documentation/admin-guide.rst, "PC/SC
 * applications: the smchan reader").
 *
 * One reader.conf entry is one reader with one slot, and one channel:
 *
 *   FRIENDLYNAME "smchan card0"
 *   DEVICENAME   smchan:card0
 *   LIBPATH      /usr/lib/pcsc/drivers/serial/libifdsmchan.so
 *
 * pcscd calls IFDHCreateChannelByName() with DEVICENAME; the channel need
 * not exist yet: the reader is there from pcscd's start and shows a card
 * while the channel (looked up by name at every presence poll) exists,
 * its transport is bound and reports the card present with its ATR, the
 * channel has a master key, and a session is possible (auto-establish on,
 * or a session up).  A channel deleted and added again is picked up
 * without a pcscd restart; a new reader.conf entry is not (pcscd reads
 * reader.conf at its start).
 *
 * What travels where.  An application's APDU (SCardTransmit) comes to
 * IFDHTransmitToICC(), which writes it plain to /dev/smchan (a blocking
 * file attached to the channel) and reads the plain answer: the kernel
 * protects it with a fresh key and the relay (smchanctl relay) carries
 * the protected APDU to the physical reader.  The status, the ATR and the
 * presence come from the netlink family (CHANNEL_GET, which needs no
 * privilege).  Nothing here sees a key or a protected APDU.
 *
 * Commands smchan cannot protect: a CLA that is not plain (CLA & 0xEC is
 * neither 0x00 nor 0x80: SM bits already set, logical channels 4-19,
 * classes 0x20-0x7F and 0xA0-0xFF) is answered 6E 00 (class not
 * supported) without reaching the kernel or the card; a command the
 * kernel refuses as malformed (EINVAL) or too long to protect (EMSGSIZE)
 * is answered 67 00 (wrong length).  The kernel's other errors become:
 *   ENOMEDIUM, ENXIO, ENODEV, ENOENT   IFD_ICC_NOT_PRESENT (the card, or
 *                                      the channel, is gone)
 *   ETIMEDOUT                          IFD_RESPONSE_TIMEOUT
 *   anything else (EPIPE no relay, ENOKEY, ENOTCONN, EKEYREJECTED,
 *   EBADMSG a response failed verification, EBUSY, EIO...)
 *                                      IFD_COMMUNICATION_ERROR
 * and each is logged to stderr (pcscd's log) with its errno name.
 *
 * Power.  IFD_POWER_UP gives the ATR the kernel holds (the physical
 * card's, as its reader read it) and touches nothing.  IFD_RESET ends the
 * channel's SM session (SESSION_STOP, when pcscd may administer: root),
 * so that the next command starts a new one; the physical card itself is
 * not reset (the relay holds it), so a verified PIN or a selected file
 * stay.  IFD_POWER_DOWN only forgets the ATR here.
 *
 * Locking.  pcscd serialises the calls for one reader; this driver is
 * thread safe across readers (each has its own netlink handle and file).
 * The presence poll never waits for the card: it asks the kernel only,
 * under its own lock, not the one a command holds.  The relay talks to
 * the physical reader through the same pcscd from its own connection, so
 * a command in flight here does not hold anything the relay needs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <PCSC/ifdhandler.h>
#include <PCSC/reader.h>

#include "../lib/smchan.h"

/* The entry points pcscd looks up; everything else (libsmchan too) is
 * hidden (-fvisibility=hidden). */
#define IFD_EXPORT __attribute__((visibility("default")))

#define PREFIX "smchan:"
#define MAX_READERS 16
#define ANSWER_MAX 65505	/* 65503 bytes of data and SW1 SW2 */

#ifndef SMCHAN_DEV
#define SMCHAN_DEV "/dev/smchan"
#endif

struct reader {
	bool used;
	DWORD lun;
	char channel[SMCHAN_NAME_SIZE];
	pthread_mutex_t nl_lock;	/* protects nl, atr, atr_len, seen */
	struct smchan_nl *nl;
	uint8_t atr[SMCHAN_ATR_MAX];
	size_t atr_len;			/* 0: not powered */
	bool seen;			/* the last poll found the card */
	uint8_t seen_atr[SMCHAN_ATR_MAX];
	size_t seen_atr_len;
	pthread_mutex_t io_lock;	/* protects fd, rsp */
	int fd;
	uint8_t *rsp;
};

static struct reader readers[MAX_READERS];
static pthread_mutex_t readers_lock = PTHREAD_MUTEX_INITIALIZER;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ifd-smchan: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static struct reader *find(DWORD lun)
{
	struct reader *r = NULL;
	int i;

	pthread_mutex_lock(&readers_lock);
	for (i = 0; i < MAX_READERS; i++)
		if (readers[i].used && readers[i].lun == lun)
			r = &readers[i];
	pthread_mutex_unlock(&readers_lock);
	return r;
}

/* "smchan:NAME" with a valid channel name. */
static int parse_device(const char *dev, char name[SMCHAN_NAME_SIZE])
{
	size_t n, i;

	if (!dev || strncmp(dev, PREFIX, strlen(PREFIX)))
		return -1;
	dev += strlen(PREFIX);
	n = strlen(dev);
	if (n < 1 || n >= SMCHAN_NAME_SIZE || dev[0] == '-')
		return -1;
	for (i = 0; i < n; i++)
		if (!(dev[i] >= 'a' && dev[i] <= 'z') && !(dev[i] >= 'A' && dev[i] <= 'Z') &&
		    !(dev[i] >= '0' && dev[i] <= '9') && !strchr("-_.:@+", dev[i]))
			return -1;
	memcpy(name, dev, n + 1);
	return 0;
}

IFD_EXPORT RESPONSECODE IFDHCreateChannelByName(DWORD Lun, LPSTR DeviceName)
{
	char name[SMCHAN_NAME_SIZE];
	struct reader *r = NULL;
	int i;

	if (parse_device(DeviceName, name)) {
		say("DEVICENAME `%s' is not smchan:CHANNEL (a channel name of 1 to 15 letters, digits and -_.:@+)",
		    DeviceName ? DeviceName : "");
		return IFD_COMMUNICATION_ERROR;
	}
	if (find(Lun)) {
		say("Lun %#lx is open already", (unsigned long)Lun);
		return IFD_COMMUNICATION_ERROR;
	}
	pthread_mutex_lock(&readers_lock);
	for (i = 0; i < MAX_READERS; i++)
		if (!readers[i].used) {
			r = &readers[i];
			break;
		}
	if (r) {
		memset(r, 0, sizeof(*r));
		r->used = true;
		r->lun = Lun;
		r->fd = -1;
		memcpy(r->channel, name, sizeof(name));
		pthread_mutex_init(&r->nl_lock, NULL);
		pthread_mutex_init(&r->io_lock, NULL);
	}
	pthread_mutex_unlock(&readers_lock);
	if (!r) {
		say("no room for reader %s (Lun %#lx): at most %d readers", name,
		    (unsigned long)Lun, MAX_READERS);
		return IFD_COMMUNICATION_ERROR;
	}
	r->rsp = malloc(ANSWER_MAX);
	if (!r->rsp) {
		IFDHCloseChannel(Lun);
		return IFD_COMMUNICATION_ERROR;
	}
	say("reader for channel %s (Lun %#lx)", name, (unsigned long)Lun);
	return IFD_SUCCESS;
}

/* A serial-style reader without DEVICENAME: not ours to guess. */
IFD_EXPORT RESPONSECODE IFDHCreateChannel(DWORD Lun, DWORD Channel)
{
	(void)Lun;
	say("CHANNELID %lu without DEVICENAME: give DEVICENAME smchan:CHANNEL",
	    (unsigned long)Channel);
	return IFD_COMMUNICATION_ERROR;
}

static void close_file(struct reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

IFD_EXPORT RESPONSECODE IFDHCloseChannel(DWORD Lun)
{
	struct reader *r = find(Lun);

	if (!r)
		return IFD_NO_SUCH_DEVICE;
	pthread_mutex_lock(&r->io_lock);
	close_file(r);
	if (r->rsp)
		smchan_wipe(r->rsp, ANSWER_MAX);
	free(r->rsp);
	r->rsp = NULL;
	pthread_mutex_unlock(&r->io_lock);
	pthread_mutex_lock(&r->nl_lock);
	if (r->nl)
		smchan_nl_close(r->nl);
	r->nl = NULL;
	pthread_mutex_unlock(&r->nl_lock);
	pthread_mutex_lock(&readers_lock);
	pthread_mutex_destroy(&r->nl_lock);
	pthread_mutex_destroy(&r->io_lock);
	r->used = false;
	pthread_mutex_unlock(&readers_lock);
	return IFD_SUCCESS;
}

/*
 * The channel as the kernel sees it, under nl_lock: 1 and the ATR when a
 * card is usable through it, 0 when not, -errno when the kernel could not
 * be asked (module not loaded: the handle is opened again next time).
 */
static int card_state(struct reader *r, uint8_t *atr, size_t *atr_len)
{
	struct smchan_channel_info info;
	int err;

	if (!r->nl) {
		r->nl = smchan_nl_open();
		if (!r->nl)
			return -errno;
	}
	err = smchan_channel_get(r->nl, r->channel, &info);
	if (err == -ENOENT)
		return 0;
	if (err) {
		smchan_nl_close(r->nl);
		r->nl = NULL;
		return err;
	}
	if (!info.transport || !info.card_present || !(info.present & SMCHAN_INFO_ATR) ||
	    info.key_source == SMCHAN_KEY_NONE ||
	    (!info.auto_establish && info.state != SMCHAN_STATE_ESTABLISHED))
		return 0;
	memcpy(atr, info.atr, info.atr_len);
	*atr_len = info.atr_len;
	return 1;
}

IFD_EXPORT RESPONSECODE IFDHICCPresence(DWORD Lun)
{
	struct reader *r = find(Lun);
	uint8_t atr[SMCHAN_ATR_MAX];
	size_t atr_len = 0;
	int st;

	if (!r)
		return IFD_NO_SUCH_DEVICE;
	pthread_mutex_lock(&r->nl_lock);
	st = card_state(r, atr, &atr_len);
	if (st == 1 && r->seen &&
	    (atr_len != r->seen_atr_len || memcmp(atr, r->seen_atr, atr_len))) {
		/* Another card since the last poll: show the removal once,
		 * so that pcscd powers the new one up and reads its ATR. */
		st = 0;
	}
	r->seen = st == 1;
	memcpy(r->seen_atr, atr, atr_len);
	r->seen_atr_len = st == 1 ? atr_len : 0;
	if (st != 1)
		r->atr_len = 0;
	pthread_mutex_unlock(&r->nl_lock);
	return st == 1 ? IFD_ICC_PRESENT : IFD_ICC_NOT_PRESENT;
}

/* An open blocking file attached to the channel, under io_lock. */
static int attach(struct reader *r)
{
	struct smchan_attach a;

	if (r->fd >= 0)
		return 0;
	r->fd = open(SMCHAN_DEV, O_RDWR | O_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	memset(&a, 0, sizeof(a));
	memcpy(a.name, r->channel, sizeof(a.name));
	if (ioctl(r->fd, SMCHAN_IOC_ATTACH, &a) < 0) {
		int err = -errno;

		close_file(r);
		return err;
	}
	return 0;
}

IFD_EXPORT RESPONSECODE IFDHPowerICC(DWORD Lun, DWORD Action, PUCHAR Atr, PDWORD AtrLength)
{
	struct reader *r = find(Lun);
	uint8_t atr[SMCHAN_ATR_MAX];
	size_t atr_len = 0;
	DWORD cap = AtrLength ? *AtrLength : 0;
	int st, err;

	if (AtrLength)
		*AtrLength = 0;
	if (!r)
		return IFD_NO_SUCH_DEVICE;
	if (Action == IFD_POWER_DOWN) {
		pthread_mutex_lock(&r->nl_lock);
		r->atr_len = 0;
		pthread_mutex_unlock(&r->nl_lock);
		return IFD_SUCCESS;
	}
	if (Action != IFD_POWER_UP && Action != IFD_RESET)
		return IFD_NOT_SUPPORTED;
	pthread_mutex_lock(&r->nl_lock);
	st = card_state(r, atr, &atr_len);
	if (st == 1 && Action == IFD_RESET) {
		err = smchan_session_stop(r->nl, r->channel);
		if (err && err != -EPERM)
			say("%s: reset: ending the session: %s", r->channel,
			    smchan_strerror(err));
	}
	if (st == 1) {
		memcpy(r->atr, atr, atr_len);
		r->atr_len = atr_len;
	} else {
		r->atr_len = 0;
	}
	pthread_mutex_unlock(&r->nl_lock);
	if (st != 1)
		return IFD_ERROR_POWER_ACTION;
	if (!Atr || cap < atr_len)
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	memcpy(Atr, atr, atr_len);
	*AtrLength = atr_len;
	pthread_mutex_lock(&r->io_lock);
	err = attach(r);
	pthread_mutex_unlock(&r->io_lock);
	if (err)
		say("%s: %s: %s", r->channel, SMCHAN_DEV, strerror(-err));
	return IFD_SUCCESS;
}

static RESPONSECODE answer_sw(uint8_t sw1, uint8_t sw2, PUCHAR RxBuffer, PDWORD RxLength)
{
	if (*RxLength < 2) {
		*RxLength = 0;
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	}
	RxBuffer[0] = sw1;
	RxBuffer[1] = sw2;
	*RxLength = 2;
	return IFD_SUCCESS;
}

static RESPONSECODE ifd_error(struct reader *r, int err)
{
	say("%s: command failed: %s (%s)", r->channel, smchan_errname(-err), strerror(err));
	switch (err) {
	case ENOMEDIUM:
	case ENXIO:
	case ENODEV:
	case ENOENT:
		return IFD_ICC_NOT_PRESENT;
	case ETIMEDOUT:
		return IFD_RESPONSE_TIMEOUT;
	default:
		return IFD_COMMUNICATION_ERROR;
	}
}

/* One command through /dev/smchan: its answer's length, or -errno. */
static ssize_t exchange(struct reader *r, const uint8_t *cmd, size_t len)
{
	ssize_t n;
	int err, tries;

	for (tries = 0; tries < 2; tries++) {
		err = attach(r);
		if (err)
			return err;
		n = write(r->fd, cmd, len);
		if (n < 0 && errno == EBUSY && !tries) {
			/* An answer left unread (a read that failed): drop it. */
			(void)!read(r->fd, r->rsp, ANSWER_MAX);
			continue;
		}
		if (n < 0 && errno == ENODEV && !tries) {
			/* The channel was deleted and perhaps added again. */
			close_file(r);
			continue;
		}
		if (n < 0)
			return -errno;
		n = read(r->fd, r->rsp, ANSWER_MAX);
		if (n < 0)
			return -errno;
		return n;
	}
	return -EIO;
}

IFD_EXPORT RESPONSECODE IFDHTransmitToICC(DWORD Lun, SCARD_IO_HEADER SendPci, PUCHAR TxBuffer,
			       DWORD TxLength, PUCHAR RxBuffer, PDWORD RxLength,
			       PSCARD_IO_HEADER RecvPci)
{
	struct reader *r = find(Lun);
	RESPONSECODE rc;
	ssize_t n;

	(void)SendPci;
	if (!RxLength)
		return IFD_COMMUNICATION_ERROR;
	if (!r) {
		*RxLength = 0;
		return IFD_NO_SUCH_DEVICE;
	}
	if (RecvPci)
		RecvPci->Protocol = SCARD_PROTOCOL_T1;
	if (TxLength >= 1 && (TxBuffer[0] & 0xEC) != 0x00 && (TxBuffer[0] & 0xEC) != 0x80)
		return answer_sw(0x6E, 0x00, RxBuffer, RxLength);
	if (TxLength < 4)
		return answer_sw(0x67, 0x00, RxBuffer, RxLength);
	pthread_mutex_lock(&r->io_lock);
	if (!r->rsp) {
		pthread_mutex_unlock(&r->io_lock);
		*RxLength = 0;
		return IFD_NO_SUCH_DEVICE;
	}
	n = exchange(r, TxBuffer, TxLength);
	if (n == -EINVAL || n == -EMSGSIZE) {
		say("%s: the kernel refused the command (%s): answered 67 00", r->channel,
		    smchan_errname((int)n));
		rc = answer_sw(0x67, 0x00, RxBuffer, RxLength);
	} else if (n < 0) {
		if (n == -ENODEV || n == -ENOENT)
			close_file(r);
		*RxLength = 0;
		rc = ifd_error(r, (int)-n);
	} else if ((size_t)n > *RxLength) {
		*RxLength = 0;
		rc = IFD_ERROR_INSUFFICIENT_BUFFER;
	} else {
		memcpy(RxBuffer, r->rsp, (size_t)n);
		*RxLength = (DWORD)n;
		rc = IFD_SUCCESS;
	}
	if (n > 0)
		smchan_wipe(r->rsp, (size_t)n);
	pthread_mutex_unlock(&r->io_lock);
	return rc;
}

static RESPONSECODE put_byte(PDWORD Length, PUCHAR Value, UCHAR v)
{
	if (*Length < 1)
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	Value[0] = v;
	*Length = 1;
	return IFD_SUCCESS;
}

IFD_EXPORT RESPONSECODE IFDHGetCapabilities(DWORD Lun, DWORD Tag, PDWORD Length, PUCHAR Value)
{
	struct reader *r = find(Lun);
	RESPONSECODE rc = IFD_SUCCESS;

	if (!Length || !Value)
		return IFD_COMMUNICATION_ERROR;
	switch (Tag) {
	case TAG_IFD_ATR:
	case SCARD_ATTR_ATR_STRING:
		if (!r)
			return IFD_NO_SUCH_DEVICE;
		pthread_mutex_lock(&r->nl_lock);
		if (*Length < r->atr_len) {
			rc = IFD_ERROR_INSUFFICIENT_BUFFER;
		} else {
			memcpy(Value, r->atr, r->atr_len);
			*Length = r->atr_len;
		}
		pthread_mutex_unlock(&r->nl_lock);
		return rc;
	case TAG_IFD_SIMULTANEOUS_ACCESS:
		return put_byte(Length, Value, MAX_READERS);
	case TAG_IFD_THREAD_SAFE:
		return put_byte(Length, Value, 1);
	case TAG_IFD_SLOTS_NUMBER:
		return put_byte(Length, Value, 1);
	case TAG_IFD_SLOT_THREAD_SAFE:
		return put_byte(Length, Value, 0);
	default:
		return IFD_ERROR_TAG;
	}
}

IFD_EXPORT RESPONSECODE IFDHSetCapabilities(DWORD Lun, DWORD Tag, DWORD Length, PUCHAR Value)
{
	(void)Lun;
	(void)Tag;
	(void)Length;
	(void)Value;
	return IFD_ERROR_TAG;
}

/* The card speaks to its own reader; here every protocol is the same
 * APDU exchange, reported as T=1. */
IFD_EXPORT RESPONSECODE IFDHSetProtocolParameters(DWORD Lun, DWORD Protocol, UCHAR Flags, UCHAR PTS1,
				       UCHAR PTS2, UCHAR PTS3)
{
	(void)Flags;
	(void)PTS1;
	(void)PTS2;
	(void)PTS3;
	if (!find(Lun))
		return IFD_NO_SUCH_DEVICE;
	if (Protocol != SCARD_PROTOCOL_T0 && Protocol != SCARD_PROTOCOL_T1)
		return IFD_PROTOCOL_NOT_SUPPORTED;
	return IFD_SUCCESS;
}

IFD_EXPORT RESPONSECODE IFDHControl(DWORD Lun, DWORD dwControlCode, PUCHAR TxBuffer, DWORD TxLength,
			 PUCHAR RxBuffer, DWORD RxLength, LPDWORD pdwBytesReturned)
{
	(void)Lun;
	(void)dwControlCode;
	(void)TxBuffer;
	(void)TxLength;
	(void)RxBuffer;
	(void)RxLength;
	if (pdwBytesReturned)
		*pdwBytesReturned = 0;
	return IFD_ERROR_NOT_SUPPORTED;
}
