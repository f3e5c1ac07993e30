// SPDX-License-Identifier: MIT
/*
 * The worker's work loop (docs/design.md section 4): run verification jobs for a
 * coordinator, one engine slice at a time, and look at the socket between
 * slices.
 *
 *   coordinator -> worker: Job (object, program, limits, start_entry),
 *       Work (an item to explore here), Donate (give your oldest branch),
 *       Done (an item you donated finished elsewhere), Cancel (drop the
 *       job; job id BVC_WIRE_CANCEL_BYE: the session is over), Heartbeat.
 *   worker -> coordinator: Work (answer to Donate; work id = engine
 *       index << 48 | the engine's id), Donate (answer to Donate: nothing
 *       to give now), Done (an accepted item's subtree finished here),
 *       Finished (nothing left to explore; exactly once per idle period,
 *       which the coordinator's busy/idle bookkeeping relies on), Reject
 *       (the first unsafe path), Heartbeat (processed instructions).
 *
 * Several jobs may be held at once (a batch: BVC_WIRE_MAX_JOBS), each
 * with its own image and engines; every message names its job, each step
 * runs every job's engines one slice, and Finished is per job.
 *
 * A job normally has one engine. When the worker holding the entry dies,
 * the coordinator sends a second Job with start_entry = 1 to a live worker
 * that already has the job: it gets a second engine (re-exploring from the
 * entry is always sound). Items go to engine 0.
 *
 * Pruning across workers: a finished checkpoint that pruned a path here is
 * sent as a Checkpoint (at most BVC_WORKER_SHARE_MAX per engine); the
 * coordinator forwards it to the other workers, whose engine 0 prunes
 * against it as against its own.
 *
 * Heartbeats leave from the link thread (link.c), which owns the socket
 * during the session: this loop publishes each job's processed count
 * there and talks to the coordinator through the thread's pipe. A Cancel
 * of BVC_WIRE_CANCEL_REJOIN (the coordinator declared us dead) drops every job
 * and says Hello again; until the answer, nothing else is handled.
 *
 * Must not: print, block without a timeout, trust a decoded item before
 * bvc_work_from_view() has checked it against the program.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "bpfvc/engine.h"
#include "bpfvc/image.h"
#include "bpfvc/loader.h"
#include "bpfvc/verifier.h"
#include "bpfvc/util.h"
#include "internal.h"

#define MAX_ENGINES 16
#define BVC_WORKER_SHARE_MAX 4096 /* checkpoints an engine offers per job */
#define ENGINE_SHIFT 48
#define ENGINE_ID_MASK ((1ull << ENGINE_SHIFT) - 1)

struct slot {
	struct bvc_engine *eng; /* NULL: unused */
	int done;               /* last run returned BVC_ENGINE_DONE */
	int checked;            /* verdict looked at since the last change */
	uint64_t processed;     /* instructions after its last run */
};

struct job {
	uint64_t id;               /* 0: no job */
	struct bvc_image *img;     /* the loaded object */
	const struct bvc_prog *prog; /* the program in it */
	struct bvc_verify_opts vopts; /* limits as the Job said */
	struct slot slots[MAX_ENGINES];
	unsigned int nslots;
	int idle_reported;         /* Finished sent for this idle period */
	int rejected;              /* Reject sent: nothing more to do */
	struct bvc_insn_fact *sent; /* per insn: the facts our last Finished
				     * carried (Finished sends what changed) */
	struct bvc_insn_fact *scratch; /* this Finished's, same size */
};

struct serve {
	struct bvc_worker *w;
	struct bvc_worker_stats *stats;
	struct job jobs[BVC_WIRE_MAX_JOBS]; /* id 0: a free slot */
	struct bvc_link link;      /* the thread that owns the socket */
	int rejoining;             /* our new Hello is not answered yet */
	char *err;
	size_t errsz;
};

/* Encode and send @msg; the socket's send timeout bounds the wait. */
static int send_msg(struct serve *s, const struct bvc_wire_msg *msg)
{
	char why[256];
	size_t len;
	void *buf;
	int ret;

	ret = bvc_wire_encode(msg, &buf, &len, why, sizeof(why));
	if (ret) {
		bvc_set_err(s->err, s->errsz, "cannot encode %s: %s", bvc_wire_kind_name(msg->kind),
			why);
		return ret;
	}
	while ((ret = zmq_send(s->link.pipe_main, buf, len, 0)) < 0 && errno == EINTR)
		;
	free(buf);
	if (ret < 0) {
		ret = errno == EAGAIN ? -ETIMEDOUT : -errno;
		bvc_set_err(s->err, s->errsz, "cannot send %s to %s: %s",
			bvc_wire_kind_name(msg->kind), s->w->endpoint,
			ret == -ETIMEDOUT ? "timed out" : zmq_strerror(-ret));
		return ret;
	}
	return 0;
}

static uint64_t job_processed(const struct job *j)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < j->nslots; i++)
		n += j->slots[i].processed;
	return n;
}

/* The job with id @id, or NULL (0 is never a job). */
static struct job *find_job(struct serve *s, uint64_t id)
{
	for (unsigned int k = 0; id && k < BVC_WIRE_MAX_JOBS; k++)
		if (s->jobs[k].id == id)
			return &s->jobs[k];
	return NULL;
}

/* Job @j's count as the heartbeats will say it; before any message that
 * carries it, so the wire never says more than the heartbeats will. */
static void publish(struct serve *s, const struct job *j)
{
	bvc_link_publish(&s->link, (unsigned int)(j - s->jobs), j->id, job_processed(j));
}

static void job_drop(struct job *j)
{
	for (unsigned int i = 0; i < j->nslots; i++)
		bvc_engine_free(j->slots[i].eng);
	bvc_image_free(j->img);
	free(j->sent);
	free(j->scratch);
	memset(j, 0, sizeof(*j));
}

static const struct bvc_insn_fact no_fact = { .mem_base = -1, .ctx_field = -1, .map_idx = -1 };

/*
 * The facts of every engine of @j merged into @m (a Finished): the reached
 * set whole, the access facts that changed since the last Finished. 1 when
 * two engines here saw one instruction with the context and another
 * pointer (@*conflict: that insn), negative on failure.
 */
static int finished_facts(struct job *j, struct bvc_wire_finished *m, uint32_t *conflict)
{
	size_t cnt = j->prog->insn_cnt, nf = 0;

	if (!cnt || cnt > BVC_WIRE_MAX_INSNS)
		return 0; /* no facts: the coordinator then has none to merge */
	if (!j->sent) {
		j->sent = malloc(cnt * sizeof(*j->sent));
		j->scratch = malloc(cnt * sizeof(*j->scratch));
		if (!j->sent || !j->scratch)
			return -ENOMEM;
		for (size_t i = 0; i < cnt; i++)
			j->sent[i] = no_fact;
	}
	for (size_t i = 0; i < cnt; i++)
		j->scratch[i] = no_fact;
	for (unsigned int e = 0; e < j->nslots; e++) {
		struct bvc_insn_fact *f = malloc(cnt * sizeof(*f));
		int ret = f ? bvc_engine_facts(j->slots[e].eng, f, cnt) : -ENOMEM;

		if (ret) {
			free(f);
			return ret;
		}
		for (size_t i = 0; i < cnt; i++)
			if (bvc_fact_merge(&j->scratch[i], &f[i])) {
				*conflict = (uint32_t)i;
				free(f);
				return 1;
			}
		free(f);
	}
	m->insn_cnt = (uint32_t)cnt;
	m->seen = calloc((cnt + 7) / 8, 1);
	m->facts = malloc(cnt * sizeof(*m->facts));
	if (!m->seen || !m->facts)
		return -ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		const struct bvc_insn_fact *f = &j->scratch[i], *o = &j->sent[i];

		if (f->seen)
			m->seen[i / 8] |= (uint8_t)(1u << (i % 8));
		if (f->mem_base == o->mem_base && f->ctx_field == o->ctx_field &&
		    f->ctx_field_off == o->ctx_field_off && f->ctx_field_size == o->ctx_field_size &&
		    f->map_idx == o->map_idx)
			continue;
		m->facts[nf++] = (struct bvc_wire_fact){ .insn = (uint32_t)i,
							 .mem_base = f->mem_base,
							 .ctx_field = f->ctx_field,
							 .ctx_off = f->ctx_field_off,
							 .ctx_size = f->ctx_field_size,
							 .map_idx = f->map_idx };
	}
	m->nfacts = nf;
	return 0;
}

/* Refuse job @j at @insn with @text, a refusal of @kind (BVC_REJECT,
 * BVC_UNSUPPORTED, or BVC_INTERNAL: no verdict); @trail (@trail_len bits,
 * may be NULL) is the failing path's, for the coordinator's replay. */
static int send_reject(struct serve *s, struct job *j, enum bvc_verdict_kind kind, uint64_t insn,
		       const char *text, uint8_t *trail, uint32_t trail_len)
{
	struct bvc_wire_msg m = { .kind = BVC_WIRE_HEARTBEAT };
	size_t k = 0;
	int ret;

	/* Our count first: the coordinator ends the job at the Reject. */
	m.u.heartbeat.job_id = j->id;
	m.u.heartbeat.processed_insns = job_processed(j);
	ret = send_msg(s, &m);
	if (ret)
		return ret;
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_REJECT;
	if (trail_len <= BVC_WIRE_MAX_TRAIL) {
		m.u.reject.trail = trail; /* borrowed: not released here */
		m.u.reject.trail_len = trail ? trail_len : 0;
	}

	/* Anything but a refusal of a known kind is our own bug: say so
	 * rather than let it read as some verdict. */
	if (kind != BVC_REJECT && kind != BVC_UNSUPPORTED)
		kind = BVC_INTERNAL;
	m.u.reject.kind = kind;
	m.u.reject.job_id = j->id;
	m.u.reject.insn = insn;
	/* The wire takes printable ASCII only. */
	for (const char *p = text; *p && k < BVC_WIRE_MESSAGE_MAX; p++)
		m.u.reject.message[k++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
	if (!k)
		snprintf(m.u.reject.message, sizeof(m.u.reject.message), "rejected");
	j->rejected = 1;
	return send_msg(s, &m);
}

/* Load the Job's program. Raw bytecode comes as prog_name "raw:TYPE". */
static int job_load(struct job *j, const struct bvc_wire_job *jm, char *why, size_t whysz)
{
	return bvc_load_job(jm->object, jm->object_len, jm->prog_name, &j->img, &j->prog, why,
			    whysz);
}

static int add_engine(struct serve *s, struct job *j, int with_entry)
{
	struct slot *sl;
	int ret;

	if (j->nslots == MAX_ENGINES) {
		bvc_set_err(s->err, s->errsz, "job %llu: more than %d entry restarts",
			(unsigned long long)j->id, MAX_ENGINES);
		return -ENOSPC;
	}
	sl = &j->slots[j->nslots];
	memset(sl, 0, sizeof(*sl));
	ret = bvc_engine_new(j->img, j->prog, &j->vopts, with_entry, &sl->eng);
	if (ret) {
		bvc_set_err(s->err, s->errsz, "job %llu: cannot start an engine: %s",
			(unsigned long long)j->id, strerror(-ret));
		sl->eng = NULL;
		return ret;
	}
	bvc_engine_share_limit(sl->eng, BVC_WORKER_SHARE_MAX);
	j->nslots++;
	j->idle_reported = 0;
	return 0;
}

static int on_job(struct serve *s, const struct bvc_wire_job *jm)
{
	struct job *j = find_job(s, jm->job_id);
	char why[512];
	int ret;

	if (j) {
		/* The entry's holder died: start the entry again here. */
		if (!jm->start_entry || j->rejected)
			return 0;
		return add_engine(s, j, 1);
	}
	for (unsigned int k = 0; !j && k < BVC_WIRE_MAX_JOBS; k++)
		if (!s->jobs[k].id)
			j = &s->jobs[k];
	if (!j) {
		bvc_set_err(s->err, s->errsz, "coordinator sent more than %d jobs at once",
			BVC_WIRE_MAX_JOBS);
		return -EPROTO;
	}
	j->id = jm->job_id;
	publish(s, j);
	s->stats->jobs++;
	j->vopts = (struct bvc_verify_opts){ .sz = sizeof(j->vopts),
					     .insn_limit = jm->insn_limit,
					     .prog_flags = jm->prog_flags,
					     .mem_limit = s->w->mem_limit };
	ret = job_load(j, jm, why, sizeof(why));
	if (ret) {
		/* Every worker loads the same bytes; the coordinator loaded
		 * them too, so this is an infrastructure fault: say it. */
		char text[300];

		snprintf(text, sizeof(text), "worker cannot load the job: %.250s", why);
		return send_reject(s, j, BVC_INTERNAL, 0, text, NULL, 0);
	}
	return add_engine(s, j, jm->start_entry != 0);
}

static int on_work(struct serve *s, const struct bvc_wire_work *wm)
{
	struct job *j = find_job(s, wm->job_id);
	struct bvc_work *work;
	char why[256];
	int ret;

	if (!j || j->rejected || !j->nslots)
		return 0;
	ret = bvc_work_from_view(j->img, j->prog, &wm->view, &work, why, sizeof(why));
	if (ret) {
		bvc_set_err(s->err, s->errsz, "job %llu: work item %llu refused: %s",
			(unsigned long long)j->id, (unsigned long long)wm->work_id, why);
		return ret;
	}
	ret = bvc_engine_accept(j->slots[0].eng, &work);
	if (ret) {
		bvc_work_free(work);
		bvc_set_err(s->err, s->errsz, "job %llu: cannot accept work item %llu: %s",
			(unsigned long long)j->id, (unsigned long long)wm->work_id,
			strerror(-ret));
		return ret;
	}
	j->slots[0].done = 0;
	j->slots[0].checked = 0;
	j->idle_reported = 0;
	s->stats->accepted++;
	return 0;
}

/* Another worker's finished checkpoint: engine 0 prunes against it too. */
static int on_checkpoint(struct serve *s, const struct bvc_wire_work *cm)
{
	struct job *j = find_job(s, cm->job_id);
	struct bvc_work *cp;
	char why[256];
	int ret;

	if (!j || j->rejected || !j->nslots)
		return 0;
	ret = bvc_work_from_view(j->img, j->prog, &cm->view, &cp, why, sizeof(why));
	if (ret) {
		/* Another worker's (relayed unchecked by the coordinator): not
		 * a state of this program. Pruning without it is sound; a work
		 * item refused the same way is not (it would be lost). */
		s->stats->refused_checkpoints++;
		return 0;
	}
	ret = bvc_engine_add_checkpoint(j->slots[0].eng, &cp);
	if (ret)
		bvc_work_free(cp); /* not kept: pruning less is always sound */
	return 0;
}

/* Send the checkpoints @eng offers to the others. */
static int share_checkpoints(struct serve *s, const struct job *j, struct bvc_engine *eng)
{
	struct bvc_work *cp;

	while (bvc_engine_share(eng, &cp) == 0) {
		struct bvc_wire_msg m = { .kind = BVC_WIRE_CHECKPOINT };
		int ret = bvc_work_view_get(cp, &m.u.work.view);

		m.u.work.job_id = j->id;
		m.u.work.work_id = bvc_work_id(cp);
		bvc_work_free(cp);
		if (ret)
			return ret;
		ret = send_msg(s, &m);
		bvc_work_view_release(&m.u.work.view);
		if (ret)
			return ret;
	}
	return 0;
}

static int on_donate(struct serve *s, uint64_t job_id)
{
	struct job *j = find_job(s, job_id);
	struct bvc_wire_msg m;
	int ret;

	if (!j)
		return 0; /* a job we dropped: the coordinator has ended it */
	/* The engine with the most pending branches gives its oldest one. */
	for (unsigned int best = MAX_ENGINES, i = 0;; i++) {
		if (i < j->nslots) {
			if (!j->rejected && bvc_engine_pending(j->slots[i].eng) &&
			    (best == MAX_ENGINES || bvc_engine_pending(j->slots[i].eng) >
							    bvc_engine_pending(j->slots[best].eng)))
				best = i;
			continue;
		}
		if (best == MAX_ENGINES)
			break;
		{
			struct bvc_work *work;

			if (bvc_engine_donate(j->slots[best].eng, &work))
				break;
			memset(&m, 0, sizeof(m));
			m.kind = BVC_WIRE_WORK;
			m.u.work.job_id = j->id;
			m.u.work.work_id = ((uint64_t)best << ENGINE_SHIFT) | bvc_work_id(work);
			ret = bvc_work_view_get(work, &m.u.work.view);
			bvc_work_free(work);
			if (ret) {
				bvc_set_err(s->err, s->errsz, "cannot export a work item: %s",
					strerror(-ret));
				return ret;
			}
			ret = send_msg(s, &m);
			bvc_work_view_release(&m.u.work.view);
			if (!ret)
				s->stats->donated++;
			return ret;
		}
	}
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_DONATE;
	m.u.donate.job_id = j->id;
	return send_msg(s, &m);
}

static int on_done(struct serve *s, const struct bvc_wire_done *dm)
{
	struct job *j = find_job(s, dm->job_id);
	uint64_t e = dm->work_id >> ENGINE_SHIFT;

	if (!j || e >= j->nslots)
		return 0;
	/* An unknown id is a duplicate: drop it. */
	bvc_engine_work_done(j->slots[e].eng, dm->work_id & ENGINE_ID_MASK, &dm->demand);
	/* Look at the verdict again: it may now be final (a stack-depth
	 * rejection, exact counts). No second Finished: the coordinator
	 * counts one per idle period. */
	j->slots[e].checked = 0;
	return 0;
}

/* The coordinator declared us dead and gave our work to others: drop
 * every job (their items are being redone elsewhere; our late words are
 * dropped there) and say Hello again, as a new worker. */
static int rejoin(struct serve *s)
{
	struct bvc_wire_msg m;

	for (unsigned int k = 0; k < BVC_WIRE_MAX_JOBS; k++) {
		job_drop(&s->jobs[k]);
		publish(s, &s->jobs[k]);
	}
	bvc_wire_hello_init(&m, s->w->cores);
	memcpy(m.u.hello.build_id, s->w->build_id, sizeof(s->w->build_id));
	s->rejoining = 1;
	return send_msg(s, &m);
}

/* While rejoining, only the answer to our Hello (or goodbye) matters:
 * anything else was sent to our old session. */
static int handle_rejoining(struct serve *s, struct bvc_wire_msg *m)
{
	char why[256];

	if (m->kind == BVC_WIRE_CANCEL && m->u.cancel.job_id == BVC_WIRE_CANCEL_BYE)
		return 1;
	if (m->kind != BVC_WIRE_HELLO)
		return 0;
	if (bvc_wire_check_hello(&m->u.hello, s->w->build_id, why, sizeof(why))) {
		bvc_set_err(s->err, s->errsz, "rejoining %s: %s", s->w->endpoint, why);
		return -EPROTO;
	}
	s->rejoining = 0;
	return 0;
}

/* Handle one decoded message. Returns 1 on goodbye. */
static int handle(struct serve *s, struct bvc_wire_msg *m)
{
	if (s->rejoining)
		return handle_rejoining(s, m);
	switch (m->kind) {
	case BVC_WIRE_JOB:
		return on_job(s, &m->u.job);
	case BVC_WIRE_WORK:
		return on_work(s, &m->u.work);
	case BVC_WIRE_DONATE:
		return on_donate(s, m->u.donate.job_id);
	case BVC_WIRE_DONE:
		return on_done(s, &m->u.done);
	case BVC_WIRE_CHECKPOINT:
		return on_checkpoint(s, &m->u.work);
	case BVC_WIRE_CANCEL: {
		struct job *j;

		if (m->u.cancel.job_id == BVC_WIRE_CANCEL_BYE)
			return 1;
		if (m->u.cancel.job_id == BVC_WIRE_CANCEL_REJOIN)
			return rejoin(s);
		j = find_job(s, m->u.cancel.job_id);
		if (j) {
			job_drop(j);
			publish(s, j);
		}
		return 0;
	}
	case BVC_WIRE_HEARTBEAT:
		return 0;
	default:
		bvc_set_err(s->err, s->errsz, "coordinator sent %s during a session",
			bvc_wire_kind_name(m->kind));
		return -EPROTO;
	}
}

/* Wait up to @timeout_ms for messages and handle every one that came. */
static int pump(struct serve *s, int timeout_ms)
{
	zmq_pollitem_t item = { .socket = s->link.pipe_main, .events = ZMQ_POLLIN };
	int ret;

	ret = zmq_poll(&item, 1, timeout_ms);
	if (ret < 0)
		return errno == EINTR ? 0 : -errno;
	for (;;) {
		struct bvc_wire_msg m;
		zmq_msg_t frame;
		char why[256];
		int more = 0;
		size_t sz = sizeof(more);

		zmq_msg_init(&frame);
		if (zmq_msg_recv(&frame, s->link.pipe_main, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&frame);
			return (errno == EAGAIN || errno == EINTR) ? 0 : -errno;
		}
		if (zmq_getsockopt(s->link.pipe_main, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
			zmq_msg_close(&frame);
			bvc_set_err(s->err, s->errsz, "coordinator sent a multi-frame message");
			return -EPROTO;
		}
		ret = bvc_wire_decode(zmq_msg_data(&frame), zmq_msg_size(&frame), &m, why,
				      sizeof(why));
		zmq_msg_close(&frame);
		if (ret) {
			bvc_set_err(s->err, s->errsz, "coordinator: %s", why);
			return ret;
		}
		ret = handle(s, &m);
		bvc_wire_msg_release(&m);
		if (ret)
			return ret;
	}
}

/* Run each engine of job @j with work for one slice; report finished
 * items, a rejection, and idleness. Returns 1 when something ran. */
static int step_job(struct serve *s, struct job *j)
{
	int ran = 0, ret;

	if (!j->id || j->rejected)
		return 0;
	for (unsigned int i = 0; i < j->nslots; i++) {
		struct slot *sl = &j->slots[i];
		struct bvc_precision_demand demand;
		struct bvc_verdict v;
		uint64_t id;

		if (!sl->done) {
			ret = bvc_engine_run(sl->eng, BVC_WORKER_SLICE);
			if (ret < 0) {
				bvc_set_err(s->err, s->errsz, "job %llu: engine failed: %s",
					(unsigned long long)j->id, strerror(-ret));
				return ret;
			}
			ran = 1;
			sl->done = ret == BVC_ENGINE_DONE;
			s->stats->processed += bvc_engine_processed(sl->eng) - sl->processed;
			sl->processed = bvc_engine_processed(sl->eng);
			publish(s, j);
		}
		ret = share_checkpoints(s, j, sl->eng);
		if (ret)
			return ret;
		while (bvc_engine_poll_done(sl->eng, &id, &demand) == 0) {
			struct bvc_wire_msg m = { .kind = BVC_WIRE_DONE };

			m.u.done.job_id = j->id;
			m.u.done.work_id = id;
			m.u.done.demand = demand;
			ret = send_msg(s, &m);
			if (ret)
				return ret;
		}
		if (!sl->done || sl->checked)
			continue;
		sl->checked = 1;
		/* -EAGAIN: donated items are still out; the verdict waits. */
		ret = bvc_engine_verdict(sl->eng, &v);
		if (ret == -EAGAIN)
			continue;
		if (ret < 0) {
			bvc_set_err(s->err, s->errsz, "job %llu: no verdict: %s",
				(unsigned long long)j->id, strerror(-ret));
			return ret;
		}
		if (!bvc_verdict_accepted(&v)) {
			ret = send_reject(s, j, v.kind, v.insn, v.msg, v.trail, v.trail_len);
			bvc_verdict_release(&v);
			return ret;
		}
		bvc_verdict_release(&v);
	}
	for (unsigned int i = 0; i < j->nslots; i++)
		if (!j->slots[i].done)
			return ran;
	if (!j->idle_reported) {
		struct bvc_wire_msg m = { .kind = BVC_WIRE_FINISHED };
		uint64_t total, peak;
		uint32_t conflict = 0;

		m.u.finished.job_id = j->id;
		m.u.finished.processed_insns = job_processed(j);
		for (unsigned int i = 0; i < j->nslots; i++) {
			uint32_t d[BVC_WIRE_MAX_FUNCS];
			uint32_t n = bvc_engine_stack_depths(j->slots[i].eng, d, BVC_WIRE_MAX_FUNCS);

			/* Every engine runs the same program: same function count. */
			if (n <= BVC_WIRE_MAX_FUNCS) {
				m.u.finished.nfuncs = n;
				for (uint32_t f = 0; f < n; f++)
					if (d[f] > m.u.finished.stack_depths[f])
						m.u.finished.stack_depths[f] = d[f];
			}
			m.u.finished.remote_prune_hits += bvc_engine_remote_hits(j->slots[i].eng);
			/* So far: a donor's verdict may still wait for items. */
			bvc_engine_states(j->slots[i].eng, &total, &peak);
			m.u.finished.total_states += total;
			if (peak > m.u.finished.peak_states)
				m.u.finished.peak_states = peak;
		}
		ret = finished_facts(j, &m.u.finished, &conflict);
		if (ret == 1) {
			bvc_wire_msg_release(&m);
			return send_reject(s, j, BVC_REJECT, conflict,
					   "same insn cannot be used with different pointers", NULL, 0);
		}
		if (ret < 0) {
			bvc_wire_msg_release(&m);
			bvc_set_err(s->err, s->errsz, "job %llu: cannot gather facts: %s",
				(unsigned long long)j->id, strerror(-ret));
			return ret;
		}
		j->idle_reported = 1;
		ret = send_msg(s, &m);
		if (!ret && m.u.finished.insn_cnt)
			memcpy(j->sent, j->scratch, m.u.finished.insn_cnt * sizeof(*j->sent));
		bvc_wire_msg_release(&m);
		if (ret)
			return ret;
	}
	return ran;
}

/* One slice for every job held. Returns 1 when something ran. */
static int step(struct serve *s)
{
	int ran = 0;

	for (unsigned int k = 0; k < BVC_WIRE_MAX_JOBS; k++) {
		int ret = step_job(s, &s->jobs[k]);

		if (ret < 0)
			return ret;
		ran |= ret;
	}
	return ran;
}

/* Does some job have an engine with something to explore? */
static int busy(const struct serve *s)
{
	for (unsigned int k = 0; k < BVC_WIRE_MAX_JOBS; k++) {
		const struct job *j = &s->jobs[k];

		if (!j->id || j->rejected)
			continue;
		for (unsigned int i = 0; i < j->nslots; i++)
			if (!j->slots[i].done)
				return 1;
	}
	return 0;
}

int bvc_worker_serve(struct bvc_worker *w, struct bvc_worker_stats *stats, char *err,
		     size_t errsz)
{
	struct bvc_worker_stats dummy;
	struct serve s = { .w = w, .err = err, .errsz = errsz };
	int ret;

	memset(&dummy, 0, sizeof(dummy));
	s.stats = stats ? stats : &dummy;
	ret = bvc_link_start(&s.link, w, err, errsz);
	if (ret)
		return ret;
	for (;;) {
		bvc_link_alive(&s.link);
		ret = pump(&s, busy(&s) ? 0 : BVC_WIRE_HEARTBEAT_MS / 4);
		if (ret)
			break;
		ret = step(&s);
		if (ret < 0)
			break;
		ret = bvc_link_status(&s.link, err, errsz);
		if (ret == -ETIMEDOUT)
			bvc_set_err(err, errsz, "coordinator %s silent for %d ms", w->endpoint,
				BVC_WIRE_DEAD_BEATS * BVC_WIRE_HEARTBEAT_MS);
		if (ret)
			break;
	}
	bvc_link_stop(&s.link);
	for (unsigned int k = 0; k < BVC_WIRE_MAX_JOBS; k++)
		job_drop(&s.jobs[k]);
	return ret == 1 ? 0 : ret;
}
