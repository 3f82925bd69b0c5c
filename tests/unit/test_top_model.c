/* test_top_model.c - kvmmem-top's derived view: sums, guest used, rates, flags, the why line, sorting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "model.h"
#include "top_snap.h"
#include "util/buf.h"

#define NOW 1700000000

static void update(struct top_model *m, struct snapshot *s, double mono, bool priv, struct top_view *v)
{
	struct top_clock clk = {NOW, mono};

	snapshot_finish(s);
	assert_int_equal(top_model_update(m, s, &clk, priv, v), 0);
}

static const struct top_row *row(const struct top_view *v, const char *name)
{
	for (size_t i = 0; i < v->nrows; i++)
		if (strcmp(v->rows[i].name, name) == 0)
			return &v->rows[i];
	fail_msg("no row %s", name);
	return NULL;
}

/* Overcommit counts domains with a process only; what is ballooned out is
 * maximum - current; a domain without current adds its maximum only. */
static void test_host_sums(void **state)
{
	(void)state;
	struct snapshot s;
	struct top_model m;
	struct top_view v;

	snap_host(&s);
	snap_dom(&s, "run", DOM_STATE_RUNNING, 8 * GiB, 6 * GiB);
	snap_dom(&s, "paused", DOM_STATE_PAUSED, 4 * GiB, 3 * GiB);
	snap_dom(&s, "nocur", DOM_STATE_RUNNING, 4 * GiB, 0);
	snap_dom(&s, "off", DOM_STATE_SHUTOFF, 32 * GiB, 0);
	top_model_init(&m);
	update(&m, &s, 1.0, true, &v);
	assert_int_equal(v.host[HV_SUM_MAX].v.u, 16 * GiB);
	assert_true(v.host[HV_OVERCOMMIT].present);
	assert_true(v.host[HV_OVERCOMMIT].v.f == 1.0);
	assert_int_equal(v.host[HV_BALLOONED_OUT].v.u, 3 * GiB);
	assert_int_equal(v.host[HV_KSM_SAVED].v.u, 4000 * 4096);
	assert_true(v.host[HV_KSM_RATIO].v.f == 4.0);
	assert_int_equal(v.host[HV_KSM_ZERO].v.u, 256 * 4096);
	assert_int_equal(v.host[HV_KSM_PROFIT].v.i, 15 * (int64_t)MiB);
	assert_int_equal(row(&v, "run")->v[COL_BALLOON].v.u, 2 * GiB);
	assert_false(row(&v, "nocur")->v[COL_BALLOON].present);
	assert_false(row(&v, "off")->v[COL_CUR].present);
	top_view_clear(&v);
	snapshot_clear(&s);

	/* Without host memory there is no overcommit, and no sharing ratio
	 * without shared pages: absent, not 0 or infinity. */
	snap_host(&s);
	s.host[HF_MEM_TOTAL_BYTES].present = false;
	mval_set_u64(&s.host[HF_KSM_PAGES_SHARED], 0);
	snap_dom(&s, "run", DOM_STATE_RUNNING, 8 * GiB, 6 * GiB);
	update(&m, &s, 2.0, true, &v);
	assert_false(v.host[HV_OVERCOMMIT].present);
	assert_false(v.host[HV_MEM_TOTAL].present);
	assert_false(v.host[HV_KSM_RATIO].present);
	top_view_clear(&v);
	snapshot_clear(&s);
	top_model_free(&m);
}

/* Guest used = available - usable, present only with both, never
 * negative; the age is measured from the collection's wall clock. */
static void test_guest_values(void **state)
{
	(void)state;
	struct snapshot s;
	struct top_model m;
	struct top_view v;

	snap_host(&s);
	snap_guest(snap_dom(&s, "a", DOM_STATE_RUNNING, 4 * GiB, 4 * GiB), 4 * GiB, 1 * GiB, 512 * MiB, NOW - 7);
	struct dom_snap *b = snap_dom(&s, "b", DOM_STATE_RUNNING, 4 * GiB, 4 * GiB);
	snap_guest(b, 1 * GiB, 2 * GiB, 0, NOW + 5);
	struct dom_snap *c = snap_dom(&s, "c", DOM_STATE_RUNNING, 4 * GiB, 4 * GiB);
	snap_guest(c, 1 * GiB, 0, 0, NOW);
	c->f[DF_GUEST_USABLE_BYTES].present = false;
	top_model_init(&m);
	update(&m, &s, 1.0, true, &v);
	assert_int_equal(row(&v, "a")->v[COL_USED].v.u, 3 * GiB);
	assert_int_equal(row(&v, "a")->v[COL_CACHE].v.u, 512 * MiB);
	assert_int_equal(row(&v, "a")->v[COL_AGE].v.u, 7);
	assert_false(row(&v, "b")->v[COL_USED].present);
	assert_false(row(&v, "b")->v[COL_AGE].present); /* a report from the future has no age */
	assert_false(row(&v, "c")->v[COL_USED].present);
	assert_true(v.has_col[COL_USED]);
	assert_true(v.has_col[COL_SWAP]); /* the rate's column is there before the rate */
	assert_false(v.has_col[COL_KSM]);
	top_view_clear(&v);
	snapshot_clear(&s);
	top_model_free(&m);
}

/* Rates need two collections: none on the first, then deltas over the
 * monotonic interval; a counter that goes back has no rate; the full scan
 * time stays until the next scan completes. */
static void test_rates(void **state)
{
	(void)state;
	struct snapshot s;
	struct top_model m;
	struct top_view v;

	top_model_init(&m);
	snap_host(&s);
	snap_guest(snap_dom(&s, "a", DOM_STATE_RUNNING, 4 * GiB, 4 * GiB), 4 * GiB, 1 * GiB, 0, NOW);
	update(&m, &s, 10.0, true, &v);
	assert_false(v.rates_ready);
	assert_false(v.host[HV_KSMD_CPU].present);
	assert_false(v.host[HV_KSM_COW_RATE].present);
	assert_false(v.host[HV_KSM_SCAN_TIME].present);
	assert_false(row(&v, "a")->v[COL_SWAP].present);
	top_view_clear(&v);
	snapshot_clear(&s);

	snap_host(&s);
	mval_set_f64(&s.host[HF_KSMD_CPU_SECONDS], 100.1);
	mval_set_u64(&s.host[HF_KSM_COW], 510);
	mval_set_u64(&s.host[HF_KSM_FULL_SCANS], 11);
	struct dom_snap *a = snap_dom(&s, "a", DOM_STATE_RUNNING, 4 * GiB, 4 * GiB);
	snap_guest(a, 4 * GiB, 1 * GiB, 0, NOW);
	mval_set_u64(&a->f[DF_GUEST_SWAP_IN_BYTES], 4096);
	mval_set_u64(&a->f[DF_GUEST_SWAP_OUT_BYTES], 4096);
	snap_guest(snap_dom(&s, "new", DOM_STATE_RUNNING, 4 * GiB, 4 * GiB), 4 * GiB, 1 * GiB, 0, NOW);
	update(&m, &s, 12.0, true, &v);
	assert_true(v.rates_ready);
	assert_float_equal(v.host[HV_KSMD_CPU].v.f, 5.0, 1e-9);
	assert_float_equal(v.host[HV_KSM_COW_RATE].v.f, 5.0, 1e-9);
	assert_float_equal(v.host[HV_KSM_SCAN_TIME].v.f, 2.0, 1e-9);
	assert_float_equal(row(&v, "a")->v[COL_SWAP].v.f, 4096.0, 1e-9);
	assert_false(row(&v, "new")->v[COL_SWAP].present);
	top_view_clear(&v);
	snapshot_clear(&s);

	/* No scan completed in 4 s: the last scan time stays.  The guest's
	 * counters restarted (a reboot): no swap rate rather than a negative
	 * one. */
	snap_host(&s);
	mval_set_f64(&s.host[HF_KSMD_CPU_SECONDS], 100.1);
	mval_set_u64(&s.host[HF_KSM_COW], 510);
	mval_set_u64(&s.host[HF_KSM_FULL_SCANS], 11);
	snap_guest(snap_dom(&s, "a", DOM_STATE_RUNNING, 4 * GiB, 4 * GiB), 4 * GiB, 1 * GiB, 0, NOW);
	update(&m, &s, 16.0, true, &v);
	assert_float_equal(v.host[HV_KSMD_CPU].v.f, 0.0, 1e-9);
	assert_float_equal(v.host[HV_KSM_SCAN_TIME].v.f, 2.0, 1e-9);
	assert_false(row(&v, "a")->v[COL_SWAP].present);
	top_view_clear(&v);
	snapshot_clear(&s);
	top_model_free(&m);
}

/* Each flag from the value or configuration that explains it. */
static void test_flags(void **state)
{
	(void)state;
	struct snapshot s;
	struct top_model m;
	struct top_view v;

	snap_host(&s);
	snap_guest(snap_dom(&s, "fresh", DOM_STATE_RUNNING, GiB, GiB), GiB, 0, 0, NOW - 15);
	snap_guest(snap_dom(&s, "stale", DOM_STATE_RUNNING, GiB, GiB), GiB, 0, 0, NOW - 16);
	struct dom_snap *d = snap_dom(&s, "period0", DOM_STATE_RUNNING, GiB, GiB);
	mval_set_u64(&d->f[DF_STATS_PERIOD_SECONDS], 0);
	d = snap_dom(&s, "skipped", DOM_STATE_RUNNING, GiB, GiB);
	mval_set_u64(&d->f[DF_BALLOON_STATS_SKIPPED], 1);
	snap_dom(&s, "noksm", DOM_STATE_RUNNING, GiB, GiB)->config.nosharepages = true;
	d = snap_dom(&s, "huge-locked", DOM_STATE_RUNNING, GiB, GiB);
	d->config.hugepages = true;
	d->config.locked = true;
	snap_dom(&s, "noballoon", DOM_STATE_RUNNING, GiB, GiB)->config.balloon = "none";
	d = snap_dom(&s, "fpr-deflate", DOM_STATE_RUNNING, GiB, GiB);
	d->config.free_page_reporting = true;
	d->config.deflate_on_oom = true;
	d = snap_dom(&s, "noconfig", DOM_STATE_RUNNING, GiB, GiB);
	d->config = (struct domain_config){false, "none", true, true, true, true, true};
	top_model_init(&m);
	update(&m, &s, 1.0, true, &v);
	assert_int_equal(row(&v, "fresh")->flags, 0);
	assert_int_equal(row(&v, "stale")->flags, TF_STALE);
	assert_int_equal(row(&v, "period0")->flags, TF_PERIOD0);
	assert_int_equal(row(&v, "skipped")->flags, TF_SKIPPED);
	assert_int_equal(row(&v, "noksm")->flags, TF_NOKSM);
	assert_int_equal(row(&v, "huge-locked")->flags, TF_HUGE | TF_LOCKED);
	assert_int_equal(row(&v, "noballoon")->flags, TF_NOBALLOON);
	assert_int_equal(row(&v, "fpr-deflate")->flags, TF_FPR | TF_DEFLATE);
	assert_int_equal(row(&v, "noconfig")->flags, 0); /* no XML: nothing is claimed */
	for (int i = 0; i < TF_COUNT; i++)
		assert_true(top_flag_meaning(i)[0] != '\0');
	assert_int_equal(top_flag_letter(TF_COUNT), '?');
	top_view_clear(&v);
	snapshot_clear(&s);
	top_model_free(&m);
}

/* The why line: permissions are blamed only when every running domain
 * lacks the value and the process may not read other users' files. */
static void test_why(void **state)
{
	(void)state;
	static const struct {
		bool priv;
		int with_ksm; /* how many of the 3 running domains have KSM values */
		pid_t pid;
		const char *want;
	} cases[] = {
	    {false, 0, 1000, "per-VM KSM unreadable: not root and no CAP_DAC_READ_SEARCH"},
	    {true, 0, 1000, ""},
	    {true, 0, 0, "per-VM KSM missing for 3 of 3 running domains: no QEMU pid found"},
	    {false, 1, 1000, ""},
	    {false, 3, 1000, ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct snapshot s;
		struct top_model m;
		struct top_view v;
		snap_host(&s);
		for (int j = 0; j < 3; j++) {
			char name[8] = {'d', (char)('0' + j), '\0'};
			struct dom_snap *d = snap_dom(&s, name, DOM_STATE_RUNNING, GiB, GiB);
			d->pid = cases[i].pid;
			if (j < cases[i].with_ksm)
				snap_ksm(d, 10, 4096);
		}
		snap_dom(&s, "off", DOM_STATE_SHUTOFF, GiB, 0);
		top_model_init(&m);
		/* A build without the cgroup collector's families keeps
		 * only the KSM part of the sentence. */
		m.cost_field = -1;
		update(&m, &s, 1.0, cases[i].priv, &v);
		print_message("case %zu\n", i);
		assert_string_equal(v.why, cases[i].want);
		top_view_clear(&v);
		snapshot_clear(&s);
		top_model_free(&m);
	}
}

static void names(const struct top_view *v, char *out, size_t outsz)
{
	struct buf b;

	buf_init(&b, outsz - 1);
	for (size_t i = 0; i < v->nrows; i++)
		buf_printf(&b, "%s ", v->rows[i].name);
	assert_false(buf_failed(&b));
	memcpy(out, b.data, b.len + 1);
	buf_free(&b);
}

/* Numbers sort largest first like top, names and states ascending;
 * absent values go last in both directions; ties by name. */
static void test_sort_and_filter(void **state)
{
	(void)state;
	struct snapshot s;
	struct top_model m;
	struct top_view v;
	char got[256];

	snap_host(&s);
	snap_dom(&s, "b", DOM_STATE_RUNNING, 2 * GiB, GiB);
	snap_dom(&s, "a", DOM_STATE_PAUSED, 2 * GiB, 2 * GiB);
	snap_dom(&s, "c", DOM_STATE_RUNNING, 8 * GiB, 0);
	snap_dom(&s, "Web-1", DOM_STATE_SHUTOFF, GiB, 0);
	top_model_init(&m);
	update(&m, &s, 1.0, true, &v);
	static const struct {
		enum top_col col;
		bool reverse;
		const char *want;
	} cases[] = {
	    {COL_NAME, false, "Web-1 a b c "},  {COL_NAME, true, "c b a Web-1 "},     {COL_MAX, false, "c a b Web-1 "},
	    {COL_MAX, true, "Web-1 a b c "},    {COL_CUR, false, "a b Web-1 c "},     {COL_CUR, true, "b a Web-1 c "},
	    {COL_STATE, false, "b c a Web-1 "}, {COL_BALLOON, false, "b a Web-1 c "},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		top_view_sort(&v, cases[i].col, cases[i].reverse);
		names(&v, got, sizeof(got));
		print_message("case %zu\n", i);
		assert_string_equal(got, cases[i].want);
	}
	assert_true(top_row_matches(&v.rows[0], NULL));
	assert_true(top_row_matches(row(&v, "Web-1"), "web"));
	assert_true(top_row_matches(row(&v, "Web-1"), "B-1"));
	assert_false(top_row_matches(row(&v, "a"), "web"));
	assert_true(top_row_matches(row(&v, "a"), ""));
	assert_string_equal(top_state_name(DOM_STATE_PMSUSPENDED), "pmsusp");
	assert_string_equal(top_state_name(99), "nostate");
	top_view_clear(&v);
	snapshot_clear(&s);
	top_model_free(&m);
}

/* With the cgroup collector's families: host cost as is, pressure as the
 * share of time waited between two collections; the why line names cgroup
 * values when every running domain lacks them. */
static void test_cgroup_columns(void **state)
{
	(void)state;
	struct snapshot s;
	struct top_model m;
	struct top_view v;

	top_model_init(&m);
	assert_int_equal(m.cost_field, DF_HOST_MEMORY_BYTES);
	assert_int_equal(m.psi_field, DF_HOST_PRESSURE_WAITING_SECONDS);
	snap_host(&s);
	struct dom_snap *d = snap_dom(&s, "a", DOM_STATE_RUNNING, GiB, GiB);
	snap_ksm(d, 1, 0);
	mval_set_u64(&d->f[DF_HOST_MEMORY_BYTES], 512 * MiB);
	mval_set_f64(&d->f[DF_HOST_PRESSURE_WAITING_SECONDS], 10.0);
	update(&m, &s, 1.0, false, &v);
	assert_int_equal(row(&v, "a")->v[COL_COST].v.u, 512 * MiB);
	assert_false(row(&v, "a")->v[COL_PSI].present);
	assert_true(v.has_col[COL_COST]);
	assert_true(v.has_col[COL_PSI]);
	assert_string_equal(v.why, "");
	top_view_clear(&v);
	snapshot_clear(&s);

	snap_host(&s);
	d = snap_dom(&s, "a", DOM_STATE_RUNNING, GiB, GiB);
	snap_ksm(d, 1, 0);
	mval_set_f64(&d->f[DF_HOST_PRESSURE_WAITING_SECONDS], 10.5);
	update(&m, &s, 3.0, false, &v);
	assert_float_equal(row(&v, "a")->v[COL_PSI].v.f, 25.0, 1e-9);
	assert_false(row(&v, "a")->v[COL_COST].present);
	assert_string_equal(v.why, "host cost missing for every running domain: no memory cgroup scope found");
	top_view_clear(&v);
	snapshot_clear(&s);

	/* cgroup v1: host cost but no pressure file, so no PSI column, on the
	 * first collection and after it. */
	for (int i = 0; i < 2; i++) {
		snap_host(&s);
		d = snap_dom(&s, "a", DOM_STATE_RUNNING, GiB, GiB);
		snap_ksm(d, 1, 0);
		mval_set_u64(&d->f[DF_HOST_MEMORY_BYTES], 512 * MiB);
		update(&m, &s, 3.5 + 0.1 * i, false, &v);
		assert_true(v.has_col[COL_COST]);
		assert_false(v.has_col[COL_PSI]);
		top_view_clear(&v);
		snapshot_clear(&s);
	}

	snap_host(&s);
	snap_dom(&s, "a", DOM_STATE_RUNNING, GiB, GiB);
	update(&m, &s, 4.0, false, &v);
	assert_string_equal(v.why, "per-VM KSM unreadable: not root and no CAP_DAC_READ_SEARCH; host cost missing for "
	                           "every running domain: no memory cgroup scope found");
	top_view_clear(&v);
	snapshot_clear(&s);
	top_model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_host_sums),
	    cmocka_unit_test(test_guest_values),
	    cmocka_unit_test(test_rates),
	    cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_why),
	    cmocka_unit_test(test_sort_and_filter),
	    cmocka_unit_test(test_cgroup_columns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
