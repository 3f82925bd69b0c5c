/*
 * libvirt_conn.c - the libvirt client's shared part, a worker's
 * connection, its log and libvirt's event loop (see libvirt_conn.h).
 */
#include "backends/libvirt_conn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Loop iterations per pump: the first reads what libvirtd sent (events, a
 * hang-up), the second hands out the lifecycle events the first queued,
 * which libvirt does from a zero timer. */
#define PUMP_ITERATIONS 2

/* --- the shared part -------------------------------------------------- */

struct vshared *lv_shared_new(const struct libvirt_ops *ops, const struct kvm_log *log)
{
	struct vshared *sh = calloc(1, sizeof(*sh));
	if (!sh)
		return NULL;
	sh->complaints = complaint_set_new();
	sh->cache = xml_cache_new();
	if (!sh->complaints || !sh->cache || pthread_mutex_init(&sh->lock, NULL) != 0) {
		complaint_set_free(sh->complaints);
		xml_cache_free(sh->cache);
		free(sh);
		return NULL;
	}
	sh->refs = 1;
	sh->ops = ops;
	sh->log = log;
	return sh;
}

void lv_shared_ref(struct vshared *sh)
{
	pthread_mutex_lock(&sh->lock);
	sh->refs++;
	pthread_mutex_unlock(&sh->lock);
}

/* Also the virFreeCallback of lifecycle registrations. */
void lv_shared_unref(void *opaque)
{
	struct vshared *sh = opaque;
	pthread_mutex_lock(&sh->lock);
	bool last = --sh->refs == 0;
	pthread_mutex_unlock(&sh->lock);
	if (!last)
		return;
	xml_cache_free(sh->cache);
	complaint_set_free(sh->complaints);
	pthread_mutex_destroy(&sh->lock);
	free(sh);
}

static void log_locked(struct vshared *sh, enum wlog_kind kind, const char *key, const char *msg)
{
	const struct kvm_log *lg = sh->log;
	switch (kind) {
	case WL_CONN_FAIL:
		complain(lg, &sh->conn_complaint, "%s", msg);
		break;
	case WL_CONN_OK:
		complain_release(lg, &sh->conn_complaint, "%s", msg);
		break;
	case WL_DOM_FAIL:
		sh->dom_complained = true;
		complain_key(lg, sh->complaints, key, "%s", msg);
		break;
	case WL_DOM_OK:
		complain_key_release(lg, sh->complaints, key, "%s", msg);
		break;
	case WL_DEBUG:
		log_debug(lg, "%s", msg);
		break;
	}
}

/*
 * Logs for a worker: through the connection complaint, a per-domain
 * complaint (key), or at debug.  Under sh->lock, so a logger that the
 * client's owner frees afterwards is never used, and an abandoned worker
 * neither logs nor disturbs the complaint state.
 */
void lv_log(struct lvconn *c, enum wlog_kind kind, const char *key, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	struct vshared *sh = c->sh;

	/* A release is called for every healthy domain in every collection:
	 * with no domain ever complained about there is nothing to release,
	 * so the message is not even formatted. */
	if (kind == WL_DOM_OK) {
		pthread_mutex_lock(&sh->lock);
		bool none = !sh->dom_complained;
		pthread_mutex_unlock(&sh->lock);
		if (none)
			return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&sh->lock);
	if (!worker_abandoned(c->w))
		log_locked(sh, kind, key, msg);
	pthread_mutex_unlock(&sh->lock);
}

const char *lv_last_error(const struct lvconn *c)
{
	virErrorPtr e = c->ops->get_last_error();
	return e && e->message ? e->message : "unknown libvirt error";
}

/* A domain that went away between listing and reading is no failure. */
bool lv_domain_vanished(const struct lvconn *c)
{
	virErrorPtr e = c->ops->get_last_error();
	return e && e->code == VIR_ERR_NO_DOMAIN;
}

/* Did the last failure come from the connection rather than the request? */
bool lv_connection_failed(const struct lvconn *c)
{
	virErrorPtr e = c->ops->get_last_error();
	if (e && (e->code == VIR_ERR_SYSTEM_ERROR || e->code == VIR_ERR_RPC || e->code == VIR_ERR_NO_CONNECT ||
	          e->code == VIR_ERR_INVALID_CONN || e->domain == VIR_FROM_RPC))
		return true;
	return c->conn && c->ops->connect_is_alive(c->conn) != 1;
}

/* --- the event loop ----------------------------------------------------- */

/* Runs on the worker, in lv_events_pump, for DEFINED, UNDEFINED, STARTED,
 * STOPPED and the other lifecycle events: the next collection refetches
 * that XML.  opaque is a reference on the shared part, dropped by lv_shared_unref
 * when libvirt lets go of the registration. */
static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
	struct vshared *sh = opaque;
	(void)conn;
	(void)event;
	(void)detail;
	const char *name = sh->ops->domain_get_name(dom);
	if (name)
		xml_cache_event(sh->cache, name);
	return 0;
}

static void wake_cb(int timer, void *opaque)
{
	(void)timer;
	(void)opaque;
}

/* libvirt's default error handler prints every error to stderr
 * ("libvirt: XML-RPC error : ..."); errors are read with virGetLastError
 * and logged once through the complaint machinery instead. */
void lv_quiet_errors(void *userdata, virErrorPtr err)
{
	(void)userdata;
	(void)err;
}

/* A few iterations of the event loop, none of them blocking: a zero timer
 * is due in each.  Runs on the worker only, outside its locks (the
 * lifecycle callback takes the cache's lock). */
void lv_events_pump(struct lvconn *c)
{
	if (!c->events)
		return;
	int timer = c->ops->event_add_timeout(0, wake_cb, NULL, NULL);
	if (timer < 0)
		return;
	for (int i = 0; i < PUMP_ITERATIONS; i++)
		if (c->ops->event_run_default_impl() < 0)
			break;
	(void)c->ops->event_remove_timeout(timer);
}

/* --- the connection (worker thread) ------------------------------------- */

void lv_disconnect(struct lvconn *c)
{
	if (!c->conn)
		return;
	if (c->event_cb >= 0)
		(void)c->ops->connect_domain_event_deregister_any(c->conn, c->event_cb);
	c->event_cb = -1;
	(void)c->ops->connect_close(c->conn);
	c->conn = NULL;
}

static void register_events(struct lvconn *c)
{
	/* The registration holds a reference on the shared part; libvirt
	 * drops it through lv_shared_unref when it lets go of the callback. */
	lv_shared_ref(c->sh);
	c->event_cb =
	    c->ops->connect_domain_event_register_any(c->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
	                                              VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), c->sh, lv_shared_unref);
	if (c->event_cb < 0) {
		/* A failed registration does not call the free callback. */
		lv_shared_unref(c->sh);
		lv_log(c, WL_DEBUG, NULL, "libvirt %s: no lifecycle events: %s", c->uri, lv_last_error(c));
	}
}

int lv_ensure_connected(struct lvconn *c)
{
	if (c->conn && c->ops->connect_is_alive(c->conn) == 1)
		return 0;
	if (c->conn) {
		lv_log(c, WL_CONN_FAIL, NULL, "libvirt %s: connection lost, reconnecting", c->uri);
		lv_disconnect(c);
	}
	/* Opening and event registration talk to libvirtd; a worker hanging
	 * here is not replaced (one attempt at a time). */
	worker_set_opening(c->w, true);
	c->conn = c->ops->connect_open_read_only(c->uri);
	if (!c->conn) {
		worker_set_opening(c->w, false);
		lv_log(c, WL_CONN_FAIL, NULL, "libvirt %s: cannot connect: %s", c->uri, lv_last_error(c));
		return -ENOTCONN;
	}
	/* A handler on the connection too: the process-wide one may be
	 * replaced by another libvirt user in the same process (collectd). */
	c->ops->conn_set_error_func(c->conn, NULL, lv_quiet_errors);
	if (c->events)
		register_events(c);
	worker_set_opening(c->w, false);
	/* Events may have been missed while disconnected, but not while the
	 * worker this one replaces was connected: its registration stays until
	 * it disconnects, and this one registered before asking for anything.
	 * Refetching every XML there would cost a large host its deadline. */
	if (!c->replacement)
		xml_cache_mark_stale(c->sh->cache);
	c->replacement = false;
	lv_log(c, WL_CONN_OK, NULL, "libvirt %s: connected", c->uri);
	return 0;
}
