// SPDX-License-Identifier: MIT
/*
 * bvc-gen-raw A:B DIR: the generator's programs for seeds A..B-1 that use
 * no map, written as raw bytecode to DIR/TYPE/gen-SEED.bin (TYPE as
 * `bpfvc verify --type` spells it), so cluster_check.sh can give them to
 * `bpfvc verify -w N` (raw bytecode carries no maps). Prints how many it
 * wrote of how many.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpfvc/image.h"
#include "corpus.h"

static int uses_map(const struct cp_gen_prog *gp)
{
	for (size_t i = 0; i + 1 < gp->cnt; i++)
		if (bvc_insn_is_ld_imm64(&gp->insns[i]) &&
		    (gp->insns[i].src == BVC_PSEUDO_MAP_IDX || gp->insns[i].src == BVC_PSEUDO_MAP_IDX_VALUE))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long from, to, wrote = 0;
	char path[4096];

	if (argc != 3 || sscanf(argv[1], "%llu:%llu", &from, &to) != 2 || to < from) {
		fprintf(stderr, "usage: bvc-gen-raw A:B DIR\n");
		return 2;
	}
	if (mkdir(argv[2], 0755) && errno != EEXIST) {
		perror(argv[2]);
		return 2;
	}
	for (unsigned long long seed = from; seed < to; seed++) {
		struct cp_gen_prog gp;
		const char *type;
		FILE *f;

		if (cp_gen_program(seed, &gp))
			return fprintf(stderr, "bvc-gen-raw: seed %llu: no program\n", seed), 2;
		type = bvc_prog_type_name((uint32_t)gp.prog_type);
		if (!type || uses_map(&gp)) {
			free(gp.insns);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", argv[2], type);
		if (mkdir(path, 0755) && errno != EEXIST) {
			perror(path);
			return 2;
		}
		snprintf(path, sizeof(path), "%s/%s/gen-%llu.bin", argv[2], type, seed);
		f = fopen(path, "wb");
		if (!f || fwrite(gp.insns, sizeof(*gp.insns), gp.cnt, f) != gp.cnt || fclose(f)) {
			perror(path);
			return 2;
		}
		free(gp.insns);
		wrote++;
	}
	printf("bvc-gen-raw: %llu of %llu programs use no map\n", wrote, to - from);
	return 0;
}
