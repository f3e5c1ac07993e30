// SPDX-License-Identifier: MIT
/*
 * report.md (totals, a table per source file, every disagreement) and
 * kernel.csv (the kernel's answer and stats per program, for later
 * comparison).
 *
 * Must not: decide anything (baseline.c classifies); it only counts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"

/* Counters of one row of a table. */
struct row {
	size_t files, compiled, skipped_files;
	size_t progs, tests, skipped;
	size_t kacc, krej, kother;
	size_t annot_same, annot_diff;
	size_t cls[CP_C_CNT];
	size_t msg_ok; /* agree-reject with an __msg found in our message */
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
	fprintf(f, "| %s | %s | %zu | %zu | %zu | %zu | %zu | %zu | %zu | %zu | %zu | %zu (%zu) | %zu | %zu | %zu | %zu | %zu | %zu |\n",
		name, compiled, r->progs, r->tests, r->skipped, r->kacc, r->krej, r->kother, r->annot_same,
		r->annot_diff, r->cls[CP_C_AGREE_ACCEPT], r->cls[CP_C_AGREE_REJECT], r->msg_ok,
		r->cls[CP_C_UNSOUND], r->cls[CP_C_OVER_REJECT], r->cls[CP_C_UNSUPPORTED],
		r->cls[CP_C_BAD_INPUT], r->cls[CP_C_OUR_FAILURE], r->cls[CP_C_UNLABELLED]);
}

static const char table_head[] =
	"| file | compiled | programs | run | skipped | kernel accept | kernel reject | kernel other | "
	"annotation = kernel | annotation ≠ kernel | agree-accept | agree-reject (msg ok) | "
	"unsound | over-reject | unsupported | bad input | our failures | unlabelled |\n"
	"|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";

static const char *annot_name(int a)
{
	return a < 0 ? "none" : a ? "failure" : "success";
}

/* Group @tier's programs of class @klass by a message and print counts. */
/* The feature an "unsupported: ..." message names, without the
 * instruction, section or symbol that vary per program, so the report
 * counts programs per missing feature. Writes into @buf. */
static const char *feature_of(const char *msg, char *buf, size_t size)
{
	const char *cut;

	if (!strncmp(msg, "unsupported: extern '", 21)) {
		snprintf(buf, size, "unsupported: extern symbols (kfuncs, ksyms, kconfig)");
		return buf;
	}
	snprintf(buf, size, "%.200s", msg);
	cut = strstr(buf, " (");
	if (cut)
		buf[cut - buf] = '\0';
	/* "helper bpf_x#N" and "at insn N" vary; the helper name stays. */
	cut = strstr(buf, " at insn ");
	if (cut)
		buf[cut - buf] = '\0';
	return buf;
}

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
			m = feature_of(m, keys[i], sizeof(keys[i]));
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
	static const char *const names[CP_TIER_CNT] = { "kernel selftests", "tests/progs",
							 "generated programs" };
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

int cp_report_write(const struct cp_run *run, const char *dir, const struct cp_baseline *bl,
		    double secs_compile, double secs_run, char *err, size_t errsz)
{
	static const char *const tier_names[CP_TIER_CNT] = { "kernel selftests (verifier_*.c)",
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
		   "annotation = kernel | annotation ≠ kernel | agree-accept | agree-reject (msg ok) | "
		   "unsound | over-reject | unsupported | bad input | our failures | unlabelled |\n"
		   "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
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

		if (p->klass == CP_C_SKIP || p->res.kstatus == CP_K_ACCEPT ||
		    p->res.kstatus == CP_K_REJECT || (!run->kernel && p->res.kstatus == CP_K_NOTRUN))
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
	      "kernel_msg_ok,kernel_message,ours,our_processed,our_message,class\n",
	      f);
	for (i = 0; i < run->prog_cnt; i++) {
		const struct cp_prog *p = &run->progs[i];
		const struct cp_result *r = &p->res;

		if (p->klass == CP_C_SKIP)
			continue;
		csv_str(f, p->id);
		fprintf(f, ",%s,", p->tier == CP_TIER_SELFTEST ? "selftest" :
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
		fprintf(f, ",%s\n", cp_class_name(p->klass));
	}
	return fclose(f) ? -errno : 0;
}
