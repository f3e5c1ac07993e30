// SPDX-License-Identifier: MIT
/*
 * report.md (totals, a table per source file, every disagreement) and
 * kernel.csv (the kernel's answer and stats per program, for later
 * comparison).
 *
 * Must not: decide anything (baseline.c classifies); it only counts.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "corpus.h"

/* Counters of one row of a table. */
struct row {
	size_t files, compiled, skipped_files;
	size_t progs, tests, skipped;
	size_t kacc, krej, kother;
	size_t annot_same, annot_diff;
	size_t cls[CP_C_CNT];
	size_t msg_ok; /* agree-reject with an __msg found in our message */
	size_t log_same, log_cmp; /* level-2 logs identical, compared (tier 1) */
};

static void count(struct row *r, const struct cp_prog *p)
{
	r->progs++;
	if (p->klass == CP_C_SKIP) {
		r->skipped++;
		return;
	}
	r->tests++;
	if (p->res.kstatus == CP_K_ACCEPT)
		r->kacc++;
	else if (p->res.kstatus == CP_K_REJECT)
		r->krej++;
	else
		r->kother++;
	if (p->annot >= 0 && (p->res.kstatus == CP_K_ACCEPT || p->res.kstatus == CP_K_REJECT)) {
		if ((p->res.kstatus == CP_K_REJECT) == p->annot)
			r->annot_same++;
		else
			r->annot_diff++;
	}
	r->cls[p->klass]++;
	if (p->klass == CP_C_AGREE_REJECT && (p->res.omsg_hits || !p->spec.msg_cnt))
		r->msg_ok++;
	if (p->res.lstatus == CP_L_SAME || p->res.lstatus == CP_L_DIFF)
		r->log_cmp++;
	r->log_same += p->res.lstatus == CP_L_SAME;
}

/* Markdown table cell: no pipes, no newlines, bounded. */
static const char *md(const char *s)
{
	static char buf[4][2 * CP_TEXT + 8];
	static int k;
	char *o = buf[k = (k + 1) % 4];
	size_t n = 0;

	for (; s && *s && n < sizeof(buf[0]) - 3; s++) {
		if (*s == '|')
			o[n++] = '\\';
		o[n++] = (*s == '\n' || *s == '\r') ? ' ' : *s;
	}
	o[n] = '\0';
	return o;
}

static void row_print(FILE *f, const char *name, const char *compiled, const struct row *r)
{
	fprintf(f, "| %s | %s | %zu | %zu | %zu | %zu | %zu | %zu | %zu | %zu | %zu | %zu | %zu (%zu) | %zu | %zu | %zu | %zu | %zu | %zu | %zu / %zu |\n",
		name, compiled, r->progs, r->tests, r->skipped, r->kacc, r->krej, r->kother,
		r->cls[CP_C_KERNEL_ENV], r->annot_same,
		r->annot_diff, r->cls[CP_C_AGREE_ACCEPT], r->cls[CP_C_AGREE_REJECT], r->msg_ok,
		r->cls[CP_C_UNSOUND], r->cls[CP_C_OVER_REJECT], r->cls[CP_C_UNSUPPORTED],
		r->cls[CP_C_BAD_INPUT], r->cls[CP_C_OUR_FAILURE], r->cls[CP_C_UNLABELLED],
		r->log_same, r->log_cmp);
}

static const char table_head[] =
	"| file | compiled | programs | run | skipped | kernel accept | kernel reject | kernel other | "
	"kernel cannot load here | annotation = kernel | annotation ≠ kernel | agree-accept | "
	"agree-reject (msg ok) | unsound | over-reject | unsupported | bad input | our failures | "
	"unlabelled | log lines identical |\n"
	"|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";

static const char *annot_name(int a)
{
	return a < 0 ? "none" : a ? "failure" : "success";
}

/* Group the programs of class @klass by a message and print counts; the
 * unsupported ones by the feature their message names. */
static void grouped(FILE *f, const struct cp_run *run, int klass, int by_kernel)
{
	char (*keys)[256] = calloc(run->prog_cnt + 1, sizeof(*keys));
	const char **msgs = calloc(run->prog_cnt + 1, sizeof(*msgs));
	size_t *cnt = calloc(run->prog_cnt + 1, sizeof(*cnt));
	const char **example = calloc(run->prog_cnt + 1, sizeof(*example));
	size_t n = 0, i, j;

	if (!msgs || !cnt || !example || !keys)
		cp_die_nomem();
	for (i = 0; i < run->prog_cnt; i++) {
		const struct cp_prog *p = &run->progs[i];
		const char *m;

		if (p->klass != klass)
			continue;
		m = by_kernel ? p->res.kloaderr : p->res.omsg;
		if (klass == CP_C_UNSUPPORTED)
			m = cp_unsupported_feature(m, keys[i], sizeof(keys[i]));
		for (j = 0; j < n && strcmp(msgs[j], m); j++)
			;
		if (j == n) {
			msgs[n] = m;
			example[n] = p->id;
			n++;
		}
		cnt[j]++;
	}
	if (!n) {
		fputs("None.\n\n", f);
	} else {
		fputs("| programs | message | for example |\n|--:|---|---|\n", f);
		for (i = 0; i < n; i++)
			fprintf(f, "| %zu | %s | %s |\n", cnt[i], md(msgs[i]), md(example[i]));
		fputs("\n", f);
	}
	free(msgs);
	free(cnt);
	free(example);
	free(keys);
}

static void list_class(FILE *f, const struct cp_run *run, int klass, int regressions_only)
{
	size_t i, n = 0;

	for (i = 0; i < run->prog_cnt; i++) {
		const struct cp_prog *p = &run->progs[i];

		if (regressions_only ? !p->regression : p->klass != klass)
			continue;
		if (!n++)
			fputs("| program | section | class | annotation | kernel | kernel's message | ours | our message |\n"
			      "|---|---|---|---|---|---|---|---|\n",
			      f);
		fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", md(p->id), md(p->sec),
			cp_class_name(p->klass), annot_name(p->annot),
			cp_kstatus_name(p->res.kstatus),
			md(p->res.kerrline[0] ? p->res.kerrline : p->res.kloaderr),
			cp_ostatus_name(p->res.ostatus), md(p->res.omsg));
	}
	fputs(n ? "\n" : "None.\n\n", f);
}

static int cmp_ratio(const void *a, const void *b);

/* The same figures for each tier on its own: selftests and generated
 * programs do not weigh alike. */
static void ratio_by_tier(FILE *f, const struct cp_run *run)
{
	static const char *const names[CP_TIER_CNT] = { "kernel selftests (verifier_*.c)",
							 "kernel selftests (other progs)",
							 "tests/progs", "generated programs" };
	double *r = calloc(run->prog_cnt + 1, sizeof(*r));

	if (!r)
		cp_die_nomem();
	fputs("| tier | programs | median | 90th percentile | worst | above 1.25 |\n"
	      "|---|--:|--:|--:|--:|--:|\n", f);
	for (int t = 0; t < CP_TIER_CNT; t++) {
		size_t m = 0, over = 0;

		for (size_t i = 0; i < run->prog_cnt; i++) {
			const struct cp_prog *p = &run->progs[i];

			if (p->tier != t || p->klass != CP_C_AGREE_ACCEPT || p->res.kprocessed <= 0)
				continue;
			r[m] = (double)p->res.oprocessed / (double)p->res.kprocessed;
			over += r[m] > 1.25;
			m++;
		}
		if (!m)
			continue;
		qsort(r, m, sizeof(*r), cmp_ratio); /* largest first */
		fprintf(f, "| %s | %zu | %.2f | %.2f | %.2f | %zu |\n", names[t], m, r[m / 2], r[m / 10],
			r[0], over);
	}
	fputs("\n", f);
	free(r);
}

static int cmp_ratio(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Features that need the target kernel's BTF (issue #17, not #15): kfuncs
 * and typed ksyms, the BTF-typed program types (tracing, struct_ops, ext,
 * lsm) and helpers returning BTF-typed pointers. */
static bool needs_target_btf(const char *feat)
{
	static const char *const prefixes[] = {
		"extern ksym", "struct_ops", "program type 26", "program type 27",
		"program type 28", "program type 29",
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(feat, prefixes[i], strlen(prefixes[i])))
			return true;
	return strstr(feat, "_btf#") != NULL;
}

/* Issue #15's measure: tier 2's accept share among the kernel-accepted
 * programs that need none of the above (what the engine alone can reach). */
static void target_kernel_share(FILE *f, const struct cp_run *run)
{
	size_t kacc = 0, oacc = 0, apart = 0;
	char key[CP_TEXT];

	for (size_t i = 0; i < run->prog_cnt; i++) {
		const struct cp_prog *p = &run->progs[i];

		if (p->tier != CP_TIER_SELFTEST2 || p->klass == CP_C_SKIP ||
		    p->klass == CP_C_KERNEL_ENV || p->res.kstatus != CP_K_ACCEPT)
			continue;
		if (p->klass == CP_C_UNSUPPORTED &&
		    needs_target_btf(cp_unsupported_feature(p->res.omsg, key, sizeof(key)))) {
			apart++;
			continue;
		}
		kacc++;
		oacc += p->res.ostatus == CP_O_ACCEPT;
	}
	if (!kacc && !apart)
		return;
	fprintf(f, "\nTier 2 apart from the %zu kernel-accepted programs refused for a feature that "
		   "needs the target kernel's BTF (kfuncs and typed ksyms, tracing/struct_ops/ext/lsm "
		   "programs, helpers returning BTF-typed pointers; issue #17): bpfvc accepts %zu of "
		   "%zu, %.1f %%.\n",
		apart, oacc, kacc, kacc ? 100.0 * (double)oacc / (double)kacc : 0.0);
}

/* The headline of issue #15: of the programs the kernel accepts (and that
 * are compared here), how many bpfvc accepts; and how many it decides at
 * all (accept or a modelled reject), and agrees on. */
static void accept_share(FILE *f, const struct cp_run *run, const char *const *tier_names)
{
	fputs("\n## Accept share\n\n"
	      "Of the programs the kernel accepts (compared ones: not skipped, not counted apart as "
	      "\"kernel cannot load here\"), how many bpfvc accepts; the refusals split into "
	      "unsupported, modelled rejects (over-reject), bad input and our failures. Decided: "
	      "programs where bpfvc gives a verdict (accept or a modelled reject) on a kernel "
	      "label; agreement among those.\n\n"
	      "| tier | kernel accepts | bpfvc accepts | share | unsupported | over-reject | "
	      "bad input | our failures | decided | agree |\n"
	      "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n", f);
	for (int t = 0; t < CP_TIER_CNT; t++) {
		size_t kacc = 0, oacc = 0, uns = 0, over = 0, bad = 0, fail = 0, dec = 0, agr = 0;

		for (size_t i = 0; i < run->prog_cnt; i++) {
			const struct cp_prog *p = &run->progs[i];
			int k = p->res.kstatus;

			if (p->tier != t || p->klass == CP_C_SKIP || p->klass == CP_C_KERNEL_ENV)
				continue;
			if ((k == CP_K_ACCEPT || k == CP_K_REJECT) &&
			    (p->res.ostatus == CP_O_ACCEPT || p->res.ostatus == CP_O_REJECT)) {
				dec++;
				agr += cp_class_agrees(p->klass);
			}
			if (k != CP_K_ACCEPT)
				continue;
			kacc++;
			oacc += p->res.ostatus == CP_O_ACCEPT;
			uns += p->klass == CP_C_UNSUPPORTED;
			over += p->klass == CP_C_OVER_REJECT;
			bad += p->klass == CP_C_BAD_INPUT;
			fail += p->klass == CP_C_OUR_FAILURE;
		}
		if (!kacc && !dec)
			continue;
		fprintf(f, "| %s | %zu | %zu | %.1f %% | %zu | %zu | %zu | %zu | %zu | %.1f %% |\n",
			tier_names[t], kacc, oacc, kacc ? 100.0 * (double)oacc / (double)kacc : 0.0,
			uns, over, bad, fail, dec, dec ? 100.0 * (double)agr / (double)dec : 0.0);
	}
	target_kernel_share(f, run);
}

struct feat {
	char name[CP_TEXT];
	size_t progs, kacc;
	const char *example;
};

static int cmp_feat(const void *a, const void *b)
{
	const struct feat *x = a, *y = b;

	if (x->kacc != y->kacc)
		return x->kacc < y->kacc ? 1 : -1;
	if (x->progs != y->progs)
		return x->progs < y->progs ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int cmp_progs(const void *a, const void *b)
{
	const struct feat *x = a, *y = b;

	if (x->progs != y->progs)
		return x->progs < y->progs ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* A feature name with the kernel's names for program and map type numbers. */
static void feature_label(char *dst, size_t size, const char *feat)
{
	const char *name = NULL;
	int n;

	if (sscanf(feat, "program type %d", &n) == 1)
		name = libbpf_bpf_prog_type_str((enum bpf_prog_type)n);
	else if (sscanf(feat, "map type %d", &n) == 1)
		name = libbpf_bpf_map_type_str((enum bpf_map_type)n);
	if (name)
		snprintf(dst, size, "%s (%s)", feat, name);
	else
		snprintf(dst, size, "%s", feat);
}

/* Per feature named by "unsupported: ...", per tier: how many programs it
 * blocks and how many of those the kernel accepts (what modelling it would
 * gain), sorted by that. */
static void unsupported_features(FILE *f, const struct cp_run *run, const char *const *tier_names)
{
	struct feat *feats = calloc(run->prog_cnt + 1, sizeof(*feats));

	if (!feats)
		cp_die_nomem();
	fputs("\n## Unsupported features\n\n"
	      "Each `unsupported: …` message reduced to the feature it names (the text up to its "
	      "first detail; externs by kind): the programs it blocks, how many of those the kernel "
	      "accepts, and that as a share of the tier's kernel-accepted programs.\n", f);
	for (int t = 0; t < CP_TIER_CNT; t++) {
		size_t n = 0, kacc_all = 0, i, j, blocked = 0;

		for (i = 0; i < run->prog_cnt; i++) {
			const struct cp_prog *p = &run->progs[i];
			char key[CP_TEXT];

			if (p->tier != t || p->klass == CP_C_SKIP || p->klass == CP_C_KERNEL_ENV)
				continue;
			kacc_all += p->res.kstatus == CP_K_ACCEPT;
			if (p->klass != CP_C_UNSUPPORTED)
				continue;
			blocked++;
			cp_unsupported_feature(p->res.omsg, key, sizeof(key));
			for (j = 0; j < n && strcmp(feats[j].name, key); j++)
				;
			if (j == n) {
				snprintf(feats[n].name, sizeof(feats[n].name), "%s", key);
				feats[n].progs = feats[n].kacc = 0;
				feats[n].example = p->id;
				n++;
			}
			feats[j].progs++;
			feats[j].kacc += p->res.kstatus == CP_K_ACCEPT;
		}
		if (!blocked)
			continue;
		qsort(feats, n, sizeof(*feats), cmp_feat);
		fprintf(f, "\n### %s: %zu programs refused as unsupported\n\n", tier_names[t], blocked);
		fputs("| feature | programs | kernel accepts | share of kernel-accepted | for example |\n"
		      "|---|--:|--:|--:|---|\n", f);
		for (i = 0; i < n; i++) {
			char label[CP_TEXT + 64];

			feature_label(label, sizeof(label), feats[i].name);
			fprintf(f, "| %s | %zu | %zu | %.1f %% | %s |\n", md(label), feats[i].progs,
				feats[i].kacc,
				kacc_all ? 100.0 * (double)feats[i].kacc / (double)kacc_all : 0.0,
				md(feats[i].example));
		}
	}
	free(feats);
}

/* The kernel's scale tests (issue #15): the programs of tier 2's pyperf*,
 * strobemeta*, profiler*, test_verif_scale* and loop* files. */
static int is_scale_file(const char *name)
{
	static const char *const pfx[] = { "pyperf", "strobemeta", "profiler", "test_verif_scale",
					   "loop", NULL };

	for (const char *const *p = pfx; *p; p++)
		if (!strncmp(name, *p, strlen(*p)))
			return 1;
	return 0;
}

static void num_or_dash(char *dst, size_t size, long long v)
{
	if (v < 0)
		snprintf(dst, size, "—");
	else
		snprintf(dst, size, "%lld", v);
}

/* Issue #18: our level-2 log against the kernel's, tier 1, where the
 * verdicts agree: how many are identical, and the first differing line of
 * each of the others. */
static void log_compare(FILE *f, const struct cp_run *run)
{
	static const char *const why[] = {
		[CP_L_KTRUNC] = "the kernel's log outgrew 16 MiB",
		[CP_L_OTRUNC] = "our log outgrew 16 MiB",
		[CP_L_KFAIL] = "the level-2 load's verdict differed from the first",
	};
	size_t cmp = 0, same = 0, skipped = 0, other[CP_L_KFAIL + 1] = { 0 }, n = 0;

	for (size_t i = 0; i < run->prog_cnt; i++) {
		const struct cp_prog *p = &run->progs[i];

		if (p->res.lstatus == CP_L_SAME || p->res.lstatus == CP_L_DIFF) {
			cmp++;
			same += p->res.lstatus == CP_L_SAME;
			skipped += (size_t)p->res.lskipped;
		} else if (p->res.lstatus > CP_L_DIFF && p->res.lstatus <= CP_L_KFAIL) {
			other[p->res.lstatus]++;
		}
	}
	fputs("\n## Level-2 log vs the kernel's\n\n"
	      "Tier 1, agree-accept and agree-reject: the kernel's log at level 2 and ours, line by "
	      "line (tests/corpus/logcmp.c). Normalized first: an ld_imm64 of a map (the kernel "
	      "prints an address); skipped from the kernel's log, and counted: 6.18's stack-liveness "
	      "lines (`(0) frame 0 insn 19 +live -16`, `(0) live stack update ...`) and loop "
	      "components (`SCC enter (1)`, and the component column of the live-registers table), "
	      "analyses bpfvc does not model. Where the kernel refused the object's BTF (libbpf then "
	      "loads without it), ours is printed without line info too.\n\n", f);
	if (!cmp && !other[CP_L_KTRUNC] && !other[CP_L_OTRUNC] && !other[CP_L_KFAIL]) {
		fputs("Not run (no kernel, or --no-log-compare).\n", f);
		return;
	}
	fprintf(f, "- Compared: %zu programs; identical: %zu (%.1f %%); kernel lines skipped: %zu\n", cmp,
		same, cmp ? 100.0 * (double)same / (double)cmp : 0.0, skipped);
	for (int k = CP_L_KTRUNC; k <= CP_L_KFAIL; k++)
		if (other[k])
			fprintf(f, "- Not compared, %s: %zu\n", why[k], other[k]);
	fputs("\n", f);
	for (size_t i = 0; i < run->prog_cnt; i++) {
		const struct cp_prog *p = &run->progs[i];

		if (p->res.lstatus != CP_L_DIFF)
			continue;
		if (!n++)
			fputs("| program | class | line | kernel's line | ours |\n|---|---|--:|---|---|\n", f);
		fprintf(f, "| %s | %s | %d | `%s` | `%s` |\n", md(p->id), cp_class_name(p->klass),
			p->res.ldiff_at, md(p->res.lkline), md(p->res.loline));
	}
}

static void scale_tests(FILE *f, const struct cp_run *run)
{
	size_t n = 0;

	fputs("\n## Scale tests\n\n"
	      "Tier 2's `pyperf*`, `strobemeta*`, `profiler*`, `test_verif_scale*` and `loop*` "
	      "programs: the kernel's figures from its level-4 stats (processed insns, total/peak "
	      "states, verification time; a cached label keeps the time of the run that asked), ours "
	      "measured in-process (bvc_verify's wall time in the forked child).\n\n", f);
	for (size_t i = 0; i < run->prog_cnt; i++) {
		const struct cp_prog *p = &run->progs[i];
		const struct cp_result *r = &p->res;
		char kins[32], kst[64], kt[32], oins[32], ost[64], ot[32], ratio[32];

		if (p->tier != CP_TIER_SELFTEST2 || p->file < 0 || p->klass == CP_C_SKIP ||
		    !is_scale_file(run->files[p->file].name))
			continue;
		if (!n++)
			fputs("| program | kernel | insns | states (total / peak) | time (µs) | ours | "
			      "insns | states (total / peak) | time (µs) | ours / kernel insns | class | "
			      "our message |\n"
			      "|---|---|--:|--:|--:|---|--:|--:|--:|--:|---|---|\n", f);
		num_or_dash(kins, sizeof(kins), r->kprocessed);
		if (r->kstates_total >= 0)
			snprintf(kst, sizeof(kst), "%lld / %lld", (long long)r->kstates_total,
				 (long long)r->kstates_peak);
		else
			snprintf(kst, sizeof(kst), "—");
		num_or_dash(kt, sizeof(kt), r->ktime_us);
		if (r->ostatus == CP_O_ACCEPT || r->ostatus == CP_O_REJECT) {
			snprintf(oins, sizeof(oins), "%llu", (unsigned long long)r->oprocessed);
			snprintf(ost, sizeof(ost), "%llu / %llu", (unsigned long long)r->ostates_total,
				 (unsigned long long)r->ostates_peak);
		} else {
			snprintf(oins, sizeof(oins), "—");
			snprintf(ost, sizeof(ost), "—");
		}
		num_or_dash(ot, sizeof(ot), r->ostatus == CP_O_NOTRUN ? -1 : r->otime_us);
		if (r->kprocessed > 0 && (r->ostatus == CP_O_ACCEPT || r->ostatus == CP_O_REJECT))
			snprintf(ratio, sizeof(ratio), "%.2f",
				 (double)r->oprocessed / (double)r->kprocessed);
		else
			snprintf(ratio, sizeof(ratio), "—");
		fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", md(p->id),
			cp_kstatus_name(r->kstatus), kins, kst, kt, cp_ostatus_name(r->ostatus), oins,
			ost, ot, ratio, cp_class_name(p->klass), md(r->omsg));
	}
	if (!n)
		fputs("Not run.\n", f);
}

/* Tier 2's programs the kernel cannot load here, by reason. */
static void kernel_env(FILE *f, const struct cp_run *run)
{
	struct feat *rs = calloc(run->prog_cnt + 1, sizeof(*rs));
	size_t n = 0, total = 0, i, j;

	if (!rs)
		cp_die_nomem();
	for (i = 0; i < run->prog_cnt; i++) {
		const struct cp_prog *p = &run->progs[i];
		char why[CP_TEXT];

		if (p->klass != CP_C_KERNEL_ENV || !cp_kernel_env_reason(&p->res, why, sizeof(why)))
			continue;
		total++;
		for (j = 0; j < n && strcmp(rs[j].name, why); j++)
			;
		if (j == n) {
			snprintf(rs[n].name, sizeof(rs[n].name), "%s", why);
			rs[n].example = p->id;
			n++;
		}
		rs[j].progs++;
		rs[j].kacc += p->res.ostatus == CP_O_ACCEPT; /* here: how many we accept */
	}
	fprintf(f, "\n## Kernel cannot load here (%zu)\n\n"
		   "Tier 2 programs the live kernel could not judge for reasons outside the verifier "
		   "(an attach target or kfunc this kernel lacks, bpf_testmod, a map it cannot create, "
		   "struct_ops, a section libbpf cannot type): counted apart, not compared (accepting one "
		   "whose annotation says `__failure` is still unsound).\n\n", total);
	if (n) {
		qsort(rs, n, sizeof(*rs), cmp_progs);
		fputs("| kernel cannot load here: reason | programs | bpfvc accepts | for example |\n"
		      "|---|--:|--:|---|\n", f);
		for (i = 0; i < n; i++)
			fprintf(f, "| %s | %zu | %zu | %s |\n", md(rs[i].name), rs[i].progs, rs[i].kacc,
				md(rs[i].example));
	} else {
		fputs("None.\n", f);
	}
	free(rs);
}

int cp_report_write(const struct cp_run *run, const char *dir, const struct cp_baseline *bl,
		    double secs_compile, double secs_run, char *err, size_t errsz)
{
	static const char *const tier_names[CP_TIER_CNT] = { "kernel selftests (verifier_*.c)",
							     "kernel selftests, tier 2 (other progs/*.c)",
							     "tests/progs", "generator" };
	struct row tier[CP_TIER_CNT], total;
	char path[4096];
	size_t i, t, n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/report.md", dir);
	f = fopen(path, "w");
	if (!f) {
		snprintf(err, errsz, "cannot write %s: %s", path, strerror(errno));
		return -errno;
	}
	memset(tier, 0, sizeof(tier));
	memset(&total, 0, sizeof(total));
	for (i = 0; i < run->file_cnt; i++) {
		const struct cp_file *fl = &run->files[i];

		tier[fl->tier].files++;
		if (fl->bytes)
			tier[fl->tier].compiled++;
		else
			tier[fl->tier].skipped_files++;
		if (fl->bytes && fl->skip) {
			/* compiled, but libbpf cannot open it: its programs are skipped */
			tier[fl->tier].progs += fl->elf_progs;
			tier[fl->tier].skipped += fl->elf_progs;
			total.progs += fl->elf_progs;
			total.skipped += fl->elf_progs;
		}
	}
	for (i = 0; i < run->prog_cnt; i++) {
		count(&tier[run->progs[i].tier], &run->progs[i]);
		count(&total, &run->progs[i]);
	}

	fprintf(f, "# bpfvc kernel-parity corpus\n\n");
	fprintf(f, "**%zu passed, %zu failed** — failed = unsound (%zu) + regressions (%zu); "
		   "passed = programs in agreement, or out of agreement and listed in the baseline.\n\n",
		bl->passed, bl->failed, bl->unsound, bl->regressions);
	if (run->kernel)
		fprintf(f, "- Oracle: the live kernel, privileged `bpf(BPF_PROG_LOAD)` through libbpf\n");
	else
		fprintf(f, "- Oracle: **none** (%s): the annotations decide, the generator is skipped\n",
			md(run->kernel_why));
	fprintf(f, "- Kernel: %s; selftests' testing flags the kernel takes: 0x%x\n",
		run->kernel_release, run->test_flags);
	fprintf(f, "- Compiler: %s\n", run->clang[0] ? run->clang : "(no compiled selftests)");
	fprintf(f, "- Our budget: %llu processed instructions; watchdogs: kernel %u s, bpfvc %u s per program\n",
		(unsigned long long)run->insn_limit, run->ktimeout, run->otimeout);
	if (secs_compile >= 0)
		fprintf(f, "- Time: corpus preparation %.1f s, harness %.1f s\n", secs_compile,
			secs_run);
	else
		fprintf(f, "- Time: harness %.1f s\n", secs_run);
	if (bl->path) {
		fprintf(f, "- Baseline: `%s`, %zu entries: %zu still out of agreement (known), "
			   "%zu agree now (stale: drop them with "
			   "`BVC_CORPUS_UPDATE_BASELINE=1`), %zu not seen in this run.\n",
			bl->path, bl->cnt, bl->matched, bl->stale, bl->absent);
		fprintf(f, "  The baseline only shrinks: an update drops entries that agree and never "
			   "adds one unless `BVC_CORPUS_GROW_BASELINE=1` says so; unsound programs are "
			   "never added.\n");
		if (bl->updated)
			fprintf(f, "  This run rewrote it: %zu entries dropped, %zu added%s.\n",
				bl->dropped, bl->added,
				bl->grow_refused ? "; new disagreements were NOT added (growth not allowed)" : "");
	} else {
		fprintf(f, "- Baseline: none (a long run): only unsound programs fail.\n");
	}

	fprintf(f, "\n## Totals\n\n");
	fprintf(f, "Programs: entry programs in the compiled objects. Run: programs compared. Skipped: "
		   "auxiliary programs (loaded with every test of their file, not tests), other "
		   "architectures' tests, programs of objects libbpf cannot open. Kernel other: libbpf could not load the "
		   "object for this program (the kernel never verified it), or a watchdog fired. "
		   "Annotation columns compare the 6.12 selftests' `__success`/`__failure` with this "
		   "kernel. Msg ok: agree-reject where our message contains an expected `__msg`.\n\n");
	fprintf(f, "| tier | files (compiled / not compiled) | programs | run | skipped | kernel accept | kernel reject | kernel other | "
		   "kernel cannot load here | annotation = kernel | annotation ≠ kernel | agree-accept | "
		   "agree-reject (msg ok) | unsound | over-reject | unsupported | bad input | "
		   "our failures | unlabelled | log lines identical |\n"
		   "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
	for (t = 0; t < CP_TIER_CNT; t++) {
		char files[64];

		if (t == CP_TIER_GEN)
			snprintf(files, sizeof(files), "—");
		else
			snprintf(files, sizeof(files), "%zu (%zu / %zu)", tier[t].files,
				 tier[t].compiled, tier[t].skipped_files);
		row_print(f, tier_names[t], files, &tier[t]);
	}
	row_print(f, "**total**", "", &total);

	accept_share(f, run, tier_names);
	unsupported_features(f, run, tier_names);
	scale_tests(f, run);
	log_compare(f, run);
	kernel_env(f, run);

	for (t = 0; t < CP_TIER_GEN; t++) {
		fprintf(f, "\n## %s, per source file\n\n", tier_names[t]);
		if (!tier[t].files) {
			fprintf(f, "Not run.\n");
			continue;
		}
		fputs(table_head, f);
		for (i = 0; i < run->file_cnt; i++) {
			const struct cp_file *fl = &run->files[i];
			struct row r;
			char comp[CP_TEXT + 32];

			if ((size_t)fl->tier != t)
				continue;
			memset(&r, 0, sizeof(r));
			for (n = 0; n < run->prog_cnt; n++)
				if (run->progs[n].file == (int)i)
					count(&r, &run->progs[n]);
			if (!fl->skip) {
				snprintf(comp, sizeof(comp), "yes");
			} else if (fl->bytes) {
				snprintf(comp, sizeof(comp), "yes, libbpf cannot open it");
				r.progs = r.skipped = fl->elf_progs;
			} else {
				snprintf(comp, sizeof(comp), "**no**");
			}
			row_print(f, md(fl->name), comp, &r);
		}
		fprintf(f, "\nFiles not compiled, or compiled and not opened by libbpf:\n\n");
		n = 0;
		for (i = 0; i < run->file_cnt; i++) {
			const struct cp_file *fl = &run->files[i];

			if ((size_t)fl->tier != t || !fl->skip)
				continue;
			if (!n++)
				fputs("| file | reason (compiler's or libbpf's first error line) |\n|---|---|\n", f);
			fprintf(f, "| %s | %s |\n", md(fl->name), md(fl->skip));
		}
		fputs(n ? "\n" : "None.\n", f);
	}

	fprintf(f, "\n## Generator\n\n");
	if (!tier[CP_TIER_GEN].progs) {
		fprintf(f, "Not run.\n");
	} else {
		size_t feats_acc[16] = { 0 }, feats_all[16] = { 0 };
		static const char *const feats[] = { "alu", "branch", "spill", "map", "map-no-null", "pkt",
						     "loop", "helper", "call", "atomic", "ctx", "mistake" };
		size_t nf = sizeof(feats) / sizeof(feats[0]), k;

		for (i = 0; i < run->prog_cnt; i++) {
			const struct cp_prog *p = &run->progs[i];

			if (p->tier != CP_TIER_GEN)
				continue;
			for (k = 0; k < nf; k++) {
				char pat[40];

				snprintf(pat, sizeof(pat), " %s", feats[k]);
				/* match whole words */
				{
					const char *h = p->sec;
					int found = 0;

					while ((h = strstr(h, pat))) {
						char e = h[strlen(pat)];

						if (e == ' ' || e == '\0') {
							found = 1;
							break;
						}
						h++;
					}
					if (!found)
						continue;
				}
				feats_all[k]++;
				feats_acc[k] += p->res.kstatus == CP_K_ACCEPT;
			}
		}
		fprintf(f, "%zu programs: the kernel accepted %zu and rejected %zu. Programs with each "
			   "feature, and how many of those the kernel accepted:\n\n",
			tier[CP_TIER_GEN].tests, tier[CP_TIER_GEN].kacc, tier[CP_TIER_GEN].krej);
		fputs("| feature | programs | kernel accepted |\n|---|--:|--:|\n", f);
		for (k = 0; k < nf; k++)
			fprintf(f, "| %s | %zu | %zu |\n", feats[k], feats_all[k], feats_acc[k]);
		fprintf(f, "\nThe kernel's reasons for rejecting generated programs:\n\n");
		{
			const char **msgs = calloc(run->prog_cnt + 1, sizeof(*msgs));
			size_t *cnt = calloc(run->prog_cnt + 1, sizeof(*cnt)), m = 0, j;

			if (!msgs || !cnt)
				cp_die_nomem();
			for (i = 0; i < run->prog_cnt; i++) {
				const struct cp_prog *p = &run->progs[i];
				char key[CP_TEXT];
				char *d;

				if (p->tier != CP_TIER_GEN || p->res.kstatus != CP_K_REJECT)
					continue;
				/* numbers vary; group by the words */
				snprintf(key, sizeof(key), "%s", p->res.kerrline);
				for (d = key; *d; d++)
					if (*d >= '0' && *d <= '9')
						*d = 'N';
				for (j = 0; j < m && strcmp(msgs[j], key); j++)
					;
				if (j == m)
					msgs[m++] = cp_strdup(key);
				cnt[j]++;
			}
			fputs("| programs | message (digits as N) |\n|--:|---|\n", f);
			for (j = 0; j < m; j++) {
				fprintf(f, "| %zu | %s |\n", cnt[j], md(msgs[j]));
				free((void *)msgs[j]);
			}
			free(msgs);
			free(cnt);
		}
	}

	fprintf(f, "\n## Disagreements\n\n");
	fprintf(f, "### Unsound: bpfvc accepts, the kernel or the annotation rejects (%zu)\n\n",
		total.cls[CP_C_UNSOUND]);
	list_class(f, run, CP_C_UNSOUND, 0);
	fprintf(f, "### Regressions: out of agreement and not in the baseline (%zu)\n\n",
		bl->regressions);
	list_class(f, run, -1, 1);
	fprintf(f, "### Over-rejects: bpfvc rejects, the kernel accepts (%zu)\n\n",
		total.cls[CP_C_OVER_REJECT]);
	list_class(f, run, CP_C_OVER_REJECT, 0);
	fprintf(f, "### Our failures: timeouts, crashes, internal errors (%zu)\n\n",
		total.cls[CP_C_OUR_FAILURE]);
	list_class(f, run, CP_C_OUR_FAILURE, 0);

	fprintf(f, "### This kernel vs the 6.12 annotations (%zu)\n\n", total.annot_diff);
	fprintf(f, "The selftests of linux-source-6.12 expect one verdict, the running kernel gives the other. "
		   "The kernel is the reference; these are listed so nobody chases them.\n\n");
	n = 0;
	for (i = 0; i < run->prog_cnt; i++) {
		const struct cp_prog *p = &run->progs[i];

		if (p->klass == CP_C_SKIP || p->annot < 0 ||
		    (p->res.kstatus != CP_K_ACCEPT && p->res.kstatus != CP_K_REJECT) ||
		    (p->res.kstatus == CP_K_REJECT) == p->annot)
			continue;
		if (!n++)
			fputs("| program | annotation | kernel | kernel's message |\n|---|---|---|---|\n", f);
		fprintf(f, "| %s | %s | %s | %s |\n", md(p->id), annot_name(p->annot),
			cp_kstatus_name(p->res.kstatus), md(p->res.kerrline));
	}
	fputs(n ? "\n" : "None.\n\n", f);

	fprintf(f, "### Expected `__msg` text missing from the kernel's log\n\n");
	fprintf(f, "The kernel's verdict matches the annotation but its log (at the level the selftests "
		   "use) lacks an expected message: wording that changed since 6.12.\n\n");
	n = 0;
	for (i = 0; i < run->prog_cnt; i++) {
		const struct cp_prog *p = &run->progs[i];

		if (p->klass == CP_C_SKIP || !p->res.kmsg_checked || p->res.kmsg_ok ||
		    p->annot < 0 || (p->res.kstatus != CP_K_ACCEPT && p->res.kstatus != CP_K_REJECT) ||
		    (p->res.kstatus == CP_K_REJECT) != p->annot)
			continue;
		if (!n++)
			fputs("| program | log level | first pattern not found | kernel's message |\n|---|--:|---|---|\n", f);
		fprintf(f, "| %s | %d | %s | %s |\n", md(p->id), p->res.klevel,
			p->res.kmsg_first_miss >= 0 &&
					(size_t)p->res.kmsg_first_miss < p->spec.msg_cnt ?
				md(p->spec.msgs[p->res.kmsg_first_miss]) : "",
			md(p->res.kerrline));
	}
	fputs(n ? "\n" : "None.\n\n", f);

	fprintf(f, "### Not verified by the kernel: load errors and watchdogs (%zu)\n\n", total.kother);
	fprintf(f, "libbpf failed before `BPF_PROG_LOAD` (a kfunc or attach target this kernel "
		   "lacks, a map it cannot create, ...), or the load timed out. These programs are "
		   "labelled by their annotation.\n\n");
	n = 0;
	for (i = 0; i < run->prog_cnt; i++) {
		const struct cp_prog *p = &run->progs[i];

		if (p->klass == CP_C_SKIP || p->klass == CP_C_KERNEL_ENV ||
		    p->res.kstatus == CP_K_ACCEPT || p->res.kstatus == CP_K_REJECT ||
		    (!run->kernel && p->res.kstatus == CP_K_NOTRUN))
			continue;
		if (!n++)
			fputs("| program | section | kernel | reason | annotation |\n|---|---|---|---|---|\n", f);
		fprintf(f, "| %s | %s | %s | %s | %s |\n", md(p->id), md(p->sec),
			cp_kstatus_name(p->res.kstatus), md(p->res.kloaderr), annot_name(p->annot));
	}
	fputs(n ? "\n" : "None.\n\n", f);

	fprintf(f, "### Objects whose BTF this kernel refused\n\n");
	n = 0;
	for (i = 0; i < run->prog_cnt; i++) {
		const struct cp_prog *p = &run->progs[i];
		size_t j;
		int dup = 0;

		if (!p->res.kbtf_note[0])
			continue;
		for (j = 0; j < i && !dup; j++)
			dup = run->progs[j].file == p->file && run->progs[j].res.kbtf_note[0];
		if (dup)
			continue;
		if (!n++)
			fputs("| file | what happened |\n|---|---|\n", f);
		fprintf(f, "| %s | %s |\n", p->file >= 0 ? md(run->files[p->file].name) : md(p->id),
			md(p->res.kbtf_note));
	}
	fputs(n ? "\n" : "None.\n\n", f);

	fprintf(f, "### Bad input: our loader refused the object or lost the program (%zu)\n\n",
		total.cls[CP_C_BAD_INPUT]);
	grouped(f, run, CP_C_BAD_INPUT, 0);
	fprintf(f, "### Unsupported: refused as not modelled yet (%zu)\n\n",
		total.cls[CP_C_UNSUPPORTED]);
	grouped(f, run, CP_C_UNSUPPORTED, 0);
	fprintf(f, "### Unlabelled: neither the kernel nor an annotation decides (%zu)\n\n",
		total.cls[CP_C_UNLABELLED]);
	list_class(f, run, CP_C_UNLABELLED, 0);

	fprintf(f, "### Agree-reject without the expected message (%zu of %zu)\n\n",
		total.cls[CP_C_AGREE_REJECT] - total.msg_ok, total.cls[CP_C_AGREE_REJECT]);
	n = 0;
	for (i = 0; i < run->prog_cnt; i++) {
		const struct cp_prog *p = &run->progs[i];

		if (p->klass != CP_C_AGREE_REJECT || p->res.omsg_hits || !p->spec.msg_cnt)
			continue;
		if (!n++)
			fputs("| program | expected (first __msg) | kernel's message | ours |\n|---|---|---|---|\n", f);
		fprintf(f, "| %s | %s | %s | %s |\n", md(p->id), md(p->spec.msgs[0]),
			md(p->res.kerrline), md(p->res.omsg));
	}
	fputs(n ? "\n" : "None.\n\n", f);

	/* The precision selftests spell out the kernel's backtracking walk
	 * (__msg("mark_precise: ...")): our level-2 log against them. */
	{
		size_t progs = 0, all = 0, lines = 0, found = 0;

		for (i = 0; i < run->prog_cnt; i++) {
			const struct cp_prog *p = &run->progs[i];

			if (!p->res.oprec_lines || (p->klass != CP_C_AGREE_ACCEPT &&
						    p->klass != CP_C_AGREE_REJECT))
				continue;
			progs++;
			all += p->res.oprec_found == p->res.oprec_lines;
			lines += (size_t)p->res.oprec_lines;
			found += (size_t)p->res.oprec_found;
		}
		fprintf(f, "### Precision walks against the selftests' expected `mark_precise` lines\n\n"
			   "Programs both verifiers agree on whose `__msg` spell out the kernel's backtracking\n"
			   "(`mark_precise:` lines, the state dumps of `parent state` lines aside), found in\n"
			   "order in our level-2 log: %zu of %zu programs match every line; %zu of %zu lines.\n\n",
			all, progs, found, lines);
		n = 0;
		for (i = 0; i < run->prog_cnt; i++) {
			const struct cp_prog *p = &run->progs[i];

			if (!p->res.oprec_lines || p->res.oprec_found == p->res.oprec_lines ||
			    (p->klass != CP_C_AGREE_ACCEPT && p->klass != CP_C_AGREE_REJECT))
				continue;
			if (!n++)
				fputs("| program | lines found | first line missing |\n|---|---|---|\n", f);
			fprintf(f, "| %s | %d of %d | %s |\n", md(p->id), p->res.oprec_found,
				p->res.oprec_lines, md(p->res.oprec_miss));
		}
		fputs(n ? "\n" : "", f);
	}

	fprintf(f, "### Processed instructions on agree-accept (%zu)\n\n", total.cls[CP_C_AGREE_ACCEPT]);
	{
		double *ratios = calloc(run->prog_cnt + 1, sizeof(*ratios));
		size_t m = 0, over = 0;
		double sum = 0;

		if (!ratios)
			cp_die_nomem();
		for (i = 0; i < run->prog_cnt; i++) {
			const struct cp_prog *p = &run->progs[i];

			if (p->klass != CP_C_AGREE_ACCEPT || p->res.kprocessed <= 0)
				continue;
			ratios[m] = (double)p->res.oprocessed / (double)p->res.kprocessed;
			sum += ratios[m];
			over += ratios[m] > 1.25;
			m++;
		}
		if (!m) {
			fputs("None yet.\n\n", f);
		} else {
			qsort(ratios, m, sizeof(*ratios), cmp_ratio);
			/* @ratios is sorted largest first: the 90th percentile is
			 * the value a tenth of the way down. */
			fprintf(f, "ours / kernel: mean %.2f, median %.2f, 90th percentile %.2f, worst %.2f; "
				   "%zu programs above the 1.25 target.\n\n", sum / (double)m,
				ratios[m / 2], ratios[m / 10], ratios[0], over);
			ratio_by_tier(f, run);
			fputs("| program | kernel | ours | ratio |\n|---|--:|--:|--:|\n", f);
			for (i = 0; i < run->prog_cnt; i++) {
				const struct cp_prog *p = &run->progs[i];
				double r;

				if (p->klass != CP_C_AGREE_ACCEPT || p->res.kprocessed <= 0)
					continue;
				r = (double)p->res.oprocessed / (double)p->res.kprocessed;
				if (r > 1.25)
					fprintf(f, "| %s | %lld | %llu | %.2f |\n", md(p->id),
						(long long)p->res.kprocessed,
						(unsigned long long)p->res.oprocessed, r);
			}
			fputs("\n", f);
		}
		free(ratios);
	}

	if (fclose(f)) {
		snprintf(err, errsz, "writing %s: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

static void csv_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
	fputc('"', f);
}

int cp_csv_write(const struct cp_run *run, const char *path)
{
	FILE *f = fopen(path, "w");
	size_t i;

	if (!f)
		return -errno;
	fputs("id,tier,program,section,prog_type,prog_flags,log_level,annotation,kernel,errno,"
	      "processed,max_states_per_insn,total_states,peak_states,verification_usec,"
	      "kernel_msg_ok,kernel_message,ours,our_processed,our_message,class,"
	      "our_total_states,our_usec,kernel_cached\n",
	      f);
	for (i = 0; i < run->prog_cnt; i++) {
		const struct cp_prog *p = &run->progs[i];
		const struct cp_result *r = &p->res;

		if (p->klass == CP_C_SKIP)
			continue;
		csv_str(f, p->id);
		fprintf(f, ",%s,", p->tier == CP_TIER_SELFTEST ? "selftest" :
				   p->tier == CP_TIER_SELFTEST2 ? "selftest2" :
				   p->tier == CP_TIER_PROGS ? "progs" : "gen");
		csv_str(f, p->name);
		fputc(',', f);
		csv_str(f, p->sec);
		fprintf(f, ",%d,0x%x,%d,%s,%s,%d,%lld,%lld,%lld,%lld,%lld,%s,", p->prog_type,
			p->spec.flags, p->spec.log_level, annot_name(p->annot),
			cp_kstatus_name(r->kstatus), r->kerrno, (long long)r->kprocessed,
			(long long)r->kstates_max, (long long)r->kstates_total,
			(long long)r->kstates_peak, (long long)r->ktime_us,
			!r->kmsg_checked ? "" : r->kmsg_ok ? "yes" : "no");
		csv_str(f, r->kerrline[0] ? r->kerrline : r->kloaderr);
		fprintf(f, ",%s,%llu,", cp_ostatus_name(r->ostatus),
			(unsigned long long)r->oprocessed);
		csv_str(f, r->omsg);
		fprintf(f, ",%s,%llu,%lld,%d\n", cp_class_name(p->klass),
			(unsigned long long)r->ostates_total, (long long)r->otime_us, r->kcached);
	}
	return fclose(f) ? -errno : 0;
}
