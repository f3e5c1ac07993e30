/* SPDX-License-Identifier: MIT */
/*
 * bpfvc reference interpreter: executes eBPF with RFC 9669 semantics (cpu v4,
 * atomics, callx). It is the runtime's fallback for targets without a JIT
 * and the oracle that every JIT is tested against.
 *
 * It trusts nothing: every load and store is checked against the memory
 * regions the caller declares plus the stacks of the live frames, every jump
 * and call target is checked, and a step budget stops runaway loops. A fault
 * is an error with a message, never a crash.
 */
#ifndef BPFVC_INTERP_H
#define BPFVC_INTERP_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/isa.h"

#define BVC_INTERP_STACK_SIZE 512 /* bytes of stack per frame */
#define BVC_INTERP_MAX_FRAMES 8   /* frames live at once (main + 7 calls), as the kernel */
#define BVC_INTERP_MAX_TAIL_CALLS 33 /* tail calls per run: the kernel's MAX_TAIL_CALL_CNT */
#define BVC_INTERP_MAY_GOTO 8388608 /* may_goto fall-throughs per run: the kernel's BPF_MAX_LOOPS */

/* A helper: five arguments in r1..r5, result in r0. @ctx is the caller's. */
typedef uint64_t (*bvc_helper_fn)(void *ctx, uint64_t r1, uint64_t r2, uint64_t r3,
				  uint64_t r4, uint64_t r5);

/* Memory the program may touch besides its stack. */
struct bvc_interp_region {
	uint64_t base; /* host address */
	uint64_t size; /* bytes */
	int writable;  /* stores and atomics allowed */
};

struct bvc_interp_opts {
	size_t sz; /* sizeof(struct bvc_interp_opts), for growth */
	const struct bvc_interp_region *regions; /* may be NULL */
	size_t region_cnt;
	bvc_helper_fn (*helper)(void *ctx, int32_t id); /* resolves helper ids; NULL: none */
	void *helper_ctx;  /* passed to the resolver and to helpers */
	int unwind_helper; /* helper id whose 0 result ends the program with r0 = 0 (0: none) */
	uint64_t max_steps; /* instructions executed before giving up; 0: 1<<32 */
	struct {
		const void *data; /* bytes read by LD_ABS/LD_IND (big-endian); may be NULL */
		uint64_t len;     /* an access past it ends the program with r0 = 0 */
	} packet;
	/* Tail calls. NULL: helper 12 is an ordinary helper. Otherwise
	 * helper 12 (bpf_tail_call) is a tail call as in the kernel: the
	 * resolver gets r2 (the map) and r3's low 32 bits and returns -1 (not
	 * a prog_array, or the index is past max_entries), 0 (empty slot) or
	 * 1 with the program's instructions. Then the run's tail-call count
	 * is checked against BVC_INTERP_MAX_TAIL_CALLS and incremented (an
	 * empty slot too), and on success the program runs from its first
	 * instruction with the same registers and frame-0 stack: the caller
	 * never continues. A failed tail call goes on after the call. Only
	 * frame 0 may tail-call. */
	int (*tail_call)(void *ctx, uint64_t map, uint32_t index, const struct bvc_insn **insns,
			 size_t *cnt);
};

/*
 * Run @insns from instruction 0 with r1 = @r1, r2 = @r2, r10 = the top of
 * frame 0's stack and every other register 0. @opts may be NULL. On success
 * returns 0 and stores r0 in @r0 (if not NULL). On a fault returns
 * -EFAULT (bad memory access), -EINVAL (bad instruction, register, jump,
 * fall off the end, or bad opts), -ELOOP (step budget), -ENOENT (unknown
 * helper or kfunc) or -E2BIG (call depth), with @err (if not NULL) saying
 * "insn N: why" ("why" alone for bad arguments). @err is "" on success.
 */
int bvc_interp_run(const struct bvc_insn *insns, size_t cnt, uint64_t r1, uint64_t r2,
		   const struct bvc_interp_opts *opts, uint64_t *r0, char *err, size_t errsz);

#endif /* BPFVC_INTERP_H */
