// SPDX-License-Identifier: MIT
/*
 * CO-RE: reads two fields of the current task through a local struct
 * marked preserve_access_index (no vmlinux.h). clang compiles in the
 * offsets of this local layout and records a CO-RE relocation for each
 * access; libbpf rewrites them for the kernel it loads on (the ___local
 * suffix is a flavour: it matches the kernel's task_struct). bpfvc applies
 * them for the target kernel (this machine's BTF, or --profile's) before
 * verifying; with workers it does not yet (verify says so, build refuses).
 * Also accepted by the kernel (libbpf relocates pid and tgid against this
 * kernel's BTF).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct task_struct___local {
	int pid;
	int tgid;
} __attribute__((preserve_access_index));

SEC("kprobe/do_nanosleep")
int core_read(void *ctx)
{
	struct task_struct___local *t = (void *)bpf_get_current_task();
	int pid = 0, tgid = 0;

	bpf_probe_read_kernel(&pid, sizeof(pid), &t->pid);
	bpf_probe_read_kernel(&tgid, sizeof(tgid), &t->tgid);
	return pid == tgid;
}

char LICENSE[] SEC("license") = "GPL";
