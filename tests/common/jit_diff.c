// SPDX-License-Identifier: MIT
/*
 * Differential test: random programs (tests/jitter_arm64/gen.c) run on the
 * reference interpreter and, compiled by one back end, in unicorn; r0 and
 * every byte of the buffer must agree. Seeds are fixed, so a failure names
 * the seed that reproduces it. Compiled into each back end's emulator
 * suite, as jit_conformance.c is (BVC_JIT_SUITE, BVC_JIT_EMU_H), with its
 * program count BVC_JIT_DIFF_CHUNKS hundreds; BVC_JIT_DIFF_PROGRAMS=N in
 * the environment runs N instead (rounded up to 100s).
 *
 * Must not: accept a program the interpreter faults on (that is a bug in
 * the generator and would hide JIT bugs) or compare anything that depends
 * on where memory is.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include BVC_JIT_EMU_H
#include "gen.h"

#define SUITE_(s, x) s##_##x
#define SUITE(s, x) SUITE_(s, x)
#define STR_(s) #s
#define STR(s) STR_(s)

#define PER_CHUNK 100

struct chunk {
	uint64_t first; /* first seed */
	unsigned int count;
};

static void free_params(struct criterion_test_params *ctp)
{
	cr_free(ctp->params);
}

ParameterizedTestParameters(SUITE(BVC_JIT_SUITE, diff), random_programs)
{
	const char *env = getenv("BVC_JIT_DIFF_PROGRAMS");
	int chunks = env && atoi(env) > 0 ? (atoi(env) + PER_CHUNK - 1) / PER_CHUNK
						 : BVC_JIT_DIFF_CHUNKS;
	struct chunk *c = cr_calloc((size_t)chunks, sizeof(*c));
	int k;

	for (k = 0; k < chunks; k++) {
		c[k].first = 1 + (uint64_t)k * PER_CHUNK;
		c[k].count = PER_CHUNK;
	}
	return cr_make_param_array(struct chunk, c, (size_t)chunks, free_params);
}

/* Run program @seed both ways; 0 when they agree, else -1 with @why. */
static int diff_one(uint64_t seed, char *why, size_t whysz, unsigned int *insns, unsigned int *funcs)
{
	static uint8_t mem_i[GEN_MEM_SIZE], mem_j[GEN_MEM_SIZE];
	struct bvc_interp_region region;
	struct bvc_interp_opts opts;
	struct bvc_jit_result jit;
	struct gen_prog p;
	struct emu_run run;
	uint64_t r0 = 0;
	char err[256];
	int rc, ret = -1;
	size_t k;

	if (gen_program(seed, &p)) {
		snprintf(why, whysz, "seed %llu: out of memory", (unsigned long long)seed);
		return -1;
	}
	*insns = (unsigned int)p.cnt;
	*funcs = p.funcs;
	memcpy(mem_i, p.mem, sizeof(mem_i));
	memcpy(mem_j, p.mem, sizeof(mem_j));

	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	region.base = (uint64_t)(uintptr_t)mem_i;
	region.size = sizeof(mem_i);
	region.writable = 1;
	opts.regions = &region;
	opts.region_cnt = 1;
	opts.helper = gen_helper;
	opts.max_steps = 1u << 22;
	opts.packet.data = p.packet;
	opts.packet.len = sizeof(p.packet);
	rc = bvc_interp_run(p.insns, p.cnt, region.base, sizeof(mem_i), &opts, &r0, err, sizeof(err));
	if (rc) {
		snprintf(why, whysz, "seed %llu: the interpreter faults (generator bug): %s",
			 (unsigned long long)seed, err);
		goto out;
	}

	rc = emu_compile(p.insns, p.cnt, GEN_STACK_DEPTH, &jit, err, sizeof(err));
	if (rc) {
		snprintf(why, whysz, "seed %llu: JIT rc %d: %s", (unsigned long long)seed, rc, err);
		goto out;
	}
	memset(&run, 0, sizeof(run));
	run.jit = &jit;
	run.mem = mem_j;
	run.mem_len = sizeof(mem_j);
	run.arg1 = EMU_MEM;
	run.arg2 = sizeof(mem_j);
	run.helper = gen_helper;
	run.packet = p.packet;
	run.packet_len = sizeof(p.packet);
	rc = emu_run(&run);
	emu_release(&jit);
	if (rc) {
		snprintf(why, whysz, "seed %llu: %s", (unsigned long long)seed, run.err);
		goto out;
	}
	if (run.r0 != r0) {
		snprintf(why, whysz, "seed %llu: r0 0x%llx (" STR(BVC_JIT_SUITE) ") != 0x%llx (interpreter)",
			 (unsigned long long)seed, (unsigned long long)run.r0, (unsigned long long)r0);
		goto out;
	}
	for (k = 0; k < sizeof(mem_i); k++) {
		if (mem_i[k] != mem_j[k]) {
			snprintf(why, whysz, "seed %llu: buffer byte %zu: 0x%02x (" STR(BVC_JIT_SUITE) ") != 0x%02x (interpreter)",
				 (unsigned long long)seed, k, mem_j[k], mem_i[k]);
			goto out;
		}
	}
	ret = 0;
out:
	gen_release(&p);
	return ret;
}

ParameterizedTest(struct chunk *c, SUITE(BVC_JIT_SUITE, diff), random_programs)
{
	unsigned long long insns_total = 0;
	unsigned int k, agree = 0, insns, funcs, multi = 0;
	char why[512];

	for (k = 0; k < c->count; k++) {
		if (diff_one(c->first + k, why, sizeof(why), &insns, &funcs)) {
			cr_expect_fail("%s", why);
			continue;
		}
		agree++;
		insns_total += insns;
		multi += funcs > 1;
	}
	cr_log_info(STR(BVC_JIT_SUITE) " differential: seeds %llu..%llu: %u/%u programs agree (%llu insns, %u with bpf-to-bpf calls)",
		    (unsigned long long)c->first, (unsigned long long)(c->first + c->count - 1), agree,
		    c->count, insns_total, multi);
	cr_assert_eq(agree, c->count);
}
