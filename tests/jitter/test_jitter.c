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
/* Every target has a back end now (thumbv7m since issue #20): a trivial
 * accepted program compiles for each, with code and no relocations. */
Test(jitter, compile_every_target)
{
	static struct bvc_insn insns[] = {
		{ .code = BVC_ALU64 | BVC_MOV | BVC_K, .dst = 0, .imm = 7 },
		{ .code = BVC_JMP | BVC_EXIT },
	};
	struct bvc_insn_fact facts[2];
	struct bvc_image img;
	struct bvc_prog prog;
	struct bvc_verdict v;

	memset(&img, 0, sizeof(img));
	memset(&prog, 0, sizeof(prog));
	memset(&v, 0, sizeof(v));
	memset(facts, 0xff, sizeof(facts));
	prog.type = 1; /* socket_filter */
	prog.insns = insns;
	prog.insn_cnt = prog.main_cnt = 2;
	v.kind = BVC_ACCEPT;
	v.facts = facts;
	v.fact_cnt = 2;
	for (int t = 1; t <= BVC_JIT_TARGET_LAST; t++) {
		struct bvc_jit_opts o = { .sz = sizeof(o), .target = (enum bvc_jit_target)t };
		struct bvc_jit_result *res = NULL;
		char err[128] = "";

		cr_assert_eq(bvc_jit_compile(&img, &prog, &v, &o, &res, err, sizeof(err)), 0, "%s: %s",
			     bvc_jit_target_name(o.target), err);
		cr_assert_gt(res->code_size, 0);
		cr_assert_eq(res->reloc_cnt, 0);
		bvc_jit_result_free(res);
	}
}

Test(jitter, compile_refusals)
{
	struct bvc_image img;
	struct bvc_prog prog;
	struct bvc_verdict v;
	struct bvc_jit_result *res = (struct bvc_jit_result *)1;

	memset(&img, 0, sizeof(img));
	memset(&prog, 0, sizeof(prog));
	memset(&v, 0, sizeof(v));
	v.kind = BVC_ACCEPT;
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

/*
 * Dead code is never translated as written (issue #19's fuzzing finding):
 * the verifier checks registers on reachable paths only, so an accepted
 * program may hold r15 or a write to r10 where no path goes. Every target
 * compiles it, and the lowered bytecode has `ja -1` in its place.
 */
Test(jitter, dead_code_becomes_a_trap)
{
	static const struct bvc_insn insns[] = {
		{ .code = BVC_ALU64 | BVC_MOV | BVC_K, .dst = 0, .imm = 0 },
		{ .code = BVC_JMP | BVC_JEQ | BVC_K, .dst = 0, .imm = 0, .off = 2 },
		{ .code = BVC_ALU64 | BVC_ADD | BVC_K, .dst = 15, .imm = 0 },  /* r15 += 0 */
		{ .code = BVC_ALU64 | BVC_MOV | BVC_K, .dst = 10, .imm = 0 },  /* r10 = 0 */
		{ .code = BVC_JMP | BVC_EXIT },
	};
	static const enum bvc_jit_target targets[] = { BVC_JIT_X86_64, BVC_JIT_ARM64,
							BVC_JIT_THUMBV7M };
	struct bvc_verify_opts vo = { .sz = sizeof(vo), .insn_limit = 1000000 };
	struct bvc_image *img = NULL;
	struct bvc_verdict v;

	cr_assert_eq(bvc_image_from_raw(insns, 5, 1 /* socket_filter */, "dead", &img), 0);
	cr_assert_eq(bvc_verify(img, &img->progs[0], &vo, &v), 0);
	cr_assert(bvc_verdict_accepted(&v), "%s", v.msg);
	for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
		struct bvc_jit_opts o = { .sz = sizeof(o), .target = targets[t] };
		struct bvc_jit_result *res = NULL;
		char err[160] = "";

		cr_assert_eq(bvc_jit_compile(img, &img->progs[0], &v, &o, &res, err, sizeof(err)), 0,
			     "%s: %s", bvc_jit_target_name(targets[t]), err);
		cr_assert_eq(res->lowered_cnt, 5);
		for (size_t i = 2; i <= 3; i++) {
			cr_assert_eq(res->lowered[i].code, BVC_JMP | BVC_JA, "insn %zu", i);
			cr_assert_eq(res->lowered[i].off, -1);
			cr_assert_eq(res->lowered[i].dst, 0);
		}
		cr_assert(!memcmp(&res->lowered[4], &insns[4], sizeof(insns[4])), "live code kept");
		bvc_jit_result_free(res);
	}
	bvc_verdict_release(&v);
	bvc_image_free(img);
}

/* A verdict that claims a register the targets have no slot for (a
 * verifier bug, or a forged verdict) is an internal error in every back
 * end, never an out-of-bounds index into its register map. */
Test(jitter, register_past_r10_is_an_internal_error)
{
	static const struct {
		struct bvc_insn insn;
		const char *want;
	} bad[] = {
		{ { .code = BVC_ALU64 | BVC_ADD | BVC_K, .dst = 15 }, "uses r15" },
		{ { .code = BVC_ALU64 | BVC_ADD | BVC_X, .dst = 0, .src = 11 }, "uses r11" },
		{ { .code = BVC_ALU64 | BVC_MOV | BVC_K, .dst = 10 }, "writes the frame pointer" },
	};
	static const enum bvc_jit_target targets[] = { BVC_JIT_X86_64, BVC_JIT_ARM64,
							BVC_JIT_THUMBV7M };

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct bvc_insn insns[2] = { bad[k].insn, { .code = BVC_JMP | BVC_EXIT } };
		struct bvc_insn_fact facts[2];
		struct bvc_image img;
		struct bvc_prog prog;
		struct bvc_verdict v;

		memset(&img, 0, sizeof(img));
		memset(&prog, 0, sizeof(prog));
		memset(&v, 0, sizeof(v));
		memset(facts, 0xff, sizeof(facts));
		facts[0].seen = facts[1].seen = 1;
		strcpy(prog.name, "forged");
		prog.type = 1;
		prog.insns = insns;
		prog.insn_cnt = prog.main_cnt = 2;
		v.kind = BVC_ACCEPT;
		v.facts = facts;
		v.fact_cnt = 2;
		for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
			struct bvc_jit_opts o = { .sz = sizeof(o), .target = targets[t] };
			struct bvc_jit_result *res = NULL;
			char err[160] = "";

			cr_assert_eq(bvc_jit_compile(&img, &prog, &v, &o, &res, err, sizeof(err)),
				     -EFAULT, "%s case %zu: %s", bvc_jit_target_name(targets[t]), k, err);
			cr_assert(strstr(err, "internal error") && strstr(err, bad[k].want), "%s", err);
			cr_assert_null(res);
		}
	}
}

/* Sockets exist in the kernel only: a program that loads __sk_buff->sk
 * (and one that reads through it) is verified, and every back end refuses
 * to compile it (issue #15, sockets). */
Test(jitter, socket_access_is_verify_only)
{
	static const struct bvc_insn load_only[] = {
		{ .code = BVC_LDX | BVC_MEM | BVC_DW, .dst = 2, .src = 1, .off = 168 }, /* r2 = skb->sk */
		{ .code = BVC_ALU64 | BVC_MOV | BVC_K, .dst = 0, .imm = 0 },
		{ .code = BVC_JMP | BVC_JEQ | BVC_K, .dst = 2, .imm = 0, .off = 1 },
		{ .code = BVC_ALU64 | BVC_MOV | BVC_K, .dst = 0, .imm = 1 },
		{ .code = BVC_JMP | BVC_EXIT },
	};
	static const struct bvc_insn read_through[] = {
		{ .code = BVC_LDX | BVC_MEM | BVC_DW, .dst = 2, .src = 1, .off = 168 }, /* r2 = skb->sk */
		{ .code = BVC_ALU64 | BVC_MOV | BVC_K, .dst = 0, .imm = 0 },
		{ .code = BVC_JMP | BVC_JEQ | BVC_K, .dst = 2, .imm = 0, .off = 1 },
		{ .code = BVC_LDX | BVC_MEM | BVC_W, .dst = 0, .src = 2, .off = 4 },   /* sk->family */
		{ .code = BVC_JMP | BVC_EXIT },
	};
	static const struct { const struct bvc_insn *insns; } progs[] = { { load_only },
									  { read_through } };
	static const enum bvc_jit_target targets[] = { BVC_JIT_X86_64, BVC_JIT_ARM64,
							BVC_JIT_THUMBV7M };
	struct bvc_verify_opts vo = { .sz = sizeof(vo), .insn_limit = 1000000 };

	for (size_t p = 0; p < 2; p++) {
		struct bvc_image *img = NULL;
		struct bvc_verdict v;

		cr_assert_eq(bvc_image_from_raw(progs[p].insns, 5, 3 /* sched_cls */, "sk", &img), 0);
		cr_assert_eq(bvc_verify(img, &img->progs[0], &vo, &v), 0);
		cr_assert(bvc_verdict_accepted(&v), "%zu: %s", p, v.msg);
		for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
			struct bvc_jit_opts o = { .sz = sizeof(o), .target = targets[t] };
			struct bvc_jit_result *res = NULL;
			char err[160] = "";

			cr_assert_eq(bvc_jit_compile(img, &img->progs[0], &v, &o, &res, err, sizeof(err)),
				     -EOPNOTSUPP, "%zu %s: %s", p, bvc_jit_target_name(targets[t]), err);
			cr_assert(strstr(err, "socket access is verify-only"), "%s", err);
			cr_assert_null(res);
		}
		bvc_verdict_release(&v);
		bvc_image_free(img);
	}
}
