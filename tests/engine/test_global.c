// SPDX-License-Identifier: MIT
/*
 * Global functions (verifier/global.c): the programs of
 * tests/progs/global_funcs.bpf.c (both compilers' objects), each a case
 * with bpfvc's verdict and the words of its message, stated here - never
 * taken from the running kernel. The kernel loads each program too (with
 * libbpf, BTF and func_info, as a user would), only to report: a
 * disagreement this table does not explain prints as NEW, and
 * ADV_KERNEL_STRICT=1 makes it fail; ADV_LOG=PROG prints the kernel's log of
 * PROG. Expected values as adversarial.h:
 * ACC, REJ, REJ_KBUG (an unsafe program a kernel accepts), REJ_GAP.
 */
#include <bpf/libbpf.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfvc/loader.h"
#include "bpfvc/verifier.h"

#define REJ 0
#define ACC 1
#define REJ_KBUG 2
#define REJ_GAP 3

struct gcase {
	const char *prog;
	int expect;
	const char *msg; /* in our verdict's message (refusals) */
};

static const struct gcase cases[] = {
	{ "acc_scalar", ACC, NULL },
	{ "acc_stack_mem", ACC, NULL },
	{ "acc_null_to_nullable", ACC, NULL },
	{ "acc_map_or_null_to_nullable", ACC, NULL },
	{ "rej_nullable_deref", REJ, "invalid mem access 'mem_or_null'" },
	{ "acc_nonnull", ACC, NULL },
	/* The 6.12 source lets a known NULL through to __arg_nonnull
	 * (docs/kernel-bugs.md); 6.18 rejects it, as we do. */
	{ "rej_null_to_nonnull", REJ, "func#1 ('g_nonnull'): arg#0 is expected to be non-NULL" },
	{ "rej_map_or_null_to_nonnull", REJ, "arg#0 is expected to be non-NULL" },
	{ "rej_too_small", REJ,
	  "Caller passes invalid args into func#1 ('g_big'): invalid access to map value, value_size=8 off=0 size=16" },
	{ "acc_ctx", ACC, NULL },
	{ "rej_ctx_wrong_kind", REJ, "('g_ctx'): arg#0 expects pointer to ctx" },
	{ "rej_scalar_for_ctx", REJ, "arg#0 expects pointer to ctx" },
	{ "rej_r0_as_pointer", REJ, "invalid mem access 'scalar'" },
	{ "rej_unsafe_for_some_args", REJ, "unbounded memory access" },
	{ "acc_checked_index", ACC, NULL },
	{ "rej_spill_clobbered", REJ, "invalid mem access 'scalar'" },
	{ "rej_pkt_after_pull", REJ, "invalid mem access 'scalar'" },
	{ "rej_nested_global", REJ, "unbounded memory access" },
	{ "acc_dead_call", ACC, NULL },
	/* A tail call from inside a function comes back to its caller after
	 * the other program ran: the caller's packet pointers are stale. */
	{ "rej_pkt_after_global_tail_call", REJ, "invalid mem access 'scalar'" },
	{ "rej_pkt_after_static_tail_call", REJ, "invalid mem access 'scalar'" },
	{ "acc_pkt_after_entry_tail_call", ACC, NULL },
	{ "acc_hidden_is_static", ACC, NULL },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static const char *const objs[] = { "global_funcs.bpf.o", "clang19/global_funcs.bpf.o" };

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* The kernel's verdict on program @name of @path: 1 accepted, 0 rejected,
 * -1 could not ask (no bpf(), or libbpf could not open the object). */
static int kernel_verdict(const char *path, const char *name)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p;
	int ret;

	if (!obj)
		return -1;
	static char log[1 << 16];
	const char *want = getenv("ADV_LOG");

	bpf_object__for_each_program(p, obj) {
		bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), name));
		if (want && !strcmp(want, name)) {
			log[0] = '\0';
			bpf_program__set_log_buf(p, log, sizeof(log));
			bpf_program__set_log_level(p, 1);
		}
	}
	ret = bpf_object__load(obj);
	if (want && !strcmp(want, name))
		fprintf(stderr, "kernel's log of %s:\n%s\n", name, log);
	bpf_object__close(obj);
	if (ret == -EPERM || ret == -ENOSYS)
		return -1;
	return ret == 0;
}

Test(global, verdicts_and_kernel)
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
			const struct gcase *c = &cases[i];
			const struct bvc_prog *prog = bvc_image_find_prog(img, c->prog);
			struct bvc_verify_opts opts = { .sz = sizeof(opts) };
			struct bvc_verdict v;
			int k;

			cr_assert(prog, "%s: no program %s", path, c->prog);
			cr_assert_eq(bvc_verify(img, prog, &opts, &v), 0, "%s", c->prog);
			if (c->expect == ACC) {
				cr_expect(bvc_verdict_accepted(&v), "%s %s: %s %s", objs[o], c->prog,
					  bvc_verdict_kind_name(v.kind), v.msg);
			} else {
				cr_expect_eq(v.kind, BVC_REJECT, "%s %s: %s %s", objs[o], c->prog,
					     bvc_verdict_kind_name(v.kind), v.msg);
				cr_expect(c->msg && strstr(v.msg, c->msg), "%s %s: message '%s'", objs[o],
					  c->prog, v.msg);
			}
			bvc_verdict_release(&v);
			k = kernel_verdict(path, c->prog);
			if (k < 0)
				continue;
			/* What the kernel should say, given the table. */
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
	cr_assert_gt(seen, 0, "no global_funcs object under %s", BVC_PROGS_DIR);
}

static const struct bvc_func_info *find_func(const struct bvc_prog *prog, const char *name)
{
	for (size_t i = 0; i < prog->func_cnt; i++)
		if (!strcmp(prog->funcs[i].name, name))
			return &prog->funcs[i];
	return NULL;
}

/* The loader's prototype facts (ld_func_args), which the verifier types
 * a global function's arguments from. */
Test(global, loader_reads_prototypes)
{
	char path[512], err[512];
	struct bvc_image *img;
	const struct bvc_prog *prog;
	const struct bvc_func_info *f;

	snprintf(path, sizeof(path), "%s/global_funcs.bpf.o", BVC_PROGS_DIR);
	cr_assert_eq(bvc_load_elf(path, &img, err, sizeof(err)), 0, "%s", err);

	prog = bvc_image_find_prog(img, "acc_nonnull");
	cr_assert(prog);
	f = find_func(prog, "g_nonnull");
	cr_assert(f);
	cr_expect_eq(f->linkage, BVC_FUNC_GLOBAL);
	cr_expect_eq(f->arg_cnt, 1);
	cr_expect(f->ret_scalar);
	cr_expect_eq(f->args[0].kind, BVC_BTF_ARG_PTR);
	cr_expect_eq(f->args[0].tags, BVC_ARG_TAG_NONNULL);
	cr_expect_eq(f->args[0].pointee_size, 8);

	prog = bvc_image_find_prog(img, "rej_too_small");
	f = prog ? find_func(prog, "g_big") : NULL;
	cr_assert(f);
	cr_expect_eq(f->args[0].tags, 0);
	cr_expect_eq(f->args[0].pointee_size, 16);
	cr_expect_str_eq(f->args[0].pointee_name, "big");

	prog = bvc_image_find_prog(img, "acc_ctx");
	f = prog ? find_func(prog, "g_ctx_tag") : NULL;
	cr_assert(f);
	cr_expect_eq(f->args[0].tags, BVC_ARG_TAG_CTX);
	cr_expect_eq(f->args[0].pointee_kind, 0); /* void */
	cr_expect_eq(f->args[0].pointee_size, -1);
	f = find_func(prog, "g_ctx");
	cr_assert(f);
	cr_expect_str_eq(f->args[0].pointee_name, "__sk_buff");

	prog = bvc_image_find_prog(img, "acc_scalar");
	f = prog ? find_func(prog, "g_scalar") : NULL;
	cr_assert(f);
	cr_expect_eq(f->args[0].kind, BVC_BTF_ARG_INT);
	/* The program itself is global too, but never verified as such. */
	cr_expect_eq(prog->funcs[0].linkage, BVC_FUNC_GLOBAL);
	bvc_image_free(img);
}
