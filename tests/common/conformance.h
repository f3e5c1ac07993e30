/* SPDX-License-Identifier: MIT */
/*
 * The bpf_conformance vectors (tests/conformance/tests, the .data files) as data
 * for every runner: the interpreter and each JIT read them through here.
 * Format: sections "-- hex" (program bytes), "-- raw" (64-bit words),
 * "-- mem" (input bytes), "-- result" (expected r0), "-- error"; other
 * sections and '#' lines are ignored.
 */
#ifndef BVC_TEST_CONFORMANCE_H
#define BVC_TEST_CONFORMANCE_H

#include <stddef.h>
#include <stdint.h>

/* One vector to run. Fixed-size name: Criterion copies parameters into
 * its worker processes, so they must hold no pointers. */
struct bvc_conf_case {
	char name[128]; /* file name in the directory; "" when the listing failed */
	int dir_errno;  /* why the directory could not be read */
};

/* What a .data file says. */
struct bvc_conf_vector {
	uint8_t *code;   /* program bytes: -- hex, else -- raw */
	size_t code_len;
	uint8_t *mem;    /* input memory, or NULL */
	size_t mem_len;
	int has_result;  /* -- result given */
	uint64_t result; /* expected r0 */
	int has_error;   /* -- error given: the program must be refused */
	int callx;       /* the program uses callx (0x8d), which bpfvc refuses */
};

/* The .data files of @dir, sorted, in an array from @alloc (calloc-like,
 * e.g. cr_calloc). Never empty: when the directory cannot be read, one
 * case with an empty name and dir_errno set, so a suite fails loudly. */
size_t bvc_conf_list(const char *dir, void *(*alloc)(size_t, size_t), struct bvc_conf_case **out);

/* Read @path. Returns 0, or a negative errno with @err saying why (unreadable
 * file, bad hex, -- hex and -- raw disagreeing, a program length that is not
 * a multiple of 8, neither -- result nor -- error). */
int bvc_conf_parse(const char *path, struct bvc_conf_vector *v, char *err, size_t errsz);

void bvc_conf_free(struct bvc_conf_vector *v);

#endif
