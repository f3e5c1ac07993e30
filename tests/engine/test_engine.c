// SPDX-License-Identifier: MIT
/*
 * The verifier engine, case by case: each case is a small program for one
 * rule (stack, spills, maps and NULL checks, packets, helpers, references,
 * calls, loops, return values, pointer arithmetic), the verdict and message
 * we expect, and the same program loaded into the running kernel, which
 * must give the same verdict (and, where marked, contain our message).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/verifier.h"
#include "common/insns.h"
#include "common/kernel_oracle.h"

#define MAXI 40

/* Maps every case may use: 0 hash(4 -> 8), 1 array(4 -> 16), 2 ringbuf. */
static const struct bvc_map case_maps[] = {
	{ .name = "hash", .type = BVC_MAP_HASH, .key_size = 4, .value_size = 8, .max_entries = 16 },
	{ .name = "array", .type = BVC_MAP_ARRAY, .key_size = 4, .value_size = 16, .max_entries = 4 },
	{ .name = "rb", .type = BVC_MAP_RINGBUF, .key_size = 0, .value_size = 0, .max_entries = 4096 },
};

struct engine_case {
	const char *name;
	uint32_t prog_type;
	struct bvc_insn insns[MAXI];
	size_t cnt;
	const char *msg;  /* NULL: accepted; else our message (exact) */
	int kernel_msg;   /* the kernel's log must contain @msg */
};

#define R0_0 I_MOV64_IMM(0, 0)
#define LD_MAP(r, idx) I_LD_IMM64_LO(r, BVC_PSEUDO_MAP_IDX, idx), I_LD_IMM64_HI(0)
#define KEY_ON_STACK I_ST(BVC_W, 10, -4, 0), I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -4)
#define LOOKUP(idx) KEY_ON_STACK, LD_MAP(1, idx), I_CALL(1)
#define SOCK 1
#define XDP 6
#define TC 3
#define CGSKB 8
#define KPROBE 2
#define XDP_DATA I_LDX(BVC_W, 2, 1, 0)
#define XDP_END I_LDX(BVC_W, 3, 1, 4)

static const struct engine_case cases[] = {
	/* Registers and the stack */
	{ "r0-uninit", SOCK, { I_EXIT() }, 1, "R0 !read_ok", 1 },
	{ "r2-uninit", SOCK, { I_MOV64_REG(0, 2), I_EXIT() }, 2, "R2 !read_ok", 1 },
	{ "spill-fill-ctx", SOCK, { I_STX(BVC_DW, 10, 1, -8), I_LDX(BVC_DW, 2, 10, -8),
	  I_LDX(BVC_W, 0, 2, 0), I_EXIT() }, 4, NULL, 0 },
	{ "partial-fill-of-pointer", SOCK, { I_STX(BVC_DW, 10, 1, -8), I_LDX(BVC_W, 2, 10, -8),
	  R0_0, I_EXIT() }, 4, "invalid size of register fill", 1 },
	{ "spill-through-moved-fp", SOCK, { I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -16),
	  I_STX(BVC_DW, 2, 1, 0), I_LDX(BVC_DW, 3, 10, -16), I_LDX(BVC_W, 0, 3, 0), I_EXIT() }, 6,
	  NULL, 0 },
	{ "overwrite-through-moved-fp", SOCK, { I_STX(BVC_DW, 10, 1, -16), I_MOV64_REG(2, 10),
	  I_ALU64_IMM(BVC_ADD, 2, -16), I_ST(BVC_W, 2, 0, 0), I_LDX(BVC_DW, 3, 10, -16),
	  I_LDX(BVC_W, 0, 3, 0), I_EXIT() }, 7, "R3 invalid mem access 'scalar'", 1 },
	{ "var-offset-stack-read", SOCK, { I_ST(BVC_DW, 10, -16, 0), I_ST(BVC_DW, 10, -8, 0),
	  I_LDX(BVC_B, 1, 1, 0), I_ALU64_IMM(BVC_AND, 1, 7), I_MOV64_REG(2, 10),
	  I_ALU64_IMM(BVC_ADD, 2, -16), I_ALU64_REG(BVC_ADD, 2, 1), I_LDX(BVC_B, 0, 2, 0), I_EXIT() }, 9,
	  NULL, 0 },
	{ "atomic-on-stack", SOCK, { I_MOV64_IMM(0, 1), I_STX(BVC_W, 10, 0, -8),
	  I_RAW(BVC_STX | BVC_ATOMIC | BVC_W, 10, 0, -8, BVC_ADD), I_LDX(BVC_W, 0, 10, -8), I_EXIT() }, 5,
	  NULL, 0 },
	{ "atomic-xchg-fills-pointer", SOCK, { I_STX(BVC_DW, 10, 1, -8), I_MOV64_IMM(2, 0),
	  I_RAW(BVC_STX | BVC_ATOMIC | BVC_DW, 10, 2, -8, BVC_XCHG), I_ALU64_IMM(BVC_AND, 2, 3), R0_0,
	  I_EXIT() }, 6, "R2 bitwise operator &= on pointer prohibited", 1 },
	{ "array-const-key-non-null", SOCK, { LOOKUP(1), I_LDX(BVC_DW, 0, 0, 0), I_EXIT() }, 8, NULL, 0 },
	{ "array-key-out-of-range", SOCK, { I_ST(BVC_W, 10, -4, 4), I_MOV64_REG(2, 10),
	  I_ALU64_IMM(BVC_ADD, 2, -4), LD_MAP(1, 1), I_CALL(1), I_LDX(BVC_DW, 0, 0, 0), I_EXIT() }, 8,
	  "R0 invalid mem access 'map_value_or_null'", 1 },
	{ "uninit-stack-read-privileged", SOCK, { I_LDX(BVC_DW, 0, 10, -8), I_EXIT() }, 2, NULL, 0 },
	{ "stack-out-of-bounds", SOCK, { I_ST(BVC_DW, 10, -520, 0), R0_0, I_EXIT() }, 3,
	  "invalid write to stack R10 off=-520 size=8", 1 },
	{ "stack-above-fp", SOCK, { I_ST(BVC_DW, 10, 0, 0), R0_0, I_EXIT() }, 3,
	  "invalid write to stack R10 off=0 size=8", 1 },
	{ "misaligned-stack", SOCK, { I_ST(BVC_W, 10, -6, 0), R0_0, I_EXIT() }, 3,
	  "misaligned stack access off 0+0+-6 size 4", 1 },
	{ "scalar-deref", SOCK, { I_MOV64_IMM(1, 0), I_LDX(BVC_DW, 0, 1, 0), I_EXIT() }, 3,
	  "R1 invalid mem access 'scalar'", 1 },
	/* Maps and NULL checks */
	{ "lookup-no-null-check", SOCK, { LOOKUP(0), I_LDX(BVC_DW, 0, 0, 0), I_EXIT() }, 8,
	  "R0 invalid mem access 'map_value_or_null'", 1 },
	{ "lookup-null-checked", SOCK, { LOOKUP(0), I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_LDX(BVC_DW, 0, 0, 0),
	  I_EXIT() }, 9, NULL, 0 },
	{ "lookup-value-oob", SOCK, { LOOKUP(0), I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_LDX(BVC_DW, 0, 0, 4),
	  I_EXIT() }, 9, "invalid access to map value, value_size=8 off=4 size=8", 1 },
	{ "lookup-var-index-bounded", SOCK, { LOOKUP(1), I_JMP_IMM(BVC_JEQ, 0, 0, 5),
	  I_LDX(BVC_B, 1, 0, 0), I_ALU64_IMM(BVC_AND, 1, 7), I_ALU64_REG(BVC_ADD, 0, 1),
	  I_LDX(BVC_DW, 0, 0, 0), I_EXIT(), I_EXIT() }, 13, NULL, 0 },
	{ "lookup-var-index-unbounded", SOCK, { LOOKUP(1), I_JMP_IMM(BVC_JEQ, 0, 0, 5),
	  I_LDX(BVC_B, 1, 0, 0), I_ALU64_IMM(BVC_AND, 1, 15), I_ALU64_REG(BVC_ADD, 0, 1),
	  I_LDX(BVC_DW, 0, 0, 0), I_EXIT(), I_EXIT() }, 13,
	  "invalid access to map value, value_size=16 off=15 size=8", 1 },
	{ "lookup-key-not-pointer", SOCK, { I_MOV64_IMM(2, 0), LD_MAP(1, 0), I_CALL(1), R0_0, I_EXIT() }, 6,
	  "R2 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value", 1 },
	{ "arith-on-maybe-null", SOCK, { LOOKUP(0), I_ALU64_IMM(BVC_ADD, 0, 8), R0_0, I_EXIT() }, 9,
	  "R0 pointer arithmetic on map_value_or_null prohibited, null-check it first", 1 },
	/* Packets */
	{ "pkt-no-bounds-check", XDP, { XDP_DATA, I_LDX(BVC_B, 0, 2, 0), I_EXIT() }, 3,
	  "invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)", 1 },
	{ "pkt-bounds-checked", XDP, { XDP_DATA, XDP_END, I_MOV64_REG(4, 2), I_ALU64_IMM(BVC_ADD, 4, 14),
	  I_JMP_REG(BVC_JGT, 4, 3, 2), I_LDX(BVC_H, 0, 2, 12), I_EXIT(), R0_0, I_EXIT() }, 9, NULL, 0 },
	{ "pkt-read-past-check", XDP, { XDP_DATA, XDP_END, I_MOV64_REG(4, 2), I_ALU64_IMM(BVC_ADD, 4, 14),
	  I_JMP_REG(BVC_JGT, 4, 3, 2), I_LDX(BVC_W, 0, 2, 12), I_EXIT(), R0_0, I_EXIT() }, 9,
	  "invalid access to packet, off=12 size=4, R2(id=0,off=12,r=14)", 1 },
	{ "pkt-end-deref", XDP, { XDP_END, I_LDX(BVC_B, 0, 3, 0), I_EXIT() }, 3,
	  "R3 invalid mem access 'pkt_end'", 1 },
	{ "pkt-write-cgroup-skb", CGSKB, { I_LDX(BVC_W, 2, 1, 76), I_LDX(BVC_W, 3, 1, 80),
	  I_MOV64_REG(4, 2), I_ALU64_IMM(BVC_ADD, 4, 1), I_JMP_REG(BVC_JGT, 4, 3, 1),
	  I_ST(BVC_B, 2, 0, 0), I_MOV64_IMM(0, 1), I_EXIT() }, 8, "cannot write into packet", 1 },
	/* Context */
	{ "ctx-bad-offset", XDP, { I_LDX(BVC_W, 0, 1, 100), I_EXIT() }, 2,
	  "invalid bpf_context access off=100 size=4", 1 },
	{ "ctx-modified", XDP, { I_ALU64_IMM(BVC_ADD, 1, 4), I_LDX(BVC_W, 0, 1, 0), I_EXIT() }, 3,
	  "dereference of modified ctx ptr R1 off=4 disallowed", 1 },
	/* Pointer arithmetic */
	{ "ptr-and", SOCK, { I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_AND, 2, 7), R0_0, I_EXIT() }, 4,
	  "R2 bitwise operator &= on pointer prohibited", 1 },
	{ "ptr-32bit-add", SOCK, { I_MOV64_REG(2, 10), I_ALU32_IMM(BVC_ADD, 2, 7), R0_0, I_EXIT() }, 4,
	  "R2 32-bit pointer arithmetic prohibited", 1 },
	{ "ptr-minus-ptr", SOCK, { I_MOV64_REG(2, 10), I_ALU64_REG(BVC_SUB, 2, 10),
	  I_MOV64_REG(0, 2), I_EXIT() }, 4, NULL, 0 },
	/* Helpers and references */
	{ "unknown-helper-for-type", XDP, { I_CALL(9), R0_0, I_EXIT() }, 3,
	  "program of this type cannot use helper bpf_skb_store_bytes#9", 1 },
	{ "ringbuf-leak", SOCK, { LD_MAP(1, 2), I_MOV64_IMM(2, 8), I_MOV64_IMM(3, 0), I_CALL(131),
	  R0_0, I_EXIT() }, 7, "Unreleased reference id=", 1 },
	{ "ringbuf-submit", SOCK, { LD_MAP(1, 2), I_MOV64_IMM(2, 8), I_MOV64_IMM(3, 0), I_CALL(131),
	  I_JMP_IMM(BVC_JEQ, 0, 0, 4), I_ST(BVC_DW, 0, 0, 7), I_MOV64_REG(1, 0), I_MOV64_IMM(2, 0),
	  I_CALL(132), R0_0, I_EXIT() }, 12, NULL, 0 },
	{ "ringbuf-oob-write", SOCK, { LD_MAP(1, 2), I_MOV64_IMM(2, 8), I_MOV64_IMM(3, 0), I_CALL(131),
	  I_JMP_IMM(BVC_JEQ, 0, 0, 4), I_ST(BVC_DW, 0, 4, 7), I_MOV64_REG(1, 0), I_MOV64_IMM(2, 0),
	  I_CALL(132), R0_0, I_EXIT() }, 12, "invalid access to memory, mem_size=8 off=4 size=8", 1 },
	{ "ringbuf-size-not-const", SOCK, { I_LDX(BVC_W, 2, 1, 0), LD_MAP(1, 2), I_MOV64_IMM(3, 0),
	  I_CALL(131), R0_0, I_EXIT() }, 7, "R2 is not a known constant'", 1 },
	/* Calls, loops, returns */
	{ "subprog-call", SOCK, { I_MOV64_IMM(1, 3), I_CALL_LOCAL(1), I_EXIT(),
	  I_MOV64_REG(0, 1), I_EXIT() }, 5, NULL, 0 },
	{ "subprog-returns-stack-pointer", SOCK, { I_CALL_LOCAL(1), I_EXIT(), I_MOV64_REG(0, 10),
	  I_EXIT() }, 4, "cannot return stack pointer to the caller", 1 },
	{ "subprog-returns-ctx", SOCK, { I_CALL_LOCAL(2), R0_0, I_EXIT(), I_MOV64_REG(0, 1), I_EXIT() }, 5,
	  NULL, 0 },
	{ "recursion", SOCK, { I_CALL_LOCAL(-1), R0_0, I_EXIT() }, 3,
	  "the call stack of 9 frames is too deep !", 0 },
	{ "bounded-loop", SOCK, { R0_0, I_ALU64_IMM(BVC_ADD, 0, 1), I_JMP_IMM(BVC_JLT, 0, 10, -2),
	  I_EXIT() }, 4, NULL, 0 },
	{ "infinite-loop", SOCK, { I_MOV64_REG(0, 1), I_MOV64_REG(2, 0), I_MOV64_REG(3, 0),
	  I_JMP_IMM(BVC_JEQ, 1, 0, -3), I_EXIT() }, 5, "infinite loop detected at insn", 1 },
	{ "unreachable", SOCK, { R0_0, I_EXIT(), R0_0, I_EXIT() }, 4, "unreachable insn 2", 1 },
	{ "dead-branch-write-fp", SOCK, { R0_0, I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_MOV64_IMM(10, 0),
	  I_EXIT() }, 4, NULL, 0 },
	{ "cgroup-skb-retval", CGSKB, { I_MOV64_IMM(0, 5), I_EXIT() }, 2,
	  "At program exit the register R0 has", 1 },
	{ "ld-abs", SOCK, { I_MOV64_REG(6, 1), I_RAW(BVC_LD | BVC_ABS | BVC_H, 0, 0, 0, 12), I_EXIT() }, 3,
	  NULL, 0 },
	{ "ld-abs-xdp", XDP, { I_MOV64_REG(6, 1), I_RAW(BVC_LD | BVC_ABS | BVC_H, 0, 0, 0, 12), I_EXIT() },
	  3, "BPF_LD_[ABS|IND] instructions not allowed for this program type", 1 },
	{ "too-large", SOCK, { R0_0, I_ALU64_IMM(BVC_ADD, 0, 1), I_JMP_IMM(BVC_JLT, 0, 0x7fffffff, -2),
	  I_EXIT() }, 4, "BPF program is too large. Processed 1000001 insn", 1 },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static struct bvc_image *case_image(const struct engine_case *c)
{
	struct bvc_image *img = NULL;

	cr_assert_eq(bvc_image_from_raw(c->insns, c->cnt, c->prog_type, c->name, &img), 0);
	snprintf(img->license, sizeof(img->license), "GPL");
	img->maps = calloc(3, sizeof(*img->maps));
	cr_assert_not_null(img->maps);
	memcpy(img->maps, case_maps, sizeof(case_maps));
	img->map_cnt = 3;
	return img;
}

Test(engine, cases)
{
	for (size_t k = 0; k < NCASES; k++) {
		const struct engine_case *c = &cases[k];
		struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 1000000 };
		struct bvc_image *img = case_image(c);
		struct bvc_verdict v;

		cr_assert_eq(bvc_verify(img, &img->progs[0], &opts, &v), 0, "%s", c->name);
		if (!c->msg) {
			cr_expect_eq(v.kind, BVC_ACCEPT, "%s: rejected at %zu: %s", c->name, v.insn, v.msg);
		} else {
			/* Rejected as unsafe: not accepted, not refused as
			 * unsupported, not an internal error. */
			cr_expect_eq(v.kind, BVC_REJECT, "%s: %s: %s", c->name,
				     bvc_verdict_kind_name(v.kind), v.msg);
			cr_expect(!strncmp(v.msg, c->msg, strlen(c->msg)), "%s: '%s', expected '%s'",
				  c->name, v.msg, c->msg);
		}
		bvc_verdict_release(&v);
		bvc_image_free(img);
	}
}

/* The same programs through the real verifier: the same verdict, and
 * where marked the kernel's log holds our message. */
Test(engine, kernel_agrees)
{
	struct bvc_kernel_result *r = malloc(sizeof(*r));

	cr_assert_not_null(r);
	for (size_t k = 0; k < NCASES; k++) {
		const struct engine_case *c = &cases[k];
		struct bvc_image *img = case_image(c);

		bvc_kernel_load_prog(img, &img->progs[0], 1, r);
		bvc_image_free(img);
		if (!r->available) {
			free(r);
			cr_skip_test("bpf(BPF_PROG_LOAD) not permitted here: kernel oracle unavailable");
		}
		if (!c->msg) {
			cr_expect(r->accepted, "%s: kernel rejected: %.400s", c->name, r->log);
			continue;
		}
		cr_expect(!r->accepted, "%s: kernel accepted", c->name);
		if (c->kernel_msg)
			cr_expect(strstr(r->log, c->msg), "%s: kernel said '%.600s', we say '%s'", c->name,
				  r->log, c->msg);
	}
	free(r);
}

/*
 * Pruning, counted: the processed instructions of programs built for one
 * pruning rule each, which Linux 6.18.44 processed in as many (printed
 * beside ours, for information: the count asserted is ours).
 */
struct prune_case {
	const char *name;
	struct bvc_insn insns[MAXI];
	size_t cnt;
	uint64_t processed; /* ours, and the kernel's when written */
};

static const struct prune_case prune_cases[] = {
	/* fp-8 holds ctx on one path and a scalar on the other, and is
	 * read only behind a branch no path takes (r0 is 0 after the
	 * call): statically live, never read. The second path is pruned at
	 * the call (9) - before read marks, it ran to its end (39). */
	{ "caller-slot-never-read", {
		I_MOV64_REG(6, 1), I_MOV64_IMM(7, 0), I_MOV64_IMM(7, 0), I_MOV64_IMM(7, 0),
		I_CALL(7), I_JMP_IMM(BVC_JEQ, 0, 0, 2), I_STX(BVC_DW, 10, 6, -8), I_JA(1),
		I_ST(BVC_DW, 10, -8, 0),
		I_CALL_LOCAL(5), I_JMP_IMM(BVC_JNE, 0, 0, 2), R0_0, I_EXIT(),
		I_LDX(BVC_DW, 0, 10, -8), I_EXIT(),
		I_MOV64_IMM(2, 0), I_MOV64_IMM(2, 0), I_MOV64_IMM(2, 0), I_MOV64_IMM(2, 0),
		I_CALL(7), I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_MOV64_IMM(1, 1), R0_0, I_EXIT() }, 24, 24 },
	/* ctx in fp-8 on both paths, which differ in a dead slot: the
	 * comparison summary (a tested slot holding a pointer) must let
	 * the second path be pruned at the join. */
	{ "pointer-slot-on-both-paths", {
		I_MOV64_REG(6, 1), I_STX(BVC_DW, 10, 6, -8), I_MOV64_IMM(7, 0), I_MOV64_IMM(7, 0),
		I_CALL(7), I_JMP_IMM(BVC_JEQ, 0, 0, 2), I_ST(BVC_DW, 10, -16, 1), I_JA(1),
		I_ST(BVC_DW, 10, -16, 2),
		I_LDX(BVC_DW, 1, 10, -8), I_LDX(BVC_W, 0, 1, 0), R0_0, I_EXIT() }, 13, 14 },
};

Test(engine, prune_counts)
{
	struct bvc_kernel_result *r = malloc(sizeof(*r));

	cr_assert_not_null(r);
	for (size_t k = 0; k < sizeof(prune_cases) / sizeof(prune_cases[0]); k++) {
		const struct prune_case *c = &prune_cases[k];
		struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 1000000 };
		struct bvc_image *img = NULL;
		struct bvc_verdict v;
		const char *kp;

		cr_assert_eq(bvc_image_from_raw(c->insns, c->cnt, SOCK, c->name, &img), 0);
		snprintf(img->license, sizeof(img->license), "GPL");
		cr_assert_eq(bvc_verify(img, &img->progs[0], &opts, &v), 0, "%s", c->name);
		cr_expect_eq(v.kind, BVC_ACCEPT, "%s: %s", c->name, v.msg);
		cr_expect_eq(v.processed, c->processed, "%s: processed %llu, expected %llu", c->name,
			     (unsigned long long)v.processed, (unsigned long long)c->processed);
		bvc_kernel_load_prog(img, &img->progs[0], 4, r);
		if (r->available && (kp = strstr(r->log, "processed ")))
			cr_log_info("%s: ours %llu, kernel %.40s", c->name,
				    (unsigned long long)v.processed, kp);
		bvc_verdict_release(&v);
		bvc_image_free(img);
	}
	free(r);
}

/* The log at level 2 shows each instruction and ends with the stats line. */
Test(engine, log_stats_line)
{
	struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 1000000, .log_level = 6 };
	struct bvc_image *img = NULL;
	struct bvc_verdict v;

	for (size_t k = 0; k < NCASES; k++)
		if (!strcmp(cases[k].name, "bounded-loop"))
			img = case_image(&cases[k]);
	cr_assert_not_null(img);
	struct bvc_kernel_result *r = malloc(sizeof(*r));
	char stats[64];
	const char *k;

	cr_assert_not_null(r);
	cr_assert_eq(bvc_verify(img, &img->progs[0], &opts, &v), 0);
	cr_assert_not_null(v.log);
	cr_expect(strstr(v.log, "0: (b7) r0 = 0"), "%s", v.log);
	snprintf(stats, sizeof(stats), "processed %llu insns (limit 1000000)",
		 (unsigned long long)v.processed);
	cr_expect(strstr(v.log, stats), "%s", v.log);
	cr_expect(strstr(v.log, "verification time"), "%s", v.log);
	/* A loop whose counter decides the exit: we process what the kernel does. */
	bvc_kernel_load_prog(img, &img->progs[0], 4, r);
	if (r->available && (k = strstr(r->log, "processed "))) {
		snprintf(stats, sizeof(stats), "processed %llu insns", (unsigned long long)v.processed);
		cr_expect(!strncmp(k, stats, strlen(stats)), "kernel: %s, we: %s", k, stats);
	}
	free(r);
	bvc_verdict_release(&v);
	bvc_image_free(img);
}

/*
 * A log longer than opts.log_size keeps its end, as the kernel's rotating
 * log: the rejection and the stats line survive, and the bytes kept are
 * exactly the last log_size bytes of the whole log (the ring wraps at
 * sizes that do and do not divide it; a size of 1 keeps the final newline).
 */
Test(engine, log_keeps_its_end)
{
	/* 2,000 iterations at log level 2, then a read of an unset register. */
	static const struct bvc_insn insns[] = {
		I_MOV64_IMM(0, 0), I_ALU64_IMM(BVC_ADD, 0, 1), I_JMP_IMM(BVC_JLT, 0, 2000, -2),
		I_MOV64_REG(0, 2), I_EXIT(),
	};
	static const uint32_t sizes[] = { 1, 8, 1000, 4096, 65536 };
	struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 1000000, .log_level = 2 };
	struct bvc_verdict whole, v;
	struct bvc_image *img = NULL;
	char stats[96];
	const char *end;

	cr_assert_eq(bvc_image_from_raw(insns, 5, SOCK, "long-log", &img), 0);
	cr_assert_eq(bvc_verify(img, &img->progs[0], &opts, &whole), 0);
	cr_assert_eq(whole.kind, BVC_REJECT);
	cr_assert_str_eq(whole.msg, "R2 !read_ok");
	cr_assert_not_null(whole.log);
	cr_assert_eq(whole.log_true_len, whole.log_len, "nothing dropped at the default size");
	cr_assert_eq(strlen(whole.log), whole.log_len);
	cr_assert_gt(whole.log_len, 65536 * 2, "the test needs a log longer than its sizes");
	snprintf(stats, sizeof(stats), "R2 !read_ok\nprocessed %llu insns (limit 1000000)",
		 (unsigned long long)whole.processed);
	end = whole.log + whole.log_len;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		opts.log_size = sizes[i];
		cr_assert_eq(bvc_verify(img, &img->progs[0], &opts, &v), 0);
		cr_expect_eq(v.kind, BVC_REJECT);
		cr_expect_str_eq(v.msg, "R2 !read_ok");
		cr_expect_eq(v.processed, whole.processed);
		cr_assert_not_null(v.log);
		cr_expect_eq(v.log_len, sizes[i], "size %u: kept %zu", sizes[i], v.log_len);
		cr_expect_eq(strlen(v.log), v.log_len);
		cr_expect_eq(v.log_true_len, whole.log_len, "size %u", sizes[i]);
		cr_expect(!memcmp(v.log, end - v.log_len, v.log_len), "size %u: not the log's end",
			  sizes[i]);
		if (sizes[i] >= 1000)
			cr_expect(strstr(v.log, stats), "size %u: %s", sizes[i], v.log);
		bvc_verdict_release(&v);
	}
	/* As large as the log: all of it, nothing dropped. */
	opts.log_size = (uint32_t)whole.log_len;
	cr_assert_eq(bvc_verify(img, &img->progs[0], &opts, &v), 0);
	cr_expect_eq(v.log_len, whole.log_len);
	cr_expect_str_eq(v.log, whole.log);
	bvc_verdict_release(&v);
	bvc_verdict_release(&whole);
	bvc_image_free(img);
}

/* Fail-closed verdicts: the zero kind is "no verdict", so a verdict
 * nobody filled in (memset, calloc, an error path) is no acceptance;
 * bvc_verdict_accepted() is true for BVC_ACCEPT alone. */
Test(engine, a_zeroed_verdict_is_no_acceptance)
{
	struct bvc_verdict v, *heap = calloc(1, sizeof(*heap));

	memset(&v, 0, sizeof(v));
	cr_assert_not_null(heap);
	cr_expect_eq(v.kind, BVC_VERDICT_NONE);
	cr_expect_not(bvc_verdict_accepted(&v));
	cr_expect_not(bvc_verdict_accepted(heap));
	cr_expect_not(bvc_verdict_accepted(NULL));
	cr_expect_str_eq(bvc_verdict_kind_name(v.kind), "none");
	for (int k = BVC_VERDICT_NONE; k <= BVC_INTERNAL + 1; k++) {
		v.kind = (enum bvc_verdict_kind)k;
		cr_expect_eq(bvc_verdict_accepted(&v), k == BVC_ACCEPT, "kind %d", k);
	}
	free(heap);
}

/* The kind is set where the refusal is raised, whatever the words: an
 * unsafe program is BVC_REJECT, an instruction we do not model (arena's
 * addr_space_cast) BVC_UNSUPPORTED, a safe one BVC_ACCEPT. */
Test(engine, a_verdict_says_its_kind)
{
	static const struct bvc_insn unsafe[] = {
		{ .code = 0x79, .dst = 0, .src = 0 }, /* r0 = *(u64 *)(r0 + 0) */
		{ .code = 0x95 },
	};
	static const struct bvc_insn arena[] = {
		{ .code = 0xbf, .dst = 0, .src = 1, .off = 1, .imm = 1 }, /* addr_space_cast */
		{ .code = 0xb7 },
		{ .code = 0x95 },
	};
	static const struct bvc_insn safe[] = { { .code = 0xb7 }, { .code = 0x95 } };
	static const struct {
		const struct bvc_insn *insns;
		size_t n;
		enum bvc_verdict_kind kind;
		const char *msg;
	} kinds[] = {
		{ unsafe, 2, BVC_REJECT, "R0 !read_ok" },
		{ arena, 3, BVC_UNSUPPORTED, "unsupported: addr_space_cast" },
		{ safe, 2, BVC_ACCEPT, "" },
	};

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct bvc_verify_opts opts = { .sz = sizeof(opts) };
		struct bvc_image *img;
		struct bvc_verdict v;

		cr_assert_eq(bvc_image_from_raw(kinds[k].insns, kinds[k].n, BVC_PROG_SOCKET_FILTER,
						"t", &img), 0);
		cr_assert_eq(bvc_verify(img, &img->progs[0], &opts, &v), 0);
		cr_expect_eq(v.kind, kinds[k].kind, "case %zu: %s: %s", k,
			     bvc_verdict_kind_name(v.kind), v.msg);
		cr_expect(!strncmp(v.msg, kinds[k].msg, strlen(kinds[k].msg)), "case %zu: '%s'", k,
			  v.msg);
		bvc_verdict_release(&v);
		bvc_image_free(img);
	}
}
