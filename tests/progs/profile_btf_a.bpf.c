// SPDX-License-Identifier: MIT
/*
 * A target kernel's BTF for profile_pair.bpf.c (no program): its struct
 * dev_rec has b at offset 4. `bpfvc profile capture --btf` takes the
 * object's .BTF as the kernel's.
 */
#include <linux/types.h>

struct dev_rec {
	__u32 a;
	__u32 b;
};

struct dev_rec dev_rec_layout;
