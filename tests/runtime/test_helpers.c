// SPDX-License-Identifier: MIT
/*
 * The device's helpers, called at the addresses native code gets for them
 * (and, for trace_printk, from a program on the interpreter): results and
 * error codes as the kernel documents them, packet helpers on real device
 * contexts, checksums against values computed by hand.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "../../runtime/runtime_internal.h"
#include "bpfvc/jitter.h"
#include "bpfvc/runtime.h"
#include "common/insns.h"

typedef uint64_t (*helper_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

static uint64_t call(int32_t id, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	uint64_t addr = rt_helper_addr(id);

	cr_assert_neq(addr, 0, "helper %d missing", id);
	return ((helper_fn)(uintptr_t)addr)(r1, r2, r3, r4, r5);
}

#define P(x) ((uint64_t)(uintptr_t)(x))
#define E(e) ((uint64_t)(int64_t)(e))

Test(helpers, table)
{
	static const int32_t have[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 23, 25,
					26, 28, 44, 45, 54, 65, 112, 113, 114, 115, 125, 130,
					131, 132, 133, 134 };
	size_t i;

	for (i = 0; i < sizeof(have) / sizeof(have[0]); i++)
		cr_expect(bvc_rt_helper_supported(have[i]), "helper %d", have[i]);
	/* skb_adjust_room, redirect_map, get_current_task: not on this device */
	cr_expect_not(bvc_rt_helper_supported(50));
	cr_expect_not(bvc_rt_helper_supported(51));
	cr_expect_not(bvc_rt_helper_supported(35));
	cr_expect_not(bvc_rt_helper_supported(0));
	cr_expect_not(bvc_rt_helper_supported(-1));
	cr_expect_not(bvc_rt_helper_supported(100000));
}

Test(helpers, time_random_cpu_task)
{
	uint64_t a = call(BPF_FUNC_ktime_get_ns, 0, 0, 0, 0, 0);
	uint64_t b = call(BPF_FUNC_ktime_get_ns, 0, 0, 0, 0, 0);
	uint64_t r0 = call(BPF_FUNC_get_prandom_u32, 0, 0, 0, 0, 0), r;
	char comm[16], want[17] = "", small[4];
	int differ = 0, i;

	cr_expect_gt(a, 0);
	cr_expect_geq(b, a, "monotonic");
	cr_expect_gt(call(BPF_FUNC_ktime_get_boot_ns, 0, 0, 0, 0, 0), 0);
	for (i = 0; i < 64; i++) {
		r = call(BPF_FUNC_get_prandom_u32, 0, 0, 0, 0, 0);
		cr_expect_leq(r, UINT32_MAX);
		differ |= r != r0;
	}
	cr_expect(differ, "prandom gives different values");
	cr_expect_eq(call(BPF_FUNC_get_smp_processor_id, 0, 0, 0, 0, 0), 0);
	cr_expect_eq(call(BPF_FUNC_get_current_pid_tgid, 0, 0, 0, 0, 0),
		     ((uint64_t)getpid() << 32) | (uint32_t)gettid());
	cr_expect_eq(call(BPF_FUNC_get_current_uid_gid, 0, 0, 0, 0, 0),
		     ((uint64_t)getgid() << 32) | getuid());

	prctl(PR_GET_NAME, want, 0, 0, 0);
	memset(comm, 'x', sizeof(comm));
	cr_expect_eq(call(BPF_FUNC_get_current_comm, P(comm), sizeof(comm), 0, 0, 0), 0);
	cr_expect_str_eq(comm, want);
	cr_expect_eq(comm[15], 0, "zero-padded");
	cr_expect_eq(call(BPF_FUNC_get_current_comm, P(small), sizeof(small), 0, 0, 0), 0);
	cr_expect_eq(small[3], 0);
	cr_expect_eq(strncmp(small, want, 3), 0);

	cr_expect_eq(call(BPF_FUNC_tail_call, 0, 0, 0, 0, 0), E(-ENOENT), "tail calls fail");
}

Test(helpers, probe_read)
{
	char src[] = "device memory", dst[32];
	long page = sysconf(_SC_PAGESIZE);
	void *gone;

	memset(dst, 'x', sizeof(dst));
	cr_expect_eq(call(BPF_FUNC_probe_read_kernel, P(dst), 6, P(src), 0, 0), 0);
	cr_expect_eq(memcmp(dst, "device", 6), 0);
	cr_expect_eq(call(BPF_FUNC_probe_read, P(dst), 8, 0, 0, 0), E(-EFAULT), "NULL fails");
	cr_expect_eq(dst[0], 0, "zeroed on failure");

	/* an unmapped page fails instead of crashing */
	gone = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(gone, MAP_FAILED);
	munmap(gone, (size_t)page);
	memset(dst, 'x', sizeof(dst));
	cr_expect_eq(call(BPF_FUNC_probe_read_user, P(dst), 8, P(gone), 0, 0), E(-EFAULT));
	cr_expect_eq(dst[7], 0);

	/* _str: length with the NUL; cut at size - 1 */
	cr_expect_eq(call(BPF_FUNC_probe_read_str, P(dst), sizeof(dst), P(src), 0, 0),
		     strlen(src) + 1);
	cr_expect_str_eq(dst, src);
	cr_expect_eq(call(BPF_FUNC_probe_read_kernel_str, P(dst), 5, P(src), 0, 0), 5);
	cr_expect_str_eq(dst, "devi");
	cr_expect_eq(call(BPF_FUNC_probe_read_user_str, P(dst), 5, 0, 0, 0), E(-EFAULT));
	cr_expect_eq(call(BPF_FUNC_probe_read_user_str, P(dst), 5, P(gone), 0, 0), E(-EFAULT));
}

/* An Ethernet + IPv4 header (the classic example: checksum 0xb861) + 8
 * bytes of UDP with checksum 0x1234. */
static const uint8_t pkt[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
	0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61,
	0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	0x00, 0x35, 0x00, 0x35, 0x00, 0x08, 0x12, 0x34,
};
#define IP_OFF 14
#define IP_CSUM (IP_OFF + 10)
#define UDP_CSUM (IP_OFF + 20 + 6)

/* RFC 1071 checksum of @n bytes at @p, as the 2 bytes it is stored as. */
static void ip_csum(const uint8_t *p, size_t n, uint8_t out[2])
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	s = ~s & 0xffff;
	out[0] = (uint8_t)(s >> 8);
	out[1] = (uint8_t)s;
}

static struct bvc_rt_ctx *new_ctx(uint32_t type, const void *in, size_t len)
{
	struct bvc_rt_ctx *c = NULL;
	char err[256] = "";

	cr_assert_eq(bvc_rt_ctx_new(type, in, len, &c, err, sizeof(err)), 0, "%s", err);
	return c;
}

Test(helpers, skb_contexts_and_bytes)
{
	struct bvc_rt_ctx *c = new_ctx(BPF_PROG_TYPE_SCHED_CLS, pkt, sizeof(pkt));
	struct __sk_buff skb;
	uint8_t buf[8], *data;
	size_t len;

	memcpy(&skb, c->dev, sizeof(skb));
	cr_expect_eq(skb.len, sizeof(pkt));
	cr_expect_eq(skb.protocol, 0x0008, "ETH_P_IP in network order");
	cr_expect_eq(skb.ifindex, 1);
	data = (uint8_t *)bvc_rt_ctx_packet(c, &len);
	cr_expect_eq(len, sizeof(pkt));
	cr_expect_arr_eq(data, pkt, sizeof(pkt));

	cr_expect_eq(call(BPF_FUNC_skb_load_bytes, P(c->dev), IP_OFF + 12, P(buf), 8, 0), 0);
	cr_expect_arr_eq(buf, pkt + IP_OFF + 12, 8);
	memset(buf, 'x', sizeof(buf));
	cr_expect_eq(call(BPF_FUNC_skb_load_bytes, P(c->dev), sizeof(pkt) - 4, P(buf), 8, 0),
		     E(-EFAULT));
	cr_expect_eq(buf[0], 0, "zeroed on failure");
	cr_expect_eq(call(BPF_FUNC_skb_store_bytes, P(c->dev), 0, P("\xaa\xbb"), 2, 0), 0);
	cr_expect_eq(data[0], 0xaa);
	cr_expect_eq(call(BPF_FUNC_skb_store_bytes, P(c->dev), 0, P("\xaa\xbb"), 2, 8), E(-EINVAL));
	cr_expect_eq(call(BPF_FUNC_skb_store_bytes, P(c->dev), sizeof(pkt) - 1, P("ab"), 2, 0),
		     E(-EFAULT));
	bvc_rt_ctx_reset(c);
	cr_expect_eq(data[0], 0, "reset restores the packet");

	/* LD_ABS intrinsics: big-endian, -1 outside the packet */
	{
		int64_t (*ld_h)(const void *, int64_t) =
			(int64_t (*)(const void *, int64_t))(uintptr_t)rt_intrinsic_addr(BVC_RT_LD_ABS_H);
		int64_t (*ld_w)(const void *, int64_t) =
			(int64_t (*)(const void *, int64_t))(uintptr_t)rt_intrinsic_addr(BVC_RT_LD_ABS_W);

		cr_expect_eq(ld_h(c->dev, 12), 0x0800);
		cr_expect_eq(ld_w(c->dev, IP_OFF + 12), 0xc0a80001);
		cr_expect_eq(ld_h(c->dev, sizeof(pkt) - 1), -1);
		cr_expect_eq(ld_h(c->dev, -2), -1);
		cr_expect_eq(rt_intrinsic_addr(99), 0);
	}
	bvc_rt_ctx_free(c);
}

Test(helpers, checksums)
{
	struct bvc_rt_ctx *c = new_ctx(BPF_PROG_TYPE_SCHED_CLS, pkt, sizeof(pkt));
	uint8_t hdr[20], want[2], *data;
	uint32_t from, to, diff;
	uint16_t folded, old16, new16;
	size_t len;

	/* csum_diff of a header with its checksum zeroed folds to that checksum */
	memcpy(hdr, pkt + IP_OFF, 20);
	hdr[10] = hdr[11] = 0;
	diff = (uint32_t)call(BPF_FUNC_csum_diff, 0, 0, P(hdr), 20, 0);
	diff = (diff & 0xffff) + (diff >> 16);
	diff = (diff & 0xffff) + (diff >> 16);
	folded = (uint16_t)~diff;
	cr_expect_eq(memcmp(&folded, pkt + IP_CSUM, 2), 0, "csum_diff folds to 0xb861");
	cr_expect_eq(call(BPF_FUNC_csum_diff, P(hdr), 2, 0, 0, 0), E(-EINVAL), "not 4-byte sized");
	cr_expect_eq(call(BPF_FUNC_csum_diff, P(hdr), 516, 0, 0, 0), E(-EINVAL), "too large");

	/* l3_csum_replace, 2 bytes: TTL 0x40 -> 0x3f in the word at IP_OFF + 8 */
	data = (uint8_t *)bvc_rt_ctx_packet(c, &len);
	memcpy(&old16, data + IP_OFF + 8, 2);
	data[IP_OFF + 8] = 0x3f;
	memcpy(&new16, data + IP_OFF + 8, 2);
	cr_expect_eq(call(BPF_FUNC_l3_csum_replace, P(c->dev), IP_CSUM, old16, new16, 2), 0);
	memcpy(hdr, data + IP_OFF, 20);
	hdr[10] = hdr[11] = 0;
	ip_csum(hdr, 20, want);
	cr_expect_arr_eq(data + IP_CSUM, want, 2);

	/* 4 bytes: the source address */
	memcpy(&from, data + IP_OFF + 12, 4);
	memcpy(data + IP_OFF + 12, "\x0a\x00\x00\x01", 4);
	memcpy(&to, data + IP_OFF + 12, 4);
	cr_expect_eq(call(BPF_FUNC_l3_csum_replace, P(c->dev), IP_CSUM, from, to, 4), 0);
	memcpy(hdr, data + IP_OFF, 20);
	hdr[10] = hdr[11] = 0;
	ip_csum(hdr, 20, want);
	cr_expect_arr_eq(data + IP_CSUM, want, 2);

	/* by a csum_diff: the destination address */
	memcpy(&from, data + IP_OFF + 16, 4);
	to = 0x0200000a; /* 10.0.0.2 as stored */
	diff = (uint32_t)call(BPF_FUNC_csum_diff, P(&from), 4, P(&to), 4, 0);
	memcpy(data + IP_OFF + 16, &to, 4);
	cr_expect_eq(call(BPF_FUNC_l3_csum_replace, P(c->dev), IP_CSUM, 0, diff, 0), 0);
	memcpy(hdr, data + IP_OFF, 20);
	hdr[10] = hdr[11] = 0;
	ip_csum(hdr, 20, want);
	cr_expect_arr_eq(data + IP_CSUM, want, 2);

	cr_expect_eq(call(BPF_FUNC_l3_csum_replace, P(c->dev), IP_CSUM, 0, 0, 3), E(-EINVAL));
	cr_expect_eq(call(BPF_FUNC_l3_csum_replace, P(c->dev), IP_CSUM, 0, 0, 0x10), E(-EINVAL));
	cr_expect_eq(call(BPF_FUNC_l3_csum_replace, P(c->dev), len - 1, 0, 0, 2), E(-EFAULT));

	/* l4 with MARK_MANGLED_0: a zero checksum (UDP without one) stays zero */
	data[UDP_CSUM] = data[UDP_CSUM + 1] = 0;
	cr_expect_eq(call(BPF_FUNC_l4_csum_replace, P(c->dev), UDP_CSUM, 1, 2,
			  BPF_F_MARK_MANGLED_0 | BPF_F_PSEUDO_HDR | 4), 0);
	cr_expect_eq(data[UDP_CSUM] | data[UDP_CSUM + 1], 0);
	/* A result of zero is written as 0xffff with MARK_MANGLED_0, as 0
	 * without: a field of 0xffff (= -0) with a word replaced by itself. */
	data[UDP_CSUM] = data[UDP_CSUM + 1] = 0xff;
	cr_expect_eq(call(BPF_FUNC_l4_csum_replace, P(c->dev), UDP_CSUM, 0x1234, 0x1234, 2), 0);
	cr_expect_eq(data[UDP_CSUM] | data[UDP_CSUM + 1], 0);
	data[UDP_CSUM] = data[UDP_CSUM + 1] = 0xff;
	cr_expect_eq(call(BPF_FUNC_l4_csum_replace, P(c->dev), UDP_CSUM, 0x1234, 0x1234,
			  2 | BPF_F_MARK_MANGLED_0), 0);
	cr_expect_eq(data[UDP_CSUM] & data[UDP_CSUM + 1], 0xff);
	cr_expect_eq(call(BPF_FUNC_l4_csum_replace, P(c->dev), UDP_CSUM, 0, 0, 1ull << 8), E(-EINVAL));
	bvc_rt_ctx_free(c);
}

Test(helpers, xdp_adjust)
{
	struct bvc_rt_ctx *c = new_ctx(BPF_PROG_TYPE_XDP, pkt, sizeof(pkt));
	const uint8_t *data;
	uint8_t **ptrs = rt_ctx_ptrs(c);
	size_t len;

	/* head: grow by 14 (encapsulation), shrink back */
	cr_expect_eq(call(BPF_FUNC_xdp_adjust_head, P(c->dev), E(-14), 0, 0, 0), 0);
	data = bvc_rt_ctx_packet(c, &len);
	cr_expect_eq(len, sizeof(pkt) + 14);
	cr_expect_arr_eq(data + 14, pkt, sizeof(pkt));
	cr_expect_eq(call(BPF_FUNC_xdp_adjust_head, P(c->dev), 14, 0, 0, 0), 0);
	cr_expect_eq(call(BPF_FUNC_xdp_adjust_head, P(c->dev), E(-257), 0, 0, 0), E(-EINVAL),
		     "past the 256-byte headroom");
	cr_expect_eq(call(BPF_FUNC_xdp_adjust_head, P(c->dev), sizeof(pkt) - 13, 0, 0, 0),
		     E(-EINVAL), "less than an Ethernet header left");

	/* meta: 4-byte multiples up to 32 */
	cr_expect_eq(call(BPF_FUNC_xdp_adjust_meta, P(c->dev), E(-8), 0, 0, 0), 0);
	cr_expect_eq(ptrs[0] - ptrs[2], 8);
	cr_expect_eq(call(BPF_FUNC_xdp_adjust_meta, P(c->dev), E(-3), 0, 0, 0), E(-EACCES));
	cr_expect_eq(call(BPF_FUNC_xdp_adjust_meta, P(c->dev), E(-28), 0, 0, 0), E(-EACCES));
	cr_expect_eq(call(BPF_FUNC_xdp_adjust_meta, P(c->dev), 12, 0, 0, 0), E(-EINVAL));
	memcpy(ptrs[2], "METADATA", 8);
	/* head moves the metadata with the data */
	cr_expect_eq(call(BPF_FUNC_xdp_adjust_head, P(c->dev), E(-4), 0, 0, 0), 0);
	cr_expect_eq(memcmp(ptrs[2], "METADATA", 8), 0);
	cr_expect_eq(ptrs[0] - ptrs[2], 8);

	/* tail: grow reads zeroes, shrink, limits */
	bvc_rt_ctx_reset(c);
	cr_expect_eq(call(BPF_FUNC_xdp_adjust_tail, P(c->dev), 6, 0, 0, 0), 0);
	data = bvc_rt_ctx_packet(c, &len);
	cr_expect_eq(len, sizeof(pkt) + 6);
	cr_expect_eq(data[len - 1] | data[len - 6], 0);
	cr_expect_eq(call(BPF_FUNC_xdp_adjust_tail, P(c->dev), E(-(int64_t)len + 13), 0, 0, 0),
		     E(-EINVAL));
	cr_expect_eq(call(BPF_FUNC_xdp_adjust_tail, P(c->dev), 251, 0, 0, 0), E(-EINVAL));

	/* redirect: the XDP and the tc meaning */
	rt_cur.ctx = c;
	cr_expect_eq(call(BPF_FUNC_redirect, 3, 0, 0, 0, 0), XDP_REDIRECT);
	cr_expect_eq(call(BPF_FUNC_redirect, 3, 1, 0, 0, 0), XDP_ABORTED);
	rt_cur.ctx = NULL;
	bvc_rt_ctx_free(c);
	c = new_ctx(BPF_PROG_TYPE_SCHED_CLS, pkt, sizeof(pkt));
	rt_cur.ctx = c;
	cr_expect_eq(call(BPF_FUNC_redirect, 3, BPF_F_INGRESS, 0, 0, 0), TC_ACT_REDIRECT);
	cr_expect_eq(call(BPF_FUNC_redirect, 3, 4, 0, 0, 0), TC_ACT_SHOT);
	cr_expect_eq(call(BPF_FUNC_xdp_adjust_head, P(c->dev), 1, 0, 0, 0), E(-EINVAL),
		     "not an XDP context");
	rt_cur.ctx = NULL;
	bvc_rt_ctx_free(c);
}

static int perf_hex(void *user, uint32_t index, const void *data, size_t size)
{
	char *s = user;
	size_t i;

	s += strlen(s);
	s += sprintf(s, "%u:", index);
	for (i = 0; i < size; i++)
		s += sprintf(s, "%02x", ((const uint8_t *)data)[i]);
	strcpy(s, ";");
	return 0;
}

Test(helpers, perf_event_output_with_packet_bytes)
{
	char out[256] = "";
	struct bvc_blob_map d = { .name = "ev", .type = BPF_MAP_TYPE_PERF_EVENT_ARRAY,
				  .key_size = 4, .value_size = 4, .max_entries = 0 };
	struct bvc_rt_ctx *c = new_ctx(BPF_PROG_TYPE_XDP, pkt, sizeof(pkt));
	struct bvc_rt_ctx *t = new_ctx(BPF_PROG_TYPE_KPROBE, NULL, 0);
	struct bvc_rt_map *m = NULL;
	char err[256];
	uint64_t flags = BPF_F_CURRENT_CPU | (4ull << 32);

	cr_assert_eq(bvc_rt_map_new(&d, &m, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(bvc_rt_map_max_entries(m), 1, "0 entries: one per CPU, one CPU");
	cr_expect_eq(call(BPF_FUNC_perf_event_output, P(c->dev), P(m), flags, P("hdr:"), 4), 0);
	cr_expect_eq(call(BPF_FUNC_perf_event_output, P(c->dev), P(m),
			  BPF_F_CURRENT_CPU | ((uint64_t)sizeof(pkt) + 1) << 32, P("x"), 1),
		     E(-EFAULT), "more packet than there is");
	cr_expect_eq(call(BPF_FUNC_perf_event_output, P(t->dev), P(m), flags, P("x"), 1),
		     E(-EINVAL), "tracing programs have no packet");
	cr_expect_eq(call(BPF_FUNC_perf_event_output, P(t->dev), P(m), 0, P("trace"), 5), 0);
	cr_expect_eq(bvc_rt_perf_consume(m, perf_hex, out, NULL), 2);
	cr_expect_str_eq(out, "0:6864723a00010203;0:7472616365;");
	bvc_rt_map_free(m);
	bvc_rt_ctx_free(c);
	bvc_rt_ctx_free(t);
}

/* trace_printk from a program on the interpreter: the formats reach the
 * caller's trace callback, and r0 is the bytes written. */
struct lines {
	int n;
	char line[4][128];
};

static void collect(void *user, const char *line)
{
	struct lines *l = user;

	if (l->n < 4)
		snprintf(l->line[l->n++], sizeof(l->line[0]), "%s", line);
}

Test(helpers, trace_printk_formats)
{
	static const char fmts[96] = "a=%d b=%u c=%x\n\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
				     "s=%s ll=%llu %%\n\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
				     "hi";
	struct bvc_insn prog[] = {
		I_LD_IMM64_LO(1, BVC_PSEUDO_MAP_IDX_VALUE, 0), I_RAW(0, 0, 0, 0, 0),
		I_MOV64_IMM(2, 32),
		I_MOV64_IMM(3, -5),
		I_MOV64_IMM(4, -5),
		I_MOV64_IMM(5, 255),
		I_CALL(BPF_FUNC_trace_printk),
		I_MOV64_REG(6, 0),
		I_LD_IMM64_LO(1, BVC_PSEUDO_MAP_IDX_VALUE, 0), I_RAW(0, 0, 0, 0, 32),
		I_MOV64_IMM(2, 32),
		I_LD_IMM64_LO(3, BVC_PSEUDO_MAP_IDX_VALUE, 0), I_RAW(0, 0, 0, 0, 64),
		I_LD_IMM64_LO(4, 0, 1ull << 40), I_LD_IMM64_HI(1ull << 40),
		I_MOV64_IMM(5, 0),
		I_CALL(BPF_FUNC_trace_printk),
		I_ALU64_REG(BVC_ADD, 0, 6),
		I_EXIT(),
	};
	struct bvc_blob_map map = { .name = "fmt.rodata", .type = BPF_MAP_TYPE_ARRAY,
				    .key_size = 4, .value_size = sizeof(fmts), .max_entries = 1,
				    .flags = BPF_F_RDONLY_PROG, .init = (const uint8_t *)fmts,
				    .init_size = sizeof(fmts) };
	struct bvc_blob b = { .target = BVC_JIT_ARM64, .maps = &map, .map_cnt = 1,
			      .bytecode = prog, .bytecode_cnt = sizeof(prog) / sizeof(prog[0]) };
	struct lines l = { 0 };
	struct bvc_rt_opts o = { .sz = sizeof(o), .trace = collect, .user = &l,
				 .force_interp = 1 };
	struct bvc_rt_prog *p = NULL;
	struct bvc_rt_ctx *c = new_ctx(BPF_PROG_TYPE_KPROBE, NULL, 0);
	char err[256] = "";
	uint64_t r0 = 0;

	b.meta.prog_type = BPF_PROG_TYPE_KPROBE;
	strcpy(b.meta.prog_name, "printer");
	cr_assert_eq(bvc_rt_load(&b, &o, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_rt_run(p, c, &r0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(l.n, 2);
	cr_expect_str_eq(l.line[0], "a=-5 b=4294967291 c=ff");
	cr_expect_str_eq(l.line[1], "s=hi ll=1099511627776 %");
	cr_expect_eq(r0, strlen("a=-5 b=4294967291 c=ff\n") + strlen("s=hi ll=1099511627776 %\n"));

	/* outside a run: formatted, counted, not printed; bad formats refused */
	cr_expect_eq(call(BPF_FUNC_trace_printk, P("%5d|%-4x|%c"), 12, 42, 10, 'z'), 12);
	cr_expect_eq(call(BPF_FUNC_trace_printk, P("%q"), 3, 0, 0, 0), E(-EINVAL));
	cr_expect_eq(call(BPF_FUNC_trace_printk, P("%d%d%d%d"), 9, 0, 0, 0), E(-EINVAL));
	cr_expect_eq(call(BPF_FUNC_trace_printk, P("abc"), 3, 0, 0, 0), E(-EINVAL), "no NUL");
	cr_expect_eq(call(BPF_FUNC_trace_printk, P("%s"), 3, 0, 0, 0), 0, "(efault) prints empty");
	bvc_rt_prog_free(p);
	bvc_rt_ctx_free(c);
}
