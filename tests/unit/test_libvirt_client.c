/*
 * test_virt.c - the libvirt client: typed-parameter mapping, the memory
 * stats fallback, the XML cache, reconnects, timeouts, and one run against
 * libvirt's real test driver.
 *
 * Most tests use a fake ops table.  It is a fake because the real test
 * driver cannot do what these tests need: its bulk stats carry no
 * balloon.* fields at all (libvirt 9.0), it never fails like a dropped
 * connection, and no call of it blocks.  The last test uses the real
 * driver with the k6.18 fixture.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "backends/libvirt_client.h"
#include "backends/libvirt_ops.h"

/* --- the fake libvirt --------------------------------------------------- */

#define NDOM 4       /* the named domains */
#define NDOM_MAX 160 /* with generated ones (test_many_domains) */

/* What a bulk record carries of the balloon group. */
enum fballoon {
	FB_NONE, /* no balloon.* at all: libvirt's test driver */
	FB_DEF,  /* balloon.current and .maximum only: QEMU without the job */
	FB_FULL, /* everything: QEMU with the job */
};

struct fdom {
	const char *name;
	const char *uuid;
	int state;
	bool listed;
	int balloon; /* enum fballoon */
	const char *xml;
	int xml_calls;
	int memstats_calls;
	int uuid_calls; /* virDomainGetUUID: each formats the UUID in libvirt */
	int xml_fail;   /* 0, or a virErrorNumber virDomainGetXMLDesc fails with */
	char gname[16], guuid[40];
};

static struct fake {
	pthread_mutex_t m;
	pthread_cond_t c;
	int opens, closes, alive;
	bool fail_open;
	int bulk_calls;
	unsigned int bulk_flags, bulk_stats;
	int bulk_fail; /* 0, or a virErrorNumber to fail with */
	bool block_bulk, blocked;
	bool have_err;
	virError err;
	virConnectDomainEventGenericCallback cb;
	void *cb_opaque;
	int registered, deregistered;
	struct {
		virFreeCallback ff;
		void *opaque;
	} regs[32]; /* by callback id - 42 */
	int nregs;
	int loop_runs;
	int loop_runs_blocking; /* iterations run without a due timer */
	int timers;             /* zero timers added and not removed */
	int queued[8], nqueued; /* lifecycle events libvirtd sent, by domain */
	/* A stopped QEMU: the first bulk call that reaches domain stuck takes
	 * its job and then waits (for the monitor) until released; while the
	 * job is held, NOWAIT calls get that domain without guest fields. */
	int stuck;
	bool job_held, release;
	int ndoms;
	struct fdom doms[NDOM_MAX];
} F;

static const char XML_A[] = "<domain><memory unit='KiB'>1048576</memory><devices><memballoon model='virtio'>"
                            "<stats period='5'/></memballoon></devices></domain>";
static const char XML_B[] = "<domain><memory unit='MiB'>512</memory><memoryBacking><nosharepages/></memoryBacking>"
                            "<devices><memballoon model='virtio'/></devices></domain>";
static const char XML_C[] = "<domain><memory unit='GiB'>3</memory><devices><memballoon model='none'/></devices>"
                            "</domain>";
static const char XML_D[] = "<domain><memory>2048</memory><memoryBacking><hugepages/><locked/></memoryBacking>"
                            "<devices><memballoon model='virtio'><stats period='10'/></memballoon></devices></domain>";

static void fake_reset(void)
{
	/* The lock and condition are set up once: a worker left behind by a
	 * failed test may still use them. */
	static bool once;
	if (!once) {
		pthread_mutex_init(&F.m, NULL);
		pthread_cond_init(&F.c, NULL);
		once = true;
	}
	pthread_mutex_lock(&F.m);
	pthread_mutex_t m = F.m;
	pthread_cond_t c = F.c;
	memset(&F, 0, sizeof(F));
	F.m = m;
	F.c = c;
	F.alive = 1;
	F.stuck = -1;
	F.ndoms = NDOM;
	F.doms[0] = (struct fdom){.name = "a-full",
	                          .uuid = "00000000-0000-4000-8000-00000000000a",
	                          .state = VIR_DOMAIN_RUNNING,
	                          .listed = true,
	                          .balloon = FB_FULL,
	                          .xml = XML_A};
	F.doms[1] = (struct fdom){.name = "b-testdrv",
	                          .uuid = "00000000-0000-4000-8000-00000000000b",
	                          .state = VIR_DOMAIN_RUNNING,
	                          .listed = true,
	                          .balloon = FB_NONE,
	                          .xml = XML_B};
	F.doms[2] = (struct fdom){.name = "c-off",
	                          .uuid = "00000000-0000-4000-8000-00000000000c",
	                          .state = VIR_DOMAIN_SHUTOFF,
	                          .listed = true,
	                          .balloon = FB_NONE,
	                          .xml = XML_C};
	F.doms[3] = (struct fdom){.name = "d-paused",
	                          .uuid = "00000000-0000-4000-8000-00000000000d",
	                          .state = VIR_DOMAIN_PAUSED,
	                          .listed = true,
	                          .balloon = FB_NONE,
	                          .xml = XML_D};
	pthread_mutex_unlock(&F.m);
}

static void set_err(int code)
{
	F.have_err = true;
	F.err.code = code;
	F.err.domain = VIR_FROM_NONE;
	F.err.message = code == VIR_ERR_SYSTEM_ERROR ? "Cannot write data: Broken pipe"
	                : code == VIR_ERR_NO_DOMAIN  ? "Domain not found"
	                                             : "fake failure";
}

static virConnectPtr f_open(const char *name)
{
	(void)name;
	pthread_mutex_lock(&F.m);
	F.opens++;
	bool fail = F.fail_open;
	if (fail)
		set_err(VIR_ERR_NO_CONNECT);
	else
		F.alive = 1;
	pthread_mutex_unlock(&F.m);
	return fail ? NULL : (virConnectPtr)&F;
}

static int f_close(virConnectPtr c)
{
	assert_ptr_equal(c, &F);
	pthread_mutex_lock(&F.m);
	F.closes++;
	pthread_mutex_unlock(&F.m);
	return 0;
}

static int f_alive(virConnectPtr c)
{
	(void)c;
	pthread_mutex_lock(&F.m);
	int a = F.alive;
	pthread_mutex_unlock(&F.m);
	return a;
}

static void add_param(virDomainStatsRecordPtr r, const char *field, int type, unsigned long long v)
{
	virTypedParameterPtr p = &r->params[r->nparams++];
	snprintf(p->field, sizeof(p->field), "%s", field);
	p->type = type;
	if (type == VIR_TYPED_PARAM_INT)
		p->value.i = (int)v;
	else
		p->value.ul = v;
}

static int f_bulk(virConnectPtr c, unsigned int stats, virDomainStatsRecordPtr **ret, unsigned int flags)
{
	(void)c;
	pthread_mutex_lock(&F.m);
	F.bulk_calls++;
	F.bulk_stats = stats;
	F.bulk_flags = flags;
	if (F.block_bulk) {
		F.blocked = true;
		pthread_cond_broadcast(&F.c);
		while (F.block_bulk)
			pthread_cond_wait(&F.c, &F.m);
		F.blocked = false;
	}
	if (F.bulk_fail) {
		set_err(F.bulk_fail);
		if (F.bulk_fail == VIR_ERR_SYSTEM_ERROR)
			F.alive = 0;
		pthread_mutex_unlock(&F.m);
		return -1;
	}
	virDomainStatsRecordPtr *recs = calloc((size_t)F.ndoms + 1, sizeof(*recs));
	int n = 0;
	for (int i = 0; i < F.ndoms; i++) {
		struct fdom *d = &F.doms[i];
		if (!d->listed)
			continue;
		int balloon = d->balloon;
		if (i == F.stuck && balloon == FB_FULL && d->state == VIR_DOMAIN_RUNNING) {
			if (!F.job_held) {
				/* Takes the job, then waits for the stopped QEMU. */
				F.job_held = true;
				F.blocked = true;
				pthread_cond_broadcast(&F.c);
				while (!F.release)
					pthread_cond_wait(&F.c, &F.m);
				F.job_held = false;
				F.blocked = false;
			} else {
				balloon = FB_DEF; /* NOWAIT: the job is busy */
			}
		}
		virDomainStatsRecordPtr r = calloc(1, sizeof(*r));
		r->dom = (virDomainPtr)d;
		r->params = calloc(20, sizeof(*r->params));
		add_param(r, "state.state", VIR_TYPED_PARAM_INT, (unsigned long long)d->state);
		add_param(r, "state.reason", VIR_TYPED_PARAM_INT, 1);
		if (balloon != FB_NONE) {
			add_param(r, "balloon.current", VIR_TYPED_PARAM_ULLONG, 262144);
			add_param(r, "balloon.maximum", VIR_TYPED_PARAM_ULLONG, 2097152);
		}
		if (balloon == FB_FULL) {
			add_param(r, "balloon.swap_in", VIR_TYPED_PARAM_ULLONG, 3);
			add_param(r, "balloon.swap_out", VIR_TYPED_PARAM_ULLONG, 4);
			add_param(r, "balloon.major_fault", VIR_TYPED_PARAM_ULLONG, 5);
			add_param(r, "balloon.minor_fault", VIR_TYPED_PARAM_ULLONG, 767);
			add_param(r, "balloon.unused", VIR_TYPED_PARAM_ULLONG, 174552);
			add_param(r, "balloon.available", VIR_TYPED_PARAM_ULLONG, 223632);
			add_param(r, "balloon.usable", VIR_TYPED_PARAM_ULLONG, 177776);
			add_param(r, "balloon.last-update", VIR_TYPED_PARAM_ULLONG, 1795673334);
			add_param(r, "balloon.disk_caches", VIR_TYPED_PARAM_ULLONG, 24220);
			add_param(r, "balloon.hugetlb_pgalloc", VIR_TYPED_PARAM_ULLONG, 6);
			add_param(r, "balloon.hugetlb_pgfail", VIR_TYPED_PARAM_ULLONG, 7);
			add_param(r, "balloon.rss", VIR_TYPED_PARAM_ULLONG, 238660);
			add_param(r, "balloon.unknown-future", VIR_TYPED_PARAM_ULLONG, 99);
		}
		recs[n++] = r;
	}
	pthread_mutex_unlock(&F.m);
	*ret = recs;
	return n;
}

static void f_bulk_free(virDomainStatsRecordPtr *recs)
{
	for (virDomainStatsRecordPtr *r = recs; r && *r; r++) {
		free((*r)->params);
		free(*r);
	}
	free(recs);
}

static int f_memstats(virDomainPtr dom, virDomainMemoryStatPtr st, unsigned int nr, unsigned int flags)
{
	struct fdom *d = (struct fdom *)dom;
	assert_int_equal(nr, VIR_DOMAIN_MEMORY_STAT_NR);
	assert_int_equal(flags, 0);
	pthread_mutex_lock(&F.m);
	d->memstats_calls++;
	pthread_mutex_unlock(&F.m);
	/* What libvirt's test driver answers for currentMemory 524288 KiB. */
	static const struct {
		int tag;
		unsigned long long v;
	} tags[] = {
	    {VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON, 524288},
	    {VIR_DOMAIN_MEMORY_STAT_SWAP_IN, 0},
	    {VIR_DOMAIN_MEMORY_STAT_SWAP_OUT, 0},
	    {VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT, 0},
	    {VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT, 0},
	    {VIR_DOMAIN_MEMORY_STAT_UNUSED, 262144},
	    {VIR_DOMAIN_MEMORY_STAT_AVAILABLE, 524288},
	    {VIR_DOMAIN_MEMORY_STAT_USABLE, 262144},
	    {VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE, 627319920},
	    {VIR_DOMAIN_MEMORY_STAT_DISK_CACHES, 65536},
	    {VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGALLOC, 0},
	    {VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGFAIL, 0},
	    {VIR_DOMAIN_MEMORY_STAT_RSS, 262144},
	};
	unsigned int n = sizeof(tags) / sizeof(tags[0]);
	for (unsigned int i = 0; i < n && i < nr; i++) {
		st[i].tag = tags[i].tag;
		st[i].val = tags[i].v;
	}
	return (int)n;
}

static char *f_xml(virDomainPtr dom, unsigned int flags)
{
	struct fdom *d = (struct fdom *)dom;
	assert_int_equal(flags, 0);
	pthread_mutex_lock(&F.m);
	d->xml_calls++;
	int fail = d->xml_fail;
	if (fail)
		set_err(fail);
	pthread_mutex_unlock(&F.m);
	return fail ? NULL : strdup(d->xml);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The raw bytes of the fake's canonical UUID text, as virDomainGetUUID
 * gives them; a fake UUID that is not canonical fails the test. */
static int f_uuid(virDomainPtr dom, unsigned char *uuid)
{
	pthread_mutex_lock(&F.m);
	((struct fdom *)dom)->uuid_calls++;
	const char *t = ((struct fdom *)dom)->uuid;
	pthread_mutex_unlock(&F.m);
	int n = 0;
	for (const char *p = t; *p && n < VIR_UUID_BUFLEN; p++) {
		if (*p == '-')
			continue;
		int hi = hexval(p[0]), lo = p[1] ? hexval(p[1]) : -1;
		if (hi < 0 || lo < 0)
			fail_msg("fake uuid %s is not canonical", t);
		uuid[n++] = (unsigned char)(hi << 4 | lo);
		p++;
	}
	if (n != VIR_UUID_BUFLEN)
		fail_msg("fake uuid %s is not canonical", t);
	return 0;
}

static const char *f_name(virDomainPtr dom)
{
	return ((struct fdom *)dom)->name;
}

static int f_event_register(void)
{
	return 0;
}

/* One loop iteration: hands out the lifecycle events libvirtd sent since
 * the last one.  Without a due timer the real loop would block until
 * something happens: counted, so a test can say that never occurs. */
static int f_event_run(void)
{
	pthread_mutex_lock(&F.m);
	F.loop_runs++;
	if (F.timers == 0)
		F.loop_runs_blocking++;
	int q[8], n = F.nqueued;
	memcpy(q, F.queued, sizeof(q));
	F.nqueued = 0;
	/* VIR_DOMAIN_EVENT_CALLBACK's cast undone, as libvirt does for LIFECYCLE */
	virConnectDomainEventCallback cb = (virConnectDomainEventCallback)(void (*)(void))F.cb;
	void *opaque = F.cb_opaque;
	pthread_mutex_unlock(&F.m);
	for (int i = 0; i < n; i++)
		cb((virConnectPtr)&F, (virDomainPtr)&F.doms[q[i]], VIR_DOMAIN_EVENT_DEFINED, 0, opaque);
	return 0;
}

static int f_add_timeout(int freq, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff)
{
	assert_int_equal(freq, 0);
	(void)cb;
	(void)opaque;
	(void)ff;
	pthread_mutex_lock(&F.m);
	F.timers++;
	pthread_mutex_unlock(&F.m);
	return 7;
}

static int f_remove_timeout(int timer)
{
	assert_int_equal(timer, 7);
	pthread_mutex_lock(&F.m);
	F.timers--;
	pthread_mutex_unlock(&F.m);
	return 0;
}

static int f_event_reg(virConnectPtr c, virDomainPtr dom, int id, virConnectDomainEventGenericCallback cb, void *opaque,
                       virFreeCallback ff)
{
	(void)c;
	assert_null(dom);
	assert_int_equal(id, VIR_DOMAIN_EVENT_ID_LIFECYCLE);
	/* The opaque is a reference that libvirt gives back through ff. */
	assert_non_null(ff);
	pthread_mutex_lock(&F.m);
	F.cb = cb;
	F.cb_opaque = opaque;
	int cbid = -1;
	if (F.nregs < 32) {
		F.regs[F.nregs].ff = ff;
		F.regs[F.nregs].opaque = opaque;
		cbid = 42 + F.nregs++;
	}
	F.registered++;
	pthread_mutex_unlock(&F.m);
	return cbid;
}

static int f_event_dereg(virConnectPtr c, int id)
{
	(void)c;
	pthread_mutex_lock(&F.m);
	assert_true(id >= 42 && id < 42 + F.nregs);
	F.deregistered++;
	virFreeCallback ff = F.regs[id - 42].ff;
	void *opaque = F.regs[id - 42].opaque;
	F.regs[id - 42].ff = NULL;
	pthread_mutex_unlock(&F.m);
	/* As libvirt does when it lets go of the callback. */
	assert_non_null(ff);
	ff(opaque);
	return 0;
}

static virErrorPtr f_last_error(void)
{
	return F.have_err ? &F.err : NULL;
}

static void f_set_error_func(void *ud, virErrorFunc fn)
{
	(void)ud;
	(void)fn;
}

static void f_conn_set_error_func(virConnectPtr c, void *ud, virErrorFunc fn)
{
	(void)ud;
	assert_ptr_equal(c, &F);
	assert_non_null(fn);
}

static const struct libvirt_ops fake_ops = {
    .connect_open_read_only = f_open,
    .connect_close = f_close,
    .connect_is_alive = f_alive,
    .connect_get_all_domain_stats = f_bulk,
    .domain_stats_record_list_free = f_bulk_free,
    .domain_memory_stats = f_memstats,
    .domain_get_xml_desc = f_xml,
    .domain_get_uuid = f_uuid,
    .domain_get_name = f_name,
    .event_register_default_impl = f_event_register,
    .event_run_default_impl = f_event_run,
    .event_add_timeout = f_add_timeout,
    .event_remove_timeout = f_remove_timeout,
    .connect_domain_event_register_any = f_event_reg,
    .connect_domain_event_deregister_any = f_event_dereg,
    .get_last_error = f_last_error,
    .set_error_func = f_set_error_func,
    .conn_set_error_func = f_conn_set_error_func,
};

/* --- helpers -------------------------------------------------------------- */

struct logcap {
	pthread_mutex_t m;
	char lines[32][256];
	int n;
};

static void capture(void *ctx, enum log_level level, const char *msg)
{
	struct logcap *c = ctx;
	if (level > LOG_LVL_INFO)
		return;
	pthread_mutex_lock(&c->m);
	if (c->n < 32)
		snprintf(c->lines[c->n], sizeof(c->lines[0]), "%s %s", log_level_name(level), msg);
	c->n++;
	pthread_mutex_unlock(&c->m);
}

static const struct dom_snap *find(const struct snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->ndoms; i++)
		if (strcmp(s->doms[i].name, name) == 0)
			return &s->doms[i];
	fail_msg("domain %s missing", name);
	return NULL;
}

#define ABSENT UINT64_MAX

static void expect_fields(const struct dom_snap *d, const uint64_t want[DF_COUNT])
{
	for (int f = 0; f < DF_COUNT; f++) {
		const struct mval *m = &d->f[f];
		if (want[f] == ABSENT) {
			if (m->present)
				fail_msg("%s field %d: want absent, got %ju", d->name, f, (uintmax_t)m->v.u);
			continue;
		}
		if (!m->present || m->kind != MV_U64 || m->v.u != want[f])
			fail_msg("%s field %d: want %ju, got %s%ju", d->name, f, (uintmax_t)want[f],
			         m->present ? "" : "absent ", (uintmax_t)m->v.u);
	}
}

static void all_absent(uint64_t w[DF_COUNT])
{
	for (int f = 0; f < DF_COUNT; f++)
		w[f] = ABSENT;
}

static int collect(struct libvirt_client *v, int timeout_ms, struct snapshot *s)
{
	snapshot_init(s);
	int rc = libvirt_client_collect(v, s, timeout_ms);
	snapshot_finish(s);
	return rc;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* --- tests ----------------------------------------------------------------- */

static void test_mapping(void **state)
{
	(void)state;
	fake_reset();
	struct libvirt_client *v = libvirt_client_new("fake:///", &fake_ops, NULL);
	assert_non_null(v);
	struct snapshot s;
	assert_int_equal(collect(v, 5000, &s), 0);
	assert_int_equal(F.bulk_stats, VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_BALLOON);
	assert_int_equal(F.bulk_flags, VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
	assert_int_equal(s.ndoms, 4);

	uint64_t w[DF_COUNT];
	/* Bulk with every balloon field; balloon.maximum wins over <memory>. */
	const struct dom_snap *a = find(&s, "a-full");
	assert_string_equal(a->uuid, "00000000-0000-4000-8000-00000000000a");
	assert_int_equal(a->pid, 0);
	all_absent(w);
	w[DF_STATE] = 1;
	w[DF_MEMORY_MAXIMUM_BYTES] = 2097152ULL * 1024;
	w[DF_BALLOON_CURRENT_BYTES] = 262144ULL * 1024;
	w[DF_STATS_PERIOD_SECONDS] = 5;
	w[DF_GUEST_UNUSED_BYTES] = 174552ULL * 1024;
	w[DF_GUEST_AVAILABLE_BYTES] = 223632ULL * 1024;
	w[DF_GUEST_USABLE_BYTES] = 177776ULL * 1024;
	w[DF_GUEST_DISK_CACHES_BYTES] = 24220ULL * 1024;
	w[DF_GUEST_SWAP_IN_BYTES] = 3 * 1024;
	w[DF_GUEST_SWAP_OUT_BYTES] = 4 * 1024;
	w[DF_GUEST_MAJOR_FAULTS] = 5;
	w[DF_GUEST_MINOR_FAULTS] = 767;
	w[DF_GUEST_HUGETLB_ALLOCS] = 6;
	w[DF_GUEST_HUGETLB_FAILURES] = 7;
	w[DF_GUEST_STATS_UPDATED] = 1795673334;
	w[DF_RSS_BYTES] = 238660ULL * 1024;
	w[DF_BALLOON_STATS_SKIPPED] = 0;
	expect_fields(a, w);
	assert_true(a->config.present);
	assert_string_equal(a->config.balloon, "virtio");
	assert_false(a->config.nosharepages);

	/* Running without balloon fields while another domain has them: its
	 * job was busy.  Marked, and no virDomainMemoryStats (it would wait
	 * for that job); maximum from <memory>; a balloon without <stats> is
	 * period 0. */
	const struct dom_snap *b = find(&s, "b-testdrv");
	all_absent(w);
	w[DF_STATE] = 1;
	w[DF_MEMORY_MAXIMUM_BYTES] = 512ULL << 20;
	w[DF_STATS_PERIOD_SECONDS] = 0;
	w[DF_BALLOON_STATS_SKIPPED] = 1;
	expect_fields(b, w);
	assert_true(b->config.nosharepages);

	/* Shut off and paused: no fallback call, only state and the XML. */
	const struct dom_snap *c = find(&s, "c-off");
	all_absent(w);
	w[DF_STATE] = 5;
	w[DF_MEMORY_MAXIMUM_BYTES] = 3ULL << 30;
	expect_fields(c, w);
	assert_string_equal(c->config.balloon, "none");
	const struct dom_snap *d = find(&s, "d-paused");
	all_absent(w);
	w[DF_STATE] = 3;
	w[DF_MEMORY_MAXIMUM_BYTES] = 2048ULL * 1024;
	w[DF_STATS_PERIOD_SECONDS] = 10;
	expect_fields(d, w);
	assert_true(d->config.hugepages);
	assert_true(d->config.locked);

	for (int i = 0; i < NDOM; i++)
		assert_int_equal(F.doms[i].memstats_calls, 0);
	snapshot_clear(&s);
	libvirt_client_free(v);
	assert_int_equal(F.opens, 1);
	assert_int_equal(F.closes, 1);
	assert_int_equal(F.registered, 1);
	assert_int_equal(F.deregistered, 1);
}

/* A driver whose bulk records have no balloon group for any domain (the
 * test driver): running domains get virDomainMemoryStats. */
static void test_fallback(void **state)
{
	(void)state;
	fake_reset();
	F.doms[0].balloon = FB_NONE;
	struct libvirt_client *v = libvirt_client_new("fake:///", &fake_ops, NULL);
	struct snapshot s;
	assert_int_equal(collect(v, 5000, &s), 0);
	assert_int_equal(s.ndoms, 4);
	uint64_t w[DF_COUNT];
	const struct dom_snap *b = find(&s, "b-testdrv");
	all_absent(w);
	w[DF_STATE] = 1;
	w[DF_MEMORY_MAXIMUM_BYTES] = 512ULL << 20;
	w[DF_BALLOON_STATS_SKIPPED] = 0;
	w[DF_BALLOON_CURRENT_BYTES] = 524288ULL * 1024;
	w[DF_STATS_PERIOD_SECONDS] = 0;
	w[DF_GUEST_UNUSED_BYTES] = 262144ULL * 1024;
	w[DF_GUEST_AVAILABLE_BYTES] = 524288ULL * 1024;
	w[DF_GUEST_USABLE_BYTES] = 262144ULL * 1024;
	w[DF_GUEST_DISK_CACHES_BYTES] = 65536ULL * 1024;
	w[DF_GUEST_SWAP_IN_BYTES] = 0;
	w[DF_GUEST_SWAP_OUT_BYTES] = 0;
	w[DF_GUEST_MAJOR_FAULTS] = 0;
	w[DF_GUEST_MINOR_FAULTS] = 0;
	w[DF_GUEST_HUGETLB_ALLOCS] = 0;
	w[DF_GUEST_HUGETLB_FAILURES] = 0;
	w[DF_GUEST_STATS_UPDATED] = 627319920;
	w[DF_RSS_BYTES] = 262144ULL * 1024;
	expect_fields(b, w);
	/* Shut off and paused domains are not asked. */
	assert_int_equal(F.doms[0].memstats_calls, 1);
	assert_int_equal(F.doms[1].memstats_calls, 1);
	assert_int_equal(F.doms[2].memstats_calls, 0);
	assert_int_equal(F.doms[3].memstats_calls, 0);
	assert_false(find(&s, "c-off")->f[DF_BALLOON_STATS_SKIPPED].present);
	assert_false(find(&s, "d-paused")->f[DF_BALLOON_STATS_SKIPPED].present);
	snapshot_clear(&s);
	libvirt_client_free(v);
}

/* libvirtd sends a lifecycle event for domain dom; the worker's event
 * pump hands it to the callback. */
static void queue_event(int dom)
{
	pthread_mutex_lock(&F.m);
	assert_true(F.nqueued < 8);
	F.queued[F.nqueued++] = dom;
	pthread_mutex_unlock(&F.m);
}

static void expect_xml_calls(int a, int b, int c, int d)
{
	pthread_mutex_lock(&F.m);
	int got[4] = {F.doms[0].xml_calls, F.doms[1].xml_calls, F.doms[2].xml_calls, F.doms[3].xml_calls};
	pthread_mutex_unlock(&F.m);
	if (got[0] != a || got[1] != b || got[2] != c || got[3] != d)
		fail_msg("xml calls %d %d %d %d, want %d %d %d %d", got[0], got[1], got[2], got[3], a, b, c, d);
}

static void expect_uuid_calls(int a, int b, int c, int d)
{
	pthread_mutex_lock(&F.m);
	int got[4] = {F.doms[0].uuid_calls, F.doms[1].uuid_calls, F.doms[2].uuid_calls, F.doms[3].uuid_calls};
	pthread_mutex_unlock(&F.m);
	if (got[0] != a || got[1] != b || got[2] != c || got[3] != d)
		fail_msg("uuid calls %d %d %d %d, want %d %d %d %d", got[0], got[1], got[2], got[3], a, b, c, d);
}

static void set_state(int dom, int state)
{
	pthread_mutex_lock(&F.m);
	F.doms[dom].state = state;
	pthread_mutex_unlock(&F.m);
}

/* Collects once and checks the four domains' uuid labels. */
static void collect_uuids(struct libvirt_client *v, const char *a, const char *b, const char *c, const char *d)
{
	struct snapshot s;
	assert_int_equal(collect(v, 5000, &s), 0);
	assert_int_equal(s.ndoms, 4);
	assert_string_equal(find(&s, "a-full")->uuid, a);
	assert_string_equal(find(&s, "b-testdrv")->uuid, b);
	assert_string_equal(find(&s, "c-off")->uuid, c);
	assert_string_equal(find(&s, "d-paused")->uuid, d);
	snapshot_clear(&s);
}

#define UUID_A "00000000-0000-4000-8000-00000000000a"
#define UUID_B "00000000-0000-4000-8000-00000000000b"
#define UUID_C "00000000-0000-4000-8000-00000000000c"
#define UUID_D "00000000-0000-4000-8000-00000000000d"
#define UUID_AA "00000000-0000-4000-8000-0000000000aa" /* a-full defined again */
#define UUID_CC "00000000-0000-4000-8000-0000000000cc" /* c-off defined again */

/*
 * The XML cache, keyed by name: the XML and the UUID are fetched again
 * only after a lifecycle event, a change between shut off and active, a
 * domain vanishing and coming back, or a reconnect (test_connection_errors
 * too); the age limit (600 s and more) is not tested here.  A cached
 * domain costs no virDomainGetUUID, and virDomainGetID is not in the ops
 * table at all: both format the UUID inside libvirt.
 */
static void test_xml_cache(void **state)
{
	(void)state;
	fake_reset();
	F.doms[1].balloon = FB_FULL;
	struct libvirt_client *v = libvirt_client_new("fake:///", &fake_ops, NULL);
	struct snapshot s;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(collect(v, 5000, &s), 0);
		/* Cached answers still fill the config and the UUID every time. */
		assert_string_equal(find(&s, "a-full")->config.balloon, "virtio");
		assert_string_equal(find(&s, "a-full")->uuid, UUID_A);
		assert_int_equal(find(&s, "d-paused")->f[DF_STATS_PERIOD_SECONDS].v.u, 10);
		snapshot_clear(&s);
	}
	expect_xml_calls(1, 1, 1, 1);
	expect_uuid_calls(1, 1, 1, 1);

	/* A lifecycle event (handed out by the event pump at the start of
	 * the next collection) makes that one domain's XML and UUID be fetched
	 * again: here a-full was undefined and defined again under the same
	 * name. */
	pthread_mutex_lock(&F.m);
	F.doms[0].uuid = UUID_AA;
	F.doms[0].xml = XML_C;
	pthread_mutex_unlock(&F.m);
	queue_event(0);
	collect_uuids(v, UUID_AA, UUID_B, UUID_C, UUID_D);
	expect_xml_calls(2, 1, 1, 1);
	expect_uuid_calls(2, 1, 1, 1);
	collect_uuids(v, UUID_AA, UUID_B, UUID_C, UUID_D);
	expect_xml_calls(2, 1, 1, 1);
	expect_uuid_calls(2, 1, 1, 1);

	/* A missed start is caught by the bulk state turning from shut off to
	 * active, a missed stop by the reverse. */
	set_state(2, VIR_DOMAIN_RUNNING);
	collect_uuids(v, UUID_AA, UUID_B, UUID_C, UUID_D);
	expect_xml_calls(2, 1, 2, 1);
	collect_uuids(v, UUID_AA, UUID_B, UUID_C, UUID_D);
	expect_xml_calls(2, 1, 2, 1);
	set_state(2, VIR_DOMAIN_SHUTOFF);
	pthread_mutex_lock(&F.m);
	F.doms[2].xml = XML_A;
	pthread_mutex_unlock(&F.m);
	assert_int_equal(collect(v, 5000, &s), 0);
	assert_string_equal(find(&s, "c-off")->config.balloon, "virtio");
	snapshot_clear(&s);
	expect_xml_calls(2, 1, 3, 1);
	expect_uuid_calls(2, 1, 3, 1);

	/* From one active state to another (paused to running and back,
	 * running to paused) nothing is fetched: the domain did not stop. */
	set_state(3, VIR_DOMAIN_RUNNING);
	collect_uuids(v, UUID_AA, UUID_B, UUID_C, UUID_D);
	set_state(1, VIR_DOMAIN_PAUSED);
	set_state(3, VIR_DOMAIN_PAUSED);
	collect_uuids(v, UUID_AA, UUID_B, UUID_C, UUID_D);
	expect_xml_calls(2, 1, 3, 1);
	expect_uuid_calls(2, 1, 3, 1);

	/* A vanished domain's entry is dropped: when it comes back it is new,
	 * UUID included. */
	F.doms[2].listed = false;
	assert_int_equal(collect(v, 5000, &s), 0);
	assert_int_equal(s.ndoms, 3);
	snapshot_clear(&s);
	pthread_mutex_lock(&F.m);
	F.doms[2].listed = true;
	F.doms[2].uuid = UUID_CC;
	pthread_mutex_unlock(&F.m);
	collect_uuids(v, UUID_AA, UUID_B, UUID_CC, UUID_D);
	expect_xml_calls(2, 1, 4, 1);
	expect_uuid_calls(2, 1, 4, 1);

	/* A reconnect refetches everything: events may have been missed. */
	pthread_mutex_lock(&F.m);
	F.alive = 0;
	pthread_mutex_unlock(&F.m);
	collect_uuids(v, UUID_AA, UUID_B, UUID_CC, UUID_D);
	expect_xml_calls(3, 2, 5, 2);
	expect_uuid_calls(3, 2, 5, 2);

	/* And then it is quiet again. */
	for (int i = 0; i < 3; i++)
		collect_uuids(v, UUID_AA, UUID_B, UUID_CC, UUID_D);
	expect_xml_calls(3, 2, 5, 2);
	expect_uuid_calls(3, 2, 5, 2);
	libvirt_client_free(v);
}

static void test_connection_errors(void **state)
{
	(void)state;
	fake_reset();
	F.doms[1].balloon = FB_FULL;
	struct logcap cap = {.m = PTHREAD_MUTEX_INITIALIZER};
	struct kvm_log lg = {capture, &cap, LOG_LVL_DEBUG};
	struct libvirt_client *v = libvirt_client_new("fake:///", &fake_ops, &lg);
	struct snapshot s;

	/* libvirtd down at start: an error, logged once, not per collection. */
	F.fail_open = true;
	for (int i = 0; i < 3; i++) {
		snapshot_init(&s);
		assert_int_equal(libvirt_client_collect(v, &s, 5000), -ENOTCONN);
		assert_int_equal(s.ndoms, 0);
	}
	assert_int_equal(F.opens, 3);
	F.fail_open = false;
	F.have_err = false;
	assert_int_equal(collect(v, 5000, &s), 0);
	assert_int_equal(s.ndoms, 4);
	snapshot_clear(&s);
	expect_xml_calls(1, 1, 1, 1);

	/* The connection breaks during the bulk call. */
	F.bulk_fail = VIR_ERR_SYSTEM_ERROR;
	snapshot_init(&s);
	assert_int_equal(libvirt_client_collect(v, &s, 5000), -ECONNRESET);
	assert_int_equal(s.ndoms, 0);
	assert_int_equal(F.closes, 1);
	assert_int_equal(F.deregistered, 1);

	/* The next collection reconnects, and refetches every XML because
	 * events may have been missed meanwhile. */
	F.bulk_fail = 0;
	F.have_err = false;
	assert_int_equal(collect(v, 5000, &s), 0);
	assert_int_equal(s.ndoms, 4);
	snapshot_clear(&s);
	assert_int_equal(F.opens, 5);
	assert_int_equal(F.registered, 2);
	expect_xml_calls(2, 2, 2, 2);

	/* A failure that is not the connection's keeps the connection. */
	F.bulk_fail = VIR_ERR_INTERNAL_ERROR;
	snapshot_init(&s);
	assert_int_equal(libvirt_client_collect(v, &s, 5000), -EIO);
	F.bulk_fail = 0;
	assert_int_equal(collect(v, 5000, &s), 0);
	snapshot_clear(&s);
	assert_int_equal(F.opens, 5);

	/* The connection dies between collections (the event pump noticed). */
	F.alive = 0;
	assert_int_equal(collect(v, 5000, &s), 0);
	snapshot_clear(&s);
	assert_int_equal(F.opens, 6);
	assert_int_equal(F.closes, 2);
	libvirt_client_free(v);

	static const char *const want[] = {
	    "warn libvirt fake:///: cannot connect: fake failure",
	    "info libvirt fake:///: connected",
	    "warn libvirt fake:///: domain stats failed: Cannot write data: Broken pipe",
	    "info libvirt fake:///: connected",
	    "warn libvirt fake:///: domain stats failed: fake failure",
	    "info libvirt fake:///: domain stats answered again",
	    "warn libvirt fake:///: connection lost, reconnecting",
	    "info libvirt fake:///: connected",
	};
	for (int i = 0; i < cap.n && i < 32; i++)
		print_message("log %d: %s\n", i, cap.lines[i]);
	assert_int_equal(cap.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_string_equal(cap.lines[i], want[i]);
}

static void wait_blocked(void)
{
	pthread_mutex_lock(&F.m);
	while (!F.blocked)
		pthread_cond_wait(&F.c, &F.m);
	pthread_mutex_unlock(&F.m);
}

static void unblock(void)
{
	pthread_mutex_lock(&F.m);
	F.block_bulk = false;
	F.release = true;
	pthread_cond_broadcast(&F.c);
	pthread_mutex_unlock(&F.m);
}

static int fake_count(const int *p)
{
	pthread_mutex_lock(&F.m);
	int n = *p;
	pthread_mutex_unlock(&F.m);
	return n;
}

/* Waits (at most 2 s) until libvirt has closed want connections: workers
 * left behind finish on their own after their call returns. */
static void wait_closes(int want)
{
	for (int i = 0; i < 200 && fake_count(&F.closes) < want; i++) {
		struct timespec ts = {0, 10000000L};
		nanosleep(&ts, NULL);
	}
	assert_int_equal(fake_count(&F.closes), want);
	struct timespec ts = {0, 50000000L}; /* let it reach free() before the leak check */
	nanosleep(&ts, NULL);
}

static void test_timeout(void **state)
{
	(void)state;
	fake_reset();
	struct libvirt_client *v = libvirt_client_new("fake:///", &fake_ops, NULL);
	struct snapshot s;

	/* libvirtd takes every bulk call and never answers. */
	F.block_bulk = true;
	double t0 = now_ms();
	snapshot_init(&s);
	assert_int_equal(libvirt_client_collect(v, &s, 200), -ETIMEDOUT);
	double took = now_ms() - t0;
	print_message("blocked collect returned after %.1f ms\n", took);
	assert_true(took >= 199 && took < 600);
	assert_int_equal(s.ndoms, 0);
	wait_blocked();

	/* The worker is still stuck over an open connection: the next two
	 * collections each leave it behind and try a fresh connection. */
	for (int i = 0; i < 2; i++) {
		t0 = now_ms();
		assert_int_equal(libvirt_client_collect(v, &s, 150), -ETIMEDOUT);
		took = now_ms() - t0;
		assert_true(took >= 149 && took < 600);
		assert_int_equal(fake_count(&F.bulk_calls), 2 + i);
		assert_int_equal(fake_count(&F.opens), 2 + i);
	}
	/* Two are left behind: no more, libvirt is down at once. */
	t0 = now_ms();
	assert_int_equal(libvirt_client_collect(v, &s, 150), -ETIMEDOUT);
	took = now_ms() - t0;
	print_message("collect with two workers left behind returned after %.1f ms\n", took);
	assert_true(took < 50);
	assert_int_equal(fake_count(&F.bulk_calls), 3);
	assert_int_equal(fake_count(&F.opens), 3);
	assert_int_equal(fake_count(&F.closes), 0);

	/* libvirt answers late: the two left behind close their connections
	 * and free themselves; the current worker's late answer is dropped
	 * and the next collection asks again and gets each domain once. */
	unblock();
	wait_closes(2);
	assert_int_equal(collect(v, 5000, &s), 0);
	assert_int_equal(fake_count(&F.bulk_calls), 4);
	assert_int_equal(fake_count(&F.opens), 3);
	assert_int_equal(s.ndoms, 4);
	snapshot_clear(&s);
	/* A worker can be left behind again once the others are gone. */
	F.block_bulk = true;
	F.blocked = false;
	snapshot_init(&s);
	assert_int_equal(libvirt_client_collect(v, &s, 50), -ETIMEDOUT);
	wait_blocked();
	unblock();
	/* Whether the late answer or the next request comes first, the
	 * collection gets every domain once. */
	assert_int_equal(collect(v, 5000, &s), 0);
	assert_int_equal(s.ndoms, 4);
	snapshot_clear(&s);

	/* virt_free does not hang on a worker stuck in libvirt. */
	F.block_bulk = true;
	F.blocked = false;
	snapshot_init(&s);
	assert_int_equal(libvirt_client_collect(v, &s, 50), -ETIMEDOUT);
	wait_blocked();
	t0 = now_ms();
	libvirt_client_free(v);
	took = now_ms() - t0;
	print_message("virt_free with a stuck worker took %.1f ms\n", took);
	assert_true(took < 3000);
	/* The left-behind worker finishes and frees itself. */
	unblock();
	int opens = fake_count(&F.opens);
	wait_closes(opens);
	assert_int_equal(fake_count(&F.deregistered), opens);
}

/*
 * A guest whose QEMU is stopped: the first bulk call holds its job and
 * waits.  The next collection leaves that worker behind; the fresh bulk
 * call (NOWAIT) returns every domain, the stuck one without guest fields,
 * and it is marked.  Nothing else waits on it.
 */
static void test_stuck_domain(void **state)
{
	(void)state;
	fake_reset();
	F.doms[1].balloon = FB_FULL;
	F.stuck = 1;
	struct logcap cap = {.m = PTHREAD_MUTEX_INITIALIZER};
	struct kvm_log lg = {capture, &cap, LOG_LVL_DEBUG};
	struct libvirt_client *v = libvirt_client_new("fake:///", &fake_ops, &lg);
	struct snapshot s;

	snapshot_init(&s);
	assert_int_equal(libvirt_client_collect(v, &s, 200), -ETIMEDOUT);
	wait_blocked();
	for (int i = 0; i < 3; i++) {
		double t0 = now_ms();
		assert_int_equal(collect(v, 1000, &s), 0);
		double took = now_ms() - t0;
		print_message("collect %d with a stuck domain: %.1f ms\n", i, took);
		assert_true(took < 500);
		assert_int_equal(s.ndoms, 4);
		const struct dom_snap *a = find(&s, "a-full");
		assert_int_equal(a->f[DF_BALLOON_STATS_SKIPPED].v.u, 0);
		assert_int_equal(a->f[DF_GUEST_UNUSED_BYTES].v.u, 174552ULL * 1024);
		const struct dom_snap *b = find(&s, "b-testdrv");
		uint64_t w[DF_COUNT];
		all_absent(w);
		w[DF_STATE] = 1;
		w[DF_MEMORY_MAXIMUM_BYTES] = 2097152ULL * 1024;
		w[DF_BALLOON_CURRENT_BYTES] = 262144ULL * 1024;
		w[DF_STATS_PERIOD_SECONDS] = 0;
		w[DF_BALLOON_STATS_SKIPPED] = 1;
		expect_fields(b, w);
		assert_true(b->config.nosharepages);
		snapshot_clear(&s);
	}
	/* One connection left behind, one fresh; no per-domain call waited. */
	assert_int_equal(fake_count(&F.opens), 2);
	assert_int_equal(fake_count(&F.closes), 0);
	for (int i = 0; i < NDOM; i++)
		assert_int_equal(F.doms[i].memstats_calls, 0);
	expect_xml_calls(1, 1, 1, 1);

	/* SIGCONT: the stuck call returns, its worker closes its connection
	 * and frees itself; the domain is no longer marked. */
	unblock();
	wait_closes(1);
	assert_int_equal(collect(v, 1000, &s), 0);
	assert_int_equal(find(&s, "b-testdrv")->f[DF_BALLOON_STATS_SKIPPED].v.u, 0);
	assert_int_equal(find(&s, "b-testdrv")->f[DF_GUEST_UNUSED_BYTES].v.u, 174552ULL * 1024);
	snapshot_clear(&s);

	/* Stopped again, now that collections are known to be quick: the
	 * same collection gives up on its worker after a second and gets the
	 * answer from a fresh one within its deadline. */
	pthread_mutex_lock(&F.m);
	F.release = false;
	pthread_mutex_unlock(&F.m);
	double t0 = now_ms();
	assert_int_equal(collect(v, 4000, &s), 0);
	double took = now_ms() - t0;
	print_message("collect that meets the stuck domain itself: %.1f ms\n", took);
	assert_true(took >= 999 && took < 2000);
	assert_int_equal(s.ndoms, 4);
	assert_int_equal(find(&s, "b-testdrv")->f[DF_BALLOON_STATS_SKIPPED].v.u, 1);
	assert_int_equal(find(&s, "a-full")->f[DF_GUEST_UNUSED_BYTES].v.u, 174552ULL * 1024);
	snapshot_clear(&s);
	assert_int_equal(fake_count(&F.opens), 3);
	/* The connection left behind still delivers lifecycle events, so the
	 * fresh one does not refetch every XML. */
	expect_xml_calls(1, 1, 1, 1);
	unblock();
	wait_closes(2);
	libvirt_client_free(v);
	assert_int_equal(fake_count(&F.closes), 3);

	static const char *const want[] = {
	    "info libvirt fake:///: a request is stuck in libvirtd; continuing on a new connection",
	    "info libvirt fake:///: a request is stuck in libvirtd; continuing on a new connection",
	};
	for (int i = 0; i < cap.n && i < 32; i++)
		print_message("log %d: %s\n", i, cap.lines[i]);
	assert_int_equal(cap.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_string_equal(cap.lines[i], want[i]);
}

/* A domain destroyed between listing and reading: no warning. */
static void test_vanished_domain(void **state)
{
	(void)state;
	fake_reset();
	F.doms[2].xml_fail = VIR_ERR_NO_DOMAIN;
	F.doms[3].xml_fail = VIR_ERR_INTERNAL_ERROR;
	struct logcap cap = {.m = PTHREAD_MUTEX_INITIALIZER};
	struct kvm_log lg = {capture, &cap, LOG_LVL_DEBUG};
	struct libvirt_client *v = libvirt_client_new("fake:///", &fake_ops, &lg);
	struct snapshot s;
	assert_int_equal(collect(v, 5000, &s), 0);
	assert_int_equal(s.ndoms, 4);
	assert_false(find(&s, "c-off")->config.present);
	snapshot_clear(&s);
	libvirt_client_free(v);
	static const char *const want[] = {
	    "warn d-paused: domain XML: fake failure",
	};
	for (int i = 0; i < cap.n && i < 32; i++)
		print_message("log %d: %s\n", i, cap.lines[i]);
	assert_int_equal(cap.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_string_equal(cap.lines[i], want[i]);
}

/* Enough domains to grow the XML cache's table several times, some of
 * them vanishing and coming back: every lookup still finds its entry. */
static void test_many_domains(void **state)
{
	(void)state;
	fake_reset();
	F.ndoms = NDOM_MAX;
	for (int i = NDOM; i < NDOM_MAX; i++) {
		struct fdom *d = &F.doms[i];
		*d = (struct fdom){.name = d->gname,
		                   .uuid = d->guuid,
		                   .state = VIR_DOMAIN_RUNNING,
		                   .listed = true,
		                   .balloon = FB_FULL,
		                   .xml = XML_A};
		snprintf(d->gname, sizeof(d->gname), "gen-%03d", i);
		snprintf(d->guuid, sizeof(d->guuid), "00000000-0000-4000-8000-%012d", 1000 + i);
	}
	struct libvirt_client *v = libvirt_client_new("fake:///", &fake_ops, NULL);
	struct snapshot s;
	for (int k = 0; k < 3; k++) {
		assert_int_equal(collect(v, 5000, &s), 0);
		assert_int_equal(s.ndoms, NDOM_MAX);
		snapshot_clear(&s);
	}
	for (int i = 0; i < NDOM_MAX; i++)
		if (F.doms[i].xml_calls != 1 || F.doms[i].uuid_calls != 1)
			fail_msg("%s: %d XML fetches, %d UUID calls", F.doms[i].name, F.doms[i].xml_calls,
			         F.doms[i].uuid_calls);
	for (int i = NDOM; i < NDOM_MAX; i += 2)
		F.doms[i].listed = false;
	assert_int_equal(collect(v, 5000, &s), 0);
	assert_int_equal(s.ndoms, NDOM + (NDOM_MAX - NDOM) / 2);
	snapshot_clear(&s);
	for (int i = NDOM; i < NDOM_MAX; i += 2)
		F.doms[i].listed = true;
	assert_int_equal(collect(v, 5000, &s), 0);
	assert_int_equal(s.ndoms, NDOM_MAX);
	snapshot_clear(&s);
	for (int i = 0; i < NDOM_MAX; i++)
		assert_int_equal(F.doms[i].xml_calls, i >= NDOM && (i - NDOM) % 2 == 0 ? 2 : 1);
	/* A lifecycle event still finds its entry in the grown table. */
	queue_event(NDOM_MAX - 1);
	assert_int_equal(collect(v, 5000, &s), 0);
	snapshot_clear(&s);
	assert_int_equal(F.doms[NDOM_MAX - 1].xml_calls, 2);
	assert_int_equal(F.doms[NDOM_MAX - 3].xml_calls, 1);
	libvirt_client_free(v);
}

static int loop_runs(void)
{
	pthread_mutex_lock(&F.m);
	int n = F.loop_runs;
	pthread_mutex_unlock(&F.m);
	return n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* libvirt's event loop runs on the worker, never blocking: two iterations
 * before each collection, one pump whenever the worker was idle for its
 * interval, and no thread of its own. */
static void test_event_pump(void **state)
{
	(void)state;
	fake_reset();
	F.doms[1].balloon = FB_FULL;
	struct snapshot s;

	/* The default interval (10 s) never comes within this test. */
	struct libvirt_client *v = libvirt_client_new("fake:///", &fake_ops, NULL);
	sleep_ms(100);
	assert_int_equal(loop_runs(), 0);
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(collect(v, 5000, &s), 0);
		snapshot_clear(&s);
		assert_int_equal(loop_runs(), 2 * i);
	}
	sleep_ms(100);
	assert_int_equal(loop_runs(), 6);
	libvirt_client_free(v);

	/* Idle pumps: without a connection there is nothing to pump. */
	fake_reset();
	F.doms[1].balloon = FB_FULL;
	v = libvirt_client_new("fake:///", &fake_ops, NULL);
	libvirt_client_set_pump_idle_ms(v, 20);
	sleep_ms(100);
	assert_int_equal(loop_runs(), 0);
	assert_int_equal(collect(v, 5000, &s), 0);
	snapshot_clear(&s);
	expect_xml_calls(1, 1, 1, 1);
	/* An event sent while nobody collects is handed out by an idle pump:
	 * gone from the socket before the next collection's pump. */
	queue_event(1);
	for (int i = 0; i < 100; i++) {
		pthread_mutex_lock(&F.m);
		int left = F.nqueued;
		pthread_mutex_unlock(&F.m);
		if (left == 0 && loop_runs() >= 6)
			break;
		sleep_ms(10);
	}
	int idle_runs = loop_runs() - 2;
	print_message("idle pump iterations in ~%d ms: %d\n", 20 * idle_runs / 2, idle_runs);
	assert_true(idle_runs >= 4);
	assert_int_equal(idle_runs % 2, 0);
	assert_int_equal(collect(v, 5000, &s), 0);
	snapshot_clear(&s);
	expect_xml_calls(1, 2, 1, 1);
	libvirt_client_free(v);

	pthread_mutex_lock(&F.m);
	assert_int_equal(F.loop_runs_blocking, 0);
	assert_int_equal(F.timers, 0);
	pthread_mutex_unlock(&F.m);
}

/* The real test driver with the k6.18 fixture: in-process, no daemon. */
static void test_real_test_driver(void **state)
{
	(void)state;
	struct logcap cap = {.m = PTHREAD_MUTEX_INITIALIZER};
	struct kvm_log lg = {capture, &cap, LOG_LVL_DEBUG};
	struct libvirt_client *v = libvirt_client_new("test://" FIXTURES "/hosts/k6.18/libvirt.xml", NULL, &lg);
	assert_non_null(v);
	struct snapshot s;
	assert_int_equal(collect(v, 10000, &s), 0);
	assert_int_equal(s.ndoms, 13);
	static const char *const names[] = {
	    "caf\xc3\xa9",        "comma,name", "noballoon", "noperiod", "noshare",    "paused-vm", "pinned",
	    "quote\"back\\slash", "recycled",   "scanned",   "stale",    "stopped-vm", "web-01"};
	for (size_t i = 0; i < 13; i++)
		assert_string_equal(s.doms[i].name, names[i]);

	uint64_t w[DF_COUNT];
	/* web-01: currentMemory 786432 KiB; the test driver derives the
	 * guest values from it (unused = usable = rss = cur/2, caches cur/8). */
	const struct dom_snap *d = find(&s, "web-01");
	assert_string_equal(d->uuid, "4d2c6a10-8e3b-4f5a-9c1d-000000004101");
	all_absent(w);
	w[DF_STATE] = 1;
	w[DF_MEMORY_MAXIMUM_BYTES] = 1048576ULL * 1024;
	w[DF_BALLOON_CURRENT_BYTES] = 786432ULL * 1024;
	w[DF_STATS_PERIOD_SECONDS] = 5;
	w[DF_GUEST_UNUSED_BYTES] = 393216ULL * 1024;
	w[DF_GUEST_AVAILABLE_BYTES] = 786432ULL * 1024;
	w[DF_GUEST_USABLE_BYTES] = 393216ULL * 1024;
	w[DF_GUEST_DISK_CACHES_BYTES] = 98304ULL * 1024;
	w[DF_GUEST_SWAP_IN_BYTES] = 0;
	w[DF_GUEST_SWAP_OUT_BYTES] = 0;
	w[DF_GUEST_MAJOR_FAULTS] = 0;
	w[DF_GUEST_MINOR_FAULTS] = 0;
	w[DF_GUEST_HUGETLB_ALLOCS] = 0;
	w[DF_GUEST_HUGETLB_FAILURES] = 0;
	w[DF_GUEST_STATS_UPDATED] = 627319920;
	w[DF_RSS_BYTES] = 393216ULL * 1024;
	w[DF_BALLOON_STATS_SKIPPED] = 0;
	expect_fields(d, w);
	assert_string_equal(d->config.balloon, "virtio");

	d = find(&s, "stopped-vm");
	all_absent(w);
	w[DF_STATE] = 5;
	w[DF_MEMORY_MAXIMUM_BYTES] = 3145728ULL * 1024;
	w[DF_STATS_PERIOD_SECONDS] = 5;
	expect_fields(d, w);

	d = find(&s, "paused-vm");
	all_absent(w);
	w[DF_STATE] = 3;
	w[DF_MEMORY_MAXIMUM_BYTES] = 1572864ULL * 1024;
	w[DF_STATS_PERIOD_SECONDS] = 5;
	expect_fields(d, w);

	d = find(&s, "pinned");
	assert_int_equal(d->f[DF_MEMORY_MAXIMUM_BYTES].v.u, 4ULL << 30);
	assert_true(d->config.hugepages && d->config.locked && !d->config.nosharepages);
	d = find(&s, "noballoon");
	assert_string_equal(d->config.balloon, "none");
	assert_false(d->f[DF_STATS_PERIOD_SECONDS].present);
	d = find(&s, "noperiod");
	assert_true(d->f[DF_STATS_PERIOD_SECONDS].present);
	assert_int_equal(d->f[DF_STATS_PERIOD_SECONDS].v.u, 0);
	d = find(&s, "noshare");
	assert_true(d->config.nosharepages);
	d = find(&s, "caf\xc3\xa9");
	assert_int_equal(d->f[DF_MEMORY_MAXIMUM_BYTES].v.u, 2560ULL << 20);
	snapshot_clear(&s);

	/* A second collection over the same connection agrees. */
	assert_int_equal(collect(v, 10000, &s), 0);
	assert_int_equal(s.ndoms, 13);
	assert_int_equal(find(&s, "comma,name")->f[DF_BALLOON_CURRENT_BYTES].v.u, 262144ULL * 1024);
	snapshot_clear(&s);
	libvirt_client_free(v);
	for (int i = 0; i < cap.n && i < 32; i++)
		print_message("log %d: %s\n", i, cap.lines[i]);
	assert_int_equal(cap.n, 0);
}

static void test_unreachable_real(void **state)
{
	(void)state;
	struct logcap cap = {.m = PTHREAD_MUTEX_INITIALIZER};
	struct kvm_log lg = {capture, &cap, LOG_LVL_DEBUG};
	/* libvirt's default error handler would print "libvirt: XML error :
	 * ..." on stderr; the failed open must reach only our log. */
	char errpath[] = "/tmp/kvmmem-test-virt-stderr.XXXXXX";
	int errfd = mkstemp(errpath);
	assert_true(errfd >= 0);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(errfd, STDERR_FILENO), STDERR_FILENO);
	struct libvirt_client *v = libvirt_client_new("test:///nonexistent/kvmmem/none.xml", NULL, &lg);
	struct snapshot s;
	snapshot_init(&s);
	int rc1 = libvirt_client_collect(v, &s, 10000);
	int rc2 = libvirt_client_collect(v, &s, 10000);
	libvirt_client_free(v);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_int_equal(rc1, -ENOTCONN);
	assert_int_equal(rc2, -ENOTCONN);
	assert_int_equal(s.ndoms, 0);
	/* libxml2 may warn about the missing file on its own; no line may
	 * come from libvirt's error handler. */
	char text[4096];
	ssize_t got = pread(errfd, text, sizeof(text) - 1, 0);
	close(errfd);
	unlink(errpath);
	assert_true(got >= 0);
	text[got] = '\0';
	print_message("stderr during the failed open: [%s]\n", text);
	for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, "libvirt:", 8) == 0)
			fail_msg("libvirt printed to stderr: %s", line);
	assert_int_equal(cap.n, 1);
	assert_string_equal(cap.lines[0],
	                    "warn libvirt test:///nonexistent/kvmmem/none.xml: cannot connect: XML error: "
	                    "failed to parse xml document '/nonexistent/kvmmem/none.xml'");
}

/* 0: fail as libvirt does without a version. */
static unsigned long fake_version;

static int f_get_version(unsigned long *lib_ver, const char *type, unsigned long *type_ver)
{
	(void)type;
	(void)type_ver;
	if (fake_version == 0)
		return -1;
	*lib_ver = fake_version;
	return 0;
}

static void test_library_version(void **state)
{
	(void)state;
	char want[32], got[32];
	snprintf(want, sizeof(want), "%d.%d.%d", LIBVIR_VERSION_NUMBER / 1000000, LIBVIR_VERSION_NUMBER / 1000 % 1000,
	         LIBVIR_VERSION_NUMBER % 1000);
	libvirt_library_version(NULL, got, sizeof(got));
	assert_string_equal(got, want);

	/* Through the ops table, like every other libvirt call. */
	struct libvirt_ops ops = fake_ops;
	ops.get_version = f_get_version;
	fake_version = 9001002;
	libvirt_library_version(&ops, got, sizeof(got));
	assert_string_equal(got, "9.1.2");
	fake_version = 0;
	libvirt_library_version(&ops, got, sizeof(got));
	assert_string_equal(got, "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mapping),          cmocka_unit_test(test_fallback),
	    cmocka_unit_test(test_xml_cache),        cmocka_unit_test(test_connection_errors),
	    cmocka_unit_test(test_timeout),          cmocka_unit_test(test_stuck_domain),
	    cmocka_unit_test(test_vanished_domain),  cmocka_unit_test(test_many_domains),
	    cmocka_unit_test(test_real_test_driver), cmocka_unit_test(test_unreachable_real),
	    cmocka_unit_test(test_library_version),  cmocka_unit_test(test_event_pump),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
