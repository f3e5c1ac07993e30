// SPDX-License-Identifier: MIT
/*
 * Every bpf_conformance vector through the x86_64 JIT, run natively: one
 * Criterion case per .data file, and one case that runs them all (each in
 * a child process, so a crash is counted, not fatal) and logs the count.
 *
 * The back end is called directly with a fake accepted verdict (facts
 * unset, stack depth 512): the vectors are not all programs the verifier
 * would accept, and the JIT must still compute what the interpreter
 * computes. The entry gets r1 = the vector's memory and r2 = its length.
 * Helper 5 is the suite's "unwind" helper; here it just returns r1 (no
 * vector makes it return 0, the one case where it would end the program).
 *
 * callx is expected to be refused ("unsupported: callx"): the verifier
 * refuses it, so the JIT never sees it. Every other vector must pass.
 *
 * Must not: skip a file, or pass when the directory cannot be read.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpfvc/interp.h"
#include "common/conformance.h"
#include "x86_run.h"

#define UNWIND_HELPER 5
#define STACK_DEPTH 512

/* Vectors the JIT refuses on purpose, with the message it must give. */
static const struct {
	const char *file;
	const char *msg;
} refused[] = {
	{ "callx.data", "unsupported: callx" },
};

/* One vector. Fixed-size name: Criterion copies params across its workers. */
enum outcome {
	PASS,
	FAIL,
	REFUSED, /* the JIT said no; msg has why */
};

static uint64_t helper_unwind(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	return r1;
}

static uint64_t resolve(const struct bvc_reloc *r, void *arg)
{
	if (r->kind == BVC_RELOC_HELPER && r->target == UNWIND_HELPER)
		return (uint64_t)(uintptr_t)helper_unwind;
	return 0;
}

/* Compile and run the vector @name. */
static enum outcome run_vector(const char *name, char *msg, size_t msgsz)
{
	struct bvc_jit_result *res = NULL;
	struct xrun_prog p;
	enum outcome out = FAIL;
	char path[4096], err[256] = "";
	struct bvc_conf_vector v;
	uint64_t r0;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", BVC_CONFORMANCE_DIR, name);
	ret = bvc_conf_parse(path, &v, err, sizeof(err));
	if (ret) {
		snprintf(msg, msgsz, "%s: cannot read: %s", name, err);
		return FAIL;
	}
	if (v.has_error || !v.has_result) {
		snprintf(msg, msgsz, "%s: no -- result to compare with", name);
		goto out;
	}
	ret = xrun_compile((const struct bvc_insn *)(void *)v.code, v.code_len / 8, STACK_DEPTH,
			  &res, err, sizeof(err));
	if (ret) {
		snprintf(msg, msgsz, "%s: refused (%d): %s", name, ret, err);
		out = REFUSED;
		goto out;
	}
	ret = xrun_load(res, resolve, NULL, &p, err, sizeof(err));
	if (ret) {
		snprintf(msg, msgsz, "%s: cannot load: %s", name, err);
		goto out;
	}
	r0 = p.entry(v.mem_len ? v.mem : NULL, v.mem_len);
	xrun_unload(&p);
	if (r0 != v.result) {
		snprintf(msg, msgsz, "%s: r0 = 0x%llx, expected 0x%llx", name,
			 (unsigned long long)r0, (unsigned long long)v.result);
		goto out;
	}
	out = PASS;
out:
	bvc_jit_result_free(res);
	bvc_conf_free(&v);
	return out;
}

/* The message a refused vector must give, NULL if it must not be refused. */
static const char *refusal_for(const char *name)
{
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (!strcmp(refused[i].file, name))
			return refused[i].msg;
	return NULL;
}

static void free_params(struct criterion_test_params *ctp)
{
	cr_free(ctp->params);
}

ParameterizedTestParameters(jitter_x86, vector)
{
	struct bvc_conf_case *cases;
	size_t n = bvc_conf_list(BVC_CONFORMANCE_DIR, cr_calloc, &cases);

	return cr_make_param_array(struct bvc_conf_case, cases, n, free_params);
}

ParameterizedTest(struct bvc_conf_case *c, jitter_x86, vector)
{
	const char *why = NULL;
	char msg[512] = "";
	enum outcome o;

	if (!c->name[0])
		cr_assert_fail("conformance vectors not found in %s: %s", BVC_CONFORMANCE_DIR,
			       strerror(c->dir_errno));
	o = run_vector(c->name, msg, sizeof(msg));
	why = refusal_for(c->name);
	if (why) {
		cr_assert_eq(o, REFUSED, "%s: expected a refusal", c->name);
		cr_assert(strstr(msg, why), "%s", msg);
		return;
	}
	cr_assert_eq(o, PASS, "%s", msg);
}

/* All vectors, each in a child, counted: the number the suite reports. */
Test(jitter_x86, conformance_count, .timeout = 120)
{
	size_t n, pass = 0, refused_ok = 0;
	struct bvc_conf_case *cases;

	n = bvc_conf_list(BVC_CONFORMANCE_DIR, calloc, &cases);
	cr_assert(cases && cases[0].name[0], "conformance vectors not found in %s",
		  BVC_CONFORMANCE_DIR);
	for (size_t i = 0; i < n; i++) {
		const char *name = cases[i].name, *why = refusal_for(name);
		char msg[512] = "";
		int fds[2], status;
		enum outcome o = FAIL;
		pid_t pid;

		cr_assert(!pipe(fds));
		pid = fork();
		cr_assert(pid >= 0);
		if (!pid) {
			char buf[1 + sizeof(msg)];

			close(fds[0]);
			buf[0] = (char)run_vector(name, buf + 1, sizeof(msg));
			if (write(fds[1], buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				_exit(2);
			_exit(0);
		}
		close(fds[1]);
		{
			char buf[1 + sizeof(msg)];

			if (read(fds[0], buf, sizeof(buf)) == (ssize_t)sizeof(buf)) {
				o = (enum outcome)buf[0];
				memcpy(msg, buf + 1, sizeof(msg));
				msg[sizeof(msg) - 1] = '\0';
			} else {
				snprintf(msg, sizeof(msg), "%s: crashed", name);
			}
		}
		close(fds[0]);
		waitpid(pid, &status, 0);
		if (WIFSIGNALED(status))
			snprintf(msg, sizeof(msg), "%s: killed by signal %d", name, WTERMSIG(status));
		if (o == PASS && !WIFSIGNALED(status))
			pass++;
		else if (o == REFUSED && why && strstr(msg, why))
			refused_ok++;
		else
			cr_expect_fail("%s", msg);
	}
	cr_log_info("x86_64: %zu/%zu conformance vectors pass, %zu refused as expected (callx)",
		    pass, n, refused_ok);
	cr_expect_eq(pass + refused_ok, n, "x86_64: %zu/%zu conformance vectors pass", pass, n);
	free(cases);
}
