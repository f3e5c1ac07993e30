// SPDX-License-Identifier: MIT
/*
 * .kconfig externs (loader/kconfig.c): values from a target kernel's
 * profile, laid out and typed as libbpf does, folded into a read-only
 * .kconfig map the verifier reads as constants. Each test states the
 * profile it loads with (bvc_kconfig_from_text), so none depends on this
 * machine's configuration, except the one that reads it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/loader.h"
#include "bpfvc/verifier.h"

#define ERRSZ 512

static const char *const dirs[] = { BVC_PROGS_DIR, BVC_PROGS_DIR "/clang19" };

/* A profile with every extern of kconfig.bpf.c that is strong. */
static const char base_profile[] = "# a device\n"
				   "CONFIG_BPF_SYSCALL=y\n"
				   "CONFIG_HZ=1000\n"
				   "CONFIG_DEFAULT_HOSTNAME=\"(device)\"\n"
				   "LINUX_KERNEL_VERSION=395776\n"; /* 6.10.0 */

static struct bvc_kconfig *profile(const char *text)
{
	struct bvc_kconfig *kc = NULL;
	char err[ERRSZ] = "";

	cr_assert_eq(bvc_kconfig_from_text(text, strlen(text), "test profile", &kc, err, sizeof(err)),
		     0, "%s", err);
	return kc;
}

/* kconfig.bpf.o of @dir loaded with @kc; NULL and @err filled on failure. */
static struct bvc_image *load(const char *dir, const struct bvc_kconfig *kc, int *rc, char *err)
{
	struct bvc_load_opts opts = { .sz = sizeof(opts), .kconfig = kc };
	struct bvc_image *img = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s/kconfig.bpf.o", dir);
	*rc = bvc_load_elf_opts(path, &opts, &img, err, ERRSZ);
	return img;
}

static const struct bvc_kconfig_var *var(const struct bvc_image *img, const char *name)
{
	for (size_t i = 0; i < img->kconfig_var_cnt; i++)
		if (!strcmp(img->kconfig_vars[i].name, name))
			return &img->kconfig_vars[i];
	cr_assert_fail("no .kconfig extern '%s'", name);
	return NULL;
}

static const struct bvc_map *kconfig_map(const struct bvc_image *img)
{
	cr_assert_gt(img->map_cnt, 0);
	/* Last, after user maps and global data. */
	cr_assert_eq(img->maps[img->map_cnt - 1].origin, BVC_MAP_KCONFIG);
	return &img->maps[img->map_cnt - 1];
}

static uint64_t value_of(const struct bvc_image *img, const char *name)
{
	const struct bvc_kconfig_var *v = var(img, name);
	const struct bvc_map *m = kconfig_map(img);
	uint64_t x = 0;

	cr_assert_leq(v->off + v->size, m->init_size);
	for (uint32_t i = v->size; i-- > 0;)
		x = x << 8 | m->init[v->off + i];
	return x;
}

/* The verdict on @prog: its kind and message (what the tests look at),
 * the rest released. */
static struct bvc_verdict verify(const struct bvc_image *img, const char *prog)
{
	const struct bvc_prog *p = bvc_image_find_prog(img, prog);
	struct bvc_verdict v, out = { 0 };

	cr_assert(p, "no program %s", prog);
	cr_assert_eq(bvc_verify(img, p, NULL, &v), 0);
	out.kind = v.kind;
	out.insn = v.insn;
	memcpy(out.msg, v.msg, sizeof(out.msg));
	bvc_verdict_release(&v);
	return out;
}

Test(kconfig, values_and_layout_as_libbpf)
{
	struct bvc_kconfig *kc = profile(base_profile);

	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		char err[ERRSZ] = "";
		struct bvc_image *img;
		const struct bvc_map *m;
		const struct bvc_kconfig_var *s;
		int rc;

		img = load(dirs[d], kc, &rc, err);
		cr_assert_eq(rc, 0, "%s", err);
		m = kconfig_map(img);
		cr_assert_str_eq(m->name, ".kconfig");
		cr_assert_eq(m->type, BVC_MAP_ARRAY);
		cr_assert_eq(m->max_entries, 1);
		cr_assert_eq(m->key_size, 4);
		cr_assert_eq(m->flags & (1u << 7), 1u << 7, "BPF_F_RDONLY_PROG");
		cr_assert_eq(img->kconfig_var_cnt, 7);
		cr_assert_str_eq(img->kconfig_source, "test profile");
		/* libbpf's order: larger alignment first, then by name. */
		cr_assert_eq(var(img, "CONFIG_BVC_NO_SUCH_NUMBER")->off, 0);
		cr_assert_eq(var(img, "CONFIG_BVC_NO_SUCH_NUMBER")->size, 8);
		cr_assert_eq(value_of(img, "LINUX_KERNEL_VERSION"), 395776);
		cr_assert_eq(value_of(img, "CONFIG_BPF_SYSCALL"), 1); /* TRI_YES */
		cr_assert_eq(value_of(img, "CONFIG_HZ"), 1000);
		cr_assert_eq(value_of(img, "CONFIG_BVC_NO_SUCH_OPTION"), 0);
		cr_assert_not(var(img, "CONFIG_BVC_NO_SUCH_OPTION")->set);
		/* Weak, absent from the profile: libbpf's zero. */
		cr_assert_eq(value_of(img, "LINUX_HAS_BPF_COOKIE"), 0);
		s = var(img, "CONFIG_DEFAULT_HOSTNAME");
		cr_assert_eq(s->size, 16);
		cr_assert_str_eq((const char *)m->init + s->off, "(device)");
		bvc_image_free(img);
	}
	bvc_kconfig_free(kc);
}

/* The branch under a weak option no kernel has is dead: never explored. A
 * profile that sets it makes the branch live and its bad load refused. */
Test(kconfig, dead_branch_follows_the_profile)
{
	char text[sizeof(base_profile) + 64];
	struct bvc_kconfig *off = profile(base_profile), *on;
	char err[ERRSZ] = "";
	struct bvc_image *img;
	struct bvc_verdict v;
	int rc;

	snprintf(text, sizeof(text), "%sCONFIG_BVC_NO_SUCH_OPTION=y\n", base_profile);
	on = profile(text);
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		img = load(dirs[d], off, &rc, err);
		cr_assert_eq(rc, 0, "%s", err);
		v = verify(img, "kconfig_dead_branch");
		cr_assert(bvc_verdict_accepted(&v), "%s", v.msg);
		v = verify(img, "kconfig_values");
		cr_assert(bvc_verdict_accepted(&v), "%s", v.msg);
		bvc_image_free(img);

		img = load(dirs[d], on, &rc, err);
		cr_assert_eq(rc, 0, "%s", err);
		v = verify(img, "kconfig_dead_branch");
		cr_assert_eq(v.kind, BVC_REJECT, "%s", v.msg);
		cr_assert(strstr(v.msg, "invalid mem access 'scalar'"), "%s", v.msg);
		bvc_image_free(img);
	}
	bvc_kconfig_free(off);
	bvc_kconfig_free(on);
}

/* As libbpf: "extern '%s' (strong): not resolved" fails the whole load. */
Test(kconfig, strong_extern_missing_fails_the_load)
{
	struct bvc_kconfig *kc = profile("CONFIG_BPF_SYSCALL=y\nLINUX_KERNEL_VERSION=1\n");
	char err[ERRSZ] = "";
	int rc;

	cr_assert_null(load(BVC_PROGS_DIR, kc, &rc, err));
	cr_assert_eq(rc, -ESRCH);
	cr_assert(strstr(err, "extern 'CONFIG_HZ' (strong): not resolved (test profile)"), "%s", err);
	bvc_kconfig_free(kc);
}

/* libbpf's type rules, with its words: each profile breaks one. */
Test(kconfig, values_that_do_not_fit_their_type)
{
	static const struct {
		const char *line;
		const char *msg;
	} cases[] = {
		{ "CONFIG_BVC_NO_SUCH_OPTION=m",
		  "extern (kcfg) 'CONFIG_BVC_NO_SUCH_OPTION': value 'm' implies tristate or char type" },
		{ "CONFIG_BVC_NO_SUCH_OPTION=2",
		  "extern (kcfg) 'CONFIG_BVC_NO_SUCH_OPTION': value '2' implies integer type" },
		{ "CONFIG_HZ=4294967296", "extern (kcfg) 'CONFIG_HZ': value '4294967296' doesn't fit in 4 bytes" },
		{ "CONFIG_HZ=y", "extern (kcfg) 'CONFIG_HZ': value 'y' implies bool, tristate, or char type" },
		{ "CONFIG_HZ=12abc", "extern (kcfg) 'CONFIG_HZ': value '12abc' isn't a valid integer" },
		{ "CONFIG_HZ=\"250\"", "extern (kcfg) 'CONFIG_HZ': value '\"250\"' implies char array type" },
		{ "CONFIG_DEFAULT_HOSTNAME=\"x", "extern (kcfg) 'CONFIG_DEFAULT_HOSTNAME': invalid string config '\"x'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512], err[ERRSZ] = "";
		struct bvc_kconfig *kc;
		int rc;

		/* The first value of a name wins, as in libbpf. */
		snprintf(text, sizeof(text), "%s\n%s", cases[i].line, base_profile);
		kc = profile(text);
		cr_assert_null(load(BVC_PROGS_DIR, kc, &rc, err));
		cr_assert_lt(rc, 0);
		cr_assert(strstr(err, cases[i].msg), "%s: %s", cases[i].line, err);
		bvc_kconfig_free(kc);
	}
}

Test(kconfig, long_string_is_cut_as_libbpf)
{
	char text[512], err[ERRSZ] = "";
	struct bvc_kconfig *kc;
	struct bvc_image *img;
	const struct bvc_kconfig_var *s;
	int rc;

	snprintf(text, sizeof(text), "CONFIG_DEFAULT_HOSTNAME=\"0123456789abcdefXYZ\"\n%s",
		 base_profile);
	kc = profile(text);
	img = load(BVC_PROGS_DIR, kc, &rc, err);
	cr_assert_eq(rc, 0, "%s", err);
	s = var(img, "CONFIG_DEFAULT_HOSTNAME");
	cr_assert_str_eq((const char *)kconfig_map(img)->init + s->off, "0123456789abcde");
	bvc_image_free(img);
	bvc_kconfig_free(kc);
}

Test(kconfig, malformed_profile)
{
	struct bvc_kconfig *kc = NULL;
	char err[ERRSZ] = "";

	cr_assert_eq(bvc_kconfig_from_text("CONFIG_A=y\nCONFIG_B\n", 20, "p", &kc, err, sizeof(err)),
		     -EINVAL);
	cr_assert_null(kc);
	cr_assert_str_eq(err, "p: line 2: expected NAME=VALUE");
	cr_assert_eq(bvc_kconfig_from_text("CONFIG_A=\n", 10, "p", &kc, err, sizeof(err)), -EINVAL);
	cr_assert_eq(bvc_kconfig_from_text("CONFIG_A=\x01\n", 11, "p", &kc, err, sizeof(err)),
		     -EINVAL);
	cr_assert_str_eq(err, "p: line 1: control character");
}

/* This machine's profile: the values libbpf would fill here. */
Test(kconfig, host_profile)
{
	struct bvc_kconfig *kc = NULL;
	char err[ERRSZ] = "";
	const char *v;
	int rc = bvc_kconfig_from_host(&kc, err, sizeof(err));

	if (rc) {
		cr_log_warn("skip: %s", err);
		return;
	}
	v = bvc_kconfig_get(kc, "LINUX_KERNEL_VERSION");
	cr_assert(v && strtoul(v, NULL, 0) > 0);
	cr_assert_not_null(bvc_kconfig_get(kc, "LINUX_HAS_BPF_COOKIE"));
	cr_assert_not_null(bvc_kconfig_get(kc, "LINUX_HAS_SYSCALL_WRAPPER"));
	cr_assert(strstr(bvc_kconfig_source(kc), "config"), "%s", bvc_kconfig_source(kc));
	bvc_kconfig_free(kc);
}

/* struct_ops (not a kconfig matter, but the same task): a struct_ops map is
 * unsupported, not bad input. */
Test(struct_ops, unsupported_not_bad_input)
{
	struct bvc_load_opts keep = { .sz = sizeof(keep), .keep_unsupported = 1 };

	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		char path[512], err[ERRSZ] = "";
		struct bvc_image *img = NULL;
		const struct bvc_prog *p;
		struct bvc_verdict v;

		snprintf(path, sizeof(path), "%s/loader_struct_ops.bpf.o", dirs[d]);
		cr_assert_eq(bvc_load_elf(path, &img, err, sizeof(err)), -EOPNOTSUPP);
		cr_assert(strstr(err, "unsupported: struct_ops maps (section '.struct_ops')"), "%s",
			  err);
		cr_assert_eq(bvc_load_elf_opts(path, &keep, &img, err, sizeof(err)), 0, "%s", err);
		p = bvc_image_find_prog(img, "op_impl");
		cr_assert_not_null(p);
		cr_assert_str_eq(p->unsupported, "unsupported: struct_ops (maps in section '.struct_ops')");
		v = verify(img, "op_impl");
		cr_assert_eq(v.kind, BVC_UNSUPPORTED, "%s", v.msg);
		cr_assert_eq(img->prog_cnt, 1);
		bvc_image_free(img);
	}
}
