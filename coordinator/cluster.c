// SPDX-License-Identifier: MIT
/*
 * A cluster of local workers and the jobs run on it (DESIGN.md section 4).
 *
 * Setup: plan one core per worker (hwloc), make a fresh temp dir, fork+exec
 * `EXE worker --connect ipc://DIR/sock --id wI --cpuset LIST` for each
 * worker *before* any ZeroMQ context exists in this process (forking a
 * process with ZeroMQ's threads can deadlock the child), then bind the
 * ROUTER and run the Hello handshake with each (build ids must match).
 *
 * A job: Job to every worker, start_entry = 1 to exactly one. Workers
 * report Finished when they have nothing left to explore (once per idle
 * period). While some worker is idle and another busy, we send Donate to
 * busy ones (at most one request out per worker, at most as many as idle
 * workers); a Work from donor D gets a fresh global id G (G -> D and D's
 * id; the encoded bytes are kept for a re-queue) and is leased to an idle
 * worker H. Done(G) from H is mapped back and sent to D as Done(D's id),
 * which releases D's placeholder. The job is accepted when every live
 * worker is idle, no item is queued or leased and no Donate is out; the
 * first Reject is the verdict and cancels the job everywhere. The sum of
 * the workers' processed instructions is held to the insn limit.
 *
 * Reliability: a worker that exits (waitpid) or misses three heartbeats is
 * dead. Its leased items go back to the queue (attempt + 1; the job fails
 * with an infrastructure error after 3 attempts of one item); if it held
 * the entry, another worker starts the entry again (re-exploring is always
 * sound). Done reports for items whose donor is dead are dropped: that
 * donor's work is being redone.
 *
 * Remote workers (opts->bind): the ROUTER also listens on a tcp endpoint
 * (CURVE with a ZAP allow-list when keys are given). A worker is known by
 * its routing id; a Hello from an id we do not know (or know as dead) is
 * a new worker, which joins at once: during a job it gets the Job (no
 * entry) and is idle, so the next schedule() hands it work. Remote workers
 * have no pid: only missed heartbeats kill them. When every worker is dead
 * and remote ones may come, the job waits (wait_ms) for one to join; the
 * entry restarts that found nobody are kept pending until then.
 *
 * No global pruning cache yet: each worker prunes against its own finalized
 * checkpoints only. Sound; it just explores more than a shared cache would.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "bpfvc/coordinator.h"
#include "bpfvc/worker.h"
#include "internal.h"

#define HANDSHAKE_MS 10000
#define MAX_ATTEMPTS 3

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

struct cworker {
	pid_t pid;          /* child process, 0 once reaped or remote */
	int alive;          /* handshaken and not dead */
	int remote;         /* joined over opts->bind */
	uint8_t rid[BVC_COORD_PEER_ID_MAX]; /* routing id ("wI" for local ones) */
	size_t rid_len;
	double last_heard;  /* ms */
	/* per job */
	int busy;           /* has (or may have) something to explore */
	int donate_out;     /* a Donate request is unanswered */
	int valid;          /* sent something for this job: heartbeats count */
	int entries;        /* entry starts it holds */
	struct bvc_cluster_worker_stats st;
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
	uint64_t job_id;
	int in_job;
	void *job_bytes;          /* the Job without entry, for late joiners */
	size_t job_len;
	int entry_pending;        /* entry restarts waiting for a live worker */
	double none_since;        /* ms: when the last worker died, 0 if some live */
	/* per job */
	struct item *items;
	size_t nitems, cap;
	void *entry_bytes;        /* the Job with start_entry = 1 */
	size_t entry_len;
	int entry_restarts;
	/* The global cache of finished checkpoints (DESIGN.md 4.4): encoded
	 * Checkpoint frames, forwarded to every other worker as they come
	 * and to late joiners when they take the job. */
	struct { void *bytes; size_t len; } *cps;
	size_t ncps, cap_cps;
	struct bvc_cluster_job_stats js;
	char *err;
	size_t errsz;
	int fail;                 /* infrastructure failure, negative errno */
};

static void set_err(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errsz)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

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

	char id[16];

	snprintf(id, sizeof(id), "w%u", i % 10000);
	memcpy(cl->w[i].rid, id, strlen(id));
	cl->w[i].rid_len = strlen(id);
	snprintf(cl->w[i].st.name, sizeof(cl->w[i].st.name), "local %s", id);
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
		set_err(err, errsz, "cannot fork worker %u: %s", i, strerror(errno));
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
	double end = now_ms() + block_ms;

	while (w->pid > 0) {
		int status;
		pid_t r = waitpid(w->pid, &status, WNOHANG);

		if (r == w->pid || (r < 0 && errno == ECHILD)) {
			w->pid = 0;
			return;
		}
		if (now_ms() >= end)
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
		set_err(cl->err, cl->errsz, "cannot encode %s: %s", bvc_wire_kind_name(m->kind),
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

/* --- the job ------------------------------------------------------------- */

static int pick_idle(struct bvc_cluster *cl)
{
	for (unsigned int i = 0; i < cl->n; i++)
		if (cl->w[i].alive && !cl->w[i].busy)
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

static void start_entry(struct bvc_cluster *cl)
{
	int i = pick_alive(cl);

	if (i < 0) {
		cl->entry_pending++; /* until a worker joins, or the job fails */
		return;
	}
	cl->w[i].entries++;
	cl->w[i].busy = 1;
	send_bytes(cl, i, cl->entry_bytes, cl->entry_len);
}

static void mark_dead(struct bvc_cluster *cl, int i, const char *why)
{
	struct cworker *w = &cl->w[i];
	int entries = w->entries;

	if (!w->alive)
		return;
	w->alive = 0;
	w->busy = 0;
	w->donate_out = 0;
	w->entries = 0;
	snprintf(w->st.dead, sizeof(w->st.dead), "%s", why);
	cl->js.deaths++;
	if (w->pid > 0)
		kill(w->pid, SIGKILL);
	cl_log(cl, "worker %s is dead: %s", w->st.name, why);
	if (!cl->in_job)
		return;
	for (size_t g = 0; g < cl->nitems; g++) {
		struct item *it = &cl->items[g];

		if (it->state != ITEM_LEASED || it->holder != i)
			continue;
		if (it->attempts >= MAX_ATTEMPTS) {
			set_err(cl->err, cl->errsz,
				"infrastructure: work item %zu lost with %d workers (last: worker %d, %s)",
				g + 1, it->attempts, i, why);
			cl->fail = -EIO;
			return;
		}
		it->state = ITEM_QUEUED;
		it->holder = -1;
		cl->js.requeued++;
	}
	while (entries-- > 0) {
		if (++cl->entry_restarts >= MAX_ATTEMPTS) {
			set_err(cl->err, cl->errsz,
				"infrastructure: the entry was lost with %d workers (last: worker %d, %s)",
				cl->entry_restarts, i, why);
			cl->fail = -EIO;
			return;
		}
		cl->js.entry_restarts++;
		start_entry(cl);
	}
}

static int on_work(struct bvc_cluster *cl, int i, struct bvc_wire_msg *m)
{
	struct item *it;
	char why[256];
	int ret;

	cl->w[i].donate_out = 0;
	if (cl->nitems == cl->cap) {
		size_t cap = cl->cap ? cl->cap * 2 : 64;
		struct item *v = realloc(cl->items, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		cl->items = v;
		cl->cap = cap;
	}
	it = &cl->items[cl->nitems];
	memset(it, 0, sizeof(*it));
	it->donor = i;
	it->donor_wid = m->u.work.work_id;
	it->holder = -1;
	it->state = ITEM_QUEUED;
	/* Our id on the wire: the holder reports Done under it. */
	m->u.work.work_id = cl->nitems + 1;
	ret = bvc_wire_encode(m, &it->bytes, &it->len, why, sizeof(why));
	if (ret) {
		set_err(cl->err, cl->errsz, "cannot re-encode a work item: %s", why);
		return ret;
	}
	cl->nitems++;
	cl->w[i].st.donated++;
	cl->js.donations++;
	return 0;
}

#define CLUSTER_CACHE_MAX 16384 /* checkpoints kept for one job */

/* A finished checkpoint from worker @i: every other live worker (all have
 * the job) prunes against it too. */
static void on_checkpoint(struct bvc_cluster *cl, int i, const struct bvc_wire_msg *m)
{
	char why[256];
	size_t len;
	void *buf;

	if (cl->ncps == CLUSTER_CACHE_MAX)
		return; /* pruning less is always sound */
	if (bvc_wire_encode(m, &buf, &len, why, sizeof(why)))
		return;
	if (cl->ncps == cl->cap_cps) {
		size_t cap = cl->cap_cps ? cl->cap_cps * 2 : 64;
		void *v = realloc(cl->cps, cap * sizeof(*cl->cps));

		if (!v) {
			free(buf);
			return;
		}
		cl->cps = v;
		cl->cap_cps = cap;
	}
	cl->cps[cl->ncps].bytes = buf;
	cl->cps[cl->ncps++].len = len;
	cl->js.checkpoints++;
	for (unsigned int j = 0; j < cl->n; j++)
		if ((int)j != i && cl->w[j].alive && send_bytes(cl, (int)j, buf, len))
			mark_dead(cl, (int)j, "cannot send");
}

static void on_done(struct bvc_cluster *cl, int i, uint64_t g,
		    const struct bvc_precision_demand *demand)
{
	struct bvc_wire_msg m = { .kind = BVC_WIRE_DONE };
	struct item *it;

	if (g == 0 || g > cl->nitems)
		return;
	it = &cl->items[g - 1];
	if (it->state != ITEM_LEASED || it->holder != i)
		return; /* a duplicate, or from a lease we took back */
	it->state = ITEM_DONE;
	free(it->bytes);
	it->bytes = NULL;
	if (!cl->w[it->donor].alive)
		return; /* its donor's work is being redone */
	m.u.done.job_id = cl->job_id;
	m.u.done.work_id = it->donor_wid;
	m.u.done.demand = *demand; /* the donor applies it before counting */
	send_msg(cl, it->donor, &m);
}

struct verdict_state {
	int decided;        /* a Reject came */
	uint64_t insn;
	char msg[BVC_WIRE_MESSAGE_MAX + 1];
};

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

/* A message from a peer we do not know: only a Hello is welcome. */
static void on_stranger(struct bvc_cluster *cl, const uint8_t *id, size_t id_len,
			const void *payload, size_t len)
{
	struct bvc_coord_peer peer;
	char why[512], name[BVC_COORD_PEER_ID_MAX * 4 + 1];
	struct cworker *w;
	int i, ret;

	memset(&peer, 0, sizeof(peer));
	memcpy(peer.id, id, id_len);
	peer.id_len = id_len;
	rid_text(id, id_len, name, sizeof(name));
	i = find_local_pending(cl, id, id_len);
	if (i < 0 && !cl->opts.bind)
		return; /* nobody else can reach the private ipc endpoint */
	ret = bvc_coord__hello(cl->coord, &peer, payload, len, why, sizeof(why));
	if (ret) {
		if (ret == -EPROTO && strstr(why, "before hello"))
			return; /* a late message of a worker we declared dead */
		cl_log(cl, "refused %s: %s", name, why);
		if (i >= 0 && strstr(why, "refused")) {
			set_err(cl->err, cl->errsz, "handshake: %s", why);
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
	w->alive = 1;
	w->last_heard = now_ms();
	cl->none_since = 0;
	if (cl->in_job && cl->job_bytes) {
		/* A late joiner takes the job now and is idle: it gets work
		 * from the next schedule(). */
		w->busy = 1;
		w->valid = 0;
		send_bytes(cl, i, cl->job_bytes, cl->job_len);
		for (size_t k = 0; k < cl->ncps; k++)
			send_bytes(cl, i, cl->cps[k].bytes, cl->cps[k].len);
	}
}

/* Receive and handle every message waiting, after up to @timeout_ms.
 * Outside a job (@vs NULL) only Hellos and Heartbeats matter. */
static int pump(struct bvc_cluster *cl, int timeout_ms, struct verdict_state *vs)
{
	zmq_pollitem_t pi = { .socket = cl->coord->sock, .events = ZMQ_POLLIN };
	int ret;

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
		zmq_msg_close(&id);
		if (i < 0 || nframes != 1) {
			zmq_msg_close(&payload);
			if (cl->fail)
				return cl->fail;
			continue; /* a stranger (handled above), or malformed: ignore */
		}
		w = &cl->w[i];
		w->st.bytes_recv += zmq_msg_size(&payload);
		ret = bvc_wire_decode(zmq_msg_data(&payload), zmq_msg_size(&payload), &m, why,
				      sizeof(why));
		zmq_msg_close(&payload);
		if (ret) {
			mark_dead(cl, i, "protocol violation");
			continue;
		}
		w->last_heard = now_ms();
		if (!vs || !cl->in_job) {
			if (m.kind == BVC_WIRE_HELLO) {
				/* A live worker saying hello again has restarted its
				 * session: its old one is gone. */
				mark_dead(cl, i, "said hello again");
			}
			bvc_wire_msg_release(&m);
			continue;
		}
		ret = 0;
		switch (m.kind) {
		case BVC_WIRE_HEARTBEAT:
			if (w->valid && m.u.heartbeat.processed_insns > w->st.processed)
				w->st.processed = m.u.heartbeat.processed_insns;
			break;
		case BVC_WIRE_FINISHED:
			if (m.u.finished.job_id != cl->job_id)
				break;
			w->valid = 1;
			w->busy = 0;
			if (m.u.finished.processed_insns > w->st.processed)
				w->st.processed = m.u.finished.processed_insns;
			w->st.total_states = m.u.finished.total_states;
			w->st.peak_states = m.u.finished.peak_states;
			w->st.prune_remote = m.u.finished.remote_prune_hits;
			/* Depths only grow: keep the maxima over every report,
			 * a dead worker's included (it did explore those paths). */
			if (m.u.finished.nfuncs && m.u.finished.nfuncs <= 257) {
				cl->js.nfuncs = m.u.finished.nfuncs;
				for (uint32_t f = 0; f < m.u.finished.nfuncs; f++)
					if (m.u.finished.stack_depths[f] > cl->js.stack_depths[f])
						cl->js.stack_depths[f] = m.u.finished.stack_depths[f];
			}
			break;
		case BVC_WIRE_WORK:
			if (m.u.work.job_id != cl->job_id)
				break;
			w->valid = 1;
			ret = on_work(cl, i, &m);
			break;
		case BVC_WIRE_DONATE:
			if (m.u.donate.job_id != cl->job_id)
				break;
			w->valid = 1;
			w->donate_out = 0;
			break;
		case BVC_WIRE_DONE:
			if (m.u.done.job_id != cl->job_id)
				break;
			w->valid = 1;
			on_done(cl, i, m.u.done.work_id, &m.u.done.demand);
			break;
		case BVC_WIRE_CHECKPOINT:
			if (m.u.work.job_id != cl->job_id)
				break;
			w->valid = 1;
			on_checkpoint(cl, i, &m);
			break;
		case BVC_WIRE_REJECT:
			if (m.u.reject.job_id != cl->job_id || vs->decided)
				break;
			if (!strncmp(m.u.reject.message, "internal:", 9)) {
				set_err(cl->err, cl->errsz, "worker %d: %s", i, m.u.reject.message);
				cl->fail = -EIO;
				break;
			}
			vs->decided = 1;
			vs->insn = m.u.reject.insn;
			snprintf(vs->msg, sizeof(vs->msg), "%s", m.u.reject.message);
			break;
		default:
			mark_dead(cl, i, "protocol violation");
			break;
		}
		bvc_wire_msg_release(&m);
		if (ret) {
			cl->fail = ret;
			return ret;
		}
	}
}

static void check_health(struct bvc_cluster *cl, double *last_beat)
{
	double t = now_ms();
	struct bvc_wire_msg hb = { .kind = BVC_WIRE_HEARTBEAT };

	for (unsigned int i = 0; i < cl->n; i++) {
		struct cworker *w = &cl->w[i];
		int status;

		if (!w->alive)
			continue;
		if (w->pid > 0 && waitpid(w->pid, &status, WNOHANG) == w->pid) {
			w->pid = 0;
			mark_dead(cl, (int)i, "process exited");
		} else if (t - w->last_heard > 3.0 * hb_ms(cl)) {
			mark_dead(cl, (int)i, "missed 3 heartbeats");
		}
	}
	if (t - *last_beat >= hb_ms(cl)) {
		*last_beat = t;
		for (unsigned int i = 0; i < cl->n; i++)
			if (cl->w[i].alive)
				send_msg(cl, (int)i, &hb);
	}
}

/* Leases for queued items, Donate requests for idle workers. */
static void schedule(struct bvc_cluster *cl)
{
	size_t idle = 0, asks = 0, queued = 0;

	while (cl->entry_pending > 0 && pick_alive(cl) >= 0) {
		cl->entry_pending--;
		start_entry(cl);
	}

	for (size_t g = 0; g < cl->nitems; g++) {
		struct item *it = &cl->items[g];
		int h;

		if (it->state != ITEM_QUEUED)
			continue;
		h = pick_idle(cl);
		if (h < 0) {
			queued++;
			continue;
		}
		it->state = ITEM_LEASED;
		it->holder = h;
		it->attempts++;
		cl->w[h].busy = 1;
		cl->w[h].st.items++;
		send_bytes(cl, h, it->bytes, it->len);
	}
	for (unsigned int i = 0; i < cl->n; i++) {
		if (!cl->w[i].alive)
			continue;
		idle += !cl->w[i].busy;
		asks += cl->w[i].donate_out;
	}
	if (idle <= queued + asks)
		return;
	for (unsigned int i = 0; i < cl->n && asks < idle - queued; i++) {
		struct cworker *w = &cl->w[i];
		struct bvc_wire_msg m = { .kind = BVC_WIRE_DONATE };

		if (!w->alive || !w->busy || w->donate_out)
			continue;
		m.u.donate.job_id = cl->job_id;
		if (send_msg(cl, (int)i, &m) == 0) {
			w->donate_out = 1;
			w->st.asks++;
			asks++;
		}
	}
}

static int all_done(const struct bvc_cluster *cl)
{
	if (cl->entry_pending)
		return 0;
	for (unsigned int i = 0; i < cl->n; i++)
		if (cl->w[i].alive && (cl->w[i].busy || cl->w[i].donate_out))
			return 0;
	for (size_t g = 0; g < cl->nitems; g++)
		if (cl->items[g].state != ITEM_DONE)
			return 0;
	return 1;
}

static void job_reset(struct bvc_cluster *cl)
{
	for (size_t g = 0; g < cl->nitems; g++)
		free(cl->items[g].bytes);
	free(cl->items);
	free(cl->entry_bytes);
	free(cl->job_bytes);
	cl->items = NULL;
	cl->nitems = cl->cap = 0;
	cl->entry_bytes = NULL;
	cl->job_bytes = NULL;
	cl->entry_restarts = 0;
	cl->entry_pending = 0;
	cl->in_job = 0;
	for (size_t k = 0; k < cl->ncps; k++)
		free(cl->cps[k].bytes);
	free(cl->cps);
	cl->cps = NULL;
	cl->ncps = cl->cap_cps = 0;
}

int bvc_cluster_verify(struct bvc_cluster *cl, const void *object, size_t len,
		       const char *prog_name, const struct bvc_verify_opts *vopts,
		       struct bvc_verdict *out, char *err, size_t errsz)
{
	struct bvc_wire_msg job = { .kind = BVC_WIRE_JOB };
	struct verdict_state vs = { 0 };
	double last_beat = now_ms();
	uint64_t limit = vopts ? vopts->insn_limit : 0, sum = 0, total = 0, peak = 0;
	char why[256];
	void *buf = NULL;
	size_t blen;
	int ret, first = -1;

	memset(out, 0, sizeof(*out));
	memset(&cl->js, 0, sizeof(cl->js));
	cl->err = err;
	cl->errsz = errsz;
	cl->fail = 0;
	if (strlen(prog_name) >= sizeof(job.u.job.prog_name)) {
		set_err(err, errsz, "program name '%s' is too long for the wire", prog_name);
		return -EINVAL;
	}
	cl->job_id++;
	job.u.job.job_id = cl->job_id;
	snprintf(job.u.job.prog_name, sizeof(job.u.job.prog_name), "%s", prog_name);
	job.u.job.insn_limit = limit;
	job.u.job.prog_flags = vopts ? vopts->prog_flags : 0;
	job.u.job.object = (uint8_t *)object;
	job.u.job.object_len = len;
	job.u.job.start_entry = 1;
	ret = bvc_wire_encode(&job, &cl->entry_bytes, &cl->entry_len, why, sizeof(why));
	if (!ret) {
		job.u.job.start_entry = 0;
		ret = bvc_wire_encode(&job, &buf, &blen, why, sizeof(why));
	}
	if (ret) {
		set_err(err, errsz, "cannot encode the job: %s", why);
		job_reset(cl);
		return ret;
	}
	for (unsigned int i = 0; i < cl->n; i++) {
		struct cworker *w = &cl->w[i];

		w->busy = w->alive;
		w->donate_out = w->valid = w->entries = 0;
		w->st.items = w->st.donated = w->st.asks = w->st.processed = 0;
		w->st.total_states = w->st.peak_states = w->st.prune_remote = 0;
		w->st.bytes_sent = w->st.bytes_recv = 0;
		if (!w->alive)
			continue;
		if (first < 0) {
			first = (int)i;
			w->entries = 1;
			send_bytes(cl, (int)i, cl->entry_bytes, cl->entry_len);
		} else {
			send_bytes(cl, (int)i, buf, blen);
		}
	}
	cl->job_bytes = buf;
	cl->job_len = blen;
	cl->in_job = 1;
	if (first < 0) {
		if (!cl->opts.bind) {
			set_err(err, errsz, "infrastructure: no live worker");
			job_reset(cl);
			return -EIO;
		}
		cl->entry_pending = 1; /* the first worker to join starts it */
	}

	double t_start = now_ms(), last_progress = t_start;

	for (;;) {
		int alive = 0;

		if (cl->opts.progress && now_ms() - last_progress >= 250) {
			struct bvc_cluster_progress pr = { 0 };

			last_progress = now_ms();
			pr.secs = (last_progress - t_start) / 1e3;
			for (unsigned int i = 0; i < cl->n; i++) {
				pr.processed += cl->w[i].st.processed;
				pr.states += cl->w[i].st.total_states;
				pr.live += cl->w[i].alive;
				pr.busy += cl->w[i].alive && cl->w[i].busy;
			}
			cl->opts.progress(cl->opts.progress_arg, &pr);
		}
		ret = pump(cl, 20, &vs);
		if (ret || cl->fail)
			break;
		if (vs.decided)
			break;
		check_health(cl, &last_beat);
		if (cl->fail)
			break;
		sum = 0;
		for (unsigned int i = 0; i < cl->n; i++) {
			sum += cl->w[i].st.processed;
			alive += cl->w[i].alive;
		}
		if (!alive) {
			double t = now_ms();

			if (!cl->none_since)
				cl->none_since = t;
			if (!cl->opts.bind || t - cl->none_since > wait_ms(cl)) {
				if (cl->opts.bind)
					set_err(err, errsz,
						"infrastructure: no live worker, and none joined %s within %d s",
						bvc_cluster_endpoint(cl), wait_ms(cl) / 1000);
				else
					set_err(err, errsz, "infrastructure: every worker died");
				cl->fail = -EIO;
				break;
			}
		} else {
			cl->none_since = 0;
		}
		if (limit && sum > limit) {
			vs.decided = 1;
			vs.insn = 0;
			snprintf(vs.msg, sizeof(vs.msg), "BPF program is too large. Processed %llu insn",
				 (unsigned long long)sum);
			break;
		}
		schedule(cl);
		if (cl->fail)
			break;
		if (all_done(cl))
			break;
	}
	send_cancel(cl, cl->job_id);
	sum = 0;
	for (unsigned int i = 0; i < cl->n; i++) {
		sum += cl->w[i].st.processed;
		total += cl->w[i].st.total_states;
		if (cl->w[i].st.peak_states > peak)
			peak = cl->w[i].st.peak_states;
	}
	cl->js.processed = sum;
	job_reset(cl);
	if (cl->fail)
		return cl->fail;
	if (ret)
		return ret;
	out->processed = sum;
	out->total_states = total;
	out->peak_states = peak;
	if (vs.decided) {
		out->kind = BVC_REJECT;
		out->insn = (size_t)vs.insn;
		out->unsupported = !strncmp(vs.msg, "unsupported:", 12);
		snprintf(out->msg, sizeof(out->msg), "%s", vs.msg);
	} else {
		out->kind = BVC_ACCEPT;
	}
	return 0;
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
	job_reset(cl);
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
		set_err(err, errsz, "cluster: between 1 and 1024 local workers, or a --bind endpoint for remote ones");
		return -EINVAL;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		set_err(err, errsz, "out of memory");
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
		set_err(err, errsz, "out of memory");
		goto fail;
	}
	ret = bvc_coord_plan_cores(cl->n, &cl->plan, err, errsz);
	if (ret)
		goto fail;
	snprintf(cl->dir, sizeof(cl->dir), "/tmp/bvc-cluster-XXXXXX");
	if (!mkdtemp(cl->dir)) {
		ret = -errno;
		set_err(err, errsz, "cannot make a temp dir: %s", strerror(errno));
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
			set_err(err, errsz, "CURVE needs a trust store (--curve-trust)");
			ret = -EINVAL;
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
	deadline = now_ms() + hs_ms;
	last_beat = now_ms();
	for (;;) {
		unsigned int ready = 0, alive = 0;
		int exited = 0;

		for (unsigned int i = 0; i < cl->n; i++) {
			ready += i < cl->nlocal && cl->w[i].alive;
			alive += cl->w[i].alive;
		}
		if (cl->nlocal ? ready == cl->nlocal : alive > 0)
			break;
		if (now_ms() >= deadline) {
			if (cl->nlocal)
				set_err(err, errsz, "only %u of %u workers said hello within %d ms", ready,
					cl->nlocal, hs_ms);
			else
				set_err(err, errsz, "no worker joined %s within %d s (%llu refused by CURVE)",
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
			set_err(err, errsz, "a worker exited during the handshake (is '%s worker' runnable?)",
				opts->exe ? opts->exe : "/proc/self/exe");
			ret = -EIO;
			goto fail;
		}
		ret = pump(cl, 100, NULL);
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
	return &cl->js;
}

void bvc_cluster_set_progress_arg(struct bvc_cluster *cl, void *arg)
{
	cl->opts.progress_arg = arg;
}
