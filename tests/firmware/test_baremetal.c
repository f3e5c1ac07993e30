// SPDX-License-Identifier: MIT
/*
 * The bare-metal runtime's files (runtime/baremetal/) built for the host
 * and checked against the host's own pieces, where a fault is cheap to see
 * and every case runs in milliseconds:
 *   - SHA-256 against OpenSSL; the formatter against snprintf;
 *   - the array and hash maps against runtime/maps.c (the kernel's
 *     semantics; percpu ones as one CPU) on the same random operations: every return code and
 *     every lookup equal;
 *   - the reader on real thumbv7m blobs (bpfvc build of tests/progs):
 *     another key's blob is refused; a blob for another target is refused
 *     with -ENOEXEC after its signature is checked;
 *   - baremetal_sweep (its own ctest, about a minute: one portable Ed25519
 *     check per case): they load, and every single-byte change (two values
 *     per byte) and random multi-byte changes and truncations are refused
 *     by both the bare-metal reader and the host's (signer/blob_read.c).
 * Running the code is the firmware's test (test_firmware.sh, in QEMU).
 */
#include <criterion/criterion.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baremetal.h"
#include "bm_internal.h"
#include "bpfvc/abi.h"
#include "bpfvc/blob.h"
#include "bpfvc/runtime.h"
#include "bpfvc/signer.h"

static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

Test(baremetal, sha256_equals_openssl)
{
	uint8_t msg[300], a[32], b[32];

	for (size_t len = 0; len <= sizeof(msg); len++) {
		for (size_t i = 0; i < len; i++)
			msg[i] = (uint8_t)rnd();
		bvc_bm_sha256(msg, len, a);
		SHA256(msg, len, b);
		cr_assert_arr_eq(a, b, 32, "SHA-256 of %zu bytes", len);
	}
}

Test(baremetal, fmt_equals_snprintf)
{
	char a[128], b[128];

	bvc_bm_fmt(a, sizeof(a), "%u %x %d %s %c %llu %lld %llx %05u %%", 42u, 0xbeefu, -17, "str",
		   'q', 18446744073709551615ull, -9223372036854775807ll - 1, 0x123456789abcdefull,
		   7u);
	snprintf(b, sizeof(b), "%u %x %d %s %c %llu %lld %llx %05u %%", 42u, 0xbeefu, -17, "str",
		 'q', 18446744073709551615ull, -9223372036854775807ll - 1, 0x123456789abcdefull,
		 7u);
	cr_assert_str_eq(a, b);
	/* Truncation keeps the NUL and the length written. */
	cr_assert_eq(bvc_bm_fmt(a, 5, "%s", "abcdefgh"), 4);
	cr_assert_str_eq(a, "abcd");
}

/* Random updates, deletes and lookups on the bare-metal map and on the
 * host runtime's, compared call by call. */
static void differential(uint32_t type, uint32_t max_entries, uint32_t key_range)
{
	struct bvc_blob_map def = {
		.type = type, .key_size = 4, .value_size = 12, .max_entries = max_entries
	};
	struct bvc_bm_map bm = {
		.type = type, .key_size = 4, .value_size = 12, .max_entries = max_entries
	};
	struct bvc_rt_map *rt;
	char err[256];
	int rc;

	snprintf(def.name, sizeof(def.name), "m");
	snprintf(bm.name, sizeof(bm.name), "m");
	bm_arena_reset();
	rc = bm_map_init(&bm, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s", err);
	rc = bvc_rt_map_new(&def, &rt, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s", err);
	for (int op = 0; op < 20000; op++) {
		uint32_t key = rnd() % key_range, val[3] = { rnd(), rnd(), (uint32_t)op };
		uint32_t got[3];
		uint64_t flags = rnd() % 4; /* 3 is invalid: both must say -EINVAL */
		uint8_t *p;
		int a, b;

		switch (rnd() % 3) {
		case 0:
			a = (int)bm_map_update(&bm, &key, val, flags);
			b = bvc_rt_map_update(rt, &key, val, flags);
			cr_assert_eq(a, b, "op %d: update key %u flags %llu: %d, runtime %d", op,
				     key, (unsigned long long)flags, a, b);
			break;
		case 1:
			a = (int)bm_map_delete(&bm, &key);
			b = bvc_rt_map_delete(rt, &key);
			cr_assert_eq(a, b, "op %d: delete key %u: %d, runtime %d", op, key, a, b);
			break;
		default:
			p = bm_map_lookup(&bm, &key);
			b = bvc_rt_map_lookup(rt, &key, got);
			cr_assert_eq(p != NULL, b == 0, "op %d: lookup key %u", op, key);
			if (p)
				cr_assert_arr_eq(p, got, 12, "op %d: value of key %u", op, key);
		}
	}
	bvc_rt_map_free(rt);
}

Test(baremetal, hash_equals_runtime)
{
	differential(BVC_MAP_HASH, 16, 40);   /* often full: -E2BIG */
	differential(BVC_MAP_HASH, 300, 400); /* tombstones pile up */
	differential(BVC_MAP_HASH, 1, 3);
	differential(BVC_MAP_PERCPU_HASH, 16, 40); /* one CPU: a hash */
}

Test(baremetal, array_equals_runtime)
{
	differential(BVC_MAP_ARRAY, 16, 20); /* keys past the end: -E2BIG */
	differential(BVC_MAP_PERCPU_ARRAY, 16, 20);
}

Test(baremetal, arena_refuses_what_does_not_fit)
{
	struct bvc_bm_map m = { .name = "big",
				.type = BVC_MAP_HASH,
				.key_size = 8,
				.value_size = 64,
				.max_entries = 4096 };
	char err[128];

	bm_arena_reset();
	cr_assert_eq(bm_map_init(&m, err, sizeof(err)), -BVC_BM_ENOMEM);
	m.type = BVC_MAP_RINGBUF;
	cr_assert_eq(bm_map_init(&m, err, sizeof(err)), -BVC_BM_EOPNOTSUPP);
	cr_assert(strstr(err, "not on this device"), "%s", err);
}

/* --- the reader ---------------------------------------------------------- */

struct fixture {
	uint8_t *blob;
	size_t size;
	struct bvc_key *key;
	uint8_t pub[32];
};

static uint8_t *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	cr_assert(f, "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n);
	cr_assert(buf && fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	*size = (size_t)n;
	return buf;
}

/* bpfvc keygen + build PROG for @target into a fresh directory. */
static void make_blob(struct fixture *fx, const char *prog, const char *target, const char *dir,
		      int new_key)
{
	char cmd[2048], path[1024], err[256];

	if (new_key) {
		snprintf(cmd, sizeof(cmd),
			 "rm -rf %s && mkdir -p %s && %s/cli/bpfvc keygen -o %s/key >/dev/null",
			 dir, dir, BVC_BUILD_DIR, dir);
		cr_assert_eq(system(cmd), 0, "%s", cmd);
	}
	snprintf(cmd, sizeof(cmd),
		 "%s/cli/bpfvc build %s/%s.bpf.o --target %s --key %s/key -o %s/%s.bvc >/dev/null",
		 BVC_BUILD_DIR, BVC_PROGS_DIR, prog, target, dir, dir, target);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(path, sizeof(path), "%s/%s.bvc", dir, target);
	fx->blob = slurp(path, &fx->size);
	snprintf(path, sizeof(path), "%s/key.pub", dir);
	cr_assert_eq(bvc_signer_load_public(path, &fx->key, err, sizeof(err)), 0, "%s", err);
	memcpy(fx->pub, bvc_signer_key_public(fx->key), 32);
}

static void free_fixture(struct fixture *fx)
{
	free(fx->blob);
	bvc_signer_key_free(fx->key);
}

static struct bvc_bm_prog prog;

/* Both readers on @buf: the bare-metal verdict (0 or -errno). */
static int both(const struct fixture *fx, const uint8_t *buf, size_t size, int *host)
{
	struct bvc_blob *b = NULL;
	char err[256];

	*host = bvc_blob_read(buf, size, fx->key, &b, err, sizeof(err));
	bvc_blob_free(b);
	return bvc_bm_load(buf, size, fx->pub, &prog, err, sizeof(err));
}

static void sweep(const char *name)
{
	char dir[512];
	struct fixture fx;
	uint8_t *copy;
	int host, rc;

	snprintf(dir, sizeof(dir), "%s/tests/firmware/host-%s", BVC_BUILD_DIR, name);
	make_blob(&fx, name, "thumbv7m", dir, 1);
	rc = both(&fx, fx.blob, fx.size, &host);
	cr_assert_eq(rc, 0, "%s: the bare-metal reader refuses the blob (%d)", name, rc);
	cr_assert_eq(host, 0);
	copy = malloc(fx.size);
	cr_assert(copy);
	/* Every single-byte change, two values each. */
	for (size_t off = 0; off < fx.size; off++) {
		static const uint8_t flips[] = { 0x01, 0xff };

		for (size_t k = 0; k < sizeof(flips); k++) {
			memcpy(copy, fx.blob, fx.size);
			copy[off] ^= flips[k];
			rc = both(&fx, copy, fx.size, &host);
			cr_assert(rc < 0, "%s: byte %zu ^ 0x%02x accepted", name, off, flips[k]);
			cr_assert(host < 0, "%s: byte %zu ^ 0x%02x accepted by the host reader",
				  name, off, flips[k]);
		}
	}
	/* Random multi-byte changes and truncations. */
	for (int i = 0; i < 2000; i++) {
		size_t size = fx.size;

		memcpy(copy, fx.blob, fx.size);
		for (int n = 1 + rnd() % 4; n; n--)
			copy[rnd() % fx.size] ^= (uint8_t)(1 + rnd() % 255);
		if (rnd() % 8 == 0)
			size = rnd() % fx.size;
		rc = both(&fx, copy, size, &host);
		if (!memcmp(copy, fx.blob, size) && size == fx.size)
			continue;
		cr_assert(rc < 0 && host < 0, "%s: change %d accepted (%d, host %d)", name, i, rc,
			  host);
	}
	free(copy);
	free_fixture(&fx);
}

Test(baremetal_sweep, xdp_parser, .timeout = 600)
{
	sweep("xdp_parser");
}

Test(baremetal_sweep, xdp_counter, .timeout = 600)
{
	sweep("xdp_counter");
}

Test(baremetal, another_key_or_target_refused)
{
	char dir[512], err[256];
	struct fixture a, b;
	int rc;

	snprintf(dir, sizeof(dir), "%s/tests/firmware/host-keys-a", BVC_BUILD_DIR);
	make_blob(&a, "xdp_parser", "thumbv7m", dir, 1);
	snprintf(dir, sizeof(dir), "%s/tests/firmware/host-keys-b", BVC_BUILD_DIR);
	make_blob(&b, "xdp_parser", "thumbv7m", dir, 1);
	rc = bvc_bm_load(a.blob, a.size, b.pub, &prog, err, sizeof(err));
	cr_assert_eq(rc, -BVC_BM_EKEYREJECTED, "%d: %s", rc, err);
	cr_assert(strstr(err, "not by the trusted key"), "%s", err);
	free_fixture(&a);
	/* Signed by the right key (b's directory), for another CPU. */
	make_blob(&a, "xdp_parser", "arm64", dir, 0);
	rc = bvc_bm_load(a.blob, a.size, b.pub, &prog, err, sizeof(err));
	cr_assert_eq(rc, -BVC_BM_ENOEXEC, "%d: %s", rc, err);
	free_fixture(&a);
	free_fixture(&b);
}
