/*
 * collect.c - runs the collector table into one snapshot and times it.
 *
 * Kinds run in order (host, backends, per-domain); a failing collector
 * never stops the others.  Pids are asked of the backends only when a
 * per-domain source runs, or before a backend that skips the processes
 * earlier backends found; each backend once, for the domains it listed.
 */
#include "model/collect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/complain.h"

struct collection {
	struct collect_opts o;
	bool run[COLL_COUNT];
	void *self[COLL_COUNT];
};

void collect_opts_default(struct collect_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->env.sysfs = KVM_DEFAULT_SYSFS;
	o->env.procfs = KVM_DEFAULT_PROCFS;
	o->env.libvirt_run = KVM_DEFAULT_LIBVIRT_RUN;
	o->env.qemu_server_run = KVM_DEFAULT_QEMU_SERVER_RUN;
	o->env.cgroupfs = KVM_DEFAULT_CGROUPFS;
	o->libvirt.uri = KVM_DEFAULT_LIBVIRT_URI;
	for (int i = 0; i < COLL_COUNT; i++)
		o->enabled[i] = collector_def((enum collector_id)i)->default_on;
	o->timeout_ms = 8000;
	o->qmp.timeout_ms = QMP_DEFAULT_TIMEOUT_MS;
}

void collect_effective(const bool enabled[COLL_COUNT], bool run[COLL_COUNT])
{
	bool backend = false;
	for (int i = 0; i < COLL_COUNT; i++)
		if (enabled[i] && collector_def((enum collector_id)i)->kind == COLLECTOR_BACKEND)
			backend = true;
	for (int i = 0; i < COLL_COUNT; i++)
		run[i] = enabled[i] && (backend || collector_def((enum collector_id)i)->kind != COLLECTOR_PER_DOMAIN);
}

struct collection *collection_new(const struct collect_opts *o)
{
	struct collection *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->o = *o;
	collect_effective(o->enabled, c->run);
	for (int i = 0; i < COLL_COUNT; i++) {
		if (!c->run[i])
			continue;
		/* Collectors keep a pointer to the options, so it must be the
		 * copy that lives as long as the collection. */
		c->self[i] = collector_def((enum collector_id)i)->create(&c->o);
		if (c->self[i] == NULL) {
			collection_free(c);
			return NULL;
		}
	}
	return c;
}

void collection_free(struct collection *c)
{
	if (c == NULL)
		return;
	for (int i = COLL_COUNT - 1; i >= 0; i--)
		if (c->self[i] != NULL)
			collector_def((enum collector_id)i)->destroy(c->self[i]);
	free(c);
}

/* Where each backend's domains start in s->doms, and how many it added. */
struct listed {
	size_t first[COLL_COUNT];
	size_t count[COLL_COUNT];
};

static void run_one(struct collection *c, int id, struct snapshot *s, struct listed *l)
{
	const struct collector_def *def = collector_def((enum collector_id)id);
	struct coll_status *st = &s->coll[id];
	size_t before = s->ndoms;
	double t0 = clock_mono_seconds();
	int r = def->collect(c->self[id], s);
	st->duration_seconds = clock_mono_seconds() - t0;
	st->ran = true;
	st->success = r == 0;
	l->first[id] = before;
	l->count[id] = s->ndoms - before;
}

/* Asks the backends before upto for the pids of their domains, each once
 * per collection (done[] remembers). */
static void find_pids(struct collection *c, struct snapshot *s, const struct listed *l, int upto, bool done[COLL_COUNT])
{
	for (int i = 0; i < upto; i++) {
		const struct collector_def *def = collector_def((enum collector_id)i);
		if (done[i] || !c->run[i] || def->kind != COLLECTOR_BACKEND || def->find_pids == NULL ||
		    l->count[i] == 0)
			continue;
		def->find_pids(c->self[i], &s->doms[l->first[i]], l->count[i]);
		done[i] = true;
	}
}

int collection_run(struct collection *c, struct snapshot *s)
{
	static const enum collector_kind order[] = {COLLECTOR_HOST, COLLECTOR_BACKEND, COLLECTOR_PER_DOMAIN};
	struct listed l = {{0}, {0}};
	bool any_ran = false, any_success = false;
	bool pids_done[COLL_COUNT] = {false};

	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		bool pids_found = false;
		for (int i = 0; i < COLL_COUNT; i++) {
			const struct collector_def *def = collector_def((enum collector_id)i);
			s->coll[i].enabled = c->run[i];
			if (!c->run[i] || def->kind != order[k])
				continue;
			if (def->kind == COLLECTOR_PER_DOMAIN && !pids_found) {
				find_pids(c, s, &l, COLL_COUNT, pids_done);
				pids_found = true;
			}
			if (def->kind == COLLECTOR_BACKEND && def->skips_known_pids)
				find_pids(c, s, &l, i, pids_done);
			run_one(c, i, s, &l);
			any_ran = true;
			if (s->coll[i].success)
				any_success = true;
		}
	}
	snapshot_finish(s);
	return any_ran && !any_success ? -EIO : 0;
}

int collect_each_domain(struct snapshot *s, struct complaint_set *cs, struct refusal *refused,
                        int (*one)(void *self, pid_t pid, struct dom_snap *d), void *self)
{
	int result = 0;
	complaint_set_begin(cs);
	refusal_begin(refused);
	for (size_t i = 0; i < s->ndoms; i++) {
		struct dom_snap *d = &s->doms[i];
		if (d->pid <= 0)
			continue;
		int r = one(self, d->pid, d);
		if (r != 0 && r != -ESRCH && r != -ENOENT && result == 0)
			result = r;
	}
	complaint_set_sweep(cs);
	refusal_end(refused);
	return result;
}

void collector_library_version(enum collector_id id, char *buf, size_t bufsz)
{
	const struct collector_def *def = collector_def(id);
	if (buf == NULL || bufsz == 0)
		return;
	if (def == NULL || def->library_version == NULL) {
		snprintf(buf, bufsz, "unknown");
		return;
	}
	def->library_version(buf, bufsz);
}
