/*
 * landing.h - what the exporter found, for people: the page at / and the
 * first-run message.
 *
 * A newcomer who starts the exporter on a machine without VMs sees zeros
 * and kvmmem_libvirt_up 0 and cannot tell whether that is right.  Every
 * collection leaves a small summary here (struct found: collector status
 * and domain counts, not the snapshot, which can be megabytes); the
 * landing page is rendered from the newest summary, so a request for /
 * never starts a collection, and the first collection that finds no
 * domain and no libvirt says so in the log, once.
 *
 * Threads: landing_observe() runs on whichever thread collected (one
 * collection at a time); landing_page() on the HTTP event loop.  The
 * summary is guarded by the landing's own lock, a leaf: under it only the
 * summary is copied.
 */
#ifndef KVMMEM_LANDING_H
#define KVMMEM_LANDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/collect_flags.h"
#include "model/snapshot.h"
#include "util/buf.h"
#include "util/log.h"

#define FOUND_SOURCES 3 /* enum dom_source */
#define FOUND_STATES 8  /* enum dom_state */

/* One collection, summed up. */
struct found {
	bool present;        /* false until a collection has finished */
	uint64_t generation; /* its number, from 1 */
	int collect_rc;      /* what collection_run() returned */
	struct coll_status coll[COLL_COUNT];
	size_t ndoms;
	/* Domains by source and state; a state out of range counts as no state. */
	size_t doms[FOUND_SOURCES][FOUND_STATES];
};

/* Sums up s, the result of collection number generation. */
void found_of(const struct snapshot *s, int collect_rc, uint64_t generation, struct found *f);

/* True when a finished collection found no domain from any backend and
 * libvirt was not up: the machine looks like one without VMs. */
bool found_nothing(const struct found *f);

/*
 * The first-run message for f: what was looked for, where, and that
 * `make demo` shows a sample host, one log line per '\n'-ended line.
 * Returns 0 or the buf error.
 */
int found_nothing_lines(const struct collect_flags *flags, const struct found *f, struct buf *b);

/* What the page says besides the summary. */
struct landing_view {
	const char *telemetry_path;
	const struct collect_flags *flags; /* what was asked for, to say why a collector is off */
	double age_s;                      /* how long ago the summary's collection finished */
};

/* The page at / for f (escaped for HTML throughout).  Returns 0 or the buf error. */
int landing_render(const struct found *f, const struct landing_view *v, struct buf *b);

struct landing;

/* Makes the keeper of the summary.  flags, telemetry_path and log are
 * borrowed and must outlive it.  NULL when out of memory. */
struct landing *landing_new(const struct collect_flags *flags, const char *telemetry_path, const struct kvm_log *log);
/* Frees; NULL is fine.  No landing_observe() or landing_page() may be running. */
void landing_free(struct landing *l);

/* Keeps the summary of one collection (ctx is a struct landing), and logs
 * the first-run message when the first collection found nothing. */
void landing_observe(void *ctx, const struct snapshot *s, int collect_rc, uint64_t generation);

/* The page from the newest summary, in a malloc'd buffer the caller frees.
 * Returns 0, or -ENOMEM. */
int landing_page(struct landing *l, char **data, size_t *len);

/* Appends s with &, <, >, " and ' as HTML entities: the one escaper of
 * every page the exporter serves. */
void landing_put_html(struct buf *b, const char *s);

#endif
