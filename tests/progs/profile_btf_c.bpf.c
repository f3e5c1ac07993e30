// SPDX-License-Identifier: MIT
/*
 * A small device kernel's BTF for tests/profile (no program): struct
 * dev_rec as in profile_btf_a, and what the kernel offers, in the enums
 * `bpfvc profile capture` reads: xdp programs only, and of the helpers
 * map_lookup_elem only.
 */
#include <linux/types.h>

struct dev_rec {
	__u32 a;
	__u32 b;
};

enum bpf_func_id {
	BPF_FUNC_unspec,
	BPF_FUNC_map_lookup_elem,
	__BPF_FUNC_MAX_ID,
};

enum bpf_prog_type {
	BPF_PROG_TYPE_UNSPEC = 0,
	BPF_PROG_TYPE_XDP = 6,
};

struct dev_rec dev_rec_layout;
enum bpf_func_id func_ids;
enum bpf_prog_type prog_types;
