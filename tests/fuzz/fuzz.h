/* SPDX-License-Identifier: MIT */
/*
 * What the libFuzzer harnesses of tests/fuzz/ share: the input format of
 * the bytecode harnesses, the program the wire harness checks work items
 * against, the test key of the blob harnesses, and an in-memory blob made
 * from a JIT result (what `bpfvc build` signs, without the signing).
 *
 * A harness reports a finding by abort() (after one line on stderr): the
 * fuzzer keeps the input as a crash artifact.
 */
#ifndef BVC_TESTS_FUZZ_H
#define BVC_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/blob.h"
#include "bpfvc/image.h"
#include "bpfvc/jitter.h"
#include "bpfvc/verifier.h"

/*
 * Input of the bytecode harnesses (verify, run, jit_x86):
 *   byte 0   program type, an index into fuzz_prog_types (modulo)
 *   byte 1   flags (FUZZ_F_*)
 *   byte 2   instruction count n (0: as many as fit, at most FUZZ_MAX_INSNS)
 *   n * 8    the instructions (struct bvc_insn, the file layout)
 *   rest     the input: packet bytes, or the tracing context's first bytes
 */
#define FUZZ_HDR 3
#define FUZZ_MAX_INSNS 96
#define FUZZ_INSN_LIMIT 4096 /* processed-insn budget of one verification */
#define FUZZ_F_LOG 0x81       /* both bits: verify with log level 2 (a quarter of
			       * the inputs: the log costs ~10x the verification) */
#define FUZZ_F_VAR 0x02       /* run a second time on a variant of the input */

struct fuzz_prog {
	uint32_t type;
	uint8_t flags;
	struct bvc_insn insns[FUZZ_MAX_INSNS];
	size_t cnt;
	const uint8_t *input; /* into the fuzzer's buffer */
	size_t input_len;
};

extern const uint32_t fuzz_prog_types[];
extern const size_t fuzz_prog_type_cnt;

/* Split @data as above: 0, or -1 when there is no instruction. */
int fuzz_prog_parse(const uint8_t *data, size_t size, struct fuzz_prog *p);

/* Verify @p as one raw program: 0 with *@img (the caller frees it) and
 * @v filled (the caller releases it), -1 when it cannot even be built.
 * A verdict of no kind, or an internal error, is a finding: abort(). */
int fuzz_verify(const struct fuzz_prog *p, int log_level, struct bvc_image **img,
		struct bvc_verdict *v);

/* An accepted program's blob as `bpfvc build` lays it out, in memory:
 * @jr's code, relocations and lowered bytecode, the helpers it calls.
 * Points into @jr; nothing to free. */
void fuzz_blob_of(const struct bvc_image *img, const struct bvc_jit_result *jr,
		  enum bvc_jit_target target, const struct bvc_verdict *v,
		  struct bvc_blob *blob);

/* The program work items of the wire harness's seeds were donated from
 * (a socket filter with a bpf-to-bpf call and branches); built once. */
const struct bvc_image *fuzz_wire_image(void);

/* The test key of the blob harnesses (tests/fuzz/fuzz_key): private half,
 * loaded once; abort()s if missing. */
const struct bvc_key *fuzz_key(void);

/* One line on stderr, then abort(): a finding. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
