// SPDX-License-Identifier: MIT
/*
 * Adversarial cases for precision tracking (verifier/precise.c and the
 * imprecise-scalar rule of verifier/prune.c): programs where two paths
 * join at a prune point with different values of a scalar that looks
 * unused at the join, and the continuation then relies on it (pointer
 * arithmetic, stack offsets, helper sizes, map keys, decided branches,
 * return values, zero stores). The later path (the taken branch, explored
 * second, like the kernel does) is the unsafe one, so a walk that misses a
 * source prunes it and accepts. Each case carries bpfvc's verdict
 * (adversarial.h: ACC, REJ, REJ_KBUG, REJ_GAP), which the tests assert
 * whatever the running kernel says; Linux 6.18.44's verdict agrees except
 * where marked.
 *
 * Cases marked "was unsound" are ones bpfvc accepted while they are unsafe
 * (fixed since). linked-ldsx-sign is one a kernel accepted too: we had
 * copied its bug (docs/kernel-bugs.md).
 *
 * The links section checks that a copy shares its source's id (a bound
 * learnt on one is applied to the other, engine.c sync_linked) only when
 * the two are equal as 64-bit values, across sign and zero extension,
 * narrow spills and fills, atomic fetches and 32-bit compares; and what
 * we do not model (BPF_ADD_CONST links: REJ_GAP, safe to lose).
 *
 * The driver (and ADV_VERBOSE, ADV_LOG, ADV_KERNEL_STRICT) is adversarial.c's.
 *
 * atomic-*-after-join: an atomic fetch (xchg, fetch_add, cmpxchg) of a
 * spilled constant used as an offset after a join. A kernel whose
 * backtrack_insn() treated the fetch as a store never marked the slot
 * precise and pruned the unsafe path; the case was written against one
 * (it accepted), Linux 6.18.44 and the 6.12.118 source walk the fetch as
 * a load, as we do.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adversarial.h"
#include "bpfvc/verifier.h"
#include "common/insns.h"



#define SOCK 1
#define TC 3
#define CGSKB 8
#define FREQ 8u /* BPF_F_TEST_STATE_FREQ: a checkpoint at every prune point */

#define R0_0 I_MOV64_IMM(0, 0)
#define RAND I_CALL(7)
#define LD_MAP(r, idx) I_LD_IMM64_LO(r, BVC_PSEUDO_MAP_IDX, idx), I_LD_IMM64_HI(0)
#define LD_MAP_VALUE(r, idx, off) I_LD_IMM64_LO(r, BVC_PSEUDO_MAP_IDX_VALUE, idx), I_RAW(0, 0, 0, 0, off)
#define LD64(r, v) I_LD_IMM64_LO(r, 0, v), I_LD_IMM64_HI(v)
#define ATOMIC(sz, dst, src, off, op) I_RAW(BVC_STX | BVC_ATOMIC | (sz), dst, src, off, op)
#define LDSX(sz, d, s, o) I_RAW(BVC_LDX | BVC_MEMSX | (sz), d, s, o, 0)
#define MOVSX64(d, s, bits) I_RAW(BVC_ALU64 | BVC_MOV | BVC_X, d, s, bits, 0)
#define MOVSX32(d, s, bits) I_RAW(BVC_ALU | BVC_MOV | BVC_X, d, s, bits, 0)
#define MOV32_REG(d, s) I_ALU32_REG(BVC_MOV, d, s)

/*
 * FORK(n): r0 = rand; the fall-through runs the next n instructions (the
 * safe setup, explored first, ending with an I_JA(m) over the unsafe
 * setup); the taken branch lands on the m unsafe instructions. Both
 * meet right after them: a jump target, so a prune point (and with FREQ
 * a checkpoint on the first path).
 */
#define FORK(n) RAND, I_JMP_IMM(BVC_JEQ, 0, 0, (n))
/* r0 = *(u8 *)(map "one" value + r): fine for r <= 63 (the safe 8), out
 * of the 64-byte value for 64 (the unsafe one). 5 insns. */
#define USE_OFF(r) LD_MAP_VALUE(2, 4, 0), I_ALU64_REG(BVC_ADD, 2, r), I_LDX(BVC_B, 0, 2, 0), I_EXIT()
/* r1 = r in 0..255 of rand: 3 insns (clobbers r0-r5 first) */
#define RAND_BYTE(r) RAND, I_MOV64_REG(r, 0), I_ALU64_IMM(BVC_AND, r, 0xff)
/* r in 0..127: 3 insns */
#define RAND7(r) RAND, I_MOV64_REG(r, 0), I_ALU64_IMM(BVC_AND, r, 0x7f)
/* r in 0..2^32-1 (the helper's return is a 64-bit unknown): 2 insns */
#define RAND32(r) RAND, MOV32_REG(r, 0)
/* r in 0..2^33-2 (u32 + u32), bit 32 may be set: 3 insns */
#define RAND33(r) RAND32(r), I_ALU64_REG(BVC_ADD, r, r)
/* "if r <op> 8 goto out; if r6 s< 0 goto out" before a USE_OFF(6) and
 * "out: r0 = 0; exit": the check on the copy r, and one that a wrong
 * link makes look settled. 2 insns. */
#define LINK_CHECK(op, r) I_JMP_IMM(op, r, 8, 6), I_JMP_IMM(BVC_JSLT, 6, 0, 5)
#define LINK_CHECK32(op, r) I_RAW(BVC_JMP32 | (op) | BVC_K, r, 0, 6, 8), I_JMP_IMM(BVC_JSLT, 6, 0, 5)

static const struct adv_case cases[] = {
	/* ---------------------------------------------------------------
	 * Values in registers and through ALU ops
	 * --------------------------------------------------------------- */
	{ "reg-offset", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 8), I_JA(1),
		I_MOV64_IMM(6, 64),
		USE_OFF(6)), REJ, "the offset of map value + r6 makes r6 precise at the join" },
	{ "reg-offset-default-heuristic", SOCK, 0, PROG(
		I_MOV64_IMM(7, 0), I_MOV64_IMM(8, 0),
		RAND, I_JMP_IMM(BVC_JEQ, 0, 1, 0), I_JMP_IMM(BVC_JEQ, 0, 2, 0), I_JMP_IMM(BVC_JEQ, 0, 3, 0),
		I_MOV64_IMM(7, 1), I_MOV64_IMM(8, 1), I_MOV64_IMM(7, 2),
		FORK(2),
		I_MOV64_IMM(6, 8), I_JA(1),
		I_MOV64_IMM(6, 64),
		USE_OFF(6)), REJ, "same without BPF_F_TEST_STATE_FREQ" },
	{ "alu64-chain", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 4), I_JA(1),
		I_MOV64_IMM(6, 32),
		I_MOV64_REG(7, 6), I_ALU64_IMM(BVC_MUL, 7, 2), I_ALU64_IMM(BVC_SUB, 7, 0),
		I_MOV64_IMM(6, 0),
		USE_OFF(7)), REJ, "r7 = r6 * 2 - 0: r6 precise through mov/mul/sub" },
	{ "alu64-reg-src", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 4), I_JA(1),
		I_MOV64_IMM(6, 60),
		I_MOV64_IMM(7, 4), I_ALU64_REG(BVC_ADD, 7, 6), I_MOV64_IMM(6, 0),
		USE_OFF(7)), REJ, "r7 += r6: the source register becomes precise" },
	{ "alu32-mov-add", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV32_IMM(6, 8), I_JA(1),
		I_MOV32_IMM(6, 64),
		MOV32_REG(7, 6), I_ALU32_IMM(BVC_ADD, 7, 0), I_MOV64_IMM(6, 0),
		USE_OFF(7)), REJ, "w7 = w6; w7 += 0" },
	{ "alu32-reg-src", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV32_IMM(6, 1), I_JA(1),
		I_MOV32_IMM(6, 57),
		I_MOV32_IMM(7, 7), I_ALU32_REG(BVC_ADD, 7, 6), I_MOV64_IMM(6, 0),
		USE_OFF(7)), REJ, "w7 += w6" },
	{ "movsx64", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 8), I_JA(1),
		I_MOV64_IMM(6, 64),
		MOVSX64(7, 6, 8), I_MOV64_IMM(6, 0),
		USE_OFF(7)), REJ, "r7 = (s8)r6" },
	{ "movsx32", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 8), I_JA(1),
		I_MOV64_IMM(6, 64),
		MOVSX32(7, 6, 16), I_MOV64_IMM(6, 0),
		USE_OFF(7)), REJ, "w7 = (s16)w6" },
	{ "neg-twice", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 8), I_JA(1),
		I_MOV64_IMM(6, 64),
		I_RAW(BVC_ALU64 | BVC_NEG, 6, 0, 0, 0), I_RAW(BVC_ALU64 | BVC_NEG, 6, 0, 0, 0),
		USE_OFF(6)), REJ, "NEG keeps dst needed" },
	{ "ld-imm64", SOCK, FREQ, PROG(
		FORK(3),
		LD64(6, 8), I_JA(2),
		LD64(6, 64),
		I_MOV64_REG(7, 6), I_MOV64_IMM(6, 0),
		USE_OFF(7)), REJ, "ld_imm64 values" },
	{ "ld-imm64-after-join-kills", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 8), I_JA(1),
		I_MOV64_IMM(6, 64),
		LD64(6, 8),
		USE_OFF(6)), ACC, "r6 is overwritten by ld_imm64 after the join: prunable" },

	/* ---------------------------------------------------------------
	 * Spills and fills
	 * --------------------------------------------------------------- */
	{ "spill64-fill64", SOCK, FREQ, PROG(
		FORK(3),
		I_MOV64_IMM(6, 8), I_STX(BVC_DW, 10, 6, -8), I_JA(2),
		I_MOV64_IMM(6, 64), I_STX(BVC_DW, 10, 6, -8),
		I_MOV64_IMM(6, 0), I_LDX(BVC_DW, 7, 10, -8),
		USE_OFF(7)), REJ, "8-byte spill and fill" },
	{ "spill-st-imm", SOCK, FREQ, PROG(
		FORK(2),
		I_ST(BVC_DW, 10, -8, 8), I_JA(1),
		I_ST(BVC_DW, 10, -8, 64),
		I_LDX(BVC_DW, 7, 10, -8),
		USE_OFF(7)), REJ, "BPF_ST of an immediate is a spill of a constant" },
	{ "spill-via-nonfp-ptr", SOCK, FREQ, PROG(
		I_MOV64_REG(8, 10), I_ALU64_IMM(BVC_ADD, 8, -24),
		FORK(3),
		I_MOV64_IMM(6, 8), I_STX(BVC_DW, 8, 6, 8), I_JA(2),
		I_MOV64_IMM(6, 64), I_STX(BVC_DW, 8, 6, 8),
		I_MOV64_IMM(6, 0), I_LDX(BVC_DW, 7, 10, -16),
		USE_OFF(7)), REJ, "spill through r8 = fp-24, fill through r10" },
	{ "fill-via-nonfp-ptr", SOCK, FREQ, PROG(
		FORK(3),
		I_MOV64_IMM(6, 8), I_STX(BVC_DW, 10, 6, -16), I_JA(2),
		I_MOV64_IMM(6, 64), I_STX(BVC_DW, 10, 6, -16),
		I_MOV64_REG(8, 10), I_ALU64_IMM(BVC_ADD, 8, -32), I_LDX(BVC_DW, 7, 8, 16),
		USE_OFF(7)), REJ, "fill through r8 = fp-32 +16" },
	{ "spill32-fill32", SOCK, FREQ, PROG(
		FORK(3),
		I_MOV64_IMM(6, 8), I_STX(BVC_W, 10, 6, -8), I_JA(2),
		I_MOV64_IMM(6, 64), I_STX(BVC_W, 10, 6, -8),
		I_MOV64_IMM(6, 0), I_LDX(BVC_W, 7, 10, -8),
		USE_OFF(7)), REJ, "4-byte spill and fill" },
	{ "spill16-fill16", SOCK, FREQ, PROG(
		FORK(3),
		I_MOV64_IMM(6, 8), I_STX(BVC_H, 10, 6, -16), I_JA(2),
		I_MOV64_IMM(6, 64), I_STX(BVC_H, 10, 6, -16),
		I_MOV64_IMM(6, 0), I_LDX(BVC_H, 7, 10, -16),
		USE_OFF(7)), REJ, "2-byte spill and fill" },
	{ "spill64-narrow-fill32", SOCK, FREQ, PROG(
		FORK(3),
		I_MOV64_IMM(6, 8), I_STX(BVC_DW, 10, 6, -8), I_JA(2),
		I_MOV64_IMM(6, 64), I_STX(BVC_DW, 10, 6, -8),
		I_MOV64_IMM(6, 0), I_LDX(BVC_W, 7, 10, -8),
		USE_OFF(7)), REJ, "8-byte spill, 4-byte fill of its low half" },
	{ "spill64-narrow-fill8", SOCK, FREQ, PROG(
		FORK(3),
		I_MOV64_IMM(6, 8), I_STX(BVC_DW, 10, 6, -8), I_JA(2),
		I_MOV64_IMM(6, 64), I_STX(BVC_DW, 10, 6, -8),
		I_MOV64_IMM(6, 0), I_LDX(BVC_B, 7, 10, -8),
		USE_OFF(7)), REJ, "8-byte spill, 1-byte fill" },
	{ "spill64-ldsx8", SOCK, FREQ, PROG(
		FORK(3),
		I_MOV64_IMM(6, 8), I_STX(BVC_DW, 10, 6, -8), I_JA(2),
		I_MOV64_IMM(6, 64), I_STX(BVC_DW, 10, 6, -8),
		I_MOV64_IMM(6, 0), LDSX(BVC_B, 7, 10, -8),
		USE_OFF(7)), REJ, "8-byte spill, sign-extending 1-byte fill" },
	{ "spill32-ldsx32", SOCK, FREQ, PROG(
		FORK(3),
		I_MOV64_IMM(6, 8), I_STX(BVC_W, 10, 6, -8), I_JA(2),
		I_MOV64_IMM(6, 64), I_STX(BVC_W, 10, 6, -8),
		I_MOV64_IMM(6, 0), LDSX(BVC_W, 7, 10, -8),
		USE_OFF(7)), REJ, "4-byte spill, sign-extending 4-byte fill" },
	{ "spilled-zero-unaligned-fill", SOCK, FREQ, PROG(
		FORK(3),
		I_MOV64_IMM(6, 0), I_STX(BVC_DW, 10, 6, -8), I_JA(2),
		I_MOV64_IMM(6, 0x4000), I_STX(BVC_DW, 10, 6, -8),
		I_MOV64_IMM(6, 0), I_LDX(BVC_B, 7, 10, -7),
		USE_OFF(7)), REJ, "1-byte fill at fp-7 of a spilled zero is 0; of 0x4000 it is unknown" },
	{ "spilled-zero-unaligned-fill-64", SOCK, FREQ, PROG(
		FORK(3),
		I_MOV64_IMM(6, 0), I_STX(BVC_DW, 10, 6, -8), I_JA(2),
		I_MOV64_IMM(6, 64), I_STX(BVC_DW, 10, 6, -8),
		I_MOV64_IMM(6, 0), I_LDX(BVC_H, 7, 10, -4),
		USE_OFF(7)), REJ, "2-byte fill at fp-4 of a spilled zero is 0, of a spilled 64 unknown" },
	{ "zero-store-reg-unaligned", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 0), I_JA(1),
		I_MOV64_IMM(6, 64),
		I_STX(BVC_W, 10, 6, -4), I_MOV64_IMM(6, 0),
		I_LDX(BVC_W, 7, 10, -4),
		USE_OFF(7)), REJ, "w6 stored at fp-4 (not a spill): STACK_ZERO only when r6 is 0" },
	{ "zero-store-reg-then-spill-over", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 0), I_JA(1),
		I_MOV64_IMM(6, 64),
		I_STX(BVC_B, 10, 6, -1), I_STX(BVC_B, 10, 6, -2), I_MOV64_IMM(6, 0),
		I_LDX(BVC_H, 7, 10, -2),
		USE_OFF(7)), REJ, "two 1-byte zero stores, a 2-byte read" },
	{ "spill-fill-spill-chain", SOCK, FREQ, PROG(
		FORK(3),
		I_MOV64_IMM(6, 8), I_STX(BVC_DW, 10, 6, -8), I_JA(2),
		I_MOV64_IMM(6, 64), I_STX(BVC_DW, 10, 6, -8),
		I_LDX(BVC_DW, 1, 10, -8), I_STX(BVC_DW, 10, 1, -32), I_MOV64_IMM(1, 0),
		I_ST(BVC_DW, 10, -8, 0),
		I_LDX(BVC_W, 7, 10, -32),
		USE_OFF(7)), REJ, "fill, re-spill elsewhere, overwrite the original, fill again" },

	/* ---------------------------------------------------------------
	 * Linked scalars
	 * --------------------------------------------------------------- */
	{ "linked-regs", SOCK, FREQ, PROG(
		RAND_BYTE(6),
		FORK(2),
		I_MOV64_REG(7, 6), I_JA(2),
		RAND, I_MOV64_REG(7, 0),
		I_ALU64_IMM(BVC_AND, 7, 0xff),
		I_JMP_IMM(BVC_JGT, 6, 8, 5),
		USE_OFF(7),
		R0_0, I_EXIT()), REJ, "r7 = r6 on the first path only; the check on r6 bounds r7 only there" },
	{ "linked-via-spill", SOCK, FREQ, PROG(
		RAND_BYTE(6),
		FORK(2),
		I_STX(BVC_DW, 10, 6, -8), I_JA(3),
		RAND, I_ALU64_IMM(BVC_AND, 0, 0xff), I_STX(BVC_DW, 10, 0, -8),
		I_JMP_IMM(BVC_JGT, 6, 8, 6),
		I_LDX(BVC_DW, 7, 10, -8),
		USE_OFF(7),
		R0_0, I_EXIT()), REJ, "slot fp-8 linked to r6 on the first path only" },
	{ "linked-fill-after-check", SOCK, FREQ, PROG(
		RAND_BYTE(6),
		I_STX(BVC_DW, 10, 6, -8),
		FORK(2),
		I_MOV64_IMM(8, 0), I_JA(3),
		RAND, I_ALU64_IMM(BVC_AND, 0, 0xff), I_STX(BVC_DW, 10, 0, -8),
		I_LDX(BVC_DW, 7, 10, -8),
		I_JMP_IMM(BVC_JGT, 7, 8, 5),
		USE_OFF(6),
		R0_0, I_EXIT()), REJ, "fill linked to r6 through the slot; check on the fill bounds r6" },
	{ "linked-jmp32", SOCK, FREQ, PROG(
		RAND_BYTE(6),
		FORK(2),
		I_MOV64_REG(7, 6), I_JA(2),
		RAND, I_MOV64_REG(7, 0),
		I_ALU64_IMM(BVC_AND, 7, 0xff),
		I_RAW(BVC_JMP32 | BVC_JGT | BVC_K, 6, 0, 5, 8),
		USE_OFF(7),
		R0_0, I_EXIT()), REJ, "linked refinement by a JMP32 check" },
	{ "linked-reg-reg-cmp", SOCK, FREQ, PROG(
		RAND_BYTE(6),
		I_MOV64_IMM(9, 8),
		FORK(2),
		I_MOV64_REG(7, 6), I_JA(2),
		RAND, I_MOV64_REG(7, 0),
		I_ALU64_IMM(BVC_AND, 7, 0xff),
		I_JMP_REG(BVC_JGT, 6, 9, 5),
		USE_OFF(7),
		R0_0, I_EXIT()), REJ, "if r6 > r9: r9 needed too" },
	{ "linked-eight-live", SOCK, 0, PROG(
		RAND, I_ALU64_IMM(BVC_AND, 0, 0xff),
		I_MOV64_REG(1, 0), I_MOV64_REG(3, 0), I_MOV64_REG(4, 0), I_MOV64_REG(5, 0),
		I_MOV64_REG(6, 0), I_MOV64_REG(7, 0), I_MOV64_REG(8, 0),
		I_JMP_IMM(BVC_JGT, 0, 8, 12),
		LD_MAP_VALUE(9, 4, 0), I_ALU64_REG(BVC_ADD, 9, 8), I_LDX(BVC_B, 9, 9, 0),
		I_ALU64_REG(BVC_ADD, 0, 1), I_ALU64_REG(BVC_ADD, 0, 3), I_ALU64_REG(BVC_ADD, 0, 4),
		I_ALU64_REG(BVC_ADD, 0, 5), I_ALU64_REG(BVC_ADD, 0, 6), I_ALU64_REG(BVC_ADD, 0, 7),
		I_ALU64_REG(BVC_ADD, 0, 9), I_EXIT(),
		R0_0, I_EXIT()), REJ,
	  "was unsound: 8 live linked scalars; the kernel links at most 6 (collect_linked_regs clears the id "
	  "of the rest), so r7 and r8 keep [0,255]; engine.c sync_linked() refines every scalar with the id" },
	{ "linked-six-live", SOCK, 0, PROG(
		RAND, I_ALU64_IMM(BVC_AND, 0, 0xff),
		I_MOV64_REG(1, 0), I_MOV64_REG(3, 0), I_MOV64_REG(4, 0), I_MOV64_REG(5, 0),
		I_MOV64_REG(8, 0),
		I_JMP_IMM(BVC_JGT, 0, 8, 10),
		LD_MAP_VALUE(9, 4, 0), I_ALU64_REG(BVC_ADD, 9, 8), I_LDX(BVC_B, 9, 9, 0),
		I_ALU64_REG(BVC_ADD, 0, 1), I_ALU64_REG(BVC_ADD, 0, 3), I_ALU64_REG(BVC_ADD, 0, 4),
		I_ALU64_REG(BVC_ADD, 0, 5), I_ALU64_REG(BVC_ADD, 0, 9), I_EXIT(),
		R0_0, I_EXIT()), ACC, "6 live linked scalars: all refined" },
	{ "linked-narrow-fill", SOCK, 0, PROG(
		RAND_BYTE(6),
		I_STX(BVC_DW, 10, 6, -8),
		I_LDX(BVC_W, 7, 10, -8),
		I_JMP_IMM(BVC_JGT, 7, 8, 5),
		USE_OFF(6),
		R0_0, I_EXIT()), ACC, "a 4-byte fill of an 8-byte spill of a byte stays linked" },
	{ "linked-ldsx-sign", SOCK, 0, PROG(
		RAND_BYTE(6),
		I_STX(BVC_DW, 10, 6, -8),
		LDSX(BVC_B, 7, 10, -8),
		I_JMP_IMM(BVC_JSGT, 7, 8, 6),
		I_JMP_IMM(BVC_JSLT, 6, 0, 5),
		USE_OFF(6),
		R0_0, I_EXIT()), REJ_KBUG,
	  "was unsound, a kernel bug we copied: an (s8) fill of a spilled 0..255 is negative for 128..255, "
	  "so it may not share r6's id (Linux 6.12 keeps it: the byte 'fits'); r6 = 200 passes both checks" },

	/* ---------------------------------------------------------------
	 * Links across width changes: a copy keeps the id only when it
	 * equals the source as a 64-bit value. Each case bounds one side and
	 * uses the other as an offset (< 64); the unsafe ones have a value of
	 * the source that passes the checks and is out of the map value.
	 * --------------------------------------------------------------- */
	{ "linked-ldsx-fits", SOCK, 0, PROG(
		RAND7(6),
		I_STX(BVC_DW, 10, 6, -8),
		LDSX(BVC_B, 7, 10, -8),
		LINK_CHECK(BVC_JSGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), ACC, "an (s8) fill of a spilled 0..127 equals it: the link holds" },
	{ "linked-ldsx-byte-spill-sign", SOCK, 0, PROG(
		RAND_BYTE(6),
		I_STX(BVC_B, 10, 6, -8),
		LDSX(BVC_B, 7, 10, -8),
		LINK_CHECK(BVC_JSGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), REJ_KBUG, "1-byte spill of 0..255, (s8) fill: r6 = 200 passes (6.12 source links it)" },
	{ "linked-ldsx16-sign", SOCK, 0, PROG(
		RAND, I_MOV64_REG(6, 0), I_ALU64_IMM(BVC_AND, 6, 0xffff),
		I_STX(BVC_H, 10, 6, -8),
		LDSX(BVC_H, 7, 10, -8),
		LINK_CHECK(BVC_JSGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), REJ_KBUG, "2-byte spill of 0..65535, (s16) fill: r6 = 40000 passes (6.12 source links it)" },
	{ "linked-ldsx16-fits", SOCK, 0, PROG(
		RAND, I_MOV64_REG(6, 0), I_ALU64_IMM(BVC_AND, 6, 0x7fff),
		I_STX(BVC_H, 10, 6, -8),
		LDSX(BVC_H, 7, 10, -8),
		LINK_CHECK(BVC_JSGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), ACC, "2-byte spill of 0..32767, (s16) fill: equal" },
	{ "linked-ldsx32-sign", SOCK, 0, PROG(
		RAND32(6),
		I_STX(BVC_W, 10, 6, -8),
		LDSX(BVC_W, 7, 10, -8),
		LINK_CHECK(BVC_JSGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), REJ_KBUG,
	  "4-byte spill of a u32, (s32) fill: r6 = 0xffffffff passes (6.12 source links it)" },
	{ "linked-movsx64-sign", SOCK, 0, PROG(
		RAND_BYTE(6),
		MOVSX64(7, 6, 8),
		LINK_CHECK(BVC_JSGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), REJ, "r7 = (s8)r6 of 0..255: r6 = 200 passes" },
	{ "linked-movsx64-fits", SOCK, 0, PROG(
		RAND7(6),
		MOVSX64(7, 6, 8),
		LINK_CHECK(BVC_JSGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), ACC, "r7 = (s8)r6 of 0..127: equal, linked" },
	{ "linked-movsx64-s32-sign", SOCK, 0, PROG(
		RAND32(6),
		MOVSX64(7, 6, 32),
		LINK_CHECK(BVC_JSGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), REJ, "r7 = (s32)r6 of a u32: r6 = 0x80000000 passes" },
	{ "linked-movsx32-wide", SOCK, 0, PROG(
		RAND, I_MOV64_REG(6, 0), I_ALU64_IMM(BVC_AND, 6, 0x1ff),
		MOVSX32(7, 6, 8),
		LINK_CHECK32(BVC_JGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), REJ, "w7 = (s8)w6 of 0..511, w7 <= 8: r6 = 259 gives w7 = 3" },
	{ "linked-movsx32-fits", SOCK, 0, PROG(
		RAND7(6),
		MOVSX32(7, 6, 8),
		LINK_CHECK32(BVC_JSGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), ACC, "w7 = (s8)w6 of 0..127: equal (zero-extended), linked" },
	{ "linked-mov32-fits", SOCK, 0, PROG(
		RAND_BYTE(6),
		MOV32_REG(7, 6),
		LINK_CHECK(BVC_JGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), ACC, "w7 = w6 of 0..255: the upper half is zero, equal" },
	{ "linked-mov32-wide", SOCK, 0, PROG(
		RAND33(6),
		MOV32_REG(7, 6),
		LINK_CHECK(BVC_JGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), REJ, "w7 = w6 of a 33-bit value drops bit 32: r6 = 2^32 + 3 passes" },
	{ "linked-fill32-wide", SOCK, 0, PROG(
		RAND33(6),
		I_STX(BVC_DW, 10, 6, -8),
		I_LDX(BVC_W, 7, 10, -8),
		LINK_CHECK(BVC_JGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), REJ, "a 4-byte fill of a 33-bit spill: r6 = 2^32 + 3 passes" },
	{ "linked-spill8-wide", SOCK, 0, PROG(
		RAND, I_MOV64_REG(6, 0), I_ALU64_IMM(BVC_AND, 6, 0x1ff),
		I_STX(BVC_B, 10, 6, -8),
		I_LDX(BVC_B, 7, 10, -8),
		LINK_CHECK(BVC_JGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), REJ, "a 1-byte spill and fill of 0..511: r6 = 259 passes" },
	{ "linked-jmp32-wide", SOCK, 0, PROG(
		RAND33(6),
		I_MOV64_REG(7, 6),
		LINK_CHECK32(BVC_JGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), REJ, "r7 = r6 (33 bits), w7 <= 8 bounds the low half only: r6 = 2^32 + 3" },
	{ "linked-jmp32-u32", SOCK, 0, PROG(
		RAND32(6),
		I_MOV64_REG(7, 6),
		LINK_CHECK32(BVC_JGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), ACC, "r7 = r6 (a u32), w7 <= 8 with the upper half zero bounds r6" },
	{ "linked-jmp32-signed-u32", SOCK, 0, PROG(
		RAND32(6),
		I_MOV64_REG(7, 6),
		LINK_CHECK32(BVC_JSGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), REJ, "w7 s<= 8 of a u32: r6 = 0x80000000 passes" },
	{ "linked-xchg-fetch", SOCK, 0, PROG(
		RAND_BYTE(6),
		I_STX(BVC_DW, 10, 6, -8),
		I_MOV64_IMM(7, 0), ATOMIC(BVC_DW, 10, 7, -8, BVC_XCHG),
		LINK_CHECK(BVC_JGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), ACC, "xchg returns the spill of r6 itself: linked" },
	{ "linked-xchg32-wide", SOCK, 0, PROG(
		RAND33(6),
		I_STX(BVC_DW, 10, 6, -8),
		I_MOV64_IMM(7, 0), ATOMIC(BVC_W, 10, 7, -8, BVC_XCHG),
		LINK_CHECK(BVC_JGT, 7),
		USE_OFF(6),
		R0_0, I_EXIT()), REJ, "a 4-byte xchg of a 33-bit spill returns its low half: r6 = 2^32 + 3" },
	{ "linked-add-const", SOCK, 0, PROG(
		RAND_BYTE(6),
		I_MOV64_REG(7, 6), I_ALU64_IMM(BVC_ADD, 7, 4),
		I_JMP_IMM(BVC_JGT, 6, 8, 5),
		USE_OFF(7),
		R0_0, I_EXIT()), REJ_GAP,
	  "r7 = r6 + 4 (the kernel's BPF_ADD_CONST link, 6.12+): r6 <= 8 bounds r7 by 12; we drop the link" },
	{ "linked-add-const-reverse", SOCK, 0, PROG(
		RAND_BYTE(6),
		I_MOV64_REG(7, 6), I_ALU64_IMM(BVC_ADD, 7, 4),
		I_JMP_IMM(BVC_JGT, 7, 12, 5),
		USE_OFF(6),
		R0_0, I_EXIT()), REJ_GAP, "r7 = r6 + 4, r7 <= 12 bounds r6 by 8 (BPF_ADD_CONST)" },
	{ "linked-add-const-too-far", SOCK, 0, PROG(
		RAND_BYTE(6),
		I_MOV64_REG(7, 6), I_ALU64_IMM(BVC_ADD, 7, 60),
		I_JMP_IMM(BVC_JGT, 6, 8, 5),
		USE_OFF(7),
		R0_0, I_EXIT()), REJ, "r7 = r6 + 60 with r6 <= 8 reaches 68" },
	{ "linked-add-const-negative", SOCK, 0, PROG(
		RAND_BYTE(6),
		I_MOV64_REG(7, 6), I_ALU64_IMM(BVC_ADD, 7, -4),
		I_JMP_IMM(BVC_JGT, 6, 8, 5),
		USE_OFF(7),
		R0_0, I_EXIT()), REJ, "r7 = r6 - 4 is negative for r6 < 4" },
	{ "linked-add-const-alu32", SOCK, 0, PROG(
		RAND_BYTE(6),
		I_MOV64_REG(7, 6), I_ALU32_IMM(BVC_ADD, 7, 4),
		I_JMP_IMM(BVC_JGT, 6, 8, 5),
		USE_OFF(7),
		R0_0, I_EXIT()), REJ_GAP, "w7 = w6 + 4 with r6 <= 8 is at most 12 (6.18 links 32-bit adds too)" },
	{ "linked-add-const32-wrap", SOCK, 0, PROG(
		RAND32(6),
		I_MOV64_REG(7, 6), I_ALU32_IMM(BVC_ADD, 7, 4),
		I_JMP_IMM(BVC_JGT, 7, 12, 6),
		I_JMP_IMM(BVC_JSLT, 6, 0, 5),
		USE_OFF(6),
		R0_0, I_EXIT()), REJ, "w7 = w6 + 4 wraps: r6 = 0xfffffffe gives r7 = 2, not r6 + 4" },
	{ "linked-add-const64-wrap", SOCK, 0, PROG(
		RAND32(6), I_ALU64_IMM(BVC_LSH, 6, 32), I_ALU64_IMM(BVC_ARSH, 6, 32),
		I_MOV64_REG(7, 6), I_ALU64_IMM(BVC_ADD, 7, 4),
		I_JMP_IMM(BVC_JGT, 7, 12, 6),
		I_JMP_IMM(BVC_JSLT, 6, 0, 5),
		USE_OFF(6),
		R0_0, I_EXIT()), REJ_GAP, "r7 = r6 + 4 mod 2^64, r7 <= 12 and r6 s>= 0: r6 <= 8" },
	{ "linked-add-const-twice", SOCK, 0, PROG(
		RAND_BYTE(6),
		I_MOV64_REG(7, 6), I_ALU64_IMM(BVC_ADD, 7, 4), I_ALU64_IMM(BVC_ADD, 7, 52),
		I_JMP_IMM(BVC_JGT, 6, 8, 5),
		USE_OFF(7),
		R0_0, I_EXIT()), REJ, "r7 = r6 + 4 + 52 reaches 64: a second add must break the link" },

	/* ---------------------------------------------------------------
	 * Decided branches
	 * --------------------------------------------------------------- */
	{ "decided-branch", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 0), I_JA(1),
		I_MOV64_IMM(6, 1),
		I_JMP_IMM(BVC_JEQ, 6, 0, 2),
		I_LDX(BVC_DW, 0, 6, 0), I_EXIT(),
		R0_0, I_EXIT()), REJ, "if r6 == 0 decided on the first path; r6 = 1 dereferences a scalar" },
	{ "decided-branch-spilled", SOCK, FREQ, PROG(
		FORK(2),
		I_ST(BVC_DW, 10, -8, 0), I_JA(1),
		I_ST(BVC_DW, 10, -8, 1),
		I_LDX(BVC_DW, 6, 10, -8),
		I_JMP_IMM(BVC_JEQ, 6, 0, 2),
		I_LDX(BVC_DW, 0, 6, 0), I_EXIT(),
		R0_0, I_EXIT()), REJ, "decided on a filled constant" },
	{ "decided-branch-jmp32", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 0), I_JA(2),
		LD64(6, 0x100000000ull),
		I_RAW(BVC_JMP32 | BVC_JNE | BVC_K, 6, 0, 1, 0),
		I_JMP_IMM(BVC_JEQ, 6, 0, 2),
		I_LDX(BVC_DW, 0, 6, 0), I_EXIT(),
		R0_0, I_EXIT()), REJ, "w6 != 0 decided (false) on both paths; r6 == 0 only on the first" },
	{ "decided-branch-reg-reg", SOCK, FREQ, PROG(
		I_MOV64_IMM(7, 5),
		FORK(2),
		I_MOV64_IMM(6, 5), I_JA(1),
		I_MOV64_IMM(6, 6),
		I_JMP_REG(BVC_JEQ, 6, 7, 2),
		I_LDX(BVC_DW, 0, 6, 0), I_EXIT(),
		R0_0, I_EXIT()), REJ, "if r6 == r7 decided" },
	{ "decided-branch-jset", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 2), I_JA(1),
		I_MOV64_IMM(6, 3),
		I_JMP_IMM(BVC_JSET, 6, 1, 1),
		I_EXIT(),
		I_LDX(BVC_DW, 0, 6, 0), I_EXIT()), REJ, "if r6 & 1 decided; r0 set by FORK's rand" },
	{ "decided-branch-range", SOCK, FREQ, PROG(
		RAND_BYTE(6),
		FORK(2),
		I_ALU64_IMM(BVC_AND, 6, 7), I_JA(1),
		I_ALU64_IMM(BVC_OR, 6, 8),
		I_JMP_IMM(BVC_JLT, 6, 8, 2),
		I_LDX(BVC_DW, 0, 6, 0), I_EXIT(),
		R0_0, I_EXIT()), REJ, "range-decided: [0,7] < 8 always; r6 | 8 never" },

	/* ---------------------------------------------------------------
	 * Helper sizes, map keys, return values, zero writes
	 * --------------------------------------------------------------- */
	{ "helper-size", SOCK, FREQ, PROG(
		I_MOV64_REG(9, 1),
		FORK(2),
		I_MOV64_IMM(6, 8), I_JA(1),
		I_MOV64_IMM(6, 24),
		I_MOV64_REG(1, 9), I_MOV64_IMM(2, 0), I_MOV64_REG(3, 10), I_ALU64_IMM(BVC_ADD, 3, -16),
		I_MOV64_REG(4, 6), I_CALL(26),
		R0_0, I_EXIT()), REJ, "skb_load_bytes into fp-16 with size 8 / 24" },
	{ "helper-size-spilled", SOCK, FREQ, PROG(
		I_MOV64_REG(9, 1),
		FORK(2),
		I_ST(BVC_DW, 10, -24, 8), I_JA(1),
		I_ST(BVC_DW, 10, -24, 24),
		I_MOV64_REG(1, 9), I_MOV64_IMM(2, 0), I_MOV64_REG(3, 10), I_ALU64_IMM(BVC_ADD, 3, -16),
		I_LDX(BVC_DW, 4, 10, -24), I_CALL(26),
		R0_0, I_EXIT()), REJ, "size filled from fp-24" },
	{ "helper-size-alu32", SOCK, FREQ, PROG(
		I_MOV64_REG(9, 1),
		FORK(2),
		I_MOV64_IMM(6, 8), I_JA(1),
		I_MOV64_IMM(6, 24),
		I_MOV64_REG(1, 9), I_MOV64_IMM(2, 0), I_MOV64_REG(3, 10), I_ALU64_IMM(BVC_ADD, 3, -16),
		MOV32_REG(4, 6), I_ALU32_IMM(BVC_AND, 4, 0xff), I_CALL(26),
		R0_0, I_EXIT()), REJ, "size through w4 = w6; w4 &= 0xff" },
	{ "ringbuf-reserve-size", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 8), I_JA(1),
		I_MOV64_IMM(6, 4),
		LD_MAP(1, 2), I_MOV64_REG(2, 6), I_MOV64_IMM(3, 0), I_CALL(131),
		I_JMP_IMM(BVC_JNE, 0, 0, 2), R0_0, I_EXIT(),
		I_ST(BVC_DW, 0, 0, 0),
		I_MOV64_REG(1, 0), I_MOV64_IMM(2, 0), I_CALL(133),
		R0_0, I_EXIT()), REJ, "the record size 8 / 4, then an 8-byte store" },
	{ "array-key-spilled32", SOCK, FREQ, PROG(
		FORK(2),
		I_ST(BVC_W, 10, -8, 0), I_JA(1),
		I_ST(BVC_W, 10, -8, 7),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -8), LD_MAP(1, 1), I_CALL(1),
		I_LDX(BVC_DW, 0, 0, 0), I_EXIT()), REJ, "key 0 (non-NULL) / key 7 (out of range: maybe NULL)" },
	{ "array-key-reg-spill", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 3), I_JA(1),
		I_MOV64_IMM(6, 4),
		I_STX(BVC_W, 10, 6, -8), I_MOV64_IMM(6, 0),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -8), LD_MAP(1, 1), I_CALL(1),
		I_LDX(BVC_DW, 0, 0, 0), I_EXIT()), REJ, "key 3 / 4 through a 4-byte spill of r6 after the join" },
	{ "array-key-wide-const", SOCK, 0, PROG(
		LD64(6, 0x100000001ull),
		I_STX(BVC_W, 10, 6, -8),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -8), LD_MAP(1, 1), I_CALL(1),
		I_LDX(BVC_DW, 0, 0, 0), I_EXIT()), REJ,
	  "was unsound: 4-byte spill of 0x100000001 as an array key: the kernel's get_constant_map_key "
	  "takes the spilled register's whole 64-bit value (out of range: maybe NULL); engine.c "
	  "const_map_key() truncates it to 1 (in range: non-NULL)" },
	{ "array-key-zero-bytes", SOCK, FREQ, PROG(
		FORK(2),
		I_ST(BVC_W, 10, -4, 0), I_JA(1),
		I_ST(BVC_W, 10, -4, 9),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -4), LD_MAP(1, 1), I_CALL(1),
		I_LDX(BVC_DW, 0, 0, 0), I_EXIT()), REJ, "key in STACK_ZERO bytes / MISC bytes" },
	{ "tail-call-index", SOCK, FREQ, PROG(
		I_MOV64_REG(9, 1),
		FORK(2),
		I_MOV64_IMM(6, 1), I_JA(1),
		I_MOV64_IMM(6, 9),
		I_MOV64_REG(1, 9), LD_MAP(2, 3), I_MOV64_REG(3, 6), I_CALL(12),
		R0_0, I_EXIT()), ACC, "tail call index precise (both fine)" },
	{ "cgskb-ret", CGSKB, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 1), I_JA(1),
		I_MOV64_IMM(6, 2),
		I_MOV64_REG(0, 6), I_EXIT()), REJ, "return value 1 / 2" },
	{ "cgskb-ret-spilled", CGSKB, FREQ, PROG(
		FORK(2),
		I_ST(BVC_DW, 10, -8, 1), I_JA(1),
		I_ST(BVC_DW, 10, -8, 2),
		I_LDX(BVC_B, 0, 10, -8), I_EXIT()), REJ, "return value filled narrow" },
	{ "cgskb-ret-range", CGSKB, FREQ, PROG(
		RAND_BYTE(6),
		FORK(2),
		I_ALU64_IMM(BVC_AND, 6, 1), I_JA(1),
		I_ALU64_IMM(BVC_AND, 6, 3),
		I_MOV64_REG(0, 6), I_EXIT()), REJ, "return value [0,1] / [0,3]" },
	{ "var-off-zero-write", CGSKB, FREQ, PROG(
		I_ST(BVC_DW, 10, -16, 0), I_ST(BVC_DW, 10, -8, 0),
		FORK(2),
		I_MOV64_IMM(7, 0), I_JA(1),
		I_MOV64_IMM(7, 1),
		RAND, I_ALU64_IMM(BVC_AND, 0, 7),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -16), I_ALU64_REG(BVC_ADD, 2, 0),
		I_STX(BVC_B, 2, 7, 0),
		I_LDX(BVC_DW, 0, 10, -16), I_EXIT()), REJ, "var-off store of r7 over spilled zeros: 0 / 1" },
	{ "var-off-zero-write-zero-bytes", CGSKB, FREQ, PROG(
		I_ST(BVC_W, 10, -12, 0), I_ST(BVC_W, 10, -4, 0), I_ST(BVC_W, 10, -16, 0), I_ST(BVC_W, 10, -8, 0),
		FORK(2),
		I_MOV64_IMM(7, 0), I_JA(1),
		I_MOV64_IMM(7, 1),
		RAND, I_ALU64_IMM(BVC_AND, 0, 7),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -16), I_ALU64_REG(BVC_ADD, 2, 0),
		I_STX(BVC_B, 2, 7, 0),
		I_LDX(BVC_B, 0, 10, -15), I_EXIT()), REJ, "var-off store of r7 over 4-byte spills/zeros" },

	/* ---------------------------------------------------------------
	 * Zero writes at variable offsets over spills, partial overwrites
	 * --------------------------------------------------------------- */
	{ "var-off-zero-over-imprecise-spilled-zero", CGSKB, FREQ, PROG(
		I_ST(BVC_DW, 10, -16, 0),
		FORK(2),
		I_ST(BVC_DW, 10, -8, 0), I_JA(1),
		I_ST(BVC_DW, 10, -8, 5),
		RAND, I_ALU64_IMM(BVC_AND, 0, 7),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -16), I_ALU64_REG(BVC_ADD, 2, 0),
		I_ST(BVC_B, 2, 0, 0),
		I_LDX(BVC_DW, 0, 10, -8), I_EXIT()), REJ,
	  "a var-off zero store keeps the spilled 0 of path one; the spilled 5 becomes unknown" },
	{ "var-off-zero-reg-over-spilled-zero", CGSKB, FREQ, PROG(
		I_ST(BVC_DW, 10, -16, 0), I_ST(BVC_DW, 10, -8, 0),
		FORK(2),
		I_MOV64_IMM(7, 0), I_JA(1),
		I_MOV64_IMM(7, 3),
		RAND, I_ALU64_IMM(BVC_AND, 0, 1), I_ALU64_IMM(BVC_LSH, 0, 3),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -16), I_ALU64_REG(BVC_ADD, 2, 0),
		I_STX(BVC_DW, 2, 7, 0),
		I_LDX(BVC_B, 0, 10, -8), I_EXIT()), REJ, "var-off 8-byte store of r7 (0 / 3)" },
	{ "partial-overwrite-then-narrow-fill", SOCK, 0, PROG(
		RAND, I_STX(BVC_DW, 10, 0, -8),
		I_ST(BVC_W, 10, -4, 7),
		I_LDX(BVC_W, 0, 10, -8), I_EXIT()), ACC,
	  "a 4-byte write at fp-4 over an 8-byte spill, then a 4-byte fill at fp-8" },
	{ "partial-overwrite-byte-then-fill", SOCK, 0, PROG(
		RAND, I_STX(BVC_DW, 10, 0, -8),
		I_STX(BVC_B, 10, 0, -7),
		I_LDX(BVC_B, 0, 10, -8), I_EXIT()), ACC,
	  "same with a 1-byte register store at fp-7 and a 1-byte fill at fp-8" },
	{ "partial-overwrite-full-fill", SOCK, 0, PROG(
		RAND, I_STX(BVC_DW, 10, 0, -8),
		I_ST(BVC_W, 10, -4, 7),
		I_LDX(BVC_DW, 0, 10, -8), I_EXIT()), ACC, "an 8-byte read of the mixed slot is unknown" },
	{ "partial-overwrite-low-then-read-high", SOCK, 0, PROG(
		RAND, I_STX(BVC_DW, 10, 0, -8),
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8), I_MOV64_IMM(2, 4), I_MOV64_IMM(3, 0),
		I_CALL(113),
		I_LDX(BVC_W, 0, 10, -4), I_EXIT()), ACC,
	  "probe_read_kernel writes fp-8..-5 of a spill; fp-4..-1 read after" },

	/* ---------------------------------------------------------------
	 * Atomics on the stack
	 * --------------------------------------------------------------- */
	{ "atomic-xchg-src-into-slot", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(7, 8), I_JA(1),
		I_MOV64_IMM(7, 64),
		I_ST(BVC_DW, 10, -8, 0), ATOMIC(BVC_DW, 10, 7, -8, BVC_XCHG),
		I_LDX(BVC_DW, 7, 10, -8),
		USE_OFF(7)), REJ, "xchg writes r7 into the slot; the slot is MISC after (kernel)" },
	{ "atomic-xchg-no-fork", SOCK, FREQ, PROG(
		I_ST(BVC_DW, 10, -8, 64),
		I_MOV64_IMM(7, 0), ATOMIC(BVC_DW, 10, 7, -8, BVC_XCHG),
		USE_OFF(7)), REJ, "xchg returns the spilled 64" },
	{ "atomic-fetch-add-no-fork", SOCK, FREQ, PROG(
		I_ST(BVC_DW, 10, -8, 64),
		I_MOV64_IMM(7, 1), ATOMIC(BVC_DW, 10, 7, -8, BVC_ADD | BVC_FETCH),
		USE_OFF(7)), REJ, "fetch_add returns the spilled 64" },
	{ "atomic-slot-after-add", SOCK, FREQ, PROG(
		FORK(2),
		I_ST(BVC_DW, 10, -8, 8), I_JA(1),
		I_ST(BVC_DW, 10, -8, 64),
		I_MOV64_IMM(7, 1), ATOMIC(BVC_DW, 10, 7, -8, BVC_ADD),
		I_LDX(BVC_DW, 7, 10, -8),
		USE_OFF(7)), REJ, "after an atomic add the slot is unknown on both paths" },

	{ "atomic-xchg-fetch-after-join", SOCK, FREQ, PROG(
		FORK(2),
		I_ST(BVC_DW, 10, -8, 8), I_JA(1),
		I_ST(BVC_DW, 10, -8, 64),
		I_MOV64_IMM(7, 0), ATOMIC(BVC_DW, 10, 7, -8, BVC_XCHG),
		USE_OFF(7)), REJ_KBUG,
	  "xchg fetches the spilled 8 / 64: the kernel's backtrack_insn takes the fetch for a store, never marks "
	  "fp-8 precise and prunes the 64 path" },
	{ "atomic-fetch-add-after-join", SOCK, FREQ, PROG(
		FORK(2),
		I_ST(BVC_DW, 10, -8, 8), I_JA(1),
		I_ST(BVC_DW, 10, -8, 64),
		I_MOV64_IMM(7, 0), ATOMIC(BVC_DW, 10, 7, -8, BVC_ADD | BVC_FETCH),
		USE_OFF(7)), REJ_KBUG, "the same with fetch_add" },
	{ "atomic-cmpxchg-after-join", SOCK, FREQ, PROG(
		FORK(2),
		I_ST(BVC_DW, 10, -8, 8), I_JA(1),
		I_ST(BVC_DW, 10, -8, 64),
		I_MOV64_IMM(7, 0), I_MOV64_IMM(0, 0), ATOMIC(BVC_DW, 10, 7, -8, BVC_CMPXCHG),
		USE_OFF(0)), REJ_KBUG, "the same with cmpxchg: r0 gets the old value" },

	/* ---------------------------------------------------------------
	 * bpf-to-bpf calls
	 * --------------------------------------------------------------- */
	{ "call-arg", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(1, 8), I_JA(1),
		I_MOV64_IMM(1, 64),
		I_CALL_LOCAL(1),
		I_EXIT(),
		USE_OFF(1)), REJ, "the callee uses r1 as an offset" },
	{ "call-arg-r5", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(5, 8), I_JA(1),
		I_MOV64_IMM(5, 64),
		I_CALL_LOCAL(1),
		I_EXIT(),
		I_MOV64_REG(6, 5), I_MOV64_IMM(5, 0), I_MOV64_IMM(1, 0),
		USE_OFF(6)), REJ, "r5 into the callee, moved to r6 there" },
	{ "call-ret", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 8), I_JA(1),
		I_MOV64_IMM(6, 64),
		I_MOV64_REG(1, 6), I_MOV64_IMM(6, 0),
		I_CALL_LOCAL(6),
		I_MOV64_REG(7, 0),
		USE_OFF(7),
		I_MOV64_REG(0, 1), I_EXIT()), REJ, "the callee returns its r1, the caller uses it" },
	{ "call-ret-via-callee-stack", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 8), I_JA(1),
		I_MOV64_IMM(6, 64),
		I_MOV64_REG(1, 6), I_MOV64_IMM(6, 0),
		I_CALL_LOCAL(6),
		I_MOV64_REG(7, 0),
		USE_OFF(7),
		I_STX(BVC_DW, 10, 1, -8), I_MOV64_IMM(1, 0), I_LDX(BVC_W, 0, 10, -8), I_EXIT()), REJ,
	  "the callee spills r1 in its own stack and returns the fill" },
	{ "callee-reads-caller-stack", SOCK, FREQ, PROG(
		FORK(2),
		I_ST(BVC_DW, 10, -8, 8), I_JA(1),
		I_ST(BVC_DW, 10, -8, 64),
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8),
		I_CALL_LOCAL(1),
		I_EXIT(),
		I_LDX(BVC_DW, 6, 1, 0), I_MOV64_IMM(1, 0),
		USE_OFF(6)), REJ, "the callee fills the caller's fp-8 through r1" },
	{ "callee-writes-caller-stack", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(2, 8), I_JA(1),
		I_MOV64_IMM(2, 64),
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8),
		I_CALL_LOCAL(6),
		I_LDX(BVC_DW, 7, 10, -8),
		USE_OFF(7),
		I_STX(BVC_DW, 1, 2, 0), R0_0, I_EXIT()), REJ, "the callee spills its r2 into the caller's fp-8" },
	{ "callee-prune-at-entry", SOCK, FREQ, PROG(
		I_ST(BVC_DW, 10, -8, 8),
		FORK(2),
		I_MOV64_IMM(7, 8), I_JA(1),
		I_MOV64_IMM(7, 64),
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8), I_STX(BVC_DW, 1, 7, 0),
		I_MOV64_IMM(7, 0),
		I_CALL_LOCAL(1),
		I_EXIT(),
		I_LDX(BVC_DW, 6, 1, 0), I_MOV64_IMM(1, 0),
		USE_OFF(6)), REJ, "spill through r1 before the call, fill in the callee" },
	{ "call-r6-preserved", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 8), I_JA(1),
		I_MOV64_IMM(6, 64),
		I_CALL_LOCAL(5),
		USE_OFF(6),
		RAND, I_MOV64_IMM(0, 0), I_EXIT()), REJ, "r6 lives across a call whose callee calls a helper" },

	/* ---------------------------------------------------------------
	 * Bounded loops
	 * --------------------------------------------------------------- */
	{ "loop-carry", SOCK, FREQ, PROG(
		FORK(2),
		I_MOV64_IMM(6, 2), I_JA(1),
		I_MOV64_IMM(6, 16),
		I_MOV64_IMM(7, 0), I_MOV64_IMM(8, 0),
		I_ALU64_REG(BVC_ADD, 8, 6), I_ALU64_IMM(BVC_ADD, 7, 1), I_JMP_IMM(BVC_JLT, 7, 4, -3),
		USE_OFF(8)), REJ, "r8 = 4 * r6 computed in a loop: 8 / 64" },
	{ "loop-spill", SOCK, FREQ, PROG(
		FORK(2),
		I_ST(BVC_DW, 10, -8, 2), I_JA(1),
		I_ST(BVC_DW, 10, -8, 16),
		I_MOV64_IMM(7, 0), I_MOV64_IMM(8, 0),
		I_LDX(BVC_DW, 6, 10, -8), I_ALU64_REG(BVC_ADD, 8, 6), I_STX(BVC_DW, 10, 8, -16),
		I_ALU64_IMM(BVC_ADD, 7, 1), I_JMP_IMM(BVC_JLT, 7, 4, -5),
		I_LDX(BVC_DW, 8, 10, -16),
		USE_OFF(8)), REJ, "a spilled accumulator" },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

Test(adversarial_precise, ours_match_table)
{
	adv_check_ours(cases, NCASES);
}

Test(adversarial_precise, kernel_agrees)
{
	adv_check_kernel(cases, NCASES);
}
