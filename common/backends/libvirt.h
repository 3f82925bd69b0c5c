/*
 * libvirt.h - libvirt: domains, balloon statistics and memory configuration.
 *
 * One persistent read-only connection, reconnected lazily.
 * All libvirt calls run on a worker thread, so a libvirtd that never
 * answers can delay a collection by at most its timeout; one request runs
 * per connection and a late answer is dropped, nothing piles up.  A worker
 * stuck in a call (a guest whose QEMU monitor hangs holds its domain job)
 * is left behind with its connection, at most two at a time, and a fresh
 * worker on a fresh connection carries on: with NOWAIT, libvirt then skips
 * only the stuck domain, which is marked DF_BALLOON_STATS_SKIPPED.
 *
 * Per collection: one virConnectGetAllDomainStats(STATE|BALLOON,
 * NOWAIT) for every domain, active or not; virDomainMemoryStats only for
 * running domains whose bulk record carries no guest balloon fields (the
 * test:/// driver); the domain XML only when a domain is new or changed
 * (started, stopped, redefined), cached by name otherwise.
 */
#ifndef KVMMEM_LIBVIRT_H
#define KVMMEM_LIBVIRT_H

#include <stddef.h>

#include "util/log.h"
#include "model/snapshot.h"

struct virt;
struct libvirt_ops; /* virt_ops.h: the libvirt calls, swappable in tests */

/*
 * Creates the client and its worker thread; does not connect yet (the
 * first collection does, so start-up never waits for libvirt).  ops NULL
 * means the real libvirt.  uri and log are borrowed.  NULL on failure.
 */
struct virt *virt_new(const char *uri, const struct libvirt_ops *ops, const struct kvm_log *log);
/* Stops the worker (waiting at most briefly for a stuck call) and frees. */
void virt_free(struct virt *v);

/*
 * Appends every domain to s with name, uuid, config, DF_STATE,
 * DF_MEMORY_MAXIMUM_BYTES, DF_BALLOON_CURRENT_BYTES, DF_STATS_PERIOD_SECONDS,
 * the DF_GUEST_* fields and DF_RSS_BYTES that libvirt reports.  Waits at
 * most timeout_ms.  Returns 0 when libvirt answered, -ETIMEDOUT when it did
 * not answer in time (s unchanged), or another negative errno when it is
 * unreachable (s unchanged; the failure is logged once, recovery too).
 */
int virt_collect(struct virt *v, struct snapshot *s, int timeout_ms);

/* How long an idle worker waits before it runs libvirt's event loop
 * (lifecycle events, a closed connection) on its own; 10 s unless set.
 * For tests: applies to workers created afterwards. */
void virt_set_pump_idle_ms(struct virt *v, int ms);

/* Writes the libvirt library version ("9.0.0") into buf. */
void virt_library_version(char *buf, size_t bufsz);

#endif
