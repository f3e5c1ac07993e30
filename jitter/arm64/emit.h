/* SPDX-License-Identifier: MIT */
/*
 * AArch64 instruction encoders: one function per machine instruction (or
 * per encoding class where the manual gives one table for several), each
 * returning the 32-bit word. Section names are those of the Arm
 * Architecture Reference Manual for A-profile (DDI 0487), chapter C6
 * "A64 Base Instruction Descriptions", and C4.1 for the encoding groups.
 *
 * Encoders are pure: they know nothing of eBPF, never emit, never print.
 * An operand the instruction cannot encode (an immediate out of range, a
 * misaligned branch) returns A64_BAD; the emitter turns that into its
 * sticky error, so a bad encoding can never reach the code buffer.
 */
#ifndef BVC_JIT_ARM64_EMIT_H
#define BVC_JIT_ARM64_EMIT_H

#include <stdint.h>

/* Returned for operands the instruction cannot encode. 0 is UDF #0, a
 * permanently undefined word no translation ever wants. */
#define A64_BAD 0u

/* Register numbers. 31 is SP or XZR/WZR depending on the instruction:
 * each encoder's comment says which it means. */
enum {
	A64_X0 = 0, A64_X1, A64_X2, A64_X3, A64_X4, A64_X5, A64_X6, A64_X7,
	A64_X8, A64_X9, A64_X10, A64_X11, A64_X12, A64_X13, A64_X14, A64_X15,
	A64_X16, A64_X17, A64_X18, A64_X19, A64_X20, A64_X21, A64_X22, A64_X23,
	A64_X24, A64_X25, A64_X26, A64_X27, A64_X28, A64_FP, A64_LR,
	A64_SP = 31,
	A64_ZR = 31,
};

/* Condition codes (C1.2.4 "Condition code"). */
enum a64_cond {
	A64_EQ = 0x0, A64_NE = 0x1, A64_HS = 0x2, A64_LO = 0x3,
	A64_MI = 0x4, A64_PL = 0x5, A64_VS = 0x6, A64_VC = 0x7,
	A64_HI = 0x8, A64_LS = 0x9, A64_GE = 0xa, A64_LT = 0xb,
	A64_GT = 0xc, A64_LE = 0xd, A64_AL = 0xe,
};

/* Access size of a load/store: log2 of the bytes. */
enum a64_size {
	A64_SZ_B = 0,
	A64_SZ_H = 1,
	A64_SZ_W = 2,
	A64_SZ_X = 3,
};

/* What a single-register load/store does (the opc field of C4.1.94). */
enum a64_ldst {
	A64_STR = 0,   /* store the low bytes of Rt */
	A64_LDR = 1,   /* zero-extending load */
	A64_LDRS = 2,  /* sign-extending load to 64 bits (LDRSB/LDRSH/LDRSW Xt) */
};

/* Data processing, immediate (C4.1.92) */
uint32_t a64_add_imm(int sf, int rd, int rn, uint32_t imm12, int lsl12);  /* ADD (immediate); rd, rn: SP */
uint32_t a64_sub_imm(int sf, int rd, int rn, uint32_t imm12, int lsl12);  /* SUB (immediate); rd, rn: SP */
uint32_t a64_subs_imm(int sf, int rd, int rn, uint32_t imm12, int lsl12); /* SUBS (immediate): CMP with rd ZR */
uint32_t a64_adds_imm(int sf, int rd, int rn, uint32_t imm12, int lsl12); /* ADDS (immediate): CMN with rd ZR */
uint32_t a64_and_imm(int sf, int rd, int rn, uint64_t bits);  /* AND (immediate); rd: SP */
uint32_t a64_orr_imm(int sf, int rd, int rn, uint64_t bits);  /* ORR (immediate); rd: SP */
uint32_t a64_eor_imm(int sf, int rd, int rn, uint64_t bits);  /* EOR (immediate); rd: SP */
uint32_t a64_ands_imm(int sf, int rd, int rn, uint64_t bits); /* ANDS (immediate): TST with rd ZR */
uint32_t a64_movz(int sf, int rd, uint16_t imm16, int hw);     /* MOVZ */
uint32_t a64_movn(int sf, int rd, uint16_t imm16, int hw);     /* MOVN */
uint32_t a64_movk(int sf, int rd, uint16_t imm16, int hw);     /* MOVK */
uint32_t a64_sbfm(int sf, int rd, int rn, int immr, int imms); /* SBFM: ASR/SXTB/SXTH/SXTW */
uint32_t a64_ubfm(int sf, int rd, int rn, int immr, int imms); /* UBFM: LSL/LSR/UXTB/UXTH */
uint32_t a64_adr(int rd, int32_t byte_off);                     /* ADR */

/* True when @bits (the low 32 replicated when !sf) is a logical immediate. */
int a64_is_logical_imm(int sf, uint64_t bits);

/* Data processing, register (C4.1.95); register 31 is ZR throughout */
uint32_t a64_add_reg(int sf, int rd, int rn, int rm);  /* ADD (shifted register) */
uint32_t a64_sub_reg(int sf, int rd, int rn, int rm);  /* SUB (shifted register): NEG with rn ZR */
uint32_t a64_subs_reg(int sf, int rd, int rn, int rm); /* SUBS (shifted register): CMP with rd ZR */
uint32_t a64_and_reg(int sf, int rd, int rn, int rm);  /* AND (shifted register) */
uint32_t a64_orr_reg(int sf, int rd, int rn, int rm);  /* ORR (shifted register): MOV with rn ZR */
uint32_t a64_eor_reg(int sf, int rd, int rn, int rm);  /* EOR (shifted register) */
uint32_t a64_ands_reg(int sf, int rd, int rn, int rm); /* ANDS (shifted register): TST with rd ZR */
uint32_t a64_udiv(int sf, int rd, int rn, int rm);     /* UDIV */
uint32_t a64_sdiv(int sf, int rd, int rn, int rm);     /* SDIV */
uint32_t a64_lslv(int sf, int rd, int rn, int rm);     /* LSLV */
uint32_t a64_lsrv(int sf, int rd, int rn, int rm);     /* LSRV */
uint32_t a64_asrv(int sf, int rd, int rn, int rm);     /* ASRV */
uint32_t a64_madd(int sf, int rd, int rn, int rm, int ra); /* MADD: MUL with ra ZR */
uint32_t a64_msub(int sf, int rd, int rn, int rm, int ra); /* MSUB */
uint32_t a64_rev16(int sf, int rd, int rn);            /* REV16 */
uint32_t a64_rev(int sf, int rd, int rn);              /* REV (32 or 64 bits by sf) */

/* Loads and stores (C4.1.94) */
uint32_t a64_ldst_uimm(enum a64_ldst op, enum a64_size sz, int rt, int rn, uint32_t byte_off); /* LDR/STR (immediate), unsigned offset; rn: SP, rt: ZR */
uint32_t a64_ldst_unscaled(enum a64_ldst op, enum a64_size sz, int rt, int rn, int32_t off);   /* LDUR/STUR family; rn: SP, rt: ZR */
uint32_t a64_ldst_reg(enum a64_ldst op, enum a64_size sz, int rt, int rn, int rm);             /* LDR/STR (register), LSL #0; rn: SP */
uint32_t a64_ldr_lit(int rt, int32_t byte_off);        /* LDR (literal), 64-bit */
uint32_t a64_stp_pre(int rt, int rt2, int rn, int32_t off);  /* STP (pre-index), 64-bit; rn: SP */
uint32_t a64_ldp_post(int rt, int rt2, int rn, int32_t off); /* LDP (post-index), 64-bit; rn: SP */
uint32_t a64_str_pre(int rt, int rn, int32_t off);     /* STR (immediate) pre-index, 64-bit; rn: SP */
uint32_t a64_ldr_post(int rt, int rn, int32_t off);    /* LDR (immediate) post-index, 64-bit; rn: SP */
uint32_t a64_ldxr(int sf, int rt, int rn);             /* LDXR (W or X by sf); rn: SP */
uint32_t a64_stxr(int sf, int rs, int rt, int rn);     /* STXR; rs gets the status (W) */
uint32_t a64_stlxr(int sf, int rs, int rt, int rn);    /* STLXR: STXR with release */

/* Branches, exception generating and system instructions (C4.1.93) */
uint32_t a64_b(int32_t byte_off);                      /* B */
uint32_t a64_bl(int32_t byte_off);                     /* BL */
uint32_t a64_b_cond(enum a64_cond cond, int32_t byte_off); /* B.cond */
uint32_t a64_cbz(int sf, int rt, int32_t byte_off);    /* CBZ */
uint32_t a64_cbnz(int sf, int rt, int32_t byte_off);   /* CBNZ */
uint32_t a64_blr(int rn);                              /* BLR */
uint32_t a64_br(int rn);                               /* BR */
uint32_t a64_ret(int rn);                              /* RET */
uint32_t a64_nop(void);                                /* NOP */
uint32_t a64_dmb_ish(void);                            /* DMB ISH */

#endif /* BVC_JIT_ARM64_EMIT_H */
