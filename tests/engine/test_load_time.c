// SPDX-License-Identifier: MIT
/*
 * What BPF_PROG_LOAD refuses before it explores a path (verifier/load.c):
 * kfunc calls, checked wherever they are, dead code included. Exploration
 * never reaches dead code, so before load.c a dead kfunc call in a non-GPL
 * program was accepted by bpfvc and refused by the kernel.
 *
 * Each case is a raw program with a licence, our verdict (asserted: kind,
 * message, instruction) and, for information, the running kernel's verdict
 * and the last line of its log (printed, not asserted: the kernel's answer
 * to a kfunc id depends on its BTF, and these tests must not flip with the
 * machine's kernel). Where the kernel's words are fixed (the licence, the
 * offsets) kernel_words_match checks that they are still the kernel's.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/verifier.h"
#include "common/insns.h"
#include "common/kernel_oracle.h"

#define MAXI 8
#define SOCK 1
#define XDP 6

#define KFUNC(id, off) I_RAW(BVC_JMP | BVC_CALL, 0, BVC_PSEUDO_KFUNC_CALL, off, id)
/* r0 = 0; if r0 == 0 goto +1; <insn 2: never reached>; exit */
#define DEAD(insn) I_MOV64_IMM(0, 0), I_JMP_IMM(BVC_JEQ, 0, 0, 1), insn, I_EXIT()

enum verdict { ACCEPT, REJECT, UNSUPPORTED, NO_VERDICT };

struct load_case {
	const char *name;
	const char *license;
	uint32_t prog_type;
	struct bvc_insn insns[MAXI];
	size_t cnt;
	enum verdict ours;
	const char *msg;    /* our message (exact), NULL when accepted */
	size_t insn;        /* where we reject */
	int kernel_words;   /* the kernel's log has @msg whatever its BTF */
};

static const struct load_case cases[] = {
	/* The licence: asked of the first kfunc call, whatever its id. */
	{ "non-gpl-dead-kfunc", "MIT", SOCK, { DEAD(KFUNC(1, 0)) }, 4, REJECT,
	  "cannot call kernel function from non-GPL compatible program", 2, 1 },
	{ "non-gpl-dead-kfunc-id0", "Dual BSD", XDP, { DEAD(KFUNC(0, 0)) }, 4, REJECT,
	  "cannot call kernel function from non-GPL compatible program", 2, 1 },
	{ "non-gpl-reached-kfunc", "Proprietary", SOCK,
	  { I_MOV64_IMM(0, 0), KFUNC(7, 0), I_EXIT() }, 3, REJECT,
	  "cannot call kernel function from non-GPL compatible program", 1, 1 },
	{ "non-gpl-before-offset", "MIT", SOCK,
	  { I_MOV64_IMM(0, 0), I_JMP_IMM(BVC_JEQ, 0, 0, 2), KFUNC(3, -1), KFUNC(1, 0), I_EXIT() },
	  5, REJECT, "cannot call kernel function from non-GPL compatible program", 2, 1 },
	/* The offset is an fd_array index of a module's BTF: never negative,
	 * and bpfvc images carry no fd_array. */
	{ "gpl-dead-kfunc-negative-off", "GPL", SOCK, { DEAD(KFUNC(1, -1)) }, 4, REJECT,
	  "negative offset disallowed for kernel module function call", 2, 1 },
	{ "gpl-dead-kfunc-module-off", "Dual MIT/GPL", SOCK, { DEAD(KFUNC(1, 2)) }, 4, REJECT,
	  "kfunc offset > 0 without fd_array is invalid", 2, 1 },
	/* Id 0, offset 0: the kernel waits for dead-code elimination. */
	{ "gpl-dead-kfunc-id0", "GPL", SOCK, { DEAD(KFUNC(0, 0)) }, 4, ACCEPT, NULL, 0, 0 },
	/* Any other id is looked up in the kernel's BTF, which we have not. */
	{ "gpl-dead-kfunc-id", "GPL", SOCK, { DEAD(KFUNC(1, 0)) }, 4, UNSUPPORTED,
	  "unsupported: kfunc call (btf_id 1): not checked against a kernel's BTF", 2, 0 },
	/* Unchanged: no kfunc call, non-GPL. */
	{ "non-gpl-no-kfunc", "MIT", SOCK, { I_MOV64_IMM(0, 0), I_EXIT() }, 2, ACCEPT, NULL, 0, 0 },
};

static struct bvc_image *case_image(const struct load_case *c)
{
	struct bvc_image *img;

	cr_assert_eq(bvc_image_from_raw(c->insns, c->cnt, c->prog_type, c->name, &img), 0);
	snprintf(img->license, sizeof(img->license), "%s", c->license);
	return img;
}

static const char *verdict_name(enum verdict v)
{
	return v == ACCEPT ? "accept" : v == REJECT ? "reject"
	       : v == UNSUPPORTED ? "unsupported" : "no verdict";
}

Test(load_time, ours)
{
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct load_case *c = &cases[k];
		struct bvc_image *img = case_image(c);
		struct bvc_verify_opts o = { .sz = sizeof(o), .log_level = 1 };
		struct bvc_verdict v;
		enum verdict got;

		cr_assert_eq(bvc_verify(img, &img->progs[0], &o, &v), 0, "%s", c->name);
		got = v.kind == BVC_ACCEPT ? ACCEPT
		      : v.kind == BVC_REJECT ? REJECT
		      : v.kind == BVC_UNSUPPORTED ? UNSUPPORTED : NO_VERDICT;
		cr_expect_eq(got, c->ours, "%s: %s, want %s: %s", c->name, verdict_name(got),
			     verdict_name(c->ours), v.msg);
		if (c->msg) {
			cr_expect_str_eq(v.msg, c->msg, "%s", c->name);
			cr_expect_eq(v.insn, c->insn, "%s: insn %zu", c->name, v.insn);
			/* Refused before exploring: nothing was processed. */
			cr_expect_eq(v.processed, 0, "%s: %llu processed", c->name,
				     (unsigned long long)v.processed);
			cr_expect(v.log && strstr(v.log, c->msg), "%s: log '%s'", c->name,
				  v.log ? v.log : "");
		}
		bvc_verdict_release(&v);
		bvc_image_free(img);
	}
}

/* The kernel's log also says why it could not find the module's BTF. */
Test(load_time, offset_log_has_both_lines)
{
	struct bvc_verify_opts o = { .sz = sizeof(o), .log_level = 1 };
	struct bvc_image *img = case_image(&cases[4]);
	struct bvc_verdict v;

	cr_assert_eq(bvc_verify(img, &img->progs[0], &o, &v), 0);
	cr_assert(v.log);
	cr_expect(strstr(v.log, "negative offset disallowed for kernel module function call\n"
				"failed to find BTF for kernel function\n"),
		  "%s", v.log);
	bvc_verdict_release(&v);
	bvc_image_free(img);
}

/* The live kernel, for information; where its words do not depend on its
 * BTF, they must still be the ones we give. */
Test(load_time, kernel_words_match)
{
	struct bvc_kernel_result *r = malloc(sizeof(*r));

	cr_assert(r);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct load_case *c = &cases[k];
		struct bvc_image *img = case_image(c);
		const char *last;
		size_t n;

		cr_assert_eq(bvc_kernel_load_prog(img, &img->progs[0], 1, r), 0);
		bvc_image_free(img);
		if (!r->available) {
			free(r);
			cr_skip_test("bpf(BPF_PROG_LOAD) not permitted here: kernel oracle unavailable");
		}
		/* The log's last line before the stats line. */
		n = strlen(r->log);
		while (n && r->log[n - 1] == '\n')
			r->log[--n] = '\0';
		last = strrchr(r->log, '\n');
		last = last ? last + 1 : r->log;
		if (!strncmp(last, "processed ", 10) && last > r->log) {
			r->log[last - r->log - 1] = '\0';
			last = strrchr(r->log, '\n');
			last = last ? last + 1 : r->log;
		}
		printf("load_time: %-30s ours %-11s kernel %s%s%s\n", c->name, verdict_name(c->ours),
		       r->accepted ? "accept" : "reject", r->accepted ? "" : ": ",
		       r->accepted ? "" : last);
		if (c->kernel_words) {
			cr_expect(!r->accepted, "%s: the kernel accepted", c->name);
			cr_expect(strstr(r->log, c->msg), "%s: kernel log '%.600s'", c->name, r->log);
		}
	}
	free(r);
}
