/* SPDX-License-Identifier: MIT */
/*
 * Private to verifier/: the engine's state and what its files share.
 *
 *   engine.c  the exploration loop (start there)
 *   log.c     refusals, the kernel-style log, printing states
 *   branch.c  conditional jumps: deciding, pushing and refining each side
 *   call.c    helper and bpf-to-bpf calls, exits, call-chain checks
 *   global.c  global functions: calls checked on BTF types, each verified once
 *   split.c   the split API: donation, work items, demands, sharing
 *   alu.c     ALU on scalars and pointers
 *   mem.c     loads, stores, atomics and helper memory arguments
 *   prune.c   checkpoints, bvc_states_equal, branch counts
 *   precise.c precision tracking: path history and backtracking
 *   cfg.c     static passes: reachability, prune points, register liveness
 *   load.c    what BPF_PROG_LOAD refuses before exploring
 *   state.c   allocating, copying and freeing states; register helpers
 *   arena.c   the engine's memory: size-class free lists, the memory limit
 *
 * Every engine function takes the env first. Those shared between files
 * are declared here and carry the bvc_ prefix, as the library's public
 * names do (a static library's globals share the namespace of every
 * program that links it); the rest are static. bvc_check_* and check_*
 * may reject (they return -EACCES/-EINVAL after calling bvc_vrej()),
 * *mark_* change state, *is_* answer.
 */
#ifndef BVC_VERIFIER_ENGINE_INTERNAL_H
#define BVC_VERIFIER_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "bpfvc/image.h"
#include "bpfvc/scalar.h"
#include "bpfvc/verifier.h"
#include "progtype_internal.h"

#define BVC_MAX_FRAMES 8       /* call depth, as MAX_CALL_FRAMES */
#define BVC_STACK_SIZE 512     /* bytes per call chain, as MAX_BPF_STACK */
#define BVC_STACK_SLOTS (BVC_STACK_SIZE / 8)
#define BVC_MAX_REFS 64        /* acquired references per state */
#define BVC_MAX_PENDING 8192   /* pending branches, as BPF_COMPLEXITY_LIMIT_JMP_SEQ */
#define BVC_PKT_MAX_RANGE 0xffff /* MAX_PACKET_OFF */
#define BVC_MAX_VAR_OFF (1 << 29) /* BPF_MAX_VAR_OFF */

struct bvc_reg {
	enum bvc_rtype type;   /* what the register holds */
	bool maybe_null;       /* pointer that may be NULL until checked */
	bool precise;          /* (scalars) compared exactly when pruning */
	int32_t off;           /* fixed offset of a pointer */
	struct bvc_scalar var; /* the value of a scalar, the variable offset of a pointer */
	uint32_t id;           /* shared by copies: a NULL check refines all of them */
	uint32_t ref_obj_id;   /* reference this pointer holds (ringbuf record), 0 if none */
	uint32_t map_idx;      /* map of CONST_PTR_MAP / MAP_VALUE / MAP_KEY */
	uint32_t mem_size;     /* bytes behind a PTR_MEM */
	int32_t range;         /* packet bytes known readable from the packet start + off */
	uint8_t frameno;       /* frame of a PTR_STACK */
};

/* Per-byte stack slot types (the kernel's STACK_*). */
enum bvc_stype {
	BVC_STACK_INVALID = 0, /* never written */
	BVC_STACK_SPILL,       /* part of a spilled register */
	BVC_STACK_MISC,        /* some bytes */
	BVC_STACK_ZERO,        /* known zero bytes */
};

struct bvc_slot {
	uint8_t stype[8];      /* enum bvc_stype per byte, [0] = lowest address */
	struct bvc_reg spilled; /* the register when stype is all SPILL (or a partial spill) */
};

struct bvc_frame {
	struct bvc_reg regs[BVC_MAX_REG];
	struct bvc_slot *slots; /* slot i covers fp-8*(i+1) .. fp-8*i-1 */
	uint32_t nslots;       /* slots allocated (grown on first touch) */
	int32_t callsite;      /* call insn in the caller, -1 for the main frame */
	uint32_t subprog;      /* index of the function */
	uint32_t frameno;      /* depth: 0 for main */
	uint32_t stack_depth;  /* deepest byte touched below fp */
	/* Stack liveness along the path (prune.c, the kernel's REG_LIVE_READ
	 * and REG_LIVE_WRITTEN marks on slots): */
	uint64_t unread;       /* (checkpoints) slots no path below has read yet;
				* 0, the default, means "all may be read" */
	uint64_t written;      /* slots fully written since the parent checkpoint */
	bool linked;           /* the same frame as the parent checkpoint's
				* frame of this number (false: pushed since) */
	/* Callbacks (call.c, the kernel's in_callback_fn / callback_depth):
	 * this frame is a callback's, entered from the helper call at
	 * @callsite, to which its exit returns (the helper then runs again
	 * and decides whether to enter it once more); @callback_depth counts
	 * the callback's iterations entered from this frame's current call.
	 * @cb_ref_base: references of ids above it were acquired inside. */
	bool in_callback;
	uint32_t callback_depth;
	uint32_t cb_ref_base;
	uint32_t cb_nrefs;     /* references held when the callback was entered */
};

/*
 * One remembered step of a state's path since its parent checkpoint (the
 * kernel's insn history): the first instruction of the segment, every
 * instruction reached other than by falling through, and instructions
 * whose backtracking needs more than their encoding (a spill or fill, the
 * scalars linked at a branch). Backtracking reads it from the end.
 */
struct bvc_hist {
	uint32_t idx;          /* the instruction */
	uint32_t prev;         /* the one executed before it (BVC_HIST_NONE: none) */
	uint32_t flags;        /* BVC_HIST_* */
	uint64_t linked;       /* scalars sharing an id at a branch (precise.c packs them) */
};

#define BVC_HIST_NONE UINT32_MAX
#define BVC_HIST_STACK (1u << 0)     /* a spill or fill of slot SPI of frame FRAME */
#define BVC_HIST_SRC_STACK (1u << 1) /* a branch's source register is a stack pointer */
#define BVC_HIST_DST_STACK (1u << 2) /* ... its destination register */
#define BVC_HIST_FRAME(f) (((f) >> 8) & 0x7)
#define BVC_HIST_SPI(f) (((f) >> 16) & 0x3f)
#define BVC_HIST_STACK_AT(frame, spi) (BVC_HIST_STACK | (uint32_t)(frame) << 8 | (uint32_t)(spi) << 16)

/* Registers and stack slots, per frame, whose values must be precise: the
 * backtracking mask, and the demand a work item's root passes on. */
struct bvc_prec_mask {
	uint16_t regs[BVC_MAX_FRAMES];
	uint64_t slots[BVC_MAX_FRAMES];
	bool all;              /* every scalar (backtracking could not follow) */
};

struct bvc_state {
	struct bvc_frame *frames[BVC_MAX_FRAMES];
	uint32_t curframe;     /* index of the innermost frame */
	uint32_t refs[BVC_MAX_REFS]; /* ids of acquired references */
	uint32_t nrefs;
	uint32_t insn_idx;     /* where this state is (checkpoints: their insn) */
	struct bvc_state *parent; /* closest checkpoint above on the path */
	uint32_t branches;     /* paths below this state still being explored */
	uint8_t *trail;        /* branch decisions from the entry, bit per branch */
	uint32_t trail_len;    /* decisions in @trail */
	uint64_t anchor_id;    /* an accepted work item's root: done when branches hit 0 */
	uint32_t hit_cnt;      /* (checkpoints) paths pruned against it */
	uint32_t miss_cnt;     /* (checkpoints) comparisons that failed */
	/* The path since the parent checkpoint, for precision backtracking:
	 * instructions first_insn .. last_insn (checkpoints) or .. the
	 * current one, with the history of the steps between. */
	struct bvc_hist *hist;
	uint32_t nhist, cap_hist;
	uint32_t first_insn;
	uint32_t last_insn;
	struct bvc_prec_mask *demand; /* (work item roots) precision asked of the owner */
	uint64_t seq;          /* (checkpoints) creation order, from 1 */
	bool remote;           /* (checkpoints) finished in another engine */
	/* (checkpoints) what any state it includes must share, cheap to test
	 * before bvc_states_equal (prune.c bvc_state_sig): the innermost
	 * frame's live registers' types; @sig_mask 0 tests nothing. */
	uint64_t sig, sig_mask;
	/* (finished checkpoints, set at their first comparison) the
	 * innermost frame's slots a comparison tests, and those of them
	 * holding a spilled pointer: cur must hold one in exactly those. */
	uint64_t cmp_slots, ptr_slots;
	bool slots_summed;
	bool evicted;          /* (checkpoints) off the explored lists: freed
				* when @branches reaches 0 (prune.c) */
	bool in_share;         /* (checkpoints) on env->share: not freed yet */
	uint32_t cb_unroll;    /* callback iterations entered on this path (the
				* kernel's callback_unroll_depth) */
};

/* A state waiting to be explored: the taken side of a branch. */
struct bvc_pending {
	struct bvc_state *st;
	uint32_t insn;
	uint32_t prev_insn;
	uint64_t log_pos;      /* the log's length when pushed: level 1 cuts back to it */
};

/* Per-instruction facts, static and collected along every path. */
struct bvc_insn_aux {
	bool prune_point;      /* checkpoint candidates live here */
	bool seen;             /* some path reached it */
	uint16_t live_regs;    /* registers read before written from here on (bit per reg) */
	uint64_t live_slots;   /* own stack slots (bit i: fp-8*(i+1)) that may be read
				* before a full 8-byte write from here on */
	int8_t ptr_type;       /* memory insns: enum bvc_rtype of the base, -1 unset */
	int32_t ctx_field;     /* ctx accesses: field index, -1 none */
	uint16_t ctx_field_off; /* ctx accesses: the field's offset in the kernel struct */
	uint8_t ctx_field_size; /* ctx accesses: the field's size */
	int32_t map_idx;       /* helper calls with a map argument: the map, -1 none/-2 several */
	bool calls_callback;   /* a helper call that runs a callback (bpf_loop): a
				* forced checkpoint, where callback iterations converge */
};

struct bvc_idmap;

/* A callback loop being explored (prune.c; the kernel's SCC visit of a
 * callback-calling instruction): the call chain to the helper call, the
 * first checkpoint that reached it, and whether a path was pruned against
 * an unfinished checkpoint of it (a back edge) since. */
struct bvc_cb_visit {
	uint32_t key[BVC_MAX_FRAMES]; /* call sites of frames 1..n-1, then the helper call */
	uint32_t nkey;
	struct bvc_state *entry;     /* NULL: no visit under way */
	bool backedge;
};

struct bvc_checkpoint_list {
	struct bvc_state **v;
	uint32_t n, cap;
};

struct bvc_subprog {
	uint32_t start;        /* first insn */
	uint32_t end;          /* one past the last */
	uint32_t stack_depth;  /* deepest stack use on any path */
};

struct bvc_env {
	const struct bvc_image *img;
	const struct bvc_prog *prog;
	const struct bvc_insn *insns;
	uint32_t cnt;
	struct bvc_verify_opts opts;
	bool gpl;              /* licence is GPL-compatible */

	struct bvc_subprog subprogs[BVC_MAX_FUNCS];
	uint32_t nsubprogs;
	struct bvc_insn_aux *aux;
	struct bvc_checkpoint_list *explored; /* per insn */
	struct bvc_checkpoint_list retired; /* (keep_evicted) evicted checkpoints, kept to the end */
	bool keep_evicted;     /* bvc_engine_keep_checkpoints(): never free one */
	struct bvc_arena *arena; /* where every state of this engine lives */
	struct bvc_idmap *idmap; /* scratch for bvc_states_equal */

	struct bvc_state *cur;
	struct bvc_pending *pending;
	uint32_t npending, cap_pending;
	uint32_t insn_idx, prev_insn_idx;
	uint32_t id_gen;       /* last id handed out */
	uint32_t max_stack;    /* deepest call chain's stack (bvc_check_max_stack_depth) */
	bool hist_open;        /* cur's last history entry is this instruction's */
	uint64_t precise_walks, precise_fallbacks; /* backtracking statistics */

	/* Global functions (global.c): called ones are verified after the
	 * main program, each once, in the kernel's order. */
	uint8_t gflags[BVC_MAX_FUNCS]; /* per function: called, verified */
	uint32_t gscan;        /* the next function the current pass looks at */
	bool grescan;          /* a call named one not yet verified: pass again */
	uint32_t gphase;       /* the global function being verified, 0: none */

	struct bvc_cb_visit *cb_visits;
	uint32_t n_cb_visits, cap_cb_visits;
	bool has_callbacks;    /* some ld_imm64 takes a function's address: the
				* program is explored whole in this engine (split.c) */

	uint64_t processed;    /* instructions processed (the kernel's insn_processed) */
	uint64_t jmps_processed, prev_jmps, prev_insns;
	uint64_t total_states, peak_states, cur_states;
	uint32_t max_states_per_insn;

	/* The verdict: the first rejection ends the run. */
	bool rejected;
	enum bvc_verdict_kind err_kind; /* of that rejection: set where it is
					 * raised (bvc_vrej, bvc_vunsup, bvc_vbug) */
	uint32_t err_insn;
	char err[256];
	uint8_t *err_trail;       /* the failing path's decisions (bvc_vrej) */
	uint32_t err_trail_len;

	/* Splitting (bpfvc/engine.h): donated items' placeholders, accepted
	 * items' anchors and which of those finished. */
	struct bvc_donation {
		uint64_t id;
		struct bvc_state *parent;
		struct bvc_state *path; /* the item's segment: history, first and last insn */
	} *donated;
	uint32_t ndonated, cap_donated;
	struct bvc_checkpoint_list anchors;
	struct bvc_checkpoint_list done; /* anchors whose subtree finished, not yet polled */
	uint64_t next_work_id;

	/* Pruning across engines: finished checkpoints that pruned a path
	 * here, to offer to the others (at most share_limit), and those
	 * taken from them. */
	struct bvc_checkpoint_list share;
	uint64_t share_limit, shared;
	uint64_t remote_added, remote_hits;

	/* Kernel-style log, when asked for (log.c): text, or past
	 * opts.log_size a ring holding the log's end. */
	char *log;
	size_t log_len, log_cap; /* bytes held, bytes allocated */
	size_t log_start;      /* the ring's oldest byte (0 until it wraps) */
	uint64_t log_true_len; /* bytes the whole log took */
	/* The kernel's level-1/2 log bookkeeping (log.c): what changed since
	 * the last state print, and where the last instruction line ended. */
	uint16_t scratched_regs;  /* registers touched since the last print */
	uint64_t scratched_slots; /* stack slots (bit i: fp-8*(i+1)), idem */
	uint64_t prev_log_pos;    /* log_true_len after the last insn line, 0: none */
	uint32_t prev_insn_print_pos; /* that line's length, newline included */
	const struct bvc_line_info *prev_linfo; /* the source line printed last */
	bool print_from;          /* a path was just taken up: "from X to Y:" next */
	char **insn_text;         /* "N: (op) insn\n" per insn, made once (NULL: none yet) */
	uint32_t *insn_text_len;  /* ... and its length */
};

/* One verification (bpfvc/engine.h): the env, or the verdict the static
 * passes reached before there was one. */
struct bvc_engine {
	struct bvc_env env;
	int early;                 /* 1: the static passes decided; @early_verdict holds it */
	struct bvc_verdict early_verdict;
	uint64_t usec;             /* time spent in bvc_engine_run() */
	bool finished;             /* do_check returned 0 or rejected */
};

/* A work item (split.c): a pending state that moves between engines. */
struct bvc_work {
	uint64_t id;               /* the donor's id (a shared checkpoint: its seq) */
	struct bvc_state *st;      /* owned */
	uint32_t insn, prev_insn;  /* where it resumes, and the insn before */
};

/* Run @body with @reg pointing at every register and spilled register of
 * @st, in every frame. */
#define for_each_reg(st, reg, body)                                                         \
	for (uint32_t _f = 0; _f <= (st)->curframe; _f++) {                                 \
		struct bvc_frame *_fr = (st)->frames[_f];                                   \
		for (int _r = 0; _r < BVC_MAX_REG; _r++) {                                  \
			struct bvc_reg *reg = &_fr->regs[_r];                                \
			body                                                                 \
		}                                                                            \
		for (uint32_t _s = 0; _s < _fr->nslots; _s++) {                             \
			if (_fr->slots[_s].stype[0] != BVC_STACK_SPILL)                      \
				continue;                                                    \
			{                                                                    \
				struct bvc_reg *reg = &_fr->slots[_s].spilled;               \
				body                                                         \
			}                                                                    \
		}                                                                            \
	}

/* Registers of frame @f of @st, not the innermost, that its continuation
 * may read: a callback's caller resumes at the helper call, which runs
 * again on its arguments; a bpf-to-bpf caller after the call, r0-r5
 * rewritten. */
static inline uint16_t bvc_caller_live(const struct bvc_env *env, const struct bvc_state *st,
				       uint32_t f)
{
	const struct bvc_frame *callee = st->frames[f + 1];

	if (callee->in_callback)
		return env->aux[callee->callsite].live_regs;
	return env->aux[callee->callsite + 1].live_regs & ~0x3fu;
}

/* log.c */
/* Reject at the current instruction with a kernel-worded message. */
int bvc_vrej(struct bvc_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Refuse what bpfvc does not model: "unsupported: ..." (never accept). */
int bvc_vunsup(struct bvc_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A "cannot happen" branch ran: the verifier is wrong, not the program.
 * Ends the run with an internal-error verdict ("verifier bug: ..."). */
int bvc_vbug(struct bvc_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The first refusal of the run, of @kind (BVC_REJECT, BVC_UNSUPPORTED or
 * BVC_INTERNAL), with @msg as it is. */
int bvc_vfail(struct bvc_env *env, enum bvc_verdict_kind kind, const char *msg);
/* Append to the log at level >= 1. */
void bvc_vlog(struct bvc_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the log over (NUL-terminated, its end when it outgrew
 * opts.log_size) and the length it would have had whole. */
void bvc_log_take(struct bvc_env *env, char **log, size_t *len, uint64_t *true_len);
/* One frame of @st, every register and slot, then a newline. */
void bvc_log_frame(struct bvc_env *env, const struct bvc_state *st, uint32_t f);
/* Cut the log back to @pos, a former log_true_len. */
void bvc_log_reset(struct bvc_env *env, uint64_t pos);
/* Marks for the next state print: everything (a path starts), the
 * operands of @insn, stack bytes [@lo, @hi) below fp. */
void bvc_scratch_all(struct bvc_env *env);
void bvc_scratch_insn(struct bvc_env *env, const struct bvc_insn *insn);
void bvc_scratch_stack(struct bvc_env *env, int32_t lo, int32_t hi);
/* The kernel's per-instruction log: before it runs, the scratched state
 * after it (print_insn_state), a pruned path, the level-2 prologue. */
void bvc_log_insn(struct bvc_env *env);
void bvc_log_insn_state(struct bvc_env *env, uint32_t idx);
void bvc_log_safe(struct bvc_env *env);
void bvc_log_prologue(struct bvc_env *env);
/* What the log keeps besides its text. */
void bvc_log_free(struct bvc_env *env);

/* branch.c */
int bvc_check_cond_jmp(struct bvc_env *env, const struct bvc_insn *insn);

/* branch.c: push a copy of env->cur that resumes at @insn (NULL: rejected
 * or no memory, err set in the env or -ENOMEM to report). */
struct bvc_state *bvc_push_state(struct bvc_env *env, uint32_t insn, uint32_t prev);

/* call.c */
int bvc_check_helper_call(struct bvc_env *env, const struct bvc_insn *insn);
int bvc_check_func_call(struct bvc_env *env, const struct bvc_insn *insn);
int bvc_check_exit(struct bvc_env *env, bool *path_done);
int bvc_check_max_stack_depth(struct bvc_env *env, uint32_t sp, uint32_t depth, uint32_t frames);
int bvc_check_abnormal_return(struct bvc_env *env);

/* global.c */
const struct bvc_func_info *bvc_func_info_of(const struct bvc_env *env, uint32_t sp);
bool bvc_is_global_subprog(const struct bvc_env *env, uint32_t sp);
/* Is the bpf-to-bpf call at @idx one of a global function? */
bool bvc_is_global_call(const struct bvc_env *env, uint32_t idx);
/* A call of global function @sp: its arguments checked on its BTF types,
 * r0 an unknown scalar after it. 0 to go on after the call. */
int bvc_check_global_call(struct bvc_env *env, uint32_t sp);
/* Nothing left to explore: start the next called global function not yet
 * verified (1: env->cur is its entry), 0 when none is left. */
int bvc_next_global(struct bvc_env *env);
/* A called global function is not verified yet, or one is being verified. */
bool bvc_global_work_left(const struct bvc_env *env);

/* arena.c: blocks of an arena (NULL: plain malloc, for work items in
 * transit); bvc_arena_free() and bvc_arena_usable() need no arena. */
struct bvc_arena *bvc_arena_new(uint64_t limit);
void bvc_arena_free_all(struct bvc_arena *a);
void *bvc_arena_alloc(struct bvc_arena *a, size_t size);
void *bvc_arena_zalloc(struct bvc_arena *a, size_t size);
void *bvc_arena_grow(struct bvc_arena *a, void *p, size_t size);
void bvc_arena_free(void *p);
size_t bvc_arena_usable(const void *p);
uint64_t bvc_arena_bytes(const struct bvc_arena *a);
uint64_t bvc_arena_limit(const struct bvc_arena *a);

/* engine.c: taking a work item needed more than the memory limit: the
 * engine rejects as a run out of memory does; the item is freed. 0. */
struct bvc_work;
int bvc_engine_out_of_memory(struct bvc_engine *eng, struct bvc_work **work);

/* state.c: states and their parts come from @a; freeing needs no arena. */
#define BVC_COPY_TRAIL (1u << 0) /* bvc_state_copy: the trail too */
#define BVC_COPY_HIST (1u << 1)  /* ... and the path history */
struct bvc_state *bvc_state_new(struct bvc_arena *a);
struct bvc_state *bvc_state_copy(struct bvc_arena *a, const struct bvc_state *src, unsigned int what);
void bvc_state_free(struct bvc_state *st);
struct bvc_frame *bvc_frame_new(struct bvc_arena *a);
void bvc_frame_free(struct bvc_frame *fr);
int bvc_grow_stack(struct bvc_arena *a, struct bvc_frame *fr, uint32_t nslots);
int bvc_trail_push(struct bvc_arena *a, struct bvc_state *st, int taken);
size_t bvc_trail_bytes(uint32_t len);
struct bvc_frame *bvc_cur_frame(struct bvc_env *env);
struct bvc_reg *bvc_cur_regs(struct bvc_env *env);
void bvc_mark_reg_not_init(struct bvc_reg *reg);
void bvc_mark_reg_unknown(struct bvc_reg *reg);
void bvc_mark_reg_known(struct bvc_reg *reg, uint64_t v);
bool bvc_is_pointer(const struct bvc_reg *reg);
bool bvc_is_pkt_pointer(const struct bvc_reg *reg);
const char *bvc_rtype_name(const struct bvc_reg *reg);

/* load.c */
bool bvc_license_is_gpl(const char *license);
int bvc_check_load_time(struct bvc_env *env);

/* cfg.c */
int bvc_check_cfg(struct bvc_env *env);

/* alu.c */
int bvc_check_alu(struct bvc_env *env, const struct bvc_insn *insn);

/* mem.c */
int bvc_check_load(struct bvc_env *env, const struct bvc_insn *insn);
int bvc_check_store(struct bvc_env *env, const struct bvc_insn *insn);
int bvc_check_atomic_op(struct bvc_env *env, const struct bvc_insn *insn);
int bvc_check_mem_region(struct bvc_env *env, uint32_t regno, uint64_t size, bool write,
			 bool zero_ok, bool pkt_ok, bool null_ok);
int bvc_check_mem_access_reg(struct bvc_env *env, uint32_t regno, const struct bvc_reg *reg,
			     int32_t off, int size, bool write, const struct bvc_reg *value,
			     int value_regno, struct bvc_reg *dst, bool sign_ext);

/* precise.c */
int bvc_hist_push(struct bvc_env *env, uint32_t flags, uint64_t linked);
int bvc_hist_arrive(struct bvc_env *env);
void bvc_collect_linked(struct bvc_env *env, uint32_t id, uint64_t *linked);
int bvc_mark_precise(struct bvc_env *env, uint32_t regno);
int bvc_mark_precise_slot(struct bvc_env *env, uint32_t frameno, uint32_t spi);
int bvc_propagate_precision(struct bvc_env *env, const struct bvc_state *old);
/* Every scalar of every checkpoint from @st up precise (the walk's
 * fallback). */
void bvc_mark_all_precise(struct bvc_env *env, struct bvc_state *st);
int bvc_apply_demand(struct bvc_env *env, const struct bvc_state *path, struct bvc_state *parent,
		     const struct bvc_prec_mask *demand);

/* prune.c */
int bvc_is_state_visited(struct bvc_env *env, uint32_t insn);
void bvc_update_branch_counts(struct bvc_env *env, struct bvc_state *st);
void bvc_checkpoint_unshared(struct bvc_env *env, struct bvc_state *cp);
/* @mode: 0 against a finished checkpoint, 1 exactly (loops), 2 every
 * register and slot by range (callback convergence, prune.c). */
bool bvc_states_equal(struct bvc_env *env, const struct bvc_state *old, const struct bvc_state *cur,
		      int mode);
void bvc_mark_slots_read(struct bvc_env *env, uint32_t frameno, uint64_t slots);
void bvc_mark_slots_written(struct bvc_env *env, uint32_t frameno, uint64_t slots);
void bvc_mark_all_read_above(struct bvc_state *st);
void bvc_explored_free(struct bvc_env *env);
void bvc_state_sig(const struct bvc_env *env, const struct bvc_state *st, uint32_t insn,
		   uint64_t *sig, uint64_t *mask);
int bvc_list_push(struct bvc_checkpoint_list *l, struct bvc_state *st);

#endif /* BVC_VERIFIER_ENGINE_INTERNAL_H */
