/* SPDX-License-Identifier: MIT */
/*
 * bpfvc coordinator: owns a verification job and hands its work items to
 * workers over a ZeroMQ ROUTER socket (docs/design.md section 4).
 *
 * The placement plan (one local worker per core, from hwloc) and the
 * handshake. The coordinator answers every Hello, and every frame refused
 * for a protocol reason (another version), with its own Hello, so a worker
 * can say why it was refused; it never answers garbage.
 *
 * The cluster (bvc_cluster_*): local worker processes spawned, pinned and
 * handshaken, and verification jobs split across them with leases,
 * donation, heartbeats and re-queues (coordinator/cluster.c, lease.c and
 * batch.c have the message flow; docs/wire-protocol.md). Remote workers join over a tcp
 * --bind endpoint, CURVE with a ZAP allow-list of worker keys (plain only
 * when the caller says insecure: docs/deploy.md). Every count and index a
 * worker sends is checked before use; a peer that breaks the protocol is
 * declared dead and its work re-queued, so it cannot change a verdict. A batch keeps several programs in flight at once:
 * idle workers start the next program, and donations balance the rest.
 * Finished checkpoints are shared (the global pruning cache) and each
 * function's deepest stack use and the per-instruction facts are merged
 * over workers.
 *
 * Verdicts are final and fail closed: an acceptance comes only when every
 * path ended safe on the workers and the call chains passed the stack
 * check over the merged depths, here; a job that failed carries an error
 * and a BVC_INTERNAL verdict, never an acceptance.
 *
 * Every receive has a timeout: no call here can block forever.
 */
#ifndef BPFVC_COORDINATOR_H
#define BPFVC_COORDINATOR_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/state_serial.h"
#include "bpfvc/worker.h"

/* Where local workers go: one per core of the cores this process may use. */
struct bvc_coord_plan {
	unsigned int ncores;         /* cores found (hwloc, allowed PUs only) */
	unsigned int npus;           /* hardware threads in them */
	unsigned int nworkers;       /* entries in @slots */
	struct bvc_core_slot *slots; /* worker i runs on slots[i] */
	char *topology;              /* human description of machine and plan, for -v */
};

/* Plan @nworkers workers (0: one per core). With more workers than cores,
 * worker i goes to core i mod ncores. Returns 0, -ENOMEM, or -EIO when hwloc
 * cannot read the topology. */
int bvc_coord_plan_cores(unsigned int nworkers, struct bvc_coord_plan **out, char *err,
			 size_t errsz);
void bvc_coord_plan_free(struct bvc_coord_plan *plan);

struct bvc_coord_opts {
	size_t sz;            /* sizeof(struct bvc_coord_opts), for growth */
	uint32_t cores;       /* cores announced in our Hello */
	const char *build_id; /* announce and require this build id instead of
			       * ours: for testing the refusal of a mismatch only */
};

struct bvc_coord;

/* Bind a ROUTER socket to @endpoint ("ipc://PATH", "tcp://ADDR:PORT", where
 * ADDR may be the wildcard). @opts may be NULL. */
int bvc_coord_new(const char *endpoint, const struct bvc_coord_opts *opts,
		  struct bvc_coord **out, char *err, size_t errsz);
void bvc_coord_free(struct bvc_coord *c);

/* The endpoint actually bound (a tcp port 0 comes back as the real port). */
const char *bvc_coord_endpoint(const struct bvc_coord *c);

#define BVC_COORD_PEER_ID_MAX 255 /* ZeroMQ routing ids are 1..255 bytes */

struct bvc_coord_peer {
	uint8_t id[BVC_COORD_PEER_ID_MAX]; /* ZeroMQ routing id */
	size_t id_len;                     /* its length */
	struct bvc_wire_hello hello;       /* what the worker announced */
};

/* Wait up to @timeout_ms for one message and run the handshake on it.
 * Returns 0 with @peer filled when a worker's Hello matched ours (it has
 * been answered); -ETIMEDOUT when nothing came; otherwise the message is
 * refused and @err names the peer and the reason: -EBADMSG/-EMSGSIZE for
 * garbage, -EPROTO for a protocol violation (another version or build id,
 * several frames, a message other than Hello). */
int bvc_coord_handshake(struct bvc_coord *c, int timeout_ms, struct bvc_coord_peer *peer,
			char *err, size_t errsz);

/* Also listen on @endpoint (say "tcp://\*:7000"), for workers on other
 * machines. With @kp (our key pair) the new listener is CURVE: a ZAP
 * handler thread lets in only workers whose public key is in @trust; any
 * other peer is refused during the CURVE handshake, before it can send a
 * message. bvc_coord_endpoint() then names this endpoint. */
int bvc_coord_bind_curve(struct bvc_coord *c, const char *endpoint,
			 const struct bvc_curve_keypair *kp, const struct bvc_curve_trust *trust,
			 char *err, size_t errsz);
/* Peers the CURVE authenticator refused so far. */
uint64_t bvc_coord_refused(const struct bvc_coord *c);

/* --- the cluster --------------------------------------------------------- */

#include "bpfvc/verifier.h"

struct bvc_cluster_progress {
	double secs;            /* since the batch started */
	uint64_t processed;     /* instructions so far, summed over workers and jobs */
	uint64_t states;        /* checkpoints reported so far (at Finished) */
	unsigned int busy, live; /* workers exploring, workers alive */
	size_t jobs, jobs_done; /* programs in the batch, programs with a verdict */
	unsigned int running;   /* programs in flight */
};

struct bvc_cluster_opts {
	size_t sz;              /* sizeof(struct bvc_cluster_opts), for growth */
	unsigned int nworkers;  /* local worker processes, >= 1 */
	const char *exe;        /* bpfvc binary run as "EXE worker ..."; NULL:
				 * /proc/self/exe (the caller is bpfvc) */
	int pin;                /* pin each worker to its planned core */
	int heartbeat_ms;       /* 0: BVC_WIRE_HEARTBEAT_MS */
	int handshake_ms;       /* 0: 10 s for every worker to say hello */
	/* Remote workers: also listen on @bind ("tcp://\*:PORT"); workers
	 * that connect there join at any time, even during a job. With
	 * nworkers 0 (then @bind is needed) we wait up to wait_ms for the
	 * first one, and so long again for a new one when all are gone. */
	const char *bind;
	int wait_ms;            /* 0: 30 s */
	const struct bvc_curve_keypair *curve; /* CURVE on @bind: our keys */
	const struct bvc_curve_trust *trust;   /* the worker keys let in */
	/* Joins, refusals and deaths, one line each (for -v); NULL: quiet */
	void (*log)(void *arg, const char *line);
	void *log_arg;
	/* Called about every 250 ms during a job (for a progress line) */
	void (*progress)(void *arg, const struct bvc_cluster_progress *p);
	void *progress_arg;
	/* A @bind other than ipc:// without @curve is refused (-EPERM)
	 * unless this is set: a joined worker's results are the verdict
	 * (docs/deploy.md, "Trust") */
	int insecure;
	/* Each local worker's memory limit (bpfvc worker --mem-limit, what
	 * bvc_verify_opts.mem_limit is there); 0: the worker's default */
	uint64_t worker_mem_limit;
};

/* One worker as seen by the coordinator; counts are for the last batch. */
struct bvc_cluster_worker_stats {
	char name[64];          /* "local wI" or the remote's routing id */
	int remote;             /* joined over --bind */
	uint64_t bytes_sent, bytes_recv; /* wire bytes to and from it */
	uint64_t prune_remote;  /* paths it pruned against other workers'
				 * checkpoints (the global cache) */
	int pid;                /* its process (0: remote) */
	unsigned int core;      /* planned core (hwloc logical index) */
	char cpuset[BVC_CPUSET_STR_MAX]; /* its PUs */
	uint64_t items;         /* work items leased to it */
	uint64_t donated;       /* work items it gave */
	uint64_t asks;          /* Donate requests it got */
	uint64_t processed;     /* instructions it processed */
	uint64_t total_states, peak_states; /* its engines' checkpoints */
	char dead[64];          /* why it was declared dead, "" if alive */
	uint64_t msgs_sent, msgs_recv; /* wire messages to and from it */
};

struct bvc_cluster_job_stats {
	uint64_t donations;     /* work items moved between workers */
	uint64_t requeued;      /* leases taken back from dead workers */
	uint64_t entry_restarts; /* entry restarted after its holder died */
	uint64_t deaths;        /* workers declared dead while it ran */
	uint64_t processed;     /* sum over workers */
	uint64_t checkpoints;   /* finished checkpoints shared through the cache */
	/* Deepest stack use of each function, maxima over every worker's
	 * paths (for the call-chain check, bvc_engine_merge_stack_depths()). */
	uint32_t stack_depths[BVC_MAX_FUNCS];
	uint32_t nfuncs;        /* entries in @stack_depths, 0 if no worker said */
};

struct bvc_cluster;

/* Plan, spawn (fork + exec, before this process has a ZeroMQ context),
 * bind an ipc endpoint in a fresh temp dir and handshake @opts->nworkers
 * workers; with @opts->bind, also listen there and (with no local worker)
 * wait for the first remote one. Returns 0, or a negative errno with @err
 * set (-ETIMEDOUT: no worker came; -EPERM: a plain non-ipc @bind without
 * @insecure). */
int bvc_cluster_new(const struct bvc_cluster_opts *opts, struct bvc_cluster **out, char *err,
		    size_t errsz);

/* Say goodbye to the workers, reap them (SIGKILL after 1 s), remove the
 * temp dir. NULL is fine. */
void bvc_cluster_free(struct bvc_cluster *cl);

/* Verify program @prog_name of the ELF object @object (@len bytes) on the
 * cluster; raw bytecode is passed with @prog_name "raw:TYPE". 0 with
 * @out filled (kind, insn, msg, processed, states: with a finite
 * vopts->insn_limit one worker's, as in one process; with none the sum
 * over workers;
 * an accepted program's merged facts, deepest call chain and per-function
 * frames; no log), or a negative errno for a failure (the program cannot
 * be loaded, a work item lost 3 times, every worker dead, a worker's
 * internal error) with @err set and @out of kind BVC_INTERNAL. */
int bvc_cluster_verify(struct bvc_cluster *cl, const void *object, size_t len,
		       const char *prog_name, const struct bvc_verify_opts *vopts,
		       struct bvc_verdict *out, char *err, size_t errsz);

/* One program of a batch: what to verify and, once its done callback
 * ran, what came of it. */
struct bvc_cluster_job {
	const void *object;     /* ELF object or raw bytecode, kept until the batch returns */
	size_t len;
	const char *prog_name;  /* the program in it, or "raw:TYPE" */
	uint64_t insn_limit;    /* as in one process: such a job is not split
				 * (docs/design.md section 4, "The budget");
				 * 0: none, and the job is split */
	uint32_t prog_flags;
	/* filled in */
	int err;                /* 0, or a negative errno: a failure of this
				 * job (a work item lost 3 times, a program
				 * that cannot be loaded, a worker's internal
				 * error, ...), said in @errmsg; the verdict
				 * is then BVC_INTERNAL */
	char errmsg[256];
	struct bvc_verdict verdict; /* kind, insn, msg, processed, states; an
				     * accepted one has the facts merged over
				     * workers and its call chains checked
				     * (stack_depth, func_stack), a rejected
				     * one the failing path's trail
				     * (opts.follow replays it);
				     * bvc_verdict_release() frees them; no
				     * log. Zeroed when the batch starts */
	struct bvc_cluster_job_stats stats;
	double secs;            /* from its start to its verdict */
};

typedef void (*bvc_cluster_done_fn)(void *arg, size_t index);

/*
 * Verify @n programs as one batch, several in flight at once (at most 16):
 * an idle worker starts the next program; when none is left to start,
 * idle workers get work donated by busy ones, oldest program first. @done
 * (may be NULL) is called with a program's index as soon as its entry is
 * filled in, in the order they end. Returns 0 when every entry is filled
 * in (each with its own @err), or a negative errno when the cluster
 * itself failed (every worker dead, none joined in time): @err says why
 * and the entries not yet done carry it too.
 */
int bvc_cluster_verify_batch(struct bvc_cluster *cl, struct bvc_cluster_job *jobs, size_t n,
			     bvc_cluster_done_fn done, void *arg, char *err, size_t errsz);

const char *bvc_cluster_topology(const struct bvc_cluster *cl);
/* The progress callback's @arg for the next jobs (say, the program name). */
void bvc_cluster_set_progress_arg(struct bvc_cluster *cl, void *arg);
/* The remote endpoint as bound (a port 0 resolved), or "" without bind. */
const char *bvc_cluster_endpoint(const struct bvc_cluster *cl);
/* Workers ever seen, live or dead (indexes for bvc_cluster_worker()). */
unsigned int bvc_cluster_size(const struct bvc_cluster *cl);
const struct bvc_cluster_worker_stats *bvc_cluster_worker(const struct bvc_cluster *cl,
							  unsigned int i);
const struct bvc_cluster_job_stats *bvc_cluster_last_job(const struct bvc_cluster *cl);

#endif /* BPFVC_COORDINATOR_H */
