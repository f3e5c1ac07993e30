// SPDX-License-Identifier: MIT
/*
 * The cluster's first pieces, for real: an hwloc placement plan checked
 * against hwloc's own counts, pinning checked by reading the binding back,
 * and the Hello handshake over an ipc:// endpoint in a temporary directory
 * with the worker in a forked process. Hostile peers (garbage, several
 * frames, another version, a message before Hello, an oversized frame, a
 * wrong build id) are refused with a clear message, and the coordinator
 * keeps serving afterwards. Every wait has a timeout; so does every test.
 *
 * Workers are forked before this process creates any ZeroMQ context, and
 * started later through a pipe: forking a process that has threads gives
 * the child whatever locks those threads held (GCC 12's ASan allocator has
 * no fork handler), and the child can deadlock on its first malloc.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hwloc.h>
#include <zmq.h>

#include "bpfvc/coordinator.h"
#include "scratch.h"
#include "bpfvc/state_serial.h"
#include "bpfvc/worker.h"

#define WAIT_MS 5000

static char endpoint[128];

static void setup(void)
{
	scratch_make("bvc-cluster");
	snprintf(endpoint, sizeof(endpoint), "ipc://%s/coord", dir);
}

static void teardown(void) { scratch_remove(); }

TestSuite(cluster, .init = setup, .fini = teardown, .timeout = 60);

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* --- a forked worker ----------------------------------------------------- */

struct child {
	pid_t pid;
	int fd; /* read end: the child's error message */
	int go; /* write end: one byte starts the worker */
};

enum { CHILD_OK = 0, CHILD_EPROTO = 1, CHILD_TIMEDOUT = 2, CHILD_OTHER = 3, CHILD_NO_GO = 4 };

/* Fork a worker that, once started with go(), says hello to @ep announcing
 * @build_id (NULL: ours) and reports through its exit code and a pipe. */
static struct child spawn_worker(const char *ep, const char *build_id, int timeout_ms)
{
	struct child c;
	int p[2], g[2];

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(pipe(g), 0);
	c.pid = fork();
	cr_assert_geq(c.pid, 0);
	if (c.pid == 0) {
		struct bvc_worker_opts o = {
			.sz = sizeof(o), .cores = 1, .timeout_ms = timeout_ms, .build_id = build_id,
		};
		struct pollfd pfd = { .fd = g[0], .events = POLLIN };
		struct bvc_wire_hello theirs;
		struct bvc_worker *w;
		char err[512] = "", b;
		int ret, code;

		close(p[0]);
		close(g[1]);
		/* Wait to be started; a parent that fails first closes the pipe. */
		if (poll(&pfd, 1, 4 * WAIT_MS) != 1 || read(g[0], &b, 1) != 1)
			_exit(CHILD_NO_GO);
		ret = bvc_worker_new(ep, &o, &w, err, sizeof(err));
		if (!ret) {
			ret = bvc_worker_hello(w, &theirs, err, sizeof(err));
			/* The coordinator answered with its own build id. */
			if (!ret && strcmp(theirs.build_id, bvc_wire_build_id()) != 0) {
				snprintf(err, sizeof(err), "coordinator build id %s", theirs.build_id);
				ret = -EINVAL;
			}
			bvc_worker_free(w);
		}
		code = ret == 0 ? CHILD_OK : ret == -EPROTO ? CHILD_EPROTO
				: ret == -ETIMEDOUT ? CHILD_TIMEDOUT : CHILD_OTHER;
		if (write(p[1], err, strlen(err)) < 0)
			code = CHILD_OTHER;
		close(p[1]);
		/* _exit: the test runner's atexit handlers belong to the parent. */
		_exit(code);
	}
	close(p[1]);
	close(g[0]);
	c.fd = p[0];
	c.go = g[1];
	return c;
}

static void go(struct child *c)
{
	cr_assert_eq(write(c->go, "g", 1), 1);
	close(c->go);
	c->go = -1;
}

/* Wait for @c with a deadline (killing it past that); returns its exit code
 * and its message in @msg. */
static int reap(struct child c, char *msg, size_t msgsz)
{
	double end = now_ms() + 2 * WAIT_MS;
	int status = 0;
	ssize_t n;

	for (;;) {
		pid_t r = waitpid(c.pid, &status, WNOHANG);

		cr_assert_geq(r, 0);
		if (r == c.pid)
			break;
		if (now_ms() > end) {
			kill(c.pid, SIGKILL);
			waitpid(c.pid, &status, 0);
			cr_assert_fail("worker %d did not finish", (int)c.pid);
		}
		usleep(10000);
	}
	n = read(c.fd, msg, msgsz - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(c.fd);
	if (c.go >= 0)
		close(c.go);
	cr_assert(WIFEXITED(status), "worker died: status %#x", status);
	return WEXITSTATUS(status);
}

static struct bvc_coord *coord_new(const char *build_id)
{
	struct bvc_coord_opts o = { .sz = sizeof(o), .cores = 2, .build_id = build_id };
	struct bvc_coord *c;
	char err[256] = "";

	cr_assert_eq(bvc_coord_new(endpoint, &o, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(bvc_coord_endpoint(c), endpoint);
	return c;
}

/* Start @w, a good worker, and complete its handshake: the proof that the
 * coordinator survived whatever came before. */
static void good_handshake(struct bvc_coord *c, struct child w)
{
	struct bvc_coord_peer peer;
	char err[512] = "", msg[512];

	go(&w);
	cr_assert_eq(bvc_coord_handshake(c, WAIT_MS, &peer, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(peer.hello.build_id, bvc_wire_build_id());
	cr_assert_eq(peer.hello.protocol_version, BVC_WIRE_PROTOCOL_VERSION);
	cr_assert_eq(peer.hello.cores, 1);
	cr_assert_gt(peer.id_len, 0);
	cr_assert_eq(reap(w, msg, sizeof(msg)), CHILD_OK, "worker: %s", msg);
}

/* --- a raw peer for hostile frames ---------------------------------------- */

struct raw {
	void *ctx;
	void *sock;
};

static struct raw raw_new(void)
{
	struct raw r;
	int linger = 0, t = 300;

	r.ctx = zmq_ctx_new();
	cr_assert_not_null(r.ctx);
	r.sock = zmq_socket(r.ctx, ZMQ_DEALER);
	cr_assert_not_null(r.sock);
	zmq_setsockopt(r.sock, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(r.sock, ZMQ_RCVTIMEO, &t, sizeof(t));
	cr_assert_eq(zmq_connect(r.sock, endpoint), 0);
	return r;
}

static void raw_free(struct raw r)
{
	zmq_close(r.sock);
	zmq_ctx_term(r.ctx);
}

/* What the raw peer got back: -1 for nothing within its timeout. */
static int raw_recv(struct raw r, uint8_t *buf, size_t cap)
{
	return zmq_recv(r.sock, buf, cap, 0);
}

/* --- placement ------------------------------------------------------------ */

Test(cluster, plan_matches_hwloc)
{
	struct bvc_coord_plan *plan;
	hwloc_topology_t topo;
	hwloc_bitmap_t all, one;
	char err[256] = "";
	unsigned int i, pus = 0;
	int cores;

	cr_assert_eq(bvc_coord_plan_cores(0, &plan, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(hwloc_topology_init(&topo), 0);
	cr_assert_eq(hwloc_topology_load(topo), 0);
	cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
	cr_assert_gt(plan->ncores, 0);
	cr_assert_eq(plan->ncores, (unsigned)cores, "plan %u cores, hwloc %d", plan->ncores, cores);
	cr_assert_eq(plan->npus, (unsigned)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU));
	cr_assert_eq(plan->nworkers, plan->ncores, "one worker per core by default");

	all = hwloc_bitmap_alloc();
	one = hwloc_bitmap_alloc();
	for (i = 0; i < plan->nworkers; i++) {
		const struct bvc_core_slot *s = &plan->slots[i];

		cr_assert_eq(s->worker, i);
		cr_assert_eq(hwloc_bitmap_list_sscanf(one, s->cpuset), 0, "%s", s->cpuset);
		cr_assert_gt(hwloc_bitmap_weight(one), 0, "worker %u: empty cpuset", i);
		cr_assert_eq((unsigned)hwloc_bitmap_weight(one), s->npus);
		/* One worker per core: no PU is shared. */
		cr_assert_not(hwloc_bitmap_intersects(all, one), "worker %u overlaps", i);
		hwloc_bitmap_or(all, all, one);
		pus += s->npus;
	}
	/* Together the cores cover every PU we may use. */
	cr_assert(hwloc_bitmap_isequal(all, hwloc_topology_get_allowed_cpuset(topo)));
	cr_assert_eq(pus, plan->npus);
	cr_assert(strstr(plan->topology, "machine: "), "%s", plan->topology);
	cr_assert(strstr(plan->topology, "worker 0 -> core L#0"), "%s", plan->topology);
	cr_log_info("%s", plan->topology);

	hwloc_bitmap_free(all);
	hwloc_bitmap_free(one);
	hwloc_topology_destroy(topo);
	bvc_coord_plan_free(plan);
	bvc_coord_plan_free(NULL);
}

Test(cluster, plan_wraps_around)
{
	struct bvc_coord_plan *plan;
	char err[256] = "";
	unsigned int i, n;

	cr_assert_eq(bvc_coord_plan_cores(0, &plan, err, sizeof(err)), 0, "%s", err);
	n = plan->ncores;
	bvc_coord_plan_free(plan);
	cr_assert_eq(bvc_coord_plan_cores(2 * n + 1, &plan, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(plan->nworkers, 2 * n + 1);
	for (i = 0; i < plan->nworkers; i++) {
		cr_assert_eq(plan->slots[i].core, plan->slots[i % n].core);
		cr_assert_str_eq(plan->slots[i].cpuset, plan->slots[i % n].cpuset);
	}
	cr_assert(strstr(plan->topology, "wrapping around"), "%s", plan->topology);
	bvc_coord_plan_free(plan);
}

Test(cluster, pin_each_core)
{
	struct bvc_coord_plan *plan;
	char err[256] = "";
	unsigned int i;

	cr_assert_eq(bvc_coord_plan_cores(0, &plan, err, sizeof(err)), 0, "%s", err);
	for (i = 0; i < plan->nworkers; i++) {
		pid_t pid = fork();
		int status;

		cr_assert_geq(pid, 0);
		if (pid == 0) {
			hwloc_topology_t topo;
			hwloc_bitmap_t want = hwloc_bitmap_alloc(), got = hwloc_bitmap_alloc();
			int ok;

			if (bvc_worker_pin_to_core(&plan->slots[i], err, sizeof(err)))
				_exit(1);
			if (hwloc_topology_init(&topo) || hwloc_topology_load(topo))
				_exit(2);
			hwloc_bitmap_list_sscanf(want, plan->slots[i].cpuset);
			if (hwloc_get_cpubind(topo, got, HWLOC_CPUBIND_THREAD))
				_exit(3);
			ok = hwloc_bitmap_isequal(want, got);
			_exit(ok ? 0 : 4);
		}
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "worker %u: pin to %s failed (status %#x)", i, plan->slots[i].cpuset, status);
	}
	bvc_coord_plan_free(plan);
}

Test(cluster, pin_refuses_bad_cpusets)
{
	static const char *bad[] = { "", "abc", "0-", "100000" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bvc_core_slot s;
		char err[256] = "";

		memset(&s, 0, sizeof(s));
		s.worker = 3;
		snprintf(s.cpuset, sizeof(s.cpuset), "%s", bad[i]);
		cr_assert_eq(bvc_worker_pin_to_core(&s, err, sizeof(err)), -EINVAL, "'%s'", bad[i]);
		cr_assert(strstr(err, "worker 3: "), "%s", err);
		cr_log_info("'%s': %s", bad[i], err);
	}
}

/* --- handshake -------------------------------------------------------------- */

Test(cluster, hello_handshake)
{
	struct child w1 = spawn_worker(endpoint, NULL, WAIT_MS);
	struct child w2 = spawn_worker(endpoint, NULL, WAIT_MS);
	struct bvc_coord *c = coord_new(NULL);

	good_handshake(c, w1);
	/* And a second worker on the same socket. */
	good_handshake(c, w2);
	bvc_coord_free(c);
}

Test(cluster, worker_before_coordinator)
{
	/* ZeroMQ connects in the background: a worker started first is
	 * served once the coordinator binds. */
	struct child w = spawn_worker(endpoint, NULL, WAIT_MS);
	struct bvc_coord_peer peer;
	struct bvc_coord *c;
	char err[512] = "", msg[512];

	go(&w);
	usleep(100000);
	c = coord_new(NULL);
	cr_assert_eq(bvc_coord_handshake(c, WAIT_MS, &peer, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(reap(w, msg, sizeof(msg)), CHILD_OK, "worker: %s", msg);
	bvc_coord_free(c);
}

Test(cluster, garbled_frame)
{
	struct child good = spawn_worker(endpoint, NULL, WAIT_MS);
	struct bvc_coord *c = coord_new(NULL);
	struct bvc_coord_peer peer;
	struct raw r = raw_new();
	char err[512] = "";
	uint8_t buf[256];

	cr_assert_eq(zmq_send(r.sock, "\xff\xff\xff\xff garbage", 12, 0), 12);
	cr_assert_eq(bvc_coord_handshake(c, WAIT_MS, &peer, err, sizeof(err)), -EBADMSG);
	cr_assert(strstr(err, "peer "), "%s", err);
	cr_assert(strstr(err, "Envelope: byte 0: "), "%s", err);
	cr_log_info("%s", err);
	/* Garbage gets no answer. */
	cr_assert_eq(raw_recv(r, buf, sizeof(buf)), -1);
	cr_assert_eq(zmq_errno(), EAGAIN);

	/* An empty frame, too. */
	cr_assert_eq(zmq_send(r.sock, "", 0, 0), 0);
	cr_assert_eq(bvc_coord_handshake(c, WAIT_MS, &peer, err, sizeof(err)), -EBADMSG);
	cr_assert(strstr(err, "empty frame"), "%s", err);

	good_handshake(c, good);
	raw_free(r);
	bvc_coord_free(c);
}

Test(cluster, several_frames)
{
	struct child good = spawn_worker(endpoint, NULL, WAIT_MS);
	struct bvc_coord *c = coord_new(NULL);
	struct bvc_coord_peer peer;
	struct bvc_wire_msg m;
	struct raw r = raw_new();
	char err[512] = "";
	size_t len;
	void *buf;

	bvc_wire_hello_init(&m, 1);
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), 0);
	/* A valid Hello, but followed by a second frame. */
	cr_assert_eq(zmq_send(r.sock, buf, len, ZMQ_SNDMORE), (int)len);
	cr_assert_eq(zmq_send(r.sock, buf, len, 0), (int)len);
	free(buf);
	cr_assert_eq(bvc_coord_handshake(c, WAIT_MS, &peer, err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "2 frames in one message, expected 1"), "%s", err);
	good_handshake(c, good);
	raw_free(r);
	bvc_coord_free(c);
}

Test(cluster, other_protocol_version)
{
	/* Version 99 envelope around a version 99 Hello, forged by hand: a
	 * version we will never speak, whatever ours is. */
	static const uint8_t v2[] = { 0x08, 0x63, 0x12, 0x07, 0x08, 0x63, 0x12, 0x01, 'x', 0x18, 0x01 };
	char expect[64];
	struct child good = spawn_worker(endpoint, NULL, WAIT_MS);
	struct bvc_coord *c = coord_new(NULL);
	struct bvc_coord_peer peer;
	struct bvc_wire_msg m;
	struct raw r = raw_new();
	char err[512] = "";
	uint8_t buf[512];
	int n;

	cr_assert_eq(zmq_send(r.sock, v2, sizeof(v2), 0), (int)sizeof(v2));
	cr_assert_eq(bvc_coord_handshake(c, WAIT_MS, &peer, err, sizeof(err)), -EPROTO);
	snprintf(expect, sizeof(expect), "protocol version 99, expected %d",
		 BVC_WIRE_PROTOCOL_VERSION);
	cr_assert(strstr(err, expect), "%s", err);
	/* The peer is told which version we speak. */
	n = raw_recv(r, buf, sizeof(buf));
	cr_assert_gt(n, 0, "no answer to another version");
	cr_assert_eq(bvc_wire_decode(buf, (size_t)n, &m, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(m.kind, BVC_WIRE_HELLO);
	cr_assert_eq(m.u.hello.protocol_version, BVC_WIRE_PROTOCOL_VERSION);
	cr_assert_eq(m.u.hello.cores, 2);
	good_handshake(c, good);
	raw_free(r);
	bvc_coord_free(c);
}

Test(cluster, message_before_hello)
{
	struct bvc_coord *c = coord_new(NULL);
	struct bvc_coord_peer peer;
	struct bvc_wire_msg m;
	struct raw r = raw_new();
	char err[512] = "";
	uint8_t rbuf[64];
	size_t len;
	void *buf;

	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_HEARTBEAT;
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), 0);
	cr_assert_eq(zmq_send(r.sock, buf, len, 0), (int)len);
	free(buf);
	cr_assert_eq(bvc_coord_handshake(c, WAIT_MS, &peer, err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "heartbeat before hello"), "%s", err);
	cr_assert_eq(raw_recv(r, rbuf, sizeof(rbuf)), -1);
	raw_free(r);
	bvc_coord_free(c);
}

Test(cluster, oversized_frame)
{
	struct child good = spawn_worker(endpoint, NULL, WAIT_MS);
	struct bvc_coord *c = coord_new(NULL);
	struct bvc_coord_peer peer;
	struct raw r = raw_new();
	size_t n = 2 * BVC_WIRE_FRAME_MAX;
	char err[512] = "";
	uint8_t *big = calloc(1, n);

	/* ZeroMQ drops the peer before the frame reaches us. */
	cr_assert_eq(zmq_send(r.sock, big, n, 0), (int)n);
	free(big);
	cr_assert_eq(bvc_coord_handshake(c, 500, &peer, err, sizeof(err)), -ETIMEDOUT, "%s", err);
	good_handshake(c, good);
	raw_free(r);
	bvc_coord_free(c);
}

Test(cluster, build_id_mismatch)
{
	struct child w = spawn_worker(endpoint, "bpfvc-0.0.0-bogus", WAIT_MS);
	struct child good = spawn_worker(endpoint, NULL, WAIT_MS);
	struct bvc_coord *c = coord_new(NULL);
	struct bvc_coord_peer peer;
	char err[512] = "", msg[512];

	go(&w);
	cr_assert_eq(bvc_coord_handshake(c, WAIT_MS, &peer, err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "refused: verifier build id mismatch: peer has 'bpfvc-0.0.0-bogus', "
			 "we have '"), "%s", err);
	cr_assert(strstr(err, bvc_wire_build_id()), "%s", err);
	cr_log_info("coordinator: %s", err);
	/* The worker refuses too, and says why. */
	cr_assert_eq(reap(w, msg, sizeof(msg)), CHILD_EPROTO, "worker: %s", msg);
	cr_assert(strstr(msg, "handshake with ipc://"), "%s", msg);
	cr_assert(strstr(msg, "we have 'bpfvc-0.0.0-bogus'"), "%s", msg);
	cr_log_info("worker: %s", msg);
	good_handshake(c, good);
	bvc_coord_free(c);
}

Test(cluster, coordinator_mismatch_seen_by_worker)
{
	/* The other direction: a coordinator of another build. */
	struct child w = spawn_worker(endpoint, NULL, WAIT_MS);
	struct bvc_coord *c = coord_new("bpfvc-9.9.9-other");
	struct bvc_coord_peer peer;
	char err[512] = "", msg[512];

	go(&w);
	cr_assert_eq(bvc_coord_handshake(c, WAIT_MS, &peer, err, sizeof(err)), -EPROTO);
	cr_assert_eq(reap(w, msg, sizeof(msg)), CHILD_EPROTO, "worker: %s", msg);
	cr_assert(strstr(msg, "peer has 'bpfvc-9.9.9-other'"), "%s", msg);
	bvc_coord_free(c);
}

Test(cluster, timeouts)
{
	struct bvc_coord *c = coord_new(NULL);
	struct bvc_worker_opts o = { .sz = sizeof(o), .timeout_ms = 200 };
	struct bvc_coord_peer peer;
	struct bvc_worker *w;
	char err[512] = "", ep[160];
	double t0;

	t0 = now_ms();
	cr_assert_eq(bvc_coord_handshake(c, 200, &peer, err, sizeof(err)), -ETIMEDOUT);
	cr_assert(now_ms() - t0 < 2000);
	cr_assert(strstr(err, "no message on ipc://"), "%s", err);
	cr_assert(strstr(err, "within 200 ms"), "%s", err);
	bvc_coord_free(c);

	/* A worker with nobody to talk to. */
	snprintf(ep, sizeof(ep), "ipc://%s/nobody", dir);
	cr_assert_eq(bvc_worker_new(ep, &o, &w, err, sizeof(err)), 0, "%s", err);
	t0 = now_ms();
	cr_assert_eq(bvc_worker_hello(w, NULL, err, sizeof(err)), -ETIMEDOUT, "%s", err);
	cr_assert(now_ms() - t0 < 2000);
	cr_assert(strstr(err, "no answer from ipc://"), "%s", err);
	bvc_worker_free(w);
	bvc_worker_free(NULL);
	bvc_coord_free(NULL);
}

Test(cluster, bad_endpoints)
{
	struct bvc_coord *c;
	struct bvc_worker *w;
	char err[512] = "";

	cr_assert_lt(bvc_coord_new("bogus://x", NULL, &c, err, sizeof(err)), 0);
	cr_assert(strstr(err, "cannot bind bogus://x: "), "%s", err);
	cr_assert_null(c);
	cr_assert_lt(bvc_worker_new("tcp://", NULL, &w, err, sizeof(err)), 0);
	cr_assert(strstr(err, "cannot connect to tcp://: "), "%s", err);
	cr_assert_null(w);
	{
		struct {
			struct bvc_worker_opts o;
			uint64_t newer; /* a field from a future header */
		} big = { .o = { .sz = sizeof(big) }, .newer = 1 };
		struct bvc_worker_opts o = { .sz = 3 };

		cr_assert_eq(bvc_worker_new(endpoint, &o, &w, err, sizeof(err)), -EINVAL);
		cr_assert(strstr(err, "bvc_worker_opts: sz 3 is too small (at least 8)"), "%s", err);
		/* A newer caller asking for something we lack is refused ... */
		cr_assert_eq(bvc_worker_new(endpoint, &big.o, &w, err, sizeof(err)), -EINVAL);
		/* ... one that leaves the new field zero is served. */
		big.newer = 0;
		cr_assert_eq(bvc_worker_new(endpoint, &big.o, &w, err, sizeof(err)), 0, "%s", err);
		bvc_worker_free(w);
	}
}
