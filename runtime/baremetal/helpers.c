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

/* bpf_trace_printk(fmt, fmt_size, a, b, c): the kernel's conversions (up
 * to three, %d %i %u %x with l and ll, %s is not offered: a device string
 * would need the kernel's safe copy) with every argument as 64 bits. */
static uint64_t h_trace_printk(PARAMS)
{
	const char *fmt = PTR(r1);
	uint64_t args[3] = { r3, r4, r5 };
	char line[128], spec[8];
	size_t n = 0, k;
	unsigned used = 0;

	for (uint32_t i = 0; i < (uint32_t)r2 && fmt[i] && n + 1 < sizeof(line); i++) {
		if (fmt[i] != '%' || used == 3) {
			line[n++] = fmt[i];
			continue;
		}
		k = 0;
		spec[k++] = fmt[i++];
		while (i < (uint32_t)r2 && fmt[i] == 'l' && k < 4)
			spec[k++] = fmt[i++];
		if (i >= (uint32_t)r2 ||
		    (fmt[i] != 'd' && fmt[i] != 'i' && fmt[i] != 'u' && fmt[i] != 'x')) {
			if (i < (uint32_t)r2 && fmt[i] == '%')
				line[n++] = '%';
			continue;
		}
		spec[0] = '%', spec[1] = 'l', spec[2] = 'l', spec[3] = fmt[i], spec[4] = '\0';
		n += fmt[i] == 'd' || fmt[i] == 'i'
			     ? bvc_bm_fmt(line + n, sizeof(line) - n, spec, (long long)args[used])
			     : bvc_bm_fmt(line + n, sizeof(line) - n, spec,
					  (unsigned long long)args[used]);
		used++;
	}
	line[n] = '\0';
	if (output)
		output(line);
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
