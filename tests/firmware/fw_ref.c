// SPDX-License-Identifier: MIT
/*
 * fw_ref: what the mps2-an386 firmware must print, from the host's
 * runtime. Loads a thumbv7m blob with bvc_runtime (which runs a blob for
 * another CPU on its reference interpreter), runs it on the firmware's
 * packets (runtime/baremetal/fw_inputs.h) with the maps kept across
 * runs, and prints the firmware's lines:
 *   trace: LINE        (the program's bpf_trace_printk)
 *   run NAME: r0 = V
 *   map NAME: KEYHEX -> VALUEHEX
 * (map lines in the runtime's order: the test sorts both sides).
 *
 *   fw_ref OUT.bvc KEY.pub
 * Exit 0, or 2 with one line on stderr.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bpfvc/runtime.h"
#include "bpfvc/signer.h"
#include "fw_inputs.h"

static void trace_line(void *user, const char *line)
{
	(void)user;
	printf("trace: %s\n", line);
}

static void hex(const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

int main(int argc, char **argv)
{
	struct bvc_rt_opts opts = { .sz = sizeof(opts), .trace = trace_line };
	struct bvc_rt_prog *prog = NULL;
	struct bvc_key *key = NULL;
	char err[512];
	int ret = 2;

	if (argc != 3) {
		fprintf(stderr, "usage: fw_ref OUT.bvc KEY.pub\n");
		return 2;
	}
	if (bvc_signer_load_public(argv[2], &key, err, sizeof(err)) ||
	    bvc_rt_open_file(argv[1], key, &opts, &prog, err, sizeof(err))) {
		fprintf(stderr, "fw_ref: %s\n", err);
		goto out;
	}
	for (size_t i = 0; i < FW_NINPUTS; i++) {
		struct bvc_rt_ctx *ctx;
		uint64_t r0;

		if (bvc_rt_ctx_new(bvc_rt_prog_type(prog), fw_inputs[i].data, fw_inputs[i].len,
				   &ctx, err, sizeof(err)) ||
		    bvc_rt_run(prog, ctx, &r0, err, sizeof(err))) {
			fprintf(stderr, "fw_ref: %s: %s\n", fw_inputs[i].name, err);
			goto out;
		}
		bvc_rt_ctx_free(ctx);
		printf("run %s: r0 = %llu\n", fw_inputs[i].name, (unsigned long long)r0);
	}
	for (size_t i = 0; i < bvc_rt_prog_map_cnt(prog); i++) {
		struct bvc_rt_map *m = bvc_rt_prog_map(prog, i);
		uint32_t ks = bvc_rt_map_key_size(m), vs = bvc_rt_map_value_size(m);
		uint8_t *k = calloc(1, ks), *next = calloc(1, ks), *val = calloc(1, vs);
		int have = 0;

		if (!k || !next || !val) {
			fprintf(stderr, "fw_ref: out of memory\n");
			goto out;
		}
		for (; !bvc_rt_map_next_key(m, have ? k : NULL, next); have = 1) {
			for (uint32_t b = 0; b < ks; b++)
				k[b] = next[b];
			if (bvc_rt_map_lookup(m, k, val))
				continue;
			printf("map %s: ", bvc_rt_map_name(m));
			hex(k, ks);
			printf(" -> ");
			hex(val, vs);
			printf("\n");
		}
		free(k);
		free(next);
		free(val);
	}
	ret = 0;
out:
	bvc_rt_prog_free(prog);
	bvc_signer_key_free(key);
	return ret;
}
