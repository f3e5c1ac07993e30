/* SPDX-License-Identifier: MIT */
/*
 * bpfvc verifier: decide whether one program of an image is safe.
 *
 * A rejected program is a result, not an error: bvc_verify() returns 0 with
 * verdict BVC_REJECT, the instruction and the message. Only infrastructure
 * failures (memory) are negative.
 *
 * The engine explores every path in one process (verifier/engine.c has
 * the essay). What it does not model is refused with "unsupported: ..."
 * (kind BVC_UNSUPPORTED): it never accepts what it has not modelled.
 *
 * Fail-closed: a verdict is an acceptance only when its kind says so
 * (bvc_verdict_accepted()). The zero kind is "no verdict", so a verdict
 * nobody filled in (memset, calloc, = { 0 }, an error path) never reads
 * as accepted. Code decides on the kind, never on the message's text.
 */
#ifndef BPFVC_VERIFIER_H
#define BPFVC_VERIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/image.h"

enum bvc_verdict_kind {
	BVC_VERDICT_NONE = 0, /* no verdict: not filled in, or the run failed */
	BVC_ACCEPT = 1,       /* every path explored and safe, every check passed */
	BVC_REJECT = 2,       /* unsafe: the program's fault, in the kernel's words */
	BVC_UNSUPPORTED = 3,  /* refused: uses what bpfvc does not model */
	BVC_INTERNAL = 4,     /* a verifier bug ("cannot happen") or an
			       * infrastructure fault: says nothing about the
			       * program, and is never an acceptance */
};

struct bvc_verify_opts {
	size_t sz;           /* sizeof(struct bvc_verify_opts), for growth */
	uint64_t insn_limit; /* processed-insn budget; 0 = none */
	int log_level;       /* 0, 1, 2, 4 as the kernel */
	uint32_t prog_flags; /* BPF_F_* load flags; unmodelled ones are refused */
	/* Follow one path only: at the i-th branch the path meets, go on as
	 * bit i of @follow says (1: the branch's other side, as pushed), with
	 * no pruning. A rejection's @trail gives the path to it, so this
	 * reproduces the failing path alone, with its log (the cluster's
	 * rejections are found in another process). */
	const uint8_t *follow;
	uint32_t follow_len; /* bits in @follow; 0: explore every path */
	/* Bytes of log kept (0: 64 MiB). A longer log keeps its end, where
	 * the error and the stats are, as the kernel's rotating log: the
	 * start is dropped, possibly mid-line. */
	uint32_t log_size;
	/* Bytes the verifier's states (checkpoints, pending branches, their
	 * frames, stacks, trails and path histories) may take in this
	 * process, over every engine running in it. A run that needs more is
	 * rejected as too large ("... exceed the memory limit of N MiB"),
	 * like one past @insn_limit. 0: bvc_mem_limit_default(1). */
	uint64_t mem_limit;
};

/* The default memory limit of one of @nprocs verifying processes on this
 * machine: three quarters of the memory available now, shared evenly
 * (64 MiB at least). */
uint64_t bvc_mem_limit_default(unsigned int nprocs);

/* What the verifier proved about one instruction on every path that
 * reached it: the facts a JIT needs to translate it. */
struct bvc_insn_fact {
	uint8_t seen;          /* some path reached it (unreached code is dead) */
	int8_t mem_base;       /* loads/stores/atomics: the base pointer's type
				* (BVC_FACT_*), -1 for other instructions */
	int16_t ctx_field;     /* ctx accesses: field index in the program type's
				* layout, -1 otherwise */
	uint16_t ctx_field_off; /* ctx accesses: offset of that field in the
				 * kernel's context struct */
	uint8_t ctx_field_size; /* ctx accesses: the field's size in bytes */
	int32_t map_idx;       /* helper calls taking a map: the map's index in the
				* image, -1 none, -2 different maps on different paths */
};

/* Merge @f (facts of other paths through the same instruction) into @into.
 * Returns 0, or -1 when one saw the context and the other another pointer:
 * the kernel refuses that ("same insn cannot be used with different
 * pointers"), whichever paths came first. */
int bvc_fact_merge(struct bvc_insn_fact *into, const struct bvc_insn_fact *f);

/* One function's own stack (its frame, not the call chain's). */
struct bvc_func_stack {
	uint32_t insn;         /* its first instruction */
	uint32_t depth;        /* bytes below its frame pointer used on any path */
};

/* Base pointer kinds of bvc_insn_fact.mem_base. */
enum {
	BVC_FACT_CTX = 2,      /* the context: the JIT rewrites the access */
	BVC_FACT_STACK = 6,    /* the frame's stack */
	BVC_FACT_OTHER = 100,  /* map value, packet, ringbuf record: plain memory */
	BVC_FACT_SOCK = 101,   /* a full socket (struct bpf_sock view): the kernel
				* rewrites the access into its own structs; no
				* device holds sockets */
	BVC_FACT_SOCK_COMMON = 102, /* a socket's common part (sock_common) */
	BVC_FACT_TCP_SOCK = 103,    /* a TCP socket (struct bpf_tcp_sock view) */
};
/* Each socket view is rewritten its own way: like the context, one
 * instruction may use one of them only. */
#define BVC_FACT_IS_SOCK(base) ((base) >= BVC_FACT_SOCK && (base) <= BVC_FACT_TCP_SOCK)

struct bvc_verdict {
	enum bvc_verdict_kind kind; /* BVC_*; 0 (BVC_VERDICT_NONE) is no verdict */
	size_t insn;                /* instruction a refusal is about */
	char msg[256];              /* kernel-worded message, "" on accept */
	uint64_t processed;         /* processed instructions */
	uint64_t total_states;      /* checkpoints created */
	uint64_t peak_states;       /* checkpoints alive at once */
	uint32_t max_states_per_insn; /* longest checkpoint list */
	char *log;                  /* kernel-style log (opts.log_level > 0), owned */
	size_t log_len;             /* bytes in @log */
	uint64_t log_true_len;      /* bytes the whole log took: more than
				     * @log_len when its start was dropped
				     * (opts.log_size) */
	uint8_t *trail;             /* rejected on a path: its branch decisions
				     * from the entry (see opts.follow), owned */
	uint32_t trail_len;         /* bits in @trail */
	struct bvc_insn_fact *facts; /* accepted programs: one per instruction, owned */
	size_t fact_cnt;            /* == the program's insn_cnt when set */
	uint32_t stack_depth;       /* accepted: deepest call chain's stack, bytes */
	struct bvc_func_stack *func_stack; /* accepted: per function, in program
					    * order, owned; NULL: unknown (a JIT
					    * then gives every frame @stack_depth) */
	size_t func_cnt;            /* entries in @func_stack */
};

/* True only for a verdict of kind BVC_ACCEPT: the one predicate that lets a
 * program through (a NULL or zeroed verdict is not an acceptance). */
int bvc_verdict_accepted(const struct bvc_verdict *v);

/* "accept", "reject", "unsupported", "internal", or "none" for any other
 * value (BVC_VERDICT_NONE included). */
const char *bvc_verdict_kind_name(enum bvc_verdict_kind kind);

/* Free what a verdict owns (log, facts); the struct itself is the caller's. */
void bvc_verdict_release(struct bvc_verdict *v);

/* Verify @prog of @img. Returns 0 with @out filled, or a negative errno. */
int bvc_verify(const struct bvc_image *img, const struct bvc_prog *prog,
	       const struct bvc_verify_opts *opts, struct bvc_verdict *out);

#endif /* BPFVC_VERIFIER_H */
