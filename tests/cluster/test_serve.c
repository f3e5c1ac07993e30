// SPDX-License-Identifier: MIT
/*
 * The worker's session from the coordinator's side of the socket: a raw
 * ZeroMQ ROUTER plays the coordinator for a real `bpfvc worker` process,
 * so the test decides exactly which messages the worker gets. A peer's
 * Checkpoint that is not a state of the program (the coordinator relays
 * them unchecked) is dropped: the worker still finishes its job and ends
 * cleanly on goodbye. Two jobs held at once each get their own Finished.
 * Told it was declared dead (Cancel of BVC_WIRE_CANCEL_REJOIN), the worker
 * drops its jobs and says Hello again on the same link.
 * A Reject carries its kind: rejected, unsupported, or internal error.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "bpfvc/state_serial.h"
#include "bpfvc/worker.h"

TestSuite(worker_serve, .timeout = 60);

struct peer {
	char dir[64], ep[128];
	void *ctx, *sock;
	pid_t worker;
	uint8_t id[256];
	size_t id_len;
};

/* Bind the ROUTER, start `bpfvc worker`, answer its Hello. */
static void peer_start(struct peer *p)
{
	int linger = 0, t = 5000;
	struct bvc_wire_msg m;
	char err[256];
	uint8_t buf[4096];
	void *out;
	size_t len;
	int n;

	snprintf(p->dir, sizeof(p->dir), "/tmp/bvc-serve-XXXXXX");
	cr_assert_not_null(mkdtemp(p->dir));
	snprintf(p->ep, sizeof(p->ep), "ipc://%s/sock", p->dir);
	p->worker = fork();
	cr_assert_geq(p->worker, 0);
	if (p->worker == 0) {
		execl(BVC_BPFVC, BVC_BPFVC, "worker", "--connect", p->ep, "--id", "t1", (char *)NULL);
		_exit(127);
	}
	p->ctx = zmq_ctx_new();
	p->sock = zmq_socket(p->ctx, ZMQ_ROUTER);
	zmq_setsockopt(p->sock, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(p->sock, ZMQ_RCVTIMEO, &t, sizeof(t));
	cr_assert_eq(zmq_bind(p->sock, p->ep), 0);
	n = zmq_recv(p->sock, p->id, sizeof(p->id), 0);
	cr_assert_gt(n, 0, "no hello from the worker");
	p->id_len = (size_t)n;
	n = zmq_recv(p->sock, buf, sizeof(buf), 0);
	cr_assert_gt(n, 0);
	cr_assert_eq(bvc_wire_decode(buf, (size_t)n, &m, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(m.kind, BVC_WIRE_HELLO);
	bvc_wire_hello_init(&m, 1);
	cr_assert_eq(bvc_wire_encode(&m, &out, &len, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(zmq_send(p->sock, p->id, p->id_len, ZMQ_SNDMORE), (int)p->id_len);
	cr_assert_eq(zmq_send(p->sock, out, len, 0), (int)len);
	free(out);
}

static void peer_send(struct peer *p, const struct bvc_wire_msg *m)
{
	char err[256];
	void *out;
	size_t len;

	cr_assert_eq(bvc_wire_encode(m, &out, &len, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(zmq_send(p->sock, p->id, p->id_len, ZMQ_SNDMORE), (int)p->id_len);
	cr_assert_eq(zmq_send(p->sock, out, len, 0), (int)len);
	free(out);
}

/* The next message that is not a Heartbeat (5 s at most). */
static void peer_recv(struct peer *p, struct bvc_wire_msg *m)
{
	static uint8_t buf[1 << 20];
	char err[256];

	for (;;) {
		uint8_t id[256];
		int n = zmq_recv(p->sock, id, sizeof(id), 0);

		cr_assert_gt(n, 0, "the worker said nothing for 5 s");
		n = zmq_recv(p->sock, buf, sizeof(buf), 0);
		cr_assert_gt(n, 0);
		cr_assert_eq(bvc_wire_decode(buf, (size_t)n, m, err, sizeof(err)), 0, "%s", err);
		if (m->kind != BVC_WIRE_HEARTBEAT)
			return;
		bvc_wire_msg_release(m);
	}
}

/* Goodbye; the worker must end with exit 0. */
static void peer_stop(struct peer *p)
{
	struct bvc_wire_msg m = { .kind = BVC_WIRE_CANCEL };
	char cmd[128];
	int st = 0;

	m.u.cancel.job_id = BVC_WIRE_CANCEL_BYE;
	peer_send(p, &m);
	for (int i = 0; i < 300 && waitpid(p->worker, &st, WNOHANG) == 0; i++)
		usleep(10000);
	if (waitpid(p->worker, &st, WNOHANG) == 0) {
		kill(p->worker, SIGKILL);
		waitpid(p->worker, &st, 0);
		cr_assert_fail("the worker did not end on goodbye");
	}
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "worker status %#x", st);
	zmq_close(p->sock);
	zmq_ctx_term(p->ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
	cr_expect_eq(system(cmd), 0);
}

/* r0 = 0; exit, as a Job with the entry. */
static void send_job(struct peer *p, uint64_t id)
{
	static const uint8_t prog[16] = { 0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0 };
	struct bvc_wire_msg m = { .kind = BVC_WIRE_JOB };

	m.u.job.job_id = id;
	snprintf(m.u.job.prog_name, sizeof(m.u.job.prog_name), "raw:socket_filter");
	m.u.job.start_entry = 1;
	m.u.job.object = (uint8_t *)prog;
	m.u.job.object_len = sizeof(prog);
	peer_send(p, &m);
}

Test(worker_serve, a_checkpoint_that_is_no_state_of_the_program_is_dropped)
{
	struct peer p;
	struct bvc_wire_msg m = { .kind = BVC_WIRE_CHECKPOINT };

	peer_start(&p);
	send_job(&p, 1);
	/* Well-formed on the wire, but at insn 1000 of a 2-insn program. */
	m.u.work.job_id = 1;
	m.u.work.work_id = 7;
	m.u.work.view.nframes = 1;
	m.u.work.view.insn = 1000;
	m.u.work.view.frames[0].callsite = -1;
	peer_send(&p, &m);
	peer_recv(&p, &m);
	cr_expect_eq(m.kind, BVC_WIRE_FINISHED, "got %s", bvc_wire_kind_name(m.kind));
	cr_expect_eq(m.u.finished.job_id, 1);
	cr_expect_eq(m.u.finished.processed_insns, 2);
	cr_expect_eq(m.u.finished.insn_cnt, 2);
	bvc_wire_msg_release(&m);
	peer_stop(&p);
}

Test(worker_serve, two_jobs_at_once_each_finish)
{
	struct peer p;
	struct bvc_wire_msg m;
	int seen[3] = { 0 };

	peer_start(&p);
	send_job(&p, 1);
	send_job(&p, 2);
	for (int i = 0; i < 2; i++) {
		peer_recv(&p, &m);
		cr_assert_eq(m.kind, BVC_WIRE_FINISHED, "got %s", bvc_wire_kind_name(m.kind));
		cr_assert(m.u.finished.job_id == 1 || m.u.finished.job_id == 2);
		seen[m.u.finished.job_id]++;
		/* Each job's own facts: both insns reached, no access. */
		cr_expect_eq(m.u.finished.insn_cnt, 2);
		cr_expect_eq(m.u.finished.seen[0], 0x03);
		cr_expect_eq(m.u.finished.nfacts, 0);
		bvc_wire_msg_release(&m);
	}
	cr_expect(seen[1] == 1 && seen[2] == 1);
	peer_stop(&p);
}

/* Declared dead: the worker drops job 1 and says Hello again. Answered,
 * it serves on; job 1 sent again is a new job (its first engine: 2 insns),
 * not a second entry for the one it held (that would make 4). */
Test(worker_serve, told_it_is_dead_it_drops_its_jobs_and_says_hello_again)
{
	struct peer p;
	struct bvc_wire_msg m = { .kind = BVC_WIRE_CANCEL };

	peer_start(&p);
	send_job(&p, 1);
	peer_recv(&p, &m);
	cr_assert_eq(m.kind, BVC_WIRE_FINISHED, "got %s", bvc_wire_kind_name(m.kind));
	cr_assert_eq(m.u.finished.processed_insns, 2);
	bvc_wire_msg_release(&m);

	m.kind = BVC_WIRE_CANCEL;
	m.u.cancel.job_id = BVC_WIRE_CANCEL_REJOIN;
	peer_send(&p, &m);
	peer_recv(&p, &m);
	cr_assert_eq(m.kind, BVC_WIRE_HELLO, "got %s", bvc_wire_kind_name(m.kind));
	cr_expect_str_eq(m.u.hello.build_id, bvc_wire_build_id());
	bvc_wire_msg_release(&m);
	/* Until our Hello, anything else is for the old session: ignored. */
	send_job(&p, 7);
	bvc_wire_hello_init(&m, 1);
	peer_send(&p, &m);

	send_job(&p, 1);
	peer_recv(&p, &m);
	cr_assert_eq(m.kind, BVC_WIRE_FINISHED, "got %s", bvc_wire_kind_name(m.kind));
	cr_expect_eq(m.u.finished.job_id, 1, "job 7 came before the hello was answered");
	cr_expect_eq(m.u.finished.processed_insns, 2, "job 1 was not dropped");
	bvc_wire_msg_release(&m);
	peer_stop(&p);
}

/* A Job with the entry for @len bytes of raw bytecode of @type. */
static void send_raw_job(struct peer *p, uint64_t id, const char *type, const void *prog,
			 size_t len)
{
	struct bvc_wire_msg m = { .kind = BVC_WIRE_JOB };

	m.u.job.job_id = id;
	snprintf(m.u.job.prog_name, sizeof(m.u.job.prog_name), "raw:%s", type);
	m.u.job.start_entry = 1;
	m.u.job.object = (uint8_t *)prog;
	m.u.job.object_len = len;
	peer_send(p, &m);
}

/* What a Reject is travels as its kind, set where the refusal was raised:
 * an unsafe program, one using what we do not model, and a job the worker
 * cannot load at all (an internal error, no verdict on any program). */
Test(worker_serve, a_reject_says_its_kind)
{
	/* r0 = *(u64 *)(r0 + 0): R0 !read_ok */
	static const uint8_t unsafe[16] = { 0x79, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0 };
	/* r0 = addr_space_cast(r1, 0, 1): arena, not modelled */
	static const uint8_t arena[24] = { 0xbf, 0x10, 1, 0, 1, 0, 0, 0,
					   0xb7, 0, 0, 0, 0, 0, 0, 0,
					   0x95, 0, 0, 0, 0, 0, 0, 0 };
	static const struct {
		const char *type;
		const void *prog;
		size_t len;
		enum bvc_verdict_kind kind;
		const char *msg;
	} cases[] = {
		{ "socket_filter", unsafe, sizeof(unsafe), BVC_REJECT, "R0 !read_ok" },
		{ "socket_filter", arena, sizeof(arena), BVC_UNSUPPORTED, "unsupported: addr_space_cast" },
		{ "socket_filter", unsafe, 12, BVC_INTERNAL, "worker cannot load the job: raw program of 12 bytes" },
		{ "no_such_type", unsafe, sizeof(unsafe), BVC_INTERNAL, "unknown program type 'no_such_type'" },
	};
	struct peer p;

	peer_start(&p);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct bvc_wire_msg m;

		send_raw_job(&p, k + 1, cases[k].type, cases[k].prog, cases[k].len);
		peer_recv(&p, &m);
		cr_assert_eq(m.kind, BVC_WIRE_REJECT, "case %zu: got %s", k, bvc_wire_kind_name(m.kind));
		cr_expect_eq(m.u.reject.job_id, k + 1);
		cr_expect_eq(m.u.reject.kind, cases[k].kind, "case %zu: kind %s, expected %s", k,
			     bvc_verdict_kind_name(m.u.reject.kind),
			     bvc_verdict_kind_name(cases[k].kind));
		cr_expect(strstr(m.u.reject.message, cases[k].msg), "case %zu: '%s'", k,
			  m.u.reject.message);
		bvc_wire_msg_release(&m);
	}
	peer_stop(&p);
}
