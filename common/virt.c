/*
 * virt.c - libvirt domains, balloon statistics and memory configuration.
 *
 * Threads:
 *  - the caller of virt_collect() posts a request and waits at most its
 *    timeout (pthread_cond_timedwait on CLOCK_MONOTONIC);
 *  - the worker owns the connection and makes every libvirt call, so a
 *    libvirtd that never answers blocks only the worker;
 *  - the event thread runs libvirt's default event loop, which keepalive
 *    and domain lifecycle events need.  Its callback only bumps a counter
 *    in the XML cache, under cache_lock.
 * A late answer (the caller gave up) is dropped by the worker, and a new
 * request waits for a busy worker instead of queueing behind it.
 */
#include "virt.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>

#include "compat.h"
#include "complain.h"
#include "domxml.h"
#include "virt_ops.h"

/* Keepalive: a probe every 5 s, the connection is dead after 3 missed
 * answers, so a vanished libvirtd is noticed within about 20 s. */
#define KEEPALIVE_INTERVAL 5
#define KEEPALIVE_COUNT 3
/* Some XML changes come without a lifecycle event (virsh dommemstat
 * --period --live changes the stats period), so a cached XML is refetched
 * after this long even when nothing else says it changed. */
#define XML_MAX_AGE_SECONDS 600
/* How long virt_free waits for a worker stuck in a libvirt call. */
#define FREE_WAIT_MS 2000

/* Typed parameters of virConnectGetAllDomainStats (STATE and BALLOON
 * groups, see virConnectGetAllDomainStats in libvirt-domain.c): sizes in
 * KiB, faults and hugetlb as counts, last-update in unix seconds. */
static const struct {
	const char *name;
	enum dom_field field;
	uint64_t scale;
} bulk_fields[] = {
    {"state.state", DF_STATE, 1},
    {"balloon.current", DF_BALLOON_CURRENT_BYTES, 1024},
    {"balloon.maximum", DF_MEMORY_MAXIMUM_BYTES, 1024},
    {"balloon.swap_in", DF_GUEST_SWAP_IN_BYTES, 1024},
    {"balloon.swap_out", DF_GUEST_SWAP_OUT_BYTES, 1024},
    {"balloon.major_fault", DF_GUEST_MAJOR_FAULTS, 1},
    {"balloon.minor_fault", DF_GUEST_MINOR_FAULTS, 1},
    {"balloon.unused", DF_GUEST_UNUSED_BYTES, 1024},
    {"balloon.available", DF_GUEST_AVAILABLE_BYTES, 1024},
    {"balloon.usable", DF_GUEST_USABLE_BYTES, 1024},
    {"balloon.last-update", DF_GUEST_STATS_UPDATED, 1},
    {"balloon.disk_caches", DF_GUEST_DISK_CACHES_BYTES, 1024},
    {"balloon.hugetlb_pgalloc", DF_GUEST_HUGETLB_ALLOCS, 1},
    {"balloon.hugetlb_pgfail", DF_GUEST_HUGETLB_FAILURES, 1},
    {"balloon.rss", DF_RSS_BYTES, 1024},
};

/* virDomainMemoryStats tags (virDomainMemoryStatTags) by tag number. */
static const struct {
	bool known;
	enum dom_field field;
	uint64_t scale;
} memstat_fields[VIR_DOMAIN_MEMORY_STAT_NR] = {
    [VIR_DOMAIN_MEMORY_STAT_SWAP_IN] = {true, DF_GUEST_SWAP_IN_BYTES, 1024},
    [VIR_DOMAIN_MEMORY_STAT_SWAP_OUT] = {true, DF_GUEST_SWAP_OUT_BYTES, 1024},
    [VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT] = {true, DF_GUEST_MAJOR_FAULTS, 1},
    [VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT] = {true, DF_GUEST_MINOR_FAULTS, 1},
    [VIR_DOMAIN_MEMORY_STAT_UNUSED] = {true, DF_GUEST_UNUSED_BYTES, 1024},
    [VIR_DOMAIN_MEMORY_STAT_AVAILABLE] = {true, DF_GUEST_AVAILABLE_BYTES, 1024},
    [VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON] = {true, DF_BALLOON_CURRENT_BYTES, 1024},
    [VIR_DOMAIN_MEMORY_STAT_RSS] = {true, DF_RSS_BYTES, 1024},
#if HAVE_MEMSTAT_USABLE
    [VIR_DOMAIN_MEMORY_STAT_USABLE] = {true, DF_GUEST_USABLE_BYTES, 1024},
    [VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE] = {true, DF_GUEST_STATS_UPDATED, 1},
#endif
#if HAVE_MEMSTAT_DISK_CACHES
    [VIR_DOMAIN_MEMORY_STAT_DISK_CACHES] = {true, DF_GUEST_DISK_CACHES_BYTES, 1024},
#endif
#if HAVE_MEMSTAT_HUGETLB
    [VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGALLOC] = {true, DF_GUEST_HUGETLB_ALLOCS, 1},
    [VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGFAIL] = {true, DF_GUEST_HUGETLB_FAILURES, 1},
#endif
};

/* One domain's parsed XML, by UUID. */
struct xml_entry {
	char uuid[UUID_STRING_LEN];
	unsigned int id;         /* domain id when fetched: changes on every start */
	unsigned events;         /* lifecycle events seen (event thread) */
	unsigned fetched_events; /* events when fetched */
	bool stale;              /* fetched over an older connection */
	bool valid;              /* info parsed */
	time_t fetched;          /* CLOCK_MONOTONIC seconds */
	unsigned seen;           /* collection that last listed the domain */
	struct domxml_info info;
};

struct virt {
	const struct virt_ops *ops;
	char *uri;
	const struct kvm_log *log; /* atomic: cleared when the worker is left behind */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool quit, detached, worker_done;
	bool pending, busy;
	unsigned long req_gen, waiting_gen, done_gen;
	int result_rc;
	struct snapshot result;
	pthread_t worker;

	/* Worker only. */
	virConnectPtr conn;
	int event_cb;      /* lifecycle callback id, -1 when none */
	bool loop_tried;   /* event loop set up (or failed to) */
	bool loop_running; /* event_thread runs */
	int loop_quit;     /* atomic */
	pthread_t event_thread;
	struct complaint conn_complaint;
	struct complaint_set *complaints;
	unsigned gen;

	pthread_mutex_t cache_lock;
	struct xml_entry *cache;
	size_t ncache, acache;
};

static const struct kvm_log *wlog(struct virt *v)
{
	return __atomic_load_n(&v->log, __ATOMIC_ACQUIRE);
}

static const char *last_error(const struct virt *v)
{
	virErrorPtr e = v->ops->get_last_error();
	return e && e->message ? e->message : "unknown libvirt error";
}

/* Did the last failure come from the connection rather than the request? */
static bool connection_failed(const struct virt *v)
{
	virErrorPtr e = v->ops->get_last_error();
	if (e && (e->code == VIR_ERR_SYSTEM_ERROR || e->code == VIR_ERR_RPC || e->code == VIR_ERR_NO_CONNECT ||
	          e->code == VIR_ERR_INVALID_CONN || e->domain == VIR_FROM_RPC))
		return true;
	return v->conn && v->ops->connect_is_alive(v->conn) != 1;
}

static struct timespec deadline_after(int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ms < 0)
		ms = 0;
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static time_t mono_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* --- the XML cache ------------------------------------------------------ */

static struct xml_entry *cache_find(struct virt *v, const char *uuid)
{
	for (size_t i = 0; i < v->ncache; i++)
		if (strcmp(v->cache[i].uuid, uuid) == 0)
			return &v->cache[i];
	return NULL;
}

static struct xml_entry *cache_add(struct virt *v, const char *uuid)
{
	if (v->ncache == v->acache) {
		size_t n = v->acache ? v->acache * 2 : 16;
		struct xml_entry *c = realloc(v->cache, n * sizeof(*c));
		if (!c)
			return NULL;
		v->cache = c;
		v->acache = n;
	}
	struct xml_entry *e = &v->cache[v->ncache++];
	memset(e, 0, sizeof(*e));
	snprintf(e->uuid, sizeof(e->uuid), "%s", uuid);
	return e;
}

/* Drops the entries of domains the last collection did not list. */
static void cache_prune(struct virt *v)
{
	size_t j = 0;
	pthread_mutex_lock(&v->cache_lock);
	for (size_t i = 0; i < v->ncache; i++)
		if (v->cache[i].seen == v->gen)
			v->cache[j++] = v->cache[i];
	v->ncache = j;
	pthread_mutex_unlock(&v->cache_lock);
}

static void cache_mark_stale(struct virt *v)
{
	pthread_mutex_lock(&v->cache_lock);
	for (size_t i = 0; i < v->ncache; i++)
		v->cache[i].stale = true;
	pthread_mutex_unlock(&v->cache_lock);
}

/* Runs on the event thread for DEFINED, UNDEFINED, STARTED, STOPPED and
 * the other lifecycle events: the next collection refetches that XML. */
static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
	struct virt *v = opaque;
	char uuid[VIR_UUID_STRING_BUFLEN];
	(void)conn;
	(void)event;
	(void)detail;
	if (v->ops->domain_get_uuid_string(dom, uuid) < 0)
		return 0;
	pthread_mutex_lock(&v->cache_lock);
	struct xml_entry *e = cache_find(v, uuid);
	if (e)
		e->events++;
	pthread_mutex_unlock(&v->cache_lock);
	return 0;
}

/* --- the event loop ----------------------------------------------------- */

static void *event_main(void *arg)
{
	struct virt *v = arg;
	while (!__atomic_load_n(&v->loop_quit, __ATOMIC_ACQUIRE))
		if (v->ops->event_run_default_impl() < 0)
			break;
	return NULL;
}

static void wake_cb(int timer, void *opaque)
{
	(void)timer;
	(void)opaque;
}

/* libvirt's default error handler prints every error to stderr; errors
 * are read with virGetLastError and logged once through the complaint
 * machinery instead. */
static void quiet_errors(void *userdata, virErrorPtr err)
{
	(void)userdata;
	(void)err;
}

static void loop_start(struct virt *v)
{
	if (v->loop_tried)
		return;
	v->loop_tried = true;
	v->ops->set_error_func(NULL, quiet_errors);
	if (v->ops->event_register_default_impl() < 0) {
		log_warnx(wlog(v), "libvirt: no event loop (%s): no keepalive, no lifecycle events", last_error(v));
		return;
	}
	if (pthread_create(&v->event_thread, NULL, event_main, v) != 0) {
		log_warnx(wlog(v), "libvirt: cannot start the event thread");
		return;
	}
	v->loop_running = true;
}

static void loop_stop(struct virt *v)
{
	if (!v->loop_running)
		return;
	__atomic_store_n(&v->loop_quit, 1, __ATOMIC_RELEASE);
	/* A zero timeout fires on the next iteration and so wakes the loop. */
	int timer = v->ops->event_add_timeout(0, wake_cb, NULL, NULL);
	pthread_join(v->event_thread, NULL);
	if (timer >= 0)
		v->ops->event_remove_timeout(timer);
	v->loop_running = false;
}

/* --- the connection ----------------------------------------------------- */

static void disconnect(struct virt *v)
{
	if (!v->conn)
		return;
	if (v->event_cb >= 0)
		v->ops->connect_domain_event_deregister_any(v->conn, v->event_cb);
	v->event_cb = -1;
	v->ops->connect_close(v->conn);
	v->conn = NULL;
}

static int ensure_connected(struct virt *v)
{
	if (v->conn && v->ops->connect_is_alive(v->conn) == 1)
		return 0;
	if (v->conn) {
		complain(wlog(v), &v->conn_complaint, "libvirt %s: connection lost, reconnecting", v->uri);
		disconnect(v);
	}
	loop_start(v);
	v->conn = v->ops->connect_open_read_only(v->uri);
	if (!v->conn) {
		complain(wlog(v), &v->conn_complaint, "libvirt %s: cannot connect: %s", v->uri, last_error(v));
		return -ENOTCONN;
	}
	/* Drivers without keepalive (test:///, qemu:/// inside libvirtd)
	 * refuse it; the liveness check before each collection remains. */
	if (v->loop_running && v->ops->connect_set_keep_alive(v->conn, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT) < 0)
		log_debug(wlog(v), "libvirt %s: no keepalive: %s", v->uri, last_error(v));
	if (v->loop_running) {
		v->event_cb = v->ops->connect_domain_event_register_any(
		    v->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), v, NULL);
		if (v->event_cb < 0)
			log_debug(wlog(v), "libvirt %s: no lifecycle events: %s", v->uri, last_error(v));
	}
	/* Events may have been missed while disconnected. */
	cache_mark_stale(v);
	complain_release(wlog(v), &v->conn_complaint, "libvirt %s: connected", v->uri);
	return 0;
}

/* --- one domain --------------------------------------------------------- */

static void set_scaled(struct dom_snap *d, enum dom_field f, uint64_t v, uint64_t scale)
{
	if (v > UINT64_MAX / scale)
		return;
	/* A guest that never reported has last-update 0: absent, not 1970. */
	if (f == DF_GUEST_STATS_UPDATED && v == 0)
		return;
	mval_set_u64(&d->f[f], v * scale);
}

static bool typed_u64(const virTypedParameter *p, uint64_t *out)
{
	switch (p->type) {
	case VIR_TYPED_PARAM_INT:
		if (p->value.i < 0)
			return false;
		*out = (uint64_t)p->value.i;
		return true;
	case VIR_TYPED_PARAM_UINT:
		*out = p->value.ui;
		return true;
	case VIR_TYPED_PARAM_LLONG:
		if (p->value.l < 0)
			return false;
		*out = (uint64_t)p->value.l;
		return true;
	case VIR_TYPED_PARAM_ULLONG:
		*out = p->value.ul;
		return true;
	default:
		return false;
	}
}

/* Maps the bulk record; returns whether it had any balloon.* field. */
static bool map_bulk(const virDomainStatsRecord *rec, struct dom_snap *d)
{
	bool balloon = false;
	for (int i = 0; i < rec->nparams; i++) {
		const virTypedParameter *p = &rec->params[i];
		if (strncmp(p->field, "balloon.", 8) == 0)
			balloon = true;
		for (size_t k = 0; k < sizeof(bulk_fields) / sizeof(bulk_fields[0]); k++) {
			uint64_t val;
			if (strcmp(p->field, bulk_fields[k].name) == 0) {
				if (typed_u64(p, &val))
					set_scaled(d, bulk_fields[k].field, val, bulk_fields[k].scale);
				break;
			}
		}
	}
	return balloon;
}

/* For drivers whose bulk record has no balloon group (test:///). */
static void memory_stats_fallback(struct virt *v, virDomainPtr dom, struct dom_snap *d)
{
	virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
	int n = v->ops->domain_memory_stats(dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);
	if (n < 0) {
		complain_key(wlog(v), v->complaints, d->name, "memory stats: %s", last_error(v));
		return;
	}
	complain_key_release(wlog(v), v->complaints, d->name, "memory stats available again");
	for (int i = 0; i < n && i < VIR_DOMAIN_MEMORY_STAT_NR; i++) {
		int tag = st[i].tag;
		if (tag < 0 || tag >= VIR_DOMAIN_MEMORY_STAT_NR || !memstat_fields[tag].known)
			continue;
		set_scaled(d, memstat_fields[tag].field, st[i].val, memstat_fields[tag].scale);
	}
}

/* The domain's parsed XML: from the cache when the domain did not change,
 * otherwise fetched.  Returns false when there is none. */
static bool domain_xml(struct virt *v, virDomainPtr dom, const char *uuid, const char *name, struct domxml_info *out)
{
	unsigned int id = v->ops->domain_get_id(dom);
	unsigned events = 0;
	bool have_old = false, old_valid = false;
	struct domxml_info old;

	if (uuid) {
		pthread_mutex_lock(&v->cache_lock);
		struct xml_entry *e = cache_find(v, uuid);
		if (e) {
			e->seen = v->gen;
			events = e->events;
			have_old = true;
			old_valid = e->valid;
			old = e->info;
			bool fresh = !e->stale && e->events == e->fetched_events && e->id == id &&
			             mono_seconds() - e->fetched < XML_MAX_AGE_SECONDS;
			if (fresh) {
				pthread_mutex_unlock(&v->cache_lock);
				*out = old;
				return old_valid;
			}
		}
		pthread_mutex_unlock(&v->cache_lock);
	}

	char *xml = v->ops->domain_get_xml_desc(dom, 0);
	if (!xml) {
		complain_key(wlog(v), v->complaints, name, "domain XML: %s", last_error(v));
		/* An older answer beats none: the memory config rarely changes. */
		if (have_old && old_valid)
			*out = old;
		return have_old && old_valid;
	}
	struct domxml_info info;
	bool valid = domxml_parse(xml, strlen(xml), &info) == 0;
	free(xml);
	if (!valid)
		complain_key(wlog(v), v->complaints, name, "domain XML not understood");
	if (!uuid) {
		*out = info;
		return valid;
	}

	pthread_mutex_lock(&v->cache_lock);
	struct xml_entry *e = cache_find(v, uuid);
	if (!e)
		e = cache_add(v, uuid);
	if (e) {
		e->id = id;
		/* An event that arrived during the fetch keeps the entry dirty. */
		e->fetched_events = events;
		e->stale = false;
		e->valid = valid;
		e->fetched = mono_seconds();
		e->seen = v->gen;
		if (valid)
			e->info = info;
	}
	pthread_mutex_unlock(&v->cache_lock);
	if (valid)
		*out = info;
	return valid;
}

static int add_domain(struct virt *v, struct snapshot *s, const virDomainStatsRecord *rec)
{
	virDomainPtr dom = rec->dom;
	char uuid[VIR_UUID_STRING_BUFLEN];
	const char *name = v->ops->domain_get_name(dom);
	if (!name)
		return 0;
	bool have_uuid = v->ops->domain_get_uuid_string(dom, uuid) == 0;

	struct dom_snap *d = snapshot_add_domain(s, name, have_uuid ? uuid : NULL);
	if (!d)
		return -ENOMEM;
	bool balloon = map_bulk(rec, d);
	/* Only a driver that gives no balloon group at all needs the extra
	 * call: a QEMU domain always has balloon.current while it runs, and
	 * without guest stats virDomainMemoryStats would only repeat it. */
	if (!balloon && d->f[DF_STATE].present && d->f[DF_STATE].v.u == VIR_DOMAIN_RUNNING)
		memory_stats_fallback(v, dom, d);

	struct domxml_info info;
	if (domain_xml(v, dom, have_uuid ? uuid : NULL, name, &info)) {
		d->config = info.config;
		d->f[DF_STATS_PERIOD_SECONDS] = info.stats_period_seconds;
		if (!d->f[DF_MEMORY_MAXIMUM_BYTES].present)
			d->f[DF_MEMORY_MAXIMUM_BYTES] = info.max_memory_bytes;
	}
	return 0;
}

/* One collection on the worker thread. */
static int do_collect(struct virt *v, struct snapshot *s)
{
	int rc = ensure_connected(v);
	if (rc < 0)
		return rc;

	virDomainStatsRecordPtr *recs = NULL;
	int n = v->ops->connect_get_all_domain_stats(v->conn, VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_BALLOON, &recs,
	                                             KVM_STATS_NOWAIT);
	if (n < 0) {
		bool lost = connection_failed(v);
		complain(wlog(v), &v->conn_complaint, "libvirt %s: domain stats failed: %s", v->uri, last_error(v));
		if (lost)
			disconnect(v);
		return lost ? -ECONNRESET : -EIO;
	}
	complain_release(wlog(v), &v->conn_complaint, "libvirt %s: domain stats answered again", v->uri);

	v->gen++;
	rc = 0;
	for (int i = 0; i < n && rc == 0; i++)
		rc = add_domain(v, s, recs[i]);
	if (recs)
		v->ops->domain_stats_record_list_free(recs);
	if (rc < 0) {
		snapshot_clear(s);
		return rc;
	}
	cache_prune(v);
	return 0;
}

/* --- worker and requests ------------------------------------------------ */

static void destroy(struct virt *v)
{
	snapshot_clear(&v->result);
	complaint_set_free(v->complaints);
	free(v->cache);
	free(v->uri);
	pthread_mutex_destroy(&v->cache_lock);
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

static void *worker_main(void *arg)
{
	struct virt *v = arg;

	pthread_mutex_lock(&v->lock);
	for (;;) {
		while (!v->pending && !v->quit)
			pthread_cond_wait(&v->cond, &v->lock);
		if (v->quit)
			break;
		v->pending = false;
		v->busy = true;
		unsigned long gen = v->req_gen;
		pthread_mutex_unlock(&v->lock);

		struct snapshot tmp;
		snapshot_init(&tmp);
		int rc = do_collect(v, &tmp);

		pthread_mutex_lock(&v->lock);
		v->busy = false;
		if (v->waiting_gen == gen) {
			snapshot_clear(&v->result);
			v->result = tmp;
			v->result_rc = rc;
			v->done_gen = gen;
		} else {
			/* The caller timed out: nobody wants this answer. */
			snapshot_clear(&tmp);
		}
		pthread_cond_broadcast(&v->cond);
	}
	pthread_mutex_unlock(&v->lock);

	disconnect(v);
	loop_stop(v);

	pthread_mutex_lock(&v->lock);
	v->worker_done = true;
	bool detached = v->detached;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	if (detached)
		destroy(v);
	return NULL;
}

struct virt *virt_new(const char *uri, const struct virt_ops *ops, const struct kvm_log *log)
{
	struct virt *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->ops = ops ? ops : virt_ops_libvirt();
	v->log = log;
	v->event_cb = -1;
	v->uri = strdup(uri ? uri : "");
	v->complaints = complaint_set_new();
	snapshot_init(&v->result);
	pthread_condattr_t ca;
	if (!v->uri || !v->complaints || pthread_condattr_init(&ca) != 0) {
		free(v->uri);
		complaint_set_free(v->complaints);
		free(v);
		return NULL;
	}
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&v->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&v->lock, NULL);
	pthread_mutex_init(&v->cache_lock, NULL);
	/* libxml2 wants its one-time setup on one thread before parsing on
	 * another (domxml_parse runs on the worker). */
	xmlInitParser();
	if (pthread_create(&v->worker, NULL, worker_main, v) != 0) {
		destroy(v);
		return NULL;
	}
	return v;
}

void virt_free(struct virt *v)
{
	if (!v)
		return;
	struct timespec until = deadline_after(FREE_WAIT_MS);
	pthread_mutex_lock(&v->lock);
	v->quit = true;
	pthread_cond_broadcast(&v->cond);
	while (!v->worker_done)
		if (pthread_cond_timedwait(&v->cond, &v->lock, &until) == ETIMEDOUT)
			break;
	bool done = v->worker_done;
	if (!done) {
		/* The worker is inside a libvirt call that does not return.
		 * It frees everything itself when (if) it does; it must not
		 * log through a logger the caller is about to free. */
		v->detached = true;
		__atomic_store_n(&v->log, NULL, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&v->lock);
	if (done) {
		pthread_join(v->worker, NULL);
		destroy(v);
	} else {
		pthread_detach(v->worker);
	}
}

int virt_collect(struct virt *v, struct snapshot *s, int timeout_ms)
{
	struct timespec until = deadline_after(timeout_ms);
	int rc = 0;

	pthread_mutex_lock(&v->lock);
	/* A request the worker still runs (its caller gave up) is waited
	 * for, not queued behind: nothing piles up on a stuck libvirtd. */
	while ((v->busy || v->pending) && rc == 0)
		rc = pthread_cond_timedwait(&v->cond, &v->lock, &until);
	if (v->busy || v->pending) {
		pthread_mutex_unlock(&v->lock);
		return -ETIMEDOUT;
	}
	unsigned long gen = ++v->req_gen;
	v->pending = true;
	v->waiting_gen = gen;
	pthread_cond_broadcast(&v->cond);
	rc = 0;
	while (v->done_gen != gen && rc == 0)
		rc = pthread_cond_timedwait(&v->cond, &v->lock, &until);
	v->waiting_gen = 0;
	if (v->done_gen != gen) {
		pthread_mutex_unlock(&v->lock);
		return -ETIMEDOUT;
	}
	rc = v->result_rc;
	if (rc == 0)
		rc = snapshot_take_domains(s, &v->result);
	snapshot_clear(&v->result);
	pthread_mutex_unlock(&v->lock);
	return rc;
}

void virt_library_version(char *buf, size_t bufsz)
{
	unsigned long ver = 0;
	if (!buf || bufsz == 0)
		return;
	if (virGetVersion(&ver, NULL, NULL) < 0) {
		snprintf(buf, bufsz, "unknown");
		return;
	}
	snprintf(buf, bufsz, "%lu.%lu.%lu", ver / 1000000, ver / 1000 % 1000, ver % 1000);
}
