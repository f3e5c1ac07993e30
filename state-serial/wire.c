// SPDX-License-Identifier: MIT
/*
 * Wire messages to and from bytes (proto/bpfvc.proto, docs/design.md
 * section 4): the public face of state-serial/.
 *
 * Decoding is where another process's bytes become our data, so it trusts
 * nothing. bvc_wire_decode() first has the whole frame walked (walk.c:
 * every tag, wire type, length and varint, and the limits of rules.c); a
 * work item is decoded during that walk (work.c). Every other message is
 * then unpacked by protobuf-c and each field checked against the protocol
 * (rules.c: version, ids, string length and alphabet, trail length) before
 * it is copied into the plain structs of state_serial.h. Whether a work
 * item is a state of the program is left to bvc_work_from_view().
 *
 * Encoding applies the same rules and reports a break as the caller's
 * mistake (-EINVAL): sending what the peer refuses would only move the
 * error elsewhere.
 *
 * Must not: print, abort or assert on input, or let a protobuf-c type out
 * of state-serial/.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc.pb-c.h"
#include "bpfvc/state_serial.h"
#include "bpfvc/util.h"
#include "build_id.h"
#include "wire_internal.h"

/* A message's kind is its field number in the Envelope: the work-item
 * codec writes a Work or a Checkpoint under it, and the walk reads it. */
#define KIND_IS_FIELD(k) _Static_assert((int)BVC_WIRE_##k == (int)BPFVC__WIRE__ENVELOPE__BODY_##k, #k)
KIND_IS_FIELD(HELLO);
KIND_IS_FIELD(HEARTBEAT);
KIND_IS_FIELD(CANCEL);
KIND_IS_FIELD(REJECT);
KIND_IS_FIELD(JOB);
KIND_IS_FIELD(WORK);
KIND_IS_FIELD(DONATE);
KIND_IS_FIELD(DONE);
KIND_IS_FIELD(FINISHED);
KIND_IS_FIELD(CHECKPOINT);
#undef KIND_IS_FIELD

const char *bvc_wire_build_id(void)
{
	return BVC_BUILD_ID;
}

const char *bvc_wire_kind_name(enum bvc_wire_kind kind)
{
	switch (kind) {
	case BVC_WIRE_HELLO:
		return "hello";
	case BVC_WIRE_HEARTBEAT:
		return "heartbeat";
	case BVC_WIRE_CANCEL:
		return "cancel";
	case BVC_WIRE_REJECT:
		return "reject";
	case BVC_WIRE_JOB:
		return "job";
	case BVC_WIRE_WORK:
		return "work";
	case BVC_WIRE_DONATE:
		return "donate";
	case BVC_WIRE_DONE:
		return "done";
	case BVC_WIRE_FINISHED:
		return "finished";
	case BVC_WIRE_CHECKPOINT:
		return "checkpoint";
	}
	return "unknown";
}

void bvc_wire_msg_release(struct bvc_wire_msg *msg)
{
	if (!msg)
		return;
	switch (msg->kind) {
	case BVC_WIRE_JOB:
		free(msg->u.job.object);
		break;
	case BVC_WIRE_WORK:
	case BVC_WIRE_CHECKPOINT:
		bvc_work_view_release(&msg->u.work.view);
		break;
	case BVC_WIRE_FINISHED:
		free(msg->u.finished.seen);
		free(msg->u.finished.facts);
		break;
	case BVC_WIRE_REJECT:
		free(msg->u.reject.trail);
		break;
	default:
		break;
	}
	memset(msg, 0, sizeof(*msg));
}

void bvc_wire_hello_init(struct bvc_wire_msg *msg, uint32_t cores)
{
	memset(msg, 0, sizeof(*msg));
	msg->kind = BVC_WIRE_HELLO;
	msg->u.hello.protocol_version = BVC_WIRE_PROTOCOL_VERSION;
	snprintf(msg->u.hello.build_id, sizeof(msg->u.hello.build_id), "%s", BVC_BUILD_ID);
	msg->u.hello.cores = cores;
}

/* --- encode --------------------------------------------------------------- */

/* Length of a NUL-terminated string held in a char[cap], or cap if the
 * array has no NUL (which the caller treats as too long). */
static size_t bounded_len(const char *s, size_t cap)
{
	const char *nul = memchr(s, 0, cap);

	return nul ? (size_t)(nul - s) : cap;
}

/* A Finished's facts as protobuf-c's parallel arrays, for packing. */
struct fact_arrays {
	uint32_t *insn, *ctx_off, *ctx_size;
	int32_t *mem_base, *ctx_field, *map_idx;
};

static void fact_arrays_free(struct fact_arrays *a)
{
	free(a->insn);
	free(a->ctx_off);
	free(a->ctx_size);
	free(a->mem_base);
	free(a->ctx_field);
	free(a->map_idx);
}

static int encode_facts(Bpfvc__Wire__Finished *pb, const struct bvc_wire_finished *f,
			struct fact_arrays *a)
{
	size_t n = f->nfacts ? f->nfacts : 1;

	pb->insn_cnt = f->insn_cnt;
	if (f->insn_cnt) {
		pb->seen.data = f->seen;
		pb->seen.len = (f->insn_cnt + 7) / 8;
	}
	if (!f->nfacts)
		return 0;
	a->insn = malloc(n * sizeof(uint32_t));
	a->ctx_off = malloc(n * sizeof(uint32_t));
	a->ctx_size = malloc(n * sizeof(uint32_t));
	a->mem_base = malloc(n * sizeof(int32_t));
	a->ctx_field = malloc(n * sizeof(int32_t));
	a->map_idx = malloc(n * sizeof(int32_t));
	if (!a->insn || !a->ctx_off || !a->ctx_size || !a->mem_base || !a->ctx_field ||
	    !a->map_idx) {
		fact_arrays_free(a);
		return -ENOMEM;
	}
	for (size_t i = 0; i < f->nfacts; i++) {
		a->insn[i] = f->facts[i].insn;
		a->mem_base[i] = f->facts[i].mem_base;
		a->ctx_field[i] = f->facts[i].ctx_field;
		a->ctx_off[i] = f->facts[i].ctx_off;
		a->ctx_size[i] = f->facts[i].ctx_size;
		a->map_idx[i] = f->facts[i].map_idx;
	}
	pb->n_fact_insn = pb->n_fact_mem_base = pb->n_fact_ctx_field = f->nfacts;
	pb->n_fact_ctx_off = pb->n_fact_ctx_size = pb->n_fact_map_idx = f->nfacts;
	pb->fact_insn = a->insn;
	pb->fact_mem_base = a->mem_base;
	pb->fact_ctx_field = a->ctx_field;
	pb->fact_ctx_off = a->ctx_off;
	pb->fact_ctx_size = a->ctx_size;
	pb->fact_map_idx = a->map_idx;
	return 0;
}

/* The facts of a decoded Finished, into @f (which then owns them). */
static int decode_facts(const Bpfvc__Wire__Finished *pb, struct bvc_wire_finished *f, char *err,
			size_t errsz)
{
	size_t n = pb->n_fact_insn;

	if (pb->n_fact_mem_base != n || pb->n_fact_ctx_field != n || pb->n_fact_ctx_off != n ||
	    pb->n_fact_ctx_size != n || pb->n_fact_map_idx != n) {
		bvc_set_err(err, errsz, "finished: fact fields of different lengths");
		return -EBADMSG;
	}
	if (pb->seen.len != (pb->insn_cnt ? (pb->insn_cnt + 7u) / 8 : 0)) {
		bvc_set_err(err, errsz, "finished: %zu bytes of reached set for %u instructions",
			pb->seen.len, pb->insn_cnt);
		return -EBADMSG;
	}
	f->insn_cnt = pb->insn_cnt;
	if (pb->seen.len) {
		f->seen = malloc(pb->seen.len);
		if (!f->seen)
			goto nomem;
		memcpy(f->seen, pb->seen.data, pb->seen.len);
	}
	if (n) {
		f->facts = calloc(n, sizeof(*f->facts));
		if (!f->facts)
			goto nomem;
	}
	f->nfacts = n;
	for (size_t i = 0; i < n; i++)
		f->facts[i] = (struct bvc_wire_fact){ .insn = pb->fact_insn[i],
						      .mem_base = pb->fact_mem_base[i],
						      .ctx_field = pb->fact_ctx_field[i],
						      .ctx_off = pb->fact_ctx_off[i],
						      .ctx_size = pb->fact_ctx_size[i],
						      .map_idx = pb->fact_map_idx[i] };
	return bvc_wire__check_facts(f, err, errsz) ? -EBADMSG : 0;
nomem:
	bvc_set_err(err, errsz, "finished: out of memory for %zu facts", n);
	return -ENOMEM;
}

int bvc_wire_encode(const struct bvc_wire_msg *msg, void **buf, size_t *len,
		    char *err, size_t errsz)
{
	Bpfvc__Wire__Envelope env = BPFVC__WIRE__ENVELOPE__INIT;
	Bpfvc__Wire__Hello hello = BPFVC__WIRE__HELLO__INIT;
	Bpfvc__Wire__Heartbeat hb = BPFVC__WIRE__HEARTBEAT__INIT;
	Bpfvc__Wire__Cancel cancel = BPFVC__WIRE__CANCEL__INIT;
	Bpfvc__Wire__Reject reject = BPFVC__WIRE__REJECT__INIT;
	Bpfvc__Wire__Job job = BPFVC__WIRE__JOB__INIT;
	Bpfvc__Wire__Donate donate = BPFVC__WIRE__DONATE__INIT;
	Bpfvc__Wire__Done done = BPFVC__WIRE__DONE__INIT;
	Bpfvc__Wire__Finished finished = BPFVC__WIRE__FINISHED__INIT;
	uint32_t demand_regs[BVC_VIEW_MAX_FRAMES];
	uint64_t demand_slots[BVC_VIEW_MAX_FRAMES];
	uint32_t stack_depths[BVC_WIRE_MAX_FUNCS];
	struct fact_arrays facts = { 0 };
	size_t n, l;
	void *out;
	int ret;

	*buf = NULL;
	*len = 0;
	env.protocol_version = BVC_WIRE_PROTOCOL_VERSION;

	/* Same rules as decoding, reported as the caller's mistake (-EINVAL):
	 * sending what the peer refuses would only move the error elsewhere. */
	switch (msg->kind) {
	case BVC_WIRE_HELLO:
		l = bounded_len(msg->u.hello.build_id, sizeof(msg->u.hello.build_id));
		ret = bvc_wire__check_version("hello", msg->u.hello.protocol_version, err, errsz);
		if (!ret)
			ret = bvc_wire__check_build_id(msg->u.hello.build_id, l, err, errsz);
		if (ret)
			return -EINVAL;
		hello.protocol_version = msg->u.hello.protocol_version;
		hello.build_id = (char *)msg->u.hello.build_id;
		hello.cores = msg->u.hello.cores;
		env.body_case = BPFVC__WIRE__ENVELOPE__BODY_HELLO;
		env.hello = &hello;
		break;
	case BVC_WIRE_HEARTBEAT:
		hb.processed_insns = msg->u.heartbeat.processed_insns;
		hb.job_id = msg->u.heartbeat.job_id;
		env.body_case = BPFVC__WIRE__ENVELOPE__BODY_HEARTBEAT;
		env.heartbeat = &hb;
		break;
	case BVC_WIRE_CANCEL:
		if (bvc_wire__check_job_id("cancel", msg->u.cancel.job_id, err, errsz))
			return -EINVAL;
		cancel.job_id = msg->u.cancel.job_id;
		env.body_case = BPFVC__WIRE__ENVELOPE__BODY_CANCEL;
		env.cancel = &cancel;
		break;
	case BVC_WIRE_REJECT:
		l = bounded_len(msg->u.reject.message, sizeof(msg->u.reject.message));
		if (bvc_wire__check_job_id("reject", msg->u.reject.job_id, err, errsz) ||
		    bvc_wire__check_message(msg->u.reject.message, l, err, errsz))
			return -EINVAL;
		if (msg->u.reject.trail_len > BVC_WIRE_MAX_TRAIL ||
		    (msg->u.reject.trail_len && !msg->u.reject.trail)) {
			bvc_set_err(err, errsz, "reject: trail of %u decisions", msg->u.reject.trail_len);
			return -EINVAL;
		}
		if (bvc_wire__check_reject_kind((uint32_t)msg->u.reject.kind, err, errsz))
			return -EINVAL;
		reject.kind = (uint32_t)msg->u.reject.kind;
		reject.job_id = msg->u.reject.job_id;
		reject.insn = msg->u.reject.insn;
		reject.message = (char *)msg->u.reject.message;
		reject.trail_len = msg->u.reject.trail_len;
		reject.trail.data = msg->u.reject.trail;
		reject.trail.len = (msg->u.reject.trail_len + 7u) / 8;
		env.body_case = BPFVC__WIRE__ENVELOPE__BODY_REJECT;
		env.reject = &reject;
		break;
	case BVC_WIRE_JOB:
		l = bounded_len(msg->u.job.prog_name, sizeof(msg->u.job.prog_name));
		ret = bvc_wire__check_job(msg->u.job.job_id, msg->u.job.start_entry, msg->u.job.object,
				msg->u.job.object_len, err, errsz);
		if (!ret)
			ret = bvc_wire__check_prog_name(msg->u.job.prog_name, l, err, errsz);
		if (ret)
			return ret == -EMSGSIZE ? ret : -EINVAL;
		job.job_id = msg->u.job.job_id;
		job.prog_name = (char *)msg->u.job.prog_name;
		job.insn_limit = msg->u.job.insn_limit;
		job.prog_flags = msg->u.job.prog_flags;
		job.start_entry = msg->u.job.start_entry;
		job.object.len = msg->u.job.object_len;
		job.object.data = msg->u.job.object;
		env.body_case = BPFVC__WIRE__ENVELOPE__BODY_JOB;
		env.job = &job;
		break;
	case BVC_WIRE_WORK:
	case BVC_WIRE_CHECKPOINT:
		if (bvc_wire__check_job_id("work", msg->u.work.job_id, err, errsz) ||
		    bvc_wire__check_work_id("work", msg->u.work.work_id, err, errsz) ||
		    bvc_wire__check_work_view(&msg->u.work.view, err, errsz))
			return -EINVAL;
		return bvc_wire__encode_work(&msg->u.work, msg->kind, buf, len, err, errsz);
	case BVC_WIRE_DONATE:
		if (bvc_wire__check_job_id("donate", msg->u.donate.job_id, err, errsz))
			return -EINVAL;
		donate.job_id = msg->u.donate.job_id;
		env.body_case = BPFVC__WIRE__ENVELOPE__BODY_DONATE;
		env.donate = &donate;
		break;
	case BVC_WIRE_DONE:
		if (bvc_wire__check_job_id("done", msg->u.done.job_id, err, errsz) ||
		    bvc_wire__check_work_id("done", msg->u.done.work_id, err, errsz))
			return -EINVAL;
		if (bvc_wire__check_demand(&msg->u.done.demand, err, errsz))
			return -EINVAL;
		done.job_id = msg->u.done.job_id;
		done.work_id = msg->u.done.work_id;
		done.demand_frames = msg->u.done.demand.nframes;
		done.demand_all = msg->u.done.demand.all != 0;
		for (uint32_t f = 0; f < msg->u.done.demand.nframes; f++) {
			demand_regs[f] = msg->u.done.demand.regs[f];
			demand_slots[f] = msg->u.done.demand.slots[f];
		}
		done.n_demand_regs = msg->u.done.demand.nframes;
		done.demand_regs = demand_regs;
		done.n_demand_slots = msg->u.done.demand.nframes;
		done.demand_slots = demand_slots;
		env.body_case = BPFVC__WIRE__ENVELOPE__BODY_DONE;
		env.done = &done;
		break;
	case BVC_WIRE_FINISHED:
		if (bvc_wire__check_job_id("finished", msg->u.finished.job_id, err, errsz))
			return -EINVAL;
		finished.job_id = msg->u.finished.job_id;
		finished.processed_insns = msg->u.finished.processed_insns;
		finished.total_states = msg->u.finished.total_states;
		finished.peak_states = msg->u.finished.peak_states;
		finished.remote_prune_hits = msg->u.finished.remote_prune_hits;
		if (msg->u.finished.nfuncs > BVC_WIRE_MAX_FUNCS) {
			bvc_set_err(err, errsz, "finished: %u functions", msg->u.finished.nfuncs);
			return -EINVAL;
		}
		for (uint32_t f = 0; f < msg->u.finished.nfuncs; f++) {
			if (msg->u.finished.stack_depths[f] > 512) {
				bvc_set_err(err, errsz, "finished: stack depth %u", msg->u.finished.stack_depths[f]);
				return -EINVAL;
			}
		}
		memcpy(stack_depths, msg->u.finished.stack_depths,
		       msg->u.finished.nfuncs * sizeof(*stack_depths));
		finished.n_stack_depths = msg->u.finished.nfuncs;
		finished.stack_depths = stack_depths;
		if (bvc_wire__check_facts(&msg->u.finished, err, errsz))
			return -EINVAL;
		ret = encode_facts(&finished, &msg->u.finished, &facts);
		if (ret) {
			bvc_set_err(err, errsz, "finished: out of memory");
			return ret;
		}
		env.body_case = BPFVC__WIRE__ENVELOPE__BODY_FINISHED;
		env.finished = &finished;
		break;
	default:
		bvc_set_err(err, errsz, "cannot encode message kind %d", (int)msg->kind);
		return -EINVAL;
	}

	n = bpfvc__wire__envelope__get_packed_size(&env);
	if (n > BVC_WIRE_FRAME_MAX) {
		/* A Job is bounded by BVC_WIRE_OBJECT_MAX, a Finished's facts
		 * by the program; the rest by far less. */
		bvc_set_err(err, errsz, "%s: encodes to %zu bytes, limit %u",
			bvc_wire_kind_name(msg->kind), n, BVC_WIRE_FRAME_MAX);
		fact_arrays_free(&facts);
		return -EMSGSIZE;
	}
	out = malloc(n ? n : 1);
	if (!out) {
		bvc_set_err(err, errsz, "out of memory encoding %s", bvc_wire_kind_name(msg->kind));
		fact_arrays_free(&facts);
		return -ENOMEM;
	}
	*len = bpfvc__wire__envelope__pack(&env, out);
	*buf = out;
	fact_arrays_free(&facts);
	return 0;
}

static int convert(Bpfvc__Wire__Envelope *env, struct bvc_wire_msg *msg,
		   char *err, size_t errsz)
{
	int ret;

	switch (env->body_case) {
	case BPFVC__WIRE__ENVELOPE__BODY_HELLO:
		/* The walk guarantees no NUL inside, so strlen is the wire length. */
		ret = bvc_wire__check_version("hello", env->hello->protocol_version, err, errsz);
		if (!ret)
			ret = bvc_wire__check_build_id(env->hello->build_id, strlen(env->hello->build_id),
					     err, errsz);
		if (ret)
			return ret;
		msg->kind = BVC_WIRE_HELLO;
		msg->u.hello.protocol_version = env->hello->protocol_version;
		memcpy(msg->u.hello.build_id, env->hello->build_id,
		       strlen(env->hello->build_id) + 1);
		msg->u.hello.cores = env->hello->cores;
		return 0;
	case BPFVC__WIRE__ENVELOPE__BODY_HEARTBEAT:
		msg->kind = BVC_WIRE_HEARTBEAT;
		msg->u.heartbeat.processed_insns = env->heartbeat->processed_insns;
		msg->u.heartbeat.job_id = env->heartbeat->job_id;
		return 0;
	case BPFVC__WIRE__ENVELOPE__BODY_CANCEL:
		ret = bvc_wire__check_job_id("cancel", env->cancel->job_id, err, errsz);
		if (ret)
			return ret;
		msg->kind = BVC_WIRE_CANCEL;
		msg->u.cancel.job_id = env->cancel->job_id;
		return 0;
	case BPFVC__WIRE__ENVELOPE__BODY_REJECT:
		ret = bvc_wire__check_job_id("reject", env->reject->job_id, err, errsz);
		if (!ret)
			ret = bvc_wire__check_message(env->reject->message, strlen(env->reject->message),
					    err, errsz);
		if (!ret)
			ret = bvc_wire__check_reject_kind(env->reject->kind, err, errsz);
		if (ret)
			return ret;
		msg->kind = BVC_WIRE_REJECT;
		msg->u.reject.kind = (enum bvc_verdict_kind)env->reject->kind;
		msg->u.reject.job_id = env->reject->job_id;
		msg->u.reject.insn = env->reject->insn;
		memcpy(msg->u.reject.message, env->reject->message,
		       strlen(env->reject->message) + 1);
		if (env->reject->trail.len != (env->reject->trail_len + 7u) / 8) {
			bvc_set_err(err, errsz, "reject: %zu bytes of trail for %u decisions",
				env->reject->trail.len, env->reject->trail_len);
			return -EBADMSG;
		}
		if (env->reject->trail_len) {
			msg->u.reject.trail = malloc(env->reject->trail.len);
			if (!msg->u.reject.trail) {
				bvc_set_err(err, errsz, "reject: out of memory for the trail");
				return -ENOMEM;
			}
			memcpy(msg->u.reject.trail, env->reject->trail.data, env->reject->trail.len);
			msg->u.reject.trail_len = env->reject->trail_len;
		}
		return 0;
	case BPFVC__WIRE__ENVELOPE__BODY_JOB:
		ret = bvc_wire__check_job(env->job->job_id, env->job->start_entry, env->job->object.data,
				env->job->object.len, err, errsz);
		if (!ret)
			ret = bvc_wire__check_prog_name(env->job->prog_name, strlen(env->job->prog_name), err,
					      errsz);
		if (ret)
			return ret;
		msg->kind = BVC_WIRE_JOB;
		msg->u.job.job_id = env->job->job_id;
		memcpy(msg->u.job.prog_name, env->job->prog_name, strlen(env->job->prog_name) + 1);
		msg->u.job.insn_limit = env->job->insn_limit;
		msg->u.job.prog_flags = env->job->prog_flags;
		msg->u.job.start_entry = env->job->start_entry;
		/* Take the object over rather than copy up to 16 MiB: protobuf-c
		 * unpacked with the default allocator, which is malloc(). */
		msg->u.job.object = env->job->object.data;
		msg->u.job.object_len = env->job->object.len;
		env->job->object.data = NULL;
		env->job->object.len = 0;
		return 0;
	case BPFVC__WIRE__ENVELOPE__BODY_DONATE:
		ret = bvc_wire__check_job_id("donate", env->donate->job_id, err, errsz);
		if (ret)
			return ret;
		msg->kind = BVC_WIRE_DONATE;
		msg->u.donate.job_id = env->donate->job_id;
		return 0;
	case BPFVC__WIRE__ENVELOPE__BODY_DONE:
		ret = bvc_wire__check_job_id("done", env->done->job_id, err, errsz);
		if (!ret)
			ret = bvc_wire__check_work_id("done", env->done->work_id, err, errsz);
		if (ret)
			return ret;
		if (env->done->demand_frames > BVC_VIEW_MAX_FRAMES ||
		    env->done->n_demand_regs != env->done->demand_frames ||
		    env->done->n_demand_slots != env->done->demand_frames) {
			bvc_set_err(err, errsz, "done: %u demand frames with %zu register and %zu slot masks",
				env->done->demand_frames, env->done->n_demand_regs,
				env->done->n_demand_slots);
			return -EBADMSG;
		}
		msg->kind = BVC_WIRE_DONE;
		msg->u.done.job_id = env->done->job_id;
		msg->u.done.work_id = env->done->work_id;
		msg->u.done.demand.nframes = env->done->demand_frames;
		msg->u.done.demand.all = env->done->demand_all;
		for (uint32_t f = 0; f < env->done->demand_frames; f++) {
			if (env->done->demand_regs[f] > 0x3ff) {
				bvc_set_err(err, errsz, "done: demand register mask %#x",
					env->done->demand_regs[f]);
				return -EBADMSG;
			}
			msg->u.done.demand.regs[f] = (uint16_t)env->done->demand_regs[f];
			msg->u.done.demand.slots[f] = env->done->demand_slots[f];
		}
		return bvc_wire__check_demand(&msg->u.done.demand, err, errsz) ? -EBADMSG : 0;
	case BPFVC__WIRE__ENVELOPE__BODY_FINISHED:
		ret = bvc_wire__check_job_id("finished", env->finished->job_id, err, errsz);
		if (ret)
			return ret;
		msg->kind = BVC_WIRE_FINISHED;
		msg->u.finished.job_id = env->finished->job_id;
		msg->u.finished.processed_insns = env->finished->processed_insns;
		msg->u.finished.total_states = env->finished->total_states;
		msg->u.finished.peak_states = env->finished->peak_states;
		msg->u.finished.remote_prune_hits = env->finished->remote_prune_hits;
		if (env->finished->n_stack_depths > BVC_WIRE_MAX_FUNCS) {
			bvc_set_err(err, errsz, "finished: %zu functions, limit %u",
				env->finished->n_stack_depths, BVC_WIRE_MAX_FUNCS);
			return -EBADMSG;
		}
		for (size_t f = 0; f < env->finished->n_stack_depths; f++) {
			if (env->finished->stack_depths[f] > 512) {
				bvc_set_err(err, errsz, "finished: stack depth %u over 512",
					env->finished->stack_depths[f]);
				return -EBADMSG;
			}
			msg->u.finished.stack_depths[f] = env->finished->stack_depths[f];
		}
		msg->u.finished.nfuncs = (uint32_t)env->finished->n_stack_depths;
		return decode_facts(env->finished, &msg->u.finished, err, errsz);
	case BPFVC__WIRE__ENVELOPE__BODY__NOT_SET:
		bvc_set_err(err, errsz, "envelope carries no message");
		return -EPROTO;
	default:
		/* The walk refuses unknown fields and decodes work items
		 * itself, so protobuf-c cannot report this case: defensive. */
		bvc_set_err(err, errsz, "envelope carries unknown message %d", (int)env->body_case);
		return -EPROTO;
	}
}

int bvc_wire_decode(const void *buf, size_t len, struct bvc_wire_msg *msg,
		    char *err, size_t errsz)
{
	struct walk w = { .err = err, .errsz = errsz, .msg = msg };
	Bpfvc__Wire__Envelope *env;
	int ret;

	memset(msg, 0, sizeof(*msg));
	if (len == 0) {
		bvc_set_err(err, errsz, "empty frame");
		return -EBADMSG;
	}
	if (len > BVC_WIRE_FRAME_MAX) {
		bvc_set_err(err, errsz, "frame of %zu bytes, limit %u", len, BVC_WIRE_FRAME_MAX);
		return -EMSGSIZE;
	}

	ret = bvc_wire__walk_message(&w, &bpfvc__wire__envelope__descriptor, buf, len, 0, 0);
	/* A peer of another protocol version fails the walk for reasons that
	 * are consequences (a field we do not know): name the cause instead. */
	if (w.have_version && w.version != BVC_WIRE_PROTOCOL_VERSION)
		ret = bvc_wire__check_version("envelope", w.version, err, errsz);
	else if (!ret)
		ret = bvc_wire__check_version("envelope", w.have_version ? w.version : 0, err, errsz);
	if (ret)
		goto fail;
	if (msg->kind == BVC_WIRE_WORK || msg->kind == BVC_WIRE_CHECKPOINT) {
		/* Decoded during the walk. */
		ret = bvc_wire__finish_work(&w, err, errsz);
		if (ret)
			goto fail;
		return 0;
	}

	env = bpfvc__wire__envelope__unpack(NULL, len, buf);
	if (!env) {
		/* The walk accepted it, so this is the allocator failing. */
		bvc_set_err(err, errsz, "out of memory decoding a %zu-byte frame", len);
		return -ENOMEM;
	}
	ret = convert(env, msg, err, errsz);
	bpfvc__wire__envelope__free_unpacked(env, NULL);
	if (ret)
		goto fail;
	return 0;
fail:
	/* Nothing half-decoded is left behind. */
	bvc_wire_msg_release(msg);
	return ret;
}

int bvc_wire_check_hello(const struct bvc_wire_hello *peer, const char *ours, char *err,
			 size_t errsz)
{
	if (!ours)
		ours = BVC_BUILD_ID;
	if (peer->protocol_version != BVC_WIRE_PROTOCOL_VERSION) {
		bvc_set_err(err, errsz, "peer speaks protocol version %" PRIu32 ", we speak %d",
			peer->protocol_version, BVC_WIRE_PROTOCOL_VERSION);
		return -EPROTO;
	}
	if (strncmp(peer->build_id, ours, sizeof(peer->build_id)) != 0) {
		bvc_set_err(err, errsz, "verifier build id mismatch: peer has '%.*s', we have '%s'",
			BVC_WIRE_BUILD_ID_MAX, peer->build_id, ours);
		return -EPROTO;
	}
	return 0;
}
