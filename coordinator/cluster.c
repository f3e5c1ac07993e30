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
 * No global pruning cache yet: each worker prunes against its own finalized
 * checkpoints only. Sound; it just explores more than a shared cache would.
 *
 * Must not: print (the caller prints stats and -v text), block without a
 * timeout, or leave a child process behind.
 */
#include <errno.h>
#include <limits.h>
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
	pid_t pid;          /* child process, 0 once reaped */
	int alive;          /* handshaken and not dead */
	char id[16];        /* routing id "wI" */
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
	unsigned int n;
	struct cworker *w;
	uint64_t job_id;
	/* per job */
	struct item *items;
	size_t nitems, cap;
	void *entry_bytes;        /* the Job with start_entry = 1 */
	size_t entry_len;
	int entry_restarts;
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

	snprintf(cl->w[i].id, sizeof(cl->w[i].id), "w%u", i % 10000);
	argv[k++] = (char *)exe;
	argv[k++] = "worker";
	argv[k++] = "--connect";
	argv[k++] = cl->endpoint;
	argv[k++] = "--id";
	argv[k++] = cl->w[i].id;
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

	if (zmq_send(sock, w->id, strlen(w->id), ZMQ_SNDMORE) < 0 ||
	    zmq_send(sock, buf, len, 0) < 0)
		return -errno;
	return 0;
}

static void mark_dead(struct bvc_cluster *cl, int i, const char *why);

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

	if (i < 0)
		return; /* the job loop reports that no worker is left */
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
	if (!cl->job_id)
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

static void on_done(struct bvc_cluster *cl, int i, uint64_t g)
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
	send_msg(cl, it->donor, &m);
}

struct verdict_state {
	int decided;        /* a Reject came */
	uint64_t insn;
	char msg[BVC_WIRE_MESSAGE_MAX + 1];
};

/* Receive and handle every message waiting, after up to @timeout_ms. */
static int pump(struct bvc_cluster *cl, int timeout_ms, struct verdict_state *vs)
{
	zmq_pollitem_t pi = { .socket = cl->coord->sock, .events = ZMQ_POLLIN };
	int ret;

	if (zmq_poll(&pi, 1, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	for (;;) {
		struct bvc_wire_msg m;
		zmq_msg_t id, payload;
		int more = 0, i = -1, nframes = 0;
		size_t sz = sizeof(more);
		char why[256];
		struct cworker *w;

		zmq_msg_init(&id);
		if (zmq_msg_recv(&id, cl->coord->sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&id);
			return 0;
		}
		if (zmq_msg_size(&id) >= 2 && ((char *)zmq_msg_data(&id))[0] == 'w') {
			char buf[8] = { 0 };
			size_t n = zmq_msg_size(&id);

			if (n < sizeof(buf)) {
				memcpy(buf, zmq_msg_data(&id), n);
				i = atoi(buf + 1);
			}
		}
		zmq_msg_close(&id);
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
		if (i < 0 || (unsigned int)i >= cl->n || !cl->w[i].alive || nframes != 1) {
			zmq_msg_close(&payload);
			continue; /* not one of ours, dead, or malformed: ignore */
		}
		w = &cl->w[i];
		ret = bvc_wire_decode(zmq_msg_data(&payload), zmq_msg_size(&payload), &m, why,
				      sizeof(why));
		zmq_msg_close(&payload);
		if (ret) {
			mark_dead(cl, i, "protocol violation");
			continue;
		}
		w->last_heard = now_ms();
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
			on_done(cl, i, m.u.done.work_id);
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
	cl->items = NULL;
	cl->nitems = cl->cap = 0;
	cl->entry_bytes = NULL;
	cl->entry_restarts = 0;
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
		w->st.total_states = w->st.peak_states = 0;
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
	free(buf);
	if (first < 0) {
		set_err(err, errsz, "infrastructure: no live worker");
		job_reset(cl);
		return -EIO;
	}

	for (;;) {
		int alive = 0;

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
			set_err(err, errsz, "infrastructure: every worker died");
			cl->fail = -EIO;
			break;
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
	unsigned int ready = 0;
	double deadline;
	int ret;

	*out = NULL;
	if (!opts || opts->sz < sizeof(size_t) || opts->nworkers < 1 || opts->nworkers > 1024) {
		set_err(err, errsz, "cluster: between 1 and 1024 workers");
		return -EINVAL;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		set_err(err, errsz, "out of memory");
		return -ENOMEM;
	}
	memcpy(&cl->opts, opts, opts->sz < sizeof(cl->opts) ? opts->sz : sizeof(cl->opts));
	cl->n = opts->nworkers;
	cl->w = calloc(cl->n, sizeof(*cl->w));
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
	for (unsigned int i = 0; i < cl->n; i++) {
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
	deadline = now_ms() + (opts->handshake_ms > 0 ? opts->handshake_ms : HANDSHAKE_MS);
	while (ready < cl->n && now_ms() < deadline) {
		struct bvc_coord_peer peer;
		char why[256];
		int exited = 0;

		for (unsigned int i = 0; i < cl->n; i++) {
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
		ret = bvc_coord_handshake(cl->coord, 100, &peer, why, sizeof(why));
		if (ret == -ETIMEDOUT)
			continue;
		if (ret == -EPROTO && strstr(why, "refused")) {
			set_err(err, errsz, "handshake: %s", why);
			goto fail;
		}
		if (ret || peer.id_len < 2 || peer.id[0] != 'w' || peer.id_len >= 8)
			continue;
		{
			char buf[8] = { 0 };
			int i;

			memcpy(buf, peer.id, peer.id_len);
			i = atoi(buf + 1);
			if (i < 0 || (unsigned int)i >= cl->n || cl->w[i].alive)
				continue;
			cl->w[i].alive = 1;
			cl->w[i].last_heard = now_ms();
			ready++;
		}
	}
	if (ready < cl->n) {
		set_err(err, errsz, "only %u of %u workers said hello within %d ms", ready, cl->n,
			opts->handshake_ms > 0 ? opts->handshake_ms : HANDSHAKE_MS);
		ret = -ETIMEDOUT;
		goto fail;
	}
	*out = cl;
	return 0;
fail:
	bvc_cluster_free(cl);
	return ret;
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
