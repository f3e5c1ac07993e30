// SPDX-License-Identifier: MIT
/*
 * A cluster of local workers and the jobs run on it (docs/design.md section 4).
 *
 * Setup: plan one core per worker (hwloc), make a fresh temp dir, fork+exec
 * `EXE worker --connect ipc://DIR/sock --id wI --cpuset LIST` for each
 * worker *before* any ZeroMQ context exists in this process (forking a
 * process with ZeroMQ's threads can deadlock the child), then bind the
 * ROUTER and run the Hello handshake with each (build ids must match).
 *
 * A batch: several programs (jobs) in flight at once, at most MAX_INFLIGHT.
 * A worker that is idle in every job starts the next program of the batch
 * (a Job with start_entry = 1); workers take a job's Job lazily, the first
 * time they are to explore something of it, and then get the checkpoints
 * shared so far. Workers report Finished(job) when they have nothing left
 * to explore in that job (once per idle period). When no program is left
 * to start, idle workers are fed by donations: we send Donate to busy
 * ones, oldest job first (at most one request out per worker and job, at
 * most as many as idle workers); a Work from donor D gets a fresh id G
 * within its job (G -> D and D's id; the encoded bytes are kept for a
 * re-queue) and is leased to an idle worker H that holds the job. Done(G)
 * from H is mapped back and sent to D as Done(D's id), which releases D's
 * placeholder. A job is accepted when every live worker is idle in it, no
 * item of it is queued or leased and no Donate for it is out; its first
 * Reject is its verdict. Either way Cancel(job) tells the workers holding
 * it to drop it. The sum of a job's processed instructions over workers
 * (heartbeats carry one count per job) is held to its insn limit. Each
 * Finished also carries the per-instruction facts of the worker's paths;
 * merged, they are the accepted job's facts (for the JIT), and one
 * instruction seen with the context by one worker and with another
 * pointer by another is refused as one process would.
 *
 * Verdicts are final and fail closed: the coordinator loads each job's
 * program itself (as the workers do), and an acceptance by the workers
 * becomes the job's only after the call-chain stack check over their
 * merged depths passed (coordinator/verdict.c). A job that failed (lost
 * items, dead cluster, a worker's internal error, a check that could not
 * run) gets an internal-error verdict, never an acceptance. What a
 * Reject is comes from its kind on the wire, never from its words.
 *
 * Reliability: a worker that exits (waitpid) or misses
 * BVC_WORKER_DEAD_BEATS heartbeats (a generous number: workers beat from a
 * thread of their own, and a loaded machine must not lose live workers) is
 * dead. Its leased items, in every job, go back to the queue (attempt + 1;
 * that job fails with an infrastructure error after 3 attempts of one
 * item, the others go on); if it held an entry, another worker starts
 * that entry again (re-exploring is always sound). Done reports for items
 * whose donor is dead are dropped: that donor's work is being redone.
 *
 * Remote workers (opts->bind): the ROUTER also listens on a tcp endpoint,
 * CURVE with a ZAP allow-list of worker keys; plain only when the caller
 * says insecure in so many words, since a joined worker's results are the
 * verdict (docs/deploy.md). A worker is known by
 * its routing id; a Hello from an id we do not know (or know as dead) is
 * a new worker, which joins at once, idle and holding no job, so the
 * next round hands it a program or a job's work. Remote workers
 * have no pid: only missed heartbeats kill them. When every worker is dead
 * and remote ones may come, the job waits (wait_ms) for one to join; the
 * entry restarts that found nobody are kept pending until then. A remote
 * worker we declared dead that speaks again is told so once (Cancel of
 * BVC_WORKER_REJOIN) and comes back with a fresh Hello as a new worker;
 * whatever else it says meanwhile is dropped: its leases went to others.
 *
 * Peers are checked, message by message, before anything they say is
 * added or used: job ids we gave and a job the peer holds, a Done for an
 * item leased to it, a Work or Donate only in answer to our Donate, a
 * processed count no larger than its engines can reach under the job's
 * limit, one function count per job; sums saturate. A peer that breaks a
 * rule is dead at once (mark_bad): its leases are re-queued without
 * counting as a lost attempt and its counts leave the job's, so a
 * protocol violation costs the peer its work and never changes a verdict.
 * (What a well-formed lie from a peer holding the job does is the trust
 * model's business: docs/deploy.md.) Local workers are spawned with a
 * random routing id, so no remote peer can take one over.
 *
 * Must not: print (the caller prints stats and -v text), block without a
 * timeout, or leave a child process behind.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "bpfvc/coordinator.h"
#include "bpfvc/worker.h"
#include "bpfvc/util.h"
#include "internal.h"

#define HANDSHAKE_MS 10000
#define BVC_STR_(x) #x
#define BVC_STR(x) BVC_STR_(x)
#define MAX_ATTEMPTS 3
/* Jobs in flight at once; each worker holds at most this many. */
#define MAX_INFLIGHT 16
_Static_assert(MAX_INFLIGHT <= BVC_WORKER_MAX_JOBS, "workers hold every job in flight");

enum { ITEM_QUEUED, ITEM_LEASED, ITEM_DONE };

struct item {
	int donor;          /* worker that gave it */
	uint64_t donor_wid; /* the donor's id for it */
	int holder;         /* worker exploring it, -1 while queued */
	int state;          /* ITEM_* */
	int attempts;       /* leases so far */
	void *bytes;        /* encoded Work (with our id), kept for re-queues */
	size_t len;
};

/* One worker's part in one job in flight. */
struct wjob {
	int has_job;        /* the Job went to it: it holds the job's engines */
	int busy;           /* has (or may have) something to explore in it */
	int donate_out;     /* a Donate request for the job is unanswered */
	int entries;        /* entry starts of the job it holds */
	uint64_t processed; /* its instructions in the job (heartbeats, Finished) */
	uint64_t total_states, peak_states, prune_remote; /* from its Finished */
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
	uint64_t limit;           /* instructions over all workers, 0: none */
	void *job_bytes;          /* the Job without entry: what workers take */
	size_t job_len;
	void *entry_bytes;        /* the Job with start_entry = 1 */
	size_t entry_len;
	struct item *items;       /* donated work items; our id is index + 1 */
	size_t nitems, cap;
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
	struct cjob jobs[MAX_INFLIGHT];
	struct bvc_cluster_job_stats last; /* of the last job that ended */
	char *err;
	size_t errsz;
	int fail;                 /* the cluster failed (not one job): negative errno */
};

static int wait_ms(const struct bvc_cluster *cl)
{
	return cl->opts.wait_ms > 0 ? cl->opts.wait_ms : 30000;
}

static int hb_ms(const struct bvc_cluster *cl)
{
	return cl->opts.heartbeat_ms > 0 ? cl->opts.heartbeat_ms : BVC_WORKER_HEARTBEAT_MS;
}

/* --- processes ----------------------------------------------------------- */

static int spawn(struct bvc_cluster *cl, unsigned int i, char *err, size_t errsz)
{
	const char *exe = cl->opts.exe ? cl->opts.exe : "/proc/self/exe";
	char *argv[10];
	int k = 0;
	pid_t pid;

	char id[64];
	uint8_t rnd[16];

	/* The ROUTER hands a routing id over to a new connection that claims
	 * it (remote workers reconnect so): an id a remote peer can guess
	 * would let it speak as this worker. */
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		bvc_set_err(err, errsz, "cannot draw a routing id for worker %u: %s", i,
			strerror(errno));
		return -EIO;
	}
	snprintf(id, sizeof(id), "w%u-", i % 10000);
	for (size_t b = 0; b < sizeof(rnd); b++)
		snprintf(id + strlen(id), sizeof(id) - strlen(id), "%02x", rnd[b]);
	memcpy(cl->w[i].rid, id, strlen(id));
	cl->w[i].rid_len = strlen(id);
	snprintf(cl->w[i].st.name, sizeof(cl->w[i].st.name), "local w%u", i % 10000);
	argv[k++] = (char *)exe;
	argv[k++] = "worker";
	argv[k++] = "--connect";
	argv[k++] = cl->endpoint;
	argv[k++] = "--id";
	argv[k++] = id;
	if (cl->opts.pin && cl->plan->slots[i].cpuset[0]) {
		argv[k++] = "--cpuset";
		argv[k++] = cl->plan->slots[i].cpuset;
	}
	argv[k] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		bvc_set_err(err, errsz, "cannot fork worker %u: %s", i, strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls until exec. Our stdout may be a
		 * pipe someone reads to EOF: workers print nothing there. */
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0)
			dup2(fd, 1);
		execv(exe, argv);
		_exit(127);
	}
	cl->w[i].pid = pid;
	cl->w[i].st.pid = pid;
	cl->w[i].st.core = cl->plan->slots[i].core;
	snprintf(cl->w[i].st.cpuset, sizeof(cl->w[i].st.cpuset), "%s",
		 cl->plan->slots[i].cpuset);
	return 0;
}

static void reap(struct cworker *w, int block_ms)
{
	double end = bvc_now_ms() + block_ms;

	while (w->pid > 0) {
		int status;
		pid_t r = waitpid(w->pid, &status, WNOHANG);

		if (r == w->pid || (r < 0 && errno == ECHILD)) {
			w->pid = 0;
			return;
		}
		if (bvc_now_ms() >= end)
			return;
		usleep(10000);
	}
}

/* --- messages ------------------------------------------------------------ */

static int send_bytes(struct bvc_cluster *cl, int i, const void *buf, size_t len)
{
	void *sock = cl->coord->sock;
	struct cworker *w = &cl->w[i];

	if (zmq_send(sock, w->rid, w->rid_len, ZMQ_SNDMORE) < 0 ||
	    zmq_send(sock, buf, len, 0) < 0)
		return -errno;
	w->st.bytes_sent += len;
	return 0;
}

static void mark_dead(struct bvc_cluster *cl, int i, const char *why);

static void cl_log(struct bvc_cluster *cl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void cl_log(struct bvc_cluster *cl, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!cl->opts.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cl->opts.log(cl->opts.log_arg, line);
}

/* A routing id as text: printable bytes kept, others as \xHH. */
static void rid_text(const uint8_t *id, size_t len, char *buf, size_t bufsz)
{
	size_t k = 0;

	for (size_t i = 0; i < len && k + 5 < bufsz; i++) {
		if (id[i] >= 0x21 && id[i] < 0x7f)
			buf[k++] = (char)id[i];
		else
			k += (size_t)snprintf(buf + k, bufsz - k, "\\x%02x", id[i]);
	}
	buf[k] = '\0';
}

static int send_msg(struct bvc_cluster *cl, int i, const struct bvc_wire_msg *m)
{
	char why[256];
	size_t len;
	void *buf;
	int ret;

	ret = bvc_wire_encode(m, &buf, &len, why, sizeof(why));
	if (ret) {
		bvc_set_err(cl->err, cl->errsz, "cannot encode %s: %s", bvc_wire_kind_name(m->kind),
			why);
		cl->fail = ret;
		return ret;
	}
	ret = send_bytes(cl, i, buf, len);
	free(buf);
	if (ret)
		mark_dead(cl, i, "cannot send");
	return ret;
}

static void send_cancel(struct bvc_cluster *cl, uint64_t job_id)
{
	struct bvc_wire_msg m = { .kind = BVC_WIRE_CANCEL };

	m.u.cancel.job_id = job_id;
	for (unsigned int i = 0; i < cl->n; i++)
		if (cl->w[i].alive)
			send_msg(cl, (int)i, &m);
}

/* --- jobs in flight ------------------------------------------------------ */

static int slot_of(const struct bvc_cluster *cl, const struct cjob *cj)
{
	return (int)(cj - cl->jobs);
}

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

static int worker_idle(const struct cworker *w)
{
	for (int k = 0; k < MAX_INFLIGHT; k++)
		if (w->jobs[k].busy)
			return 0;
	return 1;
}

static int pick_idle(struct bvc_cluster *cl)
{
	for (unsigned int i = 0; i < cl->n; i++)
		if (cl->w[i].alive && worker_idle(&cl->w[i]))
			return (int)i;
	return -1;
}

static int pick_alive(struct bvc_cluster *cl)
{
	int i = pick_idle(cl);

	if (i >= 0)
		return i;
	for (unsigned int k = 0; k < cl->n; k++)
		if (cl->w[k].alive)
			return (int)k;
	return -1;
}

/* Send @len bytes to worker @i; a worker we cannot reach is dead. */
static void send_or_kill(struct bvc_cluster *cl, int i, const void *buf, size_t len)
{
	if (cl->w[i].alive && send_bytes(cl, i, buf, len))
		mark_dead(cl, i, "cannot send");
}

/* Worker @i takes job @cj (with its entry, or to explore items): the Job,
 * then, the first time, the checkpoints shared so far. It is busy in the
 * job until it says Finished: only then is it leased an item, so that
 * Finished can never be mistaken for the end of a lease. */
static void give_job(struct bvc_cluster *cl, struct cjob *cj, int i, int entry)
{
	struct wjob *wj = &cl->w[i].jobs[slot_of(cl, cj)];
	int first = !wj->has_job;

	wj->has_job = 1;
	wj->busy = 1;
	if (entry) {
		wj->entries++;
		send_or_kill(cl, i, cj->entry_bytes, cj->entry_len);
	} else if (first) {
		send_or_kill(cl, i, cj->job_bytes, cj->job_len);
	}
	for (size_t c = 0; first && c < cj->ncps; c++)
		send_or_kill(cl, i, cj->cps[c].bytes, cj->cps[c].len);
}

static void start_entry(struct bvc_cluster *cl, struct cjob *cj)
{
	int i = pick_alive(cl);

	if (i < 0) {
		cj->entry_pending++; /* until a worker joins, or the batch fails */
		return;
	}
	give_job(cl, cj, i, 1);
}

static void job_fail(struct cjob *cj, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void job_fail(struct cjob *cj, int err, const char *fmt, ...)
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

/* Worker @i is gone: take back its leases and restart the entries it held
 * in every job in flight. */
static void mark_dead(struct bvc_cluster *cl, int i, const char *why)
{
	struct cworker *w = &cl->w[i];
	int entries[MAX_INFLIGHT];

	if (!w->alive)
		return;
	w->alive = 0;
	for (int k = 0; k < MAX_INFLIGHT; k++) {
		struct wjob *wj = &w->jobs[k];

		entries[k] = wj->entries;
		wj->busy = wj->donate_out = wj->entries = 0;
		wj->has_job = 0;
		/* A dead worker's instructions count (it did explore them),
		 * unless it broke the protocol: then nothing it said does. */
		if (w->violated)
			wj->processed = wj->total_states = wj->peak_states = wj->prune_remote = 0;
	}
	snprintf(w->st.dead, sizeof(w->st.dead), "%s", why);
	for (int k = 0; k < MAX_INFLIGHT; k++)
		if (cl->jobs[k].out)
			cl->jobs[k].js.deaths++;
	if (w->pid > 0)
		kill(w->pid, SIGKILL);
	cl_log(cl, "worker %s is dead: %s", w->st.name, why);
	for (int k = 0; k < MAX_INFLIGHT; k++) {
		struct cjob *cj = &cl->jobs[k];

		if (!cj->out)
			continue;
		for (size_t g = 0; g < cj->nitems; g++) {
			struct item *it = &cj->items[g];

			if (it->state != ITEM_LEASED || it->holder != i)
				continue;
			if (w->violated) {
				it->attempts--; /* the peer failed, not the item */
			} else if (it->attempts >= MAX_ATTEMPTS) {
				job_fail(cj, -EIO,
					 "infrastructure: work item %zu lost with %d workers (last: worker %d, %s)",
					 g + 1, it->attempts, i, why);
				break;
			}
			it->state = ITEM_QUEUED;
			it->holder = -1;
			cj->js.requeued++;
		}
		while (!cj->fail && entries[k]-- > 0) {
			if (!w->violated && ++cj->entry_restarts >= MAX_ATTEMPTS) {
				job_fail(cj, -EIO,
					 "infrastructure: the entry was lost with %d workers (last: worker %d, %s)",
					 cj->entry_restarts, i, why);
				break;
			}
			cj->js.entry_restarts++;
			start_entry(cl, cj);
		}
	}
}

/* Worker @i broke the protocol: dead, and nothing it said counts. */
static void mark_bad(struct bvc_cluster *cl, int i, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void mark_bad(struct bvc_cluster *cl, int i, const char *fmt, ...)
{
	char why[192];
	va_list ap;

	if (!cl->w[i].alive)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	cl->w[i].violated = 1;
	mark_dead(cl, i, why);
}

/* a + b, stopping at UINT64_MAX: no sum of peers' counts wraps. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
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

static void on_work(struct bvc_cluster *cl, struct cjob *cj, int i, struct bvc_wire_msg *m)
{
	struct item *it;
	char why[256];

	if (cj->nitems == cj->cap) {
		size_t cap = cj->cap ? cj->cap * 2 : 64;
		struct item *v = realloc(cj->items, cap * sizeof(*v));

		if (!v) {
			job_fail(cj, -ENOMEM, "out of memory for work items");
			return;
		}
		cj->items = v;
		cj->cap = cap;
	}
	it = &cj->items[cj->nitems];
	memset(it, 0, sizeof(*it));
	it->donor = i;
	it->donor_wid = m->u.work.work_id;
	it->holder = -1;
	it->state = ITEM_QUEUED;
	/* Our id on the wire: the holder reports Done under it. */
	m->u.work.work_id = cj->nitems + 1;
	if (bvc_wire_encode(m, &it->bytes, &it->len, why, sizeof(why))) {
		job_fail(cj, -EIO, "cannot re-encode a work item: %s", why);
		return;
	}
	cj->nitems++;
	cl->w[i].st.donated++;
	cj->js.donations++;
}

#define CLUSTER_CACHE_MAX 16384 /* checkpoints kept for one job */

/* A finished checkpoint from worker @i: every other worker holding the job
 * prunes against it too, and so will those that take the job later. */
static void on_checkpoint(struct bvc_cluster *cl, struct cjob *cj, int i,
			  const struct bvc_wire_msg *m)
{
	int k = slot_of(cl, cj);
	char why[256];
	size_t len;
	void *buf;

	if (cj->ncps == CLUSTER_CACHE_MAX)
		return; /* pruning less is always sound */
	if (bvc_wire_encode(m, &buf, &len, why, sizeof(why)))
		return;
	if (cj->ncps == cj->cap_cps) {
		size_t cap = cj->cap_cps ? cj->cap_cps * 2 : 64;
		void *v = realloc(cj->cps, cap * sizeof(*cj->cps));

		if (!v) {
			free(buf);
			return;
		}
		cj->cps = v;
		cj->cap_cps = cap;
	}
	cj->cps[cj->ncps].bytes = buf;
	cj->cps[cj->ncps++].len = len;
	cj->js.checkpoints++;
	for (unsigned int j = 0; j < cl->n; j++)
		if ((int)j != i && cl->w[j].jobs[k].has_job)
			send_or_kill(cl, (int)j, buf, len);
}

/* A Done from worker @i: -EPROTO unless the item is leased to it now (a
 * lease we took back went with a death, and a dead worker's words are
 * dropped before they get here; a worker reports an item once). */
static int on_done(struct bvc_cluster *cl, struct cjob *cj, int i,
		   const struct bvc_wire_done *dm)
{
	struct bvc_wire_msg m = { .kind = BVC_WIRE_DONE };
	struct item *it;

	if (dm->work_id == 0 || dm->work_id > cj->nitems)
		return -EPROTO;
	it = &cj->items[dm->work_id - 1];
	if (it->state != ITEM_LEASED || it->holder != i)
		return -EPROTO;
	it->state = ITEM_DONE;
	free(it->bytes);
	it->bytes = NULL;
	if (!cl->w[it->donor].alive)
		return 0; /* its donor's work is being redone */
	m.u.done.job_id = cj->id;
	m.u.done.work_id = it->donor_wid;
	m.u.done.demand = dm->demand; /* the donor applies it before counting */
	send_msg(cl, it->donor, &m);
	return 0;
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
			job_fail(cj, -ENOMEM, "out of memory for the facts of %u insns", f->insn_cnt);
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
static void on_job_msg(struct bvc_cluster *cl, int i, struct bvc_wire_msg *m)
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
		mark_bad(cl, i, "%s from a worker", bvc_wire_kind_name(m->kind));
		return;
	}
	cj = find_job(cl, id);
	if (!cj) {
		/* Ended jobs' late words are fine; ids we never gave are not
		 * (0 only in a Heartbeat: liveness alone). */
		if (id > cl->job_id)
			mark_bad(cl, i, "%s for job %llu, never given", bvc_wire_kind_name(m->kind),
				 (unsigned long long)id);
		return;
	}
	if (cj->decided || cj->fail)
		return; /* a job that is ending: nothing to do */
	wj = &w->jobs[slot_of(cl, cj)];
	if (!wj->has_job) {
		mark_bad(cl, i, "%s for job %llu, which it does not hold",
			 bvc_wire_kind_name(m->kind), (unsigned long long)id);
		return;
	}
	switch (m->kind) {
	case BVC_WIRE_HEARTBEAT:
		/* Counts only grow here: a heartbeat may pass the Finished
		 * that said more, so a smaller one is old news. */
		if (!count_ok(cj, wj, m->u.heartbeat.processed_insns)) {
			mark_bad(cl, i, "heartbeat: %llu insns processed in job %llu",
				 (unsigned long long)m->u.heartbeat.processed_insns,
				 (unsigned long long)id);
			break;
		}
		if (m->u.heartbeat.processed_insns > wj->processed)
			wj->processed = m->u.heartbeat.processed_insns;
		break;
	case BVC_WIRE_FINISHED:
		if (check_finished(cj, wj, &m->u.finished) || merge_facts(cj, &m->u.finished)) {
			mark_bad(cl, i, "finished: counts of another program (%llu insns processed, %u functions, %u insns)",
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
			mark_bad(cl, i, "%s that was not asked for", bvc_wire_kind_name(m->kind));
			break;
		}
		wj->donate_out = 0;
		if (m->kind == BVC_WIRE_WORK)
			on_work(cl, cj, i, m);
		break;
	case BVC_WIRE_DONE:
		if (on_done(cl, cj, i, &m->u.done))
			mark_bad(cl, i, "done for item %llu of job %llu, not leased to it",
				 (unsigned long long)m->u.done.work_id, (unsigned long long)id);
		break;
	case BVC_WIRE_CHECKPOINT:
		on_checkpoint(cl, cj, i, m);
		break;
	default: /* BVC_WIRE_REJECT */
		/* Decoding let in only the three refusals. An internal
		 * error says nothing about the program: the job failed. */
		if (m->u.reject.kind == BVC_INTERNAL) {
			job_fail(cj, -EIO, "worker %d: internal error: %s", i, m->u.reject.message);
			break;
		}
		cj->decided = 1;
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

/* The live worker with routing id @id, else -1. */
static int find_worker(const struct bvc_cluster *cl, const uint8_t *id, size_t len)
{
	for (unsigned int i = 0; i < cl->n; i++)
		if (cl->w[i].alive && cl->w[i].rid_len == len && !memcmp(cl->w[i].rid, id, len))
			return (int)i;
	return -1;
}

/* A spawned worker not yet handshaken, with routing id @id, else -1. */
static int find_local_pending(const struct bvc_cluster *cl, const uint8_t *id, size_t len)
{
	for (unsigned int i = 0; i < cl->nlocal; i++)
		if (!cl->w[i].alive && !cl->w[i].st.dead[0] && cl->w[i].pid > 0 &&
		    cl->w[i].rid_len == len && !memcmp(cl->w[i].rid, id, len))
			return (int)i;
	return -1;
}

/* The remote worker we last declared dead with routing id @id, else -1. */
static int find_dead_remote(const struct bvc_cluster *cl, const uint8_t *id, size_t len)
{
	for (unsigned int i = cl->n; i-- > 0;)
		if (cl->w[i].remote && !cl->w[i].alive && cl->w[i].rid_len == len &&
		    !memcmp(cl->w[i].rid, id, len))
			return (int)i;
	return -1;
}

static int is_hello(const void *payload, size_t len)
{
	struct bvc_wire_msg m;
	int ret = bvc_wire_decode(payload, len, &m, NULL, 0) == 0 && m.kind == BVC_WIRE_HELLO;

	bvc_wire_msg_release(&m);
	return ret;
}

/* Dead worker @d spoke again (after a stall, say): tell it once. One we
 * declared dead for missing heartbeats may come back as a new worker
 * (Cancel of BVC_WORKER_REJOIN: it drops its jobs and says Hello); one
 * that broke the protocol is told goodbye. */
static void tell_dead(struct bvc_cluster *cl, int d)
{
	struct cworker *w = &cl->w[d];
	struct bvc_wire_msg m = { .kind = BVC_WIRE_CANCEL };
	char why[256];
	size_t len;
	void *buf;

	if (w->told)
		return;
	w->told = 1;
	m.u.cancel.job_id = w->violated ? BVC_WORKER_BYE : BVC_WORKER_REJOIN;
	if (bvc_wire_encode(&m, &buf, &len, why, sizeof(why)))
		return;
	send_bytes(cl, d, buf, len); /* it may be gone again: nothing to do */
	free(buf);
	cl_log(cl, "worker %s, declared dead (%s), spoke again: %s", w->st.name, w->st.dead,
	       w->violated ? "told goodbye" : "told to rejoin");
}

/* A message from a peer we do not know: only a Hello is welcome. A new
 * worker joins idle, holding no job: the next schedule() gives it one. */
static void on_stranger(struct bvc_cluster *cl, const uint8_t *id, size_t id_len,
			const void *payload, size_t len)
{
	struct bvc_coord_peer peer;
	char why[512], name[BVC_COORD_PEER_ID_MAX * 4 + 1];
	enum bvc_hello_fault fault;
	struct cworker *w;
	int i, ret;

	memset(&peer, 0, sizeof(peer));
	memcpy(peer.id, id, id_len);
	peer.id_len = id_len;
	rid_text(id, id_len, name, sizeof(name));
	i = find_dead_remote(cl, id, id_len);
	if (i >= 0 && !is_hello(payload, len)) {
		tell_dead(cl, i); /* its late words are dropped: its leases went back */
		return;
	}
	i = find_local_pending(cl, id, id_len);
	if (i < 0 && !cl->opts.bind)
		return; /* nobody else can reach the private ipc endpoint */
	ret = bvc_coord__hello(cl->coord, &peer, payload, len, &fault, why, sizeof(why));
	if (ret) {
		if (fault == BVC_HELLO_NOT_HELLO)
			return; /* a late message of a worker we declared dead */
		cl_log(cl, "refused %s: %s", name, why);
		/* Our own worker speaking another protocol or build: the
		 * cluster cannot work. */
		if (i >= 0 && fault == BVC_HELLO_MISMATCH) {
			bvc_set_err(cl->err, cl->errsz, "handshake: %s", why);
			cl->fail = ret;
		}
		return;
	}
	if (i < 0) {
		if (cl->n == cl->cap_w) {
			unsigned int cap = cl->cap_w * 2 + 4;
			struct cworker *v = realloc(cl->w, cap * sizeof(*v));

			if (!v)
				return;
			cl->w = v;
			cl->cap_w = cap;
		}
		i = (int)cl->n++;
		w = &cl->w[i];
		memset(w, 0, sizeof(*w));
		memcpy(w->rid, id, id_len);
		w->rid_len = id_len;
		w->remote = 1;
		w->st.remote = 1;
		snprintf(w->st.name, sizeof(w->st.name), "%.63s", name);
		cl_log(cl, "worker %s joined (%u cores)", name, peer.hello.cores);
	}
	w = &cl->w[i];
	memset(w->jobs, 0, sizeof(w->jobs));
	w->alive = 1;
	w->last_heard = bvc_now_ms();
	cl->none_since = 0;
}

/* Receive and handle every message waiting, after up to @timeout_ms.
 * Outside a batch only Hellos and Heartbeats matter. */
static int pump(struct bvc_cluster *cl, int timeout_ms)
{
	zmq_pollitem_t pi = { .socket = cl->coord->sock, .events = ZMQ_POLLIN };

	if (zmq_poll(&pi, 1, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	for (;;) {
		struct bvc_wire_msg m;
		zmq_msg_t id, payload;
		int more = 0, i, nframes = 0;
		size_t sz = sizeof(more);
		char why[256];
		struct cworker *w;

		zmq_msg_init(&id);
		if (zmq_msg_recv(&id, cl->coord->sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&id);
			return 0;
		}
		zmq_msg_init(&payload);
		while (zmq_getsockopt(cl->coord->sock, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
			zmq_msg_t f;

			zmq_msg_init(&f);
			if (zmq_msg_recv(&f, cl->coord->sock, 0) < 0) {
				zmq_msg_close(&f);
				break;
			}
			if (nframes++ == 0)
				zmq_msg_copy(&payload, &f);
			zmq_msg_close(&f);
		}
		i = find_worker(cl, zmq_msg_data(&id), zmq_msg_size(&id));
		if (i < 0 && nframes == 1)
			on_stranger(cl, zmq_msg_data(&id), zmq_msg_size(&id), zmq_msg_data(&payload),
				    zmq_msg_size(&payload));
		if (i >= 0 && nframes != 1)
			mark_bad(cl, i, "%d frames in one message", nframes);
		if (i < 0 || nframes != 1) {
			zmq_msg_close(&id);
			zmq_msg_close(&payload);
			if (cl->fail)
				return cl->fail;
			continue; /* a stranger (handled above), or malformed */
		}
		w = &cl->w[i];
		w->st.bytes_recv += zmq_msg_size(&payload);
		if (bvc_wire_decode(zmq_msg_data(&payload), zmq_msg_size(&payload), &m, why,
				    sizeof(why))) {
			zmq_msg_close(&id);
			zmq_msg_close(&payload);
			mark_bad(cl, i, "%s", why);
			continue;
		}
		w->last_heard = bvc_now_ms();
		if (m.kind == BVC_WIRE_HELLO) {
			/* A live worker saying hello again has restarted its
			 * session: its old one is gone, a remote one joins
			 * again as a new worker. */
			mark_dead(cl, i, "said hello again");
			if (w->remote)
				on_stranger(cl, zmq_msg_data(&id), zmq_msg_size(&id),
					    zmq_msg_data(&payload), zmq_msg_size(&payload));
		} else if (cl->in_batch) {
			on_job_msg(cl, i, &m);
		}
		zmq_msg_close(&id);
		zmq_msg_close(&payload);
		bvc_wire_msg_release(&m);
		if (cl->fail)
			return cl->fail;
	}
}

static void check_health(struct bvc_cluster *cl, double *last_beat)
{
	double t = bvc_now_ms();
	struct bvc_wire_msg hb = { .kind = BVC_WIRE_HEARTBEAT };

	for (unsigned int i = 0; i < cl->n; i++) {
		struct cworker *w = &cl->w[i];
		int status;

		if (!w->alive)
			continue;
		if (w->pid > 0 && waitpid(w->pid, &status, WNOHANG) == w->pid) {
			w->pid = 0;
			mark_dead(cl, (int)i, "process exited");
		} else if (t - w->last_heard > (double)BVC_WORKER_DEAD_BEATS * hb_ms(cl)) {
			mark_dead(cl, (int)i, "missed " BVC_STR(BVC_WORKER_DEAD_BEATS) " heartbeats");
		}
	}
	if (t - *last_beat >= hb_ms(cl)) {
		*last_beat = t;
		for (unsigned int i = 0; i < cl->n; i++)
			if (cl->w[i].alive)
				send_msg(cl, (int)i, &hb);
	}
}

/* Leases of job @cj's queued items to idle workers; returns how many
 * still wait. */
static size_t lease_items(struct bvc_cluster *cl, struct cjob *cj)
{
	int k = slot_of(cl, cj);
	size_t queued = 0;

	for (size_t g = 0; g < cj->nitems && !cj->fail; g++) {
		struct item *it = &cj->items[g];
		struct wjob *wj;
		int h;

		if (it->state != ITEM_QUEUED)
			continue;
		h = pick_idle(cl);
		if (h < 0 || !cl->w[h].jobs[k].has_job) {
			/* An idle worker without the job takes it first and
			 * gets the item once it says Finished. */
			if (h >= 0)
				give_job(cl, cj, h, 0);
			queued++;
			continue;
		}
		wj = &cl->w[h].jobs[k];
		it->state = ITEM_LEASED;
		it->holder = h;
		it->attempts++;
		wj->busy = 1;
		cl->w[h].st.items++;
		send_or_kill(cl, h, it->bytes, it->len);
	}
	return queued;
}

/* Ask busy workers to donate, oldest job first, as many as the idle
 * workers that nothing queued will feed. */
static void ask_donations(struct bvc_cluster *cl, const int *order, int njobs, size_t queued)
{
	size_t idle = 0, asks = 0;

	for (unsigned int i = 0; i < cl->n; i++) {
		if (!cl->w[i].alive)
			continue;
		idle += worker_idle(&cl->w[i]);
		for (int k = 0; k < MAX_INFLIGHT; k++)
			asks += cl->w[i].jobs[k].donate_out;
	}
	for (int o = 0; o < njobs; o++) {
		struct cjob *cj = &cl->jobs[order[o]];

		for (unsigned int i = 0; i < cl->n && idle > queued + asks; i++) {
			struct wjob *wj = &cl->w[i].jobs[order[o]];
			struct bvc_wire_msg m = { .kind = BVC_WIRE_DONATE };

			if (!cl->w[i].alive || !wj->busy || wj->donate_out)
				continue;
			m.u.donate.job_id = cj->id;
			if (send_msg(cl, (int)i, &m) == 0) {
				wj->donate_out = 1;
				cl->w[i].st.asks++;
				asks++;
			}
		}
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
	for (size_t g = 0; g < cj->nitems; g++)
		if (cj->items[g].state != ITEM_DONE)
			return 0;
	return 1;
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
	cj->t_start = bvc_now_ms();
	if (!out->prog_name || strlen(out->prog_name) >= sizeof(job.u.job.prog_name)) {
		job_fail(cj, -EINVAL, "program name '%.64s' is too long for the wire",
			 out->prog_name ? out->prog_name : "");
		return;
	}
	/* Loaded here as each worker will: what cannot be loaded fails now,
	 * and the verdict is made final against this program. */
	if (bvc_worker_load_job(out->object, out->len, out->prog_name, &cj->img, &cj->prog, why,
				sizeof(why))) {
		job_fail(cj, -EINVAL, "cannot load the job: %s", why);
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
		job_fail(cj, -EINVAL, "cannot encode the job: %s", why);
		return;
	}
	job.u.job.start_entry = 0;
	if (bvc_wire_encode(&job, &cj->job_bytes, &cj->job_len, why, sizeof(why))) {
		job_fail(cj, -EINVAL, "cannot encode the job: %s", why);
		return;
	}
	give_job(cl, cj, h, 1);
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
			send_msg(cl, (int)i, &cancel);
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
	for (size_t g = 0; g < cj->nitems; g++)
		free(cj->items[g].bytes);
	free(cj->items);
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
		if (!cj->decided && !cj->fail && cj->limit && sum > cj->limit) {
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
		pr.busy += w->alive && !worker_idle(w);
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

/* Every worker is dead: wait for a remote one (with --bind) or give up. */
static int check_alive(struct bvc_cluster *cl)
{
	double t = bvc_now_ms();

	for (unsigned int i = 0; i < cl->n; i++)
		if (cl->w[i].alive) {
			cl->none_since = 0;
			return 0;
		}
	if (!cl->none_since)
		cl->none_since = t;
	if (cl->opts.bind && t - cl->none_since <= wait_ms(cl))
		return 0;
	if (cl->opts.bind)
		bvc_set_err(cl->err, cl->errsz,
			"infrastructure: no live worker, and none joined %s within %d s",
			bvc_cluster_endpoint(cl), wait_ms(cl) / 1000);
	else
		bvc_set_err(cl->err, cl->errsz, "infrastructure: every worker died");
	cl->fail = -EIO;
	return cl->fail;
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
		ret = pump(cl, 20);
		if (!ret)
			check_health(cl, &last_beat);
		if (ret || cl->fail || check_alive(cl))
			break;
		end_jobs(cl, batch_done, &bd);
		njobs = jobs_by_age(cl, order);
		for (int o = 0; o < njobs; o++) {
			struct cjob *cj = &cl->jobs[order[o]];

			while (cj->entry_pending > 0 && pick_alive(cl) >= 0) {
				cj->entry_pending--;
				start_entry(cl, cj);
			}
			queued += lease_items(cl, cj);
		}
		/* Idle workers left: the next programs of the batch. */
		for (int k = 0; k < MAX_INFLIGHT && next < n; k++) {
			int h;

			if (cl->jobs[k].out)
				continue;
			h = pick_idle(cl);
			if (h < 0)
				break;
			job_start(cl, &cl->jobs[k], &jobs[next], next, h);
			next++;
		}
		njobs = jobs_by_age(cl, order);
		ask_donations(cl, order, njobs, queued);
		if (cl->fail)
			break;
	}
	if (!ret)
		ret = cl->fail;
	if (ret) {
		/* The cluster failed: every job not over fails with it. */
		for (int k = 0; k < MAX_INFLIGHT; k++)
			if (cl->jobs[k].out) {
				job_fail(&cl->jobs[k], ret, "%s", err ? err : "cluster failure");
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
	if (vopts) {
		job.insn_limit = vopts->insn_limit;
		job.prog_flags = vopts->prog_flags;
	}
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

/* --- setup and teardown -------------------------------------------------- */

void bvc_cluster_free(struct bvc_cluster *cl)
{
	char path[256];

	if (!cl)
		return;
	if (cl->coord) {
		send_cancel(cl, BVC_WORKER_BYE);
		/* Let them go cleanly, briefly; then make sure. */
		for (unsigned int i = 0; i < cl->n; i++)
			reap(&cl->w[i], 1000);
	}
	for (unsigned int i = 0; i < cl->n; i++) {
		if (cl->w[i].pid > 0) {
			kill(cl->w[i].pid, SIGKILL);
			reap(&cl->w[i], 2000);
		}
	}
	bvc_coord_free(cl->coord);
	if (cl->dir[0]) {
		snprintf(path, sizeof(path), "%s/sock", cl->dir);
		unlink(path);
		rmdir(cl->dir);
	}
	bvc_coord_plan_free(cl->plan);
	free(cl->w);
	free(cl);
}

int bvc_cluster_new(const struct bvc_cluster_opts *opts, struct bvc_cluster **out, char *err,
		    size_t errsz)
{
	struct bvc_coord_opts copts = { .sz = sizeof(copts) };
	struct bvc_cluster *cl;
	double deadline, last_beat;
	int ret, hs_ms;

	*out = NULL;
	if (!opts || opts->sz < sizeof(size_t) || opts->nworkers > 1024 ||
	    (opts->nworkers < 1 && !(opts->sz >= offsetof(struct bvc_cluster_opts, wait_ms) &&
				     opts->bind))) {
		bvc_set_err(err, errsz, "cluster: between 1 and 1024 local workers, or a --bind endpoint for remote ones");
		return -EINVAL;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		bvc_set_err(err, errsz, "out of memory");
		return -ENOMEM;
	}
	memcpy(&cl->opts, opts, opts->sz < sizeof(cl->opts) ? opts->sz : sizeof(cl->opts));
	cl->err = err;
	cl->errsz = errsz;
	cl->nlocal = cl->n = opts->nworkers;
	cl->cap_w = cl->n + 4;
	cl->w = calloc(cl->cap_w, sizeof(*cl->w));
	if (!cl->w) {
		ret = -ENOMEM;
		bvc_set_err(err, errsz, "out of memory");
		goto fail;
	}
	ret = bvc_coord_plan_cores(cl->n, &cl->plan, err, errsz);
	if (ret)
		goto fail;
	snprintf(cl->dir, sizeof(cl->dir), "/tmp/bvc-cluster-XXXXXX");
	if (!mkdtemp(cl->dir)) {
		ret = -errno;
		bvc_set_err(err, errsz, "cannot make a temp dir: %s", strerror(errno));
		cl->dir[0] = '\0';
		goto fail;
	}
	snprintf(cl->endpoint, sizeof(cl->endpoint), "ipc://%s/sock", cl->dir);
	/* Children first: no ZeroMQ context (and its threads) exists yet. */
	for (unsigned int i = 0; i < cl->nlocal; i++) {
		ret = spawn(cl, i, err, errsz);
		if (ret)
			goto fail;
	}
	copts.cores = cl->plan->ncores;
	ret = bvc_coord_new(cl->endpoint, &copts, &cl->coord, err, errsz);
	if (ret)
		goto fail;
	{
		int sndtimeo = 2000;

		zmq_setsockopt(cl->coord->sock, ZMQ_SNDTIMEO, &sndtimeo, sizeof(sndtimeo));
	}
	if (cl->opts.bind) {
		if (cl->opts.curve && !cl->opts.trust) {
			bvc_set_err(err, errsz, "CURVE needs a trust store (--curve-trust)");
			ret = -EINVAL;
			goto fail;
		}
		/* A worker's results are the verdict: whoever can join can
		 * sign off on a program. Only a socket in the file system
		 * (ipc, our permissions) may be plain without being asked. */
		if (!cl->opts.curve && !cl->opts.insecure && strncmp(cl->opts.bind, "ipc://", 6)) {
			bvc_set_err(err, errsz,
				"refusing to listen on %s without CURVE keys and a worker allow-list (--curve-secret, --curve-trust): anyone who reaches it could join and decide verdicts; --insecure to do it anyway",
				cl->opts.bind);
			ret = -EPERM;
			goto fail;
		}
		ret = bvc_coord_bind_curve(cl->coord, cl->opts.bind, cl->opts.curve, cl->opts.trust,
					   err, errsz);
		if (ret)
			goto fail;
		snprintf(cl->remote_ep, sizeof(cl->remote_ep), "%s", bvc_coord_endpoint(cl->coord));
		cl_log(cl, "listening on %s%s", cl->remote_ep, cl->opts.curve ? " (CURVE)" : "");
	}
	hs_ms = opts->handshake_ms > 0 ? opts->handshake_ms : HANDSHAKE_MS;
	if (!cl->nlocal)
		hs_ms = wait_ms(cl);
	deadline = bvc_now_ms() + hs_ms;
	last_beat = bvc_now_ms();
	for (;;) {
		unsigned int ready = 0, alive = 0;
		int exited = 0;

		for (unsigned int i = 0; i < cl->n; i++) {
			ready += i < cl->nlocal && cl->w[i].alive;
			alive += cl->w[i].alive;
		}
		if (cl->nlocal ? ready == cl->nlocal : alive > 0)
			break;
		if (bvc_now_ms() >= deadline) {
			if (cl->nlocal)
				bvc_set_err(err, errsz, "only %u of %u workers said hello within %d ms", ready,
					cl->nlocal, hs_ms);
			else
				bvc_set_err(err, errsz, "no worker joined %s within %d s (%llu refused by CURVE)",
					cl->remote_ep, hs_ms / 1000,
					(unsigned long long)bvc_coord_refused(cl->coord));
			ret = -ETIMEDOUT;
			goto fail;
		}
		for (unsigned int i = 0; i < cl->nlocal; i++) {
			int status;

			if (cl->w[i].pid > 0 && waitpid(cl->w[i].pid, &status, WNOHANG) == cl->w[i].pid) {
				cl->w[i].pid = 0;
				exited = 1;
			}
		}
		if (exited) {
			bvc_set_err(err, errsz, "a worker exited during the handshake (is '%s worker' runnable?)",
				opts->exe ? opts->exe : "/proc/self/exe");
			ret = -EIO;
			goto fail;
		}
		ret = pump(cl, 100);
		if (!ret)
			ret = cl->fail;
		if (ret)
			goto fail;
		check_health(cl, &last_beat);
	}
	*out = cl;
	return 0;
fail:
	bvc_cluster_free(cl);
	return ret;
}

const char *bvc_cluster_endpoint(const struct bvc_cluster *cl)
{
	return cl->remote_ep;
}

const char *bvc_cluster_topology(const struct bvc_cluster *cl)
{
	return cl->plan && cl->plan->topology ? cl->plan->topology : "";
}

unsigned int bvc_cluster_size(const struct bvc_cluster *cl)
{
	return cl->n;
}

const struct bvc_cluster_worker_stats *bvc_cluster_worker(const struct bvc_cluster *cl,
							  unsigned int i)
{
	return i < cl->n ? &cl->w[i].st : NULL;
}

const struct bvc_cluster_job_stats *bvc_cluster_last_job(const struct bvc_cluster *cl)
{
	return &cl->last;
}

void bvc_cluster_set_progress_arg(struct bvc_cluster *cl, void *arg)
{
	cl->opts.progress_arg = arg;
}
