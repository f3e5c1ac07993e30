// SPDX-License-Identifier: MIT
/*
 * Another kernel's BTF for profile_pair.bpf.c (no program): struct dev_rec
 * grew, and b is at offset 16, past the program's 8-byte map value.
 */
#include <linux/types.h>

struct dev_rec {
	__u64 a;
	__u64 stamp;
	__u32 b;
};

struct dev_rec dev_rec_layout;
