// SPDX-License-Identifier: MIT
/*
 * Ed25519 key generation and signing (OpenSSL 3): the build side of the
 * signer. A device never links this file: bpfvc-run links bvc_signer_check
 * (ed25519.c, blob_read.c), and tests/runtime/nm_device.sh checks it.
 *
 * Must not: print, overwrite an existing key file, or leave a half-written
 * key pair behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "bpfvc/signer.h"
#include "bpfvc/util.h"
#include "signer_internal.h"

/* --- key files ------------------------------------------------------------ */

/* Create @path exclusively with exactly @mode (umask cannot widen or narrow
 * it: a 0600 key must not come out 0644, nor 0000). */
static FILE *create_excl(const char *path, mode_t mode, char *err, size_t errsz, int *ret)
{
	FILE *fp;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		*ret = -errno;
		if (errno == EEXIST)
			bvc_set_err(err, errsz, "%s: already exists, not overwriting a key", path);
		else
			bvc_set_err(err, errsz, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fchmod(fd, mode) < 0 || !(fp = fdopen(fd, "w"))) {
		*ret = -errno;
		bvc_set_err(err, errsz, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return NULL;
	}
	return fp;
}

/* Flush, sync and close; a key that is not on disk is not written. */
static int close_synced(FILE *fp, const char *path, char *err, size_t errsz)
{
	int ret = 0;

	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0)
		ret = -errno;
	if (fclose(fp) != 0 && !ret)
		ret = -errno;
	if (ret)
		bvc_set_err(err, errsz, "%s: %s", path, strerror(-ret));
	return ret;
}

int bvc_signer_keygen(const char *path, char *err, size_t errsz)
{
	EVP_PKEY *pkey = NULL;
	FILE *priv = NULL, *pub = NULL;
	char *pubpath = NULL;
	int made_priv = 0, made_pub = 0;
	char why[512];
	int ret;

	ERR_clear_error();
	if (asprintf(&pubpath, "%s.pub", path) < 0) {
		pubpath = NULL;
		bvc_set_err(err, errsz, "out of memory");
		return -ENOMEM;
	}
	/* Check the public path first so a refusal leaves nothing behind. */
	if (access(pubpath, F_OK) == 0) {
		bvc_set_err(err, errsz, "%s: already exists, not overwriting a key", pubpath);
		ret = -EEXIST;
		goto out;
	}

	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!pkey) {
		bvc_set_err(err, errsz, "Ed25519 key generation failed: %s",
			bvc_signer_ossl_reason(why, sizeof(why)));
		ret = -EIO;
		goto out;
	}

	priv = create_excl(path, 0600, err, errsz, &ret);
	if (!priv)
		goto out;
	made_priv = 1;
	if (PEM_write_PrivateKey(priv, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
		bvc_set_err(err, errsz, "%s: cannot write the private key: %s", path,
			bvc_signer_ossl_reason(why, sizeof(why)));
		ret = -EIO;
		goto out;
	}
	ret = close_synced(priv, path, err, errsz);
	priv = NULL;
	if (ret)
		goto out;

	pub = create_excl(pubpath, 0644, err, errsz, &ret);
	if (!pub)
		goto out;
	made_pub = 1;
	if (PEM_write_PUBKEY(pub, pkey) != 1) {
		bvc_set_err(err, errsz, "%s: cannot write the public key: %s", pubpath,
			bvc_signer_ossl_reason(why, sizeof(why)));
		ret = -EIO;
		goto out;
	}
	ret = close_synced(pub, pubpath, err, errsz);
	pub = NULL;

out:
	if (priv)
		fclose(priv);
	if (pub)
		fclose(pub);
	if (ret) {
		if (made_pub)
			unlink(pubpath);
		if (made_priv)
			unlink(path);
	}
	EVP_PKEY_free(pkey);
	free(pubpath);
	return ret;
}

/* --- sign --------------------------------------------------------------- */

int bvc_signer_sign(const struct bvc_key *key, const void *buf, size_t len,
		    uint8_t sig[BVC_SIGNER_SIG_LEN], char *err, size_t errsz)
{
	size_t siglen = BVC_SIGNER_SIG_LEN;
	EVP_MD_CTX *ctx;
	char why[512];
	int ret = 0;

	if (!key->priv) {
		bvc_set_err(err, errsz, "cannot sign with a public key");
		return -EINVAL;
	}
	ERR_clear_error();
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		bvc_set_err(err, errsz, "out of memory");
		return -ENOMEM;
	}
	/* Ed25519 hashes internally (PureEdDSA): no digest, one shot. */
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, bvc_signer_nonnull(buf), len) != 1 ||
	    siglen != BVC_SIGNER_SIG_LEN) {
		bvc_set_err(err, errsz, "Ed25519 signing failed: %s",
			bvc_signer_ossl_reason(why, sizeof(why)));
		ret = -EIO;
	}
	EVP_MD_CTX_free(ctx);
	return ret;
}
