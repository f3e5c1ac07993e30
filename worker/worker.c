// SPDX-License-Identifier: MIT
/*
 * The worker's side of the wire: a ZeroMQ DEALER connected to the
 * coordinator's ROUTER, and the Hello handshake (docs/design.md section 4).
 *
 * Each worker owns its ZeroMQ context: a worker is usually its own process,
 * and a context must never be shared across fork(). Receives always carry a
 * timeout (ZMQ_RCVTIMEO) and sends never wait for a peer (ZMQ_SNDTIMEO), so
 * a dead or absent coordinator shows up as -ETIMEDOUT, not as a hang.
 *
 * Must not: print, trust a byte from the socket before bvc_wire_decode()
 * has checked it, or keep a process alive on close (ZMQ_LINGER 0: the
 * caller finishes its exchanges before freeing).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "bpfvc/worker.h"
#include "bpfvc/util.h"
#include "internal.h"

#define DEFAULT_TIMEOUT_MS 5000

static void mon_stop(struct bvc_worker *w)
{
	if (!w->mon)
		return;
	zmq_socket_monitor(w->sock, NULL, 0);
	zmq_close(w->mon);
	w->mon = NULL;
}

void bvc_worker_free(struct bvc_worker *w)
{
	if (!w)
		return;
	mon_stop(w);
	if (w->sock)
		zmq_close(w->sock);
	if (w->ctx)
		zmq_ctx_term(w->ctx);
	free(w->endpoint);
	free(w);
}

int bvc_worker_new(const char *endpoint, const struct bvc_worker_opts *opts,
		   struct bvc_worker **out, char *err, size_t errsz)
{
	struct bvc_worker_opts o;
	int64_t maxmsg = BVC_WIRE_FRAME_MAX;
	const char *id = bvc_wire_build_id();
	struct bvc_worker *w;
	int linger = 0, ret;

	*out = NULL;
	if (bvc_opts_copy(&o, sizeof(o), opts, sizeof(size_t), "bvc_worker_opts", err, errsz))
		return -EINVAL;
	opts = &o;
	if (opts->build_id)
		id = opts->build_id;
	if (strlen(id) > BVC_WIRE_BUILD_ID_MAX) {
		bvc_set_err(err, errsz, "build id '%s' is longer than %d bytes", id,
			BVC_WIRE_BUILD_ID_MAX);
		return -EINVAL;
	}

	w = calloc(1, sizeof(*w));
	if (!w || !(w->endpoint = strdup(endpoint))) {
		free(w);
		bvc_set_err(err, errsz, "out of memory");
		return -ENOMEM;
	}
	memcpy(w->build_id, id, strlen(id) + 1);
	w->cores = opts->cores ? opts->cores : 1;
	w->mem_limit = opts->mem_limit;
	w->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	w->curve = opts->curve_secret || opts->curve_public || opts->curve_server;
	if (w->curve && !(opts->curve_secret && opts->curve_public && opts->curve_server &&
			  strlen(opts->curve_secret) == BVC_CURVE_Z85_LEN &&
			  strlen(opts->curve_public) == BVC_CURVE_Z85_LEN &&
			  strlen(opts->curve_server) == BVC_CURVE_Z85_LEN)) {
		free(w->endpoint);
		free(w);
		bvc_set_err(err, errsz, "CURVE needs our key pair and the coordinator's public key, 40 Z85 characters each");
		return -EINVAL;
	}

	w->ctx = zmq_ctx_new();
	if (!w->ctx) {
		ret = -errno;
		bvc_set_err(err, errsz, "cannot create a ZeroMQ context: %s", zmq_strerror(errno));
		goto fail;
	}
	w->sock = zmq_socket(w->ctx, ZMQ_DEALER);
	if (!w->sock) {
		ret = -errno;
		bvc_set_err(err, errsz, "cannot create a DEALER socket: %s", zmq_strerror(errno));
		goto fail;
	}
	/* A coordinator that sends more than any message we accept is broken
	 * or hostile: ZeroMQ drops the connection before we allocate. */
	if (zmq_setsockopt(w->sock, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
	    zmq_setsockopt(w->sock, ZMQ_RCVTIMEO, &w->timeout_ms, sizeof(w->timeout_ms)) < 0 ||
	    zmq_setsockopt(w->sock, ZMQ_SNDTIMEO, &w->timeout_ms, sizeof(w->timeout_ms)) < 0 ||
	    zmq_setsockopt(w->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) < 0) {
		ret = -errno;
		bvc_set_err(err, errsz, "cannot set socket options: %s", zmq_strerror(errno));
		goto fail;
	}
	/* A routing id lets the coordinator that spawned us tell us apart
	 * (and match us to our pid) before we say anything. */
	if (opts->routing_id && opts->routing_id[0] &&
	    zmq_setsockopt(w->sock, ZMQ_ROUTING_ID, opts->routing_id,
			   strnlen(opts->routing_id, 255)) < 0) {
		ret = -errno;
		bvc_set_err(err, errsz, "cannot set the routing id: %s", zmq_strerror(errno));
		goto fail;
	}
	{
		/* Lost links come back by themselves: ZeroMQ reconnects after
		 * 100 ms, doubling the wait up to reconnect_max_ms. */
		int ivl = 100, ivl_max = opts->reconnect_max_ms > 0 ? opts->reconnect_max_ms : 5000;

		if (zmq_setsockopt(w->sock, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl)) < 0 ||
		    zmq_setsockopt(w->sock, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof(ivl_max)) < 0) {
			ret = -errno;
			bvc_set_err(err, errsz, "cannot set socket options: %s", zmq_strerror(errno));
			goto fail;
		}
	}
	if (w->curve) {
		char mon[64];

		if (zmq_setsockopt(w->sock, ZMQ_CURVE_SERVERKEY, opts->curve_server,
				   BVC_CURVE_Z85_LEN + 1) < 0 ||
		    zmq_setsockopt(w->sock, ZMQ_CURVE_PUBLICKEY, opts->curve_public,
				   BVC_CURVE_Z85_LEN + 1) < 0 ||
		    zmq_setsockopt(w->sock, ZMQ_CURVE_SECRETKEY, opts->curve_secret,
				   BVC_CURVE_Z85_LEN + 1) < 0) {
			ret = -errno;
			bvc_set_err(err, errsz, "cannot set the CURVE keys: %s%s", zmq_strerror(errno),
				errno == EINVAL ? " (a bad key, or ZeroMQ without CURVE)" : "");
			goto fail;
		}
		/* Watch the handshake: a refused key is reported at once,
		 * not as a silent timeout. */
		snprintf(mon, sizeof(mon), "inproc://bvc-worker-mon-%p", (void *)w);
		if (zmq_socket_monitor(w->sock, mon,
				       ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
					       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
					       ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) < 0 ||
		    !(w->mon = zmq_socket(w->ctx, ZMQ_PAIR)) ||
		    zmq_setsockopt(w->mon, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
		    zmq_connect(w->mon, mon) < 0) {
			ret = -errno;
			bvc_set_err(err, errsz, "cannot watch the handshake: %s", zmq_strerror(errno));
			goto fail;
		}
	}
	if (zmq_connect(w->sock, endpoint) < 0) {
		ret = -errno;
		bvc_set_err(err, errsz, "cannot connect to %s: %s", endpoint, zmq_strerror(errno));
		goto fail;
	}
	*out = w;
	return 0;
fail:
	bvc_worker_free(w);
	return ret;
}

/* Receive one message: exactly one frame, decoded and checked. */
static int recv_msg(struct bvc_worker *w, struct bvc_wire_msg *msg, char *err, size_t errsz)
{
	char why[256];
	zmq_msg_t frame;
	int more, nframes = 0, ret = 0;
	size_t sz = sizeof(more);

	zmq_msg_init(&frame);
	while (zmq_msg_recv(&frame, w->sock, 0) < 0) {
		if (errno == EINTR)
			continue;
		ret = errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (ret == -ETIMEDOUT)
			bvc_set_err(err, errsz, "no answer from %s within %d ms", w->endpoint,
				w->timeout_ms);
		else
			bvc_set_err(err, errsz, "receiving from %s: %s", w->endpoint,
				zmq_strerror(-ret));
		zmq_msg_close(&frame);
		return ret;
	}
	nframes = 1;
	ret = bvc_wire_decode(zmq_msg_data(&frame), zmq_msg_size(&frame), msg, why, sizeof(why));
	/* Drain the rest of a multi-frame message so the next one starts clean. */
	while (zmq_getsockopt(w->sock, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
		if (zmq_msg_recv(&frame, w->sock, 0) < 0)
			break;
		nframes++;
	}
	zmq_msg_close(&frame);
	if (nframes != 1) {
		bvc_set_err(err, errsz, "%s sent %d frames in one message, expected 1", w->endpoint,
			nframes);
		return -EPROTO;
	}
	if (ret)
		bvc_set_err(err, errsz, "%s: %s", w->endpoint, why);
	return ret;
}

/* Wait up to the timeout for the hello's answer, or for the monitor to
 * say the CURVE handshake failed. */
static int wait_answer(struct bvc_worker *w, char *err, size_t errsz)
{
	zmq_pollitem_t pi[2] = { { .socket = w->sock, .events = ZMQ_POLLIN },
				 { .socket = w->mon, .events = ZMQ_POLLIN } };
	int n = w->mon ? 2 : 1, r;

	r = zmq_poll(pi, n, w->timeout_ms);
	if (r < 0 && errno != EINTR) {
		bvc_set_err(err, errsz, "waiting for %s: %s", w->endpoint, zmq_strerror(errno));
		return -errno;
	}
	if (n == 2 && (pi[1].revents & ZMQ_POLLIN)) {
		zmq_msg_t ev;
		uint16_t event = 0;
		uint32_t value = 0;
		int more = 0;
		size_t sz = sizeof(more);

		zmq_msg_init(&ev);
		if (zmq_msg_recv(&ev, w->mon, 0) >= 6) {
			memcpy(&event, zmq_msg_data(&ev), 2);
			memcpy(&value, (char *)zmq_msg_data(&ev) + 2, 4);
		}
		while (zmq_getsockopt(w->mon, ZMQ_RCVMORE, &more, &sz) == 0 && more &&
		       zmq_msg_recv(&ev, w->mon, 0) >= 0)
			;
		zmq_msg_close(&ev);
		if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
			bvc_set_err(err, errsz,
				"%s refused our CURVE key (status %u): is our .pub in the coordinator's --curve-trust?",
				w->endpoint, value);
		else
			bvc_set_err(err, errsz,
				"CURVE handshake with %s failed: is --curve-server the coordinator's public key?",
				w->endpoint);
		return -EACCES;
	}
	if (!(pi[0].revents & ZMQ_POLLIN)) {
		bvc_set_err(err, errsz, "no answer from %s within %d ms%s", w->endpoint, w->timeout_ms,
			w->curve ? " (CURVE: is --curve-server the coordinator's public key?)" : "");
		return -ETIMEDOUT;
	}
	return 0;
}

int bvc_worker_hello(struct bvc_worker *w, struct bvc_wire_hello *theirs, char *err,
		     size_t errsz)
{
	struct bvc_wire_msg msg;
	char why[256];
	size_t len;
	void *buf;
	int ret;

	bvc_wire_hello_init(&msg, w->cores);
	memcpy(msg.u.hello.build_id, w->build_id, sizeof(w->build_id));
	ret = bvc_wire_encode(&msg, &buf, &len, why, sizeof(why));
	if (ret) {
		bvc_set_err(err, errsz, "cannot encode our hello: %s", why);
		return ret;
	}
	while ((ret = zmq_send(w->sock, buf, len, 0)) < 0 && errno == EINTR)
		;
	if (ret < 0) {
		ret = errno == EAGAIN ? -ETIMEDOUT : -errno;
		bvc_set_err(err, errsz, "cannot send hello to %s: %s", w->endpoint,
			ret == -ETIMEDOUT ? "timed out" : zmq_strerror(-ret));
		free(buf);
		return ret;
	}
	free(buf);

	ret = wait_answer(w, err, errsz);
	if (!ret)
		ret = recv_msg(w, &msg, err, errsz);
	mon_stop(w);
	if (ret)
		return ret;
	if (msg.kind != BVC_WIRE_HELLO) {
		bvc_set_err(err, errsz, "%s answered our hello with %s", w->endpoint,
			bvc_wire_kind_name(msg.kind));
		return -EPROTO;
	}
	if (theirs)
		*theirs = msg.u.hello;
	ret = bvc_wire_check_hello(&msg.u.hello, w->build_id, why, sizeof(why));
	if (ret) {
		bvc_set_err(err, errsz, "handshake with %s: %s", w->endpoint, why);
		return ret;
	}
	return 0;
}
