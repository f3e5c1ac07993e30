// SPDX-License-Identifier: MIT
/*
 * x86_64 back end: System V x86-64 code from lowered, verified eBPF.
 *
 * Translation. One eBPF instruction becomes a few calls to the encoders of
 * emit.c; every BPF register lives in one x86 register for the whole
 * program (reg_map below), so there is no spilling and no allocation.
 * The semantics are the reference interpreter's (runtime/interp.c), spelled
 * out where x86 differs: division by zero and INT_MIN / -1 are tested for
 * before DIV/IDIV (which would trap), constant shift counts are masked like
 * the hardware masks register counts, and every 32-bit operation leaves a
 * zero-extended result (32-bit x86 operations do, except CMPXCHG's success
 * path, which gets an explicit mov eax, eax).
 *
 * Layout. The program's functions (entry at instruction 0, then every
 * bpf-to-bpf call or ld_imm64 BPF_PSEUDO_FUNC target) are laid out in
 * order, each a System V function:
 *
 *	push rbp; mov rbp, rsp          rbp is BPF r10: the top of the frame
 *	sub rsp, frame (+ 8 to align)   the BPF stack: [rbp - frame, rbp)
 *	push the r6..r9 it uses         callee-saved, as BPF and System V want
 *	... body ...
 *	pop ...; leave; ret             the epilogue every EXIT jumps to
 *
 * so a bpf-to-bpf call is a plain CALL: the arguments are already in
 * place, the callee gets its own frame and r10, and r6..r9 come back
 * unchanged. The entry is `uint64_t entry(void *ctx)`; it also takes a
 * second argument into r2 (harmless for real programs, used by the
 * conformance vectors that pass memory and length) and zeroes every other
 * register the program mentions, as the interpreter starts with them 0.
 * The BPF stack itself is not cleared; the verifier sees to it that a
 * program never depends on its contents before writing them.
 *
 * Jumps are fixed up by re-running the translation: the first pass uses
 * rel32 everywhere; each later pass turns a jump into rel8 when the last
 * pass's layout shows it fits, and never back, so code only shrinks and
 * the passes converge; the pass that changes nothing has exact
 * displacements and is the result (checked once more at the end).
 *
 * Absolute addresses are never in the code: helpers, maps, global data and
 * runtime intrinsics are `movabs reg, 0` with a relocation for the imm64.
 *
 * Tail calls. When the image has a prog_array (so the blob may hold several
 * programs), the entry function has a fixed frame instead:
 *
 *	push rbp, rbx, r13, r14, r15, r12; sub rsp, 8   all callee-saved, always
 *	xor r12d, r12d                   r12: tail calls made in this run
 *   tail entry:
 *	mov rbp, rsp; sub rsp, frame     this program's own BPF stack
 *
 * and bpf_tail_call (helper 12) is inline code: the index (32 bits) against
 * the prog_array table's max_entries (BVC_RELOC_PROG_ARRAY,
 * bvc_dev_prog_array), r12 against BVC_MAX_TAIL_CALLS, r12 + 1, the slot's
 * address (0: empty), then `mov rsp, rbp; jmp slot`: the caller's frame is
 * dropped and the callee sets up its own from its tail entry, keeping r1
 * (ctx) and r12. Every program of a blob has the same saves, so whichever
 * program runs last restores the caller's registers. A failed tail call
 * goes on with the next instruction (r0..r5 are not defined after it, the
 * verifier sees to that). Only the entry function may tail-call.
 *
 * Must not: emit code for an instruction it cannot translate exactly (that
 * is "unsupported: ..."), pick the target from the host, or print.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../jitter_internal.h"
#include "bpfvc/isa.h"
#include "emit.h"

/*
 * BPF register -> x86 register. r1..r5 are the System V argument registers
 * in order, so a helper call needs no moves; r0 is rax, where a helper's
 * and the program's result are returned; r6..r9 are callee-saved in System
 * V, so they survive helper calls without saves, as BPF requires; r10 is
 * rbp, the frame pointer. rsp, r9, r10, r11 and r12 are left over: r9..r11
 * are the scratch registers below (caller-saved, so calls may clobber
 * them), r12 is unused (as a base it would need a SIB byte).
 */
static const enum x86_reg reg_map[BVC_MAX_REG] = {
	X86_RAX, X86_RDI, X86_RSI, X86_RDX, X86_RCX, X86_R8,
	X86_RBX, X86_R13, X86_R14, X86_R15, X86_RBP,
};

/* Scratch registers, never holding BPF state across instructions. */
#define AUX1 X86_R9
#define AUX2 X86_R10
#define AUX3 X86_R11

#define MAX_INSNS (1u << 22)  /* keeps every code offset well inside int32 */
#define MAX_STACK 512         /* bytes per call chain, as the kernel's MAX_BPF_STACK */
#define SHRINK_PASSES 16      /* passes that may turn jumps into rel8 */
#define MAX_PASSES (SHRINK_PASSES + 3)
#define R6_R9 0x3c0           /* bits of r6..r9 in a register mask */

/* One function of the program. */
struct func {
	size_t start;     /* first instruction */
	size_t end;       /* one past the last */
	uint32_t frame;   /* bytes of BPF stack its frame reserves (16-aligned) */
	uint16_t saved;   /* mask of r6..r9 the prologue pushes */
	uint16_t zeroed;  /* entry only: registers cleared at entry */
	int ld_abs;       /* has LD_ABS/LD_IND: needs the return-0 exit */
};

/* One jump to a label, in the order the translation emits them. */
struct site {
	uint32_t start;   /* its offset in the last pass */
	uint8_t is_short; /* rel8 form; once set, stays set */
};

struct jit {
	struct x86_emit e;            /* the code; e.err/e.msg is the sticky error */
	const struct bvc_insn *insns; /* the lowered program */
	size_t cnt;                   /* instructions in @insns */
	struct func *funcs;           /* in program order, funcs[0] at insn 0 */
	size_t nfuncs;                /* entries in @funcs */
	uint8_t *second_half;         /* per insn: the second half of an ld_imm64 */
	size_t nlabels;               /* see label_* below */
	uint32_t *label;              /* label offsets of this pass */
	uint32_t *prev;               /* label offsets of the last pass */
	struct site *sites;           /* jump sites (counted in pass 1) */
	size_t nsites;                /* jump sites in a pass */
	size_t site_cap;              /* allocated entries of @sites */
	size_t site_idx;              /* next site of this pass */
	int pass;                     /* 1, 2, ... */
	int changed;                  /* this pass made a jump short */
	int bad_disp;                 /* a rel8 did not fit (fine until the last pass) */
	struct bvc_reloc *relocs;     /* relocations of this pass */
	size_t nrelocs;               /* entries of @relocs in use */
	size_t reloc_cap;             /* allocated entries of @relocs */
	uint32_t frame;               /* bytes of BPF stack per function, multiple of 16 */
	int tail;                     /* tail-call layout (the image has a prog_array) */
	size_t tail_entry;            /* this pass: offset of the entry's tail entry */
	const struct bvc_verdict *v;  /* the verifier's facts (maps per call) */
};

/* Labels: the start of every instruction's code (and cnt: the end), then
 * for each function its entry (the prologue, where calls go), its epilogue
 * and its return-0 exit. */
#define LABELS_PER_FUNC 3

static size_t label_insn(size_t i)
{
	return i;
}

static size_t label_entry(const struct jit *j, size_t f)
{
	return j->cnt + 1 + LABELS_PER_FUNC * f;
}

static size_t label_epilogue(const struct jit *j, size_t f)
{
	return j->cnt + 2 + LABELS_PER_FUNC * f;
}

static size_t label_zero(const struct jit *j, size_t f)
{
	return j->cnt + 3 + LABELS_PER_FUNC * f;
}

/* The function starting at instruction @start (check_program() made sure
 * there is one). */
static size_t func_at(const struct jit *j, size_t start)
{
	size_t lo = 0, hi = j->nfuncs;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (j->funcs[mid].start <= start)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static void fail(struct jit *j, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record the first error; the encoders stop writing after it. */
static void fail(struct jit *j, int err, const char *fmt, ...)
{
	char msg[sizeof(j->e.msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	x86_emit_fail(&j->e, err, msg);
}

static void unsupported(struct jit *j, size_t i, const char *what)
{
	fail(j, -EOPNOTSUPP, "unsupported: %s (opcode %02x) at insn %zu", what, j->insns[i].code,
	     i);
}

static void add_reloc(struct jit *j, size_t offset, uint32_t kind, uint32_t target, int32_t addend)
{
	if (j->e.err)
		return;
	if (j->nrelocs == j->reloc_cap) {
		size_t cap = j->reloc_cap ? 2 * j->reloc_cap : 16;
		struct bvc_reloc *r = realloc(j->relocs, cap * sizeof(*r));

		if (!r) {
			fail(j, -ENOMEM, "out of memory for relocations");
			return;
		}
		j->relocs = r;
		j->reloc_cap = cap;
	}
	j->relocs[j->nrelocs++] = (struct bvc_reloc){
		.offset = (uint32_t)offset,
		.kind = kind,
		.target = target,
		.addend = addend,
	};
}

/* The displacement from @end to @label, by the last pass's layout. */
static int64_t disp_to(const struct jit *j, size_t label, size_t end)
{
	return (int64_t)j->prev[label] - (int64_t)end;
}

/*
 * JMP (@cc < 0) or Jcc to @label, rel8 when this site is short. A site
 * becomes short when, in the last pass's layout, its rel8 form would fit:
 * a forward jump keeps its displacement when it shrinks (it and its target
 * move together), a backward one gains the bytes it saves.
 */
static void emit_jump(struct jit *j, int cc, size_t label)
{
	size_t long_size = cc < 0 ? X86_JMP32_SIZE : X86_JCC32_SIZE;
	struct site *s;
	int64_t d;

	if (j->e.err)
		return;
	if (j->pass == 1) {
		if (j->nsites == j->site_cap) {
			size_t cap = j->site_cap ? 2 * j->site_cap : 64;
			struct site *p = realloc(j->sites, cap * sizeof(*p));

			if (!p) {
				fail(j, -ENOMEM, "out of memory for jumps");
				return;
			}
			j->sites = p;
			j->site_cap = cap;
		}
		s = &j->sites[j->nsites++];
		s->is_short = 0;
	} else {
		if (j->site_idx >= j->nsites) {
			fail(j, -EFAULT, "internal: jump sites differ between passes");
			return;
		}
		s = &j->sites[j->site_idx];
		if (!s->is_short && j->pass <= SHRINK_PASSES) {
			if (j->prev[label] > s->start)
				d = disp_to(j, label, s->start + long_size);
			else
				d = disp_to(j, label, s->start + 2);
			if (d >= -128 && d <= 127) {
				s->is_short = 1;
				j->changed = 1;
			}
		}
	}
	j->site_idx++;
	s->start = (uint32_t)j->e.len;
	if (s->is_short) {
		d = disp_to(j, label, j->e.len + 2);
		if (d < -128 || d > 127) {
			j->bad_disp = 1;
			d = 0;
		}
		if (cc < 0)
			x86_jmp8(&j->e, (int8_t)d);
		else
			x86_jcc8(&j->e, (enum x86_cc)cc, (int8_t)d);
	} else {
		d = disp_to(j, label, j->e.len + long_size);
		if (cc < 0)
			x86_jmp32(&j->e, (int32_t)d);
		else
			x86_jcc32(&j->e, (enum x86_cc)cc, (int32_t)d);
	}
}

/* ---- ALU ---- */

/* MOV, incl. the cpu v4 sign-extending MOVSX (off 8/16/32). */
static void do_mov(struct jit *j, size_t i, int w)
{
	const struct bvc_insn *insn = &j->insns[i];
	enum x86_reg dst = reg_map[insn->dst], src = reg_map[insn->src];
	struct x86_emit *e = &j->e;

	if (!bvc_insn_srcbit(insn)) {
		if (insn->off) {
			unsupported(j, i, "mov with an offset");
			return;
		}
		if (insn->imm == 0)
			x86_alu_rr(e, X86_XOR, 0, dst, dst);
		else if (w && insn->imm < 0)
			x86_mov_ri_sx(e, dst, insn->imm);
		else
			x86_mov_ri32(e, dst, (uint32_t)insn->imm);
		return;
	}
	switch (insn->off) {
	case 0:
		/* mov r32, r32 also zero-extends, so it is never a no-op. */
		if (!w || dst != src)
			x86_mov_rr(e, w, dst, src);
		return;
	case 8:
	case 16:
		x86_movsx_rr(e, w, dst, src, insn->off);
		return;
	case 32:
		if (w) {
			x86_movsx_rr(e, 1, dst, src, 32);
			return;
		}
		break;
	case BVC_ADDR_SPACE_CAST:
		if (w) {
			unsupported(j, i, "addr_space_cast");
			return;
		}
		break;
	}
	unsupported(j, i, "mov with this offset");
}

/* LSH/RSH/ARSH. x86 masks a count in cl to 5 or 6 bits as BPF does;
 * constants are masked here the same way. */
static void do_shift(struct jit *j, size_t i, int w, enum x86_shift op)
{
	const struct bvc_insn *insn = &j->insns[i];
	enum x86_reg dst = reg_map[insn->dst], src = reg_map[insn->src];
	struct x86_emit *e = &j->e;
	uint8_t n;

	if (!bvc_insn_srcbit(insn)) {
		n = (uint8_t)(insn->imm & (w ? 63 : 31));
		if (n)
			x86_shift_ri(e, op, w, dst, n);
		else if (!w)
			x86_mov_rr(e, 0, dst, dst); /* a 32-bit result is zero-extended */
		return;
	}
	if (src == X86_RCX) {
		x86_shift_cl(e, op, w, dst);
		return;
	}
	/* The count must be in cl, and rcx is BPF r4: park it in AUX3. */
	x86_mov_rr(e, 1, AUX3, X86_RCX);
	x86_mov_rr(e, 0, X86_RCX, src);
	if (dst == X86_RCX) {
		x86_shift_cl(e, op, w, AUX3);
		x86_mov_rr(e, 1, X86_RCX, AUX3);
	} else {
		x86_shift_cl(e, op, w, dst);
		x86_mov_rr(e, 1, X86_RCX, AUX3);
	}
}

/*
 * DIV/MOD, unsigned (off 0) and signed (off 1). DIV/IDIV work on rdx:rax,
 * which hold BPF r3 and r0: both are parked in AUX1/AUX2 and given back.
 * x / 0 = 0, x % 0 = x, x s/ -1 = -x, x s% -1 = 0 are tested for first:
 * the hardware would trap on the first and on INT_MIN / -1.
 */
static void do_divmod(struct jit *j, size_t i, int w)
{
	const struct bvc_insn *insn = &j->insns[i];
	enum x86_reg dst = reg_map[insn->dst], src = reg_map[insn->src], res;
	int is_mod = bvc_insn_op(insn) == BVC_MOD, is_signed = insn->off == 1;
	int x = bvc_insn_srcbit(insn);
	struct x86_emit *e = &j->e;
	size_t jz = 0, jm1 = 0, jdone = 0, jdone2 = 0;

	if (insn->off != 0 && insn->off != 1) {
		unsupported(j, i, "div/mod with this offset");
		return;
	}
	if (!x) {
		if (insn->imm == 0) {
			if (!is_mod)
				x86_alu_rr(e, X86_XOR, 0, dst, dst);
			else if (!w)
				x86_mov_rr(e, 0, dst, dst);
			return;
		}
		if (is_signed && insn->imm == -1) {
			if (is_mod)
				x86_alu_rr(e, X86_XOR, 0, dst, dst);
			else
				x86_neg(e, w, dst);
			return;
		}
		if (w)
			x86_mov_ri_sx(e, AUX3, insn->imm);
		else
			x86_mov_ri32(e, AUX3, (uint32_t)insn->imm);
	} else {
		x86_mov_rr(e, 1, AUX3, src);
	}
	if (dst != X86_RAX)
		x86_mov_rr(e, 1, AUX1, X86_RAX);
	if (dst != X86_RDX)
		x86_mov_rr(e, 1, AUX2, X86_RDX);
	if (dst != X86_RAX)
		x86_mov_rr(e, 1, X86_RAX, dst);
	if (x) {
		x86_test_rr(e, w, AUX3, AUX3);
		jz = x86_jcc8(e, X86_CC_E, 0);
		if (is_signed) {
			x86_alu_ri(e, X86_CMP, w, AUX3, -1);
			jm1 = x86_jcc8(e, X86_CC_E, 0);
		}
	}
	if (is_signed) {
		x86_cqo(e, w);
		x86_idiv(e, w, AUX3);
	} else {
		x86_alu_rr(e, X86_XOR, 0, X86_RDX, X86_RDX);
		x86_div(e, w, AUX3);
	}
	if (x) {
		jdone = x86_jmp8(e, 0);
		x86_patch_rel8(e, jz);
		if (is_mod)
			x86_mov_rr(e, w, X86_RDX, X86_RAX);
		else
			x86_alu_rr(e, X86_XOR, 0, X86_RAX, X86_RAX);
		if (is_signed) {
			jdone2 = x86_jmp8(e, 0);
			x86_patch_rel8(e, jm1);
			if (is_mod)
				x86_alu_rr(e, X86_XOR, 0, X86_RDX, X86_RDX);
			else
				x86_neg(e, w, X86_RAX);
			x86_patch_rel8(e, jdone2);
		}
		x86_patch_rel8(e, jdone);
	}
	res = is_mod ? X86_RDX : X86_RAX;
	if (dst != res)
		x86_mov_rr(e, 1, dst, res);
	if (dst != X86_RAX)
		x86_mov_rr(e, 1, X86_RAX, AUX1);
	if (dst != X86_RDX)
		x86_mov_rr(e, 1, X86_RDX, AUX2);
}

/* BPF_END: to little endian is a truncation here, to big endian (and the
 * cpu v4 ALU64 bswap) a byte swap. */
static void do_end(struct jit *j, size_t i, int w)
{
	const struct bvc_insn *insn = &j->insns[i];
	enum x86_reg dst = reg_map[insn->dst];
	int swap = w || bvc_insn_srcbit(insn) == BVC_TO_BE;
	struct x86_emit *e = &j->e;

	if (w && bvc_insn_srcbit(insn) != BVC_TO_LE) {
		unsupported(j, i, "64-bit byte swap with the source bit set");
		return;
	}
	switch (insn->imm) {
	case 16:
		if (swap)
			x86_rol16_8(e, dst);
		x86_movzx_rr(e, dst, dst, 16);
		return;
	case 32:
		if (swap)
			x86_bswap(e, 0, dst);
		else
			x86_mov_rr(e, 0, dst, dst);
		return;
	case 64:
		if (swap)
			x86_bswap(e, 1, dst);
		return;
	}
	unsupported(j, i, "byte swap of this width");
}

/* BPF ALU and atomic operations that are one x86 ALU-group instruction. */
static int alu_op_of(int32_t bpf_op, enum x86_alu *op)
{
	switch (bpf_op) {
	case BVC_ADD: *op = X86_ADD; return 1;
	case BVC_SUB: *op = X86_SUB; return 1;
	case BVC_AND: *op = X86_AND; return 1;
	case BVC_OR: *op = X86_OR; return 1;
	case BVC_XOR: *op = X86_XOR; return 1;
	}
	return 0;
}

static void do_alu(struct jit *j, size_t i)
{
	const struct bvc_insn *insn = &j->insns[i];
	int w = bvc_insn_class(insn) == BVC_ALU64, x = bvc_insn_srcbit(insn);
	enum x86_reg dst = reg_map[insn->dst], src = reg_map[insn->src];
	struct x86_emit *e = &j->e;
	enum x86_alu op;

	if (alu_op_of(bvc_insn_op(insn), &op)) {
		if (x)
			x86_alu_rr(e, op, w, dst, src);
		else
			x86_alu_ri(e, op, w, dst, insn->imm);
		return;
	}
	switch (bvc_insn_op(insn)) {
	case BVC_MUL:
		if (x)
			x86_imul_rr(e, w, dst, src);
		else
			x86_imul_rri(e, w, dst, dst, insn->imm);
		return;
	case BVC_NEG:
		if (x)
			break;
		x86_neg(e, w, dst);
		return;
	case BVC_MOV:
		do_mov(j, i, w);
		return;
	case BVC_LSH:
		do_shift(j, i, w, X86_SHL);
		return;
	case BVC_RSH:
		do_shift(j, i, w, X86_SHR);
		return;
	case BVC_ARSH:
		do_shift(j, i, w, X86_SAR);
		return;
	case BVC_DIV:
	case BVC_MOD:
		do_divmod(j, i, w);
		return;
	case BVC_END:
		do_end(j, i, w);
		return;
	}
	unsupported(j, i, "ALU operation");
}

/* ---- memory ---- */

/* BPF_STX | BPF_ATOMIC of 4 or 8 bytes. */
static void do_atomic(struct jit *j, size_t i)
{
	const struct bvc_insn *insn = &j->insns[i];
	enum x86_reg base = reg_map[insn->dst], src = reg_map[insn->src];
	int w = bvc_insn_size(insn) == BVC_DW;
	struct x86_emit *e = &j->e;
	enum x86_alu op = X86_ADD;
	size_t loop;

	switch (insn->imm) {
	case BVC_ADD:
	case BVC_OR:
	case BVC_AND:
	case BVC_XOR:
		alu_op_of(insn->imm, &op);
		x86_lock_alu(e, op, w, base, insn->off, src);
		return;
	case BVC_ADD | BVC_FETCH:
		x86_lock_xadd(e, w, base, insn->off, src);
		return;
	case BVC_XCHG:
		x86_xchg(e, w, base, insn->off, src);
		return;
	case BVC_CMPXCHG:
		x86_lock_cmpxchg(e, w, base, insn->off, src);
		if (!w)
			x86_mov_rr(e, 0, X86_RAX, X86_RAX); /* success leaves rax's top half */
		return;
	case BVC_OR | BVC_FETCH:
	case BVC_AND | BVC_FETCH:
	case BVC_XOR | BVC_FETCH:
		alu_op_of(insn->imm & ~BVC_FETCH, &op);
		break;
	default:
		unsupported(j, i, "atomic operation");
		return;
	}
	/*
	 * No x86 instruction fetches the old value of an OR/AND/XOR: loop on
	 * CMPXCHG, which needs rax (BPF r0, parked in AUX1; when the source
	 * is r0 its value is read from there).
	 */
	x86_lea(e, AUX2, base, insn->off);
	x86_mov_rr(e, 1, AUX1, X86_RAX);
	x86_load(e, w ? 8 : 4, X86_RAX, AUX2, 0);
	loop = e->len;
	x86_mov_rr(e, 1, AUX3, X86_RAX);
	x86_alu_rr(e, op, w, AUX3, src == X86_RAX ? AUX1 : src);
	x86_lock_cmpxchg(e, w, AUX2, 0, AUX3);
	x86_jcc8(e, X86_CC_NE, (int8_t)((int64_t)loop - (int64_t)(e->len + X86_JCC8_SIZE)));
	if (src != X86_RAX) {
		x86_mov_rr(e, w, src, X86_RAX);
		x86_mov_rr(e, 1, X86_RAX, AUX1);
	} else if (!w) {
		x86_mov_rr(e, 0, X86_RAX, X86_RAX);
	}
}

static void do_ldx(struct jit *j, size_t i)
{
	const struct bvc_insn *insn = &j->insns[i];
	int n = bvc_size_bytes(bvc_insn_size(insn));

	switch (bvc_insn_mode(insn)) {
	case BVC_MEM:
		x86_load(&j->e, n, reg_map[insn->dst], reg_map[insn->src], insn->off);
		return;
	case BVC_MEMSX:
		if (n == 8)
			break;
		x86_load_sx(&j->e, n, reg_map[insn->dst], reg_map[insn->src], insn->off);
		return;
	}
	unsupported(j, i, "load mode");
}

static void do_st(struct jit *j, size_t i)
{
	const struct bvc_insn *insn = &j->insns[i];
	int n = bvc_size_bytes(bvc_insn_size(insn));

	if (bvc_insn_mode(insn) != BVC_MEM) {
		unsupported(j, i, "store mode");
		return;
	}
	x86_store_i(&j->e, n, reg_map[insn->dst], insn->off, insn->imm);
}

static void do_stx(struct jit *j, size_t i)
{
	const struct bvc_insn *insn = &j->insns[i];
	int n = bvc_size_bytes(bvc_insn_size(insn));

	switch (bvc_insn_mode(insn)) {
	case BVC_MEM:
		x86_store_r(&j->e, n, reg_map[insn->dst], insn->off, reg_map[insn->src]);
		return;
	case BVC_ATOMIC:
		if (n == 4 || n == 8) {
			do_atomic(j, i);
			return;
		}
		break;
	}
	unsupported(j, i, "store mode");
}

/* ld_imm64: a constant, or a relocated address, or a function's address. */
static void do_ld_imm64(struct jit *j, size_t i)
{
	const struct bvc_insn *insn = &j->insns[i];
	enum x86_reg dst = reg_map[insn->dst];
	uint64_t v = bvc_ld_imm64_value(insn);
	struct x86_emit *e = &j->e;
	size_t at, t;

	switch (insn->src) {
	case 0:
		if (!v)
			x86_alu_rr(e, X86_XOR, 0, dst, dst);
		else if (v <= UINT32_MAX)
			x86_mov_ri32(e, dst, (uint32_t)v);
		else if ((int64_t)v == (int32_t)v)
			x86_mov_ri_sx(e, dst, (int32_t)v);
		else
			x86_movabs(e, dst, v);
		return;
	case BVC_PSEUDO_MAP_IDX:
	case BVC_PSEUDO_MAP_IDX_VALUE:
		if (insn->imm < 0) {
			unsupported(j, i, "ld_imm64 of a negative map index");
			return;
		}
		at = x86_movabs(e, dst, 0);
		if (insn->src == BVC_PSEUDO_MAP_IDX)
			add_reloc(j, at, BVC_RELOC_MAP, (uint32_t)insn->imm, 0);
		else
			add_reloc(j, at, BVC_RELOC_MAP_VALUE, (uint32_t)insn->imm, insn[1].imm);
		return;
	case BVC_PSEUDO_FUNC:
		/* Target checked by check_program(). lea r64, [rip+d] is 7 bytes. */
		t = (size_t)((int64_t)i + insn->imm + 1);
		x86_lea_rip(e, dst, (int32_t)disp_to(j, label_entry(j, func_at(j, t)), e->len + 7));
		return;
	}
	unsupported(j, i, "ld_imm64 with this pseudo source");
}

/*
 * LD_ABS/LD_IND: r0 = intrinsic(ctx = r6, offset), as a call: r1..r5 are
 * clobbered. The offset is 32-bit and signed, as in the kernel's rewrite
 * of these instructions and in the interpreter. A negative result (outside
 * the packet) ends the program with r0 = 0.
 */
static void do_ld_abs(struct jit *j, size_t i, size_t f)
{
	static const uint32_t fn[] = {
		[BVC_B] = BVC_RT_LD_ABS_B, [BVC_H] = BVC_RT_LD_ABS_H, [BVC_W] = BVC_RT_LD_ABS_W,
	};
	const struct bvc_insn *insn = &j->insns[i];
	struct x86_emit *e = &j->e;
	size_t at;

	if (bvc_insn_size(insn) == BVC_DW) {
		unsupported(j, i, "LD_ABS/LD_IND of 8 bytes");
		return;
	}
	if (f != 0) {
		unsupported(j, i, "LD_ABS/LD_IND inside a bpf-to-bpf function");
		return;
	}
	if (bvc_insn_mode(insn) == BVC_ABS) {
		x86_mov_ri_sx(e, X86_RSI, insn->imm);
	} else {
		if (reg_map[insn->src] != X86_RSI)
			x86_mov_rr(e, 0, X86_RSI, reg_map[insn->src]);
		if (insn->imm)
			x86_alu_ri(e, X86_ADD, 0, X86_RSI, insn->imm);
		x86_movsx_rr(e, 1, X86_RSI, X86_RSI, 32);
	}
	x86_mov_rr(e, 1, X86_RDI, reg_map[6]);
	at = x86_movabs(e, X86_RAX, 0);
	add_reloc(j, at, BVC_RELOC_RUNTIME, fn[bvc_insn_size(insn)], 0);
	x86_call_r(e, X86_RAX);
	x86_test_rr(e, 1, X86_RAX, X86_RAX);
	emit_jump(j, X86_CC_S, label_zero(j, f));
}

/* ---- control flow ---- */

static const int8_t jmp_cc[16] = {
	[BVC_JEQ >> 4] = X86_CC_E,   [BVC_JNE >> 4] = X86_CC_NE,  [BVC_JSET >> 4] = X86_CC_NE,
	[BVC_JGT >> 4] = X86_CC_A,   [BVC_JGE >> 4] = X86_CC_AE,  [BVC_JLT >> 4] = X86_CC_B,
	[BVC_JLE >> 4] = X86_CC_BE,  [BVC_JSGT >> 4] = X86_CC_G,  [BVC_JSGE >> 4] = X86_CC_GE,
	[BVC_JSLT >> 4] = X86_CC_L,  [BVC_JSLE >> 4] = X86_CC_LE,
};

static void do_call(struct jit *j, size_t i)
{
	const struct bvc_insn *insn = &j->insns[i];
	struct x86_emit *e = &j->e;
	size_t at, t;

	if (bvc_insn_srcbit(insn)) {
		unsupported(j, i, "callx");
		return;
	}
	switch (insn->src) {
	case 0:
		if (insn->imm < 0) {
			unsupported(j, i, "call of a negative helper id");
			return;
		}
		/* The helper's address is relocated into AUX3; r1..r5 are in place. */
		at = x86_movabs(e, AUX3, 0);
		add_reloc(j, at, BVC_RELOC_HELPER, (uint32_t)insn->imm, 0);
		x86_call_r(e, AUX3);
		return;
	case BVC_PSEUDO_CALL:
		t = (size_t)((int64_t)i + insn->imm + 1);
		x86_call32(e, (int32_t)disp_to(j, label_entry(j, func_at(j, t)), e->len + 5));
		return;
	case BVC_PSEUDO_KFUNC_CALL:
		unsupported(j, i, "kfunc call");
		return;
	}
	unsupported(j, i, "call with this source");
}

/* bpf_tail_call(ctx = r1, map = r2, index = r3): see the header. */
static void do_tail_call(struct jit *j, size_t i, size_t f)
{
	struct x86_emit *e = &j->e;
	int32_t map = j->v->facts && i < j->v->fact_cnt ? j->v->facts[i].map_idx : -1;
	size_t at, out = label_insn(i + 1);

	if (f != 0) {
		unsupported(j, i, "bpf_tail_call inside a bpf-to-bpf function");
		return;
	}
	if (map < 0) {
		unsupported(j, i, "bpf_tail_call with different prog_arrays on different paths");
		return;
	}
	at = x86_movabs(e, AUX3, 0);
	add_reloc(j, at, BVC_RELOC_PROG_ARRAY, (uint32_t)map, 0);
	x86_mov_rr(e, 0, X86_RDX, X86_RDX);        /* the index is a u32 */
	x86_load(e, 4, AUX2, AUX3, 0);             /* max_entries */
	x86_alu_rr(e, X86_CMP, 0, X86_RDX, AUX2);
	emit_jump(j, X86_CC_AE, out);
	x86_alu_ri(e, X86_CMP, 0, X86_R12, BVC_MAX_TAIL_CALLS);
	emit_jump(j, X86_CC_AE, out);
	x86_alu_ri(e, X86_ADD, 0, X86_R12, 1);
	x86_shift_ri(e, X86_SHL, 1, X86_RDX, 3);
	x86_alu_rr(e, X86_ADD, 1, X86_RDX, AUX3);
	x86_load(e, 8, X86_RAX, X86_RDX, 8);       /* entries[index] */
	x86_test_rr(e, 1, X86_RAX, X86_RAX);
	emit_jump(j, X86_CC_E, out);
	x86_mov_rr(e, 1, X86_RSP, X86_RBP);
	x86_jmp_r(e, X86_RAX);
}

static void do_jmp(struct jit *j, size_t i, size_t f)
{
	const struct bvc_insn *insn = &j->insns[i];
	int w = bvc_insn_class(insn) == BVC_JMP, x = bvc_insn_srcbit(insn);
	uint8_t op = bvc_insn_op(insn);
	/* A call's src is a pseudo source, not a register. */
	enum x86_reg dst = reg_map[insn->dst];
	enum x86_reg src = insn->src < BVC_MAX_REG ? reg_map[insn->src] : X86_RAX;
	struct x86_emit *e = &j->e;

	switch (op) {
	case BVC_JA:
		if (x)
			break;
		emit_jump(j, -1, label_insn(i + 1 + (size_t)(int64_t)(w ? insn->off : insn->imm)));
		return;
	case BVC_CALL:
		if (!w)
			break;
		if (j->tail && insn->code == (BVC_JMP | BVC_CALL | BVC_K) && insn->src == 0 &&
		    insn->imm == BVC_HELPER_TAIL_CALL) {
			do_tail_call(j, i, f);
			return;
		}
		do_call(j, i);
		return;
	case BVC_EXIT:
		if (!w || x)
			break;
		/* The epilogue follows the function's last instruction. */
		if (i + 1 != j->funcs[f].end)
			emit_jump(j, -1, label_epilogue(j, f));
		return;
	case BVC_JCOND:
		unsupported(j, i, "may_goto");
		return;
	default:
		if (!jmp_cc[op >> 4])
			break;
		if (op == BVC_JSET) {
			if (x)
				x86_test_rr(e, w, dst, src);
			else
				x86_test_ri(e, w, dst, insn->imm);
		} else if (x) {
			x86_alu_rr(e, X86_CMP, w, dst, src);
		} else if (insn->imm == 0) {
			x86_test_rr(e, w, dst, dst); /* same flags as cmp with 0 */
		} else {
			x86_alu_ri(e, X86_CMP, w, dst, insn->imm);
		}
		emit_jump(j, jmp_cc[op >> 4], label_insn(i + 1 + (size_t)(int64_t)insn->off));
		return;
	}
	unsupported(j, i, "jump");
}

/* ---- functions ---- */

/* Every run and every call starts from a zeroed frame, as the interpreter
 * does: the verifier lets privileged programs read stack they never wrote,
 * and natively that would return whatever the host left there. */
static void zero_frame(struct jit *j, uint32_t bytes)
{
	for (uint32_t k = 8; k <= bytes; k += 8)
		x86_store_i(&j->e, 8, X86_RBP, -(int32_t)k, 0);
}

static void emit_prologue(struct jit *j, size_t f)
{
	const struct func *fn = &j->funcs[f];
	struct x86_emit *e = &j->e;
	uint32_t sub = fn->frame;
	int pushes = 0, r;

	if (f == 0 && j->tail) {
		/* Six pushes after the return address: 8 more keep rsp
		 * 16-byte aligned (see the header). */
		x86_push(e, X86_RBP);
		for (r = 6; r <= 9; r++)
			x86_push(e, reg_map[r]);
		x86_push(e, X86_R12);
		x86_alu_ri(e, X86_SUB, 1, X86_RSP, 8);
		x86_alu_rr(e, X86_XOR, 0, X86_R12, X86_R12);
		j->tail_entry = e->len;
		x86_mov_rr(e, 1, X86_RBP, X86_RSP);
		if (sub)
			x86_alu_ri(e, X86_SUB, 1, X86_RSP, (int32_t)sub);
		zero_frame(j, fn->frame); /* tail calls enter here too */
		for (r = 0; r < BVC_REG_FP; r++)
			if (fn->zeroed & (1u << r))
				x86_alu_rr(e, X86_XOR, 0, reg_map[r], reg_map[r]);
		return;
	}
	for (r = 6; r <= 9; r++)
		pushes += !!(fn->saved & (1u << r));
	/* rsp stays 16-byte aligned in the body, so calls need no fix-up. */
	if (pushes & 1)
		sub += 8;
	x86_push(e, X86_RBP);
	x86_mov_rr(e, 1, X86_RBP, X86_RSP);
	if (sub)
		x86_alu_ri(e, X86_SUB, 1, X86_RSP, (int32_t)sub);
	for (r = 6; r <= 9; r++)
		if (fn->saved & (1u << r))
			x86_push(e, reg_map[r]);
	zero_frame(j, fn->frame);
	for (r = 0; r < BVC_REG_FP; r++)
		if (fn->zeroed & (1u << r))
			x86_alu_rr(e, X86_XOR, 0, reg_map[r], reg_map[r]);
}

static void emit_epilogue(struct jit *j, size_t f)
{
	const struct func *fn = &j->funcs[f];
	int r;

	if (f == 0 && j->tail) {
		x86_mov_rr(&j->e, 1, X86_RSP, X86_RBP);
		x86_alu_ri(&j->e, X86_ADD, 1, X86_RSP, 8);
		x86_pop(&j->e, X86_R12);
		for (r = 9; r >= 6; r--)
			x86_pop(&j->e, reg_map[r]);
		x86_pop(&j->e, X86_RBP);
		x86_ret(&j->e);
		return;
	}
	for (r = 9; r >= 6; r--)
		if (fn->saved & (1u << r))
			x86_pop(&j->e, reg_map[r]);
	x86_leave(&j->e);
	x86_ret(&j->e);
}

static void translate(struct jit *j, size_t i, size_t f)
{
	const struct bvc_insn *insn = &j->insns[i];

	switch (bvc_insn_class(insn)) {
	case BVC_ALU:
	case BVC_ALU64:
		do_alu(j, i);
		return;
	case BVC_LDX:
		do_ldx(j, i);
		return;
	case BVC_ST:
		do_st(j, i);
		return;
	case BVC_STX:
		do_stx(j, i);
		return;
	case BVC_LD:
		if (bvc_insn_is_ld_imm64(insn)) {
			do_ld_imm64(j, i);
			return;
		}
		if (bvc_insn_mode(insn) == BVC_ABS || bvc_insn_mode(insn) == BVC_IND) {
			do_ld_abs(j, i, f);
			return;
		}
		unsupported(j, i, "load");
		return;
	case BVC_JMP:
	case BVC_JMP32:
		do_jmp(j, i, f);
		return;
	}
}

/* One translation of the whole program. */
static void run_pass(struct jit *j)
{
	size_t f, i;

	x86_emit_reset(&j->e);
	j->site_idx = 0;
	j->changed = 0;
	j->bad_disp = 0;
	j->nrelocs = 0;
	for (f = 0; f < j->nfuncs && !j->e.err; f++) {
		const struct func *fn = &j->funcs[f];

		j->label[label_entry(j, f)] = (uint32_t)j->e.len;
		emit_prologue(j, f);
		for (i = fn->start; i < fn->end; i++) {
			j->label[label_insn(i)] = (uint32_t)j->e.len;
			if (j->second_half[i])
				continue;
			translate(j, i, f);
		}
		j->label[label_epilogue(j, f)] = (uint32_t)j->e.len;
		emit_epilogue(j, f);
		j->label[label_zero(j, f)] = (uint32_t)j->e.len;
		if (fn->ld_abs) {
			x86_alu_rr(&j->e, X86_XOR, 0, X86_RAX, X86_RAX);
			emit_epilogue(j, f);
		}
	}
	j->label[label_insn(j->cnt)] = (uint32_t)j->e.len;
	if (!j->e.err && j->pass > 1 && j->site_idx != j->nsites)
		fail(j, -EFAULT, "internal: jump sites differ between passes");
	if (!j->e.err && j->e.len > INT32_MAX)
		fail(j, -E2BIG, "program too large: %zu bytes of code", j->e.len);
}

/* ---- checks and analysis ---- */

static int is_call(const struct bvc_insn *insn, int src)
{
	return insn->code == (BVC_JMP | BVC_CALL | BVC_K) && insn->src == src;
}

/* Registers @insn reads or writes (a mask over r0..r10). */
static uint16_t regs_of(const struct bvc_insn *insn)
{
	uint8_t cls = bvc_insn_class(insn);
	uint16_t m = 0;

	if (cls == BVC_JMP && bvc_insn_op(insn) == BVC_CALL)
		return 0x3f; /* r0..r5 */
	if (cls == BVC_JMP && bvc_insn_op(insn) == BVC_EXIT)
		return 0x1;
	if (cls == BVC_LD && !bvc_insn_is_ld_imm64(insn))
		return 0x7f | (1u << insn->src); /* r0..r5 clobbered, r6 read */
	m |= 1u << insn->dst;
	if (!bvc_insn_is_ld_imm64(insn))
		m |= 1u << insn->src;
	if (cls == BVC_STX && bvc_insn_mode(insn) == BVC_ATOMIC)
		m |= 0x1; /* cmpxchg */
	return m;
}

/* Registers @insn may write, among r6..r9 (what a function must save). */
static uint16_t writes_of(const struct bvc_insn *insn)
{
	uint8_t cls = bvc_insn_class(insn);

	switch (cls) {
	case BVC_ALU:
	case BVC_ALU64:
	case BVC_LDX:
		return (1u << insn->dst) & R6_R9;
	case BVC_LD:
		return bvc_insn_is_ld_imm64(insn) ? (1u << insn->dst) & R6_R9 : 0;
	case BVC_STX:
		if (bvc_insn_mode(insn) == BVC_ATOMIC && (insn->imm & BVC_FETCH))
			return (1u << insn->src) & R6_R9;
		return 0;
	}
	return 0;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * What the verifier guarantees and the layout relies on, checked again
 * because wrong code is worse than none (register numbers and r10 are
 * bvc_jit_check_regs()'s, before this): whole ld_imm64 pairs, jumps that stay inside their function and
 * land on an instruction, functions that end in EXIT or JA.
 */
static int check_program(struct jit *j)
{
	const struct bvc_insn *insns = j->insns;
	size_t cnt = j->cnt, *starts, n = 1, i, f;
	uint16_t used = 0;

	j->second_half = calloc(cnt, 1);
	starts = malloc((cnt + 1) * sizeof(*starts));
	if (!j->second_half || !starts) {
		free(starts);
		fail(j, -ENOMEM, "out of memory");
		return j->e.err;
	}
	starts[0] = 0;
	for (i = 0; i < cnt; i++) {
		const struct bvc_insn *insn = &insns[i];

		if (bvc_insn_is_ld_imm64(insn)) {
			if (i + 1 >= cnt || insns[i + 1].code) {
				fail(j, -EINVAL, "insn %zu: invalid bpf_ld_imm64 insn", i);
				goto out;
			}
			j->second_half[++i] = 1;
		}
	}
	for (i = 0; i < cnt; i++) {
		const struct bvc_insn *insn = &insns[i];
		int64_t t;

		if (j->second_half[i])
			continue;
		if (is_call(insn, BVC_PSEUDO_CALL) ||
		    (bvc_insn_is_ld_imm64(insn) && insn->src == BVC_PSEUDO_FUNC)) {
			t = (int64_t)i + insn->imm + 1;
			if (t < 0 || (uint64_t)t >= cnt || j->second_half[t]) {
				fail(j, -EINVAL, "insn %zu: call to an invalid destination %lld", i,
				     (long long)t);
				goto out;
			}
			starts[n++] = (size_t)t;
		}
		used |= regs_of(insn);
	}
	qsort(starts, n, sizeof(*starts), cmp_size);
	j->funcs = calloc(n, sizeof(*j->funcs));
	if (!j->funcs) {
		fail(j, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (j->nfuncs && j->funcs[j->nfuncs - 1].start == starts[i])
			continue;
		j->funcs[j->nfuncs++].start = starts[i];
	}
	for (f = 0; f < j->nfuncs; f++) {
		struct func *fn = &j->funcs[f];
		size_t last = 0;

		fn->end = f + 1 < j->nfuncs ? j->funcs[f + 1].start : cnt;
		for (i = fn->start; i < fn->end; i++) {
			const struct bvc_insn *insn = &insns[i];
			uint8_t cls = bvc_insn_class(insn), op = bvc_insn_op(insn);
			int64_t t;

			if (j->second_half[i])
				continue;
			last = i;
			fn->saved |= writes_of(insn);
			if (cls == BVC_LD && !bvc_insn_is_ld_imm64(insn))
				fn->ld_abs = 1;
			if ((cls != BVC_JMP && cls != BVC_JMP32) || op == BVC_CALL || op == BVC_EXIT)
				continue;
			if (cls == BVC_JMP32 && op == BVC_JA)
				t = (int64_t)i + insn->imm + 1;
			else
				t = (int64_t)i + insn->off + 1;
			if (t < (int64_t)fn->start || t >= (int64_t)fn->end || j->second_half[t]) {
				fail(j, -EINVAL, "insn %zu: jump out of range from insn %zu to %lld", i,
				     i, (long long)t);
				goto out;
			}
		}
		/* The next function's prologue, or the end, follows: no falling into it. */
		if (insns[last].code != (BVC_JMP | BVC_EXIT) && insns[last].code != (BVC_JMP | BVC_JA) &&
		    insns[last].code != (BVC_JMP32 | BVC_JA)) {
			fail(j, -EINVAL, "insn %zu: last insn is not an exit or jmp", last);
			goto out;
		}
	}
	/* The entry saves what anyone may read of r6..r9 and starts every
	 * register it does not receive at 0, as the interpreter does. */
	j->funcs[0].saved |= used & R6_R9;
	j->funcs[0].zeroed = used & ~(uint16_t)((1u << 1) | (1u << 2) | (1u << BVC_REG_FP));
out:
	free(starts);
	return j->e.err;
}


int bvc_jit_x86_64(const struct bvc_image *img, const struct bvc_prog *prog,
		   const struct bvc_insn *insns, size_t cnt, const struct bvc_verdict *v,
		   struct bvc_jit_result *res, char *err, size_t errsz)
{
	struct jit j;
	int ret;

	if (!insns || !cnt || !v || !res) {
		snprintf(err, errsz, "x86_64: empty program or missing argument");
		return -EINVAL;
	}
	if (cnt > MAX_INSNS) {
		snprintf(err, errsz, "x86_64: %zu instructions is more than %u", cnt, MAX_INSNS);
		return -E2BIG;
	}
	if (v->stack_depth > MAX_STACK) {
		snprintf(err, errsz, "x86_64: stack depth %u is more than %d", v->stack_depth,
			 MAX_STACK);
		return -EINVAL;
	}
	ret = bvc_jit_check_regs(insns, cnt, err, errsz);
	if (ret)
		return ret;
	memset(&j, 0, sizeof(j));
	j.insns = insns;
	j.cnt = cnt;
	j.v = v;
	j.tail = bvc_jit_has_prog_array(img);
	j.frame = (v->stack_depth + 15) & ~15u;
	if (check_program(&j))
		goto out;
	/* Each function reserves its own frame (the verifier's
	 * per-function depth) where the verdict gives it. */
	for (size_t f = 0; f < j.nfuncs; f++)
		j.funcs[f].frame = bvc_jit_func_frame(v, j.funcs[f].start);
	j.nlabels = cnt + 1 + LABELS_PER_FUNC * j.nfuncs;
	j.label = calloc(j.nlabels, sizeof(*j.label));
	j.prev = calloc(j.nlabels, sizeof(*j.prev));
	if (!j.label || !j.prev) {
		fail(&j, -ENOMEM, "out of memory");
		goto out;
	}
	for (j.pass = 1; j.pass <= MAX_PASSES; j.pass++) {
		uint32_t *tmp;

		run_pass(&j);
		if (j.e.err)
			goto out;
		/* No jump changed form: same layout as the last pass, which
		 * is what the displacements were computed from. */
		if (j.pass > 1 && !j.changed)
			break;
		tmp = j.prev;
		j.prev = j.label;
		j.label = tmp;
	}
	if (j.pass > MAX_PASSES || j.bad_disp ||
	    memcmp(j.label, j.prev, j.nlabels * sizeof(*j.label))) {
		fail(&j, -EFAULT, "internal: jump layout did not converge");
		goto out;
	}
	res->code = j.e.buf;
	res->code_size = j.e.len;
	res->entry_off = 0;
	res->tail_entry_off = j.tail ? j.tail_entry : 0;
	res->relocs = j.relocs;
	res->reloc_cnt = j.nrelocs;
	res->stack_size = j.frame;
	j.e.buf = NULL;
	j.relocs = NULL;
out:
	ret = j.e.err;
	if (ret && err && errsz)
		snprintf(err, errsz, "%s", j.e.msg);
	x86_emit_release(&j.e);
	free(j.relocs);
	free(j.funcs);
	free(j.second_half);
	free(j.label);
	free(j.prev);
	free(j.sites);
	return ret;
}
