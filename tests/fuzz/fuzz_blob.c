// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: the blob reader (signer/blob_read.c) and what a device
 * does with a blob it accepted.
 *
 * Two modes, two binaries from this file:
 *   fuzz_blob         the bytes as they come, read with the trusted key (a
 *                     device) and with none (bpfvc inspect: structure only);
 *   fuzz_blob_signed  the bytes are signed first with the trusted test key
 *                     (the last 80 bytes taken as the signature section, as
 *                     in every well-formed blob), so that mutations get past
 *                     the signature to the section parser, then to the
 *                     runtime's loader and its interpreter (never native
 *                     code: fuzzed machine code proves nothing).
 * A crash, a sanitizer report, a hang or an unbounded allocation is a finding.
 */
#include <stdlib.h>
#include <string.h>

#include "bpfvc/blob.h"
#include "bpfvc/runtime.h"
#include "bpfvc/signer.h"
#include "fuzz.h"

#define SIG_SECTION 80 /* docs/blob-format.md: alg, reserved, key id, signature */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A blob the reader accepted: load it as a device would and run its
 * bytecode once on the interpreter, on an empty context. */
static void use_blob(const struct bvc_blob *b)
{
	struct bvc_rt_opts o = { .sz = sizeof(o), .force_interp = 1, .max_steps = 20000 };
	struct bvc_rt_prog *p = NULL;
	struct bvc_rt_ctx *ctx = NULL;
	uint8_t pkt[64] = { 0 };
	char err[256];
	uint64_t r0;

	(void)bvc_blob_check_target(b, bvc_rt_host_target(), err, sizeof(err));
	if (bvc_rt_load(b, &o, &p, err, sizeof(err)))
		return;
	if (bvc_rt_ctx_new(b->meta.prog_type, pkt, sizeof(pkt), &ctx, err, sizeof(err)) == 0)
		(void)bvc_rt_run(p, ctx, &r0, err, sizeof(err));
	bvc_rt_ctx_free(ctx);
	bvc_rt_prog_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct bvc_key *key = fuzz_key();
	struct bvc_blob *b = NULL;
	char err[256];
	int ret;

#ifdef FUZZ_BLOB_SIGNED
	uint8_t *buf;

	if (size < SIG_SECTION)
		return 0;
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memcpy(buf + size - SIG_SECTION + 8, bvc_signer_key_id(key), BVC_SIGNER_KEY_ID_LEN);
	if (bvc_signer_sign(key, buf, size - SIG_SECTION, buf + size - SIG_SECTION + 16, err,
			    sizeof(err)))
		fuzz_fail("cannot sign: %s", err);
	ret = bvc_blob_read(buf, size, key, &b, err, sizeof(err));
	if (ret == 0) {
		use_blob(b);
		bvc_blob_free(b);
	}
	free(buf);
#else
	ret = bvc_blob_read(data, size, key, &b, err, sizeof(err));
	if (ret == 0) {
		/* Only blobs the test key signed get here (the seeds). */
		use_blob(b);
		bvc_blob_free(b);
	}
	ret = bvc_blob_read(data, size, NULL, &b, err, sizeof(err));
	if (ret == 0)
		bvc_blob_free(b);
#endif
	return 0;
}
