/* SPDX-License-Identifier: MIT */
/*
 * The adversarial tables' shared part (test_adversarial.c,
 * test_adversarial_precise.c): a case is a raw program with the running
 * kernel's verdict; adv_check_ours() checks ours against the table,
 * adv_check_kernel() the table and ours against the live kernel (skipped
 * where bpf() is not permitted). Every case gets the same maps.
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
};

struct adv_case {
	const char *name;
	uint32_t prog_type;
	uint32_t prog_flags;  /* BPF_F_* load flags (8: TEST_STATE_FREQ) */
	struct bvc_insn insns[ADV_MAXI]; /* ends at the last non-zero instruction */
	int kernel_accepts;   /* the running kernel's verdict (Linux 6.18) */
	const char *note;     /* what it guards */
};

#define PROG(...) { __VA_ARGS__ }
#define ACC 1
#define REJ 0

void adv_check_ours(const struct adv_case *cases, size_t n);
void adv_check_kernel(const struct adv_case *cases, size_t n);

#endif
