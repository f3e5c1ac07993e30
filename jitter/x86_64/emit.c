// SPDX-License-Identifier: MIT
/*
 * x86-64 encoders (see emit.h): bytes for one machine instruction each.
 * Page names are those of the Intel SDM vol. 2; prefixes, REX, ModR/M and
 * SIB follow vol. 2A 2.1-2.2.
 *
 * Every operand form the translation asks for is encoded here, including
 * the two ModR/M special cases of 64-bit mode: a base of rsp/r12 needs a
 * SIB byte, and a base of rbp/r13 with no displacement would mean
 * RIP-relative, so it gets a zero disp8.
 *
 * Must not: know about eBPF, allocate anything but the code buffer, or
 * write anything after the first failure.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

#define PFX_66 0x1   /* operand-size override: 16-bit operand */
#define PFX_LOCK 0x2 /* LOCK */

void x86_emit_fail(struct x86_emit *e, int err, const char *msg)
{
	if (e->err)
		return;
	e->err = err;
	strncpy(e->msg, msg, sizeof(e->msg) - 1);
	e->msg[sizeof(e->msg) - 1] = '\0';
}

void x86_emit_reset(struct x86_emit *e)
{
	e->len = 0;
}

void x86_emit_release(struct x86_emit *e)
{
	free(e->buf);
	e->buf = NULL;
	e->len = e->cap = 0;
}

/* Append @n bytes; the one place that grows the buffer. */
static void put(struct x86_emit *e, const uint8_t *b, size_t n)
{
	if (e->err)
		return;
	if (e->len + n > e->cap) {
		size_t cap = e->cap ? e->cap : 4096;
		uint8_t *p;

		while (cap < e->len + n)
			cap *= 2;
		p = realloc(e->buf, cap);
		if (!p) {
			x86_emit_fail(e, -ENOMEM, "out of memory for code");
			return;
		}
		e->buf = p;
		e->cap = cap;
	}
	memcpy(e->buf + e->len, b, n);
	e->len += n;
}

static void put1(struct x86_emit *e, uint8_t b)
{
	put(e, &b, 1);
}

static void put2(struct x86_emit *e, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(e, b, 2);
}

static void put4(struct x86_emit *e, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	put(e, b, 4);
}

static void put8(struct x86_emit *e, uint64_t v)
{
	put4(e, (uint32_t)v);
	put4(e, (uint32_t)(v >> 32));
}

static int fits8(int64_t v)
{
	return v >= -128 && v <= 127;
}

/* True when a byte operand in register @r needs a REX prefix to mean
 * spl/bpl/sil/dil rather than ah/ch/dh/bh (vol. 2A 2.2.1.2). */
static int byte_needs_rex(enum x86_reg r)
{
	return r >= X86_RSP && r <= X86_RDI;
}

/* Legacy prefixes, then REX (0100WRXB) when anything asks for it. */
static void prefixes(struct x86_emit *e, int pfx, int w, int reg, int base, int force_rex)
{
	uint8_t rex = 0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((base & 8) ? 1 : 0);

	if (pfx & PFX_LOCK)
		put1(e, 0xf0);
	if (pfx & PFX_66)
		put1(e, 0x66);
	if (rex != 0x40 || force_rex)
		put1(e, rex);
}

/* ModR/M with a register operand (mod 11). */
static void modrm_reg(struct x86_emit *e, int reg, int rm)
{
	put1(e, (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7)));
}

/* ModR/M (+ SIB + displacement) for [base + off]. */
static void modrm_mem(struct x86_emit *e, int reg, enum x86_reg base, int32_t off)
{
	int mod;

	if (off == 0 && (base & 7) != X86_RBP)
		mod = 0;
	else if (fits8(off))
		mod = 1;
	else
		mod = 2;
	put1(e, (uint8_t)((mod << 6) | ((reg & 7) << 3) | (base & 7)));
	if ((base & 7) == X86_RSP)
		put1(e, 0x24); /* SIB: scale 1, no index, base rsp/r12 */
	if (mod == 1)
		put1(e, (uint8_t)off);
	else if (mod == 2)
		put4(e, (uint32_t)off);
}

/* One instruction with a register-direct operand: prefixes, opcode, ModR/M. */
static void op_rr(struct x86_emit *e, int pfx, int w, const uint8_t *op, size_t oplen, int reg,
		  int rm, int force_rex)
{
	prefixes(e, pfx, w, reg, rm, force_rex);
	put(e, op, oplen);
	modrm_reg(e, reg, rm);
}

/* One instruction with a memory operand [base + off]. */
static void op_rm(struct x86_emit *e, int pfx, int w, const uint8_t *op, size_t oplen, int reg,
		  enum x86_reg base, int32_t off, int force_rex)
{
	prefixes(e, pfx, w, reg, base, force_rex);
	put(e, op, oplen);
	modrm_mem(e, reg, base, off);
}

/* "ADD", "OR", "AND", "SUB", "XOR", "CMP": op r/m, reg. */
void x86_alu_rr(struct x86_emit *e, enum x86_alu op, int w, enum x86_reg dst, enum x86_reg src)
{
	uint8_t opc = (uint8_t)((op << 3) | 1);

	op_rr(e, 0, w, &opc, 1, src, dst, 0);
}

/* Same pages: 83 /op ib, 81 /op id. */
void x86_alu_ri(struct x86_emit *e, enum x86_alu op, int w, enum x86_reg dst, int32_t imm)
{
	uint8_t opc = fits8(imm) ? 0x83 : 0x81;

	op_rr(e, 0, w, &opc, 1, op, dst, 0);
	if (opc == 0x83)
		put1(e, (uint8_t)imm);
	else
		put4(e, (uint32_t)imm);
}

/* "TEST": 85 /r. */
void x86_test_rr(struct x86_emit *e, int w, enum x86_reg a, enum x86_reg b)
{
	static const uint8_t opc = 0x85;

	op_rr(e, 0, w, &opc, 1, b, a, 0);
}

/* "TEST": F7 /0 id. */
void x86_test_ri(struct x86_emit *e, int w, enum x86_reg r, int32_t imm)
{
	static const uint8_t opc = 0xf7;

	op_rr(e, 0, w, &opc, 1, 0, r, 0);
	put4(e, (uint32_t)imm);
}

/* "MOV": 89 /r. */
void x86_mov_rr(struct x86_emit *e, int w, enum x86_reg dst, enum x86_reg src)
{
	static const uint8_t opc = 0x89;

	op_rr(e, 0, w, &opc, 1, src, dst, 0);
}

/* "MOV": B8+rd id. */
void x86_mov_ri32(struct x86_emit *e, enum x86_reg dst, uint32_t imm)
{
	prefixes(e, 0, 0, 0, dst, 0);
	put1(e, (uint8_t)(0xb8 | (dst & 7)));
	put4(e, imm);
}

/* "MOV": REX.W C7 /0 id. */
void x86_mov_ri_sx(struct x86_emit *e, enum x86_reg dst, int32_t imm)
{
	static const uint8_t opc = 0xc7;

	op_rr(e, 0, 1, &opc, 1, 0, dst, 0);
	put4(e, (uint32_t)imm);
}

/* "MOV": REX.W B8+rd io. */
size_t x86_movabs(struct x86_emit *e, enum x86_reg dst, uint64_t imm)
{
	size_t at;

	prefixes(e, 0, 1, 0, dst, 0);
	put1(e, (uint8_t)(0xb8 | (dst & 7)));
	at = e->len;
	put8(e, imm);
	return at;
}

/* "IMUL": 0F AF /r. */
void x86_imul_rr(struct x86_emit *e, int w, enum x86_reg dst, enum x86_reg src)
{
	static const uint8_t opc[2] = { 0x0f, 0xaf };

	op_rr(e, 0, w, opc, 2, dst, src, 0);
}

/* "IMUL": 6B /r ib, 69 /r id. */
void x86_imul_rri(struct x86_emit *e, int w, enum x86_reg dst, enum x86_reg src, int32_t imm)
{
	uint8_t opc = fits8(imm) ? 0x6b : 0x69;

	op_rr(e, 0, w, &opc, 1, dst, src, 0);
	if (opc == 0x6b)
		put1(e, (uint8_t)imm);
	else
		put4(e, (uint32_t)imm);
}

/* The F7 group: /3 NEG, /6 DIV, /7 IDIV. */
static void group3(struct x86_emit *e, int digit, int w, enum x86_reg r)
{
	static const uint8_t opc = 0xf7;

	op_rr(e, 0, w, &opc, 1, digit, r, 0);
}

/* "NEG". */
void x86_neg(struct x86_emit *e, int w, enum x86_reg r)
{
	group3(e, 3, w, r);
}

/* "DIV". */
void x86_div(struct x86_emit *e, int w, enum x86_reg r)
{
	group3(e, 6, w, r);
}

/* "IDIV". */
void x86_idiv(struct x86_emit *e, int w, enum x86_reg r)
{
	group3(e, 7, w, r);
}

/* "CWD/CDQ/CQO". */
void x86_cqo(struct x86_emit *e, int w)
{
	if (w)
		put1(e, 0x48);
	put1(e, 0x99);
}

/* "SAL/SAR/SHL/SHR": D3 /op. */
void x86_shift_cl(struct x86_emit *e, enum x86_shift op, int w, enum x86_reg r)
{
	static const uint8_t opc = 0xd3;

	op_rr(e, 0, w, &opc, 1, op, r, 0);
}

/* "SAL/SAR/SHL/SHR": C1 /op ib. */
void x86_shift_ri(struct x86_emit *e, enum x86_shift op, int w, enum x86_reg r, uint8_t imm)
{
	static const uint8_t opc = 0xc1;

	op_rr(e, 0, w, &opc, 1, op, r, 0);
	put1(e, imm);
}

/* "RCL/RCR/ROL/ROR": 66 C1 /0 ib. */
void x86_rol16_8(struct x86_emit *e, enum x86_reg r)
{
	static const uint8_t opc = 0xc1;

	op_rr(e, PFX_66, 0, &opc, 1, 0, r, 0);
	put1(e, 8);
}

/* "BSWAP": 0F C8+rd. */
void x86_bswap(struct x86_emit *e, int w, enum x86_reg r)
{
	prefixes(e, 0, w, 0, r, 0);
	put1(e, 0x0f);
	put1(e, (uint8_t)(0xc8 | (r & 7)));
}

/* "MOVZX": 0F B6 /r, 0F B7 /r. */
void x86_movzx_rr(struct x86_emit *e, enum x86_reg dst, enum x86_reg src, int bits)
{
	uint8_t opc[2] = { 0x0f, bits == 8 ? 0xb6 : 0xb7 };

	op_rr(e, 0, 0, opc, 2, dst, src, bits == 8 && byte_needs_rex(src));
}

/* "MOVSX/MOVSXD": 0F BE /r, 0F BF /r, REX.W 63 /r. */
void x86_movsx_rr(struct x86_emit *e, int w, enum x86_reg dst, enum x86_reg src, int bits)
{
	static const uint8_t sxd = 0x63;
	uint8_t opc[2] = { 0x0f, bits == 8 ? 0xbe : 0xbf };

	if (bits == 32) {
		if (!w)
			x86_emit_fail(e, -EINVAL, "internal: movsxd to a 32-bit register");
		op_rr(e, 0, 1, &sxd, 1, dst, src, 0);
		return;
	}
	op_rr(e, 0, w, opc, 2, dst, src, bits == 8 && byte_needs_rex(src));
}

/* "MOV", "MOVZX": 0F B6 /r, 0F B7 /r, 8B /r. */
void x86_load(struct x86_emit *e, int size, enum x86_reg dst, enum x86_reg base, int32_t off)
{
	static const uint8_t zx8[2] = { 0x0f, 0xb6 }, zx16[2] = { 0x0f, 0xb7 }, mov = 0x8b;

	switch (size) {
	case 1: op_rm(e, 0, 0, zx8, 2, dst, base, off, 0); break;
	case 2: op_rm(e, 0, 0, zx16, 2, dst, base, off, 0); break;
	case 4: op_rm(e, 0, 0, &mov, 1, dst, base, off, 0); break;
	case 8: op_rm(e, 0, 1, &mov, 1, dst, base, off, 0); break;
	default: x86_emit_fail(e, -EINVAL, "internal: load size");
	}
}

/* "MOVSX/MOVSXD": REX.W 0F BE /r, REX.W 0F BF /r, REX.W 63 /r. */
void x86_load_sx(struct x86_emit *e, int size, enum x86_reg dst, enum x86_reg base, int32_t off)
{
	static const uint8_t sx8[2] = { 0x0f, 0xbe }, sx16[2] = { 0x0f, 0xbf }, sxd = 0x63;

	switch (size) {
	case 1: op_rm(e, 0, 1, sx8, 2, dst, base, off, 0); break;
	case 2: op_rm(e, 0, 1, sx16, 2, dst, base, off, 0); break;
	case 4: op_rm(e, 0, 1, &sxd, 1, dst, base, off, 0); break;
	default: x86_emit_fail(e, -EINVAL, "internal: sign-extending load size");
	}
}

/* "MOV": 88 /r, 66 89 /r, 89 /r, REX.W 89 /r. */
void x86_store_r(struct x86_emit *e, int size, enum x86_reg base, int32_t off, enum x86_reg src)
{
	static const uint8_t mov8 = 0x88, mov = 0x89;

	switch (size) {
	case 1: op_rm(e, 0, 0, &mov8, 1, src, base, off, byte_needs_rex(src)); break;
	case 2: op_rm(e, PFX_66, 0, &mov, 1, src, base, off, 0); break;
	case 4: op_rm(e, 0, 0, &mov, 1, src, base, off, 0); break;
	case 8: op_rm(e, 0, 1, &mov, 1, src, base, off, 0); break;
	default: x86_emit_fail(e, -EINVAL, "internal: store size");
	}
}

/* "MOV": C6 /0 ib, 66 C7 /0 iw, C7 /0 id, REX.W C7 /0 id. */
void x86_store_i(struct x86_emit *e, int size, enum x86_reg base, int32_t off, int32_t imm)
{
	static const uint8_t mov8 = 0xc6, mov = 0xc7;

	switch (size) {
	case 1:
		op_rm(e, 0, 0, &mov8, 1, 0, base, off, 0);
		put1(e, (uint8_t)imm);
		break;
	case 2:
		op_rm(e, PFX_66, 0, &mov, 1, 0, base, off, 0);
		put2(e, (uint16_t)imm);
		break;
	case 4:
	case 8:
		op_rm(e, 0, size == 8, &mov, 1, 0, base, off, 0);
		put4(e, (uint32_t)imm);
		break;
	default:
		x86_emit_fail(e, -EINVAL, "internal: store size");
	}
}

/* "LOCK" with "ADD"/"OR"/"AND"/"XOR" r/m, reg. */
void x86_lock_alu(struct x86_emit *e, enum x86_alu op, int w, enum x86_reg base, int32_t off,
		  enum x86_reg src)
{
	uint8_t opc = (uint8_t)((op << 3) | 1);

	op_rm(e, PFX_LOCK, w, &opc, 1, src, base, off, 0);
}

/* "XADD": F0 0F C1 /r. */
void x86_lock_xadd(struct x86_emit *e, int w, enum x86_reg base, int32_t off, enum x86_reg src)
{
	static const uint8_t opc[2] = { 0x0f, 0xc1 };

	op_rm(e, PFX_LOCK, w, opc, 2, src, base, off, 0);
}

/* "XCHG": 87 /r. */
void x86_xchg(struct x86_emit *e, int w, enum x86_reg base, int32_t off, enum x86_reg src)
{
	static const uint8_t opc = 0x87;

	op_rm(e, 0, w, &opc, 1, src, base, off, 0);
}

/* "CMPXCHG": F0 0F B1 /r. */
void x86_lock_cmpxchg(struct x86_emit *e, int w, enum x86_reg base, int32_t off,
		      enum x86_reg src)
{
	static const uint8_t opc[2] = { 0x0f, 0xb1 };

	op_rm(e, PFX_LOCK, w, opc, 2, src, base, off, 0);
}

/* "LEA": REX.W 8D /r. */
void x86_lea(struct x86_emit *e, enum x86_reg dst, enum x86_reg base, int32_t off)
{
	static const uint8_t opc = 0x8d;

	op_rm(e, 0, 1, &opc, 1, dst, base, off, 0);
}

/* "LEA" with RIP-relative addressing (vol. 2A 2.2.1.6). */
void x86_lea_rip(struct x86_emit *e, enum x86_reg dst, int32_t disp)
{
	prefixes(e, 0, 1, dst, 0, 0);
	put1(e, 0x8d);
	put1(e, (uint8_t)(((dst & 7) << 3) | 5));
	put4(e, (uint32_t)disp);
}

/* "JMP": EB cb. */
size_t x86_jmp8(struct x86_emit *e, int8_t rel)
{
	put1(e, 0xeb);
	put1(e, (uint8_t)rel);
	return e->len - 1;
}

/* "JMP": E9 cd. */
void x86_jmp32(struct x86_emit *e, int32_t rel)
{
	put1(e, 0xe9);
	put4(e, (uint32_t)rel);
}

/* "Jcc": 70+cc cb. */
size_t x86_jcc8(struct x86_emit *e, enum x86_cc cc, int8_t rel)
{
	put1(e, (uint8_t)(0x70 | cc));
	put1(e, (uint8_t)rel);
	return e->len - 1;
}

/* "Jcc": 0F 80+cc cd. */
void x86_jcc32(struct x86_emit *e, enum x86_cc cc, int32_t rel)
{
	put1(e, 0x0f);
	put1(e, (uint8_t)(0x80 | cc));
	put4(e, (uint32_t)rel);
}

void x86_patch_rel8(struct x86_emit *e, size_t at)
{
	int64_t rel;

	if (e->err)
		return;
	rel = (int64_t)e->len - (int64_t)(at + 1);
	if (at >= e->len || !fits8(rel)) {
		x86_emit_fail(e, -EFAULT, "internal: local jump out of rel8 range");
		return;
	}
	e->buf[at] = (uint8_t)rel;
}

/* "CALL": E8 cd. */
void x86_call32(struct x86_emit *e, int32_t rel)
{
	put1(e, 0xe8);
	put4(e, (uint32_t)rel);
}

/* "CALL": FF /2. */
void x86_call_r(struct x86_emit *e, enum x86_reg r)
{
	static const uint8_t opc = 0xff;

	op_rr(e, 0, 0, &opc, 1, 2, r, 0);
}

/* "JMP r/m64": FF /4, an indirect jump (tail calls). */
void x86_jmp_r(struct x86_emit *e, enum x86_reg r)
{
	static const uint8_t opc = 0xff;

	op_rr(e, 0, 0, &opc, 1, 4, r, 0);
}

/* "PUSH": 50+rd. */
void x86_push(struct x86_emit *e, enum x86_reg r)
{
	prefixes(e, 0, 0, 0, r, 0);
	put1(e, (uint8_t)(0x50 | (r & 7)));
}

/* "POP": 58+rd. */
void x86_pop(struct x86_emit *e, enum x86_reg r)
{
	prefixes(e, 0, 0, 0, r, 0);
	put1(e, (uint8_t)(0x58 | (r & 7)));
}

/* "LEAVE": C9. */
void x86_leave(struct x86_emit *e)
{
	put1(e, 0xc9);
}

/* "RET": C3. */
void x86_ret(struct x86_emit *e)
{
	put1(e, 0xc3);
}
