/* test_landing.c - the page at / and the first-run message: exact HTML for hand-built snapshots (a busy host
 * with every kind of status, a host without VMs, no collection yet), HTML escaping of every string, and which
 * summaries count as "nothing found".  A new collector in the table is one more row in the expected pages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "landing.h"

static void status(struct snapshot *s, enum collector_id id, bool enabled, bool ran, bool success)
{
	s->coll[id] = (struct coll_status){.enabled = enabled, .ran = ran, .success = success, .duration_seconds = 0.5};
}

static void add(struct snapshot *s, const char *name, enum dom_source src, enum dom_state st)
{
	struct dom_snap *d = snapshot_add_domain(s, name, NULL);

	assert_non_null(d);
	d->source = src;
	mval_set_u64(&d->f[DF_STATE], st);
}

/* Renders f into a string the caller frees. */
static char *render(const struct found *f, const struct landing_view *v)
{
	struct buf b;
	size_t len;

	buf_init(&b, 1 << 20);
	assert_int_equal(landing_render(f, v, &b), 0);
	char *page = buf_steal(&b, &len);
	assert_non_null(page);
	return page;
}

static const char busy_page[] =
    "<!DOCTYPE html>\n"
    "<html>\n"
    "<head><meta charset=\"utf-8\"><title>kvmmem exporter</title></head>\n"
    "<body>\n"
    "<h1>kvmmem exporter</h1>\n"
    "<p>virtio-balloon and KSM memory metrics of this KVM host.</p>\n"
    "<ul>\n"
    "<li><a href=\"/m&lt;x&gt;\">/m&lt;x&gt;</a></li>\n"
    "<li><a href=\"/-/healthy\">/-/healthy</a></li>\n"
    "</ul>\n"
    "<h2>What this exporter found</h2>\n"
    "<p>As of collection 7, 2 s ago.</p>\n"
    "<h3>Sources</h3>\n"
    "<table>\n"
    "<tr><th>collector</th><th>kind</th><th>status</th><th>why</th></tr>\n"
    "<tr><td>ksm</td><td>host</td><td>up</td><td></td></tr>\n"
    "<tr><td>meminfo</td><td>host</td><td>up</td><td></td></tr>\n"
    "<tr><td>libvirt</td><td>backend</td><td>up</td><td>3 domains at test:///a&lt;b&gt;&amp;&quot;c&#39;</td></tr>\n"
    "<tr><td>qemu</td><td>backend</td><td>up</td><td>2 QEMU processes without libvirt in /host/proc</td></tr>\n"
    "<tr><td>domain_ksm</td><td>per-domain</td><td>off</td><td>turned off by --no-collector.domain_ksm</td></tr>\n"
    "<tr><td>cgroup</td><td>per-domain</td><td>down</td><td>the collection failed; the log says why</td></tr>\n"
    "<tr><td>qmp</td><td>per-domain</td><td>off</td><td>off by default; --collector.qmp turns it on</td></tr>\n"
    "</table>\n"
    "<h3>Domains</h3>\n"
    "<table>\n"
    "<tr><th>source</th><th>state</th><th>domains</th></tr>\n"
    "<tr><td>libvirt</td><td>running</td><td>2</td></tr>\n"
    "<tr><td>libvirt</td><td>shut off</td><td>1</td></tr>\n"
    "<tr><td>proxmox</td><td>paused</td><td>1</td></tr>\n"
    "<tr><td>qemu</td><td>running</td><td>1</td></tr>\n"
    "<tr><td>all</td><td></td><td>5</td></tr>\n"
    "</table>\n"
    "<h3>Collectors enabled</h3>\n"
    "<p>ksm, meminfo, libvirt, qemu, cgroup</p>\n"
    "</body>\n"
    "</html>\n";

/* Every status a collector can have, domains of every source, and strings that need escaping. */
static void test_busy_host(void **state)
{
	(void)state;
	struct snapshot s;
	struct collect_flags fl;
	struct found f;

	collect_flags_defaults(&fl);
	fl.libvirt_uri = "test:///a<b>&\"c'";
	fl.procfs = "/host/proc";
	fl.collectors[COLL_DOMAIN_KSM] = false;
	snapshot_init(&s);
	status(&s, COLL_KSM, true, true, true);
	status(&s, COLL_MEMINFO, true, true, true);
	status(&s, COLL_LIBVIRT, true, true, true);
	status(&s, COLL_QEMU, true, true, true);
	status(&s, COLL_DOMAIN_KSM, false, false, false);
	status(&s, COLL_CGROUP, true, true, false);
	add(&s, "web", DOM_SOURCE_LIBVIRT, DOM_STATE_RUNNING);
	add(&s, "db", DOM_SOURCE_LIBVIRT, DOM_STATE_RUNNING);
	add(&s, "old", DOM_SOURCE_LIBVIRT, DOM_STATE_SHUTOFF);
	add(&s, "100", DOM_SOURCE_PROXMOX, DOM_STATE_PAUSED);
	add(&s, "plain", DOM_SOURCE_QEMU, DOM_STATE_RUNNING);
	found_of(&s, 0, 7, &f);
	assert_false(found_nothing(&f));

	struct landing_view v = {.telemetry_path = "/m<x>", .flags = &fl, .age_s = 2.6};
	char *page = render(&f, &v);
	assert_string_equal(page, busy_page);
	free(page);
	snapshot_clear(&s);
}

static const char empty_page[] =
    "<!DOCTYPE html>\n"
    "<html>\n"
    "<head><meta charset=\"utf-8\"><title>kvmmem exporter</title></head>\n"
    "<body>\n"
    "<h1>kvmmem exporter</h1>\n"
    "<p>virtio-balloon and KSM memory metrics of this KVM host.</p>\n"
    "<ul>\n"
    "<li><a href=\"/metrics\">/metrics</a></li>\n"
    "<li><a href=\"/-/healthy\">/-/healthy</a></li>\n"
    "</ul>\n"
    "<h2>What this exporter found</h2>\n"
    "<p>As of collection 1, 0 s ago.</p>\n"
    "<p>No virtual machine was found on this host: no domain from any backend and libvirt not up. On a machine without "
    "VMs that is right. To see every family with sample data, run <code>make demo</code> in the source tree.</p>\n"
    "<h3>Sources</h3>\n"
    "<table>\n"
    "<tr><th>collector</th><th>kind</th><th>status</th><th>why</th></tr>\n"
    "<tr><td>ksm</td><td>host</td><td>up</td><td></td></tr>\n"
    "<tr><td>meminfo</td><td>host</td><td>up</td><td></td></tr>\n"
    "<tr><td>libvirt</td><td>backend</td><td>down</td><td>cannot list the domains at qemu:///system: libvirtd not "
    "running, no access to its socket, or too slow; the log says which</td></tr>\n"
    "<tr><td>qemu</td><td>backend</td><td>up</td><td>0 QEMU processes without libvirt in /proc</td></tr>\n"
    "<tr><td>domain_ksm</td><td>per-domain</td><td>up</td><td></td></tr>\n"
    "<tr><td>cgroup</td><td>per-domain</td><td>up</td><td></td></tr>\n"
    "<tr><td>qmp</td><td>per-domain</td><td>off</td><td>off by default; --collector.qmp turns it on</td></tr>\n"
    "</table>\n"
    "<h3>Domains</h3>\n"
    "<table>\n"
    "<tr><th>source</th><th>state</th><th>domains</th></tr>\n"
    "<tr><td>all</td><td></td><td>0</td></tr>\n"
    "</table>\n"
    "<h3>Collectors enabled</h3>\n"
    "<p>ksm, meminfo, libvirt, qemu, domain_ksm, cgroup</p>\n"
    "</body>\n"
    "</html>\n";

static const char empty_lines[] =
    "found no virtual machine on this host: libvirt at qemu:///system is not up and no QEMU process runs in /proc\n"
    "the host metrics (KSM, memory) are served as usual; on a machine without VMs the per-domain families are empty "
    "and that is right\n"
    "to see every family with sample data, run `make demo` in the source tree: it serves a bundled sample host on the "
    "same port\n";

/* No libvirt and no QEMU process: the page and the log say so and point to make demo. */
static void test_host_without_vms(void **state)
{
	(void)state;
	struct snapshot s;
	struct collect_flags fl;
	struct found f;
	struct buf b;

	collect_flags_defaults(&fl);
	snapshot_init(&s);
	status(&s, COLL_KSM, true, true, true);
	status(&s, COLL_MEMINFO, true, true, true);
	status(&s, COLL_LIBVIRT, true, true, false);
	status(&s, COLL_QEMU, true, true, true);
	status(&s, COLL_DOMAIN_KSM, true, true, true);
	status(&s, COLL_CGROUP, true, true, true);
	found_of(&s, 0, 1, &f);
	assert_true(found_nothing(&f));

	struct landing_view v = {.telemetry_path = "/metrics", .flags = &fl, .age_s = 0};
	char *page = render(&f, &v);
	assert_string_equal(page, empty_page);
	free(page);

	buf_init(&b, 4096);
	assert_int_equal(found_nothing_lines(&fl, &f, &b), 0);
	assert_int_equal(buf_putc(&b, '\0'), 0);
	assert_string_equal(b.data, empty_lines);
	buf_free(&b);
	snapshot_clear(&s);
}

static const char no_collection_page[] = "<!DOCTYPE html>\n"
                                         "<html>\n"
                                         "<head><meta charset=\"utf-8\"><title>kvmmem exporter</title></head>\n"
                                         "<body>\n"
                                         "<h1>kvmmem exporter</h1>\n"
                                         "<p>virtio-balloon and KSM memory metrics of this KVM host.</p>\n"
                                         "<ul>\n"
                                         "<li><a href=\"/metrics\">/metrics</a></li>\n"
                                         "<li><a href=\"/-/healthy\">/-/healthy</a></li>\n"
                                         "</ul>\n"
                                         "<h2>What this exporter found</h2>\n"
                                         "<p>No collection has finished yet.</p>\n"
                                         "</body>\n"
                                         "</html>\n";

static void test_no_collection_yet(void **state)
{
	(void)state;
	struct collect_flags fl;
	struct found f;

	collect_flags_defaults(&fl);
	memset(&f, 0, sizeof(f));
	assert_false(found_nothing(&f));
	struct landing_view v = {.telemetry_path = "/metrics", .flags = &fl, .age_s = 0};
	char *page = render(&f, &v);
	assert_string_equal(page, no_collection_page);
	free(page);
}

/* "Nothing found" needs both: no domain from any backend and libvirt not up. */
static void test_nothing_found_cases(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		bool libvirt_enabled, libvirt_success;
		enum dom_source src; /* of the one domain, when ndoms */
		size_t ndoms;
		bool nothing;
	} cases[] = {
	    {"libvirt down, no domain", true, false, DOM_SOURCE_QEMU, 0, true},
	    {"libvirt off, no domain", false, false, DOM_SOURCE_QEMU, 0, true},
	    {"libvirt up, no domain", true, true, DOM_SOURCE_QEMU, 0, false},
	    {"libvirt down, one QEMU process", true, false, DOM_SOURCE_QEMU, 1, false},
	    {"libvirt off, one Proxmox guest", false, false, DOM_SOURCE_PROXMOX, 1, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct snapshot s;
		struct found f;

		snapshot_init(&s);
		status(&s, COLL_LIBVIRT, cases[i].libvirt_enabled, cases[i].libvirt_enabled, cases[i].libvirt_success);
		if (cases[i].ndoms > 0)
			add(&s, "vm", cases[i].src, DOM_STATE_RUNNING);
		found_of(&s, 0, 1, &f);
		if (found_nothing(&f) != cases[i].nothing)
			fail_msg("%s: found_nothing is %d", cases[i].name, !cases[i].nothing);
		snapshot_clear(&s);
	}
}

/* A state out of range counts as no state instead of writing past the table. */
static void test_state_out_of_range(void **state)
{
	(void)state;
	struct snapshot s;
	struct found f;

	snapshot_init(&s);
	add(&s, "odd", DOM_SOURCE_LIBVIRT, (enum dom_state)99);
	found_of(&s, 0, 1, &f);
	assert_int_equal(f.doms[DOM_SOURCE_LIBVIRT][DOM_STATE_NOSTATE], 1);
	snapshot_clear(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_busy_host),          cmocka_unit_test(test_host_without_vms),
	    cmocka_unit_test(test_no_collection_yet),  cmocka_unit_test(test_nothing_found_cases),
	    cmocka_unit_test(test_state_out_of_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
