// SPDX-License-Identifier: MIT
/*
 * Ed25519 keys, key ids and the signature check, through OpenSSL 3's EVP
 * interface: the half of the signer a device links (with blob_read.c, as
 * bvc_signer_check). Key generation and signing are in ed25519_sign.c.
 *
 * Key files are plain PEM so other tools (openssl pkey, libsodium converters)
 * can read them. Every call starts with an empty OpenSSL error queue and
 * turns what OpenSSL left in it into the message, so a failure says what
 * OpenSSL said and never what an earlier, unrelated call left behind.
 *
 * Must not: print, prompt for a passphrase (a library called from a build
 * server must never block on a terminal), or sign or generate keys (the
 * device must not be able to).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "bpfvc/signer.h"
#include "bpfvc/util.h"
#include "signer_internal.h"

const char *bvc_signer_ossl_reason(char *buf, size_t sz)
{
	unsigned long e;
	size_t used = 0;

	buf[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		char one[256];

		ERR_error_string_n(e, one, sizeof(one));
		if (used + 3 < sz) {
			int n = snprintf(buf + used, sz - used, "%s%s", used ? "; " : "", one);

			if (n > 0)
				used += (size_t)n < sz - used ? (size_t)n : sz - used - 1;
		}
	}
	if (!buf[0])
		snprintf(buf, sz, "no reason given by OpenSSL");
	return buf;
}

/* Refuse encrypted keys instead of letting OpenSSL prompt on a terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* Fill the raw public key and key id of @key from its EVP_PKEY. */
static int key_finish(struct bvc_key *key, const char *path, char *err, size_t errsz)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	size_t len = sizeof(key->pub);
	unsigned int mdlen = 0;
	char why[512];

	if (EVP_PKEY_get_base_id(key->pkey) != EVP_PKEY_ED25519) {
		const char *name = EVP_PKEY_get0_type_name(key->pkey);

		bvc_set_err(err, errsz, "%s: %s key, expected Ed25519", path, name ? name : "unknown");
		return -EINVAL;
	}
	if (EVP_PKEY_get_raw_public_key(key->pkey, key->pub, &len) != 1 ||
	    len != BVC_SIGNER_PUBKEY_LEN) {
		bvc_set_err(err, errsz, "%s: cannot read the raw public key: %s", path,
			bvc_signer_ossl_reason(why, sizeof(why)));
		return -EINVAL;
	}
	if (EVP_Digest(key->pub, sizeof(key->pub), md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen < BVC_SIGNER_KEY_ID_LEN) {
		bvc_set_err(err, errsz, "%s: SHA-256 failed: %s", path,
			bvc_signer_ossl_reason(why, sizeof(why)));
		return -EIO;
	}
	memcpy(key->id, md, sizeof(key->id));
	return 0;
}

void bvc_signer_key_free(struct bvc_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

int bvc_signer_key_can_sign(const struct bvc_key *key)
{
	return key->priv;
}

const uint8_t *bvc_signer_key_public(const struct bvc_key *key)
{
	return key->pub;
}

const uint8_t *bvc_signer_key_id(const struct bvc_key *key)
{
	return key->id;
}

char *bvc_signer_key_id_hex(const uint8_t id[BVC_SIGNER_KEY_ID_LEN], char buf[17])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < BVC_SIGNER_KEY_ID_LEN; i++) {
		buf[2 * i] = hex[id[i] >> 4];
		buf[2 * i + 1] = hex[id[i] & 15];
	}
	buf[16] = '\0';
	return buf;
}

/* --- key files ------------------------------------------------------------ */

/* Key files are small; a bigger file is not a key and is not read whole. */
#define KEY_FILE_MAX (64 * 1024)

/* Read all of @path (at most KEY_FILE_MAX bytes) into a malloc()ed buffer. */
static int read_key_file(const char *path, char **out, size_t *len, char *err, size_t errsz)
{
	char *buf;
	size_t n;
	FILE *fp;
	int ret;

	fp = fopen(path, "re");
	if (!fp) {
		ret = -errno;
		bvc_set_err(err, errsz, "%s: %s", path, strerror(errno));
		return ret;
	}
	buf = malloc(KEY_FILE_MAX + 1);
	if (!buf) {
		fclose(fp);
		bvc_set_err(err, errsz, "out of memory");
		return -ENOMEM;
	}
	errno = 0;
	n = fread(buf, 1, KEY_FILE_MAX + 1, fp);
	ret = ferror(fp) ? (errno ? -errno : -EIO) : 0;
	fclose(fp);
	if (ret) {
		bvc_set_err(err, errsz, "%s: %s", path, strerror(-ret));
	} else if (n > KEY_FILE_MAX) {
		bvc_set_err(err, errsz, "%s: larger than %d bytes, not a key file", path, KEY_FILE_MAX);
		ret = -EFBIG;
	}
	if (ret) {
		OPENSSL_cleanse(buf, KEY_FILE_MAX + 1);
		free(buf);
		return ret;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int load(const char *path, int want_priv, struct bvc_key **out, char *err, size_t errsz)
{
	struct bvc_key *key;
	EVP_PKEY *pkey = NULL;
	char *text = NULL;
	char why[512];
	size_t len = 0;
	BIO *bio;
	int ret;

	*out = NULL;
	ERR_clear_error();
	ret = read_key_file(path, &text, &len, err, errsz);
	if (ret)
		return ret;

	/* OpenSSL says "DECODER routines::unsupported" for all of these;
	 * name the usual mistakes ourselves. */
	ret = -EBADMSG;
	if (len == 0) {
		bvc_set_err(err, errsz, "%s: empty file", path);
	} else if (!memmem(text, len, "-----BEGIN ", 11)) {
		bvc_set_err(err, errsz, "%s: no PEM block, not a key file", path);
	} else if (want_priv && memmem(text, len, "-----BEGIN ENCRYPTED PRIVATE KEY-----", 37)) {
		bvc_set_err(err, errsz, "%s: encrypted private keys are not supported", path);
	} else if (!want_priv && memmem(text, len, "PRIVATE KEY-----", 16)) {
		/* A private key where a public one belongs is a deployment
		 * mistake worth naming (and worth not loading). */
		bvc_set_err(err, errsz, "%s: holds a private key; give the public key (KEY.pub)", path);
	} else if (!(bio = BIO_new_mem_buf(text, (int)len))) {
		bvc_set_err(err, errsz, "out of memory");
		ret = -ENOMEM;
	} else {
		if (want_priv)
			pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
		else
			pkey = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
		if (!pkey)
			bvc_set_err(err, errsz, "%s: not %s: %s", path,
				want_priv ? "an unencrypted PEM private key" : "a PEM public key",
				bvc_signer_ossl_reason(why, sizeof(why)));
		BIO_free(bio);
	}
	OPENSSL_cleanse(text, len);
	free(text);
	if (!pkey)
		return ret;

	key = calloc(1, sizeof(*key));
	if (!key) {
		EVP_PKEY_free(pkey);
		bvc_set_err(err, errsz, "out of memory");
		return -ENOMEM;
	}
	key->pkey = pkey;
	key->priv = want_priv;
	ret = key_finish(key, path, err, errsz);
	if (ret) {
		bvc_signer_key_free(key);
		return ret;
	}
	*out = key;
	return 0;
}

int bvc_signer_load_private(const char *path, struct bvc_key **out, char *err, size_t errsz)
{
	return load(path, 1, out, err, errsz);
}

int bvc_signer_load_public(const char *path, struct bvc_key **out, char *err, size_t errsz)
{
	return load(path, 0, out, err, errsz);
}

/* --- verify ------------------------------------------------------------- */

int bvc_signer_verify(const struct bvc_key *key, const void *buf, size_t len,
		      const uint8_t sig[BVC_SIGNER_SIG_LEN], char *err, size_t errsz)
{
	EVP_MD_CTX *ctx;
	char why[512];
	char hex[17];
	int ret, r;

	ERR_clear_error();
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		bvc_set_err(err, errsz, "out of memory");
		return -ENOMEM;
	}
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key->pkey) != 1) {
		bvc_set_err(err, errsz, "Ed25519 verification failed to start: %s",
			bvc_signer_ossl_reason(why, sizeof(why)));
		EVP_MD_CTX_free(ctx);
		return -EIO;
	}
	r = EVP_DigestVerify(ctx, sig, BVC_SIGNER_SIG_LEN, bvc_signer_nonnull(buf), len);
	if (r == 1) {
		ret = 0;
	} else if (r == 0) {
		bvc_set_err(err, errsz, "signature does not verify with key %s",
			bvc_signer_key_id_hex(key->id, hex));
		ret = -EBADMSG;
	} else {
		bvc_set_err(err, errsz, "Ed25519 verification failed: %s",
			bvc_signer_ossl_reason(why, sizeof(why)));
		ret = -EIO;
	}
	/* A bad signature leaves reasons in the queue; they are not news. */
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return ret;
}
