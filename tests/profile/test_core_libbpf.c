// SPDX-License-Identifier: MIT
/*
 * CO-RE offsets equal libbpf's (issue #17): every test_core_reloc_*.o of
 * the kernel's selftests, relocated against every btf__core_reloc_*.o
 * target BTF of its family, by bvc_core_apply() and by libbpf
 * (bpf_object__open_file with btf_custom_path, then bpf_object__load,
 * which relocates and loads into the running kernel; the instructions are
 * read back with bpf_program__insns whatever the kernel's verdict). Each
 * relocated instruction must be the same, and where libbpf refuses the
 * relocation, so must we.
 *
 * The objects are compiled at test time from Debian's linux-source-6.12
 * (core_prepare.sh, GPL, never committed) into BVC_CORE_DIR; the suite
 * skips when they cannot be made or without root (libbpf's load needs it).
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "bpfvc/loader.h"

static char libbpf_log[1 << 16];
static size_t libbpf_log_len;

static int capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	(void)level;
	if (libbpf_log_len >= sizeof(libbpf_log) - 1)
		return 0;
	n = vsnprintf(libbpf_log + libbpf_log_len, sizeof(libbpf_log) - libbpf_log_len, fmt, ap);
	if (n > 0)
		libbpf_log_len += (size_t)n < sizeof(libbpf_log) - libbpf_log_len
					  ? (size_t)n
					  : sizeof(libbpf_log) - libbpf_log_len - 1;
	return 0;
}

struct tally {
	int pairs, relos, insns_compared, both_refused, mismatches, ours_only_unsupported;
};

/* One program object against one target BTF object. */
static void compare(const char *dir, const char *prog_obj, const char *btf_obj, struct tally *t)
{
	char ppath[4096], bpath[4096], err[512], why[512];
	struct bvc_image *img = NULL;
	struct bpf_object *obj;
	struct btf *tb;
	struct bvc_core_target *target = NULL;
	size_t i, k;

	snprintf(ppath, sizeof(ppath), "%s/%s", dir, prog_obj);
	snprintf(bpath, sizeof(bpath), "%s/%s", dir, btf_obj);
	tb = btf__parse(bpath, NULL);
	cr_assert_not_null(tb, "%s: no BTF", bpath);
	{
		uint32_t size;
		const void *raw = btf__raw_data(tb, &size);

		cr_assert_eq(bvc_core_target_new(raw, size, &target, err, sizeof(err)), 0, "%s: %s",
			     bpath, err);
	}
	cr_assert_eq(bvc_load_elf(ppath, &img, err, sizeof(err)), 0, "%s", err);

	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = bpath);
	libbpf_log_len = 0;
	libbpf_log[0] = 0;
	obj = bpf_object__open_file(ppath, &oo);
	cr_assert_not_null(obj, "libbpf cannot open %s", ppath);
	bpf_object__load(obj); /* the kernel's verdict does not matter here */

	for (i = 0; i < img->prog_cnt; i++) {
		struct bvc_prog *p = &img->progs[i];
		struct bpf_program *lp = bpf_object__find_program_by_name(obj, p->name);
		const struct bpf_insn *li;
		size_t lcnt, ncr = p->core_relo_cnt;
		uint32_t *at;
		int ret, lib_failed;

		if (!ncr || !lp)
			continue;
		at = calloc(ncr, sizeof(*at));
		cr_assert_not_null(at);
		for (k = 0; k < ncr; k++)
			at[k] = p->core_relos[k].insn;
		t->pairs++;
		ret = bvc_core_apply(img, p, target, why, sizeof(why));
		lib_failed = strstr(libbpf_log, "failed to perform CO-RE relocations") != NULL;
		if (ret) {
			if (lib_failed) {
				t->both_refused++;
			} else if (ret == -EOPNOTSUPP) {
				t->ours_only_unsupported++; /* sound: we refuse */
				cr_log_info("%s on %s: %s: unsupported: %s", prog_obj, btf_obj,
					    p->name, why);
			} else {
				t->mismatches++;
				cr_log_error("%s on %s: %s: we refuse (%s), libbpf relocates",
					     prog_obj, btf_obj, p->name, why);
			}
			free(at);
			continue;
		}
		if (lib_failed) {
			t->mismatches++;
			cr_log_error("%s on %s: %s: libbpf refuses, we relocate", prog_obj, btf_obj,
				     p->name);
			free(at);
			continue;
		}
		li = bpf_program__insns(lp);
		lcnt = bpf_program__insn_cnt(lp);
		cr_assert_not_null(li, "%s: libbpf kept no instructions", p->name);
		for (k = 0; k < ncr; k++) {
			const struct bvc_insn *o = &p->insns[at[k]];
			const struct bpf_insn *l = &li[at[k]];
			int wide = o->code == 0x18;

			/* Subprograms may be laid out otherwise: compare the
			 * entry function's records, which both place first. */
			if (at[k] >= p->main_cnt || at[k] + (size_t)wide >= lcnt)
				continue;
			t->relos++;
			for (int w = 0; w <= wide; w++) {
				t->insns_compared++;
				if (o[w].code != l[w].code || o[w].dst != l[w].dst_reg ||
				    o[w].src != l[w].src_reg || o[w].off != l[w].off ||
				    o[w].imm != l[w].imm) {
					t->mismatches++;
					cr_log_error(
						"%s on %s: %s insn %u: ours %02x %u %u %d %d, libbpf's %02x %u %u %d %d",
						prog_obj, btf_obj, p->name, at[k] + w, o[w].code,
						o[w].dst, o[w].src, o[w].off, o[w].imm, l[w].code,
						l[w].dst_reg, l[w].src_reg, l[w].off, l[w].imm);
				}
			}
		}
		free(at);
	}
	bpf_object__close(obj);
	bvc_image_free(img);
	bvc_core_target_free(target);
	btf__free(tb);
}

/* The family of a btf__core_reloc_FAMILY___flavor.o: its name up to the
 * flavor. Program objects of the family: test_core_reloc_FAMILY.o and
 * test_core_reloc_FAMILY_*.o (bitfields_direct, bitfields_probed). */
static int in_family(const char *prog_obj, const char *fam)
{
	static const char pre[] = "test_core_reloc_";
	size_t fl = strlen(fam);
	const char *rest;

	if (strncmp(prog_obj, pre, sizeof(pre) - 1) || strncmp(prog_obj + sizeof(pre) - 1, fam, fl))
		return 0;
	rest = prog_obj + sizeof(pre) - 1 + fl;
	if (!strcmp(rest, ".o"))
		return 1;
	return !strcmp(fam, "bitfields") &&
	       (!strcmp(rest, "_direct.o") || !strcmp(rest, "_probed.o"));
}

Test(core, offsets_equal_libbpfs, .timeout = 600)
{
	const char *dir = getenv("BVC_CORE_DIR");
	struct dirent **ents;
	struct tally t = { 0 };
	int n, i, j;

	if (!dir || access(dir, R_OK))
		cr_skip_test("BVC_CORE_DIR not set or unreadable (core_prepare.sh makes it)");
	if (geteuid())
		cr_skip_test("not root: libbpf's load (the reference) needs it");
	libbpf_set_print(capture);
	n = scandir(dir, &ents, NULL, alphasort);
	cr_assert_gt(n, 0);
	for (i = 0; i < n; i++) {
		char fam[256];
		const char *name = ents[i]->d_name, *sep;
		size_t len = strlen(name);

		if (strncmp(name, "btf__core_reloc_", 16) || len < 3 ||
		    strcmp(name + len - 2, ".o"))
			continue;
		snprintf(fam, sizeof(fam), "%s", name + 16);
		sep = strstr(fam, "___");
		if (sep)
			fam[sep - fam] = 0;
		else
			fam[strlen(fam) - 2] = 0;
		for (j = 0; j < n; j++)
			if (in_family(ents[j]->d_name, fam))
				compare(dir, ents[j]->d_name, name, &t);
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	cr_log_info(
		"CO-RE vs libbpf: %d program/target pairs, %d relocations (%d insns) equal, %d refused by both, %d unsupported by us only, %d mismatches",
		t.pairs, t.relos, t.insns_compared, t.both_refused, t.ours_only_unsupported,
		t.mismatches);
	printf("CO-RE vs libbpf: %d program/target pairs, %d relocations (%d insns) compared, %d refused by both, %d unsupported by us only, %d mismatches\n",
	       t.pairs, t.relos, t.insns_compared, t.both_refused, t.ours_only_unsupported,
	       t.mismatches);
	cr_expect_eq(t.mismatches, 0);
	/* Not vacuous: the families give hundreds of relocations. */
	cr_expect_gt(t.pairs, 50);
	cr_expect_gt(t.relos, 800);
	/* type_matches included: nothing is left unsupported */
	cr_expect_eq(t.ours_only_unsupported, 0);
	cr_expect_gt(t.both_refused, 0);
}
