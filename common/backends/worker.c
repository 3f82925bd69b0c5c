/*
 * worker.c - the hang-proof worker: requests, deadlines, workers left
 * behind.
 *
 * A worker is a thread plus the backend's state for it (its connection).
 * The caller posts a request (req_gen) and waits for done_gen to reach it;
 * waiting_gen says which answer somebody still wants, so an answer that
 * comes after its deadline is dropped instead of served to the next call.
 * An abandoned worker finishes its call alone and frees itself; what it
 * shares with the pool after the pool is gone (the count of abandoned
 * workers) lives in struct worker_shared, reference counted.
 */
#include "backends/worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

struct worker_shared {
	pthread_mutex_t lock;
	unsigned refs;
	int abandoned; /* abandoned workers whose thread still runs */
};

struct worker {
	struct worker_shared *sh; /* one reference */
	const struct worker_ops *ops;
	void *state;
	pthread_t thread;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* Under lock. */
	bool quit, done;
	bool pending, busy;
	bool opening;
	unsigned long req_gen, waiting_gen, done_gen;
	int result_rc;
	struct snapshot result;
	/* Atomic: read by the worker's ops without the lock. */
	int abandoned;
};

struct worker_pool {
	const struct worker_ops *ops;
	void *ctx;
	struct worker_limits lim;
	struct worker_shared *sh; /* one reference */
	pthread_mutex_t lock;     /* one call at a time; guards w and last_ok_ms */
	struct worker *w;         /* NULL until the first call, or after abandoning */
	double last_ok_ms;        /* how long the last good call took; 0 before one */
};

static void shared_unref(struct worker_shared *sh)
{
	pthread_mutex_lock(&sh->lock);
	bool last = --sh->refs == 0;
	pthread_mutex_unlock(&sh->lock);
	if (!last)
		return;
	pthread_mutex_destroy(&sh->lock);
	free(sh);
}

static int shared_abandoned(struct worker_shared *sh)
{
	pthread_mutex_lock(&sh->lock);
	int n = sh->abandoned;
	pthread_mutex_unlock(&sh->lock);
	return n;
}

static void shared_add_abandoned(struct worker_shared *sh, int d)
{
	pthread_mutex_lock(&sh->lock);
	sh->abandoned += d;
	pthread_mutex_unlock(&sh->lock);
}

bool worker_abandoned(const struct worker *w)
{
	return __atomic_load_n(&w->abandoned, __ATOMIC_ACQUIRE) != 0;
}

void worker_set_opening(struct worker *w, bool opening)
{
	pthread_mutex_lock(&w->lock);
	w->opening = opening;
	pthread_mutex_unlock(&w->lock);
}

int worker_rescue_ms(int timeout_ms, double last_ok_ms, int rescue_min_ms)
{
	if (last_ok_ms <= 0)
		return -1;
	int floor_ms = timeout_ms / 4 < rescue_min_ms ? timeout_ms / 4 : rescue_min_ms;
	/* Compared as doubles: a last call of days must not overflow an int. */
	double four = last_ok_ms * 4;
	if (four > (double)timeout_ms / 2)
		return -1;
	int rescue_ms = four > floor_ms ? (int)four : floor_ms;
	return rescue_ms <= timeout_ms / 2 ? rescue_ms : -1;
}

/* --- one worker ------------------------------------------------------------ */

static void worker_destroy(struct worker *w)
{
	snapshot_clear(&w->result);
	if (w->state)
		w->ops->release(w->state);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	shared_unref(w->sh);
	free(w);
}

/* Waits for a request, running the idle op when one is due.  Under lock;
 * returns false when the worker is to quit. */
static bool wait_request(struct worker *w)
{
	while (!w->pending && !w->quit) {
		int ms = w->ops->idle_ms ? w->ops->idle_ms(w->state) : -1;
		if (ms < 0) {
			pthread_cond_wait(&w->cond, &w->lock);
			continue;
		}
		struct timespec until = clock_deadline_after(ms);
		if (pthread_cond_timedwait(&w->cond, &w->lock, &until) == ETIMEDOUT && !w->pending && !w->quit &&
		    w->ops->idle) {
			pthread_mutex_unlock(&w->lock);
			w->ops->idle(w->state);
			pthread_mutex_lock(&w->lock);
		}
	}
	return !w->quit;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_mutex_lock(&w->lock);
	while (wait_request(w)) {
		w->pending = false;
		w->busy = true;
		unsigned long gen = w->req_gen;
		pthread_mutex_unlock(&w->lock);

		struct snapshot tmp;
		snapshot_init(&tmp);
		int rc = w->ops->run(w->state, w, &tmp);

		pthread_mutex_lock(&w->lock);
		w->busy = false;
		if (!worker_abandoned(w) && w->waiting_gen == gen) {
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

	/* On a daemon that stopped answering this may block too; the worker
	 * is then abandoned and still counted as such. */
	w->ops->stop(w->state);

	pthread_mutex_lock(&w->lock);
	w->done = true;
	bool left = worker_abandoned(w);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	/* Once abandoned, nobody else touches w: the thread frees it. */
	if (left) {
		shared_add_abandoned(w->sh, -1);
		worker_destroy(w);
	}
	return NULL;
}

/* Starts a worker as p->w.  0 or a negative errno; then p->w is NULL and
 * the backend has been told. */
static int worker_start(struct worker_pool *p, bool replacement)
{
	struct worker *w = calloc(1, sizeof(*w));
	int rc = -ENOMEM;
	p->w = NULL;
	if (!w)
		goto fail;
	w->ops = p->ops;
	rc = -pthread_mutex_init(&w->lock, NULL);
	if (rc != 0) {
		free(w);
		goto fail;
	}
	/* A condition that fell back to the wall clock would read every
	 * monotonic deadline as long past: no worker rather than that. */
	rc = clock_cond_init(&w->cond);
	if (rc != 0) {
		pthread_mutex_destroy(&w->lock);
		free(w);
		goto fail;
	}
	snapshot_init(&w->result);
	pthread_mutex_lock(&p->sh->lock);
	p->sh->refs++;
	pthread_mutex_unlock(&p->sh->lock);
	w->sh = p->sh;
	w->state = p->ops->start(p->ctx, replacement);
	rc = w->state ? -pthread_create(&w->thread, NULL, worker_main, w) : -ENOMEM;
	if (rc != 0) {
		worker_destroy(w);
		goto fail;
	}
	p->w = w;
	return 0;
fail:
	if (p->ops->news)
		p->ops->news(p->ctx, WORKER_NO_THREAD, rc);
	return rc;
}

/* Leaves w to finish its call alone; it frees itself.  Called with
 * w->lock held and w not done; w must not be touched afterwards. */
static void abandon_locked(struct worker *w)
{
	pthread_t t = w->thread;
	w->quit = true;
	/* Counted before the worker can see abandoned and count down. */
	shared_add_abandoned(w->sh, 1);
	__atomic_store_n(&w->abandoned, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_detach(t);
}

/* Stops w: joins it when it ends within wait_ms, else abandons it. */
static void worker_stop(struct worker *w, int wait_ms)
{
	struct timespec until = clock_deadline_after(wait_ms);
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

/* --- the pool -------------------------------------------------------------- */

struct worker_pool *worker_pool_new(const struct worker_ops *ops, void *ctx, const struct worker_limits *lim)
{
	struct worker_pool *p = calloc(1, sizeof(*p));
	struct worker_shared *sh = calloc(1, sizeof(*sh));
	if (!p || !sh)
		goto fail;
	if (pthread_mutex_init(&sh->lock, NULL) != 0)
		goto fail;
	if (pthread_mutex_init(&p->lock, NULL) != 0) {
		pthread_mutex_destroy(&sh->lock);
		goto fail;
	}
	sh->refs = 1;
	p->sh = sh;
	p->ops = ops;
	p->ctx = ctx;
	p->lim = *lim;
	return p;
fail:
	free(sh);
	free(p);
	return NULL;
}

void worker_pool_free(struct worker_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->w)
		worker_stop(p->w, p->lim.free_wait_ms);
	p->w = NULL;
	pthread_mutex_unlock(&p->lock);
	shared_unref(p->sh);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Under w->lock: may a busy w be left behind for a fresh worker?  Not
 * while it opens its connection, nor beyond max_abandoned.  Only
 * worker_pool_call (under the pool's lock) raises the count, so the answer
 * cannot turn from yes to no before the caller acts on it. */
static bool replaceable(struct worker_pool *p, struct worker *w)
{
	return !w->opening && shared_abandoned(p->sh) < p->lim.max_abandoned;
}

/* Under the pool's lock.  Makes sure an idle worker is there, replacing
 * one stuck in a request of an earlier call.  Returns 0, -ETIMEDOUT when
 * no worker can take the request now, or why none could start. */
static int idle_worker(struct worker_pool *p)
{
	struct worker *w = p->w;
	if (!w)
		return worker_start(p, false);
	pthread_mutex_lock(&w->lock);
	if (!w->busy && !w->pending) {
		pthread_mutex_unlock(&w->lock);
		return 0;
	}
	if (!replaceable(p, w)) {
		bool opening = w->opening;
		pthread_mutex_unlock(&w->lock);
		if (!opening && p->ops->news)
			p->ops->news(p->ctx, WORKER_TOO_MANY, 0);
		return -ETIMEDOUT;
	}
	abandon_locked(w);
	if (p->ops->news)
		p->ops->news(p->ctx, WORKER_REPLACED, 0);
	return worker_start(p, true);
}

/* How one call waits: until the deadline, and with rescue, at the rescue
 * time already when the worker can be replaced (then stuck is set). */
struct wait_plan {
	const struct timespec *rescue;
	struct timespec until;
	bool stuck;
};

/* Posts a request to w and waits for its answer as the plan says.
 * Returns the request's result, or -ETIMEDOUT. */
static int post_and_wait(struct worker_pool *p, struct worker *w, struct snapshot *s, struct wait_plan *plan)
{
	pthread_mutex_lock(&w->lock);
	unsigned long gen = ++w->req_gen;
	w->pending = true;
	w->waiting_gen = gen;
	pthread_cond_broadcast(&w->cond);
	int rc = 0;
	if (plan->rescue) {
		while (w->done_gen != gen && rc == 0)
			rc = pthread_cond_timedwait(&w->cond, &w->lock, plan->rescue);
		if (w->done_gen != gen && replaceable(p, w)) {
			w->waiting_gen = 0;
			pthread_mutex_unlock(&w->lock);
			plan->stuck = true;
			return -ETIMEDOUT;
		}
		rc = 0;
	}
	while (w->done_gen != gen && rc == 0)
		rc = pthread_cond_timedwait(&w->cond, &w->lock, &plan->until);
	w->waiting_gen = 0;
	if (w->done_gen != gen) {
		/* The next call replaces the worker if it is still stuck. */
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

int worker_pool_call(struct worker_pool *p, struct snapshot *s, int timeout_ms)
{
	double t0 = clock_mono_ms();
	struct wait_plan plan = {.until = clock_deadline_after(timeout_ms)};

	pthread_mutex_lock(&p->lock);
	int rc = idle_worker(p);
	if (rc < 0) {
		pthread_mutex_unlock(&p->lock);
		return rc;
	}
	int rescue_ms = worker_rescue_ms(timeout_ms, p->last_ok_ms, p->lim.rescue_min_ms);
	struct timespec rescue = clock_deadline_after(rescue_ms);
	plan.rescue = rescue_ms >= 0 ? &rescue : NULL;
	rc = post_and_wait(p, p->w, s, &plan);
	if (plan.stuck) {
		rc = idle_worker(p);
		plan.rescue = NULL;
		if (rc == 0)
			rc = post_and_wait(p, p->w, s, &plan);
	}
	if (rc == 0 && !plan.stuck)
		p->last_ok_ms = clock_mono_ms() - t0;
	pthread_mutex_unlock(&p->lock);
	return rc;
}
