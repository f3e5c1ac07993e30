// SPDX-License-Identifier: MIT
/*
 * Example for `make demo`: the path-explosion program of docs/design.md
 * section 7 as raw bytecode (socket filter). k independent branches on an
 * unknown value each leave a different kind of value (a pointer or a
 * number) in their own stack slot, and all slots are read at the end, so
 * no two paths can be pruned against each other: about 2^k * (k + 7)
 * processed instructions, past the kernel's 1,000,000 from k = 16 on.
 *
 *   explode K > prog.bin        write the program
 *   explode K --kernel          load it into the running kernel (root) and
 *                               print the kernel verifier's last lines
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

static size_t build(int k, struct bpf_insn *p)
{
	size_t n = 0;

	p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0);     /* r6 = ctx */
	p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 7, 1, 0, 0);       /* r7 = skb->len */
	for (int i = 0; i < k; i++) {
		p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 7, 0, 0);
		p[n++] = INSN(BPF_ALU64 | BPF_AND | BPF_K, 2, 0, 0, 1 << i);
		p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 2, 0);
		p[n++] = INSN(BPF_STX | BPF_MEM | BPF_DW, 10, 6, -8 * (i + 1), 0); /* a pointer */
		p[n++] = INSN(BPF_JMP | BPF_JA, 0, 0, 1, 0);
		p[n++] = INSN(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8 * (i + 1), i);  /* a number */
	}
	for (int i = 0; i < k; i++)
		p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_DW, 3, 10, -8 * (i + 1), 0);
	p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
	p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return n;
}

int main(int argc, char **argv)
{
	static struct bpf_insn prog[1024];
	static char log[1 << 16];
	int k = argc > 1 ? atoi(argv[1]) : 0;
	union bpf_attr attr;
	size_t n;
	int fd;

	if (k < 1 || k > 60) {
		fprintf(stderr, "usage: explode K [--kernel]   (1 <= K <= 60)\n");
		return 2;
	}
	n = build(k, prog);
	if (argc < 3 || strcmp(argv[2], "--kernel")) {
		fwrite(prog, sizeof(prog[0]), n, stdout);
		return 0;
	}
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (uint64_t)(uintptr_t)prog;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 4;
	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd >= 0) {
		printf("kernel: accepted\n%s", log);
		close(fd);
		return 0;
	}
	printf("kernel: rejected (%s)\n%s", strerror(errno), log);
	return 1;
}
