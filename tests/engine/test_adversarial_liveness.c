// SPDX-License-Identifier: MIT
/*
 * Adversarial cases for stack-slot liveness, static (verifier/cfg.c
 * compute_liveness()) and along explored paths (verifier/prune.c
 * bvc_mark_slots_read()), both used by prune.c stacksafe(): two paths
 * join at a prune point with different contents of a stack slot, and the
 * continuation reads that slot in a way a liveness analysis might miss -
 * through pointers computed from r10 (copies, ALU with registers, kept in
 * callee-saved registers across calls, spilled and refilled, fetched by
 * atomics), through helpers and bpf-to-bpf callees handed a stack pointer,
 * after partial writes that are no kills, in loops, after LD_ABS - and
 * then relies on it (map value offsets, stack offsets, helper sizes,
 * decided branches, constant map keys, pointer derefs). The path explored
 * second (the taken branch) is the unsafe one, so a slot wrongly found dead
 * at the join lets it be pruned. Each case carries bpfvc's verdict
 * (adversarial.h), which Linux 6.18.44 shared when checked.
 *
 * The driver (and ADV_VERBOSE, ADV_LOG) is adversarial.c's.
 */
#include <criterion/criterion.h>

#include "adversarial.h"
#include "bpfvc/verifier.h"
#include "common/insns.h"

#define SOCK 1
#define FREQ 8u /* BPF_F_TEST_STATE_FREQ: a checkpoint at every prune point */

#define RAND I_CALL(7)
#define LD_MAP(r, idx) I_LD_IMM64_LO(r, BVC_PSEUDO_MAP_IDX, idx), I_LD_IMM64_HI(0)
#define LD_MAP_VALUE(r, idx, off) I_LD_IMM64_LO(r, BVC_PSEUDO_MAP_IDX_VALUE, idx), I_RAW(0, 0, 0, 0, off)
#define LD_FUNC(r, rel) I_LD_IMM64_LO(r, BVC_PSEUDO_FUNC, rel), I_LD_IMM64_HI(0)
#define ATOMIC(sz, dst, src, off, op) I_RAW(BVC_STX | BVC_ATOMIC | (sz), dst, src, off, op)
#define LD_ABS(sz, k) I_RAW(BVC_LD | BVC_ABS | (sz), 0, 0, 0, k)

/* r0 = rand; the fall-through runs the next n instructions (explored
 * first, ending with an I_JA over the taken branch's), the taken branch
 * the rest; both meet right after: a prune point. */
#define FORK(n) RAND, I_JMP_IMM(BVC_JEQ, 0, 0, (n))
/* fp[off] = 8 (first, safe) | fp[off] = 64 (second, unsafe): 5 insns */
#define SLOT_8_64(off) FORK(2), I_ST(BVC_DW, 10, off, 8), I_JA(1), I_ST(BVC_DW, 10, off, 64)
/* r0 = *(u8 *)(map "one" value + r): fine for 8, out of the 64-byte value
 * for 64. 5 insns, ends with exit. */
#define USE_OFF(r) LD_MAP_VALUE(2, 4, 0), I_ALU64_REG(BVC_ADD, 2, r), I_LDX(BVC_B, 0, 2, 0), I_EXIT()

static const struct adv_case cases[] = {
	/* ---------------------------------------------------------------
	 * Reads through r10 and registers computed from it
	 * --------------------------------------------------------------- */
	{ "fill-r10", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_LDX(BVC_DW, 6, 10, -8),
		USE_OFF(6)), REJ, "baseline: fp-8 read through r10" },
	{ "fill-r10-copy", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_MOV64_REG(1, 10), I_LDX(BVC_DW, 6, 1, -8),
		USE_OFF(6)), REJ, "read through a copy of r10" },
	{ "fill-ptr-plus-reg", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_MOV64_IMM(2, -8), I_MOV64_REG(1, 10), I_ALU64_REG(BVC_ADD, 1, 2), I_LDX(BVC_DW, 6, 1, 0),
		USE_OFF(6)), REJ, "r1 = r10 + r2 (a register offset)" },
	{ "fill-scalar-plus-ptr", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_MOV64_IMM(1, -8), I_ALU64_REG(BVC_ADD, 1, 10), I_LDX(BVC_DW, 6, 1, 0),
		USE_OFF(6)), REJ, "r1 = -8; r1 += r10: the pointer is the source" },
	{ "fill-ptr-in-r7-across-calls", SOCK, FREQ, PROG(
		I_MOV64_REG(7, 10), I_ALU64_IMM(BVC_ADD, 7, -8),
		SLOT_8_64(-8),
		I_LDX(BVC_DW, 6, 7, 0),
		USE_OFF(6)), REJ, "pointer made before the fork, kept in r7 across the helper call" },
	{ "fill-ptr-spilled-before-fork", SOCK, FREQ, PROG(
		I_MOV64_REG(1, 10), I_STX(BVC_DW, 10, 1, -16),
		SLOT_8_64(-8),
		I_LDX(BVC_DW, 2, 10, -16), I_LDX(BVC_DW, 6, 2, -8),
		USE_OFF(6)), REJ, "r10 spilled at fp-16, refilled and dereferenced" },
	{ "fill-ptr-spilled-then-slot-killed", SOCK, FREQ, PROG(
		I_MOV64_REG(1, 10), I_STX(BVC_DW, 10, 1, -16),
		SLOT_8_64(-8),
		I_LDX(BVC_DW, 2, 10, -16), I_ST(BVC_DW, 10, -16, 0), I_LDX(BVC_DW, 6, 2, -8),
		USE_OFF(6)), REJ, "the pointer's own slot overwritten before the deref" },
	{ "fill-ptr-spilled-in-other-slot-8-off", SOCK, FREQ, PROG(
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8), I_STX(BVC_DW, 10, 1, -24),
		SLOT_8_64(-8),
		I_LDX(BVC_DW, 2, 10, -24), I_LDX(BVC_DW, 6, 2, 0),
		USE_OFF(6)), REJ, "r10-8 spilled at fp-24" },
	{ "fill-ptr-xchg", SOCK, FREQ, PROG(
		I_MOV64_REG(1, 10), I_STX(BVC_DW, 10, 1, -16),
		SLOT_8_64(-8),
		I_MOV64_IMM(2, 0), ATOMIC(BVC_DW, 10, 2, -16, BVC_XCHG), I_LDX(BVC_DW, 6, 2, -8),
		USE_OFF(6)), REJ, "the spilled r10 fetched back by xchg" },
	{ "fill-ptr-cmpxchg", SOCK, FREQ, PROG(
		I_MOV64_REG(1, 10), I_STX(BVC_DW, 10, 1, -16),
		SLOT_8_64(-8),
		I_MOV64_IMM(0, 0), I_MOV64_IMM(2, 0), ATOMIC(BVC_DW, 10, 2, -16, BVC_CMPXCHG),
		I_LDX(BVC_DW, 6, 0, -8),
		USE_OFF(6)), REJ, "the spilled r10 fetched back into r0 by cmpxchg" },
	{ "fill-w10", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_ALU32_REG(BVC_MOV, 1, 10), I_LDX(BVC_DW, 6, 1, -8),
		USE_OFF(6)), REJ, "w1 = w10 is a scalar: refused on both paths" },
	{ "fill-ptr-via-map-value", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		LD_MAP_VALUE(1, 4, 0), I_STX(BVC_DW, 1, 10, 0), I_LDX(BVC_DW, 2, 1, 0), I_LDX(BVC_DW, 6, 2, -8),
		USE_OFF(6)), REJ, "r10 stored to a map value comes back a scalar" },
	/* ---------------------------------------------------------------
	 * Narrow and partial accesses, atomics on the slot, loops
	 * --------------------------------------------------------------- */
	{ "narrow-fill", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_LDX(BVC_B, 6, 10, -8),
		USE_OFF(6)), REJ, "a 1-byte fill of the spilled constant" },
	{ "two-half-writes-no-kill", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_ST(BVC_W, 10, -4, 0), I_LDX(BVC_B, 6, 10, -8),
		USE_OFF(6)), REJ, "a 4-byte write of the other half is no kill" },
	{ "atomic-add-on-slot", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_MOV64_IMM(1, 0), ATOMIC(BVC_DW, 10, 1, -8, BVC_ADD), I_LDX(BVC_DW, 6, 10, -8),
		USE_OFF(6)), REJ, "lock add on the slot: both paths read an unknown" },
	{ "kill-then-read", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_ST(BVC_DW, 10, -8, 8), I_LDX(BVC_DW, 6, 10, -8),
		USE_OFF(6)), ACC, "a real kill: 64 overwritten with 8 before the read" },
	{ "kill-in-one-branch", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		RAND, I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_ST(BVC_DW, 10, -8, 8),
		I_LDX(BVC_DW, 6, 10, -8),
		USE_OFF(6)), REJ, "killed on one branch only" },
	{ "loop-read-through-pointer", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_MOV64_IMM(7, 0), I_MOV64_REG(8, 10), I_ALU64_IMM(BVC_ADD, 8, -24),
		I_ALU64_IMM(BVC_ADD, 8, 8), I_ALU64_IMM(BVC_ADD, 7, 1), I_JMP_IMM(BVC_JLT, 7, 2, -3),
		I_LDX(BVC_DW, 6, 8, 0),
		USE_OFF(6)), REJ, "the pointer walks to fp-8 in a loop" },
	{ "ld-abs-then-read", SOCK, FREQ, PROG(
		I_MOV64_REG(6, 1),
		SLOT_8_64(-8),
		LD_ABS(BVC_B, 0), I_LDX(BVC_DW, 7, 10, -8),
		USE_OFF(7)), REJ, "LD_ABS between the join and the read" },
	{ "ld-imm64-then-read", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_LD_IMM64_LO(1, 0, 0x0a), I_LD_IMM64_HI(0x7ff8a),
		I_LDX(BVC_DW, 6, 10, -8),
		USE_OFF(6)), REJ, "a ld_imm64 (second half ignored) before the read" },
	/* ---------------------------------------------------------------
	 * The value deciding branches, stack offsets, pointers
	 * --------------------------------------------------------------- */
	{ "decides-branch", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_MOV64_REG(1, 10), I_LDX(BVC_DW, 6, 1, -8), I_MOV64_IMM(0, 0),
		I_JMP_IMM(BVC_JEQ, 6, 8, 1), I_LDX(BVC_B, 0, 0, 0), I_EXIT()), REJ,
		"64 takes the branch that dereferences a scalar" },
	{ "stack-offset", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_MOV64_REG(1, 10), I_LDX(BVC_DW, 6, 1, -8), I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -64),
		I_ALU64_REG(BVC_ADD, 2, 6), I_ST(BVC_B, 2, 0, 1), I_MOV64_IMM(0, 0), I_EXIT()), REJ,
		"a store to fp-64+r6: fp-56 or fp+0 (out of the stack)" },
	{ "slot-holds-pointer-or-scalar", SOCK, FREQ, PROG(
		FORK(3), LD_MAP_VALUE(1, 4, 0), I_JA(1), I_MOV64_IMM(1, 0),
		I_STX(BVC_DW, 10, 1, -8),
		I_MOV64_REG(3, 10), I_LDX(BVC_DW, 2, 3, -8), I_LDX(BVC_B, 0, 2, 0), I_EXIT()), REJ,
		"map value pointer or 0 spilled, refilled through a copy of r10" },
	{ "slot-pointer-before-join", SOCK, FREQ, PROG(
		LD_MAP_VALUE(7, 4, 0),
		FORK(2), I_STX(BVC_DW, 10, 7, -8), I_JA(1), I_ST(BVC_DW, 10, -8, 0),
		I_MOV64_REG(3, 10), I_ALU64_IMM(BVC_ADD, 3, -4), I_LDX(BVC_DW, 2, 3, -4),
		I_LDX(BVC_B, 0, 2, 0), I_EXIT()), REJ, "pointer or 0, refilled through r10-4" },
	/* ---------------------------------------------------------------
	 * Helpers handed a stack pointer
	 * --------------------------------------------------------------- */
	{ "helper-const-key", SOCK, FREQ, PROG(
		FORK(2), I_ST(BVC_W, 10, -8, 0), I_JA(1), I_ST(BVC_W, 10, -8, 10),
		LD_MAP(1, 1), I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -8), I_CALL(1),
		I_LDX(BVC_B, 0, 0, 0), I_EXIT()), REJ, "array key 0 (non-NULL) or 10 (may be NULL)" },
	{ "helper-const-key-dw", SOCK, FREQ, PROG(
		FORK(2), I_ST(BVC_DW, 10, -8, 0), I_JA(1), I_ST(BVC_DW, 10, -8, 10),
		LD_MAP(1, 1), I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -8), I_CALL(1),
		I_LDX(BVC_B, 0, 0, 0), I_EXIT()), REJ, "the same with an 8-byte spill" },
	{ "helper-key-from-spilled-ptr", SOCK, FREQ, PROG(
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8), I_STX(BVC_DW, 10, 1, -16),
		FORK(2), I_ST(BVC_W, 10, -8, 0), I_JA(1), I_ST(BVC_W, 10, -8, 10),
		LD_MAP(1, 1), I_LDX(BVC_DW, 2, 10, -16), I_CALL(1),
		I_LDX(BVC_B, 0, 0, 0), I_EXIT()), REJ, "the key pointer refilled from fp-16" },
	{ "helper-size-from-slot", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_LDX(BVC_DW, 2, 10, -8), I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -32),
		I_MOV64_IMM(3, 0), I_CALL(113), I_MOV64_IMM(0, 0), I_EXIT()), REJ,
		"probe_read_kernel(fp-32, r2, 0): 8 fits, 64 does not" },
	{ "helper-writes-slot-then-read", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -16), I_MOV64_IMM(2, 8), I_MOV64_IMM(3, 0),
		I_CALL(113), I_LDX(BVC_DW, 6, 10, -8),
		USE_OFF(6)), REJ, "a helper writing fp-16 is no kill of fp-8" },
	/* ---------------------------------------------------------------
	 * bpf-to-bpf calls
	 * --------------------------------------------------------------- */
	{ "callee-reads-arg", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8), I_CALL_LOCAL(2), I_MOV64_IMM(0, 0), I_EXIT(),
		I_LDX(BVC_DW, 6, 1, 0),
		USE_OFF(6)), REJ, "the callee dereferences fp-8 of the caller" },
	{ "callee-nested-reads-arg", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8), I_CALL_LOCAL(2), I_MOV64_IMM(0, 0), I_EXIT(),
		I_CALL_LOCAL(1), I_EXIT(),
		I_LDX(BVC_DW, 6, 1, 0),
		USE_OFF(6)), REJ, "a callee's callee dereferences it" },
	{ "callee-spills-arg-then-reads", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8), I_CALL_LOCAL(2), I_MOV64_IMM(0, 0), I_EXIT(),
		I_STX(BVC_DW, 10, 1, -8), I_LDX(BVC_DW, 2, 10, -8), I_LDX(BVC_DW, 6, 2, 0),
		USE_OFF(6)), REJ, "the callee keeps the pointer in its own frame" },
	{ "callee-stores-ptr-in-caller", SOCK, FREQ, PROG(
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -16), I_CALL_LOCAL(12),
		SLOT_8_64(-8),
		I_LDX(BVC_DW, 2, 10, -16), I_LDX(BVC_DW, 6, 2, 8),
		USE_OFF(6),
		I_STX(BVC_DW, 1, 1, 0), I_MOV64_IMM(0, 0), I_EXIT()), REJ,
		"a callee leaves fp-16 = &fp-16 in the caller's frame" },
	{ "callee-returns-caller-stack-ptr", SOCK, FREQ, PROG(
		SLOT_8_64(-8),
		I_MOV64_REG(1, 10), I_CALL_LOCAL(6),
		I_LDX(BVC_DW, 6, 0, -8),
		USE_OFF(6),
		I_MOV64_REG(0, 1), I_EXIT()), REJ, "r0 = the caller's r10 returned" },
	{ "callee-own-fork", SOCK, FREQ, PROG(
		I_CALL_LOCAL(2), I_MOV64_IMM(0, 0), I_EXIT(),
		SLOT_8_64(-8),
		I_MOV64_REG(1, 10), I_LDX(BVC_DW, 6, 1, -8),
		USE_OFF(6)), REJ, "the fork and the read in the callee's frame" },
	{ "callee-own-fork-passes-to-callee", SOCK, FREQ, PROG(
		I_CALL_LOCAL(2), I_MOV64_IMM(0, 0), I_EXIT(),
		SLOT_8_64(-8),
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8), I_CALL_LOCAL(2), I_MOV64_IMM(0, 0), I_EXIT(),
		I_LDX(BVC_DW, 6, 1, 0),
		USE_OFF(6)), REJ, "a callee's slot read by its own callee" },
	{ "callee-caller-slot-fork-in-callee", SOCK, FREQ, PROG(
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8), I_CALL_LOCAL(2), I_MOV64_IMM(0, 0), I_EXIT(),
		I_MOV64_REG(7, 1),
		FORK(2), I_ST(BVC_DW, 7, 0, 8), I_JA(1), I_ST(BVC_DW, 7, 0, 64),
		I_LDX(BVC_DW, 6, 7, 0),
		USE_OFF(6)), REJ, "the caller's slot written in the callee on both paths" },
	{ "ptr-stored-only-by-xchg", SOCK, FREQ, PROG(
		I_ST(BVC_DW, 10, -16, 0), I_MOV64_REG(2, 10), ATOMIC(BVC_DW, 10, 2, -16, BVC_XCHG),
		SLOT_8_64(-8),
		I_MOV64_IMM(3, 0), ATOMIC(BVC_DW, 10, 3, -16, BVC_XCHG), I_LDX(BVC_DW, 6, 3, -8),
		USE_OFF(6)), REJ, "r10 put in fp-16 by xchg only: comes back a scalar" },
	{ "ptr-stored-only-by-cmpxchg", SOCK, FREQ, PROG(
		I_ST(BVC_DW, 10, -16, 0), I_MOV64_REG(2, 10), I_MOV64_IMM(0, 0), ATOMIC(BVC_DW, 10, 2, -16, BVC_CMPXCHG),
		SLOT_8_64(-8),
		I_LDX(BVC_DW, 3, 10, -16), I_LDX(BVC_DW, 6, 3, -8),
		USE_OFF(6)), REJ, "r10 put in fp-16 by cmpxchg only" },

	/* ---------------------------------------------------------------
	 * Liveness along explored paths (prune.c bvc_mark_slots_read): the
	 * slot holds ctx on the first path and a scalar on the second, so
	 * only its type (no precision) keeps the second from being pruned,
	 * and the checkpoint that decides has the slot in a caller's frame,
	 * where only the read marks say whether it matters.
	 * --------------------------------------------------------------- */
	{ "dyn-caller-slot-read-after-return", SOCK, FREQ, PROG(
		I_MOV64_REG(2, 1), I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8), I_CALL_LOCAL(4),
		I_LDX(BVC_DW, 6, 10, -8), I_LDX(BVC_W, 0, 6, 0), I_MOV64_IMM(0, 0), I_EXIT(),
		I_MOV64_REG(7, 1), I_MOV64_REG(8, 2),
		FORK(2), I_STX(BVC_DW, 7, 8, 0), I_JA(1), I_ST(BVC_DW, 7, 0, 0),
		I_MOV64_IMM(0, 0), I_EXIT()), REJ,
		"the callee's join: the caller reads the slot after the return" },
	{ "dyn-callee-callee-reads-caller-slot", SOCK, FREQ, PROG(
		I_MOV64_REG(2, 1), I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8), I_CALL_LOCAL(2),
		I_MOV64_IMM(0, 0), I_EXIT(),
		I_MOV64_REG(7, 1), I_MOV64_REG(8, 2),
		FORK(2), I_STX(BVC_DW, 7, 8, 0), I_JA(1), I_ST(BVC_DW, 7, 0, 0),
		I_MOV64_REG(1, 7), I_CALL_LOCAL(2), I_MOV64_IMM(0, 0), I_EXIT(),
		I_LDX(BVC_DW, 6, 1, 0), I_LDX(BVC_W, 0, 6, 0), I_MOV64_IMM(0, 0), I_EXIT()), REJ,
		"the callee's callee reads frame 0's slot: marks go to frame 0" },
	{ "dyn-read-only-via-pruned-path", SOCK, 0, PROG(
		/* No BPF_F_TEST_STATE_FREQ: the kernel's heuristic puts
		 * checkpoints at 14 (first path) and at the callee's entry
		 * (second), none at the join 12. The path through the callee
		 * is pruned at 14, never reading fp-8 itself: only old's read,
		 * carried over at the prune, marks it at the callee's entry,
		 * where the third path (fp-8 a scalar) arrives. */
		I_MOV64_REG(6, 1), I_STX(BVC_DW, 10, 6, -8),
		RAND, I_JMP_IMM(BVC_JEQ, 0, 0, 4),
		I_MOV64_IMM(1, 0), I_MOV64_IMM(1, 0), I_MOV64_IMM(1, 0), I_JA(6),
		RAND, I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_JA(1), I_ST(BVC_DW, 10, -8, 0),
		I_CALL_LOCAL(5), I_JA(0),
		I_LDX(BVC_DW, 2, 10, -8), I_LDX(BVC_W, 0, 2, 0), I_MOV64_IMM(0, 0), I_EXIT(),
		I_MOV64_IMM(0, 0), I_EXIT()), REJ,
		"a read reached only through a prune (the kernel's propagate_liveness)" },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

Test(adversarial_liveness, ours_match_table)
{
	adv_check_ours(cases, NCASES);
}

Test(adversarial_liveness, kernel_agrees)
{
	adv_check_kernel(cases, NCASES);
}
