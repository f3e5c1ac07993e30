// SPDX-License-Identifier: MIT
/*
 * The helpers a microcontroller can offer: map lookup, update and delete,
 * ktime as a counter, a pseudo-random number, the CPU number (one CPU:
 * 0), and bpf_trace_printk to the firmware's output (semihosting).
 * Anything else a blob asks for is refused when it is loaded
 * (bvc_bm_helper_supported), never at run time.
 *
 * Every helper is `uint64_t f(uint64_t r1, ..., uint64_t r5)` under AAPCS,
 * as jitter/thumbv7m/jit.c calls them: a pointer argument is its 64-bit
 * register's low word (pointers are 32 bits on the device).
 */
#include "bm_internal.h"

#define PARAMS uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5
#define UNUSED (void)r1, (void)r2, (void)r3, (void)r4, (void)r5
#define PTR(r) ((void *)(uintptr_t)(uint32_t)(r))

/* Helper ids: the kernel's enum bpf_func_id. */
enum {
	FUNC_map_lookup_elem = 1,
	FUNC_map_update_elem = 2,
	FUNC_map_delete_elem = 3,
	FUNC_ktime_get_ns = 5,
	FUNC_trace_printk = 6,
	FUNC_get_prandom_u32 = 7,
	FUNC_get_smp_processor_id = 8,
};

static void (*output)(const char *s);
static uint64_t ktime;
static uint32_t prandom = 0x2545f491;

void bvc_bm_set_output(void (*out)(const char *s))
{
	output = out;
}

static uint64_t h_map_lookup_elem(PARAMS)
{
	UNUSED;
	return (uintptr_t)bm_map_lookup(PTR(r1), PTR(r2));
}

static uint64_t h_map_update_elem(PARAMS)
{
	UNUSED;
	return (uint64_t)bm_map_update(PTR(r1), PTR(r2), PTR(r3), r4);
}

static uint64_t h_map_delete_elem(PARAMS)
{
	UNUSED;
	return (uint64_t)bm_map_delete(PTR(r1), PTR(r2));
}

/* No clock a program could rely on: a counter that only goes up, 1 us per
 * call, so that differences are positive and runs are reproducible. */
static uint64_t h_ktime_get_ns(PARAMS)
{
	UNUSED;
	ktime += 1000;
	return ktime;
}

/* xorshift32: not the kernel's generator, and no program may rely on
 * particular values. */
static uint64_t h_get_prandom_u32(PARAMS)
{
	UNUSED;
	prandom ^= prandom << 13;
	prandom ^= prandom >> 17;
	prandom ^= prandom << 5;
	return prandom;
}

static uint64_t h_get_smp_processor_id(PARAMS)
{
	UNUSED;
	return 0;
}

/* bpf_trace_printk(fmt, fmt_size, a, b, c) with runtime/helpers.c's rules,
 * so that a device's line is the host's: at most three conversions, %d %i
 * %u %x %X %c %p %% with an optional 0 and width; no l: 32 bits, l or ll:
 * 64; a trailing newline dropped. Unlike the host, %s and the flags
 * "-+ #" are refused (-EINVAL, nothing printed): the device cannot read an
 * arbitrary address without risking a bus fault, and its formatter is
 * small. Returns the line's length. */
static uint64_t h_trace_printk(PARAMS)
{
	const char *fmt = PTR(r1);
	uint64_t args[3] = { r3, r4, r5 }, v;
	char line[256], spec[16];
	size_t n = 0, k, width;
	unsigned used = 0, longs;
	uint32_t i, len = (uint32_t)r2;

	for (i = 0; i < len && fmt[i]; i++)
		;
	if (!len || i == len)
		return (uint64_t)-BVC_BM_EINVAL; /* no NUL inside fmt_size */
	for (i = 0; fmt[i]; i++) {
		if (fmt[i] != '%') {
			if (n + 1 < sizeof(line))
				line[n++] = fmt[i];
			continue;
		}
		if (fmt[i + 1] == '%') {
			if (n + 1 < sizeof(line))
				line[n++] = '%';
			i++;
			continue;
		}
		k = 0;
		spec[k++] = '%';
		i++;
		if (fmt[i] == '0')
			spec[k++] = fmt[i++];
		for (width = 0; fmt[i] >= '0' && fmt[i] <= '9' && width < 3; width++)
			spec[k++] = fmt[i++];
		for (longs = 0; fmt[i] == 'l' && longs < 2; longs++)
			i++;
		if (used >= 3 || (fmt[i] >= '0' && fmt[i] <= '9'))
			return (uint64_t)-BVC_BM_EINVAL;
		v = args[used++];
		switch (fmt[i]) {
		case 'd':
		case 'i':
			spec[k++] = 'l', spec[k++] = 'l', spec[k++] = 'd', spec[k] = '\0';
			n += bvc_bm_fmt(line + n, sizeof(line) - n, spec,
					longs ? (long long)v : (long long)(int32_t)v);
			break;
		case 'u':
		case 'x':
		case 'X':
			spec[k++] = 'l', spec[k++] = 'l', spec[k++] = fmt[i], spec[k] = '\0';
			n += bvc_bm_fmt(line + n, sizeof(line) - n, spec,
					longs ? (unsigned long long)v
					      : (unsigned long long)(uint32_t)v);
			break;
		case 'c':
			if (longs)
				return (uint64_t)-BVC_BM_EINVAL;
			spec[k++] = 'c', spec[k] = '\0';
			n += bvc_bm_fmt(line + n, sizeof(line) - n, spec, (int)(uint8_t)v);
			break;
		case 'p':
			if (longs || k > 1)
				return (uint64_t)-BVC_BM_EINVAL;
			if (fmt[i + 1] == 'K' || fmt[i + 1] == 'x')
				i++;
			n += bvc_bm_fmt(line + n, sizeof(line) - n, "0x%llx",
					(unsigned long long)v);
			break;
		default:
			return (uint64_t)-BVC_BM_EINVAL;
		}
	}
	line[n] = '\0';
	if (output) {
		size_t o = n;

		if (o && line[o - 1] == '\n')
			line[--o] = '\0';
		output(line);
	}
	return n;
}

typedef uint64_t (*helper_fn)(PARAMS);

static helper_fn lookup(uint32_t id)
{
	switch (id) {
	case FUNC_map_lookup_elem:
		return h_map_lookup_elem;
	case FUNC_map_update_elem:
		return h_map_update_elem;
	case FUNC_map_delete_elem:
		return h_map_delete_elem;
	case FUNC_ktime_get_ns:
		return h_ktime_get_ns;
	case FUNC_trace_printk:
		return h_trace_printk;
	case FUNC_get_prandom_u32:
		return h_get_prandom_u32;
	case FUNC_get_smp_processor_id:
		return h_get_smp_processor_id;
	default:
		return (helper_fn)0;
	}
}

int bvc_bm_helper_supported(uint32_t id)
{
	return lookup(id) != (helper_fn)0;
}

uintptr_t bm_helper_addr(uint32_t id)
{
	/* A C function's address already has the Thumb bit set. */
	return (uintptr_t)lookup(id);
}
