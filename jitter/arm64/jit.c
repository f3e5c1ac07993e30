// SPDX-License-Identifier: MIT
/*
 * arm64 back end: lowered eBPF in, AArch64 (AAPCS64, little-endian) out.
 *
 * Two layers, as in ubpf: emit.c encodes one machine instruction per
 * function; this file translates one eBPF instruction into encoder calls.
 *
 * Layout. Every function of the program (the entry at insn 0, then each
 * target of a bpf-to-bpf call or of an ld_imm64 BPF_PSEUDO_FUNC) becomes a
 * prologue, its body and one epilogue that every EXIT of it branches to.
 * A function whose address is taken (BPF_PSEUDO_FUNC, for callbacks)
 * also gets a small entry stub for C callers after its epilogue.
 * After the last function comes the literal pool: one 8-byte, 8-aligned
 * slot per distinct (relocation kind, target, addend), loaded with
 * `ldr xN, <literal>`; each slot is one struct bvc_reloc, filled by the
 * device. Nothing else in the code is absolute, so it runs anywhere.
 *
 * Jumps. The code is produced twice, as the Linux arm64 JIT does: a
 * sizing pass that records where every eBPF instruction, prologue and
 * epilogue starts, then the real pass that encodes branches against those
 * addresses. No instruction's size depends on a branch distance: every
 * branch, ADR and literal load is one word, and the whole image must stay
 * below 1 MiB, the reach of B.cond, ADR and LDR (literal).
 *
 * Frames. The entry saves the callee-saved registers the map uses, keeps
 * its stack pointer in x27 (so an LD_ABS/LD_IND outside the packet can
 * end the program from any call depth) and the may_goto budget in x26
 * (one budget per run, as the reference interpreter counts it). Every
 * function reserves the verifier's stack depth, rounded to 16, below its
 * own r10: each bpf-to-bpf call gets its own frame.
 *
 * Tail calls. When the image has a prog_array, the entry also zeroes x28
 * (TAIL_CNT, saved by every entry prologue anyway): the tail calls made in
 * this run. Its tail entry is the `add x25, sp, #0` that sets up r10: a
 * tail call (bpf_tail_call, helper 12) checks the index (32 bits) against
 * the prog_array table's max_entries (BVC_RELOC_PROG_ARRAY literal, struct
 * bvc_dev_prog_array), x28 against BVC_MAX_TAIL_CALLS, adds one, loads the
 * slot (0: empty), puts sp back to the entry's (x27) and branches: the
 * callee builds its own frame there. All entries save the same registers,
 * so the last program to run restores the caller's. A failed tail call
 * goes on with the next instruction. Only the entry function may
 * tail-call.
 *
 * Errors. The first failure is sticky (struct jit.err); every later emit
 * does nothing, and the caller checks once at the end of each pass.
 *
 * Must not: choose anything by the host's architecture (the words are
 * stored little-endian byte by byte), emit an absolute address, or
 * translate an instruction it does not know ("unsupported: ...").
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../jitter_internal.h"
#include "emit.h"

/*
 * eBPF register -> AArch64 register.
 *
 * r1..r5 are the helper arguments, so they live in x0..x4, the AAPCS64
 * argument registers: a helper call needs no moves. r0 cannot also be x0
 * (that is r1), so it takes x7, a caller-saved register no argument uses;
 * a call moves x0 into it. r6..r9 and r10 must survive helper calls, so
 * they are callee-saved registers (x19..x22, x25): the helper's own
 * prologue preserves them for free, and every JITed function saves them
 * for its caller, which is exactly the eBPF calling convention.
 */
static const uint8_t regmap[BVC_MAX_REG] = {
	[0] = A64_X7,   /* return value */
	[1] = A64_X0,   /* argument 1 (and ctx at entry) */
	[2] = A64_X1,
	[3] = A64_X2,
	[4] = A64_X3,
	[5] = A64_X4,   /* argument 5 */
	[6] = A64_X19,  /* callee-saved */
	[7] = A64_X20,
	[8] = A64_X21,
	[9] = A64_X22,
	[10] = A64_X25, /* frame pointer: top of this function's stack area */
};

/* Scratch registers: caller-saved, never an eBPF register. */
#define TMP1 A64_X10     /* immediates, addresses */
#define TMP2 A64_X11     /* second operand, loaded value of atomics */
#define TMP3 A64_X12     /* atomics: new value / status */
#define TMP4 A64_X13     /* atomics: status */
#define CALL_REG A64_X9  /* helper and intrinsic addresses */
#define BUDGET A64_X26   /* may_goto: fall-throughs left in this run */
#define ENTRY_SP A64_X27 /* the entry's stack pointer after its saves */
#define TAIL_CNT A64_X28 /* tail calls made in this run (tail-call layout) */

#define MAY_GOTO_BUDGET 8388608 /* the kernel's BPF_MAX_LOOPS, as the interpreter */
#define MAX_CODE_BYTES (1u << 20) /* reach of B.cond, ADR and LDR (literal) */
#define MAX_STACK 4095            /* reach of SUB (immediate) */

#define R(r) ((int)regmap[(r)])

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
	int is_cb;      /* a BPF_PSEUDO_FUNC target: C code may call it */
	uint32_t entry; /* word offset of its prologue */
	uint32_t epi;   /* word offset of its epilogue */
	uint32_t c_entry; /* is_cb: word offset of its entry for C callers */
};

struct jit {
	const struct bvc_insn *insns; /* lowered program */
	size_t cnt;                   /* instructions in @insns */
	size_t map_cnt;               /* maps in the image (checked when @have_img) */
	int have_img;                 /* an image came with the program */
	uint8_t *buf;                 /* output, NULL during the sizing pass */
	uint32_t idx;                 /* words emitted so far */
	uint32_t *addrs;              /* word offset of each insn's code; [cnt] = end */
	size_t *func_of;              /* function index of each instruction */
	struct func *funcs;           /* in program order, funcs[0] is the entry */
	size_t nfuncs;
	struct lit *lits;             /* literal pool, in order of first use */
	size_t nlits, litcap;
	uint32_t pool;                /* word offset of the pool (8-aligned) */
	uint32_t abort_stub;          /* word offset of "r0 = 0, leave" (LD_ABS) */
	int has_ldabs;                /* the program has LD_ABS/LD_IND (find_funcs) */
	uint32_t stack;               /* bytes the function being emitted reserves */
	int tail;                     /* tail-call layout (the image has a prog_array) */
	uint32_t tail_entry;          /* word offset of the entry's tail entry */
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

/* Append one instruction word (little-endian), unless an error is pending. */
static void emit(struct jit *j, uint32_t word)
{
	if (j->err)
		return;
	if (word == A64_BAD) {
		/* Defensive: translations only pass encodable operands. */
		fail(j, -EFAULT, "internal error: unencodable arm64 instruction for insn %zu", j->cur);
		return;
	}
	if (j->buf) {
		uint8_t *p = j->buf + (size_t)j->idx * 4;

		p[0] = (uint8_t)word;
		p[1] = (uint8_t)(word >> 8);
		p[2] = (uint8_t)(word >> 16);
		p[3] = (uint8_t)(word >> 24);
	}
	j->idx++;
}

/* Byte distance from the current word to word @target. During the sizing
 * pass targets may not be known yet: 0 keeps every branch encodable and
 * the size is the same. */
static int32_t rel(const struct jit *j, uint32_t target)
{
	if (!j->buf)
		return 0;
	return (int32_t)(((int64_t)target - (int64_t)j->idx) * 4);
}

/* Byte distance back to word @target, emitted earlier in this pass. */
static int32_t back(const struct jit *j, uint32_t target)
{
	return (int32_t)(((int64_t)target - (int64_t)j->idx) * 4);
}

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

/* ldr @rd, <slot for (@kind, @target, @addend)> */
static void emit_load_lit(struct jit *j, int rd, uint32_t kind, uint32_t target, int32_t addend)
{
	size_t k = lit_index(j, kind, target, addend);

	emit(j, a64_ldr_lit(rd, rel(j, j->pool + 2 * (uint32_t)k)));
}

/* mov @rd, @v (64-bit, or the low 32 bits when !@sf): the shortest of
 * MOVZ/MOVN + MOVKs or one ORR of a logical immediate. */
static void emit_mov_imm(struct jit *j, int sf, int rd, uint64_t v)
{
	int n = sf ? 4 : 2, zeros = 0, ones = 0, hw, first = 1;

	if (!sf)
		v = (uint32_t)v;
	for (hw = 0; hw < n; hw++) {
		uint16_t h = (uint16_t)(v >> (16 * hw));

		zeros += h == 0;
		ones += h == 0xffff;
	}
	if (zeros < n - 1 && ones < n - 1 && a64_is_logical_imm(sf, v)) {
		emit(j, a64_orr_imm(sf, rd, A64_ZR, v));
		return;
	}
	if (ones > zeros) {
		for (hw = 0; hw < n; hw++) {
			uint16_t h = (uint16_t)(v >> (16 * hw));

			if (h == 0xffff)
				continue;
			emit(j, first ? a64_movn(sf, rd, (uint16_t)~h, hw) : a64_movk(sf, rd, h, hw));
			first = 0;
		}
		if (first)
			emit(j, a64_movn(sf, rd, 0, 0));
		return;
	}
	for (hw = 0; hw < n; hw++) {
		uint16_t h = (uint16_t)(v >> (16 * hw));

		if (h == 0)
			continue;
		emit(j, first ? a64_movz(sf, rd, h, hw) : a64_movk(sf, rd, h, hw));
		first = 0;
	}
	if (first)
		emit(j, a64_movz(sf, rd, 0, 0));
}

/* mov @rd, @rn between general registers (ORR with ZR; for W it zero-extends). */
static void emit_mov_reg(struct jit *j, int sf, int rd, int rn)
{
	emit(j, a64_orr_reg(sf, rd, A64_ZR, rn));
}

/* @rd = @rn + @v (@v taken modulo the width): ADD/SUB (immediate) when
 * @v or -@v fits 12 bits, optionally shifted by 12, else through TMP2
 * (@rd and @rn must not be TMP2). */
static void emit_add_imm(struct jit *j, int sf, int rd, int rn, uint64_t v)
{
	uint64_t mask = sf ? ~UINT64_C(0) : 0xffffffffu;
	uint64_t pos = v & mask, neg = (0 - v) & mask;

	if (pos <= 0xfff)
		emit(j, a64_add_imm(sf, rd, rn, (uint32_t)pos, 0));
	else if (neg <= 0xfff)
		emit(j, a64_sub_imm(sf, rd, rn, (uint32_t)neg, 0));
	else if (!(pos & 0xfff) && pos <= 0xfff000)
		emit(j, a64_add_imm(sf, rd, rn, (uint32_t)(pos >> 12), 1));
	else if (!(neg & 0xfff) && neg <= 0xfff000)
		emit(j, a64_sub_imm(sf, rd, rn, (uint32_t)(neg >> 12), 1));
	else {
		emit_mov_imm(j, sf, TMP2, pos);
		emit(j, a64_add_reg(sf, rd, rn, TMP2));
	}
}

/* Flags of @rn - @imm (the eBPF K operand: sign-extended for 64-bit
 * compares, its 32 bits for JMP32). CMN #-imm sets the same flags as
 * CMP #imm for every nonzero imm that fits. */
static void emit_cmp_imm(struct jit *j, int sf, int rn, int32_t imm)
{
	if (imm >= 0 && imm <= 0xfff)
		emit(j, a64_subs_imm(sf, A64_ZR, rn, (uint32_t)imm, 0));
	else if (imm < 0 && imm >= -0xfff)
		emit(j, a64_adds_imm(sf, A64_ZR, rn, (uint32_t)-imm, 0));
	else {
		emit_mov_imm(j, sf, TMP1, (uint64_t)(int64_t)imm);
		emit(j, a64_subs_reg(sf, A64_ZR, rn, TMP1));
	}
}

static void unsupported(struct jit *j, const struct bvc_insn *in)
{
	fail(j, -EOPNOTSUPP, "unsupported: opcode 0x%02x (src %d off %d imm %d) at insn %zu", in->code,
	     in->src, in->off, in->imm, j->cur);
}

/* ALU and ALU64: the 32-bit forms work on W registers, whose writes clear
 * bits 63:32 — the eBPF zero extension for free. */
static void emit_alu(struct jit *j, const struct bvc_insn *in)
{
	int sf = bvc_insn_class(in) == BVC_ALU64;
	int k = !bvc_insn_srcbit(in);
	int dst = R(in->dst), src = R(in->src);
	uint64_t kv = sf ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm;
	int shmask = sf ? 63 : 31;
	int rs, sh;

	switch (bvc_insn_op(in)) {
	case BVC_ADD:
		if (k)
			emit_add_imm(j, sf, dst, dst, kv);
		else
			emit(j, a64_add_reg(sf, dst, dst, src));
		return;
	case BVC_SUB:
		if (k)
			emit_add_imm(j, sf, dst, dst, 0 - kv);
		else
			emit(j, a64_sub_reg(sf, dst, dst, src));
		return;
	case BVC_AND:
	case BVC_OR:
	case BVC_XOR: {
		uint32_t (*ri)(int, int, int, uint64_t);
		uint32_t (*rr)(int, int, int, int);

		switch (bvc_insn_op(in)) {
		case BVC_AND: ri = a64_and_imm; rr = a64_and_reg; break;
		case BVC_OR: ri = a64_orr_imm; rr = a64_orr_reg; break;
		default: ri = a64_eor_imm; rr = a64_eor_reg; break;
		}
		if (k && a64_is_logical_imm(sf, kv)) {
			emit(j, ri(sf, dst, dst, kv));
			return;
		}
		if (k) {
			emit_mov_imm(j, sf, TMP2, kv);
			src = TMP2;
		}
		emit(j, rr(sf, dst, dst, src));
		return;
	}
	case BVC_MUL:
		if (k) {
			emit_mov_imm(j, sf, TMP2, kv);
			src = TMP2;
		}
		emit(j, a64_madd(sf, dst, dst, src, A64_ZR));
		return;
	case BVC_DIV:
	case BVC_MOD:
		/* UDIV/SDIV give 0 for a zero divisor and wrap INT_MIN / -1, as
		 * eBPF says; the remainder dst - (dst / src) * src then leaves
		 * dst for a zero divisor and gives 0 for -1. No branches. */
		if (in->off != 0 && in->off != 1) {
			unsupported(j, in);
			return;
		}
		rs = src;
		if (k) {
			emit_mov_imm(j, sf, TMP2, kv);
			rs = TMP2;
		}
		if (bvc_insn_op(in) == BVC_DIV) {
			emit(j, in->off ? a64_sdiv(sf, dst, dst, rs) : a64_udiv(sf, dst, dst, rs));
			return;
		}
		emit(j, in->off ? a64_sdiv(sf, TMP1, dst, rs) : a64_udiv(sf, TMP1, dst, rs));
		emit(j, a64_msub(sf, dst, TMP1, rs, dst));
		return;
	case BVC_LSH:
	case BVC_RSH:
	case BVC_ARSH:
		if (!k) {
			/* LSLV/LSRV/ASRV take the amount modulo the width, as eBPF. */
			emit(j, bvc_insn_op(in) == BVC_LSH ? a64_lslv(sf, dst, dst, src) :
				bvc_insn_op(in) == BVC_RSH ? a64_lsrv(sf, dst, dst, src) :
							     a64_asrv(sf, dst, dst, src));
			return;
		}
		sh = (int)(kv & (uint64_t)shmask);
		if (bvc_insn_op(in) == BVC_LSH)
			emit(j, a64_ubfm(sf, dst, dst, (-sh) & shmask, shmask - sh));
		else if (bvc_insn_op(in) == BVC_RSH)
			emit(j, a64_ubfm(sf, dst, dst, sh, shmask));
		else
			emit(j, a64_sbfm(sf, dst, dst, sh, shmask));
		return;
	case BVC_NEG:
		if (!k) {
			unsupported(j, in);
			return;
		}
		emit(j, a64_sub_reg(sf, dst, A64_ZR, dst));
		return;
	case BVC_MOV:
		if (k) {
			if (in->off) {
				unsupported(j, in);
				return;
			}
			emit_mov_imm(j, sf, dst, kv);
			return;
		}
		switch (in->off) {
		case 0:
			/* a 32-bit mov to itself still clears the upper half */
			if (sf && dst == src)
				return;
			emit_mov_reg(j, sf, dst, src);
			return;
		case 8: /* movsx: SXTB/SXTH/SXTW are SBFM #0, #7/#15/#31 */
		case 16:
			emit(j, a64_sbfm(sf, dst, src, 0, in->off - 1));
			return;
		case 32:
			if (sf) {
				emit(j, a64_sbfm(1, dst, src, 0, 31));
				return;
			}
			break;
		}
		unsupported(j, in);
		return;
	case BVC_END:
		if (in->imm != 16 && in->imm != 32 && in->imm != 64) {
			unsupported(j, in);
			return;
		}
		if (!sf && bvc_insn_srcbit(in) == BVC_TO_LE) {
			/* to little-endian on a little-endian CPU: truncate */
			if (in->imm == 16)
				emit(j, a64_ubfm(0, dst, dst, 0, 15));
			else if (in->imm == 32)
				emit_mov_reg(j, 0, dst, dst);
			return;
		}
		if (sf && bvc_insn_srcbit(in) != BVC_TO_LE) {
			unsupported(j, in); /* only ALU64 | END | TO_LE (bswap) exists */
			return;
		}
		/* to big-endian, or the unconditional cpu v4 bswap */
		if (in->imm == 16) {
			emit(j, a64_rev16(0, dst, dst));
			emit(j, a64_ubfm(0, dst, dst, 0, 15));
		} else if (in->imm == 32) {
			emit(j, a64_rev(0, dst, dst));
		} else {
			emit(j, a64_rev(1, dst, dst));
		}
		return;
	}
	unsupported(j, in);
}

/*
 * A load or store of @sz between @rt and [eBPF register @base + @off].
 * Stack accesses become SP-relative (r10 = sp + stack), where the scaled
 * unsigned offset reaches the whole frame; otherwise the scaled form,
 * the unscaled signed 9-bit form, or the offset in TMP1.
 */
static void emit_ldst(struct jit *j, enum a64_ldst op, enum a64_size sz, int rt, int base,
		      int16_t off)
{
	int rn = R(base);
	int32_t o = off;

	if (base == BVC_REG_FP && (int32_t)j->stack + o >= 0) {
		rn = A64_SP;
		o += (int32_t)j->stack;
	}
	if (o >= 0 && !(o & ((1 << sz) - 1)) && (o >> sz) <= 0xfff)
		emit(j, a64_ldst_uimm(op, sz, rt, rn, (uint32_t)o));
	else if (o >= -256 && o <= 255)
		emit(j, a64_ldst_unscaled(op, sz, rt, rn, o));
	else {
		emit_mov_imm(j, 1, TMP1, (uint64_t)(int64_t)o);
		emit(j, a64_ldst_reg(op, sz, rt, rn, TMP1));
	}
}

static enum a64_size a64_size_of(const struct bvc_insn *in)
{
	switch (bvc_insn_size(in)) {
	case BVC_B: return A64_SZ_B;
	case BVC_H: return A64_SZ_H;
	case BVC_W: return A64_SZ_W;
	default: return A64_SZ_X;
	}
}

/*
 * BPF_STX | BPF_ATOMIC as load-exclusive / store-exclusive loops (ARMv8.0,
 * no LSE needed). The value-returning forms are fully ordered as the
 * kernel's are (store-release, then DMB ISH); plain add/or/and/xor are
 * relaxed, as the kernel's atomic_add.
 */
static void emit_atomic(struct jit *j, const struct bvc_insn *in)
{
	int sf = bvc_insn_size(in) == BVC_DW;
	int src = R(in->src), addr = R(in->dst);
	int32_t op = in->imm;
	uint32_t (*alu)(int, int, int, int) = NULL;
	uint32_t loop;

	if (bvc_insn_size(in) != BVC_DW && bvc_insn_size(in) != BVC_W) {
		unsupported(j, in);
		return;
	}
	switch (op & ~BVC_FETCH) {
	case BVC_ADD: alu = a64_add_reg; break;
	case BVC_OR: alu = a64_orr_reg; break;
	case BVC_AND: alu = a64_and_reg; break;
	case BVC_XOR: alu = a64_eor_reg; break;
	default:
		if (op != BVC_XCHG && op != BVC_CMPXCHG) {
			unsupported(j, in);
			return;
		}
	}
	if (in->off) {
		emit_add_imm(j, 1, TMP1, addr, (uint64_t)(int64_t)in->off);
		addr = TMP1;
	}
	loop = j->idx;
	emit(j, a64_ldxr(sf, TMP2, addr));
	if (op == BVC_CMPXCHG) {
		emit(j, a64_subs_reg(sf, A64_ZR, TMP2, R(0)));
		emit(j, a64_b_cond(A64_NE, 3 * 4)); /* over stlxr, cbnz */
		emit(j, a64_stlxr(sf, TMP3, src, addr));
		emit(j, a64_cbnz(0, TMP3, back(j, loop)));
		emit(j, a64_dmb_ish());
		emit_mov_reg(j, sf, R(0), TMP2);
		return;
	}
	if (op == BVC_XCHG) {
		emit(j, a64_stlxr(sf, TMP3, src, addr));
		emit(j, a64_cbnz(0, TMP3, back(j, loop)));
		emit(j, a64_dmb_ish());
		emit_mov_reg(j, sf, src, TMP2);
		return;
	}
	emit(j, alu(sf, TMP3, TMP2, src));
	if (!(op & BVC_FETCH)) {
		emit(j, a64_stxr(sf, TMP4, TMP3, addr));
		emit(j, a64_cbnz(0, TMP4, back(j, loop)));
		return;
	}
	emit(j, a64_stlxr(sf, TMP4, TMP3, addr));
	emit(j, a64_cbnz(0, TMP4, back(j, loop)));
	emit(j, a64_dmb_ish());
	emit_mov_reg(j, sf, src, TMP2);
}

/* Word offset of the code of the instruction @off + 1 after the current
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
 * one (a call or BPF_PSEUDO_FUNC target), or NULL with the error set. */
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

static void emit_tail_call(struct jit *j);

static void emit_jmp(struct jit *j, const struct bvc_insn *in)
{
	static const enum a64_cond conds[16] = {
		[BVC_JEQ >> 4] = A64_EQ,  [BVC_JNE >> 4] = A64_NE,  [BVC_JGT >> 4] = A64_HI,
		[BVC_JGE >> 4] = A64_HS,  [BVC_JLT >> 4] = A64_LO,  [BVC_JLE >> 4] = A64_LS,
		[BVC_JSGT >> 4] = A64_GT, [BVC_JSGE >> 4] = A64_GE, [BVC_JSLT >> 4] = A64_LT,
		[BVC_JSLE >> 4] = A64_LE, [BVC_JSET >> 4] = A64_NE,
	};
	int sf = bvc_insn_class(in) == BVC_JMP;
	int k = !bvc_insn_srcbit(in);
	int dst = R(in->dst), src = R(in->src);
	uint8_t op = bvc_insn_op(in);
	const struct func *f;
	uint32_t t;

	switch (op) {
	case BVC_JA:
		if (!k) {
			unsupported(j, in);
			return;
		}
		/* JMP32 | JA is gotol: the offset is in imm */
		t = jump_target(j, sf ? in->off : in->imm);
		emit(j, a64_b(rel(j, t)));
		return;
	case BVC_JCOND:
		if (!sf || !k || in->src != 0) {
			unsupported(j, in);
			return;
		}
		/* may_goto: jump once the run's budget is spent, else spend one */
		t = jump_target(j, in->off);
		emit(j, a64_cbz(1, BUDGET, rel(j, t)));
		emit(j, a64_sub_imm(1, BUDGET, BUDGET, 1, 0));
		return;
	case BVC_CALL:
		if (!sf || !k) {
			unsupported(j, in); /* callx */
			return;
		}
		if (in->src == BVC_PSEUDO_CALL) {
			f = callee(j, in->imm);
			if (f)
				emit(j, a64_bl(rel(j, f->entry)));
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
		emit_load_lit(j, CALL_REG, BVC_RELOC_HELPER, (uint32_t)in->imm, 0);
		emit(j, a64_blr(CALL_REG));
		emit_mov_reg(j, 1, R(0), A64_X0);
		return;
	case BVC_EXIT:
		if (!sf || !k) {
			unsupported(j, in);
			return;
		}
		f = &j->funcs[j->func_of[j->cur]];
		if (j->cur + 1 != f->end) /* else the epilogue follows */
			emit(j, a64_b(rel(j, f->epi)));
		return;
	}
	if (op == BVC_JSET) {
		if (!k)
			emit(j, a64_ands_reg(sf, A64_ZR, dst, src));
		else if (a64_is_logical_imm(sf, (uint64_t)(int64_t)in->imm))
			emit(j, a64_ands_imm(sf, A64_ZR, dst, (uint64_t)(int64_t)in->imm));
		else {
			emit_mov_imm(j, sf, TMP1, (uint64_t)(int64_t)in->imm);
			emit(j, a64_ands_reg(sf, A64_ZR, dst, TMP1));
		}
	} else if (op == BVC_JEQ || op == BVC_JNE || op == BVC_JGT || op == BVC_JGE ||
		   op == BVC_JLT || op == BVC_JLE || op == BVC_JSGT || op == BVC_JSGE ||
		   op == BVC_JSLT || op == BVC_JSLE) {
		if (k)
			emit_cmp_imm(j, sf, dst, in->imm);
		else
			emit(j, a64_subs_reg(sf, A64_ZR, dst, src));
	} else {
		unsupported(j, in);
		return;
	}
	t = jump_target(j, in->off);
	emit(j, a64_b_cond(conds[op >> 4], rel(j, t)));
}

/* bpf_tail_call(ctx = r1, map = r2, index = r3): see the header. The
 * failure branches go to the next eBPF instruction. */
static void emit_tail_call(struct jit *j)
{
	int32_t map = j->v->facts && j->cur < j->v->fact_cnt ? j->v->facts[j->cur].map_idx : -1;
	uint32_t out = j->addrs[j->cur + 1];

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
	emit_load_lit(j, TMP1, BVC_RELOC_PROG_ARRAY, (uint32_t)map, 0);
	emit_mov_reg(j, 0, R(3), R(3));                             /* the index is a u32 */
	emit(j, a64_ldst_uimm(A64_LDR, A64_SZ_W, TMP2, TMP1, 0));    /* max_entries */
	emit(j, a64_subs_reg(0, A64_ZR, R(3), TMP2));
	emit(j, a64_b_cond(A64_HS, rel(j, out)));
	emit(j, a64_subs_imm(1, A64_ZR, TAIL_CNT, BVC_MAX_TAIL_CALLS, 0));
	emit(j, a64_b_cond(A64_HS, rel(j, out)));
	emit(j, a64_add_imm(1, TAIL_CNT, TAIL_CNT, 1, 0));
	emit(j, a64_ubfm(1, TMP2, R(3), 61, 60));                   /* lsl #3 */
	emit(j, a64_add_reg(1, TMP1, TMP1, TMP2));
	emit(j, a64_ldst_uimm(A64_LDR, A64_SZ_X, TMP1, TMP1, 8));   /* entries[index] */
	emit(j, a64_cbz(1, TMP1, rel(j, out)));
	emit(j, a64_add_imm(1, A64_SP, ENTRY_SP, 0, 0));
	emit(j, a64_br(TMP1));
}

/* LD_ABS / LD_IND: r0 = the runtime intrinsic's big-endian read at the
 * 32-bit signed offset, with ctx = r6 as the kernel's rule says; a
 * negative result (outside the packet) ends the program with r0 = 0. */
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
		/* first, while the source (maybe r1 = x0, r2 = x1) is intact */
		emit_add_imm(j, 0, A64_X1, R(in->src), (uint32_t)in->imm);
		emit(j, a64_sbfm(1, A64_X1, A64_X1, 0, 31)); /* sxtw */
	} else {
		emit_mov_imm(j, 1, A64_X1, (uint64_t)(int64_t)in->imm);
	}
	emit_mov_reg(j, 1, A64_X0, R(6));
	emit_load_lit(j, CALL_REG, BVC_RELOC_RUNTIME, fn, 0);
	emit(j, a64_blr(CALL_REG));
	emit(j, a64_subs_imm(1, A64_ZR, A64_X0, 0, 0));
	emit(j, a64_b_cond(A64_LT, rel(j, j->abort_stub)));
	emit_mov_reg(j, 1, R(0), A64_X0);
}

/* ld_imm64: a constant, a map, a map value (global data) or a function. */
static void emit_ld_imm64(struct jit *j, const struct bvc_insn *in)
{
	int dst = R(in->dst);
	const struct func *f;

	if (j->cur + 1 >= j->cnt || in[1].code != 0) {
		fail(j, -EINVAL, "invalid bpf_ld_imm64 insn %zu", j->cur);
		return;
	}
	switch (in->src) {
	case 0:
		emit_mov_imm(j, 1, dst, bvc_ld_imm64_value(in));
		return;
	case BVC_PSEUDO_MAP_IDX:
	case BVC_PSEUDO_MAP_IDX_VALUE:
		if (in->imm < 0 || (j->have_img && (size_t)in->imm >= j->map_cnt)) {
			fail(j, -EINVAL, "insn %zu: map index %d out of range", j->cur, in->imm);
			return;
		}
		if (in->src == BVC_PSEUDO_MAP_IDX)
			emit_load_lit(j, dst, BVC_RELOC_MAP, (uint32_t)in->imm, 0);
		else
			emit_load_lit(j, dst, BVC_RELOC_MAP_VALUE, (uint32_t)in->imm, in[1].imm);
		return;
	case BVC_PSEUDO_FUNC:
		f = callee(j, in->imm);
		if (f)
			emit(j, a64_adr(dst, rel(j, f->c_entry)));
		return;
	}
	unsupported(j, in);
}

/* One eBPF instruction; returns how many it consumed (2 for ld_imm64). */
static size_t emit_insn(struct jit *j, const struct bvc_insn *in)
{
	uint8_t cls = bvc_insn_class(in);

	switch (cls) {
	case BVC_ALU:
	case BVC_ALU64:
		emit_alu(j, in);
		return 1;
	case BVC_JMP:
	case BVC_JMP32:
		emit_jmp(j, in);
		return 1;
	case BVC_LDX:
		if (bvc_insn_mode(in) == BVC_MEM)
			emit_ldst(j, A64_LDR, a64_size_of(in), R(in->dst), in->src, in->off);
		else if (bvc_insn_mode(in) == BVC_MEMSX && bvc_insn_size(in) != BVC_DW)
			emit_ldst(j, A64_LDRS, a64_size_of(in), R(in->dst), in->src, in->off);
		else
			unsupported(j, in);
		return 1;
	case BVC_ST:
		if (bvc_insn_mode(in) != BVC_MEM) {
			unsupported(j, in);
			return 1;
		}
		if (in->imm == 0) {
			emit_ldst(j, A64_STR, a64_size_of(in), A64_ZR, in->dst, in->off);
			return 1;
		}
		emit_mov_imm(j, bvc_insn_size(in) == BVC_DW, TMP2, (uint64_t)(int64_t)in->imm);
		emit_ldst(j, A64_STR, a64_size_of(in), TMP2, in->dst, in->off);
		return 1;
	case BVC_STX:
		if (bvc_insn_mode(in) == BVC_MEM)
			emit_ldst(j, A64_STR, a64_size_of(in), R(in->src), in->dst, in->off);
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

/* Push the frame record and the callee-saved registers; set up r10 and
 * this function's stack area. The entry also saves x26/x27 for its
 * caller, remembers its SP for aborts and starts the may_goto budget. */
static void emit_prologue(struct jit *j, int entry)
{
	emit(j, a64_stp_pre(A64_FP, A64_LR, A64_SP, -16));
	emit(j, a64_add_imm(1, A64_FP, A64_SP, 0, 0));
	emit(j, a64_stp_pre(A64_X19, A64_X20, A64_SP, -16));
	emit(j, a64_stp_pre(A64_X21, A64_X22, A64_SP, -16));
	if (entry) {
		emit(j, a64_stp_pre(A64_X25, A64_X26, A64_SP, -16));
		emit(j, a64_stp_pre(A64_X27, A64_X28, A64_SP, -16));
		emit(j, a64_add_imm(1, ENTRY_SP, A64_SP, 0, 0));
		emit_mov_imm(j, 1, BUDGET, MAY_GOTO_BUDGET);
		if (j->tail) {
			emit(j, a64_movz(1, TAIL_CNT, 0, 0));
			j->tail_entry = j->idx;
		}
	} else {
		/* not x26: the may_goto budget is the whole run's */
		emit(j, a64_str_pre(A64_X25, A64_SP, -16));
	}
	emit(j, a64_add_imm(1, R(BVC_REG_FP), A64_SP, 0, 0));
	if (j->stack)
		emit(j, a64_sub_imm(1, A64_SP, A64_SP, j->stack, 0));
	/* A zeroed frame for every run, call and tail call, as the
	 * interpreter gives: the verifier lets privileged programs read stack
	 * they never wrote, and natively that would be the host's leftovers. */
	for (uint32_t k = 0; k < j->stack; k += 8)
		emit(j, a64_ldst_uimm(A64_STR, A64_SZ_X, A64_ZR, A64_SP, k));
}

/* Undo the prologue; the result goes to x0 too, so a function is also
 * callable from C (BPF_PSEUDO_FUNC callbacks). */
static void emit_epilogue(struct jit *j, int entry)
{
	if (entry) {
		emit(j, a64_add_imm(1, A64_SP, ENTRY_SP, 0, 0));
		emit(j, a64_ldp_post(A64_X27, A64_X28, A64_SP, 16));
		emit(j, a64_ldp_post(A64_X25, A64_X26, A64_SP, 16));
	} else {
		emit(j, a64_add_imm(1, A64_SP, R(BVC_REG_FP), 0, 0));
		emit(j, a64_ldr_post(A64_X25, A64_SP, 16));
	}
	emit(j, a64_ldp_post(A64_X21, A64_X22, A64_SP, 16));
	emit(j, a64_ldp_post(A64_X19, A64_X20, A64_SP, 16));
	emit(j, a64_ldp_post(A64_FP, A64_LR, A64_SP, 16));
	emit_mov_reg(j, 1, A64_X0, R(0));
	emit(j, a64_ret(A64_LR));
}

/*
 * The address a BPF_PSEUDO_FUNC gives: a helper calls it as a C function
 * (callbacks). The function itself keeps x26 (the run's may_goto budget)
 * as its caller left it, which a C caller does not expect, so this stub
 * saves x26/x27 for the C caller and gives the callback a fresh budget.
 */
static void emit_c_entry(struct jit *j, const struct func *fn)
{
	emit(j, a64_stp_pre(A64_FP, A64_LR, A64_SP, -16));
	emit(j, a64_add_imm(1, A64_FP, A64_SP, 0, 0));
	emit(j, a64_stp_pre(BUDGET, ENTRY_SP, A64_SP, -16));
	emit_mov_imm(j, 1, BUDGET, MAY_GOTO_BUDGET);
	emit(j, a64_bl(back(j, fn->entry)));
	emit(j, a64_ldp_post(BUDGET, ENTRY_SP, A64_SP, 16));
	emit(j, a64_ldp_post(A64_FP, A64_LR, A64_SP, 16));
	emit(j, a64_ret(A64_LR));
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
		j->stack = fn->stack; /* FP-relative accesses in its body use it too */
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
			emit(j, a64_movz(1, R(0), 0, 0));
			emit(j, a64_b(rel(j, fn->epi)));
		}
		if (fn->is_cb) {
			fn->c_entry = j->idx;
			emit_c_entry(j, fn);
		}
	}
	j->addrs[j->cnt] = j->idx;
	if (j->idx & 1)
		emit(j, a64_nop()); /* 8-align the pool */
	j->pool = j->idx;
	j->idx += 2 * (uint32_t)j->nlits;
}

/* Split the program into functions: insn 0 and every target of a
 * bpf-to-bpf call or a BPF_PSEUDO_FUNC ld_imm64 start one. */
static int find_funcs(struct jit *j)
{
	uint8_t *start = calloc(j->cnt, 1); /* 1: function start, 3: and callback */
	size_t i, f;

	if (!start)
		return -ENOMEM;
	start[0] = 1;
	for (i = 0; i < j->cnt; i++) {
		const struct bvc_insn *in = &j->insns[i];
		int is_call = bvc_insn_is_pseudo_call(in);
		int is_func = bvc_insn_is_ld_imm64(in) && in->src == BVC_PSEUDO_FUNC;

		if (in->code == (BVC_LD | BVC_ABS | bvc_insn_size(in)) ||
		    in->code == (BVC_LD | BVC_IND | bvc_insn_size(in)))
			j->has_ldabs = 1; /* the entry then carries the abort stub */
		if (is_call || is_func) {
			int64_t t = (int64_t)i + 1 + in->imm;

			if (t < 0 || (uint64_t)t >= j->cnt) {
				free(start);
				fail(j, -EINVAL, "%s out of range from insn %zu to %lld",
				     is_call ? "call" : "function pointer", i, (long long)t);
				return j->err;
			}
			start[t] |= is_func ? 3 : 1;
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
			j->funcs[f].is_cb = start[i] == 3;
			j->funcs[f++].start = i;
		}
		j->func_of[i] = f - 1;
	}
	j->funcs[f - 1].end = j->cnt;
	free(start);
	return 0;
}


int bvc_jit_arm64(const struct bvc_image *img, const struct bvc_prog *prog,
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
			snprintf(err, errsz, "bvc_jit_arm64: missing argument");
		return -EINVAL;
	}
	/* regmap has a slot for r0..r10 only. */
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
	if (v->stack_depth > MAX_STACK - 15) {
		fail(&j, -EOPNOTSUPP, "unsupported: stack depth %u", v->stack_depth);
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
	/* Each function reserves its own frame (the verifier's
	 * per-function depth) where the verdict gives it. */
	for (size_t f = 0; f < j.nfuncs; f++)
		j.funcs[f].stack = bvc_jit_func_frame(v, j.funcs[f].start);

	/* Pass 1: sizes and addresses. */
	emit_program(&j);
	if (j.err)
		goto out_err;
	size = (size_t)j.idx * 4;
	if (size > MAX_CODE_BYTES) {
		fail(&j, -E2BIG, "unsupported: %s is %zu bytes of arm64 code, past the 1 MiB reach of its branches",
		     prog && prog->name[0] ? prog->name : "program", size);
		goto out_err;
	}

	/* Pass 2: the code, against the addresses of pass 1. */
	{
		uint32_t words = j.idx, pool = j.pool;
		size_t nlits = j.nlits;

		j.buf = calloc(1, size);
		if (!j.buf) {
			rc = -ENOMEM;
			goto out;
		}
		emit_program(&j);
		if (j.err)
			goto out_err;
		if (j.idx != words || j.pool != pool || j.nlits != nlits) {
			/* Defensive: the two passes must agree. */
			fail(&j, -EFAULT, "internal error: arm64 passes disagree (%u/%u words)", j.idx,
			     words);
			goto out_err;
		}
	}
	res->relocs = calloc(j.nlits ? j.nlits : 1, sizeof(*res->relocs));
	if (!res->relocs) {
		rc = -ENOMEM;
		goto out;
	}
	for (k = 0; k < j.nlits; k++) {
		res->relocs[k].offset = (j.pool + 2 * (uint32_t)k) * 4;
		res->relocs[k].kind = j.lits[k].kind;
		res->relocs[k].target = j.lits[k].target;
		res->relocs[k].addend = j.lits[k].addend;
	}
	res->reloc_cnt = j.nlits;
	res->code = j.buf;
	res->code_size = size;
	res->entry_off = 0;
	res->tail_entry_off = j.tail ? (size_t)j.tail_entry * 4 : 0;
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
