/* SPDX-License-Identifier: MIT */
/*
 * x86-64 encoders: one function per machine instruction (and operand form),
 * each citing its page of the Intel SDM, vol. 2 ("Instruction Set
 * Reference"); the REX, ModR/M and SIB rules are vol. 2A chapter 2.
 *
 * The encoders know nothing about eBPF. They append bytes to a growing
 * buffer; the first failure (no memory, an operand an encoder cannot
 * encode) is sticky: later calls do nothing, and the caller checks
 * x86_emit.err once at the end.
 */
#ifndef BVC_JIT_X86_EMIT_H
#define BVC_JIT_X86_EMIT_H

#include <stddef.h>
#include <stdint.h>

/* General-purpose registers by their encoding (SDM vol. 2A 2.1.5, 2.2.1). */
enum x86_reg {
	X86_RAX = 0,
	X86_RCX = 1,
	X86_RDX = 2,
	X86_RBX = 3,
	X86_RSP = 4,
	X86_RBP = 5,
	X86_RSI = 6,
	X86_RDI = 7,
	X86_R8 = 8,
	X86_R9 = 9,
	X86_R10 = 10,
	X86_R11 = 11,
	X86_R12 = 12,
	X86_R13 = 13,
	X86_R14 = 14,
	X86_R15 = 15,
};

/* Condition codes, the low nibble of Jcc (SDM vol. 2A "Jcc", appendix B.1.4.7). */
enum x86_cc {
	X86_CC_B = 0x2,  /* below (unsigned <) */
	X86_CC_AE = 0x3, /* above or equal (unsigned >=) */
	X86_CC_E = 0x4,  /* equal */
	X86_CC_NE = 0x5, /* not equal */
	X86_CC_BE = 0x6, /* below or equal (unsigned <=) */
	X86_CC_A = 0x7,  /* above (unsigned >) */
	X86_CC_S = 0x8,  /* sign */
	X86_CC_NS = 0x9, /* no sign */
	X86_CC_L = 0xc,  /* less (signed <) */
	X86_CC_GE = 0xd, /* greater or equal (signed >=) */
	X86_CC_LE = 0xe, /* less or equal (signed <=) */
	X86_CC_G = 0xf,  /* greater (signed >) */
};

/* The ALU group: the /digit of 0x81/0x83 and bits 3..5 of the r/m,reg opcode. */
enum x86_alu {
	X86_ADD = 0,
	X86_OR = 1,
	X86_AND = 4,
	X86_SUB = 5,
	X86_XOR = 6,
	X86_CMP = 7,
};

/* The shift group: the /digit of 0xC1/0xD3. */
enum x86_shift {
	X86_SHL = 4,
	X86_SHR = 5,
	X86_SAR = 7,
};

/* Sizes of the two jump forms, for the caller's layout. */
#define X86_JMP8_SIZE 2  /* EB rel8 */
#define X86_JMP32_SIZE 5 /* E9 rel32 */
#define X86_JCC8_SIZE 2  /* 7x rel8 */
#define X86_JCC32_SIZE 6 /* 0F 8x rel32 */

/* The code being written. */
struct x86_emit {
	uint8_t *buf; /* bytes so far (heap, grown as needed) */
	size_t len;   /* bytes written */
	size_t cap;   /* bytes allocated */
	int err;      /* first failure (negative errno), sticky; 0 if none */
	char msg[160]; /* what the first failure was */
};

/* Forget the bytes (keep the buffer): the start of a new pass. */
void x86_emit_reset(struct x86_emit *e);
/* Free the buffer. */
void x86_emit_release(struct x86_emit *e);
/* Record @err with @msg unless an earlier failure is recorded. */
void x86_emit_fail(struct x86_emit *e, int err, const char *msg);

/* Width: @w = 1 for 64-bit operands (REX.W), 0 for 32-bit. A 32-bit
 * operation zero-extends its destination to 64 bits (SDM vol. 1 3.4.1.1). */

/* ADD/OR/AND/SUB/XOR/CMP r/m, reg: 01 09 21 29 31 39 /r. */
void x86_alu_rr(struct x86_emit *e, enum x86_alu op, int w, enum x86_reg dst, enum x86_reg src);
/* ADD/OR/AND/SUB/XOR/CMP r/m, imm: 83 /op ib or 81 /op id (imm sign-extended). */
void x86_alu_ri(struct x86_emit *e, enum x86_alu op, int w, enum x86_reg dst, int32_t imm);
/* TEST r/m, reg: 85 /r. */
void x86_test_rr(struct x86_emit *e, int w, enum x86_reg a, enum x86_reg b);
/* TEST r/m, imm32: F7 /0 id. */
void x86_test_ri(struct x86_emit *e, int w, enum x86_reg r, int32_t imm);
/* MOV r/m, reg: 89 /r. */
void x86_mov_rr(struct x86_emit *e, int w, enum x86_reg dst, enum x86_reg src);
/* MOV r32, imm32: B8+rd id (zero-extends to 64 bits). */
void x86_mov_ri32(struct x86_emit *e, enum x86_reg dst, uint32_t imm);
/* MOV r/m64, imm32: REX.W C7 /0 id (sign-extends to 64 bits). */
void x86_mov_ri_sx(struct x86_emit *e, enum x86_reg dst, int32_t imm);
/* MOV r64, imm64: REX.W B8+rd io. Returns the offset of the imm64 in the
 * code, for a relocation. */
size_t x86_movabs(struct x86_emit *e, enum x86_reg dst, uint64_t imm);
/* IMUL reg, r/m: 0F AF /r. */
void x86_imul_rr(struct x86_emit *e, int w, enum x86_reg dst, enum x86_reg src);
/* IMUL reg, r/m, imm: 6B /r ib or 69 /r id. */
void x86_imul_rri(struct x86_emit *e, int w, enum x86_reg dst, enum x86_reg src, int32_t imm);
/* NEG r/m: F7 /3. */
void x86_neg(struct x86_emit *e, int w, enum x86_reg r);
/* DIV r/m (unsigned rdx:rax / r): F7 /6. */
void x86_div(struct x86_emit *e, int w, enum x86_reg r);
/* IDIV r/m (signed rdx:rax / r): F7 /7. */
void x86_idiv(struct x86_emit *e, int w, enum x86_reg r);
/* CDQ (99) or CQO (REX.W 99): sign-extend eax/rax into edx/rdx. */
void x86_cqo(struct x86_emit *e, int w);
/* SHL/SHR/SAR r/m, CL: D3 /op. */
void x86_shift_cl(struct x86_emit *e, enum x86_shift op, int w, enum x86_reg r);
/* SHL/SHR/SAR r/m, imm8: C1 /op ib. */
void x86_shift_ri(struct x86_emit *e, enum x86_shift op, int w, enum x86_reg r, uint8_t imm);
/* ROL r/m16, 8: 66 C1 /0 08 (swaps the two low bytes). */
void x86_rol16_8(struct x86_emit *e, enum x86_reg r);
/* BSWAP r32/r64: 0F C8+rd. */
void x86_bswap(struct x86_emit *e, int w, enum x86_reg r);
/* MOVZX r32, r/m8 (0F B6) or r/m16 (0F B7): @bits 8 or 16. */
void x86_movzx_rr(struct x86_emit *e, enum x86_reg dst, enum x86_reg src, int bits);
/* MOVSX reg, r/m8 (0F BE), r/m16 (0F BF), MOVSXD r64, r/m32 (REX.W 63):
 * @bits 8, 16 or 32 (32 only with @w). */
void x86_movsx_rr(struct x86_emit *e, int w, enum x86_reg dst, enum x86_reg src, int bits);

/* Memory operands are [base + off]. */

/* Zero-extending load of @size bytes (1, 2, 4, 8): MOVZX r32, m8/m16
 * (0F B6/B7), MOV r32, m32 (8B), MOV r64, m64 (REX.W 8B). */
void x86_load(struct x86_emit *e, int size, enum x86_reg dst, enum x86_reg base, int32_t off);
/* Sign-extending load to 64 bits of @size bytes (1, 2, 4): MOVSX r64,
 * m8/m16 (REX.W 0F BE/BF), MOVSXD r64, m32 (REX.W 63). */
void x86_load_sx(struct x86_emit *e, int size, enum x86_reg dst, enum x86_reg base, int32_t off);
/* Store the low @size bytes of @src: MOV m8, r8 (88), m16 (66 89), m32 (89),
 * m64 (REX.W 89). */
void x86_store_r(struct x86_emit *e, int size, enum x86_reg base, int32_t off, enum x86_reg src);
/* Store an immediate: MOV m8, imm8 (C6 /0), m16 (66 C7 /0 iw), m32 (C7 /0
 * id), m64 (REX.W C7 /0 id, sign-extended). */
void x86_store_i(struct x86_emit *e, int size, enum x86_reg base, int32_t off, int32_t imm);
/* LOCK ADD/OR/AND/XOR m, reg: F0 01/09/21/31 /r ("LOCK", "ADD", ...). */
void x86_lock_alu(struct x86_emit *e, enum x86_alu op, int w, enum x86_reg base, int32_t off,
		  enum x86_reg src);
/* LOCK XADD m, reg: F0 0F C1 /r. */
void x86_lock_xadd(struct x86_emit *e, int w, enum x86_reg base, int32_t off, enum x86_reg src);
/* XCHG m, reg: 87 /r (locked without a prefix). */
void x86_xchg(struct x86_emit *e, int w, enum x86_reg base, int32_t off, enum x86_reg src);
/* LOCK CMPXCHG m, reg: F0 0F B1 /r (compares with rax/eax). */
void x86_lock_cmpxchg(struct x86_emit *e, int w, enum x86_reg base, int32_t off,
		      enum x86_reg src);
/* LEA r64, [base + off]: REX.W 8D /r. */
void x86_lea(struct x86_emit *e, enum x86_reg dst, enum x86_reg base, int32_t off);
/* LEA r64, [rip + disp32]: REX.W 8D /r, mod 00 r/m 101. @disp is from the
 * end of the instruction. */
void x86_lea_rip(struct x86_emit *e, enum x86_reg dst, int32_t disp);

/* Control flow. Displacements are from the end of the instruction. */

/* JMP rel8: EB cb. Returns the offset of the rel8 byte (for x86_patch_rel8). */
size_t x86_jmp8(struct x86_emit *e, int8_t rel);
/* JMP rel32: E9 cd. */
void x86_jmp32(struct x86_emit *e, int32_t rel);
/* Jcc rel8: 70+cc cb. Returns the offset of the rel8 byte. */
size_t x86_jcc8(struct x86_emit *e, enum x86_cc cc, int8_t rel);
/* Jcc rel32: 0F 80+cc cd. */
void x86_jcc32(struct x86_emit *e, enum x86_cc cc, int32_t rel);
/* Point the rel8 at offset @at to the current end of the code. */
void x86_patch_rel8(struct x86_emit *e, size_t at);
/* CALL rel32: E8 cd. */
void x86_call32(struct x86_emit *e, int32_t rel);
/* CALL r/m64: FF /2. */
void x86_call_r(struct x86_emit *e, enum x86_reg r);
void x86_jmp_r(struct x86_emit *e, enum x86_reg r);
/* PUSH r64: 50+rd. */
void x86_push(struct x86_emit *e, enum x86_reg r);
/* POP r64: 58+rd. */
void x86_pop(struct x86_emit *e, enum x86_reg r);
/* LEAVE: C9 (mov rsp, rbp; pop rbp). */
void x86_leave(struct x86_emit *e);
/* RET: C3. */
void x86_ret(struct x86_emit *e);

#endif /* BVC_JIT_X86_EMIT_H */
