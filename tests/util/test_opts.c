// SPDX-License-Identifier: MIT
/*
 * Options structs: bvc_opts_valid/check/copy and BVC_OPTS_GET on a sample
 * struct (NULL, too small, a size no version can have, an older caller, our
 * size, a newer caller with a zero and a non-zero tail), then each public
 * entry point taking an options struct: a bad sz is refused with -EINVAL
 * (and a message where the API has an error buffer), a newer caller's zero
 * tail is served with its fields read, an older caller's missing fields
 * take their defaults.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bpfvc/coordinator.h"
#include "bpfvc/engine.h"
#include "bpfvc/interp.h"
#include "bpfvc/jitter.h"
#include "bpfvc/loader.h"
#include "bpfvc/runtime.h"
#include "bpfvc/util.h"
#include "bpfvc/verifier.h"
#include "bpfvc/worker.h"
#include "common/insns.h"

/* ---- the helper --------------------------------------------------------- */

struct sample_opts {
	size_t sz;
	uint32_t a; /* the field callers must set */
	uint32_t b;
	uint64_t c;
};

#define LIB_SZ sizeof(struct sample_opts)
#define MIN_SZ BVC_OPTS_END(struct sample_opts, a)

/* A caller's struct as large as a newer header's: ours, then more. */
struct newer_sample {
	struct sample_opts o;
	uint64_t d; /* a field this build does not know */
};

Test(util_opts, null_is_defaults)
{
	const struct sample_opts *none = NULL;
	struct sample_opts dst;

	memset(&dst, 0xa5, sizeof(dst));
	cr_assert_eq(bvc_opts_valid(NULL, LIB_SZ, MIN_SZ), 0);
	cr_assert_eq(bvc_opts_copy(&dst, LIB_SZ, NULL, MIN_SZ, "sample_opts", NULL, 0), 0);
	cr_assert_eq(dst.sz, LIB_SZ);
	cr_assert(dst.a == 0 && dst.b == 0 && dst.c == 0);
	cr_assert_eq(BVC_OPTS_GET(none, c, 7), 7);
}

/* Each refusal, with its message; the copy leaves @dst all zero. */
struct refusal {
	size_t sz;
	size_t tail_at; /* non-zero: this byte of a newer_sample is set */
	const char *msg;
};

static void refused(const struct refusal *r)
{
	struct newer_sample n = { .o = { .sz = r->sz, .a = 1, .b = 2, .c = 3 } };
	struct sample_opts dst;
	char err[256] = "";

	if (r->tail_at)
		((unsigned char *)&n)[r->tail_at] = 1;
	memset(&dst, 0xa5, sizeof(dst));
	cr_assert_eq(bvc_opts_valid(&n, LIB_SZ, MIN_SZ), -EINVAL, "sz %zu", r->sz);
	cr_assert_eq(bvc_opts_check(&n, LIB_SZ, MIN_SZ, "sample_opts", err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, r->msg);
	cr_assert_eq(bvc_opts_copy(&dst, LIB_SZ, &n, MIN_SZ, "sample_opts", NULL, 0), -EINVAL);
	cr_assert(dst.sz == 0 && dst.a == 0 && dst.b == 0 && dst.c == 0, "sz %zu", r->sz);
}

Test(util_opts, refusals)
{
	char odd[128], huge[128], tail[160], tail0[160];
	const struct refusal cases[] = {
		{ 0, 0, "sample_opts: sz 0 is too small (at least 12)" },
		{ 4, 0, "sample_opts: sz 4 is too small (at least 12)" },
		/* sz alone: the field callers must set is missing */
		{ sizeof(size_t), 0, "sample_opts: sz 8 is too small (at least 12)" },
		{ sizeof(size_t) + 5, 0, odd },
		/* garbage: refused without reading the megabyte it claims */
		{ 1u << 20, 0, huge },
		{ sizeof(struct newer_sample), offsetof(struct newer_sample, d) + 7, tail },
		{ sizeof(struct newer_sample), LIB_SZ, tail0 },
	};

	snprintf(odd, sizeof(odd), "sample_opts: sz %zu is not the size of any version of it",
		 sizeof(size_t) + 5);
	snprintf(huge, sizeof(huge), "sample_opts: sz %u is not the size of any version of it",
		 1u << 20);
	snprintf(tail, sizeof(tail),
		 "sample_opts: sz %zu: byte %zu, past the %zu bytes this build knows, is not zero: an option it lacks",
		 sizeof(struct newer_sample), offsetof(struct newer_sample, d) + 7, LIB_SZ);
	snprintf(tail0, sizeof(tail0),
		 "sample_opts: sz %zu: byte %zu, past the %zu bytes this build knows, is not zero: an option it lacks",
		 sizeof(struct newer_sample), LIB_SZ, LIB_SZ);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		refused(&cases[i]);
}

Test(util_opts, exact_size)
{
	struct sample_opts o = { .sz = LIB_SZ, .a = 1, .b = 2, .c = 3 };
	struct sample_opts dst;

	cr_assert_eq(bvc_opts_valid(&o, LIB_SZ, MIN_SZ), 0);
	cr_assert_eq(bvc_opts_copy(&dst, LIB_SZ, &o, MIN_SZ, "sample_opts", NULL, 0), 0);
	cr_assert(dst.sz == LIB_SZ && dst.a == 1 && dst.b == 2 && dst.c == 3);
	cr_assert_eq(BVC_OPTS_GET(&o, c, 7), 3);
}

/* An older caller's struct ended before c: whatever lies there is not its
 * option and must not be read. */
Test(util_opts, older_caller)
{
	struct sample_opts o = { .sz = offsetof(struct sample_opts, c), .a = 1, .b = 2, .c = 99 };
	struct sample_opts dst;

	cr_assert_eq(bvc_opts_valid(&o, LIB_SZ, MIN_SZ), 0);
	cr_assert_eq(bvc_opts_copy(&dst, LIB_SZ, &o, MIN_SZ, "sample_opts", NULL, 0), 0);
	cr_assert(dst.sz == LIB_SZ && dst.a == 1 && dst.b == 2);
	cr_assert_eq(dst.c, 0, "a field past the caller's sz was read");
	cr_assert(BVC_OPTS_HAS(&o, b));
	cr_assert(!BVC_OPTS_HAS(&o, c));
	cr_assert_eq(BVC_OPTS_GET(&o, b, 7), 2);
	cr_assert_eq(BVC_OPTS_GET(&o, c, 7), 7);
}

/* A newer caller that leaves its new fields zero asks for nothing we lack. */
Test(util_opts, newer_caller_zero_tail)
{
	struct newer_sample n = { .o = { .sz = sizeof(n), .a = 1, .b = 2, .c = 3 } };
	struct sample_opts dst;

	cr_assert_gt(sizeof(n), LIB_SZ);
	cr_assert_eq(bvc_opts_valid(&n, LIB_SZ, MIN_SZ), 0);
	cr_assert_eq(bvc_opts_copy(&dst, LIB_SZ, &n, MIN_SZ, "sample_opts", NULL, 0), 0);
	cr_assert(dst.sz == LIB_SZ && dst.a == 1 && dst.b == 2 && dst.c == 3);
}

/* ---- the entry points --------------------------------------------------- */

/* A caller of @type one field newer than this build: @newer is its tail. */
#define NEWER(type)                                                                        \
	struct {                                                                           \
		struct type o;                                                             \
		uint64_t newer;                                                            \
	}

/* Nine straight-line instructions and an exit. */
static struct bvc_image *straight_image(const struct bvc_prog **prog)
{
	struct bvc_insn insns[10];
	struct bvc_image *img = NULL;

	for (int i = 0; i < 9; i++)
		insns[i] = I_MOV64_IMM(0, i);
	insns[9] = I_EXIT();
	cr_assert_eq(bvc_image_from_raw(insns, 10, 1 /* socket filter */, "straight", &img), 0);
	*prog = &img->progs[0];
	return img;
}

Test(util_opts, verify)
{
	const struct bvc_prog *prog;
	struct bvc_image *img = straight_image(&prog);
	NEWER(bvc_verify_opts) n = { .o = { .sz = sizeof(n), .insn_limit = 5 } };
	struct bvc_verify_opts small = { .sz = 4 };
	struct bvc_verify_opts older = { .sz = offsetof(struct bvc_verify_opts, insn_limit),
					 .insn_limit = 5 };
	struct bvc_engine *eng = (struct bvc_engine *)&small;
	struct bvc_verdict v;

	cr_assert_eq(bvc_verify(img, prog, NULL, &v), 0);
	cr_assert_eq(v.kind, BVC_ACCEPT, "%s", v.msg);
	bvc_verdict_release(&v);

	cr_assert_eq(bvc_verify(img, prog, &small, &v), -EINVAL);
	cr_assert_eq(bvc_engine_new(img, prog, &small, 1, &eng), -EINVAL);
	cr_assert_null(eng);

	/* A newer caller with a zero tail: its insn_limit is read. */
	cr_assert_eq(bvc_verify(img, prog, &n.o, &v), 0);
	cr_assert_eq(v.kind, BVC_REJECT);
	cr_assert(strstr(v.msg, "BPF program is too large"), "%s", v.msg);
	bvc_verdict_release(&v);
	/* ... with a non-zero one: refused, not verified without it. */
	n.newer = 1;
	cr_assert_eq(bvc_verify(img, prog, &n.o, &v), -EINVAL);
	cr_assert_neq(v.kind, BVC_ACCEPT);

	/* An older caller: insn_limit lies past its sz and is not read. */
	cr_assert_eq(bvc_verify(img, prog, &older, &v), 0);
	cr_assert_eq(v.kind, BVC_ACCEPT, "%s", v.msg);
	bvc_verdict_release(&v);
	bvc_image_free(img);
}

/* loader_extern loads only with keep_unsupported. */
Test(util_opts, loader)
{
	const char *path = BVC_PROGS_DIR "/loader_extern.bpf.o";
	NEWER(bvc_load_opts) n = { .o = { .sz = sizeof(n), .keep_unsupported = 1 } };
	struct bvc_load_opts small = { .sz = 2, .keep_unsupported = 1 };
	struct bvc_load_opts older = { .sz = sizeof(size_t), .keep_unsupported = 1 };
	struct bvc_image *img = NULL;
	char err[256], want[256];

	cr_assert_eq(bvc_load_elf_opts(path, &n.o, &img, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(img);
	bvc_image_free(img);

	n.newer = 1;
	cr_assert_eq(bvc_load_elf_opts(path, &n.o, &img, err, sizeof(err)), -EINVAL);
	cr_assert_null(img);
	snprintf(want, sizeof(want),
		 "bvc_load_opts: sz %zu: byte %zu, past the %zu bytes this build knows, is not zero: an option it lacks",
		 sizeof(n), sizeof(struct bvc_load_opts), sizeof(struct bvc_load_opts));
	cr_assert_str_eq(err, want);

	cr_assert_eq(bvc_load_elf_opts(path, &small, &img, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "bvc_load_opts: sz 2 is too small (at least 8)");
	cr_assert_eq(bvc_load_elf_mem_opts("x", 1, "mem", &small, &img, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "bvc_load_opts: sz 2 is too small (at least 8)");

	/* keep_unsupported past an older caller's sz: the default, refusal. */
	cr_assert_eq(bvc_load_elf_opts(path, &older, &img, err, sizeof(err)), -EOPNOTSUPP, "%s",
		     err);
	cr_assert_null(img);
}

/* target is what a JIT caller must set: a struct without it is refused. */
Test(util_opts, jit)
{
	const struct bvc_prog *prog;
	struct bvc_image *img = straight_image(&prog);
	NEWER(bvc_jit_opts) n = { .o = { .sz = sizeof(n), .target = BVC_JIT_X86_64 } };
	struct bvc_jit_opts older = { .sz = sizeof(size_t), .target = BVC_JIT_X86_64 };
	struct bvc_jit_result *res = NULL;
	struct bvc_verdict v;
	char err[256], want[256];

	cr_assert_eq(bvc_verify(img, prog, NULL, &v), 0);
	cr_assert_eq(v.kind, BVC_ACCEPT, "%s", v.msg);
	cr_assert_eq(bvc_jit_compile(img, prog, &v, &n.o, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_gt(res->code_size, 0);
	bvc_jit_result_free(res);

	n.newer = 1;
	cr_assert_eq(bvc_jit_compile(img, prog, &v, &n.o, &res, err, sizeof(err)), -EINVAL);
	cr_assert_null(res);
	cr_assert(strstr(err, "bvc_jit_opts: sz "), "%s", err);
	cr_assert_eq(bvc_jit_compile(img, prog, &v, &older, &res, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "bvc_jit_opts: sz %zu is too small (at least %zu)",
		 sizeof(size_t), BVC_OPTS_END(struct bvc_jit_opts, target));
	cr_assert_str_eq(err, want);
	cr_assert_null(res);
	bvc_verdict_release(&v);
	bvc_image_free(img);
}

Test(util_opts, interp)
{
	const struct bvc_insn prog[] = { I_MOV64_IMM(0, 7), I_EXIT() };
	NEWER(bvc_interp_opts) n = { .o = { .sz = sizeof(n) } };
	uint64_t r0 = 0;
	char err[256];

	cr_assert_eq(bvc_interp_run(prog, 2, 0, 0, &n.o, &r0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(r0, 7);
	n.newer = 1;
	r0 = 0;
	cr_assert_eq(bvc_interp_run(prog, 2, 0, 0, &n.o, &r0, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "bvc_interp_opts: sz "), "%s", err);
	cr_assert_eq(r0, 0, "the program ran");
}

/* The rest refuse before they touch anything else: a zeroed blob, no
 * socket. */
Test(util_opts, refused_first)
{
	struct bvc_blob blob;
	struct bvc_rt_opts rt = { .sz = 4 };
	struct bvc_coord_opts co = { .sz = 4 };
	struct bvc_worker_opts wo = { .sz = 4 };
	struct bvc_cluster_opts cl = { .sz = sizeof(size_t), .nworkers = 1 };
	NEWER(bvc_cluster_opts) cn = { .o = { .sz = sizeof(cn), .nworkers = 1 }, .newer = 1 };
	struct bvc_rt_prog *rp = NULL;
	struct bvc_coord *c = NULL;
	struct bvc_worker *w = NULL;
	struct bvc_cluster *cp = NULL;
	char err[256];

	memset(&blob, 0, sizeof(blob));
	cr_assert_eq(bvc_rt_load(&blob, &rt, &rp, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "bvc_rt_opts: sz 4 is too small (at least 8)");
	cr_assert_null(rp);
	cr_assert_eq(bvc_coord_new("ipc:///nonexistent/x", &co, &c, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "bvc_coord_opts: sz 4 is too small (at least 8)");
	cr_assert_null(c);
	cr_assert_eq(bvc_worker_new("ipc:///nonexistent/x", &wo, &w, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "bvc_worker_opts: sz 4 is too small (at least 8)");
	cr_assert_null(w);
	/* nworkers must be set: a struct ending before it is refused. */
	cr_assert_eq(bvc_cluster_new(&cl, &cp, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "bvc_cluster_opts: sz 8 is too small"), "%s", err);
	cr_assert_null(cp);
	cr_assert_eq(bvc_cluster_new(&cn.o, &cp, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "bvc_cluster_opts: sz "), "%s", err);
	cr_assert_null(cp);
}
