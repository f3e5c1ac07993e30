/* SPDX-License-Identifier: MIT */
/*
 * sock: which bytes a program may read through a socket pointer. The
 * kernel hands sockets out as UAPI views, struct bpf_sock (for
 * sock_common and full sockets) and struct bpf_tcp_sock, and rewrites
 * every load into loads from the kernel's own structs; the rules are those
 * of bpf_sock_common_is_valid_access(), bpf_sock_is_valid_access() and
 * bpf_tcp_sock_is_valid_access() in net/core/filter.c (6.12, read for
 * their semantics; this is our own code).
 *
 * Deliberate difference (stricter): the kernel's tcp_sock check lets a
 * 4-byte load at the upper half of bytes_received or bytes_acked pass,
 * and its rewriting then finds no field there and fails the load ("bpf
 * verifier is misconfigured"); we refuse those loads here.
 *
 * Must not: look at register state (the engine does), or allow a write:
 * every socket view is read-only.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>

#include "progtype_internal.h"

/* struct bpf_sock's layout (6.12 UAPI, 80 bytes). */
#define SK_BOUND_DEV_IF 0
#define SK_FAMILY 4
#define SK_TYPE 8
#define SK_PRIORITY 20
#define SK_SRC_IP4 24
#define SK_SRC_IP6 28
#define SK_SRC_PORT 44
#define SK_DST_PORT 48   /* __be16, then 2 bytes of padding */
#define SK_DST_IP4 52
#define SK_DST_IP6 56
#define SK_STATE 72
#define SK_RX_QUEUE_MAPPING 76
#define SK_SIZE 80

/* struct bpf_tcp_sock: u32 fields, then two u64 counters at 80 and 88,
 * then u32 fields up to icsk_retransmits (ending at 112). */
#define TCP_BYTES_RECEIVED 80
#define TCP_BYTES_ACKED 88
#define TCP_SIZE 112

_Static_assert(offsetof(struct bpf_sock, dst_port) == SK_DST_PORT, "bpf_sock dst_port");
_Static_assert(offsetof(struct bpf_sock, state) == SK_STATE, "bpf_sock state");
_Static_assert(sizeof(struct bpf_sock) == SK_SIZE, "bpf_sock size");
_Static_assert(offsetof(struct bpf_tcp_sock, bytes_acked) == TCP_BYTES_ACKED, "bpf_tcp_sock");

/* A u32 field read narrow: 1, 2 or 4 bytes (the caller checked the
 * alignment). */
static bool narrow_ok(int size, int field_size)
{
	return size <= field_size && (size & (size - 1)) == 0;
}

static bool bpf_sock_ok(int off, int size, uint8_t *field_size)
{
	*field_size = 4;
	switch (off) {
	/* Named by their first byte only: narrow reads start there. */
	case SK_FAMILY:
	case SK_TYPE:
	case SK_TYPE + 4: /* protocol */
	case SK_SRC_PORT:
	case SK_STATE:
	case SK_RX_QUEUE_MAPPING:
		return narrow_ok(size, 4);
	}
	/* The address words: narrow reads anywhere in them. */
	if ((off >= SK_SRC_IP4 && off < SK_SRC_PORT) || (off >= SK_DST_IP4 && off < SK_STATE))
		return narrow_ok(size, 4);
	if (off >= SK_DST_PORT && off < SK_DST_PORT + 2) {
		/* The 2-byte port, or the word holding it and its padding. */
		*field_size = size == 4 ? 4 : 2;
		return narrow_ok(size, *field_size);
	}
	if (off >= SK_DST_PORT + 2 && off < SK_DST_IP4)
		return false; /* the padding alone */
	/* bound_dev_if, mark, priority: whole words. */
	return size == 4;
}

int bvc_sock_check_access(enum bvc_rtype type, int off, int size, bool write, uint8_t *field_size)
{
	if (write || size <= 0)
		return -EACCES;
	switch (type) {
	case BVC_PTR_SOCK_COMMON:
		/* type, protocol, mark, priority are full-socket fields. */
		if (off >= SK_TYPE && off < SK_PRIORITY + 4)
			return -EACCES;
		/* fall through */
	case BVC_PTR_SOCKET:
		if (off < 0 || off >= SK_SIZE || off % size)
			return -EACCES;
		return bpf_sock_ok(off, size, field_size) ? 0 : -EACCES;
	case BVC_PTR_TCP_SOCK:
		if (off < 0 || off >= TCP_SIZE || off % size)
			return -EACCES;
		if (off == TCP_BYTES_RECEIVED || off == TCP_BYTES_ACKED) {
			*field_size = 8;
			return size == 8 ? 0 : -EACCES;
		}
		if (off == TCP_BYTES_RECEIVED + 4 || off == TCP_BYTES_ACKED + 4)
			return -EACCES; /* see the top: no field to rewrite to */
		*field_size = 4;
		return size == 4 ? 0 : -EACCES;
	default:
		return -EACCES;
	}
}
