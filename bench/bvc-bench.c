// SPDX-License-Identifier: MIT
/*
 * bvc-bench: the kernel side of the bpfvc benchmark, and the generator of
 * its synthetic program families.
 *
 *   bvc-bench gen stack|prec|prunable|loop|straight N OUT.bin
 *       write raw bytecode (8-byte instructions, socket_filter) of one of
 *       the synthetic families described in bench/families.h
 *   bvc-bench kernel FILE [-p NAME] [--raw TYPE] [--flags F] [--reps R]
 *                   [--packet PKT --repeat N]
 *       load FILE (an ELF object through libbpf, or raw bytecode of kernel
 *       program type TYPE) R times with log_level 4 and print one line of
 *       key=value pairs: verdict, errno, processed insns, states, the
 *       verification time of the log_level 4 stats and the wall time of the
 *       load (min/median/max), jited_prog_len, xlated_prog_len and, with
 *       --packet, the BPF_PROG_TEST_RUN time per run (ns, median of R runs
 *       of N repeats each).
 *
 * Needs root (bpf(BPF_PROG_LOAD)). Built by `make bench` with one cc line
 * (with bench/families.c).
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "families.h"

#define LOG_SZ (1u << 20)

/* `gen FAMILY N OUT.bin`: one program of bench/families.h as raw bytecode. */
static int gen(const char *family, long k, const char *out)
{
	struct bpf_insn *prog;
	size_t n;
	FILE *f;

	if (bvc_family_gen(family, k, &prog, &n))
		return fprintf(stderr, "gen: no family %s with k = %ld\n", family, k), 2;
	f = fopen(out, "wb");
	if (!f || fwrite(prog, sizeof(*prog), n, f) != n || fclose(f)) {
		free(prog);
		return perror(out), 2;
	}
	free(prog);
	return 0;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct one {
	int accepted, err;
	long processed, states, peak, vtime;
	double wall_us;
	uint32_t jited, xlated;
	double run_ns;
};

static void parse_stats(const char *log, struct one *o)
{
	const char *p = strstr(log, "processed ");
	long lim;

	if (p)
		sscanf(p, "processed %ld insns (limit %ld) max_states_per_insn %*d total_states %ld peak_states %ld",
		       &o->processed, &lim, &o->states, &o->peak);
	p = strstr(log, "verification time ");
	if (p)
		sscanf(p, "verification time %ld usec", &o->vtime);
}

static void info_and_run(int fd, const void *pkt, size_t pkt_sz, int repeat, struct one *o)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		o->jited = info.jited_prog_len;
		o->xlated = info.xlated_prog_len;
	}
	if (pkt) {
		char out[4096];
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = (uint32_t)pkt_sz,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = repeat);

		if (!bpf_prog_test_run_opts(fd, &t))
			o->run_ns = t.duration; /* kernel: average ns per run */
		else
			o->run_ns = -1;
	}
}

static int load_raw(const struct bpf_insn *insns, size_t cnt, int type, uint32_t flags,
		    char *log, const void *pkt, size_t pkt_sz, int repeat, struct one *o)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = LOG_SZ, .log_level = 4,
		    .prog_flags = flags);
	double t0;
	int fd;

	log[0] = 0;
	t0 = now_us();
	fd = bpf_prog_load(type, "bench", "GPL", insns, cnt, &opts);
	o->wall_us = now_us() - t0;
	o->accepted = fd >= 0;
	o->err = fd >= 0 ? 0 : errno;
	parse_stats(log, o);
	if (fd >= 0) {
		info_and_run(fd, pkt, pkt_sz, repeat, o);
		close(fd);
	}
	return 0;
}

static int load_elf(const char *path, const char *name, uint32_t flags, char *log,
		    const void *pkt, size_t pkt_sz, int repeat, struct one *o)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p, *target = NULL;
	double t0;
	int err;

	if (!obj)
		return fprintf(stderr, "%s: cannot open\n", path), 2;
	bpf_object__for_each_program(p, obj) {
		if (!target && (!name || !strcmp(bpf_program__name(p), name)))
			target = p;
		else
			bpf_program__set_autoload(p, false);
	}
	if (!target) {
		bpf_object__close(obj);
		return fprintf(stderr, "%s: no program %s\n", path, name ? name : "(any)"), 2;
	}
	log[0] = 0;
	bpf_program__set_log_buf(target, log, LOG_SZ);
	bpf_program__set_log_level(target, 4);
	if (flags)
		bpf_program__set_flags(target, bpf_program__flags(target) | flags);
	t0 = now_us();
	err = bpf_object__load(obj);
	o->wall_us = now_us() - t0;
	o->accepted = !err;
	o->err = err ? -err : 0;
	parse_stats(log, o);
	if (!err)
		info_and_run(bpf_program__fd(target), pkt, pkt_sz, repeat, o);
	bpf_object__close(obj);
	return 0;
}

static void *read_file(const char *path, size_t *sz)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap_ = 0, len = 0, r;

	if (!f)
		return NULL;
	do {
		if (len == cap_) {
			cap_ = cap_ ? cap_ * 2 : 65536;
			buf = realloc(buf, cap_);
		}
		r = fread(buf + len, 1, cap_ - len, f);
		len += r;
	} while (r > 0);
	fclose(f);
	*sz = len;
	return buf;
}

static int print_silent(enum libbpf_print_level l, const char *f, va_list a)
{
	(void)l, (void)f, (void)a;
	return 0;
}

static int kernel(int argc, char **argv)
{
	const char *path = argv[0], *name = NULL, *pktpath = NULL;
	int raw_type = -1, reps = 5, repeat = 1000;
	uint32_t flags = 0;
	void *pkt = NULL, *raw = NULL;
	size_t pkt_sz = 0, raw_sz = 0;
	char *log = malloc(LOG_SZ);
	struct one o[64], last;
	double vt[64], wall[64], run[64];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return fprintf(stderr, "kernel: %s needs a value\n", a), 2;
		if (!strcmp(a, "-p"))
			name = v;
		else if (!strcmp(a, "--raw"))
			raw_type = atoi(v);
		else if (!strcmp(a, "--flags"))
			flags = (uint32_t)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--reps"))
			reps = atoi(v);
		else if (!strcmp(a, "--packet"))
			pktpath = v;
		else if (!strcmp(a, "--repeat"))
			repeat = atoi(v);
		else
			return fprintf(stderr, "kernel: unknown option %s\n", a), 2;
		i++;
	}
	if (reps < 1 || reps > 64)
		reps = 5;
	libbpf_set_print(print_silent);
	if (pktpath && !(pkt = read_file(pktpath, &pkt_sz)))
		return perror(pktpath), 2;
	if (raw_type >= 0 && !(raw = read_file(path, &raw_sz)))
		return perror(path), 2;
	for (int r = 0; r < reps; r++) {
		memset(&o[r], 0, sizeof(o[r]));
		if (raw_type >= 0)
			load_raw(raw, raw_sz / 8, raw_type, flags, log, pkt, pkt_sz, repeat, &o[r]);
		else if (load_elf(path, name, flags, log, pkt, pkt_sz, repeat, &o[r]))
			return 2;
		vt[r] = (double)o[r].vtime;
		wall[r] = o[r].wall_us;
		run[r] = o[r].run_ns;
		/* A refusal is deterministic: one is enough past the first two
		 * when it ran into the 1M limit (each costs a second or so). */
		if (!o[r].accepted && o[r].processed >= 1000000 && r >= 2) {
			reps = r + 1;
			break;
		}
	}
	last = o[reps - 1];
	qsort(vt, reps, sizeof(double), cmp_d);
	qsort(wall, reps, sizeof(double), cmp_d);
	qsort(run, reps, sizeof(double), cmp_d);
	printf("verdict=%s errno=%d processed=%ld states=%ld peak_states=%ld reps=%d "
	       "vtime_us_min=%.0f vtime_us_med=%.0f vtime_us_max=%.0f "
	       "wall_us_min=%.1f wall_us_med=%.1f wall_us_max=%.1f jited_len=%u xlated_len=%u "
	       "run_ns=%.1f\n",
	       last.accepted ? "accept" : "reject", last.err, last.processed, last.states,
	       last.peak, reps, vt[0], vt[reps / 2], vt[reps - 1], wall[0], wall[reps / 2],
	       wall[reps - 1], last.jited, last.xlated, pkt ? run[reps / 2] : 0.0);
	if (getenv("BVC_BENCH_LOG"))
		fputs(log, stderr);
	free(log);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "gen"))
		return gen(argv[2], strtol(argv[3], NULL, 0), argv[4]);
	if (argc >= 3 && !strcmp(argv[1], "kernel"))
		return kernel(argc - 2, argv + 2);
	fprintf(stderr, "usage: bvc-bench gen stack|prec|prunable|loop|straight N OUT.bin\n"
			"       bvc-bench kernel FILE [-p NAME] [--raw TYPE] [--flags F] [--reps R]\n"
			"                        [--packet PKT --repeat N]\n");
	return 2;
}
