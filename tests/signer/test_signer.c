// SPDX-License-Identifier: MIT
/*
 * Ed25519 keys and signatures: key files as `bpfvc keygen` writes them,
 * signatures that verify and stop verifying at any flipped bit, the wrong
 * key, and clear errors for every kind of bad key file. Where the openssl
 * command is installed it is the oracle: it must read our files and verify
 * our signatures, and its keys must work with us.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "bpfvc/signer.h"

static char dir[64];

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof(dir), "/tmp/bvc-signer-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void rm_tmp(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("cannot remove %s", dir);
}

TestSuite(signer, .init = mkdir_tmp, .fini = rm_tmp);

static char *path(const char *name)
{
	static char buf[4][256];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, 256, "%s/%s", dir, name);
	return p;
}

static void write_file(const char *p, const void *data, size_t len)
{
	FILE *f = fopen(p, "w");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

static size_t read_file(const char *p, char *buf, size_t cap)
{
	FILE *f = fopen(p, "r");
	size_t n;

	cr_assert_not_null(f, "%s", p);
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n;
}

static int have_openssl(void)
{
	return system("openssl version >/dev/null 2>&1") == 0;
}

static void keygen(const char *name)
{
	char err[512] = "";

	cr_assert_eq(bvc_signer_keygen(path(name), err, sizeof(err)), 0, "%s", err);
}

Test(signer, keygen_files)
{
	char priv[4096], pub[4096], err[512];
	struct stat st;

	keygen("key");
	cr_assert_eq(stat(path("key"), &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "private key mode %o", st.st_mode & 0777);
	cr_assert_eq(stat(path("key.pub"), &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0644, "public key mode %o", st.st_mode & 0777);
	read_file(path("key"), priv, sizeof(priv));
	read_file(path("key.pub"), pub, sizeof(pub));
	cr_assert(strstr(priv, "-----BEGIN PRIVATE KEY-----"), "%s", priv);
	cr_assert(strstr(pub, "-----BEGIN PUBLIC KEY-----"), "%s", pub);

	/* Never overwrite a key: both files stay as they were. */
	cr_assert_eq(bvc_signer_keygen(path("key"), err, sizeof(err)), -EEXIST);
	cr_assert(strstr(err, "already exists, not overwriting a key"), "%s", err);
	{
		char again[4096];

		read_file(path("key"), again, sizeof(again));
		cr_assert_str_eq(again, priv);
	}
	/* A stray KEY.pub alone also blocks, and nothing is left behind. */
	write_file(path("other.pub"), "x", 1);
	cr_assert_eq(bvc_signer_keygen(path("other"), err, sizeof(err)), -EEXIST);
	cr_assert(strstr(err, "other.pub: already exists"), "%s", err);
	cr_assert_neq(access(path("other"), F_OK), 0);

	cr_assert_eq(bvc_signer_keygen("/nonexistent-dir/key", err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "/nonexistent-dir/key: No such file"), "%s", err);
}

Test(signer, keygen_ignores_umask)
{
	struct stat st;
	mode_t old = umask(0777);

	keygen("key");
	umask(old);
	cr_assert_eq(stat(path("key"), &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
}

Test(signer, sign_verify)
{
	struct bvc_key *priv, *pub;
	uint8_t sig[BVC_SIGNER_SIG_LEN], sig2[BVC_SIGNER_SIG_LEN];
	const char msg[] = "header|code|relocs|maps|data|meta";
	char err[512] = "";

	keygen("key");
	cr_assert_eq(bvc_signer_load_private(path("key"), &priv, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_signer_load_public(path("key.pub"), &pub, err, sizeof(err)), 0, "%s", err);
	cr_assert(bvc_signer_key_can_sign(priv));
	cr_assert_not(bvc_signer_key_can_sign(pub));

	cr_assert_eq(bvc_signer_sign(priv, msg, sizeof(msg), sig, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_signer_verify(pub, msg, sizeof(msg), sig, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_signer_verify(priv, msg, sizeof(msg), sig, err, sizeof(err)), 0, "%s", err);
	/* Ed25519 is deterministic. */
	cr_assert_eq(bvc_signer_sign(priv, msg, sizeof(msg), sig2, err, sizeof(err)), 0);
	cr_assert_arr_eq(sig, sig2, sizeof(sig));

	/* The empty message is a message too. */
	cr_assert_eq(bvc_signer_sign(priv, NULL, 0, sig2, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_signer_verify(pub, NULL, 0, sig2, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_signer_verify(pub, msg, sizeof(msg), sig2, err, sizeof(err)), -EBADMSG);

	/* A public key cannot sign. */
	cr_assert_eq(bvc_signer_sign(pub, msg, sizeof(msg), sig2, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "cannot sign with a public key");

	bvc_signer_key_free(priv);
	bvc_signer_key_free(pub);
	bvc_signer_key_free(NULL);
}

Test(signer, flipped_bits_fail)
{
	struct bvc_key *priv, *pub;
	uint8_t sig[BVC_SIGNER_SIG_LEN], bad[BVC_SIGNER_SIG_LEN];
	uint8_t msg[48], m2[48];
	char err[512] = "";
	size_t i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 37 + 1);
	keygen("key");
	cr_assert_eq(bvc_signer_load_private(path("key"), &priv, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_signer_load_public(path("key.pub"), &pub, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_signer_sign(priv, msg, sizeof(msg), sig, err, sizeof(err)), 0, "%s", err);

	for (i = 0; i < sizeof(msg) * 8; i++) {
		memcpy(m2, msg, sizeof(msg));
		m2[i / 8] ^= (uint8_t)(1u << (i % 8));
		err[0] = '\0';
		cr_assert_eq(bvc_signer_verify(pub, m2, sizeof(m2), sig, err, sizeof(err)), -EBADMSG,
			     "message bit %zu", i);
		cr_assert(strstr(err, "signature does not verify with key "), "%s", err);
	}
	for (i = 0; i < sizeof(sig) * 8; i++) {
		memcpy(bad, sig, sizeof(sig));
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		cr_assert_eq(bvc_signer_verify(pub, msg, sizeof(msg), bad, err, sizeof(err)),
			     -EBADMSG, "signature bit %zu: %s", i, err);
	}
	/* One byte shorter is a different message. */
	cr_assert_eq(bvc_signer_verify(pub, msg, sizeof(msg) - 1, sig, err, sizeof(err)), -EBADMSG);
	cr_assert_eq(bvc_signer_verify(pub, msg, sizeof(msg), sig, err, sizeof(err)), 0, "%s", err);
	bvc_signer_key_free(priv);
	bvc_signer_key_free(pub);
}

Test(signer, wrong_key_fails)
{
	struct bvc_key *a, *b;
	uint8_t sig[BVC_SIGNER_SIG_LEN];
	char err[512] = "", hex[17];

	keygen("a");
	keygen("b");
	cr_assert_eq(bvc_signer_load_private(path("a"), &a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_signer_load_public(path("b.pub"), &b, err, sizeof(err)), 0, "%s", err);
	cr_assert_neq(memcmp(bvc_signer_key_id(a), bvc_signer_key_id(b), BVC_SIGNER_KEY_ID_LEN), 0);
	cr_assert_eq(bvc_signer_sign(a, "blob", 4, sig, err, sizeof(err)), 0);
	cr_assert_eq(bvc_signer_verify(b, "blob", 4, sig, err, sizeof(err)), -EBADMSG);
	/* The message names the key that was tried. */
	cr_assert(strstr(err, bvc_signer_key_id_hex(bvc_signer_key_id(b), hex)), "%s", err);
	bvc_signer_key_free(a);
	bvc_signer_key_free(b);
}

Test(signer, key_id)
{
	struct bvc_key *k1, *k2, *p;
	uint8_t md[SHA256_DIGEST_LENGTH];
	char err[512] = "", hex[17];

	keygen("key");
	cr_assert_eq(bvc_signer_load_private(path("key"), &k1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_signer_load_private(path("key"), &k2, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_signer_load_public(path("key.pub"), &p, err, sizeof(err)), 0, "%s", err);

	/* Stable across loads, the same from either half of the pair. */
	cr_assert_arr_eq(bvc_signer_key_id(k1), bvc_signer_key_id(k2), BVC_SIGNER_KEY_ID_LEN);
	cr_assert_arr_eq(bvc_signer_key_id(k1), bvc_signer_key_id(p), BVC_SIGNER_KEY_ID_LEN);
	cr_assert_arr_eq(bvc_signer_key_public(k1), bvc_signer_key_public(p),
			 BVC_SIGNER_PUBKEY_LEN);
	/* First 8 bytes of SHA-256 over the raw public key. */
	SHA256(bvc_signer_key_public(p), BVC_SIGNER_PUBKEY_LEN, md);
	cr_assert_arr_eq(bvc_signer_key_id(p), md, BVC_SIGNER_KEY_ID_LEN);

	bvc_signer_key_id_hex(bvc_signer_key_id(p), hex);
	cr_assert_eq(strlen(hex), 16);
	cr_assert_eq(strspn(hex, "0123456789abcdef"), 16, "%s", hex);
	bvc_signer_key_free(k1);
	bvc_signer_key_free(k2);
	bvc_signer_key_free(p);
}

Test(signer, known_answer)
{
	/* RFC 8032 section 7.1, test 1: the empty message. */
	static const char pem[] =
		"-----BEGIN PRIVATE KEY-----\n"
		"MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
		"-----END PRIVATE KEY-----\n";
	static const uint8_t want_pub[32] = {
		0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3,
		0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25,
		0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
	};
	static const uint8_t want_sig[64] = {
		0xe5, 0x56, 0x43, 0x00, 0xc3, 0x60, 0xac, 0x72, 0x90, 0x86, 0xe2, 0xcc,
		0x80, 0x6e, 0x82, 0x8a, 0x84, 0x87, 0x7f, 0x1e, 0xb8, 0xe5, 0xd9, 0x74,
		0xd8, 0x73, 0xe0, 0x65, 0x22, 0x49, 0x01, 0x55, 0x5f, 0xb8, 0x82, 0x15,
		0x90, 0xa3, 0x3b, 0xac, 0xc6, 0x1e, 0x39, 0x70, 0x1c, 0xf9, 0xb4, 0x6b,
		0xd2, 0x5b, 0xf5, 0xf0, 0x59, 0x5b, 0xbe, 0x24, 0x65, 0x51, 0x41, 0x43,
		0x8e, 0x7a, 0x10, 0x0b,
	};
	struct bvc_key *k;
	uint8_t sig[64];
	char err[512] = "";

	write_file(path("rfc"), pem, sizeof(pem) - 1);
	cr_assert_eq(bvc_signer_load_private(path("rfc"), &k, err, sizeof(err)), 0, "%s", err);
	cr_assert_arr_eq(bvc_signer_key_public(k), want_pub, 32);
	cr_assert_eq(bvc_signer_sign(k, "", 0, sig, err, sizeof(err)), 0, "%s", err);
	cr_assert_arr_eq(sig, want_sig, 64);
	bvc_signer_key_free(k);
}

struct bad_file {
	const char *name;
	const char *content;
	int priv;          /* load as private (1) or public (0) */
	int ret;
	const char *msg;
};

static const struct bad_file bad_files[] = {
	{ "empty", "", 1, -EBADMSG, "empty file" },
	{ "garbage", "hello world\n", 1, -EBADMSG, "no PEM block, not a key file" },
	{ "pub-empty", "", 0, -EBADMSG, "empty file" },
	{ "truncated",
	  "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v\n", 1, -EBADMSG,
	  "not an unencrypted PEM private key" },
	{ "bad-base64",
	  "-----BEGIN PRIVATE KEY-----\n!!!!notbase64!!!!\n-----END PRIVATE KEY-----\n", 1,
	  -EBADMSG, "not an unencrypted PEM private key" },
	{ "bad-der",
	  "-----BEGIN PRIVATE KEY-----\nAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n", 1,
	  -EBADMSG, "not an unencrypted PEM private key" },
	{ "pub-garbage", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", 0,
	  -EBADMSG, "not a PEM public key" },
};

Test(signer, corrupt_key_files)
{
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const struct bad_file *b = &bad_files[i];
		struct bvc_key *k = (struct bvc_key *)1;
		int ret;

		write_file(path(b->name), b->content, strlen(b->content));
		err[0] = '\0';
		ret = b->priv ? bvc_signer_load_private(path(b->name), &k, err, sizeof(err))
			      : bvc_signer_load_public(path(b->name), &k, err, sizeof(err));
		cr_assert_eq(ret, b->ret, "%s: ret %d (%s)", b->name, ret, err);
		cr_assert_null(k, "%s", b->name);
		cr_assert(strstr(err, path(b->name)), "%s: message does not name the file: %s",
			  b->name, err);
		cr_assert(strstr(err, b->msg), "%s: %s", b->name, err);
		cr_log_info("%s: %s", b->name, err);
	}
}

Test(signer, wrong_half_and_missing)
{
	struct bvc_key *k;
	char err[512];

	keygen("key");
	/* A private key where the public one belongs. */
	cr_assert_eq(bvc_signer_load_public(path("key"), &k, err, sizeof(err)), -EBADMSG);
	cr_assert(strstr(err, "holds a private key; give the public key (KEY.pub)"), "%s", err);
	/* And the other way round. */
	cr_assert_eq(bvc_signer_load_private(path("key.pub"), &k, err, sizeof(err)), -EBADMSG);
	cr_assert(strstr(err, "not an unencrypted PEM private key"), "%s", err);

	cr_assert_eq(bvc_signer_load_private(path("absent"), &k, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "absent: No such file or directory"), "%s", err);
	cr_assert_eq(bvc_signer_load_public(dir, &k, err, sizeof(err)), -EISDIR, "%s", err);
	{
		static char big[100 * 1024];

		memset(big, 'A', sizeof(big));
		write_file(path("big"), big, sizeof(big));
		cr_assert_eq(bvc_signer_load_private(path("big"), &k, err, sizeof(err)), -EFBIG);
		cr_assert(strstr(err, "larger than 65536 bytes, not a key file"), "%s", err);
	}
}

/* --- the openssl command as an oracle ----------------------------------- */

static int run(const char *fmt, const char *a, const char *b, const char *c)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), fmt, a, b, c);
	return system(cmd);
}

Test(signer, openssl_reads_ours)
{
	struct bvc_key *k;
	uint8_t sig[64];
	char err[512] = "";

	if (!have_openssl())
		cr_skip_test("no openssl command");
	keygen("key");
	cr_assert_eq(bvc_signer_load_private(path("key"), &k, err, sizeof(err)), 0, "%s", err);
	write_file(path("msg"), "signed bytes", 12);
	cr_assert_eq(bvc_signer_sign(k, "signed bytes", 12, sig, err, sizeof(err)), 0);
	write_file(path("sig"), sig, sizeof(sig));
	cr_assert_eq(run("openssl pkeyutl -verify -pubin -inkey %s -rawin -in %s -sigfile %s "
			 ">/dev/null 2>&1",
			 path("key.pub"), path("msg"), path("sig")),
		     0, "openssl does not verify our signature");
	/* And openssl refuses a bad one, so the check above means something. */
	sig[0] ^= 1;
	write_file(path("sig"), sig, sizeof(sig));
	cr_assert_neq(run("openssl pkeyutl -verify -pubin -inkey %s -rawin -in %s -sigfile %s "
			  ">/dev/null 2>&1",
			  path("key.pub"), path("msg"), path("sig")),
		      0);
	bvc_signer_key_free(k);
}

Test(signer, openssl_keys)
{
	struct bvc_key *k;
	uint8_t sig[64];
	char err[512] = "";

	if (!have_openssl())
		cr_skip_test("no openssl command");
	/* An Ed25519 key from openssl works with us. */
	cr_assert_eq(run("openssl genpkey -algorithm ed25519 -out %s%s%s 2>/dev/null",
			 path("ossl"), "", ""), 0);
	cr_assert_eq(bvc_signer_load_private(path("ossl"), &k, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bvc_signer_sign(k, "x", 1, sig, err, sizeof(err)), 0);
	cr_assert_eq(bvc_signer_verify(k, "x", 1, sig, err, sizeof(err)), 0, "%s", err);
	bvc_signer_key_free(k);

	/* Another algorithm is refused by name. */
	cr_assert_eq(run("openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 "
			 "-out %s%s%s 2>/dev/null",
			 path("ec"), "", ""), 0);
	cr_assert_eq(bvc_signer_load_private(path("ec"), &k, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "EC key, expected Ed25519"), "%s", err);

	/* An encrypted key is refused at once, never prompting. */
	cr_assert_eq(run("openssl genpkey -algorithm ed25519 -aes-128-cbc -pass pass:x "
			 "-out %s%s%s 2>/dev/null",
			 path("enc"), "", ""), 0);
	cr_assert_eq(bvc_signer_load_private(path("enc"), &k, err, sizeof(err)), -EBADMSG);
	cr_assert(strstr(err, "encrypted private keys are not supported"), "%s", err);
}
