// SPDX-License-Identifier: MIT
/*
 * Who may join a cluster, on loopback with real sockets and processes: a
 * `bpfvc verify --bind tcp://127.0.0.1:0` coordinator, and hostile peers
 * played here with ZeroMQ and the wire encoder.
 *
 * - A forged Finished (and Done) for a raw program that one process
 *   rejects (invalid bpf_context access), from a peer that joined with a
 *   valid Hello and from one that claims a local worker's routing id: the
 *   verdict is the in-process one. With CURVE the same peer is refused at
 *   the door (its key is not trusted): it never joins. Without keys and
 *   without --insecure, a tcp bind does not start at all.
 * - Twelve joined peers sending malformed frames (undecodable, several
 *   frames, counts near 2^64, Done for items they do not hold, unasked
 *   Donate, job ids never given, truncated) while they are the only
 *   workers, then one real worker: the verdict is the in-process one, and
 *   no wrapped or forged count shows.
 * - Through the library: a peer silent past the liveness limit is declared
 *   dead; when it speaks again it is told so and joins again as a new
 *   worker with a fresh Hello.
 *
 * Every process runs under `timeout -s KILL`; nothing here can hang.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "bpfvc/coordinator.h"
#include "scratch.h"
#include "bpfvc/state_serial.h"
#include "bpfvc/worker.h"

#define RUN_TIMEOUT_S "120"

static void setup(void)
{
	scratch_make("bvc-peers");
}

static void teardown(void) { scratch_remove(); }

TestSuite(cluster_peers, .init = setup, .fini = teardown, .timeout = 240);

static void put(FILE *f, uint8_t op, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	uint8_t b[8] = { op, (uint8_t)(dst | (src << 4)) };

	memcpy(b + 2, &off, 2);
	memcpy(b + 4, &imm, 4);
	cr_assert_eq(fwrite(b, 1, 8, f), 8);
}

/*
 * 2^k paths with no pruning (r8 gathers a known bit per branch and is
 * compared at the end, so it is precise): the job lasts a while. @bad:
 * the path with r8 == 0 reads the context out of bounds, so one process
 * rejects with "invalid bpf_context access"; otherwise it is accepted.
 */
static void write_prog(const char *path, int k, int bad)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	put(f, 0xbf, 6, 1, 0, 0); /* r6 = r1 */
	put(f, 0x61, 7, 1, 0, 0); /* r7 = skb->len */
	put(f, 0xb7, 8, 0, 0, 0); /* r8 = 0 */
	for (int i = 0; i < k; i++) {
		put(f, 0xbf, 2, 7, 0, 0);      /* r2 = r7 */
		put(f, 0x57, 2, 0, 0, 1 << i); /* r2 &= 1 << i */
		put(f, 0x15, 2, 0, 1, 0);      /* if r2 == 0 goto +1 */
		put(f, 0x47, 8, 0, 0, 1 << i); /* r8 |= 1 << i */
	}
	put(f, 0x55, 8, 0, 1, bad ? 0 : (1 << k) - 1); /* if r8 != X goto +1 */
	if (bad)
		put(f, 0x61, 0, 6, 9999, 0); /* r0 = *(u32 *)(r6 + 9999) */
	else
		put(f, 0xb7, 0, 0, 0, 1);
	put(f, 0xb7, 0, 0, 0, 0);
	put(f, 0x95, 0, 0, 0, 0);
	cr_assert_eq(fclose(f), 0);
}

static void read_file(const char *path, char *buf, size_t sz)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sz - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* A verdict line without the processed count (it differs with workers). */
static void normalise(const char *out, char *buf, size_t bufsz)
{
	char *p;

	snprintf(buf, bufsz, "%s", out);
	if ((p = strstr(buf, " (processed ")))
		strcpy(p, "\n");
}

struct proc {
	pid_t pid;
	char out[160], err[160]; /* files of its stdout and stderr */
	int status;              /* exit code once reaped, -1 if killed */
};

/* Start `bpfvc ARGS...` (NULL-terminated) under timeout, output to files. */
static void start(struct proc *p, const char *tag, const char *const *args)
{
	const char *argv[32];
	int n = 0;

	snprintf(p->out, sizeof(p->out), "%s/%s.out", dir, tag);
	snprintf(p->err, sizeof(p->err), "%s/%s.err", dir, tag);
	argv[n++] = "timeout";
	argv[n++] = "-s";
	argv[n++] = "KILL";
	argv[n++] = RUN_TIMEOUT_S;
	argv[n++] = BVC_BPFVC;
	while (*args && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;
	fflush(NULL);
	p->pid = fork();
	cr_assert_geq(p->pid, 0);
	if (p->pid == 0) {
		if (!freopen(p->out, "w", stdout) || !freopen(p->err, "w", stderr))
			_exit(99);
		execvp("timeout", (char *const *)argv);
		_exit(98);
	}
}

static int done(struct proc *p)
{
	int st;

	if (p->pid <= 0)
		return 1;
	if (waitpid(p->pid, &st, WNOHANG) != p->pid)
		return 0;
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	p->pid = 0;
	return 1;
}

static void reap(struct proc *p)
{
	int st;

	if (p->pid <= 0)
		return;
	cr_assert_eq(waitpid(p->pid, &st, 0), p->pid);
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	p->pid = 0;
}

/* The coordinator's endpoint from its -v line "listening on tcp://...". */
static void endpoint_of(struct proc *p, char *ep, size_t sz)
{
	double t0 = now_s();
	char err[8192];

	for (;;) {
		const char *s;

		read_file(p->err, err, sizeof(err));
		s = strstr(err, "listening on tcp://");
		if (s) {
			size_t n = strcspn(s + 13, " \n");

			snprintf(ep, sz, "%.*s", (int)n, s + 13);
			return;
		}
		cr_assert(!done(p), "the coordinator ended: %s", err);
		cr_assert_lt(now_s() - t0, 60, "no endpoint: %s", err);
		usleep(10000);
	}
}

/* The in-process verdict of raw @path (line and exit code). */
static int in_process(const char *path, char *line, size_t sz)
{
	const char *args[] = { "verify", path, "--type", "socket_filter", NULL };
	struct proc p;
	char out[4096];

	start(&p, "base", args);
	reap(&p);
	read_file(p.out, out, sizeof(out));
	normalise(out, line, sz);
	cr_assert(p.status == 0 || p.status == 1, "in-process: exit %d", p.status);
	return p.status;
}

/* --- hostile peers ------------------------------------------------------- */

struct rogue {
	void *sock;
	int kind;        /* what it sends, see act() */
	int joined;      /* our Hello was answered */
	int rehello;     /* said Hello again in the coordinator's build */
	int told;        /* the coordinator told it goodbye or to rejoin */
	int got_job;     /* it was given a Job */
	uint64_t job;    /* the job it heard of, else 1 */
};

static void send_raw(void *sock, const void *buf, size_t len, int flags)
{
	zmq_send(sock, buf, len, flags | ZMQ_DONTWAIT);
}

static void send_wire(void *sock, const struct bvc_wire_msg *m)
{
	char err[256];
	void *buf;
	size_t len;

	cr_assert_eq(bvc_wire_encode(m, &buf, &len, err, sizeof(err)), 0, "%s", err);
	send_raw(sock, buf, len, 0);
	free(buf);
}

static void rogue_hello(struct rogue *r)
{
	struct bvc_wire_msg m;

	bvc_wire_hello_init(&m, 1);
	send_wire(r->sock, &m);
}

static void *rogue_connect(void *ctx, const char *ep, const char *id)
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

/* Read what came for @r: our Hello answered, a Job, goodbye. */
static void rogue_read(struct rogue *r)
{
	uint8_t buf[1 << 16];
	int n;

	while ((n = zmq_recv(r->sock, buf, sizeof(buf), ZMQ_DONTWAIT)) >= 0) {
		struct bvc_wire_msg m;

		if ((size_t)n > sizeof(buf) ||
		    bvc_wire_decode(buf, (size_t)n, &m, NULL, 0))
			continue; /* a Job bigger than our buffer: truncated */
		if (m.kind == BVC_WIRE_HELLO) {
			/* Refused for another build: any peer can say the
			 * coordinator's build id back to it. */
			if (r->rehello || bvc_wire_check_hello(&m.u.hello, NULL, NULL, 0) == 0) {
				r->joined = 1;
			} else if (!r->rehello) {
				struct bvc_wire_msg h;

				bvc_wire_hello_init(&h, 1);
				memcpy(h.u.hello.build_id, m.u.hello.build_id, sizeof(h.u.hello.build_id));
				send_wire(r->sock, &h);
				r->rehello = 1;
			}
		}
		else if (m.kind == BVC_WIRE_JOB)
			r->got_job = 1, r->job = m.u.job.job_id;
		else if (m.kind == BVC_WIRE_WORK || m.kind == BVC_WIRE_DONATE)
			r->job = m.kind == BVC_WIRE_WORK ? m.u.work.job_id : m.u.donate.job_id;
		else if (m.kind == BVC_WIRE_CANCEL && (m.u.cancel.job_id == BVC_WIRE_CANCEL_BYE ||
						       m.u.cancel.job_id == BVC_WIRE_CANCEL_REJOIN))
			r->told = 1;
		bvc_wire_msg_release(&m);
	}
}

/* One round of what rogue @r does wrong. */
static void act(struct rogue *r)
{
	uint64_t job = r->job ? r->job : 1;
	struct bvc_wire_msg m;

	memset(&m, 0, sizeof(m));
	switch (r->kind) {
	case 0: /* not an envelope at all */
		send_raw(r->sock, "\xff\xff\xff\xff\xff", 5, 0);
		break;
	case 1: /* two frames in one message */
		m.kind = BVC_WIRE_HEARTBEAT;
		m.u.heartbeat.job_id = job;
		m.u.heartbeat.processed_insns = 1;
		{
			char err[256];
			void *buf;
			size_t len;

			cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), 0);
			send_raw(r->sock, buf, len, ZMQ_SNDMORE);
			send_raw(r->sock, buf, len, 0);
			free(buf);
		}
		break;
	case 2: /* a count no worker can reach */
	case 3: /* twelve of these would wrap a sum */
		m.kind = BVC_WIRE_HEARTBEAT;
		m.u.heartbeat.job_id = job;
		m.u.heartbeat.processed_insns = r->kind == 2 ? UINT64_MAX : UINT64_MAX / 12 + 1;
		send_wire(r->sock, &m);
		break;
	case 4: /* finished with impossible counts */
		m.kind = BVC_WIRE_FINISHED;
		m.u.finished.job_id = job;
		m.u.finished.processed_insns = UINT64_MAX;
		m.u.finished.total_states = UINT64_MAX;
		m.u.finished.peak_states = UINT64_MAX;
		send_wire(r->sock, &m);
		break;
	case 5: /* done for an item it does not hold */
		m.kind = BVC_WIRE_DONE;
		m.u.done.job_id = job;
		m.u.done.work_id = UINT64_MAX;
		send_wire(r->sock, &m);
		break;
	case 6: /* answers to a Donate never sent (one may have been: two) */
		m.kind = BVC_WIRE_DONATE;
		m.u.donate.job_id = job;
		send_wire(r->sock, &m);
		send_wire(r->sock, &m);
		break;
	case 7: /* finished, for a job never given */
		m.kind = BVC_WIRE_FINISHED;
		m.u.finished.job_id = 1000000;
		send_wire(r->sock, &m);
		break;
	case 8: /* a checkpoint for a job never given */
		m.kind = BVC_WIRE_CHECKPOINT;
		m.u.work.job_id = 1000000;
		m.u.work.work_id = 1;
		m.u.work.view.nframes = 1;
		m.u.work.view.insn = 1000;
		m.u.work.view.frames[0].callsite = -1;
		send_wire(r->sock, &m);
		break;
	case 9: /* a reject for a job never given */
		m.kind = BVC_WIRE_REJECT;
		m.u.reject.job_id = 1000000;
		m.u.reject.kind = BVC_REJECT;
		snprintf(m.u.reject.message, sizeof(m.u.reject.message), "forged");
		send_wire(r->sock, &m);
		break;
	case 10: /* a heartbeat cut short */
		m.kind = BVC_WIRE_HEARTBEAT;
		m.u.heartbeat.job_id = job;
		m.u.heartbeat.processed_insns = UINT64_MAX;
		{
			char err[256];
			void *buf;
			size_t len;

			cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), 0);
			send_raw(r->sock, buf, len - 1, 0);
			free(buf);
		}
		break;
	default: /* a job message as a worker: never from a worker */
		m.kind = BVC_WIRE_CANCEL;
		m.u.cancel.job_id = job;
		send_wire(r->sock, &m);
		break;
	}
}

/* Poll @n rogues for up to @ms: each beats like a good idle worker until
 * it is given a job, then acts wrong every 20 ms. */
static void rogues_run(struct rogue *r, int n, int ms)
{
	double end = now_s() + ms / 1e3;

	while (now_s() < end) {
		for (int i = 0; i < n; i++) {
			struct bvc_wire_msg hb = { .kind = BVC_WIRE_HEARTBEAT };

			rogue_read(&r[i]);
			if (!r[i].joined || r[i].told)
				continue;
			if (r[i].got_job)
				act(&r[i]);
			else
				send_wire(r[i].sock, &hb);
		}
		usleep(20000);
	}
}

/* --- 1. a forged Finished ------------------------------------------------ */

/*
 * Peer A claims routing id "w0" (a local worker's name before ids were
 * random) and sends Finished(1) without a Hello: with a guessable id it
 * would speak as the worker holding the job and end it, accepted. Peer B
 * joins with a valid Hello and sends Finished(1) and a Done for an item
 * it holds not. Both, until the coordinator ends; the verdict must be the
 * in-process rejection.
 */
Test(cluster_peers, a_forged_finished_does_not_decide)
{
	char path[128], ep[256], base[4096], out[4096], err[16384], got[4096];
	const char *args[] = { "verify", path, "--type", "socket_filter", "-w", "1",
			       "--bind", "tcp://127.0.0.1:0", "--insecure", "-v", "--stats", NULL };
	struct rogue r[2] = { { .kind = 7 }, { .kind = 5 } };
	int base_status, rounds = 0;
	struct proc c;
	void *ctx;

	snprintf(path, sizeof(path), "%s/ctx.bin", dir);
	write_prog(path, 16, 1);
	base_status = in_process(path, base, sizeof(base));
	cr_assert_eq(base_status, 1, "%s", base);
	cr_assert(strstr(base, "invalid bpf_context access"), "%s", base);

	start(&c, "coord", args);
	endpoint_of(&c, ep, sizeof(ep));
	/* After the local worker's handshake: then "w0" was its name. */
	for (double t0 = now_s(); now_s() - t0 < 60;) {
		read_file(c.err, err, sizeof(err));
		if (strstr(err, "worker 0: pid") || done(&c))
			break;
		usleep(2000);
	}
	ctx = zmq_ctx_new();
	r[0].sock = rogue_connect(ctx, ep, "w0");
	r[1].sock = rogue_connect(ctx, ep, "rogue-b");
	rogue_hello(&r[1]);
	while (!done(&c)) {
		struct bvc_wire_msg m = { .kind = BVC_WIRE_FINISHED };

		/* A: no Hello, a Finished as if it were worker w0. */
		m.u.finished.job_id = 1;
		send_wire(r[0].sock, &m);
		m.kind = BVC_WIRE_DONE;
		m.u.done.job_id = 1;
		m.u.done.work_id = 1;
		send_wire(r[0].sock, &m);
		/* B: joined; Finished(1) and Done for an id never leased. */
		rogue_read(&r[1]);
		if (r[1].joined && !r[1].told) {
			m.kind = BVC_WIRE_FINISHED;
			m.u.finished.job_id = r[1].job ? r[1].job : 1;
			send_wire(r[1].sock, &m);
			act(&r[1]);
		}
		rounds++;
		usleep(5000);
	}
	zmq_close(r[0].sock);
	zmq_close(r[1].sock);
	zmq_ctx_term(ctx);
	read_file(c.out, out, sizeof(out));
	read_file(c.err, err, sizeof(err));
	normalise(out, got, sizeof(got));
	cr_log_info("peer B: joined %d, given the job %d, told %d; %d rounds", r[1].joined,
		    r[1].got_job, r[1].told, rounds);
	cr_expect_eq(c.status, base_status, "exit %d\n%s\n%s", c.status, out, err);
	cr_expect_str_eq(got, base, "cluster:\n%s\nin-process:\n%s\n%s", got, base, err);
}

/* The same peer on a CURVE coordinator: its key is not on the allow-list,
 * so it never joins (the verdict is the local worker's); and with no keys
 * and no --insecure, nothing listens at all. */
Test(cluster_peers, without_a_trusted_key_a_peer_is_refused_at_the_door)
{
	char path[128], ep[256], base[4096], out[4096], err[16384], got[4096];
	char key[160], trust[160], cpub[41], pub[41], sec[41];
	const char *kg[] = { "worker", "--curve-keygen", key, NULL };
	const char *args[] = { "verify", path, "--type", "socket_filter", "-w", "1",
			       "--bind", "tcp://127.0.0.1:0", "--curve-secret", key,
			       "--curve-trust", trust, "-v", NULL };
	const char *plain[] = { "verify", path, "--type", "socket_filter", "-w", "1",
				"--bind", "tcp://127.0.0.1:0", NULL };
	struct rogue r = { .kind = 7 };
	struct proc c, k;
	void *ctx;
	FILE *f;

	snprintf(path, sizeof(path), "%s/ctx.bin", dir);
	write_prog(path, 16, 1);
	cr_assert_eq(in_process(path, base, sizeof(base)), 1, "%s", base);

	start(&c, "plain", plain);
	reap(&c);
	read_file(c.err, err, sizeof(err));
	cr_expect_eq(c.status, 2, "plain tcp bind: exit %d: %s", c.status, err);
	cr_expect(strstr(err, "refusing to listen on tcp://127.0.0.1:0"), "%s", err);

	snprintf(key, sizeof(key), "%s/coord", dir);
	start(&k, "keygen", kg);
	reap(&k);
	cr_assert_eq(k.status, 0);
	snprintf(key, sizeof(key), "%s/coord.key", dir);
	snprintf(trust, sizeof(trust), "%s/trust.txt", dir);
	/* Trusted: some other worker's key, not the rogue's. */
	cr_assert_eq(zmq_curve_keypair(pub, sec), 0);
	f = fopen(trust, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s\n", pub);
	fclose(f);
	snprintf(got, sizeof(got), "%s/coord.pub", dir);
	f = fopen(got, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(cpub, sizeof(cpub), f));
	fclose(f);

	start(&c, "coord", args);
	endpoint_of(&c, ep, sizeof(ep));
	ctx = zmq_ctx_new();
	cr_assert_eq(zmq_curve_keypair(pub, sec), 0);
	r.sock = zmq_socket(ctx, ZMQ_DEALER);
	{
		int linger = 0;

		zmq_setsockopt(r.sock, ZMQ_LINGER, &linger, sizeof(linger));
	}
	cr_assert_eq(zmq_setsockopt(r.sock, ZMQ_CURVE_SERVERKEY, cpub, 41), 0);
	cr_assert_eq(zmq_setsockopt(r.sock, ZMQ_CURVE_PUBLICKEY, pub, 41), 0);
	cr_assert_eq(zmq_setsockopt(r.sock, ZMQ_CURVE_SECRETKEY, sec, 41), 0);
	cr_assert_eq(zmq_connect(r.sock, ep), 0);
	rogue_hello(&r);
	while (!done(&c)) {
		rogue_read(&r);
		if (r.joined)
			act(&r);
		usleep(5000);
	}
	zmq_close(r.sock);
	zmq_ctx_term(ctx);
	read_file(c.out, out, sizeof(out));
	read_file(c.err, err, sizeof(err));
	normalise(out, got, sizeof(got));
	cr_expect_not(r.joined, "an untrusted key was answered");
	cr_expect_not(strstr(err, "joined ("), "%s", err);
	cr_expect_eq(c.status, 1, "exit %d\n%s\n%s", c.status, out, err);
	cr_expect_str_eq(got, base, "cluster:\n%s\nin-process:\n%s", got, base);
}

/* --- 2. malformed frames ------------------------------------------------- */

/*
 * Twelve peers join a coordinator with no local worker, so the first of
 * them is given the job; each, once given it, sends its kind of malformed
 * frame every 20 ms, is declared dead and the job's entry goes to the
 * next. Once all have joined, one real worker joins too. The verdict is
 * the in-process acceptance (no lost entry counts against the job), and
 * no count near 2^64 shows anywhere.
 */
Test(cluster_peers, twelve_malformed_peers_do_not_change_the_verdict)
{
	char path[128], ep[256], base[4096], out[4096], err[32768], got[4096];
	const char *args[] = { "verify", path, "--type", "socket_filter", "-w", "0",
			       "--bind", "tcp://127.0.0.1:0", "--insecure", "--wait-workers", "60",
			       "-v", "--stats", NULL };
	const char *wargs[] = { "worker", "--connect", ep, "--wait", "60", NULL };
	struct rogue r[12];
	struct proc c, w;
	int joined = 0, told = 0, jobs = 0;
	double t0;
	void *ctx;

	snprintf(path, sizeof(path), "%s/ok.bin", dir);
	write_prog(path, 16, 0);
	cr_assert_eq(in_process(path, base, sizeof(base)), 0, "%s", base);

	start(&c, "coord", args);
	endpoint_of(&c, ep, sizeof(ep));
	ctx = zmq_ctx_new();
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 12; i++) {
		char id[32];

		snprintf(id, sizeof(id), "rogue-%d", i);
		r[i].kind = i;
		r[i].sock = rogue_connect(ctx, ep, id);
		rogue_hello(&r[i]);
	}
	t0 = now_s();
	while (joined < 12 && now_s() - t0 < 60) {
		rogues_run(r, 12, 20);
		joined = 0;
		for (int i = 0; i < 12; i++)
			joined += r[i].joined;
	}
	cr_assert_eq(joined, 12, "only %d peers joined", joined);
	start(&w, "worker", wargs);
	while (!done(&c))
		rogues_run(r, 12, 20);
	reap(&w);
	for (int i = 0; i < 12; i++) {
		told += r[i].told;
		jobs += r[i].got_job;
		zmq_close(r[i].sock);
	}
	zmq_ctx_term(ctx);
	read_file(c.out, out, sizeof(out));
	read_file(c.err, err, sizeof(err));
	normalise(out, got, sizeof(got));
	cr_log_info("12 peers: %d given the job, %d told to go", jobs, told);
	cr_expect_eq(c.status, 0, "exit %d\n%s\n%s", c.status, out, err);
	cr_expect_str_eq(got, base, "cluster:\n%s\nin-process:\n%s\n%s", got, base, err);
	cr_expect_not(strstr(out, "18446744073709551615"), "%s", out);
	/* Stats and verdicts: no forged count (the log may quote one refused). */
	cr_expect_not(strstr(err, "rocessed 18446744073709551615"), "%s", err);
	cr_expect_not(strstr(err, "insns 18446744073709551615"), "%s", err);
	cr_expect_gt(jobs, 0, "no peer was given the job: nothing was tested");
}

/* --- 3. declared dead, back again ---------------------------------------- */

struct rejoin {
	char ep[256];          /* from the coordinator's log */
	atomic_int have_ep;
	atomic_int stop;
	/* what the peers saw */
	int r_told;            /* R got Cancel(BVC_WIRE_CANCEL_REJOIN) */
	int r_rejoined;        /* R's second Hello was answered */
};

static void on_log(void *arg, const char *line)
{
	struct rejoin *rj = arg;

	cr_log_info("coordinator: %s", line);
	if (!strncmp(line, "listening on ", 13) && !atomic_load(&rj->have_ep)) {
		snprintf(rj->ep, sizeof(rj->ep), "%s", line + 13);
		atomic_store(&rj->have_ep, 1);
	}
}

static int wait_msg(void *sock, int kind, uint64_t *job, int ms)
{
	uint8_t buf[1 << 16];
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
			if (job)
				*job = kind == BVC_WIRE_JOB	 ? m.u.job.job_id :
				       kind == BVC_WIRE_CANCEL ? m.u.cancel.job_id : 0;
			bvc_wire_msg_release(&m);
			return 1;
		}
		bvc_wire_msg_release(&m);
	}
	return 0;
}

/*
 * P joins and takes the job, beating every 50 ms with its count. R joins,
 * then says nothing for 3 s (the coordinator's limit is 10 beats of
 * 100 ms), then a Heartbeat: it must be told it was declared dead, and
 * its fresh Hello must be answered. Then P ends the job.
 */
static void *peers_main(void *arg)
{
	struct rejoin *rj = arg;
	void *ctx = zmq_ctx_new(), *p, *r;
	struct bvc_wire_msg m;
	uint64_t job = 0, v;
	double t;

	while (!atomic_load(&rj->have_ep))
		usleep(1000);
	p = rogue_connect(ctx, rj->ep, "P");
	r = rogue_connect(ctx, rj->ep, "R");
	bvc_wire_hello_init(&m, 1);
	send_wire(p, &m);
	if (!wait_msg(p, BVC_WIRE_HELLO, NULL, 10000) || !wait_msg(p, BVC_WIRE_JOB, &job, 10000))
		goto out;
	send_wire(r, &m);
	if (!wait_msg(r, BVC_WIRE_HELLO, NULL, 10000))
		goto out;
	for (t = now_s(); now_s() - t < 3.0;) {
		struct bvc_wire_msg hb = { .kind = BVC_WIRE_HEARTBEAT };

		hb.u.heartbeat.job_id = job;
		hb.u.heartbeat.processed_insns = 1;
		send_wire(p, &hb);
		usleep(50000);
	}
	{
		struct bvc_wire_msg hb = { .kind = BVC_WIRE_HEARTBEAT };

		send_wire(r, &hb);
	}
	for (t = now_s(); now_s() - t < 5.0 && !rj->r_told;) {
		struct bvc_wire_msg hb = { .kind = BVC_WIRE_HEARTBEAT };

		hb.u.heartbeat.job_id = job;
		hb.u.heartbeat.processed_insns = 1;
		send_wire(p, &hb);
		rj->r_told = wait_msg(r, BVC_WIRE_CANCEL, &v, 50) && v == BVC_WIRE_CANCEL_REJOIN;
	}
	if (rj->r_told) {
		bvc_wire_hello_init(&m, 1);
		send_wire(r, &m);
		rj->r_rejoined = wait_msg(r, BVC_WIRE_HELLO, NULL, 5000);
	}
out:
	/* P ends the job as a worker that explored r0 = 0; exit would: one
	 * function, both insns reached. It answers every Donate (nothing to
	 * give) and both beat until the batch is over. */
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_FINISHED;
	m.u.finished.job_id = job ? job : 1;
	m.u.finished.processed_insns = 2;
	m.u.finished.nfuncs = 1;
	m.u.finished.insn_cnt = 2;
	m.u.finished.seen = (uint8_t[]){ 0x03 };
	send_wire(p, &m);
	while (!atomic_load(&rj->stop)) {
		struct bvc_wire_msg hb = { .kind = BVC_WIRE_HEARTBEAT };
		uint8_t buf[1 << 16];
		int n;

		while ((n = zmq_recv(p, buf, sizeof(buf), ZMQ_DONTWAIT)) >= 0) {
			if ((size_t)n <= sizeof(buf) && !bvc_wire_decode(buf, (size_t)n, &m, NULL, 0) &&
			    m.kind == BVC_WIRE_DONATE)
				send_wire(p, &m);
			bvc_wire_msg_release(&m);
		}
		send_wire(p, &hb);
		send_wire(r, &hb);
		usleep(50000);
	}
	zmq_close(p);
	zmq_close(r);
	zmq_ctx_term(ctx);
	return NULL;
}

Test(cluster_peers, a_worker_declared_dead_is_told_and_rejoins)
{
	static const uint8_t prog[16] = { 0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0 };
	struct rejoin rj;
	struct bvc_cluster_opts o = { .sz = sizeof(o),
				      .bind = "tcp://127.0.0.1:0",
				      .insecure = 1,
				      .heartbeat_ms = 100,
				      .wait_ms = 10000,
				      .log = on_log,
				      .log_arg = &rj };
	struct bvc_cluster_job job = { .object = prog, .len = sizeof(prog),
				       .prog_name = "raw:socket_filter" };
	struct bvc_cluster *cl;
	unsigned int r_dead = 0, r_alive = 0;
	char err[512];
	pthread_t th;

	memset(&rj, 0, sizeof(rj));
	cr_assert_eq(pthread_create(&th, NULL, peers_main, &rj), 0);
	cr_assert_eq(bvc_cluster_new(&o, &cl, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_cluster_verify_batch(cl, &job, 1, NULL, NULL, err, sizeof(err)), 0, "%s",
		     err);
	atomic_store(&rj.stop, 1);
	pthread_join(th, NULL);
	cr_expect_eq(job.err, 0, "%s", job.errmsg);
	bvc_verdict_release(&job.verdict);
	cr_expect(rj.r_told, "the dead peer was not told");
	cr_expect(rj.r_rejoined, "its fresh hello was not answered");
	for (unsigned int i = 0; i < bvc_cluster_size(cl); i++) {
		const struct bvc_cluster_worker_stats *w = bvc_cluster_worker(cl, i);

		cr_log_info("worker %u: %s%s%s", i, w->name, w->dead[0] ? ", dead: " : "", w->dead);
		if (strcmp(w->name, "R"))
			continue;
		if (w->dead[0]) {
			r_dead++;
			cr_expect(strstr(w->dead, "missed 10 heartbeats"), "%s", w->dead);
		} else {
			r_alive++;
		}
	}
	cr_expect_eq(r_dead, 1);
	cr_expect_eq(r_alive, 1);
	bvc_cluster_free(cl);
}
