// SPDX-License-Identifier: MIT
/*
 * thumbv7m back end: lowered eBPF in, ARMv7-M Thumb-2 (Cortex-M3/M4,
 * AAPCS, little-endian) out.
 *
 * Two layers, as in ubpf: emit.c encodes one machine instruction per
 * function; this file translates one eBPF instruction into encoder calls.
 *
 * Registers. eBPF has eleven 64-bit registers, the M profile thirteen
 * 32-bit ones: they cannot all live in registers, and squeezing them into
 * 32 bits is what makes other microcontroller JITs non-conformant. So every
 * eBPF register lives in a register file in RAM (8 bytes each, on the
 * entry's stack, addressed from r11), and each eBPF instruction loads its
 * operands into register pairs (r0:r1 the destination, r2:r3 the source),
 * computes the whole 64 bits and stores the result back. Slower than a
 * register allocator, but every instruction is translated the same way
 * and exactly. Native registers:
 *
 *   r0-r8, r12, lr  scratch within one eBPF instruction
 *   r9              the literal pool's address (set by the entry)
 *   r10             the may_goto budget of this run
 *   r11             the register file; also the entry's SP after its
 *                   saves, so an LD_ABS outside the packet can end the
 *                   program from any call depth
 *
 * Pointers are 32 bits on the device (abi/names.c): an eBPF register
 * holding one has its address in the low word and 0 in the high word, and
 * a load or store uses the low word only. The verifier bounds every
 * access, so the high word of a pointer is never needed.
 *
 * Layout. Every function (the entry at insn 0, then each bpf-to-bpf call
 * target) becomes a prologue, its body and one epilogue that every EXIT
 * branches to. The entry is `uint64_t entry(void *ctx, uint64_t len)`
 * (r0, r2:r3): it saves r3-r11 and lr, makes the register file, sets r1 =
 * ctx and r2 = len and zeroes the rest. A called function saves its
 * caller's r6-r10 from the file on its stack and puts them back on return:
 * the eBPF calling convention. Each function then reserves its verifier
 * stack depth (rounded to 16) below its own r10, zeroed on every run, as
 * the interpreter's. After the last function come the 64-bit division
 * subroutine (when used), then the literal pool: one 8-byte, 8-aligned
 * slot per distinct relocation, read through r9. Nothing in the code is
 * absolute, so it runs anywhere.
 *
 * Helpers are `uint64_t f(uint64_t, ...)` under AAPCS: r1 in r0:r1, r2 in
 * r2:r3, r3..r5 on the stack; the result comes back in r0:r1.
 *
 * Atomics. ARMv7-M has no 64-bit exclusive access (no LDREXD), and a
 * Cortex-M is one core: every atomic runs with interrupts masked (PRIMASK
 * saved, CPSID i, restored), which is atomic against everything that can
 * run on that core. The device runs programs privileged (an unprivileged
 * CPSID is ignored).
 *
 * Jumps. The code is produced twice: a sizing pass records where every
 * eBPF instruction and epilogue starts, then the real pass encodes
 * branches against those addresses. Every branch is a 32-bit encoding
 * whatever its distance, so no size depends on an address; the image must
 * stay below 1 MiB, the reach of B<c>.W.
 *
 * Tail calls. When the image has a prog_array, bpf_tail_call (helper 12)
 * checks the index (32 bits) against the table's max_entries
 * (BVC_RELOC_PROG_ARRAY slot, struct bvc_dev_prog_array), the run's count
 * (in the register file) against BVC_MAX_TAIL_CALLS, adds one, loads the
 * slot (0: empty), puts SP back to r11 and jumps to the slot's tail entry:
 * the entry prologue after the register file is made, where the program
 * sets r9 to its own pool and builds its frame. Only the entry function
 * may tail-call; the last program's epilogue returns to the C caller.
 *
 * Not yet ("unsupported: ..."): BPF_PSEUDO_FUNC (callbacks; the verifier
 * refuses them too), callx, kfuncs.
 *
 * Errors. The first failure is sticky (struct jit.err); every later emit
 * does nothing, and the caller checks once at the end of each pass.
 *
 * Must not: choose anything by the host's architecture (halfwords are
 * stored little-endian byte by byte), emit an absolute address, use an
 * instruction the M profile lacks, or translate an instruction it does
 * not know.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../jitter_internal.h"
#include "emit.h"

#define POOL T_R9      /* literal pool address */
#define BUDGET T_R10   /* may_goto: fall-throughs left in this run */
#define REGS T_R11     /* the eBPF register file (= the entry's SP) */

#define BPF_R0 0                 /* eBPF r0: results */
#define RF(r) (8 * (int32_t)(r)) /* offset of eBPF register @r in the file */
#define RF_TAIL_CNT 88           /* reserved for tail calls */
#define FILE_SIZE 96             /* r0..r10, 8 more, 8-aligned */

#define MAY_GOTO_BUDGET 8388608   /* the kernel's BPF_MAX_LOOPS, as the interpreter */
#define MAX_CODE_BYTES (1u << 20) /* reach of B<c>.W */
#define MAX_STACK 4000            /* reach of ADDW/SUBW with the call's saves */

/* One literal-pool slot: what the device puts there. */
struct lit {
	uint32_t kind;   /* enum bvc_reloc_kind */
	uint32_t target; /* helper id, map index, intrinsic */
	int32_t addend;  /* map value offset */
};

/* One eBPF function of the program. */
struct func {
	size_t start;   /* first eBPF instruction */
	size_t end;     /* one past its last instruction */
	uint32_t stack; /* bytes of BPF stack its frame reserves (16-aligned) */
	uint32_t entry; /* byte offset of its prologue */
	uint32_t epi;   /* byte offset of its epilogue */
};

struct jit {
	const struct bvc_insn *insns; /* lowered program */
	size_t cnt;                   /* instructions in @insns */
	size_t map_cnt;               /* maps in the image (checked when @have_img) */
	int have_img;                 /* an image came with the program */
	uint8_t *buf;                 /* output, NULL during the sizing pass */
	uint32_t idx;                 /* bytes emitted so far */
	uint32_t *addrs;              /* byte offset of each insn's code; [cnt] = end */
	size_t *func_of;              /* function index of each instruction */
	struct func *funcs;           /* in program order, funcs[0] is the entry */
	size_t nfuncs;
	struct lit *lits;             /* literal pool, in order of first use */
	size_t nlits, litcap;
	uint32_t pool;                /* byte offset of the pool (8-aligned) */
	uint32_t abort_stub;          /* byte offset of "r0 = 0, leave" (LD_ABS) */
	uint32_t divmod;              /* byte offset of the 64-bit division routine */
	int has_ldabs;                /* the program has LD_ABS/LD_IND */
	int has_div64;                /* the program has 64-bit DIV/MOD */
	uint32_t stack;               /* bytes the function being emitted reserves */
	int tail;                     /* tail-call layout (the image has a prog_array) */
	uint32_t tail_entry;          /* byte offset of the entry's tail entry */
	const struct bvc_verdict *v;  /* the verifier's facts (maps per call) */
	uint32_t chain_stack;         /* the deepest call chain's (the result's) */
	size_t cur;                   /* eBPF instruction being translated */
	int err;                      /* first error (sticky), 0 if none */
	char *errbuf;                 /* the caller's message buffer */
	size_t errsz;
};

static void fail(struct jit *j, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Record the first error only: later ones are consequences. */
static void fail(struct jit *j, int rc, const char *fmt, ...)
{
	va_list ap;

	if (j->err)
		return;
	j->err = rc;
	if (!j->errbuf || !j->errsz)
		return;
	va_start(ap, fmt);
	vsnprintf(j->errbuf, j->errsz, fmt, ap);
	va_end(ap);
}

static void put16(uint8_t *p, uint32_t hw)
{
	p[0] = (uint8_t)hw;
	p[1] = (uint8_t)(hw >> 8);
}

/* Write @insn at byte @at (the first halfword first, each little-endian). */
static void store(struct jit *j, uint32_t at, uint32_t insn)
{
	if (thumb_size(insn) == 4) {
		put16(j->buf + at, insn >> 16);
		put16(j->buf + at + 2, insn);
	} else {
		put16(j->buf + at, insn);
	}
}

/* Append one instruction, unless an error is pending. */
static void emit(struct jit *j, uint32_t insn)
{
	if (j->err)
		return;
	if (insn == T_BAD) {
		/* Defensive: translations only pass encodable operands. */
		fail(j, -EFAULT, "internal error: unencodable thumbv7m instruction for insn %zu",
		     j->cur);
		return;
	}
	if (j->buf)
		store(j, j->idx, insn);
	j->idx += (uint32_t)thumb_size(insn);
}

/* Branch offset from the instruction at the current byte to byte
 * @target (the PC reads 4 ahead). In the sizing pass targets may not be
 * known yet: 0 keeps every branch encodable and the size is the same. */
static int32_t rel(struct jit *j, uint32_t target)
{
	if (!j->buf)
		return 0;
	return (int32_t)target - (int32_t)(j->idx + 4);
}

/* A forward B<c>.W (T_AL: B.W) to a place not emitted yet: returns where
 * it is, for patch(). */
static uint32_t fwd(struct jit *j, enum t_cond c)
{
	uint32_t at = j->idx;

	emit(j, c == T_AL ? t2_b(0) : t2_b_cond(c, 0));
	return at;
}

/* Point the branch fwd() left at @at to the current byte. */
static void patch(struct jit *j, uint32_t at, enum t_cond c)
{
	int32_t off = (int32_t)j->idx - (int32_t)(at + 4);
	uint32_t insn;

	if (!j->buf || j->err)
		return;
	insn = c == T_AL ? t2_b(off) : t2_b_cond(c, off);
	if (insn == T_BAD) {
		fail(j, -EFAULT, "internal error: unencodable local branch for insn %zu", j->cur);
		return;
	}
	store(j, at, insn);
}

/* A backward B<c>.W to byte @target. */
static void emit_b_to(struct jit *j, enum t_cond c, uint32_t target)
{
	emit(j, c == T_AL ? t2_b(rel(j, target)) : t2_b_cond(c, rel(j, target)));
}

/* --- moves ----------------------------------------------------------------- */

/* @rd = @v: MOVS (16 bits) for a byte into r0-r7, MOV.W or MVN.W of a
 * modified immediate, else MOVW (+ MOVT). MOVS sets N and Z: callers never
 * keep flags across a constant (the IT blocks and carry chains hold none). */
static void mov_imm32(struct jit *j, int rd, uint32_t v)
{
	if (v <= 0xff && rd <= T_R7) {
		emit(j, t1_movs_imm(rd, (uint8_t)v));
	} else if (thumb_modimm(v) >= 0) {
		emit(j, t2_dp_imm(T_ORR, 0, rd, T_PC, v));
	} else if (thumb_modimm(~v) >= 0) {
		emit(j, t2_dp_imm(T_ORN, 0, rd, T_PC, ~v));
	} else {
		emit(j, t2_movw(rd, (uint16_t)v));
		if (v >> 16)
			emit(j, t2_movt(rd, (uint16_t)(v >> 16)));
	}
}

static void mov_imm64(struct jit *j, int lo, int hi, uint64_t v)
{
	mov_imm32(j, lo, (uint32_t)v);
	mov_imm32(j, hi, (uint32_t)(v >> 32));
}

/* @rd = @rm (any registers). */
static void mov(struct jit *j, int rd, int rm)
{
	if (rd != rm)
		emit(j, t1_mov(rd, rm));
}

/* @rd = @rm shifted by the constant @n (1..31). */
static void shift_imm(struct jit *j, enum t_shift type, int rd, int rm, int n)
{
	emit(j, t2_dp_reg(T_ORR, 0, rd, T_PC, rm, type, n));
}

/* --- the register file ----------------------------------------------------- */

static void ld_pair(struct jit *j, int lo, int hi, int r)
{
	emit(j, t2_ldrd(lo, hi, REGS, RF(r)));
}

static void st_pair(struct jit *j, int lo, int hi, int r)
{
	emit(j, t2_strd(lo, hi, REGS, RF(r)));
}

static void ld_lo(struct jit *j, int rt, int r)
{
	emit(j, t2_ldst_imm(T_LDR, rt, REGS, RF(r)));
}

/* A 32-bit result in r0: zero-extended into eBPF register @r. */
static void st_lo32(struct jit *j, int r)
{
	emit(j, t1_movs_imm(T_R1, 0));
	st_pair(j, T_R0, T_R1, r);
}

/* --- literals --------------------------------------------------------------- */

/* Index of the pool slot for (@kind, @target, @addend), added if new. */
static size_t lit_index(struct jit *j, uint32_t kind, uint32_t target, int32_t addend)
{
	size_t k;

	for (k = 0; k < j->nlits; k++)
		if (j->lits[k].kind == kind && j->lits[k].target == target &&
		    j->lits[k].addend == addend)
			return k;
	if (j->nlits == j->litcap) {
		size_t cap = j->litcap ? 2 * j->litcap : 16;
		struct lit *l = realloc(j->lits, cap * sizeof(*l));

		if (!l) {
			fail(j, -ENOMEM, "out of memory");
			return 0;
		}
		j->lits = l;
		j->litcap = cap;
	}
	j->lits[j->nlits].kind = kind;
	j->lits[j->nlits].target = target;
	j->lits[j->nlits].addend = addend;
	return j->nlits++;
}

/* @rd = word @half (0 low, 1 high) of the slot for (@kind, @target,
 * @addend). Slots past LDR's 4 KiB reach go through r12 (@rd must not be
 * r12 then). */
static void load_lit(struct jit *j, int rd, int half, uint32_t kind, uint32_t target,
		     int32_t addend)
{
	uint32_t off = 8 * (uint32_t)lit_index(j, kind, target, addend) + 4 * (uint32_t)half;

	if (off <= 0xfff) {
		emit(j, t2_ldst_imm(T_LDR, rd, POOL, (int32_t)off));
		return;
	}
	mov_imm32(j, T_R12, off);
	emit(j, t2_ldst_reg(T_LDR, rd, POOL, T_R12));
}

static void unsupported(struct jit *j, const struct bvc_insn *in)
{
	fail(j, -EOPNOTSUPP, "unsupported: opcode 0x%02x (src %d off %d imm %d) at insn %zu on thumbv7m",
	     in->code, in->src, in->off, in->imm, j->cur);
}

/* --- ALU ------------------------------------------------------------------- */

/* x = (x ^ m) - m on r@lo:r@hi: negates when the mask @m is all ones. */
static void cond_negate(struct jit *j, int lo, int hi, int m)
{
	emit(j, t2_dp_reg(T_EOR, 0, lo, lo, m, T_LSL, 0));
	emit(j, t2_dp_reg(T_EOR, 0, hi, hi, m, T_LSL, 0));
	emit(j, t2_dp_reg(T_SUB, 1, lo, lo, m, T_LSL, 0));
	emit(j, t2_dp_reg(T_SBC, 0, hi, hi, m, T_LSL, 0));
}

/* 64-bit DIV/MOD of r0:r1 by r2:r3 (result in r0:r1), through the
 * unsigned routine; signed operands go as magnitudes and the signs are
 * put back: the quotient's is the operands' xor, the remainder's the
 * dividend's. That also gives INT64_MIN / -1 = INT64_MIN and
 * INT64_MIN % -1 = 0, and a zero divisor 0 / dividend, as eBPF says. */
static void emit_divmod64(struct jit *j, int is_mod, int is_signed)
{
	if (is_signed) {
		shift_imm(j, T_ASR, T_R4, T_R1, 31);
		shift_imm(j, T_ASR, T_R5, T_R3, 31);
		cond_negate(j, T_R0, T_R1, T_R4);
		cond_negate(j, T_R2, T_R3, T_R5);
		emit(j, t2_dp_reg(T_EOR, 0, T_R5, T_R5, T_R4, T_LSL, 0));
	}
	emit(j, t2_bl(rel(j, j->divmod)));
	if (is_mod) {
		mov(j, T_R0, T_R2);
		mov(j, T_R1, T_R3);
	}
	if (is_signed)
		cond_negate(j, T_R0, T_R1, is_mod ? T_R4 : T_R5);
}

/*
 * The routine emit_divmod64() calls: r0:r1 / r2:r3 unsigned, quotient in
 * r0:r1, remainder in r2:r3; a zero divisor gives 0 and the dividend.
 * Restoring shift-subtract, one bit per round (64 rounds): the dividend
 * shifts out of r0:r1 into the remainder r6:r7 while quotient bits shift
 * in. Keeps r4 and r5; uses r6-r8, r12, lr.
 */
static void emit_divmod_routine(struct jit *j)
{
	uint32_t nonzero, sub, next, loop;

	emit(j, t2_stmdb(T_SP, 1, 1u << T_R4 | 1u << T_LR));
	emit(j, t2_dp_reg(T_ORR, 1, T_R12, T_R2, T_R3, T_LSL, 0));
	nonzero = fwd(j, T_NE);
	mov(j, T_R2, T_R0);
	mov(j, T_R3, T_R1);
	emit(j, t1_movs_imm(T_R0, 0));
	emit(j, t1_movs_imm(T_R1, 0));
	emit(j, t2_ldm(T_SP, 1, 1u << T_R4 | 1u << T_PC));
	patch(j, nonzero, T_NE);
	emit(j, t1_movs_imm(T_R6, 0));
	emit(j, t1_movs_imm(T_R7, 0));
	mov_imm32(j, T_R8, 64);
	loop = j->idx;
	/* (remainder:dividend) <<= 1; the carry out is the remainder's bit 64 */
	emit(j, t2_dp_reg(T_ADD, 1, T_R0, T_R0, T_R0, T_LSL, 0));
	emit(j, t2_dp_reg(T_ADC, 1, T_R1, T_R1, T_R1, T_LSL, 0));
	emit(j, t2_dp_reg(T_ADC, 1, T_R6, T_R6, T_R6, T_LSL, 0));
	emit(j, t2_dp_reg(T_ADC, 1, T_R7, T_R7, T_R7, T_LSL, 0));
	sub = fwd(j, T_HS);
	emit(j, t2_dp_reg(T_SUB, 1, T_R12, T_R6, T_R2, T_LSL, 0));
	emit(j, t2_dp_reg(T_SBC, 1, T_LR, T_R7, T_R3, T_LSL, 0));
	next = fwd(j, T_LO);
	patch(j, sub, T_HS);
	emit(j, t2_dp_reg(T_SUB, 1, T_R6, T_R6, T_R2, T_LSL, 0));
	emit(j, t2_dp_reg(T_SBC, 0, T_R7, T_R7, T_R3, T_LSL, 0));
	emit(j, t2_dp_imm(T_ORR, 0, T_R0, T_R0, 1));
	patch(j, next, T_LO);
	emit(j, t2_dp_imm(T_SUB, 1, T_R8, T_R8, 1));
	emit_b_to(j, T_NE, loop);
	mov(j, T_R2, T_R6);
	mov(j, T_R3, T_R7);
	emit(j, t2_ldm(T_SP, 1, 1u << T_R4 | 1u << T_PC));
}

/* 64-bit shift of r0:r1 by the constant @n (1..63). */
static void shift64_imm(struct jit *j, uint8_t op, int n)
{
	if (op == BVC_LSH) {
		if (n < 32) {
			shift_imm(j, T_LSL, T_R1, T_R1, n);
			emit(j, t2_dp_reg(T_ORR, 0, T_R1, T_R1, T_R0, T_LSR, 32 - n));
			shift_imm(j, T_LSL, T_R0, T_R0, n);
		} else {
			if (n > 32)
				shift_imm(j, T_LSL, T_R1, T_R0, n - 32);
			else
				mov(j, T_R1, T_R0);
			emit(j, t1_movs_imm(T_R0, 0));
		}
		return;
	}
	if (n < 32) {
		shift_imm(j, T_LSR, T_R0, T_R0, n);
		emit(j, t2_dp_reg(T_ORR, 0, T_R0, T_R0, T_R1, T_LSL, 32 - n));
		shift_imm(j, op == BVC_RSH ? T_LSR : T_ASR, T_R1, T_R1, n);
		return;
	}
	if (n > 32)
		shift_imm(j, op == BVC_RSH ? T_LSR : T_ASR, T_R0, T_R1, n - 32);
	else
		mov(j, T_R0, T_R1);
	if (op == BVC_RSH)
		emit(j, t1_movs_imm(T_R1, 0));
	else
		shift_imm(j, T_ASR, T_R1, T_R1, 31);
}

/* 64-bit shift of r0:r1 by r2 (already masked to 0..63). A register
 * shift by 32 or more (bottom byte) gives 0, which covers both halves'
 * cross terms without branches: 32 - n and n - 32 go "negative" (>= 224
 * in the bottom byte) exactly when their term must vanish. */
static void shift64_reg(struct jit *j, uint8_t op)
{
	emit(j, t2_dp_imm(T_RSB, 0, T_R6, T_R2, 32)); /* 32 - n */
	emit(j, t2_dp_imm(T_SUB, 0, T_R7, T_R2, 32)); /* n - 32 */
	if (op == BVC_LSH) {
		emit(j, t2_shift_reg(T_LSL, T_R4, T_R1, T_R2));
		emit(j, t2_shift_reg(T_LSR, T_R5, T_R0, T_R6));
		emit(j, t2_dp_reg(T_ORR, 0, T_R4, T_R4, T_R5, T_LSL, 0));
		emit(j, t2_shift_reg(T_LSL, T_R5, T_R0, T_R7));
		emit(j, t2_dp_reg(T_ORR, 0, T_R1, T_R4, T_R5, T_LSL, 0));
		emit(j, t2_shift_reg(T_LSL, T_R0, T_R0, T_R2));
		return;
	}
	emit(j, t2_shift_reg(T_LSR, T_R4, T_R0, T_R2));
	emit(j, t2_shift_reg(T_LSL, T_R5, T_R1, T_R6));
	emit(j, t2_dp_reg(T_ORR, 0, T_R4, T_R4, T_R5, T_LSL, 0));
	if (op == BVC_RSH) {
		emit(j, t2_shift_reg(T_LSR, T_R5, T_R1, T_R7));
		emit(j, t2_dp_reg(T_ORR, 0, T_R0, T_R4, T_R5, T_LSL, 0));
		emit(j, t2_shift_reg(T_LSR, T_R1, T_R1, T_R2));
		return;
	}
	/* ASR by n - 32 < 0 would fill with the sign: only when n >= 32 */
	emit(j, t2_dp_imm(T_SUB, 1, T_PC, T_R7, 0)); /* cmp r7, #0 */
	emit(j, t1_it(T_GE, 1));
	emit(j, t2_shift_reg(T_ASR, T_R4, T_R1, T_R7));
	mov(j, T_R0, T_R4);
	emit(j, t2_shift_reg(T_ASR, T_R1, T_R1, T_R2));
}

/* ADD, SUB, AND, OR, XOR of r0(:r1) with the constant @kv, when each
 * half is a modified immediate: no register for the constant. Returns 1
 * if it emitted the operation. */
static int emit_alu_imm(struct jit *j, uint8_t op, int sf, uint64_t kv)
{
	uint32_t lo = (uint32_t)kv, hi = (uint32_t)(kv >> 32);
	enum t_dp dp, dph;

	switch (op) {
	case BVC_ADD: dp = T_ADD; dph = T_ADC; break;
	case BVC_SUB: dp = T_SUB; dph = T_SBC; break;
	case BVC_AND: dp = dph = T_AND; break;
	case BVC_OR: dp = dph = T_ORR; break;
	case BVC_XOR: dp = dph = T_EOR; break;
	default: return 0;
	}
	if (thumb_modimm(lo) < 0 || (sf && thumb_modimm(hi) < 0))
		return 0;
	/* the carry chain: ADDS/SUBS then ADC/SBC */
	emit(j, t2_dp_imm(dp, sf && dp != dph, T_R0, T_R0, lo));
	if (sf)
		emit(j, t2_dp_imm(dph, 0, T_R1, T_R1, hi));
	return 1;
}

/* ALU and ALU64: operands to r0:r1 (dst) and r2:r3 (src or K), the
 * result back from r0:r1; 32-bit forms write a zero high word. */
static void emit_alu(struct jit *j, const struct bvc_insn *in)
{
	int sf = bvc_insn_class(in) == BVC_ALU64;
	int k = !bvc_insn_srcbit(in);
	uint8_t op = bvc_insn_op(in);
	uint64_t kv = sf ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm;

	/* the forms that do not read dst first */
	switch (op) {
	case BVC_MOV:
		if (k) {
			if (in->off) {
				unsupported(j, in);
				return;
			}
			mov_imm64(j, T_R0, T_R1, kv);
			st_pair(j, T_R0, T_R1, in->dst);
			return;
		}
		if (in->off == 0 && sf) {
			if (in->dst != in->src) {
				ld_pair(j, T_R0, T_R1, in->src);
				st_pair(j, T_R0, T_R1, in->dst);
			}
			return;
		}
		ld_lo(j, T_R0, in->src);
		switch (in->off) {
		case 0:
			break;
		case 8:
			emit(j, t2_sxtb(T_R0, T_R0));
			break;
		case 16:
			emit(j, t2_sxth(T_R0, T_R0));
			break;
		case 32:
			if (sf)
				break;
			/* fall through */
		default:
			unsupported(j, in);
			return;
		}
		if (sf && in->off) {
			shift_imm(j, T_ASR, T_R1, T_R0, 31);
			st_pair(j, T_R0, T_R1, in->dst);
		} else {
			st_lo32(j, in->dst);
		}
		return;
	case BVC_NEG:
		if (!k) {
			unsupported(j, in);
			return;
		}
		break;
	case BVC_END:
		if (in->imm != 16 && in->imm != 32 && in->imm != 64) {
			unsupported(j, in);
			return;
		}
		if (sf && bvc_insn_srcbit(in) != BVC_TO_LE) {
			unsupported(j, in); /* only ALU64 | END | TO_LE (bswap) exists */
			return;
		}
		break;
	case BVC_DIV:
	case BVC_MOD:
		if (in->off != 0 && in->off != 1) {
			unsupported(j, in);
			return;
		}
		break;
	case BVC_ADD: case BVC_SUB: case BVC_MUL: case BVC_OR: case BVC_AND:
	case BVC_LSH: case BVC_RSH: case BVC_XOR: case BVC_ARSH:
		break;
	default:
		unsupported(j, in);
		return;
	}

	if (sf)
		ld_pair(j, T_R0, T_R1, in->dst);
	else
		ld_lo(j, T_R0, in->dst);
	if (k && emit_alu_imm(j, op, sf, kv)) {
		if (sf)
			st_pair(j, T_R0, T_R1, in->dst);
		else
			st_lo32(j, in->dst);
		return;
	}
	if (op != BVC_NEG && op != BVC_END) {
		if (k)
			mov_imm64(j, T_R2, T_R3, kv);
		else if (sf)
			ld_pair(j, T_R2, T_R3, in->src);
		else
			ld_lo(j, T_R2, in->src);
	}

	switch (op) {
	case BVC_ADD:
		emit(j, t2_dp_reg(T_ADD, sf, T_R0, T_R0, T_R2, T_LSL, 0));
		if (sf)
			emit(j, t2_dp_reg(T_ADC, 0, T_R1, T_R1, T_R3, T_LSL, 0));
		break;
	case BVC_SUB:
		emit(j, t2_dp_reg(T_SUB, sf, T_R0, T_R0, T_R2, T_LSL, 0));
		if (sf)
			emit(j, t2_dp_reg(T_SBC, 0, T_R1, T_R1, T_R3, T_LSL, 0));
		break;
	case BVC_AND:
	case BVC_OR:
	case BVC_XOR: {
		enum t_dp dp = op == BVC_AND ? T_AND : op == BVC_OR ? T_ORR : T_EOR;

		emit(j, t2_dp_reg(dp, 0, T_R0, T_R0, T_R2, T_LSL, 0));
		if (sf)
			emit(j, t2_dp_reg(dp, 0, T_R1, T_R1, T_R3, T_LSL, 0));
		break;
	}
	case BVC_MUL:
		if (!sf) {
			emit(j, t2_mul(T_R0, T_R0, T_R2));
			break;
		}
		/* the low 64 bits: lo*lo in full, plus the cross terms' low words */
		emit(j, t2_umull(T_R4, T_R5, T_R0, T_R2));
		emit(j, t2_mla(T_R5, T_R0, T_R3, T_R5));
		emit(j, t2_mla(T_R1, T_R1, T_R2, T_R5));
		mov(j, T_R0, T_R4);
		break;
	case BVC_DIV:
	case BVC_MOD:
		if (sf) {
			emit_divmod64(j, op == BVC_MOD, in->off == 1);
			break;
		}
		/* UDIV/SDIV give 0 for a zero divisor and wrap INT_MIN / -1, as
		 * eBPF says; the remainder dst - (dst / src) * src then leaves
		 * dst for a zero divisor and gives 0 for -1. */
		emit(j, in->off ? t2_sdiv(T_R4, T_R0, T_R2) : t2_udiv(T_R4, T_R0, T_R2));
		if (op == BVC_DIV)
			mov(j, T_R0, T_R4);
		else
			emit(j, t2_mls(T_R0, T_R4, T_R2, T_R0));
		break;
	case BVC_LSH:
	case BVC_RSH:
	case BVC_ARSH: {
		enum t_shift type = op == BVC_LSH ? T_LSL : op == BVC_RSH ? T_LSR : T_ASR;

		if (k) {
			int n = (int)(kv & (sf ? 63 : 31));

			if (n && sf)
				shift64_imm(j, op, n);
			else if (n)
				shift_imm(j, type, T_R0, T_R0, n);
			break;
		}
		/* eBPF takes the amount modulo the width; the CPU would not */
		emit(j, t2_dp_imm(T_AND, 0, T_R2, T_R2, sf ? 63 : 31));
		if (sf)
			shift64_reg(j, op);
		else
			emit(j, t2_shift_reg(type, T_R0, T_R0, T_R2));
		break;
	}
	case BVC_NEG:
		if (!sf) {
			emit(j, t2_dp_imm(T_RSB, 0, T_R0, T_R0, 0));
			break;
		}
		emit(j, t1_negs(T_R0, T_R0));
		/* hi = hi - 2 * hi - borrow = 0 - hi - borrow */
		emit(j, t2_dp_reg(T_SBC, 0, T_R1, T_R1, T_R1, T_LSL, 1));
		break;
	case BVC_END:
		if (!sf && bvc_insn_srcbit(in) == BVC_TO_LE) {
			/* to little-endian on a little-endian CPU: truncate */
			if (in->imm == 16)
				emit(j, t2_uxth(T_R0, T_R0));
			if (in->imm == 64)
				ld_pair(j, T_R0, T_R1, in->dst);
			break;
		}
		/* to big-endian, or the unconditional cpu v4 bswap */
		if (in->imm == 16) {
			emit(j, t2_rev(T_R0, T_R0));
			shift_imm(j, T_LSR, T_R0, T_R0, 16);
		} else if (in->imm == 32) {
			emit(j, t2_rev(T_R0, T_R0));
		} else {
			if (!sf)
				ld_pair(j, T_R0, T_R1, in->dst);
			emit(j, t2_rev(T_R4, T_R0));
			emit(j, t2_rev(T_R0, T_R1));
			mov(j, T_R1, T_R4);
			st_pair(j, T_R0, T_R1, in->dst);
			return;
		}
		if (sf) /* bswap16/32 zero the rest */
			emit(j, t1_movs_imm(T_R1, 0));
		break;
	}
	if (sf || (op == BVC_END && in->imm == 64))
		st_pair(j, T_R0, T_R1, in->dst);
	else
		st_lo32(j, in->dst);
}

/* --- memory ---------------------------------------------------------------- */

/* The native base register for [eBPF @base + *@off], adjusting *@off so
 * that [base, #off] .. [base, #off + @span - 1] is encodable: the stack is
 * SP-relative (r10 = sp + stack), others go through r12 (and r4 for an
 * offset LDR cannot reach). */
static int mem_base(struct jit *j, int base, int32_t *off, int span)
{
	int rn = T_R12;

	if (base == BVC_REG_FP && (int32_t)j->stack + *off >= 0) {
		rn = T_SP;
		*off += (int32_t)j->stack;
	} else {
		ld_lo(j, T_R12, base);
	}
	/* LDR/STR reach [-255, 4095]; a doubleword also needs @off + 4 */
	if (*off >= -255 && *off + span <= 0x1000)
		return rn;
	mov_imm32(j, T_R4, (uint32_t)*off);
	emit(j, t2_dp_reg(T_ADD, 0, T_R12, rn, T_R4, T_LSL, 0));
	*off = 0;
	return T_R12;
}

static int size_bytes(const struct bvc_insn *in)
{
	switch (bvc_insn_size(in)) {
	case BVC_B: return 1;
	case BVC_H: return 2;
	case BVC_W: return 4;
	default: return 8;
	}
}

/* LDX (MEM, MEMSX) into eBPF @in->dst. Doublewords are two LDRs: LDRD
 * faults on addresses that are not word-aligned, and packets need not be. */
static void emit_load(struct jit *j, const struct bvc_insn *in)
{
	int n = size_bytes(in), sx = bvc_insn_mode(in) == BVC_MEMSX;
	int32_t off = in->off;
	int rn;

	if ((bvc_insn_mode(in) != BVC_MEM && !sx) || (sx && n == 8)) {
		unsupported(j, in);
		return;
	}
	rn = mem_base(j, in->src, &off, n);
	switch (n) {
	case 1: emit(j, t2_ldst_imm(sx ? T_LDRSB : T_LDRB, T_R0, rn, off)); break;
	case 2: emit(j, t2_ldst_imm(sx ? T_LDRSH : T_LDRH, T_R0, rn, off)); break;
	case 4: emit(j, t2_ldst_imm(T_LDR, T_R0, rn, off)); break;
	default:
		emit(j, t2_ldst_imm(T_LDR, T_R0, rn, off));
		emit(j, t2_ldst_imm(T_LDR, T_R1, rn, off + 4));
		st_pair(j, T_R0, T_R1, in->dst);
		return;
	}
	if (sx)
		shift_imm(j, T_ASR, T_R1, T_R0, 31);
	else
		emit(j, t1_movs_imm(T_R1, 0));
	st_pair(j, T_R0, T_R1, in->dst);
}

/* ST and STX (MEM): the value in r2:r3 to [eBPF @in->dst + off]. */
static void emit_store(struct jit *j, const struct bvc_insn *in)
{
	int n = size_bytes(in);
	int32_t off = in->off;
	int rn;

	if (bvc_insn_class(in) == BVC_ST)
		mov_imm64(j, T_R2, T_R3, (uint64_t)(int64_t)in->imm);
	else if (n == 8)
		ld_pair(j, T_R2, T_R3, in->src);
	else
		ld_lo(j, T_R2, in->src);
	rn = mem_base(j, in->dst, &off, n);
	switch (n) {
	case 1: emit(j, t2_ldst_imm(T_STRB, T_R2, rn, off)); break;
	case 2: emit(j, t2_ldst_imm(T_STRH, T_R2, rn, off)); break;
	case 4: emit(j, t2_ldst_imm(T_STR, T_R2, rn, off)); break;
	default:
		emit(j, t2_ldst_imm(T_STR, T_R2, rn, off));
		emit(j, t2_ldst_imm(T_STR, T_R3, rn, off + 4));
	}
}

/*
 * BPF_STX | BPF_ATOMIC with interrupts masked (see the header): old value
 * in r0(:r1), the new one computed into r4(:r5) and stored, PRIMASK put
 * back. Aligned, as the verifier requires of atomics.
 */
static void emit_atomic(struct jit *j, const struct bvc_insn *in)
{
	int dw = bvc_insn_size(in) == BVC_DW;
	int32_t op = in->imm, off = in->off;
	enum t_dp dp = T_ADD;
	int rn;

	if (bvc_insn_size(in) != BVC_DW && bvc_insn_size(in) != BVC_W) {
		unsupported(j, in);
		return;
	}
	switch (op & ~BVC_FETCH) {
	case BVC_ADD: dp = T_ADD; break;
	case BVC_OR: dp = T_ORR; break;
	case BVC_AND: dp = T_AND; break;
	case BVC_XOR: dp = T_EOR; break;
	default:
		if (op != BVC_XCHG && op != BVC_CMPXCHG) {
			unsupported(j, in);
			return;
		}
	}
	ld_pair(j, T_R2, T_R3, in->src);
	rn = mem_base(j, in->dst, &off, dw ? 8 : 4);
	if (op == BVC_CMPXCHG)
		ld_pair(j, T_R4, T_R5, BPF_R0);
	emit(j, t2_mrs_primask(T_R7));
	emit(j, t1_cpsid_i());
	emit(j, t2_ldst_imm(T_LDR, T_R0, rn, off));
	if (dw)
		emit(j, t2_ldst_imm(T_LDR, T_R1, rn, off + 4));
	else
		emit(j, t1_movs_imm(T_R1, 0)); /* flags: before any compare */
	if (op == BVC_CMPXCHG) {
		if (dw) {
			emit(j, t1_cmp(T_R1, T_R5));
			emit(j, t1_it(T_EQ, 1));
			emit(j, t1_cmp(T_R0, T_R4));
			emit(j, t1_it(T_EQ, 2));
			emit(j, t2_ldst_imm(T_STR, T_R2, rn, off));
			emit(j, t2_ldst_imm(T_STR, T_R3, rn, off + 4));
		} else {
			emit(j, t1_cmp(T_R0, T_R4));
			emit(j, t1_it(T_EQ, 1));
			emit(j, t2_ldst_imm(T_STR, T_R2, rn, off));
		}
		emit(j, t2_msr_primask(T_R7));
		st_pair(j, T_R0, T_R1, BPF_R0);
		return;
	}
	if (op == BVC_XCHG) {
		mov(j, T_R4, T_R2);
		mov(j, T_R5, T_R3);
	} else if (dw && dp == T_ADD) {
		emit(j, t2_dp_reg(T_ADD, 1, T_R4, T_R0, T_R2, T_LSL, 0));
		emit(j, t2_dp_reg(T_ADC, 0, T_R5, T_R1, T_R3, T_LSL, 0));
	} else {
		emit(j, t2_dp_reg(dp, 0, T_R4, T_R0, T_R2, T_LSL, 0));
		if (dw)
			emit(j, t2_dp_reg(dp, 0, T_R5, T_R1, T_R3, T_LSL, 0));
	}
	emit(j, t2_ldst_imm(T_STR, T_R4, rn, off));
	if (dw)
		emit(j, t2_ldst_imm(T_STR, T_R5, rn, off + 4));
	emit(j, t2_msr_primask(T_R7));
	if (op == BVC_XCHG || (op & BVC_FETCH))
		st_pair(j, T_R0, T_R1, in->src);
}

/* --- jumps and calls -------------------------------------------------------- */

/* Byte offset of the code of the instruction @off + 1 after the current
 * one, or fail when that is outside the program. */
static uint32_t jump_target(struct jit *j, int64_t off)
{
	int64_t t = (int64_t)j->cur + 1 + off;

	if (t < 0 || (uint64_t)t >= j->cnt) {
		fail(j, -EINVAL, "jump out of range from insn %zu to %lld", j->cur, (long long)t);
		return 0;
	}
	return j->addrs[t];
}

/* The function that starts at the instruction @off + 1 after the current
 * one, or NULL with the error set. */
static const struct func *callee(struct jit *j, int64_t off)
{
	int64_t t = (int64_t)j->cur + 1 + off;
	const struct func *f;

	if (t < 0 || (uint64_t)t >= j->cnt) {
		fail(j, -EINVAL, "call out of range from insn %zu to %lld", j->cur, (long long)t);
		return NULL;
	}
	f = &j->funcs[j->func_of[t]];
	if (f->start != (size_t)t) {
		/* Defensive: find_funcs() made every target a start. */
		fail(j, -EFAULT, "internal error: insn %lld is not a function start", (long long)t);
		return NULL;
	}
	return f;
}

/* Call the C function in r12 with eBPF r1..r5 as AAPCS arguments: r1 in
 * r0:r1, r2 in r2:r3, r3..r5 in the 24 bytes at SP (8-aligned, as the
 * frames are); r0 = the 64-bit result. */
static void emit_c_call(struct jit *j)
{
	emit(j, t2_subw(T_SP, T_SP, 24));
	for (int r = 3; r <= 5; r++) {
		ld_pair(j, T_R0, T_R1, r);
		emit(j, t2_strd(T_R0, T_R1, T_SP, 8 * (r - 3)));
	}
	ld_pair(j, T_R0, T_R1, 1);
	ld_pair(j, T_R2, T_R3, 2);
	emit(j, t1_blx(T_R12));
	emit(j, t2_addw(T_SP, T_SP, 24));
	st_pair(j, T_R0, T_R1, BPF_R0);
}

/* bpf_tail_call(ctx = r1, map = r2, index = r3), see the header: the
 * failures go on with the next instruction, r0 untouched. */
static void emit_tail_call(struct jit *j)
{
	int32_t map = j->v->facts && j->cur < j->v->fact_cnt ? j->v->facts[j->cur].map_idx : -1;
	uint32_t out[3];

	if (j->func_of[j->cur] != 0) {
		fail(j, -EOPNOTSUPP, "unsupported: bpf_tail_call inside a bpf-to-bpf function at insn %zu",
		     j->cur);
		return;
	}
	if (map < 0) {
		fail(j, -EOPNOTSUPP,
		     "unsupported: bpf_tail_call with different prog_arrays on different paths at insn %zu",
		     j->cur);
		return;
	}
	load_lit(j, T_R4, 0, BVC_RELOC_PROG_ARRAY, (uint32_t)map, 0);
	ld_lo(j, T_R0, 3);                                     /* the index is a u32 */
	emit(j, t2_ldst_imm(T_LDR, T_R1, T_R4, 0));            /* max_entries */
	emit(j, t1_cmp(T_R0, T_R1));
	out[0] = fwd(j, T_HS);
	emit(j, t2_ldst_imm(T_LDR, T_R2, REGS, RF_TAIL_CNT));
	emit(j, t2_dp_imm(T_SUB, 1, T_PC, T_R2, BVC_MAX_TAIL_CALLS));
	out[1] = fwd(j, T_HS);
	emit(j, t2_dp_imm(T_ADD, 0, T_R2, T_R2, 1));
	emit(j, t2_ldst_imm(T_STR, T_R2, REGS, RF_TAIL_CNT));
	emit(j, t2_dp_reg(T_ADD, 0, T_R4, T_R4, T_R0, T_LSL, 3));
	emit(j, t2_ldst_imm(T_LDR, T_R3, T_R4, 8));            /* entries[index], low word */
	emit(j, t2_dp_imm(T_SUB, 1, T_PC, T_R3, 0));
	out[2] = fwd(j, T_EQ);
	emit(j, t2_dp_imm(T_ORR, 0, T_R3, T_R3, 1));           /* Thumb state */
	mov(j, T_SP, REGS);
	emit(j, t1_bx(T_R3));
	patch(j, out[0], T_HS);
	patch(j, out[1], T_HS);
	patch(j, out[2], T_EQ);
}

static void emit_jmp(struct jit *j, const struct bvc_insn *in)
{
	static const enum t_cond conds[16] = {
		[BVC_JEQ >> 4] = T_EQ,  [BVC_JNE >> 4] = T_NE,  [BVC_JGT >> 4] = T_HI,
		[BVC_JGE >> 4] = T_HS,  [BVC_JLT >> 4] = T_LO,  [BVC_JLE >> 4] = T_LS,
		[BVC_JSGT >> 4] = T_GT, [BVC_JSGE >> 4] = T_GE, [BVC_JSLT >> 4] = T_LT,
		[BVC_JSLE >> 4] = T_LE, [BVC_JSET >> 4] = T_NE,
	};
	int sf = bvc_insn_class(in) == BVC_JMP;
	int k = !bvc_insn_srcbit(in);
	uint8_t op = bvc_insn_op(in);
	enum t_cond c;
	const struct func *f;

	switch (op) {
	case BVC_JA:
		if (!k) {
			unsupported(j, in);
			return;
		}
		/* JMP32 | JA is gotol: the offset is in imm */
		emit(j, t2_b(rel(j, jump_target(j, sf ? in->off : in->imm))));
		return;
	case BVC_JCOND:
		if (!sf || !k || in->src != 0) {
			unsupported(j, in);
			return;
		}
		/* may_goto: jump once the run's budget is spent, else spend one */
		emit(j, t2_dp_imm(T_SUB, 1, T_PC, BUDGET, 0));
		emit(j, t2_b_cond(T_EQ, rel(j, jump_target(j, in->off))));
		emit(j, t2_dp_imm(T_SUB, 0, BUDGET, BUDGET, 1));
		return;
	case BVC_CALL:
		if (!sf || !k) {
			unsupported(j, in); /* callx */
			return;
		}
		if (in->src == BVC_PSEUDO_CALL) {
			f = callee(j, in->imm);
			if (f)
				emit(j, t2_bl(rel(j, f->entry)));
			return;
		}
		if (in->src != 0) {
			unsupported(j, in); /* kfuncs */
			return;
		}
		if (in->imm < 0) {
			fail(j, -EINVAL, "invalid func unknown#%d at insn %zu", in->imm, j->cur);
			return;
		}
		if (j->tail && in->imm == BVC_HELPER_TAIL_CALL) {
			emit_tail_call(j);
			return;
		}
		load_lit(j, T_R12, 0, BVC_RELOC_HELPER, (uint32_t)in->imm, 0);
		emit_c_call(j);
		return;
	case BVC_EXIT:
		if (!sf || !k) {
			unsupported(j, in);
			return;
		}
		f = &j->funcs[j->func_of[j->cur]];
		if (j->cur + 1 != f->end) /* else the epilogue follows */
			emit(j, t2_b(rel(j, f->epi)));
		return;
	case BVC_JEQ: case BVC_JNE: case BVC_JGT: case BVC_JGE: case BVC_JLT: case BVC_JLE:
	case BVC_JSGT: case BVC_JSGE: case BVC_JSLT: case BVC_JSLE: case BVC_JSET:
		break;
	default:
		unsupported(j, in);
		return;
	}

	c = conds[op >> 4];
	if (k && op != BVC_JSET && op != BVC_JSGT && op != BVC_JSLE && op != BVC_JSGE &&
	    op != BVC_JSLT && thumb_modimm((uint32_t)in->imm) >= 0 &&
	    (!sf || thumb_modimm((uint32_t)((int64_t)in->imm >> 32)) >= 0)) {
		/* CMP #imm: the high word first, as below */
		if (sf) {
			ld_pair(j, T_R0, T_R1, in->dst);
			emit(j, t2_dp_imm(T_SUB, 1, T_PC, T_R1, (uint32_t)((int64_t)in->imm >> 32)));
			emit(j, t1_it(T_EQ, 1));
		} else {
			ld_lo(j, T_R0, in->dst);
		}
		emit(j, t2_dp_imm(T_SUB, 1, T_PC, T_R0, (uint32_t)in->imm));
		emit(j, t2_b_cond(c, rel(j, jump_target(j, in->off))));
		return;
	}
	if (!sf && k && (op == BVC_JSGT || op == BVC_JSLE || op == BVC_JSGE || op == BVC_JSLT) &&
	    thumb_modimm((uint32_t)in->imm) >= 0) {
		ld_lo(j, T_R0, in->dst);
		emit(j, t2_dp_imm(T_SUB, 1, T_PC, T_R0, (uint32_t)in->imm));
		emit(j, t2_b_cond(c, rel(j, jump_target(j, in->off))));
		return;
	}
	if (sf) {
		ld_pair(j, T_R0, T_R1, in->dst);
		if (k)
			mov_imm64(j, T_R2, T_R3, (uint64_t)(int64_t)in->imm);
		else
			ld_pair(j, T_R2, T_R3, in->src);
	} else {
		ld_lo(j, T_R0, in->dst);
		if (k)
			mov_imm32(j, T_R2, (uint32_t)in->imm);
		else
			ld_lo(j, T_R2, in->src);
	}
	if (op == BVC_JSET) {
		emit(j, t2_dp_reg(T_AND, 0, T_R12, T_R0, T_R2, T_LSL, 0));
		if (sf) {
			emit(j, t2_dp_reg(T_AND, 0, T_R4, T_R1, T_R3, T_LSL, 0));
			emit(j, t2_dp_reg(T_ORR, 1, T_R12, T_R12, T_R4, T_LSL, 0));
		} else {
			emit(j, t2_dp_imm(T_SUB, 1, T_PC, T_R12, 0));
		}
	} else if (!sf) {
		emit(j, t1_cmp(T_R0, T_R2));
	} else if (op == BVC_JSGT || op == BVC_JSLE) {
		/* a > b is b < a: SUBS/SBCS give N and V, not Z, of 64 bits */
		emit(j, t2_dp_reg(T_SUB, 1, T_R12, T_R2, T_R0, T_LSL, 0));
		emit(j, t2_dp_reg(T_SBC, 1, T_R12, T_R3, T_R1, T_LSL, 0));
		c = op == BVC_JSGT ? T_LT : T_GE;
	} else if (op == BVC_JSGE || op == BVC_JSLT) {
		emit(j, t2_dp_reg(T_SUB, 1, T_R12, T_R0, T_R2, T_LSL, 0));
		emit(j, t2_dp_reg(T_SBC, 1, T_R12, T_R1, T_R3, T_LSL, 0));
	} else {
		/* equality and unsigned: the high words decide unless equal */
		emit(j, t1_cmp(T_R1, T_R3));
		emit(j, t1_it(T_EQ, 1));
		emit(j, t1_cmp(T_R0, T_R2));
	}
	emit(j, t2_b_cond(c, rel(j, jump_target(j, in->off))));
}

/* LD_ABS / LD_IND: r0 = the runtime intrinsic's big-endian read at the
 * 32-bit signed offset, with ctx = r6 as the kernel's rule says; a
 * negative result (outside the packet) ends the program with r0 = 0. The
 * intrinsic is `int64_t f(const void *ctx, int64_t off)`: ctx in r0, off
 * in r2:r3. */
static void emit_ld_pkt(struct jit *j, const struct bvc_insn *in)
{
	uint32_t fn;

	switch (bvc_insn_size(in)) {
	case BVC_B: fn = BVC_RT_LD_ABS_B; break;
	case BVC_H: fn = BVC_RT_LD_ABS_H; break;
	case BVC_W: fn = BVC_RT_LD_ABS_W; break;
	default:
		unsupported(j, in);
		return;
	}
	if (bvc_insn_mode(in) == BVC_IND) {
		ld_lo(j, T_R2, in->src);
		mov_imm32(j, T_R3, (uint32_t)in->imm);
		emit(j, t2_dp_reg(T_ADD, 0, T_R2, T_R2, T_R3, T_LSL, 0));
	} else {
		mov_imm32(j, T_R2, (uint32_t)in->imm);
	}
	shift_imm(j, T_ASR, T_R3, T_R2, 31);
	ld_lo(j, T_R0, 6);
	load_lit(j, T_R12, 0, BVC_RELOC_RUNTIME, fn, 0);
	emit(j, t1_blx(T_R12));
	emit(j, t2_dp_imm(T_SUB, 1, T_PC, T_R1, 0));
	emit(j, t2_b_cond(T_LT, rel(j, j->abort_stub)));
	st_pair(j, T_R0, T_R1, BPF_R0);
}

/* ld_imm64: a constant, a map or a map value (global data). */
static void emit_ld_imm64(struct jit *j, const struct bvc_insn *in)
{
	if (j->cur + 1 >= j->cnt || in[1].code != 0) {
		fail(j, -EINVAL, "invalid bpf_ld_imm64 insn %zu", j->cur);
		return;
	}
	switch (in->src) {
	case 0:
		mov_imm64(j, T_R0, T_R1, bvc_ld_imm64_value(in));
		st_pair(j, T_R0, T_R1, in->dst);
		return;
	case BVC_PSEUDO_MAP_IDX:
	case BVC_PSEUDO_MAP_IDX_VALUE:
		if (in->imm < 0 || (j->have_img && (size_t)in->imm >= j->map_cnt)) {
			fail(j, -EINVAL, "insn %zu: map index %d out of range", j->cur, in->imm);
			return;
		}
		for (int half = 0; half < 2; half++) {
			if (in->src == BVC_PSEUDO_MAP_IDX)
				load_lit(j, T_R0 + half, half, BVC_RELOC_MAP, (uint32_t)in->imm, 0);
			else
				load_lit(j, T_R0 + half, half, BVC_RELOC_MAP_VALUE, (uint32_t)in->imm,
					 in[1].imm);
		}
		st_pair(j, T_R0, T_R1, in->dst);
		return;
	}
	unsupported(j, in); /* BPF_PSEUDO_FUNC: callbacks */
}

/* One eBPF instruction; returns how many it consumed (2 for ld_imm64). */
static size_t emit_insn(struct jit *j, const struct bvc_insn *in)
{
	switch (bvc_insn_class(in)) {
	case BVC_ALU:
	case BVC_ALU64:
		emit_alu(j, in);
		return 1;
	case BVC_JMP:
	case BVC_JMP32:
		emit_jmp(j, in);
		return 1;
	case BVC_LDX:
		emit_load(j, in);
		return 1;
	case BVC_ST:
		if (bvc_insn_mode(in) != BVC_MEM)
			unsupported(j, in);
		else
			emit_store(j, in);
		return 1;
	case BVC_STX:
		if (bvc_insn_mode(in) == BVC_MEM)
			emit_store(j, in);
		else if (bvc_insn_mode(in) == BVC_ATOMIC)
			emit_atomic(j, in);
		else
			unsupported(j, in);
		return 1;
	case BVC_LD:
		if (bvc_insn_is_ld_imm64(in)) {
			emit_ld_imm64(j, in);
			return 2;
		}
		if (bvc_insn_mode(in) == BVC_ABS || bvc_insn_mode(in) == BVC_IND) {
			emit_ld_pkt(j, in);
			return 1;
		}
		unsupported(j, in);
		return 1;
	}
	unsupported(j, in); /* not reached: every class is handled */
	return 1;
}

/* --- functions --------------------------------------------------------------- */

#define ENTRY_SAVES 0x4ff8u /* r3-r11, lr: 40 bytes, keeps SP 8-aligned */
#define CALL_SAVES 0x51ffu  /* r0-r8, r12, lr: the caller's r6-r10, lr */

/*
 * The entry makes the register file and the run's state; every function
 * then points r10 at its frame and zeroes it. A called function first
 * pushes its caller's r6-r10 (and 4 bytes, for 8-byte alignment).
 */
static void emit_prologue(struct jit *j, int entry)
{
	uint32_t loop;

	if (entry) {
		emit(j, t2_stmdb(T_SP, 1, ENTRY_SAVES));
		emit(j, t2_subw(T_SP, T_SP, FILE_SIZE));
		mov(j, REGS, T_SP);
		mov_imm32(j, BUDGET, MAY_GOTO_BUDGET);
		emit(j, t1_movs_imm(T_R1, 0));
		st_pair(j, T_R0, T_R1, 1);
		st_pair(j, T_R2, T_R3, 2);
		/* defined registers for every run, as the interpreter's */
		emit(j, t1_movs_imm(T_R4, 0));
		emit(j, t1_movs_imm(T_R5, 0));
		for (int r = 0; r <= 10; r++)
			if (r != 1 && r != 2)
				st_pair(j, T_R4, T_R5, r);
		emit(j, t2_strd(T_R4, T_R5, REGS, RF_TAIL_CNT));
		/* A tail call lands here with SP = r11: this program's pool
		 * and frame, the run's registers, budget and count. */
		j->tail_entry = j->idx;
		{
			/* r9 = the pool: its distance from the ADD's PC (+4) */
			uint32_t delta = j->pool - (j->idx + 8 + 4);

			emit(j, t2_movw(POOL, (uint16_t)delta));
			emit(j, t2_movt(POOL, (uint16_t)(delta >> 16)));
			emit(j, t1_add_pc(POOL));
		}
	} else {
		emit(j, t2_addw(T_R12, REGS, RF(6)));
		emit(j, t2_ldm(T_R12, 0, 0x11ff)); /* r0-r8, r12 = r6..r10 */
		emit(j, t2_stmdb(T_SP, 1, CALL_SAVES));
		emit(j, t2_subw(T_SP, T_SP, 4));
	}
	mov(j, T_R2, T_SP);
	emit(j, t1_movs_imm(T_R0, 0));
	emit(j, t1_movs_imm(T_R1, 0));
	emit(j, t2_strd(T_R2, T_R1, REGS, RF(BVC_REG_FP)));
	if (!j->stack)
		return;
	emit(j, t2_subw(T_SP, T_SP, j->stack));
	/* A zeroed frame for every run and call, as the interpreter gives:
	 * the verifier lets privileged programs read stack they never wrote. */
	mov_imm32(j, T_R3, j->stack / 8);
	loop = j->idx;
	emit(j, t2_strd_pre(T_R0, T_R1, T_R2, -8));
	emit(j, t2_dp_imm(T_SUB, 1, T_R3, T_R3, 1));
	emit_b_to(j, T_NE, loop);
}

/* Undo the prologue. The entry returns eBPF r0 in r0:r1 (AAPCS uint64_t);
 * a called function puts its caller's r6-r10 back. */
static void emit_epilogue(struct jit *j, int entry)
{
	if (entry) {
		ld_pair(j, T_R0, T_R1, BPF_R0);
		mov(j, T_SP, REGS);
		emit(j, t2_addw(T_SP, T_SP, FILE_SIZE));
		emit(j, t2_ldm(T_SP, 1, (ENTRY_SAVES & ~(1u << T_LR)) | 1u << T_PC));
		return;
	}
	emit(j, t2_addw(T_SP, T_SP, j->stack + 4));
	emit(j, t2_ldm(T_SP, 1, CALL_SAVES));
	for (int r = 0; r < 4; r++)
		emit(j, t2_strd(2 * r, 2 * r + 1, REGS, RF(6 + r)));
	emit(j, t2_strd(T_R8, T_R12, REGS, RF(BVC_REG_FP)));
	emit(j, t1_bx(T_LR));
}

/* One pass over the program: sizing when j->buf is NULL, else encoding. */
static void emit_program(struct jit *j)
{
	size_t i = 0, f;

	j->idx = 0;
	for (f = 0; f < j->nfuncs && !j->err; f++) {
		struct func *fn = &j->funcs[f];

		j->cur = fn->start;
		fn->entry = j->idx;
		j->stack = fn->stack;
		emit_prologue(j, f == 0);
		for (i = fn->start; i < fn->end && !j->err;) {
			size_t n;

			j->cur = i;
			j->addrs[i] = j->idx;
			n = emit_insn(j, &j->insns[i]);
			if (n == 2 && i + 1 < fn->end)
				j->addrs[i + 1] = j->idx; /* jumping here is invalid anyway */
			i += n;
		}
		fn->epi = j->idx;
		emit_epilogue(j, f == 0);
		if (f == 0 && j->has_ldabs) {
			j->abort_stub = j->idx;
			emit(j, t1_movs_imm(T_R0, 0));
			emit(j, t1_movs_imm(T_R1, 0));
			st_pair(j, T_R0, T_R1, BPF_R0);
			emit(j, t2_b(rel(j, fn->epi)));
		}
	}
	if (j->err)
		return; /* emits do nothing now: the alignment below would not end */
	j->addrs[j->cnt] = j->idx;
	if (j->has_div64) {
		j->divmod = j->idx;
		emit_divmod_routine(j);
	}
	while (j->idx & 7)
		emit(j, t1_nop()); /* 8-align the pool */
	j->pool = j->idx;
	j->idx += 8 * (uint32_t)j->nlits;
}

/* Split the program into functions: insn 0 and every bpf-to-bpf call
 * target start one. */
static int find_funcs(struct jit *j)
{
	uint8_t *start = calloc(j->cnt, 1);
	size_t i, f;

	if (!start)
		return -ENOMEM;
	start[0] = 1;
	for (i = 0; i < j->cnt; i++) {
		const struct bvc_insn *in = &j->insns[i];
		uint8_t cls = bvc_insn_class(in);

		if (cls == BVC_LD && (bvc_insn_mode(in) == BVC_ABS || bvc_insn_mode(in) == BVC_IND))
			j->has_ldabs = 1; /* the entry then carries the abort stub */
		if (cls == BVC_ALU64 && (bvc_insn_op(in) == BVC_DIV || bvc_insn_op(in) == BVC_MOD))
			j->has_div64 = 1;
		if (bvc_insn_is_pseudo_call(in)) {
			int64_t t = (int64_t)i + 1 + in->imm;

			if (t < 0 || (uint64_t)t >= j->cnt) {
				free(start);
				fail(j, -EINVAL, "call out of range from insn %zu to %lld", i,
				     (long long)t);
				return j->err;
			}
			start[t] = 1;
		}
		if (bvc_insn_is_ld_imm64(in))
			i++;
	}
	for (i = 0; i < j->cnt; i++)
		j->nfuncs += start[i] != 0;
	j->funcs = calloc(j->nfuncs, sizeof(*j->funcs));
	if (!j->funcs) {
		free(start);
		return -ENOMEM;
	}
	for (i = 0, f = 0; i < j->cnt; i++) {
		if (start[i]) {
			if (f)
				j->funcs[f - 1].end = i;
			j->funcs[f++].start = i;
		}
		j->func_of[i] = f - 1;
	}
	j->funcs[f - 1].end = j->cnt;
	free(start);
	return 0;
}

int bvc_jit_thumbv7m(const struct bvc_image *img, const struct bvc_prog *prog,
		     const struct bvc_insn *insns, size_t cnt, const struct bvc_verdict *v,
		     struct bvc_jit_result *res, char *err, size_t errsz)
{
	struct jit j;
	size_t k, size;
	int rc;

	if (err && errsz)
		err[0] = '\0';
	if (!insns || !cnt || !v || !res) {
		if (err && errsz)
			snprintf(err, errsz, "bvc_jit_thumbv7m: missing argument");
		return -EINVAL;
	}
	rc = bvc_jit_check_regs(insns, cnt, err, errsz);
	if (rc)
		return rc;
	memset(&j, 0, sizeof(j));
	j.insns = insns;
	j.cnt = cnt;
	j.errbuf = err;
	j.errsz = errsz;
	j.have_img = img != NULL;
	j.map_cnt = img ? img->map_cnt : 0;
	j.tail = bvc_jit_has_prog_array(img);
	j.v = v;
	if (v->stack_depth > MAX_STACK) {
		fail(&j, -EOPNOTSUPP, "unsupported: stack depth %u on thumbv7m", v->stack_depth);
		return j.err;
	}
	j.chain_stack = (v->stack_depth + 15) & ~15u;
	j.addrs = calloc(cnt + 1, sizeof(*j.addrs));
	j.func_of = calloc(cnt, sizeof(*j.func_of));
	if (!j.addrs || !j.func_of) {
		rc = -ENOMEM;
		goto out;
	}
	rc = find_funcs(&j);
	if (rc)
		goto out;
	for (size_t f = 0; f < j.nfuncs; f++)
		j.funcs[f].stack = bvc_jit_func_frame(v, j.funcs[f].start);

	/* Pass 1: sizes and addresses. */
	emit_program(&j);
	if (j.err)
		goto out_err;
	size = j.idx;
	if (size > MAX_CODE_BYTES) {
		fail(&j, -E2BIG,
		     "unsupported: %s is %zu bytes of thumbv7m code, past the 1 MiB reach of its branches",
		     prog && prog->name[0] ? prog->name : "program", size);
		goto out_err;
	}

	/* Pass 2: the code, against the addresses of pass 1. */
	{
		uint32_t bytes = j.idx, pool = j.pool;
		size_t nlits = j.nlits;

		j.buf = calloc(1, size);
		if (!j.buf) {
			rc = -ENOMEM;
			goto out;
		}
		emit_program(&j);
		if (j.err)
			goto out_err;
		if (j.idx != bytes || j.pool != pool || j.nlits != nlits) {
			/* Defensive: the two passes must agree. */
			fail(&j, -EFAULT, "internal error: thumbv7m passes disagree (%u/%u bytes)",
			     j.idx, bytes);
			goto out_err;
		}
	}
	res->relocs = calloc(j.nlits ? j.nlits : 1, sizeof(*res->relocs));
	if (!res->relocs) {
		rc = -ENOMEM;
		goto out;
	}
	for (k = 0; k < j.nlits; k++) {
		res->relocs[k].offset = j.pool + 8 * (uint32_t)k;
		res->relocs[k].kind = j.lits[k].kind;
		res->relocs[k].target = j.lits[k].target;
		res->relocs[k].addend = j.lits[k].addend;
	}
	res->reloc_cnt = j.nlits;
	res->code = j.buf;
	res->code_size = size;
	res->entry_off = 0;
	res->tail_entry_off = j.tail ? j.tail_entry : 0;
	res->stack_size = j.chain_stack;
	j.buf = NULL;
	rc = 0;
	goto out;

out_err:
	rc = j.err;
out:
	if (rc == -ENOMEM && err && errsz)
		snprintf(err, errsz, "out of memory");
	free(j.buf);
	free(j.addrs);
	free(j.func_of);
	free(j.funcs);
	free(j.lits);
	return rc;
}
