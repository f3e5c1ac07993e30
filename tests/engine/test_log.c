// SPDX-License-Identifier: MIT
/*
 * The kernel's level-1/2 verifier log (issue #18), pinned: for a few small
 * programs, every line of our log is stated here — the live-registers
 * table, the scratched state after each instruction and its column, the
 * state after a branch, "from X to Y:" with the whole state, "N: safe",
 * the caller:/callee: blocks of a bpf-to-bpf call, a rejection after the
 * failing instruction, and level 1 keeping only the failing path (with
 * the kernel's own leftover: the log is cut back to where the branch was
 * pushed, inside the jump's padding). Each
 * text was checked against Linux 6.18's; where bpf() is permitted the
 * running kernel's log is compared too (the lines of its analyses we do
 * not model skipped) and a difference is printed, never asserted: the
 * test is about our text.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/verifier.h"
#include "common/insns.h"
#include "common/kernel_oracle.h"

#define SOCK 1 /* BPF_PROG_TYPE_SOCKET_FILTER */
#define MAXI 16

struct log_case {
	const char *name;
	int level;
	struct bvc_insn insns[MAXI];
	size_t cnt;
	const char *log; /* the whole log, stats line included (6.18's text) */
};

static const struct log_case cases[] = {
	/* A branch on an unknown ctx field: both sides, the second from the
	 * stack with its whole state. */
	{ "branch", 2,
	  { I_MOV64_IMM(0, 0), I_LDX(BVC_W, 2, 1, 0), I_JMP_IMM(BVC_JGT, 2, 10, 1), I_MOV64_IMM(0, 1),
	    I_EXIT() }, 5,
	  "func#0 @0\n"
	  "Live regs before insn:\n"
	  "      0: .1........ (b7) r0 = 0\n"
	  "      1: 01........ (61) r2 = *(u32 *)(r1 +0)\n"
	  "      2: 0.2....... (25) if r2 > 0xa goto pc+1\n"
	  "      3: .......... (b7) r0 = 1\n"
	  "      4: 0......... (95) exit\n"
	  "0: R1=ctx() R10=fp0\n"
	  "0: (b7) r0 = 0                        ; R0=0\n"
	  "1: (61) r2 = *(u32 *)(r1 +0)          ; R1=ctx() R2=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))\n"
	  "2: (25) if r2 > 0xa goto pc+1         ; R2=scalar(smin=smin32=0,smax=umax=smax32=umax32=10,var_off=(0x0; 0xf))\n"
	  "3: (b7) r0 = 1                        ; R0=1\n"
	  "4: (95) exit\n"
	  "\n"
	  "from 2 to 4: R0=0 R1=ctx() R2=scalar(smin=umin=umin32=11,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R10=fp0\n"
	  "4: R0=0 R1=ctx() R2=scalar(smin=umin=umin32=11,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R10=fp0\n"
	  "4: (95) exit\n"
	  "processed 6 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n" },
	/* A spill and its fill, a 4-byte zero store (a slot half written: the
	 * kernel's byte letters, highest address first) and a privileged
	 * read of it. */
	{ "stack", 2,
	  { I_MOV64_IMM(2, 5), I_STX(BVC_DW, 10, 2, -8), I_LDX(BVC_DW, 3, 10, -8),
	    I_ST(BVC_W, 10, -12, 0), I_LDX(BVC_DW, 4, 10, -16), I_MOV64_IMM(0, 0), I_EXIT() }, 7,
	  "func#0 @0\n"
	  "Live regs before insn:\n"
	  "      0: .......... (b7) r2 = 5\n"
	  "      1: ..2....... (7b) *(u64 *)(r10 -8) = r2\n"
	  "      2: .......... (79) r3 = *(u64 *)(r10 -8)\n"
	  "      3: .......... (62) *(u32 *)(r10 -12) = 0\n"
	  "      4: .......... (79) r4 = *(u64 *)(r10 -16)\n"
	  "      5: .......... (b7) r0 = 0\n"
	  "      6: 0......... (95) exit\n"
	  "0: R1=ctx() R10=fp0\n"
	  "0: (b7) r2 = 5                        ; R2=5\n"
	  "1: (7b) *(u64 *)(r10 -8) = r2         ; R2=5 R10=fp0 fp-8=5\n"
	  "2: (79) r3 = *(u64 *)(r10 -8)         ; R3=5 R10=fp0 fp-8=5\n"
	  "3: (62) *(u32 *)(r10 -12) = 0         ; R10=fp0 fp-16=0000????\n"
	  "4: (79) r4 = *(u64 *)(r10 -16)        ; R4=scalar() R10=fp0 fp-16=0000????\n"
	  "5: (b7) r0 = 0                        ; R0=0\n"
	  "6: (95) exit\n"
	  "processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n" },
	/* A bpf-to-bpf call: both frames at the call and at the return. */
	{ "call", 2,
	  { I_MOV64_IMM(1, 7), I_CALL_LOCAL(2), I_ALU64_IMM(BVC_ADD, 0, 1), I_EXIT(),
	    I_MOV64_REG(0, 1), I_EXIT() }, 6,
	  "func#0 @0\n"
	  "func#1 @4\n"
	  "Live regs before insn:\n"
	  "      0: ..2345.... (b7) r1 = 7\n"
	  "      1: .12345.... (85) call pc+2\n"
	  "      2: 0......... (07) r0 += 1\n"
	  "      3: 0......... (95) exit\n"
	  "      4: .1........ (bf) r0 = r1\n"
	  "      5: 0......... (95) exit\n"
	  "0: R1=ctx() R10=fp0\n"
	  "0: (b7) r1 = 7                        ; R1=7\n"
	  "1: (85) call pc+2\n"
	  "caller:\n"
	  " R10=fp0\n"
	  "callee:\n"
	  " frame1: R1=7 R10=fp0\n"
	  "4: frame1: R1=7 R10=fp0\n"
	  "4: (bf) r0 = r1                       ; frame1: R0=7 R1=7\n"
	  "5: (95) exit\n"
	  "returning from callee:\n"
	  " frame1: R0=7 R1=7 R10=fp0\n"
	  "to caller at 2:\n"
	  " R0=7 R10=fp0\n"
	  "\n"
	  "from 5 to 2: R0=7 R10=fp0\n"
	  "2: (07) r0 += 1                       ; R0=8\n"
	  "3: (95) exit\n"
	  "processed 6 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n" },
	/* Level 1: the first path was safe, only the failing one stays. */
	{ "level1", 1,
	  { I_LDX(BVC_W, 2, 1, 0), I_JMP_IMM(BVC_JGT, 2, 10, 2), I_MOV64_IMM(0, 0), I_EXIT(),
	    I_MOV64_REG(0, 3), I_EXIT() }, 6,
	  "0: R1=ctx() R10=fp0\n"
	  "0: (61) r2 = *(u32 *)(r1 +0)          ; R1=ctx() R2=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))\n"
	  "1: (25) if r2 > 0xa goto pc+2 4: R1=ctx() R2=scalar(smin=umin=umin32=11,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R10=fp0\n"
	  "4: (bf) r0 = r3\n"
	  "R3 !read_ok\n"
	  "processed 5 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n" },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* The kernel's log without the lines of 6.18's analyses we do not model
 * (stack liveness, loop components). */
static void strip_unmodelled(char *log)
{
	char *in = log, *out = log;

	while (*in) {
		char *nl = strchr(in, '\n');
		size_t n = nl ? (size_t)(nl - in) + 1 : strlen(in);

		if (!(in[0] == '(' && (strstr(in, ") frame ") == strchr(in, ')') ||
				       strstr(in, ") live stack") == strchr(in, ')'))) &&
		    strncmp(in, "SCC ", 4)) {
			memmove(out, in, n);
			out += n;
		}
		in += n;
	}
	*out = '\0';
}

Test(log, pinned_text)
{
	struct bvc_kernel_result *r = malloc(sizeof(*r));

	cr_assert_not_null(r);
	for (size_t k = 0; k < NCASES; k++) {
		const struct log_case *c = &cases[k];
		struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 1000000,
						.log_level = (uint32_t)c->level };
		struct bvc_image *img = NULL;
		struct bvc_verdict v;

		cr_assert_eq(bvc_image_from_raw(c->insns, c->cnt, SOCK, c->name, &img), 0);
		snprintf(img->license, sizeof(img->license), "GPL");
		cr_assert_eq(bvc_verify(img, &img->progs[0], &opts, &v), 0);
		cr_assert_not_null(v.log, "%s: no log", c->name);
		cr_expect_str_eq(v.log, c->log, "%s: our log:\n%s", c->name, v.log);

		bvc_kernel_load(c->insns, c->cnt, SOCK, (uint32_t)c->level, r);
		if (r->available) {
			strip_unmodelled(r->log);
			if (strcmp(r->log, v.log))
				cr_log_info("%s: the running kernel's log differs:\n%s", c->name,
					    r->log);
		}
		bvc_verdict_release(&v);
		bvc_image_free(img);
	}
	free(r);
}

/*
 * Level 1 cuts the log back at each popped branch; with a log_size that
 * makes the ring wrap, what is kept is still the end of that same log
 * (a suffix of the unbounded one) and holds the rejection and the stats
 * line: a branch whose first side runs a 300-iteration loop and exits,
 * and whose other side reads an unset register.
 */
Test(log, level1_cut_in_a_wrapped_ring)
{
	static const struct bvc_insn insns[] = {
		I_LDX(BVC_W, 2, 1, 0),      I_JMP_IMM(BVC_JGT, 2, 10, 4),
		I_MOV64_IMM(0, 0),          I_ALU64_IMM(BVC_ADD, 0, 1),
		I_JMP_IMM(BVC_JLT, 0, 300, -2), I_EXIT(),
		I_MOV64_REG(0, 3),          I_EXIT(),
	};
	static const uint32_t sizes[] = { 64, 300, 1000, 4096 };
	struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 1000000, .log_level = 1 };
	struct bvc_verdict whole, v;
	struct bvc_image *img = NULL;

	cr_assert_eq(bvc_image_from_raw(insns, 8, SOCK, "cut", &img), 0);
	cr_assert_eq(bvc_verify(img, &img->progs[0], &opts, &whole), 0);
	cr_assert_eq(whole.kind, BVC_REJECT);
	cr_assert_str_eq(whole.msg, "R3 !read_ok");
	/* 300 iterations would take over 10 KB: the cut dropped them. */
	cr_assert_lt(whole.log_len, 2000, "level 1 kept the safe loop path: %zu bytes\n%s",
		     whole.log_len, whole.log);
	cr_assert_eq(whole.log_true_len, whole.log_len);
	cr_assert_not_null(strstr(whole.log, "6: (bf) r0 = r3\nR3 !read_ok\n"), "%s", whole.log);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		opts.log_size = sizes[k];
		cr_assert_eq(bvc_verify(img, &img->progs[0], &opts, &v), 0);
		cr_assert_not_null(v.log);
		cr_assert_leq(v.log_len, sizes[k]);
		cr_assert_eq(strlen(v.log), v.log_len);
		cr_expect(v.log_len <= whole.log_len &&
				  !memcmp(v.log, whole.log + whole.log_len - v.log_len, v.log_len),
			  "size %u: not the end of the whole log:\n%s", sizes[k], v.log);
		cr_expect(strstr(v.log, "processed ") || sizes[k] < 120, "size %u:\n%s", sizes[k],
			  v.log);
		bvc_verdict_release(&v);
	}
	bvc_verdict_release(&whole);
	bvc_image_free(img);
}
