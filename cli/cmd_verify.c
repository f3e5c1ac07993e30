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
 * the processed count is the sum over workers, usually higher than one
 * process's (workers prune against their own checkpoints and those others
 * share). Programs with bpf-to-bpf calls get the call-chain stack check
 * here, over the deepest stack use of each function on every worker's
 * paths. A log (-l) needs the whole path in one process, so -l runs
 * in-process whatever -w says. An infrastructure failure of the cluster
 * (work lost three times, every worker dead) exits 2.
 *
 * --bind ENDPOINT also takes remote workers (bpfvc worker --connect) there;
 * with -w 0 only remote ones, waiting --wait-workers seconds for the first.
 * --curve-secret/--curve-trust make that endpoint CURVE with an allow-list
 * of worker keys (docs/deploy.md). Two or more programs end with a table
 * (object, program, verdict, processed, states, time); JSON lines carry
 * time_ms. On a terminal, cluster jobs past one second show a progress line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpfvc/coordinator.h"
#include "bpfvc/engine.h"
#include "bpfvc/verifier.h"
#include "cli.h"

/* Does @prog call bpf-to-bpf functions (or take their address)? */
/*
 * A cluster's accept of a program with bpf-to-bpf calls still needs the
 * call-chain stack check over the deepest use of each function on every
 * worker's paths: an engine with no work of its own takes the workers'
 * maxima and gives the verdict. 1 when that rejects (@v becomes the
 * rejection), 0 when it accepts, negative when the workers gave no depths.
 */
static int check_call_chains(const struct bvc_image *img, const struct bvc_prog *prog,
			     const struct bvc_cluster_job_stats *js, struct bvc_verdict *v)
{
	struct bvc_verify_opts opts = { .sz = sizeof(opts) };
	struct bvc_engine *eng;
	struct bvc_verdict cv;
	int err;

	if (!js->nfuncs)
		return -ENODATA;
	err = bvc_engine_new(img, prog, &opts, 0, &eng);
	if (err)
		return err;
	err = bvc_engine_merge_stack_depths(eng, js->stack_depths, js->nfuncs);
	if (!err && bvc_engine_run(eng, 0) != BVC_ENGINE_DONE)
		err = -EIO;
	if (!err)
		err = bvc_engine_verdict(eng, &cv);
	bvc_engine_free(eng);
	if (err)
		return err;
	err = cv.kind == BVC_REJECT;
	if (err) {
		v->kind = BVC_REJECT;
		v->insn = cv.insn;
		v->unsupported = cv.unsupported;
		snprintf(v->msg, sizeof(v->msg), "%s", cv.msg);
	}
	bvc_verdict_release(&cv);
	return err;
}

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

static int verify_files(int nfiles, char **files, const char *name, const char *type,
			struct bvc_verify_opts *vopts_in, int json, int verbose, int stats,
			unsigned long nworkers, const char *bind, int wait_ms,
			const struct bvc_curve_keypair *kp, const struct bvc_curve_trust *trust);

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
		"stats: %s: %u workers, %.3f s, processed %llu insns, donations %llu, requeued %llu, entry restarts %llu, dead workers %llu; checkpoints shared %llu\n",
		prog, bvc_cluster_size(cl), secs, (unsigned long long)js->processed,
		(unsigned long long)js->donations, (unsigned long long)js->requeued,
		(unsigned long long)js->entry_restarts, (unsigned long long)js->deaths,
		(unsigned long long)js->checkpoints);
	for (unsigned int i = 0; i < bvc_cluster_size(cl); i++) {
		const struct bvc_cluster_worker_stats *w = bvc_cluster_worker(cl, i);
		char where[320];

		if (w->remote)
			snprintf(where, sizeof(where), "remote %s", w->name);
		else
			snprintf(where, sizeof(where), "pid %d, core %u, cpus %s", w->pid, w->core,
				 w->cpuset);
		fprintf(stderr,
			"stats:   worker %u (%s): items %llu, insns %llu, states %llu, donated %llu, asked %llu, remote prune hits %llu, bytes sent %llu, received %llu%s%s\n",
			i, where, (unsigned long long)w->items, (unsigned long long)w->processed,
			(unsigned long long)w->total_states, (unsigned long long)w->donated,
			(unsigned long long)w->asks, (unsigned long long)w->prune_remote,
			(unsigned long long)w->bytes_sent, (unsigned long long)w->bytes_recv,
			w->dead[0] ? ", dead: " : "", w->dead);
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

struct row {
	char *file, *prog;
	int accepted;
	uint64_t processed, states;
	double secs;
};

struct table {
	struct row *rows;
	size_t n, cap;
};

static void table_add(struct table *t, const char *file, const char *prog,
		      const struct bvc_verdict *v, double secs)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct row *r = realloc(t->rows, cap * sizeof(*r));

		if (!r)
			return;
		t->rows = r;
		t->cap = cap;
	}
	t->rows[t->n] = (struct row){ .file = strdup(file), .prog = strdup(prog),
				      .accepted = v->kind == BVC_ACCEPT,
				      .processed = v->processed, .states = v->total_states,
				      .secs = secs };
	if (t->rows[t->n].file && t->rows[t->n].prog)
		t->n++;
}

/* The batch's end: one row per program, columns aligned. */
static void table_print(const struct table *t)
{
	int wf = 6, wp = 7;
	size_t acc = 0;
	double total = 0;

	for (size_t i = 0; i < t->n; i++) {
		int a = (int)strlen(t->rows[i].file), b = (int)strlen(t->rows[i].prog);

		wf = a > wf ? a : wf;
		wp = b > wp ? b : wp;
	}
	printf("\n%-*s  %-*s  %-8s  %12s  %10s  %9s\n", wf, "object", wp, "program", "verdict",
	       "processed", "states", "time (s)");
	for (size_t i = 0; i < t->n; i++) {
		const struct row *r = &t->rows[i];

		printf("%-*s  %-*s  %-8s  %12llu  %10llu  %9.3f\n", wf, r->file, wp, r->prog,
		       r->accepted ? "accepted" : "rejected", (unsigned long long)r->processed,
		       (unsigned long long)r->states, r->secs);
		acc += r->accepted;
		total += r->secs;
	}
	printf("%zu programs: %zu accepted, %zu rejected, %.3f s\n", t->n, acc, t->n - acc, total);
}

static struct table table; /* this run's programs, for the closing table */

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->rows[i].file);
		free(t->rows[i].prog);
	}
	free(t->rows);
}

static void print_verdict(const struct bvc_image *img, const struct bvc_prog *prog,
			  const struct bvc_verdict *v, int json, double secs)
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
		printf(",\"processed_insns\":%llu,\"total_states\":%llu,\"peak_states\":%llu,\"time_ms\":%.3f",
		       (unsigned long long)v->processed, (unsigned long long)v->total_states,
		       (unsigned long long)v->peak_states, secs * 1e3);
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
		{ "bind", required_argument, NULL, 'B' },
		{ "wait-workers", required_argument, NULL, 'W' },
		{ "curve-secret", required_argument, NULL, 'K' },
		{ "curve-trust", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bvc_verify_opts vopts = { .sz = sizeof(vopts), .insn_limit = 1000000 };
	const char *name = NULL, *type = NULL;
	int c, json = 0, verbose = 0, stats = 0, ret = BVC_EXIT_OK;
	unsigned long nworkers = 0;
	const char *bind = NULL, *curve_secret = NULL, *curve_trust = NULL;
	struct bvc_curve_keypair kp;
	struct bvc_curve_trust trust = { 0 };
	double wait_s = 30;
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
		case 'B': bind = optarg; break;
		case 'K': curve_secret = optarg; break;
		case 'T': curve_trust = optarg; break;
		case 'W':
			wait_s = strtod(optarg, &end);
			if (*end || !*optarg || wait_s <= 0 || wait_s > 86400) {
				bvc_cli_err("verify: --wait-workers expects seconds, got '%s'", optarg);
				return BVC_EXIT_BAD_INPUT;
			}
			break;
		case 'h':
			puts("usage: bpfvc verify PROG.o... [-p NAME] [--type TYPE] [-w N] [--insn-limit N] [-l LEVEL] [--json] [-v] [--stats]\n"
			     "                    [--bind tcp://ADDR:PORT [--wait-workers S] [--curve-secret KEY --curve-trust DIR|FILE]]\n"
			     "  -w N     N local worker processes (0, the default: in-process)\n"
			     "  --bind E also take remote workers (bpfvc worker --connect) on E;\n"
			     "           with -w 0, wait up to --wait-workers seconds (30) for one\n"
			     "  --curve-secret KEY, --curve-trust DIR|FILE\n"
			     "           CURVE on E: our key, and the worker public keys let in\n"
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
	if ((curve_secret || curve_trust) && !(curve_secret && curve_trust && bind)) {
		bvc_cli_err("verify: CURVE needs --bind, --curve-secret and --curve-trust");
		return BVC_EXIT_BAD_INPUT;
	}
	if (curve_secret) {
		char kerr[512];

		if (bvc_curve_read_secret(curve_secret, &kp, kerr, sizeof(kerr)) ||
		    bvc_curve_read_trust(curve_trust, &trust, kerr, sizeof(kerr))) {
			bvc_cli_err("verify: %s", kerr);
			return BVC_EXIT_BAD_INPUT;
		}
	}
	ret = verify_files(argc - optind, argv + optind, name, type, &vopts, json, verbose, stats,
			   nworkers, bind, (int)(wait_s * 1000), curve_secret ? &kp : NULL,
			   curve_secret ? &trust : NULL);
	memset(&kp, 0, sizeof(kp));
	bvc_curve_trust_release(&trust);
	/* A batch ends with a table (JSON lines carry the same columns). */
	if (!json && table.n >= 2)
		table_print(&table);
	table_free(&table);
	memset(&table, 0, sizeof(table));
	return ret;
}

static int progress_shown; /* a progress line is on the terminal */

static void log_line(void *arg, const char *line)
{
	(void)arg;
	if (progress_shown)
		fputs("\r\033[K", stderr);
	progress_shown = 0;
	fprintf(stderr, "coordinator: %s\n", line);
}

/* On a terminal, for jobs past one second: one line, rewritten. */
static void progress_line(void *arg, const struct bvc_cluster_progress *p)
{
	const char *prog = arg;

	if (p->secs < 1.0)
		return;
	fprintf(stderr, "\r%s: %llu insns, %llu states, %.0f insns/s, %u/%u workers busy\033[K",
		prog, (unsigned long long)p->processed, (unsigned long long)p->states,
		p->processed / p->secs, p->busy, p->live);
	fflush(stderr);
	progress_shown = 1;
}

static void progress_end(void)
{
	if (progress_shown)
		fputs("\r\033[K", stderr);
	progress_shown = 0;
}

static int verify_files(int nfiles, char **files, const char *name, const char *type,
			struct bvc_verify_opts *vopts_in, int json, int verbose, int stats,
			unsigned long nworkers, const char *bind, int wait_ms,
			const struct bvc_curve_keypair *kp, const struct bvc_curve_trust *trust)
{
	struct bvc_verify_opts vopts = *vopts_in;
	struct bvc_cluster *cl = NULL;
	int ret = BVC_EXIT_OK;
	int argc = nfiles, optind = 0;
	char **argv = files;

	if (vopts.log_level) {
		nworkers = 0; /* a log needs every path in one process */
		bind = NULL;
	}
	for (int a = optind; a < argc; a++) {
		struct bvc_image *img = bvc_cli_open(argv[a], type);
		void *object = NULL;
		size_t object_len = 0;

		if (!img) {
			bvc_cluster_free(cl);
			return BVC_EXIT_BAD_INPUT;
		}
		if ((nworkers || bind) && !cl) {
			struct bvc_cluster_opts copts = { .sz = sizeof(copts),
							  .nworkers = (unsigned int)nworkers,
							  .pin = 1,
							  .bind = bind,
							  .wait_ms = wait_ms,
							  .curve = kp,
							  .trust = trust };
			char cerr[512];

			if (bind || verbose)
				copts.log = log_line;
			if (isatty(2))
				copts.progress = progress_line;
			if (bvc_cluster_new(&copts, &cl, cerr, sizeof(cerr))) {
				if (bind && !nworkers)
					bvc_cli_err("verify: %s", cerr);
				else
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
			double t_prog = now_s();
			int err;

			if (name && strcmp(prog->name, name) && strcmp(prog->sec_name, name))
				continue;
			if (cl) {
				char pname[128], cerr[512];
				double t0 = now_s();

				if (type && (object_len < 4 || memcmp(object, "\x7f" "ELF", 4)))
					snprintf(pname, sizeof(pname), "raw:%s", type);
				else
					snprintf(pname, sizeof(pname), "%s", prog->name);
				bvc_cluster_set_progress_arg(cl, (void *)prog->name);
				err = bvc_cluster_verify(cl, object, object_len, pname, &vopts, &v, cerr,
							 sizeof(cerr));
				progress_end();
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
				/* Call chains against every worker's depths. */
				if (v.kind == BVC_ACCEPT && has_calls(prog) &&
				    check_call_chains(img, prog, bvc_cluster_last_job(cl), &v) < 0) {
					bvc_verdict_release(&v);
					err = bvc_verify(img, prog, &vopts, &v);
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
			print_verdict(img, prog, &v, json, now_s() - t_prog);
			table_add(&table, img->path, prog->name, &v, now_s() - t_prog);
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
