/* SPDX-License-Identifier: MIT */
/*
 * Disassembler: one eBPF instruction -> the text the Linux verifier log
 * prints for it, so a bpfvc log and a kernel log can be diffed line by line
 * (tests/disasm checks this against the running kernel).
 *
 * The syntax is the kernel's (kernel/bpf/disasm.c, read for its output
 * only; this is an independent implementation). Where it is odd we keep the
 * oddity: ALU immediates in decimal but jump immediates in hex, "r" in an
 * endianness insn even for the 32-bit class, "r" for the source of a 32-bit
 * atomic, "BUG_ld_xx" with no "(op)" for malformed loads.
 *
 * Must not: allocate, print (bvc_disasm_prog() writes only to its caller's
 * stream), or trust any field: the instruction comes from outside, so every
 * table lookup is bounded by the mask that produced its index and anything
 * without a meaning becomes a BUG text, never a crash or an assert.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "bpfvc/disasm.h"

/* Not in isa.h: cpu v4 ordered atomics (kernel 6.15+), which bvc_isa_check()
 * may not accept yet but which we can still name. */
#define DIS_LOAD_ACQ 0x100
#define DIS_STORE_REL 0x110
/* Kernel-internal forms that bpftool can show us in xlated dumps. */
#define DIS_ADDR_PERCPU (-1) /* mov off of "r1 = &(void __percpu *)(r2)" */
#define DIS_NOSPEC 0xc0      /* ST mode of the speculation barrier */
#define DIS_MAY_GOTO 0       /* JCOND src of may_goto */

/* Where the text goes; the first overflow is remembered, later writes are
 * dropped (vsnprintf keeps the buffer terminated). */
struct dis_out {
	char *buf;      /* caller's buffer */
	size_t size;    /* its size, > 0 */
	bool overflow;  /* the text was truncated */
	bool prefixed;  /* the kernel puts "(op) " before this text */
};

static void out_printf(struct dis_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out_printf(struct dis_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf, o->size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size)
		o->overflow = true;
}

/* Class names as the kernel's BUG lines spell them. */
static const char *const class_names[8] = {
	[BVC_LD] = "ld",       [BVC_LDX] = "ldx",     [BVC_ST] = "st",
	[BVC_STX] = "stx",     [BVC_ALU] = "alu",     [BVC_JMP] = "jmp",
	[BVC_JMP32] = "jmp32", [BVC_ALU64] = "alu64",
};

/*
 * An opcode with no meaning. The kernel has BUG_ld_/BUG_ldx_/BUG_st_ and a
 * bare BUG_ for stx; we extend the pattern to the classes where it would
 * print "(null)". None of these reach a kernel log: the verifier rejects
 * the opcode before it prints anything.
 */
static void fmt_bug(struct dis_out *o, const struct bvc_insn *insn)
{
	uint8_t cls = bvc_insn_class(insn);

	o->prefixed = false;
	if (cls == BVC_STX)
		out_printf(o, "BUG_%02x", insn->code);
	else
		out_printf(o, "BUG_%s_%02x", class_names[cls], insn->code);
}

/* Load/store widths, indexed by size >> 3; unsigned and sign-extending. */
static const char *const size_names[4] = { "u32", "u16", "u8", "u64" };
static const char *const sx_size_names[4] = { "s32", "s16", "s8", NULL };

/* Compound assignments, indexed by op >> 4. NEG, END have their own syntax. */
static const char *const alu_ops[16] = {
	[BVC_ADD >> 4] = "+=",  [BVC_SUB >> 4] = "-=",   [BVC_MUL >> 4] = "*=",
	[BVC_DIV >> 4] = "/=",  [BVC_OR >> 4] = "|=",    [BVC_AND >> 4] = "&=",
	[BVC_LSH >> 4] = "<<=", [BVC_RSH >> 4] = ">>=",  [BVC_MOD >> 4] = "%=",
	[BVC_XOR >> 4] = "^=",  [BVC_MOV >> 4] = "=",    [BVC_ARSH >> 4] = "s>>=",
};

/* Jump conditions, indexed by op >> 4. JA, CALL, EXIT, JCOND are not
 * conditions and have their own syntax. */
static const char *const jmp_conds[16] = {
	[BVC_JEQ >> 4] = "==",   [BVC_JGT >> 4] = ">",    [BVC_JGE >> 4] = ">=",
	[BVC_JSET >> 4] = "&",   [BVC_JNE >> 4] = "!=",   [BVC_JSGT >> 4] = "s>",
	[BVC_JSGE >> 4] = "s>=", [BVC_JLT >> 4] = "<",    [BVC_JLE >> 4] = "<=",
	[BVC_JSLT >> 4] = "s<",  [BVC_JSLE >> 4] = "s<=",
};

/* ALU and ALU64. The kernel never prints the 32-bit class's 'w' for
 * endianness ops (they are "r1 = be16 r1" in both), so neither do we. */
static void fmt_alu(struct dis_out *o, const struct bvc_insn *insn)
{
	uint8_t cls = bvc_insn_class(insn);
	uint8_t op = bvc_insn_op(insn);
	bool x = bvc_insn_srcbit(insn) == BVC_X;
	char r = cls == BVC_ALU ? 'w' : 'r';
	const char *sym;

	switch (op) {
	case BVC_NEG:
		if (x)
			break;
		out_printf(o, "%c%d = -%c%d", r, insn->dst, r, insn->dst);
		return;
	case BVC_END:
		if (cls == BVC_ALU)
			out_printf(o, "r%d = %s%d r%d", insn->dst,
				   x ? "be" : "le", insn->imm, insn->dst);
		else if (!x)
			out_printf(o, "r%d = bswap%d r%d", insn->dst, insn->imm, insn->dst);
		else
			break;
		return;
	case BVC_MOV:
		if (!x)
			break;
		if (cls == BVC_ALU64 && insn->off == BVC_ADDR_SPACE_CAST) {
			/* imm = dst address space << 16 | src address space */
			out_printf(o, "r%d = addr_space_cast(r%d, %u, %u)", insn->dst,
				   insn->src, (uint32_t)insn->imm >> 16,
				   (unsigned)(uint16_t)insn->imm);
			return;
		}
		if (cls == BVC_ALU64 && insn->off == DIS_ADDR_PERCPU) {
			out_printf(o, "r%d = &(void __percpu *)(r%d)", insn->dst, insn->src);
			return;
		}
		if (insn->off == 8 || insn->off == 16 || insn->off == 32) {
			/* movsx; the kernel prints (s32) for the 32-bit class too */
			out_printf(o, "%c%d = (s%d)%c%d", r, insn->dst, insn->off, r, insn->src);
			return;
		}
		break;
	default:
		break;
	}

	if ((op == BVC_DIV || op == BVC_MOD) && insn->off == 1)
		sym = op == BVC_DIV ? "s/=" : "s%=";
	else
		sym = alu_ops[op >> 4];
	if (!sym) {
		fmt_bug(o, insn);
		return;
	}
	if (x)
		out_printf(o, "%c%d %s %c%d", r, insn->dst, sym, r, insn->src);
	else
		out_printf(o, "%c%d %s %d", r, insn->dst, sym, insn->imm);
}

/* Atomic read-modify-write names, indexed by (imm & 0xf0) >> 4. */
static const char *const atomic_ops[16] = {
	[BVC_ADD >> 4] = "add", [BVC_AND >> 4] = "and",
	[BVC_OR >> 4] = "or",   [BVC_XOR >> 4] = "xor",
};

/* STX | ATOMIC: the operation is in imm. The "64" suffix goes with DW only,
 * and the value register keeps its 'r' at every width, as in the kernel. */
static void fmt_atomic(struct dis_out *o, const struct bvc_insn *insn)
{
	const char *sz = size_names[bvc_insn_size(insn) >> 3];
	const char *w = bvc_insn_size(insn) == BVC_DW ? "64" : "";
	int32_t imm = insn->imm;

	if (imm == BVC_ADD || imm == BVC_AND || imm == BVC_OR || imm == BVC_XOR) {
		out_printf(o, "lock *(%s *)(r%d %+d) %s r%d", sz, insn->dst, insn->off,
			   alu_ops[imm >> 4], insn->src);
	} else if (imm == (BVC_ADD | BVC_FETCH) || imm == (BVC_AND | BVC_FETCH) ||
		   imm == (BVC_OR | BVC_FETCH) || imm == (BVC_XOR | BVC_FETCH)) {
		out_printf(o, "r%d = atomic%s_fetch_%s((%s *)(r%d %+d), r%d)", insn->src,
			   w, atomic_ops[(imm & 0xf0) >> 4], sz, insn->dst, insn->off,
			   insn->src);
	} else if (imm == BVC_CMPXCHG) {
		/* r0 is implicit: the expected value in, the old value out */
		out_printf(o, "r0 = atomic%s_cmpxchg((%s *)(r%d %+d), r0, r%d)", w, sz,
			   insn->dst, insn->off, insn->src);
	} else if (imm == BVC_XCHG) {
		out_printf(o, "r%d = atomic%s_xchg((%s *)(r%d %+d), r%d)", insn->src, w,
			   sz, insn->dst, insn->off, insn->src);
	} else if (imm == DIS_LOAD_ACQ) {
		/* a load: the address is in src, unlike every other atomic */
		out_printf(o, "r%d = load_acquire((%s *)(r%d %+d))", insn->dst, sz,
			   insn->src, insn->off);
	} else if (imm == DIS_STORE_REL) {
		out_printf(o, "store_release((%s *)(r%d %+d), r%d)", sz, insn->dst,
			   insn->off, insn->src);
	} else {
		fmt_bug(o, insn);
	}
}

static void fmt_store(struct dis_out *o, const struct bvc_insn *insn)
{
	const char *sz = size_names[bvc_insn_size(insn) >> 3];
	uint8_t mode = bvc_insn_mode(insn);

	if (bvc_insn_class(insn) == BVC_STX) {
		if (mode == BVC_MEM)
			out_printf(o, "*(%s *)(r%d %+d) = r%d", sz, insn->dst, insn->off,
				   insn->src);
		else if (mode == BVC_ATOMIC)
			fmt_atomic(o, insn);
		else
			fmt_bug(o, insn);
		return;
	}
	if (mode == BVC_MEM)
		out_printf(o, "*(%s *)(r%d %+d) = %d", sz, insn->dst, insn->off, insn->imm);
	else if (mode == DIS_NOSPEC)
		out_printf(o, "nospec");
	else
		fmt_bug(o, insn);
}

static void fmt_ldx(struct dis_out *o, const struct bvc_insn *insn)
{
	uint8_t mode = bvc_insn_mode(insn);
	const char *sz = NULL;

	if (mode == BVC_MEM)
		sz = size_names[bvc_insn_size(insn) >> 3];
	else if (mode == BVC_MEMSX)
		sz = sx_size_names[bvc_insn_size(insn) >> 3]; /* NULL for DW */
	if (!sz) {
		fmt_bug(o, insn);
		return;
	}
	out_printf(o, "r%d = *(%s *)(r%d %+d)", insn->dst, sz, insn->src, insn->off);
}

/* The 16-byte ld_imm64; the caller has checked that @insn[1] exists. */
static void fmt_ld_imm64(struct dis_out *o, const struct bvc_insn *insn)
{
	uint32_t map = (uint32_t)insn[0].imm;
	uint32_t off = (uint32_t)insn[1].imm;

	switch (insn->src) {
	case BVC_PSEUDO_MAP_FD:
	case BVC_PSEUDO_MAP_IDX:
		/* bpftool's syntax: the kernel would print the map's address */
		out_printf(o, "r%d = map[id:%" PRIu32 "]", insn->dst, map);
		break;
	case BVC_PSEUDO_MAP_VALUE:
	case BVC_PSEUDO_MAP_IDX_VALUE:
		out_printf(o, "r%d = map[id:%" PRIu32 "][0]+%" PRIu32, insn->dst, map, off);
		break;
	default:
		/* plain constants, and BTF_ID/FUNC, whose raw imm the kernel shows */
		out_printf(o, "r%d = 0x%" PRIx64, insn->dst, bvc_ld_imm64_value(insn));
		break;
	}
}

static void fmt_ld(struct dis_out *o, const struct bvc_insn *insn)
{
	uint8_t mode = bvc_insn_mode(insn);
	uint8_t size = bvc_insn_size(insn);

	/* legacy packet loads: r0 is implicit, and there is no 8-byte form */
	if (mode == BVC_ABS && size != BVC_DW)
		out_printf(o, "r0 = *(%s *)skb[%d]", size_names[size >> 3], insn->imm);
	else if (mode == BVC_IND && size != BVC_DW)
		out_printf(o, "r0 = *(%s *)skb[r%d + %d]", size_names[size >> 3],
			   insn->src, insn->imm);
	else if (bvc_insn_is_ld_imm64(insn))
		fmt_ld_imm64(o, insn);
	else
		fmt_bug(o, insn);
}

/* call: a helper by id, a subprogram by relative offset, a kfunc by BTF id. */
static void fmt_call(struct dis_out *o, const struct bvc_insn *insn)
{
	const char *name = NULL;

	if (bvc_insn_srcbit(insn) == BVC_X) {
		/* callx: target in dst as LLVM >= 19 and GCC encode it */
		out_printf(o, "call r%d", insn->dst);
		return;
	}
	if (insn->src == BVC_PSEUDO_CALL) {
		out_printf(o, "call pc%+d", insn->imm);
		return;
	}
	if (insn->src == 0)
		name = bvc_helper_name(insn->imm);
	else if (insn->src == BVC_PSEUDO_KFUNC_CALL)
		name = "kernel-function"; /* the kernel's text when BTF has no name */
	out_printf(o, "call %s#%d", name ? name : "unknown", insn->imm);
}

/* JMP and JMP32. Offsets print signed with their sign ("pc+3", "pc-4");
 * immediates of conditions as 32-bit hex ("0xffffffff" for -1). */
static void fmt_jmp(struct dis_out *o, const struct bvc_insn *insn)
{
	uint8_t cls = bvc_insn_class(insn);
	uint8_t op = bvc_insn_op(insn);
	bool x = bvc_insn_srcbit(insn) == BVC_X;
	char r = cls == BVC_JMP32 ? 'w' : 'r';
	const char *cond;

	switch (op) {
	case BVC_CALL:
		if (cls == BVC_JMP)
			fmt_call(o, insn);
		else
			fmt_bug(o, insn);
		return;
	case BVC_JA:
		if (x)
			fmt_bug(o, insn);
		else if (cls == BVC_JMP)
			out_printf(o, "goto pc%+d", insn->off);
		else
			out_printf(o, "gotol pc%+d", insn->imm); /* 32-bit offset in imm */
		return;
	case BVC_EXIT:
		if (cls == BVC_JMP && !x)
			out_printf(o, "exit");
		else
			fmt_bug(o, insn);
		return;
	case BVC_JCOND:
		if (cls == BVC_JMP && !x && insn->src == DIS_MAY_GOTO)
			out_printf(o, "may_goto pc%+d", insn->off);
		else
			fmt_bug(o, insn);
		return;
	default:
		break;
	}

	cond = jmp_conds[op >> 4];
	if (!cond)
		fmt_bug(o, insn);
	else if (x)
		out_printf(o, "if %c%d %s %c%d goto pc%+d", r, insn->dst, cond, r,
			   insn->src, insn->off);
	else
		out_printf(o, "if %c%d %s 0x%" PRIx32 " goto pc%+d", r, insn->dst, cond,
			   (uint32_t)insn->imm, insn->off);
}

/*
 * Format insns[idx] (which exists); returns the instructions covered or
 * -EINVAL for a truncated ld_imm64. Sets o->prefixed for the kernel's
 * "(op) " prefix.
 */
static int fmt_insn(struct dis_out *o, const struct bvc_insn *insns, size_t cnt, size_t idx)
{
	const struct bvc_insn *insn = &insns[idx];

	o->prefixed = true;
	switch (bvc_insn_class(insn)) {
	case BVC_ALU:
	case BVC_ALU64:
		fmt_alu(o, insn);
		return 1;
	case BVC_JMP:
	case BVC_JMP32:
		fmt_jmp(o, insn);
		return 1;
	case BVC_ST:
	case BVC_STX:
		fmt_store(o, insn);
		return 1;
	case BVC_LDX:
		fmt_ldx(o, insn);
		return 1;
	default: /* BVC_LD */
		if (!bvc_insn_is_ld_imm64(insn)) {
			fmt_ld(o, insn);
			return 1;
		}
		if (idx + 1 >= cnt) {
			/* the kernel's wording, and why */
			out_printf(o, "invalid bpf_ld_imm64 insn: second half missing");
			return -EINVAL;
		}
		fmt_ld_imm64(o, insn);
		return 2;
	}
}

int bvc_disasm_insn(const struct bvc_insn *insns, size_t cnt, size_t idx, char *buf, size_t size)
{
	struct dis_out o = { .buf = buf, .size = size };
	int ret;

	if (!buf || !size)
		return -EINVAL;
	buf[0] = '\0';
	if (!insns || idx >= cnt) {
		out_printf(&o, "invalid insn index %zu (program has %zu insns)", idx, cnt);
		return -EINVAL;
	}
	ret = fmt_insn(&o, insns, cnt, idx);
	if (ret > 0 && o.overflow)
		return -ENOSPC;
	return ret;
}

int bvc_disasm_prog(const struct bvc_insn *insns, size_t cnt, FILE *out)
{
	char text[BVC_DISASM_TEXT_MAX];
	struct dis_out o = { .buf = text, .size = sizeof(text) };
	int err = 0;
	size_t i = 0;
	int n;

	if (!out || (!insns && cnt))
		return -EINVAL;
	while (i < cnt) {
		o.overflow = false;
		n = fmt_insn(&o, insns, cnt, i);
		/* text[] fits every form: an overflow is our bug, not the input's */
		if (o.overflow && !err)
			err = -EINVAL;
		if (o.prefixed)
			fprintf(out, "%zu: (%02x) %s\n", i, insns[i].code, text);
		else
			fprintf(out, "%zu: %s\n", i, text);
		if (n < 0) {
			if (!err)
				err = n;
			n = 1;
		}
		i += (size_t)n;
	}
	if (ferror(out))
		return -EIO;
	return err;
}
