// SPDX-License-Identifier: MIT
/*
 * Where local workers run: one per core, from the hwloc topology.
 *
 * One worker per core rather than per hardware thread: the verifier's
 * exploration is branchy and cache-bound, so two workers on sibling threads
 * mostly share one core's resources. hwloc by default sees only the PUs
 * this process may use (cgroup, taskset), so the plan never places a worker
 * where it cannot run. A machine whose OS reports no cores (rare VMs) gets
 * one worker per PU.
 *
 * Must not: print (the topology text is returned for the caller's -v), or
 * bind anything: pinning is the worker's job (worker/pin.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hwloc.h>

#include "bpfvc/coordinator.h"
#include "bpfvc/util.h"

void bvc_coord_plan_free(struct bvc_coord_plan *plan)
{
	if (!plan)
		return;
	free(plan->slots);
	free(plan->topology);
	free(plan);
}

/* "core" or "PU" as the plan and its messages say it. */
static const char *unit_name(hwloc_obj_type_t unit)
{
	return unit == HWLOC_OBJ_CORE ? "core" : "PU";
}

static const char *plural(int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* The text for -v: the machine as hwloc sees it, then the plan. */
static char *describe(hwloc_topology_t topo, hwloc_obj_type_t unit,
		      const struct bvc_coord_plan *plan)
{
	int npkg = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
	int nnuma = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
	char list[BVC_CPUSET_STR_MAX];
	size_t size = 0;
	char *text = NULL;
	unsigned int i;
	FILE *f;
	int k;

	f = open_memstream(&text, &size);
	if (!f)
		return NULL;
	fprintf(f, "machine: %d %s, %d NUMA %s, %u %s, %u %s\n", npkg,
		plural(npkg, "package", "packages"), nnuma, plural(nnuma, "node", "nodes"),
		plan->ncores, plural((int)plan->ncores, "core", "cores"), plan->npus,
		plural((int)plan->npus, "PU", "PUs"));
	for (k = 0; k < npkg; k++) {
		hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, (unsigned)k);
		const char *model = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;

		fprintf(f, "  package L#%d: %s\n", k, model ? model : "(model unknown)");
	}
	for (i = 0; i < plan->ncores; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(topo, unit, i);

		if (!o)
			continue; /* cannot happen: i < count of this type */
		hwloc_bitmap_list_snprintf(list, sizeof(list), o->cpuset);
		if (o->os_index != HWLOC_UNKNOWN_INDEX)
			fprintf(f, "  %s L#%u P#%u: PUs %s\n", unit_name(unit), i,
				o->os_index, list);
		else
			fprintf(f, "  %s L#%u: PUs %s\n", unit_name(unit), i, list);
	}
	fprintf(f, "plan: %u %s, one per %s%s\n", plan->nworkers,
		plural((int)plan->nworkers, "worker", "workers"), unit_name(unit),
		plan->nworkers > plan->ncores ? ", wrapping around" : "");
	for (i = 0; i < plan->nworkers; i++)
		fprintf(f, "  worker %u -> %s L#%u (PUs %s)\n", i, unit_name(unit),
			plan->slots[i].core, plan->slots[i].cpuset);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

int bvc_coord_plan_cores(unsigned int nworkers, struct bvc_coord_plan **out, char *err,
			 size_t errsz)
{
	hwloc_obj_type_t unit = HWLOC_OBJ_CORE;
	struct bvc_coord_plan *plan = NULL;
	hwloc_topology_t topo;
	int n, npus, ret = 0;
	unsigned int i;

	*out = NULL;
	if (hwloc_topology_init(&topo) < 0) {
		bvc_set_err(err, errsz, "hwloc cannot start: %s", strerror(errno ? errno : EIO));
		return -EIO;
	}
	if (hwloc_topology_load(topo) < 0) {
		bvc_set_err(err, errsz, "hwloc cannot read the topology: %s",
			strerror(errno ? errno : EIO));
		ret = -EIO;
		goto out;
	}
	npus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
	if (n <= 0) {
		unit = HWLOC_OBJ_PU;
		n = npus;
	}
	if (n <= 0 || npus <= 0) {
		bvc_set_err(err, errsz, "hwloc found no processing units we may use");
		ret = -EIO;
		goto out;
	}

	plan = calloc(1, sizeof(*plan));
	if (!plan)
		goto nomem;
	plan->ncores = (unsigned int)n;
	plan->npus = (unsigned int)npus;
	plan->nworkers = nworkers ? nworkers : plan->ncores;
	plan->slots = calloc(plan->nworkers, sizeof(*plan->slots));
	if (!plan->slots)
		goto nomem;
	for (i = 0; i < plan->nworkers; i++) {
		struct bvc_core_slot *s = &plan->slots[i];
		hwloc_obj_t o = hwloc_get_obj_by_type(topo, unit, i % plan->ncores);
		int len;

		if (!o) {
			/* Defensive: hwloc counted this many objects. */
			bvc_set_err(err, errsz, "hwloc lost %s %u", unit_name(unit),
				i % plan->ncores);
			ret = -EIO;
			goto out;
		}
		s->worker = i;
		s->core = o->logical_index;
		s->core_os = o->os_index == HWLOC_UNKNOWN_INDEX ? -1 : (int)o->os_index;
		s->npus = (unsigned int)hwloc_bitmap_weight(o->cpuset);
		len = hwloc_bitmap_list_snprintf(s->cpuset, sizeof(s->cpuset), o->cpuset);
		if (len < 0 || (size_t)len >= sizeof(s->cpuset)) {
			bvc_set_err(err, errsz, "cpuset of %s L#%u does not fit %d characters",
				unit_name(unit), s->core, BVC_CPUSET_STR_MAX - 1);
			ret = -EOVERFLOW;
			goto out;
		}
	}
	plan->topology = describe(topo, unit, plan);
	if (!plan->topology)
		goto nomem;
	*out = plan;
	plan = NULL;
	goto out;
nomem:
	bvc_set_err(err, errsz, "out of memory");
	ret = -ENOMEM;
out:
	bvc_coord_plan_free(plan);
	hwloc_topology_destroy(topo);
	return ret;
}
