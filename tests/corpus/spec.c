// SPDX-License-Identifier: MIT
/*
 * Annotations of the kernel's verifier selftests, read from the object's
 * BTF with libbpf: each test function carries decl tags named
 * "comment:test_expect_failure", "comment:test_expect_msg=<n>=<text>",
 * "comment:test_prog_flags=<flag>", ... (tools/testing/selftests/bpf/
 * progs/bpf_misc.h). Only the privileged expectations matter here: the
 * machines we compare on have unprivileged BPF disabled.
 *
 * Must not: load anything into the kernel (oracle.c does).
 */
#include <errno.h>
#include <linux/bpf.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "corpus.h"

#define TAG "comment:test_"

static int has_pfx(const char *s, const char *pfx)
{
	return !strncmp(s, pfx, strlen(pfx));
}

/* Tags that can repeat carry "<counter>=" after the prefix: skip it. */
static const char *after_counter(const char *s, const char *pfx)
{
	const char *eq;

	if (!has_pfx(s, pfx))
		return NULL;
	eq = strchr(s + strlen(pfx), '=');
	return eq ? eq + 1 : NULL;
}

/* Program flags by the names the selftests use in __flag(). */
static int flag_value(const char *name, uint32_t *val)
{
	static const struct {
		const char *name;
		uint32_t val;
	} names[] = {
		{ "BPF_F_STRICT_ALIGNMENT", 1u << 0 },  { "BPF_F_ANY_ALIGNMENT", 1u << 1 },
		{ "BPF_F_TEST_RND_HI32", 1u << 2 },     { "BPF_F_TEST_STATE_FREQ", 1u << 3 },
		{ "BPF_F_SLEEPABLE", 1u << 4 },         { "BPF_F_XDP_HAS_FRAGS", 1u << 5 },
		{ "BPF_F_TEST_REG_INVARIANTS", 1u << 7 },
	};
	char *end;
	long v;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(name, names[i].name)) {
			*val = names[i].val;
			return 0;
		}
	}
	errno = 0;
	v = strtol(name, &end, 0);
	if (errno || *end || end == name)
		return -EINVAL;
	*val = (uint32_t)v;
	return 0;
}

static int push_msg(struct cp_spec *spec, const char *msg)
{
	char **m = realloc(spec->msgs, (spec->msg_cnt + 1) * sizeof(*m));

	if (!m)
		return -ENOMEM;
	spec->msgs = m;
	m[spec->msg_cnt] = cp_strdup(msg);
	spec->msg_cnt++;
	return 0;
}

int cp_spec_parse(struct bpf_object *obj, const struct bpf_program *prog, uint32_t test_flags,
		  struct cp_spec *spec, char *err, size_t errsz)
{
	const char *name = bpf_program__name(prog);
	int any_priv = 0, any_unpriv = 0, arch_mask = 0;
	struct btf *btf;
	int func_id;
	uint32_t i, n;

	memset(spec, 0, sizeof(*spec));
	spec->flags = test_flags;
	spec->arch_ok = 1;
	err[0] = '\0';

	btf = bpf_object__btf(obj);
	if (!btf) {
		snprintf(err, errsz, "the object has no BTF");
		return -EINVAL;
	}
	func_id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	if (func_id < 0) {
		snprintf(err, errsz, "no BTF FUNC for '%s'", name);
		return -EINVAL;
	}

	n = btf__type_cnt(btf);
	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const char *s, *v;

		if (!t || !btf_is_decl_tag(t))
			continue;
		if (t->type != (uint32_t)func_id || btf_decl_tag(t)->component_idx != -1)
			continue;
		s = btf__str_by_offset(btf, t->name_off);
		if (!s || !has_pfx(s, TAG))
			continue;
		spec->tagged = 1;

		if (!strcmp(s, TAG "expect_failure")) {
			spec->expect_failure = 1;
			any_priv = 1;
		} else if (!strcmp(s, TAG "expect_success")) {
			spec->expect_failure = 0;
			any_priv = 1;
		} else if (!strcmp(s, TAG "auxiliary")) {
			spec->auxiliary = 1;
			any_priv = 1;
		} else if (has_pfx(s, TAG "description=")) {
			free(spec->description);
			spec->description = cp_strdup(s + strlen(TAG "description="));
		} else if ((v = after_counter(s, TAG "expect_msg="))) {
			if (push_msg(spec, v))
				cp_die_nomem();
			any_priv = 1;
		} else if (has_pfx(s, TAG "expect_xlated=") || has_pfx(s, TAG "jited=")) {
			any_priv = 1; /* checked by the selftests after load; not here */
		} else if (has_pfx(s, TAG "retval=")) {
			any_priv = 1; /* a test run, not a verifier fact */
		} else if (has_pfx(s, TAG "log_level=")) {
			spec->log_level = atoi(s + strlen(TAG "log_level="));
		} else if (has_pfx(s, TAG "prog_flags=")) {
			const char *f = s + strlen(TAG "prog_flags=");
			int clear = f[0] == '!';
			uint32_t val;

			if (flag_value(f + clear, &val)) {
				snprintf(err, errsz, "bad __flag '%s'", f);
				cp_spec_free(spec);
				return -EINVAL;
			}
			if (clear)
				spec->flags &= ~val;
			else
				spec->flags |= val;
		} else if (has_pfx(s, TAG "arch=")) {
			arch_mask |= !strcmp(s + strlen(TAG "arch="), "X86_64") ? 1 : 2;
		} else if (has_pfx(s, TAG "btf_path=")) {
			free(spec->btf_path);
			spec->btf_path = cp_strdup(s + strlen(TAG "btf_path="));
		} else if (strstr(s, "_unpriv")) {
			any_unpriv = 1;
		}
	}

	/* No tag at all means a privileged test expected to load. */
	spec->has_priv = any_priv || !any_unpriv;
	spec->arch_ok = arch_mask == 0 || (arch_mask & 1);
	spec->valid = 1;
	return 0;
}

void cp_spec_free(struct cp_spec *spec)
{
	size_t i;

	for (i = 0; i < spec->msg_cnt; i++)
		free(spec->msgs[i]);
	free(spec->msgs);
	free(spec->description);
	free(spec->btf_path);
	memset(spec, 0, sizeof(*spec));
}

/* A pattern is text with POSIX ERE parts between "{{" and "}}". Make it
 * one ERE: escape the text, keep the regex parts. */
static int pattern_compile(const char *pat, regex_t *re)
{
	size_t len = strlen(pat), o = 0;
	char *buf = malloc(2 * len + 1);
	int in_re = 0, rc;

	if (!buf)
		cp_die_nomem();
	while (*pat) {
		if (!in_re && has_pfx(pat, "{{")) {
			in_re = 1;
			pat += 2;
		} else if (in_re && has_pfx(pat, "}}")) {
			in_re = 0;
			pat += 2;
		} else {
			if (!in_re && strchr(".[]\\()*+?{}|^$", *pat))
				buf[o++] = '\\';
			buf[o++] = *pat++;
		}
	}
	buf[o] = '\0';
	rc = in_re ? -1 : regcomp(re, buf, REG_EXTENDED | REG_NEWLINE);
	free(buf);
	return rc ? -EINVAL : 0;
}

/* Find @pat in @text; returns the end of the match or NULL. */
static const char *pattern_find(const char *pat, const char *text)
{
	regmatch_t m;
	regex_t re;
	const char *hit;

	if (!strstr(pat, "{{")) {
		hit = strstr(text, pat);
		return hit ? hit + strlen(pat) : NULL;
	}
	if (pattern_compile(pat, &re))
		return NULL;
	hit = regexec(&re, text, 1, &m, 0) ? NULL : text + m.rm_eo;
	regfree(&re);
	return hit;
}

int cp_msgs_match(const struct cp_spec *spec, const char *log, int *first_miss)
{
	size_t i;

	*first_miss = -1;
	for (i = 0; i < spec->msg_cnt; i++) {
		const char *end = pattern_find(spec->msgs[i], log);

		if (!end) {
			*first_miss = (int)i;
			return 0;
		}
		log = end;
	}
	return 1;
}

int cp_msgs_hits(const struct cp_spec *spec, const char *text)
{
	size_t i;
	int hits = 0;

	for (i = 0; i < spec->msg_cnt; i++)
		hits += spec->msgs[i][0] && pattern_find(spec->msgs[i], text) != NULL;
	return hits;
}
