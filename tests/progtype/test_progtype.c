// SPDX-License-Identifier: MIT
/*
 * Program-type tables (verifier/ctx.c, verifier/helpers.c) against the
 * running kernel. The kernel is the oracle throughout: every context
 * offset and width of every supported program type, read, write and
 * sign-extending read; every helper id for every program type; the first
 * argument each modelled prototype refuses when called with zeroes, and
 * its GPL flag; map/helper compatibility with real maps; return ranges;
 * LD_ABS; direct packet writes. A few facts are asserted directly where
 * the kernel cannot tell (field numbering, table shape).
 *
 * Each comparison builds a tiny program and loads it as root; the tests
 * skip when bpf() is not permitted. Mismatches are listed in the failure
 * message; the counts are printed so a run shows what it covered.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/insns.h"
#include "common/kernel_oracle.h"
#include "progtype_internal.h"

/* ---- loading ------------------------------------------------------------- */

static struct bvc_kernel_result res; /* 64 KiB: not on the stack */

/*
 * Like bvc_kernel_load() but with an expected attach type and licence, and
 * no log at level 0 (the kernel refuses a buffer without a level).
 * Returns 1 accepted, 0 refused, -1 when bpf() is not permitted.
 */
static int kload(const struct bvc_insn *insns, size_t cnt, uint32_t type, uint32_t eat,
		 const char *license, uint32_t log_level)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	res.log[0] = 0;
	attr.prog_type = type;
	attr.expected_attach_type = eat;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)cnt;
	attr.license = (uint64_t)(uintptr_t)license;
	if (log_level) {
		attr.log_buf = (uint64_t)(uintptr_t)res.log;
		attr.log_size = sizeof(res.log);
		attr.log_level = log_level;
	}
	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	if (errno == EPERM || errno == ENOSYS)
		return -1;
	return 0;
}

/* The last non-empty line of the log before the "processed" summary. */
static const char *log_reason(void)
{
	static char line[256];
	char *p, *start = res.log, *best = NULL;

	for (p = res.log; *p; p++) {
		if (*p != '\n')
			continue;
		if (p > start && strncmp(start, "processed ", 10) && strncmp(start, "verification time", 17))
			best = start;
		start = p + 1;
	}
	if (!best)
		return "(no log)";
	p = strchr(best, '\n');
	snprintf(line, sizeof(line), "%.*s", p ? (int)(p - best) : (int)strlen(best), best);
	/* Some kernel messages lack their newline. */
	p = strstr(line, "processed ");
	if (p && p > line)
		*p = 0;
	return line;
}

/* ---- mismatch reports ---------------------------------------------------- */

struct report {
	char text[8192];
	size_t len;
	unsigned long checks, agree, mismatches;
};

static void report_add(struct report *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	r->mismatches++;
	if (r->len + 200 >= sizeof(r->text))
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->text + r->len, sizeof(r->text) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len += (size_t)n < sizeof(r->text) - r->len ? (size_t)n : 0;
}

static void report_check(struct report *r, const char *what)
{
	fprintf(stderr, "%s: %lu comparisons with the kernel, %lu agree\n", what, r->checks,
		r->agree);
	cr_expect(r->mismatches == 0, "%s: %lu mismatches:\n%s", what, r->mismatches, r->text);
}

/* ---- program types ------------------------------------------------------- */

struct ptype {
	const char *name;
	uint32_t type;
	uint32_t eat;     /* expected_attach_type */
	int ctx_size;     /* bytes of context we sweep (plus 8 past it) */
};

static const struct ptype ptypes[] = {
	{ "socket_filter", BPF_PROG_TYPE_SOCKET_FILTER, 0, 192 },
	{ "xdp", BPF_PROG_TYPE_XDP, 0, 24 },
	{ "xdp/devmap", BPF_PROG_TYPE_XDP, BVC_ATTACH_XDP_DEVMAP, 24 },
	{ "sched_cls", BPF_PROG_TYPE_SCHED_CLS, 0, 192 },
	{ "sched_act", BPF_PROG_TYPE_SCHED_ACT, 0, 192 },
	{ "kprobe", BPF_PROG_TYPE_KPROBE, 0, 168 },
	{ "tracepoint", BPF_PROG_TYPE_TRACEPOINT, 0, 8192 },
	{ "raw_tracepoint", BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 96 },
	{ "cgroup_skb/ingress", BPF_PROG_TYPE_CGROUP_SKB, BVC_ATTACH_CGROUP_INET_INGRESS, 192 },
	{ "cgroup_skb/egress", BPF_PROG_TYPE_CGROUP_SKB, BVC_ATTACH_CGROUP_INET_EGRESS, 192 },
	{ "perf_event", BPF_PROG_TYPE_PERF_EVENT, 0, 184 },
	{ "sk_skb/stream_verdict", BPF_PROG_TYPE_SK_SKB, BVC_ATTACH_SK_SKB_STREAM_VERDICT, 192 },
	{ "sk_msg", BPF_PROG_TYPE_SK_MSG, BVC_ATTACH_SK_MSG_VERDICT, 80 },
	{ "cgroup/connect4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BVC_ATTACH_INET4_CONNECT, 72 },
	{ "cgroup/connect6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BVC_ATTACH_INET6_CONNECT, 72 },
	{ "cgroup/bind4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BVC_ATTACH_INET4_BIND, 72 },
	{ "cgroup/sendmsg4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BVC_ATTACH_UDP4_SENDMSG, 72 },
	{ "cgroup/sendmsg6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BVC_ATTACH_UDP6_SENDMSG, 72 },
	{ "cgroup/recvmsg6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BVC_ATTACH_UDP6_RECVMSG, 72 },
	{ "cgroup/getpeername4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BVC_ATTACH_INET4_GETPEERNAME, 72 },
	{ "cgroup/connect_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BVC_ATTACH_UNIX_CONNECT, 72 },
	{ "cgroup/getsockopt", BPF_PROG_TYPE_CGROUP_SOCKOPT, BVC_ATTACH_CGROUP_GETSOCKOPT, 40 },
	{ "cgroup/setsockopt", BPF_PROG_TYPE_CGROUP_SOCKOPT, BVC_ATTACH_CGROUP_SETSOCKOPT, 40 },
	{ "sk_lookup", BPF_PROG_TYPE_SK_LOOKUP, BVC_ATTACH_SK_LOOKUP, 72 },
	{ "cgroup/sock_create", BPF_PROG_TYPE_CGROUP_SOCK, BVC_ATTACH_INET_SOCK_CREATE, 80 },
	{ "cgroup/sock_release", BPF_PROG_TYPE_CGROUP_SOCK, BVC_ATTACH_INET_SOCK_RELEASE, 80 },
	{ "cgroup/post_bind4", BPF_PROG_TYPE_CGROUP_SOCK, BVC_ATTACH_INET4_POST_BIND, 80 },
	{ "cgroup/post_bind6", BPF_PROG_TYPE_CGROUP_SOCK, BVC_ATTACH_INET6_POST_BIND, 80 },
	{ "cgroup/dev", BPF_PROG_TYPE_CGROUP_DEVICE, BVC_ATTACH_CGROUP_DEVICE, 12 },
	{ "cgroup/sock (attach type 0)", BPF_PROG_TYPE_CGROUP_SOCK, 0, 80 },
	{ "cgroup/sysctl", BPF_PROG_TYPE_CGROUP_SYSCTL, BVC_ATTACH_CGROUP_SYSCTL, 8 },
	{ "lwt_in", BPF_PROG_TYPE_LWT_IN, 0, 192 },
	{ "lwt_out", BPF_PROG_TYPE_LWT_OUT, 0, 192 },
	{ "lwt_xmit", BPF_PROG_TYPE_LWT_XMIT, 0, 192 },
	{ "sk_reuseport", BPF_PROG_TYPE_SK_REUSEPORT, BVC_ATTACH_SK_REUSEPORT_SELECT, 56 },
	{ "sk_reuseport/migrate", BPF_PROG_TYPE_SK_REUSEPORT,
	  BVC_ATTACH_SK_REUSEPORT_SELECT_OR_MIGRATE, 56 },
	{ "sockops", BPF_PROG_TYPE_SOCK_OPS, BVC_ATTACH_CGROUP_SOCK_OPS, 224 },
	{ "flow_dissector", BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_FLOW_DISSECTOR, 192 },
};

#define NR_PTYPES (sizeof(ptypes) / sizeof(ptypes[0]))

/* The program types, once each. The helper tables answer per type; the
 * few helpers that also depend on the attach type are compared apart
 * (helpers_kernel.attach_types), and here each type loads with the attach
 * type of eat_of(), under which all of its helpers are offered. */
static const uint32_t types9[] = {
	BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_SCHED_CLS,
	BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_XDP,
	BPF_PROG_TYPE_PERF_EVENT, BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_RAW_TRACEPOINT,
	BPF_PROG_TYPE_SK_SKB, BPF_PROG_TYPE_SK_MSG, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_PROG_TYPE_SK_LOOKUP, BPF_PROG_TYPE_CGROUP_SOCK,
	BPF_PROG_TYPE_CGROUP_DEVICE, BPF_PROG_TYPE_CGROUP_SYSCTL, BPF_PROG_TYPE_LWT_IN,
	BPF_PROG_TYPE_LWT_OUT, BPF_PROG_TYPE_LWT_XMIT, BPF_PROG_TYPE_SK_REUSEPORT,
	BPF_PROG_TYPE_SOCK_OPS, BPF_PROG_TYPE_FLOW_DISSECTOR,
};

/* The attach type the helper comparisons load @type with. */
static uint32_t eat_of(uint32_t type)
{
	switch (type) {
	case BPF_PROG_TYPE_SK_SKB:
		return BVC_ATTACH_SK_SKB_STREAM_VERDICT;
	case BPF_PROG_TYPE_SK_MSG:
		return BVC_ATTACH_SK_MSG_VERDICT;
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
		return BVC_ATTACH_INET4_CONNECT;
	case BPF_PROG_TYPE_CGROUP_SOCKOPT:
		return BVC_ATTACH_CGROUP_SETSOCKOPT;
	case BPF_PROG_TYPE_SK_LOOKUP:
		return BVC_ATTACH_SK_LOOKUP;
	case BPF_PROG_TYPE_CGROUP_SOCK:
		return BVC_ATTACH_INET_SOCK_CREATE;
	case BPF_PROG_TYPE_CGROUP_DEVICE:
		return BVC_ATTACH_CGROUP_DEVICE;
	case BPF_PROG_TYPE_CGROUP_SYSCTL:
		return BVC_ATTACH_CGROUP_SYSCTL;
	case BPF_PROG_TYPE_SK_REUSEPORT:
		return BVC_ATTACH_SK_REUSEPORT_SELECT;
	case BPF_PROG_TYPE_SOCK_OPS:
		return BVC_ATTACH_CGROUP_SOCK_OPS;
	case BPF_PROG_TYPE_FLOW_DISSECTOR:
		return BPF_FLOW_DISSECTOR;
	default:
		return 0;
	}
}

static const int widths[] = { 1, 2, 4, 8 };
static const uint8_t width_code[] = { BVC_B, BVC_H, BVC_W, BVC_DW };

static void skip_if_no_bpf(void)
{
	struct bvc_insn p[] = { I_MOV64_IMM(0, 0), I_EXIT() };

	if (kload(p, 2, BPF_PROG_TYPE_SOCKET_FILTER, 0, "GPL", 0) < 0)
		cr_skip_test("bpf(BPF_PROG_LOAD) not permitted here: kernel oracle unavailable");
}

/* ---- context accesses ---------------------------------------------------- */

enum access { RD, WR, RDSX };
static const char *const access_names[] = { "read", "write", "sx-read" };

/*
 * Where we refuse what the kernel accepts, on purpose. Returns why, or
 * NULL. The other way round (we accept what the kernel refuses) is never
 * excused.
 */
static const char *deliberately_stricter(const struct ptype *pt, int off, enum access a)
{
	/* tp_prog_is_valid_access() tests "off < sizeof(void *)" with off an
	 * int: a negative offset converts to a huge unsigned value and
	 * passes, so the kernel lets tracepoints read before their record. */
	if (pt->type == BPF_PROG_TYPE_TRACEPOINT && off < 0 && a != WR)
		return "negative tracepoint offset";
	return NULL;
}

/* Every offset in [-8, ctx_size + 8], every width, read, write and
 * sign-extending read (1, 2, 4 bytes) of @pt, against the kernel. */
static void sweep_ctx(const struct ptype *pt)
{
	struct report r = { 0 };
	char what[96];
	int off, w;
	unsigned long unmodelled = 0, stricter = 0;

	skip_if_no_bpf();
	for (off = -8; off <= pt->ctx_size + 8; off++) {
		for (w = 0; w < 4; w++) {
			for (enum access a = RD; a <= RDSX; a++) {
				struct bvc_insn p[4];
				struct bvc_ctx_access out;
				size_t n = 0;
				int kern, ours, rc;

				if (a == RDSX && widths[w] == 8)
					continue;
				if (a == WR) {
					p[n++] = I_MOV64_IMM(0, 0);
					p[n++] = I_STX(width_code[w], 1, 0, off);
				} else {
					p[n++] = I_RAW(BVC_LDX | (a == RDSX ? BVC_MEMSX : BVC_MEM) |
						       width_code[w], 0, 1, off, 0);
				}
				/* 1 is inside every return range (recvmsg and
				 * getpeername hooks must return 1). */
				p[n++] = I_MOV64_IMM(0, 1);
				p[n++] = I_EXIT();
				kern = kload(p, n, pt->type, pt->eat, "GPL", 0);
				memset(&out, 0, sizeof(out));
				rc = bvc_ctx_check_access(pt->type, pt->eat, off, widths[w], a == WR,
							  &out);
				if (rc == -EOPNOTSUPP)
					unmodelled++;
				/* Unsupported is a refusal of ours for something the
				 * kernel allows: fine, but only if it does allow it. */
				ours = rc == 0 || rc == -EOPNOTSUPP;
				if (a == RDSX && rc == 0 && out.type != BVC_SCALAR)
					ours = 0; /* the engine's MEMSX rule */
				r.checks++;
				if (kern == ours) {
					r.agree++;
					continue;
				}
				if (kern && deliberately_stricter(pt, off, a)) {
					stricter++;
					continue;
				}
				if (!kern || r.mismatches < 40)
					kload(p, n, pt->type, pt->eat, "GPL", 1);
				report_add(&r, "  %s off=%d size=%d: kernel %s (%s), ours %d\n",
					   access_names[a], off, widths[w],
					   kern ? "accepts" : "refuses", kern ? "" : log_reason(), rc);
			}
		}
	}
	snprintf(what, sizeof(what), "ctx %s (%lu unmodelled, %lu deliberately stricter)",
		 pt->name, unmodelled, stricter);
	report_check(&r, what);
}

Test(ctx_kernel, socket_filter) { sweep_ctx(&ptypes[0]); }
Test(ctx_kernel, xdp) { sweep_ctx(&ptypes[1]); }
Test(ctx_kernel, xdp_devmap) { sweep_ctx(&ptypes[2]); }
Test(ctx_kernel, sched_cls) { sweep_ctx(&ptypes[3]); }
Test(ctx_kernel, sched_act) { sweep_ctx(&ptypes[4]); }
Test(ctx_kernel, kprobe) { sweep_ctx(&ptypes[5]); }
Test(ctx_kernel, tracepoint, .timeout = 60) { sweep_ctx(&ptypes[6]); }
Test(ctx_kernel, raw_tracepoint) { sweep_ctx(&ptypes[7]); }
Test(ctx_kernel, cgroup_skb_ingress) { sweep_ctx(&ptypes[8]); }
Test(ctx_kernel, cgroup_skb_egress) { sweep_ctx(&ptypes[9]); }
Test(ctx_kernel, perf_event) { sweep_ctx(&ptypes[10]); }
Test(ctx_kernel, sk_skb) { sweep_ctx(&ptypes[11]); }
Test(ctx_kernel, sk_msg) { sweep_ctx(&ptypes[12]); }
Test(ctx_kernel, sock_addr_connect4) { sweep_ctx(&ptypes[13]); }
Test(ctx_kernel, sock_addr_connect6) { sweep_ctx(&ptypes[14]); }
Test(ctx_kernel, sock_addr_bind4) { sweep_ctx(&ptypes[15]); }
Test(ctx_kernel, sock_addr_sendmsg4) { sweep_ctx(&ptypes[16]); }
Test(ctx_kernel, sock_addr_sendmsg6) { sweep_ctx(&ptypes[17]); }
Test(ctx_kernel, sock_addr_recvmsg6) { sweep_ctx(&ptypes[18]); }
Test(ctx_kernel, sock_addr_getpeername4) { sweep_ctx(&ptypes[19]); }
Test(ctx_kernel, sock_addr_connect_unix) { sweep_ctx(&ptypes[20]); }
Test(ctx_kernel, sockopt_get) { sweep_ctx(&ptypes[21]); }
Test(ctx_kernel, sockopt_set) { sweep_ctx(&ptypes[22]); }
Test(ctx_kernel, sk_lookup) { sweep_ctx(&ptypes[23]); }
Test(ctx_kernel, cgroup_sock_create) { sweep_ctx(&ptypes[24]); }
Test(ctx_kernel, cgroup_sock_release) { sweep_ctx(&ptypes[25]); }
Test(ctx_kernel, cgroup_sock_post_bind4) { sweep_ctx(&ptypes[26]); }
Test(ctx_kernel, cgroup_sock_post_bind6) { sweep_ctx(&ptypes[27]); }
Test(ctx_kernel, cgroup_device) { sweep_ctx(&ptypes[28]); }
Test(ctx_kernel, cgroup_sock_unset) { sweep_ctx(&ptypes[29]); }
Test(ctx_kernel, cgroup_sysctl) { sweep_ctx(&ptypes[30]); }
Test(ctx_kernel, lwt_in) { sweep_ctx(&ptypes[31]); }
Test(ctx_kernel, lwt_out) { sweep_ctx(&ptypes[32]); }
Test(ctx_kernel, lwt_xmit) { sweep_ctx(&ptypes[33]); }
Test(ctx_kernel, sk_reuseport) { sweep_ctx(&ptypes[34]); }
Test(ctx_kernel, sk_reuseport_migrate) { sweep_ctx(&ptypes[35]); }
Test(ctx_kernel, sock_ops) { sweep_ctx(&ptypes[36]); }
Test(ctx_kernel, flow_dissector) { sweep_ctx(&ptypes[37]); }

/*
 * The full socket a cgroup_sock_addr hook reads from ctx->sk (offset 64):
 * every offset of struct bpf_sock and past it, every width, read,
 * sign-extending read and write, against bvc_sock_check_access() (writes
 * are the engine's "cannot write into sock": never allowed).
 */
Test(ctx_kernel, bpf_sock)
{
	struct report r = { 0 };
	const struct ptype *pt = &ptypes[13]; /* cgroup/connect4 */

	skip_if_no_bpf();
	cr_assert_eq(pt->type, BPF_PROG_TYPE_CGROUP_SOCK_ADDR);
	for (int off = -8; off <= 88; off++) {
		for (int w = 0; w < 4; w++) {
			for (enum access a = RD; a <= RDSX; a++) {
				struct bvc_insn p[5];
				size_t n = 0;
				uint8_t field_size;
				int kern, ours;

				if (a == RDSX && widths[w] == 8)
					continue;
				p[n++] = I_LDX(BVC_DW, 2, 1, 64);
				if (a == WR)
					p[n++] = I_ST(width_code[w], 2, off, 0);
				else
					p[n++] = I_RAW(BVC_LDX | (a == RDSX ? BVC_MEMSX : BVC_MEM) |
						       width_code[w], 0, 2, off, 0);
				p[n++] = I_MOV64_IMM(0, 1);
				p[n++] = I_EXIT();
				kern = kload(p, n, pt->type, pt->eat, "GPL", 0);
				ours = a != WR && bvc_sock_check_access(BVC_PTR_SOCKET, off, widths[w], false,
									&field_size) == 0;
				r.checks++;
				if (kern == ours) {
					r.agree++;
					continue;
				}
				kload(p, n, pt->type, pt->eat, "GPL", 1);
				report_add(&r, "  %s off=%d size=%d: kernel %s (%s), ours %d\n",
					   access_names[a], off, widths[w],
					   kern ? "accepts" : "refuses", kern ? "" : log_reason(), ours);
			}
		}
	}
	report_check(&r, "struct bpf_sock through ctx->sk");
}

/* Facts the kernel cannot tell us: what an allowed access reports. */
Test(ctx, fields)
{
	struct bvc_ctx_access a;
	const uint32_t cls = BPF_PROG_TYPE_SCHED_CLS;

	cr_assert_eq(bvc_ctx_check_access(cls, 0, 76, 4, false, &a), 0);
	cr_expect_eq(a.type, BVC_PTR_PACKET);
	cr_expect_eq(a.field, BVC_SKB_DATA);
	cr_assert_eq(bvc_ctx_check_access(cls, 0, 80, 4, false, &a), 0);
	cr_expect_eq(a.type, BVC_PTR_PACKET_END);
	cr_assert_eq(bvc_ctx_check_access(cls, 0, 140, 4, false, &a), 0);
	cr_expect_eq(a.type, BVC_PTR_PACKET_META);
	/* Narrow read of mark's second byte: the whole field is 4 bytes. */
	cr_assert_eq(bvc_ctx_check_access(cls, 0, 9, 1, false, &a), 0);
	cr_expect_eq(a.type, BVC_SCALAR);
	cr_expect_eq(a.field, BVC_SKB_MARK);
	cr_expect_eq(a.field_size, 4);
	/* cb[]: an 8-byte access over cb[2..3]. */
	cr_assert_eq(bvc_ctx_check_access(cls, 0, 56, 8, true, &a), 0);
	cr_expect_eq(a.field, BVC_SKB_CB2);
	cr_expect_eq(a.field_size, 8);
	cr_expect_eq(bvc_ctx_check_access(cls, 0, 64, 8, false, &a), -EACCES);
	cr_assert_eq(bvc_ctx_check_access(cls, 0, 152, 8, true, &a), 0);
	cr_expect_eq(a.field, BVC_SKB_TSTAMP);
	cr_expect_eq(a.field_size, 8);
	cr_assert_eq(bvc_ctx_check_access(cls, 0, 180, 1, false, &a), 0);
	cr_expect_eq(a.field, BVC_SKB_TSTAMP_TYPE);
	/* skb->sk: a sock_common or NULL, read whole only. */
	cr_assert_eq(bvc_ctx_check_access(cls, 0, 168, 8, false, &a), 0);
	cr_expect_eq(a.type, BVC_PTR_SOCK_COMMON);
	cr_expect(a.maybe_null);
	cr_expect_eq(a.field, BVC_SKB_SK);
	cr_expect_eq(bvc_ctx_check_access(cls, 0, 168, 8, true, &a), -EACCES);
	cr_expect_eq(bvc_ctx_check_access(cls, 0, 168, 4, false, &a), -EACCES);
	cr_assert_eq(bvc_ctx_check_access(cls, 0, 76, 4, false, &a), 0);
	cr_expect(!a.maybe_null);
	cr_expect_eq(bvc_ctx_check_access(BPF_PROG_TYPE_SOCKET_FILTER, 0, 76, 4, false, &a),
		     -EACCES);
	cr_assert_eq(bvc_ctx_check_access(BPF_PROG_TYPE_CGROUP_SKB, 0, 92, 4, false, &a), 0);
	cr_expect_eq(a.field, BVC_SKB_REMOTE_IP4);
	cr_expect_str_eq(bvc_ctx_field_name(cls, BVC_SKB_CB4), "cb[4]");
	cr_expect_str_eq(bvc_ctx_field_name(cls, BVC_SKB_HWTSTAMP), "hwtstamp");
	cr_expect_null(bvc_ctx_field_name(cls, BVC_SKB_NR_FIELDS));

	/* xdp: egress_ifindex only from a devmap. */
	cr_expect_eq(bvc_ctx_check_access(BPF_PROG_TYPE_XDP, 0, 20, 4, false, &a), -EACCES);
	cr_assert_eq(bvc_ctx_check_access(BPF_PROG_TYPE_XDP, BVC_ATTACH_XDP_DEVMAP, 20, 4, false,
					  &a), 0);
	cr_expect_eq(a.field, BVC_XDP_EGRESS_IFINDEX);
	cr_assert_eq(bvc_ctx_check_access(BPF_PROG_TYPE_XDP, 0, 8, 4, false, &a), 0);
	cr_expect_eq(a.type, BVC_PTR_PACKET_META);

	/* pt_regs: field = register, in place. */
	cr_assert_eq(bvc_ctx_check_access(BPF_PROG_TYPE_KPROBE, 0, 112, 8, false, &a), 0);
	cr_expect_eq(a.field, 14);
	cr_expect_str_eq(bvc_ctx_field_name(BPF_PROG_TYPE_KPROBE, 14), "di");
	cr_expect_eq(bvc_ctx_check_access(BPF_PROG_TYPE_KPROBE, 0, 168, 1, false, &a), -EACCES);
	cr_assert_eq(bvc_ctx_check_access(BPF_PROG_TYPE_PERF_EVENT, 0, 170, 2, false, &a), 0);
	cr_expect_eq(a.field, BVC_PE_SAMPLE_PERIOD);
	cr_expect_str_eq(bvc_ctx_field_name(BPF_PROG_TYPE_PERF_EVENT, BVC_PE_ADDR), "addr");
	cr_expect_eq(bvc_ctx_check_access(BPF_PROG_TYPE_TRACEPOINT, 0, 0, 8, false, &a), -EACCES);
	cr_expect_eq(bvc_ctx_check_access(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 88, 8, false, &a), 0);

	cr_expect_eq(bvc_ctx_check_access(BPF_PROG_TYPE_LSM, 0, 0, 8, false, &a), -EACCES);
	cr_expect_eq(bvc_ctx_check_access(cls, 0, 0, 3, false, &a), -EACCES);
	cr_expect(!bvc_prog_type_supported(BPF_PROG_TYPE_LSM));
	cr_expect(!bvc_prog_type_supported(BPF_PROG_TYPE_UNSPEC));
	for (size_t i = 0; i < sizeof(types9) / sizeof(types9[0]); i++)
		cr_expect(bvc_prog_type_supported(types9[i]));
}

/* ---- return ranges, LD_ABS, direct packet writes ------------------------- */

Test(prog_kernel, return_ranges)
{
	static const int32_t values[] = { -1, 0, 1, 2, 3, 4, 0x7fffffff };
	struct report r = { 0 };
	struct ptype extra[NR_PTYPES + 1];

	skip_if_no_bpf();
	memcpy(extra, ptypes, sizeof(ptypes));
	extra[NR_PTYPES] = (struct ptype){ "kprobe/session", BPF_PROG_TYPE_KPROBE,
					   BVC_ATTACH_TRACE_KPROBE_SESSION, 0 };
	for (size_t t = 0; t < NR_PTYPES + 1; t++) {
		int64_t lo, hi;
		bool has = bvc_prog_ret_range(extra[t].type, extra[t].eat, &lo, &hi);

		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			struct bvc_insn p[] = { I_MOV64_IMM(0, values[v]), I_EXIT() };
			int kern = kload(p, 2, extra[t].type, extra[t].eat, "GPL", 1);
			int ours = !has || (values[v] >= lo && values[v] <= hi);

			r.checks++;
			if (kern == ours)
				r.agree++;
			else
				report_add(&r, "  %s r0=%d: kernel %s (%s), ours %d\n", extra[t].name,
					   values[v], kern ? "accepts" : "refuses", log_reason(),
					   ours);
		}
	}
	report_check(&r, "return ranges");
}

Test(prog_kernel, ld_abs)
{
	struct report r = { 0 };

	skip_if_no_bpf();
	for (size_t t = 0; t < NR_PTYPES; t++) {
		struct bvc_insn p[] = {
			I_MOV64_REG(6, 1),
			I_RAW(BVC_LD | BVC_ABS | BVC_B, 0, 0, 0, 0),
			I_MOV64_IMM(0, 0),
			I_EXIT(),
		};
		int kern = kload(p, 4, ptypes[t].type, ptypes[t].eat, "GPL", 1);
		int ours = bvc_prog_type_may_ld_abs(ptypes[t].type);

		r.checks++;
		if (kern == ours)
			r.agree++;
		else
			report_add(&r, "  %s: kernel %s (%s), ours %d\n", ptypes[t].name,
				   kern ? "accepts" : "refuses", log_reason(), ours);
	}
	report_check(&r, "LD_ABS");
}

/* Bounds-checked one-byte packet read or write through ctx->data. */
Test(prog_kernel, direct_packet_access)
{
	struct report r = { 0 };

	skip_if_no_bpf();
	for (size_t t = 0; t < NR_PTYPES; t++) {
		struct bvc_ctx_access d, e;
		int data_off = ptypes[t].type == BPF_PROG_TYPE_XDP ? 0 : 76;

		/* Only types that get packet pointers from their context. */
		if (bvc_ctx_check_access(ptypes[t].type, ptypes[t].eat, data_off, 4, false, &d) ||
		    d.type != BVC_PTR_PACKET ||
		    bvc_ctx_check_access(ptypes[t].type, ptypes[t].eat, data_off + 4, 4, false,
					 &e) || e.type != BVC_PTR_PACKET_END)
			continue;
		for (int write = 0; write <= 1; write++) {
			struct bvc_insn p[] = {
				I_LDX(BVC_W, 2, 1, data_off),
				I_LDX(BVC_W, 3, 1, data_off + 4),
				I_MOV64_REG(4, 2),
				I_ALU64_IMM(BVC_ADD, 4, 1),
				I_JMP_REG(BVC_JGT, 4, 3, 2),
				I_MOV64_IMM(0, 0),
				write ? I_STX(BVC_B, 2, 0, 0) : I_LDX(BVC_B, 0, 2, 0),
				I_MOV64_IMM(0, 0),
				I_EXIT(),
			};
			int kern = kload(p, 9, ptypes[t].type, ptypes[t].eat, "GPL", 1);
			int ours = !write || bvc_prog_type_may_write_pkt(ptypes[t].type);

			r.checks++;
			if (kern == ours)
				r.agree++;
			else
				report_add(&r, "  %s %s: kernel %s (%s), ours %d\n", ptypes[t].name,
					   write ? "write" : "read", kern ? "accepts" : "refuses",
					   log_reason(), ours);
		}
	}
	cr_expect_geq(r.checks, 10, "xdp, tc and cgroup_skb should all be covered");
	report_check(&r, "direct packet access");
}

/*
 * The contexts whose packet pointers are 8-byte fields (sk_msg's data and
 * data_end, sockopt's optval and optval_end): a bounds-checked read and
 * write, an unchecked read, and a read through a pointer kept across
 * msg_pull_data (sk_msg's helpers that move the data).
 */
Test(prog_kernel, packet_pointers_8)
{
	static const struct {
		uint32_t type, eat;
		int data_off;
	} t8[] = {
		{ BPF_PROG_TYPE_SK_MSG, BVC_ATTACH_SK_MSG_VERDICT, 0 },
		{ BPF_PROG_TYPE_CGROUP_SOCKOPT, BVC_ATTACH_CGROUP_GETSOCKOPT, 8 },
		{ BPF_PROG_TYPE_CGROUP_SOCKOPT, BVC_ATTACH_CGROUP_SETSOCKOPT, 8 },
		{ BPF_PROG_TYPE_SK_REUSEPORT, BVC_ATTACH_SK_REUSEPORT_SELECT, 0 },
		{ BPF_PROG_TYPE_SOCK_OPS, BVC_ATTACH_CGROUP_SOCK_OPS, 192 },
	};
	struct report r = { 0 };

	skip_if_no_bpf();
	for (size_t t = 0; t < sizeof(t8) / sizeof(t8[0]); t++) {
		struct bvc_ctx_access d, e;
		int off = t8[t].data_off;

		cr_assert_eq(bvc_ctx_check_access(t8[t].type, t8[t].eat, off, 8, false, &d), 0);
		cr_assert_eq(bvc_ctx_check_access(t8[t].type, t8[t].eat, off + 8, 8, false, &e), 0);
		cr_assert(d.type == BVC_PTR_PACKET && e.type == BVC_PTR_PACKET_END);
		/* 0: checked read, 1: checked write, 2: unchecked read. */
		for (int k = 0; k < 3; k++) {
			struct bvc_insn p[] = {
				I_LDX(BVC_DW, 2, 1, off),
				I_LDX(BVC_DW, 3, 1, off + 8),
				I_MOV64_REG(4, 2),
				I_ALU64_IMM(BVC_ADD, 4, 1),
				k == 2 ? I_MOV64_IMM(0, 1) : I_JMP_REG(BVC_JGT, 4, 3, 2),
				I_MOV64_IMM(0, 0),
				k == 1 ? I_STX(BVC_B, 2, 0, 0) : I_LDX(BVC_B, 0, 2, 0),
				I_MOV64_IMM(0, 1),
				I_EXIT(),
			};
			int kern = kload(p, 9, t8[t].type, t8[t].eat, "GPL", 1);
			int ours = k == 0 || (k == 1 && bvc_prog_type_may_write_pkt(t8[t].type));

			r.checks++;
			if (kern == ours)
				r.agree++;
			else
				report_add(&r, "  type %u eat %u case %d: kernel %s (%s), ours %d\n",
					   t8[t].type, t8[t].eat, k, kern ? "accepts" : "refuses",
					   log_reason(), ours);
		}
	}
	/* sk_msg: a checked pointer read after each helper with a ctx first
	 * argument and scalars after it. */
	for (int32_t id = 1; id < BVC_HELPER_MAX_ID; id++) {
		const struct bvc_helper_proto *h;
		bool simple = true;

		if (bvc_helper_proto_get(id, BPF_PROG_TYPE_SK_MSG, &h) || h->args[0] != BVC_ARG_CTX)
			continue;
		for (int i = 1; i < 5; i++)
			simple = simple && (h->args[i] == BVC_ARG_NONE || h->args[i] == BVC_ARG_ANYTHING);
		if (!simple)
			continue;
		struct bvc_insn p[] = {
			I_MOV64_REG(6, 1),
			I_LDX(BVC_DW, 7, 1, 0),
			I_LDX(BVC_DW, 3, 1, 8),
			I_MOV64_REG(4, 7),
			I_ALU64_IMM(BVC_ADD, 4, 1),
			I_JMP_REG(BVC_JGT, 4, 3, 8),
			I_MOV64_REG(1, 6),
			I_MOV64_IMM(2, 0),
			I_MOV64_IMM(3, 0),
			I_MOV64_IMM(4, 0),
			I_MOV64_IMM(5, 0),
			I_CALL(id),
			I_MOV64_IMM(0, 0),
			I_LDX(BVC_B, 0, 7, 0),
			I_MOV64_IMM(0, 1),
			I_EXIT(),
		};
		int kern = kload(p, 16, BPF_PROG_TYPE_SK_MSG, BVC_ATTACH_SK_MSG_VERDICT, "GPL", 1);
		int ours = !(h->flags & BVC_HELPER_CHANGES_PKT);

		r.checks++;
		if (kern == ours)
			r.agree++;
		else
			report_add(&r, "  sk_msg id %d: kernel %s (%s), ours %d\n", id,
				   kern ? "accepts" : "refuses", log_reason(), ours);
	}
	cr_expect_geq(r.checks, 15 + 5, "the msg_* helpers should be covered");
	report_check(&r, "8-byte packet pointers");
}

/* ---- helpers ------------------------------------------------------------- */

/* Did the kernel refuse the call because the helper is unknown or not for
 * this program type (as opposed to refusing its arguments)? */
static int kernel_refuses_helper(const char *log)
{
	return strstr(log, "program of this type cannot use helper") ||
	       strstr(log, "invalid func") || strstr(log, "unknown func");
}

/* r1..r5 = 0; call id; r0 = 0; exit */
static void zero_call(struct bvc_insn *p, int32_t id)
{
	for (int i = 0; i < 5; i++)
		p[i] = I_MOV64_IMM(i + 1, 0);
	p[5] = I_CALL(id);
	p[6] = I_MOV64_IMM(0, 0);
	p[7] = I_EXIT();
}

/*
 * Which helpers a kernel offers a program type depends on how it was built
 * (Kconfig) and on its version, not only on the source we model: the
 * kernel of one machine here refuses bpf_xdp_adjust_meta to xdp. Such a
 * helper is that kernel's choice, not a disagreement about semantics (the
 * device's kernel is described by its profile, not by this machine): the
 * comparisons below skip it and say so.
 */
static int kernel_offers(int32_t id, uint32_t type)
{
	struct bvc_insn p[8];

	zero_call(p, id);
	return kload(p, 8, type, eat_of(type), "GPL", 1) == 1 || !kernel_refuses_helper(res.log);
}

/* bvc_helper_proto_get() for the pairs this kernel offers too; 0 when both
 * have (@type, @id). */
static int proto_compared(int32_t id, uint32_t type, const struct bvc_helper_proto **h)
{
	if (bvc_helper_proto_get(id, type, h))
		return -1;
	if (!kernel_offers(id, type)) {
		fprintf(stderr, "type %u helper %d: modelled, not offered by this kernel's build "
				"(not compared)\n", type, id);
		return -1;
	}
	return 0;
}

static bool has_arg(const struct bvc_helper_proto *h, uint8_t kind)
{
	for (int i = 0; i < 5; i++)
		if (h->args[i] == kind)
			return true;
	return false;
}

static bool returns_socket(const struct bvc_helper_proto *h)
{
	return h->ret == BVC_RET_SOCKET_OR_NULL || h->ret == BVC_RET_SOCK_COMMON_OR_NULL ||
	       h->ret == BVC_RET_TCP_SOCK_OR_NULL;
}

/*
 * proto_compared(), and a plausible call of it can be made: a socket
 * argument needs a socket, from a lookup (a referenced one, for
 * sk_release) or from skb->sk. Types with neither (sk_lookup's
 * sk_release, sockopt's and sock_ops' tcp_sock: their ctx sockets are not
 * modelled) are left to tests/engine's adversarial_sockets.
 */
static int proto_callable(int32_t id, uint32_t type, const struct bvc_helper_proto **h)
{
	const struct bvc_helper_proto *lookup;
	struct bvc_ctx_access a;

	if (proto_compared(id, type, h))
		return -1;
	if (has_arg(*h, BVC_ARG_SOCK_RELEASE) &&
	    bvc_helper_proto_get(BPF_FUNC_sk_lookup_tcp, type, &lookup)) {
		fprintf(stderr, "type %u helper %d: no socket to release (not called)\n", type, id);
		return -1;
	}
	if ((has_arg(*h, BVC_ARG_SOCK_COMMON) || has_arg(*h, BVC_ARG_SOCK_COMMON_BTF)) &&
	    (bvc_ctx_check_access(type, eat_of(type), 168, 8, false, &a) ||
	     a.type != BVC_PTR_SOCK_COMMON)) {
		fprintf(stderr, "type %u helper %d: no socket to pass (not called)\n", type, id);
		return -1;
	}
	return 0;
}

Test(helpers_kernel, availability)
{
	struct report r = { 0 };
	unsigned long allowed = 0, unmodelled = 0;

	skip_if_no_bpf();
	for (size_t t = 0; t < sizeof(types9) / sizeof(types9[0]); t++) {
		for (int32_t id = 0; id <= BVC_HELPER_MAX_ID; id++) {
			struct bvc_insn p[8];
			const struct bvc_helper_proto *proto = NULL;
			int kern_no, ours_no, rc;

			zero_call(p, id);
			kern_no = kload(p, 8, types9[t], eat_of(types9[t]), "GPL", 1) != 1 &&
				  kernel_refuses_helper(res.log);
			rc = bvc_helper_proto_get(id, types9[t], &proto);
			ours_no = rc == -EACCES || rc == -ERANGE;
			allowed += !kern_no;
			unmodelled += rc == -EOPNOTSUPP;
			r.checks++;
			if (rc == 0 && (!proto || proto->id != id)) {
				report_add(&r, "  type %u id %d: prototype for id %d\n", types9[t],
					   id, proto ? proto->id : -1);
				continue;
			}
			if (kern_no == ours_no) {
				r.agree++;
				continue;
			}
			if (kern_no && rc == 0) {
				/* Not a semantic disagreement: see kernel_offers(). */
				fprintf(stderr, "type %u helper %d: modelled, not offered by this "
						"kernel's build (%s)\n", types9[t], id, log_reason());
				r.agree++;
				continue;
			}
			report_add(&r, "  type %u id %d: kernel %s (%s), ours %d\n", types9[t], id,
				   kern_no ? "refuses" : "allows", log_reason(), rc);
		}
	}
	fprintf(stderr, "helpers: %lu (type, id) pairs callable in the kernel, %lu unmodelled\n",
		allowed, unmodelled);
	report_check(&r, "helper availability");
}

/* The attach types a load accepts, per program type: r0 = 1 (inside
 * every return range of these types) with each attach type 0..56. */
Test(prog_kernel, attach_types)
{
	static const uint32_t types[] = {
		BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_SK_SKB, BPF_PROG_TYPE_SK_MSG,
		BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_PROG_TYPE_CGROUP_SOCKOPT,
		BPF_PROG_TYPE_SK_LOOKUP, BPF_PROG_TYPE_CGROUP_SOCK, BPF_PROG_TYPE_CGROUP_DEVICE,
		BPF_PROG_TYPE_CGROUP_SYSCTL, BPF_PROG_TYPE_SK_REUSEPORT,
	};
	struct report r = { 0 };
	unsigned long valid = 0;

	skip_if_no_bpf();
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		for (uint32_t eat = 0; eat <= BVC_ATTACH_TRACE_KPROBE_SESSION; eat++) {
			struct bvc_insn p[] = { I_MOV64_IMM(0, 1), I_EXIT() };
			int kern = kload(p, 2, types[t], eat, "GPL", 0);
			int ours = bvc_prog_attach_valid(types[t], eat);

			valid += ours;
			r.checks++;
			if (kern == ours)
				r.agree++;
			else
				report_add(&r, "  type %u eat %u: kernel %s, ours %d\n", types[t], eat,
					   kern ? "accepts" : "refuses", ours);
		}
	}
	/* cgroup_skb 2, sk_skb, sk_msg, cgroup_device and cgroup_sysctl any of 57,
	 * sock_addr 17,
	 * sockopt 2, sk_lookup 1, cgroup_sock 4 and 0 (taken as sock_create),
	 * sk_reuseport 2 and 0 (taken as select). */
	cr_expect_eq(valid, 2 + 4 * 57 + 17 + 2 + 1 + 5 + 3, "valid attach types: %lu", valid);
	report_check(&r, "expected attach types");
}

/* The helpers whose availability depends on the attach type, under every
 * attach type of cgroup_sock_addr and cgroup_sockopt. */
Test(helpers_kernel, attach_types)
{
	static const int32_t ids[] = {
		BPF_FUNC_bind, BPF_FUNC_setsockopt, BPF_FUNC_getsockopt, BPF_FUNC_get_retval,
		BPF_FUNC_set_retval, BPF_FUNC_get_local_storage, BPF_FUNC_get_socket_cookie,
	};
	static const uint32_t types[] = { BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
					  BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_PROG_TYPE_CGROUP_SOCK,
					  BPF_PROG_TYPE_CGROUP_DEVICE, BPF_PROG_TYPE_CGROUP_SYSCTL,
					  BPF_PROG_TYPE_SOCK_OPS };
	struct report r = { 0 };

	skip_if_no_bpf();
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		for (uint32_t eat = 0; eat <= BVC_ATTACH_TRACE_KPROBE_SESSION; eat++) {
			if (!bvc_prog_attach_valid(types[t], eat))
				continue;
			for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
				struct bvc_insn p[8];
				int rc = bvc_helper_proto_get(ids[i], types[t], NULL);
				int ours_no = (rc != 0 && rc != -EOPNOTSUPP) ||
					      !bvc_helper_attach_ok(ids[i], types[t], eat);
				int kern_no;

				zero_call(p, ids[i]);
				kern_no = kload(p, 8, types[t], eat, "GPL", 1) != 1 &&
					  kernel_refuses_helper(res.log);
				r.checks++;
				if (kern_no == ours_no)
					r.agree++;
				else
					report_add(&r, "  type %u eat %u id %d: kernel %s (%s), ours %d\n",
						   types[t], eat, ids[i], kern_no ? "refuses" : "allows",
						   log_reason(), ours_no);
			}
		}
	}
	report_check(&r, "helpers by attach type");
}

/* Does a scalar zero pass as this argument? Those that do not are the ones
 * the kernel names in "R%d type=scalar expected=...". */
static const char *zero_refused_as(uint8_t arg)
{
	switch (arg) {
	case BVC_ARG_CONST_MAP_PTR:
		return "map_ptr";
	case BVC_ARG_CTX:
		return "ctx";
	case BVC_ARG_ALLOC_MEM:
		return "ringbuf_mem";
	case BVC_ARG_SOCK_COMMON:
	case BVC_ARG_SOCK_COMMON_BTF:
	case BVC_ARG_SOCK_RELEASE:
		return "sock_common";
	case BVC_ARG_MAP_KEY:
	case BVC_ARG_MAP_VALUE:
	case BVC_ARG_MAP_VALUE_UNINIT:
	case BVC_ARG_MEM:
	case BVC_ARG_UNINIT_MEM:
	case BVC_ARG_MEM_RW:
	case BVC_ARG_PTR_TO_LONG:
	case BVC_ARG_PTR_TO_INT:
		return "fp";
	default:
		return NULL; /* anything, NULL-able memory, sizes that may be 0 */
	}
}

/*
 * For every modelled (type, helper): the kernel's verdict on an all-zero
 * call names the first argument a zero cannot be, and its kind; with a
 * proprietary licence it says whether the helper is GPL-only.
 */
Test(helpers_kernel, prototypes)
{
	struct report r = { 0 };

	skip_if_no_bpf();
	for (size_t t = 0; t < sizeof(types9) / sizeof(types9[0]); t++) {
		for (int32_t id = 1; id < BVC_HELPER_MAX_ID; id++) {
			const struct bvc_helper_proto *proto;
			struct bvc_insn p[8];
			const char *want = NULL, *m;
			int want_reg = 0, kern, gpl;
			char expect[64];

			if (proto_compared(id, types9[t], &proto))
				continue;
			for (int i = 0; i < 5 && !want; i++) {
				want = zero_refused_as(proto->args[i]);
				want_reg = i + 1;
			}
			zero_call(p, id);
			kern = kload(p, 8, types9[t], eat_of(types9[t]), "GPL", 1);
			r.checks++;
			if (want) {
				snprintf(expect, sizeof(expect), "R%d type=scalar expected=%s",
					 want_reg, want);
				m = strstr(res.log, expect);
			} else {
				m = kern ? "" : NULL;
			}
			if (m)
				r.agree++;
			else
				report_add(&r, "  type %u id %d: want %s, kernel: %s\n", types9[t], id,
					   want ? expect : "accept", kern ? "accepts" : log_reason());

			kload(p, 8, types9[t], eat_of(types9[t]), "Proprietary", 1);
			gpl = strstr(res.log, "cannot call GPL-restricted function") != NULL;
			r.checks++;
			if (gpl == !!(proto->flags & BVC_HELPER_GPL_ONLY))
				r.agree++;
			else
				report_add(&r, "  type %u id %d: kernel gpl_only %d, ours %d\n",
					   types9[t], id, gpl, !!(proto->flags & BVC_HELPER_GPL_ONLY));
		}
	}
	report_check(&r, "helper prototypes (first refused zero argument, GPL flag)");
}

/* Table shape: the kernel's conventions for arguments and flags. */
Test(helpers, shape)
{
	unsigned long modelled = 0;

	for (size_t t = 0; t < sizeof(types9) / sizeof(types9[0]); t++) {
		for (int32_t id = 1; id < BVC_HELPER_MAX_ID; id++) {
			const struct bvc_helper_proto *h;
			bool ended = false;

			if (bvc_helper_proto_get(id, types9[t], &h))
				continue;
			modelled++;
			cr_expect_eq(h->id, id);
			for (int i = 0; i < 5; i++) {
				uint8_t a = h->args[i], prev = i ? h->args[i - 1] : BVC_ARG_NONE;
				bool mem = a == BVC_ARG_MEM || a == BVC_ARG_MEM_OR_NULL ||
					   a == BVC_ARG_UNINIT_MEM || a == BVC_ARG_MEM_RW;
				bool pmem = prev == BVC_ARG_MEM || prev == BVC_ARG_MEM_OR_NULL ||
					    prev == BVC_ARG_UNINIT_MEM || prev == BVC_ARG_MEM_RW;

				if (a == BVC_ARG_NONE)
					ended = true;
				cr_expect(!ended || a == BVC_ARG_NONE, "helper %d: argument after none",
					  id);
				/* ARG_CONST_SIZE follows its memory, and only it. */
				cr_expect(!mem || (i < 4 && (h->args[i + 1] == BVC_ARG_CONST_SIZE ||
							     h->args[i + 1] ==
								     BVC_ARG_CONST_SIZE_OR_ZERO)),
					  "helper %d arg %d: memory without a size", id, i + 1);
				cr_expect(!(a == BVC_ARG_CONST_SIZE || a == BVC_ARG_CONST_SIZE_OR_ZERO) ||
						  pmem,
					  "helper %d arg %d: size without memory", id, i + 1);
				/* The map comes first, or after the context
				 * (sk_redirect_hash, msg_redirect_hash). */
				cr_expect(a != BVC_ARG_MAP_KEY || h->args[0] == BVC_ARG_CONST_MAP_PTR ||
						  (h->args[0] == BVC_ARG_CTX &&
						   h->args[1] == BVC_ARG_CONST_MAP_PTR),
					  "helper %d: key without map", id);
				cr_expect(a != BVC_ARG_CONST_ALLOC_SIZE_OR_ZERO ||
						  prev == BVC_ARG_CONST_MAP_PTR,
					  "helper %d: alloc size without map", id);
			}
			/* The kernel insists: helpers that move packet data get
			 * the context in r1 ("r1 != ctx"). */
			cr_expect(!(h->flags & BVC_HELPER_CHANGES_PKT) || h->args[0] == BVC_ARG_CTX,
				  "helper %d changes packet data without ctx", id);
			cr_expect(!(h->flags & BVC_HELPER_RELEASES) || h->args[0] == BVC_ARG_ALLOC_MEM,
				  "helper %d releases without a record", id);
			cr_expect(h->ret != BVC_RET_ALLOC_MEM_OR_NULL ||
					  h->args[1] == BVC_ARG_CONST_ALLOC_SIZE_OR_ZERO,
				  "helper %d: allocation without size", id);
		}
	}
	fprintf(stderr, "helpers: %lu modelled (type, id) pairs\n", modelled);

	const struct bvc_helper_proto *h;

	cr_expect_eq(bvc_helper_proto_get(0, BPF_PROG_TYPE_XDP, &h), -ERANGE);
	cr_expect_eq(bvc_helper_proto_get(-1, BPF_PROG_TYPE_XDP, &h), -ERANGE);
	cr_expect_eq(bvc_helper_proto_get(BVC_HELPER_MAX_ID, BPF_PROG_TYPE_XDP, &h), -ERANGE);
	cr_expect_eq(bvc_helper_proto_get(BPF_FUNC_map_lookup_elem, BPF_PROG_TYPE_LSM, &h),
		     -EACCES);
	cr_expect_eq(bvc_helper_proto_get(BPF_FUNC_loop, BPF_PROG_TYPE_XDP, &h), -EOPNOTSUPP);
	cr_expect_eq(bvc_helper_proto_get(BPF_FUNC_skb_store_bytes, BPF_PROG_TYPE_XDP, &h),
		     -EACCES);
	cr_assert_eq(bvc_helper_proto_get(BPF_FUNC_ringbuf_submit, BPF_PROG_TYPE_KPROBE, &h), 0);
	cr_expect_eq(h->ret, BVC_RET_VOID);
	cr_expect(h->flags & BVC_HELPER_RELEASES);
	cr_assert_eq(bvc_helper_proto_get(BPF_FUNC_tail_call, BPF_PROG_TYPE_XDP, &h), 0);
	cr_expect_eq(h->ret, BVC_RET_VOID);
	cr_expect_eq(h->args[1], BVC_ARG_CONST_MAP_PTR);
	cr_assert_eq(bvc_helper_proto_get(BPF_FUNC_xdp_adjust_head, BPF_PROG_TYPE_XDP, &h), 0);
	cr_expect(h->flags & BVC_HELPER_CHANGES_PKT);
	cr_assert_eq(bvc_helper_proto_get(BPF_FUNC_get_cgroup_classid, BPF_PROG_TYPE_SCHED_CLS,
					  &h), 0);
	cr_expect_eq(h->args[0], BVC_ARG_CTX);
	cr_assert_eq(bvc_helper_proto_get(BPF_FUNC_get_cgroup_classid, BPF_PROG_TYPE_XDP, &h), 0);
	cr_expect_eq(h->args[0], BVC_ARG_NONE);
	cr_assert_eq(bvc_helper_proto_get(BPF_FUNC_probe_read_kernel, BPF_PROG_TYPE_KPROBE, &h),
		     0);
	cr_expect_eq(h->args[0], BVC_ARG_UNINIT_MEM);
	cr_expect(h->flags & BVC_HELPER_GPL_ONLY);
	cr_assert_eq(bvc_helper_proto_get(BPF_FUNC_csum_diff, BPF_PROG_TYPE_XDP, &h), 0);
	cr_expect(h->flags & BVC_HELPER_PKT_ACCESS);
}

/* ---- maps ---------------------------------------------------------------- */

struct mdef {
	uint32_t type;
	uint32_t key, value, max;
};

/* Our map types, small (the program array third, the ringbuf last); the
 * array and hash of maps apart, which need an inner map to be created. */
static const struct mdef mdefs[] = {
	{ BPF_MAP_TYPE_HASH, 4, 8, 4 },
	{ BPF_MAP_TYPE_ARRAY, 4, 8, 4 },
	{ BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4 },
	{ BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 4 },
	{ BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 4 },
	{ BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4 },
	{ BPF_MAP_TYPE_LRU_HASH, 4, 8, 16 },
	{ BPF_MAP_TYPE_STACK_TRACE, 4, 8 * 8, 4 },
	{ BPF_MAP_TYPE_QUEUE, 0, 8, 4 },
	{ BPF_MAP_TYPE_STACK, 0, 8, 4 },
	{ BPF_MAP_TYPE_CGROUP_STORAGE, 8, 8, 0 },
	{ BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE, 8, 8, 0 },
	{ BPF_MAP_TYPE_DEVMAP, 4, 4, 4 },
	{ BPF_MAP_TYPE_DEVMAP_HASH, 4, 4, 4 },
	{ BPF_MAP_TYPE_CPUMAP, 4, 4, 4 },
	{ BPF_MAP_TYPE_XSKMAP, 4, 4, 4 },
	{ BPF_MAP_TYPE_RINGBUF, 0, 0, 4096 },
};

#define NR_MDEFS (sizeof(mdefs) / sizeof(mdefs[0]))

static int map_create(const struct mdef *m)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = m->type;
	attr.key_size = m->key;
	attr.value_size = m->value;
	attr.max_entries = m->max;
	return (int)syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
}

/* What to look at right after the call. */
enum probe {
	PROBE_NONE,
	PROBE_R0_READ,   /* r1 = r0: refused after a void helper */
	PROBE_R0_DEREF,  /* if (r0) r1 = *(u8 *)r0: needs a pointer result */
	PROBE_PKT_AFTER, /* r1 = *(u8 *)r8, a packet pointer from before the call */
};

/* How to build a call (see plausible_call()). */
struct call_opts {
	int map_fd;       /* for a map argument */
	bool least;       /* the least memory each argument kind promises to need */
	int ro_fd;        /* a read-only array map (value_size >= 64), for least */
	int rb_fd;        /* a ringbuf, for a record argument */
	int pkt_arg;      /* argument index pointing into the packet, or -1 */
	int data_off;     /* ctx offset of data (data_end follows) */
	bool pkt;         /* load a checked packet pointer into r8 */
	enum probe probe; /* what to do after the call */
};

/*
 * A call to @h with plausible arguments: the context, the map, 8 for any
 * size, 0 for anything else, and for memory a pointer to 64 zeroed stack
 * bytes - or, with @o->least, the least each kind promises to need:
 * never-written stack for memory the helper only fills, and a value of a
 * read-only map for memory it only reads. A fresh ringbuf record for a
 * record argument. With @o->pkt, r8 holds a packet pointer with 64 bytes
 * checked against data_end, and argument @o->pkt_arg (if >= 0) takes it.
 * Returns the number of instructions.
 */
static size_t plausible_call(struct bvc_insn *p, const struct bvc_helper_proto *h,
			     const struct call_opts *o)
{
	size_t n = 0;
	bool record = h->args[0] == BVC_ARG_ALLOC_MEM;

	p[n++] = I_MOV64_REG(6, 1);
	for (int s = 1; s <= 8; s++)
		p[n++] = I_ST(BVC_DW, 10, -8 * s, 0);
	if (o->pkt) {
		/* r8 = data; if (data + 64 > data_end) exit */
		p[n++] = I_LDX(BVC_W, 8, 6, o->data_off);
		p[n++] = I_LDX(BVC_W, 9, 6, o->data_off + 4);
		p[n++] = I_MOV64_REG(0, 8);
		p[n++] = I_ALU64_IMM(BVC_ADD, 0, 64);
		p[n++] = I_JMP_REG(BVC_JLE, 0, 9, 2);
		p[n++] = I_MOV64_IMM(0, 0);
		p[n++] = I_EXIT();
	}
	if (has_arg(h, BVC_ARG_SOCK_RELEASE)) {
		/* r7 = sk_lookup_tcp(ctx, fp-64, 12, 0, 0); if (!r7) exit */
		p[n++] = I_MOV64_REG(1, 6);
		p[n++] = I_MOV64_REG(2, 10);
		p[n++] = I_ALU64_IMM(BVC_ADD, 2, -64);
		p[n++] = I_MOV64_IMM(3, 12);
		p[n++] = I_MOV64_IMM(4, 0);
		p[n++] = I_MOV64_IMM(5, 0);
		p[n++] = I_CALL(BPF_FUNC_sk_lookup_tcp);
		p[n++] = I_MOV64_REG(7, 0);
		p[n++] = I_JMP_IMM(BVC_JNE, 7, 0, 2);
		p[n++] = I_MOV64_IMM(0, 0);
		p[n++] = I_EXIT();
	} else if (has_arg(h, BVC_ARG_SOCK_COMMON) || has_arg(h, BVC_ARG_SOCK_COMMON_BTF)) {
		/* r7 = skb->sk; if (!r7) exit */
		p[n++] = I_LDX(BVC_DW, 7, 6, 168);
		p[n++] = I_JMP_IMM(BVC_JNE, 7, 0, 2);
		p[n++] = I_MOV64_IMM(0, 0);
		p[n++] = I_EXIT();
	}
	if (record) {
		/* r7 = ringbuf_reserve(rb, 8, 0); if (!r7) exit */
		p[n++] = I_LD_IMM64_LO(1, BVC_PSEUDO_MAP_FD, o->rb_fd);
		p[n++] = I_LD_IMM64_HI(0);
		p[n++] = I_MOV64_IMM(2, 8);
		p[n++] = I_MOV64_IMM(3, 0);
		p[n++] = I_CALL(BPF_FUNC_ringbuf_reserve);
		p[n++] = I_MOV64_REG(7, 0);
		p[n++] = I_JMP_IMM(BVC_JNE, 7, 0, 2);
		p[n++] = I_MOV64_IMM(0, 0);
		p[n++] = I_EXIT();
	}
	for (int i = 0; i < 5; i++) {
		int reg = i + 1;

		if (i == o->pkt_arg) {
			p[n++] = I_MOV64_REG(reg, 8);
			continue;
		}
		switch (h->args[i]) {
		case BVC_ARG_CTX:
			p[n++] = I_MOV64_REG(reg, 6);
			break;
		case BVC_ARG_ALLOC_MEM:
		case BVC_ARG_SOCK_COMMON:
		case BVC_ARG_SOCK_COMMON_BTF:
		case BVC_ARG_SOCK_RELEASE:
			p[n++] = I_MOV64_REG(reg, 7);
			break;
		case BVC_ARG_CONST_MAP_PTR:
			p[n++] = I_LD_IMM64_LO(reg, BVC_PSEUDO_MAP_FD, o->map_fd);
			p[n++] = I_LD_IMM64_HI(0);
			break;
		case BVC_ARG_MEM:
		case BVC_ARG_MEM_OR_NULL:
			if (o->least) {
				p[n++] = I_LD_IMM64_LO(reg, BVC_PSEUDO_MAP_VALUE, o->ro_fd);
				p[n++] = I_LD_IMM64_HI(0);
				break;
			}
			/* fall through */
		case BVC_ARG_MAP_KEY:
		case BVC_ARG_MAP_VALUE:
		case BVC_ARG_MEM_RW:
		case BVC_ARG_PTR_TO_INT:
			p[n++] = I_MOV64_REG(reg, 10);
			p[n++] = I_ALU64_IMM(BVC_ADD, reg, -64);
			break;
		case BVC_ARG_UNINIT_MEM:
		case BVC_ARG_MAP_VALUE_UNINIT:
		case BVC_ARG_PTR_TO_LONG:
			p[n++] = I_MOV64_REG(reg, 10);
			p[n++] = I_ALU64_IMM(BVC_ADD, reg, o->least ? -128 : -64);
			break;
		case BVC_ARG_CONST_SIZE:
		case BVC_ARG_CONST_SIZE_OR_ZERO:
		case BVC_ARG_CONST_ALLOC_SIZE_OR_ZERO:
			p[n++] = I_MOV64_IMM(reg, 8);
			break;
		default:
			p[n++] = I_MOV64_IMM(reg, 0);
			break;
		}
	}
	p[n++] = I_CALL(h->id);
	switch (o->probe) {
	case PROBE_R0_READ:
		p[n++] = I_MOV64_REG(1, 0);
		break;
	case PROBE_R0_DEREF:
		p[n++] = I_JMP_IMM(BVC_JEQ, 0, 0, 1);
		/* A socket's first byte is not readable alone: its family
		 * (bpf_sock) or srtt_us (bpf_tcp_sock) word is. */
		p[n++] = returns_socket(h) ? I_LDX(BVC_W, 1, 0, 4) : I_LDX(BVC_B, 1, 0, 0);
		break;
	case PROBE_PKT_AFTER:
		p[n++] = I_LDX(BVC_B, 1, 8, 0);
		break;
	default:
		break;
	}
	if (h->flags & BVC_HELPER_ACQUIRES) {
		/* Give the socket back, or the kernel sees a leak. */
		p[n++] = I_JMP_IMM(BVC_JEQ, 0, 0, 2);
		p[n++] = I_MOV64_REG(1, 0);
		p[n++] = I_CALL(BPF_FUNC_sk_release);
	}
	if (h->ret == BVC_RET_ALLOC_MEM_OR_NULL) {
		/* Give the record back, or the kernel sees a leak. */
		p[n++] = I_JMP_IMM(BVC_JEQ, 0, 0, 3);
		p[n++] = I_MOV64_REG(1, 0);
		p[n++] = I_MOV64_IMM(2, 0);
		p[n++] = I_CALL(BPF_FUNC_ringbuf_discard);
	}
	p[n++] = I_MOV64_IMM(0, 0);
	p[n++] = I_EXIT();
	return n;
}

Test(maps_kernel, helper_compatibility)
{
	struct report r = { 0 };
	int fds[NR_MDEFS];
	unsigned long inconclusive = 0;

	skip_if_no_bpf();
	for (size_t m = 0; m < NR_MDEFS; m++) {
		fds[m] = map_create(&mdefs[m]);
		cr_assert_geq(fds[m], 0, "map type %u: %s", mdefs[m].type, strerror(errno));
		cr_expect(bvc_map_type_supported(mdefs[m].type));
	}
	for (int32_t id = 1; id < BVC_HELPER_MAX_ID; id++) {
		const struct bvc_helper_proto *h = NULL;
		uint32_t type = 0;
		bool takes_map = false;

		/* The first program type for which the helper is modelled. */
		for (size_t t = 0; t < sizeof(types9) / sizeof(types9[0]) && !h; t++)
			if (!bvc_helper_proto_get(id, types9[t], &h))
				type = types9[t];
		if (!h)
			continue;
		for (int i = 0; i < 5; i++)
			takes_map |= h->args[i] == BVC_ARG_CONST_MAP_PTR;
		if (!takes_map)
			continue;
		for (size_t m = 0; m < NR_MDEFS; m++) {
			struct bvc_insn p[48];
			struct call_opts o = { .map_fd = fds[m], .ro_fd = -1,
					       .rb_fd = fds[NR_MDEFS - 1], .pkt_arg = -1 };
			size_t n = plausible_call(p, h, &o);
			int kern = kload(p, n, type, 0, "GPL", 1);
			/* 6.18 refuses a tail call's map before the compatibility
			 * check, in its own words. */
			int refused = strstr(res.log, "cannot pass map_type") ||
				      strstr(res.log, "expected prog array map for tail call");
			int ours = bvc_map_func_compatible(mdefs[m].type, id);

			if (!kern && !refused) {
				/* Refused for another reason: says nothing about
				 * compatibility unless we claimed it. */
				inconclusive++;
				fprintf(stderr, "  maps: id %d map %u: inconclusive: %s\n", id,
					mdefs[m].type, log_reason());
				continue;
			}
			r.checks++;
			if (kern == ours)
				r.agree++;
			else
				report_add(&r, "  id %d map type %u: kernel %s (%s), ours %d\n", id,
					   mdefs[m].type, kern ? "accepts" : "refuses",
					   kern ? "" : log_reason(), ours);
		}
	}
	for (size_t m = 0; m < NR_MDEFS; m++)
		close(fds[m]);
	fprintf(stderr, "maps: %lu inconclusive loads\n", inconclusive);
	report_check(&r, "map/helper compatibility");
}

/* Maps the kernel needs for some helpers' calls, beyond the eight above. */
static const struct mdef extra_mdefs[] = {
	{ BPF_MAP_TYPE_STACK_TRACE, 4, 8 * 8, 4 },
	{ BPF_MAP_TYPE_CGROUP_ARRAY, 4, 4, 4 },
	{ BPF_MAP_TYPE_DEVMAP, 4, 4, 4 },
	{ BPF_MAP_TYPE_SOCKMAP, 4, 4, 4 },
	/* No key (queue, stack); the cgroup id as key, no max_entries
	 * (cgroup storage). */
	{ BPF_MAP_TYPE_QUEUE, 0, 8, 4 },
	{ BPF_MAP_TYPE_STACK, 0, 8, 4 },
	{ BPF_MAP_TYPE_CGROUP_STORAGE, 8, 8, 0 },
	{ BPF_MAP_TYPE_SOCKHASH, 4, 4, 4 },
	{ BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, 4, 4, 4 },
};

#define NR_EXTRA (sizeof(extra_mdefs) / sizeof(extra_mdefs[0]))

static int extra_fds[NR_MDEFS + NR_EXTRA], ro_map_fd;

/* Open our maps, the extra ones and a read-only array; skip without bpf. */
static void open_maps(void)
{
	union bpf_attr attr;

	skip_if_no_bpf();
	for (size_t m = 0; m < NR_MDEFS + NR_EXTRA; m++) {
		extra_fds[m] = map_create(m < NR_MDEFS ? &mdefs[m] : &extra_mdefs[m - NR_MDEFS]);
		cr_assert_geq(extra_fds[m], 0, "map %zu: %s", m, strerror(errno));
	}
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 64;
	attr.max_entries = 1;
	attr.map_flags = BPF_F_RDONLY_PROG;
	ro_map_fd = (int)syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	cr_assert_geq(ro_map_fd, 0, "read-only map: %s", strerror(errno));
}

static void close_maps(void)
{
	for (size_t m = 0; m < NR_MDEFS + NR_EXTRA; m++)
		close(extra_fds[m]);
	close(ro_map_fd);
}

/* Load a plausible call of @h (filling in the maps) as @type: 1 accepted. */
static int load_call(const struct bvc_helper_proto *h, uint32_t type, struct call_opts o)
{
	struct bvc_insn p[80];
	int fresh = -1, kern;

	o.map_fd = -1;
	for (size_t m = 0; m < NR_MDEFS + NR_EXTRA && o.map_fd < 0; m++) {
		uint32_t mt = m < NR_MDEFS ? mdefs[m].type : extra_mdefs[m - NR_MDEFS].type;

		if (bvc_map_func_compatible(mt, h->id))
			o.map_fd = extra_fds[m];
	}
	/* A program array belongs to the first program type that loads
	 * with it: a fresh one each time. */
	if (h->id == BPF_FUNC_tail_call)
		o.map_fd = fresh = map_create(&mdefs[2]);
	o.ro_fd = ro_map_fd;
	o.rb_fd = extra_fds[NR_MDEFS - 1];
	kern = kload(p, plausible_call(p, h, &o), type, eat_of(type), "GPL", 1);
	if (fresh >= 0)
		close(fresh);
	return kern;
}

/* The packet offsets of @type's context, or -1 when it has no packet. */
static int data_offset(uint32_t type)
{
	struct bvc_ctx_access a;
	int off = type == BPF_PROG_TYPE_XDP ? 0 : 76;

	if (bvc_ctx_check_access(type, eat_of(type), off, 4, false, &a) ||
	    a.type != BVC_PTR_PACKET)
		return -1;
	return off;
}

/* One kernel verdict against one expectation. */
static void expect_verdict(struct report *r, int kern, int ours, uint32_t type, int32_t id,
			   const char *what)
{
	r->checks++;
	if (kern == ours)
		r->agree++;
	else
		report_add(r, "  type %u id %d %s: kernel %s (%s), ours %d\n", type, id, what,
			   kern ? "accepts" : "refuses", kern ? "" : log_reason(), ours);
}

/*
 * Every modelled (type, helper) called with the least its prototype says
 * it needs: the kernel must accept. This is what makes us never looser: a
 * helper we say only fills memory must take memory it may not read, one we
 * say only reads memory must take read-only memory.
 */
Test(helpers_kernel, least_arguments)
{
	struct report r = { 0 };

	open_maps();
	for (size_t t = 0; t < sizeof(types9) / sizeof(types9[0]); t++) {
		for (int32_t id = 1; id < BVC_HELPER_MAX_ID; id++) {
			const struct bvc_helper_proto *h;

			if (!proto_callable(id, types9[t], &h))
				expect_verdict(&r, load_call(h, types9[t],
							     (struct call_opts){ .least = true,
										 .pkt_arg = -1 }),
					       1, types9[t], id, "least arguments");
		}
	}
	close_maps();
	report_check(&r, "helper calls with the least each prototype asks for");
}

/* What r0 holds after the call: nothing (void), a scalar, or a pointer
 * that may be NULL. */
Test(helpers_kernel, return_kinds)
{
	struct report r = { 0 };

	open_maps();
	for (size_t t = 0; t < sizeof(types9) / sizeof(types9[0]); t++) {
		for (int32_t id = 1; id < BVC_HELPER_MAX_ID; id++) {
			const struct bvc_helper_proto *h;
			struct call_opts o = { .pkt_arg = -1 };
			bool ptr;

			if (proto_callable(id, types9[t], &h))
				continue;
			ptr = h->ret == BVC_RET_MAP_VALUE_OR_NULL || h->ret == BVC_RET_ALLOC_MEM_OR_NULL ||
			      h->ret == BVC_RET_MAP_VALUE || returns_socket(h);
			o.probe = PROBE_R0_READ;
			expect_verdict(&r, load_call(h, types9[t], o), h->ret != BVC_RET_VOID,
				       types9[t], id, "r0 readable");
			o.probe = PROBE_R0_DEREF;
			expect_verdict(&r, load_call(h, types9[t], o), ptr, types9[t], id,
				       "r0 dereferenceable");
		}
	}
	close_maps();
	report_check(&r, "helper return kinds");
}

/* Packet memory as an argument (pkt_access), and packet pointers kept
 * across the call (changes_pkt_data), for the types that have packets. */
Test(helpers_kernel, packet_flags)
{
	struct report pkt = { 0 }, chg = { 0 };

	open_maps();
	for (size_t t = 0; t < sizeof(types9) / sizeof(types9[0]); t++) {
		uint32_t type = types9[t];
		int data_off = data_offset(type);

		if (data_off < 0)
			continue;
		for (int32_t id = 1; id < BVC_HELPER_MAX_ID; id++) {
			const struct bvc_helper_proto *h;
			struct call_opts o = { .pkt = true, .data_off = data_off, .pkt_arg = -1 };

			if (proto_callable(id, type, &h))
				continue;
			o.probe = PROBE_PKT_AFTER;
			expect_verdict(&chg, load_call(h, type, o),
				       !(h->flags & BVC_HELPER_CHANGES_PKT), type, id,
				       "packet pointer after the call");
			o.probe = PROBE_NONE;
			for (int i = 0; i < 5; i++) {
				char what[32];

				if (h->args[i] != BVC_ARG_MEM_OR_NULL &&
				    (!zero_refused_as(h->args[i]) ||
				     strcmp(zero_refused_as(h->args[i]), "fp")))
					continue;
				o.pkt_arg = i;
				snprintf(what, sizeof(what), "packet as arg %d", i + 1);
				expect_verdict(&pkt, load_call(h, type, o),
					       !!(h->flags & BVC_HELPER_PKT_ACCESS), type, id, what);
			}
		}
	}
	close_maps();
	report_check(&pkt, "helper memory in the packet (pkt_access)");
	report_check(&chg, "packet pointers across helper calls (changes_pkt_data)");
}

Test(maps, facts)
{
	cr_expect(bvc_map_func_compatible(BPF_MAP_TYPE_HASH, BPF_FUNC_map_lookup_elem));
	cr_expect(!bvc_map_func_compatible(BPF_MAP_TYPE_HASH, BPF_FUNC_tail_call));
	cr_expect(!bvc_map_func_compatible(BPF_MAP_TYPE_PROG_ARRAY, BPF_FUNC_map_lookup_elem));
	cr_expect(bvc_map_func_compatible(BPF_MAP_TYPE_PROG_ARRAY, BPF_FUNC_tail_call));
	cr_expect(!bvc_map_func_compatible(BPF_MAP_TYPE_ARRAY, BPF_FUNC_map_lookup_percpu_elem));
	cr_expect(bvc_map_func_compatible(BPF_MAP_TYPE_PERCPU_ARRAY,
					  BPF_FUNC_map_lookup_percpu_elem));
	cr_expect(bvc_map_func_compatible(BPF_MAP_TYPE_RINGBUF, BPF_FUNC_ringbuf_reserve));
	cr_expect(!bvc_map_func_compatible(BPF_MAP_TYPE_RINGBUF, BPF_FUNC_map_lookup_elem));
	cr_expect(bvc_map_func_compatible(BPF_MAP_TYPE_DEVMAP, BPF_FUNC_redirect_map));
	cr_expect(!bvc_map_func_compatible(BPF_MAP_TYPE_ARRAY, BPF_FUNC_redirect_map));
	cr_expect(bvc_map_type_supported(BPF_MAP_TYPE_DEVMAP));
	cr_expect(!bvc_map_func_compatible(BPF_MAP_TYPE_CPUMAP, BPF_FUNC_map_lookup_elem));
	cr_expect(bvc_map_func_compatible(BPF_MAP_TYPE_QUEUE, BPF_FUNC_map_pop_elem));
	cr_expect(!bvc_map_func_compatible(BPF_MAP_TYPE_QUEUE, BPF_FUNC_map_lookup_elem));
	cr_expect(!bvc_map_func_compatible(BPF_MAP_TYPE_ARRAY, BPF_FUNC_map_push_elem));
	cr_expect(bvc_map_func_compatible(BPF_MAP_TYPE_CGROUP_STORAGE,
					  BPF_FUNC_get_local_storage));
	cr_expect(!bvc_map_func_compatible(BPF_MAP_TYPE_CGROUP_STORAGE, BPF_FUNC_map_lookup_elem));
	cr_expect(!bvc_map_type_supported(BPF_MAP_TYPE_BLOOM_FILTER));
	cr_expect(bvc_map_type_supported(BPF_MAP_TYPE_ARRAY_OF_MAPS));
	cr_expect(!bvc_map_func_compatible(BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_FUNC_map_update_elem));
	cr_expect(bvc_map_type_supported(BPF_MAP_TYPE_SOCKMAP));
	cr_expect(bvc_map_func_compatible(BPF_MAP_TYPE_SOCKMAP, BPF_FUNC_sk_redirect_map));
	cr_expect(!bvc_map_func_compatible(BPF_MAP_TYPE_SOCKMAP, BPF_FUNC_sk_redirect_hash));
	cr_expect(bvc_map_func_compatible(BPF_MAP_TYPE_SOCKHASH, BPF_FUNC_msg_redirect_hash));
	cr_expect(!bvc_map_func_compatible(BPF_MAP_TYPE_SOCKHASH, BPF_FUNC_map_update_elem));
	cr_expect(!bvc_map_type_supported(BPF_MAP_TYPE_LRU_PERCPU_HASH));
	cr_expect(!bvc_map_type_supported(BPF_MAP_TYPE_UNSPEC));
}
