// SPDX-License-Identifier: MIT
/*
 * Hostile peers on loopback (issue #19), the short form that runs in
 * `make test` (a few seconds each).
 *
 * A coordinator listening on tcp://127.0.0.1 (--insecure) with a job in
 * flight, held by one well-behaved peer, while the test throws at its
 * endpoint: random bytes on raw tcp connections, ZMTP greetings followed
 * by a frame header of ~100 MB and by truncated frames, a real 100 MB
 * message, a valid Hello with a wrong build id, every truncation of a
 * valid Hello, garbage and multi-frame messages, hundreds of connections
 * that never say a word, and hundreds of peers that join and vanish.
 * The coordinator must not crash or hang, must answer the wrong build with
 * its own Hello, must close every silent connection once the silence
 * limit (10 heartbeats) is past, must not grow its worker table with the
 * peers that left, must log refusals at a bounded rate, and the verdict
 * must be the one the honest peer reported.
 *
 * A fake coordinator (a raw ROUTER) sends real `bpfvc worker` processes
 * garbage before and after the handshake, jobs with garbage objects,
 * messages about jobs never given, envelopes cut short, a frame over the
 * limit and a Hello of another build: each worker must end by itself,
 * with a message and exit 2 (a coordinator that breaks the protocol is
 * left), or stay and end with 0 on goodbye; never a crash or a hang.
 *
 * Every wait is bounded; no address but 127.0.0.1 is used.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zmq.h>

#include "bpfvc/coordinator.h"
#include "bpfvc/state_serial.h"
#include "scratch.h"

#define HB_MS 100          /* the coordinator's heartbeat here: silence limit 1 s */
#define N_RANDOM 200       /* raw connections sending random bytes */
#define N_HUGE 20          /* raw connections announcing a ~100 MB frame */
#define N_SILENT 300       /* raw connections that never send a byte */
#define N_CHURN 200        /* peers that join and vanish */
#define CHURN_WAVE 20      /* of them at once */
#define BIG_MSG (100u << 20) /* one real message of 100 MB */

TestSuite(cluster_hostile, .timeout = 120);

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void more_fds(void)
{
	struct rlimit rl;

	/* Both ends of every loopback connection are in this process. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096 && rl.rlim_max >= 4096) {
		rl.rlim_cur = 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void send_wire(void *sock, const struct bvc_wire_msg *m)
{
	char err[256];
	void *buf;
	size_t len;

	cr_assert_eq(bvc_wire_encode(m, &buf, &len, err, sizeof(err)), 0, "%s", err);
	zmq_send(sock, buf, len, ZMQ_DONTWAIT);
	free(buf);
}

static void *dealer(void *ctx, const char *ep, const char *id)
{
	void *s = zmq_socket(ctx, ZMQ_DEALER);
	int linger = 0;

	cr_assert_not_null(s);
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	if (id)
		zmq_setsockopt(s, ZMQ_ROUTING_ID, id, strlen(id));
	cr_assert_eq(zmq_connect(s, ep), 0, "%s", zmq_strerror(errno));
	return s;
}

/* The next message of @kind on @sock within @ms (others dropped): 1, else 0. */
static int wait_kind(void *sock, int kind, struct bvc_wire_msg *out, int ms)
{
	static uint8_t buf[1 << 16];
	double end = now_s() + ms / 1e3;

	while (now_s() < end) {
		zmq_pollitem_t pi = { .socket = sock, .events = ZMQ_POLLIN };
		struct bvc_wire_msg m;
		int n;

		if (zmq_poll(&pi, 1, 20) <= 0)
			continue;
		n = zmq_recv(sock, buf, sizeof(buf), 0);
		if (n < 0 || (size_t)n > sizeof(buf) || bvc_wire_decode(buf, (size_t)n, &m, NULL, 0))
			continue;
		if ((int)m.kind == kind) {
			if (out)
				*out = m;
			else
				bvc_wire_msg_release(&m);
			return 1;
		}
		bvc_wire_msg_release(&m);
	}
	return 0;
}

/* A raw tcp connection to the coordinator's port. */
static int tcp_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0, "connect: %s",
		     strerror(errno));
	return fd;
}

static void send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return; /* the coordinator may drop us at any point */
		p += n;
		len -= (size_t)n;
	}
}

/* A ZMTP 3.0 greeting (RFC 23): signature, version 3.0, NULL mechanism. */
static void zmtp_greeting(uint8_t g[64])
{
	memset(g, 0, 64);
	g[0] = 0xff;
	g[9] = 0x7f;
	g[10] = 3;
	memcpy(g + 12, "NULL", 4);
}

/* --- the coordinator, in a thread ----------------------------------------- */

struct coord_run {
	atomic_int have_ep, stop, finished;
	char ep[256];
	atomic_int refusal_lines; /* "refused" lines in the log */
	atomic_int more_lines;    /* "... more refusals not shown" lines */
	struct bvc_cluster *cl;
	struct bvc_cluster_job job;
	int ret;
	char err[512];
};

static void on_log(void *arg, const char *line)
{
	struct coord_run *cr = arg;

	if (!strncmp(line, "listening on ", 13) && !atomic_load(&cr->have_ep)) {
		snprintf(cr->ep, sizeof(cr->ep), "%s", line + 13);
		atomic_store(&cr->have_ep, 1);
	}
	if (!strncmp(line, "refused ", 8))
		atomic_fetch_add(&cr->refusal_lines, 1);
	if (strstr(line, "more refusals not shown"))
		atomic_fetch_add(&cr->more_lines, 1);
}

static void *coord_main(void *arg)
{
	static const uint8_t prog[16] = { 0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0 };
	struct coord_run *cr = arg;
	struct bvc_cluster_opts o = { .sz = sizeof(o),
				      .bind = "tcp://127.0.0.1:0",
				      .insecure = 1,
				      .heartbeat_ms = HB_MS,
				      .wait_ms = 30000,
				      .log = on_log,
				      .log_arg = cr };

	cr->job.object = prog;
	cr->job.len = sizeof(prog);
	cr->job.prog_name = "raw:socket_filter";
	cr->ret = bvc_cluster_new(&o, &cr->cl, cr->err, sizeof(cr->err));
	if (cr->ret == 0)
		cr->ret = bvc_cluster_verify_batch(cr->cl, &cr->job, 1, NULL, NULL, cr->err,
						   sizeof(cr->err));
	atomic_store(&cr->finished, 1);
	return NULL;
}

/* The honest peer: joins, takes the job's entry, beats until told to
 * stop, answers Donate with nothing, then reports the job finished as a
 * worker that explored `r0 = 0; exit` would. */
struct honest {
	struct coord_run *cr;
	atomic_int joined, stop;
	uint64_t job;
	int dropped; /* its link was closed under it (a monitor event) */
};

/* Count the DISCONNECTED events of the honest peer's socket. */
static void count_drops(void *mon, int *dropped)
{
	zmq_msg_t ev;

	for (;;) {
		uint16_t event;

		zmq_msg_init(&ev);
		if (zmq_msg_recv(&ev, mon, ZMQ_DONTWAIT) < 0)
			break;
		if (zmq_msg_size(&ev) >= 2) {
			memcpy(&event, zmq_msg_data(&ev), 2);
			*dropped += event == ZMQ_EVENT_DISCONNECTED;
		}
		zmq_msg_close(&ev);
		zmq_msg_init(&ev);
		zmq_msg_recv(&ev, mon, ZMQ_DONTWAIT); /* the address frame */
		zmq_msg_close(&ev);
	}
	zmq_msg_close(&ev);
}

static void *honest_main(void *arg)
{
	struct honest *h = arg;
	void *ctx = zmq_ctx_new(), *s, *mon;
	struct bvc_wire_msg m;
	int linger = 0;

	s = dealer(ctx, h->cr->ep, "honest");
	/* The coordinator must never take a joined peer's link for a
	 * silent one. */
	cr_assert_eq(zmq_socket_monitor(s, "inproc://honest-mon", ZMQ_EVENT_DISCONNECTED), 0);
	mon = zmq_socket(ctx, ZMQ_PAIR);
	zmq_setsockopt(mon, ZMQ_LINGER, &linger, sizeof(linger));
	cr_assert_eq(zmq_connect(mon, "inproc://honest-mon"), 0);
	bvc_wire_hello_init(&m, 1);
	send_wire(s, &m);
	if (wait_kind(s, BVC_WIRE_HELLO, NULL, 10000) &&
	    wait_kind(s, BVC_WIRE_JOB, &m, 10000)) {
		h->job = m.u.job.job_id;
		bvc_wire_msg_release(&m);
		atomic_store(&h->joined, 1);
	}
	while (!atomic_load(&h->stop) && !atomic_load(&h->cr->finished)) {
		struct bvc_wire_msg hb = { .kind = BVC_WIRE_HEARTBEAT };
		uint8_t buf[1 << 16];
		int n;

		while ((n = zmq_recv(s, buf, sizeof(buf), ZMQ_DONTWAIT)) >= 0) {
			if ((size_t)n <= sizeof(buf) && !bvc_wire_decode(buf, (size_t)n, &m, NULL, 0) &&
			    m.kind == BVC_WIRE_DONATE)
				send_wire(s, &m);
			bvc_wire_msg_release(&m);
		}
		hb.u.heartbeat.job_id = h->job;
		hb.u.heartbeat.processed_insns = 1;
		send_wire(s, &hb);
		count_drops(mon, &h->dropped);
		usleep(30000);
	}
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_FINISHED;
	m.u.finished.job_id = h->job ? h->job : 1;
	m.u.finished.processed_insns = 2;
	m.u.finished.nfuncs = 1;
	m.u.finished.insn_cnt = 2;
	m.u.finished.seen = (uint8_t[]){ 0x03 };
	send_wire(s, &m);
	while (!atomic_load(&h->cr->finished)) {
		struct bvc_wire_msg hb = { .kind = BVC_WIRE_HEARTBEAT };

		send_wire(s, &hb);
		count_drops(mon, &h->dropped);
		usleep(30000);
	}
	zmq_socket_monitor(s, NULL, 0);
	zmq_close(mon);
	zmq_close(s);
	zmq_ctx_term(ctx);
	return NULL;
}

static int port_of(const char *ep)
{
	const char *c = strrchr(ep, ':');

	cr_assert_not_null(c, "endpoint %s", ep);
	return atoi(c + 1);
}

/* Raw tcp: random bytes, then greetings with a huge or truncated frame. */
static void raw_garbage(int port)
{
	static uint8_t buf[4096];
	uint8_t g[64];

	for (int i = 0; i < N_RANDOM; i++) {
		int fd = tcp_connect(port);
		size_t len = 1 + rnd() % sizeof(buf);

		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)rnd();
		if (i % 4 == 0) /* a valid signature first, then garbage */
			zmtp_greeting(buf);
		send_all(fd, buf, len);
		close(fd);
	}
	for (int i = 0; i < N_HUGE; i++) {
		int fd = tcp_connect(port);
		uint8_t hdr[9] = { 0x02 }; /* a long message frame: 8-byte size */
		uint64_t size = (uint64_t)BIG_MSG + rnd() % 4096;

		zmtp_greeting(g);
		send_all(fd, g, sizeof(g));
		for (int k = 0; k < 8; k++)
			hdr[1 + k] = (uint8_t)(size >> (56 - 8 * k));
		/* Half announce it and stop; half also start the body. */
		send_all(fd, hdr, i % 2 ? sizeof(hdr) : 1 + (size_t)(rnd() % 8));
		if (i % 2)
			send_all(fd, buf, sizeof(buf));
		close(fd);
	}
}

/* ZeroMQ peers: a wrong build id, truncated Hellos, garbage, several
 * frames, a 100 MB message. Returns whether the wrong build was answered
 * with the coordinator's Hello. */
static int zmq_garbage(void *ctx, const char *ep)
{
	struct bvc_wire_msg m;
	char err[256];
	void *s, *buf;
	size_t len;
	int answered;

	s = dealer(ctx, ep, "wrong-build");
	bvc_wire_hello_init(&m, 1);
	snprintf(m.u.hello.build_id, sizeof(m.u.hello.build_id), "bpfvc-0.0.0-not-this-one");
	send_wire(s, &m);
	answered = wait_kind(s, BVC_WIRE_HELLO, &m, 5000);
	if (answered) {
		cr_expect_str_eq(m.u.hello.build_id, bvc_wire_build_id());
		bvc_wire_msg_release(&m);
	}
	zmq_close(s);

	s = dealer(ctx, ep, "truncated");
	bvc_wire_hello_init(&m, 1);
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), 0, "%s", err);
	for (size_t k = 0; k < len; k++)
		zmq_send(s, buf, k, ZMQ_DONTWAIT);
	free(buf);
	for (int k = 0; k < 50; k++) {
		uint8_t junk[512];
		size_t n = rnd() % sizeof(junk);

		for (size_t j = 0; j < n; j++)
			junk[j] = (uint8_t)rnd();
		zmq_send(s, junk, n, k % 5 == 0 ? ZMQ_SNDMORE | ZMQ_DONTWAIT : ZMQ_DONTWAIT);
	}
	zmq_send(s, "", 0, ZMQ_DONTWAIT);
	zmq_close(s);

	/* 100 MB: over the frame limit (16 MiB), dropped by ZeroMQ before
	 * it is held in memory. */
	s = dealer(ctx, ep, "oversized");
	buf = calloc(1, BIG_MSG);
	cr_assert_not_null(buf);
	zmq_send(s, buf, BIG_MSG, 0);
	free(buf);
	usleep(200000);
	zmq_close(s);
	return answered;
}

/* Peers that join (a valid Hello, answered) and vanish at once, in waves
 * of CHURN_WAVE: the coordinator learns of a death at its next send (a
 * heartbeat), so a wave is what may be alive at once. */
static void churn(void *ctx, const char *ep)
{
	for (int i = 0; i < N_CHURN; i++) {
		if (i && i % CHURN_WAVE == 0)
			usleep(4 * HB_MS * 1000);
		char id[32];
		struct bvc_wire_msg m;
		void *s;

		snprintf(id, sizeof(id), "churn-%d", i);
		s = dealer(ctx, ep, id);
		bvc_wire_hello_init(&m, 1);
		send_wire(s, &m);
		wait_kind(s, BVC_WIRE_HELLO, NULL, 2000);
		zmq_close(s);
	}
}

Test(cluster_hostile, a_coordinator_under_hostile_peers_keeps_its_verdict)
{
	static struct coord_run cr;
	static struct honest h;
	int silent[N_SILENT], port, answered, open_left = 0;
	unsigned int size;
	pthread_t tc, th;
	double t0, t_silent;
	void *ctx;

	more_fds();
	memset(&cr, 0, sizeof(cr));
	memset(&h, 0, sizeof(h));
	h.cr = &cr;
	cr_assert_eq(pthread_create(&tc, NULL, coord_main, &cr), 0);
	for (t0 = now_s(); !atomic_load(&cr.have_ep) && now_s() - t0 < 30;)
		usleep(1000);
	cr_assert(atomic_load(&cr.have_ep), "no endpoint: %s", cr.err);
	port = port_of(cr.ep);
	cr_assert_eq(pthread_create(&th, NULL, honest_main, &h), 0);
	for (t0 = now_s(); !atomic_load(&h.joined) && now_s() - t0 < 20;)
		usleep(1000);
	cr_assert(atomic_load(&h.joined), "the honest peer did not get the job");

	/* Silent connections first, so they age while the rest goes on. */
	for (int i = 0; i < N_SILENT; i++)
		silent[i] = tcp_connect(port);
	t_silent = now_s();
	ctx = zmq_ctx_new();
	raw_garbage(port);
	answered = zmq_garbage(ctx, cr.ep);
	churn(ctx, cr.ep);
	cr_expect(answered, "a Hello of another build was not answered");

	/* Every silent connection is closed by the coordinator: each sees
	 * the end of the stream. The limit is 10 beats of 100 ms; allow a
	 * loaded machine 15 s more. */
	for (int i = 0; i < N_SILENT; i++) {
		int closed = 0;

		/* ZeroMQ greets first: read that, then wait for the end. */
		while (!closed && now_s() - t_silent < 16.0) {
			struct pollfd pf = { .fd = silent[i], .events = POLLIN };
			char c[256];

			if (poll(&pf, 1, 100) == 1)
				closed = recv(silent[i], c, sizeof(c), 0) <= 0;
		}
		open_left += !closed;
		close(silent[i]);
	}
	cr_log_info("silent connections closed after %.1f s; %d left open", now_s() - t_silent,
		    open_left);
	cr_expect_eq(open_left, 0, "%d of %d silent connections still open", open_left, N_SILENT);

	/* The churned peers' deaths (cannot send, or 10 missed beats). */
	usleep(1500000);
	atomic_store(&h.stop, 1);
	pthread_join(th, NULL);
	pthread_join(tc, NULL);
	zmq_ctx_term(ctx);
	cr_assert_eq(cr.ret, 0, "%s", cr.err);
	cr_expect_eq(h.dropped, 0, "the honest peer's link was closed %d times", h.dropped);
	cr_expect_eq(cr.job.err, 0, "%s", cr.job.errmsg);
	cr_expect(bvc_verdict_accepted(&cr.job.verdict), "verdict %s: %s",
		  bvc_verdict_kind_name(cr.job.verdict.kind), cr.job.verdict.msg);
	bvc_verdict_release(&cr.job.verdict);

	size = bvc_cluster_size(cr.cl);
	cr_log_info("worker table %u entries after %d joins; %llu refusals, %d lines (+%d summaries)",
		    size, N_CHURN + 1, (unsigned long long)bvc_cluster_refused(cr.cl),
		    atomic_load(&cr.refusal_lines), atomic_load(&cr.more_lines));
	/* The honest peer, 64 dead ones kept for the stats, and a wave's
	 * worth not yet known to be dead when the next joined. */
	cr_expect_leq(size, 1 + 64 + 2 * CHURN_WAVE, "the worker table grew to %u with %d joins",
		      size, N_CHURN + 1);
	/* A wrong build, the garbage and the closed connections are all
	 * counted; the log has at most 10 lines per 10 s window (the test
	 * lasts under 40 s) plus one summary per window. */
	cr_expect_geq(bvc_cluster_refused(cr.cl), 2);
	cr_expect_leq(atomic_load(&cr.refusal_lines), 4 * 10, "refusals logged: %d",
		      atomic_load(&cr.refusal_lines));
	bvc_cluster_free(cr.cl);
}

/* --- a fake coordinator against a real worker ------------------------------ */

struct fake {
	void *ctx, *sock;
	pid_t worker;
	uint8_t id[256];
	size_t id_len;
};

static void to_worker(struct fake *f, const void *buf, size_t len, int more)
{
	zmq_send(f->sock, f->id, f->id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(f->sock, buf, len, (more ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT);
	if (more)
		zmq_send(f->sock, "x", 1, ZMQ_DONTWAIT);
}

static void msg_to_worker(struct fake *f, const struct bvc_wire_msg *m)
{
	char err[256];
	void *buf;
	size_t len;

	cr_assert_eq(bvc_wire_encode(m, &buf, &len, err, sizeof(err)), 0, "%s", err);
	to_worker(f, buf, len, 0);
	free(buf);
}

/* The worker's next message (any kind) within @ms: 1, else 0. */
static int from_worker(struct fake *f, int ms)
{
	static uint8_t buf[1 << 20];
	zmq_pollitem_t pi = { .socket = f->sock, .events = ZMQ_POLLIN };
	struct bvc_wire_msg m;
	uint8_t id[256];
	int n, more = 0;
	size_t sz = sizeof(more);

	if (zmq_poll(&pi, 1, ms) <= 0)
		return 0;
	n = zmq_recv(f->sock, id, sizeof(id), 0);
	if (n <= 0)
		return 0;
	f->id_len = (size_t)n < sizeof(f->id) ? (size_t)n : sizeof(f->id);
	memcpy(f->id, id, f->id_len);
	n = zmq_recv(f->sock, buf, sizeof(buf), 0);
	while (zmq_getsockopt(f->sock, ZMQ_RCVMORE, &more, &sz) == 0 && more)
		zmq_recv(f->sock, id, sizeof(id), 0);
	/* The worker is ours: whatever it says decodes. */
	cr_expect(n > 0 && (size_t)n <= sizeof(buf) && bvc_wire_decode(buf, (size_t)n, &m, NULL, 0) == 0,
		  "the worker sent %d bytes that do not decode", n);
	if (n > 0 && (size_t)n <= sizeof(buf))
		bvc_wire_msg_release(&m);
	return 1;
}

static int worker_gone(struct fake *f, int *st)
{
	return waitpid(f->worker, st, WNOHANG) == f->worker;
}

static void random_bytes(uint8_t *buf, size_t n)
{
	for (size_t j = 0; j < n; j++)
		buf[j] = (uint8_t)rnd();
}

/* What phase @phase of the fake coordinator sends (after the worker's
 * Hello): 0 garbage instead of our Hello; 1 our Hello, then random
 * bytes and several frames; 2 our Hello, then Jobs with garbage objects,
 * messages for jobs never given, envelopes cut short; 3 our Hello, then a
 * frame over the limit; 4 a Hello of another build. */
static void attack(struct fake *f, int phase)
{
	static uint8_t junk[2048];
	struct bvc_wire_msg m;
	char err[256];
	void *hello, *buf;
	size_t len, n;

	bvc_wire_hello_init(&m, 1);
	if (phase == 4)
		snprintf(m.u.hello.build_id, sizeof(m.u.hello.build_id), "bpfvc-0.0.0-other");
	cr_assert_eq(bvc_wire_encode(&m, &hello, &len, err, sizeof(err)), 0, "%s", err);
	if (phase == 0) {
		for (size_t k = 0; k < len; k++)
			to_worker(f, hello, k, k % 7 == 3);
		for (int i = 0; i < 100; i++) {
			n = rnd() % sizeof(junk);
			random_bytes(junk, n);
			to_worker(f, junk, n, i % 9 == 0);
		}
	}
	to_worker(f, hello, len, 0);
	free(hello);
	for (int i = 0; phase == 1 && i < 300; i++) {
		n = rnd() % sizeof(junk);
		random_bytes(junk, n);
		to_worker(f, junk, n, i % 5 == 0);
		while (from_worker(f, 0))
			;
	}
	for (int i = 0; phase == 2 && i < 300; i++) {
		n = 1 + rnd() % (sizeof(junk) - 1);
		random_bytes(junk, n);
		memset(&m, 0, sizeof(m));
		switch (i % 4) {
		case 0: /* a Job whose object is random bytes */
			m.kind = BVC_WIRE_JOB;
			m.u.job.job_id = 1 + rnd() % 40;
			snprintf(m.u.job.prog_name, sizeof(m.u.job.prog_name),
				 i % 8 == 0 ? "raw:socket_filter" : "prog");
			m.u.job.start_entry = 1;
			m.u.job.object = junk;
			m.u.job.object_len = n & ~(size_t)7 ? n & ~(size_t)7 : 8;
			msg_to_worker(f, &m);
			break;
		case 1: /* Donate or Cancel for a job never given */
			m.kind = i % 8 == 1 ? BVC_WIRE_DONATE : BVC_WIRE_CANCEL;
			m.u.donate.job_id = 1000 + rnd() % 1000;
			msg_to_worker(f, &m);
			break;
		case 2: /* Done for an item never donated */
			m.kind = BVC_WIRE_DONE;
			m.u.done.job_id = 1 + rnd() % 40;
			m.u.done.work_id = 1 + rnd() % 1000;
			msg_to_worker(f, &m);
			break;
		default: /* a valid envelope cut short */
			m.kind = BVC_WIRE_HEARTBEAT;
			m.u.heartbeat.job_id = rnd();
			m.u.heartbeat.processed_insns = rnd();
			cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), 0);
			to_worker(f, buf, rnd() % len, 0);
			free(buf);
			break;
		}
		while (from_worker(f, 0))
			;
	}
	if (phase == 3) {
		/* 25 MB: ZeroMQ drops the link at the header; the worker
		 * reconnects under its id. */
		buf = calloc(1, 25u << 20);
		cr_assert_not_null(buf);
		to_worker(f, buf, 25u << 20, 0);
		free(buf);
	}
}

/* One phase against a fresh `bpfvc worker`: returns its wait status;
 * @stayed says whether it was still in the session for goodbye. */
static int fake_session(int phase, int *stayed)
{
	struct fake f = { 0 };
	struct bvc_wire_msg m = { .kind = BVC_WIRE_CANCEL };
	char ep[128];
	int linger = 0, st = 0, gone = 0;
	size_t len = sizeof(ep);

	f.ctx = zmq_ctx_new();
	f.sock = zmq_socket(f.ctx, ZMQ_ROUTER);
	zmq_setsockopt(f.sock, ZMQ_LINGER, &linger, sizeof(linger));
	/* As the coordinator: a reconnecting worker takes its id over. */
	zmq_setsockopt(f.sock, ZMQ_ROUTER_HANDOVER, &(int){ 1 }, sizeof(int));
	cr_assert_eq(zmq_bind(f.sock, "tcp://127.0.0.1:0"), 0);
	zmq_getsockopt(f.sock, ZMQ_LAST_ENDPOINT, ep, &len);
	fflush(NULL);
	f.worker = fork();
	cr_assert_geq(f.worker, 0);
	if (f.worker == 0) {
		execlp("timeout", "timeout", "-s", "KILL", "60", BVC_BPFVC, "worker", "--connect",
		       ep, "--id", "victim", (char *)NULL);
		_exit(127);
	}
	cr_assert(from_worker(&f, 10000), "no hello from the worker");
	attack(&f, phase);
	/* A second of the session: heartbeats go on, or it has left. */
	for (double t0 = now_s(); now_s() - t0 < 1.5 && !(gone = worker_gone(&f, &st));)
		from_worker(&f, 50);
	*stayed = !gone;
	m.u.cancel.job_id = BVC_WIRE_CANCEL_BYE;
	for (double t0 = now_s(); now_s() - t0 < 20 && !gone && !(gone = worker_gone(&f, &st));) {
		msg_to_worker(&f, &m);
		from_worker(&f, 100);
	}
	if (!gone) {
		kill(f.worker, SIGKILL);
		waitpid(f.worker, &st, 0);
	}
	cr_expect(gone, "phase %d: the worker did not end on goodbye", phase);
	zmq_close(f.sock);
	zmq_ctx_term(f.ctx);
	return st;
}

Test(cluster_hostile, a_worker_under_a_garbage_coordinator_does_not_crash)
{
	static const char *const what[] = { "garbage before hello", "garbage in the session",
					    "nonsense messages", "a frame over the limit",
					    "another build" };

	for (int phase = 0; phase < 5; phase++) {
		int stayed, st = fake_session(phase, &stayed);

		cr_log_info("%s: the worker %s, status %#x", what[phase],
			    stayed ? "stayed until goodbye" : "left by itself", st);
		/* Its own exit: not a signal, not the timeout (137). A worker
		 * that left refused the coordinator with a message (exit 2);
		 * one that stayed ends with 0 on goodbye, or with 2 if
		 * goodbye never reached it (a dropped link it gave up on). */
		cr_expect(WIFEXITED(st), "%s: worker status %#x", what[phase], st);
		cr_expect(WEXITSTATUS(st) == 2 || (stayed && WEXITSTATUS(st) == 0),
			  "%s: exit %d", what[phase], WEXITSTATUS(st));
	}
}
