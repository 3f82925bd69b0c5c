/*
 * test_scrape.c - concurrent scrapes share one collection and get the same bytes.
 *
 * The collection runs against libvirt's real test driver (test:///default).
 * The one fake: connect_get_all_domain_stats forwards to the real function
 * after a pause, because the test driver answers in microseconds and the
 * sharing can only be observed while a collection is running.  It also
 * counts calls, i.e. collections.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "collect.h"
#include "scrape.h"
#include "virt_ops.h"

#define NTHREADS 8

static struct virt_ops slow_ops;
static int stats_calls;

static int slow_get_all_domain_stats(virConnectPtr conn, unsigned int stats, virDomainStatsRecordPtr **ret,
                                     unsigned int flags)
{
	struct timespec pause = {.tv_sec = 0, .tv_nsec = 300 * 1000 * 1000};
	__atomic_add_fetch(&stats_calls, 1, __ATOMIC_SEQ_CST);
	nanosleep(&pause, NULL);
	return virt_ops_libvirt()->connect_get_all_domain_stats(conn, stats, ret, flags);
}

struct fixture {
	struct collect_opts co;
	struct collector *coll;
	struct scrape *sc;
	struct build_labels build;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	slow_ops = *virt_ops_libvirt();
	slow_ops.connect_get_all_domain_stats = slow_get_all_domain_stats;
	collect_opts_default(&f->co);
	f->co.env.sysfs = FIXTURES "/hosts/k6.18/sys";
	f->co.env.procfs = FIXTURES "/hosts/k6.18/proc";
	f->co.env.libvirt_run = FIXTURES "/hosts/k6.18/run";
	f->co.libvirt_uri = "test:///default";
	f->co.virt_ops = &slow_ops;
	f->co.libvirt_timeout_ms = 5000;
	f->build = (struct build_labels){.version = "t", .revision = "r", .libvirt_version = "v"};
	f->coll = collector_new(&f->co);
	if (f->coll == NULL)
		return -1;
	f->sc = scrape_new(f->coll, &f->build, 1 << 24, NULL);
	if (f->sc == NULL)
		return -1;
	stats_calls = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	scrape_free(f->sc);
	collector_free(f->coll);
	free(f);
	return 0;
}

struct worker {
	struct scrape *sc;
	pthread_barrier_t *start;
	int rc;
	struct scrape_result *res;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	pthread_barrier_wait(w->start);
	w->rc = scrape_get(w->sc, &w->res);
	return NULL;
}

static void test_concurrent_share_one_collection(void **state)
{
	struct fixture *f = *state;
	pthread_t th[NTHREADS];
	struct worker w[NTHREADS];
	pthread_barrier_t start;
	const char *ref, *data;
	size_t reflen, len;

	pthread_barrier_init(&start, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){.sc = f->sc, .start = &start};
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);

	/* One collection of 300 ms, every request served from it. */
	assert_int_equal(stats_calls, 1);
	assert_int_equal(w[0].rc, 0);
	assert_int_equal(scrape_result_body(w[0].res, &ref, &reflen), 0);
	assert_true(reflen > 0);
	assert_non_null(strstr(ref, "\nkvmmem_domain_info{domain=\"test\""));
	for (int i = 0; i < NTHREADS; i++) {
		assert_int_equal(w[i].rc, 0);
		assert_ptr_equal(w[i].res, w[0].res);
		assert_int_equal(scrape_result_body(w[i].res, &data, &len), 0);
		assert_ptr_equal(data, ref);
		assert_int_equal(len, reflen);
	}
	/* The gzip body is made once and shared too. */
	const char *gz1, *gz2;
	size_t gl1, gl2;
	assert_int_equal(scrape_result_gzip(w[0].res, &gz1, &gl1), 0);
	assert_int_equal(scrape_result_gzip(w[3].res, &gz2, &gl2), 0);
	assert_ptr_equal(gz1, gz2);
	assert_int_equal(gl1, gl2);

	/* A request after the collection finished starts a new one; the old
	 * result stays valid while it is held. */
	struct scrape_result *again = NULL;
	assert_int_equal(scrape_get(f->sc, &again), 0);
	assert_int_equal(stats_calls, 2);
	assert_ptr_not_equal(again, w[0].res);
	assert_int_equal(scrape_result_collect_status(again), 0);
	assert_int_equal(memcmp(ref, "# HELP ", 7), 0);
	scrape_result_put(again);
	for (int i = 0; i < NTHREADS; i++)
		scrape_result_put(w[i].res);
}

/* Over the cap there is no body at all, never a truncated one. */
static void test_cap_gives_no_body(void **state)
{
	struct fixture *f = *state;
	struct scrape *small = scrape_new(f->coll, &f->build, 100, NULL);
	struct scrape_result *res = NULL;
	const char *data = NULL;
	size_t len = 0;

	assert_non_null(small);
	assert_int_equal(scrape_get(small, &res), 0);
	assert_int_equal(scrape_result_body(res, &data, &len), -E2BIG);
	assert_null(data);
	assert_int_equal(scrape_result_gzip(res, &data, &len), -E2BIG);
	assert_null(data);
	scrape_result_put(res);
	scrape_free(small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_concurrent_share_one_collection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cap_gives_no_body, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
