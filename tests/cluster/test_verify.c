// SPDX-License-Identifier: MIT
/*
 * The cluster end to end, through the real bpfvc binary: `bpfvc verify -w N`
 * must print the same verdict line as in-process (-w 0) for our test
 * programs, for rejected programs (raw bytecode written here, and a too
 * small --insn-limit), and for a path-explosion program that really gets
 * split (donations > 0). SIGKILL of a worker mid-run, including the one
 * holding the entry, must not change the verdict, and only the killed
 * worker is declared dead, also with every core kept busy by a CPU hog
 * (the fault test). Times go to the log, never into an assertion. Every
 * run is under `timeout -s KILL`, every test has a timeout: nothing here
 * can hang.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scratch.h"

/* A guard against hangs, not a bound on time: far above any run here,
 * even under AddressSanitizer with a CPU hog on every core. */
#define RUN_TIMEOUT_S 600
/* The fault test's program: 2^KILL_K paths; smaller under the sanitizers,
 * which make every run several times slower (a run must still outlast
 * the kill, at most 1.05 s in). */
#if defined(__SANITIZE_ADDRESS__)
#define KILL_K 17
#else
#define KILL_K 19
#endif

static void setup(void)
{
	scratch_make("bvc-clv");
}

static void teardown(void) { scratch_remove(); }

/* Long enough for the fault test's 20-run form under a CPU hog (about
 * 5 min here); one timeout for the whole suite, as Criterion 2.4 leaks
 * (LeakSanitizer) when a test's own differs from its suite's. */
TestSuite(cluster_verify, .init = setup, .fini = teardown, .timeout = 1200);

struct run {
	int status;      /* exit code, or -1 if killed */
	char out[65536]; /* stdout (a level-2 log of a few hundred lines) */
	char err[8192];  /* stderr */
	double secs;     /* wall time */
};

/* Run `bpfvc ARGS` under a hard timeout. */
static void run_bpfvc(const char *args, struct run *r)
{
	char cmd[2048], errpath[128];
	double t0 = now_s();
	size_t n;
	FILE *f;
	int st;

	memset(r, 0, sizeof(*r));
	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	snprintf(cmd, sizeof(cmd), "timeout -s KILL %d %s %s 2>%s", RUN_TIMEOUT_S, BVC_BPFVC, args,
		 errpath);
	f = popen(cmd, "r");
	cr_assert_not_null(f, "popen %s", cmd);
	n = fread(r->out, 1, sizeof(r->out) - 1, f);
	r->out[n] = '\0';
	st = pclose(f);
	r->secs = now_s() - t0;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	f = fopen(errpath, "r");
	if (f) {
		n = fread(r->err, 1, sizeof(r->err) - 1, f);
		r->err[n] = '\0';
		fclose(f);
	}
}

/* A verdict line without what legitimately differs between runs of a
 * split program (@split: --insn-limit 0): the processed count (workers
 * prune differently from one process), and for "too large" the count and
 * the instruction where the budget ran out. With a finite limit nothing
 * differs: a program is explored whole by one worker (docs/design.md
 * section 4, "The budget"), but a batch's table, which has times. */
static void normalise(const char *out, char *buf, size_t bufsz, int split)
{
	size_t n = strnlen(out, bufsz - 1); /* the first line is what counts */
	char *p;

	memcpy(buf, out, n);
	buf[n] = '\0';
	if (!split) {
		/* The verdict lines; a batch's table has times. */
		if ((p = strstr(buf, "\nobject ")))
			p[1] = '\0';
		return;
	}
	if ((p = strstr(buf, " (processed ")))
		strcpy(p, "\n");
	if (strstr(buf, "BPF program is too large") && (p = strstr(buf, " rejected at insn ")))
		strcpy(p, " rejected: BPF program is too large\n");
}

static void expect_same(const char *file_args)
{
	static const int ws[] = { 0, 1, 2, 4 };
	char base[8192] = "", args[1024], norm[8192];
	int base_status = -1;

	for (size_t i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
		struct run r;

		snprintf(args, sizeof(args), "verify %s -w %d", file_args, ws[i]);
		run_bpfvc(args, &r);
		cr_assert(r.status == 0 || r.status == 1, "%s: exit %d, stderr: %s", args, r.status,
			  r.err);
		normalise(r.out, norm, sizeof(norm), !!strstr(file_args, "--insn-limit 0"));
		cr_assert(norm[0], "%s: no output", args);
		if (i == 0) {
			snprintf(base, sizeof(base), "%s", norm);
			base_status = r.status;
			continue;
		}
		cr_expect_eq(r.status, base_status, "%s: exit %d, in-process %d", args, r.status,
			     base_status);
		cr_expect_str_eq(norm, base, "%s:\n%s\nin-process:\n%s", args, norm, base);
	}
}

Test(cluster_verify, test_programs_decide_as_in_process)
{
	static const char *const objs[] = { "xdp_parser", "socket_filter", "kprobe_counter",
					    "subprog_loop", "ringbuf_producer",
					    /* unsupported (an extern): refused alike */
					    "loader_extern", "loader_calls" };
	char args[1024];

	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		snprintf(args, sizeof(args), "%s/%s.bpf.o", BVC_PROGS_DIR, objs[i]);
		expect_same(args);
	}
	/* Rejected by the budget: the cluster holds the sum to the limit. */
	snprintf(args, sizeof(args), "%s/xdp_parser.bpf.o --insn-limit 20", BVC_PROGS_DIR);
	expect_same(args);
}

/* --- raw programs --------------------------------------------------------- */

static void put(FILE *f, uint8_t op, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	uint8_t b[8] = { op, (uint8_t)(dst | src << 4) };

	memcpy(b + 2, &off, 2);
	memcpy(b + 4, &imm, 4);
	cr_assert_eq(fwrite(b, 1, 8, f), 8);
}

/* k unknown branches, each leaving a ctx pointer or a scalar in its own
 * stack slot, all read at the end: nothing prunes, 2^k paths (the
 * explosion() of tests/engine/test_split.c, as raw bytecode). @bad plants a
 * NULL dereference on the path where all k bits are set. */
static void write_explosion(const char *path, int k, int bad)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	put(f, 0xbf, 6, 1, 0, 0);  /* r6 = r1 */
	put(f, 0x61, 7, 1, 0, 0);  /* r7 = *(u32 *)(r1 + 0): skb->len */
	for (int i = 0; i < k; i++) {
		put(f, 0xbf, 2, 7, 0, 0);                 /* r2 = r7 */
		put(f, 0x57, 2, 0, 0, 1 << i);            /* r2 &= 1 << i */
		put(f, 0x55, 2, 0, 2, 0);                 /* if r2 != 0 goto +2 */
		put(f, 0x7b, 10, 6, (int16_t)(-8 * (i + 1)), 0); /* *(u64 *)(r10 - 8(i+1)) = r6 */
		put(f, 0x05, 0, 0, 1, 0);                 /* goto +1 */
		put(f, 0x7a, 10, 0, (int16_t)(-8 * (i + 1)), i); /* *(u64 *)(r10 - ..) = i */
	}
	for (int i = 0; i < k; i++)
		put(f, 0x79, 3, 10, (int16_t)(-8 * (i + 1)), 0); /* r3 = *(u64 *)(r10 - ..) */
	if (bad) {
		put(f, 0xbf, 2, 7, 0, 0);
		put(f, 0x57, 2, 0, 0, (1 << k) - 1);
		put(f, 0x55, 2, 0, 2, (1 << k) - 1);
		put(f, 0xb7, 1, 0, 0, 0);                 /* r1 = 0 */
		put(f, 0x79, 0, 1, 0, 0);                 /* r0 = *(u64 *)(r1 + 0) */
	}
	put(f, 0xb7, 0, 0, 0, 0);
	put(f, 0x95, 0, 0, 0, 0);
	cr_assert_eq(fclose(f), 0);
}

Test(cluster_verify, rejected_raw_programs_decide_as_in_process)
{
	char path[128], args[256];
	FILE *f;

	/* r0 = *(u64 *)(r1 + 0) with r1 = 0: a scalar dereference. */
	snprintf(path, sizeof(path), "%s/null.bin", dir);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	put(f, 0xb7, 1, 0, 0, 0);
	put(f, 0x79, 0, 1, 0, 0);
	put(f, 0x95, 0, 0, 0, 0);
	fclose(f);
	snprintf(args, sizeof(args), "%s --type socket_filter", path);
	expect_same(args);

	/* exit with r0 never written. */
	snprintf(path, sizeof(path), "%s/noret.bin", dir);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	put(f, 0x95, 0, 0, 0, 0);
	fclose(f);
	snprintf(args, sizeof(args), "%s --type socket_filter", path);
	expect_same(args);

	/* 2^8 paths, one of them unsafe, deep in the tree. */
	snprintf(path, sizeof(path), "%s/bad8.bin", dir);
	write_explosion(path, 8, 1);
	snprintf(args, sizeof(args), "%s --type socket_filter", path);
	expect_same(args);
}

/* A loop counting to 2^31 - 1: nothing prunes, every checkpoint stays a
 * parent, memory grows until a limit stops it (selftests' loop3). With
 * --insn-limit 0 only the memory limit does: in one process and in a
 * worker, whose rejection is the job's verdict. */
Test(cluster_verify, memory_limit_rejects_in_every_process)
{
	static const char *const ws[] = { "0", "2" };
	char path[128], args[256];
	struct run r;
	FILE *f;

	snprintf(path, sizeof(path), "%s/loop.bin", dir);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	put(f, 0xb7, 1, 0, 0, 0);          /* r1 = 0 */
	put(f, 0x07, 1, 0, 0, 1);          /* r1 += 1 */
	put(f, 0xa5, 1, 0, -2, 0x7fffffff); /* if r1 < 0x7fffffff goto -2 */
	put(f, 0xb7, 0, 0, 0, 0);
	put(f, 0x95, 0, 0, 0, 0);
	cr_assert_eq(fclose(f), 0);
	for (size_t i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
		snprintf(args, sizeof(args),
			 "verify %s --type socket_filter --insn-limit 0 --mem-limit 8M -w %s", path,
			 ws[i]);
		run_bpfvc(args, &r);
		cr_expect_eq(r.status, 1, "%s: exit %d\n%s%s", args, r.status, r.out, r.err);
		cr_expect(strstr(r.out, "rejected at insn ") &&
			  strstr(r.out, "the verifier's states exceed the memory limit of 8 MiB"),
			  "%s:\n%s%s", args, r.out, r.err);
	}
	run_bpfvc("verify /dev/null --mem-limit 8X", &r);
	cr_expect_eq(r.status, 2, "a bad size: exit %d", r.status);
	cr_expect(strstr(r.err, "--mem-limit expects a size"), "%s", r.err);
}

static unsigned long long stat_field(const char *err, const char *name)
{
	const char *p = strstr(err, name);

	return p ? strtoull(p + strlen(name), NULL, 10) : 0;
}

/* The number before @word in the first line of @err that has "@word (",
 * else 0 (the coordinator's --stats lines: "N items (", "N messages ("). */
static unsigned long long stat_before(const char *err, const char *word)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), " %s (", word);
	p = strstr(err, key);
	if (!p)
		return 0;
	while (p > err && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return strtoull(p, NULL, 10);
}

Test(cluster_verify, path_explosion_is_split_and_decides_the_same)
{
	char path[128], args[256], norm0[512], norm[512];
	struct run r0, r1, r2;

	for (int bad = 0; bad <= 1; bad++) {
		snprintf(path, sizeof(path), "%s/expl12_%d.bin", dir, bad);
		write_explosion(path, 12, bad);
		snprintf(args, sizeof(args), "verify %s --type socket_filter --insn-limit 0 -w 0", path);
		run_bpfvc(args, &r0);
		snprintf(args, sizeof(args),
			 "verify %s --type socket_filter --insn-limit 0 -w 1 --stats", path);
		run_bpfvc(args, &r1);
		snprintf(args, sizeof(args),
			 "verify %s --type socket_filter --insn-limit 0 -w 2 --stats", path);
		run_bpfvc(args, &r2);
		cr_assert_eq(r0.status, bad ? 1 : 0, "%s %s", r0.out, r0.err);
		normalise(r0.out, norm0, sizeof(norm0), 1);
		normalise(r1.out, norm, sizeof(norm), 1);
		cr_expect_eq(r1.status, r0.status, "-w 1: %s %s", r1.out, r1.err);
		cr_expect_str_eq(norm, norm0);
		normalise(r2.out, norm, sizeof(norm), 1);
		cr_expect_eq(r2.status, r0.status, "-w 2: %s %s", r2.out, r2.err);
		cr_expect_str_eq(norm, norm0);
		cr_log_info("explosion k=12 bad=%d: -w 0 %.3f s, -w 1 %.3f s (donations %llu), -w 2 %.3f s (donations %llu)",
			    bad, r0.secs, r1.secs, stat_field(r1.err, "donations "), r2.secs,
			    stat_field(r2.err, "donations "));
		if (!bad) {
			cr_expect_eq(stat_field(r1.err, "donations "), 0, "%s", r1.err);
			cr_expect_gt(stat_field(r2.err, "donations "), 0,
				     "nothing was split with 2 workers:\n%s", r2.err);
			/* Each item leased is at least a Donate, its Work, the
			 * lease, its Done and the Done forwarded: the
			 * coordinator's message count (bench/coordinator.sh
			 * divides its CPU by it) counts them all. */
			cr_expect_gt(stat_before(r2.err, "items"), 0, "%s", r2.err);
			cr_expect_geq(stat_before(r2.err, "messages"),
				      5 * stat_before(r2.err, "items"), "%s", r2.err);
		}
	}
}

/* The budget is one process's (docs/design.md section 4, "The budget"):
 * with a finite limit, a program that splits with none is explored whole
 * by one worker, so -w N prints -w 0's line, count included, at a limit
 * of exactly one process's count (accepted) and one below (too large, at
 * the same instruction). Before, the limit held the sum over workers,
 * and splitting loses pruning: test_verif_scale1/2 were refused as too
 * large by -w 2 (tests/corpus/cluster_check.sh checks those). */
Test(cluster_verify, a_finite_budget_is_one_process_s)
{
	char path[128], args[256];
	unsigned long long need;
	struct run r;
	const char *p;

	snprintf(path, sizeof(path), "%s/budget12.bin", dir);
	write_explosion(path, 12, 0);
	snprintf(args, sizeof(args), "verify %s --type socket_filter --insn-limit 0 -w 0", path);
	run_bpfvc(args, &r);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	p = strstr(r.out, "(processed ");
	cr_assert_not_null(p, "%s", r.out);
	need = strtoull(p + strlen("(processed "), NULL, 10);
	cr_assert_gt(need, 10000, "%s", r.out);
	for (int below = 0; below <= 1; below++) {
		snprintf(args, sizeof(args), "%s --type socket_filter --insn-limit %llu", path,
			 need - below);
		expect_same(args);
		snprintf(args, sizeof(args), "verify %s --type socket_filter --insn-limit %llu -w 2 --stats",
			 path, need - below);
		run_bpfvc(args, &r);
		cr_expect_eq(r.status, below, "%s %s", r.out, r.err);
		cr_expect(strstr(r.err, "donations 0,"), "split under a finite limit:\n%s", r.err);
		if (below)
			cr_expect(strstr(r.out, "BPF program is too large"), "%s", r.out);
	}
}

/* bpf-to-bpf calls: the call chain's stack is checked over every worker's
 * paths. main uses 304 bytes on one side of a branch, the callee 304 on
 * the other: no single path needs 608, the kernel still refuses it. */
Test(cluster_verify, call_chain_stack_is_merged_across_workers)
{
	char path[128], args[256];
	struct run r;
	FILE *f;

	snprintf(path, sizeof(path), "%s/chain.bin", dir);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	put(f, 0x61, 6, 1, 0, 0);      /* 0: r6 = skb->len */
	for (int i = 0; i < 6; i++) {  /* 1..18: six unknown branches, to split */
		put(f, 0xbf, 2, 6, 0, 0);
		put(f, 0x57, 2, 0, 0, 2 << i);
		put(f, 0x15, 2, 0, 0, 0);  /* if r2 == 0 goto +0 */
	}
	put(f, 0x57, 6, 0, 0, 1);      /* 19: r6 &= 1 */
	put(f, 0x15, 6, 0, 2, 0);      /* 20: if r6 == 0 goto +2 */
	put(f, 0x7a, 10, 0, -304, 0);  /* 21: *(u64 *)(r10 - 304) = 0 */
	put(f, 0x05, 0, 0, 1, 0);      /* 22: goto +1 */
	put(f, 0x85, 0, 1, 0, 2);      /* 23: call f (insn 26) */
	put(f, 0xb7, 0, 0, 0, 0);      /* 24: r0 = 0 */
	put(f, 0x95, 0, 0, 0, 0);      /* 25: exit */
	put(f, 0x7a, 10, 0, -304, 0);  /* 26: f: *(u64 *)(r10 - 304) = 0 */
	put(f, 0xb7, 0, 0, 0, 0);
	put(f, 0x95, 0, 0, 0, 0);
	cr_assert_eq(fclose(f), 0);
	/* No limit, so that the paths are split over the workers. */
	snprintf(args, sizeof(args), "%s --type socket_filter --insn-limit 0", path);
	expect_same(args);
	snprintf(args, sizeof(args), "verify %s --type socket_filter --insn-limit 0 -w 2", path);
	run_bpfvc(args, &r);
	cr_expect_eq(r.status, 1, "%s %s", r.out, r.err);
	cr_expect(strstr(r.out, "combined stack size of 2 calls is 640. Too large"), "%s", r.out);
}

/* The global cache: a finished checkpoint that pruned a path in one worker
 * goes to the others (the prunable family prunes at every join). */
Test(cluster_verify, pruning_checkpoints_are_shared)
{
	char path[128], args[256];
	struct run r;
	FILE *f;

	snprintf(path, sizeof(path), "%s/prunable.bin", dir);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	put(f, 0x61, 7, 1, 0, 0); /* r7 = skb->len */
	put(f, 0xb7, 8, 0, 0, 0); /* r8 = 0 */
	for (int i = 0; i < 12; i++) {
		put(f, 0xbf, 2, 7, 0, 0);      /* r2 = r7 */
		put(f, 0x57, 2, 0, 0, 1 << i); /* r2 &= 1 << i */
		put(f, 0x15, 2, 0, 1, 0);      /* if r2 == 0 goto +1 */
		put(f, 0x07, 8, 0, 0, 1 << i); /* r8 += 1 << i */
	}
	put(f, 0xbf, 0, 8, 0, 0); /* r0 = r8: returned, never precise */
	put(f, 0x95, 0, 0, 0, 0);
	cr_assert_eq(fclose(f), 0);
	snprintf(args, sizeof(args), "verify %s --type socket_filter --insn-limit 0 -w 2 --stats",
		 path);
	run_bpfvc(args, &r);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_expect(strstr(r.out, ": prog: accepted"), "%s", r.out);
	cr_expect_gt(stat_field(r.err, "checkpoints shared "), 0, "%s", r.err);
}

/* Child pids of @pid, from /proc. */
static int children(pid_t pid, pid_t *out, int max)
{
	char path[64], buf[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f)) {
		char *p = buf, *end;

		for (;;) {
			long v = strtol(p, &end, 10);

			if (end == p || n == max)
				break;
			out[n++] = (pid_t)v;
			p = end;
		}
	}
	fclose(f);
	return n;
}

/* In --stats output @err, no worker but the one with pid @victim (0: none)
 * is declared dead: a live worker, however busy its core, is never. */
static void expect_only_dead(const char *err, pid_t victim)
{
	for (const char *p = err; (p = strstr(p, "stats:   worker ")); p++) {
		const char *eol = strchr(p, '\n'), *pid = strstr(p, "(pid "), *dead = strstr(p, ", dead: ");

		if (!eol)
			eol = p + strlen(p);
		if (!dead || dead > eol)
			continue;
		cr_expect(pid && pid < eol && victim && atoi(pid + 5) == (int)victim,
			  "a worker that was not killed was declared dead: %.*s", (int)(eol - p), p);
	}
}

/*
 * Start bpfvc -w @workers on the k = @k explosion, SIGKILL worker @victim
 * after @delay_s seconds, and check the verdict is still the right one:
 * accepted, or with @too_large a budget of about three quarters of what
 * one process needs (5 M of 6.8 M at k = 18, 1.25 M of 1.57 M at k = 16)
 * rejected as too large. Returns 1 when the kill happened
 * before the end.
 */
static int kill_run(int workers, int victim, double delay_s, int too_large, int k)
{
	char path[128], outpath[128], errpath[128], wopt[8], budget[32], buf[4096] = "";
	pid_t pid, kids[8];
	double t0, tkill = 0, tend;
	int n = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/expl%d.bin", dir, k);
	snprintf(outpath, sizeof(outpath), "%s/out", dir);
	snprintf(errpath, sizeof(errpath), "%s/err", dir);
	snprintf(wopt, sizeof(wopt), "%d", workers);
	/* Below the program's count (about 7.3 M at k = 18, twice that per
	 * step of k): 5,000,000 at k = 18, twice more per step above it. */
	snprintf(budget, sizeof(budget), "%lld",
		 k >= 18 ? 5000000LL << (k - 18) : 5000000LL >> (2 * (18 - k)));
	write_explosion(path, k, 0);
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (!freopen(outpath, "w", stdout) || !freopen(errpath, "w", stderr))
			_exit(99);
		alarm(RUN_TIMEOUT_S);
		execl(BVC_BPFVC, BVC_BPFVC, "verify", path, "--type", "socket_filter", "--insn-limit",
		      too_large ? budget : "0", "-w", wopt, "--stats", "-v", (char *)NULL);
		_exit(98);
	}
	t0 = now_s();
	while (now_s() - t0 < 10 && (n = children(pid, kids, 8)) < workers)
		usleep(20000);
	cr_assert_eq(n, workers, "bpfvc did not start %d workers", workers);
	/* The kill is for a running job: wait for the handshake to end (-v
	 * names the last worker then). A worker killed during the handshake
	 * is refused at the start, exit 2, which is another test's matter. */
	{
		char want[32], seen[8192];

		snprintf(want, sizeof(want), "worker %d: pid", workers - 1);
		for (;;) {
			f = fopen(errpath, "r");
			seen[0] = '\0';
			if (f) {
				seen[fread(seen, 1, sizeof(seen) - 1, f)] = '\0';
				fclose(f);
			}
			if (strstr(seen, want) || now_s() - t0 > 30)
				break;
			usleep(10000);
		}
		cr_assert(strstr(seen, want), "no handshake within 30 s: %s", seen);
	}
	usleep((useconds_t)(delay_s * 1e6));
	if (waitpid(pid, &st, WNOHANG) == 0) {
		cr_assert_eq(kill(kids[victim], SIGKILL), 0);
		tkill = now_s();
		cr_assert_eq(waitpid(pid, &st, 0), pid);
	}
	tend = now_s();
	f = fopen(outpath, "r");
	cr_assert_not_null(f);
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
	fclose(f);
	if (too_large) {
		char words[64];

		/* One process's refusal, count included, whoever was killed. */
		snprintf(words, sizeof(words), "BPF program is too large. Processed %d insn\n",
			 atoi(budget) + 1);
		cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %#x, out: %s", st, buf);
		cr_expect(strstr(buf, words), "want '%s', out: %s", words, buf);
	} else {
		cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x, out: %s", st, buf);
		cr_expect(strstr(buf, ": prog: accepted"), "out: %s", buf);
	}
	if (!tkill) {
		char err[4096] = "";

		f = fopen(errpath, "r");
		if (f) {
			err[fread(err, 1, sizeof(err) - 1, f)] = '\0';
			fclose(f);
		}
		expect_only_dead(err, 0); /* nobody was killed: nobody is dead */
		return 0;
	}
	{
		char err[4096] = "";

		f = fopen(errpath, "r");
		if (f) {
			err[fread(err, 1, sizeof(err) - 1, f)] = '\0';
			fclose(f);
		}
		/* A job that ends right after the kill (or a rejection that
		 * cancels it) may end before the death is noticed. */
		cr_expect_leq(stat_field(err, "dead workers "), 1, "%s", err);
		expect_only_dead(err, kids[victim]);
	}
	cr_log_info("%d workers, k=%d%s%s: worker %d killed at %.2f s; done %.2f s after the kill",
		    workers, k, too_large ? ", budget " : "", too_large ? budget : "", victim,
		    tkill - t0, tend - tkill);
	return 1;
}

static void kill_one(int victim)
{
	if (!kill_run(2, victim, 1.0, 0, KILL_K))
		/* Not a warning: Criterion exits 1 on one, and a fast machine
		 * is no failure. The fault test below counts its kills. */
		cr_log_info("the job ended before the kill: nothing tested");
}

/* One busy loop per online CPU, for as long as this test process lives
 * (PR_SET_PDEATHSIG: a failed assertion cannot leave them spinning). */
static int hog_start(pid_t *pids, int max)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pid_t self = getpid();
	int n = 0;

	for (long c = 0; c < ncpu && n < max; c++) {
		pid_t pid = fork();

		cr_assert_geq(pid, 0);
		if (pid == 0) {
			volatile unsigned long spin = 0;

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != self)
				_exit(0);
			for (;;)
				spin++;
		}
		pids[n++] = pid;
	}
	return n;
}

static void hog_stop(const pid_t *pids, int n)
{
	for (int i = 0; i < n; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
}

/*
 * The fault test: runs of a large program (the k = 18 explosion, in turn
 * with no budget and with one too small for it), each with a random worker
 * of 3 killed at a random moment of its first 1.05 s, while a CPU hog
 * keeps every core busy; every run gives the right verdict and no worker
 * but the killed one is declared dead. BVC_FAULT_RUNS sets how many (make
 * test: 6; the long run: BVC_FAULT_RUNS=20
 * build/tests/cluster/test_cluster_verify --filter 'cluster_verify/random*').
 */
Test(cluster_verify, random_kills_keep_the_verdict)
{
	const char *e = getenv("BVC_FAULT_RUNS");
	int runs = e ? atoi(e) : 6, killed = 0, nhog;
	unsigned int seed = (unsigned int)time(NULL);
	pid_t hog[256];

	nhog = hog_start(hog, 256);
	cr_log_info("fault test: %d runs, seed %u, %d busy loops", runs, seed, nhog);
	srand(seed);
	for (int i = 0; i < runs; i++) {
		int victim = rand() % 3;
		double delay = 0.05 + (rand() % 1000) / 1000.0;

		killed += kill_run(3, victim, delay, i % 2, KILL_K);
	}
	hog_stop(hog, nhog);
	cr_log_info("fault test: %d of %d runs had a worker killed mid-job", killed, runs);
	cr_expect_gt(killed, 0, "no run lasted long enough to kill a worker");
}

/* Worker 0 holds the entry: another one must start it again. */
Test(cluster_verify, sigkill_of_the_entry_worker_keeps_the_verdict)
{
	kill_one(0);
}

/* Worker 1 holds donated items: they are re-queued. */
Test(cluster_verify, sigkill_of_a_helper_worker_keeps_the_verdict)
{
	kill_one(1);
}

/* -l with workers: the Reject carries the failing path's branch decisions
 * and that path alone is replayed here for its log. Fourteen branches
 * leave a stack pointer or the scalar 0 in their slots; the load through
 * the first slot fails only on the second half of the 2^14 paths. */
Test(cluster_verify, the_failing_path_is_replayed_for_its_log)
{
	char path[128], args[256];
	struct run r;
	FILE *f;

	snprintf(path, sizeof(path), "%s/late.bin", dir);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	put(f, 0x7a, 10, 0, -200, 0);  /* *(u64 *)(r10 - 200) = 0 */
	put(f, 0xbf, 6, 10, 0, 0);     /* r6 = r10 */
	put(f, 0x07, 6, 0, 0, -200);   /* r6 += -200 */
	put(f, 0x61, 7, 1, 0, 0);      /* r7 = skb->len */
	for (int i = 0; i < 14; i++) {
		put(f, 0xbf, 2, 7, 0, 0);
		put(f, 0x57, 2, 0, 0, 1 << i);
		put(f, 0x55, 2, 0, 2, 0);
		put(f, 0x7b, 10, 6, (int16_t)(-8 * (i + 1)), 0); /* the stack pointer */
		put(f, 0x05, 0, 0, 1, 0);
		put(f, 0x7a, 10, 0, (int16_t)(-8 * (i + 1)), 0); /* the scalar 0 */
	}
	for (int i = 0; i < 14; i++)
		put(f, 0x79, 3, 10, (int16_t)(-8 * (i + 1)), 0);
	put(f, 0x79, 3, 10, -8, 0);    /* 102: r3 = *(u64 *)(r10 - 8) */
	put(f, 0x79, 0, 3, 0, 0);      /* 103: r0 = *(u64 *)(r3 + 0) */
	put(f, 0xb7, 0, 0, 0, 0);
	put(f, 0x95, 0, 0, 0, 0);
	cr_assert_eq(fclose(f), 0);
	snprintf(args, sizeof(args), "%s --type socket_filter", path);
	expect_same(args);
	snprintf(args, sizeof(args), "verify %s --type socket_filter --insn-limit 0 -w 2 -l 2", path);
	run_bpfvc(args, &r);
	cr_assert_eq(r.status, 1, "%s %s", r.out, r.err);
	/* The kernel's level-2 log: the functions, the live registers, then
	 * the path with the state after each instruction. */
	cr_expect(!strncmp(r.out, "func#0 @0\nLive regs before insn:\n", 33), "%.200s", r.out);
	cr_expect(strstr(r.out, "\n0: (7a) *(u64 *)(r10 -200) = 0        ; R10=fp0 fp-200=0\n"),
		  "%.2000s", r.out);
	cr_expect(strstr(r.out, "103: (79) r0 = *(u64 *)(r3 +0)\nR3 invalid mem access 'scalar'\n"
				"processed "), "%s", r.out);
	cr_expect(!strstr(r.out, "safe"), "one path, nothing pruned: %s", r.out);
	cr_expect(stat_field(r.out, "processed ") < 200, "%s", r.out);
	cr_expect(strstr(r.out, ": prog: rejected at insn 103: R3 invalid mem access 'scalar'"),
		  "%s", r.out);
	cr_expect(strstr(r.err, "logs the failing path"), "%s", r.err);
}
