/* SPDX-License-Identifier: MIT */
/*
 * helpers: the prototype of every helper a supported program type may
 * call, which program types may call it, and which map types it accepts.
 *
 * Sources, read for semantics only: the bpf_func_proto definitions and the
 * *_func_proto() dispatchers of net/core/filter.c, kernel/trace/bpf_trace.c
 * and kernel/bpf/helpers.c, bpf_helper_changes_pkt_data() and
 * check_map_func_compatibility() (Linux 6.12 source). Which program type
 * may call which helper follows the running 6.18 kernel, checked pair by
 * pair in tests/progtype: 6.18 gives every program type the tracing helpers
 * through bpf_base_func_proto() (get_current_comm, perf_event_read,
 * send_signal, copy_from_user...), where 6.12 kept them to tracing types.
 *
 * A helper falls in one of three classes for a program type:
 * - modelled: a row with its prototype in bvc_arg/bvc_ret terms;
 * - callable but not modelled (U rows): callbacks, spin locks, timers,
 *   dynptrs, kptrs, BTF pointers (the skc_to_* socket casts), const strings, sleepable-only
 *   helpers, verification-time format strings (snprintf, trace_vprintk) -
 *   the engine refuses them as "unsupported";
 * - not callable: no row for that type, the kernel's "program of this type
 *   cannot use helper".
 *
 * Deliberate differences (we may be stricter, never looser):
 * - probe_write_user and override_return depend on kernel configuration
 *   and lockdown; the kernel here refuses them, and so do we.
 * - raw_tracepoint's get_stack takes its buffer as ARG_PTR_TO_MEM|MEM_RDONLY
 *   in the kernel although the helper writes it; we ask for initialised
 *   writable memory (BVC_ARG_MEM_RW).
 * - fib_lookup's params are ARG_PTR_TO_MEM (checked as a read); the helper
 *   writes them back, so we also ask for BVC_ARG_MEM_RW.
 * - sockmap/sockhash updates from programs (may_update_sockmap()) are not
 *   allowed by bvc_map_func_compatible(); the maps serve the redirect
 *   helpers and lookups (a referenced socket or NULL, call.c).
 *
 * Special rules the engine must apply (the kernel's, noted per helper in
 * the table): tail_call does not return on success (and, in 6.18, leaves
 * packet pointers valid when it falls through); ringbuf_reserve's size must be a known constant and its record must
 * be submitted or discarded on every path; trace_printk's format is only
 * checked at run time (r3..r5 are not checked at all); get_func_ip is
 * modelled for kprobe only (the kernel refuses it at verification time for
 * the other types here); a helper without BVC_HELPER_PKT_ACCESS may not take
 * a packet pointer ("helper access to the packet is not allowed").
 *
 * Must not: allocate, print, or claim a helper is callable where the kernel
 * refuses it.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>

#include "bpfvc/image.h"
#include "progtype_internal.h"

/* Program-type masks: one bit per kernel prog type number. */
#define T(type) (1u << (type))
#define T_SOCKF T(BPF_PROG_TYPE_SOCKET_FILTER)
#define T_KPROBE T(BPF_PROG_TYPE_KPROBE)
#define T_CLS T(BPF_PROG_TYPE_SCHED_CLS)
#define T_ACT T(BPF_PROG_TYPE_SCHED_ACT)
#define T_TP T(BPF_PROG_TYPE_TRACEPOINT)
#define T_XDP T(BPF_PROG_TYPE_XDP)
#define T_PE T(BPF_PROG_TYPE_PERF_EVENT)
#define T_CGSKB T(BPF_PROG_TYPE_CGROUP_SKB)
#define T_RAWTP T(BPF_PROG_TYPE_RAW_TRACEPOINT)
#define T_SKSKB T(BPF_PROG_TYPE_SK_SKB)
#define T_SKMSG T(BPF_PROG_TYPE_SK_MSG)
#define T_SADDR T(BPF_PROG_TYPE_CGROUP_SOCK_ADDR)
#define T_SOPT T(BPF_PROG_TYPE_CGROUP_SOCKOPT)
#define T_SKLK T(BPF_PROG_TYPE_SK_LOOKUP)
#define T_CSOCK T(BPF_PROG_TYPE_CGROUP_SOCK)
#define T_CDEV T(BPF_PROG_TYPE_CGROUP_DEVICE)
#define T_SYSCTL T(BPF_PROG_TYPE_CGROUP_SYSCTL)
#define T_LWTIN T(BPF_PROG_TYPE_LWT_IN)
#define T_REUSE T(BPF_PROG_TYPE_SK_REUSEPORT)
#define T_SOCKOPS T(BPF_PROG_TYPE_SOCK_OPS)
#define T_LWTX T(BPF_PROG_TYPE_LWT_XMIT)
/* flow_dissector: bpf_sk_base_func_proto() and its own skb_load_bytes. */
#define T_FLOW T(BPF_PROG_TYPE_FLOW_DISSECTOR)
/* lwt_in, lwt_out, lwt_xmit: lwt_out_func_proto() and more. */
#define T_LWT (T_LWTIN | T(BPF_PROG_TYPE_LWT_OUT) | T_LWTX)
#define T_TC (T_CLS | T_ACT)
/* Programs whose context is an sk_buff (sk_skb apart: its helper set is
 * its own). */
#define T_SKB (T_SOCKF | T_TC | T_CGSKB)
/* Networking programs: bpf_sk_base_func_proto() callers. */
#define T_NET (T_SKB | T_XDP | T_SKSKB | T_SKMSG | T_SADDR | T_SKLK | T_LWT | T_SOCKOPS | T_FLOW)
/* Tracing programs: bpf_tracing_func_proto() callers. */
#define T_TRACE (T_KPROBE | T_TP | T_RAWTP | T_PE)
/* cgroup_sockopt, cgroup_sock, cgroup_device, cgroup_sysctl and
 * sk_reuseport call bpf_base_func_proto() directly. */
#define T_ALL (T_NET | T_TRACE | T_SOPT | T_CSOCK | T_CDEV | T_SYSCTL | T_REUSE)
/* The cgroup hooks' own helpers (cgroup_common_func_proto()). */
#define T_CGRP (T_SADDR | T_SOPT | T_CSOCK | T_CDEV | T_SYSCTL | T_SOCKOPS)

_Static_assert(BPF_PROG_TYPE_SK_LOOKUP < 32 && BPF_PROG_TYPE_FLOW_DISSECTOR < 32,
	       "prog type masks are 32 bits");
_Static_assert(BVC_HELPER_MAX_ID >= __BPF_FUNC_MAX_ID, "helper ids beyond our table");

/* Helper and map numbers newer than the UAPI header we may build against
 * (Debian 12's linux-libc-dev is 6.1). */
#define FUNC_CGRP_STORAGE_GET 210
#define FUNC_CGRP_STORAGE_DELETE 211
#define MAP_TYPE_CGRP_STORAGE 32

/*
 * One row: helper @id as seen by the program types in @types. A helper
 * whose prototype differs between program types has one row per variant,
 * with disjoint masks. Rows are sorted by id so a lookup is a binary
 * search (a row out of order would never be found: tests/progtype compares
 * every id with the kernel and would see it).
 */
struct helper_row {
	int32_t id;                     /* BPF_FUNC_* */
	uint32_t types;                 /* prog types that may call it */
	bool modelled;                  /* false: callable, not modelled */
	struct bvc_helper_proto proto;  /* valid when modelled */
};

#define PKT BVC_HELPER_PKT_ACCESS
#define GPL BVC_HELPER_GPL_ONLY
#define CHG BVC_HELPER_CHANGES_PKT
#define REL BVC_HELPER_RELEASES

#define ANY BVC_ARG_ANYTHING
#define MAP BVC_ARG_CONST_MAP_PTR
#define KEY BVC_ARG_MAP_KEY
#define VAL BVC_ARG_MAP_VALUE
#define MEM BVC_ARG_MEM
#define MEM0 BVC_ARG_MEM_OR_NULL
#define OUT BVC_ARG_UNINIT_MEM
#define MRW BVC_ARG_MEM_RW
#define SZ BVC_ARG_CONST_SIZE
#define SZ0 BVC_ARG_CONST_SIZE_OR_ZERO
#define CTX BVC_ARG_CTX
#define RBM BVC_ARG_ALLOC_MEM
#define ASZ BVC_ARG_CONST_ALLOC_SIZE_OR_ZERO
#define P64 BVC_ARG_PTR_TO_LONG
#define P32 BVC_ARG_PTR_TO_INT

#define INT BVC_RET_INTEGER
#define SOCK_NULL BVC_RET_SOCKET_OR_NULL
#define SKC_NULL BVC_RET_SOCK_COMMON_OR_NULL
#define TCP_NULL BVC_RET_TCP_SOCK_OR_NULL
#define SKC BVC_ARG_SOCK_COMMON
#define SKREL BVC_ARG_SOCK_RELEASE
#define SKB BVC_ARG_SOCK_COMMON_BTF
#define SKN BVC_ARG_SOCKET_OR_NULL
#define ACQ BVC_HELPER_ACQUIRES
#define CAST BVC_HELPER_CAST

/* A modelled helper: H(id, types, ret, flags, args...). */
#define H(fn, types, ret, flags, ...) \
	{ BPF_FUNC_##fn, (types), true, { BPF_FUNC_##fn, (ret), { __VA_ARGS__ }, (flags) } }
/* A helper callable by @types that bpfvc does not model. */
#define U(fn, types) { BPF_FUNC_##fn, (types), false, { BPF_FUNC_##fn, INT, { 0 }, 0 } }
#define U_ID(id, types) { (id), (types), false, { (id), INT, { 0 }, 0 } }

static const struct helper_row rows[] = {
	/* Map access. Keys and values may live in the packet. */
	H(map_lookup_elem, T_ALL, BVC_RET_MAP_VALUE_OR_NULL, PKT, MAP, KEY),
	H(map_update_elem, T_ALL, INT, PKT, MAP, KEY, VAL, ANY),
	H(map_delete_elem, T_ALL, INT, PKT, MAP, KEY),
	/* The old probe_read family exists only where user and kernel
	 * addresses do not overlap (x86_64), for tracing programs. */
	H(probe_read, T_TRACE, INT, GPL, OUT, SZ0, ANY),
	H(ktime_get_ns, T_ALL, INT, 0),
	/* The format is read-only memory checked at run time only; r3..r5
	 * are passed unchecked (ARG_DONTCARE in the kernel). */
	H(trace_printk, T_ALL, INT, GPL, MEM, SZ),
	H(get_prandom_u32, T_ALL, INT, 0),
	H(get_smp_processor_id, T_ALL, INT, 0),
	/* No PKT: the bytes to store may not come from the packet itself. */
	H(skb_store_bytes, T_TC | T_SKSKB | T_LWTX, INT, CHG, CTX, ANY, MEM, SZ, ANY),
	H(l3_csum_replace, T_TC | T_LWTX, INT, CHG, CTX, ANY, ANY, ANY, ANY),
	H(l4_csum_replace, T_TC | T_LWTX, INT, CHG, CTX, ANY, ANY, ANY, ANY),
	/* Does not return when the jump happens; when it returns, nothing
	 * ran, and 6.18 keeps packet pointers valid across it (the 6.12
	 * source counts it in bpf_helper_changes_pkt_data(); we follow the
	 * kernel we are checked against). */
	H(tail_call, T_ALL, BVC_RET_VOID, 0, CTX, MAP, ANY),
	H(clone_redirect, T_TC | T_LWTX, INT, CHG, CTX, ANY, ANY),
	H(get_current_pid_tgid, T_ALL, INT, 0),
	H(get_current_uid_gid, T_ALL, INT, 0),
	H(get_current_comm, T_ALL, INT, 0, OUT, SZ),
	/* tc reads the classid from the skb, the others from current. */
	H(get_cgroup_classid, T_TC | T_LWT, INT, 0, CTX),
	H(get_cgroup_classid, T_ALL & ~(T_TC | T_LWT), INT, 0),
	H(skb_vlan_push, T_TC, INT, CHG, CTX, ANY, ANY),
	H(skb_vlan_pop, T_TC, INT, CHG, CTX),
	H(skb_get_tunnel_key, T_TC | T_LWTX, INT, 0, CTX, OUT, SZ, ANY),
	H(skb_set_tunnel_key, T_TC | T_LWTX, INT, 0, CTX, MEM, SZ, ANY),
	H(perf_event_read, T_ALL, INT, GPL, MAP, ANY),
	H(redirect, T_TC | T_XDP | T_LWTX, INT, 0, ANY, ANY),
	H(get_route_realm, T_TC | T_LWT, INT, 0, CTX),
	/* skb, xdp and tracing variants share one shape. */
	/* Not for sk_reuseport and flow_dissector: bpf_base_func_proto()
	 * has no perf_event_output, and their own dispatchers add none. */
	H(perf_event_output, T_ALL & ~(T_REUSE | T_FLOW), INT, GPL, CTX, MAP, ANY, MEM, SZ0),
	/* flow_dissector's reads the packet it dissects (bpf_flow_dissector_load_bytes), same shape. */
	H(skb_load_bytes, T_SKB | T_SKSKB | T_LWT | T_REUSE | T_FLOW, INT, 0, CTX, ANY, OUT, SZ),
	/* Its map must be a stack_trace map (bvc_map_func_compatible). */
	H(get_stackid, T_KPROBE | T_TP | T_RAWTP, INT, GPL, CTX, MAP, ANY),
	H(get_stackid, T_PE, INT, 0, CTX, MAP, ANY),
	H(csum_diff, T_TC | T_XDP | T_LWT, INT, PKT, MEM0, SZ0, MEM0, SZ0, ANY),
	H(skb_get_tunnel_opt, T_TC | T_LWTX, INT, 0, CTX, OUT, SZ),
	H(skb_set_tunnel_opt, T_TC | T_LWTX, INT, 0, CTX, MEM, SZ),
	H(skb_change_proto, T_TC, INT, CHG, CTX, ANY, ANY),
	H(skb_change_type, T_TC, INT, 0, CTX, ANY),
	/* Needs a cgroup array, not modelled yet. */
	H(skb_under_cgroup, T_TC | T_LWT, INT, 0, CTX, MAP, ANY),
	H(get_hash_recalc, T_TC | T_LWT, INT, 0, CTX),
	H(get_current_task, T_ALL, INT, GPL),
	/* probe_write_user (36): refused by the kernel here (lockdown). */
	H(current_task_under_cgroup, T_ALL, INT, 0, MAP, ANY),
	H(skb_change_tail, T_TC | T_SKSKB | T_LWTX, INT, CHG, CTX, ANY, ANY),
	H(skb_pull_data, T_TC | T_SKSKB | T_LWT, INT, CHG, CTX, ANY),
	H(csum_update, T_TC | T_LWTX, INT, 0, CTX, ANY),
	H(set_hash_invalid, T_TC | T_LWTX, INT, 0, CTX),
	H(get_numa_node_id, T_ALL, INT, 0),
	H(skb_change_head, T_TC | T_SKSKB | T_LWTX, INT, CHG, CTX, ANY, ANY),
	H(xdp_adjust_head, T_XDP, INT, CHG, CTX, ANY),
	H(probe_read_str, T_TRACE, INT, GPL, OUT, SZ0, ANY),
	H(get_socket_cookie, T_SKB | T_SKSKB | T_SADDR | T_CSOCK | T_SOCKOPS, INT, 0, CTX),
	/* sk_reuseport's takes a socket. */
	U(get_socket_cookie, T_REUSE),
	H(get_socket_uid, T_SKB | T_SKSKB, INT, 0, CTX),
	H(set_hash, T_TC, INT, 0, CTX, ANY),
	/* sock_addr hooks pass their context; sockopt hooks a socket
	 * pointer (not modelled). Both only from some attach types
	 * (bvc_helper_attach_ok()). The option value is read. */
	H(setsockopt, T_SADDR | T_SOCKOPS, INT, 0, CTX, ANY, ANY, MEM, SZ),
	U(setsockopt, T_SOPT),
	H(skb_adjust_room, T_TC | T_SKSKB, INT, CHG, CTX, ANY, ANY, ANY),
	/* Takes a devmap, cpumap or xskmap. The low bits of the flags are
	 * the action returned when the lookup fails; the helper checks the
	 * rest at run time: to the verifier it returns any integer. */
	H(redirect_map, T_XDP, INT, 0, MAP, ANY, ANY),
	/* Redirects to the socket at a key of a sockmap or sockhash. */
	H(sk_redirect_map, T_SKSKB, INT, 0, CTX, MAP, ANY, ANY),
	/* Inserts the context's socket. */
	H(sock_map_update, T_SOCKOPS, INT, PKT, CTX, MAP, KEY, ANY),
	H(xdp_adjust_meta, T_XDP, INT, CHG, CTX, ANY),
	H(perf_event_read_value, T_ALL, INT, GPL, MAP, ANY, OUT, SZ),
	H(perf_prog_read_value, T_PE, INT, GPL, CTX, OUT, SZ),
	H(getsockopt, T_SADDR | T_SOCKOPS, INT, 0, CTX, ANY, ANY, OUT, SZ),
	U(getsockopt, T_SOPT),
	H(sock_ops_cb_flags_set, T_SOCKOPS, INT, 0, CTX, ANY),
	H(msg_redirect_map, T_SKMSG, INT, 0, CTX, MAP, ANY, ANY),
	H(msg_apply_bytes, T_SKMSG, INT, 0, CTX, ANY),
	H(msg_cork_bytes, T_SKMSG, INT, 0, CTX, ANY),
	H(msg_pull_data, T_SKMSG, INT, CHG, CTX, ANY, ANY, ANY),
	/* From connect hooks only (bvc_helper_attach_ok()). */
	H(bind, T_SADDR, INT, 0, CTX, MEM, SZ),
	/* override_return (58): needs CONFIG_BPF_KPROBE_OVERRIDE; refused
	 * by the kernel here. */
	H(xdp_adjust_tail, T_XDP, INT, CHG, CTX, ANY),
	H(skb_get_xfrm_state, T_TC, INT, 0, CTX, ANY, OUT, SZ, ANY),
	H(get_stack, T_KPROBE | T_TP | T_PE, INT, GPL, CTX, OUT, SZ0, ANY),
	H(get_stack, T_RAWTP, INT, GPL, CTX, MRW, SZ0, ANY),
	H(skb_load_bytes_relative, T_SKB | T_REUSE, INT, 0, CTX, ANY, OUT, SZ, ANY),
	H(fib_lookup, T_TC | T_XDP, INT, GPL, CTX, MRW, SZ, ANY),
	H(sock_hash_update, T_SOCKOPS, INT, PKT, CTX, MAP, KEY, ANY),
	H(msg_redirect_hash, T_SKMSG, INT, 0, CTX, MAP, KEY, ANY),
	H(sk_redirect_hash, T_SKSKB, INT, 0, CTX, MAP, KEY, ANY),
	/* Prepends a header: moves the packet data. */
	H(lwt_push_encap, T_LWTIN | T_LWTX, INT, CHG, CTX, ANY, MEM, SZ),
	H(skb_cgroup_id, T_TC | T_CGSKB, INT, 0, CTX),
	H(get_current_cgroup_id, T_ALL, INT, 0),
	/* The program's storage of that map type: never NULL, and the
	 * flags must be 0 (checked in the engine). */
	H(get_local_storage, T_CGSKB | T_CGRP, BVC_RET_MAP_VALUE, 0, MAP, ANY),
	H(sk_select_reuseport, T_REUSE, INT, 0, CTX, MAP, KEY, ANY),
	H(skb_ancestor_cgroup_id, T_TC | T_CGSKB, INT, 0, CTX, ANY),
	/* Socket lookups acquire a reference that sk_release gives back
	 * (the xdp and sock_addr variants have the same prototype). */
	H(sk_lookup_tcp, T_TC | T_XDP | T_CGSKB | T_SKSKB | T_SADDR, SOCK_NULL, PKT | ACQ, CTX, MEM, SZ0,
	  ANY, ANY),
	H(sk_lookup_udp, T_TC | T_XDP | T_CGSKB | T_SKSKB | T_SADDR, SOCK_NULL, PKT | ACQ, CTX, MEM, SZ0,
	  ANY, ANY),
	H(sk_release, T_TC | T_XDP | T_CGSKB | T_SKSKB | T_SADDR | T_SKLK, INT, 0, SKREL),
	/* Queue and stack maps (bloom filters are not supported map types):
	 * push reads a value, which may be in the packet; pop and peek fill
	 * one (MEM_UNINIT | MEM_WRITE), never in the packet. */
	H(map_push_elem, T_ALL, INT, PKT, MAP, VAL, ANY),
	H(map_pop_elem, T_ALL, INT, 0, MAP, BVC_ARG_MAP_VALUE_UNINIT),
	H(map_peek_elem, T_ALL, INT, 0, MAP, BVC_ARG_MAP_VALUE_UNINIT),
	H(msg_push_data, T_SKMSG, INT, CHG, CTX, ANY, ANY, ANY),
	H(msg_pop_data, T_SKMSG, INT, CHG, CTX, ANY, ANY, ANY),
	U(spin_lock, T_ALL),
	U(spin_unlock, T_ALL),
	/* Casts: the result shares the argument's reference. */
	H(sk_fullsock, T_TC | T_CGSKB, SOCK_NULL, CAST, SKC),
	H(tcp_sock, T_TC | T_CGSKB | T_SOPT | T_SOCKOPS, TCP_NULL, CAST, SKC),
	H(skb_ecn_set_ce, T_TC | T_CGSKB, INT, 0, CTX),
	/* A listener freed by RCU: no reference, not a cast. */
	H(get_listener_sock, T_TC | T_CGSKB, SOCK_NULL, 0, SKC),
	H(skc_lookup_tcp, T_TC | T_XDP | T_CGSKB | T_SKSKB | T_SADDR, SKC_NULL, PKT | ACQ, CTX, MEM, SZ0,
	  ANY, ANY),
	/* A socket, then the IP and TCP headers (read, packet or not). */
	H(tcp_check_syncookie, T_TC | T_XDP, INT, PKT | GPL, SKB, MEM, SZ, MEM, SZ),
	/* The name buffer is ARG_PTR_TO_MEM: initialised and writable. */
	H(sysctl_get_name, T_SYSCTL, INT, 0, CTX, MRW, SZ, ANY),
	H(sysctl_get_current_value, T_SYSCTL, INT, 0, CTX, OUT, SZ),
	H(sysctl_get_new_value, T_SYSCTL, INT, 0, CTX, OUT, SZ),
	H(sysctl_set_new_value, T_SYSCTL, INT, 0, CTX, MEM, SZ),
	H(strtol, T_ALL, INT, 0, MEM, SZ, ANY, P64),
	H(strtoul, T_ALL, INT, 0, MEM, SZ, ANY, P64),
	U(sk_storage_get, T_TC | T_CGSKB | T_SKMSG | T_SADDR | T_SOPT | T_CSOCK | T_SOCKOPS),
	U(sk_storage_delete, T_TC | T_CGSKB | T_SKMSG | T_SADDR | T_SOPT | T_SOCKOPS),
	H(send_signal, T_ALL, INT, 0, ANY),
	H(tcp_gen_syncookie, T_TC | T_XDP, INT, PKT | GPL, SKB, MEM, SZ, MEM, SZ),
	H(probe_read_user, T_ALL, INT, GPL, OUT, SZ0, ANY),
	H(probe_read_kernel, T_ALL, INT, GPL, OUT, SZ0, ANY),
	H(probe_read_user_str, T_ALL, INT, GPL, OUT, SZ0, ANY),
	H(probe_read_kernel_str, T_ALL, INT, GPL, OUT, SZ0, ANY),
	H(send_signal_thread, T_ALL, INT, 0, ANY),
	H(jiffies64, T_ALL, INT, 0),
	U(read_branch_records, T_PE),
	H(get_ns_current_pid_tgid, T_ALL, INT, 0, ANY, ANY, OUT, SZ),
	/* Its context argument may be NULL (ARG_PTR_TO_CTX_OR_NULL). */
	U(get_netns_cookie, T_SKB | T_SKMSG | T_SADDR | T_SOPT | T_CSOCK | T_SOCKOPS),
	H(get_current_ancestor_cgroup_id, T_ALL, INT, 0, ANY),
	/* tc assigns any socket, sk_lookup a full one or NULL. */
	H(sk_assign, T_TC, INT, 0, CTX, SKB, ANY),
	H(sk_assign, T_SKLK, INT, 0, CTX, SKN, ANY),
	H(ktime_get_boot_ns, T_ALL, INT, 0),
	H(sk_cgroup_id, T_CGSKB, INT, 0, SKB),
	H(sk_ancestor_cgroup_id, T_CGSKB, INT, 0, SKB, ANY),
	H(ringbuf_output, T_ALL, INT, 0, MAP, MEM, SZ0, ANY),
	/* The size must be a known constant; the record (or NULL) carries a
	 * reference that must be submitted or discarded on every path. */
	H(ringbuf_reserve, T_ALL, BVC_RET_ALLOC_MEM_OR_NULL, 0, MAP, ASZ, ANY),
	H(ringbuf_submit, T_ALL, BVC_RET_VOID, REL, RBM, ANY),
	H(ringbuf_discard, T_ALL, BVC_RET_VOID, REL, RBM, ANY),
	H(ringbuf_query, T_ALL, INT, 0, MAP, ANY),
	H(csum_level, T_TC | T_LWTX, INT, 0, CTX, ANY),
	U(skc_to_tcp6_sock, T_NET),
	U(skc_to_tcp_sock, T_NET),
	U(skc_to_tcp_timewait_sock, T_NET),
	U(skc_to_tcp_request_sock, T_NET),
	U(skc_to_udp6_sock, T_NET),
	U(get_task_stack, T_ALL),
	/* The buffer is written (MEM_WRITE); we also ask it initialised. */
	H(load_hdr_opt, T_SOCKOPS, INT, 0, CTX, MRW, SZ, ANY),
	H(store_hdr_opt, T_SOCKOPS, INT, CHG, CTX, MEM, SZ, ANY),
	H(reserve_hdr_opt, T_SOCKOPS, INT, 0, CTX, ANY, ANY),
	/* Sleepable only: the kernel refuses it in our (non-sleepable)
	 * programs after the type check. */
	U(copy_from_user, T_ALL),
	U(snprintf_btf, T_ALL),
	H(skb_cgroup_classid, T_TC, INT, 0, CTX),
	H(redirect_neigh, T_TC, INT, 0, ANY, MEM0, SZ0, ANY),
	U(per_cpu_ptr, T_ALL),
	U(this_cpu_ptr, T_ALL),
	H(redirect_peer, T_TC, INT, 0, ANY, ANY),
	U(task_storage_get, T_ALL),
	U(task_storage_delete, T_ALL),
	U(get_current_task_btf, T_ALL),
	H(ktime_get_coarse_ns, T_NET | T_CSOCK | T_SYSCTL | T_REUSE, INT, 0),
	H(check_mtu, T_TC | T_XDP, INT, GPL, CTX, ANY, P32, ANY, ANY),
	U(for_each_map_elem, T_ALL),
	/* Format strings checked at verification time. */
	U(snprintf, T_ALL),
	U(timer_init, T_ALL),
	U(timer_set_callback, T_ALL),
	U(timer_start, T_ALL),
	U(timer_cancel, T_ALL),
	/* kprobe only: the kernel refuses it for the other types when it
	 * checks the call (check_get_func_ip()). */
	H(get_func_ip, T_KPROBE, INT, GPL, CTX),
	U(get_func_ip, T_TP | T_RAWTP | T_PE),
	H(get_attach_cookie, T_TRACE, INT, 0, CTX),
	U(task_pt_regs, T_ALL),
	H(get_branch_snapshot, T_ALL, INT, GPL, OUT, SZ0),
	U(trace_vprintk, T_ALL),
	U(skc_to_unix_sock, T_NET),
	U(find_vma, T_ALL),
	U(loop, T_ALL),
	/* Its second string must be a constant in a read-only map. */
	U(strncmp, T_ALL),
	/* Not from hooks whose return value is ignored
	 * (bvc_helper_attach_ok()). */
	H(get_retval, T_CGRP, INT, 0),
	H(set_retval, T_CGRP, INT, 0, ANY),
	H(xdp_get_buff_len, T_XDP, INT, 0, CTX),
	H(xdp_load_bytes, T_XDP, INT, 0, CTX, ANY, OUT, SZ),
	/* Writes through the xdp_buff but does not move data: packet
	 * pointers stay valid (not in bpf_helper_changes_pkt_data()). */
	H(xdp_store_bytes, T_XDP, INT, 0, CTX, ANY, MEM, SZ),
	U(copy_from_user_task, T_ALL),
	H(skb_set_tstamp, T_TC, INT, 0, CTX, ANY, ANY),
	U(kptr_xchg, T_ALL),
	H(map_lookup_percpu_elem, T_ALL, BVC_RET_MAP_VALUE_OR_NULL, PKT, MAP, KEY, ANY),
	U(skc_to_mptcp_sock, T_NET),
	U(dynptr_from_mem, T_ALL),
	U(ringbuf_reserve_dynptr, T_ALL),
	U(ringbuf_submit_dynptr, T_ALL),
	U(ringbuf_discard_dynptr, T_ALL),
	U(dynptr_read, T_ALL),
	U(dynptr_write, T_ALL),
	U(dynptr_data, T_ALL),
	U(tcp_raw_gen_syncookie_ipv4, T_TC | T_XDP),
	U(tcp_raw_gen_syncookie_ipv6, T_TC | T_XDP),
	U(tcp_raw_check_syncookie_ipv4, T_TC | T_XDP),
	U(tcp_raw_check_syncookie_ipv6, T_TC | T_XDP),
	H(ktime_get_tai_ns, T_ALL, INT, 0),
	U(user_ringbuf_drain, T_ALL),
	U_ID(FUNC_CGRP_STORAGE_GET, T_ALL),
	U_ID(FUNC_CGRP_STORAGE_DELETE, T_ALL),
};

#define NR_ROWS (sizeof(rows) / sizeof(rows[0]))

/* Index of the first row of helper @id, or -1. */
static int first_row(int32_t id)
{
	size_t lo = 0, hi = NR_ROWS;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rows[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < NR_ROWS && rows[lo].id == id ? (int)lo : -1;
}

int bvc_helper_proto_get(int32_t id, uint32_t prog_type, const struct bvc_helper_proto **out)
{
	int i;

	if (id <= 0 || id >= BVC_HELPER_MAX_ID)
		return -ERANGE;
	if (!bvc_prog_type_supported(prog_type))
		return -EACCES;
	i = first_row(id);
	if (i < 0)
		return -EACCES;
	for (; (size_t)i < NR_ROWS && rows[i].id == id; i++) {
		if (!(rows[i].types & T(prog_type)))
			continue;
		if (!rows[i].modelled)
			return -EOPNOTSUPP;
		if (out)
			*out = &rows[i].proto;
		return 0;
	}
	return -EACCES;
}

/* Map-side restriction: may a map of @map_type go to helper @id at all?
 * Maps not listed here take any helper that takes a map. */
static bool map_allows(uint32_t map_type, int32_t id)
{
	switch (map_type) {
	case BPF_MAP_TYPE_PROG_ARRAY:
		return id == BPF_FUNC_tail_call;
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
		return id == BPF_FUNC_perf_event_read || id == BPF_FUNC_perf_event_output ||
		       id == BPF_FUNC_skb_output || id == BPF_FUNC_perf_event_read_value ||
		       id == BPF_FUNC_xdp_output;
	case BPF_MAP_TYPE_RINGBUF:
		return id == BPF_FUNC_ringbuf_output || id == BPF_FUNC_ringbuf_reserve ||
		       id == BPF_FUNC_ringbuf_query || id == BPF_FUNC_ringbuf_reserve_dynptr ||
		       id == BPF_FUNC_ringbuf_submit_dynptr ||
		       id == BPF_FUNC_ringbuf_discard_dynptr;
	case BPF_MAP_TYPE_USER_RINGBUF:
		return id == BPF_FUNC_user_ringbuf_drain;
	case BPF_MAP_TYPE_STACK_TRACE:
		return id == BPF_FUNC_get_stackid;
	case BPF_MAP_TYPE_CGROUP_ARRAY:
		return id == BPF_FUNC_skb_under_cgroup || id == BPF_FUNC_current_task_under_cgroup;
	case BPF_MAP_TYPE_CGROUP_STORAGE:
	case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
		return id == BPF_FUNC_get_local_storage;
	case BPF_MAP_TYPE_DEVMAP:
	case BPF_MAP_TYPE_DEVMAP_HASH:
	case BPF_MAP_TYPE_XSKMAP:
		return id == BPF_FUNC_redirect_map || id == BPF_FUNC_map_lookup_elem;
	case BPF_MAP_TYPE_CPUMAP:
		return id == BPF_FUNC_redirect_map;
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
		return id == BPF_FUNC_map_lookup_elem;
	case BPF_MAP_TYPE_SOCKMAP:
		/* Updates from programs depend on the program type in the
		 * kernel (may_update_sockmap()); we refuse them. */
		return id == BPF_FUNC_sk_redirect_map || id == BPF_FUNC_sock_map_update ||
		       id == BPF_FUNC_msg_redirect_map || id == BPF_FUNC_sk_select_reuseport ||
		       id == BPF_FUNC_map_lookup_elem;
	case BPF_MAP_TYPE_SOCKHASH:
		return id == BPF_FUNC_sk_redirect_hash || id == BPF_FUNC_sock_hash_update ||
		       id == BPF_FUNC_msg_redirect_hash || id == BPF_FUNC_sk_select_reuseport ||
		       id == BPF_FUNC_map_lookup_elem;
	case BPF_MAP_TYPE_REUSEPORT_SOCKARRAY:
		return id == BPF_FUNC_sk_select_reuseport;
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
		return id == BPF_FUNC_map_peek_elem || id == BPF_FUNC_map_pop_elem ||
		       id == BPF_FUNC_map_push_elem;
	case BPF_MAP_TYPE_SK_STORAGE:
		return id == BPF_FUNC_sk_storage_get || id == BPF_FUNC_sk_storage_delete ||
		       id == BPF_FUNC_kptr_xchg;
	case BPF_MAP_TYPE_INODE_STORAGE:
		return id == BPF_FUNC_inode_storage_get || id == BPF_FUNC_inode_storage_delete ||
		       id == BPF_FUNC_kptr_xchg;
	case BPF_MAP_TYPE_TASK_STORAGE:
		return id == BPF_FUNC_task_storage_get || id == BPF_FUNC_task_storage_delete ||
		       id == BPF_FUNC_kptr_xchg;
	case MAP_TYPE_CGRP_STORAGE:
		return id == FUNC_CGRP_STORAGE_GET || id == FUNC_CGRP_STORAGE_DELETE ||
		       id == BPF_FUNC_kptr_xchg;
	case BPF_MAP_TYPE_BLOOM_FILTER:
		return id == BPF_FUNC_map_peek_elem || id == BPF_FUNC_map_push_elem;
	default:
		return true;
	}
}

/* Helper-side restriction: which map types helper @id takes. Helpers not
 * listed take any map type the map side allows. */
static bool func_allows(int32_t id, uint32_t map_type)
{
	switch (id) {
	case BPF_FUNC_tail_call:
		return map_type == BPF_MAP_TYPE_PROG_ARRAY;
	case BPF_FUNC_perf_event_read:
	case BPF_FUNC_perf_event_output:
	case BPF_FUNC_perf_event_read_value:
	case BPF_FUNC_skb_output:
	case BPF_FUNC_xdp_output:
		return map_type == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
	case BPF_FUNC_ringbuf_output:
	case BPF_FUNC_ringbuf_reserve:
	case BPF_FUNC_ringbuf_query:
	case BPF_FUNC_ringbuf_reserve_dynptr:
	case BPF_FUNC_ringbuf_submit_dynptr:
	case BPF_FUNC_ringbuf_discard_dynptr:
		return map_type == BPF_MAP_TYPE_RINGBUF;
	case BPF_FUNC_user_ringbuf_drain:
		return map_type == BPF_MAP_TYPE_USER_RINGBUF;
	case BPF_FUNC_get_stackid:
		return map_type == BPF_MAP_TYPE_STACK_TRACE;
	case BPF_FUNC_current_task_under_cgroup:
	case BPF_FUNC_skb_under_cgroup:
		return map_type == BPF_MAP_TYPE_CGROUP_ARRAY;
	case BPF_FUNC_redirect_map:
		return map_type == BPF_MAP_TYPE_DEVMAP || map_type == BPF_MAP_TYPE_DEVMAP_HASH ||
		       map_type == BPF_MAP_TYPE_CPUMAP || map_type == BPF_MAP_TYPE_XSKMAP;
	case BPF_FUNC_sk_redirect_map:
	case BPF_FUNC_msg_redirect_map:
	case BPF_FUNC_sock_map_update:
		return map_type == BPF_MAP_TYPE_SOCKMAP;
	case BPF_FUNC_sk_redirect_hash:
	case BPF_FUNC_msg_redirect_hash:
	case BPF_FUNC_sock_hash_update:
		return map_type == BPF_MAP_TYPE_SOCKHASH;
	case BPF_FUNC_get_local_storage:
		return map_type == BPF_MAP_TYPE_CGROUP_STORAGE ||
		       map_type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
	case BPF_FUNC_sk_select_reuseport:
		return map_type == BPF_MAP_TYPE_REUSEPORT_SOCKARRAY ||
		       map_type == BPF_MAP_TYPE_SOCKMAP || map_type == BPF_MAP_TYPE_SOCKHASH;
	case BPF_FUNC_map_pop_elem:
		return map_type == BPF_MAP_TYPE_QUEUE || map_type == BPF_MAP_TYPE_STACK;
	case BPF_FUNC_map_peek_elem:
	case BPF_FUNC_map_push_elem:
		return map_type == BPF_MAP_TYPE_QUEUE || map_type == BPF_MAP_TYPE_STACK ||
		       map_type == BPF_MAP_TYPE_BLOOM_FILTER;
	case BPF_FUNC_map_lookup_percpu_elem:
		return map_type == BPF_MAP_TYPE_PERCPU_ARRAY ||
		       map_type == BPF_MAP_TYPE_PERCPU_HASH ||
		       map_type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	case BPF_FUNC_sk_storage_get:
	case BPF_FUNC_sk_storage_delete:
		return map_type == BPF_MAP_TYPE_SK_STORAGE;
	case BPF_FUNC_inode_storage_get:
	case BPF_FUNC_inode_storage_delete:
		return map_type == BPF_MAP_TYPE_INODE_STORAGE;
	case BPF_FUNC_task_storage_get:
	case BPF_FUNC_task_storage_delete:
		return map_type == BPF_MAP_TYPE_TASK_STORAGE;
	case FUNC_CGRP_STORAGE_GET:
	case FUNC_CGRP_STORAGE_DELETE:
		return map_type == MAP_TYPE_CGRP_STORAGE;
	default:
		return true;
	}
}

bool bvc_map_func_compatible(uint32_t map_type, int32_t helper_id)
{
	/* The kernel checks both ways: a map that serves only some helpers,
	 * and a helper that serves only some maps. */
	return map_allows(map_type, helper_id) && func_allows(helper_id, map_type);
}

bool bvc_map_type_supported(uint32_t map_type)
{
	switch (map_type) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PROG_ARRAY:
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_RINGBUF:
	/* As redirect targets only: a lookup yields a socket, which the
	 * engine refuses as unsupported (a reuseport array takes no lookup
	 * at all). */
	case BPF_MAP_TYPE_SOCKMAP:
	case BPF_MAP_TYPE_SOCKHASH:
	case BPF_MAP_TYPE_REUSEPORT_SOCKARRAY:
	/* Only bpf_get_stackid takes one (map_allows); no lookup, no
	 * direct value access: nothing of its value reaches the program. */
	case BPF_MAP_TYPE_STACK_TRACE:
	/* Keys (prefix length, then the bytes) and values as a hash's. */
	case BPF_MAP_TYPE_LPM_TRIE:
	/* Through push, pop and peek only (value-sized copies). */
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
	/* Through bpf_get_local_storage only: a value pointer of value_size
	 * bytes, one storage of each kind per program (load.c). */
	case BPF_MAP_TYPE_CGROUP_STORAGE:
	case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
	/* As bpf_redirect_map targets. A devmap lookup returns its value,
	 * read-only to the program (mem.c); an xskmap's an XDP socket,
	 * refused as unsupported by the engine. */
	case BPF_MAP_TYPE_DEVMAP:
	case BPF_MAP_TYPE_DEVMAP_HASH:
	case BPF_MAP_TYPE_CPUMAP:
	case BPF_MAP_TYPE_XSKMAP:
	/* A lookup gives, after its NULL check, a pointer to a map shaped
	 * as the inner template (bvc_inner_map_ok()). */
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
		return true;
	default:
		return false;
	}
}

bool bvc_inner_map_ok(const struct bvc_image *img, uint32_t idx)
{
	const struct bvc_map *outer = &img->maps[idx], *inner;

	if (outer->type != BPF_MAP_TYPE_ARRAY_OF_MAPS && outer->type != BPF_MAP_TYPE_HASH_OF_MAPS)
		return true;
	if (!outer->has_inner || outer->inner_idx >= img->map_cnt)
		return false;
	inner = &img->maps[outer->inner_idx];
	if (inner->special_field[0])
		return false;
	/* The hash and array kinds and ring buffers: maps whose helpers and
	 * values bpfvc models, and that the kernel takes as inner maps. */
	switch (inner->type) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_RINGBUF:
		return true;
	default:
		return false;
	}
}

bool bvc_helper_attach_ok(int32_t id, uint32_t prog_type, uint32_t eat)
{
	eat = bvc_prog_attach_fixup(prog_type, eat);
	switch (id) {
	case BPF_FUNC_bind:
		/* Binding first only makes sense before a connect. */
		return prog_type != BPF_PROG_TYPE_CGROUP_SOCK_ADDR ||
		       eat == BVC_ATTACH_INET4_CONNECT || eat == BVC_ATTACH_INET6_CONNECT;
	case BPF_FUNC_get_retval:
	case BPF_FUNC_set_retval:
		/* Hooks that cannot fail the syscall have no return value to
		 * read or set. The kernel goes by the attach type alone, for
		 * every cgroup program type (cgroup_device loaded with attach
		 * type 0 has none either). */
		switch (eat) {
		case BVC_ATTACH_CGROUP_INET_INGRESS:
		case BVC_ATTACH_CGROUP_INET_EGRESS:
		case BVC_ATTACH_CGROUP_SOCK_OPS:
		case BVC_ATTACH_UDP4_RECVMSG:
		case BVC_ATTACH_UDP6_RECVMSG:
		case BVC_ATTACH_UNIX_RECVMSG:
		case BVC_ATTACH_INET4_GETPEERNAME:
		case BVC_ATTACH_INET6_GETPEERNAME:
		case BVC_ATTACH_UNIX_GETPEERNAME:
		case BVC_ATTACH_INET4_GETSOCKNAME:
		case BVC_ATTACH_INET6_GETSOCKNAME:
		case BVC_ATTACH_UNIX_GETSOCKNAME:
			return false;
		default:
			return true;
		}
	case BPF_FUNC_setsockopt:
	case BPF_FUNC_getsockopt:
		if (prog_type == BPF_PROG_TYPE_CGROUP_SOCKOPT)
			return eat == BVC_ATTACH_CGROUP_SETSOCKOPT;
		/* sock_addr: every hook (6.12 leaves out the unix getname
		 * ones; 6.18, which we are checked against, offers them). */
		return true;
	default:
		return true;
	}
}

bool bvc_sockmap_may_update(uint32_t prog_type)
{
	/* sock_ops may only delete: the engine refuses every update as
	 * unsupported anyway. */
	return (T(prog_type) & (T_SOCKF | T_TC | T_XDP | T_SKLK | T_SOCKOPS | T_FLOW | T_REUSE)) != 0;
}
