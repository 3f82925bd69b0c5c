/*
 * libvirt.c - the libvirt collector: a hypervisor backend.
 *
 * Domains, their state, balloon and guest values and memory configuration
 * come from libvirt (libvirt_client.c, hang-proof); which QEMU process runs
 * a domain comes from libvirt's pidfile and the process's own command line
 * (libvirt_pid.c), asked only when a per-domain source needs pids.
 */
#include <stdlib.h>

#include "backends/libvirt_client.h"
#include "backends/libvirt_pid.h"
#include "model/collect.h"

struct libvirt_backend {
	struct libvirt_client *client;
	struct libvirt_pid *pids;
	const struct collect_opts *o;
};

static void destroy(void *self)
{
	struct libvirt_backend *b = self;
	if (!b)
		return;
	libvirt_client_free(b->client);
	libvirt_pid_free(b->pids);
	free(b);
}

static void *create(const struct collect_opts *o)
{
	struct libvirt_backend *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->o = o;
	b->client = libvirt_client_new(o->libvirt.uri, o->libvirt.ops, o->env.log);
	b->pids = libvirt_pid_new(&o->env);
	if (!b->client || !b->pids) {
		destroy(b);
		return NULL;
	}
	return b;
}

static int collect(void *self, struct snapshot *s)
{
	struct libvirt_backend *b = self;
	return libvirt_client_collect(b->client, s, b->o->timeout_ms);
}

/* A domain whose process cannot be found keeps pid 0; libvirt_pid logs
 * why when it deserves it. */
static void find_pids(void *self, struct dom_snap *doms, size_t n)
{
	struct libvirt_backend *b = self;
	libvirt_pid_begin(b->pids);
	for (size_t i = 0; i < n; i++) {
		struct dom_snap *d = &doms[i];
		pid_t pid;
		if (d->f[DF_STATE].present && dom_state_has_process((enum dom_state)d->f[DF_STATE].v.u) &&
		    libvirt_pid_lookup(b->pids, d->name, &pid) == 0)
			d->pid = pid;
	}
}

static void library_version(char *buf, size_t bufsz)
{
	libvirt_library_version(NULL, buf, bufsz);
}

const struct collector_def collector_libvirt = {
    .name = "libvirt",
    .help = "domains, balloon statistics and memory configuration from libvirt",
    .kind = COLLECTOR_BACKEND,
    .default_on = true,
    .create = create,
    .destroy = destroy,
    .collect = collect,
    .find_pids = find_pids,
    .library_version = library_version,
};
