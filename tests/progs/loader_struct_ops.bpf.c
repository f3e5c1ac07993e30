// SPDX-License-Identifier: MIT
/*
 * A struct_ops map naming its program through .rel.struct_ops. struct_ops
 * is not modelled: the loader refuses the object (-EOPNOTSUPP), or with
 * keep_unsupported marks the program "unsupported: struct_ops" (the
 * object's other programs, if any, load as usual: bpf_cubic and friends
 * in the corpus). Loader-only: no kernel has struct bvc_ops. (No plain
 * program here: libbpf 1.1 crashes loading one from such an object.)
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bvc_ops {
	int (*op)(void);
	char name[16];
};

SEC("struct_ops/op")
int op_impl(void)
{
	return 0;
}

SEC(".struct_ops")
struct bvc_ops ops = {
	.op = (void *)op_impl,
	.name = "bvc_ops",
};

char LICENSE[] SEC("license") = "GPL";
