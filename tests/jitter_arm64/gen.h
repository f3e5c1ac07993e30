/* SPDX-License-Identifier: MIT */
/*
 * Seeded random eBPF programs for differential tests of the JITs against
 * the reference interpreter.
 *
 * A program gets r1 = a buffer of GEN_MEM_SIZE bytes (initial contents in
 * gen_prog.mem) and r2 = its length; LD_ABS/LD_IND read gen_prog.packet.
 * It exercises every ALU/ALU64 operation in K and X form (division and
 * modulo by 0 and -1 included), movsx, byte swaps, every jump condition in
 * JMP and JMP32, loads, sign-extending loads, stores and atomics of every
 * size on the stack and on the buffer, helper calls, bpf-to-bpf calls
 * (each callee with its own stack), LD_ABS/LD_IND, may_goto and bounded
 * loops; jumps go forward, except each loop's one counted back edge.
 *
 * Programs never let an address reach r0 or memory (pointers live in r6,
 * r8 and r10 only), never read a register or stack byte they did not
 * write, and keep atomics aligned: so the result is the same on every
 * machine, and any difference is a bug in one of the engines.
 */
#ifndef BVC_TEST_GEN_H
#define BVC_TEST_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/interp.h"
#include "bpfvc/isa.h"

#define GEN_MEM_SIZE (4096 + 256) /* 4 KiB of data, then the stack dumps */
#define GEN_PKT_SIZE 64
#define GEN_STACK_DEPTH 512       /* what the programs use, per frame */

struct gen_prog {
	struct bvc_insn *insns; /* owned */
	size_t cnt;
	uint8_t mem[GEN_MEM_SIZE];    /* the buffer's initial contents */
	uint8_t packet[GEN_PKT_SIZE]; /* what LD_ABS/LD_IND read */
	unsigned int funcs;           /* functions: main + subprograms */
};

/* Make the program of @seed into @out. Returns 0 or -ENOMEM. */
int gen_program(uint64_t seed, struct gen_prog *out);
void gen_release(struct gen_prog *p);

/* The helpers the programs call, for the interpreter and the emulator. */
bvc_helper_fn gen_helper(void *ctx, int32_t id);

#endif
