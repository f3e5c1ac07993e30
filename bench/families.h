/* SPDX-License-Identifier: MIT */
/*
 * The synthetic program families of docs/design.md section 7, as raw bytecode
 * (struct bpf_insn, socket filters): bench/bvc-bench.c writes them to
 * files, tests/corpus/families.c compares them with the kernel for the
 * corpus report.
 *
 *   stack     k branches on skb->len, each side leaving a different type
 *             in its own stack slot (pointer or scalar), all slots read at
 *             the end: nothing prunes, about 2^k (k+7) processed insns
 *   prec      k branches, one side adding 1<<i to r8, r8 then added to the
 *             frame pointer: r8 becomes precise, the constants differ on
 *             every path, nothing prunes
 *   prunable  as prec, but r8 is only returned: its value never matters,
 *             so every join prunes (hundreds of insns at k = 20)
 *   loop      a bounded loop of N iterations (constant counter)
 *   straight  N instructions of straight-line ALU code
 */
#ifndef BVC_BENCH_FAMILIES_H
#define BVC_BENCH_FAMILIES_H

#include <linux/bpf.h>
#include <stddef.h>

/* Build family @name with parameter @k into a malloc()ed array (*@out,
 * *@cnt instructions). 0, -EINVAL (unknown family or k out of range) or
 * -ENOMEM. */
int bvc_family_gen(const char *name, long k, struct bpf_insn **out, size_t *cnt);

#endif
