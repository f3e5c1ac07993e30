// SPDX-License-Identifier: MIT
/*
 * libzmq for the bpfvc command, opened when a cluster first needs it.
 *
 * Linked, libzmq and what it pulls in (libstdc++, Kerberos, OpenPGM,
 * NORM, libsodium: 12 more shared objects) cost every bpfvc command about
 * 3 ms of CPU in the dynamic loader before main(), also `verify -w 0` of
 * a tiny program, which never opens a socket (bench/README.md,
 * "Start-up"). So bpfvc links with --as-needed and defines here the
 * ZeroMQ functions that coordinator/ and worker/ call, each forwarding to
 * the real libzmq (BVC_ZMQ_SONAME, the one we were built against),
 * opened on the first call. Other programs (the tests) link libzmq as
 * usual. tests/cli/startup_libs.sh checks that bpfvc does not load
 * libzmq at start-up: a zmq function used by coordinator/ or worker/ and
 * missing here would bring it back.
 *
 * If libzmq cannot be opened, every call fails with ENOSYS (NULL or -1,
 * as libzmq says a failure), so the cluster fails as it does when a
 * socket cannot be made: a clear error, never a crash.
 *
 * Must not: do anything before the first ZeroMQ call.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include <zmq.h>

#include "lazy_lib.h"

/* Every function below, once: its slot in the table, its name. */
#define ZMQ_FUNCS(X)                                                                       \
	X(strerror) X(setsockopt) X(getsockopt) X(msg_close) X(msg_data) X(msg_size)      \
	X(msg_init) X(msg_recv) X(msg_send) X(msg_copy) X(msg_more) X(msg_get) X(send) X(close) \
	X(socket) X(poll) X(bind) X(connect) X(z85_decode) X(socket_monitor) X(ctx_new)   \
	X(ctx_term) X(curve_public) X(curve_keypair)

enum {
#define SLOT(name) F_##name,
	ZMQ_FUNCS(SLOT)
#undef SLOT
	F_COUNT
};

static const char *const names[F_COUNT] = {
#define NAME(name) [F_##name] = "zmq_" #name,
	ZMQ_FUNCS(NAME)
#undef NAME
};

static void *fns[F_COUNT];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* All or nothing (lazy_lib.c). */
static void load(void)
{
	bvc_lazy_lib_load(BVC_ZMQ_SONAME, names, fns, F_COUNT);
}

/* Function @i of libzmq, or NULL (errno ENOSYS) when it cannot be had.
 * The table is written once, inside pthread_once, before any reader
 * (the worker's link thread starts after its first ZeroMQ call). */
static void *fn(int i)
{
	pthread_once(&once, load);
	if (!fns[i])
		errno = ENOSYS;
	return fns[i];
}

/* A forwarder: @ret @name(@params) calls the real one with @args, or
 * returns @fail. */
#define FWD(ret, name, fail, params, args)                                 \
	ret zmq_##name params                                              \
	{                                                                  \
		ret(*f) params = (ret(*) params)fn(F_##name);              \
		return f ? f args : fail;                                  \
	}

/* Our own words when libzmq is missing: errno values are libc's too. */
const char *zmq_strerror(int errnum)
{
	const char *(*f)(int) = (const char *(*)(int))fn(F_strerror);

	return f ? f(errnum) : strerror(errnum);
}

FWD(int, setsockopt, -1, (void *s, int option, const void *optval, size_t optvallen),
    (s, option, optval, optvallen))
FWD(int, getsockopt, -1, (void *s, int option, void *optval, size_t *optvallen),
    (s, option, optval, optvallen))
FWD(int, msg_close, -1, (zmq_msg_t *msg), (msg))
FWD(void *, msg_data, NULL, (zmq_msg_t *msg), (msg))
FWD(size_t, msg_size, 0, (const zmq_msg_t *msg), (msg))
FWD(int, msg_init, -1, (zmq_msg_t *msg), (msg))
FWD(int, msg_recv, -1, (zmq_msg_t *msg, void *s, int flags), (msg, s, flags))
FWD(int, msg_send, -1, (zmq_msg_t *msg, void *s, int flags), (msg, s, flags))
FWD(int, msg_copy, -1, (zmq_msg_t *dest, zmq_msg_t *src), (dest, src))
FWD(int, msg_more, 0, (const zmq_msg_t *msg), (msg))
FWD(int, msg_get, -1, (const zmq_msg_t *msg, int property), (msg, property))
FWD(int, send, -1, (void *s, const void *buf, size_t len, int flags), (s, buf, len, flags))
FWD(int, close, -1, (void *s), (s))
FWD(void *, socket, NULL, (void *ctx, int type), (ctx, type))
FWD(int, poll, -1, (zmq_pollitem_t *items, int nitems, long timeout), (items, nitems, timeout))
FWD(int, bind, -1, (void *s, const char *addr), (s, addr))
FWD(int, connect, -1, (void *s, const char *addr), (s, addr))
FWD(uint8_t *, z85_decode, NULL, (uint8_t *dest, const char *string), (dest, string))
FWD(int, socket_monitor, -1, (void *s, const char *addr, int events), (s, addr, events))
FWD(void *, ctx_new, NULL, (void), ())
FWD(int, ctx_term, -1, (void *ctx), (ctx))
FWD(int, curve_public, -1, (char *z85_public_key, const char *z85_secret_key),
    (z85_public_key, z85_secret_key))
FWD(int, curve_keypair, -1, (char *z85_public_key, char *z85_secret_key),
    (z85_public_key, z85_secret_key))
