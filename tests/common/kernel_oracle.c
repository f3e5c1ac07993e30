// SPDX-License-Identifier: MIT
/*
 * bpf(BPF_PROG_LOAD) for tests. Uses the UAPI header only for the attribute
 * layout; the program is closed again at once.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/kernel_oracle.h"

int bvc_kernel_load(const struct bvc_insn *insns, size_t cnt, uint32_t prog_type,
		    uint32_t log_level, struct bvc_kernel_result *res)
{
	union bpf_attr attr;
	int fd;

	memset(res, 0, sizeof(*res));
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = prog_type;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)cnt;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	attr.log_buf = (uint64_t)(uintptr_t)res->log;
	attr.log_size = sizeof(res->log);
	attr.log_level = log_level;

	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd >= 0) {
		close(fd);
		res->available = 1;
		res->accepted = 1;
		return 0;
	}
	res->err = errno;
	res->available = errno != EPERM && errno != ENOSYS;
	return 0;
}
