// SPDX-License-Identifier: MIT
/*
 * AArch64 encoders: operands in, one instruction word out. The layout of
 * every word is the manual's (DDI 0487, sections named per function); the
 * constants are the fixed bits of each encoding with all fields zero.
 *
 * Must not: know about eBPF, emit, print, or return a word for operands
 * that do not fit (those give A64_BAD).
 */
#include "emit.h"

#define REG(r) ((uint32_t)(r) & 31u)
#define SF(sf) ((sf) ? 1u << 31 : 0u)

/* True when @off is a multiple of 4 whose word count fits a signed
 * @bits-bit field. */
static int fits_branch(int32_t off, int bits)
{
	int32_t words = off / 4;

	return (off & 3) == 0 && words >= -(1 << (bits - 1)) && words < (1 << (bits - 1));
}

/* C6.2 ADD/ADDS/SUB/SUBS (immediate): sf op S 100010 sh imm12 Rn Rd. */
static uint32_t addsub_imm(uint32_t base, int sf, int rd, int rn, uint32_t imm12, int lsl12)
{
	if (imm12 > 0xfff)
		return A64_BAD;
	return base | SF(sf) | (lsl12 ? 1u << 22 : 0u) | imm12 << 10 | REG(rn) << 5 | REG(rd);
}

uint32_t a64_add_imm(int sf, int rd, int rn, uint32_t imm12, int lsl12)
{
	return addsub_imm(0x11000000u, sf, rd, rn, imm12, lsl12);
}

uint32_t a64_adds_imm(int sf, int rd, int rn, uint32_t imm12, int lsl12)
{
	return addsub_imm(0x31000000u, sf, rd, rn, imm12, lsl12);
}

uint32_t a64_sub_imm(int sf, int rd, int rn, uint32_t imm12, int lsl12)
{
	return addsub_imm(0x51000000u, sf, rd, rn, imm12, lsl12);
}

uint32_t a64_subs_imm(int sf, int rd, int rn, uint32_t imm12, int lsl12)
{
	return addsub_imm(0x71000000u, sf, rd, rn, imm12, lsl12);
}

/*
 * The N:immr:imms fields of a logical immediate (C4.1.92 "Logical
 * (immediate)", decoded by DecodeBitMasks in J1): a run of ones rotated
 * within an element of 2, 4, ..., 64 bits, replicated across the
 * register. Returns 0 with *@enc = N << 12 | immr << 6 | imms, or -1.
 */
static int logical_imm_fields(int sf, uint64_t v, uint32_t *enc)
{
	unsigned int size = 64, ones = 0, rot;
	uint64_t mask, elt, run;

	if (!sf)
		v = (v & 0xffffffffu) | (v << 32);
	if (v == 0 || v == ~UINT64_C(0))
		return -1;
	/* The smallest element the value repeats. */
	while (size > 2) {
		unsigned int half = size / 2;
		uint64_t hmask = (UINT64_C(1) << half) - 1;

		if ((v & hmask) != ((v >> half) & hmask))
			break;
		size = half;
	}
	mask = size == 64 ? ~UINT64_C(0) : (UINT64_C(1) << size) - 1;
	elt = v & mask;
	for (run = elt; run; run &= run - 1)
		ones++;
	run = (UINT64_C(1) << ones) - 1; /* ones < size: elt is not all ones */
	for (rot = 0; rot < size; rot++) {
		/* rotate right by rot within the element */
		uint64_t r = rot ? ((elt >> rot) | (elt << (size - rot))) & mask : elt;

		if (r == run) {
			uint32_t immr = (size - rot) & (size - 1);
			uint32_t imms = ((~(size - 1) << 1) | (ones - 1)) & 0x3f;

			*enc = (size == 64 ? 1u << 12 : 0u) | immr << 6 | imms;
			return 0;
		}
	}
	return -1;
}

int a64_is_logical_imm(int sf, uint64_t bits)
{
	uint32_t enc;

	return logical_imm_fields(sf, bits, &enc) == 0;
}

/* C6.2 AND/ORR/EOR/ANDS (immediate): sf opc 100100 N immr imms Rn Rd. */
static uint32_t logical_imm(uint32_t base, int sf, int rd, int rn, uint64_t bits)
{
	uint32_t enc;

	if (logical_imm_fields(sf, bits, &enc))
		return A64_BAD;
	return base | SF(sf) | enc << 10 | REG(rn) << 5 | REG(rd);
}

uint32_t a64_and_imm(int sf, int rd, int rn, uint64_t bits)
{
	return logical_imm(0x12000000u, sf, rd, rn, bits);
}

uint32_t a64_orr_imm(int sf, int rd, int rn, uint64_t bits)
{
	return logical_imm(0x32000000u, sf, rd, rn, bits);
}

uint32_t a64_eor_imm(int sf, int rd, int rn, uint64_t bits)
{
	return logical_imm(0x52000000u, sf, rd, rn, bits);
}

uint32_t a64_ands_imm(int sf, int rd, int rn, uint64_t bits)
{
	return logical_imm(0x72000000u, sf, rd, rn, bits);
}

/* C6.2 MOVN/MOVZ/MOVK: sf opc 100101 hw imm16 Rd. */
static uint32_t move_wide(uint32_t base, int sf, int rd, uint16_t imm16, int hw)
{
	if (hw < 0 || hw > (sf ? 3 : 1))
		return A64_BAD;
	return base | SF(sf) | (uint32_t)hw << 21 | (uint32_t)imm16 << 5 | REG(rd);
}

uint32_t a64_movn(int sf, int rd, uint16_t imm16, int hw)
{
	return move_wide(0x12800000u, sf, rd, imm16, hw);
}

uint32_t a64_movz(int sf, int rd, uint16_t imm16, int hw)
{
	return move_wide(0x52800000u, sf, rd, imm16, hw);
}

uint32_t a64_movk(int sf, int rd, uint16_t imm16, int hw)
{
	return move_wide(0x72800000u, sf, rd, imm16, hw);
}

/* C6.2 SBFM/UBFM: sf opc 100110 N immr imms Rn Rd, N = sf. */
static uint32_t bitfield(uint32_t base, int sf, int rd, int rn, int immr, int imms)
{
	int lim = sf ? 63 : 31;

	if (immr < 0 || immr > lim || imms < 0 || imms > lim)
		return A64_BAD;
	return base | SF(sf) | (sf ? 1u << 22 : 0u) | (uint32_t)immr << 16 | (uint32_t)imms << 10 |
	       REG(rn) << 5 | REG(rd);
}

uint32_t a64_sbfm(int sf, int rd, int rn, int immr, int imms)
{
	return bitfield(0x13000000u, sf, rd, rn, immr, imms);
}

uint32_t a64_ubfm(int sf, int rd, int rn, int immr, int imms)
{
	return bitfield(0x53000000u, sf, rd, rn, immr, imms);
}

/* C6.2 ADR: 0 immlo 10000 immhi Rd, byte offset +-1 MiB. */
uint32_t a64_adr(int rd, int32_t byte_off)
{
	if (byte_off < -(1 << 20) || byte_off >= (1 << 20))
		return A64_BAD;
	return 0x10000000u | ((uint32_t)byte_off & 3u) << 29 |
	       (((uint32_t)byte_off >> 2) & 0x7ffffu) << 5 | REG(rd);
}

/* C6.2 ADD/SUB/SUBS (shifted register), LSL #0: sf op S 01011 00 0 Rm 0 Rn Rd. */
static uint32_t rrr(uint32_t base, int sf, int rd, int rn, int rm)
{
	return base | SF(sf) | REG(rm) << 16 | REG(rn) << 5 | REG(rd);
}

uint32_t a64_add_reg(int sf, int rd, int rn, int rm)
{
	return rrr(0x0b000000u, sf, rd, rn, rm);
}

uint32_t a64_sub_reg(int sf, int rd, int rn, int rm)
{
	return rrr(0x4b000000u, sf, rd, rn, rm);
}

uint32_t a64_subs_reg(int sf, int rd, int rn, int rm)
{
	return rrr(0x6b000000u, sf, rd, rn, rm);
}

/* C6.2 AND/ORR/EOR/ANDS (shifted register), LSL #0: sf opc 01010 00 0 Rm 0 Rn Rd. */
uint32_t a64_and_reg(int sf, int rd, int rn, int rm)
{
	return rrr(0x0a000000u, sf, rd, rn, rm);
}

uint32_t a64_orr_reg(int sf, int rd, int rn, int rm)
{
	return rrr(0x2a000000u, sf, rd, rn, rm);
}

uint32_t a64_eor_reg(int sf, int rd, int rn, int rm)
{
	return rrr(0x4a000000u, sf, rd, rn, rm);
}

uint32_t a64_ands_reg(int sf, int rd, int rn, int rm)
{
	return rrr(0x6a000000u, sf, rd, rn, rm);
}

/* C6.2 UDIV/SDIV/LSLV/LSRV/ASRV (Data-processing, 2 source):
 * sf 0 0 11010110 Rm opcode Rn Rd. */
uint32_t a64_udiv(int sf, int rd, int rn, int rm)
{
	return rrr(0x1ac00800u, sf, rd, rn, rm);
}

uint32_t a64_sdiv(int sf, int rd, int rn, int rm)
{
	return rrr(0x1ac00c00u, sf, rd, rn, rm);
}

uint32_t a64_lslv(int sf, int rd, int rn, int rm)
{
	return rrr(0x1ac02000u, sf, rd, rn, rm);
}

uint32_t a64_lsrv(int sf, int rd, int rn, int rm)
{
	return rrr(0x1ac02400u, sf, rd, rn, rm);
}

uint32_t a64_asrv(int sf, int rd, int rn, int rm)
{
	return rrr(0x1ac02800u, sf, rd, rn, rm);
}

/* C6.2 MADD/MSUB (Data-processing, 3 source): sf 00 11011 000 Rm o0 Ra Rn Rd. */
uint32_t a64_madd(int sf, int rd, int rn, int rm, int ra)
{
	return rrr(0x1b000000u, sf, rd, rn, rm) | REG(ra) << 10;
}

uint32_t a64_msub(int sf, int rd, int rn, int rm, int ra)
{
	return rrr(0x1b008000u, sf, rd, rn, rm) | REG(ra) << 10;
}

/* C6.2 REV16/REV (Data-processing, 1 source): sf 1 0 11010110 00000 opcode Rn Rd. */
uint32_t a64_rev16(int sf, int rd, int rn)
{
	return 0x5ac00400u | SF(sf) | REG(rn) << 5 | REG(rd);
}

uint32_t a64_rev(int sf, int rd, int rn)
{
	/* opcode 000010 is REV for W and REV32 for X; REV (64-bit) is 000011 */
	return (sf ? 0xdac00c00u : 0x5ac00800u) | REG(rn) << 5 | REG(rd);
}

/* opc field and validity of a single-register load/store of @sz. */
static int ldst_opc(enum a64_ldst op, enum a64_size sz, uint32_t *opc)
{
	switch (op) {
	case A64_STR: *opc = 0; return 0;
	case A64_LDR: *opc = 1; return 0;
	case A64_LDRS: *opc = 2; return sz == A64_SZ_X ? -1 : 0; /* size 11 opc 10 is PRFM */
	}
	return -1;
}

/* C6.2 LDR/STR/LDRB/.../LDRSW (immediate), unsigned offset:
 * size 111 0 01 opc imm12 Rn Rt, the offset scaled by the size. */
uint32_t a64_ldst_uimm(enum a64_ldst op, enum a64_size sz, int rt, int rn, uint32_t byte_off)
{
	uint32_t opc;

	if (ldst_opc(op, sz, &opc) || byte_off & ((1u << sz) - 1) || (byte_off >> sz) > 0xfff)
		return A64_BAD;
	return 0x39000000u | (uint32_t)sz << 30 | opc << 22 | (byte_off >> sz) << 10 | REG(rn) << 5 |
	       REG(rt);
}

/* C6.2 LDUR/STUR/LDURB/.../LDURSW: size 111 0 00 opc 0 imm9 00 Rn Rt. */
uint32_t a64_ldst_unscaled(enum a64_ldst op, enum a64_size sz, int rt, int rn, int32_t off)
{
	uint32_t opc;

	if (ldst_opc(op, sz, &opc) || off < -256 || off > 255)
		return A64_BAD;
	return 0x38000000u | (uint32_t)sz << 30 | opc << 22 | ((uint32_t)off & 0x1ffu) << 12 |
	       REG(rn) << 5 | REG(rt);
}

/* C6.2 LDR/STR/... (register), option 011 (LSL) S 0:
 * size 111 0 00 opc 1 Rm 011 0 10 Rn Rt. */
uint32_t a64_ldst_reg(enum a64_ldst op, enum a64_size sz, int rt, int rn, int rm)
{
	uint32_t opc;

	if (ldst_opc(op, sz, &opc))
		return A64_BAD;
	return 0x38206800u | (uint32_t)sz << 30 | opc << 22 | REG(rm) << 16 | REG(rn) << 5 | REG(rt);
}

/* C6.2 LDR (literal), 64-bit: 01 011 0 00 imm19 Rt, +-1 MiB. */
uint32_t a64_ldr_lit(int rt, int32_t byte_off)
{
	if (!fits_branch(byte_off, 19))
		return A64_BAD;
	return 0x58000000u | (((uint32_t)byte_off >> 2) & 0x7ffffu) << 5 | REG(rt);
}

/* C6.2 STP/LDP, 64-bit, pre-/post-index: opc 101 0 0xx L imm7 Rt2 Rn Rt. */
static uint32_t pair(uint32_t base, int rt, int rt2, int rn, int32_t off)
{
	if (off & 7 || off < -512 || off > 504)
		return A64_BAD;
	return base | ((uint32_t)(off / 8) & 0x7fu) << 15 | REG(rt2) << 10 | REG(rn) << 5 | REG(rt);
}

uint32_t a64_stp_pre(int rt, int rt2, int rn, int32_t off)
{
	return pair(0xa9800000u, rt, rt2, rn, off);
}

uint32_t a64_ldp_post(int rt, int rt2, int rn, int32_t off)
{
	return pair(0xa8c00000u, rt, rt2, rn, off);
}

/* C6.2 STR/LDR (immediate), 64-bit, pre-/post-index: 11 111 0 00 0x 0 imm9 x1 Rn Rt. */
uint32_t a64_str_pre(int rt, int rn, int32_t off)
{
	if (off < -256 || off > 255)
		return A64_BAD;
	return 0xf8000c00u | ((uint32_t)off & 0x1ffu) << 12 | REG(rn) << 5 | REG(rt);
}

uint32_t a64_ldr_post(int rt, int rn, int32_t off)
{
	if (off < -256 || off > 255)
		return A64_BAD;
	return 0xf8400400u | ((uint32_t)off & 0x1ffu) << 12 | REG(rn) << 5 | REG(rt);
}

/* C6.2 LDXR: 1x 001000 0 1 0 11111 0 11111 Rn Rt (size 10 W, 11 X). */
uint32_t a64_ldxr(int sf, int rt, int rn)
{
	return 0x885f7c00u | (sf ? 1u << 30 : 0u) | REG(rn) << 5 | REG(rt);
}

/* C6.2 STXR/STLXR: 1x 001000 0 0 0 Rs o0 11111 Rn Rt. */
uint32_t a64_stxr(int sf, int rs, int rt, int rn)
{
	return 0x88007c00u | (sf ? 1u << 30 : 0u) | REG(rs) << 16 | REG(rn) << 5 | REG(rt);
}

uint32_t a64_stlxr(int sf, int rs, int rt, int rn)
{
	return 0x8800fc00u | (sf ? 1u << 30 : 0u) | REG(rs) << 16 | REG(rn) << 5 | REG(rt);
}

/* C6.2 B/BL: op 00101 imm26, +-128 MiB. */
uint32_t a64_b(int32_t byte_off)
{
	if (!fits_branch(byte_off, 26))
		return A64_BAD;
	return 0x14000000u | ((uint32_t)byte_off >> 2 & 0x3ffffffu);
}

uint32_t a64_bl(int32_t byte_off)
{
	if (!fits_branch(byte_off, 26))
		return A64_BAD;
	return 0x94000000u | ((uint32_t)byte_off >> 2 & 0x3ffffffu);
}

/* C6.2 B.cond: 0101010 0 imm19 0 cond, +-1 MiB. */
uint32_t a64_b_cond(enum a64_cond cond, int32_t byte_off)
{
	if (!fits_branch(byte_off, 19) || (unsigned int)cond > 0xe)
		return A64_BAD;
	return 0x54000000u | (((uint32_t)byte_off >> 2) & 0x7ffffu) << 5 | (uint32_t)cond;
}

/* C6.2 CBZ/CBNZ: sf 011010 op imm19 Rt, +-1 MiB. */
uint32_t a64_cbz(int sf, int rt, int32_t byte_off)
{
	if (!fits_branch(byte_off, 19))
		return A64_BAD;
	return 0x34000000u | SF(sf) | (((uint32_t)byte_off >> 2) & 0x7ffffu) << 5 | REG(rt);
}

uint32_t a64_cbnz(int sf, int rt, int32_t byte_off)
{
	if (!fits_branch(byte_off, 19))
		return A64_BAD;
	return 0x35000000u | SF(sf) | (((uint32_t)byte_off >> 2) & 0x7ffffu) << 5 | REG(rt);
}

/* C6.2 BLR/RET: 1101011 0 0 op 11111 0000 0 0 Rn 00000. */
uint32_t a64_blr(int rn)
{
	return 0xd63f0000u | REG(rn) << 5;
}

/* C6.2.37 BR: branch to register (tail calls). */
uint32_t a64_br(int rn)
{
	return 0xd61f0000u | REG(rn) << 5;
}

uint32_t a64_ret(int rn)
{
	return 0xd65f0000u | REG(rn) << 5;
}

/* C6.2 NOP: HINT #0. */
uint32_t a64_nop(void)
{
	return 0xd503201fu;
}

/* C6.2 DMB ISH: CRm = 1011 (inner shareable, reads and writes). */
uint32_t a64_dmb_ish(void)
{
	return 0xd5033bbfu;
}
