// SPDX-License-Identifier: MIT
/*
 * Adversarial cases for the verifier engine: small programs aimed at the
 * places where a verifier is most easily unsound (pruning, stack slot
 * types, frames, ids and NULL checks, packet ranges, helper arguments,
 * references, pointer arithmetic, stack depth), each with bpfvc's verdict
 * (adversarial.h: ACC, REJ, REJ_KBUG, REJ_GAP; the rule is docs/design.md
 * section 3). The verdicts were checked against the running kernel when
 * written, and we agree with it except where it accepts something unsafe (REJ_KBUG, docs/kernel-bugs.md) or is
 * more precise than we are (REJ_GAP); the kernel's verdict today is
 * reported, never asserted.
 *
 * Cases marked UNSOUND are ones bpfvc accepted while the kernel rejected
 * them when they were written (fixed since); the comment says where. The
 * other cases are tricky programs on which we and the kernel agreed; they
 * guard against regressions.
 *
 * Tests:
 *   ours_match_table   our verdict == the table's
 *   kernel_agrees      the same, and the running kernel's verdict beside it
 *                      (skipped without bpf(); ADV_KERNEL_STRICT=1 fails
 *                      on a disagreement the table does not explain)
 *   dead_frame_pointer a stack pointer of a returned callee, read back by
 *                      the caller: must be refused, and must not crash us
 *
 * ADV_VERBOSE=1 in the environment prints one line per case.
 *
 * Known over-rejections not in the table (the kernel accepts, we refuse):
 * csum_diff with a map_value_or_null argument (ARG_PTR_TO_MEM_OR_NULL
 * takes maybe-NULL pointers), get_smp_processor_id's range [0,
 * nr_cpu_ids) (host-dependent). "r8 = r0; r8 += 4" staying linked to r0
 * (BPF_ADD_CONST) is in test_adversarial_precise.c as REJ_GAP.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adversarial.h"
#include "bpfvc/verifier.h"
#include "common/insns.h"


/* Maps every case may use. */

#define SOCK 1
#define KPROBE 2
#define TC 3
#define TRACEPOINT 5
#define XDP 6
#define CGSKB 8

#define R0_0 I_MOV64_IMM(0, 0)
#define LD_MAP(r, idx) I_LD_IMM64_LO(r, BVC_PSEUDO_MAP_IDX, idx), I_LD_IMM64_HI(0)
#define LD_MAP_VALUE(r, idx, off) I_LD_IMM64_LO(r, BVC_PSEUDO_MAP_IDX_VALUE, idx), I_RAW(0, 0, 0, 0, off)
/* r0 = lookup(map idx, key 0 at fp-4): 6 insns */
#define LOOKUP(idx) I_ST(BVC_W, 10, -4, 0), I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -4), \
	LD_MAP(1, idx), I_CALL(1)
/* r0 = ringbuf_reserve(rb, size, 0): 5 insns */
#define RESERVE(sz) LD_MAP(1, 2), I_MOV64_IMM(2, sz), I_MOV64_IMM(3, 0), I_CALL(131)
#define RAND I_CALL(7)
#define PAD I_MOV64_IMM(9, 0)
#define XDP_DATA(r) I_LDX(BVC_W, r, 1, 0)
#define XDP_END(r) I_LDX(BVC_W, r, 1, 4)
#define ATOMIC(sz, dst, src, off, op) I_RAW(BVC_STX | BVC_ATOMIC | (sz), dst, src, off, op)
#define LDSX(sz, d, s, o) I_RAW(BVC_LDX | BVC_MEMSX | (sz), d, s, o, 0)
#define MOVSX64(d, s, bits) I_RAW(BVC_ALU64 | BVC_MOV | BVC_X, d, s, bits, 0)
#define MOVSX32(d, s, bits) I_RAW(BVC_ALU | BVC_MOV | BVC_X, d, s, bits, 0)
#define LD64(r, v) I_LD_IMM64_LO(r, 0, v), I_LD_IMM64_HI(v)
/* Signed division and modulo (cpu v4): off 1. */
#define SDIV64_IMM(d, i) I_RAW(BVC_ALU64 | BVC_DIV | BVC_K, d, 0, 1, i)
#define SMOD64_IMM(d, i) I_RAW(BVC_ALU64 | BVC_MOD | BVC_K, d, 0, 1, i)
#define SMOD32_IMM(d, i) I_RAW(BVC_ALU | BVC_MOD | BVC_K, d, 0, 1, i)
#define END(cls, src, d, bits) I_RAW((cls) | BVC_END | (src), d, 0, 0, bits)
/*
 * Value-domain probes on r1, a constant after the setup. TRAP: "if r1 ==
 * truth" leads to a scalar dereference, so a verifier that knows r1
 * refuses, one that does not know it refuses too, and only a verifier
 * that believes a WRONG constant accepts (kernel: reject). EXACT: "if r1
 * != truth" leads there, so accepting needs the exact constant: the
 * table records whether the kernel tracked the op when written (tracking
 * one more op is precision; the TRAP twin is the soundness check).
 */
#define TRAP(truth) LD64(2, truth), I_JMP_REG(BVC_JEQ, 1, 2, 2), R0_0, I_EXIT(), \
	I_LDX(BVC_DW, 0, 1, 0), I_EXIT()
#define EXACT(truth) LD64(2, truth), I_JMP_REG(BVC_JNE, 1, 2, 2), R0_0, I_EXIT(), \
	I_LDX(BVC_DW, 0, 1, 0), I_EXIT()

static const struct adv_case cases[] = {
	/* ---------------------------------------------------------------
	 * Stack slot types and pruning
	 * --------------------------------------------------------------- */

	/* UNSOUND: a variable-offset write of a zero makes every byte it
	 * MAY touch STACK_ZERO (mem.c stack_write -> mark_stack_bytes(...,
	 * ZERO) over [smin+off, smax+off+size)); the kernel
	 * (check_stack_write_var_off) keeps ZERO only where the byte was
	 * already ZERO and makes the rest MISC. Here fp-16 reads as 0 for us
	 * and unknown for the kernel, which refuses the return value. */
	{ "var-off-zero-write-claims-whole-range", CGSKB, 0, PROG(
		RAND,
		I_MOV64_REG(1, 0), I_ALU64_IMM(BVC_AND, 1, 7),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -16), I_ALU64_REG(BVC_ADD, 2, 1),
		I_ST(BVC_B, 2, 0, 0),
		I_LDX(BVC_DW, 0, 10, -16),
		I_EXIT()), REJ,
	  "UNSOUND: mem.c stack_write var-offset zero write marks the whole range ZERO" },
	/* The same after the range was zeroed first: ZERO stays ZERO. */
	{ "var-off-zero-write-over-zeros", CGSKB, 0, PROG(
		I_ST(BVC_DW, 10, -16, 0), I_ST(BVC_DW, 10, -8, 0),
		RAND,
		I_MOV64_REG(1, 0), I_ALU64_IMM(BVC_AND, 1, 7),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -16), I_ALU64_REG(BVC_ADD, 2, 1),
		I_ST(BVC_B, 2, 0, 0),
		I_LDX(BVC_DW, 0, 10, -16),
		I_EXIT()), ACC, "var-off zero write over ZERO bytes keeps them zero" },
	/* A non-zero var-offset write: the bytes become unknown. */
	{ "var-off-write-then-read-unknown", CGSKB, 0, PROG(
		I_ST(BVC_DW, 10, -16, 0), I_ST(BVC_DW, 10, -8, 0),
		RAND,
		I_MOV64_REG(1, 0), I_ALU64_IMM(BVC_AND, 1, 7),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -16), I_ALU64_REG(BVC_ADD, 2, 1),
		I_ST(BVC_B, 2, 0, 1),
		I_LDX(BVC_DW, 0, 10, -16),
		I_EXIT()), REJ, "var-off write of 1 makes the bytes unknown" },
	/* A 4-byte store is a partial spill in the kernel (slot bytes
	 * STACK_SPILL holding a scalar). Path A leaves fp-8 = {SPILL x4,
	 * INVALID x4} in the checkpoint at insn 11, path B arrives with a
	 * spilled ctx pointer: SPILL(scalar) vs SPILL(ptr), no pruning, and
	 * B's 4-byte fill of a pointer is refused. (Was unsound while 4-byte
	 * stores were MISC for us: stacksafe lets old MISC match anything.) */
	{ "prune-misc-vs-spilled-pointer", SOCK, 0, PROG(
		I_MOV64_REG(6, 1),               /* 0 */
		RAND,                            /* 1 */
		PAD, PAD, PAD,                   /* 2-4 */
		I_JMP_IMM(BVC_JEQ, 0, 0, 4),     /* 5 -> 10 */
		I_ST(BVC_W, 10, -8, 1),          /* 6 */
		PAD, PAD,                        /* 7-8 */
		I_JA(1),                         /* 9 -> 11 */
		I_STX(BVC_DW, 10, 6, -8),        /* 10 */
		I_LDX(BVC_W, 0, 10, -8),         /* 11 */
		I_EXIT()), REJ,
	  "partial spill vs spilled pointer at a join" },
	/* The same without the join: both paths are explored. */
	{ "partial-fill-of-spilled-pointer-no-join", SOCK, 0, PROG(
		I_MOV64_REG(6, 1), RAND,
		I_JMP_IMM(BVC_JEQ, 0, 0, 3),
		I_ST(BVC_W, 10, -8, 1), I_LDX(BVC_W, 0, 10, -8), I_EXIT(),
		I_STX(BVC_DW, 10, 6, -8), I_LDX(BVC_W, 0, 10, -8), I_EXIT()), REJ,
	  "4-byte fill of a spilled pointer on the second path" },
	/* Old has a spilled scalar, cur a spilled pointer: no pruning, the
	 * pointer path multiplies a pointer. */
	{ "prune-spilled-scalar-vs-pointer", SOCK, 0, PROG(
		I_MOV64_REG(6, 1), RAND,
		PAD, PAD, PAD,
		I_JMP_IMM(BVC_JEQ, 0, 0, 4),
		I_STX(BVC_DW, 10, 0, -8),
		PAD, PAD,
		I_JA(1),
		I_STX(BVC_DW, 10, 6, -8),
		I_LDX(BVC_DW, 1, 10, -8),
		I_ALU64_IMM(BVC_MUL, 1, 3),
		R0_0, I_EXIT()), REJ, "spilled scalar vs spilled pointer in a checkpoint" },
	/* UNSOUND: the kernel tracks constants through BPF_END/bswap and NEG,
	 * we make them unknown (scalar.c). Alone that only over-rejects, but
	 * stack writes are not monotone: at a constant offset a pointer is
	 * spilled (and a 4-byte fill of it refused), at a variable offset the
	 * bytes become MISC (mem.c stack_write). Here r1 = bswap16(0x0800) &
	 * 8 is 8 for the kernel and {0, 8} for us, so fp-8 holds the frame
	 * pointer for the kernel and MISC bytes for us. Fixes: track END and
	 * NEG of constants as the kernel does, and refuse (unsupported)
	 * variable-offset stack writes of pointers. */
	{ "bswap-precision-var-off-pointer-spill", SOCK, 0, PROG(
		I_MOV64_IMM(1, 0x0800), END(BVC_ALU64, 0, 1, 16), I_ALU64_IMM(BVC_AND, 1, 8),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -16), I_ALU64_REG(BVC_ADD, 2, 1),
		I_STX(BVC_DW, 2, 10, 0),
		I_LDX(BVC_W, 0, 10, -8), I_EXIT()), REJ,
	  "UNSOUND: END not tracked + var-offset pointer write is MISC (kernel: spill, then bad fill)" },
	{ "bswap-precision-var-off-pointer-store4", SOCK, 0, PROG(
		I_MOV64_IMM(1, 0x0800), END(BVC_ALU64, 0, 1, 16), I_ALU64_IMM(BVC_AND, 1, 8),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -16), I_ALU64_REG(BVC_ADD, 2, 1),
		I_STX(BVC_W, 2, 10, 0),
		R0_0, I_EXIT()), REJ,
	  "UNSOUND: END not tracked + var-offset 4-byte pointer store (kernel: invalid size of register spill)" },
	{ "neg-precision-var-off-pointer-spill", SOCK, 0, PROG(
		I_MOV64_IMM(1, -8), I_ALU64_IMM(BVC_NEG, 1, 0), I_ALU64_IMM(BVC_AND, 1, 8),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -16), I_ALU64_REG(BVC_ADD, 2, 1),
		I_STX(BVC_DW, 2, 10, 0),
		I_LDX(BVC_W, 0, 10, -8), I_EXIT()), REJ,
	  "UNSOUND: NEG not tracked + var-offset pointer write is MISC" },
	/* UNSOUND: the same gap through pruning. Path A writes a scalar at a
	 * variable offset for us (MISC over fp-16..fp-1), at fp-8 for the
	 * kernel (a spilled scalar); path B spills ctx at fp-8. At the join
	 * (insn 15) prune.c stacksafe lets our old MISC bytes cover B's
	 * spilled pointer; the kernel compares SPILL(scalar) with SPILL(ptr),
	 * explores B and refuses its 4-byte fill. Besides the precision fix,
	 * old MISC/INVALID bytes should not cover a spilled pointer in cur. */
	{ "bswap-precision-prune-misc-vs-pointer", SOCK, 0, PROG(
		I_MOV64_REG(6, 1),               /* 0 */
		RAND,                            /* 1 */
		PAD, PAD, PAD,                   /* 2-4 */
		I_JMP_IMM(BVC_JEQ, 0, 0, 8),     /* 5 -> 14 */
		I_MOV64_IMM(1, 0x0800),          /* 6 */
		END(BVC_ALU64, 0, 1, 16),        /* 7 */
		I_ALU64_IMM(BVC_AND, 1, 8),      /* 8 */
		I_MOV64_REG(2, 10),              /* 9 */
		I_ALU64_IMM(BVC_ADD, 2, -16),    /* 10 */
		I_ALU64_REG(BVC_ADD, 2, 1),      /* 11 */
		I_STX(BVC_DW, 2, 0, 0),          /* 12: a scalar */
		I_JA(1),                         /* 13 -> 15 */
		I_STX(BVC_DW, 10, 6, -8),        /* 14 */
		I_LDX(BVC_W, 0, 10, -8),         /* 15 */
		I_EXIT()), REJ,
	  "UNSOUND: prune.c stacksafe: old MISC (imprecise var-off write) covers a spilled pointer" },
	/* A truly variable offset: the kernel also makes the bytes MISC. */
	{ "var-off-pointer-store4", SOCK, 0, PROG(
		RAND, I_MOV64_REG(1, 0), I_ALU64_IMM(BVC_AND, 1, 8),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -16), I_ALU64_REG(BVC_ADD, 2, 1),
		I_STX(BVC_W, 2, 10, 0),
		I_LDX(BVC_W, 0, 10, -8), I_EXIT()), ACC, "var-offset pointer store is plain bytes" },
	/* Partial spills and fills as the kernel: truncation, sign
	 * extension, narrow fills of wider spills. */
	{ "fill4-of-wide-spill-trap", SOCK, 0, PROG(LD64(3, 0x100000005ull), I_STX(BVC_W, 10, 3, -8),
		I_LDX(BVC_W, 1, 10, -8), TRAP(5)), REJ, "4-byte spill of a 64-bit value" },
	{ "fill4-of-wide-spill-exact", SOCK, 0, PROG(LD64(3, 0x100000005ull), I_STX(BVC_W, 10, 3, -8),
		I_LDX(BVC_W, 1, 10, -8), EXACT(5)), ACC, "4-byte spill of a 64-bit value" },
	{ "fill-byte1-of-spill-trap", SOCK, 0, PROG(I_MOV64_IMM(3, 0x1234), I_STX(BVC_DW, 10, 3, -8),
		I_LDX(BVC_B, 1, 10, -7), TRAP(0x12)), REJ, "byte 1 of a spill" },
	{ "fill-byte1-of-spill-exact", SOCK, 0, PROG(I_MOV64_IMM(3, 0x1234), I_STX(BVC_DW, 10, 3, -8),
		I_LDX(BVC_B, 1, 10, -7), EXACT(0x12)), REJ, "byte 1 of a spill is unknown to the kernel" },
	{ "ldsx4-of-4spill-exact", SOCK, 0, PROG(I_MOV32_IMM(3, (int32_t)0x80000000),
		I_STX(BVC_W, 10, 3, -8), LDSX(BVC_W, 1, 10, -8), EXACT(0xffffffff80000000ull)), ACC,
	  "sign-extending fill of a 4-byte spill" },
	{ "st-imm4-fill4-exact", SOCK, 0, PROG(I_ST(BVC_W, 10, -8, -1), I_LDX(BVC_W, 1, 10, -8),
		EXACT(0xffffffffull)), ACC, "4-byte immediate spill, zero-extended fill" },
	{ "spill8-overwrite-hi-then-fill4-trap", SOCK, 0, PROG(I_MOV64_IMM(3, 5), I_STX(BVC_DW, 10, 3, -8),
		I_ST(BVC_W, 10, -4, 1), I_LDX(BVC_W, 1, 10, -8), TRAP(5)), REJ,
	  "overwriting half a spill destroys it" },
	{ "fill8-of-4spill-plus-misc-trap", SOCK, 0, PROG(I_MOV64_IMM(3, 5), I_STX(BVC_W, 10, 3, -8),
		I_ST(BVC_W, 10, -4, 7), I_LDX(BVC_DW, 1, 10, -8), TRAP(0x700000005ull)), REJ,
	  "8-byte fill over a 4-byte spill and other bytes" },
	/* A checkpoint whose slot was never written (INVALID) and a path with
	 * a spilled pointer there: reading it back as a pointer and doing
	 * pointer-only things is fine both ways. */
	{ "prune-invalid-vs-spilled-pointer-8byte-fill", SOCK, 0, PROG(
		I_MOV64_REG(6, 1), RAND,
		PAD, PAD, PAD,
		I_JMP_IMM(BVC_JEQ, 0, 0, 3),
		PAD, PAD,
		I_JA(1),
		I_STX(BVC_DW, 10, 6, -8),
		I_LDX(BVC_DW, 1, 10, -8),
		R0_0, I_EXIT()), ACC, "8-byte fill where the checkpoint had nothing" },
	/* Spilled map value pointer vs spilled maybe-NULL one at the join. */
	/* (Hash maps: 6.18 knows that an array lookup with a constant
	 * in-range key is never NULL.) */
	{ "prune-spilled-nonnull-vs-maybe-null", SOCK, 0, PROG(
		LOOKUP(0),                       /* 0-5 */
		I_MOV64_REG(7, 0),               /* 6 */
		I_JMP_IMM(BVC_JNE, 7, 0, 2),     /* 7 -> 10 */
		R0_0, I_EXIT(),                  /* 8-9 */
		LOOKUP(0),                       /* 10-15 */
		I_JMP_IMM(BVC_JEQ, 0, 0, 3),     /* 16 -> 20 */
		I_STX(BVC_DW, 10, 7, -16),       /* 17: non-null */
		PAD,                             /* 18 */
		I_JA(1),                         /* 19 -> 21 */
		I_STX(BVC_DW, 10, 0, -16),       /* 20: r0 == NULL here: scalar 0 */
		I_LDX(BVC_DW, 1, 10, -16),       /* 21 */
		I_LDX(BVC_DW, 0, 1, 0),          /* 22 */
		I_EXIT()), REJ, "a NULL spilled on one side must not prune into the deref" },
	/* A slot with ZERO bytes in the checkpoint vs MISC on the path. */
	{ "prune-zero-vs-misc", CGSKB, 0, PROG(
		RAND,
		PAD, PAD, PAD, PAD,
		I_JMP_IMM(BVC_JEQ, 0, 0, 3),     /* 5 -> 9 */
		I_ST(BVC_DW, 10, -8, 0),         /* 6 */
		PAD,                             /* 7 */
		I_JA(1),                         /* 8 -> 10 */
		I_ST(BVC_W, 10, -8, 1),          /* 9: 4 bytes of 1, 4 unwritten */
		I_LDX(BVC_DW, 0, 10, -8),        /* 10 */
		I_EXIT()), REJ, "ZERO in the checkpoint must not cover unknown bytes" },

	/* ---------------------------------------------------------------
	 * Liveness and frames
	 * --------------------------------------------------------------- */

	/* Joins right before an instruction that reads a register
	 * implicitly: LD_ABS reads r6, a helper call r1-r5, exit r0. The
	 * second path must not be pruned. */
	{ "prune-ld-abs-reads-r6", SOCK, 0, PROG(
		I_MOV64_REG(6, 1), RAND, PAD, PAD, PAD,
		I_JMP_IMM(BVC_JEQ, 0, 0, 3),     /* 5 -> 9 */
		PAD, PAD, I_JA(1),               /* 6-8 -> 10 */
		I_MOV64_IMM(6, 0),               /* 9 */
		I_RAW(BVC_LD | BVC_ABS | BVC_B, 0, 0, 0, 0), /* 10 */
		I_EXIT()), REJ, "r6 is live at LD_ABS" },
	{ "prune-helper-arg-live", SOCK, 0, PROG(
		I_ST(BVC_W, 10, -4, 0), RAND, PAD, PAD, PAD,
		I_JMP_IMM(BVC_JEQ, 0, 0, 4),     /* 5 -> 10 */
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -4), PAD, I_JA(1), /* 6-9 -> 11 */
		I_MOV64_IMM(2, 0),               /* 10 */
		LD_MAP(1, 0), I_CALL(1),         /* 11-13 */
		R0_0, I_EXIT()), REJ, "r2 is live at a helper call" },
	{ "prune-exit-r0-live", CGSKB, 0, PROG(
		RAND, PAD, PAD, PAD, PAD,
		I_JMP_IMM(BVC_JEQ, 0, 0, 3),     /* 5 -> 9 */
		I_MOV64_IMM(0, 1), PAD, I_JA(1), /* 6-8 -> 10 */
		I_MOV64_IMM(0, 5),               /* 9 */
		I_EXIT()), REJ, "r0 is live at exit" },
	/* Ids must map one to one: in the checkpoint r7 is a copy of r6, on
	 * the path it comes from another lookup. */
	{ "prune-null-id-bijection", SOCK, 0, PROG(
		LOOKUP(0),                       /* 0-5 */
		I_MOV64_REG(6, 0),               /* 6 */
		LOOKUP(0),                       /* 7-12 */
		I_MOV64_REG(8, 0),               /* 13 */
		RAND,                            /* 14 */
		I_JMP_IMM(BVC_JEQ, 0, 0, 5),     /* 15 -> 21 */
		I_MOV64_REG(7, 6),               /* 16 */
		PAD, PAD, PAD,                   /* 17-19 */
		I_JA(1),                         /* 20 -> 22 */
		I_MOV64_REG(7, 8),               /* 21 */
		I_JMP_IMM(BVC_JEQ, 6, 0, 1),     /* 22 -> 24 */
		I_LDX(BVC_DW, 0, 7, 0),          /* 23 */
		R0_0, I_EXIT()), REJ, "r7 ~ r6 in the checkpoint, r7 ~ r8 on the path" },

	/* The caller's r7 differs at the callee's checkpoints and is used
	 * after the return: callee-saved registers stay live in the caller. */
	{ "callee-saved-r7-live-across-call", SOCK, 0, PROG(
		I_MOV64_REG(6, 1),               /* 0 */
		RAND,                            /* 1 */
		I_MOV64_REG(7, 6),               /* 2: r7 = ctx */
		I_JMP_IMM(BVC_JEQ, 0, 0, 2),     /* 3 -> 6 */
		PAD,                             /* 4 */
		I_JA(1),                         /* 5 -> 7 */
		I_MOV64_IMM(7, 0),               /* 6: r7 = 0 */
		I_CALL_LOCAL(3),                 /* 7 -> 11 */
		I_LDX(BVC_W, 0, 7, 0),           /* 8: ctx ok, 0 not */
		R0_0,                            /* 9 */
		I_EXIT(),                        /* 10 */
		RAND,                            /* 11 */
		PAD, PAD, PAD, PAD, PAD, PAD,    /* 12-17 */
		I_JMP_IMM(BVC_JGT, 0, 5, 1),     /* 18 -> 20 */
		PAD,                             /* 19 */
		R0_0, I_EXIT()), REJ, "r7 of the caller is live at the callee's checkpoints" },
	/* r6-r9 survive a bpf-to-bpf call. */
	{ "callee-saved-preserved", SOCK, 0, PROG(
		I_MOV64_REG(6, 1), I_CALL_LOCAL(3), I_LDX(BVC_W, 0, 6, 0), R0_0, I_EXIT(),
		I_MOV64_IMM(6, 0), R0_0, I_EXIT()), ACC, "the callee's r6 is its own" },
	/* r1-r5 of the caller are clobbered by the call. */
	{ "caller-r1-clobbered", SOCK, 0, PROG(
		I_CALL_LOCAL(3), I_LDX(BVC_W, 0, 1, 0), R0_0, I_EXIT(),
		R0_0, I_EXIT()), REJ, "r1 is not readable after a call" },
	/* A callee writes a ctx pointer into the caller's stack: allowed. */
	{ "callee-spills-ctx-into-caller", SOCK, 0, PROG(
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -8),
		I_CALL_LOCAL(3),
		I_LDX(BVC_DW, 1, 10, -8), I_LDX(BVC_W, 0, 1, 0), I_EXIT(),
		I_STX(BVC_DW, 2, 1, 0), R0_0, I_EXIT()), ACC, "non-stack pointers may go to the caller's stack" },
	/* UNSOUND: the callee spills its own frame pointer into the caller's
	 * stack; the kernel refuses ("cannot spill pointers to stack into
	 * stack frame of the caller", check_stack_write_fixed_off). mem.c
	 * stack_write has no such check; once the callee returns the slot
	 * holds a pointer into a dead frame (see dead_frame_pointer). */
	{ "callee-spills-own-fp-into-caller", SOCK, 0, PROG(
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8),
		I_CALL_LOCAL(2),
		R0_0, I_EXIT(),
		I_STX(BVC_DW, 1, 10, 0), R0_0, I_EXIT()), REJ,
	  "UNSOUND: mem.c stack_write: PTR_STACK spilled into another frame's stack" },
	/* UNSOUND: the same two frames down (frame 2 into frame 1). */
	{ "callee-spills-own-fp-into-caller-depth2", SOCK, 0, PROG(
		I_CALL_LOCAL(2), R0_0, I_EXIT(),
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8), I_CALL_LOCAL(2), R0_0, I_EXIT(),
		I_STX(BVC_DW, 1, 10, 0), R0_0, I_EXIT()), REJ,
	  "UNSOUND: mem.c stack_write: PTR_STACK spilled into another frame's stack" },
	/* The caller's frame pointer into the caller's stack via the callee:
	 * a frame-0 pointer stored into frame 0 by frame 1 is also refused
	 * by the kernel (state != cur and PTR_TO_STACK). */
	{ "callee-spills-caller-fp-into-caller", SOCK, 0, PROG(
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8), I_MOV64_REG(2, 10),
		I_CALL_LOCAL(2),
		R0_0, I_EXIT(),
		I_STX(BVC_DW, 1, 2, 0), R0_0, I_EXIT()), REJ,
	  "UNSOUND: mem.c stack_write: any PTR_STACK into another frame's stack" },
	/* A frame-0 stack pointer handed down two frames and written through. */
	{ "stack-pointer-two-frames-down", SOCK, 0, PROG(
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8),
		I_CALL_LOCAL(2), I_LDX(BVC_DW, 0, 10, -8), I_EXIT(),
		I_CALL_LOCAL(2), R0_0, I_EXIT(),
		I_ST(BVC_DW, 1, 0, 7), R0_0, I_EXIT()), ACC, "frame 2 writes frame 0's stack" },
	/* A callee's stack pointer returned to the caller. */
	{ "callee-returns-caller-fp", SOCK, 0, PROG(
		I_MOV64_REG(1, 10), I_CALL_LOCAL(2), R0_0, I_EXIT(),
		I_MOV64_REG(0, 1), I_EXIT()), REJ, "any stack pointer as a return value" },
	/* Packet pointers of the caller die when the callee changes the
	 * packet. */
	{ "pkt-change-in-callee-kills-caller-pointer", XDP, 0, PROG(
		I_MOV64_REG(6, 1),
		XDP_DATA(7), XDP_END(3),
		I_MOV64_REG(4, 7), I_ALU64_IMM(BVC_ADD, 4, 8),
		I_JMP_REG(BVC_JGT, 4, 3, 5),     /* 5 -> 11 */
		I_MOV64_REG(1, 6),               /* 6 */
		I_CALL_LOCAL(5),                 /* 7 -> 13 */
		I_LDX(BVC_B, 0, 7, 0),           /* 8 */
		R0_0, I_EXIT(),                  /* 9-10 */
		R0_0, I_EXIT(),                  /* 11-12 */
		I_MOV64_IMM(2, 4), I_CALL(44), R0_0, I_EXIT()), REJ,
	  "xdp_adjust_head in the callee invalidates the caller's packet pointers" },

	/* ---------------------------------------------------------------
	 * Stack depth and call chains
	 * --------------------------------------------------------------- */

	/* UNSOUND: the path that touches fp-480 is pruned at the join (insn
	 * 9) before it exits, so its depth never reaches subprogs[0] (engine.c
	 * check_exit is the only place frame depth is folded in). The kernel
	 * records depth at every access: 480 + 64 > 512. Besides the verdict,
	 * the JIT would get too small a frame. Fold frame->stack_depth into
	 * env->subprogs[frame->subprog] at access time (or on prune too). */
	{ "stack-depth-of-pruned-path", SOCK, 0, PROG(
		RAND,                            /* 0 */
		PAD, PAD, PAD, PAD,              /* 1-4 */
		I_JMP_IMM(BVC_JEQ, 0, 0, 2),     /* 5 -> 8 */
		PAD,                             /* 6 */
		I_JA(1),                         /* 7 -> 9 */
		I_ST(BVC_DW, 10, -480, 0),       /* 8 */
		I_CALL_LOCAL(2),                 /* 9 -> 12 */
		R0_0, I_EXIT(),                  /* 10-11 */
		I_ST(BVC_DW, 10, -64, 0), R0_0, I_EXIT()), REJ,
	  "UNSOUND: engine.c check_exit: stack depth of pruned paths is lost" },
	/* The same depths on a path that is not pruned. */
	{ "stack-depth-combined-too-large", SOCK, 0, PROG(
		I_ST(BVC_DW, 10, -480, 0), I_CALL_LOCAL(2), R0_0, I_EXIT(),
		I_ST(BVC_DW, 10, -64, 0), R0_0, I_EXIT()), REJ, "480 + 64 > 512" },
	{ "stack-depth-combined-fits", SOCK, 0, PROG(
		I_ST(BVC_DW, 10, -448, 0), I_CALL_LOCAL(2), R0_0, I_EXIT(),
		I_ST(BVC_DW, 10, -64, 0), R0_0, I_EXIT()), ACC, "448 + 64 = 512" },
	/* UNSOUND: a call that no path executes still counts for the kernel
	 * (check_max_stack_depth walks every call insn); engine.c
	 * check_max_stack_depth skips calls without aux[i].seen. Chain
	 * main(32) -> B(256) -> C(256) only through B's dead call. */
	{ "stack-depth-through-dead-call", SOCK, 0, PROG(
		I_ST(BVC_DW, 10, -32, 0),        /* 0 */
		I_CALL_LOCAL(3),                 /* 1 -> 5 (B) */
		I_CALL_LOCAL(7),                 /* 2 -> 10 (C) */
		R0_0, I_EXIT(),                  /* 3-4 */
		I_ST(BVC_DW, 10, -256, 0),       /* 5: B */
		R0_0,                            /* 6 */
		I_JMP_IMM(BVC_JEQ, 0, 0, 1),     /* 7 -> 9 */
		I_CALL_LOCAL(1),                 /* 8 -> 10 (dead) */
		I_EXIT(),                        /* 9 */
		I_ST(BVC_DW, 10, -256, 0),       /* 10: C */
		R0_0, I_EXIT()), REJ,
	  "UNSOUND: engine.c check_max_stack_depth ignores calls no path reached" },
	/* UNSOUND: dead recursion, same cause: the kernel walks the dead
	 * call and finds too many frames. */
	{ "dead-recursive-call", SOCK, 0, PROG(
		I_CALL_LOCAL(2), R0_0, I_EXIT(),
		R0_0,                            /* 3: B */
		I_JMP_IMM(BVC_JEQ, 0, 0, 1),     /* 4 -> 6 */
		I_CALL_LOCAL(-3),                /* 5 -> 3 (dead) */
		I_EXIT()), REJ,
	  "UNSOUND: engine.c check_max_stack_depth ignores calls no path reached" },
	/* UNSOUND: without BTF func info the kernel refuses any tail call
	 * or LD_ABS in a subprogram, reached or not ("tail_call is not
	 * allowed in subprogs without BTF", check_abnormal_return). We accept
	 * tail calls there, and LD_ABS when no path reaches it. With BTF the
	 * kernel still refuses a tail call in a subprogram whose callers'
	 * frames total >= 256 bytes (check_max_stack_depth_subprog), which we
	 * do not check either (not testable here: the oracle loads no BTF). */
	{ "tail-call-in-subprog-no-btf", SOCK, 0, PROG(
		I_ST(BVC_DW, 10, -64, 0),
		I_CALL_LOCAL(2), R0_0, I_EXIT(),
		LD_MAP(2, 3), I_MOV64_IMM(3, 0), I_CALL(12), R0_0, I_EXIT()), REJ,
	  "UNSOUND: no check_abnormal_return: tail call in a subprogram without BTF" },
	{ "tail-call-in-subprog-deep-caller", SOCK, 0, PROG(
		I_ST(BVC_DW, 10, -256, 0),
		I_CALL_LOCAL(2), R0_0, I_EXIT(),
		LD_MAP(2, 3), I_MOV64_IMM(3, 0), I_CALL(12), R0_0, I_EXIT()), REJ,
	  "UNSOUND: no check_abnormal_return (and no 256-byte tail-call rule)" },
	{ "ld-abs-in-subprog-dead", SOCK, 0, PROG(
		I_MOV64_REG(6, 1), I_CALL_LOCAL(2), R0_0, I_EXIT(),
		R0_0, I_JMP_IMM(BVC_JEQ, 0, 0, 1),
		I_RAW(BVC_LD | BVC_ABS | BVC_B, 0, 0, 0, 0),
		I_EXIT()), REJ,
	  "UNSOUND: no check_abnormal_return: LD_ABS in a subprogram without BTF" },
	{ "ld-abs-in-subprog-live", SOCK, 0, PROG(
		I_MOV64_REG(6, 1), I_CALL_LOCAL(2), R0_0, I_EXIT(),
		I_RAW(BVC_LD | BVC_ABS | BVC_B, 0, 0, 0, 0),
		I_EXIT()), REJ, "LD_ABS in a subprogram (we: unsupported)" },

	/* ---------------------------------------------------------------
	 * References
	 * --------------------------------------------------------------- */

	/* UNSOUND: a tail call while a ringbuf record is held; the kernel
	 * refuses ("tail_call would lead to reference leak"), engine.c
	 * check_helper_call does not look at st->nrefs for tail_call. */
	{ "tail-call-holding-reference", SOCK, 0, PROG(
		I_MOV64_REG(6, 1),               /* 0 */
		RESERVE(8),                      /* 1-5 */
		I_MOV64_REG(7, 0),               /* 6 */
		I_MOV64_REG(1, 6),               /* 7 */
		LD_MAP(2, 3),                    /* 8-9 */
		I_MOV64_IMM(3, 0),               /* 10 */
		I_CALL(12),                      /* 11 */
		I_JMP_IMM(BVC_JEQ, 7, 0, 3),     /* 12 -> 16 */
		I_MOV64_REG(1, 7), I_MOV64_IMM(2, 0), I_CALL(132), /* 13-15 */
		R0_0, I_EXIT()), REJ,
	  "UNSOUND: engine.c check_helper_call: tail_call with acquired references" },
	{ "tail-call-after-release", SOCK, 0, PROG(
		I_MOV64_REG(6, 1),
		RESERVE(8),
		I_JMP_IMM(BVC_JEQ, 0, 0, 3),
		I_MOV64_REG(1, 0), I_MOV64_IMM(2, 0), I_CALL(133),
		I_MOV64_REG(1, 6), LD_MAP(2, 3), I_MOV64_IMM(3, 0), I_CALL(12),
		R0_0, I_EXIT()), ACC, "tail call once the record is gone" },
	/* A record used after submit through a spilled copy. */
	{ "ringbuf-use-after-submit-spilled", SOCK, 0, PROG(
		RESERVE(8),                      /* 0-4 */
		I_JMP_IMM(BVC_JEQ, 0, 0, 6),     /* 5 -> 12 */
		I_STX(BVC_DW, 10, 0, -8),        /* 6 */
		I_MOV64_REG(1, 0), I_MOV64_IMM(2, 0), I_CALL(132), /* 7-9 */
		I_LDX(BVC_DW, 1, 10, -8),        /* 10 */
		I_ST(BVC_DW, 1, 0, 1),           /* 11 */
		R0_0, I_EXIT()), REJ, "the spilled copy is released too" },
	/* A record derived pointer (moved) is released with it. */
	{ "ringbuf-derived-after-discard", SOCK, 0, PROG(
		RESERVE(16),
		I_JMP_IMM(BVC_JEQ, 0, 0, 6),
		I_MOV64_REG(6, 0), I_ALU64_IMM(BVC_ADD, 6, 8),
		I_MOV64_REG(1, 0), I_MOV64_IMM(2, 0), I_CALL(133),
		I_ST(BVC_DW, 6, 0, 1),
		R0_0, I_EXIT()), REJ, "r6 = record + 8 dies at discard" },
	/* Submitted in a callee: the reference belongs to the state. */
	{ "ringbuf-submit-in-callee", SOCK, 0, PROG(
		RESERVE(8),
		I_JMP_IMM(BVC_JEQ, 0, 0, 2),
		I_MOV64_REG(1, 0), I_CALL_LOCAL(2),
		R0_0, I_EXIT(),
		I_MOV64_IMM(2, 0), I_CALL(132), R0_0, I_EXIT()), ACC, "release in a callee" },
	/* Submit a moved pointer. */
	{ "ringbuf-submit-moved", SOCK, 0, PROG(
		RESERVE(16),
		I_JMP_IMM(BVC_JEQ, 0, 0, 4),
		I_ALU64_IMM(BVC_ADD, 0, 8),
		I_MOV64_REG(1, 0), I_MOV64_IMM(2, 0), I_CALL(132),
		R0_0, I_EXIT()), REJ, "release functions want offset 0" },
	/* Both outcomes of a reservation joined, then only the record
	 * submitted on the non-NULL side. */
	{ "ringbuf-null-side-no-ref", SOCK, 0, PROG(
		RESERVE(8),
		I_MOV64_REG(6, 0),
		I_JMP_IMM(BVC_JNE, 6, 0, 2),
		R0_0, I_EXIT(),
		I_MOV64_REG(1, 0), I_MOV64_IMM(2, 0), I_CALL(133), R0_0, I_EXIT()), ACC,
	  "the NULL check of a copy refines the original (same id)" },
	/* A second reservation of size 0: no bytes to touch. */
	{ "ringbuf-size-zero-access", SOCK, 0, PROG(
		RESERVE(0),
		I_JMP_IMM(BVC_JEQ, 0, 0, 4),
		I_ST(BVC_B, 0, 0, 1),
		I_MOV64_REG(1, 0), I_MOV64_IMM(2, 0), I_CALL(133),
		R0_0, I_EXIT()), REJ, "a zero-sized record" },

	/* ---------------------------------------------------------------
	 * NULL checks and ids
	 * --------------------------------------------------------------- */

	/* NULL check against a register that holds 0 (BPF_X): the kernel
	 * only treats "if rX ==/!= 0" with an immediate as a NULL check. */
	{ "null-check-against-zero-register", SOCK, 0, PROG(
		LOOKUP(0),
		I_MOV64_IMM(1, 0),
		I_JMP_REG(BVC_JEQ, 0, 1, 1),
		I_LDX(BVC_DW, 0, 0, 0),
		R0_0, I_EXIT()), REJ, "NULL check by register" },
	/* JMP32 "if w0 != 0" is not a NULL check. */
	{ "null-check-jmp32", SOCK, 0, PROG(
		LOOKUP(0),
		I_RAW(BVC_JMP32 | BVC_JEQ | BVC_K, 0, 0, 1, 0),
		I_LDX(BVC_DW, 0, 0, 0),
		R0_0, I_EXIT()), REJ, "32-bit NULL checks do not count" },
	/* The check of a copy refines a spilled copy. */
	{ "null-check-refines-spilled-copy", SOCK, 0, PROG(
		LOOKUP(0),
		I_STX(BVC_DW, 10, 0, -16),
		I_JMP_IMM(BVC_JEQ, 0, 0, 2),
		I_LDX(BVC_DW, 1, 10, -16),
		I_LDX(BVC_DW, 0, 1, 0),
		R0_0, I_EXIT()), ACC, "spill keeps the id" },
	/* Two lookups: checking one says nothing about the other. */
	{ "null-check-wrong-lookup", SOCK, 0, PROG(
		LOOKUP(0), I_MOV64_REG(6, 0),
		LOOKUP(0),
		I_JMP_IMM(BVC_JEQ, 6, 0, 1),
		I_LDX(BVC_DW, 0, 0, 0),
		R0_0, I_EXIT()), REJ, "ids are per call" },
	/* A lookup in a loop: the second iteration's NULL check must not
	 * refine the first iteration's pointer. */
	{ "null-check-loop-ids", SOCK, 0, PROG(
		I_MOV64_IMM(6, 0),               /* 0 */
		I_MOV64_IMM(7, 0),               /* 1 */
		LOOKUP(0),                       /* 2-7 */
		I_JMP_IMM(BVC_JEQ, 6, 1, 3),     /* 8 -> 12 */
		I_MOV64_REG(7, 0),               /* 9: keep the first result */
		I_MOV64_IMM(6, 1),               /* 10 */
		I_JA(-10),                       /* 11 -> 2 */
		I_JMP_IMM(BVC_JEQ, 0, 0, 1),     /* 12 -> 14 */
		I_LDX(BVC_DW, 0, 7, 0),          /* 13 */
		R0_0, I_EXIT()), REJ, "ids differ between iterations" },
	/* Pointer arithmetic then compare with 0 (not a NULL check on
	 * non-maybe-null pointers: it is predicted). */
	{ "nonnull-compare-predicted", SOCK, 0, PROG(
		LOOKUP(1),
		I_JMP_IMM(BVC_JEQ, 0, 0, 4),
		I_ALU64_IMM(BVC_ADD, 0, 8),
		I_JMP_IMM(BVC_JNE, 0, 0, 1),
		I_MOV64_IMM(0, 1),               /* dead */
		I_LDX(BVC_DW, 0, 0, 0),
		R0_0, I_EXIT()), ACC, "a map value + 8 is never NULL" },

	/* ---------------------------------------------------------------
	 * Packets
	 * --------------------------------------------------------------- */

	/* A spilled packet pointer is invalidated by a packet-changing
	 * helper. */
	{ "pkt-spilled-invalidated", XDP, 0, PROG(
		I_MOV64_REG(6, 1),
		XDP_DATA(2), XDP_END(3),
		I_MOV64_REG(4, 2), I_ALU64_IMM(BVC_ADD, 4, 8),
		I_JMP_REG(BVC_JGT, 4, 3, 7),
		I_STX(BVC_DW, 10, 2, -8),
		I_MOV64_REG(1, 6), I_MOV64_IMM(2, 0), I_CALL(44),
		I_LDX(BVC_DW, 2, 10, -8),
		I_LDX(BVC_B, 0, 2, 0),
		I_EXIT(),
		R0_0, I_EXIT()), REJ, "xdp_adjust_head scrubs spilled packet pointers" },
	/* Range from one comparison does not reach a pointer with a new
	 * variable offset. */
	{ "pkt-var-offset-new-id", XDP, 0, PROG(
		I_MOV64_REG(6, 1),
		RAND,
		I_ALU64_IMM(BVC_AND, 0, 7),
		I_LDX(BVC_W, 2, 6, 0), I_LDX(BVC_W, 3, 6, 4),
		I_MOV64_REG(4, 2), I_ALU64_IMM(BVC_ADD, 4, 8),
		I_JMP_REG(BVC_JGT, 4, 3, 3),
		I_ALU64_REG(BVC_ADD, 2, 0),
		I_LDX(BVC_B, 0, 2, 0),
		I_EXIT(),
		R0_0, I_EXIT()), REJ, "pkt + var has a new id and no range" },
	/* pkt - var keeps... the range of the base but a negative offset
	 * cannot be accessed. */
	{ "pkt-sub-var-then-access", XDP, 0, PROG(
		I_MOV64_REG(6, 1),
		RAND,
		I_ALU64_IMM(BVC_AND, 0, 3),
		I_LDX(BVC_W, 2, 6, 0), I_LDX(BVC_W, 3, 6, 4),
		I_MOV64_REG(4, 2), I_ALU64_IMM(BVC_ADD, 4, 8),
		I_JMP_REG(BVC_JGT, 4, 3, 3),
		I_ALU64_REG(BVC_SUB, 2, 0),
		I_LDX(BVC_B, 0, 2, 4),
		I_EXIT(),
		R0_0, I_EXIT()), REJ, "pkt - var may be before the packet" },
	/* Comparisons in the other order: pkt_end >= pkt + 8 on the taken
	 * side. */
	{ "pkt-end-on-left", XDP, 0, PROG(
		XDP_DATA(2), XDP_END(3),
		I_MOV64_REG(4, 2), I_ALU64_IMM(BVC_ADD, 4, 8),
		I_JMP_REG(BVC_JGE, 3, 4, 2),
		R0_0, I_EXIT(),
		I_LDX(BVC_DW, 0, 2, 0), I_EXIT()), ACC, "end >= pkt+8 proves 8 bytes" },
	{ "pkt-end-on-left-off-by-one", XDP, 0, PROG(
		XDP_DATA(2), XDP_END(3),
		I_MOV64_REG(4, 2), I_ALU64_IMM(BVC_ADD, 4, 8),
		I_JMP_REG(BVC_JGT, 3, 4, 2),
		R0_0, I_EXIT(),
		I_LDX(BVC_DW, 0, 2, 1), I_EXIT()), ACC, "end > pkt+8 proves 9 bytes" },
	{ "pkt-end-on-left-too-far", XDP, 0, PROG(
		XDP_DATA(2), XDP_END(3),
		I_MOV64_REG(4, 2), I_ALU64_IMM(BVC_ADD, 4, 8),
		I_JMP_REG(BVC_JGE, 3, 4, 2),
		R0_0, I_EXIT(),
		I_LDX(BVC_DW, 0, 2, 1), I_EXIT()), REJ, "end >= pkt+8 does not prove 9" },
	/* A packet range must not survive pruning into a path with less. */
	{ "prune-pkt-range", XDP, 0, PROG(
		I_MOV64_REG(6, 1),               /* 0 */
		RAND,                            /* 1 */
		I_LDX(BVC_W, 2, 6, 0),           /* 2 */
		I_LDX(BVC_W, 3, 6, 4),           /* 3 */
		I_MOV64_REG(4, 2),               /* 4 */
		I_ALU64_IMM(BVC_ADD, 4, 16),     /* 5 */
		I_JMP_REG(BVC_JGT, 4, 3, 12),    /* 6 -> 19 */
		I_JMP_IMM(BVC_JEQ, 0, 0, 5),     /* 7 -> 13 */
		PAD, PAD, PAD, PAD,              /* 8-11 */
		I_JA(4),                         /* 12 -> 17 */
		I_LDX(BVC_W, 2, 6, 0),           /* 13: a fresh data pointer */
		I_MOV64_REG(4, 2),               /* 14 */
		I_ALU64_IMM(BVC_ADD, 4, 8),      /* 15 */
		I_JMP_REG(BVC_JGT, 4, 3, 2),     /* 16 -> 19 */
		I_LDX(BVC_DW, 0, 2, 8),          /* 17: needs 16 bytes */
		I_EXIT(),                        /* 18 */
		R0_0, I_EXIT()), REJ, "range 16 in the checkpoint, 8 on the path" },
	{ "prune-pkt-range-ok", XDP, 0, PROG(
		I_MOV64_REG(6, 1), RAND,
		I_LDX(BVC_W, 2, 6, 0), I_LDX(BVC_W, 3, 6, 4),
		I_MOV64_REG(4, 2), I_ALU64_IMM(BVC_ADD, 4, 16),
		I_JMP_REG(BVC_JGT, 4, 3, 12),
		I_JMP_IMM(BVC_JEQ, 0, 0, 5),
		PAD, PAD, PAD, PAD,
		I_JA(4),
		I_LDX(BVC_W, 2, 6, 0),
		I_MOV64_REG(4, 2), I_ALU64_IMM(BVC_ADD, 4, 24),
		I_JMP_REG(BVC_JGT, 4, 3, 2),
		I_LDX(BVC_DW, 0, 2, 8),
		I_EXIT(),
		R0_0, I_EXIT()), ACC, "range 24 on the path covers the checkpoint's 16" },

	/* ---------------------------------------------------------------
	 * Helper arguments
	 * --------------------------------------------------------------- */

	/* A key of a hash map lookup that is only partly on the stack. */
	{ "map-key-past-stack-top", SOCK, 0, PROG(
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -2),
		LD_MAP(1, 0), I_CALL(1), R0_0, I_EXIT()), REJ, "4-byte key at fp-2" },
	/* The update value from a map value that is too small. */
	{ "map-update-value-too-small", SOCK, 0, PROG(
		LOOKUP(0),                       /* value 8 bytes */
		I_JMP_IMM(BVC_JEQ, 0, 0, 7),
		I_MOV64_REG(3, 0),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -4),
		LD_MAP(1, 1),                    /* value 16 bytes */
		I_MOV64_IMM(4, 0), /* flags */
		I_CALL(2),
		R0_0, I_EXIT()), REJ, "8-byte value passed for a 16-byte one" },
	/* Helper writing the stack scrubs a spilled pointer. */
	{ "helper-write-scrubs-spill", KPROBE, 0, PROG(
		I_STX(BVC_DW, 10, 1, -8),
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8),
		I_MOV64_IMM(2, 8),
		I_CALL(16),                      /* get_current_comm(fp-8, 8) */
		I_LDX(BVC_DW, 1, 10, -8),
		I_LDX(BVC_DW, 0, 1, 0),
		I_EXIT()), REJ, "the spilled ctx is gone" },
	/* Variable size argument bounded by a check. */
	{ "helper-var-size-bounded", KPROBE, 0, PROG(
		RAND,
		I_ALU64_IMM(BVC_AND, 0, 15),
		I_MOV64_REG(2, 0),
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -16),
		I_MOV64_IMM(3, 0),
		I_CALL(113),                     /* probe_read_kernel(fp-16, [0,15], 0) */
		R0_0, I_EXIT()), ACC, "size in [0,15] into 16 bytes" },
	{ "helper-var-size-too-big", KPROBE, 0, PROG(
		RAND,
		I_ALU64_IMM(BVC_AND, 0, 31),
		I_MOV64_REG(2, 0),
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -16),
		I_MOV64_IMM(3, 0),
		I_CALL(113),
		R0_0, I_EXIT()), REJ, "size up to 31 into 16 bytes" },
	/* A helper size argument that is a pointer. */
	{ "helper-size-is-pointer", KPROBE, 0, PROG(
		I_MOV64_REG(2, 10),
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -16),
		I_MOV64_IMM(3, 0),
		I_CALL(113),
		R0_0, I_EXIT()), REJ, "size must be a scalar" },

	/* UNSOUND: bpf_strtol's result pointer is ARG_PTR_TO_FIXED_SIZE_MEM |
	 * MEM_ALIGNED in the kernel: check_ptr_alignment(strict) on it.
	 * engine.c check_helper_call (BVC_ARG_PTR_TO_INT/LONG) only checks
	 * the bounds. Fix: strict alignment of the pointer for 4/8 bytes. */
	{ "strtol-res-misaligned-stack", KPROBE, 0, PROG(I_ST(BVC_DW, 10, -16, 0x31),
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -16), I_MOV64_IMM(2, 2), I_MOV64_IMM(3, 0),
		I_MOV64_REG(4, 10), I_ALU64_IMM(BVC_ADD, 4, -28), I_CALL(105), R0_0, I_EXIT()), REJ,
	  "UNSOUND: ARG_PTR_TO_LONG without the MEM_ALIGNED check (stack)" },
	{ "strtol-res-misaligned-map-value", KPROBE, 0, PROG(LOOKUP(1), I_JMP_IMM(BVC_JEQ, 0, 0, 9),
		I_ST(BVC_DW, 10, -16, 0x31),
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -16), I_MOV64_IMM(2, 2), I_MOV64_IMM(3, 0),
		I_MOV64_REG(4, 0), I_ALU64_IMM(BVC_ADD, 4, 4), I_CALL(105), R0_0, I_EXIT()), REJ,
	  "UNSOUND: ARG_PTR_TO_LONG without the MEM_ALIGNED check (map value)" },
	{ "strtol-res-aligned-stack", KPROBE, 0, PROG(I_ST(BVC_DW, 10, -16, 0x31),
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -16), I_MOV64_IMM(2, 2), I_MOV64_IMM(3, 0),
		I_MOV64_REG(4, 10), I_ALU64_IMM(BVC_ADD, 4, -32), I_CALL(105), R0_0, I_EXIT()), ACC,
	  "aligned result on the stack" },
	{ "strtol-res-aligned-map-value", KPROBE, 0, PROG(LOOKUP(1), I_JMP_IMM(BVC_JEQ, 0, 0, 9),
		I_ST(BVC_DW, 10, -16, 0x31),
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -16), I_MOV64_IMM(2, 2), I_MOV64_IMM(3, 0),
		I_MOV64_REG(4, 0), I_ALU64_IMM(BVC_ADD, 4, 8), I_CALL(105), R0_0, I_EXIT()), ACC,
	  "aligned result in a map value" },
	{ "csum-diff-null-size4", XDP, 0, PROG(I_MOV64_IMM(1, 0), I_MOV64_IMM(2, 4), I_MOV64_IMM(3, 0),
		I_MOV64_IMM(4, 0), I_MOV64_IMM(5, 0), I_CALL(28), R0_0, I_EXIT()), REJ,
	  "NULL with a non-zero size" },
	{ "csum-diff-null-size0", XDP, 0, PROG(I_MOV64_IMM(1, 0), I_MOV64_IMM(2, 0), I_MOV64_IMM(3, 0),
		I_MOV64_IMM(4, 0), I_MOV64_IMM(5, 0), I_CALL(28), R0_0, I_EXIT()), ACC,
	  "NULL with size 0 for an _OR_NULL argument" },
	{ "ringbuf-output-from-packet", XDP, 0, PROG(I_MOV64_REG(6, 1), I_LDX(BVC_W, 2, 1, 0),
		I_LDX(BVC_W, 3, 1, 4), I_MOV64_REG(4, 2), I_ALU64_IMM(BVC_ADD, 4, 8),
		I_JMP_REG(BVC_JGT, 4, 3, 5),
		LD_MAP(1, 2), I_MOV64_IMM(3, 8), I_MOV64_IMM(4, 0), I_CALL(130), R0_0, I_EXIT()), REJ,
	  "helpers without pkt_access take no packet pointers" },
	{ "map-key-from-packet", XDP, 0, PROG(I_LDX(BVC_W, 2, 1, 0), I_LDX(BVC_W, 3, 1, 4),
		I_MOV64_REG(4, 2), I_ALU64_IMM(BVC_ADD, 4, 4), I_JMP_REG(BVC_JGT, 4, 3, 3),
		LD_MAP(1, 0), I_CALL(1), R0_0, I_EXIT()), ACC, "a 4-byte key in 4 proven packet bytes" },
	{ "map-key-from-packet-short", XDP, 0, PROG(I_LDX(BVC_W, 2, 1, 0), I_LDX(BVC_W, 3, 1, 4),
		I_MOV64_REG(4, 2), I_ALU64_IMM(BVC_ADD, 4, 3), I_JMP_REG(BVC_JGT, 4, 3, 3),
		LD_MAP(1, 0), I_CALL(1), R0_0, I_EXIT()), REJ, "a 4-byte key in 3 proven packet bytes" },
	{ "map-key-is-ringbuf-record", SOCK, 0, PROG(RESERVE(8), I_JMP_IMM(BVC_JEQ, 0, 0, 8),
		I_MOV64_REG(6, 0), I_MOV64_REG(2, 0), LD_MAP(1, 0), I_CALL(1),
		I_MOV64_REG(1, 6), I_MOV64_IMM(2, 0), I_CALL(133), R0_0, I_EXIT()), ACC,
	  "uninitialised ringbuf memory as a key (privileged)" },
	{ "ringbuf-submit-twice", SOCK, 0, PROG(RESERVE(8), I_JMP_IMM(BVC_JEQ, 0, 0, 7),
		I_MOV64_REG(6, 0), I_MOV64_REG(1, 0), I_MOV64_IMM(2, 0), I_CALL(132),
		I_MOV64_REG(1, 6), I_MOV64_IMM(2, 0), I_CALL(132), R0_0, I_EXIT()), REJ,
	  "the copy is released with the original" },
	{ "tail-call-wrong-map", SOCK, 0, PROG(LD_MAP(2, 0), I_MOV64_IMM(3, 0), I_CALL(12), R0_0,
		I_EXIT()), REJ, "tail calls need a prog array" },
	{ "lookup-prog-array", SOCK, 0, PROG(LOOKUP(3), R0_0, I_EXIT()), REJ,
	  "programs may not look up prog arrays" },
	{ "ld-ind-pointer-index", SOCK, 0, PROG(I_MOV64_REG(6, 1),
		I_RAW(BVC_LD | BVC_IND | BVC_B, 0, 10, 0, 0), I_EXIT()), ACC,
	  "LD_IND takes any register as the index (privileged)" },
	{ "ctx-store-pointer", TC, 0, PROG(I_STX(BVC_W, 1, 10, 8), R0_0, I_EXIT()), ACC,
	  "privileged programs may store a pointer into skb->mark" },
	{ "pkt-spilled-in-caller-callee-changes", XDP, 0, PROG(
		I_MOV64_REG(6, 1), I_LDX(BVC_W, 2, 1, 0), I_LDX(BVC_W, 3, 1, 4),
		I_MOV64_REG(4, 2), I_ALU64_IMM(BVC_ADD, 4, 8), I_JMP_REG(BVC_JGT, 4, 3, 6),
		I_STX(BVC_DW, 10, 2, -8), I_MOV64_REG(1, 6), I_CALL_LOCAL(5),
		I_LDX(BVC_DW, 2, 10, -8), I_LDX(BVC_B, 0, 2, 0), I_EXIT(),
		R0_0, I_EXIT(),
		I_MOV64_IMM(2, 4), I_CALL(44), R0_0, I_EXIT()), REJ,
	  "a packet pointer spilled in the caller dies when the callee changes the packet" },
	{ "pkt-range-passed-to-callee", XDP, 0, PROG(
		I_LDX(BVC_W, 2, 1, 0), I_LDX(BVC_W, 3, 1, 4),
		I_MOV64_REG(4, 2), I_ALU64_IMM(BVC_ADD, 4, 8), I_JMP_REG(BVC_JGT, 4, 3, 3),
		I_MOV64_REG(1, 2), I_CALL_LOCAL(3), I_EXIT(),
		R0_0, I_EXIT(),
		I_LDX(BVC_DW, 0, 1, 1), I_EXIT()), REJ, "8 proven bytes, 8 read at +1 in the callee" },
	{ "callee-exit-without-r0", SOCK, 0, PROG(I_CALL_LOCAL(2), R0_0, I_EXIT(), I_EXIT()), ACC,
	  "a subprogram may return nothing if nobody reads r0" },
	{ "callee-exit-without-r0-read", SOCK, 0, PROG(I_CALL_LOCAL(1), I_EXIT(), I_EXIT()), REJ,
	  "... but the caller may not read it" },
	{ "callee-scrubs-caller-spill", SOCK, 0, PROG(I_STX(BVC_DW, 10, 1, -8), I_MOV64_REG(1, 10),
		I_ALU64_IMM(BVC_ADD, 1, -8), I_CALL_LOCAL(3),
		I_LDX(BVC_DW, 1, 10, -8), I_LDX(BVC_W, 0, 1, 0), I_EXIT(),
		I_ST(BVC_W, 1, 4, 0), R0_0, I_EXIT()), REJ, "half of a caller's spill overwritten" },
	{ "eight-frames", SOCK, 0, PROG(I_CALL_LOCAL(1), I_EXIT(), I_CALL_LOCAL(1), I_EXIT(),
		I_CALL_LOCAL(1), I_EXIT(), I_CALL_LOCAL(1), I_EXIT(), I_CALL_LOCAL(1), I_EXIT(),
		I_CALL_LOCAL(1), I_EXIT(), I_CALL_LOCAL(1), I_EXIT(), R0_0, I_EXIT()), ACC, "8 frames" },
	{ "nine-frames", SOCK, 0, PROG(I_CALL_LOCAL(1), I_EXIT(), I_CALL_LOCAL(1), I_EXIT(),
		I_CALL_LOCAL(1), I_EXIT(), I_CALL_LOCAL(1), I_EXIT(), I_CALL_LOCAL(1), I_EXIT(),
		I_CALL_LOCAL(1), I_EXIT(), I_CALL_LOCAL(1), I_EXIT(), I_CALL_LOCAL(1), I_EXIT(),
		R0_0, I_EXIT()), REJ, "9 frames" },
	{ "end-of-pointer", SOCK, 0, PROG(I_MOV64_REG(2, 10), END(BVC_ALU64, 0, 2, 64),
		I_MOV64_REG(0, 2), I_EXIT()), ACC, "bswap of a pointer is a number (privileged)" },

	/* ---------------------------------------------------------------
	 * ld_imm64 of map values, ld_abs
	 * --------------------------------------------------------------- */

	/* UNSOUND: direct value access (BPF_PSEUDO_MAP_VALUE) exists only
	 * for single-entry arrays (array_map_direct_value_addr); engine.c
	 * check_ld_imm64 takes any map. */
	{ "map-value-imm64-hash", SOCK, 0, PROG(
		LD_MAP_VALUE(1, 0, 0), I_LDX(BVC_DW, 0, 1, 0), I_EXIT()), REJ,
	  "UNSOUND: engine.c check_ld_imm64: direct value of a hash map" },
	{ "map-value-imm64-array-4-entries", SOCK, 0, PROG(
		LD_MAP_VALUE(1, 1, 0), I_LDX(BVC_DW, 0, 1, 0), I_EXIT()), REJ,
	  "UNSOUND: engine.c check_ld_imm64: direct value of a 4-entry array" },
	{ "map-value-imm64-percpu", SOCK, 0, PROG(
		LD_MAP_VALUE(1, 5, 0), I_LDX(BVC_DW, 0, 1, 0), I_EXIT()), REJ,
	  "UNSOUND: engine.c check_ld_imm64: direct value of a percpu array" },
	{ "map-value-imm64-one-entry", SOCK, 0, PROG(
		LD_MAP_VALUE(1, 4, 8), I_LDX(BVC_DW, 0, 1, 48), I_EXIT()), ACC,
	  "direct value of a 1-entry array, off 8 + 48 + 8 = 64" },
	{ "map-value-imm64-one-entry-oob", SOCK, 0, PROG(
		LD_MAP_VALUE(1, 4, 8), I_LDX(BVC_DW, 0, 1, 56), I_EXIT()), REJ,
	  "direct value of a 1-entry array, 8 + 56 + 8 > 64" },
	{ "ld-abs-clobbers-r2", SOCK, 0, PROG(
		I_MOV64_REG(6, 1), I_MOV64_IMM(2, 1),
		I_RAW(BVC_LD | BVC_ABS | BVC_B, 0, 0, 0, 0),
		I_MOV64_REG(0, 2), I_EXIT()), REJ, "ld_abs clobbers r1-r5" },
	{ "ld-abs-keeps-r7", SOCK, 0, PROG(
		I_MOV64_REG(6, 1), I_MOV64_IMM(7, 1),
		I_RAW(BVC_LD | BVC_ABS | BVC_B, 0, 0, 0, 0),
		I_MOV64_REG(0, 7), I_EXIT()), ACC, "ld_abs keeps r6-r9" },
	{ "ld-abs-with-reference", SOCK, 0, PROG(
		I_MOV64_REG(6, 1), RESERVE(8),
		I_MOV64_REG(7, 0),
		I_RAW(BVC_LD | BVC_ABS | BVC_B, 0, 0, 0, 0),
		I_JMP_IMM(BVC_JEQ, 7, 0, 3),
		I_MOV64_REG(1, 7), I_MOV64_IMM(2, 0), I_CALL(133),
		R0_0, I_EXIT()), REJ, "ld_abs with a reference held" },

	/* ---------------------------------------------------------------
	 * Pointer arithmetic
	 * --------------------------------------------------------------- */

	/* UNSOUND: the kernel's check_reg_sane_offset also refuses a
	 * scalar whose smin >= BPF_MAX_VAR_OFF ("value ... makes fp pointer
	 * be out of bounds"); alu.c check_sane_offset only checks smin <=
	 * -BPF_MAX_VAR_OFF. */
	{ "ptr-add-huge-min", SOCK, 0, PROG(
		RAND,
		I_ALU64_IMM(BVC_AND, 0, 1),
		I_ALU64_IMM(BVC_ADD, 0, 0x40000000),
		I_MOV64_REG(1, 10),
		I_ALU64_REG(BVC_ADD, 1, 0),
		R0_0, I_EXIT()), REJ,
	  "UNSOUND: alu.c check_sane_offset misses smin >= BPF_MAX_VAR_OFF" },
	{ "ptr-add-huge-const", SOCK, 0, PROG(
		I_MOV64_IMM(0, 0x40000000),
		I_MOV64_REG(1, 10),
		I_ALU64_REG(BVC_ADD, 1, 0),
		R0_0, I_EXIT()), REJ, "known offset >= 2^29" },
	{ "ptr-var-off-map-value-bounded", SOCK, 0, PROG(
		LOOKUP(1),
		I_JMP_IMM(BVC_JEQ, 0, 0, 5),
		I_LDX(BVC_B, 1, 0, 0),
		I_ALU64_IMM(BVC_AND, 1, 8),
		I_ALU64_REG(BVC_ADD, 0, 1),
		I_LDX(BVC_DW, 0, 0, 0),
		I_EXIT(),
		R0_0,
		I_EXIT()), ACC, "value + {0,8}, 8 bytes of 16" },
	{ "ptr-var-off-negative", SOCK, 0, PROG(
		LOOKUP(1),
		I_JMP_IMM(BVC_JEQ, 0, 0, 4),
		LDSX(BVC_B, 1, 0, 0),
		I_ALU64_REG(BVC_ADD, 0, 1),
		I_LDX(BVC_B, 0, 0, 0),
		I_EXIT(),
		R0_0,
		I_EXIT()), REJ, "value + s8 may be negative" },
	{ "ptr-sub-stack-var", SOCK, 0, PROG(
		RAND, I_ALU64_IMM(BVC_AND, 0, 7),
		I_MOV64_REG(1, 10),
		I_ALU64_REG(BVC_SUB, 1, 0),
		R0_0, I_EXIT()), REJ, "stack pointer minus a variable" },
	{ "scalar-minus-pointer", SOCK, 0, PROG(
		I_MOV64_IMM(0, 0),
		I_ALU64_REG(BVC_SUB, 0, 10),
		R0_0, I_EXIT()), REJ, "scalar -= pointer" },
	{ "scalar-plus-pointer", SOCK, 0, PROG(
		I_MOV64_IMM(2, -8),
		I_ALU64_REG(BVC_ADD, 2, 10),
		I_ST(BVC_DW, 2, 0, 0),
		R0_0, I_EXIT()), ACC, "scalar += pointer makes a pointer" },
	/* 32-bit sub of two pointers is a number. */
	{ "ptr-sub32", SOCK, 0, PROG(
		I_MOV64_REG(2, 10),
		I_ALU32_REG(BVC_SUB, 2, 1),
		I_MOV64_REG(0, 2),
		I_EXIT()), ACC, "w2 -= w1 on pointers" },
	/* An atomic fetch of a slot holding a spilled pointer fetches the
	 * pointer (the kernel's check_atomic reads like a fill). */
	{ "atomic-fetch-spilled-pointer", SOCK, 0, PROG(
		I_STX(BVC_DW, 10, 1, -8),
		I_MOV64_IMM(2, 0),
		ATOMIC(BVC_DW, 10, 2, -8, BVC_ADD | BVC_FETCH),
		I_ALU64_IMM(BVC_MUL, 2, 3),
		R0_0, I_EXIT()), REJ, "atomic fetch from a spilled pointer" },
	{ "atomic-add-spilled-pointer-then-deref", SOCK, 0, PROG(
		I_STX(BVC_DW, 10, 1, -8),
		I_MOV64_IMM(2, 1),
		ATOMIC(BVC_DW, 10, 2, -8, BVC_ADD),
		I_LDX(BVC_DW, 1, 10, -8),
		I_LDX(BVC_W, 0, 1, 0),
		I_EXIT()), REJ, "an atomic add makes the slot a number" },

	/* ---------------------------------------------------------------
	 * 32-bit ops, sign extension, value domain
	 * --------------------------------------------------------------- */

	{ "alu32-zero-extends", SOCK, 0, PROG(
		LOOKUP(1),
		I_JMP_IMM(BVC_JEQ, 0, 0, 5),
		I_MOV64_IMM(1, -1),
		I_ALU32_IMM(BVC_ADD, 1, 0),      /* r1 = 0xffffffff */
		I_ALU64_IMM(BVC_RSH, 1, 28),     /* 15 */
		I_ALU64_REG(BVC_ADD, 0, 1),
		I_LDX(BVC_DW, 0, 0, 0),
		R0_0, I_EXIT()), REJ, "15 + 8 > 16" },
	{ "alu32-zero-extends-ok", SOCK, 0, PROG(
		LOOKUP(1),
		I_JMP_IMM(BVC_JEQ, 0, 0, 5),
		I_MOV64_IMM(1, -1),
		I_ALU32_IMM(BVC_ADD, 1, 0),
		I_ALU64_IMM(BVC_RSH, 1, 30),     /* 3 */
		I_ALU64_REG(BVC_ADD, 0, 1),
		I_LDX(BVC_DW, 0, 0, 0),
		R0_0, I_EXIT()), ACC, "3 + 8 <= 16" },
	{ "movsx-bounds", SOCK, 0, PROG(
		LOOKUP(1),
		I_JMP_IMM(BVC_JEQ, 0, 0, 6),
		I_LDX(BVC_B, 1, 0, 0),           /* [0,255] */
		MOVSX64(1, 1, 8),                /* [-128,127] */
		I_ALU64_IMM(BVC_ADD, 1, 128),    /* [0,255] */
		I_ALU64_IMM(BVC_RSH, 1, 5),      /* [0,7] */
		I_ALU64_REG(BVC_ADD, 0, 1),
		I_LDX(BVC_DW, 0, 0, 0),
		R0_0, I_EXIT()), ACC, "movsx s8 then +128 >> 5 is in [0,7]" },
	{ "ldsx-bounds-too-wide", SOCK, 0, PROG(
		LOOKUP(1),
		I_JMP_IMM(BVC_JEQ, 0, 0, 5),
		LDSX(BVC_H, 1, 0, 0),            /* [-32768,32767] */
		I_ALU64_IMM(BVC_ADD, 1, 32768),  /* [0,65535] */
		I_ALU64_IMM(BVC_RSH, 1, 12),     /* [0,15] */
		I_ALU64_REG(BVC_ADD, 0, 1),
		I_LDX(BVC_DW, 0, 0, 0),
		R0_0, I_EXIT()), REJ, "[0,15] + 8 > 16" },
	{ "jmp32-refines-low-half-only", SOCK, 0, PROG(
		LOOKUP(1),
		I_JMP_IMM(BVC_JEQ, 0, 0, 6),
		I_LDX(BVC_DW, 1, 0, 0),
		I_RAW(BVC_JMP32 | BVC_JGT | BVC_K, 1, 0, 3, 8),
		I_ALU64_REG(BVC_ADD, 0, 1),
		I_LDX(BVC_DW, 0, 0, 0),
		I_EXIT(),
		R0_0, I_EXIT()), REJ, "w1 <= 8 says nothing of r1's high half" },
	{ "jmp32-refines-after-zext", SOCK, 0, PROG(
		LOOKUP(1),
		I_JMP_IMM(BVC_JEQ, 0, 0, 7),
		I_LDX(BVC_DW, 1, 0, 0),
		I_MOV32_IMM(2, 0), I_ALU32_REG(BVC_MOV, 1, 1),   /* w1 = w1: zero-extend */
		I_RAW(BVC_JMP32 | BVC_JGT | BVC_K, 1, 0, 3, 8),
		I_ALU64_REG(BVC_ADD, 0, 1),
		I_LDX(BVC_DW, 0, 0, 0),
		I_EXIT(),
		R0_0, I_EXIT()), ACC, "after w1 = w1, w1 <= 8 bounds r1" },
	{ "signed-compare-negative-index", SOCK, 0, PROG(
		LOOKUP(1),
		I_JMP_IMM(BVC_JEQ, 0, 0, 5),
		I_LDX(BVC_DW, 1, 0, 0),
		I_JMP_IMM(BVC_JSGT, 1, 8, 3),
		I_ALU64_REG(BVC_ADD, 0, 1),
		I_LDX(BVC_B, 0, 0, 0),
		I_EXIT(),
		R0_0, I_EXIT()), REJ, "signed <= 8 may be negative" },

	/* Each op twice: TRAP (kernel rejects) and EXACT (the kernel's
	 * verdict tells whether it knows the constant). */
	{ "div64-by-zero-trap", SOCK, 0, PROG(I_MOV64_IMM(1, 5), I_MOV64_IMM(3, 0),
		I_ALU64_REG(BVC_DIV, 1, 3), TRAP(0)), REJ, "x / 0 = 0" },
	{ "div64-by-zero-exact", SOCK, 0, PROG(I_MOV64_IMM(1, 5), I_MOV64_IMM(3, 0),
		I_ALU64_REG(BVC_DIV, 1, 3), EXACT(0)), REJ, "the kernel does not track division" },
	{ "mod64-by-zero-trap", SOCK, 0, PROG(I_MOV64_IMM(1, 5), I_MOV64_IMM(3, 0),
		I_ALU64_REG(BVC_MOD, 1, 3), TRAP(5)), REJ, "x % 0 = x" },
	{ "mod64-by-zero-exact", SOCK, 0, PROG(I_MOV64_IMM(1, 5), I_MOV64_IMM(3, 0),
		I_ALU64_REG(BVC_MOD, 1, 3), EXACT(5)), REJ, "the kernel does not track modulo" },
	{ "div32-by-zero-trap", SOCK, 0, PROG(LD64(1, 0x100000005ull), I_MOV32_IMM(3, 0),
		I_ALU32_REG(BVC_DIV, 1, 3), TRAP(0)), REJ, "w / 0 = 0, zero-extended" },
	{ "mod32-by-zero-trap", SOCK, 0, PROG(LD64(1, 0x100000005ull), I_MOV32_IMM(3, 0),
		I_ALU32_REG(BVC_MOD, 1, 3), TRAP(5)), REJ, "w % 0 = w, zero-extended" },
	{ "mod32-by-zero-exact", SOCK, 0, PROG(LD64(1, 0x100000005ull), I_MOV32_IMM(3, 0),
		I_ALU32_REG(BVC_MOD, 1, 3), EXACT(5)), REJ, "the kernel does not track modulo" },
	{ "sdiv64-trap", SOCK, 0, PROG(I_MOV64_IMM(1, -7), SDIV64_IMM(1, 2),
		TRAP((uint64_t)-3)), REJ, "-7 s/ 2 = -3" },
	{ "sdiv64-exact", SOCK, 0, PROG(I_MOV64_IMM(1, -7), SDIV64_IMM(1, 2),
		EXACT((uint64_t)-3)), REJ, "the kernel does not track signed division" },
	{ "smod64-trap", SOCK, 0, PROG(I_MOV64_IMM(1, -7), SMOD64_IMM(1, 3),
		TRAP((uint64_t)-1)), REJ, "-7 s% 3 = -1" },
	{ "smod32-trap", SOCK, 0, PROG(I_MOV32_IMM(1, -7), SMOD32_IMM(1, 3),
		TRAP(0xffffffffull)), REJ, "w: -7 s% 3 = -1, zero-extended" },
	{ "sdiv64-min-by-minus-one-trap", SOCK, 0, PROG(LD64(1, 0x8000000000000000ull),
		SDIV64_IMM(1, -1), TRAP(0x8000000000000000ull)), REJ, "S64_MIN s/ -1 = S64_MIN" },
	{ "smod64-min-by-minus-one-trap", SOCK, 0, PROG(LD64(1, 0x8000000000000000ull),
		SMOD64_IMM(1, -1), TRAP(0)), REJ, "S64_MIN s% -1 = 0" },
	{ "neg32-min-trap", SOCK, 0, PROG(I_MOV32_IMM(1, (int32_t)0x80000000),
		I_ALU32_IMM(BVC_NEG, 1, 0), TRAP(0x80000000ull)), REJ, "-(s32)MIN = MIN" },
	{ "bswap16-trap", SOCK, 0, PROG(I_MOV64_IMM(1, 0x12345678),
		END(BVC_ALU64, 0, 1, 16), TRAP(0x7856)), REJ, "bswap16" },
	{ "le16-trap", SOCK, 0, PROG(LD64(1, 0x1122334455667788ull),
		END(BVC_ALU, BVC_K, 1, 16), TRAP(0x7788)), REJ, "le16 truncates" },
	{ "be32-trap", SOCK, 0, PROG(I_MOV64_IMM(1, 0x11223344),
		END(BVC_ALU, BVC_X, 1, 32), TRAP(0x44332211)), REJ, "be32 swaps" },
	{ "arsh32-trap", SOCK, 0, PROG(I_MOV32_IMM(1, (int32_t)0x80000000),
		I_ALU32_IMM(BVC_ARSH, 1, 4), TRAP(0xf8000000ull)), REJ, "w s>>= 4, zero-extended" },
	{ "arsh32-exact", SOCK, 0, PROG(I_MOV32_IMM(1, (int32_t)0x80000000),
		I_ALU32_IMM(BVC_ARSH, 1, 4), EXACT(0xf8000000ull)), ACC, "w s>>= 4, zero-extended" },
	{ "movsx32-s8-trap", SOCK, 0, PROG(I_MOV64_IMM(3, 0x80),
		MOVSX32(1, 3, 8), TRAP(0xffffff80ull)), REJ, "w1 = (s8)w3, zero-extended" },
	{ "movsx32-s8-exact", SOCK, 0, PROG(I_MOV64_IMM(3, 0x80),
		MOVSX32(1, 3, 8), EXACT(0xffffff80ull)), ACC, "w1 = (s8)w3, zero-extended" },
	{ "movsx64-s32-trap", SOCK, 0, PROG(I_MOV32_IMM(3, (int32_t)0x80000000),
		MOVSX64(1, 3, 32), TRAP(0xffffffff80000000ull)), REJ, "r1 = (s32)r3" },
	{ "mul64-overflow-trap", SOCK, 0, PROG(LD64(1, 0x100000000ull),
		I_ALU64_REG(BVC_MUL, 1, 1), TRAP(0)), REJ, "2^32 * 2^32 wraps to 0" },
	{ "mul64-overflow-exact", SOCK, 0, PROG(LD64(1, 0x100000000ull),
		I_ALU64_REG(BVC_MUL, 1, 1), EXACT(0)), ACC, "constant mul wraps exactly" },
	{ "add32-wrap-trap", SOCK, 0, PROG(I_MOV32_IMM(1, -1), I_ALU32_IMM(BVC_ADD, 1, 1),
		TRAP(0)), REJ, "0xffffffff + 1 in 32 bits" },
	{ "lsh64-by-64-reg-exact", SOCK, 0, PROG(I_MOV64_IMM(1, 1), I_MOV64_IMM(3, 65),
		I_ALU64_REG(BVC_LSH, 1, 3), EXACT(2)), REJ, "shift by >= 64 is unknown to the kernel" },
	{ "ldsx-stack-s8-trap", SOCK, 0, PROG(I_ST(BVC_B, 10, -8, 0x80),
		LDSX(BVC_B, 1, 10, -8), TRAP((uint64_t)-128)), REJ, "*(s8 *)(fp-8) of 0x80" },

	/* Linked scalars must not be pruned into unlinked ones: on path A r8
	 * is a copy of r6 (bounded by the check of r6 at the join), on path
	 * B a copy of r7 (unbounded). */
	{ "prune-scalar-id-link", SOCK, 0, PROG(
		RAND,                            /* 0 */
		I_MOV64_REG(6, 0),               /* 1 */
		RAND,                            /* 2 */
		I_MOV64_REG(7, 0),               /* 3 */
		RAND,                            /* 4 */
		PAD, PAD,                        /* 5-6 */
		I_JMP_IMM(BVC_JEQ, 0, 0, 3),     /* 7 -> 11 */
		I_MOV64_REG(8, 6),               /* 8 */
		PAD,                             /* 9 */
		I_JA(1),                         /* 10 -> 12 */
		I_MOV64_REG(8, 7),               /* 11 */
		I_JMP_IMM(BVC_JGT, 6, 8, 5),     /* 12 -> 18 */
		I_MOV64_REG(9, 10),              /* 13 */
		I_ALU64_IMM(BVC_ADD, 9, -16),    /* 14 */
		I_ALU64_REG(BVC_ADD, 9, 8),      /* 15 */
		I_LDX(BVC_B, 0, 9, 0),           /* 16 */
		I_EXIT(),                        /* 17 */
		R0_0, I_EXIT()), REJ, "r8 ~ r6 in the checkpoint, r8 ~ r7 on the path" },
	{ "scalar-id-link-bounds-copy", SOCK, 0, PROG(
		RAND, I_MOV64_REG(8, 0),
		I_JMP_IMM(BVC_JGT, 0, 8, 5),
		I_MOV64_REG(9, 10), I_ALU64_IMM(BVC_ADD, 9, -16), I_ALU64_REG(BVC_ADD, 9, 8),
		I_LDX(BVC_B, 0, 9, 0), I_EXIT(),
		R0_0, I_EXIT()), ACC, "a check of r0 bounds its copy r8" },
	{ "scalar-id-link-broken-by-alu32", SOCK, 0, PROG(
		RAND, I_MOV64_REG(8, 0), I_ALU32_IMM(BVC_ADD, 8, 0),
		I_JMP_IMM(BVC_JGT, 0, 8, 5),
		I_MOV64_REG(9, 10), I_ALU64_IMM(BVC_ADD, 9, -16), I_ALU64_REG(BVC_ADD, 9, 8),
		I_LDX(BVC_B, 0, 9, 0), I_EXIT(),
		R0_0, I_EXIT()), REJ, "w8 += 0 breaks the link" },

	/* ---------------------------------------------------------------
	 * Context accesses
	 * --------------------------------------------------------------- */

	{ "ctx-sock-write-mark", SOCK, 0, PROG(I_ST(BVC_W, 1, 8, 1), R0_0, I_EXIT()), REJ,
	  "socket filters may not write skb->mark" },
	{ "ctx-sock-write-cb", SOCK, 0, PROG(I_ST(BVC_W, 1, 48, 1), R0_0, I_EXIT()), ACC,
	  "socket filters may write cb[0]" },
	{ "ctx-tc-write-mark", TC, 0, PROG(I_ST(BVC_W, 1, 8, 1), R0_0, I_EXIT()), ACC,
	  "tc may write skb->mark" },
	{ "ctx-tc-write-len", TC, 0, PROG(I_ST(BVC_W, 1, 0, 1), R0_0, I_EXIT()), REJ,
	  "skb->len is read-only" },
	{ "ctx-cgskb-write-mark", CGSKB, 0, PROG(I_ST(BVC_W, 1, 8, 1), R0_0, I_EXIT()), ACC,
	  "cgroup_skb may write skb->mark" },
	{ "ctx-cgskb-write-tc-index", CGSKB, 0, PROG(I_ST(BVC_W, 1, 44, 1), R0_0, I_EXIT()), REJ,
	  "cgroup_skb may not write tc_index" },
	{ "ctx-xdp-write-data", XDP, 0, PROG(I_ST(BVC_W, 1, 0, 1), R0_0, I_EXIT()), REJ,
	  "xdp_md is read-only" },
	{ "ctx-kprobe-write", KPROBE, 0, PROG(I_ST(BVC_DW, 1, 0, 1), R0_0, I_EXIT()), REJ,
	  "pt_regs is read-only" },
	{ "ctx-sock-read-data", SOCK, 0, PROG(I_LDX(BVC_W, 0, 1, 76), R0_0, I_EXIT()), REJ,
	  "socket filters have no skb->data" },
	{ "ctx-tc-narrow-data", TC, 0, PROG(I_LDX(BVC_H, 0, 1, 76), R0_0, I_EXIT()), REJ,
	  "no narrow loads of a pointer field" },
	{ "ctx-tc-wide-len", TC, 0, PROG(I_LDX(BVC_DW, 0, 1, 0), R0_0, I_EXIT()), REJ,
	  "8-byte load of a 4-byte field" },
	{ "ctx-tc-narrow-len", TC, 0, PROG(I_LDX(BVC_B, 0, 1, 1), R0_0, I_EXIT()), ACC,
	  "byte 1 of skb->len" },
	{ "ctx-tc-ldsx-data", TC, 0, PROG(LDSX(BVC_W, 0, 1, 76), R0_0, I_EXIT()), REJ,
	  "sign-extending load of a pointer field" },
	{ "ctx-tracepoint-negative-offset", TRACEPOINT, 0, PROG(I_LDX(BVC_DW, 0, 1, -8), I_EXIT()),
	  REJ_KBUG, "tp_prog_is_valid_access compares the int offset with sizeof(void *): -8 becomes "
	  "huge and passes, so the kernel lets a tracepoint read 8 bytes before its record" },
	{ "ctx-atomic", TC, 0, PROG(I_MOV64_IMM(2, 1), ATOMIC(BVC_W, 1, 2, 8, BVC_ADD), R0_0,
		I_EXIT()), REJ, "atomics on ctx" },
	{ "ctx-modified-zero-add", TC, 0, PROG(I_MOV64_IMM(2, 0), I_ALU64_REG(BVC_ADD, 1, 2),
		I_LDX(BVC_W, 0, 1, 0), I_EXIT()), ACC, "ctx + known 0 is still ctx" },
	{ "ctx-same-insn-two-pointers", TC, 0, PROG(
		I_MOV64_REG(6, 1), RAND,
		I_MOV64_REG(2, 6),
		I_JMP_IMM(BVC_JEQ, 0, 0, 2),
		I_MOV64_REG(2, 10),
		I_ALU64_IMM(BVC_ADD, 2, -8),
		I_LDX(BVC_W, 0, 2, 0),
		R0_0, I_EXIT()), REJ, "one load used with ctx and stack" },

	/* ---------------------------------------------------------------
	 * Control flow oddities
	 * --------------------------------------------------------------- */

	{ "fall-off-end-dead", SOCK, 0, PROG(
		R0_0, I_JMP_IMM(BVC_JNE, 0, 0, 1), I_EXIT(), I_MOV64_IMM(0, 1)), REJ,
	  "last insn is not an exit or jmp" },
	{ "loop-with-pointer-swap", SOCK, 0, PROG(
		I_MOV64_REG(6, 1),               /* 0 */
		I_MOV64_IMM(7, 0),               /* 1 */
		I_MOV64_IMM(8, 0),               /* 2: r8 = 0 scalar */
		I_ALU64_IMM(BVC_ADD, 7, 1),      /* 3 */
		I_MOV64_REG(9, 8),               /* 4: r9 = previous r8 */
		I_MOV64_REG(8, 6),               /* 5: r8 = ctx */
		I_JMP_IMM(BVC_JLT, 7, 3, -4),    /* 6 -> 3 */
		I_LDX(BVC_W, 0, 9, 0),           /* 7: r9 = ctx after 2+ iterations */
		I_EXIT()), ACC, "bounded loop, pointer ends up in r9" },
	{ "loop-with-pointer-swap-one-iteration", SOCK, 0, PROG(
		I_MOV64_REG(6, 1),
		I_MOV64_IMM(7, 0),
		I_MOV64_IMM(8, 0),
		I_ALU64_IMM(BVC_ADD, 7, 1),
		I_MOV64_REG(9, 8),
		I_MOV64_REG(8, 6),
		I_JMP_IMM(BVC_JLT, 7, 1, -4),
		I_LDX(BVC_W, 0, 9, 0),
		I_EXIT()), REJ, "one iteration: r9 is still 0" },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

Test(adversarial, ours_match_table)
{
	adv_check_ours(cases, NCASES);
}

Test(adversarial, kernel_agrees)
{
	adv_check_kernel(cases, NCASES);
}

/* UNSOUND (and a crash): the callee spills its frame pointer into the
 * caller's stack (refused by the kernel, see
 * callee-spills-own-fp-into-caller), the caller fills it after the
 * return and reads through it: frames[1] is gone, mem.c reg_frame()
 * returns NULL. Kept apart so a crash fails only this test. */
Test(adversarial, dead_frame_pointer)
{
	static const struct adv_case c = { "dead-frame-pointer", SOCK, 0, PROG(
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8),
		I_CALL_LOCAL(3),
		I_LDX(BVC_DW, 2, 10, -8),
		I_LDX(BVC_DW, 0, 2, -8),
		I_EXIT(),
		I_ST(BVC_DW, 10, -8, 0),
		I_STX(BVC_DW, 1, 10, 0),
		R0_0, I_EXIT()), REJ, "was unsound: pointer into a dead frame" };

	adv_check_ours(&c, 1);
}
