// SPDX-License-Identifier: MIT
/*
 * The live kernel as the oracle: load one program of an object alone (with
 * the auxiliary programs its test needs), privileged, with the annotated
 * flags, and record the verdict, the verifier's error line and its stats
 * line. Runs in a forked child (child.c), so a hang or a crash in libbpf
 * costs one program, not the run.
 *
 * Log levels: the verdict and the stats come from a load at level 4 (the
 * error lines and the stats, no trace) or at the annotated level plus 4.
 * __msg patterns are checked against the log the selftests would see: the
 * annotated level, or level 1 after a failed load when the annotation asks
 * for none (libbpf retries a failed load at level 1 to explain it).
 *
 * Must not: touch anything but the program's own object and maps; print.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "corpus.h"

/* libbpf's warnings of the current load (for load errors), without the
 * BTF load log it prints when the kernel refuses the object's BTF (that
 * goes to btf_note, one line). "refused" is set when libbpf says the
 * kernel refused the program named in watch: checked message by message,
 * so it cannot be lost to a full buffer. */
static char capture[16384];
static size_t capture_len;
static char btf_note[CP_TEXT];
static char watch[CP_TEXT + 64];
static int refused;

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	const char *end;
	char *msg;
	va_list aq;
	size_t n;
	int len;

	if (level == LIBBPF_DEBUG)
		return 0;
	/* Whole messages: the BTF log ends with the kernel's reason. */
	va_copy(aq, ap);
	len = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (len < 0 || !(msg = malloc((size_t)len + 1)))
		return 0;
	vsnprintf(msg, (size_t)len + 1, fmt, ap);
	if (watch[0] && strstr(msg, watch))
		refused = 1;
	if ((end = strstr(msg, "\n-- END BTF LOAD LOG"))) {
		/* the kernel's reason is the last line of its BTF log */
		const char *l = end;

		while (l > msg && l[-1] == '\n')
			l--;
		end = l;
		while (l > msg && l[-1] != '\n')
			l--;
		snprintf(btf_note, sizeof(btf_note), "the kernel refused the object's BTF (%.*s); "
			 "libbpf loaded the programs without it", (int)(end - l), l);
	} else if (!strstr(msg, "BTF loading error") && !strstr(msg, "Error loading .BTF")) {
		n = strlen(msg);
		if (capture_len + n < sizeof(capture)) {
			memcpy(capture + capture_len, msg, n + 1);
			capture_len += n;
		}
	}
	free(msg);
	return 0;
}

static void capture_reset(const char *prog_name)
{
	capture_len = 0;
	capture[0] = '\0';
	btf_note[0] = '\0';
	refused = 0;
	if (prog_name)
		snprintf(watch, sizeof(watch), "prog '%s': BPF program load failed", prog_name);
	else
		watch[0] = '\0';
}

/* Section names libbpf 1.1 (Debian 12) does not know and the 6.12 selftests
 * use: set the type and attach type that libbpf 1.5 gives them. */
static void sec_fixup(struct bpf_program *p)
{
	static const struct {
		const char *sec;
		int type;
		int attach;
	} fix[] = {
		{ "tc/ingress", 3, 46 },  { "tc/egress", 3, 47 },    { "tcx/ingress", 3, 46 },
		{ "tcx/egress", 3, 47 },  { "netkit/primary", 3, 54 }, { "netkit/peer", 3, 55 },
		{ "netfilter", 32, 45 },  { "cgroup/connect_unix", 18, 49 },
		{ "cgroup/sendmsg_unix", 18, 50 }, { "cgroup/recvmsg_unix", 18, 51 },
		{ "cgroup/getpeername_unix", 18, 52 }, { "cgroup/getsockname_unix", 18, 53 },
	};
	const char *sec = bpf_program__section_name(p);
	size_t i;

	if (bpf_program__type(p) != BPF_PROG_TYPE_UNSPEC || !sec)
		return;
	if (sec[0] == '?')
		sec++;
	for (i = 0; i < sizeof(fix) / sizeof(fix[0]); i++) {
		if (!strcmp(sec, fix[i].sec)) {
			bpf_program__set_type(p, (enum bpf_prog_type)fix[i].type);
			bpf_program__set_expected_attach_type(p, (enum bpf_attach_type)fix[i].attach);
			return;
		}
	}
}

int cp_prog_type_of(struct bpf_program *p)
{
	sec_fixup(p);
	return (int)bpf_program__type(p);
}

int cp_kernel_probe(uint32_t *test_flags, char *why, size_t whysz)
{
	/* r0 = 0; exit */
	static const uint64_t insns[2] = { 0x00000000000000b7ull, 0x0000000000000095ull };
	static const uint32_t flags[] = { 1u << 2 /* TEST_RND_HI32 */, 1u << 7 /* TEST_REG_INVARIANTS */ };
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	size_t i;
	int fd;

	*test_flags = 0;
	fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "probe", "GPL", (const void *)insns, 2,
			   &opts);
	if (fd < 0) {
		snprintf(why, whysz, "bpf(BPF_PROG_LOAD) is not permitted here: %s", strerror(errno));
		return -errno;
	}
	close(fd);
	/* The selftests load with the testing flags the kernel knows. */
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		opts.prog_flags = flags[i];
		fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "probe", "GPL",
				   (const void *)insns, 2, &opts);
		if (fd >= 0) {
			*test_flags |= flags[i];
			close(fd);
		}
	}
	return 0;
}

static int line_is_stats(const char *l)
{
	return !strncmp(l, "processed ", 10) || !strncmp(l, "verification time ", 18) ||
	       !strncmp(l, "stack depth ", 12) || !strncmp(l, "max_states_per_insn", 19);
}

/* Stats line and the last message line of a verifier log. */
void cp_log_digest(const char *log, struct cp_result *res)
{
	const char *l = log, *p;
	long long a, b, c, d, e;

	res->kprocessed = res->kstates_max = res->kstates_total = res->kstates_peak = -1;
	res->ktime_us = -1;
	res->kerrline[0] = '\0';
	while (*l) {
		size_t len;

		p = strchr(l, '\n');
		len = p ? (size_t)(p - l) : strlen(l);
		if (sscanf(l, "processed %lld insns (limit %lld) max_states_per_insn %lld "
			      "total_states %lld peak_states %lld", &a, &b, &c, &d, &e) == 5) {
			res->kprocessed = a;
			res->kstates_max = c;
			res->kstates_total = d;
			res->kstates_peak = e;
		} else if (sscanf(l, "verification time %lld usec", &a) == 1) {
			res->ktime_us = a;
		} else if (len && !line_is_stats(l)) {
			size_t n = len < CP_TEXT - 1 ? len : CP_TEXT - 1;

			memcpy(res->kerrline, l, n);
			res->kerrline[n] = '\0';
		}
		if (!p)
			break;
		l = p + 1;
	}
}

struct attempt {
	int status; /* CP_K_ACCEPT, CP_K_REJECT, CP_K_LOADERR */
	int err;    /* positive errno */
};

/* Open the object afresh, keep @prog and the auxiliary programs, load. */
static struct attempt load_object(const struct cp_run *run, const struct cp_file *file,
				  const struct cp_prog *prog, int level, char *log,
				  struct cp_result *res)
{
	struct attempt at = { CP_K_LOADERR, 0 };
	char btf_path[4096] = "";
	struct bpf_object *obj;
	struct bpf_program *p, *target = NULL;
	int err;
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = file->name);

	capture_reset(prog->name);
	log[0] = '\0';
	if (prog->spec.btf_path) {
		struct stat st;

		snprintf(btf_path, sizeof(btf_path), "%s/%s", run->support_dir, prog->spec.btf_path);
		if (stat(btf_path, &st)) {
			snprintf(res->kloaderr, CP_TEXT, "__btf_path %s was not built",
				 prog->spec.btf_path);
			return at;
		}
		oo.btf_custom_path = btf_path;
	}
	obj = bpf_object__open_mem(file->bytes, file->size, &oo);
	if (!obj) {
		at.err = errno;
		cp_first_line(res->kloaderr, CP_TEXT, capture[0] ? capture : "open failed");
		return at;
	}
	bpf_object__for_each_program(p, obj) {
		const char *name = bpf_program__name(p);
		int keep = 0;
		size_t i;

		if (!strcmp(name, prog->name)) {
			target = p;
			keep = 1;
		} else {
			/* An auxiliary program of the same file loads with every test. */
			for (i = 0; i < run->prog_cnt; i++) {
				const struct cp_prog *q = &run->progs[i];

				if (q->file == prog->file && !strcmp(q->name, name) &&
				    q->spec.valid && q->spec.auxiliary && q->spec.has_priv)
					keep = 1;
			}
		}
		bpf_program__set_autoload(p, keep);
		if (keep)
			sec_fixup(p);
	}
	if (!target) {
		snprintf(res->kloaderr, CP_TEXT, "libbpf does not list program '%s'", prog->name);
		bpf_object__close(obj);
		return at;
	}
	bpf_program__set_log_buf(target, log, CP_LOG_SIZE);
	bpf_program__set_log_level(target, (uint32_t)level);
	bpf_program__set_flags(target, bpf_program__flags(target) | prog->spec.flags);

	err = bpf_object__load(obj);
	if (getenv("BVC_CORPUS_DUMP") && !strcmp(getenv("BVC_CORPUS_DUMP"), prog->id))
		fprintf(stderr, "=== %s: level %d, flags 0x%x, load %d\n--- libbpf:\n%s--- log:\n%s---\n",
			prog->id, level, bpf_program__flags(target), err, capture, log);
	if (btf_note[0])
		snprintf(res->kbtf_note, CP_TEXT, "%s", btf_note);
	if (!err) {
		at.status = CP_K_ACCEPT;
	} else if (refused && log[0]) {
		at.status = CP_K_REJECT;
		at.err = -err;
	} else if (refused) {
		/* BPF_PROG_LOAD failed and the verifier wrote nothing: the
		 * kernel refused it before verifying (an LSM, a missing
		 * feature), which says nothing about safety. */
		at.err = -err;
		snprintf(res->kloaderr, CP_TEXT, "the kernel refused it before verifying: %s "
			 "(no verifier log)", strerror(-err));
	} else if (strstr(log, "processed ")) {
		/* Ours loaded; something after it failed. */
		at.status = CP_K_ACCEPT;
		cp_first_line(res->kloaderr, CP_TEXT, capture);
	} else {
		at.err = -err;
		cp_first_line(res->kloaderr, CP_TEXT, capture[0] ? capture : strerror(-err));
	}
	bpf_object__close(obj);
	return at;
}

int cp_kernel_log(const struct cp_run *run, const struct cp_file *file, const struct cp_prog *prog,
		  int level, char *log, int *no_btf, int *truncated)
{
	struct cp_result scratch;
	struct attempt at;

	memset(&scratch, 0, sizeof(scratch));
	libbpf_set_print(capture_print);
	at = load_object(run, file, prog, level, log, &scratch);
	*no_btf = scratch.kbtf_note[0] != '\0';
	*truncated = at.status == CP_K_REJECT && at.err == ENOSPC;
	return at.status;
}

void cp_kernel_object(const struct cp_run *run, const struct cp_file *file,
		      const struct cp_prog *prog, struct cp_result *res)
{
	int annotated = prog->spec.log_level;
	int first = (annotated & 3) ? (annotated | 4) : 4;
	struct attempt at, at2;
	char *log = malloc(CP_LOG_SIZE);

	if (!log)
		cp_die_nomem();
	libbpf_set_print(capture_print);

	at = load_object(run, file, prog, first, log, res);
	res->kstatus = at.status;
	res->kerrno = at.err;
	res->klevel = first;
	if (at.status == CP_K_LOADERR)
		goto out;

	if (at.status == CP_K_REJECT && at.err == ENOSPC) {
		/* The log did not fit and the kernel says so by failing the
		 * load: the verdict comes from a load at level 4. */
		res->klog_truncated = 1;
		if (prog->spec.msg_cnt) {
			res->kmsg_checked = 1;
			res->kmsg_ok = cp_msgs_match(&prog->spec, log, &res->kmsg_first_miss);
		}
		at2 = load_object(run, file, prog, 4, log, res);
		res->kstatus = at2.status;
		res->kerrno = at2.err;
		cp_log_digest(log, res);
		if (at2.status != CP_K_REJECT)
			res->kerrline[0] = '\0';
		goto out;
	}
	cp_log_digest(log, res);
	if (at.status == CP_K_REJECT)
		res->kloaderr[0] = '\0';
	else
		res->kerrline[0] = '\0';

	if (prog->spec.msg_cnt) {
		res->kmsg_checked = 1;
		res->kmsg_ok = cp_msgs_match(&prog->spec, log, &res->kmsg_first_miss);
		if (!res->kmsg_ok && at.status == CP_K_REJECT && !(annotated & 3)) {
			/* What the selftests see: libbpf's retry at level 1. */
			at2 = load_object(run, file, prog, 1, log, res);
			if (at2.status == CP_K_REJECT) {
				res->klevel = 1;
				res->kmsg_ok =
					cp_msgs_match(&prog->spec, log, &res->kmsg_first_miss);
			}
		}
	}
out:
	free(log);
}

void cp_kernel_raw(const void *insns, size_t cnt, int prog_type, struct cp_result *res)
{
	size_t size = 1u << 20;
	char *log = malloc(size);
	int fd;
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = (uint32_t)size,
		    .log_level = 4);

	if (!log)
		cp_die_nomem();
	log[0] = '\0';
	res->klevel = 4;
	fd = bpf_prog_load((enum bpf_prog_type)prog_type, "gen", "GPL", insns, cnt, &opts);
	if (fd >= 0) {
		res->kstatus = CP_K_ACCEPT;
		close(fd);
	} else {
		res->kstatus = CP_K_REJECT;
		res->kerrno = errno;
	}
	cp_log_digest(log, res);
	if (res->kstatus == CP_K_ACCEPT)
		res->kerrline[0] = '\0';
	free(log);
}

void cp_gen_maps_create(int fds[CP_GEN_MAPS])
{
	size_t i;

	for (i = 0; i < CP_GEN_MAPS; i++) {
		const struct bvc_map *m = &cp_gen_maps[i];

		fds[i] = bpf_map_create((enum bpf_map_type)m->type, m->name, m->key_size,
					m->value_size, m->max_entries, NULL);
	}
}

void cp_libbpf_capture_begin(void)
{
	capture_reset(NULL);
	libbpf_set_print(capture_print);
}

const char *cp_libbpf_captured(void)
{
	return capture;
}
