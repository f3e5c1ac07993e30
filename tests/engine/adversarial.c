// SPDX-License-Identifier: MIT
/*
 * The adversarial tables' driver (adversarial.h): build each case with the
 * shared maps, verify it and assert the table's verdict; load it into the
 * kernel to report what the kernel says, never to decide the test.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adversarial.h"
#include "bpfvc/verifier.h"
#include "common/kernel_oracle.h"

#define MAXI ADV_MAXI

/* The .kconfig map's bytes, as the loader lays out and fills
 * LINUX_KERNEL_VERSION (u32, 6.18.44), CONFIG_X (tristate, y), CONFIG_HZ
 * (int, 250), CONFIG_Y (bool, n) and 3 bytes of padding. */
static const uint8_t adv_kconfig[16] = { 0x2c, 0x12, 0x06, 0, 1, 0, 0, 0, 250, 0, 0, 0, 0, 0, 0, 0 };

static const struct bvc_map adv_maps[] = {
	/* 0 */ { .name = "hash", .type = BVC_MAP_HASH, .key_size = 4, .value_size = 8, .max_entries = 16 },
	/* 1 */ { .name = "array", .type = BVC_MAP_ARRAY, .key_size = 4, .value_size = 16, .max_entries = 4 },
	/* 2 */ { .name = "rb", .type = BVC_MAP_RINGBUF, .key_size = 0, .value_size = 0, .max_entries = 4096 },
	/* 3 */ { .name = "progs", .type = BVC_MAP_PROG_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 4 },
	/* 4 */ { .name = "one", .type = BVC_MAP_ARRAY, .key_size = 4, .value_size = 64, .max_entries = 1 },
	/* 5 */ { .name = "pcpu", .type = BVC_MAP_PERCPU_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 1 },
	/* 6 */ { .name = "stack", .type = 7 /* stack_trace */, .key_size = 4, .value_size = 128, .max_entries = 16 },
	/* 7 */ { .name = ".kconfig", .type = BVC_MAP_ARRAY, .key_size = 4, .value_size = 16, .max_entries = 1,
		  .flags = 0x480 /* BPF_F_RDONLY_PROG | BPF_F_MMAPABLE */, .origin = BVC_MAP_KCONFIG,
		  .init = (uint8_t *)adv_kconfig, .init_size = sizeof(adv_kconfig) },
	/* 8 */ { .name = "queue", .type = 22, .key_size = 0, .value_size = 8, .max_entries = 4 },
	/* 9 */ { .name = "lifo", .type = 23 /* stack */, .key_size = 0, .value_size = 8, .max_entries = 4 },
	/* 10 */ { .name = "cgs", .type = 19 /* cgroup_storage */, .key_size = 8, .value_size = 16 },
	/* 11 */ { .name = "cgs2", .type = 19, .key_size = 8, .value_size = 16 },
	/* 12 */ { .name = "pcgs", .type = 21 /* percpu_cgroup_storage */, .key_size = 8, .value_size = 8 },
	/* 13 */ { .name = "dev", .type = 14 /* devmap */, .key_size = 4, .value_size = 4, .max_entries = 4 },
	/* 14 */ { .name = "cpu", .type = 16 /* cpumap */, .key_size = 4, .value_size = 4, .max_entries = 4 },
	/* 15 */ { .name = "xsk", .type = 17 /* xskmap */, .key_size = 4, .value_size = 4, .max_entries = 4 },
	/* 16 */ { .name = "aom", .type = 12 /* array_of_maps */, .key_size = 4, .value_size = 4,
		   .max_entries = 4, .has_inner = true, .inner_idx = 17 },
	/* 17 */ { .name = "aom.inner", .type = BVC_MAP_ARRAY, .key_size = 4, .value_size = 16,
		   .max_entries = 4, .origin = BVC_MAP_INNER },
	/* 18 */ { .name = "hom", .type = 13 /* hash_of_maps */, .key_size = 4, .value_size = 4,
		   .max_entries = 4, .has_inner = true, .inner_idx = 19 },
	/* 19 */ { .name = "hom.inner", .type = BVC_MAP_HASH, .key_size = 4, .value_size = 8,
		   .max_entries = 16, .origin = BVC_MAP_INNER },
	/* 20 */ { .name = "aomv", .type = 12, .key_size = 4, .value_size = 4, .max_entries = 4,
		   .has_inner = true, .inner_idx = 21 },
	/* 21 */ { .name = "aomv.inner", .type = BVC_MAP_ARRAY, .key_size = 4, .value_size = 16,
		   .max_entries = 4, .flags = 1u << 12 /* BPF_F_INNER_MAP */, .origin = BVC_MAP_INNER },
	/* 22 */ { .name = "trie", .type = 11 /* lpm_trie */, .key_size = 8, .value_size = 8,
		   .max_entries = 16, .flags = 1 /* BPF_F_NO_PREALLOC */ },
	/* 23 */ { .name = "sockmap", .type = BVC_MAP_SOCKMAP, .key_size = 4, .value_size = 4, .max_entries = 4 },
};
#define NMAPS (sizeof(adv_maps) / sizeof(adv_maps[0]))

static bool want_log(const struct adv_case *c)
{
	const char *name = getenv("ADV_LOG");

	return name && !strcmp(name, c->name);
}

static size_t prog_len(const struct adv_case *c)
{
	static const struct bvc_insn zero;
	size_t n = MAXI;

	while (n && !memcmp(&c->insns[n - 1], &zero, sizeof(zero)))
		n--;
	return n;
}

static struct bvc_image *case_image(const struct adv_case *c)
{
	struct bvc_image *img = NULL;

	cr_assert_eq(bvc_image_from_raw(c->insns, prog_len(c), c->prog_type, c->name, &img), 0,
		     "%s", c->name);
	snprintf(img->license, sizeof(img->license), "GPL");
	img->progs[0].prog_flags = c->prog_flags;
	/* Types whose attach type is fixed at load get one: sk_lookup its
	 * only one (BPF_SK_LOOKUP), cgroup_sock_addr connect4,
	 * cgroup_sockopt getsockopt. */
	if (c->prog_type == 30)
		img->progs[0].expected_attach_type = 36;
	else if (c->prog_type == 18)
		img->progs[0].expected_attach_type = 10;
	else if (c->prog_type == 25)
		img->progs[0].expected_attach_type = 21;
	img->maps = calloc(NMAPS, sizeof(*img->maps));
	cr_assert_not_null(img->maps);
	memcpy(img->maps, adv_maps, sizeof(adv_maps));
	img->map_cnt = NMAPS;
	/* The image owns its maps' initial bytes. */
	for (size_t i = 0; i < NMAPS; i++) {
		if (!adv_maps[i].init)
			continue;
		img->maps[i].init = malloc(adv_maps[i].init_size);
		cr_assert_not_null(img->maps[i].init);
		memcpy(img->maps[i].init, adv_maps[i].init, adv_maps[i].init_size);
	}
	return img;
}

/* Our verdict: 1 accept, 0 reject; *msg gets the message. */
static int ours(const struct adv_case *c, char *msg, size_t msg_size)
{
	struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = 1000000 };
	struct bvc_image *img = case_image(c);
	struct bvc_verdict v;
	int acc;

	cr_assert_eq(bvc_verify(img, &img->progs[0], &opts, &v), 0, "%s", c->name);
	acc = bvc_verdict_accepted(&v);
	snprintf(msg, msg_size, "%s%s", v.kind == BVC_UNSUPPORTED ? "[unsupported] " : "",
		 acc ? "" : v.msg);
	bvc_verdict_release(&v);
	bvc_image_free(img);
	return acc;
}

static const char *verdict(int acc)
{
	return acc ? "accept" : "reject";
}

/* Our verdict as the table states it (1 accept, 0 reject). */
static int expected(const struct adv_case *c)
{
	cr_assert(c->expect >= REJ && c->expect <= REJ_GAP,
		  "%s: expect %d is not ACC, REJ, REJ_KBUG or REJ_GAP", c->name, c->expect);
	return c->expect == ACC;
}

static void check_one(const struct adv_case *c, int acc, const char *msg)
{
	cr_expect_eq(acc, expected(c), "%s: bpfvc must %s, it %ss (%s) [%s]", c->name,
		     verdict(expected(c)), verdict(acc), msg, c->note);
}

void adv_check_ours(const struct adv_case *cases, size_t n)
{
	bool verbose = getenv("ADV_VERBOSE") != NULL;

	for (size_t k = 0; k < n; k++) {
		const struct adv_case *c = &cases[k];
		char msg[300];
		int acc = ours(c, msg, sizeof(msg));

		if (verbose)
			fprintf(stderr, "%-48s table=%s ours=%s %s\n", c->name, verdict(expected(c)),
				verdict(acc), msg);
		check_one(c, acc, msg);
	}
}

/*
 * What the running kernel's verdict @kacc says about case @c, or NULL when
 * it is the one the table records. *is_new: no entry of the table explains
 * it, someone has to judge the program.
 */
static const char *kernel_remark(const struct adv_case *c, int kacc, bool *is_new)
{
	*is_new = false;
	switch (c->expect) {
	case ACC:
		if (kacc)
			return NULL;
		*is_new = true;
		return "NEW: the kernel rejects a program the table judges safe (a kernel regression, or a bug of ours)";
	case REJ:
		if (!kacc)
			return NULL;
		*is_new = true;
		return "NEW: the kernel accepts a program we reject (a new kernel bug, or a precision we miss)";
	case REJ_KBUG:
		return kacc ? "known kernel bug, not copied (docs/kernel-bugs.md)"
			    : "known kernel bug, absent from this kernel";
	case REJ_GAP:
		if (kacc)
			return "known precision gap: the kernel accepts, we reject (safe)";
		*is_new = true;
		return "NEW: the kernel rejects a program the table says it accepts";
	}
	return NULL;
}

void adv_check_kernel(const struct adv_case *cases, size_t n)
{
	struct bvc_kernel_result *r = malloc(sizeof(*r));
	bool verbose = getenv("ADV_VERBOSE") != NULL;
	bool strict = getenv("ADV_KERNEL_STRICT") != NULL;
	unsigned int bugs = 0, fresh = 0;

	cr_assert_not_null(r);
	for (size_t k = 0; k < n; k++) {
		const struct adv_case *c = &cases[k];
		struct bvc_image *img = case_image(c);
		const char *remark, *last = "", *p;
		bool is_new;
		char msg[300];
		int acc;

		bvc_kernel_load_prog(img, &img->progs[0], want_log(c) ? 2 : 1, r);
		if (want_log(c))
			fprintf(stderr, "%s\n", r->log);
		bvc_image_free(img);
		if (!r->available) {
			free(r);
			cr_skip_test("bpf(BPF_PROG_LOAD) not permitted here: kernel oracle unavailable");
		}
		acc = ours(c, msg, sizeof(msg));
		check_one(c, acc, msg);

		/* The kernel's last complaint: the line before "processed". */
		if (!r->accepted)
			for (last = r->log, p = r->log; (p = strchr(p, '\n')) && p[1]; p++)
				if (strncmp(p + 1, "processed ", 10))
					last = p + 1;
		remark = kernel_remark(c, r->accepted, &is_new);
		bugs += c->expect == REJ_KBUG && r->accepted;
		fresh += is_new;
		if (verbose || remark)
			fprintf(stderr, "%-48s kernel=%s ours=%s%s%s | ours: %s | kernel: %.*s\n", c->name,
				verdict(r->accepted), verdict(acc), remark ? " | " : "", remark ? remark : "",
				msg, (int)strcspn(last, "\n"), last);
		if (strict && is_new)
			cr_expect_fail("%s: %s (ADV_KERNEL_STRICT) [%s]", c->name, remark, c->note);
	}
	fprintf(stderr, "%zu cases: the running kernel shows %u known kernel bug(s), "
		"%u new disagreement(s)%s\n", n, bugs, fresh,
		fresh && !strict ? " (ADV_KERNEL_STRICT=1 makes them fail)" : "");
	free(r);
}
