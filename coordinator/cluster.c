// SPDX-License-Identifier: MIT
/*
 * A cluster of local workers (docs/design.md section 4): spawning and
 * placement, who is a member, the messages to and from them, their health.
 * The work queue and leases are in lease.c, jobs and batches in batch.c.
 *
 * Setup: plan one core per worker (hwloc), make a fresh temp dir, fork+exec
 * `EXE worker --connect ipc://DIR/sock --id wI --cpuset LIST [--mem-limit B]` for each
 * worker *before* any ZeroMQ context exists in this process (forking a
 * process with ZeroMQ's threads can deadlock the child), then bind the
 * ROUTER and run the Hello handshake with each (build ids must match).
 *
 * Reliability: a worker that exits (waitpid) or misses
 * BVC_WIRE_DEAD_BEATS heartbeats (a generous number: workers beat from a
 * thread of their own, and a loaded machine must not lose live workers) is
 * dead (cl_mark_dead(), lease.c, takes its work back).
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
 * BVC_WIRE_CANCEL_REJOIN) and comes back with a fresh Hello as a new worker;
 * whatever else it says meanwhile is dropped: its leases went to others.
 * Local workers are spawned with a random routing id, so no remote peer
 * can take one over. Every frame from a peer is decoded here
 * (bvc_wire_decode()) before anything else reads it; one that does not
 * decode costs the peer its membership.
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
#include "bpfvc/util.h"
#include "internal.h"

#define HANDSHAKE_MS 10000
#define HEALTH_MS 50 /* exits and silences looked for at most this often */
#define BVC_STR_(x) #x
#define BVC_STR(x) BVC_STR_(x)

static int wait_ms(const struct bvc_cluster *cl)
{
	return cl->opts.wait_ms > 0 ? cl->opts.wait_ms : 30000;
}

static int hb_ms(const struct bvc_cluster *cl)
{
	return cl->opts.heartbeat_ms > 0 ? cl->opts.heartbeat_ms : BVC_WIRE_HEARTBEAT_MS;
}

static int spawn(struct bvc_cluster *cl, unsigned int i, char *err, size_t errsz)
{
	const char *exe = cl->opts.exe ? cl->opts.exe : "/proc/self/exe";
	char *argv[12];
	int k = 0;
	pid_t pid;
	char mem[32];

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
	if (cl->opts.worker_mem_limit) {
		snprintf(mem, sizeof(mem), "%llu", (unsigned long long)cl->opts.worker_mem_limit);
		argv[k++] = "--mem-limit";
		argv[k++] = mem;
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

int cl_send_bytes(struct bvc_cluster *cl, int i, const void *buf, size_t len)
{
	void *sock = cl->coord->sock;
	struct cworker *w = &cl->w[i];

	if (zmq_send(sock, w->rid, w->rid_len, ZMQ_SNDMORE) < 0 ||
	    zmq_send(sock, buf, len, 0) < 0)
		return -errno;
	w->st.bytes_sent += len;
	w->st.msgs_sent++;
	return 0;
}

void cl_log(struct bvc_cluster *cl, const char *fmt, ...)
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

int cl_send_msg(struct bvc_cluster *cl, int i, const struct bvc_wire_msg *m)
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
	ret = cl_send_bytes(cl, i, buf, len);
	free(buf);
	if (ret)
		cl_mark_dead(cl, i, "cannot send");
	return ret;
}

static void send_cancel(struct bvc_cluster *cl, uint64_t job_id)
{
	struct bvc_wire_msg m = { .kind = BVC_WIRE_CANCEL };

	m.u.cancel.job_id = job_id;
	for (unsigned int i = 0; i < cl->n; i++)
		if (cl->w[i].alive)
			cl_send_msg(cl, (int)i, &m);
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
 * (Cancel of BVC_WIRE_CANCEL_REJOIN: it drops its jobs and says Hello); one
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
	m.u.cancel.job_id = w->violated ? BVC_WIRE_CANCEL_BYE : BVC_WIRE_CANCEL_REJOIN;
	if (bvc_wire_encode(&m, &buf, &len, why, sizeof(why)))
		return;
	cl_send_bytes(cl, d, buf, len); /* it may be gone again: nothing to do */
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
int cl_pump(struct bvc_cluster *cl, int timeout_ms)
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
			cl_mark_bad(cl, i, "%d frames in one message", nframes);
		if (i < 0 || nframes != 1) {
			zmq_msg_close(&id);
			zmq_msg_close(&payload);
			if (cl->fail)
				return cl->fail;
			continue; /* a stranger (handled above), or malformed */
		}
		w = &cl->w[i];
		w->st.bytes_recv += zmq_msg_size(&payload);
		w->st.msgs_recv++;
		if (bvc_wire_decode(zmq_msg_data(&payload), zmq_msg_size(&payload), &m, why,
				    sizeof(why))) {
			zmq_msg_close(&id);
			zmq_msg_close(&payload);
			cl_mark_bad(cl, i, "%s", why);
			continue;
		}
		w->last_heard = bvc_now_ms();
		if (m.kind == BVC_WIRE_HELLO) {
			/* A live worker saying hello again has restarted its
			 * session: its old one is gone, a remote one joins
			 * again as a new worker. */
			cl_mark_dead(cl, i, "said hello again");
			if (w->remote)
				on_stranger(cl, zmq_msg_data(&id), zmq_msg_size(&id),
					    zmq_msg_data(&payload), zmq_msg_size(&payload));
		} else if (cl->in_batch) {
			cl_on_job_msg(cl, i, &m);
		}
		zmq_msg_close(&id);
		zmq_msg_close(&payload);
		bvc_wire_msg_release(&m);
		if (cl->fail)
			return cl->fail;
	}
}

void cl_check_health(struct bvc_cluster *cl, double *last_beat)
{
	static const struct bvc_wire_msg hb = { .kind = BVC_WIRE_HEARTBEAT };
	double t = bvc_now_ms();

	/* The batch loop comes here after every message it wakes for: with
	 * many workers, a waitpid() each every time was most of the
	 * coordinator's own CPU. A death is seen within HEALTH_MS. */
	if (t - cl->last_health < HEALTH_MS && t >= cl->last_health)
		return;
	cl->last_health = t;
	for (unsigned int i = 0; i < cl->n; i++) {
		struct cworker *w = &cl->w[i];
		int status;

		if (!w->alive)
			continue;
		if (w->pid > 0 && waitpid(w->pid, &status, WNOHANG) == w->pid) {
			w->pid = 0;
			cl_mark_dead(cl, (int)i, "process exited");
		} else if (t - w->last_heard > (double)BVC_WIRE_DEAD_BEATS * hb_ms(cl)) {
			cl_mark_dead(cl, (int)i, "missed " BVC_STR(BVC_WIRE_DEAD_BEATS) " heartbeats");
		}
	}
	if (t - *last_beat >= hb_ms(cl)) {
		*last_beat = t;
		for (unsigned int i = 0; i < cl->n; i++)
			if (cl->w[i].alive)
				cl_send_msg(cl, (int)i, &hb);
	}
}

/* Every worker is dead: wait for a remote one (with --bind) or give up. */
int cl_check_alive(struct bvc_cluster *cl)
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

/* --- setup and teardown -------------------------------------------------- */

void bvc_cluster_free(struct bvc_cluster *cl)
{
	char path[256];

	if (!cl)
		return;
	if (cl->coord) {
		send_cancel(cl, BVC_WIRE_CANCEL_BYE);
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
	struct bvc_cluster_opts o;
	struct bvc_cluster *cl;
	double deadline, last_beat;
	int ret, hs_ms;

	*out = NULL;
	if (bvc_opts_copy(&o, sizeof(o), opts, BVC_OPTS_END(struct bvc_cluster_opts, nworkers),
			  "bvc_cluster_opts", err, errsz))
		return -EINVAL;
	opts = &o;
	if (opts->nworkers > 1024 || (opts->nworkers < 1 && !opts->bind)) {
		bvc_set_err(err, errsz, "cluster: between 1 and 1024 local workers, or a --bind endpoint for remote ones");
		return -EINVAL;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		bvc_set_err(err, errsz, "out of memory");
		return -ENOMEM;
	}
	cl->opts = o;
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
		ret = cl_pump(cl, 100);
		if (!ret)
			ret = cl->fail;
		if (ret)
			goto fail;
		cl_check_health(cl, &last_beat);
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
