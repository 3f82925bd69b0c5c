/*
 * collectors.h - the collector table: every independent part of a
 * collection, one row each.
 *
 * A collector's name is its flag (--collector.<name>), its "collector"
 * label and its file: the row X(KSM, ksm) is common/sources/ksm.c, which
 * defines `const struct collector_def collector_ksm`.  Adding a collector
 * is one row here and one file; its id is COLL_<ID>.
 *
 * Kinds run in this order, each kind in table order: host sources fill
 * snapshot.host; backends list domains; per-domain sources read each
 * listed domain whose pid a backend found.  A per-domain source runs only
 * while some backend is enabled, since without one there is no domain.
 */
#ifndef KVMMEM_COLLECTORS_H
#define KVMMEM_COLLECTORS_H

#include <stdbool.h>
#include <stddef.h>

#define COLLECTOR_TABLE(X)                                                                                             \
	X(KSM, ksm)                                                                                                    \
	X(MEMINFO, meminfo)                                                                                            \
	X(LIBVIRT, libvirt)                                                                                            \
	X(QEMU, qemu)                                                                                                  \
	X(DOMAIN_KSM, domain_ksm)                                                                                      \
	X(CGROUP, cgroup)                                                                                              \
	X(QMP, qmp)

enum collector_id {
#define COLLECTOR_ID(id, name) COLL_##id,
	COLLECTOR_TABLE(COLLECTOR_ID)
#undef COLLECTOR_ID
	    COLL_COUNT
};

enum collector_kind {
	COLLECTOR_HOST,      /* fills snapshot.host */
	COLLECTOR_BACKEND,   /* a hypervisor backend: appends domains */
	COLLECTOR_PER_DOMAIN /* reads the listed domains by pid */
};

struct collect_opts;
struct snapshot;
struct dom_snap;

struct collector_def {
	const char *name; /* = flag = file name */
	const char *help; /* for --help: "Collect <help>." */
	enum collector_kind kind;
	bool default_on;
	/* Makes the collector's state from the options (borrowed: they live as
	 * long as the collector).  NULL when out of memory. */
	void *(*create)(const struct collect_opts *o);
	void (*destroy)(void *self);
	/* One collection.  Host sources fill s->host; a backend appends its
	 * domains; a per-domain source reads s->doms whose pid is set.
	 * Returns 0, or a negative errno when it failed (what it filled
	 * stays). */
	int (*collect)(void *self, struct snapshot *s);
	/* Backends only: sets the pid of each of its domains doms[0..n) that
	 * has a process, as far as the platform tells (0 otherwise).  Called
	 * only when an enabled per-domain source needs pids. */
	void (*find_pids)(void *self, struct dom_snap *doms, size_t n);
	/* Backends only: collect() leaves alone the processes that earlier
	 * backends' domains run, by their d->pid, so those pids are found
	 * before it runs (and not again for the per-domain sources). */
	bool skips_known_pids;
	/* Optional: the version of the library the collector talks through
	 * ("9.0.0"), for the build info. */
	void (*library_version)(char *buf, size_t bufsz);
};

/* The row of a collector. */
const struct collector_def *collector_def(enum collector_id id);
/* Its name; "unknown" for an id out of range. */
const char *collector_name(enum collector_id id);
/* Returns 0 and sets *out, or -ENOENT for a name that is no collector. */
int collector_lookup(const char *name, enum collector_id *out);

#endif
