/*
 * collect.h - one collection: every enabled collector into one snapshot.
 *
 * This is the whole core as the front-ends see it: make a collection from
 * options, call collection_run() per scrape or read, emit the snapshot
 * (emit.h), clear it.  A collection is not thread-safe: front-ends run one
 * at a time (the exporter shares it between concurrent scrapes).
 */
#ifndef KVMMEM_COLLECT_H
#define KVMMEM_COLLECT_H

#include <stdbool.h>
#include <stddef.h>

#include "model/collectors.h"
#include "model/env.h"
#include "model/snapshot.h"

struct libvirt_ops;

/* Settings of the libvirt backend (backends/libvirt.c). */
struct libvirt_settings {
	const char *uri;               /* borrowed; default qemu:///system */
	const struct libvirt_ops *ops; /* NULL: the real libvirt; the backend's test seam */
};

/* Settings of the qmp collector (backends/qmp.c).  selected, when set, says
 * by name which domains the front-end reports (collectd's Domain option): a
 * monitor serves one client at a time, so the monitors of the others are
 * not asked at all.  It is called on the collection's thread; ctx is
 * borrowed. */
struct qmp_settings {
	int timeout_ms; /* most one VM's monitor is waited for, inside timeout_ms */
	bool (*selected)(void *ctx, const char *name);
	void *selected_ctx;
};

#define QMP_DEFAULT_TIMEOUT_MS 300

/* Every setting of a collection; each collector's own are named after it. */
struct collect_opts {
	struct kvm_env env;       /* roots and log; borrowed */
	bool enabled[COLL_COUNT]; /* which collectors the user wants */
	int timeout_ms;           /* most a collection waits for a backend */
	struct libvirt_settings libvirt;
	struct qmp_settings qmp;
};

/* Fills o with the defaults: real paths, each collector as its row says,
 * 8 s. */
void collect_opts_default(struct collect_opts *o);

/* The dependency rule, pure: which collectors run when enabled[] are
 * wanted.  A per-domain source runs only beside an enabled backend. */
void collect_effective(const bool enabled[COLL_COUNT], bool run[COLL_COUNT]);

struct collection;

/* NULL when out of memory or a worker thread cannot start. */
struct collection *collection_new(const struct collect_opts *o);
void collection_free(struct collection *c);

/*
 * Runs one collection into s (snapshot_init'ed by the caller, cleared by
 * the caller afterwards).  Per-collector success and duration land in
 * s->coll.  Returns 0, or -EIO when collectors ran and none succeeded.
 */
int collection_run(struct collection *c, struct snapshot *s);

struct complaint_set;
struct refusal;

/*
 * For per-domain collectors: calls one(self, d->pid, d) for every domain
 * whose pid a backend set, as one round of the collector's complaint set
 * cs (keys of processes that are gone are forgotten) and of its refusal
 * (released only when no domain was refused; NULL if it has none).  A
 * process that exited meanwhile (-ESRCH) or a kernel without the files
 * (-ENOENT) is no failure; returns the first other error, else 0.
 */
int collect_each_domain(struct snapshot *s, struct complaint_set *cs, struct refusal *refused,
                        int (*one)(void *self, pid_t pid, struct dom_snap *d), void *self);

/* The library version a collector talks through ("9.0.0" for libvirt),
 * or "unknown". */
void collector_library_version(enum collector_id id, char *buf, size_t bufsz);

#endif
