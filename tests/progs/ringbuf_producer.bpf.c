// SPDX-License-Identifier: MIT
/*
 * Tracepoint program on sys_enter_write: reserves a ring buffer record,
 * fills it, and submits it, or discards it for the idle task (pid 0).
 *
 * Test input for the loader (ring buffer map: no key, no value, max_entries
 * in bytes) and the verifier (reference tracking of reserved records). Must
 * stay accepted by the kernel.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
	__u32 pid;
	__u32 cpu;
	__u64 ts;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 4096);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_write")
int on_write(void *ctx)
{
	struct event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->cpu = bpf_get_smp_processor_id();
	e->ts = bpf_ktime_get_ns();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (e->pid == 0) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
