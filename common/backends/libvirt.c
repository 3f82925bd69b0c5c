/*
 * libvirt.c - libvirt domains, balloon statistics and memory configuration.
 *
 * Threads and ownership:
 *  - the caller of virt_collect() posts a request to the current worker
 *    and waits at most its timeout (pthread_cond_timedwait on
 *    CLOCK_MONOTONIC);
 *  - a worker owns one connection and makes every libvirt call on it, so a
 *    call that never returns blocks only that worker;
 *  - a worker still stuck in a call over an open connection when the next
 *    collection comes (a guest whose QEMU is stopped: libvirtd holds its
 *    job and waits for the monitor) is abandoned: it keeps its connection
 *    and frees itself when the call returns, and a fresh worker with a fresh
 *    connection takes its place.  The fresh bulk call uses NOWAIT, so
 *    libvirt skips the balloon statistics of the domain whose job the stuck
 *    call holds and answers for the others.  At most MAX_ABANDONED workers
 *    are left behind at once; beyond that, and while a worker is still
 *    opening its connection (one attempt at a time), libvirt is reported
 *    down instead;
 *  - libvirt's default event loop, which delivers domain lifecycle events
 *    and notices a connection libvirtd closed, is run by the current worker
 *    between its calls: a few iterations before each collection and one
 *    whenever it has been idle for PUMP_IDLE_MS.  Not by a thread of its
 *    own: while a thread sits in the loop, every libvirt call of the
 *    worker wakes it twice (the call's socket watch is switched off and on
 *    again), and over libvirtd's unix socket that doubled the client CPU of
 *    a collection making one call per domain.  The lifecycle callback only
 *    bumps a counter in the XML cache.  No keepalive either: nothing would
 *    answer its probes in time, and each call's deadline already bounds a
 *    libvirtd that stopped answering.
 * What outlives virt_free() (abandoned workers, event registrations) holds
 * a reference on struct vshared, the one place all of them touch.
 */
#include "backends/libvirt.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>

#include "backends/libvirt_compat.h"
#include "util/complain.h"
#include "backends/domxml.h"
#include "util/strhash.h"
#include "backends/libvirt_ops.h"

/* An idle worker runs the event loop this often, so that lifecycle events
 * do not pile up in the socket while nobody collects. */
#define PUMP_IDLE_MS 10000
/* Loop iterations per pump: the first reads what libvirtd sent (events, a
 * hang-up), the second hands out the lifecycle events the first queued,
 * which libvirt does from a zero timer. */
#define PUMP_ITERATIONS 2
/* Some XML changes come without a lifecycle event (virsh dommemstat
 * --period --live changes the stats period), so a cached XML is refetched
 * after this long even when nothing else says it changed. */
#define XML_MAX_AGE_SECONDS 600
/* Each domain's age limit is stretched by up to this much, by its name,
 * so that thousands of XMLs fetched together do not all expire in the
 * same collection again. */
#define XML_AGE_SPREAD_SECONDS 300
/* How long virt_free waits for a worker stuck in a libvirt call. */
#define FREE_WAIT_MS 2000
/* Workers left behind in a libvirt call that may still return.  Each
 * holds a thread and a connection, so their number is bounded. */
#define MAX_ABANDONED 2
/* The earliest point at which a collection gives up on a worker it
 * suspects stuck and starts a fresh one (see virt_collect), unless the
 * deadline is short.  A second, not less: a big host's collection on a loaded machine can take several
 * times its usual few hundred milliseconds without anything being stuck,
 * and a needless rescue costs a new connection. */
#define RESCUE_MIN_MS 1000

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

/*
 * One domain's parsed XML and UUID, by name (unique per connection), in a
 * chained hash table.  By name because virDomainGetName is free, while
 * virDomainGetUUID and virDomainGetID each format the UUID for their debug
 * line inside libvirt, debug off or not: asking either for every domain in
 * every collection cost more than the rest of our per-domain work.  So the
 * UUID is asked once, when the XML is fetched, and kept here.
 */
struct xml_entry {
	struct xml_entry *next;
	char uuid[UUID_STRING_LEN]; /* canonical text, asked when fetched */
	bool active;                /* not shut off when fetched (bulk state) */
	unsigned events;            /* lifecycle events seen (event pump) */
	unsigned fetched_events;    /* events when fetched */
	bool stale;                 /* fetched over an older connection */
	bool valid;                 /* info parsed */
	time_t fetched;             /* CLOCK_MONOTONIC seconds */
	time_t max_age;             /* XML_MAX_AGE_SECONDS plus this entry's spread */
	unsigned seen;              /* collection that last listed the domain */
	struct domxml_info info;
	char name[]; /* the key */
};

/*
 * What the virt object, its workers (abandoned ones too) and the lifecycle
 * callbacks registered on their connections share.  Reference counted:
 * the last of them to let go frees it.  Everything in it is under lock.
 */
struct vshared {
	pthread_mutex_t lock;
	unsigned refs;
	const struct libvirt_ops *ops;
	const struct kvm_log *log; /* borrowed; NULL once virt_free() returned */
	struct complaint conn_complaint;
	struct complaint_set *complaints;
	unsigned abandoned;    /* abandoned workers whose thread still runs */
	bool dom_complained;   /* complaints has held a domain key at some point */
	bool guest_stats_seen; /* the driver gave job-dependent balloon fields */
	/* The XML cache. */
	struct xml_entry **buckets;
	size_t nbuckets, nentries;
};

/* One worker thread and its connection. */
struct worker {
	struct vshared *sh; /* one reference */
	const struct libvirt_ops *ops;
	char *uri;
	pthread_t thread;

	/* Requests, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool quit, done;
	bool pending, busy;
	bool opening; /* busy opening the connection */
	unsigned long req_gen, waiting_gen, done_gen;
	int result_rc;
	struct snapshot result;
	int abandoned; /* atomic; also written under lock */
	bool quiet;    /* under sh->lock: abandoned, so it logs nothing */

	/* The worker thread only. */
	virConnectPtr conn;
	int event_cb;     /* lifecycle callback id, -1 when none */
	bool events;      /* the default event loop is registered: pump it */
	int pump_idle_ms; /* run the loop when idle this long */
	bool replacement; /* took over from an abandoned worker, whose
	                   * connection still delivers lifecycle events */
	unsigned gen;
};

struct virt {
	const struct libvirt_ops *ops;
	char *uri;
	struct vshared *sh;   /* one reference */
	pthread_mutex_t lock; /* one virt_collect at a time; guards w */
	struct worker *w;     /* NULL until the first collection, or after abandoning */
	double last_ok_ms;    /* how long the last collection took, 0 before one succeeded */

	bool loop;        /* libvirt's default event loop is registered */
	int pump_idle_ms; /* given to new workers */
};

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

/* --- the shared part -------------------------------------------------- */

static struct vshared *sh_new(const struct libvirt_ops *ops, const struct kvm_log *log)
{
	struct vshared *sh = calloc(1, sizeof(*sh));
	if (!sh)
		return NULL;
	sh->complaints = complaint_set_new();
	sh->nbuckets = 64;
	sh->buckets = calloc(sh->nbuckets, sizeof(*sh->buckets));
	if (!sh->complaints || !sh->buckets) {
		complaint_set_free(sh->complaints);
		free(sh->buckets);
		free(sh);
		return NULL;
	}
	pthread_mutex_init(&sh->lock, NULL);
	sh->refs = 1;
	sh->ops = ops;
	sh->log = log;
	return sh;
}

static void sh_ref(struct vshared *sh)
{
	pthread_mutex_lock(&sh->lock);
	sh->refs++;
	pthread_mutex_unlock(&sh->lock);
}

/* Also the virFreeCallback of lifecycle registrations. */
static void sh_unref(void *opaque)
{
	struct vshared *sh = opaque;
	pthread_mutex_lock(&sh->lock);
	bool last = --sh->refs == 0;
	pthread_mutex_unlock(&sh->lock);
	if (!last)
		return;
	for (size_t i = 0; i < sh->nbuckets; i++) {
		struct xml_entry *e = sh->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(sh->buckets);
	complaint_set_free(sh->complaints);
	pthread_mutex_destroy(&sh->lock);
	free(sh);
}

enum wlog_kind { WL_CONN_FAIL, WL_CONN_OK, WL_DOM_FAIL, WL_DOM_OK, WL_DEBUG };

/*
 * Logs for a worker: through the connection complaint, a per-domain
 * complaint (key), or at debug.  Under sh->lock, so a logger that
 * virt_free()'s caller frees afterwards is never used, and an abandoned
 * worker (quiet) neither logs nor disturbs the complaint state.
 */
static void __attribute__((format(printf, 4, 5)))
wlog(struct worker *w, enum wlog_kind kind, const char *key, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	struct vshared *sh = w->sh;

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
	if (kind == WL_DOM_FAIL && !w->quiet)
		sh->dom_complained = true;
	if (!w->quiet) {
		const struct kvm_log *lg = sh->log;
		switch (kind) {
		case WL_CONN_FAIL:
			complain(lg, &sh->conn_complaint, "%s", msg);
			break;
		case WL_CONN_OK:
			complain_release(lg, &sh->conn_complaint, "%s", msg);
			break;
		case WL_DOM_FAIL:
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
	pthread_mutex_unlock(&sh->lock);
}

static const char *last_error(const struct worker *w)
{
	virErrorPtr e = w->ops->get_last_error();
	return e && e->message ? e->message : "unknown libvirt error";
}

static int last_error_code(const struct worker *w)
{
	virErrorPtr e = w->ops->get_last_error();
	return e ? e->code : VIR_ERR_OK;
}

/* Did the last failure come from the connection rather than the request? */
static bool connection_failed(const struct worker *w)
{
	virErrorPtr e = w->ops->get_last_error();
	if (e && (e->code == VIR_ERR_SYSTEM_ERROR || e->code == VIR_ERR_RPC || e->code == VIR_ERR_NO_CONNECT ||
	          e->code == VIR_ERR_INVALID_CONN || e->domain == VIR_FROM_RPC))
		return true;
	return w->conn && w->ops->connect_is_alive(w->conn) != 1;
}

/* --- the XML cache (under sh->lock) ----------------------------------- */

static struct xml_entry *cache_find(struct vshared *sh, const char *name)
{
	struct xml_entry *e = sh->buckets[str_hash(name) & (sh->nbuckets - 1)];
	for (; e; e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
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

/* Doubles the table when it is fuller than one entry per bucket; a failed
 * allocation only keeps the chains longer. */
static void cache_grow(struct vshared *sh)
{
	if (sh->nentries < sh->nbuckets)
		return;
	size_t n = sh->nbuckets * 2;
	struct xml_entry **b = calloc(n, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < sh->nbuckets; i++) {
		struct xml_entry *e = sh->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			size_t k = str_hash(e->name) & (n - 1);
			e->next = b[k];
			b[k] = e;
		}
	}
	free(sh->buckets);
	sh->buckets = b;
	sh->nbuckets = n;
}

static struct xml_entry *cache_add(struct vshared *sh, const char *name)
{
	size_t len = strlen(name);
	struct xml_entry *e = calloc(1, sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	memcpy(e->name, name, len + 1);
	size_t h = str_hash(name);
	e->max_age = XML_MAX_AGE_SECONDS + (time_t)(h % XML_AGE_SPREAD_SECONDS);
	cache_grow(sh);
	size_t k = h & (sh->nbuckets - 1);
	e->next = sh->buckets[k];
	sh->buckets[k] = e;
	sh->nentries++;
	return e;
}

/* Drops the entries of domains collection gen did not list. */
static void cache_prune(struct vshared *sh, unsigned gen)
{
	pthread_mutex_lock(&sh->lock);
	for (size_t i = 0; i < sh->nbuckets; i++) {
		struct xml_entry **pp = &sh->buckets[i];
		while (*pp) {
			struct xml_entry *e = *pp;
			if (e->seen != gen) {
				*pp = e->next;
				free(e);
				sh->nentries--;
			} else {
				pp = &e->next;
			}
		}
	}
	pthread_mutex_unlock(&sh->lock);
}

static void cache_mark_stale(struct vshared *sh)
{
	pthread_mutex_lock(&sh->lock);
	for (size_t i = 0; i < sh->nbuckets; i++)
		for (struct xml_entry *e = sh->buckets[i]; e; e = e->next)
			e->stale = true;
	pthread_mutex_unlock(&sh->lock);
}

/* Runs on the worker, in events_pump, for DEFINED, UNDEFINED, STARTED, STOPPED and
 * the other lifecycle events: the next collection refetches that XML.
 * opaque is a reference on the shared part, dropped by sh_unref when
 * libvirt lets go of the registration. */
static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
	struct vshared *sh = opaque;
	(void)conn;
	(void)event;
	(void)detail;
	const char *name = sh->ops->domain_get_name(dom);
	if (!name)
		return 0;
	pthread_mutex_lock(&sh->lock);
	struct xml_entry *e = cache_find(sh, name);
	if (e)
		e->events++;
	pthread_mutex_unlock(&sh->lock);
	return 0;
}

/* --- the event loop ----------------------------------------------------- */

static void wake_cb(int timer, void *opaque)
{
	(void)timer;
	(void)opaque;
}

/* libvirt's default error handler prints every error to stderr
 * ("libvirt: XML-RPC error : ..."); errors are read with virGetLastError
 * and logged once through the complaint machinery instead. */
static void quiet_errors(void *userdata, virErrorPtr err)
{
	(void)userdata;
	(void)err;
}

/* Registers libvirt's default event loop (process-wide, harmless when
 * another libvirt user in the process did it first); the workers run it. */
static void loop_register(struct virt *v)
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

/* A few iterations of the event loop, none of them blocking: a zero
 * timer is due in each.  Runs on the worker only, outside its locks (the
 * lifecycle callback takes sh->lock). */
static void events_pump(struct worker *w)
{
	if (!w->events)
		return;
	int timer = w->ops->event_add_timeout(0, wake_cb, NULL, NULL);
	if (timer < 0)
		return;
	for (int i = 0; i < PUMP_ITERATIONS; i++)
		if (w->ops->event_run_default_impl() < 0)
			break;
	w->ops->event_remove_timeout(timer);
}

/* --- the connection (worker thread) ------------------------------------- */

static bool abandoned(struct worker *w)
{
	return __atomic_load_n(&w->abandoned, __ATOMIC_ACQUIRE) != 0;
}

static void set_opening(struct worker *w, bool on)
{
	pthread_mutex_lock(&w->lock);
	w->opening = on;
	pthread_mutex_unlock(&w->lock);
}

static void disconnect(struct worker *w)
{
	if (!w->conn)
		return;
	if (w->event_cb >= 0)
		w->ops->connect_domain_event_deregister_any(w->conn, w->event_cb);
	w->event_cb = -1;
	w->ops->connect_close(w->conn);
	w->conn = NULL;
}

static int ensure_connected(struct worker *w)
{
	if (w->conn && w->ops->connect_is_alive(w->conn) == 1)
		return 0;
	if (w->conn) {
		wlog(w, WL_CONN_FAIL, NULL, "libvirt %s: connection lost, reconnecting", w->uri);
		disconnect(w);
	}
	/* Opening and event registration talk to libvirtd; a
	 * worker hanging here is not replaced (one attempt at a time). */
	set_opening(w, true);
	w->conn = w->ops->connect_open_read_only(w->uri);
	if (!w->conn) {
		set_opening(w, false);
		wlog(w, WL_CONN_FAIL, NULL, "libvirt %s: cannot connect: %s", w->uri, last_error(w));
		return -ENOTCONN;
	}
	/* A handler on the connection too: the process-wide one may be
	 * replaced by another libvirt user in the same process (collectd). */
	w->ops->conn_set_error_func(w->conn, NULL, quiet_errors);
	if (w->events) {
		/* The registration holds a reference on the shared part; libvirt
		 * drops it through sh_unref when it lets go of the callback. */
		sh_ref(w->sh);
		w->event_cb =
		    w->ops->connect_domain_event_register_any(w->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
		                                              VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), w->sh, sh_unref);
		if (w->event_cb < 0) {
			/* A failed registration does not call the free callback. */
			sh_unref(w->sh);
			wlog(w, WL_DEBUG, NULL, "libvirt %s: no lifecycle events: %s", w->uri, last_error(w));
		}
	}
	set_opening(w, false);
	/* Events may have been missed while disconnected, but not while the
	 * worker this one replaces was connected: its registration stays until
	 * it disconnects, and this one registered before asking for anything.
	 * Refetching every XML there would cost a large host its deadline. */
	if (!w->replacement)
		cache_mark_stale(w->sh);
	w->replacement = false;
	wlog(w, WL_CONN_OK, NULL, "libvirt %s: connected", w->uri);
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

/* What a bulk record says about balloon statistics.  The QEMU driver
 * (qemuDomainGetStatsBalloon) always gives balloon.current and
 * balloon.maximum from the definition; everything else, balloon.rss
 * included, only when it got the domain's job (NOWAIT skips a busy one). */
struct balloon_seen {
	bool any;   /* some balloon.* field */
	bool guest; /* a balloon.* field beyond current and maximum */
};

static bool is_balloon_field(const char *f)
{
	return strncmp(f, "balloon.", 8) == 0;
}

static bool is_definition_field(const char *f)
{
	return strcmp(f, "balloon.current") == 0 || strcmp(f, "balloon.maximum") == 0;
}

static struct balloon_seen scan_bulk(const virDomainStatsRecord *rec)
{
	struct balloon_seen b = {false, false};
	for (int i = 0; i < rec->nparams; i++) {
		const char *f = rec->params[i].field;
		if (!is_balloon_field(f))
			continue;
		b.any = true;
		if (!is_definition_field(f))
			b.guest = true;
	}
	return b;
}

static void map_bulk(const virDomainStatsRecord *rec, struct dom_snap *d)
{
	const size_t nf = sizeof(bulk_fields) / sizeof(bulk_fields[0]);
	/* The search starts after the previous match: libvirt gives the
	 * fields in table order, so a record costs about one compare per
	 * field instead of a scan of the table per field. */
	size_t next = 0;
	for (int i = 0; i < rec->nparams; i++) {
		const virTypedParameter *p = &rec->params[i];
		for (size_t j = 0; j < nf; j++) {
			size_t k = next + j < nf ? next + j : next + j - nf;
			uint64_t val;
			if (strcmp(p->field, bulk_fields[k].name) == 0) {
				if (typed_u64(p, &val))
					set_scaled(d, bulk_fields[k].field, val, bulk_fields[k].scale);
				next = k + 1 < nf ? k + 1 : 0;
				break;
			}
		}
	}
}

/* A domain that went away between listing and reading is no failure. */
static bool domain_vanished(const struct worker *w)
{
	return last_error_code(w) == VIR_ERR_NO_DOMAIN;
}

/* For drivers whose bulk records have no balloon group (test:///). */
static void memory_stats_fallback(struct worker *w, virDomainPtr dom, struct dom_snap *d)
{
	virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
	int n = w->ops->domain_memory_stats(dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);
	if (n < 0) {
		if (domain_vanished(w))
			wlog(w, WL_DEBUG, NULL, "%s: memory stats: %s", d->name, last_error(w));
		else
			wlog(w, WL_DOM_FAIL, d->name, "memory stats: %s", last_error(w));
		return;
	}
	wlog(w, WL_DOM_OK, d->name, "memory stats available again");
	for (int i = 0; i < n && i < VIR_DOMAIN_MEMORY_STAT_NR; i++) {
		int tag = st[i].tag;
		if (tag < 0 || tag >= VIR_DOMAIN_MEMORY_STAT_NR || !memstat_fields[tag].known)
			continue;
		set_scaled(d, memstat_fields[tag].field, st[i].val, memstat_fields[tag].scale);
	}
}

/*
 * The domain's parsed XML and UUID: from the cache when the domain did not
 * change, otherwise fetched, the UUID asked along with it.  A domain whose
 * balloon statistics were skipped (its job is busy) is served from the
 * cache whatever its age, so nothing of this collection waits on it.
 * active is the bulk state's word (not shut off).  Sets uuid ("" when
 * unknown); returns false when there is no parsed XML.
 *
 * What says a cached entry is out of date, now that the domain id (which
 * every start changes) is not asked for any more:
 *  - a lifecycle event (DEFINED, UNDEFINED, STARTED, STOPPED, ...) for its
 *    name: a restart, or an undefine and define under the same name, sends
 *    them whenever it happens, however quickly, between two collections;
 *  - the bulk state turning between shut off and active: that catches a
 *    start or stop whose event has not arrived yet (or a connection that
 *    gets none);
 *  - a reconnect: events of the time in between are lost, so everything is
 *    stale (ensure_connected);
 *  - a domain missing from one collection: its entry is dropped
 *    (cache_prune), and it comes back as new;
 *  - its age, for the changes that come without an event at all.
 * Events are missed only without a connection, and then the reconnect
 * marks everything; so only a restart between two collections on a host
 * without an event loop goes unseen until the age limit.
 */
static bool domain_xml(struct worker *w, virDomainPtr dom, const char *name, bool busy, bool active, time_t now,
                       struct domxml_info *out, char uuid[UUID_STRING_LEN])
{
	struct vshared *sh = w->sh;
	unsigned events = 0;
	bool have_old = false, old_valid = false;
	struct domxml_info old;

	pthread_mutex_lock(&sh->lock);
	struct xml_entry *e = cache_find(sh, name);
	if (e) {
		e->seen = w->gen;
		events = e->events;
		have_old = true;
		old_valid = e->valid;
		old = e->info;
		bool same_state = e->active == active;
		bool fresh = !e->stale && e->events == e->fetched_events && same_state && now - e->fetched < e->max_age;
		/* A busy domain that did not start or stop keeps its XML. */
		if (fresh || (busy && same_state)) {
			memcpy(uuid, e->uuid, UUID_STRING_LEN);
			pthread_mutex_unlock(&sh->lock);
			if (old_valid)
				*out = old;
			return old_valid;
		}
	}
	pthread_mutex_unlock(&sh->lock);

	/* The name may now belong to another domain (undefined and defined
	 * again), so the UUID is asked again too. */
	unsigned char raw[VIR_UUID_BUFLEN];
	bool have_uuid = w->ops->domain_get_uuid(dom, raw) == 0;
	if (have_uuid)
		uuid_format(raw, uuid);
	else
		uuid[0] = '\0';

	char *xml = w->ops->domain_get_xml_desc(dom, 0);
	if (!xml) {
		if (domain_vanished(w))
			wlog(w, WL_DEBUG, NULL, "%s: domain XML: %s", name, last_error(w));
		else
			wlog(w, WL_DOM_FAIL, name, "domain XML: %s", last_error(w));
		/* An older answer beats none: the memory config rarely changes. */
		if (have_old && old_valid)
			*out = old;
		return have_old && old_valid;
	}
	struct domxml_info info;
	bool valid = domxml_parse(xml, strlen(xml), &info) == 0;
	free(xml);
	if (!valid)
		wlog(w, WL_DOM_FAIL, name, "domain XML not understood");
	/* Without its UUID the entry would serve an empty one until the
	 * next refetch: not cached, asked again next time. */
	if (!have_uuid) {
		if (valid)
			*out = info;
		return valid;
	}

	pthread_mutex_lock(&sh->lock);
	e = cache_find(sh, name);
	if (!e)
		e = cache_add(sh, name);
	if (e) {
		memcpy(e->uuid, uuid, UUID_STRING_LEN);
		e->active = active;
		/* An event that arrived during the fetch keeps the entry dirty. */
		e->fetched_events = events;
		e->stale = false;
		e->valid = valid;
		e->fetched = now;
		e->seen = w->gen;
		if (valid)
			e->info = info;
	}
	pthread_mutex_unlock(&sh->lock);
	if (valid)
		*out = info;
	return valid;
}

/* What the whole bulk answer says, decided before any domain is read. */
struct bulk_view {
	bool fallback; /* no balloon group at all: ask virDomainMemoryStats */
	bool can_skip; /* the driver gives guest fields when it has the job */
	time_t now;
};

static int add_domain(struct worker *w, struct snapshot *s, const virDomainStatsRecord *rec, const struct bulk_view *bv)
{
	virDomainPtr dom = rec->dom;
	const char *name = w->ops->domain_get_name(dom);
	if (!name)
		return 0;

	/* The UUID comes with the XML (domain_xml). */
	struct dom_snap *d = snapshot_add_domain(s, name, NULL);
	if (!d)
		return -ENOMEM;
	map_bulk(rec, d);
	bool running = d->f[DF_STATE].present && d->f[DF_STATE].v.u == VIR_DOMAIN_RUNNING;
	bool busy = false;
	if (running) {
		/* Only a driver without any balloon group needs the extra call.
		 * A QEMU domain lacking guest fields is one whose job is busy
		 * (NOWAIT skipped it): virDomainMemoryStats would wait for that
		 * same job, about 30 s, so it is marked instead. */
		if (bv->fallback)
			memory_stats_fallback(w, dom, d);
		else
			busy = bv->can_skip && !scan_bulk(rec).guest;
		mval_set_u64(&d->f[DF_BALLOON_STATS_SKIPPED], busy ? 1 : 0);
		if (busy)
			wlog(w, WL_DEBUG, NULL, "%s: balloon statistics skipped, domain job busy", name);
	}
	if (abandoned(w))
		return -ECANCELED;

	struct domxml_info info;
	bool active = !(d->f[DF_STATE].present && d->f[DF_STATE].v.u == VIR_DOMAIN_SHUTOFF);
	if (domain_xml(w, dom, name, busy, active, bv->now, &info, d->uuid)) {
		d->config = info.config;
		d->f[DF_STATS_PERIOD_SECONDS] = info.stats_period_seconds;
		if (!d->f[DF_MEMORY_MAXIMUM_BYTES].present)
			d->f[DF_MEMORY_MAXIMUM_BYTES] = info.max_memory_bytes;
	}
	return abandoned(w) ? -ECANCELED : 0;
}

/* One collection on the worker thread. */
static int do_collect(struct worker *w, struct snapshot *s)
{
	/* Lifecycle events and a hang-up that arrived since the last
	 * collection, before the cache and the connection are trusted. */
	events_pump(w);
	int rc = ensure_connected(w);
	if (rc < 0)
		return rc;
	if (abandoned(w))
		return -ECANCELED;

	virDomainStatsRecordPtr *recs = NULL;
	int n = w->ops->connect_get_all_domain_stats(w->conn, VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_BALLOON, &recs,
	                                             KVM_STATS_NOWAIT);
	if (abandoned(w)) {
		/* Nobody waits for this answer any more. */
		if (n >= 0 && recs)
			w->ops->domain_stats_record_list_free(recs);
		return -ECANCELED;
	}
	if (n < 0) {
		bool lost = connection_failed(w);
		wlog(w, WL_CONN_FAIL, NULL, "libvirt %s: domain stats failed: %s", w->uri, last_error(w));
		if (lost)
			disconnect(w);
		return lost ? -ECONNRESET : -EIO;
	}
	wlog(w, WL_CONN_OK, NULL, "libvirt %s: domain stats answered again", w->uri);

	struct bulk_view bv = {true, false, mono_seconds()};
	bool guest = false;
	for (int i = 0; i < n; i++) {
		struct balloon_seen b = scan_bulk(recs[i]);
		if (b.any)
			bv.fallback = false;
		if (b.guest)
			guest = true;
	}
	/* A driver that gave guest fields once gives them whenever it has
	 * the job: a lone stuck guest is marked too. */
	pthread_mutex_lock(&w->sh->lock);
	if (guest)
		w->sh->guest_stats_seen = true;
	bv.can_skip = w->sh->guest_stats_seen;
	pthread_mutex_unlock(&w->sh->lock);

	w->gen++;
	rc = n > 0 ? snapshot_reserve_domains(s, (size_t)n) : 0;
	for (int i = 0; i < n && rc == 0; i++)
		rc = add_domain(w, s, recs[i], &bv);
	if (recs)
		w->ops->domain_stats_record_list_free(recs);
	if (rc < 0) {
		snapshot_clear(s);
		return rc;
	}
	cache_prune(w->sh, w->gen);
	return 0;
}

/* --- workers and requests ------------------------------------------------ */

static void worker_destroy(struct worker *w)
{
	snapshot_clear(&w->result);
	free(w->uri);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	sh_unref(w->sh);
	free(w);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->pending && !w->quit) {
			if (!w->events || !w->conn) {
				pthread_cond_wait(&w->cond, &w->lock);
				continue;
			}
			struct timespec until = deadline_after(w->pump_idle_ms);
			if (pthread_cond_timedwait(&w->cond, &w->lock, &until) == ETIMEDOUT && !w->pending &&
			    !w->quit) {
				pthread_mutex_unlock(&w->lock);
				events_pump(w);
				pthread_mutex_lock(&w->lock);
			}
		}
		if (w->quit)
			break;
		w->pending = false;
		w->busy = true;
		unsigned long gen = w->req_gen;
		pthread_mutex_unlock(&w->lock);

		struct snapshot tmp;
		snapshot_init(&tmp);
		int rc = do_collect(w, &tmp);

		pthread_mutex_lock(&w->lock);
		w->busy = false;
		if (!abandoned(w) && w->waiting_gen == gen) {
			snapshot_clear(&w->result);
			w->result = tmp;
			w->result_rc = rc;
			w->done_gen = gen;
		} else {
			/* The caller timed out: nobody wants this answer. */
			snapshot_clear(&tmp);
		}
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);

	/* On a libvirtd that stopped answering this may block too; the
	 * worker is then abandoned and still counted as such. */
	disconnect(w);

	pthread_mutex_lock(&w->lock);
	w->done = true;
	bool left = abandoned(w);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	/* Once abandoned, nobody else touches w: the thread frees it. */
	if (left) {
		pthread_mutex_lock(&w->sh->lock);
		w->sh->abandoned--;
		pthread_mutex_unlock(&w->sh->lock);
		worker_destroy(w);
	}
	return NULL;
}

static struct worker *worker_new(struct virt *v, bool replacement)
{
	struct worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->ops = v->ops;
	w->event_cb = -1;
	w->events = v->loop;
	w->pump_idle_ms = v->pump_idle_ms;
	w->replacement = replacement && v->loop;
	w->uri = strdup(v->uri);
	pthread_condattr_t ca;
	if (!w->uri || pthread_condattr_init(&ca) != 0) {
		free(w->uri);
		free(w);
		return NULL;
	}
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&w->lock, NULL);
	snapshot_init(&w->result);
	sh_ref(v->sh);
	w->sh = v->sh;
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		worker_destroy(w);
		return NULL;
	}
	return w;
}

/*
 * Leaves w to finish its libvirt call alone; it frees itself.  Called with
 * w->lock held and w not done; w must not be touched afterwards.
 */
static void abandon_locked(struct worker *w)
{
	pthread_t t = w->thread;
	w->quit = true;
	__atomic_store_n(&w->abandoned, 1, __ATOMIC_RELEASE);
	/* Counted before the worker can see abandoned and count down. */
	pthread_mutex_lock(&w->sh->lock);
	w->sh->abandoned++;
	w->quiet = true;
	pthread_mutex_unlock(&w->sh->lock);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_detach(t);
}

/* Stops w: joins it when it ends within FREE_WAIT_MS, else abandons it. */
static void worker_stop(struct worker *w)
{
	struct timespec until = deadline_after(FREE_WAIT_MS);
	pthread_mutex_lock(&w->lock);
	w->quit = true;
	pthread_cond_broadcast(&w->cond);
	while (!w->done)
		if (pthread_cond_timedwait(&w->cond, &w->lock, &until) == ETIMEDOUT)
			break;
	if (!w->done) {
		abandon_locked(w);
		return;
	}
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	worker_destroy(w);
}

struct virt *virt_new(const char *uri, const struct libvirt_ops *ops, const struct kvm_log *log)
{
	struct virt *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->ops = ops ? ops : libvirt_ops_real();
	v->uri = strdup(uri ? uri : "");
	v->sh = sh_new(v->ops, log);
	if (!v->uri || !v->sh) {
		free(v->uri);
		if (v->sh)
			sh_unref(v->sh);
		free(v);
		return NULL;
	}
	pthread_mutex_init(&v->lock, NULL);
	/* Before any other libvirt call of any thread, so that no error
	 * (a failed open, the event loop's) reaches stderr as raw text. */
	v->ops->set_error_func(NULL, quiet_errors);
	/* libxml2 wants its one-time setup on one thread before parsing on
	 * another (domxml_parse runs on the workers). */
	xmlInitParser();
	/* Registering the loop does not talk to libvirtd, so start-up does
	 * not wait for it; the first collection connects. */
	v->pump_idle_ms = PUMP_IDLE_MS;
	loop_register(v);
	return v;
}

void virt_set_pump_idle_ms(struct virt *v, int ms)
{
	pthread_mutex_lock(&v->lock);
	v->pump_idle_ms = ms;
	pthread_mutex_unlock(&v->lock);
}

void virt_free(struct virt *v)
{
	if (!v)
		return;
	pthread_mutex_lock(&v->lock);
	if (v->w)
		worker_stop(v->w);
	v->w = NULL;
	pthread_mutex_unlock(&v->lock);
	/* Abandoned workers may still finish later; they must not log
	 * through a logger the caller is about to free. */
	pthread_mutex_lock(&v->sh->lock);
	v->sh->log = NULL;
	pthread_mutex_unlock(&v->sh->lock);
	sh_unref(v->sh);
	pthread_mutex_destroy(&v->lock);
	free(v->uri);
	free(v);
}

/* Under w->lock: may a busy w be left behind for a fresh worker?  Not
 * while it opens its connection (one attempt at a time), nor beyond
 * MAX_ABANDONED.  Only virt_collect (under v->lock) raises the count, so
 * the answer cannot turn from yes to no before it acts on it. */
static bool replaceable(struct virt *v, struct worker *w)
{
	if (w->opening)
		return false;
	pthread_mutex_lock(&v->sh->lock);
	bool ok = v->sh->abandoned < MAX_ABANDONED;
	pthread_mutex_unlock(&v->sh->lock);
	return ok;
}

/* Under v->lock.  Makes sure an idle worker is there, replacing one stuck
 * in a request of an earlier collection.  Returns 0, -ETIMEDOUT when
 * libvirt is to be reported down (the worker is still opening its
 * connection, or too many are stuck already), or -ENOMEM. */
static int idle_worker(struct virt *v)
{
	struct worker *w = v->w;
	if (w) {
		pthread_mutex_lock(&w->lock);
		if (!w->busy && !w->pending) {
			pthread_mutex_unlock(&w->lock);
			return 0;
		}
		if (!replaceable(v, w)) {
			bool opening = w->opening;
			pthread_mutex_unlock(&w->lock);
			if (!opening) {
				pthread_mutex_lock(&v->sh->lock);
				complain(v->sh->log, &v->sh->conn_complaint,
				         "libvirt %s: %d requests are stuck in libvirtd, not starting another", v->uri,
				         MAX_ABANDONED + 1);
				pthread_mutex_unlock(&v->sh->lock);
			}
			return -ETIMEDOUT;
		}
		pthread_mutex_lock(&v->sh->lock);
		log_info(v->sh->log, "libvirt %s: a request is stuck in libvirtd; continuing on a new connection",
		         v->uri);
		pthread_mutex_unlock(&v->sh->lock);
		abandon_locked(w);
		v->w = NULL;
		v->w = worker_new(v, true);
		return v->w ? 0 : -ENOMEM;
	}
	v->w = worker_new(v, false);
	return v->w ? 0 : -ENOMEM;
}

/*
 * Posts a request to w and waits for its answer until *until.  With
 * rescue, it gives up at *rescue already when w can be replaced, and then
 * sets *stuck.  Returns the collection's result, or -ETIMEDOUT.
 */
static int post_and_wait(struct virt *v, struct worker *w, struct snapshot *s, const struct timespec *rescue,
                         const struct timespec *until, bool *stuck)
{
	pthread_mutex_lock(&w->lock);
	unsigned long gen = ++w->req_gen;
	w->pending = true;
	w->waiting_gen = gen;
	pthread_cond_broadcast(&w->cond);
	int rc = 0;
	if (rescue) {
		while (w->done_gen != gen && rc == 0)
			rc = pthread_cond_timedwait(&w->cond, &w->lock, rescue);
		if (w->done_gen != gen && replaceable(v, w)) {
			w->waiting_gen = 0;
			pthread_mutex_unlock(&w->lock);
			*stuck = true;
			return -ETIMEDOUT;
		}
		rc = 0;
	}
	while (w->done_gen != gen && rc == 0)
		rc = pthread_cond_timedwait(&w->cond, &w->lock, until);
	w->waiting_gen = 0;
	if (w->done_gen != gen) {
		/* The next collection replaces the worker if it is still stuck. */
		pthread_mutex_unlock(&w->lock);
		return -ETIMEDOUT;
	}
	rc = w->result_rc;
	if (rc == 0)
		rc = snapshot_take_domains(s, &w->result);
	snapshot_clear(&w->result);
	pthread_mutex_unlock(&w->lock);
	return rc;
}

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int virt_collect(struct virt *v, struct snapshot *s, int timeout_ms)
{
	double t0 = mono_ms();
	struct timespec until = deadline_after(timeout_ms);

	pthread_mutex_lock(&v->lock);
	int rc = idle_worker(v);
	if (rc < 0) {
		pthread_mutex_unlock(&v->lock);
		return rc;
	}
	/* A collection that takes far longer than the last good one is most
	 * likely stuck on one domain's job (a stopped QEMU): once it has had
	 * four times as long (at least RESCUE_MIN_MS, or a quarter of a shorter
	 * deadline such as collectd's at a 1 s interval), a fresh worker gets the
	 * rest of the deadline, so even this scrape carries the other domains.
	 * Only when that leaves it at least half the deadline. */
	int floor_ms = timeout_ms / 4 < RESCUE_MIN_MS ? timeout_ms / 4 : RESCUE_MIN_MS;
	int rescue_ms = v->last_ok_ms * 4 > floor_ms ? (int)(v->last_ok_ms * 4) : floor_ms;
	bool try_rescue = v->last_ok_ms > 0 && rescue_ms <= timeout_ms / 2;
	struct timespec rescue = deadline_after(rescue_ms);
	bool stuck = false;
	rc = post_and_wait(v, v->w, s, try_rescue ? &rescue : NULL, &until, &stuck);
	if (stuck) {
		rc = idle_worker(v);
		if (rc == 0)
			rc = post_and_wait(v, v->w, s, NULL, &until, &stuck);
	}
	if (rc == 0 && !stuck)
		v->last_ok_ms = mono_ms() - t0;
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
