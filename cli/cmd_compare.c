// SPDX-License-Identifier: MIT
/*
 * bpfvc compare: veristat's comparison table, bpfvc against the kernel.
 *
 *   bpfvc compare OBJ.o... [-p NAME] [--insn-limit N] [--output-format table|csv]
 *       verifies every program (or -p NAME) with bpfvc in-process and, where
 *       bpf() is allowed, with the running kernel (bvc_kernel_verify()), and
 *       prints veristat's side-by-side table: A is the kernel, B is bpfvc,
 *       DIFF is B - A. A program the kernel could not load (no privilege,
 *       a map or attach target it lacks) gets N/A on the kernel's side, with
 *       the reason on stderr.
 *   bpfvc compare A.csv B.csv [--output-format table|csv]
 *       the same table for two result sets saved by `bpfvc verify
 *       --output-format csv` or `veristat -o csv` (veristat -C).
 *
 * Exit: 0 every verdict matches, 1 some differ, 2 bad input or no bpfvc
 * verdict (an internal error) for some program.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpfvc/loader.h"
#include "bpfvc/verifier.h"
#include "cli.h"
#include "veristat.h"

static int has_suffix(const char *s, const char *sfx)
{
	size_t a = strlen(s), b = strlen(sfx);

	return a >= b && !strcmp(s + a - b, sfx);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* The running kernel is the target on both sides: bpfvc resolves CO-RE
 * against its BTF as libbpf does for the kernel's side. */
static struct bvc_cli_target cmp_target;

/* Both sides of one program: bpfvc into @ours, the kernel into @kern. */
static int compare_prog(const char *path, struct bvc_image *img, const struct bvc_prog *prog,
			uint64_t insn_limit, struct vs_set *kern, struct vs_set *ours)
{
	struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = insn_limit };
	struct bvc_kernel_result kr;
	struct bvc_verdict v;
	long st[VS_NSTATS] = { 0 };
	char err[512];
	double t0;
	int ret = BVC_EXIT_OK;

	ret = bvc_cli_target_prepare(&cmp_target, img, (struct bvc_prog *)prog, &v);
	if (ret > 1)
		return ret;
	t0 = now_us();
	if (!ret && bvc_verify(img, prog, &opts, &v)) {
		bvc_cli_err("%s: %s: cannot verify", path, prog->name);
		return BVC_EXIT_INTERNAL;
	}
	st[VS_VERDICT] = bvc_verdict_accepted(&v);
	st[VS_DURATION] = (long)(now_us() - t0);
	st[VS_TOTAL_INSNS] = (long)v.processed;
	st[VS_TOTAL_STATES] = (long)v.total_states;
	st[VS_PEAK_STATES] = (long)v.peak_states;
	st[VS_MAX_STATES_PER_INSN] = (long)v.max_states_per_insn;
	if (v.kind != BVC_ACCEPT && v.kind != BVC_REJECT && v.kind != BVC_UNSUPPORTED) {
		/* No verdict is no statement about the program. */
		bvc_cli_err("%s: %s: internal error, no verdict: %s", path, prog->name, v.msg);
		ret = BVC_EXIT_INTERNAL;
	} else {
		ret = BVC_EXIT_OK;
	}
	bvc_verdict_release(&v);
	if (vs_add(ours, path, prog->name, st))
		return BVC_EXIT_INTERNAL;

	if (bvc_kernel_verify(path, prog->name, &kr, err, sizeof(err))) {
		bvc_cli_err("compare: the kernel gives no verdict: %s", err);
		return ret;
	}
	memset(st, 0, sizeof(st));
	st[VS_VERDICT] = kr.accepted;
	st[VS_DURATION] = (long)kr.duration_us;
	st[VS_TOTAL_INSNS] = (long)kr.processed;
	st[VS_TOTAL_STATES] = (long)kr.total_states;
	st[VS_PEAK_STATES] = (long)kr.peak_states;
	st[VS_MAX_STATES_PER_INSN] = (long)kr.max_states_per_insn;
	st[VS_MARK_READ_MAX_LEN] = (long)kr.mark_read;
	if (vs_add(kern, path, prog->name, st))
		return BVC_EXIT_INTERNAL;
	return ret;
}

int bvc_cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "program", required_argument, NULL, 'p' },
		{ "insn-limit", required_argument, NULL, 'L' },
		{ "output-format", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vs_set kern = { 0 }, ours = { 0 };
	const char *name = NULL;
	uint64_t insn_limit = 1000000;
	int c, csv = 0, ret = BVC_EXIT_OK;
	size_t mismatches;
	char *end;

	while ((c = getopt_long(argc, argv, "p:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': name = optarg; break;
		case 'L':
			insn_limit = strtoull(optarg, &end, 10);
			if (*end || !*optarg) {
				bvc_cli_err("compare: --insn-limit expects a number, got '%s'", optarg);
				return BVC_EXIT_BAD_INPUT;
			}
			break;
		case 'o':
			if (strcmp(optarg, "table") && strcmp(optarg, "csv")) {
				bvc_cli_err("compare: --output-format is table or csv, not '%s'", optarg);
				return BVC_EXIT_BAD_INPUT;
			}
			csv = !strcmp(optarg, "csv");
			break;
		case 'h':
			puts("usage: bpfvc compare OBJ.o... [-p NAME] [--insn-limit N] [--output-format table|csv]\n"
			     "       bpfvc compare A.csv B.csv [--output-format table|csv]\n"
			     "  veristat's side-by-side table: A the kernel (where bpf() is allowed), B bpfvc;\n"
			     "  or two saved result sets (bpfvc verify --output-format csv, veristat -o csv).\n"
			     "  Exit 0: every verdict matches; 1: some differ; 2: bad input.");
			return BVC_EXIT_OK;
		default:
			return BVC_EXIT_BAD_INPUT;
		}
	}
	if (optind >= argc) {
		bvc_cli_err("compare: expected objects or two CSV files (bpfvc compare PROG.o)");
		return BVC_EXIT_BAD_INPUT;
	}
	if (has_suffix(argv[optind], ".csv")) {
		char err[512];

		if (argc - optind != 2 || name) {
			bvc_cli_err("compare: two CSV files compare with each other, nothing else");
			return BVC_EXIT_BAD_INPUT;
		}
		if (vs_read_csv(argv[optind], &kern, err, sizeof(err)) ||
		    vs_read_csv(argv[optind + 1], &ours, err, sizeof(err))) {
			bvc_cli_err("compare: %s", err);
			vs_free(&kern);
			return BVC_EXIT_BAD_INPUT;
		}
	} else {
		for (int i = optind; i < argc; i++) {
			struct bvc_image *img = bvc_cli_open(argv[i], NULL);
			int found = 0;

			if (!img) {
				ret = BVC_EXIT_BAD_INPUT;
				continue;
			}
			for (size_t k = 0; k < img->prog_cnt; k++) {
				int r;

				if (name && strcmp(img->progs[k].name, name))
					continue;
				found = 1;
				r = compare_prog(argv[i], img, &img->progs[k], insn_limit, &kern, &ours);
				if (r != BVC_EXIT_OK)
					ret = r;
			}
			if (name && !found) {
				bvc_cli_err("%s: no program named '%s'", argv[i], name);
				ret = BVC_EXIT_BAD_INPUT;
			}
			bvc_image_free(img);
		}
	}
	mismatches = vs_print_compare(stdout, &kern, &ours, csv);
	if (mismatches == (size_t)-1) {
		bvc_cli_err("compare: out of memory");
		ret = BVC_EXIT_INTERNAL;
	} else if (mismatches && ret == BVC_EXIT_OK) {
		ret = BVC_EXIT_REJECT;
	}
	if (!csv)
		printf("%zu programs, verdicts that differ: %zu\n", ours.n > kern.n ? ours.n : kern.n,
		       mismatches == (size_t)-1 ? 0 : mismatches);
	vs_free(&kern);
	vs_free(&ours);
	bvc_cli_target_close(&cmp_target);
	return ret;
}
