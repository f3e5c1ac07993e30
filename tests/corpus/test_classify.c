// SPDX-License-Identifier: MIT
/*
 * The harness's decisions, without a kernel: how a program is classified
 * from the kernel's answer, the annotation and ours, and what passes or
 * fails against a baseline (unsound always fails; a disagreement fails
 * unless listed; the baseline only shrinks unless growth is asked for).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "corpus.h"

static struct cp_prog prog(const char *id, int tier, int expect_failure, int kstatus,
			   int ostatus)
{
	struct cp_prog p;

	memset(&p, 0, sizeof(p));
	p.id = (char *)id;
	p.tier = tier;
	p.file = -1;
	p.spec.valid = 1;
	p.spec.has_priv = 1;
	p.spec.arch_ok = 1;
	p.spec.expect_failure = expect_failure;
	p.res.kstatus = kstatus;
	p.res.ostatus = ostatus;
	cp_classify(&p);
	return p;
}

struct case_ {
	int tier, expect_failure, kstatus, ostatus, klass;
};

Test(classify, table)
{
	static const struct case_ cases[] = {
		/* the kernel decides when it verified the program */
		{ CP_TIER_SELFTEST, 0, CP_K_ACCEPT, CP_O_ACCEPT, CP_C_AGREE_ACCEPT },
		{ CP_TIER_SELFTEST, 1, CP_K_REJECT, CP_O_REJECT, CP_C_AGREE_REJECT },
		{ CP_TIER_SELFTEST, 1, CP_K_REJECT, CP_O_ACCEPT, CP_C_UNSOUND },
		{ CP_TIER_SELFTEST, 0, CP_K_ACCEPT, CP_O_REJECT, CP_C_OVER_REJECT },
		/* kernel accepts, 6.12 annotation rejects: accepting is unsound */
		{ CP_TIER_SELFTEST, 1, CP_K_ACCEPT, CP_O_ACCEPT, CP_C_UNSOUND },
		{ CP_TIER_SELFTEST, 1, CP_K_ACCEPT, CP_O_REJECT, CP_C_OVER_REJECT },
		/* kernel rejects, annotation accepts: the kernel is the reference */
		{ CP_TIER_SELFTEST, 0, CP_K_REJECT, CP_O_REJECT, CP_C_AGREE_REJECT },
		{ CP_TIER_SELFTEST, 0, CP_K_REJECT, CP_O_ACCEPT, CP_C_UNSOUND },
		/* no kernel verdict: the annotation decides */
		{ CP_TIER_SELFTEST, 1, CP_K_LOADERR, CP_O_ACCEPT, CP_C_UNSOUND },
		{ CP_TIER_SELFTEST, 0, CP_K_NOTRUN, CP_O_ACCEPT, CP_C_AGREE_ACCEPT },
		{ CP_TIER_SELFTEST, 1, CP_K_TIMEOUT, CP_O_REJECT, CP_C_AGREE_REJECT },
		/* our refusals */
		{ CP_TIER_SELFTEST, 0, CP_K_ACCEPT, CP_O_UNSUPPORTED, CP_C_UNSUPPORTED },
		{ CP_TIER_SELFTEST, 1, CP_K_REJECT, CP_O_BADINPUT, CP_C_BAD_INPUT },
		{ CP_TIER_SELFTEST, 0, CP_K_ACCEPT, CP_O_CRASH, CP_C_OUR_FAILURE },
		{ CP_TIER_SELFTEST, 0, CP_K_ACCEPT, CP_O_TIMEOUT, CP_C_OUR_FAILURE },
		/* no annotations outside the selftests */
		{ CP_TIER_GEN, 1, CP_K_LOADERR, CP_O_ACCEPT, CP_C_UNLABELLED },
		{ CP_TIER_PROGS, 1, CP_K_ACCEPT, CP_O_ACCEPT, CP_C_AGREE_ACCEPT },
		{ CP_TIER_GEN, 0, CP_K_REJECT, CP_O_ACCEPT, CP_C_UNSOUND },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct case_ *c = &cases[i];
		struct cp_prog p = prog("x", c->tier, c->expect_failure, c->kstatus, c->ostatus);

		cr_expect_eq(p.klass, c->klass, "case %zu: got %s, want %s", i,
			     cp_class_name(p.klass), cp_class_name(c->klass));
	}
}

/* Tier 2: the kernel's environment is counted apart, never hides unsound. */
Test(classify, tier2)
{
	struct cp_prog p = prog("x", CP_TIER_SELFTEST2, 0, CP_K_LOADERR, CP_O_UNSUPPORTED);
	char why[CP_TEXT];

	/* no annotation: a libbpf load error is "kernel cannot load here" */
	snprintf(p.res.kloaderr, CP_TEXT, "libbpf: extern (func ksym) 'bpf_kfunc_call_test1': "
		 "not found in kernel or module BTFs");
	cp_classify(&p);
	cr_expect_eq(p.klass, CP_C_KERNEL_ENV);
	cr_expect_str_eq(cp_kernel_env_reason(&p.res, why, sizeof(why)),
			 "bpf_testmod kfuncs or BTF (module not loaded)");
	p.res.ostatus = CP_O_ACCEPT;
	cp_classify(&p);
	cr_expect_eq(p.klass, CP_C_KERNEL_ENV, "untagged: no annotation decides");
	/* tagged __failure: accepting stays unsound whatever the kernel */
	p.spec.tagged = 1;
	p.spec.expect_failure = 1;
	cp_classify(&p);
	cr_expect_eq(p.klass, CP_C_UNSOUND);

	/* a verifier rejection about safety is compared */
	p = prog("y", CP_TIER_SELFTEST2, 0, CP_K_REJECT, CP_O_ACCEPT);
	snprintf(p.res.kerrline, CP_TEXT, "R1 invalid mem access 'scalar'");
	cp_classify(&p);
	cr_expect_eq(p.klass, CP_C_UNSOUND);
	cr_expect_null(cp_kernel_env_reason(&p.res, why, sizeof(why)));
	/* one about a missing attach target is not */
	snprintf(p.res.kerrline, CP_TEXT, "attach_btf_id 123 is not a function");
	cp_classify(&p);
	cr_expect_eq(p.klass, CP_C_KERNEL_ENV);
	/* untagged tier-2 programs have no annotation: the kernel decides */
	p = prog("z", CP_TIER_SELFTEST2, 0, CP_K_ACCEPT, CP_O_REJECT);
	cp_classify(&p);
	cr_expect_eq(p.annot, -1);
	cr_expect_eq(p.klass, CP_C_OVER_REJECT);
	/* tier 1 is unchanged: a load error leaves the annotation to decide */
	p = prog("w", CP_TIER_SELFTEST, 0, CP_K_LOADERR, CP_O_ACCEPT);
	cp_classify(&p);
	cr_expect_eq(p.klass, CP_C_AGREE_ACCEPT);
}

Test(classify, unsupported_feature)
{
	static const char *const cases[][2] = {
		{ "unsupported: helper bpf_spin_lock#93", "helper bpf_spin_lock#93" },
		{ "unsupported: map type 7", "map type 7" },
		{ "unsupported: extern 'CONFIG_CGROUP_PIDS' (insn 3 of section 'raw_tp')",
		  "extern kconfig/version" },
		{ "unsupported: extern 'bpf_task_acquire' (insn 9 of section 'tp_btf')",
		  "extern ksym/kfunc" },
		{ "unsupported: relocation type 3 at insn 7 of section 'x'", "relocation type 3" },
		{ "unsupported: struct_ops map 'ops'", "struct_ops map 'ops'" },
		{ "unsupported: addr_space_cast (arena) is not modelled", "addr_space_cast" },
	};
	char buf[CP_TEXT];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_str_eq(cp_unsupported_feature(cases[i][0], buf, sizeof(buf)), cases[i][1]);
}

/* The kernel's labels survive a round trip, and only for the same kernel. */
Test(kcache, round_trip)
{
	char path[] = "/tmp/bvc-kcache-test-XXXXXX", k1[65], k2[65];
	struct cp_result r, got;
	struct cp_kcache *kc;
	size_t hits, added;
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	close(fd);
	cp_kcache_key(k1, "object", 6, "prog\n0x0");
	cp_kcache_key(k2, "object", 6, "prog\n0x80");
	cr_expect_str_neq(k1, k2, "the load's flags are part of the key");
	memset(&r, 0, sizeof(r));
	r.kstatus = CP_K_REJECT;
	r.kerrno = 13;
	r.kprocessed = 837487;
	r.kstates_total = 12;
	r.ktime_us = -1;
	snprintf(r.kerrline, CP_TEXT, "R1\ttab and\nnewline");
	kc = cp_kcache_open(path, "kernel A");
	cp_kcache_put(kc, k1, &r);
	r.kstatus = CP_K_TIMEOUT; /* a watchdog says nothing lasting: not kept */
	cp_kcache_put(kc, k2, &r);
	cr_assert_eq(cp_kcache_close(kc, &hits, &added), 0);
	cr_expect_eq(added, 1);

	kc = cp_kcache_open(path, "kernel A");
	memset(&got, 0, sizeof(got));
	cr_expect(cp_kcache_get(kc, k1, &got));
	cr_expect_eq(got.kstatus, CP_K_REJECT);
	cr_expect_eq(got.kerrno, 13);
	cr_expect_eq(got.kprocessed, 837487);
	cr_expect_eq(got.ktime_us, -1);
	cr_expect_eq(got.kcached, 1);
	cr_expect_str_eq(got.kerrline, "R1 tab and newline");
	cr_expect_not(cp_kcache_get(kc, k2, &got));
	cr_assert_eq(cp_kcache_close(kc, &hits, &added), 0);
	cr_expect_eq(hits, 1);

	kc = cp_kcache_open(path, "kernel B");
	cr_expect_not(cp_kcache_get(kc, k1, &got), "another kernel's labels are not used");
	cr_assert_eq(cp_kcache_close(kc, &hits, &added), 0);
	unlink(path);
}

Test(classify, skipped)
{
	struct cp_prog p = prog("x", CP_TIER_SELFTEST, 0, CP_K_ACCEPT, CP_O_ACCEPT);

	p.spec.auxiliary = 1;
	cp_classify(&p);
	cr_expect_eq(p.klass, CP_C_SKIP);
	p.spec.auxiliary = 0;
	p.spec.arch_ok = 0;
	cp_classify(&p);
	cr_expect_eq(p.klass, CP_C_SKIP);
}

/* A baseline file with @text; returns its path (static buffer). */
static const char *baseline_file(const char *text)
{
	static char path[] = "/tmp/bvc-corpus-test-XXXXXX";
	int fd;
	FILE *f;

	strcpy(path, "/tmp/bvc-corpus-test-XXXXXX");
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void load(struct cp_baseline *bl, const char *path)
{
	cr_assert_eq(cp_baseline_load(bl, path), 0);
	bl->loaded = 1;
}

Test(baseline, pass_and_fail)
{
	struct cp_prog progs[5];
	struct cp_run run;
	struct cp_baseline bl;
	const char *path = baseline_file("# comment\n"
					 "b unsupported\n"
					 "c unsound\n"
					 "e over-reject\n"
					 "gone unsupported\n");

	progs[0] = prog("a", CP_TIER_SELFTEST, 0, CP_K_ACCEPT, CP_O_ACCEPT);      /* agree */
	progs[1] = prog("b", CP_TIER_SELFTEST, 0, CP_K_ACCEPT, CP_O_UNSUPPORTED); /* known */
	progs[2] = prog("c", CP_TIER_SELFTEST, 1, CP_K_REJECT, CP_O_ACCEPT);      /* unsound */
	progs[3] = prog("d", CP_TIER_SELFTEST, 0, CP_K_ACCEPT, CP_O_UNSUPPORTED); /* regression */
	progs[4] = prog("e", CP_TIER_SELFTEST, 1, CP_K_REJECT, CP_O_REJECT);      /* stale */
	memset(&run, 0, sizeof(run));
	run.progs = progs;
	run.prog_cnt = 5;
	load(&bl, path);
	cp_baseline_apply(&bl, &run);
	cr_expect_eq(bl.passed, 3);  /* a, b, e */
	cr_expect_eq(bl.unsound, 1); /* listed or not, unsound fails */
	cr_expect_eq(bl.regressions, 1);
	cr_expect_eq(bl.failed, 2);
	cr_expect(progs[3].regression);
	cr_expect_eq(bl.stale, 1);
	cr_expect_eq(bl.absent, 1);

	/* Shrink-only: drops e (agrees now), keeps gone (not seen), never
	 * adds d without growth, never keeps or adds c (unsound). */
	cr_assert_eq(cp_baseline_update(&bl, &run, 0), 0);
	cr_expect_eq(bl.added, 0);
	cr_expect(bl.grow_refused);
	cp_baseline_free(&bl);
	load(&bl, path);
	cr_expect_eq(bl.cnt, 2);
	cr_expect_str_eq(bl.ids[0], "b");
	cr_expect_str_eq(bl.ids[1], "gone");

	/* Growth, when asked: d is added, c still is not. */
	cr_assert_eq(cp_baseline_update(&bl, &run, 1), 0);
	cr_expect_eq(bl.added, 1);
	cp_baseline_free(&bl);
	load(&bl, path);
	cr_expect_eq(bl.cnt, 3);
	cr_expect_str_eq(bl.ids[1], "d");
	cp_baseline_apply(&bl, &run);
	cr_expect_eq(bl.failed, 1); /* c */
	cp_baseline_free(&bl);
	unlink(path);
}

Test(baseline, none_means_only_unsound_fails)
{
	struct cp_prog progs[2];
	struct cp_run run;
	struct cp_baseline bl;

	progs[0] = prog("g", CP_TIER_GEN, 0, CP_K_ACCEPT, CP_O_UNSUPPORTED);
	progs[1] = prog("h", CP_TIER_GEN, 0, CP_K_REJECT, CP_O_ACCEPT);
	memset(&run, 0, sizeof(run));
	run.progs = progs;
	run.prog_cnt = 2;
	memset(&bl, 0, sizeof(bl));
	cp_baseline_apply(&bl, &run);
	cr_expect_eq(bl.passed, 1);
	cr_expect_eq(bl.failed, 1);
	cr_expect_eq(bl.unsound, 1);
}

Test(messages, patterns)
{
	struct cp_spec spec;
	char *msgs[] = { "R0 invalid mem access", "processed {{[0-9]+}} insns" };
	int miss;

	memset(&spec, 0, sizeof(spec));
	spec.msgs = msgs;
	spec.msg_cnt = 2;
	cr_expect(cp_msgs_match(&spec, "0: (bf) r0 = r1\nR0 invalid mem access 'scalar'\n"
				       "processed 12 insns (limit 1000000)\n", &miss));
	/* in order: the second pattern must come after the first */
	cr_expect_not(cp_msgs_match(&spec, "processed 12 insns\nR0 invalid mem access\n", &miss));
	cr_expect_eq(miss, 1);
	cr_expect_eq(cp_msgs_hits(&spec, "R0 invalid mem access 'map_value_or_null'"), 1);
}

Test(gen, deterministic_and_well_formed)
{
	uint64_t seed;

	for (seed = 1; seed < 200; seed++) {
		struct cp_gen_prog a, b;
		struct bvc_isa_fault fault;

		cr_assert_eq(cp_gen_program(seed, &a), 0);
		cr_assert_eq(cp_gen_program(seed, &b), 0);
		cr_assert_eq(a.cnt, b.cnt);
		cr_assert(!memcmp(a.insns, b.insns, a.cnt * sizeof(*a.insns)), "seed %llu",
			  (unsigned long long)seed);
		/* the encoding is valid, but for the generator's one deliberate
		 * encoding mistake (a shift by too much): the kernel's verdicts
		 * are about behaviour, not broken instructions */
		if (bvc_isa_check(a.insns, a.cnt, &fault))
			cr_expect(!strncmp(fault.msg, "invalid shift", 13), "seed %llu: insn %zu: %s",
				  (unsigned long long)seed, fault.insn, fault.msg);
		free(a.insns);
		free(b.insns);
	}
}

/* The lanes (pool.c): every task's result comes back to its own index,
 * whichever lane ran it, with the starting result it was given. */
static void square_task(size_t i, void *arg, struct cp_result *res)
{
	(void)arg;
	res->oprocessed = res->oprocessed * 1000 + i * i;
	res->ostatus = CP_O_ACCEPT;
}

Test(pool, every_result_at_its_index)
{
	enum { N = 200 };
	struct cp_result *r = calloc(N, sizeof(*r));

	cr_assert(r);
	for (size_t i = 0; i < N; i++)
		r[i].oprocessed = i; /* the starting result */
	cr_assert_eq(cp_pool_run(N, 3, square_task, NULL, r), 0);
	for (size_t i = 0; i < N; i++) {
		cr_expect_eq(r[i].oprocessed, i * 1000 + i * i, "task %zu", i);
		cr_expect_eq(r[i].ostatus, CP_O_ACCEPT, "task %zu", i);
		cr_expect_eq(r[i].phase, 0, "task %zu", i);
	}
	free(r);
}

/* A lane that dies mid-task loses no other task, and its task reads as
 * our crash, not as a zero ("not run") result. */
static void dying_task(size_t i, void *arg, struct cp_result *res)
{
	(void)arg;
	if (i == 7)
		_exit(9);
	res->ostatus = CP_O_ACCEPT;
}

Test(pool, a_dead_lane_loses_only_its_task)
{
	enum { N = 40 };
	struct cp_result r[N];

	memset(r, 0, sizeof(r));
	cr_assert_eq(cp_pool_run(N, 2, dying_task, NULL, r), 0);
	for (size_t i = 0; i < N; i++)
		cr_expect_eq(r[i].ostatus, i == 7 ? CP_O_CRASH : CP_O_ACCEPT, "task %zu: %d", i,
			     r[i].ostatus);
	cr_expect(strstr(r[7].omsg, "lane"), "%s", r[7].omsg);
}
