/*
 * libvirt_client.h - libvirt: domains, balloon statistics and memory
 * configuration, over one read-only connection, hang-proof.
 *
 * Every libvirt call runs on the hang-proof worker (worker.h), so a
 * libvirtd that never answers delays a collection by at most its timeout.
 * A worker stuck in a call (a guest whose QEMU monitor hangs holds its
 * domain job) is left behind with its connection, and a fresh worker on a
 * fresh connection carries on: with NOWAIT, libvirt then skips only the
 * stuck domain, which is marked DF_BALLOON_STATS_SKIPPED.
 *
 * Per collection: one virConnectGetAllDomainStats(STATE|BALLOON, NOWAIT)
 * for every domain, active or not; virDomainMemoryStats only for running
 * domains whose bulk record carries no guest balloon fields (the test:///
 * driver); the domain XML only when a domain is new or changed (started,
 * stopped, redefined), cached by name otherwise (xml_cache.h).
 *
 * Threads: the caller's thread calls these functions, one at a time.
 */
#ifndef KVMMEM_LIBVIRT_CLIENT_H
#define KVMMEM_LIBVIRT_CLIENT_H

#include <stddef.h>

#include "model/snapshot.h"
#include "util/log.h"

struct libvirt_client;
struct libvirt_ops; /* libvirt_ops.h: the libvirt calls, swappable in tests */

/*
 * Makes the client; does not connect yet (the first collection does, so
 * start-up never waits for libvirt).  ops NULL means the real libvirt.
 * uri and log are borrowed.  NULL on failure.
 */
struct libvirt_client *libvirt_client_new(const char *uri, const struct libvirt_ops *ops, const struct kvm_log *log);
/* Stops the worker (waiting at most briefly for a stuck call) and frees. */
void libvirt_client_free(struct libvirt_client *v);

/*
 * Appends every domain to s with name, uuid, config, DF_STATE,
 * DF_MEMORY_MAXIMUM_BYTES, DF_BALLOON_CURRENT_BYTES, DF_STATS_PERIOD_SECONDS,
 * the DF_GUEST_* fields and DF_RSS_BYTES that libvirt reports.  Waits at
 * most timeout_ms.  Returns 0 when libvirt answered, -ETIMEDOUT when it did
 * not answer in time (s unchanged), or another negative errno when it is
 * unreachable (s unchanged; the failure is logged once, recovery too).
 */
int libvirt_client_collect(struct libvirt_client *v, struct snapshot *s, int timeout_ms);

/* How long an idle worker waits before it runs libvirt's event loop
 * (lifecycle events, a closed connection) on its own; 10 s unless set.
 * For tests: applies to workers started afterwards. */
void libvirt_client_set_pump_idle_ms(struct libvirt_client *v, int ms);

/* Writes the version of the libvirt library ops reaches ("9.0.0", or
 * "unknown") into buf; ops NULL means the real libvirt. */
void libvirt_library_version(const struct libvirt_ops *ops, char *buf, size_t bufsz);

#endif
