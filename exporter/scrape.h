/*
 * scrape.h - one collection shared by concurrent scrapes.
 *
 * A collector runs one collection at a time.  When a request arrives while
 * a collection is running, it waits for that collection and is served its
 * result instead of starting another.  A result keeps the collected
 * snapshot and renders each form (plain, gzip) once, on first use; the
 * same bytes go to every waiter that asks for that form.  The gzip form is
 * rendered straight into the compressor, so a gzip scrape never holds the
 * whole plain text.  Results are reference counted so an HTTP response can
 * keep its bytes while the next collection already runs.
 */
#ifndef KVMMEM_SCRAPE_H
#define KVMMEM_SCRAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/collect.h"
#include "model/emit.h"
#include "util/log.h"

struct scrape;
struct scrape_result;
struct snapshot;

/*
 * Makes the sharing point.  collector is borrowed and must outlive it;
 * build (and its strings) and log are borrowed and must outlive it and
 * every result it hands out (results render with them).  max_body caps one
 * exposition's plain text, in either form.  NULL when out of memory.
 */
struct scrape *scrape_new(struct collection *collector, const struct build_labels *build, size_t max_body,
                          const struct kvm_log *log);
/* Frees; no scrape_get() may be running.  Results still held stay valid
 * (see scrape_new() for what they still need). */
void scrape_free(struct scrape *s);

/*
 * Joins the running collection or starts one, and returns its result with
 * a reference the caller drops with scrape_result_put().  Returns 0, or
 * -ENOMEM when no result could be made at all.
 */
int scrape_get(struct scrape *s, struct scrape_result **out);

/*
 * A result collected less than ms ago is handed to new requests instead of
 * collecting again, as long as some response still holds it: then
 * responses waiting on slow readers share its bodies, whatever the number
 * of readers.  0 (the default) turns this off.
 */
void scrape_set_reuse(struct scrape *s, unsigned ms);

/*
 * Has fn(ctx, snapshot, collect_rc, generation) called after every
 * collection, on the collecting thread, before any request is served its
 * result; calls never overlap, since collections do not.  The snapshot is
 * borrowed for the call only.  Set before the first scrape_get().
 */
typedef void (*scrape_observer_fn)(void *ctx, const struct snapshot *snap, int collect_rc, uint64_t generation);
void scrape_set_observer(struct scrape *s, scrape_observer_fn fn, void *ctx);

/* The number of the collection r comes from: 1, 2, ... in the order they finished. */
uint64_t scrape_result_generation(const struct scrape_result *r);

/* Drops a reference; NULL is fine. */
void scrape_result_put(struct scrape_result *r);

/*
 * The exposition as plain text, rendered on first use and kept with r;
 * safe to call from several threads.  Returns 0 and the bytes (owned by
 * r), or the negative errno that made rendering fail (-E2BIG over the cap,
 * -ENOMEM): then there is no body to serve.
 */
int scrape_result_body(struct scrape_result *r, const char **data, size_t *len);

/* What collection_run() returned: 0, or -EIO when nothing was collected. */
int scrape_result_collect_status(const struct scrape_result *r);

/*
 * The exposition gzip-compressed (one gzip member that decompresses to
 * exactly the bytes scrape_result_body() gives), rendered on first use
 * and kept with r; safe to call from several threads, also alongside
 * scrape_result_body().  Returns 0 and the bytes (owned by r), or a
 * negative errno: -E2BIG when the plain text is over the cap (then
 * scrape_result_body() fails the same way), -ENOMEM or -EIO; then there is
 * no gzip body to serve.
 */
int scrape_result_gzip(struct scrape_result *r, const char **data, size_t *len);

/*
 * Makes, ahead of serving, the form a client will be served: the gzip form
 * when gzip is true, and the plain text when it is false or gzip failed
 * for another reason than the cap.  Rendering a large host takes a while,
 * so an HTTP server calls this off its event loop; the later
 * scrape_result_gzip/body calls then only hand out what was made.
 */
void scrape_result_prepare(struct scrape_result *r, bool gzip);

#endif
