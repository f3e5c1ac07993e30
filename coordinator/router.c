// SPDX-License-Identifier: MIT
/*
 * The coordinator's side of the wire: a ZeroMQ ROUTER bound where workers
 * connect, and the Hello handshake (docs/design.md section 4).
 *
 * Anything can connect to a bound socket, so every message is suspect until
 * bvc_wire_decode() has checked it: a garbled or hostile peer costs one
 * refused message and a line of error, never the coordinator. A refused
 * peer whose Hello we could read (or whose only fault is another protocol
 * version) gets our Hello back, so it can report the mismatch itself;
 * garbage gets no answer.
 *
 * Connections cost a descriptor each, and ZeroMQ keeps one that never
 * sends a message for ever: the tcp connections are watched (a socket
 * monitor) and those on which no joined peer spoke within a limit are
 * closed by the cluster's health check (bvc_coord__sweep), so silent or
 * babbling peers cannot exhaust the descriptors.
 *
 * Must not: print, block without a timeout (receives use ZMQ_RCVTIMEO,
 * sends ZMQ_DONTWAIT), or keep the process alive on close (ZMQ_LINGER 0).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <zmq.h>

#include "bpfvc/coordinator.h"
#include "bpfvc/util.h"
#include "internal.h"

static void zap_stop(struct bvc_coord *c)
{
	if (!c->zap_running)
		return;
	c->zap_stop = 1;
	pthread_join(c->zap_thread, NULL);
	c->zap_running = 0;
}

void bvc_coord_free(struct bvc_coord *c)
{
	if (!c)
		return;
	zap_stop(c);
	free(c->trusted);
	if (c->mon) {
		/* Stop the monitor first and take in what it queued: event
		 * messages still in the pipe when the PAIR closes are never
		 * freed by libzmq 4.3 (LeakSanitizer finds them at exit). */
		zmq_socket_monitor(c->sock, NULL, 0);
		for (;;) {
			zmq_msg_t m;

			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, c->mon, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(&m);
				break;
			}
			zmq_msg_close(&m);
		}
		zmq_close(c->mon);
	}
	free(c->conns);
	if (c->sock)
		zmq_close(c->sock);
	if (c->ctx)
		zmq_ctx_term(c->ctx);
	free(c);
}

const char *bvc_coord_endpoint(const struct bvc_coord *c)
{
	return c->endpoint;
}

int bvc_coord_new(const char *endpoint, const struct bvc_coord_opts *opts,
		  struct bvc_coord **out, char *err, size_t errsz)
{
	struct bvc_coord_opts o;
	int64_t maxmsg = BVC_WIRE_FRAME_MAX;
	const char *id = bvc_wire_build_id();
	int linger = 0, mandatory = 1, ret;
	size_t len;
	struct bvc_coord *c;

	*out = NULL;
	if (bvc_opts_copy(&o, sizeof(o), opts, sizeof(size_t), "bvc_coord_opts", err, errsz))
		return -EINVAL;
	opts = &o;
	if (opts->build_id)
		id = opts->build_id;
	if (strlen(id) > BVC_WIRE_BUILD_ID_MAX) {
		bvc_set_err(err, errsz, "build id '%s' is longer than %d bytes", id,
			BVC_WIRE_BUILD_ID_MAX);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		bvc_set_err(err, errsz, "out of memory");
		return -ENOMEM;
	}
	memcpy(c->build_id, id, strlen(id) + 1);
	c->cores = opts->cores;

	c->ctx = zmq_ctx_new();
	if (!c->ctx) {
		ret = -errno;
		bvc_set_err(err, errsz, "cannot create a ZeroMQ context: %s", zmq_strerror(errno));
		goto fail;
	}
	c->sock = zmq_socket(c->ctx, ZMQ_ROUTER);
	if (!c->sock) {
		ret = -errno;
		bvc_set_err(err, errsz, "cannot create a ROUTER socket: %s", zmq_strerror(errno));
		goto fail;
	}
	/* ROUTER_MANDATORY: a send to a vanished peer fails (EHOSTUNREACH)
	 * instead of vanishing too. MAXMSGSIZE: ZeroMQ drops a peer that sends
	 * more than any message we accept, before we allocate it. */
	if (zmq_setsockopt(c->sock, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
	    zmq_setsockopt(c->sock, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof(mandatory)) < 0 ||
	    zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) < 0) {
		ret = -errno;
		bvc_set_err(err, errsz, "cannot set socket options: %s", zmq_strerror(errno));
		goto fail;
	}
	if (zmq_bind(c->sock, endpoint) < 0) {
		ret = -errno;
		bvc_set_err(err, errsz, "cannot bind %s: %s", endpoint, zmq_strerror(errno));
		goto fail;
	}
	len = sizeof(c->endpoint);
	if (zmq_getsockopt(c->sock, ZMQ_LAST_ENDPOINT, c->endpoint, &len) < 0)
		snprintf(c->endpoint, sizeof(c->endpoint), "%s", endpoint);
	*out = c;
	return 0;
fail:
	bvc_coord_free(c);
	return ret;
}

/* --- connections: silent ones are closed ------------------------------------ */

int bvc_coord__watch(struct bvc_coord *c, char *err, size_t errsz)
{
	char ep[64];
	int linger = 0, hwm = 0, ret;

	if (c->mon)
		return 0;
	snprintf(ep, sizeof(ep), "inproc://bvc-coord-mon-%p", (void *)c);
	if (zmq_socket_monitor(c->sock, ep,
			       ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED) < 0)
		goto fail;
	c->mon = zmq_socket(c->ctx, ZMQ_PAIR);
	if (!c->mon)
		goto fail;
	if (zmq_setsockopt(c->mon, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
	    zmq_setsockopt(c->mon, ZMQ_RCVHWM, &hwm, sizeof(hwm)) < 0 || zmq_connect(c->mon, ep) < 0)
		goto fail;
	return 0;
fail:
	ret = -errno;
	bvc_set_err(err, errsz, "cannot watch the connections: %s", zmq_strerror(errno));
	if (c->mon)
		zmq_close(c->mon);
	c->mon = NULL;
	return ret;
}

static struct bvc_coord_conn *conn_of(struct bvc_coord *c, int fd)
{
	for (size_t k = 0; k < c->nconns; k++)
		if (c->conns[k].fd == fd)
			return &c->conns[k];
	return NULL;
}

void bvc_coord__spoke(struct bvc_coord *c, int fd)
{
	struct bvc_coord_conn *k = conn_of(c, fd);

	if (k)
		k->spoke = 1;
}

/* Take in the monitor's events: tcp connections accepted and gone. */
static void conn_events(struct bvc_coord *c)
{
	for (;;) {
		zmq_msg_t ev, addr;
		uint16_t event;
		uint32_t value;
		struct bvc_coord_conn *k;
		int tcp;

		zmq_msg_init(&ev);
		if (zmq_msg_recv(&ev, c->mon, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&ev);
			return;
		}
		zmq_msg_init(&addr);
		zmq_msg_recv(&addr, c->mon, ZMQ_DONTWAIT);
		tcp = zmq_msg_size(&addr) >= 6 && !memcmp(zmq_msg_data(&addr), "tcp://", 6);
		if (zmq_msg_size(&ev) < 6) {
			zmq_msg_close(&ev);
			zmq_msg_close(&addr);
			continue;
		}
		memcpy(&event, zmq_msg_data(&ev), 2);
		memcpy(&value, (uint8_t *)zmq_msg_data(&ev) + 2, 4);
		zmq_msg_close(&ev);
		zmq_msg_close(&addr);
		k = conn_of(c, (int)value);
		if (event != ZMQ_EVENT_ACCEPTED) {
			if (k)
				*k = c->conns[--c->nconns];
			continue;
		}
		/* Only tcp: the local workers' ipc endpoint is private. */
		if (!tcp) {
			if (k)
				*k = c->conns[--c->nconns];
			continue;
		}
		if (!k) {
			if (c->nconns == c->cap_conns) {
				size_t cap = c->cap_conns * 2 + 16;
				struct bvc_coord_conn *v = realloc(c->conns, cap * sizeof(*v));

				if (!v)
					continue; /* not watched: it lives until it closes */
				c->conns = v;
				c->cap_conns = cap;
			}
			k = &c->conns[c->nconns++];
		}
		k->fd = (int)value;
		k->spoke = 0;
		k->since = bvc_now_ms();
	}
}

/* @fd is still an accepted tcp socket (events may have been missed, and a
 * descriptor number may have been given to something else since). */
static int is_tcp_peer(int fd)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);

	if (getpeername(fd, (struct sockaddr *)&a, &len) < 0)
		return 0;
	return a.ss_family == AF_INET || a.ss_family == AF_INET6;
}

unsigned int bvc_coord__sweep(struct bvc_coord *c, double limit_ms)
{
	double t = bvc_now_ms();
	unsigned int cut = 0;

	if (!c->mon)
		return 0;
	conn_events(c);
	for (size_t k = 0; k < c->nconns;) {
		struct bvc_coord_conn *x = &c->conns[k];

		if (x->spoke || t - x->since < limit_ms) {
			k++;
			continue;
		}
		/* shutdown, not close: the descriptor stays libzmq's, which
		 * sees the end of the stream and drops the connection. */
		if (is_tcp_peer(x->fd) && shutdown(x->fd, SHUT_RDWR) == 0)
			cut++;
		*x = c->conns[--c->nconns];
	}
	c->conns_cut += cut;
	return cut;
}

/* --- CURVE: the ZAP handler ---------------------------------------------- */

/*
 * ZeroMQ asks a ZAP handler (RFC 27) at inproc://zeromq.zap.01 about every
 * peer of a CURVE listener before the peer can send a single message. The
 * request: version "1.0", request id, domain, address, routing id,
 * mechanism, then the credentials (for CURVE: the client's 32-byte public
 * key). We answer 200 for a trusted key and 400 for any other, so a
 * stranger never reaches the ROUTER: the coordinator never sees its Hello.
 */
static void *zap_main(void *arg)
{
	struct bvc_coord *c = arg;

	while (!c->zap_stop) {
		zmq_pollitem_t pi = { .socket = c->zap_sock, .events = ZMQ_POLLIN };
		zmq_msg_t f[7];
		int nf = 0, more = 1, ok = 0;
		size_t sz = sizeof(more);
		const char *code, *text;

		if (zmq_poll(&pi, 1, 100) <= 0)
			continue;
		while (more && nf < 7) {
			zmq_msg_init(&f[nf]);
			if (zmq_msg_recv(&f[nf], c->zap_sock, 0) < 0) {
				zmq_msg_close(&f[nf]);
				break;
			}
			nf++;
			if (zmq_getsockopt(c->zap_sock, ZMQ_RCVMORE, &more, &sz) < 0)
				more = 0;
		}
		while (more) { /* more frames than any request has: drain */
			zmq_msg_t x;

			zmq_msg_init(&x);
			if (zmq_msg_recv(&x, c->zap_sock, 0) < 0 ||
			    zmq_getsockopt(c->zap_sock, ZMQ_RCVMORE, &more, &sz) < 0)
				more = 0;
			zmq_msg_close(&x);
		}
		if (nf >= 6 && zmq_msg_size(&f[5]) == 5 && !memcmp(zmq_msg_data(&f[5]), "CURVE", 5) &&
		    nf == 7 && zmq_msg_size(&f[6]) == 32) {
			for (size_t k = 0; k < c->ntrusted && !ok; k++)
				ok = !memcmp(zmq_msg_data(&f[6]), c->trusted[k], 32);
		} else if (nf >= 6 && zmq_msg_size(&f[5]) == 4 &&
			   !memcmp(zmq_msg_data(&f[5]), "NULL", 4)) {
			/* Only our private ipc listener (a 0700 temp dir)
			 * is plain; every tcp listener of a CURVE
			 * coordinator is CURVE. */
			ok = 1;
		}
		if (ok)
			__atomic_add_fetch(&c->zap_accepted, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&c->zap_refused, 1, __ATOMIC_RELAXED);
		code = ok ? "200" : "400";
		text = ok ? "OK" : "key not trusted";
		if (nf >= 2) {
			zmq_send(c->zap_sock, "1.0", 3, ZMQ_SNDMORE);
			zmq_send(c->zap_sock, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), ZMQ_SNDMORE);
			zmq_send(c->zap_sock, code, 3, ZMQ_SNDMORE);
			zmq_send(c->zap_sock, text, strlen(text), ZMQ_SNDMORE);
			zmq_send(c->zap_sock, "", 0, ZMQ_SNDMORE);
			zmq_send(c->zap_sock, "", 0, 0);
		}
		for (int k = 0; k < nf; k++)
			zmq_msg_close(&f[k]);
	}
	zmq_close(c->zap_sock);
	c->zap_sock = NULL;
	return NULL;
}

int bvc_coord_bind_curve(struct bvc_coord *c, const char *endpoint,
			 const struct bvc_curve_keypair *kp, const struct bvc_curve_trust *trust,
			 char *err, size_t errsz)
{
	int on = 1, linger = 0, ret;
	size_t len;

	/* A worker whose link broke reconnects under the same routing id:
	 * the new link takes the id over from the old, half-dead one. */
	zmq_setsockopt(c->sock, ZMQ_ROUTER_HANDOVER, &on, sizeof(on));

	if (kp) {
		if (!trust || !trust->n) {
			bvc_set_err(err, errsz, "CURVE: no trusted worker key");
			return -EINVAL;
		}
		if (!c->zap_running) {
			c->trusted = calloc(trust->n, sizeof(*c->trusted));
			if (!c->trusted) {
				bvc_set_err(err, errsz, "out of memory");
				return -ENOMEM;
			}
			for (size_t k = 0; k < trust->n; k++) {
				if (!zmq_z85_decode(c->trusted[k], trust->keys[k])) {
					bvc_set_err(err, errsz, "CURVE: trusted key %zu is not Z85", k + 1);
					return -EINVAL;
				}
			}
			c->ntrusted = trust->n;
			c->zap_sock = zmq_socket(c->ctx, ZMQ_REP);
			if (!c->zap_sock || zmq_setsockopt(c->zap_sock, ZMQ_LINGER, &linger,
							   sizeof(linger)) < 0 ||
			    zmq_bind(c->zap_sock, "inproc://zeromq.zap.01") < 0) {
				ret = -errno;
				bvc_set_err(err, errsz, "cannot start the CURVE authenticator: %s",
					zmq_strerror(errno));
				if (c->zap_sock)
					zmq_close(c->zap_sock);
				c->zap_sock = NULL;
				return ret;
			}
			c->zap_stop = 0;
			ret = pthread_create(&c->zap_thread, NULL, zap_main, c);
			if (ret) {
				zmq_close(c->zap_sock);
				c->zap_sock = NULL;
				bvc_set_err(err, errsz, "cannot start the CURVE authenticator: %s",
					strerror(ret));
				return -ret;
			}
			c->zap_running = 1;
		}
		/* Options are taken when a listener is made: only the
		 * endpoints bound from here on are CURVE. */
		if (zmq_setsockopt(c->sock, ZMQ_CURVE_SERVER, &on, sizeof(on)) < 0 ||
		    zmq_setsockopt(c->sock, ZMQ_CURVE_SECRETKEY, kp->sec, BVC_CURVE_Z85_LEN + 1) < 0 ||
		    zmq_setsockopt(c->sock, ZMQ_ZAP_DOMAIN, "bpfvc", 5) < 0) {
			ret = -errno;
			bvc_set_err(err, errsz, "cannot set the CURVE keys: %s", zmq_strerror(errno));
			return ret;
		}
	}
	ret = zmq_bind(c->sock, endpoint);
	if (ret < 0) {
		ret = -errno;
		bvc_set_err(err, errsz, "cannot bind %s: %s", endpoint, zmq_strerror(errno));
		return ret;
	}
	len = sizeof(c->endpoint);
	if (zmq_getsockopt(c->sock, ZMQ_LAST_ENDPOINT, c->endpoint, &len) < 0)
		snprintf(c->endpoint, sizeof(c->endpoint), "%s", endpoint);
	return 0;
}

uint64_t bvc_coord_refused(const struct bvc_coord *c)
{
	return __atomic_load_n(&c->zap_refused, __ATOMIC_RELAXED);
}

/* A routing id for messages: hex, shortened past 16 bytes. */
static const char *peer_name(const uint8_t *id, size_t len, char buf[40])
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = len > 16 ? 16 : len;

	for (i = 0; i < n; i++) {
		buf[2 * i] = hex[id[i] >> 4];
		buf[2 * i + 1] = hex[id[i] & 15];
	}
	strcpy(buf + 2 * n, len > n ? "..." : "");
	return buf;
}

/* Our Hello to @id. Never blocks: a peer that cannot take it is gone. */
static int send_hello(struct bvc_coord *c, const uint8_t *id, size_t id_len, char *err,
		      size_t errsz)
{
	struct bvc_wire_msg msg;
	char why[256];
	size_t len;
	void *buf;
	int ret;

	bvc_wire_hello_init(&msg, c->cores);
	memcpy(msg.u.hello.build_id, c->build_id, sizeof(c->build_id));
	ret = bvc_wire_encode(&msg, &buf, &len, why, sizeof(why));
	if (ret) {
		bvc_set_err(err, errsz, "cannot encode our hello: %s", why);
		return ret;
	}
	if (zmq_send(c->sock, id, id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(c->sock, buf, len, ZMQ_DONTWAIT) < 0) {
		ret = -errno;
		bvc_set_err(err, errsz, "cannot answer: %s", zmq_strerror(errno));
	}
	free(buf);
	return ret;
}

/* Receive one routed message: the routing id, then its frames. Returns the
 * number of payload frames (the first kept in @payload), or a negative errno. */
static int recv_routed(struct bvc_coord *c, int timeout_ms, struct bvc_coord_peer *peer,
		       zmq_msg_t *payload, char *err, size_t errsz)
{
	zmq_msg_t frame;
	int more = 0, nframes = 0, ret;
	size_t sz = sizeof(more);

	if (zmq_setsockopt(c->sock, ZMQ_RCVTIMEO, &timeout_ms, sizeof(timeout_ms)) < 0) {
		ret = -errno;
		bvc_set_err(err, errsz, "cannot set the receive timeout: %s", zmq_strerror(errno));
		return ret;
	}
	zmq_msg_init(&frame);
	while (zmq_msg_recv(&frame, c->sock, 0) < 0) {
		if (errno == EINTR)
			continue;
		ret = errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (ret == -ETIMEDOUT)
			bvc_set_err(err, errsz, "no message on %s within %d ms", c->endpoint,
				timeout_ms);
		else
			bvc_set_err(err, errsz, "receiving on %s: %s", c->endpoint,
				zmq_strerror(-ret));
		zmq_msg_close(&frame);
		return ret;
	}
	/* ZeroMQ makes routing ids 1..255 bytes; check anyway before copying. */
	peer->id_len = zmq_msg_size(&frame);
	if (peer->id_len > sizeof(peer->id))
		peer->id_len = sizeof(peer->id);
	memcpy(peer->id, zmq_msg_data(&frame), peer->id_len);

	/* The rest of the message is already here: ZeroMQ delivers all of
	 * its frames at once, so these receives do not wait. */
	while (zmq_getsockopt(c->sock, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
		if (zmq_msg_recv(&frame, c->sock, 0) < 0)
			break;
		if (nframes++ == 0)
			zmq_msg_copy(payload, &frame);
	}
	zmq_msg_close(&frame);
	return nframes;
}

int bvc_coord_handshake(struct bvc_coord *c, int timeout_ms, struct bvc_coord_peer *peer,
			char *err, size_t errsz)
{
	char name[40];
	zmq_msg_t payload;
	int nframes, ret;

	memset(peer, 0, sizeof(*peer));
	zmq_msg_init(&payload);
	nframes = recv_routed(c, timeout_ms, peer, &payload, err, errsz);
	if (nframes < 0) {
		zmq_msg_close(&payload);
		return nframes;
	}
	peer_name(peer->id, peer->id_len, name);
	if (nframes != 1) {
		bvc_set_err(err, errsz, "peer %s: %d frames in one message, expected 1", name,
			nframes);
		zmq_msg_close(&payload);
		return -EPROTO;
	}
	ret = bvc_coord__hello(c, peer, zmq_msg_data(&payload), zmq_msg_size(&payload), NULL,
			       err, errsz);
	zmq_msg_close(&payload);
	return ret;
}

int bvc_coord__hello(struct bvc_coord *c, struct bvc_coord_peer *peer, const void *payload,
		     size_t len, enum bvc_hello_fault *fault, char *err, size_t errsz)
{
	enum bvc_hello_fault dummy;
	struct bvc_wire_msg msg;
	char why[256], name[40];
	int ret;

	if (!fault)
		fault = &dummy;
	*fault = BVC_HELLO_OK;
	peer_name(peer->id, peer->id_len, name);
	ret = bvc_wire_decode(payload, len, &msg, why, sizeof(why));
	if (ret) {
		*fault = BVC_HELLO_GARBAGE;
		bvc_set_err(err, errsz, "peer %s: %s", name, why);
		/* Refused for a protocol reason (another version, say):
		 * answer, so the peer can tell which side is which. */
		if (ret == -EPROTO)
			send_hello(c, peer->id, peer->id_len, NULL, 0);
		return ret;
	}
	if (msg.kind != BVC_WIRE_HELLO) {
		*fault = BVC_HELLO_NOT_HELLO;
		bvc_set_err(err, errsz, "peer %s: %s before hello", name, bvc_wire_kind_name(msg.kind));
		bvc_wire_msg_release(&msg);
		return -EPROTO;
	}
	peer->hello = msg.u.hello;

	ret = bvc_wire_check_hello(&msg.u.hello, c->build_id, why, sizeof(why));
	if (ret) {
		*fault = BVC_HELLO_MISMATCH;
		bvc_set_err(err, errsz, "peer %s refused: %s", name, why);
		send_hello(c, peer->id, peer->id_len, NULL, 0);
		return ret;
	}
	ret = send_hello(c, peer->id, peer->id_len, why, sizeof(why));
	if (ret) {
		*fault = BVC_HELLO_SEND;
		bvc_set_err(err, errsz, "peer %s: %s", name, why);
		return ret;
	}
	return 0;
}
