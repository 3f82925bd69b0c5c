/*
 * libvirt_client.c - libvirt domains, balloon statistics and memory
 * configuration, on the hang-proof worker.
 *
 * Each worker (worker.h) owns one connection (struct lvconn) and makes
 * every libvirt call on it.  libvirt's default event loop, which delivers
 * domain lifecycle events and notices a connection libvirtd closed, is run
 * by the current worker between its calls: a few iterations before each
 * collection and one whenever it has been idle for PUMP_IDLE_MS.  Not by
 * a thread of its own: while a thread sits in the loop, every libvirt call
 * of the worker wakes it twice (the call's socket watch is switched off
 * and on again), and over libvirtd's unix socket that doubled the client
 * CPU of a collection making one call per domain.  The lifecycle callback
 * only counts an event in the XML cache.  No keepalive either: nothing
 * would answer its probes in time, and each call's deadline already
 * bounds a libvirtd that stopped answering.
 *
 * What outlives libvirt_client_free() (abandoned workers, event
 * registrations) holds a reference on struct vshared, the one place all
 * of them touch.
 */
#include "backends/libvirt_client.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "backends/domxml.h"
#include "backends/libvirt_compat.h"
#include "backends/libvirt_conn.h"
#include "backends/libvirt_ops.h"
#include "backends/libvirt_stats.h"
#include "backends/worker.h"
#include "backends/xml_cache.h"
#include "util/clock.h"
#include "util/complain.h"

/* An idle worker runs the event loop this often, so that lifecycle events
 * do not pile up in the socket while nobody collects. */
#define PUMP_IDLE_MS 10000

/* Workers left behind in a libvirt call that may still return: each holds
 * a thread and a connection, so their number is bounded.  A rescue comes
 * after a second at the earliest, not less: a big host's collection on a
 * loaded machine can take several times its usual few hundred
 * milliseconds without anything being stuck, and a needless rescue costs
 * a new connection.  The client's free waits 2 s for a stuck worker. */
static const struct worker_limits limits = {.max_abandoned = 2, .rescue_min_ms = 1000, .free_wait_ms = 2000};

struct libvirt_client {
	const struct libvirt_ops *ops;
	char *uri;
	struct vshared *sh; /* one reference */
	struct worker_pool *pool;
	bool loop;        /* libvirt's default event loop is registered */
	int pump_idle_ms; /* given to new workers; under sh->lock */
};

/* --- one domain --------------------------------------------------------- */

/* For drivers whose bulk records have no balloon group (test:///). */
static void memory_stats_fallback(struct lvconn *c, virDomainPtr dom, struct dom_snap *d)
{
	virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
	int n = c->ops->domain_memory_stats(dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);
	if (n < 0) {
		if (lv_domain_vanished(c))
			lv_log(c, WL_DEBUG, NULL, "%s: memory stats: %s", d->name, lv_last_error(c));
		else
			lv_log(c, WL_DOM_FAIL, d->name, "memory stats: %s", lv_last_error(c));
		return;
	}
	lv_log(c, WL_DOM_OK, d->name, "memory stats available again");
	libvirt_map_memstats(st, n, d);
}

/* The canonical text form (RFC 4122, lower case) of a raw UUID, as
 * virUUIDFormat writes it. */
static void uuid_format(const unsigned char *uuid, char out[UUID_STRING_LEN])
{
	static const char hex[] = "0123456789abcdef";
	char *p = out;
	for (int i = 0; i < VIR_UUID_BUFLEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[uuid[i] >> 4];
		*p++ = hex[uuid[i] & 15];
	}
	*p = '\0';
}

/* What one collection knows while it reads its domains. */
struct pass {
	unsigned gen;
	time_t now;    /* CLOCK_MONOTONIC seconds */
	bool fallback; /* no balloon group at all: ask virDomainMemoryStats */
	bool can_skip; /* the driver gives guest fields when it has the job */
};

/*
 * Fetches the domain's XML and UUID and caches them.  The name may now
 * belong to another domain (undefined and defined again), so the UUID is
 * asked again too.  old is the cached entry or NULL.  Returns whether
 * *out holds parsed XML: an older answer beats none, as the memory
 * configuration rarely changes.
 */
/* One domain whose XML a collection wants. */
struct xml_want {
	virDomainPtr dom;
	const char *name;
	bool active; /* not shut off, by the bulk state */
};

static bool fetch_xml(struct lvconn *c, const struct xml_want *q, const struct pass *p, const struct xml_cached *old,
                      struct xml_cached *out)
{
	virDomainPtr dom = q->dom;
	const char *name = q->name;
	unsigned char raw[VIR_UUID_BUFLEN];
	bool have_uuid = c->ops->domain_get_uuid(dom, raw) == 0;
	memset(out, 0, sizeof(*out));
	if (have_uuid)
		uuid_format(raw, out->uuid);

	char *xml = c->ops->domain_get_xml_desc(dom, 0);
	if (!xml) {
		if (lv_domain_vanished(c))
			lv_log(c, WL_DEBUG, NULL, "%s: domain XML: %s", name, lv_last_error(c));
		else
			lv_log(c, WL_DOM_FAIL, name, "domain XML: %s", lv_last_error(c));
		if (old && old->valid)
			out->info = old->info;
		return old && old->valid;
	}
	out->valid = domxml_parse(xml, strlen(xml), &out->info) == 0;
	free(xml);
	if (!out->valid)
		lv_log(c, WL_DOM_FAIL, name, "domain XML not understood");
	/* Without its UUID the entry would serve an empty one until the next
	 * refetch: not cached, asked again next time. */
	if (!have_uuid)
		return out->valid;
	out->active = q->active;
	out->fetched_events = old ? old->events : 0;
	out->fetched = p->now;
	xml_cache_put(c->sh->cache, name, p->gen, out);
	return out->valid;
}

/*
 * The domain's parsed XML and UUID: from the cache when nothing says the
 * domain changed (xml_cache_usable), otherwise fetched.  A domain whose
 * balloon statistics were skipped (its job is busy) is served from the
 * cache whatever its age, so nothing of this collection waits on it.
 * active is the bulk state's word (not shut off).  Sets d->uuid ("" when
 * unknown) and, from parsed XML, the configuration.
 *
 * What marks a cached entry out of date, now that the domain id (which
 * every start changes) is not asked for any more: a lifecycle event for
 * its name (a restart, or an undefine and define under the same name,
 * sends them whenever it happens); the bulk state turning between shut
 * off and active (a start or stop whose event has not arrived yet); a
 * reconnect (events of the time in between are lost); a domain missing
 * from one collection (its entry is dropped and it comes back as new);
 * and its age, for changes that come without an event at all.
 */
static void domain_xml(struct lvconn *c, virDomainPtr dom, struct dom_snap *d, const struct pass *p, bool busy)
{
	struct xml_want q = {dom, d->name, !(d->f[DF_STATE].present && d->f[DF_STATE].v.u == DOM_STATE_SHUTOFF)};
	struct xml_cached old, got;
	bool have_old = xml_cache_get(c->sh->cache, d->name, p->gen, &old);
	const struct xml_cached *use = &got;
	bool valid;

	if (have_old && xml_cache_usable(&old, q.active, busy, p->now)) {
		use = &old;
		valid = old.valid;
	} else {
		valid = fetch_xml(c, &q, p, have_old ? &old : NULL, &got);
	}
	memcpy(d->uuid, use->uuid, UUID_STRING_LEN);
	if (!valid)
		return;
	d->config = use->info.config;
	d->f[DF_STATS_PERIOD_SECONDS] = use->info.stats_period_seconds;
	d->f[DF_VIRTIO_MEM_SIZE_BYTES] = use->info.virtio_mem_size;
	d->f[DF_VIRTIO_MEM_REQUESTED_BYTES] = use->info.virtio_mem_requested;
	d->f[DF_VIRTIO_MEM_CURRENT_BYTES] = use->info.virtio_mem_current;
	if (!d->f[DF_MEMORY_MAXIMUM_BYTES].present)
		d->f[DF_MEMORY_MAXIMUM_BYTES] = use->info.max_memory_bytes;
}

static int add_domain(struct lvconn *c, struct snapshot *s, const virDomainStatsRecord *rec, const struct pass *p)
{
	virDomainPtr dom = rec->dom;
	const char *name = c->ops->domain_get_name(dom);
	if (!name)
		return 0;

	/* The UUID comes with the XML (domain_xml). */
	struct dom_snap *d = snapshot_add_domain(s, name, NULL);
	if (!d)
		return -ENOMEM;
	libvirt_map_bulk(rec, d);
	bool running = d->f[DF_STATE].present && d->f[DF_STATE].v.u == DOM_STATE_RUNNING;
	bool busy = false;
	if (running) {
		/* Only a driver without any balloon group needs the extra call.
		 * A QEMU domain lacking guest fields is one whose job is busy
		 * (NOWAIT skipped it): virDomainMemoryStats would wait for that
		 * same job, about 30 s, so it is marked instead. */
		if (p->fallback)
			memory_stats_fallback(c, dom, d);
		else
			busy = p->can_skip && !libvirt_scan_bulk(rec).guest;
		mval_set_u64(&d->f[DF_BALLOON_STATS_SKIPPED], busy ? 1 : 0);
		if (busy)
			lv_log(c, WL_DEBUG, NULL, "%s: balloon statistics skipped, domain job busy", name);
	}
	if (worker_abandoned(c->w))
		return -ECANCELED;
	domain_xml(c, dom, d, p, busy);
	return worker_abandoned(c->w) ? -ECANCELED : 0;
}

/* Decides, from the whole bulk answer, how its domains are read. */
static void plan_pass(struct lvconn *c, virDomainStatsRecordPtr *recs, int n, struct pass *p)
{
	bool guest = false;
	p->fallback = true;
	for (int i = 0; i < n; i++) {
		struct balloon_seen b = libvirt_scan_bulk(recs[i]);
		if (b.any)
			p->fallback = false;
		if (b.guest)
			guest = true;
	}
	/* A driver that gave guest fields once gives them whenever it has the
	 * job: a lone stuck guest is marked too. */
	pthread_mutex_lock(&c->sh->lock);
	if (guest)
		c->sh->guest_stats_seen = true;
	p->can_skip = c->sh->guest_stats_seen;
	p->gen = ++c->sh->gen;
	pthread_mutex_unlock(&c->sh->lock);
	p->now = clock_mono_whole_seconds();
}

/* A full pass over the domains is a round of the per-domain complaints:
 * the names of domains that are gone are forgotten.  Not for an abandoned
 * worker, which leaves the complaints to the one that replaced it. */
static void round_begin(struct lvconn *c)
{
	pthread_mutex_lock(&c->sh->lock);
	if (!worker_abandoned(c->w))
		complaint_set_begin(c->sh->complaints);
	pthread_mutex_unlock(&c->sh->lock);
}

static void round_end(struct lvconn *c)
{
	pthread_mutex_lock(&c->sh->lock);
	if (!worker_abandoned(c->w))
		complaint_set_sweep(c->sh->complaints);
	pthread_mutex_unlock(&c->sh->lock);
}

/* One collection on the worker thread (the worker op "run"). */
static int lv_run(void *state, struct worker *w, struct snapshot *s)
{
	struct lvconn *c = state;
	c->w = w;
	/* Lifecycle events and a hang-up that arrived since the last
	 * collection, before the cache and the connection are trusted. */
	lv_events_pump(c);
	int rc = lv_ensure_connected(c);
	if (rc < 0)
		return rc;
	if (worker_abandoned(w))
		return -ECANCELED;

	virDomainStatsRecordPtr *recs = NULL;
	int n = c->ops->connect_get_all_domain_stats(c->conn, VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_BALLOON, &recs,
	                                             KVM_STATS_NOWAIT);
	if (worker_abandoned(w)) {
		/* Nobody waits for this answer any more. */
		if (n >= 0 && recs)
			c->ops->domain_stats_record_list_free(recs);
		return -ECANCELED;
	}
	if (n < 0) {
		bool lost = lv_connection_failed(c);
		lv_log(c, WL_CONN_FAIL, NULL, "libvirt %s: domain stats failed: %s", c->uri, lv_last_error(c));
		if (lost)
			lv_disconnect(c);
		return lost ? -ECONNRESET : -EIO;
	}
	lv_log(c, WL_CONN_OK, NULL, "libvirt %s: domain stats answered again", c->uri);

	struct pass p;
	plan_pass(c, recs, n, &p);
	round_begin(c);
	rc = n > 0 ? snapshot_reserve_domains(s, (size_t)n) : 0;
	for (int i = 0; i < n && rc == 0; i++)
		rc = add_domain(c, s, recs[i], &p);
	if (recs)
		c->ops->domain_stats_record_list_free(recs);
	if (rc < 0) {
		snapshot_clear(s);
		return rc;
	}
	xml_cache_prune(c->sh->cache, p.gen);
	round_end(c);
	return 0;
}

/* --- the worker ops ------------------------------------------------------- */

static void *lv_start(void *ctx, bool replacement)
{
	struct libvirt_client *v = ctx;
	struct lvconn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->uri = strdup(v->uri);
	if (!c->uri) {
		free(c);
		return NULL;
	}
	c->ops = v->ops;
	c->event_cb = -1;
	c->events = v->loop;
	c->replacement = replacement && v->loop;
	pthread_mutex_lock(&v->sh->lock);
	c->pump_idle_ms = v->pump_idle_ms;
	v->sh->refs++;
	pthread_mutex_unlock(&v->sh->lock);
	c->sh = v->sh;
	return c;
}

static int lv_idle_ms(void *state)
{
	const struct lvconn *c = state;
	return c->events && c->conn ? c->pump_idle_ms : -1;
}

static void lv_idle(void *state)
{
	lv_events_pump(state);
}

static void lv_stop(void *state)
{
	lv_disconnect(state);
}

static void lv_release(void *state)
{
	struct lvconn *c = state;
	lv_shared_unref(c->sh);
	free(c->uri);
	free(c);
}

static void lv_news(void *ctx, enum worker_news what, int err)
{
	struct libvirt_client *v = ctx;
	pthread_mutex_lock(&v->sh->lock);
	switch (what) {
	case WORKER_REPLACED:
		log_info(v->sh->log, "libvirt %s: a request is stuck in libvirtd; continuing on a new connection",
		         v->uri);
		break;
	case WORKER_TOO_MANY:
		complain(v->sh->log, &v->sh->conn_complaint,
		         "libvirt %s: %d requests are stuck in libvirtd, not starting another", v->uri,
		         limits.max_abandoned + 1);
		break;
	case WORKER_NO_THREAD:
		complain(v->sh->log, &v->sh->conn_complaint, "libvirt %s: cannot start a worker thread: %s", v->uri,
		         log_strerror(err));
		break;
	}
	pthread_mutex_unlock(&v->sh->lock);
}

static const struct worker_ops lv_worker_ops = {
    .start = lv_start,
    .run = lv_run,
    .idle_ms = lv_idle_ms,
    .idle = lv_idle,
    .stop = lv_stop,
    .release = lv_release,
    .news = lv_news,
};

/* --- the client ------------------------------------------------------------ */

/* Registers libvirt's default event loop (process-wide, harmless when
 * another libvirt user in the process did it first); the workers run it. */
static void loop_register(struct libvirt_client *v)
{
	if (v->ops->event_register_default_impl() < 0) {
		virErrorPtr e = v->ops->get_last_error();
		pthread_mutex_lock(&v->sh->lock);
		log_warnx(v->sh->log, "libvirt: no event loop (%s): no lifecycle events",
		          e && e->message ? e->message : "unknown libvirt error");
		pthread_mutex_unlock(&v->sh->lock);
		return;
	}
	v->loop = true;
}

struct libvirt_client *libvirt_client_new(const char *uri, const struct libvirt_ops *ops, const struct kvm_log *log)
{
	struct libvirt_client *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->ops = ops ? ops : libvirt_ops_real();
	v->uri = strdup(uri ? uri : "");
	v->sh = lv_shared_new(v->ops, log);
	v->pool = worker_pool_new(&lv_worker_ops, v, &limits);
	if (!v->uri || !v->sh || !v->pool) {
		worker_pool_free(v->pool);
		if (v->sh)
			lv_shared_unref(v->sh);
		free(v->uri);
		free(v);
		return NULL;
	}
	/* Before any other libvirt call of any thread, so that no error (a
	 * failed open, the event loop's) reaches stderr as raw text. */
	v->ops->set_error_func(NULL, lv_quiet_errors);
	/* libxml2 wants its one-time setup on one thread before parsing on
	 * another (domxml_parse runs on the workers). */
	xmlInitParser();
	/* Registering the loop does not talk to libvirtd, so start-up does
	 * not wait for it; the first collection connects. */
	v->pump_idle_ms = PUMP_IDLE_MS;
	loop_register(v);
	return v;
}

void libvirt_client_set_pump_idle_ms(struct libvirt_client *v, int ms)
{
	pthread_mutex_lock(&v->sh->lock);
	v->pump_idle_ms = ms;
	pthread_mutex_unlock(&v->sh->lock);
}

void libvirt_client_free(struct libvirt_client *v)
{
	if (!v)
		return;
	worker_pool_free(v->pool);
	/* Abandoned workers may still finish later; they must not log
	 * through a logger the caller is about to free. */
	pthread_mutex_lock(&v->sh->lock);
	v->sh->log = NULL;
	pthread_mutex_unlock(&v->sh->lock);
	lv_shared_unref(v->sh);
	free(v->uri);
	free(v);
}

int libvirt_client_collect(struct libvirt_client *v, struct snapshot *s, int timeout_ms)
{
	return worker_pool_call(v->pool, s, timeout_ms);
}

void libvirt_library_version(const struct libvirt_ops *ops, char *buf, size_t bufsz)
{
	unsigned long ver = 0;
	if (!buf || bufsz == 0)
		return;
	if (!ops)
		ops = libvirt_ops_real();
	if (ops->get_version(&ver, NULL, NULL) < 0) {
		snprintf(buf, bufsz, "unknown");
		return;
	}
	snprintf(buf, bufsz, "%lu.%lu.%lu", ver / 1000000, ver / 1000 % 1000, ver % 1000);
}
