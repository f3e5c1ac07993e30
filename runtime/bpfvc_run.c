// SPDX-License-Identifier: MIT
/*
 * bpfvc-run: the device side on the command line (docs/design.md section 6).
 *
 *   bpfvc-run OUT.bvc --pubkey KEY.pub [--packet FILE] [--repeat N] [--dump-maps]
 *
 * Loads the signed blob (refusing anything unsigned or signed by another
 * key), runs it once or N times on a context built from FILE (a packet for
 * networking programs, the first context bytes for tracing programs; none:
 * an empty packet / a zeroed context) and prints
 *   load: N us                     read, signature check, maps, relocation
 *   r0 = V (NAME)                  the last run's result
 *   run: N ns (median of N runs)   with --repeat
 * then, with --dump-maps, every map: hex key -> value for arrays and
 * hashes, records for ring buffers and perf event arrays.
 *
 * Exit: 0 ran, 2 refused (usage, key, blob or input; one line naming the
 * file and the reason), 1 the run itself failed (an interpreter fault).
 */
#include <errno.h>
#include <getopt.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpfvc/abi.h"
#include "bpfvc/runtime.h"
#include "bpfvc/signer.h"

#define EXIT_RAN 0
#define EXIT_FAULT 1
#define EXIT_REFUSED 2
#define MAX_INPUT (64u << 20)
#define ARRAY_SHOWN 4096 /* array elements printed before "... more" */

static const char usage[] =
	"usage: bpfvc-run OUT.bvc --pubkey KEY.pub [--packet FILE] [--repeat N] [--dump-maps]\n"
	"                 [--interp]   (run the blob's bytecode even if its code could run)\n"
	"                 [--btf FILE] (this kernel's BTF, default /sys/kernel/btf/vmlinux: a blob\n"
	"                              verified for another kernel is refused)\n";

static void print_line(void *user, const char *line)
{
	fprintf(stderr, "%s%s\n", (const char *)user, line);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int read_input(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0, got;
	uint8_t *p = NULL, *q;

	if (!f) {
		fprintf(stderr, "bpfvc-run: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (!p || n == cap) {
			if (p)
				cap *= 2;
			q = cap <= MAX_INPUT ? realloc(p, cap) : NULL;
			if (!q) {
				fprintf(stderr, "bpfvc-run: %s: larger than %u bytes\n", path, MAX_INPUT);
				free(p);
				fclose(f);
				return -1;
			}
			p = q;
		}
		got = fread(p + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "bpfvc-run: %s: read failed\n", path);
		free(p);
		fclose(f);
		return -1;
	}
	fclose(f);
	*buf = p;
	*len = n;
	return 0;
}

static void print_hex(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf(i ? " %02x" : "%02x", p[i]);
}

static const char *r0_name(uint32_t type, uint64_t r0)
{
	static const char *const xdp[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					   "XDP_REDIRECT" };

	switch (type) {
	case BPF_PROG_TYPE_XDP:
		return r0 < 5 ? xdp[r0] : NULL;
	case BPF_PROG_TYPE_SCHED_CLS:
	case BPF_PROG_TYPE_SCHED_ACT:
		switch ((int64_t)(int32_t)r0) {
		case TC_ACT_UNSPEC: return "TC_ACT_UNSPEC";
		case TC_ACT_OK: return "TC_ACT_OK";
		case TC_ACT_SHOT: return "TC_ACT_SHOT";
		case TC_ACT_REDIRECT: return "TC_ACT_REDIRECT";
		default: return NULL;
		}
	default:
		return NULL;
	}
}

static int print_record(void *user, uint32_t index, const void *data, size_t size)
{
	int *n = user;

	printf("  record %d (cpu %u): %zu bytes: ", (*n)++, index, size);
	print_hex(data, size);
	putchar('\n');
	return 0;
}

static int rb_record(void *user, uint32_t index, const void *data, size_t size)
{
	int *n = user;

	printf("  record %d: %zu bytes: ", (*n)++, size);
	print_hex(data, size);
	putchar('\n');
	return 0;
}

static int is_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

static void dump_map(const struct bvc_rt_prog *prog, struct bvc_rt_map *m)
{
	uint32_t type = bvc_rt_map_type(m), ks = bvc_rt_map_key_size(m);
	uint32_t vs = bvc_rt_map_value_size(m);
	uint8_t *key, *next, *val;
	size_t shown = 0, zero = 0, total = 0;
	uint64_t lost = 0;
	int n = 0, have;

	printf("map %s: %s key %u value %u max_entries %u\n", bvc_rt_map_name(m),
	       bvc_map_type_name(type), ks, vs, bvc_rt_map_max_entries(m));
	switch (type) {
	case BPF_MAP_TYPE_RINGBUF:
		bvc_rt_ringbuf_consume(m, rb_record, &n);
		printf("  %d record%s\n", n, n == 1 ? "" : "s");
		return;
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
		bvc_rt_perf_consume(m, print_record, &n, &lost);
		printf("  %d record%s, %llu lost\n", n, n == 1 ? "" : "s", (unsigned long long)lost);
		return;
	case BPF_MAP_TYPE_PROG_ARRAY:
		for (uint32_t k = 0; k < bvc_rt_map_max_entries(m); k++) {
			const char *pn = bvc_rt_prog_slot(prog, m, k);

			if (pn) {
				printf("  [%u] = %s\n", k, pn);
				n++;
			}
		}
		if (!n)
			printf("  (every slot empty)\n");
		return;
	}
	key = calloc(1, ks);
	next = calloc(1, ks);
	val = calloc(1, vs);
	if (!key || !next || !val) {
		printf("  (out of memory)\n");
		goto out;
	}
	for (have = 0; !bvc_rt_map_next_key(m, have ? key : NULL, next); have = 1) {
		memcpy(key, next, ks);
		if (bvc_rt_map_lookup(m, key, val))
			continue;
		total++;
		/* Arrays have every element: show the ones that say something. */
		if (type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY) {
			if (is_zero(val, vs)) {
				zero++;
				continue;
			}
			if (shown == ARRAY_SHOWN) {
				printf("  ...\n");
				shown++;
			}
			if (shown > ARRAY_SHOWN)
				continue;
		}
		shown++;
		printf("  ");
		print_hex(key, ks);
		printf(" -> ");
		print_hex(val, vs);
		putchar('\n');
	}
	if (type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY)
		printf("  %zu element%s, %zu zero not shown\n", total, total == 1 ? "" : "s", zero);
	else
		printf("  %zu entr%s\n", total, total == 1 ? "y" : "ies");
out:
	free(key);
	free(next);
	free(val);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pubkey", required_argument, NULL, 'k' },
		{ "packet", required_argument, NULL, 'p' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "dump-maps", no_argument, NULL, 'd' },
		{ "interp", no_argument, NULL, 'i' },
		{ "btf", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bvc_rt_opts ropts = { .sz = sizeof(ropts) };
	const char *blob_path, *key_path = NULL, *packet_path = NULL;
	struct bvc_rt_prog *prog = NULL;
	struct bvc_rt_ctx *ctx = NULL;
	struct bvc_key *key = NULL;
	uint8_t *input = NULL;
	size_t input_len = 0, i;
	uint64_t repeat = 1, r0 = 0, t0, *times = NULL;
	int c, dump = 0, ret = EXIT_REFUSED, rc, repeat_set = 0;
	const char *name;
	char err[512] = "";
	char *end;

	while ((c = getopt_long(argc, argv, "k:p:r:dih", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key_path = optarg; break;
		case 'p': packet_path = optarg; break;
		case 'r':
			errno = 0;
			repeat = strtoull(optarg, &end, 10);
			if (errno || *end || !repeat || repeat > 100000000u || optarg[0] == '-') {
				fprintf(stderr, "bpfvc-run: --repeat %s: expected 1..100000000\n", optarg);
				return EXIT_REFUSED;
			}
			repeat_set = 1;
			break;
		case 'd': dump = 1; break;
		case 'i': ropts.force_interp = 1; break;
		case 'b': ropts.kernel_btf = optarg; break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_RAN;
		default:
			fputs(usage, stderr);
			return EXIT_REFUSED;
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return EXIT_REFUSED;
	}
	blob_path = argv[optind];
	if (!key_path) {
		fprintf(stderr, "bpfvc-run: %s: --pubkey KEY.pub is required: unsigned blobs are refused\n",
			blob_path);
		return EXIT_REFUSED;
	}
	if (bvc_signer_load_public(key_path, &key, err, sizeof(err))) {
		fprintf(stderr, "bpfvc-run: %s\n", err);
		return EXIT_REFUSED;
	}
	if (packet_path && read_input(packet_path, &input, &input_len))
		goto out;

	ropts.log = print_line;
	ropts.trace = print_line;
	ropts.user = "bpfvc-run: ";
	t0 = now_ns();
	rc = bvc_rt_open_file(blob_path, key, &ropts, &prog, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "bpfvc-run: %s\n", err);
		goto out;
	}
	printf("load: %llu us (%s)\n", (unsigned long long)((now_ns() - t0 + 500) / 1000),
	       bvc_rt_prog_is_native(prog) ? "native" : "interpreter");
	/* From here on trace_printk lines are the program's, not ours. */
	ropts.user = "";

	rc = bvc_rt_ctx_new(bvc_rt_prog_type(prog), input, input_len, &ctx, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "bpfvc-run: %s: %s\n", packet_path ? packet_path : blob_path, err);
		goto out;
	}
	times = malloc(repeat * sizeof(*times));
	if (!times) {
		fprintf(stderr, "bpfvc-run: out of memory for %llu runs\n", (unsigned long long)repeat);
		goto out;
	}
	for (i = 0; i < repeat; i++) {
		uint64_t a, b;

		if (i)
			bvc_rt_ctx_reset(ctx);
		a = now_ns();
		rc = bvc_rt_run(prog, ctx, &r0, err, sizeof(err));
		b = now_ns();
		if (rc) {
			fprintf(stderr, "bpfvc-run: %s: %s: %s\n", blob_path, bvc_rt_prog_name(prog), err);
			ret = EXIT_FAULT;
			goto out;
		}
		times[i] = b - a;
	}
	name = r0_name(bvc_rt_prog_type(prog), r0);
	if (name)
		printf("r0 = %llu (%s)\n", (unsigned long long)r0, name);
	else
		printf("r0 = %llu (0x%llx)\n", (unsigned long long)r0, (unsigned long long)r0);
	if (repeat_set) {
		qsort(times, repeat, sizeof(*times), cmp_u64);
		printf("run: %llu ns (median of %llu run%s)\n",
		       (unsigned long long)(repeat % 2 ? times[repeat / 2]
							: (times[repeat / 2 - 1] + times[repeat / 2]) / 2),
		       (unsigned long long)repeat, repeat == 1 ? "" : "s");
	}
	if (dump)
		for (i = 0; i < bvc_rt_prog_map_cnt(prog); i++)
			dump_map(prog, bvc_rt_prog_map(prog, i));
	ret = EXIT_RAN;
out:
	free(times);
	bvc_rt_ctx_free(ctx);
	bvc_rt_prog_free(prog);
	bvc_signer_key_free(key);
	free(input);
	return ret;
}
