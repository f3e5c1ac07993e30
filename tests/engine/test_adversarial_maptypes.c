// SPDX-License-Identifier: MIT
/*
 * Adversarial cases for issue #15's section 2 (maptypes task): queue and
 * stack maps (push, pop, peek: value-sized copies, pop/peek fill an
 * uninitialised buffer), cgroup storage (bpf_get_local_storage: never NULL,
 * flags a known 0, one storage of each kind per program), and devmap,
 * cpumap and xskmap as bpf_redirect_map targets (a devmap lookup gives a
 * read-only value; an xskmap's stays unsupported: REJ_GAP), and arrays and
 * hashes of maps (a lookup gives a map shaped as the inner template). Each case carries
 * bpfvc's verdict (adversarial.h); Linux 6.18.44 shared it when checked,
 * except where the table says REJ_GAP.
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

#define LOOKUP I_CALL(1)
#define UPDATE I_CALL(2)
#define RAND I_CALL(7)
#define REDIRECT_MAP I_CALL(51)
#define GET_LOCAL_STORAGE I_CALL(81)
#define PUSH I_CALL(87)
#define POP I_CALL(88)
#define PEEK I_CALL(89)
#define LD_MAP(r, idx) I_LD_IMM64_LO(r, BVC_PSEUDO_MAP_IDX, idx), I_LD_IMM64_HI(0)
#define LD_MAP_VALUE(r, idx, off) I_LD_IMM64_LO(r, BVC_PSEUDO_MAP_IDX_VALUE, idx), I_RAW(0, 0, 0, 0, off)
#define FP(r, off) I_MOV64_REG(r, 10), I_ALU64_IMM(BVC_ADD, r, off)
#define RET0 I_MOV64_IMM(0, 0), I_EXIT()
/* XDP: r2 = data, r3 = data_end; the next 8 bytes of packet are checked,
 * else jump @skip instructions ahead. */
#define PKT8(skip) \
	I_LDX(BVC_W, 2, 1, 0), I_LDX(BVC_W, 3, 1, 4), I_MOV64_REG(4, 2), \
	I_ALU64_IMM(BVC_ADD, 4, 8), I_JMP_REG(BVC_JGT, 4, 3, skip)
/* r0 = get_local_storage(@map, 0) */
#define STORAGE(map) LD_MAP(1, map), I_MOV64_IMM(2, 0), GET_LOCAL_STORAGE
/* r0 = lookup(@map, &(u32)0 at fp-4) */
#define LOOKUP0(map) I_ST(BVC_W, 10, -4, 0), LD_MAP(1, map), FP(2, -4), LOOKUP

static const struct adv_case cases[] = {
	/* ---------------------------------------------------------------
	 * Queue and stack maps: push, pop, peek
	 * --------------------------------------------------------------- */
	{ "queue-push", SOCKF, 0, PROG(
		I_ST(BVC_DW, 10, -8, 7), LD_MAP(1, ADV_MAP_QUEUE), FP(2, -8), I_MOV64_IMM(3, 0), PUSH,
		RET0), ACC, "push an initialised 8-byte value" },
	{ "queue-push-uninit", SOCKF, 0, PROG(
		LD_MAP(1, ADV_MAP_QUEUE), FP(2, -8), I_MOV64_IMM(3, 0), PUSH,
		RET0), ACC, "push reads the value; root may read uninitialised stack (allow_uninit_stack)" },
	{ "queue-push-short", SOCKF, 0, PROG(
		I_ST(BVC_W, 10, -4, 7), LD_MAP(1, ADV_MAP_QUEUE), FP(2, -4), I_MOV64_IMM(3, 0), PUSH,
		RET0), REJ, "push reads value_size (8) bytes, 4 are left below fp" },
	{ "queue-pop-then-read", SOCKF, 0, PROG(
		LD_MAP(1, ADV_MAP_QUEUE), FP(2, -8), POP, I_LDX(BVC_DW, 1, 10, -8),
		RET0), ACC, "pop fills uninitialised stack, which is then readable" },
	{ "queue-pop-small", SOCKF, 0, PROG(
		LD_MAP(1, ADV_MAP_QUEUE), FP(2, -4), POP,
		RET0), REJ, "pop writes 8 bytes into the 4 left below fp" },
	{ "stack-peek-small", SOCKF, 0, PROG(
		LD_MAP(1, ADV_MAP_LIFO), I_MOV64_REG(2, 10), I_ALU64_IMM(BVC_ADD, 2, -516), PEEK,
		RET0), REJ, "peek's buffer must lie in the stack" },
	{ "stack-peek-into-map-value", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_ARRAY), I_JMP_IMM(BVC_JEQ, 0, 0, 4), I_MOV64_REG(2, 0),
		LD_MAP(1, ADV_MAP_LIFO), PEEK,
		RET0), ACC, "peek into a 16-byte writable map value" },
	{ "stack-peek-into-map-value-unchecked", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_HASH), I_MOV64_REG(2, 0),
		LD_MAP(1, ADV_MAP_LIFO), PEEK,
		RET0), REJ, "a hash lookup may have returned NULL" },
	{ "stack-pop-into-readonly", SOCKF, 0, PROG(
		LD_MAP_VALUE(2, ADV_MAP_KCONFIG, 0), LD_MAP(1, ADV_MAP_LIFO), POP,
		RET0), REJ, "pop writes: not into a read-only map value" },
	{ "queue-pop-null", SOCKF, 0, PROG(
		LD_MAP(1, ADV_MAP_QUEUE), I_MOV64_IMM(2, 0), POP,
		RET0), REJ, "pop's buffer may not be NULL" },
	{ "queue-pop-into-packet", XDP, 0, PROG(
		PKT8(3), LD_MAP(1, ADV_MAP_QUEUE), POP,
		RET0), REJ, "pop may not write the packet (no pkt_access)" },
	{ "queue-push-from-packet", XDP, 0, PROG(
		PKT8(4), LD_MAP(1, ADV_MAP_QUEUE), I_MOV64_IMM(3, 0), PUSH,
		RET0), ACC, "push may read its value from the packet" },
	{ "queue-push-from-short-packet", XDP, 0, PROG(
		I_LDX(BVC_W, 2, 1, 0), I_LDX(BVC_W, 3, 1, 4), I_MOV64_REG(4, 2),
		I_ALU64_IMM(BVC_ADD, 4, 4), I_JMP_REG(BVC_JGT, 4, 3, 4),
		LD_MAP(1, ADV_MAP_QUEUE), I_MOV64_IMM(3, 0), PUSH,
		RET0), REJ, "only 4 bytes of packet are checked, push reads 8" },
	{ "queue-lookup", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_QUEUE),
		RET0), REJ, "no lookup in a queue" },
	{ "queue-update", SOCKF, 0, PROG(
		I_ST(BVC_DW, 10, -8, 0), LD_MAP(1, ADV_MAP_QUEUE), FP(2, -8), FP(3, -8),
		I_MOV64_IMM(4, 0), UPDATE,
		RET0), REJ, "no update of a queue: push is the way in" },
	{ "hash-pop", SOCKF, 0, PROG(
		LD_MAP(1, ADV_MAP_HASH), FP(2, -8), POP,
		RET0), REJ, "pop takes a queue or a stack, not a hash" },
	{ "array-push", SOCKF, 0, PROG(
		I_ST(BVC_DW, 10, -16, 0), I_ST(BVC_DW, 10, -8, 0), LD_MAP(1, ADV_MAP_ARRAY),
		FP(2, -16), I_MOV64_IMM(3, 0), PUSH,
		RET0), REJ, "push takes a queue, a stack or a bloom filter" },
	{ "queue-direct-value", SOCKF, 0, PROG(
		LD_MAP_VALUE(1, ADV_MAP_QUEUE, 0), I_LDX(BVC_DW, 0, 1, 0),
		I_EXIT()), REJ, "a queue has no direct value" },
	{ "queue-pop-result-as-offset", SOCKF, 0, PROG(
		LD_MAP(1, ADV_MAP_QUEUE), FP(2, -8), POP,
		LD_MAP_VALUE(1, ADV_MAP_ONE, 0), I_ALU64_REG(BVC_ADD, 1, 0), I_LDX(BVC_B, 0, 1, 0),
		I_EXIT()), REJ, "pop returns any integer" },
	{ "queue-popped-value-as-offset", SOCKF, 0, PROG(
		LD_MAP(1, ADV_MAP_QUEUE), FP(2, -8), POP, I_LDX(BVC_DW, 2, 10, -8),
		LD_MAP_VALUE(1, ADV_MAP_ONE, 0), I_ALU64_REG(BVC_ADD, 1, 2), I_LDX(BVC_B, 0, 1, 0),
		I_EXIT()), REJ, "the popped bytes are unknown" },

	/* ---------------------------------------------------------------
	 * Cgroup storage: bpf_get_local_storage
	 * --------------------------------------------------------------- */
	{ "cg-storage", CGSKB, 0, PROG(
		STORAGE(ADV_MAP_CGS), I_LDX(BVC_DW, 1, 0, 8), I_ALU64_IMM(BVC_ADD, 1, 1),
		I_STX(BVC_DW, 0, 1, 8),
		RET0), ACC, "the storage is a 16-byte value, never NULL" },
	{ "cg-storage-past-end", CGSKB, 0, PROG(
		STORAGE(ADV_MAP_CGS), I_LDX(BVC_DW, 1, 0, 12),
		RET0), REJ, "bytes 12..19 of a 16-byte value" },
	{ "cg-storage-flags-1", CGSKB, 0, PROG(
		LD_MAP(1, ADV_MAP_CGS), I_MOV64_IMM(2, 1), GET_LOCAL_STORAGE,
		RET0), REJ, "flags must be 0" },
	{ "cg-storage-flags-unknown", CGSKB, 0, PROG(
		RAND, I_MOV64_REG(2, 0), I_ALU64_IMM(BVC_AND, 2, 1), LD_MAP(1, ADV_MAP_CGS),
		GET_LOCAL_STORAGE,
		RET0), REJ, "flags 0 or 1: not a known 0" },
	{ "cg-storage-flags-known-zero", CGSKB, 0, PROG(
		RAND, I_MOV64_REG(2, 0), I_ALU64_IMM(BVC_AND, 2, 0), LD_MAP(1, ADV_MAP_CGS),
		GET_LOCAL_STORAGE, I_ST(BVC_DW, 0, 0, 1),
		RET0), ACC, "r & 0 is a known 0" },
	{ "cg-storage-hash", CGSKB, 0, PROG(
		STORAGE(ADV_MAP_HASH),
		RET0), REJ, "get_local_storage takes a cgroup storage, not a hash" },
	{ "cg-storage-socket-filter", SOCKF, 0, PROG(
		STORAGE(ADV_MAP_CGS),
		RET0), REJ, "a socket filter may not call get_local_storage" },
	{ "cg-storage-percpu", CGSKB, 0, PROG(
		STORAGE(ADV_MAP_PCGS), I_ST(BVC_DW, 0, 0, 1),
		RET0), ACC, "per-CPU storage: an 8-byte value" },
	{ "cg-storage-percpu-past-end", CGSKB, 0, PROG(
		STORAGE(ADV_MAP_PCGS), I_ST(BVC_W, 0, 8, 1),
		RET0), REJ, "per-CPU storage: bytes 8..11 of 8" },
	{ "cg-storage-shared-and-percpu", CGSKB, 0, PROG(
		STORAGE(ADV_MAP_CGS), I_MOV64_REG(6, 0), STORAGE(ADV_MAP_PCGS),
		I_ST(BVC_DW, 0, 0, 1), I_ST(BVC_DW, 6, 0, 1),
		RET0), ACC, "one storage of each kind" },
	{ "cg-storage-same-map-twice", CGSKB, 0, PROG(
		STORAGE(ADV_MAP_CGS), I_MOV64_REG(6, 0), STORAGE(ADV_MAP_CGS),
		I_ST(BVC_DW, 0, 0, 1), I_ST(BVC_DW, 6, 8, 1),
		RET0), ACC, "the same storage map used twice" },
	{ "cg-storage-two-shared", CGSKB, 0, PROG(
		STORAGE(ADV_MAP_CGS), I_MOV64_REG(6, 0), STORAGE(ADV_MAP_CGS2),
		RET0), REJ, "two shared cgroup storages in one program" },
	{ "cg-storage-two-shared-dead", CGSKB, 0, PROG(
		STORAGE(ADV_MAP_CGS), I_MOV64_IMM(0, 0), I_JMP_IMM(BVC_JEQ, 0, 0, 4),
		STORAGE(ADV_MAP_CGS2),
		RET0), REJ, "the second storage counts though its path is never taken" },
	{ "cg-storage-kept-across-call", CGSKB, 0, PROG(
		STORAGE(ADV_MAP_CGS), I_MOV64_REG(6, 0), RAND, I_STX(BVC_DW, 6, 0, 0),
		RET0), ACC, "a callee-saved storage pointer stays valid" },
	{ "cg-storage-lookup", CGSKB, 0, PROG(
		I_ST(BVC_DW, 10, -8, 0), LD_MAP(1, ADV_MAP_CGS), FP(2, -8), LOOKUP,
		RET0), REJ, "no lookup in a cgroup storage from a program" },
	{ "cg-storage-direct-value", CGSKB, 0, PROG(
		LD_MAP_VALUE(1, ADV_MAP_CGS, 0), I_LDX(BVC_DW, 0, 1, 0),
		RET0), REJ, "a cgroup storage has no direct value" },
	{ "cg-storage-var-offset", CGSKB, 0, PROG(
		RAND, I_MOV64_REG(6, 0), I_ALU64_IMM(BVC_AND, 6, 15), STORAGE(ADV_MAP_CGS),
		I_ALU64_REG(BVC_ADD, 0, 6), I_ST(BVC_W, 0, 0, 1),
		RET0), REJ, "offset 0..15 plus 4 bytes may pass the 16-byte value" },

	/* ---------------------------------------------------------------
	 * devmap, cpumap, xskmap: bpf_redirect_map
	 * --------------------------------------------------------------- */
	{ "devmap-redirect", XDP, 0, PROG(
		LD_MAP(1, ADV_MAP_DEV), I_MOV64_IMM(2, 0), I_MOV64_IMM(3, 0), REDIRECT_MAP,
		I_EXIT()), ACC, "redirect_map(devmap, 0, 0), its result returned" },
	{ "cpumap-redirect", XDP, 0, PROG(
		LD_MAP(1, ADV_MAP_CPU), I_MOV64_IMM(2, 1), I_MOV64_IMM(3, 2), REDIRECT_MAP,
		I_EXIT()), ACC, "redirect_map(cpumap, 1, XDP_PASS)" },
	{ "xskmap-redirect-unknown-flags", XDP, 0, PROG(
		RAND, I_MOV64_REG(3, 0), LD_MAP(1, ADV_MAP_XSK), I_MOV64_IMM(2, 0), REDIRECT_MAP,
		I_EXIT()), ACC, "the flags are checked at run time" },
	{ "redirect-map-result-as-offset", XDP, 0, PROG(
		LD_MAP(1, ADV_MAP_DEV), I_MOV64_IMM(2, 0), I_MOV64_IMM(3, 0), REDIRECT_MAP,
		LD_MAP_VALUE(1, ADV_MAP_ONE, 0), I_ALU64_REG(BVC_ADD, 1, 0), I_LDX(BVC_B, 0, 1, 0),
		I_EXIT()), REJ, "redirect_map returns any integer" },
	{ "redirect-map-hash", XDP, 0, PROG(
		LD_MAP(1, ADV_MAP_HASH), I_MOV64_IMM(2, 0), I_MOV64_IMM(3, 0), REDIRECT_MAP,
		I_EXIT()), REJ, "redirect_map takes a devmap, cpumap or xskmap" },
	{ "redirect-map-socket-filter", SOCKF, 0, PROG(
		LD_MAP(1, ADV_MAP_DEV), I_MOV64_IMM(2, 0), I_MOV64_IMM(3, 0), REDIRECT_MAP,
		RET0), REJ, "only XDP may call redirect_map" },
	{ "redirect-map-tc", TC, 0, PROG(
		LD_MAP(1, ADV_MAP_DEV), I_MOV64_IMM(2, 0), I_MOV64_IMM(3, 0), REDIRECT_MAP,
		RET0), REJ, "tc redirects with bpf_redirect, not redirect_map" },
	{ "devmap-push", XDP, 0, PROG(
		I_ST(BVC_W, 10, -4, 0), LD_MAP(1, ADV_MAP_DEV), FP(2, -4), I_MOV64_IMM(3, 0), PUSH,
		RET0), REJ, "a devmap serves redirect_map and lookups only" },
	{ "devmap-update", XDP, 0, PROG(
		I_ST(BVC_DW, 10, -8, 0), LD_MAP(1, ADV_MAP_DEV), FP(2, -8), FP(3, -8),
		I_MOV64_IMM(4, 0), UPDATE,
		RET0), REJ, "no devmap update from a program" },
	{ "devmap-direct-value", XDP, 0, PROG(
		LD_MAP_VALUE(1, ADV_MAP_DEV, 0), I_LDX(BVC_W, 0, 1, 0),
		I_EXIT()), REJ, "a devmap has no direct value" },
	{ "devmap-lookup", XDP, 0, PROG(
		LOOKUP0(ADV_MAP_DEV), I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_LDX(BVC_W, 0, 0, 0),
		RET0), ACC, "a devmap lookup reads the entry's 4-byte value" },
	{ "devmap-lookup-past-end", XDP, 0, PROG(
		LOOKUP0(ADV_MAP_DEV), I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_LDX(BVC_DW, 0, 0, 0),
		RET0), REJ, "the value is 4 bytes" },
	{ "devmap-lookup-no-null-check", XDP, 0, PROG(
		LOOKUP0(ADV_MAP_DEV), I_LDX(BVC_W, 0, 0, 0),
		RET0), REJ, "the entry may be missing" },
	{ "devmap-lookup-helper-write", XDP, 0, PROG(
		I_MOV64_REG(6, 1), LOOKUP0(ADV_MAP_DEV), I_JMP_IMM(BVC_JEQ, 0, 0, 5),
		I_MOV64_REG(1, 6), I_MOV64_IMM(2, 0), I_MOV64_REG(3, 0), I_MOV64_IMM(4, 4),
		I_CALL(189) /* xdp_load_bytes */,
		RET0), REJ, "a helper may not write the read-only value either" },
	{ "devmap-lookup-atomic", XDP, 0, PROG(
		LOOKUP0(ADV_MAP_DEV), I_JMP_IMM(BVC_JEQ, 0, 0, 2), I_MOV64_IMM(1, 1),
		I_RAW(BVC_STX | BVC_ATOMIC | BVC_W, 0, 1, 0, 0 /* add */),
		RET0), REJ, "nor an atomic add" },
	{ "devmap-lookup-write", XDP, 0, PROG(
		LOOKUP0(ADV_MAP_DEV), I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_ST(BVC_W, 0, 0, 1),
		RET0), REJ, "a devmap entry may not be written" },
	{ "devmap-lookup-socket-filter", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_DEV), I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_LDX(BVC_W, 0, 0, 0),
		RET0), ACC, "a devmap lookup outside XDP" },
	{ "cpumap-lookup", XDP, 0, PROG(
		LOOKUP0(ADV_MAP_CPU),
		RET0), REJ, "no lookup in a cpumap from a program" },
	{ "xskmap-lookup", XDP, 0, PROG(
		LOOKUP0(ADV_MAP_XSK), I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_LDX(BVC_W, 0, 0, 0),
		RET0), REJ_GAP, "an xskmap lookup yields an XDP socket: not modelled" },
	{ "xskmap-lookup-no-null-check", XDP, 0, PROG(
		LOOKUP0(ADV_MAP_XSK), I_LDX(BVC_W, 0, 0, 0),
		RET0), REJ, "the socket may be NULL" },

	/* ---------------------------------------------------------------
	 * Array and hash of maps: a lookup gives a map, after a NULL check
	 * --------------------------------------------------------------- */
	{ "mim-array-inner-lookup", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_AOM), I_JMP_IMM(BVC_JEQ, 0, 0, 7), I_MOV64_REG(1, 0),
		I_ST(BVC_W, 10, -8, 1), FP(2, -8), LOOKUP, I_JMP_IMM(BVC_JEQ, 0, 0, 1),
		I_LDX(BVC_DW, 1, 0, 8),
		RET0), ACC, "outer lookup, NULL check, inner lookup (key 1), read bytes 8..15" },
	{ "mim-hash-inner-update", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_HOM), I_JMP_IMM(BVC_JEQ, 0, 0, 8), I_MOV64_REG(1, 0),
		I_ST(BVC_DW, 10, -16, 7), FP(2, -4), FP(3, -16), I_MOV64_IMM(4, 0), UPDATE,
		RET0), ACC, "update the inner hash through the map pointer" },
	{ "mim-inner-value-past-end", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_AOM), I_JMP_IMM(BVC_JEQ, 0, 0, 7), I_MOV64_REG(1, 0),
		I_ST(BVC_W, 10, -8, 1), FP(2, -8), LOOKUP, I_JMP_IMM(BVC_JEQ, 0, 0, 1),
		I_LDX(BVC_DW, 1, 0, 12),
		RET0), REJ, "the inner value has the template's 16 bytes" },
	{ "mim-inner-hash-value-size", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_HOM), I_JMP_IMM(BVC_JEQ, 0, 0, 6), I_MOV64_REG(1, 0),
		FP(2, -4), LOOKUP, I_JMP_IMM(BVC_JEQ, 0, 0, 1),
		I_LDX(BVC_DW, 1, 0, 8),
		RET0), REJ, "the inner hash's values are 8 bytes" },
	{ "mim-no-null-check", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_AOM), I_MOV64_REG(1, 0), FP(2, -4), LOOKUP,
		RET0), REJ, "the outer lookup may give NULL: not a map yet" },
	{ "mim-inner-lookup-no-null-check", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_HOM), I_JMP_IMM(BVC_JEQ, 0, 0, 5), I_MOV64_REG(1, 0),
		FP(2, -4), LOOKUP, I_LDX(BVC_DW, 1, 0, 0),
		RET0), REJ, "an inner hash lookup may give NULL" },
	{ "mim-inner-array-const-key", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_AOM), I_JMP_IMM(BVC_JEQ, 0, 0, 6), I_MOV64_REG(1, 0),
		I_ST(BVC_W, 10, -8, 1), FP(2, -8), LOOKUP, I_LDX(BVC_DW, 1, 0, 8),
		RET0), ACC, "inner arrays all have the template's 4 entries: key 1 is there" },
	{ "mim-inner-array-any-size-const-key", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_AOMV), I_JMP_IMM(BVC_JEQ, 0, 0, 6), I_MOV64_REG(1, 0),
		I_ST(BVC_W, 10, -8, 1), FP(2, -8), LOOKUP, I_LDX(BVC_DW, 1, 0, 8),
		RET0), REJ, "BPF_F_INNER_MAP: an inner array may have 1 entry, key 1 may be NULL" },
	{ "mim-read-before-null-check", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_AOM), I_LDX(BVC_W, 0, 0, 0),
		RET0), REJ, "a map_ptr_or_null is not read" },
	{ "mim-arith-before-null-check", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_HOM), I_ALU64_IMM(BVC_ADD, 0, 0), I_JMP_IMM(BVC_JEQ, 0, 0, 1),
		I_MOV64_REG(1, 0),
		RET0), REJ, "no arithmetic on a map_ptr_or_null, not even + 0" },
	{ "mim-null-checked-copy", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_HOM), I_MOV64_REG(7, 0), I_JMP_IMM(BVC_JEQ, 0, 0, 4),
		I_MOV64_REG(1, 7), FP(2, -4), LOOKUP,
		RET0), ACC, "the NULL check of a copy covers the other" },
	{ "mim-map-ptr-arith", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_AOM), I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_ALU64_IMM(BVC_ADD, 0, 8),
		RET0), REJ, "no arithmetic on a map pointer" },
	{ "mim-map-ptr-write", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_AOM), I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_ST(BVC_W, 0, 0, 1),
		RET0), REJ, "the element is a map, not a value to write" },
	{ "mim-map-ptr-read", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_AOM), I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_LDX(BVC_W, 0, 0, 0),
		RET0), REJ_GAP, "reading struct bpf_map fields through BTF: not modelled" },
	{ "mim-outer-update", SOCKF, 0, PROG(
		I_ST(BVC_W, 10, -4, 0), I_ST(BVC_W, 10, -8, 0), LD_MAP(1, ADV_MAP_AOM), FP(2, -4),
		FP(3, -8), I_MOV64_IMM(4, 0), UPDATE,
		RET0), REJ, "no update of an array of maps from a program" },
	{ "mim-outer-direct-value", SOCKF, 0, PROG(
		LD_MAP_VALUE(1, ADV_MAP_AOM, 0), I_LDX(BVC_W, 0, 1, 0),
		I_EXIT()), REJ, "an array of maps has no direct value" },
	{ "mim-inner-as-tail-call-map", SOCKF, 0, PROG(
		I_MOV64_REG(6, 1), LOOKUP0(ADV_MAP_AOM), I_JMP_IMM(BVC_JEQ, 0, 0, 3),
		I_MOV64_REG(2, 0), I_MOV64_REG(1, 6), I_MOV64_IMM(3, 0), I_CALL(12),
		RET0), REJ, "an inner array is no program array" },
	{ "mim-inner-map-ptr-spilled", SOCKF, 0, PROG(
		LOOKUP0(ADV_MAP_HOM), I_JMP_IMM(BVC_JEQ, 0, 0, 8), I_STX(BVC_DW, 10, 0, -16),
		RAND, I_LDX(BVC_DW, 1, 10, -16), FP(2, -4), LOOKUP,
		I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_LDX(BVC_DW, 1, 0, 0),
		RET0), ACC, "a map pointer survives a spill and a call" },

	/* ---------------------------------------------------------------
	 * LPM tries: keys and values as a hash's
	 * --------------------------------------------------------------- */
	{ "trie-lookup", XDP, 0, PROG(
		I_ST(BVC_W, 10, -8, 32), I_ST(BVC_W, 10, -4, 0x0100000a), LD_MAP(1, ADV_MAP_TRIE),
		FP(2, -8), LOOKUP, I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_LDX(BVC_DW, 1, 0, 0),
		RET0), ACC, "lookup 10.0.0.1/32, read the 8-byte value" },
	{ "trie-lookup-no-null-check", XDP, 0, PROG(
		I_ST(BVC_W, 10, -8, 32), I_ST(BVC_W, 10, -4, 0), LD_MAP(1, ADV_MAP_TRIE),
		FP(2, -8), LOOKUP, I_LDX(BVC_DW, 1, 0, 0),
		RET0), REJ, "no prefix may match" },
	{ "trie-value-past-end", XDP, 0, PROG(
		I_ST(BVC_W, 10, -8, 32), I_ST(BVC_W, 10, -4, 0), LD_MAP(1, ADV_MAP_TRIE),
		FP(2, -8), LOOKUP, I_JMP_IMM(BVC_JEQ, 0, 0, 1), I_LDX(BVC_W, 1, 0, 6),
		RET0), REJ, "bytes 6..9 of an 8-byte value" },
	{ "trie-short-key", XDP, 0, PROG(
		I_ST(BVC_W, 10, -4, 32), LD_MAP(1, ADV_MAP_TRIE), FP(2, -4), LOOKUP,
		RET0), REJ, "the key is 8 bytes, 4 are left below fp" },
	{ "trie-update-delete", XDP, 0, PROG(
		I_ST(BVC_W, 10, -8, 24), I_ST(BVC_W, 10, -4, 0), I_ST(BVC_DW, 10, -16, 1),
		LD_MAP(1, ADV_MAP_TRIE), FP(2, -8), FP(3, -16), I_MOV64_IMM(4, 0), UPDATE,
		LD_MAP(1, ADV_MAP_TRIE), FP(2, -8), I_CALL(3),
		RET0), ACC, "a program may update and delete prefixes" },
	{ "trie-redirect", XDP, 0, PROG(
		LD_MAP(1, ADV_MAP_TRIE), I_MOV64_IMM(2, 0), I_MOV64_IMM(3, 0), REDIRECT_MAP,
		I_EXIT()), REJ, "a trie is no redirect target" },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

Test(adversarial_maptypes, ours_match_table)
{
	adv_check_ours(cases, NCASES);
}

Test(adversarial_maptypes, kernel_agrees)
{
	adv_check_kernel(cases, NCASES);
}
