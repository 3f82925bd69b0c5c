/* test_top_json.c - kvmmem-top --json: string escaping and one exact document. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"
#include "model.h"
#include "top_snap.h"
#include "util/buf.h"

static void test_strings(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"web-01", "\"web-01\""},
	    {"quote\"back\\slash", "\"quote\\\"back\\\\slash\""},
	    {"a\nb\tc\rd", "\"a\\nb\\tc\\u000dd\""},
	    {"\x1b[31m\x7f", "\"\\u001b[31m\\u007f\""},
	    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
	    {"bad\xff\xc0\xaf", "\"bad\\ufffd\\ufffd\\ufffd\""},
	    {"cut\xe2\x82", "\"cut\\ufffd\\ufffd\""},
	    {"sur\xed\xa0\x80", "\"sur\\ufffd\\ufffd\\ufffd\""},
	    {"", "\"\""},
	};
	struct buf b;
	buf_init(&b, 1024);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		print_message("case %zu\n", i);
		assert_int_equal(top_json_string(&b, cases[i].in), 0);
		assert_string_equal(b.data, cases[i].want);
	}
	buf_free(&b);
}

/* Exact integers, null for absent, flags by name, the filter applied. */
static void test_document(void **state)
{
	(void)state;
	struct snapshot s;
	struct top_model m;
	struct top_view v;
	struct top_clock clk = {1700000000, 1.0};
	struct buf b;

	snap_host(&s);
	struct dom_snap *d = snap_dom(&s, "big\"one", DOM_STATE_RUNNING, 18446744073709551615ULL, 3 * GiB);
	snap_ksm(d, 3, -4096);
	d->config.hugepages = true;
	d->source = DOM_SOURCE_PROXMOX;
	memcpy(d->vmid, "100", 4);
	mval_set_u64(&d->f[DF_STATS_PERIOD_SECONDS], 0);
	/* The guest's own numbers come as they are, even when usable (and so
	 * guest used) is missing. */
	mval_set_u64(&d->f[DF_GUEST_AVAILABLE_BYTES], 2 * GiB);
	mval_set_u64(&d->f[DF_GUEST_UNUSED_BYTES], GiB);
	mval_set_u64(&d->f[DF_GUEST_STATS_UPDATED], 1699999990);
	snap_dom(&s, "other", DOM_STATE_SHUTOFF, GiB, 0);
	snapshot_finish(&s);
	for (int c = 0; c < COLL_COUNT; c++)
		s.coll[c].enabled = c == COLL_KSM || c == COLL_LIBVIRT;
	s.coll[COLL_LIBVIRT].success = false;
	top_model_init(&m);
	m.cost_field = m.psi_field = -1;
	assert_int_equal(top_model_update(&m, &s, &clk, true, &v), 0);
	buf_init(&b, 1 << 16);
	assert_int_equal(top_json_view(&v, "BIG", &b), 0);
	/* The collectors of this build, whatever others have added. */
	struct buf want;
	buf_init(&want, 1 << 16);
	buf_puts(&want, "{\"time\":1700000000,\"rates_ready\":false,\"host\":{\"memory_total_bytes\":17179869184,"
	                "\"memory_available_bytes\":6442450944,\"domains_maximum_bytes\":18446744073709551615,"
	                "\"overcommit_ratio\":1073741824,\"ballooned_out_bytes\":18446744070488326143,\"ksm_run\":1,"
	                "\"ksm_saved_bytes\":16384000,\"ksm_general_profit_bytes\":15728640,\"ksm_sharing_ratio\":4,"
	                "\"ksm_zero_pages_bytes\":1048576,\"ksmd_cpu_percent\":null,\"ksm_full_scan_seconds\":null,"
	                "\"ksm_cow_per_second\":null},\"sources\":{");
	for (int c = 0; c < COLL_COUNT; c++)
		buf_printf(&want, "%s\"%s\":{\"enabled\":%s,\"ran\":true,\"success\":%s}", c > 0 ? "," : "",
		           collector_name((enum collector_id)c), s.coll[c].enabled ? "true" : "false",
		           c == COLL_LIBVIRT ? "false" : "true");
	buf_puts(&want, "},\"why\":null,\"domains\":[{\"name\":\"big\\\"one\",\"source\":\"proxmox\",\"vmid\":\"100\","
	                "\"state\":\"running\","
	                "\"maximum_bytes\":18446744073709551615,\"current_bytes\":3221225472,"
	                "\"ballooned_out_bytes\":18446744070488326143,\"guest_used_bytes\":null,"
	                "\"guest_disk_caches_bytes\":null,\"guest_swap_bytes_per_second\":null,"
	                "\"guest_report_age_seconds\":10,\"ksm_merged_bytes\":12288,\"ksm_profit_bytes\":-4096,"
	                "\"rss_bytes\":null,\"host_memory_bytes\":null,\"host_memory_pressure_percent\":null,"
	                "\"guest_available_bytes\":2147483648,\"guest_usable_bytes\":null,"
	                "\"guest_unused_bytes\":1073741824,\"guest_stats_updated_timestamp_seconds\":1699999990,"
	                "\"flags\":[\"stats_period_0\",\"hugepages\"]}]}\n");
	if (getenv("TOP_JSON_PRINT") != NULL)
		fputs(b.data, stdout);
	assert_string_equal(b.data, want.data);
	buf_free(&want);
	buf_free(&b);
	top_view_clear(&v);
	snapshot_clear(&s);
	top_model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_document),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
