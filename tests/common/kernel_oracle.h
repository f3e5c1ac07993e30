/* SPDX-License-Identifier: MIT */
/*
 * The running kernel as a test oracle: load raw instructions with
 * bpf(BPF_PROG_LOAD) in privileged mode and return the verdict and log.
 * Tests skip (not fail) when the kernel refuses bpf() itself.
 */
#ifndef BVC_TEST_KERNEL_ORACLE_H
#define BVC_TEST_KERNEL_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvc/image.h"
#include "bpfvc/isa.h"

struct bvc_kernel_result {
	int available; /* 0: bpf() is not permitted here (EPERM/ENOSYS) */
	int accepted;  /* the kernel loaded the program */
	int err;       /* errno of a refused load */
	char log[65536]; /* the verifier log */
};

/* Load @insns as a program of kernel type @prog_type with @log_level.
 * Fills @res; returns 0 unless something outside the kernel failed. */
int bvc_kernel_load(const struct bvc_insn *insns, size_t cnt, uint32_t prog_type,
		    uint32_t log_level, struct bvc_kernel_result *res);

/* Same for a program of an image: its maps are created in the kernel
 * (global data with their initial bytes, .rodata frozen) and map
 * references turned into fds for the load. */
int bvc_kernel_load_prog(const struct bvc_image *img, const struct bvc_prog *prog,
			 uint32_t log_level, struct bvc_kernel_result *res);

#endif
