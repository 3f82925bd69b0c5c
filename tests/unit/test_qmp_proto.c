/* test_qmp_proto.c - QMP replies as a case table: what QEMU 7.2 answers for
 * paused and booted guests, Proxmox VE's patched query-balloon, QEMU 9.2's
 * counters, 2^64-1 and last-update 0, a 9.1.9x greeting, events between
 * replies, garbage, lines over the cap; each fed whole and one byte at a
 * time, through the exchange that decides what is sent; a line exactly at
 * the cap and one byte over; QEMU's empty return and lines near it; and the
 * monitor socket of QEMU command lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "backends/qemu_monitor.h"
#include "backends/qmp_exchange.h"
#include "backends/qmp_proto.h"

#define ARGV(s) s, sizeof(s) - 1

#define GREET72                                                                                                        \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 19, \"minor\": 2, \"major\": 7}, \"package\": \"Debian "       \
	"1:7.2+dfsg-7+deb12u18\"}, \"capabilities\": [\"oob\"]}}\r\n"
#define CAPS "{\"return\": {}, \"id\": \"c\"}\r\n"
#define ABSENT "18446744073709551615"
#define NOSTATS                                                                                                        \
	"{\"return\": {\"stats\": {\"stat-htlb-pgfail\": " ABSENT ", \"stat-available-memory\": " ABSENT               \
	", \"stat-disk-caches\": " ABSENT ", \"stat-free-memory\": " ABSENT ", \"stat-total-memory\": " ABSENT         \
	", \"stat-swap-in\": " ABSENT "}, \"last-update\": 0}, \"id\": \"s\"}\r\n"

struct fv {
	enum dom_field f;
	uint64_t v;
};

#define MAXF 20
static const struct {
	const char *what;
	const char *balloon_id; /* "" : found under peripheral-anon */
	const char *in;
	enum qmp_xstate state;
	int rx_rc; /* the first error of qmp_rx_next, 0 for none */
	bool skipped_version;
	const char *sent; /* NULL: not compared */
	struct fv want[MAXF];
	size_t nwant;
} cases[] = {
    {"7.2, paused guest: actual, period, no guest values",
     "balloon0",
     GREET72 CAPS "{\"return\": {\"actual\": 1073741824}, \"id\": \"b\"}\r\n" NOSTATS
                  "{\"return\": 0, \"id\": \"p\"}\r\n",
     QX_DONE,
     0,
     false,
     "{\"execute\":\"qmp_capabilities\",\"id\":\"c\"}\n{\"execute\":\"query-balloon\",\"id\":\"b\"}\n"
     "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/balloon0\",\"property\":\"guest-stats\"},"
     "\"id\":\"s\"}\n{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/balloon0\",\"property\":"
     "\"guest-stats-polling-interval\"},\"id\":\"p\"}\n",
     {{DF_BALLOON_CURRENT_BYTES, 1073741824}, {DF_STATS_PERIOD_SECONDS, 0}},
     2},
    {"7.2, booted guest reporting every 5 s, one value not reported",
     "balloon0",
     GREET72 CAPS
     "{\"return\": {\"actual\": 536870912}, \"id\": \"b\"}\r\n"
     "{\"return\": {\"stats\": {\"stat-swap-in\": 4096, \"stat-swap-out\": 8192, \"stat-major-faults\": 7, "
     "\"stat-minor-faults\": 1234, \"stat-free-memory\": 300000000, \"stat-total-memory\": 500000000, "
     "\"stat-available-memory\": 400000000, \"stat-disk-caches\": 50000000, \"stat-htlb-pgalloc\": 0, "
     "\"stat-htlb-pgfail\": " ABSENT "}, \"last-update\": 1764600000}, \"id\": \"s\"}\r\n"
     "{\"return\": 5, \"id\": \"p\"}\r\n",
     QX_DONE,
     0,
     false,
     NULL,
     {{DF_BALLOON_CURRENT_BYTES, 536870912},
      {DF_STATS_PERIOD_SECONDS, 5},
      {DF_GUEST_STATS_UPDATED, 1764600000},
      {DF_GUEST_SWAP_IN_BYTES, 4096},
      {DF_GUEST_SWAP_OUT_BYTES, 8192},
      {DF_GUEST_MAJOR_FAULTS, 7},
      {DF_GUEST_MINOR_FAULTS, 1234},
      {DF_GUEST_UNUSED_BYTES, 300000000},
      {DF_GUEST_AVAILABLE_BYTES, 500000000},
      {DF_GUEST_USABLE_BYTES, 400000000},
      {DF_GUEST_DISK_CACHES_BYTES, 50000000},
      {DF_GUEST_HUGETLB_ALLOCS, 0}},
     12},
    {"QEMU 9.2: the six new counters",
     "balloon0",
     "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 9}}, \"capabilities\": []}}\r\n" CAPS
     "{\"return\": {\"actual\": 2147483648}, \"id\": \"b\"}\r\n"
     "{\"return\": {\"stats\": {\"stat-oom-kills\": 2, \"stat-alloc-stalls\": 17, \"stat-async-scans\": 409600, "
     "\"stat-direct-scans\": 8192, \"stat-async-reclaims\": 204800, \"stat-direct-reclaims\": 4096}, \"last-update\": "
     "1764600001}, \"id\": \"s\"}\r\n{\"return\": 10, \"id\": \"p\"}\r\n",
     QX_DONE,
     0,
     false,
     NULL,
     {{DF_BALLOON_CURRENT_BYTES, 2147483648},
      {DF_STATS_PERIOD_SECONDS, 10},
      {DF_GUEST_STATS_UPDATED, 1764600001},
      {DF_GUEST_OOM_KILLS, 2},
      {DF_GUEST_ALLOC_STALLS, 17},
      {DF_GUEST_ASYNC_SCAN_BYTES, 409600},
      {DF_GUEST_DIRECT_SCAN_BYTES, 8192},
      {DF_GUEST_ASYNC_RECLAIM_BYTES, 204800},
      {DF_GUEST_DIRECT_RECLAIM_BYTES, 4096}},
     9},
    {"Proxmox's patched query-balloon, guest-stats refused",
     "balloon0",
     GREET72 CAPS "{\"return\": {\"actual\": 2147483648, \"max_mem\": 4294967296, \"total_mem\": 2000000000, "
                  "\"free_mem\": 1000000000, \"mem_swapped_in\": 0, \"mem_swapped_out\": 4096, \"major_page_faults\": "
                  "3, \"minor_page_faults\": 99, \"last_update\": 1764600002}, \"id\": \"b\"}\r\n"
                  "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}, \"id\": \"s\"}\r\n"
                  "{\"return\": 2, \"id\": \"p\"}\r\n",
     QX_DONE,
     0,
     false,
     NULL,
     {{DF_BALLOON_CURRENT_BYTES, 2147483648},
      {DF_MEMORY_MAXIMUM_BYTES, 4294967296},
      {DF_GUEST_AVAILABLE_BYTES, 2000000000},
      {DF_GUEST_UNUSED_BYTES, 1000000000},
      {DF_GUEST_SWAP_IN_BYTES, 0},
      {DF_GUEST_SWAP_OUT_BYTES, 4096},
      {DF_GUEST_MAJOR_FAULTS, 3},
      {DF_GUEST_MINOR_FAULTS, 99},
      {DF_GUEST_STATS_UPDATED, 1764600002},
      {DF_STATS_PERIOD_SECONDS, 2}},
     10},
    {"9.1.90, a 9.2.0 release candidate: guest-stats are not asked",
     "balloon0",
     "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 90, \"minor\": 1, \"major\": 9}}, \"capabilities\": []}}\r\n" CAPS
     "{\"return\": {\"actual\": 1073741824}, \"id\": \"b\"}\r\n",
     QX_DONE,
     0,
     true,
     "{\"execute\":\"qmp_capabilities\",\"id\":\"c\"}\n{\"execute\":\"query-balloon\",\"id\":\"b\"}\n",
     {{DF_BALLOON_CURRENT_BYTES, 1073741824}},
     1},
    {"events between replies, blank lines, no \\r",
     "balloon0",
     GREET72 "{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\n\n" CAPS
             "{\"event\": \"BALLOON_CHANGE\", \"data\": {\"actual\": 1}, \"timestamp\": {\"seconds\": 1}}\r\n"
             "{\"return\": {\"actual\": 1073741824}, \"id\": \"b\"}\n" NOSTATS
             "{\"event\": \"X\", \"id\": \"p\"}\r\n{\"return\": 1, \"id\": \"p\"}\r\n",
     QX_DONE,
     0,
     false,
     NULL,
     {{DF_BALLOON_CURRENT_BYTES, 1073741824}, {DF_STATS_PERIOD_SECONDS, 1}},
     2},
    {"no id on the command line: the balloon is found under peripheral-anon",
     "",
     GREET72 CAPS "{\"return\": {\"actual\": 1073741824}, \"id\": \"b\"}\r\n"
                  "{\"return\": [{\"name\": \"type\", \"type\": \"string\"}, {\"name\": \"device[0]\", \"type\": "
                  "\"child<virtio-balloon-pci>\"}], \"id\": \"l\"}\r\n" NOSTATS "{\"return\": 0, \"id\": \"p\"}\r\n",
     QX_DONE,
     0,
     false,
     "{\"execute\":\"qmp_capabilities\",\"id\":\"c\"}\n{\"execute\":\"query-balloon\",\"id\":\"b\"}\n"
     "{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine/peripheral-anon\"},\"id\":\"l\"}\n"
     "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral-anon/device[0]\",\"property\":\"guest-"
     "stats\"},\"id\":\"s\"}\n{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral-anon/device[0]\","
     "\"property\":\"guest-stats-polling-interval\"},\"id\":\"p\"}\n",
     {{DF_BALLOON_CURRENT_BYTES, 1073741824}, {DF_STATS_PERIOD_SECONDS, 0}},
     2},
    {"no balloon running: query-balloon's error, nothing else asked",
     "",
     GREET72 CAPS "{\"error\": {\"class\": \"DeviceNotActive\", \"desc\": \"No balloon device has been activated\"}, "
                  "\"id\": \"b\"}\r\n{\"return\": [], \"id\": \"l\"}\r\n",
     QX_DONE,
     0,
     false,
     NULL,
     {{0, 0}},
     0},
    {"numbers that are no sizes: negative, fraction, string",
     "balloon0",
     GREET72 CAPS "{\"return\": {\"actual\": -1}, \"id\": \"b\"}\r\n"
                  "{\"return\": {\"stats\": {\"stat-free-memory\": 1.5, \"stat-total-memory\": \"7\", "
                  "\"stat-disk-caches\": 12}, \"last-update\": 5}, \"id\": \"s\"}\r\n"
                  "{\"return\": -3, \"id\": \"p\"}\r\n",
     QX_DONE,
     0,
     false,
     NULL,
     {{DF_GUEST_STATS_UPDATED, 5}, {DF_GUEST_DISK_CACHES_BYTES, 12}},
     2},
    {"garbage instead of a greeting",
     "balloon0",
     "HTTP/1.1 400 Bad Request\r\n",
     QX_GREETING,
     -EINVAL,
     false,
     "",
     {{0, 0}},
     0},
    {"two objects on one line",
     "balloon0",
     GREET72 "{\"return\": {}, \"id\": \"c\"}{\"return\": {}}\r\n",
     QX_REPLIES,
     -EINVAL,
     false,
     NULL,
     {{0, 0}},
     0},
    {"a reply before the greeting", "balloon0", CAPS, QX_FAILED, 0, false, "", {{0, 0}}, 0},
    {"qmp_capabilities refused",
     "balloon0",
     GREET72 "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"x\"}, \"id\": \"c\"}\r\n",
     QX_FAILED,
     0,
     false,
     NULL,
     {{0, 0}},
     0},
    {"a second greeting", "balloon0", GREET72 GREET72, QX_FAILED, 0, false, NULL, {{0, 0}}, 0},
    {"a greeting that never ends: over the cap",
     "balloon0",
     "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}}, \"capabilities\": [\"oob\", "
     "\"oob\", \"oob\", \"oob\", \"oob\", \"oob\", \"oob\", \"oob\", \"oob\", \"oob\", \"oob\", \"oob\", \"oob\"",
     QX_GREETING,
     -EFBIG,
     false,
     "",
     {{0, 0}},
     0},
    {"nested deeper than any reply",
     "balloon0",
     "{\"QMP\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}\r\n",
     QX_GREETING,
     -EINVAL,
     false,
     "",
     {{0, 0}},
     0},
    {"replies not ours are ignored",
     "balloon0",
     GREET72 CAPS "{\"return\": {\"actual\": 9}, \"id\": \"zz\"}\r\n{\"return\": {\"actual\": 9}}\r\n"
                  "{\"return\": {}, \"id\": \"zz\"}\r\n{\"return\": {}}\r\n",
     QX_REPLIES,
     0,
     false,
     NULL,
     {{0, 0}},
     0},
};

#define TEST_CAP 100 /* the rx cap in this table: the never-ending greeting passes it */

/* Feeds the case's bytes in chunks of step (0: all at once). */
static void run_case(size_t k, size_t step)
{
	struct qemu_monitor mon;
	memset(&mon, 0, sizeof(mon));
	mon.balloon = true;
	snprintf(mon.balloon_id, sizeof(mon.balloon_id), "%s", cases[k].balloon_id);
	struct qmp_xchg x;
	struct qmp_rx rx;
	char sent[4096] = "";
	size_t nsent = 0;
	int first_err = 0;
	qmp_xchg_init(&x, &mon);
	qmp_rx_init(&rx, strstr(cases[k].what, "over the cap") ? TEST_CAP : QMP_REPLY_MAX);
	const char *in = cases[k].in;
	size_t len = strlen(in), off = 0;
	while (off < len && first_err == 0 && x.state != QX_DONE && x.state != QX_FAILED) {
		size_t n = step && len - off > step ? step : len - off;
		int r = qmp_rx_append(&rx, in + off, n);
		off += n;
		struct qmp_msg m;
		while (r == 0 && (r = qmp_rx_next(&rx, &m)) == 1) {
			qmp_xchg_feed(&x, &m);
			qmp_msg_free(&m);
			r = 0;
		}
		if (r < 0)
			first_err = r;
		assert_true(nsent + x.outlen < sizeof(sent));
		memcpy(sent + nsent, x.out, x.outlen);
		nsent += x.outlen;
		sent[nsent] = '\0';
		qmp_xchg_sent(&x, x.outlen);
	}
	qmp_rx_free(&rx);
	print_message("%s (step %zu)\n", cases[k].what, step);
	assert_int_equal(first_err, cases[k].rx_rc);
	assert_int_equal(x.state, cases[k].state);
	assert_int_equal(x.skipped_version, cases[k].skipped_version);
	if (cases[k].sent)
		assert_string_equal(sent, cases[k].sent);
	bool wanted[DF_COUNT] = {false};
	for (size_t i = 0; i < cases[k].nwant; i++) {
		const struct fv *w = &cases[k].want[i];
		if (!x.f[w->f].present)
			fail_msg("field %d absent", (int)w->f);
		assert_int_equal(x.f[w->f].v.u, w->v);
		wanted[w->f] = true;
	}
	for (int f = 0; f < DF_COUNT; f++)
		if (!wanted[f] && x.f[f].present)
			fail_msg("field %d present: %llu", f, (unsigned long long)x.f[f].v.u);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		run_case(k, 0);
		run_case(k, 1);
		run_case(k, 7);
	}
}

/* A reply of 10 MB is refused at the cap, not read to its end. */
static void test_huge_reply(void **state)
{
	(void)state;
	struct qmp_rx rx;
	static char chunk[65536];
	memset(chunk, ' ', sizeof(chunk));
	chunk[0] = '{';
	qmp_rx_init(&rx, QMP_REPLY_MAX);
	int r = 0;
	size_t total = 0;
	while (r == 0 && total < 10 * 1000 * 1000) {
		r = qmp_rx_append(&rx, chunk, sizeof(chunk));
		total += sizeof(chunk);
		chunk[0] = ' ';
	}
	assert_int_equal(r, -EFBIG);
	assert_true(total <= QMP_REPLY_MAX + sizeof(chunk));
	qmp_rx_free(&rx);
}

#define BOUND 64 /* the rx cap of the bound tests */

/* Feeds in to a buffer of cap BOUND in chunks of step (0: at once): the
 * first error, or the number of messages. */
static int feed(const char *in, size_t len, size_t step, char id[QMP_ID_MAX])
{
	struct qmp_rx rx;
	int got = 0, r = 0;
	qmp_rx_init(&rx, BOUND);
	for (size_t off = 0; off < len && r >= 0;) {
		size_t n = step && len - off > step ? step : len - off;
		r = qmp_rx_append(&rx, in + off, n);
		off += n;
		struct qmp_msg m;
		while (r == 0 && (r = qmp_rx_next(&rx, &m)) == 1) {
			memcpy(id, m.id, QMP_ID_MAX);
			qmp_msg_free(&m);
			got++;
			r = 0;
		}
		assert_true(r < 0 || rx.len - rx.off <= BOUND);
	}
	qmp_rx_free(&rx);
	return r < 0 ? r : got;
}

/* A line of exactly the cap is read, whole or in pieces, then another; one
 * byte more is refused, whether its end came or not. */
static void test_line_bound(void **state)
{
	(void)state;
	char line[BOUND + 2], two[2 * BOUND + 4];
	static const char head[] = "{\"return\": 7, \"id\": \"b\"";
	for (size_t extra = 0; extra < 2; extra++) {
		size_t n = BOUND + extra;
		memset(line, ' ', n);
		memcpy(line, head, sizeof(head) - 1);
		line[n - 1] = '}';
		line[n] = '\n';
		memcpy(two, line, n + 1);
		size_t tl = n + 1;
		static const char next[] = "{\"return\": 1, \"id\": \"p\"}\r\n";
		memcpy(two + tl, next, sizeof(next) - 1);
		tl += sizeof(next) - 1;
		static const size_t steps[] = {0, 1, 7, BOUND, BOUND + 1};
		for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			char id[QMP_ID_MAX] = "";
			print_message("a line of %zu bytes, cap %d, step %zu\n", n, BOUND, steps[k]);
			assert_int_equal(feed(two, tl, steps[k], id), extra ? -EFBIG : 2);
			if (!extra)
				assert_string_equal(id, "p");
			/* Without its end: refused as soon as it is past the cap. */
			assert_int_equal(feed(line, n, steps[k], id), extra ? -EFBIG : 0);
		}
	}
}

/* QEMU's own empty return is taken without a tree; anything near it is
 * json-c's to judge. */
static void test_empty_return(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		int rc;
		const char *id;
		bool tree;
	} lines[] = {
	    {"{\"return\": {}, \"id\": \"c\"}\r", 0, "c", false},
	    {"{\"return\": {}, \"id\": \"c-1_Z\"}", 0, "c-1_Z", false},
	    {"{\"return\":{},\"id\":\"c\"}", 0, "c", true},
	    {"{\"return\": {}, \"id\": \"c\\u0041\"}", 0, "cA", true},
	    {"{\"return\": {}, \"id\": \"\"}", 0, "", true},
	    {"{\"return\": {}, \"id\": \"toolongid\"}", 0, "", true},
	    {"{\"return\": {}, \"id\": \"a\"b\"}", -EINVAL, "", false},
	    {"{\"return\": {}, \"id\": \"c\"}}", -EINVAL, "", false},
	    {"{\"return\": {}, \"id\": \"c\"}x", -EINVAL, "", false},
	    {"{\"return\": {}, \"id\": \"c\"", -EINVAL, "", false},
	};
	for (size_t k = 0; k < sizeof(lines) / sizeof(lines[0]); k++) {
		struct qmp_msg m;
		print_message("%s\n", lines[k].line);
		assert_int_equal(qmp_parse_line(lines[k].line, strlen(lines[k].line), &m), lines[k].rc);
		if (lines[k].rc == 0) {
			assert_int_equal(m.kind, QMP_RETURN);
			assert_string_equal(m.id, lines[k].id);
			assert_int_equal(m.root != NULL, lines[k].tree);
			assert_int_equal(m.value != NULL, lines[k].tree);
			struct mval f[DF_COUNT];
			memset(f, 0, sizeof(f));
			/* {} is no answer to any of ours, with or without a tree. */
			assert_int_equal(qmp_map_balloon(m.value, f), -EINVAL);
			assert_int_equal(qmp_map_guest_stats(m.value, f), -EINVAL);
			assert_int_equal(qmp_map_polling_interval(m.value, f), -EINVAL);
			qmp_msg_free(&m);
		}
	}
}

static const struct {
	const char *what;
	const char *cmd;
	size_t len;
	int rc;
	const char *path;
	bool balloon;
	const char *id;
} monitors[] = {
    {"proxmox: chardev + mon control, and qmeventd's client socket",
     ARGV("/usr/bin/kvm\0-id\0"
          "100\0-chardev\0socket,id=qmp,path=/var/run/qemu-server/100.qmp,server=on,wait=off\0-mon\0"
          "chardev=qmp,mode=control\0-chardev\0socket,id=qmp-event,path=/var/run/qmeventd.sock,reconnect=5\0-mon\0"
          "chardev=qmp-event,mode=control\0-device\0virtio-balloon-pci,id=balloon0,bus=pci.0,addr=0x3\0"),
     0, "/var/run/qemu-server/100.qmp", true, "balloon0"},
    {"plain -qmp unix server",
     ARGV("qemu-system-x86_64\0-S\0-qmp\0unix:/tmp/q.sock,server=on,wait=off\0-device\0"
          "{\"driver\":\"virtio-balloon-pci\",\"id\":\"b1\"}\0"),
     0, "/tmp/q.sock", true, "b1"},
    {"old spelling server,nowait; balloon without id",
     ARGV("qemu-system-x86_64\0-qmp\0unix:/run/a,,b.sock,server,nowait\0-device\0virtio-balloon-pci\0"), 0,
     "/run/a,b.sock", true, ""},
    {"TCP monitor", ARGV("qemu-system-x86_64\0-qmp\0tcp:127.0.0.1:4444,server=on\0-device\0virtio-balloon-pci\0"),
     -ENOENT, "", true, ""},
    {"client socket", ARGV("qemu-system-x86_64\0-qmp\0unix:/tmp/q.sock\0"), -ENOENT, "", false, ""},
    {"readline monitor", ARGV("qemu-system-x86_64\0-chardev\0socket,id=m,path=/tmp/h.sock,server=on\0-mon\0m\0"),
     -ENOENT, "", false, ""},
    {"relative path", ARGV("qemu-system-x86_64\0-qmp\0unix:q.sock,server=on\0"), -ENOENT, "", false, ""},
    {"chardev over fd",
     ARGV("qemu-system-x86_64\0-chardev\0socket,id=m,fd=3,server=on\0-mon\0chardev=m,mode=control\0"), -ENOENT, "",
     false, ""},
    {"a hostile balloon id", ARGV("qemu-system-x86_64\0-qmp\0unix:/q,server=on\0-device\0virtio-balloon-pci,id=a/b\0"),
     0, "/q", true, ""},
};

static void test_monitors(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(monitors) / sizeof(monitors[0]); k++) {
		struct qemu_monitor m;
		print_message("%s\n", monitors[k].what);
		assert_int_equal(qemu_monitor_find(monitors[k].cmd, monitors[k].len, &m), monitors[k].rc);
		assert_string_equal(m.path, monitors[k].path);
		assert_int_equal(m.balloon, monitors[k].balloon);
		assert_string_equal(m.balloon_id, monitors[k].id);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),        cmocka_unit_test(test_huge_reply), cmocka_unit_test(test_line_bound),
	    cmocka_unit_test(test_empty_return), cmocka_unit_test(test_monitors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
