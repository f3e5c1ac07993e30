// SPDX-License-Identifier: MIT
/*
 * One phase of one program, one child: the kernel load (phase 1) and our
 * verifier (phase 2) each run in a forked process that writes its answers
 * into a page shared with the parent. alarm() is the watchdog: SIGALRM's
 * default action ends the child, and the kernel verifier gives up a load
 * when a signal is pending, so nothing can hang the run. A crash or a
 * timeout is recorded against its phase; the other phase still runs.
 *
 * Must not: let the child return into the parent's code (it _exit()s).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

static struct cp_result *shared;

int cp_child_init(void)
{
	void *p = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	shared = p;
	return 0;
}

void cp_child_phase(cp_child_fn fn, void *arg, int phase, unsigned timeout,
		    struct cp_result *res)
{
	int status = 0;
	pid_t pid;

	*shared = *res;
	shared->phase = phase;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		signal(SIGALRM, SIG_DFL);
		alarm(timeout);
		fn(arg, shared, phase);
		alarm(0);
		shared->phase = 0;
		_exit(0);
	}
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (shared->phase == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			*res = *shared;
			return;
		}
	}

	/* fork failed, or the child died before it was done. */
	if (phase == 1) {
		if (pid > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
			res->kstatus = CP_K_TIMEOUT;
			snprintf(res->kloaderr, CP_TEXT, "no answer in %u s", timeout);
		} else {
			res->kstatus = CP_K_CRASH;
			snprintf(res->kloaderr, CP_TEXT, "child failed: %s",
				 pid < 0 ? strerror(errno) :
				 WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exit");
		}
		return;
	}
	if (pid > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
		res->ostatus = CP_O_TIMEOUT;
		snprintf(res->omsg, CP_TEXT, "no verdict in %u s", timeout);
	} else {
		res->ostatus = CP_O_CRASH;
		snprintf(res->omsg, CP_TEXT, "child failed: %s",
			 pid < 0 ? strerror(errno) :
			 WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exit");
	}
}
