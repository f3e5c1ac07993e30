// SPDX-License-Identifier: MIT
/*
 * bpf_loop and bpf_for_each_map_elem callbacks (verifier/call.c, prune.c): the programs of
 * tests/progs/callbacks.bpf.c (both compilers' objects), each a case with
 * bpfvc's verdict, the words of its message and, for accepted ones, the
 * processed count - stated here, never taken from the running kernel
 * (the counts are the 6.18 kernel's, checked when the table was written).
 * The kernel loads each program too (libbpf, as a user would), only to
 * report: a disagreement this table does not explain prints as NEW, and
 * ADV_KERNEL_STRICT=1 makes it fail. Expected values as adversarial.h:
 * ACC, REJ, REJ_KBUG (an unsafe program a kernel accepts), REJ_GAP.
 */
#include <bpf/libbpf.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfvc/engine.h"
#include "bpfvc/loader.h"
#include "bpfvc/verifier.h"

#define REJ 0
#define ACC 1
#define REJ_KBUG 2
#define REJ_GAP 3

struct ccase {
	const char *prog;
	int expect;
	const char *msg;    /* in our verdict's message (refusals) */
	uint64_t processed; /* accepted: the processed count, as the kernel's */
	bool no_kernel;     /* too slow to ask each run (the kernel's verdict,
			     * checked when the case was written, is in its comment) */
};

static const struct ccase cases[] = {
	{ "acc_sum", ACC, NULL, 47, false },
	{ "rej_ret2", REJ, "At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]", 0, false },
	{ "rej_ret_unknown", REJ,
	  "At callback return the register R0 has smin=0 smax=4294967295 should have been in [0, 1]", 0, false },
	{ "acc_index_bounded", ACC, NULL, 47, false },
	/* The index is any u64 for the verifier, whatever nr_loops is. */
	{ "rej_write_beyond_ctx", REJ, "math between fp pointer and register with unbounded min value", 0, false },
	/* 1 << 23 iterations of a counter whose value matters. The kernel
	 * rejects it alike ("BPF program is too large. Processed 1000001
	 * insn"), after some 10 s of system time: not asked. */
	{ "rej_never_converges", REJ, "BPF program is too large", 0, true },
	/* Safe on the first iteration only. */
	{ "rej_unsafe_on_2nd_iter", REJ, "invalid write to stack R2 off=332 size=4", 0, false },
	{ "acc_nested", ACC, NULL, 66, false },
	{ "rej_nested_inner_unsafe", REJ, "math between fp pointer and register with unbounded min value", 0, false },
	{ "rej_leaks_ref", REJ, "Unreleased reference id=2", 0, false },
	{ "acc_ref_released", ACC, NULL, 23, false },
	/* A callback reading a third argument bpf_loop never passes. */
	{ "rej_three_args", REJ, "R3 !read_ok", 0, false },
	{ "rej_ctx_map_value", REJ, "R3 type=map_value expected=fp", 0, false },
	{ "acc_null_ctx", ACC, NULL, 10, false },
	{ "acc_read_caller_stack", ACC, NULL, 14, false },
	/* bpf_for_each_map_elem: (map, key, value, ctx), the key read-only. */
	{ "acc_for_each", ACC, NULL, 47, false },
	{ "rej_for_each_write_key", REJ, "write to change key R2 not allowed", 0, false },
	{ "rej_for_each_value_oob", REJ, "invalid access to map value, value_size=8 off=8 size=8", 0, false },
	{ "rej_for_each_ringbuf", REJ, "callback function not allowed for map", 0, false },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static const char *const objs[] = { "callbacks.bpf.o", "clang19/callbacks.bpf.o" };

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* The kernel's verdict on program @name of @path: 1 accepted, 0 rejected,
 * -1 could not ask. */
static int kernel_verdict(const char *path, const char *name)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p;
	int ret;

	if (!obj)
		return -1;
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), name));
	ret = bpf_object__load(obj);
	bpf_object__close(obj);
	if (ret == -EPERM || ret == -ENOSYS)
		return -1;
	return ret == 0;
}

Test(callbacks, verdicts_and_kernel)
{
	bool strict = getenv("ADV_KERNEL_STRICT") && !strcmp(getenv("ADV_KERNEL_STRICT"), "1");
	int seen = 0;

	libbpf_set_print(silent);
	for (size_t o = 0; o < sizeof(objs) / sizeof(objs[0]); o++) {
		char path[512], err[512];
		struct bvc_image *img;

		snprintf(path, sizeof(path), "%s/%s", BVC_PROGS_DIR, objs[o]);
		if (access(path, R_OK))
			continue; /* clang-19 not installed */
		seen++;
		cr_assert_eq(bvc_load_elf(path, &img, err, sizeof(err)), 0, "%s: %s", path, err);
		for (size_t i = 0; i < NCASES; i++) {
			const struct ccase *c = &cases[i];
			const struct bvc_prog *prog = bvc_image_find_prog(img, c->prog);
			/* The kernel's budget, as the command line's default. */
			struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 1000000 };
			struct bvc_verdict v;
			int k;

			cr_assert(prog, "%s: no program %s", path, c->prog);
			cr_assert_eq(bvc_verify(img, prog, &opts, &v), 0, "%s", c->prog);
			if (c->expect == ACC) {
				cr_expect(bvc_verdict_accepted(&v), "%s %s: %s %s", objs[o], c->prog,
					  bvc_verdict_kind_name(v.kind), v.msg);
				cr_expect_eq(v.processed, c->processed, "%s %s: processed %llu, want %llu",
					     objs[o], c->prog, (unsigned long long)v.processed,
					     (unsigned long long)c->processed);
			} else {
				cr_expect_eq(v.kind, BVC_REJECT, "%s %s: %s %s", objs[o], c->prog,
					     bvc_verdict_kind_name(v.kind), v.msg);
				cr_expect(c->msg && strstr(v.msg, c->msg), "%s %s: message '%s'", objs[o],
					  c->prog, v.msg);
			}
			bvc_verdict_release(&v);
			if (c->no_kernel)
				continue;
			k = kernel_verdict(path, c->prog);
			if (k < 0)
				continue;
			if (k != (c->expect == ACC || c->expect == REJ_KBUG ? 1 : 0) &&
			    !(c->expect == REJ_GAP && k == 1)) {
				fprintf(stderr, "NEW %s %s: kernel %s, table says %d\n", objs[o], c->prog,
					k ? "accepts" : "rejects", c->expect);
				if (strict)
					cr_expect_fail("%s %s: kernel disagrees", objs[o], c->prog);
			}
		}
		bvc_image_free(img);
	}
	cr_assert_gt(seen, 0, "no callbacks object under %s", BVC_PROGS_DIR);
}

/* A program with callbacks is explored whole by one engine: its
 * iterations converge against unfinished checkpoints of that engine, and
 * function pointers do not go on the wire. Nothing is ever donated. */
Test(callbacks, never_donated)
{
	char path[512], err[512];
	struct bvc_image *img;
	const struct bvc_prog *prog;
	struct bvc_verify_opts opts = { .sz = sizeof(opts) };
	struct bvc_engine *eng;
	struct bvc_work *w = NULL;
	struct bvc_verdict v;
	int ret, donations = 0, had_pending = 0;

	snprintf(path, sizeof(path), "%s/callbacks.bpf.o", BVC_PROGS_DIR);
	cr_assert_eq(bvc_load_elf(path, &img, err, sizeof(err)), 0, "%s", err);
	prog = bvc_image_find_prog(img, "acc_nested");
	cr_assert(prog);
	cr_assert_eq(bvc_engine_new(img, prog, &opts, 1, &eng), 0);
	/* A few instructions at a time, asking for work after each slice,
	 * as a busy worker is asked. */
	do {
		ret = bvc_engine_run(eng, 4);
		cr_assert_geq(ret, 0);
		had_pending += bvc_engine_pending(eng) > 0;
		if (bvc_engine_donate(eng, &w) == 0) {
			donations++;
			bvc_work_free(w);
		}
	} while (ret == 1);
	/* There was something to give away: the refusal is the rule's. */
	cr_expect_gt(had_pending, 0);
	cr_expect_eq(donations, 0);
	cr_assert_eq(bvc_engine_verdict(eng, &v), 0);
	cr_expect(bvc_verdict_accepted(&v), "%s", v.msg);
	cr_expect_eq(v.processed, 66);
	bvc_verdict_release(&v);
	bvc_engine_free(eng);
	bvc_image_free(img);
}
