// SPDX-License-Identifier: MIT
/*
 * What verify and build share about the cluster: making a cluster's
 * verdict whole. Workers report the verdict, the facts merged over their
 * paths and each function's deepest stack use; the call-chain stack check
 * (the kernel's check_max_stack_depth) and the per-function frames the JIT
 * reserves come from an engine with no work of its own that takes those
 * depths, here, where the program is loaded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "bpfvc/coordinator.h"
#include "bpfvc/engine.h"
#include "cli.h"

int bvc_cli_cluster_verdict(const struct bvc_image *img, const struct bvc_prog *prog,
			    const struct bvc_cluster_job_stats *js, struct bvc_verdict *v)
{
	struct bvc_verify_opts opts = { .sz = sizeof(opts) };
	struct bvc_engine *eng;
	struct bvc_verdict cv;
	int err;

	if (v->kind != BVC_ACCEPT)
		return 0;
	if (!js->nfuncs || v->fact_cnt != prog->insn_cnt)
		return -ENODATA;
	err = bvc_engine_new(img, prog, &opts, 0, &eng);
	if (err)
		return err;
	err = bvc_engine_merge_stack_depths(eng, js->stack_depths, js->nfuncs);
	if (!err && bvc_engine_run(eng, 0) != BVC_ENGINE_DONE)
		err = -EIO;
	if (!err)
		err = bvc_engine_verdict(eng, &cv);
	bvc_engine_free(eng);
	if (err)
		return err;
	if (cv.kind == BVC_REJECT) {
		v->kind = BVC_REJECT;
		v->insn = cv.insn;
		v->unsupported = cv.unsupported;
		snprintf(v->msg, sizeof(v->msg), "%s", cv.msg);
		bvc_verdict_release(&cv);
		return 0;
	}
	/* The engine's facts cover no path: the workers' are the program's. */
	free(cv.facts);
	cv.facts = v->facts;
	cv.fact_cnt = v->fact_cnt;
	cv.processed = v->processed;
	cv.total_states = v->total_states;
	cv.peak_states = v->peak_states;
	v->facts = NULL;
	bvc_verdict_release(v);
	*v = cv;
	return 0;
}
