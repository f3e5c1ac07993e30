// SPDX-License-Identifier: MIT
/*
 * Every way clang links code and data, for the loader tests:
 *   - two programs in one section ("xdp"), one calling the other (a call
 *     relocation against a global function symbol outside .text);
 *   - a static function in the program's own section (a call without
 *     relocation, relative to the section);
 *   - a static function in .text (call relocation against the section
 *     symbol, target in imm) used by both programs;
 *   - a callback passed to bpf_loop (ld_imm64 of a function: BPF_PSEUDO_FUNC);
 *   - global data in .data, .data.custom, .rodata (a variable symbol, and
 *     bpf_printk's static format string after it: the section symbol with
 *     the offset in imm), .rodata.str1.1 (a string literal) and .bss;
 *   - a second program type in its own section, and an "xdp.frags" one
 *     (a load flag derived from the section name).
 *
 * Loader-only: libbpf 1.1 (and so bpftool here) refuses a static function in
 * a program section and a call to a function outside .text, although the
 * kernel would accept the result. Not meant for the verifier tests either
 * (bpf_loop is outside the first verifier scope).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int data_val = 1234;                             /* .data */
int custom_val SEC(".data.custom") = 77;         /* .data.custom */
int bss_val;                                     /* .bss */
const volatile int table[4] = { 10, 20, 30, 40 }; /* .rodata, first */

/* .text, static: call relocation against ".text" with the target in imm. */
static __noinline int text_helper(int x)
{
	return x * 3 + custom_val;
}

/* The program's own section, static: no relocation at all. */
static __attribute__((section("xdp"), noinline)) int in_sec_helper(struct xdp_md *ctx)
{
	return ctx->ingress_ifindex + text_helper(1);
}

static int loop_cb(__u32 i, void *data)
{
	*(int *)data += i;
	return 0;
}

/* noinline: clang would fold it into xdp_first, leaving no call. */
SEC("xdp") __noinline
int xdp_second(struct xdp_md *ctx)
{
	const char *s = "loader";

	bpf_printk("%s %d", s, data_val);
	return text_helper(ctx->rx_queue_index) > 0 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int xdp_first(struct xdp_md *ctx)
{
	int sum = 0;

	bpf_loop(4, loop_cb, &sum, 0);
	bss_val = sum + table[ctx->rx_queue_index & 3];
	return in_sec_helper(ctx) + xdp_second(ctx) > 2 ? XDP_PASS : XDP_DROP;
}

/* libbpf loads "xdp.frags" programs with BPF_F_XDP_HAS_FRAGS. */
SEC("xdp.frags")
int frags(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("kprobe/do_nanosleep")
int probe(void *ctx)
{
	data_val++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
