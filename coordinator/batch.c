// SPDX-License-Identifier: MIT
/*
 * Jobs and batches on a cluster (docs/design.md section 4).
 *
 * A batch: several programs (jobs) in flight at once, at most MAX_INFLIGHT.
 * A worker that is idle in every job starts the next program of the batch
 * (a Job with start_entry = 1); the work queue and donations (lease.c)
 * spread the rest. Workers report Finished(job) when they have nothing
 * left to explore in that job (once per idle period). A job is accepted
 * when every live worker is idle in it, no item of it is queued or leased
 * and no Donate for it is out; its first Reject is its verdict. Either way
 * Cancel(job) tells the workers holding it to drop it.
 *
 * The budget (docs/design.md section 4, "The budget"): a job with a
 * finite insn limit is explored whole by the one worker that starts it,
 * never split, so its verdict and processed count are one process's
 * (the kernel's): split workers prune differently from one depth-first
 * search, more or less, so no sum over them says what one process would
 * have counted, in either direction. Such a job gets no Donate, its
 * checkpoints are not shared, and the worker's engine enforces the
 * limit as -w 0 does. With no limit (0) the job is split and its count
 * is the sum over workers (heartbeats carry one count per job), which
 * then decides nothing. Each Finished also carries the
 * per-instruction facts of the worker's paths; merged, they are the
 * accepted job's facts (for the JIT), and one instruction seen with the
 * context by one worker and with another pointer by another is refused as
 * one process would.
 *
 * Verdicts are final and fail closed: the coordinator loads each job's
 * program itself (as the workers do), and an acceptance by the workers
 * becomes the job's only after the call-chain stack check over their
 * merged depths passed (coordinator/verdict.c). A job that failed (lost
 * items, dead cluster, a worker's internal error, a check that could not
 * run) gets an internal-error verdict, never an acceptance. What a
 * Reject is comes from its kind on the wire, never from its words.
 *
 * Peers are checked, message by message, before anything they say is
 * added or used: job ids we gave and a job the peer holds, a Done for an
 * item leased to it, a Work or Donate only in answer to our Donate, a
 * processed count no larger than its engines can reach under the job's
 * limit, one function count per job; sums saturate. A peer that breaks a
 * rule is dead at once (cl_mark_bad), so a protocol violation costs the
 * peer its work and never changes a verdict. (What a well-formed lie from
 * a peer holding the job does is the trust model's business:
 * docs/deploy.md.)
 *
 * Must not: print, block without a timeout, or let a failed job end as
 * an acceptance.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/coordinator.h"
#include "bpfvc/loader.h"
#include "bpfvc/util.h"
#include "internal.h"

/* The job in flight with wire id @id, or NULL (it ended: ignore). */
static struct cjob *find_job(struct bvc_cluster *cl, uint64_t id)
{
	for (int k = 0; id && k < MAX_INFLIGHT; k++)
		if (cl->jobs[k].out && cl->jobs[k].id == id)
			return &cl->jobs[k];
	return NULL;
}

/* The slots in flight, oldest job first: leases and donation requests
 * favour the job that started first, so it finishes first. */
static int jobs_by_age(const struct bvc_cluster *cl, int order[MAX_INFLIGHT])
{
	int n = 0;

	for (int k = 0; k < MAX_INFLIGHT; k++) {
		int at = n++;

		if (!cl->jobs[k].out) {
			n--;
			continue;
		}
		while (at > 0 && cl->jobs[order[at - 1]].id > cl->jobs[k].id) {
			order[at] = order[at - 1];
			at--;
		}
		order[at] = k;
	}
	return n;
}

/* Keep the jobs of @order (@n) that may be split: a whole job never
 * donates. Returns how many are left, in the same order. */
static int split_jobs(const struct bvc_cluster *cl, int order[MAX_INFLIGHT], int n)
{
	int kept = 0;

	for (int o = 0; o < n; o++)
		if (!cl->jobs[order[o]].whole)
			order[kept++] = order[o];
	return kept;
}

void cl_job_fail(struct cjob *cj, int err, const char *fmt, ...)
{
	va_list ap;

	/* A refusal found is final: an unsafe path stays unsafe whatever
	 * fails after it. */
	if (cj->fail || cj->decided)
		return;
	cj->fail = err;
	va_start(ap, fmt);
	vsnprintf(cj->why, sizeof(cj->why), fmt, ap);
	va_end(ap);
}

/*
 * Can worker @wj have processed @n instructions of job @cj? Each of its
 * engines stops one past the job's limit (the limit goes out in the Job),
 * and it has one engine per entry start we gave it plus one for items. No
 * limit: any count, which then decides nothing (it is only reported).
 */
static int count_ok(const struct cjob *cj, const struct wjob *wj, uint64_t n)
{
	uint64_t engines = (uint64_t)wj->entries + 1, per = sat_add(cj->limit, 1);

	if (!cj->limit)
		return 1;
	return per > UINT64_MAX / engines || n <= engines * per;
}

/* Worker @i's facts into the job's: a conflict across workers decides the
 * job as in one process. 0, or -EPROTO for facts of another program. */
static int merge_facts(struct cjob *cj, const struct bvc_wire_finished *f)
{
	if (!f->insn_cnt)
		return 0;
	if (!cj->facts) {
		cj->facts = malloc(f->insn_cnt * sizeof(*cj->facts));
		if (!cj->facts) {
			cl_job_fail(cj, -ENOMEM, "out of memory for the facts of %u insns", f->insn_cnt);
			return 0;
		}
		cj->insn_cnt = f->insn_cnt;
		for (uint32_t i = 0; i < f->insn_cnt; i++)
			cj->facts[i] = (struct bvc_insn_fact){ .mem_base = -1, .ctx_field = -1,
							       .map_idx = -1 };
	}
	if (f->insn_cnt != cj->insn_cnt)
		return -EPROTO;
	for (uint32_t i = 0; i < f->insn_cnt; i++)
		cj->facts[i].seen |= (f->seen[i / 8] >> (i % 8)) & 1;
	for (size_t k = 0; k < f->nfacts; k++) {
		const struct bvc_wire_fact *x = &f->facts[k];
		/* Decoding checked that every value fits. */
		struct bvc_insn_fact in = { .seen = cj->facts[x->insn].seen,
					    .mem_base = (int8_t)x->mem_base,
					    .ctx_field = (int16_t)x->ctx_field,
					    .ctx_field_off = (uint16_t)x->ctx_off,
					    .ctx_field_size = (uint8_t)x->ctx_size,
					    .map_idx = x->map_idx };

		if (bvc_fact_merge(&cj->facts[x->insn], &in) && !cj->decided) {
			cj->decided = 1;
			cj->kind = BVC_REJECT;
			cj->insn = x->insn;
			snprintf(cj->msg, sizeof(cj->msg),
				 "same insn cannot be used with different pointers");
		}
	}
	return 0;
}

/* Worker @i's Finished, its counts checked: -EPROTO for a count its
 * engines cannot reach or a function count other than the job's. */
static int check_finished(const struct cjob *cj, const struct wjob *wj,
			  const struct bvc_wire_finished *f)
{
	if (!count_ok(cj, wj, f->processed_insns))
		return -EPROTO;
	if (f->nfuncs && cj->js.nfuncs && f->nfuncs != cj->js.nfuncs)
		return -EPROTO;
	if (f->insn_cnt && cj->insn_cnt && f->insn_cnt != cj->insn_cnt)
		return -EPROTO;
	/* We load the program too: its facts cover exactly its insns. */
	if (f->insn_cnt && cj->prog && f->insn_cnt != cj->prog->insn_cnt)
		return -EPROTO;
	return 0;
}

static void on_finished(struct cjob *cj, struct wjob *wj, const struct bvc_wire_finished *f)
{
	wj->busy = 0;
	if (f->processed_insns > wj->processed)
		wj->processed = f->processed_insns;
	wj->total_states = f->total_states;
	wj->peak_states = f->peak_states;
	wj->prune_remote = f->remote_prune_hits;
	if (cj->whole)
		cj->canon = *wj; /* its verdict's counts */
	/* Depths only grow: keep the maxima over every report, a dead
	 * worker's included (it did explore those paths). */
	if (f->nfuncs && f->nfuncs <= BVC_MAX_FUNCS) {
		cj->js.nfuncs = f->nfuncs;
		for (uint32_t fn = 0; fn < f->nfuncs; fn++)
			if (f->stack_depths[fn] > cj->js.stack_depths[fn])
				cj->js.stack_depths[fn] = f->stack_depths[fn];
	}
}

/* One message of a job from worker @i. */
void cl_on_job_msg(struct bvc_cluster *cl, int i, struct bvc_wire_msg *m)
{
	struct cworker *w = &cl->w[i];
	struct cjob *cj;
	struct wjob *wj;
	uint64_t id;

	switch (m->kind) {
	case BVC_WIRE_HEARTBEAT: id = m->u.heartbeat.job_id; break;
	case BVC_WIRE_FINISHED: id = m->u.finished.job_id; break;
	case BVC_WIRE_WORK: case BVC_WIRE_CHECKPOINT: id = m->u.work.job_id; break;
	case BVC_WIRE_DONATE: id = m->u.donate.job_id; break;
	case BVC_WIRE_DONE: id = m->u.done.job_id; break;
	case BVC_WIRE_REJECT: id = m->u.reject.job_id; break;
	default:
		cl_mark_bad(cl, i, "%s from a worker", bvc_wire_kind_name(m->kind));
		return;
	}
	cj = find_job(cl, id);
	if (!cj) {
		/* Ended jobs' late words are fine; ids we never gave are not
		 * (0 only in a Heartbeat: liveness alone). */
		if (id > cl->job_id)
			cl_mark_bad(cl, i, "%s for job %llu, never given", bvc_wire_kind_name(m->kind),
				 (unsigned long long)id);
		return;
	}
	if (cj->decided || cj->fail)
		return; /* a job that is ending: nothing to do */
	wj = &w->jobs[slot_of(cl, cj)];
	if (!wj->has_job) {
		cl_mark_bad(cl, i, "%s for job %llu, which it does not hold",
			 bvc_wire_kind_name(m->kind), (unsigned long long)id);
		return;
	}
	switch (m->kind) {
	case BVC_WIRE_HEARTBEAT:
		/* Counts only grow here: a heartbeat may pass the Finished
		 * that said more, so a smaller one is old news. */
		if (!count_ok(cj, wj, m->u.heartbeat.processed_insns)) {
			cl_mark_bad(cl, i, "heartbeat: %llu insns processed in job %llu",
				 (unsigned long long)m->u.heartbeat.processed_insns,
				 (unsigned long long)id);
			break;
		}
		if (m->u.heartbeat.processed_insns > wj->processed)
			wj->processed = m->u.heartbeat.processed_insns;
		break;
	case BVC_WIRE_FINISHED:
		if (check_finished(cj, wj, &m->u.finished) || merge_facts(cj, &m->u.finished)) {
			cl_mark_bad(cl, i, "finished: counts of another program (%llu insns processed, %u functions, %u insns)",
				 (unsigned long long)m->u.finished.processed_insns,
				 m->u.finished.nfuncs, m->u.finished.insn_cnt);
			break;
		}
		on_finished(cj, wj, &m->u.finished);
		break;
	case BVC_WIRE_WORK:
	case BVC_WIRE_DONATE:
		/* Each Donate we send gets one answer, Work or Donate. */
		if (!wj->donate_out) {
			cl_mark_bad(cl, i, "%s that was not asked for", bvc_wire_kind_name(m->kind));
			break;
		}
		wj->donate_out = 0;
		if (m->kind == BVC_WIRE_WORK)
			cl_on_work(cl, cj, i, m);
		break;
	case BVC_WIRE_DONE:
		if (cl_on_done(cl, cj, i, &m->u.done))
			cl_mark_bad(cl, i, "done for item %llu of job %llu, not leased to it",
				 (unsigned long long)m->u.done.work_id, (unsigned long long)id);
		break;
	case BVC_WIRE_CHECKPOINT:
		/* A whole job prunes against its own worker's checkpoints
		 * only, as one process: a restarted entry must not prune
		 * against what a dead worker finished (pruning less is always
		 * sound, and here it keeps the count canonical). */
		if (!cj->whole)
			cl_on_checkpoint(cl, cj, i, m);
		break;
	default: /* BVC_WIRE_REJECT */
		/* Decoding let in only the three refusals. An internal
		 * error says nothing about the program: the job failed. */
		if (m->u.reject.kind == BVC_INTERNAL) {
			cl_job_fail(cj, -EIO, "worker %d: internal error: %s", i, m->u.reject.message);
			break;
		}
		cj->decided = 1;
		if (cj->whole)
			cj->canon = *wj; /* its Heartbeat came first */
		cj->kind = m->u.reject.kind == BVC_UNSUPPORTED ? BVC_UNSUPPORTED : BVC_REJECT;
		cj->insn = m->u.reject.insn;
		snprintf(cj->msg, sizeof(cj->msg), "%s", m->u.reject.message);
		cj->trail = m->u.reject.trail; /* taken over from the message */
		cj->trail_len = m->u.reject.trail_len;
		m->u.reject.trail = NULL;
		m->u.reject.trail_len = 0;
		break;
	}
}

static int all_done(const struct bvc_cluster *cl, const struct cjob *cj)
{
	int k = slot_of(cl, cj);

	if (cj->entry_pending)
		return 0;
	for (unsigned int i = 0; i < cl->n; i++)
		if (cl->w[i].alive && (cl->w[i].jobs[k].busy || cl->w[i].jobs[k].donate_out))
			return 0;
	/* Every item is waiting, leased or done. */
	return !cj->nwaiting && !cj->nleased;
}

/* Start the batch's job @out (index @index) on idle worker @h. */
static void job_start(struct bvc_cluster *cl, struct cjob *cj, struct bvc_cluster_job *out,
		      size_t index, int h)
{
	struct bvc_wire_msg job = { .kind = BVC_WIRE_JOB };
	char why[256];

	memset(cj, 0, sizeof(*cj));
	cj->out = out;
	cj->index = index;
	cj->id = ++cl->job_id;
	cj->limit = out->insn_limit;
	cj->whole = out->insn_limit != 0;
	cj->t_start = bvc_now_ms();
	if (!out->prog_name || strlen(out->prog_name) >= sizeof(job.u.job.prog_name)) {
		cl_job_fail(cj, -EINVAL, "program name '%.64s' is too long for the wire",
			 out->prog_name ? out->prog_name : "");
		return;
	}
	/* Loaded here as each worker will: what cannot be loaded fails now,
	 * and the verdict is made final against this program. */
	if (bvc_load_job(out->object, out->len, out->prog_name, &cj->img, &cj->prog, why,
			 sizeof(why))) {
		cl_job_fail(cj, -EINVAL, "cannot load the job: %s", why);
		return;
	}
	job.u.job.job_id = cj->id;
	snprintf(job.u.job.prog_name, sizeof(job.u.job.prog_name), "%s", out->prog_name);
	job.u.job.insn_limit = out->insn_limit;
	job.u.job.prog_flags = out->prog_flags;
	job.u.job.object = (uint8_t *)out->object;
	job.u.job.object_len = out->len;
	job.u.job.start_entry = 1;
	if (bvc_wire_encode(&job, &cj->entry_bytes, &cj->entry_len, why, sizeof(why))) {
		cl_job_fail(cj, -EINVAL, "cannot encode the job: %s", why);
		return;
	}
	job.u.job.start_entry = 0;
	if (bvc_wire_encode(&job, &cj->job_bytes, &cj->job_len, why, sizeof(why))) {
		cl_job_fail(cj, -EINVAL, "cannot encode the job: %s", why);
		return;
	}
	cl_give_job(cl, cj, h, 1);
}

/* Job @cj has its verdict (or failed): tell its workers to drop it, fill
 * in the caller's entry, free the slot, and say so. */
static void job_end(struct bvc_cluster *cl, struct cjob *cj, bvc_cluster_done_fn done,
		    void *arg)
{
	struct bvc_cluster_job *out = cj->out;
	struct bvc_wire_msg cancel = { .kind = BVC_WIRE_CANCEL };
	int k = slot_of(cl, cj);
	uint64_t sum = 0, total = 0, peak = 0;

	cancel.u.cancel.job_id = cj->id;
	for (unsigned int i = 0; i < cl->n; i++) {
		struct cworker *w = &cl->w[i];
		struct wjob *wj = &w->jobs[k];

		if (w->alive && wj->has_job)
			cl_send_msg(cl, (int)i, &cancel);
		/* A dead worker's instructions count too: it did explore them. */
		sum = sat_add(sum, wj->processed);
		total = sat_add(total, wj->total_states);
		peak = wj->peak_states > peak ? wj->peak_states : peak;
		w->st.processed = sat_add(w->st.processed, wj->processed);
		w->st.total_states = sat_add(w->st.total_states, wj->total_states);
		w->st.peak_states = wj->peak_states > w->st.peak_states ? wj->peak_states
									: w->st.peak_states;
		w->st.prune_remote = sat_add(w->st.prune_remote, wj->prune_remote);
		memset(wj, 0, sizeof(*wj));
	}
	cj->js.processed = sum;
	memset(&out->verdict, 0, sizeof(out->verdict));
	out->err = cj->fail;
	snprintf(out->errmsg, sizeof(out->errmsg), "%s", cj->fail ? cj->why : "");
	out->verdict.processed = sum;
	out->verdict.total_states = total;
	out->verdict.peak_states = peak;
	if (cj->whole && !cj->fail) {
		/* One process's counts: a worker that died before the entry
		 * was restarted explored for nothing the verdict rests on. */
		out->verdict.processed = cj->canon.processed;
		out->verdict.total_states = cj->canon.total_states;
		out->verdict.peak_states = cj->canon.peak_states;
	}
	if (cj->fail) {
		/* Fail closed: whatever the workers said so far, no verdict. */
		out->verdict.kind = BVC_INTERNAL;
		snprintf(out->verdict.msg, sizeof(out->verdict.msg), "%s", cj->why);
	} else if (cj->decided) {
		out->verdict.kind = cj->kind ? cj->kind : BVC_INTERNAL;
		out->verdict.insn = (size_t)cj->insn;
		snprintf(out->verdict.msg, sizeof(out->verdict.msg), "%s", cj->msg);
		out->verdict.trail = cj->trail; /* the caller's now */
		out->verdict.trail_len = cj->trail_len;
		cj->trail = NULL;
	} else {
		char why[256];
		int ret;

		/* Every path ended safe on the workers; the call chains are
		 * checked here before it is an acceptance. */
		out->verdict.kind = BVC_ACCEPT;
		out->verdict.facts = cj->facts; /* the caller's now */
		out->verdict.fact_cnt = cj->facts ? cj->insn_cnt : 0;
		cj->facts = NULL;
		ret = bvc_coord__final_verdict(cj->img, cj->prog, out->prog_flags, &cj->js,
					       &out->verdict, why, sizeof(why));
		if (ret) {
			bvc_verdict_release(&out->verdict);
			out->verdict.kind = BVC_INTERNAL;
			out->err = ret;
			snprintf(out->errmsg, sizeof(out->errmsg), "%s", why);
			snprintf(out->verdict.msg, sizeof(out->verdict.msg), "%s", why);
		}
	}
	free(cj->facts);
	bvc_image_free(cj->img);
	free(cj->trail);
	out->stats = cj->js;
	out->secs = (bvc_now_ms() - cj->t_start) / 1e3;
	cl->last = cj->js;
	cl_free_items(cj);
	for (size_t c = 0; c < cj->ncps; c++)
		free(cj->cps[c].bytes);
	free(cj->cps);
	free(cj->entry_bytes);
	free(cj->job_bytes);
	{
		size_t index = cj->index;

		memset(cj, 0, sizeof(*cj));
		if (done)
			done(arg, index);
	}
}

/* Budget, verdict, failure or the end of every path: the jobs that are
 * over end here. */
static void end_jobs(struct bvc_cluster *cl, bvc_cluster_done_fn done, void *arg)
{
	for (int k = 0; k < MAX_INFLIGHT; k++) {
		struct cjob *cj = &cl->jobs[k];
		uint64_t sum = 0;

		if (!cj->out)
			continue;
		for (unsigned int i = 0; i < cl->n; i++)
			sum = sat_add(sum, cl->w[i].jobs[k].processed);
		/* A whole job's engine enforces the limit itself, with -w 0's
		 * words and instruction. */
		if (!cj->decided && !cj->fail && !cj->whole && cj->limit && sum > cj->limit) {
			cj->decided = 1;
			cj->kind = BVC_REJECT;
			cj->insn = 0;
			snprintf(cj->msg, sizeof(cj->msg), "BPF program is too large. Processed %llu insn",
				 (unsigned long long)sum);
		}
		if (cj->decided || cj->fail || all_done(cl, cj))
			job_end(cl, cj, done, arg);
	}
}

static void report_progress(struct bvc_cluster *cl, double t_start, size_t ended, size_t n)
{
	struct bvc_cluster_progress pr = { 0 };

	pr.secs = (bvc_now_ms() - t_start) / 1e3;
	pr.jobs_done = ended;
	pr.jobs = n;
	for (int k = 0; k < MAX_INFLIGHT; k++)
		pr.running += cl->jobs[k].out != NULL;
	for (unsigned int i = 0; i < cl->n; i++) {
		const struct cworker *w = &cl->w[i];

		pr.processed = sat_add(pr.processed, w->st.processed);
		pr.states = sat_add(pr.states, w->st.total_states);
		for (int k = 0; k < MAX_INFLIGHT; k++) {
			pr.processed = sat_add(pr.processed, w->jobs[k].processed);
			pr.states = sat_add(pr.states, w->jobs[k].total_states);
		}
		pr.live += w->alive;
		pr.busy += w->alive && !cl_worker_idle(w);
	}
	cl->opts.progress(cl->opts.progress_arg, &pr);
}

/* Count the jobs ended: a done callback that also forwards to the caller's. */
struct batch_done {
	bvc_cluster_done_fn done;
	void *arg;
	size_t ended;
};

static void batch_done(void *arg, size_t i)
{
	struct batch_done *bd = arg;

	bd->ended++;
	if (bd->done)
		bd->done(bd->arg, i);
}

int bvc_cluster_verify_batch(struct bvc_cluster *cl, struct bvc_cluster_job *jobs, size_t n,
			     bvc_cluster_done_fn done, void *arg, char *err, size_t errsz)
{
	struct batch_done bd = { .done = done, .arg = arg };
	double last_beat = bvc_now_ms(), t_start = bvc_now_ms(), last_progress = t_start;
	size_t next = 0;
	int ret = 0;

	cl->err = err;
	cl->errsz = errsz;
	cl->fail = 0;
	cl->in_batch = 1;
	for (unsigned int i = 0; i < cl->n; i++) {
		struct cworker *w = &cl->w[i];

		memset(w->jobs, 0, sizeof(w->jobs));
		w->st.items = w->st.donated = w->st.asks = w->st.processed = 0;
		w->st.total_states = w->st.peak_states = w->st.prune_remote = 0;
		w->st.bytes_sent = w->st.bytes_recv = 0;
		w->st.msgs_sent = w->st.msgs_recv = 0;
	}
	for (size_t j = 0; j < n; j++) {
		jobs[j].err = 0;
		jobs[j].errmsg[0] = '\0';
		/* No verdict until its job ends (what the caller left here
		 * is not ours to free). */
		memset(&jobs[j].verdict, 0, sizeof(jobs[j].verdict));
	}
	while (bd.ended < n) {
		int order[MAX_INFLIGHT], njobs;
		size_t queued = 0;

		if (cl->opts.progress && bvc_now_ms() - last_progress >= 250) {
			last_progress = bvc_now_ms();
			report_progress(cl, t_start, bd.ended, n);
		}
		ret = cl_pump(cl, cl_round_ms(cl));
		if (!ret)
			cl_check_health(cl, &last_beat);
		if (ret || cl->fail || cl_check_alive(cl))
			break;
		end_jobs(cl, batch_done, &bd);
		njobs = jobs_by_age(cl, order);
		for (int o = 0; o < njobs; o++) {
			struct cjob *cj = &cl->jobs[order[o]];

			while (cj->entry_pending > 0 && cl_pick_alive(cl) >= 0) {
				cj->entry_pending--;
				cl_start_entry(cl, cj);
			}
			queued += cl_lease_items(cl, cj);
		}
		/* Idle workers left: the next programs of the batch. */
		for (int k = 0; k < MAX_INFLIGHT && next < n; k++) {
			int h;

			if (cl->jobs[k].out)
				continue;
			h = cl_pick_idle(cl);
			if (h < 0)
				break;
			job_start(cl, &cl->jobs[k], &jobs[next], next, h);
			next++;
		}
		njobs = split_jobs(cl, order, jobs_by_age(cl, order));
		cl_ask_donations(cl, order, njobs, queued);
		if (cl->fail)
			break;
	}
	if (!ret)
		ret = cl->fail;
	if (ret) {
		/* The cluster failed: every job not over fails with it. */
		for (int k = 0; k < MAX_INFLIGHT; k++)
			if (cl->jobs[k].out) {
				cl_job_fail(&cl->jobs[k], ret, "%s", err ? err : "cluster failure");
				job_end(cl, &cl->jobs[k], NULL, NULL);
			}
		for (; next < n; next++) {
			jobs[next].err = ret;
			snprintf(jobs[next].errmsg, sizeof(jobs[next].errmsg), "%s",
				 err ? err : "cluster failure");
			jobs[next].verdict.kind = BVC_INTERNAL;
			snprintf(jobs[next].verdict.msg, sizeof(jobs[next].verdict.msg), "%s",
				 jobs[next].errmsg);
		}
	}
	cl->in_batch = 0;
	return ret;
}

int bvc_cluster_verify(struct bvc_cluster *cl, const void *object, size_t len,
		       const char *prog_name, const struct bvc_verify_opts *vopts,
		       struct bvc_verdict *out, char *err, size_t errsz)
{
	struct bvc_cluster_job job = { .object = object, .len = len, .prog_name = prog_name };
	int ret;

	memset(out, 0, sizeof(*out));
	ret = bvc_opts_check(vopts, sizeof(*vopts), sizeof(size_t), "bvc_verify_opts", err, errsz);
	job.insn_limit = BVC_OPTS_GET(vopts, insn_limit, 0);
	job.prog_flags = BVC_OPTS_GET(vopts, prog_flags, 0);
	if (!ret)
		ret = bvc_cluster_verify_batch(cl, &job, 1, NULL, NULL, err, errsz);
	if (!ret && job.err) {
		bvc_set_err(err, errsz, "%s", job.errmsg);
		ret = job.err;
	}
	if (!ret) {
		*out = job.verdict;
		return 0;
	}
	/* Fail closed even for a caller that misses the return value. */
	bvc_verdict_release(&job.verdict);
	out->kind = BVC_INTERNAL;
	snprintf(out->msg, sizeof(out->msg), "%s", err && errsz ? err : "cluster failure");
	return ret;
}
