/* SPDX-License-Identifier: MIT */
/*
 * bpfvc engine: one verification, run in slices and split across engines
 * (DESIGN.md section 4). bvc_verify() is this API run to the end in one
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
#include "bpfvc/verifier.h"

struct bvc_engine;
struct bvc_work;

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

/* Take out the oldest pending branch as a work item (-ENOENT: none). */
int bvc_engine_donate(struct bvc_engine *eng, struct bvc_work **out);

/* The donated item @work_id finished, safe, elsewhere. */
int bvc_engine_work_done(struct bvc_engine *eng, uint64_t work_id);

/* Explore @work here; the engine takes ownership (*@work becomes NULL). */
int bvc_engine_accept(struct bvc_engine *eng, struct bvc_work **work);

/* An accepted item whose subtree finished here: 0 and its id, or -ENOENT. */
int bvc_engine_poll_done(struct bvc_engine *eng, uint64_t *work_id);

/* The verdict once bvc_engine_run() returned BVC_ENGINE_DONE. Accepted
 * verdicts carry facts and stack depth for what this engine explored. */
int bvc_engine_verdict(struct bvc_engine *eng, struct bvc_verdict *out);

void bvc_engine_free(struct bvc_engine *eng);

uint64_t bvc_work_id(const struct bvc_work *work);
/* Instruction the item resumes at. */
uint32_t bvc_work_insn(const struct bvc_work *work);
/* Its branch-decision trail: @bits decisions, bit i of byte i/8. */
const uint8_t *bvc_work_trail(const struct bvc_work *work, uint32_t *bits);
void bvc_work_free(struct bvc_work *work);

#endif /* BPFVC_ENGINE_H */
