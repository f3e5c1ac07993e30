// SPDX-License-Identifier: MIT
/*
 * Adversarial cases for issue #15's section 2 (ctxfields task): the
 * flow_dissector program type (its three context fields, the flow keys
 * pointer, its helpers and its read-only packet), the never-NULL socket
 * sk_msg and sk_reuseport read from their context (struct bpf_sock),
 * BPF_F_XDP_HAS_FRAGS, and bpf_check_mtu's in/out length. Each case carries bpfvc's verdict
 * (adversarial.h), which Linux 6.18.44 shared when checked unless the
 * case says REJ_GAP.
 *
 * The driver (and ADV_VERBOSE, ADV_LOG) is adversarial.c's.
 */
#include <criterion/criterion.h>

#include "adversarial.h"
#include "bpfvc/verifier.h"
#include "common/insns.h"

#define CLS 3
#define XDP 6
#define SK_MSG 16
#define REUSEPORT 21
#define FLOW 22
#define XDP_FRAGS 0x20

#define RAND I_CALL(7)
#define SKB_LOAD_BYTES I_CALL(26)
#define PERF_EVENT_OUTPUT I_CALL(25)
#define CHECK_MTU I_CALL(163)
#define RET0 I_MOV64_IMM(0, 0), I_EXIT()
/* r2 = ctx->flow_keys (struct __sk_buff, offset 144, 8 bytes). */
#define KEYS I_LDX(BVC_DW, 2, 1, 144)
/* r2 = msg->sk (struct sk_msg_md, offset 72). */
#define SK I_LDX(BVC_DW, 2, 1, 72)
/* r2 = data, r3 = data_end, r4 = data + 8; exit unless 8 bytes are there. */
#define PKT8 \
	I_LDX(BVC_W, 2, 1, 76), I_LDX(BVC_W, 3, 1, 80), I_MOV64_REG(4, 2), \
	I_ALU64_IMM(BVC_ADD, 4, 8), I_JMP_REG(BVC_JGT, 4, 3, 1)

static const struct adv_case cases[] = {
	/* ---------------------------------------------------------------
	 * flow_dissector: the context is data, data_end and flow_keys
	 * --------------------------------------------------------------- */
	{ "flow-keys-read", FLOW, 0, PROG(
		KEYS, I_LDX(BVC_H, 0, 2, 0),
		RET0), ACC, "flow keys are readable" },
	{ "flow-keys-write-last-word", FLOW, 0, PROG(
		KEYS, I_ST(BVC_W, 2, 52, 0),
		RET0), ACC, "flow_label, the last word of the 56 bytes, is writable" },
	{ "flow-keys-u64-at-48", FLOW, 0, PROG(
		KEYS, I_LDX(BVC_DW, 0, 2, 48),
		RET0), ACC, "bytes 48..55 are inside" },
	{ "flow-keys-past-end", FLOW, 0, PROG(
		KEYS, I_LDX(BVC_W, 0, 2, 53),
		RET0), REJ, "53 + 4 > sizeof(struct bpf_flow_keys)" },
	{ "flow-keys-write-past-end", FLOW, 0, PROG(
		KEYS, I_ST(BVC_B, 2, 56, 0),
		RET0), REJ, "byte 56 is past the flow keys" },
	{ "flow-keys-negative", FLOW, 0, PROG(
		KEYS, I_LDX(BVC_B, 0, 2, -1),
		RET0), REJ, "before the flow keys" },
	{ "flow-keys-add-const", FLOW, 0, PROG(
		KEYS, I_ALU64_IMM(BVC_ADD, 2, 8), I_LDX(BVC_W, 0, 2, 44),
		RET0), ACC, "a known offset moves the pointer: 8 + 44 + 4 = 56" },
	{ "flow-keys-add-const-past", FLOW, 0, PROG(
		KEYS, I_ALU64_IMM(BVC_ADD, 2, 8), I_LDX(BVC_W, 0, 2, 48),
		RET0), REJ, "the moved pointer's fixed offset counts: 8 + 48 + 4 > 56" },
	{ "flow-keys-sub-const", FLOW, 0, PROG(
		KEYS, I_ALU64_IMM(BVC_SUB, 2, 4), I_LDX(BVC_W, 0, 2, 0),
		RET0), REJ, "subtracting moves it before the keys" },
	{ "flow-keys-add-unknown", FLOW, 0, PROG(
		I_MOV64_REG(6, 1), RAND, I_ALU64_IMM(BVC_AND, 0, 7), I_LDX(BVC_DW, 2, 6, 144),
		I_ALU64_REG(BVC_ADD, 2, 0), I_LDX(BVC_B, 0, 2, 0),
		RET0), REJ, "pointer arithmetic on flow_keys only by a known amount" },
	{ "flow-keys-atomic", FLOW, 0, PROG(
		KEYS, I_MOV64_IMM(0, 1), I_RAW(BVC_STX | BVC_ATOMIC | BVC_W, 2, 0, 0, BVC_ADD),
		RET0), REJ, "no atomics into flow keys" },
	{ "flow-keys-spill-fill", FLOW, 0, PROG(
		KEYS, I_STX(BVC_DW, 10, 2, -8), I_LDX(BVC_DW, 3, 10, -8), I_ST(BVC_H, 3, 0, 1),
		RET0), ACC, "a spilled flow keys pointer fills back as one" },
	{ "flow-keys-narrow-field", FLOW, 0, PROG(
		I_LDX(BVC_W, 2, 1, 144),
		RET0), REJ, "ctx->flow_keys is read whole (8 bytes)" },
	{ "flow-keys-as-helper-mem", FLOW, 0, PROG(
		KEYS, I_MOV64_REG(3, 2), I_MOV64_IMM(2, 0), I_MOV64_IMM(4, 8), SKB_LOAD_BYTES,
		RET0), REJ, "a helper may not take the flow keys as memory" },
	{ "flow-keys-not-null", FLOW, 0, PROG(
		KEYS, I_JMP_IMM(BVC_JEQ, 2, 0, 1), I_ST(BVC_W, 2, 0, 0),
		RET0), ACC, "flow keys are never NULL; comparing is allowed" },
	{ "flow-keys-null-branch-explored", FLOW, 0, PROG(
		KEYS, I_MOV64_IMM(0, 0), I_JMP_IMM(BVC_JNE, 2, 0, 1), I_LDX(BVC_DW, 0, 0, 0),
		RET0), REJ, "flow keys are not among the kernel's reg_not_null types: "
		"the == 0 branch is explored" },
	{ "flow-ctx-mark", FLOW, 0, PROG(
		I_LDX(BVC_W, 0, 1, 8),
		RET0), REJ, "only data, data_end and flow_keys are there" },
	{ "flow-ctx-cb", FLOW, 0, PROG(
		I_ST(BVC_W, 1, 48, 0),
		RET0), REJ, "the context is read only" },
	{ "flow-ctx-data-sx", FLOW, 0, PROG(
		I_RAW(BVC_LDX | BVC_MEMSX | BVC_W, 0, 1, 76, 0),
		RET0), REJ, "data is never sign-extended" },
	{ "flow-ctx-data-narrow", FLOW, 0, PROG(
		I_LDX(BVC_H, 0, 1, 76),
		RET0), REJ, "data is a whole 4-byte load" },
	{ "flow-pkt-read", FLOW, 0, PROG(
		PKT8, I_LDX(BVC_DW, 0, 2, 0),
		RET0), ACC, "a bounded packet read" },
	{ "flow-pkt-read-unbounded", FLOW, 0, PROG(
		PKT8, I_LDX(BVC_DW, 0, 2, 1),
		RET0), REJ, "9 bytes checked as 8" },
	{ "flow-pkt-write", FLOW, 0, PROG(
		PKT8, I_ST(BVC_B, 2, 0, 0),
		RET0), REJ, "flow_dissector may only read the packet" },
	{ "flow-load-bytes", FLOW, 0, PROG(
		I_MOV64_IMM(2, 0), I_MOV64_REG(3, 10), I_ALU64_IMM(BVC_ADD, 3, -8), I_MOV64_IMM(4, 8),
		SKB_LOAD_BYTES, I_LDX(BVC_DW, 0, 10, -8),
		RET0), ACC, "bpf_skb_load_bytes fills the stack" },
	{ "flow-perf-event-output", FLOW, 0, PROG(
		I_MOV64_IMM(2, 0), I_MOV64_IMM(3, 0), I_MOV64_IMM(4, 0), I_MOV64_IMM(5, 0),
		PERF_EVENT_OUTPUT,
		RET0), REJ, "not offered to flow_dissector" },
	{ "flow-ld-abs", FLOW, 0, PROG(
		I_MOV64_REG(6, 1), I_RAW(BVC_LD | BVC_ABS | BVC_B, 0, 0, 0, 0),
		RET0), REJ, "no LD_ABS outside socket filters and tc" },
	{ "flow-return-anything", FLOW, 0, PROG(
		I_MOV64_IMM(0, 12345), I_EXIT()), ACC, "no return range for flow_dissector" },
	{ "flow-return-pointer", FLOW, 0, PROG(
		KEYS, I_MOV64_REG(0, 2), I_EXIT()), ACC,
	  "privileged, a type without a return range may return a pointer (no leak check for root)" },

	/* ---------------------------------------------------------------
	 * ctx->sk: PTR_TO_SOCKET, never NULL, read as struct bpf_sock
	 * --------------------------------------------------------------- */
	{ "sock-family", SK_MSG, 0, PROG(
		SK, I_LDX(BVC_W, 0, 2, 4),
		RET0), ACC, "sk->family" },
	{ "sock-family-sx", SK_MSG, 0, PROG(
		SK, I_RAW(BVC_LDX | BVC_MEMSX | BVC_H, 0, 2, 4, 0),
		RET0), ACC, "a sign-extending narrow read of family's first half" },
	{ "sock-family-second-byte", SK_MSG, 0, PROG(
		SK, I_LDX(BVC_B, 0, 2, 5),
		RET0), REJ, "family is read narrow from its first byte only" },
	{ "sock-dst-port-byte", SK_MSG, 0, PROG(
		SK, I_LDX(BVC_B, 0, 2, 49),
		RET0), ACC, "dst_port is 2 bytes" },
	{ "sock-dst-port-padding", SK_MSG, 0, PROG(
		SK, I_LDX(BVC_H, 0, 2, 50),
		RET0), REJ, "the 2 bytes after dst_port" },
	{ "sock-u64", SK_MSG, 0, PROG(
		SK, I_LDX(BVC_DW, 0, 2, 8),
		RET0), REJ, "no 8-byte field" },
	{ "sock-past-end", SK_MSG, 0, PROG(
		SK, I_LDX(BVC_W, 0, 2, 80),
		RET0), REJ, "sizeof(struct bpf_sock) is 80" },
	{ "sock-write", SK_MSG, 0, PROG(
		SK, I_ST(BVC_W, 2, 16, 0),
		RET0), REJ, "cannot write into sock" },
	{ "sock-atomic", SK_MSG, 0, PROG(
		SK, I_MOV64_IMM(0, 1), I_RAW(BVC_STX | BVC_ATOMIC | BVC_W, 2, 0, 16, BVC_ADD),
		RET0), REJ, "no atomics into a socket" },
	{ "sock-arith", SK_MSG, 0, PROG(
		SK, I_ALU64_IMM(BVC_ADD, 2, 4), I_LDX(BVC_W, 0, 2, 0),
		RET0), REJ, "pointer arithmetic on sock prohibited" },
	{ "sock-spill-fill", SK_MSG, 0, PROG(
		SK, I_STX(BVC_DW, 10, 2, -8), I_LDX(BVC_DW, 3, 10, -8), I_LDX(BVC_W, 0, 3, 4),
		RET0), ACC, "a spilled socket fills back as one" },
	{ "sock-null-branch-dead", SK_MSG, 0, PROG(
		SK, I_MOV64_IMM(0, 0), I_JMP_IMM(BVC_JNE, 2, 0, 1), I_LDX(BVC_DW, 0, 0, 0),
		RET0), ACC, "PTR_TO_SOCKET is reg_not_null: the == 0 branch is dead" },
	{ "sock-same-insn-two-pointers", SK_MSG, 0, PROG(
		I_MOV64_REG(6, 1), I_ST(BVC_DW, 10, -8, 0), RAND, I_MOV64_REG(3, 10),
		I_ALU64_IMM(BVC_ADD, 3, -8), I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_LDX(BVC_DW, 3, 6, 72),
		I_LDX(BVC_W, 0, 3, 4),
		RET0), REJ, "one load through a socket and through the stack" },
	{ "sock-as-ctx-arg", SK_MSG, 0, PROG(
		SK, I_MOV64_REG(1, 2), I_MOV64_IMM(2, 1), I_CALL(61 /* msg_apply_bytes */),
		RET0), REJ, "a socket is not the context" },
	{ "reuseport-sk-family", REUSEPORT, 0, PROG(
		I_LDX(BVC_DW, 2, 1, 40), I_LDX(BVC_W, 0, 2, 4),
		RET0), ACC, "sk_reuseport's sk is a full socket" },
	{ "reuseport-migrating-sk", REUSEPORT, 0, PROG(
		I_LDX(BVC_DW, 2, 1, 48),
		RET0), ACC, "migrating_sk is a sock_common or NULL, loaded, not read" },

	/* ---------------------------------------------------------------
	 * BPF_F_XDP_HAS_FRAGS
	 * --------------------------------------------------------------- */
	{ "xdp-frags", XDP, XDP_FRAGS, PROG(
		I_MOV64_IMM(0, 2), I_EXIT()), ACC, "the flag changes no verifier rule for XDP" },
	{ "xdp-frags-pkt-unbounded", XDP, XDP_FRAGS, PROG(
		I_LDX(BVC_W, 2, 1, 0), I_LDX(BVC_B, 0, 2, 0),
		I_EXIT()), REJ, "the packet is still bounded by data_end" },
	{ "xdp-frags-pkt-bounded", XDP, XDP_FRAGS, PROG(
		I_LDX(BVC_W, 2, 1, 0), I_LDX(BVC_W, 3, 1, 4), I_MOV64_REG(4, 2),
		I_ALU64_IMM(BVC_ADD, 4, 8), I_JMP_REG(BVC_JGT, 4, 3, 1), I_LDX(BVC_DW, 0, 2, 0),
		RET0), ACC, "a bounded read of the linear part" },
	{ "tc-frags-flag", CLS, XDP_FRAGS, PROG(
		RET0), REJ_GAP, "the kernel ignores the flag elsewhere; we refuse what we have not checked" },

	/* ---------------------------------------------------------------
	 * bpf_check_mtu(ctx, ifindex, &mtu_len, len_diff, flags)
	 * --------------------------------------------------------------- */
	{ "check-mtu-init", CLS, 0, PROG(
		I_ST(BVC_W, 10, -4, 0), I_MOV64_REG(3, 10), I_ALU64_IMM(BVC_ADD, 3, -4),
		I_MOV64_IMM(2, 0), I_MOV64_IMM(4, 0), I_MOV64_IMM(5, 0), CHECK_MTU,
		RET0), ACC, "mtu_len initialised" },
	{ "check-mtu-uninit", CLS, 0, PROG(
		I_MOV64_REG(3, 10), I_ALU64_IMM(BVC_ADD, 3, -4),
		I_MOV64_IMM(2, 0), I_MOV64_IMM(4, 0), I_MOV64_IMM(5, 0), CHECK_MTU,
		RET0), REJ_GAP, "the helper reads mtu_len: 6.12's selftest wants it written first" },
	{ "check-mtu-half-init", CLS, 0, PROG(
		I_ST(BVC_H, 10, -4, 0), I_MOV64_REG(3, 10), I_ALU64_IMM(BVC_ADD, 3, -4),
		I_MOV64_IMM(2, 0), I_MOV64_IMM(4, 0), I_MOV64_IMM(5, 0), CHECK_MTU,
		RET0), REJ_GAP, "two of its four bytes written" },
	{ "check-mtu-misaligned", CLS, 0, PROG(
		I_ST(BVC_DW, 10, -8, 0), I_MOV64_REG(3, 10), I_ALU64_IMM(BVC_ADD, 3, -6),
		I_MOV64_IMM(2, 0), I_MOV64_IMM(4, 0), I_MOV64_IMM(5, 0), CHECK_MTU,
		RET0), REJ, "mtu_len is MEM_ALIGNED" },
};

Test(adversarial_progtype, ours)
{
	adv_check_ours(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(adversarial_progtype, kernel)
{
	adv_check_kernel(cases, sizeof(cases) / sizeof(cases[0]));
}
