/* SPDX-License-Identifier: MIT */
/*
 * What coordinator/ files share: the coordinator's socket (router.c), and
 * the cluster's state: workers, jobs in flight and their work items, which
 * cluster.c (spawning, membership, messages, health), lease.c (leases and
 * the work queue) and batch.c (jobs, verdicts, the batch loop) each own a
 * part of. Not installed.
 */
#ifndef BVC_COORD_INTERNAL_H
#define BVC_COORD_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bpfvc/coordinator.h"

struct bvc_coord {
	void *ctx;        /* ZeroMQ context, ours alone */
	void *sock;       /* ROUTER bound to endpoint */
	char endpoint[512]; /* as bound (ZMQ_LAST_ENDPOINT) */
	uint32_t cores;   /* cores announced in our Hello */
	char build_id[BVC_WIRE_BUILD_ID_MAX + 1]; /* build id we announce and require */
	/* CURVE: the ZAP handler thread and the keys it lets in */
	pthread_t zap_thread;
	int zap_running;
	volatile int zap_stop;
	void *zap_sock;   /* REP on inproc://zeromq.zap.01, the thread's */
	uint8_t (*trusted)[32];
	size_t ntrusted;
	uint64_t zap_refused, zap_accepted;
};

/* Why bvc_coord__hello() refused a message: its callers act on this,
 * never on the words of the error. */
enum bvc_hello_fault {
	BVC_HELLO_OK = 0,
	BVC_HELLO_GARBAGE,   /* not a message we can read (another protocol
			      * version included: answered with our Hello) */
	BVC_HELLO_NOT_HELLO, /* a valid message, but not a Hello (say, a late
			      * one from a worker we declared dead) */
	BVC_HELLO_MISMATCH,  /* a Hello we refuse: another protocol version
			      * or verifier build id */
	BVC_HELLO_SEND,      /* our answering Hello could not be sent */
};

/* The handshake on a message already received from @peer (routing id
 * filled): same results as bvc_coord_handshake(); @fault (may be NULL)
 * says which refusal it was. */
int bvc_coord__hello(struct bvc_coord *c, struct bvc_coord_peer *peer, const void *payload,
		     size_t len, enum bvc_hello_fault *fault, char *err, size_t errsz);

/* Make the accepted verdict @v of a cluster job final (coordinator/
 * verdict.c): the call-chain stack check over the workers' merged depths
 * in @js, with the per-function frames a JIT needs; it may become a
 * refusal. A refusal is left as it is. 0 done; a negative errno with @why
 * set when the check could not run (-ENODATA: no depths, or facts of
 * another size), and then @v must not be taken as accepted. */
int bvc_coord__final_verdict(const struct bvc_image *img, const struct bvc_prog *prog,
			     uint32_t prog_flags, const struct bvc_cluster_job_stats *js,
			     struct bvc_verdict *v, char *why, size_t whysz);

/* --- the cluster (cluster.c, lease.c, batch.c) ---------------------------- */

#define MAX_ATTEMPTS 3 /* leases of one item, or starts of one entry, before the job fails */
/* Jobs in flight at once; each worker holds at most this many. */
#define MAX_INFLIGHT 16
_Static_assert(MAX_INFLIGHT <= BVC_WIRE_MAX_JOBS, "workers hold every job in flight");

enum { ITEM_QUEUED, ITEM_LEASED };

/* A donated work item, from its Work to its Done: then it is freed (an
 * explosion donates thousands; only those in flight are kept). */
struct item {
	uint64_t id;        /* ours on the wire, per job, from 1 up */
	int donor;          /* worker that gave it */
	uint64_t donor_wid; /* the donor's id for it */
	int holder;         /* worker exploring it, -1 while queued */
	int state;          /* ITEM_* */
	int attempts;       /* leases so far */
	void *bytes;        /* encoded Work (with our id), kept for re-queues */
	size_t len;
	/* In its holder's list of leases in the job (struct wjob), so that
	 * taking a dead worker's leases back costs its leases, not the
	 * job's items. */
	struct item *lease_prev, *lease_next;
};

/* One worker's part in one job in flight. */
struct wjob {
	int has_job;        /* the Job went to it: it holds the job's engines */
	int busy;           /* has (or may have) something to explore in it */
	int donate_out;     /* a Donate request for the job is unanswered */
	int entries;        /* entry starts of the job it holds */
	uint64_t processed; /* its instructions in the job (heartbeats, Finished) */
	uint64_t total_states, peak_states, prune_remote; /* from its Finished */
	/* The job's items leased to it now, lowest id first. */
	struct item *leases, *leases_tail;
	double asked_at;    /* ms: our last Donate to it in the job */
};

struct cworker {
	pid_t pid;          /* child process, 0 once reaped or remote */
	int alive;          /* handshaken and not dead */
	int remote;         /* joined over opts->bind */
	uint8_t rid[BVC_COORD_PEER_ID_MAX]; /* routing id ("wI-RANDOM" for local ones) */
	size_t rid_len;
	int violated;       /* declared dead for a protocol violation */
	int told;           /* dead, and told so when it spoke again */
	double last_heard;  /* ms */
	struct wjob jobs[MAX_INFLIGHT]; /* by the job's slot in the cluster */
	struct bvc_cluster_worker_stats st; /* for the last batch */
};

/* A job in flight: one program of the batch. */
struct cjob {
	struct bvc_cluster_job *out; /* the caller's entry; NULL: a free slot */
	size_t index;             /* in the batch, for the done callback */
	uint64_t id;              /* on the wire */
	uint64_t limit;           /* instructions (one worker's: @whole), 0: none */
	void *job_bytes;          /* the Job without entry: what workers take */
	size_t job_len;
	void *entry_bytes;        /* the Job with start_entry = 1 */
	size_t entry_len;
	/* Donated work items not done yet, by id: an open-addressing table
	 * (a power of two of slots, at most half full), so that Done and
	 * leases find theirs without a scan, and a done item is freed. */
	struct item **map;
	size_t map_cap, map_n;
	uint64_t next_id;         /* the last item id given */
	/* The items waiting for a lease, a min-heap of their ids: leased
	 * lowest id first, without scanning every item every round (an
	 * explosion has many). With @nleased, all that deciding whether the
	 * job still has work needs. */
	uint64_t *waiting;
	size_t nwaiting, cap_waiting;
	size_t nleased;           /* items leased now */
	/* The global cache of finished checkpoints (docs/design.md section 4, step 4): encoded
	 * Checkpoint frames, forwarded to every worker holding the job as
	 * they come, and replayed to a worker when it takes the job. */
	struct { void *bytes; size_t len; } *cps;
	size_t ncps, cap_cps;
	int entry_pending;        /* entry restarts waiting for a live worker */
	int entry_restarts;
	int decided;              /* a Reject (or the budget) decided it */
	enum bvc_verdict_kind kind; /* of that refusal (BVC_REJECT, BVC_UNSUPPORTED) */
	uint64_t insn;
	char msg[BVC_WIRE_MESSAGE_MAX + 1];
	uint8_t *trail;           /* the Reject's failing path, for a replay */
	uint32_t trail_len;
	int fail;                 /* infrastructure failure, negative errno */
	char why[256];
	struct bvc_cluster_job_stats js;
	double t_start;           /* ms */
	/* Per-instruction facts merged over every worker's paths (Finished
	 * carries them): the JIT's facts, and the kernel's "same insn cannot
	 * be used with different pointers" across workers. */
	struct bvc_insn_fact *facts;
	uint32_t insn_cnt;        /* entries in @facts, 0: none yet */
	/* The program, loaded here as the workers load it: the verdict is
	 * made final against it (bvc_coord__final_verdict). */
	struct bvc_image *img;
	const struct bvc_prog *prog;
	/* A finite insn limit: the job is explored whole by one worker, as
	 * one process would (docs/design.md section 4, "The budget"): no
	 * donation, no shared checkpoint, and the verdict's counts are
	 * @canon, those of the worker whose verdict it is. */
	int whole;
	struct wjob canon;
};

struct bvc_cluster {
	struct bvc_cluster_opts opts;
	struct bvc_coord_plan *plan;
	struct bvc_coord *coord;
	char dir[64];             /* temp dir holding the ipc socket */
	char endpoint[128];
	char remote_ep[512];      /* opts->bind as bound, or "" */
	unsigned int n, cap_w;    /* workers ever seen; room in @w */
	unsigned int nlocal;      /* the first nlocal are spawned */
	struct cworker *w;
	uint64_t job_id;          /* the last job id given */
	int in_batch;
	double none_since;        /* ms: when the last worker died, 0 if some live */
	double last_health;       /* ms: the last look for exits and silences */
	int ask_soon;             /* a Donate waits for ASK_MS (lease.c): poll briefly */
	struct cjob jobs[MAX_INFLIGHT];
	struct bvc_cluster_job_stats last; /* of the last job that ended */
	char *err;
	size_t errsz;
	int fail;                 /* the cluster failed (not one job): negative errno */
};


/* Job @cj's slot in the cluster: the index of its wjob in every worker. */
static inline int slot_of(const struct bvc_cluster *cl, const struct cjob *cj)
{
	return (int)(cj - cl->jobs);
}

/* a + b, stopping at UINT64_MAX: no sum of peers' counts wraps. */
static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* cluster.c: the workers, their messages and their health. */
void cl_log(struct bvc_cluster *cl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Send @len bytes to worker @i as one message: 0 or a negative errno. */
int cl_send_bytes(struct bvc_cluster *cl, int i, const void *buf, size_t len);
/* Encode and send @m to worker @i; a worker we cannot reach is dead. */
int cl_send_msg(struct bvc_cluster *cl, int i, const struct bvc_wire_msg *m);
/* Receive and handle every message waiting, after up to @timeout_ms. */
int cl_pump(struct bvc_cluster *cl, int timeout_ms);
/* Reap exited workers, declare the silent ones dead, send heartbeats. */
void cl_check_health(struct bvc_cluster *cl, double *last_beat);
/* Every worker is dead: 0 while a remote one may still join, else the
 * cluster fails (cl->fail). */
int cl_check_alive(struct bvc_cluster *cl);

/* lease.c: who explores what, and taking it back. */
int cl_worker_idle(const struct cworker *w);
int cl_pick_idle(struct bvc_cluster *cl);
int cl_pick_alive(struct bvc_cluster *cl);
void cl_give_job(struct bvc_cluster *cl, struct cjob *cj, int i, int entry);
void cl_start_entry(struct bvc_cluster *cl, struct cjob *cj);
void cl_mark_dead(struct bvc_cluster *cl, int i, const char *why);
void cl_mark_bad(struct bvc_cluster *cl, int i, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cl_on_work(struct bvc_cluster *cl, struct cjob *cj, int i, struct bvc_wire_msg *m);
void cl_on_checkpoint(struct bvc_cluster *cl, struct cjob *cj, int i,
		      const struct bvc_wire_msg *m);
int cl_on_done(struct bvc_cluster *cl, struct cjob *cj, int i, const struct bvc_wire_done *dm);
size_t cl_lease_items(struct bvc_cluster *cl, struct cjob *cj);
/* Free job @cj's items (at its end). */
void cl_free_items(struct cjob *cj);
void cl_ask_donations(struct bvc_cluster *cl, const int *order, int njobs, size_t queued);
/* How long the batch loop may wait for a message before the next round. */
int cl_round_ms(const struct bvc_cluster *cl);

/* batch.c: jobs, their verdicts, and the batch loop. */
void cl_job_fail(struct cjob *cj, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* One message of a job from worker @i, checked before it is used. */
void cl_on_job_msg(struct bvc_cluster *cl, int i, struct bvc_wire_msg *m);

#endif
