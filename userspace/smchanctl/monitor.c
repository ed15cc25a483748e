// SPDX-License-Identifier: GPL-2.0
/*
 * smchanctl monitor: the "events" multicast group of the smchan family,
 * one line per event, as they arrive.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "smchanctl.h"

struct mon {
	bool timestamps;
};

static int print_event(const struct smchan_event_msg *ev, void *arg)
{
	struct mon *m = arg;

	if (m->timestamps) {
		struct timespec ts;
		struct tm tm;
		char buf[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
		printf("%s.%03ld ", buf, ts.tv_nsec / 1000000);
	}
	if (ev->family == SMCHAN_FAMILY_GONE) {
		printf("(the smchan module was unloaded)\n");
		fflush(stdout);
		return 0;
	}
	if (ev->family == SMCHAN_FAMILY_BACK) {
		printf("(the smchan module was loaded: following it)\n");
		fflush(stdout);
		return 0;
	}
	printf("%s: %s", ev->channel, smchan_event_name(ev->event));
	if (ev->has_end_reason && ev->end_reason)
		printf(" (%s)", smchan_end_reason_name(ev->end_reason));
	if (ev->has_error)
		printf(" (%s)", smchan_errname(-(int)ev->error));
	putchar('\n');
	fflush(stdout);
	return 0;
}

int cmd_monitor(int argc, char **argv)
{
	struct mon m = { false };
	struct smchan_nl *h;
	int i, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--timestamp")) {
			m.timestamps = true;
		} else {
			fprintf(strcmp(argv[i], "--help") ? stderr : stdout,
				"Usage: smchanctl monitor [--timestamp]\n");
			return strcmp(argv[i], "--help") ? 2 : 0;
		}
	}
	h = open_nl(true);
	if (!h)
		return 1;
	for (;;) {
		err = smchan_events_recv(h, -1, print_event, &m);
		if (err == -ENOBUFS) {
			printf("(events lost: the socket overflowed)\n");
			fflush(stdout);
			continue;
		}
		if (err < 0 && err != -EINTR) {
			nl_failed(h, err, "receive events");
			break;
		}
	}
	smchan_nl_close(h);
	return 1;
}
