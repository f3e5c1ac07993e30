// SPDX-License-Identifier: MIT
/*
 * The worker's link thread: the one owner of the DEALER socket during a
 * session, so that heartbeats leave on time however long the work loop is
 * busy (issue 13: a live worker on a loaded machine was declared dead).
 *
 * Why a thread, and why it owns the socket. An engine slice is bounded in
 * instructions, not in time, and some steps are long whatever the slice:
 * loading a 16 MiB object from a Job, gathering the facts of a big program
 * for Finished, a slice that prunes against thousands of checkpoints, and
 * all of it twice as slow when another process shares the core. Bounding
 * every one of those in wall time would touch the engine and the loader;
 * a thread that only sleeps and beats gets the CPU when it wakes, whatever
 * the load. ZeroMQ sockets must not be used by two threads at once, and a
 * second connection would be a second peer to the coordinator (another
 * routing id, its own CURVE handshake), so the thread takes the DEALER
 * over after the handshake and the work loop talks to it through an
 * inproc PAIR:
 *
 *   work loop --PAIR--> link thread --DEALER--> coordinator (in order)
 *   work loop <--PAIR-- link thread <--DEALER-- coordinator (every frame)
 *   link thread --Heartbeat per job--> coordinator, each interval
 *
 * Heartbeats carry per-job progress: the work loop publishes each job's id
 * and processed count (a seqlock per job slot, so an id is never paired
 * with another job's count) and the thread reads them. A heartbeat may
 * pass a Finished still in the pipe, so a count on the wire can be lower
 * than the one before it: the coordinator keeps the largest (counts only
 * grow there).
 *
 * The thread also decides that the coordinator fell silent: only the time
 * it spent waiting counts, so a process that was stopped or starved does
 * not find its coordinator "silent" on waking before reading what came.
 * And it stops beating if the work loop has not come round for
 * BVC_WORKER_STALL_MS: a worker wedged in a bug must still be found dead
 * rather than hold its work forever.
 *
 * The thread never blocks except in zmq_poll: frames from the coordinator
 * go to an unbounded pipe (they are bounded by what the coordinator sends,
 * which was the DEALER's queue before), a frame the DEALER cannot take now
 * waits there while the thread keeps beating.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "bpfvc/util.h"
#include "internal.h"

/* Read job slot @k: 1 with @id and @processed consistent, 0 while the
 * work loop is writing it (the caller tries again next beat). */
static int slot_read(struct bvc_link *l, unsigned int k, uint64_t *id, uint64_t *processed)
{
	uint64_t s1 = atomic_load(&l->jobs[k].seq), s2;

	if (s1 & 1)
		return 0;
	*id = atomic_load(&l->jobs[k].id);
	*processed = atomic_load(&l->jobs[k].processed);
	s2 = atomic_load(&l->jobs[k].seq);
	return s1 == s2;
}

void bvc_link_publish(struct bvc_link *l, unsigned int k, uint64_t id, uint64_t processed)
{
	atomic_fetch_add(&l->jobs[k].seq, 1);
	atomic_store(&l->jobs[k].id, id);
	atomic_store(&l->jobs[k].processed, processed);
	atomic_fetch_add(&l->jobs[k].seq, 1);
}

void bvc_link_alive(struct bvc_link *l)
{
	atomic_store(&l->main_ms, (uint64_t)bvc_now_ms());
}

static void link_fail(struct bvc_link *l, int err, const char *why)
{
	if (atomic_load(&l->error))
		return;
	snprintf(l->why, sizeof(l->why), "%s", why);
	atomic_store(&l->error, err); /* after @why: the reader looks at it second */
}

/* Send a Heartbeat now; 1 when the DEALER cannot take it now. */
static int send_beat(struct bvc_link *l, uint64_t id, uint64_t processed)
{
	struct bvc_wire_msg m = { .kind = BVC_WIRE_HEARTBEAT };
	void *buf;
	size_t len;
	int ret;

	m.u.heartbeat.job_id = id;
	m.u.heartbeat.processed_insns = processed;
	if (bvc_wire_encode(&m, &buf, &len, NULL, 0))
		return 1; /* cannot happen: every value of both fields is valid */
	ret = zmq_send(l->dealer, buf, len, ZMQ_DONTWAIT) < 0;
	free(buf);
	return ret;
}

/* One heartbeat per job the work loop holds, one with job 0 if none. A
 * heartbeat the DEALER cannot take now is skipped: the coordinator is not
 * reading, and the next interval brings another. */
static void beat(struct bvc_link *l)
{
	int sent = 0;

	for (unsigned int k = 0; k < BVC_WIRE_MAX_JOBS; k++) {
		uint64_t id, processed;

		if (!slot_read(l, k, &id, &processed) || !id)
			continue;
		if (send_beat(l, id, processed))
			return;
		sent = 1;
	}
	if (!sent)
		send_beat(l, 0, 0);
}

static void *link_main(void *arg)
{
	struct bvc_link *l = arg;
	zmq_msg_t out;      /* a frame of the work loop waiting for the DEALER */
	int have_out = 0;
	double quiet = 0, next_beat = bvc_now_ms();

	zmq_msg_init(&out);
	while (!atomic_load(&l->stop) && !atomic_load(&l->error)) {
		zmq_pollitem_t pi[2] = {
			{ .socket = l->dealer, .events = ZMQ_POLLIN | (have_out ? ZMQ_POLLOUT : 0) },
			{ .socket = l->pipe_thr, .events = have_out ? 0 : ZMQ_POLLIN },
		};
		double t0 = bvc_now_ms(), t1;
		long wait = (long)(next_beat - t0);
		int r, heard = 0;

		if (wait <= 0) {
			if (t0 - (double)atomic_load(&l->main_ms) <= BVC_WORKER_STALL_MS)
				beat(l);
			next_beat = t0 + BVC_WIRE_HEARTBEAT_MS;
			wait = BVC_WIRE_HEARTBEAT_MS;
		}
		if (wait > BVC_WIRE_HEARTBEAT_MS / 4)
			wait = BVC_WIRE_HEARTBEAT_MS / 4; /* look at @stop now and then */
		r = zmq_poll(pi, 2, wait);
		t1 = bvc_now_ms();
		if (r < 0 && errno != EINTR) {
			int e = errno;

			link_fail(l, -e, "polling the coordinator's socket failed");
			break;
		}
		/* Every frame from the coordinator goes to the work loop. */
		while (r > 0 && (pi[0].revents & ZMQ_POLLIN)) {
			zmq_msg_t f;
			int more;

			zmq_msg_init(&f);
			if (zmq_msg_recv(&f, l->dealer, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(&f);
				break;
			}
			heard = 1;
			more = zmq_msg_more(&f);
			if (zmq_msg_send(&f, l->pipe_thr, more ? ZMQ_SNDMORE : 0) < 0) {
				int e = errno;

				zmq_msg_close(&f);
				link_fail(l, -e, "cannot hand a message to the work loop");
				break;
			}
		}
		/* The work loop's frames go out in its order. */
		for (;;) {
			if (!have_out) {
				if (zmq_msg_recv(&out, l->pipe_thr, ZMQ_DONTWAIT) < 0)
					break;
				have_out = 1;
			}
			if (zmq_msg_send(&out, l->dealer, ZMQ_DONTWAIT) < 0) {
				if (errno != EAGAIN)
					link_fail(l, -errno, "cannot send to the coordinator");
				break; /* the DEALER is full: wait for POLLOUT */
			}
			have_out = 0; /* sent: @out is empty again */
		}
		/* Silence is counted in time we waited, never in time this
		 * process did not run (stopped, starved): one poll counts for
		 * at most what it asked for, plus a little. */
		if (heard) {
			quiet = 0;
		} else {
			double d = t1 - t0;

			quiet += d < wait + 100 ? d : wait + 100;
			if (quiet > BVC_WIRE_DEAD_BEATS * BVC_WIRE_HEARTBEAT_MS)
				atomic_store(&l->silent, 1);
		}
	}
	zmq_msg_close(&out);
	return NULL;
}

int bvc_link_start(struct bvc_link *l, struct bvc_worker *w, char *err, size_t errsz)
{
	int linger = 0, unbounded = 0, ret;
	char ep[64];

	memset(l, 0, sizeof(*l));
	l->dealer = w->sock;
	snprintf(ep, sizeof(ep), "inproc://bvc-worker-link-%p", (void *)l);
	l->pipe_main = zmq_socket(w->ctx, ZMQ_PAIR);
	l->pipe_thr = zmq_socket(w->ctx, ZMQ_PAIR);
	/* Toward the work loop nothing waits (RCVHWM/SNDHWM 0: no limit), so
	 * the thread never blocks; toward the coordinator the work loop's
	 * sends keep their timeout, as on the DEALER before. */
	if (!l->pipe_main || !l->pipe_thr ||
	    zmq_setsockopt(l->pipe_main, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
	    zmq_setsockopt(l->pipe_thr, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
	    zmq_setsockopt(l->pipe_main, ZMQ_RCVHWM, &unbounded, sizeof(unbounded)) < 0 ||
	    zmq_setsockopt(l->pipe_thr, ZMQ_SNDHWM, &unbounded, sizeof(unbounded)) < 0 ||
	    zmq_setsockopt(l->pipe_main, ZMQ_SNDTIMEO, &w->timeout_ms, sizeof(w->timeout_ms)) < 0 ||
	    zmq_bind(l->pipe_main, ep) < 0 || zmq_connect(l->pipe_thr, ep) < 0) {
		ret = -errno;
		bvc_set_err(err, errsz, "cannot make the link pipe: %s", zmq_strerror(errno));
		goto fail;
	}
	bvc_link_alive(l);
	/* pthread_create is a full barrier: the DEALER moves to the thread
	 * cleanly, as ZeroMQ allows. */
	ret = pthread_create(&l->thread, NULL, link_main, l);
	if (ret) {
		bvc_set_err(err, errsz, "cannot start the link thread: %s", strerror(ret));
		ret = -ret;
		goto fail;
	}
	l->running = 1;
	return 0;
fail:
	if (l->pipe_main)
		zmq_close(l->pipe_main);
	if (l->pipe_thr)
		zmq_close(l->pipe_thr);
	l->pipe_main = l->pipe_thr = NULL;
	return ret;
}

void bvc_link_stop(struct bvc_link *l)
{
	if (l->running) {
		atomic_store(&l->stop, 1);
		pthread_join(l->thread, NULL); /* the DEALER is the caller's again */
		l->running = 0;
	}
	if (l->pipe_main)
		zmq_close(l->pipe_main);
	if (l->pipe_thr)
		zmq_close(l->pipe_thr);
	l->pipe_main = l->pipe_thr = NULL;
}

int bvc_link_status(struct bvc_link *l, char *err, size_t errsz)
{
	int e = atomic_load(&l->error);

	if (e) {
		bvc_set_err(err, errsz, "%s: %s", l->why, zmq_strerror(-e));
		return e;
	}
	if (atomic_load(&l->silent)) {
		bvc_set_err(err, errsz, "coordinator silent for %d heartbeats",
			BVC_WIRE_DEAD_BEATS);
		return -ETIMEDOUT;
	}
	return 0;
}
