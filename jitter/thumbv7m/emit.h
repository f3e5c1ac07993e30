/* SPDX-License-Identifier: MIT */
/*
 * ARMv7-M Thumb-2 instruction encoders: one function per machine
 * instruction (or per encoding class where the manual gives one table for
 * several). Section numbers are those of the ARMv7-M Architecture
 * Reference Manual (DDI 0403E): A5.2/A5.3 for the encoding tables, A7.7
 * for each instruction.
 *
 * An encoded instruction is returned as a uint32_t: a 16-bit encoding in
 * the low half (high half 0), a 32-bit one as (first halfword << 16) |
 * second halfword. thumb_size() tells them apart as the CPU does, by the
 * first halfword's top five bits.
 *
 * Encoders are pure: they know nothing of eBPF, never emit, never print.
 * An operand the instruction cannot encode (an immediate out of range, a
 * register the encoding forbids, a misaligned branch) returns T_BAD; the
 * emitter turns that into its sticky error.
 */
#ifndef BVC_JIT_THUMB_EMIT_H
#define BVC_JIT_THUMB_EMIT_H

#include <stdint.h>

/* Returned for operands the instruction cannot encode (a coprocessor
 * space word no translation ever wants). */
#define T_BAD 0xffffffffu

enum {
	T_R0 = 0, T_R1, T_R2, T_R3, T_R4, T_R5, T_R6, T_R7,
	T_R8, T_R9, T_R10, T_R11, T_R12, T_SP, T_LR, T_PC,
};

/* Condition codes (A7.3). */
enum t_cond {
	T_EQ = 0x0, T_NE = 0x1, T_HS = 0x2, T_LO = 0x3,
	T_MI = 0x4, T_PL = 0x5, T_VS = 0x6, T_VC = 0x7,
	T_HI = 0x8, T_LS = 0x9, T_GE = 0xa, T_LT = 0xb,
	T_GT = 0xc, T_LE = 0xd, T_AL = 0xe,
};

/* Data-processing opcodes shared by the modified-immediate (A5.3.1) and
 * shifted-register (A5.3.11) tables. */
enum t_dp {
	T_AND = 0x0, T_BIC = 0x1, T_ORR = 0x2, T_ORN = 0x3, T_EOR = 0x4,
	T_ADD = 0x8, T_ADC = 0xa, T_SBC = 0xb, T_SUB = 0xd, T_RSB = 0xe,
};

/* Shift types (A7.4.2). */
enum t_shift { T_LSL = 0, T_LSR = 1, T_ASR = 2, T_ROR = 3 };

/* Access of a single load/store (A5.3.7-A5.3.10). */
enum t_ldst {
	T_STRB, T_STRH, T_STR,      /* store the low bytes */
	T_LDRB, T_LDRH, T_LDR,      /* zero-extending load */
	T_LDRSB, T_LDRSH,           /* sign-extending load */
};

/* 2 or 4: the bytes of an encoded instruction. */
int thumb_size(uint32_t insn);

/* The 12-bit modified immediate for @v (A5.3.2), or -1. */
int thumb_modimm(uint32_t v);

/* Data processing, modified immediate (A5.3.1): AND, ORR, ADD, SUB, RSB...
 * TST/CMP/CMN are the S forms with rd PC; MOV/MVN are ORR/ORN with rn PC. */
uint32_t t2_dp_imm(enum t_dp op, int s, int rd, int rn, uint32_t value);
/* Data processing, shifted register (A5.3.11); MOV (shifted) is ORR, rn PC. */
uint32_t t2_dp_reg(enum t_dp op, int s, int rd, int rn, int rm, enum t_shift type, int amount);
uint32_t t2_addw(int rd, int rn, uint32_t imm12); /* ADDW (A7.7.3 T4); rn may be SP */
uint32_t t2_subw(int rd, int rn, uint32_t imm12); /* SUBW (A7.7.174 T4); rn may be SP */
uint32_t t2_movw(int rd, uint16_t imm16);         /* MOV (immediate) T3 */
uint32_t t2_movt(int rd, uint16_t imm16);         /* MOVT */

/* Register-controlled shifts (A7.7.68 LSL, A7.7.70 LSR, A7.7.11 ASR, T2):
 * the amount is rm's bottom byte, 32 or more shifts everything out. */
uint32_t t2_shift_reg(enum t_shift type, int rd, int rn, int rm);
uint32_t t2_sxtb(int rd, int rm); /* SXTB T2 */
uint32_t t2_sxth(int rd, int rm); /* SXTH T2 */
uint32_t t2_uxth(int rd, int rm); /* UXTH T2 */
uint32_t t2_rev(int rd, int rm);  /* REV T2 */

/* Multiply and divide (A5.3.16, A5.3.17). */
uint32_t t2_mul(int rd, int rn, int rm);          /* MUL T2 */
uint32_t t2_mla(int rd, int rn, int rm, int ra);  /* MLA: rd = ra + rn * rm */
uint32_t t2_mls(int rd, int rn, int rm, int ra);  /* MLS: rd = ra - rn * rm */
uint32_t t2_umull(int rdlo, int rdhi, int rn, int rm); /* UMULL */
uint32_t t2_udiv(int rd, int rn, int rm);         /* UDIV: x / 0 = 0 */
uint32_t t2_sdiv(int rd, int rn, int rm);         /* SDIV: x / 0 = 0, INT_MIN / -1 wraps */

/* Loads and stores. */
uint32_t t2_ldst_imm(enum t_ldst op, int rt, int rn, int32_t off); /* [rn, #off], -255..4095 */
uint32_t t2_ldst_reg(enum t_ldst op, int rt, int rn, int rm);      /* [rn, rm] */
uint32_t t2_ldrd(int rt, int rt2, int rn, int32_t off);   /* LDRD [rn, #off], off % 4 == 0, |off| <= 1020 */
uint32_t t2_strd(int rt, int rt2, int rn, int32_t off);   /* STRD [rn, #off] */
uint32_t t2_strd_pre(int rt, int rt2, int rn, int32_t off); /* STRD [rn, #off]! */
uint32_t t2_ldm(int rn, int wback, uint16_t list);  /* LDMIA (T2); POP is LDMIA SP! */
uint32_t t2_stmdb(int rn, int wback, uint16_t list); /* STMDB (T1); PUSH is STMDB SP! */

/* Branches and miscellaneous (A5.3.4, A5.2). Offsets are from the
 * instruction's address + 4. */
uint32_t t2_b(int32_t off);                   /* B T4, +-16 MiB */
uint32_t t2_bl(int32_t off);                  /* BL */
uint32_t t2_b_cond(enum t_cond c, int32_t off); /* B<c> T3, +-1 MiB */
uint32_t t1_blx(int rm);                      /* BLX (register) */
uint32_t t1_bx(int rm);                       /* BX */
uint32_t t1_it(enum t_cond first, int n);     /* IT with @n (1..4) "then" slots */
uint32_t t1_mov(int rd, int rm);              /* MOV (register) T1, any registers */
uint32_t t1_add_pc(int rdn);                  /* ADD rdn, PC (A7.7.4 T2) */
uint32_t t1_cmp(int rn, int rm);              /* CMP (register) T1, low registers */
uint32_t t1_movs_imm(int rd, uint8_t imm8);   /* MOVS (immediate) T1, low registers */
uint32_t t1_negs(int rd, int rn);             /* RSBS rd, rn, #0 (A7.7.118 T1), low registers */
uint32_t t1_nop(void);                        /* NOP T1 */
uint32_t t1_cpsid_i(void);                    /* CPSID i (B5.2.1) */
uint32_t t2_mrs_primask(int rd);              /* MRS rd, PRIMASK (B5.2.2) */
uint32_t t2_msr_primask(int rn);              /* MSR PRIMASK, rn (B5.2.3) */

#endif /* BVC_JIT_THUMB_EMIT_H */
