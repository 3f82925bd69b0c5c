/* http_work.c - the HTTP server's collection workers and password check threads, and their queues. */
#include "http_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/errbuf.h"

/* A request refused for too many waiting checks waits this long for its
 * 429, so a flood is not answered faster than it would be checked. */
#define THROTTLE_MS 1000

uint64_t http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void http_wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static void push(struct queue *q, struct req *r)
{
	r->next = NULL;
	if (q->tail != NULL)
		q->tail->next = r;
	else
		q->head = r;
	q->tail = r;
}

static struct req *pop(struct queue *q)
{
	struct req *r = q->head;

	if (r != NULL) {
		q->head = r->next;
		if (q->head == NULL)
			q->tail = NULL;
		r->next = NULL;
	}
	return r;
}

/* The first check whose wait is over, taken off the queue; else NULL and
 * *next the earliest time one is due (0: the queue is empty).  Under lock. */
static struct req *take_due(struct queue *q, uint64_t now, uint64_t *next)
{
	struct req **pp = &q->head, *prev = NULL;

	*next = 0;
	for (struct req *r = q->head; r != NULL; prev = r, pp = &r->next, r = r->next) {
		if (r->not_before <= now) {
			*pp = r->next;
			if (q->tail == r)
				q->tail = prev;
			r->next = NULL;
			return r;
		}
		if (*next == 0 || r->not_before < *next)
			*next = r->not_before;
	}
	return NULL;
}

/* Hands r back to its connection with what was done.  Under lock. */
static void finish_locked(struct req *r)
{
	r->phase = PH_DONE;
	MHD_resume_connection(r->conn);
}

/* crypt_r's state for one worker, or NULL: auth_verify then fails closed.
 * The failure is logged once per worker (*logged), not once per request,
 * and the caller asks again at the next check, so the worker recovers
 * when memory does. */
static struct crypt_data *crypt_state_new(const struct http *h, bool *logged)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));

	if (cd == NULL && !*logged) {
		log_errx(h->log,
		         "basic auth: cannot allocate the bcrypt state (%zu bytes): password checks on this worker "
		         "fail until memory is available",
		         sizeof(*cd));
		*logged = true;
	}
	return cd;
}

/* Collections run here, never on the event loop: a slow libvirt must not
 * hold up other connections. */
static void *worker_main(void *arg)
{
	struct http *h = arg;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (h->work.head == NULL && !h->stopping)
			pthread_cond_wait(&h->cond, &h->lock);
		/* Stopping: what is still queued is answered by stop_workers. */
		if (h->stopping)
			break;
		struct req *r = pop(&h->work);
		pthread_mutex_unlock(&h->lock);
		r->scrape_rc = scrape_get(h->scrape, &r->res);
		if (r->scrape_rc == 0) {
			/* Rendering (and compressing) a large host takes a while:
			 * here, not on the event loop that serve_metrics runs on,
			 * which then finds the form already made. */
			scrape_result_prepare(r->res, r->gzip);
			/* Slow readers of older collections let go of their
			 * bodies: two collections' bodies at most are sent. */
			uint64_t g = scrape_result_generation(r->res);
			if (g > 1)
				conns_cut_older(h->conns, g - 1);
		}
		pthread_mutex_lock(&h->lock);
		finish_locked(r);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* bcrypt runs here, on threads of its own: checks of unknown credentials
 * never wait in front of a collection, and take CHECK_THREADS cores at most. */
static void *checker_main(void *arg)
{
	struct http *h = arg;
	/* crypt_r's state is large (tens of kB): one per thread, made at its
	 * first password check and kept. */
	struct crypt_data *cd = NULL;
	bool cd_logged = false;

	pthread_mutex_lock(&h->lock);
	while (!h->stopping) {
		uint64_t next;
		struct req *r = take_due(&h->check, http_now_ms(), &next);
		if (r == NULL) {
			if (next == 0) {
				pthread_cond_wait(&h->checks, &h->lock);
			} else {
				struct timespec ts = {.tv_sec = (time_t)(next / 1000),
				                      .tv_nsec = (long)(next % 1000) * 1000000L};
				(void)pthread_cond_timedwait(&h->checks, &h->lock, &ts);
			}
			continue;
		}
		if (r->throttled) {
			finish_locked(r);
			continue;
		}
		pthread_mutex_unlock(&h->lock);
		if (cd == NULL)
			cd = crypt_state_new(h, &cd_logged);
		r->authed = auth_verify(h->auth, r->user, r->pass, cd);
		auth_done(h->auth, &r->key, r->authed);
		http_wipe_free(r->pass);
		r->pass = NULL;
		pthread_mutex_lock(&h->lock);
		if (r->authed && r->metrics && !h->stopping) {
			push(&h->work, r);
			pthread_cond_signal(&h->cond);
		} else {
			r->stopped = r->authed && r->metrics;
			finish_locked(r);
		}
	}
	pthread_mutex_unlock(&h->lock);
	free(cd);
	return NULL;
}

/* Suspends the connection and queues r: for a check when it needs one
 * (or, when too many checks wait for its address or in all, for a 429
 * after THROTTLE_MS), else for a collection.  -ESHUTDOWN when stopping. */
int http_enqueue(struct http *h, struct req *r)
{
	unsigned delay = 0;

	if (r->need_verify && auth_admit(h->auth, &r->key, &delay) != 0) {
		r->throttled = true;
		delay = THROTTLE_MS;
	}
	pthread_mutex_lock(&h->lock);
	if (h->stopping) {
		pthread_mutex_unlock(&h->lock);
		if (r->need_verify && !r->throttled)
			auth_done(h->auth, &r->key, false);
		return -ESHUTDOWN;
	}
	r->phase = PH_QUEUED;
	/* Suspended before a worker can see it, so its resume never comes first. */
	MHD_suspend_connection(r->conn);
	if (r->need_verify) {
		r->not_before = http_now_ms() + delay;
		push(&h->check, r);
		pthread_cond_broadcast(&h->checks);
	} else {
		push(&h->work, r);
		pthread_cond_signal(&h->cond);
	}
	pthread_mutex_unlock(&h->lock);
	return 0;
}

/* Stops the workers and check threads.  What is still queued is answered
 * 503 at once, without a check or a collection: SIGTERM must not wait for
 * hundreds of bcrypt runs.  Work already running finishes. */
void http_stop_workers(struct http *h)
{
	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	for (struct req *r; (r = pop(&h->check)) != NULL;) {
		if (!r->throttled)
			auth_done(h->auth, &r->key, false);
		r->stopped = true;
		finish_locked(r);
	}
	for (struct req *r; (r = pop(&h->work)) != NULL;) {
		r->stopped = true;
		finish_locked(r);
	}
	pthread_cond_broadcast(&h->cond);
	pthread_cond_broadcast(&h->checks);
	pthread_mutex_unlock(&h->lock);
	for (unsigned i = 0; i < h->nworkers; i++)
		pthread_join(h->workers[i], NULL);
	for (unsigned i = 0; i < h->ncheckers; i++)
		pthread_join(h->checkers[i], NULL);
	h->nworkers = 0;
	h->ncheckers = 0;
}

int http_start_threads(struct http *h, unsigned nworkers, char *err, size_t errsz)
{
	int rc = 0;

	for (unsigned i = 0; i < nworkers && rc == 0; i++) {
		rc = -pthread_create(&h->workers[i], NULL, worker_main, h);
		if (rc == 0)
			h->nworkers++;
	}
	for (unsigned i = 0; i < CHECK_THREADS && h->auth != NULL && rc == 0; i++) {
		rc = -pthread_create(&h->checkers[i], NULL, checker_main, h);
		if (rc == 0)
			h->ncheckers++;
	}
	if (rc != 0) {
		http_stop_workers(h);
		return errbuf_fail(err, errsz, rc, "cannot start HTTP worker threads: %s", strerrordesc_np(-rc));
	}
	return 0;
}
