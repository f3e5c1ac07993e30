// SPDX-License-Identifier: MIT
/*
 * Exception callbacks (bpf_throw) named by a decl tag on the program, as
 * bpf_experimental.h's __exception_cb() writes it. BPF_PROG_LOAD looks the
 * callback up before verifying any path; each program here breaks one of
 * its rules (6.12 bpf_find_exception_callback_insn_off) or, the last one,
 * has a callback the kernel finds, which bpfvc does not model. The loader
 * builds programs as libbpf 1.1 does: a function the program never calls
 * is not in it, nor in its func_info. Loader-only (every program is
 * refused, by the kernel or by bpfvc).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define __exception_cb(name) __attribute__((btf_decl_tag("exception_callback:" #name)))

/* Global, never called: the program's func_info has no record of it. */
__attribute__((noinline)) int exc_cb(__u64 cookie)
{
	return (int)cookie + 1;
}

/* Global, called: in the program and in its func_info. */
__attribute__((noinline)) int exc_cb_called(__u64 cookie)
{
	return (int)cookie + 2;
}

/* Static, called: the kernel wants global linkage. */
static __attribute__((noinline)) int exc_cb_static(__u64 cookie)
{
	return (int)cookie + 3;
}

SEC("tc") __exception_cb(exc_cb)
int exc_missing(struct __sk_buff *skb)
{
	return 0;
}

SEC("tc") __exception_cb(exc_cb_static)
int exc_static(struct __sk_buff *skb)
{
	return exc_cb_static(skb->len) & 1;
}

SEC("tc") __exception_cb(no_such_function)
int exc_unknown(struct __sk_buff *skb)
{
	return 0;
}

SEC("tc") __exception_cb(exc_cb) __exception_cb(exc_cb_called)
int exc_twice(struct __sk_buff *skb)
{
	return 0;
}

SEC("tc") __exception_cb(exc_self)
int exc_self(struct __sk_buff *skb)
{
	return 0;
}

SEC("tc") __exception_cb(exc_cb_called)
int exc_present(struct __sk_buff *skb)
{
	return exc_cb_called(skb->len) & 1;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
