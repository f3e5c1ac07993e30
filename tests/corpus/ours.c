// SPDX-License-Identifier: MIT
/*
 * bpfvc's side of the comparison: the same object through our loader, the
 * same program through bvc_verify(), in-process (inside the forked child,
 * so a crash or a hang is recorded, not suffered).
 *
 * A program our loader refuses is "bad input" with the loader's message: a
 * result to count, never a reason to stop.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/btf.h>

#include "bpfvc/loader.h"
#include "bpfvc/verifier.h"

#include "corpus.h"

/* A "mark_precise:" line of the kernel's walk that our log can match as
 * text: not a "parent state" line (its state dump is printed differently). */
static bool is_walk_line(const char *msg)
{
	return !strncmp(msg, "mark_precise:", 13) && !strstr(msg, "parent state");
}

/* How many of @spec's walk lines @log holds, in order; the first missing
 * one into @miss. */
static int walk_lines_found(const struct cp_spec *spec, const char *log, int *lines, char *miss)
{
	int found = 0;

	*lines = 0;
	miss[0] = '\0';
	for (size_t i = 0; i < spec->msg_cnt; i++) {
		const char *at;

		if (!is_walk_line(spec->msgs[i]))
			continue;
		(*lines)++;
		at = log ? strstr(log, spec->msgs[i]) : NULL;
		if (at) {
			found++;
			log = at + strlen(spec->msgs[i]);
		} else if (!miss[0]) {
			snprintf(miss, CP_TEXT, "%s", spec->msgs[i]);
		}
	}
	return found;
}

/* Verify @prog of @img and fill our half of @res. */
static void verify_one(const struct cp_run *run, const struct cp_spec *spec,
		       const struct bvc_image *img, const struct bvc_prog *prog,
		       struct cp_result *res)
{
	struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = run->insn_limit };
	bool walks = false;
	struct timespec t0, t1;
	struct bvc_verdict v;
	int err;

	/* The annotated flags (e.g. BPF_F_STRICT_ALIGNMENT) change the rules. */
	opts.prog_flags = spec ? spec->flags : 0;
	/* Precision selftests spell out the kernel's walks: log ours too. */
	for (size_t i = 0; spec && i < spec->msg_cnt; i++)
		walks |= is_walk_line(spec->msgs[i]);
	if (walks)
		opts.log_level = 2;
	memset(&v, 0, sizeof(v));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = bvc_verify(img, prog, &opts, &v);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->otime_us = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000 +
			(t1.tv_nsec - t0.tv_nsec) / 1000;
	if (!err && walks)
		res->oprec_found = walk_lines_found(spec, v.log, &res->oprec_lines, res->oprec_miss);
	bvc_verdict_release(&v);
	if (err) {
		res->ostatus = CP_O_ERROR;
		snprintf(res->omsg, CP_TEXT, "bvc_verify: %s", strerror(-err));
		return;
	}
	res->oinsn = v.insn;
	res->oprocessed = v.processed;
	res->ostates_total = v.total_states;
	res->ostates_peak = v.peak_states;
	snprintf(res->omsg, CP_TEXT, "%s", v.msg);
	if (bvc_verdict_accepted(&v))
		res->ostatus = CP_O_ACCEPT;
	else if (v.kind == BVC_UNSUPPORTED)
		res->ostatus = CP_O_UNSUPPORTED;
	else if (v.kind == BVC_REJECT)
		res->ostatus = CP_O_REJECT;
	else
		res->ostatus = CP_O_ERROR; /* an internal error: no verdict */
	if (spec)
		res->omsg_hits = cp_msgs_hits(spec, v.msg);
}

/* CO-RE records resolved against this kernel's BTF, as libbpf does before
 * the kernel's load: 0, or 1 with @res set (a record libbpf would refuse,
 * or one we do not model). Without the BTF the records stay and
 * bvc_verify() refuses the program (unsupported). */
static int relocate(const struct cp_run *run, const struct cp_spec *spec,
		    const struct bvc_image *img, const struct bvc_prog *bp, struct cp_result *res)
{
	struct bvc_core_target *own = NULL;
	const struct bvc_core_target *target = run->core;
	char why[CP_TEXT];
	int rc;

	if (!bp->core_relo_cnt)
		return 0;
	if (spec->btf_path) {
		/* __btf_path: libbpf relocates against that object's BTF
		 * (btf_custom_path), not the kernel's. */
		char path[4096];
		struct btf *btf;
		const void *raw;
		uint32_t size;

		snprintf(path, sizeof(path), "%s/%s", run->support_dir, spec->btf_path);
		btf = btf__parse_elf(path, NULL);
		if (!btf) {
			res->ostatus = CP_O_BADINPUT;
			snprintf(res->omsg, CP_TEXT, "__btf_path %.100s: %.100s", spec->btf_path,
				 strerror(errno));
			return 1;
		}
		raw = btf__raw_data(btf, &size);
		rc = raw ? bvc_core_target_new(raw, size, &own, why, sizeof(why)) : -ENOMEM;
		btf__free(btf);
		if (rc) {
			res->ostatus = CP_O_BADINPUT;
			snprintf(res->omsg, CP_TEXT, "__btf_path %.100s: %.140s", spec->btf_path,
				 rc == -ENOMEM ? "out of memory" : why);
			return 1;
		}
		target = own;
	}
	if (!target)
		return 0;
	/* bvc_core_apply patches the program: it is ours (we loaded img). */
	rc = bvc_core_apply(img, (struct bvc_prog *)bp, target, why, sizeof(why));
	bvc_core_target_free(own);
	if (!rc)
		return 0;
	if (rc == -ENOMEM)
		cp_die_nomem();
	res->ostatus = rc == -EOPNOTSUPP ? CP_O_UNSUPPORTED : CP_O_REJECT;
	snprintf(res->omsg, CP_TEXT, "%s", why);
	return 1;
}

void cp_ours_object(const struct cp_run *run, const struct cp_file *file,
		    const struct cp_prog *prog, struct cp_result *res)
{
	struct bvc_load_opts lopts = { .sz = sizeof(lopts), .keep_unsupported = 1 };
	struct bvc_image *img = NULL;
	const struct bvc_prog *bp;
	char err[CP_TEXT];
	int rc;

	err[0] = '\0';

	rc = bvc_load_elf_mem_opts(file->bytes, file->size, file->obj, &lopts, &img, err, sizeof(err));
	if (rc) {
		size_t n = strlen(file->obj);
		const char *m = err;

		/* "<path>: why": the report names the file already */
		if (!strncmp(m, file->obj, n) && m[n] == ':')
			m += n + 1 + (m[n + 1] == ' ');
		res->ostatus = CP_O_BADINPUT;
		snprintf(res->omsg, CP_TEXT, "%s", m[0] ? m : strerror(-rc));
		return;
	}
	bp = bvc_image_find_prog(img, prog->name);
	if (!bp || strcmp(bp->name, prog->name)) {
		res->ostatus = CP_O_BADINPUT;
		snprintf(res->omsg, CP_TEXT, "program '%s' is not in our image", prog->name);
	} else if (!relocate(run, &prog->spec, img, bp, res)) {
		verify_one(run, &prog->spec, img, bp, res);
	}
	bvc_image_free(img);
}

char *cp_ours_log(const struct cp_run *run, const struct cp_file *file, const struct cp_prog *prog,
		  int no_btf, int *status, int *truncated)
{
	struct bvc_load_opts lopts = { .sz = sizeof(lopts), .keep_unsupported = 1 };
	struct bvc_verify_opts opts = { .sz = sizeof(opts), .insn_limit = run->insn_limit,
					.log_level = 2, .log_size = CP_LOG_SIZE };
	struct bvc_func_info *funcs = NULL;
	struct bvc_image *img = NULL;
	const struct bvc_prog *bp;
	struct bvc_prog copy;
	struct bvc_verdict v;
	char *log = NULL, err[CP_TEXT];

	*status = CP_O_BADINPUT;
	*truncated = 0;
	if (bvc_load_elf_mem_opts(file->bytes, file->size, file->obj, &lopts, &img, err, sizeof(err)))
		return NULL;
	bp = bvc_image_find_prog(img, prog->name);
	if (!bp || strcmp(bp->name, prog->name))
		goto out;
	{
		struct cp_result scratch;

		memset(&scratch, 0, sizeof(scratch));
		if (relocate(run, &prog->spec, img, bp, &scratch)) {
			*status = scratch.ostatus;
			goto out;
		}
	}
	copy = *bp;
	if (no_btf) {
		/* libbpf loaded it without line info, and without the func
		 * info whose return type the kernel remarks on. */
		copy.lines = NULL;
		copy.line_cnt = 0;
		if (copy.func_cnt) {
			funcs = calloc(copy.func_cnt, sizeof(*funcs));
			if (!funcs)
				cp_die_nomem();
			memcpy(funcs, bp->funcs, copy.func_cnt * sizeof(*funcs));
			funcs[0].ret_scalar = true;
			copy.funcs = funcs;
		}
	}
	opts.prog_flags = prog->spec.flags;
	memset(&v, 0, sizeof(v));
	if (bvc_verify(img, &copy, &opts, &v)) {
		*status = CP_O_ERROR;
		goto out;
	}
	*status = bvc_verdict_accepted(&v) ? CP_O_ACCEPT
		  : v.kind == BVC_REJECT   ? CP_O_REJECT
		  : v.kind == BVC_UNSUPPORTED ? CP_O_UNSUPPORTED : CP_O_ERROR;
	*truncated = v.log_true_len > v.log_len;
	log = v.log;
	v.log = NULL;
	bvc_verdict_release(&v);
out:
	free(funcs);
	bvc_image_free(img);
	return log;
}

/* Our side of a generated program: an image with the generator's maps. */
int cp_ours_raw(const struct cp_run *run, const struct bvc_insn *insns, size_t cnt,
		int prog_type, const struct bvc_map *maps, size_t map_cnt, struct cp_result *res)
{
	struct bvc_image *img = NULL;
	int rc;

	rc = bvc_image_from_raw(insns, cnt, (uint32_t)prog_type, "gen", &img);
	if (rc) {
		res->ostatus = CP_O_BADINPUT;
		snprintf(res->omsg, CP_TEXT, "bvc_image_from_raw: %s", strerror(-rc));
		return rc;
	}
	snprintf(img->license, sizeof(img->license), "GPL");
	if (map_cnt) {
		img->maps = calloc(map_cnt, sizeof(*img->maps));
		if (!img->maps)
			cp_die_nomem();
		memcpy(img->maps, maps, map_cnt * sizeof(*maps));
		img->map_cnt = map_cnt;
	}
	verify_one(run, NULL, img, &img->progs[0], res);
	bvc_image_free(img);
	return 0;
}
