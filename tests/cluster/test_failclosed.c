// SPDX-License-Identifier: MIT
/*
 * The coordinator library's verdicts are final and fail closed, for any
 * caller (not only the bpfvc command line): called here directly, with
 * worker processes of the bpfvc binary.
 *
 *   - A job that fails is never an acceptance: a program the job does not
 *     hold (no such program in the object), and the cluster dying under a
 *     job (its only worker killed mid-run) give an error and an internal
 *     verdict, in a batch too (the jobs not yet started as well).
 *   - A bpf-to-bpf call chain whose frames together pass 512 bytes, each
 *     function alone being fine, is refused with the kernel's words
 *     ("combined stack size of 3 calls is 608. Too large") on two workers,
 *     also when the deep frames were seen by different workers, so that
 *     no worker alone could tell: the library checks the chains over the
 *     workers' merged depths.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/coordinator.h"
#include "bpfvc/image.h"
#include "bpfvc/isa.h"
#include "bpfvc/verifier.h"

TestSuite(cluster_failclosed, .timeout = 240);

struct prog {
	struct bvc_insn insns[1024];
	size_t n;
};

static void put(struct prog *p, uint8_t op, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	cr_assert_lt(p->n, sizeof(p->insns) / sizeof(p->insns[0]));
	p->insns[p->n++] = (struct bvc_insn){ .code = op, .dst = dst, .src = src, .off = off,
					      .imm = imm };
}

/* 2^k paths that nothing prunes: bit i of r7 (skb->len, kept in r7, ctx in
 * r6) chooses whether fp-8*(i+1) holds the context or a number. Main's
 * frame: 8k bytes. */
static void explode(struct prog *p, int k)
{
	for (int i = 0; i < k; i++) {
		put(p, 0xbf, 2, 7, 0, 0);                         /* r2 = r7 */
		put(p, 0x57, 2, 0, 0, 1 << i);                    /* r2 &= bit i */
		put(p, 0x55, 2, 0, 2, 0);                         /* if r2 != 0 goto +2 */
		put(p, 0x7b, 10, 6, (int16_t)(-8 * (i + 1)), 0);  /* *(u64 *)(fp - ..) = r6 */
		put(p, 0x05, 0, 0, 1, 0);                         /* goto +1 */
		put(p, 0x7a, 10, 0, (int16_t)(-8 * (i + 1)), i);  /* *(u64 *)(fp - ..) = i */
	}
	for (int i = 0; i < k; i++)
		put(p, 0x79, 3, 10, (int16_t)(-8 * (i + 1)), 0);  /* r3 = *(u64 *)(fp - ..) */
}

static void prog_explosion(struct prog *p, int k)
{
	p->n = 0;
	put(p, 0xbf, 6, 1, 0, 0); /* r6 = r1 */
	put(p, 0x61, 7, 1, 0, 0); /* r7 = skb->len */
	explode(p, k);
	put(p, 0xb7, 0, 0, 0, 0);
	put(p, 0x95, 0, 0, 0, 0);
}

/*
 * main -> f1(arg) -> f2(arg'): f1 uses 256 bytes of stack when its
 * argument is 1 (and then calls f2 with 0), 8 otherwise (then f2 gets 1);
 * f2 likewise. The chain main (8 * 11 = 88, rounded up to 96) + 256 + 256
 * = 608 bytes, over 512, although no path uses more than 96 + 256 + 32.
 *
 * The first branch of main splits the program in two halves, each making
 * its one call before any other branch and then exploding into 2^11
 * paths: the half pushed at that first branch is the oldest pending item,
 * the one a worker donates first, and the calls come before anything it
 * could donate later. Split that way, one worker sees f1 deep and the
 * other f2 deep, and neither alone sees a chain over 512.
 */
static void prog_deep_chain(struct prog *p)
{
	size_t side2, f1, f2, call1, call2, call3, call4;

	p->n = 0;
	put(p, 0xbf, 6, 1, 0, 0);          /* r6 = ctx */
	put(p, 0x61, 7, 1, 0, 0);          /* r7 = skb->len */
	put(p, 0xbf, 2, 7, 0, 0);
	put(p, 0x57, 2, 0, 0, 1 << 20);
	side2 = p->n;
	put(p, 0x55, 2, 0, 0, 0);          /* if r2 != 0 goto side 2 (fixed below) */
	/* side 1: f1 deep, f2 shallow */
	put(p, 0xb7, 1, 0, 0, 1);
	call1 = p->n;
	put(p, 0x85, 0, BVC_PSEUDO_CALL, 0, 0); /* call f1 */
	explode(p, 11);
	put(p, 0xb7, 0, 0, 0, 0);
	put(p, 0x95, 0, 0, 0, 0);
	/* side 2: f1 shallow, f2 deep */
	p->insns[side2].off = (int16_t)(p->n - side2 - 1);
	put(p, 0xb7, 1, 0, 0, 0);
	call2 = p->n;
	put(p, 0x85, 0, BVC_PSEUDO_CALL, 0, 0); /* call f1 */
	explode(p, 11);
	put(p, 0xb7, 0, 0, 0, 0);
	put(p, 0x95, 0, 0, 0, 0);
	/* f1(r1) */
	f1 = p->n;
	put(p, 0x15, 1, 0, 4, 0);          /* if r1 == 0 goto shallow */
	put(p, 0x7a, 10, 0, -256, 0);      /* *(u64 *)(fp - 256) = 0 */
	put(p, 0xb7, 1, 0, 0, 0);
	call3 = p->n;
	put(p, 0x85, 0, BVC_PSEUDO_CALL, 0, 0); /* call f2(0) */
	put(p, 0x05, 0, 0, 3, 0);          /* goto out */
	put(p, 0x7a, 10, 0, -8, 0);        /* shallow: *(u64 *)(fp - 8) = 0 */
	put(p, 0xb7, 1, 0, 0, 1);
	call4 = p->n;
	put(p, 0x85, 0, BVC_PSEUDO_CALL, 0, 0); /* call f2(1) */
	put(p, 0xb7, 0, 0, 0, 0);          /* out */
	put(p, 0x95, 0, 0, 0, 0);
	/* f2(r1) */
	f2 = p->n;
	put(p, 0x15, 1, 0, 2, 0);          /* if r1 == 0 goto shallow */
	put(p, 0x7a, 10, 0, -256, 0);
	put(p, 0x05, 0, 0, 1, 0);
	put(p, 0x7a, 10, 0, -8, 0);
	put(p, 0xb7, 0, 0, 0, 0);
	put(p, 0x95, 0, 0, 0, 0);
	p->insns[call1].imm = (int32_t)(f1 - call1 - 1);
	p->insns[call2].imm = (int32_t)(f1 - call2 - 1);
	p->insns[call3].imm = (int32_t)(f2 - call3 - 1);
	p->insns[call4].imm = (int32_t)(f2 - call4 - 1);
}

static void in_process(const struct prog *p, struct bvc_verdict *v)
{
	struct bvc_verify_opts o = { .sz = sizeof(o) };
	struct bvc_image *img;

	cr_assert_eq(bvc_image_from_raw(p->insns, p->n, BVC_PROG_SOCKET_FILTER, "t", &img), 0);
	cr_assert_eq(bvc_verify(img, &img->progs[0], &o, v), 0);
	bvc_image_free(img);
}

/* Kill worker 0 once it is busy and @after programs have ended. */
struct killer {
	struct bvc_cluster *cl;
	size_t after;
	int killed;
};

static void on_progress(void *arg, const struct bvc_cluster_progress *p)
{
	struct killer *k = arg;

	if (k->cl && !k->killed && p->busy == 1 && p->jobs_done >= k->after) {
		kill(bvc_cluster_worker(k->cl, 0)->pid, SIGKILL);
		k->killed = 1;
	}
}

static struct bvc_cluster *cluster(unsigned int n, struct killer *k)
{
	struct bvc_cluster_opts o = { .sz = sizeof(o), .nworkers = n, .exe = BVC_BPFVC,
				      .progress = k ? on_progress : NULL, .progress_arg = k };
	struct bvc_cluster *cl;
	char err[512];

	cr_assert_eq(bvc_cluster_new(&o, &cl, err, sizeof(err)), 0, "%s", err);
	return cl;
}

static void *read_obj(const char *name, size_t *len)
{
	char path[512];
	void *obj = malloc(1 << 20);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", BVC_PROGS_DIR, name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	cr_assert_not_null(obj);
	*len = fread(obj, 1, 1 << 20, f);
	fclose(f);
	return obj;
}

/* The object holds no such program: the job cannot be built into an
 * engine anywhere. Before the fix the library said BVC_ACCEPT (0). */
Test(cluster_failclosed, a_job_that_cannot_be_loaded_is_an_error_not_an_acceptance)
{
	struct bvc_cluster *cl = cluster(2, NULL);
	struct bvc_verdict v;
	char err[512] = "";
	size_t len;
	void *obj = read_obj("xdp_parser.bpf.o", &len);
	int ret;

	memset(&v, 0, sizeof(v));
	ret = bvc_cluster_verify(cl, obj, len, "no_such_program", NULL, &v, err, sizeof(err));
	cr_expect_lt(ret, 0, "a job with no program verified");
	cr_expect_not(bvc_verdict_accepted(&v));
	cr_expect_eq(v.kind, BVC_INTERNAL, "kind %s", bvc_verdict_kind_name(v.kind));
	cr_expect(strstr(err, "no program named 'no_such_program'"), "%s", err);
	bvc_verdict_release(&v);

	/* The same cluster still verifies a real one. */
	ret = bvc_cluster_verify(cl, obj, len, "xdp_parse", NULL, &v, err, sizeof(err));
	cr_expect_eq(ret, 0, "%s", err);
	cr_expect(bvc_verdict_accepted(&v), "%s: %s", bvc_verdict_kind_name(v.kind), v.msg);
	bvc_verdict_release(&v);
	bvc_cluster_free(cl);
	free(obj);
}

/* The only worker is killed while it explores: the cluster is gone, and
 * so is any verdict. Before the fix the caller's verdict was left zeroed,
 * which read as BVC_ACCEPT. */
Test(cluster_failclosed, a_cluster_that_dies_under_a_job_gives_no_acceptance)
{
	struct killer k = { 0 };
	struct bvc_cluster *cl;
	struct bvc_verdict v;
	struct prog *p = calloc(1, sizeof(*p));
	char err[512] = "";
	int ret;

	prog_explosion(p, 18); /* 2^18 paths: seconds of work, past the first progress report */
	cl = k.cl = cluster(1, &k);
	memset(&v, 0, sizeof(v));
	ret = bvc_cluster_verify(cl, p->insns, p->n * sizeof(p->insns[0]), "raw:socket_filter",
				 NULL, &v, err, sizeof(err));
	cr_assert(k.killed, "the job ended before the worker was killed");
	cr_expect_lt(ret, 0, "verified with no worker left");
	cr_expect_not(bvc_verdict_accepted(&v));
	cr_expect_eq(v.kind, BVC_INTERNAL, "kind %s", bvc_verdict_kind_name(v.kind));
	cr_expect(strstr(err, "every worker died"), "%s", err);
	bvc_verdict_release(&v);
	bvc_cluster_free(cl);
	free(p);
}

/* The same in a batch: the program that ended keeps its verdict, the one
 * in flight and the one never started get errors and no acceptance, even
 * where the caller's entries held an acceptance before. */
Test(cluster_failclosed, a_batch_whose_cluster_dies_accepts_nothing_more)
{
	struct killer k = { .after = 1 };
	struct bvc_cluster_job jobs[3];
	struct prog *p = calloc(3, sizeof(*p));
	char err[512] = "";
	int ret;

	prog_explosion(&p[0], 3);
	prog_explosion(&p[1], 18);
	prog_explosion(&p[2], 3);
	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < 3; i++) {
		jobs[i].object = p[i].insns;
		jobs[i].len = p[i].n * sizeof(p[i].insns[0]);
		jobs[i].prog_name = "raw:socket_filter";
		jobs[i].verdict.kind = BVC_ACCEPT; /* stale: must not survive */
	}
	k.cl = cluster(1, &k);
	ret = bvc_cluster_verify_batch(k.cl, jobs, 3, NULL, NULL, err, sizeof(err));
	cr_assert(k.killed, "the batch ended before the worker was killed");
	cr_expect_lt(ret, 0);
	cr_expect_eq(jobs[0].err, 0, "%s", jobs[0].errmsg);
	cr_expect(bvc_verdict_accepted(&jobs[0].verdict), "%s", jobs[0].verdict.msg);
	for (int i = 1; i < 3; i++) {
		cr_expect_lt(jobs[i].err, 0, "program %d", i);
		cr_expect_eq(jobs[i].verdict.kind, BVC_INTERNAL, "program %d: %s", i,
			     bvc_verdict_kind_name(jobs[i].verdict.kind));
	}
	for (int i = 0; i < 3; i++)
		bvc_verdict_release(&jobs[i].verdict);
	bvc_cluster_free(k.cl);
	free(p);
}

/* The call chain is too deep only over both halves' depths. In-process,
 * one engine sees every depth; on two workers the library merges them. */
Test(cluster_failclosed, a_call_chain_too_deep_over_the_workers_depths_is_refused)
{
	struct prog *p = calloc(1, sizeof(*p));
	struct bvc_verdict ref;
	uint64_t split = 0;

	prog_deep_chain(p);
	in_process(p, &ref);
	cr_assert_eq(ref.kind, BVC_REJECT, "%s: %s", bvc_verdict_kind_name(ref.kind), ref.msg);
	cr_assert_str_eq(ref.msg, "combined stack size of 3 calls is 608. Too large");
	for (int run = 0; run < 4; run++) {
		struct bvc_cluster *cl = cluster(2, NULL);
		const struct bvc_cluster_job_stats *js;
		struct bvc_verdict v;
		char err[512] = "";
		int ret;

		ret = bvc_cluster_verify(cl, p->insns, p->n * sizeof(p->insns[0]),
					 "raw:socket_filter", NULL, &v, err, sizeof(err));
		cr_expect_eq(ret, 0, "run %d: %s", run, err);
		cr_expect_eq(v.kind, BVC_REJECT, "run %d: %s: %s", run,
			     bvc_verdict_kind_name(v.kind), v.msg);
		cr_expect_str_eq(v.msg, ref.msg, "run %d", run);
		/* Split as meant: every worker reported its depths (a worker
		 * that sees a chain too deep by itself rejects instead of
		 * reporting), and only the merged ones hold both deep
		 * frames. Then only the library could refuse. */
		js = bvc_cluster_last_job(cl);
		split += js->donations > 0 && js->nfuncs == 3 && js->stack_depths[1] == 256 &&
			 js->stack_depths[2] == 256;
		bvc_verdict_release(&v);
		bvc_cluster_free(cl);
	}
	cr_log_info("decided over merged depths in %llu of 4 runs", (unsigned long long)split);
	cr_expect_gt(split, 0, "never split: the test proves nothing");
	bvc_verdict_release(&ref);
	free(p);
}
