/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel for kernel/apdu.c and kernel/sm.c in userspace
 * (force-included; the Makefile makes every <linux/...> they include an
 * empty file). kernel/crypto.c is replaced by crypto-openssl.c.
 * fuzz_fail_alloc: the Nth allocation from now fails (0: none).
 */
#ifndef SMCHAN_FUZZ_SHIM_H
#define SMCHAN_FUZZ_SHIM_H
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <endian.h>

typedef uint8_t u8, __u8;
typedef uint16_t u16, __u16;
typedef uint32_t u32, __u32;
typedef uint64_t u64, __u64;
typedef uint32_t __be32;
typedef uint64_t __be64;
struct kvec { void *iov_base; size_t iov_len; };

extern unsigned int fuzz_fail_alloc;
static inline void *kmalloc(size_t n, int gfp)
{
	(void)gfp;
	return fuzz_fail_alloc && !--fuzz_fail_alloc ? NULL : malloc(n ? n : 1);
}
static inline void *kzalloc(size_t n, int gfp)
{
	void *p = kmalloc(n, gfp);
	return p ? memset(p, 0, n) : NULL;
}
static inline void *kmemdup(const void *s, size_t n, int gfp)
{
	void *p = kmalloc(n, gfp);
	return p ? memcpy(p, s, n) : NULL;
}
#define GFP_KERNEL 0
#define kfree(p) free(p)
#define kfree_sensitive(p) free(p)	/* ASan poisons freed memory */
#define memzero_explicit(p, n) explicit_bzero(p, n)
int crypto_memneq(const void *a, const void *b, size_t n);
void *memchr_inv(const void *p, int c, size_t n);
void get_random_bytes(void *buf, size_t n);
u32 get_random_u32_below(u32 ceil);

#define ERR_PTR(e) ((void *)(intptr_t)(e))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define min3(a, b, c) min(min(a, b), c)
#define WRITE_ONCE(x, v) ((x) = (v))
#define EXPORT_SYMBOL_IF_KUNIT(s)
#define IS_ENABLED(option) 0
#define __must_check __attribute__((warn_unused_result))
#define cpu_to_be32(x) htobe32(x)
#define cpu_to_be64(x) htobe64(x)
static inline u16 get_unaligned_be16(const void *p)
{
	const u8 *b = p;
	return b[0] << 8 | b[1];
}
static inline void put_unaligned_be16(u16 v, void *p)
{
	((u8 *)p)[0] = v >> 8;
	((u8 *)p)[1] = v;
}
static inline void put_unaligned_be64(u64 v, void *p)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}
#endif
