/*
 * collect.c - runs the enabled sources into one snapshot and times them.
 *
 * The order matters only in one place: per-domain KSM needs the domain
 * list, so it runs after libvirt.  Everything else is independent, and a
 * failing source never stops the others.
 */
#include "model/collect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sources/domain_ksm.h"
#include "sources/ksm.h"
#include "sources/meminfo.h"
#include "backends/libvirt.h"
#include "backends/libvirt_pid.h"

struct collector {
	struct collect_opts o;
	struct ksm *ksm;
	struct meminfo *mem;
	struct domain_ksm *kproc;
	struct libvirt_pid *vmpid;
	struct virt *virt;
};

void collect_opts_default(struct collect_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->env.sysfs = KVM_DEFAULT_SYSFS;
	o->env.procfs = KVM_DEFAULT_PROCFS;
	o->env.libvirt_run = KVM_DEFAULT_LIBVIRT_RUN;
	o->libvirt_uri = KVM_DEFAULT_LIBVIRT_URI;
	for (int i = 0; i < COLL_COUNT; i++)
		o->enabled[i] = true;
	o->libvirt_timeout_ms = 8000;
}

struct collector *collector_new(const struct collect_opts *o)
{
	struct collector *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->o = *o;
	/* Sources keep a pointer to the env, so it must be the copy that
	 * lives as long as the collector. */
	const struct kvm_env *env = &c->o.env;
	if (o->enabled[COLL_KSM] && (c->ksm = ksm_new(env)) == NULL)
		goto fail;
	if (o->enabled[COLL_MEMINFO] && (c->mem = meminfo_new(env)) == NULL)
		goto fail;
	if (o->enabled[COLL_LIBVIRT]) {
		c->virt = virt_new(o->libvirt_uri, o->virt_ops, env->log);
		if (c->virt == NULL)
			goto fail;
	}
	if (o->enabled[COLL_LIBVIRT] && o->enabled[COLL_DOMAIN_KSM]) {
		if ((c->kproc = domain_ksm_new(env)) == NULL || (c->vmpid = libvirt_pid_new(env)) == NULL)
			goto fail;
	}
	return c;
fail:
	collector_free(c);
	return NULL;
}

void collector_free(struct collector *c)
{
	if (c == NULL)
		return;
	virt_free(c->virt);
	libvirt_pid_free(c->vmpid);
	domain_ksm_free(c->kproc);
	meminfo_free(c->mem);
	ksm_free(c->ksm);
	free(c);
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* libvirt's virDomainState values of domains that have a QEMU process. */
static bool state_has_process(const struct dom_snap *d)
{
	if (!d->f[DF_STATE].present)
		return false;
	switch (d->f[DF_STATE].v.u) {
	case 1: /* running */
	case 2: /* blocked */
	case 3: /* paused */
	case 4: /* shutting down */
	case 7: /* pmsuspended */
		return true;
	default:
		return false;
	}
}

/* Per-domain KSM.  A domain whose process cannot be found is not a
 * failure of this collector (vmpid logs why); unreadable or damaged
 * files are. */
static int collect_domain_ksm(struct collector *c, struct snapshot *s)
{
	int result = 0;

	libvirt_pid_begin(c->vmpid);
	for (size_t i = 0; i < s->ndoms; i++) {
		struct dom_snap *d = &s->doms[i];
		pid_t pid;
		if (!state_has_process(d) || libvirt_pid_lookup(c->vmpid, d->name, &pid) != 0)
			continue;
		d->pid = pid;
		int r = domain_ksm_collect(c->kproc, pid, d);
		if (r != 0 && r != -ESRCH && r != -ENOENT && result == 0)
			result = r;
	}
	return result;
}

static int run_one(struct collector *c, enum collector_id id, struct snapshot *s)
{
	switch (id) {
	case COLL_KSM:
		return ksm_collect(c->ksm, s);
	case COLL_MEMINFO:
		return meminfo_collect(c->mem, s);
	case COLL_LIBVIRT: {
		int r = virt_collect(c->virt, s, c->o.libvirt_timeout_ms);
		mval_set_u64(&s->libvirt_up, r == 0 ? 1 : 0);
		return r;
	}
	case COLL_DOMAIN_KSM:
		return collect_domain_ksm(c, s);
	default:
		return -EINVAL;
	}
}

int collector_collect(struct collector *c, struct snapshot *s)
{
	bool any_enabled = false, any_success = false;

	for (int i = 0; i < COLL_COUNT; i++) {
		struct coll_status *st = &s->coll[i];
		st->enabled = c->o.enabled[i];
		/* Per-domain KSM hangs off the libvirt domain list. */
		if (i == COLL_DOMAIN_KSM && !c->o.enabled[COLL_LIBVIRT])
			st->enabled = false;
		if (!st->enabled)
			continue;
		any_enabled = true;
		double t0 = now_seconds();
		int r = run_one(c, (enum collector_id)i, s);
		st->duration_seconds = now_seconds() - t0;
		st->ran = true;
		st->success = r == 0;
		if (r == 0)
			any_success = true;
	}
	snapshot_finish(s);
	return any_enabled && !any_success ? -EIO : 0;
}
