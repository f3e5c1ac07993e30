/* SPDX-License-Identifier: MIT */
/*
 * bpfvc disassembler: instructions in the syntax of the kernel verifier log
 * (kernel/bpf/disasm.c), e.g.
 *
 *     0: (61) r2 = *(u32 *)(r1 +4)
 *     1: (25) if r1 > 0x5 goto pc+3
 *     2: (85) call bpf_map_lookup_elem#1
 *     3: (18) r1 = map[id:0][0]+8
 *
 * Where the kernel log shows something bpfvc cannot know, the text differs
 * on purpose, and only there:
 *   - map ld_imm64 (MAP_FD, MAP_IDX and their _VALUE forms) print
 *     "map[id:N]" / "map[id:N][0]+OFF" as bpftool does, with N the imm
 *     field (a map index in bpfvc images; the kernel prints an address);
 *   - kfunc calls print "call kernel-function#ID" (the kernel's text when it
 *     has no BTF name for the id);
 *   - callx (0x8d, which the kernel rejects) prints "call rN", N = dst;
 *   - opcodes the kernel rejects before it ever prints them print a
 *     "BUG_<class>_<op>" line, in the style of the kernel's own BUG_ld_xx.
 *
 * Pure formatting: no allocation, no I/O except in bvc_disasm_prog(), which
 * writes to the caller's stream. Any 8-byte pattern is safe to format.
 */
#ifndef BPFVC_DISASM_H
#define BPFVC_DISASM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpfvc/abi.h" /* bvc_helper_name() */
#include "bpfvc/isa.h"

/* A buffer this large holds the text of any instruction. */
#define BVC_DISASM_TEXT_MAX 128

/*
 * Format the instruction at @insns[@idx] (both halves for ld_imm64) into
 * @buf, without the "N: (op) " prefix and without a newline. Returns the
 * number of instructions it covers (1, or 2 for ld_imm64), or:
 *   -EINVAL  @idx >= @cnt, or an ld_imm64 lacks its second half; the text
 *            then says so ("invalid bpf_ld_imm64 insn: second half missing");
 *            also when @buf is NULL or @size is 0 (nothing written);
 *   -ENOSPC  the text did not fit; @buf holds it truncated, NUL-terminated.
 * Reserved fields are not checked here (bvc_isa_check() does that): they are
 * printed the way the kernel prints them.
 */
int bvc_disasm_insn(const struct bvc_insn *insns, size_t cnt, size_t idx, char *buf, size_t size);

/*
 * Print a program, one line per instruction as the kernel verifier log does:
 * "%zu: (%02x) text\n", no padding. The second half of an ld_imm64 gets no
 * line, and a BUG text no "(%02x) ", as in the kernel. Returns 0, -EINVAL if
 * an instruction could not be formatted (its line says why; printing goes
 * on), or -EIO if writing to @out failed.
 */
int bvc_disasm_prog(const struct bvc_insn *insns, size_t cnt, FILE *out);

#endif /* BPFVC_DISASM_H */
