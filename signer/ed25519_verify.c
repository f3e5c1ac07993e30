// SPDX-License-Identifier: MIT
/*
 * Ed25519 verification, freestanding (see include/bpfvc/ed25519.h).
 *
 * Field elements mod p = 2^255 - 19 are 16 limbs of 16 bits in int64_t
 * (limb i weighs 2^(16 i)): products of two limbs and their sums fit in 64
 * bits, and 2^256 = 38 mod p folds the upper half of a product back. Points
 * are in extended twisted-Edwards coordinates (X:Y:Z:T), x = X/Z, y = Y/Z,
 * xy = T/Z, added with the unified formula for a = -1 (it also doubles).
 * [S]B - [k]A is one interleaved double-and-add over both scalars (Shamir).
 * Scalars mod L are reduced bit by bit: 512 shift-subtracts of 9 words,
 * nothing beside the 256 doublings.
 *
 * Must not: call libc (the device may have none), allocate, or accept
 * what OpenSSL's check refuses.
 */
#include "bpfvc/ed25519.h"

typedef int64_t fe[16];

/* --- SHA-512 (FIPS 180-4) -------------------------------------------------- */

static const uint64_t sha_k[80] = {
	0x428a2f98d728ae22ull, 0x7137449123ef65cdull, 0xb5c0fbcfec4d3b2full, 0xe9b5dba58189dbbcull,
	0x3956c25bf348b538ull, 0x59f111f1b605d019ull, 0x923f82a4af194f9bull, 0xab1c5ed5da6d8118ull,
	0xd807aa98a3030242ull, 0x12835b0145706fbeull, 0x243185be4ee4b28cull, 0x550c7dc3d5ffb4e2ull,
	0x72be5d74f27b896full, 0x80deb1fe3b1696b1ull, 0x9bdc06a725c71235ull, 0xc19bf174cf692694ull,
	0xe49b69c19ef14ad2ull, 0xefbe4786384f25e3ull, 0x0fc19dc68b8cd5b5ull, 0x240ca1cc77ac9c65ull,
	0x2de92c6f592b0275ull, 0x4a7484aa6ea6e483ull, 0x5cb0a9dcbd41fbd4ull, 0x76f988da831153b5ull,
	0x983e5152ee66dfabull, 0xa831c66d2db43210ull, 0xb00327c898fb213full, 0xbf597fc7beef0ee4ull,
	0xc6e00bf33da88fc2ull, 0xd5a79147930aa725ull, 0x06ca6351e003826full, 0x142929670a0e6e70ull,
	0x27b70a8546d22ffcull, 0x2e1b21385c26c926ull, 0x4d2c6dfc5ac42aedull, 0x53380d139d95b3dfull,
	0x650a73548baf63deull, 0x766a0abb3c77b2a8ull, 0x81c2c92e47edaee6ull, 0x92722c851482353bull,
	0xa2bfe8a14cf10364ull, 0xa81a664bbc423001ull, 0xc24b8b70d0f89791ull, 0xc76c51a30654be30ull,
	0xd192e819d6ef5218ull, 0xd69906245565a910ull, 0xf40e35855771202aull, 0x106aa07032bbd1b8ull,
	0x19a4c116b8d2d0c8ull, 0x1e376c085141ab53ull, 0x2748774cdf8eeb99ull, 0x34b0bcb5e19b48a8ull,
	0x391c0cb3c5c95a63ull, 0x4ed8aa4ae3418acbull, 0x5b9cca4f7763e373ull, 0x682e6ff3d6b2b8a3ull,
	0x748f82ee5defb2fcull, 0x78a5636f43172f60ull, 0x84c87814a1f0ab72ull, 0x8cc702081a6439ecull,
	0x90befffa23631e28ull, 0xa4506cebde82bde9ull, 0xbef9a3f7b2c67915ull, 0xc67178f2e372532bull,
	0xca273eceea26619cull, 0xd186b8c721c0c207ull, 0xeada7dd6cde0eb1eull, 0xf57d4f7fee6ed178ull,
	0x06f067aa72176fbaull, 0x0a637dc5a2c898a6ull, 0x113f9804bef90daeull, 0x1b710b35131c471bull,
	0x28db77f523047d84ull, 0x32caab7b40c72493ull, 0x3c9ebe0a15c9bebcull, 0x431d67c49c100d4cull,
	0x4cc5d4becb3e42b6ull, 0x597f299cfc657e2aull, 0x5fcb6fab3ad6faecull, 0x6c44198c4a475817ull,
};

static uint64_t ror64(uint64_t x, int n)
{
	return x >> n | x << (64 - n);
}

static void sha512_block(uint64_t h[8], const uint8_t *p)
{
	uint64_t w[80], v[8], t1, t2;
	int i;

	for (i = 0; i < 16; i++) {
		w[i] = 0;
		for (int b = 0; b < 8; b++)
			w[i] = w[i] << 8 | p[8 * i + b];
	}
	for (; i < 80; i++)
		w[i] = w[i - 16] + (ror64(w[i - 15], 1) ^ ror64(w[i - 15], 8) ^ w[i - 15] >> 7) +
		       w[i - 7] + (ror64(w[i - 2], 19) ^ ror64(w[i - 2], 61) ^ w[i - 2] >> 6);
	for (i = 0; i < 8; i++)
		v[i] = h[i];
	for (i = 0; i < 80; i++) {
		t1 = v[7] + (ror64(v[4], 14) ^ ror64(v[4], 18) ^ ror64(v[4], 41)) +
		     ((v[4] & v[5]) ^ (~v[4] & v[6])) + sha_k[i] + w[i];
		t2 = (ror64(v[0], 28) ^ ror64(v[0], 34) ^ ror64(v[0], 39)) +
		     ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		for (int k = 7; k > 0; k--)
			v[k] = v[k - 1];
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		h[i] += v[i];
}

/* The hash of the concatenation of up to three pieces (R, A, M). */
static void sha512_3(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
		     const uint8_t *c, size_t clen, uint8_t out[64])
{
	uint64_t h[8] = { 0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull,
			  0xa54ff53a5f1d36f1ull, 0x510e527fade682d1ull, 0x9b05688c2b3e6c1full,
			  0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull };
	const uint8_t *piece[3] = { a, b, c };
	size_t plen[3] = { alen, blen, clen }, fill = 0, total = alen + blen + clen;
	uint8_t buf[128];

	for (int k = 0; k < 3; k++)
		for (size_t i = 0; i < plen[k]; i++) {
			buf[fill++] = piece[k][i];
			if (fill == 128) {
				sha512_block(h, buf);
				fill = 0;
			}
		}
	buf[fill++] = 0x80;
	if (fill > 112) {
		while (fill < 128)
			buf[fill++] = 0;
		sha512_block(h, buf);
		fill = 0;
	}
	while (fill < 120)
		buf[fill++] = 0; /* the upper 64 bits of the 128-bit length: 0 */
	for (int byte = 7; byte >= 0; byte--)
		buf[fill++] = (uint8_t)((uint64_t)total << 3 >> (8 * byte));
	sha512_block(h, buf);
	for (int i = 0; i < 64; i++)
		out[i] = (uint8_t)(h[i / 8] >> (56 - 8 * (i % 8)));
}

void bvc_sha512(const uint8_t *msg, size_t len, uint8_t out[64])
{
	sha512_3(msg, len, 0, 0, 0, 0, out);
}

/* --- the field ------------------------------------------------------------- */

static void fe_copy(fe r, const fe a)
{
	for (int i = 0; i < 16; i++)
		r[i] = a[i];
}

static void fe_set(fe r, int64_t v)
{
	r[0] = v;
	for (int i = 1; i < 16; i++)
		r[i] = 0;
}

/* Limbs back to 16 bits each (signed), the top carry folded as 38. */
static void fe_carry(fe r)
{
	for (int i = 0; i < 16; i++) {
		int64_t c = r[i] >> 16; /* arithmetic: floor division */

		r[i] -= c * 65536;
		if (i < 15)
			r[i + 1] += c;
		else
			r[0] += 38 * c;
	}
}

static void fe_add(fe r, const fe a, const fe b)
{
	for (int i = 0; i < 16; i++)
		r[i] = a[i] + b[i];
}

static void fe_sub(fe r, const fe a, const fe b)
{
	for (int i = 0; i < 16; i++)
		r[i] = a[i] - b[i];
}

static void fe_mul(fe r, const fe a, const fe b)
{
	int64_t t[31] = { 0 };

	for (int i = 0; i < 16; i++)
		for (int k = 0; k < 16; k++)
			t[i + k] += a[i] * b[k];
	for (int i = 0; i < 15; i++)
		t[i] += 38 * t[i + 16];
	for (int i = 0; i < 16; i++)
		r[i] = t[i];
	fe_carry(r);
	fe_carry(r);
}

/* @a to the power p - 2 = 2^255 - 21 (the inverse) when !@sqrt, else to
 * (p - 5) / 8 = 2^252 - 3 (for square roots): square and multiply from
 * the top bit. p - 2 has every bit below 255 set but bits 2 and 4;
 * 2^252 - 3 every bit below 252 but bit 1. */
static void fe_pow(fe r, const fe a, int sqrt)
{
	int top = sqrt ? 251 : 254;
	fe c;

	fe_copy(c, a);
	for (int bit = top - 1; bit >= 0; bit--) {
		fe_mul(c, c, c);
		if (sqrt ? bit != 1 : (bit != 2 && bit != 4))
			fe_mul(c, c, a);
	}
	fe_copy(r, c);
}

/* Canonical little-endian bytes (fully reduced mod p). */
static void fe_pack(uint8_t out[32], const fe a)
{
	fe t, m;

	fe_copy(t, a);
	fe_carry(t);
	fe_carry(t);
	fe_carry(t);
	for (int pass = 0; pass < 2; pass++) {
		/* m = t - p; keep it if no borrow */
		m[0] = t[0] - 0xffed;
		for (int i = 1; i < 15; i++) {
			m[i] = t[i] - 0xffff - ((m[i - 1] >> 16) & 1);
			m[i - 1] &= 0xffff;
		}
		m[15] = t[15] - 0x7fff - ((m[14] >> 16) & 1);
		m[14] &= 0xffff;
		if (!((m[15] >> 16) & 1)) /* no borrow: t >= p */
			fe_copy(t, m);
	}
	for (int i = 0; i < 16; i++) {
		out[2 * i] = (uint8_t)t[i];
		out[2 * i + 1] = (uint8_t)(t[i] >> 8);
	}
}

static void fe_unpack(fe r, const uint8_t in[32])
{
	for (int i = 0; i < 16; i++)
		r[i] = in[2 * i] | (int64_t)in[2 * i + 1] << 8;
	r[15] &= 0x7fff;
}

static int bytes_eq(const uint8_t *a, const uint8_t *b, int n)
{
	int d = 0;

	for (int i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

static int fe_eq(const fe a, const fe b)
{
	uint8_t x[32], y[32];

	fe_pack(x, a);
	fe_pack(y, b);
	return bytes_eq(x, y, 32);
}

/* Bit 0 of the canonical value: the sign of x in an encoding. */
static int fe_parity(const fe a)
{
	uint8_t x[32];

	fe_pack(x, a);
	return x[0] & 1;
}

/* --- the curve -------------------------------------------------------------- */

/* -121665/121666 and sqrt(-1), as field elements (16-bit limbs, low first). */
static const fe ed_d = { 0x78a3, 0x1359, 0x4dca, 0x75eb, 0xd8ab, 0x4141, 0x0a4d, 0x0070,
			 0xe898, 0x7779, 0x4079, 0x8cc7, 0xfe73, 0x2b6f, 0x6cee, 0x5203 };
static const fe ed_d2 = { 0xf159, 0x26b2, 0x9b94, 0xebd6, 0xb156, 0x8283, 0x149a, 0x00e0,
			  0xd130, 0xeef3, 0x80f2, 0x198e, 0xfce7, 0x56df, 0xd9dc, 0x2406 };
static const fe sqrt_m1 = { 0xa0b0, 0x4a0e, 0x1b27, 0xc4ee, 0xe478, 0xad2f, 0x1806, 0x2f43,
			    0xd7a7, 0x3dfb, 0x0099, 0x2b4d, 0xdf0b, 0x4fc1, 0x2480, 0x2b83 };
static const fe base_x = { 0xd51a, 0x8f25, 0x2d60, 0xc956, 0xa7b2, 0x9525, 0xc760, 0x692c,
			   0xdc5c, 0xfdd6, 0xe231, 0xc0a4, 0x53fe, 0xcd6e, 0x36d3, 0x2169 };
static const fe base_y = { 0x6658, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666,
			   0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666 };

struct point {
	fe x, y, z, t;
};

/* r = p + q (unified: also doubles), a = -1. */
static void pt_add(struct point *r, const struct point *p, const struct point *q)
{
	fe a, b, c, d, e, f, g, h, t;

	fe_sub(a, p->y, p->x);
	fe_sub(t, q->y, q->x);
	fe_mul(a, a, t);
	fe_add(b, p->y, p->x);
	fe_add(t, q->y, q->x);
	fe_mul(b, b, t);
	fe_mul(c, p->t, q->t);
	fe_mul(c, c, ed_d2);
	fe_mul(d, p->z, q->z);
	fe_add(d, d, d);
	fe_sub(e, b, a);
	fe_sub(f, d, c);
	fe_add(g, d, c);
	fe_add(h, b, a);
	fe_mul(r->x, e, f);
	fe_mul(r->y, h, g);
	fe_mul(r->z, g, f);
	fe_mul(r->t, e, h);
}

static void pt_encode(uint8_t out[32], const struct point *p)
{
	fe zi, x, y;

	fe_pow(zi, p->z, 0);
	fe_mul(x, p->x, zi);
	fe_mul(y, p->y, zi);
	fe_pack(out, y);
	out[31] ^= (uint8_t)(fe_parity(x) << 7);
}

/* The point of encoding @in, negated (what the check needs: -A); 0 if it
 * does not decode (RFC 8032 5.1.3). */
static int pt_decode_neg(struct point *r, const uint8_t in[32])
{
	fe u, v, v3, t, chk;
	uint8_t y[32];

	fe_unpack(r->y, in);
	fe_pack(y, r->y);
	for (int i = 0; i < 31; i++)
		if (y[i] != in[i])
			return 0; /* y >= p: not canonical */
	if (y[31] != (in[31] & 0x7f))
		return 0;
	fe_set(r->z, 1);
	fe_mul(u, r->y, r->y);
	fe_mul(v, u, ed_d);
	fe_sub(u, u, r->z); /* u = y^2 - 1 */
	fe_add(v, v, r->z); /* v = d y^2 + 1 */
	/* x = u v^3 (u v^7)^((p-5)/8) */
	fe_mul(v3, v, v);
	fe_mul(v3, v3, v);
	fe_mul(t, v3, v3);
	fe_mul(t, t, v);
	fe_mul(t, t, u);
	fe_pow(t, t, 1);
	fe_mul(t, t, v3);
	fe_mul(r->x, t, u);
	fe_mul(chk, r->x, r->x);
	fe_mul(chk, chk, v);
	if (!fe_eq(chk, u)) {
		fe_sub(t, r->z, r->z);
		fe_sub(t, t, u);
		if (!fe_eq(chk, t))
			return 0; /* no square root */
		fe_mul(r->x, r->x, sqrt_m1);
	}
	fe_set(t, 0);
	if (fe_eq(r->x, t) && (in[31] >> 7))
		return 0; /* x = 0 with the sign bit set */
	if (fe_parity(r->x) == (in[31] >> 7)) /* negate: the opposite sign */
		fe_sub(r->x, t, r->x);
	fe_mul(r->t, r->x, r->y);
	return 1;
}

/* --- scalars mod L ---------------------------------------------------------- */

/* L = 2^252 + 27742317777372353535851937790883648493, 32-bit words, low first. */
static const uint32_t order[8] = { 0x5cf5d3ed, 0x5812631a, 0xa2f79cd6, 0x14def9de,
				   0x00000000, 0x00000000, 0x00000000, 0x10000000 };

/* r (9 words) >= L? */
static int ge_order(const uint32_t r[9])
{
	if (r[8])
		return 1;
	for (int i = 7; i >= 0; i--)
		if (r[i] != order[i])
			return r[i] > order[i];
	return 1;
}

/* @out (32 bytes) = the @n-byte little-endian number @in mod L. */
static void mod_order(uint8_t out[32], const uint8_t *in, int n)
{
	uint32_t r[9] = { 0 };

	for (int bit = 8 * n - 1; bit >= 0; bit--) {
		for (int i = 8; i > 0; i--)
			r[i] = r[i] << 1 | r[i - 1] >> 31;
		r[0] = r[0] << 1 | ((in[bit / 8] >> (bit % 8)) & 1);
		if (ge_order(r)) {
			uint64_t borrow = 0;

			for (int i = 0; i < 9; i++) {
				uint64_t d = (uint64_t)r[i] - (i < 8 ? order[i] : 0) - borrow;

				r[i] = (uint32_t)d;
				borrow = d >> 63;
			}
		}
	}
	for (int i = 0; i < 32; i++)
		out[i] = (uint8_t)(r[i / 4] >> (8 * (i % 4)));
}

/* --- the check ---------------------------------------------------------------- */

int bvc_ed25519_verify(const uint8_t sig[64], const uint8_t *msg, size_t len,
		       const uint8_t pub[32])
{
	struct point a, b, p;
	uint8_t h[64], k[32], s[32], rcheck[32];

	if (!sig || !pub || (!msg && len))
		return 0;
	/* S < L: reduced, the same 32 bytes back */
	mod_order(s, sig + 32, 32);
	if (!bytes_eq(s, sig + 32, 32))
		return 0;
	if (!pt_decode_neg(&a, pub))
		return 0;
	sha512_3(sig, 32, pub, 32, msg, len, h);
	mod_order(k, h, 64);
	fe_copy(b.x, base_x);
	fe_copy(b.y, base_y);
	fe_set(b.z, 1);
	fe_mul(b.t, base_x, base_y);
	/* p = [S]B + [k](-A), both scalars' bits from the top */
	fe_set(p.x, 0);
	fe_set(p.y, 1);
	fe_set(p.z, 1);
	fe_set(p.t, 0);
	for (int bit = 255; bit >= 0; bit--) {
		pt_add(&p, &p, &p);
		if ((s[bit / 8] >> (bit % 8)) & 1)
			pt_add(&p, &p, &b);
		if ((k[bit / 8] >> (bit % 8)) & 1)
			pt_add(&p, &p, &a);
	}
	pt_encode(rcheck, &p);
	return bytes_eq(rcheck, sig, 32);
}
