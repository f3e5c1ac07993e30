// SPDX-License-Identifier: MIT
/*
 * Device contexts (bpfvc/devabi.h): the bytes r1 points to when a program
 * runs. Packet programs get the kernel's UAPI struct (struct __sk_buff or
 * struct xdp_md) with the scalar fields a device can know filled in, and
 * after it the 64-bit data, data_end and data_meta pointers the lowered
 * code reads. The packet sits in its own buffer with headroom and tailroom,
 * so bpf_xdp_adjust_head/meta/tail move pointers without reallocating.
 * Tracing programs get a zeroed, read-only block large enough for any of
 * their contexts, starting with the caller's bytes.
 *
 * The struct that owns the bytes sits right before them, so a helper can
 * go from the program's r1 back to the packet buffer (rt_ctx_from_dev).
 *
 * Must not: print; give a program a context of another kind.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"

_Static_assert(sizeof(struct __sk_buff) == BVC_DEVCTX_SKB_PTRS, "devabi: __sk_buff");
_Static_assert(sizeof(struct xdp_md) == BVC_DEVCTX_XDP_PTRS, "devabi: xdp_md");
_Static_assert(offsetof(struct __sk_buff, data) == BVC_UAPI_SKB_DATA, "devabi: skb data");
_Static_assert(offsetof(struct xdp_md, data_end) == BVC_UAPI_XDP_DATA_END, "devabi: xdp");

#define ETH_PROTO_OFF 12 /* h_proto in an Ethernet header */

enum rt_ctx_kind rt_ctx_kind_of(uint32_t prog_type)
{
	switch (prog_type) {
	case BPF_PROG_TYPE_SOCKET_FILTER:
	case BPF_PROG_TYPE_SCHED_CLS:
	case BPF_PROG_TYPE_SCHED_ACT:
	case BPF_PROG_TYPE_CGROUP_SKB:
		return RT_CTX_SKB;
	case BPF_PROG_TYPE_XDP:
		return RT_CTX_XDP;
	case BPF_PROG_TYPE_KPROBE:
	case BPF_PROG_TYPE_TRACEPOINT:
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
	case BPF_PROG_TYPE_PERF_EVENT:
		return RT_CTX_TRACE;
	default:
		return RT_CTX_NONE;
	}
}

struct bvc_rt_ctx *rt_ctx_from_dev(const void *dev)
{
	struct bvc_rt_ctx *c;

	if (!dev)
		return NULL;
	c = (struct bvc_rt_ctx *)((const uint8_t *)dev - offsetof(struct bvc_rt_ctx, dev));
	return c->magic == RT_CTX_MAGIC ? c : NULL;
}

uint8_t **rt_ctx_ptrs(struct bvc_rt_ctx *c)
{
	return (uint8_t **)(void *)(c->dev + c->ptrs);
}

/* Lay out the context and the packet as bvc_rt_ctx_new() promises. */
static void build(struct bvc_rt_ctx *c)
{
	uint8_t **ptrs;
	uint8_t *data;

	if (c->kind == RT_CTX_TRACE) {
		memset(c->dev, 0, c->size);
		if (c->len)
			memcpy(c->dev, c->input, c->len);
		return;
	}
	memset(c->buf, 0, c->buf_size);
	data = c->buf + RT_XDP_HEADROOM;
	if (c->len)
		memcpy(data, c->input, c->len);
	memset(c->dev, 0, c->size);
	if (c->kind == RT_CTX_SKB) {
		struct __sk_buff skb;

		memset(&skb, 0, sizeof(skb));
		skb.len = (uint32_t)c->len;
		skb.wire_len = (uint32_t)c->len;
		skb.ifindex = 1;
		skb.ingress_ifindex = 1;
		skb.gso_segs = 1;
		/* skb->protocol is the Ethernet type in network order. */
		if (c->len >= ETH_PROTO_OFF + 2) {
			uint16_t proto;

			memcpy(&proto, data + ETH_PROTO_OFF, sizeof(proto));
			skb.protocol = proto;
		}
		memcpy(c->dev, &skb, sizeof(skb));
	} else {
		struct xdp_md md;

		memset(&md, 0, sizeof(md));
		md.ingress_ifindex = 1;
		memcpy(c->dev, &md, sizeof(md));
	}
	ptrs = rt_ctx_ptrs(c);
	ptrs[0] = data;           /* data */
	ptrs[1] = data + c->len;  /* data_end */
	ptrs[2] = data;           /* data_meta: no metadata yet */
}

int bvc_rt_ctx_new(uint32_t prog_type, const void *input, size_t len, struct bvc_rt_ctx **out,
		   char *err, size_t errsz)
{
	enum rt_ctx_kind kind = rt_ctx_kind_of(prog_type);
	struct bvc_rt_ctx *c;
	size_t size, ptrs = 0;

	*out = NULL;
	if (len && !input) {
		bvc_set_err(err, errsz, "context input of %zu bytes without data", len);
		return -EINVAL;
	}
	switch (kind) {
	case RT_CTX_SKB:
		size = BVC_DEVCTX_SKB_SIZE;
		ptrs = BVC_DEVCTX_SKB_PTRS;
		break;
	case RT_CTX_XDP:
		size = BVC_DEVCTX_XDP_SIZE;
		ptrs = BVC_DEVCTX_XDP_PTRS;
		break;
	case RT_CTX_TRACE:
		size = RT_TRACE_CTX_SIZE;
		if (len > size) {
			bvc_set_err(err, errsz, "context input of %zu bytes is larger than the %zu-byte context",
			       len, size);
			return -E2BIG;
		}
		break;
	default:
		bvc_set_err(err, errsz, "program type %u is not supported by this runtime", prog_type);
		return -EOPNOTSUPP;
	}
	if (kind != RT_CTX_TRACE && len > UINT32_MAX - RT_XDP_HEADROOM - RT_TAILROOM) {
		bvc_set_err(err, errsz, "packet of %zu bytes is too large", len);
		return -E2BIG;
	}
	c = calloc(1, sizeof(*c) + size);
	if (!c)
		return -ENOMEM;
	c->prog_type = prog_type;
	c->kind = kind;
	c->size = size;
	c->ptrs = ptrs;
	c->len = len;
	c->input = malloc(len ? len : 1);
	if (!c->input)
		goto nomem;
	if (len)
		memcpy(c->input, input, len);
	if (kind != RT_CTX_TRACE) {
		c->buf_size = RT_XDP_HEADROOM + len + RT_TAILROOM;
		c->buf = malloc(c->buf_size);
		if (!c->buf)
			goto nomem;
	}
	build(c);
	c->magic = RT_CTX_MAGIC;
	*out = c;
	return 0;
nomem:
	free(c->input);
	free(c);
	return -ENOMEM;
}

void bvc_rt_ctx_reset(struct bvc_rt_ctx *c)
{
	if (c)
		build(c);
}

void bvc_rt_ctx_free(struct bvc_rt_ctx *c)
{
	if (!c)
		return;
	c->magic = 0;
	free(c->buf);
	free(c->input);
	free(c);
}

const uint8_t *bvc_rt_ctx_packet(const struct bvc_rt_ctx *c, size_t *len)
{
	uint8_t *const *ptrs;

	if (c->kind == RT_CTX_TRACE) {
		*len = 0;
		return NULL;
	}
	ptrs = (uint8_t *const *)(const void *)(c->dev + c->ptrs);
	*len = (size_t)(ptrs[1] - ptrs[0]);
	return ptrs[0];
}
