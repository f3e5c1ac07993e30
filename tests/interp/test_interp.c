// SPDX-License-Identifier: MIT
/*
 * Edge cases of the reference interpreter, one table row per case: the
 * arithmetic corners C would get wrong (division by zero, INT_MIN / -1,
 * shift counts, zero- and sign-extension, byte swaps), atomics, calls and
 * frames, and every fault the interpreter must report instead of crashing.
 *
 * Each row runs with r1 = a 16-byte region holding .mem (r2 = 16), an
 * 8-byte packet for LD_ABS/LD_IND, helper 1 = sum of r1..r5 and helper 5 =
 * the unwind helper returning r1. Rows assert rc, r0, the memory afterwards
 * and the error message.
 *
 * Must not: assert anything the row does not state.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpfvc/interp.h"

/* Hand assembly, in the spirit of the kernel's BPF_* insn macros. */
#define INSN(c, d, s, o, i) { .code = (c), .dst = (d), .src = (s), .off = (o), .imm = (i) }
#define MOV64_IMM(d, i) INSN(BVC_ALU64 | BVC_MOV | BVC_K, d, 0, 0, i)
#define MOV64_REG(d, s) INSN(BVC_ALU64 | BVC_MOV | BVC_X, d, s, 0, 0)
#define MOV32_IMM(d, i) INSN(BVC_ALU | BVC_MOV | BVC_K, d, 0, 0, i)
#define MOVSX64(d, s, bits) INSN(BVC_ALU64 | BVC_MOV | BVC_X, d, s, bits, 0)
#define MOVSX32(d, s, bits) INSN(BVC_ALU | BVC_MOV | BVC_X, d, s, bits, 0)
#define ALU64_IMM(op, d, i) INSN(BVC_ALU64 | (op) | BVC_K, d, 0, 0, i)
#define ALU64_REG(op, d, s) INSN(BVC_ALU64 | (op) | BVC_X, d, s, 0, 0)
#define ALU32_IMM(op, d, i) INSN(BVC_ALU | (op) | BVC_K, d, 0, 0, i)
#define ALU32_REG(op, d, s) INSN(BVC_ALU | (op) | BVC_X, d, s, 0, 0)
#define SDIV64_IMM(op, d, i) INSN(BVC_ALU64 | (op) | BVC_K, d, 0, 1, i)
#define SDIV32_IMM(op, d, i) INSN(BVC_ALU | (op) | BVC_K, d, 0, 1, i)
#define END(cls, src, d, bits) INSN((cls) | BVC_END | (src), d, 0, 0, bits)
#define LD_IMM64(d, v)                                                  \
	INSN(BVC_LD | BVC_IMM | BVC_DW, d, 0, 0, (int32_t)(uint32_t)(v)), \
	INSN(0, 0, 0, 0, (int32_t)(uint32_t)((uint64_t)(v) >> 32))
#define LDX(sz, d, s, o) INSN(BVC_LDX | BVC_MEM | (sz), d, s, o, 0)
#define LDSX(sz, d, s, o) INSN(BVC_LDX | BVC_MEMSX | (sz), d, s, o, 0)
#define ST(sz, d, o, i) INSN(BVC_ST | BVC_MEM | (sz), d, 0, o, i)
#define STX(sz, d, s, o) INSN(BVC_STX | BVC_MEM | (sz), d, s, o, 0)
#define ATOMIC(sz, d, s, o, op) INSN(BVC_STX | BVC_ATOMIC | (sz), d, s, o, op)
#define JA(o) INSN(BVC_JMP | BVC_JA, 0, 0, o, 0)
#define GOTOL(i) INSN(BVC_JMP32 | BVC_JA, 0, 0, 0, i)
#define JMP_IMM(op, d, i, o) INSN(BVC_JMP | (op) | BVC_K, d, 0, o, i)
#define JMP_REG(op, d, s, o) INSN(BVC_JMP | (op) | BVC_X, d, s, o, 0)
#define JMP32_IMM(op, d, i, o) INSN(BVC_JMP32 | (op) | BVC_K, d, 0, o, i)
#define JMP32_REG(op, d, s, o) INSN(BVC_JMP32 | (op) | BVC_X, d, s, o, 0)
#define MAY_GOTO(o) INSN(BVC_JMP | BVC_JCOND | BVC_K, 0, 0, o, 0)
#define CALL(id) INSN(BVC_JMP | BVC_CALL | BVC_K, 0, 0, 0, id)
#define CALL_LOCAL(rel) INSN(BVC_JMP | BVC_CALL | BVC_K, 0, BVC_PSEUDO_CALL, 0, rel)
#define CALLX(d) INSN(BVC_JMP | BVC_CALL | BVC_X, d, 0, 0, 0)
#define LD_ABS(sz, i) INSN(BVC_LD | BVC_ABS | (sz), 0, 0, 0, i)
#define LD_IND(sz, s, i) INSN(BVC_LD | BVC_IND | (sz), 0, s, 0, i)
#define EXIT INSN(BVC_JMP | BVC_EXIT, 0, 0, 0, 0)

#define PROG(...)                                     \
	.prog = { __VA_ARGS__ },                      \
	.cnt = sizeof((struct bvc_insn[]){ __VA_ARGS__ }) / sizeof(struct bvc_insn)

#define MEM_SIZE 16
#define HELPER_SUM 1
#define HELPER_UNWIND 5

struct icase {
	const char *name;
	struct bvc_insn prog[24];
	size_t cnt;
	uint8_t mem[MEM_SIZE];  /* r1 points at a copy, r2 = MEM_SIZE */
	int mem_ro;             /* the region is read-only */
	int check_mem;          /* compare the region with mem_after */
	uint8_t mem_after[MEM_SIZE];
	uint64_t max_steps;     /* 0: the default */
	int rc;                 /* expected return */
	uint64_t r0;            /* expected r0 when rc == 0 */
	const char *msg;        /* expected prefix of the message when rc != 0 */
};

static const uint8_t packet[8] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0 };

static const struct icase cases[] = {
	/* Division and modulo by zero, INT_MIN / -1 */
	{ "div64 by zero is 0",
	  PROG(MOV64_IMM(0, 7), MOV64_IMM(3, 0), ALU64_REG(BVC_DIV, 0, 3), EXIT), .r0 = 0 },
	{ "div32 by zero imm is 0",
	  PROG(MOV64_IMM(0, 7), ALU32_IMM(BVC_DIV, 0, 0), EXIT), .r0 = 0 },
	{ "mod64 by zero leaves dst",
	  PROG(LD_IMM64(0, 0x100000005ULL), MOV64_IMM(3, 0), ALU64_REG(BVC_MOD, 0, 3), EXIT),
	  .r0 = 0x100000005ULL },
	{ "mod32 by zero truncates dst",
	  PROG(LD_IMM64(0, 0x100000005ULL), MOV64_IMM(3, 0), ALU32_REG(BVC_MOD, 0, 3), EXIT),
	  .r0 = 5 },
	{ "div32 uses only the low 32 bits of the divisor",
	  PROG(MOV64_IMM(0, 12), LD_IMM64(3, 0x100000000ULL), ALU32_REG(BVC_DIV, 0, 3), EXIT),
	  .r0 = 0 },
	{ "sdiv64 INT64_MIN / -1",
	  PROG(LD_IMM64(0, 0x8000000000000000ULL), SDIV64_IMM(BVC_DIV, 0, -1), EXIT),
	  .r0 = 0x8000000000000000ULL },
	{ "smod64 INT64_MIN % -1",
	  PROG(LD_IMM64(0, 0x8000000000000000ULL), SDIV64_IMM(BVC_MOD, 0, -1), EXIT), .r0 = 0 },
	{ "sdiv32 INT32_MIN / -1",
	  PROG(LD_IMM64(0, 0xffffffff80000000ULL), SDIV32_IMM(BVC_DIV, 0, -1), EXIT),
	  .r0 = 0x80000000ULL },
	{ "smod32 INT32_MIN % -1",
	  PROG(LD_IMM64(0, 0xffffffff80000000ULL), SDIV32_IMM(BVC_MOD, 0, -1), EXIT), .r0 = 0 },
	{ "sdiv64 truncates toward zero",
	  PROG(MOV64_IMM(0, -7), SDIV64_IMM(BVC_DIV, 0, 2), EXIT), .r0 = (uint64_t)-3 },
	{ "smod64 takes the dividend's sign",
	  PROG(MOV64_IMM(0, -7), SDIV64_IMM(BVC_MOD, 0, 2), EXIT), .r0 = (uint64_t)-1 },
	{ "sdiv32 truncates toward zero",
	  PROG(MOV64_IMM(0, -7), SDIV32_IMM(BVC_DIV, 0, 2), EXIT), .r0 = 0xfffffffdULL },
	{ "smod32 takes the dividend's sign",
	  PROG(MOV64_IMM(0, -7), SDIV32_IMM(BVC_MOD, 0, 2), EXIT), .r0 = 0xffffffffULL },
	{ "smod32 of a positive by a negative",
	  PROG(MOV64_IMM(0, 7), MOV64_IMM(3, -2), INSN(BVC_ALU | BVC_MOD | BVC_X, 0, 3, 1, 0), EXIT),
	  .r0 = 1 },
	{ "sdiv32 by zero is 0",
	  PROG(MOV64_IMM(0, -7), SDIV32_IMM(BVC_DIV, 0, 0), EXIT), .r0 = 0 },
	{ "smod32 by zero truncates dst",
	  PROG(LD_IMM64(0, 0xdeadbeeffffffff9ULL), SDIV32_IMM(BVC_MOD, 0, 0), EXIT),
	  .r0 = 0xfffffff9ULL },
	{ "div with off 2 is refused",
	  PROG(MOV64_IMM(0, 7), INSN(BVC_ALU64 | BVC_DIV | BVC_K, 0, 0, 2, 1), EXIT),
	  .rc = -EINVAL, .msg = "insn 1: invalid off 2" },

	/* Shifts mask the count */
	{ "lsh64 by 65 shifts by 1",
	  PROG(MOV64_IMM(0, 1), MOV64_IMM(3, 65), ALU64_REG(BVC_LSH, 0, 3), EXIT), .r0 = 2 },
	{ "lsh32 by 33 shifts by 1 and truncates",
	  PROG(LD_IMM64(0, 0x180000001ULL), ALU32_IMM(BVC_LSH, 0, 33), EXIT), .r0 = 2 },
	{ "lsh32 by 32 shifts by 0 and truncates",
	  PROG(LD_IMM64(0, 0x100000001ULL), ALU32_IMM(BVC_LSH, 0, 32), EXIT), .r0 = 1 },
	{ "rsh32 by 36 shifts by 4",
	  PROG(MOV64_IMM(0, -1), MOV64_IMM(3, 36), ALU32_REG(BVC_RSH, 0, 3), EXIT),
	  .r0 = 0x0fffffff },
	{ "arsh64 by 66 shifts by 2",
	  PROG(MOV64_IMM(0, -16), ALU64_IMM(BVC_ARSH, 0, 66), EXIT), .r0 = (uint64_t)-4 },
	{ "arsh32 by 35 shifts by 3, zero-extended",
	  PROG(MOV32_IMM(0, (int32_t)0x80000000), ALU32_IMM(BVC_ARSH, 0, 35), EXIT),
	  .r0 = 0xf0000000ULL },
	{ "lsh64 by -1 shifts by 63",
	  PROG(MOV64_IMM(0, 1), ALU64_IMM(BVC_LSH, 0, -1), EXIT), .r0 = 0x8000000000000000ULL },

	/* 32-bit results zero-extend */
	{ "add32 wraps and clears the upper half",
	  PROG(MOV64_IMM(0, -1), ALU32_IMM(BVC_ADD, 0, 1), EXIT), .r0 = 0 },
	{ "mov32 -1 zero-extends",
	  PROG(MOV64_IMM(0, -1), MOV32_IMM(0, -1), EXIT), .r0 = 0xffffffffULL },
	{ "mov64 imm sign-extends",
	  PROG(MOV64_IMM(0, -1), EXIT), .r0 = UINT64_MAX },
	{ "mul32 truncates",
	  PROG(MOV64_IMM(0, 0x10000), ALU32_IMM(BVC_MUL, 0, 0x10001), EXIT), .r0 = 0x10000 },
	{ "neg32 of 1",
	  PROG(MOV64_IMM(0, 1), ALU32_IMM(BVC_NEG, 0, 0), EXIT), .r0 = 0xffffffffULL },
	{ "neg64 of INT64_MIN",
	  PROG(LD_IMM64(0, 0x8000000000000000ULL), ALU64_IMM(BVC_NEG, 0, 0), EXIT),
	  .r0 = 0x8000000000000000ULL },
	{ "sub64 wraps",
	  PROG(MOV64_IMM(0, 0), ALU64_IMM(BVC_SUB, 0, 1), EXIT), .r0 = UINT64_MAX },

	/* movsx */
	{ "movsx64 from 8 bits",
	  PROG(MOV64_IMM(3, 0x180), MOVSX64(0, 3, 8), EXIT), .r0 = 0xffffffffffffff80ULL },
	{ "movsx64 from 16 bits",
	  PROG(MOV64_IMM(3, 0x7fff), MOVSX64(0, 3, 16), EXIT), .r0 = 0x7fff },
	{ "movsx64 from 32 bits",
	  PROG(MOV32_IMM(3, (int32_t)0x80000000), MOVSX64(0, 3, 32), EXIT),
	  .r0 = 0xffffffff80000000ULL },
	{ "movsx32 from 16 bits zero-extends the 32-bit result",
	  PROG(MOV64_IMM(3, 0x12348000), MOVSX32(0, 3, 16), EXIT), .r0 = 0xffff8000ULL },
	{ "movsx32 from 32 bits is refused",
	  PROG(MOV64_IMM(3, 1), MOVSX32(0, 3, 32), EXIT), .rc = -EINVAL,
	  .msg = "insn 1: invalid off 32" },

	/* Byte swaps */
	{ "bswap16",
	  PROG(LD_IMM64(0, 0x0102030405060708ULL), END(BVC_ALU64, BVC_TO_LE, 0, 16), EXIT),
	  .r0 = 0x0807 },
	{ "bswap32",
	  PROG(LD_IMM64(0, 0x0102030405060708ULL), END(BVC_ALU64, BVC_TO_LE, 0, 32), EXIT),
	  .r0 = 0x08070605 },
	{ "bswap64",
	  PROG(LD_IMM64(0, 0x0102030405060708ULL), END(BVC_ALU64, BVC_TO_LE, 0, 64), EXIT),
	  .r0 = 0x0807060504030201ULL },
	{ "be16 swaps and truncates",
	  PROG(LD_IMM64(0, 0x0102030405060708ULL), END(BVC_ALU, BVC_TO_BE, 0, 16), EXIT),
	  .r0 = 0x0807 },
	{ "le16 truncates",
	  PROG(LD_IMM64(0, 0x0102030405060708ULL), END(BVC_ALU, BVC_TO_LE, 0, 16), EXIT),
	  .r0 = 0x0708 },
	{ "le32 truncates",
	  PROG(LD_IMM64(0, 0x0102030405060708ULL), END(BVC_ALU, BVC_TO_LE, 0, 32), EXIT),
	  .r0 = 0x05060708 },
	{ "end with imm 8 is refused",
	  PROG(MOV64_IMM(0, 1), END(BVC_ALU, BVC_TO_BE, 0, 8), EXIT), .rc = -EINVAL,
	  .msg = "insn 1: invalid imm 8" },

	/* Loads */
	{ "ldxsb sign-extends",
	  PROG(LDSX(BVC_B, 0, 1, 0), EXIT), .mem = { 0x80 }, .r0 = 0xffffffffffffff80ULL },
	{ "ldxsh sign-extends",
	  PROG(LDSX(BVC_H, 0, 1, 2), EXIT), .mem = { 0, 0, 0x01, 0x80 },
	  .r0 = 0xffffffffffff8001ULL },
	{ "ldxsw sign-extends",
	  PROG(LDSX(BVC_W, 0, 1, 12), EXIT), .mem = { [15] = 0x80 },
	  .r0 = 0xffffffff80000000ULL },
	{ "ldxw zero-extends",
	  PROG(LDX(BVC_W, 0, 1, 0), EXIT), .mem = { 0xff, 0xff, 0xff, 0xff, 0xff },
	  .r0 = 0xffffffffULL },
	{ "ldxdw unaligned",
	  PROG(LDX(BVC_DW, 0, 1, 1), EXIT), .mem = { 0, 1, 2, 3, 4, 5, 6, 7, 8 },
	  .r0 = 0x0807060504030201ULL },
	{ "st dw sign-extends imm, stx b truncates",
	  PROG(ST(BVC_DW, 1, 0, -2), MOV64_IMM(3, 0x1ab), STX(BVC_B, 1, 3, 8), MOV64_IMM(0, 0), EXIT),
	  .check_mem = 1,
	  .mem_after = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xab } },

	/* Atomics: r0 = what the instruction left in src (or r0 for cmpxchg) */
	{ "atomic add dw, no fetch keeps src",
	  PROG(MOV64_IMM(3, 5), ATOMIC(BVC_DW, 1, 3, 0, BVC_ADD), MOV64_REG(0, 3), EXIT),
	  .mem = { 10 }, .r0 = 5, .check_mem = 1, .mem_after = { 15 } },
	{ "atomic fetch_add dw",
	  PROG(MOV64_IMM(3, 5), ATOMIC(BVC_DW, 1, 3, 8, BVC_ADD | BVC_FETCH), MOV64_REG(0, 3), EXIT),
	  .mem = { [8] = 10 }, .r0 = 10, .check_mem = 1, .mem_after = { [8] = 15 } },
	{ "atomic fetch_or dw",
	  PROG(MOV64_IMM(3, 0xf0), ATOMIC(BVC_DW, 1, 3, 0, BVC_OR | BVC_FETCH), MOV64_REG(0, 3), EXIT),
	  .mem = { 0x0f }, .r0 = 0x0f, .check_mem = 1, .mem_after = { 0xff } },
	{ "atomic fetch_and dw",
	  PROG(MOV64_IMM(3, 0x0f), ATOMIC(BVC_DW, 1, 3, 0, BVC_AND | BVC_FETCH), MOV64_REG(0, 3), EXIT),
	  .mem = { 0xff, 1 }, .r0 = 0x1ff, .check_mem = 1, .mem_after = { 0x0f } },
	{ "atomic fetch_xor dw",
	  PROG(MOV64_IMM(3, 0x0f), ATOMIC(BVC_DW, 1, 3, 0, BVC_XOR | BVC_FETCH), MOV64_REG(0, 3), EXIT),
	  .mem = { 0xff }, .r0 = 0xff, .check_mem = 1, .mem_after = { 0xf0 } },
	{ "atomic xchg dw",
	  PROG(MOV64_IMM(3, 0x77), ATOMIC(BVC_DW, 1, 3, 0, BVC_XCHG), MOV64_REG(0, 3), EXIT),
	  .mem = { 10 }, .r0 = 10, .check_mem = 1, .mem_after = { 0x77 } },
	{ "atomic cmpxchg dw, equal: stores",
	  PROG(MOV64_IMM(0, 10), MOV64_IMM(3, 0x55), ATOMIC(BVC_DW, 1, 3, 0, BVC_CMPXCHG), EXIT),
	  .mem = { 10 }, .r0 = 10, .check_mem = 1, .mem_after = { 0x55 } },
	{ "atomic cmpxchg dw, different: keeps memory",
	  PROG(MOV64_IMM(0, 9), MOV64_IMM(3, 0x55), ATOMIC(BVC_DW, 1, 3, 0, BVC_CMPXCHG), EXIT),
	  .mem = { 10 }, .r0 = 10, .check_mem = 1, .mem_after = { 10 } },
	{ "atomic fetch_add w wraps in 32 bits, fetch zero-extends",
	  PROG(LD_IMM64(3, 0x100000001ULL), ATOMIC(BVC_W, 1, 3, 0, BVC_ADD | BVC_FETCH),
	       MOV64_REG(0, 3), EXIT),
	  .mem = { 0xff, 0xff, 0xff, 0xff, 0x11 }, .r0 = 0xffffffffULL, .check_mem = 1,
	  .mem_after = { 0, 0, 0, 0, 0x11 } },
	{ "atomic fetch_or w",
	  PROG(MOV64_IMM(3, 0x100), ATOMIC(BVC_W, 1, 3, 4, BVC_OR | BVC_FETCH), MOV64_REG(0, 3), EXIT),
	  .mem = { [4] = 1 }, .r0 = 1, .check_mem = 1, .mem_after = { [4] = 1, [5] = 1 } },
	{ "atomic fetch_and w",
	  PROG(MOV64_IMM(3, 0x3), ATOMIC(BVC_W, 1, 3, 0, BVC_AND | BVC_FETCH), MOV64_REG(0, 3), EXIT),
	  .mem = { 0x6 }, .r0 = 0x6, .check_mem = 1, .mem_after = { 0x2 } },
	{ "atomic fetch_xor w",
	  PROG(MOV64_IMM(3, 0x3), ATOMIC(BVC_W, 1, 3, 0, BVC_XOR | BVC_FETCH), MOV64_REG(0, 3), EXIT),
	  .mem = { 0x6 }, .r0 = 0x6, .check_mem = 1, .mem_after = { 0x5 } },
	{ "atomic xchg w",
	  PROG(MOV64_IMM(3, -1), ATOMIC(BVC_W, 1, 3, 0, BVC_XCHG), MOV64_REG(0, 3), EXIT),
	  .mem = { 1, 2, 3, 4, 5 }, .r0 = 0x04030201, .check_mem = 1,
	  .mem_after = { 0xff, 0xff, 0xff, 0xff, 5 } },
	{ "atomic cmpxchg w compares the low 32 bits of r0",
	  PROG(LD_IMM64(0, 0xaaaaaaaa0000000aULL), MOV64_IMM(3, 0x55),
	       ATOMIC(BVC_W, 1, 3, 0, BVC_CMPXCHG), EXIT),
	  .mem = { 10 }, .r0 = 10, .check_mem = 1, .mem_after = { 0x55 } },
	{ "atomic cmpxchg w, different: keeps memory",
	  PROG(MOV64_IMM(0, 11), MOV64_IMM(3, 0x55), ATOMIC(BVC_W, 1, 3, 0, BVC_CMPXCHG), EXIT),
	  .mem = { 10 }, .r0 = 10, .check_mem = 1, .mem_after = { 10 } },
	{ "atomic on the stack",
	  PROG(ST(BVC_DW, 10, -8, 40), MOV64_IMM(3, 2), ATOMIC(BVC_DW, 10, 3, -8, BVC_ADD),
	       LDX(BVC_DW, 0, 10, -8), EXIT),
	  .r0 = 42 },
	{ "atomic sub is not an atomic op",
	  PROG(MOV64_IMM(3, 1), ATOMIC(BVC_DW, 1, 3, 0, BVC_SUB), EXIT), .rc = -EINVAL,
	  .msg = "insn 1: BPF_ATOMIC uses invalid atomic opcode 10" },
	{ "atomic fetch into r10 is refused",
	  PROG(MOV64_IMM(0, 0), ATOMIC(BVC_DW, 1, 10, 0, BVC_ADD | BVC_FETCH), EXIT),
	  .rc = -EINVAL, .msg = "insn 1: frame pointer is read only" },

	/* bpf-to-bpf calls */
	{ "call preserves r6-r9 and gives each frame its own stack",
	  PROG(MOV64_IMM(6, 6), MOV64_IMM(9, 9), ST(BVC_DW, 10, -8, 0x11),
	       MOV64_REG(1, 10), ALU64_IMM(BVC_ADD, 1, -8), CALL_LOCAL(5),
	       LDX(BVC_DW, 3, 10, -8), ALU64_REG(BVC_ADD, 0, 3), ALU64_REG(BVC_ADD, 0, 6),
	       ALU64_REG(BVC_ADD, 0, 9), EXIT,
	       /* 11: clobber r6/r9, r0 = *caller's slot (via r1) + *own slot */
	       MOV64_IMM(6, 100), MOV64_IMM(9, 100), ST(BVC_DW, 10, -8, 0x22),
	       LDX(BVC_DW, 0, 1, 0), LDX(BVC_DW, 4, 10, -8), ALU64_REG(BVC_ADD, 0, 4), EXIT),
	  .r0 = 0x11 + 0x22 + 0x11 + 6 + 9 },
	{ "a returned frame's stack is gone",
	  PROG(CALL_LOCAL(2), LDX(BVC_DW, 0, 0, 0), EXIT,
	       MOV64_REG(0, 10), ALU64_IMM(BVC_ADD, 0, -8), EXIT),
	  .rc = -EFAULT, .msg = "insn 1: invalid read of 8 bytes at 0x" },
	{ "8 frames deep is allowed",
	  PROG(MOV64_IMM(1, 6), CALL_LOCAL(1), EXIT,
	       JMP_IMM(BVC_JEQ, 1, 0, 4), ALU64_IMM(BVC_SUB, 1, 1), CALL_LOCAL(-3),
	       ALU64_IMM(BVC_ADD, 0, 1), EXIT, MOV64_IMM(0, 0), EXIT),
	  .r0 = 6 },
	{ "9 frames deep is refused",
	  PROG(MOV64_IMM(1, 7), CALL_LOCAL(1), EXIT,
	       JMP_IMM(BVC_JEQ, 1, 0, 4), ALU64_IMM(BVC_SUB, 1, 1), CALL_LOCAL(-3),
	       ALU64_IMM(BVC_ADD, 0, 1), EXIT, MOV64_IMM(0, 0), EXIT),
	  .rc = -E2BIG, .msg = "insn 5: the call stack of 9 frames is too deep" },
	{ "call target out of range",
	  PROG(CALL_LOCAL(5), EXIT), .rc = -EINVAL, .msg = "insn 0: jump out of range" },

	/* Helpers */
	{ "helper gets r1..r5",
	  PROG(MOV64_IMM(1, 1), MOV64_IMM(2, 2), MOV64_IMM(3, 3), MOV64_IMM(4, 4), MOV64_IMM(5, 5),
	       CALL(HELPER_SUM), EXIT),
	  .r0 = 15 },
	{ "callx calls the helper whose id is in dst",
	  PROG(MOV64_IMM(1, 40), MOV64_IMM(2, 2), MOV64_IMM(3, 0), MOV64_IMM(4, 0), MOV64_IMM(5, 0),
	       MOV64_IMM(7, HELPER_SUM), CALLX(7), EXIT),
	  .r0 = 42 },
	{ "unknown helper",
	  PROG(CALL(99), EXIT), .rc = -ENOENT, .msg = "insn 0: invalid func unknown#99" },
	{ "callx with an unknown id",
	  PROG(LD_IMM64(3, 0x100000001ULL), CALLX(3), EXIT), .rc = -ENOENT,
	  .msg = "insn 2: invalid func unknown#4294967297" },
	{ "kfunc calls are refused",
	  PROG(INSN(BVC_JMP | BVC_CALL, 0, BVC_PSEUDO_KFUNC_CALL, 0, 1), EXIT), .rc = -ENOENT,
	  .msg = "insn 0: kfunc calls are not supported" },
	{ "unwind helper returning 0 ends the program with r0 = 0",
	  PROG(MOV64_IMM(1, 0), CALL(HELPER_UNWIND), MOV64_IMM(0, 7), EXIT), .r0 = 0 },
	{ "unwind helper returning non-zero continues",
	  PROG(MOV64_IMM(1, 3), CALL(HELPER_UNWIND), MOV64_IMM(0, 7), EXIT), .r0 = 7 },
	{ "unwind from a subprogram ends the whole program",
	  PROG(CALL_LOCAL(2), MOV64_IMM(0, 7), EXIT,
	       MOV64_IMM(1, 0), CALL(HELPER_UNWIND), MOV64_IMM(0, 9), EXIT),
	  .r0 = 0 },

	/* Memory safety */
	{ "load past the end of a region",
	  PROG(MOV64_IMM(0, 0), LDX(BVC_W, 0, 1, 13), EXIT), .rc = -EFAULT,
	  .msg = "insn 1: invalid read of 4 bytes at 0x" },
	{ "load of the last bytes of a region",
	  PROG(LDX(BVC_W, 0, 1, 12), EXIT), .mem = { [12] = 1, [15] = 2 }, .r0 = 0x02000001 },
	{ "load below the stack",
	  PROG(LDX(BVC_DW, 0, 10, -520), EXIT), .rc = -EFAULT,
	  .msg = "insn 0: invalid read of 8 bytes at 0x" },
	{ "load at r10 is past the stack",
	  PROG(LDX(BVC_B, 0, 10, 0), EXIT), .rc = -EFAULT,
	  .msg = "insn 0: invalid read of 1 bytes at 0x" },
	{ "load through NULL",
	  PROG(MOV64_IMM(3, 0), LDX(BVC_B, 0, 3, 0), EXIT), .rc = -EFAULT,
	  .msg = "insn 1: invalid read of 1 bytes at 0x0" },
	{ "load at an address that wraps",
	  PROG(MOV64_IMM(3, -4), LDX(BVC_DW, 0, 3, 0), EXIT), .rc = -EFAULT,
	  .msg = "insn 1: invalid read of 8 bytes at 0xfffffffffffffffc" },
	{ "store past the end of a region",
	  PROG(ST(BVC_W, 1, 16, 1), EXIT), .rc = -EFAULT,
	  .msg = "insn 0: invalid write of 4 bytes at 0x" },
	{ "store to a read-only region",
	  PROG(ST(BVC_B, 1, 0, 1), EXIT), .mem_ro = 1, .rc = -EFAULT,
	  .msg = "insn 0: invalid write of 1 bytes at 0x" },
	{ "load from a read-only region",
	  PROG(LDX(BVC_B, 0, 1, 0), EXIT), .mem = { 9 }, .mem_ro = 1, .r0 = 9 },
	{ "atomic on a read-only region",
	  PROG(MOV64_IMM(3, 1), ATOMIC(BVC_W, 1, 3, 0, BVC_ADD), EXIT), .mem_ro = 1,
	  .rc = -EFAULT, .msg = "insn 1: invalid atomic access of 4 bytes at 0x" },

	/* Control flow and shape */
	{ "jump past the end",
	  PROG(JA(5), EXIT), .rc = -EINVAL, .msg = "insn 0: jump out of range from insn 0 to 6" },
	{ "jump before the start",
	  PROG(MOV64_IMM(0, 0), JA(-3), EXIT), .rc = -EINVAL,
	  .msg = "insn 1: jump out of range from insn 1 to -1" },
	{ "jump into the second half of ld_imm64",
	  PROG(JA(1), LD_IMM64(0, 1), EXIT), .rc = -EINVAL, .msg = "insn 2: unknown opcode 00" },
	{ "gotol jumps by imm",
	  PROG(MOV64_IMM(0, 2), GOTOL(1), MOV64_IMM(0, 1), EXIT), .r0 = 2 },
	{ "fall off the end",
	  PROG(MOV64_IMM(0, 1)), .rc = -EINVAL, .msg = "insn 0: fell off the end" },
	{ "ld_imm64 without its second half",
	  PROG(MOV64_IMM(0, 1), EXIT, INSN(BVC_LD | BVC_IMM | BVC_DW, 0, 0, 0, 1)), .rc = -EINVAL,
	  .msg = "insn 2: invalid bpf_ld_imm64 insn" },
	{ "unknown opcode",
	  PROG(INSN(BVC_ALU64 | BVC_NEG | BVC_X, 0, 0, 0, 0), EXIT), .rc = -EINVAL,
	  .msg = "insn 0: unknown opcode 8f" },
	{ "write to r10 is refused",
	  PROG(MOV64_IMM(10, 0), EXIT), .rc = -EINVAL, .msg = "insn 0: frame pointer is read only" },
	{ "r11 is refused",
	  PROG(MOV64_IMM(0, 0), MOV64_REG(0, 11), EXIT), .rc = -EINVAL, .msg = "insn 1: R11 is invalid" },
	{ "infinite loop hits the step budget",
	  PROG(MOV64_IMM(0, 0), JA(-1), EXIT), .max_steps = 1000, .rc = -ELOOP,
	  .msg = "insn 1: step budget of 1000 instructions exhausted" },
	{ "a budget of exactly the program's steps is enough",
	  PROG(MOV64_IMM(0, 3), EXIT), .max_steps = 2, .r0 = 3 },
	{ "one step short",
	  PROG(MOV64_IMM(0, 3), EXIT), .max_steps = 1, .rc = -ELOOP, .msg = "insn 1: step budget" },
	{ "jslt32 looks at the low 32 bits only",
	  PROG(MOV64_IMM(0, 0), LD_IMM64(3, 0x1ffffffffULL), JMP32_IMM(BVC_JSLT, 3, 0, 1), EXIT,
	       MOV64_IMM(0, 1), EXIT),
	  .r0 = 1 },
	{ "jsgt64 is signed, jgt64 unsigned",
	  PROG(MOV64_IMM(0, 0), MOV64_IMM(3, -1), JMP_IMM(BVC_JSGT, 3, 0, 1),
	       ALU64_IMM(BVC_OR, 0, 1), JMP_IMM(BVC_JGT, 3, 0, 1), EXIT,
	       ALU64_IMM(BVC_OR, 0, 2), EXIT),
	  .r0 = 3 },
	{ "jset32 ignores the upper half",
	  PROG(MOV64_IMM(0, 0), LD_IMM64(3, 0x100000000ULL), JMP32_REG(BVC_JSET, 3, 3, 1), EXIT,
	       MOV64_IMM(0, 1), EXIT),
	  .r0 = 0 },
	{ "jle with a sign-extended imm",
	  PROG(MOV64_IMM(0, 0), LD_IMM64(3, 0xfffffffffffffffeULL), JMP_IMM(BVC_JLE, 3, -1, 1), EXIT,
	       MOV64_IMM(0, 1), EXIT),
	  .r0 = 1 },
	{ "may_goto falls through its budget, then jumps",
	  PROG(MOV64_IMM(0, 0), MAY_GOTO(2), ALU64_IMM(BVC_ADD, 0, 1), JA(-3), EXIT),
	  .r0 = BVC_INTERP_MAY_GOTO },

	/* LD_ABS / LD_IND read the packet big-endian */
	{ "ld_abs w",
	  PROG(LD_ABS(BVC_W, 0), EXIT), .r0 = 0x12345678 },
	{ "ld_abs h",
	  PROG(LD_ABS(BVC_H, 6), EXIT), .r0 = 0xdef0 },
	{ "ld_abs b",
	  PROG(LD_ABS(BVC_B, 7), EXIT), .r0 = 0xf0 },
	{ "ld_ind w",
	  PROG(MOV64_IMM(3, 3), LD_IND(BVC_W, 3, 1), EXIT), .r0 = 0x9abcdef0 },
	{ "ld_abs out of bounds ends the program with r0 = 0",
	  PROG(MOV64_IMM(0, 99), LD_ABS(BVC_W, 5), MOV64_IMM(0, 1), EXIT), .r0 = 0 },
	{ "ld_ind with a negative offset ends the program with r0 = 0",
	  PROG(MOV64_IMM(0, 99), MOV64_IMM(3, -1), LD_IND(BVC_B, 3, 0), MOV64_IMM(0, 1), EXIT),
	  .r0 = 0 },
	{ "ld_abs dw does not exist",
	  PROG(LD_ABS(BVC_DW, 0), EXIT), .rc = -EINVAL, .msg = "insn 0: unknown opcode 38" },
};

static uint64_t helper_sum(void *ctx, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			   uint64_t r5)
{
	return r1 + r2 + r3 + r4 + r5;
}

/* The conformance suite's unwind helper: returns its first argument. */
static uint64_t helper_unwind(void *ctx, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			      uint64_t r5)
{
	return r1;
}

static bvc_helper_fn resolve(void *ctx, int32_t id)
{
	switch (id) {
	case HELPER_SUM: return helper_sum;
	case HELPER_UNWIND: return helper_unwind;
	default: return NULL;
	}
}

/*
 * The parameter is a row index, not the row: Criterion copies parameters
 * into a fresh worker process, where the row's string pointers would dangle.
 */
struct row {
	size_t idx;
};

static void free_rows(struct criterion_test_params *ctp)
{
	cr_free(ctp->params);
}

ParameterizedTestParameters(interp, table)
{
	size_t n = sizeof(cases) / sizeof(cases[0]), k;
	struct row *rows = cr_calloc(n, sizeof(*rows));

	for (k = 0; k < n; k++)
		rows[k].idx = k;
	return cr_make_param_array(struct row, rows, n, free_rows);
}

ParameterizedTest(struct row *row, interp, table)
{
	const struct icase *c = &cases[row->idx];
	_Alignas(8) uint8_t mem[MEM_SIZE];
	struct bvc_interp_region region;
	struct bvc_interp_opts opts;
	char err[256];
	uint64_t r0 = 0xdeadbeef;
	int rc;

	memcpy(mem, c->mem, sizeof(mem));
	region.base = (uint64_t)(uintptr_t)mem;
	region.size = sizeof(mem);
	region.writable = !c->mem_ro;
	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.regions = &region;
	opts.region_cnt = 1;
	opts.helper = resolve;
	opts.unwind_helper = HELPER_UNWIND;
	opts.max_steps = c->max_steps;
	opts.packet.data = packet;
	opts.packet.len = sizeof(packet);

	rc = bvc_interp_run(c->prog, c->cnt, region.base, sizeof(mem), &opts, &r0, err, sizeof(err));
	cr_assert_eq(rc, c->rc, "%s: rc %d (%s), expected %d", c->name, rc, err, c->rc);
	if (!c->rc) {
		cr_expect_eq(r0, c->r0, "%s: r0 = 0x%llx, expected 0x%llx", c->name,
			     (unsigned long long)r0, (unsigned long long)c->r0);
		cr_expect_str_empty(err, "%s: message on success: %s", c->name, err);
	} else {
		cr_expect(c->msg && !strncmp(err, c->msg, strlen(c->msg)),
			  "%s: message '%s', expected it to start with '%s'", c->name, err,
			  c->msg ? c->msg : "(none)");
	}
	if (c->check_mem)
		cr_expect_arr_eq(mem, c->mem_after, sizeof(mem), "%s: memory afterwards differs",
				 c->name);
}

/* The fault names the exact address, so a JIT's report can be compared with it. */
Test(interp, fault_message_exact)
{
	const struct bvc_insn prog[] = { MOV64_IMM(0, 0), LDX(BVC_W, 0, 1, 14), EXIT };
	uint8_t mem[16] = { 0 };
	struct bvc_interp_region region = { (uint64_t)(uintptr_t)mem, sizeof(mem), 1 };
	struct bvc_interp_opts opts = { .sz = sizeof(opts), .regions = &region, .region_cnt = 1 };
	char err[128], want[128];
	uint64_t r0;

	cr_assert_eq(bvc_interp_run(prog, 3, region.base, 16, &opts, &r0, err, sizeof(err)), -EFAULT);
	snprintf(want, sizeof(want), "insn 1: invalid read of 4 bytes at 0x%llx",
		 (unsigned long long)(region.base + 14));
	cr_assert_str_eq(err, want);
}

Test(interp, null_opts_and_no_err_buffer)
{
	const struct bvc_insn ok[] = { MOV64_IMM(0, 3), EXIT };
	const struct bvc_insn bad[] = { LDX(BVC_B, 0, 1, 0), EXIT };
	uint64_t r0 = 0;

	cr_assert_eq(bvc_interp_run(ok, 2, 0, 0, NULL, &r0, NULL, 0), 0);
	cr_assert_eq(r0, 3);
	/* No regions: r1 points nowhere the program may read. */
	cr_assert_eq(bvc_interp_run(bad, 2, 0x1000, 0, NULL, &r0, NULL, 0), -EFAULT);
	cr_assert_eq(bvc_interp_run(NULL, 0, 0, 0, NULL, &r0, NULL, 0), -EINVAL);
}

/* A caller built against an older, shorter opts still works. */
Test(interp, short_opts)
{
	const struct bvc_insn prog[] = { LD_ABS(BVC_B, 0), CALL(HELPER_SUM), EXIT };
	struct bvc_interp_opts opts = {
		.sz = offsetof(struct bvc_interp_opts, packet),
		.helper = resolve,
		.packet = { packet, sizeof(packet) }, /* past sz: must be ignored */
	};
	uint64_t r0 = 1;
	char err[64];

	cr_assert_eq(bvc_interp_run(prog, 3, 0, 0, &opts, &r0, NULL, 0), 0);
	cr_assert_eq(r0, 0, "the packet past opts->sz was used");
	opts.sz = 0;
	cr_assert_eq(bvc_interp_run(prog, 3, 0, 0, &opts, &r0, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "bvc_interp_opts: sz 0 is too small (at least 8)");
}

/* A tiny buffer gets a truncated, terminated message. */
Test(interp, small_err_buffer)
{
	const struct bvc_insn prog[] = { JA(7), EXIT };
	char err[8];

	memset(err, 'x', sizeof(err));
	cr_assert_eq(bvc_interp_run(prog, 2, 0, 0, NULL, NULL, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "insn 0:");
}
