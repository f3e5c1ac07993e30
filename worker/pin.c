// SPDX-License-Identifier: MIT
/*
 * Pin a worker to the core its coordinator planned for it (hwloc).
 *
 * The cpuset travels as text (hwloc list syntax) so a coordinator can pass
 * it to a spawned process; this file parses it back and checks it against
 * the PUs this process may use before binding, so a plan made on another
 * machine or under another cgroup fails with a message, not a bind error.
 *
 * Must not: print, or bind anything but the calling thread (the caller owns
 * the rest of its process).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hwloc.h>

#include "bpfvc/worker.h"
#include "bpfvc/util.h"

int bvc_worker_pin_to_core(const struct bvc_core_slot *slot, char *err, size_t errsz)
{
	hwloc_topology_t topo = NULL;
	hwloc_bitmap_t set = NULL;
	hwloc_const_bitmap_t allowed;
	char allowed_str[BVC_CPUSET_STR_MAX];
	int ret = 0;

	if (!memchr(slot->cpuset, 0, sizeof(slot->cpuset))) {
		bvc_set_err(err, errsz, "worker %u: cpuset is not terminated", slot->worker);
		return -EINVAL;
	}
	set = hwloc_bitmap_alloc();
	if (!set) {
		bvc_set_err(err, errsz, "out of memory");
		return -ENOMEM;
	}
	if (hwloc_bitmap_list_sscanf(set, slot->cpuset) < 0 || hwloc_bitmap_iszero(set) ||
	    hwloc_bitmap_weight(set) < 0) {
		/* weight < 0: an infinite set such as "0-" */
		bvc_set_err(err, errsz, "worker %u: bad cpuset '%s'", slot->worker, slot->cpuset);
		ret = -EINVAL;
		goto out;
	}
	if (hwloc_topology_init(&topo) < 0) {
		topo = NULL;
		bvc_set_err(err, errsz, "hwloc cannot start: %s", strerror(errno ? errno : EIO));
		ret = -EIO;
		goto out;
	}
	if (hwloc_topology_load(topo) < 0) {
		bvc_set_err(err, errsz, "hwloc cannot read the topology: %s",
			strerror(errno ? errno : EIO));
		ret = -EIO;
		goto out;
	}
	allowed = hwloc_topology_get_allowed_cpuset(topo);
	if (!hwloc_bitmap_isincluded(set, allowed)) {
		hwloc_bitmap_list_snprintf(allowed_str, sizeof(allowed_str), allowed);
		bvc_set_err(err, errsz, "worker %u: cpuset %s is not within the PUs we may use (%s)",
			slot->worker, slot->cpuset, allowed_str);
		ret = -EINVAL;
		goto out;
	}
	if (hwloc_set_cpubind(topo, set, HWLOC_CPUBIND_THREAD) < 0) {
		ret = errno ? -errno : -EIO;
		bvc_set_err(err, errsz, "worker %u: cannot bind to PUs %s: %s", slot->worker,
			slot->cpuset, strerror(-ret));
		goto out;
	}
out:
	if (topo)
		hwloc_topology_destroy(topo);
	hwloc_bitmap_free(set);
	return ret;
}
