// SPDX-License-Identifier: MIT
/*
 * libcrypto for the bpfvc command, opened when a key or a signature is
 * first needed (build, keygen, inspect --pubkey).
 *
 * Linked, libcrypto (17,000 relocations) costs every bpfvc command about
 * 1 ms of CPU in the dynamic loader before main(), `verify` included,
 * which never signs (bench/README.md, "Start-up"). As cli/zmq_lazy.c does
 * for libzmq, bpfvc links --as-needed and defines here the OpenSSL
 * functions that signer/ calls, each forwarding to the real libcrypto
 * (BVC_CRYPTO_SONAME, the one we were built against), opened on the first
 * call. bpfvc-run (the device) and the tests link libcrypto as usual.
 * tests/cli/startup_libs.sh checks that bpfvc does not load libcrypto at
 * start-up: a function that signer/ starts to use without a forwarder
 * here would bring it back.
 *
 * If libcrypto cannot be opened, every call fails as OpenSSL says a
 * failure (NULL, 0 or -1), and the error queue names the cause, so the
 * signer's own error paths report it. EVP_PKEY_Q_keygen() is variadic:
 * only the key types that take no parameter are passed on (signer/ asks
 * for ED25519).
 *
 * Must not: do anything before the first OpenSSL call.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "lazy_lib.h"

#define CRYPTO_FUNCS(X)                                                                    \
	X(BIO_free) X(BIO_new_mem_buf) X(ERR_clear_error) X(ERR_error_string_n)           \
	X(ERR_get_error) X(EVP_Digest) X(EVP_DigestSign) X(EVP_DigestSignInit)            \
	X(EVP_DigestVerify) X(EVP_DigestVerifyInit) X(EVP_MD_CTX_free) X(EVP_MD_CTX_new)  \
	X(EVP_PKEY_Q_keygen) X(EVP_PKEY_free) X(EVP_PKEY_get0_type_name)                  \
	X(EVP_PKEY_get_base_id) X(EVP_PKEY_get_raw_public_key) X(EVP_sha256)              \
	X(OPENSSL_cleanse) X(PEM_read_bio_PUBKEY) X(PEM_read_bio_PrivateKey)              \
	X(PEM_write_PUBKEY) X(PEM_write_PrivateKey)

enum {
#define SLOT(name) F_##name,
	CRYPTO_FUNCS(SLOT)
#undef SLOT
	F_COUNT
};

static const char *const names[F_COUNT] = {
#define NAME(name) [F_##name] = #name,
	CRYPTO_FUNCS(NAME)
#undef NAME
};

static void *fns[F_COUNT];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* All or nothing (lazy_lib.c). */
static void load(void)
{
	bvc_lazy_lib_load(BVC_CRYPTO_SONAME, names, fns, F_COUNT);
}

static void *fn(int i)
{
	pthread_once(&once, load);
	return fns[i];
}

#define FWD(ret, name, fail, params, args)                                 \
	ret name params                                                    \
	{                                                                  \
		ret(*f) params = (ret(*) params)fn(F_##name);              \
		return f ? f args : fail;                                  \
	}
#define FWD_VOID(name, params, args)                                       \
	void name params                                                   \
	{                                                                  \
		void(*f) params = (void(*) params)fn(F_##name);            \
		if (f)                                                     \
			f args;                                            \
	}

FWD(int, BIO_free, 0, (BIO *a), (a))
FWD(BIO *, BIO_new_mem_buf, NULL, (const void *buf, int len), (buf, len))
FWD(int, EVP_Digest, 0,
    (const void *data, size_t count, unsigned char *md, unsigned int *size, const EVP_MD *type,
     ENGINE *impl),
    (data, count, md, size, type, impl))
FWD(int, EVP_DigestSign, 0,
    (EVP_MD_CTX *ctx, unsigned char *sigret, size_t *siglen, const unsigned char *tbs,
     size_t tbslen),
    (ctx, sigret, siglen, tbs, tbslen))
FWD(int, EVP_DigestSignInit, 0,
    (EVP_MD_CTX *ctx, EVP_PKEY_CTX **pctx, const EVP_MD *type, ENGINE *e, EVP_PKEY *pkey),
    (ctx, pctx, type, e, pkey))
FWD(int, EVP_DigestVerify, -1,
    (EVP_MD_CTX *ctx, const unsigned char *sigret, size_t siglen, const unsigned char *tbs,
     size_t tbslen),
    (ctx, sigret, siglen, tbs, tbslen))
FWD(int, EVP_DigestVerifyInit, 0,
    (EVP_MD_CTX *ctx, EVP_PKEY_CTX **pctx, const EVP_MD *type, ENGINE *e, EVP_PKEY *pkey),
    (ctx, pctx, type, e, pkey))
FWD_VOID(EVP_MD_CTX_free, (EVP_MD_CTX *ctx), (ctx))
FWD(EVP_MD_CTX *, EVP_MD_CTX_new, NULL, (void), ())
FWD_VOID(EVP_PKEY_free, (EVP_PKEY *pkey), (pkey))
FWD(const char *, EVP_PKEY_get0_type_name, NULL, (const EVP_PKEY *key), (key))
FWD(int, EVP_PKEY_get_base_id, 0, (const EVP_PKEY *pkey), (pkey))
FWD(int, EVP_PKEY_get_raw_public_key, 0,
    (const EVP_PKEY *pkey, unsigned char *pub, size_t *len), (pkey, pub, len))
FWD(const EVP_MD *, EVP_sha256, NULL, (void), ())
FWD(EVP_PKEY *, PEM_read_bio_PUBKEY, NULL, (BIO *bp, EVP_PKEY **x, pem_password_cb *cb, void *u),
    (bp, x, cb, u))
FWD(EVP_PKEY *, PEM_read_bio_PrivateKey, NULL,
    (BIO *bp, EVP_PKEY **x, pem_password_cb *cb, void *u), (bp, x, cb, u))
FWD(int, PEM_write_PUBKEY, 0, (FILE *out, const EVP_PKEY *x), (out, x))
FWD(int, PEM_write_PrivateKey, 0,
    (FILE *out, const EVP_PKEY *x, const EVP_CIPHER *enc, const unsigned char *kstr, int klen,
     pem_password_cb *cb, void *u),
    (out, x, enc, kstr, klen, cb, u))

/* Said by ERR_error_string_n() when libcrypto could not be opened. */
static const char missing[] = "cannot open " BVC_CRYPTO_SONAME;

/* Without libcrypto: whether this thread's one error (every call
 * failed) was taken off the queue since it was last cleared. */
static _Thread_local int missing_said;

void ERR_clear_error(void)
{
	void (*f)(void) = (void (*)(void))fn(F_ERR_clear_error);

	if (f)
		f();
	missing_said = 0;
}

unsigned long ERR_get_error(void)
{
	unsigned long (*f)(void) = (unsigned long (*)(void))fn(F_ERR_get_error);

	if (f)
		return f();
	/* One error, then an empty queue: callers loop until 0. */
	if (missing_said)
		return 0;
	missing_said = 1;
	return 1;
}

void ERR_error_string_n(unsigned long e, char *buf, size_t len)
{
	void (*f)(unsigned long, char *, size_t) =
		(void (*)(unsigned long, char *, size_t))fn(F_ERR_error_string_n);

	if (f)
		f(e, buf, len);
	else if (len)
		snprintf(buf, len, "%s", missing);
}

void OPENSSL_cleanse(void *ptr, size_t len)
{
	void (*f)(void *, size_t) = (void (*)(void *, size_t))fn(F_OPENSSL_cleanse);

	if (f)
		f(ptr, len);
	else
		explicit_bzero(ptr, len);
}

EVP_PKEY *EVP_PKEY_Q_keygen(OSSL_LIB_CTX *libctx, const char *propq, const char *type, ...)
{
	EVP_PKEY *(*f)(OSSL_LIB_CTX *, const char *, const char *, ...) =
		(EVP_PKEY * (*)(OSSL_LIB_CTX *, const char *, const char *, ...))
			fn(F_EVP_PKEY_Q_keygen);

	/* A va_list cannot be passed on: only types without parameters. */
	if (!f || !type || (strcmp(type, "ED25519") && strcmp(type, "ED448") &&
			    strcmp(type, "X25519") && strcmp(type, "X448")))
		return NULL;
	return f(libctx, propq, type);
}
