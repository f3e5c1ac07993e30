// SPDX-License-Identifier: MIT
/*
 * bvc_ed25519_verify (the freestanding check, signer/ed25519_verify.c)
 * against RFC 8032's test vectors and against OpenSSL: random keys and
 * messages signed by OpenSSL must verify, and every forgery (a bit of R,
 * S, the key or the message flipped, S + L, random bytes) must get
 * OpenSSL's verdict. BVC_ED25519_RANDOM=N sets the number of random keys
 * (default 300, each with 7 checks, about 2.5 s; 100,000 take about 15
 * minutes on one core).
 *
 * Must not: trust a vector it has not also checked with OpenSSL.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/ed25519.h"

static void unhex(const char *h, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		cr_assert_eq(sscanf(h + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
}

/* OpenSSL's verdict on (sig, msg, pub). */
static int ossl_verify(const uint8_t sig[64], const uint8_t *msg, size_t len, const uint8_t pub[32])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = 0;

	cr_assert_not_null(c);
	if (k && EVP_DigestVerifyInit(c, NULL, NULL, NULL, k) == 1)
		ok = EVP_DigestVerify(c, sig, 64, msg ? msg : (const uint8_t *)"", len) == 1;
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(k);
	return ok;
}

/* OpenSSL's public key and signature of @msg for the raw @secret. */
static void ossl_sign(const uint8_t secret[32], const uint8_t *msg, size_t len, uint8_t pub[32],
		      uint8_t sig[64])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, secret, 32);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t n = 32, s = 64;

	cr_assert(k && c);
	cr_assert_eq(EVP_PKEY_get_raw_public_key(k, pub, &n), 1);
	cr_assert_eq(EVP_DigestSignInit(c, NULL, NULL, NULL, k), 1);
	cr_assert_eq(EVP_DigestSign(c, sig, &s, msg ? msg : (const uint8_t *)"", len), 1);
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(k);
}

Test(ed25519_verify, sha512)
{
	static uint8_t msg[300];
	uint8_t want[64], got[64];
	unsigned int n;

	unhex("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	      want, 64);
	bvc_sha512((const uint8_t *)"abc", 3, got);
	cr_assert(!memcmp(got, want, 64), "SHA-512(abc)");
	cr_assert_eq(RAND_bytes(msg, sizeof(msg)), 1);
	/* every length across the padding's one- and two-block cases */
	for (size_t len = 0; len <= sizeof(msg); len++) {
		cr_assert_eq(EVP_Digest(msg, len, want, &n, EVP_sha512(), NULL), 1);
		bvc_sha512(msg, len, got);
		cr_assert(!memcmp(got, want, 64), "length %zu", len);
	}
}

/* RFC 8032 section 7.1, TEST 1 to 3. */
Test(ed25519_verify, rfc8032)
{
	static const struct {
		const char *secret, *pub, *msg, *sig;
	} v[] = {
		{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
		  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
		  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
		{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
		  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
		  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
		{ "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
		  "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
		  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
		  "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t secret[32], pub[32], sig[64], msg[8], opub[32], osig[64];
		size_t len = strlen(v[i].msg) / 2;

		unhex(v[i].secret, secret, 32);
		unhex(v[i].pub, pub, 32);
		unhex(v[i].sig, sig, 64);
		unhex(v[i].msg, msg, len);
		ossl_sign(secret, msg, len, opub, osig);
		cr_assert(!memcmp(opub, pub, 32) && !memcmp(osig, sig, 64),
			  "TEST %zu: OpenSSL disagrees with the vector as written here", i + 1);
		cr_assert_eq(bvc_ed25519_verify(sig, len ? msg : NULL, len, pub), 1, "TEST %zu", i + 1);
		sig[i * 20] ^= 4;
		cr_assert_eq(bvc_ed25519_verify(sig, msg, len, pub), 0, "TEST %zu forged", i + 1);
	}
}

/* S + L: the same point, a non-canonical scalar. RFC 8032 and OpenSSL
 * refuse it; a verifier that reduced S first would accept. */
static void add_order(uint8_t s[32])
{
	static const uint8_t l[32] = { 0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
				       0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
				       [31] = 0x10 };
	unsigned int c = 0;

	for (int i = 0; i < 32; i++) {
		c += s[i] + l[i];
		s[i] = (uint8_t)c;
		c >>= 8;
	}
}

Test(ed25519_verify, random_against_openssl, .timeout = 3600)
{
	const char *env = getenv("BVC_ED25519_RANDOM");
	long keys = env && atol(env) > 0 ? atol(env) : 300;
	long checks = 0, accepted = 0;
	static uint8_t msg[257];

	for (long n = 0; n < keys; n++) {
		uint8_t secret[32], pub[32], sig[64], forged[64], r[4];
		size_t len;

		cr_assert_eq(RAND_bytes(secret, 32), 1);
		cr_assert_eq(RAND_bytes(r, 4), 1);
		len = r[0] % sizeof(msg);
		cr_assert_eq(RAND_bytes(msg, sizeof(msg)), 1);
		ossl_sign(secret, msg, len, pub, sig);
		cr_assert_eq(bvc_ed25519_verify(sig, msg, len, pub), 1, "key %ld: genuine refused", n);
		accepted++;
		/* one bit of R, one of S, of the key, of the message */
		for (int what = 0; what < 4; what++) {
			uint8_t p2[32];
			int bit = r[1 + what % 3] + 256 * what;

			memcpy(forged, sig, 64);
			memcpy(p2, pub, 32);
			if (what == 0)
				forged[(bit / 8) % 32] ^= (uint8_t)(1 << (bit % 8));
			else if (what == 1)
				forged[32 + (bit / 8) % 32] ^= (uint8_t)(1 << (bit % 8));
			else if (what == 2)
				p2[(bit / 8) % 32] ^= (uint8_t)(1 << (bit % 8));
			else if (len)
				msg[(size_t)bit % len] ^= 1;
			cr_assert_eq(bvc_ed25519_verify(forged, msg, len, p2),
				     ossl_verify(forged, msg, len, p2), "key %ld: forgery %d", n, what);
			if (what == 3 && len)
				msg[(size_t)bit % len] ^= 1;
			checks++;
		}
		memcpy(forged, sig, 64);
		add_order(forged + 32);
		cr_assert_eq(bvc_ed25519_verify(forged, msg, len, pub), 0, "key %ld: S + L", n);
		cr_assert_eq(ossl_verify(forged, msg, len, pub), 0);
		cr_assert_eq(RAND_bytes(forged, 64), 1);
		cr_assert_eq(bvc_ed25519_verify(forged, msg, len, pub),
			     ossl_verify(forged, msg, len, pub), "key %ld: random bytes", n);
		checks += 2;
	}
	cr_log_info("ed25519: %ld keys, %ld genuine accepted, %ld forgeries with OpenSSL's verdict",
		    keys, accepted, checks);
}
