// SPDX-License-Identifier: MIT
/*
 * Leases and the work queue of a cluster (docs/design.md section 4).
 *
 * Workers take a job's Job lazily, the first time they are to explore
 * something of it, and then get the checkpoints shared so far. When no
 * program is left to start, idle workers are fed by donations: we send
 * Donate to busy ones, oldest job first (at most one request out per
 * worker and job, at most as many as idle workers, the workers whose work
 * began first asked first, each at most every ASK_MS); a Work from donor D
 * gets a fresh id G within its job (G -> D and D's id; the encoded bytes
 * are kept for a re-queue) and is leased to an idle worker H that holds
 * the job. Done(G) from H is mapped back and sent to D as Done(D's id),
 * which releases D's placeholder, and item G is freed: a job keeps only
 * its items in flight, in a table by id, and each worker's leases in a
 * list. Finished checkpoints are kept per job
 * (the global cache) and forwarded to every worker holding it.
 *
 * A dead worker's leased items, in every job, go back to the queue
 * (attempt + 1; that job fails with an infrastructure error after
 * MAX_ATTEMPTS of one item, the others go on); if it held an entry,
 * another worker starts that entry again (re-exploring is always sound).
 * Done reports for items whose donor is dead are dropped: that donor's
 * work is being redone. A peer that broke the protocol (cl_mark_bad) is
 * dead at once: its leases are re-queued without counting as a lost
 * attempt and its counts leave the job's.
 *
 * Must not: decide a verdict (batch.c does), or trust a work id before
 * it is checked against the lease.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvc/coordinator.h"
#include "bpfvc/util.h"
#include "internal.h"

/* A worker is asked to donate in a job at most this often. Asked again as
 * soon as it answers, a busy worker gives away branch after branch of its
 * subtree, each a smaller item than the last, and every item costs this
 * process six messages (measured in bench/README.md: at 64 workers an
 * item is then ~300 instructions). An idle worker waits this long at
 * most for work that another donor does not give sooner. */
#define ASK_MS 2

int cl_worker_idle(const struct cworker *w)
{
	for (int k = 0; k < MAX_INFLIGHT; k++)
		if (w->jobs[k].busy)
			return 0;
	return 1;
}

int cl_pick_idle(struct bvc_cluster *cl)
{
	for (unsigned int i = 0; i < cl->n; i++)
		if (cl->w[i].alive && cl_worker_idle(&cl->w[i]))
			return (int)i;
	return -1;
}

int cl_pick_alive(struct bvc_cluster *cl)
{
	int i = cl_pick_idle(cl);

	if (i >= 0)
		return i;
	for (unsigned int k = 0; k < cl->n; k++)
		if (cl->w[k].alive)
			return (int)k;
	return -1;
}

/* Send @len bytes to worker @i; a worker we cannot reach is dead. */
static void send_or_kill(struct bvc_cluster *cl, int i, const void *buf, size_t len)
{
	if (cl->w[i].alive && cl_send_bytes(cl, i, buf, len))
		cl_mark_dead(cl, i, "cannot send");
}

/* Worker @i takes job @cj (with its entry, or to explore items): the Job,
 * then, the first time, the checkpoints shared so far. It is busy in the
 * job until it says Finished: only then is it leased an item, so that
 * Finished can never be mistaken for the end of a lease. */
void cl_give_job(struct bvc_cluster *cl, struct cjob *cj, int i, int entry)
{
	struct wjob *wj = &cl->w[i].jobs[slot_of(cl, cj)];
	int first = !wj->has_job;

	wj->has_job = 1;
	wj->busy = 1;
	if (entry) {
		wj->entries++;
		send_or_kill(cl, i, cj->entry_bytes, cj->entry_len);
	} else if (first) {
		send_or_kill(cl, i, cj->job_bytes, cj->job_len);
	}
	for (size_t c = 0; first && c < cj->ncps; c++)
		send_or_kill(cl, i, cj->cps[c].bytes, cj->cps[c].len);
}

void cl_start_entry(struct bvc_cluster *cl, struct cjob *cj)
{
	int i = cl_pick_alive(cl);

	if (i < 0) {
		cj->entry_pending++; /* until a worker joins, or the batch fails */
		return;
	}
	cl_give_job(cl, cj, i, 1);
}

/* --- a job's items: by id, waiting, and leased to each worker ----------- */

static struct item **map_slot(const struct cjob *cj, uint64_t id)
{
	size_t mask = cj->map_cap - 1, h = (size_t)id & mask;

	/* Ids are given in order, so the id itself spreads them: the
	 * items in flight are mostly a run of recent ids. */
	while (cj->map[h] && cj->map[h]->id != id)
		h = (h + 1) & mask;
	return &cj->map[h];
}

/* Job @cj's item with id @id, or NULL (never given, or done). */
static struct item *item_find(const struct cjob *cj, uint64_t id)
{
	return cj->map_cap ? *map_slot(cj, id) : NULL;
}

/* @it into the job's table. 0 or -ENOMEM. */
static int item_add(struct cjob *cj, struct item *it)
{
	if ((cj->map_n + 1) * 2 > cj->map_cap) {
		size_t cap = cj->map_cap ? cj->map_cap * 2 : 64, old = cj->map_cap;
		struct item **v = calloc(cap, sizeof(*v)), **prev = cj->map;

		if (!v)
			return -ENOMEM;
		cj->map = v;
		cj->map_cap = cap;
		for (size_t h = 0; h < old; h++)
			if (prev[h])
				*map_slot(cj, prev[h]->id) = prev[h];
		free(prev);
	}
	*map_slot(cj, it->id) = it;
	cj->map_n++;
	return 0;
}

/* @it (in the table) out of it, and freed. */
static void item_free(struct cjob *cj, struct item *it)
{
	size_t mask = cj->map_cap - 1, i = (size_t)(map_slot(cj, it->id) - cj->map), j = i;

	/* Linear probing without tombstones: close the gap by moving back
	 * each later entry of the run whose home is not between the gap
	 * and itself (cyclically). */
	cj->map[i] = NULL;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!cj->map[j])
			break;
		home = (size_t)cj->map[j]->id & mask;
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		cj->map[i] = cj->map[j];
		cj->map[j] = NULL;
		i = j;
	}
	cj->map_n--;
	free(it->bytes);
	free(it);
}

void cl_free_items(struct cjob *cj)
{
	for (size_t h = 0; h < cj->map_cap; h++)
		if (cj->map[h]) {
			free(cj->map[h]->bytes);
			free(cj->map[h]);
		}
	free(cj->map);
	free(cj->waiting);
	cj->map = NULL;
	cj->waiting = NULL;
	cj->map_cap = cj->map_n = cj->nwaiting = cj->cap_waiting = 0;
}

/* @it into @wj's leases, kept in id order: new items have the highest
 * ids, so this is an append but for a re-queued one. */
static void lease_link(struct wjob *wj, struct item *it)
{
	struct item *after = wj->leases_tail;

	while (after && after->id > it->id)
		after = after->lease_prev;
	it->lease_prev = after;
	it->lease_next = after ? after->lease_next : wj->leases;
	if (it->lease_next)
		it->lease_next->lease_prev = it;
	else
		wj->leases_tail = it;
	if (after)
		after->lease_next = it;
	else
		wj->leases = it;
}

static void lease_unlink(struct wjob *wj, struct item *it)
{
	if (it->lease_prev)
		it->lease_prev->lease_next = it->lease_next;
	else
		wj->leases = it->lease_next;
	if (it->lease_next)
		it->lease_next->lease_prev = it->lease_prev;
	else
		wj->leases_tail = it->lease_prev;
	it->lease_prev = it->lease_next = NULL;
}

/* Item @id of job @cj waits for a lease: into the heap. 0 or -ENOMEM. */
static int wait_push(struct cjob *cj, uint64_t id)
{
	size_t at;

	if (cj->nwaiting == cj->cap_waiting) {
		size_t cap = cj->cap_waiting ? cj->cap_waiting * 2 : 64;
		uint64_t *v = realloc(cj->waiting, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		cj->waiting = v;
		cj->cap_waiting = cap;
	}
	for (at = cj->nwaiting++; at > 0 && cj->waiting[(at - 1) / 2] > id; at = (at - 1) / 2)
		cj->waiting[at] = cj->waiting[(at - 1) / 2];
	cj->waiting[at] = id;
	return 0;
}

/* The waiting item of lowest id, out of the heap (which is not empty). */
static uint64_t wait_pop(struct cjob *cj)
{
	uint64_t top = cj->waiting[0], last = cj->waiting[--cj->nwaiting];
	size_t at = 0;

	for (;;) {
		size_t c = 2 * at + 1;

		if (c >= cj->nwaiting)
			break;
		if (c + 1 < cj->nwaiting && cj->waiting[c + 1] < cj->waiting[c])
			c++;
		if (last <= cj->waiting[c])
			break;
		cj->waiting[at] = cj->waiting[c];
		at = c;
	}
	if (cj->nwaiting)
		cj->waiting[at] = last;
	return top;
}

/* Worker @i is gone: take back its leases and restart the entries it held
 * in every job in flight. */
void cl_mark_dead(struct bvc_cluster *cl, int i, const char *why)
{
	struct cworker *w = &cl->w[i];
	int entries[MAX_INFLIGHT];
	struct item *leases[MAX_INFLIGHT];

	if (!w->alive)
		return;
	w->alive = 0;
	for (int k = 0; k < MAX_INFLIGHT; k++) {
		struct wjob *wj = &w->jobs[k];

		entries[k] = wj->entries;
		leases[k] = wj->leases;
		wj->leases = wj->leases_tail = NULL;
		wj->busy = wj->donate_out = wj->entries = 0;
		wj->has_job = 0;
		/* A dead worker's instructions count (it did explore them),
		 * unless it broke the protocol: then nothing it said does. */
		if (w->violated)
			wj->processed = wj->total_states = wj->peak_states = wj->prune_remote = 0;
	}
	snprintf(w->st.dead, sizeof(w->st.dead), "%s", why);
	for (int k = 0; k < MAX_INFLIGHT; k++)
		if (cl->jobs[k].out)
			cl->jobs[k].js.deaths++;
	if (w->pid > 0)
		kill(w->pid, SIGKILL);
	cl_log(cl, "worker %s is dead: %s", w->st.name, why);
	for (int k = 0; k < MAX_INFLIGHT; k++) {
		struct cjob *cj = &cl->jobs[k];
		struct item *it, *next;
		int stop = 0;

		if (!cj->out)
			continue;
		/* Its leases, out of its list whatever happens: a job that
		 * fails here frees them at its end. */
		for (it = leases[k]; it; it = next) {
			next = it->lease_next;
			it->lease_prev = it->lease_next = NULL;
			if (stop)
				continue;
			if (w->violated) {
				it->attempts--; /* the peer failed, not the item */
			} else if (it->attempts >= MAX_ATTEMPTS) {
				cl_job_fail(cj, -EIO,
					 "infrastructure: work item %llu lost with %d workers (last: worker %d, %s)",
					 (unsigned long long)it->id, it->attempts, i, why);
				stop = 1;
				continue;
			}
			it->state = ITEM_QUEUED;
			it->holder = -1;
			cj->nleased--;
			cj->js.requeued++;
			if (wait_push(cj, it->id)) {
				cl_job_fail(cj, -ENOMEM, "out of memory for the work queue");
				stop = 1;
			}
		}
		while (!cj->fail && entries[k]-- > 0) {
			if (!w->violated && ++cj->entry_restarts >= MAX_ATTEMPTS) {
				cl_job_fail(cj, -EIO,
					 "infrastructure: the entry was lost with %d workers (last: worker %d, %s)",
					 cj->entry_restarts, i, why);
				break;
			}
			cj->js.entry_restarts++;
			cl_start_entry(cl, cj);
		}
	}
}

/* Worker @i broke the protocol: dead, and nothing it said counts. */
void cl_mark_bad(struct bvc_cluster *cl, int i, const char *fmt, ...)
{
	char why[192];
	va_list ap;

	if (!cl->w[i].alive)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	cl->w[i].violated = 1;
	cl_mark_dead(cl, i, why);
}

void cl_on_work(struct bvc_cluster *cl, struct cjob *cj, int i, struct bvc_wire_msg *m)
{
	struct item *it = calloc(1, sizeof(*it));
	char why[256];

	if (!it) {
		cl_job_fail(cj, -ENOMEM, "out of memory for work items");
		return;
	}
	it->id = ++cj->next_id;
	it->donor = i;
	it->donor_wid = m->u.work.work_id;
	it->holder = -1;
	it->state = ITEM_QUEUED;
	/* Our id on the wire: the holder reports Done under it. */
	m->u.work.work_id = it->id;
	if (bvc_wire_encode(m, &it->bytes, &it->len, why, sizeof(why))) {
		free(it);
		cl_job_fail(cj, -EIO, "cannot re-encode a work item: %s", why);
		return;
	}
	if (item_add(cj, it)) {
		free(it->bytes);
		free(it);
		cl_job_fail(cj, -ENOMEM, "out of memory for work items");
		return;
	}
	if (wait_push(cj, it->id)) {
		item_free(cj, it);
		cl_job_fail(cj, -ENOMEM, "out of memory for the work queue");
		return;
	}
	cl->w[i].st.donated++;
	cj->js.donations++;
}

#define CLUSTER_CACHE_MAX 16384 /* checkpoints kept for one job */

/* A finished checkpoint from worker @i: every other worker holding the job
 * prunes against it too, and so will those that take the job later. */
void cl_on_checkpoint(struct bvc_cluster *cl, struct cjob *cj, int i,
			  const struct bvc_wire_msg *m)
{
	int k = slot_of(cl, cj);
	char why[256];
	size_t len;
	void *buf;

	if (cj->ncps == CLUSTER_CACHE_MAX)
		return; /* pruning less is always sound */
	if (bvc_wire_encode(m, &buf, &len, why, sizeof(why)))
		return;
	if (cj->ncps == cj->cap_cps) {
		size_t cap = cj->cap_cps ? cj->cap_cps * 2 : 64;
		void *v = realloc(cj->cps, cap * sizeof(*cj->cps));

		if (!v) {
			free(buf);
			return;
		}
		cj->cps = v;
		cj->cap_cps = cap;
	}
	cj->cps[cj->ncps].bytes = buf;
	cj->cps[cj->ncps++].len = len;
	cj->js.checkpoints++;
	for (unsigned int j = 0; j < cl->n; j++)
		if ((int)j != i && cl->w[j].jobs[k].has_job)
			send_or_kill(cl, (int)j, buf, len);
}

/* A Done from worker @i: -EPROTO unless the item is leased to it now (a
 * lease we took back went with a death, and a dead worker's words are
 * dropped before they get here; a worker reports an item once: it is
 * freed here). */
int cl_on_done(struct bvc_cluster *cl, struct cjob *cj, int i,
		   const struct bvc_wire_done *dm)
{
	struct bvc_wire_msg m = { .kind = BVC_WIRE_DONE };
	struct item *it = item_find(cj, dm->work_id);
	uint64_t donor_wid;
	int donor;

	if (!it || it->state != ITEM_LEASED || it->holder != i)
		return -EPROTO;
	lease_unlink(&cl->w[i].jobs[slot_of(cl, cj)], it);
	cj->nleased--;
	donor = it->donor;
	donor_wid = it->donor_wid;
	item_free(cj, it);
	if (!cl->w[donor].alive)
		return 0; /* its donor's work is being redone */
	m.u.done.job_id = cj->id;
	m.u.done.work_id = donor_wid;
	m.u.done.demand = dm->demand; /* the donor applies it before counting */
	cl_send_msg(cl, donor, &m);
	return 0;
}

/* Leases of job @cj's queued items to idle workers, lowest id first;
 * returns how many still wait. Each round costs the idle workers it
 * feeds, not the items of the job. */
size_t cl_lease_items(struct bvc_cluster *cl, struct cjob *cj)
{
	int k = slot_of(cl, cj);
	uint64_t *kept = NULL;
	size_t nkept = 0, queued;

	while (cj->nwaiting && !cj->fail) {
		int h = cl_pick_idle(cl);
		struct wjob *wj;
		struct item *it;

		if (h < 0)
			break; /* nobody to lease to: they all wait */
		wj = &cl->w[h].jobs[k];
		if (!wj->has_job) {
			/* An idle worker without the job takes it first and
			 * gets an item once it says Finished; this item waits
			 * for the next idle worker. At most one per worker. */
			if (!kept)
				kept = malloc(cl->n * sizeof(*kept));
			if (!kept) {
				cl_job_fail(cj, -ENOMEM, "out of memory for the work queue");
				break;
			}
			if (nkept == cl->n)
				break; /* cannot happen: it took an idle worker each */
			kept[nkept++] = wait_pop(cj);
			cl_give_job(cl, cj, h, 0);
			continue;
		}
		it = item_find(cj, wait_pop(cj));
		if (!it)
			continue; /* cannot happen: a waiting item is not done */
		it->state = ITEM_LEASED;
		it->holder = h;
		it->attempts++;
		lease_link(wj, it);
		cj->nleased++;
		wj->busy = 1;
		cl->w[h].st.items++;
		send_or_kill(cl, h, it->bytes, it->len);
	}
	queued = nkept + (cj->fail ? 0 : cj->nwaiting);
	/* Back into the heap, where they came from. */
	while (nkept) {
		if (wait_push(cj, kept[--nkept])) {
			cl_job_fail(cj, -ENOMEM, "out of memory for the work queue");
			break;
		}
	}
	free(kept);
	return queued;
}

/* How early worker @wj's work in its job began, for choosing donors: 0 for
 * an entry it started, else the lowest id of its leases (ids are given in
 * order), UINT64_MAX for a job it is only taking. A donor gives its
 * oldest pending branch, and the work that began first is the one nearest
 * the root: asked first, it gives bigger items, so fewer of them (each
 * costs this process six messages). */
static uint64_t donor_rank(const struct wjob *wj)
{
	if (wj->entries)
		return 0;
	return wj->leases ? wj->leases->id : UINT64_MAX; /* in id order */
}

struct donor {
	uint64_t rank;
	unsigned int i;
};

static int donor_cmp(const void *a, const void *b)
{
	const struct donor *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Ask busy workers to donate, oldest job first, as many as the idle
 * workers that nothing queued will feed; within a job, the workers whose
 * work began first. */
void cl_ask_donations(struct bvc_cluster *cl, const int *order, int njobs, size_t queued)
{
	/* One message for every request: a wire message is ~10 KiB, zeroed
	 * once, not once per worker and job looked at. */
	struct bvc_wire_msg m = { .kind = BVC_WIRE_DONATE };
	struct donor *d = NULL;
	size_t idle = 0, asks = 0;
	double t = bvc_now_ms();

	cl->ask_soon = 0;
	for (unsigned int i = 0; i < cl->n; i++) {
		if (!cl->w[i].alive)
			continue;
		idle += cl_worker_idle(&cl->w[i]);
		for (int k = 0; k < MAX_INFLIGHT; k++)
			asks += cl->w[i].jobs[k].donate_out;
	}
	if (idle <= queued + asks)
		return;
	d = malloc(cl->n * sizeof(*d));
	if (!d) {
		cl->ask_soon = 1; /* asked next round */
		return;
	}
	for (int o = 0; o < njobs && idle > queued + asks; o++) {
		struct cjob *cj = &cl->jobs[order[o]];
		size_t nd = 0;

		for (unsigned int i = 0; i < cl->n; i++) {
			struct wjob *wj = &cl->w[i].jobs[order[o]];

			if (!cl->w[i].alive || !wj->busy || wj->donate_out)
				continue;
			if (t - wj->asked_at < ASK_MS && t >= wj->asked_at) {
				cl->ask_soon = 1; /* the batch loop comes back soon */
				continue;
			}
			d[nd++] = (struct donor){ donor_rank(wj), i };
		}
		qsort(d, nd, sizeof(*d), donor_cmp);
		for (size_t c = 0; c < nd && idle > queued + asks; c++) {
			unsigned int i = d[c].i;

			m.u.donate.job_id = cj->id;
			if (cl_send_msg(cl, (int)i, &m) == 0) {
				cl->w[i].jobs[order[o]].donate_out = 1;
				cl->w[i].jobs[order[o]].asked_at = t;
				cl->w[i].st.asks++;
				asks++;
			}
		}
	}
	free(d);
}

int cl_round_ms(const struct bvc_cluster *cl)
{
	return cl->ask_soon ? ASK_MS : 20;
}
