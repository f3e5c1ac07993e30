// SPDX-License-Identifier: MIT
/*
 * Precision tracking (verifier/precise.c), case by case: backtracking
 * through ALU moves, spills and fills, calls and returns, linked scalars,
 * decided branches, helper sizes, return values and zero stack writes, and
 * each fallback. Every case states the facts we expect in our level-2 log
 * (which registers and slots a walk asks of which checkpoint) and, where
 * bpf() is permitted, is loaded into the running kernel: the verdict must
 * match and, unless the case says the kernel differs, so must every
 * "mark_precise:" line (the state dump after "parent state" aside).
 *
 * Soundness cases are programs whose second path would be wrongly pruned
 * if a walk missed a source: they must be rejected.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/engine.h"
#include "bpfvc/verifier.h"
#include "common/insns.h"
#include "common/kernel_oracle.h"

#define MAXI 48
#define SOCK 1
#define CGSKB 8
#define STATE_FREQ 8u /* BPF_F_TEST_STATE_FREQ: a checkpoint at every prune point */

struct prec_case {
	const char *name;
	uint32_t prog_type;
	uint32_t flags;
	struct bvc_insn insns[MAXI];
	size_t cnt;
	const char *reject;       /* NULL: accepted; else the start of our message */
	const char *facts[6];     /* lines our log must contain */
	int kernel_log_differs;   /* the kernel's walk is not ours (said why) */
};

/* r = an unknown u32 from the skb, r &= mask */
#define UNKNOWN(r, mask) I_LDX(BVC_W, r, 1, 0), I_ALU64_IMM(BVC_AND, r, mask)
/* *(u8 *)(fp - 16 + r) = 0: r must be precise and in 0..15 */
#define STACK_AT(r) I_MOV64_REG(9, 10), I_ALU64_IMM(BVC_ADD, 9, -16), I_ALU64_REG(BVC_ADD, 9, r), \
		    I_ST(BVC_B, 9, 0, 0)
#define RET0 I_MOV64_IMM(0, 0), I_EXIT()
#define LD_ABS_B(k) I_RAW(BVC_LD | BVC_ABS | BVC_B, 0, 0, 0, k)

static const struct prec_case cases[] = {
	/* A move chain: r8 comes from r7, which came from an immediate. */
	{ "alu-move-chain", SOCK, STATE_FREQ,
	  { I_MOV64_IMM(7, 3), UNKNOWN(2, 1), I_JMP_IMM(BVC_JEQ, 2, 0, 0), I_MOV64_REG(8, 7),
	    I_ALU64_IMM(BVC_ADD, 8, 1), STACK_AT(8), RET0 }, 12, NULL,
	  { "regs=r8 stack= before 5: (07) r8 += 1", "regs=r8 stack= before 4: (bf) r8 = r7",
	    "regs=r7 stack= before 3: (15) if r2 == 0x0 goto pc+0", "parent state regs=r7 stack=:" }, 0 },

	/* Through a spill and a fill of the stack. */
	{ "spill-fill", SOCK, STATE_FREQ,
	  { UNKNOWN(6, 7), I_STX(BVC_DW, 10, 6, -8), I_MOV64_IMM(6, 0), UNKNOWN(2, 1),
	    I_JMP_IMM(BVC_JEQ, 2, 0, 0), I_LDX(BVC_DW, 7, 10, -8), STACK_AT(7), RET0 }, 14, NULL,
	  { "regs=r7 stack= before 7: (79) r7 = *(u64 *)(r10 -8)", "parent state regs= stack=-8:",
	    "regs= stack=-8 before 2: (7b) *(u64 *)(r10 -8) = r6", "regs=r6 stack= before 1:" }, 0 },

	/* Over an ld_imm64: one step back, its second half never logged
	 * (issue #18: it printed as "BUG_ld_00"). */
	{ "over-ld-imm64", SOCK, STATE_FREQ,
	  { I_MOV64_IMM(7, 3), I_LD_IMM64_LO(1, 0, 0x1122334455667788ull),
	    I_LD_IMM64_HI(0x1122334455667788ull), STACK_AT(7), RET0 }, 9, NULL,
	  { "regs=r7 stack= before 3: (bf) r9 = r10\nmark_precise: frame0: regs=r7 stack= before 1: (18) r1 = 0x1122334455667788\n",
	    "regs=r7 stack= before 0: (b7) r7 = 3" }, 0 },

	/* A spill through a moved frame pointer is still a spill. */
	{ "spill-via-pointer", SOCK, STATE_FREQ,
	  { UNKNOWN(6, 7), I_MOV64_REG(3, 10), I_ALU64_IMM(BVC_ADD, 3, -24), I_STX(BVC_DW, 3, 6, 0),
	    UNKNOWN(2, 1), I_JMP_IMM(BVC_JEQ, 2, 0, 0), I_LDX(BVC_DW, 7, 10, -24), STACK_AT(7), RET0 },
	  15, NULL, { "regs= stack=-24 before 4: (7b) *(u64 *)(r3 +0) = r6" }, 0 },

	/* Soundness: two paths spill different constants; the fill's value is
	 * the offset. The 13 of the second path must not be pruned against
	 * the 3 of the first. */
	{ "spill-fill-sound", SOCK, 0,
	  { UNKNOWN(2, 1), I_JMP_IMM(BVC_JEQ, 2, 0, 3), I_MOV64_IMM(6, 3), I_STX(BVC_DW, 10, 6, -8),
	    I_JA(2), I_MOV64_IMM(6, 13), I_STX(BVC_DW, 10, 6, -8), I_MOV64_IMM(6, 0),
	    I_LDX(BVC_DW, 7, 10, -8), I_MOV64_REG(9, 10), I_ALU64_IMM(BVC_ADD, 9, -8),
	    I_ALU64_REG(BVC_ADD, 9, 7), I_ST(BVC_B, 9, 0, 0), RET0 }, 16,
	  "invalid write to stack R9 off=5 size=1",
	  { "regs= stack=-8 before 4: (7b) *(u64 *)(r10 -8) = r6", "regs=r6 stack= before 3: (b7) r6 = 3",
	    "regs= stack=-8 before 7: (7b) *(u64 *)(r10 -8) = r6", "regs=r6 stack= before 6: (b7) r6 = 13" },
	  0 },

	/* Calls and returns: r0 of the callee came from its r1, the caller's
	 * r1, an immediate. */
	{ "call-return", SOCK, STATE_FREQ,
	  { UNKNOWN(2, 1), I_JMP_IMM(BVC_JEQ, 2, 0, 0), I_MOV64_IMM(1, 5), I_CALL_LOCAL(6),
	    STACK_AT(0), RET0, I_MOV64_REG(0, 1), I_ALU64_IMM(BVC_ADD, 0, 2), I_EXIT() }, 14, NULL,
	  { "mark_precise: frame0: regs=r0 stack= before 13: (95) exit",
	    "mark_precise: frame1: regs=r0 stack= before 11: (bf) r0 = r1",
	    "mark_precise: frame1: parent state regs=r1 stack=:",
	    "mark_precise: frame1: regs=r1 stack= before 4: (85) call pc+6",
	    "mark_precise: frame0: regs=r1 stack= before 3: (b7) r1 = 5" }, 0 },

	/* Soundness: the callee's result depends on which constant the caller
	 * passed in r1. */
	{ "call-return-sound", SOCK, 0,
	  { UNKNOWN(2, 1), I_MOV64_IMM(1, 3), I_JMP_IMM(BVC_JEQ, 2, 0, 1), I_MOV64_IMM(1, 15),
	    I_CALL_LOCAL(6), STACK_AT(0), RET0, I_MOV64_REG(0, 1), I_ALU64_IMM(BVC_ADD, 0, 1),
	    I_EXIT() }, 15, "invalid write to stack R9 off=0 size=1", { NULL }, 0 },

	/* Linked scalars: r3 = r2 links them; the branch on r2 bounds r3, so
	 * a walk that needs r3 needs r2 too. */
	{ "linked-scalars", SOCK, STATE_FREQ,
	  { I_LDX(BVC_W, 2, 1, 0), I_MOV64_REG(3, 2), I_JMP_IMM(BVC_JGT, 2, 7, 4), STACK_AT(3), RET0 },
	  9, NULL,
	  { "regs=r3 stack= before 2: (25) if r2 > 0x7 goto pc+4", "parent state regs=r2,r3 stack=:",
	    "regs=r2,r3 stack= before 1: (bf) r3 = r2", "regs=r2 stack= before 0:" }, 0 },

	/* Soundness of the same: on the second path r3 is not r2's copy. */
	{ "linked-scalars-sound", SOCK, 0,
	  { I_LDX(BVC_W, 2, 1, 0), I_LDX(BVC_W, 4, 1, 4), I_MOV64_REG(3, 2), I_JMP_IMM(BVC_JEQ, 4, 0, 1),
	    I_MOV64_REG(3, 4), I_JMP_IMM(BVC_JGT, 2, 7, 4), STACK_AT(3), RET0 },
	  12, "invalid unbounded variable-offset write to stack R9", { NULL }, 0 },

	/* A branch decided by a constant makes it precise. */
	{ "decided-branch", SOCK, STATE_FREQ,
	  { I_MOV64_IMM(6, 4), UNKNOWN(2, 1), I_JMP_IMM(BVC_JEQ, 2, 0, 0), I_JMP_IMM(BVC_JGT, 6, 5, 1),
	    I_MOV64_IMM(0, 0), RET0 }, 8, NULL,
	  { "parent state regs=r6 stack=:", "regs=r6 stack= before 0: (b7) r6 = 4" }, 0 },

	/* The size argument of a helper. */
	{ "helper-size", SOCK, STATE_FREQ,
	  { I_MOV64_IMM(4, 4), UNKNOWN(2, 1), I_JMP_IMM(BVC_JEQ, 2, 0, 0), I_MOV64_IMM(2, 0),
	    I_MOV64_REG(3, 10), I_ALU64_IMM(BVC_ADD, 3, -8), I_CALL(26 /* skb_load_bytes */), RET0 },
	  10, NULL, { "mark_precise: frame0: last_idx 7 first_idx 4 subseq_idx -1",
		      "parent state regs=r4 stack=:", "regs=r4 stack= before 0: (b7) r4 = 4" }, 0 },

	/* The program's return value against the type's range. */
	{ "return-value", CGSKB, STATE_FREQ,
	  { I_MOV64_IMM(6, 1), UNKNOWN(2, 1), I_JMP_IMM(BVC_JEQ, 2, 0, 0), I_MOV64_REG(0, 6), I_EXIT() },
	  6, NULL, { "regs=r0 stack= before 4: (bf) r0 = r6", "parent state regs=r6 stack=:" }, 0 },

	/* A zero register written as bytes (not a spill) must stay zero. */
	{ "zero-bytes", SOCK, STATE_FREQ,
	  { I_MOV64_IMM(6, 0), UNKNOWN(2, 1), I_JMP_IMM(BVC_JEQ, 2, 0, 0),
	    I_STX(BVC_W, 10, 6, -4), RET0 }, 7, NULL, { "parent state regs=r6 stack=:" }, 0 },

	/* Stack liveness: a slot read only through a pointer derived from r10
	 * is live at the join, so the 64 of the second path is not pruned. */
	{ "slot-read-through-pointer", SOCK, 0,
	  { UNKNOWN(2, 1), I_JMP_IMM(BVC_JEQ, 2, 0, 2), I_ST(BVC_DW, 10, -8, 8), I_JA(1),
	    I_ST(BVC_DW, 10, -8, 64), I_MOV64_REG(3, 10), I_ALU64_IMM(BVC_ADD, 3, -8),
	    I_LDX(BVC_DW, 4, 3, 0), STACK_AT(4), RET0 }, 15, "invalid write to stack R9", { NULL }, 1 },

	/* ... and one a callee reads through the pointer it is handed. */
	{ "slot-read-by-callee", SOCK, 0,
	  { UNKNOWN(2, 1), I_JMP_IMM(BVC_JEQ, 2, 0, 2), I_ST(BVC_DW, 10, -8, 8), I_JA(1),
	    I_ST(BVC_DW, 10, -8, 64), I_MOV64_REG(1, 10), I_ALU64_IMM(BVC_ADD, 1, -8),
	    I_CALL_LOCAL(6), STACK_AT(0), RET0, I_LDX(BVC_DW, 0, 1, 0), I_EXIT() }, 17,
	  "invalid write to stack R9", { NULL }, 1 },

	/* Fallback: LD_ABS's r0 is packet data nobody tracks. */
	{ "fallback-ld-abs", SOCK, STATE_FREQ,
	  { I_MOV64_REG(6, 1), UNKNOWN(2, 1), I_JMP_IMM(BVC_JEQ, 2, 0, 0), LD_ABS_B(0),
	    I_ALU64_IMM(BVC_AND, 0, 7), STACK_AT(0), RET0 }, 12, NULL,
	  { "mark_precise: frame0: regs=r0 stack= before 4: (30) r0 = *(u8 *)skb[0]",
	    "falling back to forcing all scalars precise" }, 0 },

	/* Fallback: a pointer difference used as an offset - the walk meets
	 * the pointer it came from as a store's base. */
	{ "fallback-pointer-difference", SOCK, 0,
	  { I_MOV64_REG(6, 10), I_ST(BVC_DW, 6, -8, 0), UNKNOWN(2, 1), I_JMP_IMM(BVC_JEQ, 2, 0, 0),
	    I_ALU64_REG(BVC_SUB, 6, 10), I_ALU64_IMM(BVC_AND, 6, 7), STACK_AT(6), RET0 }, 13, NULL,
	  { "mark_precise: frame0: regs=r6 stack= before 1: (7a) *(u64 *)(r6 -8) = 0",
	    "falling back to forcing all scalars precise" }, 0 },

	/* Seven live copies of one value: as the kernel, a branch links six
	 * (the set a history entry holds) and unlinks the seventh, which the
	 * branch then does not bound. */
	{ "linked-more-than-six", SOCK, STATE_FREQ,
	  { I_LDX(BVC_W, 2, 1, 0), I_MOV64_REG(3, 2), I_MOV64_REG(4, 2), I_MOV64_REG(5, 2),
	    I_MOV64_REG(6, 2), I_MOV64_REG(7, 2), I_MOV64_REG(8, 2), I_JMP_IMM(BVC_JGT, 2, 7, 10),
	    I_MOV64_REG(0, 3), I_ALU64_REG(BVC_ADD, 0, 4), I_ALU64_REG(BVC_ADD, 0, 5),
	    I_ALU64_REG(BVC_ADD, 0, 6), I_ALU64_REG(BVC_ADD, 0, 7), I_MOV64_REG(9, 10),
	    I_ALU64_IMM(BVC_ADD, 9, -16), I_ALU64_REG(BVC_ADD, 9, 8), I_ST(BVC_B, 9, 0, 0), I_EXIT(),
	    RET0 }, 20, "invalid unbounded variable-offset write to stack R9", { NULL }, 0 },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static struct bvc_image *case_image(const struct prec_case *c)
{
	struct bvc_image *img;

	cr_assert_eq(bvc_image_from_raw(c->insns, c->cnt, c->prog_type, c->name, &img), 0);
	img->progs[0].prog_flags = c->flags;
	return img;
}

/* The "mark_precise:" lines of @log, "parent state" lines cut after the
 * masks (the state dumps are printed differently). */
static char *walk_lines(const char *log)
{
	size_t len = strlen(log);
	char *out = calloc(1, len + 1), *o = out;

	cr_assert_not_null(out);
	for (const char *p = log; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (!strncmp(p, "mark_precise:", 13)) {
			const char *ps = strstr(p, "parent state");
			const char *colon = ps && ps < p + n ? memchr(ps, ':', (size_t)(p + n - ps)) : NULL;
			size_t keep = colon ? (size_t)(colon - p) + 1 : n;

			while (keep && p[keep - 1] == ' ')
				keep--;
			memcpy(o, p, keep);
			o += keep;
			*o++ = '\n';
		}
		p += n + (nl ? 1 : 0);
	}
	return out;
}

static void run_ours(const struct prec_case *c, struct bvc_verdict *v)
{
	struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 1000000, .log_level = 2 };
	struct bvc_image *img = case_image(c);

	cr_assert_eq(bvc_verify(img, &img->progs[0], &opts, v), 0, "%s", c->name);
	bvc_image_free(img);
}

Test(precise, walks_state_the_facts)
{
	for (size_t k = 0; k < NCASES; k++) {
		const struct prec_case *c = &cases[k];
		struct bvc_verdict v;

		run_ours(c, &v);
		if (c->reject) {
			cr_expect_eq(v.kind, BVC_REJECT, "%s: accepted", c->name);
			cr_expect(!strncmp(v.msg, c->reject, strlen(c->reject)), "%s: '%s', expected '%s'",
				  c->name, v.msg, c->reject);
		} else {
			cr_expect_eq(v.kind, BVC_ACCEPT, "%s: rejected at %zu: %s", c->name, v.insn, v.msg);
		}
		for (size_t f = 0; f < 6 && c->facts[f]; f++)
			cr_expect(v.log && strstr(v.log, c->facts[f]), "%s: no '%s' in\n%s", c->name,
				  c->facts[f], v.log ? v.log : "");
		bvc_verdict_release(&v);
	}
}

/* The running kernel: the same verdict, and the same walks line by line. */
Test(precise, kernel_walks_the_same)
{
	struct bvc_kernel_result *r = malloc(sizeof(*r));

	cr_assert_not_null(r);
	for (size_t k = 0; k < NCASES; k++) {
		const struct prec_case *c = &cases[k];
		struct bvc_image *img = case_image(c);
		struct bvc_verdict v;
		char *ours, *theirs;

		bvc_kernel_load_prog(img, &img->progs[0], 2, r);
		bvc_image_free(img);
		if (!r->available) {
			free(r);
			cr_skip_test("bpf(BPF_PROG_LOAD) not permitted here: kernel oracle unavailable");
		}
		run_ours(c, &v);
		cr_expect_eq(r->accepted, v.kind == BVC_ACCEPT, "%s: kernel %s, we %s: %.300s", c->name,
			     r->accepted ? "accepts" : "rejects", v.kind == BVC_ACCEPT ? "accept" : "reject",
			     r->log);
		if (!c->kernel_log_differs) {
			ours = walk_lines(v.log ? v.log : "");
			theirs = walk_lines(r->log);
			cr_expect_str_eq(ours, theirs, "%s: our walks\n%s\nthe kernel's\n%s", c->name, ours,
					 theirs);
			free(ours);
			free(theirs);
		}
		bvc_verdict_release(&v);
	}
	free(r);
}

/* --- split runs: a work item's demand marks what the whole run marks ----- */

/* A random tree-shaped program: every path has its own code, so no path
 * is ever pruned against another and a split run explores exactly what
 * the whole run does. Values live in r7, r8 and four stack slots; they
 * are moved, added, masked, spilled, filled, linked by copies and passed
 * through a function; each leaf uses one as a stack offset (precise) or
 * not at all. r6 holds the unknown the branches test. */
struct gen {
	struct bvc_insn *p;
	size_t n, cap;
	uint32_t rng;
	size_t calls[64];
	size_t ncalls;
};

static uint32_t gen_rand(struct gen *g, uint32_t n)
{
	g->rng = g->rng * 1103515245u + 12345u;
	return (g->rng >> 16) % n;
}

static void emit(struct gen *g, struct bvc_insn i)
{
	cr_assert_lt(g->n, g->cap);
	g->p[g->n++] = i;
}

static void gen_ops(struct gen *g)
{
	for (uint32_t k = gen_rand(g, 4); k > 0; k--) {
		uint8_t x = (uint8_t)(7 + gen_rand(g, 2)), y = (uint8_t)(15 - x);
		int16_t slot = (int16_t)(-8 * (1 + (int)gen_rand(g, 4)));

		switch (gen_rand(g, 8)) {
		case 0:
			emit(g, I_MOV64_IMM(x, (int32_t)gen_rand(g, 8)));
			break;
		case 1:
			emit(g, I_MOV64_REG(x, y));
			break;
		case 2:
			emit(g, I_ALU64_REG(BVC_ADD, x, y));
			break;
		case 3:
			emit(g, I_ALU64_IMM(BVC_AND, x, 7));
			break;
		case 4:
			emit(g, I_STX(BVC_DW, 10, x, slot));
			break;
		case 5:
			emit(g, I_LDX(BVC_DW, x, 10, slot));
			break;
		case 6:
			if (g->ncalls < 64) {
				emit(g, I_MOV64_REG(1, x));
				g->calls[g->ncalls++] = g->n;
				emit(g, I_CALL_LOCAL(0)); /* patched to the function */
				emit(g, I_MOV64_REG(x, 0));
			}
			break;
		default:
			emit(g, I_ALU64_IMM(BVC_ADD, x, 1));
			break;
		}
	}
}

static void gen_node(struct gen *g, int depth)
{
	size_t jmp;

	gen_ops(g);
	if (!depth) {
		uint8_t x = (uint8_t)(7 + gen_rand(g, 2));

		if (gen_rand(g, 3)) {
			emit(g, I_ALU64_IMM(BVC_AND, x, 7));
			emit(g, I_MOV64_REG(3, 10));
			emit(g, I_ALU64_IMM(BVC_ADD, 3, -64));
			emit(g, I_ALU64_REG(BVC_ADD, 3, x));
			emit(g, I_ST(BVC_B, 3, 0, 0));
		}
		emit(g, I_MOV64_IMM(0, 0));
		emit(g, I_EXIT());
		return;
	}
	if (gen_rand(g, 3) == 0) {
		/* A branch on a copy: the copies are linked. */
		uint8_t x = (uint8_t)(7 + gen_rand(g, 2));

		emit(g, I_MOV64_REG(2, 6));
		emit(g, I_MOV64_REG(x, 2));
		jmp = g->n;
		emit(g, I_JMP_IMM(BVC_JGT, 2, (int32_t)gen_rand(g, 64), 0));
	} else {
		emit(g, I_MOV64_REG(2, 6));
		emit(g, I_ALU64_IMM(BVC_AND, 2, 1 << gen_rand(g, 8)));
		jmp = g->n;
		emit(g, I_JMP_IMM(BVC_JEQ, 2, 0, 0));
	}
	gen_node(g, depth - 1);
	g->p[jmp].off = (int16_t)(g->n - jmp - 1);
	gen_node(g, depth - 1);
}

static struct bvc_image *tree_program(uint32_t seed, int depth)
{
	static struct bvc_insn insns[4096];
	struct gen g = { .p = insns, .cap = 4096, .rng = seed };
	struct bvc_image *img;

	emit(&g, I_LDX(BVC_W, 6, 1, 0));
	emit(&g, I_MOV64_IMM(7, 1));
	emit(&g, I_MOV64_IMM(8, 2));
	gen_node(&g, depth);
	for (size_t k = 0; k < g.ncalls; k++)
		g.p[g.calls[k]].imm = (int32_t)(g.n - g.calls[k] - 1);
	emit(&g, I_MOV64_REG(0, 1)); /* the function: r0 = r1 + 1 */
	emit(&g, I_ALU64_IMM(BVC_ADD, 0, 1));
	emit(&g, I_EXIT());
	cr_assert_eq(bvc_image_from_raw(insns, g.n, SOCK, "tree", &img), 0);
	img->progs[0].prog_flags = STATE_FREQ;
	return img;
}

/* The marks of @eng, and how many checkpoint lines. */
static char *marks(struct bvc_engine *eng, size_t *lines)
{
	char *s;

	cr_assert_eq(bvc_engine_precision_dump(eng, &s), 0);
	*lines = 0;
	for (const char *p = s; *p; p++)
		*lines += *p == '\n';
	return s;
}

/* The first @n lines of @s. */
static size_t prefix_len(const char *s, size_t n)
{
	const char *p = s;

	while (n-- && (p = strchr(p, '\n')))
		p++;
	return p ? (size_t)(p - s) : strlen(s);
}

Test(precise, split_demands_mark_what_the_whole_run_marks)
{
	struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 0 };
	size_t splits = 0, marked = 0;

	for (uint32_t seed = 1; seed <= 40; seed++) {
		struct bvc_image *img = tree_program(seed, 4);
		const struct bvc_prog *prog = &img->progs[0];
		struct bvc_engine *w;
		struct bvc_verdict v;
		size_t wlines;
		char *whole;

		cr_assert_eq(bvc_engine_new(img, prog, &opts, 1, &w), 0);
		bvc_engine_keep_checkpoints(w); /* every checkpoint in the dump */
		cr_assert_eq(bvc_engine_run(w, 0), BVC_ENGINE_DONE);
		cr_assert_eq(bvc_engine_verdict(w, &v), 0);
		cr_assert_eq(v.kind, BVC_ACCEPT, "seed %u: %s", seed, v.msg);
		whole = marks(w, &wlines);
		/* Split after every few instructions of A: its oldest pending
		 * branch goes to B, whose demand comes back to A. */
		for (uint64_t budget = 1; budget < v.processed; budget += 7) {
			struct bvc_precision_demand demand;
			struct bvc_engine *a, *b;
			struct bvc_work *item;
			struct bvc_verdict va;
			size_t alines;
			uint64_t id;
			char *split;

			cr_assert_eq(bvc_engine_new(img, prog, &opts, 1, &a), 0);
			cr_assert_eq(bvc_engine_new(img, prog, &opts, 0, &b), 0);
			bvc_engine_keep_checkpoints(a);
			cr_assert_geq(bvc_engine_run(a, budget), 0);
			if (bvc_engine_donate(a, &item)) {
				bvc_engine_free(a);
				bvc_engine_free(b);
				continue;
			}
			cr_assert_eq(bvc_engine_run(a, 0), BVC_ENGINE_DONE);
			cr_assert_eq(bvc_engine_accept(b, &item), 0);
			cr_assert_eq(bvc_engine_run(b, 0), BVC_ENGINE_DONE);
			cr_assert_eq(bvc_engine_poll_done(b, &id, &demand), 0);
			marked += demand.nframes != 0;
			cr_assert_eq(bvc_engine_work_done(a, id, &demand), 0);
			cr_assert_eq(bvc_engine_verdict(a, &va), 0);
			cr_assert_eq(va.kind, BVC_ACCEPT);
			split = marks(a, &alines);
			cr_assert_leq(alines, wlines);
			/* A made the whole run's first checkpoints; with the
			 * demand applied they carry the same marks. */
			cr_assert_eq(strlen(split), prefix_len(whole, alines), "seed %u budget %llu", seed,
				     (unsigned long long)budget);
			cr_assert_eq(memcmp(split, whole, strlen(split)), 0,
				     "seed %u, split after %llu insns:\nsplit\n%s\nwhole\n%.*s", seed,
				     (unsigned long long)budget, split, (int)prefix_len(whole, alines), whole);
			splits++;
			free(split);
			bvc_verdict_release(&va);
			bvc_engine_free(a);
			bvc_engine_free(b);
		}
		free(whole);
		bvc_verdict_release(&v);
		bvc_engine_free(w);
		bvc_image_free(img);
	}
	cr_log_info("%zu splits, %zu with a demand", splits, marked);
	cr_expect_gt(splits, 200);
	cr_expect_gt(marked, splits / 4, "demands are the point: %zu of %zu", marked, splits);
}
