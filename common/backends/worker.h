/*
 * worker.h - the hang-proof worker of a backend whose calls block.
 *
 * A backend that reaches its hypervisor through blocking calls (libvirt)
 * makes every call on a worker thread of its own.  The collection posts a
 * request and waits at most its deadline, so a daemon that never answers
 * delays a collection by that much and no more; a late answer is dropped.
 * A worker still stuck in an earlier request when the next collection
 * comes is left behind (abandoned) with its connection and frees itself
 * when the call returns; a fresh worker, with a fresh connection, carries
 * on.  At most max_abandoned workers are left behind at once: beyond that,
 * and while a worker opens its connection (one attempt at a time), a
 * collection fails at once with -ETIMEDOUT.
 *
 * A collection that takes far longer than the last good one is most
 * likely stuck on one domain (a stopped QEMU holds its libvirt job): once
 * it has had the rescue time (worker_rescue_ms), a fresh worker gets the
 * rest of the deadline, so even this collection carries the other domains.
 *
 * Threads: worker_pool_call and worker_pool_free run on the caller's
 * thread, one at a time (the pool serialises calls).  The ops run as
 * their comments say.  Lock order: the pool's lock, then a worker's lock,
 * then the counter shared with abandoned workers; no op is called with a
 * worker's lock held except idle_ms.
 */
#ifndef KVMMEM_WORKER_H
#define KVMMEM_WORKER_H

#include <stdbool.h>

#include "model/snapshot.h"

/* One worker thread, as its ops see it. */
struct worker;

/* What the pool tells the backend, for its log. */
enum worker_news {
	WORKER_REPLACED,  /* a stuck worker was left behind, a fresh one carries on */
	WORKER_TOO_MANY,  /* max_abandoned are stuck: none is started, the call fails */
	WORKER_NO_THREAD, /* a worker cannot start (err says why): the call fails */
};

struct worker_ops {
	/* Makes the state of a new worker (its connection, not opened yet);
	 * replacement says it takes over from a worker left behind.  Caller's
	 * thread.  NULL when out of memory. */
	void *(*start)(void *ctx, bool replacement);
	/* One request, on the worker thread: fills out (an initialised,
	 * empty snapshot) and returns 0 or a negative errno.  It may stop
	 * early once worker_abandoned(w). */
	int (*run)(void *state, struct worker *w, struct snapshot *out);
	/* How long the worker may sit idle before idle() runs, or -1 for
	 * never.  Worker thread, under the worker's lock: it reads the
	 * state, nothing else.  May be NULL. */
	int (*idle_ms)(void *state);
	/* Housekeeping after idle_ms without a request (libvirt runs its
	 * event loop).  Worker thread.  May be NULL. */
	void (*idle)(void *state);
	/* The worker ends: close the connection.  Worker thread; may block
	 * on a dead daemon, and the worker is then abandoned. */
	void (*stop)(void *state);
	/* Frees the state.  Whichever thread ends the worker last, possibly
	 * after worker_pool_free returned: the state must hold what it needs. */
	void (*release)(void *state);
	/* News for the backend's log; err is the negative errno of
	 * WORKER_NO_THREAD, else 0.  Caller's thread, pool lock held. */
	void (*news)(void *ctx, enum worker_news what, int err);
};

struct worker_limits {
	int max_abandoned; /* workers left behind at once */
	int rescue_min_ms; /* the earliest rescue, unless the deadline is short */
	int free_wait_ms;  /* how long worker_pool_free waits for a stuck worker */
};

struct worker_pool;

/* A pool with no worker yet: the first call starts one.  ops and ctx are
 * borrowed and must outlive the pool (not its abandoned workers).  NULL
 * when out of memory or a lock cannot be made. */
struct worker_pool *worker_pool_new(const struct worker_ops *ops, void *ctx, const struct worker_limits *lim);
/* Stops the worker, waiting at most free_wait_ms for one stuck in a
 * request (then it is abandoned), and frees the pool.  NULL is fine. */
void worker_pool_free(struct worker_pool *p);

/*
 * Runs one request on the current worker (started or replaced as needed)
 * and waits at most timeout_ms.  On success the domains of the worker's
 * answer are moved to the end of s.  Returns the request's result,
 * -ETIMEDOUT when no answer came in time (s unchanged), or the error that
 * kept a worker from starting (-ENOMEM, -EAGAIN, or a clock the condition
 * variable cannot wait on).
 */
int worker_pool_call(struct worker_pool *p, struct snapshot *s, int timeout_ms);

/* For a worker's own ops: has the pool left it behind?  Then nobody waits
 * for its answer and it logs nothing. */
bool worker_abandoned(const struct worker *w);
/* For a worker's own ops: it is opening its connection; while it is, it
 * is not replaced (one attempt at a time). */
void worker_set_opening(struct worker *w, bool opening);

/*
 * The rescue rule, pure: after how many milliseconds a call gives up on a
 * worker and starts a fresh one, or -1 for never.  Four times the last
 * good call (last_ok_ms; 0 before one succeeded: never), at least
 * rescue_min_ms or a quarter of a shorter deadline; only when that leaves
 * at least half the deadline.
 */
int worker_rescue_ms(int timeout_ms, double last_ok_ms, int rescue_min_ms);

#endif
