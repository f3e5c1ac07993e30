/* SPDX-License-Identifier: MIT */
/*
 * Disassembler tests.
 *
 * 1. A table of instructions and the text the kernel verifier log prints
 *    for them (kernel/bpf/disasm.c is the reference), one case per form,
 *    plus the bpfvc-only texts (maps, callx, BUG lines, errors).
 * 2. The running kernel as oracle: a few raw programs holding every form
 *    the verifier accepts for a socket filter are loaded with log_level 2,
 *    and every "N: (op) text" line of the log must equal our text for insn
 *    N. Skipped when bpf() is not available (EPERM, ENOSYS).
 *
 * Must not: depend on a particular kernel beyond the syntax, or leave a
 * program loaded (every fd is closed).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpfvc/disasm.h"

_Static_assert(sizeof(struct bvc_insn) == sizeof(struct bpf_insn),
	       "bvc_insn must have the kernel's layout to be loaded as is");

/* ---- 1. table ---------------------------------------------------------- */

struct dis_case {
	struct bvc_insn insn[2]; /* one insn, or an ld_imm64 pair */
	size_t cnt;              /* instructions in insn[] */
	size_t idx;              /* which one to format */
	int ret;                 /* expected return */
	char text[64];           /* expected text, inline: see below */
};

/* One 8-byte instruction and its text. */
#define C1(code, dst, src, off, imm, txt)                                        \
	{ .insn = { { (code), (dst), (src), (off), (imm) } }, .cnt = 1, .ret = 1, \
	  .text = (txt) }
/* An ld_imm64 pair (dst, pseudo src, low imm, high imm) and its text. */
#define C2(dst, src, lo, hi, txt)                                                   \
	{ .insn = { { 0x18, (dst), (src), 0, (lo) }, { 0, 0, 0, 0, (hi) } }, .cnt = 2, \
	  .ret = 2, .text = (txt) }

static const struct dis_case cases[] = {
	/* ALU64 / ALU, register and immediate: imm in decimal */
	C1(0x0f, 1, 2, 0, 0, "r1 += r2"),
	C1(0x04, 1, 0, 0, 5, "w1 += 5"),
	C1(0x07, 1, 0, 0, 5, "r1 += 5"),
	C1(0x17, 1, 0, 0, -5, "r1 -= -5"),
	C1(0x1c, 3, 4, 0, 0, "w3 -= w4"),
	C1(0x2c, 1, 2, 0, 0, "w1 *= w2"),
	C1(0x27, 9, 0, 0, 1000000, "r9 *= 1000000"),
	C1(0x37, 1, 0, 0, 3, "r1 /= 3"),
	C1(0x3c, 1, 2, 0, 0, "w1 /= w2"),
	C1(0x4f, 1, 2, 0, 0, "r1 |= r2"),
	C1(0x54, 1, 0, 0, 255, "w1 &= 255"),
	C1(0x5f, 0, 10, 0, 0, "r0 &= r10"),
	C1(0x67, 1, 0, 0, 3, "r1 <<= 3"),
	C1(0x7c, 1, 2, 0, 0, "w1 >>= w2"),
	C1(0x77, 1, 0, 0, 63, "r1 >>= 63"),
	C1(0x87, 1, 0, 0, 0, "r1 = -r1"),
	C1(0x84, 3, 0, 0, 0, "w3 = -w3"),
	C1(0x9f, 1, 2, 0, 0, "r1 %= r2"),
	C1(0x94, 1, 0, 0, 7, "w1 %= 7"),
	C1(0xa4, 1, 0, 0, -1, "w1 ^= -1"),
	C1(0xaf, 5, 6, 0, 0, "r5 ^= r6"),
	C1(0xb7, 0, 0, 0, 0, "r0 = 0"),
	C1(0xb7, 1, 0, 0, INT32_MIN, "r1 = -2147483648"),
	C1(0xb4, 2, 0, 0, 0x7fffffff, "w2 = 2147483647"),
	C1(0xbc, 1, 2, 0, 0, "w1 = w2"),
	C1(0xbf, 6, 1, 0, 0, "r6 = r1"),
	C1(0xcf, 1, 2, 0, 0, "r1 s>>= r2"),
	C1(0xc4, 1, 0, 0, 31, "w1 s>>= 31"),
	/* signed division and modulo: off = 1 */
	C1(0x3f, 1, 2, 1, 0, "r1 s/= r2"),
	C1(0x9f, 1, 2, 1, 0, "r1 s%= r2"),
	C1(0x34, 1, 0, 1, -3, "w1 s/= -3"),
	C1(0x94, 1, 0, 1, 7, "w1 s%= 7"),
	C1(0x3c, 1, 2, 1, 0, "w1 s/= w2"),
	C1(0x97, 1, 0, 1, 5, "r1 s%= 5"),
	/* movsx: off = 8/16/32, register form only */
	C1(0xbf, 1, 2, 8, 0, "r1 = (s8)r2"),
	C1(0xbf, 1, 2, 16, 0, "r1 = (s16)r2"),
	C1(0xbf, 1, 2, 32, 0, "r1 = (s32)r2"),
	C1(0xbc, 1, 2, 8, 0, "w1 = (s8)w2"),
	C1(0xbc, 1, 2, 16, 0, "w1 = (s16)w2"),
	C1(0xb7, 1, 0, 8, 5, "r1 = 5"),
	/* endianness (always "r") and bswap */
	C1(0xdc, 1, 0, 0, 16, "r1 = be16 r1"),
	C1(0xdc, 2, 0, 0, 32, "r2 = be32 r2"),
	C1(0xdc, 3, 0, 0, 64, "r3 = be64 r3"),
	C1(0xd4, 1, 0, 0, 16, "r1 = le16 r1"),
	C1(0xd4, 1, 0, 0, 32, "r1 = le32 r1"),
	C1(0xd4, 1, 0, 0, 64, "r1 = le64 r1"),
	C1(0xd7, 1, 0, 0, 16, "r1 = bswap16 r1"),
	C1(0xd7, 1, 0, 0, 32, "r1 = bswap32 r1"),
	C1(0xd7, 1, 0, 0, 64, "r1 = bswap64 r1"),
	/* arena and per-cpu movs (off = 1 / -1 on ALU64 MOV X) */
	C1(0xbf, 1, 2, 1, 1, "r1 = addr_space_cast(r2, 0, 1)"),
	C1(0xbf, 1, 2, 1, 0x10000, "r1 = addr_space_cast(r2, 1, 0)"),
	C1(0xbf, 1, 2, -1, 0, "r1 = &(void __percpu *)(r2)"),

	/* loads, sign-extending loads, stores: "+off" always signed */
	C1(0x61, 2, 1, 4, 0, "r2 = *(u32 *)(r1 +4)"),
	C1(0x69, 2, 1, -2, 0, "r2 = *(u16 *)(r1 -2)"),
	C1(0x71, 2, 1, 0, 0, "r2 = *(u8 *)(r1 +0)"),
	C1(0x79, 2, 10, -8, 0, "r2 = *(u64 *)(r10 -8)"),
	C1(0x79, 0, 1, 32767, 0, "r0 = *(u64 *)(r1 +32767)"),
	C1(0x91, 2, 1, 4, 0, "r2 = *(s8 *)(r1 +4)"),
	C1(0x89, 2, 1, 4, 0, "r2 = *(s16 *)(r1 +4)"),
	C1(0x81, 2, 1, -32768, 0, "r2 = *(s32 *)(r1 -32768)"),
	C1(0x7b, 10, 1, -8, 0, "*(u64 *)(r10 -8) = r1"),
	C1(0x63, 10, 1, -4, 0, "*(u32 *)(r10 -4) = r1"),
	C1(0x6b, 1, 2, 6, 0, "*(u16 *)(r1 +6) = r2"),
	C1(0x73, 1, 2, 0, 0, "*(u8 *)(r1 +0) = r2"),
	C1(0x62, 10, 0, -8, 5, "*(u32 *)(r10 -8) = 5"),
	C1(0x7a, 10, 0, -16, -1, "*(u64 *)(r10 -16) = -1"),
	C1(0x6a, 10, 0, -2, 65535, "*(u16 *)(r10 -2) = 65535"),
	C1(0x72, 10, 0, -1, 7, "*(u8 *)(r10 -1) = 7"),
	C1(0xc2, 0, 0, 0, 0, "nospec"),

	/* atomics: lock for plain RMW, atomic[64]_* for the fetching ones */
	C1(0xdb, 1, 2, 0, 0x00, "lock *(u64 *)(r1 +0) += r2"),
	C1(0xdb, 1, 2, 8, 0x40, "lock *(u64 *)(r1 +8) |= r2"),
	C1(0xc3, 1, 2, 8, 0x50, "lock *(u32 *)(r1 +8) &= r2"),
	C1(0xc3, 10, 3, -4, 0xa0, "lock *(u32 *)(r10 -4) ^= r3"),
	C1(0xdb, 1, 2, 0, 0x01, "r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)"),
	C1(0xdb, 1, 2, 0, 0x51, "r2 = atomic64_fetch_and((u64 *)(r1 +0), r2)"),
	C1(0xc3, 1, 2, 4, 0x41, "r2 = atomic_fetch_or((u32 *)(r1 +4), r2)"),
	C1(0xc3, 1, 2, -4, 0xa1, "r2 = atomic_fetch_xor((u32 *)(r1 -4), r2)"),
	C1(0xdb, 1, 2, 0, 0xe1, "r2 = atomic64_xchg((u64 *)(r1 +0), r2)"),
	C1(0xc3, 1, 2, 0, 0xe1, "r2 = atomic_xchg((u32 *)(r1 +0), r2)"),
	C1(0xdb, 1, 2, 0, 0xf1, "r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)"),
	C1(0xc3, 10, 5, -8, 0xf1, "r0 = atomic_cmpxchg((u32 *)(r10 -8), r0, r5)"),
	C1(0xd3, 0, 1, 4, 0x100, "r0 = load_acquire((u8 *)(r1 +4))"),
	C1(0xdb, 3, 10, -8, 0x100, "r3 = load_acquire((u64 *)(r10 -8))"),
	C1(0xcb, 1, 2, -2, 0x110, "store_release((u16 *)(r1 -2), r2)"),
	C1(0xc3, 1, 2, 0, 0x110, "store_release((u32 *)(r1 +0), r2)"),

	/* legacy packet loads: r0 implicit */
	C1(0x30, 0, 0, 0, 12, "r0 = *(u8 *)skb[12]"),
	C1(0x28, 0, 0, 0, 12, "r0 = *(u16 *)skb[12]"),
	C1(0x20, 0, 0, 0, 0, "r0 = *(u32 *)skb[0]"),
	C1(0x48, 0, 1, 0, 0, "r0 = *(u16 *)skb[r1 + 0]"),
	C1(0x50, 0, 7, 0, 14, "r0 = *(u8 *)skb[r7 + 14]"),
	C1(0x40, 0, 2, 0, -4, "r0 = *(u32 *)skb[r2 + -4]"),

	/* ld_imm64: hex of the full value; maps as bpftool names them */
	C2(1, 0, 0x55667788, 0x11223344, "r1 = 0x1122334455667788"),
	C2(1, 0, -1, 0, "r1 = 0xffffffff"),
	C2(9, 0, -1, -1, "r9 = 0xffffffffffffffff"),
	C2(0, 0, 0, 0, "r0 = 0x0"),
	C2(1, 1, 3, 0, "r1 = map[id:3]"),
	C2(1, 5, 0, 0, "r1 = map[id:0]"),
	C2(1, 2, 2, 8, "r1 = map[id:2][0]+8"),
	C2(2, 6, 0, 16, "r2 = map[id:0][0]+16"),
	C2(1, 3, 1234, 0, "r1 = 0x4d2"),
	C2(2, 4, 5, 0, "r2 = 0x5"),

	/* jumps: condition imm in hex, offsets signed */
	C1(0x25, 1, 0, 3, 5, "if r1 > 0x5 goto pc+3"),
	C1(0xce, 1, 2, -4, 0, "if w1 s< w2 goto pc-4"),
	C1(0x45, 1, 0, 1, 4, "if r1 & 0x4 goto pc+1"),
	C1(0x15, 1, 0, 0, -1, "if r1 == 0xffffffff goto pc+0"),
	C1(0x1d, 1, 2, 7, 0, "if r1 == r2 goto pc+7"),
	C1(0x2e, 1, 2, 7, 0, "if w1 > w2 goto pc+7"),
	C1(0x35, 1, 0, 1, 100, "if r1 >= 0x64 goto pc+1"),
	C1(0x4e, 3, 4, 1, 0, "if w3 & w4 goto pc+1"),
	C1(0x55, 0, 0, -32768, 0, "if r0 != 0x0 goto pc-32768"),
	C1(0x65, 1, 0, 1, -2, "if r1 s> 0xfffffffe goto pc+1"),
	C1(0x76, 1, 0, 1, 2, "if w1 s>= 0x2 goto pc+1"),
	C1(0xa5, 1, 0, 1, 3, "if r1 < 0x3 goto pc+1"),
	C1(0xbd, 1, 2, 1, 0, "if r1 <= r2 goto pc+1"),
	C1(0xc5, 1, 0, 1, 0, "if r1 s< 0x0 goto pc+1"),
	C1(0xde, 1, 2, 1, 0, "if w1 s<= w2 goto pc+1"),
	C1(0x05, 0, 0, 2, 0, "goto pc+2"),
	C1(0x05, 0, 0, -1, 0, "goto pc-1"),
	C1(0x06, 0, 0, 0, 70000, "gotol pc+70000"),
	C1(0x06, 0, 0, 0, -70000, "gotol pc-70000"),
	C1(0xe5, 0, 0, 2, 0, "may_goto pc+2"),
	C1(0x95, 0, 0, 0, 0, "exit"),

	/* calls */
	C1(0x85, 0, 0, 0, 1, "call bpf_map_lookup_elem#1"),
	C1(0x85, 0, 0, 0, 181, "call bpf_loop#181"),
	C1(0x85, 0, 0, 0, 0, "call bpf_unspec#0"),
	C1(0x85, 0, 0, 0, 211, "call bpf_cgrp_storage_delete#211"),
	C1(0x85, 0, 0, 0, 100000, "call unknown#100000"),
	C1(0x85, 0, 0, 0, -1, "call unknown#-1"),
	C1(0x85, 0, 1, 0, 3, "call pc+3"),
	C1(0x85, 0, 1, 0, -7, "call pc-7"),
	C1(0x85, 0, 2, 0, 12345, "call kernel-function#12345"),
	C1(0x85, 0, 3, 0, 5, "call unknown#5"),
	C1(0x8d, 2, 0, 0, 0, "call r2"),

	/* opcodes the kernel rejects: BUG texts, no crash */
	C1(0x00, 0, 0, 0, 0x1122, "BUG_ld_00"),
	C1(0x38, 0, 0, 0, 12, "BUG_ld_38"),
	C1(0x60, 0, 0, 0, 0, "BUG_ld_60"),
	C1(0x99, 1, 2, 0, 0, "BUG_ldx_99"),
	C1(0xe1, 1, 2, 0, 0, "BUG_ldx_e1"),
	C1(0x82, 1, 0, 0, 0, "BUG_st_82"),
	C1(0x93, 1, 2, 0, 0, "BUG_93"),
	C1(0xdb, 1, 2, 0, 0x02, "BUG_db"),
	C1(0xc3, 1, 2, 0, 0xb1, "BUG_c3"),
	C1(0x8c, 1, 2, 0, 0, "BUG_alu_8c"),
	C1(0xdf, 1, 0, 0, 16, "BUG_alu64_df"),
	C1(0xe7, 1, 0, 0, 0, "BUG_alu64_e7"),
	C1(0xf4, 1, 0, 0, 0, "BUG_alu_f4"),
	C1(0xf5, 1, 0, 0, 0, "BUG_jmp_f5"),
	C1(0x0d, 1, 0, 0, 0, "BUG_jmp_0d"),
	C1(0x9d, 0, 0, 0, 0, "BUG_jmp_9d"),
	C1(0x96, 0, 0, 0, 0, "BUG_jmp32_96"),
	C1(0x86, 0, 0, 0, 1, "BUG_jmp32_86"),
	C1(0xe6, 0, 0, 1, 0, "BUG_jmp32_e6"),
	C1(0xe5, 0, 1, 1, 0, "BUG_jmp_e5"),

	/* errors: the text says what is wrong */
	{ .insn = { { 0x18, 1, 0, 0, 5 } }, .cnt = 1, .ret = -EINVAL,
	  .text = "invalid bpf_ld_imm64 insn: second half missing" },
	{ .insn = { { 0xb7, 0, 0, 0, 0 } }, .cnt = 1, .idx = 1, .ret = -EINVAL,
	  .text = "invalid insn index 1 (program has 1 insns)" },
	{ .insn = { { 0xb7, 0, 0, 0, 0 } }, .cnt = 0, .ret = -EINVAL,
	  .text = "invalid insn index 0 (program has 0 insns)" },
};

static void free_cases(struct criterion_test_params *params)
{
	cr_free(params->params);
}

/*
 * Criterion runs each case in a fresh process that need not share our
 * address layout (ASLR), so the cases go to its shared arena and hold no
 * pointers into this binary.
 */
ParameterizedTestParameters(disasm, table)
{
	struct dis_case *copy = cr_malloc(sizeof(cases));

	cr_assert_not_null(copy);
	memcpy(copy, cases, sizeof(cases));
	return cr_make_param_array(struct dis_case, copy, sizeof(cases) / sizeof(cases[0]),
				   free_cases);
}

ParameterizedTest(struct dis_case *c, disasm, table)
{
	char buf[BVC_DISASM_TEXT_MAX];
	int ret;

	memset(buf, 'X', sizeof(buf));
	ret = bvc_disasm_insn(c->insn, c->cnt, c->idx, buf, sizeof(buf));
	cr_expect_str_eq(buf, c->text, "code %02x: got \"%s\", want \"%s\"", c->insn[0].code,
			 buf, c->text);
	cr_expect_eq(ret, c->ret, "code %02x (\"%s\"): returned %d, want %d",
		     c->insn[0].code, c->text, ret, c->ret);
}

/* Every opcode byte with any field pattern formats without crashing and
 * leaves a terminated, non-empty text (ASan runs catch overreads). */
Test(disasm, every_opcode_formats)
{
	static const int32_t imms[] = { 0, 1, 0x51, 0xf1, 0x100, -1, INT32_MIN };
	static const int16_t offs[] = { 0, 1, -1, 8, 16, 32, INT16_MIN };
	struct bvc_insn insns[2] = { { 0 } };
	char buf[BVC_DISASM_TEXT_MAX];
	size_t i, j;
	int code, src;

	for (code = 0; code < 256; code++)
		for (src = 0; src < 16; src++)
			for (i = 0; i < sizeof(imms) / sizeof(imms[0]); i++)
				for (j = 0; j < sizeof(offs) / sizeof(offs[0]); j++) {
					insns[0] = (struct bvc_insn){ (uint8_t)code, 15, (uint8_t)src,
								      offs[j], imms[i] };
					cr_assert_gt(bvc_disasm_insn(insns, 2, 0, buf, sizeof(buf)), 0);
					cr_assert_gt(strlen(buf), 0);
					cr_assert_lt(strlen(buf), sizeof(buf) - 1,
						     "code %02x: text may not fit", code);
					cr_assert_eq(bvc_disasm_insn(insns, 1, 0, buf, sizeof(buf)) > 0,
						     code != 0x18, "code %02x alone", code);
				}
}

Test(disasm, small_buffer)
{
	struct bvc_insn insn = { 0x0f, 1, 2, 0, 0 }; /* "r1 += r2" */
	char buf[16];

	cr_assert_eq(bvc_disasm_insn(&insn, 1, 0, buf, 8), -ENOSPC);
	cr_assert_str_eq(buf, "r1 += r");
	cr_assert_eq(bvc_disasm_insn(&insn, 1, 0, buf, 9), 1); /* exactly fits */
	cr_assert_eq(bvc_disasm_insn(&insn, 1, 0, NULL, 16), -EINVAL);
	cr_assert_eq(bvc_disasm_insn(&insn, 1, 0, buf, 0), -EINVAL);
	cr_assert_eq(bvc_disasm_insn(NULL, 1, 0, buf, sizeof(buf)), -EINVAL);
}

Test(disasm, helper_names)
{
	cr_expect_str_eq(bvc_helper_name(1), "bpf_map_lookup_elem");
	cr_expect_str_eq(bvc_helper_name(0), "bpf_unspec");
	cr_expect_str_eq(bvc_helper_name(7), "bpf_get_prandom_u32");
	cr_expect_str_eq(bvc_helper_name(181), "bpf_loop");
	cr_expect_str_eq(bvc_helper_name(209), "bpf_user_ringbuf_drain");
	cr_expect_str_eq(bvc_helper_name(210), "bpf_cgrp_storage_get");
	cr_expect_str_eq(bvc_helper_name(211), "bpf_cgrp_storage_delete");
	cr_expect_null(bvc_helper_name(212));
	cr_expect_null(bvc_helper_name(-1));
	cr_expect_null(bvc_helper_name(INT32_MIN));
	cr_expect_null(bvc_helper_name(INT32_MAX));
}

/* Run bvc_disasm_prog into a string; returns its result. */
static int prog_text(const struct bvc_insn *insns, size_t cnt, char **text)
{
	size_t len;
	FILE *f = open_memstream(text, &len);
	int ret;

	cr_assert_not_null(f);
	ret = bvc_disasm_prog(insns, cnt, f);
	cr_assert_eq(fclose(f), 0);
	return ret;
}

Test(disasm, prog_lines)
{
	static const struct bvc_insn insns[] = {
		{ 0xb7, 0, 0, 0, 0 },
		{ 0x18, 1, 0, 0, 0x55667788 }, { 0, 0, 0, 0, 0x11223344 },
		{ 0x61, 2, 1, 4, 0 },
		{ 0x38, 0, 0, 0, 0 },
		{ 0x95, 0, 0, 0, 0 },
	};
	char *text = NULL;

	cr_assert_eq(prog_text(insns, sizeof(insns) / sizeof(insns[0]), &text), 0);
	cr_expect_str_eq(text, "0: (b7) r0 = 0\n"
			       "1: (18) r1 = 0x1122334455667788\n"
			       "3: (61) r2 = *(u32 *)(r1 +4)\n"
			       "4: BUG_ld_38\n"
			       "5: (95) exit\n");
	free(text);
}

Test(disasm, prog_truncated_ld_imm64)
{
	static const struct bvc_insn insns[] = {
		{ 0xb7, 0, 0, 0, 0 },
		{ 0x18, 1, 0, 0, 1 },
	};
	char *text = NULL;

	cr_assert_eq(prog_text(insns, 2, &text), -EINVAL);
	cr_expect_str_eq(text, "0: (b7) r0 = 0\n"
			       "1: (18) invalid bpf_ld_imm64 insn: second half missing\n");
	free(text);
	cr_assert_eq(prog_text(NULL, 0, &text), 0);
	cr_expect_str_eq(text, "");
	free(text);
	cr_assert_eq(bvc_disasm_prog(NULL, 1, stdout), -EINVAL);
}

/* ---- 2. the kernel as oracle ------------------------------------------- */

#define I(code, dst, src, off, imm) { (code), (dst), (src), (off), (imm) }
#define LD64(dst, src, lo, hi) I(0x18, dst, src, 0, lo), I(0, 0, 0, 0, hi)

/*
 * Integer and bit operations. r2, r3 are unknown u32 from the skb, so the
 * verifier keeps every result as a scalar it cannot fold away.
 */
static const struct bvc_insn prog_alu[] = {
	I(0xbf, 6, 1, 0, 0),   /* r6 = r1 */
	I(0x61, 2, 6, 0, 0),   /* r2 = skb->len */
	I(0x61, 3, 6, 4, 0),   /* r3 = skb->pkt_type */
	I(0xb7, 0, 0, 0, 7),
	/* every op: ALU64 K, ALU64 X, ALU K, ALU X */
	I(0x07, 0, 0, 0, -5), I(0x0f, 0, 2, 0, 0), I(0x04, 0, 0, 0, 5), I(0x0c, 0, 3, 0, 0),
	I(0x17, 0, 0, 0, 100), I(0x1f, 0, 2, 0, 0), I(0x14, 0, 0, 0, -9), I(0x1c, 0, 3, 0, 0),
	I(0x27, 0, 0, 0, 3), I(0x2f, 0, 2, 0, 0), I(0x24, 0, 0, 0, 1000), I(0x2c, 0, 3, 0, 0),
	I(0x37, 0, 0, 0, 3), I(0x3f, 0, 2, 0, 0), I(0x34, 0, 0, 0, 7), I(0x3c, 0, 3, 0, 0),
	I(0x47, 0, 0, 0, 0x100), I(0x4f, 0, 2, 0, 0), I(0x44, 0, 0, 0, 1), I(0x4c, 0, 3, 0, 0),
	I(0x57, 0, 0, 0, -256), I(0x5f, 0, 2, 0, 0), I(0x54, 0, 0, 0, 0xffff), I(0x5c, 0, 3, 0, 0),
	I(0x67, 0, 0, 0, 3), I(0x6f, 0, 2, 0, 0), I(0x64, 0, 0, 0, 31), I(0x6c, 0, 3, 0, 0),
	I(0x77, 0, 0, 0, 2), I(0x7f, 0, 2, 0, 0), I(0x74, 0, 0, 0, 1), I(0x7c, 0, 3, 0, 0),
	I(0x97, 0, 0, 0, 7), I(0x9f, 0, 2, 0, 0), I(0x94, 0, 0, 0, 13), I(0x9c, 0, 3, 0, 0),
	I(0xa7, 0, 0, 0, 0x7fffffff), I(0xaf, 0, 2, 0, 0), I(0xa4, 0, 0, 0, -1), I(0xac, 0, 3, 0, 0),
	I(0xc7, 0, 0, 0, 1), I(0xcf, 0, 2, 0, 0), I(0xc4, 0, 0, 0, 4), I(0xcc, 0, 3, 0, 0),
	I(0xb7, 4, 0, 0, -1), I(0xbf, 4, 2, 0, 0), I(0xb4, 4, 0, 0, INT32_MIN), I(0xbc, 4, 3, 0, 0),
	I(0x87, 0, 0, 0, 0), I(0x84, 0, 0, 0, 0),
	/* sdiv / smod */
	I(0x3f, 0, 2, 1, 0), I(0x9f, 0, 2, 1, 0), I(0x3c, 0, 3, 1, 0), I(0x9c, 0, 3, 1, 0),
	I(0x37, 0, 0, 1, -3), I(0x97, 0, 0, 1, 5), I(0x34, 0, 0, 1, 7), I(0x94, 0, 0, 1, -2),
	/* movsx */
	I(0xbf, 4, 2, 8, 0), I(0xbf, 4, 2, 16, 0), I(0xbf, 4, 2, 32, 0),
	I(0xbc, 4, 3, 8, 0), I(0xbc, 4, 3, 16, 0),
	/* endianness, bswap */
	I(0xd4, 2, 0, 0, 16), I(0xd4, 2, 0, 0, 32), I(0xd4, 2, 0, 0, 64),
	I(0xdc, 2, 0, 0, 16), I(0xdc, 2, 0, 0, 32), I(0xdc, 2, 0, 0, 64),
	I(0xd7, 3, 0, 0, 16), I(0xd7, 3, 0, 0, 32), I(0xd7, 3, 0, 0, 64),
	/* 64-bit constants */
	LD64(5, 0, 0x55667788, 0x11223344),
	LD64(5, 0, -1, 0),
	LD64(7, 0, -1, -1),
	I(0x95, 0, 0, 0, 0),
};

/*
 * The stack at every width: immediate and register stores, loads,
 * sign-extending loads, every atomic, load-acquire/store-release.
 */
static const struct bvc_insn prog_mem[] = {
	I(0x61, 2, 1, 0, 0),   /* r2 = skb->len */
	I(0x61, 3, 1, 4, 0),   /* r3 = skb->pkt_type */
	I(0x7a, 10, 0, -8, 0), I(0x62, 10, 0, -12, 1), I(0x6a, 10, 0, -14, -2),
	I(0x72, 10, 0, -15, 3), I(0x72, 10, 0, -16, 4),
	I(0x7b, 10, 2, -24, 0), I(0x63, 10, 2, -28, 0), I(0x6b, 10, 2, -30, 0),
	I(0x73, 10, 2, -31, 0), I(0x73, 10, 3, -32, 0),
	I(0x79, 4, 10, -8, 0), I(0x61, 4, 10, -12, 0), I(0x69, 4, 10, -14, 0),
	I(0x71, 4, 10, -15, 0),
	I(0x81, 4, 10, -28, 0), I(0x89, 4, 10, -30, 0), I(0x91, 4, 10, -31, 0),
	I(0x7a, 10, 0, -40, 0), I(0x7a, 10, 0, -48, 0),
	I(0xdb, 10, 2, -40, 0x00), I(0xdb, 10, 2, -40, 0x50),
	I(0xdb, 10, 2, -40, 0x40), I(0xdb, 10, 2, -40, 0xa0),
	I(0xc3, 10, 3, -48, 0x00), I(0xc3, 10, 3, -48, 0x50),
	I(0xc3, 10, 3, -48, 0x40), I(0xc3, 10, 3, -48, 0xa0),
	I(0xbf, 5, 2, 0, 0),
	I(0xdb, 10, 5, -40, 0x01), I(0xdb, 10, 5, -40, 0x51),
	I(0xdb, 10, 5, -40, 0x41), I(0xdb, 10, 5, -40, 0xa1),
	I(0xc3, 10, 5, -48, 0x01), I(0xc3, 10, 5, -48, 0x51),
	I(0xc3, 10, 5, -48, 0x41), I(0xc3, 10, 5, -48, 0xa1),
	I(0xdb, 10, 5, -40, 0xe1), I(0xc3, 10, 5, -48, 0xe1),
	I(0xb7, 0, 0, 0, 0),
	I(0xdb, 10, 5, -40, 0xf1), I(0xc3, 10, 5, -48, 0xf1),
	I(0xd3, 4, 10, -15, 0x100), I(0xcb, 4, 10, -14, 0x100),
	I(0xc3, 4, 10, -12, 0x100), I(0xdb, 4, 10, -8, 0x100),
	I(0xd3, 10, 3, -16, 0x110), I(0xcb, 10, 3, -30, 0x110),
	I(0xc3, 10, 3, -28, 0x110), I(0xdb, 10, 3, -24, 0x110),
	I(0xb7, 0, 0, 0, 0),
	I(0x95, 0, 0, 0, 0),
};

/* A compare-and-skip block on fresh unknowns, so states join and prune
 * instead of multiplying: r2, r3 reloaded, one jump over "r4 = 1". */
#define JBLK(code, src, imm)                                            \
	I(0x61, 2, 6, 0, 0), I(0x61, 3, 6, 4, 0), I(code, 2, src, 1, imm), \
		I(0xb7, 4, 0, 0, 1)
#define JCOND4(op, k64, k32)                                                \
	JBLK(0x05 | (op), 0, k64), JBLK(0x0d | (op), 3, 0), JBLK(0x06 | (op), 0, k32), \
		JBLK(0x0e | (op), 3, 0)

/*
 * Control flow: every condition in both classes and both sources, loops
 * (backward offsets), goto/gotol/may_goto, helpers, bpf-to-bpf calls both
 * ways. (ld_imm64 PSEUDO_FUNC would need BTF func_info: table-tested only.)
 */
static const struct bvc_insn prog_jmp[] = {
	/* 0 */ I(0xbf, 6, 1, 0, 0),
	JCOND4(0x10, 5, -1),           /* == */
	JCOND4(0x20, 5, 5),            /* > */
	JCOND4(0x30, 0x7fffffff, 5),   /* >= */
	JCOND4(0x40, 4, INT32_MIN),    /* & */
	JCOND4(0x50, 5, -1),           /* != */
	JCOND4(0x60, 5, 5),            /* s> */
	JCOND4(0x70, 5, -5),           /* s>= */
	JCOND4(0xa0, 5, 5),            /* < */
	JCOND4(0xb0, 5, 5),            /* <= */
	JCOND4(0xc0, 5, -5),           /* s< */
	JCOND4(0xd0, 5, 5),            /* s<= */
	/* 177: bounded loops, backward jumps */
	I(0xb7, 5, 0, 0, 0), I(0x07, 5, 0, 0, 1), I(0xa5, 5, 0, -2, 3),
	I(0xb4, 5, 0, 0, 0), I(0x04, 5, 0, 0, 1), I(0xc6, 5, 0, -2, 2),
	/* 183: goto, gotol, may_goto, each over a reachable insn */
	I(0x61, 2, 6, 0, 0),
	I(0x15, 2, 0, 2, 0), I(0xb7, 4, 0, 0, 1), I(0x05, 0, 0, 1, 0), I(0xb7, 4, 0, 0, 2),
	I(0x15, 2, 0, 2, 1), I(0xb7, 4, 0, 0, 3), I(0x06, 0, 0, 0, 1), I(0xb7, 4, 0, 0, 4),
	I(0xe5, 0, 0, 1, 0), I(0xb7, 4, 0, 0, 5),
	/* 194: helpers */
	I(0x85, 0, 0, 0, 7),           /* call bpf_get_prandom_u32#7 */
	I(0x85, 0, 0, 0, 5),           /* call bpf_ktime_get_ns#5 */
	/* 196: bpf-to-bpf call forward, to sub2 at 201 */
	I(0x85, 0, 1, 0, 4),
	I(0xb7, 0, 0, 0, 0),
	I(0x95, 0, 0, 0, 0),
	/* 199: sub1 */
	I(0xb7, 0, 0, 0, 1), I(0x95, 0, 0, 0, 0),
	/* 201: sub2, calls sub1 backward */
	I(0x85, 0, 1, 0, -3),
	I(0x95, 0, 0, 0, 0),
};

/* Legacy packet loads (not mixable with bpf-to-bpf calls). */
static const struct bvc_insn prog_ldabs[] = {
	I(0xbf, 6, 1, 0, 0),
	I(0x61, 7, 6, 0, 0),
	I(0x30, 0, 0, 0, 12), I(0x28, 0, 0, 0, 12), I(0x20, 0, 0, 0, 0),
	I(0x50, 0, 7, 0, 0), I(0x48, 0, 7, 0, 2), I(0x40, 0, 7, 0, 4),
	I(0x95, 0, 0, 0, 0),
};

#define LOG_SIZE (4u << 20)

/*
 * Parse one log line of either shape the kernel prints an instruction in:
 *   "12: (18) r1 = 0x1122334455667788      ; R1=0x11..."   (do_check)
 *   "     12: .12345.... (18) r1 = 0x1122334455667788"     (live regs, 6.14+)
 * The state after the text is always set off by spaces and ';', which no
 * instruction text contains. Returns 1 with the fields, 0 for other lines.
 */
static int parse_insn_line(const char *line, size_t *idx, unsigned *code, char *text, size_t size)
{
	const char *p = line, *end;
	char *num_end;
	size_t len;

	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return 0;
	*idx = strtoul(p, &num_end, 10);
	p = num_end;
	if (strncmp(p, ": ", 2))
		return 0;
	p += 2;
	if (*p != '(') {
		/* a live-register mask: [.0-9]+ then a space */
		const char *m = p;

		while (*m == '.' || (*m >= '0' && *m <= '9'))
			m++;
		if (m == p || strncmp(m, " (", 2))
			return 0;
		p = m + 1;
	}
	if (sscanf(p, "(%2x) ", code) != 1 || p[3] != ')' || p[4] != ' ')
		return 0;
	p += 5;
	end = strchr(p, ';');
	if (!end)
		end = p + strlen(p);
	while (end > p && end[-1] == ' ')
		end--;
	len = (size_t)(end - p);
	cr_assert_lt(len, size, "log line too long: %s", line);
	memcpy(text, p, len);
	text[len] = '\0';
	return 1;
}

/*
 * Load @insns as a socket filter with a level-2 log and compare every
 * instruction line of the log with our text. Returns the number of distinct
 * instructions compared; skips the test if bpf() is not allowed here.
 */
static size_t kernel_compare(const char *name, const struct bvc_insn *insns, size_t cnt)
{
	char *log = calloc(1, LOG_SIZE);
	char *seen = calloc(cnt, 1);
	char ours[BVC_DISASM_TEXT_MAX], theirs[256];
	union bpf_attr attr;
	size_t lines = 0, distinct = 0, idx, i;
	char *line, *save = NULL;
	unsigned code;
	int fd;

	cr_assert(log && seen);
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)cnt;
	attr.license = (uint64_t)(uintptr_t)"GPL";
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = LOG_SIZE;
	attr.log_level = 2;
	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0 && (errno == EPERM || errno == ENOSYS)) {
		free(log);
		free(seen);
		cr_skip_test("kernel oracle unavailable: bpf(BPF_PROG_LOAD): %s", strerror(errno));
	}
	cr_assert_geq(fd, 0, "%s: the kernel rejected the program (%s); log tail:\n%s", name,
		      strerror(errno), log + (strlen(log) > 2000 ? strlen(log) - 2000 : 0));
	close(fd);

	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!parse_insn_line(line, &idx, &code, theirs, sizeof(theirs)))
			continue;
		cr_assert_lt(idx, cnt, "%s: log names insn %zu of %zu: %s", name, idx, cnt, line);
		cr_assert_eq(code, insns[idx].code, "%s: log line for insn %zu has opcode %02x: %s",
			     name, idx, code, line);
		bvc_disasm_insn(insns, cnt, idx, ours, sizeof(ours));
		cr_expect_str_eq(ours, theirs, "%s insn %zu (%02x): ours \"%s\", kernel \"%s\"", name,
				 idx, code, ours, theirs);
		lines++;
		if (!seen[idx]++)
			distinct++;
	}

	/* the kernel must have shown us every instruction (second halves
	 * aside), or the parser is missing lines and the test proves little */
	for (i = 0; i < cnt; i++) {
		if (bvc_insn_is_ld_imm64(&insns[i])) {
			cr_expect(seen[i], "%s: no log line for insn %zu", name, i);
			i++;
			continue;
		}
		cr_expect(seen[i], "%s: no log line for insn %zu", name, i);
	}
	cr_log_info("%s: %zu instructions compared with the kernel (%zu log lines)", name,
		    distinct, lines);
	free(log);
	free(seen);
	return distinct;
}

#define COMPARE(p) kernel_compare(#p, p, sizeof(p) / sizeof(p[0]))

Test(disasm_kernel, alu)
{
	cr_assert_gt(COMPARE(prog_alu), 0);
}

Test(disasm_kernel, mem)
{
	cr_assert_gt(COMPARE(prog_mem), 0);
}

Test(disasm_kernel, jmp)
{
	cr_assert_gt(COMPARE(prog_jmp), 0);
}

Test(disasm_kernel, ldabs)
{
	cr_assert_gt(COMPARE(prog_ldabs), 0);
}
