// SPDX-License-Identifier: MIT
/*
 * The reference interpreter: RFC 9669 eBPF (cpu v4, atomics, callx) run one
 * instruction at a time by a switch on the opcode byte.
 *
 * It is the oracle the JITs are tested against, so its semantics are the
 * RFC's, spelled out where C would otherwise be undefined: division by zero,
 * INT_MIN / -1, shift counts, sign extension and byte swaps are all computed
 * on unsigned values with explicit rules. Memory goes through memcpy, so a
 * misaligned access is never undefined behaviour on the host either.
 *
 * Before running, one linear pass checks what would otherwise cost a test on
 * every step: register numbers, writes to r10 and ld_imm64 pairs. Control
 * flow is checked as it happens: a jump or call out of the program, falling
 * off its end, and an opcode we do not know are faults at the instruction
 * that does them, so dead code is never judged.
 *
 * Each frame owns BVC_INTERP_STACK_SIZE bytes of one array; frame 0 sits at
 * the top and callees below it, so the stacks of all live frames are one
 * contiguous range and the stack check is a single comparison.
 *
 * Must not: crash, trap or hit undefined behaviour on any input program;
 * touch memory outside the live stacks and the caller's regions; print;
 * allocate.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bpfvc/abi.h"
#include "bpfvc/interp.h"
#include "bpfvc/util.h"

#define STACK_TOTAL (BVC_INTERP_STACK_SIZE * BVC_INTERP_MAX_FRAMES)
#define DEFAULT_MAX_STEPS (UINT64_C(1) << 32)
#define MAY_GOTO_SRC 0 /* src of JMP|JCOND|K that means may_goto */
#define NO_INSN SIZE_MAX /* a fault of the call, not of an instruction */

enum access {
	ACC_READ,
	ACC_WRITE,
	ACC_ATOMIC,
};

/* What a bpf-to-bpf call saves so EXIT can give the caller its frame back. */
struct frame {
	uint64_t saved[4]; /* the caller's r6..r9 */
	uint64_t fp;       /* the caller's r10 */
	size_t ret;        /* the caller's next instruction */
};

/* State the slow paths (faults, memory checks, calls) need. */
struct vm {
	struct bvc_interp_opts opts; /* the caller's, zero-filled past its sz */
	uint64_t stack_lo;           /* lowest byte of the live frames' stacks */
	uint64_t stack_hi;           /* one past frame 0's stack */
	char *err;                   /* the caller's message buffer, may be NULL */
	size_t errsz;
};

static int fault(struct vm *vm, size_t insn, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Record "insn N: why" and return @rc, so a fault is one return statement. */
static int fault(struct vm *vm, size_t insn, int rc, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!vm->err || !vm->errsz)
		return rc;
	if (insn != NO_INSN)
		n = snprintf(vm->err, vm->errsz, "insn %zu: ", insn);
	if (n < 0 || (size_t)n >= vm->errsz)
		return rc;
	va_start(ap, fmt);
	vsnprintf(vm->err + n, vm->errsz - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

/* True when [addr, addr + n) lies within [base, base + size), without overflow. */
static inline int in_range(uint64_t addr, uint64_t n, uint64_t base, uint64_t size)
{
	return addr >= base && size >= n && addr - base <= size - n;
}

/*
 * The host pointer for @n bytes at @addr if the program may access them
 * that way, else NULL with the fault recorded. The stack comes first: it is
 * what most programs touch most.
 */
static void *check_mem(struct vm *vm, size_t insn, uint64_t addr, int n, enum access acc)
{
	static const char *const what[] = { "read", "write", "atomic access" };
	const struct bvc_interp_region *r;
	int read_only = 0;
	size_t i;

	if (in_range(addr, (uint64_t)n, vm->stack_lo, vm->stack_hi - vm->stack_lo))
		return (void *)(uintptr_t)addr;
	for (i = 0; i < vm->opts.region_cnt; i++) {
		r = &vm->opts.regions[i];
		if (!in_range(addr, (uint64_t)n, r->base, r->size))
			continue;
		if (acc == ACC_READ || r->writable)
			return (void *)(uintptr_t)addr;
		read_only = 1;
	}
	fault(vm, insn, -EFAULT, "invalid %s of %d bytes at 0x%llx%s", what[acc], n,
	      (unsigned long long)addr, read_only ? " (read-only region)" : "");
	return NULL;
}

/* Zero-extended value of the @n bytes at @p, in host order. */
static inline uint64_t mem_load(const void *p, int n)
{
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	switch (n) {
	case 1: memcpy(&v8, p, 1); return v8;
	case 2: memcpy(&v16, p, 2); return v16;
	case 4: memcpy(&v32, p, 4); return v32;
	default: memcpy(&v64, p, 8); return v64;
	}
}

/* Store the low @n bytes of @v at @p, in host order. */
static inline void mem_store(void *p, int n, uint64_t v)
{
	uint8_t v8 = (uint8_t)v;
	uint16_t v16 = (uint16_t)v;
	uint32_t v32 = (uint32_t)v;

	switch (n) {
	case 1: memcpy(p, &v8, 1); break;
	case 2: memcpy(p, &v16, 2); break;
	case 4: memcpy(p, &v32, 4); break;
	default: memcpy(p, &v, 8); break;
	}
}

/* Sign-extend the low @bits of @v to 64 bits; (v ^ m) - m is defined C. */
static inline uint64_t sext(uint64_t v, int bits)
{
	uint64_t m = UINT64_C(1) << (bits - 1);

	if (bits < 64)
		v &= (UINT64_C(1) << bits) - 1;
	return (v ^ m) - m;
}

/* Arithmetic right shift without relying on >> of a negative value. */
static inline uint64_t arsh64(uint64_t a, unsigned int n)
{
	return (a >> 63) ? ~(~a >> n) : a >> n;
}

static inline uint32_t arsh32(uint32_t a, unsigned int n)
{
	return (a >> 31) ? ~(~a >> n) : a >> n;
}

/*
 * Signed division and modulo by the RFC: x / 0 = 0, x % 0 = x, and the
 * INT_MIN / -1 case that traps in C is x / -1 = -x (wrapping), x % -1 = 0.
 * The inputs are already truncated to the operation's width.
 */
static inline uint64_t sdiv64(uint64_t a, uint64_t b)
{
	if (!b)
		return 0;
	if (b == UINT64_MAX)
		return 0 - a;
	return (uint64_t)((int64_t)a / (int64_t)b);
}

static inline uint64_t smod64(uint64_t a, uint64_t b)
{
	if (!b)
		return a;
	if (b == UINT64_MAX)
		return 0;
	return (uint64_t)((int64_t)a % (int64_t)b);
}

static inline uint32_t sdiv32(uint32_t a, uint32_t b)
{
	if (!b)
		return 0;
	if (b == UINT32_MAX)
		return 0 - a;
	return (uint32_t)((int32_t)a / (int32_t)b);
}

static inline uint32_t smod32(uint32_t a, uint32_t b)
{
	if (!b)
		return a;
	if (b == UINT32_MAX)
		return 0;
	return (uint32_t)((int32_t)a % (int32_t)b);
}

static inline uint16_t swap16(uint16_t v)
{
	return (uint16_t)((v >> 8) | ((v & 0xff) << 8));
}

static inline uint32_t swap32(uint32_t v)
{
	return (v >> 24) | ((v >> 8) & 0xff00) | ((v & 0xff00) << 8) | ((v & 0xff) << 24);
}

static inline uint64_t swap64(uint64_t v)
{
	return ((uint64_t)swap32((uint32_t)v) << 32) | swap32((uint32_t)(v >> 32));
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BIG_ENDIAN 1
#else
#define HOST_BIG_ENDIAN 0
#endif

/*
 * BPF_END: convert @v to the byte order @to_be selects, at @bits. A
 * conversion to the host's own order is a truncation to the width.
 */
static inline int byteswap(uint64_t *v, int bits, int swap)
{
	switch (bits) {
	case 16: *v = swap ? swap16((uint16_t)*v) : (uint16_t)*v; return 0;
	case 32: *v = swap ? swap32((uint32_t)*v) : (uint32_t)*v; return 0;
	case 64: *v = swap ? swap64(*v) : *v; return 0;
	default: return -EINVAL;
	}
}

/*
 * One pass over the program for what is static and would otherwise cost a
 * test per step: register numbers (so the 4-bit fields index only r0..r10),
 * writes to the frame pointer, and ld_imm64 pairs (so the main loop may read
 * insn[1] of any ld_imm64 it reaches: a jump into a second half lands on
 * opcode 0, which is unknown).
 */
static int check_shape(struct vm *vm, const struct bvc_insn *insns, size_t cnt)
{
	const struct bvc_insn *insn;
	uint8_t cls;
	size_t i;

	for (i = 0; i < cnt; i++) {
		insn = &insns[i];
		cls = bvc_insn_class(insn);
		if (insn->dst >= BVC_MAX_REG)
			return fault(vm, i, -EINVAL, "R%d is invalid", insn->dst);
		if (insn->src >= BVC_MAX_REG)
			return fault(vm, i, -EINVAL, "R%d is invalid", insn->src);
		if (insn->dst == BVC_REG_FP &&
		    (cls == BVC_ALU || cls == BVC_ALU64 || cls == BVC_LDX || bvc_insn_is_ld_imm64(insn)))
			return fault(vm, i, -EINVAL, "frame pointer is read only");
		/* An atomic with FETCH (but not CMPXCHG, which writes r0) writes src. */
		if (insn->code == (BVC_STX | BVC_ATOMIC | BVC_W) ||
		    insn->code == (BVC_STX | BVC_ATOMIC | BVC_DW)) {
			if ((insn->imm & BVC_FETCH) && insn->imm != BVC_CMPXCHG &&
			    insn->src == BVC_REG_FP)
				return fault(vm, i, -EINVAL, "frame pointer is read only");
		}
		if (bvc_insn_is_ld_imm64(insn)) {
			if (i + 1 >= cnt || insns[i + 1].code != 0)
				return fault(vm, i, -EINVAL, "invalid bpf_ld_imm64 insn");
			i++;
		}
	}
	return 0;
}

/* Read-modify-write for BPF_STX | BPF_ATOMIC of @n bytes (4 or 8). */
static int do_atomic(struct vm *vm, size_t i, const struct bvc_insn *insn, uint64_t *reg, int n)
{
	uint64_t mask = n == 4 ? UINT32_MAX : UINT64_MAX;
	uint64_t old, val, res;
	int32_t op = insn->imm;
	void *p;

	switch (op & ~BVC_FETCH) {
	case BVC_ADD:
	case BVC_OR:
	case BVC_AND:
	case BVC_XOR:
		break;
	default:
		if (op == BVC_XCHG || op == BVC_CMPXCHG)
			break;
		return fault(vm, i, -EINVAL, "BPF_ATOMIC uses invalid atomic opcode %02x", (unsigned)op);
	}
	p = check_mem(vm, i, reg[insn->dst] + (uint64_t)(int64_t)insn->off, n, ACC_ATOMIC);
	if (!p)
		return -EFAULT;
	old = mem_load(p, n);
	val = reg[insn->src] & mask;
	switch (op) {
	case BVC_XCHG:
		res = val;
		break;
	case BVC_CMPXCHG:
		res = old == (reg[0] & mask) ? val : old;
		reg[0] = old;
		mem_store(p, n, res);
		return 0;
	default:
		switch (op & ~BVC_FETCH) {
		case BVC_ADD: res = old + val; break;
		case BVC_OR: res = old | val; break;
		case BVC_AND: res = old & val; break;
		default: res = old ^ val; break;
		}
		break;
	}
	mem_store(p, n, res);
	if (op & BVC_FETCH)
		reg[insn->src] = old;
	return 0;
}

/*
 * LD_ABS / LD_IND: r0 = the big-endian @n bytes at packet offset @off. The
 * offset is 32-bit and signed as in the kernel's conversion of these
 * instructions. Returns 0, or 1 when the read is out of bounds and the
 * program must end with r0 = 0.
 */
static int load_packet(struct vm *vm, uint64_t off64, int n, uint64_t *reg)
{
	int32_t off = (int32_t)(uint32_t)off64;
	const uint8_t *p;
	uint64_t v = 0;
	int k;

	if (off < 0 || !vm->opts.packet.data ||
	    !in_range((uint64_t)off, (uint64_t)n, 0, vm->opts.packet.len))
		return 1;
	p = (const uint8_t *)vm->opts.packet.data + off;
	for (k = 0; k < n; k++)
		v = (v << 8) | p[k];
	reg[0] = v;
	return 0;
}

/* A helper call: CALL imm (src 0) or CALLX. Returns 0, 1 to unwind, or -errno. */
static int call_helper(struct vm *vm, size_t i, uint64_t id, uint64_t *reg)
{
	bvc_helper_fn fn = NULL;

	if (id <= INT32_MAX && vm->opts.helper)
		fn = vm->opts.helper(vm->opts.helper_ctx, (int32_t)id);
	/* CALL imm carries a signed id: print it the way it was written. */
	if (!fn)
		return fault(vm, i, -ENOENT, "invalid func unknown#%lld", (long long)id);
	reg[0] = fn(vm->opts.helper_ctx, reg[1], reg[2], reg[3], reg[4], reg[5]);
	if (vm->opts.unwind_helper && id == (uint64_t)(int64_t)vm->opts.unwind_helper && !reg[0])
		return 1;
	return 0;
}

/* The instruction @off + 1 after @i if it is in the program, else -1 with a fault. */
static int64_t branch_target(struct vm *vm, size_t i, size_t cnt, int64_t off)
{
	int64_t t = (int64_t)i + 1 + off;

	if (t < 0 || (uint64_t)t >= cnt) {
		fault(vm, i, -EINVAL, "jump out of range from insn %zu to %lld", i, (long long)t);
		return -1;
	}
	return t;
}

/* The K or X operand of an ALU/JMP instruction, imm sign-extended to 64 bits. */
#define SRC ((insn->code & BVC_X) ? reg[src] : (uint64_t)(int64_t)insn->imm)
/* Effective address of a load (base src) or a store (base dst). */
#define LD_ADDR (reg[src] + (uint64_t)(int64_t)insn->off)
#define ST_ADDR (reg[dst] + (uint64_t)(int64_t)insn->off)

/*
 * Both forms of a conditional jump; @T is the type the operands are compared
 * as (the unsigned-to-signed conversion is modular on every compiler we use).
 */
#define COND_JMP(cls, op, T, cmp)                                              \
	case (cls) | (op) | BVC_K:                                             \
	case (cls) | (op) | BVC_X:                                             \
		if ((T)reg[dst] cmp (T)SRC)                                    \
			goto take;                                             \
		break

/* Both forms of an ALU op whose result, truncated, needs no special case. */
#define ALU2(op, expr64, expr32)                                               \
	case BVC_ALU64 | (op) | BVC_K:                                         \
	case BVC_ALU64 | (op) | BVC_X:                                         \
		reg[dst] = (expr64);                                           \
		break;                                                         \
	case BVC_ALU | (op) | BVC_K:                                           \
	case BVC_ALU | (op) | BVC_X:                                           \
		reg[dst] = (uint32_t)(expr32);                                 \
		break

/* LDX, ST and STX of one size. */
#define LDST(size, n)                                                          \
	case BVC_LDX | BVC_MEM | (size):                                       \
		p = check_mem(&vm, i, LD_ADDR, (n), ACC_READ);                 \
		if (!p)                                                        \
			goto efault;                                           \
		reg[dst] = mem_load(p, (n));                                   \
		break;                                                         \
	case BVC_ST | BVC_MEM | (size):                                        \
		p = check_mem(&vm, i, ST_ADDR, (n), ACC_WRITE);                \
		if (!p)                                                        \
			goto efault;                                           \
		mem_store(p, (n), (uint64_t)(int64_t)insn->imm);               \
		break;                                                         \
	case BVC_STX | BVC_MEM | (size):                                       \
		p = check_mem(&vm, i, ST_ADDR, (n), ACC_WRITE);                \
		if (!p)                                                        \
			goto efault;                                           \
		mem_store(p, (n), reg[src]);                                   \
		break

/* LDX | MEMSX: a sign-extending load. */
#define LDSX(size, n)                                                          \
	case BVC_LDX | BVC_MEMSX | (size):                                     \
		p = check_mem(&vm, i, LD_ADDR, (n), ACC_READ);                 \
		if (!p)                                                        \
			goto efault;                                           \
		reg[dst] = sext(mem_load(p, (n)), (n) * 8);                    \
		break

/* LD_ABS / LD_IND of one size; out of the packet ends the program, r0 = 0. */
#define LDPKT(mode, size, n, offexpr)                                          \
	case BVC_LD | (mode) | (size):                                         \
		if (load_packet(&vm, (offexpr), (n), reg)) {                   \
			reg[0] = 0;                                            \
			goto done;                                             \
		}                                                              \
		break

int bvc_interp_run(const struct bvc_insn *insns, size_t cnt, uint64_t r1, uint64_t r2,
		   const struct bvc_interp_opts *opts, uint64_t *r0, char *err, size_t errsz)
{
	_Alignas(16) uint8_t stack[STACK_TOTAL];
	struct frame frames[BVC_INTERP_MAX_FRAMES];
	uint64_t reg[16] = { 0 }; /* 16: a 4-bit field can never index past it */
	uint64_t steps = 0, max_steps, may_goto = BVC_INTERP_MAY_GOTO;
	uint32_t tail_calls = 0;
	const struct bvc_insn *insn;
	struct vm vm;
	int depth = 0, rc, k;
	uint8_t dst, src;
	int64_t target;
	size_t i = 0;
	void *p;

	memset(&vm, 0, sizeof(vm));
	vm.err = err;
	vm.errsz = errsz;
	if (err && errsz)
		err[0] = '\0';
	if (bvc_opts_copy(&vm.opts, sizeof(vm.opts), opts, sizeof(size_t), "bvc_interp_opts", err,
			  errsz))
		return -EINVAL;
	if (vm.opts.region_cnt && !vm.opts.regions)
		return fault(&vm, NO_INSN, -EINVAL, "region_cnt %zu without regions", vm.opts.region_cnt);
	if (!insns || !cnt)
		return fault(&vm, NO_INSN, -EINVAL, "empty program");
	rc = check_shape(&vm, insns, cnt);
	if (rc)
		return rc;
	max_steps = vm.opts.max_steps ? vm.opts.max_steps : DEFAULT_MAX_STEPS;

	/* Zeroed so a run depends on nothing but the program and its inputs
	 * (each call's frame is zeroed again when it is entered). */
	memset(stack, 0, sizeof(stack));
	vm.stack_hi = (uint64_t)(uintptr_t)(stack + STACK_TOTAL);
	vm.stack_lo = vm.stack_hi - BVC_INTERP_STACK_SIZE;
	reg[1] = r1;
	reg[2] = r2;
	reg[BVC_REG_FP] = vm.stack_hi;

	for (;;) {
		if (i >= cnt)
			return fault(&vm, cnt - 1, -EINVAL, "fell off the end of the program");
		if (steps++ >= max_steps)
			return fault(&vm, i, -ELOOP, "step budget of %llu instructions exhausted",
				     (unsigned long long)max_steps);
		insn = &insns[i];
		dst = insn->dst;
		src = insn->src;

		switch (insn->code) {
		ALU2(BVC_ADD, reg[dst] + SRC, reg[dst] + SRC);
		ALU2(BVC_SUB, reg[dst] - SRC, reg[dst] - SRC);
		ALU2(BVC_MUL, reg[dst] * SRC, reg[dst] * SRC);
		ALU2(BVC_OR, reg[dst] | SRC, reg[dst] | SRC);
		ALU2(BVC_AND, reg[dst] & SRC, reg[dst] & SRC);
		ALU2(BVC_XOR, reg[dst] ^ SRC, reg[dst] ^ SRC);
		ALU2(BVC_LSH, reg[dst] << (SRC & 63), (uint32_t)reg[dst] << (SRC & 31));
		ALU2(BVC_RSH, reg[dst] >> (SRC & 63), (uint32_t)reg[dst] >> (SRC & 31));
		ALU2(BVC_ARSH, arsh64(reg[dst], (unsigned int)(SRC & 63)),
		     arsh32((uint32_t)reg[dst], (unsigned int)(SRC & 31)));

		case BVC_ALU64 | BVC_DIV | BVC_K:
		case BVC_ALU64 | BVC_DIV | BVC_X:
			if (insn->off == 0)
				reg[dst] = SRC ? reg[dst] / SRC : 0;
			else if (insn->off == 1)
				reg[dst] = sdiv64(reg[dst], SRC);
			else
				goto bad_off;
			break;
		case BVC_ALU | BVC_DIV | BVC_K:
		case BVC_ALU | BVC_DIV | BVC_X:
			if (insn->off == 0)
				reg[dst] = (uint32_t)SRC ? (uint32_t)reg[dst] / (uint32_t)SRC : 0;
			else if (insn->off == 1)
				reg[dst] = sdiv32((uint32_t)reg[dst], (uint32_t)SRC);
			else
				goto bad_off;
			break;
		case BVC_ALU64 | BVC_MOD | BVC_K:
		case BVC_ALU64 | BVC_MOD | BVC_X:
			if (insn->off == 0)
				reg[dst] = SRC ? reg[dst] % SRC : reg[dst];
			else if (insn->off == 1)
				reg[dst] = smod64(reg[dst], SRC);
			else
				goto bad_off;
			break;
		case BVC_ALU | BVC_MOD | BVC_K:
		case BVC_ALU | BVC_MOD | BVC_X:
			/* mod by zero leaves dst, truncated as every 32-bit result is */
			if (insn->off == 0)
				reg[dst] = (uint32_t)SRC ? (uint32_t)reg[dst] % (uint32_t)SRC
							 : (uint32_t)reg[dst];
			else if (insn->off == 1)
				reg[dst] = smod32((uint32_t)reg[dst], (uint32_t)SRC);
			else
				goto bad_off;
			break;

		case BVC_ALU64 | BVC_NEG | BVC_K:
			reg[dst] = 0 - reg[dst];
			break;
		case BVC_ALU | BVC_NEG | BVC_K:
			reg[dst] = (uint32_t)(0 - reg[dst]);
			break;

		case BVC_ALU64 | BVC_MOV | BVC_K:
			if (insn->off)
				goto bad_off;
			reg[dst] = (uint64_t)(int64_t)insn->imm;
			break;
		case BVC_ALU | BVC_MOV | BVC_K:
			if (insn->off)
				goto bad_off;
			reg[dst] = (uint32_t)insn->imm;
			break;
		case BVC_ALU64 | BVC_MOV | BVC_X:
			if (insn->off == 0)
				reg[dst] = reg[src];
			else if (insn->off == 8 || insn->off == 16 || insn->off == 32)
				reg[dst] = sext(reg[src], insn->off);
			else if (insn->off == BVC_ADDR_SPACE_CAST)
				return fault(&vm, i, -EINVAL, "addr_space_cast is not supported");
			else
				goto bad_off;
			break;
		case BVC_ALU | BVC_MOV | BVC_X:
			if (insn->off == 0)
				reg[dst] = (uint32_t)reg[src];
			else if (insn->off == 8 || insn->off == 16)
				reg[dst] = (uint32_t)sext(reg[src], insn->off);
			else
				goto bad_off;
			break;

		case BVC_ALU | BVC_END | BVC_TO_LE:
			if (byteswap(&reg[dst], insn->imm, HOST_BIG_ENDIAN))
				goto bad_imm;
			break;
		case BVC_ALU | BVC_END | BVC_TO_BE:
			if (byteswap(&reg[dst], insn->imm, !HOST_BIG_ENDIAN))
				goto bad_imm;
			break;
		case BVC_ALU64 | BVC_END | BVC_TO_LE: /* cpu v4 bswap: unconditional */
			if (byteswap(&reg[dst], insn->imm, 1))
				goto bad_imm;
			break;

		LDST(BVC_B, 1);
		LDST(BVC_H, 2);
		LDST(BVC_W, 4);
		LDST(BVC_DW, 8);
		LDSX(BVC_B, 1);
		LDSX(BVC_H, 2);
		LDSX(BVC_W, 4);

		case BVC_STX | BVC_ATOMIC | BVC_W:
			rc = do_atomic(&vm, i, insn, reg, 4);
			if (rc)
				return rc;
			break;
		case BVC_STX | BVC_ATOMIC | BVC_DW:
			rc = do_atomic(&vm, i, insn, reg, 8);
			if (rc)
				return rc;
			break;

		case BVC_LD | BVC_IMM | BVC_DW:
			/* check_shape() saw the second half; the pseudo sources are
			 * relocated by the runtime, here they are plain constants. */
			reg[dst] = bvc_ld_imm64_value(insn);
			i += 2;
			continue;
		LDPKT(BVC_ABS, BVC_B, 1, (uint64_t)(int64_t)insn->imm);
		LDPKT(BVC_ABS, BVC_H, 2, (uint64_t)(int64_t)insn->imm);
		LDPKT(BVC_ABS, BVC_W, 4, (uint64_t)(int64_t)insn->imm);
		LDPKT(BVC_IND, BVC_B, 1, reg[src] + (uint64_t)(int64_t)insn->imm);
		LDPKT(BVC_IND, BVC_H, 2, reg[src] + (uint64_t)(int64_t)insn->imm);
		LDPKT(BVC_IND, BVC_W, 4, reg[src] + (uint64_t)(int64_t)insn->imm);

		case BVC_JMP | BVC_JA | BVC_K:
			goto take;
		case BVC_JMP32 | BVC_JA | BVC_K: /* gotol: the offset is in imm */
			target = branch_target(&vm, i, cnt, insn->imm);
			if (target < 0)
				return -EINVAL;
			i = (size_t)target;
			continue;

		COND_JMP(BVC_JMP, BVC_JEQ, uint64_t, ==);
		COND_JMP(BVC_JMP, BVC_JNE, uint64_t, !=);
		COND_JMP(BVC_JMP, BVC_JGT, uint64_t, >);
		COND_JMP(BVC_JMP, BVC_JGE, uint64_t, >=);
		COND_JMP(BVC_JMP, BVC_JLT, uint64_t, <);
		COND_JMP(BVC_JMP, BVC_JLE, uint64_t, <=);
		COND_JMP(BVC_JMP, BVC_JSGT, int64_t, >);
		COND_JMP(BVC_JMP, BVC_JSGE, int64_t, >=);
		COND_JMP(BVC_JMP, BVC_JSLT, int64_t, <);
		COND_JMP(BVC_JMP, BVC_JSLE, int64_t, <=);
		COND_JMP(BVC_JMP32, BVC_JEQ, uint32_t, ==);
		COND_JMP(BVC_JMP32, BVC_JNE, uint32_t, !=);
		COND_JMP(BVC_JMP32, BVC_JGT, uint32_t, >);
		COND_JMP(BVC_JMP32, BVC_JGE, uint32_t, >=);
		COND_JMP(BVC_JMP32, BVC_JLT, uint32_t, <);
		COND_JMP(BVC_JMP32, BVC_JLE, uint32_t, <=);
		COND_JMP(BVC_JMP32, BVC_JSGT, int32_t, >);
		COND_JMP(BVC_JMP32, BVC_JSGE, int32_t, >=);
		COND_JMP(BVC_JMP32, BVC_JSLT, int32_t, <);
		COND_JMP(BVC_JMP32, BVC_JSLE, int32_t, <=);
		case BVC_JMP | BVC_JSET | BVC_K:
		case BVC_JMP | BVC_JSET | BVC_X:
			if (reg[dst] & SRC)
				goto take;
			break;
		case BVC_JMP32 | BVC_JSET | BVC_K:
		case BVC_JMP32 | BVC_JSET | BVC_X:
			if ((uint32_t)(reg[dst] & SRC))
				goto take;
			break;

		case BVC_JMP | BVC_JCOND | BVC_K:
			if (src != MAY_GOTO_SRC)
				return fault(&vm, i, -EINVAL, "invalid may_goto src %d", src);
			/* may_goto jumps once the loop budget is spent */
			if (!may_goto)
				goto take;
			may_goto--;
			break;

		case BVC_JMP | BVC_CALL | BVC_K:
			if (src == 0 && insn->imm == BVC_HELPER_TAIL_CALL && vm.opts.tail_call) {
				const struct bvc_insn *ni = NULL;
				size_t nc = 0;
				int t = vm.opts.tail_call(vm.opts.helper_ctx, reg[2], (uint32_t)reg[3],
							  &ni, &nc);

				/* The kernel's order: index, count, then the slot. */
				if (t < 0 || tail_calls >= BVC_INTERP_MAX_TAIL_CALLS)
					break;
				tail_calls++;
				if (t == 0)
					break;
				if (depth)
					return fault(&vm, i, -EINVAL,
						     "tail call inside a bpf-to-bpf function");
				if (!ni || !nc)
					return fault(&vm, i, -EINVAL, "tail call to an empty program");
				rc = check_shape(&vm, ni, nc);
				if (rc)
					return rc;
				insns = ni;
				cnt = nc;
				i = 0;
				/* The next program starts from a zeroed frame, as JITed code does. */
				memset(stack + STACK_TOTAL - BVC_INTERP_STACK_SIZE, 0,
				       BVC_INTERP_STACK_SIZE);
				continue;
			}
			if (src == 0) {
				rc = call_helper(&vm, i, (uint64_t)(int64_t)insn->imm, reg);
				if (rc < 0)
					return rc;
				if (rc)
					goto done;
				break;
			}
			if (src == BVC_PSEUDO_KFUNC_CALL)
				return fault(&vm, i, -ENOENT, "kfunc calls are not supported");
			if (src != BVC_PSEUDO_CALL)
				return fault(&vm, i, -EINVAL, "invalid call src %d", src);
			if (depth + 1 >= BVC_INTERP_MAX_FRAMES)
				return fault(&vm, i, -E2BIG, "the call stack of %d frames is too deep",
					     depth + 2);
			target = branch_target(&vm, i, cnt, insn->imm);
			if (target < 0)
				return -EINVAL;
			for (k = 0; k < 4; k++)
				frames[depth].saved[k] = reg[6 + k];
			frames[depth].fp = reg[BVC_REG_FP];
			frames[depth].ret = i + 1;
			depth++;
			reg[BVC_REG_FP] = vm.stack_hi - (uint64_t)depth * BVC_INTERP_STACK_SIZE;
			vm.stack_lo = reg[BVC_REG_FP] - BVC_INTERP_STACK_SIZE;
			/* Each call's frame starts zeroed, as JITed code's does: what
			 * an earlier callee left there must not decide a result. */
			memset(stack + STACK_TOTAL - (size_t)(depth + 1) * BVC_INTERP_STACK_SIZE, 0,
			       BVC_INTERP_STACK_SIZE);
			i = (size_t)target;
			continue;
		case BVC_JMP | BVC_CALL | BVC_X:
			/* callx: the register holds a helper id (conformance 'callx') */
			rc = call_helper(&vm, i, reg[dst], reg);
			if (rc < 0)
				return rc;
			if (rc)
				goto done;
			break;

		case BVC_JMP | BVC_EXIT | BVC_K:
			if (!depth)
				goto done;
			depth--;
			for (k = 0; k < 4; k++)
				reg[6 + k] = frames[depth].saved[k];
			reg[BVC_REG_FP] = frames[depth].fp;
			vm.stack_lo = reg[BVC_REG_FP] - BVC_INTERP_STACK_SIZE;
			i = frames[depth].ret;
			continue;

		default:
			return fault(&vm, i, -EINVAL, "unknown opcode %02x", insn->code);
		}
		i++;
		continue;

take:
		target = branch_target(&vm, i, cnt, insn->off);
		if (target < 0)
			return -EINVAL;
		i = (size_t)target;
	}

done:
	if (r0)
		*r0 = reg[0];
	return 0;
efault:
	return -EFAULT;
bad_off:
	return fault(&vm, i, -EINVAL, "invalid off %d for opcode %02x", insn->off, insn->code);
bad_imm:
	return fault(&vm, i, -EINVAL, "invalid imm %d for opcode %02x", insn->imm, insn->code);
}
