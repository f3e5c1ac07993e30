/*
 * The adversarial tables' shared part (test_adversarial*.c): a case is a
 * raw program with bpfvc's verdict on it - the safe one, stated by the
 * table and never taken from the running kernel (docs/kernel-bugs.md).
 * The expected value also says what the kernel is known to do with it:
 *
 *   ACC        we accept, a safe program; Linux 6.18.44 accepts it too
 *   REJ        we reject; Linux 6.18.44 rejects it too
 *   REJ_KBUG   we reject an unsafe program that a kernel accepts: a kernel
 *              bug we do not copy (listed in docs/kernel-bugs.md)
 *   REJ_GAP    we reject a safe program the kernel accepts: a precision we
 *              do not model (safe to lose)
 *
 * adv_check_ours() asserts our verdict. adv_check_kernel() asserts it too
 * and loads each case into the running kernel (skipped where bpf() is not
 * permitted) only to report: the kernel's verdict never decides the test,
 * so the tables do not flip when the machine's kernel gets a bug fixed or
 * a new one. A disagreement the table does not explain is printed as NEW
 * (to be judged: a new kernel bug, or one of ours); ADV_KERNEL_STRICT=1
 * makes NEW ones fail, for whoever writes or reviews cases. Every case
 * gets the same maps.
 *
 * ADV_VERBOSE=1 prints one line per case; ADV_LOG=NAME prints the kernel's
 * level-2 log of that case.
 */
#ifndef BVC_TEST_ADVERSARIAL_H
#define BVC_TEST_ADVERSARIAL_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/image.h"

#define ADV_MAXI 64

/* Map indices every case may load (BVC_PSEUDO_MAP_IDX). */
enum {
	ADV_MAP_HASH = 0,     /* hash 4 -> 8, 16 entries */
	ADV_MAP_ARRAY = 1,    /* array 4 -> 16, 4 entries */
	ADV_MAP_RINGBUF = 2,  /* ringbuf, 4096 bytes */
	ADV_MAP_PROGS = 3,    /* prog_array, 4 entries */
	ADV_MAP_ONE = 4,      /* array 4 -> 64, 1 entry */
	ADV_MAP_PCPU = 5,     /* percpu_array 4 -> 8, 1 entry */
	ADV_MAP_STACK = 6,    /* stack_trace 4 -> 128 (16 ips), 16 entries */
	ADV_MAP_KCONFIG = 7,  /* .kconfig: array 4 -> 16, 1 entry, read-only and
			       * frozen: u32 0x06122c at 0, tristate 1 at 4,
			       * int 250 at 8, bool 0 at 12 */
	ADV_MAP_QUEUE = 8,    /* queue, 8-byte values, 4 entries */
	ADV_MAP_LIFO = 9,     /* stack (map type 23), 8-byte values, 4 entries */
	ADV_MAP_CGS = 10,     /* cgroup_storage u64 -> 16 */
	ADV_MAP_CGS2 = 11,    /* another cgroup_storage u64 -> 16 */
	ADV_MAP_PCGS = 12,    /* percpu_cgroup_storage u64 -> 8 */
	ADV_MAP_DEV = 13,     /* devmap 4 -> 4, 4 entries */
	ADV_MAP_CPU = 14,     /* cpumap 4 -> 4 (queue size), 4 entries */
	ADV_MAP_XSK = 15,     /* xskmap 4 -> 4, 4 entries */
	ADV_MAP_AOM = 16,     /* array_of_maps 4 -> 4, 4 entries, of ... */
	ADV_MAP_AOM_INNER = 17, /* ... its template: array 4 -> 16, 4 entries */
	ADV_MAP_HOM = 18,     /* hash_of_maps 4 -> 4, 4 entries, of ... */
	ADV_MAP_HOM_INNER = 19, /* ... its template: hash 4 -> 8, 16 entries */
	ADV_MAP_AOMV = 20,    /* array_of_maps of ... */
	ADV_MAP_AOMV_INNER = 21, /* ... arrays 4 -> 16 of any size
				  * (BPF_F_INNER_MAP; template: 4 entries) */
	ADV_MAP_TRIE = 22,    /* lpm_trie {u32 prefixlen, u8 addr[4]} -> 8 */
	ADV_MAP_SOCKMAP = 23, /* sockmap 4 -> 4, 4 entries */
};

struct adv_case {
	const char *name;
	uint32_t prog_type;
	uint32_t prog_flags;  /* BPF_F_* load flags (8: TEST_STATE_FREQ) */
	struct bvc_insn insns[ADV_MAXI]; /* ends at the last non-zero instruction */
	int expect;           /* bpfvc's verdict: ACC, REJ, REJ_KBUG, REJ_GAP */
	const char *note;     /* what it guards */
};

#define PROG(...) { __VA_ARGS__ }
#define REJ 0
#define ACC 1
#define REJ_KBUG 2
#define REJ_GAP 3

void adv_check_ours(const struct adv_case *cases, size_t n);
void adv_check_kernel(const struct adv_case *cases, size_t n);

#endif
