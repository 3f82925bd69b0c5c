/*
 * xml_cache.h - what each libvirt domain's XML said, by domain name.
 *
 * The domain XML (memory configuration, balloon stats period) is fetched
 * only when a domain is new or changed, and kept here with the UUID asked
 * along with it: virDomainGetUUID formats the UUID for libvirt's debug
 * line, debug off or not, and asking it of every domain in every
 * collection costs more than the rest of the per-domain work.  Keyed by
 * name because virDomainGetName costs nothing and is unique per
 * connection.
 *
 * Thread-safe: the collecting worker, an abandoned worker finishing late
 * and the lifecycle event callback all use it; each call takes the
 * cache's own lock.
 */
#ifndef KVMMEM_XML_CACHE_H
#define KVMMEM_XML_CACHE_H

#include <stdbool.h>
#include <time.h>

#include "backends/domxml.h"
#include "model/snapshot.h"

/* One domain's cached answer, copied in and out. */
struct xml_cached {
	char uuid[UUID_STRING_LEN]; /* canonical text, asked when fetched */
	bool active;                /* not shut off when fetched (bulk state) */
	unsigned events;            /* lifecycle events seen */
	unsigned fetched_events;    /* events when fetched */
	bool stale;                 /* fetched over an older connection */
	bool valid;                 /* info parsed */
	time_t fetched;             /* CLOCK_MONOTONIC seconds */
	time_t max_age;             /* refetched after this long even if nothing changed */
	struct domxml_info info;
};

struct xml_cache;

/* NULL when out of memory. */
struct xml_cache *xml_cache_new(void);
void xml_cache_free(struct xml_cache *c);

/* Copies the entry of name into out and marks it listed in collection
 * gen.  false when there is none. */
bool xml_cache_get(struct xml_cache *c, const char *name, unsigned gen, struct xml_cached *out);
/* Stores a fetch of name in collection gen: everything of in but events,
 * which the cache counts, and max_age, which it spreads by name.
 * in->fetched_events is the events count xml_cache_get gave when the fetch
 * started (0 for a new entry), so an event during the fetch leaves the
 * entry out of date.  When in->valid is false the older info stays.  Out
 * of memory: not cached, fetched again next time. */
void xml_cache_put(struct xml_cache *c, const char *name, unsigned gen, const struct xml_cached *in);
/* A lifecycle event for name: its entry is out of date. */
void xml_cache_event(struct xml_cache *c, const char *name);
/* After a reconnect, events may have been missed: every entry is stale. */
void xml_cache_mark_stale(struct xml_cache *c);
/* Drops the entries of domains collection gen did not list. */
void xml_cache_prune(struct xml_cache *c, unsigned gen);

/*
 * Pure: may a cached entry be served instead of a fetch?  When nothing says
 * it changed: no event since the fetch, not fetched over an older
 * connection, the bulk state (active) did not turn between shut off and
 * active, and younger than its max_age.  A busy domain (its job is held, a
 * fetch would wait for it) keeps its entry whatever the age, unless it
 * started or stopped.
 */
bool xml_cache_usable(const struct xml_cached *e, bool active, bool busy, time_t now);

#endif
