/* test_exposition.c - text format 0.0.4: exact documents, escaping, all-or-nothing, streamed in pieces. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/catalogue.h"
#include "exposition.h"
#include "model/snapshot.h"

/* A family that is not in the catalogue: the catalogue's help texts have
 * no backslash or newline, but the sink must still escape them. */
static const struct family odd = {
    .id = FAM_KSM_RUN,
    .name = "test_odd",
    .type = MT_COUNTER,
    .unit = "",
    .labels = {"l"},
    .help = "back\\slash and\nnewline \"quotes\" stay",
    .source = SRC_SPECIAL,
    .field = -1,
};

static void test_sink_escaping(void **state)
{
	(void)state;
	struct buf b;
	struct sink sk;
	struct mval v;
	struct label l[] = {{"a", "q\"b\\n\nz"}, {"b", "caf\xc3\xa9 \xe2\x9c\x93"}, {"c", ""}, {"d", NULL}};

	buf_init(&b, 1 << 20);
	exposition_sink(&sk, &b);
	assert_int_equal(sk.begin_family(sk.ctx, &odd), 0);
	mval_set_i64(&v, INT64_MIN);
	assert_int_equal(sk.sample(sk.ctx, &odd, NULL, l, 4, &v), 0);
	mval_set_u64(&v, UINT64_MAX);
	assert_int_equal(sk.sample(sk.ctx, &odd, NULL, NULL, 0, &v), 0);
	mval_set_f64(&v, NAN);
	assert_int_equal(sk.sample(sk.ctx, &odd, NULL, l + 2, 1, &v), 0);
	mval_set_f64(&v, INFINITY);
	assert_int_equal(sk.sample(sk.ctx, &odd, NULL, NULL, 0, &v), 0);
	mval_set_f64(&v, -INFINITY);
	assert_int_equal(sk.sample(sk.ctx, &odd, NULL, NULL, 0, &v), 0);
	mval_set_f64(&v, 0.1);
	assert_int_equal(sk.sample(sk.ctx, &odd, NULL, NULL, 0, &v), 0);
	mval_set_f64(&v, -2.5e-7);
	assert_int_equal(sk.sample(sk.ctx, &odd, NULL, NULL, 0, &v), 0);
	mval_set_i64(&v, 42);
	assert_int_equal(sk.sample(sk.ctx, &odd, NULL, NULL, 0, &v), 0);
	assert_null(sk.end_family);
	assert_string_equal(b.data, "# HELP test_odd back\\\\slash and\\nnewline \"quotes\" stay\n"
	                            "# TYPE test_odd counter\n"
	                            "test_odd{a=\"q\\\"b\\\\n\\nz\",b=\"caf\xc3\xa9 \xe2\x9c\x93\",c=\"\",d=\"\"} "
	                            "-9223372036854775808\n"
	                            "test_odd 18446744073709551615\n"
	                            "test_odd{c=\"\"} NaN\n"
	                            "test_odd +Inf\n"
	                            "test_odd -Inf\n"
	                            "test_odd 0.1\n"
	                            "test_odd -2.5e-07\n"
	                            "test_odd 42\n");
	buf_free(&b);
}

/* A small host with two awkward domains, only the ksm and libvirt
 * collectors on; everything not set here is absent and must not show. */
static void build_snapshot(struct snapshot *s)
{
	struct dom_snap *d;

	snapshot_init(s);
	s->coll[COLL_KSM] =
	    (struct coll_status){.enabled = true, .ran = true, .success = true, .duration_seconds = 0.25};
	s->coll[COLL_LIBVIRT] =
	    (struct coll_status){.enabled = true, .ran = true, .success = false, .duration_seconds = 8};
	/* domain_ksm is on but did not run: its samples show, its self
	 * metrics do not. */
	s->coll[COLL_DOMAIN_KSM] = (struct coll_status){.enabled = true, .ran = false};
	/* meminfo is off: its field must not appear although it is present. */
	s->coll[COLL_MEMINFO] = (struct coll_status){.enabled = false};
	mval_set_u64(&s->host[HF_MEM_TOTAL_BYTES], 1024);
	mval_set_u64(&s->host[HF_KSM_RUN], 1);
	mval_set_i64(&s->host[HF_KSM_GENERAL_PROFIT], -123456789);
	mval_set_f64(&s->host[HF_KSM_SLEEP_SECONDS], 0.02);

	d = snapshot_add_domain(s, "a\"b\\c\nd", "0b4c1d2e-0000-4000-8000-000000000001");
	assert_non_null(d);
	mval_set_u64(&d->f[DF_STATE], 1);
	mval_set_f64(&d->f[DF_GUEST_STATS_UPDATED], 1764140729);
	mval_set_i64(&d->f[DF_KSM_PROFIT_BYTES], -4096);
	d = snapshot_add_domain(s, "caf\xc3\xa9", NULL);
	assert_non_null(d);
	mval_set_u64(&d->f[DF_STATE], 5);
	d->config = (struct domain_config){.present = true, .balloon = "virtio", .nosharepages = true};
	snapshot_finish(s);
}

static const char expected_doc[] =
    "# HELP kvmmem_ksm_run KSM state from ksm/run: 0 stopped, 1 running, 2 unmerging all pages\n"
    "# TYPE kvmmem_ksm_run gauge\n"
    "kvmmem_ksm_run 1\n"
    "# HELP kvmmem_ksm_general_profit_bytes Memory KSM saves minus its own metadata; negative when it costs more "
    "(ksm/general_profit)\n"
    "# TYPE kvmmem_ksm_general_profit_bytes gauge\n"
    "kvmmem_ksm_general_profit_bytes -123456789\n"
    "# HELP kvmmem_ksm_sleep_seconds Tunable: pause of ksmd between batches (ksm/sleep_millisecs)\n"
    "# TYPE kvmmem_ksm_sleep_seconds gauge\n"
    "kvmmem_ksm_sleep_seconds 0.02\n"
    "# HELP kvmmem_libvirt_up 1 if libvirt answered this collection in time, 0 otherwise\n"
    "# TYPE kvmmem_libvirt_up gauge\n"
    "kvmmem_libvirt_up 0\n"
    "# HELP kvmmem_domain_info Every domain, active or not, with its UUID, the backend that found it (libvirt, "
    "proxmox, qemu) and its Proxmox VMID; always 1\n"
    "# TYPE kvmmem_domain_info gauge\n"
    "kvmmem_domain_info{domain=\"a\\\"b\\\\c\\nd\",uuid=\"0b4c1d2e-0000-4000-8000-000000000001\","
    "source=\"libvirt\",vmid=\"\"} 1\n"
    "kvmmem_domain_info{domain=\"caf\xc3\xa9\",uuid=\"\",source=\"libvirt\",vmid=\"\"} 1\n"
    "# HELP kvmmem_domain_state_code libvirt virDomainState: 1 running, 2 blocked, 3 paused, 4 shutting down, 5 shut "
    "off, 6 crashed, 7 suspended by power management\n"
    "# TYPE kvmmem_domain_state_code gauge\n"
    "kvmmem_domain_state_code{domain=\"a\\\"b\\\\c\\nd\"} 1\n"
    "kvmmem_domain_state_code{domain=\"caf\xc3\xa9\"} 5\n"
    "# HELP kvmmem_domain_memory_config_info Memory configuration from the domain XML or the QEMU command line: "
    "balloon model, hugepages, KSM allowed, locked, free page reporting, deflate on OOM; always 1\n"
    "# TYPE kvmmem_domain_memory_config_info gauge\n"
    "kvmmem_domain_memory_config_info{domain=\"caf\xc3\xa9\",balloon=\"virtio\",hugepages=\"false\",ksm=\"false\","
    "locked=\"false\",free_page_reporting=\"false\",deflate_on_oom=\"false\"} 1\n"
    "# HELP kvmmem_domain_guest_stats_updated_timestamp_seconds Unix time of the guest's last memory report "
    "(balloon.last-update)\n"
    "# TYPE kvmmem_domain_guest_stats_updated_timestamp_seconds gauge\n"
    "kvmmem_domain_guest_stats_updated_timestamp_seconds{domain=\"a\\\"b\\\\c\\nd\"} 1764140729\n"
    "# HELP kvmmem_domain_ksm_profit_bytes Memory KSM saves on the domain minus its metadata; may be negative "
    "(ksm_process_profit)\n"
    "# TYPE kvmmem_domain_ksm_profit_bytes gauge\n"
    "kvmmem_domain_ksm_profit_bytes{domain=\"a\\\"b\\\\c\\nd\"} -4096\n"
    "# HELP kvmmem_scrape_collector_success 1 if the collector finished without error in this collection\n"
    "# TYPE kvmmem_scrape_collector_success gauge\n"
    "kvmmem_scrape_collector_success{collector=\"ksm\"} 1\n"
    "kvmmem_scrape_collector_success{collector=\"libvirt\"} 0\n"
    "# HELP kvmmem_scrape_collector_duration_seconds Time the collector took in this collection\n"
    "# TYPE kvmmem_scrape_collector_duration_seconds gauge\n"
    "kvmmem_scrape_collector_duration_seconds{collector=\"ksm\"} 0.25\n"
    "kvmmem_scrape_collector_duration_seconds{collector=\"libvirt\"} 8\n"
    "# HELP kvmmem_exporter_build_info kvmmem build and the libvirt library it runs with; always 1\n"
    "# TYPE kvmmem_exporter_build_info gauge\n"
    "kvmmem_exporter_build_info{version=\"1.2.3\",revision=\"abc\\\"def\",libvirt_version=\"\"} 1\n";

static void test_render_snapshot(void **state)
{
	(void)state;
	struct snapshot s;
	struct buf b;
	struct build_labels bl = {.version = "1.2.3", .revision = "abc\"def", .libvirt_version = NULL};

	build_snapshot(&s);
	buf_init(&b, 1 << 20);
	assert_int_equal(exposition_render(&s, &bl, &b), 0);
	assert_string_equal(b.data, expected_doc);
	assert_int_equal(b.len, sizeof(expected_doc) - 1);
	buf_free(&b);
	snapshot_clear(&s);
}

/* Every cap below the document's size fails the whole render. */
static void test_cap_fails_whole_document(void **state)
{
	(void)state;
	struct snapshot s;
	struct buf b;
	size_t full;

	build_snapshot(&s);
	buf_init(&b, 1 << 20);
	assert_int_equal(exposition_render(&s, NULL, &b), 0);
	full = b.len;
	buf_free(&b);
	assert_true(full > 100);
	for (size_t cap = 0; cap < full; cap += 7) {
		buf_init(&b, cap);
		assert_int_equal(exposition_render(&s, NULL, &b), -E2BIG);
		assert_true(buf_failed(&b));
		buf_free(&b);
	}
	buf_init(&b, full);
	assert_int_equal(exposition_render(&s, NULL, &b), 0);
	assert_int_equal(b.len, full);
	assert_int_equal(b.data[full - 1], '\n');
	buf_free(&b);
	snapshot_clear(&s);
}

/* exposition_render() assembles per-domain lines its own way; it must
 * write exactly what the plain sink writes through emit_snapshot(), for
 * names that need escaping, a name too long for its line buffer, and
 * every value kind. */
static void test_render_equals_plain_sink(void **state)
{
	(void)state;
	struct snapshot s;
	static char longname[700];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[3] = '"';
	const char *names[] = {"a-plain", "b\"quote\\back\nnl", "caf\xc3\xa9", longname, "z"};

	snapshot_init(&s);
	for (int c = 0; c < COLL_COUNT; c++)
		s.coll[c].enabled = true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct dom_snap *d = snapshot_add_domain(&s, names[i], "00000000-0000-4000-8000-000000000001");
		assert_non_null(d);
		mval_set_u64(&d->f[DF_STATE], i);
		mval_set_u64(&d->f[DF_MEMORY_MAXIMUM_BYTES], UINT64_MAX - i);
		mval_set_i64(&d->f[DF_KSM_PROFIT_BYTES], i == 0 ? INT64_MIN : i == 1 ? INT64_MAX : -(int64_t)i);
		mval_set_f64(&d->f[DF_GUEST_STATS_UPDATED], 1.5 + (double)i);
		mval_set_u64(&d->f[DF_RSS_BYTES], 0);
		/* Labels after the domain's: config strings, one needing escapes. */
		d->config.present = i != 2;
		d->config.balloon = i == 1 ? "vir\"tio\\x\ny" : i == 3 ? NULL : "virtio";
		d->config.hugepages = i % 2 == 0;
		d->config.locked = i == 4;
	}
	snapshot_finish(&s);

	struct buf fast, plain;
	struct sink sk;
	buf_init(&fast, 1 << 20);
	buf_init(&plain, 1 << 20);
	assert_int_equal(exposition_render(&s, NULL, &fast), 0);
	exposition_sink(&sk, &plain);
	assert_int_equal(emit_snapshot(&s, NULL, &sk), 0);
	assert_int_equal(fast.len, plain.len);
	assert_string_equal(fast.data, plain.data);
	buf_free(&fast);
	buf_free(&plain);
	snapshot_clear(&s);
}

/* A host of n domains with every field and collector present, for
 * documents of megabytes (about 1.3 KiB per domain). */
static void big_snapshot(struct snapshot *s, size_t n)
{
	snapshot_init(s);
	for (int c = 0; c < COLL_COUNT; c++)
		s->coll[c] =
		    (struct coll_status){.enabled = true, .ran = true, .success = true, .duration_seconds = 0.5};
	for (int f = 0; f < HF_COUNT; f++)
		mval_set_u64(&s->host[f], (uint64_t)f * 4096);
	for (size_t i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "guest-%05zu", i);
		struct dom_snap *d = snapshot_add_domain(s, name, "6b1f3c2e-4a5d-4e7f-8a9b-000000000000");
		assert_non_null(d);
		for (int f = 0; f < DF_COUNT; f++)
			mval_set_u64(&d->f[f], (uint64_t)i * 1048576 + (uint64_t)f);
		mval_set_i64(&d->f[DF_KSM_PROFIT_BYTES], -(int64_t)i);
		mval_set_f64(&d->f[DF_GUEST_STATS_UPDATED], 1764140729.5 + (double)i);
		d->config = (struct domain_config){.present = true, .balloon = "virtio", .hugepages = i % 2 == 0};
	}
	snapshot_finish(s);
}

/* What exposition_stream() handed on: the pieces back to back, and each
 * one's length. */
struct pieces {
	struct buf all;
	size_t n;
	size_t len[1024];
	size_t fail_at; /* the write that fails with -EPIPE, counting from 1; 0: none */
};

static int take_piece(void *ctx, const char *data, size_t len)
{
	struct pieces *p = ctx;

	assert_true(p->n < sizeof(p->len) / sizeof(p->len[0]));
	p->len[p->n++] = len;
	if (p->n == p->fail_at)
		return -EPIPE;
	return buf_append(&p->all, data, len);
}

/* Longest line of the documents below, with room to spare: a piece is
 * handed on as soon as a line takes it to EXPOSITION_PIECE bytes. */
#define LINE_BOUND 512

/* Streamed, a document of megabytes comes in pieces of EXPOSITION_PIECE
 * bytes plus less than a line, and they are the rendered document exactly. */
static void test_stream_equals_render(void **state)
{
	(void)state;
	struct snapshot s;
	struct buf doc;
	struct pieces *p = calloc(1, sizeof(*p));
	struct build_labels bl = {.version = "1.2.3", .revision = "r", .libvirt_version = "9.0.0"};
	size_t total = 0;

	assert_non_null(p);
	big_snapshot(&s, 5000);
	buf_init(&doc, SIZE_MAX / 2);
	assert_int_equal(exposition_render(&s, &bl, &doc), 0);
	assert_true(doc.len > 100 * EXPOSITION_PIECE);
	buf_init(&p->all, SIZE_MAX / 2);
	assert_int_equal(exposition_stream(&s, &bl, doc.len, take_piece, p, &total), 0);
	assert_int_equal(total, doc.len);
	assert_int_equal(p->all.len, doc.len);
	assert_memory_equal(p->all.data, doc.data, doc.len);
	assert_in_range(p->n, doc.len / (EXPOSITION_PIECE + LINE_BOUND), doc.len / EXPOSITION_PIECE + 1);
	for (size_t i = 0; i + 1 < p->n; i++) {
		assert_in_range(p->len[i], EXPOSITION_PIECE, EXPOSITION_PIECE + LINE_BOUND - 1);
	}
	assert_in_range(p->len[p->n - 1], 1, EXPOSITION_PIECE + LINE_BOUND - 1);
	buf_free(&p->all);
	buf_free(&doc);
	snapshot_clear(&s);

	/* A small document is one piece, the exact text. */
	memset(p, 0, sizeof(*p));
	buf_init(&p->all, 1 << 20);
	build_snapshot(&s);
	struct build_labels bl2 = {.version = "1.2.3", .revision = "abc\"def", .libvirt_version = NULL};
	assert_int_equal(exposition_stream(&s, &bl2, 1 << 20, take_piece, p, &total), 0);
	assert_int_equal(p->n, 1);
	assert_int_equal(total, sizeof(expected_doc) - 1);
	assert_string_equal(p->all.data, expected_doc);
	buf_free(&p->all);
	snapshot_clear(&s);
	free(p);
}

/* The cap is on the whole document, not a piece: one byte short of it
 * fails wherever the shortfall falls, exactly its size succeeds. */
static void test_stream_cap(void **state)
{
	(void)state;
	struct snapshot s;
	struct buf doc;
	struct pieces *p = calloc(1, sizeof(*p));
	size_t total;

	assert_non_null(p);
	big_snapshot(&s, 500);
	buf_init(&doc, SIZE_MAX / 2);
	assert_int_equal(exposition_render(&s, NULL, &doc), 0);
	size_t full = doc.len;
	assert_true(full > 4 * EXPOSITION_PIECE);
	const size_t caps[] = {0, 1, EXPOSITION_PIECE - 1, EXPOSITION_PIECE, EXPOSITION_PIECE + 1, full / 2, full - 1};
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		memset(p, 0, sizeof(*p));
		buf_init(&p->all, SIZE_MAX / 2);
		total = 12345;
		print_message("cap %zu of %zu\n", caps[i], full);
		assert_int_equal(exposition_stream(&s, NULL, caps[i], take_piece, p, &total), -E2BIG);
		assert_int_equal(total, 12345);
		/* No more than the cap was ever handed on. */
		assert_true(p->all.len <= caps[i]);
		buf_free(&p->all);
	}
	memset(p, 0, sizeof(*p));
	buf_init(&p->all, SIZE_MAX / 2);
	assert_int_equal(exposition_stream(&s, NULL, full, take_piece, p, &total), 0);
	assert_int_equal(total, full);
	assert_memory_equal(p->all.data, doc.data, full);
	buf_free(&p->all);
	buf_free(&doc);
	snapshot_clear(&s);
	free(p);
}

/* A write that fails stops the rendering with its error. */
static void test_stream_write_error(void **state)
{
	(void)state;
	struct snapshot s;
	struct pieces *p = calloc(1, sizeof(*p));
	size_t total = 7;

	assert_non_null(p);
	big_snapshot(&s, 500);
	buf_init(&p->all, SIZE_MAX / 2);
	p->fail_at = 3;
	assert_int_equal(exposition_stream(&s, NULL, SIZE_MAX / 2, take_piece, p, &total), -EPIPE);
	assert_int_equal(p->n, 3);
	assert_int_equal(total, 7);
	assert_int_equal(p->all.len, p->len[0] + p->len[1]);
	buf_free(&p->all);
	snapshot_clear(&s);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_render_equals_plain_sink), cmocka_unit_test(test_sink_escaping),
	    cmocka_unit_test(test_render_snapshot),          cmocka_unit_test(test_cap_fails_whole_document),
	    cmocka_unit_test(test_stream_equals_render),     cmocka_unit_test(test_stream_cap),
	    cmocka_unit_test(test_stream_write_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
