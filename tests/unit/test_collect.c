/*
 * test_collect.c - one collection over the collector table: the dependency
 * rule as a case table, which collectors run and report, pids asked of the
 * backends only for per-domain sources, and -EIO only when collectors ran
 * and none of them succeeded.  Real sources on the fixture hosts, libvirt
 * through its test driver.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "model/collect.h"

#define K618 FIXTURES "/hosts/k6.18"

/* Enabled sets as bit masks of collector ids, so a table row is one line. */
#define B(id) (1u << COLL_##id)

static void mask_to(unsigned mask, bool out[COLL_COUNT])
{
	for (int i = 0; i < COLL_COUNT; i++)
		out[i] = (mask >> i) & 1u;
}

static unsigned mask_of(const bool in[COLL_COUNT])
{
	unsigned m = 0;
	for (int i = 0; i < COLL_COUNT; i++)
		if (in[i])
			m |= 1u << i;
	return m;
}

static void test_dependency_rule(void **state)
{
	(void)state;
	static const struct {
		unsigned enabled, run;
	} t[] = {
	    {0, 0},
	    {B(KSM) | B(MEMINFO), B(KSM) | B(MEMINFO)},
	    /* Per-domain KSM without any backend has no domain to read. */
	    {B(DOMAIN_KSM), 0},
	    {B(KSM) | B(DOMAIN_KSM), B(KSM)},
	    {B(LIBVIRT) | B(DOMAIN_KSM), B(LIBVIRT) | B(DOMAIN_KSM)},
	    {B(LIBVIRT), B(LIBVIRT)},
	    {B(KSM) | B(MEMINFO) | B(LIBVIRT) | B(DOMAIN_KSM), B(KSM) | B(MEMINFO) | B(LIBVIRT) | B(DOMAIN_KSM)},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool en[COLL_COUNT], run[COLL_COUNT];
		mask_to(t[i].enabled, en);
		collect_effective(en, run);
		if (mask_of(run) != t[i].run)
			fail_msg("case %zu: enabled %#x runs %#x, want %#x", i, t[i].enabled, mask_of(run), t[i].run);
	}
}

/* Every row of the table names a distinct collector whose kind the
 * collection knows, and looks itself up by name. */
static void test_table(void **state)
{
	(void)state;
	for (int i = 0; i < COLL_COUNT; i++) {
		const struct collector_def *d = collector_def((enum collector_id)i);
		enum collector_id id;
		assert_non_null(d);
		assert_non_null(d->create);
		assert_non_null(d->collect);
		assert_non_null(d->destroy);
		assert_int_equal(collector_lookup(d->name, &id), 0);
		assert_int_equal(id, i);
		assert_true(d->kind == COLLECTOR_HOST || d->kind == COLLECTOR_BACKEND ||
		            d->kind == COLLECTOR_PER_DOMAIN);
		/* Only backends list domains, so only they find pids. */
		assert_true(d->find_pids == NULL || d->kind == COLLECTOR_BACKEND);
	}
	assert_null(collector_def(COLL_COUNT));
}

static struct collect_opts opts(unsigned enabled, const char *host)
{
	struct collect_opts o;
	collect_opts_default(&o);
	mask_to(enabled, o.enabled);
	o.env.sysfs = host ? K618 "/sys" : "/nonexistent/kvmmem/sys";
	o.env.procfs = host ? K618 "/proc" : "/nonexistent/kvmmem/proc";
	o.env.libvirt_run = K618 "/run";
	o.libvirt.uri = "test://" K618 "/libvirt.xml";
	o.timeout_ms = 20000;
	return o;
}

struct outcome {
	int rc;
	unsigned ran, succeeded;
	size_t ndoms;
	size_t with_pid;
	size_t with_ksm;
};

static struct outcome run_once(const struct collect_opts *o)
{
	struct outcome out = {0};
	struct collection *c = collection_new(o);
	assert_non_null(c);
	struct snapshot s;
	snapshot_init(&s);
	out.rc = collection_run(c, &s);
	for (int i = 0; i < COLL_COUNT; i++) {
		assert_true(s.coll[i].enabled == s.coll[i].ran);
		if (s.coll[i].ran)
			out.ran |= 1u << i;
		if (s.coll[i].success)
			out.succeeded |= 1u << i;
	}
	out.ndoms = s.ndoms;
	for (size_t i = 0; i < s.ndoms; i++) {
		if (s.doms[i].pid > 0)
			out.with_pid++;
		if (s.doms[i].f[DF_KSM_MERGING_PAGES].present)
			out.with_ksm++;
	}
	snapshot_clear(&s);
	collection_free(c);
	return out;
}

static void test_outcomes(void **state)
{
	(void)state;
	struct collect_opts o;
	struct outcome r;

	/* Nothing enabled: nothing ran, which is no failure. */
	o = opts(0, K618);
	r = run_once(&o);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.ran, 0);

	/* Host sources that cannot read anything: -EIO. */
	o = opts(B(KSM) | B(MEMINFO), NULL);
	r = run_once(&o);
	assert_int_equal(r.rc, -EIO);
	assert_int_equal(r.ran, B(KSM) | B(MEMINFO));
	assert_int_equal(r.succeeded, 0);

	/* One of them succeeding is enough for 0. */
	o = opts(B(KSM) | B(MEMINFO), K618);
	o.env.procfs = "/nonexistent/kvmmem/proc";
	r = run_once(&o);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.succeeded, B(KSM));

	/* libvirt alone: domains, but no pid is asked for. */
	o = opts(B(LIBVIRT), K618);
	r = run_once(&o);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.succeeded, B(LIBVIRT));
	assert_int_equal(r.ndoms, 13);
	assert_int_equal(r.with_pid, 0);

	/* With per-domain KSM the backend finds the pids of the domains with a
	 * process: 12 on k6.18, less "recycled" (its pid is another program's)
	 * and "stale" (no such process); each of the 10 has KSM values. */
	o = opts(B(LIBVIRT) | B(DOMAIN_KSM), K618);
	r = run_once(&o);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.ran, B(LIBVIRT) | B(DOMAIN_KSM));
	assert_int_equal(r.with_pid, 10);
	assert_int_equal(r.with_ksm, 10);

	/* libvirt and qemu: the qemu backend skips the processes libvirt's
	 * domains run, so their pids are asked for before it runs, and adds
	 * no domain (k6.18's QEMU processes are all libvirt's). */
	o = opts(B(LIBVIRT) | B(QEMU), K618);
	o.env.qemu_server_run = "/nonexistent/kvmmem/qemu-server";
	r = run_once(&o);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.succeeded, B(LIBVIRT) | B(QEMU));
	assert_int_equal(r.ndoms, 13);
	assert_int_equal(r.with_pid, 10);

	/* qemu alone, as with libvirtd down: libvirt's 10 QEMU processes
	 * ("scanned" among them, and the other program behind "recycled" not),
	 * each with its pid. */
	o = opts(B(QEMU), K618);
	o.env.qemu_server_run = "/nonexistent/kvmmem/qemu-server";
	r = run_once(&o);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.ndoms, 10);
	assert_int_equal(r.with_pid, 10);

	/* Per-domain KSM without a backend does not run at all. */
	o = opts(B(DOMAIN_KSM), K618);
	r = run_once(&o);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.ran, 0);
}

static void test_library_version(void **state)
{
	(void)state;
	char buf[32];
	collector_library_version(COLL_KSM, buf, sizeof(buf));
	assert_string_equal(buf, "unknown");
	collector_library_version(COLL_LIBVIRT, buf, sizeof(buf));
	assert_true(buf[0] >= '1' && buf[0] <= '9');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dependency_rule),
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_outcomes),
	    cmocka_unit_test(test_library_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
