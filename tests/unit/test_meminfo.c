/* test_meminfo.c - page size, MemTotal and MemAvailable. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "logrec.h"
#include "sources/meminfo.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_parse_cases(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int rc;
		bool has_total, has_avail;
		uint64_t total, avail;
	} cases[] = {
	    {"MemTotal:       16318076 kB\nMemFree:  1 kB\nMemAvailable:    9120344 kB\n", 0, true, true,
	     16318076ULL * 1024, 9120344ULL * 1024},
	    {"MemAvailable: 0 kB\nMemTotal: 1 kB", 0, true, true, 1024, 0},
	    {"MemTotal: 18014398509481983 kB\n", 0, true, false, 18014398509481983ULL * 1024, 0},
	    /* One more kB no longer fits in 64 bits of bytes. */
	    {"MemTotal: 18014398509481984 kB\nMemAvailable: 5 kB\n", -EINVAL, false, true, 0, 5120},
	    {"MemTotal: 12 MB\n", -EINVAL, false, false, 0, 0},
	    {"MemTotal: 12\n", -EINVAL, false, false, 0, 0},
	    {"MemTotal: -12 kB\n", -EINVAL, false, false, 0, 0},
	    {"MemTotal: 12 kB junk\n", -EINVAL, false, false, 0, 0},
	    {"MemTotal:\nMemAvailable: 3 kB\n", -EINVAL, false, true, 0, 3072},
	    {"MemTotalX: 12 kB\nMemTotal 12 kB\nSwapTotal: 5 kB\n", 0, false, false, 0, 0},
	    {"", 0, false, false, 0, 0},
	    {"MemTotal:       16318076 kB\nMemFree:         7001228 kB\nMemAvail", 0, true, false, 16318076ULL * 1024,
	     0},
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct mval t = {0}, a = {0};
		int rc = meminfo_parse(cases[i].in, strlen(cases[i].in), &t, &a);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d, want %d", i, rc, cases[i].rc);
		assert_int_equal(t.present, cases[i].has_total);
		assert_int_equal(a.present, cases[i].has_avail);
		if (t.present) {
			assert_int_equal(t.kind, MV_U64);
			assert_true(t.v.u == cases[i].total);
		}
		if (a.present) {
			assert_int_equal(a.kind, MV_U64);
			assert_true(a.v.u == cases[i].avail);
		}
	}
}

static void collect(const char *procfs, int want_rc, bool total, uint64_t tv, bool avail, uint64_t av,
                    const char *want_log, int times)
{
	struct logrec r;
	struct kvm_log lg = logrec_log(&r, LOG_LVL_DEBUG);
	struct kvm_env env = {.sysfs = "/nonexistent", .procfs = procfs, .libvirt_run = "/nonexistent", .log = &lg};
	struct meminfo *m = meminfo_new(&env);
	assert_non_null(m);
	for (int i = 0; i < times; i++) {
		struct snapshot s;
		snapshot_init(&s);
		assert_int_equal(meminfo_collect(m, &s), want_rc);
		for (int f = 0; f < HF_COUNT; f++) {
			bool want = f == HF_PAGE_SIZE_BYTES || (f == HF_MEM_TOTAL_BYTES && total) ||
			            (f == HF_MEM_AVAILABLE_BYTES && avail);
			if (s.host[f].present != want)
				fail_msg("field %d presence %d", f, s.host[f].present);
		}
		assert_true(s.host[HF_PAGE_SIZE_BYTES].v.u == (uint64_t)sysconf(_SC_PAGESIZE));
		if (total)
			assert_true(s.host[HF_MEM_TOTAL_BYTES].v.u == tv);
		if (avail)
			assert_true(s.host[HF_MEM_AVAILABLE_BYTES].v.u == av);
		snapshot_clear(&s);
	}
	assert_string_equal(r.text, want_log);
	meminfo_free(m);
}

static void test_hosts(void **state)
{
	(void)state;
	collect(FIXTURES "/hosts/k6.18/proc", 0, true, 65842324ULL * 1024, true, 41203376ULL * 1024, "", 1);
	collect(FIXTURES "/hosts/k6.1/proc", 0, true, 32803276ULL * 1024, true, 20118844ULL * 1024, "", 1);
	collect(FIXTURES "/hosts/k5.19/proc", 0, true, 16318076ULL * 1024, true, 9120344ULL * 1024, "", 1);
	/* Truncated inside "MemAvailable": MemTotal is kept, logged once
	 * over three collections. */
	collect(FIXTURES "/hosts/broken/proc", -ENODATA, true, 16318076ULL * 1024, false, 0,
	        "warn: " FIXTURES "/hosts/broken/proc/meminfo: MemTotal or MemAvailable missing\n", 3);
	collect(FIXTURES "/hosts/nowhere", -ENOENT, false, 0, false, 0,
	        "warn: " FIXTURES "/hosts/nowhere/meminfo: No such file or directory\n", 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_cases),
	    cmocka_unit_test(test_hosts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
