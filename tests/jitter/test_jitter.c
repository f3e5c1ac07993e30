// SPDX-License-Identifier: MIT
/*
 * JIT target registry: names map both ways for every target and nothing
 * else maps; target numbers stay what the blob format stores; compiling is
 * refused, with the promised message, for a target whose back end does not
 * exist yet; x86_64 compiles through bvc_jit_compile() (lowering, then the
 * back end; tests/jitter/test_x86_*.c run its code).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpfvc/jitter.h"

static const struct {
	const char *name;
	enum bvc_jit_target target;
	int number;          /* stored in blob headers: must never change */
	unsigned int ptr;
} known[] = {
	{ "x86_64", BVC_JIT_X86_64, 1, 8 },
	{ "arm64", BVC_JIT_ARM64, 2, 8 },
	{ "thumbv7m", BVC_JIT_THUMBV7M, 3, 4 },
};

Test(jitter, names_both_ways)
{
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		enum bvc_jit_target t = 0;
		char err[128] = "";

		cr_assert_eq(bvc_jit_target_from_name(known[i].name, &t, err, sizeof(err)), 0,
			     "%s: %s", known[i].name, err);
		cr_assert_eq(t, known[i].target);
		cr_assert_eq((int)t, known[i].number);
		cr_assert_str_eq(bvc_jit_target_name(t), known[i].name);
		cr_assert_eq(bvc_jit_target_ptr_size(t), known[i].ptr);
	}
	/* Every value in the declared range is a target. */
	for (i = BVC_JIT_TARGET_FIRST; i <= BVC_JIT_TARGET_LAST; i++)
		cr_assert_not_null(bvc_jit_target_name((enum bvc_jit_target)i));
}

Test(jitter, unknown_names)
{
	static const char *bad[] = {
		"", "x86-64", "X86_64", "amd64", "aarch64", "arm", "thumbv7m ", " arm64",
		"thumbv7em", "x86_64\n", "riscv64",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum bvc_jit_target t = BVC_JIT_ARM64;
		char err[128] = "";

		cr_assert_eq(bvc_jit_target_from_name(bad[i], &t, err, sizeof(err)), -EINVAL,
			     "'%s'", bad[i]);
		cr_assert_eq(t, BVC_JIT_ARM64, "output touched on failure");
		cr_assert(strstr(err, "(known: x86_64, arm64, thumbv7m)"), "%s", err);
	}
	{
		enum bvc_jit_target t;
		char err[128];

		cr_assert_eq(bvc_jit_target_from_name("mips", &t, err, sizeof(err)), -EINVAL);
		cr_assert_str_eq(err, "unknown target 'mips' (known: x86_64, arm64, thumbv7m)");
		cr_assert_eq(bvc_jit_target_from_name(NULL, &t, NULL, 0), -EINVAL);
	}
	cr_assert_null(bvc_jit_target_name((enum bvc_jit_target)0));
	cr_assert_null(bvc_jit_target_name((enum bvc_jit_target)4));
	cr_assert_null(bvc_jit_target_name((enum bvc_jit_target)-1));
	cr_assert_eq(bvc_jit_target_ptr_size((enum bvc_jit_target)0), 0);
}

/* Targets whose back end does not exist yet: refused with the promised message. */
static const enum bvc_jit_target not_built[] = { BVC_JIT_THUMBV7M };

Test(jitter, compile_is_unsupported)
{
	struct bvc_image img;
	struct bvc_prog prog;
	struct bvc_verdict v;
	struct bvc_jit_result *res = (struct bvc_jit_result *)1;
	size_t i;

	memset(&img, 0, sizeof(img));
	memset(&prog, 0, sizeof(prog));
	memset(&v, 0, sizeof(v));
	v.kind = BVC_ACCEPT;
	for (i = 0; i < sizeof(not_built) / sizeof(not_built[0]); i++) {
		struct bvc_jit_opts o = { .sz = sizeof(o), .target = not_built[i] };
		char err[128], want[128];

		snprintf(want, sizeof(want), "unsupported: JIT for %s is not built yet",
			 bvc_jit_target_name(not_built[i]));
		cr_assert_eq(bvc_jit_compile(&img, &prog, &v, &o, &res, err, sizeof(err)),
			     -EOPNOTSUPP);
		cr_assert_str_eq(err, want);
		cr_assert_null(res);
	}
	{
		struct bvc_jit_opts o = { .sz = sizeof(o), .target = BVC_JIT_X86_64 };
		char err[128];

		/* Only what the verifier accepted is compiled. */
		v.kind = BVC_REJECT;
		cr_assert_eq(bvc_jit_compile(&img, &prog, &v, &o, &res, err, sizeof(err)), -EINVAL);
		cr_assert(strstr(err, "did not accept"), "%s", err);
		v.kind = BVC_ACCEPT;
		o.target = (enum bvc_jit_target)42;
		cr_assert_eq(bvc_jit_compile(&img, &prog, &v, &o, &res, err, sizeof(err)), -EINVAL);
		cr_assert_str_eq(err, "unknown target 42");
		cr_assert_eq(bvc_jit_compile(&img, &prog, &v, NULL, &res, err, sizeof(err)), -EINVAL);
	}
	bvc_jit_result_free(NULL);
}

/* The whole front for x86_64: lowering, then the back end. */
Test(jitter, compile_x86_64)
{
	static struct bvc_insn insns[] = {
		{ .code = BVC_ALU64 | BVC_MOV | BVC_K, .dst = 0, .imm = 7 },
		{ .code = BVC_JMP | BVC_EXIT },
	};
	struct bvc_insn_fact facts[2];
	struct bvc_jit_opts o = { .sz = sizeof(o), .target = BVC_JIT_X86_64 };
	struct bvc_jit_result *res = NULL;
	struct bvc_image img;
	struct bvc_prog prog;
	struct bvc_verdict v;
	char err[128] = "";

	memset(&img, 0, sizeof(img));
	memset(&prog, 0, sizeof(prog));
	memset(&v, 0, sizeof(v));
	memset(facts, 0xff, sizeof(facts));
	strcpy(prog.name, "seven");
	prog.type = 1; /* socket_filter */
	prog.insns = insns;
	prog.insn_cnt = prog.main_cnt = 2;
	v.kind = BVC_ACCEPT;
	v.facts = facts;
	v.fact_cnt = 2;
	v.stack_depth = 24;
	cr_assert_eq(bvc_jit_compile(&img, &prog, &v, &o, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(res);
	cr_assert_gt(res->code_size, 0);
	cr_assert_eq(res->entry_off, 0);
	cr_assert_eq(res->reloc_cnt, 0);
	cr_assert_eq(res->stack_size, 32, "24 bytes of stack, rounded to 16");
	cr_assert_eq(res->lowered_cnt, 2);
	cr_assert(!memcmp(res->lowered, insns, sizeof(insns)));
	bvc_jit_result_free(res);
}
