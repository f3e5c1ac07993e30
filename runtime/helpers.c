// SPDX-License-Identifier: MIT
/*
 * The helpers the device offers, and the LD_ABS/LD_IND intrinsics.
 *
 * Every helper is a C function uint64_t f(r1, ..., r5) (bpfvc/devabi.h):
 * native code calls it through the address a BVC_RELOC_HELPER slot holds,
 * the interpreter through a one-line wrapper with its own signature. Both
 * paths run the same function, so a JIT and the interpreter cannot disagree
 * on what a helper does. The table below is the runtime's whole offer: a
 * blob that calls anything else is refused before it runs.
 *
 * Semantics are the kernel's (flags, error codes, truncation), with what a
 * device without a kernel cannot do spelled out:
 *   - bpf_probe_read{,_kernel,_user}{,_str} read this process's memory
 *     (there is no kernel or other user space on a device). They go through
 *     process_vm_readv() on ourselves, so an unmapped address is -EFAULT and
 *     not a crash; addresses in the first page (NULL) fail at once. On a
 *     failure the destination is zeroed, as the kernel does.
 *   - bpf_get_current_pid_tgid/uid_gid/comm describe this process.
 *   - bpf_get_smp_processor_id is 0: the device has one CPU.
 *   - bpf_tail_call is not a helper call in a blob's code or on the
 *     interpreter (devabi.h, bvc_interp_opts.tail_call); the function here
 *     only fails (-ENOENT), for bytecode run without a program table.
 *   - bpf_trace_printk formats %d %i %u %x %X %c %s %p %% (with l/ll,
 *     flags and width) into at most 511 bytes and hands the line to the
 *     caller's trace callback; %s reads like bpf_probe_read_str.
 *   - bpf_redirect only answers XDP_REDIRECT / TC_ACT_REDIRECT: there is no
 *     other interface to send the packet to.
 *   - bpf_xdp_adjust_head/meta/tail move the pointers inside the context's
 *     packet buffer (256 bytes of headroom, 256 of tailroom); there is no
 *     struct xdp_frame to keep room for.
 *   - checksums: csum_diff as x86_64's csum_partial; l3/l4_csum_replace as
 *     for a packet without checksum offload (CHECKSUM_NONE).
 *
 * Must not: print (trace_printk goes through the caller's callback), or
 * trust a map or context address before rt_is_map / rt_ctx_from_dev.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "runtime_internal.h"

#define ETH_HLEN 14
#define XDP_META_MAX 32
#define CSUM_SCRATCH 512 /* bytes of csum_diff input: the kernel's scratch size */
#define TRACE_MAX 512
#define TRACE_STR_MAX 128
#define CSUM_MANGLED_0 0xffff

_Thread_local struct rt_run rt_cur;

#define PARAMS uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5
#define ERR(e) ((uint64_t)(int64_t)(e))

/* ---- memory of this process, read without faulting ---- */

static int read_nofault(void *dst, uint64_t src, size_t n)
{
	struct iovec local = { dst, n };
	struct iovec remote = { (void *)(uintptr_t)src, n };
	ssize_t got;

	if (!n)
		return 0;
	if (src < 4096 || src + n < src)
		return -EFAULT;
	got = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (got == (ssize_t)n)
		return 0;
	if (got < 0 && (errno == ENOSYS || errno == EPERM)) {
		/* No process_vm_readv (a seccomp sandbox): trust the address,
		 * as a verified program's own pointers are. */
		memcpy(dst, (const void *)(uintptr_t)src, n);
		return 0;
	}
	return -EFAULT;
}

/* strncpy_from_kernel_nofault(): the length with the NUL, @size if cut. */
static long read_str_nofault(char *dst, uint64_t src, size_t size)
{
	size_t got = 0, chunk, page = (size_t)sysconf(_SC_PAGESIZE);
	const char *nul;

	if (!size)
		return 0;
	while (got < size - 1) {
		chunk = page - (size_t)((src + got) & (page - 1));
		if (chunk > size - 1 - got)
			chunk = size - 1 - got;
		if (read_nofault(dst + got, src + got, chunk)) {
			memset(dst, 0, size);
			return -EFAULT;
		}
		nul = memchr(dst + got, '\0', chunk);
		if (nul)
			return (long)(nul - dst) + 1;
		got += chunk;
	}
	dst[size - 1] = '\0';
	return (long)size;
}

/* ---- maps ---- */

static uint64_t h_map_lookup_elem(PARAMS)
{
	void *m = (void *)(uintptr_t)r1;

	if (!rt_is_map(m))
		return 0;
	return (uint64_t)(uintptr_t)rt_map_lookup(m, (const void *)(uintptr_t)r2);
}

static uint64_t h_map_update_elem(PARAMS)
{
	void *m = (void *)(uintptr_t)r1;

	if (!rt_is_map(m))
		return ERR(-EINVAL);
	return ERR(rt_map_update(m, (const void *)(uintptr_t)r2, (const void *)(uintptr_t)r3, r4));
}

static uint64_t h_map_delete_elem(PARAMS)
{
	void *m = (void *)(uintptr_t)r1;

	if (!rt_is_map(m))
		return ERR(-EINVAL);
	return ERR(rt_map_delete(m, (const void *)(uintptr_t)r2));
}

static uint64_t h_tail_call(PARAMS)
{
	/* Not reached from blobs: code and the interpreter do tail calls
	 * themselves (devabi.h); only bytecode run without a prog_array
	 * table (bvc_interp_run's own callers) ends here, and fails. */
	return ERR(-ENOENT);
}

static uint64_t h_ringbuf_output(PARAMS)
{
	void *m = (void *)(uintptr_t)r1;

	if (!rt_is_map(m))
		return ERR(-EINVAL);
	return ERR(rt_ringbuf_output(m, (const void *)(uintptr_t)r2, r3, r4));
}

static uint64_t h_ringbuf_reserve(PARAMS)
{
	void *m = (void *)(uintptr_t)r1;

	if (!rt_is_map(m))
		return 0;
	return (uint64_t)(uintptr_t)rt_ringbuf_reserve(m, r2, r3);
}

static uint64_t h_ringbuf_submit(PARAMS)
{
	rt_ringbuf_commit((void *)(uintptr_t)r1, 0);
	return 0;
}

static uint64_t h_ringbuf_discard(PARAMS)
{
	rt_ringbuf_commit((void *)(uintptr_t)r1, 1);
	return 0;
}

static uint64_t h_ringbuf_query(PARAMS)
{
	void *m = (void *)(uintptr_t)r1;

	if (!rt_is_map(m))
		return 0;
	return rt_ringbuf_query(m, r2);
}

/* bpf_perf_event_output(ctx, map, flags, data, size). Packet programs may
 * ask for packet bytes after the data (BPF_F_CTXLEN_MASK). */
static uint64_t h_perf_event_output(PARAMS)
{
	struct bvc_rt_ctx *c = rt_ctx_from_dev((const void *)(uintptr_t)r1);
	void *m = (void *)(uintptr_t)r2;
	uint64_t ctx_len = (r3 & BPF_F_CTXLEN_MASK) >> 32;
	const uint8_t *pkt = NULL;
	uint8_t **ptrs;

	if (!rt_is_map(m))
		return ERR(-EINVAL);
	if (c && c->kind != RT_CTX_TRACE) {
		if (r3 & ~(BPF_F_CTXLEN_MASK | BPF_F_INDEX_MASK))
			return ERR(-EINVAL);
		ptrs = rt_ctx_ptrs(c);
		if (ctx_len > (uint64_t)(ptrs[1] - ptrs[0]))
			return ERR(-EFAULT);
		pkt = ptrs[0];
	} else if (r3 & ~(uint64_t)BPF_F_INDEX_MASK) {
		return ERR(-EINVAL);
	}
	return ERR(rt_perf_output(m, r3, (const void *)(uintptr_t)r4, r5, pkt, pkt ? ctx_len : 0));
}

/* ---- time, randomness, the current task ---- */

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t h_ktime_get_ns(PARAMS)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static uint64_t h_ktime_get_boot_ns(PARAMS)
{
	return clock_ns(CLOCK_BOOTTIME);
}

static uint64_t h_get_prandom_u32(PARAMS)
{
	static _Thread_local uint64_t s;

	if (!s)
		s = clock_ns(CLOCK_MONOTONIC) ^ (uint64_t)(uintptr_t)&s ^ 0x9e3779b97f4a7c15u;
	/* xorshift64*: the kernel's prandom is not cryptographic either. */
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	return (uint32_t)((s * 0x2545f4914f6cdd1du) >> 32);
}

static uint64_t h_get_smp_processor_id(PARAMS)
{
	return 0;
}

static uint64_t h_get_current_pid_tgid(PARAMS)
{
	return ((uint64_t)(uint32_t)getpid() << 32) | (uint32_t)gettid();
}

static uint64_t h_get_current_uid_gid(PARAMS)
{
	return ((uint64_t)(uint32_t)getgid() << 32) | (uint32_t)getuid();
}

static uint64_t h_get_current_comm(PARAMS)
{
	char comm[17] = "";
	char *buf = (char *)(uintptr_t)r1;
	size_t size = (size_t)(uint32_t)r2, n;

	if (!buf || !size)
		return ERR(-EINVAL);
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	comm[16] = '\0';
	n = strnlen(comm, size - 1);
	memcpy(buf, comm, n);
	memset(buf + n, 0, size - n); /* strscpy_pad */
	return 0;
}

/* ---- probe_read: this process's memory ---- */

static uint64_t h_probe_read(PARAMS)
{
	void *dst = (void *)(uintptr_t)r1;
	size_t size = (size_t)(uint32_t)r2;

	if (read_nofault(dst, r3, size)) {
		memset(dst, 0, size);
		return ERR(-EFAULT);
	}
	return 0;
}

static uint64_t h_probe_read_str(PARAMS)
{
	return ERR(read_str_nofault((char *)(uintptr_t)r1, r3, (size_t)(uint32_t)r2));
}

/* ---- trace_printk ---- */

/* Append @s to @out (bounded); returns the new length. */
static size_t put(char *out, size_t o, const char *s, size_t n)
{
	if (o >= TRACE_MAX - 1)
		return o;
	if (n > TRACE_MAX - 1 - o)
		n = TRACE_MAX - 1 - o;
	memcpy(out + o, s, n);
	return o + n;
}

static uint64_t h_trace_printk(PARAMS)
{
	const char *fmt = (const char *)(uintptr_t)r1;
	uint64_t args[3] = { r3, r4, r5 };
	char out[TRACE_MAX], spec[32], piece[TRACE_MAX], str[TRACE_STR_MAX];
	size_t o = 0, i, start, sl;
	int argi = 0, longs, n;
	struct rt_run *cur = &rt_cur;

	if (!fmt || !r2 || !memchr(fmt, '\0', (size_t)(uint32_t)r2))
		return ERR(-EINVAL);
	for (i = 0; fmt[i]; i++) {
		if (fmt[i] != '%') {
			o = put(out, o, &fmt[i], 1);
			continue;
		}
		if (fmt[i + 1] == '%') {
			o = put(out, o, "%", 1);
			i++;
			continue;
		}
		start = i++;
		while (fmt[i] && strchr("-+ 0#", fmt[i]))
			i++;
		while (fmt[i] >= '0' && fmt[i] <= '9')
			i++;
		for (longs = 0; fmt[i] == 'l' && longs < 2; longs++)
			i++;
		if (argi >= 3 || i - start > 12)
			return ERR(-EINVAL);
		/* flags and width as written, then our own length and conversion */
		sl = i - start - (size_t)longs;
		memcpy(spec, fmt + start, sl);
		spec[sl] = '\0';
		switch (fmt[i]) {
		case 'd':
		case 'i':
			strcat(spec, "lld");
			n = snprintf(piece, sizeof(piece), spec,
				     longs ? (long long)args[argi] : (long long)(int32_t)args[argi]);
			break;
		case 'u':
		case 'x':
		case 'X':
			sl = strlen(spec);
			spec[sl] = 'l';
			spec[sl + 1] = 'l';
			spec[sl + 2] = fmt[i];
			spec[sl + 3] = '\0';
			n = snprintf(piece, sizeof(piece), spec,
				     longs ? (unsigned long long)args[argi]
					   : (unsigned long long)(uint32_t)args[argi]);
			break;
		case 'c':
			strcat(spec, "c");
			n = snprintf(piece, sizeof(piece), spec, (int)(uint8_t)args[argi]);
			break;
		case 's':
			if (longs)
				return ERR(-EINVAL);
			if (read_str_nofault(str, args[argi], sizeof(str)) < 0)
				str[0] = '\0';
			strcat(spec, "s");
			n = snprintf(piece, sizeof(piece), spec, str);
			break;
		case 'p':
			if (longs)
				return ERR(-EINVAL);
			if (fmt[i + 1] == 'K' || fmt[i + 1] == 'x')
				i++;
			n = snprintf(piece, sizeof(piece), "0x%llx", (unsigned long long)args[argi]);
			break;
		default:
			return ERR(-EINVAL);
		}
		argi++;
		if (n > 0)
			o = put(out, o, piece, (size_t)n < sizeof(piece) ? (size_t)n : sizeof(piece) - 1);
	}
	out[o] = '\0';
	if (cur->prog && cur->prog->opts.trace) {
		char line[TRACE_MAX];

		memcpy(line, out, o + 1);
		if (o && line[o - 1] == '\n')
			line[o - 1] = '\0';
		cur->prog->opts.trace(cur->prog->opts.user, line);
	}
	return o;
}

/* ---- packets ---- */

/* The packet of the context @r1 (data, len), or NULL for other contexts. */
static uint8_t *packet_of(uint64_t r1, size_t *len, struct bvc_rt_ctx **cp)
{
	struct bvc_rt_ctx *c = rt_ctx_from_dev((const void *)(uintptr_t)r1);
	uint8_t **ptrs;

	if (!c || c->kind == RT_CTX_TRACE)
		return NULL;
	ptrs = rt_ctx_ptrs(c);
	*len = (size_t)(ptrs[1] - ptrs[0]);
	if (cp)
		*cp = c;
	return ptrs[0];
}

static uint64_t h_skb_load_bytes(PARAMS)
{
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;
	void *to = (void *)(uintptr_t)r3;
	size_t plen = 0;
	uint8_t *data = packet_of(r1, &plen, NULL);

	if (!data || off > 0xffff || (uint64_t)off + len > plen) {
		memset(to, 0, len);
		return ERR(-EFAULT);
	}
	memcpy(to, data + off, len);
	return 0;
}

static uint64_t h_skb_store_bytes(PARAMS)
{
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;
	size_t plen = 0;
	uint8_t *data = packet_of(r1, &plen, NULL);

	if (r5 & ~(uint64_t)(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH))
		return ERR(-EINVAL);
	if (!data || off > 0xffff || (uint64_t)off + len > plen)
		return ERR(-EFAULT);
	memcpy(data + off, (const void *)(uintptr_t)r3, len);
	return 0;
}

/* One's complement arithmetic on 32-bit partial sums (include/net/checksum.h). */
static uint32_t csum_add(uint32_t a, uint32_t b)
{
	uint32_t r = a + b;

	return r + (r < a);
}

static uint16_t csum_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The checksum at @p with @from replaced by @to (RFC 1624, eqn. 3). */
static void csum_replace(uint8_t *p, uint32_t from, uint32_t to)
{
	uint16_t sum;

	memcpy(&sum, p, 2);
	sum = csum_fold(csum_add(csum_add(~(uint32_t)sum, ~from), to));
	memcpy(p, &sum, 2);
}

static void csum_replace_by_diff(uint8_t *p, uint32_t diff)
{
	uint16_t sum;

	memcpy(&sum, p, 2);
	sum = csum_fold(csum_add(diff, ~(uint32_t)sum));
	memcpy(p, &sum, 2);
}

/* bpf_l3_csum_replace(skb, offset, from, to, flags) */
static uint64_t h_l3_csum_replace(PARAMS)
{
	size_t plen = 0;
	uint8_t *data = packet_of(r1, &plen, NULL);
	uint32_t off = (uint32_t)r2;

	if (r5 & ~(uint64_t)BPF_F_HDR_FIELD_MASK)
		return ERR(-EINVAL);
	if (!data || off > 0xffff || (uint64_t)off + 2 > plen)
		return ERR(-EFAULT);
	switch (r5 & BPF_F_HDR_FIELD_MASK) {
	case 0:
		if (r3)
			return ERR(-EINVAL);
		csum_replace_by_diff(data + off, (uint32_t)r4);
		return 0;
	case 2:
		csum_replace(data + off, (uint16_t)r3, (uint16_t)r4);
		return 0;
	case 4:
		csum_replace(data + off, (uint32_t)r3, (uint32_t)r4);
		return 0;
	default:
		return ERR(-EINVAL);
	}
}

/* bpf_l4_csum_replace(skb, offset, from, to, flags) */
static uint64_t h_l4_csum_replace(PARAMS)
{
	size_t plen = 0;
	uint8_t *data = packet_of(r1, &plen, NULL);
	uint32_t off = (uint32_t)r2;
	int mmzero = !!(r5 & BPF_F_MARK_MANGLED_0);
	int mforce = !!(r5 & BPF_F_MARK_ENFORCE);
	uint16_t sum;

	if (r5 & ~(uint64_t)(BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR |
			     BPF_F_IPV6 | BPF_F_HDR_FIELD_MASK))
		return ERR(-EINVAL);
	if (!data || off > 0xffff || (uint64_t)off + 2 > plen)
		return ERR(-EFAULT);
	memcpy(&sum, data + off, 2);
	if (mmzero && !mforce && !sum)
		return 0; /* UDP without a checksum stays without */
	switch (r5 & BPF_F_HDR_FIELD_MASK) {
	case 0:
		if (r3)
			return ERR(-EINVAL);
		csum_replace_by_diff(data + off, (uint32_t)r4);
		break;
	case 2:
		csum_replace(data + off, (uint16_t)r3, (uint16_t)r4);
		break;
	case 4:
		csum_replace(data + off, (uint32_t)r3, (uint32_t)r4);
		break;
	default:
		return ERR(-EINVAL);
	}
	memcpy(&sum, data + off, 2);
	if (mmzero && !sum) {
		sum = CSUM_MANGLED_0;
		memcpy(data + off, &sum, 2);
	}
	return 0;
}

/* bpf_csum_diff(from, from_size, to, to_size, seed): csum_partial over
 * ~from then to, 32-bit words, as the kernel. */
static uint64_t h_csum_diff(PARAMS)
{
	const uint8_t *from = (const uint8_t *)(uintptr_t)r1;
	const uint8_t *to = (const uint8_t *)(uintptr_t)r3;
	uint32_t from_size = (uint32_t)r2, to_size = (uint32_t)r4, w;
	uint64_t sum = (uint32_t)r5;
	uint32_t i;

	if (((from_size | to_size) & 3) || (uint64_t)from_size + to_size > CSUM_SCRATCH)
		return ERR(-EINVAL);
	for (i = 0; i < from_size; i += 4) {
		memcpy(&w, from + i, 4);
		sum += (uint32_t)~w;
	}
	for (i = 0; i < to_size; i += 4) {
		memcpy(&w, to + i, 4);
		sum += w;
	}
	while (sum >> 32)
		sum = (sum & 0xffffffffu) + (sum >> 32);
	return sum;
}

static uint64_t h_redirect(PARAMS)
{
	/* One helper id, two meanings: the program type decides. */
	if (rt_cur.ctx && rt_cur.ctx->kind == RT_CTX_SKB)
		return (r2 & ~(uint64_t)BPF_F_INGRESS) ? TC_ACT_SHOT : TC_ACT_REDIRECT;
	return r2 ? XDP_ABORTED : XDP_REDIRECT;
}

static struct bvc_rt_ctx *xdp_ctx(uint64_t r1)
{
	struct bvc_rt_ctx *c = rt_ctx_from_dev((const void *)(uintptr_t)r1);

	return c && c->kind == RT_CTX_XDP ? c : NULL;
}

static uint64_t h_xdp_adjust_head(PARAMS)
{
	struct bvc_rt_ctx *c = xdp_ctx(r1);
	int32_t delta = (int32_t)r2;
	uint8_t **p, *data;
	size_t metalen;

	if (!c)
		return ERR(-EINVAL);
	p = rt_ctx_ptrs(c);
	metalen = (size_t)(p[0] - p[2]);
	data = p[0] + delta;
	if (data < c->buf + metalen || data > p[1] - ETH_HLEN)
		return ERR(-EINVAL);
	if (metalen)
		memmove(p[2] + delta, p[2], metalen);
	p[2] += delta;
	p[0] = data;
	return 0;
}

static uint64_t h_xdp_adjust_meta(PARAMS)
{
	struct bvc_rt_ctx *c = xdp_ctx(r1);
	int32_t delta = (int32_t)r2;
	uint8_t **p, *meta;
	size_t metalen;

	if (!c)
		return ERR(-EINVAL);
	p = rt_ctx_ptrs(c);
	meta = p[2] + delta;
	if (meta < c->buf || meta > p[0])
		return ERR(-EINVAL);
	metalen = (size_t)(p[0] - meta);
	if ((metalen & 3) || metalen > XDP_META_MAX)
		return ERR(-EACCES);
	p[2] = meta;
	return 0;
}

static uint64_t h_xdp_adjust_tail(PARAMS)
{
	struct bvc_rt_ctx *c = xdp_ctx(r1);
	int32_t delta = (int32_t)r2;
	uint8_t **p, *end;

	if (!c)
		return ERR(-EINVAL);
	p = rt_ctx_ptrs(c);
	end = p[1] + delta;
	if (end > c->buf + c->buf_size || end < p[0] + ETH_HLEN)
		return ERR(-EINVAL);
	if (delta > 0)
		memset(p[1], 0, (size_t)delta); /* grown bytes read as zero */
	p[1] = end;
	return 0;
}

/* ---- the table ---- */

/* The interpreter's signature around each helper: same function, same result. */
#define WRAP(name)                                                                   \
	static uint64_t i_##name(void *ctx, PARAMS)                                  \
	{                                                                            \
		return h_##name(r1, r2, r3, r4, r5);                                 \
	}
#define ENTRY(id, name) [id] = { h_##name, i_##name }

WRAP(map_lookup_elem)
WRAP(map_update_elem)
WRAP(map_delete_elem)
WRAP(probe_read)
WRAP(ktime_get_ns)
WRAP(trace_printk)
WRAP(get_prandom_u32)
WRAP(get_smp_processor_id)
WRAP(skb_store_bytes)
WRAP(l3_csum_replace)
WRAP(l4_csum_replace)
WRAP(tail_call)
WRAP(get_current_pid_tgid)
WRAP(get_current_uid_gid)
WRAP(get_current_comm)
WRAP(redirect)
WRAP(perf_event_output)
WRAP(skb_load_bytes)
WRAP(csum_diff)
WRAP(xdp_adjust_head)
WRAP(probe_read_str)
WRAP(xdp_adjust_meta)
WRAP(xdp_adjust_tail)
WRAP(ktime_get_boot_ns)
WRAP(ringbuf_output)
WRAP(ringbuf_reserve)
WRAP(ringbuf_submit)
WRAP(ringbuf_discard)
WRAP(ringbuf_query)

typedef uint64_t (*native_fn)(PARAMS);

static const struct {
	native_fn native;   /* what BVC_RELOC_HELPER slots get */
	bvc_helper_fn interp; /* what the interpreter calls */
} helpers[BPF_FUNC_ringbuf_query + 1] = {
	ENTRY(BPF_FUNC_map_lookup_elem, map_lookup_elem),
	ENTRY(BPF_FUNC_map_update_elem, map_update_elem),
	ENTRY(BPF_FUNC_map_delete_elem, map_delete_elem),
	ENTRY(BPF_FUNC_probe_read, probe_read),
	ENTRY(BPF_FUNC_ktime_get_ns, ktime_get_ns),
	ENTRY(BPF_FUNC_trace_printk, trace_printk),
	ENTRY(BPF_FUNC_get_prandom_u32, get_prandom_u32),
	ENTRY(BPF_FUNC_get_smp_processor_id, get_smp_processor_id),
	ENTRY(BPF_FUNC_skb_store_bytes, skb_store_bytes),
	ENTRY(BPF_FUNC_l3_csum_replace, l3_csum_replace),
	ENTRY(BPF_FUNC_l4_csum_replace, l4_csum_replace),
	ENTRY(BPF_FUNC_tail_call, tail_call),
	ENTRY(BPF_FUNC_get_current_pid_tgid, get_current_pid_tgid),
	ENTRY(BPF_FUNC_get_current_uid_gid, get_current_uid_gid),
	ENTRY(BPF_FUNC_get_current_comm, get_current_comm),
	ENTRY(BPF_FUNC_redirect, redirect),
	ENTRY(BPF_FUNC_perf_event_output, perf_event_output),
	ENTRY(BPF_FUNC_skb_load_bytes, skb_load_bytes),
	ENTRY(BPF_FUNC_csum_diff, csum_diff),
	ENTRY(BPF_FUNC_xdp_adjust_head, xdp_adjust_head),
	ENTRY(BPF_FUNC_probe_read_str, probe_read_str),
	ENTRY(BPF_FUNC_xdp_adjust_meta, xdp_adjust_meta),
	ENTRY(BPF_FUNC_xdp_adjust_tail, xdp_adjust_tail),
	/* On a device, user and kernel memory are this process's memory. */
	[BPF_FUNC_probe_read_user] = { h_probe_read, i_probe_read },
	[BPF_FUNC_probe_read_kernel] = { h_probe_read, i_probe_read },
	[BPF_FUNC_probe_read_user_str] = { h_probe_read_str, i_probe_read_str },
	[BPF_FUNC_probe_read_kernel_str] = { h_probe_read_str, i_probe_read_str },
	ENTRY(BPF_FUNC_ktime_get_boot_ns, ktime_get_boot_ns),
	ENTRY(BPF_FUNC_ringbuf_output, ringbuf_output),
	ENTRY(BPF_FUNC_ringbuf_reserve, ringbuf_reserve),
	ENTRY(BPF_FUNC_ringbuf_submit, ringbuf_submit),
	ENTRY(BPF_FUNC_ringbuf_discard, ringbuf_discard),
	ENTRY(BPF_FUNC_ringbuf_query, ringbuf_query),
};

#define NHELPERS (sizeof(helpers) / sizeof(helpers[0]))

int bvc_rt_helper_supported(int32_t id)
{
	return id > 0 && (size_t)id < NHELPERS && helpers[id].native;
}

size_t rt_helper_ids(uint32_t *ids, size_t max)
{
	size_t i, n = 0;

	for (i = 1; i < NHELPERS; i++) {
		if (!helpers[i].native)
			continue;
		if (n < max)
			ids[n] = (uint32_t)i;
		n++;
	}
	return n;
}

uint64_t rt_helper_addr(int32_t id)
{
	return bvc_rt_helper_supported(id) ? (uint64_t)(uintptr_t)helpers[id].native : 0;
}

bvc_helper_fn rt_interp_helper(void *ctx, int32_t id)
{
	return bvc_rt_helper_supported(id) ? helpers[id].interp : NULL;
}

/* ---- LD_ABS / LD_IND (enum bvc_rt_fn) ---- */

/* The big-endian @n bytes at packet offset @off64 of an skb context, or -1.
 * The offset is 32-bit and signed, as the interpreter reads it. */
static int64_t ld_abs(const void *ctx, int64_t off64, int n)
{
	const uint8_t *p = ctx, *data, *end;
	int32_t off = (int32_t)(uint32_t)off64;
	uint64_t v = 0;
	int k;

	memcpy(&data, p + BVC_DEVCTX_SKB_PTRS + BVC_DEVCTX_DATA, sizeof(data));
	memcpy(&end, p + BVC_DEVCTX_SKB_PTRS + BVC_DEVCTX_DATA_END, sizeof(end));
	if (off < 0 || (uint64_t)off + (uint64_t)n > (uint64_t)(end - data))
		return -1;
	for (k = 0; k < n; k++)
		v = (v << 8) | data[off + k];
	return (int64_t)v;
}

static int64_t ld_abs_b(const void *ctx, int64_t off)
{
	return ld_abs(ctx, off, 1);
}

static int64_t ld_abs_h(const void *ctx, int64_t off)
{
	return ld_abs(ctx, off, 2);
}

static int64_t ld_abs_w(const void *ctx, int64_t off)
{
	return ld_abs(ctx, off, 4);
}

uint64_t rt_intrinsic_addr(uint32_t fn)
{
	switch (fn) {
	case BVC_RT_LD_ABS_B: return (uint64_t)(uintptr_t)ld_abs_b;
	case BVC_RT_LD_ABS_H: return (uint64_t)(uintptr_t)ld_abs_h;
	case BVC_RT_LD_ABS_W: return (uint64_t)(uintptr_t)ld_abs_w;
	default: return 0;
	}
}
