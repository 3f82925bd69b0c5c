/* test_ksm_sys.c - host KSM on every fixture host: exact values, absences, logs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixtree.h"
#include "sources/ksm.h"
#include "logrec.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define KSMDIR(host) FIXTURES "/hosts/" host "/sys/kernel/mm/ksm"

struct want {
	enum host_field f;
	enum mval_kind kind;
	uint64_t u;
	int64_t i;
	double d;
};

#define U(f, v)                                                                                                        \
	{                                                                                                              \
		f, MV_U64, (v), 0, 0                                                                                   \
	}
#define I(f, v)                                                                                                        \
	{                                                                                                              \
		f, MV_I64, 0, (v), 0                                                                                   \
	}
#define D(f, v)                                                                                                        \
	{                                                                                                              \
		f, MV_F64, 0, 0, (v)                                                                                   \
	}

/* Checks every host field: those in w present with exactly that value and
 * kind, every other one absent. */
static void check_fields(const struct snapshot *s, const struct want *w, size_t nw)
{
	bool listed[HF_COUNT] = {false};
	for (size_t i = 0; i < nw; i++) {
		const struct mval *m = &s->host[w[i].f];
		listed[w[i].f] = true;
		if (!m->present)
			fail_msg("field %d absent", (int)w[i].f);
		if (m->kind != w[i].kind)
			fail_msg("field %d kind %d, want %d", (int)w[i].f, m->kind, (int)w[i].kind);
		if (w[i].kind == MV_U64 && m->v.u != w[i].u)
			fail_msg("field %d = %ju, want %ju", (int)w[i].f, (uintmax_t)m->v.u, (uintmax_t)w[i].u);
		if (w[i].kind == MV_I64 && m->v.i != w[i].i)
			fail_msg("field %d = %jd, want %jd", (int)w[i].f, (intmax_t)m->v.i, (intmax_t)w[i].i);
		if (w[i].kind == MV_F64 && m->v.f != w[i].d)
			fail_msg("field %d = %.17g, want %.17g", (int)w[i].f, m->v.f, w[i].d);
	}
	for (int f = 0; f < HF_COUNT; f++)
		if (!listed[f] && s->host[f].present)
			fail_msg("field %d present, want absent", f);
}

struct run {
	struct logrec log;
	struct kvm_log lg;
	struct kvm_env env;
	struct snapshot s;
	struct ksm *k;
};

static int collect_host(struct run *r, const char *sysfs, const char *procfs, enum log_level lvl)
{
	r->lg = logrec_log(&r->log, lvl);
	r->env = (struct kvm_env){.sysfs = sysfs, .procfs = procfs, .libvirt_run = "/nonexistent", .log = &r->lg};
	snapshot_init(&r->s);
	r->k = ksm_new(&r->env);
	assert_non_null(r->k);
	return ksm_collect(r->k, &r->s);
}

static void run_done(struct run *r)
{
	ksm_free(r->k);
	snapshot_clear(&r->s);
}

static double ticks(uint64_t t)
{
	return (double)t / (double)sysconf(_SC_CLK_TCK);
}

static void test_k6_18(void **state)
{
	(void)state;
	struct run r;
	const struct want w[] = {
	    U(HF_KSM_RUN, 1),
	    U(HF_KSM_PAGES_SHARED, 7642),
	    U(HF_KSM_PAGES_SHARING, 31607),
	    U(HF_KSM_PAGES_UNSHARED, 204913),
	    U(HF_KSM_PAGES_VOLATILE, 13019),
	    U(HF_KSM_PAGES_SCANNED, 48203315),
	    U(HF_KSM_PAGES_SKIPPED, 1093),
	    U(HF_KSM_FULL_SCANS, 412),
	    I(HF_KSM_GENERAL_PROFIT, 118562688),
	    U(HF_KSM_ZERO_PAGES, 1363),
	    U(HF_KSM_STABLE_NODE_CHAINS, 3),
	    U(HF_KSM_STABLE_NODE_DUPS, 41),
	    U(HF_KSM_PAGES_TO_SCAN, 1000),
	    D(HF_KSM_SLEEP_SECONDS, 0.02),
	    U(HF_KSM_MERGE_ACROSS_NODES, 1),
	    U(HF_KSM_MAX_PAGE_SHARING, 256),
	    U(HF_KSM_USE_ZERO_PAGES, 1),
	    U(HF_KSM_SMART_SCAN, 1),
	    D(HF_KSM_STABLE_NODE_CHAINS_PRUNE_SECONDS, 2.0),
	    D(HF_KSM_ADVISOR_MAX_CPU_RATIO, 0.7),
	    U(HF_KSM_ADVISOR_MIN_PAGES_TO_SCAN, 500),
	    U(HF_KSM_ADVISOR_MAX_PAGES_TO_SCAN, 30000),
	    U(HF_KSM_ADVISOR_TARGET_SCAN_TIME_SECONDS, 200),
	    D(HF_KSMD_CPU_SECONDS, ticks(17 + 3921)),
	    U(HF_KSM_COW, 5211),
	    U(HF_KSM_SWAPIN_COPIES, 4),
	};
	assert_int_equal(collect_host(&r, FIXTURES "/hosts/k6.18/sys", FIXTURES "/hosts/k6.18/proc", LOG_LVL_DEBUG), 0);
	check_fields(&r.s, w, N(w));
	assert_string_equal(r.s.advisor_mode, "none");
	/* Everything exists on 6.18: not even a debug line. */
	assert_string_equal(r.log.text, "");
	run_done(&r);
}

static void test_k6_1(void **state)
{
	(void)state;
	struct run r;
	const struct want w[] = {
	    U(HF_KSM_RUN, 1),
	    U(HF_KSM_PAGES_SHARED, 2211),
	    U(HF_KSM_PAGES_SHARING, 9874),
	    U(HF_KSM_PAGES_UNSHARED, 40213),
	    U(HF_KSM_PAGES_VOLATILE, 512),
	    U(HF_KSM_FULL_SCANS, 37),
	    U(HF_KSM_STABLE_NODE_CHAINS, 0),
	    U(HF_KSM_STABLE_NODE_DUPS, 0),
	    U(HF_KSM_PAGES_TO_SCAN, 1250),
	    D(HF_KSM_SLEEP_SECONDS, 0.05),
	    U(HF_KSM_MERGE_ACROSS_NODES, 0),
	    U(HF_KSM_MAX_PAGE_SHARING, 256),
	    U(HF_KSM_USE_ZERO_PAGES, 0),
	    D(HF_KSM_STABLE_NODE_CHAINS_PRUNE_SECONDS, 2.0),
	    D(HF_KSMD_CPU_SECONDS, ticks(3 + 1207)),
	    U(HF_KSM_COW, 1402),
	    U(HF_KSM_SWAPIN_COPIES, 0),
	};
	assert_int_equal(collect_host(&r, FIXTURES "/hosts/k6.1/sys", FIXTURES "/hosts/k6.1/proc", LOG_LVL_DEBUG), 0);
	check_fields(&r.s, w, N(w));
	assert_string_equal(r.s.advisor_mode, "");
	/* Files 6.1 does not have are absent at debug level, not warnings. */
	assert_string_equal(
	    r.log.text,
	    "debug: " KSMDIR(
	        "k6.1") "/pages_scanned: absent on this kernel\n"
	                "debug: " KSMDIR(
	                    "k6.1") "/pages_skipped: absent on this kernel\n"
	                            "debug: " KSMDIR(
	                                "k6.1") "/general_profit: absent on this kernel\n"
	                                        "debug: " KSMDIR(
	                                            "k6.1") "/ksm_zero_pages: absent on this kernel\n"
	                                                    "debug: " KSMDIR(
	                                                        "k6.1") "/smart_scan: absent on this kernel\n"
	                                                                "debug: " KSMDIR(
	                                                                    "k6.1") "/advisor_max_cpu: absent on this "
	                                                                            "kernel\n"
	                                                                            "debug: " KSMDIR(
	                                                                                "k6.1") "/advisor_min_pages_to_"
	                                                                                        "scan: absent on this "
	                                                                                        "kernel\n"
	                                                                                        "debug: " KSMDIR(
	                                                                                            "k6.1") "/advisor_"
	                                                                                                    "max_pages_"
	                                                                                                    "to_scan: "
	                                                                                                    "absent on "
	                                                                                                    "this "
	                                                                                                    "kernel\n"
	                                                                                                    "debug:"
	                                                                                                    " " KSMDIR(
	                                                                                                        "k6.1") "/advisor_target_scan_time: absent on this kernel\n"
	                                                                                                                "debug: " KSMDIR(
	                                                                                                                    "k6.1") "/advisor_mode: absent on this kernel\n");
	run_done(&r);
}

static void test_k5_19(void **state)
{
	(void)state;
	struct run r;
	const struct want w[] = {
	    U(HF_KSM_RUN, 0),
	    U(HF_KSM_PAGES_SHARED, 1024),
	    U(HF_KSM_PAGES_SHARING, 3072),
	    U(HF_KSM_PAGES_UNSHARED, 15002),
	    U(HF_KSM_PAGES_VOLATILE, 77),
	    U(HF_KSM_FULL_SCANS, 12),
	    U(HF_KSM_STABLE_NODE_CHAINS, 0),
	    U(HF_KSM_STABLE_NODE_DUPS, 0),
	    U(HF_KSM_PAGES_TO_SCAN, 100),
	    D(HF_KSM_SLEEP_SECONDS, 0.02),
	    U(HF_KSM_MERGE_ACROSS_NODES, 1),
	    U(HF_KSM_MAX_PAGE_SHARING, 256),
	    U(HF_KSM_USE_ZERO_PAGES, 0),
	    D(HF_KSM_STABLE_NODE_CHAINS_PRUNE_SECONDS, 2.0),
	    D(HF_KSMD_CPU_SECONDS, ticks(0 + 455)),
	    U(HF_KSM_COW, 88),
	    U(HF_KSM_SWAPIN_COPIES, 0),
	};
	assert_int_equal(collect_host(&r, FIXTURES "/hosts/k5.19/sys", FIXTURES "/hosts/k5.19/proc", LOG_LVL_WARN), 0);
	check_fields(&r.s, w, N(w));
	assert_string_equal(r.s.advisor_mode, "");
	assert_string_equal(r.log.text, "");
	run_done(&r);
}

static void test_broken(void **state)
{
	(void)state;
	struct run r;
	/* Each damaged file costs only its own field. */
	const struct want w[] = {
	    U(HF_KSM_RUN, 1),
	    U(HF_KSM_PAGES_SKIPPED, 0),
	    I(HF_KSM_GENERAL_PROFIT, -768000),
	    U(HF_KSM_ZERO_PAGES, 0),
	    /* stable_node_chains is missing: absent, not an error. */
	    U(HF_KSM_PAGES_TO_SCAN, 100), /* "100" without a newline is fine */
	    D(HF_KSM_SLEEP_SECONDS, 0.02),
	    U(HF_KSM_MERGE_ACROSS_NODES, 1),
	    U(HF_KSM_MAX_PAGE_SHARING, 256),
	    U(HF_KSM_USE_ZERO_PAGES, 0),
	    U(HF_KSM_SMART_SCAN, 1),
	    D(HF_KSM_STABLE_NODE_CHAINS_PRUNE_SECONDS, 2.0),
	    D(HF_KSM_ADVISOR_MAX_CPU_RATIO, 0.7),
	    U(HF_KSM_ADVISOR_MIN_PAGES_TO_SCAN, 500),
	    U(HF_KSM_ADVISOR_MAX_PAGES_TO_SCAN, 30000),
	    U(HF_KSM_ADVISOR_TARGET_SCAN_TIME_SECONDS, 200),
	    /* pid 37, not the impostors 36 ("ksmd) S 2 (x") or 500 (a user
	     * process named ksmd). */
	    D(HF_KSMD_CPU_SECONDS, ticks(5 + 612)),
	    /* vmstat is cut inside "cow_ksm": only the line before it counts. */
	    U(HF_KSM_SWAPIN_COPIES, 4),
	};
	assert_int_equal(collect_host(&r, FIXTURES "/hosts/broken/sys", FIXTURES "/hosts/broken/proc", LOG_LVL_INFO),
	                 -EINVAL);
	check_fields(&r.s, w, N(w));
	assert_string_equal(r.s.advisor_mode, "");
	const char *want_log = "warn: " KSMDIR(
	    "broken") "/pages_shared: not a valid value; field skipped\n"
	              "warn: " KSMDIR(
	                  "broken") "/pages_sharing: not a valid value; field skipped\n"
	                            "warn: " KSMDIR(
	                                "broken") "/pages_unshared: value out of range; field skipped\n"
	                                          "warn: " KSMDIR(
	                                              "broken") "/pages_volatile: not a valid value; field skipped\n"
	                                                        "warn: " KSMDIR(
	                                                            "broken") "/pages_scanned: file too large; field "
	                                                                      "skipped\n"
	                                                                      "warn: " KSMDIR(
	                                                                          "broken") "/full_scans: is a "
	                                                                                    "directory; field skipped\n"
	                                                                                    "warn: " KSMDIR(
	                                                                                        "broken") "/stable_"
	                                                                                                  "node_dups: "
	                                                                                                  "not a valid "
	                                                                                                  "value; "
	                                                                                                  "field "
	                                                                                                  "skipped\n"
	                                                                                                  "warn:"
	                                                                                                  " " KSMDIR(
	                                                                                                      "broken") "/advisor_mode: not a valid value; field skipped\n";
	assert_string_equal(r.log.text, want_log);

	/* The next collection fills the same and logs nothing new. */
	snapshot_clear(&r.s);
	assert_int_equal(ksm_collect(r.k, &r.s), -EINVAL);
	check_fields(&r.s, w, N(w));
	assert_string_equal(r.log.text, want_log);
	run_done(&r);
}

static void test_no_ksm_dir(void **state)
{
	(void)state;
	struct run r;
	/* A kernel without CONFIG_KSM: no directory at all. */
	assert_int_equal(collect_host(&r, FIXTURES "/hosts", FIXTURES "/hosts/k6.18/proc", LOG_LVL_DEBUG), -ENOENT);
	check_fields(&r.s, NULL, 0);
	assert_string_equal(r.log.text, "debug: " FIXTURES "/hosts/kernel/mm/ksm: absent, kernel without KSM\n");
	run_done(&r);
}

static const char ksmd_stat_fmt[] =
    "%d (ksmd) S 2 0 0 0 -1 2097216 0 0 0 0 %d %d 0 0 25 5 1 0 27 0 0 "
    "18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

/* A damaged file that gets repaired: warned once, released once; ksmd
 * moving to another pid is found again; vmstat without KSM keys. */
static void test_recovery_and_ksmd_move(void **state)
{
	(void)state;
	char root[64], sysfs[128], procfs[128], line[512];
	struct run r;

	assert_int_equal(fixtree_new(root, sizeof(root), "ksmsys"), 0);
	snprintf(sysfs, sizeof(sysfs), "%s/sys", root);
	snprintf(procfs, sizeof(procfs), "%s/proc", root);
	assert_int_equal(fixtree_puts(root, "sys/kernel/mm/ksm/run", "1x\n"), 0);
	assert_int_equal(fixtree_puts(root, "sys/kernel/mm/ksm/pages_shared", "5\n"), 0);
	snprintf(line, sizeof(line), ksmd_stat_fmt, 37, 10, 20);
	assert_int_equal(fixtree_puts(root, "proc/37/stat", line), 0);
	assert_int_equal(fixtree_puts(root, "proc/vmstat", "nr_free_pages 1\npgfault 2\n"), 0);

	assert_int_equal(collect_host(&r, sysfs, procfs, LOG_LVL_INFO), -EINVAL);
	const struct want w1[] = {U(HF_KSM_PAGES_SHARED, 5), D(HF_KSMD_CPU_SECONDS, ticks(30))};
	check_fields(&r.s, w1, N(w1));
	char want[1024];
	snprintf(want, sizeof(want), "warn: %s/kernel/mm/ksm/run: not a valid value; field skipped\n", sysfs);
	assert_string_equal(r.log.text, want);

	/* Repaired; ksmd restarted as pid 40 (the cached 37 is now a user
	 * process of the same name); vmstat grew the KSM counters. */
	assert_int_equal(fixtree_puts(root, "sys/kernel/mm/ksm/run", "2\n"), 0);
	assert_int_equal(fixtree_puts(root, "proc/37/stat",
	                              "37 (ksmd) S 1 37 37 0 -1 4194304 0 0 0 0 999 999 0 0 20 0 1 0 5000 0 0\n"),
	                 0);
	snprintf(line, sizeof(line), ksmd_stat_fmt, 40, 100, 250);
	assert_int_equal(fixtree_puts(root, "proc/40/stat", line), 0);
	assert_int_equal(
	    fixtree_puts(root, "proc/vmstat", "nr_free_pages 1\nksm_swpin_copy 0\ncow_ksm 18446744073709551615\n"), 0);
	snapshot_clear(&r.s);
	logrec_clear(&r.log);
	assert_int_equal(ksm_collect(r.k, &r.s), 0);
	const struct want w2[] = {U(HF_KSM_RUN, 2), U(HF_KSM_PAGES_SHARED, 5), D(HF_KSMD_CPU_SECONDS, ticks(350)),
	                          U(HF_KSM_SWAPIN_COPIES, 0), U(HF_KSM_COW, UINT64_MAX)};
	check_fields(&r.s, w2, N(w2));
	snprintf(want, sizeof(want), "info: %s/kernel/mm/ksm/run: readable again\n", sysfs);
	assert_string_equal(r.log.text, want);

	/* A damaged vmstat counter costs that field and is logged once. */
	assert_int_equal(fixtree_puts(root, "proc/vmstat", "ksm_swpin_copy -1\ncow_ksm 7\n"), 0);
	assert_int_equal(fixtree_unlink(root, "proc/40/stat"), 0);
	snapshot_clear(&r.s);
	logrec_clear(&r.log);
	assert_int_equal(ksm_collect(r.k, &r.s), -EINVAL);
	assert_int_equal(ksm_collect(r.k, &r.s), -EINVAL);
	const struct want w3[] = {U(HF_KSM_RUN, 2), U(HF_KSM_PAGES_SHARED, 5), U(HF_KSM_COW, 7)};
	check_fields(&r.s, w3, N(w3));
	snprintf(want, sizeof(want), "warn: %s/vmstat: ksm_swpin_copy: not a valid value; field skipped\n", procfs);
	assert_string_equal(r.log.text, want);
	run_done(&r);
	assert_int_equal(fixtree_remove(root), 0);
}

/* The command name may hold spaces and ')': only the last ')' ends it. */
static void test_ksmd_impostor_only(void **state)
{
	(void)state;
	char root[64], sysfs[128], procfs[128];
	struct run r;

	assert_int_equal(fixtree_new(root, sizeof(root), "ksmsys"), 0);
	snprintf(sysfs, sizeof(sysfs), "%s/sys", root);
	snprintf(procfs, sizeof(procfs), "%s/proc", root);
	assert_int_equal(fixtree_puts(root, "sys/kernel/mm/ksm/run", "1\n"), 0);
	assert_int_equal(
	    fixtree_puts(root, "proc/36/stat",
	                 "36 (ksmd) S 2 (x) S 1 36 36 0 -1 4194304 0 0 0 0 900 900 0 0 20 0 1 0 5000 0 0\n"),
	    0);
	assert_int_equal(fixtree_puts(root, "proc/37/stat", "37 (ksmd) S 2 0 0 0 -1 2097216 0 0 0 0 1\n"), 0);
	assert_int_equal(fixtree_puts(root, "proc/38/stat", "38 (ksmd S 2 0 0 0 -1 2097216 0 0 0 0 1 2 0 0\n"), 0);
	assert_int_equal(fixtree_puts(root, "proc/self", ""), 0);
	assert_int_equal(collect_host(&r, sysfs, procfs, LOG_LVL_DEBUG), 0);
	const struct want w[] = {U(HF_KSM_RUN, 1)};
	check_fields(&r.s, w, N(w));
	run_done(&r);
	assert_int_equal(fixtree_remove(root), 0);
}

static void test_advisor_mode_parser(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int rc;
		const char *want;
	} cases[] = {
	    {"[none] scan-time\n", 0, "none"},
	    {"none [scan-time]\n", 0, "scan-time"},
	    {"[none] scan-time", 0, "none"},
	    {"[only]", 0, "only"},
	    {"none scan-time\n", -EINVAL, NULL},
	    {"[none] [scan-time]\n", -EINVAL, NULL},
	    {"[none scan-time\n", -EINVAL, NULL},
	    {"[] scan-time\n", -EINVAL, NULL},
	    {"[no ne]\n", -EINVAL, NULL},
	    {"[none]x scan-time\n", -EINVAL, NULL},
	    {"[none] scan-time\n\n", -EINVAL, NULL},
	    {"[n\xc3\xa9] x\n", -EINVAL, NULL},
	    {"", -EINVAL, NULL},
	    {"[abcdefghijklmnopqrstuvwxyz0123456789]\n", -EINVAL, NULL}, /* does not fit 32 bytes */
	};
	for (size_t i = 0; i < N(cases); i++) {
		char out[KSM_ADVISOR_MODE_MAX] = "untouched";
		int rc = ksm_parse_advisor_mode(cases[i].in, strlen(cases[i].in), out, sizeof(out));
		if (rc != cases[i].rc)
			fail_msg("case %zu \"%s\": rc %d, want %d", i, cases[i].in, rc, cases[i].rc);
		assert_string_equal(out, rc == 0 ? cases[i].want : "untouched");
	}
}

/* A --path.procfs so long that <procfs>/vmstat does not fit a path: the
 * path is refused before anything is opened, the vmstat fields are
 * absent, sysfs is read as usual, and the log says why, naming the file
 * the user meant, once. */
static void test_procfs_path_too_long(void **state)
{
	(void)state;
	static char procfs[4090];
	memset(procfs, 'p', sizeof(procfs) - 1);
	procfs[0] = '/';
	procfs[sizeof(procfs) - 1] = '\0';
	struct run r;
	assert_int_equal(collect_host(&r, FIXTURES "/hosts/k6.18/sys", procfs, LOG_LVL_WARN), -ENAMETOOLONG);
	assert_false(r.s.host[HF_KSM_COW].present);
	assert_false(r.s.host[HF_KSM_SWAPIN_COPIES].present);
	assert_false(r.s.host[HF_KSMD_CPU_SECONDS].present);
	assert_true(r.s.host[HF_KSM_PAGES_SHARING].present);
	/* complain_key formats its message into 768 bytes. */
	char msg[768], want[1024];
	snprintf(msg, sizeof(msg), "%s/vmstat: path too long; fields skipped", procfs);
	snprintf(want, sizeof(want), "warn: vmstat: %s\n", msg);
	assert_string_equal(r.log.text, want);
	/* A second collection logs nothing new. */
	snapshot_clear(&r.s);
	assert_int_equal(ksm_collect(r.k, &r.s), -ENAMETOOLONG);
	assert_string_equal(r.log.text, want);
	run_done(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_k6_18),
	    cmocka_unit_test(test_k6_1),
	    cmocka_unit_test(test_k5_19),
	    cmocka_unit_test(test_broken),
	    cmocka_unit_test(test_no_ksm_dir),
	    cmocka_unit_test(test_recovery_and_ksmd_move),
	    cmocka_unit_test(test_ksmd_impostor_only),
	    cmocka_unit_test(test_advisor_mode_parser),
	    cmocka_unit_test(test_procfs_path_too_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
