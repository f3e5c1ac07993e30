// SPDX-License-Identifier: MIT
/*
 * The running kernel's verdict on one program of an object, for `bpfvc
 * compare` (veristat's side-by-side table): libbpf opens the object, loads
 * that program alone (autoload off for the others, as veristat and the
 * corpus do) with log level 4, and the statistics come from the two lines
 * the kernel's verifier ends its log with ("verification time N usec",
 * "processed N insns (limit L) max_states_per_insn ... mark_read N").
 *
 * The kernel is a second opinion here, never part of a bpfvc verdict. A
 * load that fails before the verifier ran (no privilege, a map the kernel
 * cannot create, an attach target it lacks) is "could not ask", not a
 * rejection: the log then has no statistics line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "bpfvc/loader.h"
#include "internal.h"

#define KLOG_SIZE (1u << 20) /* level 4 is a few lines; libbpf may add more */

struct kload {
	const char *path, *prog_name;
	char *log;
	int found;   /* the program is in the object */
	int ret;     /* bpf_object__load()'s, or the open's */
	int opened;
};

static void load_one(void *arg)
{
	struct kload *k = arg;
	struct bpf_object *obj;
	struct bpf_program *p;

	obj = bpf_object__open_file(k->path, NULL);
	if (!obj || (uintptr_t)obj >= UINTPTR_MAX - INT32_MAX) {
		k->ret = errno ? -errno : -ENOEXEC;
		return;
	}
	k->opened = 1;
	bpf_object__for_each_program(p, obj) {
		int me = !strcmp(bpf_program__name(p), k->prog_name);

		bpf_program__set_autoload(p, me);
		if (!me)
			continue;
		k->found = 1;
		bpf_program__set_log_buf(p, k->log, KLOG_SIZE);
		bpf_program__set_log_level(p, 4);
	}
	k->ret = k->found ? bpf_object__load(obj) : -ENOENT;
	bpf_object__close(obj);
}

/* The last line of @log that starts with @prefix, or NULL. */
static const char *last_line(const char *log, const char *prefix)
{
	const char *at = NULL, *p = log;
	size_t n = strlen(prefix);

	while (p && *p) {
		if (!strncmp(p, prefix, n))
			at = p;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return at;
}

int bvc_kernel_verify(const char *path, const char *prog_name, struct bvc_kernel_result *out,
		      char *err, size_t errsz)
{
	struct kload k = { .path = path, .prog_name = prog_name };
	unsigned long long v[5];
	char msg[256] = "";
	const char *line;

	if (err && errsz)
		err[0] = '\0';
	if (!path || !prog_name || !out) {
		if (err && errsz)
			snprintf(err, errsz, "bvc_kernel_verify: missing argument");
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	k.log = calloc(1, KLOG_SIZE);
	if (!k.log)
		return -ENOMEM;
	ld_libbpf_quiet(msg, sizeof(msg), load_one, &k);
	line = last_line(k.log, "processed ");
	if (line && sscanf(line, "processed %llu insns (limit %*u) max_states_per_insn %llu total_states %llu peak_states %llu mark_read %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4]) == 5) {
		out->verified = 1;
		out->processed = v[0];
		out->max_states_per_insn = v[1];
		out->total_states = v[2];
		out->peak_states = v[3];
		out->mark_read = v[4];
	}
	line = last_line(k.log, "verification time ");
	if (line && sscanf(line, "verification time %llu usec", &v[0]) == 1)
		out->duration_us = v[0];
	out->accepted = k.ret == 0;
	out->load_err = k.ret;
	free(k.log);
	if (!k.opened || !k.found) {
		if (err && errsz)
			snprintf(err, errsz, "%s: %s", path,
				 !k.opened ? (msg[0] ? msg : "libbpf cannot open the object")
					   : "no such program");
		return !k.opened ? -ENOEXEC : -ENOENT;
	}
	/* Loaded, or refused by the verifier: a verdict either way. */
	if (out->accepted || out->verified)
		return 0;
	if (err && errsz)
		snprintf(err, errsz, "%s: %s: the kernel refused the load before verifying (%s)%s%s",
			 path, prog_name, strerror(-k.ret), msg[0] ? ": " : "", msg);
	return k.ret < 0 ? k.ret : -EIO;
}
