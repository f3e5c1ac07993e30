// SPDX-License-Identifier: MIT
/*
 * A program reading a .kconfig extern: the loader must refuse it with
 * "unsupported: extern 'LINUX_KERNEL_VERSION'". Loader-only (libbpf would
 * resolve the extern; bpfvc does not model kernel configuration).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;

SEC("kprobe/do_nanosleep")
int uses_kconfig(void *ctx)
{
	return LINUX_KERNEL_VERSION > 0x60000 ? 1 : 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
