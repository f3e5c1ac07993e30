// SPDX-License-Identifier: MIT
/*
 * Static validation of eBPF instruction encodings (RFC 9669 + cpu v4).
 *
 * Two levels, as in the kernel:
 *  - bvc_isa_check(): the whole program, before any path is explored: the
 *    opcode table, ld_imm64 pairs and pseudo sources, LDX reserved fields,
 *    subprogram boundaries, jump targets, no subprogram falling through its
 *    end. Later stages (CFG, engine, JIT) may assume these hold.
 *  - bvc_isa_check_insn(): one instruction, when a path reaches it: reserved
 *    fields of every class, register numbers, writes to r10, constant
 *    shifts and divisions. The kernel checks these only on paths it
 *    explores, so code it proves dead may break them; checking them up
 *    front would reject programs the kernel accepts.
 *
 * Messages are the kernel's, word for word, where the kernel has one.
 *
 * Must not: allocate more than the subprogram table, print, or trust any
 * field of any instruction.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/abi.h"
#include "bpfvc/isa.h"

#define BVC_MAY_GOTO 0       /* src of JMP|JCOND for may_goto */

static int fault(struct bvc_isa_fault *f, size_t insn, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fault(struct bvc_isa_fault *f, size_t insn, const char *fmt, ...)
{
	va_list ap;

	if (f) {
		f->insn = insn;
		f->unsupported = 0;
		va_start(ap, fmt);
		vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A valid instruction we do not model: refused, marked so, never taken
 * for a malformed one. */
static int fault_unsup(struct bvc_isa_fault *f, size_t insn, const char *what)
{
	fault(f, insn, "unsupported: %s", what);
	if (f)
		f->unsupported = 1;
	return -EINVAL;
}

/*
 * The kernel's table of public opcodes (bpf_opcode_in_insntable), built from
 * the rules it encodes rather than listed: every ALU op but END takes K or X
 * in both classes; END is TO_LE/TO_BE in ALU and only TO_LE (bswap) in
 * ALU64; NEG only as K; every conditional jump takes K or X in both jump
 * classes; JA exists in both; CALL and EXIT only in JMP (CALL only as K);
 * stores and loads of every size, sign-extending loads of B/H/W, atomics of
 * W/DW, ld_imm64, and the cBPF carry-overs LD_ABS/LD_IND of B/H/W. JCOND
 * (may_goto) is JMP only.
 */
int bvc_isa_opcode_known(uint8_t code)
{
	uint8_t cls = code & 0x07, op = code & 0xf0, srcbit = code & 0x08;
	uint8_t size = code & 0x18, mode = code & 0xe0;

	switch (cls) {
	case BVC_ALU:
	case BVC_ALU64:
		if (op == BVC_NEG)
			return srcbit == BVC_K;
		if (op == BVC_END)
			return cls == BVC_ALU || srcbit == BVC_TO_LE;
		return op <= BVC_END;
	case BVC_JMP:
	case BVC_JMP32:
		if (op == BVC_JA)
			return srcbit == BVC_K;
		if (op == BVC_CALL || op == BVC_EXIT)
			return cls == BVC_JMP && srcbit == BVC_K;
		if (op == BVC_JCOND)
			return code == (BVC_JMP | BVC_JCOND);
		return op <= BVC_JSLE;
	case BVC_STX:
		if (mode == BVC_MEM)
			return 1;
		return mode == BVC_ATOMIC && (size == BVC_W || size == BVC_DW);
	case BVC_ST:
		return mode == BVC_MEM;
	case BVC_LDX:
		if (mode == BVC_MEM)
			return 1;
		return mode == BVC_MEMSX && size != BVC_DW;
	case BVC_LD:
		if (mode == BVC_IMM)
			return size == BVC_DW;
		return (mode == BVC_ABS || mode == BVC_IND) && size != BVC_DW;
	}
	return 0;
}

/* Register numbers past r10 name nothing. */
static int check_reg(struct bvc_isa_fault *f, size_t i, unsigned int reg)
{
	if (reg >= BVC_MAX_REG)
		return fault(f, i, "R%u is invalid", reg);
	return 0;
}

/* A register the instruction writes: it must exist and not be r10. */
static int check_dst_reg(struct bvc_isa_fault *f, size_t i, unsigned int reg)
{
	if (check_reg(f, i, reg))
		return -EINVAL;
	if (reg == BVC_REG_FP)
		return fault(f, i, "frame pointer is read only");
	return 0;
}

static int check_alu(const struct bvc_insn *insn, size_t i, struct bvc_isa_fault *f)
{
	uint8_t op = bvc_insn_op(insn), cls = bvc_insn_class(insn);
	bool x = bvc_insn_srcbit(insn) == BVC_X;
	int16_t off = insn->off;

	if (op == BVC_NEG) {
		if (x || insn->src || off || insn->imm)
			return fault(f, i, "BPF_NEG uses reserved fields");
	} else if (op == BVC_END) {
		if (insn->src || off || (insn->imm != 16 && insn->imm != 32 && insn->imm != 64) ||
		    (cls == BVC_ALU64 && x))
			return fault(f, i, "BPF_END uses reserved fields");
	} else if (op == BVC_MOV) {
		if (x && cls == BVC_ALU && ((off != 0 && off != 8 && off != 16) || insn->imm))
			return fault(f, i, "BPF_MOV uses reserved fields");
		if (x && cls == BVC_ALU64 && off == BVC_ADDR_SPACE_CAST)
			return fault_unsup(f, i, "addr_space_cast (arena) is not modelled");
		if (x && cls == BVC_ALU64 &&
		    ((off != 0 && off != 8 && off != 16 && off != 32) || insn->imm))
			return fault(f, i, "BPF_MOV uses reserved fields");
		if (!x && (insn->src || off))
			return fault(f, i, "BPF_MOV uses reserved fields");
	} else if (op > BVC_END) {
		return fault(f, i, "invalid BPF_ALU opcode %x", op);
	} else {
		/* off == 1 selects the signed variant of DIV and MOD only. */
		bool bad_off = (off != 0 && off != 1) || (off == 1 && op != BVC_MOD && op != BVC_DIV);

		if (x && (insn->imm || bad_off))
			return fault(f, i, "BPF_ALU uses reserved fields");
		if (!x && (insn->src || bad_off))
			return fault(f, i, "BPF_ALU uses reserved fields");
	}

	if (x && check_reg(f, i, insn->src))
		return -EINVAL;
	if (check_dst_reg(f, i, insn->dst))
		return -EINVAL;

	if (!x && (op == BVC_DIV || op == BVC_MOD) && insn->imm == 0)
		return fault(f, i, "div by zero");
	if (!x && (op == BVC_LSH || op == BVC_RSH || op == BVC_ARSH)) {
		int bits = cls == BVC_ALU64 ? 64 : 32;

		if (insn->imm < 0 || insn->imm >= bits)
			return fault(f, i, "invalid shift %d", insn->imm);
	}
	return 0;
}

static int check_jmp(const struct bvc_insn *insn, size_t i, struct bvc_isa_fault *f)
{
	uint8_t op = bvc_insn_op(insn), cls = bvc_insn_class(insn);
	bool x = bvc_insn_srcbit(insn) == BVC_X;

	switch (op) {
	case BVC_CALL:
		if (x || (insn->src != BVC_PSEUDO_KFUNC_CALL && insn->off) ||
		    (insn->src != 0 && insn->src != BVC_PSEUDO_CALL &&
		     insn->src != BVC_PSEUDO_KFUNC_CALL) ||
		    insn->dst || cls == BVC_JMP32)
			return fault(f, i, "BPF_CALL uses reserved fields");
		return 0;
	case BVC_JA:
		if (x || insn->src || insn->dst || (cls == BVC_JMP && insn->imm) ||
		    (cls == BVC_JMP32 && insn->off))
			return fault(f, i, "BPF_JA uses reserved fields");
		return 0;
	case BVC_EXIT:
		if (x || insn->imm || insn->src || insn->dst || cls == BVC_JMP32)
			return fault(f, i, "BPF_EXIT uses reserved fields");
		return 0;
	case BVC_JCOND:
		/* Linux 6.18 allows "may_goto pc+0" (a no-op) and words it so. */
		if (insn->src != BVC_MAY_GOTO || insn->dst || insn->imm)
			return fault(f, i, "invalid may_goto imm %d", insn->imm);
		return 0;
	}
	if (x && insn->imm)
		return fault(f, i, "BPF_JMP/JMP32 uses reserved fields");
	if (!x && insn->src)
		return fault(f, i, "BPF_JMP/JMP32 uses reserved fields");
	if (check_reg(f, i, insn->dst) || (x && check_reg(f, i, insn->src)))
		return -EINVAL;
	return 0;
}

static int check_atomic(const struct bvc_insn *insn, size_t i, struct bvc_isa_fault *f)
{
	switch (insn->imm) {
	case BVC_ADD:
	case BVC_AND:
	case BVC_OR:
	case BVC_XOR:
		break;
	case BVC_ADD | BVC_FETCH:
	case BVC_AND | BVC_FETCH:
	case BVC_OR | BVC_FETCH:
	case BVC_XOR | BVC_FETCH:
	case BVC_XCHG:
		/* The old value lands in src: it must be writable. */
		if (check_reg(f, i, insn->src) || check_reg(f, i, insn->dst) ||
		    check_dst_reg(f, i, insn->src))
			return -EINVAL;
		return 0;
	case BVC_CMPXCHG:
		break; /* the old value lands in r0 */
	default:
		return fault(f, i, "BPF_ATOMIC uses invalid atomic opcode %02x", (unsigned)insn->imm);
	}
	if (check_reg(f, i, insn->src) || check_reg(f, i, insn->dst))
		return -EINVAL;
	return 0;
}

static int check_mem(const struct bvc_insn *insn, size_t i, struct bvc_isa_fault *f)
{
	uint8_t mode = bvc_insn_mode(insn);

	switch (bvc_insn_class(insn)) {
	case BVC_LDX:
		/* LDX reserved fields were checked before the opcode table. */
		if (check_reg(f, i, insn->src) || check_dst_reg(f, i, insn->dst))
			return -EINVAL;
		return 0;
	case BVC_STX:
		if (mode == BVC_ATOMIC)
			return check_atomic(insn, i, f);
		if (mode != BVC_MEM || insn->imm)
			return fault(f, i, "BPF_STX uses reserved fields");
		if (check_reg(f, i, insn->src) || check_reg(f, i, insn->dst))
			return -EINVAL;
		return 0;
	case BVC_ST:
		if (mode != BVC_MEM || insn->src)
			return fault(f, i, "BPF_ST uses reserved fields");
		return check_reg(f, i, insn->dst);
	}
	/* BPF_LD: LD_ABS / LD_IND (ld_imm64 is handled by the caller). */
	if (insn->dst || insn->off || bvc_insn_size(insn) == BVC_DW ||
	    (mode == BVC_ABS && insn->src))
		return fault(f, i, "BPF_LD_[ABS|IND] uses reserved fields");
	if (mode == BVC_IND && check_reg(f, i, insn->src))
		return -EINVAL;
	return 0;
}

/* The two halves of an ld_imm64 and what its pseudo source allows: the
 * kernel checks these for the whole program before anything else. */
static int check_ld_imm64_pair(const struct bvc_insn *insn, size_t i, size_t cnt,
			       struct bvc_isa_fault *f)
{
	const struct bvc_insn *hi = insn + 1;

	if (i == cnt - 1 || hi->code || hi->dst || hi->src || hi->off)
		return fault(f, i, "invalid bpf_ld_imm64 insn");
	switch (insn->src) {
	case 0:
	case BVC_PSEUDO_BTF_ID:
	case BVC_PSEUDO_FUNC:
	case BVC_PSEUDO_MAP_VALUE:
	case BVC_PSEUDO_MAP_IDX_VALUE:
		return 0;
	case BVC_PSEUDO_MAP_FD:
	case BVC_PSEUDO_MAP_IDX:
		if (hi->imm == 0)
			return 0;
		/* fall through */
	default:
		return fault(f, i, "unrecognized bpf_ld_imm64 insn");
	}
}

/* What the kernel checks of every instruction before it explores any path. */
static int check_insn_static(const struct bvc_insn *insns, size_t i, size_t cnt,
			     struct bvc_isa_fault *f)
{
	const struct bvc_insn *insn = &insns[i];

	if (bvc_insn_class(insn) == BVC_LDX &&
	    ((bvc_insn_mode(insn) != BVC_MEM && bvc_insn_mode(insn) != BVC_MEMSX) || insn->imm))
		return fault(f, i, "BPF_LDX uses reserved fields");
	if (bvc_insn_is_ld_imm64(insn))
		return check_ld_imm64_pair(insn, i, cnt, f);
	if (!bvc_isa_opcode_known(insn->code))
		return fault(f, i, "unknown opcode %02x", insn->code);
	return 0;
}

int bvc_isa_check_insn(const struct bvc_insn *insns, size_t cnt, size_t idx,
		       struct bvc_isa_fault *f)
{
	const struct bvc_insn *insn;

	if (!insns || idx >= cnt)
		return fault(f, idx, "insn %zu out of range", idx);
	if (check_insn_static(insns, idx, cnt, f))
		return -EINVAL;
	insn = &insns[idx];
	if (bvc_insn_is_ld_imm64(insn)) {
		if (insn->off)
			return fault(f, idx, "BPF_LD_IMM64 uses reserved fields");
		return check_dst_reg(f, idx, insn->dst);
	}
	switch (bvc_insn_class(insn)) {
	case BVC_ALU:
	case BVC_ALU64:
		return check_alu(insn, idx, f);
	case BVC_JMP:
	case BVC_JMP32:
		return check_jmp(insn, idx, f);
	default:
		return check_mem(insn, idx, f);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Add @start to the sorted, unique subprogram table. */
static int add_subprog(uint32_t *starts, size_t *n, int64_t start, size_t cnt, size_t i,
		       struct bvc_isa_fault *f)
{
	size_t k;

	if (start < 0 || (uint64_t)start >= cnt)
		return fault(f, i, "call to invalid destination");
	for (k = 0; k < *n; k++)
		if (starts[k] == start)
			return 0;
	if (*n >= BVC_MAX_SUBPROGS)
		return fault(f, i, "too many subprograms");
	starts[(*n)++] = (uint32_t)start;
	qsort(starts, *n, sizeof(*starts), cmp_u32);
	return 0;
}

/*
 * Jumps stay inside their subprogram, never land on the second half of an
 * ld_imm64, and each subprogram ends in exit or an unconditional jump so
 * control cannot fall from one function into the next.
 */
static int check_subprogs(const struct bvc_insn *insns, size_t cnt, const bool *second_half,
			  struct bvc_isa_fault *f)
{
	uint32_t *starts;
	size_t n = 1, s, i;
	int err = 0;

	starts = calloc(BVC_MAX_SUBPROGS + 1, sizeof(*starts));
	if (!starts)
		return -ENOMEM;
	starts[0] = 0;
	for (i = 0; i < cnt && !err; i++) {
		if (second_half[i])
			continue;
		if (bvc_insn_is_pseudo_call(&insns[i]) ||
		    (bvc_insn_is_ld_imm64(&insns[i]) && insns[i].src == BVC_PSEUDO_FUNC))
			err = add_subprog(starts, &n, (int64_t)i + insns[i].imm + 1, cnt, i, f);
	}
	for (s = 0; s < n && !err; s++) {
		size_t lo = starts[s], hi = s + 1 < n ? starts[s + 1] : cnt;

		if (second_half[lo]) {
			err = fault(f, lo - 1, "call to invalid destination");
			break;
		}
		for (i = lo; i < hi && !err; i++) {
			const struct bvc_insn *insn = &insns[i];
			uint8_t cls = bvc_insn_class(insn), op = bvc_insn_op(insn);
			int64_t to;

			if (second_half[i] || (cls != BVC_JMP && cls != BVC_JMP32) ||
			    op == BVC_CALL || op == BVC_EXIT)
				goto last;
			if (insn->code == (BVC_JMP32 | BVC_JA))
				to = (int64_t)i + insn->imm + 1;
			else
				to = (int64_t)i + insn->off + 1;
			if (to < (int64_t)lo || to >= (int64_t)hi) {
				err = fault(f, i, "jump out of range from insn %zu to %lld", i,
					    (long long)to);
				break;
			}
			if (second_half[to]) {
				err = fault(f, i, "jump into the middle of ldimm64 insn %lld",
					    (long long)to - 1);
				break;
			}
last:
			if (i == hi - 1 && insn->code != (BVC_JMP | BVC_EXIT) &&
			    insn->code != (BVC_JMP | BVC_JA) && insn->code != (BVC_JMP32 | BVC_JA))
				err = fault(f, i, "last insn is not an exit or jmp");
		}
	}
	free(starts);
	return err;
}

int bvc_isa_check(const struct bvc_insn *insns, size_t cnt, struct bvc_isa_fault *fault_out)
{
	bool *second_half;
	size_t i;
	int err = 0;

	if (!insns || cnt == 0)
		return fault(fault_out, 0, "empty program");

	/* Which slots are the upper half of an ld_imm64: data, not code. */
	second_half = calloc(cnt, sizeof(*second_half));
	if (!second_half)
		return -ENOMEM;
	for (i = 0; i < cnt && !err; i++) {
		err = check_insn_static(insns, i, cnt, fault_out);
		if (!err && bvc_insn_is_ld_imm64(&insns[i]))
			second_half[++i] = true;
	}
	if (!err)
		err = check_subprogs(insns, cnt, second_half, fault_out);
	free(second_half);
	return err;
}
