// SPDX-License-Identifier: MIT
/*
 * Global functions against the kernel (tests/engine/test_global.c): each
 * program is one case, safe or not, about what a caller may pass to a
 * global function (verified once on its BTF argument types), what it may
 * do with the result, and what a global function may do with any
 * arguments its prototype allows. The expected verdicts are in the test's
 * table, not here; the kernel's verdict on each is printed for
 * information. Several programs are unsafe on purpose: this object is not
 * a kernel program (BVC_PROGS_ADVERSARIAL).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

/* libbpf 1.1's bpf_helpers.h predates the argument tags. */
#define arg_nonnull __attribute__((btf_decl_tag("arg:nonnull")))
#define arg_ctx __attribute__((btf_decl_tag("arg:ctx")))
#define GLOBAL __attribute__((noinline, weak))

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

struct big {
	__u64 a, b;
};

struct holder {
	__u64 *p;
};

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, 4);
	__uint(value_size, 4);
} jmp SEC(".maps");

__u32 table[4];
const volatile int enable_bad = 0;

GLOBAL int g_scalar(int x)
{
	return x * 2;
}

GLOBAL int g_nullable(__u64 *p)
{
	return p ? (int)*p : 0;
}

GLOBAL int g_deref(__u64 *p)
{
	return (int)*p; /* no NULL check: unsafe for NULL */
}

GLOBAL int g_nonnull(__u64 *p arg_nonnull)
{
	return (int)*p;
}

GLOBAL int g_big(struct big *b)
{
	return b ? (int)(b->a + b->b) : 0;
}

GLOBAL int g_ctx(struct __sk_buff *skb)
{
	return (int)skb->len;
}

GLOBAL int g_ctx_tag(void *ctx arg_ctx)
{
	return bpf_get_prandom_u32() & 1;
}

GLOBAL int g_index(__u32 i)
{
	return (int)table[i]; /* unsafe for some i */
}

GLOBAL int g_index_checked(__u32 i)
{
	return i < 4 ? (int)table[i] : 0;
}

GLOBAL int g_clobber(struct holder *h)
{
	if (h)
		h->p = (__u64 *)0x1000;
	return 0;
}

GLOBAL int g_pull(struct __sk_buff *skb)
{
	return bpf_skb_pull_data(skb, 0);
}

/* __hidden (as usdt.bpf.h's bpf_usdt_arg()): libbpf makes it static in
 * the BTF it loads, so it is verified with its caller's arguments. */
__attribute__((noinline, weak, visibility("hidden"))) int g_hidden_deref(__u64 *p)
{
	return (int)*p; /* safe only for what its callers pass */
}

GLOBAL int g_inner_bad(__u32 i)
{
	return (int)table[i];
}

GLOBAL int g_outer(__u32 i)
{
	return g_inner_bad(i & 7);
}

SEC("tc")
int acc_scalar(struct __sk_buff *skb)
{
	return g_scalar(5) == 10 ? TC_ACT_OK : TC_ACT_SHOT;
}

SEC("tc")
int acc_stack_mem(struct __sk_buff *skb)
{
	__u64 x = skb->len;

	return g_nullable(&x) & 1;
}

SEC("tc")
int acc_null_to_nullable(struct __sk_buff *skb)
{
	return g_nullable(0) & 1;
}

SEC("tc")
int acc_map_or_null_to_nullable(struct __sk_buff *skb)
{
	__u32 k = skb->len;

	return g_nullable(bpf_map_lookup_elem(&arr, &k)) & 1;
}

SEC("tc")
int rej_nullable_deref(struct __sk_buff *skb)
{
	__u64 x = 1;

	return g_deref(&x) & 1;
}

SEC("tc")
int acc_nonnull(struct __sk_buff *skb)
{
	__u64 x = 1;

	return g_nonnull(&x) & 1;
}

SEC("tc")
int rej_null_to_nonnull(struct __sk_buff *skb)
{
	/* Through the stack: clang may not see a NULL argument. */
	__u64 *volatile np = 0;

	return g_nonnull(np) & 1;
}

SEC("tc")
int rej_map_or_null_to_nonnull(struct __sk_buff *skb)
{
	__u32 k = skb->len;

	return g_nonnull(bpf_map_lookup_elem(&arr, &k)) & 1;
}

SEC("tc")
int rej_too_small(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&arr, &k);

	if (!v)
		return 0;
	/* 8 bytes of value where the callee may use 16. */
	return g_big((struct big *)v) & 1;
}

SEC("tc")
int acc_ctx(struct __sk_buff *skb)
{
	return (g_ctx(skb) + g_ctx_tag(skb)) & 1;
}

SEC("tc")
int rej_ctx_wrong_kind(struct __sk_buff *skb)
{
	__u64 x[4] = {};

	return g_ctx((struct __sk_buff *)x) & 1;
}

SEC("tc")
int rej_scalar_for_ctx(struct __sk_buff *skb)
{
	return g_ctx((struct __sk_buff *)(long)skb->len) & 1;
}

SEC("tc")
int rej_r0_as_pointer(struct __sk_buff *skb)
{
	__u64 *p = (__u64 *)(long)g_scalar(1);

	return (int)*p;
}

SEC("tc")
int rej_unsafe_for_some_args(struct __sk_buff *skb)
{
	/* 1 is fine, but g_index is verified for any __u32. */
	return g_index(1) & 1;
}

SEC("tc")
int acc_checked_index(struct __sk_buff *skb)
{
	return g_index_checked(skb->len) & 1;
}

SEC("tc")
int rej_spill_clobbered(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&arr, &k);
	struct holder h;

	if (!v)
		return 0;
	*(__u64 *volatile *)&h.p = v;
	g_clobber(&h);
	/* The callee may have written anything there. */
	return (int)**(__u64 *volatile *)&h.p;
}

SEC("tc")
int rej_pkt_after_pull(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	int r;

	if (data + 4 > end)
		return 0;
	r = g_pull(skb);
	/* The callee may have moved the packet. */
	return r + *(volatile __u8 *)data;
}

SEC("tc")
int rej_nested_global(struct __sk_buff *skb)
{
	return g_outer(skb->len) & 1;
}

SEC("tc")
int acc_dead_call(struct __sk_buff *skb)
{
	/* .rodata is frozen: the kernel never reaches, so never verifies,
	 * the unsafe function. */
	if (enable_bad)
		return g_index(skb->len) & 1;
	return 0;
}

/* A tail call that jumps from inside a function returns to the caller of
 * that function, after the other program ran: it may have moved the
 * packet. (One from the entry function never returns when it jumps: the
 * kernel keeps packet pointers there, and so do we.) */
GLOBAL int g_tail(struct __sk_buff *skb)
{
	bpf_tail_call_static(skb, &jmp, 0);
	return 0;
}

static __attribute__((noinline)) int s_tail(struct __sk_buff *skb)
{
	bpf_tail_call_static(skb, &jmp, 0);
	return skb->len;
}

SEC("tc")
int rej_pkt_after_global_tail_call(struct __sk_buff *skb)
{
	int *p = (void *)(long)skb->data;

	if ((void *)(p + 1) > (void *)(long)skb->data_end)
		return 0;
	g_tail(skb);
	*p = 42;
	return 0;
}

SEC("tc")
int rej_pkt_after_static_tail_call(struct __sk_buff *skb)
{
	int *p = (void *)(long)skb->data;

	if ((void *)(p + 1) > (void *)(long)skb->data_end)
		return 0;
	s_tail(skb);
	*p = 42;
	return 0;
}

SEC("tc")
int acc_pkt_after_entry_tail_call(struct __sk_buff *skb)
{
	int *p = (void *)(long)skb->data;

	if ((void *)(p + 1) > (void *)(long)skb->data_end)
		return 0;
	bpf_tail_call_static(skb, &jmp, 0);
	*p = 42;
	return 0;
}

SEC("tc")
int acc_hidden_is_static(struct __sk_buff *skb)
{
	__u64 x = skb->len;

	return g_hidden_deref(&x) & 1;
}

char _license[] SEC("license") = "GPL";
