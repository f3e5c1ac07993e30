// SPDX-License-Identifier: MIT
/*
 * A program reading a .ksyms extern (a kernel symbol's address): the loader
 * must refuse it with "unsupported: extern 'bpf_prog_active'" (or mark the
 * program, keep_unsupported). Loader-only: bpfvc does not model kernel
 * symbols. (.kconfig externs are resolved: kconfig.bpf.c.)
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern const void bpf_prog_active __ksym;

SEC("kprobe/do_nanosleep")
int uses_ksym(void *ctx)
{
	return (long)&bpf_prog_active & 1;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
