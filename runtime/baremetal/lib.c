// SPDX-License-Identifier: MIT
/*
 * The few libc pieces the bare-metal runtime needs, written out because
 * the device has no libc: a printf subset for messages and
 * bpf_trace_printk, and SHA-256 for the blob's key id (Ed25519 brings its
 * own SHA-512). mem* are in mem.c, which only the device links: the host
 * tests (tests/firmware) build these files against the host's libc.
 */
#include "baremetal.h"

struct out {
	char *buf;
	size_t sz, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->sz)
		o->buf[o->len++] = c;
}

static void put_num(struct out *o, uint64_t v, int neg, unsigned base, unsigned width, char pad,
		    int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	unsigned n = 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	while (width > n) {
		put(o, pad);
		width--;
	}
	while (n)
		put(o, tmp[--n]);
}

size_t bvc_bm_vfmt(char *buf, size_t sz, const char *fmt, va_list ap)
{
	struct out o = { buf, sz, 0 };

	for (; *fmt; fmt++) {
		unsigned width = 0, lng = 0;
		char pad = ' ';
		uint64_t u;
		int64_t s;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned)(*fmt++ - '0');
		/* lng: 0 int, 1 long, 2 long long (size_t is whichever fits) */
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			lng = *fmt == 'z' ? (sizeof(size_t) == 8 ? 2 : 1) : lng + 1;
		switch (*fmt) {
		case 's': {
			const char *str = va_arg(ap, const char *);

			while (str && *str)
				put(&o, *str++);
			break;
		}
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 'd':
		case 'i':
			s = lng >= 2 ? va_arg(ap, long long)
			    : lng    ? va_arg(ap, long)
				     : va_arg(ap, int);
			put_num(&o, s < 0 ? 0 - (uint64_t)s : (uint64_t)s, s < 0, 10, width, pad,
				0);
			break;
		case 'u':
		case 'x':
		case 'X':
			u = lng >= 2 ? va_arg(ap, unsigned long long)
			    : lng    ? va_arg(ap, unsigned long)
				     : va_arg(ap, unsigned);
			put_num(&o, u, 0, *fmt == 'u' ? 10 : 16, width, pad, *fmt == 'X');
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			put(&o, '%');
			put(&o, *fmt);
		}
	}
	if (sz)
		buf[o.len] = '\0';
	return o.len;
}

size_t bvc_bm_fmt(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = bvc_bm_vfmt(buf, sz, fmt, ap);
	va_end(ap);
	return n;
}

/* SHA-256, FIPS 180-4 section 6.2. */
static const uint32_t K256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 64; i++)
		w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       w[i - 7] + (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
	for (i = 0; i < 64; i++) {
		t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] +
		     w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

void bvc_bm_sha256(const uint8_t *msg, size_t len, uint8_t out[32])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	uint8_t last[128];
	size_t full = len & ~(size_t)63, rest = len - full, n;
	uint64_t bits = (uint64_t)len * 8;
	int i;

	for (size_t off = 0; off < full; off += 64)
		sha256_block(h, msg + off);
	memset(last, 0, sizeof(last));
	memcpy(last, msg + full, rest);
	last[rest] = 0x80;
	n = rest + 1 + 8 <= 64 ? 64 : 128;
	for (i = 0; i < 8; i++)
		last[n - 1 - i] = (uint8_t)(bits >> (8 * i));
	for (size_t off = 0; off < n; off += 64)
		sha256_block(h, last + off);
	for (i = 0; i < 32; i++)
		out[i] = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
}
