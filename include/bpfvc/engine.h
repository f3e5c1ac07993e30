/* SPDX-License-Identifier: MIT */
/*
 * bpfvc engine: one verification, run in slices and split across engines
 * (docs/design.md section 4). bvc_verify() is this API run to the end in one
 * engine; the cluster runs it in many.
 *
 *   bvc_engine_run()      explores for a budget of instructions and returns
 *   bvc_engine_donate()   takes out the oldest pending branch (the biggest
 *                         subtree) as a work item; the engine keeps a
 *                         placeholder, so its checkpoints above the item
 *                         stay unfinished - never used for pruning - until
 *                         bvc_engine_work_done() says the item finished
 *   bvc_engine_accept()   explores a work item donated elsewhere; when its
 *                         whole subtree is done here, bvc_engine_poll_done()
 *                         reports its id
 *
 * A work item is one verifier state at the point where the kernel would
 * push a branch, with its branch-decision trail from the entry (bit i:
 * 1 = the i-th undecided branch on the path was taken). Ids: an engine
 * that accepts a state moves its id counter past every id in it, so new
 * ids never collide.
 *
 * Today states cross engines in-process (the item owns a copy);
 * state-serial/ will carry them across processes.
 */
#ifndef BPFVC_ENGINE_H
#define BPFVC_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/image.h"
#include "bpfvc/scalar.h"
#include "bpfvc/verifier.h"

struct bvc_engine;
struct bvc_work;

#define BVC_VIEW_MAX_FRAMES 8

enum {
	BVC_ENGINE_DONE = 0, /* nothing left here: a verdict is ready */
	BVC_ENGINE_MORE = 1, /* the budget ran out with work left */
};

/* Static passes and the entry state. @img and @prog must outlive the engine.
 * @with_entry false: an engine that only explores accepted work items. */
int bvc_engine_new(const struct bvc_image *img, const struct bvc_prog *prog,
		   const struct bvc_verify_opts *opts, int with_entry, struct bvc_engine **out);

/* Explore up to @budget instructions (0: until done). Returns
 * BVC_ENGINE_DONE, BVC_ENGINE_MORE or a negative errno. A rejection ends
 * the run with BVC_ENGINE_DONE and a reject verdict. */
int bvc_engine_run(struct bvc_engine *eng, uint64_t budget);

/* Pending branches waiting here. */
size_t bvc_engine_pending(const struct bvc_engine *eng);

/* Instructions this engine has processed so far (its verdict's count once
 * it has one). */
uint64_t bvc_engine_processed(const struct bvc_engine *eng);

/* Checkpoints made so far, and the most alive at once (its verdict's
 * total_states and peak_states once it has one). */
void bvc_engine_states(const struct bvc_engine *eng, uint64_t *total, uint64_t *peak);

/* The per-instruction facts of the paths this engine explored so far, into
 * @out (@cnt: the program's instruction count, else -EINVAL). Split runs
 * merge them with bvc_fact_merge(). */
int bvc_engine_facts(const struct bvc_engine *eng, struct bvc_insn_fact *out, size_t cnt);

/* Take out the oldest pending branch as a work item (-ENOENT: none). */
int bvc_engine_donate(struct bvc_engine *eng, struct bvc_work **out);

/*
 * Precision a finished work item asks of the engine that donated it: the
 * registers and stack slots (bit i: fp-8*(i+1)) of its root state whose
 * values its subtree relied on, per frame, or "all" when backtracking gave
 * up. The donor marks their sources precise in its own checkpoints before
 * it counts the item done (docs/design.md section 4, step 3).
 */
struct bvc_precision_demand {
	uint32_t nframes;      /* frames of the item's root state (1..8), 0: none asked */
	uint32_t all;          /* every scalar above the item */
	uint16_t regs[BVC_VIEW_MAX_FRAMES];  /* r0-r9, bit per register */
	uint64_t slots[BVC_VIEW_MAX_FRAMES]; /* bit per 8-byte stack slot */
};

/* The donated item @work_id finished, safe, elsewhere, asking @demand
 * (NULL: nothing). */
int bvc_engine_work_done(struct bvc_engine *eng, uint64_t work_id,
			 const struct bvc_precision_demand *demand);

/* Explore @work here; the engine takes ownership (*@work becomes NULL). */
int bvc_engine_accept(struct bvc_engine *eng, struct bvc_work **work);

/* An accepted item whose subtree finished here: 0 with its id and the
 * precision it asks of its donor, or -ENOENT. */
int bvc_engine_poll_done(struct bvc_engine *eng, uint64_t *work_id,
			 struct bvc_precision_demand *demand);

/*
 * Pruning across engines (docs/design.md section 4, step 4). A finished
 * checkpoint that pruned a path here is worth offering to the other
 * engines of the same program: bvc_engine_share() hands such checkpoints
 * out as work items (the state at its instruction, precise marks
 * included, the work id its creation number), at most @limit of them -
 * set with bvc_engine_share_limit(), 0 (none) by default. Another engine
 * takes one with bvc_engine_add_checkpoint() and prunes against it as
 * against its own finished checkpoints. Sound because a checkpoint is
 * finished only when every path below it, everywhere, is done and their
 * precision demands have been applied.
 */
void bvc_engine_share_limit(struct bvc_engine *eng, uint64_t limit);
int bvc_engine_share(struct bvc_engine *eng, struct bvc_work **out);
int bvc_engine_add_checkpoint(struct bvc_engine *eng, struct bvc_work **work);
/* Paths pruned against checkpoints that came from other engines. */
uint64_t bvc_engine_remote_hits(const struct bvc_engine *eng);

/*
 * The call-chain stack check (the kernel's check_max_stack_depth) needs
 * the deepest stack use of each function over all paths. Split runs merge
 * them: bvc_engine_stack_depths() gives this engine's (bytes, one per
 * function, at most @max filled; returns the program's function count),
 * bvc_engine_merge_stack_depths() takes the maxima of others' into this
 * engine (-EINVAL when @n is not its function count), whose verdict then
 * checks every call chain against them.
 */
uint32_t bvc_engine_stack_depths(const struct bvc_engine *eng, uint32_t *depths, uint32_t max);
int bvc_engine_merge_stack_depths(struct bvc_engine *eng, const uint32_t *depths, uint32_t n);

/* For tests and debugging: the precise scalars of this engine's
 * checkpoints in creation order, one line each ("seq@insn f0 r=0x.. s=0x..",
 * masks of registers and stack slots per frame), in a malloc()ed string. */
int bvc_engine_precision_dump(const struct bvc_engine *eng, char **out);
/* For tests and debugging: keep every checkpoint to the end (evicted ones
 * are otherwise freed once finished), so bvc_engine_precision_dump() lists
 * them all. Call before bvc_engine_run(). */
void bvc_engine_keep_checkpoints(struct bvc_engine *eng);
/* Bytes this engine's states hold now (chunks of its arena): what
 * opts.mem_limit bounds. */
uint64_t bvc_engine_mem_bytes(const struct bvc_engine *eng);

/* The verdict once bvc_engine_run() returned BVC_ENGINE_DONE. Accepted
 * verdicts carry facts and stack depth for what this engine explored. */
int bvc_engine_verdict(struct bvc_engine *eng, struct bvc_verdict *out);

void bvc_engine_free(struct bvc_engine *eng);

/*
 * A work item as plain data, for state-serial/ to put on the wire and
 * take off it. Field meanings are those of the engine's state
 * (verifier/engine_internal.h): register types are the kernel's subset in
 * verifier/progtype_internal.h (enum bvc_rtype), slot byte types 0 invalid,
 * 1 spill, 2 misc, 3 zero (byte 0 = lowest address of the slot).
 */
#define BVC_VIEW_MAX_REFS 64
#define BVC_VIEW_MAX_SLOTS 64

struct bvc_reg_view {
	uint32_t type;         /* enum bvc_rtype */
	uint8_t maybe_null;    /* pointer not yet NULL-checked */
	uint8_t precise;       /* scalar compared exactly */
	uint8_t frameno;       /* frame of a stack pointer */
	int32_t off;           /* fixed offset */
	struct bvc_scalar var; /* value, or variable offset */
	uint32_t id, ref_obj_id, map_idx, mem_size;
	int32_t range;         /* proven packet bytes */
};

struct bvc_slot_view {
	uint8_t stype[8];
	struct bvc_reg_view spilled;
};

struct bvc_frame_view {
	struct bvc_reg_view regs[11];
	struct bvc_slot_view *slots; /* nslots of them */
	uint32_t nslots;
	int32_t callsite;      /* -1 for the main frame */
	uint32_t subprog, frameno, stack_depth;
};

struct bvc_work_view {
	uint64_t id;
	uint32_t insn, prev_insn;
	uint32_t nframes;      /* 1..8 */
	struct bvc_frame_view frames[BVC_VIEW_MAX_FRAMES];
	uint32_t refs[BVC_VIEW_MAX_REFS];
	uint32_t nrefs;
	uint8_t *trail;        /* (trail_len + 7) / 8 bytes */
	uint32_t trail_len;
};

/* Fill @v from @work; @v then owns copies of slots and trail: release
 * them with bvc_work_view_release(). */
int bvc_work_view_get(const struct bvc_work *work, struct bvc_work_view *v);
void bvc_work_view_release(struct bvc_work_view *v);

/* A work item from @v, checked against @prog of @img as the engine needs
 * it (instruction, frames, register types, map indices, frame numbers,
 * slot types, bounds that contain at least one value). -EBADMSG with one
 * line in @err when @v cannot be a state of this program. */
int bvc_work_from_view(const struct bvc_image *img, const struct bvc_prog *prog,
		       const struct bvc_work_view *v, struct bvc_work **out, char *err, size_t errsz);

uint64_t bvc_work_id(const struct bvc_work *work);
/* Instruction the item resumes at. */
uint32_t bvc_work_insn(const struct bvc_work *work);
/* Its branch-decision trail: @bits decisions, bit i of byte i/8. */
const uint8_t *bvc_work_trail(const struct bvc_work *work, uint32_t *bits);
void bvc_work_free(struct bvc_work *work);

#endif /* BPFVC_ENGINE_H */
