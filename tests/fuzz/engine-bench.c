// SPDX-License-Identifier: GPL-2.0
/*
 * engine-bench: the kernel engine (kernel/sm.c, kernel/apdu.c, unchanged)
 * over the fuzz shim (shim/kernel.h, OpenSSL behind kernel/crypto.h in
 * shim/crypto.c), timed with the kernel microbenchmark's own loop
 * (kernel/tests/engine_bench.h). Not a fuzz target: built without
 * sanitizers at -O2 (make -C tests/fuzz bench).
 *
 *   engine-bench [N]     N commands per batch (default 200)
 *
 * One "engine side=openssl..." line per mode and size, the same fields as
 * smchan_bench.ko's; OPENSSL_ia32cap in the environment (e.g.
 * "~0x200000200000000": no AES-NI, no PCLMULQDQ) says which AES OpenSSL
 * runs, and is echoed in side= (tests/bench/engine.sh runs both).
 */
#include <stdio.h>
#include <time.h>
#include "../../kernel/sm.h"

#define IS_ERR(p) ((uintptr_t)(p) >= (uintptr_t)-4095)

static u64 eb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

#include "../../kernel/tests/engine_bench.h"

static const enum smchan_mode eb_modes[] = {
	SMCHAN_MODE_XOR, SMCHAN_MODE_LIST, SMCHAN_MODE_OPKEY, SMCHAN_MODE_RATCHET,
};

int main(int argc, char **argv)
{
	unsigned int n = argc > 1 ? (unsigned int)atoi(argv[1]) : 200, m, s;
	const char *cap = getenv("OPENSSL_ia32cap");
	const char *side = cap && *cap ? "openssl-noaesni" : "openssl";
	u64 ns[EB_NPRIMS];
	struct eb_case r;
	int ret;

	if (!n)
		n = 200;
	if (cap && *cap && strcmp(cap, "~0x200000200000000"))
		side = "openssl-ia32cap";
	if (eb_prims(n * 2, ns)) {
		fprintf(stderr, "engine-bench: a primitive failed\n");
		return 1;
	}
	for (m = 0; m < EB_NPRIMS; m++)
		printf("prim side=%s what=%s ns=%llu\n", side, eb_prim_names[m],
		       (unsigned long long)ns[m]);
	for (m = 0; m < sizeof(eb_modes) / sizeof(eb_modes[0]); m++)
		for (s = 0; s < sizeof(eb_sizes) / sizeof(eb_sizes[0]); s++) {
			ret = eb_case(eb_modes[m], eb_sizes[s], n, &r);
			if (ret) {
				fprintf(stderr, "engine-bench: %s, %u bytes: %d\n",
					smchan_mode_name(eb_modes[m]), eb_sizes[s], ret);
				return 1;
			}
			printf("engine side=%s mode=%s size=%u term_ns=%llu term_min_ns=%llu card_ns=%llu n=%u\n",
			       side, smchan_mode_name(eb_modes[m]), eb_sizes[s],
			       (unsigned long long)r.term_med,
			       (unsigned long long)r.term_min,
			       (unsigned long long)r.card_med, EB_BATCHES * n);
		}
	return 0;
}
