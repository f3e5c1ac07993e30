// SPDX-License-Identifier: MIT
/*
 * Classification of one program (issue #3, point 3) and the checked-in
 * baseline of programs known not to agree yet.
 *
 * The reference verdict is the kernel's when it verified the program, else
 * the annotation's. Agreement passes. Unsound always fails. Any other
 * disagreement (over-reject, unsupported, bad input, our timeout or crash)
 * passes only when the program is listed in the baseline, and fails as a
 * regression when it is not.
 *
 * The baseline only shrinks: an update drops the entries of programs that
 * now agree and keeps the rest; adding entries needs an explicit request,
 * and an unsound program is never added.
 *
 * Must not: rewrite the baseline unless asked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"

const char *cp_class_name(int klass)
{
	static const char *const names[CP_C_CNT] = {
		[CP_C_SKIP] = "skipped",
		[CP_C_UNLABELLED] = "unlabelled",
		[CP_C_AGREE_ACCEPT] = "agree-accept",
		[CP_C_AGREE_REJECT] = "agree-reject",
		[CP_C_UNSOUND] = "unsound",
		[CP_C_OVER_REJECT] = "over-reject",
		[CP_C_UNSUPPORTED] = "unsupported",
		[CP_C_BAD_INPUT] = "bad-input",
		[CP_C_OUR_FAILURE] = "our-failure",
		[CP_C_KERNEL_ENV] = "kernel-cannot-load",
	};

	return klass >= 0 && klass < CP_C_CNT ? names[klass] : "?";
}

const char *cp_kstatus_name(int st)
{
	static const char *const names[] = { "not-run", "accept", "reject",
					     "load-error", "timeout", "crash" };

	return st >= 0 && st <= CP_K_CRASH ? names[st] : "?";
}

const char *cp_ostatus_name(int st)
{
	static const char *const names[] = { "not-run", "accept",  "reject", "unsupported",
					     "bad-input", "timeout", "crash", "error" };

	return st >= 0 && st <= CP_O_ERROR ? names[st] : "?";
}

/* Classes that neither pass nor need the baseline. */
static int class_is_neutral(int klass)
{
	return klass == CP_C_SKIP || klass == CP_C_UNLABELLED || klass == CP_C_KERNEL_ENV;
}

int cp_class_agrees(int klass)
{
	return klass == CP_C_AGREE_ACCEPT || klass == CP_C_AGREE_REJECT;
}

/* Does @s contain one of @pats? */
static int has_any(const char *s, const char *const *pats)
{
	for (; *pats; pats++)
		if (strstr(s, *pats))
			return 1;
	return 0;
}

const char *cp_kernel_env_reason(const struct cp_result *r, char *buf, size_t size)
{
	/* Verifier messages about this kernel's build, what is attached to
	 * it or what libbpf 1.1 made of the object, not about the program's
	 * safety: the kernel verified something else than the program. */
	static const struct {
		const char *pat;
		const char *reason;
	} env_rejects[] = {
		{ "attach_btf_id", "attach target missing (attach_btf_id)" },
		{ "Tracing programs must provide btf_id", "attach target missing (attach_btf_id)" },
		{ "The address of function ", "attach target missing (kallsyms)" },
		{ "unknown func ", "a helper this kernel does not have" },
		/* tests/progtype's rule: which helpers a kernel offers a type
		 * is partly its build's choice, and the kernel here refuses
		 * bpf_xdp_adjust_meta to xdp, which 6.12's source offers. Only
		 * that pair: most "cannot use helper" rejections are the
		 * source's rules, which a real program can break. */
		{ "program of this type cannot use helper bpf_xdp_adjust_meta#54",
		  "a helper this kernel's build does not offer to the program type" },
		/* 0xbad2310: libbpf's poisoned call for a CO-RE relocation it
		 * could not resolve against this kernel's BTF */
		{ "invalid func unknown#195896080",
		  "CO-RE relocation unresolved against this kernel's BTF (libbpf poisoned it)" },
		/* libbpf 1.1 does not append __exception_cb subprograms */
		{ "exception callback type id not found in func_info",
		  "exception callback: libbpf 1.1 does not pass it" },
	};
	static const struct {
		const char *const pats[6];
		const char *reason;
	} loaderrs[] = {
		{ { "struct_ops", NULL }, "struct_ops" },
		{ { "bpf_testmod", "bpf_kfunc_call_test", NULL },
		  "bpf_testmod kfuncs or BTF (module not loaded)" },
		{ { "extern (func ksym)", "extern (var ksym)", "failed to resolve CO-RE",
		    "extern", NULL },
		  "kfunc, ksym or CO-RE target missing from this kernel's BTF" },
		{ { "attach", "find kernel BTF type ID", "BTF type ID", "target", NULL },
		  "attach target missing (attach_btf_id)" },
		{ { "failed to create map", "map '", "create map", "bpf_create_map", NULL },
		  "map creation failed" },
		{ { "missing BPF prog type", "prog type", "unrecognized", "sec_def", NULL },
		  "unknown program type for the section" },
		{ { "refused it before verifying", NULL },
		  "refused before verifying (no verifier log)" },
		{ { "no answer in", NULL }, "kernel watchdog" },
		{ { "child failed", NULL }, "libbpf crashed" },
	};
	size_t i;

	switch (r->kstatus) {
	case CP_K_ACCEPT:
	case CP_K_NOTRUN:
		return NULL;
	case CP_K_REJECT:
		for (i = 0; i < sizeof(env_rejects) / sizeof(env_rejects[0]); i++) {
			if (strstr(r->kerrline, env_rejects[i].pat)) {
				snprintf(buf, size, "%s", env_rejects[i].reason);
				return buf;
			}
		}
		return NULL;
	default:
		break;
	}
	for (i = 0; i < sizeof(loaderrs) / sizeof(loaderrs[0]); i++) {
		if (has_any(r->kloaderr, loaderrs[i].pats)) {
			snprintf(buf, size, "%s", loaderrs[i].reason);
			return buf;
		}
	}
	snprintf(buf, size, "libbpf: %.120s", r->kloaderr[0] ? r->kloaderr : "load failed");
	return buf;
}

const char *cp_unsupported_feature(const char *msg, char *buf, size_t size)
{
	static const char *const cuts[] = { " (", " at insn ", ": ", ", ", NULL };
	const char *f = msg;
	size_t i;

	if (!strncmp(f, "unsupported: ", 13))
		f += 13;
	if (!strncmp(f, "extern '", 8)) {
		/* which kind of extern is the feature */
		const char *name = f + 8;

		snprintf(buf, size, "%s",
			 !strncmp(name, "CONFIG_", 7) || !strncmp(name, "LINUX_", 6) ?
				 "extern kconfig/version" : "extern ksym/kfunc");
		return buf;
	}
	snprintf(buf, size, "%.200s", f);
	for (i = 0; cuts[i]; i++) {
		char *cut = strstr(buf, cuts[i]);

		if (cut)
			*cut = '\0';
	}
	return buf;
}

void cp_classify(struct cp_prog *p)
{
	const struct cp_result *r = &p->res;
	int ref = -1; /* 0 accept, 1 reject */
	char why[CP_TEXT];

	p->annot = -1;
	if (p->tier == CP_TIER_SELFTEST && p->spec.valid && p->spec.has_priv)
		p->annot = p->spec.expect_failure;
	/* Tier 2: only the files test_loader runs carry expectations. */
	if (p->tier == CP_TIER_SELFTEST2 && p->spec.valid && p->spec.tagged &&
	    p->spec.has_priv)
		p->annot = p->spec.expect_failure;
	if (p->spec.auxiliary || !p->spec.arch_ok) {
		p->klass = CP_C_SKIP;
		return;
	}
	/* Tier 2: what the kernel cannot load here is counted apart, not
	 * compared; but accepting what the annotation rejects stays unsound. */
	if (p->tier == CP_TIER_SELFTEST2 && r->ostatus != CP_O_NOTRUN &&
	    cp_kernel_env_reason(r, why, sizeof(why))) {
		p->klass = r->ostatus == CP_O_ACCEPT && p->annot == 1 ? CP_C_UNSOUND :
									 CP_C_KERNEL_ENV;
		return;
	}
	if (r->kstatus == CP_K_ACCEPT)
		ref = 0;
	else if (r->kstatus == CP_K_REJECT)
		ref = 1;
	else
		ref = p->annot;

	switch (r->ostatus) {
	case CP_O_ACCEPT:
		if (r->kstatus == CP_K_REJECT || p->annot == 1)
			p->klass = CP_C_UNSOUND;
		else
			p->klass = ref == 0 ? CP_C_AGREE_ACCEPT : CP_C_UNLABELLED;
		break;
	case CP_O_REJECT:
		p->klass = ref == 1 ? CP_C_AGREE_REJECT :
			   ref == 0 ? CP_C_OVER_REJECT : CP_C_UNLABELLED;
		break;
	case CP_O_UNSUPPORTED:
		p->klass = CP_C_UNSUPPORTED;
		break;
	case CP_O_BADINPUT:
		p->klass = CP_C_BAD_INPUT;
		break;
	case CP_O_TIMEOUT:
	case CP_O_CRASH:
	case CP_O_ERROR:
		p->klass = CP_C_OUR_FAILURE;
		break;
	default:
		p->klass = CP_C_SKIP;
		break;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static long find(const struct cp_baseline *bl, const char *id)
{
	size_t lo = 0, hi = bl->cnt;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(bl->ids[mid], id);

		if (!c)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int cp_baseline_load(struct cp_baseline *bl, const char *path)
{
	char line[1024];
	FILE *f;
	size_t cap = 0;

	memset(bl, 0, sizeof(*bl));
	bl->path = path;
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	bl->loaded = 1;
	while (fgets(line, sizeof(line), f)) {
		char *id, *cls, *save = NULL;

		id = strtok_r(line, " \t\r\n", &save);
		if (!id || id[0] == '#')
			continue;
		cls = strtok_r(NULL, " \t\r\n", &save);
		if (bl->cnt == cap) {
			cap = cap ? 2 * cap : 1024;
			bl->ids = realloc(bl->ids, cap * sizeof(*bl->ids));
			bl->classes = realloc(bl->classes, cap * sizeof(*bl->classes));
			if (!bl->ids || !bl->classes)
				cp_die_nomem();
		}
		bl->ids[bl->cnt] = cp_strdup(id);
		bl->classes[bl->cnt] = cp_strdup(cls ? cls : "?");
		bl->cnt++;
	}
	fclose(f);
	/* Sort ids and classes together: sort "id\tclass" strings. */
	{
		char **pairs = calloc(bl->cnt ? bl->cnt : 1, sizeof(*pairs));
		size_t i;

		if (!pairs)
			cp_die_nomem();
		for (i = 0; i < bl->cnt; i++) {
			size_t n = strlen(bl->ids[i]) + strlen(bl->classes[i]) + 2;

			pairs[i] = malloc(n);
			if (!pairs[i])
				cp_die_nomem();
			snprintf(pairs[i], n, "%s\t%s", bl->ids[i], bl->classes[i]);
			free(bl->ids[i]);
			free(bl->classes[i]);
		}
		qsort(pairs, bl->cnt, sizeof(*pairs), cmp_str);
		for (i = 0; i < bl->cnt; i++) {
			char *tab = strchr(pairs[i], '\t');

			*tab = '\0';
			bl->ids[i] = cp_strdup(pairs[i]);
			bl->classes[i] = cp_strdup(tab + 1);
			free(pairs[i]);
		}
		free(pairs);
	}
	return 0;
}

void cp_baseline_apply(struct cp_baseline *bl, struct cp_run *run)
{
	unsigned char *seen = calloc(bl->cnt ? bl->cnt : 1, 1);
	size_t i;

	if (!seen)
		cp_die_nomem();
	bl->matched = bl->stale = bl->absent = bl->regressions = bl->unsound = 0;
	bl->passed = bl->failed = 0;
	for (i = 0; i < run->prog_cnt; i++) {
		struct cp_prog *p = &run->progs[i];
		long at = find(bl, p->id);

		if (at >= 0)
			seen[at] = 1;
		p->in_baseline = at >= 0;
		p->regression = 0;
		if (cp_class_agrees(p->klass)) {
			bl->passed++;
			if (at >= 0)
				bl->stale++;
		} else if (p->klass == CP_C_UNSOUND) {
			bl->unsound++;
			bl->failed++;
		} else if (class_is_neutral(p->klass)) {
			/* not compared this time (filtered, skipped, unlabelled) */
		} else if (at >= 0 || !bl->loaded) {
			/* Without a baseline (a long generator run) only unsound
			 * programs fail; the rest is reported. */
			bl->matched += at >= 0;
			bl->passed++;
		} else {
			p->regression = 1;
			bl->regressions++;
			bl->failed++;
		}
	}
	for (i = 0; i < bl->cnt; i++)
		bl->absent += !seen[i];
	free(seen);
}

int cp_baseline_update(struct cp_baseline *bl, const struct cp_run *run, int grow)
{
	char **ids = NULL, **cls = NULL;
	size_t cnt = 0, i;
	char tmp[4096];
	FILE *f;

	ids = calloc(bl->cnt + run->prog_cnt + 1, sizeof(*ids));
	cls = calloc(bl->cnt + run->prog_cnt + 1, sizeof(*cls));
	if (!ids || !cls)
		cp_die_nomem();
	bl->added = bl->dropped = 0;
	bl->grow_refused = 0;

	/* Keep entries whose program is still out of agreement, with its
	 * class of today, and entries this run did not see at all. */
	for (i = 0; i < bl->cnt; i++) {
		const struct cp_prog *p = NULL;
		size_t j;

		for (j = 0; j < run->prog_cnt; j++) {
			if (!strcmp(run->progs[j].id, bl->ids[i])) {
				p = &run->progs[j];
				break;
			}
		}
		if (!p || class_is_neutral(p->klass)) {
			/* not compared in this run: keep it as it is */
			ids[cnt] = bl->ids[i];
			cls[cnt++] = bl->classes[i];
		} else if (!cp_class_agrees(p->klass) && p->klass != CP_C_UNSOUND) {
			ids[cnt] = bl->ids[i];
			cls[cnt++] = (char *)cp_class_name(p->klass);
		} else {
			bl->dropped++;
		}
	}
	for (i = 0; i < run->prog_cnt; i++) {
		const struct cp_prog *p = &run->progs[i];

		if (cp_class_agrees(p->klass) || class_is_neutral(p->klass) ||
		    p->klass == CP_C_UNSOUND || find(bl, p->id) >= 0)
			continue;
		if (!grow) {
			bl->grow_refused = 1;
			continue;
		}
		ids[cnt] = p->id;
		cls[cnt++] = (char *)cp_class_name(p->klass);
		bl->added++;
	}

	snprintf(tmp, sizeof(tmp), "%s.tmp", bl->path);
	f = fopen(tmp, "w");
	if (!f) {
		free(ids);
		free(cls);
		return -errno;
	}
	fprintf(f, "# bpfvc kernel-parity corpus: programs known not to agree yet.\n"
		   "# One line per program: <id> <class>. Shrink-only: the harness drops\n"
		   "# entries that agree again (BVC_CORPUS_UPDATE_BASELINE=1) and adds\n"
		   "# entries only when told (BVC_CORPUS_GROW_BASELINE=1). Never unsound ones.\n");
	{
		/* Write sorted by id. */
		size_t *order = malloc((cnt ? cnt : 1) * sizeof(*order)), a, b;

		if (!order)
			cp_die_nomem();
		for (a = 0; a < cnt; a++)
			order[a] = a;
		for (a = 1; a < cnt; a++) {
			size_t v = order[a];

			for (b = a; b > 0 && strcmp(ids[order[b - 1]], ids[v]) > 0; b--)
				order[b] = order[b - 1];
			order[b] = v;
		}
		for (a = 0; a < cnt; a++)
			fprintf(f, "%s %s\n", ids[order[a]], cls[order[a]]);
		free(order);
	}
	if (fclose(f) || rename(tmp, bl->path)) {
		free(ids);
		free(cls);
		return -errno;
	}
	free(ids);
	free(cls);
	bl->updated = 1;
	return 0;
}

void cp_baseline_free(struct cp_baseline *bl)
{
	size_t i;

	for (i = 0; i < bl->cnt; i++) {
		free(bl->ids[i]);
		free(bl->classes[i]);
	}
	free(bl->ids);
	free(bl->classes);
	bl->ids = bl->classes = NULL;
	bl->cnt = 0;
}
