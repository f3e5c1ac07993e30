// SPDX-License-Identifier: MIT
/*
 * bvc-families REPORT.md: the path-explosion families of docs/design.md section
 * 7 (bench/families.h) against the running kernel, appended to the corpus
 * report as one table: processed instructions of the kernel and of bpfvc
 * for the stack, precision and prunable variants. Precision tracking is
 * what keeps the prunable variant in the hundreds of instructions at any k
 * while the precision variant still costs about 11 * 2^k, as in the kernel.
 *
 * Exit 1 when bpfvc processes more than 1.25 times the kernel's count on a
 * program the kernel accepts, or more than 1000 instructions for a
 * prunable program; 0 otherwise (the kernel columns read "-" when bpf() is
 * not permitted here).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "families.h"
#include "bpfvc/verifier.h"
#include "common/kernel_oracle.h"

struct fam_row {
	const char *family;
	int k;
};

static const struct fam_row rows[] = {
	{ "prunable", 8 }, { "prunable", 16 }, { "prunable", 20 }, { "prunable", 24 },
	{ "prec", 8 },     { "prec", 12 },     { "prec", 16 },     { "prec", 18 },
	{ "stack", 8 },    { "stack", 12 },    { "stack", 14 },    { "stack", 16 },
};

/* "processed N insns" of a kernel log, or 0. */
static unsigned long long kernel_processed(const char *log)
{
	const char *p = strstr(log, "processed ");

	return p ? strtoull(p + 10, NULL, 10) : 0;
}

int main(int argc, char **argv)
{
	struct bvc_kernel_result *kr = malloc(sizeof(*kr));
	int bad = 0;
	FILE *f;

	if (argc != 2 || !kr) {
		fprintf(stderr, "usage: bvc-families REPORT.md\n");
		return 2;
	}
	f = fopen(argv[1], "a");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	fprintf(f, "\n### Path-explosion families (docs/design.md section 7)\n\n"
		   "Processed instructions, the kernel's and ours (budget 1,000,000 for both).\n"
		   "prunable: a value that differs on every path but is only returned stays\n"
		   "imprecise, so every join prunes; prec: the same value used as a stack offset\n"
		   "is precise and nothing prunes; stack: each path leaves a different slot type.\n\n"
		   "| family | k | kernel | kernel processed | bpfvc | bpfvc processed | ratio |\n"
		   "|---|--:|---|--:|---|--:|--:|\n");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 1000000 };
		struct bpf_insn *raw;
		struct bvc_insn *insns;
		struct bvc_image *img;
		struct bvc_verdict v;
		unsigned long long kp = 0;
		size_t n;
		char ratio[32] = "-";

		if (bvc_family_gen(rows[i].family, rows[i].k, &raw, &n))
			return fprintf(stderr, "bvc-families: cannot build %s\n", rows[i].family), 2;
		insns = (struct bvc_insn *)raw; /* the same 8-byte records */
		bvc_kernel_load(insns, n, 1 /* socket filter */, 4, kr);
		if (kr->available)
			kp = kernel_processed(kr->log);
		if (bvc_image_from_raw(insns, n, 1, rows[i].family, &img) ||
		    bvc_verify(img, &img->progs[0], &opts, &v))
			return fprintf(stderr, "bvc-families: cannot verify %s\n", rows[i].family), 2;
		if (kr->available && kr->accepted && v.kind == BVC_ACCEPT && kp) {
			snprintf(ratio, sizeof(ratio), "%.2f", (double)v.processed / (double)kp);
			if ((double)v.processed > 1.25 * (double)kp)
				bad = 1;
		}
		if (kr->available && kr->accepted && v.kind != BVC_ACCEPT)
			bad = 1;
		if (!strcmp(rows[i].family, "prunable") && v.processed > 1000)
			bad = 1;
		fprintf(f, "| %s | %d | %s | %llu | %s | %llu | %s |\n", rows[i].family, rows[i].k,
			!kr->available ? "-" : kr->accepted ? "accept" : "reject", kp,
			v.kind == BVC_ACCEPT ? "accept" : "reject", (unsigned long long)v.processed, ratio);
		printf("families: %s k=%d kernel %llu, bpfvc %llu\n", rows[i].family, rows[i].k, kp,
		       (unsigned long long)v.processed);
		bvc_verdict_release(&v);
		bvc_image_free(img);
		free(raw);
	}
	fclose(f);
	free(kr);
	printf("families: %s\n", bad ? "FAILED (see the report)" : "as the kernel");
	return bad;
}
