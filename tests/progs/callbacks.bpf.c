// SPDX-License-Identifier: MIT
/*
 * bpf_loop callbacks against the kernel (tests/engine/test_callbacks.c):
 * each program is one case, safe or not - a callback's return value, what
 * it may do with its context and index, iterations that must converge or
 * run out, nesting, references, arguments. The expected verdicts are in
 * the test's table, not here; the kernel's verdict on each is printed for
 * information. Several programs are unsafe on purpose: this object is not
 * a kernel program (BVC_PROGS_ADVERSARIAL).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NOINLINE __attribute__((noinline))

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

struct cb_ctx {
	__u64 sum;
	__u32 i;
	__u32 buf[16];
};

/* The index and a counter in the context: both change every iteration
 * and nothing needs their values, so the iterations converge. */
static int cb_sum(__u64 index, void *data)
{
	struct cb_ctx *c = data;

	c->sum += index;
	c->i++;
	return 0;
}

SEC("xdp")
int acc_sum(struct xdp_md *xdp)
{
	struct cb_ctx c = {};

	bpf_loop(100, cb_sum, &c, 0);
	return c.sum & 1 ? XDP_PASS : XDP_DROP;
}

/* Returns 2: a callback returns 0 (go on) or 1 (stop). */
static int cb_ret2(__u64 index, void *data)
{
	return 2;
}

SEC("xdp")
int rej_ret2(struct xdp_md *xdp)
{
	bpf_loop(4, cb_ret2, NULL, 0);
	return XDP_PASS;
}

/* A bounded index into the context's array: safe on every iteration. */
static int cb_index_ok(__u64 index, void *data)
{
	struct cb_ctx *c = data;

	if (index < 16)
		c->buf[index] = 1;
	return 0;
}

SEC("xdp")
int acc_index_bounded(struct xdp_md *xdp)
{
	struct cb_ctx c = {};

	bpf_loop(16, cb_index_ok, &c, 0);
	return c.buf[3] ? XDP_PASS : XDP_DROP;
}

/* The index is not bounded by nr_loops for the verifier: writing
 * c->buf[index] unchecked goes past the caller's stack. */
static int cb_index_unbounded(__u64 index, void *data)
{
	struct cb_ctx *c = data;

	c->buf[index] = 1;
	return 0;
}

SEC("xdp")
int rej_write_beyond_ctx(struct xdp_md *xdp)
{
	struct cb_ctx c = {};

	bpf_loop(16, cb_index_unbounded, &c, 0);
	return c.buf[3] ? XDP_PASS : XDP_DROP;
}

/* A counter the callback tests each time: its value matters, so every
 * iteration is a new state - 1 << 23 of them never fit the budget. */
static int cb_precise_counter(__u64 index, void *data)
{
	struct cb_ctx *c = data;

	if (c->i == 0x7fffff)
		return 1;
	c->i++;
	return 0;
}

SEC("xdp")
int rej_never_converges(struct xdp_md *xdp)
{
	struct cb_ctx c = {};

	bpf_loop(1 << 23, cb_precise_counter, &c, 0);
	return XDP_PASS;
}

/* Only safe on the first iteration: the first sets the counter that the
 * second uses as an index. */
static int cb_second_iteration(__u64 index, void *data)
{
	struct cb_ctx *c = data;

	if (c->i > 15) {
		c->buf[c->i] = 1;
		return 1;
	}
	c->i = 100;
	return 0;
}

SEC("xdp")
int rej_unsafe_on_2nd_iter(struct xdp_md *xdp)
{
	struct cb_ctx c = {};

	bpf_loop(2, cb_second_iteration, &c, 0);
	return XDP_PASS;
}

/* bpf_loop inside a bpf_loop callback. */
static int cb_inner(__u64 index, void *data)
{
	struct cb_ctx *c = data;

	c->sum += index;
	return 0;
}

static int cb_outer(__u64 index, void *data)
{
	bpf_loop(8, cb_inner, data, 0);
	return 0;
}

SEC("xdp")
int acc_nested(struct xdp_md *xdp)
{
	struct cb_ctx c = {};

	bpf_loop(8, cb_outer, &c, 0);
	return c.sum & 1 ? XDP_PASS : XDP_DROP;
}

/* The inner loop's callback is unsafe: nesting does not hide it. */
static int cb_inner_bad(__u64 index, void *data)
{
	struct cb_ctx *c = data;

	c->buf[index] = 1;
	return 0;
}

static int cb_outer_bad(__u64 index, void *data)
{
	bpf_loop(8, cb_inner_bad, data, 0);
	return 0;
}

SEC("xdp")
int rej_nested_inner_unsafe(struct xdp_md *xdp)
{
	struct cb_ctx c = {};

	bpf_loop(8, cb_outer_bad, &c, 0);
	return XDP_PASS;
}

/* A ringbuf record reserved in the callback and never submitted. */
static int cb_leak(__u64 index, void *data)
{
	bpf_ringbuf_reserve(&rb, 8, 0);
	return 0;
}

SEC("xdp")
int rej_leaks_ref(struct xdp_md *xdp)
{
	bpf_loop(2, cb_leak, NULL, 0);
	return XDP_PASS;
}

/* Reserved and submitted inside: fine. */
static int cb_no_leak(__u64 index, void *data)
{
	__u64 *e = bpf_ringbuf_reserve(&rb, 8, 0);

	if (e) {
		*e = index;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

SEC("xdp")
int acc_ref_released(struct xdp_md *xdp)
{
	bpf_loop(2, cb_no_leak, NULL, 0);
	return XDP_PASS;
}

/* Three parameters: the callback gets two, r3 is not initialised. */
static NOINLINE int cb_three_args(__u64 index, void *data, __u64 extra)
{
	struct cb_ctx *c = data;

	c->sum = extra;
	return 0;
}

SEC("xdp")
int rej_three_args(struct xdp_md *xdp)
{
	struct cb_ctx c = {};

	bpf_loop(2, (void *)cb_three_args, &c, 0);
	return c.sum & 1 ? XDP_PASS : XDP_DROP;
}

/* The context must be a stack pointer or NULL. */
static int cb_nop(__u64 index, void *data)
{
	return 0;
}

SEC("xdp")
int rej_ctx_map_value(struct xdp_md *xdp)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&arr, &k);

	if (!v)
		return XDP_PASS;
	bpf_loop(2, cb_nop, v, 0);
	return XDP_PASS;
}

SEC("xdp")
int acc_null_ctx(struct xdp_md *xdp)
{
	bpf_loop(2, cb_nop, NULL, 0);
	return XDP_PASS;
}

/* The callback's return decides nothing but must stay in [0, 1], also
 * when it comes from the context. */
static int cb_ret_from_ctx(__u64 index, void *data)
{
	struct cb_ctx *c = data;

	return c->sum;
}

SEC("xdp")
int rej_ret_unknown(struct xdp_md *xdp)
{
	struct cb_ctx c = {};

	c.sum = bpf_get_prandom_u32();

	bpf_loop(2, cb_ret_from_ctx, &c, 0);
	return XDP_PASS;
}

/* A caller's stack slot the callback reads before any write: the caller
 * did not initialise it. */
static int cb_read_uninit(__u64 index, void *data)
{
	struct cb_ctx *c = data;

	return c->buf[5] & 1;
}

SEC("xdp")
int acc_read_caller_stack(struct xdp_md *xdp)
{
	struct cb_ctx c;

	c.buf[5] = 0;
	bpf_loop(2, cb_read_uninit, &c, 0);
	return XDP_PASS;
}

/* bpf_for_each_map_elem: (map, key, value, ctx). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} h SEC(".maps");

static __u64 cb_elem_sum(void *map, __u32 *key, __u64 *val, struct cb_ctx *c)
{
	c->sum += *key + *val;
	return 0;
}

SEC("xdp")
int acc_for_each(struct xdp_md *xdp)
{
	struct cb_ctx c = {};

	bpf_for_each_map_elem(&h, cb_elem_sum, &c, 0);
	return c.sum & 1 ? XDP_PASS : XDP_DROP;
}

/* The key is the map's: read-only. */
static __u64 cb_write_key(void *map, __u32 *key, __u64 *val, void *c)
{
	*key = 0;
	return 0;
}

SEC("xdp")
int rej_for_each_write_key(struct xdp_md *xdp)
{
	bpf_for_each_map_elem(&h, cb_write_key, NULL, 0);
	return XDP_PASS;
}

/* Past the value's 8 bytes. */
static __u64 cb_value_oob(void *map, __u32 *key, __u64 *val, void *c)
{
	val[1] = 0;
	return 0;
}

SEC("xdp")
int rej_for_each_value_oob(struct xdp_md *xdp)
{
	bpf_for_each_map_elem(&h, cb_value_oob, NULL, 0);
	return XDP_PASS;
}

/* A ringbuf has no elements to walk. */
static __u64 cb_rb(void *map, void *key, void *val, void *c)
{
	return 0;
}

SEC("xdp")
int rej_for_each_ringbuf(struct xdp_md *xdp)
{
	bpf_for_each_map_elem(&rb, cb_rb, NULL, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
