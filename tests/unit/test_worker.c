/*
 * test_worker.c - the hang-proof worker: the rescue rule as a table, and
 * the pool with a backend whose calls block, the way a stuck libvirtd's
 * do.  The blocking backend is a fake because nothing real blocks on
 * demand; the threads, locks and deadlines are the real ones.
 *
 * The binary is linked with --wrap=pthread_condattr_setclock so one test
 * can make the monotonic clock unavailable.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "backends/worker.h"
#include "util/clock.h"

/* --- pthread_condattr_setclock, failing on request -------------------------- */

static int setclock_error; /* 0: the real call */

int __real_pthread_condattr_setclock(pthread_condattr_t *attr, clockid_t clock);
int __wrap_pthread_condattr_setclock(pthread_condattr_t *attr, clockid_t clock);

int __wrap_pthread_condattr_setclock(pthread_condattr_t *attr, clockid_t clock)
{
	if (setclock_error != 0)
		return setclock_error;
	return __real_pthread_condattr_setclock(attr, clock);
}

/* --- a backend whose requests block until released --------------------------- */

static struct fake {
	pthread_mutex_t m;
	pthread_cond_t c;
	int block_n; /* how many of the next requests wait at the gate */
	bool gate;   /* closed: those requests wait */
	int blocked; /* requests waiting right now */
	int starts, runs, stops, releases;
	int news[3]; /* by enum worker_news */
	int last_err;
	unsigned answer; /* each answer is a domain named after this count */
} fk = {.m = PTHREAD_MUTEX_INITIALIZER, .c = PTHREAD_COND_INITIALIZER};

static void *f_start(void *ctx, bool replacement)
{
	(void)ctx;
	(void)replacement;
	pthread_mutex_lock(&fk.m);
	fk.starts++;
	pthread_mutex_unlock(&fk.m);
	return malloc(1);
}

static int f_run(void *state, struct worker *w, struct snapshot *out)
{
	(void)state;
	(void)w;
	char name[32];
	pthread_mutex_lock(&fk.m);
	fk.runs++;
	if (fk.block_n > 0) {
		fk.block_n--;
		fk.blocked++;
		while (fk.gate)
			pthread_cond_wait(&fk.c, &fk.m);
		fk.blocked--;
	}
	snprintf(name, sizeof(name), "answer-%u", ++fk.answer);
	pthread_mutex_unlock(&fk.m);
	return snapshot_add_domain(out, name, NULL) ? 0 : -ENOMEM;
}

static void f_stop(void *state)
{
	(void)state;
	pthread_mutex_lock(&fk.m);
	fk.stops++;
	pthread_mutex_unlock(&fk.m);
}

static void f_release(void *state)
{
	free(state);
	pthread_mutex_lock(&fk.m);
	fk.releases++;
	pthread_cond_broadcast(&fk.c);
	pthread_mutex_unlock(&fk.m);
}

static void f_news(void *ctx, enum worker_news what, int err)
{
	(void)ctx;
	pthread_mutex_lock(&fk.m);
	fk.news[what]++;
	fk.last_err = err;
	pthread_mutex_unlock(&fk.m);
}

static const struct worker_ops fake_ops = {
    .start = f_start, .run = f_run, .stop = f_stop, .release = f_release, .news = f_news};

static void fake_reset(void)
{
	pthread_mutex_lock(&fk.m);
	fk.block_n = 0;
	fk.gate = false;
	fk.blocked = fk.starts = fk.runs = fk.stops = fk.releases = 0;
	memset(fk.news, 0, sizeof(fk.news));
	fk.last_err = 0;
	fk.answer = 0;
	pthread_mutex_unlock(&fk.m);
	setclock_error = 0;
}

/* The next n requests block (INT32_MAX: all of them) until set_block(0)
 * opens the gate. */
static void set_block(int n)
{
	pthread_mutex_lock(&fk.m);
	fk.block_n = n;
	fk.gate = n > 0;
	pthread_cond_broadcast(&fk.c);
	pthread_mutex_unlock(&fk.m);
}

static unsigned fk_answers(void)
{
	pthread_mutex_lock(&fk.m);
	unsigned n = fk.answer;
	pthread_mutex_unlock(&fk.m);
	return n;
}

/* Waits until n workers released their state (abandoned ones included). */
static void wait_releases(int n)
{
	struct timespec until = clock_deadline_after(5000);
	pthread_mutex_lock(&fk.m);
	while (fk.releases < n) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > until.tv_sec)
			break;
		pthread_mutex_unlock(&fk.m);
		usleep(2000);
		pthread_mutex_lock(&fk.m);
	}
	int got = fk.releases;
	pthread_mutex_unlock(&fk.m);
	assert_int_equal(got, n);
}

static int call(struct worker_pool *p, int timeout_ms, const char *want_name, double *took_ms)
{
	struct snapshot s;
	snapshot_init(&s);
	double t0 = clock_mono_ms();
	int rc = worker_pool_call(p, &s, timeout_ms);
	if (took_ms)
		*took_ms = clock_mono_ms() - t0;
	if (rc == 0) {
		assert_int_equal(s.ndoms, 1);
		if (want_name)
			assert_string_equal(s.doms[0].name, want_name);
	} else {
		assert_int_equal(s.ndoms, 0);
	}
	snapshot_clear(&s);
	return rc;
}

static const struct worker_limits limits = {.max_abandoned = 2, .rescue_min_ms = 100, .free_wait_ms = 200};

/* --- the tests ------------------------------------------------------------------ */

static void test_rescue_rule(void **state)
{
	(void)state;
	static const struct {
		int timeout_ms;
		double last_ok_ms;
		int min_ms;
		int want;
	} t[] = {
	    {8000, 0, 1000, -1},      /* no good call yet: never */
	    {8000, 100, 1000, 1000},  /* four times 100 ms is below the floor */
	    {8000, 500, 1000, 2000},  /* four times the last good call */
	    {8000, 1000, 1000, 4000}, /* exactly half the deadline is left */
	    {8000, 1001, 1000, -1},   /* less than half would be left */
	    {1000, 10, 1000, 250},    /* a short deadline: a quarter of it */
	    {1000, 100, 1000, 400},   /* four times 100 ms, above that quarter */
	    {1000, 200, 1000, -1},    /* 800 ms would leave less than half */
	    {8000, 1e12, 1000, -1},   /* a last call of years does not overflow */
	    {0, 10, 1000, -1},        /* no deadline at all */
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = worker_rescue_ms(t[i].timeout_ms, t[i].last_ok_ms, t[i].min_ms);
		if (got != t[i].want)
			fail_msg("case %zu: worker_rescue_ms(%d, %g, %d) = %d, want %d", i, t[i].timeout_ms,
			         t[i].last_ok_ms, t[i].min_ms, got, t[i].want);
	}
}

/* Answers come through; the pool keeps one worker for many calls. */
static void test_answers(void **state)
{
	(void)state;
	fake_reset();
	struct worker_pool *p = worker_pool_new(&fake_ops, NULL, &limits);
	assert_non_null(p);
	assert_int_equal(call(p, 1000, "answer-1", NULL), 0);
	assert_int_equal(call(p, 1000, "answer-2", NULL), 0);
	assert_int_equal(fk.starts, 1);
	worker_pool_free(p);
	assert_int_equal(fk.stops, 1);
	assert_int_equal(fk.releases, 1);
}

/* A call that never returns costs the deadline and no more; the next call
 * leaves the stuck worker behind and a fresh one answers; beyond
 * max_abandoned stuck workers a call fails at once; released, the
 * abandoned workers free themselves and their answers are dropped. */
static void test_stuck_workers(void **state)
{
	(void)state;
	fake_reset();
	struct worker_pool *p = worker_pool_new(&fake_ops, NULL, &limits);
	double took;

	set_block(INT32_MAX);
	assert_int_equal(call(p, 150, NULL, &took), -ETIMEDOUT);
	assert_in_range((long)took, 140, 1000);
	/* Replaced: the fresh worker blocks too (the daemon is still stuck). */
	assert_int_equal(call(p, 150, NULL, &took), -ETIMEDOUT);
	assert_int_equal(fk.news[WORKER_REPLACED], 1);
	assert_int_equal(call(p, 150, NULL, &took), -ETIMEDOUT);
	assert_int_equal(fk.news[WORKER_REPLACED], 2);
	/* Two are left behind and the third is stuck: no fourth. */
	assert_int_equal(call(p, 150, NULL, &took), -ETIMEDOUT);
	assert_true(took < 100);
	assert_int_equal(fk.news[WORKER_TOO_MANY], 1);
	assert_int_equal(fk.starts, 3);

	/* The daemon answers again: the abandoned workers end alone, and the
	 * current one's late answer is not served to the next call. */
	set_block(0);
	wait_releases(2);
	/* The current worker answers its old request too (dropped); then it
	 * is idle and takes the next one itself. */
	for (int i = 0; i < 500 && fk_answers() < 3; i++)
		usleep(2000);
	usleep(50000);
	assert_int_equal(call(p, 1000, "answer-4", NULL), 0);
	assert_int_equal(fk.starts, 3);
	worker_pool_free(p);
	wait_releases(3);
	assert_int_equal(fk.stops, 3);
}

/* After a good call, a call whose worker gets stuck gives up on it at the
 * rescue time and a fresh worker answers within the same deadline. */
static void test_rescue_within_call(void **state)
{
	(void)state;
	fake_reset();
	struct worker_pool *p = worker_pool_new(&fake_ops, NULL, &limits);
	double took;

	assert_int_equal(call(p, 2000, "answer-1", NULL), 0);
	/* Only the next request gets stuck, as on one guest's busy job. */
	set_block(1);
	assert_int_equal(call(p, 2000, "answer-2", &took), 0);
	/* The last good call took well under 25 ms: the rescue comes at the
	 * floor of 100 ms, far before the 2 s deadline. */
	assert_in_range((long)took, 90, 1000);
	assert_int_equal(fk.news[WORKER_REPLACED], 1);
	assert_int_equal(fk.starts, 2);
	set_block(0);
	wait_releases(1);
	worker_pool_free(p);
	wait_releases(2);
}

/* Without a condition variable on CLOCK_MONOTONIC every deadline would
 * read as long past: the call fails with the reason, the backend hears
 * of it, and no thread is started. */
static void test_no_monotonic_clock(void **state)
{
	(void)state;
	fake_reset();
	struct worker_pool *p = worker_pool_new(&fake_ops, NULL, &limits);
	setclock_error = EINVAL;
	double took;
	assert_int_equal(call(p, 1000, NULL, &took), -EINVAL);
	assert_int_equal(fk.news[WORKER_NO_THREAD], 1);
	assert_int_equal(fk.last_err, -EINVAL);
	assert_int_equal(fk.starts, 0);
	/* The clock is back: the next call starts a worker. */
	setclock_error = 0;
	assert_int_equal(call(p, 1000, "answer-1", NULL), 0);
	worker_pool_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rescue_rule),        cmocka_unit_test(test_answers),
	    cmocka_unit_test(test_stuck_workers),      cmocka_unit_test(test_rescue_within_call),
	    cmocka_unit_test(test_no_monotonic_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
