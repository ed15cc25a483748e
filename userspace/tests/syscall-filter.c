// SPDX-License-Identifier: GPL-2.0
/*
 * smchan-syscall-filter: runs a program in the process sandbox of
 * userspace/systemd/smchanctl-relay.service, for tests on machines whose
 * PID 1 is not systemd (CI, UML).  tests/relay/sandbox.sh runs the relay
 * under it.
 *
 *   smchan-syscall-filter [--kill] ALLOW-FILE -- PROGRAM [ARG...]
 *   smchan-syscall-filter [--kill] --probe ALLOW-FILE
 *
 * ALLOW-FILE lists the allowed system calls, one name a line ('#' starts a
 * comment): the unit's SystemCallFilter= set, expanded by
 * `systemd-analyze syscall-filter` (tests/relay/sandbox.sh writes it).
 * Names this architecture or libseccomp does not know are skipped, as
 * systemd skips them.  What is applied, as systemd applies it:
 *
 *   CapabilityBoundingSet=CAP_NET_ADMIN   the bounding set, the effective,
 *                     permitted and inheritable sets and the ambient set
 *                     hold CAP_NET_ADMIN at most
 *   NoNewPrivileges=yes
 *   SystemCallFilter=   any call not in ALLOW-FILE fails with EPERM
 *                     (SystemCallErrorNumber=EPERM); with --kill it kills
 *                     the process (SIGSYS), so that a test sees every
 *                     call outside the list
 *   SystemCallArchitectures=native   only the native ABI (libseccomp's
 *                     default: other ABIs are killed)
 *   RestrictAddressFamilies=AF_NETLINK AF_UNIX   socket() with another
 *                     family fails with EAFNOSUPPORT
 *   MemoryDenyWriteExecute=yes   writable+executable mmap(), mprotect()
 *                     to executable, shmat(SHM_EXEC): EPERM
 *   RestrictNamespaces=yes   unshare() and clone() with a CLONE_NEW* flag
 *                     and every setns(): EPERM; clone3(): ENOSYS (its
 *                     flags cannot be filtered; glibc falls back to clone)
 *   LockPersonality=yes   personality() to another persona: EPERM
 *   RestrictRealtime=yes   sched_setscheduler() to a realtime policy: EPERM
 *   RestrictSUIDSGID=yes   chmod() and file creation with S_ISUID or
 *                     S_ISGID: EPERM
 *
 * Like systemd, it loads one filter per setting; the kernel applies the
 * strictest answer of all.  The allow list comes last, because seccomp()
 * itself is not in @system-service.  Not emulated: the file system and
 * /proc namespaces (ProtectSystem=, PrivateDevices=, ProtectProc=, ...).
 *
 * --probe checks that the sandbox is in place instead of running a
 * program: the capability sets, no_new_privs, and one forbidden call of
 * each kind; it prints "probe: ok ..." or "probe: FAIL ..." per check and
 * exits 1 if one failed.  The last check calls sysfs(2), which is not in
 * @system-service: EPERM, or with --kill the process dies of SIGSYS.
 *
 * Exit status: PROGRAM's (it is exec'd); 2 for a usage error, 1 if the
 * sandbox could not be set up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#ifndef SHM_EXEC
#define SHM_EXEC 0100000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const char *prog = "smchan-syscall-filter";

static void die(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(err));
	exit(1);
}

static void usage(FILE *f, int rc)
{
	fprintf(f,
		"Usage: %s [--kill] ALLOW-FILE -- PROGRAM [ARG...]\n"
		"       %s [--kill] --probe ALLOW-FILE\n"
		"Runs PROGRAM with the seccomp filter, no_new_privs and capabilities\n"
		"of smchanctl-relay.service; ALLOW-FILE lists the allowed system calls.\n",
		prog, prog);
	exit(rc);
}

/* CapabilityBoundingSet=CAP_NET_ADMIN */
static void drop_caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	const uint64_t keep = 1ULL << CAP_NET_ADMIN;
	uint64_t perm;
	int c;

	for (c = 0; c < 64; c++) {
		if (c == CAP_NET_ADMIN || prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0))
			die("PR_CAPBSET_DROP", errno);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		die("PR_CAP_AMBIENT_CLEAR_ALL", errno);
	if (syscall(SYS_capget, &hdr, data))
		die("capget", errno);
	perm = (((uint64_t)data[1].permitted << 32) | data[0].permitted) & keep;
	memset(data, 0, sizeof(data));
	data[0].permitted = data[0].effective = (uint32_t)perm;
	data[1].permitted = data[1].effective = (uint32_t)(perm >> 32);
	if (syscall(SYS_capset, &hdr, data))
		die("capset", errno);
}

static scmp_filter_ctx new_filter(uint32_t def)
{
	scmp_filter_ctx ctx = seccomp_init(def);

	if (!ctx)
		die("seccomp_init", ENOMEM);
	return ctx;
}

static void rule(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned int n,
		 struct scmp_arg_cmp a, struct scmp_arg_cmp b)
{
	int rc = n == 2 ? seccomp_rule_add(ctx, action, nr, 2, a, b) :
		 n == 1 ? seccomp_rule_add(ctx, action, nr, 1, a) :
			  seccomp_rule_add(ctx, action, nr, 0);

	if (rc)
		die("seccomp_rule_add", -rc);
}

#define NOARG SCMP_A0(SCMP_CMP_EQ, 0)
#define EPERM_ SCMP_ACT_ERRNO(EPERM)

static void load(scmp_filter_ctx ctx, const char *what)
{
	int rc = seccomp_load(ctx);

	if (rc)
		die(what, -rc);
	seccomp_release(ctx);
}

/* RestrictAddressFamilies=AF_NETLINK AF_UNIX (AF_UNIX = 1 < AF_NETLINK = 16) */
static void restrict_families(void)
{
	scmp_filter_ctx ctx = new_filter(SCMP_ACT_ALLOW);
	uint32_t no = SCMP_ACT_ERRNO(EAFNOSUPPORT);
	int nr = SCMP_SYS(socket), af;

	rule(ctx, no, nr, 1, SCMP_A0(SCMP_CMP_LT, AF_UNIX), NOARG);
	rule(ctx, no, nr, 1, SCMP_A0(SCMP_CMP_GT, AF_NETLINK), NOARG);
	for (af = AF_UNIX + 1; af < AF_NETLINK; af++)
		rule(ctx, no, nr, 1, SCMP_A0(SCMP_CMP_EQ, af), NOARG);
	load(ctx, "RestrictAddressFamilies");
}

/* MemoryDenyWriteExecute=yes */
static void deny_write_execute(void)
{
	scmp_filter_ctx ctx = new_filter(SCMP_ACT_ALLOW);
	const int wx = PROT_WRITE | PROT_EXEC;

	rule(ctx, EPERM_, SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, wx, wx), NOARG);
	rule(ctx, EPERM_, SCMP_SYS(mprotect), 1,
	     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC), NOARG);
	rule(ctx, EPERM_, SCMP_SYS(pkey_mprotect), 1,
	     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC), NOARG);
	rule(ctx, EPERM_, SCMP_SYS(shmat), 1,
	     SCMP_A2(SCMP_CMP_MASKED_EQ, SHM_EXEC, SHM_EXEC), NOARG);
	load(ctx, "MemoryDenyWriteExecute");
}

/* RestrictNamespaces=yes, LockPersonality=yes, RestrictRealtime=yes */
static void restrict_misc(void)
{
	static const unsigned long ns[] = {
		CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
		CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
	};
	scmp_filter_ctx ctx = new_filter(SCMP_ACT_ALLOW);
	int persona = personality(0xffffffff);
	size_t i;

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		rule(ctx, EPERM_, SCMP_SYS(unshare), 1,
		     SCMP_A0(SCMP_CMP_MASKED_EQ, ns[i], ns[i]), NOARG);
		rule(ctx, EPERM_, SCMP_SYS(clone), 1,
		     SCMP_A0(SCMP_CMP_MASKED_EQ, ns[i], ns[i]), NOARG);
	}
	/* clone()'s low byte is the exit signal: CLONE_NEWTIME only here. */
	rule(ctx, EPERM_, SCMP_SYS(unshare), 1,
	     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWTIME, CLONE_NEWTIME), NOARG);
	rule(ctx, EPERM_, SCMP_SYS(setns), 0, NOARG, NOARG);
	rule(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0, NOARG, NOARG);

	if (persona < 0)
		die("personality", errno);
	rule(ctx, EPERM_, SCMP_SYS(personality), 1,
	     SCMP_A0(SCMP_CMP_NE, (unsigned int)persona), NOARG);

	rule(ctx, EPERM_, SCMP_SYS(sched_setscheduler), 1,
	     SCMP_A1(SCMP_CMP_EQ, SCHED_FIFO), NOARG);
	rule(ctx, EPERM_, SCMP_SYS(sched_setscheduler), 1,
	     SCMP_A1(SCMP_CMP_EQ, SCHED_RR), NOARG);
	rule(ctx, EPERM_, SCMP_SYS(sched_setscheduler), 1,
	     SCMP_A1(SCMP_CMP_GT, SCHED_IDLE), NOARG);
	load(ctx, "RestrictNamespaces, LockPersonality, RestrictRealtime");
}

/* RestrictSUIDSGID=yes */
static void restrict_suid(void)
{
	static const unsigned int bits[] = { S_ISUID, S_ISGID };
	scmp_filter_ctx ctx = new_filter(SCMP_ACT_ALLOW);
	size_t i;

	for (i = 0; i < 2; i++) {
		unsigned int b = bits[i];

		rule(ctx, EPERM_, SCMP_SYS(chmod), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, b, b), NOARG);
		rule(ctx, EPERM_, SCMP_SYS(fchmod), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, b, b), NOARG);
		rule(ctx, EPERM_, SCMP_SYS(fchmodat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, b, b), NOARG);
		rule(ctx, EPERM_, SCMP_SYS(creat), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, b, b), NOARG);
		rule(ctx, EPERM_, SCMP_SYS(open), 2, SCMP_A1(SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT),
		     SCMP_A2(SCMP_CMP_MASKED_EQ, b, b));
		rule(ctx, EPERM_, SCMP_SYS(openat), 2, SCMP_A2(SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT),
		     SCMP_A3(SCMP_CMP_MASKED_EQ, b, b));
		rule(ctx, EPERM_, SCMP_SYS(mknod), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, b, b), NOARG);
		rule(ctx, EPERM_, SCMP_SYS(mknodat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, b, b), NOARG);
	}
	load(ctx, "RestrictSUIDSGID");
}

/* SystemCallFilter=: the list in FILE, everything else EPERM or kill. */
static void allow_list(const char *file, bool kill)
{
	scmp_filter_ctx ctx = new_filter(kill ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ERRNO(EPERM));
	FILE *f = fopen(file, "re");
	char *line = NULL, *p, *end;
	size_t cap = 0;
	int nr, n = 0;

	if (!f)
		die(file, errno);
	while (getline(&line, &cap, f) > 0) {
		p = line + strspn(line, " \t");
		end = p + strcspn(p, " \t\r\n#");
		*end = 0;
		if (!*p)
			continue;
		nr = seccomp_syscall_resolve_name(p);
		if (nr == __NR_SCMP_ERROR || nr < 0)
			continue;	/* not a call of this architecture */
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) == 0)
			n++;
	}
	free(line);
	fclose(f);
	if (n < 100) {
		fprintf(stderr, "%s: %s: only %d system calls: not an allow list\n", prog, file, n);
		exit(1);
	}
	load(ctx, "SystemCallFilter");
}

static int failed;

static void check(bool ok, const char *what)
{
	printf("probe: %s %s\n", ok ? "ok" : "FAIL", what);
	fflush(stdout);
	failed |= !ok;
}

static bool fails_with(long rc, int err)
{
	return rc == -1 && errno == err;
}

static int probe(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	void *m;
	int fd;

	check(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "no_new_privs is set");
	check(prctl(PR_CAPBSET_READ, CAP_SYS_MODULE, 0, 0, 0) == 0 &&
	      prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) == 0 &&
	      prctl(PR_CAPBSET_READ, CAP_NET_ADMIN, 0, 0, 0) == 1,
	      "bounding set: CAP_NET_ADMIN, not CAP_SYS_MODULE or CAP_SYS_ADMIN");
	check(syscall(SYS_capget, &hdr, data) == 0 && !data[1].effective &&
	      !data[1].permitted && !data[0].inheritable &&
	      !(data[0].effective & ~(1U << CAP_NET_ADMIN)) &&
	      !(data[0].permitted & ~(1U << CAP_NET_ADMIN)),
	      "effective and permitted sets: CAP_NET_ADMIN at most");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	check(fd >= 0, "socket(AF_UNIX) works");
	if (fd >= 0)
		close(fd);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 16 /* NETLINK_GENERIC */);
	check(fd >= 0, "socket(AF_NETLINK) works");
	if (fd >= 0)
		close(fd);
	check(fails_with(socket(AF_INET, SOCK_STREAM, 0), EAFNOSUPPORT),
	      "socket(AF_INET): EAFNOSUPPORT");
	check(fails_with(socket(AF_PACKET, SOCK_RAW, 0), EAFNOSUPPORT),
	      "socket(AF_PACKET): EAFNOSUPPORT");
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(m == MAP_FAILED && errno == EPERM, "writable and executable mmap(): EPERM");
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(m != MAP_FAILED && fails_with(mprotect(m, 4096, PROT_READ | PROT_EXEC), EPERM),
	      "mprotect(PROT_EXEC): EPERM");
	check(fails_with(unshare(CLONE_NEWNS), EPERM), "unshare(CLONE_NEWNS): EPERM");
	check(fails_with(unshare(CLONE_NEWUSER), EPERM), "unshare(CLONE_NEWUSER): EPERM");
	check(fails_with(setns(0, 0), EPERM), "setns(): EPERM");
#ifdef SYS_clone3
	check(fails_with(syscall(SYS_clone3, NULL, 0), ENOSYS), "clone3(): ENOSYS");
#endif
	check(fails_with(personality(PER_BSD), EPERM), "personality(PER_BSD): EPERM");
	{
		/* Without CAP_SYS_NICE this fails anyway: not a proof alone. */
		struct sched_param sp = { .sched_priority = 1 };

		check(fails_with(sched_setscheduler(0, SCHED_FIFO, &sp), EPERM),
		      "sched_setscheduler(SCHED_FIFO): EPERM");
	}
	/* ENOENT without the filter: it acts before the path is looked up. */
	check(fails_with(chmod("/nonexistent/smchan", 04755), EPERM), "chmod(S_ISUID): EPERM");
	/* Not in @system-service: EPERM, or SIGSYS with --kill. */
	check(fails_with(syscall(SYS_sysfs, 3), EPERM), "sysfs(), outside the allow list: EPERM");
	return failed;
}

int main(int argc, char **argv)
{
	bool kill = false, do_probe = false;
	const char *list;
	int i = 1;

	for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--kill"))
			kill = true;
		else if (!strcmp(argv[i], "--probe"))
			do_probe = true;
		else if (!strcmp(argv[i], "--help"))
			usage(stdout, 0);
		else
			usage(stderr, 2);
	}
	if (i >= argc)
		usage(stderr, 2);
	list = argv[i++];
	if (!do_probe) {
		if (i + 1 >= argc || strcmp(argv[i], "--"))
			usage(stderr, 2);
		i++;
	} else if (i != argc) {
		usage(stderr, 2);
	}

	drop_caps();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die("PR_SET_NO_NEW_PRIVS", errno);
	restrict_families();
	deny_write_execute();
	restrict_misc();
	restrict_suid();
	allow_list(list, kill);

	if (do_probe)
		return probe();
	execvp(argv[i], argv + i);
	fprintf(stderr, "%s: %s: %s\n", prog, argv[i], strerror(errno));
	return 127;
}
