// SPDX-License-Identifier: MIT
/*
 * bpfvc verify: verify one program (-p) or every program of each object
 * given, print one verdict line per program (or one JSON object per
 * program with --json), exit 0 when all are accepted, 1 when any is
 * rejected, 2 on bad input.
 *
 * -w N (N >= 1) verifies on a cluster of N local worker processes
 * (coordinator/cluster.c), spawned once for all programs; -w 0 (today's
 * default) verifies in-process. The cluster prints the same verdict line;
 * the processed count is the sum over workers, and since workers prune
 * only against their own checkpoints (no global cache yet) it is usually
 * higher. A log (-l) needs the whole path in one process, so -l runs
 * in-process whatever -w says. An infrastructure failure of the cluster
 * (work lost three times, every worker dead) exits 2.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpfvc/coordinator.h"
#include "bpfvc/verifier.h"
#include "cli.h"

/* Does @prog call bpf-to-bpf functions (or take their address)? */
static bool has_calls(const struct bvc_prog *prog)
{
	for (size_t i = 0; i < prog->insn_cnt; i++) {
		const struct bvc_insn *insn = &prog->insns[i];

		if ((insn->code == (BVC_JMP | BVC_CALL) && insn->src == BVC_PSEUDO_CALL) ||
		    (bvc_insn_is_ld_imm64(insn) && insn->src == BVC_PSEUDO_FUNC))
			return true;
	}
	return false;
}

/* The whole file, for the wire (the workers load the same bytes). */
static void *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			char *b = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (!b) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = b;
		}
		size_t r = fread(buf + n, 1, cap - n, f);

		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	*len = n;
	return buf;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_stats(struct bvc_cluster *cl, const char *prog, double secs)
{
	const struct bvc_cluster_job_stats *js = bvc_cluster_last_job(cl);

	fprintf(stderr,
		"stats: %s: %u workers, %.3f s, processed %llu insns, donations %llu, requeued %llu, entry restarts %llu, dead workers %llu; pruning: per worker only (no global cache)\n",
		prog, bvc_cluster_size(cl), secs, (unsigned long long)js->processed,
		(unsigned long long)js->donations, (unsigned long long)js->requeued,
		(unsigned long long)js->entry_restarts, (unsigned long long)js->deaths);
	for (unsigned int i = 0; i < bvc_cluster_size(cl); i++) {
		const struct bvc_cluster_worker_stats *w = bvc_cluster_worker(cl, i);

		fprintf(stderr,
			"stats:   worker %u (pid %d, core %u, cpus %s): items %llu, insns %llu, donated %llu, asked %llu%s%s\n",
			i, w->pid, w->core, w->cpuset, (unsigned long long)w->items,
			(unsigned long long)w->processed, (unsigned long long)w->donated,
			(unsigned long long)w->asks, w->dead[0] ? ", dead: " : "", w->dead);
	}
}

/* A JSON string literal: quotes, backslashes and control bytes escaped. */
static void print_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_verdict(const struct bvc_image *img, const struct bvc_prog *prog,
			  const struct bvc_verdict *v, int json)
{
	if (json) {
		printf("{\"file\":");
		print_json_str(img->path);
		printf(",\"program\":");
		print_json_str(prog->name);
		printf(",\"verdict\":\"%s\",\"unsupported\":%s", v->kind == BVC_ACCEPT ? "accept" : "reject",
		       v->unsupported ? "true" : "false");
		if (v->kind == BVC_REJECT)
			printf(",\"insn\":%zu", v->insn);
		printf(",\"message\":");
		print_json_str(v->msg);
		printf(",\"processed_insns\":%llu,\"total_states\":%llu,\"peak_states\":%llu",
		       (unsigned long long)v->processed, (unsigned long long)v->total_states,
		       (unsigned long long)v->peak_states);
		if (v->log) {
			printf(",\"log\":");
			print_json_str(v->log);
		}
		printf("}\n");
		return;
	}
	if (v->kind == BVC_ACCEPT)
		printf("%s: %s: accepted (processed %llu insns)\n", img->path, prog->name,
		       (unsigned long long)v->processed);
	else
		printf("%s: %s: rejected at insn %zu: %s\n", img->path, prog->name, v->insn, v->msg);
}

int bvc_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "program", required_argument, NULL, 'p' },
		{ "type", required_argument, NULL, 't' },
		{ "workers", required_argument, NULL, 'w' },
		{ "insn-limit", required_argument, NULL, 'L' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "stats", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bvc_verify_opts vopts = { .sz = sizeof(vopts), .insn_limit = 1000000 };
	const char *name = NULL, *type = NULL;
	int c, json = 0, verbose = 0, stats = 0, ret = BVC_EXIT_OK;
	unsigned long nworkers = 0;
	struct bvc_cluster *cl = NULL;
	char *end;

	while ((c = getopt_long(argc, argv, "p:t:w:l:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': name = optarg; break;
		case 't': type = optarg; break;
		case 'w':
			nworkers = strtoul(optarg, &end, 10);
			if (*end || !*optarg || nworkers > 1024) {
				bvc_cli_err("verify: -w expects a number, got '%s'", optarg);
				return BVC_EXIT_BAD_INPUT;
			}
			break;
		case 'L':
			vopts.insn_limit = strtoull(optarg, &end, 10);
			if (*end) {
				bvc_cli_err("verify: --insn-limit expects a number, got '%s'", optarg);
				return BVC_EXIT_BAD_INPUT;
			}
			break;
		case 'l':
			vopts.log_level = (int)strtol(optarg, &end, 10);
			if (*end) {
				bvc_cli_err("verify: -l expects 1, 2 or 4, got '%s'", optarg);
				return BVC_EXIT_BAD_INPUT;
			}
			break;
		case 'j': json = 1; break;
		case 'v': verbose = 1; break;
		case 'S': stats = 1; break;
		case 'h':
			puts("usage: bpfvc verify PROG.o... [-p NAME] [--type TYPE] [-w N] [--insn-limit N] [-l LEVEL] [--json] [-v] [--stats]\n"
			     "  -w N     N local worker processes (0, the default: in-process)\n"
			     "  -v       print the topology and where workers run\n"
			     "  --stats  per-worker items, instructions and donations (stderr)");
			return BVC_EXIT_OK;
		default:
			return BVC_EXIT_BAD_INPUT;
		}
	}
	if (optind >= argc) {
		bvc_cli_err("verify: expected a file (bpfvc verify PROG.o)");
		return BVC_EXIT_BAD_INPUT;
	}

	if (vopts.log_level)
		nworkers = 0; /* a log needs every path in one process */
	for (int a = optind; a < argc; a++) {
		struct bvc_image *img = bvc_cli_open(argv[a], type);
		void *object = NULL;
		size_t object_len = 0;

		if (!img) {
			bvc_cluster_free(cl);
			return BVC_EXIT_BAD_INPUT;
		}
		if (nworkers && !cl) {
			struct bvc_cluster_opts copts = { .sz = sizeof(copts),
							  .nworkers = (unsigned int)nworkers,
							  .pin = 1 };
			char cerr[512];

			if (bvc_cluster_new(&copts, &cl, cerr, sizeof(cerr))) {
				bvc_cli_err("verify: cannot start %lu workers: %s", nworkers, cerr);
				bvc_image_free(img);
				return BVC_EXIT_BAD_INPUT;
			}
			if (verbose) {
				fprintf(stderr, "%s", bvc_cluster_topology(cl));
				for (unsigned int i = 0; i < bvc_cluster_size(cl); i++) {
					const struct bvc_cluster_worker_stats *w = bvc_cluster_worker(cl, i);

					fprintf(stderr, "worker %u: pid %d on core L#%u (cpus %s)\n", i,
						w->pid, w->core, w->cpuset);
				}
			}
		}
		if (cl) {
			object = read_all(argv[a], &object_len);
			if (!object) {
				bvc_cli_err("%s: cannot read: %s", argv[a], strerror(errno));
				bvc_image_free(img);
				bvc_cluster_free(cl);
				return BVC_EXIT_BAD_INPUT;
			}
		}
		for (size_t i = 0; i < img->prog_cnt; i++) {
			const struct bvc_prog *prog = &img->progs[i];
			struct bvc_verdict v;
			int err;

			if (name && strcmp(prog->name, name) && strcmp(prog->sec_name, name))
				continue;
			/* The combined stack of a call chain is checked against the
			 * deepest use of each function over all paths; workers do
			 * not merge those yet, so programs with bpf-to-bpf calls
			 * are verified in-process, where the check is complete. */
			if (cl && !has_calls(prog)) {
				char pname[128], cerr[512];
				double t0 = now_s();

				if (type && (object_len < 4 || memcmp(object, "\x7f" "ELF", 4)))
					snprintf(pname, sizeof(pname), "raw:%s", type);
				else
					snprintf(pname, sizeof(pname), "%s", prog->name);
				err = bvc_cluster_verify(cl, object, object_len, pname, &vopts, &v, cerr,
							 sizeof(cerr));
				if (stats)
					print_stats(cl, prog->name, now_s() - t0);
				if (err) {
					bvc_cli_err("%s: %s: cluster failure: %s", img->path, prog->name,
						    cerr);
					free(object);
					bvc_image_free(img);
					bvc_cluster_free(cl);
					return BVC_EXIT_BAD_INPUT;
				}
			} else {
				err = bvc_verify(img, prog, &vopts, &v);
			}
			if (err) {
				bvc_cli_err("%s: %s: internal error %d", img->path, prog->name, err);
				free(object);
				bvc_image_free(img);
				bvc_cluster_free(cl);
				return BVC_EXIT_BAD_INPUT;
			}
			if (v.log && !json)
				fwrite(v.log, 1, v.log_len, stdout);
			print_verdict(img, prog, &v, json);
			if (v.kind != BVC_ACCEPT)
				ret = BVC_EXIT_REJECT;
			bvc_verdict_release(&v);
		}
		free(object);
		if (name && !bvc_image_find_prog(img, name)) {
			bvc_cli_err("%s: no program named '%s'", img->path, name);
			bvc_image_free(img);
			bvc_cluster_free(cl);
			return BVC_EXIT_BAD_INPUT;
		}
		bvc_image_free(img);
	}
	bvc_cluster_free(cl);
	return ret;
}
