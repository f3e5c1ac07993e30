/* SPDX-License-Identifier: MIT */
/*
 * bpfvc signer: Ed25519 keys, signatures and key ids (OpenSSL 3).
 *
 * A key pair lives in two PEM files: KEY (PKCS#8 private key, mode 0600)
 * and KEY.pub (SubjectPublicKeyInfo), as `bpfvc keygen -o KEY` writes them.
 * A key id is the first 8 bytes of SHA-256 over the raw 32-byte public key;
 * a blob's signature section names the key that signed it by this id.
 *
 * Two libraries: a device links bvc_signer_check (loading keys, key ids,
 * bvc_signer_verify(), and the blob reader of bpfvc/blob.h); the build side
 * links bvc_signer, which adds bvc_signer_keygen(), bvc_signer_sign() and
 * the blob writer. A device binary holds no code that can sign.
 *
 * Errors are negative errno with a message in @err that names the file and
 * carries OpenSSL's own reason when OpenSSL failed.
 */
#ifndef BPFVC_SIGNER_H
#define BPFVC_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#define BVC_SIGNER_SIG_LEN 64    /* Ed25519 signature */
#define BVC_SIGNER_PUBKEY_LEN 32 /* raw Ed25519 public key */
#define BVC_SIGNER_KEY_ID_LEN 8  /* bytes of SHA-256(raw public key) */

/* A loaded key: a private key (which can also verify) or a public key only. */
struct bvc_key;

/* Generate a key pair: @path (private, created 0600) and "@path.pub".
 * Refuses to overwrite either file (-EEXIST). */
int bvc_signer_keygen(const char *path, char *err, size_t errsz);

/* Load a PEM private key (@path) or public key (@path, usually KEY.pub).
 * -ENOENT/-EACCES/... for the file, -EBADMSG for content that is not an
 * unencrypted PEM key, -EINVAL for a key that is not Ed25519. */
int bvc_signer_load_private(const char *path, struct bvc_key **out, char *err, size_t errsz);
int bvc_signer_load_public(const char *path, struct bvc_key **out, char *err, size_t errsz);
void bvc_signer_key_free(struct bvc_key *key);

/* 1 if @key holds a private part and can sign. */
int bvc_signer_key_can_sign(const struct bvc_key *key);

/* The raw public key and the key id, computed when the key was loaded. */
const uint8_t *bvc_signer_key_public(const struct bvc_key *key);
const uint8_t *bvc_signer_key_id(const struct bvc_key *key);

/* Key id as 16 lowercase hex digits; @buf needs 17 bytes. Returns @buf. */
char *bvc_signer_key_id_hex(const uint8_t id[BVC_SIGNER_KEY_ID_LEN], char buf[17]);

/* Sign @len bytes at @buf. -EINVAL if @key is public only. */
int bvc_signer_sign(const struct bvc_key *key, const void *buf, size_t len,
		    uint8_t sig[BVC_SIGNER_SIG_LEN], char *err, size_t errsz);

/* Check @sig over @len bytes at @buf: 0 if it verifies, -EBADMSG if not,
 * another negative errno if OpenSSL failed. */
int bvc_signer_verify(const struct bvc_key *key, const void *buf, size_t len,
		      const uint8_t sig[BVC_SIGNER_SIG_LEN], char *err, size_t errsz);

#endif /* BPFVC_SIGNER_H */
