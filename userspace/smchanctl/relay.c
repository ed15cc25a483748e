// SPDX-License-Identifier: GPL-2.0
/*
 * smchanctl relay: the transport between smchan channels and PC/SC readers.
 *
 * One thread watches the "events" group and the channel list; every
 * channel with a reader gets a worker thread with its own netlink socket
 * (bound to that channel only: TRANSPORT_BIND) and its own PC/SC context.
 * A worker:
 *   - binds its channel only once the channel's reader is present (and
 *     says once that it is missing);
 *   - answers each TRANSMIT exactly once, with the card's whole answer
 *     (61 xx continuations fetched with GET RESPONSE on the command's
 *     logical channel; at most SMCHAN_NL_DATA_MAX bytes, EMSGSIZE beyond)
 *     or an errno;
 *   - holds its card exclusively (SCARD_SHARE_EXCLUSIVE) from the first
 *     command on, so that each exchange is one pcscd round trip and no
 *     other PC/SC client can slip a plain command between two protected
 *     ones (which ends the card's session); with --shared, it connects
 *     shared and holds a PC/SC transaction around each exchange instead
 *     (three round trips);
 *   - never starts a command whose deadline has passed (the kernel has
 *     answered the application already): ETIMEDOUT instead;
 *   - has a watcher thread with its own PC/SC context that waits in
 *     SCardGetStatusChange for its reader's events (and pcscd's reader
 *     list), so that nothing about the reader is asked on the command
 *     path; on an event the worker looks at the reader between two
 *     netlink waits and reports the card inserted (with its ATR, which
 *     the channel's info then shows: the smchan PC/SC reader gives it to
 *     applications) or removed (CARD_STATUS), so that the kernel ends the
 *     session when the card goes and starts a new one when it is back;
 *   - re-establishes its PC/SC context with backoff when pcscd goes away
 *     (SCARD_E_NO_SERVICE), and its binding when the channel is recreated.
 * Closing a worker's socket unbinds its channel.
 *
 * The main thread follows the family's life through nlctrl's "notify"
 * group: when the module is unloaded it stops every worker, and when it is
 * loaded again it re-resolves the family, joins the new "events" group
 * and binds the channels anew, without a restart.  Lost events (ENOBUFS)
 * are made up for by listing the channels.  Without CAP_NET_ADMIN it says
 * so once and exits 1.
 *
 * PC/SC errors become these errnos in TRANSMIT_DONE (the application
 * reads them from /dev/smchan):
 *   ENOMEDIUM   no card in the reader, or it was removed
 *   ENODEV      the reader is gone, or pcscd is not running
 *   ECONNRESET  the card was reset by someone else
 *   ETIMEDOUT   the reader timed out
 *   EBUSY       another application holds the card exclusively
 *   EMSGSIZE    the command or answer does not fit
 *   EPROTO      the answer's 61 xx chain did not end within 300 pieces
 *   EIO         any other failure of the reader or card
 *
 * Logs go to stderr (--foreground) or syslog.  They never hold a key or
 * plaintext; the protected APDUs and answers are logged only with --debug.
 * With SMCHAN_RELAY_STATS=1 in its environment, each worker logs where
 * the time of its last 100 commands went (tests/bench, for
 * Documentation/performance.rst).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <winscard.h>
#include <wintypes.h>

#include "smchanctl.h"

#define MAX_WORKERS 64
#define PIECE_MAX 65548		/* pcsc-lite's MAX_BUFFER_SIZE_EXTENDED */
#define ANSWER_MAX SMCHAN_NL_DATA_MAX	/* what TRANSMIT_DONE can carry */
#define NL_WAIT_MS 250		/* longest netlink wait: the worker's tick */
#define CHAIN_MAX 300		/* 61 xx pieces of one answer, at most */
#define WATCH_WAIT_MS 2000	/* the watcher's longest wait for an event */
#define STATS_EVERY 100
#define CONFIG_POLL_MS 2000

static volatile sig_atomic_t stop;
static bool use_syslog, debug, shared, stats;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

struct worker {
	char name[SMCHAN_NAME_SIZE];
	pthread_t thread;
	int used;		/* slot taken (main thread only) */
	int quit;		/* main thread asks the worker to end */
	int done;		/* the worker has ended */
	unsigned int seen;	/* listing that saw it (main thread only) */
};

static struct worker workers[MAX_WORKERS];

static void rlog(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rlog(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio == LOG_DEBUG && !debug)
		return;
	va_start(ap, fmt);
	if (use_syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		pthread_mutex_lock(&log_lock);
		fprintf(stderr, "smchanctl relay: ");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		pthread_mutex_unlock(&log_lock);
	}
	va_end(ap);
}

/* Protected bytes only: the kernel sends nothing else. */
static void log_hex(const char *ch, const char *dir, const uint8_t *p, size_t n)
{
	char *s;
	size_t i;

	if (!debug)
		return;
	s = malloc(2 * n + 1);
	if (!s)
		return;
	for (i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02X", p[i]);
	s[2 * n] = '\0';
	rlog(LOG_DEBUG, "%s %s %s", ch, dir, s);
	free(s);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static const char *pcsc_err(LONG rv)
{
	return pcsc_stringify_error(rv);
}

static int pcsc_errno(LONG rv)
{
	switch (rv) {
	case SCARD_E_NO_SMARTCARD:
	case SCARD_W_REMOVED_CARD:
		return ENOMEDIUM;
	case SCARD_E_UNKNOWN_READER:
	case SCARD_E_READER_UNAVAILABLE:
	case SCARD_E_NO_READERS_AVAILABLE:
	case SCARD_E_NO_SERVICE:
	case SCARD_E_SERVICE_STOPPED:
		return ENODEV;
	case SCARD_W_RESET_CARD:
		return ECONNRESET;
	case SCARD_E_TIMEOUT:
		return ETIMEDOUT;
	case SCARD_E_SHARING_VIOLATION:
		return EBUSY;
	case SCARD_E_INSUFFICIENT_BUFFER:
		return EMSGSIZE;
	default:
		return EIO;
	}
}

/* The context itself is gone: pcscd stopped or restarted. */
static bool context_lost(LONG rv)
{
	return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED ||
	       rv == SCARD_E_INVALID_HANDLE || rv == SCARD_F_COMM_ERROR;
}

/*
 * The watcher thread of a worker: waits for reader events on its own
 * context (a context's SCardGetStatusChange would hold up the worker's
 * SCardTransmit) and raises "changed"; the worker cancels its wait when
 * it wants another reader watched.
 */
struct watch {
	pthread_t thread;
	bool running;
	int quit;			/* atomic: the worker asks it to end */
	int changed;			/* atomic: an event since the worker looked */
	pthread_mutex_t lock;		/* protects the next 3 fields */
	char reader[SMCHAN_READER_MAX];	/* the reader to watch ("": none) */
	SCARDCONTEXT ctx;
	bool have_ctx;
};

/* Where the time of the last commands went (SMCHAN_RELAY_STATS). */
struct stats {
	unsigned long n, pcsc_calls;
	double us_total, us_pcsc, us_answer, us_between;
	double t_last;			/* the last callback's end, 0: none */
};

struct relay {
	struct worker *w;
	struct smchan_nl *nl;	/* bound to the channel */
	struct smchan_nl *q;	/* channel queries */
	bool bound;
	SCARDCONTEXT ctx;
	bool have_ctx;
	SCARDHANDLE card;
	bool have_card;
	DWORD proto;
	char want[SMCHAN_READER_MAX];	/* the channel's reader setting */
	char reader[SMCHAN_READER_MAX];	/* the PC/SC name it resolved to */
	DWORD state;			/* last dwEventState */
	int reported;			/* card status told the kernel: -1 none */
	uint8_t atr[SMCHAN_ATR_MAX];	/* the ATR told with it */
	size_t atr_len;
	int backoff_ms;
	long long next_ctx, next_cfg, next_bind;
	uint32_t timeout_ms;		/* the channel's, 0: unknown */
	bool said_reader, said_service, said_busy, said_bad;
	uint8_t *piece, *answer;
	struct watch wt;
	struct stats st;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static bool quitting(struct relay *r)
{
	return stop || __atomic_load_n(&r->w->quit, __ATOMIC_ACQUIRE);
}

static void drop_card(struct relay *r)
{
	if (r->have_card)
		SCardDisconnect(r->card, SCARD_LEAVE_CARD);
	r->have_card = false;
}

static void drop_ctx(struct relay *r)
{
	drop_card(r);
	if (r->have_ctx)
		SCardReleaseContext(r->ctx);
	r->have_ctx = false;
	r->reader[0] = '\0';
	r->state = SCARD_STATE_UNAWARE;
}

/* Tells the kernel the card's presence and, for a present card, its ATR
 * (atr_len 0: none known), when either changed. */
static void report_atr(struct relay *r, int present, const uint8_t *atr, size_t atr_len)
{
	int err;

	if (atr_len < 2 || atr_len > SMCHAN_ATR_MAX || !present)
		atr_len = 0;
	if (!r->bound || (present == r->reported && atr_len == r->atr_len &&
			  !memcmp(atr, r->atr, atr_len)))
		return;
	err = smchan_card_status_atr(r->nl, r->w->name, present, atr_len ? atr : NULL,
				     atr_len);
	if (err) {
		rlog(LOG_WARNING, "%s: Unable to report the card %s: %s", r->w->name,
		     present ? "present" : "absent", smchan_strerror(err));
		return;
	}
	if (present && r->reported != 1)
		rlog(LOG_INFO, "%s: card present in `%s'", r->w->name, r->reader);
	else if (!present && r->reported == 1)
		rlog(LOG_INFO, "%s: card removed: the session has ended", r->w->name);
	else if (!present)
		rlog(LOG_INFO, "%s: no card", r->w->name);
	r->reported = present;
	memcpy(r->atr, atr, atr_len);
	r->atr_len = atr_len;
}

static void report(struct relay *r, int present)
{
	report_atr(r, present, NULL, 0);
}

/* Reads the channel's reader setting; -1 when the channel is gone. */
static int refresh_config(struct relay *r)
{
	struct smchan_channel_info info;
	int err;

	err = smchan_channel_get(r->q, r->w->name, &info);
	if (err == -ENOENT || err == -ENODEV)
		return -1;
	if (err)
		return 0;
	if (info.present & SMCHAN_INFO_TIMEOUT_MS)
		r->timeout_ms = info.timeout_ms;
	if (strcmp(info.reader, r->want)) {
		if (r->want[0])
			rlog(LOG_INFO, "%s: reader changed to `%s'", r->w->name, info.reader);
		snprintf(r->want, sizeof(r->want), "%s", info.reader);
		drop_card(r);
		r->reader[0] = '\0';
		r->state = SCARD_STATE_UNAWARE;
		r->said_reader = false;
	}
	return 0;
}

/* The PC/SC reader for r->want: its exact name, or the only reader whose
 * name contains it. */
static void resolve_reader(struct relay *r)
{
	LPSTR list = NULL;
	DWORD len = SCARD_AUTOALLOCATE;
	const char *p, *found = NULL;
	int matches = 0;
	LONG rv;

	if (!r->want[0])
		return;
	rv = SCardListReaders(r->ctx, NULL, (LPSTR)&list, &len);
	if (rv == SCARD_S_SUCCESS) {
		for (p = list; *p; p += strlen(p) + 1) {
			if (!strcmp(p, r->want)) {
				found = p;
				matches = 1;
				break;
			}
			if (strstr(p, r->want)) {
				found = p;
				matches++;
			}
		}
		if (matches == 1) {
			snprintf(r->reader, sizeof(r->reader), "%s", found);
			r->state = SCARD_STATE_UNAWARE;
			r->said_reader = false;
			rlog(LOG_INFO, "%s: using reader `%s'", r->w->name, r->reader);
		} else if (matches > 1 && !r->said_reader) {
			rlog(LOG_WARNING, "%s: `%s' matches several readers; give its full name",
			     r->w->name, r->want);
			r->said_reader = true;
		}
		SCardFreeMemory(r->ctx, list);
	} else if (context_lost(rv)) {
		drop_ctx(r);
		return;
	}
	if (!r->reader[0] && !r->said_reader) {
		if (r->bound)
			rlog(LOG_INFO, "%s: waiting for reader `%s'", r->w->name, r->want);
		else
			rlog(LOG_WARNING, "%s: reader `%s' is not present: not relaying until it appears",
			     r->w->name, r->want);
		r->said_reader = true;
	}
}

static void check_status(struct relay *r)
{
	SCARD_READERSTATE rs;
	DWORD ev;
	LONG rv;
	bool present, swapped;

	memset(&rs, 0, sizeof(rs));
	rs.szReader = r->reader;
	rs.dwCurrentState = r->state;
	rv = SCardGetStatusChange(r->ctx, 0, &rs, 1);
	if (rv == SCARD_E_TIMEOUT)
		return;			/* nothing changed */
	if (rv != SCARD_S_SUCCESS) {
		if (context_lost(rv)) {
			rlog(LOG_WARNING, "%s: pcscd went away (%s, 0x%lX)", r->w->name,
			     pcsc_err(rv), (unsigned long)rv);
			drop_ctx(r);
			report(r, 0);
		} else if (rv == SCARD_E_UNKNOWN_READER) {
			goto gone;
		}
		return;
	}
	ev = rs.dwEventState;
	if (ev & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE | SCARD_STATE_IGNORE))
		goto gone;
	present = (ev & SCARD_STATE_PRESENT) && !(ev & SCARD_STATE_MUTE);
	/* The event counter (high word) moved while the card looked present
	 * throughout: it was removed and put back between two looks. */
	swapped = r->state != SCARD_STATE_UNAWARE && (r->state & SCARD_STATE_PRESENT) &&
		  present && (ev >> 16) != (r->state >> 16);
	r->state = ev & ~(DWORD)SCARD_STATE_CHANGED;
	if (swapped || !present) {
		drop_card(r);
		report(r, 0);
	}
	if (present)
		report_atr(r, 1, rs.rgbAtr, rs.cbAtr);
	return;
gone:
	rlog(LOG_INFO, "%s: reader `%s' is gone", r->w->name, r->reader);
	drop_card(r);
	r->reader[0] = '\0';
	r->state = SCARD_STATE_UNAWARE;
	r->said_reader = false;
	report(r, 0);
}

static LONG connect_card(struct relay *r)
{
	LONG rv;

	rv = SCardConnect(r->ctx, r->reader, shared ? SCARD_SHARE_SHARED : SCARD_SHARE_EXCLUSIVE,
			  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &r->card, &r->proto);
	r->st.pcsc_calls++;
	if (rv == SCARD_S_SUCCESS) {
		r->have_card = true;
		rlog(LOG_DEBUG, "%s: connected to the card (T=%d, %s)", r->w->name,
		     r->proto == SCARD_PROTOCOL_T1, shared ? "shared" : "exclusive");
	} else if (rv == SCARD_E_SHARING_VIOLATION) {
		rlog(LOG_WARNING, "%s: another application holds the card in `%s'",
		     r->w->name, r->reader);
	}
	return rv;
}

static LONG transmit(struct relay *r, const uint8_t *cmd, size_t len, uint8_t *out,
		     DWORD *out_len)
{
	const SCARD_IO_REQUEST *pci = r->proto == SCARD_PROTOCOL_T1 ?
		SCARD_PCI_T1 : SCARD_PCI_T0;

	*out_len = PIECE_MAX;
	r->st.pcsc_calls++;
	return SCardTransmit(r->card, pci, cmd, (DWORD)len, NULL, out, out_len);
}

/*
 * One command and its whole answer (61 xx pieces fetched and joined) with
 * the card held exclusively (or, --shared, in one transaction), unless
 * deadline (CLOCK_MONOTONIC ms, 0: none) has passed before the command or
 * a GET RESPONSE would go to the card: -ETIMEDOUT then. A chain still
 * going after CHAIN_MAX pieces is not an answer: -EPROTO (without it a
 * card or wire that answers 61 00 forever would cost up to CHAIN_MAX
 * round trips here for each of the kernel's own CHAIN_MAX GET RESPONSEs).
 * Returns the answer's length, or -errno.
 */
static long exchange(struct relay *r, const uint8_t *cmd, size_t len,
		     long long deadline)
{
	/* ISO 7816-4: GET RESPONSE on the command's logical channel. */
	uint8_t gr[5] = { smchan_get_response_cla(len ? cmd[0] : 0), 0xC0, 0x00, 0x00, 0x00 };
	bool too_big = false, endless = false, late = false;
	size_t total = 0;
	DWORD n;
	LONG rv, end;
	int pieces = 0;

	if (!r->have_ctx || !r->reader[0])
		return -ENODEV;
	if (deadline && now_ms() >= deadline)
		return -ETIMEDOUT;
	if (!r->have_card) {
		rv = connect_card(r);
		if (rv != SCARD_S_SUCCESS)
			goto fail;
	}
	if (!shared)
		goto send;
	rv = SCardBeginTransaction(r->card);
	r->st.pcsc_calls++;
	if (rv == SCARD_W_RESET_CARD || rv == SCARD_W_REMOVED_CARD) {
		/* The card changed since we connected: whatever session it had
		 * is gone.  Reconnect, and fail this command. */
		drop_card(r);
		goto fail;
	}
	if (rv != SCARD_S_SUCCESS)
		goto fail;
	/* The transaction may have waited for another application. */
	if (deadline && now_ms() >= deadline) {
		SCardEndTransaction(r->card, SCARD_LEAVE_CARD);
		return -ETIMEDOUT;
	}
send:
	rv = transmit(r, cmd, len, r->piece, &n);
	while (rv == SCARD_S_SUCCESS && n >= 2 && r->piece[n - 2] == 0x61) {
		if (++pieces == CHAIN_MAX) {
			endless = true;
			break;
		}
		if (deadline && now_ms() >= deadline) {
			late = true;
			break;
		}
		if (total + n - 2 > ANSWER_MAX) {
			too_big = true;
			break;
		}
		memcpy(r->answer + total, r->piece, n - 2);
		total += n - 2;
		gr[4] = r->piece[n - 1];
		rv = transmit(r, gr, sizeof(gr), r->piece, &n);
	}
	end = SCARD_S_SUCCESS;
	if (shared) {
		end = SCardEndTransaction(r->card, SCARD_LEAVE_CARD);
		r->st.pcsc_calls++;
	}
	if (rv == SCARD_S_SUCCESS && n < 2)
		rv = SCARD_F_COMM_ERROR;
	if (rv != SCARD_S_SUCCESS) {
		if (rv == SCARD_W_RESET_CARD || rv == SCARD_W_REMOVED_CARD ||
		    rv == SCARD_E_NO_SMARTCARD)
			drop_card(r);
		goto fail;
	}
	if (endless) {
		rlog(LOG_WARNING, "%s: the card's answer is a 61 xx chain of over %d pieces: EPROTO",
		     r->w->name, CHAIN_MAX);
		return -EPROTO;
	}
	if (late)
		return -ETIMEDOUT;
	if (too_big || total + n > ANSWER_MAX) {
		rlog(LOG_WARNING, "%s: the card's answer is longer than %d bytes: EMSGSIZE",
		     r->w->name, ANSWER_MAX);
		return -EMSGSIZE;
	}
	memcpy(r->answer + total, r->piece, n);
	total += n;
	if (end != SCARD_S_SUCCESS)
		rlog(LOG_DEBUG, "%s: SCardEndTransaction: %s", r->w->name, pcsc_err(end));
	return (long)total;
fail:
	rlog(rv == SCARD_E_NO_SMARTCARD ? LOG_DEBUG : LOG_WARNING,
	     "%s: `%s': %s (0x%lX)", r->w->name, r->reader, pcsc_err(rv),
	     (unsigned long)rv);
	if (context_lost(rv)) {
		drop_ctx(r);
		report(r, 0);
	} else if (rv == SCARD_E_NO_SMARTCARD || rv == SCARD_W_REMOVED_CARD) {
		drop_card(r);
	}
	return -pcsc_errno(rv);
}

/* One command's times; every STATS_EVERY commands, their averages. */
static void count(struct relay *r, double t0, double t1, double t2)
{
	struct stats *st = &r->st;
	double t3 = now_us(), n;

	st->n++;
	st->us_total += t3 - t0;
	st->us_pcsc += t2 - t1;
	st->us_answer += t3 - t2;
	if (st->t_last)
		st->us_between += t0 - st->t_last;
	st->t_last = t3;
	if (st->n < STATS_EVERY)
		return;
	n = (double)st->n;
	rlog(LOG_INFO, "%s: timing of %lu commands, mean us: in the relay %.0f = PC/SC %.0f (%.2f calls) + answer to the kernel %.0f + rest %.0f; from one answer to the next request %.0f",
	     r->w->name, st->n, st->us_total / n, st->us_pcsc / n,
	     (double)st->pcsc_calls / n, st->us_answer / n,
	     (st->us_total - st->us_pcsc - st->us_answer) / n,
	     st->us_between / (n - 1));
	memset(st, 0, sizeof(*st));
}

static int on_transmit(struct smchan_nl *h, const struct smchan_transmit *t, void *arg)
{
	struct relay *r = arg;
	long long deadline = t->deadline_ms;
	double t0 = stats ? now_us() : 0, t1 = 0, t2 = 0;
	long n;
	int err;

	if (strcmp(t->channel, r->w->name)) {
		/* Not ours: cannot happen with one channel per socket. */
		smchan_transport_error(h, t->channel, t->request_id, EIO);
		return 0;
	}
	/* A kernel that does not say: the channel's timeout. */
	if (!deadline && r->timeout_ms)
		deadline = t->queued_ms + r->timeout_ms;
	log_hex(r->w->name, ">", t->apdu, t->apdu_len);
	if (stats)
		t1 = now_us();
	n = exchange(r, t->apdu, t->apdu_len, deadline);
	if (stats)
		t2 = now_us();
	if (n == -ETIMEDOUT && deadline && now_ms() >= deadline)
		rlog(LOG_WARNING, "%s: request %llu expired before it reached the card (%lld ms late): ETIMEDOUT",
		     r->w->name, (unsigned long long)t->request_id, now_ms() - deadline);
	if (n < 0) {
		rlog(LOG_DEBUG, "%s: answering %s", r->w->name, smchan_errname((int)n));
		err = smchan_transport_error(h, t->channel, t->request_id, (uint32_t)-n);
		if (n == -ENOMEDIUM)
			report(r, 0);
	} else {
		log_hex(r->w->name, "<", r->answer, (size_t)n);
		err = smchan_transport_reply(h, t->channel, t->request_id, r->answer,
					     (size_t)n);
		if (r->answer)
			smchan_wipe(r->answer, (size_t)n);
		if (err == -EMSGSIZE)	/* never a wrapped length */
			err = smchan_transport_error(h, t->channel, t->request_id,
						     EMSGSIZE);
	}
	if (err)
		rlog(LOG_DEBUG, "%s: the kernel did not take the answer: %s%s%s",
		     r->w->name, smchan_strerror(err),
		     smchan_nl_last_error(h)[0] ? ": " : "", smchan_nl_last_error(h));
	if (stats)
		count(r, t0, t1, t2);
	return 0;
}

static void try_bind(struct relay *r)
{
	int err;

	err = smchan_transport_bind(r->nl, r->w->name);
	if (!err) {
		r->bound = true;
		r->reported = -1;
		r->atr_len = 0;
		r->state = SCARD_STATE_UNAWARE;	/* tell the kernel the card's state */
		r->said_busy = false;
		rlog(LOG_INFO, "%s: relaying to `%s'", r->w->name, r->want);
		return;
	}
	if (err == -EBUSY && !r->said_busy) {
		rlog(LOG_WARNING, "%s: another transport relays it; retrying", r->w->name);
		r->said_busy = true;
	} else if (err != -EBUSY) {
		rlog(LOG_WARNING, "%s: Unable to bind: %s", r->w->name, smchan_strerror(err));
	}
	r->next_bind = now_ms() + 1000;
}

static void try_context(struct relay *r)
{
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &r->ctx);

	if (rv == SCARD_S_SUCCESS) {
		r->have_ctx = true;
		r->backoff_ms = 250;
		if (r->said_service)
			rlog(LOG_INFO, "%s: pcscd is back", r->w->name);
		r->said_service = false;
		return;
	}
	if (!r->said_service)
		rlog(LOG_WARNING, "%s: no PC/SC service (%s, 0x%lX); retrying",
		     r->w->name, pcsc_err(rv), (unsigned long)rv);
	r->said_service = true;
	r->next_ctx = now_ms() + r->backoff_ms;
	if (r->backoff_ms < 4000)
		r->backoff_ms *= 2;
}

static bool watch_quitting(struct watch *wt)
{
	return stop || __atomic_load_n(&wt->quit, __ATOMIC_ACQUIRE);
}

static void watch_sleep(struct watch *wt, int ms)
{
	for (; ms > 0 && !watch_quitting(wt); ms -= 50)
		sleep_ms(50);
}

static void *watch_main(void *arg)
{
	static const char pnp[] = "\\\\?PnP?\\Notification";
	struct watch *wt = arg;
	SCARD_READERSTATE rs[2];
	char name[SMCHAN_READER_MAX] = "";
	DWORD cur = SCARD_STATE_UNAWARE, list = SCARD_STATE_UNAWARE;
	SCARDCONTEXT ctx = 0;
	bool have_ctx = false, skip = false, changed;
	int backoff = 250, n, i;
	LONG rv;

	while (!watch_quitting(wt)) {
		if (!have_ctx) {
			rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
			if (rv != SCARD_S_SUCCESS) {
				watch_sleep(wt, backoff);
				if (backoff < 4000)
					backoff *= 2;
				continue;
			}
			pthread_mutex_lock(&wt->lock);
			wt->ctx = ctx;
			wt->have_ctx = have_ctx = true;
			pthread_mutex_unlock(&wt->lock);
			backoff = 250;
			cur = list = SCARD_STATE_UNAWARE;
			__atomic_store_n(&wt->changed, 1, __ATOMIC_RELEASE);
		}
		pthread_mutex_lock(&wt->lock);
		if (strcmp(name, wt->reader)) {
			snprintf(name, sizeof(name), "%s", wt->reader);
			cur = SCARD_STATE_UNAWARE;
			skip = false;
		}
		pthread_mutex_unlock(&wt->lock);
		memset(rs, 0, sizeof(rs));
		n = 0;
		if (name[0] && !skip) {
			rs[n].szReader = name;
			rs[n++].dwCurrentState = cur;
		}
		rs[n].szReader = pnp;
		rs[n++].dwCurrentState = list;
		rv = SCardGetStatusChange(ctx, WATCH_WAIT_MS, rs, (DWORD)n);
		if (watch_quitting(wt))
			break;
		if (rv == SCARD_S_SUCCESS) {
			changed = false;
			for (i = 0; i < n; i++)
				changed |= !!(rs[i].dwEventState & SCARD_STATE_CHANGED);
			if (n == 2) {
				cur = rs[0].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
				skip = rs[0].dwEventState & (SCARD_STATE_UNKNOWN | SCARD_STATE_IGNORE);
			}
			list = rs[n - 1].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
			if (changed)
				__atomic_store_n(&wt->changed, 1, __ATOMIC_RELEASE);
			else
				watch_sleep(wt, 100);	/* never a busy loop */
		} else if (rv == SCARD_E_TIMEOUT || rv == SCARD_E_CANCELLED) {
			continue;
		} else if (rv == SCARD_E_UNKNOWN_READER) {
			skip = true;
			__atomic_store_n(&wt->changed, 1, __ATOMIC_RELEASE);
		} else {
			/* pcscd went away (or worse): a new context. */
			pthread_mutex_lock(&wt->lock);
			wt->have_ctx = have_ctx = false;
			pthread_mutex_unlock(&wt->lock);
			SCardReleaseContext(ctx);
			__atomic_store_n(&wt->changed, 1, __ATOMIC_RELEASE);
			watch_sleep(wt, backoff);
		}
	}
	pthread_mutex_lock(&wt->lock);
	wt->have_ctx = false;
	pthread_mutex_unlock(&wt->lock);
	if (have_ctx)
		SCardReleaseContext(ctx);
	return NULL;
}

/* The reader the watcher should watch; its wait is cancelled for it. */
static void watch_set(struct watch *wt, const char *reader)
{
	pthread_mutex_lock(&wt->lock);
	if (strcmp(wt->reader, reader)) {
		snprintf(wt->reader, sizeof(wt->reader), "%s", reader);
		if (wt->have_ctx)
			SCardCancel(wt->ctx);
	}
	pthread_mutex_unlock(&wt->lock);
}

static void watch_stop(struct watch *wt)
{
	if (!wt->running)
		return;
	__atomic_store_n(&wt->quit, 1, __ATOMIC_RELEASE);
	pthread_mutex_lock(&wt->lock);
	if (wt->have_ctx)
		SCardCancel(wt->ctx);
	pthread_mutex_unlock(&wt->lock);
	pthread_join(wt->thread, NULL);
	wt->running = false;
}

static void *worker_main(void *arg)
{
	struct relay r;
	long long now;
	int err;

	memset(&r, 0, sizeof(r));
	r.w = arg;
	r.reported = -1;
	r.backoff_ms = 250;
	r.piece = malloc(PIECE_MAX);
	r.answer = malloc(ANSWER_MAX);
	r.nl = smchan_nl_open();
	r.q = smchan_nl_open();
	pthread_mutex_init(&r.wt.lock, NULL);
	if (!r.piece || !r.answer || !r.nl || !r.q) {
		rlog(LOG_ERR, "%s: Unable to start: %s", r.w->name, strerror(errno));
		goto out;
	}
	/* (all signals blocked: the watcher inherits that) */
	err = pthread_create(&r.wt.thread, NULL, watch_main, &r.wt);
	if (err) {
		rlog(LOG_ERR, "%s: Unable to start: %s", r.w->name, strerror(err));
		goto out;
	}
	r.wt.running = true;
	while (!quitting(&r)) {
		bool look = __atomic_exchange_n(&r.wt.changed, 0, __ATOMIC_ACQ_REL);

		now = now_ms();
		if (now >= r.next_cfg) {
			if (refresh_config(&r)) {
				rlog(LOG_INFO, "%s: channel deleted", r.w->name);
				break;
			}
			r.next_cfg = now + CONFIG_POLL_MS;
		}
		/* Bound only while its reader is there (resolved below). */
		if (!r.bound && now >= r.next_bind && r.reader[0])
			try_bind(&r);
		if (!r.have_ctx && now >= r.next_ctx)
			try_context(&r);
		if (r.have_ctx && !r.reader[0])
			resolve_reader(&r);
		/* The reader is asked only when the watcher saw an event
		 * (or nobody has looked yet): never between two commands. */
		if (r.have_ctx && r.reader[0]) {
			if (look || r.state == SCARD_STATE_UNAWARE)
				check_status(&r);
		} else {
			report(&r, 0);
		}
		watch_set(&r.wt, r.reader);
		if (!r.bound) {
			sleep_ms(NL_WAIT_MS);
			continue;
		}
		err = smchan_transport_poll(r.nl, NL_WAIT_MS, on_transmit, &r);
		if (!r.said_bad) {
			struct smchan_bad_requests b;

			smchan_transport_bad_requests(r.nl, &b);
			if (b.answered || b.dropped) {
				rlog(LOG_WARNING, "%s: requests the relay could not read: %lu answered with an error, %lu dropped (said once)",
				     r.w->name, b.answered, b.dropped);
				r.said_bad = true;
			}
		}
		if (err < 0 && err != -EINTR) {
			/* The socket broke: a new one, bound again. */
			rlog(LOG_WARNING, "%s: netlink: %s; rebinding", r.w->name,
			     smchan_strerror(err));
			smchan_nl_close(r.nl);
			r.nl = smchan_nl_open();
			r.bound = false;
			if (!r.nl)
				break;
		}
	}
out:
	watch_stop(&r.wt);
	pthread_mutex_destroy(&r.wt.lock);
	drop_ctx(&r);
	if (r.nl)
		smchan_nl_close(r.nl);	/* unbinds */
	if (r.q)
		smchan_nl_close(r.q);
	free(r.piece);
	if (r.answer)
		smchan_wipe(r.answer, ANSWER_MAX);
	free(r.answer);
	__atomic_store_n(&r.w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void reap(bool all)
{
	int i;

	for (i = 0; i < MAX_WORKERS; i++) {
		struct worker *w = &workers[i];

		if (!w->used)
			continue;
		if (all)
			__atomic_store_n(&w->quit, 1, __ATOMIC_RELEASE);
		if (all || __atomic_load_n(&w->done, __ATOMIC_ACQUIRE)) {
			pthread_join(w->thread, NULL);
			memset(w, 0, sizeof(*w));
		}
	}
}

static void start_worker(const char *name)
{
	struct worker *free_slot = NULL;
	sigset_t all, old;
	int i;

	reap(false);
	for (i = 0; i < MAX_WORKERS; i++) {
		if (workers[i].used && !strcmp(workers[i].name, name) &&
		    !__atomic_load_n(&workers[i].quit, __ATOMIC_ACQUIRE))
			return;
		if (!workers[i].used && !free_slot)
			free_slot = &workers[i];
	}
	if (!free_slot) {
		rlog(LOG_ERR, "%s: more than %d channels; not relayed", name, MAX_WORKERS);
		return;
	}
	memset(free_slot, 0, sizeof(*free_slot));
	snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
	/* Signals go to the main thread only. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&free_slot->thread, NULL, worker_main, free_slot)) {
		rlog(LOG_ERR, "%s: Unable to start a thread", name);
	} else {
		free_slot->used = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void stop_worker(const char *name)
{
	int i;

	for (i = 0; i < MAX_WORKERS; i++)
		if (workers[i].used && !strcmp(workers[i].name, name))
			__atomic_store_n(&workers[i].quit, 1, __ATOMIC_RELEASE);
}

static void stop_all(void)
{
	int i;

	for (i = 0; i < MAX_WORKERS; i++)
		if (workers[i].used)
			__atomic_store_n(&workers[i].quit, 1, __ATOMIC_RELEASE);
}

static unsigned int listing;	/* the number of the current listing */

static int add_channel(const struct smchan_channel_info *info, void *arg)
{
	int i;

	(void)arg;
	start_worker(info->name);
	for (i = 0; i < MAX_WORKERS; i++)
		if (workers[i].used && !strcmp(workers[i].name, info->name))
			workers[i].seen = listing;
	return 0;
}

/* Lists the channels: a worker for each, none for a channel that is gone
 * (its CHANNEL_DEL may have been lost). */
static int sync_channels(struct smchan_nl *q)
{
	int i, err;

	listing++;
	err = smchan_channel_dump(q, add_channel, NULL);
	if (err)
		return err;
	for (i = 0; i < MAX_WORKERS; i++)
		if (workers[i].used && workers[i].seen != listing &&
		    !__atomic_load_n(&workers[i].quit, __ATOMIC_ACQUIRE)) {
			rlog(LOG_INFO, "%s: channel gone", workers[i].name);
			__atomic_store_n(&workers[i].quit, 1, __ATOMIC_RELEASE);
		}
	return 0;
}

struct main_state {
	struct smchan_nl *q;
	bool family_gone;
	long long *next_dump;
};

static int on_event(const struct smchan_event_msg *ev, void *arg)
{
	struct main_state *m = arg;
	int err;

	if (ev->family == SMCHAN_FAMILY_GONE) {
		rlog(LOG_WARNING, "the smchan module was unloaded: channels unbound; waiting for it");
		m->family_gone = true;
		stop_all();
	} else if (ev->family == SMCHAN_FAMILY_BACK) {
		m->family_gone = false;
		stop_all();	/* whatever they had bound is gone */
		*m->next_dump = 0;
		err = smchan_nl_reresolve(m->q);
		if (err) {
			/* Gone again since (its next event says so), or not
			 * to be asked yet: the listing tries again. */
			rlog(LOG_WARNING, "the smchan module is back, but: %s; trying again",
			     smchan_strerror(err));
			return 0;
		}
		rlog(LOG_INFO, "the smchan module is back: binding its channels");
	} else if (ev->event == SMCHAN_EVENT_CHANNEL_NEW)
		start_worker(ev->channel);
	else if (ev->event == SMCHAN_EVENT_CHANNEL_DEL)
		stop_worker(ev->channel);
	else if (ev->event == SMCHAN_EVENT_SESSION_UP)
		rlog(LOG_INFO, "%s: session established", ev->channel);
	else if (ev->event == SMCHAN_EVENT_SESSION_DOWN)
		rlog(LOG_INFO, "%s: session ended (%s)", ev->channel,
		     smchan_end_reason_name(ev->end_reason));
	else if (ev->event == SMCHAN_EVENT_SM_FAILURE)
		rlog(LOG_WARNING, "%s: a response failed verification", ev->channel);
	else if (ev->event == SMCHAN_EVENT_SESSION_FAILED)
		rlog(LOG_WARNING, "%s: a session could not be established: %s", ev->channel,
		     ev->has_error ? strerror((int)ev->error) : "?");
	return 0;
}

/*
 * Every bind needs CAP_NET_ADMIN: without it each would fail with EPERM,
 * every second, for every channel.  An unbind of no channel tells (the
 * kernel checks the capability before it looks at the request).
 */
static bool may_bind(struct smchan_nl *q)
{
	return smchan_transport_unbind(q, "") != -EPERM;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int cmd_relay(int argc, char **argv)
{
	struct smchan_nl *ev = NULL, *q = NULL;
	struct sigaction sa;
	bool foreground = false, said_list = false;
	long long next_dump = 0;
	struct main_state m = { .next_dump = &next_dump };
	int i, err, rc = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--foreground") || !strcmp(argv[i], "-f")) {
			foreground = true;
		} else if (!strcmp(argv[i], "--debug") || !strcmp(argv[i], "-d")) {
			debug = true;
		} else if (!strcmp(argv[i], "--shared")) {
			shared = true;
		} else {
			bool help = !strcmp(argv[i], "--help");

			if (!help)
				fprintf(stderr, "%s: Invalid relay option: `%s'\n", prog, argv[i]);
			fprintf(help ? stdout : stderr,
				"Usage: smchanctl relay [--foreground] [--debug] [--shared]\n"
				"Relays every channel to its PC/SC reader; logs to syslog, or to\n"
				"stderr with --foreground. --debug logs the protected APDUs.\n"
				"--shared: connect to cards shared, with a PC/SC transaction\n"
				"around each exchange (default: hold them exclusively).\n");
			return help ? 0 : 2;
		}
	}
	ev = open_nl(true);
	q = ev ? open_nl(false) : NULL;
	if (!q) {
		if (ev)
			smchan_nl_close(ev);
		return 1;
	}
	if (!may_bind(q)) {
		fprintf(stderr, "%s: relay: binding a channel needs CAP_NET_ADMIN: run the relay as root or give it that capability\n",
			prog);
		smchan_nl_close(ev);
		smchan_nl_close(q);
		return 1;
	}
	m.q = q;
	stats = getenv("SMCHAN_RELAY_STATS") && !strcmp(getenv("SMCHAN_RELAY_STATS"), "1");
	if (!foreground) {
		if (daemon(0, 0)) {
			perror("smchanctl: daemon");
			return 1;
		}
		use_syslog = true;
		openlog("smchanctl-relay", LOG_PID, LOG_DAEMON);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: waits end with EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rlog(LOG_INFO, "started (smchanctl %s)", SMCHANCTL_VERSION);

	while (!stop) {
		/* Subscribed first, then listed: no channel is missed. A
		 * periodic listing also restarts workers whose channel was
		 * deleted and recreated between two looks. */
		if (now_ms() >= next_dump && !m.family_gone) {
			err = sync_channels(q);
			next_dump = now_ms() + 5000;
			if (err && !said_list)
				rlog(LOG_WARNING, "Unable to list the channels: %s",
				     smchan_strerror(err));
			said_list = err != 0;
			/* The family may have gone and come back unseen:
			 * resolve it again, and list again soon. */
			if (err && !smchan_nl_reresolve(q) && !smchan_nl_reresolve(ev)) {
				stop_all();
				next_dump = now_ms() + 500;
			}
		}
		err = smchan_events_recv(ev, 1000, on_event, &m);
		if (err == -ENOBUFS) {
			rlog(LOG_WARNING, "events lost; listing the channels again");
			next_dump = 0;
		} else if (err < 0 && err != -EINTR) {
			rlog(LOG_ERR, "events: %s", smchan_strerror(err));
			rc = 1;
			break;
		}
		reap(false);
	}
	rlog(LOG_INFO, "stopping");
	reap(true);
	smchan_nl_close(ev);
	smchan_nl_close(q);
	return rc;
}
