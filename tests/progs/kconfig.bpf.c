// SPDX-License-Identifier: MIT
/*
 * .kconfig externs of every type libbpf fills: the virtual version and
 * feature externs, a tristate, an int, a string (char array) and weak
 * options no kernel has. The loader folds in the values of a target
 * kernel's profile; the verifier reads them as constants, so a branch a
 * profile makes dead is never explored, as in the kernel.
 */
#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_BPF_COOKIE __kconfig __weak;
extern enum libbpf_tristate CONFIG_BPF_SYSCALL __kconfig;
extern int CONFIG_HZ __kconfig;
extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig __weak;
extern bool CONFIG_BVC_NO_SUCH_OPTION __kconfig __weak;
extern unsigned long long CONFIG_BVC_NO_SUCH_NUMBER __kconfig __weak;

/* Every value, read and combined: r0 is a known constant here. */
SEC("kprobe/do_nanosleep")
int kconfig_values(void *ctx)
{
	long r = 0;

	if (LINUX_KERNEL_VERSION >= 0x050f00)
		r |= 1;
	if (LINUX_HAS_BPF_COOKIE)
		r |= 2;
	if (CONFIG_BPF_SYSCALL == TRI_YES)
		r |= 4;
	if (CONFIG_HZ > 0)
		r |= 8;
	if (CONFIG_DEFAULT_HOSTNAME[0] == '(')
		r |= 16;
	return r + CONFIG_BVC_NO_SUCH_NUMBER;
}

/* Reads address 0x1000: refused wherever the branch is live. No kernel
 * has the option, so the weak extern is 0 and the branch is dead. */
SEC("kprobe/do_nanosleep")
int kconfig_dead_branch(void *ctx)
{
	if (CONFIG_BVC_NO_SUCH_OPTION)
		return *(volatile int *)0x1000;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
