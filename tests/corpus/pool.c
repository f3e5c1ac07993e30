// SPDX-License-Identifier: MIT
/*
 * The harness's lanes: a list of programs run by @jobs forked processes at
 * once, each taking the next index from a counter in shared memory and
 * writing its program's result into a shared array. The kernel and our
 * verifier each use one core per program, so two lanes halve a corpus run
 * on two cores; every program still runs its phases in its own child
 * (child.c), so a lane never dies of a program.
 *
 * The parent keeps everything that is not per program (the label cache,
 * the classification that reads the baseline, the report): lanes only
 * fill struct cp_result, which is fixed size and pointer-free for this.
 *
 * Must not: lose a program. A lane that dies mid-task (it cannot, short of
 * a bug here or SIGKILL) leaves its result marked, and the parent records
 * it as our failure rather than leaving a zero result that reads "not run".
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

struct pool_shared {
	atomic_size_t next;   /* the next task index to take */
	struct cp_result res[]; /* one per task; phase = -1 until done */
};

unsigned cp_pool_default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

static void lane(struct pool_shared *sh, size_t n, cp_pool_fn fn, void *arg)
{
	size_t i;

	while ((i = atomic_fetch_add(&sh->next, 1)) < n) {
		struct cp_result r = sh->res[i];

		fn(i, arg, &r);
		r.phase = 0;
		sh->res[i] = r;
	}
}

int cp_pool_run(size_t n, unsigned jobs, cp_pool_fn fn, void *arg, struct cp_result *results)
{
	size_t size = sizeof(struct pool_shared) + n * sizeof(struct cp_result), i;
	struct pool_shared *sh;
	pid_t *pids;
	unsigned k, started = 0;

	if (!n)
		return 0;
	if (jobs > n)
		jobs = (unsigned)n;
	sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -errno;
	pids = calloc(jobs ? jobs : 1, sizeof(*pids));
	if (!pids) {
		munmap(sh, size);
		return -ENOMEM;
	}
	atomic_init(&sh->next, 0);
	for (i = 0; i < n; i++) {
		sh->res[i] = results[i];
		sh->res[i].phase = -1;
	}
	fflush(stdout);
	fflush(stderr);
	for (k = 0; k < jobs; k++) {
		pid_t pid = fork();

		if (pid == 0) {
			/* child.c's page must be this lane's own, not shared
			 * with the other lanes through the parent's mapping. */
			if (cp_child_init())
				_exit(2);
			lane(sh, n, fn, arg);
			fflush(stdout);
			_exit(0);
		}
		if (pid < 0)
			break;
		pids[started++] = pid;
	}
	if (!started) /* no lane could start: run them here, one by one */
		lane(sh, n, fn, arg);
	for (k = 0; k < started; k++)
		while (waitpid(pids[k], NULL, 0) < 0 && errno == EINTR)
			;
	for (i = 0; i < n; i++) {
		results[i] = sh->res[i];
		if (results[i].phase != -1)
			continue;
		results[i].phase = 0;
		results[i].ostatus = CP_O_CRASH;
		snprintf(results[i].omsg, CP_TEXT, "the harness lane running it died");
	}
	free(pids);
	munmap(sh, size);
	return 0;
}
