// SPDX-License-Identifier: MIT
/*
 * thumb_dump OUT.bin: the thumbv7m code (literal pools left out) of every
 * conformance vector the back end compiles and of GEN_SEEDS random
 * programs, one after the other, for reassemble.sh to disassemble and
 * assemble again with the M-profile assembler. Prints how many programs
 * and bytes it wrote. Exit 2 on any failure.
 *
 * Must not: skip a program the back end refuses without saying so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conformance.h"
#include "emu.h"
#include "gen.h"

#define GEN_SEEDS 300

static int put(FILE *f, const struct bvc_jit_result *jit, size_t *bytes)
{
	size_t n = jit->code_size - 8 * jit->reloc_cnt; /* the pool is last */

	for (size_t k = 0; k < jit->reloc_cnt; k++)
		if (jit->relocs[k].offset < n)
			return -1;
	*bytes += n;
	return fwrite(jit->code, 1, n, f) == n ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct bvc_conf_case *cases;
	size_t n, progs = 0, bytes = 0;
	struct bvc_jit_result jit;
	char err[256], why[512];
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: thumb_dump OUT.bin\n");
		return 2;
	}
	f = fopen(argv[1], "wb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	n = bvc_conf_list(BVC_CONFORMANCE_DIR, calloc, &cases);
	for (size_t i = 0; i < n; i++) {
		struct bvc_conf_vector v;
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", BVC_CONFORMANCE_DIR, cases[i].name);
		if (bvc_conf_parse(path, &v, why, sizeof(why))) {
			fprintf(stderr, "%s: %s\n", cases[i].name, why);
			return 2;
		}
		if (v.callx || v.has_error) {
			bvc_conf_free(&v);
			continue;
		}
		if (emu_compile((const struct bvc_insn *)v.code, v.code_len / 8, 512, &jit, err,
				sizeof(err)) ||
		    put(f, &jit, &bytes)) {
			fprintf(stderr, "%s: %s\n", cases[i].name, err[0] ? err : "write failed");
			return 2;
		}
		emu_release(&jit);
		bvc_conf_free(&v);
		progs++;
	}
	free(cases);
	for (uint64_t seed = 1; seed <= GEN_SEEDS; seed++) {
		struct gen_prog p;

		if (gen_program(seed, &p) ||
		    emu_compile(p.insns, p.cnt, GEN_STACK_DEPTH, &jit, err, sizeof(err)) ||
		    put(f, &jit, &bytes)) {
			fprintf(stderr, "seed %llu: %s\n", (unsigned long long)seed, err);
			return 2;
		}
		emu_release(&jit);
		gen_release(&p);
		progs++;
	}
	if (fclose(f)) {
		perror(argv[1]);
		return 2;
	}
	printf("%zu programs, %zu bytes of code\n", progs, bytes);
	return 0;
}
