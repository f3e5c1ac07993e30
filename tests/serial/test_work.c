// SPDX-License-Identifier: MIT
/*
 * Wire protocol version 2: jobs and work items. Every field of every new
 * message survives a round trip; work items taken from a real engine go
 * through bytes and come back as work the engine accepts and that reads
 * the same; every prefix and 10000 mutations of an encoded work item are
 * refused or decode to a view bvc_work_from_view() accepts or refuses with
 * a message (never a crash, never a leak: run under ASan); hand-forged
 * work items of the wrong shape are refused by the decoder itself. The
 * work-item codec is checked against protobuf-c (wire_ref.c): the same
 * bytes out, the same item read from whatever we accept. Also times an
 * encode + decode round trip of a typical item.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpfvc/engine.h"
#include "bpfvc/loader.h"
#include "bpfvc/state_serial.h"
#include "common/insns.h"
#include "progtype_internal.h"
#include "wire_eq.h"
#include "wire_internal.h"
#include "wire_ref.h"

#define V BVC_WIRE_PROTOCOL_VERSION

/* xorshift64*: deterministic across runs and libcs. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static void encode_ok(const struct bvc_wire_msg *m, uint8_t **buf, size_t *len)
{
	char err[256] = "";
	void *b;

	cr_assert_eq(bvc_wire_encode(m, &b, len, err, sizeof(err)), 0, "encode: %s", err);
	*buf = b;
}

/* Encoding @m is refused (-EINVAL) with @msg. */
static void expect_encode_fails(const struct bvc_wire_msg *m, const char *msg)
{
	char err[256] = "";
	size_t len;
	void *b = NULL;

	cr_assert_eq(bvc_wire_encode(m, &b, &len, err, sizeof(err)), -EINVAL);
	cr_assert_null(b);
	cr_assert_str_eq(err, msg);
}

/* Encode, decode, compare; the decoded message is released. */
static void roundtrip(const struct bvc_wire_msg *in)
{
	struct bvc_wire_msg out;
	char err[256] = "";
	uint8_t *buf, *buf2;
	size_t len, len2;

	encode_ok(in, &buf, &len);
	if (in->kind == BVC_WIRE_WORK) {
		/* Byte for byte what protobuf-c writes. */
		ref_encode_work(in, &buf2, &len2);
		cr_assert_eq(len, len2, "ours %zu bytes, protobuf-c %zu", len, len2);
		cr_assert_arr_eq(buf, buf2, len);
		free(buf2);
	}
	cr_assert_eq(bvc_wire_decode(buf, len, &out, err, sizeof(err)), 0, "decode: %s", err);
	wire_assert_eq(in, &out);
	/* One encoding per message: what came off the wire encodes alike. */
	encode_ok(&out, &buf2, &len2);
	cr_assert_eq(len, len2);
	cr_assert_arr_eq(buf, buf2, len);
	free(buf);
	free(buf2);
	bvc_wire_msg_release(&out);
}

/* --- work items: synthetic and from a real engine ------------------------- */

static struct bvc_scalar rand_scalar(uint64_t *seed)
{
	struct bvc_scalar s;

	s.var_off.value = rng_next(seed);
	s.var_off.mask = rng_next(seed) & ~s.var_off.value;
	s.smin = (int64_t)rng_next(seed);
	s.smax = (int64_t)rng_next(seed);
	s.umin = rng_next(seed);
	s.umax = rng_next(seed);
	s.s32_min = (int32_t)rng_next(seed);
	s.s32_max = (int32_t)rng_next(seed);
	s.u32_min = (uint32_t)rng_next(seed);
	s.u32_max = (uint32_t)rng_next(seed);
	return s;
}

/* Every field set, from the edges of its range or at random. */
static void rand_reg(struct bvc_reg_view *r, uint64_t *seed)
{
	r->type = (uint32_t)rng_next(seed);
	r->maybe_null = rng_next(seed) & 1;
	r->precise = rng_next(seed) & 1;
	r->frameno = (uint8_t)rng_next(seed);
	r->off = (int32_t)rng_next(seed);
	r->var = rand_scalar(seed);
	r->id = (uint32_t)rng_next(seed);
	r->ref_obj_id = (uint32_t)rng_next(seed);
	r->map_idx = (uint32_t)rng_next(seed);
	r->mem_size = (uint32_t)rng_next(seed);
	r->range = (int32_t)rng_next(seed);
}

/* A view with every field random: structurally valid, semantically not. */
static void rand_view(struct bvc_work_view *v, uint32_t nframes, uint32_t slots_per_frame,
		      uint64_t *seed)
{
	memset(v, 0, sizeof(*v));
	v->insn = (uint32_t)rng_next(seed);
	v->prev_insn = (uint32_t)rng_next(seed);
	v->nframes = nframes;
	for (uint32_t f = 0; f < nframes; f++) {
		struct bvc_frame_view *fv = &v->frames[f];

		for (int r = 0; r < 11; r++)
			rand_reg(&fv->regs[r], seed);
		fv->nslots = slots_per_frame;
		fv->slots = calloc(slots_per_frame ? slots_per_frame : 1, sizeof(*fv->slots));
		cr_assert_not_null(fv->slots);
		for (uint32_t s = 0; s < slots_per_frame; s++) {
			for (int b = 0; b < 8; b++)
				fv->slots[s].stype[b] = (uint8_t)rng_next(seed);
			/* Some slots hold no spill at all: all zeros. */
			if (s % 3)
				rand_reg(&fv->slots[s].spilled, seed);
		}
		fv->callsite = (int32_t)rng_next(seed);
		fv->subprog = (uint32_t)rng_next(seed);
		fv->frameno = (uint32_t)rng_next(seed);
		fv->stack_depth = (uint32_t)rng_next(seed);
	}
	v->nrefs = (uint32_t)(rng_next(seed) % (BVC_VIEW_MAX_REFS + 1));
	for (uint32_t i = 0; i < v->nrefs; i++)
		v->refs[i] = (uint32_t)rng_next(seed);
	v->trail_len = (uint32_t)(rng_next(seed) % 300);
	if (v->trail_len) {
		v->trail = malloc((v->trail_len + 7) / 8);
		cr_assert_not_null(v->trail);
		for (uint32_t i = 0; i < (v->trail_len + 7) / 8; i++)
			v->trail[i] = (uint8_t)rng_next(seed);
	}
}

/* main spills and calls a subprogram that branches on unknown bits,
 * spilling pointers on one side and numbers on the other: a branch
 * pending inside the call has two frames and stack slots in both. */
static struct bvc_image *two_frames(void)
{
	struct bvc_insn p[256];
	struct bvc_image *img;
	size_t n = 0, call;
	const int k = 5;

	p[n++] = I_MOV64_REG(6, 1);
	p[n++] = I_LDX(BVC_W, 7, 1, 0); /* skb->len: unknown */
	p[n++] = I_STX(BVC_DW, 10, 6, -8);
	p[n++] = I_ST(BVC_DW, 10, -16, 5);
	p[n++] = I_STX(BVC_W, 10, 7, -20);
	p[n++] = I_MOV64_REG(1, 7);
	p[n++] = I_MOV64_REG(2, 6);
	call = n;
	p[n++] = I_CALL_LOCAL(2);
	p[n++] = I_MOV64_IMM(0, 0);
	p[n++] = I_EXIT();
	cr_assert_eq(n, call + 3);
	/* the subprogram: r1 unknown, r2 ctx */
	p[n++] = I_MOV64_REG(7, 1);
	p[n++] = I_MOV64_REG(6, 2);
	for (int i = 0; i < k; i++) {
		p[n++] = I_MOV64_REG(3, 7);
		p[n++] = I_ALU64_IMM(BVC_AND, 3, 1 << i);
		p[n++] = I_JMP_IMM(BVC_JNE, 3, 0, 2);
		p[n++] = I_STX(BVC_DW, 10, 6, -8 * (i + 1)); /* ctx pointer */
		p[n++] = I_JA(1);
		p[n++] = I_STX(BVC_DW, 10, 7, -8 * (i + 1)); /* unknown scalar */
	}
	for (int i = 0; i < k; i++)
		p[n++] = I_LDX(BVC_DW, 3, 10, -8 * (i + 1));
	p[n++] = I_MOV64_IMM(0, 0);
	p[n++] = I_EXIT();
	cr_assert_eq(bvc_image_from_raw(p, n, BVC_PROG_SOCKET_FILTER, "two_frames", &img), 0);
	snprintf(img->license, sizeof(img->license), "GPL");
	return img;
}

/* Run @prog in slices of one insn and call @fn on the view of every item
 * donated along the way (each donation comes back as done at once). */
static void each_donated_view(const struct bvc_image *img, const struct bvc_prog *prog,
			      void (*fn)(const struct bvc_image *, const struct bvc_prog *,
					 const struct bvc_work_view *, void *),
			      void *arg)
{
	struct bvc_verify_opts opts = { .sz = sizeof(opts) };
	struct bvc_engine *a;
	int ret = BVC_ENGINE_MORE;

	cr_assert_eq(bvc_engine_new(img, prog, &opts, 1, &a), 0);
	while (ret == BVC_ENGINE_MORE) {
		struct bvc_work *w;

		ret = bvc_engine_run(a, 1);
		cr_assert_geq(ret, 0);
		/* Donate only now and then, so items deep in the run come too. */
		if (bvc_engine_pending(a) >= 2 && bvc_engine_donate(a, &w) == 0) {
			struct bvc_work_view v;

			cr_assert_eq(bvc_work_view_get(w, &v), 0);
			fn(img, prog, &v, arg);
			bvc_work_view_release(&v);
			cr_assert_eq(bvc_engine_work_done(a, bvc_work_id(w), NULL), 0);
			bvc_work_free(w);
		}
	}
	bvc_engine_free(a);
}

/* The view travels as a Work message, comes back as a work item the engine
 * takes, and that item's view reads as the original. */
static void check_view_travels(const struct bvc_image *img, const struct bvc_prog *prog,
			       const struct bvc_work_view *v, void *arg)
{
	struct bvc_wire_msg in, out;
	struct bvc_work *w;
	struct bvc_work_view back;
	char err[256] = "";
	uint8_t *buf;
	size_t len;
	unsigned *count = arg;

	memset(&in, 0, sizeof(in));
	in.kind = BVC_WIRE_WORK;
	in.u.work.job_id = 3;
	in.u.work.work_id = v->id;
	in.u.work.view = *v; /* borrowed: not released here */
	encode_ok(&in, &buf, &len);
	cr_assert_eq(bvc_wire_decode(buf, len, &out, err, sizeof(err)), 0, "%s", err);
	free(buf);
	wire_assert_eq(&in, &out);
	cr_assert_eq(bvc_work_from_view(img, prog, &out.u.work.view, &w, err, sizeof(err)), 0,
		     "%s: %s", prog->name, err);
	cr_assert_eq(bvc_work_id(w), v->id);
	cr_assert_eq(bvc_work_view_get(w, &back), 0);
	wire_view_assert_eq(v, &back);
	bvc_work_view_release(&back);
	bvc_work_free(w);
	bvc_wire_msg_release(&out);
	(*count)++;
}

/* The richest item of a run: most frames, then most slots. */
struct richest {
	struct bvc_work_view v;
	unsigned score;
};

static void keep_richest(const struct bvc_image *img, const struct bvc_prog *prog,
			 const struct bvc_work_view *v, void *arg)
{
	struct richest *r = arg;
	unsigned score = v->nframes * 1000;

	(void)img;
	(void)prog;
	for (uint32_t f = 0; f < v->nframes; f++)
		score += v->frames[f].nslots;
	if (score <= r->score)
		return;
	bvc_work_view_release(&r->v);
	r->v = *v;
	for (uint32_t f = 0; f < v->nframes; f++) {
		r->v.frames[f].slots = NULL;
		if (v->frames[f].nslots) {
			r->v.frames[f].slots = malloc(v->frames[f].nslots * sizeof(*v->frames[f].slots));
			cr_assert_not_null(r->v.frames[f].slots);
			memcpy(r->v.frames[f].slots, v->frames[f].slots,
			       v->frames[f].nslots * sizeof(*v->frames[f].slots));
		}
	}
	r->v.trail = NULL;
	if (v->trail_len) {
		r->v.trail = malloc((v->trail_len + 7) / 8);
		cr_assert_not_null(r->v.trail);
		memcpy(r->v.trail, v->trail, (v->trail_len + 7) / 8);
	}
	r->score = score;
}

/* An encoded Work message of the richest item of two_frames(). */
static void encoded_real_work(struct bvc_image **img, uint8_t **buf, size_t *len,
			      struct richest *r)
{
	struct bvc_wire_msg m;

	*img = two_frames();
	memset(r, 0, sizeof(*r));
	each_donated_view(*img, &(*img)->progs[0], keep_richest, r);
	cr_assert_eq(r->v.nframes, 2, "an item inside the call");
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_WORK;
	m.u.work.job_id = 77;
	m.u.work.work_id = r->v.id;
	m.u.work.view = r->v;
	encode_ok(&m, buf, len);
}

/* --- round trips ------------------------------------------------------------ */

Test(serial_work, roundtrip_job)
{
	static const uint64_t u64s[] = { 1, 127, 128, 1ull << 32, UINT64_MAX };
	struct bvc_wire_msg m;
	uint8_t obj[300];
	uint64_t seed = 7;

	for (size_t i = 0; i < sizeof(obj); i++)
		obj[i] = (uint8_t)rng_next(&seed);
	for (size_t i = 0; i < sizeof(u64s) / sizeof(u64s[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.kind = BVC_WIRE_JOB;
		m.u.job.job_id = u64s[i];
		snprintf(m.u.job.prog_name, sizeof(m.u.job.prog_name), "xdp_prog_%zu", i);
		m.u.job.insn_limit = u64s[sizeof(u64s) / sizeof(u64s[0]) - 1 - i];
		m.u.job.prog_flags = (uint32_t)u64s[i];
		m.u.job.start_entry = i & 1;
		m.u.job.object = obj;
		m.u.job.object_len = 1 + i * 70;
		roundtrip(&m);
	}
	/* Zero limit and flags, the longest name with the alphabet's edges. */
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_JOB;
	m.u.job.job_id = 1;
	memset(m.u.job.prog_name, '~', BVC_WIRE_PROG_NAME_MAX);
	m.u.job.prog_name[0] = '!';
	m.u.job.object = obj;
	m.u.job.object_len = sizeof(obj);
	roundtrip(&m);
}

Test(serial_work, roundtrip_job_largest_object)
{
	struct bvc_wire_msg m, out;
	char err[256] = "";
	uint8_t *buf;
	size_t len;

	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_JOB;
	m.u.job.job_id = UINT64_MAX;
	m.u.job.insn_limit = UINT64_MAX;
	m.u.job.prog_flags = UINT32_MAX;
	m.u.job.start_entry = 1;
	memset(m.u.job.prog_name, 'n', BVC_WIRE_PROG_NAME_MAX);
	m.u.job.object_len = BVC_WIRE_OBJECT_MAX;
	m.u.job.object = malloc(m.u.job.object_len);
	cr_assert_not_null(m.u.job.object);
	for (size_t i = 0; i < m.u.job.object_len; i++)
		m.u.job.object[i] = (uint8_t)(i * 31 + (i >> 9));
	encode_ok(&m, &buf, &len);
	cr_assert_leq(len, BVC_WIRE_FRAME_MAX);
	cr_assert_eq(bvc_wire_decode(buf, len, &out, err, sizeof(err)), 0, "%s", err);
	wire_assert_eq(&m, &out);
	free(buf);
	bvc_wire_msg_release(&out);
	/* One byte more is the sender's problem, and said so. */
	m.u.job.object_len++;
	cr_assert_eq(bvc_wire_encode(&m, (void **)&buf, &len, err, sizeof(err)), -EMSGSIZE);
	cr_assert(strstr(err, "job: object of 16773121 bytes, limit 16773120"), "%s", err);
	/* Released like a decoded one: the object came from malloc(). */
	bvc_wire_msg_release(&m);
	cr_assert_null(m.u.job.object);
	cr_assert_eq(m.kind, 0);
}

Test(serial_work, roundtrip_donate_done_finished)
{
	static const uint64_t u64s[] = { 1, 127, 128, 1ull << 32, UINT64_MAX };
	const size_t n = sizeof(u64s) / sizeof(u64s[0]);
	struct bvc_wire_msg m;

	for (size_t i = 0; i < n; i++) {
		memset(&m, 0, sizeof(m));
		m.kind = BVC_WIRE_DONATE;
		m.u.donate.job_id = u64s[i];
		roundtrip(&m);

		memset(&m, 0, sizeof(m));
		m.kind = BVC_WIRE_DONE;
		m.u.done.job_id = u64s[i];
		m.u.done.work_id = u64s[n - 1 - i];
		roundtrip(&m);

		memset(&m, 0, sizeof(m));
		m.kind = BVC_WIRE_FINISHED;
		m.u.finished.job_id = u64s[i];
		m.u.finished.processed_insns = u64s[n - 1 - i];
		m.u.finished.total_states = u64s[(i + 1) % n];
		m.u.finished.peak_states = u64s[(i + 2) % n];
		m.u.finished.remote_prune_hits = u64s[(i + 3) % n];
		m.u.finished.nfuncs = (uint32_t)(i * 50) % (BVC_WIRE_MAX_FUNCS + 1);
		for (uint32_t f = 0; f < m.u.finished.nfuncs; f++)
			m.u.finished.stack_depths[f] = (f * 37) % 513;
		roundtrip(&m);
	}
	/* Zero counts are absent on the wire and still read as zero. */
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_FINISHED;
	m.u.finished.job_id = 9;
	roundtrip(&m);

	/* Facts: the reached set and every value of every field. */
	{
		static uint8_t seen[2] = { 0xa5, 0x03 };
		static struct bvc_wire_fact facts[] = {
			{ .insn = 0, .mem_base = BVC_FACT_CTX, .ctx_field = 3, .ctx_off = 76,
			  .ctx_size = 4, .map_idx = -1 },
			{ .insn = 2, .mem_base = BVC_FACT_STACK, .ctx_field = -1, .map_idx = -2 },
			{ .insn = 7, .mem_base = BVC_FACT_OTHER, .ctx_field = 4095, .ctx_off = 65535,
			  .ctx_size = 8, .map_idx = 65535 },
			{ .insn = 8, .mem_base = -1, .ctx_field = -1, .map_idx = 0 },
			{ .insn = 9, .mem_base = BVC_FACT_SOCK, .ctx_field = -1, .map_idx = -1 },
		};

		memset(&m, 0, sizeof(m));
		m.kind = BVC_WIRE_FINISHED;
		m.u.finished.job_id = 10;
		m.u.finished.insn_cnt = 10;
		m.u.finished.seen = seen;
		m.u.finished.facts = facts;
		m.u.finished.nfacts = 5;
		roundtrip(&m);
		/* What decoding would refuse is not encoded either. */
		facts[4].insn = 10;
		expect_encode_fails(&m, "finished: fact 4: insn 10 out of order or past 10");
		facts[4].insn = 9;
		facts[4].mem_base = 104;
		expect_encode_fails(&m, "finished: fact 4: base 104");
		facts[4].mem_base = BVC_FACT_TCP_SOCK;
		roundtrip(&m);
		facts[4].mem_base = BVC_FACT_SOCK_COMMON;
		roundtrip(&m);
		facts[4].mem_base = BVC_FACT_SOCK;
		facts[1].map_idx = -3;
		expect_encode_fails(&m, "finished: fact 1: map -3");
		facts[1].map_idx = -2;
	}
}

Test(serial_work, roundtrip_work_every_field)
{
	uint64_t seed = 0xfeedface;
	struct bvc_wire_msg m;

	for (int round = 0; round < 200; round++) {
		uint32_t nframes = 1 + round % BVC_VIEW_MAX_FRAMES;
		uint32_t nslots = (uint32_t)(round * 7) % (BVC_VIEW_MAX_SLOTS + 1);

		memset(&m, 0, sizeof(m));
		/* Checkpoints travel as work items under another field. */
		m.kind = round % 4 == 3 ? BVC_WIRE_CHECKPOINT : BVC_WIRE_WORK;
		m.u.work.job_id = 1 + rng_next(&seed) % UINT64_MAX;
		m.u.work.work_id = round == 0 ? UINT64_MAX : 1 + rng_next(&seed) % 1000;
		rand_view(&m.u.work.view, nframes, nslots, &seed);
		/* The wire carries the work id only; the view's own is ignored. */
		m.u.work.view.id = rng_next(&seed);
		roundtrip(&m);
		bvc_wire_msg_release(&m);
	}
	/* The largest item: 8 frames of 64 slots, 64 references. */
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_WORK;
	m.u.work.job_id = 1;
	m.u.work.work_id = 1;
	rand_view(&m.u.work.view, BVC_VIEW_MAX_FRAMES, BVC_VIEW_MAX_SLOTS, &seed);
	m.u.work.view.nrefs = BVC_VIEW_MAX_REFS;
	roundtrip(&m);
	bvc_wire_msg_release(&m);
	/* Every edge of every width, in every register and slot. */
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_WORK;
	m.u.work.job_id = UINT64_MAX;
	m.u.work.work_id = UINT64_MAX;
	rand_view(&m.u.work.view, 2, 5, &seed);
	for (int edge = 0; edge < 3; edge++) {
		struct bvc_work_view *v = &m.u.work.view;

		v->insn = v->prev_insn = edge == 0 ? 0 : UINT32_MAX;
		for (uint32_t f = 0; f < v->nframes; f++) {
			struct bvc_frame_view *fv = &v->frames[f];

			fv->callsite = edge == 0 ? INT32_MIN : edge == 1 ? INT32_MAX : -1;
			fv->subprog = fv->frameno = fv->stack_depth = edge ? UINT32_MAX : 0;
			for (uint32_t r = 0; r < 11 + fv->nslots; r++) {
				struct bvc_reg_view *rv = r < 11 ? &fv->regs[r] : &fv->slots[r - 11].spilled;

				rv->type = rv->id = rv->ref_obj_id = rv->map_idx = rv->mem_size =
					edge ? UINT32_MAX : 0;
				rv->maybe_null = rv->precise = edge ? 1 : 0;
				rv->frameno = edge ? UINT8_MAX : 0;
				rv->off = rv->range = edge == 0 ? INT32_MIN : edge == 1 ? INT32_MAX : -1;
				rv->var.var_off.value = rv->var.var_off.mask = rv->var.umin =
					rv->var.umax = edge ? UINT64_MAX : 0;
				rv->var.smin = rv->var.smax = edge == 0 ? INT64_MIN : edge == 1 ? INT64_MAX : -1;
				rv->var.s32_min = rv->var.s32_max = edge == 0 ? INT32_MIN : edge == 1 ? INT32_MAX : -1;
				rv->var.u32_min = rv->var.u32_max = edge ? UINT32_MAX : 0;
			}
		}
		v->nrefs = BVC_VIEW_MAX_REFS;
		for (uint32_t i = 0; i < v->nrefs; i++)
			v->refs[i] = edge ? UINT32_MAX : 0;
		roundtrip(&m);
	}
	bvc_wire_msg_release(&m);
	/* The smallest: one frame of zeros, no slots, refs or trail. */
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_WORK;
	m.u.work.job_id = 1;
	m.u.work.work_id = 1;
	m.u.work.view.nframes = 1;
	roundtrip(&m);
}

Test(serial_work, real_work_items_travel)
{
	static const char *const objs[] = { "xdp_parser", "socket_filter", "kprobe_counter",
					    "subprog_loop", "ringbuf_producer" };
	unsigned count = 0, before;
	struct bvc_image *img;

	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		char path[512], err[256];

		snprintf(path, sizeof(path), "%s/%s.bpf.o", BVC_PROGS_DIR, objs[i]);
		cr_assert_eq(bvc_load_elf(path, &img, err, sizeof(err)), 0, "%s", err);
		for (size_t p = 0; p < img->prog_cnt; p++)
			each_donated_view(img, &img->progs[p], check_view_travels, &count);
		bvc_image_free(img);
	}
	before = count;
	img = two_frames();
	each_donated_view(img, &img->progs[0], check_view_travels, &count);
	bvc_image_free(img);
	cr_assert_gt(count - before, 3, "two_frames donated %u items", count - before);
	cr_log_info("%u real work items travelled", count);
}

/* A tc program holding a looked-up socket (a reference, spilled too) and
 * skb->sk (a sock_common or NULL) across branches on unknown bits. */
static struct bvc_image *socket_holder(void)
{
	struct bvc_insn p[128];
	struct bvc_image *img;
	size_t n = 0;

	p[n++] = I_MOV64_REG(6, 1);
	p[n++] = I_ST(BVC_DW, 10, -16, 0);
	p[n++] = I_ST(BVC_DW, 10, -8, 0);
	p[n++] = I_MOV64_REG(2, 10);
	p[n++] = I_ALU64_IMM(BVC_ADD, 2, -16);
	p[n++] = I_MOV64_IMM(3, 12);
	p[n++] = I_MOV64_IMM(4, 0);
	p[n++] = I_MOV64_IMM(5, 0);
	p[n++] = I_CALL(84); /* sk_lookup_tcp: sock_or_null, acquired */
	p[n++] = I_MOV64_REG(7, 0);
	p[n++] = I_STX(BVC_DW, 10, 0, -24);
	p[n++] = I_LDX(BVC_DW, 8, 6, 168); /* skb->sk */
	p[n++] = I_LDX(BVC_W, 9, 6, 0);    /* skb->len: unknown */
	for (int i = 0; i < 4; i++) {
		p[n++] = I_JMP_IMM(BVC_JSET, 9, 1 << i, 1);
		p[n++] = I_ALU64_IMM(BVC_ADD, 9, 1);
	}
	p[n++] = I_JMP_IMM(BVC_JEQ, 7, 0, 5);
	p[n++] = I_JMP_IMM(BVC_JEQ, 8, 0, 1);
	p[n++] = I_LDX(BVC_W, 9, 8, 4);    /* sk->family */
	p[n++] = I_LDX(BVC_DW, 1, 10, -24);
	p[n++] = I_CALL(86);               /* sk_release */
	p[n++] = I_MOV64_IMM(0, 0);
	p[n++] = I_EXIT();
	cr_assert_eq(bvc_image_from_raw(p, n, BVC_PROG_SCHED_CLS, "socket_holder", &img), 0);
	return img;
}

struct sock_count {
	unsigned items, socks, refs;
};

static void count_sockets(const struct bvc_image *img, const struct bvc_prog *prog,
			  const struct bvc_work_view *v, void *arg)
{
	struct sock_count *c = arg;

	for (uint32_t f = 0; f < v->nframes; f++) {
		for (int r = 0; r < 11; r++) {
			const struct bvc_reg_view *x = &v->frames[f].regs[r];

			if (x->type == BVC_PTR_SOCK_COMMON || x->type == BVC_PTR_SOCKET ||
			    x->type == BVC_PTR_TCP_SOCK) {
				c->socks++;
				c->refs += x->ref_obj_id != 0;
			}
		}
	}
	check_view_travels(img, prog, v, &c->items);
}

/* Socket registers (issue #15: sockets) are on the wire as any pointer:
 * their type, NULL-ness, id and reference travel and come back alike. */
Test(serial_work, socket_work_items_travel)
{
	struct bvc_image *img = socket_holder();
	struct sock_count c = { 0 };
	struct bvc_work_view forged;

	each_donated_view(img, &img->progs[0], count_sockets, &c);
	cr_assert_gt(c.items, 3, "socket_holder donated %u items", c.items);
	cr_assert_gt(c.socks, 0);
	cr_assert_gt(c.refs, 0);
	/* One past the last register type is still refused. */
	memset(&forged, 0, sizeof(forged));
	forged.nframes = 1;
	forged.insn = 0;
	forged.frames[0].callsite = -1;
	forged.frames[0].regs[1].type = BVC_RTYPE_LAST + 1;
	{
		struct bvc_work *w = NULL;
		char err[256] = "";

		cr_assert_eq(bvc_work_from_view(img, &img->progs[0], &forged, &w, err, sizeof(err)),
			     -EBADMSG);
		cr_assert(strstr(err, "is not a type"), "%s", err);
	}
	bvc_image_free(img);
}

/* --- truncation and mutation ------------------------------------------------ */

static void check_refused(const uint8_t *src, size_t n, const char *what)
{
	struct bvc_wire_msg m;
	char err[256] = "";
	/* A copy of exactly n bytes, so ASan sees any overread. */
	uint8_t *p = malloc(n ? n : 1);
	int ret;

	memcpy(p, src, n);
	ret = bvc_wire_decode(p, n, &m, err, sizeof(err));
	free(p);
	cr_assert(ret == -EBADMSG || ret == -EPROTO, "%s cut at %zu: ret %d (%s)", what, n, ret,
		  err);
	cr_assert_neq(err[0], '\0', "%s cut at %zu: no message", what, n);
}

Test(serial_work, truncated_at_every_length)
{
	struct bvc_wire_msg m;
	struct bvc_image *img;
	struct richest r;
	uint8_t obj[40] = { 0x7f, 'E', 'L', 'F' };
	uint64_t seed = 99;
	uint8_t *buf;
	size_t len;

	/* A real work item: every prefix is short of something. */
	encoded_real_work(&img, &buf, &len, &r);
	for (size_t n = 0; n < len; n++)
		check_refused(buf, n, "real work");
	free(buf);
	bvc_work_view_release(&r.v);
	bvc_image_free(img);

	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_WORK;
	m.u.work.job_id = 5;
	m.u.work.work_id = 6;
	rand_view(&m.u.work.view, 3, 10, &seed);
	encode_ok(&m, &buf, &len);
	for (size_t n = 0; n < len; n++)
		check_refused(buf, n, "random work");
	free(buf);
	bvc_wire_msg_release(&m);

	m.kind = BVC_WIRE_JOB;
	m.u.job.job_id = 5;
	strcpy(m.u.job.prog_name, "prog");
	m.u.job.object = obj;
	m.u.job.object_len = sizeof(obj);
	encode_ok(&m, &buf, &len);
	for (size_t n = 0; n < len; n++)
		check_refused(buf, n, "job");
	free(buf);

	/* Donate, Done, Finished whose every field is present. */
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_DONATE;
	m.u.donate.job_id = 300;
	encode_ok(&m, &buf, &len);
	for (size_t n = 0; n < len; n++)
		check_refused(buf, n, "donate");
	free(buf);
	m.kind = BVC_WIRE_DONE;
	m.u.done.job_id = 300;
	m.u.done.work_id = 301;
	encode_ok(&m, &buf, &len);
	for (size_t n = 0; n < len; n++)
		check_refused(buf, n, "done");
	free(buf);
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_FINISHED;
	m.u.finished.job_id = 300;
	m.u.finished.processed_insns = 1;
	m.u.finished.total_states = 2;
	m.u.finished.peak_states = 3;
	encode_ok(&m, &buf, &len);
	for (size_t n = 0; n < len; n++)
		check_refused(buf, n, "finished");
	free(buf);
}

/* One mutation of @src into a fresh buffer of *@n bytes: flip a bit, set a
 * byte, drop, repeat or insert a run - the last three move every length
 * prefix after them out of step. */
static uint8_t *mutate(const uint8_t *src, size_t len, size_t *n, uint64_t *seed)
{
	size_t at = rng_next(seed) % len, run = 1 + rng_next(seed) % 16;
	uint8_t *p = malloc(len + 16);
	int how = (int)(rng_next(seed) % 8);

	cr_assert_not_null(p);
	memcpy(p, src, len);
	*n = len;
	if (run > len - at)
		run = len - at;
	switch (how) {
	case 0:
	case 1:
	case 2:
		p[at] ^= (uint8_t)(1u << (rng_next(seed) % 8));
		break;
	case 3:
	case 4:
		p[at] = (uint8_t)rng_next(seed);
		break;
	case 5: /* drop a run */
		memmove(p + at, p + at + run, len - at - run);
		*n = len - run;
		break;
	case 6: /* repeat a run */
		memmove(p + at + run, p + at, len - at);
		*n = len + run;
		break;
	default: /* insert one random byte */
		memmove(p + at + 1, p + at, len - at);
		p[at] = (uint8_t)rng_next(seed);
		*n = len + 1;
		break;
	}
	return p;
}

Test(serial_work, mutated_work_items)
{
	unsigned decoded = 0, taken = 0, refused = 0;
	struct bvc_image *img;
	struct richest r;
	uint64_t seed = 0x5eed;
	uint8_t *buf;
	size_t len;

	encoded_real_work(&img, &buf, &len, &r);
	for (int i = 0; i < 10000; i++) {
		struct bvc_wire_msg m;
		char err[256] = "";
		size_t n;
		uint8_t *p = mutate(buf, len, &n, &seed);
		int ret;

		/* Now and then a second mutation on top. */
		if (i % 4 == 0) {
			size_t n2;
			uint8_t *q = mutate(p, n, &n2, &seed);

			free(p);
			p = q;
			n = n2;
		}
		ret = bvc_wire_decode(p, n, &m, err, sizeof(err));
		if (ret) {
			cr_assert(ret == -EBADMSG || ret == -EPROTO, "ret %d (%s)", ret, err);
			cr_assert_neq(err[0], '\0');
			refused++;
			free(p);
			continue;
		}
		decoded++;
		/* Whatever decodes encodes back to the same. */
		roundtrip(&m);
		if (m.kind == BVC_WIRE_WORK) {
			struct bvc_wire_msg ref;
			struct bvc_work *w;

			/* protobuf-c reads the same item from these bytes. */
			cr_assert_eq(ref_decode_work(p, n, &ref), 0, "protobuf-c refuses what we took");
			wire_assert_eq(&m, &ref);
			bvc_wire_msg_release(&ref);

			err[0] = '\0';
			ret = bvc_work_from_view(img, &img->progs[0], &m.u.work.view, &w, err,
						 sizeof(err));
			cr_assert(ret == 0 || ret == -EBADMSG, "from_view: %d (%s)", ret, err);
			if (ret == 0) {
				taken++;
				bvc_work_free(w);
			} else {
				cr_assert_neq(err[0], '\0');
			}
		}
		bvc_wire_msg_release(&m);
		free(p);
	}
	free(buf);
	bvc_work_view_release(&r.v);
	bvc_image_free(img);
	cr_log_info("mutated work: %u refused by the decoder, %u decoded, %u taken by the engine",
		    refused, decoded, taken);
	cr_assert_gt(refused, 1000);
	cr_assert_gt(decoded, 100);
}

/* The decoder's fast paths (registers, scalars, slots, frames) only ever
 * shortcut the field iterator: on every mutation, with and without them,
 * the same verdict, the same message, the same item. */
Test(serial_work, fast_paths_agree_with_the_iterator)
{
	unsigned fell_back = 0, decoded = 0;
	struct bvc_image *img;
	struct richest r;
	uint64_t seed = 0xfa57;
	uint8_t *buf;
	size_t len;

	encoded_real_work(&img, &buf, &len, &r);
	for (int i = 0; i < 10000; i++) {
		struct bvc_wire_msg fast, slow;
		char err_fast[256] = "", err_slow[256] = "";
		size_t n;
		uint8_t *p = i ? mutate(buf, len, &n, &seed) : malloc(n = len);
		int rf, rs;

		if (!i)
			memcpy(p, buf, len);
		rf = bvc_wire_decode(p, n, &fast, err_fast, sizeof(err_fast));
		bvc_wire_no_fast_path = true;
		rs = bvc_wire_decode(p, n, &slow, err_slow, sizeof(err_slow));
		bvc_wire_no_fast_path = false;
		cr_assert_eq(rf, rs, "mutation %d: fast %d (%s), iterator %d (%s)", i, rf, err_fast,
			     rs, err_slow);
		cr_assert_str_eq(err_fast, err_slow, "mutation %d", i);
		if (!rf) {
			decoded++;
			wire_assert_eq(&fast, &slow);
		}
		bvc_wire_msg_release(&fast);
		bvc_wire_msg_release(&slow);
		fell_back += rf != 0;
		free(p);
	}
	free(buf);
	bvc_work_view_release(&r.v);
	bvc_image_free(img);
	cr_log_info("fast paths: %u decoded alike, %u refused alike", decoded, fell_back);
	cr_assert_gt(decoded, 100);
}

/* --- hand-forged work items ------------------------------------------------- */

/* A growable protobuf writer (work items outgrow test_serial.c's forge). */
struct dforge {
	uint8_t *b;
	size_t n, cap;
};

static void d_reserve(struct dforge *f, size_t more)
{
	if (f->n + more <= f->cap)
		return;
	f->cap = (f->n + more) * 2;
	f->b = realloc(f->b, f->cap);
	cr_assert_not_null(f->b);
}

static void d_byte(struct dforge *f, uint8_t v)
{
	d_reserve(f, 1);
	f->b[f->n++] = v;
}

static void d_varint(struct dforge *f, uint64_t v)
{
	while (v >= 0x80) {
		d_byte(f, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	d_byte(f, (uint8_t)v);
}

static void d_uint(struct dforge *f, unsigned field, uint64_t v)
{
	d_varint(f, (uint64_t)field << 3);
	d_varint(f, v);
}

static void d_sint(struct dforge *f, unsigned field, int64_t v)
{
	d_uint(f, field, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void d_bytes(struct dforge *f, unsigned field, const void *p, size_t len)
{
	d_varint(f, (uint64_t)field << 3 | 2);
	d_varint(f, len);
	d_reserve(f, len);
	if (len)
		memcpy(f->b + f->n, p, len);
	f->n += len;
}

static void d_msg(struct dforge *f, unsigned field, const struct dforge *sub)
{
	d_bytes(f, field, sub->b, sub->n);
}

static void d_free(struct dforge *f)
{
	free(f->b);
	memset(f, 0, sizeof(*f));
}

/* What the forged frames are built from. */
struct shape {
	unsigned frames, regs, slots, refs;
	int stype_len;        /* -1: no stype field */
	size_t trail_bytes;
	uint32_t trail_len;
	uint64_t reg_frameno; /* of frame 0's R10 */
	uint64_t maybe_null;  /* of frame 0's R1 */
	int refs_unpacked;    /* refs as single varints, not packed */
	int var_twice;        /* frame 0's R2 with its Scalar twice */
	const char *reg_extra; /* raw bytes at the end of frame 0's R3 */
	size_t reg_extra_len;
	const char *sc_extra; /* raw bytes at the end of frame 0's R2's Scalar */
	size_t sc_extra_len;
	const char *frame_extra; /* raw bytes at the end of frame 0 */
	size_t frame_extra_len;
};

static void d_raw(struct dforge *f, const void *p, size_t len)
{
	d_reserve(f, len);
	memcpy(f->b + f->n, p, len);
	f->n += len;
}

static struct shape good_shape(void)
{
	return (struct shape){ .frames = 1, .regs = 11, .slots = 2, .refs = 2, .stype_len = 8,
			       .trail_bytes = 2, .trail_len = 9 };
}

/* An envelope around a WorkItem of @s, written byte by byte. */
static void forge_work(struct dforge *e, const struct shape *s)
{
	struct dforge item = { 0 }, frame = { 0 }, reg = { 0 }, slot = { 0 }, sc = { 0 },
		      refs = { 0 };
	static const uint8_t stype[16] = { 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2 };
	uint8_t trail[64];

	memset(trail, 0xff, sizeof(trail));
	memset(e, 0, sizeof(*e));
	d_uint(&item, 1, 42);      /* job_id */
	d_uint(&item, 2, 7);       /* work_id */
	d_uint(&item, 3, 1);       /* insn */
	for (unsigned f = 0; f < s->frames; f++) {
		frame.n = 0;
		for (unsigned r = 0; r < s->regs; r++) {
			reg.n = 0;
			if (f == 0 && r == 10 && s->reg_frameno)
				d_uint(&reg, 4, s->reg_frameno);
			if (f == 0 && r == 1 && s->maybe_null)
				d_uint(&reg, 2, s->maybe_null);
			if (f == 0 && r == 3 && s->reg_extra)
				d_raw(&reg, s->reg_extra, s->reg_extra_len);
			if (f == 0 && r == 2) {
				sc.n = 0;
				d_uint(&sc, 2, UINT64_MAX); /* mask */
				if (s->sc_extra)
					d_raw(&sc, s->sc_extra, s->sc_extra_len);
				d_msg(&reg, 6, &sc);
				if (s->var_twice)
					d_msg(&reg, 6, &sc);
			}
			d_msg(&frame, 1, &reg);
		}
		for (unsigned i = 0; i < s->slots; i++) {
			slot.n = 0;
			if (s->stype_len >= 0)
				d_bytes(&slot, 1, stype, (size_t)s->stype_len);
			d_msg(&frame, 2, &slot);
		}
		d_sint(&frame, 3, f == 0 ? -1 : 1); /* callsite */
		if (f)
			d_uint(&frame, 5, f);        /* frameno */
		if (f == 0 && s->frame_extra)
			d_raw(&frame, s->frame_extra, s->frame_extra_len);
		d_msg(&item, 5, &frame);
	}
	if (s->refs_unpacked) {
		for (unsigned i = 0; i < s->refs; i++)
			d_uint(&item, 6, i + 1);
	} else if (s->refs) {
		for (unsigned i = 0; i < s->refs; i++)
			d_varint(&refs, i + 1);
		d_msg(&item, 6, &refs);
	}
	if (s->trail_bytes)
		d_bytes(&item, 7, trail, s->trail_bytes);
	if (s->trail_len)
		d_uint(&item, 8, s->trail_len);
	d_uint(e, 1, V);
	d_msg(e, BVC_WIRE_WORK, &item);
	d_free(&item);
	d_free(&frame);
	d_free(&reg);
	d_free(&slot);
	d_free(&sc);
	d_free(&refs);
}

/* Decode @e: @want and @substr in the message; a refusal leaves @m zero. */
static void expect_d(const struct dforge *e, int want, const char *substr)
{
	struct bvc_wire_msg m, zero;
	char err[256] = "";
	int ret;

	memset(&m, 0xa5, sizeof(m));
	ret = bvc_wire_decode(e->b, e->n, &m, err, sizeof(err));
	cr_assert_eq(ret, want, "ret %d, want %d (%s), expecting '%s'", ret, want, err, substr);
	cr_assert(strstr(err, substr), "message '%s' lacks '%s'", err, substr);
	if (ret) {
		memset(&zero, 0, sizeof(zero));
		cr_assert_eq(memcmp(&m, &zero, sizeof(m)), 0);
	}
	bvc_wire_msg_release(&m);
}

static void expect_shape(const struct shape *s, int want, const char *substr)
{
	struct dforge e;

	forge_work(&e, s);
	expect_d(&e, want, substr);
	d_free(&e);
}

Test(serial_work, forged_baseline_decodes)
{
	struct shape s = good_shape();
	struct bvc_wire_msg m;
	struct dforge e;
	char err[256] = "";
	const struct bvc_work_view *v;

	forge_work(&e, &s);
	cr_assert_eq(bvc_wire_decode(e.b, e.n, &m, err, sizeof(err)), 0, "%s", err);
	d_free(&e);
	cr_assert_eq(m.kind, BVC_WIRE_WORK);
	v = &m.u.work.view;
	cr_assert_eq(m.u.work.job_id, 42);
	cr_assert_eq(m.u.work.work_id, 7);
	cr_assert_eq(v->id, 7);
	cr_assert_eq(v->insn, 1);
	cr_assert_eq(v->nframes, 1);
	cr_assert_eq(v->frames[0].callsite, -1);
	cr_assert_eq(v->frames[0].nslots, 2);
	cr_assert_eq(v->frames[0].slots[1].stype[7], 2);
	cr_assert_eq(v->frames[0].regs[2].var.var_off.mask, UINT64_MAX);
	cr_assert_eq(v->frames[0].regs[3].var.var_off.mask, 0, "absent Scalar reads as zeros");
	cr_assert_eq(v->nrefs, 2);
	cr_assert_eq(v->refs[1], 2);
	cr_assert_eq(v->trail_len, 9);
	cr_assert_eq(v->trail[1], 0xff);
	bvc_wire_msg_release(&m);

	/* The edges that are still fine: 8 frames, 64 slots, 64 refs,
	 * frame number 255, no trail. */
	s = good_shape();
	s.frames = 8;
	s.slots = 64;
	s.refs = 64;
	s.reg_frameno = 255;
	s.trail_bytes = 0;
	s.trail_len = 0;
	expect_shape(&s, 0, "");
}

Test(serial_work, forged_wrong_shapes)
{
	struct shape s;

	s = good_shape();
	s.regs = 12;
	expect_shape(&s, -EBADMSG, "Frame.regs: byte ");
	expect_shape(&s, -EBADMSG, ": 12 occurrences, expected 11");
	s.regs = 10;
	expect_shape(&s, -EBADMSG, "Frame.regs: byte ");
	expect_shape(&s, -EBADMSG, "10 occurrences, expected 11");
	s.regs = 0;
	expect_shape(&s, -EBADMSG, "0 occurrences, expected 11");

	s = good_shape();
	s.frames = 9;
	expect_shape(&s, -EBADMSG, "WorkItem.frames: byte ");
	expect_shape(&s, -EBADMSG, "9 occurrences, expected 1..8");
	s.frames = 0;
	expect_shape(&s, -EBADMSG, "WorkItem.frames: byte ");
	expect_shape(&s, -EBADMSG, "0 occurrences, expected at least 1");

	s = good_shape();
	s.slots = 65;
	expect_shape(&s, -EBADMSG, "Frame.slots: byte ");
	expect_shape(&s, -EBADMSG, "65 occurrences, expected 0..64");

	s = good_shape();
	s.stype_len = 7;
	expect_shape(&s, -EBADMSG, "Slot.stype: byte ");
	expect_shape(&s, -EBADMSG, "7 bytes, expected 8");
	s.stype_len = 9;
	expect_shape(&s, -EBADMSG, "9 bytes, expected 8");
	s.stype_len = -1; /* absent: 0 bytes */
	expect_shape(&s, -EBADMSG, "0 bytes, expected 8");

	s = good_shape();
	s.trail_bytes = 1; /* 9 decisions need 2 */
	expect_shape(&s, -EBADMSG, "work: trail of 1 bytes for 9 decisions, expected 2");
	s.trail_bytes = 3;
	expect_shape(&s, -EBADMSG, "work: trail of 3 bytes for 9 decisions, expected 2");
	s.trail_bytes = 2;
	s.trail_len = 0;
	expect_shape(&s, -EBADMSG, "work: trail of 2 bytes for 0 decisions, expected 0");
	s.trail_bytes = 0;
	s.trail_len = 8;
	expect_shape(&s, -EBADMSG, "work: trail of 0 bytes for 8 decisions, expected 1");
	s.trail_len = UINT32_MAX; /* would be 512 MiB: refused, not allocated */
	expect_shape(&s, -EBADMSG, "expected 536870912");

	s = good_shape();
	s.refs = 65;
	expect_shape(&s, -EBADMSG, "WorkItem.refs: byte ");
	expect_shape(&s, -EBADMSG, "65 elements, expected 0..64");
	s.refs = 2;
	s.refs_unpacked = 1; /* never sent unpacked */
	expect_shape(&s, -EBADMSG, "WorkItem.refs: byte ");
	expect_shape(&s, -EBADMSG, "wire type 0, expected 2");

	s = good_shape();
	s.reg_frameno = 256;
	expect_shape(&s, -EBADMSG, "Register.frameno: byte ");
	expect_shape(&s, -EBADMSG, "value 256, expected 0..255");

	s = good_shape();
	s.maybe_null = 2;
	expect_shape(&s, -EBADMSG, "Register.maybe_null: byte ");
	expect_shape(&s, -EBADMSG, "value 2 does not fit the field");

	s = good_shape();
	s.var_twice = 1; /* protobuf-c would merge the two */
	expect_shape(&s, -EBADMSG, "Register.var: byte ");
	expect_shape(&s, -EBADMSG, "field given twice");
}

/* Tricks inside the nested messages, where the decoder's fast paths run:
 * each is refused exactly as the field iterator words it. */
Test(serial_work, forged_nested_tricks)
{
	struct shape s;

	s = good_shape();
	s.reg_extra = "\x60\x01"; /* field 12, varint */
	s.reg_extra_len = 2;
	expect_shape(&s, -EPROTO, "Register: byte ");
	expect_shape(&s, -EPROTO, ": unknown field 12 (wire type 0)");
	s.reg_extra = "\x08\x01\x08\x01"; /* type twice */
	s.reg_extra_len = 4;
	expect_shape(&s, -EBADMSG, "Register.type: byte ");
	expect_shape(&s, -EBADMSG, ": field given twice");
	s.reg_extra = "\x30\x01"; /* var as a varint */
	s.reg_extra_len = 2;
	expect_shape(&s, -EBADMSG, "Register.var: byte ");
	expect_shape(&s, -EBADMSG, ": wire type 0, expected 2");
	s.reg_extra = "\x28\x80\x80\x80\x80\x10"; /* off: 2^32 */
	s.reg_extra_len = 6;
	expect_shape(&s, -EBADMSG, "Register.off: byte ");
	expect_shape(&s, -EBADMSG, ": value 4294967296 does not fit the field");
	s.reg_extra = "\x38\x81\x00"; /* id, overlong */
	s.reg_extra_len = 3;
	expect_shape(&s, -EBADMSG, "Register.id: byte ");
	expect_shape(&s, -EBADMSG, ": overlong varint");
	s.reg_extra = "\x32\x05\x08"; /* var, length past the end */
	expect_shape(&s, -EBADMSG, "Register.var: byte ");
	expect_shape(&s, -EBADMSG, ": length 5 runs past the end (1 bytes left)");
	s.reg_extra = "\x18\x02"; /* precise = 2 */
	s.reg_extra_len = 2;
	expect_shape(&s, -EBADMSG, "Register.precise: byte ");
	expect_shape(&s, -EBADMSG, "value 2 does not fit the field");

	s = good_shape();
	s.sc_extra = "\x58\x01"; /* field 11 */
	s.sc_extra_len = 2;
	expect_shape(&s, -EPROTO, "Scalar: byte ");
	expect_shape(&s, -EPROTO, ": unknown field 11 (wire type 0)");
	s.sc_extra = "\x10\x01"; /* mask again */
	expect_shape(&s, -EBADMSG, "Scalar.mask: byte ");
	expect_shape(&s, -EBADMSG, ": field given twice");
	s.sc_extra = "\x48\x80\x80\x80\x80\x10"; /* u32_min: 2^32 */
	s.sc_extra_len = 6;
	expect_shape(&s, -EBADMSG, "Scalar.u32_min: byte ");
	expect_shape(&s, -EBADMSG, "does not fit the field");
	s.sc_extra = "\x19\x00\x00\x00\x00\x00\x00\x00\x00"; /* smin, fixed64 */
	s.sc_extra_len = 9;
	expect_shape(&s, -EBADMSG, "Scalar.smin: byte ");
	expect_shape(&s, -EBADMSG, ": wire type 1, expected 0");
	s.sc_extra = "\x20"; /* smax, truncated */
	s.sc_extra_len = 1;
	expect_shape(&s, -EBADMSG, "Scalar.smax: byte ");
	expect_shape(&s, -EBADMSG, ": truncated varint");
	s.sc_extra = "\x20\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"; /* > 64 bits */
	s.sc_extra_len = 11;
	expect_shape(&s, -EBADMSG, "varint wider than 64 bits");

	s = good_shape();
	s.frame_extra = "\x18\x01"; /* callsite again */
	s.frame_extra_len = 2;
	expect_shape(&s, -EBADMSG, "Frame.callsite: byte ");
	expect_shape(&s, -EBADMSG, ": field given twice");
	s.frame_extra = "\x38\x01"; /* field 7 */
	expect_shape(&s, -EPROTO, "Frame: byte ");
	s.frame_extra = "\x20\x80\x80\x80\x80\x10"; /* subprog: 2^32 */
	s.frame_extra_len = 6;
	expect_shape(&s, -EBADMSG, "Frame.subprog: byte ");
	s.frame_extra = "\x12\x0a\x0a\x08\x01\x01\x01\x01\x01\x01\x01\x01"; /* a slot */
	s.frame_extra_len = 12;
	expect_shape(&s, 0, "");
	s.frame_extra = "\x12\x0b\x0a\x08\x01\x01\x01\x01\x01\x01\x01\x01\x12"; /* + field 2 */
	s.frame_extra_len = 13;
	expect_shape(&s, -EBADMSG, "Slot.spilled: byte ");
	expect_shape(&s, -EBADMSG, "truncated varint in a length");
	s.frame_extra = "\x12\x0c\x0a\x08\x01\x01\x01\x01\x01\x01\x01\x01\x12\x00";
	s.frame_extra_len = 14; /* + an empty spilled register: fine */
	expect_shape(&s, 0, "");
	s.frame_extra = "\x12\x0c\x0a\x08\x01\x01\x01\x01\x01\x01\x01\x01\x0a\x00";
	s.frame_extra_len = 14; /* stype twice */
	expect_shape(&s, -EBADMSG, "Slot.stype: byte ");
	expect_shape(&s, -EBADMSG, ": field given twice");
}

/* Counts far past the limits are refused at the first one too many: the
 * walk stops there and protobuf-c never allocates for them. */
Test(serial_work, forged_huge_counts)
{
	struct dforge e = { 0 }, item = { 0 }, frame = { 0 }, refs = { 0 }, empty = { 0 };
	const uint8_t stype[8] = { 0 };
	struct dforge slot = { 0 };

	/* 1,000,000 empty registers in one frame: 2 MB. */
	for (int i = 0; i < 1000000; i++)
		d_msg(&frame, 1, &empty);
	d_msg(&item, 5, &frame);
	d_uint(&e, 1, V);
	d_msg(&e, BVC_WIRE_WORK, &item);
	expect_d(&e, -EBADMSG, "12 occurrences, expected 11");

	/* 500,000 slots after 11 registers. */
	frame.n = item.n = e.n = 0;
	for (int i = 0; i < 11; i++)
		d_msg(&frame, 1, &empty);
	d_bytes(&slot, 1, stype, sizeof(stype));
	for (int i = 0; i < 500000; i++)
		d_msg(&frame, 2, &slot);
	d_msg(&item, 5, &frame);
	d_uint(&e, 1, V);
	d_msg(&e, BVC_WIRE_WORK, &item);
	expect_d(&e, -EBADMSG, "65 occurrences, expected 0..64");

	/* 100,000 frames of nothing. */
	item.n = e.n = 0;
	for (int i = 0; i < 100000; i++)
		d_msg(&item, 5, &empty);
	d_uint(&e, 1, V);
	d_msg(&e, BVC_WIRE_WORK, &item);
	expect_d(&e, -EBADMSG, "Frame.regs");

	/* 4,000,000 packed references: 4 MB that would be 16 MB of uint32. */
	item.n = e.n = 0;
	for (int i = 0; i < 4000000; i++)
		d_varint(&refs, 1);
	d_msg(&item, 6, &refs);
	d_uint(&e, 1, V);
	d_msg(&e, BVC_WIRE_WORK, &item);
	expect_d(&e, -EBADMSG, "WorkItem.refs: byte ");
	expect_d(&e, -EBADMSG, "4000000 elements, expected 0..64");

	/* A repeated count in a length prefix bigger than the frame. */
	item.n = e.n = 0;
	d_varint(&item, 5 << 3 | 2);
	d_varint(&item, UINT64_MAX >> 1);
	d_uint(&e, 1, V);
	d_msg(&e, BVC_WIRE_WORK, &item);
	expect_d(&e, -EBADMSG, "runs past the end");

	d_free(&e);
	d_free(&item);
	d_free(&frame);
	d_free(&refs);
	d_free(&slot);
}

Test(serial_work, forged_jobs_and_ids)
{
	struct dforge e = { 0 }, job = { 0 }, body = { 0 };
	uint8_t *big;
	struct shape s;

	/* A Job whose object is one byte over the limit, in a frame that is
	 * itself within BVC_WIRE_FRAME_MAX. */
	big = calloc(1, BVC_WIRE_OBJECT_MAX + 1);
	cr_assert_not_null(big);
	d_uint(&job, 1, 1);
	d_bytes(&job, 2, "p", 1);
	d_bytes(&job, 6, big, BVC_WIRE_OBJECT_MAX + 1);
	d_uint(&e, 1, V);
	d_msg(&e, BVC_WIRE_JOB, &job);
	cr_assert_leq(e.n, BVC_WIRE_FRAME_MAX);
	expect_d(&e, -EMSGSIZE, "Job.object: byte ");
	expect_d(&e, -EMSGSIZE, ": 16773121 bytes, expected 1..16773120");
	free(big);

	/* A Job frame over the frame limit. */
	big = calloc(1, BVC_WIRE_FRAME_MAX + 1);
	cr_assert_not_null(big);
	job.n = e.n = 0;
	d_uint(&job, 1, 1);
	d_bytes(&job, 2, "p", 1);
	d_bytes(&job, 6, big, BVC_WIRE_FRAME_MAX);
	d_uint(&e, 1, V);
	d_msg(&e, BVC_WIRE_JOB, &job);
	expect_d(&e, -EMSGSIZE, "limit 16777216");
	free(big);

	/* No object, no name, a bad name, start_entry 2, job id 0. */
	job.n = e.n = 0;
	d_uint(&job, 1, 1);
	d_bytes(&job, 2, "p", 1);
	d_uint(&e, 1, V);
	d_msg(&e, BVC_WIRE_JOB, &job);
	expect_d(&e, -EBADMSG, "Job.object: byte ");
	expect_d(&e, -EBADMSG, "0 bytes, expected at least 1");
	job.n = e.n = 0;
	d_uint(&job, 1, 1);
	d_bytes(&job, 6, "\x7f", 1);
	d_uint(&e, 1, V);
	d_msg(&e, BVC_WIRE_JOB, &job);
	expect_d(&e, -EBADMSG, "job: empty program name");
	job.n = e.n = 0;
	d_uint(&job, 1, 1);
	d_bytes(&job, 2, "my prog", 7);
	d_bytes(&job, 6, "\x7f", 1);
	d_uint(&e, 1, V);
	d_msg(&e, BVC_WIRE_JOB, &job);
	expect_d(&e, -EBADMSG, "job: program name byte 2 is 0x20");
	big = malloc(BVC_WIRE_PROG_NAME_MAX + 1);
	memset(big, 'a', BVC_WIRE_PROG_NAME_MAX + 1);
	job.n = e.n = 0;
	d_uint(&job, 1, 1);
	d_bytes(&job, 2, big, BVC_WIRE_PROG_NAME_MAX + 1);
	d_bytes(&job, 6, "\x7f", 1);
	d_uint(&e, 1, V);
	d_msg(&e, BVC_WIRE_JOB, &job);
	expect_d(&e, -EBADMSG, "job: program name of 128 bytes, limit 127");
	free(big);
	job.n = e.n = 0;
	d_uint(&job, 1, 1);
	d_bytes(&job, 2, "p", 1);
	d_uint(&job, 5, 2);
	d_bytes(&job, 6, "\x7f", 1);
	d_uint(&e, 1, V);
	d_msg(&e, BVC_WIRE_JOB, &job);
	expect_d(&e, -EBADMSG, "job: start_entry 2, expected 0 or 1");
	job.n = e.n = 0;
	d_bytes(&job, 2, "p", 1);
	d_bytes(&job, 6, "\x7f", 1);
	d_uint(&e, 1, V);
	d_msg(&e, BVC_WIRE_JOB, &job);
	expect_d(&e, -EBADMSG, "job: job id 0");

	/* Ids of 0 in the other messages; an empty Donate. */
	e.n = 0;
	d_uint(&e, 1, V);
	d_msg(&e, BVC_WIRE_DONATE, &body);
	expect_d(&e, -EBADMSG, "donate: job id 0");
	d_uint(&body, 1, 4);
	e.n = 0;
	d_uint(&e, 1, V);
	d_msg(&e, BVC_WIRE_DONE, &body);
	expect_d(&e, -EBADMSG, "done: work id 0");
	body.n = e.n = 0;
	d_uint(&body, 2, 4);
	d_uint(&e, 1, V);
	d_msg(&e, BVC_WIRE_FINISHED, &body);
	expect_d(&e, -EBADMSG, "finished: job id 0");
	/* Finished with an unknown field 15. */
	body.n = e.n = 0;
	d_uint(&body, 1, 4);
	d_uint(&body, 15, 4);
	d_uint(&e, 1, V);
	d_msg(&e, BVC_WIRE_FINISHED, &body);
	expect_d(&e, -EPROTO, "Finished: byte 6: unknown field 15");
	/* Facts: an instruction count without the reached set; facts out of
	 * order; fact fields of different lengths; a base no verifier says. */
	{
		static const uint8_t one[1] = { 0x0f }, desc[2] = { 2, 1 }, asc[2] = { 1, 2 },
				     zz2[2] = { 1, 1 } /* -1, -1 */, bad_base[2] = { 14, 1 } /* 7 */;
		struct {
			const uint8_t *insn, *base;
			size_t ninsn, nbase;
			int seen;
			const char *msg;
		} cases[] = {
			{ NULL, NULL, 0, 0, 0, "finished: 0 bytes of reached set for 4 instructions" },
			{ desc, zz2, 2, 2, 1, "finished: fact 1: insn 1 out of order or past 4" },
			{ asc, zz2, 2, 1, 1, "finished: fact fields of different lengths" },
			{ asc, bad_base, 2, 2, 1, "finished: fact 0: base 7" },
		};

		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
			body.n = e.n = 0;
			d_uint(&body, 1, 4);
			d_uint(&body, 7, 4);
			if (cases[c].seen)
				d_bytes(&body, 8, one, 1);
			if (cases[c].ninsn) {
				d_bytes(&body, 9, cases[c].insn, cases[c].ninsn);
				d_bytes(&body, 10, cases[c].base, cases[c].nbase);
				d_bytes(&body, 11, zz2, cases[c].ninsn);
				d_bytes(&body, 12, asc, cases[c].ninsn);
				d_bytes(&body, 13, asc, cases[c].ninsn);
				d_bytes(&body, 14, zz2, cases[c].ninsn);
			}
			d_uint(&e, 1, V);
			d_msg(&e, BVC_WIRE_FINISHED, &body);
			expect_d(&e, -EBADMSG, cases[c].msg);
		}
	}

	d_free(&e);
	d_free(&job);
	d_free(&body);

	/* A work item with work id 0 (forge_work writes 7: patch it). */
	s = good_shape();
	forge_work(&e, &s);
	for (size_t i = 0; i + 1 < e.n; i++) {
		if (e.b[i] == (2 << 3) && e.b[i + 1] == 7) {
			e.b[i + 1] = 0;
			break;
		}
	}
	expect_d(&e, -EBADMSG, "work: work id 0");
	d_free(&e);
}

Test(serial_work, encode_refuses_what_decode_would)
{
	struct bvc_wire_msg m;
	uint64_t seed = 3;
	char err[256];
	size_t len = 1;
	void *buf = (void *)1;

	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_WORK;
	m.u.work.job_id = 1;
	m.u.work.work_id = 1;
	rand_view(&m.u.work.view, 2, 3, &seed);

	m.u.work.view.nframes = 9;
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "work: 9 frames, expected 1..8");
	cr_assert_null(buf);
	cr_assert_eq(len, 0);
	m.u.work.view.nframes = 0;
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), -EINVAL);
	m.u.work.view.nframes = 2;
	m.u.work.view.nrefs = 65;
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "work: 65 references, limit 64");
	m.u.work.view.nrefs = 0;
	m.u.work.view.frames[1].nslots = 65;
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "work: frame 1: 65 slots, limit 64");
	m.u.work.view.frames[1].nslots = 3;
	m.u.work.view.frames[1].slots[2].spilled.precise = 2;
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "work: frame 1: a flag that is not 0 or 1");
	m.u.work.view.frames[1].slots[2].spilled.precise = 1;
	m.u.work.work_id = 0;
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "work: work id 0");
	m.u.work.work_id = 1;
	m.u.work.job_id = 0;
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "work: job id 0");
	bvc_wire_msg_release(&m);

	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_JOB;
	m.u.job.job_id = 1;
	strcpy(m.u.job.prog_name, "p");
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "job: no object");
	m.u.job.object = (uint8_t *)"x";
	m.u.job.object_len = 1;
	m.u.job.start_entry = 2;
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), -EINVAL);
	m.u.job.start_entry = 1;
	memset(m.u.job.prog_name, 'a', sizeof(m.u.job.prog_name)); /* no NUL */
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "job: program name of 128 bytes, limit 127");

	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_DONE;
	m.u.done.job_id = 1;
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "done: work id 0");
}

Test(serial_work, release_is_safe_everywhere)
{
	struct bvc_wire_msg m;

	memset(&m, 0, sizeof(m));
	bvc_wire_msg_release(&m);
	bvc_wire_msg_release(&m);
	bvc_wire_msg_release(NULL);
	for (int k = BVC_WIRE_HELLO; k <= BVC_WIRE_FINISHED; k++) {
		memset(&m, 0, sizeof(m));
		m.kind = (enum bvc_wire_kind)k;
		bvc_wire_msg_release(&m);
		cr_assert_eq(m.kind, 0);
	}
	cr_assert_str_eq(bvc_wire_kind_name(BVC_WIRE_JOB), "job");
	cr_assert_str_eq(bvc_wire_kind_name(BVC_WIRE_WORK), "work");
	cr_assert_str_eq(bvc_wire_kind_name(BVC_WIRE_DONATE), "donate");
	cr_assert_str_eq(bvc_wire_kind_name(BVC_WIRE_DONE), "done");
	cr_assert_str_eq(bvc_wire_kind_name(BVC_WIRE_FINISHED), "finished");
}

/* --- speed ------------------------------------------------------------------ */

/* A typical work item: three frames (main and two calls), 16 slots each,
 * half of them spills, a mix of unknown, bounded and constant scalars and
 * pointers, a few references and a trail of 40 decisions. */
static void typical_view(struct bvc_work_view *v)
{
	memset(v, 0, sizeof(*v));
	v->insn = 1234;
	v->prev_insn = 1230;
	v->nframes = 3;
	for (uint32_t f = 0; f < 3; f++) {
		struct bvc_frame_view *fv = &v->frames[f];

		for (int r = 0; r < 11; r++) {
			struct bvc_reg_view *rv = &fv->regs[r];

			switch (r % 4) {
			case 0:
				rv->type = 1;
				rv->var = bvc_scalar_unknown();
				break;
			case 1:
				rv->type = 1;
				rv->var = bvc_scalar_urange(0, 1500);
				rv->precise = 1;
				break;
			case 2:
				rv->type = 1;
				rv->var = bvc_scalar_const((uint64_t)r * 77);
				break;
			default:
				rv->type = 8; /* packet */
				rv->var = bvc_scalar_const(0);
				rv->off = 14;
				rv->range = 34;
				rv->id = 3;
				break;
			}
		}
		fv->regs[10].type = 6; /* stack */
		fv->regs[10].var = bvc_scalar_const(0);
		fv->regs[10].frameno = (uint8_t)f;
		fv->nslots = 16;
		fv->slots = calloc(16, sizeof(*fv->slots));
		cr_assert_not_null(fv->slots);
		for (int s = 0; s < 16; s++) {
			struct bvc_slot_view *sv = &fv->slots[s];

			if (s % 2) {
				memset(sv->stype, 1, 8);
				sv->spilled = fv->regs[s % 10];
			} else {
				memset(sv->stype, 2, 8);
			}
		}
		fv->callsite = f ? (int32_t)(100 * f) : -1;
		fv->subprog = f;
		fv->frameno = f;
		fv->stack_depth = 128;
	}
	v->nrefs = 2;
	v->refs[0] = 11;
	v->refs[1] = 12;
	v->trail_len = 40;
	v->trail = calloc(5, 1);
	cr_assert_not_null(v->trail);
	v->trail[2] = 0x5a;
}

static double now_us(void)
{
	struct timespec ts;

	/* CPU time: the two cores are shared, wall time says little. */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

Test(serial_work, round_trip_speed)
{
	const int iters = 20000;
	struct bvc_wire_msg m, out;
	char err[256];
	double t0, t1;
	size_t len = 0;

	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_WORK;
	m.u.work.job_id = 1;
	m.u.work.work_id = 99;
	typical_view(&m.u.work.view);
	t0 = now_us();
	for (int i = 0; i < iters; i++) {
		void *buf;

		cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(bvc_wire_decode(buf, len, &out, err, sizeof(err)), 0, "%s", err);
		free(buf);
		bvc_wire_msg_release(&out);
	}
	t1 = now_us();
	{
		void *bufs[64];
		double e0, e1, d1;

		e0 = now_us();
		for (int i = 0; i < iters; i++) {
			cr_assert_eq(bvc_wire_encode(&m, &bufs[i % 64], &len, err, sizeof(err)), 0);
			free(bufs[i % 64]);
		}
		e1 = now_us();
		cr_assert_eq(bvc_wire_encode(&m, &bufs[0], &len, err, sizeof(err)), 0);
		for (int i = 0; i < iters; i++) {
			cr_assert_eq(bvc_wire_decode(bufs[0], len, &out, err, sizeof(err)), 0);
			bvc_wire_msg_release(&out);
		}
		d1 = now_us();
		free(bufs[0]);
		cr_log_info("encode %.2f us, decode %.2f us", (e1 - e0) / iters, (d1 - e1) / iters);
		fprintf(stderr, "encode %.2f us, decode %.2f us\n", (e1 - e0) / iters, (d1 - e1) / iters);
	}
	/* Reported, not asserted: the cores are shared and sanitizers slow. */
	cr_log_info("typical work item (%zu bytes): %.2f us per encode + decode", len,
		    (t1 - t0) / iters);
	fprintf(stderr, "typical work item (%zu bytes): %.2f us per encode + decode\n", len,
		(t1 - t0) / iters);
	bvc_wire_msg_release(&m);
}

/*
 * The field numbers the work-item codec and the walk's rules name
 * (PB_*, state-serial/wire_internal.h) are those of the schema: each one
 * looked up by its field's name in the generated descriptors.
 */
Test(serial_work, field_numbers_match_the_schema)
{
	static const struct {
		const ProtobufCMessageDescriptor *d;
		const char *name;
		unsigned fnum;
	} fields[] = {
		{ &bpfvc__wire__envelope__descriptor, "protocol_version", PB_ENVELOPE_PROTOCOL_VERSION },
		{ &bpfvc__wire__scalar__descriptor, "value", PB_SCALAR_VALUE },
		{ &bpfvc__wire__scalar__descriptor, "mask", PB_SCALAR_MASK },
		{ &bpfvc__wire__scalar__descriptor, "smin", PB_SCALAR_SMIN },
		{ &bpfvc__wire__scalar__descriptor, "smax", PB_SCALAR_SMAX },
		{ &bpfvc__wire__scalar__descriptor, "umin", PB_SCALAR_UMIN },
		{ &bpfvc__wire__scalar__descriptor, "umax", PB_SCALAR_UMAX },
		{ &bpfvc__wire__scalar__descriptor, "s32_min", PB_SCALAR_S32_MIN },
		{ &bpfvc__wire__scalar__descriptor, "s32_max", PB_SCALAR_S32_MAX },
		{ &bpfvc__wire__scalar__descriptor, "u32_min", PB_SCALAR_U32_MIN },
		{ &bpfvc__wire__scalar__descriptor, "u32_max", PB_SCALAR_U32_MAX },
		{ &bpfvc__wire__register__descriptor, "type", PB_REGISTER_TYPE },
		{ &bpfvc__wire__register__descriptor, "maybe_null", PB_REGISTER_MAYBE_NULL },
		{ &bpfvc__wire__register__descriptor, "precise", PB_REGISTER_PRECISE },
		{ &bpfvc__wire__register__descriptor, "frameno", PB_REGISTER_FRAMENO },
		{ &bpfvc__wire__register__descriptor, "off", PB_REGISTER_OFF },
		{ &bpfvc__wire__register__descriptor, "var", PB_REGISTER_VAR },
		{ &bpfvc__wire__register__descriptor, "id", PB_REGISTER_ID },
		{ &bpfvc__wire__register__descriptor, "ref_obj_id", PB_REGISTER_REF_OBJ_ID },
		{ &bpfvc__wire__register__descriptor, "map_idx", PB_REGISTER_MAP_IDX },
		{ &bpfvc__wire__register__descriptor, "mem_size", PB_REGISTER_MEM_SIZE },
		{ &bpfvc__wire__register__descriptor, "range", PB_REGISTER_RANGE },
		{ &bpfvc__wire__slot__descriptor, "stype", PB_SLOT_STYPE },
		{ &bpfvc__wire__slot__descriptor, "spilled", PB_SLOT_SPILLED },
		{ &bpfvc__wire__frame__descriptor, "regs", PB_FRAME_REGS },
		{ &bpfvc__wire__frame__descriptor, "slots", PB_FRAME_SLOTS },
		{ &bpfvc__wire__frame__descriptor, "callsite", PB_FRAME_CALLSITE },
		{ &bpfvc__wire__frame__descriptor, "subprog", PB_FRAME_SUBPROG },
		{ &bpfvc__wire__frame__descriptor, "frameno", PB_FRAME_FRAMENO },
		{ &bpfvc__wire__frame__descriptor, "stack_depth", PB_FRAME_STACK_DEPTH },
		{ &bpfvc__wire__work_item__descriptor, "job_id", PB_WORK_JOB_ID },
		{ &bpfvc__wire__work_item__descriptor, "work_id", PB_WORK_WORK_ID },
		{ &bpfvc__wire__work_item__descriptor, "insn", PB_WORK_INSN },
		{ &bpfvc__wire__work_item__descriptor, "prev_insn", PB_WORK_PREV_INSN },
		{ &bpfvc__wire__work_item__descriptor, "frames", PB_WORK_FRAMES },
		{ &bpfvc__wire__work_item__descriptor, "refs", PB_WORK_REFS },
		{ &bpfvc__wire__work_item__descriptor, "trail", PB_WORK_TRAIL },
		{ &bpfvc__wire__work_item__descriptor, "trail_len", PB_WORK_TRAIL_LEN },
		{ &bpfvc__wire__job__descriptor, "object", PB_JOB_OBJECT },
		{ &bpfvc__wire__reject__descriptor, "trail_len", PB_REJECT_TRAIL_LEN },
		{ &bpfvc__wire__reject__descriptor, "trail", PB_REJECT_TRAIL },
		{ &bpfvc__wire__finished__descriptor, "insn_cnt", PB_FINISHED_INSN_CNT },
		{ &bpfvc__wire__finished__descriptor, "seen", PB_FINISHED_SEEN },
		{ &bpfvc__wire__finished__descriptor, "fact_insn", PB_FINISHED_FACT_INSN },
		{ &bpfvc__wire__finished__descriptor, "fact_mem_base", PB_FINISHED_FACT_MEM_BASE },
		{ &bpfvc__wire__finished__descriptor, "fact_ctx_field", PB_FINISHED_FACT_CTX_FIELD },
		{ &bpfvc__wire__finished__descriptor, "fact_ctx_off", PB_FINISHED_FACT_CTX_OFF },
		{ &bpfvc__wire__finished__descriptor, "fact_ctx_size", PB_FINISHED_FACT_CTX_SIZE },
		{ &bpfvc__wire__finished__descriptor, "fact_map_idx", PB_FINISHED_FACT_MAP_IDX },
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field_by_name(fields[i].d, fields[i].name);

		cr_assert_not_null(f, "%s has no field %s", fields[i].d->short_name, fields[i].name);
		cr_expect_eq(f->id, fields[i].fnum, "%s.%s is field %u, the code says %u",
			     fields[i].d->short_name, fields[i].name, f->id, fields[i].fnum);
	}
	/* The last field of each message the fast paths bound their keys by. */
	cr_expect_eq(bpfvc__wire__scalar__descriptor.n_fields, PB_SCALAR_U32_MAX);
	cr_expect_eq(bpfvc__wire__register__descriptor.n_fields, PB_REGISTER_RANGE);
	cr_expect_eq(bpfvc__wire__frame__descriptor.n_fields, PB_FRAME_STACK_DEPTH);
}
