/* SPDX-License-Identifier: MIT */
/*
 * What the cluster suites share: a scratch directory per test (sockets,
 * objects, logs), made under /tmp and removed after it, and a monotonic
 * clock for hang guards and the times the tests log (never asserted).
 * Header-only: each suite is its own executable.
 */
#ifndef BVC_TESTS_CLUSTER_SCRATCH_H
#define BVC_TESTS_CLUSTER_SCRATCH_H

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static char dir[64]; /* this test's scratch directory */

/* Make /tmp/@tag-XXXXXX the test's directory (a suite's .init). */
static inline void scratch_make(const char *tag)
{
	snprintf(dir, sizeof(dir), "/tmp/%s-XXXXXX", tag);
	cr_assert_not_null(mkdtemp(dir));
}

/* Remove it with everything in it (a suite's .fini). */
static inline void scratch_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("cannot remove %s", dir);
}

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* BVC_TESTS_CLUSTER_SCRATCH_H */
