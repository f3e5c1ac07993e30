// SPDX-License-Identifier: MIT
/*
 * ARMv7-M Thumb-2 encoders (see emit.h). Only encodings the M profile has
 * (ARMv7-M, DDI 0403E): no ARM state, no LDREXD, no A-profile system
 * instructions. Every encoder checks its operands and returns T_BAD rather
 * than a word the CPU would decode differently.
 *
 * Must not: know about eBPF, emit, or print.
 */
#include "emit.h"

/* SP or PC: registers most 32-bit encodings forbid (the manual's BadReg). */
static int bad(int r)
{
	return r < 0 || r > 14 || r == T_SP;
}

static int low(int r)
{
	return r >= 0 && r <= 7;
}

static uint32_t w32(uint32_t hw1, uint32_t hw2)
{
	return hw1 << 16 | (hw2 & 0xffff);
}

int thumb_size(uint32_t insn)
{
	return insn >> 16 ? 4 : 2;
}

int thumb_modimm(uint32_t v)
{
	uint32_t b = v & 0xff;
	int rot;

	if (v <= 0xff)
		return (int)v;
	if (v == (b | b << 16))
		return (int)(0x100 | b);
	if (v == ((v >> 8 & 0xff) << 8 | (v >> 8 & 0xff) << 24))
		return (int)(0x200 | (v >> 8 & 0xff));
	if (v == b * 0x01010101u)
		return (int)(0x300 | b);
	/* an 8-bit value with its top bit set, rotated right by 8..31 */
	for (rot = 8; rot < 32; rot++) {
		uint32_t x = v << rot | v >> (32 - rot); /* rotate left: undo the ror */

		if (x <= 0xff && (x & 0x80))
			return rot << 7 | (int)(x & 0x7f);
	}
	return -1;
}

/* A5.3.1: 11110 i 0 op S Rn | 0 imm3 Rd imm8 */
uint32_t t2_dp_imm(enum t_dp op, int s, int rd, int rn, uint32_t value)
{
	int m = thumb_modimm(value);

	if (m < 0 || rd < 0 || rd > 15 || rn < 0 || rn > 15)
		return T_BAD;
	/* rd PC only for the flag-setting compares; SP only with ADD/SUB */
	if ((rd == T_PC && !s) || ((rd == T_SP || rn == T_SP) && op != T_ADD && op != T_SUB))
		return T_BAD;
	return w32(0xf000 | (uint32_t)(m >> 11 & 1) << 10 | (uint32_t)op << 5 | (uint32_t)!!s << 4 |
			   (uint32_t)rn,
		   (uint32_t)(m >> 8 & 7) << 12 | (uint32_t)rd << 8 | (uint32_t)(m & 0xff));
}

/* A5.3.11: 1110101 op S Rn | 0 imm3 Rd imm2 type Rm */
uint32_t t2_dp_reg(enum t_dp op, int s, int rd, int rn, int rm, enum t_shift type, int amount)
{
	if (bad(rm) || rd < 0 || rd > 15 || rn < 0 || rn > 15 || amount < 0 || amount > 31)
		return T_BAD;
	if ((rd == T_PC && !s) || (rd == T_SP && (op != T_ADD && op != T_SUB)) ||
	    (rn == T_SP && op != T_ADD && op != T_SUB) ||
	    (rn == T_PC && op != T_ORR && op != T_ORN))
		return T_BAD;
	if (amount == 0 && type != T_LSL)
		return T_BAD; /* #0 there means 32 (or RRX) */
	return w32(0xea00 | (uint32_t)op << 5 | (uint32_t)!!s << 4 | (uint32_t)rn,
		   (uint32_t)(amount >> 2) << 12 | (uint32_t)rd << 8 | (uint32_t)(amount & 3) << 6 |
			   (uint32_t)type << 4 | (uint32_t)rm);
}

/* A5.3.3: 11110 i 1 op 0 Rn | 0 imm3 Rd imm8 with a plain 12-bit value */
static uint32_t plain12(uint32_t hw1, int rd, int rn, uint32_t imm12)
{
	if (imm12 > 0xfff || bad(rd) || rn < 0 || rn > 14)
		return T_BAD;
	return w32(hw1 | (imm12 >> 11 & 1) << 10 | (uint32_t)rn,
		   (imm12 >> 8 & 7) << 12 | (uint32_t)rd << 8 | (imm12 & 0xff));
}

uint32_t t2_addw(int rd, int rn, uint32_t imm12)
{
	if (rd == T_SP && rn == T_SP)
		return imm12 > 0xfff ? T_BAD : w32(0xf20d | (imm12 >> 11 & 1) << 10,
						   (imm12 >> 8 & 7) << 12 | 13 << 8 | (imm12 & 0xff));
	return plain12(0xf200, rd, rn, imm12);
}

uint32_t t2_subw(int rd, int rn, uint32_t imm12)
{
	if (rd == T_SP && rn == T_SP)
		return imm12 > 0xfff ? T_BAD : w32(0xf2ad | (imm12 >> 11 & 1) << 10,
						   (imm12 >> 8 & 7) << 12 | 13 << 8 | (imm12 & 0xff));
	return plain12(0xf2a0, rd, rn, imm12);
}

static uint32_t mov16(uint32_t hw1, int rd, uint16_t imm16)
{
	if (bad(rd))
		return T_BAD;
	return w32(hw1 | (uint32_t)(imm16 >> 11 & 1) << 10 | (uint32_t)(imm16 >> 12),
		   (uint32_t)(imm16 >> 8 & 7) << 12 | (uint32_t)rd << 8 | (imm16 & 0xff));
}

uint32_t t2_movw(int rd, uint16_t imm16)
{
	return mov16(0xf240, rd, imm16);
}

uint32_t t2_movt(int rd, uint16_t imm16)
{
	return mov16(0xf2c0, rd, imm16);
}

/* A5.3.12: 11111010 0 type S Rn | 1111 Rd 0000 Rm */
uint32_t t2_shift_reg(enum t_shift type, int rd, int rn, int rm)
{
	if (bad(rd) || bad(rn) || bad(rm))
		return T_BAD;
	return w32(0xfa00 | (uint32_t)type << 5 | (uint32_t)rn, 0xf000 | (uint32_t)rd << 8 | (uint32_t)rm);
}

/* A5.3.12 extends, rotation 0: 11111010 0 op 1111 | 1111 Rd 10 00 Rm */
static uint32_t extend(uint32_t op, int rd, int rm)
{
	if (bad(rd) || bad(rm))
		return T_BAD;
	return w32(0xfa0f | op << 4, 0xf080 | (uint32_t)rd << 8 | (uint32_t)rm);
}

uint32_t t2_sxth(int rd, int rm)
{
	return extend(0, rd, rm);
}

uint32_t t2_uxth(int rd, int rm)
{
	return extend(1, rd, rm);
}

uint32_t t2_sxtb(int rd, int rm)
{
	return extend(4, rd, rm);
}

/* A5.3.12 miscellaneous: 11111010 1001 Rm | 1111 Rd 1000 Rm */
uint32_t t2_rev(int rd, int rm)
{
	if (bad(rd) || bad(rm))
		return T_BAD;
	return w32(0xfa90 | (uint32_t)rm, 0xf080 | (uint32_t)rd << 8 | (uint32_t)rm);
}

/* A5.3.16: 11111011 0 op1 Rn | Ra Rd op2 Rm */
static uint32_t mul3(uint32_t op1, uint32_t op2, int rd, int rn, int rm, int ra)
{
	if (bad(rd) || bad(rn) || bad(rm) || ra < 0 || ra > 15 || ra == T_SP)
		return T_BAD;
	return w32(0xfb00 | op1 << 4 | (uint32_t)rn,
		   (uint32_t)ra << 12 | (uint32_t)rd << 8 | op2 << 4 | (uint32_t)rm);
}

uint32_t t2_mul(int rd, int rn, int rm)
{
	return mul3(0, 0, rd, rn, rm, T_PC);
}

uint32_t t2_mla(int rd, int rn, int rm, int ra)
{
	return ra == T_PC ? T_BAD : mul3(0, 0, rd, rn, rm, ra);
}

uint32_t t2_mls(int rd, int rn, int rm, int ra)
{
	return ra == T_PC ? T_BAD : mul3(0, 1, rd, rn, rm, ra);
}

uint32_t t2_umull(int rdlo, int rdhi, int rn, int rm)
{
	if (bad(rdlo) || bad(rdhi) || rdlo == rdhi)
		return T_BAD;
	return mul3(0xa, 0, rdhi, rn, rm, rdlo);
}

/* A5.3.17: SDIV 11111011 1001 Rn | 1111 Rd 1111 Rm; UDIV op1 1011 */
uint32_t t2_sdiv(int rd, int rn, int rm)
{
	return mul3(0x9, 0xf, rd, rn, rm, T_PC);
}

uint32_t t2_udiv(int rd, int rn, int rm)
{
	return mul3(0xb, 0xf, rd, rn, rm, T_PC);
}

/* A5.3.7-A5.3.10: 1111100 S 1 size L Rn | Rt imm12 (positive offsets),
 * 1111100 S 0 size L Rn | Rt 1 P U W imm8 with P=1 U=0 W=0 (negative),
 * 1111100 S 0 size L Rn | Rt 000000 imm2 Rm (register). */
static uint32_t ldst_bits(enum t_ldst op)
{
	switch (op) {
	case T_STRB: return 0x0 << 5 | 0;
	case T_STRH: return 0x1 << 5 | 0;
	case T_STR: return 0x2 << 5 | 0;
	case T_LDRB: return 0x0 << 5 | 1 << 4;
	case T_LDRH: return 0x1 << 5 | 1 << 4;
	case T_LDR: return 0x2 << 5 | 1 << 4;
	case T_LDRSB: return 1 << 8 | 0x0 << 5 | 1 << 4;
	case T_LDRSH: return 1 << 8 | 0x1 << 5 | 1 << 4;
	}
	return 0;
}

uint32_t t2_ldst_imm(enum t_ldst op, int rt, int rn, int32_t off)
{
	uint32_t hw1 = 0xf800 | ldst_bits(op);

	/* Rt SP is UNPREDICTABLE for the sub-word forms, PC for all we use */
	if (rt < 0 || rt > 14 || rt == T_SP || rn < 0 || rn > 14)
		return T_BAD;
	if (off >= 0 && off <= 0xfff)
		return w32(hw1 | 1 << 7 | (uint32_t)rn, (uint32_t)rt << 12 | (uint32_t)off);
	if (off < 0 && off >= -255)
		return w32(hw1 | (uint32_t)rn, (uint32_t)rt << 12 | 0xc00 | (uint32_t)-off);
	return T_BAD;
}

uint32_t t2_ldst_reg(enum t_ldst op, int rt, int rn, int rm)
{
	if (rt < 0 || rt > 14 || rt == T_SP || rn < 0 || rn > 14 || bad(rm))
		return T_BAD;
	return w32(0xf800 | ldst_bits(op) | (uint32_t)rn, (uint32_t)rt << 12 | (uint32_t)rm);
}

/* A7.7.50 LDRD / A7.7.163 STRD T1: 1110100 P U 1 W L Rn | Rt Rt2 imm8 */
static uint32_t dual(int load, int wback, int rt, int rt2, int rn, int32_t off)
{
	uint32_t u = off >= 0;
	uint32_t mag = (uint32_t)(off >= 0 ? off : -off);

	if (bad(rt) || bad(rt2) || rn < 0 || rn > 14 || (mag & 3) || mag > 1020 ||
	    (load && rt == rt2) || (wback && (rn == rt || rn == rt2)))
		return T_BAD;
	return w32(0xe940 | u << 7 | (uint32_t)!!wback << 5 | (uint32_t)!!load << 4 | (uint32_t)rn,
		   (uint32_t)rt << 12 | (uint32_t)rt2 << 8 | mag >> 2);
}

uint32_t t2_ldrd(int rt, int rt2, int rn, int32_t off)
{
	return dual(1, 0, rt, rt2, rn, off);
}

uint32_t t2_strd(int rt, int rt2, int rn, int32_t off)
{
	return dual(0, 0, rt, rt2, rn, off);
}

uint32_t t2_strd_pre(int rt, int rt2, int rn, int32_t off)
{
	return dual(0, 1, rt, rt2, rn, off);
}

/* A7.7.40 LDM T2: 1110100010 W 1 Rn | P M 0 list; A7.7.158 STMDB T1:
 * 1110100100 W 0 Rn | 0 M 0 list. Two registers at least, never SP. */
static int list_ok(uint16_t list)
{
	return (list & (list - 1)) && !(list & 1u << T_SP);
}

uint32_t t2_ldm(int rn, int wback, uint16_t list)
{
	if (!list_ok(list) || bad(rn == T_SP ? 0 : rn) ||
	    ((list & 1u << T_PC) && (list & 1u << T_LR)) || (wback && (list & 1u << rn)))
		return T_BAD;
	return w32(0xe890 | (uint32_t)!!wback << 5 | (uint32_t)rn, list);
}

uint32_t t2_stmdb(int rn, int wback, uint16_t list)
{
	if (!list_ok(list) || (list & 1u << T_PC) || bad(rn == T_SP ? 0 : rn) ||
	    (wback && (list & 1u << rn)))
		return T_BAD;
	return w32(0xe900 | (uint32_t)!!wback << 5 | (uint32_t)rn, list);
}

/* A7.7.12 B T4 / A7.7.18 BL: 11110 S imm10 | 1 0|1 J1 1 J2 imm11 */
static uint32_t branch24(uint32_t hw2, int32_t off)
{
	uint32_t u = (uint32_t)off, s, i1, i2;

	if ((off & 1) || off < -(1 << 24) || off >= (1 << 24))
		return T_BAD;
	s = u >> 24 & 1;
	i1 = u >> 23 & 1;
	i2 = u >> 22 & 1;
	return w32(0xf000 | s << 10 | (u >> 12 & 0x3ff),
		   hw2 | (~(i1 ^ s) & 1) << 13 | (~(i2 ^ s) & 1) << 11 | (u >> 1 & 0x7ff));
}

uint32_t t2_b(int32_t off)
{
	return branch24(0x9000, off);
}

uint32_t t2_bl(int32_t off)
{
	return branch24(0xd000, off);
}

/* A7.7.12 B T3: 11110 S cond imm6 | 1 0 J1 0 J2 imm11 */
uint32_t t2_b_cond(enum t_cond c, int32_t off)
{
	uint32_t u = (uint32_t)off;

	if ((off & 1) || off < -(1 << 20) || off >= (1 << 20) || c >= T_AL)
		return T_BAD;
	return w32(0xf000 | (u >> 20 & 1) << 10 | (uint32_t)c << 6 | (u >> 12 & 0x3f),
		   0x8000 | (u >> 18 & 1) << 13 | (u >> 19 & 1) << 11 | (u >> 1 & 0x7ff));
}

uint32_t t1_blx(int rm)
{
	return rm < 0 || rm > 14 ? T_BAD : 0x4780 | (uint32_t)rm << 3;
}

uint32_t t1_bx(int rm)
{
	return rm < 0 || rm > 14 ? T_BAD : 0x4700 | (uint32_t)rm << 3;
}

/* A7.7.37: 10111111 firstcond mask; every slot "then": each mask bit
 * above the terminating 1 repeats firstcond[0]. */
uint32_t t1_it(enum t_cond first, int n)
{
	uint32_t c0 = (uint32_t)first & 1, mask;

	if (n < 1 || n > 4 || first >= T_AL)
		return T_BAD;
	mask = 1u << (4 - n);
	for (int k = 1; k < n; k++)
		mask |= c0 << (4 - k);
	return 0xbf00 | (uint32_t)first << 4 | mask;
}

/* A7.7.76 MOV (register) T1: 01000110 D Rm Rd */
uint32_t t1_mov(int rd, int rm)
{
	if (rd < 0 || rd > 14 || rm < 0 || rm > 14)
		return T_BAD;
	return 0x4600 | (uint32_t)(rd >> 3) << 7 | (uint32_t)rm << 3 | (uint32_t)(rd & 7);
}

/* A7.7.4 ADD (register) T2 with Rm = PC: 01000100 DN 1111 Rdn */
uint32_t t1_add_pc(int rdn)
{
	if (rdn < 0 || rdn > 14 || rdn == T_SP)
		return T_BAD;
	return 0x4400 | (uint32_t)(rdn >> 3) << 7 | 15 << 3 | (uint32_t)(rdn & 7);
}

/* A7.7.28 CMP (register) T1: 0100001010 Rm Rn */
uint32_t t1_cmp(int rn, int rm)
{
	if (!low(rn) || !low(rm))
		return T_BAD;
	return 0x4280 | (uint32_t)rm << 3 | (uint32_t)rn;
}

/* A7.7.75 MOV (immediate) T1: 00100 Rd imm8 (MOVS outside IT blocks) */
uint32_t t1_movs_imm(int rd, uint8_t imm8)
{
	return low(rd) ? 0x2000 | (uint32_t)rd << 8 | imm8 : T_BAD;
}

/* A7.7.118 RSB (immediate) T1: 0100001001 Rn Rd (RSBS outside IT blocks) */
uint32_t t1_negs(int rd, int rn)
{
	return low(rd) && low(rn) ? 0x4240 | (uint32_t)rn << 3 | (uint32_t)rd : T_BAD;
}

uint32_t t1_nop(void)
{
	return 0xbf00;
}

uint32_t t1_cpsid_i(void)
{
	return 0xb672;
}

/* B5.2.2 MRS: 11110011111 0 1111 | 10 0 0 Rd SYSm; PRIMASK is SYSm 16 */
uint32_t t2_mrs_primask(int rd)
{
	return bad(rd) ? T_BAD : w32(0xf3ef, 0x8000 | (uint32_t)rd << 8 | 16);
}

/* B5.2.3 MSR: 11110011100 0 Rn | 10 0 0 mask=10 00 SYSm */
uint32_t t2_msr_primask(int rn)
{
	return bad(rn) ? T_BAD : w32(0xf380 | (uint32_t)rn, 0x8800 | 16);
}
