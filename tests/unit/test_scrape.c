/*
 * test_scrape.c - concurrent scrapes share one collection and get the same
 * bytes; the gzip form is the plain form compressed, made without ever
 * holding the plain text, and both forms fail alike over the cap.
 *
 * The collection runs against libvirt's real test driver (test:///default).
 * The one fake: connect_get_all_domain_stats forwards to the real function
 * after a pause, because the test driver answers in microseconds and the
 * sharing can only be observed while a collection is running.  It also
 * counts calls, i.e. collections.
 *
 * Large hosts are libvirt test-driver node files of thousands of domains
 * written to a private directory.  The process's allocations are counted
 * (below) to see how much memory a rendering takes at its peak.
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
#include <malloc.h>
#include <zlib.h>

#include "util/buf.h"
#include "model/collect.h"
#include "fixtree.h"
#include "scrape.h"
#include "backends/libvirt_ops.h"
#include "gunzip_check.h"

/*
 * Not a fake: glibc's allocator does all the work, through the __libc_*
 * entry points it exports for allocators that wrap it; these wrappers only
 * count the bytes held (as malloc_usable_size() sees them) and the most
 * held since the last reset, for every allocation in the process, glibc's
 * and libvirt's included.  A sanitizer brings its own malloc; there the
 * counts are not kept and the memory checks skip.
 */
#if defined(__SANITIZE_ADDRESS__)
#define COUNTING 0
#else
#define COUNTING 1
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);

/* Signed: a block glibc allocated before main() may be freed here. */
static long long held, held_peak;

static void count_alloc(void *p)
{
	if (p == NULL)
		return;
	long long now = __atomic_add_fetch(&held, (long long)malloc_usable_size(p), __ATOMIC_RELAXED);
	long long peak = __atomic_load_n(&held_peak, __ATOMIC_RELAXED);
	while (now > peak &&
	       !__atomic_compare_exchange_n(&held_peak, &peak, now, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void count_free(void *p)
{
	if (p != NULL)
		__atomic_sub_fetch(&held, (long long)malloc_usable_size(p), __ATOMIC_RELAXED);
}

void *malloc(size_t n)
{
	void *p = __libc_malloc(n);
	count_alloc(p);
	return p;
}

void *calloc(size_t n, size_t size)
{
	void *p = __libc_calloc(n, size);
	count_alloc(p);
	return p;
}

void *realloc(void *p, size_t n)
{
	size_t old = p != NULL ? malloc_usable_size(p) : 0;
	void *q = __libc_realloc(p, n);
	/* On failure p is untouched; realloc(p, 0) frees p. */
	if (q != NULL || n == 0)
		__atomic_sub_fetch(&held, (long long)old, __ATOMIC_RELAXED);
	count_alloc(q);
	return q;
}

void free(void *p)
{
	count_free(p);
	__libc_free(p);
}

void *memalign(size_t align, size_t n)
{
	void *p = __libc_memalign(align, n);
	count_alloc(p);
	return p;
}

void *aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p = memalign(align, n);
	if (p == NULL)
		return ENOMEM;
	*out = p;
	return 0;
}

/* Starts a new peak from what is held now; returns that. */
static long long count_reset(void)
{
	long long now = __atomic_load_n(&held, __ATOMIC_RELAXED);
	__atomic_store_n(&held_peak, now, __ATOMIC_RELAXED);
	return now;
}

static long long count_peak(void)
{
	return __atomic_load_n(&held_peak, __ATOMIC_RELAXED);
}
#endif

#define NTHREADS 8

static struct libvirt_ops slow_ops;
static int stats_calls;

static int slow_get_all_domain_stats(virConnectPtr conn, unsigned int stats, virDomainStatsRecordPtr **ret,
                                     unsigned int flags)
{
	struct timespec pause = {.tv_sec = 0, .tv_nsec = 300 * 1000 * 1000};
	__atomic_add_fetch(&stats_calls, 1, __ATOMIC_SEQ_CST);
	nanosleep(&pause, NULL);
	return libvirt_ops_real()->connect_get_all_domain_stats(conn, stats, ret, flags);
}

struct fixture {
	struct collect_opts co;
	struct collection *coll;
	struct scrape *sc;
	struct build_labels build;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	slow_ops = *libvirt_ops_real();
	slow_ops.connect_get_all_domain_stats = slow_get_all_domain_stats;
	collect_opts_default(&f->co);
	f->co.env.sysfs = FIXTURES "/hosts/k6.18/sys";
	f->co.env.procfs = FIXTURES "/hosts/k6.18/proc";
	f->co.env.libvirt_run = FIXTURES "/hosts/k6.18/run";
	f->co.libvirt.uri = "test:///default";
	f->co.libvirt.ops = &slow_ops;
	f->co.timeout_ms = 5000;
	f->build = (struct build_labels){.version = "t", .revision = "r", .libvirt_version = "v"};
	f->coll = collection_new(&f->co);
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
	collection_free(f->coll);
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
/* Reuse: a result younger than the window is handed out again while
 * somebody still holds it (slow readers share its body); once nobody holds
 * it, or without reuse, every request collects afresh. */
static void test_reuse_while_held(void **state)
{
	struct fixture *f = *state;
	struct scrape_result *a = NULL, *b = NULL, *c = NULL, *d = NULL;

	assert_int_equal(scrape_get(f->sc, &a), 0);
	assert_int_equal(scrape_get(f->sc, &b), 0);
	assert_ptr_not_equal(a, b);
	assert_true(scrape_result_generation(b) > scrape_result_generation(a));
	scrape_result_put(a);
	scrape_result_put(b);

	scrape_set_reuse(f->sc, 60000);
	assert_int_equal(scrape_get(f->sc, &a), 0);
	assert_int_equal(scrape_get(f->sc, &b), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(stats_calls, 3);
	scrape_result_put(a);
	scrape_result_put(b);
	/* Nobody holds it any more: forgotten, the next request collects. */
	assert_int_equal(scrape_get(f->sc, &c), 0);
	assert_int_equal(stats_calls, 4);
	assert_true(scrape_result_generation(c) > 3);
	/* Past the window a held result is not reused either. */
	scrape_set_reuse(f->sc, 1);
	struct timespec ts = {0, 5 * 1000 * 1000};
	nanosleep(&ts, NULL);
	assert_int_equal(scrape_get(f->sc, &d), 0);
	assert_ptr_not_equal(c, d);
	assert_int_equal(stats_calls, 5);
	scrape_result_put(c);
	scrape_result_put(d);
}

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

/* A test-driver host of n running domains in a private directory. */
struct big_host {
	char root[64];
	char uri[128];
	struct collect_opts co;
	struct collection *coll;
	struct build_labels build;
};

static void big_host_new(struct big_host *h, size_t n, bool collect)
{
	struct buf x;

	memset(h, 0, sizeof(*h));
	assert_int_equal(fixtree_new(h->root, sizeof(h->root), "scrape"), 0);
	buf_init(&x, SIZE_MAX / 2);
	buf_puts(&x, "<node>\n");
	for (size_t i = 0; i < n; i++) {
		buf_puts(&x, "<domain type='test'><name>guest-");
		buf_put_u64(&x, i);
		buf_puts(&x, "</name><memory unit='KiB'>1048576</memory><currentMemory unit='KiB'>");
		buf_put_u64(&x, 524288 + i);
		buf_puts(&x,
		         "</currentMemory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>"
		         "<devices><memballoon model='virtio'><stats period='5'/></memballoon></devices></domain>\n");
	}
	buf_puts(&x, "</node>\n");
	assert_false(buf_failed(&x));
	assert_int_equal(fixtree_write(h->root, "node.xml", x.data, x.len), 0);
	buf_free(&x);
	snprintf(h->uri, sizeof(h->uri), "test://%s/node.xml", h->root);
	collect_opts_default(&h->co);
	h->co.env.sysfs = FIXTURES "/hosts/k6.18/sys";
	h->co.env.procfs = FIXTURES "/hosts/k6.18/proc";
	h->co.env.libvirt_run = FIXTURES "/hosts/k6.18/run";
	h->co.libvirt.uri = h->uri;
	h->co.timeout_ms = 60000;
	/* Off: a document with nothing from the host, the same every time. */
	for (int c = 0; c < COLL_COUNT; c++)
		h->co.enabled[c] = collect;
	h->build = (struct build_labels){.version = "t", .revision = "r\"q", .libvirt_version = "v"};
	h->coll = collection_new(&h->co);
	assert_non_null(h->coll);
}

static void big_host_free(struct big_host *h)
{
	collection_free(h->coll);
	assert_int_equal(fixtree_remove(h->root), 0);
}

#define BIG_DOMAINS 5000

/*
 * At 5000 domains the gzip form inflates to the plain form byte for byte,
 * and making it takes a fraction of the plain text's size at the peak,
 * while making the plain form takes at least the whole text.  Twice: the
 * second collection's buffers are sized from the first's.
 */
static void test_gzip_is_body_without_holding_it(void **state)
{
	(void)state;
	struct big_host h;
	struct scrape *sc;

	big_host_new(&h, BIG_DOMAINS, true);
	sc = scrape_new(h.coll, &h.build, 1 << 26, NULL);
	assert_non_null(sc);
	for (int round = 0; round < 2; round++) {
		struct scrape_result *res = NULL;
		const char *gz = NULL, *body = NULL;
		size_t gzlen = 0, len = 0;
		assert_int_equal(scrape_get(sc, &res), 0);
		assert_int_equal(scrape_result_collect_status(res), 0);
#if COUNTING
		long long base = count_reset();
#endif
		assert_int_equal(scrape_result_gzip(res, &gz, &gzlen), 0);
#if COUNTING
		long long gz_peak = count_peak() - base;
		base = count_reset();
#endif
		assert_int_equal(scrape_result_body(res, &body, &len), 0);
#if COUNTING
		long long plain_peak = count_peak() - base;
#endif
		/* Thousands of domains: a document of many pieces. */
		assert_true(len > 3 * 1024 * 1024);
		assert_memory_equal(body, "# HELP ", 7);
		assert_gunzips_to(gz, gzlen, body, len);
#if COUNTING
		print_message("round %d: plain %zu bytes, gzip %zu bytes; peak while making gzip %lld, plain %lld\n",
		              round, len, gzlen, gz_peak, plain_peak);
		/* The counts see a rendering: the plain form is all held. */
		assert_true(plain_peak >= (long long)len);
		/* Compressor state, a piece, the domains' label prefixes and
		 * the gzip output: well under a quarter of the text. */
		assert_true(gz_peak < (long long)len / 4);
#endif
		scrape_result_put(res);
	}
	scrape_free(sc);
	big_host_free(&h);
}

/* scrape_result_prepare makes the form asked for, and only that one:
 * afterwards handing it out allocates nothing, the other form is still to
 * be made. */
static void test_prepare_makes_the_form_asked(void **state)
{
	(void)state;
	struct big_host h;
	struct scrape *sc;

	big_host_new(&h, 200, false);
	sc = scrape_new(h.coll, &h.build, 1 << 26, NULL);
	assert_non_null(sc);
	for (int gzip = 0; gzip <= 1; gzip++) {
		struct scrape_result *res = NULL;
		const char *gz = NULL, *body = NULL;
		size_t gzlen = 0, len = 0;
		assert_int_equal(scrape_get(sc, &res), 0);
		scrape_result_prepare(res, gzip);
#if COUNTING
		long long base = count_reset();
#endif
		if (gzip)
			assert_int_equal(scrape_result_gzip(res, &gz, &gzlen), 0);
		else
			assert_int_equal(scrape_result_body(res, &body, &len), 0);
#if COUNTING
		assert_int_equal(count_peak() - base, 0);
		base = count_reset();
#endif
		if (gzip)
			assert_int_equal(scrape_result_body(res, &body, &len), 0);
		else
			assert_int_equal(scrape_result_gzip(res, &gz, &gzlen), 0);
#if COUNTING
		assert_true(count_peak() - base > 0);
#endif
		assert_gunzips_to(gz, gzlen, body, len);
		scrape_result_put(res);
	}
	scrape_free(sc);
	big_host_free(&h);
}

struct form_worker {
	struct scrape_result *res;
	pthread_barrier_t *start;
	bool gzip;
	int rc;
	const char *data;
	size_t len;
};

static void *form_main(void *arg)
{
	struct form_worker *w = arg;
	pthread_barrier_wait(w->start);
	if (w->gzip)
		w->rc = scrape_result_gzip(w->res, &w->data, &w->len);
	else
		w->rc = scrape_result_body(w->res, &w->data, &w->len);
	return NULL;
}

/* Requests for both forms of one result at once: each form is made once
 * and every request for it gets the same bytes. */
static void test_forms_at_once(void **state)
{
	(void)state;
	struct big_host h;
	struct scrape *sc;
	struct scrape_result *res = NULL;
	pthread_t th[NTHREADS];
	struct form_worker w[NTHREADS];
	pthread_barrier_t start;

	big_host_new(&h, 2000, true);
	sc = scrape_new(h.coll, &h.build, 1 << 26, NULL);
	assert_non_null(sc);
	assert_int_equal(scrape_get(sc, &res), 0);
	pthread_barrier_init(&start, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct form_worker){.res = res, .start = &start, .gzip = i % 2 == 1};
		assert_int_equal(pthread_create(&th[i], NULL, form_main, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < NTHREADS; i++) {
		assert_int_equal(w[i].rc, 0);
		assert_ptr_equal(w[i].data, w[i % 2].data);
		assert_int_equal(w[i].len, w[i % 2].len);
	}
	assert_gunzips_to(w[1].data, w[1].len, w[0].data, w[0].len);
	/* Held results outlive the scrape. */
	scrape_free(sc);
	const char *again;
	size_t againlen;
	assert_int_equal(scrape_result_gzip(res, &again, &againlen), 0);
	assert_ptr_equal(again, w[1].data);
	scrape_result_put(res);
	big_host_free(&h);
}

/* Asks for both forms, in the order given, of a fresh collection under
 * cap; returns the plain length, or 0 when both failed with -E2BIG. */
static size_t both_forms(struct big_host *h, size_t cap, bool gzip_first)
{
	struct scrape *sc = scrape_new(h->coll, &h->build, cap, NULL);
	struct scrape_result *res = NULL;
	const char *gz = NULL, *body = NULL;
	size_t gzlen = 0, len = 0;
	int zr, br;

	assert_non_null(sc);
	assert_int_equal(scrape_get(sc, &res), 0);
	if (gzip_first) {
		zr = scrape_result_gzip(res, &gz, &gzlen);
		br = scrape_result_body(res, &body, &len);
	} else {
		br = scrape_result_body(res, &body, &len);
		zr = scrape_result_gzip(res, &gz, &gzlen);
	}
	assert_int_equal(zr, br);
	if (zr == 0)
		assert_gunzips_to(gz, gzlen, body, len);
	else
		assert_int_equal(zr, -E2BIG);
	/* Nothing is handed out on failure. */
	assert_int_equal(gz == NULL, zr != 0);
	assert_int_equal(body == NULL, br != 0);
	scrape_result_put(res);
	scrape_free(sc);
	return len;
}

/* The cap is on the plain text whichever form is asked first: one byte
 * below its size both fail with -E2BIG, at its size both succeed.  With
 * every collector off the document is the same in every collection. */
static void test_cap_exact_both_forms(void **state)
{
	(void)state;
	struct big_host h;

	big_host_new(&h, 1, false);
	size_t full = both_forms(&h, 1 << 20, true);
	assert_true(full > 0);
	for (int order = 0; order < 2; order++) {
		assert_int_equal(both_forms(&h, full - 1, order == 0), 0);
		assert_int_equal(both_forms(&h, full, order == 0), full);
	}
	big_host_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_concurrent_share_one_collection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reuse_while_held, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cap_gives_no_body, setup, teardown),
	    cmocka_unit_test(test_gzip_is_body_without_holding_it),
	    cmocka_unit_test(test_forms_at_once),
	    cmocka_unit_test(test_prepare_makes_the_form_asked),
	    cmocka_unit_test(test_cap_exact_both_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
