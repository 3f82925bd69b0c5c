/*
 * collect.h - one collection: every enabled source into one snapshot.
 *
 * This is the whole core as the front-ends see it: make a collector from
 * options, call collector_collect() per scrape or read, emit the snapshot
 * (emit.h), clear it.  A collector is not thread-safe: front-ends run one
 * collection at a time (the exporter shares it between concurrent
 * scrapes).
 */
#ifndef KVMMEM_COLLECT_H
#define KVMMEM_COLLECT_H

#include <stdbool.h>

#include "model/env.h"
#include "model/snapshot.h"

struct libvirt_ops;

struct collect_opts {
	struct kvm_env env;                 /* roots and log; borrowed */
	const char *libvirt_uri;            /* borrowed; default qemu:///system */
	bool enabled[COLL_COUNT];           /* which collectors run */
	int libvirt_timeout_ms;             /* most a collection waits for libvirt */
	const struct libvirt_ops *virt_ops; /* NULL: the real libvirt */
};

/* Fills o with the defaults: real paths, every collector on, 8 s. */
void collect_opts_default(struct collect_opts *o);

struct collector;

/* NULL when out of memory or a worker thread cannot start. */
struct collector *collector_new(const struct collect_opts *o);
void collector_free(struct collector *c);

/*
 * Runs one collection into s (snapshot_init'ed by the caller, cleared by
 * the caller afterwards).  Per-collector success and duration land in
 * s->coll.  Returns 0, or -EIO when nothing at all could be collected.
 */
int collector_collect(struct collector *c, struct snapshot *s);

#endif
