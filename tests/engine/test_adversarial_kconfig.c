// SPDX-License-Identifier: MIT
/*
 * Adversarial cases for issue #15's section 2 (kconfig task): stack_trace
 * maps and the helpers that take them, the return ranges of get_stack and
 * the probe_read_*_str helpers (do_refine_retval_range: r0 in
 * [-MAX_ERRNO, the size argument's umax]), and the .kconfig map read as
 * constants (a frozen BPF_F_RDONLY_PROG array whose bytes the loader
 * filled). Each case carries bpfvc's verdict (adversarial.h), which Linux
 * 6.18.44 shared when checked. Programs are kprobes (ctx = pt_regs).
 *
 * The driver (and ADV_VERBOSE, ADV_LOG) is adversarial.c's.
 */
#include <criterion/criterion.h>

#include "adversarial.h"
#include "bpfvc/verifier.h"
#include "common/insns.h"

#define KPROBE 2

#define RAND I_CALL(7)
#define GET_STACKID I_CALL(27)
#define GET_STACK I_CALL(67)
#define PROBE_READ_KERNEL I_CALL(113)
#define PROBE_READ_USER_STR I_CALL(114)
#define PROBE_READ_KERNEL_STR I_CALL(115)
#define LD_MAP(r, idx) I_LD_IMM64_LO(r, BVC_PSEUDO_MAP_IDX, idx), I_LD_IMM64_HI(0)
#define LD_MAP_VALUE(r, idx, off) I_LD_IMM64_LO(r, BVC_PSEUDO_MAP_IDX_VALUE, idx), I_RAW(0, 0, 0, 0, off)
/* A load through a scalar: refused wherever it is reached. */
#define UNSAFE I_MOV64_IMM(0, 0), I_LDX(BVC_DW, 0, 0, 0)
#define RET0 I_MOV64_IMM(0, 0), I_EXIT()

/* get_stack into fp-64 (64 bytes), r0 kept in r7; then "if r7 s< 0 exit". */
#define GET_STACK_64 \
	I_MOV64_REG(6, 1), \
	I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -64), I_MOV64_IMM(3, 64), I_MOV64_IMM(4, 0), \
	GET_STACK, I_MOV64_REG(7, 0)
/* probe_read_kernel(fp + @off, r7, NULL): r7 is the size. */
#define READ_INTO(off) \
	I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, off), I_MOV64_REG(2, 7), I_MOV64_IMM(3, 0), \
	PROBE_READ_KERNEL

static const struct adv_case cases[] = {
	/* ---------------------------------------------------------------
	 * stack_trace maps: only bpf_get_stackid takes one
	 * --------------------------------------------------------------- */
	{ "stackid", KPROBE, 0, PROG(
		LD_MAP(2, ADV_MAP_STACK), I_MOV64_IMM(3, 0), GET_STACKID,
		RET0), ACC, "get_stackid(ctx, stack_trace map, 0)" },
	{ "stackid-hash-map", KPROBE, 0, PROG(
		LD_MAP(2, ADV_MAP_HASH), I_MOV64_IMM(3, 0), GET_STACKID,
		RET0), REJ, "get_stackid needs a stack_trace map" },
	{ "stackid-not-ctx", KPROBE, 0, PROG(
		I_MOV64_REG(1, 10), LD_MAP(2, ADV_MAP_STACK), I_MOV64_IMM(3, 0), GET_STACKID,
		RET0), REJ, "its first argument is the context" },
	{ "stack-map-lookup", KPROBE, 0, PROG(
		I_ST(BVC_W, 10, -4, 0), LD_MAP(1, ADV_MAP_STACK), I_MOV64_REG(2, 10),
		I_ALU64_IMM(BVC_ADD, 2, -4), I_CALL(1),
		RET0), REJ, "no lookup in a stack_trace map from a program" },
	{ "stack-map-update", KPROBE, 0, PROG(
		I_ST(BVC_W, 10, -4, 0), I_ST(BVC_DW, 10, -136, 0), LD_MAP(1, ADV_MAP_STACK),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -4), I_MOV64_REG(3, 10),
		I_ALU64_IMM(BVC_ADD, 3, -136), I_MOV64_IMM(4, 0), I_CALL(2),
		RET0), REJ, "no update of a stack_trace map from a program" },
	{ "stack-map-direct-value", KPROBE, 0, PROG(
		LD_MAP_VALUE(1, ADV_MAP_STACK, 0), I_LDX(BVC_DW, 0, 1, 0),
		I_EXIT()), REJ, "a stack_trace map has no direct value" },
	{ "stackid-result-as-offset", KPROBE, 0, PROG(
		LD_MAP(2, ADV_MAP_STACK), I_MOV64_IMM(3, 0), GET_STACKID,
		LD_MAP_VALUE(1, ADV_MAP_ONE, 0), I_ALU64_REG(BVC_ADD, 1, 0), I_LDX(BVC_B, 0, 1, 0),
		I_EXIT()), REJ, "get_stackid's result is any integer" },

	/* ---------------------------------------------------------------
	 * Return ranges: [-MAX_ERRNO, umax of the size argument]
	 * --------------------------------------------------------------- */
	{ "get-stack-len-fits", KPROBE, 0, PROG(
		GET_STACK_64, I_JMP_IMM(BVC_JSLT, 7, 0, 5),
		READ_INTO(-128),
		RET0), ACC, "after r0 s< 0, r0 <= 64 sizes a 64-byte buffer" },
	{ "get-stack-len-too-big", KPROBE, 0, PROG(
		GET_STACK_64, I_JMP_IMM(BVC_JSLT, 7, 0, 5),
		READ_INTO(-32),
		RET0), REJ, "r0 <= 64 does not fit the 32 bytes below fp" },
	{ "get-stack-len-no-check", KPROBE, 0, PROG(
		GET_STACK_64,
		READ_INTO(-128),
		RET0), REJ, "without the sign check r0 may be -4095" },
	{ "get-stack-len-check-below", KPROBE, 0, PROG(
		GET_STACK_64, I_JMP_IMM(BVC_JSLT, 7, -4095, 5),
		READ_INTO(-128),
		RET0), REJ, "r0 >= -4095 is still negative" },
	{ "get-stack-len-unsigned-check", KPROBE, 0, PROG(
		GET_STACK_64, I_JMP_IMM(BVC_JGT, 7, 64, 5),
		READ_INTO(-128),
		RET0), ACC, "r0 <= 64 unsigned: the negative errnos are gone too" },
	{ "get-stack-var-size", KPROBE, 0, PROG(
		I_MOV64_REG(6, 1), RAND, I_ALU64_IMM(BVC_AND, 0, 31), I_MOV64_REG(3, 0),
		I_ALU64_IMM(BVC_ADD, 3, 1), I_MOV64_REG(1, 6),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -64), I_MOV64_IMM(4, 0),
		I_ST(BVC_DW, 10, -64, 0), I_ST(BVC_DW, 10, -56, 0), I_ST(BVC_DW, 10, -48, 0),
		I_ST(BVC_DW, 10, -40, 0),
		GET_STACK, I_MOV64_REG(7, 0), I_JMP_IMM(BVC_JSLT, 7, 0, 5),
		READ_INTO(-96),
		RET0), ACC, "a variable size (1..32): r0 <= its umax, 32" },
	{ "get-stack-var-size-over", KPROBE, 0, PROG(
		I_MOV64_REG(6, 1), RAND, I_ALU64_IMM(BVC_AND, 0, 31), I_MOV64_REG(3, 0),
		I_ALU64_IMM(BVC_ADD, 3, 1), I_MOV64_REG(1, 6),
		I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -64), I_MOV64_IMM(4, 0),
		I_ST(BVC_DW, 10, -64, 0), I_ST(BVC_DW, 10, -56, 0), I_ST(BVC_DW, 10, -48, 0),
		I_ST(BVC_DW, 10, -40, 0),
		GET_STACK, I_MOV64_REG(7, 0), I_JMP_IMM(BVC_JSLT, 7, 0, 5),
		READ_INTO(-24),
		RET0), REJ, "r0 <= 32 does not fit the 24 bytes below fp" },
	{ "read-kernel-str-len", KPROBE, 0, PROG(
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -48), I_MOV64_IMM(2, 48), I_MOV64_IMM(3, 0),
		PROBE_READ_KERNEL_STR, I_MOV64_REG(7, 0), I_JMP_IMM(BVC_JSLT, 7, 0, 5),
		READ_INTO(-96),
		RET0), ACC, "probe_read_kernel_str: r0 <= 48" },
	{ "read-user-str-len-over", KPROBE, 0, PROG(
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -48), I_MOV64_IMM(2, 48), I_MOV64_IMM(3, 0),
		PROBE_READ_USER_STR, I_MOV64_REG(7, 0), I_JMP_IMM(BVC_JSLT, 7, 0, 5),
		READ_INTO(-40),
		RET0), REJ, "probe_read_user_str: r0 <= 48 does not fit the 40 bytes below fp" },
	{ "read-kernel-no-refine", KPROBE, 0, PROG(
		I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -48), I_MOV64_IMM(2, 48), I_MOV64_IMM(3, 0),
		PROBE_READ_KERNEL, I_MOV64_REG(7, 0), I_JMP_IMM(BVC_JSLT, 7, 0, 5),
		READ_INTO(-96),
		RET0), REJ, "probe_read_kernel (not _str) returns 0 or an errno: no bound" },

	/* ---------------------------------------------------------------
	 * .kconfig: a frozen read-only map, read as constants
	 * --------------------------------------------------------------- */
	{ "kconfig-version-prunes", KPROBE, 0, PROG(
		LD_MAP_VALUE(1, ADV_MAP_KCONFIG, 0), I_LDX(BVC_W, 2, 1, 0),
		I_JMP_IMM(BVC_JGT, 2, 0x060000, 2), UNSAFE,
		RET0), ACC, "LINUX_KERNEL_VERSION 6.18.44 > 6.0: the other branch is dead" },
	{ "kconfig-version-live", KPROBE, 0, PROG(
		LD_MAP_VALUE(1, ADV_MAP_KCONFIG, 0), I_LDX(BVC_W, 2, 1, 0),
		I_JMP_IMM(BVC_JGT, 2, 0x070000, 2), UNSAFE,
		RET0), REJ, "6.18.44 < 7.0: the unsafe branch is live" },
	{ "kconfig-hz-prunes", KPROBE, 0, PROG(
		LD_MAP_VALUE(1, ADV_MAP_KCONFIG, 8), I_LDX(BVC_W, 2, 1, 0),
		I_JMP_IMM(BVC_JEQ, 2, 250, 2), UNSAFE,
		RET0), ACC, "CONFIG_HZ == 250" },
	{ "kconfig-bool-prunes", KPROBE, 0, PROG(
		LD_MAP_VALUE(1, ADV_MAP_KCONFIG, 12), I_LDX(BVC_B, 2, 1, 0),
		I_JMP_IMM(BVC_JEQ, 2, 0, 2), UNSAFE,
		RET0), ACC, "CONFIG_Y is n" },
	{ "kconfig-narrow-byte", KPROBE, 0, PROG(
		LD_MAP_VALUE(1, ADV_MAP_KCONFIG, 0), I_LDX(BVC_B, 2, 1, 1),
		I_JMP_IMM(BVC_JEQ, 2, 0x12, 2), UNSAFE,
		RET0), ACC, "byte 1 of a little-endian u32 0x06122c" },
	{ "kconfig-narrow-byte-wrong", KPROBE, 0, PROG(
		LD_MAP_VALUE(1, ADV_MAP_KCONFIG, 0), I_LDX(BVC_B, 2, 1, 1),
		I_JMP_IMM(BVC_JEQ, 2, 0x06, 2), UNSAFE,
		RET0), REJ, "byte 1 is not the high byte" },
	{ "kconfig-variable-offset", KPROBE, 0, PROG(
		RAND, I_ALU64_IMM(BVC_AND, 0, 4), LD_MAP_VALUE(1, ADV_MAP_KCONFIG, 0),
		I_ALU64_REG(BVC_ADD, 1, 0), I_LDX(BVC_W, 2, 1, 0),
		I_JMP_IMM(BVC_JGT, 2, 0x060000, 2), UNSAFE,
		RET0), REJ, "a variable offset reads an unknown value" },
	{ "kconfig-write", KPROBE, 0, PROG(
		LD_MAP_VALUE(1, ADV_MAP_KCONFIG, 0), I_ST(BVC_W, 1, 0, 7),
		RET0), REJ, "read-only for the program" },
	{ "kconfig-read-past-end", KPROBE, 0, PROG(
		LD_MAP_VALUE(1, ADV_MAP_KCONFIG, 12), I_LDX(BVC_DW, 0, 1, 0),
		I_EXIT()), REJ, "bytes 12..19 of a 16-byte value" },
	{ "kconfig-lookup-const", KPROBE, 0, PROG(
		I_ST(BVC_W, 10, -4, 0), LD_MAP(1, ADV_MAP_KCONFIG), I_MOV64_REG(2, 10),
		I_ALU64_IMM(BVC_ADD, 2, -4), I_CALL(1), I_JMP_IMM(BVC_JEQ, 0, 0, 4),
		I_LDX(BVC_W, 2, 0, 0), I_JMP_IMM(BVC_JGT, 2, 0x060000, 2), UNSAFE,
		RET0), ACC, "a lookup's value pointer reads the same constants" },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

Test(adversarial_kconfig, ours_match_table)
{
	adv_check_ours(cases, NCASES);
}

Test(adversarial_kconfig, kernel_agrees)
{
	adv_check_kernel(cases, NCASES);
}
