/* SPDX-License-Identifier: MIT */
/*
 * ctx: what a program may do with its context, per program type. Which
 * bytes of struct __sk_buff (flow_dissector's too), xdp_md, pt_regs, a
 * tracepoint record, a perf event, bpf_sock_addr, bpf_sockopt,
 * bpf_sk_lookup or sk_msg_md it
 * may read or write and with which widths, which loads give
 * packet pointers, whether LD_ABS/LD_IND is allowed and which values r0 may
 * hold at exit.
 *
 * The rules are those of the Linux verifier in privileged mode (CAP_BPF,
 * CAP_PERFMON), on x86_64: the *_is_valid_access() functions of
 * net/core/filter.c, kernel/bpf/cgroup.c and kernel/trace/bpf_trace.c,
 * bpf_prog_load_check_attach() of kernel/bpf/syscall.c, may_access_skb()
 * and check_return_code() of kernel/bpf/verifier.c, read for their semantics
 * (6.12 source) and checked against the running kernel (6.18) by
 * tests/progtype, offset by offset. This is our own table-driven code, not
 * a translation of the kernel's switch statements.
 *
 * Deliberate difference (stricter): the kernel lets a tracepoint read at a
 * negative offset (tp_prog_is_valid_access() compares the int offset with
 * sizeof(void *), so a negative one passes as a huge unsigned value); we do
 * not.
 *
 * Must not: look at register state (the engine does), allocate, or
 * accept an access the kernel would refuse. Socket pointer fields yield
 * the socket types sock.c reads through (NULL-able where the kernel's
 * are).
 */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>
#include <stddef.h>

#include "progtype_internal.h"

/* Bits of a program-type mask: one bit per kernel prog type number. All
 * the types we model are below 32. */
#define T(type) (1u << (type))
#define T_SOCKF T(BPF_PROG_TYPE_SOCKET_FILTER)
#define T_CLS T(BPF_PROG_TYPE_SCHED_CLS)
#define T_ACT T(BPF_PROG_TYPE_SCHED_ACT)
#define T_CGSKB T(BPF_PROG_TYPE_CGROUP_SKB)
#define T_TC (T_CLS | T_ACT)
#define T_SKB (T_SOCKF | T_TC | T_CGSKB)
#define T_SKSKB T(BPF_PROG_TYPE_SK_SKB)
#define T_LWT (T(BPF_PROG_TYPE_LWT_IN) | T(BPF_PROG_TYPE_LWT_OUT) | T(BPF_PROG_TYPE_LWT_XMIT))

_Static_assert(BPF_PROG_TYPE_FLOW_DISSECTOR < 32, "prog type masks are 32 bits");

/* The access is fine at any width 1, 2, 4 (the kernel's default narrow
 * rule for u32 fields: bpf_ctx_narrow_access_ok() with size_default 4);
 * writes need the whole word. */
#define K_WORD 0
/* cb[]: any width that stays inside cb[0..4], reads and writes. */
#define K_CB 1
/* data, data_end, data_meta: only whole 4-byte loads, never sign-extended. */
#define K_PKT 2
/* Whole-word only, reads and writes (the IPv4/IPv6 address words). */
#define K_WORD_ONLY 3
/* 8-byte field, 8-byte accesses only (tstamp; hwtstamp read-only). */
#define K_U64 4
/* Never accessible (flow_keys, padding). */
#define K_NEVER 5
/* skb->sk: 8-byte read, a socket or NULL (PTR_TO_SOCK_COMMON_OR_NULL). */
#define K_SOCK 6
/* tstamp_type: a single byte. */
#define K_BYTE 7

/*
 * One __sk_buff field: where it is, what kind of access rule it has, which
 * program types may read it and which may write it. Each mask already
 * folds in the type-specific exclusions of sk_filter_, cg_skb_ and
 * tc_cls_act_is_valid_access() (e.g. socket filters see no data pointers,
 * cgroup_skb no data_meta, tc no socket tuple).
 */
struct skb_field {
	const char *name;   /* as in struct __sk_buff */
	uint8_t off;        /* byte offset */
	uint8_t size;       /* bytes */
	uint8_t kind;       /* K_* */
	uint32_t readers;   /* prog types that may read it */
	uint32_t writers;   /* prog types that may write it */
};

/* Readable by every skb type; written by none. */
#define RD_ALL T_SKB | T_SKSKB | T_LWT, 0
/* The 5-tuple words (family..local_port) only cgroup_skb and sk_skb may
 * read (they run where a socket exists): socket filters and tc refuse them. */
#define RD_CG T_CGSKB | T_SKSKB, 0

static const struct skb_field skb_fields[BVC_SKB_NR_FIELDS] = {
	[BVC_SKB_LEN] = { "len", 0, 4, K_WORD, RD_ALL },
	[BVC_SKB_PKT_TYPE] = { "pkt_type", 4, 4, K_WORD, RD_ALL },
	[BVC_SKB_MARK] = { "mark", 8, 4, K_WORD, T_SKB | T_LWT, T_TC | T_CGSKB | T_LWT },
	[BVC_SKB_QUEUE_MAPPING] = { "queue_mapping", 12, 4, K_WORD, T_SKB | T_SKSKB | T_LWT, T_TC },
	[BVC_SKB_PROTOCOL] = { "protocol", 16, 4, K_WORD, RD_ALL },
	[BVC_SKB_VLAN_PRESENT] = { "vlan_present", 20, 4, K_WORD, RD_ALL },
	[BVC_SKB_VLAN_TCI] = { "vlan_tci", 24, 4, K_WORD, RD_ALL },
	[BVC_SKB_VLAN_PROTO] = { "vlan_proto", 28, 4, K_WORD, RD_ALL },
	/* sk_skb may write priority and tc_index, nothing else; lwt mark,
	 * priority and cb[]. */
	[BVC_SKB_PRIORITY] = { "priority", 32, 4, K_WORD, T_SKB | T_SKSKB | T_LWT,
			       T_TC | T_CGSKB | T_SKSKB | T_LWT },
	[BVC_SKB_INGRESS_IFINDEX] = { "ingress_ifindex", 36, 4, K_WORD, RD_ALL },
	[BVC_SKB_IFINDEX] = { "ifindex", 40, 4, K_WORD, RD_ALL },
	[BVC_SKB_TC_INDEX] = { "tc_index", 44, 4, K_WORD, T_SKB | T_SKSKB | T_LWT,
			       T_TC | T_SKSKB },
	/* cb[] is the one area every skb type but sk_skb may write. */
	[BVC_SKB_CB0] = { "cb[0]", 48, 4, K_CB, T_SKB | T_SKSKB | T_LWT, T_SKB | T_LWT },
	[BVC_SKB_CB1] = { "cb[1]", 52, 4, K_CB, T_SKB | T_SKSKB | T_LWT, T_SKB | T_LWT },
	[BVC_SKB_CB2] = { "cb[2]", 56, 4, K_CB, T_SKB | T_SKSKB | T_LWT, T_SKB | T_LWT },
	[BVC_SKB_CB3] = { "cb[3]", 60, 4, K_CB, T_SKB | T_SKSKB | T_LWT, T_SKB | T_LWT },
	[BVC_SKB_CB4] = { "cb[4]", 64, 4, K_CB, T_SKB | T_SKSKB | T_LWT, T_SKB | T_LWT },
	[BVC_SKB_HASH] = { "hash", 68, 4, K_WORD, RD_ALL },
	/* tc_classid belongs to tc alone (the qdisc cb it lives in). */
	[BVC_SKB_TC_CLASSID] = { "tc_classid", 72, 4, K_WORD, T_TC, T_TC },
	[BVC_SKB_DATA] = { "data", 76, 4, K_PKT, T_TC | T_CGSKB | T_SKSKB | T_LWT, 0 },
	[BVC_SKB_DATA_END] = { "data_end", 80, 4, K_PKT, T_TC | T_CGSKB | T_SKSKB | T_LWT, 0 },
	[BVC_SKB_NAPI_ID] = { "napi_id", 84, 4, K_WORD, RD_ALL },
	[BVC_SKB_FAMILY] = { "family", 88, 4, K_WORD, RD_CG },
	[BVC_SKB_REMOTE_IP4] = { "remote_ip4", 92, 4, K_WORD_ONLY, RD_CG },
	[BVC_SKB_LOCAL_IP4] = { "local_ip4", 96, 4, K_WORD_ONLY, RD_CG },
	[BVC_SKB_REMOTE_IP6_0] = { "remote_ip6[0]", 100, 4, K_WORD_ONLY, RD_CG },
	[BVC_SKB_REMOTE_IP6_1] = { "remote_ip6[1]", 104, 4, K_WORD_ONLY, RD_CG },
	[BVC_SKB_REMOTE_IP6_2] = { "remote_ip6[2]", 108, 4, K_WORD_ONLY, RD_CG },
	[BVC_SKB_REMOTE_IP6_3] = { "remote_ip6[3]", 112, 4, K_WORD_ONLY, RD_CG },
	[BVC_SKB_LOCAL_IP6_0] = { "local_ip6[0]", 116, 4, K_WORD_ONLY, RD_CG },
	[BVC_SKB_LOCAL_IP6_1] = { "local_ip6[1]", 120, 4, K_WORD_ONLY, RD_CG },
	[BVC_SKB_LOCAL_IP6_2] = { "local_ip6[2]", 124, 4, K_WORD_ONLY, RD_CG },
	[BVC_SKB_LOCAL_IP6_3] = { "local_ip6[3]", 128, 4, K_WORD_ONLY, RD_CG },
	[BVC_SKB_REMOTE_PORT] = { "remote_port", 132, 4, K_WORD, RD_CG },
	[BVC_SKB_LOCAL_PORT] = { "local_port", 136, 4, K_WORD, RD_CG },
	[BVC_SKB_DATA_META] = { "data_meta", 140, 4, K_PKT, T_TC, 0 },
	[BVC_SKB_FLOW_KEYS] = { "flow_keys", 144, 8, K_NEVER, 0, 0 },
	/* Writing tstamp needs CAP_BPF in cgroup_skb: we are privileged. */
	[BVC_SKB_TSTAMP] = { "tstamp", 152, 8, K_U64, T_TC | T_CGSKB, T_TC | T_CGSKB },
	[BVC_SKB_WIRE_LEN] = { "wire_len", 160, 4, K_WORD, T_TC, 0 },
	[BVC_SKB_GSO_SEGS] = { "gso_segs", 164, 4, K_WORD, RD_ALL },
	[BVC_SKB_SK] = { "sk", 168, 8, K_SOCK, RD_ALL },
	[BVC_SKB_GSO_SIZE] = { "gso_size", 176, 4, K_WORD, RD_ALL },
	/* Only tc reads it (it changes how tc rewrites tstamp accesses). */
	[BVC_SKB_TSTAMP_TYPE] = { "tstamp_type", 180, 1, K_BYTE, T_TC, 0 },
	[BVC_SKB_HWTSTAMP] = { "hwtstamp", 184, 8, K_U64, T_TC | T_CGSKB, 0 },
};

#undef RD_ALL
#undef RD_CG

/* Our offsets are our own data; the UAPI header must agree with them. */
_Static_assert(offsetof(struct __sk_buff, cb) == 48, "cb");
_Static_assert(offsetof(struct __sk_buff, data) == 76, "data");
_Static_assert(offsetof(struct __sk_buff, family) == 88, "family");
_Static_assert(offsetof(struct __sk_buff, local_port) == 136, "local_port");
_Static_assert(offsetof(struct __sk_buff, data_meta) == 140, "data_meta");
_Static_assert(offsetof(struct __sk_buff, flow_keys) == 144, "flow_keys");
_Static_assert(offsetof(struct __sk_buff, tstamp) == 152, "tstamp");
_Static_assert(offsetof(struct __sk_buff, sk) == 168, "sk");
_Static_assert(offsetof(struct __sk_buff, tstamp_type) == 180, "tstamp_type");
_Static_assert(offsetof(struct __sk_buff, hwtstamp) == 184, "hwtstamp");
_Static_assert(sizeof(struct __sk_buff) == 192, "__sk_buff");
_Static_assert(sizeof(struct xdp_md) == 24, "xdp_md");
_Static_assert(sizeof(struct bpf_perf_event_data) == BVC_PT_REGS_SIZE + 16, "perf event");
_Static_assert(BPF_XDP_DEVMAP == BVC_ATTACH_XDP_DEVMAP, "attach type numbering");
_Static_assert(BPF_CGROUP_INET_EGRESS == BVC_ATTACH_CGROUP_INET_EGRESS, "attach type numbering");

#define SKB_SIZE 192
#define XDP_SIZE 24
#define PE_SIZE (BVC_PT_REGS_SIZE + 16)
/* PERF_MAX_TRACE_SIZE: the largest tracepoint record the kernel hands in. */
#define TP_SIZE 8192
/* A raw tracepoint's context: MAX_BPF_FUNC_ARGS u64 arguments. */
#define RAW_TP_SIZE (12 * 8)
/* struct bpf_sock_addr, bpf_sockopt, bpf_sk_lookup, sk_msg_md. */
#define SOCK_ADDR_SIZE 72
#define SOCKOPT_SIZE 40
#define SK_LOOKUP_SIZE 68
#define SK_MSG_SIZE 80
#define BPF_SOCK_SIZE 80
#define CGROUP_DEV_SIZE 12
#define SYSCTL_SIZE 8
#define REUSEPORT_SIZE 56
/* sizeof(struct bpf_sock_ops) in 6.12 (skb_hwtstamp, newer than the
 * UAPI header we may build against, ends it). */
#define SOCK_OPS_SIZE 224

_Static_assert(offsetof(struct bpf_sock_ops, sk_txhash) == 164, "bpf_sock_ops sk_txhash");
_Static_assert(offsetof(struct bpf_sock_ops, sk) == 184, "bpf_sock_ops sk");
_Static_assert(offsetof(struct bpf_sock_ops, skb_tcp_flags) == 212, "bpf_sock_ops skb_tcp_flags");

_Static_assert(sizeof(struct sk_reuseport_md) == REUSEPORT_SIZE, "sk_reuseport_md");
_Static_assert(offsetof(struct sk_reuseport_md, hash) == 32, "sk_reuseport_md hash");
_Static_assert(offsetof(struct sk_reuseport_md, migrating_sk) == 48, "sk_reuseport_md migrating_sk");

_Static_assert(sizeof(struct bpf_sysctl) == SYSCTL_SIZE, "bpf_sysctl");
_Static_assert(sizeof(struct bpf_flow_keys) == BVC_FLOW_KEYS_SIZE, "bpf_flow_keys");

_Static_assert(sizeof(struct bpf_sock) == BPF_SOCK_SIZE, "bpf_sock");
_Static_assert(offsetof(struct bpf_sock, dst_port) == 48, "bpf_sock dst_port");
_Static_assert(offsetof(struct bpf_sock, rx_queue_mapping) == 76, "bpf_sock rx_queue_mapping");
_Static_assert(sizeof(struct bpf_cgroup_dev_ctx) == CGROUP_DEV_SIZE, "bpf_cgroup_dev_ctx");
_Static_assert(BPF_CGROUP_INET_SOCK_RELEASE == BVC_ATTACH_INET_SOCK_RELEASE,
	       "attach type numbering");
_Static_assert(BPF_CGROUP_INET6_POST_BIND == BVC_ATTACH_INET6_POST_BIND, "attach type numbering");

_Static_assert(sizeof(struct bpf_sock_addr) == SOCK_ADDR_SIZE, "bpf_sock_addr");
_Static_assert(offsetof(struct bpf_sock_addr, msg_src_ip6) == 44, "msg_src_ip6");
_Static_assert(offsetof(struct bpf_sock_addr, sk) == 64, "bpf_sock_addr sk");
_Static_assert(sizeof(struct bpf_sockopt) == SOCKOPT_SIZE, "bpf_sockopt");
_Static_assert(offsetof(struct bpf_sockopt, retval) == 36, "bpf_sockopt retval");
/* 68 bytes of fields; sizeof rounds up to 72 for the u64 union. */
_Static_assert(offsetof(struct bpf_sk_lookup, ingress_ifindex) + 4 == SK_LOOKUP_SIZE, "bpf_sk_lookup");
_Static_assert(offsetof(struct bpf_sk_lookup, remote_port) == 36, "sk_lookup remote_port");
_Static_assert(offsetof(struct bpf_sk_lookup, local_ip4) == 40, "sk_lookup local_ip4");
_Static_assert(sizeof(struct sk_msg_md) == SK_MSG_SIZE, "sk_msg_md");
_Static_assert(offsetof(struct sk_msg_md, sk) == 72, "sk_msg_md sk");
_Static_assert(BPF_CGROUP_UDP6_RECVMSG == BVC_ATTACH_UDP6_RECVMSG, "attach type numbering");
_Static_assert(BPF_CGROUP_INET6_GETSOCKNAME == BVC_ATTACH_INET6_GETSOCKNAME,
	       "attach type numbering");
_Static_assert(BPF_SK_LOOKUP == BVC_ATTACH_SK_LOOKUP, "attach type numbering");
_Static_assert(BPF_CGROUP_SETSOCKOPT == BVC_ATTACH_CGROUP_SETSOCKOPT, "attach type numbering");

static const char *const pt_regs_names[BVC_PT_REGS_SIZE / 8] = {
	"r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax",
	"cx", "dx", "si", "di", "orig_ax", "ip", "cs", "flags", "sp", "ss",
};

static const char *const xdp_names[BVC_XDP_NR_FIELDS] = {
	"data", "data_end", "data_meta", "ingress_ifindex", "rx_queue_index", "egress_ifindex",
};

bool bvc_prog_type_supported(uint32_t prog_type)
{
	switch (prog_type) {
	case BPF_PROG_TYPE_SOCKET_FILTER:
	case BPF_PROG_TYPE_KPROBE:
	case BPF_PROG_TYPE_SCHED_CLS:
	case BPF_PROG_TYPE_SCHED_ACT:
	case BPF_PROG_TYPE_TRACEPOINT:
	case BPF_PROG_TYPE_XDP:
	case BPF_PROG_TYPE_PERF_EVENT:
	case BPF_PROG_TYPE_CGROUP_SKB:
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
	case BPF_PROG_TYPE_SK_SKB:
	case BPF_PROG_TYPE_SK_MSG:
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
	case BPF_PROG_TYPE_CGROUP_SOCKOPT:
	case BPF_PROG_TYPE_SK_LOOKUP:
	case BPF_PROG_TYPE_CGROUP_SOCK:
	case BPF_PROG_TYPE_CGROUP_DEVICE:
	case BPF_PROG_TYPE_CGROUP_SYSCTL:
	case BPF_PROG_TYPE_LWT_IN:
	case BPF_PROG_TYPE_LWT_OUT:
	case BPF_PROG_TYPE_LWT_XMIT:
	case BPF_PROG_TYPE_SK_REUSEPORT:
	case BPF_PROG_TYPE_SOCK_OPS:
	case BPF_PROG_TYPE_FLOW_DISSECTOR:
		return true;
	default:
		return false;
	}
}

/* The cgroup_sock_addr hooks, by the address family their context holds. */
static bool is_sock_addr_inet4(uint32_t eat)
{
	return eat == BVC_ATTACH_INET4_BIND || eat == BVC_ATTACH_INET4_CONNECT ||
	       eat == BVC_ATTACH_INET4_GETPEERNAME || eat == BVC_ATTACH_INET4_GETSOCKNAME ||
	       eat == BVC_ATTACH_UDP4_SENDMSG || eat == BVC_ATTACH_UDP4_RECVMSG;
}

static bool is_sock_addr_inet6(uint32_t eat)
{
	return eat == BVC_ATTACH_INET6_BIND || eat == BVC_ATTACH_INET6_CONNECT ||
	       eat == BVC_ATTACH_INET6_GETPEERNAME || eat == BVC_ATTACH_INET6_GETSOCKNAME ||
	       eat == BVC_ATTACH_UDP6_SENDMSG || eat == BVC_ATTACH_UDP6_RECVMSG;
}

static bool is_sock_addr_unix(uint32_t eat)
{
	return eat >= BVC_ATTACH_UNIX_CONNECT && eat <= BVC_ATTACH_UNIX_GETSOCKNAME;
}

uint32_t bvc_prog_attach_fixup(uint32_t prog_type, uint32_t eat)
{
	/* Older loaders did not set one for cgroup_sock: the kernel takes
	 * the creation hook (bpf_prog_load_fixup_attach_type()). */
	if (prog_type == BPF_PROG_TYPE_CGROUP_SOCK && eat == 0)
		return BVC_ATTACH_INET_SOCK_CREATE;
	/* Likewise sk_reuseport: plain selection. */
	if (prog_type == BPF_PROG_TYPE_SK_REUSEPORT && eat == 0)
		return BVC_ATTACH_SK_REUSEPORT_SELECT;
	return eat;
}

bool bvc_prog_attach_valid(uint32_t prog_type, uint32_t eat)
{
	switch (prog_type) {
	case BPF_PROG_TYPE_CGROUP_SKB:
		return eat == BVC_ATTACH_CGROUP_INET_INGRESS || eat == BVC_ATTACH_CGROUP_INET_EGRESS;
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
		return is_sock_addr_inet4(eat) || is_sock_addr_inet6(eat) || is_sock_addr_unix(eat);
	case BPF_PROG_TYPE_CGROUP_SOCKOPT:
		return eat == BVC_ATTACH_CGROUP_GETSOCKOPT || eat == BVC_ATTACH_CGROUP_SETSOCKOPT;
	case BPF_PROG_TYPE_SK_LOOKUP:
		return eat == BVC_ATTACH_SK_LOOKUP;
	case BPF_PROG_TYPE_SK_REUSEPORT:
		return eat == 0 || eat == BVC_ATTACH_SK_REUSEPORT_SELECT ||
		       eat == BVC_ATTACH_SK_REUSEPORT_SELECT_OR_MIGRATE;
	case BPF_PROG_TYPE_CGROUP_SOCK:
		/* 0 (unset) loads as socket creation (bvc_prog_attach_fixup()). */
		return eat == 0 || eat == BVC_ATTACH_INET_SOCK_CREATE ||
		       eat == BVC_ATTACH_INET_SOCK_RELEASE ||
		       eat == BVC_ATTACH_INET4_POST_BIND || eat == BVC_ATTACH_INET6_POST_BIND;
	default:
		return true;
	}
}

/* Is @size one of the four load/store widths? */
static bool is_width(int size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/* Fill @out for an allowed access. */
static int allow(struct bvc_ctx_access *out, enum bvc_rtype type, unsigned int field,
		 unsigned int field_size)
{
	out->type = type;
	out->maybe_null = false;
	out->field = (uint16_t)field;
	out->field_size = (uint8_t)field_size;
	return 0;
}

/* A socket pointer field (8 bytes, read only): @type, NULL or not. */
static int allow_sock(struct bvc_ctx_access *out, enum bvc_rtype type, bool maybe_null,
		      unsigned int field)
{
	allow(out, type, field, 8);
	out->maybe_null = maybe_null;
	return 0;
}

/* The __sk_buff field holding byte @off, or -1 (padding past tstamp_type). */
static int skb_field_at(int off)
{
	int i;

	for (i = 0; i < BVC_SKB_NR_FIELDS; i++)
		if (off >= skb_fields[i].off && off < skb_fields[i].off + skb_fields[i].size)
			return i;
	return -1;
}

/* __sk_buff for socket filters, tc and cgroup_skb (bpf_skb_is_valid_access()
 * with the per-type restrictions folded into skb_fields[]). */
static int check_skb(uint32_t prog_type, int off, int size, bool write,
		     struct bvc_ctx_access *out)
{
	const struct skb_field *f;
	int i;

	if (off < 0 || off >= SKB_SIZE || off % size)
		return -EACCES;
	i = skb_field_at(off);
	if (i < 0)
		return -EACCES;
	f = &skb_fields[i];
	if (!(T(prog_type) & (write ? f->writers : f->readers)))
		return -EACCES;

	switch (f->kind) {
	case K_CB:
		/* cb[] is copied as is: any width that stays inside it. */
		if (off + size > skb_fields[BVC_SKB_CB4].off + 4)
			return -EACCES;
		return allow(out, BVC_SCALAR, i, size);
	case K_PKT:
		if (size != 4)
			return -EACCES;
		if (i == BVC_SKB_DATA)
			return allow(out, BVC_PTR_PACKET, i, 4);
		if (i == BVC_SKB_DATA_END)
			return allow(out, BVC_PTR_PACKET_END, i, 4);
		return allow(out, BVC_PTR_PACKET_META, i, 4);
	case K_WORD_ONLY:
		if (size != 4)
			return -EACCES;
		return allow(out, BVC_SCALAR, i, 4);
	case K_U64:
		if (size != 8)
			return -EACCES;
		return allow(out, BVC_SCALAR, i, 8);
	case K_SOCK:
		if (size != 8)
			return -EACCES;
		/* The skb's socket, if any: PTR_TO_SOCK_COMMON_OR_NULL. */
		return allow_sock(out, BVC_PTR_SOCK_COMMON, true, (unsigned int)i);
	case K_BYTE:
		if (size != 1)
			return -EACCES;
		return allow(out, BVC_SCALAR, i, 1);
	case K_WORD:
		/* Reads may be narrow (1, 2, 4 at their natural alignment);
		 * writes store the whole word. */
		if (write ? size != 4 : size > 4)
			return -EACCES;
		return allow(out, BVC_SCALAR, i, 4);
	default: /* K_NEVER */
		return -EACCES;
	}
}

/* struct xdp_md: whole aligned words, read-only (writes are only for
 * offloaded programs, which we do not verify); egress_ifindex exists only
 * for programs run from a devmap. */
static int check_xdp(uint32_t eat, int off, int size, bool write, struct bvc_ctx_access *out)
{
	int field = off / 4;

	if (write || off < 0 || off >= XDP_SIZE || size != 4 || off % 4)
		return -EACCES;
	if (field == BVC_XDP_EGRESS_IFINDEX && eat != BVC_ATTACH_XDP_DEVMAP)
		return -EACCES;
	switch (field) {
	case BVC_XDP_DATA:
		return allow(out, BVC_PTR_PACKET, field, 4);
	case BVC_XDP_DATA_END:
		return allow(out, BVC_PTR_PACKET_END, field, 4);
	case BVC_XDP_DATA_META:
		return allow(out, BVC_PTR_PACKET_META, field, 4);
	default:
		return allow(out, BVC_SCALAR, field, 4);
	}
}

/*
 * The tracing contexts are plain memory the program reads in place:
 * pt_regs (kprobe), the raw record (tracepoint, whose first 8 bytes are the
 * common header the kernel hides), the argument array (raw_tracepoint).
 * Any naturally aligned read inside [@lo, @end).
 */
static int check_plain(int lo, int end, int off, int size, bool write,
		       struct bvc_ctx_access *out)
{
	if (write || off < lo || off >= end || off % size || off + size > end)
		return -EACCES;
	return allow(out, BVC_SCALAR, off / 8, 8);
}

/* struct bpf_perf_event_data: registers are read whole (the kernel loads
 * them through a pointer, one long at a time); sample_period and addr may
 * be read narrow. */
static int check_perf_event(int off, int size, bool write, struct bvc_ctx_access *out)
{
	if (write || off < 0 || off >= PE_SIZE || off % size)
		return -EACCES;
	if (off < BVC_PT_REGS_SIZE && size != 8)
		return -EACCES;
	return allow(out, BVC_SCALAR, off / 8, 8);
}

/*
 * struct bpf_sock_addr: the address words exist only for the hooks of
 * their family (user_ip4 for IPv4 hooks, msg_src_* for sendmsg alone);
 * addresses and the port are read narrow and written whole, the IPv6
 * arrays also 8 bytes at a time; user_family, family, type and protocol
 * are whole-word reads; sk is a socket pointer.
 */
static int check_sock_addr(uint32_t eat, int off, int size, bool write,
			   struct bvc_ctx_access *out)
{
	int word = off / 4;

	if (off < 0 || off >= SOCK_ADDR_SIZE || off % size)
		return -EACCES;
	if ((word == 1 && !is_sock_addr_inet4(eat)) ||
	    (word >= 2 && word <= 5 && !is_sock_addr_inet6(eat)) ||
	    (word == 10 && eat != BVC_ATTACH_UDP4_SENDMSG) ||
	    (word >= 11 && word <= 14 && eat != BVC_ATTACH_UDP6_SENDMSG))
		return -EACCES;
	switch (word) {
	case 1: case 2: case 3: case 4: case 5: case 6:
	case 10: case 11: case 12: case 13: case 14:
		/* 8 bytes inside user_ip6[] or msg_src_ip6[] (off % 8 == 0
		 * already), either way. */
		if (size == 8) {
			if ((off >= 8 && off + 8 <= 24) || (off >= 44 && off + 8 <= 60))
				return allow(out, BVC_SCALAR, word, 8);
			return -EACCES;
		}
		if (write && size != 4)
			return -EACCES;
		return allow(out, BVC_SCALAR, word, 4);
	case 0: case 7: case 8: case 9:
		if (write || size != 4)
			return -EACCES;
		return allow(out, BVC_SCALAR, word, 4);
	case 16: case 17:
		if (write || size != 8 || off != 64)
			return -EACCES;
		return allow_sock(out, BVC_PTR_SOCKET, false, 16);
	default: /* padding before sk */
		return -EACCES;
	}
}

/*
 * struct bpf_sockopt: sk, optval and optval_end are 8-byte pointers (the
 * option's bytes are a packet to the verifier); level and optname may be
 * rewritten by setsockopt hooks, retval exists only for getsockopt hooks
 * (read and written there), optlen is written by both. Every scalar is a
 * whole-word access.
 */
static int check_sockopt(uint32_t eat, int off, int size, bool write,
			 struct bvc_ctx_access *out)
{
	if (off < 0 || off >= SOCKOPT_SIZE || off % size)
		return -EACCES;
	if (write) {
		if (size != 4)
			return -EACCES;
		switch (off) {
		case 36: /* retval */
			if (eat != BVC_ATTACH_CGROUP_GETSOCKOPT)
				return -EACCES;
			break;
		case 24: /* level */
		case 28: /* optname */
			if (eat != BVC_ATTACH_CGROUP_SETSOCKOPT)
				return -EACCES;
			break;
		case 32: /* optlen */
			break;
		default:
			return -EACCES;
		}
		return allow(out, BVC_SCALAR, off / 4, 4);
	}
	if (off < 24) {
		if (size != 8)
			return -EACCES;
		if (off == 0)
			return allow_sock(out, BVC_PTR_SOCKET, false, 0);
		return allow(out, off == 8 ? BVC_PTR_PACKET : BVC_PTR_PACKET_END, off / 8, 8);
	}
	if (size != 4 || (off == 36 && eat != BVC_ATTACH_CGROUP_GETSOCKOPT))
		return -EACCES;
	return allow(out, BVC_SCALAR, off / 4, 4);
}

/*
 * struct bpf_sk_lookup, read only: sk (a socket pointer or NULL), then
 * u32 words read narrow; remote_port is a 2-byte field that may also be
 * read as a whole word, and the 2 bytes after it read as zero padding.
 */
static int check_sk_lookup(int off, int size, bool write, struct bvc_ctx_access *out)
{
	if (write || off < 0 || off >= SK_LOOKUP_SIZE || off % size)
		return -EACCES;
	if (off < 8) {
		if (size != 8)
			return -EACCES;
		return allow_sock(out, BVC_PTR_SOCKET, true, 0);
	}
	if (off == 36 && size == 4)
		return allow(out, BVC_SCALAR, 9, 4);
	if (off >= 36 && off < 40) {
		if (size > 2)
			return -EACCES;
		return allow(out, BVC_SCALAR, 9, 2);
	}
	if (size > 4)
		return -EACCES;
	return allow(out, BVC_SCALAR, off / 4, 4);
}

/* struct sk_msg_md, read only: data and data_end are the message's bytes
 * (8-byte pointers), sk a socket pointer, the rest whole u32 words. */
static int check_sk_msg(int off, int size, bool write, struct bvc_ctx_access *out)
{
	if (write || off < 0 || off >= SK_MSG_SIZE || off % size)
		return -EACCES;
	if (off < 16 || off >= 72) {
		if (size != 8)
			return -EACCES;
		if (off >= 72)
			return allow_sock(out, BVC_PTR_SOCKET, false, 18);
		return allow(out, off == 0 ? BVC_PTR_PACKET : BVC_PTR_PACKET_END, off / 8, 8);
	}
	if (size != 4)
		return -EACCES;
	return allow(out, BVC_SCALAR, off / 4, 4);
}

/*
 * struct bpf_sock as a cgroup_sock context. bound_dev_if, mark and
 * priority exist for socket creation and release hooks only, whole words
 * read and written; the source address and port only for the post-bind
 * hook of their family, read only; the rest is read only. The scalar
 * fields the kernel names one by one (family, type, protocol, src_port,
 * state, rx_queue_mapping) are read narrow from their first byte only;
 * the address arrays narrow anywhere; dst_port is a 2-byte field also
 * read as a word, followed by 2 bytes no access may touch.
 */
static int check_cgroup_sock(uint32_t eat, int off, int size, bool write,
			     struct bvc_ctx_access *out)
{
	int word = off / 4;
	bool create = eat == BVC_ATTACH_INET_SOCK_CREATE || eat == BVC_ATTACH_INET_SOCK_RELEASE;

	if (off < 0 || off >= BPF_SOCK_SIZE || off % size || size > 4)
		return -EACCES;
	switch (word) {
	case 0: case 4: case 5: /* bound_dev_if, mark, priority */
		if (!create || size != 4)
			return -EACCES;
		return allow(out, BVC_SCALAR, word, 4);
	case 6: /* src_ip4 */
		if (write || eat != BVC_ATTACH_INET4_POST_BIND)
			return -EACCES;
		return allow(out, BVC_SCALAR, word, 4);
	case 7: case 8: case 9: case 10: /* src_ip6 */
		if (write || eat != BVC_ATTACH_INET6_POST_BIND)
			return -EACCES;
		return allow(out, BVC_SCALAR, word, 4);
	case 11: /* src_port */
		if (write || off % 4 ||
		    (eat != BVC_ATTACH_INET4_POST_BIND && eat != BVC_ATTACH_INET6_POST_BIND))
			return -EACCES;
		return allow(out, BVC_SCALAR, word, 4);
	case 12: /* dst_port (2 bytes) and its padding */
		if (write || off >= 50)
			return -EACCES;
		return allow(out, BVC_SCALAR, word, size == 4 ? 4 : 2);
	case 13: case 14: case 15: case 16: case 17: /* dst_ip4, dst_ip6 */
		if (write)
			return -EACCES;
		return allow(out, BVC_SCALAR, word, 4);
	default: /* family, type, protocol, state, rx_queue_mapping */
		if (write || off % 4)
			return -EACCES;
		return allow(out, BVC_SCALAR, word, 4);
	}
}

/* struct bpf_cgroup_dev_ctx, read only: access_type narrow, major and
 * minor whole words. */
static int check_cgroup_dev(int off, int size, bool write, struct bvc_ctx_access *out)
{
	if (write || off < 0 || off + size > CGROUP_DEV_SIZE || off % size)
		return -EACCES;
	if (size > 4 || (off >= 4 && size != 4))
		return -EACCES;
	return allow(out, BVC_SCALAR, off / 4, 4);
}

/* struct bpf_sysctl: write is read narrow, file_pos read narrow and
 * written whole (a handler may move the position). */
static int check_sysctl(int off, int size, bool write, struct bvc_ctx_access *out)
{
	if (off < 0 || off + size > SYSCTL_SIZE || off % size || size > 4)
		return -EACCES;
	if (write && (off < 4 || size != 4))
		return -EACCES;
	return allow(out, BVC_SCALAR, off / 4, 4);
}

/*
 * struct sk_reuseport_md, read only: data and data_end are the packet
 * (8-byte pointers), sk and migrating_sk sockets; len, ip_protocol and
 * bind_inany read narrow, eth_protocol too but not a single byte (the
 * skb's protocol is 2 bytes), hash as a whole word.
 */
static int check_sk_reuseport(int off, int size, bool write, struct bvc_ctx_access *out)
{
	if (write || off < 0 || off >= REUSEPORT_SIZE || off % size)
		return -EACCES;
	switch (off) {
	case 0:
	case 8:
		if (size != 8)
			return -EACCES;
		return allow(out, off ? BVC_PTR_PACKET_END : BVC_PTR_PACKET, off / 8, 8);
	case 32:
		if (size != 4)
			return -EACCES;
		return allow(out, BVC_SCALAR, 8, 4);
	case 40:
		if (size != 8)
			return -EACCES;
		/* sk: the socket selecting, never NULL. */
		return allow_sock(out, BVC_PTR_SOCKET, false, 10);
	case 48:
		if (size != 8)
			return -EACCES;
		/* migrating_sk, if any, the socket being migrated. */
		return allow_sock(out, BVC_PTR_SOCK_COMMON, true, 12);
	}
	if (off < 16 || off >= 32 || size > 4 || (off / 4 == 5 && size == 1))
		return -EACCES;
	return allow(out, BVC_SCALAR, off / 4, 4);
}

/*
 * flow_dissector: a __sk_buff of which the program sees three fields, all
 * read only: data and data_end (whole 4-byte loads, never sign-extended)
 * and flow_keys, an 8-byte pointer to the struct bpf_flow_keys it fills.
 * The kernel builds that context itself (bpf_flow_dissect), so nothing
 * else of the skb is there to read.
 */
static int check_flow_dissector(int off, int size, bool write, struct bvc_ctx_access *out)
{
	if (write || off < 0 || off >= SKB_SIZE || off % size)
		return -EACCES;
	if (off == skb_fields[BVC_SKB_DATA].off && size == 4)
		return allow(out, BVC_PTR_PACKET, BVC_SKB_DATA, 4);
	if (off == skb_fields[BVC_SKB_DATA_END].off && size == 4)
		return allow(out, BVC_PTR_PACKET_END, BVC_SKB_DATA_END, 4);
	if (off == skb_fields[BVC_SKB_FLOW_KEYS].off && size == 8)
		return allow(out, BVC_PTR_FLOW_KEYS, BVC_SKB_FLOW_KEYS, 8);
	return -EACCES;
}

/*
 * struct bpf_sock_ops: the program writes only reply and sk_txhash (whole
 * words); it reads u32 words whole, skb_tcp_flags also narrow, the byte
 * counters and skb_hwtstamp as u64, skb_data/skb_data_end as the packet
 * (8-byte pointers) and sk as a socket or NULL.
 */
static int check_sock_ops(int off, int size, bool write, struct bvc_ctx_access *out)
{
	if (off < 0 || off >= SOCK_OPS_SIZE || off % size)
		return -EACCES;
	if (write) {
		if (size != 4 || (off != 4 && off != 164))
			return -EACCES;
		return allow(out, BVC_SCALAR, off / 4, 4);
	}
	if ((off >= 168 && off < 184) || off >= 216) {
		if (size != 8)
			return -EACCES;
		return allow(out, BVC_SCALAR, off / 4, 8);
	}
	if (off >= 184 && off < 208) {
		if (size != 8)
			return -EACCES;
		if (off == 184)
			return allow_sock(out, BVC_PTR_SOCKET, true, 46);
		return allow(out, off == 192 ? BVC_PTR_PACKET : BVC_PTR_PACKET_END, off / 4, 8);
	}
	if (off == 212 && size <= 4)
		return allow(out, BVC_SCALAR, 53, 4);
	if (size != 4)
		return -EACCES;
	return allow(out, BVC_SCALAR, off / 4, 4);
}

int bvc_ctx_check_access(uint32_t prog_type, uint32_t expected_attach_type, int off, int size,
			 bool write, struct bvc_ctx_access *out)
{
	if (!is_width(size) || !out)
		return -EACCES;
	switch (prog_type) {
	case BPF_PROG_TYPE_SOCKET_FILTER:
	case BPF_PROG_TYPE_SCHED_CLS:
	case BPF_PROG_TYPE_SCHED_ACT:
	case BPF_PROG_TYPE_CGROUP_SKB:
	case BPF_PROG_TYPE_SK_SKB:
	case BPF_PROG_TYPE_LWT_IN:
	case BPF_PROG_TYPE_LWT_OUT:
	case BPF_PROG_TYPE_LWT_XMIT:
		return check_skb(prog_type, off, size, write, out);
	case BPF_PROG_TYPE_XDP:
		return check_xdp(expected_attach_type, off, size, write, out);
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
		return check_sock_addr(expected_attach_type, off, size, write, out);
	case BPF_PROG_TYPE_CGROUP_SOCKOPT:
		return check_sockopt(expected_attach_type, off, size, write, out);
	case BPF_PROG_TYPE_SK_LOOKUP:
		return check_sk_lookup(off, size, write, out);
	case BPF_PROG_TYPE_SK_MSG:
		return check_sk_msg(off, size, write, out);
	case BPF_PROG_TYPE_CGROUP_SOCK:
		return check_cgroup_sock(bvc_prog_attach_fixup(prog_type, expected_attach_type), off,
					 size, write, out);
	case BPF_PROG_TYPE_CGROUP_DEVICE:
		return check_cgroup_dev(off, size, write, out);
	case BPF_PROG_TYPE_CGROUP_SYSCTL:
		return check_sysctl(off, size, write, out);
	case BPF_PROG_TYPE_SK_REUSEPORT:
		return check_sk_reuseport(off, size, write, out);
	case BPF_PROG_TYPE_SOCK_OPS:
		return check_sock_ops(off, size, write, out);
	case BPF_PROG_TYPE_FLOW_DISSECTOR:
		return check_flow_dissector(off, size, write, out);
	case BPF_PROG_TYPE_KPROBE:
		return check_plain(0, BVC_PT_REGS_SIZE, off, size, write, out);
	case BPF_PROG_TYPE_TRACEPOINT:
		return check_plain(8, TP_SIZE, off, size, write, out);
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
		return check_plain(0, RAW_TP_SIZE, off, size, write, out);
	case BPF_PROG_TYPE_PERF_EVENT:
		return check_perf_event(off, size, write, out);
	default:
		return -EACCES;
	}
}

const char *bvc_ctx_field_name(uint32_t prog_type, unsigned int field)
{
	static const char *const tp_slot = "u64 slot";
	static const char *const raw_tp_names[RAW_TP_SIZE / 8] = {
		"args[0]", "args[1]", "args[2]", "args[3]", "args[4]",  "args[5]",
		"args[6]", "args[7]", "args[8]", "args[9]", "args[10]", "args[11]",
	};

	static const char *const sock_addr_names[SOCK_ADDR_SIZE / 4] = {
		"user_family", "user_ip4", "user_ip6[0]", "user_ip6[1]", "user_ip6[2]",
		"user_ip6[3]", "user_port", "family", "type", "protocol", "msg_src_ip4",
		"msg_src_ip6[0]", "msg_src_ip6[1]", "msg_src_ip6[2]", "msg_src_ip6[3]", NULL,
		"sk", NULL,
	};
	static const char *const sockopt_names[SOCKOPT_SIZE / 4] = {
		"sk", "optval", "optval_end", NULL, NULL, NULL,
		"level", "optname", "optlen", "retval",
	};
	static const char *const sk_lookup_names[SK_LOOKUP_SIZE / 4] = {
		"sk", NULL, "family", "protocol", "remote_ip4", "remote_ip6[0]", "remote_ip6[1]",
		"remote_ip6[2]", "remote_ip6[3]", "remote_port", "local_ip4", "local_ip6[0]",
		"local_ip6[1]", "local_ip6[2]", "local_ip6[3]", "local_port", "ingress_ifindex",
	};
	static const char *const bpf_sock_names[BPF_SOCK_SIZE / 4] = {
		"bound_dev_if", "family", "type", "protocol", "mark", "priority", "src_ip4",
		"src_ip6[0]", "src_ip6[1]", "src_ip6[2]", "src_ip6[3]", "src_port", "dst_port",
		"dst_ip4", "dst_ip6[0]", "dst_ip6[1]", "dst_ip6[2]", "dst_ip6[3]", "state",
		"rx_queue_mapping",
	};
	static const char *const reuseport_names[REUSEPORT_SIZE / 4] = {
		"data", "data_end", NULL, NULL, "len", "eth_protocol", "ip_protocol",
		"bind_inany", "hash", NULL, "sk", NULL, "migrating_sk", NULL,
	};
	static const char *const dev_names[CGROUP_DEV_SIZE / 4] = {
		"access_type", "major", "minor",
	};
	static const char *const sk_msg_names[SK_MSG_SIZE / 4] = {
		"data", "data_end", NULL, NULL, "family", "remote_ip4", "local_ip4",
		"remote_ip6[0]", "remote_ip6[1]", "remote_ip6[2]", "remote_ip6[3]",
		"local_ip6[0]", "local_ip6[1]", "local_ip6[2]", "local_ip6[3]",
		"remote_port", "local_port", "size", "sk", NULL,
	};

	switch (prog_type) {
	case BPF_PROG_TYPE_SOCKET_FILTER:
	case BPF_PROG_TYPE_SCHED_CLS:
	case BPF_PROG_TYPE_SCHED_ACT:
	case BPF_PROG_TYPE_CGROUP_SKB:
	case BPF_PROG_TYPE_SK_SKB:
	case BPF_PROG_TYPE_LWT_IN:
	case BPF_PROG_TYPE_LWT_OUT:
	case BPF_PROG_TYPE_LWT_XMIT:
	case BPF_PROG_TYPE_FLOW_DISSECTOR:
		return field < BVC_SKB_NR_FIELDS ? skb_fields[field].name : NULL;
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
		return field < SOCK_ADDR_SIZE / 4 ? sock_addr_names[field] : NULL;
	case BPF_PROG_TYPE_CGROUP_SOCKOPT:
		return field < SOCKOPT_SIZE / 4 ? sockopt_names[field] : NULL;
	case BPF_PROG_TYPE_SK_LOOKUP:
		return field < SK_LOOKUP_SIZE / 4 ? sk_lookup_names[field] : NULL;
	case BPF_PROG_TYPE_SK_MSG:
		return field < SK_MSG_SIZE / 4 ? sk_msg_names[field] : NULL;
	case BPF_PROG_TYPE_CGROUP_SOCK:
		return field < BPF_SOCK_SIZE / 4 ? bpf_sock_names[field] : NULL;
	case BPF_PROG_TYPE_CGROUP_DEVICE:
		return field < CGROUP_DEV_SIZE / 4 ? dev_names[field] : NULL;
	case BPF_PROG_TYPE_CGROUP_SYSCTL:
		return field == 0 ? "write" : field == 1 ? "file_pos" : NULL;
	case BPF_PROG_TYPE_SK_REUSEPORT:
		return field < REUSEPORT_SIZE / 4 ? reuseport_names[field] : NULL;
	case BPF_PROG_TYPE_XDP:
		return field < BVC_XDP_NR_FIELDS ? xdp_names[field] : NULL;
	case BPF_PROG_TYPE_KPROBE:
		return field < BVC_PT_REGS_SIZE / 8 ? pt_regs_names[field] : NULL;
	case BPF_PROG_TYPE_PERF_EVENT:
		if (field == BVC_PE_SAMPLE_PERIOD)
			return "sample_period";
		if (field == BVC_PE_ADDR)
			return "addr";
		return field < BVC_PT_REGS_SIZE / 8 ? pt_regs_names[field] : NULL;
	case BPF_PROG_TYPE_TRACEPOINT:
		return field >= 1 && field < TP_SIZE / 8 ? tp_slot : NULL;
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
		return field < RAW_TP_SIZE / 8 ? raw_tp_names[field] : NULL;
	default:
		return NULL;
	}
}

bool bvc_prog_type_may_ld_abs(uint32_t prog_type)
{
	/* LD_ABS/LD_IND are calls into skb helpers: only where ctx is an
	 * sk_buff and the kernel wires them up (may_access_skb()). cgroup_skb
	 * has an skb too but is not on the kernel's list. */
	return prog_type == BPF_PROG_TYPE_SOCKET_FILTER || prog_type == BPF_PROG_TYPE_SCHED_CLS ||
	       prog_type == BPF_PROG_TYPE_SCHED_ACT;
}

bool bvc_prog_type_may_write_pkt(uint32_t prog_type)
{
	/* cgroup_skb sees packets that other layers still own: read only.
	 * sk_skb and sk_msg own their data; a sockopt hook edits the option
	 * value in place; of the lwt hooks only xmit may write. */
	return prog_type == BPF_PROG_TYPE_SCHED_CLS || prog_type == BPF_PROG_TYPE_SCHED_ACT ||
	       prog_type == BPF_PROG_TYPE_XDP || prog_type == BPF_PROG_TYPE_SK_SKB ||
	       prog_type == BPF_PROG_TYPE_SK_MSG || prog_type == BPF_PROG_TYPE_CGROUP_SOCKOPT ||
	       prog_type == BPF_PROG_TYPE_LWT_XMIT;
}

bool bvc_prog_ret_range(uint32_t prog_type, uint32_t expected_attach_type, int64_t *lo,
			int64_t *hi)
{
	switch (prog_type) {
	case BPF_PROG_TYPE_CGROUP_SKB:
		/* Bit 0 allows the packet; on egress bit 1 asks for congestion
		 * notification, so egress takes [0, 3]. */
		*lo = 0;
		*hi = expected_attach_type == BVC_ATTACH_CGROUP_INET_EGRESS ? 3 : 1;
		return true;
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
		/* recvmsg and the getname hooks cannot refuse (1 only); bind
		 * may also ask, with bit 1, to skip the port-range check. */
		*lo = 0;
		*hi = 1;
		switch (expected_attach_type) {
		case BVC_ATTACH_UDP4_RECVMSG:
		case BVC_ATTACH_UDP6_RECVMSG:
		case BVC_ATTACH_UNIX_RECVMSG:
		case BVC_ATTACH_INET4_GETPEERNAME:
		case BVC_ATTACH_INET6_GETPEERNAME:
		case BVC_ATTACH_UNIX_GETPEERNAME:
		case BVC_ATTACH_INET4_GETSOCKNAME:
		case BVC_ATTACH_INET6_GETSOCKNAME:
		case BVC_ATTACH_UNIX_GETSOCKNAME:
			*lo = 1;
			break;
		case BVC_ATTACH_INET4_BIND:
		case BVC_ATTACH_INET6_BIND:
			*hi = 3;
			break;
		}
		return true;
	case BPF_PROG_TYPE_CGROUP_SOCKOPT:
	case BPF_PROG_TYPE_CGROUP_SOCK:
	case BPF_PROG_TYPE_CGROUP_DEVICE:
	case BPF_PROG_TYPE_CGROUP_SYSCTL:
	case BPF_PROG_TYPE_SOCK_OPS:
	case BPF_PROG_TYPE_SK_LOOKUP:
		/* Allow or refuse (SK_PASS / SK_DROP for sk_lookup). */
		*lo = 0;
		*hi = 1;
		return true;
	case BPF_PROG_TYPE_KPROBE:
		/* A session's entry program returns 0 (run the exit program)
		 * or 1 (skip it); plain kprobes may return anything. */
		if (expected_attach_type != BVC_ATTACH_TRACE_KPROBE_SESSION)
			return false;
		*lo = 0;
		*hi = 1;
		return true;
	default:
		/* xdp, tc, socket filters, sk_skb and sk_msg interpret any
		 * value at run time;
		 * tracepoints, raw tracepoints (without BTF) and perf events
		 * ignore it. */
		return false;
	}
}
