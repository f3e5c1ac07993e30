// SPDX-License-Identifier: MIT
/*
 * Wire messages: every field survives a round trip; every prefix, random
 * byte string and mutation of a valid frame is either refused with a
 * message or decodes to something that itself round-trips; hand-forged
 * frames (built here byte by byte, not with the encoder under test) with a
 * wrong version, oversized strings or protobuf tricks are refused with the
 * errno and wording the header promises.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/state_serial.h"
#include "wire_eq.h"

#define V BVC_WIRE_PROTOCOL_VERSION

/* --- a tiny protobuf writer for forging frames --------------------------- */

struct forge {
	uint8_t b[4096];
	size_t n;
};

static void put_byte(struct forge *f, uint8_t v)
{
	cr_assert_lt(f->n, sizeof(f->b));
	f->b[f->n++] = v;
}

static void put_varint(struct forge *f, uint64_t v)
{
	while (v >= 0x80) {
		put_byte(f, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	put_byte(f, (uint8_t)v);
}

static void put_tag(struct forge *f, unsigned field, unsigned wt)
{
	put_varint(f, (uint64_t)field << 3 | wt);
}

static void put_uint(struct forge *f, unsigned field, uint64_t v)
{
	put_tag(f, field, 0);
	put_varint(f, v);
}

static void put_bytes(struct forge *f, unsigned field, const void *p, size_t len)
{
	put_tag(f, field, 2);
	put_varint(f, len);
	cr_assert_leq(f->n + len, sizeof(f->b));
	memcpy(f->b + f->n, p, len);
	f->n += len;
}

static void put_msg(struct forge *f, unsigned field, const struct forge *sub)
{
	put_bytes(f, field, sub->b, sub->n);
}

/* A Hello body with the given version and build id (len bytes). */
static void forge_hello(struct forge *h, uint32_t version, const char *id, size_t len,
			uint32_t cores)
{
	memset(h, 0, sizeof(*h));
	put_uint(h, 1, version);
	put_bytes(h, 2, id, len);
	put_uint(h, 3, cores);
}

/* An envelope around @body in oneof field @field. */
static void forge_env(struct forge *e, uint32_t version, unsigned field, const struct forge *body)
{
	memset(e, 0, sizeof(*e));
	put_uint(e, 1, version);
	put_msg(e, field, body);
}

static int decode(const struct forge *f, struct bvc_wire_msg *m, char *err, size_t errsz)
{
	err[0] = '\0';
	return bvc_wire_decode(f->b, f->n, m, err, errsz);
}

/* --- round trips --------------------------------------------------------- */

static void roundtrip(const struct bvc_wire_msg *in)
{
	struct bvc_wire_msg out;
	char err[256] = "";
	size_t len;
	void *buf;

	cr_assert_eq(bvc_wire_encode(in, &buf, &len, err, sizeof(err)), 0, "encode: %s", err);
	cr_assert_gt(len, 0);
	cr_assert_eq(bvc_wire_decode(buf, len, &out, err, sizeof(err)), 0, "decode: %s", err);
	free(buf);
	wire_assert_eq(in, &out);
	bvc_wire_msg_release(&out);
}

Test(serial, roundtrip_hello)
{
	struct bvc_wire_msg m;
	uint32_t cores[] = { 0, 1, 127, 128, UINT32_MAX };
	size_t i;

	for (i = 0; i < sizeof(cores) / sizeof(cores[0]); i++) {
		bvc_wire_hello_init(&m, cores[i]);
		cr_assert_str_eq(m.u.hello.build_id, bvc_wire_build_id());
		roundtrip(&m);
	}
	/* The longest build id, using the whole alphabet's edges. */
	bvc_wire_hello_init(&m, 2);
	memset(m.u.hello.build_id, '~', BVC_WIRE_BUILD_ID_MAX);
	m.u.hello.build_id[0] = '!';
	m.u.hello.build_id[BVC_WIRE_BUILD_ID_MAX] = '\0';
	roundtrip(&m);
}

Test(serial, roundtrip_heartbeat_cancel_reject)
{
	uint64_t vals[] = { 1, 127, 128, 1ull << 32, UINT64_MAX };
	struct bvc_wire_msg m;
	size_t i;

	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_HEARTBEAT;
	m.u.heartbeat.processed_insns = 0;
	roundtrip(&m);
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.kind = BVC_WIRE_HEARTBEAT;
		m.u.heartbeat.processed_insns = vals[i];
		m.u.heartbeat.job_id = vals[(i + 1) % (sizeof(vals) / sizeof(vals[0]))];
		roundtrip(&m);

		memset(&m, 0, sizeof(m));
		m.kind = BVC_WIRE_CANCEL;
		m.u.cancel.job_id = vals[i];
		roundtrip(&m);

		memset(&m, 0, sizeof(m));
		m.kind = BVC_WIRE_REJECT;
		m.u.reject.kind = i % 3 == 0 ? BVC_REJECT : i % 3 == 1 ? BVC_UNSUPPORTED : BVC_INTERNAL;
		m.u.reject.job_id = vals[i];
		m.u.reject.insn = vals[sizeof(vals) / sizeof(vals[0]) - 1 - i];
		snprintf(m.u.reject.message, sizeof(m.u.reject.message),
			 "R1 invalid mem access 'scalar'");
		roundtrip(&m);
	}
	/* insn 0 and the longest message. */
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_REJECT;
	m.u.reject.kind = BVC_REJECT;
	m.u.reject.job_id = 7;
	memset(m.u.reject.message, ' ', BVC_WIRE_MESSAGE_MAX);
	m.u.reject.message[0] = 'x';
	roundtrip(&m);
	/* With the failing path's trail: 1, 8, 9 and 1000 decisions. */
	{
		static uint8_t trail[125];
		static const uint32_t lens[] = { 1, 8, 9, 1000 };

		for (size_t k = 0; k < sizeof(trail); k++)
			trail[k] = (uint8_t)(k * 37 + 5);
		for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			memset(&m, 0, sizeof(m));
			m.kind = BVC_WIRE_REJECT;
			m.u.reject.kind = BVC_REJECT;
			m.u.reject.job_id = 8;
			m.u.reject.insn = 3;
			snprintf(m.u.reject.message, sizeof(m.u.reject.message), "R0 !read_ok");
			m.u.reject.trail = trail;
			m.u.reject.trail_len = lens[k];
			roundtrip(&m);
		}
	}
}

Test(serial, roundtrip_done_with_demands)
{
	struct bvc_wire_msg m;

	for (uint32_t n = 0; n <= BVC_VIEW_MAX_FRAMES; n++) {
		memset(&m, 0, sizeof(m));
		m.kind = BVC_WIRE_DONE;
		m.u.done.job_id = 9;
		m.u.done.work_id = 1000 + n;
		m.u.done.demand.nframes = n;
		m.u.done.demand.all = n == 3;
		for (uint32_t f = 0; f < n; f++) {
			m.u.done.demand.regs[f] = (uint16_t)(0x3ff >> f);
			m.u.done.demand.slots[f] = f & 1 ? UINT64_MAX : 1ull << (63 - f);
		}
		roundtrip(&m);
	}
}

Test(serial, build_id_shape)
{
	const char *id = bvc_wire_build_id();
	size_t i;

	cr_assert_eq(strncmp(id, "bpfvc-", 6), 0, "%s", id);
	cr_assert_leq(strlen(id), BVC_WIRE_BUILD_ID_MAX);
	for (i = 0; id[i]; i++)
		cr_assert(id[i] > ' ' && id[i] < 0x7f, "%s", id);
}

/* --- truncation, random bytes, mutations ------------------------------------ */

static void encode_all(void *bufs[4], size_t lens[4])
{
	struct bvc_wire_msg m[4];
	char err[256];
	int i;

	memset(m, 0, sizeof(m));
	bvc_wire_hello_init(&m[0], 3);
	m[1].kind = BVC_WIRE_HEARTBEAT;
	m[1].u.heartbeat.processed_insns = 123456789012ull;
	m[2].kind = BVC_WIRE_CANCEL;
	m[2].u.cancel.job_id = 42;
	m[3].kind = BVC_WIRE_REJECT;
	m[3].u.reject.kind = BVC_REJECT;
	m[3].u.reject.job_id = 42;
	m[3].u.reject.insn = 17;
	strcpy(m[3].u.reject.message, "infinite loop detected at insn 17");
	for (i = 0; i < 4; i++)
		cr_assert_eq(bvc_wire_encode(&m[i], &bufs[i], &lens[i], err, sizeof(err)), 0,
			     "%s", err);
}

Test(serial, truncated_at_every_length)
{
	void *bufs[4];
	size_t lens[4], n;
	int i;

	encode_all(bufs, lens);
	for (i = 0; i < 4; i++) {
		for (n = 0; n < lens[i]; n++) {
			struct bvc_wire_msg m;
			char err[256] = "";
			/* A copy of exactly n bytes, so ASan sees any overread. */
			void *p = malloc(n ? n : 1);
			int ret;

			memcpy(p, bufs[i], n);
			ret = bvc_wire_decode(p, n, &m, err, sizeof(err));
			free(p);
			cr_assert(ret == -EBADMSG || ret == -EPROTO,
				  "message %d cut at %zu of %zu: ret %d (%s)", i, n, lens[i], ret, err);
			cr_assert_neq(err[0], '\0', "message %d cut at %zu: no message", i, n);
		}
		free(bufs[i]);
	}
}

/* xorshift64*: deterministic across runs and libcs. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static int check_one(const uint8_t *p, size_t n, unsigned *accepted)
{
	struct bvc_wire_msg m;
	char err[256] = "";
	int ret;

	ret = bvc_wire_decode(p, n, &m, err, sizeof(err));
	if (ret == 0) {
		/* Whatever decodes must encode and decode to the same. */
		(*accepted)++;
		roundtrip(&m);
		bvc_wire_msg_release(&m);
		return 0;
	}
	cr_assert(ret == -EBADMSG || ret == -EPROTO, "ret %d (%s)", ret, err);
	cr_assert_neq(err[0], '\0');
	return ret;
}

Test(serial, random_bytes)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned accepted = 0;
	int i;

	for (i = 0; i < 10000; i++) {
		size_t n = (size_t)(rng_next(&seed) % (i < 9000 ? 48 : 600)) + 1;
		uint8_t *p = malloc(n);
		size_t k;

		for (k = 0; k < n; k++)
			p[k] = (uint8_t)rng_next(&seed);
		/* A tenth start like an envelope of our version, to get past
		 * the first field. */
		if (i % 10 == 0 && n > 2) {
			p[0] = 0x08;
			p[1] = BVC_WIRE_PROTOCOL_VERSION;
		}
		check_one(p, n, &accepted);
		free(p);
	}
	cr_log_info("random: %u of 10000 accepted", accepted);
}

Test(serial, mutated_frames)
{
	uint64_t seed = 12345;
	unsigned accepted = 0;
	void *bufs[4];
	size_t lens[4];
	int i;

	encode_all(bufs, lens);
	for (i = 0; i < 10000; i++) {
		int which = (int)(rng_next(&seed) % 4);
		size_t n = lens[which];
		uint8_t *p = malloc(n);
		int flips = 1 + (int)(rng_next(&seed) % 3), k;

		memcpy(p, bufs[which], n);
		for (k = 0; k < flips; k++) {
			size_t at = rng_next(&seed) % n;

			if (rng_next(&seed) & 1)
				p[at] ^= (uint8_t)(1u << (rng_next(&seed) % 8));
			else
				p[at] = (uint8_t)rng_next(&seed);
		}
		check_one(p, n, &accepted);
		free(p);
	}
	for (i = 0; i < 4; i++)
		free(bufs[i]);
	cr_log_info("mutated: %u of 10000 accepted", accepted);
}

/* --- hand-forged frames ----------------------------------------------------- */

static void expect(const struct forge *f, int want, const char *substr)
{
	struct bvc_wire_msg m;
	char err[256];
	int ret;

	memset(&m, 0xa5, sizeof(m));
	ret = decode(f, &m, err, sizeof(err));
	cr_assert_eq(ret, want, "ret %d, want %d (%s)", ret, want, err);
	cr_assert(strstr(err, substr), "message '%s' lacks '%s'", err, substr);
	/* A refused message leaves nothing half-decoded behind. */
	if (ret) {
		struct bvc_wire_msg zero;

		memset(&zero, 0, sizeof(zero));
		cr_assert_eq(memcmp(&m, &zero, sizeof(m)), 0);
	}
	bvc_wire_msg_release(&m);
}

static const char *our_id(void)
{
	return bvc_wire_build_id();
}

Test(serial, forged_valid_baseline)
{
	struct forge h, e;
	struct bvc_wire_msg m;
	char err[256];

	forge_hello(&h, BVC_WIRE_PROTOCOL_VERSION, our_id(), strlen(our_id()), 2);
	forge_env(&e, BVC_WIRE_PROTOCOL_VERSION, BVC_WIRE_HELLO, &h);
	cr_assert_eq(decode(&e, &m, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(m.kind, BVC_WIRE_HELLO);
	cr_assert_str_eq(m.u.hello.build_id, our_id());
	cr_assert_eq(m.u.hello.cores, 2);
	cr_assert_eq(bvc_wire_check_hello(&m.u.hello, NULL, err, sizeof(err)), 0, "%s", err);
}

Test(serial, forged_wrong_version)
{
	const uint32_t v = BVC_WIRE_PROTOCOL_VERSION;
	struct forge h, e;
	char want[64];

	forge_hello(&h, v, "x", 1, 1);
	forge_env(&e, v + 1, BVC_WIRE_HELLO, &h);
	snprintf(want, sizeof(want), "protocol version %u, expected %u", v + 1, v);
	expect(&e, -EPROTO, want);

	/* Version 0 is proto3's default and is simply absent on the wire. */
	memset(&e, 0, sizeof(e));
	put_msg(&e, BVC_WIRE_HELLO, &h);
	snprintf(want, sizeof(want), "protocol version 0, expected %u", v);
	expect(&e, -EPROTO, want);

	/* The Hello's own version must agree too. */
	forge_hello(&h, 7, "x", 1, 1);
	forge_env(&e, v, BVC_WIRE_HELLO, &h);
	expect(&e, -EPROTO, "hello: protocol version 7");

	/* A newer peer's unknown field is reported as what it is: a version. */
	forge_hello(&h, v + 1, "x", 1, 1);
	forge_env(&e, v + 1, 15, &h);
	snprintf(want, sizeof(want), "protocol version %u, expected %u", v + 1, v);
	expect(&e, -EPROTO, want);
	/* An older peer is refused by version too, whatever it sends. */
	forge_hello(&h, v - 1, "x", 1, 1);
	forge_env(&e, v - 1, BVC_WIRE_HELLO, &h);
	snprintf(want, sizeof(want), "protocol version %u, expected %u", v - 1, v);
	expect(&e, -EPROTO, want);
}

/* A packed repeated varint field, as proto3 writes one. */
static void put_packed(struct forge *f, unsigned field, const uint64_t *v, int n)
{
	struct forge p;

	memset(&p, 0, sizeof(p));
	for (int i = 0; i < n; i++)
		put_varint(&p, v[i]);
	put_bytes(f, field, p.b, p.n);
}

Test(serial, forged_demands)
{
	const uint64_t ones[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 }, r10 = 1u << 10, two[2] = { 1, 2 };
	struct forge d, e;

	/* Two frames announced, one register mask sent. */
	memset(&d, 0, sizeof(d));
	put_uint(&d, 1, 1);
	put_uint(&d, 2, 5);
	put_uint(&d, 3, 2);
	put_packed(&d, 5, ones, 1);
	put_packed(&d, 6, two, 2);
	forge_env(&e, BVC_WIRE_PROTOCOL_VERSION, BVC_WIRE_DONE, &d);
	expect(&e, -EBADMSG, "2 demand frames with 1 register and 2 slot masks");

	/* r10 (the frame pointer) is never a scalar to be made precise. */
	memset(&d, 0, sizeof(d));
	put_uint(&d, 1, 1);
	put_uint(&d, 2, 5);
	put_uint(&d, 3, 1);
	put_packed(&d, 5, &r10, 1);
	put_packed(&d, 6, ones, 1);
	forge_env(&e, BVC_WIRE_PROTOCOL_VERSION, BVC_WIRE_DONE, &d);
	expect(&e, -EBADMSG, "demand register mask 0x400");

	/* Nine frames. */
	memset(&d, 0, sizeof(d));
	put_uint(&d, 1, 1);
	put_uint(&d, 2, 5);
	put_uint(&d, 3, 9);
	put_packed(&d, 5, ones, 9);
	put_packed(&d, 6, ones, 9);
	forge_env(&e, BVC_WIRE_PROTOCOL_VERSION, BVC_WIRE_DONE, &d);
	expect(&e, -EBADMSG, "9 demand frames");

	/* "all" without the item's frames. */
	memset(&d, 0, sizeof(d));
	put_uint(&d, 1, 1);
	put_uint(&d, 2, 5);
	put_uint(&d, 4, 1);
	forge_env(&e, BVC_WIRE_PROTOCOL_VERSION, BVC_WIRE_DONE, &d);
	expect(&e, -EBADMSG, "demand of 0 frames (all=1)");
}

Test(serial, forged_strings)
{
	char big[512];
	struct forge h, e, r;

	memset(big, 'a', sizeof(big));
	forge_hello(&h, V, big, BVC_WIRE_BUILD_ID_MAX + 1, 1);
	forge_env(&e, V, BVC_WIRE_HELLO, &h);
	expect(&e, -EBADMSG, "build id of 65 bytes, limit 64");

	forge_hello(&h, V, big, BVC_WIRE_BUILD_ID_MAX, 1);
	forge_env(&e, V, BVC_WIRE_HELLO, &h);
	expect(&e, 0, "");

	forge_hello(&h, V, "", 0, 1);
	forge_env(&e, V, BVC_WIRE_HELLO, &h);
	expect(&e, -EBADMSG, "empty build id");

	forge_hello(&h, V, "bpfvc 1", 7, 1);
	forge_env(&e, V, BVC_WIRE_HELLO, &h);
	expect(&e, -EBADMSG, "build id byte 5 is 0x20");

	forge_hello(&h, V, "bpfvc-\xc3\xa9", 8, 1);
	forge_env(&e, V, BVC_WIRE_HELLO, &h);
	expect(&e, -EBADMSG, "byte 6 is 0xc3");

	/* A NUL would hide the rest of the string from every check. */
	forge_hello(&h, V, "ok\0\x01\x02", 5, 1);
	forge_env(&e, V, BVC_WIRE_HELLO, &h);
	expect(&e, -EBADMSG, "NUL inside a string");

	memset(&r, 0, sizeof(r));
	put_uint(&r, 1, 5);
	put_uint(&r, 2, 3);
	put_bytes(&r, 3, big, BVC_WIRE_MESSAGE_MAX + 1);
	forge_env(&e, V, BVC_WIRE_REJECT, &r);
	expect(&e, -EBADMSG, "message of 256 bytes, limit 255");

	memset(&r, 0, sizeof(r));
	put_uint(&r, 1, 5);
	put_bytes(&r, 3, "line\nbreak", 10);
	forge_env(&e, V, BVC_WIRE_REJECT, &r);
	expect(&e, -EBADMSG, "message byte 4 is 0x0a");

	memset(&r, 0, sizeof(r));
	put_uint(&r, 1, 5);
	forge_env(&e, V, BVC_WIRE_REJECT, &r);
	expect(&e, -EBADMSG, "empty message");

	/* A Reject says what it is: with no kind (absent, 0), "accepted"
	 * (1) or a kind we do not know, it is refused, never read as a
	 * rejection, let alone an acceptance. */
	{
		static const uint32_t bad[] = { 0, BVC_ACCEPT, 5, UINT32_MAX };

		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			char want[64];

			memset(&r, 0, sizeof(r));
			put_uint(&r, 1, 5);
			put_bytes(&r, 3, "R0 !read_ok", 11);
			if (bad[k])
				put_uint(&r, 6, bad[k]);
			forge_env(&e, V, BVC_WIRE_REJECT, &r);
			snprintf(want, sizeof(want), "reject: kind %u is not a refusal", bad[k]);
			expect(&e, -EBADMSG, want);
		}
		memset(&r, 0, sizeof(r));
		put_uint(&r, 1, 5);
		put_bytes(&r, 3, "R0 !read_ok", 11);
		put_uint(&r, 6, BVC_INTERNAL);
		forge_env(&e, V, BVC_WIRE_REJECT, &r);
		expect(&e, 0, "");
	}

	/* A string length past the end of the frame. */
	memset(&h, 0, sizeof(h));
	put_uint(&h, 1, 1);
	put_tag(&h, 2, 2);
	put_varint(&h, 1000);
	put_bytes(&h, 3, "abc", 3); /* filler, far short of 1000 */
	forge_env(&e, V, BVC_WIRE_HELLO, &h);
	expect(&e, -EBADMSG, "Hello.build_id: byte 6: length 1000 runs past the end (5 bytes left)");
}

Test(serial, forged_protobuf_tricks)
{
	struct forge h, e, c, c2;

	forge_hello(&h, V, "x", 1, 1);

	/* Unknown field in the envelope, then in a body. */
	forge_env(&e, V, BVC_WIRE_HELLO, &h);
	put_uint(&e, 15, 1);
	expect(&e, -EPROTO, "Envelope: byte 11: unknown field 15 (wire type 0)");
	memset(&c, 0, sizeof(c));
	put_uint(&c, 1, 9);
	put_uint(&c, 15, 1);
	forge_env(&e, V, BVC_WIRE_CANCEL, &c);
	expect(&e, -EPROTO, "Cancel: byte 6: unknown field 15");

	/* An envelope with no message. */
	memset(&e, 0, sizeof(e));
	put_uint(&e, 1, V);
	expect(&e, -EPROTO, "envelope carries no message");

	/* Two members of the oneof: protobuf-c would keep the last. */
	memset(&c, 0, sizeof(c));
	put_uint(&c, 1, 9);
	forge_env(&e, V, BVC_WIRE_HELLO, &h);
	put_msg(&e, BVC_WIRE_CANCEL, &c);
	expect(&e, -EBADMSG, "both hello and cancel in one oneof");

	/* The same field twice: protobuf-c would merge or overwrite. */
	memset(&c2, 0, sizeof(c2));
	put_uint(&c2, 1, 9);
	put_uint(&c2, 1, 10);
	forge_env(&e, V, BVC_WIRE_CANCEL, &c2);
	expect(&e, -EBADMSG, "Cancel.job_id: byte 6: field given twice");
	forge_env(&e, V, BVC_WIRE_CANCEL, &c);
	put_uint(&e, 1, V);
	expect(&e, -EBADMSG, "Envelope.protocol_version");

	/* A uint32 that does not fit: protobuf-c would truncate 2^32+1 to 1. */
	memset(&e, 0, sizeof(e));
	put_uint(&e, 1, (1ull << 32) + 1);
	put_msg(&e, BVC_WIRE_HELLO, &h);
	expect(&e, -EBADMSG, "does not fit the field");

	/* Overlong varint: 1 written as 0x81 0x00. */
	memset(&e, 0, sizeof(e));
	put_tag(&e, 1, 0);
	put_byte(&e, 0x81);
	put_byte(&e, 0x00);
	put_msg(&e, BVC_WIRE_HELLO, &h);
	expect(&e, -EBADMSG, "overlong varint");

	/* Eleven continuation bytes: wider than 64 bits. */
	memset(&e, 0, sizeof(e));
	put_uint(&e, 1, V);
	put_tag(&e, BVC_WIRE_HEARTBEAT, 2);
	put_byte(&e, 11);
	put_tag(&e, 1, 0);
	for (int i = 0; i < 10; i++)
		put_byte(&e, 0xff);
	expect(&e, -EBADMSG, "varint wider than 64 bits");

	/* Wire type mismatch, group wire types, field number 0. */
	memset(&e, 0, sizeof(e));
	put_bytes(&e, 1, "\x01", 1);
	expect(&e, -EBADMSG, "Envelope.protocol_version: byte 0: wire type 2, expected 0");
	memset(&e, 0, sizeof(e));
	put_uint(&e, 1, V);
	put_tag(&e, BVC_WIRE_HELLO, 3);
	expect(&e, -EBADMSG, "wire type 3, expected 2");
	memset(&e, 0, sizeof(e));
	put_byte(&e, 0x00);
	put_byte(&e, 0x01);
	expect(&e, -EBADMSG, "field number 0 is invalid");

	/* Job id 0 means "no job" and never travels. */
	memset(&c, 0, sizeof(c));
	forge_env(&e, V, BVC_WIRE_CANCEL, &c);
	expect(&e, -EBADMSG, "cancel: job id 0");
}

Test(serial, frame_size_limits)
{
	struct bvc_wire_msg m;
	char err[256];
	uint8_t *big;

	cr_assert_eq(bvc_wire_decode("", 0, &m, err, sizeof(err)), -EBADMSG);
	cr_assert_str_eq(err, "empty frame");
	big = calloc(1, BVC_WIRE_FRAME_MAX + 1);
	cr_assert_eq(bvc_wire_decode(big, BVC_WIRE_FRAME_MAX + 1, &m, err, sizeof(err)),
		     -EMSGSIZE);
	cr_assert(strstr(err, "limit 16777216"), "%s", err);
	free(big);
	/* NULL error buffer is allowed. */
	cr_assert_eq(bvc_wire_decode("\x08", 1, &m, NULL, 0), -EBADMSG);
}

Test(serial, encode_refuses_what_decode_would)
{
	struct bvc_wire_msg m;
	char err[256];
	size_t len = 99;
	void *buf = (void *)1;

	bvc_wire_hello_init(&m, 1);
	memset(m.u.hello.build_id, 'a', sizeof(m.u.hello.build_id)); /* no NUL */
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "build id of 65 bytes"), "%s", err);
	cr_assert_null(buf);
	cr_assert_eq(len, 0);

	bvc_wire_hello_init(&m, 1);
	m.u.hello.protocol_version = 9;
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), -EINVAL);

	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_CANCEL;
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "cancel: job id 0");

	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_REJECT;
	m.u.reject.kind = BVC_REJECT;
	m.u.reject.job_id = 1;
	strcpy(m.u.reject.message, "tab\there");
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), -EINVAL);

	/* A Reject that is no refusal is not sent: no kind, or "accepted". */
	memset(&m, 0, sizeof(m));
	m.kind = BVC_WIRE_REJECT;
	m.u.reject.job_id = 1;
	strcpy(m.u.reject.message, "R0 !read_ok");
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "reject: kind 0 is not a refusal");
	m.u.reject.kind = BVC_ACCEPT;
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "reject: kind 1 is not a refusal");

	memset(&m, 0, sizeof(m));
	m.kind = (enum bvc_wire_kind)99;
	cr_assert_eq(bvc_wire_encode(&m, &buf, &len, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "cannot encode message kind 99");
}

Test(serial, check_hello)
{
	struct bvc_wire_msg m;
	char err[256];

	bvc_wire_hello_init(&m, 1);
	cr_assert_eq(bvc_wire_check_hello(&m.u.hello, NULL, err, sizeof(err)), 0);
	cr_assert_eq(bvc_wire_check_hello(&m.u.hello, "bpfvc-other", err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "verifier build id mismatch"), "%s", err);
	cr_assert(strstr(err, "we have 'bpfvc-other'"), "%s", err);
	cr_assert(strstr(err, bvc_wire_build_id()), "%s", err);

	m.u.hello.protocol_version = BVC_WIRE_PROTOCOL_VERSION + 1;
	cr_assert_eq(bvc_wire_check_hello(&m.u.hello, NULL, err, sizeof(err)), -EPROTO);
	{
		char want[64];

		snprintf(want, sizeof(want), "peer speaks protocol version %u, we speak %u",
			 BVC_WIRE_PROTOCOL_VERSION + 1, BVC_WIRE_PROTOCOL_VERSION);
		cr_assert_str_eq(err, want);
	}
	cr_assert_str_eq(bvc_wire_kind_name(BVC_WIRE_REJECT), "reject");
	cr_assert_str_eq(bvc_wire_kind_name((enum bvc_wire_kind)0), "unknown");
}
