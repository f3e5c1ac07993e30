// SPDX-License-Identifier: MIT
/*
 * bpfvc verify: verify one program (-p) or every program of each object
 * given, print one verdict line per program (or one JSON object per
 * program with --json), exit 0 when all are accepted, 1 when any is
 * rejected (unsafe, or refused as unsupported), 2 when some program got no
 * verdict: bad input, an infrastructure failure, or an internal error (a
 * verifier bug: said as such, never printed as a rejection).
 *
 * Every file is read and every program found before any is verified.
 * -w N (N >= 1) verifies on a cluster of N local worker processes
 * (coordinator/cluster.c), all programs as one batch with several in
 * flight at once; verdicts are printed in the programs' order, each as
 * soon as it and those before it have ended. -w 0 (the default) verifies
 * in-process. The cluster prints the same verdict line. With a finite
 * --insn-limit (the default, 1M) each program is explored whole by one
 * worker, so the line is -w 0's, processed count included; with
 * --insn-limit 0 programs are split and the count is the sum over
 * workers, which differs from one process's (docs/design.md section 4,
 * "The budget"). The cluster's verdicts are final (the coordinator library runs
 * the call-chain stack check over every worker's depths): this file only
 * prints them. With workers, -l prints the log of a rejected program's failing
 * path: the Reject carries the path's branch decisions and the path is
 * replayed alone here (opts.follow); accepted programs get no log. An infrastructure failure (a program's work
 * lost three times: that program; every worker dead: the rest) exits 2
 * once every other program's verdict is printed.
 *
 * --bind ENDPOINT also takes remote workers (bpfvc worker --connect) there;
 * with -w 0 only remote ones, waiting --wait-workers seconds for the first.
 * --curve-secret/--curve-trust make that endpoint CURVE with an allow-list
 * of worker keys (docs/deploy.md); a tcp endpoint without them is refused
 * (exit 2) unless --insecure says so: a joined worker's results are the
 * verdict. Two or more programs end with a table
 * (object, program, verdict, processed, states, time); JSON lines carry
 * time_ms. On a terminal, cluster jobs past one second show a progress line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bpfvc/coordinator.h"
#include "bpfvc/engine.h"
#include "bpfvc/verifier.h"
#include "cli.h"
#include "veristat.h"

/* --insecure: a plain (no CURVE) --bind other than ipc:// was asked for. */
static int insecure_bind;

/* --output-format table|csv: veristat's results only, on stdout (-1: our
 * verdict lines); the rows gather here. */
static int output_format = -1;
static const char *profile_path; /* --profile: the target kernel; NULL this machine */
static struct vs_set vs_rows;

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

static void print_job_stats(const char *prog, const struct bvc_cluster_job *job)
{
	const struct bvc_cluster_job_stats *js = &job->stats;

	fprintf(stderr,
		"stats: %s: %.3f s, processed %llu insns, donations %llu, requeued %llu, entry restarts %llu, dead workers %llu; checkpoints shared %llu\n",
		prog, job->secs, (unsigned long long)js->processed,
		(unsigned long long)js->donations, (unsigned long long)js->requeued,
		(unsigned long long)js->entry_restarts, (unsigned long long)js->deaths,
		(unsigned long long)js->checkpoints);
}

/* This process's CPU so far (user + system, every thread): s. */
static double cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0.0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The coordinator's CPU and wall clock at three points of a cluster run:
 * before the cluster (the process's own start and loading), once its
 * workers said hello (spawning and greeting them), after the batch. */
struct coord_clock {
	double cpu[3], wall[3];
};

/* Per worker, over the whole batch. */
static void print_worker_stats(struct bvc_cluster *cl, size_t nprogs, const struct coord_clock *ck)
{
	unsigned long long items = 0, bytes = 0, msgs = 0;
	double up = ck->cpu[1] - ck->cpu[0], run = ck->cpu[2] - ck->cpu[1];
	double up_s = ck->wall[1] - ck->wall[0], run_s = ck->wall[2] - ck->wall[1];
	double secs = ck->wall[2] - ck->wall[0];

	fprintf(stderr, "stats: %zu program%s on %u workers, %.3f s\n", nprogs,
		nprogs == 1 ? "" : "s", bvc_cluster_size(cl), secs);
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
		items += w->items;
		bytes += w->bytes_sent + w->bytes_recv;
		msgs += w->msgs_sent + w->msgs_recv;
	}
	/* The coordinator runs in this process (the workers are others): its
	 * own CPU, so the bench can show what a worker more costs it. Start-up
	 * (fork + exec and the handshake of every worker) apart from the
	 * batch, where the per-item and per-message costs are. */
	fprintf(stderr,
		"stats: coordinator: cpu %.3f s (%.1f %% of one core), %llu items (%.1f us each), %llu bytes\n",
		ck->cpu[2], secs > 0 ? 100.0 * ck->cpu[2] / secs : 0.0, items,
		items ? 1e6 * ck->cpu[2] / (double)items : 0.0, bytes);
	fprintf(stderr,
		"stats: coordinator: before the cluster cpu %.3f s; start-up of %u workers cpu %.3f s in %.3f s; batch cpu %.3f s in %.3f s (%.1f %% of one core), %.1f us per item, %llu messages (%.1f us each)\n",
		ck->cpu[0], bvc_cluster_size(cl), up, up_s, run, run_s,
		run_s > 0 ? 100.0 * run / run_s : 0.0, items ? 1e6 * run / (double)items : 0.0,
		msgs, msgs ? 1e6 * run / (double)msgs : 0.0);
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

/* The program was refused: unsafe, or using what we do not model. */
static int is_refusal(const struct bvc_verdict *v)
{
	return v->kind == BVC_REJECT || v->kind == BVC_UNSUPPORTED;
}

struct row {
	char *file, *prog;
	int accepted;
	int refused;     /* rejected or unsupported; neither: no verdict */
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
				      .accepted = bvc_verdict_accepted(v),
				      .refused = is_refusal(v),
				      .processed = v->processed, .states = v->total_states,
				      .secs = secs };
	if (t->rows[t->n].file && t->rows[t->n].prog)
		t->n++;
}

/* The batch's end: one row per program, columns aligned. */
static void table_print(const struct table *t)
{
	int wf = 6, wp = 7;
	size_t acc = 0, err = 0;
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
		       r->accepted ? "accepted" : r->refused ? "rejected" : "error",
		       (unsigned long long)r->processed,
		       (unsigned long long)r->states, r->secs);
		acc += r->accepted;
		err += !r->accepted && !r->refused;
		total += r->secs;
	}
	printf("%zu programs: %zu accepted, %zu rejected", t->n, acc, t->n - acc - err);
	if (err)
		printf(", %zu without a verdict (internal error)", err);
	printf(", %.3f s\n", total);
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
		/* "verdict": accept, reject (unsafe or unsupported, as the
		 * "unsupported" flag says) or internal (no verdict). */
		printf(",\"verdict\":\"%s\",\"unsupported\":%s",
		       bvc_verdict_accepted(v) ? "accept" : is_refusal(v) ? "reject" : "internal",
		       v->kind == BVC_UNSUPPORTED ? "true" : "false");
		printf(",\"core_relos_not_applied\":%zu", prog->core_relo_cnt);
		if (is_refusal(v))
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
	if (bvc_verdict_accepted(v))
		printf("%s: %s: accepted (processed %llu insns)\n", img->path, prog->name,
		       (unsigned long long)v->processed);
	else if (is_refusal(v))
		printf("%s: %s: rejected at insn %zu: %s\n", img->path, prog->name, v->insn, v->msg);
	else
		bvc_cli_err("%s: %s: internal error, no verdict: %s", img->path, prog->name,
			    v->msg[0] ? v->msg : "(no message)");
}

int bvc_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "program", required_argument, NULL, 'p' },
		{ "type", required_argument, NULL, 't' },
		{ "workers", required_argument, NULL, 'w' },
		{ "insn-limit", required_argument, NULL, 'L' },
		{ "mem-limit", required_argument, NULL, 'M' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "stats", no_argument, NULL, 'S' },
		{ "bind", required_argument, NULL, 'B' },
		{ "wait-workers", required_argument, NULL, 'W' },
		{ "curve-secret", required_argument, NULL, 'K' },
		{ "curve-trust", required_argument, NULL, 'T' },
		{ "insecure", no_argument, NULL, 'I' },
		{ "output-format", required_argument, NULL, 'o' },
		{ "profile", required_argument, NULL, 'P' },
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

	while ((c = getopt_long(argc, argv, "p:t:w:l:o:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (strcmp(optarg, "table") && strcmp(optarg, "csv")) {
				bvc_cli_err("verify: --output-format is table or csv, not '%s'", optarg);
				return BVC_EXIT_BAD_INPUT;
			}
			output_format = !strcmp(optarg, "csv");
			break;
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
		case 'M':
			if (bvc_cli_parse_size(optarg, &vopts.mem_limit)) {
				bvc_cli_err("verify: --mem-limit expects a size (bytes, or with K, M, G), got '%s'",
					    optarg);
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
		case 'I': insecure_bind = 1; break;
		case 'P': profile_path = optarg; break;
		case 'W':
			wait_s = strtod(optarg, &end);
			if (*end || !*optarg || wait_s <= 0 || wait_s > 86400) {
				bvc_cli_err("verify: --wait-workers expects seconds, got '%s'", optarg);
				return BVC_EXIT_BAD_INPUT;
			}
			break;
		case 'h':
			puts("usage: bpfvc verify PROG.o... [-p NAME] [--type TYPE] [-w N] [--insn-limit N] [--mem-limit SIZE] [-l LEVEL] [--json] [-v] [--stats]\n"
			     "                    [--output-format table|csv]\n"
			     "                    [--bind tcp://ADDR:PORT [--wait-workers S] {--curve-secret KEY --curve-trust DIR|FILE | --insecure}]\n"
			     "  -w N     N local worker processes (0, the default: in-process)\n"
			     "  --insn-limit N  processed insns of one process (default 1000000): a\n"
			     "           program is then explored whole by one worker, verdict and\n"
			     "           count as -w 0; 0: no limit, and its paths split over workers\n"
			     "  --mem-limit SIZE  memory for the verifier's states per process (512M, 4G;\n"
			     "           default: 3/4 of the memory available, shared by the -w N workers);\n"
			     "           a program that needs more is rejected as too large\n"
			     "  --bind E also take remote workers (bpfvc worker --connect) on E;\n"
			     "           with -w 0, wait up to --wait-workers seconds (30) for one\n"
			     "  --curve-secret KEY, --curve-trust DIR|FILE\n"
			     "           CURVE on E: our key, and the worker public keys let in\n"
			     "  --insecure  let a tcp E be plain: anyone who reaches E can join, and a\n"
			     "           joined worker's results are the verdict (docs/deploy.md)\n"
			     "  -v       print the topology and where workers run\n"
			     "  --profile FILE  verify for the kernel of a target profile (bpfvc profile\n"
			     "           capture): CO-RE relocated for its BTF, its helpers; default this\n"
			     "           machine (CO-RE for its /sys/kernel/btf/vmlinux, without workers)\n"
			     "  --stats  per-worker items, instructions and donations (stderr)\n"
			     "  -o, --output-format table|csv\n"
			     "           veristat's results table or CSV on stdout, nothing else\n"
			     "           (its column names: bpfvc compare and veristat -C read it)");
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
	if (insecure_bind && (!bind || curve_secret)) {
		bvc_cli_err("verify: --insecure is for a plain --bind (without CURVE keys)");
		return BVC_EXIT_BAD_INPUT;
	}
	/* Before any work: a joined worker's results are the verdict. */
	if (bind && !curve_secret && !insecure_bind && strncmp(bind, "ipc://", 6)) {
		bvc_cli_err("verify: refusing to listen on %s without CURVE keys and a worker allow-list (--curve-secret KEY --curve-trust DIR|FILE): anyone who reaches it could join and decide verdicts; say --insecure to do it anyway",
			    bind);
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
	if (output_format >= 0) {
		vs_print(stdout, &vs_rows, output_format);
		vs_free(&vs_rows);
	} else if (!json && table.n >= 2) {
		table_print(&table);
	}
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

/* On a terminal, for runs past one second: one line, rewritten. */
static void progress_line(void *arg, const struct bvc_cluster_progress *p)
{
	const char *prog = arg;

	if (p->secs < 1.0)
		return;
	if (p->jobs > 1)
		fprintf(stderr, "\rbatch: %zu/%zu programs done, %u running, ", p->jobs_done,
			p->jobs, p->running);
	else
		fprintf(stderr, "\r%s: ", prog);
	fprintf(stderr, "%llu insns, %llu states, %.0f insns/s, %u/%u workers busy\033[K",
		(unsigned long long)p->processed, (unsigned long long)p->states,
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

/* One program to verify. */
struct entry {
	struct bvc_image *img;       /* its object (owned by the file list) */
	const struct bvc_prog *prog;
	void *object;                /* the object's bytes (cluster runs), shared */
	size_t object_len;
	char pname[160];             /* its name on the wire (the coordinator
					* refuses one over 127 bytes, clearly) */
};

/* A cluster batch: verdicts are printed in the programs' order, each as
 * soon as it and every program before it have ended. */
struct batch {
	struct entry *e;
	struct bvc_cluster_job *jobs; /* one per program, in order */
	struct bvc_cluster_job *sent; /* those on the cluster ... */
	size_t *sent_idx;             /* ... and their places in @jobs */
	char *ended;
	size_t n, printed;
	const struct bvc_verify_opts *vopts;
	int json, stats;
	int ret;                     /* exit code so far */
};

/* Accepted 0, refused 1; anything else (an internal error, no verdict)
 * is not a statement about the program: 2, never 0. */
static int verdict_exit(const struct bvc_verdict *v)
{
	if (bvc_verdict_accepted(v))
		return BVC_EXIT_OK;
	return is_refusal(v) ? BVC_EXIT_REJECT : BVC_EXIT_INTERNAL;
}

static void worse(int *ret, int code)
{
	if (code == BVC_EXIT_BAD_INPUT || code == BVC_EXIT_INTERNAL ||
	    (code == BVC_EXIT_REJECT && *ret == BVC_EXIT_OK))
		*ret = code;
}

/* veristat's row: a verdict without a statement about the program (an
 * internal error) is a failure there, and said on stderr. */
static void vs_row_add(const struct entry *e, const struct bvc_verdict *v, double secs)
{
	long st[VS_NSTATS] = {
		[VS_VERDICT] = bvc_verdict_accepted(v),
		[VS_DURATION] = (long)(secs * 1e6),
		[VS_TOTAL_INSNS] = (long)v->processed,
		[VS_TOTAL_STATES] = (long)v->total_states,
		[VS_PEAK_STATES] = (long)v->peak_states,
		[VS_MAX_STATES_PER_INSN] = (long)v->max_states_per_insn,
	};

	if (!bvc_verdict_accepted(v) && !is_refusal(v))
		bvc_cli_err("%s: %s: internal error, no verdict: %s", e->img->path, e->prog->name,
			    v->msg[0] ? v->msg : "(no message)");
	if (vs_add(&vs_rows, e->img->path, e->prog->name, st))
		bvc_cli_err("%s: %s: out of memory for the results table", e->img->path,
			    e->prog->name);
}

static void print_one(const struct entry *e, struct bvc_verdict *v, int json, double secs)
{
	if (output_format >= 0) {
		/* stdout is veristat's alone: a log goes to stderr. */
		if (v->log)
			fwrite(v->log, 1, v->log_len, stderr);
		vs_row_add(e, v, secs);
		return;
	}
	if (v->log && !json)
		fwrite(v->log, 1, v->log_len, stdout);
	print_verdict(e->img, e->prog, v, json, secs);
	table_add(&table, e->img->path, e->prog->name, v, secs);
}

/*
 * A worker found the rejection: the log (-l) of the failing path comes
 * from replaying that path alone here, following the branch decisions the
 * Reject carried. A rejection that needs other paths too (one instruction
 * used with different pointers) gives another message on its path alone:
 * that is said after the log.
 */
static void replay_log(const struct entry *e, const struct bvc_verify_opts *vopts,
		       struct bvc_verdict *v)
{
	struct bvc_verify_opts o = *vopts;
	struct bvc_verdict r;
	char *log;
	size_t len;

	if (!v->trail_len) {
		bvc_cli_err("%s: %s: no path to replay (the rejection came from all paths together)",
			    e->img->path, e->prog->name);
		return;
	}
	o.follow = v->trail;
	o.follow_len = v->trail_len;
	if (bvc_verify(e->img, e->prog, &o, &r) || !r.log)
		return;
	if (r.kind != v->kind || r.insn != v->insn || strcmp(r.msg, v->msg)) {
		len = r.log_len + strlen(v->msg) + 128;
		log = malloc(len);
		if (!log) {
			bvc_verdict_release(&r);
			return;
		}
		r.log_len = (size_t)snprintf(log, len, "%s(on the whole program: insn %zu: %s)\n",
					     r.log, v->insn, v->msg);
		free(r.log);
		r.log = log;
	}
	free(v->log);
	v->log = r.log;
	v->log_len = r.log_len;
	r.log = NULL;
	bvc_verdict_release(&r);
}

/* Program @i's cluster verdict, completed and printed. */
static void finish_cluster(struct batch *b, size_t i)
{
	struct entry *e = &b->e[i];
	struct bvc_cluster_job *job = &b->jobs[i];
	struct bvc_verdict v = job->verdict;

	progress_end();
	if (b->stats)
		print_job_stats(e->prog->name, job);
	if (job->err) {
		bvc_cli_err("%s: %s: cluster failure: %s", e->img->path, e->prog->name,
			    job->errmsg);
		bvc_verdict_release(&v);
		worse(&b->ret, BVC_EXIT_INTERNAL);
		return;
	}
	/* The library's verdict is final (call chains included). */
	if (b->vopts->log_level && is_refusal(&v))
		replay_log(e, b->vopts, &v);
	print_one(e, &v, b->json, job->secs);
	fflush(stdout);
	worse(&b->ret, verdict_exit(&v));
	bvc_verdict_release(&v);
}

static void print_ended(struct batch *b)
{
	while (b->printed < b->n && b->ended[b->printed])
		finish_cluster(b, b->printed++);
}

static void on_job_done(void *arg, size_t k)
{
	struct batch *b = arg;
	size_t i = b->sent_idx[k];

	b->jobs[i] = b->sent[k]; /* the verdict moves with it */
	memset(&b->sent[k].verdict, 0, sizeof(b->sent[k].verdict));
	b->ended[i] = 1;
	print_ended(b);
}

/*
 * A program with CO-RE relocations is verified here, relocated for this
 * machine as -w 0 does it: the workers load the object themselves and
 * would verify clang's offsets, another program (and another verdict)
 * than -w 0's. 1 when @i was such a program (its verdict in the batch).
 */
static int verify_core_here(struct batch *b, size_t i, struct bvc_cli_target *tgt)
{
	struct entry *e = &b->e[i];
	struct bvc_cluster_job *job = &b->jobs[i];
	double t = now_s();
	int pr;

	if (!e->prog->core_relo_cnt)
		return 0;
	pr = bvc_cli_target_prepare(tgt, e->img, (struct bvc_prog *)e->prog, &job->verdict);
	if (pr == 0 && !tgt->core)
		return 0; /* no BTF to relocate against here: as the workers do */
	if (pr > 1 || (pr == 0 && bvc_verify(e->img, e->prog, b->vopts, &job->verdict))) {
		job->err = -EINVAL;
		snprintf(job->errmsg, sizeof(job->errmsg), "cannot verify it in this process");
	}
	job->secs = now_s() - t;
	b->ended[i] = 1;
	return 1;
}

static struct bvc_cluster *start_cluster(unsigned long nworkers, const char *bind, int wait_ms,
					 const struct bvc_curve_keypair *kp,
					 const struct bvc_curve_trust *trust, int verbose,
					 uint64_t mem_limit)
{
	struct bvc_cluster_opts copts = { .sz = sizeof(copts),
					  /* Each local worker a share of this
					   * machine's memory, unless told. */
					  .worker_mem_limit = mem_limit ? mem_limit
						  : nworkers ? bvc_mem_limit_default((unsigned int)nworkers) : 0,
					  .nworkers = (unsigned int)nworkers,
					  .pin = 1,
					  .bind = bind,
					  .wait_ms = wait_ms,
					  .curve = kp,
					  .trust = trust,
					  .insecure = insecure_bind };
	struct bvc_cluster *cl;
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
		return NULL;
	}
	if (verbose) {
		fprintf(stderr, "%s", bvc_cluster_topology(cl));
		for (unsigned int i = 0; i < bvc_cluster_size(cl); i++) {
			const struct bvc_cluster_worker_stats *w = bvc_cluster_worker(cl, i);

			fprintf(stderr, "worker %u: pid %d on core L#%u (cpus %s)\n", i, w->pid,
				w->core, w->cpuset);
		}
	}
	return cl;
}

/* Every program on the cluster, as one batch. */
static int verify_on_cluster(struct entry *e, size_t n, const struct bvc_verify_opts *vopts,
			     int json, int stats, unsigned long nworkers, const char *bind,
			     int wait_ms, const struct bvc_curve_keypair *kp,
			     const struct bvc_curve_trust *trust, int verbose,
			     struct bvc_cli_target *tgt)
{
	size_t nsent = 0;
	struct batch b = { .e = e, .n = n, .vopts = vopts, .json = json, .stats = stats };
	struct coord_clock ck = { .cpu = { cpu_s() }, .wall = { now_s() } };
	struct bvc_cluster *cl;
	char cerr[512];
	int err;

	cl = start_cluster(nworkers, bind, wait_ms, kp, trust, verbose, vopts->mem_limit);
	if (!cl)
		return BVC_EXIT_BAD_INPUT;
	ck.cpu[1] = cpu_s();
	ck.wall[1] = now_s();
	b.jobs = calloc(n, sizeof(*b.jobs));
	b.sent = calloc(n, sizeof(*b.sent));
	b.sent_idx = calloc(n, sizeof(*b.sent_idx));
	b.ended = calloc(n, 1);
	if (!b.jobs || !b.sent || !b.sent_idx || !b.ended) {
		bvc_cli_err("verify: out of memory");
		free(b.jobs);
		free(b.sent);
		free(b.sent_idx);
		free(b.ended);
		bvc_cluster_free(cl);
		return BVC_EXIT_BAD_INPUT;
	}
	for (size_t i = 0; i < n; i++) {
		if (verify_core_here(&b, i, tgt))
			continue;
		b.sent_idx[nsent] = i;
		b.sent[nsent++] = (struct bvc_cluster_job){ .object = e[i].object,
							    .len = e[i].object_len,
							    .prog_name = e[i].pname,
							    .insn_limit = vopts->insn_limit,
							    .prog_flags = vopts->prog_flags };
	}
	print_ended(&b);
	if (nsent == 1)
		bvc_cluster_set_progress_arg(cl, (void *)e[b.sent_idx[0]].prog->name);
	err = nsent ? bvc_cluster_verify_batch(cl, b.sent, nsent, on_job_done, &b, cerr,
					       sizeof(cerr))
		    : 0;
	progress_end();
	if (err) {
		/* What ended is printed; the rest is lost with the cluster. */
		bvc_cli_err("verify: cluster failure: %s (%zu of %zu programs verified)", cerr,
			    b.printed, n);
		worse(&b.ret, BVC_EXIT_BAD_INPUT);
	}
	if (stats) {
		ck.cpu[2] = cpu_s();
		ck.wall[2] = now_s();
		print_worker_stats(cl, n, &ck);
	}
	for (size_t k = 0; k < nsent; k++)
		bvc_verdict_release(&b.sent[k].verdict); /* a job that never ended */
	free(b.jobs);
	free(b.sent);
	free(b.sent_idx);
	free(b.ended);
	bvc_cluster_free(cl);
	return b.ret;
}

static int verify_files(int nfiles, char **files, const char *name, const char *type,
			struct bvc_verify_opts *vopts_in, int json, int verbose, int stats,
			unsigned long nworkers, const char *bind, int wait_ms,
			const struct bvc_curve_keypair *kp, const struct bvc_curve_trust *trust)
{
	struct bvc_verify_opts vopts = *vopts_in;
	struct bvc_image **imgs = calloc((size_t)nfiles, sizeof(*imgs));
	void **objects = calloc((size_t)nfiles, sizeof(*objects));
	struct entry *e = NULL;
	size_t n = 0, cap = 0;
	int ret = BVC_EXIT_OK;
	struct bvc_cli_target tgt;

	if (profile_path && (nworkers || bind)) {
		/* Workers load the object themselves, unrelocated. */
		bvc_cli_err("verify: --profile is not supported with workers yet (use -w 0)");
		free(imgs);
		free(objects);
		return BVC_EXIT_BAD_INPUT;
	}
	if (bvc_cli_target_open(&tgt, profile_path)) {
		free(imgs);
		free(objects);
		return BVC_EXIT_BAD_INPUT;
	}
	if (vopts.log_level && (nworkers || bind))
		/* The cluster's log: the failing path, replayed here. */
		bvc_cli_err("verify: -l with workers logs the failing path of each rejected program only");
	if (!imgs || !objects) {
		bvc_cli_err("verify: out of memory");
		ret = BVC_EXIT_BAD_INPUT;
		goto out;
	}
	/* Every file is read and every program found before any is verified:
	 * bad input is refused before work is done. */
	for (int a = 0; a < nfiles; a++) {
		size_t object_len = 0;

		imgs[a] = bvc_cli_open_kc(files[a], type, tgt.kconfig);
		if (!imgs[a]) {
			ret = BVC_EXIT_BAD_INPUT;
			goto out;
		}
		if (name && !bvc_image_find_prog(imgs[a], name)) {
			bvc_cli_err("%s: no program named '%s'", imgs[a]->path, name);
			ret = BVC_EXIT_BAD_INPUT;
			goto out;
		}
		if (nworkers || bind) {
			objects[a] = bvc_cli_read_file(files[a], BVC_WIRE_OBJECT_MAX,
						       "an object for the workers", &object_len);
			if (!objects[a]) {
				ret = BVC_EXIT_BAD_INPUT;
				goto out;
			}
		}
		for (size_t i = 0; i < imgs[a]->prog_cnt; i++) {
			const struct bvc_prog *prog = &imgs[a]->progs[i];
			struct entry *x;

			if (name && strcmp(prog->name, name) && strcmp(prog->sec_name, name))
				continue;
			if (n == cap) {
				struct entry *v = realloc(e, (cap = cap ? cap * 2 : 16) * sizeof(*v));

				if (!v) {
					bvc_cli_err("verify: out of memory");
					ret = BVC_EXIT_BAD_INPUT;
					goto out;
				}
				e = v;
			}
			x = &e[n++];
			memset(x, 0, sizeof(*x));
			x->img = imgs[a];
			x->prog = prog;
			x->object = objects[a];
			x->object_len = object_len;
			bvc_cli_wire_name(prog, objects[a], object_len, type, x->pname,
					  sizeof(x->pname));
		}
	}
	if (n && (nworkers || bind)) {
		ret = verify_on_cluster(e, n, &vopts, json, stats, nworkers, bind, wait_ms, kp,
					trust, verbose, &tgt);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct bvc_verdict v;
		double t = now_s();
		int pr;

		/* The entry's program is the image's, which this run owns:
		 * CO-RE patches it in place for the target. */
		pr = bvc_cli_target_prepare(&tgt, e[i].img, (struct bvc_prog *)e[i].prog, &v);
		if (pr == 1) {
			print_one(&e[i], &v, json, now_s() - t);
			worse(&ret, verdict_exit(&v));
			continue;
		}
		if (pr) {
			ret = BVC_EXIT_BAD_INPUT;
			goto out;
		}
		if (bvc_verify(e[i].img, e[i].prog, &vopts, &v)) {
			bvc_cli_err("%s: %s: internal error", e[i].img->path, e[i].prog->name);
			ret = BVC_EXIT_BAD_INPUT;
			goto out;
		}
		bvc_cli_target_check_helpers(&tgt, e[i].prog, &v);
		print_one(&e[i], &v, json, now_s() - t);
		worse(&ret, verdict_exit(&v));
		bvc_verdict_release(&v);
	}
out:
	bvc_cli_target_close(&tgt);
	for (int a = 0; imgs && a < nfiles; a++) {
		bvc_image_free(imgs[a]);
		free(objects ? objects[a] : NULL);
	}
	free(imgs);
	free(objects);
	free(e);
	return ret;
}
