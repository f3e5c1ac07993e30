/* SPDX-License-Identifier: MIT */
/*
 * Private to verifier/: what each program type may do. The context layout
 * and its access rules (ctx.c), the helper prototypes and which program
 * types may call them (helpers.c), which maps a helper accepts, and the
 * return-value range each program type must respect.
 *
 * The engine asks; these tables answer. They are data, not logic: the
 * engine owns every check on register state.
 */
#ifndef BVC_VERIFIER_PROGTYPE_INTERNAL_H
#define BVC_VERIFIER_PROGTYPE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

/* What a register holds (the kernel's enum bpf_reg_type, our subset). */
enum bvc_rtype {
	BVC_NOT_INIT = 0,      /* never written on this path */
	BVC_SCALAR,            /* a number */
	BVC_PTR_CTX,           /* the program's context */
	BVC_CONST_PTR_MAP,     /* a map (ld_imm64 of a map) */
	BVC_PTR_MAP_VALUE,     /* into a map value */
	BVC_PTR_MAP_KEY,       /* into a map key (callbacks) */
	BVC_PTR_STACK,         /* into a frame's stack */
	BVC_PTR_PACKET_META,   /* xdp/tc data_meta */
	BVC_PTR_PACKET,        /* packet data */
	BVC_PTR_PACKET_END,    /* one past the packet: compare only */
	BVC_PTR_MEM,           /* sized memory, e.g. a ringbuf record */
	BVC_PTR_FUNC,          /* a subprogram's address (callbacks) */
	BVC_PTR_FLOW_KEYS,     /* flow_dissector's struct bpf_flow_keys (read, written) */
	/* Sockets (the kernel's PTR_TO_SOCKET, PTR_TO_SOCK_COMMON,
	 * PTR_TO_TCP_SOCK; maybe_null gives their _OR_NULL forms). Read
	 * only, through the UAPI views struct bpf_sock and bpf_tcp_sock,
	 * which the kernel rewrites into kernel struct accesses; never
	 * offset. Appended: the numbers above are on the wire (PTR_SOCKET
	 * keeps the number main gave it first). */
	BVC_PTR_SOCKET,        /* a full struct sock (a bpf_sock view) */
	BVC_PTR_SOCK_COMMON,   /* a struct sock_common (a bpf_sock view, partial) */
	BVC_PTR_TCP_SOCK,      /* a tcp_sock (a bpf_tcp_sock view) */
};

/* The last register type: the wire checks against it. */
#define BVC_RTYPE_LAST BVC_PTR_TCP_SOCK

/* sizeof(struct bpf_flow_keys): what a PTR_FLOW_KEYS may touch. */
#define BVC_FLOW_KEYS_SIZE 56

/* The answer to a context access that is allowed. */
struct bvc_ctx_access {
	enum bvc_rtype type;   /* BVC_SCALAR, or the pointer a load yields (packet,
				* flow keys, socket) */
	bool maybe_null;       /* the pointer may be NULL (the kernel's _OR_NULL) */
	uint16_t field;        /* index of the field in the type's layout, for the JIT */
	uint8_t field_size;    /* bytes of the whole field (a narrow load reads part) */
};

/*
 * Field numbering (struct bvc_ctx_access.field), stable: the JIT and the
 * blob rely on it. Offsets are those of the UAPI structs on x86_64.
 *
 * socket_filter, sched_cls, sched_act, cgroup_skb: struct __sk_buff, one
 * field per 4-byte word up to data_meta (so field == off / 4 for 0..35),
 * then the wider fields in order. cb[] is plain storage the kernel copies
 * as is: an access may be 1, 2, 4 or 8 bytes and an 8-byte one covers two
 * words, so there field is the word it starts in and field_size is the
 * access size.
 */
enum bvc_skb_field {
	BVC_SKB_LEN = 0, BVC_SKB_PKT_TYPE, BVC_SKB_MARK, BVC_SKB_QUEUE_MAPPING,
	BVC_SKB_PROTOCOL, BVC_SKB_VLAN_PRESENT, BVC_SKB_VLAN_TCI, BVC_SKB_VLAN_PROTO,
	BVC_SKB_PRIORITY, BVC_SKB_INGRESS_IFINDEX, BVC_SKB_IFINDEX, BVC_SKB_TC_INDEX,
	BVC_SKB_CB0, BVC_SKB_CB1, BVC_SKB_CB2, BVC_SKB_CB3, BVC_SKB_CB4,
	BVC_SKB_HASH, BVC_SKB_TC_CLASSID, BVC_SKB_DATA, BVC_SKB_DATA_END,
	BVC_SKB_NAPI_ID, BVC_SKB_FAMILY, BVC_SKB_REMOTE_IP4, BVC_SKB_LOCAL_IP4,
	BVC_SKB_REMOTE_IP6_0, BVC_SKB_REMOTE_IP6_1, BVC_SKB_REMOTE_IP6_2, BVC_SKB_REMOTE_IP6_3,
	BVC_SKB_LOCAL_IP6_0, BVC_SKB_LOCAL_IP6_1, BVC_SKB_LOCAL_IP6_2, BVC_SKB_LOCAL_IP6_3,
	BVC_SKB_REMOTE_PORT, BVC_SKB_LOCAL_PORT, BVC_SKB_DATA_META,
	BVC_SKB_FLOW_KEYS,     /* 144, 8 bytes: never accessible */
	BVC_SKB_TSTAMP,        /* 152, 8 bytes */
	BVC_SKB_WIRE_LEN,      /* 160 */
	BVC_SKB_GSO_SEGS,      /* 164 */
	BVC_SKB_SK,            /* 168, 8 bytes: a sock_common or NULL */
	BVC_SKB_GSO_SIZE,      /* 176 */
	BVC_SKB_TSTAMP_TYPE,   /* 180, 1 byte; 181..183 are padding */
	BVC_SKB_HWTSTAMP,      /* 184, 8 bytes; sizeof(struct __sk_buff) == 192 */
	BVC_SKB_NR_FIELDS
};

/* xdp: struct xdp_md, six u32 words: field == off / 4. */
enum bvc_xdp_field {
	BVC_XDP_DATA = 0, BVC_XDP_DATA_END, BVC_XDP_DATA_META, BVC_XDP_INGRESS_IFINDEX,
	BVC_XDP_RX_QUEUE_INDEX, BVC_XDP_EGRESS_IFINDEX, BVC_XDP_NR_FIELDS
};

/*
 * kprobe: struct pt_regs of x86_64 (21 u64 registers, 168 bytes, in the
 * kernel's order r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx,
 * si, di, orig_ax, ip, cs, flags, sp, ss); field == off / 8, field_size 8,
 * and narrow loads read part of a register in place (no rewriting: the
 * context is the pt_regs itself). We target the x86_64 kernel's verdicts
 * here: other architectures have other pt_regs sizes.
 * perf_event: struct bpf_perf_event_data = those registers (fields 0..20),
 * then sample_period (21) and addr (22), 184 bytes.
 * tracepoint: the raw record, up to PERF_MAX_TRACE_SIZE (8192) bytes;
 * field == off / 8 (the u64 slot), field_size 8.
 * raw_tracepoint: the u64 argument array (12 arguments); field == off / 8.
 */
#define BVC_PT_REGS_SIZE 168
#define BVC_PE_SAMPLE_PERIOD 21
#define BVC_PE_ADDR 22

/* The expected_attach_type values the tables look at (the kernel's enum
 * bpf_attach_type; spelled here so callers need no kernel header). */
#define BVC_ATTACH_CGROUP_INET_INGRESS 0
#define BVC_ATTACH_CGROUP_INET_EGRESS 1
#define BVC_ATTACH_INET_SOCK_CREATE 2
#define BVC_ATTACH_CGROUP_SOCK_OPS 3
#define BVC_ATTACH_CGROUP_DEVICE 6
#define BVC_ATTACH_SK_SKB_STREAM_PARSER 4
#define BVC_ATTACH_SK_SKB_STREAM_VERDICT 5
#define BVC_ATTACH_SK_MSG_VERDICT 7
#define BVC_ATTACH_INET4_BIND 8
#define BVC_ATTACH_INET6_BIND 9
#define BVC_ATTACH_INET4_CONNECT 10
#define BVC_ATTACH_INET6_CONNECT 11
#define BVC_ATTACH_INET4_POST_BIND 12
#define BVC_ATTACH_INET6_POST_BIND 13
#define BVC_ATTACH_UDP4_SENDMSG 14
#define BVC_ATTACH_UDP6_SENDMSG 15
#define BVC_ATTACH_CGROUP_SYSCTL 18
#define BVC_ATTACH_UDP4_RECVMSG 19
#define BVC_ATTACH_UDP6_RECVMSG 20
#define BVC_ATTACH_CGROUP_GETSOCKOPT 21
#define BVC_ATTACH_CGROUP_SETSOCKOPT 22
#define BVC_ATTACH_INET4_GETPEERNAME 29
#define BVC_ATTACH_INET6_GETPEERNAME 30
#define BVC_ATTACH_INET4_GETSOCKNAME 31
#define BVC_ATTACH_INET6_GETSOCKNAME 32
#define BVC_ATTACH_XDP_DEVMAP 33
#define BVC_ATTACH_INET_SOCK_RELEASE 34
#define BVC_ATTACH_SK_LOOKUP 36
#define BVC_ATTACH_SK_SKB_VERDICT 38
#define BVC_ATTACH_SK_REUSEPORT_SELECT 39
#define BVC_ATTACH_SK_REUSEPORT_SELECT_OR_MIGRATE 40
#define BVC_ATTACH_UNIX_CONNECT 49
#define BVC_ATTACH_UNIX_SENDMSG 50
#define BVC_ATTACH_UNIX_RECVMSG 51
#define BVC_ATTACH_UNIX_GETPEERNAME 52
#define BVC_ATTACH_UNIX_GETSOCKNAME 53
#define BVC_ATTACH_TRACE_KPROBE_SESSION 56

/*
 * cgroup_sock_addr: struct bpf_sock_addr (72 bytes), one field per u32
 * word (field == off / 4: user_family 0, user_ip4 1, user_ip6 2..5,
 * user_port 6, family 7, type 8, protocol 9, msg_src_ip4 10,
 * msg_src_ip6 11..14), then sk (16, 8 bytes: a socket pointer, not
 * modelled).
 * cgroup_sockopt: struct bpf_sockopt (40 bytes): sk 0, optval 1,
 * optval_end 2 (8-byte pointers), then level 6, optname 7, optlen 8,
 * retval 9 (field == off / 4 for those).
 * sk_lookup: struct bpf_sk_lookup (68 bytes): sk 0 (8 bytes), then
 * field == off / 4 (family 2 ... ingress_ifindex 16); remote_port is a
 * 2-byte field in word 9, its padding the other half.
 * sk_msg: struct sk_msg_md (80 bytes): data 0, data_end 1 (8-byte
 * pointers), then field == off / 4 (family 4 ... size 17), sk 18.
 * sk_skb: struct __sk_buff, numbered as for the skb types above.
 * cgroup_sock: struct bpf_sock (80 bytes), field == off / 4
 * (bound_dev_if 0 ... dst_port 12, dst_ip4 13 ... rx_queue_mapping 19).
 * cgroup_device: struct bpf_cgroup_dev_ctx, access_type 0, major 1,
 * minor 2.
 * cgroup_sysctl: struct bpf_sysctl, write 0, file_pos 1.
 * sk_reuseport: struct sk_reuseport_md (56 bytes): data 0, data_end 1
 * (8-byte pointers), then field == off / 4 (len 4 ... hash 8), sk 10 and
 * migrating_sk 12 (8-byte socket pointers).
 * flow_dissector: struct __sk_buff, read only, of which only data,
 * data_end (numbered as for the skb types) and flow_keys
 * (BVC_SKB_FLOW_KEYS, an 8-byte pointer to the flow keys).
 * sock_ops: struct bpf_sock_ops (224 bytes in 6.12), field == off / 4 up
 * to sk_txhash (41); bytes_received 42, bytes_acked 44 (8 bytes), sk 46,
 * skb_data 48, skb_data_end 50 (8-byte pointers), skb_len 52,
 * skb_tcp_flags 53, skb_hwtstamp 54 (8 bytes).
 */

/* Program types the engine models; the rest are refused as unsupported. */
bool bvc_prog_type_supported(uint32_t prog_type);

/*
 * Does the kernel load a program of @prog_type with @expected_attach_type
 * at all (bpf_prog_load_check_attach())? False for the types whose attach
 * type is fixed at load (cgroup_sock_addr, cgroup_sockopt, sk_lookup) when
 * it is not one of theirs: BPF_PROG_LOAD fails with EINVAL before
 * verifying. Types that ignore the attach type always pass.
 */
bool bvc_prog_attach_valid(uint32_t prog_type, uint32_t expected_attach_type);

/* The attach type the kernel loads @prog_type with when given
 * @expected_attach_type: cgroup_sock without one (0) is a socket-creation
 * hook, sk_reuseport a plain selection. The tables apply it themselves. */
uint32_t bvc_prog_attach_fixup(uint32_t prog_type, uint32_t expected_attach_type);

/*
 * May a program of @prog_type (with @expected_attach_type) read (@write
 * false) or write @size bytes at constant offset @off of its context?
 * 0 and @out filled when it may, -EACCES when not: the engine then says
 * "invalid bpf_context access off=%d size=%d" as the kernel does.
 * -EOPNOTSUPP when the kernel allows it but the load yields a pointer type
 * bpfvc does not model (none left today; the engine would refuse it as
 * unsupported). Socket fields answer a socket type, out->maybe_null
 * telling its _OR_NULL form.
 *
 * What the engine checks around this answer, as the kernel does:
 * - a sign-extending load (BPF_MEMSX) is refused when out->type is not
 *   BVC_SCALAR (the kernel's is_ldsx test on data/data_end/data_meta);
 * - only a write of a scalar: a pointer stored into ctx "leaks addr";
 * - the ctx register must have a zero fixed offset and a known zero
 *   variable offset (check_ptr_off_reg); @off is the instruction's offset;
 * - BPF_ATOMIC on ctx is refused.
 */
int bvc_ctx_check_access(uint32_t prog_type, uint32_t expected_attach_type, int off, int size,
			 bool write, struct bvc_ctx_access *out);

/*
 * May a program read @size bytes at offset @off through a socket pointer
 * of @type (BVC_PTR_SOCK_COMMON, BVC_PTR_SOCKET, BVC_PTR_TCP_SOCK, not
 * NULL)? 0 with the field's size in @field_size, or -EACCES ("R%d invalid
 * %s access off=%d size=%d"). Writes never may (sock.c).
 */
int bvc_sock_check_access(enum bvc_rtype type, int off, int size, bool write, uint8_t *field_size);

/* The name of context field @field of @prog_type ("mark", "cb[0]", "di",
 * "args[2]"...), for logs and tests; NULL for an unknown one. */
const char *bvc_ctx_field_name(uint32_t prog_type, unsigned int field);

/* May the program use LD_ABS/LD_IND? Only socket filters and tc
 * (sched_cls, sched_act), as the kernel's may_access_skb(): not cgroup_skb. */
bool bvc_prog_type_may_ld_abs(uint32_t prog_type);

/*
 * May the program write packet data directly (through PTR_TO_PACKET)? tc
 * and xdp may; cgroup_skb may only read ("cannot write into packet");
 * other types never hold a packet pointer. The kernel's
 * may_access_direct_pkt_data() for a plain load/store.
 */
bool bvc_prog_type_may_write_pkt(uint32_t prog_type);

/*
 * The range r0 must lie in at exit, for types the kernel checks (xdp:
 * any, socket filter: any, cgroup_skb: [0, 1] or [0, 3], ...). Returns
 * true and fills [@lo, @hi] when a range applies: cgroup_skb ([0, 1];
 * [0, 3] with BVC_ATTACH_CGROUP_INET_EGRESS), kprobe with
 * BVC_ATTACH_TRACE_KPROBE_SESSION ([0, 1]), cgroup_sock_addr ([0, 1];
 * [0, 3] for bind, [1, 1] for recvmsg, getpeername, getsockname),
 * cgroup_sockopt, cgroup_sock, cgroup_device, cgroup_sysctl, sock_ops and
 * sk_lookup ([0, 1]);
 * sk_skb and sk_msg have none. When a range
 * applies r0 must be a scalar ("At program exit the register R0 is not a
 * known value") and is marked precise.
 */
bool bvc_prog_ret_range(uint32_t prog_type, uint32_t expected_attach_type, int64_t *lo,
			int64_t *hi);

/* Argument kinds of helper prototypes (the kernel's enum bpf_arg_type). */
enum bvc_arg {
	BVC_ARG_NONE = 0,            /* no more arguments */
	BVC_ARG_ANYTHING,            /* any initialised value */
	BVC_ARG_CONST_MAP_PTR,       /* a map */
	BVC_ARG_MAP_KEY,             /* key_size readable bytes */
	BVC_ARG_MAP_VALUE,           /* value_size readable bytes */
	BVC_ARG_MEM,                 /* readable memory, size in the next argument */
	BVC_ARG_MEM_OR_NULL,         /* same, or NULL */
	BVC_ARG_UNINIT_MEM,          /* memory the helper fills, size in the next argument */
	BVC_ARG_CONST_SIZE,          /* a known size > 0 for the previous argument */
	BVC_ARG_CONST_SIZE_OR_ZERO,  /* a known size >= 0 for the previous argument */
	BVC_ARG_CTX,                 /* the context */
	BVC_ARG_ALLOC_MEM,           /* a record from ringbuf_reserve (released) */
	BVC_ARG_CONST_ALLOC_SIZE_OR_ZERO, /* size of the record to reserve */
	BVC_ARG_PTR_TO_LONG,         /* 8 writable bytes (u64 result) */
	/* Added with the helper tables: */
	BVC_ARG_MEM_RW,              /* initialised memory the helper reads and writes, size in the next argument */
	BVC_ARG_PTR_TO_INT,          /* 4 initialised, writable, 4-aligned bytes (u32 in/out) */
	/* Added with the queue/stack maps: */
	BVC_ARG_MAP_VALUE_UNINIT,    /* value_size bytes the helper fills (pop, peek) */
	BVC_ARG_SOCK_COMMON,         /* a non-NULL socket of any kind (ARG_PTR_TO_SOCK_COMMON) */
	BVC_ARG_SOCK_RELEASE,        /* an acquired socket, released (ARG_PTR_TO_BTF_ID_SOCK_COMMON | OBJ_RELEASE) */
	BVC_ARG_SOCK_COMMON_BTF,     /* a non-NULL socket of any kind (ARG_PTR_TO_BTF_ID_SOCK_COMMON) */
	BVC_ARG_SOCKET_OR_NULL,      /* a full socket, NULL-checked or not, or NULL (ARG_PTR_TO_SOCKET_OR_NULL) */
};

/* Return kinds (the kernel's enum bpf_return_type). */
enum bvc_ret {
	BVC_RET_INTEGER = 0,         /* a scalar */
	BVC_RET_VOID,                /* nothing: r0 is not readable after */
	BVC_RET_MAP_VALUE_OR_NULL,   /* a value of the map argument, or NULL */
	BVC_RET_ALLOC_MEM_OR_NULL,   /* a ringbuf record of the size argument, or NULL; acquires a reference */
	BVC_RET_MAP_VALUE,           /* a value of the map argument, never NULL (get_local_storage) */
	BVC_RET_SOCKET_OR_NULL,      /* PTR_TO_SOCKET_OR_NULL (see BVC_HELPER_ACQUIRES, _CAST) */
	BVC_RET_SOCK_COMMON_OR_NULL, /* PTR_TO_SOCK_COMMON_OR_NULL */
	BVC_RET_TCP_SOCK_OR_NULL,    /* PTR_TO_TCP_SOCK_OR_NULL */
};

#define BVC_HELPER_PKT_ACCESS (1u << 0)   /* may take packet pointers as memory */
#define BVC_HELPER_GPL_ONLY (1u << 1)     /* needs a GPL-compatible licence */
#define BVC_HELPER_CHANGES_PKT (1u << 2)  /* invalidates packet pointers */
#define BVC_HELPER_RELEASES (1u << 3)     /* releases the reference in its ALLOC_MEM argument */
#define BVC_HELPER_ACQUIRES (1u << 4)     /* r0 holds a new reference (socket lookups) */
#define BVC_HELPER_CAST (1u << 5)         /* r0 is its socket argument seen as another type:
					   * it shares the argument's reference */

struct bvc_helper_proto {
	int32_t id;            /* helper number (BPF_FUNC_*) */
	enum bvc_ret ret;      /* what r0 holds after the call */
	uint8_t args[5];       /* enum bvc_arg for r1..r5 */
	uint32_t flags;        /* BVC_HELPER_* */
};

/* Helper ids run from 1 to BVC_HELPER_MAX_ID - 1 (the kernel's
 * __BPF_FUNC_MAX_ID in 6.12 and 6.18: the last helper is 211). */
#define BVC_HELPER_MAX_ID 212

/*
 * The prototype of helper @id for @prog_type. Returns 0 with @out set;
 * -ERANGE for an id that names no helper ("invalid func %s#%d"); -EACCES
 * when this program type may not call it ("program of this type cannot use
 * helper %s#%d"); -EOPNOTSUPP for a real helper bpfvc does not model yet
 * (the engine refuses "unsupported: helper %s#%d").
 */
int bvc_helper_proto_get(int32_t id, uint32_t prog_type, const struct bvc_helper_proto **out);

/*
 * May a map of @map_type be passed to helper @id, and may helper @id be
 * called with a map of that type (both directions of the kernel's
 * check_map_func_compatibility)? False means "cannot pass map_type %d into
 * func %s#%d".
 */
bool bvc_map_func_compatible(uint32_t map_type, int32_t helper_id);

/*
 * Does the kernel offer helper @id to a program of @prog_type attached as
 * @expected_attach_type? The helper tables answer per program type; a few
 * cgroup helpers also depend on the attach type (bpf_bind only from
 * connect hooks, get/set_retval not where the hook ignores the return
 * value, setsockopt/getsockopt only from some hooks). False means "program
 * of this type cannot use helper", as the kernel's func_proto returning
 * NULL.
 */
bool bvc_helper_attach_ok(int32_t id, uint32_t prog_type, uint32_t expected_attach_type);

/* May a program of @prog_type update or delete sockmap and sockhash
 * elements (the kernel's may_update_sockmap(): where no socket lock can
 * be held)? Of our types: socket filters, tc, xdp, sk_lookup, sk_reuseport
 * and flow_dissector. */
bool bvc_sockmap_may_update(uint32_t prog_type);
/* (sock_ops may delete; its updates go through sock_map_update.) */

/* Map types the engine models (array, percpu_array, hash, percpu_hash,
 * lru_hash, prog_array, perf_event_array, ringbuf, stack_trace, queue,
 * stack, cgroup storage, array/hash of maps; sockmap, sockhash, devmap,
 * cpumap and xskmap as redirect targets). */
bool bvc_map_type_supported(uint32_t map_type);

struct bvc_image;

/* Map @idx of @img is no array/hash of maps, or one whose inner template
 * is known and of a type the engine models as an inner map (hash and
 * array kinds, ringbuf). */
bool bvc_inner_map_ok(const struct bvc_image *img, uint32_t idx);

#endif /* BVC_VERIFIER_PROGTYPE_INTERNAL_H */
