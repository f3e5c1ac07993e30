// SPDX-License-Identifier: MIT
/*
 * A cluster job's verdict made final, here in the library, so that every
 * caller of bvc_cluster_verify*() gets a verdict it may act on.
 *
 * Workers accept a job when every path they explored was safe; what no
 * single worker can check is the call-chain stack limit (the kernel's
 * check_max_stack_depth), which needs each function's deepest stack use
 * over all paths. The coordinator merges the depths the workers report
 * (Finished); here an engine with no work of its own takes those maxima
 * and checks every call chain against them, and its verdict carries the
 * per-function frames a JIT reserves. The workers' merged facts stay the
 * program's facts.
 *
 * Must not: accept when any step did not run. A missing depth report, a
 * fact table of the wrong size or an engine that cannot run is an error,
 * never an acceptance.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/engine.h"
#include "bpfvc/util.h"
#include "internal.h"

int bvc_coord__final_verdict(const struct bvc_image *img, const struct bvc_prog *prog,
			     uint32_t prog_flags, const struct bvc_cluster_job_stats *js,
			     struct bvc_verdict *v, char *why, size_t whysz)
{
	struct bvc_verify_opts opts = { .sz = sizeof(opts), .prog_flags = prog_flags };
	struct bvc_engine *eng;
	struct bvc_verdict cv;
	int err;

	if (!bvc_verdict_accepted(v))
		return 0; /* a refusal is final as it is */
	if (!js->nfuncs) {
		bvc_set_err(why, whysz, "no worker reported the functions' stack depths");
		return -ENODATA;
	}
	if (v->fact_cnt != prog->insn_cnt || !v->facts) {
		bvc_set_err(why, whysz, "the workers' facts cover %zu insns, the program has %zu",
			    v->fact_cnt, prog->insn_cnt);
		return -ENODATA;
	}
	err = bvc_engine_new(img, prog, &opts, 0, &eng);
	if (err) {
		bvc_set_err(why, whysz, "cannot start the call-chain check: %s", strerror(-err));
		return err;
	}
	err = bvc_engine_merge_stack_depths(eng, js->stack_depths, js->nfuncs);
	if (err)
		bvc_set_err(why, whysz, "the workers reported %u functions' depths: %s",
			    js->nfuncs, strerror(-err));
	if (!err && bvc_engine_run(eng, 0) != BVC_ENGINE_DONE) {
		bvc_set_err(why, whysz, "the call-chain check did not end");
		err = -EIO;
	}
	if (!err) {
		err = bvc_engine_verdict(eng, &cv);
		if (err)
			bvc_set_err(why, whysz, "no call-chain verdict: %s", strerror(-err));
	}
	bvc_engine_free(eng);
	if (err)
		return err;
	if (!bvc_verdict_accepted(&cv)) {
		/* "combined stack size of N calls is M. Too large", or the
		 * static passes' refusal: the program's verdict. */
		v->kind = cv.kind ? cv.kind : BVC_INTERNAL;
		v->insn = cv.insn;
		snprintf(v->msg, sizeof(v->msg), "%s", cv.msg);
		free(v->facts); /* facts are an accepted program's */
		v->facts = NULL;
		v->fact_cnt = 0;
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
