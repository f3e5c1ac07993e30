// SPDX-License-Identifier: MIT
/*
 * The synthetic program families (bench/families.h): each family is a few
 * lines of bytecode repeated k times.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "families.h"

struct buf {
	struct bpf_insn *p;
	size_t n, cap;
	int oom;
};

static void emit(struct buf *b, struct bpf_insn i)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		struct bpf_insn *p = realloc(b->p, cap * sizeof(*p));

		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	b->p[b->n++] = i;
}

#define INSN(c, d, s, o, i)                                                        \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), \
			    .imm = (i) })
#define MOV_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ALU_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define ALU_REG(op, d, s) INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define LDX(sz, d, s, o) INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX(sz, d, s, o) INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define ST(sz, d, o, i) INSN(BPF_ST | BPF_MEM | (sz), d, 0, o, i)
#define JMP_IMM(op, d, i, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define JA(o) INSN(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

int bvc_family_gen(const char *family, long k, struct bpf_insn **out, size_t *cnt)
{
	struct buf b = { 0 };
	int explode = !strcmp(family, "stack") || !strcmp(family, "prec") ||
		      !strcmp(family, "prunable");

	if (explode && (k < 1 || k > 30))
		return -EINVAL;
	if (!strcmp(family, "stack")) {
		emit(&b, MOV_REG(6, 1));
		emit(&b, LDX(BPF_W, 7, 1, 0)); /* skb->len: unknown */
		for (int i = 0; i < k; i++) {
			emit(&b, MOV_REG(2, 7));
			emit(&b, ALU_IMM(BPF_AND, 2, 1 << i));
			emit(&b, JMP_IMM(BPF_JNE, 2, 0, 2));
			emit(&b, STX(BPF_DW, 10, 6, -8 * (i + 1))); /* ctx pointer */
			emit(&b, JA(1));
			emit(&b, ST(BPF_DW, 10, -8 * (i + 1), i)); /* scalar */
		}
		for (int i = 0; i < k; i++)
			emit(&b, LDX(BPF_DW, 3, 10, -8 * (i + 1)));
		emit(&b, MOV_IMM(0, 0));
		emit(&b, EXIT());
	} else if (!strcmp(family, "prec") || !strcmp(family, "prunable")) {
		emit(&b, LDX(BPF_W, 7, 1, 0)); /* skb->len: unknown */
		emit(&b, MOV_IMM(8, 0));
		for (int i = 0; i < k; i++) {
			emit(&b, MOV_REG(2, 7));
			emit(&b, ALU_IMM(BPF_AND, 2, 1 << i));
			emit(&b, JMP_IMM(BPF_JEQ, 2, 0, 1));
			emit(&b, ALU_IMM(BPF_ADD, 8, 1 << i));
		}
		if (!strcmp(family, "prunable")) {
			/* r8 (a different constant on every path) only returned */
			emit(&b, MOV_REG(0, 8));
		} else {
			/* r8 into pointer arithmetic: it must be precise */
			emit(&b, ALU_IMM(BPF_AND, 8, 7));
			emit(&b, MOV_REG(1, 10));
			emit(&b, ALU_IMM(BPF_ADD, 1, -16));
			emit(&b, ALU_REG(BPF_ADD, 1, 8));
			emit(&b, ST(BPF_B, 1, 0, 0));
			emit(&b, MOV_IMM(0, 0));
		}
		emit(&b, EXIT());
	} else if (!strcmp(family, "loop")) {
		emit(&b, MOV_IMM(0, 0));
		emit(&b, MOV_IMM(1, 0));
		emit(&b, ALU_REG(BPF_ADD, 0, 1)); /* loop: */
		emit(&b, ALU_IMM(BPF_ADD, 1, 1));
		emit(&b, JMP_IMM(BPF_JLT, 1, (int)k, -3));
		emit(&b, MOV_IMM(0, 0));
		emit(&b, EXIT());
	} else if (!strcmp(family, "straight")) {
		emit(&b, MOV_IMM(0, 0));
		emit(&b, MOV_IMM(1, 1));
		for (long i = 0; i + 3 < k; i++)
			emit(&b, i % 2 ? ALU_REG(BPF_ADD, 0, 1) : ALU_IMM(BPF_XOR, 0, (int)i));
		emit(&b, MOV_IMM(0, 0));
		emit(&b, EXIT());
	} else {
		return -EINVAL;
	}
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	*out = b.p;
	*cnt = b.n;
	return 0;
}
