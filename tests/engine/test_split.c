// SPDX-License-Identifier: MIT
/*
 * Splitting exploration (bpfvc/engine.h): a run cut into budget slices,
 * with pending branches donated to a second engine and reported back,
 * decides exactly as the same program in one bvc_verify() call - on our
 * test programs and on a path-explosion program - and donated items carry
 * their branch-decision trail. Items travel as plain data (the view the
 * wire format is made from), so export and import are checked too.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/engine.h"
#include "bpfvc/loader.h"
#include "common/insns.h"

/* Move the checkpoints @from offers for sharing into @to, through the
 * plain-data view as the wire carries them. Returns how many. */
static int share_all(const struct bvc_image *img, const struct bvc_prog *prog,
		     struct bvc_engine *from, struct bvc_engine *to)
{
	struct bvc_work *w;
	int n = 0;

	while (bvc_engine_share(from, &w) == 0) {
		struct bvc_work_view v;
		struct bvc_work *copy;
		char err[256];

		cr_assert_eq(bvc_work_view_get(w, &v), 0);
		cr_assert_eq(bvc_work_from_view(img, prog, &v, &copy, err, sizeof(err)), 0, "%s", err);
		bvc_work_view_release(&v);
		bvc_work_free(w);
		cr_assert_eq(bvc_engine_add_checkpoint(to, &copy), 0);
		n++;
	}
	return n;
}

/* Verify @prog in two engines: A explores in slices of @slice insns and
 * gives its oldest branch to B every time; B reports finished items back,
 * and each takes the checkpoints the other shares (pruning across engines).
 * Returns A's verdict kind, or B's rejection; *@processed is the sum. */
static int split_verify(const struct bvc_image *img, const struct bvc_prog *prog, uint64_t slice,
			uint64_t *processed, char *msg, size_t msgsz)
{
	struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 0 };
	struct bvc_engine *a, *b;
	struct bvc_verdict va, vb;
	int ra = BVC_ENGINE_MORE, donated = 0, kind;
	struct bvc_precision_demand demand;
	uint64_t id;

	cr_assert_eq(bvc_engine_new(img, prog, &opts, 1, &a), 0);
	cr_assert_eq(bvc_engine_new(img, prog, &opts, 0, &b), 0);
	bvc_engine_share_limit(a, 1u << 20);
	bvc_engine_share_limit(b, 1u << 20);
	while (ra == BVC_ENGINE_MORE || donated) {
		struct bvc_work *w = NULL;

		if (ra == BVC_ENGINE_MORE)
			ra = bvc_engine_run(a, slice);
		cr_assert_geq(ra, 0);
		if (bvc_engine_donate(a, &w) == 0) {
			/* Through plain data, as the wire will carry it. */
			struct bvc_work_view v;
			struct bvc_work *copy;
			char err[256];

			cr_assert_eq(bvc_work_view_get(w, &v), 0);
			cr_assert_eq(bvc_work_from_view(img, prog, &v, &copy, err, sizeof(err)), 0, "%s",
				     err);
			bvc_work_view_release(&v);
			bvc_work_free(w);
			w = copy;
			cr_assert_eq(bvc_engine_accept(b, &w), 0);
			cr_assert_null(w);
			donated++;
		}
		share_all(img, prog, a, b);
		cr_assert_eq(bvc_engine_run(b, 0), BVC_ENGINE_DONE);
		share_all(img, prog, b, a);
		while (bvc_engine_poll_done(b, &id, &demand) == 0) {
			cr_assert_eq(bvc_engine_work_done(a, id, &demand), 0);
			donated--;
		}
		/* A rejection in B ends the job (the cluster cancels A). */
		if (bvc_engine_verdict(b, &vb) == 0 && vb.kind == BVC_REJECT &&
		    vb.msg[0]) {
			snprintf(msg, msgsz, "%s", vb.msg);
			*processed = 0;
			bvc_verdict_release(&vb);
			bvc_engine_free(a);
			bvc_engine_free(b);
			return BVC_REJECT;
		}
		bvc_verdict_release(&vb);
		/* B explored everything it got, so each round finishes. */
		if (ra == BVC_ENGINE_DONE && donated)
			cr_assert_fail("donated items never reported done");
	}
	{
		/* The call-chain check over both engines' paths, as the
		 * coordinator does. */
		uint32_t depths[257], n = bvc_engine_stack_depths(b, depths, 257);

		if (n)
			cr_assert_eq(bvc_engine_merge_stack_depths(a, depths, n), 0);
	}
	cr_assert_eq(bvc_engine_verdict(a, &va), 0);
	cr_assert_eq(bvc_engine_verdict(b, &vb), 0);
	kind = va.kind;
	snprintf(msg, msgsz, "%s", va.msg);
	*processed = va.processed + vb.processed;
	bvc_verdict_release(&va);
	bvc_verdict_release(&vb);
	bvc_engine_free(a);
	bvc_engine_free(b);
	return kind;
}

static void compare_whole_and_split(const struct bvc_image *img, const struct bvc_prog *prog)
{
	struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 0 };
	struct bvc_verdict whole;
	uint64_t slices[] = { 1, 3, 16, 1000 };

	cr_assert_eq(bvc_verify(img, prog, &opts, &whole), 0);
	for (size_t i = 0; i < sizeof(slices) / sizeof(slices[0]); i++) {
		uint64_t processed;
		char msg[256];
		int kind = split_verify(img, prog, slices[i], &processed, msg, sizeof(msg));

		cr_expect_eq(kind, (int)whole.kind, "%s, slice %llu: split %s (%s), whole %s (%s)", prog->name,
			     (unsigned long long)slices[i], kind == BVC_ACCEPT ? "accepts" : "rejects",
			     msg, whole.kind == BVC_ACCEPT ? "accepts" : "rejects", whole.msg);
	}
	bvc_verdict_release(&whole);
}

Test(split, test_programs_decide_the_same)
{
	static const char *const objs[] = { "xdp_parser", "socket_filter", "kprobe_counter",
					    "subprog_loop", "ringbuf_producer", "global_funcs" };

	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		char path[512], err[256];
		struct bvc_image *img;

		snprintf(path, sizeof(path), "%s/%s.bpf.o", BVC_PROGS_DIR, objs[i]);
		cr_assert_eq(bvc_load_elf(path, &img, err, sizeof(err)), 0, "%s", err);
		for (size_t p = 0; p < img->prog_cnt; p++)
			compare_whole_and_split(img, &img->progs[p]);
		bvc_image_free(img);
	}
}

/* k unknown branches, each leaving a different spilled value type in its
 * own stack slot, all read at the end: nothing prunes, 2^k paths. With a
 * NULL dereference planted on one path it must be rejected split or not. */
static struct bvc_image *explosion(int k, int bad_path)
{
	struct bvc_insn p[256];
	struct bvc_image *img;
	size_t n = 0;

	p[n++] = I_MOV64_REG(6, 1);
	p[n++] = I_LDX(BVC_W, 7, 1, 0); /* skb->len: unknown */
	for (int i = 0; i < k; i++) {
		p[n++] = I_MOV64_REG(2, 7);
		p[n++] = I_ALU64_IMM(BVC_AND, 2, 1 << i);
		p[n++] = I_JMP_IMM(BVC_JNE, 2, 0, 2);
		p[n++] = I_STX(BVC_DW, 10, 6, -8 * (i + 1)); /* ctx pointer */
		p[n++] = I_JA(1);
		p[n++] = I_ST(BVC_DW, 10, -8 * (i + 1), i);  /* scalar */
	}
	for (int i = 0; i < k; i++)
		p[n++] = I_LDX(BVC_DW, 3, 10, -8 * (i + 1));
	if (bad_path) {
		/* if all bits are set: r0 = *(u64 *)0 */
		p[n++] = I_MOV64_REG(2, 7);
		p[n++] = I_ALU64_IMM(BVC_AND, 2, (1 << k) - 1);
		p[n++] = I_JMP_IMM(BVC_JNE, 2, (1 << k) - 1, 2);
		p[n++] = I_MOV64_IMM(1, 0);
		p[n++] = I_LDX(BVC_DW, 0, 1, 0);
	}
	p[n++] = I_MOV64_IMM(0, 0);
	p[n++] = I_EXIT();
	cr_assert_eq(bvc_image_from_raw(p, n, BVC_PROG_SOCKET_FILTER, "explosion", &img), 0);
	snprintf(img->license, sizeof(img->license), "GPL");
	return img;
}

Test(split, path_explosion_decides_the_same)
{
	for (int bad = 0; bad <= 1; bad++) {
		struct bvc_image *img = explosion(6, bad);

		compare_whole_and_split(img, &img->progs[0]);
		bvc_image_free(img);
	}
}

/* A view that cannot be a state of the program is refused, not trusted. */
Test(split, forged_views_are_refused)
{
	struct bvc_verify_opts opts = { .sz = sizeof(opts) };
	struct bvc_image *img = explosion(3, 0);
	struct bvc_engine *a;
	struct bvc_work *w, *back;
	struct bvc_work_view v;
	char err[256];

	cr_assert_eq(bvc_engine_new(img, &img->progs[0], &opts, 1, &a), 0);
	while (bvc_engine_pending(a) < 1)
		cr_assert_eq(bvc_engine_run(a, 1), BVC_ENGINE_MORE);
	cr_assert_eq(bvc_engine_donate(a, &w), 0);
	cr_assert_eq(bvc_work_view_get(w, &v), 0);

	v.insn = 100000;
	cr_expect_eq(bvc_work_from_view(img, &img->progs[0], &v, &back, err, sizeof(err)), -EBADMSG);
	v.insn = bvc_work_insn(w);
	v.frames[0].regs[3].type = 99;
	cr_expect_eq(bvc_work_from_view(img, &img->progs[0], &v, &back, err, sizeof(err)), -EBADMSG);
	cr_expect(strstr(err, "R3"), "%s", err);
	v.frames[0].regs[3].type = 1;
	v.frames[0].regs[3].var.umin = 10;
	v.frames[0].regs[3].var.umax = 5;
	cr_expect_eq(bvc_work_from_view(img, &img->progs[0], &v, &back, err, sizeof(err)), -EBADMSG);
	v.frames[0].regs[3].var = bvc_scalar_unknown();
	v.nframes = 9;
	cr_expect_eq(bvc_work_from_view(img, &img->progs[0], &v, &back, err, sizeof(err)), -EBADMSG);
	v.nframes = 1;
	v.frames[0].regs[10].frameno = 4;
	cr_expect_eq(bvc_work_from_view(img, &img->progs[0], &v, &back, err, sizeof(err)), -EBADMSG);
	v.frames[0].regs[10].frameno = 0;
	cr_expect_eq(bvc_work_from_view(img, &img->progs[0], &v, &back, err, sizeof(err)), 0, "%s", err);
	bvc_work_free(back);
	bvc_work_view_release(&v);
	bvc_work_free(w);
	bvc_engine_free(a);
	bvc_image_free(img);
}

Test(split, donated_work_carries_its_trail)
{
	struct bvc_verify_opts opts = { .sz = sizeof(opts) };
	struct bvc_image *img = explosion(4, 0);
	struct bvc_engine *a;
	struct bvc_work *w;
	const uint8_t *trail;
	uint32_t bits;

	cr_assert_eq(bvc_engine_new(img, &img->progs[0], &opts, 1, &a), 0);
	/* Run until three branches are pending: the oldest was pushed at
	 * the first branch, taken, so its trail is one "1". */
	while (bvc_engine_pending(a) < 3)
		cr_assert_eq(bvc_engine_run(a, 1), BVC_ENGINE_MORE);
	cr_assert_eq(bvc_engine_donate(a, &w), 0);
	trail = bvc_work_trail(w, &bits);
	cr_expect_eq(bits, 1);
	cr_expect_eq(trail[0] & 1, 1);
	cr_expect_eq(bvc_work_insn(w), 7, "resumes at the taken side of the first branch");
	/* Its placeholder keeps A from finishing a verdict until it is back. */
	cr_assert_eq(bvc_engine_run(a, 0), BVC_ENGINE_DONE);
	{
		struct bvc_verdict v;

		cr_expect_eq(bvc_engine_verdict(a, &v), -EAGAIN);
		cr_expect_eq(bvc_engine_work_done(a, bvc_work_id(w), NULL), 0);
		cr_expect_eq(bvc_engine_verdict(a, &v), 0);
		cr_expect_eq(v.kind, BVC_ACCEPT, "%s", v.msg);
		bvc_verdict_release(&v);
	}
	bvc_work_free(w);
	bvc_engine_free(a);
	bvc_image_free(img);
}

/* A second engine that takes the first one's shared checkpoints prunes
 * against them: on the prunable family it explores far less, and decides
 * the same. */
Test(split, shared_checkpoints_prune_in_another_engine)
{
	struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 0 };
	struct bvc_insn p[64];
	size_t n = 0;
	struct bvc_image *img;
	struct bvc_engine *a, *b;
	struct bvc_verdict va, vb;
	int shared;

	/* r8 differs on every path and is only returned: joins prune. */
	p[n++] = I_LDX(BVC_W, 7, 1, 0);
	p[n++] = I_MOV64_IMM(8, 0);
	for (int i = 0; i < 8; i++) {
		p[n++] = I_MOV64_REG(2, 7);
		p[n++] = I_ALU64_IMM(BVC_AND, 2, 1 << i);
		p[n++] = I_JMP_IMM(BVC_JEQ, 2, 0, 1);
		p[n++] = I_ALU64_IMM(BVC_ADD, 8, 1 << i);
	}
	p[n++] = I_MOV64_REG(0, 8);
	p[n++] = I_EXIT();
	cr_assert_eq(bvc_image_from_raw(p, n, BVC_PROG_SOCKET_FILTER, "prunable", &img), 0);
	cr_assert_eq(bvc_engine_new(img, &img->progs[0], &opts, 1, &a), 0);
	cr_assert_eq(bvc_engine_new(img, &img->progs[0], &opts, 1, &b), 0);
	bvc_engine_share_limit(a, 100);
	cr_assert_eq(bvc_engine_run(a, 0), BVC_ENGINE_DONE);
	shared = share_all(img, &img->progs[0], a, b);
	cr_assert_gt(shared, 0, "nothing pruned in A, nothing to share");
	cr_assert_eq(bvc_engine_run(b, 0), BVC_ENGINE_DONE);
	cr_assert_eq(bvc_engine_verdict(a, &va), 0);
	cr_assert_eq(bvc_engine_verdict(b, &vb), 0);
	cr_expect_eq(va.kind, BVC_ACCEPT);
	cr_expect_eq(vb.kind, BVC_ACCEPT);
	cr_expect_gt(bvc_engine_remote_hits(b), 0);
	cr_expect_lt(vb.processed, va.processed, "B %llu, A %llu", (unsigned long long)vb.processed,
		     (unsigned long long)va.processed);
	cr_log_info("A: %llu insns, shared %d checkpoints; B: %llu insns, %llu remote hits",
		    (unsigned long long)va.processed, shared, (unsigned long long)vb.processed,
		    (unsigned long long)bvc_engine_remote_hits(b));
	bvc_verdict_release(&va);
	bvc_verdict_release(&vb);
	bvc_engine_free(a);
	bvc_engine_free(b);
	bvc_image_free(img);
}

/* The call-chain stack check needs every engine's depths: main uses 304
 * bytes on one side of the first branch, its callee 304 on the other.
 * With that side donated, neither engine alone sees 608; merged, the
 * chain is refused as the kernel refuses it. */
Test(split, call_chain_depths_are_merged)
{
	struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 0 };
	struct bvc_insn p[] = {
		I_LDX(BVC_W, 6, 1, 0),              /* 0: r6 = skb->len */
		I_JMP_IMM(BVC_JNE, 6, 0, 3),        /* 1: if r6 != 0 goto 5 */
		I_ST(BVC_DW, 10, -304, 0),          /* 2: main's deep write */
		I_MOV64_IMM(0, 0),
		I_EXIT(),
		I_CALL_LOCAL(2),                    /* 5: call f (8) */
		I_MOV64_IMM(0, 0),
		I_EXIT(),
		I_ST(BVC_DW, 10, -304, 0),          /* 8: f's deep write */
		I_MOV64_IMM(0, 0),
		I_EXIT(),
	};
	uint32_t depths[8];
	struct bvc_precision_demand demand;
	struct bvc_image *img;
	struct bvc_engine *a, *b;
	struct bvc_work *w;
	struct bvc_verdict v;
	uint32_t n;
	uint64_t id;

	cr_assert_eq(bvc_image_from_raw(p, sizeof(p) / sizeof(p[0]), BVC_PROG_SOCKET_FILTER, "chain",
					&img), 0);
	cr_assert_eq(bvc_engine_new(img, &img->progs[0], &opts, 1, &a), 0);
	cr_assert_eq(bvc_engine_new(img, &img->progs[0], &opts, 0, &b), 0);
	cr_assert_eq(bvc_engine_run(a, 2), BVC_ENGINE_MORE);
	cr_assert_eq(bvc_engine_donate(a, &w), 0, "the taken side is pending");
	cr_assert_eq(bvc_work_insn(w), 5);
	cr_assert_eq(bvc_engine_accept(b, &w), 0);
	cr_assert_eq(bvc_engine_run(a, 0), BVC_ENGINE_DONE);
	cr_assert_eq(bvc_engine_run(b, 0), BVC_ENGINE_DONE);
	cr_assert_eq(bvc_engine_poll_done(b, &id, &demand), 0);
	cr_assert_eq(bvc_engine_work_done(a, id, &demand), 0);
	n = bvc_engine_stack_depths(b, depths, 8);
	cr_assert_eq(n, 2);
	cr_expect_eq(depths[1], 304, "B ran the callee");
	/* B alone: its own chain is fine. */
	cr_assert_eq(bvc_engine_verdict(b, &v), 0);
	cr_expect_eq(v.kind, BVC_ACCEPT, "%s", v.msg);
	bvc_verdict_release(&v);
	cr_assert_eq(bvc_engine_merge_stack_depths(a, depths, n), 0);
	cr_expect_eq(bvc_engine_merge_stack_depths(a, depths, 1), -EINVAL);
	cr_assert_eq(bvc_engine_verdict(a, &v), 0);
	cr_expect_eq(v.kind, BVC_REJECT);
	cr_expect_str_eq(v.msg, "combined stack size of 2 calls is 640. Too large");
	bvc_verdict_release(&v);
	bvc_engine_free(a);
	bvc_engine_free(b);
	bvc_image_free(img);
}

/* One load reached with the context on one side of a branch and with a
 * stack pointer on the other. Split there, each engine sees one kind and
 * accepts; their facts merged refuse it as one process does ("same insn
 * cannot be used with different pointers"): what the coordinator does with
 * the facts every Finished carries. */
Test(split, facts_merged_across_engines_refuse_mixed_pointers)
{
	struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 0 };
	struct bvc_insn p[] = {
		I_LDX(BVC_W, 6, 1, 0),          /* 0: r6 = skb->len */
		I_ST(BVC_DW, 10, -8, 0),        /* 1: fp-8 = 0 */
		I_MOV64_REG(9, 1),              /* 2: r9 = ctx */
		I_JMP_IMM(BVC_JNE, 6, 0, 2),    /* 3: if r6 != 0 goto 6 */
		I_MOV64_REG(9, 10),             /* 4: r9 = fp */
		I_ALU64_IMM(BVC_ADD, 9, -8),    /* 5: r9 -= 8 */
		I_LDX(BVC_W, 0, 9, 0),          /* 6: r0 = *(u32 *)(r9 + 0) */
		I_MOV64_IMM(0, 0),
		I_EXIT(),
	};
	struct bvc_precision_demand demand;
	struct bvc_insn_fact fa[9], fb[9];
	struct bvc_image *img;
	struct bvc_engine *a, *b;
	struct bvc_work *w;
	struct bvc_verdict v;
	int conflicts = 0;
	uint64_t id;

	cr_assert_eq(bvc_image_from_raw(p, 9, BVC_PROG_SOCKET_FILTER, "mixed", &img), 0);
	cr_assert_eq(bvc_verify(img, &img->progs[0], &opts, &v), 0);
	cr_assert_eq(v.kind, BVC_REJECT);
	cr_assert_eq(v.insn, 6);
	cr_assert_str_eq(v.msg, "same insn cannot be used with different pointers");
	bvc_verdict_release(&v);

	cr_assert_eq(bvc_engine_new(img, &img->progs[0], &opts, 1, &a), 0);
	cr_assert_eq(bvc_engine_new(img, &img->progs[0], &opts, 0, &b), 0);
	cr_assert_eq(bvc_engine_run(a, 4), BVC_ENGINE_MORE);
	cr_assert_eq(bvc_engine_donate(a, &w), 0, "the taken side is pending");
	cr_assert_eq(bvc_work_insn(w), 6);
	cr_assert_eq(bvc_engine_accept(b, &w), 0);
	cr_assert_eq(bvc_engine_run(a, 0), BVC_ENGINE_DONE);
	cr_assert_eq(bvc_engine_run(b, 0), BVC_ENGINE_DONE);
	cr_assert_eq(bvc_engine_poll_done(b, &id, &demand), 0);
	cr_assert_eq(bvc_engine_work_done(a, id, &demand), 0);
	/* Each alone accepts: neither saw both kinds. */
	cr_assert_eq(bvc_engine_verdict(a, &v), 0);
	cr_expect_eq(v.kind, BVC_ACCEPT, "%s", v.msg);
	bvc_verdict_release(&v);
	cr_assert_eq(bvc_engine_verdict(b, &v), 0);
	cr_expect_eq(v.kind, BVC_ACCEPT, "%s", v.msg);
	bvc_verdict_release(&v);
	cr_assert_eq(bvc_engine_facts(a, fa, 9), 0);
	cr_assert_eq(bvc_engine_facts(b, fb, 9), 0);
	cr_assert_eq(bvc_engine_facts(a, fa, 8), -EINVAL);
	cr_expect_eq(fa[6].mem_base, BVC_FACT_STACK, "A went on: the stack side");
	cr_expect_eq(fb[6].mem_base, BVC_FACT_CTX, "B took the branch: ctx");
	for (int i = 0; i < 9; i++)
		if (bvc_fact_merge(&fa[i], &fb[i])) {
			conflicts++;
			cr_expect_eq(i, 6);
		}
	cr_expect_eq(conflicts, 1);
	cr_expect(fa[4].seen && fa[2].seen, "reached sets are merged");
	bvc_engine_free(a);
	bvc_engine_free(b);
	bvc_image_free(img);
}

/* The merge rule itself: plain memory kinds mix, a rewritten kind (ctx,
 * each socket view) mixes with nothing but itself; a socket's common part
 * on one worker and a full socket on another is a conflict. */
Test(split, fact_merge_keeps_rewritten_kinds_apart)
{
	static const int kinds[] = { BVC_FACT_CTX, BVC_FACT_STACK, BVC_FACT_OTHER, BVC_FACT_SOCK,
				     BVC_FACT_SOCK_COMMON, BVC_FACT_TCP_SOCK };

	for (size_t a = 0; a < 6; a++) {
		for (size_t b = 0; b < 6; b++) {
			struct bvc_insn_fact x = { .mem_base = kinds[a], .ctx_field = -1,
						   .map_idx = -1 };
			struct bvc_insn_fact y = { .mem_base = kinds[b], .ctx_field = -1,
						   .map_idx = -1 };
			bool plain = (kinds[a] == BVC_FACT_STACK || kinds[a] == BVC_FACT_OTHER) &&
				     (kinds[b] == BVC_FACT_STACK || kinds[b] == BVC_FACT_OTHER);
			int want = a == b || plain ? 0 : -1;

			cr_expect_eq(bvc_fact_merge(&x, &y), want, "kinds %d and %d", kinds[a],
				     kinds[b]);
		}
	}
}

/* A rejection carries its path's branch decisions; following them replays
 * that path alone (what the cluster does to print the failing path's log
 * after a worker found it): same instruction and message, a fraction of
 * the instructions, the log of one path. The program: ten unknown
 * branches, each leaving a stack pointer (went on) or the scalar 0 (took
 * the branch) in its slot; a load through the first slot fails only on
 * the second half of the paths, explored after 2^9 safe ones. */
Test(split, a_rejection_replays_alone_from_its_trail)
{
	struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 0 };
	struct bvc_insn p[128];
	struct bvc_image *img;
	struct bvc_verdict v, r;
	size_t n = 0;

	p[n++] = I_ST(BVC_DW, 10, -200, 0);
	p[n++] = I_MOV64_REG(6, 10);
	p[n++] = I_ALU64_IMM(BVC_ADD, 6, -200); /* r6 = fp - 200 */
	p[n++] = I_LDX(BVC_W, 7, 1, 0);         /* skb->len: unknown */
	for (int i = 0; i < 10; i++) {
		p[n++] = I_MOV64_REG(2, 7);
		p[n++] = I_ALU64_IMM(BVC_AND, 2, 1 << i);
		p[n++] = I_JMP_IMM(BVC_JNE, 2, 0, 2);
		p[n++] = I_STX(BVC_DW, 10, 6, -8 * (i + 1));
		p[n++] = I_JA(1);
		p[n++] = I_ST(BVC_DW, 10, -8 * (i + 1), 0);
	}
	for (int i = 0; i < 10; i++)
		p[n++] = I_LDX(BVC_DW, 3, 10, -8 * (i + 1));
	p[n++] = I_LDX(BVC_DW, 3, 10, -8);
	p[n++] = I_LDX(BVC_DW, 0, 3, 0);        /* fp-200, or *(u64 *)0 */
	p[n++] = I_MOV64_IMM(0, 0);
	p[n++] = I_EXIT();
	cr_assert_eq(bvc_image_from_raw(p, n, BVC_PROG_SOCKET_FILTER, "late", &img), 0);
	cr_assert_eq(bvc_verify(img, &img->progs[0], &opts, &v), 0);
	cr_assert_eq(v.kind, BVC_REJECT);
	cr_assert_str_eq(v.msg, "R3 invalid mem access 'scalar'");
	/* The first branch's pushed side, then the first path below it. */
	cr_assert_eq(v.trail_len, 10);
	for (uint32_t i = 0; i < 10; i++)
		cr_expect_eq((v.trail[i / 8] >> (i % 8)) & 1, i == 0, "decision %u", i);
	opts.follow = v.trail;
	opts.follow_len = v.trail_len;
	opts.log_level = 1;
	cr_assert_eq(bvc_verify(img, &img->progs[0], &opts, &r), 0);
	cr_expect_eq(r.kind, BVC_REJECT);
	cr_expect_eq(r.insn, v.insn);
	cr_expect_str_eq(r.msg, v.msg);
	cr_expect_lt(r.processed, 100, "one path: %llu insns", (unsigned long long)r.processed);
	cr_expect_gt(v.processed, 1000, "all paths: %llu insns", (unsigned long long)v.processed);
	cr_assert_not_null(r.log);
	cr_expect(strstr(r.log, v.msg), "%s", r.log);
	cr_expect(!strstr(r.log, "safe"), "a followed path prunes nothing:\n%s", r.log);
	bvc_verdict_release(&v);
	bvc_verdict_release(&r);
	bvc_image_free(img);
}

/* --- memory ---------------------------------------------------------------- */

/* r1 counts to 2^31 - 1: every iteration's state differs, so nothing
 * prunes and every checkpoint stays a parent of the path: memory grows
 * with the iterations (selftests' loop3, in small). */
static struct bvc_image *counting_loop(void)
{
	static const struct bvc_insn p[] = {
		I_MOV64_IMM(1, 0),
		I_ALU64_IMM(BVC_ADD, 1, 1),
		I_JMP_IMM(BVC_JLT, 1, 0x7fffffff, -2),
		I_MOV64_IMM(0, 0),
		I_EXIT(),
	};
	struct bvc_image *img;

	cr_assert_eq(bvc_image_from_raw(p, sizeof(p) / sizeof(p[0]), BVC_PROG_SOCKET_FILTER, "loop",
					&img), 0);
	return img;
}

Test(split, memory_limit_rejects_as_too_large)
{
	struct bvc_image *img = counting_loop();
	struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 0, .mem_limit = 2 << 20 };
	struct bvc_verdict v;

	cr_assert_eq(bvc_verify(img, &img->progs[0], &opts, &v), 0);
	cr_assert_eq(v.kind, BVC_REJECT, "%s", v.msg);
	cr_assert(strstr(v.msg, "BPF program is too large: the verifier's states exceed the memory limit of 2 MiB"),
		  "%s", v.msg);
	cr_assert_gt(v.processed, 1000);
	bvc_verdict_release(&v);

	/* The instruction limit is the other reason, worded as the kernel. */
	opts.insn_limit = 100000;
	opts.mem_limit = 0; /* the machine's default */
	cr_assert_eq(bvc_verify(img, &img->progs[0], &opts, &v), 0);
	cr_assert_eq(v.kind, BVC_REJECT);
	cr_assert_str_eq(v.msg, "BPF program is too large. Processed 100001 insn");
	bvc_verdict_release(&v);
	bvc_image_free(img);
}

/* An old caller's smaller options struct has no mem_limit: the default
 * applies, and the program still ends on the instruction limit. */
Test(split, memory_limit_absent_from_old_opts)
{
	struct bvc_image *img = counting_loop();
	struct bvc_verify_opts opts = { .sz = offsetof(struct bvc_verify_opts, mem_limit),
					.insn_limit = 5000 };
	struct bvc_verdict v;

	cr_assert_eq(bvc_verify(img, &img->progs[0], &opts, &v), 0);
	cr_assert_eq(v.kind, BVC_REJECT);
	cr_assert_str_eq(v.msg, "BPF program is too large. Processed 5001 insn");
	bvc_verdict_release(&v);
	bvc_image_free(img);
}

/* 2^12 paths, each leaving checkpoints that never prune: evicted ones are
 * freed once their paths end, so the thousands of states made fit in a
 * budget that holds a few hundred at once. */
Test(split, memory_follows_live_states)
{
	struct bvc_image *img = explosion(12, 0);
	struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 0, .mem_limit = 4 << 20 };
	struct bvc_engine *eng;
	struct bvc_verdict v;

	cr_assert_eq(bvc_engine_new(img, &img->progs[0], &opts, 1, &eng), 0);
	cr_assert_eq(bvc_engine_run(eng, 0), BVC_ENGINE_DONE);
	cr_assert_eq(bvc_engine_verdict(eng, &v), 0);
	cr_assert_eq(v.kind, BVC_ACCEPT, "%s", v.msg);
	/* More states than the budget could hold (each over 1 KiB)... */
	cr_assert_gt(v.total_states, 4096, "%llu states", (unsigned long long)v.total_states);
	/* ... and the engine's memory within it. */
	cr_assert_leq(bvc_engine_mem_bytes(eng), 4 << 20);
	cr_assert_gt(bvc_engine_mem_bytes(eng), 0);
	bvc_verdict_release(&v);
	bvc_engine_free(eng);
	bvc_image_free(img);
}
