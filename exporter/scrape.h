/*
 * scrape.h - one collection shared by concurrent scrapes.
 *
 * A collector runs one collection at a time.  When a request arrives while
 * a collection is running, it waits for that collection and is served its
 * result instead of starting another: the exposition is rendered once and
 * the same bytes (and, on demand, the same gzip bytes) go to every waiter.
 * Results are reference counted so an HTTP response can keep its bytes
 * while the next collection already runs.
 */
#ifndef KVMMEM_SCRAPE_H
#define KVMMEM_SCRAPE_H

#include <stddef.h>

#include "collect.h"
#include "emit.h"
#include "log.h"

struct scrape;
struct scrape_result;

/*
 * Makes the sharing point.  collector, build (and its strings) and log are
 * borrowed and must outlive it.  max_body caps one exposition.  NULL when
 * out of memory.
 */
struct scrape *scrape_new(struct collector *collector, const struct build_labels *build, size_t max_body,
                          const struct kvm_log *log);
/* Frees; no scrape_get() may be running.  Results still held stay valid. */
void scrape_free(struct scrape *s);

/*
 * Joins the running collection or starts one, and returns its result with
 * a reference the caller drops with scrape_result_put().  Returns 0, or
 * -ENOMEM when no result could be made at all.
 */
int scrape_get(struct scrape *s, struct scrape_result **out);

/* Drops a reference; NULL is fine. */
void scrape_result_put(struct scrape_result *r);

/*
 * The rendered exposition.  Returns 0 and the bytes (owned by r), or the
 * negative errno that made rendering fail (-E2BIG over the cap, -ENOMEM):
 * then there is no body to serve.
 */
int scrape_result_body(struct scrape_result *r, const char **data, size_t *len);

/* What collector_collect() returned: 0, or -EIO when nothing was collected. */
int scrape_result_collect_status(const struct scrape_result *r);

/*
 * The exposition gzip-compressed, made on first use and kept with r.
 * Returns 0 and the bytes (owned by r), or a negative errno.
 */
int scrape_result_gzip(struct scrape_result *r, const char **data, size_t *len);

#endif
