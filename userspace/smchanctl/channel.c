// SPDX-License-Identifier: GPL-2.0
/*
 * smchanctl channel|session|key|show: the administration of channels over
 * the smchan netlink family (libsmchan), and logon keys for them.
 *
 *   channel add NAME reader READER [OPTION VALUE]...
 *   channel set NAME [OPTION VALUE]...
 *   channel del NAME
 *   channel show [NAME] [--json]
 *   session start|stop NAME
 *   key add DESC key-file FILE|- [keyring user|session]
 *
 * Master keys come from a file or standard input, never from argv, and
 * are wiped once sent; the kernel never sends one back.
 */
#include <errno.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smchanctl.h"

static const char channel_usage[] =
	"Usage: smchanctl channel add NAME reader READER [OPTION VALUE]...\n"
	"       smchanctl channel set NAME [OPTION VALUE]...\n"
	"       smchanctl channel del NAME\n"
	"       smchanctl channel show [NAME] [--json]\n"
	"Options: mode ratchet|xor|list|opkey, suite aes128|aes256, group N,\n"
	"  key-file FILE|-, keyring DESC, reader READER, timeout MS,\n"
	"  rekey-limit N, auto-establish on|off\n"
	"xor, list and opkey are the patent's weak modes: use ratchet.\n";

static int check_name(const char *name)
{
	if (!*name || strlen(name) >= SMCHAN_NAME_SIZE || strchr(name, '/')) {
		fprintf(stderr, "%s: Invalid channel name: `%s' (1 to %d bytes, no '/')\n",
			prog, name, SMCHAN_NAME_SIZE - 1);
		return -1;
	}
	return 0;
}

static int parse_u32(const char *what, const char *s, unsigned long max,
		     uint32_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > max || *s == '-') {
		fprintf(stderr, "%s: Invalid %s: `%s' (0 to %lu)\n", prog, what,
			s, max);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* A reader name or a key description: 1 to max - 1 bytes (the kernel's). */
static int check_string(const char *what, const char *val, size_t max)
{
	if (!*val || strlen(val) >= max) {
		fprintf(stderr, "%s: Invalid %s: `%s' (1 to %zu bytes)\n", prog,
			what, val, max - 1);
		return -1;
	}
	return 0;
}

/*
 * The OPTION VALUE pairs of channel add and set.  Returns 0, EXIT_USAGE,
 * or 1 when the key file cannot be read.
 */
static int parse_cfg(int argc, char **argv, struct smchan_channel_cfg *cfg)
{
	uint32_t v;
	int i;

	for (i = 0; i < argc; i += 2) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val) {
			fprintf(stderr, "%s: `%s' needs a value\n", prog, opt);
			return EXIT_USAGE;
		}
		if (!strcmp(opt, "mode")) {
			cfg->mode = (uint8_t)smchan_mode_parse(val);
			if (!cfg->mode) {
				fprintf(stderr, "%s: Invalid mode: `%s' (ratchet, xor, list or opkey)\n",
					prog, val);
				return EXIT_USAGE;
			}
			cfg->present |= SMCHAN_CFG_MODE;
		} else if (!strcmp(opt, "suite")) {
			cfg->suite = (uint8_t)smchan_suite_parse(val);
			if (!cfg->suite) {
				fprintf(stderr, "%s: Invalid suite: `%s' (aes128 or aes256)\n",
					prog, val);
				return EXIT_USAGE;
			}
			cfg->present |= SMCHAN_CFG_SUITE;
		} else if (!strcmp(opt, "group")) {
			if (parse_u32("group size", val, 255, &v))
				return EXIT_USAGE;
			cfg->group_size = (uint8_t)v;
			cfg->present |= SMCHAN_CFG_GROUP_SIZE;
		} else if (!strcmp(opt, "timeout")) {
			if (parse_u32("timeout", val, UINT32_MAX, &v))
				return EXIT_USAGE;
			cfg->timeout_ms = v;
			cfg->present |= SMCHAN_CFG_TIMEOUT_MS;
		} else if (!strcmp(opt, "rekey-limit")) {
			if (parse_u32("rekey limit", val, UINT32_MAX, &v))
				return EXIT_USAGE;
			cfg->rekey_limit = v;
			cfg->present |= SMCHAN_CFG_REKEY_LIMIT;
		} else if (!strcmp(opt, "auto-establish")) {
			if (strcmp(val, "on") && strcmp(val, "off")) {
				fprintf(stderr, "%s: Invalid auto-establish: `%s' (on or off)\n",
					prog, val);
				return EXIT_USAGE;
			}
			cfg->auto_establish = !strcmp(val, "on");
			cfg->present |= SMCHAN_CFG_AUTO_ESTABLISH;
		} else if (!strcmp(opt, "reader")) {
			if (check_string("reader", val, SMCHAN_READER_SIZE))
				return EXIT_USAGE;
			strcpy(cfg->reader, val);
			cfg->present |= SMCHAN_CFG_READER;
		} else if (!strcmp(opt, "keyring")) {
			if (check_string("keyring key description", val, SMCHAN_KEYDESC_SIZE))
				return EXIT_USAGE;
			strcpy(cfg->keyring, val);
			cfg->present |= SMCHAN_CFG_KEYRING;
		} else if (!strcmp(opt, "key-file")) {
			if (read_key(val, cfg->mkey, &cfg->mkey_len))
				return 1;
			cfg->present |= SMCHAN_CFG_MKEY;
		} else {
			fprintf(stderr, "%s: Invalid channel option: `%s'\n", prog, opt);
			fputs(channel_usage, stderr);
			return EXIT_USAGE;
		}
	}
	if ((cfg->present & SMCHAN_CFG_MKEY) && (cfg->present & SMCHAN_CFG_KEYRING)) {
		fprintf(stderr, "%s: give key-file or keyring, not both\n", prog);
		return EXIT_USAGE;
	}
	/* The suite follows from a key given here unless it is named. */
	if ((cfg->present & SMCHAN_CFG_MKEY) && !(cfg->present & SMCHAN_CFG_SUITE)) {
		cfg->suite = cfg->mkey_len == 32 ? SMCHAN_SUITE_AES256 : SMCHAN_SUITE_AES128;
		cfg->present |= SMCHAN_CFG_SUITE;
	}
	return 0;
}

static void weak_warning(unsigned int mode)
{
	if (mode && mode != SMCHAN_MODE_RATCHET)
		fprintf(stderr, "Warning: mode %s is one of the patent's weak modes (%s); use ratchet except for tests\n",
			smchan_mode_name(mode),
			mode == SMCHAN_MODE_XOR ? "keys repeat every third command" :
			mode == SMCHAN_MODE_LIST ? "keys repeat from a fixed group" :
			"AND clears key bits");
}

static int channel_add_set(int argc, char **argv, bool add)
{
	struct smchan_channel_cfg cfg;
	struct smchan_nl *h;
	int err;

	if (wants_help(argc, argv)) {
		fputs(channel_usage, stdout);
		return 0;
	}
	if (argc < 2 || (add && argc < 4)) {
		fputs(channel_usage, stderr);
		return EXIT_USAGE;
	}
	if (check_name(argv[1]))
		return EXIT_USAGE;
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, argv[1]);
	err = parse_cfg(argc - 2, argv + 2, &cfg);
	if (!err && add && !(cfg.present & SMCHAN_CFG_READER)) {
		fprintf(stderr, "%s: channel add needs `reader READER'\n", prog);
		err = EXIT_USAGE;
	}
	if (err) {
		smchan_wipe(&cfg, sizeof(cfg));
		return err;
	}
	h = open_nl(false);
	if (!h) {
		smchan_wipe(&cfg, sizeof(cfg));
		return 1;
	}
	err = add ? smchan_channel_new(h, &cfg, NULL) : smchan_channel_set(h, &cfg, NULL);
	if (err)
		nl_failed(h, err, "%s channel `%s'", add ? "add" : "change", cfg.name);
	else if (cfg.present & SMCHAN_CFG_MODE)
		weak_warning(cfg.mode);
	smchan_wipe(&cfg, sizeof(cfg));
	smchan_nl_close(h);
	return err ? 1 : 0;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void print_hex(const uint8_t *p, size_t n)
{
	while (n--)
		printf("%02X", *p++);
}

struct show_ctx {
	bool json;
	int count;
};

static int show_one(const struct smchan_channel_info *i, void *arg)
{
	struct show_ctx *ctx = arg;

	if (ctx->json) {
		printf("%s\n  {\"name\": ", ctx->count ? "," : "");
		json_str(i->name);
		printf(", \"reader\": ");
		json_str(i->reader);
		printf(", \"mode\": \"%s\", \"weak\": %s, \"suite\": \"%s\", \"group\": %u,"
		       " \"key-source\": \"%s\"",
		       smchan_mode_name(i->mode), i->weak ? "true" : "false",
		       smchan_suite_name(i->suite), i->group_size,
		       smchan_key_source_name(i->key_source));
		if (i->keyring[0]) {
			printf(", \"keyring\": ");
			json_str(i->keyring);
		}
		printf(", \"timeout\": %u, \"rekey-limit\": %u, \"auto-establish\": %s,"
		       " \"state\": \"%s\", \"n\": %llu, \"transport\": %s,"
		       " \"commands\": %llu, \"sessions\": %llu, \"sm-failures\": %llu,"
		       " \"reinits\": %llu",
		       i->timeout_ms, i->rekey_limit, i->auto_establish ? "true" : "false",
		       smchan_state_name(i->state), (unsigned long long)i->n,
		       i->transport ? "true" : "false",
		       (unsigned long long)i->stats.commands,
		       (unsigned long long)i->stats.sessions,
		       (unsigned long long)i->stats.sm_failures,
		       (unsigned long long)i->stats.reinits);
		if (i->present & SMCHAN_INFO_CARD_PRESENT)
			printf(", \"card-present\": %s", i->card_present ? "true" : "false");
		if (i->present & SMCHAN_INFO_ATR) {
			printf(", \"atr\": \"");
			print_hex(i->atr, i->atr_len);
			putchar('"');
		}
		putchar('}');
		ctx->count++;
		return 0;
	}
	if (ctx->count++)
		putchar('\n');
	printf("channel: %s\n", i->name);
	printf("  reader: %s\n", i->reader[0] ? i->reader : "(none)");
	printf("  mode: %s%s\n", smchan_mode_name(i->mode),
	       i->weak ? " (weak: the patent's embodiment, use ratchet)" : "");
	printf("  suite: %s\n", smchan_suite_name(i->suite));
	if (i->mode == SMCHAN_MODE_LIST || i->mode == SMCHAN_MODE_OPKEY)
		printf("  group: %u\n", i->group_size);
	printf("  master key: %s", i->key_source == SMCHAN_KEY_NONE ? "(none)" : "(hidden)");
	if (i->key_source == SMCHAN_KEY_KEYRING)
		printf(", from logon key `%s'", i->keyring);
	else if (i->key_source == SMCHAN_KEY_NETLINK)
		printf(", given over netlink");
	printf("\n  timeout: %u ms\n", i->timeout_ms);
	printf("  rekey-limit: %u%s\n", i->rekey_limit, i->rekey_limit ? "" : " (none)");
	printf("  auto-establish: %s\n", i->auto_establish ? "on" : "off");
	printf("  transport: %s\n", i->transport ? "bound" : "none (start smchanctl relay)");
	if (i->transport && (i->present & SMCHAN_INFO_CARD_PRESENT)) {
		printf("  card: %s", i->card_present ? "present" : "absent");
		if (i->card_present && (i->present & SMCHAN_INFO_ATR)) {
			printf(", ATR ");
			print_hex(i->atr, i->atr_len);
		}
		putchar('\n');
	}
	printf("  state: %s", smchan_state_name(i->state));
	if (i->state == SMCHAN_STATE_ESTABLISHED)
		printf(", next command n = %llu", (unsigned long long)i->n);
	printf("\n  commands: %llu, sessions: %llu, sm-failures: %llu, reinits: %llu\n",
	       (unsigned long long)i->stats.commands,
	       (unsigned long long)i->stats.sessions,
	       (unsigned long long)i->stats.sm_failures,
	       (unsigned long long)i->stats.reinits);
	return 0;
}

static int show(const char *name, bool json)
{
	struct show_ctx ctx = { .json = json };
	struct smchan_channel_info info;
	struct smchan_nl *h;
	int err;

	h = open_nl(false);
	if (!h)
		return 1;
	if (json)
		printf("[");
	if (name) {
		err = smchan_channel_get(h, name, &info);
		if (!err)
			show_one(&info, &ctx);
	} else {
		err = smchan_channel_dump(h, show_one, &ctx);
	}
	if (json)
		printf("%s]\n", ctx.count ? "\n" : "");
	if (err)
		nl_failed(h, err, name ? "show channel `%s'" : "list the channels%s",
			  name ? name : "");
	smchan_nl_close(h);
	return err ? 1 : 0;
}

int cmd_show(int argc, char **argv)
{
	static const char usage[] = "Usage: smchanctl show [NAME] [--json]\n";
	bool json = false;
	const char *name = NULL;
	int i;

	if (wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!name && argv[i][0] != '-') {
			name = argv[i];
		} else {
			fprintf(stderr, "%s: Invalid argument: `%s'\n%s", prog, argv[i], usage);
			return EXIT_USAGE;
		}
	}
	if (name && check_name(name))
		return EXIT_USAGE;
	return show(name, json);
}

int cmd_channel(int argc, char **argv)
{
	struct smchan_nl *h;
	int err;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(channel_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "add"))
		return channel_add_set(argc - 1, argv + 1, true);
	if (!strcmp(argv[1], "set"))
		return channel_add_set(argc - 1, argv + 1, false);
	if (!strcmp(argv[1], "show"))
		return cmd_show(argc - 1, argv + 1);
	if (!strcmp(argv[1], "del")) {
		if (wants_help(argc - 1, argv + 1)) {
			fputs(channel_usage, stdout);
			return 0;
		}
		if (argc != 3) {
			fputs(channel_usage, stderr);
			return EXIT_USAGE;
		}
		if (check_name(argv[2]))
			return EXIT_USAGE;
		h = open_nl(false);
		if (!h)
			return 1;
		err = smchan_channel_del(h, argv[2]);
		if (err)
			nl_failed(h, err, "delete channel `%s'", argv[2]);
		smchan_nl_close(h);
		return err ? 1 : 0;
	}
	fprintf(stderr, "%s: Invalid channel subcommand: `%s'\n", prog, argv[1]);
	fputs(channel_usage, stderr);
	return EXIT_USAGE;
}

int cmd_session(int argc, char **argv)
{
	static const char usage[] =
		"Usage: smchanctl session start|stop NAME\n"
		"start establishes a new session now and waits for the card's answer;\n"
		"stop ends the session and wipes its keys.\n";
	struct smchan_nl *h;
	bool start;
	int err;

	if (wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc != 3 || (strcmp(argv[1], "start") && strcmp(argv[1], "stop"))) {
		if (argc >= 2 && strcmp(argv[1], "start") && strcmp(argv[1], "stop"))
			fprintf(stderr, "%s: Invalid session subcommand: `%s'\n", prog, argv[1]);
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	start = !strcmp(argv[1], "start");
	if (check_name(argv[2]))
		return EXIT_USAGE;
	h = open_nl(false);
	if (!h)
		return 1;
	err = start ? smchan_session_start(h, argv[2]) : smchan_session_stop(h, argv[2]);
	if (err) {
		nl_failed(h, err, "%s the session of `%s'", argv[1], argv[2]);
		/* what a failed establishment means */
		if (start && err != -EPERM && errno_hint(-err))
			fprintf(stderr, "(%s)\n", errno_hint(-err));
	}
	smchan_nl_close(h);
	return err ? 1 : 0;
}

/*
 * key add DESC key-file FILE|- [keyring user|session]: a "logon" key (its
 * payload cannot be read back from userspace) holding the raw key bytes.
 */
int cmd_key(int argc, char **argv)
{
	static const char usage[] =
		"Usage: smchanctl key add DESC key-file FILE|- [keyring user|session]\n"
		"DESC is \"prefix:name\", e.g. smchan:card0; the key file holds 32 or 64\n"
		"hex digits. Then: smchanctl channel add NAME ... keyring DESC\n";
	int32_t ring = KEY_SPEC_USER_KEYRING;
	const char *file = NULL;
	uint8_t key[32];
	size_t len;
	long id;
	int i;

	if (wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc < 3 || strcmp(argv[1], "add")) {
		if (argc >= 2 && strcmp(argv[1], "add"))
			fprintf(stderr, "%s: Invalid key subcommand: `%s'\n", prog, argv[1]);
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strchr(argv[2], ':') || argv[2][0] == ':') {
		fprintf(stderr, "%s: Invalid key description: `%s' (a logon key needs \"prefix:name\")\n",
			prog, argv[2]);
		return EXIT_USAGE;
	}
	/* a channel could not name a longer one */
	if (check_string("key description", argv[2], SMCHAN_KEYDESC_SIZE))
		return EXIT_USAGE;
	for (i = 3; i < argc; i += 2) {
		if (i + 1 >= argc) {
			fprintf(stderr, "%s: `%s' needs a value\n", prog, argv[i]);
			return EXIT_USAGE;
		}
		if (!strcmp(argv[i], "key-file")) {
			file = argv[i + 1];
		} else if (!strcmp(argv[i], "keyring")) {
			if (!strcmp(argv[i + 1], "user")) {
				ring = KEY_SPEC_USER_KEYRING;
			} else if (!strcmp(argv[i + 1], "session")) {
				ring = KEY_SPEC_SESSION_KEYRING;
			} else {
				fprintf(stderr, "%s: Invalid keyring: `%s' (user or session)\n",
					prog, argv[i + 1]);
				return EXIT_USAGE;
			}
		} else {
			fprintf(stderr, "%s: Invalid key option: `%s'\n", prog, argv[i]);
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (!file) {
		fprintf(stderr, "%s: key add needs `key-file FILE' (keys are never read from the command line)\n",
			prog);
		return EXIT_USAGE;
	}
	if (read_key(file, key, &len))
		return 1;
	id = syscall(SYS_add_key, "logon", argv[2], key, len, ring);
	smchan_wipe(key, sizeof(key));
	if (id < 0) {
		fprintf(stderr, "%s: Unable to add logon key `%s': %s\n", prog,
			argv[2], strerror(errno));
		return 1;
	}
	printf("logon key `%s' added (id %ld, AES-%zu)\n", argv[2], id, len * 8);
	return 0;
}
