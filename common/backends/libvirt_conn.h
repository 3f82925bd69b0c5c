/*
 * libvirt_conn.h - inside the libvirt client: what its workers share, one
 * worker's connection, its log and libvirt's event loop.  Only
 * libvirt_client.c and libvirt_conn.c include this.
 *
 * Threads: a struct lvconn is its worker thread's alone; struct vshared is
 * shared by the client, every worker (abandoned ones too) and the
 * lifecycle callbacks, under its lock (ops and cache are set once; the
 * cache locks itself).  Lock order: a worker's lock (worker.c) before
 * vshared's lock; the cache's lock is taken with neither held.
 */
#ifndef KVMMEM_LIBVIRT_CONN_H
#define KVMMEM_LIBVIRT_CONN_H

#include <pthread.h>
#include <stdbool.h>

#include "backends/libvirt_ops.h"
#include "backends/worker.h"
#include "backends/xml_cache.h"
#include "util/complain.h"
#include "util/log.h"

/*
 * What the client, its workers (abandoned ones too) and the lifecycle
 * callbacks registered on their connections share.  Reference counted:
 * the last of them to let go frees it.  Its fields are under lock, but
 * for ops and cache (set once; the cache locks itself).
 */
struct vshared {
	pthread_mutex_t lock;
	unsigned refs;
	const struct libvirt_ops *ops;
	struct xml_cache *cache;
	const struct kvm_log *log; /* borrowed; NULL once the client is freed */
	struct complaint conn_complaint;
	struct complaint_set *complaints;
	bool dom_complained;   /* complaints has held a domain key at some point */
	bool guest_stats_seen; /* the driver gave job-dependent balloon fields */
	unsigned gen;          /* collections started, the cache's clock */
};

/* One worker's connection; only its worker thread touches it. */
struct lvconn {
	struct vshared *sh; /* one reference */
	const struct libvirt_ops *ops;
	struct worker *w; /* the worker running it, set by each request */
	char *uri;
	virConnectPtr conn;
	int event_cb;     /* lifecycle callback id, -1 when none */
	bool events;      /* the default event loop is registered: pump it */
	int pump_idle_ms; /* run the loop when idle this long */
	bool replacement; /* took over from an abandoned worker, whose
	                   * connection still delivers lifecycle events */
};

/* A reference-counted shared part with one reference; NULL when out of
 * memory. */
struct vshared *lv_shared_new(const struct libvirt_ops *ops, const struct kvm_log *log);
void lv_shared_ref(struct vshared *sh);
/* Drops a reference (the last frees); also the virFreeCallback of the
 * lifecycle registrations, hence the void pointer. */
void lv_shared_unref(void *opaque);

enum wlog_kind { WL_CONN_FAIL, WL_CONN_OK, WL_DOM_FAIL, WL_DOM_OK, WL_DEBUG };

/* Logs for a worker: through the connection complaint, a per-domain
 * complaint (key: the domain name), or at debug.  An abandoned worker
 * logs nothing. */
void lv_log(struct lvconn *c, enum wlog_kind kind, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The calling thread's last libvirt error message, never NULL. */
const char *lv_last_error(const struct lvconn *c);
/* Did the last call fail because the domain went away meanwhile? */
bool lv_domain_vanished(const struct lvconn *c);
/* Did the last failure come from the connection rather than the call? */
bool lv_connection_failed(const struct lvconn *c);

/* libvirt's error handler that prints nothing: errors are read with
 * virGetLastError and logged once instead. */
void lv_quiet_errors(void *userdata, virErrorPtr err);
/* Runs libvirt's event loop a few times without blocking. */
void lv_events_pump(struct lvconn *c);
/* Opens (or reopens) the connection and registers lifecycle events.
 * 0 or -ENOTCONN (logged). */
int lv_ensure_connected(struct lvconn *c);
void lv_disconnect(struct lvconn *c);

#endif
