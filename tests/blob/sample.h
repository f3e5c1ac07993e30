/* SPDX-License-Identifier: MIT */
/*
 * A small blob with every section and every relocation kind, for the blob
 * tests and for mkblob (which writes it for the CLI test). The code is real
 * x86-64 or arm64 so `bpfvc inspect` has something to disassemble; it is
 * never run.
 */
#ifndef BVC_TEST_BLOB_SAMPLE_H
#define BVC_TEST_BLOB_SAMPLE_H

#include <stdint.h>

#include "bpfvc/blob.h"

/* Fill @b (static storage: call once per process or per test) for
 * @target (1 x86_64, 2 arm64): 4 relocations (map, map_value, helper,
 * runtime), 2 maps (a hash and a .data array with 16 initial bytes),
 * 4 insns of bytecode, helpers 1 and 6. */
void bvc_test_sample_blob(struct bvc_blob *b, uint32_t target);

#endif
