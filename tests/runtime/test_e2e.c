// SPDX-License-Identifier: MIT
/*
 * End to end: our BPF C programs (tests/progs) through the loader, the
 * verifier and the JIT, into a blob struct, and run by the runtime, natively
 * (the x86_64 back end on this host) and on the interpreter (the same
 * blob's lowered bytecode). The expected results come from the programs'
 * source, modelled here by hand (xdp_parser.bpf.c's parse, kprobe_counter's
 * sampling), never from running them.
 *
 * A back end that is not built yet (-EOPNOTSUPP) skips the native half with
 * its reason; the interpreter half then runs on bvc_jit_lower()'s output.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "../../jitter/jitter_internal.h"
#include "bpfvc/jitter.h"
#include "bpfvc/loader.h"
#include "bpfvc/runtime.h"
#include "bpfvc/verifier.h"

#define MAX_MAPS 16

/* One program on its way from the object to the runtime. */
struct e2e {
	struct bvc_image *img;
	const struct bvc_prog *prog;
	struct bvc_verdict verdict;
	struct bvc_jit_result *res;  /* NULL when the back end is not built */
	struct bvc_insn *lowered;    /* bvc_jit_lower()'s, when @res is NULL */
	struct bvc_blob_map maps[MAX_MAPS];
	struct bvc_blob blob;
	struct bvc_rt_prog *rt;
	char skip[256];              /* why native code is not available */
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Load, verify and compile @obj for x86_64 into e->blob; then load it into
 * the runtime, natively unless @interp. With @interp and no back end, the
 * blob carries only the lowered bytecode.
 */
static void e2e_load(struct e2e *e, const char *obj, int interp)
{
	struct bvc_verify_opts vo = { .sz = sizeof(vo), .insn_limit = 1000000 };
	struct bvc_jit_opts jo = { .sz = sizeof(jo), .target = BVC_JIT_X86_64 };
	struct bvc_rt_opts ro = { .sz = sizeof(ro), .force_interp = interp };
	struct bvc_blob *b = &e->blob;
	char path[512], err[512] = "";
	const struct bvc_insn *insns;
	size_t i, cnt;
	int ret;

	memset(e, 0, sizeof(*e));
	snprintf(path, sizeof(path), "%s/%s", BVC_PROGS_DIR, obj);
	cr_assert_eq(bvc_load_elf(path, &e->img, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(e->img->prog_cnt, 1);
	e->prog = &e->img->progs[0];
	cr_assert_eq(bvc_verify(e->img, e->prog, &vo, &e->verdict), 0);
	cr_assert_eq(e->verdict.kind, BVC_ACCEPT, "%s: %s", obj, e->verdict.msg);

	ret = bvc_jit_compile(e->img, e->prog, &e->verdict, &jo, &e->res, err, sizeof(err));
	if (ret == -EOPNOTSUPP) {
		snprintf(e->skip, sizeof(e->skip), "%.200s", err);
		cr_assert_eq(bvc_jit_lower(e->prog, &e->verdict, &e->lowered, err, sizeof(err)), 0,
			     "%s", err);
	} else {
		cr_assert_eq(ret, 0, "%s: %s", obj, err);
	}
	if (!interp && !e->res)
		return; /* the caller skips */

	memset(b, 0, sizeof(*b));
	b->target = BVC_JIT_X86_64;
	if (e->res) {
		b->code = e->res->code;
		b->code_size = e->res->code_size;
		b->entry_off = e->res->entry_off;
		b->relocs = e->res->relocs;
		b->reloc_cnt = e->res->reloc_cnt;
		insns = e->res->lowered;
		cnt = e->res->lowered_cnt;
	} else {
		insns = e->lowered;
		cnt = e->prog->insn_cnt;
	}
	b->bytecode = insns;
	b->bytecode_cnt = cnt;
	cr_assert_leq(e->img->map_cnt, MAX_MAPS);
	for (i = 0; i < e->img->map_cnt; i++) {
		const struct bvc_map *m = &e->img->maps[i];

		snprintf(e->maps[i].name, sizeof(e->maps[i].name), "%.63s", m->name);
		e->maps[i].type = m->type;
		e->maps[i].key_size = m->key_size;
		e->maps[i].value_size = m->value_size;
		e->maps[i].max_entries = m->max_entries;
		e->maps[i].flags = m->flags;
		e->maps[i].init = m->init;
		e->maps[i].init_size = (uint32_t)m->init_size;
	}
	b->maps = e->maps;
	b->map_cnt = e->img->map_cnt;
	snprintf(b->meta.prog_name, sizeof(b->meta.prog_name), "%.63s", e->prog->name);
	b->meta.prog_type = e->prog->type;
	b->meta.stack_depth = e->verdict.stack_depth;
	for (i = 0; i < cnt; i++) {
		size_t k;

		if (insns[i].code != (BVC_JMP | BVC_CALL | BVC_K) || insns[i].src)
			continue;
		for (k = 0; k < b->meta.helper_cnt; k++)
			if (b->meta.helper_ids[k] == (uint32_t)insns[i].imm)
				break;
		if (k == b->meta.helper_cnt)
			b->meta.helper_ids[b->meta.helper_cnt++] = (uint32_t)insns[i].imm;
	}
	qsort(b->meta.helper_ids, b->meta.helper_cnt, sizeof(uint32_t), cmp_u32);

	cr_assert_eq(bvc_rt_load(b, &ro, &e->rt, err, sizeof(err)), 0, "%s: %s", obj, err);
	cr_assert_eq(bvc_rt_prog_is_native(e->rt), !interp);
}

static void e2e_free(struct e2e *e)
{
	bvc_rt_prog_free(e->rt);
	bvc_jit_result_free(e->res);
	free(e->lowered);
	bvc_verdict_release(&e->verdict);
	bvc_image_free(e->img);
}

static void skip_without_jit(struct e2e *e)
{
	if (bvc_rt_host_target() != BVC_JIT_X86_64) {
		e2e_free(e);
		cr_skip_test("native x86_64 code needs an x86_64 host");
	}
	if (!e->res) {
		char why[300];

		snprintf(why, sizeof(why), "x86_64 back end: %s", e->skip);
		e2e_free(e);
		cr_skip_test("%s", why);
	}
}

static uint64_t run_on(struct e2e *e, uint32_t type, const uint8_t *in, size_t len)
{
	struct bvc_rt_ctx *c = NULL;
	char err[256] = "";
	uint64_t r0 = ~0ull;

	cr_assert_eq(bvc_rt_ctx_new(type, in, len, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_rt_run(e->rt, c, &r0, err, sizeof(err)), 0, "%s", err);
	bvc_rt_ctx_free(c);
	return r0;
}

/* ---- xdp_parser ---- */

#define KEY_NOT_IPV4 256
#define KEY_MALFORMED 257
#define NONE UINT32_MAX

/* What xdp_parser.bpf.c does with @p: the action, and the key it counts
 * (NONE when it counts nothing). Written from the source, line by line. */
static uint64_t xdp_model(const uint8_t *p, size_t n, uint32_t *key)
{
	size_t hl, l4;

	*key = NONE;
	if (n < 14)
		return XDP_DROP;
	if (p[12] != 0x08 || p[13] != 0x00) {
		*key = KEY_NOT_IPV4;
		return XDP_PASS;
	}
	if (n < 14 + 20)
		return XDP_DROP;
	hl = (size_t)(p[14] & 0xf) * 4;
	if (hl < 20) {
		*key = KEY_MALFORMED;
		return XDP_DROP;
	}
	l4 = 14 + hl;
	if (p[23] == 6) {
		if (l4 + 20 > n || (p[l4 + 12] >> 4) < 5) {
			*key = KEY_MALFORMED;
			return XDP_DROP;
		}
	} else if (p[23] == 17) {
		if (l4 + 8 > n || (size_t)(p[l4 + 4] << 8 | p[l4 + 5]) < 8) {
			*key = KEY_MALFORMED;
			return XDP_DROP;
		}
	}
	*key = p[23];
	return XDP_PASS;
}

struct pkt {
	const char *name;
	uint8_t b[96];
	size_t len;
	int copies; /* how many times it is sent */
};

/* Ethernet with @proto, then (for IPv4) a header of @ihl words with
 * protocol @l4, then an L4 header: TCP data offset @arg or UDP length @arg. */
static struct pkt make(const char *name, uint16_t proto, int ihl, int l4, int arg, size_t len,
		       int copies)
{
	struct pkt k = { .name = name, .len = len, .copies = copies };
	size_t o = 14 + (size_t)ihl * 4;

	memset(k.b, 0xee, sizeof(k.b));
	k.b[12] = (uint8_t)(proto >> 8);
	k.b[13] = (uint8_t)proto;
	if (proto == 0x0800) {
		k.b[14] = (uint8_t)(0x40 | ihl);
		k.b[23] = (uint8_t)l4;
		if (l4 == 6)
			k.b[o + 12] = (uint8_t)(arg << 4);
		if (l4 == 17) {
			k.b[o + 4] = (uint8_t)(arg >> 8);
			k.b[o + 5] = (uint8_t)arg;
		}
	}
	return k;
}

static void check_xdp_parser(int interp)
{
	const struct pkt pkts[] = {
		make("ipv4 tcp", 0x0800, 5, 6, 5, 54, 3),
		make("ipv4 tcp, ip options", 0x0800, 6, 6, 5, 58, 1),
		make("ipv4 udp", 0x0800, 5, 17, 12, 46, 2),
		make("ipv4 icmp", 0x0800, 5, 1, 0, 42, 2),
		make("ipv6", 0x86dd, 0, 0, 0, 54, 2),
		make("arp", 0x0806, 0, 0, 0, 42, 1),
		make("runt", 0x0800, 5, 6, 5, 10, 1),
		make("ipv4 truncated", 0x0800, 5, 6, 5, 24, 1),
		make("ipv4 tcp truncated", 0x0800, 5, 6, 5, 44, 1),
		make("ipv4 ihl 4", 0x0800, 4, 6, 5, 54, 1),
		make("ipv4 tcp doff 4", 0x0800, 5, 6, 4, 54, 1),
		make("ipv4 udp len 4", 0x0800, 5, 17, 4, 46, 1),
	};
	uint64_t want[258] = { 0 }, got;
	struct bvc_rt_map *map;
	struct e2e e;
	uint32_t key, next;
	size_t i, n = 0;
	int c, have = 0;

	e2e_load(&e, "xdp_parser.bpf.o", interp);
	if (!interp)
		skip_without_jit(&e);
	for (i = 0; i < sizeof(pkts) / sizeof(pkts[0]); i++) {
		uint64_t action = xdp_model(pkts[i].b, pkts[i].len, &key);

		for (c = 0; c < pkts[i].copies; c++) {
			cr_expect_eq(run_on(&e, BPF_PROG_TYPE_XDP, pkts[i].b, pkts[i].len), action,
				     "%s: r0", pkts[i].name);
			if (key != NONE)
				want[key]++;
		}
	}
	/* the hash map holds exactly the model's counts */
	map = bvc_rt_prog_map(e.rt, 0);
	cr_assert_str_eq(bvc_rt_map_name(map), "proto_count");
	while (!bvc_rt_map_next_key(map, have ? &key : NULL, &next)) {
		key = next;
		have = 1;
		cr_assert_lt(key, 258, "unexpected key %u", key);
		cr_assert_eq(bvc_rt_map_lookup(map, &key, &got), 0);
		cr_expect_eq(got, want[key], "key %u: %llu packets, expected %llu", key,
			     (unsigned long long)got, (unsigned long long)want[key]);
		want[key] = 0;
		n++;
	}
	for (i = 0; i < 258; i++)
		cr_expect_eq(want[i], 0, "key %zu never counted", i);
	cr_expect_eq(n, 5, "keys 1, 6, 17, 256, 257");
	e2e_free(&e);
}

Test(e2e, xdp_parser_native)
{
	check_xdp_parser(0);
}

Test(e2e, xdp_parser_interpreter)
{
	check_xdp_parser(1);
}

/* ---- socket_filter: LD_ABS and .rodata ---- */

static void check_socket_filter(int interp)
{
	struct e2e e;
	struct pkt tcp = make("tcp", 0x0800, 5, 6, 5, 54, 1);
	struct pkt udp = make("udp", 0x0800, 5, 17, 8, 46, 1);
	struct pkt v6 = make("ipv6", 0x86dd, 0, 0, 0, 54, 1);

	e2e_load(&e, "socket_filter.bpf.o", interp);
	if (!interp)
		skip_without_jit(&e);
	cr_expect_eq(run_on(&e, BPF_PROG_TYPE_SOCKET_FILTER, tcp.b, tcp.len), 0xffff,
		     "snap_len from .rodata");
	cr_expect_eq(run_on(&e, BPF_PROG_TYPE_SOCKET_FILTER, udp.b, udp.len), 0);
	cr_expect_eq(run_on(&e, BPF_PROG_TYPE_SOCKET_FILTER, v6.b, v6.len), 0);
	/* LD_ABS past the end ends the program with 0 */
	cr_expect_eq(run_on(&e, BPF_PROG_TYPE_SOCKET_FILTER, tcp.b, 20), 0);
	cr_expect_eq(run_on(&e, BPF_PROG_TYPE_SOCKET_FILTER, NULL, 0), 0);
	e2e_free(&e);
}

Test(e2e, socket_filter_native)
{
	check_socket_filter(0);
}

Test(e2e, socket_filter_interpreter)
{
	check_socket_filter(1);
}

/* ---- kprobe_counter: .data, .bss, .rodata ---- */

static void check_kprobe_counter(int interp)
{
	struct e2e e;
	uint8_t bss[12];
	uint64_t samples, calls;
	uint32_t key = 0, pid;
	int i;

	e2e_load(&e, "kprobe_counter.bpf.o", interp);
	if (!interp)
		skip_without_jit(&e);
	for (i = 0; i < 9; i++)
		cr_expect_eq(run_on(&e, BPF_PROG_TYPE_KPROBE, NULL, 0), 0);
	/* maps: .data (samples), .rodata (sample_every = 4), .bss (calls, last_pid) */
	cr_assert_eq(bvc_rt_prog_map_cnt(e.rt), 3);
	cr_assert_eq(bvc_rt_map_lookup(bvc_rt_prog_map(e.rt, 0), &key, &samples), 0);
	cr_assert_eq(bvc_rt_map_lookup(bvc_rt_prog_map(e.rt, 2), &key, bss), 0);
	memcpy(&calls, bss, 8);
	memcpy(&pid, bss + 8, 4);
	cr_expect_eq(calls, 9);
	cr_expect_eq(samples, 0x1122334455667788ull + 3, "sampled at calls 0, 4 and 8");
	cr_expect_eq(pid, (uint32_t)getpid());
	e2e_free(&e);
}

Test(e2e, kprobe_counter_native)
{
	check_kprobe_counter(0);
}

Test(e2e, kprobe_counter_interpreter)
{
	check_kprobe_counter(1);
}

/* ---- ringbuf_producer: reserve, submit, current task ---- */

struct event {
	uint32_t pid;
	uint32_t cpu;
	uint64_t ts;
	char comm[16];
};

struct events {
	int n;
	struct event ev[4];
	size_t size[4];
};

static int collect(void *user, uint32_t index, const void *data, size_t size)
{
	struct events *e = user;

	if (e->n < 4) {
		memcpy(&e->ev[e->n], data, size < sizeof(struct event) ? size : sizeof(struct event));
		e->size[e->n] = size;
	}
	e->n++;
	return 0;
}

static void check_ringbuf_producer(int interp)
{
	struct events got = { 0 };
	char comm[17] = "";
	struct e2e e;
	int i;

	e2e_load(&e, "ringbuf_producer.bpf.o", interp);
	if (!interp)
		skip_without_jit(&e);
	for (i = 0; i < 3; i++)
		cr_expect_eq(run_on(&e, BPF_PROG_TYPE_TRACEPOINT, NULL, 0), 0);
	cr_expect_eq(bvc_rt_ringbuf_consume(bvc_rt_prog_map(e.rt, 0), collect, &got), 3);
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	for (i = 0; i < 3; i++) {
		cr_expect_eq(got.size[i], sizeof(struct event));
		cr_expect_eq(got.ev[i].pid, (uint32_t)getpid());
		cr_expect_eq(got.ev[i].cpu, 0);
		cr_expect_neq(got.ev[i].ts, 0);
		cr_expect_str_eq(got.ev[i].comm, comm);
		if (i)
			cr_expect_geq(got.ev[i].ts, got.ev[i - 1].ts, "in order");
	}
	e2e_free(&e);
}

Test(e2e, ringbuf_producer_native)
{
	check_ringbuf_producer(0);
}

Test(e2e, ringbuf_producer_interpreter)
{
	check_ringbuf_producer(1);
}

/* Native code against the interpreter and the model on mutated packets:
 * the same r0 for every packet and the same counts at the end. */
Test(e2e, xdp_parser_native_matches_interpreter_on_mutations)
{
	const struct pkt seeds[] = {
		make("tcp", 0x0800, 5, 6, 5, 54, 1),
		make("udp", 0x0800, 5, 17, 12, 46, 1),
		make("tcp options", 0x0800, 7, 6, 5, 62, 1),
		make("ipv6", 0x86dd, 0, 0, 0, 54, 1),
	};
	struct e2e nat, itp;
	uint64_t s = 0x2545f4914f6cdd1dull, a, b;
	uint32_t key, next;
	int i, k, have = 0;

	e2e_load(&nat, "xdp_parser.bpf.o", 0);
	skip_without_jit(&nat);
	e2e_load(&itp, "xdp_parser.bpf.o", 1);
	for (i = 0; i < 3000; i++) {
		struct pkt p = seeds[i % 4];
		uint32_t want_key;

		/* xorshift: flip up to 3 bytes among the first 40, cut the length */
		for (k = 0; k < 3; k++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			if (s & 1)
				p.b[(s >> 8) % 40] = (uint8_t)(s >> 16);
		}
		if ((s >> 24) % 4 == 0)
			p.len = (s >> 32) % (p.len + 1);
		a = run_on(&nat, BPF_PROG_TYPE_XDP, p.b, p.len);
		b = run_on(&itp, BPF_PROG_TYPE_XDP, p.b, p.len);
		cr_assert_eq(a, b, "packet %d: native %llu, interpreter %llu", i,
			     (unsigned long long)a, (unsigned long long)b);
		cr_assert_eq(a, xdp_model(p.b, p.len, &want_key), "packet %d", i);
	}
	while (!bvc_rt_map_next_key(bvc_rt_prog_map(nat.rt, 0), have ? &key : NULL, &next)) {
		key = next;
		have = 1;
		cr_assert_eq(bvc_rt_map_lookup(bvc_rt_prog_map(nat.rt, 0), &key, &a), 0);
		cr_assert_eq(bvc_rt_map_lookup(bvc_rt_prog_map(itp.rt, 0), &key, &b), 0,
			     "key %u only in the native map", key);
		cr_expect_eq(a, b, "key %u", key);
	}
	e2e_free(&nat);
	e2e_free(&itp);
}
