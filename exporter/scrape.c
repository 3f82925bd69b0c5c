/* scrape.c - one collection at a time, its result shared by every waiter and rendered on demand. */
#include "scrape.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "util/buf.h"
#include "util/clock.h"
#include "encoding.h"
#include "exposition.h"
#include "model/snapshot.h"

/* One form of the document (plain or gzip), made by the first request that
 * wants it, under its own lock. */
struct form {
	pthread_mutex_t lock;
	bool done;
	int rc;
	char *data;
	size_t len;
};

struct scrape_result {
	int refs;         /* changed with __atomic builtins */
	struct scrape *s; /* a reference: the cap, build labels, log and size hints */
	int collect_rc;
	uint64_t generation; /* the collection's number, from 1 */
	double done_at;      /* when the collection finished, monotonic seconds */
	/* What both forms are rendered from, read-only once collected.  It is
	 * a fraction of the text's size, so it is kept instead of the text. */
	struct snapshot snap;
	/* Set (atomically) when one form found the document past the cap: the
	 * other form then fails the same way without rendering. */
	bool too_big;

	/* A plain and a gzip request for one result can render at the same
	 * time: both only read snap. */
	struct form plain;
	struct form gz;
};

struct scrape {
	/* One for the owner, one per result: results render after
	 * scrape_get() returned and read the settings below.  Changed with
	 * __atomic builtins. */
	int refs;
	pthread_mutex_t lock;
	pthread_cond_t done;
	bool running;
	uint64_t generation; /* bumped when a collection finishes */
	unsigned waiters;    /* requests waiting for the running collection */
	/* The finished collection, one reference held, only while waiters
	 * still have to pick it up: a large host's snapshot is megabytes, and
	 * nothing else reads it between scrapes. */
	struct scrape_result *latest;
	/* The newest result while anybody still holds it, without a reference
	 * of its own (the last scrape_result_put() clears it under lock): it
	 * is handed to new requests for reuse_s after it was collected, so
	 * responses that wait on slow readers share its bodies instead of
	 * each holding another collection's. */
	struct scrape_result *recent;
	double reuse_s;
	/* Lengths of the last plain and gzip documents, to size the next
	 * ones' buffers; read and written with __atomic builtins, by whichever
	 * result rendered last. */
	size_t last_len;
	size_t last_gz_len;

	struct collection *collector;
	scrape_observer_fn observe; /* NULL: nobody watches */
	void *observe_ctx;
	const struct build_labels *build;
	size_t max_body;
	const struct kvm_log *log;
};

static void scrape_unref(struct scrape *s)
{
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	pthread_cond_destroy(&s->done);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static struct scrape_result *result_new(struct scrape *s)
{
	struct scrape_result *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	if (pthread_mutex_init(&r->plain.lock, NULL) != 0)
		goto fail_free;
	if (pthread_mutex_init(&r->gz.lock, NULL) != 0)
		goto fail_plain_lock;
	snapshot_init(&r->snap);
	r->refs = 1;
	r->s = s;
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return r;

fail_plain_lock:
	pthread_mutex_destroy(&r->plain.lock);
fail_free:
	free(r);
	return NULL;
}

static struct scrape_result *result_get(struct scrape_result *r)
{
	if (r != NULL)
		__atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
	return r;
}

/* A reference to r unless its last one is being dropped right now.  Under s->lock. */
static struct scrape_result *result_get_unless_zero(struct scrape_result *r)
{
	int n = r != NULL ? __atomic_load_n(&r->refs, __ATOMIC_RELAXED) : 0;

	while (n > 0 && !__atomic_compare_exchange_n(&r->refs, &n, n + 1, true, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		;
	return n > 0 ? r : NULL;
}

void scrape_result_put(struct scrape_result *r)
{
	if (r == NULL || __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	pthread_mutex_lock(&r->s->lock);
	if (r->s->recent == r)
		r->s->recent = NULL;
	pthread_mutex_unlock(&r->s->lock);
	pthread_mutex_destroy(&r->gz.lock);
	pthread_mutex_destroy(&r->plain.lock);
	free(r->gz.data);
	free(r->plain.data);
	snapshot_clear(&r->snap);
	scrape_unref(r->s);
	free(r);
}

/* Records how a rendering went: the size hint on success, the cap for the
 * other form on -E2BIG, a log line on failure. */
static void rendered(struct scrape_result *r, const char *form, int rc, size_t plain_len, size_t len, double t0)
{
	struct scrape *s = r->s;

	if (rc == 0) {
		__atomic_store_n(&s->last_len, plain_len, __ATOMIC_RELAXED);
		log_debug(s->log, "%s exposition rendered in %.3f s, %zu bytes (%zu plain)", form,
		          clock_mono_seconds() - t0, len, plain_len);
		return;
	}
	if (rc == -E2BIG)
		__atomic_store_n(&r->too_big, true, __ATOMIC_RELAXED);
	log_warnerr(s->log, rc, "cannot render the %s exposition (cap %zu bytes)", form, s->max_body);
}

/* The plain text in one buffer.  Called once, under plain.lock. */
static int render_plain(struct scrape_result *r)
{
	struct scrape *s = r->s;
	size_t last = __atomic_load_n(&s->last_len, __ATOMIC_RELAXED);
	double t0 = clock_mono_seconds();
	struct buf b;
	int rc;

	if (__atomic_load_n(&r->too_big, __ATOMIC_RELAXED))
		return -E2BIG;
	buf_init(&b, s->max_body);
	/* Room for the previous body and an eighth more: a body of megabytes
	 * is then not grown by doubling from nothing. */
	if (last != 0)
		buf_presize(&b, last + last / 8);
	rc = exposition_render(&r->snap, s->build, &b);
	if (rc == 0) {
		r->plain.data = buf_steal(&b, &r->plain.len);
		if (r->plain.data == NULL)
			rc = -ENOMEM;
	}
	buf_free(&b);
	rendered(r, "plain", rc, r->plain.len, r->plain.len, t0);
	return rc;
}

static int gz_write(void *ctx, const char *data, size_t len)
{
	return gzip_stream_write(ctx, data, len);
}

/* The text rendered straight into the compressor, a piece at a time: the
 * plain text is never whole in memory.  Called once, under gz.lock. */
static int render_gzip(struct scrape_result *r)
{
	struct scrape *s = r->s;
	size_t last = __atomic_load_n(&s->last_gz_len, __ATOMIC_RELAXED);
	double t0 = clock_mono_seconds();
	struct gzip_stream *g;
	size_t plain = 0;
	int rc;

	if (__atomic_load_n(&r->too_big, __ATOMIC_RELAXED))
		return -E2BIG;
	g = gzip_stream_new(last + last / 8);
	if (g == NULL)
		return -ENOMEM;
	rc = exposition_stream(&r->snap, s->build, s->max_body, gz_write, g, &plain);
	if (rc == 0)
		rc = gzip_stream_finish(g, &r->gz.data, &r->gz.len);
	gzip_stream_free(g);
	if (rc == 0)
		__atomic_store_n(&s->last_gz_len, r->gz.len, __ATOMIC_RELAXED);
	rendered(r, "gzip", rc, plain, r->gz.len, t0);
	return rc;
}

/* Makes f with render on first use; hands out its bytes or its error. */
static int form_get(struct scrape_result *r, struct form *f, int (*render)(struct scrape_result *), const char **data,
                    size_t *len)
{
	int rc;

	pthread_mutex_lock(&f->lock);
	if (!f->done) {
		f->rc = render(r);
		f->done = true;
	}
	rc = f->rc;
	if (rc == 0) {
		*data = f->data;
		*len = f->len;
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int scrape_result_body(struct scrape_result *r, const char **data, size_t *len)
{
	return form_get(r, &r->plain, render_plain, data, len);
}

int scrape_result_collect_status(const struct scrape_result *r)
{
	return r->collect_rc;
}

int scrape_result_gzip(struct scrape_result *r, const char **data, size_t *len)
{
	return form_get(r, &r->gz, render_gzip, data, len);
}

/* Collects outside the lock; rendering waits for the first request that
 * wants a form.  NULL only when out of memory. */
static struct scrape_result *run_collection(struct scrape *s)
{
	struct scrape_result *r = result_new(s);
	double t0 = clock_mono_seconds();

	if (r == NULL)
		return NULL;
	r->collect_rc = collection_run(s->collector, &r->snap);
	r->done_at = clock_mono_seconds();
	/* Still running: only this thread bumps the generation, so the next
	 * number is known without the lock, and observers never overlap. */
	if (s->observe != NULL)
		s->observe(s->observe_ctx, &r->snap, r->collect_rc, s->generation + 1);
	log_debug(s->log, "collection took %.3f s, %zu domains, status %d", clock_mono_seconds() - t0, r->snap.ndoms,
	          r->collect_rc);
	return r;
}

int scrape_get(struct scrape *s, struct scrape_result **out)
{
	struct scrape_result *r, *drop = NULL;

	pthread_mutex_lock(&s->lock);
	if (!s->running && s->recent != NULL && clock_mono_seconds() - s->recent->done_at < s->reuse_s) {
		r = result_get_unless_zero(s->recent);
		if (r != NULL) {
			pthread_mutex_unlock(&s->lock);
			*out = r;
			return 0;
		}
	}
	if (s->running) {
		uint64_t gen = s->generation;
		s->waiters++;
		while (s->generation == gen)
			pthread_cond_wait(&s->done, &s->lock);
		r = result_get(s->latest);
		/* The last one to pick it up lets go of it. */
		if (--s->waiters == 0) {
			drop = s->latest;
			s->latest = NULL;
		}
		pthread_mutex_unlock(&s->lock);
	} else {
		s->running = true;
		pthread_mutex_unlock(&s->lock);
		struct scrape_result *fresh = run_collection(s);
		pthread_mutex_lock(&s->lock);
		drop = s->latest;
		s->latest = NULL;
		if (s->waiters > 0)
			s->latest = result_get(fresh);
		s->generation++;
		if (fresh != NULL) {
			fresh->generation = s->generation;
			s->recent = fresh;
		}
		s->running = false;
		r = fresh;
		pthread_cond_broadcast(&s->done);
		pthread_mutex_unlock(&s->lock);
	}
	/* Outside the lock: the last put takes it to forget a recent result. */
	scrape_result_put(drop);
	if (r == NULL)
		return -ENOMEM;
	*out = r;
	return 0;
}

struct scrape *scrape_new(struct collection *collector, const struct build_labels *build, size_t max_body,
                          const struct kvm_log *log)
{
	struct scrape *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	if (pthread_mutex_init(&s->lock, NULL) != 0)
		goto fail_free;
	if (pthread_cond_init(&s->done, NULL) != 0)
		goto fail_mutex;
	s->refs = 1;
	s->collector = collector;
	s->build = build;
	s->max_body = max_body;
	s->log = log;
	return s;

fail_mutex:
	pthread_mutex_destroy(&s->lock);
fail_free:
	free(s);
	return NULL;
}

void scrape_free(struct scrape *s)
{
	if (s == NULL)
		return;
	scrape_result_put(s->latest);
	s->latest = NULL;
	/* Results still held keep the rest until they are dropped. */
	scrape_unref(s);
}

void scrape_result_prepare(struct scrape_result *r, bool gzip)
{
	const char *data;
	size_t len;
	int rc = gzip ? scrape_result_gzip(r, &data, &len) : -ENOENT;
	if (rc != 0 && rc != -E2BIG)
		(void)scrape_result_body(r, &data, &len);
}

void scrape_set_reuse(struct scrape *s, unsigned ms)
{
	pthread_mutex_lock(&s->lock);
	s->reuse_s = ms / 1000.0;
	pthread_mutex_unlock(&s->lock);
}

uint64_t scrape_result_generation(const struct scrape_result *r)
{
	return r->generation;
}

void scrape_set_observer(struct scrape *s, scrape_observer_fn fn, void *ctx)
{
	s->observe = fn;
	s->observe_ctx = ctx;
}
