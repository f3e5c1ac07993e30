// SPDX-License-Identifier: MIT
/*
 * kprobe counter on do_nanosleep using global data only (no user maps):
 * a .data counter with a non-zero initial value, .bss counters, and a
 * .rodata sampling period. Every fourth call records the caller's pid.
 *
 * Test input for the loader (three global-data maps, their initial bytes)
 * and the verifier. Must stay accepted by the kernel.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* .data: the loader tests check this initial value. */
__u64 samples = 0x1122334455667788ULL;

/* .bss */
__u64 calls;
__u32 last_pid;

/* .rodata: volatile so the program reads it from the map at run time. */
const volatile __u32 sample_every = 4;

SEC("kprobe/do_nanosleep")
int count_nanosleep(void *ctx)
{
	__u64 n = __sync_fetch_and_add(&calls, 1);

	if (sample_every && n % sample_every == 0) {
		last_pid = bpf_get_current_pid_tgid() >> 32;
		samples++;
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
