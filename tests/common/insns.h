/* SPDX-License-Identifier: MIT */
/*
 * Instruction builders for tests, in the spirit of the kernel's
 * BPF_*() macros in filter.h (our own spelling).
 */
#ifndef BVC_TEST_INSNS_H
#define BVC_TEST_INSNS_H

#include "bpfvc/isa.h"

#define I_RAW(c, d, s, o, i) ((struct bvc_insn){ .code = (c), .dst = (d), .src = (s), .off = (o), .imm = (i) })
#define I_ALU64_IMM(op, d, i) I_RAW(BVC_ALU64 | (op) | BVC_K, d, 0, 0, i)
#define I_ALU64_REG(op, d, s) I_RAW(BVC_ALU64 | (op) | BVC_X, d, s, 0, 0)
#define I_ALU32_IMM(op, d, i) I_RAW(BVC_ALU | (op) | BVC_K, d, 0, 0, i)
#define I_ALU32_REG(op, d, s) I_RAW(BVC_ALU | (op) | BVC_X, d, s, 0, 0)
#define I_MOV64_IMM(d, i) I_ALU64_IMM(BVC_MOV, d, i)
#define I_MOV64_REG(d, s) I_ALU64_REG(BVC_MOV, d, s)
#define I_MOV32_IMM(d, i) I_ALU32_IMM(BVC_MOV, d, i)
#define I_LDX(sz, d, s, o) I_RAW(BVC_LDX | BVC_MEM | (sz), d, s, o, 0)
#define I_STX(sz, d, s, o) I_RAW(BVC_STX | BVC_MEM | (sz), d, s, o, 0)
#define I_ST(sz, d, o, i) I_RAW(BVC_ST | BVC_MEM | (sz), d, 0, o, i)
#define I_JMP_IMM(op, d, i, o) I_RAW(BVC_JMP | (op) | BVC_K, d, 0, o, i)
#define I_JMP_REG(op, d, s, o) I_RAW(BVC_JMP | (op) | BVC_X, d, s, o, 0)
#define I_JA(o) I_RAW(BVC_JMP | BVC_JA, 0, 0, o, 0)
#define I_CALL(id) I_RAW(BVC_JMP | BVC_CALL, 0, 0, 0, id)
#define I_CALL_LOCAL(rel) I_RAW(BVC_JMP | BVC_CALL, 0, BVC_PSEUDO_CALL, 0, rel)
#define I_EXIT() I_RAW(BVC_JMP | BVC_EXIT, 0, 0, 0, 0)
#define I_LD_IMM64_LO(d, s, v) I_RAW(BVC_LD | BVC_IMM | BVC_DW, d, s, 0, (int32_t)(uint32_t)(v))
#define I_LD_IMM64_HI(v) I_RAW(0, 0, 0, 0, (int32_t)(uint32_t)((uint64_t)(v) >> 32))

#endif
