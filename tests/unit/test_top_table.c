/* test_top_table.c - kvmmem-top's text: sizes, names made safe, which columns fit, the whole table at 80 and 132
 * columns. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model.h"
#include "table.h"
#include "top_snap.h"
#include "util/buf.h"

#define NOW 1700000000

static void test_sizes(void **state)
{
	(void)state;
	static const struct {
		double bytes;
		const char *want;
	} cases[] = {
	    {0, "0B"},
	    {1023, "1023B"},
	    {1024, "1.0K"},
	    {1536, "1.5K"},
	    {10 * 1024 - 52, "9.9K"},
	    {10 * 1024 - 51, "10K"}, /* 9.95 rounds to 10, shown without a decimal */
	    {512 * MiB, "512M"},
	    {3.2 * GiB, "3.2G"},
	    {1023.0 * MiB, "1023M"},
	    {-1.5 * GiB, "-1.5G"},
	    {-750 * 1024, "-750K"},
	    {16.0 * 1024 * GiB, "16T"},
	    {1e30, "867361737988E"}, /* beyond exbibytes the number grows, it does not wrap */
	};
	char out[32];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		top_fmt_size(cases[i].bytes, out, sizeof(out));
		print_message("case %zu\n", i);
		assert_string_equal(out, cases[i].want);
	}
}

/* Names never reach the terminal raw: escapes, controls, C1 and invalid
 * UTF-8 become '?', valid UTF-8 passes, long names end in '~'. */
static void test_display_name(void **state)
{
	(void)state;
	static const struct {
		const char *raw;
		int max;
		const char *want;
		int cols;
	} cases[] = {
	    {"web-01", 16, "web-01", 6},
	    {"caf\xc3\xa9", 16, "caf\xc3\xa9", 4},
	    {"\x1b[2J\x1b]0;pwned\x07", 20, "?[2J?]0;pwned?", 14},
	    {"a\nb\tc\x7f", 16, "a?b?c?", 6},
	    {"c1\xc2\x9b"
	     "31m",
	     16, "c1??31m", 7}, /* CSI as a C1 control, valid UTF-8 but refused */
	    {"bad\xff\xfe", 16, "bad??", 5},
	    {"over\xc0\xaflong", 16, "over??long", 10}, /* an overlong '/' */
	    {"sur\xed\xa0\x80", 16, "sur???", 6},       /* a UTF-16 surrogate */
	    {"cut\xe2\x82", 16, "cut??", 5},            /* a sequence cut by the end */
	    {"abcdefghij", 5, "abcd~", 5},
	    {"abcde", 5, "abcde", 5},
	    {"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 2, "\xe2\x82\xac~", 2},
	    {"", 5, "", 0},
	};
	char out[TOP_NAME_MAX * 4 + 2];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case %zu\n", i);
		assert_int_equal(top_display_name(cases[i].raw, out, sizeof(out), cases[i].max), cases[i].cols);
		assert_string_equal(out, cases[i].want);
	}
	/* 500 characters are cut to the column, within the buffer. */
	char longname[501];
	memset(longname, 'x', 500);
	longname[500] = '\0';
	assert_int_equal(top_display_name(longname, out, sizeof(out), TOP_NAME_MAX), TOP_NAME_MAX);
	assert_int_equal(strlen(out), TOP_NAME_MAX);
	assert_int_equal(out[TOP_NAME_MAX - 1], '~');
	/* A buffer too small for the width stops early, still terminated. */
	char small[4];
	assert_int_equal(top_display_name("abcdef", small, sizeof(small), 10), 2);
	assert_string_equal(small, "ab");
}

/* A host of six domains that uses every column and flag. */
static void golden_view(struct top_model *m, struct top_view *v)
{
	struct snapshot s;
	char longname[501];
	struct top_clock clk = {NOW, 1.0};

	snap_host(&s);
	struct dom_snap *d = snap_dom(&s, "web-01", DOM_STATE_RUNNING, 4 * GiB, 3 * GiB);
	snap_guest(d, 3 * GiB, 1 * GiB, 512 * MiB, NOW - 3);
	snap_ksm(d, 10000, 30 * (int64_t)MiB);
	mval_set_u64(&d->f[DF_RSS_BYTES], 2560 * MiB);
	mval_set_u64(&d->f[DF_HOST_MEMORY_BYTES], 2 * GiB);
	/* A cgroup v2 scope: its pressure counter brings the PSI% column. */
	mval_set_f64(&d->f[DF_HOST_PRESSURE_WAITING_SECONDS], 1.5);
	d = snap_dom(&s, "db-01", DOM_STATE_RUNNING, 16 * GiB, 16 * GiB);
	snap_guest(d, 16 * GiB, 2 * GiB, 8 * GiB, NOW - 40);
	snap_ksm(d, 0, 0);
	d->config.hugepages = d->config.locked = true;
	memset(longname, 'x', 500);
	longname[500] = '\0';
	d = snap_dom(&s, longname, DOM_STATE_RUNNING, GiB, GiB);
	mval_set_u64(&d->f[DF_STATS_PERIOD_SECONDS], 0);
	snap_ksm(d, 256, -4096);
	snap_dom(&s, "\x1b[31mred", DOM_STATE_PAUSED, 2 * GiB, 1536 * MiB)->config.nosharepages = true;
	snap_dom(&s, "stopped", DOM_STATE_SHUTOFF, 8 * GiB, 0);
	d = snap_dom(&s, "bad\xff", DOM_STATE_RUNNING, GiB, 768 * MiB);
	mval_set_u64(&d->f[DF_BALLOON_STATS_SKIPPED], 1);
	snapshot_finish(&s);
	/* The collectors of this test, whatever others the build has. */
	for (int c = 0; c < COLL_COUNT; c++)
		s.coll[c].enabled = c == COLL_KSM || c == COLL_MEMINFO || c == COLL_LIBVIRT || c == COLL_DOMAIN_KSM;
	s.coll[COLL_DOMAIN_KSM].success = false;
	top_model_init(m);
	assert_int_equal(top_model_update(m, &s, &clk, true, v), 0);
	snapshot_clear(&s);
}

static void check_table(int width, const char *want)
{
	struct top_model m;
	struct top_view v;
	struct buf b;

	golden_view(&m, &v);
	buf_init(&b, 1 << 20);
	assert_int_equal(top_format_table(&v, width, NULL, &b), 0);
	/* TOP_TABLE_PRINT=DIR writes the table to DIR/<width>.txt, to review
	 * a changed layout before it goes into the strings below. */
	if (getenv("TOP_TABLE_PRINT") != NULL) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%d.txt", getenv("TOP_TABLE_PRINT"), width);
		FILE *f = fopen(path, "w");
		if (f != NULL) {
			fputs(b.data, f);
			fclose(f);
		}
	}
	/* Every line fits the width, counted in characters. */
	for (const char *p = b.data; *p != '\0';) {
		int cols = 0;
		for (; *p != '\0' && *p != '\n'; p++)
			cols += ((unsigned char)*p & 0xc0) != 0x80;
		assert_true(cols <= width);
		p += *p == '\n';
	}
	assert_string_equal(b.data, want);
	buf_free(&b);
	top_view_clear(&v);
	top_model_free(&m);
}

static void test_table_80(void **state)
{
	(void)state;
	check_table(80, "mem 16G total  6.0G available  overcommit 1.50x (24G of maxima)\n"
	                "ballooned out 1.8G\n"
	                "KSM running  saved 16M  profit 15M  sharing 4.00  zero pages 1.0M  ksmd CPU -\n"
	                "full scan -  cow -/s\n"
	                "sources: ksm ok  meminfo ok  libvirt up  domain_ksm failed\n"
	                "rates (SWAP/s, PSI%, ksmd CPU, full scan, cow) need two collections: they appear\n"
	                "from the next refresh\n"
	                "\n"
	                "NAME            STATE       MAX    CUR BALLOON   USED SWAP/s    KSM   COST FLAGS\n"
	                "?[31mred        paused     2.0G   1.5G    512M      -      -      -      - O\n"
	                "bad?            running    1.0G   768M    256M      -      -      -      - K\n"
	                "db-01           running     16G    16G      0B    14G      -     0B      - SHL\n"
	                "stopped         shutoff    8.0G      -       -      -      -      -      -\n"
	                "web-01          running    4.0G   3.0G    1.0G   2.0G      -    39M   2.0G\n"
	                "xxxxxxxxxxxxxx~ running    1.0G   1.0G      0B      -      -   1.0M      - P\n");
}

static void test_table_132(void **state)
{
	(void)state;
	check_table(
	    132,
	    "mem 16G total  6.0G available  overcommit 1.50x (24G of maxima)  ballooned out 1.8G\n"
	    "KSM running  saved 16M  profit 15M  sharing 4.00  zero pages 1.0M  ksmd CPU -  full scan -  cow -/s\n"
	    "sources: ksm ok  meminfo ok  libvirt up  domain_ksm failed\n"
	    "rates (SWAP/s, PSI%, ksmd CPU, full scan, cow) need two collections: they appear from the next refresh\n"
	    "\n"
	    "NAME                               STATE       MAX    CUR BALLOON   USED  CACHE SWAP/s   AGE    KSM "
	    "PROFIT    RSS   COST  PSI% FLAGS\n"
	    "?[31mred                           paused     2.0G   1.5G    512M      -      -      -     -      -      "
	    "-      -      -     - O\n"
	    "bad?                               running    1.0G   768M    256M      -      -      -     -      -      "
	    "-      -      -     - K\n"
	    "db-01                              running     16G    16G      0B    14G   8.0G      -   40s     0B     "
	    "0B      -      -     - SHL\n"
	    "stopped                            shutoff    8.0G      -       -      -      -      -     -      -      "
	    "-      -      -     -\n"
	    "web-01                             running    4.0G   3.0G    1.0G   2.0G   512M      -    3s    39M    "
	    "30M   2.5G   2.0G     -\n"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx~ running    1.0G   1.0G      0B      -      -      -     -   1.0M  "
	    "-4.0K      -      -     - P\n");
}

/* Columns drop in the fixed order as the width shrinks; the names take
 * what is left, between TOP_NAME_MIN and their longest. */
static void test_layout(void **state)
{
	(void)state;
	static const struct {
		int width;
		int name_w;
		const char *shown;
	} cases[] = {
	    {20, 7, "NAME MAX FLAGS"},
	    {30, 17, "NAME MAX FLAGS"},
	    {40, 20, "NAME MAX CUR FLAGS"},
	    {50, 13, "NAME STATE MAX CUR BALLOON FLAGS"},
	    {60, 16, "NAME STATE MAX CUR BALLOON KSM FLAGS"},
	    {70, 12, "NAME STATE MAX CUR BALLOON USED KSM COST FLAGS"},
	    {80, 15, "NAME STATE MAX CUR BALLOON USED SWAP/s KSM COST FLAGS"},
	    {100, 15, "NAME STATE MAX CUR BALLOON USED CACHE SWAP/s AGE KSM PROFIT COST FLAGS"},
	    {120, 22, "NAME STATE MAX CUR BALLOON USED CACHE SWAP/s AGE KSM PROFIT RSS COST PSI% FLAGS"},
	    {132, 34, "NAME STATE MAX CUR BALLOON USED CACHE SWAP/s AGE KSM PROFIT RSS COST PSI% FLAGS"},
	    {160, 40, "NAME STATE MAX CUR BALLOON USED CACHE SWAP/s AGE KSM PROFIT RSS COST PSI% FLAGS"},
	    {200, 40, "NAME STATE MAX CUR BALLOON USED CACHE SWAP/s AGE KSM PROFIT RSS COST PSI% FLAGS"},
	};
	struct top_model m;
	struct top_view v;
	struct top_layout lay;
	struct buf b;

	golden_view(&m, &v);
	buf_init(&b, 4096);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		top_layout_compute(&v, cases[i].width, &lay);
		buf_reset(&b);
		for (int c = 0; c < COL_COUNT; c++)
			if (lay.show[c])
				buf_printf(&b, "%s%s", b.len > 0 ? " " : "", top_col_heading((enum top_col)c));
		if (getenv("TOP_TABLE_PRINT") != NULL)
			printf("{%d, %d, \"%s\"},\n", cases[i].width, lay.name_w, b.data);
		if (getenv("TOP_TABLE_PRINT") != NULL)
			continue; /* review mode: print every case */
		print_message("width %d\n", cases[i].width);
		assert_string_equal(b.data, cases[i].shown);
		assert_int_equal(lay.name_w, cases[i].name_w);
	}
	/* Spans: NAME from 0, the next column after it and a blank. */
	int x, w;
	top_layout_compute(&v, 80, &lay);
	assert_int_equal(top_col_span(&lay, COL_NAME, &x, &w), 0);
	assert_int_equal(x, 0);
	assert_int_equal(w, lay.name_w);
	assert_int_equal(top_col_span(&lay, COL_STATE, &x, &w), 0);
	assert_int_equal(x, lay.name_w + 1);
	assert_int_equal(w, 8);
	assert_int_equal(top_col_span(&lay, COL_MAX, &x, &w), 0);
	assert_int_equal(x, lay.name_w + 10);
	assert_int_equal(top_col_span(&lay, COL_RSS, &x, &w), -ENOENT);
	buf_free(&b);
	top_view_clear(&v);
	top_model_free(&m);
}

/* The header wraps between segments, sentences between words. */
static void test_header_narrow(void **state)
{
	(void)state;
	struct top_model m;
	struct top_view v;
	struct buf b;

	golden_view(&m, &v);
	buf_init(&b, 4096);
	assert_int_equal(top_format_header(&v, 30, &b), 0);
	if (getenv("TOP_TABLE_PRINT") != NULL)
		fputs(b.data, stdout);
	assert_string_equal(b.data, "mem 16G total  6.0G available\n"
	                            "overcommit 1.50x (24G of\n"
	                            "maxima)  ballooned out 1.8G\n"
	                            "KSM running  saved 16M\n"
	                            "profit 15M  sharing 4.00\n"
	                            "zero pages 1.0M  ksmd CPU -\n"
	                            "full scan -  cow -/s\n"
	                            "sources: ksm ok  meminfo ok\n"
	                            "libvirt up  domain_ksm failed\n"
	                            "rates (SWAP/s, PSI%, ksmd CPU,\n"
	                            "full scan, cow) need two\n"
	                            "collections: they appear from\n"
	                            "the next refresh\n");
	buf_free(&b);
	top_view_clear(&v);
	top_model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sizes),     cmocka_unit_test(test_display_name), cmocka_unit_test(test_table_80),
	    cmocka_unit_test(test_table_132), cmocka_unit_test(test_layout),       cmocka_unit_test(test_header_narrow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
