/* scrape.c - one collection at a time, its rendered result shared by every waiter. */
#include "scrape.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "buf.h"
#include "encoding.h"
#include "exposition.h"
#include "snapshot.h"

struct scrape_result {
	int refs; /* changed with __atomic builtins */
	int collect_rc;
	int render_rc;
	char *body;
	size_t len;

	/* The gzip body is made by the first request that wants it. */
	pthread_mutex_t gz_lock;
	bool gz_done;
	int gz_rc;
	char *gz;
	size_t gz_len;
};

struct scrape {
	pthread_mutex_t lock;
	pthread_cond_t done;
	bool running;
	uint64_t generation; /* bumped when a collection finishes */
	unsigned waiters;    /* requests waiting for the running collection */
	/* The finished collection, one reference held, only while waiters
	 * still have to pick it up: a large host's body is megabytes, and
	 * nothing else reads it between scrapes. */
	struct scrape_result *latest;
	size_t last_len; /* length of the last body, to size the next one's buffer */

	struct collector *collector;
	const struct build_labels *build;
	size_t max_body;
	const struct kvm_log *log;
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct scrape_result *result_new(void)
{
	struct scrape_result *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	if (pthread_mutex_init(&r->gz_lock, NULL) != 0) {
		free(r);
		return NULL;
	}
	r->refs = 1;
	return r;
}

static struct scrape_result *result_get(struct scrape_result *r)
{
	if (r != NULL)
		__atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
	return r;
}

void scrape_result_put(struct scrape_result *r)
{
	if (r == NULL || __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	pthread_mutex_destroy(&r->gz_lock);
	free(r->gz);
	free(r->body);
	free(r);
}

int scrape_result_body(struct scrape_result *r, const char **data, size_t *len)
{
	if (r->render_rc != 0)
		return r->render_rc;
	*data = r->body;
	*len = r->len;
	return 0;
}

int scrape_result_collect_status(const struct scrape_result *r)
{
	return r->collect_rc;
}

int scrape_result_gzip(struct scrape_result *r, const char **data, size_t *len)
{
	int rc;

	if (r->render_rc != 0)
		return r->render_rc;
	pthread_mutex_lock(&r->gz_lock);
	if (!r->gz_done) {
		r->gz_rc = encoding_gzip(r->body, r->len, &r->gz, &r->gz_len);
		r->gz_done = true;
	}
	rc = r->gz_rc;
	if (rc == 0) {
		*data = r->gz;
		*len = r->gz_len;
	}
	pthread_mutex_unlock(&r->gz_lock);
	return rc;
}

/* Collects and renders outside the lock; NULL only when out of memory. */
static struct scrape_result *run_collection(struct scrape *s)
{
	struct scrape_result *r = result_new();
	struct snapshot snap;
	struct buf b;
	double t0 = now_seconds();

	if (r == NULL)
		return NULL;
	snapshot_init(&snap);
	r->collect_rc = collector_collect(s->collector, &snap);
	buf_init(&b, s->max_body);
	/* Room for the previous body and an eighth more: a body of megabytes
	 * is then not grown by doubling from nothing. */
	if (s->last_len != 0)
		buf_presize(&b, s->last_len + s->last_len / 8);
	r->render_rc = exposition_render(&snap, s->build, &b);
	snapshot_clear(&snap);
	if (r->render_rc == 0) {
		r->body = buf_steal(&b, &r->len);
		if (r->body == NULL)
			r->render_rc = -ENOMEM;
	}
	buf_free(&b);
	if (r->render_rc != 0)
		log_warnerr(s->log, r->render_rc, "cannot render the exposition (cap %zu bytes)", s->max_body);
	else
		log_debug(s->log, "collection took %.3f s, %zu bytes, status %d", now_seconds() - t0, r->len,
		          r->collect_rc);
	return r;
}

int scrape_get(struct scrape *s, struct scrape_result **out)
{
	struct scrape_result *r;

	pthread_mutex_lock(&s->lock);
	if (s->running) {
		uint64_t gen = s->generation;
		s->waiters++;
		while (s->generation == gen)
			pthread_cond_wait(&s->done, &s->lock);
		r = result_get(s->latest);
		/* The last one to pick it up lets go of it. */
		if (--s->waiters == 0) {
			scrape_result_put(s->latest);
			s->latest = NULL;
		}
		pthread_mutex_unlock(&s->lock);
	} else {
		s->running = true;
		pthread_mutex_unlock(&s->lock);
		struct scrape_result *fresh = run_collection(s);
		pthread_mutex_lock(&s->lock);
		scrape_result_put(s->latest);
		s->latest = NULL;
		if (fresh != NULL && fresh->render_rc == 0)
			s->last_len = fresh->len;
		if (s->waiters > 0)
			s->latest = result_get(fresh);
		s->generation++;
		s->running = false;
		r = fresh;
		pthread_cond_broadcast(&s->done);
		pthread_mutex_unlock(&s->lock);
	}
	if (r == NULL)
		return -ENOMEM;
	*out = r;
	return 0;
}

struct scrape *scrape_new(struct collector *collector, const struct build_labels *build, size_t max_body,
                          const struct kvm_log *log)
{
	struct scrape *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	if (pthread_mutex_init(&s->lock, NULL) != 0)
		goto fail_free;
	if (pthread_cond_init(&s->done, NULL) != 0)
		goto fail_mutex;
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
	pthread_cond_destroy(&s->done);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
