/* SPDX-License-Identifier: MIT */
/*
 * bpfvc Ed25519 verification without OpenSSL (RFC 8032, section 5.1.7),
 * for devices OpenSSL does not run on: a microcontroller checks a blob's
 * signature with this. Freestanding C11: no libc, no allocation, no
 * 128-bit integers, so it builds with arm-none-eabi-gcc -ffreestanding.
 * Verification only: it holds no secret, so it need not be constant-time.
 *
 * The check is OpenSSL's: S must be below the group order L, A must
 * decode (a canonical y, a square root that exists, no negative zero), and
 * the encoding of [S]B - [k]A must equal R byte for byte (cofactorless),
 * with k = SHA-512(R || A || M) mod L.
 */
#ifndef BPFVC_ED25519_H
#define BPFVC_ED25519_H

#include <stddef.h>
#include <stdint.h>

/* 1 if @sig (64 bytes) is @pub's (32 bytes) Ed25519 signature of the
 * @len bytes at @msg (which may be NULL when @len is 0), else 0. */
int bvc_ed25519_verify(const uint8_t sig[64], const uint8_t *msg, size_t len,
		       const uint8_t pub[32]);

/* SHA-512 of the @len bytes at @msg into @out (64 bytes): the hash the
 * verification uses, public for its tests. */
void bvc_sha512(const uint8_t *msg, size_t len, uint8_t out[64]);

#endif /* BPFVC_ED25519_H */
