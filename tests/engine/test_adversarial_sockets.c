// SPDX-License-Identifier: MIT
/*
 * Adversarial cases for issue #15's section 2 (sockets task): socket
 * pointers (the kernel's PTR_TO_SOCK_COMMON, PTR_TO_SOCKET,
 * PTR_TO_TCP_SOCK and their _OR_NULL forms) from __sk_buff->sk and the
 * lookup helpers, the fields readable through them, and the references
 * the lookups acquire: NULL checks, releases, leaks, casts sharing a
 * reference. Each case carries bpfvc's verdict (adversarial.h), checked
 * against Linux 6.18.44 when written.
 *
 * The driver (and ADV_VERBOSE, ADV_LOG) is adversarial.c's.
 */
#include <criterion/criterion.h>

#include "adversarial.h"
#include "bpfvc/verifier.h"
#include "common/insns.h"

#define SOCKF 1
#define TC 3
#define XDP 6
#define CGSKB 8

#define SK_LOOKUP_TCP 84
#define SK_LOOKUP_UDP 85
#define SK_RELEASE 86
#define SK_FULLSOCK 95
#define TCP_SOCK 96
#define GET_LISTENER_SOCK 98
#define SKC_LOOKUP_TCP 99
#define TCP_CHECK_SYNCOOKIE 100
#define TCP_GEN_SYNCOOKIE 110
#define SK_ASSIGN 124
#define SK_CGROUP_ID 128
#define SK_ANCESTOR_CGROUP_ID 129
#define SKLOOKUP 30 /* loaded as BPF_SK_LOOKUP (adversarial.c) */
#define SOCKOPS 13
#define SKMSG 16
#define SADDR 18   /* loaded as connect4 (adversarial.c) */
#define REUSEPORT 21
#define SOCKOPT 25 /* loaded as getsockopt (adversarial.c) */
#define RET1 I_MOV64_IMM(0, 1), I_EXIT()

#define RET0 I_MOV64_IMM(0, 0), I_EXIT()
/* r1 = skb->sk (sock_common or NULL); ctx in r1. */
#define SKB_SK(r) I_LDX(BVC_DW, r, 1, 168)
/* r1 = skb->sk; if r1 == 0 return 0 */
#define SKB_SK_CHECKED SKB_SK(1), I_JMP_IMM(BVC_JNE, 1, 0, 2), RET0
/* ctx kept in r6, a zeroed 16-byte tuple at fp-16. */
#define PROLOGUE I_MOV64_REG(6, 1), I_ST(BVC_DW, 10, -16, 0), I_ST(BVC_DW, 10, -8, 0)
/* r0 = fn(ctx, fp-16, 12, 0, 0) */
#define LOOKUP(fn) \
	I_MOV64_REG(1, 6), I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -16), I_MOV64_IMM(3, 12), \
	I_MOV64_IMM(4, 0), I_MOV64_IMM(5, 0), I_CALL(fn)
/* r7 = lookup; if r7 == 0 return 0 */
#define LOOKUP_CHECKED(fn) LOOKUP(fn), I_MOV64_REG(7, 0), I_JMP_IMM(BVC_JNE, 7, 0, 2), RET0
#define RELEASE(r) I_MOV64_REG(1, r), I_CALL(SK_RELEASE)
/* r0 = map_lookup_elem(sockmap, &(u32){0}) */
#define SOCKMAP_LOOKUP \
	I_ST(BVC_W, 10, -4, 0), I_LD_IMM64_LO(1, BVC_PSEUDO_MAP_IDX, ADV_MAP_SOCKMAP), I_LD_IMM64_HI(0), \
	I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -4), I_CALL(1)

/* skb->sk checked, then one load of @sz at @off through it. */
#define SK_READ(name, sz, off, expect, note) \
	{ name, TC, 0, PROG(SKB_SK_CHECKED, I_LDX(sz, 0, 1, off), RET0), expect, note }
/* A held socket's fullsock checked, one load through it, released. */
#define FULL_READ(name, sz, off, expect, note) \
	{ name, TC, 0, PROG(PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_MOV64_REG(1, 7), \
		I_CALL(SK_FULLSOCK), I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_LDX(sz, 2, 0, off), \
		RELEASE(7), RET0), expect, note }
/* skb->sk's tcp_sock checked, one load through it. */
#define TCP_READ(name, sz, off, expect, note) \
	{ name, TC, 0, PROG(SKB_SK_CHECKED, I_CALL(TCP_SOCK), I_JMP_IMM(BVC_JEQ, 0, 0, 1), \
		I_LDX(sz, 0, 0, off), RET0), expect, note }

static const struct adv_case cases[] = {
	/* ---------------------------------------------------------------
	 * __sk_buff->sk: sock_common or NULL, 8-byte reads only
	 * --------------------------------------------------------------- */
	SK_READ("skb-sk-family", BVC_W, 4, ACC, "a NULL-checked sk reads family"),
	{ "skb-sk-no-null-check", TC, 0, PROG(
		SKB_SK(1), I_LDX(BVC_W, 0, 1, 4), RET0), REJ, "sk may be NULL" },
	{ "skb-sk-narrow", TC, 0, PROG(
		I_LDX(BVC_W, 0, 1, 168), RET0), REJ, "skb->sk is read whole" },
	{ "skb-sk-write", TC, 0, PROG(
		I_STX(BVC_DW, 1, 1, 168), RET0), REJ, "skb->sk is read-only" },
	{ "skb-sk-cgskb", CGSKB, 0, PROG(
		SKB_SK_CHECKED, I_LDX(BVC_W, 0, 1, 72), I_MOV64_IMM(0, 1), I_EXIT()), ACC,
	  "cgroup_skb reads sk->state" },
	{ "skb-sk-socket-filter", SOCKF, 0, PROG(
		SKB_SK_CHECKED, I_LDX(BVC_W, 0, 1, 4), RET0), ACC, "socket filters read skb->sk too" },
	{ "skb-sk-copy-checked", TC, 0, PROG(
		SKB_SK(2), I_MOV64_REG(3, 2), I_JMP_IMM(BVC_JEQ, 2, 0, 1), I_LDX(BVC_W, 0, 3, 4),
		RET0), ACC, "the NULL check of a copy makes the other non-NULL" },
	{ "skb-sk-null-branch", TC, 0, PROG(
		SKB_SK(2), I_JMP_IMM(BVC_JNE, 2, 0, 1), I_LDX(BVC_W, 0, 2, 4),
		RET0), REJ, "the NULL branch holds a scalar" },

	/* ---------------------------------------------------------------
	 * What a sock_common offers (bpf_sock less type..priority)
	 * --------------------------------------------------------------- */
	SK_READ("skc-bound-dev-if", BVC_W, 0, ACC, "bound_dev_if, whole word"),
	SK_READ("skc-bound-dev-if-narrow", BVC_H, 0, REJ, "bound_dev_if is not read narrow"),
	SK_READ("skc-family-byte", BVC_B, 4, ACC, "family's first byte"),
	SK_READ("skc-family-second-byte", BVC_B, 5, REJ, "only the first byte of family"),
	SK_READ("skc-type", BVC_W, 8, REJ, "type is a full socket's"),
	SK_READ("skc-protocol", BVC_W, 12, REJ, "protocol is a full socket's"),
	SK_READ("skc-mark", BVC_W, 16, REJ, "mark is a full socket's"),
	SK_READ("skc-priority", BVC_W, 20, REJ, "priority is a full socket's"),
	SK_READ("skc-src-ip4-byte", BVC_B, 27, ACC, "address words read narrow anywhere"),
	SK_READ("skc-src-ip6-half", BVC_H, 42, ACC, "src_ip6[3]'s upper half"),
	SK_READ("skc-dst-port", BVC_H, 48, ACC, "the 2-byte port"),
	SK_READ("skc-dst-port-word", BVC_W, 48, ACC, "the port's word"),
	SK_READ("skc-dst-port-pad", BVC_H, 50, REJ, "the port's padding alone"),
	SK_READ("skc-dst-port-byte1", BVC_B, 49, ACC, "the port's second byte"),
	SK_READ("skc-state", BVC_W, 72, ACC, "state"),
	SK_READ("skc-state-byte2", BVC_B, 74, REJ, "state's third byte"),
	SK_READ("skc-rx-queue", BVC_W, 76, ACC, "rx_queue_mapping"),
	SK_READ("skc-past-end", BVC_W, 80, REJ, "past struct bpf_sock"),
	SK_READ("skc-dw", BVC_DW, 24, REJ, "no 8-byte reads"),
	SK_READ("skc-misaligned", BVC_W, 26, REJ, "reads are naturally aligned"),
	{ "skc-negative", TC, 0, PROG(
		SKB_SK_CHECKED, I_LDX(BVC_W, 0, 1, -4), RET0), REJ, "before the socket" },
	{ "skc-write", TC, 0, PROG(
		SKB_SK_CHECKED, I_ST(BVC_W, 1, 16, 0), RET0), REJ, "sockets are read-only" },
	{ "skc-write-reg", TC, 0, PROG(
		SKB_SK_CHECKED, I_MOV64_IMM(2, 0), I_STX(BVC_W, 1, 2, 4), RET0), REJ, "sockets are read-only" },
	{ "skc-atomic", TC, 0, PROG(
		SKB_SK_CHECKED, I_MOV64_IMM(2, 1), I_RAW(BVC_STX | BVC_ATOMIC | BVC_W, 1, 2, 0, BVC_ADD),
		RET0), REJ, "no atomics on a socket" },
	{ "skc-arith", TC, 0, PROG(
		SKB_SK_CHECKED, I_ALU64_IMM(BVC_ADD, 1, 4), I_LDX(BVC_W, 0, 1, 0), RET0), REJ,
	  "no pointer arithmetic on a socket" },
	{ "skc-arith-zero", TC, 0, PROG(
		SKB_SK_CHECKED, I_ALU64_IMM(BVC_ADD, 1, 0), RET0), REJ,
	  "not even adding 0" },
	{ "skc-arith-or-null", TC, 0, PROG(
		SKB_SK(1), I_ALU64_IMM(BVC_ADD, 1, 4), RET0), REJ, "nor before the NULL check" },
	{ "skc-spill-fill", TC, 0, PROG(
		SKB_SK(1), I_STX(BVC_DW, 10, 1, -8), I_LDX(BVC_DW, 2, 10, -8),
		I_JMP_IMM(BVC_JEQ, 2, 0, 1), I_LDX(BVC_W, 0, 2, 4), RET0), ACC,
	  "a spilled socket comes back as itself" },

	/* ---------------------------------------------------------------
	 * Casts: sk_fullsock, tcp_sock, get_listener_sock
	 * --------------------------------------------------------------- */
	{ "fullsock-type", TC, 0, PROG(
		SKB_SK_CHECKED, I_CALL(SK_FULLSOCK), I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_LDX(BVC_W, 0, 0, 8),
		RET0), ACC, "a full socket reads type" },
	{ "fullsock-unchecked", TC, 0, PROG(
		SKB_SK_CHECKED, I_CALL(SK_FULLSOCK), I_LDX(BVC_W, 0, 0, 8), RET0), REJ,
	  "sk_fullsock may return NULL" },
	{ "fullsock-of-null", TC, 0, PROG(
		SKB_SK(1), I_CALL(SK_FULLSOCK), RET0), REJ, "its argument must not be NULL" },
	{ "fullsock-of-ctx", TC, 0, PROG(
		I_CALL(SK_FULLSOCK), RET0), REJ, "its argument is a socket" },
	{ "fullsock-xdp", XDP, 0, PROG(
		I_MOV64_IMM(1, 0), I_CALL(SK_FULLSOCK), RET0), REJ, "xdp has no sk_fullsock" },
	FULL_READ("fullsock-mark", BVC_W, 16, ACC, "mark of a full socket"),
	FULL_READ("fullsock-priority-narrow", BVC_B, 20, REJ, "priority is read whole"),
	{ "tcp-sock-write", TC, 0, PROG(
		SKB_SK_CHECKED, I_CALL(TCP_SOCK), I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_ST(BVC_W, 0, 0, 1),
		RET0), REJ, "a tcp_sock is read-only" },
	TCP_READ("tcp-snd-cwnd", BVC_W, 0, ACC, "snd_cwnd"),
	TCP_READ("tcp-snd-cwnd-narrow", BVC_B, 0, REJ, "tcp_sock fields are read whole"),
	TCP_READ("tcp-bytes-received", BVC_DW, 80, ACC, "the u64 counters, 8 bytes"),
	TCP_READ("tcp-bytes-acked-half", BVC_W, 88, REJ, "the u64 counters, not 4 bytes"),
	TCP_READ("tcp-bytes-received-upper", BVC_W, 84, REJ,
		 "the upper half of a u64 counter: no field to rewrite to"),
	TCP_READ("tcp-dsack-dups", BVC_W, 96, ACC, "the u32 after the counters"),
	TCP_READ("tcp-icsk-retransmits", BVC_W, 108, ACC, "the last field"),
	TCP_READ("tcp-past-end", BVC_W, 112, REJ, "past struct bpf_tcp_sock"),
	{ "tcp-sock-unchecked", TC, 0, PROG(
		SKB_SK_CHECKED, I_CALL(TCP_SOCK), I_LDX(BVC_W, 0, 0, 0), RET0), REJ,
	  "bpf_tcp_sock may return NULL" },
	{ "tcp-sock-of-tcp-sock", TC, 0, PROG(
		SKB_SK_CHECKED, I_CALL(TCP_SOCK), I_JMP_IMM(BVC_JEQ, 0, 0, 4), I_MOV64_REG(1, 0),
		I_CALL(TCP_SOCK), I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_LDX(BVC_W, 0, 0, 4), RET0), ACC,
	  "a tcp_sock is a socket argument too" },
	{ "listener-release", TC, 0, PROG(
		SKB_SK_CHECKED, I_CALL(GET_LISTENER_SOCK), I_JMP_IMM(BVC_JEQ, 0, 0, 2), I_MOV64_REG(1, 0),
		I_CALL(SK_RELEASE), RET0), REJ, "a listener holds no reference to release" },
	{ "listener-read", TC, 0, PROG(
		SKB_SK_CHECKED, I_CALL(GET_LISTENER_SOCK), I_JMP_IMM(BVC_JEQ, 0, 0, 1),
		I_LDX(BVC_W, 0, 0, 12), RET0), ACC, "a listener is a full socket" },

	/* ---------------------------------------------------------------
	 * References: lookups acquire, sk_release gives back
	 * --------------------------------------------------------------- */
	{ "lookup-release", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), RELEASE(7), RET0), ACC,
	  "released on the non-NULL branch, nothing held on the NULL one" },
	{ "lookup-udp-release", CGSKB, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_UDP), RELEASE(7), I_MOV64_IMM(0, 1), I_EXIT()), ACC,
	  "cgroup_skb looks up too" },
	{ "lookup-xdp", XDP, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), RELEASE(7), RET0), ACC, "xdp's lookup" },
	{ "lookup-socket-filter", SOCKF, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), RELEASE(7), RET0), REJ,
	  "socket filters have no lookup" },
	{ "lookup-leak", TC, 0, PROG(
		PROLOGUE, LOOKUP(SK_LOOKUP_TCP), RET0), REJ, "an unchecked, unreleased reference" },
	{ "lookup-leak-after-check", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), RET0), REJ, "the non-NULL branch leaks it" },
	{ "lookup-release-unchecked", TC, 0, PROG(
		PROLOGUE, LOOKUP(SK_LOOKUP_TCP), RELEASE(0), RET0), REJ,
	  "sk_release needs a non-NULL socket" },
	{ "lookup-double-release", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), RELEASE(7), RELEASE(7), RET0), REJ,
	  "released twice" },
	{ "lookup-use-after-release", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), RELEASE(7), I_LDX(BVC_W, 0, 7, 4), RET0), REJ,
	  "the socket is gone after its release" },
	{ "release-skb-sk", TC, 0, PROG(
		SKB_SK_CHECKED, I_CALL(SK_RELEASE), RET0), REJ, "skb->sk was not acquired" },
	{ "release-scalar", TC, 0, PROG(
		I_MOV64_IMM(1, 0), I_CALL(SK_RELEASE), RET0), REJ, "NULL is not a socket" },
	{ "lookup-overwritten", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_MOV64_IMM(7, 0), RET0), REJ,
	  "losing the pointer does not release it" },
	{ "lookup-arith", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_ALU64_IMM(BVC_ADD, 7, 8), RELEASE(7), RET0), REJ,
	  "no arithmetic on a held socket" },
	{ "lookup-read-release", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_LDX(BVC_W, 8, 7, 8), RELEASE(7), RET0), ACC,
	  "a looked-up socket is a full one (reads type)" },
	{ "lookup-spill-release", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_STX(BVC_DW, 10, 7, -24), I_MOV64_IMM(7, 0),
		I_LDX(BVC_DW, 1, 10, -24), I_CALL(SK_RELEASE), RET0), ACC,
	  "a spilled reference comes back and is released" },
	{ "lookup-two-release-one", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), LOOKUP(SK_LOOKUP_UDP), I_JMP_IMM(BVC_JEQ, 0, 0, 2),
		RELEASE(0), RELEASE(7), RET0), ACC, "two references, both released" },
	{ "lookup-two-leak-one", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), LOOKUP(SK_LOOKUP_UDP), I_JMP_IMM(BVC_JEQ, 0, 0, 1),
		I_MOV64_IMM(0, 0), RELEASE(7), RET0), REJ, "the second one leaks" },
	{ "lookup-tail-call", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_MOV64_REG(1, 6),
		I_LD_IMM64_LO(2, BVC_PSEUDO_MAP_IDX, ADV_MAP_PROGS), I_LD_IMM64_HI(0), I_MOV64_IMM(3, 0),
		I_CALL(12), RELEASE(7), RET0), REJ, "a tail call would leak the reference" },
	{ "lookup-ld-abs-held", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_RAW(BVC_LD | BVC_ABS | BVC_B, 0, 0, 0, 0),
		RELEASE(7), RET0), REJ, "LD_ABS cannot be mixed with socket references" },
	{ "skc-lookup-type", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SKC_LOOKUP_TCP), I_LDX(BVC_W, 8, 7, 8), RELEASE(7), RET0), REJ,
	  "skc_lookup gives a sock_common: no type" },
	{ "skc-lookup-family", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SKC_LOOKUP_TCP), I_LDX(BVC_W, 8, 7, 4), RELEASE(7), RET0), ACC,
	  "skc_lookup's family, then released" },
	{ "lookup-uninit-tuple", TC, 0, PROG(
		I_MOV64_REG(6, 1), LOOKUP(SK_LOOKUP_TCP), I_JMP_IMM(BVC_JEQ, 0, 0, 2), RELEASE(0), RET0), ACC,
	  "a never-written tuple: privileged programs may read such stack" },
	{ "lookup-no-ctx", TC, 0, PROG(
		I_ST(BVC_DW, 10, -16, 0), I_ST(BVC_DW, 10, -8, 0), I_MOV64_IMM(6, 0), LOOKUP(SK_LOOKUP_TCP),
		I_JMP_IMM(BVC_JEQ, 0, 0, 2), RELEASE(0), RET0), REJ, "the first argument is the context" },
	{ "lookup-tuple-size-var", TC, 0, PROG(
		PROLOGUE, I_MOV64_REG(1, 6), I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -16),
		I_LDX(BVC_W, 3, 6, 0), I_MOV64_IMM(4, 0), I_MOV64_IMM(5, 0), I_CALL(SK_LOOKUP_TCP),
		I_JMP_IMM(BVC_JEQ, 0, 0, 1), RELEASE(0), RET0), REJ, "an unbounded tuple size" },

	/* Casts of a held socket share its reference. */
	{ "fullsock-release-cast", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_MOV64_REG(1, 7), I_CALL(TCP_SOCK),
		I_JMP_IMM(BVC_JNE, 0, 0, 4), RELEASE(7), RET0, RELEASE(0), RET0), ACC,
	  "releasing the tcp_sock releases the socket" },
	{ "cast-null-leaks", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_MOV64_REG(1, 7), I_CALL(SK_FULLSOCK),
		I_JMP_IMM(BVC_JNE, 0, 0, 2), RET0, RELEASE(7), RET0), REJ,
	  "a NULL cast does not release the socket it came from" },
	{ "cast-used-after-release", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_MOV64_REG(1, 7), I_CALL(TCP_SOCK),
		I_MOV64_REG(8, 0), RELEASE(7), I_JMP_IMM(BVC_JEQ, 8, 0, 1), I_LDX(BVC_W, 0, 8, 0), RET0), REJ,
	  "the cast dies with the socket" },
	{ "release-cast-twice", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_MOV64_REG(1, 7), I_CALL(SK_FULLSOCK),
		I_JMP_IMM(BVC_JEQ, 0, 0, 2), I_MOV64_REG(1, 0), I_CALL(SK_RELEASE), RELEASE(7), RET0), REJ,
	  "the cast and its socket are one reference" },
	{ "one-ref-arg", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_MOV64_REG(1, 7), I_MOV64_IMM(2, 0), I_CALL(23),
		RELEASE(7), RET0), ACC, "a held socket as a plain argument (redirect's ifindex)" },
	{ "two-ref-args", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_MOV64_REG(1, 7), I_MOV64_REG(2, 7), I_CALL(23),
		RELEASE(7), RET0), ACC,
	  "two plain arguments holding one reference (6.12 refused; 6.18 does not)" },

	/* ---------------------------------------------------------------
	 * A sockmap's element: a referenced socket once NULL-checked
	 * --------------------------------------------------------------- */
	{ "sockmap-lookup-release", TC, 0, PROG(
		SOCKMAP_LOOKUP, I_JMP_IMM(BVC_JEQ, 0, 0, 3), I_LDX(BVC_W, 2, 0, 8), RELEASE(0), RET0), ACC,
	  "looked up, read as a full socket, released" },
	{ "sockmap-lookup-leak", TC, 0, PROG(
		SOCKMAP_LOOKUP, RET0), REJ, "the element holds a reference" },
	{ "sockmap-lookup-unchecked", TC, 0, PROG(
		SOCKMAP_LOOKUP, I_LDX(BVC_W, 2, 0, 8), I_JMP_IMM(BVC_JEQ, 0, 0, 2), RELEASE(0), RET0), REJ,
	  "a map value or NULL until checked" },
	{ "sockmap-lookup-write", TC, 0, PROG(
		SOCKMAP_LOOKUP, I_JMP_IMM(BVC_JEQ, 0, 0, 3), I_ST(BVC_W, 0, 0, 0), RELEASE(0), RET0), REJ,
	  "a socket, not a writable value" },
	{ "sockmap-lookup-release-twice", TC, 0, PROG(
		SOCKMAP_LOOKUP, I_JMP_IMM(BVC_JEQ, 0, 0, 5), I_MOV64_REG(7, 0), RELEASE(7), RELEASE(7),
		RET0), REJ, "released twice" },
	{ "sockmap-lookup-release-unchecked", TC, 0, PROG(
		SOCKMAP_LOOKUP, RELEASE(0), RET0), REJ, "a map value or NULL is not a socket" },
	{ "sockmap-lookup-kprobe", 2, 0, PROG(
		SOCKMAP_LOOKUP, I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_LDX(BVC_W, 2, 0, 4), RET0), REJ,
	  "kprobes have no sk_release: the reference leaks" },
	{ "sockmap-lookup-xdp-release", XDP, 0, PROG(
		SOCKMAP_LOOKUP, I_JMP_IMM(BVC_JEQ, 0, 0, 2), RELEASE(0), I_MOV64_IMM(0, 2), I_EXIT()), ACC,
	  "xdp releases too" },

	/* sk_assign: any socket in tc, a full one or NULL in sk_lookup;
	 * sk_cgroup_id in cgroup_skb. */
	{ "sk-assign-tc", TC, 0, PROG(
		I_MOV64_REG(6, 1), SKB_SK_CHECKED, I_MOV64_REG(2, 1), I_MOV64_REG(1, 6), I_MOV64_IMM(3, 0), I_CALL(SK_ASSIGN),
		RET0), ACC, "tc assigns skb->sk" },
	{ "sk-assign-tc-or-null", TC, 0, PROG(
		I_MOV64_REG(6, 1), SKB_SK(2), I_MOV64_REG(1, 6), I_MOV64_IMM(3, 0), I_CALL(SK_ASSIGN),
		RET0), REJ, "not a socket or NULL" },
	{ "sk-assign-tc-null", TC, 0, PROG(
		I_MOV64_IMM(2, 0), I_MOV64_IMM(3, 0), I_CALL(SK_ASSIGN), RET0), REJ,
	  "tc's sk_assign takes no NULL" },
	{ "sk-assign-lookup-null", SKLOOKUP, 0, PROG(
		I_MOV64_IMM(2, 0), I_MOV64_IMM(3, 0), I_CALL(SK_ASSIGN), RET0), ACC,
	  "sk_lookup's takes NULL" },
	{ "sk-assign-lookup-sockmap", SKLOOKUP, 0, PROG(
		I_MOV64_REG(6, 1), SOCKMAP_LOOKUP, I_JMP_IMM(BVC_JEQ, 0, 0, 7), I_MOV64_REG(7, 0),
		I_MOV64_REG(1, 6), I_MOV64_REG(2, 7), I_MOV64_IMM(3, 0), I_CALL(SK_ASSIGN), RELEASE(7),
		RET0), ACC, "a socket from a sockmap assigned, then released" },
	{ "sk-assign-lookup-unchecked", SKLOOKUP, 0, PROG(
		I_MOV64_REG(6, 1), SOCKMAP_LOOKUP, I_MOV64_REG(7, 0),
		I_MOV64_REG(1, 6), I_MOV64_REG(2, 7), I_MOV64_IMM(3, 0), I_CALL(SK_ASSIGN),
		I_JMP_IMM(BVC_JEQ, 7, 0, 2), RELEASE(7), RET0), ACC,
	  "a socket or NULL before its check (6.18 types the element so at once)" },
	{ "sk-assign-lookup-scalar", SKLOOKUP, 0, PROG(
		I_MOV64_IMM(2, 8), I_MOV64_IMM(3, 0), I_CALL(SK_ASSIGN), RET0), REJ,
	  "only 0 passes as NULL" },
	{ "sk-cgroup-id", CGSKB, 0, PROG(
		SKB_SK_CHECKED, I_CALL(SK_CGROUP_ID), I_MOV64_IMM(0, 1), I_EXIT()), ACC,
	  "skb->sk's cgroup" },
	{ "sk-cgroup-id-or-null", CGSKB, 0, PROG(
		SKB_SK(1), I_CALL(SK_CGROUP_ID), I_MOV64_IMM(0, 1), I_EXIT()), REJ,
	  "a socket, not NULL" },
	{ "sk-ancestor-cgroup-id", CGSKB, 0, PROG(
		SKB_SK_CHECKED, I_MOV64_IMM(2, 1), I_CALL(SK_ANCESTOR_CGROUP_ID), I_MOV64_IMM(0, 1),
		I_EXIT()), ACC, "skb->sk's ancestor cgroup" },

	/* ---------------------------------------------------------------
	 * Other contexts' socket fields
	 * --------------------------------------------------------------- */
	{ "saddr-sk", SADDR, 0, PROG(
		I_LDX(BVC_DW, 1, 1, 64), I_LDX(BVC_W, 2, 1, 4), RET1), ACC,
	  "bpf_sock_addr->sk is a socket, never NULL" },
	{ "saddr-sk-narrow", SADDR, 0, PROG(
		I_LDX(BVC_W, 1, 1, 64), RET1), REJ, "read whole" },
	{ "saddr-sk-write", SADDR, 0, PROG(
		I_LDX(BVC_DW, 1, 1, 64), I_ST(BVC_W, 1, 16, 0), RET1), REJ, "read-only" },
	{ "saddr-sk-store", SADDR, 0, PROG(
		I_STX(BVC_DW, 1, 1, 64), RET1), REJ, "the field is read-only" },
	{ "sockopt-sk", SOCKOPT, 0, PROG(
		I_LDX(BVC_DW, 1, 1, 0), I_LDX(BVC_W, 2, 1, 8), RET1), ACC,
	  "bpf_sockopt->sk is a full socket" },
	{ "sklookup-sk-unchecked", SKLOOKUP, 0, PROG(
		I_LDX(BVC_DW, 1, 1, 0), I_LDX(BVC_W, 2, 1, 4), RET0), REJ,
	  "bpf_sk_lookup->sk may be NULL" },
	{ "sklookup-sk-checked", SKLOOKUP, 0, PROG(
		I_LDX(BVC_DW, 1, 1, 0), I_JMP_IMM(BVC_JEQ, 1, 0, 1), I_LDX(BVC_W, 2, 1, 4), RET0), ACC,
	  "bpf_sk_lookup->sk once checked" },
	{ "skmsg-sk", SKMSG, 0, PROG(
		I_LDX(BVC_DW, 1, 1, 72), I_LDX(BVC_W, 2, 1, 8), RET0), ACC,
	  "sk_msg_md->sk is a full socket" },
	{ "reuseport-sk", REUSEPORT, 0, PROG(
		I_LDX(BVC_DW, 1, 1, 40), I_LDX(BVC_W, 2, 1, 12), RET0), ACC,
	  "sk_reuseport_md->sk is a full socket" },
	{ "reuseport-migrating-unchecked", REUSEPORT, 0, PROG(
		I_LDX(BVC_DW, 1, 1, 48), I_LDX(BVC_W, 2, 1, 4), RET0), REJ,
	  "migrating_sk may be NULL" },
	{ "reuseport-migrating-type", REUSEPORT, 0, PROG(
		I_LDX(BVC_DW, 1, 1, 48), I_JMP_IMM(BVC_JEQ, 1, 0, 1), I_LDX(BVC_W, 2, 1, 8), RET0), REJ,
	  "migrating_sk is a sock_common: no type" },
	{ "reuseport-migrating-family", REUSEPORT, 0, PROG(
		I_LDX(BVC_DW, 1, 1, 48), I_JMP_IMM(BVC_JEQ, 1, 0, 1), I_LDX(BVC_W, 2, 1, 4), RET0), ACC,
	  "migrating_sk's family once checked" },
	{ "sockops-sk-unchecked", SOCKOPS, 0, PROG(
		I_LDX(BVC_DW, 1, 1, 184), I_LDX(BVC_W, 2, 1, 4), RET1), REJ,
	  "bpf_sock_ops->sk may be NULL" },
	{ "sockops-tcp-sock", SOCKOPS, 0, PROG(
		I_LDX(BVC_DW, 1, 1, 184), I_JMP_IMM(BVC_JEQ, 1, 0, 3), I_CALL(TCP_SOCK),
		I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_LDX(BVC_W, 2, 0, 0), RET1), ACC,
	  "sock_ops reads its socket's tcp_sock" },
	{ "sockops-release", SOCKOPS, 0, PROG(
		I_LDX(BVC_DW, 1, 1, 184), I_JMP_IMM(BVC_JEQ, 1, 0, 1), I_CALL(SK_RELEASE), RET1), REJ,
	  "sock_ops has no sk_release, and the socket is not held" },

	/* Syncookies: a socket, then two headers read (fp-16, 8 bytes each). */
	{ "check-syncookie", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_MOV64_REG(1, 7), I_MOV64_REG(2, 10),
		I_ALU64_IMM(BVC_ADD, 2, -16), I_MOV64_IMM(3, 8), I_MOV64_REG(4, 10),
		I_ALU64_IMM(BVC_ADD, 4, -8), I_MOV64_IMM(5, 8), I_CALL(TCP_CHECK_SYNCOOKIE), RELEASE(7),
		RET0), ACC, "a held socket's syncookie check" },
	{ "gen-syncookie-skb-sk", TC, 0, PROG(
		PROLOGUE, I_MOV64_REG(1, 6), SKB_SK_CHECKED, I_MOV64_REG(2, 10),
		I_ALU64_IMM(BVC_ADD, 2, -16), I_MOV64_IMM(3, 8), I_MOV64_REG(4, 10),
		I_ALU64_IMM(BVC_ADD, 4, -8), I_MOV64_IMM(5, 8), I_CALL(TCP_GEN_SYNCOOKIE), RET0), ACC,
	  "skb->sk once checked" },
	{ "gen-syncookie-or-null", TC, 0, PROG(
		PROLOGUE, I_MOV64_REG(1, 6), SKB_SK(1), I_MOV64_REG(2, 10),
		I_ALU64_IMM(BVC_ADD, 2, -16), I_MOV64_IMM(3, 8), I_MOV64_REG(4, 10),
		I_ALU64_IMM(BVC_ADD, 4, -8), I_MOV64_IMM(5, 8), I_CALL(TCP_GEN_SYNCOOKIE), RET0), REJ,
	  "not a socket or NULL" },
	{ "check-syncookie-zero-size", TC, 0, PROG(
		PROLOGUE, I_MOV64_REG(1, 6), SKB_SK_CHECKED, I_MOV64_REG(2, 10),
		I_ALU64_IMM(BVC_ADD, 2, -16), I_MOV64_IMM(3, 0), I_MOV64_REG(4, 10),
		I_ALU64_IMM(BVC_ADD, 4, -8), I_MOV64_IMM(5, 8), I_CALL(TCP_CHECK_SYNCOOKIE), RET0), REJ,
	  "the header sizes are not zero" },
	{ "check-syncookie-uninit", TC, 0, PROG(
		I_MOV64_REG(6, 1), SKB_SK_CHECKED, I_MOV64_REG(2, 10),
		I_ALU64_IMM(BVC_ADD, 2, -16), I_MOV64_IMM(3, 8), I_MOV64_REG(4, 10),
		I_ALU64_IMM(BVC_ADD, 4, -8), I_MOV64_IMM(5, 8), I_CALL(TCP_CHECK_SYNCOOKIE), RET0), ACC,
	  "headers from never-written stack: privileged programs may read it" },

	/* "if p == q", q not NULL: p is not NULL where they are equal. */
	{ "ptr-eq-nonnull", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_LDX(BVC_DW, 2, 6, 168),
		I_JMP_REG(BVC_JNE, 2, 7, 1), I_LDX(BVC_W, 3, 2, 4), RELEASE(7), RET0), ACC,
	  "equal to a socket: not NULL" },
	{ "ptr-eq-nonnull-jeq", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_LDX(BVC_DW, 2, 6, 168),
		I_JMP_REG(BVC_JEQ, 7, 2, 1), I_JA(1), I_LDX(BVC_W, 3, 2, 4), RELEASE(7), RET0), ACC,
	  "the same, NULL-able one as the source" },
	{ "ptr-ne-still-null", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_LDX(BVC_DW, 2, 6, 168),
		I_JMP_REG(BVC_JEQ, 2, 7, 1), I_LDX(BVC_W, 3, 2, 4), RELEASE(7), RET0), REJ,
	  "different from a socket: may still be NULL" },
	{ "ptr-eq-copy-not-refined", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_LDX(BVC_DW, 2, 6, 168), I_MOV64_REG(4, 2),
		I_JMP_REG(BVC_JNE, 2, 7, 1), I_LDX(BVC_W, 3, 4, 4), RELEASE(7), RET0), REJ,
	  "only the compared register is refined, not its copies" },
	{ "ptr-eq-jlt-not-refined", TC, 0, PROG(
		PROLOGUE, LOOKUP_CHECKED(SK_LOOKUP_TCP), I_LDX(BVC_DW, 2, 6, 168),
		I_JMP_REG(BVC_JGE, 2, 7, 1), I_LDX(BVC_W, 3, 2, 4), RELEASE(7), RET0), REJ,
	  "an order says nothing of NULL" },

	/* One load, two pointer kinds: the kernel rewrites socket loads, so
	 * an instruction may see one socket type only (reg_type_mismatch_ok). */
	{ "same-insn-sock-and-stack", TC, 0, PROG(
		I_ST(BVC_DW, 10, -8, 0), SKB_SK(2), I_JMP_IMM(BVC_JNE, 2, 0, 2), I_MOV64_REG(2, 10),
		I_ALU64_IMM(BVC_ADD, 2, -8), I_LDX(BVC_W, 0, 2, 4), RET0), REJ,
	  "a sock_common and the stack through one load" },
	{ "same-insn-sock-common-and-sock", TC, 0, PROG(
		SKB_SK(6), I_JMP_IMM(BVC_JNE, 6, 0, 2), RET0, I_LDX(BVC_W, 7, 1, 0),
		I_JMP_IMM(BVC_JGT, 7, 10, 4), I_MOV64_REG(1, 6), I_CALL(SK_FULLSOCK),
		I_JMP_IMM(BVC_JEQ, 0, 0, 2), I_MOV64_REG(6, 0), I_LDX(BVC_W, 0, 6, 4), RET0), REJ,
	  "a sock_common and a full socket through one load" },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

Test(adversarial_sockets, ours_match_table)
{
	adv_check_ours(cases, NCASES);
}

Test(adversarial_sockets, kernel_agrees)
{
	adv_check_kernel(cases, NCASES);
}
