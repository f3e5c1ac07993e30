/* SPDX-License-Identifier: MIT */
/*
 * bpfvc ISA: the eBPF instruction encoding (RFC 9669, cpu v4, atomics) and
 * a static validator for it.
 *
 * The encoding constants are our own (BVC_*), so the verifier, the JITs and
 * the runtime build without kernel headers, for any target. Values are those
 * of the RFC and of <linux/bpf.h>.
 *
 * bvc_isa_check() rejects what the kernel rejects before it looks at any
 * state (unknown opcodes, a broken ld_imm64 pair, a jump out of the
 * program, a program that falls off its end); bvc_isa_check_insn() what it
 * rejects when a path reaches an instruction (reserved fields that are not
 * zero, a register number past r10, a write to r10). Messages use the
 * kernel's wording so tests and users can compare them with a kernel log.
 */
#ifndef BPFVC_ISA_H
#define BPFVC_ISA_H

#include <stddef.h>
#include <stdint.h>

/* One eBPF instruction, 8 bytes, little-endian, as in struct bpf_insn.
 * All targets bpfvc supports are little-endian, so the file layout is the
 * in-memory layout (dst in the low nibble). */
struct bvc_insn {
	uint8_t code;   /* class | size/op | mode/source */
	uint8_t dst:4;  /* destination register */
	uint8_t src:4;  /* source register, or a pseudo source for ld_imm64/call */
	int16_t off;    /* signed offset */
	int32_t imm;    /* signed immediate */
};

#define BVC_MAX_REG 11 /* r0..r10 */
#define BVC_REG_FP 10  /* the read-only frame pointer */

/* Classes: code & 0x07 */
#define BVC_LD 0x00
#define BVC_LDX 0x01
#define BVC_ST 0x02
#define BVC_STX 0x03
#define BVC_ALU 0x04
#define BVC_JMP 0x05
#define BVC_JMP32 0x06
#define BVC_ALU64 0x07

/* Load/store size: code & 0x18 */
#define BVC_W 0x00
#define BVC_H 0x08
#define BVC_B 0x10
#define BVC_DW 0x18

/* Load/store mode: code & 0xe0 */
#define BVC_IMM 0x00
#define BVC_ABS 0x20
#define BVC_IND 0x40
#define BVC_MEM 0x60
#define BVC_MEMSX 0x80
#define BVC_ATOMIC 0xc0

/* Source operand: code & 0x08 */
#define BVC_K 0x00
#define BVC_X 0x08
#define BVC_TO_LE 0x00 /* BPF_END: source bit selects the byte order */
#define BVC_TO_BE 0x08

/* ALU operations: code & 0xf0 */
#define BVC_ADD 0x00
#define BVC_SUB 0x10
#define BVC_MUL 0x20
#define BVC_DIV 0x30
#define BVC_OR 0x40
#define BVC_AND 0x50
#define BVC_LSH 0x60
#define BVC_RSH 0x70
#define BVC_NEG 0x80
#define BVC_MOD 0x90
#define BVC_XOR 0xa0
#define BVC_MOV 0xb0
#define BVC_ARSH 0xc0
#define BVC_END 0xd0

/* Jump operations: code & 0xf0 */
#define BVC_JA 0x00
#define BVC_JEQ 0x10
#define BVC_JGT 0x20
#define BVC_JGE 0x30
#define BVC_JSET 0x40
#define BVC_JNE 0x50
#define BVC_JSGT 0x60
#define BVC_JSGE 0x70
#define BVC_CALL 0x80
#define BVC_EXIT 0x90
#define BVC_JLT 0xa0
#define BVC_JLE 0xb0
#define BVC_JSLT 0xc0
#define BVC_JSLE 0xd0
#define BVC_JCOND 0xe0 /* may_goto */

/* Atomic operations, in imm of BPF_STX | BPF_ATOMIC */
#define BVC_FETCH 0x01
#define BVC_XCHG (0xe0 | BVC_FETCH)
#define BVC_CMPXCHG (0xf0 | BVC_FETCH)

/* Pseudo sources of ld_imm64 (src field) */
#define BVC_PSEUDO_MAP_FD 1        /* imm = map fd */
#define BVC_PSEUDO_MAP_VALUE 2     /* imm = map fd, next imm = value offset */
#define BVC_PSEUDO_BTF_ID 3        /* imm = kernel BTF id */
#define BVC_PSEUDO_FUNC 4          /* imm = insn offset of a subprogram */
#define BVC_PSEUDO_MAP_IDX 5       /* imm = index into the image's maps */
#define BVC_PSEUDO_MAP_IDX_VALUE 6 /* same, next imm = value offset */

/* Pseudo sources of call (src field) */
#define BVC_PSEUDO_CALL 1       /* bpf-to-bpf call, imm = relative offset */
#define BVC_PSEUDO_KFUNC_CALL 2 /* kernel function, imm = BTF id */

/* MOVSX uses off = 8/16/32; SDIV/SMOD use off = 1 */
#define BVC_ADDR_SPACE_CAST 1

static inline uint8_t bvc_insn_class(const struct bvc_insn *insn)
{
	return insn->code & 0x07;
}

static inline uint8_t bvc_insn_size(const struct bvc_insn *insn)
{
	return insn->code & 0x18;
}

static inline uint8_t bvc_insn_mode(const struct bvc_insn *insn)
{
	return insn->code & 0xe0;
}

static inline uint8_t bvc_insn_op(const struct bvc_insn *insn)
{
	return insn->code & 0xf0;
}

static inline uint8_t bvc_insn_srcbit(const struct bvc_insn *insn)
{
	return insn->code & 0x08;
}

/* Bytes moved by a load/store of this size class. */
static inline int bvc_size_bytes(uint8_t size)
{
	switch (size) {
	case BVC_B: return 1;
	case BVC_H: return 2;
	case BVC_W: return 4;
	default: return 8;
	}
}

/* True for the first half of a 16-byte ld_imm64. */
static inline int bvc_insn_is_ld_imm64(const struct bvc_insn *insn)
{
	return insn->code == (BVC_LD | BVC_IMM | BVC_DW);
}

/* True for a bpf-to-bpf call (imm: the callee, relative to the next insn). */
static inline int bvc_insn_is_pseudo_call(const struct bvc_insn *insn)
{
	return insn->code == (BVC_JMP | BVC_CALL) && insn->src == BVC_PSEUDO_CALL;
}

/* The 64-bit constant of an ld_imm64 pair. */
static inline uint64_t bvc_ld_imm64_value(const struct bvc_insn *insn)
{
	return (uint64_t)(uint32_t)insn[0].imm | ((uint64_t)(uint32_t)insn[1].imm << 32);
}

/* Where a static check failed: the instruction and a kernel-worded message. */
struct bvc_isa_fault {
	size_t insn;   /* index of the offending instruction */
	char msg[128]; /* e.g. "unknown opcode 8d" */
	int unsupported; /* 1: a valid instruction bpfvc does not model (the
			  * message says "unsupported: ..."), 0: malformed */
};

/* True when @code is in the kernel's table of public opcodes. */
int bvc_isa_opcode_known(uint8_t code);

/*
 * Check what the kernel checks of the whole program before exploring it:
 * known opcodes, ld_imm64 pairs, subprogram boundaries, jump targets, no
 * fall-through off a subprogram's end. Returns 0, or -EINVAL with @fault
 * filled for the first problem in program order (-ENOMEM on no memory).
 */
int bvc_isa_check(const struct bvc_insn *insns, size_t cnt, struct bvc_isa_fault *fault);

/*
 * Check the instruction at @idx as the kernel does when a path reaches it:
 * reserved fields, register numbers, writes to r10, constant shift amounts
 * and divisors. Returns 0 or -EINVAL with @fault filled.
 */
int bvc_isa_check_insn(const struct bvc_insn *insns, size_t cnt, size_t idx,
		       struct bvc_isa_fault *fault);

#endif /* BPFVC_ISA_H */
